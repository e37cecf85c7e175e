// km: the Kontain monitor command.
import { accessSync, constants, readFileSync, realpathSync, statSync } from 'node:fs';
import { delimiter, resolve } from 'node:path';
import { totalmem } from 'node:os';
import { parseKmArgs, USAGE, UsageError, type KmArgs } from './args.js';
import type { PayloadSpec } from '../km/monitor.js';

export const EXIT_KM_FAILED = 125;
export const EXIT_CANNOT_EXECUTE = 126;
export const EXIT_NOT_FOUND = 127;

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

function fsReason(e: unknown): string {
  const code = (e as { code?: string }).code;
  switch (code) {
    case 'ENOENT': return 'No such file or directory';
    case 'EACCES': case 'EPERM': return 'Permission denied';
    case 'ENOTDIR': return 'Not a directory';
    case 'ELOOP': return 'Too many levels of symbolic links';
    case 'ENAMETOOLONG': return 'File name too long';
    case 'EISDIR': return 'Is a directory';
    default: return code ?? String(e);
  }
}

function buildEnv(a: KmArgs): string[] {
  const env = new Map<string, string>();
  if (!a.clearEnv) {
    const original = process.env.KM_LAUNCHER_ENVIRON;
    if (original !== undefined) {
      // the environment km was started with, in its order, as the launcher saw it
      for (const kv of Buffer.from(original, 'base64').toString('utf8').split('\0')) {
        const i = kv.indexOf('=');
        if (i > 0) env.set(kv.slice(0, i), kv.slice(i + 1));
      }
    } else {
      for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env.set(k, v);
    }
  }
  for (const name of a.unset) env.delete(name);
  for (const kv of a.env) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new UsageError(`--env expects NAME=VALUE, got '${kv}'`);
    env.set(kv.slice(0, i), kv.slice(i + 1));
  }
  return [...env].map(([k, v]) => `${k}=${v}`);
}

async function main(argv: string[]): Promise<void> {
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
  let st;
  try { st = statSync(path); } catch (e) { throw new CliExit(fsReason(e) === 'No such file or directory' ? EXIT_NOT_FOUND : EXIT_CANNOT_EXECUTE, `km: ${given}: ${fsReason(e)}`); }
  if (st.isDirectory()) throw new CliExit(EXIT_CANNOT_EXECUTE, `km: ${given}: Is a directory`);
  if (!st.isFile()) throw new CliExit(EXIT_CANNOT_EXECUTE, `km: ${given}: not a regular file`);
  try { accessSync(path, constants.X_OK); } catch { throw new CliExit(EXIT_CANNOT_EXECUTE, `km: ${given}: Permission denied`); }
  let file: Uint8Array;
  try { file = readFileSync(path); } catch (e) { throw new CliExit(EXIT_CANNOT_EXECUTE, `km: ${given}: ${fsReason(e)}`); }
  const { parseElf, ElfError } = await import('../elf/elf.js');
  let image;
  try { image = parseElf(file); } catch (e) {
    if (e instanceof ElfError) throw new CliExit(EXIT_CANNOT_EXECUTE, `km: ${given}: ${e.message}`);
    throw e;
  }
  let interp: PayloadSpec['interp'];
  if (image.interp !== null) {
    // like execve: the interpreter named by PT_INTERP is itself a static ELF (ld.so) that km loads
    // next to the program; a relative name is taken relative to the current directory
    const ipath = image.interp;
    const what = `km: ${given}: interpreter ${ipath}`;
    let ifile: Uint8Array;
    try {
      const ist = statSync(ipath);
      if (!ist.isFile()) throw new CliExit(EXIT_CANNOT_EXECUTE, `${what}: not a regular file`);
      ifile = readFileSync(ipath);
    } catch (e) {
      if (e instanceof CliExit) throw e;
      throw new CliExit(fsReason(e) === 'No such file or directory' ? EXIT_NOT_FOUND : EXIT_CANNOT_EXECUTE, `${what}: ${fsReason(e)}`);
    }
    let iimage;
    try { iimage = parseElf(ifile); } catch (e) {
      if (e instanceof ElfError) throw new CliExit(EXIT_CANNOT_EXECUTE, `${what}: ${e.message}`);
      throw e;
    }
    if (iimage.interp !== null) throw new CliExit(EXIT_CANNOT_EXECUTE, `${what}: the interpreter itself names an interpreter`);
    interp = { path: resolve(ipath), image: iimage, file: ifile };
  }

  const { runPayloadToEnd } = await import('./run.js');
  runPayloadToEnd({
    exePath: realpathSync(path), execfn: given, image, file, interp,
    argv: [a.argv0 ?? given, ...a.payloadArgs], envp: env,
  }, {
    trace: a.trace, stats: a.stats, verbose: a.verbose, maxThreads: a.maxThreads ?? 0,
    memLimit: a.memLimit ?? totalmem(), devicePath: a.device, logFd: -1,
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
