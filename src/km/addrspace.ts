// The payload's address space: the list of mappings (VMAs) and the Linux semantics of brk, mmap,
// munmap, mprotect, mremap and madvise. Each change is applied in three places that must agree:
// this list, the guest page tables (what the guest CPU may touch) and the host backing (what memory
// exists; mirroring protection here also makes the host kernel return EFAULT like Linux would).
import { E } from '../host/errno.js';
import { MAP, PROT, MADV, hostMemfd } from '../host/hostcalls.js';
import { sys } from '../host/native.js';
import { SYS } from '../host/sysno.js';
import { GuestMemory } from '../vm/guestmem.js';
import { PageTables, pteFlags } from '../vm/pagetables.js';
import { LARGE_PAGE, MMAP_MIN_ADDR, MMAP_TOP, MONITOR_BASE, PAGE_SIZE, pageUp, STACK_SIZE, STACK_TOP } from '../vm/layout.js';

export interface Vma {
  start: number;
  end: number;
  prot: number;
  shared: boolean;
  /** the host object behind the mapping, or -1 for private anonymous memory: a monitor-owned dup
   * of the mapped file's fd, or a memfd for shared anonymous memory (so that a forked child, a
   * separate monitor, can map the same pages). Split pieces share it; it is closed with the last. */
  hostFd: number;
  /** file offset of `start` for file mappings */
  offset: number;
  name: string;
  /** device and inode of the mapped file, for /proc/self/maps (file mappings and ELF segments) */
  file?: FileId;
}

export interface FileId { dev: number; ino: number }

/** whether `offset` is a file offset that moves with the start (file mappings, ELF segments) */
const hasOffset = (v: Vma): boolean => v.hostFd >= 0 || v.file !== undefined;

export const MREMAP = { MAYMOVE: 1, FIXED: 2, DONTUNMAP: 4 } as const;
const PROT_MASK = PROT.READ | PROT.WRITE | PROT.EXEC;
const PROT_GROWS = 0x01000000 | 0x02000000;

const isErr = (r: number) => r < 0;
const F_DUPFD_CLOEXEC = 1030;

/** a memfd of `size` bytes backing shared anonymous memory, or -errno */
function sharedAnonFd(size: number): number {
  const fd = hostMemfd('km-shared-anon');
  if (fd < 0) return fd;
  const r = sys(SYS.ftruncate, fd, size);
  if (r < 0) { sys(SYS.close, fd); return r; }
  return fd;
}

export class AddressSpace {
  /** sorted by start, non-overlapping */
  readonly vmas: Vma[] = [];
  brkStart = 0;
  brkEnd = 0;
  committed = 0;

  constructor(readonly mem: GuestMemory, readonly pt: PageTables, readonly memLimit: number) {}

  /** Closes the host objects behind mappings (execve: the VM and its memory go away). */
  closeBackings(): void {
    for (const fd of this.backingFds()) sys(SYS.close, fd);
  }

  /** host fds the mappings hold (a forked child must inherit them) */
  backingFds(): number[] {
    return [...new Set(this.vmas.filter((v) => v.hostFd >= 0).map((v) => v.hostFd))];
  }

  // ---- lookups ----

  /** index of the first VMA whose end is above addr */
  private firstAbove(addr: number): number {
    let lo = 0, hi = this.vmas.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.vmas[mid]!.end <= addr) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  find(addr: number): Vma | undefined {
    const v = this.vmas[this.firstAbove(addr)];
    return v && v.start <= addr ? v : undefined;
  }

  private overlaps(start: number, end: number): boolean {
    const v = this.vmas[this.firstAbove(start)];
    return v !== undefined && v.start < end;
  }

  /** true when every byte of [addr, addr+len) is mapped with all of `need` */
  accessible(addr: number, len: number, need: number): boolean {
    if (len === 0) return true;
    if (!Number.isSafeInteger(addr) || addr < 0 || addr + len > MONITOR_BASE) return false;
    let at = addr;
    const end = addr + len;
    let i = this.firstAbove(addr);
    while (at < end) {
      const v = this.vmas[i++];
      if (!v || v.start > at || (v.prot & need) !== need) return false;
      at = v.end;
    }
    return true;
  }
  canRead(addr: number, len: number): boolean { return this.accessible(addr, len, PROT.READ); }
  canWrite(addr: number, len: number): boolean { return this.accessible(addr, len, PROT.WRITE); }

