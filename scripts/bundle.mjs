// Bundles the km command into one CommonJS file (dist/src/cli/km.bundle.cjs) that bin/km.cjs runs:
// node starts a single CommonJS script much faster than a graph of ES modules, and km's start-up
// time is part of every payload's.
import { build } from 'esbuild';
import { renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, 'dist', 'src', 'cli', 'km.bundle.cjs');
const result = await build({
  entryPoints: [join(root, 'dist', 'src', 'cli', 'main.js')],
  outfile, write: false,
  bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning',
  minifyWhitespace: true, minifySyntax: true,
  // ASCII only, so the launcher takes the bundle as latin1 (no UTF-8 decoding at every start)
  charset: 'ascii',
  // import.meta.url only appears on the ES-module path, which the bundle never takes
  logOverride: { 'empty-import-meta': 'silent' },
});
// Written as the function expression node's CommonJS loader would wrap it in, so the launcher
// compiles the file as it is (no 250 KB string concatenated at every start). Written aside and
// renamed: a running km maps this file, and its mapping must keep the old contents.
const code = `(function (exports, require, module, __filename, __dirname) {${result.outputFiles[0].text}\n})`;
const tmp = `${outfile}.${process.pid}`;
writeFileSync(tmp, code, 'latin1');
renameSync(tmp, outfile);
