// Where things are, resolved from this file's compiled location: dist/tests/lib/paths.js -> repo root.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot: string = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** The km launcher (a shell script that runs node on the compiled CLI). */
export const kmPath: string = join(repoRoot, 'bin', 'km');
export const payloadSrcDir: string = join(repoRoot, 'tests', 'payloads');
/** Built payloads, one directory per toolchain variant (gitignored). */
export const payloadBinDir: string = join(payloadSrcDir, 'bin');
