/* Clocks and sleeps. Times differ between runs, so only pass/fail lines are printed. */
#include "common.h"
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static double now(clockid_t c) {
  struct timespec ts;
  if (clock_gettime(c, &ts) != 0) return -1;
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int sane_ts(const struct timespec *ts) { return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000L; }

int main(void) {
  struct timespec a, b, res;
  int mono_ok = 1, valid = 1;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (int i = 0; i < 100000; i++) {
    clock_gettime(CLOCK_MONOTONIC, &b);
    valid &= sane_ts(&b);
    if (b.tv_sec < a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec < a.tv_nsec)) mono_ok = 0;
    a = b;
  }
  check("CLOCK_MONOTONIC never goes backwards over 100000 reads", mono_ok);
  check("CLOCK_MONOTONIC tv_nsec always in [0, 1e9)", valid);

  double t0 = now(CLOCK_MONOTONIC);
  struct timespec req = {0, 50 * 1000 * 1000}, rem = {9, 9};
  int r = nanosleep(&req, &rem);
  double dt = now(CLOCK_MONOTONIC) - t0;
  check("nanosleep 50 ms returns 0", r == 0);
  check("nanosleep 50 ms takes >= 50 ms", dt >= 0.050);
  check("nanosleep 50 ms takes < 2 s", dt < 2.0);

  t0 = now(CLOCK_MONOTONIC);
  req.tv_nsec = 20 * 1000 * 1000;
  r = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL);
  dt = now(CLOCK_MONOTONIC) - t0;
  check("clock_nanosleep relative 20 ms", r == 0 && dt >= 0.020 && dt < 2.0);

  clock_gettime(CLOCK_MONOTONIC, &a);
  double deadline = (double)a.tv_sec + (double)a.tv_nsec / 1e9 + 0.030;
  a.tv_nsec += 30 * 1000 * 1000;
  if (a.tv_nsec >= 1000000000L) { a.tv_sec++; a.tv_nsec -= 1000000000L; }
  r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &a, NULL);
  double after = now(CLOCK_MONOTONIC);
  check("clock_nanosleep absolute 30 ms", r == 0 && after >= deadline && after < deadline + 2.0);
  t0 = now(CLOCK_MONOTONIC);
  a.tv_sec -= 1; /* a deadline in the past returns at once */
  r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &a, NULL);
  check("clock_nanosleep absolute in the past returns at once", r == 0 && now(CLOCK_MONOTONIC) - t0 < 0.5);
  req.tv_sec = 0;
  req.tv_nsec = 1000000000L;
  check("nanosleep tv_nsec = 1e9 fails EINVAL", nanosleep(&req, NULL) == -1 && errno == EINVAL);
  req.tv_sec = -1;
  req.tv_nsec = 0;
  check("nanosleep negative fails EINVAL", nanosleep(&req, NULL) == -1 && errno == EINVAL);
  req.tv_sec = 0;
  check("nanosleep 0 returns 0", nanosleep(&req, NULL) == 0);

  struct timespec rt;
  struct timeval tv;
  clock_gettime(CLOCK_REALTIME, &rt);
  gettimeofday(&tv, NULL);
  double drt = (double)rt.tv_sec + (double)rt.tv_nsec / 1e9, dtv = (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
  check("gettimeofday agrees with CLOCK_REALTIME within 1 s", dtv - drt > -1.0 && dtv - drt < 1.0);
  check("gettimeofday tv_usec in [0, 1e6)", tv.tv_usec >= 0 && tv.tv_usec < 1000000);
  time_t tt = time(NULL), t2;
  check("time() agrees with CLOCK_REALTIME within 1 s", (double)tt - drt > -1.5 && (double)tt - drt < 1.0);
  check("time(&t) stores the same value", time(&t2) - t2 == 0);
  check("CLOCK_REALTIME is after 2020", rt.tv_sec > 1577836800);
  /* raw syscalls too: libc may answer these from the vDSO without entering the kernel */
  struct timespec sys_rt;
  check("raw clock_gettime(CLOCK_REALTIME) syscall", syscall(SYS_clock_gettime, CLOCK_REALTIME, &sys_rt) == 0 &&
        (double)sys_rt.tv_sec - drt > -1.0 && (double)sys_rt.tv_sec - drt < 2.0);
  check("raw time syscall", (long)syscall(SYS_time, NULL) - (long)rt.tv_sec < 2);
  check("raw gettimeofday syscall", syscall(SYS_gettimeofday, &tv, NULL) == 0 && (double)tv.tv_sec - drt > -1.0);

  check("clock_getres CLOCK_MONOTONIC sane",
        clock_getres(CLOCK_MONOTONIC, &res) == 0 && res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 10000000);
  check("clock_getres CLOCK_REALTIME sane",
        clock_getres(CLOCK_REALTIME, &res) == 0 && res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 10000000);
  check("clock_getres with NULL res", clock_getres(CLOCK_MONOTONIC, NULL) == 0);
  check("clock_getres bad clock fails EINVAL", clock_getres((clockid_t)12345, &res) == -1 && errno == EINVAL);
  check("clock_gettime bad clock fails EINVAL", clock_gettime((clockid_t)12345, &res) == -1 && errno == EINVAL);

  double m1 = now(CLOCK_MONOTONIC), bt = now(CLOCK_BOOTTIME), m2 = now(CLOCK_MONOTONIC);
  check("CLOCK_BOOTTIME >= CLOCK_MONOTONIC", bt >= m1 - 0.001 && m2 >= m1);
  double mc = now(CLOCK_MONOTONIC_COARSE), rc = now(CLOCK_REALTIME_COARSE), mr = now(CLOCK_MONOTONIC_RAW);
  check("coarse and raw clocks readable", mc > 0 && rc > 0 && mr > 0);
  double c1 = now(CLOCK_PROCESS_CPUTIME_ID);
  volatile unsigned long spin = 0;
  for (unsigned long i = 0; i < 20000000UL; i++) spin += i;
  double c2 = now(CLOCK_PROCESS_CPUTIME_ID), th = now(CLOCK_THREAD_CPUTIME_ID);
  check("CLOCK_PROCESS_CPUTIME_ID readable and advancing", c1 >= 0 && c2 > c1);
  check("CLOCK_THREAD_CPUTIME_ID readable", th > 0);
  return finish();
}
