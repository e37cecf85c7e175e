// Maps a validated ELF executable into the guest address space the way Linux's binfmt_elf does.
import { ElfError, ET, PF, PT, type ElfImage, type Phdr } from './elf.js';
import { AddressSpace, type FileId } from '../km/addrspace.js';
import type { ExecutableFile } from './execfile.js';
import { PROT } from '../host/hostcalls.js';
import { MMAP_MIN_ADDR, MMAP_TOP, pageDown, pageUp } from '../vm/layout.js';

export interface LoadedImage {
  bias: number;
  entry: number;
  phdr: number;
  phnum: number;
  phent: number;
  brk: number;
  /** what /proc/self/stat reports as start_code, end_code, start_data, end_data (as Linux computes them) */
  startCode: number;
  endCode: number;
  startData: number;
  endData: number;
}

function segProt(flags: number): number {
  return (flags & PF.R ? PROT.READ : 0) | (flags & PF.W ? PROT.WRITE : 0) | (flags & PF.X ? PROT.EXEC : 0);
}

/**
 * Loads img. A position-independent image (ET_DYN) goes at `base`, or with base -1 at the highest
 * free range below the mmap area's top (where Linux puts an interpreter). `name` and `id` describe
 * the file in /proc/self/maps: the pages that hold file contents are listed as mappings of it (with
 * their file offsets), the zero-filled rest of a segment (bss) as anonymous.
 */
export function loadElf(as: AddressSpace, img: ElfImage, file: ExecutableFile, name: string, base: number, id?: FileId): LoadedImage {
  let bias = 0;
  if (img.type === ET.DYN) {
    const at = base >= 0 ? base : as.freeRangeBelowTop(pageUp(img.maxVaddr) - pageDown(img.minVaddr));
    if (at < 0) throw new ElfError('no room in the guest address space for the image');
    bias = at - pageDown(img.minVaddr);
  }
  const lo = pageDown(bias + img.minVaddr), hi = pageUp(bias + img.maxVaddr);
  if (lo < MMAP_MIN_ADDR || hi > MMAP_TOP) {
    throw new ElfError(`segments at 0x${lo.toString(16)}-0x${hi.toString(16)} lie outside the guest address space`);
  }
  // pages shared by two segments get the union of their protections
  const ranges: { seg: Phdr; start: number; end: number; prot: number; offset: number; fileEnd: number; contentsEnd: number }[] = [];
  let startCode = Infinity, endCode = 0, startData = 0, endData = 0;
  for (const p of img.loads) {
    if (p.memsz === 0) continue;
    const segStart = pageDown(bias + p.vaddr);
    let start = segStart;
    const end = pageUp(bias + p.vaddr + p.memsz), prot = segProt(p.flags);
    const fileEnd = p.filesz > 0 ? pageUp(bias + p.vaddr + p.filesz) : segStart;
    const prev = ranges[ranges.length - 1];
    if (prev && start < prev.end) { prev.prot |= prot; start = prev.end; }
    if (start < end) ranges.push({ seg: p, start, end, prot, offset: pageDown(p.offset) + (start - segStart), fileEnd, contentsEnd: bias + p.vaddr + p.filesz });
    if (p.flags & PF.X) { startCode = Math.min(startCode, bias + p.vaddr); endCode = Math.max(endCode, bias + p.vaddr + p.filesz); }
    startData = Math.max(startData, bias + p.vaddr);
    endData = Math.max(endData, bias + p.vaddr + p.filesz);
  }
  // a mapped file lends each segment's pages (from the host's page cache), as Linux maps them: what
  // follows a segment's contents in its last page is zeroed, and the bytes of a segment that lie
  // in the previous segment's last page are copied there (after that page was zeroed)
  const mapped = file.fd >= 0;
  for (const r of ranges) {
    const fe = Math.min(Math.max(r.fileEnd, r.start), r.end);
    let e = fe <= r.start ? 0 : mapped ? as.mapFixedFile(r.start, fe, r.prot, file.fd, r.offset, name, id)
      : as.mapFixedAnon(r.start, fe, r.prot, name, id && { id, offset: r.offset });
    if (e >= 0 && r.end > fe) e = as.mapFixedAnon(fe, r.end, r.prot, '');
    if (e < 0) throw new ElfError(`cannot map segment at 0x${r.start.toString(16)} (${-e})`);
    if (mapped && fe > r.contentsEnd && r.contentsEnd >= r.start) as.mem.fill(r.contentsEnd, fe - r.contentsEnd, 0);
  }
  for (const p of img.loads) {
    if (p.filesz === 0) continue;
    const from = bias + p.vaddr, to = from + p.filesz;
    // mapped: only what precedes the segment's own pages; read: all of it
    const own = mapped ? ranges.find((r) => r.seg === p) : undefined;
    const copyEnd = own ? Math.min(to, own.start) : to;
    if (copyEnd > from) as.mem.write(from, file.bytes.subarray(p.offset, p.offset + (copyEnd - from)));
  }
  as.finalizeProt(lo, hi);
  let phdr = 0;
  const pp = img.phdrs.find((p) => p.type === PT.PHDR);
  if (pp) phdr = bias + pp.vaddr;
  else {
    const seg = img.loads.find((p) => img.phoff >= p.offset && img.phoff + img.phnum * img.phentsize <= p.offset + p.filesz);
    if (seg) phdr = bias + seg.vaddr + (img.phoff - seg.offset);
  }
  if (startCode === Infinity) startCode = 0;
  return { bias, entry: bias + img.entry, phdr, phnum: img.phnum, phent: img.phentsize, brk: hi, startCode, endCode, startData, endData };
}
