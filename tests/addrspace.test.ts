// The address space's Linux semantics (mmap family and brk), checked without KVM: guest memory is a
// host reservation and page tables are plain memory, so bookkeeping, page-table entries and the
// host backing can all be observed directly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GuestMemory } from '../src/vm/guestmem.js';
import { PageTables, PTE } from '../src/vm/pagetables.js';
import { AddressSpace, MREMAP } from '../src/km/addrspace.js';
import { MAP, PROT, MADV } from '../src/host/hostcalls.js';
import { E } from '../src/host/errno.js';
import { MMAP_TOP, MONITOR_BASE, PAGE_SIZE, GiB, MiB } from '../src/vm/layout.js';

const RW = PROT.READ | PROT.WRITE;
const ANON = MAP.PRIVATE | MAP.ANONYMOUS;

function space(limit = 8 * GiB) {
  const mem = new GuestMemory(null);
  const pt = new PageTables(mem);
  return { mem, pt, as: new AddressSpace(mem, pt, limit) };
}

test('mmap places anonymous memory top-down, zero-filled, with present user PTEs', () => {
  const { as, pt, mem } = space();
  const a = as.mmap(0, 3 * PAGE_SIZE, RW, ANON, -1, 0);
  assert.equal(a, MMAP_TOP - 3 * PAGE_SIZE);
  const b = as.mmap(0, PAGE_SIZE, PROT.READ, ANON, -1, 0);
  assert.equal(b, a - PAGE_SIZE);
  assert.equal(mem.readU32(a), 0);
  mem.writeU32(a + 8, 0xdeadbeef);
  assert.equal(mem.readU32(a + 8), 0xdeadbeef);
  assert.equal(pt.lookup(a) & (PTE.P | PTE.RW | PTE.US), PTE.P | PTE.RW | PTE.US);
  assert.equal(pt.lookup(b) & (PTE.P | PTE.RW), PTE.P, 'read-only mapping has no RW bit');
  assert.equal(as.committed, 4 * PAGE_SIZE);
});

test('mmap argument errors match Linux', () => {
  const { as } = space();
  assert.equal(as.mmap(0, 0, RW, ANON, -1, 0), -E.EINVAL, 'zero length');
  assert.equal(as.mmap(0, PAGE_SIZE, RW, MAP.ANONYMOUS, -1, 0), -E.EINVAL, 'neither shared nor private');
  assert.equal(as.mmap(0x10001, PAGE_SIZE, RW, ANON | MAP.FIXED, -1, 0), -E.EINVAL, 'unaligned MAP_FIXED');
  assert.equal(as.mmap(0x1000, PAGE_SIZE, RW, ANON | MAP.FIXED, -1, 0), -E.EPERM, 'below mmap_min_addr');
  assert.equal(as.mmap(MONITOR_BASE, PAGE_SIZE, RW, ANON | MAP.FIXED, -1, 0), -E.ENOMEM, 'monitor area');
  assert.equal(as.mmap(0, PAGE_SIZE, 0x80, ANON, -1, 0), -E.EINVAL, 'unknown prot bits');
});

test('hint, MAP_FIXED replacement and MAP_FIXED_NOREPLACE', () => {
  const { as, mem } = space();
  const hint = 0x7000_0000;
  assert.equal(as.mmap(hint, 4 * PAGE_SIZE, RW, ANON, -1, 0), hint, 'free hint is honoured');
  mem.writeU32(hint + PAGE_SIZE, 7);
  assert.notEqual(as.mmap(hint, PAGE_SIZE, RW, ANON, -1, 0), hint, 'busy hint is not');
  assert.equal(as.mmap(hint + PAGE_SIZE, PAGE_SIZE, RW, ANON | MAP.FIXED_NOREPLACE, -1, 0), -E.EEXIST);
  assert.equal(mem.readU32(hint + PAGE_SIZE), 7);
  assert.equal(as.mmap(hint + PAGE_SIZE, PAGE_SIZE, RW, ANON | MAP.FIXED, -1, 0), hint + PAGE_SIZE);
  assert.equal(mem.readU32(hint + PAGE_SIZE), 0, 'MAP_FIXED gives fresh memory');
  assert.equal(as.committed, 4 * PAGE_SIZE + PAGE_SIZE, 'replacement is not charged twice');
});

