// poll, ppoll, select and pselect6: guest descriptors translated to host descriptors; select is
// served by the host's ppoll so that fd_set limits and host descriptor numbers never matter.
import { SYS } from '../host/sysno.js';
import { E } from '../host/errno.js';
import type { Process } from '../km/process.js';
import { HostCall } from '../km/thread.js';
import { UNBLOCKABLE } from '../km/signals.js';
import { int, type Args, type SyscallDef } from './types.js';
import { EFAULT, EINVAL } from './args.js';

const POLLIN = 0x1, POLLPRI = 0x2, POLLOUT = 0x4, POLLERR = 0x8, POLLHUP = 0x10, POLLNVAL = 0x20;
const POLLRDNORM = 0x40, POLLRDBAND = 0x80, POLLWRNORM = 0x100, POLLWRBAND = 0x200;
const IN_SET = POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR;
const OUT_SET = POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR;
const EX_SET = POLLPRI;
const MAX_POLL = 65536;

/** poll over guest pollfds; `ts` is a host timespec or null (infinite) */
function doPoll(p: Process, fdsPtr: number, nfds: number, ts: Buffer | null, done?: (r: number) => void): number | HostCall {
  if (nfds < 0 || nfds > Math.min(p.fds.limit, MAX_POLL) * 1) return EINVAL;
  const bytes = nfds * 8;
  if (nfds > 0 && !p.as.canWrite(fdsPtr, bytes)) return EFAULT;
  const guest = nfds > 0 ? p.mem.read(fdsPtr, bytes).slice() : new Uint8Array(0);
  const gv = new DataView(guest.buffer, guest.byteOffset, bytes);
  const host = Buffer.alloc(Math.max(bytes, 8));
  let invalid = 0;
  for (let i = 0; i < nfds; i++) {
    const g = gv.getInt32(i * 8, true);
    let h = -1;
    if (g >= 0) { h = p.fds.get(g); if (h < 0) invalid++; }
    host.writeInt32LE(h, i * 8);
    host.writeInt16LE(gv.getInt16(i * 8 + 4, true), i * 8 + 4);
  }
  // a closed descriptor makes poll return at once with POLLNVAL
  const t = invalid ? Buffer.alloc(16) : ts;
  return new HostCall(SYS.ppoll, [p.scratchAddrFor(host), nfds, t ? p.scratchAddrFor(t) : 0, 0, 8], (r) => {
    done?.(r);
    if (r < 0) return r;
    let n = 0;
    for (let i = 0; i < nfds; i++) {
      const g = gv.getInt32(i * 8, true);
      let rev = host.readInt16LE(i * 8 + 6);
      if (g >= 0 && p.fds.get(g) < 0) rev = POLLNVAL;
      gv.setInt16(i * 8 + 6, rev, true);
      if (rev) n++;
    }
    if (nfds > 0) p.mem.write(fdsPtr, guest);
    return n;
  }, [host, t]);
}

/** select via ppoll: n, three optional fd_set pointers, a host timespec (or null) */
function doSelect(p: Process, n: number, ptrs: [number, number, number], ts: Buffer | null, done?: (r: number) => void): number | HostCall {
  if (n < 0 || n > p.fds.limit) return EINVAL;
  const words = Math.ceil(n / 64), bytes = words * 8;
  const sets: (Uint8Array | null)[] = [];
  for (const ptr of ptrs) {
    if (ptr === 0 || n === 0) { sets.push(null); continue; }
    if (!p.as.canWrite(ptr, bytes)) return EFAULT;
    sets.push(p.mem.read(ptr, bytes).slice());
  }
  const has = (s: Uint8Array | null, fd: number) => s !== null && (s[fd >> 3]! & (1 << (fd & 7))) !== 0;
  const fds: number[] = [], ev: number[] = [];
  for (let fd = 0; fd < n; fd++) {
    let e = 0;
    if (has(sets[0]!, fd)) e |= POLLIN | POLLRDNORM | POLLRDBAND;
    if (has(sets[1]!, fd)) e |= POLLOUT | POLLWRNORM | POLLWRBAND;
    if (has(sets[2]!, fd)) e |= POLLPRI;
    if (!e) continue;
    if (p.fds.get(fd) < 0) return -E.EBADF;
    fds.push(fd); ev.push(e);
  }
  const host = Buffer.alloc(Math.max(fds.length, 1) * 8);
  fds.forEach((fd, i) => { host.writeInt32LE(p.fds.get(fd), i * 8); host.writeInt16LE(ev[i]!, i * 8 + 4); });
  return new HostCall(SYS.ppoll, [p.scratchAddrFor(host), fds.length, ts ? p.scratchAddrFor(ts) : 0, 0, 8], (r) => {
    done?.(r);
    if (r < 0) return r;
    const out = sets.map((s) => (s ? new Uint8Array(s.length) : null));
    let count = 0;
    fds.forEach((fd, i) => {
      const rev = host.readInt16LE(i * 8 + 6);
      const mark = (k: number, mask: number) => {
        if (out[k] && has(sets[k]!, fd) && rev & mask) { out[k]![fd >> 3]! |= 1 << (fd & 7); count++; }
      };
      mark(0, IN_SET); mark(1, OUT_SET); mark(2, EX_SET);
    });
    out.forEach((s, k) => { if (s) p.mem.write(ptrs[k]!, s); });
    return count;
  }, [host, ts]);
}

