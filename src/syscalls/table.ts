// The syscall table: the single source of truth for what the monitor does with each Linux system
// call. It drives dispatch, trace names and the generated compatibility document.
import { SYS, SYSCALL_NAMES, type SyscallName } from '../host/sysno.js';
import type { SyscallDef } from './types.js';
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
  name: d.name, status: d.status, args: d.args, handler: d.handler, ret: d.ret, sigpipe: d.sigpipe, notes: d.notes, nr, family,
});

function build(): TableEntry[] {
  const byName = new Map<SyscallName, TableEntry>();
  for (const [family, defs] of Object.entries(families)) {
    for (const d of defs) {
      if (byName.has(d.name)) throw new Error(`syscall table: ${d.name} defined twice`);
      if (d.status !== 'unsupported' && !d.handler) throw new Error(`syscall table: ${d.name} has no handler`);
      byName.set(d.name, entry(d, SYS[d.name], family));
    }
  }
  const all: TableEntry[] = [];
  for (const [nr, name] of [...SYSCALL_NAMES].sort((a, b) => a[0] - b[0])) {
    all.push(byName.get(name) ?? entry({ name, status: 'unsupported', args: [] }, nr, 'not implemented'));
  }
  return all;
}

export const TABLE: readonly TableEntry[] = build();

/** dense dispatch array indexed by syscall number */
export const DISPATCH: readonly (TableEntry | undefined)[] = (() => {
  const max = Math.max(...TABLE.map((e) => e.nr));
  const arr: (TableEntry | undefined)[] = new Array(max + 1).fill(undefined);
  for (const e of TABLE) arr[e.nr] = e;
  return arr;
})();
