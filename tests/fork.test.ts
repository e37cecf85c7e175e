// New processes under km: fork (the child is a new km with a copy of the payload's memory),
// vfork, posix_spawn, execve inside the same km (ELF and #! scripts), and wait4/waitid/SIGCHLD
// between them. The payload runs natively and under km with the same output and exit status.
import assert from 'node:assert/strict';
import { DYNAMIC_VARIANTS, VARIANTS } from './lib/build.js';
import { assertChecksPassed, assertHasLines } from './lib/checks.js';
import { definePayloadTests } from './lib/payload.js';
import { lines } from './lib/run.js';

/** what the exec'd program reports about what it inherited (argv[0] comes first) */
const INHERITED = [
  'exec-child: CLOEXEC fd closed',
  "exec-child: kept fd reads 'kept-data'",
  'exec-child: SIGUSR2 still ignored',
  'exec-child: SIGUSR1 handler reset to default',
  'exec-child: SIGHUP still blocked',
];

const EXPECTED = [
  "pipe from child: child sees parent's memory: yes; getppid is the parent: yes",
  'child exit: exited=1 status=3',
  'private memory unchanged in parent: yes',
  'shared anonymous memory changed by child: yes',
  'shared memfd memory changed by child: yes',
  'wait4 with no children left: -1 ECHILD',
  'killed child: signaled=1 sig=15',
  'waitid: code=CLD_EXITED status=42 pid matches=yes',
  'SIGCHLD: pid matches=yes code=CLD_EXITED status=42',
  'vfork child exit: 9',
  'execve of a missing file: -1 ENOENT',
  'execve of a directory: -1 EACCES',
  'execve of a text file without #!: -1 ENOEXEC',
  'execve of a file without x permission: -1 EACCES',
  'exec-child: argv[0] is exec-child-name',
  ...INHERITED,
  'exec child exit: 7',
  'script says hi',
  'script exit: 5',
  'after execve from a thread: threads 1, same pid yes',
  'threaded exec child exit: 12',
  'exec-child: argv[0] is spawned',
  ...INHERITED,
  'spawned child exit: 7',
];

definePayloadTests({
  payload: 'fork',
  variants: [...VARIANTS, ...DYNAMIC_VARIANTS],
  testTimeoutMs: 600_000,
  timeoutMs: 500_000,
  native(r) {
    assertChecksPassed(r);
    const got = lines(r.stdout).filter((l) => !l.endsWith(': ok') && !l.startsWith('failures:'));
    assert.deepEqual(got, EXPECTED);
  },
});

// Process descriptors (tests/payloads/pidfd.c): pidfd_open, pidfd_send_signal to a child and to
// the process itself (also through a /proc/<pid> directory descriptor), poll, waitid(P_PIDFD).
definePayloadTests({
  payload: 'pidfd',
  variants: ['musl', 'glibc'],
  native(r) {
    assert.equal(r.status, 0, r.stderr);
    assertHasLines(r, [
      'pidfd_open(child): ok, close-on-exec: yes',
      'poll while it runs: not readable',
      'poll after: readable',
      'waitid(P_PIDFD): 0, pid is the child: yes, CLD_KILLED: yes, by SIGTERM: yes',
      'pidfd_send_signal(reaped child): ESRCH',
      'waitid(P_PIDFD): 0, CLD_EXITED: yes, status 5',
      'pidfd_send_signal(self, SIGUSR1): 0, handled before it returned: yes, SI_USER: yes',
      'pidfd_send_signal(self, SIGUSR1, SI_QUEUE info): 0, handled: yes, value 4242, SI_QUEUE: yes',
      'pidfd_send_signal(/proc/<pid> fd, SIGUSR1): 0, handled: yes',
      'pidfd_send_signal(a regular file): EBADF',
      '  handled by the process: yes',
    ]);
  },
});