  // ---- primitives ----

  private charge(start: number, end: number, prot: number): boolean {
    return prot === PROT.NONE || this.committed + (end - start) <= this.memLimit;
  }

  /** Adds bookkeeping and page-table entries for a range whose host backing is already in place. */
  private addVma(v: Vma): void {
    const i = this.firstAbove(v.start);
    this.vmas.splice(i, 0, v);
    if (v.prot !== PROT.NONE) {
      this.committed += v.end - v.start;
      this.mem.ensureSlots(v.start, v.end - v.start);
      this.pt.map(v.start, v.end - v.start, pteFlags(v.prot), v.start, (v.prot & PROT.EXEC) !== 0);
    }
  }

  /** Splits VMAs so that `addr` is a boundary. */
  private splitAt(addr: number): void {
    const i = this.firstAbove(addr);
    const v = this.vmas[i];
    if (!v || v.start >= addr) return;
    const tail: Vma = { ...v, start: addr, offset: hasOffset(v) ? v.offset + (addr - v.start) : 0 };
    v.end = addr;
    this.vmas.splice(i + 1, 0, tail);
  }

  /** Removes [start, end) from the bookkeeping and page tables; `release` gives the host pages back. */
  private removeRange(start: number, end: number, release: boolean): void {
    this.splitAt(start);
    this.splitAt(end);
    const fds = new Set<number>();
    // adjacent mappings go back to the host in one call (each host mapping change over guest
    // memory costs tens of microseconds on PVM: a thread's stack and its guard page are two)
    let runStart = -1, runEnd = -1;
    let i = this.firstAbove(start);
    while (i < this.vmas.length && this.vmas[i]!.start < end) {
      const v = this.vmas[i]!;
      if (v.prot !== PROT.NONE) {
        this.committed -= v.end - v.start;
        this.pt.unmap(v.start, v.end - v.start);
      }
      if (release) {
        if (v.start !== runEnd) { if (runStart >= 0) this.mem.release(runStart, runEnd - runStart); runStart = v.start; }
        runEnd = v.end;
      }
      if (v.hostFd >= 0) fds.add(v.hostFd);
      this.vmas.splice(i, 1);
    }
    if (runStart >= 0) this.mem.release(runStart, runEnd - runStart);
    for (const fd of fds) if (!this.vmas.some((v) => v.hostFd === fd)) sys(SYS.close, fd);
  }

  /** Top-down search for a free range of len bytes below MMAP_TOP, starting at a multiple of align. */
  private findFree(len: number, below = MMAP_TOP, align = PAGE_SIZE): number {
    let hi = below;
    for (let i = this.firstAbove(hi) - 1; i >= -1; i--) {
      const v = i >= 0 ? this.vmas[i]! : undefined;
      const lo = v ? v.end : MMAP_MIN_ADDR;
      const start = Math.floor((hi - len) / align) * align;
      if (start >= lo && start >= MMAP_MIN_ADDR) return start;
      if (!v) break;
      hi = Math.min(hi, v.start);
    }
    return -E.ENOMEM;
  }

  // ---- set-up by the loader ----

  /** start of the highest free range of len bytes below the mmap top, or -ENOMEM */
  freeRangeBelowTop(len: number): number { return this.findFree(len); }

  /** Maps a fixed anonymous region for the loader (ELF segments, stack); returns 0 or -errno. */
  mapFixedAnon(start: number, end: number, prot: number, name: string, file?: { id: FileId; offset: number }): number {
    if (this.overlaps(start, end)) return -E.EEXIST;
    if (!this.charge(start, end, prot)) return -E.ENOMEM;
    const r = this.mem.mapAnon(start, end - start, prot | PROT.WRITE, false);
    if (isErr(r)) return r;
    this.addVma({ start, end, prot, shared: false, hostFd: -1, offset: file?.offset ?? 0, name, file: file?.id });
    return 0;
  }

