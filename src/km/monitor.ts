// Runs one payload: builds its VM, loads the executable, sets up the initial stack and registers,
// then drives the vCPU: each exit is a syscall (doorbell), an exception (halt in the exception
// entry) or a failure.
import { E } from '../host/errno.js';
import { SYS } from '../host/sysno.js';
import { sys, native } from '../host/native.js';
import { SIG } from '../host/signals.js';
import { EXIT, EXIT_NAMES, KvmRun } from '../kvm/abi.js';
import { Machine, type VcpuHandle } from '../vm/machine.js';
import { DOORBELL_GPA, STACK_TOP, PAGE_SIZE } from '../vm/layout.js';
import { RFLAGS_FIXED } from '../vm/cpu.js';
import { PT, PF, type ElfImage } from '../elf/elf.js';
import { loadElf } from '../elf/loader.js';
import { AT, buildInitialStack } from '../elf/stack.js';
import { Process, type MonitorOptions } from './process.js';
import { PayloadExit, PayloadKilled, MonitorError } from './exit.js';
import { readFault } from './faults.js';
import { CONTEXT_REPLACED, signalsAfterSyscall, signalsAfterInterrupt, deliverSignals, enterUser } from './deliver.js';
import { SIG_DFL, SIG_IGN, bit } from './signals.js';
import type { Regs } from './sigframe.js';
import { DISPATCH } from '../syscalls/table.js';
import { formatCall, formatResult } from '../syscalls/trace.js';

export interface PayloadSpec {
  /** absolute path of the executable (/proc/self/exe) */
  exePath: string;
  /** the name as given (AT_EXECFN) */
  execfn: string;
  image: ElfImage;
  file: Uint8Array;
  argv: string[];
  envp: string[];
}

/** how much beyond the XSAVE area a Linux signal frame needs (matches AT_MINSIGSTKSZ on Linux) */
const SIGFRAME_OVERHEAD = 944;

export function startPayload(spec: PayloadSpec, opts: MonitorOptions): { machine: Machine; proc: Process } {
  const machine = new Machine(opts.devicePath);
  const proc = new Process(machine, opts, spec.exePath, spec.argv, spec.envp);
  const { as } = proc;
  const execStack = spec.image.phdrs.some((ph) => ph.type === PT.GNU_STACK && (ph.flags & PF.X) !== 0);
  if (as.initStack(execStack) < 0) throw new MonitorError('cannot map the initial stack (memory limit too small?)');
  const img = loadElf(as, spec.image, spec.file, spec.exePath);
  as.initBrk(img.brk);
  const auxv: [number, number][] = [
    [AT.PHDR, img.phdr], [AT.PHENT, img.phent], [AT.PHNUM, img.phnum], [AT.PAGESZ, PAGE_SIZE], [AT.BASE, 0],
    [AT.FLAGS, 0], [AT.ENTRY, img.entry], [AT.UID, sys(SYS.getuid)], [AT.EUID, sys(SYS.geteuid)],
    [AT.GID, sys(SYS.getgid)], [AT.EGID, sys(SYS.getegid)], [AT.SECURE, 0], [AT.HWCAP, machine.cpu.hwcap],
    [AT.HWCAP2, 0], [AT.CLKTCK, 100], [AT.MINSIGSTKSZ, machine.cpu.xsaveSize + SIGFRAME_OVERHEAD],
  ];
  const stack = buildInitialStack(machine.mem, STACK_TOP, { argv: spec.argv, envp: spec.envp, execfn: spec.execfn, platform: 'x86_64', auxv });
  proc.auxv = stack.auxv;
  const vcpu = machine.createVcpu(0);
  proc.vcpu = vcpu;
  vcpu.vcpu.setRegs({ rip: img.entry, rsp: stack.rsp, rflags: RFLAGS_FIXED }, true);
  return { machine, proc };
}

const TWO32 = 4294967296;

