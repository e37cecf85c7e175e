// Assembles guest/entry.S into a flat image (dist/guest/entry.bin) and a symbol table
// (dist/guest/entry.json) that the monitor reads. Needs binutils (as, ld, objcopy, nm).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'guest');
mkdirSync(out, { recursive: true });
const run = (cmd, args) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] }).toString();

run('as', ['--64', '-o', join(out, 'entry.o'), join(root, 'guest', 'entry.S')]);
run('ld', ['-nostdlib', '-static', '-Ttext=0', '-e', 'syscall_entry', '-o', join(out, 'entry.elf'), join(out, 'entry.o')]);
run('objcopy', ['-O', 'binary', '-j', '.text', join(out, 'entry.elf'), join(out, 'entry.bin')]);
const symbols = {};
for (const line of run('nm', [join(out, 'entry.elf')]).split('\n')) {
  const m = /^([0-9a-f]+) [AaTt] (\w+)$/.exec(line.trim());
  if (m) symbols[m[2]] = parseInt(m[1], 16);
}
const size = readFileSync(join(out, 'entry.bin')).length;
writeFileSync(join(out, 'entry.json'), JSON.stringify({ size, symbols }, null, 2) + '\n');

// The vDSO (guest/vdso.c): a small shared object, stored as its memory image in dist/guest/vdso.bin
// so the monitor only copies bytes. Needs gcc.
const vdsoSo = join(out, 'vdso.so');
run('gcc', ['-O2', '-fPIC', '-shared', '-nostdlib', '-ffreestanding', '-fno-stack-protector', '-fno-builtin',
  '-mgeneral-regs-only', '-Wl,--hash-style=both', '-Wl,-soname=linux-vdso.so.1',
  `-Wl,--version-script=${join(root, 'guest', 'vdso.lds')}`, `-Wl,-T,${join(root, 'guest', 'vdso-layout.lds')}`,
  '-Wl,-z,max-page-size=4096', '-Wl,-z,noseparate-code',
  '-Wl,--build-id=none', '-o', vdsoSo, join(root, 'guest', 'vdso.c')]);
const so = readFileSync(vdsoSo);
// guest/vdso-layout.lds makes one PT_LOAD at address 0 with file offsets equal to addresses, so the
// image is the file's loaded part, page-rounded
const phoff = Number(so.readBigUInt64LE(32)), phentsize = so.readUInt16LE(54), phnum = so.readUInt16LE(56);
const PT_LOAD = 1;
const loads = [];
for (let i = 0; i < phnum; i++) {
  const o = phoff + i * phentsize;
  if (so.readUInt32LE(o) === PT_LOAD) loads.push({ offset: so.readBigUInt64LE(o + 8), vaddr: so.readBigUInt64LE(o + 16), filesz: Number(so.readBigUInt64LE(o + 32)), memsz: Number(so.readBigUInt64LE(o + 40)) });
}
const [load] = loads;
if (loads.length !== 1 || load.vaddr !== 0n || load.offset !== 0n) throw new Error('vdso: expected one PT_LOAD holding the ELF header at address 0');
const image = Buffer.alloc(Math.ceil(load.memsz / 4096) * 4096);
so.copy(image, 0, 0, load.filesz);
writeFileSync(join(out, 'vdso.bin'), image);
