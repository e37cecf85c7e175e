// km's option parsing: options end at the executable, the payload's arguments pass untouched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseKmArgs, parseSize, UsageError } from '../src/cli/args.js';

test('options stop at the executable', () => {
  const a = parseKmArgs(['-V', '--mem-limit', '1G', './prog', '-V', '--help', 'x']);
  assert.equal(a.trace, true);
  assert.equal(a.memLimit, 2 ** 30);
  assert.equal(a.executable, './prog');
  assert.deepEqual(a.payloadArgs, ['-V', '--help', 'x']);
  assert.equal(a.help, false);
});

test('-- ends options; repeated --env and --unset accumulate', () => {
  const a = parseKmArgs(['-e', 'A=1', '--env=B=2', '-u', 'HOME', '--', '-weird-name', 'arg']);
  assert.deepEqual(a.env, ['A=1', 'B=2']);
  assert.deepEqual(a.unset, ['HOME']);
  assert.equal(a.executable, '-weird-name');
  assert.deepEqual(a.payloadArgs, ['arg']);
});

test('bad options and sizes are usage errors', () => {
  assert.throws(() => parseKmArgs(['--nope', 'x']), UsageError);
  assert.throws(() => parseSize('12X'), UsageError);
  assert.equal(parseSize('512M'), 512 * 2 ** 20);
  assert.equal(parseSize('4096'), 4096);
});
