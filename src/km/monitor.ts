// Starts one payload: builds its VM, loads the executable, sets up the initial stack and the first
// thread's registers. src/km/scheduler.ts then drives it.
import { SYS } from '../host/sysno.js';
import { sys } from '../host/native.js';
import { Machine } from '../vm/machine.js';
import { STACK_TOP, PAGE_SIZE, PIE_BASE, VDSO_VA } from '../vm/layout.js';
import { RFLAGS_FIXED } from '../vm/cpu.js';
import { PT, PF, type ElfImage } from '../elf/elf.js';
import { loadElf } from '../elf/loader.js';
import { AT, buildInitialStack } from '../elf/stack.js';
import { Process, type MonitorOptions } from './process.js';
import { MonitorError } from './exit.js';
import { Scheduler } from './scheduler.js';
import { mirrorDisposition, mirrorInitialDispositions } from './deliver.js';
import { SIG_IGN } from './signals.js';
import type { ExecCarry } from './exec.js';
import { fileIdOf } from './procfiles.js';
import type { Thread } from './thread.js';
import { closeExecutable, type ExecutableFile } from '../elf/execfile.js';

export interface PayloadSpec {
  /** absolute path of the executable (/proc/self/exe) */
  exePath: string;
  /** the name as given (AT_EXECFN) */
  execfn: string;
  image: ElfImage;
  /** the executable's bytes: closed (closeExecutable) once loaded */
  file: ExecutableFile;
  /** the program interpreter (PT_INTERP), loaded beside a dynamic executable */
  interp?: { path: string; image: ElfImage; file: ExecutableFile };
  argv: string[];
  envp: string[];
}

/** how much beyond the XSAVE area a Linux signal frame needs (matches AT_MINSIGSTKSZ on Linux) */
const SIGFRAME_OVERHEAD = 944;

/** Builds the payload's VM and first thread; `carry` is what an execve keeps from the old program. */
export function startPayload(spec: PayloadSpec, opts: MonitorOptions, carry?: ExecCarry): { machine: Machine; proc: Process; main: Thread } {
  mirrorInitialDispositions();
  const machine = new Machine(opts.devicePath);
  const proc = new Process(machine, opts, spec.exePath, spec.argv, spec.envp, carry);
  const { as } = proc;
  const execStack = spec.image.phdrs.some((ph) => ph.type === PT.GNU_STACK && (ph.flags & PF.X) !== 0);
  if (as.initStack(execStack) < 0) throw new MonitorError('cannot map the initial stack (memory limit too small?)');
  const img = loadElf(as, spec.image, spec.file, spec.exePath, PIE_BASE, fileIdOf(spec.exePath));
  as.initBrk(img.brk);
  // the interpreter goes where mmap would put it (top-down), as Linux's binfmt_elf does; it starts
  // first and finds the program through AT_PHDR/AT_ENTRY, itself through AT_BASE
  const ld = spec.interp ? loadElf(as, spec.interp.image, spec.interp.file, spec.interp.path, -1, fileIdOf(spec.interp.path)) : null;
  // the guest memory holds (or maps) the images now
  closeExecutable(spec.file);
  if (spec.interp) closeExecutable(spec.interp.file);
  const auxv: [number, number][] = [
    [AT.SYSINFO_EHDR, VDSO_VA],
    [AT.PHDR, img.phdr], [AT.PHENT, img.phent], [AT.PHNUM, img.phnum], [AT.PAGESZ, PAGE_SIZE], [AT.BASE, ld ? ld.bias : 0],
    [AT.FLAGS, 0], [AT.ENTRY, img.entry], [AT.UID, sys(SYS.getuid)], [AT.EUID, sys(SYS.geteuid)],
    [AT.GID, sys(SYS.getgid)], [AT.EGID, sys(SYS.getegid)], [AT.SECURE, 0], [AT.HWCAP, machine.cpu.hwcap],
    [AT.HWCAP2, 0], [AT.CLKTCK, 100], [AT.MINSIGSTKSZ, machine.cpu.xsaveSize + SIGFRAME_OVERHEAD],
  ];
  const stack = buildInitialStack(machine.mem, STACK_TOP, { argv: spec.argv, envp: spec.envp, execfn: spec.execfn, platform: 'x86_64', auxv });
  proc.auxv = stack.auxv;
  proc.layout = { startCode: img.startCode, endCode: img.endCode, startData: img.startData, endData: img.endData,
    startStack: stack.rsp, argStart: stack.argStart, argEnd: stack.argEnd, envStart: stack.envStart, envEnd: stack.envEnd };
  const vcpu = machine.createVcpu(0);
  proc.sched = new Scheduler(proc);
  const main = proc.sched.adoptMain(vcpu);
  vcpu.vcpu.setRegs({ rip: ld ? ld.entry : img.entry, rsp: stack.rsp, rflags: RFLAGS_FIXED }, true);
  if (carry) {
    for (const sig of carry.ignored) { proc.procSignals.actions[sig]!.handler = SIG_IGN; mirrorDisposition(sig, SIG_IGN); }
    main.sig.blocked = carry.blocked;
    for (const { sig, info } of carry.pending) main.sig.raise(sig, info);
  }
  return { machine, proc, main };
}
