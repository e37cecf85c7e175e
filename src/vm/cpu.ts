// x86-64 CPU state for the guest: descriptor tables (GDT, IDT, per-vCPU TSS), control registers,
// MSRs, CPUID and XCR0. The payload runs at CPL3; CPL0 is entered only through exception gates.
import { GuestMemory } from './guestmem.js';
import {
  CODE_OFFSET, GDT_OFFSET, GDT_SIZE, IDT_OFFSET, IDT_SIZE, MONITOR_BASE, SEL, VCPU_RSP0_TOP, VCPU_TSS_OFFSET,
} from './layout.js';
import type { CpuidEntry, Sregs } from '../kvm/kvm.js';

export const GDT_VA = MONITOR_BASE + GDT_OFFSET;
export const IDT_VA = MONITOR_BASE + IDT_OFFSET;
export const CODE_VA = MONITOR_BASE + CODE_OFFSET;

export const CR0 = { PE: 1, MP: 2, ET: 0x10, NE: 0x20, WP: 0x10000, AM: 0x40000, PG: 0x80000000 } as const;
export const CR4 = { PAE: 1 << 5, OSFXSR: 1 << 9, OSXMMEXCPT: 1 << 10, OSXSAVE: 1 << 18 } as const;
export const EFER = { SCE: 1, LME: 0x100, LMA: 0x400, NXE: 0x800 } as const;
export const RFLAGS_FIXED = 0x2;
/** flags cleared on `syscall` entry when it runs at CPL0 (hardware KVM): TF, IF, DF */
export const SYSCALL_FMASK = 0x100 | 0x200 | 0x400;
/** XCR0 components the guest may enable: x87, SSE, AVX, AVX-512 opmask/ZMM_Hi256/Hi16_ZMM */
export const XCR0_WANTED = 0x1 | 0x2 | 0x4 | 0x20 | 0x40 | 0x80;

/** TSS (64-bit) layout: RSP0 at 4, I/O map base at 102 */
export const TSS_SIZE = 104;
const TSS_RSP0 = 4;
const TSS_IOMAP = 102;

const GDT_BASE_ENTRIES: ReadonlyArray<readonly [number, number]> = [
  // [low dword, high dword] of 8-byte descriptors: flat segments, base 0, limit 4 GiB
  [0, 0],
  [0x0000ffff, 0x00af9b00], // 0x08 kernel code, 64-bit
  [0x0000ffff, 0x00cf9300], // 0x10 kernel data
  [0x0000ffff, 0x00cff300], // 0x18 user data (DPL3)
  [0x0000ffff, 0x00affb00], // 0x20 user code, 64-bit (DPL3)
];

export function tssSelector(vcpuId: number): number { return SEL.TSS0 + vcpuId * 16; }

export function writeGdt(mem: GuestMemory): void {
  mem.fill(GDT_VA, GDT_SIZE, 0);
  GDT_BASE_ENTRIES.forEach(([lo, hi], i) => { mem.writeU32(GDT_VA + i * 8, lo); mem.writeU32(GDT_VA + i * 8 + 4, hi); });
}

/** Writes vCPU id's TSS (RSP0 = top of its ring-0 stack) and its 16-byte GDT descriptor. */
export function writeTss(mem: GuestMemory, vcpuId: number, block: number): number {
  const tss = block + VCPU_TSS_OFFSET;
  mem.fill(tss, TSS_SIZE, 0);
  mem.writeU32(tss + TSS_RSP0, (block + VCPU_RSP0_TOP) % 2 ** 32);
  mem.writeU32(tss + TSS_RSP0 + 4, Math.floor((block + VCPU_RSP0_TOP) / 2 ** 32));
  mem.writeU8(tss + TSS_IOMAP, TSS_SIZE & 0xff);
  mem.writeU8(tss + TSS_IOMAP + 1, TSS_SIZE >> 8);
  const d = GDT_VA + tssSelector(vcpuId);
  if (tssSelector(vcpuId) + 16 > GDT_SIZE) throw new Error('GDT full');
  const base = tss, limit = TSS_SIZE - 1;
  const b = new Uint8Array(16);
  b[0] = limit & 0xff; b[1] = (limit >> 8) & 0xff;
  b[2] = base & 0xff; b[3] = (base >>> 8) & 0xff; b[4] = (base >>> 16) & 0xff;
  b[5] = 0x89; // present, 64-bit TSS (available)
  b[6] = (limit >> 16) & 0x0f;
  b[7] = (base >>> 24) & 0xff;
  const hi = Math.floor(base / 2 ** 32);
  b[8] = hi & 0xff; b[9] = (hi >>> 8) & 0xff; b[10] = (hi >>> 16) & 0xff; b[11] = (hi >>> 24) & 0xff;
  mem.write(d, b);
  return tss;
}

