// What Linux does for a thread that ends: robust futexes it still holds are marked
// FUTEX_OWNER_DIED and a waiter is woken; its clear_child_tid word is zeroed and woken
// (pthread_join waits on it).
import { sys } from '../host/native.js';
import { SYS } from '../host/sysno.js';
import type { Process } from './process.js';
import type { Thread } from './thread.js';

export const FUTEX = {
  WAIT: 0, WAKE: 1, FD: 2, REQUEUE: 3, CMP_REQUEUE: 4, WAKE_OP: 5, LOCK_PI: 6, UNLOCK_PI: 7, TRYLOCK_PI: 8,
  WAIT_BITSET: 9, WAKE_BITSET: 10, WAIT_REQUEUE_PI: 11, CMP_REQUEUE_PI: 12, LOCK_PI2: 13,
  PRIVATE_FLAG: 128, CLOCK_REALTIME: 256,
} as const;
const FUTEX_WAITERS = 0x80000000, FUTEX_OWNER_DIED = 0x40000000, FUTEX_TID_MASK = 0x3fffffff;
/** the kernel's bound on a robust list walk */
const ROBUST_LIST_LIMIT = 2048;
/** struct robust_list_head */
const RobustHead = { list: 0, futexOffset: 8, listOpPending: 16, size: 24 } as const;

/** Wakes up to n waiters on a guest futex word, private and shared alike (the kernel's own
 * wake-ups for dead threads are shared; libc waiters may use either). */
export function wakeGuestFutex(p: Process, addr: number, n: number): void {
  const h = p.hostPtr(addr, 4);
  if (h < 0) return;
  sys(SYS.futex, h, FUTEX.WAKE | FUTEX.PRIVATE_FLAG, n, 0, 0, 0);
  sys(SYS.futex, h, FUTEX.WAKE, n, 0, 0, 0);
}

function futexDeath(p: Process, addr: number, tid: number): void {
  if (addr % 4 !== 0 || !p.as.canWrite(addr, 4)) return;
  for (let tries = 0; tries < 16; tries++) {
    const v = p.mem.readU32(addr);
    if ((v & FUTEX_TID_MASK) !== tid) return;
    const next = ((v & FUTEX_WAITERS) | FUTEX_OWNER_DIED) >>> 0;
    if (p.mem.cmpxchgU32(addr, v, next) !== v) continue;
    if (v & FUTEX_WAITERS) wakeGuestFutex(p, addr, 1);
    return;
  }
}

function walkRobustList(p: Process, t: Thread): void {
  const head = t.robustList;
  if (head === 0 || !p.as.canRead(head, RobustHead.size)) return;
  const offset = p.mem.readI64(head + RobustHead.futexOffset);
  const pending = p.mem.readU64(head + RobustHead.listOpPending) & ~1;
  let entry = p.mem.readU64(head + RobustHead.list) & ~1;
  for (let n = 0; entry !== head && entry !== 0 && n < ROBUST_LIST_LIMIT; n++) {
    if (!p.as.canRead(entry, 8)) break;
    const next = p.mem.readU64(entry) & ~1;
    if (entry !== pending) futexDeath(p, entry + offset, t.tid);
    entry = next;
  }
  if (pending) futexDeath(p, pending + offset, t.tid);
}

export function releaseThreadResources(p: Process, t: Thread): void {
  walkRobustList(p, t);
  const ctid = t.clearChildTid;
  if (ctid !== 0 && ctid % 4 === 0 && p.as.canWrite(ctid, 4)) {
    p.mem.writeU32(ctid, 0);
    wakeGuestFutex(p, ctid, 1);
  }
}
