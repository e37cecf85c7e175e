// POSIX timers (src/km/timers.ts: kept by the monitor, or host timers for CPU-time clocks) and
// timerfd (host timerfds: the descriptor is the host's, so read and poll on it are ordinary host
// calls).
import { sys } from '../host/native.js';
import { SYS } from '../host/sysno.js';
import { E } from '../host/errno.js';
import { ITIMERSPEC, PosixTimer, SIGEVENT, TIMER_ABSTIME, checkSigevent, defaultSigevent, itimerspecBytes, parseSigevent,
  type GuestTimer, type Itimer, type Sigevent } from '../km/timers.js';
import { CpuTimer } from '../km/cputimers.js';
import { Park } from '../km/thread.js';
import type { Process } from '../km/process.js';
import { int, type SyscallDef } from './types.js';
import { EFAULT, EINVAL, hostFd, readTimespecNs } from './args.js';
import { CLOCK, clockNow, cpuClockThread, hostClockId, isCpuClock } from './time.js';

const NOTES = 'SIGEV_SIGNAL, SIGEV_THREAD_ID, SIGEV_NONE; SI_TIMER with the timer\'s id, sigval and overruns. '
  + 'REALTIME/MONOTONIC/BOOTTIME/TAI: kept by the monitor. CPU-time clocks (process, thread, clock_getcpuclockid, '
  + 'pthread_getcpuclockid): a host POSIX timer on the matching host clock (a thread\'s is that of the host thread running its '
  + 'vCPU; its timers stop when the thread ends, as on Linux), whose host signal the monitor turns into the guest timer\'s; '
  + 'two of them with the same signal expiring before the monitor takes the first count as one expiry. MONOTONIC_RAW and the COARSE clocks: EOPNOTSUPP; other clocks: EINVAL';
const TFD_CLOEXEC = 0o2000000, TFD_NONBLOCK = 0o4000;
/** clocks a monitor timer can follow */
const TIMER_CLOCKS = new Set<number>([CLOCK.REALTIME, CLOCK.MONOTONIC, CLOCK.BOOTTIME, CLOCK.TAI]);
/** clocks that can be read but carry no timers (Linux: EOPNOTSUPP) */
const NO_TIMERS = new Set<number>([CLOCK.MONOTONIC_RAW, CLOCK.REALTIME_COARSE, CLOCK.MONOTONIC_COARSE]);

function readClock(clock: number): bigint {
  const t = clockNow(clock);
  return typeof t === 'number' ? 0n : t;
}

/** a guest struct itimerspec, or -errno */
function readItimerspec(p: Process, ptr: number): Itimer | number {
  const interval = readTimespecNs(p, ptr + ITIMERSPEC.fields.intervalSec[0]);
  if (typeof interval === 'number') return interval;
  const value = readTimespecNs(p, ptr + ITIMERSPEC.fields.valueSec[0]);
  if (typeof value === 'number') return value;
  return { interval, value };
}

/** Registers the timer `make` builds under the lowest free id and tells the guest the id. */
function addTimer(p: Process, idPtr: number, make: (id: number) => GuestTimer | number): number {
  let id = 0;
  while (p.timers.has(id)) id++;
  const t = make(id);
  if (typeof t === 'number') return t;
  if (!p.writeU32(idPtr, id)) { t.delete(); return EFAULT; }
  p.timers.set(id, t);
  return 0;
}

/** a host timer on the CPU clock the guest named (null ev: the default sigevent) */
function createCpuTimer(p: Process, clock: number, ev: Sigevent | null, idPtr: number): number {
  const thread = cpuClockThread(p, clock), hostClock = hostClockId(p, clock);
  if (thread === null || hostClock === null) return EINVAL;
  return addTimer(p, idPtr, (id) => CpuTimer.create(p, id, hostClock, ev ?? defaultSigevent(id), thread));
}

function timerCreate(p: Process, clock: number, sevp: number, idPtr: number): number | Park {
  const cpu = isCpuClock(clock);
  if (!cpu && !TIMER_CLOCKS.has(clock)) return NO_TIMERS.has(clock) ? -E.EOPNOTSUPP : EINVAL;
  if (!p.as.canWrite(idPtr, 4)) return EFAULT;
  let ev: Sigevent | null = null;
  if (sevp !== 0) {
    const b = p.readBytes(sevp, SIGEVENT.size);
    if (!b) return EFAULT;
    ev = parseSigevent(b);
    const r = checkSigevent(p, ev);
    if (r < 0) return r;
  }
  if (!cpu) return addTimer(p, idPtr, (id) => new PosixTimer(p, id, clock, ev ?? defaultSigevent(id), readClock));
  // a thread's CPU clock is its vCPU thread's, and until the monitor has vCPU threads the payload
  // runs on the monitor's own: the timer is made once they exist (the call waits for that)
  if (cpuClockThread(p, clock) !== undefined && !p.sched.threaded) {
    return new Park(() => p.sched.threaded ? createCpuTimer(p, clock, ev, idPtr) : null);
  }
  return createCpuTimer(p, clock, ev, idPtr);
}

function timerOf(p: Process, id: number): GuestTimer | null { return p.timers.get(id) ?? null; }

function timerSettime(p: Process, id: number, flags: number, newPtr: number, oldPtr: number): number {
  const t = timerOf(p, id);
  if (!t) return EINVAL;
  const spec = readItimerspec(p, newPtr);
  if (typeof spec === 'number') return spec;
  const old = t.set(spec.value, spec.interval, (flags & TIMER_ABSTIME) !== 0);
  if (typeof old === 'number') return old;
  // as Linux: the timer is armed even when the old value cannot be written back
  return oldPtr === 0 || p.writeBytes(oldPtr, itimerspecBytes(old)) ? 0 : EFAULT;
}

function timerGettime(p: Process, id: number, ptr: number): number {
  const t = timerOf(p, id);
  if (!t) return EINVAL;
  const cur = t.get();
  if (typeof cur === 'number') return cur;
  return p.writeBytes(ptr, itimerspecBytes(cur)) ? 0 : EFAULT;
}

export const timerSyscalls: SyscallDef[] = [
  { name: 'timer_create', status: 'emulated', args: ['clock', 'ptr', 'ptr'], handler: (p, a) => timerCreate(p, int(a[0]!), a[1]!, a[2]!),
    notes: NOTES },
  { name: 'timer_settime', status: 'emulated', args: ['int', 'hex', 'ptr', 'ptr'], handler: (p, a) => timerSettime(p, int(a[0]!), int(a[1]!), a[2]!, a[3]!) },
  { name: 'timer_gettime', status: 'emulated', args: ['int', 'ptr'], handler: (p, a) => timerGettime(p, int(a[0]!), a[1]!) },
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
    const n = p.hostPtr(a[2]!, ITIMERSPEC.size), o = p.hostPtrOpt(a[3]!, ITIMERSPEC.size);
    return n < 0 || o < 0 ? EFAULT : sys(SYS.timerfd_settime, h, a[1]!, n, o);
  } },
  { name: 'timerfd_gettime', status: 'passthrough', args: ['fd', 'ptr'], handler: (p, a) => {
    const h = hostFd(p, a[0]!);
    if (h < 0) return -E.EBADF;
    const b = p.hostPtr(a[1]!, ITIMERSPEC.size);
    return b < 0 ? EFAULT : sys(SYS.timerfd_gettime, h, b);
  } },
];