  /**
   * Maps whole pages of an ELF file for the loader: a private mapping of the host file at `offset`,
   * writable until finalizeProt (the loader zeroes and copies around it); returns 0 or -errno. The
   * pages come from the host's page cache, so a big executable is neither read nor copied.
   */
  mapFixedFile(start: number, end: number, prot: number, hostFd: number, offset: number, name: string, file?: FileId): number {
    if (this.overlaps(start, end)) return -E.EEXIST;
    if (!this.charge(start, end, prot)) return -E.ENOMEM;
    // the mapping keeps its own descriptor, as a guest file mapping does (fork and execve use it)
    const backing = sys(SYS.fcntl, hostFd, F_DUPFD_CLOEXEC, 0);
    if (isErr(backing)) return backing;
    const r = this.mem.mapFile(start, end - start, prot | PROT.WRITE, false, backing, offset);
    if (isErr(r)) { sys(SYS.close, backing); return r; }
    this.addVma({ start, end, prot, shared: false, hostFd: backing, offset, name, file });
    return 0;
  }

  /**
   * Re-creates a mapping of a forked parent: its host backing (the same file or memfd for
   * mappings with one), the parent's private pages written by `fill`, then its protection.
   */
  restoreVma(v: Vma, fill: (start: number, end: number) => number): number {
    const len = v.end - v.start;
    // private memory is filled first (PROT_NONE memory too: it may hold data the payload made
    // inaccessible for a while), then given its protection
    const writable = v.prot | PROT.READ | PROT.WRITE;
    const r = v.hostFd >= 0
      ? this.mem.mapFile(v.start, len, v.shared ? v.prot : writable, v.shared, v.hostFd, v.offset)
      : this.mem.mapAnon(v.start, len, writable, false);
    if (isErr(r)) return r;
    if (!v.shared) {
      const f = fill(v.start, v.end);
      if (isErr(f)) return f;
      if (writable !== v.prot) this.mem.protect(v.start, len, v.prot);
    }
    this.addVma({ ...v });
    return 0;
  }

  /** Changes protection after the loader wrote contents (segments are mapped writable first). */
  finalizeProt(start: number, end: number): void {
    for (const v of this.vmas) if (v.start >= start && v.end <= end) this.mem.protect(v.start, v.end - v.start, v.prot);
  }

  /** the main stack; executable only for programs that ask for it (PT_GNU_STACK with PF_X) */
  initStack(exec = false): number {
    return this.mapFixedAnon(STACK_TOP - STACK_SIZE, STACK_TOP, PROT.READ | PROT.WRITE | (exec ? PROT.EXEC : 0), '[stack]');
  }

  initBrk(start: number): void {
    this.brkStart = this.brkEnd = pageUp(start);
  }

  // ---- system calls ----

  brk(addr: number): number {
    if (addr < this.brkStart || addr >= MMAP_TOP) return this.brkEnd;
    const oldTop = pageUp(this.brkEnd), newTop = pageUp(addr);
    if (newTop > oldTop) {
      if (this.overlaps(oldTop, newTop) || !this.charge(oldTop, newTop, PROT.READ | PROT.WRITE)) return this.brkEnd;
      if (isErr(this.mem.mapAnon(oldTop, newTop - oldTop, PROT.READ | PROT.WRITE, false))) return this.brkEnd;
      this.addVma({ start: oldTop, end: newTop, prot: PROT.READ | PROT.WRITE, shared: false, hostFd: -1, offset: 0, name: '[heap]' });
      this.mergeAround(oldTop);
    } else if (newTop < oldTop) {
      this.removeRange(newTop, oldTop, true);
    }
    this.brkEnd = addr;
    return addr;
  }

