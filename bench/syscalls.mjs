// Syscall cost: ns per getpid (syscall(SYS_getpid)) and per one-byte write to /dev/null, timed
// inside the payload bench/payloads/syscalls.c under km, divided by kvm-floor's syscall_mmio_cpl3
// (CPL3 `syscall` -> stub -> MMIO exit -> host getpid -> back) from ../shared/bench/kvm-floor.c,
// built and run in the same run. Native per-call times are printed for context.
//
//   node bench/syscalls.mjs
//
// Environment:
//   BENCH_FLOOR_ITERS     kvm-floor's iteration argument (default 20000 x BENCH_SCALE)
//   BENCH_SYSCALLS_N      calls per round under km (default 10000 x BENCH_SCALE); natively 20x as many
//   BENCH_SYSCALLS_ROUNDS rounds per payload run; the payload reports their median (default 5)
//   BENCH_SYSCALLS_RUNS   payload runs, km and native alternately; figures are medians (default 3)
// Target: km per-call / syscall_mmio_cpl3 <= 1.15.
import {
  KM, buildKvmFloor, buildPayload, count, emit, fail, fmtNs, jsonLines, median, requireKvm, round, run, runKvmFloor, say,
} from './lib.mjs';

const BENCH = 'syscalls';
const TARGET = 1.15;
const KINDS = ['getpid', 'write_devnull', 'clock_gettime'];

try {
  const floorBin = buildKvmFloor();
  const payload = buildPayload('syscalls');
  requireKvm(BENCH);
  const floorIters = count('BENCH_FLOOR_ITERS', 20000, 10);
  const n = count('BENCH_SYSCALLS_N', 10000);
  const nNative = n * 20;
  const rounds = count('BENCH_SYSCALLS_ROUNDS', 5, 1, false);
  const runs = count('BENCH_SYSCALLS_RUNS', 3, 1, false);

  const { lines: floor, note: floorNote } = runKvmFloor(floorBin, floorIters);
  for (const f of floor) emit('kvm-floor', f);
  if (floorNote) { emit('kvm-floor', { name: 'incomplete', note: floorNote }); say(floorNote); }
  const mmio = floor.find((f) => f.name === 'syscall_mmio_cpl3')?.ns_per_op;
  if (!(mmio > 0)) throw new Error(`kvm-floor printed no syscall_mmio_cpl3 figure: ${JSON.stringify(floor)}`);

  const km = Object.fromEntries(KINDS.map((k) => [k, []]));
  const native = Object.fromEntries(KINDS.map((k) => [k, []]));
  const collect = (into, stdout) => {
    for (const o of jsonLines(stdout)) if (into[o.name]) into[o.name].push(o.ns_per_call);
  };
  for (let i = 0; i < runs; i++) {
    collect(km, run('km syscalls', KM, [payload, String(n), String(rounds)]).stdout);
    collect(native, run('native syscalls', payload, [String(nNative), String(rounds)]).stdout);
  }
  for (const k of KINDS) {
    if (km[k].length !== runs) throw new Error(`the payload under km printed no '${k}' figure`);
  }
  const res = {};
  for (const k of KINDS) {
    const kmNs = median(km[k]), nativeNs = median(native[k]);
    res[k] = { kmNs, nativeNs, overFloor: kmNs / mmio };
    emit(BENCH, {
      name: k, km_ns_per_call: round(kmNs, 1), native_ns_per_call: round(nativeNs, 1),
      km_over_syscall_mmio_cpl3: round(kmNs / mmio), km_over_native: round(kmNs / nativeNs, 1),
      ...(k === 'clock_gettime' ? {} : { target: TARGET, ok: kmNs / mmio <= TARGET }),
      n_km: n, n_native: nNative, rounds, runs, km_runs_ns: km[k].map((x) => round(x, 1)),
    });
  }
  say(`syscalls (median of ${runs} runs x median of ${rounds} rounds; ${n} calls per round under km, ${nNative} natively):`);
  say(`  kvm-floor syscall_mmio_cpl3 = ${fmtNs(mmio)} (${floorIters} iterations), native_syscall = ${fmtNs(floor.find((f) => f.name === 'native_syscall')?.ns_per_op)}`);
  for (const k of KINDS) {
    const r = res[k];
    const verdict = k === 'clock_gettime' ? '(context)' : `target <= ${TARGET}: ${r.overFloor <= TARGET ? 'met' : 'NOT met'}`;
    say(`  ${k.padEnd(14)} km ${fmtNs(r.kmNs).padStart(10)}  native ${fmtNs(r.nativeNs).padStart(10)}  km/floor ${r.overFloor.toFixed(2)} ${verdict}`);
  }
} catch (e) {
  fail(BENCH, e);
}
