// Interactive runs: a program started with spawn (asynchronously) so a test can wait for lines it
// prints, send it signals and write to its stdin while it runs, natively or under km, with the same
// argv, environment and working directory conventions as run.ts. Every wait is bounded, and a
// process still running when the script ends (or fails) is killed with SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { kmPath } from './paths.js';
import { freshDir, testEnv, KM_TIMEOUT_MS, NATIVE_TIMEOUT_MS } from './run.js';

export interface Outcome {
  how: 'native' | 'km';
  stdout: string;
  stderr: string;
  /** exit status, or null when killed by a signal */
  status: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
}

export class Session {
  stdout = '';
  stderr = '';
  private waiters: { text: string; from: number; resolve: () => void }[] = [];
  private exitInfo: { status: number | null; signal: NodeJS.Signals | null } | null = null;
  private failure: Error | null = null;
  readonly closed: Promise<{ status: number | null; signal: NodeJS.Signals | null }>;

  constructor(readonly child: ChildProcess, readonly how: 'native' | 'km', readonly stepMs: number) {
    child.stdout!.on('data', (d: Buffer) => { this.stdout += d.toString('latin1'); this.poke(); });
    child.stderr!.on('data', (d: Buffer) => { this.stderr += d.toString('latin1'); });
    child.stdin!.on('error', () => { /* EPIPE when the process is gone: the outcome tells */ });
    this.closed = new Promise((resolve, reject) => {
      child.on('error', (e) => { this.failure = e; this.poke(); reject(e); });
      // 'close' comes after the exit and after both output pipes are drained
      child.on('close', (status, signal) => { this.exitInfo = { status, signal }; this.poke(); resolve(this.exitInfo); });
    });
    this.closed.catch(() => undefined); // a spawn error surfaces through ended() or waitFor()
  }

  get running(): boolean { return this.exitInfo === null && this.failure === null; }

  private poke(): void {
    this.waiters = this.waiters.filter((w) => {
      if (this.stdout.indexOf(w.text, w.from) >= 0 || this.exitInfo || this.failure) { w.resolve(); return false; }
      return true;
    });
  }

  private describe(): string {
    return `${this.how} run: stdout so far:\n${this.stdout}\n--- stderr ---\n${this.stderr}`;
  }

  /** Waits until stdout contains `text` at or after offset `from` (default: anywhere). */
  async waitFor(text: string, from = 0, timeoutMs = this.stepMs): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${JSON.stringify(text)}; ${this.describe()}`)), timeoutMs);
        this.waiters.push({ text, from, resolve });
        this.poke();
      });
    } finally {
      clearTimeout(timer);
    }
    if (this.failure) throw new Error(`${this.how} run could not start: ${this.failure.message}`);
    if (this.stdout.indexOf(text, from) < 0) {
      throw new Error(`the process ended (${JSON.stringify(this.exitInfo)}) before printing ${JSON.stringify(text)}; ${this.describe()}`);
    }
  }

  signal(sig: NodeJS.Signals): void {
    if (!this.running) throw new Error(`cannot send ${sig}: the process has ended; ${this.describe()}`);
    this.child.kill(sig);
  }

  write(s: string): void { this.child.stdin!.write(s); }
  endInput(): void { this.child.stdin!.end(); }

  /** Waits for the process to end (bounded). */
  async ended(timeoutMs = this.stepMs): Promise<{ status: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([this.closed, new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for the process to end; ${this.describe()}`)), timeoutMs);
      })]);
    } finally {
      clearTimeout(timer);
    }
  }
}

export interface InteractiveSpec {
  args?: readonly string[];
  extraEnv?: Readonly<Record<string, string>>;
  /** limit for each wait in the script; default NATIVE_TIMEOUT_MS natively, KM_TIMEOUT_MS under km */
  stepMs?: number;
}

/**
 * Starts `exe` (natively, or as `km exe` under km) in a fresh working directory, runs `script`
 * against it, waits for it to end and returns what it printed and how it ended. The payload sees
 * argv [exe, ...args], the environment testEnv(cwd) plus extraEnv, and a pipe on stdin.
 */
export async function runInteractive(how: 'native' | 'km', exe: string, spec: InteractiveSpec,
  script: (s: Session) => Promise<void>): Promise<Outcome> {
  const cwd = freshDir();
  const stepMs = spec.stepMs ?? (how === 'km' ? KM_TIMEOUT_MS : NATIVE_TIMEOUT_MS);
  const env = { ...testEnv(cwd), ...spec.extraEnv };
  const args = spec.args ?? [];
  const t0 = performance.now();
  const child = how === 'km'
    ? spawn(kmPath, [exe, ...args], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(exe, args, { argv0: exe, cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  const s = new Session(child, how, stepMs);
  try {
    await script(s);
    const { status, signal } = await s.ended();
    return { how, stdout: s.stdout, stderr: s.stderr, status, signal, ms: performance.now() - t0 };
  } finally {
    if (s.running) {
      child.kill('SIGKILL');
      await s.closed.catch(() => undefined);
    }
    rmSync(cwd, { recursive: true, force: true });
  }
}

/** "killed by SIGX" or "exit status N", for messages and comparisons. */
export function outcomeOf(o: { status: number | null; signal: string | null }): string {
  return o.signal ? `killed by ${o.signal}` : `exit status ${o.status}`;
}
