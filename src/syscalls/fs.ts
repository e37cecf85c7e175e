// Files, directories and descriptors.
import { sys } from '../host/native.js';
import { SYS } from '../host/sysno.js';
import { E } from '../host/errno.js';
import { AT_FDCWD, O } from '../host/hostcalls.js';
import { setU64 } from '../util/struct.js';
import { F, FD_CLOEXEC, type GuestSeg } from '../km/fdtable.js';
import { forgetCwd, procGetdents, procOpen, procReadlink } from '../km/procfs.js';
import { HostCall, type Park } from '../km/thread.js';
import type { Process } from '../km/process.js';
import { int, type Args, type SyscallDef } from './types.js';
import { EBADF, EFAULT, EINVAL, addr, faultingHostPtr, hostDirFd, hostFd, hostPath, hostPathAt, routeAt, routeHostPath } from './args.js';

const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_REMOVEDIR = 0x200;
const STAT_SIZE = 144;
const STATX_SIZE = 256;
const IOV_MAX = 1024;

// ---- read / write ----

function rw(nr: number) {
  return (p: Process, a: Args): number | HostCall | Park => {
    const h = hostFd(p, a[0]!);
    if (h < 0) return EBADF;
    // a descriptor served by the monitor (signalfd): its own read, no other transfer
    const obj = p.fds.object(int(a[0]!));
    if (obj) return nr === SYS.read && obj.read ? obj.read([{ ptr: a[1]!, len: a[2]! }]) : objectMisc(nr);
    // a length past SSIZE_MAX (negative here) is a buffer no process can have: EFAULT, as Linux
    // checks the buffer before the length
    const len = a[2]!;
    const buf = p.hostPtr(a[1]!, len);
    if (buf < 0) return EFAULT;
    // pipes, terminals and sockets may block: the call runs on the thread's own host thread
    return new HostCall(nr, [h, buf, len, a[3]!]);
  };
}

/** other transfers on a monitor-served descriptor: positioned ones cannot seek, the rest have no
 * such operation (as for Linux's signalfd) */
function objectMisc(nr: number): number {
  return nr === SYS.pread64 || nr === SYS.pwrite64 || nr === SYS.preadv || nr === SYS.pwritev || nr === SYS.preadv2 || nr === SYS.pwritev2
    ? -E.ESPIPE : EINVAL;
}

/** A guest iovec array as a host one (host addresses); -errno on bad input. */
export function translateIovec(p: Process, iov: number, cnt: number): DataView | number {
  if (cnt < 0 || cnt > IOV_MAX) return EINVAL;
  const d = new DataView(new ArrayBuffer(Math.max(cnt, 1) * 16));
  if (cnt === 0) return d;
  const src = p.readBytes(iov, cnt * 16);
  if (!src) return EFAULT;
  const s = new DataView(src.buffer, src.byteOffset, src.byteLength);
  for (let i = 0; i < cnt; i++) {
    const base = s.getUint32(i * 16, true) + s.getUint32(i * 16 + 4, true) * 2 ** 32;
    const len = s.getUint32(i * 16 + 8, true) + s.getInt32(i * 16 + 12, true) * 2 ** 32;
    if (len < 0) return EINVAL;
    const h = len === 0 ? 0 : p.hostPtr(base, len);
    if (h < 0) return EFAULT;
    const o = i * 16;
    setU64(d, o, h); setU64(d, o + 8, len);
  }
  return d;
}

/** a guest iovec array as guest buffers (for descriptors the monitor serves itself) */
function guestIovec(p: Process, iov: number, cnt: number): GuestSeg[] | number {
  if (cnt < 0 || cnt > IOV_MAX) return EINVAL;
  const src = cnt === 0 ? new Uint8Array(0) : p.readBytes(iov, cnt * 16);
  if (!src) return EFAULT;
  const s = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const out: GuestSeg[] = [];
  for (let i = 0; i < cnt; i++) {
    const len = s.getUint32(i * 16 + 8, true) + s.getInt32(i * 16 + 12, true) * 2 ** 32;
    if (len < 0) return EINVAL;
    out.push({ ptr: s.getUint32(i * 16, true) + s.getUint32(i * 16 + 4, true) * 2 ** 32, len });
  }
  return out;
}

