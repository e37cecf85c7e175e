/*
 * km's vDSO: clock_gettime, gettimeofday and time answered inside the guest, without an exit to
 * the monitor (each exit costs ~30 us on PVM; Go alone reads the clock hundreds of thousands of
 * times a second under load). The time comes from the TSC and a clock page the monitor keeps
 * (src/vm/vclock.ts): ns = base + (tsc - tsc_base) * mult >> 32, read under a sequence count.
 * Clocks it does not keep, a clock page not yet enabled, and getcpu/clock_getres are real system
 * calls. Built as a tiny shared object (scripts/build-guest.mjs); the monitor maps it with the
 * clock page right below it (src/vm/layout.ts), which the code finds relative to its own header.
 */
typedef unsigned long u64;
typedef long i64;
typedef unsigned int u32;

struct k_timespec { i64 tv_sec; i64 tv_nsec; };
struct k_timeval { i64 tv_sec; i64 tv_usec; };

/* the clock page: offsets shared with src/vm/vclock.ts */
struct km_vclock {
    volatile u32 seq;      /* odd while the monitor writes */
    volatile u32 enabled;  /* 0: use the system call */
    volatile u64 tsc_base;
    volatile u64 mult;     /* ns per TSC tick, 32.32 fixed point */
    volatile u64 mono_ns;  /* CLOCK_MONOTONIC at tsc_base */
    volatile u64 real_ns;  /* CLOCK_REALTIME at tsc_base */
    volatile u64 boot_ns;  /* CLOCK_BOOTTIME at tsc_base */
};
/* the vDSO's own ELF header (first byte of its image), addressed RIP-relative: no relocation */
extern const char __ehdr_start[] __attribute__((visibility("hidden")));
#define VCLOCK ((const struct km_vclock *)(__ehdr_start - 4096))

enum { KEPT_MONO, KEPT_REAL, KEPT_BOOT };
#define NR_gettimeofday 96
#define NR_time 201
#define NR_clock_gettime 228
#define NR_clock_getres 229
#define NR_getcpu 309
#define NSEC 1000000000UL

static inline long sys2(long nr, long a, long b) {
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
    return r;
}
static inline long sys3(long nr, long a, long b, long c) {
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}

static inline u64 rdtsc_ordered(void) {
    u32 lo, hi;
    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
    return ((u64)hi << 32) | lo;
}

/* ns of a kept clock; 0 when the page is not enabled */
static int read_ns(int which, u64 *out) {
    const struct km_vclock *v = VCLOCK;
    for (;;) {
        u32 s = v->seq;
        if (s & 1) { __builtin_ia32_pause(); continue; }
        if (!v->enabled) return 0;
        u64 base = which == KEPT_MONO ? v->mono_ns : which == KEPT_REAL ? v->real_ns : v->boot_ns;
        u64 tb = v->tsc_base, m = v->mult;
        u64 t = rdtsc_ordered();
        if (v->seq != s) continue;
        u64 d = t > tb ? t - tb : 0;
        *out = base + (u64)(((unsigned __int128)d * m) >> 32);
        return 1;
    }
}

static int kept(int clk) {
    switch (clk) {
    case 0: return KEPT_REAL;   /* CLOCK_REALTIME */
    case 1: return KEPT_MONO;   /* CLOCK_MONOTONIC */
    case 7: return KEPT_BOOT;   /* CLOCK_BOOTTIME */
    default: return -1;         /* the _COARSE clocks too: the host's tick decides their value */
    }
}

int __vdso_clock_gettime(int clk, struct k_timespec *ts) {
    int which = kept(clk);
    u64 ns;
    if (which < 0 || !read_ns(which, &ns)) return (int)sys2(NR_clock_gettime, clk, (long)ts);
    ts->tv_sec = (i64)(ns / NSEC);
    ts->tv_nsec = (i64)(ns % NSEC);
    return 0;
}

int __vdso_gettimeofday(struct k_timeval *tv, void *tz) {
    u64 ns;
    if (tz || !read_ns(KEPT_REAL, &ns)) return (int)sys2(NR_gettimeofday, (long)tv, (long)tz);
    if (tv) {
        tv->tv_sec = (i64)(ns / NSEC);
        tv->tv_usec = (i64)(ns % NSEC / 1000);
    }
    return 0;
}

i64 __vdso_time(i64 *t) {
    u64 ns;
    if (!read_ns(KEPT_REAL, &ns)) return sys2(NR_time, (long)t, 0);
    i64 s = (i64)(ns / NSEC);
    if (t) *t = s;
    return s;
}

int __vdso_getcpu(unsigned *cpu, unsigned *node, void *cache) {
    return (int)sys3(NR_getcpu, (long)cpu, (long)node, (long)cache);
}

int __vdso_clock_getres(int clk, struct k_timespec *res) {
    return (int)sys2(NR_clock_getres, clk, (long)res);
}

int clock_gettime(int, struct k_timespec *) __attribute__((weak, alias("__vdso_clock_gettime")));
int gettimeofday(struct k_timeval *, void *) __attribute__((weak, alias("__vdso_gettimeofday")));
i64 time(i64 *) __attribute__((weak, alias("__vdso_time")));
int getcpu(unsigned *, unsigned *, void *) __attribute__((weak, alias("__vdso_getcpu")));
int clock_getres(int, struct k_timespec *) __attribute__((weak, alias("__vdso_clock_getres")));
