// ELF64 parsing and validation. Everything the loader relies on is checked here, so a corrupt or
// foreign file is refused with one precise reason before any guest memory is touched.
import { defineLayout, readField, type Layout } from '../util/struct.js';

export const Elf64Ehdr = defineLayout(64, {
  ei_class: [4, 'u8'], ei_data: [5, 'u8'], ei_version: [6, 'u8'], ei_osabi: [7, 'u8'],
  e_type: [16, 'u16'], e_machine: [18, 'u16'], e_version: [20, 'u32'], e_entry: [24, 'u64'],
  e_phoff: [32, 'u64'], e_shoff: [40, 'u64'], e_flags: [48, 'u32'], e_ehsize: [52, 'u16'],
  e_phentsize: [54, 'u16'], e_phnum: [56, 'u16'], e_shentsize: [58, 'u16'], e_shnum: [60, 'u16'],
  e_shstrndx: [62, 'u16'],
} as const);

export const Elf64Phdr = defineLayout(56, {
  p_type: [0, 'u32'], p_flags: [4, 'u32'], p_offset: [8, 'u64'], p_vaddr: [16, 'u64'],
  p_paddr: [24, 'u64'], p_filesz: [32, 'u64'], p_memsz: [40, 'u64'], p_align: [48, 'u64'],
} as const);

export const ET = { NONE: 0, REL: 1, EXEC: 2, DYN: 3, CORE: 4 } as const;
export const PT = { NULL: 0, LOAD: 1, DYNAMIC: 2, INTERP: 3, NOTE: 4, SHLIB: 5, PHDR: 6, TLS: 7,
  GNU_EH_FRAME: 0x6474e550, GNU_STACK: 0x6474e551, GNU_RELRO: 0x6474e552, GNU_PROPERTY: 0x6474e553 } as const;
export const PF = { X: 1, W: 2, R: 4 } as const;
export const EM_X86_64 = 62;

const MACHINES: Record<number, string> = {
  2: 'SPARC', 3: 'i386', 8: 'MIPS', 20: 'PowerPC', 21: 'PowerPC64', 22: 'S/390', 40: 'ARM', 43: 'SPARC64',
  50: 'IA-64', 183: 'AArch64', 243: 'RISC-V', 258: 'LoongArch',
};

export interface Phdr { type: number; flags: number; offset: number; vaddr: number; filesz: number; memsz: number; align: number }

export interface ElfImage {
  type: number;
  entry: number;
  phoff: number;
  phnum: number;
  phentsize: number;
  phdrs: Phdr[];
  loads: Phdr[];
  interp: string | null;
  /** lowest and highest (exclusive) virtual address of the PT_LOAD segments */
  minVaddr: number;
  maxVaddr: number;
}

/** A file km cannot run, with the reason in words. */
export class ElfError extends Error {}

const PAGE = 4096;
/** Bound on the address range an executable may span (what fits below the guest's mmap area). */
export const MAX_IMAGE_SPAN = 256 * 1024 ** 3;

function field<L extends Layout>(layout: L, dv: DataView, base: number, name: keyof L['fields'] & string): number {
  const [off, kind] = layout.fields[name]!;
  return readField(dv, base + off, kind);
}

