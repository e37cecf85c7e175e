// Signal handlers in a single-threaded payload, natively and under km: handlers with siginfo,
// blocked and pending signals, recovery from faults (siglongjmp, an edited context, an alternate
// stack), FPU state kept across a handler, SA_RESETHAND, and signals sent to km from outside.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { assertKilledBy } from './lib/checks.js';
import { definePayloadTests } from './lib/payload.js';
import { buildPayload, VARIANTS } from './lib/build.js';
import { requireKvm } from './lib/kvm.js';
import { kmPath } from './lib/paths.js';
import { freshDir, testEnv, KM_TIMEOUT_MS } from './lib/run.js';

definePayloadTests({
  payload: 'sighandler',
  args: ['self'],
  native(r) {
    assertKilledBy(r, 'SIGTERM');
    for (const line of ['SIGUSR1 handled: count=1 signo=10 code=SI_TKILL', 'kill(getpid()): count=2 code=SI_USER',
      'blocked: count=2 pending=1', 'unblocked: count=3', 'SIGSEGV recovered: signo=11 addr=0x1234', 'SIGFPE recovered: signo=8',
      'SIGILL recovered: signo=4', 'resumed at the address set in the ucontext', 'after the edited context',
      'FPU state preserved across a handler: yes', 'SA_RESETHAND: handler reset to default: yes', 'ignored SIGUSR2']) {
      assert.ok(r.stdout.includes(`${line}\n`), `missing "${line}" in:\n${r.stdout}`);
    }
  },
});

definePayloadTests({
  payload: 'sighandler',
  args: ['altstack'],
  native(r) {
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'stack overflow recovered on the alternate stack: signo=11\n');
  },
});

/** Runs `sighandler wait`, sends it SIGINT, SIGTERM, SIGUSR1, SIGHUP once it is ready. */
function sendSignals(file: string, args: string[], timeoutMs: number): Promise<{ stdout: string; code: number | null; signal: string | null }> {
  return new Promise((resolve, reject) => {
    const cwd = freshDir();
    const child = spawn(file, args, { cwd, env: testEnv(cwd), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let sent = false;
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`timed out; stdout so far: ${stdout}`)); }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!sent && stdout.includes('ready\n')) {
        sent = true;
        const sigs: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGUSR1', 'SIGHUP'];
        let i = 0;
        const next = () => { if (i < sigs.length) { child.kill(sigs[i++]); setTimeout(next, 200); } };
        next();
      }
    });
    child.on('exit', (code, signal) => { clearTimeout(timer); child.stdout.on('end', () => resolve({ stdout, code, signal })); if (child.stdout.readableEnded) resolve({ stdout, code, signal }); });
  });
}

for (const variant of VARIANTS) {
  test(`signals sent to km from outside reach the payload's handlers [${variant}]`, { timeout: 300_000 }, async (t) => {
    if (!requireKvm(t)) return;
    const exe = buildPayload('sighandler', variant);
    const native = await sendSignals(exe, ['wait'], 60_000);
    assert.equal(native.code, 0);
    const km = await sendSignals(kmPath, [exe, 'wait'], KM_TIMEOUT_MS);
    assert.deepEqual(km, native);
  });
}

test('a signal sent to km with no handler ends it with that signal, like the native program', { timeout: 300_000 }, async (t) => {
  if (!requireKvm(t)) return;
  const hello = buildPayload('sighandler', 'musl');
  // `sighandler wait` handles SIGTERM; SIGQUIT has no handler there: default action, core signal
  const cwd = freshDir();
  const res = await new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    const child = spawn(kmPath, [hello, 'wait'], { cwd, env: testEnv(cwd), stdio: ['ignore', 'pipe', 'ignore'] });
    child.stdout.on('data', (d: Buffer) => { if (d.toString().includes('ready')) child.kill('SIGQUIT'); });
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  assert.deepEqual(res, { code: null, signal: 'SIGQUIT' });
});
