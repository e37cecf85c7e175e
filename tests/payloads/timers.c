/*
 * Timers and interrupted sleeps: `timers <mode>`. Each mode prints checked results and
 * "what: ok/FAIL" lines (never times), then "failures: N".
 *
 *   alarm            alarm(10) then alarm(1) returns 10; pause() ends by SIGALRM after ~1 s (EINTR)
 *   setitimer        ITIMER_REAL every 20 ms: 3 ticks through sigsuspend, getitimer, disarm
 *   posix-timer      timer_create(CLOCK_MONOTONIC, SIGEV_SIGNAL, si_value), periodic timer_settime,
 *                    timer_gettime, overruns while the signal is blocked (si_overrun and
 *                    timer_getoverrun), TIMER_ABSTIME one-shot, timer_delete, EINVAL afterwards
 *   sigev-thread     SIGEV_THREAD: the callback runs 3 times in another thread with the sigval
 *   timer-thread-id  SIGEV_THREAD_ID (raw timer_create) aimed at one of 3 threads: every expiry is
 *                    handled by that thread
 *   timerfd          timerfd_create/settime/gettime, read counts, EAGAIN when non-blocking, poll,
 *                    TFD_TIMER_ABSTIME on CLOCK_REALTIME, short read EINVAL, disarm
 *   nanosleep-eintr  a handler without SA_RESTART interrupts nanosleep (EINTR, 0 < rem < request)
 *                    and clock_nanosleep (returns EINTR); SA_RESTART does not restart nanosleep
 *   restart          read() on a pipe: a SA_RESTART handler restarts it and it then returns the
 *                    data another thread writes; without SA_RESTART it fails with EINTR
 */
// build-flags: -pthread -lrt
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include "common.h"

static pid_t sys_gettid(void) { return (pid_t)syscall(SYS_gettid); }

static void sleep_ms(long ms) {
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {}
}

static void die_if(int err, const char *what) {
  if (err) { printf("%s: FAIL (%s)\n", what, errname(err)); fflush(stdout); exit(1); }
}

static double now_ms(clockid_t c) {
  struct timespec t;
  clock_gettime(c, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void install(int sig, void (*h)(int, siginfo_t *, void *), int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = h;
  sa.sa_flags = SA_SIGINFO | flags;
  sigemptyset(&sa.sa_mask);
  if (sigaction(sig, &sa, NULL)) { perror("sigaction"); exit(1); }
}

static void set_blocked(int how, int sig) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, sig);
  pthread_sigmask(how, &s, NULL);
}

static atomic_int hits;
static volatile int last_code, last_value, last_overrun, last_signo;
static volatile pid_t last_tid;
static void on_sig(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  last_signo = sig;
  last_code = si->si_code;
  last_tid = sys_gettid();
  if (si->si_code == SI_TIMER) {
    last_value = si->si_value.sival_int;
    last_overrun = si->si_overrun;
  }
  atomic_fetch_add(&hits, 1);
}

static const char *codename(int c) {
  switch (c) {
  case SI_USER: return "SI_USER";
  case SI_KERNEL: return "SI_KERNEL";
  case SI_TKILL: return "SI_TKILL";
  case SI_QUEUE: return "SI_QUEUE";
  case SI_TIMER: return "SI_TIMER";
  default: {
    static char b[24];
    snprintf(b, sizeof b, "code%d", c);
    return b;
  }
  }
}

/* ---- alarm ---- */
static void alarm_test(void) {
  install(SIGALRM, on_sig, 0);
  printf("alarm(10): %u\n", alarm(10));
  printf("alarm(1) after it: %u (seconds left of the first)\n", alarm(1));
  double t0 = now_ms(CLOCK_MONOTONIC);
  int r = pause();
  int e = errno;
  double el = now_ms(CLOCK_MONOTONIC) - t0;
  printf("pause: %d %s, SIGALRM handled: %d, si_code %s\n", r, errname(e), atomic_load(&hits), codename(last_code));
  check("pause lasted about a second (0.9 s .. 30 s)", el >= 900 && el < 30000);
  printf("alarm(0) afterwards: %u\n", alarm(0));
  alarm(5);
  printf("alarm(5) then alarm(0): %u seconds were left\n", alarm(0));
}

