// Builds the example payload (examples/hello) as a static executable. Uses musl-gcc when present,
// else gcc -static (glibc); skips with a note when no C compiler is installed.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'examples', 'hello.c'), out = join(root, 'examples', 'hello');
const has = (cmd) => { try { execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }); return true; } catch { return false; } };
const cc = has('musl-gcc') ? 'musl-gcc' : has('gcc') ? 'gcc' : null;
if (!cc) {
  process.stderr.write('build-examples: no C compiler found; examples/hello not built\n');
} else {
  execFileSync(cc, ['-static', '-O2', '-o', out, src], { stdio: 'inherit' });
}
