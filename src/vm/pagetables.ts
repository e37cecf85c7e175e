// Guest page tables (4-level, 4 KiB leaves), kept by the monitor in a guest-physical pool the
// guest cannot address. Leaf entries carry the guest's protection, so a guest access to an
// unmapped or protected page raises #PF inside the guest, with CR2 and an error code, like Linux.
import { GuestMemory } from './guestmem.js';
import { PAGE_SIZE, PT_POOL_BASE, PT_POOL_SIZE, SLOT_CHUNK } from './layout.js';
import { PROT } from '../host/hostcalls.js';

export const PTE = { P: 1, RW: 2, US: 4, PWT: 8, PCD: 16, A: 32, D: 64, PS: 128, G: 256 } as const;
/** execute-disable, bit 63: bit 31 of an entry's high word (needs EFER.NXE) */
export const PTE_HI_NX = 0x80000000;
const TWO32 = 4294967296;
const ENTRIES = 512;

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
      const r = this.mem.mapAnon(this.poolMappedTo, SLOT_CHUNK, PROT.READ | PROT.WRITE, false);
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

  /** the leaf table (level 0) for va, created when `create` */
  private leafTable(va: number, create: boolean): number {
    let table = this.root;
    for (let level = 3; level >= 1; level--) {
      const ea = this.entryAddr(table, va, level);
      const lo = this.mem.readU32(ea);
      if (lo & PTE.P) {
        table = (lo - (lo % PAGE_SIZE)) + this.mem.readU32(ea + 4) * TWO32;
        continue;
      }
      if (!create) return -1;
      const page = this.allocPage();
      this.mem.writeU32(ea, (page % TWO32) + (PTE.P | PTE.RW | PTE.US));
      this.mem.writeU32(ea + 4, Math.floor(page / TWO32));
      table = page;
    }
    return table;
  }

  /** whether leaf entries may carry the execute-disable bit (EFER.NXE is set) */
  nxEnabled = false;

  /** Maps [va, va+len) to guest-physical [gpa, ...) with leaf flags (P is implied). */
  map(va: number, len: number, flags: number, gpa = va, exec = true): void {
    const nx = !exec && this.nxEnabled ? PTE_HI_NX : 0;
    for (let off = 0; off < len;) {
      const v = va + off;
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
      const table = this.leafTable(v, false);
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

  /** Leaf entry of va (low 32 bits), 0 when unmapped: for tests and fault reports. */
  lookupHigh(va: number): number {
    const table = this.leafTable(va, false);
    return table < 0 ? 0 : this.mem.readU32(table + (Math.floor(va / PAGE_SIZE) % ENTRIES) * 8 + 4);
  }

  lookup(va: number): number {
    const table = this.leafTable(va, false);
    if (table < 0) return 0;
    return this.mem.readU32(table + (Math.floor(va / PAGE_SIZE) % ENTRIES) * 8);
  }
}

/** Leaf flags for a guest protection: PROT_NONE maps nothing. */
export function pteFlags(prot: number): number {
  if ((prot & (PROT.READ | PROT.WRITE | PROT.EXEC)) === 0) return 0;
  return PTE.P | PTE.US | (prot & PROT.WRITE ? PTE.RW : 0);
}