/* ---- setitimer ---- */
static void setitimer_test(void) {
  install(SIGALRM, on_sig, 0);
  sigset_t blk, old;
  sigemptyset(&blk);
  sigaddset(&blk, SIGALRM);
  sigprocmask(SIG_BLOCK, &blk, &old);
  struct itimerval it = { { 0, 20000 }, { 0, 20000 } }, cur;
  double t0 = now_ms(CLOCK_MONOTONIC);
  check("setitimer(ITIMER_REAL, 20 ms periodic)", setitimer(ITIMER_REAL, &it, NULL) == 0);
  while (atomic_load(&hits) < 3) sigsuspend(&old);
  double el = now_ms(CLOCK_MONOTONIC) - t0;
  printf("ticks: %d, si_code %s\n", atomic_load(&hits), codename(last_code));
  check("3 ticks took at least 59 ms", el >= 59);
  getitimer(ITIMER_REAL, &cur);
  printf("getitimer: interval %ld.%06ld s, value set: %s\n", (long)cur.it_interval.tv_sec, (long)cur.it_interval.tv_usec,
         cur.it_value.tv_sec == 0 && cur.it_value.tv_usec > 0 && cur.it_value.tv_usec <= 20000 ? "within the interval" : "out of range");
  struct itimerval off = { { 0, 0 }, { 0, 0 } }, prev;
  setitimer(ITIMER_REAL, &off, &prev);
  check("disarming returns the old interval", prev.it_interval.tv_usec == 20000);
  getitimer(ITIMER_REAL, &cur);
  check("getitimer after disarming: zero", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0 && cur.it_interval.tv_usec == 0);
  sigprocmask(SIG_SETMASK, &old, NULL); /* a tick already pending is handled here */
  int n = atomic_load(&hits);
  sleep_ms(60);
  check("no ticks after disarming", atomic_load(&hits) == n);
  expect_err("setitimer with a bad which", setitimer(99, &it, NULL), EINVAL);
}