  /** Merges anonymous neighbours with equal attributes around addr, keeping the list short. */
  private mergeAround(addr: number): void {
    const i = this.firstAbove(addr - 1);
    for (let k = Math.max(0, i - 1); k < Math.min(this.vmas.length - 1, i + 1); k++) {
      const a = this.vmas[k]!, b = this.vmas[k + 1]!;
      if (a.end === b.start && a.hostFd < 0 && b.hostFd < 0 && !a.file && !b.file && a.prot === b.prot && a.shared === b.shared && a.name === b.name) {
        a.end = b.end;
        this.vmas.splice(k + 1, 1);
        k--;
      }
    }
  }

  /**
   * mmap. `hostFd` is the host fd behind the guest's fd for file mappings (-1 for anonymous);
   * `name` names the mapping for /proc-style listings.
   */
  mmap(addr: number, len: number, prot: number, flags: number, hostFd: number, offset: number, name = '', file?: FileId): number {
    const type = flags & MAP.TYPE;
    if (type !== MAP.SHARED && type !== MAP.PRIVATE && type !== MAP.SHARED_VALIDATE) return -E.EINVAL;
    if (len === 0) return -E.EINVAL;
    // a length that is huge as an unsigned value cannot be mapped: Linux says ENOMEM
    if (len < 0 || !Number.isSafeInteger(len)) return -E.ENOMEM;
    if (prot & ~PROT_MASK & ~PROT_GROWS) return -E.EINVAL;
    const anon = (flags & MAP.ANONYMOUS) !== 0;
    if (!anon && (offset % PAGE_SIZE !== 0 || offset < 0)) return -E.EINVAL;
    if (flags & MAP.HUGETLB) return -E.ENOMEM;
    const size = pageUp(len);
    if (size > MONITOR_BASE) return -E.ENOMEM;
    const shared = type !== MAP.PRIVATE;
    const fixed = (flags & (MAP.FIXED | MAP.FIXED_NOREPLACE)) !== 0;
    let start: number;
    if (fixed) {
      if (addr % PAGE_SIZE !== 0) return -E.EINVAL;
      if (addr < MMAP_MIN_ADDR) return -E.EPERM;
      if (addr + size > MONITOR_BASE || !Number.isSafeInteger(addr)) return -E.ENOMEM;
      if ((flags & MAP.FIXED_NOREPLACE) && !(flags & MAP.FIXED) && this.overlaps(addr, addr + size)) return -E.EEXIST;
      start = addr;
    } else {
      const hint = addr - (addr % PAGE_SIZE);
      if (hint >= MMAP_MIN_ADDR && hint + size <= MONITOR_BASE && !this.overlaps(hint, hint + size)) start = hint;
      else {
        // private anonymous memory of whole 2 MiB multiples starts on a 2 MiB boundary, as Linux
        // places it for transparent huge pages: the guest then maps it with 2 MiB pages
        start = this.findFree(size, MMAP_TOP, anon && !shared && size % LARGE_PAGE === 0 ? LARGE_PAGE : PAGE_SIZE);
        if (start < 0) return start;
      }
    }
    const end = start + size;
    // the memory limit counts what replaces existing mappings only once
    const freed = fixed ? this.bytesCommittedIn(start, end) : 0;
    if (prot !== PROT.NONE && this.committed - freed + size > this.memLimit) return -E.ENOMEM;
    // the mapping keeps its own host object: the guest may close its fd right after mmap
    const backed = !anon || shared;
    const backing = !anon ? sys(SYS.fcntl, hostFd, F_DUPFD_CLOEXEC, 0) : shared ? sharedAnonFd(size) : -1;
    if (backed && isErr(backing)) return backing;
    // a range with no mapping is already inaccessible fresh host memory (the reservation, or what
    // release left): an inaccessible private mapping there needs no host call
    const r = backing >= 0 ? this.mem.mapFile(start, size, prot, shared, backing, anon ? 0 : offset)
      : prot === PROT.NONE && !(fixed && this.overlaps(start, end)) ? this.mem.reserveAnon(start, size)
        : this.mem.mapAnon(start, size, prot, false);
    if (isErr(r)) { if (backing >= 0) sys(SYS.close, backing); return r; }
    if (fixed) this.removeRange(start, end, false);
    this.addVma({ start, end, prot: prot & PROT_MASK, shared, hostFd: backing, offset: anon ? 0 : offset, name, file: anon ? undefined : file });
    if (anon && !shared) this.mergeAround(start);
    return start;
  }

