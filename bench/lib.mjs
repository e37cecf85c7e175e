// Helpers shared by the benchmark scripts (bench/<name>.mjs).
//
// Output convention: every figure is one line of JSON on stdout ({"bench": ..., "name": ..., ...});
// the human summary is on lines that start with "# ". Payloads are built from bench/payloads/*.c
// into bench/out/ (KM_BENCH_OUT overrides) with musl-gcc -static, else gcc -static (BENCH_CC
// overrides), and rebuilt only when their source is newer.
//
// Iteration counts: each script documents its defaults and the environment variables that set
// them; BENCH_SCALE (default 1) multiplies the defaults of the long loops (start-up rounds, syscall
// and kvm-floor iterations) at once, e.g. BENCH_SCALE=0.5 in the emulated VM of
// tools/qemu-kvm/run-in-vm.sh.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(BENCH, '..');
export const SHARED = resolve(ROOT, '..', 'shared');
export const OUT = resolve(process.env.KM_BENCH_OUT ?? join(BENCH, 'out'));
export const KM = join(ROOT, 'bin', 'km.cjs');
export const KVM_DEVICE = '/dev/kvm';

/** BENCH_SCALE: a factor applied to every default iteration count */
export function scale() {
  const s = Number(process.env.BENCH_SCALE ?? 1);
  if (!(s > 0)) throw new Error(`BENCH_SCALE must be a positive number, got '${process.env.BENCH_SCALE}'`);
  return s;
}

/** An iteration count: the environment variable if set, else the default (times BENCH_SCALE when
 * `scaled`). */
export function count(envName, dflt, min = 1, scaled = true) {
  const v = process.env[envName];
  if (v !== undefined && v !== '') {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`${envName} must be an integer >= ${min}, got '${v}'`);
    return n;
  }
  return Math.max(min, Math.round(dflt * (scaled ? scale() : 1)));
}

/** The environment for every command we time: NODE_EXTRA_CA_CERTS unset (km's launcher unsets it
 * too; node -e 0 must be measured the same way). */
export function childEnv() {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

export function emit(bench, obj) {
  process.stdout.write(`${JSON.stringify({ bench, ...obj })}\n`);
}

export function say(text) {
  for (const line of String(text).split('\n')) process.stdout.write(`# ${line}\n`);
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

export function round(x, digits = 3) {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** "1.23 ms", "45.6 µs", "789 ns" */
export function fmtNs(ns) {
  if (!Number.isFinite(ns)) return String(ns);
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(3)} s`;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${ns.toFixed(1)} ns`;
}

export function fmtKiB(kib) {
  if (!Number.isFinite(kib)) return String(kib);
  return kib >= 10240 ? `${(kib / 1024).toFixed(1)} MiB` : `${kib} KiB`;
}

/** A failure worth reporting verbatim: the command, its status and its output. */
export class CommandFailed extends Error {
  constructor(what, cmd, args, r) {
    const status = r.error ? `error ${r.error.code ?? r.error.message}` : r.signal ? `signal ${r.signal}` : `exit status ${r.status}`;
    super(`${what}: ${[cmd, ...args].join(' ')}: ${status}`);
    this.command = [cmd, ...args].join(' ');
    this.status = r.status ?? null;
    this.signal = r.signal ?? null;
    this.stdout = tail(r.stdout);
    this.stderr = tail(r.stderr);
  }
}

function tail(s, n = 4000) {
  if (s === undefined || s === null) return '';
  const t = String(s);
  return t.length > n ? `...${t.slice(-n)}` : t;
}

/** Per-command time limit (BENCH_TIMEOUT_S, default 300 s): a command that runs longer is killed
 * and reported as a failure. */
export function timeoutMs() {
  const s = Number(process.env.BENCH_TIMEOUT_S || 300);
  return (s > 0 ? s : 300) * 1000;
}

/** Runs a command to completion; throws CommandFailed unless it exits 0 in time. */
export function run(what, cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, {
    env: childEnv(), encoding: 'utf8', maxBuffer: 64 << 20, timeout: timeoutMs(), killSignal: 'SIGKILL',
    stdio: ['ignore', 'pipe', 'pipe'], ...opts,
  });
  if (r.error || r.status !== 0) throw new CommandFailed(what, cmd, args, r);
  return r;
}

/** The JSON objects among a command's output lines. */
export function jsonLines(text) {
  const out = [];
  for (const line of String(text).split('\n')) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    try { out.push(JSON.parse(t)); } catch { /* not ours */ }
  }
  return out;
}

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