/* ---- posix-timer ---- */
static void posix_timer_test(void) {
  install(SIGUSR1, on_sig, 0);
  sigset_t blk, old;
  sigemptyset(&blk);
  sigaddset(&blk, SIGUSR1);
  sigprocmask(SIG_BLOCK, &blk, &old);
  struct sigevent sev;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGUSR1;
  sev.sigev_value.sival_int = 77;
  timer_t t;
  check("timer_create(CLOCK_MONOTONIC, SIGEV_SIGNAL)", timer_create(CLOCK_MONOTONIC, &sev, &t) == 0);
  struct itimerspec its = { { 0, 10 * 1000000L }, { 0, 10 * 1000000L } }, cur;
  check("timer_settime 10 ms periodic", timer_settime(t, 0, &its, NULL) == 0);
  while (atomic_load(&hits) < 3) sigsuspend(&old);
  printf("expiries handled: %d, si_code %s, si_value %d\n", atomic_load(&hits), codename(last_code), last_value);
  check("timer_gettime", timer_gettime(t, &cur) == 0);
  printf("timer_gettime: interval %ld ns, value within the interval: %s\n", cur.it_interval.tv_nsec,
         cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 10 * 1000000L ? "yes" : "no");

  /* the signal stays blocked for 60 ms: the timer keeps expiring, one signal, counted overruns */
  sleep_ms(60);
  siginfo_t si;
  struct timespec to = { 5, 0 };
  int r = sigtimedwait(&blk, &si, &to);
  int ov = timer_getoverrun(t);
  printf("after 60 ms blocked: one signal %s, si_overrun >= 3: %s, timer_getoverrun >= 3: %s, equal: %s\n",
         r == SIGUSR1 ? "yes" : "no", si.si_overrun >= 3 ? "yes" : "no", ov >= 3 ? "yes" : "no",
         ov == si.si_overrun ? "yes" : "no");

  struct itimerspec off = { { 0, 0 }, { 0, 0 } }, prev;
  timer_settime(t, 0, &off, &prev);
  check("disarming returns the old interval", prev.it_interval.tv_nsec == 10 * 1000000L && prev.it_interval.tv_sec == 0);
  timer_gettime(t, &cur);
  check("timer_gettime after disarming: zero", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);
  while (sigtimedwait(&blk, &si, &(struct timespec){ 0, 0 }) > 0) {} /* drop one that raced the disarm */

  /* absolute one-shot: 20 ms from now on CLOCK_MONOTONIC */
  struct timespec nw;
  clock_gettime(CLOCK_MONOTONIC, &nw);
  nw.tv_nsec += 20 * 1000000L;
  if (nw.tv_nsec >= 1000000000L) { nw.tv_sec++; nw.tv_nsec -= 1000000000L; }
  struct itimerspec abs = { { 0, 0 }, nw };
  check("timer_settime TIMER_ABSTIME one-shot", timer_settime(t, TIMER_ABSTIME, &abs, NULL) == 0);
  r = sigtimedwait(&blk, &si, &to);
  struct timespec after;
  clock_gettime(CLOCK_MONOTONIC, &after);
  printf("absolute one-shot: %s, value %d, not before the deadline: %s\n", r == SIGUSR1 ? "fired" : "missing", si.si_value.sival_int,
         after.tv_sec > nw.tv_sec || (after.tv_sec == nw.tv_sec && after.tv_nsec >= nw.tv_nsec) ? "yes" : "no");
  timer_gettime(t, &cur);
  check("a fired one-shot is disarmed", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);

  /* a second timer, on CLOCK_REALTIME, gets a different id */
  timer_t t2;
  sev.sigev_value.sival_int = 78;
  check("a second timer (CLOCK_REALTIME)", timer_create(CLOCK_REALTIME, &sev, &t2) == 0);
  check("it has another id", t2 != t);
  check("timer_delete", timer_delete(t) == 0);
  check("timer_delete of the second", timer_delete(t2) == 0);
  expect_err("timer_settime with a bad interval", timer_settime(t2, 0, &(struct itimerspec){ { 0, 2000000000L }, { 1, 0 } }, NULL), EINVAL);
  struct sigevent bad;
  memset(&bad, 0, sizeof bad);
  bad.sigev_notify = SIGEV_SIGNAL;
  bad.sigev_signo = 1000;
  timer_t t3;
  expect_err("timer_create with signal 1000", timer_create(CLOCK_MONOTONIC, &bad, &t3), EINVAL);
}

/* ---- sigev-thread ---- */
static sem_t cb_sem;
static atomic_int cb_count, cb_bad_value, cb_in_main;
static void callback(union sigval v) {
  if (v.sival_int != 4242) atomic_fetch_add(&cb_bad_value, 1);
  if (sys_gettid() == getpid()) atomic_fetch_add(&cb_in_main, 1);
  atomic_fetch_add(&cb_count, 1);
  sem_post(&cb_sem);
}

static void sigev_thread_test(void) {
  sem_init(&cb_sem, 0, 0);
  struct sigevent sev;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_THREAD;
  sev.sigev_notify_function = callback;
  sev.sigev_value.sival_int = 4242;
  timer_t t;
  check("timer_create(SIGEV_THREAD)", timer_create(CLOCK_MONOTONIC, &sev, &t) == 0);
  struct itimerspec its = { { 0, 20 * 1000000L }, { 0, 10 * 1000000L } };
  check("timer_settime 10 ms, then every 20 ms", timer_settime(t, 0, &its, NULL) == 0);
  for (int i = 0; i < 3; i++) {
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 10;
    while (sem_timedwait(&cb_sem, &dl) == -1 && errno == EINTR) {}
  }
  struct itimerspec off = { { 0, 0 }, { 0, 0 } };
  timer_settime(t, 0, &off, NULL);
  timer_delete(t);
  printf("callbacks: at least 3: %s, with a wrong sigval: %d, in the main thread: %d\n", atomic_load(&cb_count) >= 3 ? "yes" : "no",
         atomic_load(&cb_bad_value), atomic_load(&cb_in_main));
}

