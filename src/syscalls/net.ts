// Sockets: TCP, UDP, UNIX (path and abstract) and anything else the host kernel offers, as host
// sockets behind guest descriptors. Flat buffers (addresses, data, option values) are handed to
// the host kernel by their host address after a range check; structures holding guest pointers or
// guest fds (msghdr, iovecs, control messages, socket filters) are rebuilt in host buffers.
//
// Where the guest passes a pointer outside its address space we do not answer EFAULT ourselves:
// the kernel gets an address that faults the same way the guest's would natively (one above the
// user range when the guest's is, else one in an inaccessible host area), so it reports EFAULT at
// the point Linux would (after EBADF/ENOTSOCK/EINVAL checks, after accept took a connection, ...).
import { sys } from '../host/native.js';
import { SYS } from '../host/sysno.js';
import { E } from '../host/errno.js';
import { F, FD_CLOEXEC } from '../km/fdtable.js';
import { HostCall } from '../km/thread.js';
import type { Process } from '../km/process.js';
import { int, uint, type Args, type SyscallDef } from './types.js';
import { EBADF, EFAULT, EINVAL, KERNEL_EFAULT, addr, faultingHostPtr, hostFd, hostUserTop, readTimespecNs } from './args.js';

const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SOCK_TYPE_MASK = 0xf;
/** sizeof(struct sockaddr_storage): the kernel never copies more of an address */
const SOCKADDR_MAX = 128;
const MAX_RW_COUNT = 0x7ffff000;
const UIO_MAXIOV = 1024;
/** largest received control area we give the host (253 fds need ~1 KiB) */
const RECV_CONTROL_MAX = 64 * 1024;
/** a larger send control area is refused (the kernel's optmem_max default is 20-128 KiB) */
const SEND_CONTROL_MAX = 1024 * 1024;
/** most recvmmsg entries handled in one call (Linux has no limit; a batch returns early anyway) */
const RECVMMSG_MAX = 65536;

const MSG_CTRUNC = 0x8;
const MSG_NOSIGNAL = 0x4000;
const MSG_CMSG_CLOEXEC = 0x40000000;

/** struct msghdr (56 bytes) and struct mmsghdr (msghdr + msg_len, 64 bytes) */
const MH = { name: 0, namelen: 8, iov: 16, iovlen: 24, control: 32, controllen: 40, flags: 48, size: 56 } as const;
const MMH = { len: 56, size: 64 } as const;
/** struct cmsghdr: cmsg_len is size_t; data follows the 16-byte header; CMSG_ALIGN is 8 */
const CMSG = { len: 0, level: 8, type: 12, data: 16, align: 8 } as const;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const SCM_PIDFD = 4;

// options whose values hold guest pointers or descriptors
const SOL_IP = 0, SOL_TCP = 6, SOL_IPV6 = 41, SOL_SCTP = 132, SOL_PACKET = 263, SOL_XDP = 283;
const SO = { ATTACH_FILTER: 26, GET_FILTER: 26, ATTACH_BPF: 50, ATTACH_REUSEPORT_CBPF: 51, ATTACH_REUSEPORT_EBPF: 52, PEERPIDFD: 77 } as const;
/** struct sock_fprog { u16 len; u64 filter* } and one struct sock_filter */
const FPROG = { len: 0, filter: 8, size: 16, insn: 8 } as const;
/** Options not translated because their values carry guest addresses the kernel would use as
 * host ones (or create descriptors): netfilter table replacement, ebtables entries, AF_XDP umem
 * registration, packet fanout programs, TCP zero-copy receive, SCTP peeloff. */
const REFUSED_SET = new Set([`${SOL_IP}:64`, `${SOL_IP}:96`, `${SOL_IP}:128`, `${SOL_IP}:129`, `${SOL_IPV6}:64`,
  `${SOL_XDP}:4`, `${SOL_PACKET}:22`]);
const REFUSED_GET = new Set([`${SOL_IP}:129`, `${SOL_IP}:131`, `${SOL_TCP}:35`, `${SOL_SCTP}:102`, `${SOL_SCTP}:122`]);
/** AF_RDS control messages and options carry guest addresses for RDMA: not offered */
const AF_RDS = 21;

