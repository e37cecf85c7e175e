// POSIX per-process timers (timer_create and friends), kept by the monitor: expiries are monitor
// timers on the dispatcher, and a signal is queued to the process or to one thread with SI_TIMER,
// the timer's sigval and its overrun count, as Linux does.
import { SIG } from '../host/signals.js';
import { E } from '../host/errno.js';
import type { Process } from './process.js';
import type { MonitorTimer } from './scheduler.js';
import type { PendingInfo } from './signals.js';

export const SIGEV = { SIGNAL: 0, NONE: 1, THREAD: 2, THREAD_ID: 4 } as const;
const SI_TIMER = -2;
const DELAYTIMER_MAX = 0x7fffffff;

export interface Sigevent { value: number; signo: number; notify: number; tid: number }

/** the clock's time in ns (a host clock_gettime) */
export type ClockReader = (clock: number) => bigint;

export class PosixTimer implements MonitorTimer {
  /** monitor time (performance.now() ms) of the next expiry; Infinity when disarmed */
  at = Infinity;
  /** the next expiry on the timer's own clock, ns */
  expiry = 0n;
  interval = 0n;
  /** the queued, not yet delivered signal of this timer */
  private queued: PendingInfo | null = null;
  /** overruns of the last delivered expiry (timer_getoverrun) */
  lastOverrun = 0;

  constructor(readonly p: Process, readonly id: number, readonly clock: number, readonly ev: Sigevent, readonly now: ClockReader) {}

  /** arms (value > 0) or disarms; value is absolute on the timer's clock when abs */
  set(valueNs: bigint, intervalNs: bigint, abs: boolean): void {
    const sched = this.p.sched;
    sched.timers.delete(this);
    this.interval = intervalNs;
    if (valueNs === 0n) { this.at = Infinity; return; }
    const now = this.now(this.clock);
    this.expiry = abs ? valueNs : now + valueNs;
    this.at = performance.now() + Number(this.expiry - now) / 1e6;
    sched.timers.add(this);
    sched.needDispatcher();
  }

  /** time to the next expiry (0 when disarmed or due) */
  remaining(): bigint {
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

  private expire(overruns: number): void {
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

  delete(): void {
    this.p.sched.timers.delete(this);
    this.at = Infinity;
    this.queued = null;
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