/* ---- timer-thread-id ---- */
/* The kernel's struct sigevent: the libcs differ in how (and whether) they name the thread id. */
struct ksigevent {
  union sigval value;
  int signo;
  int notify;
  int tid;
  int pad[11];
};
#ifndef SIGEV_THREAD_ID
#define SIGEV_THREAD_ID 4
#endif

#define NT 3
static pid_t wtid[NT];
static atomic_int wready, stop_workers;
static atomic_int per_thread[NT + 1];
static void on_tid_timer(int sig, siginfo_t *si, void *uc) {
  (void)sig; (void)uc;
  pid_t me = sys_gettid();
  int slot = NT;
  for (int i = 0; i < NT; i++) if (wtid[i] == me) slot = i;
  if (si->si_code == SI_TIMER && si->si_value.sival_int == 31) atomic_fetch_add(&per_thread[slot], 1);
}
static void *tid_worker(void *arg) {
  int me = (int)(uintptr_t)arg;
  wtid[me] = sys_gettid();
  set_blocked(SIG_UNBLOCK, SIGUSR2); /* any of them could take a process-directed SIGUSR2 */
  atomic_fetch_add(&wready, 1);
  while (!atomic_load(&stop_workers)) sleep_ms(1);
  return NULL;
}

static void timer_thread_id_test(void) {
  install(SIGUSR2, on_tid_timer, SA_RESTART);
  set_blocked(SIG_BLOCK, SIGUSR2); /* main never takes it */
  pthread_t t[NT];
  for (int i = 0; i < NT; i++) die_if(pthread_create(&t[i], NULL, tid_worker, (void *)(uintptr_t)i), "pthread_create");
  while (atomic_load(&wready) < NT) sleep_ms(1);
  struct ksigevent ks;
  memset(&ks, 0, sizeof ks);
  ks.value.sival_int = 31;
  ks.signo = SIGUSR2;
  ks.notify = SIGEV_THREAD_ID;
  ks.tid = wtid[1];
  int kid = -1;
  check("raw timer_create(CLOCK_MONOTONIC, SIGEV_THREAD_ID -> worker 1)", syscall(SYS_timer_create, CLOCK_MONOTONIC, &ks, &kid) == 0);
  struct itimerspec its = { { 0, 10 * 1000000L }, { 0, 10 * 1000000L } };
  check("raw timer_settime 10 ms periodic", syscall(SYS_timer_settime, kid, 0, &its, NULL) == 0);
  for (int i = 0; i < 10000 && atomic_load(&per_thread[1]) < 5; i++) sleep_ms(1);
  struct itimerspec off = { { 0, 0 }, { 0, 0 } };
  syscall(SYS_timer_settime, kid, 0, &off, NULL);
  check("raw timer_delete", syscall(SYS_timer_delete, kid) == 0);
  atomic_store(&stop_workers, 1);
  for (int i = 0; i < NT; i++) pthread_join(t[i], NULL);
  printf("expiries handled by worker 1: at least 5: %s; by worker 0: %d, worker 2: %d, main: %d\n",
         atomic_load(&per_thread[1]) >= 5 ? "yes" : "no", atomic_load(&per_thread[0]), atomic_load(&per_thread[2]),
         atomic_load(&per_thread[NT]));
  ks.tid = 0x3fffff00;
  expect_err("SIGEV_THREAD_ID with a tid that is not in the process", syscall(SYS_timer_create, CLOCK_MONOTONIC, &ks, &kid), EINVAL);
}

