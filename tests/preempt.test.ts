// Asynchronous preemption as Go's runtime does it (tests/payloads/preempt.c): a worker holds full
// 64-bit values in every general register, CF/DF and xmm0-15 in a loop of its own assembly while
// another thread sends it SIGURG with tgkill as fast as it can; the handler runs on the worker's
// sigaltstack and either returns, or edits the context like Go's (pushes the interrupted RIP and
// sends the loop through a stub that saves and restores everything). Natively and under km, every
// register must come back bit for bit. km once carried registers through JS numbers, which hold 53
// bits: the low bits of every larger value were rounded at each delivery (Go's heap bitmaps with
// them, so the allocator found its free-slot counts wrong and threw).
import assert from 'node:assert/strict';
import { assertChecksPassed } from './lib/checks.js';
import { definePayloadTests } from './lib/payload.js';
import type { Variant } from './lib/build.js';

const LIBCS: readonly Variant[] = ['musl', 'glibc'];

for (const mode of ['spin', 'redirect', 'syscall']) {
  definePayloadTests({
    payload: 'preempt',
    args: [mode],
    variants: LIBCS,
    native(r) {
      assertChecksPassed(r);
      assert.match(r.stdout, new RegExp(`^mode ${mode}: at least 300 SIGURG handled: yes$`, 'm'));
      assert.match(r.stdout, /^general registers, CF, DF and xmm0-15 intact in every round: ok$/m);
      if (mode === 'redirect') assert.match(r.stdout, /^handler redirected the loop to the preemption stub: yes$/m);
    },
  });
}
