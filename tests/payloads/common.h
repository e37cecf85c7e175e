/* Shared helpers for the test payloads. Every payload is built with musl and glibc, static and
 * static-PIE, and run both natively and under km; the test compares the two runs byte for byte.
 * So payloads print only what is identical between two runs of the same binary (no addresses,
 * pids, times or random bytes) and name errors by their errno macro, never by strerror(), whose
 * wording differs between musl and glibc. */
#ifndef KM_TEST_COMMON_H
#define KM_TEST_COMMON_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline const char *errname(int e) {
  switch (e) {
  case 0: return "0";
  case EPERM: return "EPERM";
  case ENOENT: return "ENOENT";
  case ESRCH: return "ESRCH";
  case EINTR: return "EINTR";
  case EIO: return "EIO";
  case ENXIO: return "ENXIO";
  case E2BIG: return "E2BIG";
  case ENOEXEC: return "ENOEXEC";
  case EBADF: return "EBADF";
  case ECHILD: return "ECHILD";
  case EAGAIN: return "EAGAIN";
  case ENOMEM: return "ENOMEM";
  case EACCES: return "EACCES";
  case EFAULT: return "EFAULT";
  case EBUSY: return "EBUSY";
  case EEXIST: return "EEXIST";
  case EXDEV: return "EXDEV";
  case ENODEV: return "ENODEV";
  case ENOTDIR: return "ENOTDIR";
  case EISDIR: return "EISDIR";
  case EINVAL: return "EINVAL";
  case ENFILE: return "ENFILE";
  case EMFILE: return "EMFILE";
  case ENOTTY: return "ENOTTY";
  case EFBIG: return "EFBIG";
  case ENOSPC: return "ENOSPC";
  case ESPIPE: return "ESPIPE";
  case EROFS: return "EROFS";
  case EMLINK: return "EMLINK";
  case EPIPE: return "EPIPE";
  case EDOM: return "EDOM";
  case ERANGE: return "ERANGE";
  case ENAMETOOLONG: return "ENAMETOOLONG";
  case ENOSYS: return "ENOSYS";
  case ENOTEMPTY: return "ENOTEMPTY";
  case ELOOP: return "ELOOP";
  case EOVERFLOW: return "EOVERFLOW";
  case EOPNOTSUPP: return "EOPNOTSUPP";
  case ETIMEDOUT: return "ETIMEDOUT";
  case ENOTSOCK: return "ENOTSOCK";
  case EMSGSIZE: return "EMSGSIZE";
  case ENOPROTOOPT: return "ENOPROTOOPT";
  case EAFNOSUPPORT: return "EAFNOSUPPORT";
  case EADDRINUSE: return "EADDRINUSE";
  case ENOTCONN: return "ENOTCONN";
  case EISCONN: return "EISCONN";
  case ECONNREFUSED: return "ECONNREFUSED";
  case EINPROGRESS: return "EINPROGRESS";
  case ENOBUFS: return "ENOBUFS";
  default: {
    static char buf[32];
    snprintf(buf, sizeof buf, "errno%d", e);
    return buf;
  }
  }
}

static int failures;

/* check("what", cond): prints "what: ok", or "what: FAIL" with the current errno as a clue, and
 * counts failures. */
static inline void check(const char *what, int ok) {
  int e = errno;
  if (ok) printf("%s: ok\n", what);
  else { printf("%s: FAIL (errno %s)\n", what, errname(e)); failures++; }
  errno = e;
}

/* result("what", r): prints the return value, and the errno name when it is -1. */
static inline long result(const char *what, long r) {
  int e = errno;
  if (r == -1) printf("%s: -1 %s\n", what, errname(e));
  else printf("%s: %ld\n", what, r);
  errno = e;
  return r;
}

/* expect_err("what", r, E): r must be -1 with errno E; prints "what: -1 ENAME". */
static inline void expect_err(const char *what, long r, int want) {
  int e = errno;
  if (r == -1) printf("%s: -1 %s\n", what, errname(e));
  else printf("%s: %ld\n", what, r);
  if (!(r == -1 && e == want)) {
    printf("%s: FAIL (expected -1 %s)\n", what, errname(want));
    failures++;
  }
}

/* The siginfo a process queues itself (rt_sigqueueinfo, pidfd_send_signal): SI_QUEUE with a value. */
static inline siginfo_t queued_siginfo(int sig, int value) {
  siginfo_t si;
  memset(&si, 0, sizeof si);
  si.si_signo = sig;
  si.si_code = SI_QUEUE;
  si.si_pid = getpid();
  si.si_uid = getuid();
  si.si_value.sival_int = value;
  return si;
}

/* FNV-1a over a buffer, so contents can be printed as one number. */
static inline uint64_t fnv1a(const void *p, size_t n, uint64_t h) {
  const unsigned char *c = p;
  for (size_t i = 0; i < n; i++) { h ^= c[i]; h *= 0x100000001b3ULL; }
  return h;
}
#define FNV_INIT 0xcbf29ce484222325ULL

static inline int finish(void) {
  printf("failures: %d\n", failures);
  return failures ? 1 : 0;
}
#endif
