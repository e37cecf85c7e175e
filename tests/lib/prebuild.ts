// Builds every payload for every variant up front (used before running the suite inside a nested
// VM, where compiling is much slower): `node dist/tests/lib/prebuild.js`.
import { readdirSync } from 'node:fs';
import { buildPayload, DYNAMIC_VARIANTS, VARIANTS } from './build.js';
import { payloadSrcDir } from './paths.js';

const names = readdirSync(payloadSrcDir).filter((f) => f.endsWith('.c')).map((f) => f.slice(0, -2));
const all = [...VARIANTS, ...DYNAMIC_VARIANTS];
for (const name of names) for (const v of all) buildPayload(name, v);
process.stdout.write(`prebuilt ${names.length} payloads x ${all.length} variants\n`);