const uptr = faultingHostPtr;

/** an input socket address (bind, connect, sendto): NULL stays NULL; a length the kernel refuses
 * (negative, above sockaddr_storage) is refused before the pointer is used */
function inAddr(p: Process, ptr: number, len: number): number {
  if (ptr === 0) return 0;
  const l = int(len);
  return uptr(p, ptr, l < 0 || l > SOCKADDR_MAX ? 0 : l);
}

/** A value-result length (socklen_t *) copied into a host int, so the kernel's bound on what it
 * writes is the value we checked the buffer against. */
class ValueLen {
  readonly buf = Buffer.alloc(4);
  /** host pointer for the length argument (one that faults if the guest's is unreadable) */
  readonly arg: number;
  readonly value: number;
  constructor(p: Process, readonly ptr: number) {
    const b = p.readBytes(ptr, 4);
    if (!b) { this.arg = uptr(p, ptr, 4); this.value = 0; return; }
    this.buf.set(b);
    this.value = this.buf.readInt32LE(0);
    this.arg = addr(this.buf);
  }
  /** copies the kernel's length back to the guest; false: EFAULT */
  writeBack(p: Process): boolean { return p.writeBytes(this.ptr, this.buf); }
}

/** an output socket address with its value-result length (accept, getsockname, recvfrom) */
function outAddr(p: Process, addrPtr: number, lenPtr: number, nullMeansNone: boolean): { addr: number; len: ValueLen | null } {
  if (addrPtr === 0 && nullMeansNone) return { addr: 0, len: null };
  const len = new ValueLen(p, lenPtr);
  const n = Math.min(Math.max(len.value, 0), SOCKADDR_MAX);
  return { addr: uptr(p, addrPtr, n), len };
}

/** the host socket behind a guest fd, or -EBADF */
function sock(p: Process, g: number): number {
  const h = hostFd(p, g);
  return h < 0 ? EBADF : h;
}

/** a byte count as send/recv take it: size_t, clamped as the kernel does */
function rwCount(len: number): number {
  return len < 0 || len > MAX_RW_COUNT ? MAX_RW_COUNT : len;
}

// ---- creation ----

function socket(p: Process, a: Args): number {
  const domain = int(a[0]!), type = int(a[1]!);
  if (domain === AF_RDS) return -E.EAFNOSUPPORT;
  const h = sys(SYS.socket, domain, type | SOCK_CLOEXEC, a[2]!);
  if (h < 0) return h;
  return p.fds.alloc(h, (type & SOCK_CLOEXEC) !== 0);
}

function socketpair(p: Process, a: Args): number {
  const domain = int(a[0]!), type = int(a[1]!), sv = a[3]!;
  if ((type & ~SOCK_TYPE_MASK) & ~(SOCK_CLOEXEC | SOCK_NONBLOCK)) return EINVAL;
  // Linux stores the two numbers before creating the sockets
  if (!p.as.canWrite(sv, 8)) return EFAULT;
  if (domain === AF_RDS) return -E.EAFNOSUPPORT;
  const pair = Buffer.alloc(8);
  const r = sys(SYS.socketpair, domain, type | SOCK_CLOEXEC, a[2]!, addr(pair));
  if (r < 0) return r;
  const cloexec = (type & SOCK_CLOEXEC) !== 0;
  const g0 = p.fds.alloc(pair.readInt32LE(0), cloexec);
  if (g0 < 0) { sys(SYS.close, pair.readInt32LE(4)); return g0; }
  const g1 = p.fds.alloc(pair.readInt32LE(4), cloexec);
  if (g1 < 0) { p.fds.close(g0); return g1; }
  pair.writeInt32LE(g0, 0); pair.writeInt32LE(g1, 4);
  p.writeBytes(sv, pair);
  return 0;
}

