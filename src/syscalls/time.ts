// Clocks and sleeping: passed to the host with pointers checked.
import { sys, addressOf } from '../host/native.js';
import { E } from '../host/errno.js';
import { HostCall, type Thread } from '../km/thread.js';
import { TIMER_ABSTIME } from '../km/timers.js';
import type { Process } from '../km/process.js';
import { SYS } from '../host/sysno.js';
import { int, type SyscallDef } from './types.js';
import { EFAULT, EINVAL, readTimespecNs, timespecBuffer } from './args.js';

const TS = 16;
export const CLOCK = { REALTIME: 0, MONOTONIC: 1, PROCESS_CPUTIME_ID: 2, THREAD_CPUTIME_ID: 3, MONOTONIC_RAW: 4, REALTIME_COARSE: 5,
  MONOTONIC_COARSE: 6, BOOTTIME: 7, REALTIME_ALARM: 8, BOOTTIME_ALARM: 9, TAI: 11 } as const;
const NS = 1_000_000_000n;

/** the host clock's current time in ns, or -errno */
export function clockNow(clock: number): bigint | number {
  const b = Buffer.alloc(16);
  const r = sys(SYS.clock_gettime, clock, addressOf(b));
  if (r < 0) return r;
  return b.readBigInt64LE(0) * NS + b.readBigInt64LE(8);
}


/**
 * nanosleep / clock_nanosleep as one absolute host sleep on the thread's host thread: a sleep
 * interrupted for nothing the payload sees is simply made again, and an interrupted relative
 * sleep reports exactly the time left.
 */
function sleep(p: Process, clock: number, flags: number, reqPtr: number, remPtr: number): number | HostCall {
  const req = readTimespecNs(p, reqPtr);
  if (typeof req === 'number') return req;
  const abs = (flags & TIMER_ABSTIME) !== 0;
  // CPU-time clocks cannot be slept on absolutely by another thread: pass those through
  if (clock === CLOCK.PROCESS_CPUTIME_ID || clock === CLOCK.THREAD_CPUTIME_ID || clock < 0) {
    if (clock === CLOCK.THREAD_CPUTIME_ID) return EINVAL;
    const rem = p.hostPtrOpt(remPtr, TS);
    return rem < 0 ? EFAULT : new HostCall(SYS.clock_nanosleep, [clock, flags, p.hostPtr(reqPtr, TS), rem]);
  }
  const now = clockNow(clock);
  if (typeof now === 'number') return now === -E.EINVAL ? EINVAL : now;
  const deadline = abs ? req : now + req;
  const target = timespecBuffer(deadline);
  return new HostCall(SYS.clock_nanosleep, [clock, TIMER_ABSTIME, addressOf(target), 0], (r) => {
    if (r === -E.EINTR && !abs && remPtr !== 0) {
      const t = clockNow(clock);
      const left = typeof t === 'number' || t > deadline ? 0n : deadline - t;
      if (!p.writeBytes(remPtr, timespecBuffer(left))) return EFAULT;
    }
    return r;
  }, target);
}
const P = 'passthrough' as const;

/** Linux's encoding of CPU-time clocks of a given process or thread (negative clock ids) */
const CPUCLOCK = { PERTHREAD: 4, SCHED: 2, MASK: 7, SHIFT: 3 } as const;

/** CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID and the encoded clocks of a given process or
 * thread (clock_getcpuclockid, pthread_getcpuclockid: negative ids) */
export function isCpuClock(clock: number): boolean {
  return clock === CLOCK.PROCESS_CPUTIME_ID || clock === CLOCK.THREAD_CPUTIME_ID || clock < 0;
}

/** The guest thread whose CPU clock `clock` is: undefined for any other clock, null for the clock
 * of a thread the payload does not have. Thread id 0 is the caller (glibc's timer_create and
 * clock_gettime pass CLOCK_THREAD_CPUTIME_ID so). */
export function cpuClockThread(p: Process, clock: number): Thread | null | undefined {
  if (clock === CLOCK.THREAD_CPUTIME_ID) return p.cur;
  if (clock >= 0 || (clock & CPUCLOCK.PERTHREAD) === 0) return undefined;
  const tid = ~(clock >> CPUCLOCK.SHIFT);
  return tid === 0 ? p.cur : p.threads.get(tid) ?? null;
}

