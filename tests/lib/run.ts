// Running a program natively and under km with the same argv, environment, working directory and
// stdin, and comparing what came out: stdout, stderr, exit status or terminating signal, and
// (optionally) the files left in the working directory.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { kmPath } from './paths.js';
import { snapshotDir, type DirSnapshot } from './snapshot.js';

export interface RunSpec {
  /** arguments after argv[0] */
  args?: readonly string[];
  /** the complete environment; default: testEnv(cwd) */
  env?: Readonly<Record<string, string>>;
  /** extra variables added to the default environment */
  extraEnv?: Readonly<Record<string, string>>;
  /** bytes on stdin (a pipe, closed after them); default: empty */
  stdin?: string | Uint8Array;
  /** fills the fresh working directory before the run */
  setup?: (dir: string) => void;
  /** record the working directory's contents after the run */
  snapshot?: boolean;
  /** km's own options, placed before the executable */
  kmOptions?: readonly string[];
  timeoutMs?: number;
}

export interface RunResult {
  /** 'native' or 'km' */
  how: string;
  argv: readonly string[];
  cwd: string;
  stdout: string;
  stderr: string;
  status: number | null;
  signal: string | null;
  files: DirSnapshot | null;
  ms: number;
}

/** The small, explicit environment payloads run with (never the test runner's own). */
export function testEnv(cwd: string): Record<string, string> {
  return {
    // bin/km runs `node` through /usr/bin/env: the PATH must find the node that runs the tests
    PATH: `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
    HOME: '/nonexistent-home',
    LANG: 'C',
    // shells export PWD: give both runs the same value
    PWD: cwd,
    TEST_VAR: 'kontain test value with spaces = and ümlauts',
  };
}

export const NATIVE_TIMEOUT_MS = 60_000;
/** Per-run limit under km; KM_TEST_TIMEOUT_MS raises it (nested or emulated KVM is slow). */
export const KM_TIMEOUT_MS = Number(process.env.KM_TEST_TIMEOUT_MS) || 120_000;

export function freshDir(): string {
  return mkdtempSync(join(tmpdir(), 'km-test-'));
}

let straysClosed = false;
/**
 * Closes descriptors this test process inherited without close-on-exec (a CI runner or a shell can
 * leak some; node opens all of its own close-on-exec). Otherwise every child would inherit them too,
 * and the native run of a payload would not start with only 0, 1 and 2 open.
 */
function closeStrayFds(): void {
  if (straysClosed) return;
  straysClosed = true;
  let fds: string[];
  try { fds = readdirSync('/proc/self/fd'); } catch { return; }
  for (const name of fds) {
    const fd = Number(name);
    if (!(fd > 2) || String(fd) === process.env.NODE_CHANNEL_FD) continue;
    try {
      const flags = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
      if (flags !== undefined && (parseInt(flags, 8) & 0o2000000) === 0) closeSync(fd);
    } catch { /* gone already, or the directory's own fd */ }
  }
}

function exec(how: string, file: string, argv: readonly string[], spec: RunSpec, cwd: string, timeoutMs: number): RunResult {
  closeStrayFds();
  const env = spec.env ?? { ...testEnv(cwd), ...spec.extraEnv };
  const t0 = performance.now();
  const r = spawnSync(file, argv.slice(1), {
    argv0: argv[0],
    cwd,
    env,
    input: spec.stdin ?? '',
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    maxBuffer: 256 * 1024 * 1024,
  });
  const ms = performance.now() - t0;
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    const why = code === 'ETIMEDOUT' ? `timed out after ${timeoutMs} ms` : r.error.message;
    throw new Error(`${how} run of ${argv.join(' ')} ${why}` +
      `\n--- stdout ---\n${r.stdout?.toString('latin1').slice(0, 4000) ?? ''}\n--- stderr ---\n${r.stderr?.toString('latin1').slice(0, 4000) ?? ''}`);
  }
  return {
    how, argv, cwd, ms,
    stdout: r.stdout.toString('latin1'),
    stderr: r.stderr.toString('latin1'),
    status: r.status,
    signal: r.signal,
    files: spec.snapshot ? snapshotDir(cwd) : null,
  };
}

/** Runs `exe` directly, in `cwd` (which the caller prepared). */
export function runNativeIn(exe: string, spec: RunSpec, cwd: string): RunResult {
  spec.setup?.(cwd);
  return exec('native', exe, [exe, ...(spec.args ?? [])], spec, cwd, spec.timeoutMs ?? NATIVE_TIMEOUT_MS);
}

/** Runs `km [kmOptions] exe args...` in `cwd`; the payload sees argv [exe, ...args]. */
export function runKmIn(exe: string, spec: RunSpec, cwd: string): RunResult {
  spec.setup?.(cwd);
  const argv = [kmPath, ...(spec.kmOptions ?? []), exe, ...(spec.args ?? [])];
  return exec('km', kmPath, argv, spec, cwd, spec.timeoutMs ?? KM_TIMEOUT_MS);
}

/** Runs the km CLI itself with arbitrary arguments (for command-line and bad-input tests). */
export function runKmCli(args: readonly string[], opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): RunResult {
  const cwd = opts.cwd ?? tmpdir();
  return exec('km', kmPath, [kmPath, ...args], { env: opts.env ?? testEnv(cwd) }, cwd, opts.timeoutMs ?? KM_TIMEOUT_MS);
}

/** Runs natively in a fresh directory, which is removed afterwards. */
export function runNative(exe: string, spec: RunSpec = {}): RunResult {
  const dir = freshDir();
  try { return runNativeIn(exe, spec, dir); } finally { rmSync(dir, { recursive: true, force: true }); }
}

/**
 * Runs natively, then under km, in the same (emptied and recreated) directory path, so that even
 * output that mentions the working directory is identical.
 */
export function runBoth(exe: string, spec: RunSpec = {}): { native: RunResult; km: RunResult } {
  const dir = freshDir();
  try {
    const native = runNativeIn(exe, spec, dir);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { mode: 0o700 });
    const km = runKmIn(exe, spec, dir);
    return { native, km };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function outcome(r: RunResult): string {
  return r.signal ? `killed by ${r.signal}` : `exit status ${r.status}`;
}

function excerpt(s: string, n = 3000): string {
  return s.length > n ? `${s.slice(0, n)}\n... (${s.length - n} more characters)` : s;
}

/** Asserts that km reproduced the native run: same status/signal, stdout, stderr and files. */
export function assertSameOutcome(native: RunResult, km: RunResult, what = native.argv.join(' ')): void {
  assert.equal(outcome(km), outcome(native),
    `${what}: under km ${outcome(km)}, natively ${outcome(native)}\n--- km stderr ---\n${excerpt(km.stderr)}\n--- km stdout ---\n${excerpt(km.stdout)}`);
  assert.equal(km.stdout, native.stdout, `${what}: stdout differs (actual: km, expected: native)`);
  assert.equal(km.stderr, native.stderr, `${what}: stderr differs (actual: km, expected: native)`);
  if (native.files || km.files) {
    assert.deepEqual(km.files, native.files, `${what}: files left in the working directory differ (actual: km, expected: native)`);
  }
}

/** Lines of text, without the empty string after a final newline. */
export function lines(s: string): string[] {
  const l = s.split('\n');
  if (l.at(-1) === '') l.pop();
  return l;
}
