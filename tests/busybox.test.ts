// Debian's static busybox (package busybox-static), natively and under km, on a prepared directory:
// the same stdout, stderr, exit status and resulting files.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readElfInfo } from './lib/elfinfo.js';
import { requireKvm } from './lib/kvm.js';
import { assertSameOutcome, lines, runBoth, runNative, type RunResult, type RunSpec } from './lib/run.js';

const BUSYBOX = '/bin/busybox';

function busybox(): string {
  if (!existsSync(BUSYBOX)) throw new Error(`${BUSYBOX} not found: apt-get install busybox-static`);
  if (readElfInfo(readFileSync(BUSYBOX)).interp) throw new Error(`${BUSYBOX} is dynamically linked; the tests need busybox-static`);
  return BUSYBOX;
}

const TEXT = ['pear', 'apple', 'fig', 'banana', 'cherry', 'apple', 'date', 'Elderberry', '', 'zucchini 42', 'grape'].join('\n') + '\n';
const BINARY = Uint8Array.from({ length: 777 }, (_, i) => (i * 37 + (i >> 3)) & 0xff);
const BIG = Uint8Array.from({ length: 1 << 20 }, (_, i) => ((i * 2654435761) >>> 13) & 0xff);
const FIXED_TIME = new Date('2024-01-02T03:04:05Z');

/** data/ with text, binary, empty and nested files; fixed modes and timestamps, so that `ls -l`
 * prints the same in both runs. */
function setup(dir: string): void {
  const d = join(dir, 'data');
  mkdirSync(join(d, 'sub', 'deeper'), { recursive: true });
  writeFileSync(join(d, 'lines.txt'), TEXT);
  writeFileSync(join(d, 'binary.bin'), BINARY);
  writeFileSync(join(d, 'big.bin'), BIG);
  writeFileSync(join(d, 'empty'), '');
  writeFileSync(join(d, 'sub', 'nested.txt'), 'nested file\n');
  writeFileSync(join(d, 'sub', 'deeper', 'x.txt'), 'x\n');
  chmodSync(join(d, 'lines.txt'), 0o644);
  chmodSync(join(d, 'binary.bin'), 0o600);
  chmodSync(join(d, 'empty'), 0o640);
  for (const p of ['lines.txt', 'binary.bin', 'big.bin', 'empty', 'sub/nested.txt', 'sub/deeper/x.txt', 'sub/deeper', 'sub', '.']) {
    utimesSync(join(d, p), FIXED_TIME, FIXED_TIME);
  }
}

const hex = (algo: string, data: string | Uint8Array): string => createHash(algo).update(data).digest('hex');

interface Case extends RunSpec {
  args: string[];
  check: (r: RunResult) => void;
}

const ok = (r: RunResult): void => {
  assert.equal(r.signal, null, `killed by ${r.signal}: ${r.stderr}`);
  assert.equal(r.status, 0, `status ${r.status}: ${r.stderr}`);
};

