// Command-line parsing for km: options end at the first non-option word (the executable), so the
// payload's own arguments pass through untouched.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {}

export const KM_OPTIONS = {
  env: { type: 'string', short: 'e', multiple: true },
  unset: { type: 'string', short: 'u', multiple: true },
  'clear-env': { type: 'boolean', short: 'i' },
  trace: { type: 'boolean', short: 'V' },
  stats: { type: 'boolean', short: 'S' },
  verbose: { type: 'boolean', short: 'v' },
  'mem-limit': { type: 'string', short: 'm' },
  'max-threads': { type: 'string' },
  argv0: { type: 'string' },
  device: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

export interface KmArgs {
  env: string[];
  unset: string[];
  clearEnv: boolean;
  trace: boolean;
  stats: boolean;
  verbose: boolean;
  memLimit: number | null;
  maxThreads: number | null;
  argv0: string | null;
  device: string;
  help: boolean;
  version: boolean;
  executable: string | null;
  payloadArgs: string[];
}

const SIZE = /^(\d+)([kKmMgGtT]?)[iI]?[bB]?$/;
export function parseSize(s: string): number {
  const m = SIZE.exec(s.trim());
  if (!m) throw new UsageError(`invalid size '${s}' (use e.g. 512M, 2G)`);
  const mult = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Number(m[1]) * mult;
}

function parseCount(s: string, what: string): number {
  if (!/^\d+$/.test(s.trim()) || Number(s) < 1) throw new UsageError(`invalid --${what} '${s}' (a positive integer)`);
  return Number(s);
}

/** Splits argv at the executable: [km options..., executable, payload args...]. */
function splitAtExecutable(argv: string[]): { own: string[]; rest: string[] } {
  const takesValue = new Set<string>();
  for (const [name, o] of Object.entries(KM_OPTIONS)) {
    if (o.type === 'string') { takesValue.add(`--${name}`); if ('short' in o) takesValue.add(`-${o.short}`); }
  }
  let i = 0;
  while (i < argv.length) {
    const a = argv[i]!;
    if (a === '--') return { own: argv.slice(0, i), rest: argv.slice(i + 1) };
    if (!a.startsWith('-') || a === '-') break;
    if (takesValue.has(a)) i += 2; else i += 1;
  }
  return { own: argv.slice(0, Math.min(i, argv.length)), rest: argv.slice(i) };
}

export function parseKmArgs(argv: string[]): KmArgs {
  const { own, rest } = splitAtExecutable(argv);
  let values;
  try {
    ({ values } = parseArgs({ args: own, options: KM_OPTIONS, strict: true, allowPositionals: false }));
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message.split('\n')[0]! : String(e));
  }
  return {
    env: values.env ?? [],
    unset: values.unset ?? [],
    clearEnv: values['clear-env'] ?? false,
    trace: values.trace ?? false,
    stats: values.stats ?? false,
    verbose: values.verbose ?? false,
    memLimit: values['mem-limit'] !== undefined ? parseSize(values['mem-limit']) : null,
    maxThreads: values['max-threads'] !== undefined ? parseCount(values['max-threads'], 'max-threads') : null,
    argv0: values.argv0 ?? null,
    device: values.device ?? '/dev/kvm',
    help: values.help ?? false,
    version: values.version ?? false,
    executable: rest[0] ?? null,
    payloadArgs: rest.slice(1),
  };
}

export const USAGE = `Usage: km [options] <executable> [args...]

Runs an unmodified static x86-64 Linux executable in its own KVM virtual machine.

Options:
  -e, --env NAME=VALUE   set a variable in the payload's environment (repeatable)
  -u, --unset NAME       remove a variable from the payload's environment (repeatable)
  -i, --clear-env        start the payload with an empty environment (then apply --env)
  -m, --mem-limit SIZE   cap on guest memory, e.g. 512M or 2G (default: physical memory);
                         past it the payload's allocations fail with ENOMEM
      --max-threads N    most threads (vCPUs) the payload may have at once; past it clone
                         fails with EAGAIN (default and ceiling: what KVM and km allow)
      --argv0 NAME       argv[0] for the payload (default: the executable as given)
  -V, --trace            print each system call, decoded, with its result, to stderr
  -S, --stats            print system call counts and time at exit, to stderr
  -v, --verbose          say how the payload ended when it was killed (signal, address, rip)
      --device PATH      KVM device (default /dev/kvm)
  -h, --help             show this help
      --version          show the version

Exit status: the payload's own; a payload killed by a signal kills km with the same signal.
km's own errors: 125 km failed (usage, KVM unavailable, internal error), 126 the file or its
interpreter cannot be executed (not ELF, wrong architecture, corrupt, permission), 127 the file or
its interpreter does not exist.
`;
