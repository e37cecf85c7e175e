#!/usr/bin/env -S NODE_EXTRA_CA_CERTS= KM_EXTRA_CA_CERTS=${NODE_EXTRA_CA_CERTS} node --preserve-symlinks-main
// km launcher: runs the monitor (dist/src/cli/km.bundle.cjs) in this node process, from a V8 code
// cache when there is one. The first line empties NODE_EXTRA_CA_CERTS in place, because node would
// otherwise load those certificates at every start (~35-75 ms) that a monitor never uses; its value
// rides along in KM_EXTRA_CA_CERTS and km puts it back for the payload, which gets the exact
// environment km was started with (src/cli/env.ts). No shell in between: a shell reorders the
// environment, adds PWD and costs a few milliseconds. --preserve-symlinks-main spares node's
// JavaScript realpath of this file (~1 ms); the one native realpath below finds the bundle when km is
// started through a link (node_modules/.bin/km).
'use strict';
const { readFileSync, writeFileSync, renameSync, unlinkSync, realpathSync } = require('node:fs');
const { join } = require('node:path');
const { Script } = require('node:vm');
const { createRequire } = require('node:module');

const bundle = join(realpathSync.native(__filename), '..', '..', 'dist', 'src', 'cli', 'km.bundle.cjs');
const cacheFile = `${bundle}.codecache`;
let source;
try {
  // ASCII only (scripts/bundle.mjs escapes the rest): latin1 reads it without UTF-8 decoding
  source = readFileSync(bundle, 'latin1');
} catch (e) {
  process.stderr.write(`km: cannot read ${bundle} (${e.code ?? e.message}): run 'npm install' (or 'npm run build') first\n`);
  process.exit(125);
}
let cachedData;
try { cachedData = readFileSync(cacheFile); } catch { /* none yet */ }
const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: bundle, cachedData });
if (cachedData === undefined || script.cachedDataRejected) {
  // km calls this when a payload has run to its end, so the cache holds every function a payload run
  // compiles (what the next start needs), not the few of `km --version` or of a failed start (a start
  // from such a cache compiles the rest from source: ~75 ms instead of ~60). The build makes it with
  // a warm-up payload (scripts/warm-code-cache.mjs). Written aside and renamed, so concurrent starts
  // never read half a file.
  globalThis.__kmSaveCodeCache = () => {
    globalThis.__kmSaveCodeCache = undefined;
    const tmp = `${cacheFile}.${process.pid}`;
    try { writeFileSync(tmp, script.createCachedData()); renameSync(tmp, cacheFile); } catch { try { unlinkSync(tmp); } catch { /* read-only install */ } }
  };
}
const mod = { exports: {} };
script.runInThisContext()(mod.exports, createRequire(bundle), mod, bundle, join(bundle, '..'));
