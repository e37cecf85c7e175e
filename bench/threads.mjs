// Threads: what a guest thread costs under km, timed inside the payload bench/payloads/threads.c
// with clock_gettime(CLOCK_MONOTONIC), natively and under km in the same run:
//   - create_join: n sequential pthread_create + pthread_join of a thread that returns at once, each
//     iteration timed; median and p90 in µs, km/native. Target: km median <= 1 ms.
//   - pingpong: two threads hand a token back and forth through raw futex WAIT/WAKE on two words
//     (no spinning); ns per round trip, divided by kvm-floor's syscall_mmio_cpl3 (CPL3 `syscall` ->
//     stub -> MMIO exit -> host getpid -> back, from ../shared/bench/kvm-floor.c, built and run in
//     the same run), and km/native. The payload also counts the futex calls per round trip (each is
//     an exit under km), so km/floor can be read against that count. No target set.
//
//   node bench/threads.mjs
//
// Environment:
//   BENCH_FLOOR_ITERS    kvm-floor's iteration argument (default 20000 x BENCH_SCALE)
//   BENCH_THREADS_N      create+join iterations per payload run, km and native alike (default 200 x BENCH_SCALE)
//   BENCH_FUTEX_N        round trips per round under km (default 2000 x BENCH_SCALE); natively 10x as many
//   BENCH_FUTEX_ROUNDS   rounds per payload run; the payload reports their median (default 5)
//   BENCH_THREADS_RUNS   payload runs of each kind, km and native alternately; figures are medians of runs (default 3)
//
// Without a usable /dev/kvm (or when km cannot run the payload) the km side is reported as an
// error line and the native figures are still printed; exit status 2 (no KVM) or 1 (km failed).
import {
  KmSide, buildKvmFloor, buildPayload, count, emit, fail, fmtNs, jsonLines, median, round, run, say, tryKvmFloor,
} from './lib.mjs';

const BENCH = 'threads';
const TARGET_CREATE_JOIN_US = 1000;
const NATIVE_FUTEX_FACTOR = 10;

/** The payload's JSON line `name` from a run's stdout. */
function figure(stdout, name, who) {
  const o = jsonLines(stdout).find((l) => l.name === name);
  if (!o) throw new Error(`the threads payload (${who}) printed no '${name}' line; output:\n${stdout}`);
  return o;
}

const fmtUs = (us) => (us === null ? 'n/a' : fmtNs(us * 1e3));
const ratio = (a, b) => (a === null || b === null ? null : a / b);
const fmtRatio = (x, digits = 2) => (x === null ? 'n/a' : x.toFixed(digits));

