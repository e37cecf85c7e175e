// Signal state of the payload: dispositions and process-directed pending signals are shared by all
// threads (ProcessSignals); the mask, thread-directed pending signals and the alternate stack are
// each thread's own (ThreadSignals). Pending signals are delivered by src/km/deliver.ts when a vCPU
// is between instructions: default actions as on Linux (terminate, core, ignore, stop), handlers on
// a Linux signal frame.
import { NSIG, SIG } from '../host/signals.js';
import { native, sys } from '../host/native.js';
import { SYS } from '../host/sysno.js';
import { PayloadKilled } from './exit.js';

export interface SigAction { handler: number; flags: number; restorer: number; mask: bigint }
/** what siginfo_t says about a pending signal; `raw` is a complete siginfo from rt_sigqueueinfo */
export interface PendingInfo {
  code: number; addr?: number; pid?: number; uid?: number;
  /** sigval (SI_QUEUE, SI_TIMER) */
  value?: number; timerid?: number; overrun?: number;
  raw?: Uint8Array;
  /** called when the signal is taken for delivery (timers count overruns until then) */
  onTake?: () => void;
}

export const SIG_DFL = 0;
export const SIG_IGN = 1;

const IGNORED_BY_DEFAULT = new Set<number>([SIG.SIGCHLD, SIG.SIGCONT, SIG.SIGURG, SIG.SIGWINCH]);
const STOP_BY_DEFAULT = new Set<number>([SIG.SIGSTOP, SIG.SIGTSTP, SIG.SIGTTIN, SIG.SIGTTOU]);
export const UNBLOCKABLE = (1n << BigInt(SIG.SIGKILL - 1)) | (1n << BigInt(SIG.SIGSTOP - 1));
const SYNCHRONOUS = [SIG.SIGSEGV, SIG.SIGBUS, SIG.SIGILL, SIG.SIGTRAP, SIG.SIGFPE];
/** real-time signals queue (each sent instance is delivered); standard ones coalesce */
const SIGRTMIN = 32;

export const bit = (sig: number): bigint => 1n << BigInt(sig - 1);

/** A set of pending signals with their siginfo (queued for real-time signals). */
export class PendingSet {
  mask = 0n;
  private readonly queue = new Map<number, PendingInfo[]>();

  /** `changed` runs after every change of the set (signalfd readiness follows it) */
  constructor(private readonly changed?: () => void) {}

  add(sig: number, info: PendingInfo): void {
    const q = this.queue.get(sig);
    if (!q) this.queue.set(sig, [info]);
    else if (sig >= SIGRTMIN) q.push(info);
    this.mask |= bit(sig);
    this.changed?.();
  }

  /** takes one instance of sig (the mask bit stays while more are queued) */
  remove(sig: number): PendingInfo {
    const q = this.queue.get(sig);
    const info = q?.shift() ?? { code: 0 };
    if (!q || q.length === 0) { this.queue.delete(sig); this.mask &= ~bit(sig); }
    info.onTake?.();
    this.changed?.();
    return info;
  }

  discard(sig: number): void { this.queue.delete(sig); this.mask &= ~bit(sig); this.changed?.(); }
}

/** The lowest signal in `ready`, synchronous (fault) signals first, as Linux picks them. */
export function firstSignal(ready: bigint): number {
  if (!ready) return 0;
  for (const s of SYNCHRONOUS) if (ready & bit(s)) return s;
  for (let s = 1; s <= NSIG; s++) if (ready & bit(s)) return s;
  return 0;
}

export class ProcessSignals {
  readonly actions: SigAction[] = Array.from({ length: NSIG + 1 }, () => ({ handler: SIG_DFL, flags: 0, restorer: 0, mask: 0n }));
  /** the process-directed pending mask as the native fast path reads it (see ThreadSignals) */
  private readonly sharedWord = new BigUint64Array(1);
  readonly shared = new PendingSet(() => {
    const mask = this.shared.mask;
    Atomics.store(this.sharedWord, 0, mask);
    for (const t of this.threads) t.mirrorShared(mask);
    this.changed();
  });
  readonly threads = new Set<ThreadSignals>();
  /** told whenever any pending set (process or thread) changes; null: nobody listens */
  watcher: (() => void) | null = null;

  changed(): void { this.watcher?.(); }

  /** makes this the process whose pending signals the native fast path checks */
  publish(): void { native.fastSignals(this.sharedWord); }

  ignored(sig: number): boolean {
    const h = this.actions[sig]!.handler;
    return h === SIG_IGN || (h === SIG_DFL && IGNORED_BY_DEFAULT.has(sig));
  }