/** accept/accept4: may block; the new host socket becomes a guest fd when the call returns */
function accept4(p: Process, fd: number, addrPtr: number, lenPtr: number, flags: number): number | HostCall {
  const h = sock(p, fd);
  if (h < 0) return h;
  const out = outAddr(p, addrPtr, lenPtr, true);
  const fl = int(flags);
  return new HostCall(SYS.accept4, [h, out.addr, out.len?.arg ?? 0, fl | SOCK_CLOEXEC], (r) => {
    if (r < 0) return r;
    // Linux drops the connection when the address cannot be stored
    if (out.len && !out.len.writeBack(p)) { sys(SYS.close, r); return EFAULT; }
    return p.fds.alloc(r, (fl & SOCK_CLOEXEC) !== 0);
  }, out.len);
}

// ---- addresses ----

function sockName(nr: number) {
  return (p: Process, a: Args): number => {
    const h = sock(p, a[0]!);
    if (h < 0) return h;
    const out = outAddr(p, a[1]!, a[2]!, false);
    const r = sys(nr, h, out.addr, out.len!.arg);
    if (r < 0) return r;
    return out.len!.writeBack(p) ? r : EFAULT;
  };
}

// ---- data ----

// send/recv check the buffer before the descriptor: a closed guest fd goes to the kernel as -1
function sendto(p: Process, a: Args): number | HostCall {
  const h = hostFd(p, a[0]!);
  const len = rwCount(a[2]!);
  return new HostCall(SYS.sendto, [h, uptr(p, a[1]!, len), len, a[3]!, inAddr(p, a[4]!, a[5]!), int(a[5]!)]);
}

function recvfrom(p: Process, a: Args): number | HostCall {
  const h = hostFd(p, a[0]!);
  const len = rwCount(a[2]!);
  const out = outAddr(p, a[4]!, a[5]!, true);
  return new HostCall(SYS.recvfrom, [h, uptr(p, a[1]!, len), len, a[3]!, out.addr, out.len?.arg ?? 0], (r) => {
    if (r < 0 || !out.len) return r;
    return out.len.writeBack(p) ? r : EFAULT;
  }, out.len);
}

// ---- msghdr ----

/** what a message needs after the host call: where its guest header and control area are */
interface MsgPlan {
  guest: number;
  /** host control buffer (recv: what the kernel fills; send: the translated copy) */
  ctl: Buffer | null;
  ctlGuest: number;
  keep: Buffer[];
}

const rd64 = (b: Buffer, o: number): number => b.readUInt32LE(o) + b.readUInt32LE(o + 4) * 2 ** 32;
const wr64 = (b: Buffer, o: number, v: number): void => { b.writeBigInt64LE(BigInt(v), o); };

/**
 * Calls f for each control message header the kernel would visit (CMSG_FIRSTHDR/CMSG_NXTHDR over
 * `len` bytes), with its offset and cmsg_len; returns false when one is malformed (the kernel
 * answers EINVAL for those when sending).
 */
function eachCmsg(c: Buffer, len: number, f: (off: number, clen: number) => boolean | void): boolean {
  let off = 0;
  while (off + CMSG.data <= len) {
    const clen = rd64(c, off + CMSG.len);
    if (clen < CMSG.data || clen > len - off) return false;
    if (f(off, clen) === false) return true;
    off += Math.ceil(clen / CMSG.align) * CMSG.align;
  }
  return true;
}

const carriesFds = (c: Buffer, off: number): boolean => c.readInt32LE(off + CMSG.level) === SOL_SOCKET
  && (c.readInt32LE(off + CMSG.type) === SCM_RIGHTS || c.readInt32LE(off + CMSG.type) === SCM_PIDFD);

/** A guest iovec array as a host one; entries outside the guest fault in the kernel as natively
 * (translateIovec in fs.ts answers EFAULT itself, before the kernel's own checks). */