  private bytesCommittedIn(start: number, end: number): number {
    let n = 0;
    for (let i = this.firstAbove(start); i < this.vmas.length && this.vmas[i]!.start < end; i++) {
      const v = this.vmas[i]!;
      if (v.prot !== PROT.NONE) n += Math.min(v.end, end) - Math.max(v.start, start);
    }
    return n;
  }

  munmap(addr: number, len: number): number {
    if (addr % PAGE_SIZE !== 0 || len <= 0 || !Number.isSafeInteger(addr) || !Number.isSafeInteger(len)) return -E.EINVAL;
    const end = addr + pageUp(len);
    if (end > MONITOR_BASE) return -E.EINVAL;
    this.removeRange(addr, end, true);
    return 0;
  }

  mprotect(addr: number, len: number, prot: number): number {
    if (addr % PAGE_SIZE !== 0 || !Number.isSafeInteger(addr) || len < 0) return -E.EINVAL;
    if (prot & ~PROT_MASK & ~PROT_GROWS) return -E.EINVAL;
    if (len === 0) return 0;
    const end = addr + pageUp(len);
    if (end > MONITOR_BASE) return -E.ENOMEM;
    if (!this.accessible(addr, end - addr, PROT.NONE)) return -E.ENOMEM;
    prot &= PROT_MASK;
    const grow = prot === PROT.NONE ? 0 : (end - addr) - this.bytesCommittedIn(addr, end);
    if (this.committed + grow > this.memLimit) return -E.ENOMEM;
    this.splitAt(addr);
    this.splitAt(end);
    for (let i = this.firstAbove(addr); i < this.vmas.length && this.vmas[i]!.start < end; i++) {
      const v = this.vmas[i]!;
      const r = this.mem.protect(v.start, v.end - v.start, prot);
      if (isErr(r)) return r;
      const len2 = v.end - v.start;
      if (v.prot === PROT.NONE && prot !== PROT.NONE) { this.committed += len2; this.mem.ensureSlots(v.start, len2); }
      if (v.prot !== PROT.NONE && prot === PROT.NONE) this.committed -= len2;
      v.prot = prot;
      if (prot === PROT.NONE) this.pt.unmap(v.start, len2);
      else this.pt.map(v.start, len2, pteFlags(prot), v.start, (prot & PROT.EXEC) !== 0);
    }
    return 0;
  }

  mremap(oldAddr: number, oldLen: number, newLen: number, flags: number, newAddr: number): number {
    if (oldAddr % PAGE_SIZE !== 0 || flags & ~(MREMAP.MAYMOVE | MREMAP.FIXED | MREMAP.DONTUNMAP)) return -E.EINVAL;
    if (flags & MREMAP.DONTUNMAP) return -E.EINVAL;
    if ((flags & MREMAP.FIXED) && !(flags & MREMAP.MAYMOVE)) return -E.EINVAL;
    if (newLen <= 0 || oldLen <= 0) return -E.EINVAL;
    const oldSize = pageUp(oldLen), newSize = pageUp(newLen);
    const v = this.find(oldAddr);
    if (!v || oldAddr + oldSize > v.end) return -E.EFAULT;
    if (flags & MREMAP.FIXED) {
      if (newAddr % PAGE_SIZE !== 0) return -E.EINVAL;
      if (newAddr < MMAP_MIN_ADDR || newAddr + newSize > MONITOR_BASE) return -E.EINVAL;
      if (newAddr < oldAddr + oldSize && oldAddr < newAddr + newSize) return -E.EINVAL;
      return this.moveTo(v, oldAddr, oldSize, newSize, newAddr, true);
    }
    if (newSize <= oldSize) {
      if (newSize < oldSize) this.removeRange(oldAddr + newSize, oldAddr + oldSize, true);
      return oldAddr;
    }
    // grow in place when the pages after the range are free
    const extStart = oldAddr + oldSize, extEnd = oldAddr + newSize;
    if (v.hostFd < 0 && oldAddr + oldSize === v.end && extEnd <= MONITOR_BASE && !this.overlaps(extStart, extEnd)) {
      if (v.prot !== PROT.NONE && this.committed + (extEnd - extStart) > this.memLimit) return -E.ENOMEM;
      const r = v.hostFd < 0
        ? this.mem.mapAnon(extStart, extEnd - extStart, v.prot, v.shared)
        : this.mem.mapFile(extStart, extEnd - extStart, v.prot, v.shared, v.hostFd, v.offset + (extStart - v.start));
      if (isErr(r)) return r;
      this.addVma({ ...v, start: extStart, end: extEnd, offset: v.hostFd >= 0 ? v.offset + (extStart - v.start) : 0 });
      this.mergeAround(extStart);
      return oldAddr;
    }
    if (!(flags & MREMAP.MAYMOVE)) return -E.ENOMEM;
    const dest = this.findFree(newSize);
    if (dest < 0) return dest;
    return this.moveTo(v, oldAddr, oldSize, newSize, dest, false);
  }

