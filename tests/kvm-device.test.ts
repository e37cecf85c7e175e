// A KVM device km may not open: one clear line naming the device and the reason, exit 125.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kmPath, repoRoot } from './lib/paths.js';

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
