// The build's last step: makes km's V8 code cache (dist/src/cli/km.bundle.cjs.codecache) from a run
// of examples/hello, so a user's first `km` starts from a cache that holds a whole payload run. The
// launcher (bin/km) writes the cache at the end of the first payload run that finds none. Without
// /dev/kvm the run fails and the first real run makes the cache instead.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
rmSync(join(root, 'dist', 'src', 'cli', 'km.bundle.cjs.codecache'), { force: true });
spawnSync(join(root, 'bin', 'km'), [join(root, 'examples', 'hello')], { stdio: 'ignore' });
