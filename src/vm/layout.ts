// The guest's address space, in one place.
//
// Guest virtual == guest physical == offset into one host reservation for everything the guest can
// address, so a checked guest pointer becomes a host pointer by one addition. Page tables live in a
// guest-physical pool above the guest's address space: the CPU walks them, the guest cannot see them.
//
//   0 .. 64 KiB                      never mapped (NULL guard, like vm.mmap_min_addr)
//   ELF (ET_EXEC at its own address; static-PIE at PIE_BASE), then brk
//   ... mmap area, allocated top-down from MMAP_TOP ...
//   [STACK_TOP - STACK_SIZE, STACK_TOP)  main thread stack
//   [MONITOR_BASE, GUEST_TOP)            monitor area: GDT, IDT, guest code, per-vCPU TSS/stack/mailbox
//   [PT_POOL_BASE, + PT_POOL_SIZE)       page-table pages (guest-physical only)
//   DOORBELL_GPA                          no memory: a write there exits to the monitor (MMIO)

export const PAGE_SIZE = 4096;
export const PAGE_SHIFT = 12;
/** a 2 MiB page: what one page-directory entry maps, and a transparent huge page on the host */
export const LARGE_PAGE = 2 * 1024 * 1024;
export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

/** Everything the guest can address lies below this. Guest-physical addresses equal virtual ones,
 * so the whole layout (with the page-table pool and the doorbell) must fit the CPU's physical
 * address width: 128 GiB + 4 GiB fits 39 bits, the smallest width in common use. */
export const GUEST_TOP = 128 * GiB;
export const MMAP_MIN_ADDR = 64 * KiB;

export const MONITOR_SIZE = 16 * MiB;
export const MONITOR_BASE = GUEST_TOP - MONITOR_SIZE;
/** monitor area offsets */
export const GDT_OFFSET = 0;
export const GDT_SIZE = 64 * KiB;
export const IDT_OFFSET = GDT_SIZE;
export const IDT_SIZE = 4 * KiB;
export const CODE_OFFSET = IDT_OFFSET + IDT_SIZE;
export const CODE_SIZE = 16 * KiB;
/** the vDSO (guest/vdso.c) with its clock page in the page below it (the vDSO finds it there) */
export const VCLOCK_OFFSET = 96 * KiB;
export const VDSO_OFFSET = VCLOCK_OFFSET + 4 * KiB;
export const VDSO_SIZE = 16 * KiB;
export const VCLOCK_VA = MONITOR_BASE + VCLOCK_OFFSET;
export const VDSO_VA = MONITOR_BASE + VDSO_OFFSET;
export const VCPU_AREA_OFFSET = 128 * KiB;
/** per vCPU: [TSS + ring-0 exception stack: 8 KiB supervisor][mailbox: 4 KiB user][doorbell: 4 KiB] */
export const VCPU_BLOCK_SIZE = 16 * KiB;
export const VCPU_TSS_OFFSET = 0;
export const VCPU_RSP0_TOP = 8 * KiB;
export const VCPU_MAILBOX_OFFSET = 8 * KiB;
export const VCPU_DOORBELL_OFFSET = 12 * KiB;
export const MAX_VCPUS = Math.floor((MONITOR_SIZE - VCPU_AREA_OFFSET) / VCPU_BLOCK_SIZE);

export const STACK_SIZE = 8 * MiB;
export const STACK_TOP = MONITOR_BASE - 1 * MiB;
export const MMAP_TOP = STACK_TOP - STACK_SIZE - 128 * MiB;
/** where a static-PIE executable is placed (Linux uses 2/3 of the address space) */
export const PIE_BASE = 0x5_5555_4000;

export const PT_POOL_BASE = GUEST_TOP;
export const PT_POOL_SIZE = 4 * GiB;
export const DOORBELL_GPA = PT_POOL_BASE + PT_POOL_SIZE;
/** host reservation covers guest memory and the page-table pool */
export const RESERVATION_SIZE = PT_POOL_BASE + PT_POOL_SIZE;
/** lowest guest-physical width that holds the layout, doorbell included */
export const MIN_PHYS_BITS = Math.ceil(Math.log2(DOORBELL_GPA + PAGE_SIZE));

/** KVM memory slots are registered in chunks of this size as the guest first uses them */
export const SLOT_CHUNK = 64 * MiB;
/** host views (ArrayBuffers) over guest memory are windows of this size. Small, because V8 counts
 * every ArrayBuffer's length as external memory and answers its growth with full GCs: 1 GiB
 * windows cost a km start-up ~10 ms of GC for address space that is mostly unbacked. */
export const VIEW_WINDOW = 2 * MiB;

/** GDT selectors (Linux-compatible ordering for STAR/SYSRET) */
export const SEL = {
  KERNEL_CS: 0x08, KERNEL_DS: 0x10, USER_DS: 0x18 | 3, USER_CS: 0x20 | 3, TSS0: 0x28,
} as const;

export function pageDown(x: number): number { return x - (x % PAGE_SIZE); }
export function pageUp(x: number): number { const r = x % PAGE_SIZE; return r === 0 ? x : x + PAGE_SIZE - r; }
export function vcpuBlock(id: number): number { return MONITOR_BASE + VCPU_AREA_OFFSET + id * VCPU_BLOCK_SIZE; }
