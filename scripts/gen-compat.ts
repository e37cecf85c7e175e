// Generates docs/compatibility.md from the syscall table (npm run docs). A test checks that the
// committed file equals this output, so the document cannot drift from the code.
import { allSyscalls } from '../src/syscalls/table.js';
import { programMatrixMarkdown } from './program-matrix.js';

export function compatibilityMarkdown(): string {
  const counts = { passthrough: 0, emulated: 0, partial: 0, unsupported: 0 };
  for (const e of allSyscalls()) counts[e.status]++;
  const lines = [
    '# Compatibility',
    '',
    '<!-- generated from src/syscalls/table.ts and scripts/program-matrix.ts by `npm run docs`; do not edit by hand -->',
    '',
    ...programMatrixMarkdown(),
    '',
    '## System calls',
    '',
    'How km serves each x86-64 Linux system call. **passthrough**: forwarded to the host kernel with',
    'descriptors and pointers translated and checked; **emulated**: implemented by the monitor;',
    '**partial**: implemented, with the limits in the notes; **unsupported**: returns ENOSYS (visible',
    'with `km --trace`). Calls marked *fast path* are served in their plain case by km\'s native code on',
    'the thread that ran the vCPU, without a round trip through the monitor\'s JavaScript (a plain',
    'descriptor, a buffer inside guest memory); every other case goes to the monitor as usual.',
    '',
    `Totals: ${counts.passthrough} passthrough, ${counts.emulated} emulated, ${counts.partial} partial, ${counts.unsupported} unsupported.`,
    '',
    '| nr | name | status | family | notes |',
    '|---:|---|---|---|---|',
  ];
  for (const e of allSyscalls()) {
    const notes = [e.fast ? '*fast path*' : '', e.notes ?? ''].filter(Boolean).join('; ');
    lines.push(`| ${e.nr} | ${e.name} | ${e.status} | ${e.family} | ${notes.replace(/\|/g, '\\|')} |`);
  }
  return lines.join('\n') + '\n';
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  process.stdout.write(compatibilityMarkdown());
}