test('munmap of the middle splits a mapping and clears its PTEs', () => {
  const { as, pt } = space();
  const a = as.mmap(0, 5 * PAGE_SIZE, RW, ANON, -1, 0);
  assert.equal(as.munmap(a + PAGE_SIZE, 2 * PAGE_SIZE), 0);
  assert.equal(pt.lookup(a + PAGE_SIZE), 0);
  assert.equal(pt.lookup(a + 2 * PAGE_SIZE), 0);
  assert.ok(pt.lookup(a) & PTE.P);
  assert.ok(pt.lookup(a + 3 * PAGE_SIZE) & PTE.P);
  assert.equal(as.vmas.filter((v) => v.start >= a && v.end <= a + 5 * PAGE_SIZE).length, 2);
  assert.equal(as.munmap(a + 1, PAGE_SIZE), -E.EINVAL, 'unaligned');
  assert.equal(as.munmap(a + PAGE_SIZE, PAGE_SIZE), 0, 'unmapping a hole is fine');
  assert.ok(!as.canRead(a + PAGE_SIZE, 1));
  assert.ok(as.canRead(a, PAGE_SIZE));
});

test('mprotect changes PTEs, needs a fully mapped range, and PROT_NONE unmaps the pages', () => {
  const { as, pt } = space();
  const a = as.mmap(0, 3 * PAGE_SIZE, RW, ANON, -1, 0);
  assert.equal(as.mprotect(a + PAGE_SIZE, PAGE_SIZE, PROT.READ), 0);
  assert.equal(pt.lookup(a + PAGE_SIZE) & PTE.RW, 0);
  assert.ok(pt.lookup(a) & PTE.RW);
  assert.ok(!as.canWrite(a, 3 * PAGE_SIZE));
  assert.ok(as.canRead(a, 3 * PAGE_SIZE));
  assert.equal(as.mprotect(a + 2 * PAGE_SIZE, PAGE_SIZE, PROT.NONE), 0);
  assert.equal(pt.lookup(a + 2 * PAGE_SIZE), 0, 'guard page is not present');
  assert.equal(as.committed, 2 * PAGE_SIZE);
  assert.equal(as.mprotect(a, 8 * PAGE_SIZE, RW), -E.ENOMEM, 'range with holes');
  assert.equal(as.mprotect(a + 3, PAGE_SIZE, RW), -E.EINVAL);
});

test('mremap grows in place, shrinks, and moves contents', () => {
  const { as, mem } = space();
  const a = as.mmap(0, 2 * PAGE_SIZE, RW, ANON, -1, 0);
  mem.writeU32(a + PAGE_SIZE, 0x1234);
  // a is the lowest mapping, so the pages above it belong to nobody only if nothing is mapped there
  const b = as.mremap(a, 2 * PAGE_SIZE, 4 * PAGE_SIZE, MREMAP.MAYMOVE, 0);
  assert.ok(b > 0);
  assert.equal(mem.readU32(b + PAGE_SIZE), 0x1234, 'contents follow the move');
  assert.equal(mem.readU32(b + 3 * PAGE_SIZE), 0, 'grown part is zero');
  assert.equal(as.mremap(b, 4 * PAGE_SIZE, PAGE_SIZE, 0, 0), b, 'shrink in place');
  assert.ok(!as.canRead(b + PAGE_SIZE, 1));
  const fixed = 0x6000_0000;
  assert.equal(as.mremap(b, PAGE_SIZE, PAGE_SIZE, MREMAP.FIXED, fixed), -E.EINVAL, 'FIXED needs MAYMOVE');
  assert.equal(as.mremap(b, PAGE_SIZE, 2 * PAGE_SIZE, MREMAP.FIXED | MREMAP.MAYMOVE, fixed), fixed);
  assert.ok(!as.canRead(b, 1), 'old place is unmapped');
  assert.equal(as.mremap(0x5000_0000, PAGE_SIZE, 2 * PAGE_SIZE, MREMAP.MAYMOVE, 0), -E.EFAULT, 'unmapped source');
  assert.equal(as.mremap(fixed, 2 * PAGE_SIZE, 4 * PAGE_SIZE, 0, 0), fixed, 'grows in place into free pages');
  as.mmap(fixed + 5 * PAGE_SIZE, PAGE_SIZE, RW, ANON | MAP.FIXED, -1, 0);
  assert.equal(as.mremap(fixed, 4 * PAGE_SIZE, 8 * PAGE_SIZE, 0, 0), -E.ENOMEM, 'cannot grow over a mapping without MAYMOVE');
});

