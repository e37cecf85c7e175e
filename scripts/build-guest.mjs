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
