// km: the Kontain monitor command.
import { readFileSync, statSync } from 'node:fs';
import { delimiter } from 'node:path';
import { parseKmArgs, USAGE, UsageError, type KmArgs } from './args.js';
import type { PayloadSpec } from '../km/monitor.js';
import { callerEnvironment, procSelfStrings } from './env.js';
import { byteString } from '../util/bytes.js';

export const EXIT_KM_FAILED = 125;
export const EXIT_CANNOT_EXECUTE = 126;
export const EXIT_NOT_FOUND = 127;
const ENOENT = 2;

class CliExit {
  constructor(readonly code: number, readonly message: string | null) {}
}

function writeErr(s: string): void {
  // never through process.stderr: that would set O_NONBLOCK on a pipe the payload shares
  try { (globalThis as { __kmWriteErr?: (s: string) => void }).__kmWriteErr?.(s); } catch { /* stderr gone */ }
}

/** Finds the executable like execvp: a name without '/' is looked up in PATH. */
function resolveExecutable(name: string): string {
  if (name.includes('/')) return name;
  for (const dir of (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    const cand = `${dir || '.'}/${name}`;
    try { if (statSync(cand).isFile()) return cand; } catch { /* next */ }
  }
  throw new CliExit(EXIT_NOT_FOUND, `km: ${name}: No such file or directory`);
}

/**
 * The payload's argv as byte strings (src/util/bytes.ts). node decodes its own arguments as UTF-8,
 * turning bytes that are not into U+FFFD: then the executable and its arguments are taken from
 * /proc/self/cmdline, where they are the last words as given (none is read otherwise).
 */
function payloadArgv(a: KmArgs): string[] {
  const words = [a.executable!, ...a.payloadArgs];
  let raw: string[] | null = null;
  if (words.some((w) => w.includes('\ufffd'))) {
    const all = procSelfStrings('cmdline');
    if (all && all.length >= words.length) raw = all.slice(all.length - words.length);
  }
  const bytes = raw ?? words.map(byteString);
  return [a.argv0 !== null ? byteString(a.argv0) : bytes[0]!, ...bytes.slice(1)];
}

/** the payload's environment: byte strings (src/util/bytes.ts), as callerEnvironment gives them;
 * --env and --unset come as text */
function buildEnv(a: KmArgs): string[] {
  const env = new Map<string, string>();
  if (!a.clearEnv) {
    for (const [k, v] of callerEnvironment()) env.set(k, v);
  }
  for (const name of a.unset) env.delete(byteString(name));
  for (const kv of a.env) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new UsageError(`--env expects NAME=VALUE, got '${kv}'`);
    env.set(byteString(kv.slice(0, i)), byteString(kv.slice(i + 1)));
  }
  return [...env].map(([k, v]) => `${k}=${v}`);
}

async function main(argv: string[]): Promise<void> {
  const forked = process.env.KM_FORK_STATE;
  if (forked !== undefined) {
    // this km is the child half of a payload's fork (src/km/fork.ts)
    delete process.env.KM_FORK_STATE;
    const { runForkedChild } = await import('./run.js');
    runForkedChild(forked);
  }
  let a: KmArgs;
  try {
    a = parseKmArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) throw new CliExit(EXIT_KM_FAILED, `km: ${e.message} (see 'km --help')`);
    throw e;
  }
  if (a.help) { process.stdout.write(USAGE); return; }
  if (a.version) {
    const { projectRoot } = await import('../host/native.js');
    const { version } = JSON.parse(readFileSync(`${projectRoot}/package.json`, 'utf8')) as { version: string };
    process.stdout.write(`km ${version}\n`);
    return;
  }
  if (!a.executable) throw new CliExit(EXIT_KM_FAILED, "km: missing executable (see 'km --help')");
  const env = buildEnv(a);

  // validate the executable before touching KVM, so bad input is reported the same everywhere
  const given = a.executable;
  const path = resolveExecutable(given);
  const { prepareProgram, ExecFailure } = await import('../km/program.js');
  let spec: PayloadSpec;
  try {
    spec = prepareProgram(path, given, payloadArgv(a), env);
  } catch (e) {
    if (e instanceof ExecFailure) throw new CliExit(e.errno === ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXECUTE, `km: ${e.message}`);
    throw e;
  }

  const { runPayloadToEnd } = await import('./run.js');
  const { hostPhysicalMemory } = await import('../host/hostcalls.js');
  runPayloadToEnd(spec, {
    trace: a.trace, stats: a.stats, verbose: a.verbose, maxThreads: a.maxThreads ?? 0,
    memLimit: a.memLimit ?? hostPhysicalMemory(), devicePath: a.device, logFd: -1,
  });
}

export async function cli(argv: string[], writeErrFn: (s: string) => void): Promise<void> {
  (globalThis as { __kmWriteErr?: (s: string) => void }).__kmWriteErr = writeErrFn;
  try {
    await main(argv);
  } catch (e) {
    if (e instanceof CliExit) {
      if (e.message) writeErr(`${e.message}\n`);
      process.exit(e.code);
    }
    const msg = e instanceof Error ? e.message : String(e);
    writeErr(`km: internal error: ${msg.split('\n')[0]}\n`);
    if (process.env.KM_DEBUG && e instanceof Error && e.stack) writeErr(`${e.stack}\n`);
    process.exit(EXIT_KM_FAILED);
  }
}
