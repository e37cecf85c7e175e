// signalfd: a descriptor that reads the payload's pending signals. Guest signals live in the
// monitor (src/km/signals.ts), not in the host kernel, so a host signalfd would see nothing. The
// guest descriptor is a dup of a host eventfd instead, which the monitor keeps readable exactly
// while a signal of the mask is pending (so poll, select and epoll work on it unchanged); read()
// on it is served here and dequeues pending signals as struct signalfd_siginfo records.
import { sys } from '../host/native.js';
import { SYS } from '../host/sysno.js';
import { E } from '../host/errno.js';
import { SIG } from '../host/signals.js';
import { F, type FdObject, type GuestSeg } from '../km/fdtable.js';
import { UNBLOCKABLE, type PendingInfo, type ProcessSignals, type ThreadSignals } from '../km/signals.js';
import { encodeSiginfo, Siginfo, SI } from '../km/sigframe.js';
import { Park } from '../km/thread.js';
import type { Process } from '../km/process.js';
import { defineLayout, getU64, setU64 } from '../util/struct.js';
import { int, type SyscallDef } from './types.js';
import { EBADF, EFAULT, EINVAL, addr } from './args.js';

const SFD_CLOEXEC = 0o2000000, SFD_NONBLOCK = 0o4000;
const EFD_CLOEXEC = 0o2000000, EFD_NONBLOCK = 0o4000;
const O_NONBLOCK = 0o4000;
const SIGSET_SIZE = 8;
const SI_TIMER = -2, SI_SIGIO = -5;
const POLLIN = 1;

/** struct signalfd_siginfo (128 bytes) */
export const SignalfdSiginfo = defineLayout(128, {
  ssi_signo: [0, 'u32'], ssi_errno: [4, 'i32'], ssi_code: [8, 'i32'], ssi_pid: [12, 'u32'], ssi_uid: [16, 'u32'],
  ssi_fd: [20, 'i32'], ssi_tid: [24, 'u32'], ssi_band: [28, 'u32'], ssi_overrun: [32, 'u32'], ssi_trapno: [36, 'u32'],
  ssi_status: [40, 'i32'], ssi_int: [44, 'i32'], ssi_ptr: [48, 'u64'], ssi_utime: [56, 'u64'], ssi_stime: [64, 'u64'],
  ssi_addr: [72, 'u64'], ssi_addr_lsb: [80, 'u16'], ssi_syscall: [84, 'i32'], ssi_call_addr: [88, 'u64'], ssi_arch: [96, 'u32'],
} as const);
/** siginfo_t union members signalfd copies that Siginfo (sigframe.ts) does not name */
const SI_EXTRA = { band: 16, fd: 24, status: 24, utime: 32, stime: 40, call_addr: 16, syscall: 24, arch: 28 } as const;

const FAULTS = new Set<number>([SIG.SIGILL, SIG.SIGFPE, SIG.SIGSEGV, SIG.SIGBUS, SIG.SIGTRAP]);

/** which union member of siginfo_t is valid, as the kernel's siginfo_layout() decides */
function layout(sig: number, code: number): 'kill' | 'timer' | 'poll' | 'fault' | 'chld' | 'rt' | 'sys' {
  if (code === SI.KERNEL) return 'kill';
  if (code > 0) {
    if (FAULTS.has(sig)) return 'fault';
    if (sig === SIG.SIGCHLD) return 'chld';
    if (sig === SIG.SIGIO) return 'poll';
    if (sig === SIG.SIGSYS) return 'sys';
    return 'kill';
  }
  if (code === SI_TIMER) return 'timer';
  if (code === SI_SIGIO) return 'poll';
  return code < 0 ? 'rt' : 'kill';
}

