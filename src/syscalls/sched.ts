// Scheduling policy and priority as a process sees them. A payload's threads are vCPUs on host
// threads of the monitor: the policy they report is SCHED_OTHER, and real-time policies are
// refused as for an unprivileged process, so a payload can never raise the monitor's priority.
import { sys } from '../host/native.js';
import { SYS } from '../host/sysno.js';
import { E } from '../host/errno.js';
import type { Process } from '../km/process.js';
import { int, type SyscallDef } from './types.js';
import { EFAULT, EINVAL } from './args.js';
import { isOwnTask } from './process.js';

const SCHED = { OTHER: 0, FIFO: 1, RR: 2, BATCH: 3, IDLE: 5, DEADLINE: 6, RESET_ON_FORK: 0x40000000 } as const;
const PRIO = { PROCESS: 0, PGRP: 1, USER: 2 } as const;
/** struct sched_param: one int */
const SCHED_PARAM_SIZE = 4;
const TIMESPEC_SIZE = 16;


function setScheduler(p: Process, id: number, policy: number, paramPtr: number): number {
  if (id < 0) return EINVAL;
  const b = p.readBytes(paramPtr, SCHED_PARAM_SIZE);
  if (!b) return EFAULT;
  if (!isOwnTask(p, id)) return -E.ESRCH;
  const prio = Buffer.from(b).readInt32LE(0);
  switch (policy & ~SCHED.RESET_ON_FORK) {
    case SCHED.OTHER: case SCHED.BATCH: case SCHED.IDLE: return prio === 0 ? 0 : EINVAL;
    case SCHED.FIFO: case SCHED.RR: return prio >= 1 && prio <= 99 ? -E.EPERM : EINVAL;
    default: return EINVAL;
  }
}

/** priorities: the monitor's own for this process, the host's for anyone else */
function prioWho(p: Process, which: number, who: number): number {
  return which === PRIO.PROCESS && isOwnTask(p, who) ? 0 : who;
}

export const schedSyscalls: SyscallDef[] = [
  { name: 'sched_getscheduler', status: 'emulated', args: ['int'], handler: (p, a) => {
    const id = int(a[0]!); return id < 0 ? EINVAL : isOwnTask(p, id) ? SCHED.OTHER : -E.ESRCH;
  }, notes: 'SCHED_OTHER' },
  { name: 'sched_getparam', status: 'emulated', args: ['int', 'ptr'], handler: (p, a) => {
    const id = int(a[0]!);
    if (id < 0) return EINVAL;
    if (!isOwnTask(p, id)) return -E.ESRCH;
    return p.writeBytes(a[1]!, new Uint8Array(SCHED_PARAM_SIZE)) ? 0 : EFAULT;
  }, notes: 'priority 0' },
  { name: 'sched_setscheduler', status: 'partial', args: ['int', 'int', 'ptr'], handler: (p, a) => setScheduler(p, int(a[0]!), int(a[1]!), a[2]!),
    notes: 'normal policies accepted, not applied; SCHED_FIFO/RR EPERM as for an unprivileged process' },
  { name: 'sched_setparam', status: 'partial', args: ['int', 'ptr'], handler: (p, a) => setScheduler(p, int(a[0]!), SCHED.OTHER, a[1]!) },
  { name: 'sched_get_priority_max', status: 'passthrough', args: ['int'], handler: (_p, a) => sys(SYS.sched_get_priority_max, int(a[0]!)) },
  { name: 'sched_get_priority_min', status: 'passthrough', args: ['int'], handler: (_p, a) => sys(SYS.sched_get_priority_min, int(a[0]!)) },
  { name: 'sched_rr_get_interval', status: 'emulated', args: ['int', 'ptr'], handler: (p, a) => {
    const id = int(a[0]!);
    if (id < 0) return EINVAL;
    if (!isOwnTask(p, id)) return -E.ESRCH;
    // SCHED_OTHER threads have no round-robin quantum: Linux reports 0 for them
    return p.writeBytes(a[1]!, new Uint8Array(TIMESPEC_SIZE)) ? 0 : EFAULT;
  } },
  { name: 'getpriority', status: 'passthrough', args: ['int', 'int'], handler: (p, a) => sys(SYS.getpriority, int(a[0]!), prioWho(p, int(a[0]!), int(a[1]!))),
    notes: 'this process: the monitor\'s nice value' },
  { name: 'setpriority', status: 'passthrough', args: ['int', 'int', 'int'], handler: (p, a) => sys(SYS.setpriority, int(a[0]!), prioWho(p, int(a[0]!), int(a[1]!)), int(a[2]!)),
    notes: 'this process: renices the monitor\'s dispatcher thread' },
  { name: 'membarrier', status: 'passthrough', args: ['int', 'hex', 'int'], handler: (_p, a) => {
    // the vCPUs are host threads of the monitor's mm, so the host's barrier reaches them (an IPI
    // to a CPU in guest mode exits it); registration applies to the monitor process as well
    return sys(SYS.membarrier, int(a[0]!), int(a[1]!), int(a[2]!));
  } },
];
