// Threads: clone/clone3 for threads (each one a vCPU on its own host thread), exit of one thread,
// and futexes. Futex waits are the host's own: guest memory is host memory, so a guest futex word
// is a host futex word and waits and wakes between guest threads need no monitor bookkeeping.
import { sys } from '../host/native.js';
import { SYS } from '../host/sysno.js';
import { E } from '../host/errno.js';
import { MonitorError, PayloadExit, ThreadExit } from '../km/exit.js';
import { HostCall } from '../km/thread.js';
import { FUTEX } from '../km/robust.js';
import { syscallContextRegs } from '../km/deliver.js';
import type { Process } from '../km/process.js';
import { int, type SyscallDef } from './types.js';
import { EFAULT, EINVAL, copyTimespec, readTimespecNs, timespecBuffer } from './args.js';
import { CLOCK, clockNow } from './time.js';
import { cloneProcess } from './procs.js';

/** FUTEX_WAIT_BITSET's mask that matches every waker (what plain FUTEX_WAIT uses) */
const FUTEX_BITSET_MATCH_ANY = -1;

export const CLONE = {
  VM: 0x100, FS: 0x200, FILES: 0x400, SIGHAND: 0x800, PIDFD: 0x1000, PTRACE: 0x2000, VFORK: 0x4000,
  PARENT: 0x8000, THREAD: 0x10000, NEWNS: 0x20000, SYSVSEM: 0x40000, SETTLS: 0x80000,
  PARENT_SETTID: 0x100000, CHILD_CLEARTID: 0x200000, DETACHED: 0x400000, UNTRACED: 0x800000,
  CHILD_SETTID: 0x01000000, NEWCGROUP: 0x02000000, NEWUTS: 0x04000000, NEWIPC: 0x08000000,
  NEWUSER: 0x10000000, NEWPID: 0x20000000, NEWNET: 0x40000000, IO: 0x80000000,
} as const;
/** what a thread shares with its creator; km threads always share all of it */
const THREAD_NEEDS = CLONE.VM | CLONE.SIGHAND | CLONE.THREAD;
const THREAD_OK = THREAD_NEEDS | CLONE.FS | CLONE.FILES | CLONE.SYSVSEM | CLONE.SETTLS | CLONE.PARENT_SETTID
  | CLONE.CHILD_CLEARTID | CLONE.CHILD_SETTID | CLONE.DETACHED | CLONE.IO;
/** struct clone_args (clone3) */
const CloneArgs = { flags: 0, pidfd: 8, childTid: 16, parentTid: 24, exitSignal: 32, stack: 40, stackSize: 48, tls: 56, setTid: 64, setTidSize: 72, cgroup: 80, sizeV0: 64 } as const;
const TLS_MAX = 2 ** 47;

/** clone: a new thread of this process, or a new process (src/syscalls/procs.ts) */
function cloneThread(p: Process, flags: number, stack: number, ptid: number, ctid: number, tls: number): number | HostCall {
  if ((flags & THREAD_NEEDS) !== THREAD_NEEDS) {
    // CLONE_THREAD needs CLONE_SIGHAND, which needs CLONE_VM (Linux's own checks come first)
    if ((flags & CLONE.THREAD && !(flags & CLONE.SIGHAND)) || (flags & CLONE.SIGHAND && !(flags & CLONE.VM))) return EINVAL;
    return cloneProcess(p, flags, stack, ptid, ctid); // fork, vfork, posix_spawn
  }
  if (flags & ~THREAD_OK & 0xffffffff) return EINVAL;
  if (flags & CLONE.SETTLS && (tls < 0 || tls >= TLS_MAX)) return -E.EPERM;
  if (flags & CLONE.PARENT_SETTID && !p.as.canWrite(ptid, 4)) return EFAULT;
  if (flags & CLONE.CHILD_SETTID && !p.as.canWrite(ctid, 4)) return EFAULT;
  const sched = p.sched;
  if (p.threads.size >= sched.maxThreads) return -E.EAGAIN;
  const parent = p.cur;
  const ctx = syscallContextRegs(p, parent.h, 0);
  const regs = { ...ctx, rsp: stack !== 0 ? stack : ctx.rsp };
  const tid = p.newTid();
  let child;
  try {
    const xsave = p.machine.cloneXsave(parent.h) ?? parent.h.vcpu.getXsave();
    child = sched.spawn(tid, regs, xsave, flags & CLONE.SETTLS ? tls : parent.fsBase, parent);
  } catch (e) {
    if (e instanceof MonitorError) throw e; // km's own failure, not a refusal to report as EAGAIN
    return -E.EAGAIN; // KVM refused another vCPU
  }
  // the ids are in place before the child runs, as Linux writes them (musl's thread-list lock
  // takes the child's tid from there at once)
  if (flags & CLONE.CHILD_CLEARTID) child.clearChildTid = ctid;
  if (flags & CLONE.CHILD_SETTID) p.writeU32(ctid, tid);
  if (flags & CLONE.PARENT_SETTID) p.writeU32(ptid, tid);
  sched.start(child);
  return tid;
}