/** the record read() returns for one dequeued signal (the kernel's signalfd_copyinfo) */
export function encodeSignalfdSiginfo(sig: number, info: PendingInfo): Buffer {
  const si = encodeSiginfo(sig, info);
  const s = new DataView(si.buffer, si.byteOffset, si.byteLength);
  const out = Buffer.alloc(SignalfdSiginfo.size);
  const d = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const f = SignalfdSiginfo.fields, g = Siginfo.fields;
  const code = s.getInt32(g.si_code[0], true);
  d.setUint32(f.ssi_signo[0], sig, true);
  d.setInt32(f.ssi_errno[0], s.getInt32(g.si_errno[0], true), true);
  d.setInt32(f.ssi_code[0], code, true);
  const pidUid = () => {
    d.setUint32(f.ssi_pid[0], s.getUint32(g.si_pid[0], true), true);
    d.setUint32(f.ssi_uid[0], s.getUint32(g.si_uid[0], true), true);
  };
  const value = () => {
    setU64(d, f.ssi_ptr[0], getU64(s, g.si_value[0]));
    d.setInt32(f.ssi_int[0], s.getInt32(g.si_value[0], true), true);
  };
  switch (layout(sig, code)) {
    case 'kill': pidUid(); break;
    case 'rt': pidUid(); value(); break;
    case 'timer':
      d.setUint32(f.ssi_tid[0], s.getUint32(g.si_timerid[0], true), true);
      d.setUint32(f.ssi_overrun[0], s.getUint32(g.si_overrun[0], true), true);
      value();
      break;
    case 'poll':
      d.setUint32(f.ssi_band[0], s.getUint32(SI_EXTRA.band, true), true);
      d.setInt32(f.ssi_fd[0], s.getInt32(SI_EXTRA.fd, true), true);
      break;
    case 'fault': setU64(d, f.ssi_addr[0], getU64(s, g.si_addr[0])); break;
    case 'chld':
      pidUid();
      d.setInt32(f.ssi_status[0], s.getInt32(SI_EXTRA.status, true), true);
      setU64(d, f.ssi_utime[0], getU64(s, SI_EXTRA.utime));
      setU64(d, f.ssi_stime[0], getU64(s, SI_EXTRA.stime));
      break;
    case 'sys':
      setU64(d, f.ssi_call_addr[0], getU64(s, SI_EXTRA.call_addr));
      d.setInt32(f.ssi_syscall[0], s.getInt32(SI_EXTRA.syscall, true), true);
      d.setUint32(f.ssi_arch[0], s.getUint32(SI_EXTRA.arch, true), true);
      break;
  }
  return out;
}

/** the signalfds of each payload, refreshed whenever its pending signals change */
const registry = new WeakMap<ProcessSignals, Set<SignalFd>>();

class SignalFd implements FdObject {
  refs = 0;
  readonly link = 'anon_inode:[signalfd]';
  /** whether the monitor made the eventfd readable (its counter is 1) */
  private readable = false;
  private readonly one = Buffer.alloc(8);

  /** `efd`: the monitor's own descriptor of the eventfd; `owner`: the creating thread, whose
   * thread-directed signals count for readiness along with the process's */
  constructor(private readonly p: Process, public mask: bigint, private readonly efd: number, private readonly owner: ThreadSignals) {
    this.one.writeBigUInt64LE(1n);
  }

  /** Makes the eventfd's readiness match "a signal of the mask is pending". */
  refresh(): void {
    const proc = this.p.procSignals;
    const own = proc.threads.has(this.owner) ? this.owner.own.mask : 0n;
    const ready = ((proc.shared.mask | own) & this.mask) !== 0n;
    if (ready === this.readable) return;
    if (ready) {
      sys(SYS.write, this.efd, addr(this.one), 8);
    } else {
      // drain without ever blocking the monitor (the guest's own flags may make it blocking)
      const pfd = Buffer.alloc(8), ts = Buffer.alloc(16), val = Buffer.alloc(8);
      pfd.writeInt32LE(this.efd, 0); pfd.writeInt16LE(POLLIN, 4);
      if (sys(SYS.ppoll, addr(pfd), 1, addr(ts), 0, 8) > 0) sys(SYS.read, this.efd, addr(val), 8);
    }
    this.readable = ready;
  }

  release(): void {
    sys(SYS.close, this.efd);
    registry.get(this.p.procSignals)?.delete(this);
  }

