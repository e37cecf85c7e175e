// Linux's x86-64 signal frame (struct rt_sigframe) on the guest stack: what a handler receives
// (siginfo, ucontext with the interrupted registers, mask and XSAVE state) and what rt_sigreturn
// restores. Layouts are Linux's, so handlers that inspect or edit the context work unchanged.
import { defineLayout, getU64 as u64, setU64, writeField } from '../util/struct.js';
import type { RegName } from '../kvm/abi.js';
import type { Process } from './process.js';
import type { PendingInfo } from './signals.js';

/** struct rt_sigframe: pretcode, ucontext, siginfo; the FPU state sits above it, 64-byte aligned */
export const RtSigframe = { PRETCODE: 0, UC: 8, INFO: 8 + 304, SIZE: 8 + 304 + 128 } as const;
/** struct ucontext (kernel) */
export const Ucontext = defineLayout(304, {
  uc_flags: [0, 'u64'], uc_link: [8, 'u64'], ss_sp: [16, 'u64'], ss_flags: [24, 'i32'], ss_size: [32, 'u64'],
  mcontext: [40, 'u64'], uc_sigmask: [296, 'u64'],
} as const);
export const MCONTEXT_OFFSET = 40;
/** struct sigcontext (64-bit), offsets inside uc_mcontext */
export const SIGCONTEXT_REGS: Record<Exclude<RegName, 'rflags'>, number> = {
  r8: 0, r9: 8, r10: 16, r11: 24, r12: 32, r13: 40, r14: 48, r15: 56, rdi: 64, rsi: 72, rbp: 80, rbx: 88,
  rdx: 96, rax: 104, rcx: 112, rsp: 120, rip: 128,
};
export const Sigcontext = defineLayout(256, {
  eflags: [136, 'u64'], cs: [144, 'u16'], gs: [146, 'u16'], fs: [148, 'u16'], ss: [150, 'u16'],
  err: [152, 'u64'], trapno: [160, 'u64'], oldmask: [168, 'u64'], cr2: [176, 'u64'], fpstate: [184, 'u64'],
} as const);
/** siginfo_t: the common head and the fields km fills */
export const Siginfo = defineLayout(128, {
  si_signo: [0, 'i32'], si_errno: [4, 'i32'], si_code: [8, 'i32'], si_pid: [16, 'i32'], si_uid: [20, 'u32'],
  si_addr: [16, 'u64'], si_timerid: [16, 'i32'], si_overrun: [20, 'i32'], si_value: [24, 'u64'],
} as const);
/** siginfo_t bytes for a signal as the kernel fills them for its si_code */
export function encodeSiginfo(sig: number, info: PendingInfo): Uint8Array {
  const b = new Uint8Array(Siginfo.size);
  if (info.raw) b.set(info.raw.subarray(0, Siginfo.size));
  const dv = new DataView(b.buffer);
  dv.setInt32(Siginfo.fields.si_signo[0], sig, true);
  if (info.raw) return b;
  dv.setInt32(Siginfo.fields.si_code[0], info.code, true);
  if (info.addr !== undefined) setU64(dv, Siginfo.fields.si_addr[0], info.addr);
  else if (info.timerid !== undefined) {
    dv.setInt32(Siginfo.fields.si_timerid[0], info.timerid, true);
    dv.setInt32(Siginfo.fields.si_overrun[0], info.overrun ?? 0, true);
    setU64(dv, Siginfo.fields.si_value[0], info.value ?? 0);
  } else if (info.pid !== undefined) {
    dv.setInt32(Siginfo.fields.si_pid[0], info.pid, true);
    dv.setUint32(Siginfo.fields.si_uid[0], info.uid ?? 0, true);
    if (info.value !== undefined) setU64(dv, Siginfo.fields.si_value[0], info.value);
  }
  return b;
}

