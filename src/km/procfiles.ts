// Contents of the /proc files that describe the payload itself (/proc/self/maps, status, stat, ...),
// generated when the payload opens them (src/km/procfs.ts routes the paths). Files that also carry
// facts km does not model (status, stat: credentials, scheduling, context switches) start from the
// host kernel's version for km's own process, in the host kernel's format, with every field that
// describes the payload's memory, threads, signals and name replaced by the payload's.
import { readFileSync } from 'node:fs';
import { sys, addressOf } from '../host/native.js';
import { SYS } from '../host/sysno.js';
import { E } from '../host/errno.js';
import { cstr, hostFstat, hostStat, PROT, type StatLayout } from '../host/hostcalls.js';
import type { StructView } from '../util/struct.js';
import { PAGE_SIZE, VCLOCK_VA, VDSO_VA } from '../vm/layout.js';
import type { FileId, Vma } from './addrspace.js';
import type { Process } from './process.js';
import type { Thread } from './thread.js';
import { SIG_DFL, SIG_IGN } from './signals.js';
import { RLIM_INFINITY, RLIM_NLIMITS } from './rlimits.js';
import { NSIG } from '../host/signals.js';

export type ProcFileName = 'maps' | 'status' | 'stat' | 'statm' | 'cmdline' | 'environ' | 'auxv' | 'limits' | 'comm' | 'fdinfo';
export const PROC_FILES: ReadonlySet<string> = new Set<ProcFileName>(['maps', 'status', 'stat', 'statm', 'cmdline', 'environ', 'auxv', 'limits', 'comm']);

function fileIdFrom(st: StructView<typeof StatLayout>): FileId {
  return { dev: st.get('dev'), ino: st.get('ino') };
}

/** device and inode of a host file (undefined when it cannot be stat'ed) */
export function fileIdOf(path: string): FileId | undefined {
  const st = hostStat(path);
  return typeof st === 'number' ? undefined : fileIdFrom(st);
}

export function fileIdOfFd(hostFd: number): FileId | undefined {
  const st = hostFstat(hostFd);
  return typeof st === 'number' ? undefined : fileIdFrom(st);
}

/** target of a host symlink (readlink), or null */
export function hostReadlink(path: string): string | null {
  const c = cstr(path), b = Buffer.alloc(4096);
  const n = sys(SYS.readlink, addressOf(c), addressOf(b), b.length);
  return n < 0 ? null : b.toString('utf8', 0, n);
}

// ---- memory figures ----

/** userspace st_dev encoding -> the major:minor Linux prints in maps */
function devString(dev: number): string {
  const d = BigInt(dev);
  const major = Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn));
  const minor = Number((d & 0xffn) | ((d >> 12n) & ~0xffn));
  return `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}`;
}

const isFile = (v: Vma): boolean => v.file !== undefined;
const isStack = (v: Vma): boolean => v.name === '[stack]';

interface VmFigures {
  size: number; rss: number; rssAnon: number; rssFile: number; rssShmem: number;
  data: number; stack: number; exe: number; lib: number;
}

/** pages of [start, end) the host has backed with memory (mincore on the guest's host mapping) */
function residentBytes(p: Process, start: number, end: number): number {
  const vec = new Uint8Array(64 * 1024);
  let n = 0;
  for (let at = start; at < end; at += vec.length * PAGE_SIZE) {
    const len = Math.min(end - at, vec.length * PAGE_SIZE);
    if (sys(SYS.mincore, p.mem.hostAddr(at), len, addressOf(vec)) < 0) continue;
    const pages = Math.ceil(len / PAGE_SIZE);
    for (let i = 0; i < pages; i++) n += vec[i]! & 1;
  }
  return n * PAGE_SIZE;
}

/** highest values seen by earlier reads (VmPeak, VmHWM) */
const peaks = new WeakMap<Process, { size: number; rss: number }>();