function hostIovec(p: Process, iov: number, cnt: number): Buffer | number {
  const d = Buffer.alloc(Math.max(cnt, 1) * 16);
  if (cnt === 0) return d;
  const raw = p.readBytes(iov, cnt * 16);
  if (!raw) return EFAULT;
  const s = Buffer.from(raw);
  for (let i = 0; i < cnt; i++) {
    const base = rd64(s, i * 16), len = Number(s.readBigInt64LE(i * 16 + 8));
    if (len < 0) return EINVAL;
    // the kernel uses at most MAX_RW_COUNT in all; a longer entry in the user range passes its
    // access_ok natively, so it is shortened rather than refused
    const n = len > MAX_RW_COUNT && base + len <= hostUserTop() ? MAX_RW_COUNT : len;
    // even an empty entry's address is checked (access_ok) by the kernel
    wr64(d, i * 16, uptr(p, base, n));
    wr64(d, i * 16 + 8, n);
  }
  return d;
}

/** A guest msghdr at `g` rebuilt at `hdr[o..o+56)` with host pointers; -errno on bad input. */
function planMsg(p: Process, g: number, hdr: Buffer, o: number, send: boolean): MsgPlan | number {
  const raw = p.readBytes(g, MH.size);
  if (!raw) return EFAULT;
  const m = Buffer.from(raw);
  const plan: MsgPlan = { guest: g, ctl: null, ctlGuest: 0, keep: [] };
  const name = rd64(m, MH.name), namelen = m.readInt32LE(MH.namelen);
  // the kernel's order: the name length, the destination address (sending, at most
  // sockaddr_storage of it), the iovec count, the iovecs, then the control area
  if (name !== 0 && namelen < 0) return EINVAL;
  if (send && name !== 0 && namelen !== 0 && !p.as.canRead(name, Math.min(namelen, SOCKADDR_MAX))) return EFAULT;
  const iovlen = rd64(m, MH.iovlen);
  if (iovlen > UIO_MAXIOV) return -E.EMSGSIZE;
  const iov = hostIovec(p, rd64(m, MH.iov), iovlen);
  if (typeof iov === 'number') return iov;
  plan.keep.push(iov);
  hdr.fill(0, o, o + MH.size);
  wr64(hdr, o + MH.name, name === 0 ? 0 : uptr(p, name, Math.min(namelen, SOCKADDR_MAX)));
  hdr.writeInt32LE(name === 0 ? 0 : namelen, o + MH.namelen);
  wr64(hdr, o + MH.iov, addr(iov));
  wr64(hdr, o + MH.iovlen, iovlen);
  const control = rd64(m, MH.control), clen = rd64(m, MH.controllen);
  if (clen === 0) return plan;
  if (send) {
    if (clen > SEND_CONTROL_MAX) {
      // never handed over untranslated (it could name the monitor's descriptors): larger than
      // optmem_max allows on any usual host, so the kernel refuses it (ENOBUFS) without reading
      // it; an unreadable address keeps it so, and the kernel's own order of checks decides
      // which error comes first (the iovec's EFAULT comes first on newer kernels)
      wr64(hdr, o + MH.control, KERNEL_EFAULT);
      m.copy(hdr, o + MH.controllen, MH.controllen, MH.controllen + 8); // exact: clen may pass 2^53
      return plan;
    }
    const src = p.readBytes(control, clen);
    if (!src) return EFAULT;
    const c = Buffer.from(src);
    // Guest descriptors become host ones (a closed one -1, which the kernel refuses with EBADF);
    // the kernel reads only this copy. The protocol decides whether and when control messages
    // are looked at (TCP first checks the connection), so a malformed one is left to it: its walk
    // stops where ours does, so no untranslated header is ever used.
    eachCmsg(c, clen, (off, len) => {
      if (!carriesFds(c, off) || c.readInt32LE(off + CMSG.type) !== SCM_RIGHTS) return;
      const n = Math.floor((len - CMSG.data) / 4);
      for (let i = 0; i < n; i++) {
        const at = off + CMSG.data + 4 * i;
        c.writeInt32LE(p.fds.get(c.readInt32LE(at)), at);
      }
    });
    plan.ctl = c;
    plan.keep.push(c);
    wr64(hdr, o + MH.control, addr(c));
    wr64(hdr, o + MH.controllen, clen);
    return plan;
  }
  // receiving: a host area of the guest's size, so the kernel truncates (MSG_CTRUNC, surplus
  // descriptors never installed) exactly where Linux would
  // (always a host area: the kernel must never store host descriptors in guest memory)
  const n = Math.min(clen, RECV_CONTROL_MAX);
  if (control === 0) {
    // Linux reports MSG_CTRUNC for a NULL control area instead of failing
    wr64(hdr, o + MH.control, 0);
  } else {
    plan.ctl = Buffer.alloc(n);
    plan.ctlGuest = control;
    plan.keep.push(plan.ctl);
    wr64(hdr, o + MH.control, addr(plan.ctl));
  }
  wr64(hdr, o + MH.controllen, n);
  return plan;
}

