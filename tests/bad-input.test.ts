// km's command line and the executables it must refuse. All of this is decided before KVM is
// opened, so these tests run everywhere. The contract:
//   127  the file does not exist                      "km: <path>: No such file or directory"
//   126  it exists but cannot be run                   "km: <path>: <reason>"
//   125  km itself failed (usage, no KVM device, ...)  one line
// Every refusal is exactly one line on stderr, nothing on stdout, and never a stack trace.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildPayload } from './lib/build.js';
import { assertNoStackTrace, assertRefused } from './lib/checks.js';
import { EHDR, PHDR, PHDR_SIZE, PT_LOAD, readElfInfo } from './lib/elfinfo.js';
import { freshDir, runKmCli } from './lib/run.js';

let dir = '';
let hello = '';
before(() => {
  dir = freshDir();
  hello = buildPayload('hello', 'musl');
});
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

/** Writes an executable file (mode 0755) into the test directory. */
function exe(name: string, content: Uint8Array | string, mode = 0o755): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  chmodSync(p, mode);
  return p;
}

/** A copy of the static hello binary with some fields patched. */
function patched(name: string, patch: (dv: DataView, data: Uint8Array) => void): string {
  const data = new Uint8Array(readFileSync(hello));
  patch(new DataView(data.buffer), data);
  return exe(name, data);
}

// ---- missing or unusable files ----

test('missing file: 127, "No such file or directory"', () => {
  const p = join(dir, 'no-such-file');
  const r = runKmCli([p]);
  assertRefused(r, 127, `km: ${p}: `, /^No such file or directory$/);
  assert.equal(r.stderr, `km: ${p}: No such file or directory\n`);
});

test('missing file given by a relative path', () => {
  const r = runKmCli(['./no-such-file'], { cwd: dir });
  assert.equal(r.status, 127);
  assert.equal(r.stderr, 'km: ./no-such-file: No such file or directory\n');
});

test('missing directory in the path: 127', () => {
  const p = join(dir, 'no-such-dir', 'prog');
  assertRefused(runKmCli([p]), 127, `km: ${p}: `, /^No such file or directory$/);
});

test('a directory: 126, "Is a directory"', () => {
  const p = join(dir, 'a-directory');
  mkdirSync(p);
  assertRefused(runKmCli([p]), 126, `km: ${p}: `, /Is a directory/);
});

test('no execute permission (0644): 126, "Permission denied" (even for root)', () => {
  const p = join(dir, 'not-executable');
  copyFileSync(hello, p);
  chmodSync(p, 0o644);
  assertRefused(runKmCli([p]), 126, `km: ${p}: `, /Permission denied/);
});

// ---- not something km can run ----

test('a shell script without #!: 126, "not an ELF"', () => {
  const p = exe('script', 'echo hello\n');
  assertRefused(runKmCli([p]), 126, `km: ${p}: `, /not an ELF/);
});

test('an empty file: 126, "not an ELF"', () => {
  const p = exe('empty', '');
  assertRefused(runKmCli([p]), 126, `km: ${p}: `, /not an ELF/);
});

test('a 32-bit ELF: 126, "32-bit"', () => {
  // a complete little i386 executable: ELF32 header, one PT_LOAD, `mov $1,%eax; int $0x80`
  const b = new Uint8Array(52 + 32 + 16);
  const dv = new DataView(b.buffer);
  b.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1, 0]);
  dv.setUint16(16, 2, true); // ET_EXEC
  dv.setUint16(18, 3, true); // EM_386
  dv.setUint32(20, 1, true);
  dv.setUint32(24, 0x08048000 + 84, true); // e_entry
  dv.setUint32(28, 52, true); // e_phoff
  dv.setUint16(40, 52, true); // e_ehsize
  dv.setUint16(42, 32, true); // e_phentsize
  dv.setUint16(44, 1, true); // e_phnum
  dv.setUint32(52, 1, true); // PT_LOAD
  dv.setUint32(52 + 8, 0x08048000, true);
  dv.setUint32(52 + 16, b.length, true);
  dv.setUint32(52 + 20, b.length, true);
  dv.setUint32(52 + 24, 5, true);
  b.set([0xb8, 1, 0, 0, 0, 0xcd, 0x80], 84);
  const p = exe('elf32', b);
  assertRefused(runKmCli([p]), 126, `km: ${p}: `, /32-bit/);
});

test('an AArch64 ELF: 126, "architecture"', () => {
  const p = patched('aarch64', (dv) => dv.setUint16(EHDR.e_machine, 183, true));
  assertRefused(runKmCli([p]), 126, `km: ${p}: `, /architecture/);
});

test('a truncated ELF (first 30 bytes): 126, "truncated"', () => {
  const p = exe('truncated', readFileSync(hello).subarray(0, 30));
  assertRefused(runKmCli([p]), 126, `km: ${p}: `, /truncated/);
});

test('an ELF cut off in its program headers: 126, "truncated" or "corrupt"', () => {
  const data = readFileSync(hello);
  const info = readElfInfo(data);
  const p = exe('truncated-phdrs', data.subarray(0, info.phoff + Math.floor((info.phnum * PHDR_SIZE) / 2)));
  assertRefused(runKmCli([p]), 126, `km: ${p}: `, /truncated|corrupt/);
});

test('program headers past the end of the file: 126, "corrupt" or "truncated"', () => {
  const size = readFileSync(hello).length;
  const p = patched('phoff-past-eof', (dv) => dv.setBigUint64(EHDR.e_phoff, BigInt(size + 4096), true));
  assertRefused(runKmCli([p]), 126, `km: ${p}: `, /corrupt|truncated/);
});

