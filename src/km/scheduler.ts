// Drives the payload's vCPUs. A single-threaded payload runs on the JS thread itself: KVM_RUN, the
// exit, the syscall and any blocking host call all happen here, with nothing in between. As soon
// as the payload has a second thread (or waits inside the monitor, or arms a monitor timer) every
// vCPU moves to its own host thread (src/host/vcpu-threads.ts) and the JS thread becomes the
// dispatcher: it handles each exit, hands blocking host calls back to the vCPU's thread, parks
// threads that wait in the monitor, fires timers and routes signals. All monitor state is touched
// by the JS thread only.
import { E } from '../host/errno.js';
import { native } from '../host/native.js';
import { SIG } from '../host/signals.js';
import { CAP, EXIT, EXIT_NAMES, KvmRun } from '../kvm/abi.js';
import { DOORBELL_GPA, MAX_VCPUS, MONITOR_BASE } from '../vm/layout.js';
import type { VcpuHandle } from '../vm/machine.js';
import { MAX_SLOTS, VcpuThreads } from '../host/vcpu-threads.js';
import { DISPATCH, fastKinds } from '../syscalls/table.js';
import { formatCall, formatResult } from '../syscalls/trace.js';
import type { Process } from './process.js';
import { PayloadExit, PayloadKilled, MonitorError, ThreadExit } from './exit.js';
import { readFault, VEC } from './faults.js';
import { monitorNow } from '../host/clock.js';

/** MXCSR's offset in the XSAVE image */
const XSAVE_MXCSR = 24;
import { CONTEXT_REPLACED, signalsAfterSyscall, signalsAfterInterrupt, deliverSignals, enterUser, takeHostSignals, padRewind } from './deliver.js';
import { SIG_DFL, SIG_IGN, bit, ThreadSignals } from './signals.js';
import type { Regs } from './sigframe.js';
import type { RegsInput } from '../kvm/kvm.js';
import { HostCall, Park, Thread } from './thread.js';
import { releaseThreadResources } from './robust.js';

const TWO32 = 4294967296;
/** a kicked host thread that has not answered is kicked again after this long (a kick can land
 * just before a blocking call starts) */
const KICK_RETRY_MS = 2;

const enum Step { RUN, HOST, PARK, GONE }

/** A monitor timer: fires at `at` (monitorNow() ms, src/host/clock.ts). */
export interface MonitorTimer { at: number; fire(now: number): void }

export class Scheduler {
  threaded = false;
  private wantThreaded = false;
  private vt: VcpuThreads | null = null;

  /** the host thread that runs t's vCPU: the monitor's own until threads start (or -1 briefly) */
  hostTidOf(t: Thread): number {
    if (!this.vt) return this.p.pid;
    const h = this.vt.hostTid(t.h.id);
    return h > 0 ? h : -1;
  }
  private readonly bySlot: (Thread | undefined)[] = [];
  /** vCPUs whose threads ended, kept for the next thread */
  private readonly idle: VcpuHandle[] = [];
  private nextVcpuId = 1;
  readonly timers = new Set<MonitorTimer>();
  private readonly excHaltEnd: number;
  /** counts for --stats */
  maxLive = 1;
  readonly counts = { interrupts: 0, kicks: 0, faults: 0, hostCalls: 0, parks: 0 };
  /** set while a syscall of p.cur is being handled (its signals are dealt with as it ends) */
  private inSyscall: Thread | null = null;

  /** whether calls may be served without this monitor (native fast path, landing pad) */
  private readonly fast: boolean;

  /** the ceiling on live threads: --max-threads, KVM's vCPU limit and the monitor area's */
  readonly maxThreads: number;

  constructor(readonly p: Process) {
    this.excHaltEnd = p.machine.excHaltVa + 1;
    const kvmMax = p.machine.kvm.checkExtension(CAP.MAX_VCPUS) || p.machine.kvm.checkExtension(CAP.NR_VCPUS) || 1;
    this.maxThreads = Math.min(p.opts.maxThreads || Infinity, kvmMax, MAX_VCPUS, MAX_SLOTS);
    // the native fast path serves the plain case of the calls the table marks `fast` without this
    // monitor; tracing and statistics see every call, so they turn it off (as does KM_NO_FAST=1,
    // for comparisons)
    // (and the landing pad's own answers, guest/entry.S)
    this.fast = !p.opts.trace && !p.opts.stats && process.env.KM_NO_FAST !== '1';
    native.fastConfig(this.fast, p.mem.base, MONITOR_BASE, DOORBELL_GPA, fastKinds());
  }

