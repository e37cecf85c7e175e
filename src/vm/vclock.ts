// The clock page the guest's vDSO reads (guest/vdso.c): CLOCK_MONOTONIC, CLOCK_REALTIME and
// CLOCK_BOOTTIME as ns at a TSC reading, and the TSC's rate. The vDSO computes
// ns = base + (tsc - tscBase) * mult >> 32 under a sequence count, so the clock needs no exit.
//
// It is enabled only where the guest reads the host's own TSC (PVM runs the guest's rdtsc on the
// host CPU; hardware KVM offsets the guest's TSC): else the vDSO makes the system call. The monitor
// re-bases the page as it runs, to follow the host clocks' NTP slewing, and never moves the guest's
// CLOCK_MONOTONIC or CLOCK_BOOTTIME backwards.
import { native, addressOf } from '../host/native.js';
import type { Vcpu } from '../kvm/kvm.js';
import { MSR } from '../kvm/abi.js';

/** clock page layout (struct km_vclock in guest/vdso.c) */
const PAGE = { seq: 0, enabled: 4, tscBase: 8, mult: 16, mono: 24, real: 32, boot: 40 } as const;
/** clockSample's words */
const S = { tsc0: 0, mono: 1, real: 2, boot: 3, raw: 4, tsc1: 5 } as const;
/** the guest's TSC is the host's when they differ by less than this many ticks (~0.5 s) */
const SAME_TSC_TICKS = 1n << 30n;
/** a rate measured over less than this many ns is not trusted over KVM's nominal one */
const RATE_WINDOW_NS = 1_000_000_000n;
/** the rate is biased up by this (ppm): a guest clock slightly ahead between re-bases, never behind
 * (an absolute deadline the host sleeps to must not end before the guest's clock reaches it) */
const RATE_BIAS_PPM = 2n;
/** re-base after this many monitor exits */
const REBASE_EVERY = 1024;

export class VClock {
  private readonly u32: Uint32Array;
  private readonly u64: BigUint64Array;
  private readonly sample = new BigUint64Array(6);
  private readonly sampleAddr = addressOf(this.sample);
  private enabled = false;
  private first = { tsc: 0n, raw: 0n };
  private mult = 0n;
  private tscBase = 0n;
  private mono = 0n;
  private boot = 0n;
  private exits = 0;

  /** `page`: a view of the 4 KiB clock page in guest memory */
  constructor(page: Uint8Array) {
    this.u32 = new Uint32Array(page.buffer, page.byteOffset, 16);
    this.u64 = new BigUint64Array(page.buffer, page.byteOffset, 8);
  }

  get isEnabled(): boolean { return this.enabled; }

  /** Turns the page on when `vcpu` (not running) reads the host's TSC and KVM gives its rate. */
  enable(vcpu: Vcpu): void {
    const khz = vcpu.tscKhz();
    if (khz <= 0) return;
    native.clockSample(this.sampleAddr);
    const guest = vcpu.getMsr(MSR.TSC), host = this.sample[S.tsc1]!;
    const diff = guest > host ? guest - host : host - guest;
    if (diff >= SAME_TSC_TICKS) return;
    // KVM's nominal rate until the run is long enough to measure it (rebase)
    this.first = { tsc: this.sample[S.tsc0]!, raw: this.sample[S.raw]! };
    this.mult = this.biased((1_000_000n << 32n) / BigInt(khz));
    this.tscBase = this.midTsc();
    this.mono = this.sample[S.mono]!;
    this.boot = this.sample[S.boot]!;
    this.publish(this.sample[S.real]!);
    this.enabled = true;
  }

  /** Called on every monitor exit; re-bases now and then. */
  tick(): void {
    if (this.enabled && ++this.exits >= REBASE_EVERY) { this.exits = 0; this.rebase(); }
  }

  /** New bases from the host clocks now, and the TSC rate measured over the run so far. */
  rebase(): void {
    if (!this.enabled) return;
    native.clockSample(this.sampleAddr);
    const t = this.midTsc();
    const elapsed = (t - this.tscBase) * this.mult >> 32n;
    // never backwards: the guest may already be past the host's value (the rate errs upward)
    const mono = this.max(this.sample[S.mono]!, this.mono + elapsed);
    const boot = this.max(this.sample[S.boot]!, this.boot + elapsed);
    const rawSpan = this.sample[S.raw]! - this.first.raw, tscSpan = this.sample[S.tsc0]! - this.first.tsc;
    if (rawSpan >= RATE_WINDOW_NS && tscSpan > 0n) this.mult = this.biased((rawSpan << 32n) / tscSpan);
    this.tscBase = t;
    this.mono = mono;
    this.boot = boot;
    this.publish(this.sample[S.real]!);
  }

  private midTsc(): bigint { return (this.sample[S.tsc0]! + this.sample[S.tsc1]!) / 2n; }
  private biased(mult: bigint): bigint { return mult + mult * RATE_BIAS_PPM / 1_000_000n; }
  private max(a: bigint, b: bigint): bigint { return a > b ? a : b; }

  /** writes the page under the sequence count (odd while it changes) */
  private publish(real: bigint): void {
    const seq = this.u32[PAGE.seq / 4]!;
    Atomics.store(this.u32, PAGE.seq / 4, (seq + 1) >>> 0);
    this.u64[PAGE.tscBase / 8] = this.tscBase;
    this.u64[PAGE.mult / 8] = this.mult;
    this.u64[PAGE.mono / 8] = this.mono;
    this.u64[PAGE.real / 8] = real;
    this.u64[PAGE.boot / 8] = this.boot;
    this.u32[PAGE.enabled / 4] = 1;
    Atomics.store(this.u32, PAGE.seq / 4, (seq + 2) >>> 0);
  }
}