/** Runs the payload until it exits or is killed; throws PayloadExit / PayloadKilled / MonitorError. */
export function runVcpu(proc: Process, h: VcpuHandle): never {
  const { vcpu } = h;
  const mb = h.mb32;
  const args = new Float64Array(6);
  const trace = proc.opts.trace, stats = proc.opts.stats;
  const excHaltEnd = proc.machine.excHaltVa + 1;
  // a host signal for the payload makes KVM_RUN return at once
  native.setKickAddress(vcpu.runAddr + KvmRun.fields.immediate_exit[0]);
  for (;;) {
    const r = vcpu.runOnce();
    if (r < 0) {
      if (r === -E.EINTR || r === -E.EAGAIN) {
        vcpu.setImmediateExit(false);
        signalsAfterInterrupt(proc, h);
        continue;
      }
      if (r === -E.EFAULT) throw new PayloadKilled(SIG.SIGSEGV, 'guest memory access failed in the host (KVM_RUN EFAULT)');
      throw new MonitorError(`KVM_RUN failed: errno ${-r}`);
    }
    const reason = vcpu.exitReason;
    if (reason === EXIT.MMIO && vcpu.runField('mmio_phys_addr') === DOORBELL_GPA) {
      // a syscall: number and arguments are in the mailbox
      const nr = mb[1] === 0 ? mb[0]! : -1;
      for (let i = 0; i < 6; i++) args[i] = mb[2 + 2 * i]! + (mb[3 + 2 * i]! | 0) * TWO32;
      const e = nr >= 0 ? DISPATCH[nr] : undefined;
      let t0 = 0;
      if (stats) t0 = performance.now();
      let ret: number;
      try {
        ret = e?.handler ? e.handler(proc, args) : -E.ENOSYS;
      } catch (x) {
        if (trace && (x instanceof PayloadExit || x instanceof PayloadKilled)) proc.log(`[km] ${formatCall(proc, e, nr, args)} = ?`);
        throw x;
      }
      if (stats) {
        const s = proc.stats.get(nr) ?? { count: 0, errors: 0, ns: 0 };
        s.count++; s.ns += (performance.now() - t0) * 1e6;
        if (ret < 0 && ret > -4096) s.errors++;
        proc.stats.set(nr, s);
      }
      if (ret === CONTEXT_REPLACED) { if (trace) proc.log(`[km] ${formatCall(proc, e, nr, args)} = ?`); continue; }
      if (trace) proc.log(`[km] ${formatCall(proc, e, nr, args)} = ${formatResult(e, ret)}`);
      // the host ignores SIGPIPE (node does); a native process would get it with the EPIPE
      if (ret === -E.EPIPE) proc.signals.raise(SIG.SIGPIPE, { code: 0, pid: proc.pid });
      let lo = ret % TWO32;
      if (lo < 0) lo += TWO32;
      mb[14] = lo;
      mb[15] = Math.floor(ret / TWO32) >>> 0;
      if (ret === -E.EINTR || proc.signals.hasDeliverable) signalsAfterSyscall(proc, h, nr, ret);
      continue;
    }
    switch (reason) {
      case EXIT.HLT: {
        const regs = vcpu.getRegs();
        if (regs.rip !== excHaltEnd) throw new MonitorError(`unexpected HLT at 0x${regs.rip.toString(16)}`);
        const cr2 = vcpu.getSregs().get('cr2');
        const f = readFault(proc, regs.rsp, cr2);
        const act = proc.signals.actions[f.signal]!;
        const detail = `${f.what} at address 0x${f.addr.toString(16)}, rip 0x${f.rip.toString(16)}`;
        // a fault signal that is blocked or ignored cannot be delivered: Linux kills the process
        if (act.handler === SIG_DFL || act.handler === SIG_IGN || (proc.signals.blocked & bit(f.signal))) {
          throw new PayloadKilled(f.signal, detail);
        }
        proc.signals.raise(f.signal, { code: f.code, addr: f.addr });
        const ctx: Regs = { ...(regs as Regs), rip: f.rip, rsp: f.rsp, rflags: f.rflags };
        const next = deliverSignals(proc, h, ctx, { trapno: f.vector, err: f.errorCode, cr2: f.vector === 14 ? cr2 : 0 });
        enterUser(h, next ?? ctx);
        continue;
      }
      case EXIT.MMIO:
        throw new PayloadKilled(SIG.SIGBUS, `access to unbacked guest-physical address 0x${vcpu.runField('mmio_phys_addr').toString(16)}`);
      case EXIT.SHUTDOWN:
        throw new PayloadKilled(SIG.SIGSEGV, 'triple fault (unrecoverable CPU state)');
      case EXIT.INTR:
        continue;
      case EXIT.FAIL_ENTRY:
        throw new MonitorError(`VM entry failed (hardware reason 0x${vcpu.runField('fail_entry_reason').toString(16)})`);
      case EXIT.INTERNAL_ERROR:
        throw new MonitorError(`KVM internal error (suberror ${vcpu.runField('internal_suberror')})`);
      default:
        throw new MonitorError(`unexpected VM exit ${EXIT_NAMES[reason] ?? reason}`);
    }
  }
}
