// Assertions shared by the payload tests.
import assert from 'node:assert/strict';
import { lines, type RunResult } from './run.js';

export function assertExit0(r: RunResult): void {
  assert.equal(r.signal, null, `killed by ${r.signal}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`);
  assert.equal(r.status, 0, `exit status ${r.status}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`);
}

/** The payload's own checks passed: exit 0, a "failures: 0" line, no FAIL line, nothing on stderr. */
export function assertChecksPassed(r: RunResult): void {
  const failed = lines(r.stdout).filter((l) => l.includes('FAIL'));
  assert.deepEqual(failed, [], `payload checks failed:\n${r.stdout}\n--- stderr ---\n${r.stderr}`);
  assert.match(r.stdout, /^failures: 0$/m);
  assert.equal(r.stderr, '');
  assertExit0(r);
}

/** The process was killed by `signal` after printing exactly `stdout`. */
export function assertKilledBy(r: RunResult, signal: string, stdout?: string): void {
  assert.equal(r.signal, signal, `expected death by ${signal}, got status ${r.status} signal ${r.signal}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`);
  if (stdout !== undefined) assert.equal(r.stdout, stdout);
}

/** Neither output stream shows a JavaScript stack trace or a printed Error object. */
export function assertNoStackTrace(r: RunResult): void {
  assert.doesNotMatch(r.stderr, /^\s+at /m, `stack trace on stderr:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /Error:/, `error object printed on stderr:\n${r.stderr}`);
  assert.doesNotMatch(r.stdout, /^\s+at /m, `stack trace on stdout:\n${r.stdout}`);
}

/** km refused to run something: exit `status`, nothing on stdout, exactly one line on stderr that
 * starts with `prefix` and whose rest matches `reason`. */
export function assertRefused(r: RunResult, status: number, prefix: string, reason: RegExp): void {
  assert.equal(r.signal, null, `km was killed by ${r.signal}; stderr:\n${r.stderr}`);
  assert.equal(r.status, status, `exit status ${r.status}, expected ${status}; stderr:\n${r.stderr}`);
  assert.equal(r.stdout, '', 'nothing may be printed on stdout');
  assert.match(r.stderr, /^[^\n]+\n$/, `exactly one line on stderr expected, got:\n${r.stderr}`);
  assert.ok(r.stderr.startsWith(prefix), `stderr should start with '${prefix}', got: ${r.stderr}`);
  assert.match(r.stderr.slice(prefix.length, -1), reason);
  assertNoStackTrace(r);
}

/** Every line of `want` appears among the output's lines. */
export function assertHasLines(r: RunResult, want: readonly string[]): void {
  const got = lines(r.stdout);
  for (const l of want) assert.ok(got.includes(l), `missing '${l}' in\n${r.stdout}`);
}
