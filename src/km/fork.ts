// fork: a new payload process is a new monitor (its own node process, VM and vCPU), started as a
// child of this one so that wait4, kill and getppid between them are the host's own. The parent
// writes what the child needs into two memfds the child inherits: the state (registers, mappings,
// descriptors, signal dispositions, limits) as JSON, and the contents of the private memory at
// their guest addresses (a sparse file: only the pages the parent has populated). Shared mappings
// are mapped again from the same host object (file or memfd), so they stay shared.
import { readSync, fstatSync } from 'node:fs';
import { native, sys, addressOf } from '../host/native.js';
import { SYS } from '../host/sysno.js';
import { E } from '../host/errno.js';
import { O, PROT, hostMemfd, hostOpen, hostPwriteAll } from '../host/hostcalls.js';
import { PAGE_SIZE } from '../vm/layout.js';
import { Machine } from '../vm/machine.js';
import { Kvm } from '../kvm/kvm.js';
import { Process, type MonitorOptions, type MmLayout } from './process.js';
import { Scheduler } from './scheduler.js';
import { mirrorDisposition, mirrorInitialDispositions, syscallContextRegs } from './deliver.js';
import type { Regs } from './sigframe.js';
import type { Vma } from './addrspace.js';
import { HostCall, type Thread } from './thread.js';
import type { GuestMemory } from '../vm/guestmem.js';

/** the environment variable that makes a km process the child half of a fork:
 * "stateFd,imageFd,kvmFd" or, for vfork, "stateFd,imageFd,kvmFd,vforkFd" (kvmFd: the parent's
 * /dev/kvm, for a child that may no longer open it) */
export const FORK_ENV = 'KM_FORK_STATE';
const STATE_VERSION = 1;
const SEEK_DATA = 3, SEEK_HOLE = 4, F_SETFD = 2, FD_CLOEXEC = 1;
/** /proc/self/pagemap entry bits */
const PM_PRESENT = 1n << 63n, PM_SWAPPED = 1n << 62n, PM_FILE_OR_SHARED = 1n << 61n;
/** pagemap entries read at once */
const PM_CHUNK = 65536;

interface ForkState {
  version: number;
  exePath: string; argv: string[]; envp: string[]; comm: string;
  auxv: [number, number][]; layout: MmLayout; brk: [number, number];
  opts: Omit<MonitorOptions, 'logFd'>;
  /** the registers at the return from the fork syscall (rax 0), as decimal strings */
  regs: Record<string, string>;
  xsave: string;
  fsBase: number;
  thread: { comm: string; blocked: string; altstack: { sp: number; flags: number; size: number }; clearChildTid: number; setChildTid: number };
  actions: { handler: number; flags: number; restorer: number; mask: string }[];
  rlimits: { cur: string[]; max: string[] };
  /** [guest fd, host fd, close-on-exec] */
  fds: [number, number, boolean][];
  vmas: Vma[];
}

const regsToJson = (r: Regs): Record<string, string> => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.toString()]));

/**
 * Copies the pages of a private mapping that hold the parent's own data (anonymous pages: written,
 * or copied on write from a file) into the image at their guest addresses. Pages that still are
 * the file's, or were never touched, are left out: the child maps the file or gets zero pages.
 */
function copyPrivatePages(mem: GuestMemory, pagemap: number, image: number, v: Vma): number {
  const buf = new BigUint64Array(PM_CHUNK);
  const bufAddr = addressOf(buf);
  for (let at = v.start; at < v.end;) {
    const n = Math.min(PM_CHUNK, (v.end - at) / PAGE_SIZE);
    const r = sys(SYS.pread64, pagemap, bufAddr, n * 8, (mem.hostAddr(at) / PAGE_SIZE) * 8);
    if (r !== n * 8) return r < 0 ? r : -E.EIO;
    let run = -1;
    for (let i = 0; i <= n; i++) {
      const e = i < n ? buf[i]! : 0n;
      const own = (e & (PM_PRESENT | PM_SWAPPED)) !== 0n && (e & PM_FILE_OR_SHARED) === 0n;
      if (own && run < 0) run = i;
      if (!own && run >= 0) {
        const gpa = at + run * PAGE_SIZE, len = (i - run) * PAGE_SIZE;
        // PROT_NONE memory keeps its contents: readable for the copy only
        if (v.prot === PROT.NONE) mem.protect(gpa, len, PROT.READ);
        const w = hostPwriteAll(image, mem.hostAddr(gpa), len, gpa);
        if (v.prot === PROT.NONE) mem.protect(gpa, len, PROT.NONE);
        if (w < 0) return w;
        run = -1;
      }
    }
    at += n * PAGE_SIZE;
  }
  return 0;
}