function rwv(nr: number) {
  return (p: Process, a: Args): number | HostCall | Park => {
    const h = hostFd(p, a[0]!);
    if (h < 0) return EBADF;
    const obj = p.fds.object(int(a[0]!));
    if (obj) {
      if (nr !== SYS.readv || !obj.read) return objectMisc(nr);
      const segs = guestIovec(p, a[1]!, int(a[2]!));
      return typeof segs === 'number' ? segs : obj.read(segs);
    }
    const cnt = int(a[2]!);
    const v = translateIovec(p, a[1]!, cnt);
    if (typeof v === 'number') return v;
    return new HostCall(nr, [h, addr(v), cnt, a[3]!, a[4]!, a[5]!], undefined, v);
  };
}

// ---- open / close ----

function openat(p: Process, dirfd: number, pathPtr: number, flags: number, mode: number): number {
  const route = routeAt(p, dirfd, pathPtr);
  if (typeof route === 'number') return route;
  if (route.kind !== 'host') return procOpen(p, route, flags, mode);
  if (route.noOpen) return -E.EACCES;
  const path = routeHostPath(route);
  const r = sys(SYS.openat, hostDirFd(p, dirfd), addr(path), (flags | O.CLOEXEC) >>> 0, mode);
  if (r < 0) return r;
  return p.fds.alloc(r, (flags & O.CLOEXEC) !== 0);
}

// ---- stat family ----

function fstatat(p: Process, dirfd: number, pathPtr: number, st: number, flags: number): number {
  const path = hostPathAt(p, dirfd, pathPtr, (flags & AT_SYMLINK_NOFOLLOW) !== 0);
  if (typeof path === 'number') return path;
  const buf = p.hostPtr(st, STAT_SIZE);
  if (buf < 0) return EFAULT;
  return sys(SYS.newfstatat, hostDirFd(p, dirfd), addr(path), buf, flags);
}

// ---- paths (dirfd, path, ...) ----

/** a syscall of the form f(dirfd, path, x, y): dirfd and path translated, the rest passed;
 * `procRelative`: paths relative to a directory under /proc are routed too (lookups, not changes) */
function atPath(nr: number, hasDirfd: boolean, procRelative = false) {
  return (p: Process, a: Args): number => {
    const path = procRelative ? hostPathAt(p, a[0]!, a[1]!) : hostPath(p, hasDirfd ? a[1]! : a[0]!);
    if (typeof path === 'number') return path;
    return hasDirfd ? sys(nr, hostDirFd(p, a[0]!), addr(path), a[2]!, a[3]!) : sys(nr, addr(path), a[1]!, a[2]!);
  };
}

function twoPaths(p: Process, olddir: number, oldp: number, newdir: number, newp: number, call: (o: number, a: number, n: number, b: number) => number): number {
  const a = hostPath(p, oldp);
  if (typeof a === 'number') return a;
  const b = hostPath(p, newp);
  if (typeof b === 'number') return b;
  return call(hostDirFd(p, olddir), addr(a), hostDirFd(p, newdir), addr(b));
}

function readlinkat(p: Process, dirfd: number, pathPtr: number, bufPtr: number, size: number): number {
  if (int(size) <= 0) return EINVAL;
  const route = routeAt(p, dirfd, pathPtr);
  if (typeof route === 'number') return route;
  const own = procReadlink(route);
  if (own !== null) {
    const b = Buffer.from(own).subarray(0, size);
    return p.writeBytes(bufPtr, b) ? b.length : EFAULT;
  }
  const path = routeHostPath(route);
  const buf = p.hostPtr(bufPtr, size);
  if (buf < 0) return EFAULT;
  return sys(SYS.readlinkat, hostDirFd(p, dirfd), addr(path), buf, size);
}

// ---- descriptors ----

function dupTo(p: Process, oldfd: number, newfd: number, cloexec: boolean): number {
  const h = hostFd(p, oldfd);
  if (h < 0) return EBADF;
  if (newfd < 0 || newfd >= p.fds.limit) return EBADF;
  const d = sys(SYS.fcntl, h, F.DUPFD_CLOEXEC, 3);
  if (d < 0) return d;
  return p.fds.install(newfd, d, cloexec, p.fds.object(oldfd));
}