function clone3(p: Process, argsPtr: number, size: number): number | HostCall {
  if (size < CloneArgs.sizeV0 || size > 4096) return EINVAL;
  const b = p.readBytes(argsPtr, size);
  if (!b) return EFAULT;
  const d = Buffer.from(b);
  const u64 = (off: number) => (off + 8 <= size ? Number(d.readBigUInt64LE(off)) : 0);
  // fields beyond the ones km knows must be zero (the kernel's rule for extensible structs)
  for (let off = CloneArgs.cgroup + 8; off < size; off++) if (d[off] !== 0) return -E.E2BIG;
  const flags = u64(CloneArgs.flags);
  // the pidfd field only counts with CLONE_PIDFD (glibc fills it regardless)
  if (u64(CloneArgs.setTid) || u64(CloneArgs.setTidSize) || u64(CloneArgs.cgroup) || flags & CLONE.PIDFD) return EINVAL;
  if (flags >= 2 ** 32) return EINVAL;
  if (flags & CLONE.THREAD && u64(CloneArgs.exitSignal)) return EINVAL;
  const stack = u64(CloneArgs.stack), stackSize = u64(CloneArgs.stackSize);
  if ((stack === 0) !== (stackSize === 0) && flags & CLONE.VM) return EINVAL;
  return cloneThread(p, flags, stack + stackSize, u64(CloneArgs.parentTid), u64(CloneArgs.childTid), u64(CloneArgs.tls));
}

function futex(p: Process, uaddr: number, op: number, val: number, timeout: number, uaddr2: number, val3: number): number | HostCall {
  const cmd = op & ~(FUTEX.PRIVATE_FLAG | FUTEX.CLOCK_REALTIME);
  if (uaddr % 4 !== 0) return EINVAL;
  const h = p.hostPtr(uaddr, 4);
  if (h < 0) return EFAULT;
  switch (cmd) {
    case FUTEX.WAIT: case FUTEX.WAIT_BITSET: {
      if (op & FUTEX.CLOCK_REALTIME && cmd === FUTEX.WAIT) return -E.ENOSYS;
      if (cmd === FUTEX.WAIT_BITSET && (val3 | 0) === 0) return EINVAL;
      if (timeout === 0) return new HostCall(SYS.futex, [h, op, val, 0, 0, val3]);
      if (cmd === FUTEX.WAIT) {
        // a relative timeout becomes an absolute CLOCK_MONOTONIC deadline (FUTEX_WAIT measures
        // on that clock), so a wait the monitor restarts after a spurious interrupt keeps it
        const rel = readTimespecNs(p, timeout);
        if (typeof rel === 'number') return rel;
        const now = clockNow(CLOCK.MONOTONIC) as bigint;
        const ts = timespecBuffer(now + rel);
        return new HostCall(SYS.futex, [h, (op & FUTEX.PRIVATE_FLAG) | FUTEX.WAIT_BITSET, val, p.scratchAddrFor(ts), 0, FUTEX_BITSET_MATCH_ANY], undefined, ts);
      }
      const ts = copyTimespec(p, timeout);
      if (typeof ts === 'number') return ts;
      return new HostCall(SYS.futex, [h, op, val, p.scratchAddrFor(ts), 0, val3], undefined, ts);
    }
    case FUTEX.WAKE: case FUTEX.WAKE_BITSET:
      return sys(SYS.futex, h, op, val, 0, 0, val3);
    case FUTEX.REQUEUE: case FUTEX.CMP_REQUEUE: case FUTEX.WAKE_OP: {
      if (uaddr2 % 4 !== 0) return EINVAL;
      const h2 = p.hostPtr(uaddr2, 4);
      if (h2 < 0) return EFAULT;
      // the fourth argument is a count here (val2), not a pointer
      return sys(SYS.futex, h, op, val, timeout, h2, val3);
    }
    default:
      // priority-inheritance futexes store host thread ids in the word: not offered
      return -E.ENOSYS;
  }
}

export const threadSyscalls: SyscallDef[] = [
  { name: 'clone', status: 'partial', args: ['hex', 'ptr', 'ptr', 'ptr', 'hex'], handler: (p, a) => cloneThread(p, a[0]!, a[1]!, a[2]!, a[3]!, a[4]!),
    notes: 'threads (CLONE_VM|CLONE_SIGHAND|CLONE_THREAD): a vCPU on its own host thread; new processes as fork (CLONE_VM only with CLONE_VFORK, no namespaces)' },
  { name: 'clone3', status: 'partial', args: ['ptr', 'size'], handler: (p, a) => clone3(p, a[0]!, a[1]!), notes: 'as clone; set_tid, cgroup and pidfd refused (EINVAL)' },
  { name: 'exit', status: 'emulated', args: ['int'], handler: (p, a) => {
    const status = int(a[0]!) & 0xff;
    if (p.threads.size <= 1) throw new PayloadExit(status);
    throw new ThreadExit(status);
  }, fast: 'threadExit', notes: 'ends the thread; clear_child_tid and robust futexes handled; the last thread ends the process' },
  { name: 'futex', status: 'partial', args: ['ptr', 'int', 'int', 'ptr', 'ptr', 'hex'], handler: (p, a) => futex(p, a[0]!, int(a[1]!), int(a[2]!), a[3]!, a[4]!, int(a[5]!)), fast: 'futex',
    notes: 'WAIT, WAKE, REQUEUE, CMP_REQUEUE, WAKE_OP, WAIT_BITSET, WAKE_BITSET (private or not, CLOCK_REALTIME) on the host futex of the same memory; PI futexes: ENOSYS' },
];