  /** the first thread: the payload's entry, on vCPU 0 */
  adoptMain(h: VcpuHandle): Thread {
    const p = this.p;
    const t = new Thread(p.pid, h, new ThreadSignals(p.procSignals), this.fast);
    t.comm = p.comm;
    p.threads.set(t.tid, t);
    p.cur = t;
    this.bySlot[h.id] = t;
    return t;
  }

  /** Runs the payload until it ends (throws PayloadExit / PayloadKilled / MonitorError). */
  run(main: Thread): never {
    const step = this.runInline(main);
    return this.dispatch(main, step);
  }

  /** Asks for the dispatcher (timers and monitor waits need it). */
  needDispatcher(): void { this.wantThreaded = true; }

  // ---- the single-threaded fast path ----

  private runInline(t: Thread): Step {
    const { vcpu } = t.h;
    native.setKickAddress(vcpu.runAddr + KvmRun.fields.immediate_exit[0]);
    for (;;) {
      let s = this.onExit(t, vcpu.runFast(t.h.mbHost));
      while (s === Step.HOST) {
        const c = t.call!;
        s = this.hostDone(t, native.blockingSyscall(c.nr, c.args[0], c.args[1], c.args[2], c.args[3], c.args[4], c.args[5]));
      }
      if (s !== Step.RUN || this.wantThreaded) {
        native.setKickAddress(0);
        return s;
      }
    }
  }

  // ---- the dispatcher ----

  private dispatch(first: Thread, step: Step): never {
    this.threaded = true;
    const vt = this.vt = VcpuThreads.shared(this.maxThreads);
    for (const t of this.p.threads.values()) this.attach(t.h);
    this.apply(first, step);
    for (const t of [...this.p.threads.values()]) if (t.state === 'ready') this.apply(t, Step.RUN);
    for (;;) {
      const seen = vt.seq;
      for (let slot = vt.nextDone(); slot >= 0; slot = vt.nextDone()) {
        const t = this.bySlot[slot];
        if (!t || t.state === 'gone') continue;
        const r = vt.result(slot);
        if (t.state !== 'host') t.h.vcpu.markExitCompleted();
        if (t.doomed) { this.drop(t); continue; }
        this.apply(t, t.state === 'host' ? this.hostDone(t, r) : this.onExit(t, r));
      }
      if (takeHostSignals(this.p)) this.notify();
      // the clock is read only when a timer, a park or a kick needs it (it is a host call here)
      let now = NaN;
      let next = Infinity;
      for (const tm of this.timers) {
        if (Number.isNaN(now)) now = monitorNow();
        if (tm.at <= now) { this.timers.delete(tm); tm.fire(now); } else next = Math.min(next, tm.at);
      }
      for (const t of this.p.threads.values()) {
        if (t.state === 'parked') {
          if (Number.isNaN(now)) now = monitorNow();
          const s = this.checkPark(t, now);
          if (s !== null) this.apply(t, s); else next = Math.min(next, t.park!.deadline);
        } else if (t.kickedAt) {
          if (Number.isNaN(now)) now = monitorNow();
          if (now - t.kickedAt >= KICK_RETRY_MS) this.kick(t);
          next = Math.min(next, t.kickedAt + KICK_RETRY_MS);
        }
      }
      // timers may have been added by what ran above
      for (const tm of this.timers) next = Math.min(next, tm.at);
      const wait = next === Infinity ? -1 : Math.max(0, Math.ceil((next - monitorNow()) * 1e6));
      vt.wait(seen, wait);
    }
  }

  private apply(t: Thread, s: Step): void {
    const vt = this.vt!;
    switch (s) {
      case Step.RUN: t.state = 'guest'; vt.run(t.h.id); break;
      case Step.HOST: { this.counts.hostCalls++; t.state = 'host'; const c = t.call!; vt.syscall(t.h.id, c.nr, c.args); break; }
      case Step.PARK: this.counts.parks++; t.state = 'parked'; break;
      case Step.GONE: break;
    }
  }

  // ---- threads ----

