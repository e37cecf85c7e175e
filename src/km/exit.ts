// How a payload ends, as values the vCPU loop throws and the CLI turns into km's own end.
import type { PayloadSpec } from './monitor.js';
import type { Thread } from './thread.js';
export class PayloadExit {
  constructor(readonly status: number) {}
}

export class PayloadKilled {
  constructor(readonly signal: number, readonly detail: string) {}
}

/** A condition the monitor cannot continue from (KVM failure, broken invariant). */
export class MonitorError extends Error {}

/** One thread ends (exit with other threads alive); the scheduler retires it. */
export class ThreadExit {
  constructor(readonly status: number) {}
}

/** execve succeeded in its checks: the monitor replaces the payload with this program. */
export class ExecRequest {
  /** `thread`: the thread that called execve (default: the process's current one) */
  constructor(readonly spec: PayloadSpec, readonly thread?: Thread) {}
}
