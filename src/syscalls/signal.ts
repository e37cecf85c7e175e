// Signal dispositions and masks (recorded), and signals the payload sends to itself.
import { sys } from '../host/native.js';
import { SYS } from '../host/sysno.js';
import { E } from '../host/errno.js';
import { NSIG, SIG } from '../host/signals.js';
import { UNBLOCKABLE } from '../km/signals.js';
import { mirrorDisposition, sigreturn } from '../km/deliver.js';
import type { Process } from '../km/process.js';
import { Park, type Thread } from '../km/thread.js';
import type { PendingInfo } from '../km/signals.js';
import { encodeSiginfo } from '../km/sigframe.js';
import { int, type SyscallDef } from './types.js';
import { EFAULT, EINVAL, readTimespecNs } from './args.js';
import { monitorNow } from '../host/clock.js';
import { hostProcText, hostReadlink } from '../km/procfiles.js';
import { isOwnTask } from './process.js';

const SIGSET_SIZE = 8;
const SI_USER = 0, SI_TKILL = -6;
const SA_SIZE = 32;
const SS_ONSTACK = 1, SS_DISABLE = 2, SS_AUTODISARM = 1 << 31;
const MINSIGSTKSZ = 2048;

function validSig(sig: number): boolean { return sig >= 1 && sig <= NSIG; }

function readSet(p: Process, ptr: number): bigint | null {
  const b = p.readBytes(ptr, SIGSET_SIZE);
  return b ? Buffer.from(b).readBigUInt64LE(0) : null;
}
function writeSet(p: Process, ptr: number, v: bigint): boolean {
  const b = Buffer.alloc(8); b.writeBigUInt64LE(v); return p.writeBytes(ptr, b);
}

function rtSigaction(p: Process, sig: number, act: number, oact: number, size: number): number {
  if (size !== SIGSET_SIZE || !validSig(sig)) return EINVAL;
  let next = null;
  if (act !== 0) {
    if (sig === SIG.SIGKILL || sig === SIG.SIGSTOP) return EINVAL;
    const b = p.readBytes(act, SA_SIZE);
    if (!b) return EFAULT;
    const d = Buffer.from(b);
    next = { handler: Number(d.readBigUInt64LE(0)), flags: Number(d.readBigUInt64LE(8) & 0xffffffffn), restorer: Number(d.readBigUInt64LE(16)), mask: d.readBigUInt64LE(24) & ~UNBLOCKABLE };
  }
  if (oact !== 0) {
    const cur = p.signals.actions[sig]!;
    const o = Buffer.alloc(SA_SIZE);
    o.writeBigUInt64LE(BigInt(cur.handler), 0); o.writeBigUInt64LE(BigInt(cur.flags), 8);
    o.writeBigUInt64LE(BigInt(cur.restorer), 16); o.writeBigUInt64LE(cur.mask, 24);
    if (!p.writeBytes(oact, o)) return EFAULT;
  }
  if (next) { p.signals.actions[sig] = next; p.signals.discardIgnored(sig); mirrorDisposition(sig, next.handler); }
  return 0;
}

function rtSigprocmask(p: Process, how: number, set: number, oset: number, size: number): number {
  if (size !== SIGSET_SIZE) return EINVAL;
  const s = p.signals;
  let v: bigint | null = null;
  if (set !== 0) {
    v = readSet(p, set);
    if (v === null) return EFAULT;
    if (how < 0 || how > 2) return EINVAL;
  }
  const old = s.blocked;
  if (v !== null) {
    if (how === 0) s.blocked |= v;
    else if (how === 1) s.blocked &= ~v;
    else s.blocked = v;
    s.blocked &= ~UNBLOCKABLE; // newly unblocked pending signals are delivered as the syscall ends
    p.sched.notify(); // process-directed signals this thread now blocks may suit another
  }
  // after the change, as Linux: an old set it cannot write fails the call with the new mask in place
  return oset !== 0 && !writeSet(p, oset, old) ? EFAULT : 0;
}

