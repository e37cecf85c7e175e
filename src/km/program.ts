// What execve(2) checks and reads before a program can replace the current one: the file itself,
// a `#!` script's interpreter (as binfmt_script does), the ELF image and its PT_INTERP. Used by
// the km command line and by the payload's execve, so both refuse the same inputs the same way.
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { E, errnoMessage, errnoName } from '../host/errno.js';
import { sys, addressOf } from '../host/native.js';
import { SYS } from '../host/sysno.js';
import { cstr, hostStat, S_IFDIR, S_IFMT, S_IFREG } from '../host/hostcalls.js';
import { parseElf, ElfError, type ElfImage } from '../elf/elf.js';
import { ARG_MAX } from '../elf/stack.js';
import { openExecutable, closeExecutable, type ExecutableFile } from '../elf/execfile.js';
import type { PayloadSpec } from './monitor.js';
import { byteString, textOf } from '../util/bytes.js';

/** Why a program cannot be executed: the errno execve returns and a one-line reason. */
export class ExecFailure extends Error {
  constructor(readonly errno: number, message: string) { super(message); }
}

/** Linux's binfmt_script: the `#!` line is read from the first 256 bytes */
const SHEBANG_MAX = 256;
/** how many interpreters may chain (a script whose interpreter is a script ...), as Linux */
const MAX_INTERP_DEPTH = 4;

/** execve's errno and words for a failed look-up or read of the file (-errno from the host) */
function reasonOf(errno: number): { errno: number; text: string } {
  switch (errno) {
    case E.ENOENT: case E.ENOTDIR: case E.ELOOP: case E.ENAMETOOLONG: return { errno, text: errnoMessage(errno) };
    case E.EACCES: case E.EPERM: return { errno: E.EACCES, text: errnoMessage(E.EACCES) };
    default: return { errno: E.EIO, text: errnoName(errno) };
  }
}

const X_OK = 1;

/**
 * Reads a file execve runs: it must exist and be a regular file (else `notFile`, EACCES for a
 * program, ELIBBAD for an interpreter); a program must also be executable (an interpreter, like a
 * library, need only be readable). Raw host calls: node's fs costs ~1.5 ms at its first use.
 */
function readExecutable(path: string, what: string, notFile: number = E.EACCES, needExec = true): ExecutableFile {
  const fail = (r: number): never => { const why = reasonOf(-r); throw new ExecFailure(why.errno, `${what}: ${why.text}`); };
  const st = hostStat(path);
  if (typeof st === 'number') return fail(st);
  const type = st.get('mode') & S_IFMT;
  if (type === S_IFDIR && needExec) throw new ExecFailure(E.EACCES, `${what}: Is a directory`);
  if (type !== S_IFREG) throw new ExecFailure(notFile, `${what}: not a regular file`);
  if (needExec && sys(SYS.access, addressOf(cstr(path)), X_OK) < 0) throw new ExecFailure(E.EACCES, `${what}: Permission denied`);
  const f = openExecutable(path, st.get('size'));
  return typeof f === 'number' ? fail(f) : f;
}

/** The interpreter and its optional single argument of a `#!` line, or null when there is none. */
export function parseShebang(file: Uint8Array): { interp: string; arg: string | null } | null {
  if (file.length < 2 || file[0] !== 0x23 || file[1] !== 0x21) return null;
  let end = file.indexOf(0x0a);
  if (end < 0 || end > SHEBANG_MAX) end = Math.min(file.length, SHEBANG_MAX);
  const line = Buffer.from(file.subarray(2, end)).toString('latin1').replace(/[ \t\r]+$/, '').replace(/^[ \t]+/, '');
  if (!line) return null;
  const sp = line.search(/[ \t]/);
  if (sp < 0) return { interp: line, arg: null };
  const arg = line.slice(sp).replace(/^[ \t]+/, '');
  return { interp: line.slice(0, sp), arg: arg || null };
}

/**
 * Prepares `path` (as given: `given`) to run with argv/envp (byte strings, src/util/bytes.ts),
 * following `#!` interpreters. Throws ExecFailure with the errno execve would return.
 */
export function prepareProgram(path: string, given: string, argv: string[], envp: string[], depth = 0): PayloadSpec {
  const strBytes = [...argv, ...envp].reduce((n, s) => n + s.length + 1, 0);
  if (strBytes > ARG_MAX) throw new ExecFailure(E.E2BIG, `${given}: Argument list too long`);
  const file = readExecutable(path, given);
  try {
    return prepareImage(file, path, given, argv, envp, depth);
  } catch (e) {
    closeExecutable(file);
    throw e;
  }
}

function prepareImage(file: ExecutableFile, path: string, given: string, argv: string[], envp: string[], depth: number): PayloadSpec {
  const script = parseShebang(file.bytes);
  if (script) {
    if (depth >= MAX_INTERP_DEPTH) throw new ExecFailure(E.ELOOP, `${given}: too many levels of #! interpreters`);
    closeExecutable(file);
    // binfmt_script: argv[0] is replaced by the interpreter, its argument and the script's path
    // (the #! line is bytes: the interpreter's path as text for opening it)
    const args = [script.interp, ...(script.arg !== null ? [script.arg] : []), byteString(path), ...argv.slice(1)];
    const interpPath = textOf(script.interp);
    return prepareProgram(interpPath, interpPath, args, envp, depth + 1);
  }
  let image: ElfImage;
  try { image = parseElf(file.bytes); } catch (e) {
    if (e instanceof ElfError) throw new ExecFailure(E.ENOEXEC, `${given}: ${e.message}`);
    throw e;
  }
  let interp: PayloadSpec['interp'];
  if (image.interp !== null) {
    // the interpreter named by PT_INTERP is itself a static ELF (ld.so) loaded next to the
    // program; a relative name is taken relative to the current directory
    const ipath = image.interp;
    const what = `${given}: interpreter ${ipath}`;
    const ifile = readExecutable(ipath, what, E.ELIBBAD, false);
    let iimage: ElfImage;
    try { iimage = parseElf(ifile.bytes); } catch (e) {
      closeExecutable(ifile);
      if (e instanceof ElfError) throw new ExecFailure(E.ELIBBAD, `${what}: ${e.message}`);
      throw e;
    }
    if (iimage.interp !== null) {
      closeExecutable(ifile);
      throw new ExecFailure(E.ELIBBAD, `${what}: the interpreter itself names an interpreter`);
    }
    interp = { path: resolve(ipath), image: iimage, file: ifile };
  }
  let exePath: string;
  // the native realpath: one call, where the JavaScript one walks the path component by component
  try { exePath = realpathSync.native(path); } catch { exePath = resolve(path); }
  return { exePath, execfn: given, image, file, interp, argv, envp };
}