try {
  const floorBin = buildKvmFloor();
  const payload = buildPayload('threads');
  const floorIters = count('BENCH_FLOOR_ITERS', 20000, 10);
  const nCreate = count('BENCH_THREADS_N', 200, 10);
  const nPing = count('BENCH_FUTEX_N', 2000);
  const nPingNative = nPing * NATIVE_FUTEX_FACTOR;
  const rounds = count('BENCH_FUTEX_ROUNDS', 5, 1, false);
  const runs = count('BENCH_THREADS_RUNS', 3, 1, false);
  const km = new KmSide(BENCH);

  const floor = tryKvmFloor(floorBin, floorIters);
  const mmio = floor.ns('syscall_mmio_cpl3');

  // create + join: km and native alternately
  const cj = { km: [], native: [] };
  for (let i = 0; i < runs; i++) {
    const r = km.run('km threads create', [payload, 'create', String(nCreate)]);
    if (r) cj.km.push(figure(r.stdout, 'create_join', 'km'));
    cj.native.push(figure(run('native threads create', payload, ['create', String(nCreate)]).stdout, 'create_join', 'native'));
  }
  // futex ping-pong: km and native alternately
  const pp = { km: [], native: [] };
  for (let i = 0; i < runs; i++) {
    const r = km.run('km threads pingpong', [payload, 'pingpong', String(nPing), String(rounds)]);
    if (r) pp.km.push(figure(r.stdout, 'pingpong', 'km'));
    pp.native.push(figure(run('native threads pingpong', payload, ['pingpong', String(nPingNative), String(rounds)]).stdout, 'pingpong', 'native'));
  }

  const med = (xs, key) => (xs.length ? median(xs.map((x) => x[key])) : null);
  const r1 = (x, d = 1) => (x === null ? null : round(x, d));

  const c = {
    kmMedian: med(cj.km, 'median_us'), kmP90: med(cj.km, 'p90_us'),
    nativeMedian: med(cj.native, 'median_us'), nativeP90: med(cj.native, 'p90_us'),
  };
  const createOk = c.kmMedian === null ? null : c.kmMedian <= TARGET_CREATE_JOIN_US;
  emit(BENCH, {
    name: 'create_join',
    km_median_us: r1(c.kmMedian, 2), km_p90_us: r1(c.kmP90, 2),
    native_median_us: r1(c.nativeMedian, 2), native_p90_us: r1(c.nativeP90, 2),
    km_over_native_median: r1(ratio(c.kmMedian, c.nativeMedian), 2), km_over_native_p90: r1(ratio(c.kmP90, c.nativeP90), 2),
    target_km_median_us: TARGET_CREATE_JOIN_US, ok: createOk,
    km_first_us: cj.km.map((x) => x.first_us), native_first_us: cj.native.map((x) => x.first_us),
    km_clock_read_us: med(cj.km, 'clock_read_us'), native_clock_read_us: med(cj.native, 'clock_read_us'),
    n: nCreate, runs, km_runs: cj.km.map(({ median_us, p90_us }) => ({ median_us, p90_us })),
    native_runs: cj.native.map(({ median_us, p90_us }) => ({ median_us, p90_us })),
    ...(km.failed('km threads create') ? { km_missing: km.why('km threads create') } : {}),
  });

  const p = {
    km: med(pp.km, 'ns_per_round_trip'), native: med(pp.native, 'ns_per_round_trip'),
    kmCalls: med(pp.km, 'futex_calls_per_round_trip'), nativeCalls: med(pp.native, 'futex_calls_per_round_trip'),
  };
  emit(BENCH, {
    name: 'futex_pingpong',
    km_ns_per_round_trip: r1(p.km), native_ns_per_round_trip: r1(p.native),
    syscall_mmio_cpl3_ns: mmio, km_over_syscall_mmio_cpl3: r1(ratio(p.km, mmio), 2), km_over_native: r1(ratio(p.km, p.native), 2),
    km_futex_calls_per_round_trip: p.kmCalls, native_futex_calls_per_round_trip: p.nativeCalls,
    km_over_syscall_mmio_cpl3_per_futex_call: r1(p.km === null || mmio === null ? null : p.km / p.kmCalls / mmio, 2),
    n_km: nPing, n_native: nPingNative, rounds, runs,
    km_runs_ns: pp.km.map((x) => x.ns_per_round_trip), native_runs_ns: pp.native.map((x) => x.ns_per_round_trip),
    ...(km.failed('km threads pingpong') ? { km_missing: km.why('km threads pingpong') } : {}),
    ...(mmio === null ? { floor_missing: 'kvm-floor printed no syscall_mmio_cpl3 figure' } : {}),
  });

  say(`threads (median of ${runs} runs; create+join: ${nCreate} iterations per run; ping-pong: median of ${rounds} rounds of ${nPing} round trips under km, ${nPingNative} natively):`);
  say(`  kvm-floor syscall_mmio_cpl3 = ${mmio === null ? 'n/a (kvm-floor failed, see above)' : fmtNs(mmio)} (${floorIters} iterations)`);
  say(`  create+join median  km ${fmtUs(c.kmMedian).padStart(10)}  native ${fmtUs(c.nativeMedian).padStart(10)}  km/native ${fmtRatio(ratio(c.kmMedian, c.nativeMedian))}` +
    `  (target km <= 1 ms: ${createOk === null ? 'not measured' : createOk ? 'met' : 'NOT met'})`);
  say(`  create+join p90     km ${fmtUs(c.kmP90).padStart(10)}  native ${fmtUs(c.nativeP90).padStart(10)}  km/native ${fmtRatio(ratio(c.kmP90, c.nativeP90))}`);
  say(`  futex round trip    km ${(p.km === null ? 'n/a' : fmtNs(p.km)).padStart(10)}  native ${fmtNs(p.native).padStart(10)}  km/native ${fmtRatio(ratio(p.km, p.native))}` +
    `  km/syscall_mmio_cpl3 ${fmtRatio(ratio(p.km, mmio))}`);
  say(`  futex calls per round trip: km ${p.kmCalls === null ? 'n/a' : p.kmCalls.toFixed(2)}, native ${p.nativeCalls.toFixed(2)} (each is an exit under km)`);
  km.finish();
} catch (e) {
  fail(BENCH, e);
}
