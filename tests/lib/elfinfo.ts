// A small, independent ELF64 header reader for the tests (an oracle separate from src/elf): used to
// check what the toolchains produced and to find the fields the mutation tests corrupt.

export const EHDR_SIZE = 64;
export const PHDR_SIZE = 56;
export const PT_LOAD = 1;
export const PT_INTERP = 3;
export const ET_EXEC = 2;
export const ET_DYN = 3;

/** Byte offsets of ELF64 header fields. */
export const EHDR = {
  e_type: 16, e_machine: 18, e_version: 20, e_entry: 24, e_phoff: 32, e_shoff: 40, e_flags: 48,
  e_ehsize: 52, e_phentsize: 54, e_phnum: 56,
} as const;

/** Byte offsets of ELF64 program header fields. */
export const PHDR = { p_type: 0, p_flags: 4, p_offset: 8, p_vaddr: 16, p_paddr: 24, p_filesz: 32, p_memsz: 40, p_align: 48 } as const;

export interface ElfInfo {
  elfClass: number;
  type: number;
  machine: number;
  entry: bigint;
  phoff: number;
  phnum: number;
  phentsize: number;
  phdrs: { type: number; flags: number; offset: bigint; vaddr: bigint; filesz: bigint; memsz: bigint }[];
  interp: boolean;
}

/** Reads a well-formed ELF64 little-endian header and program header table; throws otherwise. */
export function readElfInfo(data: Uint8Array): ElfInfo {
  if (data.length < EHDR_SIZE || data[0] !== 0x7f || data[1] !== 0x45 || data[2] !== 0x4c || data[3] !== 0x46) {
    throw new Error('not an ELF file');
  }
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const phoff = Number(dv.getBigUint64(EHDR.e_phoff, true));
  const phnum = dv.getUint16(EHDR.e_phnum, true);
  const phentsize = dv.getUint16(EHDR.e_phentsize, true);
  if (data[4] !== 2 || phentsize !== PHDR_SIZE || phoff + phnum * PHDR_SIZE > data.length) throw new Error('not a well-formed ELF64 file');
  const phdrs: ElfInfo['phdrs'] = [];
  for (let i = 0; i < phnum; i++) {
    const b = phoff + i * PHDR_SIZE;
    phdrs.push({
      type: dv.getUint32(b + PHDR.p_type, true), flags: dv.getUint32(b + PHDR.p_flags, true),
      offset: dv.getBigUint64(b + PHDR.p_offset, true), vaddr: dv.getBigUint64(b + PHDR.p_vaddr, true),
      filesz: dv.getBigUint64(b + PHDR.p_filesz, true), memsz: dv.getBigUint64(b + PHDR.p_memsz, true),
    });
  }
  return {
    elfClass: data[4]!, type: dv.getUint16(EHDR.e_type, true), machine: dv.getUint16(EHDR.e_machine, true),
    entry: dv.getBigUint64(EHDR.e_entry, true), phoff, phnum, phentsize, phdrs,
    interp: phdrs.some((p) => p.type === PT_INTERP),
  };
}
