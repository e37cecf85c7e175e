// POSIX timers (kept by the monitor: src/km/timers.ts) and timerfd (host timerfds: the descriptor
// is the host's, so read and poll on it are ordinary host calls).
import { sys } from '../host/native.js';
import { SYS } from '../host/sysno.js';
import { E } from '../host/errno.js';
import { PosixTimer, checkSigevent, defaultSigevent, type Sigevent } from '../km/timers.js';
import type { Process } from '../km/process.js';
import { int, type SyscallDef } from './types.js';
import { EFAULT, EINVAL, hostFd, readTimespecNs } from './args.js';
import { CLOCK, clockNow } from './time.js';

const ITIMERSPEC = 32;
const TIMER_ABSTIME = 1;
const NS = 1_000_000_000n;
const TFD_CLOEXEC = 0o2000000, TFD_NONBLOCK = 0o4000;
/** clocks a monitor timer can follow */
const TIMER_CLOCKS = new Set<number>([CLOCK.REALTIME, CLOCK.MONOTONIC, CLOCK.BOOTTIME, CLOCK.TAI]);

function readClock(clock: number): bigint {
  const t = clockNow(clock);
  return typeof t === 'number' ? 0n : t;
}

/** struct itimerspec -> [interval ns, value ns], or -errno */
function readItimerspec(p: Process, ptr: number): [bigint, bigint] | number {
  const interval = readTimespecNs(p, ptr);
  if (typeof interval === 'number') return interval;
  const value = readTimespecNs(p, ptr + 16);
  if (typeof value === 'number') return value;
  return [interval, value];
}

function itimerspec(interval: bigint, value: bigint): Buffer {
  const b = Buffer.alloc(ITIMERSPEC);
  b.writeBigInt64LE(interval / NS, 0); b.writeBigInt64LE(interval % NS, 8);
  b.writeBigInt64LE(value / NS, 16); b.writeBigInt64LE(value % NS, 24);
  return b;
}

function timerCreate(p: Process, clock: number, sevp: number, idPtr: number): number {
  if (!TIMER_CLOCKS.has(clock)) return clock === CLOCK.PROCESS_CPUTIME_ID || clock === CLOCK.THREAD_CPUTIME_ID ? -E.EOPNOTSUPP : EINVAL;
  if (!p.as.canWrite(idPtr, 4)) return EFAULT;
  let id = 0;
  while (p.timers.has(id)) id++;
  let ev: Sigevent = defaultSigevent(id);
  if (sevp !== 0) {
    const b = p.readBytes(sevp, 64);
    if (!b) return EFAULT;
    const d = Buffer.from(b);
    // struct sigevent: sigval, signo, notify, then the thread id (SIGEV_THREAD_ID)
    ev = { value: Number(d.readBigUInt64LE(0)), signo: d.readInt32LE(8), notify: d.readInt32LE(12), tid: d.readInt32LE(16) };
    const r = checkSigevent(p, ev);
    if (r < 0) return r;
  }
  p.timers.set(id, new PosixTimer(p, id, clock, ev, readClock));
  p.writeU32(idPtr, id);
  return 0;
}

function timerOf(p: Process, id: number): PosixTimer | null { return p.timers.get(id) ?? null; }

function timerSettime(p: Process, id: number, flags: number, newPtr: number, oldPtr: number): number {
  const t = timerOf(p, id);
  if (!t) return EINVAL;
  const spec = readItimerspec(p, newPtr);
  if (typeof spec === 'number') return spec;
  if (oldPtr !== 0 && !p.writeBytes(oldPtr, itimerspec(t.interval, t.remaining()))) return EFAULT;
  t.set(spec[1], spec[0], (flags & TIMER_ABSTIME) !== 0);
  return 0;
}

export const timerSyscalls: SyscallDef[] = [
  { name: 'timer_create', status: 'emulated', args: ['clock', 'ptr', 'ptr'], handler: (p, a) => timerCreate(p, int(a[0]!), a[1]!, a[2]!),
    notes: 'kept by the monitor: SIGEV_SIGNAL, SIGEV_THREAD_ID, SIGEV_NONE; SI_TIMER with the sigval and overruns; REALTIME/MONOTONIC/BOOTTIME/TAI clocks (CPU-time clocks: ENOTSUP)' },
  { name: 'timer_settime', status: 'emulated', args: ['int', 'hex', 'ptr', 'ptr'], handler: (p, a) => timerSettime(p, int(a[0]!), int(a[1]!), a[2]!, a[3]!) },
  { name: 'timer_gettime', status: 'emulated', args: ['int', 'ptr'], handler: (p, a) => {
    const t = timerOf(p, int(a[0]!));
    if (!t) return EINVAL;
    return p.writeBytes(a[1]!, itimerspec(t.interval, t.remaining())) ? 0 : EFAULT;
  } },
  { name: 'timer_getoverrun', status: 'emulated', args: ['int'], handler: (p, a) => timerOf(p, int(a[0]!))?.lastOverrun ?? EINVAL },
  { name: 'timer_delete', status: 'emulated', args: ['int'], handler: (p, a) => {
    const t = timerOf(p, int(a[0]!));
    if (!t) return EINVAL;
    t.delete();
    p.timers.delete(t.id);
    return 0;
  } },
  { name: 'timerfd_create', status: 'passthrough', args: ['clock', 'hex'], handler: (p, a) => {
    const flags = int(a[1]!);
    if (flags & ~(TFD_CLOEXEC | TFD_NONBLOCK)) return EINVAL;
    const h = sys(SYS.timerfd_create, a[0]!, flags | TFD_CLOEXEC);
    return h < 0 ? h : p.fds.alloc(h, (flags & TFD_CLOEXEC) !== 0);
  }, notes: 'a host timerfd' },
  { name: 'timerfd_settime', status: 'passthrough', args: ['fd', 'hex', 'ptr', 'ptr'], handler: (p, a) => {
    const h = hostFd(p, a[0]!);
    if (h < 0) return -E.EBADF;
    const n = p.hostPtr(a[2]!, ITIMERSPEC), o = p.hostPtrOpt(a[3]!, ITIMERSPEC);
    return n < 0 || o < 0 ? EFAULT : sys(SYS.timerfd_settime, h, a[1]!, n, o);
  } },
  { name: 'timerfd_gettime', status: 'passthrough', args: ['fd', 'ptr'], handler: (p, a) => {
    const h = hostFd(p, a[0]!);
    if (h < 0) return -E.EBADF;
    const b = p.hostPtr(a[1]!, ITIMERSPEC);
    return b < 0 ? EFAULT : sys(SYS.timerfd_gettime, h, b);
  } },
];
