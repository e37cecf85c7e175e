// Basic payloads, each run natively and under km: output, stdin, argv/env/auxv, uname, getrandom.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildPayload, DYNAMIC_VARIANTS, VARIANTS } from './lib/build.js';
import { assertChecksPassed, assertExit0 } from './lib/checks.js';
import { requireKvm } from './lib/kvm.js';
import { bytesOf, definePayloadTests } from './lib/payload.js';
import { assertSameOutcome, lines, runBoth, runNative, testEnv } from './lib/run.js';

definePayloadTests({
  payload: 'hello',
  variants: [...VARIANTS, ...DYNAMIC_VARIANTS],
  native(r) {
    assertExit0(r);
    assert.equal(r.stdout, 'hello, world\n');
    assert.equal(r.stderr, '');
  },
});

// stdin through a pipe, several reads, stdout and stderr
const catInput = Array.from({ length: 3000 }, (_, i) => `line ${i} ${'x'.repeat(i % 97)}\n`).join('');
definePayloadTests({
  payload: 'cat',
  stdin: catInput,
  native(r) {
    assertExit0(r);
    assert.equal(r.stdout, catInput);
    assert.match(r.stderr, new RegExp(`^bytes: ${catInput.length}\nfnv1a: [0-9a-f]{16}\n$`));
  },
});
definePayloadTests({
  payload: 'cat',
  title: 'cat (empty stdin)',
  native(r) {
    assertExit0(r);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^bytes: 0\n/);
  },
});

const argvArgs = ['one', 'two words', '', '--flag=value', 'ünïcödé', "quote'\"s"];
definePayloadTests({
  payload: 'args',
  args: argvArgs,
  variants: [...VARIANTS, ...DYNAMIC_VARIANTS],
  native(r, _variant, exe) {
    assertExit0(r);
    const out = lines(r.stdout);
    const want = [exe, ...argvArgs].map(bytesOf);
    assert.equal(out[0], `argc: ${want.length}`);
    want.forEach((a, i) => assert.equal(out[1 + i], `argv[${i}]: ${a}`));
    // the whole environment, in the order given
    const env = Object.entries(testEnv(r.cwd)).map(([k, v]) => bytesOf(`${k}=${v}`));
    assert.deepEqual(out.filter((l) => l.startsWith('env[')), env.map((e, i) => `env[${i}]: ${e}`));
    for (const l of [
      'argv[argc] is NULL: yes', `envc: ${env.length}`, 'environ follows argv: yes', 'argc slot 16-byte aligned: yes',
      'argc slot holds argc: yes', 'auxv follows environment: yes', 'auxv terminated by AT_NULL: yes',
      'frame 16-byte aligned in callee of main: yes', 'AT_PAGESZ: 4096', 'AT_PHENT: 56', 'AT_SECURE: 0',
      'AT_FLAGS: 0', 'AT_CLKTCK: 100', 'AT_PLATFORM: x86_64', `AT_EXECFN: ${exe}`, 'AT_PHDR present: yes',
      'AT_ENTRY present: yes', 'AT_RANDOM present: yes', 'AT_HWCAP present: yes', 'AT_ENTRY is _start: yes',
      'AT_PHDR is the loaded program header table: yes', 'AT_PHDR table has a PT_LOAD: yes',
      'AT_RANDOM bytes not all zero: yes',
    ]) assert.ok(out.includes(l), `missing line '${l}' in:\n${r.stdout}`);
    assert.ok(out.includes(`AT_UID: ${process.getuid?.()}`), r.stdout);
    assert.match(r.stdout, /^AT_PHNUM: \d+$/m);
  },
});

definePayloadTests({
  payload: 'args',
  title: 'args (no arguments, empty environment)',
  env: {},
  native(r, _variant, exe) {
    assertExit0(r);
    assert.match(r.stdout, new RegExp(`^argc: 1\nargv\\[0\\]: ${exe}\nargv\\[argc\\] is NULL: yes\nenvc: 0\n`));
  },
});

