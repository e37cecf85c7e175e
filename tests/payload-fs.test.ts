// File-system payloads, natively and under km, each in a fresh working directory whose resulting
// contents are compared too: file I/O, symlinks, directories, EFAULT handling, fd isolation.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertChecksPassed, assertHasLines } from './lib/checks.js';
import { definePayloadTests } from './lib/payload.js';
import { DYNAMIC_VARIANTS, VARIANTS } from './lib/build.js';
import { lines } from './lib/run.js';

definePayloadTests({
  payload: 'fileio',
  snapshot: true,
  variants: [...VARIANTS, ...DYNAMIC_VARIANTS],
  native(r) {
    assertChecksPassed(r);
    // fds are handed out lowest-first from 3 in a process that has only 0, 1 and 2
    assertHasLines(r, ['open a.txt (first free fd): 3', 'dup (lowest free): 4', 'reopened fds: 3 4 5',
      'after close(4) open gives: 4', 'pipe fds: 4 5', 'F_DUPFD >= 20: 20', 'F_DUPFD >= 20 again: 21']);
    assert.deepEqual(Object.keys(r.files ?? {}).sort(),
      ['a.txt', 'c.txt', 'noexec', 'private.txt', 'sub', 'sub/in-sub.txt', 'sub/inner.txt', 'vec.txt']);
    assert.match(r.files?.['private.txt'] ?? '', /^file 0600 size=0 /);
  },
});

definePayloadTests({
  payload: 'symlink',
  snapshot: true,
  native(r) {
    assertChecksPassed(r);
    assert.equal(r.files?.['dir/link2'], 'symlink -> ../target.txt');
    assert.equal(r.files?.link, undefined);
  },
});

definePayloadTests({
  payload: 'dirs',
  snapshot: true,
  native(r) {
    assertChecksPassed(r);
    assert.match(r.stdout, /^list big: 202 entries$/m);
    assert.ok(r.files?.renamed && r.files['renamed/g1'] && r.files.top4, JSON.stringify(r.files));
    assert.equal(Object.keys(r.files ?? {}).filter((k) => k.startsWith('big/')).length, 200);
  },
});

definePayloadTests({
  payload: 'efault',
  snapshot: true,
  native(r) {
    assertChecksPassed(r);
    const errs = lines(r.stdout).filter((l) => l.includes(': -1 '));
    assert.ok(errs.length >= 30, r.stdout);
    assert.deepEqual(errs.filter((l) => !l.endsWith(': -1 EFAULT')), []);
  },
});

// Only 0, 1 and 2 are open natively (node opens everything else close-on-exec); under km the
// monitor's own descriptors must be just as invisible.
definePayloadTests({
  payload: 'fds',
  native(r) {
    assertChecksPassed(r);
    assertHasLines(r, ['stdio fds open: 3', 'open fds above 2 found by fstat: 0', 'open fds above 2 found by fcntl: 0',
      'fds above 2 closed: 0', 'errors other than EBADF: 0', 'first new fd: 3', 'pipe fds: 4 5']);
  },
});

definePayloadTests({
  payload: 'fds',
  args: ['proc'],
  native(r) {
    // opendir holds one fd itself while listing
    assert.equal(r.stdout, '/proc/self/fd: 0 1 2 3\n');
  },
});

// thousands of descriptors, each fstat'ed through an empty path: the monitor's temporary path buffer
// must live until the host call has used it (it was freed under the call about once in 30,000
// calls; this run makes 36,000). glibc only: musl makes that call an fstat, which has no path.
definePayloadTests({
  payload: 'fds',
  args: ['many'],
  variants: ['glibc-dynamic'],
  native(r) {
    assert.equal(r.status, 0, r.stdout);
    assertHasLines(r, ['descriptors held at once: at least 900', 'fstatat(fd, "", AT_EMPTY_PATH) failed: 0, another file: 0']);
    assert.match(r.stdout, /^opens: \d+, failed: 0$/m);
  },
});

// binary bytes through stdin; a file prepared in the working directory is left alone
definePayloadTests({
  payload: 'cat',
  title: 'cat (binary stdin)',
  stdin: Uint8Array.from({ length: 70000 }, (_, i) => (i * 7 + (i >> 8)) & 0xff),
  setup(dir) { writeFileSync(join(dir, 'unused'), 'x'); },
  snapshot: true,
  native(r) {
    assert.equal(r.status, 0);
    assert.equal(r.stdout.length, 70000);
    assert.match(r.stderr, /^bytes: 70000\n/);
    assert.deepEqual(Object.keys(r.files ?? {}), ['unused']);
  },
});