/** struct _fpx_sw_bytes in the XSAVE image's software-reserved area */
const FPX_SW_OFFSET = 464;
const FP_XSTATE_MAGIC1 = 0x46505853;
const FP_XSTATE_MAGIC2 = 0x46505845;
const UC_FP_XSTATE = 1, UC_SIGCONTEXT_SS = 2, UC_STRICT_RESTORE_SS = 4;

export const SA = { NOCLDSTOP: 1, NOCLDWAIT: 2, SIGINFO: 4, RESTORER: 0x04000000, ONSTACK: 0x08000000,
  RESTART: 0x10000000, NODEFER: 0x40000000, RESETHAND: 0x80000000 } as const;
export const SI = { USER: 0, KERNEL: 0x80, TKILL: -6 } as const;
const EFLAGS_USER_CHANGEABLE = 0x1n | 0x4n | 0x10n | 0x40n | 0x80n | 0x100n | 0x400n | 0x800n | 0x10000n | 0x40000n;
const EFLAGS_CLEARED_FOR_HANDLER = 0x100n | 0x400n | 0x10000n; // TF, DF, RF
const RED_ZONE = 128;

/** A user context's general registers, exact (bigint: every bit of a 64-bit register matters). */
export type Regs = Record<RegName, bigint>;

export interface FaultRegs { trapno: number; err: number; cr2: number }

export interface FrameOptions {
  sig: number;
  handler: number;
  flags: number;
  restorer: number;
  /** the interrupted context */
  regs: Regs;
  info: PendingInfo;
  fault?: FaultRegs;
  /** the interrupted FPU state (kvm_xsave image) */
  xsave: Uint8Array;
  xsaveSize: number;
  xcr0: number;
  /** blocked mask to save (restored by rt_sigreturn) */
  oldMask: bigint;
  selectors: { cs: number; ss: number };
  trampoline: number;
}

/** Writes the frame; returns the handler's registers, or null when the stack cannot hold it. */
export function pushSigframe(p: Process, o: FrameOptions): Regs | null {
  const alt = p.signals.altstack;
  const rsp = Number(o.regs.rsp); // an address (one no stack holds fails canWrite below)
  const onAlt = alt.flags === 0 && alt.size > 0 && rsp > alt.sp && rsp <= alt.sp + alt.size;
  let sp = rsp - RED_ZONE;
  if ((o.flags & SA.ONSTACK) && alt.flags === 0 && alt.size > 0 && !onAlt) sp = alt.sp + alt.size;
  // FPU state: 64-byte aligned, followed by the second magic word
  sp -= o.xsaveSize + 4;
  sp -= sp % 64;
  const fp = sp;
  sp -= RtSigframe.SIZE;
  sp -= sp % 16;
  sp -= 8; // as if the handler had been called: (rsp + 8) % 16 == 0 at entry
  const total = fp + o.xsaveSize + 4 - sp;
  if (sp < 0 || !p.as.canWrite(sp, total)) return null;

  const buf = new Uint8Array(total);
  const dv = new DataView(buf.buffer);
  const uc = RtSigframe.UC, mc = uc + MCONTEXT_OFFSET, info = RtSigframe.INFO, fpo = fp - sp;
  setU64(dv, RtSigframe.PRETCODE, o.flags & SA.RESTORER ? o.restorer : o.trampoline);
  setU64(dv, uc + Ucontext.fields.uc_flags[0], UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS);
  setU64(dv, uc + Ucontext.fields.ss_sp[0], alt.sp);
  dv.setInt32(uc + Ucontext.fields.ss_flags[0], alt.size === 0 || alt.flags !== 0 ? 2 : onAlt ? 1 : 0, true);
  setU64(dv, uc + Ucontext.fields.ss_size[0], alt.size);
  for (const [name, off] of Object.entries(SIGCONTEXT_REGS)) dv.setBigUint64(mc + off, o.regs[name as RegName], true);
  dv.setBigUint64(mc + Sigcontext.fields.eflags[0], o.regs.rflags, true);
  writeField(dv, mc + Sigcontext.fields.cs[0], Sigcontext.fields.cs[1], o.selectors.cs);
  writeField(dv, mc + Sigcontext.fields.ss[0], Sigcontext.fields.ss[1], o.selectors.ss);
  writeField(dv, mc + Sigcontext.fields.err[0], Sigcontext.fields.err[1], o.fault?.err ?? 0);
  writeField(dv, mc + Sigcontext.fields.trapno[0], Sigcontext.fields.trapno[1], o.fault?.trapno ?? 0);
  writeField(dv, mc + Sigcontext.fields.oldmask[0], Sigcontext.fields.oldmask[1], Number(o.oldMask & 0xffffffffn));
  writeField(dv, mc + Sigcontext.fields.cr2[0], Sigcontext.fields.cr2[1], o.fault?.cr2 ?? 0);
  writeField(dv, mc + Sigcontext.fields.fpstate[0], Sigcontext.fields.fpstate[1], fp);
  dv.setBigUint64(uc + Ucontext.fields.uc_sigmask[0], o.oldMask, true);
  buf.set(encodeSiginfo(o.sig, o.info), info);
  buf.set(o.xsave.subarray(0, o.xsaveSize), fpo);
  dv.setUint32(fpo + FPX_SW_OFFSET, FP_XSTATE_MAGIC1, true);
  dv.setUint32(fpo + FPX_SW_OFFSET + 4, o.xsaveSize + 4, true);
  setU64(dv, fpo + FPX_SW_OFFSET + 8, o.xcr0);
  dv.setUint32(fpo + FPX_SW_OFFSET + 16, o.xsaveSize, true);
  dv.setUint32(fpo + o.xsaveSize, FP_XSTATE_MAGIC2, true);
  p.mem.write(sp, buf);

  return {
    ...o.regs,
    rip: BigInt(o.handler), rsp: BigInt(sp), rdi: BigInt(o.sig), rsi: BigInt(sp + info), rdx: BigInt(sp + uc), rax: 0n,
    rflags: o.regs.rflags & ~EFLAGS_CLEARED_FOR_HANDLER,
  };
}

