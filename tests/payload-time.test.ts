// Clocks and sleeps, natively and under km. The payload prints only pass/fail lines.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { buildPayload } from './lib/build.js';
import { assertChecksPassed } from './lib/checks.js';
import { requireKvm } from './lib/kvm.js';
import { definePayloadTests } from './lib/payload.js';
import { runKmIn, runNative } from './lib/run.js';

definePayloadTests({
  payload: 'clocks',
  native(r) { assertChecksPassed(r); },
});

definePayloadTests({
  payload: 'vdso',
  native(r) { assertChecksPassed(r); },
});

// Setting the clock (tests/payloads/settime.c). km never sets the host's clock: it answers as Linux
// answers a process without CAP_SYS_TIME, so the native run drops that capability (setpriv; the
// suite may run as root) and the two must match call for call, the clock unmoved.
const SETPRIV = '/usr/bin/setpriv';
for (const variant of ['musl', 'glibc'] as const) {
  test(`settime [${variant}] native without CAP_SYS_TIME, and km`, { timeout: 300_000 }, (t) => {
    if (!existsSync(SETPRIV)) throw new Error(`${SETPRIV} is missing: apt-get install util-linux`);
    const exe = buildPayload('settime', variant);
    const native = runNative(SETPRIV, { args: ['--bounding-set=-sys_time', exe] });
    assert.equal(native.status, 0, native.stderr);
    for (const line of ['clock_settime REALTIME now: EPERM', 'settimeofday now: EPERM', 'adjtimex ADJ_FREQUENCY: EPERM',
      'adjtimex read: ok, a clock state: yes', 'clock_adjtime MONOTONIC: EOPNOTSUPP', 'the clock moved: no']) {
      assert.ok(native.stdout.split('\n').includes(line), `native: missing "${line}" in:\n${native.stdout}`);
    }
    if (!requireKvm(t)) return;
    const km = runKmIn(exe, {}, tmpdir());
    assert.equal(km.stderr, '');
    assert.equal(km.status, 0);
    assert.equal(km.stdout, native.stdout, 'stdout differs (actual: km, expected: native without CAP_SYS_TIME)');
  });
}
