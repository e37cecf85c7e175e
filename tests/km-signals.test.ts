// Signals sent from outside to a waiting payload (tests/payloads/waiter.c), natively and under km,
// where the signal goes to the km process: with handlers installed the payload reports each signal;
// with default actions the parent sees the same wait status (killed by SIGTERM looks killed by
// SIGTERM, SIGQUIT kills with a core-style status, compared by signal name only; SIGWINCH and
// SIGCONT are ignored and the payload goes on). Each case also runs with 3 worker threads asleep
// (in handle mode the main thread blocks the signals, so a worker must take them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPayload, type Variant } from './lib/build.js';
import { requireKvm } from './lib/kvm.js';
import { outcomeOf, runInteractive, type Outcome, type Session } from './lib/spawn.js';

const VARIANTS: readonly Variant[] = ['musl', 'glibc'];
const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGCONT'];
/** Default action "ignore" (SIGCONT: continue, which a running process does not notice). */
const IGNORED = new Set<NodeJS.Signals>(['SIGWINCH', 'SIGCONT']);
const TEST_TIMEOUT_MS = 600_000;

/** Sends every signal in turn, each after the previous one was reported, then ends stdin. */
async function handleAll(s: Session, threads: boolean): Promise<void> {
  await s.waitFor('ready\n');
  for (const sig of SIGNALS) {
    const from = s.stdout.length;
    s.signal(sig);
    await s.waitFor(`got ${sig}${threads ? ' in a worker' : ''}\n`, from);
  }
  s.write('still there?\n');
  await s.waitFor('echo: still there?\n');
  s.endInput();
}

function expectedHandled(threads: boolean): string {
  return ['ready', ...SIGNALS.map((s) => `got ${s}${threads ? ' in a worker' : ''}`), 'echo: still there?', 'bye', ''].join('\n');
}

/** Sends one signal; if it is ignored by default, shows the payload still answers, then ends it. */
function sendOne(sig: NodeJS.Signals) {
  return async (s: Session): Promise<void> => {
    await s.waitFor('ready\n');
    s.signal(sig);
    if (IGNORED.has(sig)) {
      s.write('ping\n');
      await s.waitFor('echo: ping\n');
      s.endInput();
    }
  };
}

function assertSame(native: Outcome, km: Outcome, what: string): void {
  assert.equal(outcomeOf(km), outcomeOf(native), `${what}: under km ${outcomeOf(km)}, natively ${outcomeOf(native)}\n--- km stderr ---\n${km.stderr}`);
  assert.equal(km.stdout, native.stdout, `${what}: stdout differs (actual: km, expected: native)`);
  assert.equal(km.stderr, native.stderr, `${what}: stderr differs (actual: km, expected: native)`);
}

for (const variant of VARIANTS) {
  for (const threads of [false, true]) {
    const args = threads ? ['threads'] : [];
    const tag = threads ? ' with 3 threads' : '';

    const checkHandled = (r: Outcome) => {
      assert.equal(outcomeOf(r), 'exit status 0', `${r.how}: ${outcomeOf(r)}\n${r.stdout}\n${r.stderr}`);
      assert.equal(r.stdout, expectedHandled(threads));
      assert.equal(r.stderr, '');
    };
    test(`waiter handle${tag}: each signal sent from outside reaches its handler [${variant}] native`, { timeout: TEST_TIMEOUT_MS }, async () => {
      const exe = buildPayload('waiter', variant);
      checkHandled(await runInteractive('native', exe, { args: ['handle', ...args], stepMs: 10_000 }, (s) => handleAll(s, threads)));
    });
    test(`waiter handle${tag}: each signal sent from outside reaches its handler [${variant}] km`, { timeout: TEST_TIMEOUT_MS }, async (t) => {
      if (!requireKvm(t)) return;
      const exe = buildPayload('waiter', variant);
      const native = await runInteractive('native', exe, { args: ['handle', ...args], stepMs: 10_000 }, (s) => handleAll(s, threads));
      checkHandled(native);
      const km = await runInteractive('km', exe, { args: ['handle', ...args] }, (s) => handleAll(s, threads));
      assertSame(native, km, `waiter handle${tag} [${variant}]`);
    });

    for (const sig of SIGNALS) {
      const checkDefault = (r: Outcome) => {
        if (IGNORED.has(sig)) {
          assert.equal(outcomeOf(r), 'exit status 0', `${r.how}: ${sig} should be ignored, got ${outcomeOf(r)}\n${r.stderr}`);
          assert.equal(r.stdout, 'ready\necho: ping\nbye\n');
        } else {
          assert.equal(outcomeOf(r), `killed by ${sig}`, `${r.how}: ${r.stdout}\n${r.stderr}`);
          assert.equal(r.stdout, 'ready\n');
        }
        assert.equal(r.stderr, '');
      };
      const title = `waiter default${tag}: ${sig} with its default action [${variant}]`;
      test(`${title} native`, { timeout: TEST_TIMEOUT_MS }, async () => {
        const exe = buildPayload('waiter', variant);
        checkDefault(await runInteractive('native', exe, { args: ['default', ...args], stepMs: 10_000 }, sendOne(sig)));
      });
      test(`${title} km`, { timeout: TEST_TIMEOUT_MS }, async (t) => {
        if (!requireKvm(t)) return;
        const exe = buildPayload('waiter', variant);
        const native = await runInteractive('native', exe, { args: ['default', ...args], stepMs: 10_000 }, sendOne(sig));
        checkDefault(native);
        const km = await runInteractive('km', exe, { args: ['default', ...args] }, sendOne(sig));
        assertSame(native, km, title);
      });
    }
  }
}

// Many signals in a row, each sent while the payload is on its way back into read(): one that
// arrives between the syscall exit and the host call must interrupt it, not wait behind it (the
// native fast path once blocked in read with a deliverable signal pending: a hang after ~30).
const ROUNDS = 240;
for (const variant of VARIANTS) {
  for (const threads of [false, true]) {
    const tag = threads ? ' threads' : '';
    test(`waiter handle${tag}: ${ROUNDS} signals in a row each reach the handler [${variant}] km`, { timeout: TEST_TIMEOUT_MS }, async (t) => {
      if (!requireKvm(t)) return;
      const exe = buildPayload('waiter', variant);
      const km = await runInteractive('km', exe, { args: ['handle', ...(threads ? ['threads'] : [])], stepMs: 20_000 }, async (s) => {
        await s.waitFor('ready\n');
        for (let i = 0; i < ROUNDS; i++) {
          const sig = SIGNALS[i % SIGNALS.length]!;
          const from = s.stdout.length;
          s.signal(sig);
          await s.waitFor(`got ${sig}${threads ? ' in a worker' : ''}\n`, from);
        }
        s.endInput();
      });
      assert.equal(outcomeOf(km), 'exit status 0', km.stderr);
      assert.equal(km.stdout.split('\n').filter((l) => l.startsWith('got ')).length, ROUNDS);
    });
  }
}
