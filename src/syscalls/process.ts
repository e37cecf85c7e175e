// Identity, limits, exit, thread-start bookkeeping and system information.
import { native, sys } from '../host/native.js';
import { SYS } from '../host/sysno.js';
import { E } from '../host/errno.js';
import { SysinfoLayout } from '../host/hostcalls.js';
import { PayloadExit } from '../km/exit.js';
import { RLIMIT, RLIM_INFINITY } from '../km/rlimits.js';
import type { Process } from '../km/process.js';
import { HostCall } from '../km/thread.js';
import { openPagemap } from '../km/fork.js';
import { int, uint, type Args, type SyscallDef } from './types.js';
import { EFAULT, EINVAL, faultingHostPtr } from './args.js';
import { latin1Bytes, latin1String } from '../util/bytes.js';

/** Changes the monitor's credentials for all of its threads; /proc/self/pagemap is opened first
 * (fork reads it; see openPagemap) */
function setCredentials(nr: number, a0: number, a1?: number, a2?: number): number {
  openPagemap();
  return native.setCredentials(nr, a0, a1, a2);
}

/** setgroups' limit on the list (Linux's NGROUPS_MAX) */
const NGROUPS_MAX = 65536;

export const ARCH = { SET_GS: 0x1001, SET_FS: 0x1002, GET_FS: 0x1003, GET_GS: 0x1004, GET_CPUID: 0x1011, SET_CPUID: 0x1012 } as const;
const UTSNAME_FIELD = 65;
const UTS_RELEASE_OFF = 2 * UTSNAME_FIELD;
export const RELEASE_SUFFIX = '-kontain';
const ROBUST_LIST_HEAD_SIZE = 24;

function archPrctl(p: Process, code: number, addr: number): number {
  switch (code) {
    case ARCH.SET_FS: {
      if (addr < 0 || addr >= 2 ** 47) return -E.EPERM;
      const v = p.vcpu.vcpu, s = v.getSregs();
      s.setSegmentBase('fs', addr);
      v.setSregs(s);
      p.cur.fsBase = addr;
      return 0;
    }
    case ARCH.GET_FS: return p.writeU64(addr, p.cur.fsBase) ? 0 : EFAULT;
    case ARCH.GET_GS: return p.writeU64(addr, 0) ? 0 : EFAULT;
    case ARCH.GET_CPUID: return 1;
    case ARCH.SET_GS: case ARCH.SET_CPUID: return -E.EPERM;
    default: return EINVAL;
  }
}

/** sethostname/setdomainname: the host checks the length first (EINVAL), then reads the name */
const setUtsName = (nr: number) => (p: Process, a: Args): number =>
  sys(nr, faultingHostPtr(p, a[0]!, Math.max(0, Math.min(a[1]!, UTSNAME_FIELD))), a[1]!);

function uname(p: Process, buf: number): number {
  const h = p.hostPtr(buf, 6 * UTSNAME_FIELD);
  if (h < 0) return EFAULT;
  const r = sys(SYS.uname, h);
  if (r < 0) return r;
  const rel = p.mem.read(buf + UTS_RELEASE_OFF, UTSNAME_FIELD);
  const end = rel.indexOf(0);
  const release = latin1String(rel.subarray(0, end < 0 ? UTSNAME_FIELD - 1 : end));
  const out = new Uint8Array(UTSNAME_FIELD);
  out.set(latin1Bytes((release + RELEASE_SUFFIX).slice(0, UTSNAME_FIELD - 1)));
  p.mem.write(buf + UTS_RELEASE_OFF, out);
  return 0;
}

function isSelf(p: Process, pid: number): boolean { return pid === 0 || pid === p.pid; }
/** 0, the process or one of its threads (calls that take a thread id, like sched_getaffinity) */
export function isOwnTask(p: Process, tid: number): boolean { return isSelf(p, tid) || p.threads.has(tid); }

