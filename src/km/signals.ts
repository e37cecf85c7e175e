// Signal dispositions, the signal mask and pending signals of the payload (one thread for now).
// Pending signals are delivered by src/km/deliver.ts when the vCPU is between instructions:
// default actions as on Linux (terminate, core, ignore, stop), handlers on a Linux signal frame.
import { NSIG, SIG } from '../host/signals.js';
import { sys } from '../host/native.js';
import { SYS } from '../host/sysno.js';
import { PayloadKilled } from './exit.js';

export interface SigAction { handler: number; flags: number; restorer: number; mask: bigint }
export interface PendingInfo { code: number; addr?: number; pid?: number; uid?: number }

export const SIG_DFL = 0;
export const SIG_IGN = 1;

const IGNORED_BY_DEFAULT = new Set<number>([SIG.SIGCHLD, SIG.SIGCONT, SIG.SIGURG, SIG.SIGWINCH]);
const STOP_BY_DEFAULT = new Set<number>([SIG.SIGSTOP, SIG.SIGTSTP, SIG.SIGTTIN, SIG.SIGTTOU]);
export const UNBLOCKABLE = (1n << BigInt(SIG.SIGKILL - 1)) | (1n << BigInt(SIG.SIGSTOP - 1));

export const bit = (sig: number): bigint => 1n << BigInt(sig - 1);

export class SignalState {
  readonly actions: SigAction[] = Array.from({ length: NSIG + 1 }, () => ({ handler: SIG_DFL, flags: 0, restorer: 0, mask: 0n }));
  blocked = 0n;
  pending = 0n;
  readonly info = new Map<number, PendingInfo>();
  altstack = { sp: 0, flags: 2 /* SS_DISABLE */, size: 0 };

  private ignored(sig: number): boolean {
    const h = this.actions[sig]!.handler;
    return h === SIG_IGN || (h === SIG_DFL && IGNORED_BY_DEFAULT.has(sig));
  }

  /** Posts a signal to the payload (from itself, from outside, or from a fault). */
  raise(sig: number, info: PendingInfo = { code: 0 }): void {
    if (sig !== SIG.SIGKILL && sig !== SIG.SIGSTOP && this.ignored(sig)) return;
    this.pending |= bit(sig);
    if (!this.info.has(sig)) this.info.set(sig, info);
  }

  /** cheap when nothing is pending: it is checked after every syscall */
  get hasDeliverable(): boolean { return this.pending !== 0n && (this.pending & ~this.blocked) !== 0n; }

  /** Takes the next unblocked pending signal (synchronous ones first, then the lowest number). */
  take(): { sig: number; info: PendingInfo } | null {
    const ready = this.pending & ~this.blocked;
    if (!ready) return null;
    let sig = 0;
    for (const s of [SIG.SIGSEGV, SIG.SIGBUS, SIG.SIGILL, SIG.SIGTRAP, SIG.SIGFPE]) if (ready & bit(s)) { sig = s; break; }
    if (!sig) for (let s = 1; s <= NSIG; s++) if (ready & bit(s)) { sig = s; break; }
    this.pending &= ~bit(sig);
    const info = this.info.get(sig) ?? { code: 0 };
    this.info.delete(sig);
    return { sig, info };
  }

  /** Drops pending signals whose disposition became "ignore" (as Linux does on sigaction). */
  discardIgnored(sig: number): void {
    if (this.ignored(sig)) { this.pending &= ~bit(sig); this.info.delete(sig); }
  }

  /** The default action of sig: returns normally for ignore/stop, throws for terminate/core. */
  defaultAction(sig: number): void {
    if (IGNORED_BY_DEFAULT.has(sig)) return;
    if (STOP_BY_DEFAULT.has(sig)) { sys(SYS.kill, sys(SYS.getpid), SIG.SIGSTOP); return; }
    throw new PayloadKilled(sig, 'default action');
  }
}