/* ---- timerfd ---- */
static void timerfd_test(void) {
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
  check("timerfd_create(CLOCK_MONOTONIC)", fd >= 0);
  struct itimerspec its = { { 0, 10 * 1000000L }, { 0, 10 * 1000000L } }, cur;
  check("timerfd_settime 10 ms periodic", timerfd_settime(fd, 0, &its, NULL) == 0);
  check("timerfd_gettime", timerfd_gettime(fd, &cur) == 0);
  printf("gettime: interval %ld ns, value within it: %s\n", cur.it_interval.tv_nsec,
         cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 10 * 1000000L ? "yes" : "no");
  uint64_t n = 0;
  ssize_t r = read(fd, &n, sizeof n);
  printf("blocking read: %zd bytes, expirations >= 1: %s\n", r, n >= 1 ? "yes" : "no");
  sleep_ms(45);
  r = read(fd, &n, sizeof n);
  printf("after 45 ms: %zd bytes, expirations >= 3: %s\n", r, n >= 3 ? "yes" : "no");
  uint32_t small;
  expect_err("read into 4 bytes", read(fd, &small, sizeof small), EINVAL);
  struct pollfd p = { fd, POLLIN, 0 };
  int pr = poll(&p, 1, 5000);
  printf("poll: %d, POLLIN: %s\n", pr, p.revents & POLLIN ? "yes" : "no");
  read(fd, &n, sizeof n);
  struct itimerspec off = { { 0, 0 }, { 0, 0 } }, prev;
  timerfd_settime(fd, 0, &off, &prev);
  check("disarming returns the old interval", prev.it_interval.tv_nsec == 10 * 1000000L);
  timerfd_gettime(fd, &cur);
  check("gettime after disarming: zero", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);
  close(fd);

  int nb = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
  check("timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK)", nb >= 0);
  expect_err("read of a disarmed non-blocking timerfd", read(nb, &n, sizeof n), EAGAIN);
  struct timespec rt;
  clock_gettime(CLOCK_REALTIME, &rt);
  rt.tv_nsec += 20 * 1000000L;
  if (rt.tv_nsec >= 1000000000L) { rt.tv_sec++; rt.tv_nsec -= 1000000000L; }
  struct itimerspec abs = { { 0, 0 }, rt };
  check("timerfd_settime TFD_TIMER_ABSTIME +20 ms", timerfd_settime(nb, TFD_TIMER_ABSTIME, &abs, NULL) == 0);
  expect_err("read before it expires", read(nb, &n, sizeof n), EAGAIN);
  p.fd = nb;
  p.revents = 0;
  pr = poll(&p, 1, 5000);
  struct timespec after;
  clock_gettime(CLOCK_REALTIME, &after);
  r = read(nb, &n, sizeof n);
  printf("poll: %d, then read: %zd bytes, expirations %llu, not before the deadline: %s\n", pr, r, (unsigned long long)n,
         after.tv_sec > rt.tv_sec || (after.tv_sec == rt.tv_sec && after.tv_nsec >= rt.tv_nsec) ? "yes" : "no");
  close(nb);
  expect_err("timerfd_create with a bad clock", timerfd_create(12345, 0), EINVAL);
  expect_err("timerfd_settime on a non-timerfd", timerfd_settime(0, 0, &its, NULL), EINVAL);
}

/* ---- nanosleep-eintr ---- */
/* SIGALRM every `ms` (0: off). Periodic, so a first signal that came before the sleep started
 * cannot make the sleep run its full length. */
static void every_ms(long ms) {
  struct itimerval it = { { 0, ms * 1000 }, { 0, ms * 1000 } };
  setitimer(ITIMER_REAL, &it, NULL);
}

