// npm's prepare step: `npm run build` unless dist/ is newer than every input. `npx km` links this
// package and re-runs its lifecycle scripts, and a full build (tsc, bundle, guest code) costs ~8 s.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'dist', '.build-stamp');
const inputs = ['src', 'tests', 'guest', 'scripts', 'examples', 'bin', 'package.json', 'tsconfig.json'];

function newest(path) {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  let m = st.mtimeMs;
  // built outputs inside the inputs (payload binaries) do not count
  for (const e of readdirSync(path)) if (e !== 'node_modules' && e !== 'bin' && !e.startsWith('.')) m = Math.max(m, newest(join(path, e)));
  return m;
}

const built = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
if (built === 0 || inputs.some((p) => newest(join(root, p)) > built)) {
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
}
