// The environment km was started with, for the payload. bin/km.cjs runs node through
// `env -S NODE_EXTRA_CA_CERTS= KM_EXTRA_CA_CERTS=${NODE_EXTRA_CA_CERTS} node`: the first variable
// was emptied where it stood (node would load those certificates at every start) and its value
// appended as the second. This undoes both, keeping the order: what a native run would be given.
import { hostReadFile } from '../host/hostcalls.js';
import { latin1String } from '../util/bytes.js';

export const CA_VAR = 'NODE_EXTRA_CA_CERTS';
export const CA_CARRIER = 'KM_EXTRA_CA_CERTS';

/** The NUL-separated strings of /proc/self/<name> (cmdline, environ) as byte strings
 * (src/util/bytes.ts): what this process was started with, whatever its encoding; null if unreadable. */
export function procSelfStrings(name: 'cmdline' | 'environ'): string[] | null {
  const raw = hostReadFile(`/proc/self/${name}`);
  if (typeof raw === 'number') return null;
  const all = latin1String(raw).split('\0');
  if (all.at(-1) === '') all.pop();
  return all;
}

/** name=value pairs, in order, of the environment this process was started with (its exec block) */
function initialEnvironment(): [string, string][] {
  const block = procSelfStrings('environ');
  if (block === null) return Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined);
  const out: [string, string][] = [];
  for (const kv of block) {
    const i = kv.indexOf('=');
    if (i > 0) out.push([kv.slice(0, i), kv.slice(i + 1)]);
  }
  return out;
}

/** The environment km's own caller gave it, in order, as a native program would get it. */
export function callerEnvironment(): [string, string][] {
  const env = initialEnvironment();
  const carried = env.find(([k]) => k === CA_CARRIER);
  if (carried === undefined) return env; // not started by bin/km.cjs: as it is
  const out: [string, string][] = [];
  for (const [k, v] of env) {
    if (k === CA_CARRIER) continue;
    // emptied by the launcher: its value back in place, or gone when the caller had none
    if (k === CA_VAR && v === '') { if (carried[1] !== '') out.push([k, carried[1]]); continue; }
    out.push([k, v]);
  }
  return out;
}
