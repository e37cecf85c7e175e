// Timers natively and under km (tests/payloads/timers.c): alarm, setitimer, POSIX timers
// (SIGEV_SIGNAL with si_value and overruns, SIGEV_THREAD, SIGEV_THREAD_ID to one thread), timerfd,
// sleeps interrupted by handlers (EINTR, remaining time), SA_RESTART restarting a read.
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

const MODES: Record<string, readonly string[]> = {
  alarm: [
    'alarm(10): 0',
    'alarm(1) after it: 10 (seconds left of the first)',
    'pause: -1 EINTR, SIGALRM handled: 1, si_code SI_KERNEL',
    'alarm(0) afterwards: 0',
    'alarm(5) then alarm(0): 5 seconds were left',
  ],
  setitimer: [
    'ticks: 3, si_code SI_KERNEL',
    'getitimer: interval 0.020000 s, value set: within the interval',
    'no ticks after disarming: ok',
  ],
  'posix-timer': [
    'expiries handled: 3, si_code SI_TIMER, si_value 77',
    'timer_gettime: interval 10000000 ns, value within the interval: yes',
    'after 60 ms blocked: one signal yes, si_overrun >= 3: yes, timer_getoverrun >= 3: yes, equal: yes',
    'absolute one-shot: fired, value 77, not before the deadline: yes',
    'timer_create with signal 1000: -1 EINVAL',
  ],
  'sigev-thread': ['callbacks: at least 3: yes, with a wrong sigval: 0, in the main thread: 0'],
  'timer-thread-id': [
    'expiries handled by worker 1: at least 5: yes; by worker 0: 0, worker 2: 0, main: 0',
    'SIGEV_THREAD_ID with a tid that is not in the process: -1 EINVAL',
  ],
  timerfd: [
    'gettime: interval 10000000 ns, value within it: yes',
    'blocking read: 8 bytes, expirations >= 1: yes',
    'after 45 ms: 8 bytes, expirations >= 3: yes',
    'read into 4 bytes: -1 EINVAL',
    'poll: 1, POLLIN: yes',
    'read of a disarmed non-blocking timerfd: -1 EAGAIN',
    'read before it expires: -1 EAGAIN',
    'poll: 1, then read: 8 bytes, expirations 1, not before the deadline: yes',
  ],
  'nanosleep-eintr': [
    'nanosleep(2 s) interrupted: -1 EINTR, handled: yes',
    'remaining time at least 1 s (interrupted early): ok',
    'clock_nanosleep(CLOCK_MONOTONIC, 2 s) interrupted: returns EINTR, handled: yes',
    'clock_nanosleep TIMER_ABSTIME interrupted: returns EINTR, handled: yes',
    'with SA_RESTART, nanosleep still fails: -1 EINTR, handled: yes',
  ],
  restart: [
    'SA_RESTART: read returned 4 "data" after the handler ran: yes',
    'no SA_RESTART: read returned -1 EINTR, last signal SIGUSR2: yes',
  ],
};

for (const [mode, want] of Object.entries(MODES)) {
  definePayloadTests({ payload: 'timers', args: [mode], variants: LIBCS, native: passedWith(want) });
}
