// The payload process as the monitor sees it: its VM, address space, descriptors, identity and
// signal dispositions, and the checked accessors syscall handlers use to reach guest memory.
import { sys, addressOf } from '../host/native.js';
import { SYS } from '../host/sysno.js';
import { E } from '../host/errno.js';
import { hostWriteString } from '../host/hostcalls.js';
import { Machine, type VcpuHandle } from '../vm/machine.js';
import { GuestMemory, userHostAddr } from '../vm/guestmem.js';
import { AddressSpace } from './addrspace.js';
import { FdTable } from './fdtable.js';
import { ProcessSignals, type ThreadSignals } from './signals.js';
import type { Thread } from './thread.js';
import type { Scheduler } from './scheduler.js';
import type { GuestTimer } from './timers.js';
import { Rlimits, RLIMIT } from './rlimits.js';
import { PAGE_SIZE } from '../vm/layout.js';
import { latin1String, utf8Bytes } from '../util/bytes.js';

export interface MonitorOptions {
  trace: boolean;
  /** most threads the payload may have at once (clone fails with EAGAIN beyond) */
  maxThreads: number;
  stats: boolean;
  verbose: boolean;
  memLimit: number;
  devicePath: string;
  /** host fd for km's own messages (a private dup of stderr) */
  logFd: number;
}

export const PATH_MAX = 4096;

/** Addresses /proc/self/stat reports (mm->start_code, arg_start, ...), set when the program is loaded. */
export interface MmLayout {
  startCode: number; endCode: number; startData: number; endData: number; startStack: number;
  argStart: number; argEnd: number; envStart: number; envEnd: number;
}

export interface SyscallStat { count: number; errors: number; ns: number }

export class Process {
  readonly mem: GuestMemory;
  readonly as: AddressSpace;
  readonly fds: FdTable;
  readonly procSignals = new ProcessSignals();
  /** live threads by guest tid; the main thread's tid is the pid */
  readonly threads = new Map<number, Thread>();
  /** the thread whose exit the monitor is handling */
  cur!: Thread;
  sched!: Scheduler;
  private lastTid: number;
  readonly rlimits: Rlimits;
  /** the main thread's name (PR_SET_NAME there; at start the executable's base name, as execve sets it) */
  comm: string;
  pdeathsig = 0;
  readonly pid: number;
  readonly stats = new Map<number, SyscallStat>();
  /** POSIX timers by id */
  readonly timers = new Map<number, GuestTimer>();
  /** a host scratch area with a stable address, for argument translation (iovecs, pollfds) */
  readonly scratch = new Uint8Array(256 * 1024);
  readonly scratchAddr: number;
  auxv: [number, number][] = [];
  layout: MmLayout = { startCode: 0, endCode: 0, startData: 0, endData: 0, startStack: 0, argStart: 0, argEnd: 0, envStart: 0, envEnd: 0 };

  /** `inherit`: what survives execve from the program this one replaces */
  constructor(readonly machine: Machine, readonly opts: MonitorOptions, readonly exePath: string, readonly argv: string[], readonly envp: string[],
    inherit?: { fds: FdTable; rlimits: Rlimits }) {
    this.mem = machine.mem;
    this.fds = inherit?.fds ?? new FdTable();
    this.rlimits = inherit?.rlimits ?? new Rlimits();
    this.as = new AddressSpace(machine.mem, machine.pt, opts.memLimit);
    this.pid = sys(SYS.getpid);
    this.lastTid = this.pid;
    this.comm = latin1String(utf8Bytes(exePath.slice(exePath.lastIndexOf('/') + 1)).subarray(0, 15));
    this.scratchAddr = addressOf(this.scratch);
    this.procSignals.publish();
    this.fds.limit = Number(this.rlimits.cur[RLIMIT.NOFILE]! > 1048576n ? 1048576n : this.rlimits.cur[RLIMIT.NOFILE]!);
    if (!inherit) this.fds.adoptStdio();
  }

  get tid(): number { return this.cur.tid; }
  get vcpu(): VcpuHandle { return this.cur.h; }
  /** the current thread's view of the signal state */
  get signals(): ThreadSignals { return this.cur.sig; }
  /** a thread id no live thread has (guest tids are the monitor's, above the pid) */
  newTid(): number {
    do this.lastTid = this.lastTid >= 0x3fffffff ? this.pid + 1 : this.lastTid + 1;
    while (this.threads.has(this.lastTid));
    return this.lastTid;
  }

  /** host address of a monitor-owned buffer passed to a host call */
  scratchAddrFor(b: Uint8Array): number { return addressOf(b); }

  log(line: string): void { hostWriteString(this.opts.logFd, `${line}\n`); }

  /** host address for a guest buffer the host kernel will access, or -1 (EFAULT) */
  hostPtr(ptr: number, len: number): number {
    return userHostAddr(this.mem, ptr, len);
  }

  /** host address for an optional pointer: 0 stays NULL */
  hostPtrOpt(ptr: number, len: number): number {
    return ptr === 0 ? 0 : userHostAddr(this.mem, ptr, len);
  }

  readBytes(ptr: number, len: number): Uint8Array | null {
    if (!this.as.canRead(ptr, len)) return null;
    return this.mem.read(ptr, len);
  }

  writeBytes(ptr: number, data: Uint8Array): boolean {
    if (!this.as.canWrite(ptr, data.length)) return false;
    this.mem.write(ptr, data);
    return true;
  }

  readU64(ptr: number): number | null {
    if (!this.as.canRead(ptr, 8)) return null;
    return this.mem.readI64(ptr);
  }

  writeU64(ptr: number, v: number): boolean {
    if (!this.as.canWrite(ptr, 8)) return false;
    this.mem.writeU64(ptr, v);
    return true;
  }

  writeU32(ptr: number, v: number): boolean {
    if (!this.as.canWrite(ptr, 4)) return false;
    this.mem.writeU32(ptr, v);
    return true;
  }

  /** a NUL-terminated guest string: the string, or -EFAULT / -ENAMETOOLONG */
  readString(ptr: number, max = PATH_MAX): string | number {
    const b = this.readCString(ptr, max);
    return typeof b === 'number' ? b : b.toString('utf8', 0, b.length - 1);
  }

  /** raw bytes of a NUL-terminated guest string (paths are bytes, not text) */
  readCString(ptr: number, max = PATH_MAX): Buffer | number {
    const parts: Uint8Array[] = [];
    let at = ptr, total = 0;
    while (total < max) {
      const chunk = Math.min(PAGE_SIZE - (at % PAGE_SIZE), max - total);
      if (!this.as.canRead(at, chunk)) return -E.EFAULT;
      const v = this.mem.read(at, chunk);
      const nul = v.indexOf(0);
      if (nul >= 0) { parts.push(v.subarray(0, nul + 1)); return Buffer.concat(parts); }
      parts.push(v.slice());
      at += chunk; total += chunk;
    }
    return -E.ENAMETOOLONG;
  }
}
