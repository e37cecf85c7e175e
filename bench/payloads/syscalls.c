/*
 * syscalls: the cost of one system call, timed inside the payload.
 *
 *   syscalls [n=10000] [rounds=5]
 *
 * For each kind of call, `rounds` rounds of n calls are timed with clock_gettime(CLOCK_MONOTONIC);
 * one JSON line per kind gives the median and the minimum over the rounds, in ns per call:
 *   getpid         syscall(SYS_getpid): through syscall() because libc may cache getpid()
 *   write_devnull  write(fd, "x", 1) to /dev/null
 *   clock_gettime  clock_gettime(CLOCK_MONOTONIC) (vDSO natively when there is one)
 */
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "common.h"

#define MAX_ROUNDS 64

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 10000;
    int rounds = argc > 2 ? atoi(argv[2]) : 5;
    if (n < 1) n = 1;
    if (rounds < 1) rounds = 1;
    if (rounds > MAX_ROUNDS) rounds = MAX_ROUNDS;
    int fd = open("/dev/null", O_WRONLY);
    if (fd < 0) { perror("open /dev/null"); return 1; }
    double x[MAX_ROUNDS];
    struct timespec ts;
    static const char *names[] = {"getpid", "write_devnull", "clock_gettime"};
    for (int kind = 0; kind < 3; kind++) {
        for (int i = 0; i < 100; i++) { /* warm-up */
            if (kind == 0) syscall(SYS_getpid);
            else if (kind == 1) { if (write(fd, "x", 1) != 1) { perror("write"); return 1; } }
            else clock_gettime(CLOCK_MONOTONIC, &ts);
        }
        for (int r = 0; r < rounds; r++) {
            double t0 = now_s();
            if (kind == 0) for (long i = 0; i < n; i++) syscall(SYS_getpid);
            else if (kind == 1) for (long i = 0; i < n; i++) { if (write(fd, "x", 1) != 1) { perror("write"); return 1; } }
            else for (long i = 0; i < n; i++) clock_gettime(CLOCK_MONOTONIC, &ts);
            x[r] = (now_s() - t0) / n * 1e9;
        }
        double med = median(x, rounds);
        printf("{\"name\":\"%s\",\"ns_per_call\":%.1f,\"ns_per_call_min\":%.1f,\"n\":%ld,\"rounds\":%d}\n",
               names[kind], med, x[0], n, rounds);
        fflush(stdout);
    }
    close(fd);
    return 0;
}
