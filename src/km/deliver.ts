// Delivery of signals to the payload and rt_sigreturn. Signals are delivered between guest
// instructions: at the end of a syscall, after a fault, or after KVM_RUN was interrupted by a host
// signal. Handlers get Linux's frame (src/km/sigframe.ts) on the guest stack.
import { native } from '../host/native.js';
import { NSIG, SIG } from '../host/signals.js';
import { E } from '../host/errno.js';
import { SYS } from '../host/sysno.js';
import { KvmSegment, SREGS_SEGMENT_OFFSET } from '../kvm/abi.js';
import { SEL, CODE_SIZE } from '../vm/layout.js';
import { CODE_VA, USER_CS_SEGMENT, USER_DS_SEGMENT } from '../vm/cpu.js';
import type { VcpuHandle } from '../vm/machine.js';
import type { Process } from './process.js';
import { PayloadKilled } from './exit.js';
import { SIG_DFL, SIG_IGN, bit, UNBLOCKABLE } from './signals.js';
import { pushSigframe, popSigframe, initialXsave, SA, type Regs, type FaultRegs } from './sigframe.js';
import { SI_TIMER } from './timers.js';

const SI_QUEUE = -1;

/** A syscall handler's result meaning "the vCPU's registers were replaced: write no result". */
export const CONTEXT_REPLACED = -0x40000000;

/** Syscalls that SA_RESTART restarts after a handler (others return EINTR, as on Linux). */
const RESTARTABLE = new Set<number>([SYS.read, SYS.write, SYS.readv, SYS.writev, SYS.pread64, SYS.pwrite64, SYS.preadv,
  SYS.pwritev, SYS.open, SYS.openat, SYS.ioctl, SYS.fcntl, SYS.flock, SYS.wait4, SYS.waitid, SYS.accept, SYS.accept4,
  SYS.connect, SYS.recvfrom, SYS.sendto, SYS.recvmsg, SYS.sendmsg, SYS.futex, SYS.getrandom]);

/** Signals whose host disposition stays the monitor's own (the others follow the payload's). The
 * monitor's interrupt signal among them: a payload handler for the same number must not replace it,
 * or its kicks would reach the payload as signals (Go installs a handler for every signal). */
const NOT_MIRRORED = new Set<number>([SIG.SIGSEGV, SIG.SIGBUS, SIG.SIGFPE, SIG.SIGILL, SIG.SIGTRAP, SIG.SIGSYS,
  SIG.SIGPIPE, SIG.SIGKILL, SIG.SIGSTOP, native.kickSignal()]);

/**
 * Host signals the monitor's own host timers (CPU-clock timers, src/km/cputimers.ts) send it, by
 * how many timers use each. They are caught whatever the payload's disposition, and the monitor
 * applies that disposition: a blocked signal stays pending (a mirrored default action would kill
 * at once), an ignored one is dropped, a default one terminates as on Linux.
 */
const held = new Map<number, number>();
/** the host C library's own signals (glibc's SIGCANCEL and SIGSETXID in the monitor) */
const HOST_LIBC_SIGNALS = new Set<number>([32, 33]);
/** what a host timer sends for a payload signal the monitor cannot catch as itself */
const TIMER_CARRIER = native.kickSignal() + 1;

/** Makes the host disposition of sig follow the payload's, so default actions are the kernel's own. */
export function mirrorDisposition(sig: number, handler: number): void {
  if (NOT_MIRRORED.has(sig) || held.has(sig) || sig < 1 || sig > NSIG) return;
  native.signalDisposition(sig, handler === SIG_DFL ? 0 : handler === SIG_IGN ? 1 : 2);
}

/** The host signal a host timer sends for the payload's `sig` (the guest signal comes from the
 * guest timer the host timer id names, so the number need not be the same). */
export function hostTimerSignal(sig: number): number {
  const own = NOT_MIRRORED.has(sig) || HOST_LIBC_SIGNALS.has(sig) || (sig === SIG.SIGPROF && PROFILING_KM);
  return own ? TIMER_CARRIER : sig;
}

/** A host timer will send `sig`: catch it from now on. */
export function holdHostSignal(sig: number): void {
  const n = held.get(sig) ?? 0;
  held.set(sig, n + 1);
  if (n === 0) native.signalDisposition(sig, 2);
}

/** A host timer that sent `sig` is gone: the disposition follows the payload's `handler` again. */
export function releaseHostSignal(sig: number, handler: number): void {
  const n = held.get(sig) ?? 0;
  if (n > 1) { held.set(sig, n - 1); return; }
  held.delete(sig);
  mirrorDisposition(sig, handler);
}

/** node runs km under its CPU or heap profiler (`node --cpu-prof bin/km.cjs ...`, for working on km itself):
 * SIGPROF stays node's, and km exits through node's teardown, which writes the profile */
export const PROFILING_KM = process.execArgv.some((a) => a.startsWith('--cpu-prof') || a.startsWith('--heap-prof') || a === '--prof');