test('a wrong program header entry size: 126, "corrupt"', () => {
  const p = patched('phentsize', (dv) => dv.setUint16(EHDR.e_phentsize, 32, true));
  assertRefused(runKmCli([p]), 126, `km: ${p}: `, /corrupt|truncated/);
});

test('no program headers: 126, "corrupt"', () => {
  const p = patched('phnum0', (dv) => dv.setUint16(EHDR.e_phnum, 0, true));
  assertRefused(runKmCli([p]), 126, `km: ${p}: `, /corrupt|truncated/);
});

test('a PT_LOAD whose file size exceeds its memory size: 126, "corrupt"', () => {
  const p = patched('filesz-gt-memsz', (dv, data) => {
    const info = readElfInfo(data);
    const i = info.phdrs.findIndex((ph) => ph.type === PT_LOAD);
    const base = info.phoff + i * PHDR_SIZE;
    dv.setBigUint64(base + PHDR.p_memsz, info.phdrs[i]!.filesz - 1n, true);
  });
  assertRefused(runKmCli([p]), 126, `km: ${p}: `, /corrupt|truncated/);
});

test('a PT_LOAD extending past the end of the file: 126, "truncated" or "corrupt"', () => {
  const p = patched('segment-past-eof', (dv, data) => {
    const info = readElfInfo(data);
    const i = info.phdrs.findIndex((ph) => ph.type === PT_LOAD);
    const base = info.phoff + i * PHDR_SIZE;
    dv.setBigUint64(base + PHDR.p_filesz, BigInt(data.length) * 2n, true);
    dv.setBigUint64(base + PHDR.p_memsz, BigInt(data.length) * 2n, true);
  });
  assertRefused(runKmCli([p]), 126, `km: ${p}: `, /truncated|corrupt/);
});

test('an entry point outside the executable segments: 126', () => {
  const p = patched('bad-entry', (dv) => dv.setBigUint64(EHDR.e_entry, 0x10n, true));
  assertRefused(runKmCli([p]), 126, `km: ${p}: `, /entry|corrupt/);
});

test('a relocatable object (.o): 126', () => {
  const src = join(dir, 'obj.c');
  writeFileSync(src, 'int main(void) { return 0; }\n');
  const obj = join(dir, 'obj.o');
  execFileSync('gcc', ['-c', '-o', obj, src], { stdio: 'pipe' });
  chmodSync(obj, 0o755);
  assertRefused(runKmCli([obj]), 126, `km: ${obj}: `, /relocatable|not an executable/);
});

// A dynamic executable whose PT_INTERP names a missing file or something that is not an ELF
// interpreter: refused before KVM is touched, naming the program and the interpreter.
function withInterp(name: string, interp: string): string {
  const src = join(dir, `${name}.c`);
  writeFileSync(src, 'int main(void) { return 0; }\n');
  const out = join(dir, name);
  execFileSync('gcc', ['-o', out, src, `-Wl,--dynamic-linker=${interp}`], { stdio: 'pipe' });
  return out;
}

test('a dynamic executable whose interpreter is missing: 127, names the interpreter', () => {
  const p = withInterp('nointerp', '/nonexistent/ld-linux.so.2');
  assertRefused(runKmCli(['--device', '/nonexistent/kvm', p]), 127, `km: ${p}: interpreter /nonexistent/ld-linux.so.2: `, /No such file/);
});

test('a dynamic executable whose interpreter is not ELF: 126, names the interpreter', () => {
  const script = exe('not-an-interp', 'just text\n');
  const p = withInterp('badinterp', script);
  assertRefused(runKmCli(['--device', '/nonexistent/kvm', p]), 126, `km: ${p}: interpreter ${script}: `, /not an ELF/);
});

test('a dynamic executable whose interpreter is itself dynamic: 126', () => {
  const p = withInterp('dyninterp', '/bin/true');
  assertRefused(runKmCli(['--device', '/nonexistent/kvm', p]), 126, `km: ${p}: interpreter /bin/true: `, /names an interpreter/);
});

// ---- km's own failures and options ----

test('no KVM device: 125, one line naming the device', () => {
  const r = runKmCli(['--device', '/nonexistent/kvm', hello]);
  assert.equal(r.status, 125, `status ${r.status}; stderr:\n${r.stderr}`);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^[^\n]+\n$/, `one line expected:\n${r.stderr}`);
  assert.match(r.stderr, /\/nonexistent\/kvm/);
  assertNoStackTrace(r);
});

test('the executable is validated before the KVM device is opened', () => {
  const p = exe('script2', 'echo hello\n');
  assertRefused(runKmCli(['--device', '/nonexistent/kvm', p]), 126, `km: ${p}: `, /not an ELF/);
});

test('no arguments: 125, one line', () => {
  const r = runKmCli([]);
  assert.equal(r.status, 125);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^km: [^\n]+\n$/);
  assertNoStackTrace(r);
});

test('an unknown option: 125, one line', () => {
  const r = runKmCli(['--no-such-option', 'x']);
  assert.equal(r.status, 125);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^km: [^\n]+\n$/);
  assert.match(r.stderr, /no-such-option/);
  assertNoStackTrace(r);
});

test('an option missing its value: 125, one line', () => {
  const r = runKmCli(['--device']);
  assert.equal(r.status, 125);
  assert.match(r.stderr, /^km: [^\n]+\n$/);
  assertNoStackTrace(r);
});

test('--help: exit 0, usage on stdout', () => {
  const r = runKmCli(['--help']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /usage/i);
  assert.match(r.stdout, /km \[options\] <executable>|km .*executable/i);
  assert.equal(r.stderr, '');
});

test('--version: exit 0, a version on stdout', () => {
  const r = runKmCli(['--version']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /\d+\.\d+/);
  assert.equal(r.stderr, '');
});
