// Guest physical memory: one host reservation made once, KVM memory slots added as the guest first
// uses a chunk, zero-copy views for the monitor, and host protection that mirrors the guest's.
import { native, sys } from '../host/native.js';
import { SYS } from '../host/sysno.js';
import { MAP, PROT, MADV, HostError, hostMmap } from '../host/hostcalls.js';
import { LARGE_PAGE, RESERVATION_SIZE, SLOT_CHUNK, VIEW_WINDOW, MONITOR_BASE } from './layout.js';
import type { Vm } from '../kvm/kvm.js';

const TWO32 = 4294967296;

interface Window { u8: Uint8Array; dv: DataView; u32: Uint32Array }

export class GuestMemory {
  readonly base: number;
  private readonly slots = new Map<number, number>(); // chunk index -> slot number
  private nextSlot = 0;
  private readonly windows = new Map<number, Window>();

  constructor(private readonly vm: Vm | null) {
    // 2 MiB-aligned, so that guest 2 MiB pages are host 2 MiB pages too (transparent huge pages)
    const addr = hostMmap(0, RESERVATION_SIZE + LARGE_PAGE, PROT.NONE, MAP.PRIVATE | MAP.ANONYMOUS | MAP.NORESERVE);
    if (addr < 0 && addr > -4096) throw new HostError('mmap(guest memory reservation)', -addr);
    this.base = Math.ceil(addr / LARGE_PAGE) * LARGE_PAGE;
    if (this.base > addr) sys(SYS.munmap, addr, this.base - addr);
    if (addr + LARGE_PAGE > this.base) sys(SYS.munmap, this.base + RESERVATION_SIZE, addr + LARGE_PAGE - this.base);
  }

  hostAddr(gpa: number): number { return this.base + gpa; }

  /** Gives the whole reservation back to the host; no view of it may be used afterwards. */
  close(): void {
    this.windows.clear();
    this.lastW = -1;
    this.lastV = undefined;
    sys(SYS.munmap, this.base, RESERVATION_SIZE);
  }

  /** Registers the KVM memory slots covering [gpa, gpa+len). */
  ensureSlots(gpa: number, len: number): void {
    if (!this.vm || len <= 0) return;
    const first = Math.floor(gpa / SLOT_CHUNK), last = Math.floor((gpa + len - 1) / SLOT_CHUNK);
    for (let c = first; c <= last; c++) {
      if (this.slots.has(c)) continue;
      const slot = this.nextSlot++;
      this.vm.setMemoryRegion(slot, c * SLOT_CHUNK, SLOT_CHUNK, this.base + c * SLOT_CHUNK);
      this.slots.set(c, slot);
    }
  }

  get slotCount(): number { return this.slots.size; }

  /** Backs [gpa, gpa+len) with fresh anonymous host memory (zero-filled on first touch).
   * `largePages` false: memory the monitor fills sparsely (page tables, descriptor tables), where a
   * huge page's first touch would clear 2 MiB to use a few KiB (0.3-4 ms each on PVM). */
  mapAnon(gpa: number, len: number, prot: number, shared: boolean, largePages = true): number {
    const flags = MAP.FIXED | MAP.ANONYMOUS | MAP.NORESERVE | (shared ? MAP.SHARED : MAP.PRIVATE);
    const r = hostMmap(this.base + gpa, len, hostProt(prot), flags);
    if (r < 0 && r > -4096) return r;
    // transparent huge pages where the guest uses 2 MiB pages (the page tables map whole aligned
    // 2 MiB as one): a guest's first touch of fresh memory costs ~16 us per 4 KiB page on PVM, and
    // one 2 MiB fault serves 512 of them. Only for whole aligned 2 MiB multiples, as Linux aligns
    // them: a thread stack (8 MiB + a guard page) would otherwise take 2 MiB at its first touch
    if (largePages && !shared && gpa % LARGE_PAGE === 0 && len % LARGE_PAGE === 0) sys(SYS.madvise, this.base + gpa, len, MADV.HUGEPAGE);
    return 0;
  }

  /** [gpa, gpa+len) is a hole (reserved, inaccessible, without pages) that becomes an inaccessible
   * private mapping: nothing changes on the host but the huge-page hint, for when it is opened up. */
  reserveAnon(gpa: number, len: number): number {
    if (gpa % LARGE_PAGE === 0 && len % LARGE_PAGE === 0) sys(SYS.madvise, this.base + gpa, len, MADV.HUGEPAGE);
    return 0;
  }

  /** Maps a host file over [gpa, gpa+len). */
  mapFile(gpa: number, len: number, prot: number, shared: boolean, hostFd: number, offset: number): number {
    const flags = MAP.FIXED | (shared ? MAP.SHARED : MAP.PRIVATE);
    const r = hostMmap(this.base + gpa, len, hostProt(prot), flags, hostFd, offset);
    return r < 0 && r > -4096 ? r : 0;
  }

  /** Gives [gpa, gpa+len) back to the host: its pages are freed and it becomes inaccessible. */
  release(gpa: number, len: number): void {
    const r = hostMmap(this.base + gpa, len, PROT.NONE, MAP.FIXED | MAP.PRIVATE | MAP.ANONYMOUS | MAP.NORESERVE);
    if (r < 0 && r > -4096) throw new HostError('mmap(release guest range)', -r);
  }

  protect(gpa: number, len: number, prot: number): number {
    return sys(SYS.mprotect, this.base + gpa, len, hostProt(prot));
  }

  discard(gpa: number, len: number): number {
    return sys(SYS.madvise, this.base + gpa, len, MADV.DONTNEED);
  }

