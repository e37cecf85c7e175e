// The program matrix of docs/compatibility.md: real programs from Debian 12 and what is run of
// each. tests/programs.test.ts and tests/servers.test.ts run exactly these commands natively and
// under km (looked up here by id), so the document says what the suite checks. A row with a `gap`
// records a known difference; its test asserts that km still differs, so fixing it forces the row
// to be updated.

/** what still differs from native for the programs above, largest first (figures: docs/benchmarks.md) */
export const REMAINING_GAPS: readonly string[] = [
  'Speed of system-call-heavy programs: every system call is a VM exit (~40 µs on PVM against ~0.1 µs natively), so a server under a small load serves ~4–6% (redis) to ~12% (Go net/http) of its native requests per second.',
  'Start-up of large dynamic programs: `python3 -c pass` takes ~9.6x and `node -e 0` ~10x their native time (the monitor\'s own ~25 ms, an exit per system call, and the first touch of each 4 KiB page of fresh memory through KVM).',
  'nginx has not been tried; redis-server is the C server under load.',
  'CPython\'s test_socket runs without ThreadedVSOCKSocketStreamTest, which hangs natively on these hosts too.',
];

export interface ProgramRow {
  id: string;
  program: string;
  /** Debian package and the version the figures were taken with */
  pkg: string;
  version: string;
  /** what is run (for the document) */
  run: string;
  /** the test that runs it */
  test: string;
  /** a known difference under km, or undefined: same output, exit status and files as native */
  gap?: string;
}

export const PROGRAMS: readonly ProgramRow[] = [
  { id: 'python-workout', program: 'python3', pkg: 'python3.11', version: '3.11.2-6+deb12u9', test: 'tests/programs.test.ts',
    run: 'a script using json, hashlib, zlib, datetime, decimal, sqlite3 (memory and file), 8 threads, a TCP server and client on loopback, os.scandir' },
  { id: 'python-imports', program: 'python3', pkg: 'python3.11', version: '3.11.2-6+deb12u9', test: 'tests/programs.test.ts',
    run: '`python3 -c "import ssl, decimal, asyncio"` running a coroutine' },
  { id: 'cpython-tests', program: 'CPython test suite', pkg: 'libpython3.11-testsuite', version: '3.11.2-6+deb12u9', test: 'tests/programs.test.ts',
    run: 'unittest of test_json, test_re, test_math, test_struct, test_threading, test_threadsignals, test_signal, test_selectors, test_time (all but the two tests that set the clock, which km refuses) and test_socket (all but ThreadedVSOCKSocketStreamTest, which hangs natively here), subprocess tests included: the same counts of tests run, failed, errored and skipped' },
  { id: 'cpython-os', program: 'CPython test suite', pkg: 'libpython3.11-testsuite', version: '3.11.2-6+deb12u9', test: 'tests/programs.test.ts',
    run: 'unittest of test_os, subprocess tests included: the same counts and failing tests as native' },
  { id: 'python-subprocess', program: 'python3', pkg: 'python3.11', version: '3.11.2-6+deb12u9', test: 'tests/programs.test.ts',
    run: 'a script starting processes: subprocess.run/check_output/Popen with pipes, shell=True, a Python child, a missing program, os.fork/waitpid, os.system, multiprocessing (fork) with a Queue and a shared Value' },
  { id: 'node-workout', program: 'node', pkg: 'nodejs (the machine\'s Node 20)', version: '20.20.2', test: 'tests/programs.test.ts',
    run: 'a script using fs, crypto, zlib, timers, worker_threads and an http server answering a client on loopback' },
  { id: 'java-version', program: 'java', pkg: 'openjdk-17-jre-headless', version: '17.0.15+6-1~deb12u1', test: 'tests/programs.test.ts',
    run: '`java -version`' },
  { id: 'java-workout', program: 'java', pkg: 'openjdk-17-jre-headless', version: '17.0.15+6-1~deb12u1', test: 'tests/programs.test.ts',
    run: 'a class compiled by the test (javac) using 8 threads, a ConcurrentHashMap and System.gc()' },
  { id: 'sqlite3-cli', program: 'sqlite3', pkg: 'sqlite3', version: '3.40.1-2+deb12u2', test: 'tests/programs.test.ts',
    run: 'the CLI creating a database file, a recursive CTE insert of 1000 rows, aggregates, integrity_check' },
  { id: 'perl', program: 'perl', pkg: 'perl', version: '5.36.0-7+deb12u2', test: 'tests/dynamic.test.ts',
    run: 'a one-liner with hashes, sort and a regex capture' },
  { id: 'bash-builtins', program: 'bash', pkg: 'bash', version: '5.2.15-2+b8', test: 'tests/dynamic.test.ts',
    run: '`bash -c` with arithmetic, brace expansion, an associative array, printf' },
  { id: 'bash-pipeline', program: 'bash', pkg: 'bash', version: '5.2.15-2+b8', test: 'tests/programs.test.ts',
    run: 'a script with pipelines, command substitution, external commands (sort, uniq, tr, wc, grep, sed, awk, xargs, seq, sh), subshells, background jobs and wait, here-documents, redirections' },
  { id: 'true', program: 'true', pkg: 'coreutils', version: '9.1-1', test: 'tests/dynamic.test.ts', run: '`/bin/true`' },
  { id: 'busybox', program: 'busybox (static)', pkg: 'busybox-static', version: '1:1.35.0-4+deb12u1+b1', test: 'tests/busybox.test.ts',
    run: 'echo, ls -la, cat, wc, sort, sha256sum, md5sum, find, od on files made by the test' },
  { id: 'go-http', program: 'Go net/http server (static, built by the test)', pkg: 'golang-go', version: '2:1.19~1', test: 'tests/servers.test.ts',
    run: 'four requests compared, then wrk -t1 -c4 for 3 s over loopback: no failed request' },
  { id: 'redis', program: 'redis-server', pkg: 'redis-server', version: '5:7.0.15-1~deb12u10', test: 'tests/servers.test.ts',
    run: 'seven commands compared, then redis-benchmark -c 4 -n 1000 of SET/GET/INCR/LPUSH: no error' },
];

export function programRow(id: string): ProgramRow {
  const r = PROGRAMS.find((p) => p.id === id);
  if (!r) throw new Error(`no program row '${id}' in scripts/program-matrix.ts`);
  return r;
}

export function programMatrixMarkdown(): string[] {
  const lines = [
    '## Programs',
    '',
    'Real programs from Debian 12, each run natively and under km by the test named, with the same',
    'output, exit status and files unless a gap is listed (its test checks that the gap is still there).',
    '',
    '| program | Debian package (version tested) | what is run | result | test |',
    '|---|---|---|---|---|',
  ];
  for (const p of PROGRAMS) {
    const result = p.gap ? `**gap**: ${p.gap}` : 'same as native';
    lines.push(`| ${p.program} | ${p.pkg} ${p.version} | ${p.run.replace(/\|/g, '\\|')} | ${result} | ${p.test} |`);
  }
  lines.push('', '### Largest remaining gaps', '', ...REMAINING_GAPS.map((g) => `- ${g}`));
  return lines;
}