function fcntl(p: Process, a: Args): number {
  const g = int(a[0]!), cmd = int(a[1]!), arg = a[2]!;
  const h = p.fds.get(g);
  if (h < 0) return EBADF;
  switch (cmd) {
    case F.DUPFD: case F.DUPFD_CLOEXEC: {
      const min = int(arg);
      if (min < 0 || min >= p.fds.limit) return EINVAL;
      const d = sys(SYS.fcntl, h, F.DUPFD_CLOEXEC, 3);
      if (d < 0) return d;
      return p.fds.alloc(d, cmd === F.DUPFD_CLOEXEC, min, p.fds.object(g));
    }
    case F.GETFD: return p.fds.getCloexec(g) ? FD_CLOEXEC : 0;
    case F.SETFD: p.fds.setCloexec(g, (int(arg) & FD_CLOEXEC) !== 0); return 0;
    case F.GETFL: case F.SETFL: case F.SETPIPE_SZ: case F.GETPIPE_SZ: case F.ADD_SEALS: case F.GET_SEALS:
    case F.SETSIG: case F.GETSIG: case F.SETLEASE: case F.GETLEASE: case F.NOTIFY:
      return sys(SYS.fcntl, h, cmd, arg);
    case F.GETOWN: case F.SETOWN:
      return sys(SYS.fcntl, h, cmd, arg);
    case F.GETLK: case F.SETLK: case F.SETLKW: case F.OFD_GETLK: case F.OFD_SETLK: case F.OFD_SETLKW: {
      const lk = p.hostPtr(arg, 32);
      if (lk < 0) return EFAULT;
      return sys(SYS.fcntl, h, cmd, lk);
    }
    case F.SETOWN_EX: case F.GETOWN_EX: {
      const o = p.hostPtr(arg, 8);
      if (o < 0) return EFAULT;
      return sys(SYS.fcntl, h, cmd, o);
    }
    default: return EINVAL;
  }
}

function pipe2(p: Process, fdsPtr: number, flags: number): number {
  if (!p.as.canWrite(fdsPtr, 8)) return EFAULT;
  const fl = int(flags);
  if (fl & ~(O.CLOEXEC | O.NONBLOCK | 0o40000 /* O_DIRECT */ | 0o200 /* O_NOTIFICATION_PIPE */)) return EINVAL;
  const r = sys(SYS.pipe2, p.scratchAddr, fl | O.CLOEXEC);
  if (r < 0) return r;
  const fds = new Int32Array(p.scratch.buffer, p.scratch.byteOffset, 2), rd = fds[0]!, wr = fds[1]!;
  const cloexec = (fl & O.CLOEXEC) !== 0;
  const g0 = p.fds.alloc(rd, cloexec);
  if (g0 < 0) { sys(SYS.close, wr); return g0; }
  const g1 = p.fds.alloc(wr, cloexec);
  if (g1 < 0) { p.fds.close(g0); return g1; }
  p.mem.writeU32(fdsPtr, g0);
  p.mem.writeU32(fdsPtr + 4, g1);
  return 0;
}

// ---- ioctl ----

/** ioctls let through, with the size of the struct the argument points to (0: plain value) */
const IOCTLS = new Map<number, { size: number; name: string }>([
  [0x5401, { size: 60, name: 'TCGETS' }], [0x5402, { size: 60, name: 'TCSETS' }],
  [0x5403, { size: 60, name: 'TCSETSW' }], [0x5404, { size: 60, name: 'TCSETSF' }],
  [0x540f, { size: 4, name: 'TIOCGPGRP' }], [0x5410, { size: 4, name: 'TIOCSPGRP' }],
  [0x5413, { size: 8, name: 'TIOCGWINSZ' }], [0x5414, { size: 8, name: 'TIOCSWINSZ' }],
  [0x541b, { size: 4, name: 'FIONREAD' }], [0x5421, { size: 4, name: 'FIONBIO' }],
  [0x5452, { size: 4, name: 'FIOASYNC' }], [0x5429, { size: 4, name: 'TIOCGSID' }],
  // pseudo-terminals: unlockpt, ptsname, taking or dropping the controlling terminal
  [0x80045430, { size: 4, name: 'TIOCGPTN' }], [0x40045431, { size: 4, name: 'TIOCSPTLCK' }],
  [0x540e, { size: 0, name: 'TIOCSCTTY' }], [0x5422, { size: 0, name: 'TIOCNOTTY' }],
  [0x540b, { size: 0, name: 'TCFLSH' }], [0x5409, { size: 0, name: 'TCSBRK' }], [0x540a, { size: 0, name: 'TCXONC' }],
  // sockets: queue sizes, the urgent mark, and interface queries on a struct ifreq (40 bytes)
  [0x5411, { size: 4, name: 'TIOCOUTQ' }], [0x8905, { size: 4, name: 'SIOCATMARK' }],
  [0x8910, { size: 40, name: 'SIOCGIFNAME' }], [0x8913, { size: 40, name: 'SIOCGIFFLAGS' }],
  [0x8915, { size: 40, name: 'SIOCGIFADDR' }], [0x8919, { size: 40, name: 'SIOCGIFBRDADDR' }],
  [0x891b, { size: 40, name: 'SIOCGIFNETMASK' }], [0x8921, { size: 40, name: 'SIOCGIFMTU' }],
  [0x8927, { size: 40, name: 'SIOCGIFHWADDR' }], [0x8933, { size: 40, name: 'SIOCGIFINDEX' }],
  // /dev/vsock: the local context id (Python's socket tests ask it to know whether VSOCK exists)
  [0x7b9, { size: 4, name: 'IOCTL_VM_SOCKETS_GET_LOCAL_CID' }],
]);
export const IOCTL_NAMES = new Map([...IOCTLS].map(([k, v]) => [k, v.name]));
const FIONCLEX = 0x5450, FIOCLEX = 0x5451;

