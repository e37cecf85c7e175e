// Translation of syscall arguments between the guest and the host: descriptors, paths, buffers.
import { sys, addressOf } from '../host/native.js';
import { SYS } from '../host/sysno.js';
import { E } from '../host/errno.js';
import { AT_FDCWD } from '../host/hostcalls.js';
import { absoluteIfProc, rewriteProcPath, routeProcPath, type ProcRoute } from '../km/procfs.js';
import type { Process } from '../km/process.js';
import { int } from './types.js';

export const EFAULT = -E.EFAULT;
export const EBADF = -E.EBADF;
export const EINVAL = -E.EINVAL;

/** host fd for a guest fd argument, or -1 */
export function hostFd(p: Process, g: number): number {
  return p.fds.get(int(g));
}

/** host dirfd for a guest dirfd argument: AT_FDCWD stays, a closed fd becomes -1 so the host
 * kernel answers EBADF exactly when Linux would (relative paths only). */
export function hostDirFd(p: Process, g: number): number {
  const d = int(g);
  if (d === AT_FDCWD) return AT_FDCWD;
  return p.fds.get(d);
}

/** A guest path as a NUL-terminated host buffer (after /proc/self rewriting), or -errno. */
export function hostPath(p: Process, ptr: number): Buffer | number {
  const raw = p.readCString(ptr);
  if (typeof raw === 'number') return raw;
  const path = raw.subarray(0, raw.length - 1);
  const r = rewriteProcPath(p, path);
  if (typeof r === 'number') return r;
  if (r === path) return raw;
  const out = Buffer.alloc(r.length + 1);
  r.copy(out);
  return out;
}

/** Where a guest (dirfd, path) pair leads after /proc routing (relative paths under a /proc
 * directory included), or -errno. */
export function routeAt(p: Process, dirfd: number, ptr: number): ProcRoute | number {
  const raw = p.readCString(ptr);
  if (typeof raw === 'number') return raw;
  return routeProcPath(p, absoluteIfProc(raw.subarray(0, raw.length - 1), hostDirFd(p, dirfd)));
}

/** The NUL-terminated host path for a route (km's generated files and directories: the monitor's
 * own entry of the same kind, which stat and access describe as Linux would). */
export function routeHostPath(r: ProcRoute, nofollow = false): Buffer {
  const path = r.kind !== 'host' ? Buffer.from(r.hostPath, 'latin1')
    : nofollow && r.self !== undefined ? Buffer.from(r.self, 'latin1') : r.path;
  const out = Buffer.alloc(path.length + 1);
  path.copy(out);
  return out;
}

/** routeAt + routeHostPath (`nofollow`: the entry itself, for lstat) */
export function hostPathAt(p: Process, dirfd: number, ptr: number, nofollow = false): Buffer | number {
  const r = routeAt(p, dirfd, ptr);
  return typeof r === 'number' ? r : routeHostPath(r, nofollow);
}

export function addr(b: ArrayBufferView): number { return addressOf(b); }

/** 0xffff800000000000: above the user range on every x86-64 kernel, so access_ok fails */
export const KERNEL_EFAULT = -(2 ** 47);
/** an inaccessible host reservation standing in for user addresses the guest cannot have */
const FAULT_AREA_SIZE = 4 * 2 ** 30;
let faultArea = 0;
let userTop = 0;

/** TASK_SIZE_MAX: natively, ranges ending above fail access_ok. 2^47 - 4096, or 2^56 - 4096
 * when the kernel runs with 5-level paging (it then maps a hint above 2^47). */
export function hostUserTop(): number {
  if (userTop === 0) {
    const r = sys(SYS.mmap, 2 ** 48, 4096, 0, 0x100022 /* MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE */, -1, 0);
    const la57 = r === 2 ** 48;
    if (r >= 0 || r < -4096) sys(SYS.munmap, r, 4096);
    userTop = (la57 ? 2 ** 56 : 2 ** 47) - 4096;
  }
  return userTop;
}

/**
 * Host address of a guest range for a host call, or, when the range is not the guest's, an address
 * that faults as the guest's would natively (NULL stays NULL): above the user range when the guest's is (access_ok
 * fails), else inside an inaccessible host reservation (the access itself fails). The kernel then
 * reports EFAULT at the point Linux would, after its own descriptor and argument checks.
 */
export function faultingHostPtr(p: Process, ptr: number, len: number): number {
  // NULL stays NULL: the kernel tells it apart (a NULL filter program is EINVAL, not EFAULT)
  if (ptr === 0) return 0;
  const h = p.hostPtr(ptr, len);
  if (h >= 0) return h;
  if (ptr < 0 || len < 0 || ptr + len > hostUserTop() || len > FAULT_AREA_SIZE) return KERNEL_EFAULT;
  if (faultArea === 0) {
    const r = sys(SYS.mmap, 0, FAULT_AREA_SIZE, 0 /* PROT_NONE */, 0x4022 /* MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE */, -1, 0);
    faultArea = r < 0 && r > -4096 ? KERNEL_EFAULT : r;
  }
  return faultArea;
}

/** A guest struct timespec as nanoseconds, or -EFAULT / -EINVAL (negative or tv_nsec >= 1e9). */
export function readTimespecNs(p: Process, ptr: number): bigint | number {
  const b = p.readBytes(ptr, 16);
  if (!b) return EFAULT;
  const d = Buffer.from(b);
  const sec = d.readBigInt64LE(0), ns = d.readBigInt64LE(8);
  if (sec < 0n || ns < 0n || ns >= 1_000_000_000n) return EINVAL;
  return sec * 1_000_000_000n + ns;
}

/** A struct timespec in a host buffer (for host calls that take a pointer). */
export function timespecBuffer(ns: bigint): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigInt64LE(ns / 1_000_000_000n, 0); b.writeBigInt64LE(ns % 1_000_000_000n, 8);
  return b;
}

/** The same timespec copied into a host buffer. */
export function copyTimespec(p: Process, ptr: number): Buffer | number {
  const ns = readTimespecNs(p, ptr);
  return typeof ns === 'number' ? ns : timespecBuffer(ns);
}
