// Memory-management payloads, natively and under km.
import assert from 'node:assert/strict';
import { assertChecksPassed, assertKilledBy } from './lib/checks.js';
import { definePayloadTests } from './lib/payload.js';

definePayloadTests({
  payload: 'memstress',
  native(r) {
    assertChecksPassed(r);
    assert.match(r.stdout, /^malloc contents fnv1a: [0-9a-f]{16}$/m);
  },
});

definePayloadTests({
  payload: 'memstress',
  args: ['guard'],
  native(r) {
    assertKilledBy(r, 'SIGSEGV', 'last page before the guard written: yes\ntouching the guard page\n');
  },
});

definePayloadTests({
  payload: 'memstress',
  args: ['bigguard'],
  native(r) {
    assertKilledBy(r, 'SIGSEGV', 'pages around the guard kept their contents and are writable: yes\ntouching the guard page\n');
  },
});

definePayloadTests({
  payload: 'memstress',
  args: ['rowrite'],
  native(r) {
    assertKilledBy(r, 'SIGSEGV', 'read-only page readable: yes\nwriting the read-only page\n');
  },
});

definePayloadTests({
  payload: 'sparse',
  native(r) {
    assertChecksPassed(r);
    assert.match(r.stdout, /^pages touched: 262144\nchecksum: \d+\n/m);
  },
});