  /** Makes a new thread with the given user context (clone); start() lets it run. */
  spawn(tid: number, regs: RegsInput, xsave: Uint8Array, fsBase: number, parent: Thread): Thread {
    const p = this.p;
    let h = this.idle.pop();
    if (h) p.machine.resetVcpu(h, fsBase);
    else h = p.machine.createVcpu(this.nextVcpuId++, fsBase);
    h.vcpu.setRegs(regs, true);
    const x = h.vcpu.setXsave(xsave);
    if (x < 0) throw new MonitorError(`KVM_SET_XSAVE for a new thread failed (errno ${-x})`);
    const t = new Thread(tid, h, new ThreadSignals(p.procSignals), this.fast);
    t.sig.blocked = parent.sig.blocked;
    t.comm = parent.comm;
    t.fsBase = fsBase;
    p.threads.set(tid, t);
    this.maxLive = Math.max(this.maxLive, p.threads.size);
    this.bySlot[h.id] = t;
    t.state = 'ready';
    return t;
  }

  /** binds a vCPU to its host thread (slot = vCPU id) */
  private attach(h: VcpuHandle): void { this.vt!.attach(h.id, h.vcpu.fd, h.vcpu.runAddr, h.mbHost); }

  /** Lets a thread made by spawn() run: on its own host thread at once, or when the monitor turns
   * threaded (this thread is still the only one running until the current syscall ends). */
  start(t: Thread): void {
    if (this.threaded) {
      this.attach(t.h);
      this.apply(t, Step.RUN);
    } else {
      this.wantThreaded = true;
    }
  }

  /**
   * execve from `keep` ends every other thread, as Linux does before the new program starts: those
   * not on a host thread at once, the others (in the guest or in a host call) when their host thread
   * answers the kick. Returns how many are still to come back.
   */
  endOtherThreads(keep: Thread): number {
    for (const t of [...this.p.threads.values()]) {
      if (t === keep || t.state === 'gone') continue;
      if (t.state === 'guest' || t.state === 'host') { t.doomed = true; this.kick(t); } else this.drop(t);
    }
    return this.p.threads.size - 1;
  }

  /** Forgets a thread (execve: without its exit work, its memory is about to be replaced). */
  private drop(t: Thread): void {
    t.state = 'gone';
    // its CPU clock stops: timers on it must not go on with the next thread on its vCPU thread
    for (const tm of this.p.timers.values()) tm.threadEnded(t);
    t.sig.detach();
    this.p.threads.delete(t.tid);
    this.bySlot[t.h.id] = undefined;
    this.idle.push(t.h);
  }

  /** A thread ended (exit): robust futexes, clear_child_tid, its vCPU kept for reuse. The last
   * thread's end is the process's. */
  private retire(t: Thread, status: number): void {
    const p = this.p;
    releaseThreadResources(p, t);
    this.drop(t);
    if (p.threads.size === 0) throw new PayloadExit(status);
    // process-directed signals it left pending go to another thread
    this.notify();
  }

  // ---- exits and syscalls ----

