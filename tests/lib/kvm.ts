// KVM availability for tests that run payloads under km.
//
// A test that needs KVM calls `if (!requireKvm(t)) return;` first. Without a usable /dev/kvm the
// test FAILS, loudly, unless KM_TEST_ALLOW_NO_KVM=1 is set, in which case it is skipped with the
// reason. So a CI machine that lost its KVM cannot pass silently.
import { closeSync, constants, openSync } from 'node:fs';
import type { TestContext } from 'node:test';

export const KVM_DEVICE = '/dev/kvm';

let cached: { ok: true } | { ok: false; reason: string } | undefined;

/** Whether /dev/kvm can be opened read-write (what km needs), and why not. */
export function kvmStatus(): { ok: true } | { ok: false; reason: string } {
  if (cached) return cached;
  try {
    closeSync(openSync(KVM_DEVICE, constants.O_RDWR));
    cached = { ok: true };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    cached = { ok: false, reason: `cannot open ${KVM_DEVICE} (${code})` };
  }
  return cached;
}

export function allowNoKvm(): boolean {
  return process.env.KM_TEST_ALLOW_NO_KVM === '1';
}

/**
 * Returns true when the test may go on running payloads under km. Otherwise either skips the test
 * (KM_TEST_ALLOW_NO_KVM=1; returns false, the caller must return) or throws.
 */
export function requireKvm(t: TestContext): boolean {
  const s = kvmStatus();
  if (s.ok) return true;
  if (allowNoKvm()) {
    t.skip(`needs KVM: ${s.reason}; skipped because KM_TEST_ALLOW_NO_KVM=1`);
    return false;
  }
  throw new Error(`this test runs payloads under km and needs KVM, but ${s.reason}. ` +
    'Run on a machine with KVM (e.g. tools/qemu-kvm/run-in-vm.sh), or set KM_TEST_ALLOW_NO_KVM=1 to skip such tests.');
}
