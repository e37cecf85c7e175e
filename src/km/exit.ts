// How a payload ends, as values the vCPU loop throws and the CLI turns into km's own end.
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