let cachedCc;
/** The C compiler for payloads: BENCH_CC, else musl-gcc, else gcc (both with -static). */
export function compiler() {
  if (cachedCc) return cachedCc;
  cachedCc = process.env.BENCH_CC || (has('musl-gcc') ? 'musl-gcc' : has('gcc') ? 'gcc' : null);
  if (!cachedCc) throw new Error('no C compiler (musl-gcc or gcc) found: install musl-tools or gcc');
  return cachedCc;
}

function stale(out, sources) {
  if (!existsSync(out)) return true;
  const t = statSync(out).mtimeMs;
  return sources.some((s) => statSync(s).mtimeMs > t);
}

/** Builds bench/payloads/<name>.c as a static executable in OUT; returns its path. */
export function buildPayload(name) {
  mkdirSync(OUT, { recursive: true });
  const src = join(BENCH, 'payloads', `${name}.c`);
  const out = join(OUT, name);
  if (stale(out, [src, join(BENCH, 'payloads', 'common.h')])) {
    run(`building ${name}`, compiler(), ['-static', '-O2', '-Wall', '-o', out, src]);
  }
  return out;
}

/** The hello payload: examples/hello as `npm run build` made it, else built here from examples/hello.c. */
export function helloPayload() {
  const built = join(ROOT, 'examples', 'hello');
  const src = join(ROOT, 'examples', 'hello.c');
  if (existsSync(built) && (!existsSync(src) || statSync(built).mtimeMs >= statSync(src).mtimeMs)) return built;
  mkdirSync(OUT, { recursive: true });
  const out = join(OUT, 'hello');
  if (stale(out, [src])) run('building hello', compiler(), ['-static', '-O2', '-o', out, src]);
  return out;
}

/** Builds ../shared/bench/kvm-floor.c (cc -O2 -pthread) in OUT; returns its path. */
export function buildKvmFloor() {
  mkdirSync(OUT, { recursive: true });
  const src = join(SHARED, 'bench', 'kvm-floor.c');
  if (!existsSync(src)) throw new Error(`kvm-floor source not found at ${src} (the shared folder is <repo>/../shared)`);
  const out = join(OUT, 'kvm-floor');
  if (stale(out, [src])) run('building kvm-floor', 'cc', ['-O2', '-pthread', '-o', out, src]);
  return out;
}

/**
 * Runs kvm-floor with `iterations`; returns { lines: its JSON lines ({name, ns_per_op, ops}),
 * complete, note }. kvm-floor prints each figure as it goes; when it overruns
 * BENCH_FLOOR_TIMEOUT_S (default 240 s) it is killed and the lines printed so far are kept
 * (its last case, syscall_polled_cpl3, spins a host thread against the vCPU and barely advances on
 * a single CPU).
 */
