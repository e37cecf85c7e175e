// Builds the Go test programs (tests/go/<name>/main.go) with `go build` (CGO_ENABLED=0: a static
// ET_EXEC), once per test process, cached in a temporary directory keyed by the source's hash and
// the Go version. Without a `go` command the tests that need one fail, unless KM_TEST_ALLOW_NO_KVM=1,
// in which case they are skipped with the reason (apt-get install golang-go).
import type { TestContext } from 'node:test';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ET_EXEC, readElfInfo } from './elfinfo.js';
import { allowNoKvm } from './kvm.js';
import { repoRoot } from './paths.js';

const goSrcDir = join(repoRoot, 'tests', 'go');
const cacheRoot = join(tmpdir(), 'km-test-go');

let goVersion: string | null | undefined;
/** `go version`, or null when there is no go command. */
export function findGo(): string | null {
  if (goVersion !== undefined) return goVersion;
  try {
    goVersion = execFileSync('go', ['version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    goVersion = null;
  }
  return goVersion;
}

const built = new Map<string, string>();
/** Path of the static binary of tests/go/<name>, building it if this source was never built. */
export function buildGo(name: string): string {
  const cached = built.get(name);
  if (cached) return cached;
  const version = findGo();
  if (version === null) throw new Error('go not found: the Go tests need it (apt-get install golang-go)');
  const src = join(goSrcDir, name, 'main.go');
  const hash = createHash('sha256').update(version).update('\0').update(readFileSync(src)).digest('hex').slice(0, 16);
  const dir = join(cacheRoot, `${name}-${hash}`);
  const out = join(dir, name);
  if (!existsSync(out)) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    try {
      execFileSync('go', ['build', '-trimpath', '-o', tmp, 'main.go'], {
        cwd: join(goSrcDir, name),
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: cacheRoot,
          GOCACHE: join(cacheRoot, 'gocache'),
          GOPATH: join(cacheRoot, 'gopath'),
          CGO_ENABLED: '0',
          GOFLAGS: '',
          GOPROXY: 'off',
          GOTOOLCHAIN: 'local',
        },
      });
      renameSync(tmp, out);
    } catch (e) {
      const err = e as { stderr?: Buffer | string };
      throw new Error(`go build of ${src} failed:\n${err.stderr?.toString() ?? String(e)}`);
    } finally {
      rmSync(tmp, { force: true });
    }
  }
  const info = readElfInfo(readFileSync(out));
  if (info.type !== ET_EXEC || info.interp) throw new Error(`${out}: expected a static ET_EXEC without PT_INTERP`);
  built.set(name, out);
  return out;
}

/** The binary, or undefined when the test was skipped because go is missing (allowed only with
 * KM_TEST_ALLOW_NO_KVM=1). */
export function goBinary(t: TestContext, name: string): string | undefined {
  if (findGo() === null && allowNoKvm()) {
    t.skip('go not found (apt-get install golang-go); skipped because KM_TEST_ALLOW_NO_KVM=1');
    return undefined;
  }
  return buildGo(name);
}

