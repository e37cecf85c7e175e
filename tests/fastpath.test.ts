// km's native fast path (read, write, pread64, pwrite64, getpid served without the monitor's
// JavaScript): the payload tests/payloads/fastpath.c, at the path's edges, run natively, under km,
// and under km with the path off (KM_NO_FAST=1): the three runs must print the same, leave the same
// files and end the same way.
import { test } from 'node:test';
import { rmSync } from 'node:fs';
import { buildPayload } from './lib/build.js';
import { requireKvm } from './lib/kvm.js';
import { runBoth, runKmIn, freshDir, assertSameOutcome, type RunSpec } from './lib/run.js';

for (const variant of ['musl', 'glibc'] as const) {
  test(`fast path: same results with and without it, and as native [${variant}]`, { timeout: 120_000 }, (t) => {
    if (!requireKvm(t)) return;
    const exe = buildPayload('fastpath', variant);
    const spec: RunSpec = { snapshot: true };
    const { native, km } = runBoth(exe, spec);
    assertSameOutcome(native, km, `fastpath [${variant}], fast path on`);
    const dir = freshDir();
    try {
      const off = runKmIn(exe, { ...spec, extraEnv: { KM_NO_FAST: '1' } }, dir);
      assertSameOutcome(native, off, `fastpath [${variant}], fast path off`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
