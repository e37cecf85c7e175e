#!/usr/bin/env -S NODE_EXTRA_CA_CERTS= KM_EXTRA_CA_CERTS=${NODE_EXTRA_CA_CERTS} node --preserve-symlinks-main --single-threaded-gc
// km launcher: runs the monitor (dist/src/cli/km.bundle.cjs) in this node process, from a V8 code
// cache when there is one. The first line empties NODE_EXTRA_CA_CERTS in place, because node would
// otherwise load those certificates at every start (~35-75 ms) that a monitor never uses; its value
// rides along in KM_EXTRA_CA_CERTS and km puts it back for the payload, which gets the exact
// environment km was started with (src/cli/env.ts). No shell in between: a shell reorders the
// environment, adds PWD and costs a few milliseconds. --preserve-symlinks-main spares node's
// JavaScript realpath of this file (~1 ms); the one native realpath below finds the bundle when km is
// started through a link (node_modules/.bin/km). The .cjs name spares node's package.json lookups.
// --single-threaded-gc: the start-up's one scavenge runs on this thread instead of waking V8's
// helper threads (~1.4 ms in alternated runs); the monitor's heap stays small.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { writeFileSync, renameSync, unlinkSync, realpathSync } = fs;
const { join } = path;
const { Script } = require('node:vm');

const root = join(realpathSync.native(__filename), '..', '..');
const bundle = join(root, 'dist', 'src', 'cli', 'km.bundle.cjs');
const cacheFile = `${bundle}.codecache`;

// The addon first: its prewarm thread makes the VM while the monitor loads, and it maps the bundle
// and its cache (no read, no copy, no 250 KB string on the JS heap). The monitor takes this
// instance (src/host/native.ts).
const addonPath = join(root, 'build', 'Release', 'km_native.node');
const addon = { exports: {} };
try {
  process.dlopen(addon, addonPath);
} catch (e) {
  process.stderr.write(`km: native addon not built (${addonPath}): ${String(e.message).split('\n')[0]}; run 'npm install' first\n`);
  process.exit(125);
}
globalThis[Symbol.for('km.native')] = addon.exports;

const source = addon.exports.mapFile(bundle, true);
if (typeof source !== 'string') {
  const { errno } = require('node:os').constants;
  const name = Object.keys(errno).find((k) => errno[k] === -source) ?? `errno ${-source}`;
  process.stderr.write(`km: cannot read ${bundle} (${name}): run 'npm install' (or 'npm run build') first\n`);
  process.exit(125);
}
const mapped = addon.exports.mapFile(cacheFile, false);
const cachedData = typeof mapped === 'number' ? undefined : mapped; // -ENOENT: none yet
// the bundle is one function expression, (function (exports, require, module, __filename, __dirname) {...})
const script = new Script(source, { filename: bundle, cachedData });
if (cachedData === undefined || script.cachedDataRejected) {
  // km calls this when a payload has run to its end, so the cache holds every function a payload run
  // compiles (what the next start needs), not the few of `km --version` or of a failed start (a start
  // from such a cache compiles the rest from source: ~75 ms instead of ~60). The build makes it with
  // a warm-up payload (scripts/warm-code-cache.mjs). Written aside and renamed, so concurrent starts
  // never read half a file, and a cache mapped by a running km stays as it was.
  globalThis.__kmSaveCodeCache = () => {
    globalThis.__kmSaveCodeCache = undefined;
    const tmp = `${cacheFile}.${process.pid}`;
    try { writeFileSync(tmp, script.createCachedData()); renameSync(tmp, cacheFile); } catch { try { unlinkSync(tmp); } catch { /* read-only install */ } }
  };
}
// the monitor's require: the builtins this file has already loaded are handed over directly (node's
// require runs its module loader for each call, ~0.3 ms over a start's dozen calls)
const loaded = { 'node:fs': fs, 'node:path': path };
const requireForBundle = (id) => loaded[id] ?? require(id);
const mod = { exports: {} };
script.runInThisContext()(mod.exports, requireForBundle, mod, bundle, join(bundle, '..'));
