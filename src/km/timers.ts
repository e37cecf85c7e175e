// POSIX per-process timers (timer_create and friends). Two kinds share one interface (GuestTimer)
// and one way to reach the payload: PosixTimer, kept by the monitor on REALTIME/MONOTONIC/BOOTTIME/
// TAI (expiries are monitor timers on the dispatcher), and CpuTimer (src/km/cputimers.ts), a host
// timer on the CPU-time clock the guest named. Either way an expiry queues a signal to the process
// or to one thread with SI_TIMER, the timer's own id, its sigval and its overrun count, as Linux does.
import { SIG } from '../host/signals.js';
import { E } from '../host/errno.js';
import { defineLayout } from '../util/struct.js';
import type { Process } from './process.js';
import type { MonitorTimer } from './scheduler.js';
import type { PendingInfo } from './signals.js';
import type { Thread } from './thread.js';
import { monitorNow } from '../host/clock.js';

export const SIGEV = { SIGNAL: 0, NONE: 1, THREAD: 2, THREAD_ID: 4 } as const;
/** timer_settime and clock_nanosleep: the time given is absolute on the clock */
export const TIMER_ABSTIME = 1;
export const SI_TIMER = -2;
const DELAYTIMER_MAX = 0x7fffffff;
const NS = 1_000_000_000n;

/** the kernel's struct sigevent (the thread id is the first word of its union) */
export const SIGEVENT = defineLayout(64, { value: [0, 'u64'], signo: [8, 'i32'], notify: [12, 'i32'], tid: [16, 'i32'] });
/** struct itimerspec: it_interval then it_value, each a struct timespec */
export const ITIMERSPEC = defineLayout(32, { intervalSec: [0, 'i64'], intervalNsec: [8, 'i64'], valueSec: [16, 'i64'], valueNsec: [24, 'i64'] });

export interface Sigevent { value: number; signo: number; notify: number; tid: number }

/** a timer's setting in ns: its period and the time to the next expiry (0: disarmed) */
export interface Itimer { interval: bigint; value: bigint }
export const DISARMED: Itimer = { interval: 0n, value: 0n };

/** struct itimerspec bytes for a setting (seconds may exceed 2^53: written as 64-bit integers) */
export function itimerspecBytes(it: Itimer): Buffer {
  const b = Buffer.alloc(ITIMERSPEC.size), f = ITIMERSPEC.fields;
  b.writeBigInt64LE(it.interval / NS, f.intervalSec[0]); b.writeBigInt64LE(it.interval % NS, f.intervalNsec[0]);
  b.writeBigInt64LE(it.value / NS, f.valueSec[0]); b.writeBigInt64LE(it.value % NS, f.valueNsec[0]);
  return b;
}

/** the setting in struct itimerspec bytes the host kernel wrote (so already valid) */
export function parseItimerspec(b: Buffer): Itimer {
  const f = ITIMERSPEC.fields;
  return {
    interval: b.readBigInt64LE(f.intervalSec[0]) * NS + b.readBigInt64LE(f.intervalNsec[0]),
    value: b.readBigInt64LE(f.valueSec[0]) * NS + b.readBigInt64LE(f.valueNsec[0]),
  };
}

/** struct sigevent bytes (guest or host) as a Sigevent */
export function parseSigevent(b: Uint8Array): Sigevent {
  const dv = new DataView(b.buffer, b.byteOffset, SIGEVENT.size), f = SIGEVENT.fields;
  return { value: Number(dv.getBigUint64(f.value[0], true)), signo: dv.getInt32(f.signo[0], true), notify: dv.getInt32(f.notify[0], true), tid: dv.getInt32(f.tid[0], true) };
}

/**
 * One POSIX timer of the payload. The syscall handlers see only this: the setting (get/set), the
 * overruns of the last delivered expiry, delete. Subclasses keep the clock; `expire` queues the
 * signal of an expiry, whoever noticed it.
 */
export abstract class GuestTimer {
  /** the queued, not yet delivered signal of this timer */
  private queued: PendingInfo | null = null;
  /** overruns of the last delivered expiry (timer_getoverrun) */
  lastOverrun = 0;

  constructor(readonly p: Process, readonly id: number, readonly ev: Sigevent) {}

  /** the current setting, or -errno */
  abstract get(): Itimer | number;
  /** arms (value > 0; absolute on the timer's clock when abs) or disarms; the previous setting, or -errno */
  abstract set(value: bigint, interval: bigint, abs: boolean): Itimer | number;

  /** the host timer behind this one (-1: none) */
  get hostId(): number { return -1; }

  /** a thread ended (its CPU clock stops) */
  threadEnded(_t: Thread): void {}