/**
 * At start every standard signal the payload may be sent gets the host disposition of the payload's
 * (default) action: node installs handlers of its own (SIGUSR1 starts its inspector), which a
 * payload must never trigger. Real-time signals are left alone (km's kick signal is one).
 */
export function mirrorInitialDispositions(): void {
  for (let sig = 1; sig < 32; sig++) if (!(sig === SIG.SIGPROF && PROFILING_KM)) mirrorDisposition(sig, SIG_DFL);
}

/** Moves signals the host caught for the payload into its pending set. */
export function takeHostSignals(p: Process): boolean {
  const m = native.signalTake();
  if (m === 0n) return false;
  for (let s = 1; s <= NSIG; s++) {
    if (!(m & bit(s))) continue;
    const [code, pid, uid, value] = native.signalInfo(s);
    // an expiry of one of the monitor's host timers (si_timerid and si_overrun sit where si_pid
    // and si_uid do): the guest timer it backs queues its own signal. A stale one (its timer was
    // deleted meanwhile) is dropped.
    if (code === SI_TIMER) { hostTimerExpired(p, pid, uid); continue; }
    // SIGCHLD from a child km: its pid, uid and status (si_status sits where sigval does)
    const info = code === SI_QUEUE || (s === SIG.SIGCHLD && code > 0) ? { code, pid, uid, value } : code <= 0 ? { code, pid, uid } : { code };
    p.procSignals.raise(s, info);
  }
  return true;
}

function hostTimerExpired(p: Process, hostId: number, overrun: number): void {
  for (const t of p.timers.values()) if (t.hostId === hostId) { t.expire(overrun); return; }
}

/** Loads a user-mode context into the vCPU (dropping to CPL3 when it is in the exception entry or,
 * on hardware KVM, in the landing pad at CPL0). */
export function enterUser(h: VcpuHandle, regs: Regs): void {
  const s = h.vcpu.getSregs();
  if (s.dv.getUint8(SREGS_SEGMENT_OFFSET.cs + KvmSegment.fields.dpl[0]) !== 3) {
    s.setSegment('cs', USER_CS_SEGMENT);
    s.setSegment('ss', USER_DS_SEGMENT);
    h.vcpu.setSregs(s);
  }
  h.vcpu.setRegs(regs, true);
}

/** The user context at the end of a syscall: the vCPU sits in the landing pad, the mailbox holds
 * the caller's registers (guest/entry.S), rax is the result. The exit is completed first, so the
 * vCPU's registers can then be replaced. */
export function syscallContext(p: Process, h: VcpuHandle, result: number): Regs {
  h.vcpu.completePendingExit();
  return syscallContextRegs(p, h, result);
}

/** The same context without completing the exit (it reads only the mailbox): for copying it, not
 * for replacing it. */
export function syscallContextRegs(p: Process, h: VcpuHandle, result: number): Regs {
  // all from the mailbox (the landing pad saved every register there; no KVM_GET_REGS): the
  // arguments are the caller's rdi, rsi, rdx, r10, r8, r9; rcx and r11 are what `syscall` left
  const { mb } = h, at = p.machine.mailboxField;
  const u = (off: number): bigint => mb.getBigUint64(off, true);
  const rip = u(at.rip), rflags = u(at.rflags);
  return {
    rax: BigInt.asUintN(64, BigInt(result)), rbx: u(at.rbx), rcx: rip, rdx: u(at.args[2]!), rsi: u(at.args[1]!), rdi: u(at.args[0]!),
    rsp: u(at.rsp), rbp: u(at.rbp), r8: u(at.args[4]!), r9: u(at.args[5]!), r10: u(at.args[3]!), r11: rflags,
    r12: u(at.r12), r13: u(at.r13), r14: u(at.r14), r15: u(at.r15), rip, rflags,
  };
}

export function inGuestCode(rip: bigint): boolean { return rip >= BigInt(CODE_VA) && rip < BigInt(CODE_VA + CODE_SIZE); }

/** Where a vCPU stopped inside the landing pad's own rt_sigprocmask (guest/entry.S, between
 * sigmask_saved and sigmask_end: an interrupt or a fault on the set or oldset pointer) must go on:
 * sigmask_redo, which puts the mask back and takes the call to the monitor. null: not in there. */
export function padRewind(p: Process, rip: bigint | number): bigint | null {
  const m = p.machine, at = BigInt(rip);
  const from = BigInt(CODE_VA + m.sym('sigmask_saved')), to = BigInt(CODE_VA + m.sym('sigmask_end'));
  return at >= from && at < to ? BigInt(CODE_VA + m.sym('sigmask_redo')) : null;
}

/**
 * Delivers pending unblocked signals on top of `ctx` (the interrupted user context). Returns the
 * context to load, or null when nothing needed a handler (default actions were taken in place).
 */
