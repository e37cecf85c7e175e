// The guest's file descriptors. The guest sees only its own descriptors, numbered as a native
// process would number them (lowest free first); each maps to a host descriptor of the monitor.
// Host descriptors are always close-on-exec; the guest's own FD_CLOEXEC is kept here.
import { native, sys } from '../host/native.js';
import { SYS } from '../host/sysno.js';
import { E } from '../host/errno.js';
import type { Park } from './thread.js';

export const F = {
  DUPFD: 0, GETFD: 1, SETFD: 2, GETFL: 3, SETFL: 4, GETLK: 5, SETLK: 6, SETLKW: 7, SETOWN: 8, GETOWN: 9,
  SETSIG: 10, GETSIG: 11, SETOWN_EX: 15, GETOWN_EX: 16, OFD_GETLK: 36, OFD_SETLK: 37, OFD_SETLKW: 38,
  SETLEASE: 1024, GETLEASE: 1025, NOTIFY: 1026, DUPFD_CLOEXEC: 1030, SETPIPE_SZ: 1031, GETPIPE_SZ: 1032,
  ADD_SEALS: 1033, GET_SEALS: 1034,
} as const;
export const FD_CLOEXEC = 1;

/** a guest buffer: address and length */
export interface GuestSeg { ptr: number; len: number }

/** A monitor object behind guest descriptors (a signalfd): dups share it, the last close releases
 * it. Its `read` serves the guest's read(2)/readv(2); other transfers on it are refused. */
export interface FdObject {
  refs: number;
  release(): void;
  /** what readlink of /proc/self/fd/N says (the host object behind it is something else) */
  readonly link?: string;
  /** the guest's read(2)/readv(2) into these guest buffers */
  read?(segs: readonly GuestSeg[]): number | Park;
}

export class FdTable {
  private host: Int32Array;
  /** the native fast path's view: host[g] for plain descriptors, -1 for none and for monitor objects */
  private direct: Int32Array;
  /** every `direct` the native side was given (a vCPU thread may still read an old one) */
  private readonly retired: Int32Array[] = [];
  private cloexec: Uint8Array;
  private readonly objs: (FdObject | undefined)[] = [];
  /** RLIMIT_NOFILE as the guest sees it */
  limit: number;

  constructor(limit = 1024) {
    this.limit = limit;
    this.host = new Int32Array(64).fill(-1);
    this.direct = new Int32Array(64).fill(-1);
    this.cloexec = new Uint8Array(64);
    native.fastFds(this.direct);
  }

  /** Replaces the table with [guest fd, host fd, close-on-exec] entries (a forked child's). */
  restore(entries: readonly (readonly [number, number, boolean])[]): void {
    this.host.fill(-1);
    this.direct.fill(-1);
    this.cloexec.fill(0);
    this.objs.length = 0;
    for (const [g, h, c] of entries) this.set(g, h, c);
  }

  /** Closes the descriptors marked close-on-exec (execve). */
  closeOnExec(): void {
    for (const g of this.list()) if (this.getCloexec(g)) this.close(g);
  }

  /** Adopts host fds 0..2 as the guest's standard descriptors when they are open. */
  adoptStdio(): void {
    for (let fd = 0; fd < 3; fd++) if (sys(SYS.fcntl, fd, F.GETFD) >= 0) this.set(fd, fd, false);
  }

  private grow(n: number): void {
    if (n <= this.host.length) return;
    let size = this.host.length;
    while (size < n) size *= 2;
    const h = new Int32Array(size).fill(-1); h.set(this.host); this.host = h;
    const d = new Int32Array(size).fill(-1); d.set(this.direct); this.retired.push(this.direct); this.direct = d;
    const c = new Uint8Array(size); c.set(this.cloexec); this.cloexec = c;
    native.fastFds(this.direct);
  }

  /** host fd behind guest fd g, or -1 */
  get(g: number): number {
    return g >= 0 && g < this.host.length ? this.host[g]! : -1;
  }
  /** size of the table (FDSize in /proc/self/status) */
  get capacity(): number { return this.host.length; }
  isOpen(g: number): boolean { return this.get(g) >= 0; }
  /** the monitor object behind guest fd g, if any */
  object(g: number): FdObject | undefined { return g >= 0 ? this.objs[g] : undefined; }
  getCloexec(g: number): boolean { return this.cloexec[g] === 1; }
  setCloexec(g: number, on: boolean): void { this.cloexec[g] = on ? 1 : 0; }

  private set(g: number, hostFd: number, cloexec: boolean, obj?: FdObject): void {
    this.grow(g + 1);
    this.host[g] = hostFd;
    this.direct[g] = obj ? -1 : hostFd;
    this.cloexec[g] = cloexec ? 1 : 0;
    this.objs[g] = obj;
    if (obj) obj.refs++;
  }

  /** forgets the object of guest fd g (released with its last descriptor) */
  private drop(g: number): void {
    const o = this.objs[g];
    if (!o) return;
    this.objs[g] = undefined;
    if (--o.refs === 0) o.release();
  }

  /** Lowest free guest fd >= min for hostFd, or -EMFILE (the host fd is then closed). */
  alloc(hostFd: number, cloexec: boolean, min = 0, obj?: FdObject): number {
    for (let g = min; g < this.limit; g++) {
      if (this.get(g) < 0) { this.set(g, hostFd, cloexec, obj); return g; }
    }
    sys(SYS.close, hostFd);
    return min >= this.limit ? -E.EINVAL : -E.EMFILE;
  }

  /** Puts hostFd at guest fd g, closing what was there (dup2 semantics). */
  install(g: number, hostFd: number, cloexec: boolean, obj?: FdObject): number {
    if (g < 0 || g >= this.limit) { sys(SYS.close, hostFd); return -E.EBADF; }
    const old = this.get(g);
    if (obj) obj.refs++; // before dropping the old one: it may be the same object (dup2 of a dup)
    this.drop(g);
    this.set(g, hostFd, cloexec, obj);
    if (obj) obj.refs--;
    if (old >= 0) sys(SYS.close, old);
    return g;
  }

  close(g: number): number {
    const h = this.get(g);
    if (h < 0) return -E.EBADF;
    this.host[g] = -1;
    this.direct[g] = -1;
    this.cloexec[g] = 0;
    this.drop(g);
    const r = sys(SYS.close, h);
    // like Linux, the descriptor is gone even when close reports an error (EINTR, EIO)
    return r === -E.EBADF ? 0 : r;
  }

  /** open guest fds, ascending */
  list(): number[] {
    const out: number[] = [];
    for (let g = 0; g < this.host.length; g++) if (this.host[g]! >= 0) out.push(g);
    return out;
  }
}
