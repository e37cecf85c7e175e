// Guest page tables (4-level, 4 KiB leaves), kept by the monitor in a guest-physical pool the
// guest cannot address. Leaf entries carry the guest's protection, so a guest access to an
// unmapped or protected page raises #PF inside the guest, with CR2 and an error code, like Linux.
import { GuestMemory } from './guestmem.js';
import { LARGE_PAGE, PAGE_SIZE, PT_POOL_BASE, PT_POOL_SIZE, SLOT_CHUNK } from './layout.js';
import { PROT } from '../host/hostcalls.js';

export const PTE = { P: 1, RW: 2, US: 4, PWT: 8, PCD: 16, A: 32, D: 64, PS: 128, G: 256 } as const;
/** execute-disable, bit 63: bit 31 of an entry's high word (needs EFER.NXE) */
export const PTE_HI_NX = 0x80000000;
const TWO32 = 4294967296;
const ENTRIES = 512;
/** leafTable: va lies in a 2 MiB page */
const LARGE = -2;

export class PageTables {
  readonly root: number;
  private next = PT_POOL_BASE;
  private readonly free: number[] = [];
  private poolMappedTo = PT_POOL_BASE;

  constructor(private readonly mem: GuestMemory) {
    this.root = this.allocPage();
  }

  /** guest-physical bytes used by page-table pages */
  get bytesUsed(): number { return this.next - PT_POOL_BASE - this.free.length * PAGE_SIZE; }

  private allocPage(): number {
    const reused = this.free.pop();
    if (reused !== undefined) { this.mem.fill(reused, PAGE_SIZE, 0); return reused; }
    if (this.next + PAGE_SIZE > PT_POOL_BASE + PT_POOL_SIZE) throw new Error('guest page-table pool exhausted');
    if (this.next >= this.poolMappedTo) {
      // back the pool a chunk at a time; fresh anonymous memory is already zero
      const r = this.mem.mapAnon(this.poolMappedTo, SLOT_CHUNK, PROT.READ | PROT.WRITE, false, false);
      if (r < 0) throw new Error(`page-table pool: host mmap failed (${-r})`);
      this.mem.ensureSlots(this.poolMappedTo, SLOT_CHUNK);
      this.poolMappedTo += SLOT_CHUNK;
    }
    const p = this.next;
    this.next += PAGE_SIZE;
    return p;
  }

  private entryAddr(table: number, va: number, level: number): number {
    const idx = Math.floor(va / 2 ** (12 + 9 * level)) % ENTRIES;
    return table + idx * 8;
  }

  /** the page-directory entry (level 1) for va, its tables created when `create`; -1: none */
  private pdEntry(va: number, create: boolean): number {
    let table = this.root;
    for (let level = 3; level >= 2; level--) {
      const ea = this.entryAddr(table, va, level);
      const lo = this.mem.readU32(ea);
      if (lo & PTE.P) {
        table = (lo - (lo % PAGE_SIZE)) + this.mem.readU32(ea + 4) * TWO32;
        continue;
      }
      if (!create) return -1;
      const page = this.allocPage();
      this.setTableEntry(ea, page);
      table = page;
    }
    return this.entryAddr(table, va, 1);
  }

  private setTableEntry(ea: number, page: number): void {
    this.mem.writeU32(ea + 4, Math.floor(page / TWO32));
    this.mem.writeU32(ea, (page % TWO32) + (PTE.P | PTE.RW | PTE.US));
  }

  /** the leaf table (level 0) for va, created (a 2 MiB page split into 512 entries) when
   * `create`; -1: none, LARGE: va lies in a 2 MiB page */
  private leafTable(va: number, create: boolean): number {
    const ea = this.pdEntry(va, create);
    if (ea < 0) return -1;
    const lo = this.mem.readU32(ea), hi = this.mem.readU32(ea + 4);
    if (lo & PTE.P) {
      if (!(lo & PTE.PS)) return (lo - (lo % PAGE_SIZE)) + hi * TWO32;
      if (!create) return LARGE;
      // the same translations through a table, so that part of the 2 MiB can change
      const page = this.allocPage(), t = this.words(page);
      const base = (lo - (lo % LARGE_PAGE)) + (hi & ~PTE_HI_NX) * TWO32, flags = lo & 0xfff & ~PTE.PS;
      for (let i = 0; i < ENTRIES; i++) {
        const pa = base + i * PAGE_SIZE;
        t[i * 2] = (pa % TWO32) + flags;
        t[i * 2 + 1] = (Math.floor(pa / TWO32) | (hi & PTE_HI_NX)) >>> 0;
      }
      this.setTableEntry(ea, page);
      return page;
    }
    if (!create) return -1;
    const page = this.allocPage();
    this.setTableEntry(ea, page);
    return page;
  }

