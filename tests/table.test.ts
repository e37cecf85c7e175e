// The syscall table is the source of truth: every entry is consistent and the generated
// compatibility document in docs/ is exactly what the table says today.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { allSyscalls, DISPATCH, describe } from '../src/syscalls/table.js';
import { SYS } from '../src/host/sysno.js';
import { compatibilityMarkdown } from '../scripts/gen-compat.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('every syscall the issue requires is implemented', () => {
  const required = ['read', 'write', 'readv', 'writev', 'pread64', 'pwrite64', 'openat', 'open', 'close', 'lseek', 'fstat',
    'newfstatat', 'statx', 'stat', 'lstat', 'getdents64', 'fcntl', 'dup', 'dup2', 'dup3', 'pipe2', 'ioctl', 'access', 'faccessat',
    'faccessat2', 'readlink', 'readlinkat', 'getcwd', 'chdir', 'fchdir', 'mkdirat', 'unlinkat', 'renameat2', 'truncate',
    'ftruncate', 'fsync', 'umask', 'uname', 'clock_gettime', 'clock_getres', 'gettimeofday', 'time', 'nanosleep',
    'clock_nanosleep', 'getrandom', 'getpid', 'getppid', 'gettid', 'getuid', 'geteuid', 'getgid', 'getegid', 'getgroups',
    'sysinfo', 'prlimit64', 'getrlimit', 'set_tid_address', 'set_robust_list', 'arch_prctl', 'exit', 'exit_group',
    'sched_getaffinity', 'rt_sigaction', 'rt_sigprocmask', 'poll', 'ppoll', 'select', 'pselect6', 'brk', 'mmap', 'munmap',
    'mprotect', 'mremap', 'madvise'] as const;
  for (const name of required) {
    const e = DISPATCH[SYS[name]];
    assert.ok(e && e.handler && e.status !== 'unsupported', `${name} implemented`);
  }
  assert.equal(describe(SYS.rseq)?.status, 'unsupported', 'rseq answers ENOSYS until supported');
});

test('table entries are well formed', () => {
  const seen = new Set<number>();
  for (const e of allSyscalls()) {
    assert.ok(!seen.has(e.nr), `${e.name} once`);
    seen.add(e.nr);
    assert.equal(SYS[e.name], e.nr);
    assert.equal(e.status === 'unsupported', !e.handler, `${e.name}: handler iff supported`);
    assert.ok(e.args.length <= 6);
  }
});

test('docs/compatibility.md is generated from the table', () => {
  const doc = readFileSync(`${root}docs/compatibility.md`, 'utf8');
  assert.equal(doc, compatibilityMarkdown(), 'run `npm run docs` after changing the syscall table');
});