  private onExit(t: Thread, r: number): Step {
    const p = this.p;
    p.cur = t;
    p.machine.vclock.tick();
    const { vcpu } = t.h;
    if (r < 0) {
      if (r === -E.EINTR || r === -E.EAGAIN) {
        this.counts.interrupts++;
        vcpu.setImmediateExit(false);
        t.kickedAt = 0;
        if (takeHostSignals(p)) this.notify();
        signalsAfterInterrupt(p, t.h);
        return Step.RUN;
      }
      if (r === -E.EFAULT) throw new PayloadKilled(SIG.SIGSEGV, 'guest memory access failed in the host (KVM_RUN EFAULT)');
      throw new MonitorError(`KVM_RUN failed: errno ${-r}`);
    }
    const reason = vcpu.exitReason;
    if (reason === EXIT.MMIO && vcpu.mmioAddr === DOORBELL_GPA) return this.syscall(t);
    switch (reason) {
      case EXIT.HLT: {
        this.counts.faults++;
        const regs = vcpu.getRegs();
        if (regs.rip !== BigInt(this.excHaltEnd)) throw new MonitorError(`unexpected HLT at 0x${regs.rip.toString(16)}`);
        const cr2 = vcpu.getSregs().get('cr2');
        const rsp0 = Number(regs.rsp); // the ring-0 stack, holding the exception frame
        const f = readFault(p, rsp0, cr2, p.mem.readU32(rsp0) === VEC.XM ? new DataView(vcpu.getXsave().buffer).getUint32(XSAVE_MXCSR, true) : 0);
        // the landing pad's own rt_sigprocmask met a bad pointer: the monitor makes the call (EFAULT)
        const redo = padRewind(p, f.rip);
        if (redo !== null) {
          enterUser(t.h, { ...regs, rip: redo, rsp: f.rsp, rflags: BigInt(f.rflags) });
          return Step.RUN;
        }
        const act = p.signals.actions[f.signal]!;
        const detail = `${f.what} at address 0x${f.addr.toString(16)}, rip 0x${f.rip.toString(16)}`;
        // a fault signal that is blocked or ignored cannot be delivered: Linux kills the process
        if (act.handler === SIG_DFL || act.handler === SIG_IGN || (p.signals.blocked & bit(f.signal))) {
          throw new PayloadKilled(f.signal, detail);
        }
        p.signals.raise(f.signal, { code: f.code, addr: f.addr });
        const ctx: Regs = { ...regs, rip: BigInt(f.rip), rsp: f.rsp, rflags: BigInt(f.rflags) };
        const next = deliverSignals(p, t.h, ctx, { trapno: f.vector, err: f.errorCode, cr2: f.vector === 14 ? cr2 : 0 });
        enterUser(t.h, next ?? ctx);
        return Step.RUN;
      }
      case EXIT.MMIO:
        throw new PayloadKilled(SIG.SIGBUS, `access to unbacked guest-physical address 0x${vcpu.mmioAddr.toString(16)}`);
      case EXIT.SHUTDOWN:
        throw new PayloadKilled(SIG.SIGSEGV, 'triple fault (unrecoverable CPU state)');
      case EXIT.INTR:
        return Step.RUN;
      case EXIT.FAIL_ENTRY:
        throw new MonitorError(`VM entry failed (hardware reason 0x${vcpu.runField('fail_entry_reason').toString(16)})`);
      case EXIT.INTERNAL_ERROR:
        throw new MonitorError(`KVM internal error (suberror ${vcpu.runField('internal_suberror')})`);
      default:
        throw new MonitorError(`unexpected VM exit ${EXIT_NAMES[reason] ?? reason}${reason === 0 ? ` (hardware reason 0x${vcpu.runField('hardware_exit_reason').toString(16)})` : ''} on vCPU ${t.h.id} (KVM_RUN returned ${r}, thread ${t.tid} ${t.state})`);
    }
  }

  /** a syscall: number and arguments are in the thread's mailbox */
  private syscall(t: Thread): Step {
    const p = this.p;
    const mb = t.h.mb32, args = t.args;
    const nr = mb[1] === 0 ? mb[0]! : -1;
    for (let i = 0; i < 6; i++) args[i] = mb[2 + 2 * i]! + (mb[3 + 2 * i]! | 0) * TWO32;
    t.nr = nr;
    const e = nr >= 0 ? DISPATCH[nr] : undefined;
    if (p.opts.stats) t.t0 = monitorNow();
    let ret: number | HostCall | Park;
    this.inSyscall = t;
    try {
      ret = e?.handler ? e.handler(p, args) : -E.ENOSYS;
    } catch (x) {
      this.inSyscall = null;
      if (x instanceof ThreadExit) {
        if (p.opts.trace) p.log(`[km] ${this.who(t)}${formatCall(p, e, nr, args)} = ?`);
        this.retire(t, x.status);
        return Step.GONE;
      }
      if (p.opts.trace && (x instanceof PayloadExit || x instanceof PayloadKilled)) p.log(`[km] ${this.who(t)}${formatCall(p, e, nr, args)} = ?`);
      throw x;
    }
    this.inSyscall = null;
    if (typeof ret === 'number') return this.complete(t, ret);
    if (ret instanceof HostCall) {
      t.call = ret;
      // a signal already waiting interrupts a blocking call before it starts, as on Linux
      if (t.sig.hasDeliverable) return this.hostDone(t, -E.EINTR);
      return Step.HOST;
    }
    t.park = ret;
    if (!this.threaded) { this.wantThreaded = true; return Step.PARK; }
    return this.checkPark(t, monitorNow()) ?? Step.PARK;
  }

