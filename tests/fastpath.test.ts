// km's native fast path (read, write, pread64, pwrite64, getpid and futex served without the
// monitor's JavaScript), at its edges: tests/payloads/fastpath.c (descriptors, pointers, lengths,
// EINTR, EPIPE, a thread interrupted in read, a thread's clear_child_tid) and the futex payload's
// error and wake parts, each run
// natively, under km, and under km with the path off (KM_NO_FAST=1): the three runs must print the
// same, leave the same files and end the same way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { buildPayload } from './lib/build.js';
import { requireKvm } from './lib/kvm.js';
import { runBoth, runKmIn, freshDir, assertSameOutcome, type RunSpec } from './lib/run.js';

const CASES: { payload: string; args: string[] }[] = [
  { payload: 'fastpath', args: [] },
  { payload: 'futex', args: ['errors'] },
  { payload: 'futex', args: ['wake'] },
];

/** lines the native run must print (so that the comparison is not between two runs that skipped a part) */
const EXPECTED: Record<string, string[]> = {
  fastpath: ['bare thread started: yes, its tid word cleared: yes, the waiter woken: yes', 'bare thread started: yes, a read-only tid word left as it was: 7'],
};

for (const variant of ['musl', 'glibc'] as const) {
  for (const c of CASES) {
    const title = [c.payload, ...c.args].join(' ');
    test(`fast path: ${title}, same with and without it, and as native [${variant}]`, { timeout: 120_000 }, (t) => {
      if (!requireKvm(t)) return;
      const exe = buildPayload(c.payload, variant);
      const spec: RunSpec = { args: c.args, snapshot: true };
      const { native, km } = runBoth(exe, spec);
      for (const line of EXPECTED[title] ?? []) assert.ok(native.stdout.includes(`${line}\n`), `native output lacks '${line}':\n${native.stdout}`);
      assertSameOutcome(native, km, `${title} [${variant}], fast path on`);
      const dir = freshDir();
      try {
        const off = runKmIn(exe, { ...spec, extraEnv: { KM_NO_FAST: '1' } }, dir);
        assertSameOutcome(native, off, `${title} [${variant}], fast path off`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
}
