// `km --stats`: after the payload, a table on stderr of each system call it made (calls, errors,
// time), the monitor's other exits, and KVM's own counters summed over the vCPUs. The payload
// (tests/payloads/statscalls.c) makes a known number of calls; its output is unchanged.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildPayload } from './lib/build.js';
import { requireKvm } from './lib/kvm.js';
import { runBoth } from './lib/run.js';

/** the row of `name` in the statistics table: [calls, errors] */
function row(stderr: string, name: string): [number, number] | null {
  const m = new RegExp(`^${name} +(\\d+) +(\\d+) +[\\d.]+ +[\\d.]+$`, 'm').exec(stderr);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

test('km --stats counts each system call and its errors, and adds KVM\'s counters', (t) => {
  if (!requireKvm(t)) return;
  const exe = buildPayload('statscalls', 'musl');
  const { native, km } = runBoth(exe, { kmOptions: ['--stats'] });
  assert.equal(km.status, 0, km.stderr);
  assert.equal(km.stdout, native.stdout, 'the payload\'s output');
  assert.equal(native.stdout, 'line\nline\nline\n');
  assert.match(km.stderr, /^\[km\] syscall statistics$/m);
  assert.deepEqual(row(km.stderr, 'getppid'), [25, 0]);
  assert.deepEqual(row(km.stderr, 'close'), [7, 7]);
  assert.deepEqual(row(km.stderr, 'write'), [3, 0]);
  const total = /^total +(\d+)$/m.exec(km.stderr);
  assert.ok(total && Number(total[1]) >= 35, `a total of at least 35 calls: ${total?.[1]}`);
  assert.match(km.stderr, /^\[km\] other vCPU exits: interrupted \d+, faults 0;/m);
  // each system call leaves the guest through the doorbell, an MMIO exit KVM counts itself
  const kvm = /^\[km\] KVM's counters, all vCPUs: (.*)$/m.exec(km.stderr);
  assert.ok(kvm, `no KVM counters line:\n${km.stderr}`);
  const mmio = /(?:^|, )mmio_exits (\d+)/.exec(kvm[1]!);
  assert.ok(mmio && Number(mmio[1]) >= Number(total[1]), `mmio_exits ${mmio?.[1]} >= ${total[1]} system calls`);
});
