// Clocks and sleeps, natively and under km. The payload prints only pass/fail lines.
import { assertChecksPassed } from './lib/checks.js';
import { definePayloadTests } from './lib/payload.js';

definePayloadTests({
  payload: 'clocks',
  native(r) { assertChecksPassed(r); },
});

definePayloadTests({
  payload: 'vdso',
  native(r) { assertChecksPassed(r); },
});
