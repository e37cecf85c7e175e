// The shape of the syscall table: one declarative entry per system call.
import type { SyscallName } from '../host/sysno.js';
import type { Process } from '../km/process.js';
import type { HostCall, Park } from '../km/thread.js';

/** passthrough: forwarded to the host kernel with pointers/fds translated; emulated: implemented by
 * the monitor; partial: some modes refused (see notes); unsupported: ENOSYS */
export type Status = 'passthrough' | 'emulated' | 'partial' | 'unsupported';

/** How trace output decodes an argument. */
export type ArgKind = 'int' | 'uint' | 'hex' | 'fd' | 'dirfd' | 'ptr' | 'str' | 'size' | 'off' | 'oflags'
  | 'mode' | 'prot' | 'mapflags' | 'signal' | 'clock' | 'whence' | 'atflags' | 'ioctl' | 'fcntl' | 'code'
  | 'family' | 'socktype' | 'sockaddr';

/** Handler arguments: the six syscall registers as signed 64-bit values (exact below 2^53). */
export type Args = Float64Array;
/** a result, a blocking host call to make on the thread's behalf, or a wait in the monitor */
export type Handler = (p: Process, a: Args) => number | HostCall | Park;

export interface SyscallDef {
  name: SyscallName;
  status: Status;
  args: ArgKind[];
  handler?: Handler;
  /** how the result is printed in traces */
  ret?: 'int' | 'hex' | 'fd';
  /** whether an EPIPE result also raises SIGPIPE, as writes do (default: yes); sockets say no
   * for MSG_NOSIGNAL and for calls that do not write */
  sigpipe?: (a: Args) => boolean;
  notes?: string;
  /** served by the native fast path (native/km_native.c) in its plain case, without a round trip
   * through the monitor: the handler still defines the call and serves every other case */
  fast?: FastKind;
}

/** fast-path kinds; the numbers are km_native.c's FAST_* */
export const FAST_KIND = { fdBuffer: 1, getpid: 2, futex: 3, epoll: 4, yield: 5, sigmask: 6, threadExit: 7 } as const;
/** fdBuffer: (fd, buffer, length[, offset]) on a plain host fd with the buffer inside guest memory,
 * made as the handler would make it; getpid: the monitor's pid; futex: the host futex of the same
 * memory, for the operations and timeouts the handler passes through as they are; epoll: a wait
 * on a plain host epoll fd into guest memory (no temporary signal mask); yield: sched_yield;
 * sigmask: rt_sigprocmask while no signal is pending for the thread or the process; threadExit:
 * only the first step of a thread's exit, clearing and waking clear_child_tid when the thread holds
 * no robust futex, before the handler ends the thread as always */
export type FastKind = keyof typeof FAST_KIND;

/** lower 32 bits as a signed int, as the kernel reads `int` arguments */
export const int = (x: number): number => x | 0;
/** lower 32 bits unsigned */
export const uint = (x: number): number => x >>> 0;
