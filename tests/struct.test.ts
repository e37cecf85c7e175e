// Every ABI struct layout the monitor defines (src/util/struct.ts defineLayout) keeps its fields
// inside the struct; the check runs here rather than at each start of km.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LAYOUTS, defineLayout, fieldsOutside } from '../src/util/struct.js';
// the modules that define layouts, so that theirs are registered
import '../src/kvm/abi.js';
import '../src/elf/elf.js';
import '../src/km/sigframe.js';
import '../src/km/timers.js';
import '../src/host/hostcalls.js';
import '../src/syscalls/signalfd.js';

test('every defined struct layout keeps its fields inside the struct', () => {
  assert.ok(LAYOUTS.length >= 20, `${LAYOUTS.length} layouts registered`);
  for (const l of LAYOUTS) assert.deepEqual(fieldsOutside(l), [], `a layout of ${l.size} bytes: ${Object.keys(l.fields).join(', ')}`);
});

test('a field past the end of its struct is found', () => {
  const bad = defineLayout(8, { a: [0, 'u32'], b: [6, 'u32'], c: [8, 'u8'] } as const);
  assert.deepEqual(fieldsOutside(bad), ['b@6', 'c@8']);
  LAYOUTS.pop();
});