function vmFigures(p: Process): VmFigures & { peak: number; hwm: number } {
  const f: VmFigures = { size: 0, rss: 0, rssAnon: 0, rssFile: 0, rssShmem: 0, data: 0, stack: 0, exe: 0, lib: 0 };
  for (const v of p.as.vmas) {
    const len = v.end - v.start;
    f.size += len;
    if (v.prot !== PROT.NONE) {
      const r = residentBytes(p, v.start, v.end);
      f.rss += r;
      if (isFile(v)) f.rssFile += r; else if (v.shared) f.rssShmem += r; else f.rssAnon += r;
    }
    if (isStack(v)) f.stack += len;
    else if ((v.prot & PROT.WRITE) && !v.shared) f.data += len;
    if ((v.prot & PROT.EXEC) && isFile(v)) { if (v.name === p.exePath) f.exe += len; else f.lib += len; }
  }
  const pk = peaks.get(p) ?? { size: 0, rss: 0 };
  pk.size = Math.max(pk.size, f.size); pk.rss = Math.max(pk.rss, f.rss);
  peaks.set(p, pk);
  return { ...f, peak: pk.size, hwm: pk.rss };
}

// ---- the files ----

const hex = (n: number, w = 8): string => n.toString(16).padStart(w, '0');

/** /proc/self/maps in Linux's format: the name starts at column 73 */
function maps(p: Process): string {
  let out = '';
  for (const v of p.as.vmas) {
    const perms = `${v.prot & PROT.READ ? 'r' : '-'}${v.prot & PROT.WRITE ? 'w' : '-'}${v.prot & PROT.EXEC ? 'x' : '-'}${v.shared ? 's' : 'p'}`;
    const file = isFile(v);
    const id = file ? v.file : undefined;
    let line = `${hex(v.start)}-${hex(v.end)} ${perms} ${hex(file ? v.offset : 0)} ${id ? devString(id.dev) : '00:00'} ${id ? id.ino : 0} `;
    const name = v.name || (v.shared && !file ? '/dev/zero (deleted)' : '');
    if (name) line = `${line.padEnd(72)} ${name}`;
    out += `${line}\n`;
  }
  // the vDSO and its clock page, above everything the payload maps (as Linux lists them)
  const special = (start: number, end: number, perms: string, name: string): string =>
    `${`${hex(start)}-${hex(end)} ${perms} 00000000 00:00 0 `.padEnd(72)} ${name}\n`;
  out += special(VCLOCK_VA, VCLOCK_VA + PAGE_SIZE, 'r--p', '[vvar]');
  out += special(VDSO_VA, VDSO_VA + p.machine.image.vdso.length, 'r-xp', '[vdso]');
  return out;
}

export function hostProcText(name: string): string {
  try { return readFileSync(`/proc/self/${name}`, 'latin1'); } catch { return ''; }
}

const sigHex = (m: bigint): string => m.toString(16).padStart(16, '0');

function signalSets(p: Process): { ign: bigint; cgt: bigint } {
  let ign = 0n, cgt = 0n;
  for (let s = 1; s <= NSIG; s++) {
    const h = p.procSignals.actions[s]!.handler;
    if (h === SIG_IGN) ign |= 1n << BigInt(s - 1);
    else if (h !== SIG_DFL) cgt |= 1n << BigInt(s - 1);
  }
  return { ign, cgt };
}

function popcount(m: bigint): number { let n = 0; for (; m; m &= m - 1n) n++; return n; }

/** the thread a /proc entry describes: a task, or the process (its main thread while it lives) */
function threadOf(p: Process, tid: number | null): Thread {
  return p.threads.get(tid ?? p.pid) ?? p.cur;
}

function stateOf(p: Process, t: Thread): { ch: string; text: string } {
  return t === p.cur || t.state === 'guest' || t.state === 'ready' ? { ch: 'R', text: 'R (running)' } : { ch: 'S', text: 'S (sleeping)' };
}

const kB = (bytes: number): string => `${String(Math.floor(bytes / 1024)).padStart(8)} kB`;

