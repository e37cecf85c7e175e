// Linux signal numbers and names, and how km ends itself "by a signal" so that its parent sees the
// same wait status as for a native process killed by that signal.
import { sys, addressOf } from './native.js';
import { SYS } from './sysno.js';

export const SIG = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9,
  SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGSTKFLT: 16,
  SIGCHLD: 17, SIGCONT: 18, SIGSTOP: 19, SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22, SIGURG: 23, SIGXCPU: 24,
  SIGXFSZ: 25, SIGVTALRM: 26, SIGPROF: 27, SIGWINCH: 28, SIGIO: 29, SIGPWR: 30, SIGSYS: 31,
} as const;
export const NSIG = 64;

const NAMES = new Map<number, string>(Object.entries(SIG).map(([k, v]) => [v, k]));
export function signalName(n: number): string {
  if (NAMES.has(n)) return NAMES.get(n)!;
  if (n >= 32 && n <= NSIG) return `SIGRT${n - 32}`;
  return `signal ${n}`;
}

const PR_SET_DUMPABLE = 4;
const SIG_UNBLOCK = 1;

/**
 * Ends this process with `sig`'s default action: the handler is reset to SIG_DFL, the signal
 * unblocked and sent to ourselves. km turns off its own dumpability first, so a payload crash
 * never leaves a core of the monitor itself.
 */
export function dieBySignal(sig: number): never {
  const act = new BigUint64Array(4); // struct kernel_sigaction: handler, flags, restorer, mask = SIG_DFL
  sys(SYS.rt_sigaction, sig, addressOf(act), 0, 8);
  const set = new BigUint64Array([1n << BigInt(sig - 1)]);
  sys(SYS.rt_sigprocmask, SIG_UNBLOCK, addressOf(set), 0, 8);
  sys(SYS.prctl, PR_SET_DUMPABLE, 0);
  sys(SYS.tgkill, sys(SYS.getpid), sys(SYS.gettid), sig);
  // a signal whose default action does not terminate: exit like a shell reports it
  process.exit(128 + sig);
}
