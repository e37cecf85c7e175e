// Memory: km's resident set size (VmRSS of /proc/<pid>/status; bin/km.cjs is a node script started
// through /usr/bin/env, which execs node, so the spawned pid is km's node process).
//   - while running hello: /proc/<pid>/status is read in a tight loop from spawn to exit, the
//     largest VmRSS and VmHWM seen are reported (node -e 0 and native hello alike, for context);
//   - bench/payloads/memory.c: RSS when the payload starts ("ready"), after it mmapped and touched
//     1 GiB ("touched"), and after it munmapped it ("unmapped"), km vs native at the same points.
//
//   node bench/memory.mjs
//
// Environment: BENCH_MEMORY_MIB (default 1024, not scaled).
import { spawn } from 'node:child_process';
import {
  KM, buildPayload, childEnv, emit, fail, fmtKiB, helloPayload, procStatus, requireKvm, runInteractive, say, timeoutMs, CommandFailed,
} from './lib.mjs';

const BENCH = 'memory';

/** Spawns a command and samples its /proc status in a tight loop until it exits. */
function sampleWhileRunning(cmd, args) {
  return new Promise((resolveRun, reject) => {
    const child = spawn(cmd, args, { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    let maxRss = null, maxHwm = null, samples = 0;
    const deadline = Date.now() + timeoutMs();
    // the event loop is blocked while we poll, so the child stays a zombie (no VmRSS) until we stop
    for (;;) {
      const s = procStatus(child.pid);
      if (s === null || s.State === 'Z') break;
      if (Date.now() > deadline) { stderr += '\n[bench: timeout, killing]'; child.kill('SIGKILL'); break; }
      samples++;
      maxRss = Math.max(maxRss ?? 0, s.VmRSS);
      if (s.VmHWM !== undefined) maxHwm = Math.max(maxHwm ?? 0, s.VmHWM);
    }
    child.on('close', (status, signal) => resolveRun({ status, signal, stdout, stderr, maxRss, maxHwm, samples }));
  });
}

try {
  const payload = buildPayload('memory');
  const hello = helloPayload();
  requireKvm(BENCH);
  const mib = Number(process.env.BENCH_MEMORY_MIB || 1024);
  if (!Number.isInteger(mib) || mib < 1) throw new Error(`BENCH_MEMORY_MIB must be a positive integer, got '${process.env.BENCH_MEMORY_MIB}'`);

  // 1. hello
  const helloRss = {};
  for (const [name, cmd, args] of [['km_hello', KM, [hello]], ['node_e_0', 'node', ['-e', '0']], ['native_hello', hello, []]]) {
    const r = await sampleWhileRunning(cmd, args);
    if (r.status !== 0) throw new CommandFailed(name, cmd, args, r);
    helloRss[name] = r;
    emit(BENCH, { name: `${name}_rss`, max_vmrss_kib: r.maxRss, max_vmhwm_kib: r.maxHwm, samples: r.samples });
  }

  // 2. the memory payload, native then km
  const points = ['ready', 'touched', 'unmapped'];
  const atPoints = {};
  for (const [who, cmd, args] of [['native', payload, [String(mib)]], ['km', KM, [payload, String(mib)]]]) {
    const seen = {};
    const r = await runInteractive(cmd, args, points, (marker, pid) => { seen[marker] = procStatus(pid); });
    if (r.status !== 0) throw new CommandFailed(`${who} memory`, cmd, args, r);
    for (const p of points) if (!seen[p]) throw new CommandFailed(`${who} memory: no sample at '${p}'`, cmd, args, r);
    atPoints[who] = seen;
    for (const p of points) {
      const s = seen[p];
      emit(BENCH, { name: `${who}_${p}`, vmrss_kib: s.VmRSS, rss_anon_kib: s.RssAnon, rss_file_kib: s.RssFile, rss_shmem_kib: s.RssShmem, vmhwm_kib: s.VmHWM, mib });
    }
  }
  const d = (who, p) => atPoints[who][p].VmRSS - atPoints[who].ready.VmRSS;
  const released = (who) => (atPoints[who].touched.VmRSS - atPoints[who].unmapped.VmRSS) / (atPoints[who].touched.VmRSS - atPoints[who].ready.VmRSS);
  emit(BENCH, {
    name: 'summary', mib,
    km_touched_minus_ready_kib: d('km', 'touched'), native_touched_minus_ready_kib: d('native', 'touched'),
    km_unmapped_minus_ready_kib: d('km', 'unmapped'), native_unmapped_minus_ready_kib: d('native', 'unmapped'),
    km_released_fraction: Number(released('km').toFixed(3)), native_released_fraction: Number(released('native').toFixed(3)),
    km_hello_over_node_rss: Number((helloRss.km_hello.maxRss / helloRss.node_e_0.maxRss).toFixed(2)),
  });

  say('memory (VmRSS):');
  say(`  while running hello (max sampled): km ${fmtKiB(helloRss.km_hello.maxRss)} (VmHWM ${fmtKiB(helloRss.km_hello.maxHwm)}), node -e 0 ${fmtKiB(helloRss.node_e_0.maxRss)}, native hello ${helloRss.native_hello.maxRss === null ? 'exited before a sample' : fmtKiB(helloRss.native_hello.maxRss)}`);
  say(`  payload touching ${mib} MiB:      ready        touched      unmapped`);
  for (const who of ['km', 'native']) {
    const s = atPoints[who];
    say(`    ${who.padEnd(8)} ${fmtKiB(s.ready.VmRSS).padStart(14)} ${fmtKiB(s.touched.VmRSS).padStart(12)} ${fmtKiB(s.unmapped.VmRSS).padStart(12)}`);
  }
  say(`  released by munmap: km ${(released('km') * 100).toFixed(1)}%, native ${(released('native') * 100).toFixed(1)}% of what the touch added`);
} catch (e) {
  fail(BENCH, e);
}
