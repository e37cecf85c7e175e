// Resource limits as the payload sees them. They start as km's own limits and changes are kept
// here rather than applied to the monitor's node process (lowering RLIMIT_AS or RLIMIT_NOFILE on
// node would break the monitor). RLIMIT_NOFILE bounds the guest's descriptor table; RLIMIT_AS and
// RLIMIT_DATA are honoured through --mem-limit.
import { sys, addressOf } from '../host/native.js';
import { SYS } from '../host/sysno.js';
import { E } from '../host/errno.js';

export const RLIMIT = { CPU: 0, FSIZE: 1, DATA: 2, STACK: 3, CORE: 4, RSS: 5, NPROC: 6, NOFILE: 7, MEMLOCK: 8, AS: 9,
  LOCKS: 10, SIGPENDING: 11, MSGQUEUE: 12, NICE: 13, RTPRIO: 14, RTTIME: 15 } as const;
export const RLIM_NLIMITS = 16;
export const RLIM_INFINITY = 2n ** 64n - 1n;
/** Host descriptors the monitor keeps for itself below the host's RLIMIT_NOFILE: node's own, the
 * VM's and vCPUs', and one per file the payload maps (the mapping keeps its descriptor). Every
 * guest descriptor is a host one too, so the payload's hard limit is the host's less these: a
 * payload that raises its soft limit to the hard one can then open them all, as natively. */
export const MONITOR_FDS = 128n;

export class Rlimits {
  readonly cur: bigint[] = [];
  readonly max: bigint[] = [];
  constructor() {
    const b = new BigUint64Array(2);
    for (let r = 0; r < RLIM_NLIMITS; r++) {
      sys(SYS.prlimit64, 0, r, 0, addressOf(b));
      this.cur.push(b[0]!); this.max.push(b[1]!);
    }
    const nofile = this.max[RLIMIT.NOFILE]!;
    if (nofile !== RLIM_INFINITY && nofile > 2n * MONITOR_FDS) {
      this.max[RLIMIT.NOFILE] = nofile - MONITOR_FDS;
      if (this.cur[RLIMIT.NOFILE]! > this.max[RLIMIT.NOFILE]!) this.cur[RLIMIT.NOFILE] = this.max[RLIMIT.NOFILE]!;
    }
  }

  /** Sets a limit with Linux's checks; `privileged` may raise the hard limit. */
  set(r: number, cur: bigint, max: bigint, privileged: boolean): number {
    if (r < 0 || r >= RLIM_NLIMITS) return -E.EINVAL;
    if (cur > max) return -E.EINVAL;
    if (max > this.max[r]! && !privileged) return -E.EPERM;
    if (r === RLIMIT.NOFILE && max > 1048576n) return -E.EPERM;
    this.cur[r] = cur; this.max[r] = max;
    return 0;
  }
}
