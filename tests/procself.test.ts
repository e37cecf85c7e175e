// What a payload reads about itself under /proc (maps, status, stat, cmdline, environ, auxv, limits,
// comm, fd/, fdinfo/, task/, exe, thread-self), natively and under km: km must describe the
// payload, not its own node process.
import assert from 'node:assert/strict';
import { assertChecksPassed, assertHasLines } from './lib/checks.js';
import { definePayloadTests } from './lib/payload.js';

definePayloadTests({
  payload: 'procself',
  native(r) {
    assertChecksPassed(r);
    // the test process starts payloads with only 0, 1 and 2 open; data.txt is 3, a pipe 4 and 5,
    // and the listing's own directory fd 6
    assertHasLines(r, ['fds opened: 3 4 5', '/proc/self/fd (with . and ..: yes): 0 1 2 3 4 5 6',
      '/proc/self/fdinfo (with . and ..: yes): 0 1 2 3 4 5 6', '/proc/<pid>/fd (with . and ..: yes): 0 1 2 3 4 5 6']);
    assert.match(r.stdout, /^open maps O_WRONLY: (ok|EACCES)$/m);
  },
});
