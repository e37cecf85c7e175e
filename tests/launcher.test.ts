// bin/km, the launcher: it finds the monitor through links (node_modules/.bin/km is one), and it
// writes the V8 code cache only at the end of a payload run, so a `km --version` or a failed start
// never leaves a cache that lacks what a payload run needs. Runs a copy of the launcher and bundle
// in a scratch tree, so the project's own cache is not touched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kmPath, repoRoot } from './lib/paths.js';
import { requireKvm } from './lib/kvm.js';

const hello = join(repoRoot, 'examples', 'hello');

function scratchInstall(): { dir: string; km: string; cache: string } {
  const dir = mkdtempSync(join(tmpdir(), 'km-launcher-'));
  mkdirSync(join(dir, 'bin'));
  mkdirSync(join(dir, 'dist', 'src', 'cli'), { recursive: true });
  copyFileSync(kmPath, join(dir, 'bin', 'km'));
  copyFileSync(join(repoRoot, 'bin', 'package.json'), join(dir, 'bin', 'package.json'));
  const bundle = join(dir, 'dist', 'src', 'cli', 'km.bundle.cjs');
  copyFileSync(join(repoRoot, 'dist', 'src', 'cli', 'km.bundle.cjs'), bundle);
  // what the monitor loads beside the bundle: the addon, the guest image, package.json (--version)
  symlinkSync(join(repoRoot, 'build'), join(dir, 'build'));
  symlinkSync(join(repoRoot, 'dist', 'guest'), join(dir, 'dist', 'guest'));
  copyFileSync(join(repoRoot, 'package.json'), join(dir, 'package.json'));
  return { dir, km: join(dir, 'bin', 'km'), cache: `${bundle}.codecache` };
}

const env = (): NodeJS.ProcessEnv => { const e = { ...process.env }; delete e.NODE_EXTRA_CA_CERTS; return e; };

test('launcher: the code cache is made by a payload run, not by --version or a failed start', (t) => {
  if (!requireKvm(t)) return;
  const s = scratchInstall();
  try {
    const v = spawnSync(s.km, ['--version'], { encoding: 'utf8', env: env() });
    assert.equal(v.status, 0, v.stderr);
    assert.match(v.stdout, /^km \d+\.\d+\.\d+\n$/);
    assert.equal(existsSync(s.cache), false, '--version wrote a code cache');

    const bad = spawnSync(s.km, [join(s.dir, 'no-such-program')], { encoding: 'utf8', env: env() });
    assert.equal(bad.status, 127, bad.stderr);
    assert.equal(existsSync(s.cache), false, 'a failed start wrote a code cache');

    const r = spawnSync(s.km, [hello, 'a'], { encoding: 'utf8', env: env() });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^hello from .*, 1 argument\(s\)\n$/);
    assert.ok(existsSync(s.cache), 'the payload run wrote no code cache');
    const made = statSync(s.cache);

    // a second run finds the cache usable and leaves it as it is
    const again = spawnSync(s.km, [hello], { encoding: 'utf8', env: env() });
    assert.equal(again.status, 0, again.stderr);
    assert.equal(statSync(s.cache).mtimeMs, made.mtimeMs, 'the cache was rejected and rewritten');
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});

test('launcher: km started through a link (as node_modules/.bin/km) finds its monitor', (t) => {
  if (!requireKvm(t)) return;
  const s = scratchInstall();
  try {
    mkdirSync(join(s.dir, 'node_modules', '.bin'), { recursive: true });
    const link = join(s.dir, 'node_modules', '.bin', 'km');
    symlinkSync(join('..', '..', 'bin', 'km'), link);
    const r = spawnSync(link, [hello], { encoding: 'utf8', env: env() });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^hello from /);
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});