export interface RestoredFrame { regs: Regs; mask: bigint; xsave: Uint8Array | null }

/** Reads the frame rt_sigreturn was called with (rsp points just past pretcode). */
export function popSigframe(p: Process, rsp: number, current: Regs, xsaveSize: number): RestoredFrame | null {
  const frame = rsp - 8;
  if (!p.as.canRead(frame, RtSigframe.SIZE)) return null;
  const dv = p.mem.dataView(frame, RtSigframe.SIZE);
  const mc = RtSigframe.UC + MCONTEXT_OFFSET;
  const regs = { ...current };
  for (const [name, off] of Object.entries(SIGCONTEXT_REGS)) regs[name as RegName] = dv.getBigUint64(mc + off, true);
  const eflags = dv.getBigUint64(mc + Sigcontext.fields.eflags[0], true);
  regs.rflags = (current.rflags & ~EFLAGS_USER_CHANGEABLE) | (eflags & EFLAGS_USER_CHANGEABLE);
  const mask = dv.getBigUint64(RtSigframe.UC + Ucontext.fields.uc_sigmask[0], true);
  const fp = u64(dv, mc + Sigcontext.fields.fpstate[0]);
  let xsave: Uint8Array | null = null;
  if (fp !== 0) {
    if (fp % 64 !== 0 || !p.as.canRead(fp, xsaveSize + 4)) return null;
    const img = p.mem.read(fp, xsaveSize);
    xsave = new Uint8Array(4096);
    xsave.set(img);
  }
  return { regs, mask, xsave };
}

/** the XSAVE image of a freshly reset FPU (what a handler starts with) */
export function initialXsave(): Uint8Array {
  const b = new Uint8Array(4096);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, 0x37f, true); // FCW
  dv.setUint32(24, 0x1f80, true); // MXCSR
  dv.setUint32(28, 0xffff, true); // MXCSR_MASK
  return b;
}
