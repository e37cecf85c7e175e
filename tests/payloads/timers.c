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
 *   cpu-timer        timers on CPU-time clocks: SIGEV_NONE on the thread's own clock (absolute and
 *                    relative settings, the value falls only while the thread runs); a process CPU
 *                    timer with SIGEV_SIGNAL (SI_TIMER, si_value, si_timerid), also with signals km
 *                    keeps for itself on the host (SIGPIPE, 36); a worker's clock
 *                    (pthread_getcpuclockid) with SIGEV_THREAD_ID to it: silent while it sleeps,
 *                    its own expiries once it runs, disarmed (ESRCH to set) once it has ended; an
 *                    ended thread's timer never fires for a later thread; SIGEV_THREAD;
 *                    EINVAL/EFAULT cases
 *   cpu-timer-exec   CPU-clock timers are listed in /proc/self/timers until deleted, a forked child
 *                    has none, and execve deletes them
 *   cpu-timer-signals  dispositions for a CPU-timer signal: ignored (dropped), blocked with the
 *                    default action (stays pending), then unblocked: the process dies by it
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
#include <sys/wait.h>
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
static volatile int last_code, last_value, last_overrun, last_signo, last_timerid;
static volatile pid_t last_tid;
static void on_sig(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  last_signo = sig;
  last_code = si->si_code;
  last_tid = sys_gettid();
  if (si->si_code == SI_TIMER) {
    last_value = si->si_value.sival_int;
    last_overrun = si->si_overrun;
    last_timerid = si->si_timerid;
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
  /* clocks that can be read but carry no timers */
  expect_err("timer_create(CLOCK_MONOTONIC_RAW)", timer_create(CLOCK_MONOTONIC_RAW, &sev, &t3), EOPNOTSUPP);
  expect_err("timer_create(CLOCK_MONOTONIC_COARSE)", timer_create(CLOCK_MONOTONIC_COARSE, &sev, &t3), EOPNOTSUPP);
  /* a bad pointer for the old value: the timer is armed all the same, then EFAULT */
  int kid;
  check("raw timer_create(CLOCK_MONOTONIC)", syscall(SYS_timer_create, CLOCK_MONOTONIC, NULL, &kid) == 0);
  struct itimerspec one = { { 0, 0 }, { 10, 0 } }, now;
  expect_err("raw timer_settime with a bad old-value pointer", syscall(SYS_timer_settime, kid, 0, &one, (void *)16), EFAULT);
  printf("armed all the same: %s\n", syscall(SYS_timer_gettime, kid, &now) == 0 && now.it_value.tv_sec >= 9 ? "yes" : "no");
  syscall(SYS_timer_delete, kid);
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

/* a SIGEV_THREAD sigevent that runs callback with value 4242 (each mode runs in its own process) */
static struct sigevent sigev_thread_event(void) {
  sem_init(&cb_sem, 0, 0);
  struct sigevent sev;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_THREAD;
  sev.sigev_notify_function = callback;
  sev.sigev_value.sival_int = 4242;
  return sev;
}

static void sigev_thread_test(void) {
  struct sigevent sev = sigev_thread_event();
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

/* ---- cpu-timer ---- */
static long ts_ns(struct timespec t) { return t.tv_sec * 1000000000L + t.tv_nsec; }
static long cpu_ns(clockid_t c) {
  struct timespec t;
  clock_gettime(c, &t);
  return ts_ns(t);
}
/* runs in the guest (no system call) for a while */
static void spin_a_little(void) { for (volatile int i = 0; i < 100000; i++) {} }
/* burns CPU until *counter reaches want, or limit_ms of wall time pass */
static void spin_until(atomic_int *counter, int want, double limit_ms) {
  double t0 = now_ms(CLOCK_MONOTONIC);
  while (atomic_load(counter) < want && now_ms(CLOCK_MONOTONIC) - t0 < limit_ms) spin_a_little();
}
/* burns ms of the clock's CPU time */
static void burn_cpu(clockid_t c, long ms) {
  long end = cpu_ns(c) + ms * 1000000L;
  while (cpu_ns(c) < end) spin_a_little();
}
static const char *yesno(int b) { return b ? "yes" : "no"; }

static sem_t cw_ready, cw_go;
static atomic_int cw_hits, cw_elsewhere;
static volatile pid_t cw_tid;
static volatile int cw_code, cw_value, cw_timerid;
static void on_worker_timer(int sig, siginfo_t *si, void *uc) {
  (void)sig; (void)uc;
  if (sys_gettid() != cw_tid) { atomic_fetch_add(&cw_elsewhere, 1); return; }
  cw_code = si->si_code;
  cw_value = si->si_value.sival_int;
  cw_timerid = si->si_timerid;
  atomic_fetch_add(&cw_hits, 1);
}
/* says who it is, sleeps until told to go, then burns CPU until its timer fired 3 times */
static void *cpu_worker(void *arg) {
  int burn = (int)(uintptr_t)arg;
  cw_tid = sys_gettid();
  sem_post(&cw_ready);
  while (sem_wait(&cw_go) == -1 && errno == EINTR) {}
  if (burn) spin_until(&cw_hits, 3, 30000);
  return NULL;
}
static void *burner(void *arg) {
  (void)arg;
  burn_cpu(CLOCK_THREAD_CPUTIME_ID, 150);
  return NULL;
}

static pthread_t start_worker(int burn) {
  pthread_t w;
  die_if(pthread_create(&w, NULL, cpu_worker, (void *)(uintptr_t)burn), "pthread_create");
  while (sem_wait(&cw_ready) == -1 && errno == EINTR) {}
  return w;
}

/* SIGEV_NONE on the calling thread's own CPU clock: the first timer, made before any other thread
 * exists (km then runs the thread on its own JS thread, and on a vCPU thread once a second starts) */
static void cpu_timer_none(void) {
  struct sigevent none;
  memset(&none, 0, sizeof none);
  none.sigev_notify = SIGEV_NONE;
  timer_t t;
  check("timer_create(CLOCK_THREAD_CPUTIME_ID, SIGEV_NONE)", timer_create(CLOCK_THREAD_CPUTIME_ID, &none, &t) == 0);
  pthread_t w = start_worker(0);
  struct timespec now;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  struct itimerspec at = { { 0, 0 }, { now.tv_sec + 1, now.tv_nsec } }, v1, v2, old;
  check("timer_settime TIMER_ABSTIME: 1 s of thread CPU time from now", timer_settime(t, TIMER_ABSTIME, &at, NULL) == 0);
  check("timer_gettime", timer_gettime(t, &v1) == 0);
  burn_cpu(CLOCK_THREAD_CPUTIME_ID, 20);
  timer_gettime(t, &v2);
  long n1 = ts_ns(v1.it_value), n2 = ts_ns(v2.it_value);
  printf("SIGEV_NONE on the thread's CPU clock: value at most 1 s: %s; after 20 ms of CPU it fell by 20 ms or more: %s\n",
         yesno(n1 > 0 && n1 <= 1000000000L), yesno(n2 > 0 && n1 - n2 >= 20000000L));
  struct itimerspec rel = { { 0, 5000000L }, { 2, 0 } };
  check("timer_settime relative: 2 s, then every 5 ms", timer_settime(t, 0, &rel, &old) == 0);
  timer_gettime(t, &v1);
  printf("old setting: value at most 1 s: %s, no interval: %s; new: interval 5 ms: %s, value at most 2 s: %s\n",
         yesno(ts_ns(old.it_value) > 0 && ts_ns(old.it_value) <= 1000000000L), yesno(ts_ns(old.it_interval) == 0),
         yesno(ts_ns(v1.it_interval) == 5000000L), yesno(ts_ns(v1.it_value) > 0 && ts_ns(v1.it_value) <= 2000000000L));
  check("timer_delete", timer_delete(t) == 0);
  sem_post(&cw_go);
  pthread_join(w, NULL);
}

/* a process CPU timer with SIGEV_SIGNAL: SI_TIMER, the sigval, the timer's id */
static void cpu_timer_process(void) {
  install(SIGUSR1, on_sig, 0);
  struct sigevent sev;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGUSR1;
  sev.sigev_value.sival_int = 91;
  timer_t t, t2;
  check("timer_create(CLOCK_PROCESS_CPUTIME_ID, SIGEV_SIGNAL)", timer_create(CLOCK_PROCESS_CPUTIME_ID, &sev, &t) == 0);
  struct itimerspec its = { { 0, 20000000L }, { 0, 20000000L } }, cur, old;
  check("timer_settime 20 ms periodic", timer_settime(t, 0, &its, NULL) == 0);
  spin_until(&hits, 3, 30000);
  printf("process CPU timer while busy: expiries >= 3: %s, si_code %s, si_value %d, si_timerid is its id: %s\n",
         yesno(atomic_load(&hits) >= 3), codename(last_code), last_value, yesno(last_timerid == (int)(intptr_t)t));
  check("timer_gettime", timer_gettime(t, &cur) == 0);
  printf("timer_gettime: interval %ld ns, value within the interval: %s\n", cur.it_interval.tv_nsec,
         yesno(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 20000000L));
  struct itimerspec off = { { 0, 0 }, { 0, 0 } };
  check("disarming returns the old interval", timer_settime(t, 0, &off, &old) == 0 && ts_ns(old.it_interval) == 20000000L);
  check("a second timer gets another id", timer_create(CLOCK_PROCESS_CPUTIME_ID, &sev, &t2) == 0 && t2 != t);
  check("timer_delete of the second", timer_delete(t2) == 0);

  /* signals km does not take as themselves on the host (its own, the host libc's) */
  int sigs[] = { SIGPIPE, 36 };
  for (int i = 0; i < 2; i++) {
    install(sigs[i], on_sig, 0);
    atomic_store(&hits, 0);
    last_code = 0;
    sev.sigev_signo = sigs[i];
    check("timer_create(CLOCK_PROCESS_CPUTIME_ID) with it", timer_create(CLOCK_PROCESS_CPUTIME_ID, &sev, &t2) == 0);
    struct itimerspec once = { { 0, 0 }, { 0, 10000000L } };
    timer_settime(t2, 0, &once, NULL);
    spin_until(&hits, 1, 30000);
    printf("signal %d from a process CPU timer: handled: %s, si_code %s, si_timerid is its id: %s\n", sigs[i],
           yesno(atomic_load(&hits) == 1 && last_signo == sigs[i]), codename(last_code), yesno(last_timerid == (int)(intptr_t)t2));
    check("timer_delete", timer_delete(t2) == 0);
  }

  check("timer_delete", timer_delete(t) == 0);
  expect_err("timer_settime on a deleted timer", timer_settime(t, 0, &its, NULL), EINVAL);
  expect_err("timer_gettime on a deleted timer", timer_gettime(t, &cur), EINVAL);
  /* raw: musl's timer_delete returns the error number itself */
  expect_err("timer_delete again", syscall(SYS_timer_delete, (int)(intptr_t)t), EINVAL);
}

/* a worker's CPU clock (pthread_getcpuclockid), SIGEV_THREAD_ID to the worker */
static void cpu_timer_thread(void) {
  install(SIGUSR2, on_worker_timer, SA_RESTART);
  pthread_t w = start_worker(1);
  clockid_t wc;
  die_if(pthread_getcpuclockid(w, &wc), "pthread_getcpuclockid");
  struct ksigevent ks;
  memset(&ks, 0, sizeof ks);
  ks.value.sival_int = 92;
  ks.signo = SIGUSR2;
  ks.notify = SIGEV_THREAD_ID;
  ks.tid = cw_tid;
  int kid = -1;
  check("raw timer_create(worker's CPU clock, SIGEV_THREAD_ID -> worker)", syscall(SYS_timer_create, wc, &ks, &kid) == 0);
  struct itimerspec its = { { 0, 20000000L }, { 0, 20000000L } }, cur;
  check("raw timer_settime 20 ms periodic", syscall(SYS_timer_settime, kid, 0, &its, NULL) == 0);
  sleep_ms(100);
  printf("the sleeping worker's CPU timer fired within 100 ms: %s\n", yesno(atomic_load(&cw_hits) + atomic_load(&cw_elsewhere) > 0));
  sem_post(&cw_go);
  pthread_join(w, NULL);
  printf("busy worker: its expiries >= 3: %s, in other threads: %d, si_code %s, si_value %d, si_timerid is its id: %s\n",
         yesno(atomic_load(&cw_hits) >= 3), atomic_load(&cw_elsewhere), codename(cw_code), cw_value, yesno(cw_timerid == kid));
  long r = syscall(SYS_timer_gettime, kid, &cur);
  printf("timer on the ended worker's clock: timer_gettime %ld, disarmed: %s\n", r, yesno(ts_ns(cur.it_value) == 0));
  expect_err("timer_settime on it", syscall(SYS_timer_settime, kid, 0, &its, NULL), ESRCH);
  check("timer_delete of it", syscall(SYS_timer_delete, kid) == 0);

  /* a timer on a thread that ends before using 20 ms of CPU; a new thread then burns 150 ms */
  struct sigevent sev;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGUSR1;
  sev.sigev_value.sival_int = 93;
  w = start_worker(0);
  die_if(pthread_getcpuclockid(w, &wc), "pthread_getcpuclockid");
  timer_t t;
  check("timer_create(a second worker's CPU clock, SIGEV_SIGNAL)", timer_create(wc, &sev, &t) == 0);
  check("timer_settime 20 ms periodic", timer_settime(t, 0, &its, NULL) == 0);
  sem_post(&cw_go);
  pthread_join(w, NULL);
  atomic_store(&hits, 0);
  pthread_t b;
  die_if(pthread_create(&b, NULL, burner, NULL), "pthread_create");
  pthread_join(b, NULL);
  printf("the ended worker's timer fired while a new thread burned 150 ms of CPU: %s\n", yesno(atomic_load(&hits) > 0));
  check("timer_delete", timer_delete(t) == 0);
}

/* SIGEV_THREAD: the libcs' helper thread waits for their internal signal 32 (SIGEV_THREAD_ID) */
static void cpu_timer_sigev_thread(void) {
  struct sigevent sev = sigev_thread_event();
  timer_t t;
  check("timer_create(CLOCK_PROCESS_CPUTIME_ID, SIGEV_THREAD)", timer_create(CLOCK_PROCESS_CPUTIME_ID, &sev, &t) == 0);
  struct itimerspec its = { { 0, 10000000L }, { 0, 10000000L } }, off = { { 0, 0 }, { 0, 0 } };
  check("timer_settime 10 ms periodic", timer_settime(t, 0, &its, NULL) == 0);
  spin_until(&cb_count, 3, 30000);
  timer_settime(t, 0, &off, NULL);
  timer_delete(t);
  printf("SIGEV_THREAD on the process CPU clock: callbacks >= 3: %s, with a wrong sigval: %d, in the main thread: %d\n",
         yesno(atomic_load(&cb_count) >= 3), atomic_load(&cb_bad_value), atomic_load(&cb_in_main));
}

static void cpu_timer_test(void) {
  sem_init(&cw_ready, 0, 0);
  sem_init(&cw_go, 0, 0);
  cpu_timer_none();
  cpu_timer_process();
  cpu_timer_thread();
  cpu_timer_sigev_thread();
  struct sigevent sev;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGUSR1;
  timer_t t;
  int kid;
  expect_err("timer_create on a bad clock", timer_create(12345, &sev, &t), EINVAL);
  clockid_t ghost = (clockid_t)(((unsigned)~0x3fffff00 << 3) | 6);
  expect_err("timer_create on the CPU clock of a thread that does not exist", timer_create(ghost, &sev, &t), EINVAL);
  expect_err("raw timer_create with a bad sigevent pointer", syscall(SYS_timer_create, CLOCK_PROCESS_CPUTIME_ID, (void *)16, &kid), EFAULT);
  expect_err("raw timer_create with a bad id pointer", syscall(SYS_timer_create, CLOCK_PROCESS_CPUTIME_ID, NULL, (void *)16), EFAULT);
  sev.sigev_signo = 65;
  expect_err("timer_create(CLOCK_PROCESS_CPUTIME_ID) with signal 65", timer_create(CLOCK_PROCESS_CPUTIME_ID, &sev, &t), EINVAL);
}

/* ---- cpu-timer-exec ---- */
/* the process's POSIX timers as the kernel lists them (under km: the host timers km holds for the
 * payload, as km's /proc/self is the payload's; km itself has none) */
static int listed_timers(void) {
  FILE *f = fopen("/proc/self/timers", "r");
  if (!f) return -1;
  char line[256];
  int n = 0;
  while (fgets(line, sizeof line, f)) n += !strncmp(line, "ID:", 3);
  fclose(f);
  return n;
}

static void cpu_timer_exec_test(char **argv) {
  if (argv[2]) {
    printf("after execve: timers listed: %d\n", listed_timers());
    struct itimerspec cur;
    expect_err("timer_gettime of the old program's first timer", syscall(SYS_timer_gettime, 0, &cur), EINVAL);
    return;
  }
  install(SIGUSR1, on_sig, 0);
  struct sigevent sev, none;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGUSR1;
  memset(&none, 0, sizeof none);
  none.sigev_notify = SIGEV_NONE;
  timer_t tp, tt, td;
  check("timer_create(CLOCK_PROCESS_CPUTIME_ID, SIGEV_SIGNAL)", timer_create(CLOCK_PROCESS_CPUTIME_ID, &sev, &tp) == 0);
  check("timer_create(CLOCK_THREAD_CPUTIME_ID, SIGEV_NONE)", timer_create(CLOCK_THREAD_CPUTIME_ID, &none, &tt) == 0);
  check("timer_create(CLOCK_PROCESS_CPUTIME_ID, SIGEV_NONE)", timer_create(CLOCK_PROCESS_CPUTIME_ID, &none, &td) == 0);
  check("timer_delete of the last", timer_delete(td) == 0);
  struct itimerspec its = { { 0, 10000000L }, { 0, 10000000L } }, far = { { 0, 0 }, { 100, 0 } };
  check("timer_settime 10 ms periodic", timer_settime(tp, 0, &its, NULL) == 0);
  check("timer_settime 100 s", timer_settime(tt, 0, &far, NULL) == 0);
  printf("timers listed: %d\n", listed_timers());
  pid_t c = fork();
  if (c == 0) {
    printf("in a forked child: timers listed: %d\n", listed_timers());
    fflush(stdout);
    _exit(0);
  }
  waitpid(c, NULL, 0);
  spin_until(&hits, 1, 30000);
  printf("the periodic one fired: %s\n", yesno(atomic_load(&hits) >= 1));
  fflush(stdout);
  execl("/proc/self/exe", argv[0], argv[1], "after", (char *)NULL);
  printf("execve: FAIL (%s)\n", errname(errno));
}

/* ---- cpu-timer-signals ---- */
static void cpu_timer_signals_test(void) {
  struct sigevent sev;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGUSR2;
  signal(SIGUSR2, SIG_IGN);
  timer_t t;
  check("timer_create(CLOCK_PROCESS_CPUTIME_ID, SIGUSR2 ignored)", timer_create(CLOCK_PROCESS_CPUTIME_ID, &sev, &t) == 0);
  struct itimerspec its = { { 0, 10000000L }, { 0, 10000000L } };
  check("timer_settime 10 ms periodic", timer_settime(t, 0, &its, NULL) == 0);
  burn_cpu(CLOCK_PROCESS_CPUTIME_ID, 60);
  printf("60 ms of CPU with the timer's signal ignored: still running\n");
  check("timer_delete", timer_delete(t) == 0);

  set_blocked(SIG_BLOCK, SIGUSR1);
  sev.sigev_signo = SIGUSR1;
  check("timer_create(CLOCK_PROCESS_CPUTIME_ID, SIGUSR1 blocked, default action)", timer_create(CLOCK_PROCESS_CPUTIME_ID, &sev, &t) == 0);
  check("timer_settime 10 ms periodic", timer_settime(t, 0, &its, NULL) == 0);
  sigset_t pend;
  double t0 = now_ms(CLOCK_MONOTONIC);
  do { spin_a_little(); sigpending(&pend); } while (!sigismember(&pend, SIGUSR1) && now_ms(CLOCK_MONOTONIC) - t0 < 30000);
  printf("the blocked signal is pending: %s\n", yesno(sigismember(&pend, SIGUSR1)));
  burn_cpu(CLOCK_PROCESS_CPUTIME_ID, 30);
  printf("30 ms of CPU more: still running\n");
  set_blocked(SIG_UNBLOCK, SIGUSR1); /* its default action ends the process here */
  printf("unblocked: still running: FAIL\n");
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
  else if (!strcmp(m, "cpu-timer")) cpu_timer_test();
  else if (!strcmp(m, "cpu-timer-signals")) cpu_timer_signals_test();
  else if (!strcmp(m, "cpu-timer-exec")) cpu_timer_exec_test(argv);
  else {
    fprintf(stderr, "usage: timers alarm|setitimer|posix-timer|sigev-thread|timer-thread-id|timerfd|nanosleep-eintr|restart|cpu-timer|cpu-timer-signals|cpu-timer-exec\n");
    return 2;
  }
  return finish();
}