function prlimit(p: Process, pid: number, res: number, newPtr: number, oldPtr: number): number {
  if (!isSelf(p, pid)) return -E.ESRCH;
  if (res < 0 || res >= 16) return EINVAL;
  const L = p.rlimits;
  let next: [bigint, bigint] | null = null;
  if (newPtr !== 0) {
    const b = p.readBytes(newPtr, 16);
    if (!b) return EFAULT;
    const d = Buffer.from(b);
    next = [d.readBigUInt64LE(0), d.readBigUInt64LE(8)];
  }
  if (oldPtr !== 0) {
    const o = Buffer.alloc(16);
    o.writeBigUInt64LE(L.cur[res]!, 0); o.writeBigUInt64LE(L.max[res]!, 8);
    if (!p.writeBytes(oldPtr, o)) return EFAULT;
  }
  if (next) {
    const r = L.set(res, next[0], next[1], sys(SYS.geteuid) === 0);
    if (r < 0) return r;
    if (res === RLIMIT.NOFILE) p.fds.limit = Number(next[0] > 1048576n ? 1048576n : next[0]);
  }
  return 0;
}

const PR = { SET_PDEATHSIG: 1, GET_PDEATHSIG: 2, GET_DUMPABLE: 3, SET_DUMPABLE: 4, SET_NAME: 15, GET_NAME: 16,
  SET_NO_NEW_PRIVS: 38, GET_NO_NEW_PRIVS: 39, SET_THP_DISABLE: 41, GET_THP_DISABLE: 42, SET_VMA: 0x53564d41 } as const;

function prctl(p: Process, op: number, a2: number): number {
  switch (op) {
    case PR.SET_NAME: {
      const s = p.readCString(a2, 16);
      let name: string;
      if (typeof s === 'number') { const b = p.readBytes(a2, 16); if (!b) return EFAULT; name = Buffer.from(b).toString('latin1', 0, 15); }
      else name = s.subarray(0, Math.min(15, s.length - 1)).toString('latin1');
      // the calling thread's name; the main thread's is also the process's (/proc/self/comm)
      p.cur.comm = name;
      if (p.cur.tid === p.pid) p.comm = name;
      return 0;
    }
    case PR.GET_NAME: {
      const out = Buffer.alloc(16); out.write(p.cur.comm, 'latin1');
      return p.writeBytes(a2, out) ? 0 : EFAULT;
    }
    case PR.SET_PDEATHSIG: if (a2 < 0 || a2 > 64) return EINVAL; p.pdeathsig = a2; return 0;
    case PR.GET_PDEATHSIG: return p.writeU32(a2, p.pdeathsig) ? 0 : EFAULT;
    case PR.GET_DUMPABLE: return 1;
    case PR.SET_DUMPABLE: return a2 === 0 || a2 === 1 ? 0 : EINVAL;
    case PR.SET_NO_NEW_PRIVS: case PR.SET_THP_DISABLE: return 0;
    case PR.GET_NO_NEW_PRIVS: case PR.GET_THP_DISABLE: return 0;
    default: return EINVAL;
  }
}

