// One KVM VM for one payload: the device, guest memory, page tables, the monitor area (descriptor
// tables, in-guest code, per-vCPU TSS/mailbox/doorbell) and vCPU creation.
import { join } from 'node:path';
import { Kvm, Vm, Vcpu } from '../kvm/kvm.js';
import { MSR } from '../kvm/abi.js';
import { GuestMemory } from './guestmem.js';
import { PageTables, PTE } from './pagetables.js';
import {
  CODE_SIZE, DOORBELL_GPA, IDT_OFFSET, IDT_SIZE, MAX_VCPUS, MONITOR_BASE, MONITOR_SIZE, PAGE_SIZE, SEL,
  VCPU_DOORBELL_OFFSET, VCPU_MAILBOX_OFFSET, VCPU_TSS_OFFSET, VCPU_RSP0_TOP, vcpuBlock, GDT_SIZE, MIN_PHYS_BITS,
  VCLOCK_VA, VDSO_VA, VDSO_SIZE,
} from './layout.js';
import { VClock } from './vclock.js';
import {
  CODE_VA, GDT_VA, SYSCALL_FMASK, configureSregs, cpuFeatures, writeGdt, writeIdt, writeTss, type CpuFeatures,
} from './cpu.js';
import { PROT, hostReadFile } from '../host/hostcalls.js';
import { errnoName } from '../host/errno.js';
import { latin1String } from '../util/bytes.js';
import { projectRoot } from '../host/native.js';

/** Symbols of the assembled in-guest code (guest/entry.S). */
export interface GuestImage {
  bin: Uint8Array;
  sym: Record<string, number>;
  /** the vDSO's memory image (guest/vdso.c) */
  vdso: Uint8Array;
}

export function loadGuestImage(): GuestImage {
  const dir = join(projectRoot, 'dist', 'guest');
  const read = (name: string): Uint8Array => {
    const b = hostReadFile(join(dir, name));
    if (typeof b === 'number') throw new Error(`cannot read the guest image ${join(dir, name)} (${errnoName(-b)}): run 'npm run build'`);
    return b;
  };
  const meta = JSON.parse(latin1String(read('entry.json'))) as { size: number; symbols: Record<string, number> };
  return { bin: read('entry.bin'), sym: meta.symbols, vdso: read('vdso.bin') };
}

export interface VcpuHandle {
  vcpu: Vcpu;
  id: number;
  /** guest address of this vCPU's mailbox (its GS base) */
  mailbox: number;
  /** zero-copy view of the mailbox page */
  mb: DataView;
  /** host address of the mailbox (the native fast path writes results there) */
  mbHost: number;
  mb32: Uint32Array;
  /** [blocked, own pending] of the thread on this vCPU, for the native fast path (ThreadSignals) */
  sigWords: BigUint64Array;
  /** [clear_child_tid, robust list head] of the thread on this vCPU, for the native fast path's
   * thread exit (Thread) */
  exitWords: BigUint64Array;
  /** the landing pad's words (guest/entry.S, MB_PROCPENDING..MB_INGUEST), indexed by PAD_WORD */
  padWords: BigUint64Array;
}

/** indices in VcpuHandle.padWords */
export const PAD_WORD = { procPending: 0, sigOld: 1, inGuest: 2 } as const;

/** the landing pad's private stack: its top in the mailbox page, and what it may use below it */
const PAD_STACK_TOP = PAGE_SIZE - 64, PAD_STACK_USE = 192;

export interface MailboxFields {
  rip: number; rsp: number; rflags: number; args: number[];
  rbx: number; rbp: number; r12: number; r13: number; r14: number; r15: number;
}

export class Machine {
  readonly kvm: Kvm;
  readonly vm: Vm;
  readonly mem: GuestMemory;
  readonly pt: PageTables;
  readonly cpu: CpuFeatures;
  readonly image: GuestImage;
  /** the clock page the vDSO reads */
  readonly vclock: VClock;
  private readonly vcpus: VcpuHandle[] = [];
  /** every vCPU made so far (reused ones once) */
  get allVcpus(): readonly VcpuHandle[] { return this.vcpus; }

