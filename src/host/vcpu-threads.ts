// One host thread per vCPU (native/km_native.c): TypeScript fills a slot with a command, KVM_RUN
// or one host syscall that may block, and posts it; the thread runs it and pushes the slot number
// onto a completion ring that the dispatcher drains. The shared layout is defined here once.
import { native, sys } from './native.js';
import { SYS } from './sysno.js';

/** struct header in km_native.c */
const HEADER = { seq: 0, sleeping: 4, tail: 8, ring: 64 } as const;
const RING_SIZE = 4096;
const HEADER_SIZE = HEADER.ring + RING_SIZE * 4;
/** struct slot in km_native.c (128 bytes) */
const SLOT = { size: 128, state: 0, cmd: 4, hostTid: 8, sleeping: 12, result: 16, nr: 24, args: 32, vcpuFd: 80, runAddr: 88, mbAddr: 96 } as const;
export const CMD = { RUN: 1, SYSCALL: 2, EXIT: 3 } as const;
export const MAX_SLOTS = RING_SIZE;

export class VcpuThreads {
  private static instance: VcpuThreads | null = null;
  /** The process's vCPU threads: created once, kept across execve (a thread per slot, ever). */
  static shared(slots: number): VcpuThreads {
    return (VcpuThreads.instance ??= new VcpuThreads(slots));
  }

  private readonly dv: DataView;
  private readonly i32: Int32Array;
  private head = 0;
  private readonly started = new Set<number>();

  private constructor(slots: number) {
    const ab = native.threadsInit(slots);
    this.dv = new DataView(ab);
    this.i32 = new Int32Array(ab);
  }

  private base(slot: number): number { return HEADER_SIZE + slot * SLOT.size; }

  /** binds a slot to a vCPU (and its mailbox, for the fast path) and starts its thread (once) */
  attach(slot: number, vcpuFd: number, runAddr: number, mailboxAddr: number): void {
    const b = this.base(slot);
    this.dv.setBigInt64(b + SLOT.vcpuFd, BigInt(vcpuFd), true);
    this.dv.setBigInt64(b + SLOT.runAddr, BigInt(runAddr), true);
    this.dv.setBigInt64(b + SLOT.mbAddr, BigInt(mailboxAddr), true);
    if (this.started.has(slot)) return;
    const r = native.threadStart(slot);
    if (r < 0) throw new Error(`cannot start a host thread for vCPU ${slot} (errno ${-r})`);
    this.started.add(slot);
  }

  run(slot: number): void {
    this.dv.setInt32(this.base(slot) + SLOT.cmd, CMD.RUN, true);
    native.post(slot);
  }

  syscall(slot: number, nr: number, args: readonly number[]): void {
    const b = this.base(slot);
    this.dv.setInt32(b + SLOT.cmd, CMD.SYSCALL, true);
    this.dv.setBigInt64(b + SLOT.nr, BigInt(nr), true);
    for (let i = 0; i < 6; i++) this.dv.setBigInt64(b + SLOT.args + 8 * i, BigInt(Math.trunc(args[i] ?? 0)), true);
    native.post(slot);
  }

  /** the host thread id of a slot's thread (0 for a slot never started). A thread just started
   * may not have said who it is yet: that is waited for, as callers name its clock at once. */
  hostTid(slot: number): number {
    const at = (this.base(slot) + SLOT.hostTid) / 4;
    let tid = Atomics.load(this.i32, at);
    while (tid === 0 && this.started.has(slot)) { sys(SYS.sched_yield); tid = Atomics.load(this.i32, at); }
    return tid;
  }

  result(slot: number): number { return Number(this.dv.getBigInt64(this.base(slot) + SLOT.result, true)); }

  kick(slot: number): void { native.kick(slot); }

  /** the event sequence: read it before draining, then pass it to wait */
  get seq(): number { return Atomics.load(this.i32, HEADER.seq / 4); }

  /** next finished slot, or -1 */
  nextDone(): number {
    const at = HEADER.ring / 4 + (this.head % RING_SIZE);
    const v = Atomics.load(this.i32, at);
    if (v === 0) return -1;
    Atomics.store(this.i32, at, 0);
    this.head++;
    return v - 1;
  }

  wait(seen: number, timeoutNs: number): void { native.waitEvents(seen, timeoutNs); }
}