/** Parses and validates an ELF executable; `data` is the whole file. */
export function parseElf(data: Uint8Array): ElfImage {
  if (data.length < 4 || data[0] !== 0x7f || data[1] !== 0x45 || data[2] !== 0x4c || data[3] !== 0x46) {
    throw new ElfError('not an ELF executable (bad magic)');
  }
  if (data.length < Elf64Ehdr.size) {
    if (data.length > 4 && data[4] === 1) throw new ElfError('32-bit ELF executables are not supported (x86-64 only)');
    throw new ElfError(`truncated ELF header (${data.length} bytes, need ${Elf64Ehdr.size})`);
  }
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const h = (n: keyof typeof Elf64Ehdr.fields) => field(Elf64Ehdr, dv, 0, n);
  const cls = h('ei_class');
  if (cls === 1) throw new ElfError('32-bit ELF executables are not supported (x86-64 only)');
  if (cls !== 2) throw new ElfError(`corrupt ELF header: unknown class ${cls}`);
  if (h('ei_data') !== 1) throw new ElfError('big-endian ELF is not supported (x86-64 only)');
  if (h('ei_version') !== 1) throw new ElfError(`corrupt ELF header: unknown ELF version ${h('ei_version')}`);
  const machine = h('e_machine');
  if (machine !== EM_X86_64) {
    throw new ElfError(`wrong architecture: ELF for ${MACHINES[machine] ?? `machine ${machine}`}, km runs x86-64 only`);
  }
  const type = h('e_type');
  if (type === ET.REL) throw new ElfError('not an executable: relocatable object (ET_REL)');
  if (type === ET.CORE) throw new ElfError('not an executable: core file (ET_CORE)');
  if (type !== ET.EXEC && type !== ET.DYN) throw new ElfError(`not an executable: ELF type ${type}`);
  const phoff = h('e_phoff'), phnum = h('e_phnum'), phentsize = h('e_phentsize');
  if (phnum === 0) throw new ElfError('corrupt ELF header: no program headers');
  if (phentsize !== Elf64Phdr.size) throw new ElfError(`corrupt ELF header: program header size ${phentsize}, expected ${Elf64Phdr.size}`);
  if (phnum > 4096) throw new ElfError(`corrupt ELF header: ${phnum} program headers`);
  if (phoff < Elf64Ehdr.size || phoff + phnum * phentsize > data.length) {
    throw new ElfError(`truncated or corrupt program headers (offset ${phoff}, ${phnum} entries, file ${data.length} bytes)`);
  }
  const phdrs: Phdr[] = [];
  for (let i = 0; i < phnum; i++) {
    const b = phoff + i * phentsize;
    const p = (n: keyof typeof Elf64Phdr.fields) => field(Elf64Phdr, dv, b, n);
    phdrs.push({ type: p('p_type'), flags: p('p_flags'), offset: p('p_offset'), vaddr: p('p_vaddr'), filesz: p('p_filesz'), memsz: p('p_memsz'), align: p('p_align') });
  }
  const loads = phdrs.filter((p) => p.type === PT.LOAD);
  if (loads.length === 0) throw new ElfError('corrupt ELF: no loadable segments');
  let minVaddr = Infinity, maxVaddr = 0, prevEnd = -1;
  for (const [i, p] of loads.entries()) {
    const where = `segment ${i}`;
    if (!Number.isSafeInteger(p.offset) || !Number.isSafeInteger(p.vaddr) || !Number.isSafeInteger(p.memsz) || !Number.isSafeInteger(p.filesz)) {
      throw new ElfError(`corrupt ELF: ${where} has out-of-range fields`);
    }
    if (p.filesz > p.memsz) throw new ElfError(`corrupt ELF: ${where} file size ${p.filesz} exceeds memory size ${p.memsz}`);
    if (p.offset + p.filesz > data.length) throw new ElfError(`truncated ELF: ${where} extends past the end of the file`);
    if (p.vaddr % PAGE !== p.offset % PAGE) throw new ElfError(`corrupt ELF: ${where} address and offset are not congruent modulo the page size`);
    if (p.memsz === 0) continue;
    if (p.vaddr < prevEnd) throw new ElfError(`corrupt ELF: ${where} overlaps or precedes the previous segment`);
    prevEnd = p.vaddr + p.memsz;
    minVaddr = Math.min(minVaddr, p.vaddr);
    maxVaddr = Math.max(maxVaddr, p.vaddr + p.memsz);
  }
  if (maxVaddr === 0) throw new ElfError('corrupt ELF: loadable segments are empty');
  if (maxVaddr - minVaddr > MAX_IMAGE_SPAN) throw new ElfError('corrupt ELF: segments span too much address space');
  let interp: string | null = null;
  const ip = phdrs.find((p) => p.type === PT.INTERP);
  if (ip) {
    if (ip.offset + ip.filesz > data.length || ip.filesz === 0 || ip.filesz > 4096) throw new ElfError('corrupt ELF: bad PT_INTERP');
    const raw = data.subarray(ip.offset, ip.offset + ip.filesz);
    const nul = raw.indexOf(0);
    interp = Buffer.from(nul >= 0 ? raw.subarray(0, nul) : raw).toString('latin1');
  }
  const entry = h('e_entry');
  const inExec = loads.some((p) => (p.flags & PF.X) && entry >= p.vaddr && entry < p.vaddr + p.memsz);
  if (!inExec) throw new ElfError(`corrupt ELF: entry point 0x${entry.toString(16)} is not in an executable segment`);
  return { type, entry, phoff, phnum, phentsize, phdrs, loads, interp, minVaddr, maxVaddr };
}
