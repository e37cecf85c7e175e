// POSIX timers on CPU-time clocks, backed by a host POSIX timer on the host clock the guest's
// stands for (src/syscalls/time.ts hostClockId): a guest thread's clock is the CPU clock of the
// host thread that runs its vCPU, process clocks are the monitor's. The host timer notifies the
// monitor process (SIGEV_SIGNAL, caught by a monitor thread that does not block it: never a vCPU
// thread); takeHostSignals (src/km/deliver.ts) finds this timer by the host timer id in the host
// siginfo and calls expire, which queues the guest's own SI_TIMER signal (its id, sigval, overruns,
// target thread). Setting, reading and deleting are the host timer's own.
import { sys, addressOf } from '../host/native.js';
import { SYS } from '../host/sysno.js';
import { E } from '../host/errno.js';
import { holdHostSignal, hostTimerSignal, releaseHostSignal } from './deliver.js';
import { DISARMED, GuestTimer, ITIMERSPEC, SIGEV, SIGEVENT, TIMER_ABSTIME, itimerspecBytes, parseItimerspec, type Itimer, type Sigevent } from './timers.js';
import type { Process } from './process.js';
import type { Thread } from './thread.js';
import { StructView } from '../util/struct.js';

/** a host struct sigevent: `signo` to this process, or nothing (SIGEV_NONE) */
function hostSigevent(signo: number): StructView<typeof SIGEVENT> {
  const sev = new StructView(SIGEVENT);
  sev.set('notify', signo === 0 ? SIGEV.NONE : SIGEV.SIGNAL);
  sev.set('signo', signo);
  return sev;
}

/** a host timer no longer sends sig: its disposition follows the payload's again */
function releaseFor(p: Process, sig: number): void {
  releaseHostSignal(sig, p.procSignals.actions[sig]!.handler);
}

export class CpuTimer extends GuestTimer {
  /** host timer id; -1 once deleted or once the thread whose clock it follows has ended */
  private host: number;

  /** `hostSig`: what the host timer sends (0: nothing); `thread`: whose CPU clock (none: a process's) */
  private constructor(p: Process, id: number, ev: Sigevent, host: number, private readonly hostSig: number, readonly thread: Thread | undefined) {
    super(p, id, ev);
    this.host = host;
  }

  /** a host timer on `hostClock` for guest timer `id`; -errno as the host's timer_create */
  static create(p: Process, id: number, hostClock: number, ev: Sigevent, thread: Thread | undefined): CpuTimer | number {
    const hostSig = ev.notify === SIGEV.NONE ? 0 : hostTimerSignal(ev.signo);
    // caught before the host timer exists, so no expiry meets the payload's default disposition
    if (hostSig) holdHostSignal(hostSig);
    const sev = hostSigevent(hostSig), hid = new Int32Array(1);
    const r = sys(SYS.timer_create, hostClock, addressOf(sev.dv), addressOf(hid));
    if (r < 0) {
      if (hostSig) releaseFor(p, hostSig);
      return r;
    }
    return new CpuTimer(p, id, ev, hid[0]!, hostSig, thread);
  }

  override get hostId(): number { return this.host; }

  get(): Itimer | number {
    // the clock of an ended thread has stopped: Linux reports the timer disarmed
    if (this.host < 0) return DISARMED;
    const cur = Buffer.alloc(ITIMERSPEC.size);
    const r = sys(SYS.timer_gettime, this.host, addressOf(cur));
    return r < 0 ? r : parseItimerspec(cur);
  }

  set(value: bigint, interval: bigint, abs: boolean): Itimer | number {
    if (this.host < 0) return -E.ESRCH; // as Linux for a timer on an ended thread's clock
    const next = itimerspecBytes({ interval, value }), old = Buffer.alloc(ITIMERSPEC.size);
    const r = sys(SYS.timer_settime, this.host, abs ? TIMER_ABSTIME : 0, addressOf(next), addressOf(old));
    return r < 0 ? r : parseItimerspec(old);
  }

  override threadEnded(t: Thread): void {
    if (t === this.thread) this.release();
  }

  override delete(): void {
    this.release();
    super.delete();
  }

  /** deletes the host timer (its vCPU thread may serve another guest thread next) */
  private release(): void {
    if (this.host < 0) return;
    sys(SYS.timer_delete, this.host);
    this.host = -1;
    if (this.hostSig) releaseFor(this.p, this.hostSig);
  }
}
