// Go: the Go runtime (threads, futexes, signals, its own scheduler and GC) under km. Two programs
// from bench/go/, built with `CGO_ENABLED=0 go build` (static; Debian's golang-go), run natively and
// under km alternately; each times its workload inside itself with time.Now (wall time):
//   - gc (bench/go/gc/main.go): build, walk and drop many small binary trees next to a long-lived
//     one, runtime.GC() after each round (about a hundred collections natively);
//   - fanout (bench/go/fanout/main.go): 100000 goroutines at once receiving from one channel and
//     sending to another, `rounds` times, then 100 values through a pipeline of 10000 goroutines.
// Reported: km/native of the timed workload (target <= 1.3 each); km/native of the whole process
// from spawn to exit for context (it includes km's start-up, see startup.mjs).
//
//   node bench/go.mjs
//
// Environment:
//   BENCH_GO_GC_ROUNDS         gc rounds (default 4 x BENCH_SCALE)
//   BENCH_GO_GC_TREES          trees per gc round (default 20000)
//   BENCH_GO_FANOUT_GOROUTINES goroutines alive at once in a fanout round (default 100000)
//   BENCH_GO_FANOUT_ROUNDS     fanout rounds (default 2 x BENCH_SCALE)
//   BENCH_GO_RUNS              runs of each program, km and native alternately; figures are medians (default 3)
//   GO                         the go command (default: go)
//
// Without a usable /dev/kvm (or when km cannot run a program) the km side is reported as an error
// line and the native figures are still printed; exit status 2 (no KVM) or 1 (km failed).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  BENCH as BENCH_DIR, KmSide, OUT, childEnv, count, emit, fail, jsonLines, median, round, run, say,
} from './lib.mjs';

const BENCH = 'go';
const TARGET = 1.3;
const GO = process.env.GO || 'go';

function goVersion() {
  const r = spawnSync(GO, ['version'], { encoding: 'utf8', env: childEnv() });
  if (r.error || r.status !== 0) {
    throw new Error(`'${GO} version' failed (${r.error?.code ?? `exit status ${r.status}`}): install Debian's golang-go (apt-get install -y golang-go) or set GO`);
  }
  return r.stdout.trim();
}

/** Builds bench/go/<name>/*.go with CGO_ENABLED=0 into OUT/go-<name>, when a source is newer. */
function buildGo(name) {
  mkdirSync(OUT, { recursive: true });
  const dir = join(BENCH_DIR, 'go', name);
  const sources = readdirSync(dir).filter((f) => f.endsWith('.go')).map((f) => join(dir, f));
  const out = join(OUT, `go-${name}`);
  if (existsSync(out) && sources.every((s) => statSync(s).mtimeMs <= statSync(out).mtimeMs)) return out;
  const env = { ...childEnv(), CGO_ENABLED: '0' };
  // go needs a build cache; give it one in OUT when the environment names none
  if (!env.GOCACHE && !env.XDG_CACHE_HOME && !env.HOME) env.GOCACHE = join(OUT, 'go-cache');
  run(`building go-${name}`, GO, ['build', '-o', out, ...sources], { cwd: dir, env });
  return out;
}

/** the host's free page reporting granularity (page order), or null where there is none */
function pageReportingOrder() {
  try { return Number(readFileSync('/sys/module/page_reporting/parameters/page_reporting_order', 'utf8').trim()); } catch { return null; }
}

function timed(fn) {
  const t0 = process.hrtime.bigint();
  const r = fn();
  return { r, wallS: Number(process.hrtime.bigint() - t0) / 1e9 };
}

const ratio = (a, b) => (a === null || b === null ? null : a / b);
const fmtS = (s) => (s === null ? 'n/a' : `${s.toFixed(3)} s`);
const fmtRatio = (x) => (x === null ? 'n/a' : x.toFixed(2));