/**
 * After a successful receive: received host descriptors become guest ones, and the control
 * area, msg_namelen, msg_controllen and msg_flags are copied to the guest header. false: EFAULT.
 */
function finishRecv(p: Process, plan: MsgPlan, hdr: Buffer, o: number, cloexec: boolean): boolean {
  // the kernel echoes MSG_CMSG_CLOEXEC in msg_flags: only when the guest asked for it
  let flags = hdr.readInt32LE(o + MH.flags) & ~(cloexec ? 0 : MSG_CMSG_CLOEXEC);
  const used = rd64(hdr, o + MH.controllen);
  const c = plan.ctl;
  const received: number[] = [];
  let full = false;
  if (c && used > 0) {
    eachCmsg(c, used, (off, len) => {
      if (!carriesFds(c, off)) return;
      const n = Math.floor((len - CMSG.data) / 4);
      for (let i = 0; i < n; i++) {
        const at = off + CMSG.data + 4 * i;
        const g = full ? -1 : p.fds.alloc(c.readInt32LE(at), cloexec);
        if (g < 0) {
          // out of guest descriptors (alloc closed this one): as Linux, keep the ones installed,
          // drop the rest and say the control data was cut
          if (full) sys(SYS.close, c.readInt32LE(at));
          else { wr64(c, off + CMSG.len, CMSG.data + 4 * i); flags |= MSG_CTRUNC; full = true; }
          continue;
        }
        received.push(g);
        c.writeInt32LE(g, at);
      }
    });
  }
  let stored = used;
  if (c && used > 0 && !p.writeBytes(plan.ctlGuest, c.subarray(0, used))) {
    // as Linux when the control area cannot be written: the data is delivered, the control
    // messages (and descriptors) are not, and MSG_CTRUNC says so
    for (const g of received) p.fds.close(g);
    received.length = 0;
    stored = 0;
    flags |= MSG_CTRUNC;
  }
  const ok = p.writeBytes(plan.guest + MH.namelen, hdr.subarray(o + MH.namelen, o + MH.namelen + 4))
    && p.writeU64(plan.guest + MH.controllen, stored)
    && p.writeU32(plan.guest + MH.flags, flags >>> 0);
  if (!ok) for (const g of received) p.fds.close(g);
  return ok;
}

/** A message the guest described badly: Linux checks the descriptor before reading the msghdr,
 * so the kernel is asked with an unreadable msghdr, which gives EBADF/ENOTSOCK or EFAULT; for
 * EFAULT our own finding stands. */
function planError(h: number, err: number): number {
  const k = sys(SYS.recvmsg, h, KERNEL_EFAULT, 0);
  return k === EFAULT ? err : k;
}

function sendmsg(p: Process, a: Args): number | HostCall {
  const h = sock(p, a[0]!);
  if (h < 0) return h;
  const hdr = Buffer.alloc(MH.size);
  const plan = planMsg(p, a[1]!, hdr, 0, true);
  if (typeof plan === 'number') return planError(h, plan);
  return new HostCall(SYS.sendmsg, [h, addr(hdr), a[2]!], undefined, [hdr, plan.keep]);
}