const P = 'passthrough' as const;
export const processSyscalls: SyscallDef[] = [
  { name: 'exit_group', status: 'emulated', args: ['int'], handler: (_p, a) => { throw new PayloadExit(int(a[0]!) & 0xff); } },
  { name: 'getpid', status: 'emulated', args: [], handler: (p) => p.pid, fast: 'getpid', notes: "the monitor's host pid" },
  { name: 'gettid', status: 'emulated', args: [], handler: (p) => p.tid },
  { name: 'getppid', status: P, args: [], handler: () => sys(SYS.getppid) },
  { name: 'getuid', status: P, args: [], handler: () => sys(SYS.getuid) },
  { name: 'geteuid', status: P, args: [], handler: () => sys(SYS.geteuid) },
  { name: 'getgid', status: P, args: [], handler: () => sys(SYS.getgid) },
  { name: 'getegid', status: P, args: [], handler: () => sys(SYS.getegid) },
  { name: 'getresuid', status: P, args: ['ptr', 'ptr', 'ptr'], handler: (p, a) => {
    const x = p.hostPtr(a[0]!, 4), y = p.hostPtr(a[1]!, 4), z = p.hostPtr(a[2]!, 4);
    return x < 0 || y < 0 || z < 0 ? EFAULT : sys(SYS.getresuid, x, y, z);
  } },
  { name: 'getresgid', status: P, args: ['ptr', 'ptr', 'ptr'], handler: (p, a) => {
    const x = p.hostPtr(a[0]!, 4), y = p.hostPtr(a[1]!, 4), z = p.hostPtr(a[2]!, 4);
    return x < 0 || y < 0 || z < 0 ? EFAULT : sys(SYS.getresgid, x, y, z);
  } },
  { name: 'getgroups', status: P, args: ['int', 'ptr'], handler: (p, a) => {
    const n = int(a[0]!); if (n < 0) return EINVAL;
    const l = n === 0 ? 0 : p.hostPtr(a[1]!, n * 4); return l < 0 ? EFAULT : sys(SYS.getgroups, n, l);
  } },
  // credentials: the monitor's own are the payload's, changed for all of its threads at once (the
  // vCPU threads make host calls for the payload); the device stays open (src/kvm/kvm.ts), so a
  // payload that gives up root can still execve and fork
  { name: 'setuid', status: P, args: ['int'], handler: (_p, a) => setCredentials(SYS.setuid, uint(a[0]!)) },
  { name: 'setgid', status: P, args: ['int'], handler: (_p, a) => setCredentials(SYS.setgid, uint(a[0]!)) },
  { name: 'setreuid', status: P, args: ['int', 'int'], handler: (_p, a) => setCredentials(SYS.setreuid, uint(a[0]!), uint(a[1]!)) },
  { name: 'setregid', status: P, args: ['int', 'int'], handler: (_p, a) => setCredentials(SYS.setregid, uint(a[0]!), uint(a[1]!)) },
  { name: 'setresuid', status: P, args: ['int', 'int', 'int'], handler: (_p, a) => setCredentials(SYS.setresuid, uint(a[0]!), uint(a[1]!), uint(a[2]!)) },
  { name: 'setresgid', status: P, args: ['int', 'int', 'int'], handler: (_p, a) => setCredentials(SYS.setresgid, uint(a[0]!), uint(a[1]!), uint(a[2]!)) },
  { name: 'setgroups', status: P, args: ['int', 'ptr'], handler: (p, a) => {
    const n = int(a[0]!);
    if (n < 0 || n > NGROUPS_MAX) return EINVAL;
    const l = n === 0 ? 0 : p.hostPtr(a[1]!, n * 4);
    return l < 0 ? EFAULT : setCredentials(SYS.setgroups, n, l);
  } },
  { name: 'getpgrp', status: P, args: [], handler: () => sys(SYS.getpgrp) },
  { name: 'getpgid', status: P, args: ['int'], handler: (p, a) => sys(SYS.getpgid, isSelf(p, int(a[0]!)) ? 0 : a[0]!) },
  { name: 'getsid', status: P, args: ['int'], handler: (p, a) => sys(SYS.getsid, isSelf(p, int(a[0]!)) ? 0 : a[0]!) },
  { name: 'set_tid_address', status: 'emulated', args: ['ptr'], handler: (p, a) => { p.cur.clearChildTid = a[0]!; return p.tid; } },
  { name: 'set_robust_list', status: 'emulated', args: ['ptr', 'size'], handler: (p, a) => { if (a[1]! !== ROBUST_LIST_HEAD_SIZE) return EINVAL; p.cur.robustList = a[0]!; return 0; }, notes: 'robust futexes a thread holds when it ends are marked FUTEX_OWNER_DIED, as Linux does' },
  { name: 'get_robust_list', status: 'emulated', args: ['int', 'ptr', 'ptr'], handler: (p, a) => {
    const t = int(a[0]!) === 0 ? p.cur : p.threads.get(int(a[0]!));
    if (!t) return -E.ESRCH;
    return p.writeU64(a[1]!, t.robustList) && p.writeU64(a[2]!, ROBUST_LIST_HEAD_SIZE) ? 0 : EFAULT;
  } },
  { name: 'rseq', status: 'unsupported', args: ['ptr', 'uint', 'int', 'hex'], notes: 'ENOSYS: glibc and others then run without restartable sequences' },
  { name: 'arch_prctl', status: 'partial', args: ['hex', 'hex'], handler: (p, a) => archPrctl(p, int(a[0]!), a[1]!), notes: 'ARCH_SET_FS/GET_FS/GET_GS/GET_CPUID; ARCH_SET_GS refused (GS holds the hypercall mailbox)' },
  { name: 'uname', status: 'emulated', args: ['ptr'], handler: (p, a) => uname(p, a[0]!), notes: `the release carries "${RELEASE_SUFFIX}"` },
  { name: 'sethostname', status: P, args: ['ptr', 'size'], handler: setUtsName(SYS.sethostname),
    notes: "the host's (or the container's UTS namespace's), as for a native process with CAP_SYS_ADMIN" },
  { name: 'setdomainname', status: P, args: ['ptr', 'size'], handler: setUtsName(SYS.setdomainname), notes: 'as sethostname' },
  { name: 'sysinfo', status: P, args: ['ptr'], handler: (p, a) => { const b = p.hostPtr(a[0]!, SysinfoLayout.size); return b < 0 ? EFAULT : sys(SYS.sysinfo, b); } },
  { name: 'prlimit64', status: 'emulated', args: ['int', 'int', 'ptr', 'ptr'], handler: (p, a) => prlimit(p, int(a[0]!), int(a[1]!), a[2]!, a[3]!), notes: 'limits kept per payload; RLIMIT_NOFILE bounds its descriptors' },
  { name: 'getrlimit', status: 'emulated', args: ['int', 'ptr'], handler: (p, a) => {
    const r = int(a[0]!); if (r < 0 || r >= 16) return EINVAL;
    const o = Buffer.alloc(16); o.writeBigUInt64LE(p.rlimits.cur[r]!, 0); o.writeBigUInt64LE(p.rlimits.max[r]!, 8);
    return p.writeBytes(a[1]!, o) ? 0 : EFAULT;
  } },
  { name: 'setrlimit', status: 'emulated', args: ['int', 'ptr'], handler: (p, a) => prlimit(p, 0, int(a[0]!), a[1]!, 0) },
  { name: 'sched_getaffinity', status: P, args: ['int', 'size', 'ptr'], handler: (p, a) => {
    if (!isOwnTask(p, int(a[0]!))) return -E.ESRCH;
    const b = p.hostPtr(a[2]!, a[1]!); return b < 0 ? EFAULT : sys(SYS.sched_getaffinity, 0, a[1]!, b);
  }, notes: 'the process, or any of its threads: the CPUs the monitor may use' },
  { name: 'sched_setaffinity', status: 'emulated', args: ['int', 'size', 'ptr'], handler: (p, a) => (isOwnTask(p, int(a[0]!)) ? (p.readBytes(a[2]!, Math.min(a[1]!, 128)) ? 0 : EFAULT) : -E.ESRCH), notes: 'accepted, not applied' },
  { name: 'sched_yield', status: P, args: [], handler: () => new HostCall(SYS.sched_yield, []), fast: 'yield',
    notes: "on the calling thread's host thread (not the monitor's)" },
  { name: 'getrandom', status: P, args: ['ptr', 'size', 'hex'], handler: (p, a) => { const b = p.hostPtr(a[0]!, a[1]!); return b < 0 ? EFAULT : sys(SYS.getrandom, b, a[1]!, a[2]!); } },
  { name: 'getcpu', status: P, args: ['ptr', 'ptr', 'ptr'], handler: (p, a) => {
    const c = p.hostPtrOpt(a[0]!, 4), n = p.hostPtrOpt(a[1]!, 4); return c < 0 || n < 0 ? EFAULT : sys(SYS.getcpu, c, n, 0);
  } },
  { name: 'prctl', status: 'partial', args: ['int', 'hex', 'hex', 'hex', 'hex'], handler: (p, a) => prctl(p, int(a[0]!), a[1]!), notes: 'PR_SET/GET_NAME, PR_SET/GET_PDEATHSIG, dumpable, no_new_privs, THP; others EINVAL' },
];
export { RLIM_INFINITY };