test('madvise(MADV_DONTNEED) gives back zero pages; unknown advice is EINVAL', () => {
  const { as, mem } = space();
  const a = as.mmap(0, 2 * PAGE_SIZE, RW, ANON, -1, 0);
  mem.writeU32(a, 99);
  assert.equal(as.madvise(a, 2 * PAGE_SIZE, MADV.DONTNEED), 0);
  assert.equal(mem.readU32(a), 0);
  assert.equal(as.madvise(a, PAGE_SIZE, 12345), -E.EINVAL);
  assert.equal(as.madvise(0x4000_0000, PAGE_SIZE, MADV.DONTNEED), -E.ENOMEM);
  assert.equal(as.madvise(a, PAGE_SIZE, MADV.WILLNEED), 0);
});

test('brk grows and shrinks the heap and refuses to overlap mappings', () => {
  const { as, mem } = space();
  as.initBrk(0x40_0000);
  assert.equal(as.brk(0), 0x40_0000);
  assert.equal(as.brk(0x40_0000 + 3 * PAGE_SIZE + 5), 0x40_0000 + 3 * PAGE_SIZE + 5);
  mem.writeU32(0x40_0000 + 3 * PAGE_SIZE, 42);
  assert.ok(as.canWrite(0x40_0000, 4 * PAGE_SIZE));
  assert.equal(as.brk(0x40_0000 + PAGE_SIZE), 0x40_0000 + PAGE_SIZE);
  assert.ok(!as.canRead(0x40_0000 + 2 * PAGE_SIZE, 1));
  as.mmap(0x40_0000 + 8 * PAGE_SIZE, PAGE_SIZE, RW, ANON | MAP.FIXED, -1, 0);
  assert.equal(as.brk(0x40_0000 + 16 * PAGE_SIZE), 0x40_0000 + PAGE_SIZE, 'blocked by a mapping: old break');
  assert.equal(as.brk(0x1000), 0x40_0000 + PAGE_SIZE, 'below the start: old break');
});

test('the memory limit turns into ENOMEM, and freed memory is usable again', () => {
  const { as } = space(16 * MiB);
  const a = as.mmap(0, 12 * MiB, RW, ANON, -1, 0);
  assert.ok(a > 0);
  assert.equal(as.mmap(0, 8 * MiB, RW, ANON, -1, 0), -E.ENOMEM);
  assert.ok(as.mmap(0, 64 * MiB, PROT.NONE, ANON, -1, 0) > 0, 'PROT_NONE reservations are free');
  assert.equal(as.munmap(a, 12 * MiB), 0);
  assert.ok(as.mmap(0, 8 * MiB, RW, ANON, -1, 0) > 0);
});

test('a 1 GiB sparse mapping is cheap to set up and release', () => {
  const { as, mem, pt } = space();
  const t0 = performance.now();
  const a = as.mmap(0, GiB, RW, ANON | MAP.NORESERVE, -1, 0);
  assert.ok(a > 0);
  for (let off = 0; off < GiB; off += 64 * MiB) mem.writeU32(a + off, off / PAGE_SIZE);
  assert.equal(mem.readU32(a + 128 * MiB), (128 * MiB) / PAGE_SIZE);
  assert.ok(pt.lookup(a + GiB - PAGE_SIZE) & PTE.P);
  assert.equal(as.munmap(a, GiB), 0);
  assert.equal(pt.lookup(a + GiB - PAGE_SIZE), 0);
  assert.ok(performance.now() - t0 < 5000);
});