function recvmsg(p: Process, a: Args): number | HostCall {
  const h = sock(p, a[0]!);
  if (h < 0) return h;
  const flags = int(a[2]!);
  const hdr = Buffer.alloc(MH.size);
  const plan = planMsg(p, a[1]!, hdr, 0, false);
  if (typeof plan === 'number') return planError(h, plan);
  return new HostCall(SYS.recvmsg, [h, addr(hdr), flags | MSG_CMSG_CLOEXEC], (r) => {
    if (r < 0) return r;
    return finishRecv(p, plan, hdr, 0, (flags & MSG_CMSG_CLOEXEC) !== 0) ? r : EFAULT;
  }, [hdr, plan.keep]);
}

/** the mmsghdr entries that translate (Linux handles entries one by one: a bad one after good
 * ones ends the batch without an error) */
function planBatch(p: Process, vec: number, vlen: number, send: boolean): { hdrs: Buffer; plans: MsgPlan[] } | number {
  const hdrs = Buffer.alloc(Math.max(vlen, 1) * MMH.size);
  const plans: MsgPlan[] = [];
  for (let i = 0; i < vlen; i++) {
    const plan = planMsg(p, vec + i * MMH.size, hdrs, i * MMH.size, send);
    if (typeof plan === 'number') { if (i === 0) return plan; break; }
    plans.push(plan);
  }
  return { hdrs, plans };
}

function sendmmsg(p: Process, a: Args): number | HostCall {
  const h = sock(p, a[0]!);
  if (h < 0) return h;
  const vlen = Math.min(uint(a[2]!), UIO_MAXIOV);
  if (vlen === 0) return sys(SYS.sendmmsg, h, 0, 0, a[3]!); // 0, or ENOTSOCK
  const b = planBatch(p, a[1]!, vlen, true);
  if (typeof b === 'number') return planError(h, b);
  return new HostCall(SYS.sendmmsg, [h, addr(b.hdrs), b.plans.length, a[3]!], (r) => {
    // as Linux, an entry whose msg_len cannot be stored is not counted (its datagram went out)
    for (let i = 0; i < r; i++) {
      if (!p.writeU32(b.plans[i]!.guest + MMH.len, b.hdrs.readUInt32LE(i * MMH.size + MMH.len))) return i > 0 ? i : EFAULT;
    }
    return r;
  }, [b.hdrs, b.plans.map((x) => x.keep)]);
}

function recvmmsg(p: Process, a: Args): number | HostCall {
  // the timeout is read and checked before the descriptor
  if (a[4]! !== 0) { const t = readTimespecNs(p, a[4]!); if (typeof t === 'number') return t; }
  const h = sock(p, a[0]!);
  if (h < 0) return h;
  const vlen = uint(a[2]!), flags = int(a[3]!);
  if (vlen === 0) return sys(SYS.recvmmsg, h, 0, 0, flags, 0); // 0, or ENOTSOCK
  const b = planBatch(p, a[1]!, Math.min(vlen, RECVMMSG_MAX), false);
  if (typeof b === 'number') return planError(h, b);
  // the kernel writes the time left back
  const timeout = a[4]! === 0 ? 0 : uptr(p, a[4]!, 16);
  return new HostCall(SYS.recvmmsg, [h, addr(b.hdrs), b.plans.length, flags | MSG_CMSG_CLOEXEC, timeout], (r) => {
    for (let i = 0; i < r; i++) {
      const plan = b.plans[i]!;
      if (!finishRecv(p, plan, b.hdrs, i * MMH.size, (flags & MSG_CMSG_CLOEXEC) !== 0)
        || !p.writeU32(plan.guest + MMH.len, b.hdrs.readUInt32LE(i * MMH.size + MMH.len))) return i > 0 ? i : EFAULT;
    }
    return r;
  }, [b.hdrs, b.plans.map((x) => x.keep)]);
}

// ---- options ----

/** Whether the host kernel checks setsockopt's optlen before its descriptor (Linux before 6.11 did;
 * later kernels look the descriptor up first): asked of the host once, so km answers as it would. */
