/* signalfd: blocked signals read as signalfd_siginfo records (signo, code, pid, uid, sigqueue
 * values, real-time queueing), nonblocking EAGAIN, readiness through poll, select and epoll
 * before and after, mask updates, dup'ed descriptors, a blocking read woken by another thread's
 * kill, and the errors of bad arguments. */
// build-flags: -pthread
#include "common.h"
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define REC sizeof(struct signalfd_siginfo)

static int readable(int fd) {
  struct pollfd p = {fd, POLLIN, 0};
  int r = poll(&p, 1, 0);
  return r == 1 && (p.revents & POLLIN);
}

static void show(const char *what, const struct signalfd_siginfo *s) {
  const char *code = s->ssi_code == SI_USER ? "SI_USER" : s->ssi_code == SI_TKILL ? "SI_TKILL"
                   : s->ssi_code == SI_QUEUE ? "SI_QUEUE" : "other";
  printf("%s: signo %u code %s pid-is-self %s uid-is-self %s int %d\n", what, s->ssi_signo, code,
         s->ssi_pid == (uint32_t)getpid() ? "yes" : "no", s->ssi_uid == (uint32_t)getuid() ? "yes" : "no", s->ssi_int);
}

/* prints the same line for a record read and for an old kernel's EINVAL, checks the record */
static void try_readv(const char *what, int fd, struct iovec *iov) {
  struct signalfd_siginfo r;
  raise(SIGUSR1);
  memset(iov[0].iov_base, 0, iov[0].iov_len);
  ssize_t n = readv(fd, iov, 2);
  if (n == -1 && errno == EINVAL) n = read(fd, &r, REC) == REC ? 0 : -1;
  else if (n == (ssize_t)REC && ((struct signalfd_siginfo *)iov[0].iov_base)->ssi_signo == SIGUSR1) n = 0;
  if (n == 0) printf("%s: one record, or EINVAL from an old kernel\n", what);
  else { printf("%s: FAIL (%zd %s)\n", what, n, errname(errno)); failures++; }
}

static void *killer(void *arg) {
  (void)arg;
  struct timespec t = {0, 50 * 1000 * 1000};
  nanosleep(&t, NULL);
  kill(getpid(), SIGUSR2);
  return NULL;
}