export function deliverSignals(p: Process, h: VcpuHandle, ctx: Regs, fault?: FaultRegs): Regs | null {
  let regs: Regs | null = null;
  for (let next = p.signals.take(); next; next = p.signals.take()) {
    const { sig, info } = next;
    const act = p.signals.actions[sig]!;
    if (act.handler === SIG_IGN) continue;
    if (act.handler === SIG_DFL) { p.signals.defaultAction(sig); continue; }
    const cur = regs ?? ctx;
    // after sigsuspend/ppoll/pselect6 the frame saves the mask from before the call
    const oldMask = p.signals.savedMask ?? p.signals.blocked;
    p.signals.savedMask = null;
    const handlerRegs = pushSigframe(p, {
      sig, handler: act.handler, flags: act.flags, restorer: act.restorer, regs: cur,
      info,
      fault: regs ? undefined : fault,
      xsave: h.vcpu.getXsave(), xsaveSize: p.machine.cpu.xsaveSize, xcr0: p.machine.cpu.xcr0,
      oldMask, selectors: { cs: SEL.USER_CS, ss: SEL.USER_DS }, trampoline: p.machine.sigreturnTrampolineVa,
    });
    if (!handlerRegs) {
      // no room for the frame: Linux kills with SIGSEGV
      throw new PayloadKilled(SIG.SIGSEGV, `cannot write the ${sig} signal frame on the stack`);
    }
    p.signals.blocked = (oldMask | act.mask | (act.flags & SA.NODEFER ? 0n : bit(sig))) & ~UNBLOCKABLE;
    if (act.flags & SA.RESETHAND) { act.handler = SIG_DFL; mirrorDisposition(sig, SIG_DFL); }
    h.vcpu.setXsave(initialXsave());
    regs = handlerRegs;
  }
  return regs;
}

/**
 * Signal work at the end of a syscall `nr` that produced `result`. Returns true when the vCPU's
 * context was replaced (a handler runs next), false when the landing pad should return normally.
 */
export function signalsAfterSyscall(p: Process, h: VcpuHandle, nr: number, result: number): boolean {
  if (result === -E.EINTR) takeHostSignals(p);
  if (!p.signals.hasDeliverable) return false;
  let ctx = syscallContext(p, h, result);
  const restart = result === -E.EINTR && RESTARTABLE.has(nr);
  const first = p.signals.actions[lowestReady(p)]!;
  if (restart && (first.handler === SIG_DFL || first.handler === SIG_IGN || first.flags & SA.RESTART)) {
    ctx = { ...ctx, rip: ctx.rip - 2n, rax: BigInt(nr) };
  }
  const regs = deliverSignals(p, h, ctx);
  enterUser(h, regs ?? ctx);
  return true;
}

function lowestReady(p: Process): number {
  const ready = p.signals.pending & ~p.signals.blocked;
  for (let s = 1; s <= NSIG; s++) if (ready & bit(s)) return s;
  return 0;
}

/** After KVM_RUN was interrupted by a host signal: deliver at the current guest instruction. */
export function signalsAfterInterrupt(p: Process, h: VcpuHandle): void {
  takeHostSignals(p);
  if (!p.signals.hasDeliverable) return;
  let ctx: Regs = h.vcpu.getRegs();
  if (inGuestCode(ctx.rip)) {
    const redo = padRewind(p, ctx.rip);
    // in the landing pad's own rt_sigprocmask: the call goes to the monitor, which delivers at its end
    if (redo !== null) { h.vcpu.setRegs({ ...ctx, rip: redo }); return; }
    const ret = BigInt(CODE_VA + p.machine.sym('syscall_return')), end = BigInt(p.machine.sigreturnTrampolineVa);
    // on the way in, the vCPU is about to exit at the doorbell: deliver as that syscall ends (a call
    // the landing pad would answer itself sees the pending signal and exits too)
    if (ctx.rip < ret || ctx.rip >= end) return;
    // on the way back, the mailbox holds the whole user context: finish the return here
    ctx = syscallContext(p, h, p.mem.readI64(h.mailbox + p.machine.sym('MB_RET')));
  }
  const regs = deliverSignals(p, h, ctx);
  if (regs) enterUser(h, regs);
}

/** rt_sigreturn: restores the context saved by deliverSignals. */
export function sigreturn(p: Process): number {
  const h = p.vcpu;
  const cur = syscallContext(p, h, 0);
  const f = popSigframe(p, Number(cur.rsp), cur, p.machine.cpu.xsaveSize);
  if (!f) throw new PayloadKilled(SIG.SIGSEGV, 'rt_sigreturn with an unreadable signal frame');
  p.signals.blocked = f.mask & ~UNBLOCKABLE;
  if (f.xsave && h.vcpu.setXsave(f.xsave) < 0) throw new PayloadKilled(SIG.SIGSEGV, 'rt_sigreturn with a corrupt FPU state');
  const regs = p.signals.hasDeliverable ? deliverSignals(p, h, f.regs) ?? f.regs : f.regs;
  enterUser(h, regs);
  return CONTEXT_REPLACED;
}