  /** whether leaf entries may carry the execute-disable bit (EFER.NXE is set) */
  nxEnabled = false;

  /** Maps [va, va+len) to guest-physical [gpa, ...) with leaf flags (P is implied). */
  map(va: number, len: number, flags: number, gpa = va, exec = true): void {
    const nx = !exec && this.nxEnabled ? PTE_HI_NX : 0;
    for (let off = 0; off < len;) {
      const v = va + off, pa0 = gpa + off;
      if (v % LARGE_PAGE === 0 && pa0 % LARGE_PAGE === 0 && len - off >= LARGE_PAGE) {
        // a whole aligned 2 MiB: one large page (with host THP, one shadow fault instead of 512)
        // (a table this replaces is not reused: KVM may still shadow it, and would not see a reuse)
        const ea = this.pdEntry(v, true);
        this.mem.writeU32(ea + 4, (Math.floor(pa0 / TWO32) | nx) >>> 0);
        this.mem.writeU32(ea, (pa0 % TWO32) + (flags | PTE.P | PTE.PS));
        off += LARGE_PAGE;
        continue;
      }
      const t = this.words(this.leafTable(v, true));
      let idx = Math.floor(v / PAGE_SIZE) % ENTRIES;
      for (; idx < ENTRIES && off < len; idx++, off += PAGE_SIZE) {
        const pa = gpa + off;
        t[idx * 2] = (pa % TWO32) + (flags | PTE.P);
        t[idx * 2 + 1] = (Math.floor(pa / TWO32) | nx) >>> 0;
      }
    }
  }

  /** Clears the leaf entries of [va, va+len). */
  unmap(va: number, len: number): void {
    for (let off = 0; off < len;) {
      const v = va + off;
      let table = this.leafTable(v, false);
      if (table === LARGE) {
        if (v % LARGE_PAGE === 0 && len - off >= LARGE_PAGE) {
          const ea = this.pdEntry(v, false);
          this.mem.writeU32(ea, 0);
          this.mem.writeU32(ea + 4, 0);
          off += LARGE_PAGE;
          continue;
        }
        table = this.leafTable(v, true);
      }
      const idx0 = Math.floor(v / PAGE_SIZE) % ENTRIES;
      const n = Math.min(ENTRIES - idx0, Math.ceil((len - off) / PAGE_SIZE));
      if (table >= 0) this.words(table).fill(0, idx0 * 2, (idx0 + n) * 2);
      off += n * PAGE_SIZE;
    }
  }

  /** a table page as 32-bit words (two per entry): one lookup for up to 512 entries */
  private words(table: number): Uint32Array {
    const v = this.mem.viewOf(table, PAGE_SIZE)!;
    return new Uint32Array(v.buffer, v.byteOffset, PAGE_SIZE / 4);
  }

  /** the entry that maps va: [address of its low word], or -1 when unmapped */
  private entryOf(va: number): number {
    const table = this.leafTable(va, false);
    if (table === LARGE) return this.pdEntry(va, false);
    return table < 0 ? -1 : table + (Math.floor(va / PAGE_SIZE) % ENTRIES) * 8;
  }

  /** High word of the entry mapping va (NX is bit 31), 0 when unmapped: for tests and fault reports. */
  lookupHigh(va: number): number {
    const ea = this.entryOf(va);
    return ea < 0 ? 0 : this.mem.readU32(ea + 4);
  }

  /** Low word of the entry mapping va (flags; PS set for a 2 MiB page), 0 when unmapped. */
  lookup(va: number): number {
    const ea = this.entryOf(va);
    return ea < 0 ? 0 : this.mem.readU32(ea);
  }
}

/** Leaf flags for a guest protection: PROT_NONE maps nothing. */
export function pteFlags(prot: number): number {
  if ((prot & (PROT.READ | PROT.WRITE | PROT.EXEC)) === 0) return 0;
  return PTE.P | PTE.US | (prot & PROT.WRITE ? PTE.RW : 0);
}
