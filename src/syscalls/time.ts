// Clocks and sleeping: passed to the host with pointers checked.
import { sys } from '../host/native.js';
import { SYS } from '../host/sysno.js';
import type { SyscallDef } from './types.js';
import { EFAULT } from './args.js';

const TS = 16;
const P = 'passthrough' as const;

export const timeSyscalls: SyscallDef[] = [
  { name: 'clock_gettime', status: P, args: ['clock', 'ptr'], handler: (p, a) => { const t = p.hostPtr(a[1]!, TS); return t < 0 ? EFAULT : sys(SYS.clock_gettime, a[0]!, t); } },
  { name: 'clock_getres', status: P, args: ['clock', 'ptr'], handler: (p, a) => { const t = p.hostPtrOpt(a[1]!, TS); return t < 0 ? EFAULT : sys(SYS.clock_getres, a[0]!, t); } },
  { name: 'gettimeofday', status: P, args: ['ptr', 'ptr'], handler: (p, a) => {
    const tv = p.hostPtrOpt(a[0]!, 16), tz = p.hostPtrOpt(a[1]!, 8);
    return tv < 0 || tz < 0 ? EFAULT : sys(SYS.gettimeofday, tv, tz);
  } },
  { name: 'time', status: P, args: ['ptr'], handler: (p, a) => { const t = p.hostPtrOpt(a[0]!, 8); return t < 0 ? EFAULT : sys(SYS.time, t); } },
  { name: 'nanosleep', status: P, args: ['ptr', 'ptr'], handler: (p, a) => {
    const req = p.hostPtr(a[0]!, TS), rem = p.hostPtrOpt(a[1]!, TS);
    return req < 0 || rem < 0 ? EFAULT : sys(SYS.nanosleep, req, rem);
  } },
  { name: 'clock_nanosleep', status: P, args: ['clock', 'hex', 'ptr', 'ptr'], handler: (p, a) => {
    const req = p.hostPtr(a[2]!, TS), rem = p.hostPtrOpt(a[3]!, TS);
    return req < 0 || rem < 0 ? EFAULT : sys(SYS.clock_nanosleep, a[0]!, a[1]!, req, rem);
  } },
  { name: 'alarm', status: P, args: ['uint'], handler: (_p, a) => sys(SYS.alarm, a[0]!), notes: 'a host timer: SIGALRM reaches the payload through the monitor' },
  { name: 'setitimer', status: P, args: ['int', 'ptr', 'ptr'], handler: (p, a) => {
    const n = p.hostPtrOpt(a[1]!, 32), o = p.hostPtrOpt(a[2]!, 32); return n < 0 || o < 0 ? EFAULT : sys(SYS.setitimer, a[0]!, n, o);
  }, notes: 'host interval timers (the monitor process\'s CPU time for VIRTUAL/PROF)' },
  { name: 'getitimer', status: P, args: ['int', 'ptr'], handler: (p, a) => { const b = p.hostPtr(a[1]!, 32); return b < 0 ? EFAULT : sys(SYS.getitimer, a[0]!, b); } },
  { name: 'pause', status: P, args: [], handler: () => sys(SYS.pause) },
  { name: 'times', status: P, args: ['ptr'], handler: (p, a) => { const t = p.hostPtrOpt(a[0]!, 32); return t < 0 ? EFAULT : sys(SYS.times, t); }, notes: 'reports the monitor process times' },
  { name: 'getrusage', status: P, args: ['int', 'ptr'], handler: (p, a) => { const t = p.hostPtr(a[1]!, 144); return t < 0 ? EFAULT : sys(SYS.getrusage, a[0]!, t); }, notes: 'reports the monitor process usage' },
];
