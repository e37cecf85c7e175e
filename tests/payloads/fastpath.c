/* The calls km's native fast path serves (read, write, pread64, pwrite64, getpid, epoll_wait,
 * epoll_pwait, sched_yield; futex has its own payload) at the edges of
 * that path: the plain case, and every case it must leave to the monitor (bad descriptors, bad
 * pointers, huge lengths, EINTR with and without SA_RESTART, EPIPE with SIGPIPE ignored and then
 * fatal, a thread blocked in read that another thread interrupts). The test runs it natively, under
 * km, and under km with the fast path off, and wants the same output and the same end. */
// build-flags: -pthread
#include "common.h"
#include <fcntl.h>
#ifndef FUTEX_WAIT
#define FUTEX_WAIT 0 /* musl has no linux/futex.h */
#endif
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static void show(const char *what, long r) {
  if (r < 0) printf("%s: -1 %s\n", what, errname(errno));
  else printf("%s: %ld\n", what, r);
}

static int pipe_w = -1;
static volatile sig_atomic_t caught;
static void on_alarm(int sig) { (void)sig; caught++; }
static void on_alarm_feed(int sig) { (void)sig; caught++; if (write(pipe_w, "fed", 3) != 3) _exit(9); }

static void handle(int sig, void (*fn)(int), int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = fn;
  sa.sa_flags = flags;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, NULL);
}

/* the FPU control state a new thread starts with: its creator's (clone copies the FPU state) */
static void *fpu_state(void *arg) {
  (void)arg;
  unsigned mxcsr;
  unsigned short fcw;
  __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
  __asm__ volatile("fnstcw %0" : "=m"(fcw));
  printf("new thread: mxcsr %#x fcw %#x\n", mxcsr, (unsigned)fcw);
  return NULL;
}

/* a bare thread (no libc thread state) that ends at once with exit(2): clear_child_tid is the
 * kernel's (the native fast path clears and wakes it) */
static int bare_exit(void *arg) {
  (void)arg;
  syscall(SYS_exit, 0);
  return 0;
}
#define BARE_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM | CLONE_CHILD_CLEARTID)

static void *blocked_reader(void *arg) {
  int fd = *(int *)arg;
  char c;
  long r = read(fd, &c, 1);
  show("thread read interrupted", r);
  return NULL;
}

