// The initial process stack Linux builds for a new program: argc, argv, envp, auxv, and the strings
// and random bytes they point to.
import { sys, addressOf } from '../host/native.js';
import { SYS } from '../host/sysno.js';
import { GuestMemory } from '../vm/guestmem.js';
import { latin1Bytes, utf8Bytes } from '../util/bytes.js';

export const AT = {
  NULL: 0, IGNORE: 1, EXECFD: 2, PHDR: 3, PHENT: 4, PHNUM: 5, PAGESZ: 6, BASE: 7, FLAGS: 8, ENTRY: 9,
  NOTELF: 10, UID: 11, EUID: 12, GID: 13, EGID: 14, PLATFORM: 15, HWCAP: 16, CLKTCK: 17, SECURE: 23,
  BASE_PLATFORM: 24, RANDOM: 25, HWCAP2: 26, EXECFN: 31, SYSINFO_EHDR: 33, MINSIGSTKSZ: 51,
} as const;

export interface StackSpec {
  /** byte strings (src/util/bytes.ts) */
  argv: string[];
  envp: string[];
  execfn: string;
  platform: string;
  /** auxv entries except those pointing at stack data (PLATFORM, RANDOM, EXECFN), added here */
  auxv: [number, number][];
}

/** Linux's limit for argv + envp strings with the default 8 MiB stack (a quarter of it). */
export const ARG_MAX = 2 * 1024 * 1024;

export class ArgListTooLong extends Error {}

export interface BuiltStack {
  rsp: number; auxv: [number, number][]; random: Uint8Array;
  /** where the argv and environment strings lie ([start, end), /proc/self/cmdline and environ) */
  argStart: number; argEnd: number; envStart: number; envEnd: number;
}

/** Writes the initial stack below `top`; returns the stack pointer (pointing at argc). */
export function buildInitialStack(mem: GuestMemory, top: number, spec: StackSpec): BuiltStack {
  // argv and envp are byte strings (src/util/bytes.ts), the file name and platform text
  const enc = (s: string) => utf8Bytes(s, true), bytes = (s: string) => latin1Bytes(s, true);
  const argvB = spec.argv.map(bytes), envB = spec.envp.map(bytes);
  const strBytes = [...argvB, ...envB].reduce((n, b) => n + b.length, 0);
  if (strBytes > ARG_MAX) throw new ArgListTooLong(`argument list too long (${strBytes} bytes)`);
  const execfnB = enc(spec.execfn), platB = enc(spec.platform);
  // AT_RANDOM: from getrandom directly (loading node:crypto costs a km start-up ~7 ms)
  const random = new Uint8Array(16);
  if (sys(SYS.getrandom, addressOf(random), random.length, 0) !== random.length) throw new Error('getrandom failed');

  // string area below the end marker: argv and env strings ascending and contiguous (as Linux
  // lays them out; setproctitle-style code relies on it), then the file name
  const execfnAt = top - 8 - execfnB.length;
  mem.write(execfnAt, execfnB);
  let p = execfnAt - strBytes;
  const argvAt: number[] = [], envAt: number[] = [];
  let q = p;
  for (const b of argvB) { argvAt.push(q); mem.write(q, b); q += b.length; }
  for (const b of envB) { envAt.push(q); mem.write(q, b); q += b.length; }
  p -= platB.length;
  const platAt = p;
  mem.write(platAt, platB);
  p -= p % 16;
  p -= random.length;
  const randomAt = p;
  mem.write(randomAt, random);

  const auxv: [number, number][] = [...spec.auxv, [AT.RANDOM, randomAt], [AT.EXECFN, execfnAt], [AT.PLATFORM, platAt], [AT.NULL, 0]];
  const words = 1 + argvAt.length + 1 + envAt.length + 1 + auxv.length * 2;
  let rsp = p - words * 8;
  rsp -= rsp % 16; // argc at a 16-byte boundary, as the x86-64 ABI requires at process entry
  const vec = new DataView(new ArrayBuffer(words * 8));
  let i = 0;
  const w = (v: number) => { vec.setUint32(i * 8, v % 2 ** 32, true); vec.setUint32(i * 8 + 4, Math.floor(v / 2 ** 32), true); i++; };
  w(spec.argv.length);
  argvAt.forEach(w); w(0);
  envAt.forEach(w); w(0);
  for (const [k, v] of auxv) { w(k); w(v); }
  mem.write(rsp, new Uint8Array(vec.buffer));
  const strStart = execfnAt - strBytes, argEnd = strStart + argvB.reduce((n, b) => n + b.length, 0);
  return { rsp, auxv, random, argStart: strStart, argEnd, envStart: argEnd, envEnd: strStart + strBytes };
}
