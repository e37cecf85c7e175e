// The bytes of an executable km is about to load. A small file is read whole. A big one (node's
// own binary is ~100 MB) is mapped read-only instead: parsing reads only its headers, so only those
// pages are paged in, and the loader maps its segments from the same host file (src/elf/loader.ts)
// rather than copying them into guest memory.
import { native, sys } from '../host/native.js';
import { SYS } from '../host/sysno.js';
import { MAP, O, PROT, hostMmap, hostOpen, hostReadAll } from '../host/hostcalls.js';

/** files at least this big are mapped, not read (below it, one read costs less than the mapping) */
export const MAP_EXECUTABLE_MIN = 1 << 20;

export interface ExecutableFile {
  /** the whole file: read into memory, or a read-only host mapping of it */
  bytes: Uint8Array;
  /** host descriptor of a mapped file (the loader maps segments from it); -1 for a read one */
  fd: number;
  /** the host mapping behind `bytes`, null for a read file */
  mapping: { addr: number; len: number } | null;
}

/** An executable's bytes; `size` is its size from stat. -errno when it cannot be opened or read. */
export function openExecutable(path: string, size: number): ExecutableFile | number {
  const fd = hostOpen(path, O.RDONLY | O.CLOEXEC);
  if (fd < 0) return fd;
  if (size >= MAP_EXECUTABLE_MIN) {
    const addr = hostMmap(0, size, PROT.READ, MAP.PRIVATE, fd, 0);
    if (addr >= 0) return { bytes: new Uint8Array(native.view(addr, size)), fd, mapping: { addr, len: size } };
    // anything unusual (a file system without mmap): read it as a small one
  }
  const bytes = hostReadAll(fd, size);
  sys(SYS.close, fd);
  return typeof bytes === 'number' ? bytes : { bytes, fd: -1, mapping: null };
}

/** Gives back the mapping and descriptor of a loaded (or abandoned) executable; its bytes are gone. */
export function closeExecutable(f: ExecutableFile): void {
  if (f.mapping) { sys(SYS.munmap, f.mapping.addr, f.mapping.len); f.mapping = null; }
  if (f.fd >= 0) { sys(SYS.close, f.fd); f.fd = -1; }
  f.bytes = new Uint8Array(0);
}
