/*
 * Process descriptors: `pidfd`. pidfd_open on a child and on the process itself, pidfd_send_signal
 * (to a child: it dies by the signal; to itself, with and without a siginfo: the handler runs before
 * the call returns), a /proc/<pid> directory descriptor used the same way, poll on a pidfd
 * (readable once the child exits), waitid(P_PIDFD), and the errors.
 */
// build-flags: -pthread
#define _GNU_SOURCE
#include "common.h"
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK O_NONBLOCK
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static long pidfd_open(pid_t pid, unsigned flags) { return syscall(SYS_pidfd_open, pid, flags); }
static long pidfd_send(int fd, int sig, siginfo_t *info, unsigned flags) { return syscall(SYS_pidfd_send_signal, fd, sig, info, flags); }
static const char *res(long r) { return r < 0 ? errname(errno) : "0"; }

static atomic_int handled, handled_value, handled_code;
static void on_usr1(int sig, siginfo_t *si, void *uc) {
  (void)sig; (void)uc;
  atomic_store(&handled_code, si->si_code);
  atomic_store(&handled_value, si->si_value.sival_int);
  atomic_fetch_add(&handled, 1);
}

static int readable(int fd, int ms) {
  struct pollfd p = { fd, POLLIN, 0 };
  return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

static pthread_t worker;
static atomic_int worker_tid;
static void *idle(void *a) { (void)a; atomic_store(&worker_tid, (int)syscall(SYS_gettid)); pause(); return NULL; }

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_usr1;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, NULL);

  /* a child, signalled through its pidfd */
  pid_t child = fork();
  if (child == 0) { pause(); _exit(7); }
  long pfd = pidfd_open(child, 0);
  printf("pidfd_open(child): %s, close-on-exec: %s\n", pfd >= 0 ? "ok" : errname(errno), (fcntl((int)pfd, F_GETFD) & FD_CLOEXEC) ? "yes" : "no");
  printf("poll while it runs: %s\n", readable((int)pfd, 50) ? "readable" : "not readable");
  printf("pidfd_send_signal(child, SIGTERM): %s\n", res(pidfd_send((int)pfd, SIGTERM, NULL, 0)));
  printf("poll after: %s\n", readable((int)pfd, 10000) ? "readable" : "not readable");
  siginfo_t wi;
  memset(&wi, 0, sizeof wi);
  long w = syscall(SYS_waitid, P_PIDFD, (int)pfd, &wi, WEXITED, NULL);
  printf("waitid(P_PIDFD): %s, pid is the child: %s, CLD_KILLED: %s, by SIGTERM: %s\n", res(w), wi.si_pid == child ? "yes" : "no",
         wi.si_code == CLD_KILLED ? "yes" : "no", wi.si_status == SIGTERM ? "yes" : "no");
  printf("pidfd_send_signal(reaped child): %s\n", res(pidfd_send((int)pfd, SIGTERM, NULL, 0)));
  close((int)pfd);

  /* a child that exits by itself; PIDFD_NONBLOCK */
  child = fork();
  if (child == 0) _exit(5);
  pfd = pidfd_open(child, PIDFD_NONBLOCK);
  printf("pidfd_open(child, PIDFD_NONBLOCK): %s, O_NONBLOCK: %s\n", pfd >= 0 ? "ok" : errname(errno), (fcntl((int)pfd, F_GETFL) & O_NONBLOCK) ? "yes" : "no");
  printf("poll: %s\n", readable((int)pfd, 10000) ? "readable" : "not readable");
  memset(&wi, 0, sizeof wi);
  w = syscall(SYS_waitid, P_PIDFD, (int)pfd, &wi, WEXITED, NULL);
  printf("waitid(P_PIDFD): %s, CLD_EXITED: %s, status %d\n", res(w), wi.si_code == CLD_EXITED ? "yes" : "no", wi.si_status);
  close((int)pfd);

  /* itself */
  long self = pidfd_open(getpid(), 0);
  printf("pidfd_open(getpid()): %s\n", self >= 0 ? "ok" : errname(errno));
  /* each result is taken before the handler's counters are read: argument order is unspecified */
  const char *r = res(pidfd_send((int)self, SIGUSR1, NULL, 0));
  printf("pidfd_send_signal(self, SIGUSR1): %s, handled before it returned: %s, SI_USER: %s\n",
         r, atomic_load(&handled) == 1 ? "yes" : "no", handled_code == SI_USER ? "yes" : "no");
  siginfo_t si = queued_siginfo(SIGUSR1, 4242);
  r = res(pidfd_send((int)self, SIGUSR1, &si, 0));
  printf("pidfd_send_signal(self, SIGUSR1, SI_QUEUE info): %s, handled: %s, value %d, SI_QUEUE: %s\n",
         r, atomic_load(&handled) == 2 ? "yes" : "no", (int)handled_value, handled_code == SI_QUEUE ? "yes" : "no");
  si.si_signo = SIGUSR2;
  printf("info naming another signal: %s\n", res(pidfd_send((int)self, SIGUSR1, &si, 0)));
  printf("signal 0 (a check): %s\n", res(pidfd_send((int)self, 0, NULL, 0)));
  printf("bad flags: %s\n", res(pidfd_send((int)self, SIGUSR1, NULL, 0x40)));
  printf("unmapped info: %s\n", res(pidfd_send((int)self, SIGUSR1, (siginfo_t *)8, 0)));
  close((int)self);

  /* a /proc/<pid> directory descriptor works as a pidfd */
  char path[64];
  snprintf(path, sizeof path, "/proc/%d", (int)getpid());
  int dir = open(path, O_RDONLY | O_DIRECTORY);
  r = res(pidfd_send(dir, SIGUSR1, NULL, 0));
  printf("pidfd_send_signal(/proc/<pid> fd, SIGUSR1): %s, handled: %s\n", r, atomic_load(&handled) == 3 ? "yes" : "no");
  close(dir);

  /* errors */
  int file = open("/proc/self/cmdline", O_RDONLY);
  printf("pidfd_send_signal(a regular file): %s\n", res(pidfd_send(file, SIGUSR1, NULL, 0)));
  close(file);
  printf("pidfd_send_signal(fd 999): %s\n", res(pidfd_send(999, SIGUSR1, NULL, 0)));
  printf("pidfd_open(-1): %s\n", res(pidfd_open(-1, 0)));
  printf("pidfd_open(0): %s\n", res(pidfd_open(0, 0)));
  printf("pidfd_open(getpid(), 0x1): %s\n", res(pidfd_open(getpid(), 0x1)));
  pthread_create(&worker, NULL, idle, NULL);
  while (!atomic_load(&worker_tid)) usleep(1000);
  printf("pidfd_open(a thread that is not the leader): %s\n", res(pidfd_open(atomic_load(&worker_tid), 0)));
  /* a pid that cannot exist (above pid_max's ceiling) */
  printf("pidfd_open(4194305): %s\n", res(pidfd_open(4194305, 0)));
  /* kill() with a thread's id signals its process */
  printf("kill(a thread's id, SIGUSR1): %s\n", res(kill(atomic_load(&worker_tid), SIGUSR1)));
  for (int i = 0; i < 10000 && atomic_load(&handled) < 4; i++) usleep(1000);
  printf("  handled by the process: %s\n", atomic_load(&handled) == 4 ? "yes" : "no");
  return 0;
}