  private moveTo(v: Vma, oldAddr: number, oldSize: number, newSize: number, dest: number, replace: boolean): number {
    const grow = newSize > oldSize && v.prot !== PROT.NONE ? newSize - oldSize : 0;
    const freed = replace ? this.bytesCommittedIn(dest, dest + newSize) : 0;
    if (this.committed - freed + grow > this.memLimit) return -E.ENOMEM;
    const moved: Vma = { ...v, start: dest, end: dest + newSize, offset: hasOffset(v) ? v.offset + (oldAddr - v.start) : 0 };
    if (v.shared && !v.file && v.hostFd >= 0 && newSize > oldSize) {
      // shared anonymous memory grows with its memfd (pages past the end would be SIGBUS)
      const need = moved.offset + newSize;
      if (sys(SYS.lseek, v.hostFd, 0, 2 /* SEEK_END */) < need) {
        const r = sys(SYS.ftruncate, v.hostFd, need);
        if (isErr(r)) return r;
      }
    }
    if (replace) this.removeRange(dest, dest + newSize, false);
    const r = this.mem.move(oldAddr, oldSize, dest, newSize);
    if (isErr(r)) return r;
    // the host moved the pages and left a hole at the old place: account, then re-reserve it
    this.removeRange(oldAddr, oldAddr + oldSize, false);
    this.mem.release(oldAddr, oldSize);
    this.addVma(moved);
    return dest;
  }

  madvise(addr: number, len: number, advice: number): number {
    if (addr % PAGE_SIZE !== 0 || len < 0 || !Number.isSafeInteger(addr)) return -E.EINVAL;
    const size = pageUp(len);
    switch (advice) {
      case MADV.DONTNEED: case MADV.FREE: case MADV.REMOVE: {
        if (size === 0) return 0;
        if (!this.accessible(addr, size, PROT.NONE)) return -E.ENOMEM;
        for (let i = this.firstAbove(addr); i < this.vmas.length && this.vmas[i]!.start < addr + size; i++) {
          const v = this.vmas[i]!;
          const s = Math.max(v.start, addr), e = Math.min(v.end, addr + size);
          if (v.prot === PROT.NONE) continue; // nothing to discard; touching it faults anyway
          const r = this.mem.discard(s, e - s);
          if (isErr(r)) return r;
        }
        return 0;
      }
      case MADV.NORMAL: case MADV.RANDOM: case MADV.SEQUENTIAL: case MADV.WILLNEED: case MADV.DONTFORK:
      case MADV.DOFORK: case MADV.MERGEABLE: case MADV.UNMERGEABLE: case MADV.HUGEPAGE: case MADV.NOHUGEPAGE:
      case MADV.DONTDUMP: case MADV.DODUMP: case MADV.WIPEONFORK: case MADV.KEEPONFORK: case MADV.COLD:
      case MADV.PAGEOUT:
        if (size > 0 && !this.accessible(addr, size, PROT.NONE)) return -E.ENOMEM;
        return 0;
      default:
        return -E.EINVAL;
    }
  }
}
