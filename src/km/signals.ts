// Signal dispositions, the signal mask and pending signals of the payload. Signals the payload
// raises at itself take their default action (terminate, core, ignore, stop) exactly as on Linux;
// running guest handlers comes with the threads/signals work.
import { NSIG, SIG } from '../host/signals.js';
import { sys } from '../host/native.js';
import { SYS } from '../host/sysno.js';
import { PayloadKilled } from './exit.js';

export interface SigAction { handler: number; flags: number; restorer: number; mask: bigint }

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
  altstack = { sp: 0, flags: 2 /* SS_DISABLE */, size: 0 };
  /** called for signals whose guest handler cannot run yet (trace output) */
  onUndeliverable: (sig: number) => void = () => {};

  /** A signal sent to the payload by itself (kill/tkill/tgkill/raise). */
  raise(sig: number): void {
    if (this.blocked & bit(sig)) { this.pending |= bit(sig); return; }
    this.act(sig);
  }

  /** Acts on pending signals that are no longer blocked. */
  deliverPending(): void {
    for (let sig = 1; sig <= NSIG && this.pending; sig++) {
      const b = bit(sig);
      if ((this.pending & b) && !(this.blocked & b)) {
        this.pending &= ~b;
        this.act(sig);
      }
    }
  }

  /** Drops pending signals whose disposition became "ignore" (as Linux does on sigaction). */
  discardIgnored(sig: number): void {
    const h = this.actions[sig]!.handler;
    if (h === SIG_IGN || (h === SIG_DFL && IGNORED_BY_DEFAULT.has(sig))) this.pending &= ~bit(sig);
  }

  private act(sig: number): void {
    const { handler } = this.actions[sig]!;
    if (sig !== SIG.SIGKILL && sig !== SIG.SIGSTOP) {
      if (handler === SIG_IGN) return;
      if (handler !== SIG_DFL) { this.onUndeliverable(sig); return; }
    }
    if (IGNORED_BY_DEFAULT.has(sig)) return;
    if (STOP_BY_DEFAULT.has(sig)) { sys(SYS.kill, sys(SYS.getpid), SIG.SIGSTOP); return; }
    throw new PayloadKilled(sig, 'raised by the payload');
  }
}
