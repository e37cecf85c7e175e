// Go programs (tests/go/<name>/main.go) natively and under km. The Go runtime is a demanding
// threaded payload: it starts several OS threads (clone), parks them on futexes, installs handlers
// for every signal on per-thread alternate stacks, preempts goroutines with SIGURG via tgkill, and
// uses timers, epoll/nanosleep and large sparse heap reservations.
//
// Each program is built once per test process with `go build` (CGO_ENABLED=0: a static ET_EXEC),
// cached in a temporary directory keyed by the source's hash and the Go version. Without a `go`
// command the tests fail, unless KM_TEST_ALLOW_NO_KVM=1, in which case they are skipped with the
// reason (apt-get install golang-go).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goBinary } from './lib/go.js';
import { requireKvm } from './lib/kvm.js';
import { assertSameOutcome, KM_TIMEOUT_MS, lines, runBoth, runNative, type RunResult, type RunSpec } from './lib/run.js';
import { outcomeOf, runInteractive, type Outcome, type Session } from './lib/spawn.js';

/** Go programs are slow to start under emulated KVM: generous limits for each test. */
const TEST_TIMEOUT_MS = Math.max(900_000, 3 * KM_TIMEOUT_MS);

interface GoCase extends RunSpec {
  program: string;
  title: string;
  native: (r: RunResult) => void;
  compare?: (native: RunResult, km: RunResult) => void;
}

function defineGoTests(c: GoCase): void {
  test(`go ${c.title} native`, { timeout: TEST_TIMEOUT_MS }, (t) => {
    const exe = goBinary(t, c.program);
    if (exe) c.native(runNative(exe, c));
  });
  test(`go ${c.title} km`, { timeout: TEST_TIMEOUT_MS }, (t) => {
    if (!requireKvm(t)) return;
    const exe = goBinary(t, c.program);
    if (!exe) return;
    const { native, km } = runBoth(exe, c);
    c.native(native);
    (c.compare ?? assertSameOutcome)(native, km);
  });
}

function exit0(r: RunResult): void {
  assert.equal(outcomeOf(r), 'exit status 0', `${outcomeOf(r)}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`);
  assert.equal(r.stderr, '');
}

defineGoTests({
  program: 'hello',
  title: 'hello',
  native(r) {
    exit0(r);
    assert.equal(r.stdout, 'hello from Go on linux/amd64\nargs: 1, TEST_VAR set: true\n');
  },
});

const GOROUTINES_OUT = 'goroutines: 10000, values received: 10000, sum: 150015000 (want 150015000)\n' +
  'pipeline of 100 stages: sum 599500 (want 599500)\nmutex counter: 100000 (want 100000)\nok\n';

defineGoTests({
  program: 'goroutines',
  title: 'goroutines: 10,000 goroutines, channels, WaitGroup, mutex',
  native(r) {
    exit0(r);
    assert.equal(r.stdout, GOROUTINES_OUT);
  },
});

for (const procs of ['1', '2', '4']) {
  defineGoTests({
    program: 'goroutines',
    title: `goroutines with GOMAXPROCS=${procs}`,
    extraEnv: { GOMAXPROCS: procs },
    native(r) {
      exit0(r);
      assert.equal(r.stdout, `GOMAXPROCS=${procs}\n${GOROUTINES_OUT}`);
    },
  });
}

defineGoTests({
  program: 'gc',
  title: 'gc: allocation-heavy workload with collections',
  native(r) {
    exit0(r);
    assert.equal(r.stdout, 'long-lived tree: 131071 nodes (want 131071)\nallocated and counted: 1730560 (want 1730560)\n' +
      'collections ran: at least 5: true\nok\n');
  },
});

// goroutines in loops without calls can only be preempted asynchronously (SIGURG, a handler that
// redirects them to runtime.asyncPreempt): their registers must survive it bit for bit
for (const procs of ['1', '2']) {
  defineGoTests({
    program: 'preempt',
    title: `preempt: goroutines spinning without calls, GOMAXPROCS=${procs}`,
    extraEnv: { GOMAXPROCS: procs },
    native(r) {
      exit0(r);
      assert.equal(r.stdout, '4 goroutines spinning without calls, preempted asynchronously: states intact: true\n');
    },
  });
}

defineGoTests({
  program: 'timers',
  title: 'timers: Sleep, After, Ticker, AfterFunc, Stop, Reset',
  native(r) {
    exit0(r);
    assert.doesNotMatch(r.stdout, /FAIL/);
    assert.match(r.stdout, /^Ticker\(10ms\): 5 ticks, not early: ok$/m);
    assert.match(r.stdout, /^failures: 0\n$/m);
  },
});

/** The first `n` lines of stderr (the traceback's addresses and goroutine states vary below). */
function head(s: string, n: number): string[] {
  return lines(s).slice(0, n);
}

defineGoTests({
  program: 'panic',
  title: 'panic: exit status 2 and a traceback',
  native(r) {
    assert.equal(outcomeOf(r), 'exit status 2', r.stderr);
    assert.equal(r.stdout, 'recovered: assignment to entry in nil map\n');
    assert.deepEqual(head(r.stderr, 4), ['panic: boom from the test payload', '', 'goroutine 1 [running]:', 'main.main()']);
  },
  compare(native, km) {
    assert.equal(outcomeOf(km), outcomeOf(native), km.stderr);
    assert.equal(km.stdout, native.stdout);
    assert.deepEqual(head(km.stderr, 4), head(native.stderr, 4));
  },
});

defineGoTests({
  program: 'panic',
  title: 'panic from a nil dereference (SIGSEGV into the Go runtime)',
  args: ['nil'],
  native(r) {
    assert.equal(outcomeOf(r), 'exit status 2', r.stderr);
    const h = head(r.stderr, 4);
    assert.equal(h[0], 'panic: runtime error: invalid memory address or nil pointer dereference');
    assert.match(h[1] ?? '', /^\[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x[0-9a-f]+\]$/);
    assert.equal(h[3], 'goroutine 1 [running]:');
  },
  compare(native, km) {
    assert.equal(outcomeOf(km), outcomeOf(native), km.stderr);
    assert.equal(km.stdout, native.stdout);
    // same binary at the same address: even the faulting pc must match
    assert.deepEqual(head(km.stderr, 4), head(native.stderr, 4));
  },
});

/** Sends SIGINT, waits for it to be reported, then SIGTERM. */
async function interruptThenTerminate(s: Session): Promise<void> {
  await s.waitFor('ready\n');
  s.signal('SIGINT');
  await s.waitFor('received interrupt\n');
  s.signal('SIGTERM');
}

function checkSignals(r: Outcome): void {
  assert.equal(outcomeOf(r), 'exit status 0', `${r.how}: ${outcomeOf(r)}\n${r.stdout}\n${r.stderr}`);
  assert.equal(r.stdout, 'ready\nreceived interrupt\nreceived terminated\nbye\n');
  assert.equal(r.stderr, '');
}

test('go signals: os/signal.Notify gets SIGINT and SIGTERM sent from outside native', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const exe = goBinary(t, 'signals');
  if (!exe) return;
  checkSignals(await runInteractive('native', exe, { stepMs: 20_000 }, interruptThenTerminate));
});

test('go signals: os/signal.Notify gets SIGINT and SIGTERM sent from outside km', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  if (!requireKvm(t)) return;
  const exe = goBinary(t, 'signals');
  if (!exe) return;
  const native = await runInteractive('native', exe, { stepMs: 20_000 }, interruptThenTerminate);
  checkSignals(native);
  const km = await runInteractive('km', exe, {}, interruptThenTerminate);
  checkSignals(km);
});