/** Reads a guest timeval/timespec into a host timespec (ns = 1000 for timeval); 0 for NULL. */
function readTimeout(p: Process, ptr: number, unitNs: number, ts: Buffer): number {
  if (ptr === 0) return 0;
  const t = p.readBytes(ptr, 16);
  if (!t) return EFAULT;
  const dv = new DataView(t.buffer, t.byteOffset, 16);
  const sec = dv.getUint32(0, true) + dv.getInt32(4, true) * 2 ** 32;
  const frac = dv.getUint32(8, true) + dv.getInt32(12, true) * 2 ** 32;
  if (sec < 0 || frac < 0 || frac * unitNs >= 1e9) return EINVAL;
  ts.writeBigInt64LE(BigInt(sec), 0);
  ts.writeBigInt64LE(BigInt(frac * unitNs), 8);
  return 1;
}

function nowNs(): bigint { return process.hrtime.bigint(); }

/** After a timed wait, Linux writes the time left back to the caller's timeval/timespec. */
function writeRemaining(p: Process, ptr: number, unitNs: number, ts: Buffer, start: bigint): void {
  const total = ts.readBigInt64LE(0) * 1_000_000_000n + ts.readBigInt64LE(8);
  let left = total - (nowNs() - start);
  if (left < 0n) left = 0n;
  const b = Buffer.alloc(16);
  b.writeBigInt64LE(left / 1_000_000_000n, 0);
  b.writeBigInt64LE((left % 1_000_000_000n) / BigInt(unitNs), 8);
  p.writeBytes(ptr, b);
}

/** the temporary signal mask of ppoll/pselect6 (restored as the call ends; a handler's frame
 * saves the original) */
export function applySigmask(p: Process, ptr: number, size: number): number {
  if (ptr === 0) return 0;
  if (size !== 8) return EINVAL;
  const b = p.readBytes(ptr, 8);
  if (!b) return EFAULT;
  const s = p.signals;
  s.savedMask = s.blocked;
  s.blocked = Buffer.from(b).readBigUInt64LE(0) & ~UNBLOCKABLE;
  return 0;
}

function select(p: Process, a: Args, unitNs: number, withMask: boolean): number | HostCall {
  const ts = Buffer.alloc(16);
  const tptr = a[4]!;
  const t = readTimeout(p, tptr, unitNs, ts);
  if (t < 0) return t;
  if (withMask && a[5]! !== 0) {
    // pselect6's sixth argument: { const sigset_t *ss; size_t ss_len; }
    const d = p.readBytes(a[5]!, 16);
    if (!d) return EFAULT;
    const v = Buffer.from(d);
    const m = applySigmask(p, Number(v.readBigUInt64LE(0)), Number(v.readBigUInt64LE(8)));
    if (m < 0) return m;
  }
  const start = nowNs();
  return doSelect(p, int(a[0]!), [a[1]!, a[2]!, a[3]!], t ? ts : null, (r) => { if (t && (r >= 0 || r === -E.EINTR)) writeRemaining(p, tptr, unitNs, ts, start); });
}

export const pollSyscalls: SyscallDef[] = [
  { name: 'poll', status: 'emulated', args: ['ptr', 'uint', 'int'], handler: (p, a) => {
    const ms = int(a[2]!);
    const ts = Buffer.alloc(16);
    if (ms >= 0) { ts.writeBigInt64LE(BigInt(Math.floor(ms / 1000)), 0); ts.writeBigInt64LE(BigInt((ms % 1000) * 1e6), 8); }
    return doPoll(p, a[0]!, a[1]! >>> 0, ms >= 0 ? ts : null);
  }, notes: 'descriptors translated; served by the host ppoll' },
  { name: 'ppoll', status: 'emulated', args: ['ptr', 'uint', 'ptr', 'ptr', 'size'], handler: (p, a) => {
    const ts = Buffer.alloc(16);
    const t = readTimeout(p, a[2]!, 1, ts);
    if (t < 0) return t;
    const m = applySigmask(p, a[3]!, a[4]!);
    if (m < 0) return m;
    const start = nowNs();
    return doPoll(p, a[0]!, a[1]! >>> 0, t ? ts : null, (r) => { if (t && (r >= 0 || r === -E.EINTR)) writeRemaining(p, a[2]!, 1, ts, start); });
  }, notes: 'descriptors translated; the temporary signal mask applies during the wait' },
  { name: 'select', status: 'emulated', args: ['int', 'ptr', 'ptr', 'ptr', 'ptr'], handler: (p, a) => select(p, a, 1000, false), notes: 'served by the host ppoll; the timeval is updated with the time left' },
  { name: 'pselect6', status: 'emulated', args: ['int', 'ptr', 'ptr', 'ptr', 'ptr', 'ptr'], handler: (p, a) => select(p, a, 1, true), notes: 'served by the host ppoll; the temporary signal mask applies during the wait' },
];
