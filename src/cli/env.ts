// The environment km was started with, for the payload. bin/km.cjs runs node through
// `env -S NODE_EXTRA_CA_CERTS= KM_EXTRA_CA_CERTS=${NODE_EXTRA_CA_CERTS} node`: the first variable
// was emptied where it stood (node would load those certificates at every start) and its value
// appended as the second. This undoes both, keeping the order: what a native run would be given.
import { hostReadFile } from '../host/hostcalls.js';
import { latin1String } from '../util/bytes.js';

export const CA_VAR = 'NODE_EXTRA_CA_CERTS';
export const CA_CARRIER = 'KM_EXTRA_CA_CERTS';

/** name=value pairs, in order, of the environment this process was started with (its exec block) */
function initialEnvironment(): [string, string][] {
  const raw = hostReadFile('/proc/self/environ');
  if (typeof raw === 'number') return Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined);
  // byte strings (src/util/bytes.ts): the payload gets the bytes, whatever their encoding
  const block = latin1String(raw);
  const out: [string, string][] = [];
  for (const kv of block.split('\0')) {
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
