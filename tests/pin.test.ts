// addressOf (src/host/native.ts) keeps the buffer whose address it gave reachable for a while: the
// host call that uses the address comes right after, when optimized code may hold no other
// reference to the buffer, and a collection in between would free its memory under the call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { addressOf } from '../src/host/native.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** whether a buffer made by `make`, then dropped, survives a full collection a turn later */
async function survives(make: () => Uint8Array, take: (b: Uint8Array) => void): Promise<boolean> {
  let b: Uint8Array | null = make();
  const ref = new WeakRef(b);
  take(b);
  b = null;
  await turn(); // a WeakRef keeps its target alive until the end of the job that made it
  gc();
  return ref.deref() !== undefined;
}

test('a buffer whose address was taken survives a collection', async () => {
  for (const size of [1, 64, 4096]) {
    assert.equal(await survives(() => new Uint8Array(size), (b) => { addressOf(b); }), true, `${size} bytes`);
  }
});

test('an unpinned buffer does not (the check above can fail)', async () => {
  assert.equal(await survives(() => new Uint8Array(4096), () => {}), false);
});

test('the pin is released after 64 more addresses', async () => {
  const others = Array.from({ length: 64 }, () => new Uint8Array(8));
  assert.equal(await survives(() => new Uint8Array(4096), (b) => { addressOf(b); for (const o of others) addressOf(o); }), false);
});