function sigaltstack(p: Process, ss: number, old: number): number {
  const s = p.signals;
  if (old !== 0) {
    const b = Buffer.alloc(24);
    const alt = s.altstack;
    const sp = p.mem.readU64(p.vcpu.mailbox + p.machine.sym('MB_RSP'));
    const on = alt.flags !== SS_DISABLE && alt.size > 0 && sp > alt.sp && sp <= alt.sp + alt.size;
    b.writeBigUInt64LE(BigInt(alt.sp), 0); b.writeInt32LE(on ? SS_ONSTACK : alt.flags, 8); b.writeBigUInt64LE(BigInt(alt.size), 16);
    if (!p.writeBytes(old, b)) return EFAULT;
  }
  if (ss !== 0) {
    // the stack in use cannot be changed
    const cur = p.mem.readU64(p.vcpu.mailbox + p.machine.sym('MB_RSP'));
    if (s.altstack.flags !== SS_DISABLE && s.altstack.size > 0 && cur > s.altstack.sp && cur <= s.altstack.sp + s.altstack.size) return -E.EPERM;
    const b = p.readBytes(ss, 24);
    if (!b) return EFAULT;
    const d = Buffer.from(b);
    const flags = d.readInt32LE(8), sp = Number(d.readBigUInt64LE(0)), size = Number(d.readBigUInt64LE(16));
    const mode = flags & ~SS_AUTODISARM;
    if (mode !== 0 && mode !== SS_DISABLE && mode !== SS_ONSTACK) return EINVAL;
    if (mode === SS_DISABLE) s.altstack = { sp: 0, flags: SS_DISABLE, size: 0 };
    else {
      if (size < MINSIGSTKSZ) return -E.ENOMEM;
      s.altstack = { sp, flags: flags & SS_AUTODISARM, size };
    }
  }
  return 0;
}

/** Reads a guest timespec as milliseconds; null pointer: Infinity. */
function readTimeoutMs(p: Process, ptr: number): number {
  if (ptr === 0) return Infinity;
  const ns = readTimespecNs(p, ptr);
  return typeof ns === 'number' ? ns : Number(ns) / 1e6;
}

/** kill/tkill/tgkill/rt_sigqueueinfo: to the whole payload, to one of its threads, or (other
 * pids) to the host */
function sendSignal(p: Process, target: 'process' | Thread, sig: number, info: PendingInfo): number {
  if (sig !== 0) {
    if (target === 'process') p.procSignals.raise(sig, info);
    else target.sig.raise(sig, info);
    p.sched.notify();
  }
  return 0;
}

function userInfo(p: Process, code: number): PendingInfo { return { code, pid: p.pid, uid: sys(SYS.getuid) }; }

function threadOf(p: Process, tgid: number, tid: number): Thread | number {
  if (tid <= 0 || (tgid !== -1 && tgid <= 0)) return EINVAL;
  if (tgid !== -1 && tgid !== p.pid) return -E.ESRCH;
  return p.threads.get(tid) ?? -E.ESRCH;
}

/** The process a pidfd or a /proc/<pid> directory descriptor (guest fd g) refers to, from the
 * host's view of the descriptor behind it: -1 once that process is reaped, -EBADF for any other fd. */
function pidfdTarget(p: Process, g: number): number {
  const h = p.fds.get(g);
  if (h < 0 || p.fds.object(g)) return -E.EBADF;
  const link = hostReadlink(`/proc/self/fd/${h}`);
  if (link === 'anon_inode:[pidfd]') {
    const m = /^Pid:\s*(-?\d+)$/m.exec(hostProcText(`fdinfo/${h}`));
    return m ? Number(m[1]) : -E.EBADF;
  }
  const d = link === null ? null : /^\/proc\/(\d+)$/.exec(link);
  return d ? Number(d[1]) : -E.EBADF;
}

/** pidfd_send_signal: to the payload itself as kill() to itself (or rt_sigqueueinfo with `info`);
 * to another process (a child is a host process: its km) by the host, through the same descriptor */