  /** host mremap of guest pages from one guest range to another (no copy) */
  move(oldGpa: number, oldLen: number, newGpa: number, newLen: number): number {
    const r = sys(SYS.mremap, this.base + oldGpa, oldLen, newLen, 1 | 2 /* MAYMOVE|FIXED */, this.base + newGpa);
    return r < 0 && r > -4096 ? r : 0;
  }

  private lastW = -1;
  private lastV: Window | undefined;
  private window(gpa: number): Window {
    const w = Math.floor(gpa / VIEW_WINDOW);
    if (w === this.lastW) return this.lastV!;
    let v = this.windows.get(w);
    if (!v) {
      const ab = native.view(this.base + w * VIEW_WINDOW, VIEW_WINDOW);
      v = { u8: new Uint8Array(ab), dv: new DataView(ab), u32: new Uint32Array(ab) };
      this.windows.set(w, v);
    }
    this.lastW = w;
    this.lastV = v;
    return v;
  }

  /**
   * A zero-copy view of [gpa, gpa+len) when it lies in one window, else null. The caller must
   * already know the range is accessible (see AddressSpace.check*): touching an inaccessible page
   * would fault the monitor itself.
   */
  viewOf(gpa: number, len: number): Uint8Array | null {
    const w = Math.floor(gpa / VIEW_WINDOW);
    if (Math.floor((gpa + Math.max(len, 1) - 1) / VIEW_WINDOW) !== w) return null;
    const off = gpa - w * VIEW_WINDOW;
    return this.window(gpa).u8.subarray(off, off + len);
  }

  /** Calls f for each window-sized piece of [gpa, gpa+len): its view and offset within the range. */
  private pieces(gpa: number, len: number, f: (view: Uint8Array, at: number) => void): void {
    for (let at = 0; at < len;) {
      const a = gpa + at, off = a % VIEW_WINDOW, n = Math.min(len - at, VIEW_WINDOW - off);
      f(this.window(a).u8.subarray(off, off + n), at);
      at += n;
    }
  }

  /** [gpa, gpa+len): a view when it lies in one window, else a copy */
  read(gpa: number, len: number): Uint8Array {
    const v = this.viewOf(gpa, len);
    if (v) return v;
    const out = new Uint8Array(len);
    this.pieces(gpa, len, (view, at) => out.set(view, at));
    return out;
  }

  write(gpa: number, data: Uint8Array): void {
    const v = this.viewOf(gpa, data.length);
    if (v) { v.set(data); return; }
    this.pieces(gpa, data.length, (view, at) => view.set(data.subarray(at, at + view.length)));
  }

  fill(gpa: number, len: number, byte: number): void {
    const v = this.viewOf(gpa, len);
    if (v) { v.fill(byte); return; }
    this.pieces(gpa, len, (view) => view.fill(byte));
  }

  readU8(gpa: number): number { const w = this.window(gpa); return w.u8[gpa % VIEW_WINDOW]!; }
  writeU8(gpa: number, v: number): void { const w = this.window(gpa); w.u8[gpa % VIEW_WINDOW] = v; }

  readU32(gpa: number): number {
    if (gpa % 4 === 0) return this.window(gpa).u32[(gpa % VIEW_WINDOW) >>> 2]!;
    const b = this.read(gpa, 4);
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  }
  writeU32(gpa: number, v: number): void {
    if (gpa % 4 === 0) { this.window(gpa).u32[(gpa % VIEW_WINDOW) >>> 2] = v >>> 0; return; }
    const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v >>> 0, true); this.write(gpa, b);
  }
  /** atomic compare-and-swap of an aligned 32-bit word (vCPUs may be using it); returns the old value */
  cmpxchgU32(gpa: number, expected: number, value: number): number {
    return Atomics.compareExchange(this.window(gpa).u32, (gpa % VIEW_WINDOW) >>> 2, expected >>> 0, value >>> 0);
  }
  /** 64-bit unsigned as a number (exact below 2^53) */
  readU64(gpa: number): number { return this.readU32(gpa) + this.readU32(gpa + 4) * TWO32; }
  /** 64-bit signed as a number */
  readI64(gpa: number): number { return this.readU32(gpa) + (this.readU32(gpa + 4) | 0) * TWO32; }
  writeU64(gpa: number, v: number): void {
    let lo = v % TWO32; if (lo < 0) lo += TWO32;
    this.writeU32(gpa, lo);
    this.writeU32(gpa + 4, Math.floor((v - lo) / TWO32) >>> 0);
  }

  /** a DataView for struct access when [gpa, gpa+len) is in one window */
  dataView(gpa: number, len: number): DataView {
    const v = this.viewOf(gpa, len);
    if (v) return new DataView(v.buffer, v.byteOffset, len);
    return new DataView(this.read(gpa, len).slice().buffer);
  }
}

/** Host protection for guest protection: exec needs read (KVM maps readable pages); no host exec. */
export function hostProt(prot: number): number {
  let p = prot & (PROT.READ | PROT.WRITE);
  if (prot & PROT.EXEC) p |= PROT.READ;
  return p;
}

/**
 * Host address for a guest buffer the host kernel will access on the guest's behalf, or -1 when
 * it is outside the guest's addressable range (or wraps). Pages inside the range that the guest
 * has not mapped are inaccessible host pages, so the kernel itself returns EFAULT for them.
 */
export function userHostAddr(mem: GuestMemory, ptr: number, len: number): number {
  if (!Number.isSafeInteger(ptr) || !Number.isSafeInteger(len) || ptr < 0 || len < 0) return -1;
  if (ptr + len > MONITOR_BASE || ptr + len < ptr) return -1;
  return mem.base + ptr;
}