  constructor(devicePath = '/dev/kvm') {
    this.kvm = Kvm.open(devicePath);
    this.vm = this.kvm.createVm();
    this.mem = new GuestMemory(this.vm);
    this.pt = new PageTables(this.mem);
    this.cpu = cpuFeatures(this.kvm.supportedCpuid());
    if (this.cpu.physBits < MIN_PHYS_BITS) {
      throw new Error(`the CPU's guest-physical address width is ${this.cpu.physBits} bits; km needs ${MIN_PHYS_BITS}`);
    }
    this.image = loadGuestImage();
    this.pt.nxEnabled = this.cpu.nx;
    this.setupMonitorArea();
    this.vclock = new VClock(this.mem.viewOf(VCLOCK_VA, PAGE_SIZE)!);
  }

  /** offsets in a vCPU mailbox of the caller's context the landing pad saves (guest/entry.S): with
   * the six arguments, every general register of the caller */
  get mailboxField(): MailboxFields {
    return this.mbFields ??= {
      rip: this.sym('MB_RIP'), rsp: this.sym('MB_RSP'), rflags: this.sym('MB_RFLAGS'),
      args: [0, 1, 2, 3, 4, 5].map((i) => this.sym(`MB_ARG${i}`)),
      rbx: this.sym('MB_RBX'), rbp: this.sym('MB_RBP'), r12: this.sym('MB_R12'), r13: this.sym('MB_R13'), r14: this.sym('MB_R14'), r15: this.sym('MB_R15'),
    };
  }
  private mbFields: MailboxFields | undefined;

  /** whether the XSAVE image fits in the mailbox between MB_XSAVE and the landing pad's stack */
  get xsaveFitsMailbox(): boolean {
    return this.cpu.xcr0 !== 0 && this.sym('MB_XSAVE') + this.cpu.xsaveSize <= PAD_STACK_TOP - PAD_STACK_USE;
  }

  /** The caller's FPU state as the landing pad saved it at this clone (4 KiB, KVM's XSAVE layout),
   * or null when it does not save it (see createVcpu). The buffer is reused by the next call: it
   * is meant for KVM_SET_XSAVE at once. */
  cloneXsave(h: VcpuHandle): Uint8Array | null {
    if (!this.xsaveFitsMailbox) return null;
    const img = this.xsaveScratch ??= new Uint8Array(4096);
    img.set(new Uint8Array(h.mb.buffer, h.mb.byteOffset + this.sym('MB_XSAVE'), this.cpu.xsaveSize));
    return img;
  }
  private xsaveScratch: Uint8Array | undefined;

  sym(name: string): number {
    const v = this.image.sym[name];
    if (v === undefined) throw new Error(`guest image: missing symbol ${name}`);
    return v;
  }

  private setupMonitorArea(): void {
    const { mem, pt } = this;
    const r = mem.mapAnon(MONITOR_BASE, MONITOR_SIZE, PROT.READ | PROT.WRITE, false, false);
    if (r < 0) throw new Error(`monitor area: host mmap failed (${-r})`);
    mem.ensureSlots(MONITOR_BASE, MONITOR_SIZE);
    // descriptor tables: supervisor-only; the guest code: user read+execute
    pt.map(GDT_VA, GDT_SIZE, PTE.RW, GDT_VA, false);
    pt.map(MONITOR_BASE + IDT_OFFSET, IDT_SIZE, PTE.RW, MONITOR_BASE + IDT_OFFSET, false);
    if (this.image.bin.length > CODE_SIZE) throw new Error('guest image larger than its area');
    mem.write(CODE_VA, this.image.bin);
    pt.map(CODE_VA, CODE_SIZE, PTE.US);
    writeGdt(mem);
    writeIdt(mem, CODE_VA + this.sym('exc_stubs'), this.sym('EXC_STUB_STRIDE'));
    // the vDSO: user read+execute; its clock page below it: user read-only
    if (this.image.vdso.length > VDSO_SIZE) throw new Error('vDSO image larger than its area');
    mem.write(VDSO_VA, this.image.vdso);
    pt.map(VDSO_VA, this.image.vdso.length, PTE.US);
    pt.map(VCLOCK_VA, PAGE_SIZE, PTE.US, VCLOCK_VA, false);
  }

