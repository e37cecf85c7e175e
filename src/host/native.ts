// Typed binding of the native addon (native/km_native.c). Every host system call the monitor
// makes goes through `sys`; results are the kernel's: a value, or -errno.
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export interface NativeAddon {
  /** raw syscall(nr, a0..a5); returns the result or -errno */
  syscall(nr: number, a0?: number, a1?: number, a2?: number, a3?: number, a4?: number, a5?: number): number;
  /** the same for a call that may block the JS thread: -EINTR, without making it, when a caught
   * host signal has not been taken yet (no signal is lost just before the call blocks) */
  blockingSyscall(nr: number, a0?: number, a1?: number, a2?: number, a3?: number, a4?: number, a5?: number): number;
  /** host address of the first byte of a buffer */
  addressOf(buf: ArrayBufferView | ArrayBuffer): number;
  /** a zero-copy ArrayBuffer over [address, address+length) of host memory the caller owns */
  view(address: number, length: number): ArrayBuffer;
  /** host disposition of a signal: 0 default, 1 ignore, 2 catch (recorded for signalTake) */
  signalDisposition(sig: number, mode: 0 | 1 | 2): number;
  /** the host signal km interrupts its own threads with (SIGRTMIN+2) */
  kickSignal(): number;
  /** caught signals since the last call, bit (sig - 1) */
  signalTake(): bigint;
  /** [si_code, si_pid, si_uid, si_value (SIGCHLD: si_status)] of the last caught instance of sig */
  signalInfo(sig: number): [number, number, number, number];
  /** byte set to 1 when a signal is caught (kvm_run.immediate_exit), 0 for none */
  setKickAddress(address: number): void;
  /** vCPU threads (see src/host/vcpu-threads.ts): the shared header + slots, created once */
  threadsInit(slots: number): ArrayBuffer;
  /** starts the host thread of a slot; 0 or -errno */
  threadStart(slot: number): number;
  /** hands the slot's command to its thread */
  post(slot: number): void;
  /** interrupts the slot's KVM_RUN or blocking host call (EINTR) */
  kick(slot: number): void;
  /** sleeps until the event sequence moves past `seen`, a signal is caught, or timeoutNs (< 0: none) */
  waitEvents(seen: number, timeoutNs: number): number;
  /** writes [tsc, CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_BOOTTIME, CLOCK_MONOTONIC_RAW (ns), tsc]
   * as 64-bit words at `address`, read back to back */
  clockSample(address: number): void;
  /** posix_spawn of a child with every signal default and unblocked; keepFds stay open in it.
   * Returns its pid or -errno. */
  spawn(path: string, argv: readonly string[], envp: readonly string[], keepFds: readonly number[]): number;
  /** configures the fast path (see km_native.c): guest memory's host base, the end of the guest's
   * addressable range, the doorbell, and the kind of each syscall number (0: none) */
  fastConfig(enabled: boolean, memBase: number, memLimit: number, doorbellGpa: number, kinds: Uint8Array): void;
  /** the fast path's descriptor table: guest fd -> plain host fd, or -1. Every array passed must stay
   * alive for the life of the process (a vCPU thread may still read the previous one). */
  fastFds(table: Int32Array): void;
  /** the process-directed pending-signal mask the fast path checks (one word, kept alive) */
  fastSignals(shared: BigUint64Array): void;
  /** KVM_RUN on this thread, serving fast exits in place; 0 or -errno as KVM_RUN */
  runFast(vcpuFd: number, runAddr: number, mailboxAddr: number): number;
  /** setuid, setgid, setreuid, setregid, setresuid, setresgid or setgroups (by syscall number) for
   * every thread of the monitor, as the C library's wrappers do; 0 or -errno */
  setCredentials(nr: number, a0: number, a1?: number, a2?: number): number;
  /** ends the process with status; the kernel's teardown of the VM and memory runs in a helper task */
  exitDetached(status: number): never;
  /** [kvm fd, API version, vcpu mmap size, VM fd, vCPU 0 fd] the addon made at load on a helper
   * thread (fds -errno where that failed), or null when there was none or it was taken */
  takePrewarmed(): [number, number, number, number, number] | null;
  /** the file mapped read-only, as an external latin1 string (asString) or an external Buffer, or
   * -errno (the launcher loads the bundle and its code cache this way) */
  mapFile(path: string, asString: boolean): string | Buffer | number;
}

// Works as an ES module (dist/src/host/native.js) and inside the CommonJS bundle that bin/km.cjs runs
// (dist/src/cli/km.bundle.cjs): both sit three levels below the project root.
declare const __dirname: string | undefined;
const here = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');

function load(): NativeAddon {
  // the launcher (bin/km.cjs) loads the addon before the monitor, and leaves it here
  const preloaded = (globalThis as Record<symbol, unknown>)[Symbol.for('km.native')];
  if (preloaded) return preloaded as NativeAddon;
  const path = join(root, 'build', 'Release', 'km_native.node');
  try {
    // process.dlopen rather than require: no module resolution (stat calls, package scopes) at start
    const m = { exports: {} as NativeAddon };
    process.dlopen(m, path);
    return m.exports;
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new Error(`native addon not built (${path}): ${msg}; run 'npm install'`);
  }
}

export const native: NativeAddon = load();
export const sys = native.syscall;

/*
 * The host address of a buffer, for a host call to read or write it. The buffer is kept reachable
 * until 64 more addresses have been taken: the call that uses an address is made right after,
 * usually in the same expression, but in optimized code the buffer itself may already be dead
 * there, and a collection in between (boxing the address as a number allocates) would free its
 * memory under the call. Seen with --single-threaded-gc, which frees at once what the default
 * collector frees later on a helper thread: fstatat(fd, "", AT_EMPTY_PATH) failed with ENOENT
 * about once in 30,000 calls. Anything that holds an address longer keeps its buffer itself.
 */
const pinned: unknown[] = new Array(64);
let pinAt = 0;
export function addressOf(buf: ArrayBufferView | ArrayBuffer): number {
  pinned[pinAt] = buf;
  pinAt = (pinAt + 1) & 63;
  return native.addressOf(buf);
}
export const projectRoot = root;
