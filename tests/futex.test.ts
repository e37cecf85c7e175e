// futex(2) natively and under km (tests/payloads/futex.c, raw syscalls): EAGAIN on a value
// mismatch, relative and absolute (CLOCK_MONOTONIC, CLOCK_REALTIME) timeouts, argument errors,
// exact WAKE / REQUEUE / CMP_REQUEUE / WAKE_OP counts with waiters known to be asleep, WAKE_OP
// arithmetic, a MAP_SHARED word, robust mutexes whose owner exits, pthread_join's CLEARTID wake.
import assert from 'node:assert/strict';
import { assertChecksPassed } from './lib/checks.js';
import { definePayloadTests } from './lib/payload.js';
import type { Variant } from './lib/build.js';
import type { RunResult } from './lib/run.js';

const LIBCS: readonly Variant[] = ['musl', 'glibc'];

function passedWith(want: readonly string[]) {
  return (r: RunResult) => {
    assertChecksPassed(r);
    const got = new Set(r.stdout.split('\n'));
    for (const line of want) assert.ok(got.has(line), `missing line "${line}" in:\n${r.stdout}`);
  };
}

const PARTS: Record<string, readonly string[]> = {
  errors: [
    'FUTEX_WAIT with a value mismatch: -1 EAGAIN',
    'FUTEX_WAIT 20 ms relative timeout: -1 ETIMEDOUT',
    'FUTEX_WAIT_BITSET absolute CLOCK_MONOTONIC deadline: -1 ETIMEDOUT',
    'FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME absolute deadline: -1 ETIMEDOUT',
    'FUTEX_WAIT_BITSET with a deadline in the past: -1 ETIMEDOUT',
    'FUTEX_WAIT_BITSET with bitset 0: -1 EINVAL',
    'FUTEX_WAIT on an unmapped address: -1 EFAULT',
    'FUTEX_CMP_REQUEUE with a value mismatch: -1 EAGAIN',
    'FUTEX_WAKE_OP ANDN 0x6: returns 0, word 0xf -> 0x9',
  ],
  wake: [
    '3 waiters moved gate -> park by CMP_REQUEUE: 3',
    'FUTEX_WAKE(park, 2): 2',
    'FUTEX_WAKE(park, INT_MAX): 1',
    'FUTEX_WAKE(park, 1): 0',
    'FUTEX_REQUEUE(park, wake 1, requeue 1 -> park2): 2',
    'FUTEX_CMP_REQUEUE(park, wake 2, requeue all -> park2): 4',
    'FUTEX_WAKE(park2, 10): 2',
    'FUTEX_WAKE_OP(park, 1, park2: SET 9 if old == 4): 1, park2 = 9',
    'FUTEX_WAKE_OP(park, 1, park2: ADD 1 if old >= 9): 1, park2 = 10',
  ],
  shared: ['FUTEX_WAIT on a MAP_SHARED word, woken by FUTEX_WAKE from another thread: ok'],
  robust: [
    'pthread_mutexattr_setrobust: 0',
    'lock after the owner exited: EOWNERDEAD',
    'lock again: 0',
    'lock while the owner exits: EOWNERDEAD',
    'lock after unlocking without pthread_mutex_consistent: ENOTRECOVERABLE',
    'trylock after the owner exited: EOWNERDEAD',
  ],
  join: ['20 pthread_joins of threads still running (CLONE_CHILD_CLEARTID wakes): ok'],
};

for (const [part, want] of Object.entries(PARTS)) {
  definePayloadTests({ payload: 'futex', args: [part], variants: LIBCS, native: passedWith(want) });
}
