// Compute and fresh memory: bench/payloads/compute.c times, inside the payload,
//   - hashing a 64 MiB buffer 20 times (FNV-1a over 64-bit words) after the buffer was touched once:
//     km/native ratio of that timed part (target <= 1.05);
//   - the first touch of fresh anonymous memory, per 4 KiB page, km vs native;
//   - touching the same memory again after it was released with madvise(MADV_DONTNEED), and after
//     munmap + mmap of the same size, per page: whether released and reused memory pays the
//     first-touch cost again.
//
//   node bench/compute.mjs
//
// Environment (none scaled by BENCH_SCALE): BENCH_COMPUTE_MIB (default 64), BENCH_COMPUTE_PASSES
// (default 20), BENCH_COMPUTE_RUNS (payload runs, km and native alternately, default 3; figures are
// medians).
import { readFileSync } from 'node:fs';
import { KM, buildPayload, count, emit, fail, fmtNs, jsonLines, median, requireKvm, round, run, say } from './lib.mjs';

const BENCH = 'compute';
const TARGET = 1.05;
const PAGE_FIGURES = ['first_touch', 'retouch_resident', 'madvise_dontneed', 'touch_after_dontneed', 'munmap', 'touch_after_remap'];

function thp() {
  try { return /\[(\w+)\]/.exec(readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'))?.[1] ?? '?'; } catch { return 'unknown'; }
}

try {
  const payload = buildPayload('compute');
  requireKvm(BENCH);
  const mib = Number(process.env.BENCH_COMPUTE_MIB || 64);
  if (!Number.isInteger(mib) || mib < 1) throw new Error(`BENCH_COMPUTE_MIB must be a positive integer, got '${process.env.BENCH_COMPUTE_MIB}'`);
  const passes = count('BENCH_COMPUTE_PASSES', 20, 1, false);
  const runs = count('BENCH_COMPUTE_RUNS', 3, 1, false);
  const args = [String(mib), String(passes)];

  const empty = () => ({ hash_s: [], remap_same_address: [], ...Object.fromEntries(PAGE_FIGURES.map((f) => [f, []])) });
  const km = empty(), native = empty();
  const collect = (into, stdout, who) => {
    const lines = jsonLines(stdout);
    for (const o of lines) {
      if (o.name === 'hash') { into.hash_s.push(o.s); into.hash = o.hash; }
      else if (o.name === 'remap_same_address') into.remap_same_address.push(o.value);
      else if (into[o.name]) into[o.name].push(o.ns_per_page);
    }
    for (const f of ['hash_s', ...PAGE_FIGURES]) {
      if (into[f].length === 0) throw new Error(`the payload (${who}) printed no '${f}' figure; output:\n${stdout}`);
    }
  };
  for (let i = 0; i < runs; i++) {
    collect(km, run('km compute', KM, [payload, ...args]).stdout, 'km');
    collect(native, run('native compute', payload, args).stdout, 'native');
  }
  if (km.hash !== native.hash) throw new Error(`hash differs: km ${km.hash}, native ${native.hash}`);

  const hashKm = median(km.hash_s), hashNative = median(native.hash_s);
  const ratio = hashKm / hashNative;
  emit(BENCH, {
    name: 'hash', km_s: round(hashKm, 4), native_s: round(hashNative, 4), km_over_native: round(ratio),
    target: TARGET, ok: ratio <= TARGET, km_pass_s: round(hashKm / passes, 5), native_pass_s: round(hashNative / passes, 5),
    mib, passes, runs, km_runs_s: km.hash_s.map((x) => round(x, 4)), native_runs_s: native.hash_s.map((x) => round(x, 4)),
  });
  const pages = {};
  for (const f of PAGE_FIGURES) {
    const k = median(km[f]), n = median(native[f]);
    pages[f] = { k, n };
    emit(BENCH, { name: f, km_ns_per_page: round(k, 1), native_ns_per_page: round(n, 1), km_over_native: round(k / n, 2), pages: mib * 256, runs });
  }
  const kmExtraFirst = pages.first_touch.k - pages.first_touch.n;
  emit(BENCH, {
    name: 'reuse_summary',
    km_first_touch_ns_per_page: round(pages.first_touch.k, 1),
    // km's extra cost over native per page: what the VM charges on top of Linux's own page fault
    km_extra_first_touch_ns_per_page: round(pages.first_touch.k - pages.first_touch.n, 1),
    km_extra_after_dontneed_ns_per_page: round(pages.touch_after_dontneed.k - pages.touch_after_dontneed.n, 1),
    km_extra_after_remap_ns_per_page: round(pages.touch_after_remap.k - pages.touch_after_remap.n, 1),
    km_after_dontneed_over_first_touch: round(pages.touch_after_dontneed.k / pages.first_touch.k, 2),
    km_after_remap_over_first_touch: round(pages.touch_after_remap.k / pages.first_touch.k, 2),
    native_after_dontneed_over_first_touch: round(pages.touch_after_dontneed.n / pages.first_touch.n, 2),
    native_after_remap_over_first_touch: round(pages.touch_after_remap.n / pages.first_touch.n, 2),
    km_remap_same_address: km.remap_same_address.every(Boolean), native_remap_same_address: native.remap_same_address.every(Boolean),
    host_thp: thp(),
  });
  say(`compute (${mib} MiB buffer, ${passes} hash passes, median of ${runs} runs; host THP: ${thp()}):`);
  say(`  hash (timed part)      km ${hashKm.toFixed(4)} s  native ${hashNative.toFixed(4)} s  km/native ${ratio.toFixed(3)} (target <= ${TARGET}: ${ratio <= TARGET ? 'met' : 'NOT met'})`);
  say('  per 4 KiB page:                km          native      km/native');
  for (const f of PAGE_FIGURES) {
    const { k, n } = pages[f];
    say(`    ${f.padEnd(22)} ${fmtNs(k).padStart(10)}  ${fmtNs(n).padStart(10)}  ${(k / n).toFixed(2).padStart(8)}`);
  }
  const extra = (f) => fmtNs(pages[f].k - pages[f].n);
  say(`  km's extra cost over native per page: first touch ${fmtNs(kmExtraFirst)}, after MADV_DONTNEED ${extra('touch_after_dontneed')}, after munmap+mmap ${extra('touch_after_remap')}`);
  say(`  (released and reused memory is charged the VM's first-touch cost again when the last two are close to the first)`);
} catch (e) {
  fail(BENCH, e);
}
