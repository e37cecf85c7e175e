// Signals in multi-threaded payloads natively and under km (tests/payloads/thread-signals.c):
// thread-directed signals (tgkill), per-thread masks and process-directed delivery, sigtimedwait /
// sigqueue / rt_sigqueueinfo / rt_tgsigqueueinfo, sigsuspend, per-thread alternate stacks for
// SIGSEGV, SIGFPE codes, vector and FPU state across handlers and context switches, and the whole
// process ending from any thread (exit, exit in a worker, a fatal fault in a worker).
import assert from 'node:assert/strict';
import { assertChecksPassed, assertKilledBy } from './lib/checks.js';
import { definePayloadTests } from './lib/payload.js';
import type { Variant } from './lib/build.js';
import { assertSameOutcome, type RunResult } from './lib/run.js';

const LIBCS: readonly Variant[] = ['musl', 'glibc'];
/** How long the exit modes may take under km: their threads sleep 1000 s unless exit ends them. */
const PROMPT_KM_MS = 100_000;

function passedWith(want: readonly string[]) {
  return (r: RunResult) => {
    assertChecksPassed(r);
    const got = new Set(r.stdout.split('\n'));
    for (const line of want) assert.ok(got.has(line), `missing line "${line}" in:\n${r.stdout}`);
  };
}

const MODES: Record<string, readonly string[]> = {
  tgkill: [
    'the handler ran in worker 2: yes',
    'pthread_self() in the handler is worker 2: ok',
    'si_code SI_TKILL, si_pid is getpid(): yes',
    'the handler ran in worker 1: yes',
    'the handler ran in worker 3: yes',
    'pthread_kill(self): delivered before it returned: yes, in main: yes',
    'tgkill with the wrong tgid: -1 ESRCH',
    'tgkill with signal 1000: -1 EINVAL',
    'signals handled: 4',
  ],
  mask: [
    'process-directed SIGUSR2, main blocks it: handled by the worker: yes, si_code SI_USER',
    'every thread blocks it: handled: not yet',
    'pending for the process, seen by main: yes',
    'pending for the process, seen by the worker: yes',
    'main unblocks it: handled by main at once: yes',
    'pending afterwards: no',
  ],
  sigwait: [
    'sigtimedwait 30 ms, nothing pending: -1 EAGAIN',
    'sigtimedwait: SIGUSR1, si_signo SIGUSR1, si_code SI_QUEUE, si_value 1234, si_pid is getpid(): yes, si_uid is getuid(): yes',
    'standard signal queued twice: first SIGUSR1 value 1',
    '  second (coalesced): -1 EAGAIN',
    'SIGRTMIN+1 queued 3 times, values: 101 102 103',
    'sigwaitinfo woken by another thread\'s sigqueue: SIGUSR1 value 99 code SI_QUEUE',
    '  received: SIGUSR1 value 555 code SI_QUEUE',
    '  the worker\'s sigtimedwait got it: yes value 4321 code SI_QUEUE',
    'sigwait after kill(): 0 SIGUSR1',
  ],
  sigsuspend: [
    'woken by pthread_kill: -1 EINTR, SIGUSR1 handled 1 in main: yes',
    'woken by a process-directed kill: -1 EINTR, SIGUSR1 handled 2 in main: yes',
    'pending before the call: returns at once: -1 EINTR, handled 3',
    'mask lets only SIGUSR2 in: -1 EINTR, SIGUSR2 handled 1, SIGUSR1 handled 3',
    'SIGUSR1 pending after it: yes',
    'unblocked: SIGUSR1 handled 4',
  ],
  'altstack-segv': [
    'worker with an alternate stack: SIGSEGV at 0x10: yes, handler on its alternate stack: yes, SS_ONSTACK: yes',
    'worker stack overflow handled on the alternate stack: yes',
    'worker without one: SIGSEGV at 0x10: yes, handler on an alternate stack: no, SS_ONSTACK: no',
  ],
  fpe: [
    'main: int 10/0: FPE_INTDIV, si_addr == RIP: yes, in this thread: yes',
    'main: INT_MIN/-1: FPE_INTDIV',
    'main: long 7%0: FPE_INTDIV',
    'main: SSE 1.0/0.0 with ZM unmasked: FPE_FLTDIV',
    'worker: int 10/0: FPE_INTDIV, si_addr == RIP: yes, in this thread: yes',
    'worker: SSE 1.0/0.0 with ZM unmasked: FPE_FLTDIV',
  ],
  'all-handlers': ['SIGUSR1 handled: 100; other signals: none'],
  // km answers the plain case of rt_sigprocmask inside the guest (guest/entry.S); the rest, and a
  // bad pointer met there, reach the monitor
  sigprocmask: [
    'SIG_BLOCK USR1: 0, old had USR1: no, now blocked: yes',
    'SIG_BLOCK USR2 too: 0, both blocked: yes',
    'SIG_UNBLOCK USR1: 0, old had both: yes, now USR1 unblocked, USR2 blocked',
    'SIG_SETMASK all: 0, SIGKILL blocked: no, SIGSTOP blocked: no, SIGTERM blocked: yes, SIGRTMAX blocked: yes',
    'SIG_SETMASK back: the mask is the starting one: yes',
    'how 3 with a set: EINVAL',
    'how -1 with a set: EINVAL',
    'how 3 without a set: 0',
    'sigsetsize 4: EINVAL, sigsetsize 16: EINVAL',
    'mask unchanged by the failures: yes',
    'set and old set NULL: 0',
    'unmapped set: EFAULT, mask unchanged: yes',
    'read-only old set: EFAULT, USR1 blocked anyway (Linux changes the mask first): yes',
    'unmapped old set: EFAULT',
    'thread-directed USR1 pending, unblocked: handled before the call returned: yes',
    'process-directed USR2 pending, a worker unblocks it: handled by the worker before its call returned: yes',
    'pthread_kill to a thread spinning in rt_sigprocmask: handled 200 of 200',
    'kill(getpid()) while main blocks it: handled by the spinning thread 200 of 200',
  ],
  fpu: [
    'xmm0-15 across a handler that clobbers them: bit-exact (handler ran: yes, MXCSR kept: yes)',
    'threads whose per-thread rounding-mode sums matched bit for bit: 5 of 5',
    'threads whose vector registers survived 200 sched_yield calls: 5 of 5',
  ],
};

