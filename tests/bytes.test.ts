// src/util/bytes.ts: the start-up path's string <-> bytes conversions, checked against node's
// Buffer codecs (which they replace) on ASCII, non-ASCII and long inputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { latin1Bytes, latin1String, utf8Bytes, utf8String } from '../src/util/bytes.js';

const samples = ['', '/usr/bin/python3', 'PATH=/bin:/usr/bin', 'héllo wörld', 'emoji \u{1F600} and CJK 漢字', 'a'.repeat(10000), `${'x'.repeat(5000)}é${'y'.repeat(5000)}`];

test('utf8Bytes encodes as Buffer does, with and without a NUL', () => {
  for (const s of samples) {
    assert.deepEqual(Buffer.from(utf8Bytes(s)), Buffer.from(s, 'utf8'), s.slice(0, 20));
    assert.deepEqual(Buffer.from(utf8Bytes(s, true)), Buffer.from(`${s}\0`, 'utf8'), s.slice(0, 20));
  }
});

test('utf8String decodes as Buffer does, across its 4 KiB chunks', () => {
  for (const s of samples) assert.equal(utf8String(Buffer.from(s, 'utf8')), s, s.slice(0, 20));
  // invalid UTF-8 is replaced as Buffer replaces it
  const bad = Uint8Array.of(0x61, 0xff, 0x62, 0xc3);
  assert.equal(utf8String(bad), Buffer.from(bad).toString('utf8'));
  // a view into a larger buffer decodes only its own bytes
  const big = Buffer.from('0123456789');
  assert.equal(utf8String(big.subarray(3, 6)), '345');
});

test('latin1String and latin1Bytes round-trip every byte value as Buffer latin1 does', () => {
  const all = new Uint8Array(9000).map((_, i) => i % 256);
  assert.equal(latin1String(all), Buffer.from(all).toString('latin1'));
  assert.deepEqual(Buffer.from(latin1Bytes(latin1String(all))), Buffer.from(all));
  assert.deepEqual(Buffer.from(latin1Bytes('\u0141x')), Buffer.from('\u0141x', 'latin1'));
});
