// Bundles the km command into one CommonJS file (dist/src/cli/km.bundle.cjs) that bin/km runs:
// node starts a single CommonJS script much faster than a graph of ES modules, and km's start-up
// time is part of every payload's.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
await build({
  entryPoints: [join(root, 'dist', 'src', 'cli', 'main.js')],
  outfile: join(root, 'dist', 'src', 'cli', 'km.bundle.cjs'),
  bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning',
  minifyWhitespace: true, minifySyntax: true,
  // ASCII only, so bin/km reads the bundle as latin1 (no UTF-8 decoding at every start)
  charset: 'ascii',
  // import.meta.url only appears on the ES-module path, which the bundle never takes
  logOverride: { 'empty-import-meta': 'silent' },
});