/**
 * The host clock id for a guest one. Guest thread ids are the monitor's own numbers, so the CPU
 * clock of a thread (CLOCK_THREAD_CPUTIME_ID, pthread_getcpuclockid) becomes the clock of the
 * host thread that runs its vCPU; process clocks name the monitor, which is the payload's process.
 * null: no such thread.
 */
export function hostClockId(p: Process, clock: number): number | null {
  const t = cpuClockThread(p, clock);
  if (t === undefined) return clock;
  if (t === null) return null;
  const h = p.sched.hostTidOf(t);
  if (h <= 0) return clock === CLOCK.THREAD_CPUTIME_ID ? clock : null;
  const kind = clock === CLOCK.THREAD_CPUTIME_ID ? CPUCLOCK.SCHED : clock & CPUCLOCK.MASK & ~CPUCLOCK.PERTHREAD;
  return (~h << CPUCLOCK.SHIFT) | kind | CPUCLOCK.PERTHREAD;
}

function clockRead(nr: number, optional: boolean) {
  return (p: Process, a: Float64Array): number => {
    const t = optional ? p.hostPtrOpt(a[1]!, TS) : p.hostPtr(a[1]!, TS);
    if (t < 0) return EFAULT;
    const c = hostClockId(p, int(a[0]!));
    return c === null ? EINVAL : sys(nr, c, t);
  };
}

/** the low bits of a negative clock id that name a clock by file descriptor (PTP and other devices) */
const CLOCKFD = 3;
/** struct timex: its size, and the `modes` bits that decide what adjtimex may do */
const TIMEX_SIZE = 208;
const ADJ = { OFFSET_SINGLESHOT: 0x0001, ADJTIME: 0x8000, OFFSET_SS_READ: 0xa001 } as const;

/** A clock id Linux knows (clock_settime and clock_adjtime check this first). */
function knownClock(p: Process, clock: number): boolean {
  if (clock < 0) return (clock & CPUCLOCK.MASK) !== CLOCKFD && hostClockId(p, clock) !== null;
  return clock <= CLOCK.TAI && clock !== 10 /* CLOCK_SGI_CYCLE, gone */;
}

/**
 * clock_settime. The payload may not set the host's clock (the monitor holds CAP_SYS_TIME for no
 * payload): CLOCK_REALTIME answers EPERM, after Linux's checks of the value; a CPU-time clock EPERM
 * too ("you can never reset a CPU clock"), every other clock EINVAL, as Linux.
 */
function clockSettime(p: Process, clock: number, tp: number): number {
  if (!knownClock(p, clock) || (clock !== CLOCK.REALTIME && clock >= 0)) return EINVAL;
  // a CPU clock: EPERM whatever the value (Linux checks only that it can read it)
  if (clock < 0) return p.as.canRead(tp, TS) ? -E.EPERM : EFAULT;
  const ns = readTimespecNs(p, tp);
  return typeof ns === 'number' ? ns : -E.EPERM;
}

/** settimeofday: EPERM for the same reason, after the checks Linux makes first */
function settimeofday(p: Process, tv: number, tz: number): number {
  if (tv !== 0) {
    const b = p.readBytes(tv, 16);
    if (!b) return EFAULT;
    const d = new DataView(b.buffer, b.byteOffset, 16);
    const sec = d.getBigInt64(0, true), usec = d.getBigInt64(8, true);
    if (usec >= 1_000_000n || usec < 0n || sec < 0n) return EINVAL;
  }
  if (tz !== 0 && !p.readBytes(tz, 8)) return EFAULT;
  return -E.EPERM;
}

/** adjtimex and clock_adjtime(CLOCK_REALTIME): reading the clock's state is the host's; changing
 * it is refused (EPERM), after Linux's check of ADJ_ADJTIME */
function adjtime(p: Process, clock: number, buf: number): number {
  const h = p.hostPtr(buf, TIMEX_SIZE);
  if (h < 0 || !p.as.canRead(buf, TIMEX_SIZE)) return EFAULT;
  const modes = p.mem.readU32(buf);
  // the host writes the state back (EFAULT where the guest may not write: host protection mirrors it)
  if (modes === 0 || modes === ADJ.OFFSET_SS_READ) return sys(SYS.clock_adjtime, clock, h);
  if ((modes & ADJ.ADJTIME) !== 0 && (modes & ADJ.OFFSET_SINGLESHOT) === 0) return EINVAL;
  return -E.EPERM;
}

