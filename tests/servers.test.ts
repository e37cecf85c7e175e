// Servers under km, loaded from the host over loopback: a static Go net/http server and Debian's
// redis-server. Each is started natively and under km; the same requests get the same responses,
// a bounded load generator run (wrk, redis-benchmark) has zero failed requests, and the server
// ends as asked with the same exit status. Throughput is only reported here (bench/ measures it).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { test, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { programRow } from '../scripts/program-matrix.js';
import { goBinary } from './lib/go.js';
import { requireKvm } from './lib/kvm.js';
import { KM_TIMEOUT_MS } from './lib/run.js';
import { outcomeOf, runInteractive, type Session } from './lib/spawn.js';

const run = promisify(execFile);
const TIMEOUT = { timeout: Math.max(900_000, 3 * KM_TIMEOUT_MS) };
const LOAD_SECONDS = 3;
const title = (id: string) => { const r = programRow(id); return `${r.program}: ${r.run}`; };

function need(exe: string, pkg: string): void {
  if (!existsSync(exe)) throw new Error(`${exe} is missing: apt-get install ${pkg} (.ci/run installs it)`);
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((res) => s.listen(0, '127.0.0.1', res));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((res) => s.close(() => res()));
  return port;
}

/** Waits until something accepts connections on the port (bounded). */
async function waitListening(port: number, s: Session, ms = KM_TIMEOUT_MS): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((res) => {
      const c = createConnection({ host: '127.0.0.1', port }, () => { c.destroy(); res(true); });
      c.on('error', () => res(false));
    });
    if (ok) return;
    if (!s.running) throw new Error(`the server ended before listening on ${port}:\n${s.stdout}\n${s.stderr}`);
    if (Date.now() > until) throw new Error(`nothing listens on ${port} after ${ms} ms:\n${s.stdout}\n${s.stderr}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface Load { requests: number; failed: number; perSecond: number; raw: string }

interface Served { responses: string[]; load: Load; outcome: string }

/** wrk for LOAD_SECONDS with 4 connections: requests, failed (socket errors + non-2xx/3xx). */
async function wrk(url: string): Promise<Load> {
  need('/usr/bin/wrk', 'wrk');
  const { stdout } = await run('/usr/bin/wrk', ['-t1', '-c4', `-d${LOAD_SECONDS}s`, '--timeout', '10s', url], { timeout: 120_000 });
  const requests = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? NaN);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
  const failed = non2xx + (sock ? sock.slice(1).reduce((n, x) => n + Number(x), 0) : 0);
  return { requests, failed, perSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? NaN), raw: stdout };
}

async function serveGo(how: 'native' | 'km', exe: string): Promise<Served> {
  let responses: string[] = [];
  let load: Load | undefined;
  const o = await runInteractive(how, exe, { args: ['0'] }, async (s) => {
    await s.waitFor('listening on ');
    const port = Number(/listening on (\d+)/.exec(s.stdout)![1]);
    const base = `http://127.0.0.1:${port}`;
    const get = async (path: string, init?: RequestInit) => { const r = await fetch(base + path, init); return `${r.status} ${r.headers.get('content-type')} ${await r.text()}`; };
    responses = [await get('/'), await get('/a/b'), await get('/sum?n=1000'), await get('/hash', { method: 'POST', body: 'x'.repeat(100000) })];
    load = await wrk(`${base}/sum?n=100`);
    responses.push(await get('/quit'));
    await s.waitFor('stopped');
  });
  return { responses, load: load!, outcome: outcomeOf(o) };
}

/** One RESP command over a fresh connection, followed by QUIT (redis answers +OK and closes): the
 * raw reply to the command. */
async function redisCmd(port: number, ...args: string[]): Promise<string> {
  const enc = (a: string[]) => `*${a.length}\r\n${a.map((x) => `$${Buffer.byteLength(x)}\r\n${x}\r\n`).join('')}`;
  return new Promise((res, rej) => {
    const c = createConnection({ host: '127.0.0.1', port });
    let got = '';
    c.on('connect', () => c.write(enc(args) + enc(['QUIT'])));
    c.on('data', (d) => { got += d.toString('latin1'); });
    c.on('error', rej);
    c.on('close', () => res(got.endsWith('+OK\r\n') ? got.slice(0, -5) : got));
    c.setTimeout(KM_TIMEOUT_MS, () => { c.destroy(); rej(new Error(`redis ${args.join(' ')}: no answer`)); });
  });
}

async function serveRedis(how: 'native' | 'km'): Promise<Served> {
  const port = await freePort();
  let responses: string[] = [];
  let load: Load | undefined;
  const o = await runInteractive(how, '/usr/bin/redis-server', {
    args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--protected-mode', 'no', '--loglevel', 'warning'],
  }, async (s) => {
    await waitListening(port, s);
    responses = [await redisCmd(port, 'SET', 'k', 'kontain'), await redisCmd(port, 'GET', 'k'), await redisCmd(port, 'INCRBY', 'n', '41'),
      await redisCmd(port, 'INCR', 'n'), await redisCmd(port, 'RPUSH', 'l', 'a', 'b', 'c'), await redisCmd(port, 'LRANGE', 'l', '0', '-1'),
      await redisCmd(port, 'GET', 'missing')];
    need('/usr/bin/redis-benchmark', 'redis-tools');
    const { stdout } = await run('/usr/bin/redis-benchmark', ['-h', '127.0.0.1', '-p', String(port), '-c', '4', '-n', '1000', '-q', '-t', 'set,get,incr,lpush'], { timeout: 300_000 });
    const rates = [...stdout.matchAll(/^(\w+): ([\d.]+) requests per second/gm)];
    load = { requests: rates.length * 1000, failed: rates.length === 4 && !/error/i.test(stdout) ? 0 : 1, perSecond: rates.reduce((n, m) => n + Number(m[2]), 0) / Math.max(rates.length, 1), raw: stdout };
    await redisCmd(port, 'SHUTDOWN', 'NOSAVE');
  });
  return { responses, load: load!, outcome: outcomeOf(o) };
}

async function compareServers(t: TestContext, serve: (how: 'native' | 'km') => Promise<Served>): Promise<void> {
  if (!requireKvm(t)) return;
  const native = await serve('native');
  assert.equal(native.load.failed, 0, native.load.raw);
  const km = await serve('km');
  assert.deepEqual(km.responses, native.responses, 'responses under km differ from native');
  assert.ok(km.load.requests > 0 && km.load.failed === 0, `load under km: ${km.load.failed} failed of ${km.load.requests}\n${km.load.raw}`);
  assert.equal(km.outcome, native.outcome);
  t.diagnostic(`requests/s native ${native.load.perSecond.toFixed(0)}, km ${km.load.perSecond.toFixed(0)}, km/native ${(km.load.perSecond / native.load.perSecond).toFixed(3)}`);
}

test(title('go-http'), TIMEOUT, async (t) => {
  const exe = goBinary(t, 'httpserver');
  if (!exe) return;
  await compareServers(t, (how) => serveGo(how, exe));
});

test(title('redis'), TIMEOUT, async (t) => {
  need('/usr/bin/redis-server', 'redis-server');
  await compareServers(t, serveRedis);
});
