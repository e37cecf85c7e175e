// Where things are, resolved from this file's compiled location: dist/tests/lib/paths.js -> repo root.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot: string = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** The km launcher (a node script that runs the bundled monitor). */
export const kmPath: string = join(repoRoot, 'bin', 'km.cjs');
export const payloadSrcDir: string = join(repoRoot, 'tests', 'payloads');
/** Built payloads, one directory per toolchain variant (gitignored). */
export const payloadBinDir: string = join(payloadSrcDir, 'bin');