/** IDT: vectors 0..31 go to the exception stubs; #BP and #OF may be raised from CPL3 (int3, into). */
export function writeIdt(mem: GuestMemory, stubsVa: number, stride: number): void {
  mem.fill(IDT_VA, IDT_SIZE, 0);
  for (let v = 0; v < 32; v++) {
    const off = stubsVa + v * stride;
    const b = new Uint8Array(16);
    b[0] = off & 0xff; b[1] = (off >>> 8) & 0xff;
    b[2] = SEL.KERNEL_CS; b[3] = 0;
    b[4] = 0;
    b[5] = v === 3 || v === 4 ? 0xee : 0x8e; // present interrupt gate, DPL3 or DPL0
    b[6] = (off >>> 16) & 0xff; b[7] = (off >>> 24) & 0xff;
    const hi = Math.floor(off / 2 ** 32);
    b[8] = hi & 0xff; b[9] = (hi >>> 8) & 0xff; b[10] = (hi >>> 16) & 0xff; b[11] = (hi >>> 24) & 0xff;
    mem.write(IDT_VA + v * 16, b);
  }
}

/** Sets the segment and control registers for a vCPU about to run payload code at CPL3. */
const FLAT_USER = { base: 0, limit: 0xffffffff, present: 1, dpl: 3, s: 1, g: 1 };
/** the payload's code and data/stack segments (CPL3, flat) */
export const USER_CS_SEGMENT = { ...FLAT_USER, selector: SEL.USER_CS, type: 11, l: 1, db: 0 };
export const USER_DS_SEGMENT = { ...FLAT_USER, selector: SEL.USER_DS, type: 3, l: 0, db: 1 };

export function configureSregs(s: Sregs, opts: { cr3: number; tss: number; vcpuId: number; gsBase: number; fsBase: number; nx: boolean }): void {
  s.setSegment('cs', USER_CS_SEGMENT);
  const data = USER_DS_SEGMENT;
  s.setSegment('ds', data); s.setSegment('es', data); s.setSegment('ss', data);
  s.setSegment('fs', { ...data, base: opts.fsBase });
  s.setSegment('gs', { ...data, base: opts.gsBase });
  s.setSegment('tr', { base: opts.tss, limit: TSS_SIZE - 1, selector: tssSelector(opts.vcpuId), type: 11, present: 1, dpl: 0, s: 0, l: 0, db: 0, g: 0 });
  s.setSegment('ldt', { base: 0, limit: 0, selector: 0, type: 2, present: 1, dpl: 0, s: 0, l: 0, db: 0, g: 0, unusable: 1 });
  s.set('gdt_base', GDT_VA); s.set('gdt_limit', GDT_SIZE - 1);
  s.set('idt_base', IDT_VA); s.set('idt_limit', IDT_SIZE - 1);
  s.set('cr0', (CR0.PE | CR0.MP | CR0.ET | CR0.NE | CR0.WP | CR0.AM | CR0.PG) >>> 0);
  s.set('cr3', opts.cr3);
  s.set('cr4', CR4.PAE | CR4.OSFXSR | CR4.OSXMMEXCPT | CR4.OSXSAVE);
  s.set('efer', EFER.SCE | EFER.LME | EFER.LMA | (opts.nx ? EFER.NXE : 0));
}

export interface CpuFeatures {
  cpuid: CpuidEntry[];
  xcr0: number;
  hwcap: number;
  /** size of the XSAVE area for the enabled XCR0 components */
  xsaveSize: number;
  /** guest-physical address width (CPUID 0x80000008 EAX[7:0]) */
  physBits: number;
  /** execute-disable page protection (CPUID 0x80000001 EDX bit 20) */
  nx: boolean;
}

export function cpuFeatures(cpuid: CpuidEntry[]): CpuFeatures {
  const leaf = (f: number, i = 0) => cpuid.find((e) => e.function === f && e.index === i);
  const l1 = leaf(1);
  const xsaveSupported = leaf(0xd)?.eax ?? 0x3;
  // PVM clears XSAVE in leaf 1 of its supported CPUID, yet the payload's CPUID is the host's own
  // (not intercepted at CPL3) and it uses AVX: leaf 0xD's components are the state there is
  const hasXsave = (l1 ? (l1.ecx & (1 << 26)) !== 0 : false) || (xsaveSupported & ~0x3) !== 0;
  const xcr0 = hasXsave ? (xsaveSupported & XCR0_WANTED) | 0x3 : 0;
  // size of the XSAVE area: sum of enabled components' offset+size (CPUID 0xD subleafs)
  let xsaveSize = 512 + 64;
  for (let c = 2; c < 32; c++) {
    if (!(xcr0 & (1 << c))) continue;
    const s = leaf(0xd, c);
    if (s) xsaveSize = Math.max(xsaveSize, s.ebx + s.eax);
  }
  const physBits = (leaf(0x80000008)?.eax ?? 36) & 0xff;
  const nx = ((leaf(0x80000001)?.edx ?? 0) & (1 << 20)) !== 0;
  return { cpuid, xcr0, hwcap: l1?.edx ?? 0, xsaveSize, physBits, nx };
}