// bin/km.cjs empties NODE_EXTRA_CA_CERTS for its own node (which would load the certificates at every
// start, or warn about a missing file) and restores it for the payload, in its place
definePayloadTests({
  payload: 'args',
  title: 'args (NODE_EXTRA_CA_CERTS given back to the payload in place)',
  variants: ['musl'],
  env: { A_FIRST: '1', NODE_EXTRA_CA_CERTS: '/nonexistent/km-test-ca.pem', Z_LAST: '2' },
  native(r) {
    assertExit0(r);
    assert.match(r.stdout, /^env\[0\]: A_FIRST=1\nenv\[1\]: NODE_EXTRA_CA_CERTS=\/nonexistent\/km-test-ca.pem\nenv\[2\]: Z_LAST=2\nenvc: 3$/m);
  },
});

definePayloadTests({
  payload: 'uname',
  native(r) {
    assertExit0(r);
    assert.equal(r.stdout, 'sysname: Linux\nmachine: x86_64\nrelease-has-kontain: no\nrelease starts with a digit: yes\nnodename non-empty: yes\n');
  },
  compare(native, km) {
    // km identifies itself in the release; everything else is as on Linux
    assert.equal(km.status, 0, `km: exit ${km.status} signal ${km.signal}\n${km.stderr}`);
    assert.equal(km.stderr, native.stderr);
    assert.equal(km.stdout, native.stdout.replace('release-has-kontain: no', 'release-has-kontain: yes'));
  },
});

definePayloadTests({
  payload: 'getrandom',
  native(r) {
    assertChecksPassed(r);
    assert.match(r.stdout, /^ok$/m);
  },
});

// ---- exit status: exit(), _exit(), return from main, raw exit and exit_group ----
const MODES = ['exit', '_exit', 'return', 'sys_exit', 'sys_exit_group'] as const;
const SOME_CODES = ['0', '1', '2', '42', '127', '128', '255', '256', '-1'];
const ALL_CODES = Array.from({ length: 256 }, (_, i) => String(i));

function expectedExit(code: string, mode: string, variant: string): { status: number; stdout: string } {
  const status = ((Number(code) % 256) + 256) % 256;
  // stdout is a pipe, so glibc's stdio buffers the line and only exit() and return flush it. musl
  // starts stdout line-buffered and only switches to full buffering at the first flush (after
  // TIOCGWINSZ fails), so its first line is written at once.
  const flushed = mode === 'exit' || mode === 'return' || variant.startsWith('musl');
  return { status, stdout: flushed ? `exiting with ${Number(code)} via ${mode}\n` : '' };
}

for (const variant of VARIANTS) {
  test(`exitcode [${variant}] native (0..255 via exit, a sample via the other ways)`, () => {
    const exe = buildPayload('exitcode', variant);
    for (const mode of MODES) {
      for (const code of mode === 'exit' ? [...ALL_CODES, '256', '-1', '1000'] : SOME_CODES) {
        const r = runNative(exe, { args: [code, mode] });
        const want = expectedExit(code, mode, variant);
        assert.equal(r.signal, null);
        assert.equal(r.status, want.status, `exitcode ${code} ${mode}`);
        assert.equal(r.stdout, want.stdout, `exitcode ${code} ${mode}`);
        assert.equal(r.stderr, '');
      }
    }
  });

  test(`exitcode [${variant}] km`, { timeout: 900_000 }, (t) => {
    if (!requireKvm(t)) return;
    const exe = buildPayload('exitcode', variant);
    // all 256 codes under km only on request (each run starts a VM); a sample otherwise
    const codes = process.env.KM_TEST_FULL === '1' ? [...ALL_CODES, '256', '-1'] : SOME_CODES;
    for (const mode of MODES) {
      for (const code of codes) {
        const { native, km } = runBoth(exe, { args: [code, mode] });
        assert.equal(native.status, expectedExit(code, mode, variant).status);
        assertSameOutcome(native, km, `exitcode ${code} ${mode}`);
      }
    }
  });
}
