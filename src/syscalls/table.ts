// The syscall table: the single source of truth for what the monitor does with each Linux system
// call. It drives dispatch, trace names and the generated compatibility document.
import { SYS, syscallName } from '../host/sysno.js';
import { FAST_KIND, type SyscallDef } from './types.js';
import { fsSyscalls } from './fs.js';
import { pollSyscalls } from './poll.js';
import { timeSyscalls } from './time.js';
import { mmSyscalls } from './mm.js';
import { processSyscalls } from './process.js';
import { signalSyscalls } from './signal.js';
import { threadSyscalls } from './thread.js';
import { timerSyscalls } from './timers.js';
import { eventSyscalls } from './events.js';
import { schedSyscalls } from './sched.js';
import { ioSyscalls } from './io.js';
import { signalfdSyscalls } from './signalfd.js';
import { netSyscalls } from './net.js';
import { procsSyscalls } from './procs.js';

const families: Record<string, SyscallDef[]> = {
  'files and descriptors': fsSyscalls,
  'polling': pollSyscalls,
  'time': timeSyscalls,
  'memory': mmSyscalls,
  'process and identity': processSyscalls,
  'signals': signalSyscalls,
  'threads': threadSyscalls,
  'new processes (fork, exec, wait)': procsSyscalls,
  'timers': timerSyscalls,
  'events': eventSyscalls,
  'scheduling': schedSyscalls,
  'data movement, locks, attributes': ioSyscalls,
  'signal descriptors': signalfdSyscalls,
  'sockets': netSyscalls,
};

export interface TableEntry extends SyscallDef { nr: number; family: string }

/** every entry has the same shape (the dispatcher reads them on every exit) */
const entry = (d: SyscallDef, nr: number, family: string): TableEntry => ({
  name: d.name, status: d.status, args: d.args, handler: d.handler, ret: d.ret, sigpipe: d.sigpipe, notes: d.notes, fast: d.fast, nr, family,
});

/** Indexed by syscall number (no sorting, no closures: this runs at every start, cold). Only the
 * calls the families define: any other number is not implemented (ENOSYS). */
function build(): (TableEntry | undefined)[] {
  const byNr: (TableEntry | undefined)[] = [];
  for (const family of Object.keys(families)) {
    for (const d of families[family]!) {
      const nr = SYS[d.name];
      if (byNr[nr]) throw new Error(`syscall table: ${d.name} defined twice`);
      if (d.status !== 'unsupported' && !d.handler) throw new Error(`syscall table: ${d.name} has no handler`);
      byNr[nr] = entry(d, nr, family);
    }
  }
  return byNr;
}

/** dispatch array indexed by syscall number */
export const DISPATCH: readonly (TableEntry | undefined)[] = build();

/** The entry for nr, with a 'not implemented' one for a Linux syscall the families do not define
 * (names for traces, statistics and the compatibility document). */
export function describe(nr: number): TableEntry | undefined {
  const e = DISPATCH[nr];
  if (e) return e;
  const name = syscallName(nr);
  return name === undefined ? undefined : entry({ name, status: 'unsupported', args: [] }, nr, 'not implemented');
}

/** every syscall km knows by name, in number order */
export function allSyscalls(): TableEntry[] {
  return (Object.values(SYS) as number[]).sort((a, b) => a - b).map((nr) => describe(nr)!);
}

/** the fast path's kinds by syscall number (native/km_native.c), from the table's `fast` marks */
export function fastKinds(): Uint8Array {
  const k = new Uint8Array(DISPATCH.length);
  for (const e of DISPATCH) if (e?.fast) k[e.nr] = FAST_KIND[e.fast];
  return k;
}