  /** read(2)/readv(2): as many records as fit and are pending; waits for the first unless
   * nonblocking */
  read(segs: readonly GuestSeg[]): number | Park {
    const total = segs.reduce((n, g) => n + g.len, 0);
    const n = Math.floor(total / SignalfdSiginfo.size);
    if (n <= 0) return EINVAL;
    for (const g of segs) if (g.len > 0 && !this.p.as.canWrite(g.ptr, g.len)) return EFAULT;
    const take = (): number => {
      const recs: Buffer[] = [];
      for (let t = this.p.signals.take(this.mask); t; t = recs.length < n ? this.p.signals.take(this.mask) : null) {
        recs.push(encodeSignalfdSiginfo(t.sig, t.info));
      }
      scatter(this.p, segs, Buffer.concat(recs));
      return recs.length * SignalfdSiginfo.size;
    };
    const now = take();
    if (now > 0) return now;
    // O_NONBLOCK belongs to the open file description the guest's descriptor shares with efd
    const fl = sys(SYS.fcntl, this.efd, F.GETFL);
    if (fl >= 0 && fl & O_NONBLOCK) return -E.EAGAIN;
    const s = this.p.signals;
    return new Park(() => {
      const r = take();
      if (r > 0) return r;
      return s.hasDeliverable ? -E.EINTR : null;
    });
  }
}

/** copies data across guest buffers in order (they were checked writable) */
function scatter(p: Process, segs: readonly GuestSeg[], data: Buffer): void {
  let off = 0;
  for (const g of segs) {
    if (off >= data.length) break;
    const part = data.subarray(off, off + g.len);
    p.writeBytes(g.ptr, part);
    off += part.length;
  }
}

function watch(p: Process, sfd: SignalFd): void {
  const proc = p.procSignals;
  let set = registry.get(proc);
  if (!set) {
    const all = set = new Set();
    registry.set(proc, all);
    proc.watcher = () => { for (const s of all) s.refresh(); };
  }
  set.add(sfd);
}

function signalfd4(p: Process, fd: number, maskPtr: number, size: number, flags: number): number {
  if (flags & ~(SFD_CLOEXEC | SFD_NONBLOCK)) return EINVAL;
  if (size !== SIGSET_SIZE) return EINVAL;
  const b = p.readBytes(maskPtr, SIGSET_SIZE);
  if (!b) return EFAULT;
  const mask = Buffer.from(b).readBigUInt64LE(0) & ~UNBLOCKABLE;
  if (fd !== -1) {
    if (!p.fds.isOpen(fd)) return EBADF;
    const o = p.fds.object(fd);
    if (!(o instanceof SignalFd)) return EINVAL;
    o.mask = mask;
    o.refresh();
    return fd;
  }
  const efd = sys(SYS.eventfd2, 0, EFD_CLOEXEC | (flags & SFD_NONBLOCK ? EFD_NONBLOCK : 0));
  if (efd < 0) return efd;
  const dup = sys(SYS.fcntl, efd, F.DUPFD_CLOEXEC, 3);
  if (dup < 0) { sys(SYS.close, efd); return dup; }
  const sfd = new SignalFd(p, mask, efd, p.signals);
  const g = p.fds.alloc(dup, (flags & SFD_CLOEXEC) !== 0, 0, sfd);
  if (g < 0) { sys(SYS.close, efd); return g; }
  watch(p, sfd);
  sfd.refresh();
  return g;
}

export const signalfdSyscalls: SyscallDef[] = [
  { name: 'signalfd', status: 'emulated', args: ['fd', 'ptr', 'size'], ret: 'fd', handler: (p, a) => signalfd4(p, int(a[0]!), a[1]!, a[2]!, 0) },
  { name: 'signalfd4', status: 'emulated', args: ['fd', 'ptr', 'size', 'oflags'], ret: 'fd', handler: (p, a) => signalfd4(p, int(a[0]!), a[1]!, a[2]!, int(a[3]!)),
    notes: 'reads the monitor\'s pending signals (the thread\'s, then the process\'s) as signalfd_siginfo records; the descriptor is a host eventfd kept readable while a signal of the mask is pending, so poll/select/epoll work; readiness counts the creating thread\'s thread-directed signals; read and readv; pread/pwrite ESPIPE, write and the other transfers EINVAL' },
];