  /** Creates vCPU `id` with its TSS, mailbox and doorbell, ready to run at CPL3. */
  createVcpu(id: number, fsBase = 0): VcpuHandle {
    if (id >= MAX_VCPUS) throw new Error(`vCPU ${id}: more than ${MAX_VCPUS} vCPUs`);
    const { mem, pt } = this;
    const block = vcpuBlock(id);
    mem.fill(block, VCPU_DOORBELL_OFFSET, 0);
    pt.map(block, VCPU_RSP0_TOP, PTE.RW, block, false);
    const mailbox = block + VCPU_MAILBOX_OFFSET;
    pt.map(mailbox, PAGE_SIZE, PTE.RW | PTE.US, mailbox, false);
    pt.map(block + VCPU_DOORBELL_OFFSET, PAGE_SIZE, PTE.RW | PTE.US, DOORBELL_GPA, false);
    writeTss(mem, id, block);
    // the landing pad's private stack is the top of the mailbox page
    mem.writeU64(mailbox + this.sym('MB_STACK'), mailbox + PAD_STACK_TOP);
    // the landing pad saves the FPU state at clone when it fits below its stack (guest/entry.S)
    mem.writeU64(mailbox + this.sym('MB_XSAVE_MASK'), this.xsaveFitsMailbox ? this.cpu.xcr0 : 0);

    const vcpu = this.vm.createVcpu(id);
    vcpu.setCpuid(this.cpu.cpuid);
    this.configure(vcpu, id, fsBase);
    if (id === 0 && !this.vclock.isEnabled) this.vclock.enable(vcpu);
    if (this.cpu.xcr0) vcpu.setXcr0(this.cpu.xcr0);
    vcpu.setMsrs([
      [MSR.STAR, SEL.KERNEL_DS * 2 ** 48 + SEL.KERNEL_CS * 2 ** 32],
      [MSR.LSTAR, CODE_VA + this.sym('syscall_entry')],
      [MSR.SFMASK, SYSCALL_FMASK],
    ]);
    const mbView = mem.viewOf(mailbox, PAGE_SIZE)!;
    const h: VcpuHandle = {
      vcpu, id, mailbox,
      mbHost: mem.hostAddr(mailbox),
      mb: new DataView(mbView.buffer, mbView.byteOffset, PAGE_SIZE),
      mb32: new Uint32Array(mbView.buffer, mbView.byteOffset, PAGE_SIZE / 4),
      sigWords: new BigUint64Array(mbView.buffer, mbView.byteOffset + this.sym('MB_SIGBLOCKED'), 2),
      exitWords: new BigUint64Array(mbView.buffer, mbView.byteOffset + this.sym('MB_CLEARTID'), 2),
      padWords: new BigUint64Array(mbView.buffer, mbView.byteOffset + this.sym('MB_PROCPENDING'), 3),
    };
    this.vcpus.push(h);
    return h;
  }

  /** Releases the VM, its vCPUs and guest memory (execve replaces the payload in this monitor).
   * No vCPU may be running. */
  close(): void {
    for (const h of this.vcpus) h.vcpu.close();
    this.vm.close();
    // the device stays open for the next VM (Kvm.open)
    this.mem.close();
  }

  /** Segment and control registers for CPL3 payload code, this vCPU's TSS and mailbox. */
  private configure(vcpu: Vcpu, id: number, fsBase: number): void {
    const block = vcpuBlock(id);
    const s = vcpu.getSregs();
    configureSregs(s, { cr3: this.pt.root, tss: block + VCPU_TSS_OFFSET, vcpuId: id, gsBase: block + VCPU_MAILBOX_OFFSET, fsBase, nx: this.cpu.nx });
    vcpu.setSregs(s);
    vcpu.rememberSregs(s);
  }

  /** Makes a vCPU whose thread ended ready for a new thread (the MMIO exit it stopped in is completed first). */
  resetVcpu(h: VcpuHandle, fsBase: number): void {
    h.vcpu.completePendingExit();
    // the same special registers as at its creation but FS (~60 us of cold encoding otherwise)
    if (!h.vcpu.restoreSregs(fsBase)) this.configure(h.vcpu, h.id, fsBase);
  }

  /** guest address of the exception halt (RIP after the hlt is this + 1) */
  get excHaltVa(): number { return CODE_VA + this.sym('exc_halt'); }
  get sigreturnTrampolineVa(): number { return CODE_VA + this.sym('sigreturn_trampoline'); }
}
