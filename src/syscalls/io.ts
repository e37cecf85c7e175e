// Data movement between descriptors (sendfile, splice, tee, copy_file_range), space and cache
// control (fallocate, fadvise, sync family), advisory locks, extended attributes, memfd, inotify,
// node creation (mknod) and descriptor-range closing. All host objects: descriptors and paths are
// translated, guest pointers validated, and calls that may block (pipes, locks) run as HostCalls
// so that only the calling thread waits.
import { sys } from '../host/native.js';
import { SYS } from '../host/sysno.js';
import { E } from '../host/errno.js';
import { AT_FDCWD } from '../host/hostcalls.js';
import { HostCall } from '../km/thread.js';
import type { Process } from '../km/process.js';
import { int, uint, type Args, type SyscallDef } from './types.js';
import { EBADF, EFAULT, EINVAL, addr, hostDirFd, hostFd, hostPath } from './args.js';
import { translateIovec } from './fs.js';

const O_CLOEXEC = 0o2000000, O_NONBLOCK = 0o4000;
/** loff_t / off_t pointed to by sendfile, splice and copy_file_range */
const OFF_SIZE = 8;
/** struct utimbuf (utime): actime, modtime */
const UTIMBUF_SIZE = 16;
/** struct timeval[2] (utimes, futimesat) */
const TIMEVAL2_SIZE = 32;
/** XATTR_NAME_MAX + 1: a longer name is ERANGE */
const XATTR_NAME_BUF = 256;
/** the kernel's memfd name limit (249 bytes + NUL after its "memfd:" prefix) */
const MFD_NAME_MAX = 249;
const MFD = { CLOEXEC: 1, ALLOW_SEALING: 2, HUGETLB: 4, NOEXEC_SEAL: 8, EXEC: 0x10 } as const;
const IN_CLOEXEC = O_CLOEXEC, IN_NONBLOCK = O_NONBLOCK;
const CLOSE_RANGE = { UNSHARE: 2, CLOEXEC: 4 } as const;
const LOCK_NB = 4;

/** host fd or EBADF as a result */
function fdOr(p: Process, g: number, then: (h: number) => number | HostCall): number | HostCall {
  const h = hostFd(p, g);
  return h < 0 ? EBADF : then(h);
}

/** an optional guest loff_t*: host address, 0 for NULL, <0 for EFAULT */
function offPtr(p: Process, ptr: number): number {
  return p.hostPtrOpt(ptr, OFF_SIZE);
}

// ---- moving data between descriptors ----

function sendfile(p: Process, a: Args): number | HostCall {
  const out = hostFd(p, a[0]!), inp = hostFd(p, a[1]!);
  if (out < 0 || inp < 0) return EBADF;
  const off = offPtr(p, a[2]!);
  if (off < 0) return EFAULT;
  return new HostCall(SYS.sendfile, [out, inp, off, a[3]!]);
}

/** splice and copy_file_range: (fd_in, off_in*, fd_out, off_out*, len, flags), the same shape */
function twoFdCopy(nr: number) {
  return (p: Process, a: Args): number | HostCall => {
    const inp = hostFd(p, a[0]!), out = hostFd(p, a[2]!);
    if (inp < 0 || out < 0) return EBADF;
    const offIn = offPtr(p, a[1]!), offOut = offPtr(p, a[3]!);
    if (offIn < 0 || offOut < 0) return EFAULT;
    return new HostCall(nr, [inp, offIn, out, offOut, a[4]!, a[5]!]);
  };
}
const splice = twoFdCopy(SYS.splice);
const copyFileRange = twoFdCopy(SYS.copy_file_range);

function vmsplice(p: Process, a: Args): number | HostCall {
  const h = hostFd(p, a[0]!);
  if (h < 0) return EBADF;
  const cnt = a[2]!;
  if (cnt < 0 || cnt > 1024) return EINVAL;
  const v = translateIovec(p, a[1]!, cnt);
  if (typeof v === 'number') return v;
  return new HostCall(SYS.vmsplice, [h, addr(v), cnt, a[3]!], undefined, v);
}

// ---- timestamps through the old interfaces ----

/** utime / utimes / futimesat: a times struct of `size` bytes (NULL: now) at a path */
function oldUtimes(p: Process, nr: number, dirfd: number | null, pathPtr: number, tPtr: number, size: number): number {
  const path = hostPath(p, pathPtr);
  if (typeof path === 'number') return path;
  const t = p.hostPtrOpt(tPtr, size);
  if (t < 0) return EFAULT;
  return dirfd === null ? sys(nr, addr(path), t) : sys(nr, hostDirFd(p, dirfd), addr(path), t);
}