function pidfdSendSignal(p: Process, fd: number, sig: number, infoPtr: number, flags: number): number {
  if (flags !== 0) return EINVAL;
  const target = pidfdTarget(p, fd);
  if (target < 0 && target !== -1) return target;
  if (target !== p.pid) {
    const info = p.hostPtrOpt(infoPtr, 128);
    return info < 0 ? EFAULT : sys(SYS.pidfd_send_signal, p.fds.get(fd), sig, info, flags);
  }
  if (sig < 0 || sig > NSIG) return EINVAL;
  if (infoPtr === 0) return sendSignal(p, 'process', sig, userInfo(p, SI_USER));
  const info = queuedInfo(p, infoPtr, true);
  if (typeof info === 'number') return info;
  if (new DataView(info.raw!.buffer).getInt32(0, true) !== sig) return EINVAL;
  return sendSignal(p, 'process', sig, info);
}

/** the siginfo a process queues with rt_(tg)sigqueueinfo (it may not pose as the kernel) */
function queuedInfo(p: Process, ptr: number, self: boolean): PendingInfo | number {
  const b = p.readBytes(ptr, 128);
  if (!b) return EFAULT;
  const raw = Uint8Array.from(b);
  const code = new DataView(raw.buffer).getInt32(8, true);
  if (!self && (code >= 0 || code === SI_TKILL)) return -E.EPERM;
  return { code, raw };
}

/** rt_sigtimedwait: takes a pending signal of `set`, waiting up to `timeout` */
function sigtimedwait(p: Process, setPtr: number, infoPtr: number, timeoutPtr: number, size: number): number | Park {
  if (size !== SIGSET_SIZE) return EINVAL;
  const set0 = readSet(p, setPtr);
  if (set0 === null) return EFAULT;
  const set = set0 & ~UNBLOCKABLE;
  const ms = readTimeoutMs(p, timeoutPtr);
  if (ms < 0) return ms;
  if (infoPtr !== 0 && !p.as.canWrite(infoPtr, 128)) return EFAULT;
  const s = p.signals;
  const tryTake = (): number | null => {
    const got = s.take(set);
    if (got) {
      if (infoPtr !== 0) p.writeBytes(infoPtr, encodeSiginfo(got.sig, got.info));
      return got.sig;
    }
    return s.hasDeliverable ? -E.EINTR : null;
  };
  const now = tryTake();
  if (now !== null) return now;
  if (ms === 0) return -E.EAGAIN;
  // while it waits, the set is unblocked so that process-directed signals are routed to it
  s.savedMask = s.blocked;
  s.blocked &= ~set;
  return new Park(tryTake, monitorNow() + ms, () => -E.EAGAIN);
}

/** rt_sigsuspend and pause: wait, with a temporary mask, until a signal is delivered */
function suspend(p: Process, mask: bigint | null): number | Park {
  const s = p.signals;
  if (mask !== null) { s.savedMask = s.blocked; s.blocked = mask & ~UNBLOCKABLE; }
  return new Park(() => (s.hasDeliverable ? -E.EINTR : null));
}

