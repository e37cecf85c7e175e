/*
 * compute: CPU work over memory that is already touched, and the cost of touching fresh memory.
 *
 *   compute [mib=64] [passes=20]
 *
 * Steps, each timed with clock_gettime(CLOCK_MONOTONIC), one JSON line each:
 *   first_touch       mmap `mib` MiB of fresh anonymous memory (MADV_NOHUGEPAGE), write one byte
 *                     per 4 KiB page
 *   retouch_resident  write one byte per page again (pages present: the floor of a touch loop)
 *   hash              fill the buffer (untimed), then hash it `passes` times with FNV-1a over
 *                     64-bit words; seconds for all passes (one clock pair), and per pass
 *   madvise_dontneed  madvise(MADV_DONTNEED) on the whole buffer (the call itself)
 *   touch_after_dontneed   write one byte per page of the released buffer
 *   munmap            munmap of the whole buffer (the call itself)
 *   touch_after_remap mmap the same size again (usually the same addresses), one byte per page
 * Per-page figures are ns per 4 KiB page.
 */
#include <stdint.h>
#include <sys/mman.h>
#include "common.h"

#define PAGE 4096ul
#define MAX_PASSES 100000

static double touch(volatile uint8_t *p, size_t len, uint8_t v) {
    double t0 = now_s();
    for (size_t i = 0; i < len; i += PAGE) p[i] = v;
    return now_s() - t0;
}

/* 4 KiB pages natively too (MADV_NOHUGEPAGE), as km's guest page tables have and as native gets on
 * hosts whose THP setting is "madvise": per-page figures then count the same pages on both sides. */
static void *map(size_t len) {
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) { perror("mmap"); exit(1); }
    if (madvise(p, len, MADV_NOHUGEPAGE) != 0) { perror("madvise(MADV_NOHUGEPAGE)"); exit(1); }
    return p;
}

static void per_page(const char *name, double s, size_t len) {
    printf("{\"name\":\"%s\",\"ns_per_page\":%.1f,\"pages\":%zu,\"s\":%.6f}\n", name, s / (len / PAGE) * 1e9, len / PAGE, s);
    fflush(stdout);
}

int main(int argc, char **argv) {
    long mib = argc > 1 ? atol(argv[1]) : 64;
    int passes = argc > 2 ? atoi(argv[2]) : 20;
    if (mib < 1) mib = 1;
    if (passes < 1) passes = 1;
    if (passes > MAX_PASSES) passes = MAX_PASSES;
    size_t len = (size_t)mib << 20, words = len / 8;

    uint8_t *buf = map(len);
    per_page("first_touch", touch(buf, len, 1), len);
    per_page("retouch_resident", touch(buf, len, 2), len);

    uint64_t *w = (uint64_t *)buf;
    for (size_t i = 0; i < words; i++) w[i] = i * 0x9E3779B97F4A7C15ull;
    /* one clock pair around all passes: under km clock_gettime is a system call (an exit), so
     * per-pass timing would add exits to the figure being measured */
    uint64_t h = 0xcbf29ce484222325ull;
    double t0 = now_s();
    for (int p = 0; p < passes; p++) {
        for (size_t i = 0; i < words; i++) { h ^= w[i]; h *= 0x100000001b3ull; }
        __asm__ volatile("" : "+r"(h)); /* each pass is real work */
    }
    double total = now_s() - t0;
    printf("{\"name\":\"hash\",\"s\":%.6f,\"pass_s\":%.6f,\"passes\":%d,\"mib\":%ld,\"hash\":\"%016llx\"}\n",
           total, total / passes, passes, mib, (unsigned long long)h);
    fflush(stdout);

    t0 = now_s();
    if (madvise(buf, len, MADV_DONTNEED) != 0) { perror("madvise"); return 1; }
    per_page("madvise_dontneed", now_s() - t0, len);
    per_page("touch_after_dontneed", touch(buf, len, 3), len);

    t0 = now_s();
    if (munmap(buf, len) != 0) { perror("munmap"); return 1; }
    per_page("munmap", now_s() - t0, len);
    uint8_t *again = map(len);
    per_page("touch_after_remap", touch(again, len, 4), len);
    printf("{\"name\":\"remap_same_address\",\"value\":%s}\n", again == buf ? "true" : "false");
    munmap(again, len);
    return 0;
}
