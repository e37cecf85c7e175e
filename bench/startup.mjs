// Start-up: wall time of `km hello`, against `node -e 0` (the runtime km starts on) and native
// `./hello`, from spawn to exit. The commands run alternately, in a rotating order, so drift in the
// machine's speed hits all of them alike; figures are medians. NODE_EXTRA_CA_CERTS is unset for
// every command. For context, `km --version` (launcher + km's JavaScript, no VM) runs in the same
// rotation: km hello minus km --version is what creating the VM and running hello cost.
//
//   node bench/startup.mjs
//
// Environment: BENCH_STARTUP_RUNS (default 20 x BENCH_SCALE) rounds, after one untimed warm-up
// round. Target: km/node <= 1.5.
import { spawnSync } from 'node:child_process';
import { KM, childEnv, count, emit, fail, fmtNs, helloPayload, median, requireKvm, round, say, timeoutMs, CommandFailed } from './lib.mjs';

const BENCH = 'startup';
const TARGET_KM_OVER_NODE = 1.5;

try {
  const hello = helloPayload();
  requireKvm(BENCH);
  const runs = count('BENCH_STARTUP_RUNS', 20);
  const env = childEnv();
  const cmds = [
    { name: 'km_hello', cmd: KM, args: [hello], expect: 'hello from' },
    { name: 'node_e_0', cmd: 'node', args: ['-e', '0'], expect: null },
    { name: 'native_hello', cmd: hello, args: [], expect: 'hello from' },
    // context: the launcher and km's JavaScript, no VM (km hello minus this is the VM's share)
    { name: 'km_version', cmd: KM, args: ['--version'], expect: 'km ' },
  ];
  const once = (c) => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(c.cmd, c.args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs(), killSignal: 'SIGKILL' });
    const ns = Number(process.hrtime.bigint() - t0);
    if (r.error || r.status !== 0 || (c.expect && !r.stdout.includes(c.expect))) {
      if (!r.error && r.status === 0) r.stderr = `${r.stderr}\n[bench: output lacks '${c.expect}']`;
      throw new CommandFailed(c.name, c.cmd, c.args, r);
    }
    return ns;
  };
  for (const c of cmds) once(c); // warm-up: page cache, node's code cache
  const times = Object.fromEntries(cmds.map((c) => [c.name, []]));
  for (let i = 0; i < runs; i++) {
    for (let j = 0; j < cmds.length; j++) {
      const c = cmds[(i + j) % cmds.length];
      times[c.name].push(once(c));
    }
  }
  const med = {};
  for (const c of cmds) {
    const t = times[c.name];
    med[c.name] = median(t);
    emit(BENCH, {
      name: c.name, command: [c.cmd === KM ? 'bin/km.cjs' : c.cmd, ...c.args].join(' '),
      median_ms: round(med[c.name] / 1e6), min_ms: round(Math.min(...t) / 1e6), max_ms: round(Math.max(...t) / 1e6), runs,
    });
  }
  const kmOverNode = med.km_hello / med.node_e_0;
  const kmOverNative = med.km_hello / med.native_hello;
  emit(BENCH, { name: 'km_over_node', ratio: round(kmOverNode), target: TARGET_KM_OVER_NODE, ok: kmOverNode <= TARGET_KM_OVER_NODE });
  emit(BENCH, { name: 'km_over_native', ratio: round(kmOverNative, 1) });
  emit(BENCH, { name: 'km_minus_node_ms', value: round((med.km_hello - med.node_e_0) / 1e6) });
  emit(BENCH, { name: 'km_hello_minus_km_version_ms', value: round((med.km_hello - med.km_version) / 1e6) });
  say(`startup (median of ${runs} alternated runs, NODE_EXTRA_CA_CERTS unset):`);
  say(`  km hello     ${fmtNs(med.km_hello)}`);
  say(`  node -e 0    ${fmtNs(med.node_e_0)}`);
  say(`  native hello ${fmtNs(med.native_hello)}`);
  say(`  km --version ${fmtNs(med.km_version)} (context: no VM; km hello - km --version = ${fmtNs(med.km_hello - med.km_version)})`);
  say(`  km/node = ${kmOverNode.toFixed(2)} (target <= ${TARGET_KM_OVER_NODE}: ${kmOverNode <= TARGET_KM_OVER_NODE ? 'met' : 'NOT met'}), km/native = ${kmOverNative.toFixed(1)}`);
} catch (e) {
  fail(BENCH, e);
}