/** like proc_task_name with escaping: backslash and newline are shown escaped */
const escName = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function status(p: Process, tid: number | null): string {
  const t = threadOf(p, tid);
  const vm = vmFigures(p);
  const { ign, cgt } = signalSets(p);
  const shared = p.procSignals.shared.mask;
  const o = new Map<string, string>([
    ['Name', escName(t.comm)], ['State', stateOf(p, t).text], ['Tgid', String(p.pid)], ['Pid', String(t.tid)],
    ['NStgid', String(p.pid)], ['NSpid', String(t.tid)], ['FDSize', String(p.fds.capacity)],
    ['VmPeak', kB(vm.peak)], ['VmSize', kB(vm.size)], ['VmLck', kB(0)], ['VmPin', kB(0)], ['VmHWM', kB(vm.hwm)],
    ['VmRSS', kB(vm.rss)], ['RssAnon', kB(vm.rssAnon)], ['RssFile', kB(vm.rssFile)], ['RssShmem', kB(vm.rssShmem)],
    ['VmData', kB(vm.data)], ['VmStk', kB(vm.stack)], ['VmExe', kB(vm.exe)], ['VmLib', kB(vm.lib)],
    ['VmPTE', kB(Math.ceil(vm.size / (512 * PAGE_SIZE)) * PAGE_SIZE)], ['VmSwap', kB(0)], ['HugetlbPages', kB(0)],
    ['Threads', String(p.threads.size)],
    ['SigQ', `${popcount(shared) + [...p.threads.values()].reduce((n, x) => n + popcount(x.sig.own.mask), 0)}/${p.rlimits.cur[11]!}`],
    ['SigPnd', sigHex(t.sig.own.mask)], ['ShdPnd', sigHex(shared)], ['SigBlk', sigHex(t.sig.blocked)],
    ['SigIgn', sigHex(ign)], ['SigCgt', sigHex(cgt)],
  ]);
  const lines = hostProcText('status').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const out = lines.map((l) => {
    const k = l.slice(0, l.indexOf(':'));
    const v = o.get(k);
    return v === undefined ? l : `${k}:\t${v}`;
  });
  return `${out.join('\n')}\n`;
}

/** field numbers of /proc/<pid>/stat (proc(5)) that km fills */
const STAT = { pid: 1, comm: 2, state: 3, numThreads: 20, vsize: 23, rss: 24, startCode: 26, endCode: 27,
  startStack: 28, kstkEsp: 29, kstkEip: 30, signal: 31, blocked: 32, sigIgnore: 33, sigCatch: 34,
  exitSignal: 38, startData: 45, endData: 46, startBrk: 47, argStart: 48, argEnd: 49, envStart: 50, envEnd: 51 } as const;
const STAT_FIELDS = 52;
const SIGCHLD = 17;

function stat(p: Process, tid: number | null): string {
  const t = threadOf(p, tid);
  const host = hostProcText('stat').trim();
  const close = host.lastIndexOf(')');
  const f = ['', '', '', ...host.slice(close + 2).split(' ')];
  while (f.length < STAT_FIELDS) f.push('0');
  const vm = vmFigures(p);
  const { ign, cgt } = signalSets(p);
  const low = (m: bigint): string => String(m & 0x7fffffffn);
  const L = p.layout;
  const set: [number, string | number][] = [
    [STAT.pid, t.tid], [STAT.state, stateOf(p, t).ch], [STAT.numThreads, p.threads.size], [STAT.vsize, vm.size],
    [STAT.rss, vm.rss / PAGE_SIZE], [STAT.startCode, L.startCode], [STAT.endCode, L.endCode], [STAT.startStack, L.startStack],
    [STAT.kstkEsp, 0], [STAT.kstkEip, 0], [STAT.signal, low(t.sig.own.mask)], [STAT.blocked, low(t.sig.blocked)],
    [STAT.sigIgnore, low(ign)], [STAT.sigCatch, low(cgt)], [STAT.exitSignal, t.tid === p.pid ? SIGCHLD : -1],
    [STAT.startData, L.startData], [STAT.endData, L.endData], [STAT.startBrk, p.as.brkStart],
    [STAT.argStart, L.argStart], [STAT.argEnd, L.argEnd], [STAT.envStart, L.envStart], [STAT.envEnd, L.envEnd],
  ];
  for (const [i, v] of set) f[i] = String(v);
  return `${f[STAT.pid]} (${t.comm}) ${f.slice(3, STAT_FIELDS + 1).join(' ')}\n`;
}

function statm(p: Process): string {
  const vm = vmFigures(p);
  const pg = (b: number) => Math.floor(b / PAGE_SIZE);
  return `${pg(vm.size)} ${pg(vm.rss)} ${pg(vm.rssFile + vm.rssShmem)} ${pg(vm.exe)} 0 ${pg(vm.data + vm.stack)} 0\n`;
}

/** the guest's own argument or environment strings, read from its memory as Linux does (so a
 * program that rewrites its argv in place shows the new text) */