// ---- extended attributes ----

/** an attribute name as a host string: ERANGE when longer than XATTR_NAME_MAX, as Linux says */
function xattrName(p: Process, ptr: number): Buffer | number {
  const n = p.readCString(ptr, XATTR_NAME_BUF);
  if (n === -E.ENAMETOOLONG) return -E.ERANGE;
  if (typeof n !== 'number' && n.length === 1) return -E.ERANGE;
  return n;
}

/** an optional value buffer of `size` bytes (size 0: a size query, no buffer) */
function valueBuf(p: Process, ptr: number, size: number): number {
  return size === 0 ? 0 : p.hostPtr(ptr, size);
}

/** XATTR_SIZE_MAX and XATTR_LIST_MAX: the kernel never touches more of a buffer than this */
const XATTR_SIZE_MAX = 65536;
/** a get/list buffer size as the kernel uses it (a larger size_t, even "negative", is clamped) */
const clampSize = (size: number): number => (size < 0 || size > XATTR_SIZE_MAX ? XATTR_SIZE_MAX : size);

type XTarget = 'path' | 'lpath' | 'fd';

/** the object an xattr call names: [host fd or path address, keep-alive] or -errno */
function xtarget(p: Process, kind: XTarget, v: number): number | Buffer {
  if (kind === 'fd') { const h = hostFd(p, v); return h < 0 ? EBADF : h; }
  return hostPath(p, v);
}

const XNR = {
  get: { path: SYS.getxattr, lpath: SYS.lgetxattr, fd: SYS.fgetxattr },
  set: { path: SYS.setxattr, lpath: SYS.lsetxattr, fd: SYS.fsetxattr },
  list: { path: SYS.listxattr, lpath: SYS.llistxattr, fd: SYS.flistxattr },
  remove: { path: SYS.removexattr, lpath: SYS.lremovexattr, fd: SYS.fremovexattr },
} as const;

function xattr(op: keyof typeof XNR, kind: XTarget) {
  const nr = XNR[op][kind];
  return (p: Process, a: Args): number => {
    const t = xtarget(p, kind, a[0]!);
    if (typeof t === 'number' && t < 0) return t;
    const target = typeof t === 'number' ? t : addr(t);
    if (op === 'list') {
      const size = clampSize(a[2]!);
      const b = valueBuf(p, a[1]!, size);
      return b < 0 ? EFAULT : sys(nr, target, b, size);
    }
    const name = xattrName(p, a[1]!);
    if (typeof name === 'number') return name;
    if (op === 'remove') return sys(nr, target, addr(name));
    if (op === 'set' && (a[3]! < 0 || a[3]! > XATTR_SIZE_MAX)) return -E.E2BIG;
    const size = clampSize(a[3]!);
    const b = valueBuf(p, a[2]!, size);
    if (b < 0) return EFAULT;
    return op === 'get' ? sys(nr, target, addr(name), b, size) : sys(nr, target, addr(name), b, size, a[4]!);
  };
}

// ---- new descriptors: memfd, inotify ----

function memfdCreate(p: Process, namePtr: number, flags: number): number {
  if (flags & ~(MFD.CLOEXEC | MFD.ALLOW_SEALING | MFD.HUGETLB | MFD.NOEXEC_SEAL | MFD.EXEC | (0x3f << 26))) return EINVAL;
  const name = p.readCString(namePtr, MFD_NAME_MAX + 1);
  if (name === -E.ENAMETOOLONG) return EINVAL;
  if (typeof name === 'number') return name;
  const r = sys(SYS.memfd_create, addr(name), flags | MFD.CLOEXEC);
  return r < 0 ? r : p.fds.alloc(r, (flags & MFD.CLOEXEC) !== 0);
}

function inotifyInit(p: Process, flags: number): number {
  if (flags & ~(IN_CLOEXEC | IN_NONBLOCK)) return EINVAL;
  const r = sys(SYS.inotify_init1, flags | IN_CLOEXEC);
  return r < 0 ? r : p.fds.alloc(r, (flags & IN_CLOEXEC) !== 0);
}

// ---- descriptor ranges ----

