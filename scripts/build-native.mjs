// npm's install step. Builds the N-API addon with node-gyp only when build/Release/km_native.node is
// missing or older than its sources: `npx km` links this package and re-runs the install script, and
// an unconditional `node-gyp rebuild` would cost ~9 s on every such start.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const addon = join(root, 'build', 'Release', 'km_native.node');
const sources = ['binding.gyp', 'native/km_native.c'].map((p) => join(root, p));
const mtime = (p) => statSync(p).mtimeMs;

if (existsSync(addon) && sources.every((s) => mtime(s) <= mtime(addon))) process.exit(0);
// npm puts its bundled node-gyp on PATH for lifecycle scripts; npm_config_node_gyp names it otherwise.
const gyp = process.env.npm_config_node_gyp;
const [cmd, args] = gyp ? [process.execPath, [gyp, 'rebuild']] : ['node-gyp', ['rebuild']];
execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });
