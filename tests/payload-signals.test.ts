// CPU exceptions and abort(): the payload must die by the same signal natively and under km,
// after the same output.
import { assertKilledBy } from './lib/checks.js';
import { definePayloadTests } from './lib/payload.js';

const KINDS: Record<string, string> = {
  segv: 'SIGSEGV',
  'segv-read': 'SIGSEGV',
  'segv-kernel': 'SIGSEGV',
  'segv-noncanon': 'SIGSEGV',
  'write-rodata': 'SIGSEGV',
  nx: 'SIGSEGV',
  ud2: 'SIGILL',
  div0: 'SIGFPE',
  int3: 'SIGTRAP',
  gp: 'SIGSEGV',
  'gp-cli': 'SIGSEGV',
  'stack-overflow': 'SIGSEGV',
  abort: 'SIGABRT',
};

for (const [kind, signal] of Object.entries(KINDS)) {
  definePayloadTests({
    payload: 'fault',
    args: [kind],
    snapshot: true, // no core file or anything else may appear
    native(r) {
      assertKilledBy(r, signal, `about to fault: ${kind}\n`);
      if (r.stderr !== '') throw new Error(`unexpected stderr: ${r.stderr}`);
      if (Object.keys(r.files ?? {}).length) throw new Error(`files left behind: ${JSON.stringify(r.files)}`);
    },
  });
}
