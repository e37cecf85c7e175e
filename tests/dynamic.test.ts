// Dynamically linked executables under km: the interpreter (glibc's ld-linux, musl's ld-musl) is
// loaded beside the program as Linux does, and then loads shared libraries with file mmap. Each run
// natively and under km with the same output.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { programRow } from '../scripts/program-matrix.js';
import { buildPayload, DYNAMIC_VARIANTS } from './lib/build.js';
import { assertChecksPassed, assertHasLines } from './lib/checks.js';
import { requireKvm } from './lib/kvm.js';
import { definePayloadTests } from './lib/payload.js';
import { assertSameOutcome, runBoth } from './lib/run.js';

definePayloadTests({
  payload: 'dynamic',
  variants: DYNAMIC_VARIANTS,
  snapshot: true,
  native(r) {
    assertChecksPassed(r);
    assertHasLines(r, ['plugin_add(40, 2) = 42', 'plugin_counter = 101', 'plugin_format: plugin says 123',
      'thread sums: 11988, fresh TLS in 4 of 4 threads', 'plugin_counter after threads = 4101']);
    assert.match(r.files?.['mapped.dat'] ?? '', /^file 0644 size=8192 /);
  },
});

// the interpreter run as the program, with the real program as its argument
const GLIBC_LD = '/lib64/ld-linux-x86-64.so.2';
test(`${GLIBC_LD} <dynamic hello> km`, { timeout: 300_000 }, (t) => {
  if (!requireKvm(t)) return;
  const hello = buildPayload('hello', 'glibc-dynamic');
  const { native, km } = runBoth(GLIBC_LD, { args: [hello] });
  assert.equal(native.stdout, 'hello, world\n');
  assertSameOutcome(native, km);
});

// system programs from Debian: a shell script (builtins only: fork is not supported yet) and a perl
// one-liner
const programs: { id: string; exe: string; args: string[]; want: RegExp }[] = [
  { id: 'bash-builtins', exe: '/bin/bash', args: ['-c', 'x=0; for i in {1..10}; do x=$((x+i)); done; echo "sum=$x"; declare -A h=([b]=2 [a]=1); for k in a b; do printf "%s=%s\\n" $k ${h[$k]}; done'], want: /^sum=55\na=1\nb=2\n$/ },
  { id: 'perl', exe: '/usr/bin/perl', args: ['-e', 'my %h=(b=>2,a=>1); print join(",", map {"$_=$h{$_}"} sort keys %h), "\\n"; print "$1\\n" if "abc123" =~ /(\\d+)/'], want: /^a=1,b=2\n123\n$/ },
  { id: 'true', exe: '/bin/true', args: [], want: /^$/ },
];
for (const p of programs) {
  const row = programRow(p.id);
  test(`${row.program}: ${row.run}`, { timeout: 300_000 }, (t) => {
    if (!requireKvm(t)) return;
    const { native, km } = runBoth(p.exe, { args: p.args });
    assert.match(native.stdout, p.want);
    assertSameOutcome(native, km);
  });
}