let lenBeforeFd: boolean | undefined;
function setsockopt(p: Process, a: Args): number {
  const level = int(a[1]!), name = int(a[2]!), optval = a[3]!, optlen = int(a[4]!);
  lenBeforeFd ??= sys(SYS.setsockopt, -1, SOL_SOCKET, 0, 0, -1) === EINVAL;
  if (optlen < 0 && lenBeforeFd) return EINVAL;
  const h = sock(p, a[0]!);
  if (h < 0) return h;
  if (optlen < 0) return sys(SYS.setsockopt, h, level, name, 0, optlen); // the host's error (ENOTSOCK, EINVAL)
  if (REFUSED_SET.has(`${level}:${name}`)) return -E.ENOPROTOOPT;
  if (level === SOL_SOCKET && (name === SO.ATTACH_FILTER || name === SO.ATTACH_REUSEPORT_CBPF) && optlen >= FPROG.size) {
    // struct sock_fprog points at the program: copy it with a host pointer to the instructions
    const raw = p.readBytes(optval, FPROG.size);
    if (!raw) return EFAULT;
    const f = Buffer.from(raw);
    const n = f.readUInt16LE(FPROG.len);
    wr64(f, FPROG.filter, uptr(p, rd64(f, FPROG.filter), n * FPROG.insn));
    return sys(SYS.setsockopt, h, level, name, addr(f), FPROG.size);
  }
  if (level === SOL_SOCKET && (name === SO.ATTACH_BPF || name === SO.ATTACH_REUSEPORT_EBPF) && optlen >= 4) {
    // the value is a BPF program descriptor: a guest fd
    const raw = p.readBytes(optval, 4);
    if (!raw) return EFAULT;
    const v = Buffer.from(raw);
    const fd = p.fds.get(v.readInt32LE(0));
    if (fd < 0) return EBADF;
    v.writeInt32LE(fd, 0);
    return sys(SYS.setsockopt, h, level, name, addr(v), 4);
  }
  return sys(SYS.setsockopt, h, level, name, optval === 0 ? 0 : uptr(p, optval, optlen), optlen);
}

function getsockopt(p: Process, a: Args): number {
  const h = sock(p, a[0]!);
  if (h < 0) return h;
  const level = int(a[1]!), name = int(a[2]!), optval = a[3]!;
  if (REFUSED_GET.has(`${level}:${name}`)) return -E.ENOPROTOOPT;
  const len = new ValueLen(p, a[4]!);
  // SO_GET_FILTER counts its length in instructions, not bytes
  const unit = level === SOL_SOCKET && name === SO.GET_FILTER ? FPROG.insn : 1;
  const r = sys(SYS.getsockopt, h, level, name, uptr(p, optval, Math.max(len.value, 0) * unit), len.arg);
  if (r < 0) return r;
  if (!len.writeBack(p)) return EFAULT;
  if (level === SOL_SOCKET && name === SO.PEERPIDFD) {
    // the kernel made a pidfd in the monitor: it becomes a guest descriptor
    const v = p.readBytes(optval, 4);
    const hfd = v ? Buffer.from(v).readInt32LE(0) : -1;
    if (hfd < 0) return r;
    sys(SYS.fcntl, hfd, F.SETFD, FD_CLOEXEC);
    const g = p.fds.alloc(hfd, false);
    if (g < 0) return g;
    p.writeU32(optval, g);
  }
  return r;
}

// ---- the table entries of this family ----

