// Paths under /proc that must describe the payload rather than the monitor's node process.
// Rewritten before a path reaches the host: /proc/self/exe names the payload, /proc/self/fd/N is the
// guest's fd N. (The rest of /proc/self comes with the /proc virtualisation work.)
import { E } from '../host/errno.js';
import type { Process } from './process.js';

const SELF = /^\/proc\/(self|thread-self|\d+)(\/.*)?$/;

/** The host path to use for a guest path (bytes without the NUL), or -errno. */
export function rewriteProcPath(p: Process, path: Buffer): Buffer | number {
  if (path.length < 6 || path[0] !== 0x2f || path.toString('latin1', 0, 6) !== '/proc/') return path;
  const s = path.toString('latin1');
  const m = SELF.exec(s);
  if (!m) return path;
  if (m[1] !== 'self' && m[1] !== 'thread-self' && Number(m[1]) !== p.pid) return path;
  const rest = m[2] ?? '';
  if (rest === '/exe') return Buffer.from(p.exePath);
  const fd = /^\/fd\/(\d+)(\/.*)?$/.exec(rest);
  if (fd) {
    const h = p.fds.get(Number(fd[1]));
    if (h < 0) return -E.ENOENT;
    return Buffer.from(`/proc/self/fd/${h}${fd[2] ?? ''}`, 'latin1');
  }
  return Buffer.from(`/proc/self${rest}`, 'latin1');
}

/** readlink answers that the monitor gives itself rather than asking the host */
export function procReadlink(p: Process, path: Buffer): string | null {
  const s = path.toString('latin1');
  const m = SELF.exec(s);
  if (!m || (m[1] !== 'self' && m[1] !== 'thread-self' && Number(m[1]) !== p.pid)) return null;
  if (m[2] === '/exe') return p.exePath;
  const fd = /^\/fd\/(\d+)$/.exec(m[2] ?? '');
  return fd ? p.fds.object(Number(fd[1]))?.link ?? null : null;
}