test('guest pointers outside guest memory are never host pointers', async () => {
  const { userHostAddr } = await import('../src/vm/guestmem.js');
  const { mem } = space();
  assert.equal(userHostAddr(mem, -1, 1), -1);
  assert.equal(userHostAddr(mem, MONITOR_BASE - 4, 8), -1, 'crosses into the monitor area');
  assert.equal(userHostAddr(mem, 2 ** 60, 1), -1);
  assert.equal(userHostAddr(mem, 0x1000, 2 ** 53), -1, 'length wraps');
  assert.equal(userHostAddr(mem, 0x1000, 16), mem.base + 0x1000);
});

test('pages without PROT_EXEC carry the execute-disable bit when NX is on', async () => {
  const { PTE_HI_NX } = await import('../src/vm/pagetables.js');
  const { as, pt } = space();
  pt.nxEnabled = true;
  const a = as.mmap(0, 2 * PAGE_SIZE, RW, ANON, -1, 0);
  assert.ok(pt.lookupHigh(a) & PTE_HI_NX);
  assert.equal(as.mprotect(a, PAGE_SIZE, PROT.READ | PROT.EXEC), 0);
  assert.equal(pt.lookupHigh(a) & PTE_HI_NX, 0);
  assert.ok(pt.lookupHigh(a + PAGE_SIZE) & PTE_HI_NX);
});

test('whole aligned 2 MiB of a mapping is one large page, split when part of it changes', () => {
  const { as, pt, mem } = space();
  const a = as.mmap(0, 4 * MiB, RW, ANON, -1, 0);
  assert.equal(a % (2 * MiB), 0, 'memory of whole 2 MiB multiples starts on a 2 MiB boundary');
  assert.ok(pt.lookup(a) & PTE.PS, 'a 2 MiB page');
  assert.ok(pt.lookup(a + 2 * MiB + 5 * PAGE_SIZE) & PTE.PS);
  mem.writeU32(a + PAGE_SIZE, 7);
  mem.writeU32(a + 3 * PAGE_SIZE, 9);
  // one page in the middle made read-only, the next one unmapped: the first 2 MiB becomes a table
  assert.equal(as.mprotect(a + PAGE_SIZE, PAGE_SIZE, PROT.READ), 0);
  assert.equal(as.munmap(a + 2 * PAGE_SIZE, PAGE_SIZE), 0);
  assert.equal(pt.lookup(a) & PTE.PS, 0, 'split into 4 KiB entries');
  assert.equal(pt.lookup(a) & (PTE.P | PTE.RW | PTE.US), PTE.P | PTE.RW | PTE.US, 'the rest keeps its protection');
  assert.equal(pt.lookup(a + PAGE_SIZE) & (PTE.P | PTE.RW), PTE.P, 'read-only');
  assert.equal(pt.lookup(a + 2 * PAGE_SIZE), 0, 'unmapped');
  assert.equal(pt.lookup(a + 2 * MiB - PAGE_SIZE) & (PTE.P | PTE.RW), PTE.P | PTE.RW, 'the last page of the split 2 MiB');
  assert.ok(pt.lookup(a + 2 * MiB) & PTE.PS, 'the other 2 MiB stays one page');
  assert.equal(mem.readU32(a + PAGE_SIZE), 7, 'contents kept');
  assert.equal(mem.readU32(a + 3 * PAGE_SIZE), 9);
  // the physical addresses of the split entries are the pages' own (guest virtual == physical)
  for (const off of [0, PAGE_SIZE, 3 * PAGE_SIZE, 2 * MiB - PAGE_SIZE]) {
    assert.equal(pt.lookup(a + off) - (pt.lookup(a + off) % PAGE_SIZE), (a + off) % 2 ** 32);
  }
  assert.equal(as.munmap(a + 2 * MiB, 2 * MiB), 0);
  assert.equal(pt.lookup(a + 2 * MiB), 0, 'a whole large page unmapped');
});

test('memory of other sizes is not moved to a 2 MiB boundary', () => {
  const { as, pt } = space();
  const a = as.mmap(0, 8 * MiB + PAGE_SIZE, RW, ANON, -1, 0); // a thread stack and its guard page
  assert.equal(a, MMAP_TOP - 8 * MiB - PAGE_SIZE);
  assert.ok(pt.lookup(a) & PTE.P);
});
