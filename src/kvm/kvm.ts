// Typed wrappers over the KVM ioctls: the device, a VM and its vCPUs. Each ioctl is wrapped once and
// a failure says which ioctl failed and why.
import { native, sys } from '../host/native.js';
import { SYS } from '../host/sysno.js';
import { E } from '../host/errno.js';
import { HostError, hostIoctl, hostOpen, hostClose, hostMmap, O, PROT, MAP } from '../host/hostcalls.js';
import {
  IOCTL, CAP, KVM_API_VERSION, KvmRun, KvmRegs, KvmSregs, KvmSegment, SREGS_SEGMENT_OFFSET,
  KvmUserspaceMemoryRegion, KvmCpuid2Header, KvmCpuidEntry2, KvmMsrsHeader, KvmMsrEntry, KvmXcrs,
  REG_NAMES, type RegName, type SegmentName,
} from './abi.js';
import { StructView, readField, writeField } from '../util/struct.js';

export class KvmError extends HostError {}

function ioctlOrThrow(fd: number, name: string, req: number, arg: number | ArrayBufferView = 0): number {
  let r = hostIoctl(fd, req, arg);
  // a signal (a profiler's, a terminal's) may interrupt set-up ioctls: retry them as QEMU does
  for (let i = 0; i < 100 && r === -E.EINTR; i++) r = hostIoctl(fd, req, arg);
  if (r < 0) throw new KvmError(`ioctl(${name})`, -r);
  return r;
}

export interface CpuidEntry { function: number; index: number; flags: number; eax: number; ebx: number; ecx: number; edx: number }

const DEFAULT_DEVICE = '/dev/kvm';

/** The device this process opened, kept for every VM it makes (execve makes a new one): a payload
 * that gave up root with setuid could not open /dev/kvm again. */
let device: Kvm | null = null;
/** a device descriptor inherited from a forking parent (Kvm.inherit), for when the child cannot
 * open the device itself */
let inherited: { fd: number; path: string } | null = null;

/** The /dev/kvm device: capability checks and VM creation. */
export class Kvm {
  readonly vcpuMmapSize: number;
  /** the VM and its vCPU 0 the addon made ahead (see open), for the first createVm */
  private prewarmed: { vm: number; vcpu0: number } | null = null;

  private constructor(readonly fd: number, readonly path: string, known?: { api: number; mmapSize: number }) {
    const v = known?.api ?? ioctlOrThrow(fd, 'KVM_GET_API_VERSION', IOCTL.GET_API_VERSION);
    if (v !== KVM_API_VERSION) throw new KvmError('KVM_GET_API_VERSION', E.EINVAL, `version ${v}, need ${KVM_API_VERSION}`);
    this.vcpuMmapSize = known?.mmapSize ?? ioctlOrThrow(fd, 'KVM_GET_VCPU_MMAP_SIZE', IOCTL.GET_VCPU_MMAP_SIZE);
  }

  /**
   * Opens the device; throws HostError('open <path>') with the errno on failure. The addon opens
   * the default device and makes a VM with vCPU 0 on a helper thread while node loads the monitor
   * (native/km_native.c, prewarm): the first open takes those when they are sound, and closes them
   * otherwise (another device, or a failure the plain path below then reports itself).
   */
  static open(path = DEFAULT_DEVICE): Kvm {
    if (device?.path === path) return device;
    device = Kvm.openNew(path);
    return device;
  }

  /** A descriptor of `path` a forking parent passed down (see open). */
  static inherit(fd: number, path: string): void { inherited = { fd, path }; }

  private static openNew(path: string): Kvm {
    const from = inherited;
    inherited = null;
    const pre = native.takePrewarmed();
    if (pre) {
      const [kvm, api, mmapSize, vm, vcpu0] = pre;
      if (path === DEFAULT_DEVICE && kvm >= 0 && api === KVM_API_VERSION && mmapSize > 0 && vm >= 0 && vcpu0 >= 0) {
        const k = new Kvm(kvm, path, { api, mmapSize });
        k.prewarmed = { vm, vcpu0 };
        if (from) hostClose(from.fd);
        return k;
      }
      for (const fd of [vcpu0, vm, kvm]) if (fd >= 0) hostClose(fd);
    }
    const fd = hostOpen(path, O.RDWR | O.CLOEXEC);
    if (fd >= 0) {
      if (from) hostClose(from.fd);
      return new Kvm(fd, path);
    }
    // the parent's descriptor of the same device serves a child that may not open it (setuid)
    if (from?.path === path) return new Kvm(from.fd, path);
    throw new HostError(`open ${path}`, -fd);
  }

  checkExtension(cap: number): number {
    const r = hostIoctl(this.fd, IOCTL.CHECK_EXTENSION, cap);
    return r < 0 ? 0 : r;
  }