export function runKvmFloor(path, iterations) {
  const limit = Number(process.env.BENCH_FLOOR_TIMEOUT_S || 240) * 1000;
  const args = [String(iterations)];
  const r = spawnSync(path, args, {
    env: childEnv(), encoding: 'utf8', timeout: limit, killSignal: 'SIGKILL', stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = jsonLines(r.stdout ?? '');
  if (!r.error && r.status === 0) return { lines, complete: true, note: null };
  if (r.error?.code === 'ETIMEDOUT' && lines.length > 0) {
    return { lines, complete: false, note: `kvm-floor killed after ${limit / 1000} s; figures after ${lines.at(-1).name} are missing` };
  }
  throw new CommandFailed('kvm-floor', path, args, r);
}

/** Exits with a clear record when KVM cannot be used here. */
export function requireKvm(bench) {
  try {
    accessSync(KVM_DEVICE, constants.R_OK | constants.W_OK);
  } catch (e) {
    emit(bench, { name: 'error', error: `${KVM_DEVICE} is not usable here (${e.code ?? e.message}); run inside tools/qemu-kvm/run-in-vm.sh` });
    say(`${bench}: ${KVM_DEVICE} is not usable here (${e.code ?? e.message})`);
    process.exit(2);
  }
  if (!existsSync(join(ROOT, 'dist', 'src', 'cli', 'main.js'))) {
    emit(bench, { name: 'error', error: 'km is not built: run npm run build' });
    say(`${bench}: km is not built (dist/src/cli/main.js missing): run npm run build`);
    process.exit(2);
  }
}

/** Reports an error (a CommandFailed verbatim) as a JSON line and a summary, then exits 1. */
export function fail(bench, e) {
  if (e instanceof CommandFailed) {
    emit(bench, { name: 'error', error: e.message, command: e.command, status: e.status, signal: e.signal, stdout: e.stdout, stderr: e.stderr });
    say(`${bench}: FAILED: ${e.message}`);
    if (e.stdout) say(`stdout:\n${e.stdout.trimEnd()}`);
    if (e.stderr) say(`stderr:\n${e.stderr.trimEnd()}`);
  } else {
    emit(bench, { name: 'error', error: e instanceof Error ? e.message : String(e) });
    say(`${bench}: FAILED: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
  process.exit(1);
}

/** Fields of /proc/<pid>/status in KiB (VmRSS, VmHWM, RssAnon, RssFile, RssShmem), or null when the
 * process is gone or has released its memory (zombie). */
export function procStatus(pid) {
  let text;
  try { text = readFileSync(`/proc/${pid}/status`, 'utf8'); } catch { return null; }
  const out = {};
  for (const key of ['VmRSS', 'VmHWM', 'RssAnon', 'RssFile', 'RssShmem']) {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
    if (m) out[key] = Number(m[1]);
  }
  const state = /^State:\s+(\S)/m.exec(text);
  out.State = state ? state[1] : '?';
  return out.VmRSS === undefined ? null : out;
}

/**
 * Runs a command that prints marker lines and then waits for a byte on stdin. At each marker in
 * `markers`, calls sample(marker, pid) and then sends one byte to let the command go on.
 * Resolves with { status, signal, stdout, stderr } once it exits.
 */
export function runInteractive(cmd, args, markers, sample, limitMs = timeoutMs()) {
  return new Promise((resolveRun, reject) => {
    const child = spawn(cmd, args, { env: childEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '', stderr = '', pending = '';
    const timer = setTimeout(() => { stderr += `\n[bench: timeout after ${limitMs} ms, killing]`; child.kill('SIGKILL'); }, limitMs);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d) => { stderr += d; });
    child.stdout.on('data', (d) => {
      stdout += d;
      pending += d;
      let i;
      while ((i = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, i).trim();
        pending = pending.slice(i + 1);
        if (markers.includes(line)) {
          try { sample(line, child.pid); } catch (e) { reject(e); }
          child.stdin.write('g');
        }
      }
    });
    child.stdin.on('error', () => { /* the command exited first */ });
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (status, signal) => { clearTimeout(timer); resolveRun({ status, signal, stdout, stderr }); });
  });
}

/** Why km cannot run here, or null: no usable /dev/kvm, or km not built. */
export function kmUnavailable() {
  try {
    accessSync(KVM_DEVICE, constants.R_OK | constants.W_OK);
  } catch (e) {
    return `${KVM_DEVICE} is not usable here (${e.code ?? e.message}); run inside tools/qemu-kvm/run-in-vm.sh`;
  }
  if (!existsSync(join(ROOT, 'dist', 'src', 'cli', 'main.js'))) return 'km is not built (dist/src/cli/main.js missing): run npm run build';
  return null;
}

/** The line of a failed command's stderr that most likely says why: the first "<who>: <what>"
 * line (km's own errors, a payload's perror, Go's "runtime: ..." / "fatal error: ..."), else the
 * last line. */
function reasonLine(stderr) {
  const lines = String(stderr ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /^[\w. -]+: \S/.test(l)) ?? lines.at(-1) ?? null;
}

/**
 * The km side of a benchmark whose native side must still be measured when km cannot run (no
 * /dev/kvm, or a payload km does not support yet). km is tried anyway, so its own message is what
 * gets reported. The first failure of each kind of run (its `what`) is emitted as a
 * {"name":"error","side":"km"} line and later runs of that kind return null; without KVM, every km
 * run after the first failure returns null. finish() exits 2 when KVM is missing, 1 after any other
 * km failure, and returns otherwise.
 */
export class KmSide {
  constructor(bench) {
    this.bench = bench;
    this.unavailable = kmUnavailable();
    this.failures = new Map(); // what -> CommandFailed
  }

  get ok() { return this.failures.size === 0; }

  /** Whether km runs of this kind failed (or all km runs, without KVM). */
  failed(what) { return this.failures.has(what) || (this.unavailable !== null && this.failures.size > 0); }

  /** Runs bin/km.cjs with args; the result, or null when this kind of run failed now or before. */
  run(what, args, opts) {
    if (this.failed(what)) return null;
    try {
      return run(what, KM, args, opts);
    } catch (e) {
      if (!(e instanceof CommandFailed)) throw e;
      this.failures.set(what, e);
      const why = this.unavailable ?? 'km failed';
      emit(this.bench, {
        name: 'error', side: 'km', error: e.message, reason: why, command: e.command, status: e.status, signal: e.signal,
        stdout: e.stdout, stderr: e.stderr,
      });
      say(`${this.bench}: km side FAILED (${why})${this.unavailable ? '; native figures only' : ''}`);
      say(`  ${e.message}`);
      if (e.stderr) say(`  stderr: ${e.stderr.trimEnd().split('\n').slice(0, 5).join('\n  stderr: ')}`);
      return null;
    }
  }

  /** Why km figures of this kind (or any, without `what`) are missing, or null. */
  why(what) {
    if (this.unavailable && this.failures.size) return this.unavailable;
    const e = what === undefined ? this.failures.values().next().value : this.failures.get(what);
    if (!e) return null;
    return `km failed: ${reasonLine(e.stderr) ?? e.message}`;
  }

  finish() {
    if (this.ok) return;
    say(`${this.bench}: km figures missing: ${this.unavailable ?? [...this.failures.keys()].map((w) => `${w} (${this.why(w)})`).join('; ')}`);
    process.exit(this.unavailable?.startsWith(KVM_DEVICE) ? 2 : 1);
  }
}

/**
 * kvm-floor for a benchmark that still reports its native figures without KVM: like runKvmFloor,
 * but a failure (e.g. no /dev/kvm: kvm-floor prints native_syscall, then fails to open it) is
 * emitted as a {"bench":"kvm-floor","name":"error"} line instead of thrown. Emits every figure
 * line; returns { lines, ns(name): a figure or null }.
 */
export function tryKvmFloor(path, iterations) {
  let lines = [];
  try {
    const r = runKvmFloor(path, iterations);
    lines = r.lines;
    for (const f of lines) emit('kvm-floor', f);
    if (r.note) { emit('kvm-floor', { name: 'incomplete', note: r.note }); say(r.note); }
  } catch (e) {
    if (!(e instanceof CommandFailed)) throw e;
    lines = jsonLines(e.stdout);
    for (const f of lines) emit('kvm-floor', f);
    const msg = e.stderr.trim().split('\n').at(-1) || e.message;
    emit('kvm-floor', { name: 'error', error: e.message, stderr: e.stderr });
    say(`kvm-floor FAILED after ${lines.length} figure(s): ${msg}`);
  }
  return { lines, ns: (name) => lines.find((f) => f.name === name)?.ns_per_op ?? null };
}