export const timeSyscalls: SyscallDef[] = [
  { name: 'clock_settime', status: 'emulated', args: ['clock', 'ptr'], handler: (p, a) => clockSettime(p, int(a[0]!), a[1]!),
    notes: 'the host clock cannot be set: EPERM for CLOCK_REALTIME (as without CAP_SYS_TIME), EINVAL for clocks Linux cannot set' },
  { name: 'settimeofday', status: 'emulated', args: ['ptr', 'ptr'], handler: (p, a) => settimeofday(p, a[0]!, a[1]!),
    notes: 'EPERM (as without CAP_SYS_TIME)' },
  { name: 'adjtimex', status: 'partial', args: ['ptr'], handler: (p, a) => adjtime(p, CLOCK.REALTIME, a[0]!),
    notes: 'reads the host clock state; changes refused with EPERM' },
  { name: 'clock_adjtime', status: 'partial', args: ['clock', 'ptr'], handler: (p, a) => {
    const clock = int(a[0]!);
    if (!knownClock(p, clock)) return EINVAL;
    return clock === CLOCK.REALTIME ? adjtime(p, clock, a[1]!) : -E.EOPNOTSUPP;
  }, notes: 'CLOCK_REALTIME as adjtimex; other clocks cannot be adjusted (EOPNOTSUPP)' },
  { name: 'clock_gettime', status: P, args: ['clock', 'ptr'], handler: clockRead(SYS.clock_gettime, false),
    notes: 'thread CPU clocks are those of the host thread running the vCPU' },
  { name: 'clock_getres', status: P, args: ['clock', 'ptr'], handler: clockRead(SYS.clock_getres, true) },
  { name: 'gettimeofday', status: P, args: ['ptr', 'ptr'], handler: (p, a) => {
    const tv = p.hostPtrOpt(a[0]!, 16), tz = p.hostPtrOpt(a[1]!, 8);
    return tv < 0 || tz < 0 ? EFAULT : sys(SYS.gettimeofday, tv, tz);
  } },
  { name: 'time', status: P, args: ['ptr'], handler: (p, a) => { const t = p.hostPtrOpt(a[0]!, 8); return t < 0 ? EFAULT : sys(SYS.time, t); } },
  { name: 'nanosleep', status: 'emulated', args: ['ptr', 'ptr'], handler: (p, a) => sleep(p, CLOCK.MONOTONIC, 0, a[0]!, a[1]!),
    notes: 'an absolute host sleep, so an interrupted sleep restarts or reports the time left exactly' },
  { name: 'clock_nanosleep', status: 'emulated', args: ['clock', 'hex', 'ptr', 'ptr'], handler: (p, a) => sleep(p, int(a[0]!), int(a[1]!), a[2]!, a[3]!) },
  { name: 'alarm', status: P, args: ['uint'], handler: (_p, a) => sys(SYS.alarm, a[0]!), notes: 'a host timer: SIGALRM reaches the payload through the monitor' },
  { name: 'setitimer', status: P, args: ['int', 'ptr', 'ptr'], handler: (p, a) => {
    const n = p.hostPtrOpt(a[1]!, 32), o = p.hostPtrOpt(a[2]!, 32); return n < 0 || o < 0 ? EFAULT : sys(SYS.setitimer, a[0]!, n, o);
  }, notes: 'host interval timers (the monitor process\'s CPU time for VIRTUAL/PROF)' },
  { name: 'getitimer', status: P, args: ['int', 'ptr'], handler: (p, a) => { const b = p.hostPtr(a[1]!, 32); return b < 0 ? EFAULT : sys(SYS.getitimer, a[0]!, b); } },
  { name: 'times', status: P, args: ['ptr'], handler: (p, a) => { const t = p.hostPtrOpt(a[0]!, 32); return t < 0 ? EFAULT : sys(SYS.times, t); }, notes: 'reports the monitor process times' },
  { name: 'getrusage', status: P, args: ['int', 'ptr'], handler: (p, a) => { const t = p.hostPtr(a[1]!, 144); return t < 0 ? EFAULT : sys(SYS.getrusage, a[0]!, t); }, notes: 'reports the monitor process usage' },
];
