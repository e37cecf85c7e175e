// New processes under km: fork (the child is a new km with a copy of the payload's memory),
// vfork, posix_spawn, execve inside the same km (ELF and #! scripts), and wait4/waitid/SIGCHLD
// between them. The payload runs natively and under km with the same output and exit status.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { buildPayload, DYNAMIC_VARIANTS, VARIANTS } from './lib/build.js';
import { requireKvm } from './lib/kvm.js';
import { kmPath } from './lib/paths.js';
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

/** payload (musl and glibc) exits 0 after printing every line of `want` */
function exitsWithLines(payload: string, want: readonly string[]): void {
  definePayloadTests({
    payload,
    variants: ['musl', 'glibc'],
    native(r) {
      assert.equal(r.status, 0, r.stderr);
      assertHasLines(r, want);
    },
  });
}

// Process descriptors (tests/payloads/pidfd.c): pidfd_open, pidfd_send_signal to a child and to
// the process itself (also through a /proc/<pid> directory descriptor), poll, waitid(P_PIDFD).
exitsWithLines('pidfd', [
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

// A program's arguments and environment are bytes (tests/payloads/execbytes.c): execve passes ones
// that are not UTF-8, and strings of 4 KiB and 100 KB, through unchanged.
exitsWithLines('execbytes', [
  'argv[2]: 2 bytes, fnv 0a99c807b6f645b0, ff fe',
  'argv[4]: 6 bytes, fnv c7e21e53fec5f531, 80 20 6c 6f 6e 65',
  'argv[6]: 100000 bytes, fnv 4c7e79cb792f4325',
  'env[0]: 6 bytes, fnv 2a2f3f45062c6c2c, 4b 3d 61 62 63 ff',
]);

// Giving up root (setgroups, setgid, setuid): then execve, and fork then execve, still work under km
// (the new VMs need /dev/kvm, which only root may open here: km keeps the device open and hands it
// to a forked child); and the change holds for every thread of the process, including the one a
// host call is made on for another thread (a connect to a socket only root may reach: EACCES).
// Without root, each prints the refusal, natively and under km alike.
for (const mode of ['setuid', 'setuid-threads']) {
  definePayloadTests({
    payload: 'execbytes',
    args: [mode],
    variants: ['musl', 'glibc'],
    native(r) {
      assert.equal(r.status, 0, r.stderr);
      if (mode === 'setuid') assert.match(r.stdout, /^setuid, then execve: exit status \d+$/m);
      else assert.match(r.stdout, /^the other thread: uid \d+, connect to root's socket: \w+$/m);
      if (process.getuid?.() === 0 && mode === 'setuid-threads') assertHasLines(r, ["the other thread: uid 65534, connect to root's socket: EACCES"]);
    },
  });
}

// km's own command line: node decodes it as UTF-8, so arguments that are not reach the payload from
// /proc/self/cmdline, byte for byte (given through bash, which can write such bytes)
test('execbytes child: arguments that are not UTF-8, given to km on its command line', { timeout: 120_000 }, (t) => {
  const exe = buildPayload('execbytes', 'musl');
  // bash runs what follows $0 with the arguments; $'...' writes the bytes
  const script = `exec "$@" child $'\\xff\\xfe' $'caf\\xc3\\xa9' $'\\x80 lone' plain`;
  const run = (command: string[]) => spawnSync('/bin/bash', ['-c', script, 'bash', ...command], { encoding: 'latin1' });
  const native = run([exe]);
  assert.equal(native.status, 0, native.stderr);
  const argvLines = (out: string) => out.split('\n').filter((l) => l.startsWith('argv['));
  assert.deepEqual(argvLines(native.stdout).slice(1, 3), ['argv[2]: 2 bytes, fnv 0a99c807b6f645b0, ff fe', 'argv[3]: 5 bytes, fnv 48e8823acfa40d89, 63 61 66 c3 a9']);
  if (!requireKvm(t)) return;
  const km = run([kmPath, exe]);
  assert.equal(km.status, 0, km.stderr);
  assert.deepEqual(argvLines(km.stdout), argvLines(native.stdout));
});