int main(void) {
  char buf[64];
  long pg = sysconf(_SC_PAGESIZE);

  /* the plain case: file round trip, positioned calls, many small calls in a row */
  int fd = open("data", O_CREAT | O_RDWR | O_TRUNC, 0644);
  show("write", write(fd, "hello fast path\n", 16));
  show("pwrite at 6", pwrite(fd, "FAST", 4, 6));
  show("pread at 0", pread(fd, buf, sizeof buf, 0));
  printf("content: %.16s", buf);
  show("lseek", lseek(fd, 0, SEEK_SET));
  long total = 0;
  for (int i = 0; i < 1000; i++) total += read(fd, buf, 1) + write(fd, "", 0);
  printf("1000 one-byte reads: %ld bytes\n", total);
  show("getpid matches the raw call", getpid() == syscall(SYS_getpid));

  /* what the fast path leaves to the monitor */
  show("read fd -1", read(-1, buf, 1));
  show("read fd 1000", read(1000, buf, 1));
  show("read closed fd", (close(dup(fd)), read(fd + 1, buf, 1)));
  char *m = mmap(NULL, 2 * (size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(m + pg, (size_t)pg);
  show("read into an unmapped page", syscall(SYS_read, fd, m + pg, 4));
  show("pread across into an unmapped page", syscall(SYS_pread64, fd, m + pg - 4, 8, 0));
  show("write from a non-canonical address", syscall(SYS_write, fd, (void *)0x8000000000000000UL, 4));
  show("read with a length of -1", syscall(SYS_read, fd, buf, (size_t)-1));
  show("write with a length of 2^62", syscall(SYS_write, fd, buf, (size_t)1 << 62));
  mprotect(m, (size_t)pg, PROT_READ);
  show("read into a read-only page", syscall(SYS_read, fd, m, 4));
  close(fd);

  /* epoll: events, a read-only buffer (EFAULT only when there is an event to copy), bad arguments */
  int ep = epoll_create1(EPOLL_CLOEXEC), q[2];
  if (ep < 0 || pipe(q) != 0) return 1;
  struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0x1234567890abcdefULL }, out[4];
  show("epoll_ctl add", epoll_ctl(ep, EPOLL_CTL_ADD, q[0], &ev));
  show("epoll_wait, nothing ready", epoll_wait(ep, out, 4, 0));
  show("epoll_wait into a read-only page, nothing ready", epoll_wait(ep, (struct epoll_event *)m, 4, 0));
  show("write to the pipe", write(q[1], "e", 1));
  long n = epoll_wait(ep, out, 4, 1000);
  show("epoll_wait, one ready", n);
  printf("event: %#x data %llx\n", (unsigned)out[0].events, (unsigned long long)out[0].data.u64);
  show("epoll_pwait without a mask", epoll_pwait(ep, out, 4, 0, NULL));
  show("epoll_wait into a read-only page, one ready", epoll_wait(ep, (struct epoll_event *)m, 4, 0));
  show("epoll_wait into an unmapped page", syscall(SYS_epoll_wait, ep, m + pg, 4, 0));
  show("epoll_wait with maxevents 0", epoll_wait(ep, out, 0, 0));
  show("epoll_wait on a pipe", epoll_wait(q[0], out, 4, 0));
  show("epoll_wait on fd -1", epoll_wait(-1, out, 4, 0));
  show("sched_yield", sched_yield());
  close(q[0]); close(q[1]); close(ep);

  /* EINTR: an alarm during a blocked read, without and with SA_RESTART */
  int p[2];
  if (pipe(p) != 0) return 1;
  pipe_w = p[1];
  handle(SIGALRM, on_alarm, 0);
  alarm(1);
  show("read interrupted, no SA_RESTART", read(p[0], buf, sizeof buf));
  handle(SIGALRM, on_alarm_feed, SA_RESTART);
  alarm(1);
  show("read restarted, SA_RESTART", read(p[0], buf, sizeof buf));
  printf("handlers ran: %d\n", (int)caught);

  /* a new thread's FPU control state, with the creator's changed (round toward zero, masks) */
  unsigned mxcsr = 0x7f80 | 0x6000, old_mxcsr;
  unsigned short fcw = 0x0f7f, old_fcw;
  __asm__ volatile("stmxcsr %0" : "=m"(old_mxcsr));
  __asm__ volatile("fnstcw %0" : "=m"(old_fcw));
  __asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
  __asm__ volatile("fldcw %0" : : "m"(fcw));
  pthread_t ft;
  pthread_create(&ft, NULL, fpu_state, NULL);
  pthread_join(ft, NULL);
  __asm__ volatile("ldmxcsr %0" : : "m"(old_mxcsr));
  __asm__ volatile("fldcw %0" : : "m"(old_fcw));

  /* a thread blocked in read, interrupted by a signal aimed at it */
  handle(SIGUSR1, on_alarm, 0);
  pthread_t th;
  pthread_create(&th, NULL, blocked_reader, &p[0]);
  usleep(200000);
  pthread_kill(th, SIGUSR1);
  pthread_join(th, NULL);

  /* thread exit: clear_child_tid is zeroed and woken; a word the thread may not write is left */
  {
    static char stack_a[65536] __attribute__((aligned(16))), stack_b[65536] __attribute__((aligned(16)));
    static volatile int tid_word;
    int *ro = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    *ro = 7;
    mprotect(ro, pg, PROT_READ);
    tid_word = -1;
    int t1 = clone(bare_exit, stack_a + sizeof stack_a, BARE_FLAGS, NULL, NULL, NULL, (int *)&tid_word);
    struct timespec limit = { 2, 0 };
    int timed_out = 0;
    for (int v; (v = tid_word) != 0 && !timed_out;) timed_out = syscall(SYS_futex, &tid_word, FUTEX_WAIT, v, &limit, NULL, 0) != 0 && errno == ETIMEDOUT;
    printf("bare thread started: %s, its tid word cleared: %s, the waiter woken: %s\n", t1 > 0 ? "yes" : "no", tid_word == 0 ? "yes" : "no", timed_out ? "no" : "yes");
    int t2 = clone(bare_exit, stack_b + sizeof stack_b, BARE_FLAGS, NULL, NULL, NULL, ro);
    usleep(100000);
    printf("bare thread started: %s, a read-only tid word left as it was: %d\n", t2 > 0 ? "yes" : "no", *ro);
  }

  /* EPIPE: ignored SIGPIPE gives the error; the default action then ends the process */
  close(p[0]);
  signal(SIGPIPE, SIG_IGN);
  show("write to a closed pipe, SIGPIPE ignored", write(p[1], "x", 1));
  signal(SIGPIPE, SIG_DFL);
  fflush(stdout);
  write(p[1], "x", 1);
  printf("not reached\n");
  return 0;
}
