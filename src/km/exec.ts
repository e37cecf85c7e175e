// execve inside one monitor: the checks are done (src/km/program.ts) and the old program's VM is
// taken down; what Linux keeps across execve is carried to the new program: the pid, the
// descriptors without close-on-exec, limits, ignored signals, the signal mask and pending signals.
// The current directory and umask are the monitor's own and stay as they are.
import { native } from '../host/native.js';
import { SIG_IGN, type PendingInfo } from './signals.js';
import { deleteAllTimers } from './timers.js';
import type { FdTable } from './fdtable.js';
import type { Rlimits } from './rlimits.js';
import type { Process } from './process.js';
import type { Thread } from './thread.js';

export interface ExecCarry {
  fds: FdTable;
  rlimits: Rlimits;
  /** signals the old program ignored: they stay ignored; handled ones go back to default */
  ignored: number[];
  blocked: bigint;
  pending: { sig: number; info: PendingInfo }[];
}

/** Takes the old program down (its only thread, `t`, is in execve) and returns what the new one keeps. */
export function endForExec(p: Process, t: Thread = p.cur): ExecCarry {
  native.setKickAddress(0);
  const pending: ExecCarry['pending'] = [];
  for (let n = t.sig.take(~0n); n; n = t.sig.take(~0n)) pending.push({ sig: n.sig, info: { ...n.info, onTake: undefined } });
  const ignored: number[] = [];
  p.procSignals.actions.forEach((a, sig) => { if (sig > 0 && a.handler === SIG_IGN) ignored.push(sig); });
  p.fds.closeOnExec();
  deleteAllTimers(p); // Linux deletes them at execve (host timers would go on firing)
  p.as.closeBackings();
  // its signal state lives in its vCPU's mailbox, which goes away with the VM (the other threads
  // were dropped before, and their state left their mailboxes then)
  t.sig.unbind();
  p.machine.close();
  return { fds: p.fds, rlimits: p.rlimits, ignored, blocked: t.sig.blocked, pending };
}
