// The build's last step: makes km's V8 code cache (dist/src/cli/km.bundle.cjs.codecache) from a run
// of a payload, so a user's first `km` starts from a cache that holds a whole payload run. The
// launcher (bin/km.cjs) writes the cache at the end of the first payload run that finds none. The
// payload is scripts/warmup/warmup.c, built dynamically (the dynamic loader, memory, files, identity,
// a pipe, a signal, a sleep, threads): a monitor function the cache lacks is compiled from source at
// its first use, which made a program's first thread ~2 ms slower; the bigger cache costs a hello
// start a little. Without a C compiler examples/hello is run if it exists; without /dev/kvm the run
// fails and the first real run makes the cache instead.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
rmSync(join(root, 'dist', 'src', 'cli', 'km.bundle.cjs.codecache'), { force: true });

function buildWarmup() {
  const out = join(root, 'dist', 'warmup', 'warmup');
  mkdirSync(dirname(out), { recursive: true });
  // dynamic first, so that the dynamic loader's work (the interpreter, file mappings) is in the
  // cache too; static where only a static build works
  for (const [cc, ...flags] of [['gcc'], ['musl-gcc', '-static'], ['gcc', '-static']]) {
    try {
      execFileSync(cc, [...flags, '-O2', '-pthread', '-o', out, join(root, 'scripts', 'warmup', 'warmup.c')], { stdio: 'ignore' });
      return out;
    } catch { /* the next way */ }
  }
  return null;
}

const warmup = buildWarmup();
const hello = join(root, 'examples', 'hello');
const payload = warmup ? [warmup, warmup] : existsSync(hello) ? [hello] : null;
if (payload) spawnSync(join(root, 'bin', 'km.cjs'), payload, { stdio: 'ignore' });