const P = 'passthrough' as const;
/** SIGPIPE with EPIPE: only sends without MSG_NOSIGNAL (flags in argument i) */
const sendSigpipe = (i: number) => (a: Args): boolean => (int(a[i]!) & MSG_NOSIGNAL) === 0;
const noSigpipe = (): boolean => false;
const defs: SyscallDef[] = [
  { name: 'socket', status: P, args: ['family', 'socktype', 'int'], ret: 'fd', handler: socket, notes: 'host socket behind a guest descriptor; AF_RDS refused (its RDMA messages carry addresses)' },
  { name: 'socketpair', status: P, args: ['family', 'socktype', 'int', 'ptr'], handler: socketpair },
  { name: 'bind', status: P, args: ['fd', 'sockaddr', 'int'], handler: (p, a) => { const h = sock(p, a[0]!); return h < 0 ? h : sys(SYS.bind, h, inAddr(p, a[1]!, a[2]!), int(a[2]!)); } },
  { name: 'listen', status: P, args: ['fd', 'int'], handler: (p, a) => { const h = sock(p, a[0]!); return h < 0 ? h : sys(SYS.listen, h, a[1]!); } },
  { name: 'accept', status: P, args: ['fd', 'ptr', 'ptr'], ret: 'fd', handler: (p, a) => accept4(p, a[0]!, a[1]!, a[2]!, 0), notes: 'may block: runs on the thread\'s host thread' },
  { name: 'accept4', status: P, args: ['fd', 'ptr', 'ptr', 'socktype'], ret: 'fd', handler: (p, a) => accept4(p, a[0]!, a[1]!, a[2]!, a[3]!), notes: 'may block: runs on the thread\'s host thread' },
  { name: 'connect', status: P, args: ['fd', 'sockaddr', 'int'], handler: (p, a) => {
    const h = sock(p, a[0]!); if (h < 0) return h;
    return new HostCall(SYS.connect, [h, inAddr(p, a[1]!, a[2]!), int(a[2]!)]);
  }, notes: 'may block: runs on the thread\'s host thread' },
  { name: 'getsockname', status: P, args: ['fd', 'ptr', 'ptr'], handler: sockName(SYS.getsockname) },
  { name: 'getpeername', status: P, args: ['fd', 'ptr', 'ptr'], handler: sockName(SYS.getpeername) },
  { name: 'sendto', status: P, args: ['fd', 'ptr', 'size', 'hex', 'sockaddr', 'int'], handler: sendto },
  { name: 'recvfrom', status: P, args: ['fd', 'ptr', 'size', 'hex', 'ptr', 'ptr'], handler: recvfrom },
  { name: 'sendmsg', status: P, args: ['fd', 'ptr', 'hex'], handler: sendmsg, notes: 'SCM_RIGHTS carries guest descriptors (a closed one gives EBADF); other control messages as given' },
  { name: 'recvmsg', status: P, args: ['fd', 'ptr', 'hex'], handler: recvmsg, notes: 'received descriptors (SCM_RIGHTS, SCM_PIDFD) become guest descriptors, MSG_CMSG_CLOEXEC honoured; control areas above 64 KiB are offered as 64 KiB' },
  { name: 'sendmmsg', status: P, args: ['fd', 'ptr', 'uint', 'hex'], handler: sendmmsg, notes: 'as sendmsg per entry' },
  { name: 'recvmmsg', status: P, args: ['fd', 'ptr', 'uint', 'hex', 'ptr'], handler: recvmmsg, notes: 'as recvmsg per entry' },
  { name: 'setsockopt', status: 'partial', args: ['fd', 'int', 'int', 'ptr', 'int'], handler: setsockopt,
    notes: 'passed through; SO_ATTACH_FILTER/SO_ATTACH_REUSEPORT_CBPF programs and SO_ATTACH_BPF descriptors translated; netfilter/ebtables table replacement, XDP_UMEM_REG and PACKET_FANOUT_DATA (values holding addresses) ENOPROTOOPT' },
  { name: 'getsockopt', status: 'partial', args: ['fd', 'int', 'int', 'ptr', 'ptr'], handler: getsockopt,
    notes: 'passed through; SO_PEERPIDFD gives a guest descriptor; ebtables entries, TCP_ZEROCOPY_RECEIVE and SCTP peeloff ENOPROTOOPT' },
  { name: 'shutdown', status: P, args: ['fd', 'int'], handler: (p, a) => { const h = sock(p, a[0]!); return h < 0 ? h : sys(SYS.shutdown, h, a[1]!); } },
];
const SENDS: Partial<Record<string, number>> = { sendto: 3, sendmsg: 2, sendmmsg: 3 };
export const netSyscalls: SyscallDef[] = defs.map((d) => {
  const i = SENDS[d.name];
  return { ...d, sigpipe: i === undefined ? noSigpipe : sendSigpipe(i) };
});
