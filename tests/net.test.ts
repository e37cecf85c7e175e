// Sockets natively and under km (tests/payloads/net.c), all on loopback: TCP over IPv4 and IPv6,
// UDP with sendto/recvfrom and sendmmsg/recvmmsg, UNIX stream sockets (path and abstract),
// descriptor passing (SCM_RIGHTS, MSG_CTRUNC) and credentials over socketpairs, socket options,
// blocking accept/recv/recvmsg in a second thread, a classic BPF socket filter, interface ioctls,
// shutdown, and the errors bad descriptors, pointers and lengths give.
import assert from 'node:assert/strict';
import { assertChecksPassed } from './lib/checks.js';
import { definePayloadTests } from './lib/payload.js';
import type { Variant } from './lib/build.js';
import { lines } from './lib/run.js';

const LIBCS: readonly Variant[] = ['musl', 'glibc'];

definePayloadTests({
  payload: 'net',
  variants: LIBCS,
  snapshot: true,
  native(r) {
    assertChecksPassed(r);
    const out = lines(r.stdout);
    for (const l of [
      'bound family AF_INET6, port assigned: yes',
      "recvmsg 2 iovecs: 'one,t' 'wo,three' (13 bytes)",
      'peer reads EOF: 0',
      'SIGPIPE with MSG_NOSIGNAL: 0',
      'SIGPIPE without: 2',
      "payload 'datagram', sender family AF_INET, sender port matches: yes, length matches: yes",
      'sendmmsg msg_len: 5 4 6',
      "  #2 len 6 'gamma!' from port matches: yes, namelen matches: yes",
      "read: 'contents of data.txt'",
      'MSG_CTRUNC: yes, descriptors in message: 2',
      'next free fd is the one after the received one: yes',
      'credentials received: yes, pid == getpid(): yes, uid == getuid(): yes',
      'SO_RCVBUF >= requested: yes',
      'connect to a closed port: -1 ECONNREFUSED',
      'thread: accept+recv+send ok, recvmsg fd and read through it ok',
      'datagram filtered out: -1 EAGAIN',
      'accept without SA_RESTART: -1 EINTR',
      'accept with SA_RESTART: restarted and connected',
      'blocking recv times out: -1 EAGAIN',
      'datagram after detaching: 4',
      'SIOCGIFFLAGS lo: up, loopback',
    ]) assert.ok(out.includes(l), `missing '${l}' in\n${r.stdout}`);
    // the socket file and the passed file are removed again
    assert.deepEqual(Object.keys(r.files ?? {}), []);
  },
});

// Every socket call with bad and edge arguments (fixed seed): km must give each call the result
// Linux gives, and never fail itself.
definePayloadTests({
  payload: 'net',
  args: ['sweep'],
  variants: LIBCS,
  native(r) {
    assert.equal(r.status, 0, r.stderr);
    const out = lines(r.stdout);
    assert.equal(out.filter((l) => /^\d+ \d+ -?\d+ \S+$/.test(l)).length, 3000, r.stdout.slice(0, 2000));
    assert.ok(out.includes('sweep done'));
    // the sweep reaches the interesting errors, not just EBADF
    for (const e of ['EFAULT', 'EINVAL', 'EMSGSIZE', 'ENOTSOCK', 'EAGAIN']) assert.ok(out.some((l) => l.endsWith(` ${e}`)), e);
  },
});
