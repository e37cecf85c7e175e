// POSIX threads natively and under km (tests/payloads/threads.c): creation and join (many threads in
// all, many at once), mutexes, condition variables, rwlocks, barriers, TLS and thread-specific
// data, cancellation, thread ids, detached threads, a main thread that exits first.
import assert from 'node:assert/strict';
import { assertChecksPassed, assertExit0 } from './lib/checks.js';
import { definePayloadTests } from './lib/payload.js';
import { DYNAMIC_VARIANTS, VARIANTS, type Variant } from './lib/build.js';
import type { RunResult } from './lib/run.js';

const LIBCS: readonly Variant[] = ['musl', 'glibc'];

/** The payload's checks passed and stdout has each of `want` as a whole line. */
function passedWith(want: readonly string[]) {
  return (r: RunResult) => {
    assertChecksPassed(r);
    const got = new Set(r.stdout.split('\n'));
    for (const line of want) assert.ok(got.has(line), `missing line "${line}" in:\n${r.stdout}`);
  };
}

definePayloadTests({
  payload: 'threads',
  args: ['create-join', '1000', '16'],
  // static-PIE and dynamic too: TLS and thread stacks in a relocated executable
  variants: [...VARIANTS, ...DYNAMIC_VARIANTS],
  native: passedWith(['created and joined: 1000, at most 16 alive', 'sum of return values: 332834500',
    'sequential default-attribute threads: sum 328450']),
});

definePayloadTests({
  payload: 'threads',
  args: ['create-join', '64', '64'],
  variants: LIBCS,
  native: passedWith(['created and joined: 64, at most 64 alive', 'sum of return values: 85408']),
});

definePayloadTests({
  payload: 'threads',
  args: ['mutex'],
  variants: LIBCS,
  native: passedWith(['counter: 160000', 'trylock of a mutex held by another thread: EBUSY', 'errorcheck relock: EDEADLK']),
});

definePayloadTests({
  payload: 'threads',
  args: ['condvar'],
  variants: LIBCS,
  native: passedWith(['items consumed: 20000, checksum 30100010000', 'pthread_cond_timedwait with nobody signalling: ETIMEDOUT']),
});

definePayloadTests({
  payload: 'threads',
  args: ['rwlock'],
  variants: LIBCS,
  native: passedWith(['counters after 2 writers x 2000: 4000 4000', 'tryrdlock while write-locked: EBUSY', 'second read lock: 0']),
});

definePayloadTests({
  payload: 'threads',
  args: ['barrier'],
  variants: LIBCS,
  native: passedWith(['rounds: 50, serial-thread returns: 100']),
});

definePayloadTests({
  payload: 'threads',
  args: ['tls'],
  variants: VARIANTS,
  native: passedWith(['threads that saw the initial TLS image: 6 of 6', 'threads whose TLS values survived the others\' writes: 6 of 6',
    'key destructors run: 6']),
});

definePayloadTests({
  payload: 'threads',
  args: ['cancel'],
  variants: LIBCS,
  native: passedWith(['reader joined with PTHREAD_CANCELED: ok', 'sleeper joined with PTHREAD_CANCELED: ok',
    'cancel held while disabled, acted on at pthread_testcancel: ok', 'cleanup handlers run: 3']),
});

definePayloadTests({
  payload: 'threads',
  args: ['tid'],
  variants: LIBCS,
  native: passedWith(['main thread: gettid() == getpid(): ok', '8 threads: tids distinct from each other and from the pid: ok',
    '8 threads: getpid() and getppid() the same as the main thread\'s: ok']),
});

definePayloadTests({
  payload: 'threads',
  args: ['detach'],
  variants: LIBCS,
  native: passedWith(['detached threads finished: sum 1275', 'sem_timedwait with no posts left: -1 ETIMEDOUT', 'semaphore value: 0']),
});

definePayloadTests({
  payload: 'threads',
  args: ['main-exit'],
  variants: LIBCS,
  native(r) {
    assertExit0(r);
    assert.equal(r.stdout, 'main thread calls pthread_exit\nthe process outlived its main thread: pid valid\nlast thread returns\n');
    assert.equal(r.stderr, '');
  },
});
