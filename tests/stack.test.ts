// The initial stack as Linux lays it out: argc, argv, envp, auxv, and the strings they point to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GuestMemory } from '../src/vm/guestmem.js';
import { PageTables } from '../src/vm/pagetables.js';
import { AddressSpace } from '../src/km/addrspace.js';
import { AT, buildInitialStack, ArgListTooLong } from '../src/elf/stack.js';
import { STACK_TOP, GiB } from '../src/vm/layout.js';

function setup() {
  const mem = new GuestMemory(null);
  const as = new AddressSpace(mem, new PageTables(mem), GiB);
  assert.equal(as.initStack(), 0);
  return mem;
}

function cstring(mem: GuestMemory, at: number): string {
  let s = '';
  for (let c = mem.readU8(at); c !== 0; c = mem.readU8(++at)) s += String.fromCharCode(c);
  return s;
}

test('argc, argv, envp and auxv are where the ABI puts them', () => {
  const mem = setup();
  const { rsp, auxv, random } = buildInitialStack(mem, STACK_TOP, {
    argv: ['prog', 'a b', ''], envp: ['A=1', 'PATH=/bin'], execfn: './prog', platform: 'x86_64',
    auxv: [[AT.PAGESZ, 4096], [AT.ENTRY, 0x401000]],
  });
  assert.equal(rsp % 16, 0, 'argc is 16-byte aligned');
  assert.equal(mem.readU64(rsp), 3);
  const argv = [1, 2, 3].map((i) => cstring(mem, mem.readU64(rsp + i * 8)));
  assert.deepEqual(argv, ['prog', 'a b', '']);
  assert.equal(mem.readU64(rsp + 4 * 8), 0);
  assert.deepEqual([5, 6].map((i) => cstring(mem, mem.readU64(rsp + i * 8))), ['A=1', 'PATH=/bin']);
  assert.equal(mem.readU64(rsp + 7 * 8), 0);
  // argv and env strings are contiguous and ascending, as on Linux
  assert.equal(mem.readU64(rsp + 2 * 8), mem.readU64(rsp + 8) + 5);
  const aux = new Map<number, number>();
  for (let at = rsp + 8 * 8; ; at += 16) {
    const k = mem.readU64(at);
    aux.set(k, mem.readU64(at + 8));
    if (k === AT.NULL) break;
  }
  assert.equal(aux.get(AT.PAGESZ), 4096);
  assert.equal(aux.get(AT.ENTRY), 0x401000);
  assert.equal(cstring(mem, aux.get(AT.EXECFN)!), './prog');
  assert.equal(cstring(mem, aux.get(AT.PLATFORM)!), 'x86_64');
  assert.deepEqual(mem.read(aux.get(AT.RANDOM)!, 16), random);
  assert.ok(aux.has(AT.NULL));
  assert.deepEqual(auxv.at(-1), [AT.NULL, 0]);
});

test('AT_RANDOM bytes are fresh each time', () => {
  const spec = { argv: ['p'], envp: [], execfn: 'p', platform: 'x86_64', auxv: [] as [number, number][] };
  const a = buildInitialStack(setup(), STACK_TOP, spec).random;
  const b = buildInitialStack(setup(), STACK_TOP, spec).random;
  assert.notDeepEqual(a, b);
});

test('argument lists beyond ARG_MAX are refused', () => {
  assert.throws(() => buildInitialStack(setup(), STACK_TOP, { argv: ['p', 'x'.repeat(3 * 1024 * 1024)], envp: [], execfn: 'p', platform: 'x86_64', auxv: [] }), ArgListTooLong);
});