  /** the blocking host call of t returned r */
  private hostDone(t: Thread, r: number): Step {
    const p = this.p;
    p.cur = t;
    const c = t.call!;
    if (r === -E.EINTR) {
      t.kickedAt = 0;
      t.h.vcpu.setImmediateExit(false);
      if (takeHostSignals(p)) this.notify();
      // interrupted with nothing to deliver to this thread: make the call again, as Linux does
      if (!t.sig.hasDeliverable) return Step.HOST;
    }
    t.call = null;
    this.inSyscall = t;
    try {
      return this.complete(t, c.finish ? c.finish(r) : r);
    } finally {
      this.inSyscall = null;
    }
  }

  /** Ends t's monitor wait if it can end now. May run while another thread's syscall is being
   * handled (a signal or a wake-up that thread caused), so the current thread is put back after. */
  private checkPark(t: Thread, now: number): Step | null {
    const pk = t.park!;
    const p = this.p, prevCur = p.cur, prevIn = this.inSyscall;
    p.cur = t;
    this.inSyscall = t;
    try {
      let v = pk.check();
      if (v === null && now >= pk.deadline) v = pk.onTimeout();
      if (v === null) return null;
      t.park = null;
      return this.complete(t, v);
    } finally {
      p.cur = prevCur;
      this.inSyscall = prevIn;
    }
  }

  private who(t: Thread): string { return this.p.threads.size > 1 || t.tid !== this.p.pid ? `[${t.tid}] ` : ''; }

  /** Ends syscall t.nr with `ret`: result into the mailbox, trace, statistics, signals. */
  private complete(t: Thread, ret: number): Step {
    const p = this.p, nr = t.nr;
    const e = nr >= 0 ? DISPATCH[nr] : undefined;
    if (p.opts.stats) {
      const s = p.stats.get(nr) ?? { count: 0, errors: 0, ns: 0 };
      s.count++; s.ns += (monitorNow() - t.t0) * 1e6;
      if (ret < 0 && ret > -4096) s.errors++;
      p.stats.set(nr, s);
    }
    if (ret === CONTEXT_REPLACED) {
      if (p.opts.trace) p.log(`[km] ${this.who(t)}${formatCall(p, e, nr, t.args)} = ?`);
      return Step.RUN;
    }
    if (p.opts.trace) p.log(`[km] ${this.who(t)}${formatCall(p, e, nr, t.args)} = ${formatResult(e, ret)}`);
    // the host ignores SIGPIPE (node does); a native thread would get it with the EPIPE
    if (ret === -E.EPIPE && (e?.sigpipe?.(t.args) ?? true)) t.sig.raise(SIG.SIGPIPE, { code: 0, pid: p.pid });
    const mb = t.h.mb32;
    let lo = ret % TWO32;
    if (lo < 0) lo += TWO32;
    mb[14] = lo;
    mb[15] = Math.floor(ret / TWO32) >>> 0;
    if (ret === -E.EINTR || t.sig.hasDeliverable) signalsAfterSyscall(p, t.h, nr, ret);
    if (t.sig.savedMask !== null) { t.sig.blocked = t.sig.savedMask; t.sig.savedMask = null; }
    return Step.RUN;
  }

  // ---- signals between threads ----

  /** Makes the threads that should act on pending signals notice them: a thread with a
   * deliverable thread-directed signal, and one thread for each deliverable process-directed one. */
  notify(): void {
    if (!this.threaded) return; // one thread: it notices at its next exit (host signals kick KVM_RUN)
    const p = this.p;
    let shared = p.procSignals.shared.mask;
    const cur = this.inSyscall;
    if (cur && shared) shared &= cur.sig.blocked; // the thread in a syscall takes what it can as it ends
    for (const t of p.threads.values()) {
      if (t === cur || t.state === 'gone' || t.state === 'ready') continue;
      const own = t.sig.own.mask & ~t.sig.blocked;
      const mine = shared & ~t.sig.blocked;
      if (!own && !mine) continue;
      shared &= t.sig.blocked;
      this.wake(t);
    }
  }

  private wake(t: Thread): void {
    if (t.state === 'parked') {
      const s = this.checkPark(t, monitorNow());
      if (s !== null) this.apply(t, s);
    } else if (t.state === 'guest' || t.state === 'host') {
      this.kick(t);
    }
  }

  private kick(t: Thread): void {
    this.counts.kicks++;
    t.kickedAt = monitorNow();
    this.vt!.kick(t.h.id);
  }
}