function guestStrings(p: Process, start: number, end: number, fallback: string[]): Buffer {
  if (end > start) {
    const b = p.readBytes(start, end - start);
    if (b) return Buffer.from(b);
  }
  return Buffer.from(fallback.map((s) => `${s}\0`).join(''), 'latin1'); // byte strings
}

function auxv(p: Process): Buffer {
  const pairs = [...p.auxv];
  if (pairs.length === 0 || pairs[pairs.length - 1]![0] !== 0) pairs.push([0, 0]);
  const b = Buffer.alloc(pairs.length * 16);
  pairs.forEach(([k, v], i) => { b.writeBigUInt64LE(BigInt(k), i * 16); b.writeBigUInt64LE(BigInt(v), i * 16 + 8); });
  return b;
}

/** Linux's fs/proc/base.c lnames[], in RLIMIT order */
const LIMITS: [string, string][] = [
  ['Max cpu time', 'seconds'], ['Max file size', 'bytes'], ['Max data size', 'bytes'], ['Max stack size', 'bytes'],
  ['Max core file size', 'bytes'], ['Max resident set', 'bytes'], ['Max processes', 'processes'],
  ['Max open files', 'files'], ['Max locked memory', 'bytes'], ['Max address space', 'bytes'],
  ['Max file locks', 'locks'], ['Max pending signals', 'signals'], ['Max msgqueue size', 'bytes'],
  ['Max nice priority', ''], ['Max realtime priority', ''], ['Max realtime timeout', 'us'],
];

function limits(p: Process): string {
  const v = (x: bigint) => (x === RLIM_INFINITY ? 'unlimited' : x.toString()).padEnd(20);
  let out = `${'Limit'.padEnd(25)} ${'Soft Limit'.padEnd(20)} ${'Hard Limit'.padEnd(20)} ${'Units'.padEnd(10)}\n`;
  for (let r = 0; r < RLIM_NLIMITS; r++) {
    const [name, unit] = LIMITS[r]!;
    out += `${name.padEnd(25)} ${v(p.rlimits.cur[r]!)} ${v(p.rlimits.max[r]!)} ${unit ? unit.padEnd(10) : ''}\n`;
  }
  return out;
}

const O_CLOEXEC = 0o2000000;

/** fdinfo of guest fd g: the host's for the descriptor behind it, with the guest's close-on-exec
 * flag and guest fd numbers where the host's name its own descriptors (epoll's tfd) */
function fdinfo(p: Process, g: number): string | number {
  const h = p.fds.get(g);
  if (h < 0) return -E.ENOENT;
  const text = hostProcText(`fdinfo/${h}`);
  if (!text) return -E.ENOENT;
  const guestOf = (host: number): number => p.fds.list().find((x) => p.fds.get(x) === host) ?? -1;
  return text.split('\n').map((l) => {
    const fl = /^flags:\t([0-7]+)$/.exec(l);
    if (fl) {
      const v = (parseInt(fl[1]!, 8) & ~O_CLOEXEC) | (p.fds.getCloexec(g) ? O_CLOEXEC : 0);
      return `flags:\t${v.toString(8).padStart(7, '0')}`;
    }
    const tfd = /^tfd:(\s+)(\d+)(.*)$/.exec(l);
    if (tfd) return `tfd:${tfd[1]}${guestOf(Number(tfd[2]))}${tfd[3]}`;
    return l;
  }).join('\n');
}

/** The contents of a /proc file of the payload (tid: a task's view, null: the process's), or -errno. */
export function procFileContents(p: Process, file: ProcFileName, tid: number | null, fd: number): Buffer | number {
  const s = (text: string | number) => (typeof text === 'number' ? text : Buffer.from(text, 'latin1'));
  switch (file) {
    case 'maps': return s(maps(p));
    case 'status': return s(status(p, tid));
    case 'stat': return s(stat(p, tid));
    case 'statm': return s(statm(p));
    case 'cmdline': return guestStrings(p, p.layout.argStart, p.layout.argEnd, p.argv);
    case 'environ': return guestStrings(p, p.layout.envStart, p.layout.envEnd, p.envp);
    case 'auxv': return auxv(p);
    case 'limits': return s(limits(p));
    case 'comm': return s(`${threadOf(p, tid).comm}\n`);
    case 'fdinfo': return s(fdinfo(p, fd));
  }
}
