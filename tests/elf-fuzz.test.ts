// Mutation tests for the ELF parser: real static executables with their headers corrupted in
// thousands of seeded ways. parseElf must either return an image the loader can trust or throw
// ElfError with a one-line reason: never another exception, never a hang. A few mutated files also
// go through the km CLI, which must refuse them with exit 126 and one line, without a stack trace.
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ElfError, MAX_IMAGE_SPAN, parseElf, type ElfImage } from '../src/elf/elf.js';
import { buildPayload, VARIANTS, type Variant } from './lib/build.js';
import { assertNoStackTrace, assertRefused } from './lib/checks.js';
import { EHDR, EHDR_SIZE, ET_DYN, ET_EXEC, PHDR, PHDR_SIZE, PT_INTERP, PT_LOAD, readElfInfo, type ElfInfo } from './lib/elfinfo.js';
import { Rng } from './lib/prng.js';
import { freshDir, runKmCli } from './lib/run.js';

const SEED = Number(process.env.KM_FUZZ_SEED ?? 0x4b4d) >>> 0;
const MUTATIONS_PER_BINARY = Number(process.env.KM_FUZZ_COUNT ?? 1500);
const U64_MAX = (1n << 64n) - 1n;

/** What the loader relies on in an image parseElf accepted. Returns the violated rule, or null. */
function violation(img: ElfImage, fileLength: number): string | null {
  if (img.loads.length === 0) return 'no PT_LOAD segments';
  for (const [i, p] of img.loads.entries()) {
    for (const k of ['offset', 'vaddr', 'filesz', 'memsz'] as const) {
      if (!Number.isSafeInteger(p[k]) || p[k] < 0) return `load ${i}: ${k} ${p[k]} is not a safe non-negative integer`;
    }
    if (p.offset + p.filesz > fileLength) return `load ${i}: offset+filesz ${p.offset + p.filesz} > file length ${fileLength}`;
    if (p.filesz > p.memsz) return `load ${i}: filesz ${p.filesz} > memsz ${p.memsz}`;
  }
  if (!Number.isSafeInteger(img.minVaddr) || !Number.isSafeInteger(img.maxVaddr)) return `min/maxVaddr ${img.minVaddr}/${img.maxVaddr} not safe integers`;
  if (!(img.minVaddr < img.maxVaddr)) return `minVaddr ${img.minVaddr} >= maxVaddr ${img.maxVaddr}`;
  if (img.maxVaddr - img.minVaddr > MAX_IMAGE_SPAN) return `span ${img.maxVaddr - img.minVaddr} > MAX_IMAGE_SPAN`;
  let prevEnd = -1;
  for (const [i, p] of img.loads.entries()) {
    if (p.vaddr % 4096 !== p.offset % 4096) return `load ${i}: vaddr and offset not congruent modulo the page size`;
    if (p.memsz === 0) continue;
    if (p.vaddr < img.minVaddr || p.vaddr + p.memsz > img.maxVaddr) return `load ${i} lies outside [minVaddr, maxVaddr)`;
    if (p.vaddr < prevEnd) return `load ${i} overlaps or precedes the previous one`;
    prevEnd = p.vaddr + p.memsz;
  }
  const inExec = img.loads.some((p) => (p.flags & 1) !== 0 && img.entry >= p.vaddr && img.entry < p.vaddr + p.memsz);
  if (!inExec) return `entry 0x${img.entry.toString(16)} is not inside an executable segment`;
  if (img.type !== ET_EXEC && img.type !== ET_DYN) return `type ${img.type}`;
  if (img.phdrs.length !== img.phnum) return `phdrs.length ${img.phdrs.length} != phnum ${img.phnum}`;
  if (img.interp !== null && typeof img.interp !== 'string') return 'interp is neither null nor a string';
  return null;
}

/** Interesting 64-bit values for offsets, sizes and addresses. */
function interestingU64(rng: Rng, len: number, orig: bigint): bigint {
  const L = BigInt(len);
  const vals = [
    0n, 1n, 7n, 0xfffn, 0x1000n, 0x1001n, L, L - 1n, L + 1n, L - 56n, L / 2n,
    0xffffffffn, 0x100000000n, (1n << 53n) - 1n, 1n << 53n, (1n << 53n) + 1n, 1n << 63n, (1n << 63n) - 1n,
    U64_MAX, U64_MAX - 55n, U64_MAX - 0xfffn, (1n << 64n) - L, 0x400000n, 0x7fffffffffffn, 0x800000000000n,
    0xffff800000000000n, orig + 1n, orig - 1n, orig + 0x1000n, orig + (1n << 48n), orig * 2n, rng.u64(),
    BigInt(rng.u32()),
  ];
  return BigInt.asUintN(64, rng.pick(vals));
}

interface Mutated {
  data: Uint8Array;
  what: string;
}

/**
 * Applies 1-3 random mutations to a copy of the first `HEAD` bytes of `orig` inside `work` (which
 * otherwise equals orig), and maybe truncates. The caller restores `work` afterwards.
 */
