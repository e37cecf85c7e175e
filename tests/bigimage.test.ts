// An executable of more than 1 MiB (tests/payloads/bigimage.c), static and dynamic, natively and
// under km: km maps such a file's segments from the file instead of reading and copying it. Its
// data must read as natively, writes must stay private to the process (and to a forked child), and
// the file on disk must be left exactly as it was. /proc/self/maps lists the file's mappings as Linux does.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { assertChecksPassed } from './lib/checks.js';
import { definePayloadTests } from './lib/payload.js';
import { DYNAMIC_VARIANTS, VARIANTS } from './lib/build.js';
import { MAP_EXECUTABLE_MIN } from '../src/elf/execfile.js';

/** the executable's digest when first seen: every later run must leave it unchanged */
const digests = new Map<string, string>();

definePayloadTests({
  payload: 'bigimage',
  variants: [...VARIANTS, ...DYNAMIC_VARIANTS],
  native(r, _variant, exe) {
    assertChecksPassed(r);
    assert.match(r.stdout, /^(exe map: .* inode matches yes\n){3,}rodata fnv1a: [0-9a-f]{16}\ndata fnv1a: [0-9a-f]{16}\nbss reads zero: ok\ndata after writes fnv1a: [0-9a-f]{16}\nchild: data fnv1a: [0-9a-f]{16}, bss\[3\] 1\n/);
    assert.ok(statSync(exe).size >= MAP_EXECUTABLE_MIN, `${exe} is too small to be mapped (${statSync(exe).size} bytes)`);
    const digest = createHash('sha256').update(readFileSync(exe)).digest('hex');
    const first = digests.get(exe);
    if (first === undefined) digests.set(exe, digest);
    else assert.equal(digest, first, `${exe} changed on disk`);
  },
});
