// New processes: fork (a new monitor, src/km/fork.ts), execve (the program replaced inside this
// monitor, src/km/exec.ts), and waiting for children, which are the host's own child processes.
import { sys } from '../host/native.js';
import { SYS } from '../host/sysno.js';
import { E } from '../host/errno.js';
import { ExecRequest } from '../km/exit.js';
import { HostCall, Park } from '../km/thread.js';
import { forkProcess } from '../km/fork.js';
import { prepareProgram, ExecFailure } from '../km/program.js';
import type { Process } from '../km/process.js';
import { int, type SyscallDef } from './types.js';
import { EFAULT, EINVAL, hostDirFd, hostPathAt } from './args.js';
import { CLONE } from './thread.js';
import { latin1String } from '../util/bytes.js';

/** waitid's idtype for a pidfd, and pidfd_open's one flag (O_NONBLOCK) */
const P_PIDFD = 3;
const PIDFD_NONBLOCK = 0o4000;

const AT_EMPTY_PATH = 0x1000, AT_SYMLINK_NOFOLLOW = 0x100;
/** most argv + envp entries execve reads (Linux bounds them by size; this bounds the walk) */
const MAX_ARG_ENTRIES = 0x7fffffff / 8;
const RUSAGE_SIZE = 144, SIGINFO_SIZE = 128;
const WAIT_OPTIONS = 0x1 | 0x2 | 0x4 | 0x8 | 0x1000000 | 0x20000000 | 0x40000000 | 0x80000000;

/** fork-like clones: a new process, never a thread (src/syscalls/thread.ts handles those) */
export function cloneProcess(p: Process, flags: number, stack: number, ptid: number, ctid: number): number | HostCall {
  // a new process sharing memory or signal handlers with this one is a thread-like thing km
  // cannot give (its memory would be another VM's); CLONE_VM|CLONE_VFORK is vfork and gets a copy
  if (flags & CLONE.SIGHAND || flags & CLONE.THREAD) return EINVAL;
  if ((flags & CLONE.VM) && !(flags & CLONE.VFORK)) return EINVAL;
  if (flags & (CLONE.NEWNS | CLONE.NEWUSER | CLONE.NEWPID | CLONE.NEWNET | CLONE.NEWUTS | CLONE.NEWIPC | CLONE.NEWCGROUP)) return -E.EPERM;
  if (flags & CLONE.PIDFD) return EINVAL;
  if (flags & CLONE.PARENT_SETTID && !p.as.canWrite(ptid, 4)) return EFAULT;
  if (flags & (CLONE.CHILD_SETTID | CLONE.CHILD_CLEARTID) && !p.as.canWrite(ctid, 4)) return EFAULT;
  const r = forkProcess(p, stack, ctid, (flags & CLONE.CHILD_SETTID) !== 0, (flags & CLONE.CHILD_CLEARTID) !== 0, (flags & CLONE.VFORK) !== 0);
  const pid = typeof r === 'number' ? r : r.pid;
  if (pid > 0 && flags & CLONE.PARENT_SETTID) p.writeU32(ptid, pid);
  return typeof r === 'number' ? r : r.wait; // vfork: the parent waits for the child's execve or exit
}

/** Linux's bound on one argv or envp string (32 pages, MAX_ARG_STRLEN) */
const MAX_ARG_STRLEN = 32 * 4096;

/** a NULL-terminated array of guest strings (argv, envp): byte strings (src/util/bytes.ts), or -errno */
function readStringArray(p: Process, ptr: number): string[] | number {
  const out: string[] = [];
  if (ptr === 0) return out; // Linux takes a NULL argv or envp as empty
  for (let i = 0; i < MAX_ARG_ENTRIES; i++) {
    const s = p.readU64(ptr + 8 * i);
    if (s === null) return EFAULT;
    if (s === 0) return out;
    const str = p.readCString(s, MAX_ARG_STRLEN);
    if (typeof str === 'number') return str === -E.ENAMETOOLONG ? -E.E2BIG : str;
    out.push(latin1String(str.subarray(0, str.length - 1)));
  }
  return -E.E2BIG;
}

function execve(p: Process, dirfd: number, pathPtr: number, argvPtr: number, envpPtr: number, flags: number): number | Park {
  if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) return EINVAL;
  const given = p.readString(pathPtr);
  if (typeof given === 'number') return given;
  let host: string;
  if (given === '') {
    if (!(flags & AT_EMPTY_PATH)) return -E.ENOENT;
    const h = hostDirFd(p, dirfd);
    if (h < 0) return -E.EBADF;
    host = `/proc/self/fd/${h}`;
  } else {
    const b = hostPathAt(p, dirfd, pathPtr);
    if (typeof b === 'number') return b;
    host = b.subarray(0, b.length - 1).toString('utf8');
  }
  const argv = readStringArray(p, argvPtr);
  if (typeof argv === 'number') return argv;
  const envp = readStringArray(p, envpPtr);
  if (typeof envp === 'number') return envp;
  // Linux gives a program started with an empty argv an argv[0] of ""
  if (argv.length === 0) argv.push('');
  let spec;
  try {
    spec = prepareProgram(host, given, argv, envp);
  } catch (e) {
    if (!(e instanceof ExecFailure)) throw e;
    if (p.opts.verbose) p.log(`km: execve: ${e.message}`);
    return -e.errno;
  }
  // past the point of no return: the other threads end first (their host threads give them back)
  const t = p.cur;
  if (p.threads.size > 1 && p.sched.endOtherThreads(t) > 0) {
    return new Park(() => { if (p.threads.size > 1) return null; throw new ExecRequest(spec, t); });
  }
  throw new ExecRequest(spec, t);
}

