// The I/O and event syscall families (sendfile, splice, tee, copy_file_range, fallocate, sync,
// flock, statfs, timestamps, modes, owners, links, mknod, xattrs, memfd, inotify, close_range) and
// signalfd, natively and under km; the files left in the working directory are compared too.
import assert from 'node:assert/strict';
import { assertChecksPassed } from './lib/checks.js';
import { definePayloadTests } from './lib/payload.js';
import { lines } from './lib/run.js';

definePayloadTests({
  payload: 'iofam',
  snapshot: true,
  native(r) {
    assertChecksPassed(r);
    const out = lines(r.stdout);
    for (const l of ['sendfile file->file: 5000', 'sendfile offset after: 6000, file offset: 0', 'tee copy 8: tee data',
      'copy_file_range copied 4000, offsets 4100 4000, file offsets 0 0', 'flock b EX|NB while a holds EX: -1 EAGAIN',
      'after utimensat: atime 999.000000005 mtime 1000000000.123456789', 'after UTIME_OMIT: atime 2000.000000000 mtime 1000000000.123456789',
      'nlink: 3', 'target: l.txt', 'fifo mode: 0640', 'event: wd 1 create yes dir no name ino.txt', 'packet 1: 3',
      'fds open above 2: 0', 'next fd: 3', 'waiter: flock EX returned 0, main ran meanwhile: yes',
      'waiter: splice returned 9, main ran meanwhile: yes', 'spliced: late data']) {
      assert.ok(out.includes(l), `missing '${l}' in\n${r.stdout}`);
    }
    // user xattrs work here, or the file system refuses them (then km must say the same)
    assert.ok(out.includes('value: hello') || out.some((l) => l.startsWith('setxattr: -1 ')), r.stdout);
    assert.match(r.files?.fifo ?? '', /^other 0640$/);
    assert.match(r.files?.['falloc.bin'] ?? '', /size=65536 /);
  },
});

definePayloadTests({
  payload: 'signalfd',
  native(r) {
    assertChecksPassed(r);
    const out = lines(r.stdout);
    for (const l of ['readable before: 0', 'readable after raise: 1', 'raise: signo 10 code SI_TKILL pid-is-self yes uid-is-self yes int 0',
      'readable after read: 0', 'sigqueue: signo 10 code SI_QUEUE pid-is-self yes uid-is-self yes int 42',
      'rt read: 384 bytes, values 1 2 3', 'epoll ready: 1 data 0x5eed', 'epoll after read: 0',
      'blocking: signo 12 code SI_USER pid-is-self yes uid-is-self yes int 0', 'timer: signo 10 code SI_TIMER int 7 overrun 0',
      'link: anon_inode:[signalfd]']) {
      assert.ok(out.includes(l), `missing '${l}' in\n${r.stdout}`);
    }
  },
});
