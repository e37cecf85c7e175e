/*
 * threads: what a thread costs, timed inside the payload with clock_gettime(CLOCK_MONOTONIC).
 *
 *   threads create [n=200]
 *       n sequential pthread_create + pthread_join of a thread that returns at once. Each iteration
 *       is timed on its own: one clock read after each join, the sample is the time since the
 *       previous read, so one clock read (an exit under km) is inside every sample; its cost is
 *       printed as clock_read. One JSON line "create_join": median, p90, min, max, mean and the
 *       very first iteration, in microseconds.
 *
 *   threads pingpong [n=2000] [rounds=5]
 *       Two threads, two 32-bit words, raw futex(2) FUTEX_WAIT_PRIVATE / FUTEX_WAKE_PRIVATE, no
 *       spinning: the main thread stores i into `ping` and wakes it, then waits until `pong`
 *       holds i; the other thread waits until `ping` holds i, stores i into `pong` and wakes it.
 *       `rounds` rounds of n round trips, one clock pair around each round. One JSON line
 *       "pingpong": ns per round trip (median and minimum over the rounds) and the futex calls
 *       made per round trip (waits that slept or returned EAGAIN, plus wakes).
 *
 * Exit status 1 with a message on stderr when a thread cannot be created or a futex call fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "common.h"

#define MAX_ROUNDS 64
/* from <linux/futex.h>, which musl-gcc's include path lacks */
#define FUTEX_WAIT_PRIVATE (0 | 128)
#define FUTEX_WAKE_PRIVATE (1 | 128)

static void *nothing(void *arg) { return arg; }

static double percentile(const double *sorted, long n, double p) {
    double pos = p * (n - 1);
    long i = (long)pos;
    if (i + 1 >= n) return sorted[n - 1];
    return sorted[i] + (pos - i) * (sorted[i + 1] - sorted[i]);
}

static int create(long n) {
    double *x = malloc(sizeof *x * n);
    double *c = malloc(sizeof *c * 64);
    if (!x || !c) { perror("malloc"); return 1; }
    /* the cost of one clock read, back to back, for context */
    double prev = now_s();
    for (int i = 0; i < 64; i++) { double t = now_s(); c[i] = (t - prev) * 1e6; prev = t; }
    double clock_us = median(c, 64);

    prev = now_s();
    for (long i = 0; i < n; i++) {
        pthread_t t;
        void *ret = NULL;
        int e = pthread_create(&t, NULL, nothing, (void *)(intptr_t)(i + 1));
        if (e) { fprintf(stderr, "threads: pthread_create (iteration %ld): %s\n", i, strerror(e)); return 1; }
        e = pthread_join(t, &ret);
        if (e) { fprintf(stderr, "threads: pthread_join (iteration %ld): %s\n", i, strerror(e)); return 1; }
        if (ret != (void *)(intptr_t)(i + 1)) { fprintf(stderr, "threads: thread %ld returned %p\n", i, ret); return 1; }
        double now = now_s();
        x[i] = (now - prev) * 1e6;
        prev = now;
    }
    double first = x[0], sum = 0;
    for (long i = 0; i < n; i++) sum += x[i];
    double med = median(x, (int)n); /* sorts x */
    printf("{\"name\":\"create_join\",\"median_us\":%.2f,\"p90_us\":%.2f,\"min_us\":%.2f,\"max_us\":%.2f,"
           "\"mean_us\":%.2f,\"first_us\":%.2f,\"clock_read_us\":%.3f,\"n\":%ld}\n",
           med, percentile(x, n, 0.9), x[0], x[n - 1], sum / n, first, clock_us, n);
    fflush(stdout);
    free(x);
    free(c);
    return 0;
}

static uint32_t ping, pong;
static long pp_n;
static int pp_rounds;
static long waits[2], wakes[2]; /* [0] main thread, [1] partner; each written by its own thread */

static long futex(uint32_t *addr, int op, uint32_t val) {
    return syscall(SYS_futex, addr, op, val, NULL, NULL, 0);
}

/* wait until *addr == want; counts the FUTEX_WAIT calls made */
static int await(uint32_t *addr, uint32_t want, int who) {
    for (;;) {
        uint32_t v = __atomic_load_n(addr, __ATOMIC_ACQUIRE);
        if (v == want) return 0;
        waits[who]++;
        if (futex(addr, FUTEX_WAIT_PRIVATE, v) != 0 && errno != EAGAIN && errno != EINTR) {
            fprintf(stderr, "threads: futex(FUTEX_WAIT_PRIVATE): %s\n", strerror(errno));
            return -1;
        }
    }
}

static int post(uint32_t *addr, uint32_t v, int who) {
    __atomic_store_n(addr, v, __ATOMIC_RELEASE);
    wakes[who]++;
    if (futex(addr, FUTEX_WAKE_PRIVATE, 1) < 0) {
        fprintf(stderr, "threads: futex(FUTEX_WAKE_PRIVATE): %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

static void *partner(void *arg) {
    (void)arg;
    uint32_t seq = 0;
    /* the warm-up round trip, then `rounds` rounds of n */
    long total = 1 + pp_n * pp_rounds;
    for (long i = 0; i < total; i++) {
        seq++;
        if (await(&ping, seq, 1) || post(&pong, seq, 1)) exit(1);
    }
    return NULL;
}

static int pingpong(long n, int rounds) {
    pp_n = n;
    pp_rounds = rounds;
    pthread_t t;
    int e = pthread_create(&t, NULL, partner, NULL);
    if (e) { fprintf(stderr, "threads: pthread_create: %s\n", strerror(e)); return 1; }
    uint32_t seq = 1; /* warm-up round trip: the partner is running and has waited once */
    if (post(&ping, seq, 0) || await(&pong, seq, 0)) return 1;
    double x[MAX_ROUNDS];
    long calls_before = waits[0] + wakes[0];
    for (int r = 0; r < rounds; r++) {
        double t0 = now_s();
        for (long i = 0; i < n; i++) {
            seq++;
            if (post(&ping, seq, 0) || await(&pong, seq, 0)) return 1;
        }
        x[r] = (now_s() - t0) / n * 1e9;
    }
    e = pthread_join(t, NULL);
    if (e) { fprintf(stderr, "threads: pthread_join: %s\n", strerror(e)); return 1; }
    /* the partner's calls include its part of the warm-up (one wait at most, one wake) */
    double per_rt = ((double)(waits[0] + wakes[0] - calls_before) + (double)(waits[1] + wakes[1])) / ((double)n * rounds);
    double med = median(x, rounds);
    printf("{\"name\":\"pingpong\",\"ns_per_round_trip\":%.1f,\"ns_per_round_trip_min\":%.1f,"
           "\"futex_calls_per_round_trip\":%.2f,\"n\":%ld,\"rounds\":%d}\n",
           med, x[0], per_rt, n, rounds);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "create") == 0) {
        long n = argc > 2 ? atol(argv[2]) : 200;
        return create(n < 1 ? 1 : n);
    }
    if (strcmp(mode, "pingpong") == 0) {
        long n = argc > 2 ? atol(argv[2]) : 2000;
        int rounds = argc > 3 ? atoi(argv[3]) : 5;
        if (rounds < 1) rounds = 1;
        if (rounds > MAX_ROUNDS) rounds = MAX_ROUNDS;
        return pingpong(n < 1 ? 1 : n, rounds);
    }
    fprintf(stderr, "usage: threads create [n] | threads pingpong [n] [rounds]\n");
    return 2;
}