function mutate(rng: Rng, orig: Uint8Array, info: ElfInfo, work: Uint8Array): Mutated {
  const dv = new DataView(work.buffer, work.byteOffset, work.byteLength);
  const len = orig.length;
  const phEnd = info.phoff + info.phnum * PHDR_SIZE;
  const phdr = (): number => info.phoff + rng.int(info.phnum) * PHDR_SIZE;
  const loadIdx = info.phdrs.map((p, i) => (p.type === PT_LOAD ? i : -1)).filter((i) => i >= 0);
  const what: string[] = [];
  let cut = len;
  const count = 1 + rng.int(3);
  for (let m = 0; m < count; m++) {
    switch (rng.int(14)) {
      case 0: { // bit flips in the ELF header
        for (let k = 1 + rng.int(4); k > 0; k--) { const o = rng.int(EHDR_SIZE); work[o] ^= 1 << rng.int(8); }
        what.push('flip-ehdr');
        break;
      }
      case 1: { // random bytes in the ELF header
        const o = rng.int(EHDR_SIZE); work[o] = rng.int(256); what.push(`ehdr[${o}]=${work[o]}`);
        break;
      }
      case 2: { // bit flips in the program header table
        for (let k = 1 + rng.int(6); k > 0; k--) { const o = info.phoff + rng.int(phEnd - info.phoff); work[o] ^= 1 << rng.int(8); }
        what.push('flip-phdrs');
        break;
      }
      case 3: { // random bytes in the program header table
        for (let k = 1 + rng.int(8); k > 0; k--) work[info.phoff + rng.int(phEnd - info.phoff)] = rng.int(256);
        what.push('bytes-phdrs');
        break;
      }
      case 4: {
        const v = interestingU64(rng, len, BigInt(info.phoff)); dv.setBigUint64(EHDR.e_phoff, v, true); what.push(`e_phoff=${v}`);
        break;
      }
      case 5: {
        const v = rng.pick([0, 1, info.phnum - 1, info.phnum + 1, info.phnum * 2, 4095, 4096, 4097, 0xffff, rng.int(0x10000)]);
        dv.setUint16(EHDR.e_phnum, v, true); what.push(`e_phnum=${v}`);
        break;
      }
      case 6: {
        const v = rng.pick([0, 32, 55, 57, 64, 112, 0xffff, rng.int(0x10000)]);
        dv.setUint16(EHDR.e_phentsize, v, true); what.push(`e_phentsize=${v}`);
        break;
      }
      case 7: {
        const v = rng.chance(0.5) ? interestingU64(rng, len, info.entry) : info.entry + BigInt(rng.int(0x20000)) - 0x10000n;
        dv.setBigUint64(EHDR.e_entry, BigInt.asUintN(64, v), true); what.push(`e_entry=${v}`);
        break;
      }
      case 8: case 9: case 10: { // one field of a program header (usually a PT_LOAD)
        const base = rng.chance(0.8) && loadIdx.length ? info.phoff + rng.pick(loadIdx) * PHDR_SIZE : phdr();
        const field = rng.pick(['p_offset', 'p_filesz', 'p_memsz', 'p_vaddr'] as const);
        const v = interestingU64(rng, len, dv.getBigUint64(base + PHDR[field], true));
        dv.setBigUint64(base + PHDR[field], v, true); what.push(`${field}@${base}=${v}`);
        break;
      }
      case 11: {
        const base = phdr();
        const v = rng.pick([0, PT_LOAD, 2, PT_INTERP, 4, 6, 7, 0x6474e551, 0x6474e552, rng.u32()]);
        dv.setUint32(base + PHDR.p_type, v, true); what.push(`p_type@${base}=${v}`);
        break;
      }
      case 12: {
        const base = phdr();
        const v = rng.pick([0, 1, 4, 5, 6, 7, rng.u32()]);
        dv.setUint32(base + PHDR.p_flags, v, true); what.push(`p_flags@${base}=${v}`);
        break;
      }
      case 13: { // truncation, mostly in or near the headers
        cut = rng.chance(0.6) ? rng.int(Math.min(len, phEnd + 256) + 1) : rng.int(len + 1);
        what.push(`truncate=${cut}`);
        break;
      }
    }
  }
  return { data: work.subarray(0, cut), what: what.join(' ') };
}

interface Outcome { accepted: number; refused: number; reasons: Map<string, number> }