for (const [mode, want] of Object.entries(MODES)) {
  definePayloadTests({
    payload: 'thread-signals',
    args: [mode],
    variants: LIBCS,
    native(r) {
      passedWith(want)(r);
      if (mode === 'fpu') {
        // the wider registers are tested where the CPU has them; the line must say which
        assert.match(r.stdout, /^ymm0-15(?: across a handler that clobbers them: bit-exact \(handler ran: yes, MXCSR kept: yes\)|: skipped \(no AVX\))$/m);
        assert.match(r.stdout, /^zmm0-31(?: across a handler that clobbers them: bit-exact \(handler ran: yes, MXCSR kept: yes\)|: skipped \(no AVX-512\))$/m);
      }
    },
  });
}

// the same checks with every call taken to the monitor (no native fast path, no answers in the guest)
definePayloadTests({
  payload: 'thread-signals',
  title: 'thread-signals sigprocmask, KM_NO_FAST=1',
  args: ['sigprocmask'],
  extraEnv: { KM_NO_FAST: '1' },
  variants: LIBCS,
  native: passedWith(MODES.sigprocmask!),
});

function promptUnderKm(native: RunResult, km: RunResult): void {
  assertSameOutcome(native, km);
  assert.ok(km.ms < PROMPT_KM_MS, `under km the process took ${Math.round(km.ms)} ms to end: blocked threads held it up`);
}

definePayloadTests({
  payload: 'thread-signals',
  args: ['exit-group'],
  variants: LIBCS,
  native(r) {
    assert.equal(r.signal, null);
    assert.equal(r.status, 3, r.stderr);
    assert.equal(r.stdout, '5 threads blocked; main calls exit(3)\natexit handler ran in the exiting thread: main\n');
    assert.equal(r.stderr, '');
    assert.ok(r.ms < 5000, `exit took ${r.ms} ms`);
  },
  compare: promptUnderKm,
});

definePayloadTests({
  payload: 'thread-signals',
  args: ['exit-from-thread'],
  variants: LIBCS,
  native(r) {
    assert.equal(r.signal, null);
    assert.equal(r.status, 4, r.stderr);
    assert.equal(r.stdout, 'worker calls exit(4)\natexit handler ran in the exiting thread: worker\n');
    assert.equal(r.stderr, '');
    assert.ok(r.ms < 5000, `exit took ${r.ms} ms`);
  },
  compare: promptUnderKm,
});

definePayloadTests({
  payload: 'thread-signals',
  args: ['fatal-in-thread'],
  variants: LIBCS,
  snapshot: true, // no core file
  native(r) {
    assertKilledBy(r, 'SIGSEGV', 'worker writes through NULL\n');
    assert.equal(r.stderr, '');
    assert.deepEqual(r.files, {});
  },
  compare: promptUnderKm,
});
