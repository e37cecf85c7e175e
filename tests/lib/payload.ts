// Declares the two tests every payload case gets, per toolchain variant:
//   "<title> [variant] native"  builds the payload, runs it natively and checks the expected
//                               behaviour (proves the payload itself is right; needs no KVM)
//   "<title> [variant] km"      runs it natively and under km and asserts identical outcomes
//                               (needs KVM: see kvm.ts)
import { test } from 'node:test';
import { buildPayload, VARIANTS, type Variant } from './build.js';
import { requireKvm } from './kvm.js';
import { assertSameOutcome, runBoth, runNative, type RunResult, type RunSpec } from './run.js';

export interface PayloadCase extends RunSpec {
  /** source file tests/payloads/<payload>.c */
  payload: string;
  /** test title; default: payload and args */
  title?: string;
  variants?: readonly Variant[];
  /** checks the native run (what the payload must do on real Linux) */
  native: (r: RunResult, variant: Variant, exe: string) => void;
  /** compares the km run with the native one; default assertSameOutcome */
  compare?: (native: RunResult, km: RunResult, variant: Variant) => void;
  /** node:test timeout for each test, in ms */
  testTimeoutMs?: number;
}

export function definePayloadTests(c: PayloadCase): void {
  const title = c.title ?? [c.payload, ...(c.args ?? [])].join(' ');
  for (const variant of c.variants ?? VARIANTS) {
    const opts = { timeout: c.testTimeoutMs ?? 300_000 };
    test(`${title} [${variant}] native`, opts, () => {
      const exe = buildPayload(c.payload, variant);
      c.native(runNative(exe, c), variant, exe);
    });
    test(`${title} [${variant}] km`, opts, (t) => {
      if (!requireKvm(t)) return;
      const exe = buildPayload(c.payload, variant);
      const { native, km } = runBoth(exe, c);
      c.native(native, variant, exe);
      (c.compare ?? ((n, k) => assertSameOutcome(n, k)))(native, km, variant);
    });
  }
}

/** The text a payload prints for a JS string that went through its argv/env as UTF-8 bytes
 * (run results are decoded as latin1, one character per byte). */
export function bytesOf(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}