  supportedCpuid(): CpuidEntry[] {
    for (let n = 128; n <= 4096; n *= 2) {
      const buf = new DataView(new ArrayBuffer(KvmCpuid2Header.size + n * KvmCpuidEntry2.size));
      buf.setUint32(0, n, true);
      const r = hostIoctl(this.fd, IOCTL.GET_SUPPORTED_CPUID, buf);
      if (r === -E.E2BIG) continue;
      if (r < 0) throw new KvmError('ioctl(KVM_GET_SUPPORTED_CPUID)', -r);
      const nent = buf.getUint32(0, true);
      const out: CpuidEntry[] = [];
      for (let i = 0; i < nent; i++) {
        const base = KvmCpuid2Header.size + i * KvmCpuidEntry2.size;
        const f = KvmCpuidEntry2.fields;
        const g = (k: keyof typeof f) => readField(buf, base + f[k][0], f[k][1]);
        out.push({ function: g('function'), index: g('index'), flags: g('flags'), eax: g('eax'), ebx: g('ebx'), ecx: g('ecx'), edx: g('edx') });
      }
      return out;
    }
    throw new KvmError('ioctl(KVM_GET_SUPPORTED_CPUID)', E.E2BIG);
  }

  createVm(): Vm {
    const pre = this.prewarmed;
    this.prewarmed = null;
    if (pre) return new Vm(this, pre.vm, pre.vcpu0);
    const fd = ioctlOrThrow(this.fd, 'KVM_CREATE_VM', IOCTL.CREATE_VM, 0);
    return new Vm(this, fd);
  }

  // no close: the device stays open for the life of the process (see `device`)
}

export class Vm {
  /** vcpu0: a vCPU 0 made ahead with the VM (Kvm.open), for the first createVcpu(0); -1: none */
  constructor(readonly kvm: Kvm, readonly fd: number, private vcpu0 = -1) {}
  private readonly region = new StructView(KvmUserspaceMemoryRegion);

  /** KVM_SET_USER_MEMORY_REGION; size 0 deletes the slot */
  setMemoryRegion(slot: number, gpa: number, size: number, hostAddr: number): void {
    const r = this.region;
    r.set('slot', slot); r.set('flags', 0); r.set('guest_phys_addr', gpa); r.set('memory_size', size);
    r.set('userspace_addr', hostAddr);
    ioctlOrThrow(this.fd, 'KVM_SET_USER_MEMORY_REGION', IOCTL.SET_USER_MEMORY_REGION, r.dv);
  }

  createVcpu(id: number): Vcpu {
    if (id === 0 && this.vcpu0 >= 0) {
      const fd = this.vcpu0;
      this.vcpu0 = -1;
      return new Vcpu(this, id, fd);
    }
    const fd = ioctlOrThrow(this.fd, 'KVM_CREATE_VCPU', IOCTL.CREATE_VCPU, id);
    return new Vcpu(this, id, fd);
  }

  close(): void {
    if (this.vcpu0 >= 0) hostClose(this.vcpu0);
    hostClose(this.fd);
  }
}

/** Registers to load: bigint for any 64-bit value, number for exact integers below 2^53. */
export type RegsInput = Partial<Record<RegName, number | bigint>>;

/** struct kvm_cpuid_entry2's fields as a list, made once (setCpuid runs for every vCPU, cold) */
const CPUID_ENTRY_FIELDS = Object.entries(KvmCpuidEntry2.fields).map(([k, [off, kind]]) => [k as keyof CpuidEntry, off, kind] as const);

/** struct kvm_cpuid2 for entries, encoded once per list (every vCPU of a VM gets the same) */
const encodedCpuid = new WeakMap<readonly CpuidEntry[], DataView>();
function encodeCpuid(entries: readonly CpuidEntry[]): DataView {
  let dv = encodedCpuid.get(entries);
  if (dv) return dv;
  dv = new DataView(new ArrayBuffer(KvmCpuid2Header.size + entries.length * KvmCpuidEntry2.size));
  dv.setUint32(0, entries.length, true);
  for (let i = 0; i < entries.length; i++) {
    const base = KvmCpuid2Header.size + i * KvmCpuidEntry2.size, e = entries[i]!;
    for (const [k, off, kind] of CPUID_ENTRY_FIELDS) writeField(dv, base + off, kind, e[k]);
  }
  encodedCpuid.set(entries, dv);
  return dv;
}

export class Vcpu {
  /** the mmap'ed struct kvm_run */
  readonly run: DataView;
  readonly runAddr: number;
  private readonly regsBuf = new DataView(new ArrayBuffer(KvmRegs.size));
  private readonly sregsBuf = new DataView(new ArrayBuffer(KvmSregs.size));