try {
  const version = goVersion();
  const programs = [
    {
      name: 'gc', bin: buildGo('gc'),
      args: [String(count('BENCH_GO_GC_ROUNDS', 4)), String(count('BENCH_GO_GC_TREES', 20000, 1, false))],
      extra: ['num_gc', 'pause_total_ms', 'heap_sys_mib'],
    },
    {
      name: 'fanout', bin: buildGo('fanout'),
      args: [String(count('BENCH_GO_FANOUT_GOROUTINES', 100000, 1, false)), String(count('BENCH_GO_FANOUT_ROUNDS', 2))],
      extra: ['fanout_s', 'chain_s'],
    },
  ];
  const runs = count('BENCH_GO_RUNS', 3, 1, false);
  const km = new KmSide(BENCH);
  emit(BENCH, { name: 'toolchain', go: version, cgo_enabled: 0 });

  const results = [];
  for (const p of programs) {
    const got = { km: [], native: [] };
    const take = (into, r, wallS, who) => {
      const o = jsonLines(r.stdout).find((l) => l.name === p.name);
      if (!o) throw new Error(`go-${p.name} (${who}) printed no '${p.name}' line; output:\n${r.stdout}\n${r.stderr}`);
      into.push({ ...o, wall_s: wallS });
    };
    for (let i = 0; i < runs; i++) {
      const k = timed(() => km.run(`km go-${p.name}`, [p.bin, ...p.args]));
      if (k.r) take(got.km, k.r, k.wallS, 'km');
      const n = timed(() => run(`native go-${p.name}`, p.bin, p.args));
      take(got.native, n.r, n.wallS, 'native');
    }
    const sums = new Set([...got.km, ...got.native].map((o) => o.checksum));
    if (sums.size !== 1) throw new Error(`go-${p.name}: checksums differ between runs: ${[...sums].join(', ')}`);
    const med = (side, key) => (got[side].length ? median(got[side].map((o) => o[key])) : null);
    const r = {
      name: p.name, kmS: med('km', 's'), nativeS: med('native', 's'), kmWall: med('km', 'wall_s'), nativeWall: med('native', 'wall_s'),
    };
    r.ratio = ratio(r.kmS, r.nativeS);
    r.ok = r.ratio === null ? null : r.ratio <= TARGET;
    const extra = {};
    for (const key of p.extra) { extra[`km_${key}`] = med('km', key); extra[`native_${key}`] = med('native', key); }
    emit(BENCH, {
      name: p.name, args: p.args.join(' '),
      km_s: r.kmS === null ? null : round(r.kmS, 4), native_s: round(r.nativeS, 4),
      km_over_native: r.ratio === null ? null : round(r.ratio), target: TARGET, ok: r.ok,
      km_process_wall_s: r.kmWall === null ? null : round(r.kmWall, 3), native_process_wall_s: round(r.nativeWall, 3),
      km_over_native_process_wall: r.kmWall === null ? null : round(r.kmWall / r.nativeWall, 2),
      ...extra,
      km_gomaxprocs: got.km[0]?.gomaxprocs ?? null, native_gomaxprocs: got.native[0].gomaxprocs,
      runs, km_runs_s: got.km.map((o) => o.s), native_runs_s: got.native.map((o) => o.s),
      ...(km.failed(`km go-${p.name}`) ? { km_missing: km.why(`km go-${p.name}`) } : {}),
    });
    results.push(r);
  }

  say(`go (${version}, CGO_ENABLED=0; median of ${runs} runs; timed workload inside the program, and the whole process for context):`);
  for (const r of results) {
    const verdict = r.ok === null ? 'not measured' : r.ok ? 'met' : 'NOT met';
    say(`  ${r.name.padEnd(7)} workload  km ${fmtS(r.kmS).padStart(9)}  native ${fmtS(r.nativeS).padStart(9)}  km/native ${fmtRatio(r.ratio)} (target <= ${TARGET}: ${verdict})`);
    say(`  ${''.padEnd(7)} process   km ${fmtS(r.kmWall).padStart(9)}  native ${fmtS(r.nativeWall).padStart(9)}  km/native ${fmtRatio(ratio(r.kmWall, r.nativeWall))}`);
  }
  // context for the fan-out's first round: a host whose balloon reports free 2 MiB blocks to its own
  // host hands km cold huge pages after idle (docs/benchmarks.md, "Threads and Go")
  const order = pageReportingOrder();
  emit(BENCH, { name: 'host_page_reporting_order', value: order });
  if (order !== null && order <= 9) say(`  host: free page reporting at order ${order} (free blocks of ${4 * 2 ** order} KiB and more go back to the outer host; km's huge pages are cold after idle)`);
  km.finish();
} catch (e) {
  fail(BENCH, e);
}
