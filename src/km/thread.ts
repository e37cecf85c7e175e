// A payload thread: its vCPU, signal mask and per-thread state, and what it is doing now (running
// guest code, blocked in a host call on its own host thread, or parked in the monitor).
import { PAD_WORD, type VcpuHandle } from '../vm/machine.js';
import type { ThreadSignals } from './signals.js';

/** A host syscall a handler wants made for the payload that may block (read on a pipe, futex
 * wait, sleep). It runs on the thread's own host thread when threads exist, inline otherwise.
 * `finish` turns the host result into the guest's; `keep` holds buffers the call points into. */
export class HostCall {
  constructor(readonly nr: number, readonly args: readonly number[], readonly finish?: (r: number) => number, readonly keep?: unknown) {}
}

/** A wait served by the monitor itself (sigsuspend, sigtimedwait, pause): `check` returns the
 * syscall's result once it can end, else null; at `deadline` (monitorNow() ms, src/host/clock.ts) `onTimeout`
 * gives the result. */
export class Park {
  constructor(readonly check: () => number | null, readonly deadline = Infinity, readonly onTimeout: () => number = () => 0) {}
}

export type ThreadState = 'ready' | 'guest' | 'host' | 'parked' | 'gone';

export class Thread {
  state: ThreadState = 'guest';
  /** the syscall in progress (for trace, statistics and restarts) */
  nr = -1;
  readonly args = new Float64Array(6);
  call: HostCall | null = null;
  park: Park | null = null;
  /** monitorNow() of the syscall's start (statistics) */
  t0 = 0;
  /** when the monitor last asked its host thread to stop (0: not asked) */
  kickedAt = 0;
  /** another thread called execve: this one ends as soon as its host thread gives it back */
  doomed = false;
  fsBase = 0;
  /** the thread's name (PR_SET_NAME; a new thread inherits its creator's) */
  comm = '';

  /** `inGuest`: the landing pad may answer calls itself (guest/entry.S; off when every call must
   * reach the monitor: tracing, statistics) */
  constructor(readonly tid: number, readonly h: VcpuHandle, readonly sig: ThreadSignals, inGuest: boolean) {
    h.padWords.fill(0n);
    h.padWords[PAD_WORD.inGuest] = inGuest ? 1n : 0n;
    sig.bind(h.sigWords, h.padWords.subarray(PAD_WORD.procPending, PAD_WORD.procPending + 1));
    h.exitWords.fill(0n);
  }

  /** clear_child_tid and the robust list head live in the vCPU's mailbox: the native fast path
   * clears and wakes the tid itself when the thread exits (and zeroes the word: nothing left to do) */
  get clearChildTid(): number { return Number(this.h.exitWords[0]); }
  set clearChildTid(addr: number) { this.h.exitWords[0] = BigInt(addr); }
  get robustList(): number { return Number(this.h.exitWords[1]); }
  set robustList(addr: number) { this.h.exitWords[1] = BigInt(addr); }
}
