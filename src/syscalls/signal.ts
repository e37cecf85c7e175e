// Signal dispositions and masks (recorded), and signals the payload sends to itself.
import { sys } from '../host/native.js';
import { SYS } from '../host/sysno.js';
import { E } from '../host/errno.js';
import { NSIG, SIG } from '../host/signals.js';
import { UNBLOCKABLE } from '../km/signals.js';
import { mirrorDisposition, sigreturn } from '../km/deliver.js';
import type { Process } from '../km/process.js';
import { int, type SyscallDef } from './types.js';
import { EFAULT, EINVAL } from './args.js';

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
  if (oset !== 0 && !writeSet(p, oset, s.blocked)) return EFAULT;
  if (v !== null) {
    if (how === 0) s.blocked |= v;
    else if (how === 1) s.blocked &= ~v;
    else s.blocked = v;
    s.blocked &= ~UNBLOCKABLE; // newly unblocked pending signals are delivered as the syscall ends
  }
  return 0;
}

function sigaltstack(p: Process, ss: number, old: number): number {
  const s = p.signals;
  if (old !== 0) {
    const b = Buffer.alloc(24);
    b.writeBigUInt64LE(BigInt(s.altstack.sp), 0); b.writeInt32LE(s.altstack.flags, 8); b.writeBigUInt64LE(BigInt(s.altstack.size), 16);
    if (!p.writeBytes(old, b)) return EFAULT;
  }
  if (ss !== 0) {
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

/** kill/tkill/tgkill: to the payload itself, or (other pids) to the host */
function sendSignal(p: Process, target: 'self' | number, sig: number, code = SI_USER): number {
  if (sig < 0 || sig > NSIG) return EINVAL;
  if (target !== 'self') return sys(SYS.kill, target, sig);
  if (sig !== 0) p.signals.raise(sig, { code, pid: p.pid, uid: sys(SYS.getuid) });
  return 0;
}

export const signalSyscalls: SyscallDef[] = [
  { name: 'rt_sigaction', status: 'emulated', args: ['signal', 'ptr', 'ptr', 'size'], handler: (p, a) => rtSigaction(p, int(a[0]!), a[1]!, a[2]!, a[3]!), notes: 'handlers run on a Linux signal frame; SA_SIGINFO, SA_ONSTACK, SA_RESTART, SA_RESETHAND, SA_NODEFER, SA_RESTORER; the host disposition follows the payload\'s' },
  { name: 'rt_sigreturn', status: 'emulated', args: [], handler: (p) => sigreturn(p) },
  { name: 'rt_sigprocmask', status: 'emulated', args: ['int', 'ptr', 'ptr', 'size'], handler: (p, a) => rtSigprocmask(p, int(a[0]!), a[1]!, a[2]!, a[3]!) },
  { name: 'rt_sigpending', status: 'emulated', args: ['ptr', 'size'], handler: (p, a) => (a[1]! > SIGSET_SIZE ? EINVAL : writeSet(p, a[0]!, p.signals.pending & p.signals.blocked) ? 0 : EFAULT) },
  { name: 'sigaltstack', status: 'emulated', args: ['ptr', 'ptr'], handler: (p, a) => sigaltstack(p, a[0]!, a[1]!) },
  { name: 'kill', status: 'partial', args: ['int', 'signal'], handler: (p, a) => {
    const pid = int(a[0]!);
    return sendSignal(p, pid === 0 || pid === p.pid || pid === -1 ? 'self' : pid, int(a[1]!));
  }, notes: 'to itself: default actions as Linux; other pids: host kill' },
  { name: 'tkill', status: 'partial', args: ['int', 'signal'], handler: (p, a) => (int(a[0]!) === p.tid ? sendSignal(p, 'self', int(a[1]!), SI_TKILL) : -E.ESRCH) },
  { name: 'tgkill', status: 'partial', args: ['int', 'int', 'signal'], handler: (p, a) => (int(a[0]!) === p.pid && int(a[1]!) === p.tid ? sendSignal(p, 'self', int(a[2]!), SI_TKILL) : -E.ESRCH) },
];
