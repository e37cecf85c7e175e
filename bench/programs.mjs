// Real programs as payloads: start-up of `python3 -c pass` and `node -e 0` under km against the same
// command natively (km/native wall-time ratio, medians of alternated runs), and the throughput of
// two servers loaded over loopback, km against native in the same run: the static Go net/http
// server of tests/go/httpserver (wrk) and Debian's redis-server (redis-benchmark).
//
//   node bench/programs.mjs
//
// Environment: BENCH_PROGRAM_RUNS (default 10 x BENCH_SCALE) start-up rounds after one warm-up;
// BENCH_LOAD_SECONDS (default 5) per wrk run; BENCH_REDIS_REQUESTS (default 20000 x BENCH_SCALE).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, createConnection } from 'node:net';
import { join } from 'node:path';
import { KM, OUT, ROOT, childEnv, count, emit, fail, median, requireKvm, round, run, say, timeoutMs, CommandFailed } from './lib.mjs';

const BENCH = 'programs';

function startupRatio(name, cmd, args, runs, env) {
  const once = (viaKm) => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(viaKm ? KM : cmd, viaKm ? [cmd, ...args] : args, { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs(), killSignal: 'SIGKILL' });
    if (r.error || r.status !== 0) throw new CommandFailed(`${name}${viaKm ? ' under km' : ''}`, viaKm ? KM : cmd, viaKm ? [cmd, ...args] : args, r);
    return Number(process.hrtime.bigint() - t0);
  };
  once(false); once(true);
  const km = [], native = [];
  for (let i = 0; i < runs; i++) {
    if (i % 2) { km.push(once(true)); native.push(once(false)); } else { native.push(once(false)); km.push(once(true)); }
  }
  const k = median(km), n = median(native);
  emit(BENCH, { name: `${name}_startup`, command: [cmd, ...args].join(' '), km_median_ms: round(k / 1e6), native_median_ms: round(n / 1e6), ratio: round(k / n), runs });
  say(`  ${[cmd, ...args].join(' ').padEnd(24)} native ${(n / 1e6).toFixed(1)} ms, km ${(k / 1e6).toFixed(1)} ms, km/native ${(k / n).toFixed(2)}`);
}

function buildGoServer() {
  const out = join(OUT, 'go-httpserver');
  mkdirSync(OUT, { recursive: true });
  run('building the Go server', 'go', ['build', '-trimpath', '-o', out, 'main.go'], {
    cwd: join(ROOT, 'tests', 'go', 'httpserver'), env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '', GOPROXY: 'off', GO111MODULE: 'off' },
  });
  return out;
}

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const p = s.address().port;
  await new Promise((r) => s.close(r));
  return p;
}

async function listening(port, ms) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const ok = await new Promise((res) => { const c = createConnection({ host: '127.0.0.1', port }, () => { c.destroy(); res(true); }); c.on('error', () => res(false)); });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`nothing listening on port ${port} after ${ms} ms`);
}

/** Starts a server (natively or under km), runs the load, stops it; requests per second. */
async function serveAndLoad(viaKm, cmd, args, port, load, env) {
  const child = spawn(viaKm ? KM : cmd, viaKm ? [cmd, ...args] : args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  try {
    await listening(port, timeoutMs());
    return load(port);
  } catch (e) {
    throw new Error(`${e.message}\n${stderr}`);
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
  }
}

function wrk(seconds) {
  return (port) => {
    const r = run('wrk', 'wrk', ['-t1', '-c4', `-d${seconds}s`, '--timeout', '10s', `http://127.0.0.1:${port}/sum?n=100`]);
    const errors = /Socket errors: (.*)/.exec(r.stdout)?.[1] ?? 'none';
    return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)[1]), errors };
  };
}

function redisBench(n) {
  return (port) => {
    const r = run('redis-benchmark', 'redis-benchmark', ['-h', '127.0.0.1', '-p', String(port), '-c', '4', '-n', String(n), '-q', '-t', 'get,set']);
    const rates = [...r.stdout.matchAll(/^(\w+): ([\d.]+) requests per second/gm)].map((m) => Number(m[2]));
    return { rps: rates.reduce((a, b) => a + b, 0) / rates.length, errors: /error/i.test(r.stdout) ? r.stdout : 'none' };
  };
}

async function serverRatio(name, cmd, argsFor, load, env) {
  const port1 = await freePort();
  const native = await serveAndLoad(false, cmd, argsFor(port1), port1, load, env);
  const port2 = await freePort();
  const km = await serveAndLoad(true, cmd, argsFor(port2), port2, load, env);
  emit(BENCH, { name: `${name}_rps`, native_rps: round(native.rps, 0), km_rps: round(km.rps, 0), ratio: round(km.rps / native.rps), native_errors: native.errors, km_errors: km.errors });
  say(`  ${name.padEnd(24)} native ${native.rps.toFixed(0)} req/s, km ${km.rps.toFixed(0)} req/s, km/native ${(km.rps / native.rps).toFixed(3)} (errors under km: ${km.errors})`);
}

try {
  requireKvm(BENCH);
  const env = childEnv();
  const runs = count('BENCH_PROGRAM_RUNS', 10);
  say(`program start-up (median of ${runs} alternated runs):`);
  startupRatio('python3_c_pass', '/usr/bin/python3', ['-c', 'pass'], runs, env);
  startupRatio('node_e_0', '/usr/bin/node', ['-e', '0'], runs, env);
  say('servers over loopback (one native run, one km run):');
  const seconds = count('BENCH_LOAD_SECONDS', 5, 1, false);
  const go = buildGoServer();
  await serverRatio('go_http', go, (port) => [String(port)], wrk(seconds), env);
  if (existsSync('/usr/bin/redis-server')) {
    await serverRatio('redis', '/usr/bin/redis-server', (port) => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--loglevel', 'warning'],
      redisBench(count('BENCH_REDIS_REQUESTS', 20000)), env);
  } else say('  redis-server not installed (apt-get install redis-server): skipped');
} catch (e) {
  fail(BENCH, e);
}