  constructor(readonly vm: Vm, readonly id: number, readonly fd: number) {
    const size = vm.kvm.vcpuMmapSize;
    const addr = hostMmap(0, size, PROT.READ | PROT.WRITE, MAP.SHARED, fd, 0);
    if (addr < 0 && addr > -4096) throw new KvmError('mmap(kvm_run)', -addr);
    this.runAddr = addr;
    this.run = new DataView(native.view(addr, size));
  }

  /** KVM_RUN on the calling thread; returns 0 or -errno (EINTR when kicked) */
  /** false while KVM holds an MMIO exit that only the next KVM_RUN completes */
  private exitCompleted = true;

  runOnce(): number {
    this.exitCompleted = false;
    return sys(SYS.ioctl, this.fd, IOCTL.RUN, 0);
  }

  /** KVM_RUN until an exit the native fast path does not serve (see km_native.c) */
  runFast(mailboxAddr: number): number {
    this.exitCompleted = false;
    return native.runFast(this.fd, this.runAddr, mailboxAddr);
  }

  /** The vCPU's own host thread ran it and already completed the exit (see km_native.c). */
  markExitCompleted(): void { this.exitCompleted = true; }

  get exitReason(): number { return this.run.getUint32(KvmRun.fields.exit_reason[0], true); }
  /** the guest-physical address of an MMIO exit (low 53 bits: guest-physical addresses are smaller) */
  get mmioAddr(): number { return this.run.getUint32(KvmRun.fields.mmio_phys_addr[0], true) + this.run.getUint32(KvmRun.fields.mmio_phys_addr[0] + 4, true) * 4294967296; }
  runField(name: keyof typeof KvmRun.fields): number {
    const [off, kind] = KvmRun.fields[name];
    return readField(this.run, off, kind);
  }
  setImmediateExit(v: boolean): void { this.run.setUint8(KvmRun.fields.immediate_exit[0], v ? 1 : 0); }

  /**
   * The general registers, each as its exact unsigned 64-bit value. Never numbers: a JS number holds
   * 53 bits, and a payload's registers hold hashes, bitmaps and random bits (Go's allocator keeps its
   * free-slot bitmap in one), which a round trip through a number would silently change.
   */
  getRegs(): Record<RegName, bigint> {
    ioctlOrThrow(this.fd, 'KVM_GET_REGS', IOCTL.GET_REGS, this.regsBuf);
    // by index, not Object.entries: this runs at every clone and signal, mostly cold
    const out = {} as Record<RegName, bigint>;
    for (let i = 0; i < REG_NAMES.length; i++) out[REG_NAMES[i]!] = this.regsBuf.getBigUint64(KvmRegs.fields[REG_NAMES[i]!][0], true);
    return out;
  }

  setRegs(regs: RegsInput, fromScratch = false): void {
    if (!fromScratch) ioctlOrThrow(this.fd, 'KVM_GET_REGS', IOCTL.GET_REGS, this.regsBuf);
    else new Uint8Array(this.regsBuf.buffer).fill(0);
    for (let i = 0; i < REG_NAMES.length; i++) {
      const v = regs[REG_NAMES[i]!];
      if (v === undefined) continue;
      this.regsBuf.setBigUint64(KvmRegs.fields[REG_NAMES[i]!][0], BigInt.asUintN(64, BigInt(v)), true);
    }
    ioctlOrThrow(this.fd, 'KVM_SET_REGS', IOCTL.SET_REGS, this.regsBuf);
  }

  /** Reads sregs into the cached buffer and returns an editor over it. */
  getSregs(): Sregs {
    ioctlOrThrow(this.fd, 'KVM_GET_SREGS', IOCTL.GET_SREGS, this.sregsBuf);
    return new Sregs(this.sregsBuf);
  }
  setSregs(s: Sregs): void {
    ioctlOrThrow(this.fd, 'KVM_SET_SREGS', IOCTL.SET_SREGS, s.dv);
  }

  /** the special registers as first configured (see Machine), for a vCPU that starts a new thread */
  private sregsTemplate: Uint8Array | null = null;
  rememberSregs(s: Sregs): void { this.sregsTemplate = new Uint8Array(s.dv.buffer, s.dv.byteOffset, KvmSregs.size).slice(); }
  /** Loads the remembered special registers with a new FS base: no KVM_GET_SREGS, no re-encoding. */
  restoreSregs(fsBase: number): boolean {
    if (!this.sregsTemplate) return false;
    new Uint8Array(this.sregsBuf.buffer).set(this.sregsTemplate);
    const s = new Sregs(this.sregsBuf);
    s.setSegmentBase('fs', fsBase);
    this.setSregs(s);
    return true;
  }