export const procsSyscalls: SyscallDef[] = [
  { name: 'fork', status: 'emulated', args: [], handler: (p) => cloneProcess(p, 0, 0, 0, 0),
    notes: 'the child is a new km (its own VM) started as a host child: private memory is copied, shared mappings stay shared, descriptors are inherited' },
  { name: 'vfork', status: 'emulated', args: [], handler: (p) => cloneProcess(p, CLONE.VM | CLONE.VFORK, 0, 0, 0),
    notes: 'as fork: the child gets a copy of memory; the parent waits until the child calls execve or exits' },
  { name: 'execve', status: 'emulated', args: ['str', 'ptr', 'ptr'], handler: (p, a) => execve(p, -100, a[0]!, a[1]!, a[2]!, 0),
    notes: 'the program (ELF, or a #! script) replaces the payload inside the same km: same pid, descriptors without FD_CLOEXEC, ignored signals, mask; failures return errno as Linux; other threads are ended first' },
  { name: 'execveat', status: 'emulated', args: ['dirfd', 'str', 'ptr', 'ptr', 'atflags'], handler: (p, a) => execve(p, a[0]!, a[1]!, a[2]!, a[3]!, int(a[4]!)),
    notes: 'as execve; AT_EMPTY_PATH runs the file an fd refers to (fexecve)' },
  { name: 'wait4', status: 'passthrough', args: ['int', 'ptr', 'hex', 'ptr'], handler: (p, a) => {
    if (int(a[2]!) & ~WAIT_OPTIONS) return EINVAL;
    const st = p.hostPtrOpt(a[1]!, 4), ru = p.hostPtrOpt(a[3]!, RUSAGE_SIZE);
    if (st < 0 || ru < 0) return EFAULT;
    return new HostCall(SYS.wait4, [int(a[0]!), st, int(a[2]!), ru]);
  }, notes: "children are the host's child processes (their km): statuses are theirs" },
  { name: 'waitid', status: 'passthrough', args: ['int', 'int', 'ptr', 'hex', 'ptr'], handler: (p, a) => {
    const info = p.hostPtrOpt(a[2]!, SIGINFO_SIZE), ru = p.hostPtrOpt(a[4]!, RUSAGE_SIZE);
    if (info < 0 || ru < 0) return EFAULT;
    // P_PIDFD names the child by a descriptor: the host's behind the guest's
    const idtype = int(a[0]!), id = idtype === P_PIDFD ? p.fds.get(int(a[1]!)) : int(a[1]!);
    if (idtype === P_PIDFD && id < 0) return -E.EBADF;
    return new HostCall(SYS.waitid, [idtype, id, info, int(a[3]!), ru]);
  } },
  { name: 'pidfd_open', status: 'partial', args: ['int', 'hex'], handler: (p, a) => {
    const pid = int(a[0]!), flags = int(a[1]!);
    // PIDFD_THREAD (Linux 6.9) is refused as older kernels do: thread ids are the monitor's own
    if ((flags & ~PIDFD_NONBLOCK) !== 0 || pid <= 0) return EINVAL;
    // one of the payload's other threads is not a thread-group leader: the host answers for the
    // host thread that runs it, which is not one either (ENOENT, or EINVAL before Linux 6.9)
    const t = pid !== p.pid ? p.threads.get(pid) : undefined;
    const hostPid = t ? p.sched.hostTidOf(t) : pid;
    if (hostPid <= 0) return EINVAL;
    const h = sys(SYS.pidfd_open, hostPid, flags);
    if (h < 0) return h;
    const g = p.fds.alloc(h, true); // a pidfd is always close-on-exec
    if (g < 0) sys(SYS.close, h);
    return g;
  }, notes: 'the payload itself or another process (children are host processes); PIDFD_THREAD refused (EINVAL)' },
  { name: 'setpgid', status: 'passthrough', args: ['int', 'int'], handler: (p, a) => sys(SYS.setpgid, int(a[0]!) === p.pid ? 0 : int(a[0]!), int(a[1]!)) },
  { name: 'setsid', status: 'passthrough', args: [], handler: () => sys(SYS.setsid) },
];
