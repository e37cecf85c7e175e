// Builds the C payloads in tests/payloads with each toolchain variant, cached: a binary is rebuilt
// only when its source (or common.h) is newer. Several test processes may build at once, so each
// build goes to a private temporary name and is renamed into place.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { payloadBinDir, payloadSrcDir } from './paths.js';
import { ET_DYN, ET_EXEC, readElfInfo } from './elfinfo.js';

/** The toolchain variants payloads are built with. */
export type Variant = 'musl' | 'glibc' | 'glibc-pie' | 'musl-pie' | 'glibc-dynamic' | 'musl-dynamic';
/** the static variants every payload is tested with */
export const VARIANTS: readonly Variant[] = ['musl', 'glibc', 'glibc-pie', 'musl-pie'];
/** ordinary dynamically linked executables (PT_INTERP: glibc's ld-linux, musl's ld-musl) */
export const DYNAMIC_VARIANTS: readonly Variant[] = ['glibc-dynamic', 'musl-dynamic'];
export type BuildVariant = Variant;
const isDynamic = (v: Variant) => v === 'glibc-dynamic' || v === 'musl-dynamic';

/** Debian packages that provide the tools, for error messages. */
const PACKAGE: Record<string, string> = { 'musl-gcc': 'musl-tools', gcc: 'gcc' };

function tool(cmd: string, args: readonly string[]): string {
  try {
    return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string; stdout?: string };
    if (err.code === 'ENOENT') {
      throw new Error(`${cmd} not found: the payload tests need it (apt-get install ${PACKAGE[cmd] ?? cmd})`);
    }
    throw new Error(`${cmd} ${args.join(' ')} failed:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
}

let muslLib: string | undefined;
/** Directory of musl's crt files and libc.a, read from the musl-gcc specs file. */
function muslLibDir(): string {
  if (muslLib) return muslLib;
  let dir = '/usr/lib/x86_64-linux-musl';
  try {
    const wrapper = readFileSync(tool('sh', ['-c', 'command -v musl-gcc']).trim(), 'utf8');
    const specs = /-specs\s+"?([^"\s]+)"?/.exec(wrapper)?.[1];
    if (specs) {
      const m = /(\/\S+)\/Scrt1\.o/.exec(readFileSync(specs, 'utf8'));
      if (m) dir = m[1]!;
    }
  } catch { /* fall back to Debian's location */ }
  if (!existsSync(join(dir, 'rcrt1.o'))) throw new Error(`musl's rcrt1.o not found in ${dir} (apt-get install musl-tools)`);
  return (muslLib = dir);
}

/**
 * Extra flags a payload asks for with a line `// build-flags: -pthread -lrt` in its source. They go
 * after the source file, so libraries are searched after it. For musl-pie (linked by hand with
 * musl's libc.a, which holds libpthread and librt too) only the flags that are not `-l` options are
 * used, and only when compiling.
 */
function extraFlags(src: string): string[] {
  const m = /^\/\/ build-flags:(.*)$/m.exec(readFileSync(src, 'utf8'));
  return m ? m[1]!.trim().split(/\s+/).filter(Boolean) : [];
}

function compile(src: string, out: string, variant: BuildVariant): void {
  const base = ['-O1', '-Wall', '-Wextra'];
  const extra = extraFlags(src);
  switch (variant) {
    case 'musl': tool('musl-gcc', ['-static', ...base, '-o', out, src, ...extra]); return;
    case 'glibc': tool('gcc', ['-static', ...base, '-o', out, src, ...extra]); return;
    case 'glibc-pie': tool('gcc', ['-static-pie', ...base, '-o', out, src, ...extra]); return;
    case 'glibc-dynamic': tool('gcc', [...base, '-o', out, src, ...extra]); return;
    case 'musl-dynamic': tool('musl-gcc', [...base, '-o', out, src, ...extra]); return;
    case 'musl-pie': {
      // musl-gcc -static-pie silently links a dynamic executable (its specs replace the link spec),
      // so link by hand: musl's rcrt1.o self-relocates, -static-pie gives ET_DYN without PT_INTERP.
      const lib = muslLibDir();
      const obj = `${out}.o`;
      try {
        tool('musl-gcc', ['-fPIE', ...base, ...extra.filter((f) => !f.startsWith('-l')), '-c', '-o', obj, src]);
        const gccFile = (f: string) => tool('gcc', [`-print-file-name=${f}`]).trim();
        tool('gcc', ['-static-pie', '-nostdlib', '-o', out,
          join(lib, 'rcrt1.o'), join(lib, 'crti.o'), gccFile('crtbeginS.o'), obj, join(lib, 'libc.a'),
          tool('gcc', ['-print-libgcc-file-name']).trim(), gccFile('crtendS.o'), join(lib, 'crtn.o')]);
      } finally {
        rmSync(obj, { force: true });
      }
      return;
    }
  }
}

/** Checks the binary is what the variant promises (static: no PT_INTERP; PIE: ET_DYN). */
function verifyShape(file: string, variant: BuildVariant): void {
  const info = readElfInfo(readFileSync(file));
  const wantType = variant === 'musl' || variant === 'glibc' ? ET_EXEC : ET_DYN;
  const wantInterp = isDynamic(variant);
  if (info.type !== wantType || info.interp !== wantInterp) {
    throw new Error(`${file}: expected ELF type ${wantType} ${wantInterp ? 'with' : 'without'} PT_INTERP, ` +
      `got type ${info.type} ${info.interp ? 'with' : 'without'} PT_INTERP`);
  }
}

function mtime(path: string): number {
  try { return statSync(path).mtimeMs; } catch { return -1; }
}

/** Path of the built payload `name` (tests/payloads/<name>.c) for `variant`, building it if stale. */
export function buildPayload(name: string, variant: BuildVariant): string {
  const src = join(payloadSrcDir, `${name}.c`);
  if (!existsSync(src)) throw new Error(`no payload source ${src}`);
  const out = join(payloadBinDir, variant, name);
  const newestInput = Math.max(mtime(src), mtime(join(payloadSrcDir, 'common.h')));
  // `// needs-libs: a b` builds tests/payloads/lib/a.c as lib<a>.so beside a dynamic payload
  const libs = /^\/\/ needs-libs:(.*)$/m.exec(readFileSync(src, 'utf8'))?.[1]?.trim().split(/\s+/).filter(Boolean) ?? [];
  if (isDynamic(variant)) for (const l of libs) buildLibrary(l, variant);
  if (mtime(out) >= newestInput) return out;
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    compile(src, tmp, variant);
    verifyShape(tmp, variant);
    renameSync(tmp, out);
  } finally {
    rmSync(tmp, { force: true });
  }
  return out;
}

/** Builds tests/payloads/lib/<name>.c into a shared library lib<name>.so for a dynamic variant. */
function buildLibrary(name: string, variant: Variant): string {
  const src = join(payloadSrcDir, 'lib', `${name}.c`);
  const out = join(payloadBinDir, variant, `lib${name}.so`);
  if (mtime(out) >= mtime(src)) return out;
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    tool(variant === 'musl-dynamic' ? 'musl-gcc' : 'gcc', ['-O1', '-Wall', '-Wextra', '-fPIC', '-shared', '-o', tmp, src]);
    renameSync(tmp, out);
  } finally {
    rmSync(tmp, { force: true });
  }
  return out;
}
