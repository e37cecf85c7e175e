// bin/km.cjs, the launcher: it finds the monitor through links (node_modules/.bin/km is one), and it
// writes the V8 code cache only at the end of a payload run, so a `km --version` or a failed start
// never leaves a cache that lacks what a payload run needs. Runs a copy of the launcher and bundle
// in a scratch tree, so the project's own cache is not touched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kmPath, repoRoot } from './lib/paths.js';
import { requireKvm } from './lib/kvm.js';

const hello = join(repoRoot, 'examples', 'hello');

function scratchInstall(): { dir: string; km: string; cache: string } {
  const dir = mkdtempSync(join(tmpdir(), 'km-launcher-'));
  mkdirSync(join(dir, 'bin'));
  mkdirSync(join(dir, 'dist', 'src', 'cli'), { recursive: true });
  copyFileSync(kmPath, join(dir, 'bin', 'km.cjs'));
  const bundle = join(dir, 'dist', 'src', 'cli', 'km.bundle.cjs');
  copyFileSync(join(repoRoot, 'dist', 'src', 'cli', 'km.bundle.cjs'), bundle);
  // what the monitor loads beside the bundle: the addon, the guest image, package.json (--version)
  symlinkSync(join(repoRoot, 'build'), join(dir, 'build'));
  symlinkSync(join(repoRoot, 'dist', 'guest'), join(dir, 'dist', 'guest'));
  copyFileSync(join(repoRoot, 'package.json'), join(dir, 'package.json'));
  return { dir, km: join(dir, 'bin', 'km.cjs'), cache: `${bundle}.codecache` };
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

test('launcher: a missing addon or bundle is one line on stderr and exit status 125', () => {
  const s = scratchInstall();
  try {
    rmSync(join(s.dir, 'build'));
    const noAddon = spawnSync(s.km, [hello], { encoding: 'utf8', env: env() });
    assert.equal(noAddon.status, 125, noAddon.stderr);
    assert.match(noAddon.stderr, /^km: native addon not built \(.*km_native\.node\): .*run 'npm install' first\n$/);
    symlinkSync(join(repoRoot, 'build'), join(s.dir, 'build'));
    rmSync(join(s.dir, 'dist', 'src', 'cli', 'km.bundle.cjs'));
    const noBundle = spawnSync(s.km, [hello], { encoding: 'utf8', env: env() });
    assert.equal(noBundle.status, 125, noBundle.stderr);
    assert.match(noBundle.stderr, /^km: cannot read .*km\.bundle\.cjs \(ENOENT\): run 'npm install' \(or 'npm run build'\) first\n$/);
    assert.equal(noBundle.stdout + noAddon.stdout, '');
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
    symlinkSync(join('..', '..', 'bin', 'km.cjs'), link);
    const r = spawnSync(link, [hello], { encoding: 'utf8', env: env() });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^hello from /);
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});

test('launcher: its old name bin/km, which links made before the rename point to, runs it', (t) => {
  if (!requireKvm(t)) return;
  const s = scratchInstall();
  try {
    copyFileSync(join(repoRoot, 'bin', 'km'), join(s.dir, 'bin', 'km'));
    copyFileSync(join(repoRoot, 'bin', 'package.json'), join(s.dir, 'bin', 'package.json'));
    mkdirSync(join(s.dir, 'node_modules', '.bin'), { recursive: true });
    const link = join(s.dir, 'node_modules', '.bin', 'km');
    symlinkSync(join('..', '..', 'bin', 'km'), link);
    for (const km of [join(s.dir, 'bin', 'km'), link]) {
      const r = spawnSync(km, [hello, 'x'], { encoding: 'utf8', env: env() });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^hello from .*, 1 argument\(s\)\n$/);
    }
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});

/** pids of the processes named km-teardown (the helper that tears down an exited km's VM) */
function teardownHelpers(): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try { if (readFileSync(`/proc/${d}/comm`, 'utf8') === 'km-teardown\n') pids.push(Number(d)); } catch { /* gone */ }
  }
  return pids;
}

test('launcher: km exits before the VM teardown, and the teardown closes every descriptor and ends', async (t) => {
  if (!requireKvm(t)) return;
  // fd 3 is a pipe km inherits and never closes itself: its reader sees EOF only when every copy is
  // closed, the teardown helper's (which shares km's descriptor table) included
  const child = spawn(kmPath, [hello], { env: env(), stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => { out += s; });
  const extra = child.stdio[3] as NodeJS.ReadableStream;
  extra.resume();
  const eof = new Promise<void>((resolve) => extra.on('end', () => resolve()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  assert.equal(code, 0);
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 5000).unref());
  assert.notEqual(await Promise.race([eof, timeout]), 'timeout', 'km\'s inherited descriptor stayed open 5 s after it exited');
  assert.match(out, /^hello from /);
  // helpers seen now (this run's or a concurrent test's) must all be gone within a few seconds
  const seen = teardownHelpers();
  for (let i = 0; i < 50 && seen.some((pid) => existsSync(`/proc/${pid}/comm`)); i++) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(seen.filter((pid) => existsSync(`/proc/${pid}/comm`)), [], 'a km-teardown helper lived on for 5 s');
});