/** close_range over the guest's table only: the monitor's own descriptors are never in it */
function closeRange(p: Process, first: number, last: number, flags: number): number {
  if (flags & ~(CLOSE_RANGE.UNSHARE | CLOSE_RANGE.CLOEXEC)) return EINVAL;
  if (first > last) return EINVAL;
  for (const g of p.fds.list()) {
    if (g < first || g > last) continue;
    if (flags & CLOSE_RANGE.CLOEXEC) p.fds.setCloexec(g, true);
    else p.fds.close(g);
  }
  return 0;
}

const P = 'passthrough' as const;
export const ioSyscalls: SyscallDef[] = [
  { name: 'sendfile', status: P, args: ['fd', 'fd', 'ptr', 'size'], handler: sendfile, notes: 'runs on the calling thread\'s host thread (pipes and sockets may block)' },
  { name: 'splice', status: P, args: ['fd', 'ptr', 'fd', 'ptr', 'size', 'hex'], handler: splice, notes: 'runs on the calling thread\'s host thread' },
  { name: 'tee', status: P, args: ['fd', 'fd', 'size', 'hex'], handler: (p, a) => {
    const i = hostFd(p, a[0]!), o = hostFd(p, a[1]!);
    return i < 0 || o < 0 ? EBADF : new HostCall(SYS.tee, [i, o, a[2]!, a[3]!]);
  } },
  { name: 'vmsplice', status: P, args: ['fd', 'ptr', 'int', 'hex'], handler: vmsplice },
  { name: 'copy_file_range', status: P, args: ['fd', 'ptr', 'fd', 'ptr', 'size', 'hex'], handler: copyFileRange },
  { name: 'fallocate', status: P, args: ['fd', 'hex', 'off', 'off'], handler: (p, a) => fdOr(p, a[0]!, (h) => new HostCall(SYS.fallocate, [h, int(a[1]!), a[2]!, a[3]!])) },
  { name: 'fadvise64', status: P, args: ['fd', 'off', 'off', 'int'], handler: (p, a) => fdOr(p, a[0]!, (h) => sys(SYS.fadvise64, h, a[1]!, a[2]!, int(a[3]!))) },
  { name: 'readahead', status: P, args: ['fd', 'off', 'size'], handler: (p, a) => fdOr(p, a[0]!, (h) => new HostCall(SYS.readahead, [h, a[1]!, a[2]!])) },
  { name: 'sync', status: P, args: [], handler: () => new HostCall(SYS.sync, []) },
  { name: 'syncfs', status: P, args: ['fd'], handler: (p, a) => fdOr(p, a[0]!, (h) => new HostCall(SYS.syncfs, [h])) },
  { name: 'sync_file_range', status: P, args: ['fd', 'off', 'off', 'hex'], handler: (p, a) => fdOr(p, a[0]!, (h) => new HostCall(SYS.sync_file_range, [h, a[1]!, a[2]!, uint(a[3]!)])) },
  { name: 'flock', status: P, args: ['fd', 'hex'], handler: (p, a) => fdOr(p, a[0]!, (h) => {
    const op = int(a[1]!);
    return op & LOCK_NB ? sys(SYS.flock, h, op) : new HostCall(SYS.flock, [h, op]);
  }), notes: 'host locks on the host open file description; a blocking lock waits on the calling thread\'s host thread' },
  { name: 'utime', status: P, args: ['str', 'ptr'], handler: (p, a) => oldUtimes(p, SYS.utime, null, a[0]!, a[1]!, UTIMBUF_SIZE) },
  { name: 'utimes', status: P, args: ['str', 'ptr'], handler: (p, a) => oldUtimes(p, SYS.utimes, null, a[0]!, a[1]!, TIMEVAL2_SIZE) },
  { name: 'futimesat', status: P, args: ['dirfd', 'str', 'ptr'], handler: (p, a) => oldUtimes(p, SYS.futimesat, a[0]!, a[1]!, a[2]!, TIMEVAL2_SIZE) },
  { name: 'mknod', status: P, args: ['str', 'mode', 'hex'], handler: (p, a) => {
    const path = hostPath(p, a[0]!); if (typeof path === 'number') return path;
    return sys(SYS.mknodat, AT_FDCWD, addr(path), a[1]!, a[2]!);
  }, notes: 'regular files, FIFOs and sockets; devices need the host\'s privilege (EPERM otherwise)' },
  { name: 'mknodat', status: P, args: ['dirfd', 'str', 'mode', 'hex'], handler: (p, a) => {
    const path = hostPath(p, a[1]!); if (typeof path === 'number') return path;
    return sys(SYS.mknodat, hostDirFd(p, a[0]!), addr(path), a[2]!, a[3]!);
  }, notes: 'as mknod' },
  { name: 'fchmodat2', status: P, args: ['dirfd', 'str', 'mode', 'atflags'], handler: (p, a) => {
    const path = hostPath(p, a[1]!); if (typeof path === 'number') return path;
    return sys(SYS.fchmodat2, hostDirFd(p, a[0]!), addr(path), a[2]!, a[3]!);
  }, notes: 'ENOSYS on hosts older than Linux 6.6' },
  { name: 'getxattr', status: P, args: ['str', 'str', 'ptr', 'size'], handler: xattr('get', 'path') },
  { name: 'lgetxattr', status: P, args: ['str', 'str', 'ptr', 'size'], handler: xattr('get', 'lpath') },
  { name: 'fgetxattr', status: P, args: ['fd', 'str', 'ptr', 'size'], handler: xattr('get', 'fd') },
  { name: 'setxattr', status: P, args: ['str', 'str', 'ptr', 'size', 'hex'], handler: xattr('set', 'path') },
  { name: 'lsetxattr', status: P, args: ['str', 'str', 'ptr', 'size', 'hex'], handler: xattr('set', 'lpath') },
  { name: 'fsetxattr', status: P, args: ['fd', 'str', 'ptr', 'size', 'hex'], handler: xattr('set', 'fd') },
  { name: 'listxattr', status: P, args: ['str', 'ptr', 'size'], handler: xattr('list', 'path') },
  { name: 'llistxattr', status: P, args: ['str', 'ptr', 'size'], handler: xattr('list', 'lpath') },
  { name: 'flistxattr', status: P, args: ['fd', 'ptr', 'size'], handler: xattr('list', 'fd') },
  { name: 'removexattr', status: P, args: ['str', 'str'], handler: xattr('remove', 'path') },
  { name: 'lremovexattr', status: P, args: ['str', 'str'], handler: xattr('remove', 'lpath') },
  { name: 'fremovexattr', status: P, args: ['fd', 'str'], handler: xattr('remove', 'fd') },
  { name: 'memfd_create', status: P, args: ['str', 'hex'], ret: 'fd', handler: (p, a) => memfdCreate(p, a[0]!, uint(a[1]!)), notes: 'a host memfd: MAP_SHARED mappings of it share memory with the descriptor and with each other' },
  { name: 'inotify_init', status: P, args: [], ret: 'fd', handler: (p) => inotifyInit(p, 0) },
  { name: 'inotify_init1', status: P, args: ['oflags'], ret: 'fd', handler: (p, a) => inotifyInit(p, int(a[0]!)), notes: 'a host inotify instance; reading events blocks on the calling thread\'s host thread' },
  { name: 'inotify_add_watch', status: P, args: ['fd', 'str', 'hex'], handler: (p, a) => fdOr(p, a[0]!, (h) => {
    const path = hostPath(p, a[1]!); if (typeof path === 'number') return path;
    return sys(SYS.inotify_add_watch, h, addr(path), uint(a[2]!));
  }) },
  { name: 'inotify_rm_watch', status: P, args: ['fd', 'int'], handler: (p, a) => fdOr(p, a[0]!, (h) => sys(SYS.inotify_rm_watch, h, int(a[1]!))) },
  { name: 'close_range', status: 'emulated', args: ['uint', 'uint', 'hex'], handler: (p, a) => closeRange(p, uint(a[0]!), uint(a[1]!), uint(a[2]!)), notes: 'over the guest\'s descriptors only; CLOSE_RANGE_CLOEXEC supported, CLOSE_RANGE_UNSHARE is a no-op (one table)' },
  { name: 'name_to_handle_at', status: 'emulated', args: ['dirfd', 'str', 'ptr', 'ptr', 'atflags'], handler: () => -E.EOPNOTSUPP, notes: 'EOPNOTSUPP, as for a file system without file handles' },
  { name: 'io_uring_setup', status: 'unsupported', args: ['uint', 'ptr'], notes: 'ENOSYS: io_uring would let the kernel access guest memory and descriptors behind the monitor; libraries fall back to ordinary calls' },
  { name: 'io_uring_enter', status: 'unsupported', args: ['fd', 'uint', 'uint', 'hex', 'ptr', 'size'], notes: 'ENOSYS (no io_uring instance can exist)' },
  { name: 'io_uring_register', status: 'unsupported', args: ['fd', 'uint', 'ptr', 'uint'], notes: 'ENOSYS (no io_uring instance can exist)' },
];