  /** timer_delete, execve and exit: the timer stops for good (a queued signal stays pending) */
  delete(): void { this.queued = null; }

  /** an expiry, with `overruns` more that were missed before it */
  expire(overruns: number): void {
    const { ev, p } = this;
    if (ev.notify === SIGEV.NONE) return;
    if (this.queued) {
      // still pending: Linux counts an overrun instead of queueing again
      this.queued.overrun = Math.min(DELAYTIMER_MAX, (this.queued.overrun ?? 0) + 1 + overruns);
      return;
    }
    const info: PendingInfo = { code: SI_TIMER, timerid: this.id, overrun: overruns, value: ev.value };
    info.onTake = () => { this.lastOverrun = info.overrun ?? 0; if (this.queued === info) this.queued = null; };
    let queued: boolean;
    if (ev.notify & SIGEV.THREAD_ID) {
      const t = p.threads.get(ev.tid);
      if (!t) return; // the thread is gone: Linux drops it
      queued = t.sig.raise(ev.signo, info);
    } else {
      queued = p.procSignals.raise(ev.signo, info);
    }
    if (queued) this.queued = info;
    p.sched.notify();
  }
}

/** the clock's time in ns (a host clock_gettime) */
export type ClockReader = (clock: number) => bigint;

/** A timer on REALTIME/MONOTONIC/BOOTTIME/TAI, kept by the monitor: fired from the scheduler. */
export class PosixTimer extends GuestTimer implements MonitorTimer {
  /** monitor time (monitorNow() ms, src/host/clock.ts) of the next expiry; Infinity when disarmed */
  at = Infinity;
  /** the next expiry on the timer's own clock, ns */
  expiry = 0n;
  interval = 0n;

  constructor(p: Process, id: number, readonly clock: number, ev: Sigevent, readonly now: ClockReader) { super(p, id, ev); }

  get(): Itimer { return { interval: this.interval, value: this.remaining() }; }

  set(value: bigint, interval: bigint, abs: boolean): Itimer {
    const old = this.get();
    this.arm(value, interval, abs);
    return old;
  }

  private arm(valueNs: bigint, intervalNs: bigint, abs: boolean): void {
    const sched = this.p.sched;
    sched.timers.delete(this);
    this.interval = intervalNs;
    if (valueNs === 0n) { this.at = Infinity; return; }
    const now = this.now(this.clock);
    this.expiry = abs ? valueNs : now + valueNs;
    this.at = monitorNow() + Number(this.expiry - now) / 1e6;
    sched.timers.add(this);
    sched.needDispatcher();
  }

  /** time to the next expiry (0 when disarmed, 1 ns when due) */
  private remaining(): bigint {
    if (this.at === Infinity) return 0n;
    const left = this.expiry - this.now(this.clock);
    return left > 0n ? left : 1n;
  }

  fire(nowMs: number): void {
    let overruns = 0;
    if (this.interval > 0n) {
      // catch up on expiries that passed while the monitor was busy: they count as overruns
      const clockNow = this.now(this.clock);
      let next = this.expiry + this.interval;
      if (next <= clockNow) {
        const missed = (clockNow - next) / this.interval + 1n;
        overruns += Number(missed);
        next += missed * this.interval;
      }
      this.expiry = next;
      this.at = nowMs + Number(next - clockNow) / 1e6;
      this.p.sched.timers.add(this);
    } else {
      this.at = Infinity;
    }
    this.expire(overruns);
  }

  override delete(): void {
    this.p.sched.timers.delete(this);
    this.at = Infinity;
    super.delete();
  }
}

/** the default sigevent for a NULL sevp: SIGALRM with the timer id as value */
export function defaultSigevent(id: number): Sigevent {
  return { value: id, signo: SIG.SIGALRM, notify: SIGEV.SIGNAL, tid: 0 };
}

export function checkSigevent(p: Process, ev: Sigevent): number {
  const n = ev.notify;
  if (n !== SIGEV.NONE && n !== SIGEV.SIGNAL && n !== SIGEV.THREAD_ID && n !== (SIGEV.SIGNAL | SIGEV.THREAD_ID)) return -E.EINVAL;
  if (n !== SIGEV.NONE && (ev.signo < 1 || ev.signo > 64)) return -E.EINVAL;
  if (n & SIGEV.THREAD_ID && !p.threads.has(ev.tid)) return -E.EINVAL;
  return 0;
}

/** Stops and forgets every timer (execve, and the payload's end: no host timer outlives it). */
export function deleteAllTimers(p: Process): void {
  for (const t of p.timers.values()) t.delete();
  p.timers.clear();
}
