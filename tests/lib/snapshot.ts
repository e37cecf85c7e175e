// A comparable description of a directory tree: every entry's type, permission bits, size and
// content hash (symlinks: their target). Timestamps, inode numbers and owners are left out.
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

export type DirSnapshot = Record<string, string>;

export function snapshotDir(root: string): DirSnapshot {
  const out: DirSnapshot = {};
  const walk = (rel: string): void => {
    const names = readdirSync(join(root, rel)).sort();
    for (const name of names) {
      const r = rel ? `${rel}/${name}` : name;
      const p = join(root, r);
      const st = lstatSync(p);
      const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
      if (st.isSymbolicLink()) out[r] = `symlink -> ${readlinkSync(p)}`;
      else if (st.isDirectory()) { out[r] = `dir ${mode}`; walk(r); }
      else if (st.isFile()) {
        const sha = createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 16);
        out[r] = `file ${mode} size=${st.size} sha256=${sha}`;
      } else out[r] = `other ${mode}`;
    }
  };
  walk('');
  return out;
}