function ioctl(p: Process, a: Args): number {
  const g = int(a[0]!), req = a[1]! >>> 0;
  const h = p.fds.get(g);
  if (h < 0) return EBADF;
  if (req === FIOCLEX || req === FIONCLEX) { p.fds.setCloexec(g, req === FIOCLEX); return 0; }
  const known = IOCTLS.get(req);
  if (!known) return -E.ENOTTY;
  if (known.size === 0) return sys(SYS.ioctl, h, req, a[2]!);
  // a bad pointer faults in the kernel, after it found whether the descriptor has this ioctl
  return sys(SYS.ioctl, h, req, faultingHostPtr(p, a[2]!, known.size));
}

// ---- the table entries of this family ----

const P = 'passthrough' as const;
const chdir = atPath(SYS.chdir, false);

export const fsSyscalls: SyscallDef[] = [
  { name: 'read', status: P, args: ['fd', 'ptr', 'size'], handler: rw(SYS.read), fast: 'fdBuffer', notes: 'on the calling thread\'s host thread; a signalfd is read from the monitor\'s pending signals' },
  { name: 'write', status: P, args: ['fd', 'ptr', 'size'], handler: rw(SYS.write), fast: 'fdBuffer' },
  { name: 'pread64', status: P, args: ['fd', 'ptr', 'size', 'off'], handler: rw(SYS.pread64), fast: 'fdBuffer' },
  { name: 'pwrite64', status: P, args: ['fd', 'ptr', 'size', 'off'], handler: rw(SYS.pwrite64), fast: 'fdBuffer' },
  { name: 'readv', status: P, args: ['fd', 'ptr', 'int'], handler: rwv(SYS.readv) },
  { name: 'writev', status: P, args: ['fd', 'ptr', 'int'], handler: rwv(SYS.writev) },
  { name: 'preadv', status: P, args: ['fd', 'ptr', 'int', 'off', 'off'], handler: rwv(SYS.preadv) },
  { name: 'pwritev', status: P, args: ['fd', 'ptr', 'int', 'off', 'off'], handler: rwv(SYS.pwritev) },
  { name: 'preadv2', status: P, args: ['fd', 'ptr', 'int', 'off', 'off', 'hex'], handler: rwv(SYS.preadv2) },
  { name: 'pwritev2', status: P, args: ['fd', 'ptr', 'int', 'off', 'off', 'hex'], handler: rwv(SYS.pwritev2) },
  { name: 'open', status: P, args: ['str', 'oflags', 'mode'], ret: 'fd', handler: (p, a) => openat(p, AT_FDCWD, a[0]!, int(a[1]!), a[2]!), notes: 'as openat' },
  { name: 'openat', status: P, args: ['dirfd', 'str', 'oflags', 'mode'], ret: 'fd', handler: (p, a) => openat(p, a[0]!, a[1]!, int(a[2]!), a[3]!),
    notes: "/proc/self (and /proc/<pid>, thread-self, task/<tid>): maps, status, stat, statm, cmdline, environ, auxv, limits, comm, fdinfo/N are generated from the payload's state (read-only sealed memfds)" },
  { name: 'creat', status: P, args: ['str', 'mode'], ret: 'fd', handler: (p, a) => openat(p, AT_FDCWD, a[0]!, O.CREAT | O.WRONLY | O.TRUNC, a[1]!) },
  { name: 'close', status: 'emulated', args: ['fd'], handler: (p, a) => p.fds.close(int(a[0]!)), notes: 'closes the guest descriptor and the host descriptor behind it' },
  { name: 'lseek', status: P, args: ['fd', 'off', 'whence'], handler: (p, a) => { const h = hostFd(p, a[0]!); return h < 0 ? EBADF : sys(SYS.lseek, h, a[1]!, a[2]!); } },
  { name: 'fstat', status: P, args: ['fd', 'ptr'], handler: (p, a) => {
    const h = hostFd(p, a[0]!); if (h < 0) return EBADF;
    const b = p.hostPtr(a[1]!, STAT_SIZE); return b < 0 ? EFAULT : sys(SYS.fstat, h, b);
  } },
  { name: 'stat', status: P, args: ['str', 'ptr'], handler: (p, a) => fstatat(p, AT_FDCWD, a[0]!, a[1]!, 0) },
  { name: 'lstat', status: P, args: ['str', 'ptr'], handler: (p, a) => fstatat(p, AT_FDCWD, a[0]!, a[1]!, AT_SYMLINK_NOFOLLOW) },
  { name: 'newfstatat', status: P, args: ['dirfd', 'str', 'ptr', 'atflags'], handler: (p, a) => fstatat(p, a[0]!, a[1]!, a[2]!, int(a[3]!)) },
  { name: 'statx', status: P, args: ['dirfd', 'str', 'atflags', 'hex', 'ptr'], handler: (p, a) => {
    const path = hostPathAt(p, a[0]!, a[1]!, (int(a[2]!) & AT_SYMLINK_NOFOLLOW) !== 0); if (typeof path === 'number') return path;
    const b = p.hostPtr(a[4]!, STATX_SIZE); if (b < 0) return EFAULT;
    return sys(SYS.statx, hostDirFd(p, a[0]!), addr(path), a[2]!, a[3]!, b);
  } },
  { name: 'statfs', status: P, args: ['str', 'ptr'], handler: (p, a) => {
    const path = hostPath(p, a[0]!); if (typeof path === 'number') return path;
    const b = p.hostPtr(a[1]!, 120); return b < 0 ? EFAULT : sys(SYS.statfs, addr(path), b);
  } },
  { name: 'fstatfs', status: P, args: ['fd', 'ptr'], handler: (p, a) => {
    const h = hostFd(p, a[0]!); if (h < 0) return EBADF;
    const b = p.hostPtr(a[1]!, 120); return b < 0 ? EFAULT : sys(SYS.fstatfs, h, b);
  } },
  { name: 'getdents64', status: P, args: ['fd', 'ptr', 'size'], handler: (p, a) => procGetdents(p, int(a[0]!), a[1]!, a[2]!, false) ?? rw(SYS.getdents64)(p, a),
    notes: '/proc/self/fd, /proc/self/fdinfo and /proc/self/task list the payload\'s descriptors and threads' },
  { name: 'getdents', status: P, args: ['fd', 'ptr', 'size'], handler: (p, a) => procGetdents(p, int(a[0]!), a[1]!, a[2]!, true) ?? rw(SYS.getdents)(p, a) },
  { name: 'fcntl', status: 'partial', args: ['fd', 'fcntl', 'hex'], handler: fcntl, notes: 'F_DUPFD/F_GETFD/F_SETFD on guest descriptors; locks, flags, pipe size, seals, owner passed through; others EINVAL' },
  { name: 'dup', status: 'emulated', args: ['fd'], ret: 'fd', handler: (p, a) => {
    const h = hostFd(p, a[0]!); if (h < 0) return EBADF;
    const d = sys(SYS.fcntl, h, F.DUPFD_CLOEXEC, 3); return d < 0 ? d : p.fds.alloc(d, false, 0, p.fds.object(int(a[0]!)));
  } },
  { name: 'dup2', status: 'emulated', args: ['fd', 'fd'], ret: 'fd', handler: (p, a) => {
    const o = int(a[0]!), n = int(a[1]!);
    if (o === n) return p.fds.isOpen(o) ? n : EBADF;
    return dupTo(p, o, n, false);
  } },
  { name: 'dup3', status: 'emulated', args: ['fd', 'fd', 'oflags'], ret: 'fd', handler: (p, a) => {
    const o = int(a[0]!), n = int(a[1]!), fl = int(a[2]!);
    if (o === n || (fl & ~O.CLOEXEC)) return EINVAL;
    return dupTo(p, o, n, (fl & O.CLOEXEC) !== 0);
  } },
  { name: 'pipe', status: 'emulated', args: ['ptr'], handler: (p, a) => pipe2(p, a[0]!, 0) },
  { name: 'pipe2', status: 'emulated', args: ['ptr', 'oflags'], handler: (p, a) => pipe2(p, a[0]!, a[1]!), notes: 'a host pipe; O_CLOEXEC kept per guest descriptor, O_NONBLOCK and O_DIRECT (packet mode) passed to the host' },
  { name: 'ioctl', status: 'partial', args: ['fd', 'ioctl', 'hex'], handler: ioctl, notes: 'terminal ioctls (TCGETS, TCSETS*, TIOCGWINSZ, TIOCSWINSZ, TIOCGPGRP, TIOCSPGRP, TCFLSH, ...), pseudo-terminal ioctls (TIOCGPTN, TIOCSPTLCK, TIOCSCTTY, TIOCNOTTY; TIOCGPTPEER is ENOTTY, so libc opens the slave by name), FIONREAD, FIONBIO, FIOCLEX; socket TIOCOUTQ/SIOCOUTQ, SIOCATMARK and interface queries (SIOCGIFINDEX, SIOCGIFFLAGS, SIOCGIFADDR, SIOCGIFMTU, SIOCGIFHWADDR, ...); IOCTL_VM_SOCKETS_GET_LOCAL_CID; others (SIOCGIFCONF, whose struct holds a pointer, and all setters) ENOTTY' },
  { name: 'access', status: P, args: ['str', 'int'], handler: atPath(SYS.access, false) },
  { name: 'faccessat', status: P, args: ['dirfd', 'str', 'int'], handler: atPath(SYS.faccessat, true, true) },
  { name: 'faccessat2', status: P, args: ['dirfd', 'str', 'int', 'atflags'], handler: atPath(SYS.faccessat2, true, true) },
  { name: 'readlink', status: 'emulated', args: ['str', 'ptr', 'size'], handler: (p, a) => readlinkat(p, AT_FDCWD, a[0]!, a[1]!, a[2]!), notes: '/proc/self/exe names the payload, /proc/self/fd/N the target of guest fd N' },
  { name: 'readlinkat', status: 'emulated', args: ['dirfd', 'str', 'ptr', 'size'], handler: (p, a) => readlinkat(p, a[0]!, a[1]!, a[2]!, a[3]!), notes: '/proc/self/exe names the payload, /proc/self/fd/N the target of guest fd N' },
  { name: 'getcwd', status: P, args: ['ptr', 'size'], handler: (p, a) => { const b = p.hostPtr(a[0]!, a[1]!); return b < 0 ? EFAULT : sys(SYS.getcwd, b, a[1]!); } },
  { name: 'chdir', status: P, args: ['str'], handler: (p, a) => { forgetCwd(); return chdir(p, a); } },
  { name: 'fchdir', status: P, args: ['fd'], handler: (p, a) => { const h = hostFd(p, a[0]!); forgetCwd(); return h < 0 ? EBADF : sys(SYS.fchdir, h); } },
  { name: 'mkdir', status: P, args: ['str', 'mode'], handler: atPath(SYS.mkdir, false) },
  { name: 'mkdirat', status: P, args: ['dirfd', 'str', 'mode'], handler: atPath(SYS.mkdirat, true) },
  { name: 'rmdir', status: P, args: ['str'], handler: atPath(SYS.rmdir, false) },
  { name: 'unlink', status: P, args: ['str'], handler: atPath(SYS.unlink, false) },
  { name: 'unlinkat', status: P, args: ['dirfd', 'str', 'atflags'], handler: (p, a) => (int(a[2]!) & ~AT_REMOVEDIR ? EINVAL : atPath(SYS.unlinkat, true)(p, a)) },
  { name: 'rename', status: P, args: ['str', 'str'], handler: (p, a) => twoPaths(p, AT_FDCWD, a[0]!, AT_FDCWD, a[1]!, (o, x, n, y) => sys(SYS.renameat2, o, x, n, y, 0)) },
  { name: 'renameat', status: P, args: ['dirfd', 'str', 'dirfd', 'str'], handler: (p, a) => twoPaths(p, a[0]!, a[1]!, a[2]!, a[3]!, (o, x, n, y) => sys(SYS.renameat2, o, x, n, y, 0)) },
  { name: 'renameat2', status: P, args: ['dirfd', 'str', 'dirfd', 'str', 'hex'], handler: (p, a) => twoPaths(p, a[0]!, a[1]!, a[2]!, a[3]!, (o, x, n, y) => sys(SYS.renameat2, o, x, n, y, a[4]!)) },
  { name: 'link', status: P, args: ['str', 'str'], handler: (p, a) => twoPaths(p, AT_FDCWD, a[0]!, AT_FDCWD, a[1]!, (o, x, n, y) => sys(SYS.linkat, o, x, n, y, 0)) },
  { name: 'linkat', status: P, args: ['dirfd', 'str', 'dirfd', 'str', 'atflags'], handler: (p, a) => twoPaths(p, a[0]!, a[1]!, a[2]!, a[3]!, (o, x, n, y) => sys(SYS.linkat, o, x, n, y, a[4]!)) },
  { name: 'symlink', status: P, args: ['str', 'str'], handler: (p, a) => twoPaths(p, AT_FDCWD, a[0]!, AT_FDCWD, a[1]!, (_o, x, n, y) => sys(SYS.symlinkat, x, n, y)) },
  { name: 'symlinkat', status: P, args: ['str', 'dirfd', 'str'], handler: (p, a) => twoPaths(p, AT_FDCWD, a[0]!, a[1]!, a[2]!, (_o, x, n, y) => sys(SYS.symlinkat, x, n, y)) },
  { name: 'chmod', status: P, args: ['str', 'mode'], handler: atPath(SYS.chmod, false) },
  { name: 'fchmodat', status: P, args: ['dirfd', 'str', 'mode'], handler: atPath(SYS.fchmodat, true) },
  { name: 'fchmod', status: P, args: ['fd', 'mode'], handler: (p, a) => { const h = hostFd(p, a[0]!); return h < 0 ? EBADF : sys(SYS.fchmod, h, a[1]!); } },
  { name: 'chown', status: P, args: ['str', 'int', 'int'], handler: atPath(SYS.chown, false) },
  { name: 'lchown', status: P, args: ['str', 'int', 'int'], handler: atPath(SYS.lchown, false) },
  { name: 'fchown', status: P, args: ['fd', 'int', 'int'], handler: (p, a) => { const h = hostFd(p, a[0]!); return h < 0 ? EBADF : sys(SYS.fchown, h, a[1]!, a[2]!); } },
  { name: 'fchownat', status: P, args: ['dirfd', 'str', 'int', 'int', 'atflags'], handler: (p, a) => {
    const path = hostPath(p, a[1]!); if (typeof path === 'number') return path;
    return sys(SYS.fchownat, hostDirFd(p, a[0]!), addr(path), a[2]!, a[3]!, a[4]!);
  } },
  { name: 'utimensat', status: P, args: ['dirfd', 'str', 'ptr', 'atflags'], handler: (p, a) => {
    const path = a[1]! === 0 ? null : hostPath(p, a[1]!); if (typeof path === 'number') return path;
    const t = p.hostPtrOpt(a[2]!, 32); if (t < 0) return EFAULT;
    const d = int(a[0]!) === AT_FDCWD ? AT_FDCWD : hostFd(p, a[0]!);
    if (path === null && d < 0) return EBADF;
    return sys(SYS.utimensat, d, path ? addr(path) : 0, t, a[3]!);
  }, notes: 'UTIME_NOW, UTIME_OMIT, AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH; a NULL path names the descriptor' },
  { name: 'truncate', status: P, args: ['str', 'off'], handler: atPath(SYS.truncate, false) },
  { name: 'ftruncate', status: P, args: ['fd', 'off'], handler: (p, a) => { const h = hostFd(p, a[0]!); return h < 0 ? EBADF : sys(SYS.ftruncate, h, a[1]!); } },
  { name: 'fsync', status: P, args: ['fd'], handler: (p, a) => { const h = hostFd(p, a[0]!); return h < 0 ? EBADF : sys(SYS.fsync, h); } },
  { name: 'fdatasync', status: P, args: ['fd'], handler: (p, a) => { const h = hostFd(p, a[0]!); return h < 0 ? EBADF : sys(SYS.fdatasync, h); } },
  { name: 'umask', status: P, args: ['mode'], handler: (_p, a) => sys(SYS.umask, a[0]!) },
];
