// The test command (npm test): builds, then runs every suite with node's test runner.
// Tests that need /dev/kvm fail loudly when it cannot be opened, unless KM_TEST_ALLOW_NO_KVM=1.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
const dir = join(root, 'dist', 'tests');
const only = process.argv.slice(2);
const files = readdirSync(dir).filter((f) => f.endsWith('.test.js')).filter((f) => only.length === 0 || only.some((o) => f.includes(o))).sort().map((f) => join(dir, f));
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
