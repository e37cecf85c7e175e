// Command-line parsing for km: options end at the first non-option word (the executable), so the
// payload's own arguments pass through untouched. The `arg` package rather than node:util's
// parseArgs: it is bundled into km's code cache, where parseArgs is compiled from source at every
// start (~1.5 ms of a ~20 ms budget).
import arg from 'arg';

export class UsageError extends Error {}

export const KM_OPTIONS = {
  '--env': [String], '-e': '--env',
  '--unset': [String], '-u': '--unset',
  '--clear-env': Boolean, '-i': '--clear-env',
  '--trace': Boolean, '-V': '--trace',
  '--stats': Boolean, '-S': '--stats',
  '--verbose': Boolean, '-v': '--verbose',
  '--mem-limit': String, '-m': '--mem-limit',
  '--max-threads': String,
  '--argv0': String,
  '--device': String,
  '--help': Boolean, '-h': '--help',
  '--version': Boolean,
} satisfies arg.Spec;

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

export function parseKmArgs(argv: string[]): KmArgs {
  let v: arg.Result<typeof KM_OPTIONS>;
  try {
    v = arg(KM_OPTIONS, { argv, stopAtPositional: true });
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message.split('\n')[0]! : String(e));
  }
  const rest = v._;
  return {
    env: v['--env'] ?? [],
    unset: v['--unset'] ?? [],
    clearEnv: v['--clear-env'] ?? false,
    trace: v['--trace'] ?? false,
    stats: v['--stats'] ?? false,
    verbose: v['--verbose'] ?? false,
    memLimit: v['--mem-limit'] !== undefined ? parseSize(v['--mem-limit']) : null,
    maxThreads: v['--max-threads'] !== undefined ? parseCount(v['--max-threads'], 'max-threads') : null,
    argv0: v['--argv0'] ?? null,
    device: v['--device'] ?? '/dev/kvm',
    help: v['--help'] ?? false,
    version: v['--version'] ?? false,
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
  -S, --stats            print system call counts and time, and KVM's own counters, at exit, to stderr
  -v, --verbose          say how the payload ended when it was killed (signal, address, rip)
      --device PATH      KVM device (default /dev/kvm)
  -h, --help             show this help
      --version          show the version

Exit status: the payload's own; a payload killed by a signal kills km with the same signal.
km's own errors: 125 km failed (usage, KVM unavailable, internal error), 126 the file or its
interpreter cannot be executed (not ELF, wrong architecture, corrupt, permission), 127 the file or
its interpreter does not exist.
`;