function fuzzOne(variant: Variant, seed: number, count: number, onCase?: (m: Mutated, err: ElfError | null) => void): Outcome {
  const orig = new Uint8Array(readFileSync(buildPayload('hello', variant)));
  const info = readElfInfo(orig);
  // every mutation stays within the headers, so only those bytes need restoring between cases
  const head = Math.min(orig.length, info.phoff + info.phnum * PHDR_SIZE + EHDR_SIZE);
  const work = orig.slice();
  const rng = new Rng(seed);
  const out: Outcome = { accepted: 0, refused: 0, reasons: new Map() };
  for (let i = 0; i < count; i++) {
    work.set(orig.subarray(0, head));
    const m = mutate(rng, orig, info, work);
    const where = `${variant} seed ${seed} case ${i} (${m.what})`;
    const t0 = performance.now();
    let img: ElfImage | null = null;
    let err: ElfError | null = null;
    try {
      img = parseElf(m.data);
    } catch (e) {
      if (!(e instanceof ElfError)) {
        assert.fail(`${where}: parseElf threw ${e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e)}, not ElfError`);
      }
      err = e;
    }
    const ms = performance.now() - t0;
    assert.ok(ms < 100, `${where}: parseElf took ${ms.toFixed(1)} ms`);
    if (img) {
      const v = violation(img, m.data.length);
      assert.equal(v, null, `${where}: parseElf accepted an image that breaks an invariant: ${v}`);
      out.accepted++;
    } else {
      assert.ok(err && err.message.length > 0 && !err.message.includes('\n'), `${where}: ElfError reason must be one non-empty line, got ${JSON.stringify(err?.message)}`);
      out.refused++;
      const key = err.message.replace(/\d+|0x[0-9a-f]+/g, 'N');
      out.reasons.set(key, (out.reasons.get(key) ?? 0) + 1);
    }
    onCase?.(m, err);
  }
  return out;
}

for (const variant of VARIANTS) {
  test(`parseElf accepts the unmodified hello [${variant}]`, () => {
    const data = new Uint8Array(readFileSync(buildPayload('hello', variant)));
    const img = parseElf(data);
    const info = readElfInfo(data);
    assert.equal(violation(img, data.length), null);
    assert.equal(img.type, variant.endsWith('-pie') ? ET_DYN : ET_EXEC);
    assert.equal(img.interp, null);
    assert.equal(img.phnum, info.phnum);
    assert.equal(BigInt(img.entry), info.entry);
    assert.equal(img.loads.length, info.phdrs.filter((p) => p.type === PT_LOAD).length);
  });

  test(`parseElf survives ${MUTATIONS_PER_BINARY} seeded header mutations [${variant}]`, { timeout: 120_000 }, () => {
    const seed = (SEED ^ (VARIANTS.indexOf(variant) * 0x9e3779b9)) >>> 0;
    const out = fuzzOne(variant, seed, MUTATIONS_PER_BINARY);
    // the mutations must reach both outcomes and a variety of refusals, or they test little
    assert.ok(out.refused > MUTATIONS_PER_BINARY / 4, `only ${out.refused} refused`);
    assert.ok(out.accepted > 0, 'no mutation was harmless: the mutator may be broken');
    assert.ok(out.reasons.size >= 8, `only ${out.reasons.size} distinct reasons: ${[...out.reasons.keys()].join('; ')}`);
  });
}

test('parseElf on arbitrary short inputs', () => {
  const rng = new Rng(SEED + 1);
  for (let i = 0; i < 2000; i++) {
    const n = rng.int(200);
    const b = Uint8Array.from({ length: n }, () => rng.int(256));
    if (rng.chance(0.7) && n >= 4) b.set([0x7f, 0x45, 0x4c, 0x46]);
    if (rng.chance(0.5) && n >= 7) b.set([2, 1, 1], 4);
    try {
      const img = parseElf(b);
      assert.equal(violation(img, n), null);
    } catch (e) {
      assert.ok(e instanceof ElfError, `input ${Buffer.from(b).toString('hex')}: ${String(e)}`);
    }
  }
});

test('the km CLI refuses mutated executables with exit 126 and one line', { timeout: 300_000 }, () => {
  const dir = freshDir();
  try {
    const picked: { path: string; reason: string | null; what: string }[] = [];
    let refused = 0, accepted = 0;
    fuzzOne('musl', SEED + 7, 400, (m, err) => {
      if (err ? refused >= 10 : accepted >= 3) return;
      if (err) refused++; else accepted++;
      const path = join(dir, `mutant-${picked.length}`);
      writeFileSync(path, m.data);
      chmodSync(path, 0o755);
      picked.push({ path, reason: err ? err.message : null, what: m.what });
    });
    assert.ok(refused >= 5 && accepted >= 1);
    for (const p of picked) {
      // --device: a mutant that passes validation must not actually run (and cannot, here)
      const r = runKmCli(['--device', '/nonexistent/kvm', p.path]);
      if (p.reason !== null) {
        assertRefused(r, 126, `km: ${p.path}: `, /./);
        assert.ok(r.stderr.includes(p.reason), `(${p.what}) expected the parser's reason '${p.reason}', got: ${r.stderr}`);
      } else {
        assert.ok(r.status === 125 || r.status === 126, `(${p.what}) harmless mutant: status ${r.status} signal ${r.signal}; stderr:\n${r.stderr}`);
        assert.match(r.stderr, /^[^\n]+\n$/);
        assertNoStackTrace(r);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
