// Thin helpers over raw host system calls used by the monitor itself (not by the guest).
import { sys, addressOf } from './native.js';
import { SYS } from './sysno.js';
import { E, errnoName } from './errno.js';
import { defineLayout, StructView } from '../util/struct.js';
import { utf8Bytes } from '../util/bytes.js';

export const AT_FDCWD = -100;
export const O = { RDONLY: 0, WRONLY: 1, RDWR: 2, CREAT: 0o100, EXCL: 0o200, NOCTTY: 0o400, TRUNC: 0o1000,
  APPEND: 0o2000, NONBLOCK: 0o4000, DIRECTORY: 0o200000, NOFOLLOW: 0o400000, CLOEXEC: 0o2000000 } as const;
export const PROT = { NONE: 0, READ: 1, WRITE: 2, EXEC: 4 } as const;
export const MAP = { SHARED: 0x01, PRIVATE: 0x02, SHARED_VALIDATE: 0x03, TYPE: 0x0f, FIXED: 0x10,
  ANONYMOUS: 0x20, GROWSDOWN: 0x100, DENYWRITE: 0x800, EXECUTABLE: 0x1000, LOCKED: 0x2000,
  NORESERVE: 0x4000, POPULATE: 0x8000, NONBLOCK: 0x10000, STACK: 0x20000, HUGETLB: 0x40000,
  SYNC: 0x80000, FIXED_NOREPLACE: 0x100000 } as const;
export const MADV = { NORMAL: 0, RANDOM: 1, SEQUENTIAL: 2, WILLNEED: 3, DONTNEED: 4, FREE: 8, REMOVE: 9,
  DONTFORK: 10, DOFORK: 11, MERGEABLE: 12, UNMERGEABLE: 13, HUGEPAGE: 14, NOHUGEPAGE: 15,
  DONTDUMP: 16, DODUMP: 17, WIPEONFORK: 18, KEEPONFORK: 19, COLD: 20, PAGEOUT: 21 } as const;

/** A failed host call, carrying the call's name and errno so messages say what failed and why. */
export class HostError extends Error {
  constructor(readonly call: string, readonly errno: number, detail = '') {
    super(`${call}${detail ? ` (${detail})` : ''} failed: ${errnoName(errno)}`);
  }
}

/** NUL-terminated copy of a string, for passing paths to the host */
export function cstr(s: string): Uint8Array {
  return utf8Bytes(s, true);
}

export function check(call: string, r: number, detail = ''): number {
  if (r < 0 && r > -4096) throw new HostError(call, -r, detail);
  return r;
}

export function hostOpen(path: string, flags: number, mode = 0): number {
  const p = cstr(path);
  return sys(SYS.openat, AT_FDCWD, addressOf(p), flags, mode);
}

const MFD_CLOEXEC = 1;
export const MFD_ALLOW_SEALING = 2;

/** A close-on-exec memfd named `name` (for monitor-owned memory and files), or -errno. */
export function hostMemfd(name: string, flags = 0): number {
  return sys(SYS.memfd_create, addressOf(cstr(name)), MFD_CLOEXEC | flags);
}

/** pwrite of all of [addr, addr+len) at `off` (the host may write less per call); 0 or -errno. */
export function hostPwriteAll(fd: number, addr: number, len: number, off: number): number {
  for (let done = 0; done < len;) {
    const n = sys(SYS.pwrite64, fd, addr + done, len - done, off + done);
    if (n <= 0) return n < 0 ? n : -E.EIO;
    done += n;
  }
  return 0;
}

export function hostClose(fd: number): number {
  return sys(SYS.close, fd);
}

export function hostMmap(addr: number, len: number, prot: number, flags: number, fd = -1, off = 0): number {
  return sys(SYS.mmap, addr, len, prot, flags, fd, off);
}

export function hostIoctl(fd: number, req: number, arg: number | ArrayBufferView = 0): number {
  return sys(SYS.ioctl, fd, req, typeof arg === 'number' ? arg : addressOf(arg));
}

export function hostWrite(fd: number, data: Uint8Array): number {
  return sys(SYS.write, fd, addressOf(data), data.length);
}

/** write a whole string to a host fd (km's own messages) */
export function hostWriteString(fd: number, s: string): void {
  const b = utf8Bytes(s);
  let off = 0;
  while (off < b.length) {
    const r = sys(SYS.write, fd, addressOf(b) + off, b.length - off);
    if (r <= 0) return;
    off += r;
  }
}

/** struct stat (x86-64; the fields km reads) */
export const StatLayout = defineLayout(144, { dev: [0, 'u64'], ino: [8, 'u64'], mode: [24, 'u32'], size: [48, 'i64'] } as const);
export const S_IFMT = 0o170000, S_IFREG = 0o100000, S_IFDIR = 0o040000;

/** stat(2) of a host path (following links) through the addon, without node's fs; -errno on failure */
export function hostStat(path: string): StructView<typeof StatLayout> | number {
  const st = new StructView(StatLayout);
  const r = sys(SYS.stat, addressOf(cstr(path)), addressOf(st.dv));
  return r < 0 ? r : st;
}

/** fstat(2) of a host descriptor through the addon; -errno on failure */
export function hostFstat(fd: number): StructView<typeof StatLayout> | number {
  const st = new StructView(StatLayout);
  const r = sys(SYS.fstat, fd, addressOf(st.dv));
  return r < 0 ? r : st;
}

/** The rest of the file behind fd, read to its end (sizeHint: its size, when known; a file that
 * changed size meanwhile is read as it is now); -errno on failure. */
export function hostReadAll(fd: number, sizeHint = 0): Uint8Array | number {
  let buf = new Uint8Array(Math.max(sizeHint + 1, 4096)), len = 0;
  for (;;) {
    if (len === buf.length) { const b = new Uint8Array(buf.length * 2); b.set(buf); buf = b; }
    const n = sys(SYS.read, fd, addressOf(buf) + len, buf.length - len);
    if (n === -E.EINTR) continue;
    if (n < 0) return n;
    if (n === 0) return buf.subarray(0, len);
    len += n;
  }
}

/** The whole of a file, /proc files too (whose size reads 0), through raw calls; -errno on failure.
 * For the files km reads as it starts: node's readFileSync runs ~0.3 ms of cold JavaScript each. */
export function hostReadFile(path: string): Uint8Array | number {
  const fd = hostOpen(path, O.RDONLY | O.CLOEXEC);
  if (fd < 0) return fd;
  const st = hostFstat(fd);
  const r = hostReadAll(fd, typeof st === 'number' ? 0 : st.get('size'));
  hostClose(fd);
  return r;
}

/** struct sysinfo (the fields km reads) */
export const SysinfoLayout = defineLayout(112, { totalram: [32, 'u64'], mem_unit: [104, 'u32'] });

/** The host's physical memory in bytes, as os.totalmem() gives it, without loading node:os at start-up. */
export function hostPhysicalMemory(): number {
  const si = new StructView(SysinfoLayout);
  check('sysinfo', sys(SYS.sysinfo, addressOf(si.dv)));
  return si.get('totalram') * (si.get('mem_unit') || 1);
}
