// The test command (npm test): builds, then runs every suite with node's test runner.
//
// Tests that need KVM fail loudly when /dev/kvm cannot be opened, unless KM_TEST_ALLOW_NO_KVM=1
// (then they are skipped). KM_TEST_NESTED=1 on a machine without KVM runs the whole suite inside a
// nested-KVM VM instead (tools/qemu-kvm/run-in-vm.sh: QEMU emulating AMD SVM with a real /dev/kvm
// inside): the KVM tests then run for real, slowly (tens of minutes).
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
const dir = join(root, 'dist', 'tests');
const only = process.argv.slice(2);
const files = readdirSync(dir).filter((f) => f.endsWith('.test.js'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o))).sort().map((f) => join(dir, f));

function kvmUsable() {
  try { closeSync(openSync('/dev/kvm', constants.O_RDWR)); return true; } catch { return false; }
}

const nestedTool = join(root, 'tools', 'qemu-kvm', 'run-in-vm.sh');
let cmd = process.execPath, args = ['--test', '--test-concurrency=2', ...files];
if (!kvmUsable() && process.env.KM_TEST_NESTED === '1' && existsSync(nestedTool)) {
  process.stderr.write('\nrun-tests: /dev/kvm cannot be opened here: running the suite inside a nested-KVM VM\n' +
    '  (tools/qemu-kvm: QEMU/TCG emulating AMD SVM; slow, but the KVM tests run for real).\n\n');
  execFileSync(process.execPath, [join(dir, 'lib', 'prebuild.js')], { cwd: root, stdio: 'inherit' });
  cmd = nestedTool;
  args = ['--timeout', process.env.KM_TEST_NESTED_TIMEOUT ?? '4500', '--', 'env', 'KM_TEST_TIMEOUT_MS=600000',
    process.execPath, '--test', '--test-concurrency=2', '--test-timeout=900000', ...files];
}
const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
