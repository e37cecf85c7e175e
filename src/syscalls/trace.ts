// Human-readable syscall traces: each call with decoded arguments and its result.
import { errnoName } from '../host/errno.js';
import { syscallName } from '../host/sysno.js';
import { signalName } from '../host/signals.js';
import type { Process } from '../km/process.js';
import type { ArgKind } from './types.js';
import type { TableEntry } from './table.js';
import { IOCTL_NAMES } from './fs.js';

const hex = (v: number) => (v < 0 ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`);

function flagNames(v: number, names: [number, string][], zero: string): string {
  if (v === 0) return zero;
  const out: string[] = [];
  let rest = v;
  for (const [bit, n] of names) if ((rest & bit) === bit && bit !== 0) { out.push(n); rest &= ~bit; }
  if (rest) out.push(hex(rest >>> 0));
  return out.join('|');
}

const OFLAGS: [number, string][] = [[0o100, 'O_CREAT'], [0o200, 'O_EXCL'], [0o400, 'O_NOCTTY'], [0o1000, 'O_TRUNC'],
  [0o2000, 'O_APPEND'], [0o4000, 'O_NONBLOCK'], [0o10000, 'O_DSYNC'], [0o200000, 'O_DIRECTORY'], [0o400000, 'O_NOFOLLOW'],
  [0o1000000, 'O_NOATIME'], [0o2000000, 'O_CLOEXEC'], [0o10000000, 'O_PATH'], [0o20000000, 'O_TMPFILE']];
const PROTS: [number, string][] = [[1, 'PROT_READ'], [2, 'PROT_WRITE'], [4, 'PROT_EXEC']];
const MAPFLAGS: [number, string][] = [[0x01, 'MAP_SHARED'], [0x02, 'MAP_PRIVATE'], [0x10, 'MAP_FIXED'], [0x20, 'MAP_ANONYMOUS'],
  [0x100, 'MAP_GROWSDOWN'], [0x4000, 'MAP_NORESERVE'], [0x8000, 'MAP_POPULATE'], [0x20000, 'MAP_STACK'], [0x100000, 'MAP_FIXED_NOREPLACE']];
const CLOCKS = ['CLOCK_REALTIME', 'CLOCK_MONOTONIC', 'CLOCK_PROCESS_CPUTIME_ID', 'CLOCK_THREAD_CPUTIME_ID', 'CLOCK_MONOTONIC_RAW',
  'CLOCK_REALTIME_COARSE', 'CLOCK_MONOTONIC_COARSE', 'CLOCK_BOOTTIME'];
const WHENCE = ['SEEK_SET', 'SEEK_CUR', 'SEEK_END', 'SEEK_DATA', 'SEEK_HOLE'];
const FCNTL: Record<number, string> = { 0: 'F_DUPFD', 1: 'F_GETFD', 2: 'F_SETFD', 3: 'F_GETFL', 4: 'F_SETFL', 5: 'F_GETLK', 6: 'F_SETLK', 7: 'F_SETLKW', 1030: 'F_DUPFD_CLOEXEC' };

const FAMILIES: Record<number, string> = { 0: 'AF_UNSPEC', 1: 'AF_UNIX', 2: 'AF_INET', 10: 'AF_INET6', 16: 'AF_NETLINK', 17: 'AF_PACKET' };
const SOCKTYPES = ['0', 'SOCK_STREAM', 'SOCK_DGRAM', 'SOCK_RAW', 'SOCK_RDM', 'SOCK_SEQPACKET', 'SOCK_DCCP'];

/** family, and the port/address or path of the common ones (read only if readable) */
function sockaddr(p: Process, v: number): string {
  if (v === 0) return 'NULL';
  const b = p.readBytes(v, 28);
  if (!b) return hex(v);
  const d = Buffer.from(b), fam = d.readUInt16LE(0);
  const name = FAMILIES[fam] ?? `family ${fam}`;
  if (fam === 2) return `{${name}, ${d.readUInt16BE(2)}, ${[...d.subarray(4, 8)].join('.')}}`;
  if (fam === 10) return `{${name}, ${d.readUInt16BE(2)}}`;
  if (fam === 1) {
    const path = p.readBytes(v + 2, 108);
    if (!path) return `{${name}}`;
    const pb = Buffer.from(path);
    // abstract names start with a NUL byte
    const abs = pb[0] === 0, s = abs ? pb.subarray(1) : pb, end = s.indexOf(0);
    return `{${name}, ${abs ? '@' : ''}${JSON.stringify(s.toString('latin1', 0, end < 0 ? s.length : end))}}`;
  }
  return `{${name}}`;
}

function decode(p: Process, kind: ArgKind, v: number): string {
  switch (kind) {
    case 'fd': return String(v | 0);
    case 'dirfd': return (v | 0) === -100 ? 'AT_FDCWD' : String(v | 0);
    case 'str': {
      if (v === 0) return 'NULL';
      const s = p.readString(v, 256);
      if (typeof s === 'number') return `${hex(v)} (${errnoName(-s)})`;
      return JSON.stringify(s.length > 64 ? `${s.slice(0, 64)}...` : s);
    }
    case 'ptr': return v === 0 ? 'NULL' : hex(v);
    case 'hex': return hex(v);
    case 'oflags': {
      const acc = ['O_RDONLY', 'O_WRONLY', 'O_RDWR', 'O_ACCMODE'][v & 3]!;
      const rest = flagNames(v & ~3, OFLAGS, '');
      return rest ? `${acc}|${rest}` : acc;
    }
    case 'mode': return `0${(v >>> 0).toString(8)}`;
    case 'prot': return flagNames(v, PROTS, 'PROT_NONE');
    case 'mapflags': return flagNames(v, MAPFLAGS, '0');
    case 'signal': return signalName(v | 0);
    case 'clock': return CLOCKS[v] ?? String(v);
    case 'whence': return WHENCE[v] ?? String(v);
    case 'atflags': return flagNames(v, [[0x100, 'AT_SYMLINK_NOFOLLOW'], [0x200, 'AT_REMOVEDIR'], [0x400, 'AT_SYMLINK_FOLLOW'], [0x800, 'AT_NO_AUTOMOUNT'], [0x1000, 'AT_EMPTY_PATH']], '0');
    case 'ioctl': return IOCTL_NAMES.get(v >>> 0) ?? hex(v >>> 0);
    case 'fcntl': return FCNTL[v] ?? String(v);
    case 'uint': return String(v >>> 0);
    case 'family': return FAMILIES[v] ?? String(v);
    case 'socktype': {
      const t = SOCKTYPES[v & 0xf] ?? String(v & 0xf);
      const rest = flagNames(v & ~0xf, [[0o4000, 'SOCK_NONBLOCK'], [0o2000000, 'SOCK_CLOEXEC']], '');
      return !rest ? t : (v & 0xf) === 0 ? rest : `${t}|${rest}`;
    }
    case 'sockaddr': return sockaddr(p, v);
    default: return String(v);
  }
}

export function formatCall(p: Process, e: TableEntry | undefined, nr: number, a: Float64Array): string {
  if (!e) return `${syscallName(nr) ?? `syscall_${nr}`}(${hex(a[0]!)}, ${hex(a[1]!)}, ${hex(a[2]!)})`;
  const args = e.args.map((k, i) => decode(p, k, a[i]!));
  return `${e.name}(${args.join(', ')})`;
}

export function formatResult(e: TableEntry | undefined, r: number): string {
  if (r < 0 && r > -4096) return `-1 ${errnoName(-r)}`;
  return e?.ret === 'hex' ? hex(r) : String(r);
}
