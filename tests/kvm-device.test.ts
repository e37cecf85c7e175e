// A KVM device km may not open: one clear line naming the device and the reason, exit 125. And the
// VM the native addon makes ahead while node loads the monitor: used for the default device only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, chmodSync, readdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kmPath, repoRoot } from './lib/paths.js';
import { requireKvm } from './lib/kvm.js';

const hello = join(repoRoot, 'examples', 'hello');

test('no permission on the KVM device: 125, one line naming it', (t) => {
  if (process.getuid?.() !== 0) { t.skip('needs root to switch to an unprivileged user'); return; }
  const dir = mkdtempSync(join(tmpdir(), 'km-dev-'));
  chmodSync(dir, 0o755);
  const dev = join(dir, 'kvm');
  writeFileSync(dev, '');
  chmodSync(dev, 0o600); // root only
  try {
    const r = spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', kmPath, '--device', dev, hello], { encoding: 'utf8' });
    assert.equal(r.status, 125, r.stderr);
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, new RegExp(`^km: cannot open ${dev}: Permission denied`));
    assert.equal(r.stdout, '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** the KVM objects km holds while its payload waits on stdin: [VMs, vCPUs] */
async function kvmObjectsWhileRunning(kmArgs: string[], env: NodeJS.ProcessEnv): Promise<[number, number]> {
  // cat waits on its stdin until the test closes it
  const child = spawn(kmPath, [...kmArgs, '/bin/cat'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => { err += s; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  child.stdin!.write('ping\n');
  await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  const links = readdirSync(`/proc/${child.pid}/fd`).map((fd) => { try { return readlinkSync(`/proc/${child.pid}/fd/${fd}`); } catch { return ''; } });
  child.stdin!.end();
  assert.equal(await exited, 0, err);
  return [links.filter((l) => l === 'anon_inode:kvm-vm').length, links.filter((l) => l.startsWith('anon_inode:kvm-vcpu')).length];
}

test('the VM made ahead at load: used for the default device, closed for another', async (t) => {
  if (!requireKvm(t)) return;
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  assert.deepEqual(await kvmObjectsWhileRunning([], env), [1, 1], 'default device');
  assert.deepEqual(await kvmObjectsWhileRunning([], { ...env, KM_NO_PREWARM: '1' }), [1, 1], 'without the helper thread');
  // the same device under another name: the early VM must be closed, not kept beside the new one
  const dir = mkdtempSync(join(tmpdir(), 'km-dev-'));
  try {
    symlinkSync('/dev/kvm', join(dir, 'kvm'));
    assert.deepEqual(await kvmObjectsWhileRunning(['--device', join(dir, 'kvm')], env), [1, 1], '--device another path');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