export const signalSyscalls: SyscallDef[] = [
  { name: 'rt_sigaction', status: 'emulated', args: ['signal', 'ptr', 'ptr', 'size'], handler: (p, a) => rtSigaction(p, int(a[0]!), a[1]!, a[2]!, a[3]!), notes: 'handlers run on a Linux signal frame; SA_SIGINFO, SA_ONSTACK, SA_RESTART, SA_RESETHAND, SA_NODEFER, SA_RESTORER; the host disposition follows the payload\'s' },
  { name: 'rt_sigreturn', status: 'emulated', args: [], handler: (p) => sigreturn(p) },
  { name: 'rt_sigprocmask', status: 'emulated', args: ['int', 'ptr', 'ptr', 'size'], handler: (p, a) => rtSigprocmask(p, int(a[0]!), a[1]!, a[2]!, a[3]!), fast: 'sigmask', notes: 'per thread' },
  { name: 'rt_sigpending', status: 'emulated', args: ['ptr', 'size'], handler: (p, a) => (a[1]! > SIGSET_SIZE ? EINVAL : writeSet(p, a[0]!, p.signals.pending & p.signals.blocked) ? 0 : EFAULT), notes: 'thread and process pending signals' },
  { name: 'rt_sigsuspend', status: 'emulated', args: ['ptr', 'size'], handler: (p, a) => {
    if (a[1]! !== SIGSET_SIZE) return EINVAL;
    const m = readSet(p, a[0]!);
    return m === null ? EFAULT : suspend(p, m);
  } },
  { name: 'pause', status: 'emulated', args: [], handler: (p) => suspend(p, null) },
  { name: 'rt_sigtimedwait', status: 'emulated', args: ['ptr', 'ptr', 'ptr', 'size'], handler: (p, a) => sigtimedwait(p, a[0]!, a[1]!, a[2]!, a[3]!) },
  { name: 'sigaltstack', status: 'emulated', args: ['ptr', 'ptr'], handler: (p, a) => sigaltstack(p, a[0]!, a[1]!) },
  { name: 'kill', status: 'partial', args: ['int', 'signal'], handler: (p, a) => {
    const pid = int(a[0]!), sig = int(a[1]!);
    if (sig < 0 || sig > NSIG) return EINVAL;
    // a thread id of the payload names its process, as on Linux (thread ids are the monitor's own
    // numbers: the host would take them for other processes)
    if (pid === -1 || isOwnTask(p, pid)) return sendSignal(p, 'process', sig, userInfo(p, SI_USER));
    return sys(SYS.kill, pid, sig);
  }, notes: 'to itself (or one of its thread ids): process-directed, default actions as Linux; other pids: host kill' },
  { name: 'pidfd_send_signal', status: 'partial', args: ['fd', 'signal', 'ptr', 'hex'], handler: (p, a) => pidfdSendSignal(p, int(a[0]!), int(a[1]!), a[2]!, int(a[3]!)),
    notes: 'to itself: as kill or rt_sigqueueinfo; to other processes: host; flags (6.9+) refused (EINVAL)' },
  { name: 'tkill', status: 'emulated', args: ['int', 'signal'], handler: (p, a) => {
    const sig = int(a[1]!);
    if (sig < 0 || sig > NSIG) return EINVAL;
    const t = threadOf(p, -1, int(a[0]!));
    return typeof t === 'number' ? t : sendSignal(p, t, sig, userInfo(p, SI_TKILL));
  } },
  { name: 'tgkill', status: 'emulated', args: ['int', 'int', 'signal'], handler: (p, a) => {
    const sig = int(a[2]!);
    if (sig < 0 || sig > NSIG) return EINVAL;
    const t = threadOf(p, int(a[0]!), int(a[1]!));
    return typeof t === 'number' ? t : sendSignal(p, t, sig, userInfo(p, SI_TKILL));
  } },
  { name: 'rt_sigqueueinfo', status: 'partial', args: ['int', 'signal', 'ptr'], handler: (p, a) => {
    const pid = int(a[0]!), sig = int(a[1]!);
    if (sig < 0 || sig > NSIG) return EINVAL;
    if (pid !== p.pid && !p.threads.has(pid)) { const b = p.hostPtr(a[2]!, 128); return b < 0 ? EFAULT : sys(SYS.rt_sigqueueinfo, pid, sig, b); }
    const info = queuedInfo(p, a[2]!, true);
    return typeof info === 'number' ? info : sendSignal(p, 'process', sig, info);
  }, notes: 'to itself: queued with its siginfo; other pids: host' },
  { name: 'rt_tgsigqueueinfo', status: 'emulated', args: ['int', 'int', 'signal', 'ptr'], handler: (p, a) => {
    const sig = int(a[2]!);
    if (sig < 0 || sig > NSIG) return EINVAL;
    const t = threadOf(p, int(a[0]!), int(a[1]!));
    if (typeof t === 'number') return t;
    const info = queuedInfo(p, a[3]!, true);
    return typeof info === 'number' ? info : sendSignal(p, t, sig, info);
  } },
];