static void nanosleep_eintr_test(void) {
  install(SIGALRM, on_sig, 0); /* no SA_RESTART */
  struct timespec req = { 2, 0 }, rem = { 0, 0 };
  every_ms(30);
  int r = nanosleep(&req, &rem);
  int e = errno;
  every_ms(0);
  printf("nanosleep(2 s) interrupted: %d %s, handled: %s\n", r, errname(e), atomic_load(&hits) > 0 ? "yes" : "no");
  check("remaining time > 0 and < the request", (rem.tv_sec > 0 || rem.tv_nsec > 0) && (rem.tv_sec < 2));
  check("remaining time at least 1 s (interrupted early)", rem.tv_sec >= 1);

  int h = atomic_load(&hits);
  every_ms(30);
  rem.tv_sec = rem.tv_nsec = 0;
  int cr = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem);
  every_ms(0);
  printf("clock_nanosleep(CLOCK_MONOTONIC, 2 s) interrupted: returns %s, handled: %s\n", errname(cr), atomic_load(&hits) > h ? "yes" : "no");
  check("clock_nanosleep remaining time > 0", rem.tv_sec > 0 || rem.tv_nsec > 0);

  struct timespec dl;
  clock_gettime(CLOCK_MONOTONIC, &dl);
  dl.tv_sec += 2;
  h = atomic_load(&hits);
  every_ms(30);
  cr = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &dl, NULL);
  every_ms(0);
  printf("clock_nanosleep TIMER_ABSTIME interrupted: returns %s, handled: %s\n", errname(cr), atomic_load(&hits) > h ? "yes" : "no");

  install(SIGALRM, on_sig, SA_RESTART);
  h = atomic_load(&hits);
  every_ms(30);
  r = nanosleep(&req, &rem);
  e = errno;
  every_ms(0);
  printf("with SA_RESTART, nanosleep still fails: %d %s, handled: %s\n", r, errname(e), atomic_load(&hits) > h ? "yes" : "no");

  expect_err("nanosleep with tv_nsec 1e9", nanosleep(&(struct timespec){ 0, 1000000000L }, NULL), EINVAL);
  expect_err("nanosleep with a negative time", nanosleep(&(struct timespec){ -1, 0 }, NULL), EINVAL);
}

/* ---- restart ---- */
static int rpipe[2];
static atomic_int reading_done;
static pthread_t main_thread;
static void *signal_then_write(void *arg) {
  (void)arg;
  for (int i = 0; i < 3; i++) {
    sleep_ms(20);
    pthread_kill(main_thread, SIGUSR1);
  }
  sleep_ms(20);
  write(rpipe[1], "data", 4);
  return NULL;
}
static void *signal_until_done(void *arg) {
  (void)arg;
  while (!atomic_load(&reading_done)) {
    sleep_ms(20);
    pthread_kill(main_thread, SIGUSR2);
  }
  return NULL;
}

static void restart_test(void) {
  main_thread = pthread_self();
  if (pipe(rpipe)) { perror("pipe"); exit(1); }
  install(SIGUSR1, on_sig, SA_RESTART);
  install(SIGUSR2, on_sig, 0);
  pthread_t t;
  die_if(pthread_create(&t, NULL, signal_then_write, NULL), "pthread_create");
  char buf[16] = { 0 };
  ssize_t r = read(rpipe[0], buf, sizeof buf);
  pthread_join(t, NULL);
  int h = atomic_load(&hits);
  printf("SA_RESTART: read returned %zd \"%s\" after the handler ran: %s\n", r, r > 0 ? buf : "", h >= 1 ? "yes" : "no");

  die_if(pthread_create(&t, NULL, signal_until_done, NULL), "pthread_create");
  r = read(rpipe[0], buf, sizeof buf); /* nothing is ever written: only a signal ends it */
  int e = errno;
  atomic_store(&reading_done, 1);
  pthread_join(t, NULL);
  printf("no SA_RESTART: read returned %zd %s, last signal SIGUSR2: %s\n", r, errname(e), last_signo == SIGUSR2 ? "yes" : "no");
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char *m = argc > 1 ? argv[1] : "";
  if (!strcmp(m, "alarm")) alarm_test();
  else if (!strcmp(m, "setitimer")) setitimer_test();
  else if (!strcmp(m, "posix-timer")) posix_timer_test();
  else if (!strcmp(m, "sigev-thread")) sigev_thread_test();
  else if (!strcmp(m, "timer-thread-id")) timer_thread_id_test();
  else if (!strcmp(m, "timerfd")) timerfd_test();
  else if (!strcmp(m, "nanosleep-eintr")) nanosleep_eintr_test();
  else if (!strcmp(m, "restart")) restart_test();
  else {
    fprintf(stderr, "usage: timers alarm|setitimer|posix-timer|sigev-thread|timer-thread-id|timerfd|nanosleep-eintr|restart\n");
    return 2;
  }
  return finish();
}
