/*
 * Setting and adjusting the clock: `settime`. Run natively without CAP_SYS_TIME (the test drops it
 * with setpriv), which is how km answers a payload: the host clock is never set. Prints each raw
 * call's result as an errno name, then whether the clock moved.
 */
#include "common.h"
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

static const char *res(long r) { return r < 0 ? errname(errno) : "0"; }

static double offset(void) {
  struct timespec r, m;
  clock_gettime(CLOCK_REALTIME, &r);
  clock_gettime(CLOCK_MONOTONIC, &m);
  return (double)(r.tv_sec - m.tv_sec) + (double)(r.tv_nsec - m.tv_nsec) / 1e9;
}

int main(void) {
  double before = offset();
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  struct timespec bad_ns = { now.tv_sec, 1000000000L }, neg = { -1, 0 };
  printf("clock_settime REALTIME now: %s\n", res(syscall(SYS_clock_settime, CLOCK_REALTIME, &now)));
  printf("clock_settime REALTIME tv_nsec 1e9: %s\n", res(syscall(SYS_clock_settime, CLOCK_REALTIME, &bad_ns)));
  printf("clock_settime REALTIME tv_sec -1: %s\n", res(syscall(SYS_clock_settime, CLOCK_REALTIME, &neg)));
  printf("clock_settime REALTIME unmapped: %s\n", res(syscall(SYS_clock_settime, CLOCK_REALTIME, (void *)8)));
  printf("clock_settime MONOTONIC: %s\n", res(syscall(SYS_clock_settime, CLOCK_MONOTONIC, &now)));
  printf("clock_settime BOOTTIME: %s\n", res(syscall(SYS_clock_settime, CLOCK_BOOTTIME, &now)));
  printf("clock_settime REALTIME_COARSE: %s\n", res(syscall(SYS_clock_settime, CLOCK_REALTIME_COARSE, &now)));
  printf("clock_settime TAI: %s\n", res(syscall(SYS_clock_settime, CLOCK_TAI, &now)));
  printf("clock_settime PROCESS_CPUTIME_ID: %s\n", res(syscall(SYS_clock_settime, CLOCK_PROCESS_CPUTIME_ID, &now)));
  printf("clock_settime THREAD_CPUTIME_ID: %s\n", res(syscall(SYS_clock_settime, CLOCK_THREAD_CPUTIME_ID, &now)));
  clockid_t cpu;
  clock_getcpuclockid(getpid(), &cpu);
  printf("clock_settime this process's CPU clock: %s\n", res(syscall(SYS_clock_settime, cpu, &now)));
  printf("clock_settime clock 10: %s\n", res(syscall(SYS_clock_settime, 10, &now)));
  printf("clock_settime clock 12345: %s\n", res(syscall(SYS_clock_settime, 12345, &now)));

  struct timeval tv = { now.tv_sec, 0 }, bad_us = { now.tv_sec, 1000000 };
  struct timezone tz = { 0, 0 };
  printf("settimeofday now: %s\n", res(syscall(SYS_settimeofday, &tv, NULL)));
  printf("settimeofday tv_usec 1e6: %s\n", res(syscall(SYS_settimeofday, &bad_us, NULL)));
  printf("settimeofday unmapped: %s\n", res(syscall(SYS_settimeofday, (void *)8, NULL)));
  printf("settimeofday timezone only: %s\n", res(syscall(SYS_settimeofday, NULL, &tz)));
  printf("settimeofday NULL, NULL: %s\n", res(syscall(SYS_settimeofday, NULL, NULL)));

  struct timex tx;
  memset(&tx, 0, sizeof tx);
  long st = syscall(SYS_adjtimex, &tx);
  printf("adjtimex read: %s, a clock state: %s\n", st < 0 ? errname(errno) : "ok", st >= TIME_OK && st <= TIME_ERROR ? "yes" : "no");
  memset(&tx, 0, sizeof tx);
  tx.modes = ADJ_OFFSET_SS_READ;
  st = syscall(SYS_adjtimex, &tx);
  printf("adjtimex ADJ_OFFSET_SS_READ: %s\n", st < 0 ? errname(errno) : "ok");
  memset(&tx, 0, sizeof tx);
  tx.modes = ADJ_FREQUENCY;
  printf("adjtimex ADJ_FREQUENCY: %s\n", res(syscall(SYS_adjtimex, &tx)));
  memset(&tx, 0, sizeof tx);
  tx.modes = 0x8000; /* ADJ_ADJTIME without ADJ_OFFSET_SINGLESHOT */
  printf("adjtimex ADJ_ADJTIME alone: %s\n", res(syscall(SYS_adjtimex, &tx)));
  printf("adjtimex unmapped: %s\n", res(syscall(SYS_adjtimex, (void *)8)));
  memset(&tx, 0, sizeof tx);
  st = syscall(SYS_clock_adjtime, CLOCK_REALTIME, &tx);
  printf("clock_adjtime REALTIME read: %s\n", st < 0 ? errname(errno) : "ok");
  memset(&tx, 0, sizeof tx);
  tx.modes = ADJ_FREQUENCY;
  printf("clock_adjtime REALTIME ADJ_FREQUENCY: %s\n", res(syscall(SYS_clock_adjtime, CLOCK_REALTIME, &tx)));
  memset(&tx, 0, sizeof tx);
  printf("clock_adjtime MONOTONIC: %s\n", res(syscall(SYS_clock_adjtime, CLOCK_MONOTONIC, &tx)));
  printf("clock_adjtime this process's CPU clock: %s\n", res(syscall(SYS_clock_adjtime, cpu, &tx)));
  printf("clock_adjtime clock 12345: %s\n", res(syscall(SYS_clock_adjtime, 12345, &tx)));

  double moved = offset() - before;
  printf("the clock moved: %s\n", moved > 0.5 || moved < -0.5 ? "yes" : "no");
  return 0;
}