int main(void) {
  sigset_t block, m1, m12, rt;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1); sigaddset(&block, SIGUSR2); sigaddset(&block, SIGRTMIN);
  sigprocmask(SIG_BLOCK, &block, NULL);
  sigemptyset(&m1); sigaddset(&m1, SIGUSR1);
  sigemptyset(&m12); sigaddset(&m12, SIGUSR1); sigaddset(&m12, SIGUSR2);
  sigemptyset(&rt); sigaddset(&rt, SIGRTMIN);

  int fd = signalfd(-1, &m1, SFD_NONBLOCK | SFD_CLOEXEC);
  check("signalfd", fd >= 0);
  printf("fd: %d cloexec %d nonblock %s\n", fd, fcntl(fd, F_GETFD), fcntl(fd, F_GETFL) & O_NONBLOCK ? "yes" : "no");
  struct signalfd_siginfo s[4];
  char path[64], link[64] = {0};
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  readlink(path, link, sizeof link - 1);
  printf("link: %s\n", link);
  printf("readable before: %d\n", readable(fd));
  expect_err("read with nothing pending", read(fd, s, REC), EAGAIN);

  raise(SIGUSR1);
  printf("readable after raise: %d\n", readable(fd));
  result("read", read(fd, s, sizeof s));
  show("raise", &s[0]);
  printf("readable after read: %d\n", readable(fd));

  kill(getpid(), SIGUSR1);
  result("read", read(fd, s, REC));
  show("kill", &s[0]);

  union sigval v = {.sival_int = 42};
  sigqueue(getpid(), SIGUSR1, v);
  result("read", read(fd, s, REC));
  show("sigqueue", &s[0]);

  /* a signal outside the mask stays pending and does not make the descriptor readable */
  raise(SIGUSR2);
  printf("readable with only SIGUSR2 pending: %d\n", readable(fd));
  expect_err("read (SIGUSR2 not in mask)", read(fd, s, REC), EAGAIN);
  result("signalfd mask update", signalfd(fd, &m12, 0) == fd);
  printf("readable after mask update: %d\n", readable(fd));
  result("read", read(fd, s, sizeof s));
  show("after update", &s[0]);
  sigset_t pend;
  sigpending(&pend);
  printf("SIGUSR2 still pending: %s\n", sigismember(&pend, SIGUSR2) ? "yes" : "no");

  /* standard signals coalesce, real-time ones queue in order */
  raise(SIGUSR1); raise(SIGUSR1);
  result("read two SIGUSR1 raised (coalesced)", read(fd, s, sizeof s));
  int rfd = signalfd(-1, &rt, SFD_NONBLOCK);
  for (int i = 1; i <= 3; i++) { v.sival_int = i; sigqueue(getpid(), SIGRTMIN, v); }
  ssize_t n = read(rfd, s, sizeof s);
  printf("rt read: %zd bytes, values", n);
  for (ssize_t i = 0; i < n / (ssize_t)REC; i++) printf(" %d", s[i].ssi_int);
  printf("\n");

  /* select and epoll */
  raise(SIGUSR2);
  fd_set rs;
  FD_ZERO(&rs); FD_SET(fd, &rs);
  struct timeval tv = {0, 0};
  printf("select: %d\n", select(fd + 1, &rs, NULL, NULL, &tv));
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x5eed}, out;
  epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  int k = epoll_wait(ep, &out, 1, 0);
  printf("epoll ready: %d data %#llx\n", k, k == 1 ? (unsigned long long)out.data.u64 : 0ULL);
  /* a dup reads the same signalfd */
  int d = dup(fd);
  close(fd);
  result("read via dup", read(d, s, REC));
  show("dup", &s[0]);
  printf("epoll after read: %d\n", epoll_wait(ep, &out, 1, 0));
  close(ep);
  printf("dup2: %d\n", dup2(d, 40));
  raise(SIGUSR1);
  result("read via dup2", read(40, s, REC));
  show("dup2", &s[0]);
  close(40);

  /* blocking read: another thread's kill wakes it */
  int bfd = signalfd(-1, &m12, 0);
  pthread_t th;
  pthread_create(&th, NULL, killer, NULL);
  result("blocking read", read(bfd, s, REC));
  show("blocking", &s[0]);
  pthread_join(th, NULL);
  /* O_NONBLOCK set later with fcntl applies to reads */
  fcntl(bfd, F_SETFL, fcntl(bfd, F_GETFL) | O_NONBLOCK);
  expect_err("read after F_SETFL O_NONBLOCK", read(bfd, s, REC), EAGAIN);

  /* a blocking read woken by a POSIX timer's signal, with no other thread involved */
  timer_t tm;
  struct sigevent sev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1, .sigev_value.sival_int = 7};
  timer_create(CLOCK_MONOTONIC, &sev, &tm);
  struct itimerspec its = {{0, 0}, {0, 30 * 1000 * 1000}};
  timer_settime(tm, 0, &its, NULL);
  fcntl(bfd, F_SETFL, fcntl(bfd, F_GETFL) & ~O_NONBLOCK);
  result("blocking read (timer)", read(bfd, s, REC));
  printf("timer: signo %u code %s int %d overrun %u\n", s[0].ssi_signo, s[0].ssi_code == SI_TIMER ? "SI_TIMER" : "other",
         s[0].ssi_int, s[0].ssi_overrun);
  timer_delete(tm);

  expect_err("read short buffer", read(d, s, REC - 1), EINVAL);
  expect_err("write", write(d, s, 8), EINVAL);
  expect_err("pread", pread(d, s, REC, 0), ESPIPE);
  expect_err("pwrite", pwrite(d, s, 8, 0), ESPIPE);
  struct iovec wv = {s, 8};
  expect_err("writev", writev(d, &wv, 1), EINVAL);
  /* readv: records may straddle the buffers (Linux 6.7 and later; older kernels say EINVAL) */
  struct iovec rv[2] = {{s, 100}, {(char *)s + 100, 100}};
  struct iovec rv2[2] = {{s, 64}, {(char *)s + 64, 64}};
  try_readv("readv 100+100", d, rv);
  try_readv("readv 64+64", d, rv2);
  expect_err("signalfd on a pipe", signalfd(0, &m1, 0), EINVAL);
  expect_err("signalfd on a closed fd", signalfd(77, &m1, 0), EBADF);
  expect_err("signalfd bad flags", signalfd(-1, &m1, 1), EINVAL);
  expect_err("signalfd4 bad size", syscall(SYS_signalfd4, -1, &m1, 4, 0), EINVAL);
  expect_err("signalfd4 bad mask pointer", syscall(SYS_signalfd4, -1, (void *)8, 8, 0), EFAULT);
  raise(SIGUSR1);
  void *volatile bad = (void *)8;
  expect_err("read into a bad buffer", read(d, bad, REC), EFAULT);
  close(d); close(rfd); close(bfd);
  return finish();
}
