// Runs a validated payload to its end and turns that end into km's own: the payload's exit status,
// or death by the payload's signal.
import { sys, native } from '../host/native.js';
import { SYS } from '../host/sysno.js';
import { HostError } from '../host/hostcalls.js';
import { errnoMessage } from '../host/errno.js';
import { dieBySignal, signalName } from '../host/signals.js';
import { startPayload, type PayloadSpec } from '../km/monitor.js';
import { PayloadExit, PayloadKilled, MonitorError, ExecRequest } from '../km/exit.js';
import { endForExec } from '../km/exec.js';
import { deleteAllTimers } from '../km/timers.js';
import { releaseVforkParent, startForkedChild } from '../km/fork.js';
import { PROFILING_KM } from '../km/deliver.js';
import type { Thread } from '../km/thread.js';
import { KvmError } from '../kvm/kvm.js';
import type { MonitorOptions, Process } from '../km/process.js';
import { describe } from '../syscalls/table.js';
import { vcpuStats } from '../kvm/stats.js';
import { ElfError } from '../elf/elf.js';
import { ArgListTooLong } from '../elf/stack.js';
import { textOf } from '../util/bytes.js';

const F_DUPFD_CLOEXEC = 1030;

function printStats(p: Process): void {
  const rows = [...p.stats].sort((x, y) => y[1].ns - x[1].ns);
  const total = rows.reduce((n, [, s]) => n + s.count, 0);
  const lines = ['[km] syscall statistics', `${'syscall'.padEnd(20)} ${'calls'.padStart(9)} ${'errors'.padStart(7)} ${'total ms'.padStart(10)} ${'us/call'.padStart(9)}`];
  for (const [nr, s] of rows) {
    lines.push(`${(describe(nr)?.name ?? `syscall_${nr}`).padEnd(20)} ${String(s.count).padStart(9)} ${String(s.errors).padStart(7)} ${(s.ns / 1e6).toFixed(3).padStart(10)} ${(s.ns / 1e3 / s.count).toFixed(2).padStart(9)}`);
  }
  lines.push(`${'total'.padEnd(20)} ${String(total).padStart(9)}`);
  const c = p.sched.counts;
  lines.push(`[km] other vCPU exits: interrupted ${c.interrupts}, faults ${c.faults}; kicks sent ${c.kicks}; calls on vCPU threads ${c.hostCalls}; monitor waits ${c.parks}; threads at most ${p.sched.maxLive}`);
  const kvm = new Map<string, bigint>();
  for (const h of p.machine.allVcpus) for (const [k, v] of vcpuStats(h.vcpu.fd)) kvm.set(k, (kvm.get(k) ?? 0n) + v);
  const counters = [...kvm].filter(([, v]) => v !== 0n).map(([k, v]) => `${k} ${v}`);
  if (counters.length) lines.push(`[km] KVM's counters, all vCPUs: ${counters.join(', ')}`);
  p.log(lines.join('\n'));
}

/** the launcher's (bin/km.cjs) code-cache writer, set when it had no usable cache */
const saveCodeCache = (): void => (globalThis as { __kmSaveCodeCache?: () => void }).__kmSaveCodeCache?.();

type Start = () => { proc: Process; main: Thread };

/** km's own messages go to a private copy of stderr: the payload owns fds 0..2 */
const openLog = (): number => sys(SYS.fcntl, 2, F_DUPFD_CLOEXEC, 100);

const fail = (msg: string, code: number): never => {
  (globalThis as { __kmWriteErr?: (s: string) => void }).__kmWriteErr?.(`${msg}\n`);
  process.exit(code);
};

export function runPayloadToEnd(spec: PayloadSpec, opts: MonitorOptions): never {
  const withLog = { ...opts, logFd: openLog() };
  return runMonitor(() => startPayload(spec, withLog), withLog, spec.execfn);
}

/** The child half of a fork (src/km/fork.ts): the state comes from the parent monitor. */
export function runForkedChild(fds: string): never {
  let started: ReturnType<typeof startForkedChild>;
  try {
    started = startForkedChild(fds, openLog());
  } catch (e) {
    if (e instanceof Error) return fail(`km: fork: ${e.message.split('\n')[0]}`, 125);
    throw e;
  }
  return runMonitor(() => started, started.proc.opts, started.proc.argv[0] !== undefined ? textOf(started.proc.argv[0]) : started.proc.exePath);
}

/** Runs payloads until one ends: an execve replaces the payload and goes on in this monitor. */
function runMonitor(start: Start, opts: MonitorOptions, name: string): never {
  let proc: Process | undefined;
  for (;;) {
    try {
      const started = start();
      proc = started.proc;
      return started.proc.sched.run(started.main);
    } catch (e) {
      if (e instanceof ExecRequest && proc) {
        const carry = endForExec(proc, e.thread);
        const spec = e.spec;
        name = spec.execfn;
        proc = undefined;
        start = () => { const s = startPayload(spec, opts, carry); releaseVforkParent(); return s; };
        continue;
      }
      // the payload's host timers die with it, before km's own end (which may take a while)
      if ((e instanceof PayloadExit || e instanceof PayloadKilled) && proc) deleteAllTimers(proc);
      if (e instanceof PayloadExit) {
        if (proc && opts.stats) printStats(proc);
        saveCodeCache();
        // at once, without node's teardown (its worker threads take ~10 ms to stop, and other vCPU
        // threads may be running)
        if (PROFILING_KM) process.exit(e.status);
        native.exitDetached(e.status);
      }
      if (e instanceof PayloadKilled) {
        if (proc && opts.stats) printStats(proc);
        saveCodeCache();
        if (proc && (opts.verbose || opts.trace)) proc.log(`km: ${name}: killed by ${signalName(e.signal)}: ${e.detail}`);
        dieBySignal(e.signal);
      }
      if (e instanceof KvmError) return fail(`km: ${opts.devicePath}: ${e.message}`, 125);
      if (e instanceof HostError && e.call.startsWith('open ')) {
        return fail(`km: cannot open ${opts.devicePath}: ${errnoMessage(e.errno)}${e.errno === 2 || e.errno === 19 ? ' (KVM is not available on this machine)' : e.errno === 13 ? ' (no permission on the KVM device)' : ''}`, 125);
      }
      if (e instanceof ElfError) return fail(`km: ${name}: ${e.message}`, 126);
      if (e instanceof ArgListTooLong) return fail(`km: ${name}: Argument list too long`, 126);
      if (e instanceof MonitorError) return fail(`km: ${name}: monitor error: ${e.message}`, 125);
      throw e;
    }
  }
}
