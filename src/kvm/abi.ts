// The KVM ABI (linux/kvm.h, x86-64): ioctl numbers, capabilities, exit reasons and struct layouts.
import { defineLayout } from '../util/struct.js';

const IOC_NONE = 0, IOC_WRITE = 1, IOC_READ = 2;
const KVMIO = 0xae;
function ioc(dir: number, nr: number, size: number): number {
  return ((dir << 30) >>> 0) + size * 0x10000 + KVMIO * 0x100 + nr;
}
const IO = (nr: number) => ioc(IOC_NONE, nr, 0);
const IOR = (nr: number, size: number) => ioc(IOC_READ, nr, size);
const IOW = (nr: number, size: number) => ioc(IOC_WRITE, nr, size);
const IOWR = (nr: number, size: number) => ioc(IOC_READ | IOC_WRITE, nr, size);

export const KVM_API_VERSION = 12;

export const IOCTL = {
  GET_API_VERSION: IO(0x00),
  CREATE_VM: IO(0x01),
  CHECK_EXTENSION: IO(0x03),
  GET_VCPU_MMAP_SIZE: IO(0x04),
  GET_SUPPORTED_CPUID: IOWR(0x05, 8),
  CREATE_VCPU: IO(0x41),
  SET_USER_MEMORY_REGION: IOW(0x46, 32),
  RUN: IO(0x80),
  GET_REGS: IOR(0x81, 144),
  SET_REGS: IOW(0x82, 144),
  GET_SREGS: IOR(0x83, 312),
  SET_SREGS: IOW(0x84, 312),
  GET_MSRS: IOWR(0x88, 8),
  SET_MSRS: IOW(0x89, 8),
  SET_CPUID2: IOW(0x90, 8),
  GET_XSAVE: IOR(0xa4, 4096),
  SET_XSAVE: IOW(0xa5, 4096),
  GET_XCRS: IOR(0xa6, 392),
  SET_XCRS: IOW(0xa7, 392),
  GET_TSC_KHZ: IO(0xa3),
  GET_STATS_FD: IO(0xce),
} as const;

export const CAP = {
  USER_MEMORY: 3, NR_VCPUS: 9, NR_MEMSLOTS: 10, MAX_VCPUS: 66, XSAVE: 55, XCRS: 56, SYNC_REGS: 74,
  IMMEDIATE_EXIT: 136,
} as const;

export const EXIT = {
  UNKNOWN: 0, EXCEPTION: 1, IO: 2, HYPERCALL: 3, DEBUG: 4, HLT: 5, MMIO: 6, IRQ_WINDOW_OPEN: 7,
  SHUTDOWN: 8, FAIL_ENTRY: 9, INTR: 10, INTERNAL_ERROR: 17, SYSTEM_EVENT: 24, MEMORY_FAULT: 39,
} as const;

export const EXIT_NAMES: Record<number, string> = Object.fromEntries(Object.entries(EXIT).map(([k, v]) => [v, k]));

export const MSR = {
  STAR: 0xc0000081, LSTAR: 0xc0000082, CSTAR: 0xc0000083, SFMASK: 0xc0000084,
  TSC: 0x10, FS_BASE: 0xc0000100, GS_BASE: 0xc0000101, KERNEL_GS_BASE: 0xc0000102,
} as const;

/** struct kvm_stats_header, at the start of a KVM_GET_STATS_FD file */
export const KvmStatsHeader = defineLayout(24, {
  flags: [0, 'u32'], name_size: [4, 'u32'], num_desc: [8, 'u32'], id_offset: [12, 'u32'], desc_offset: [16, 'u32'], data_offset: [20, 'u32'],
} as const);
/** struct kvm_stats_desc without its name (name_size bytes follow it; the exponent at 4 is not read) */
export const KvmStatsDesc = defineLayout(16, {
  flags: [0, 'u32'], size: [6, 'u16'], offset: [8, 'u32'], bucket_size: [12, 'u32'],
} as const);

