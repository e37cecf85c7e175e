// Timers natively and under km (tests/payloads/timers.c): alarm, setitimer, POSIX timers
// (SIGEV_SIGNAL with si_value and overruns, SIGEV_THREAD, SIGEV_THREAD_ID to one thread), timerfd,
// sleeps interrupted by handlers (EINTR, remaining time), SA_RESTART restarting a read, timers on
// CPU-time clocks (host timers under km) and what the payload's disposition does with their signal.
import assert from 'node:assert/strict';
import { assertChecksPassed, assertKilledBy } from './lib/checks.js';
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
    'timer_create(CLOCK_MONOTONIC_RAW): -1 EOPNOTSUPP',
    'timer_create(CLOCK_MONOTONIC_COARSE): -1 EOPNOTSUPP',
    'raw timer_settime with a bad old-value pointer: -1 EFAULT',
    'armed all the same: yes',
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
  'cpu-timer': [
    'SIGEV_NONE on the thread\'s CPU clock: value at most 1 s: yes; after 20 ms of CPU it fell by 20 ms or more: yes',
    'old setting: value at most 1 s: yes, no interval: yes; new: interval 5 ms: yes, value at most 2 s: yes',
    'process CPU timer while busy: expiries >= 3: yes, si_code SI_TIMER, si_value 91, si_timerid is its id: yes',
    'timer_gettime: interval 20000000 ns, value within the interval: yes',
    'signal 13 from a process CPU timer: handled: yes, si_code SI_TIMER, si_timerid is its id: yes',
    'signal 36 from a process CPU timer: handled: yes, si_code SI_TIMER, si_timerid is its id: yes',
    'timer_settime on a deleted timer: -1 EINVAL',
    'timer_gettime on a deleted timer: -1 EINVAL',
    'timer_delete again: -1 EINVAL',
    'the sleeping worker\'s CPU timer fired within 100 ms: no',
    'busy worker: its expiries >= 3: yes, in other threads: 0, si_code SI_TIMER, si_value 92, si_timerid is its id: yes',
    'timer on the ended worker\'s clock: timer_gettime 0, disarmed: yes',
    'timer_settime on it: -1 ESRCH',
    'the ended worker\'s timer fired while a new thread burned 150 ms of CPU: no',
    'SIGEV_THREAD on the process CPU clock: callbacks >= 3: yes, with a wrong sigval: 0, in the main thread: 0',
    'timer_create on a bad clock: -1 EINVAL',
    'timer_create on the CPU clock of a thread that does not exist: -1 EINVAL',
    'raw timer_create with a bad sigevent pointer: -1 EFAULT',
    'raw timer_create with a bad id pointer: -1 EFAULT',
    'timer_create(CLOCK_PROCESS_CPUTIME_ID) with signal 65: -1 EINVAL',
  ],
  // under km /proc/self/timers lists the host timers km holds for the payload (km has none of its own)
  'cpu-timer-exec': [
    'timers listed: 2',
    'in a forked child: timers listed: 0',
    'the periodic one fired: yes',
    'after execve: timers listed: 0',
    'timer_gettime of the old program\'s first timer: -1 EINVAL',
  ],
};

for (const [mode, want] of Object.entries(MODES)) {
  definePayloadTests({ payload: 'timers', args: [mode], variants: LIBCS, native: passedWith(want) });
}

// an ignored CPU-timer signal is dropped, a blocked one with the default action stays pending, and
// unblocking it ends the process by that signal (under km: not before, though the host sees it at once)
definePayloadTests({
  payload: 'timers', args: ['cpu-timer-signals'], variants: LIBCS,
  native: (r) => assertKilledBy(r, 'SIGUSR1', [
    'timer_create(CLOCK_PROCESS_CPUTIME_ID, SIGUSR2 ignored): ok',
    'timer_settime 10 ms periodic: ok',
    '60 ms of CPU with the timer\'s signal ignored: still running',
    'timer_delete: ok',
    'timer_create(CLOCK_PROCESS_CPUTIME_ID, SIGUSR1 blocked, default action): ok',
    'timer_settime 10 ms periodic: ok',
    'the blocked signal is pending: yes',
    '30 ms of CPU more: still running',
    '',
  ].join('\n')),
});
