// The monitor's own clock for deadlines, timers and statistics: milliseconds of CLOCK_MONOTONIC
// (process.hrtime). Not performance.now(): node loads perf_hooks at the first use of `performance`
// (~1.5 ms), which every payload's first thread, park or timer would pay.
export function monitorNow(): number {
  const [s, ns] = process.hrtime();
  return s * 1e3 + ns / 1e6;
}
