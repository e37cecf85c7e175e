// Builds every payload for every variant up front (used before running the suite inside a nested
// VM, where compiling is much slower): `node dist/tests/lib/prebuild.js`.
import { readdirSync } from 'node:fs';
import { buildPayload, VARIANTS } from './build.js';
import { payloadSrcDir } from './paths.js';

const names = readdirSync(payloadSrcDir).filter((f) => f.endsWith('.c')).map((f) => f.slice(0, -2));
for (const name of names) for (const v of [...VARIANTS, 'glibc-dynamic' as const]) buildPayload(name, v);
process.stdout.write(`prebuilt ${names.length} payloads x ${VARIANTS.length + 1} variants\n`);
