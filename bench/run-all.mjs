// Runs every benchmark (or those named on the command line) one after the other and keeps their
// output in bench/out/results-<timestamp>.txt (and bench/out/latest.txt).
//
//   npm run bench                              # all of them
//   node bench/run-all.mjs startup syscalls    # some of them
//   BENCH_SCALE=0.25 node bench/run-all.mjs    # fewer iterations (e.g. in the emulated VM)
//
// Exit status: 0 when every benchmark ran (targets missed are reported, not failures), 1 otherwise.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { BENCH, KVM_DEVICE, OUT, ROOT, scale } from './lib.mjs';

const ALL = ['startup', 'syscalls', 'compute', 'memory', 'threads', 'go', 'programs'];
const chosen = process.argv.slice(2);
for (const c of chosen) if (!ALL.includes(c)) { process.stderr.write(`run-all: unknown benchmark '${c}' (have: ${ALL.join(', ')})\n`); process.exit(2); }
const names = chosen.length ? chosen : ALL;

mkdirSync(OUT, { recursive: true });
let log = '';
const out = (s) => { process.stdout.write(s); log += s; };

let commit = 'unknown';
try { commit = readFileSync(join(ROOT, '.git', 'HEAD'), 'utf8').trim(); if (commit.startsWith('ref: ')) commit = readFileSync(join(ROOT, '.git', commit.slice(5)), 'utf8').trim(); } catch { /* not a checkout */ }
const started = new Date();
out(`${JSON.stringify({
  bench: 'run-all', name: 'environment', date: started.toISOString(), kernel: release(), cpu: cpus()[0]?.model ?? '?', cpus: cpus().length,
  mem_gib: Math.round(totalmem() / 2 ** 30 * 10) / 10, loadavg_1m: Math.round(loadavg()[0] * 100) / 100, node: process.version, kvm: existsSync(KVM_DEVICE), commit, scale: scale(),
})}\n`);

const failed = [];
for (const name of names) {
  out(`# ---- ${name}\n`);
  const t0 = Date.now();
  const status = await new Promise((resolveRun) => {
    const child = spawn(process.execPath, [join(BENCH, `${name}.mjs`)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', out);
    child.on('close', (code, signal) => resolveRun(signal ? 128 : code));
  });
  out(`${JSON.stringify({ bench: 'run-all', name, status, seconds: Math.round((Date.now() - t0) / 100) / 10 })}\n`);
  if (status !== 0) failed.push(name);
}
out(`# ---- done in ${Math.round((Date.now() - started.getTime()) / 1000)} s${failed.length ? `; FAILED: ${failed.join(', ')}` : ''}\n`);

const file = join(OUT, `results-${started.toISOString().replace(/[:.]/g, '-')}.txt`);
writeFileSync(file, log);
copyFileSync(file, join(OUT, 'latest.txt'));
process.stdout.write(`# results kept in ${file}\n`);
process.exit(failed.length ? 1 : 0);