  setCpuid(entries: readonly CpuidEntry[]): void {
    ioctlOrThrow(this.fd, 'KVM_SET_CPUID2', IOCTL.SET_CPUID2, encodeCpuid(entries));
  }

  /** one MSR's value (KVM_GET_MSRS) */
  getMsr(index: number): bigint {
    const dv = new DataView(new ArrayBuffer(KvmMsrsHeader.size + KvmMsrEntry.size));
    dv.setUint32(0, 1, true);
    writeField(dv, KvmMsrsHeader.size + KvmMsrEntry.fields.index[0], 'u32', index);
    const r = ioctlOrThrow(this.fd, 'KVM_GET_MSRS', IOCTL.GET_MSRS, dv);
    if (r !== 1) throw new KvmError('ioctl(KVM_GET_MSRS)', E.EINVAL, `read ${r} of 1 MSRs`);
    return dv.getBigUint64(KvmMsrsHeader.size + KvmMsrEntry.fields.data[0], true);
  }

  /** the vCPU's TSC frequency in kHz, or -errno */
  tscKhz(): number {
    return hostIoctl(this.fd, IOCTL.GET_TSC_KHZ, 0);
  }

  setMsrs(msrs: ReadonlyArray<readonly [number, number]>): void {
    const dv = new DataView(new ArrayBuffer(KvmMsrsHeader.size + msrs.length * KvmMsrEntry.size));
    dv.setUint32(0, msrs.length, true);
    msrs.forEach(([index, data], i) => {
      const base = KvmMsrsHeader.size + i * KvmMsrEntry.size;
      writeField(dv, base + KvmMsrEntry.fields.index[0], 'u32', index);
      writeField(dv, base + KvmMsrEntry.fields.data[0], 'u64', data);
    });
    const r = ioctlOrThrow(this.fd, 'KVM_SET_MSRS', IOCTL.SET_MSRS, dv);
    if (r !== msrs.length) throw new KvmError('ioctl(KVM_SET_MSRS)', E.EINVAL, `set ${r} of ${msrs.length} MSRs`);
  }

  /** struct kvm_xsave: the 4 KiB uncompacted XSAVE image of the vCPU's FPU/SSE/AVX state */
  getXsave(): Uint8Array {
    const b = new Uint8Array(4096);
    ioctlOrThrow(this.fd, 'KVM_GET_XSAVE', IOCTL.GET_XSAVE, b);
    return b;
  }
  setXsave(image: Uint8Array): number {
    return hostIoctl(this.fd, IOCTL.SET_XSAVE, image);
  }

  /**
   * Completes the instruction KVM left pending at the last exit (the doorbell's MMIO write) without
   * running guest code, so registers can then be replaced consistently.
   */
  completePendingExit(): void {
    if (this.exitCompleted) return;
    this.exitCompleted = true;
    this.setImmediateExit(true);
    const r = this.runOnce();
    this.setImmediateExit(false);
    if (r < 0 && r !== -E.EINTR && r !== -E.EAGAIN) throw new KvmError('ioctl(KVM_RUN, immediate_exit)', -r);
  }

  setXcr0(value: number): void {
    const x = new StructView(KvmXcrs);
    x.set('nr_xcrs', 1); x.set('xcr0_index', 0); x.set('xcr0_value', value);
    ioctlOrThrow(this.fd, 'KVM_SET_XCRS', IOCTL.SET_XCRS, x.dv);
  }

  /** unmaps kvm_run and closes the vCPU */
  close(): void {
    sys(SYS.munmap, this.runAddr, this.vm.kvm.vcpuMmapSize);
    hostClose(this.fd);
  }
}

export interface Segment { base: number; limit: number; selector: number; type: number; present: number; dpl: number; db: number; s: number; l: number; g: number; avl?: number; unusable?: number }

/** Editor over a struct kvm_sregs buffer. */
export class Sregs extends StructView<typeof KvmSregs> {
  constructor(dv: DataView) { super(KvmSregs, dv); }
  setSegment(name: SegmentName, seg: Segment): void {
    const base = SREGS_SEGMENT_OFFSET[name];
    new Uint8Array(this.dv.buffer, this.dv.byteOffset + base, KvmSegment.size).fill(0);
    for (const [k, [off, kind]] of Object.entries(KvmSegment.fields)) {
      const v = seg[k as keyof Segment];
      if (v !== undefined) writeField(this.dv, base + off, kind, v);
    }
  }
  segmentBase(name: SegmentName): number {
    return readField(this.dv, SREGS_SEGMENT_OFFSET[name] + KvmSegment.fields.base[0], 'u64');
  }
  setSegmentBase(name: SegmentName, base: number): void {
    writeField(this.dv, SREGS_SEGMENT_OFFSET[name] + KvmSegment.fields.base[0], 'u64', base);
  }
}

export { CAP };
