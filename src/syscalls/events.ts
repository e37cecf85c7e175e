// epoll and eventfd: host objects behind guest descriptors. An epoll set holds host descriptors
// (epoll_ctl translates the guest's), and each event's 64-bit data is the guest's own, returned
// untouched, so the guest never sees a host descriptor number.
import { sys } from '../host/native.js';
import { SYS } from '../host/sysno.js';
import { HostCall } from '../km/thread.js';
import type { Process } from '../km/process.js';
import { int, type SyscallDef } from './types.js';
import { EBADF, EFAULT, EINVAL, copyTimespec, hostFd } from './args.js';
import { applySigmask } from './poll.js';

const O_CLOEXEC = 0o2000000, O_NONBLOCK = 0o4000;
/** struct epoll_event is packed on x86-64: u32 events, u64 data */
const EPOLL_EVENT = 12;
const EP_MAX_EVENTS = 0x7fffffff / EPOLL_EVENT;
const EFD_SEMAPHORE = 1;

function newFd(p: Process, host: number, cloexec: boolean): number {
  return host < 0 ? host : p.fds.alloc(host, cloexec);
}

function epollWait(p: Process, epfd: number, events: number, max: number, timeoutMs: number, tsPtr: number | null): number | HostCall {
  const h = hostFd(p, epfd);
  if (h < 0) return EBADF;
  if (max <= 0 || max > EP_MAX_EVENTS) return EINVAL;
  // the host writes the events and faults on a page the guest may not write, as Linux does: only
  // when there are events to copy
  const buf = p.hostPtr(events, max * EPOLL_EVENT);
  if (buf < 0) return EFAULT;
  if (tsPtr !== null) {
    // epoll_pwait2: a timespec (NULL: infinite)
    let ts: Buffer | null = null;
    if (tsPtr !== 0) {
      const t = copyTimespec(p, tsPtr);
      if (typeof t === 'number') return t;
      ts = t;
    }
    return new HostCall(SYS.epoll_pwait2, [h, buf, max, ts ? p.scratchAddrFor(ts) : 0, 0, 8], undefined, ts);
  }
  return new HostCall(SYS.epoll_pwait, [h, buf, max, timeoutMs, 0, 8]);
}

export const eventSyscalls: SyscallDef[] = [
  { name: 'epoll_create', status: 'passthrough', args: ['int'], handler: (p, a) => (int(a[0]!) <= 0 ? EINVAL : newFd(p, sys(SYS.epoll_create1, O_CLOEXEC), false)) },
  { name: 'epoll_create1', status: 'passthrough', args: ['hex'], handler: (p, a) => {
    const fl = int(a[0]!);
    if (fl & ~O_CLOEXEC) return EINVAL;
    return newFd(p, sys(SYS.epoll_create1, O_CLOEXEC), (fl & O_CLOEXEC) !== 0);
  }, notes: 'a host epoll set' },
  { name: 'epoll_ctl', status: 'passthrough', args: ['fd', 'int', 'fd', 'ptr'], handler: (p, a) => {
    const ep = hostFd(p, a[0]!), fd = hostFd(p, a[2]!);
    if (ep < 0 || fd < 0) return EBADF;
    const op = int(a[1]!);
    const ev = op === 2 /* EPOLL_CTL_DEL */ && a[3]! === 0 ? 0 : p.hostPtr(a[3]!, EPOLL_EVENT);
    if (ev < 0) return EFAULT;
    return sys(SYS.epoll_ctl, ep, op, fd, ev);
  }, notes: 'descriptors translated; event data passed untouched' },
  { name: 'epoll_wait', status: 'passthrough', args: ['fd', 'ptr', 'int', 'int'], handler: (p, a) => epollWait(p, a[0]!, a[1]!, int(a[2]!), int(a[3]!), null), fast: 'epoll' },
  { name: 'epoll_pwait', status: 'passthrough', args: ['fd', 'ptr', 'int', 'int', 'ptr', 'size'], handler: (p, a) => {
    const m = applySigmask(p, a[4]!, a[5]!);
    return m < 0 ? m : epollWait(p, a[0]!, a[1]!, int(a[2]!), int(a[3]!), null);
  }, fast: 'epoll', notes: 'the temporary signal mask applies during the wait' },
  { name: 'epoll_pwait2', status: 'passthrough', args: ['fd', 'ptr', 'int', 'ptr', 'ptr', 'size'], handler: (p, a) => {
    const m = applySigmask(p, a[4]!, a[5]!);
    return m < 0 ? m : epollWait(p, a[0]!, a[1]!, int(a[2]!), 0, a[3]!);
  } },
  { name: 'eventfd', status: 'passthrough', args: ['uint'], handler: (p, a) => newFd(p, sys(SYS.eventfd2, a[0]!, O_CLOEXEC), false) },
  { name: 'eventfd2', status: 'passthrough', args: ['uint', 'hex'], handler: (p, a) => {
    const fl = int(a[1]!);
    if (fl & ~(O_CLOEXEC | O_NONBLOCK | EFD_SEMAPHORE)) return EINVAL;
    return newFd(p, sys(SYS.eventfd2, a[0]!, fl | O_CLOEXEC), (fl & O_CLOEXEC) !== 0);
  }, notes: 'a host eventfd' },
];