  /** Posts a process-directed signal (kill, a host signal, a process timer). */
  raise(sig: number, info: PendingInfo = { code: 0 }): boolean {
    if (sig !== SIG.SIGKILL && sig !== SIG.SIGSTOP && this.ignored(sig)) return false;
    this.shared.add(sig, info);
    return true;
  }

  /** Drops pending signals whose disposition became "ignore" (as Linux does on sigaction). */
  discardIgnored(sig: number): void {
    if (!this.ignored(sig)) return;
    this.shared.discard(sig);
    for (const t of this.threads) t.own.discard(sig);
  }

  /** The default action of sig: returns normally for ignore/stop, throws for terminate/core. */
  defaultAction(sig: number): void {
    if (IGNORED_BY_DEFAULT.has(sig)) return;
    if (STOP_BY_DEFAULT.has(sig)) { sys(SYS.kill, sys(SYS.getpid), SIG.SIGSTOP); return; }
    throw new PayloadKilled(sig, 'default action');
  }
}

export class ThreadSignals {
  /**
   * The mask and this thread's own pending signals live in its vCPU's mailbox once bound: the
   * native fast path serves rt_sigprocmask when nothing is pending (native/km_native.c). Both
   * sides store, then load the other's word (Atomics: sequentially consistent), so a signal posted
   * while the mask changes is seen by one of them. The landing pad answers rt_sigprocmask in the
   * guest by the same rule (guest/entry.S), and reads the process-directed pending signals from a
   * mirror in the mailbox (`sharedWord`).
   */
  private words: BigUint64Array<ArrayBufferLike> = new BigUint64Array(2);
  private sharedWord: BigUint64Array<ArrayBufferLike> = new BigUint64Array(1);
  get blocked(): bigint { return Atomics.load(this.words, 0); }
  set blocked(v: bigint) { Atomics.store(this.words, 0, BigInt.asUintN(64, v)); }
  /** moves the state into the mailbox words of the vCPU this thread runs on */
  bind(words: BigUint64Array, sharedWord: BigUint64Array = new BigUint64Array(1)): void {
    Atomics.store(words, 0, this.blocked);
    Atomics.store(words, 1, this.own.mask);
    Atomics.store(sharedWord, 0, this.proc.shared.mask);
    this.words = words;
    this.sharedWord = sharedWord;
  }
  /** the process-directed pending set changed (ProcessSignals) */
  mirrorShared(mask: bigint): void { Atomics.store(this.sharedWord, 0, mask); }
  /** the mask to restore after the handler of a signal that ended sigsuspend/ppoll/pselect6 */
  savedMask: bigint | null = null;
  readonly own: PendingSet = new PendingSet(() => { Atomics.store(this.words, 1, this.own.mask); this.proc.changed(); });
  altstack = { sp: 0, flags: 2 /* SS_DISABLE */, size: 0 };

  constructor(readonly proc: ProcessSignals) { proc.threads.add(this); }

  get actions(): SigAction[] { return this.proc.actions; }
  /** thread-directed and process-directed pending signals */
  get pending(): bigint { return this.own.mask | this.proc.shared.mask; }

  /** Posts a thread-directed signal (tgkill, a fault, SIGPIPE). */
  raise(sig: number, info: PendingInfo = { code: 0 }): boolean {
    if (sig !== SIG.SIGKILL && sig !== SIG.SIGSTOP && this.proc.ignored(sig)) return false;
    this.own.add(sig, info);
    return true;
  }

  /** cheap when nothing is pending: it is checked after every syscall */
  get hasDeliverable(): boolean {
    const p = this.own.mask | this.proc.shared.mask;
    return p !== 0n && (p & ~this.blocked) !== 0n;
  }

  /** Takes a pending signal of `among` (default: the unblocked ones), thread-directed first. */
  take(among = ~this.blocked): { sig: number; info: PendingInfo } | null {
    const mine = this.own.mask & among;
    if (mine) { const sig = firstSignal(mine); return { sig, info: this.own.remove(sig) }; }
    const shared = this.proc.shared.mask & among;
    if (shared) { const sig = firstSignal(shared); return { sig, info: this.proc.shared.remove(sig) }; }
    return null;
  }

  discardIgnored(sig: number): void { this.proc.discardIgnored(sig); }
  defaultAction(sig: number): void { this.proc.defaultAction(sig); }
  /** the thread ended: its state leaves the vCPU's mailbox (the vCPU may serve another thread, or
   * its memory go away with the VM at execve) */
  detach(): void { this.unbind(); this.proc.threads.delete(this); this.proc.changed(); }
  /** takes the state back from the mailbox into memory of its own */
  unbind(): void { this.bind(new BigUint64Array(2), new BigUint64Array(1)); }
}