/**
 * fork, vfork and clone without CLONE_VM (CLONE_VM|CLONE_VFORK too: the child gets a copy, which
 * is all a vfork child may rely on before it calls execve or _exit). Returns the child's pid; for
 * vfork also the wait that holds the parent until the child execs or exits.
 */
export function forkProcess(p: Process, stack: number, ctid: number, setChildTid: boolean, clearChildTid: boolean, vfork: boolean): number | { pid: number; wait: HostCall } {
  const t = p.cur;
  const pagemap = openPagemap();
  if (pagemap < 0) { p.log(`km: fork: cannot read /proc/self/pagemap (errno ${-pagemap})`); return -E.ENOMEM; }
  const image = hostMemfd('km-fork-image'), stateFd = hostMemfd('km-fork-state');
  const cleanup = () => { for (const fd of [image, stateFd]) if (fd >= 0) sys(SYS.close, fd); };
  if (image < 0 || stateFd < 0) { cleanup(); return image < 0 ? image : stateFd; }

  for (const v of p.as.vmas) {
    if (v.shared) continue;
    const r = copyPrivatePages(p.mem, pagemap, image, v);
    if (r < 0) { cleanup(); return r === -E.ENOSPC ? -E.ENOMEM : r; }
  }
  const fds: [number, number, boolean][] = [];
  for (const g of p.fds.list()) {
    // descriptors of monitor objects (signalfd) belong to this monitor: the child has none
    if (!p.fds.object(g)) fds.push([g, p.fds.get(g), p.fds.getCloexec(g)]);
  }
  const sig = t.sig;
  const { logFd: _log, ...opts } = p.opts;
  const state: ForkState = {
    version: STATE_VERSION,
    exePath: p.exePath, argv: p.argv, envp: p.envp, comm: p.comm, auxv: p.auxv, layout: p.layout,
    brk: [p.as.brkStart, p.as.brkEnd], opts,
    regs: regsToJson({ ...syscallContextRegs(p, t.h, 0), ...(stack !== 0 ? { rsp: BigInt(stack) } : {}) }),
    xsave: Buffer.from(t.h.vcpu.getXsave()).toString('base64'),
    fsBase: t.fsBase,
    thread: { comm: t.comm, blocked: sig.blocked.toString(), altstack: { ...sig.altstack }, clearChildTid: clearChildTid ? ctid : 0, setChildTid: setChildTid ? ctid : 0 },
    actions: p.procSignals.actions.map((a) => ({ handler: a.handler, flags: a.flags, restorer: a.restorer, mask: a.mask.toString() })),
    rlimits: { cur: p.rlimits.cur.map(String), max: p.rlimits.max.map(String) },
    fds, vmas: p.as.vmas.map((v) => ({ ...v })),
  };
  const json = Buffer.from(JSON.stringify(state));
  const w = hostPwriteAll(stateFd, addressOf(json), json.length, 0);
  if (w < 0) { cleanup(); return w; }

  // vfork: the child holds the write end of a pipe until its execve or exit; the parent's read
  // returns (EOF) then, so the parent runs again only after the child has left its memory alone
  const pipe = new Int32Array(2);
  if (vfork) {
    const r = sys(SYS.pipe2, addressOf(pipe), O.CLOEXEC);
    if (r < 0) { cleanup(); return r; }
  }
  const kvmFd = p.machine.kvm.fd;
  const keep = new Set<number>([image, stateFd, kvmFd, ...fds.map(([, h]) => h), ...p.as.backingFds()]);
  if (vfork) keep.add(pipe[1]!);
  const env = Object.entries(process.env).filter(([k]) => k !== FORK_ENV).map(([k, v]) => `${k}=${v}`);
  env.push(`${FORK_ENV}=${stateFd},${image},${kvmFd}${vfork ? `,${pipe[1]}` : ''}`);
  const script = process.argv[1]!;
  const pid = native.spawn(process.execPath, [process.execPath, ...process.execArgv, script], env, [...keep]);
  cleanup();
  if (vfork) sys(SYS.close, pipe[1]!);
  if (pid < 0) {
    if (vfork) sys(SYS.close, pipe[0]!);
    p.log(`km: fork: cannot start the child monitor (errno ${-pid})`);
    return -E.EAGAIN;
  }
  if (!vfork) return pid;
  const byte = new Uint8Array(1);
  // whatever ends the wait (EOF, or a signal for this thread), the parent goes on with the pid
  return { pid, wait: new HostCall(SYS.read, [pipe[0]!, addressOf(byte), 1], () => { sys(SYS.close, pipe[0]!); return pid; }, byte) };
}

/** /proc/self/pagemap, opened once and kept: a process that changed its credentials is no longer
 * "dumpable", and its pagemap (mode 0400, then owned by root) cannot be opened again */