/** struct kvm_run (the mmap'ed vCPU page), fields the monitor reads */
export const KvmRun = defineLayout(0x130, {
  request_interrupt_window: [0, 'u8'],
  immediate_exit: [1, 'u8'],
  exit_reason: [8, 'u32'],
  // union at 32
  mmio_phys_addr: [32, 'u64'],
  mmio_data: [40, 'u64'],
  mmio_len: [48, 'u32'],
  mmio_is_write: [52, 'u8'],
  io_direction: [32, 'u8'],
  io_size: [33, 'u8'],
  io_port: [34, 'u16'],
  io_count: [36, 'u32'],
  io_data_offset: [40, 'u64'],
  fail_entry_reason: [32, 'u64'],
  hardware_exit_reason: [32, 'u64'],
  internal_suberror: [32, 'u32'],
  memory_fault_flags: [32, 'u64'],
  memory_fault_gpa: [40, 'u64'],
  memory_fault_size: [48, 'u64'],
} as const);

export const REG_NAMES = ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rsp', 'rbp', 'r8', 'r9', 'r10', 'r11',
  'r12', 'r13', 'r14', 'r15', 'rip', 'rflags'] as const;
export type RegName = (typeof REG_NAMES)[number];

/** struct kvm_regs: 18 u64 in REG_NAMES order. Vcpu.getRegs/setRegs use only the offsets and move
 * every register as a bigint: a JS number holds 53 bits, and registers hold any 64-bit value. */
export const KvmRegs = defineLayout(144, Object.fromEntries(REG_NAMES.map((n, i) => [n, [i * 8, 'i64'] as const])) as Record<RegName, readonly [number, 'i64']>);

/** struct kvm_segment (24 bytes) */
export const KvmSegment = defineLayout(24, {
  base: [0, 'u64'], limit: [8, 'u32'], selector: [12, 'u16'], type: [14, 'u8'], present: [15, 'u8'],
  dpl: [16, 'u8'], db: [17, 'u8'], s: [18, 'u8'], l: [19, 'u8'], g: [20, 'u8'], avl: [21, 'u8'],
  unusable: [22, 'u8'],
} as const);

export const SEGMENT_NAMES = ['cs', 'ds', 'es', 'fs', 'gs', 'ss', 'tr', 'ldt'] as const;
export type SegmentName = (typeof SEGMENT_NAMES)[number];

/** struct kvm_sregs: 8 segments, gdt/idt dtables, control registers */
export const KvmSregs = defineLayout(312, {
  gdt_base: [192, 'u64'], gdt_limit: [200, 'u16'],
  idt_base: [208, 'u64'], idt_limit: [216, 'u16'],
  cr0: [224, 'u64'], cr2: [232, 'u64'], cr3: [240, 'u64'], cr4: [248, 'u64'], cr8: [256, 'u64'],
  efer: [264, 'u64'], apic_base: [272, 'u64'],
} as const);
export const SREGS_SEGMENT_OFFSET: Record<SegmentName, number> = Object.fromEntries(
  SEGMENT_NAMES.map((n, i) => [n, i * KvmSegment.size])) as Record<SegmentName, number>;

export const KvmUserspaceMemoryRegion = defineLayout(32, {
  slot: [0, 'u32'], flags: [4, 'u32'], guest_phys_addr: [8, 'u64'], memory_size: [16, 'u64'],
  userspace_addr: [24, 'u64'],
} as const);

/** struct kvm_cpuid2 header + entries of struct kvm_cpuid_entry2 (40 bytes) */
export const KvmCpuid2Header = defineLayout(8, { nent: [0, 'u32'] } as const);
export const KvmCpuidEntry2 = defineLayout(40, {
  function: [0, 'u32'], index: [4, 'u32'], flags: [8, 'u32'], eax: [12, 'u32'], ebx: [16, 'u32'],
  ecx: [20, 'u32'], edx: [24, 'u32'],
} as const);

/** struct kvm_msrs header + struct kvm_msr_entry (16 bytes) */
export const KvmMsrsHeader = defineLayout(8, { nmsrs: [0, 'u32'] } as const);
export const KvmMsrEntry = defineLayout(16, { index: [0, 'u32'], data: [8, 'u64'] } as const);

/** struct kvm_xcrs: nr_xcrs, flags, xcrs[16] of {xcr u32, reserved u32, value u64}, padding */
export const KvmXcrs = defineLayout(392, {
  nr_xcrs: [0, 'u32'], flags: [4, 'u32'], xcr0_index: [8, 'u32'], xcr0_value: [16, 'u64'],
} as const);