const CASES: Case[] = [
  { args: ['echo', 'hi', 'there'], check: (r) => { ok(r); assert.equal(r.stdout, 'hi there\n'); } },
  { args: ['ls', '-la', 'data'], check: (r) => { ok(r); assert.match(r.stdout, /^-rw-r--r-- .* lines\.txt$/m); assert.match(r.stdout, /^d.* sub$/m); } },
  { args: ['ls', '-lR', 'data/sub'], check: (r) => { ok(r); assert.match(r.stdout, /x\.txt/); } },
  { args: ['cat', 'data/lines.txt', 'data/binary.bin'], check: (r) => { ok(r); assert.equal(r.stdout, TEXT + Buffer.from(BINARY).toString('latin1')); } },
  { args: ['cat'], stdin: TEXT, check: (r) => { ok(r); assert.equal(r.stdout, TEXT); } },
  { args: ['cat', 'data/missing'], check: (r) => { assert.equal(r.status, 1); assert.match(r.stderr, /missing/); } },
  { args: ['wc', 'data/lines.txt', 'data/binary.bin', 'data/big.bin'], check: (r) => { ok(r); assert.match(r.stdout, new RegExp(`^\\s*${lines(TEXT).length}\\s+${TEXT.split(/\s+/).filter(Boolean).length}\\s+${TEXT.length} data/lines\\.txt$`, 'm')); } },
  { args: ['sort', 'data/lines.txt'], check: (r) => { ok(r); assert.deepEqual(lines(r.stdout), lines(TEXT).sort()); } },
  { args: ['sort', '-r', '-u'], stdin: TEXT, check: (r) => { ok(r); assert.deepEqual(lines(r.stdout), [...new Set(lines(TEXT))].sort().reverse()); } },
  { args: ['sha256sum', 'data/lines.txt', 'data/binary.bin', 'data/big.bin'], check: (r) => { ok(r); assert.equal(lines(r.stdout)[2], `${hex('sha256', BIG)}  data/big.bin`); } },
  { args: ['md5sum', 'data/lines.txt', 'data/binary.bin'], check: (r) => { ok(r); assert.equal(lines(r.stdout)[0], `${hex('md5', TEXT)}  data/lines.txt`); } },
  { args: ['sha1sum'], stdin: BIG, check: (r) => { ok(r); assert.equal(r.stdout, `${hex('sha1', BIG)}  -\n`); } },
  { args: ['find', 'data'], check: (r) => { ok(r); assert.equal(lines(r.stdout).length, 9); } },
  { args: ['find', 'data', '-type', 'f', '-name', '*.txt'], check: (r) => { ok(r); assert.equal(lines(r.stdout).length, 3); } },
  // busybox 1.35's od has no 'z' (printable characters) suffix: -t x1z fails; -c shows the characters
  { args: ['od', '-A', 'x', '-t', 'x1', 'data/binary.bin'], check: (r) => { ok(r); assert.match(r.stdout, /^000000 00 25 4a 6f/); } },
  { args: ['od', '-A', 'x', '-c', 'data/lines.txt'], check: (r) => { ok(r); assert.match(r.stdout, /^000000\s+p\s+e\s+a\s+r\s+\\n/); } },
  { args: ['head', '-n', '3', 'data/lines.txt'], check: (r) => { ok(r); assert.equal(r.stdout, 'pear\napple\nfig\n'); } },
  { args: ['tr', 'a-z', 'A-Z'], stdin: TEXT, check: (r) => { ok(r); assert.equal(r.stdout, TEXT.toUpperCase()); } },
  { args: ['seq', '1', '100000'], check: (r) => { ok(r); assert.equal(lines(r.stdout).length, 100000); } },
  { args: ['printf', '%s-%05d|%x\\n', 'a', '42', '255'], check: (r) => { ok(r); assert.equal(r.stdout, 'a-00042|ff\n'); } },
  { args: ['expr', '6', '*', '7'], check: (r) => { ok(r); assert.equal(r.stdout, '42\n'); } },
  { args: ['stat', '-c', '%n %s %a %F', 'data/lines.txt', 'data/sub'], check: (r) => { ok(r); assert.match(r.stdout, new RegExp(`^data/lines.txt ${TEXT.length} 644 regular file\ndata/sub \\d+ 755 directory\n$`)); } },
  { args: ['true'], check: (r) => { ok(r); } },
  { args: ['false'], check: (r) => { assert.equal(r.status, 1); } },
  { args: ['no-such-applet'], check: (r) => { assert.equal(r.status, 127); assert.match(r.stderr, /applet not found/); } },
  // writes: the resulting directories are compared
  { args: ['cp', '-r', 'data', 'copy'], snapshot: true, check: (r) => { ok(r); assert.ok(r.files?.['copy/sub/deeper/x.txt']); } },
  { args: ['mkdir', '-p', 'a/b/c'], snapshot: true, check: (r) => { ok(r); assert.equal(r.files?.['a/b/c'], 'dir 0755'); } },
  { args: ['mv', 'data/sub', 'moved'], snapshot: true, check: (r) => { ok(r); assert.ok(r.files?.['moved/nested.txt']); } },
  { args: ['rm', '-r', 'data/sub'], snapshot: true, check: (r) => { ok(r); assert.equal(r.files?.['data/sub'], undefined); } },
  { args: ['tar', '-cf', 'out.tar', 'data'], snapshot: true, check: (r) => { ok(r); assert.ok(r.files?.['out.tar']); } },
  { args: ['gzip', '-9', '-k', 'data/big.bin'], snapshot: true, check: (r) => { ok(r); assert.ok(r.files?.['data/big.bin.gz']); } },
  { args: ['dd', 'if=data/big.bin', 'of=dd.out', 'bs=4096', 'count=10', 'skip=3'], snapshot: true, check: (r) => { ok(r); assert.match(r.files?.['dd.out'] ?? '', /size=40960 /); } },
];

for (const c of CASES) {
  const spec: RunSpec = { ...c, args: c.args, setup };
  const title = `busybox ${c.args.join(' ')}${c.stdin !== undefined ? ' <stdin' : ''}`;
  test(`${title} native`, () => {
    c.check(runNative(busybox(), spec));
  });
  test(`${title} km`, { timeout: 300_000 }, (t) => {
    if (!requireKvm(t)) return;
    const { native, km } = runBoth(busybox(), spec);
    c.check(native);
    assertSameOutcome(native, km, title);
  });
}