let pagemapFd = -1;
export function openPagemap(): number {
  if (pagemapFd < 0) pagemapFd = hostOpen('/proc/self/pagemap', O.RDONLY | O.CLOEXEC);
  return pagemapFd;
}

/** the write end of the vfork pipe in a vfork child (-1: none, or released) */
let vforkFd = -1;

/** A vfork child has exec'd a new program (or is ending): its parent may run again. */
export function releaseVforkParent(): void {
  if (vforkFd >= 0) sys(SYS.close, vforkFd);
  vforkFd = -1;
}

// ---- the child's half ----

/** Reads the whole state memfd (it was written at offset 0; the shared file offset is past it). */
function readState(fd: number): ForkState {
  const size = fstatSync(fd).size;
  const b = Buffer.alloc(size);
  for (let done = 0; done < size;) {
    const n = readSync(fd, b, done, size - done, done);
    if (n <= 0) throw new Error('fork: the state is truncated');
    done += n;
  }
  const s = JSON.parse(b.toString('utf8')) as ForkState;
  if (s.version !== STATE_VERSION) throw new Error(`fork: state version ${s.version}, this km reads ${STATE_VERSION}`);
  return s;
}

/** Copies the image's data ranges within [start, end) into guest memory. */
function fillFromImage(mem: GuestMemory, image: number, start: number, end: number): number {
  for (let at = start; at < end;) {
    const d = sys(SYS.lseek, image, at, SEEK_DATA);
    if (d < 0 || d >= end) return d === -E.ENXIO || d >= end ? 0 : d; // ENXIO: no data beyond at
    const hole = sys(SYS.lseek, image, d, SEEK_HOLE);
    if (hole < 0) return hole;
    const stop = Math.min(hole, end);
    for (let off = d; off < stop;) {
      const n = sys(SYS.pread64, image, mem.hostAddr(off), stop - off, off);
      if (n <= 0) return n < 0 ? n : -E.EIO;
      off += n;
    }
    at = stop;
  }
  return 0;
}

/** Builds the forked child from what the parent left in the descriptors of `fdsSpec` (FORK_ENV). */
export function startForkedChild(fdsSpec: string, logFd: number): { proc: Process; main: Thread } {
  const [stateFd, image, kvmFd, vfork] = fdsSpec.split(',').map(Number) as [number, number, number, number | undefined];
  sys(SYS.fcntl, kvmFd, F_SETFD, FD_CLOEXEC);
  if (vfork !== undefined) {
    vforkFd = vfork;
    sys(SYS.fcntl, vforkFd, F_SETFD, FD_CLOEXEC); // not for this monitor's own children
  }
  const s = readState(stateFd);
  sys(SYS.close, stateFd);
  mirrorInitialDispositions();
  Kvm.inherit(kvmFd, s.opts.devicePath);
  const machine = new Machine(s.opts.devicePath);
  const proc = new Process(machine, { ...s.opts, logFd }, s.exePath, s.argv, s.envp);
  proc.comm = s.comm;
  proc.auxv = s.auxv;
  proc.layout = s.layout;
  s.rlimits.cur.forEach((v, i) => { proc.rlimits.cur[i] = BigInt(v); });
  s.rlimits.max.forEach((v, i) => { proc.rlimits.max[i] = BigInt(v); });
  proc.fds.restore(s.fds);
  for (const v of s.vmas) {
    const r = proc.as.restoreVma(v, (a, b) => fillFromImage(proc.mem, image, a, b));
    if (r < 0) throw new Error(`fork: cannot map 0x${v.start.toString(16)}-0x${v.end.toString(16)} (errno ${-r})`);
  }
  sys(SYS.close, image);
  proc.as.brkStart = s.brk[0];
  proc.as.brkEnd = s.brk[1];

  s.actions.forEach((a, sig) => {
    if (sig === 0) return;
    proc.procSignals.actions[sig] = { handler: a.handler, flags: a.flags, restorer: a.restorer, mask: BigInt(a.mask) };
    mirrorDisposition(sig, a.handler);
  });
  const h = machine.createVcpu(0, s.fsBase);
  proc.sched = new Scheduler(proc);
  const main = proc.sched.adoptMain(h);
  h.vcpu.setRegs(Object.fromEntries(Object.entries(s.regs).map(([k, v]) => [k, BigInt(v)])), true);
  h.vcpu.setXsave(new Uint8Array(Buffer.from(s.xsave, 'base64')));
  main.fsBase = s.fsBase;
  main.comm = s.thread.comm;
  main.sig.blocked = BigInt(s.thread.blocked);
  main.sig.altstack = { ...s.thread.altstack };
  main.clearChildTid = s.thread.clearChildTid;
  if (s.thread.setChildTid) proc.writeU32(s.thread.setChildTid, proc.pid);
  return { proc, main };
}

