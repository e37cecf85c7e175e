/*
 * Signals in a multi-threaded process: `thread-signals <mode>`. Each mode prints checked results and
 * "what: ok/FAIL" lines, then "failures: N", except the exit modes, which end the process.
 *
 *   tgkill         pthread_kill / raw tgkill aimed at one of 4 threads: that thread's handler runs
 *                  (gettid, pthread_self, SI_TKILL, si_pid); pthread_kill(t, 0); tgkill ESRCH/EINVAL
 *   mask           kill(getpid()) while main blocks the signal: a worker that does not block it
 *                  handles it; when every thread blocks it, it stays pending for the process and
 *                  goes to the first thread that unblocks it
 *   sigwait        sigtimedwait timeout (EAGAIN), sigqueue values and SI_QUEUE, coalescing of a
 *                  standard signal, queueing of realtime signals in order, a wait woken from another
 *                  thread, raw rt_sigqueueinfo and rt_tgsigqueueinfo to one thread, sigwait
 *   sigsuspend     woken by pthread_kill and by a process-directed kill, pending before the call,
 *                  a signal its mask blocks stays pending; the old mask is back afterwards
 *   altstack-segv  SIGSEGV in a worker on that worker's sigaltstack (bad pointer and stack
 *                  overflow), recovered with siglongjmp; another thread's altstack is its own
 *   fpe            integer divide by zero and INT_MIN/-1 (FPE_INTDIV, si_addr == RIP), in main and
 *                  in a worker; an unmasked SSE divide by zero (FPE_FLTDIV)
 *   fpu            xmm/ymm/zmm registers and MXCSR bit-exact across a signal handler that clobbers
 *                  them and across sched_yield with other threads computing; per-thread MXCSR and
 *                  x87 rounding modes give bit-exact sums
 *   exit-group     workers blocked in read(), pthread_cond_wait, nanosleep, sem_wait and
 *                  sigwaitinfo; main calls exit(3): status 3 at once, atexit handler run
 *   exit-from-thread  a worker calls exit(4) while main waits in pthread_join: status 4
 *   fatal-in-thread   a worker writes through NULL with no handler: the process dies by SIGSEGV
 *   sigprocmask    the raw call's semantics (how, SIGKILL/SIGSTOP, sizes, NULL sets, bad pointers
 *                  for the set and the old set), a pending signal delivered as the call unblocks it
 *                  (thread- and process-directed), and signals reaching a thread that does nothing
 *                  but call rt_sigprocmask (km answers that call inside the guest)
 */
// build-flags: -pthread
#define _GNU_SOURCE
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
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

/* Waits (bounded: 10 s) until *flag is nonzero. */
static int wait_flag(atomic_int *flag) {
  for (int i = 0; i < 10000; i++) {
    if (atomic_load(flag)) return 1;
    sleep_ms(1);
  }
  return 0;
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

static int is_blocked(int sig) {
  sigset_t cur;
  pthread_sigmask(SIG_BLOCK, NULL, &cur);
  return sigismember(&cur, sig);
}

static const char *codename(int c) {
  switch (c) {
  case SI_USER: return "SI_USER";
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

/* What the last handler saw. */
static atomic_int h_count;
static volatile pid_t h_tid, h_pid;
static volatile int h_code, h_signo;
static pthread_t h_self;
static void recorder(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  h_tid = sys_gettid();
  h_self = pthread_self();
  h_signo = sig;
  h_code = si->si_code;
  h_pid = si->si_pid;
  atomic_fetch_add(&h_count, 1);
}

/* ---- tgkill ---- */
#define NW 4
static pid_t wtid[NW];
static atomic_int wready[NW], release_workers;
static void *idle_worker(void *arg) {
  int me = (int)(uintptr_t)arg;
  wtid[me] = sys_gettid();
  atomic_store(&wready[me], 1);
  while (!atomic_load(&release_workers)) sleep_ms(1);
  return NULL;
}

static int wait_count(int n) {
  for (int i = 0; i < 10000 && atomic_load(&h_count) < n; i++) sleep_ms(1);
  return atomic_load(&h_count) >= n;
}

static void tgkill_test(void) {
  install(SIGUSR1, recorder, 0);
  pthread_t t[NW];
  for (int i = 0; i < NW; i++) die_if(pthread_create(&t[i], NULL, idle_worker, (void *)(uintptr_t)i), "pthread_create");
  for (int i = 0; i < NW; i++) wait_flag(&wready[i]);

  check("pthread_kill(worker 2, SIGUSR1)", pthread_kill(t[2], SIGUSR1) == 0);
  check("handler ran", wait_count(1));
  printf("the handler ran in worker 2: %s\n", h_tid == wtid[2] ? "yes" : "no");
  check("pthread_self() in the handler is worker 2", pthread_equal(h_self, t[2]));
  printf("si_code %s, si_pid is getpid(): %s\n", codename(h_code), h_pid == getpid() ? "yes" : "no");

  check("raw tgkill(pid, tid of worker 1, SIGUSR1)", syscall(SYS_tgkill, getpid(), wtid[1], SIGUSR1) == 0);
  check("handler ran", wait_count(2));
  printf("the handler ran in worker 1: %s\n", h_tid == wtid[1] ? "yes" : "no");

  check("raw tkill(tid of worker 3, SIGUSR1)", syscall(SYS_tkill, wtid[3], SIGUSR1) == 0);
  check("handler ran", wait_count(3));
  printf("the handler ran in worker 3: %s\n", h_tid == wtid[3] ? "yes" : "no");

  pthread_kill(pthread_self(), SIGUSR1);
  /* a signal a thread sends itself is delivered before pthread_kill returns */
  printf("pthread_kill(self): delivered before it returned: %s, in main: %s\n",
         atomic_load(&h_count) == 4 ? "yes" : "no", h_tid == getpid() ? "yes" : "no");

  check("pthread_kill(worker, 0) on a live thread", pthread_kill(t[0], 0) == 0);
  expect_err("tgkill with the wrong tgid", syscall(SYS_tgkill, 0x3fffff00, wtid[0], SIGUSR1), ESRCH);
  expect_err("tgkill with signal 1000", syscall(SYS_tgkill, getpid(), wtid[0], 1000), EINVAL);
  expect_err("tgkill with tid 0", syscall(SYS_tgkill, getpid(), 0, SIGUSR1), EINVAL);
  atomic_store(&release_workers, 1);
  for (int i = 0; i < NW; i++) pthread_join(t[i], NULL);
  printf("signals handled: %d\n", atomic_load(&h_count));
}

/* ---- mask ---- */
static atomic_int mask_stage;
static pid_t mask_worker_tid;
static int worker_saw_pending;
static void *mask_worker(void *arg) {
  (void)arg;
  mask_worker_tid = sys_gettid();
  set_blocked(SIG_UNBLOCK, SIGUSR2); /* main blocks it; this thread does not */
  atomic_store(&mask_stage, 1);
  while (atomic_load(&h_count) < 1) sleep_ms(1); /* nanosleep: EINTR when the handler runs here */
  set_blocked(SIG_BLOCK, SIGUSR2); /* now every thread blocks it */
  atomic_store(&mask_stage, 2);
  while (atomic_load(&mask_stage) < 3) sleep_ms(1);
  sigset_t p;
  sigpending(&p);
  worker_saw_pending = sigismember(&p, SIGUSR2);
  atomic_store(&mask_stage, 4);
  while (atomic_load(&mask_stage) < 5) sleep_ms(1);
  return NULL;
}

static void mask_test(void) {
  install(SIGUSR2, recorder, 0);
  set_blocked(SIG_BLOCK, SIGUSR2);
  pthread_t w;
  die_if(pthread_create(&w, NULL, mask_worker, NULL), "pthread_create");
  while (atomic_load(&mask_stage) < 1) sleep_ms(1);
  kill(getpid(), SIGUSR2);
  check("handler ran", wait_count(1));
  printf("process-directed SIGUSR2, main blocks it: handled by the worker: %s, si_code %s\n",
         h_tid == mask_worker_tid ? "yes" : "no", codename(h_code));
  check("main still blocks SIGUSR2", is_blocked(SIGUSR2));

  while (atomic_load(&mask_stage) < 2) sleep_ms(1);
  kill(getpid(), SIGUSR2);
  sleep_ms(20);
  printf("every thread blocks it: handled: %s\n", atomic_load(&h_count) == 1 ? "not yet" : "yes");
  sigset_t p;
  sigpending(&p);
  printf("pending for the process, seen by main: %s\n", sigismember(&p, SIGUSR2) ? "yes" : "no");
  atomic_store(&mask_stage, 3);
  while (atomic_load(&mask_stage) < 4) sleep_ms(1);
  printf("pending for the process, seen by the worker: %s\n", worker_saw_pending ? "yes" : "no");
  set_blocked(SIG_UNBLOCK, SIGUSR2); /* delivered to main before pthread_sigmask returns */
  printf("main unblocks it: handled by main at once: %s\n", atomic_load(&h_count) == 2 && h_tid == getpid() ? "yes" : "no");
  sigpending(&p);
  printf("pending afterwards: %s\n", sigismember(&p, SIGUSR2) ? "yes" : "no");
  atomic_store(&mask_stage, 5);
  pthread_join(w, NULL);
  check("the worker's mask changes left main's mask alone", !is_blocked(SIGUSR2));
}

/* ---- sigwait ---- */
static pid_t sw_worker_tid;
static atomic_int sw_ready;
static int sw_worker_value, sw_worker_sig, sw_worker_code;
static void *sigqueue_later(void *arg) {
  (void)arg;
  sleep_ms(30);
  union sigval v = { .sival_int = 99 };
  sigqueue(getpid(), SIGUSR1, v);
  return NULL;
}
static void *directed_waiter(void *arg) {
  (void)arg;
  sw_worker_tid = sys_gettid();
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGRTMIN + 2);
  atomic_store(&sw_ready, 1);
  siginfo_t si;
  struct timespec to = { 10, 0 };
  sw_worker_sig = sigtimedwait(&s, &si, &to);
  sw_worker_value = si.si_value.sival_int;
  sw_worker_code = si.si_code;
  return NULL;
}

static double ms_since(const struct timespec *a) {
  struct timespec b;
  clock_gettime(CLOCK_MONOTONIC, &b);
  return (b.tv_sec - a->tv_sec) * 1e3 + (b.tv_nsec - a->tv_nsec) / 1e6;
}

static void sigwait_test(void) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR1);
  sigaddset(&s, SIGRTMIN + 1);
  sigaddset(&s, SIGRTMIN + 2);
  pthread_sigmask(SIG_BLOCK, &s, NULL); /* threads created from now on inherit it */
  sigset_t u;
  sigemptyset(&u);
  sigaddset(&u, SIGUSR1);
  siginfo_t si;
  struct timespec t0, to = { 0, 30 * 1000000L };
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int r = sigtimedwait(&u, &si, &to);
  double el = ms_since(&t0);
  expect_err("sigtimedwait 30 ms, nothing pending", r, EAGAIN);
  check("it waited at least 29 ms", el >= 29.0);
  struct timespec zero = { 0, 0 };
  expect_err("sigtimedwait with a zero timeout", sigtimedwait(&u, &si, &zero), EAGAIN);

  union sigval v = { .sival_int = 1234 };
  check("sigqueue(getpid(), SIGUSR1, 1234)", sigqueue(getpid(), SIGUSR1, v) == 0);
  memset(&si, 0, sizeof si);
  r = sigtimedwait(&u, &si, &to);
  printf("sigtimedwait: %s, si_signo %s, si_code %s, si_value %d, si_pid is getpid(): %s, si_uid is getuid(): %s\n",
         r == SIGUSR1 ? "SIGUSR1" : "other", si.si_signo == SIGUSR1 ? "SIGUSR1" : "other", codename(si.si_code),
         si.si_value.sival_int, si.si_pid == getpid() ? "yes" : "no", si.si_uid == getuid() ? "yes" : "no");

  v.sival_int = 1;
  sigqueue(getpid(), SIGUSR1, v);
  v.sival_int = 2;
  sigqueue(getpid(), SIGUSR1, v);
  r = sigtimedwait(&u, &si, &zero);
  printf("standard signal queued twice: first %s value %d\n", r == SIGUSR1 ? "SIGUSR1" : "none", si.si_value.sival_int);
  expect_err("  second (coalesced)", sigtimedwait(&u, &si, &zero), EAGAIN);

  for (int i = 1; i <= 3; i++) {
    v.sival_int = 100 + i;
    sigqueue(getpid(), SIGRTMIN + 1, v);
  }
  sigset_t rt;
  sigemptyset(&rt);
  sigaddset(&rt, SIGRTMIN + 1);
  printf("SIGRTMIN+1 queued 3 times, values:");
  for (int i = 0; i < 3; i++) {
    r = sigwaitinfo(&rt, &si);
    printf(" %d", r == SIGRTMIN + 1 ? si.si_value.sival_int : -1);
  }
  printf("\n");
  expect_err("  then none left", sigtimedwait(&rt, &si, &zero), EAGAIN);

  pthread_t w;
  die_if(pthread_create(&w, NULL, sigqueue_later, NULL), "pthread_create");
  memset(&si, 0, sizeof si);
  r = sigwaitinfo(&u, &si); /* woken when the other thread queues it */
  pthread_join(w, NULL);
  printf("sigwaitinfo woken by another thread's sigqueue: %s value %d code %s\n", r == SIGUSR1 ? "SIGUSR1" : "other",
         si.si_value.sival_int, codename(si.si_code));

  siginfo_t q = queued_siginfo(SIGUSR1, 555);
  check("raw rt_sigqueueinfo(getpid(), SIGUSR1)", syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, &q) == 0);
  r = sigtimedwait(&u, &si, &to);
  printf("  received: %s value %d code %s\n", r == SIGUSR1 ? "SIGUSR1" : "other", si.si_value.sival_int, codename(si.si_code));

  die_if(pthread_create(&w, NULL, directed_waiter, NULL), "pthread_create");
  wait_flag(&sw_ready);
  q = queued_siginfo(SIGRTMIN + 2, 4321);
  check("raw rt_tgsigqueueinfo(pid, worker, SIGRTMIN+2)", syscall(SYS_rt_tgsigqueueinfo, getpid(), sw_worker_tid, SIGRTMIN + 2, &q) == 0);
  pthread_join(w, NULL);
  printf("  the worker's sigtimedwait got it: %s value %d code %s\n", sw_worker_sig == SIGRTMIN + 2 ? "yes" : "no",
         sw_worker_value, codename(sw_worker_code));
  sigset_t p;
  sigpending(&p);
  check("  nothing left pending for main", !sigismember(&p, SIGRTMIN + 2) && !sigismember(&p, SIGUSR1));

  kill(getpid(), SIGUSR1);
  int got = 0;
  r = sigwait(&u, &got);
  printf("sigwait after kill(): %s %s\n", errname(r), got == SIGUSR1 ? "SIGUSR1" : "other");
}

/* ---- sigsuspend ---- */
static atomic_int usr1_count, usr2_count, ss_stage;
static volatile pid_t usr1_tid;
static void on_usr1(int sig, siginfo_t *si, void *uc) { (void)sig; (void)si; (void)uc; usr1_tid = sys_gettid(); atomic_fetch_add(&usr1_count, 1); }
static void on_usr2(int sig, siginfo_t *si, void *uc) { (void)sig; (void)si; (void)uc; atomic_fetch_add(&usr2_count, 1); }
static pthread_t main_thread;

static void *suspend_helper(void *arg) {
  (void)arg;
  /* this thread blocks both: every signal here goes to main */
  while (atomic_load(&ss_stage) < 1) sleep_ms(1);
  sleep_ms(20);
  pthread_kill(main_thread, SIGUSR1);
  while (atomic_load(&ss_stage) < 2) sleep_ms(1);
  sleep_ms(20);
  kill(getpid(), SIGUSR1);
  while (atomic_load(&ss_stage) < 3) sleep_ms(1);
  sleep_ms(20);
  pthread_kill(main_thread, SIGUSR1); /* blocked by the sigsuspend mask: stays pending */
  sleep_ms(10);
  pthread_kill(main_thread, SIGUSR2);
  return NULL;
}

static void sigsuspend_test(void) {
  main_thread = pthread_self();
  install(SIGUSR1, on_usr1, 0);
  install(SIGUSR2, on_usr2, 0);
  sigset_t both, none, only_usr2;
  sigemptyset(&both);
  sigaddset(&both, SIGUSR1);
  sigaddset(&both, SIGUSR2);
  sigemptyset(&none);
  sigfillset(&only_usr2);
  sigdelset(&only_usr2, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &both, NULL);
  pthread_t h;
  die_if(pthread_create(&h, NULL, suspend_helper, NULL), "pthread_create");

  atomic_store(&ss_stage, 1);
  int r = sigsuspend(&none);
  int e = errno;
  printf("woken by pthread_kill: %d %s, SIGUSR1 handled %d in main: %s\n", r, errname(e), atomic_load(&usr1_count),
         usr1_tid == getpid() ? "yes" : "no");
  check("the old mask is back (SIGUSR1 blocked)", is_blocked(SIGUSR1) && is_blocked(SIGUSR2));

  atomic_store(&ss_stage, 2);
  r = sigsuspend(&none);
  e = errno;
  printf("woken by a process-directed kill: %d %s, SIGUSR1 handled %d in main: %s\n", r, errname(e),
         atomic_load(&usr1_count), usr1_tid == getpid() ? "yes" : "no");

  raise(SIGUSR1);
  r = sigsuspend(&none);
  e = errno;
  printf("pending before the call: returns at once: %d %s, handled %d\n", r, errname(e), atomic_load(&usr1_count));

  atomic_store(&ss_stage, 3);
  r = sigsuspend(&only_usr2);
  e = errno;
  printf("mask lets only SIGUSR2 in: %d %s, SIGUSR2 handled %d, SIGUSR1 handled %d\n", r, errname(e),
         atomic_load(&usr2_count), atomic_load(&usr1_count));
  sigset_t p;
  sigpending(&p);
  printf("SIGUSR1 pending after it: %s\n", sigismember(&p, SIGUSR1) ? "yes" : "no");
  set_blocked(SIG_UNBLOCK, SIGUSR1);
  printf("unblocked: SIGUSR1 handled %d\n", atomic_load(&usr1_count));
  pthread_join(h, NULL);
}

/* ---- altstack-segv ---- */
static __thread sigjmp_buf tjb;
static __thread uintptr_t alt_lo, alt_hi;
static __thread volatile int seg_on_alt, seg_flag_onstack;
static __thread void *volatile seg_addr;
static void on_segv(int sig, siginfo_t *si, void *uc) {
  (void)sig; (void)uc;
  volatile char here;
  seg_on_alt = (uintptr_t)&here >= alt_lo && (uintptr_t)&here < alt_hi;
  stack_t cur;
  sigaltstack(NULL, &cur);
  seg_flag_onstack = (cur.ss_flags & SS_ONSTACK) != 0;
  seg_addr = si->si_addr;
  siglongjmp(tjb, 1);
}

static volatile int depth_limit = 1 << 30; /* never reached: the stack overflows first */
static int depth(int n) {
  volatile char pad[512];
  pad[0] = (char)n;
  if (n > depth_limit) return 0;
  return depth(n + 1) + pad[0];
}

struct alt_res { int addr_ok, on_alt, flag, overflow_on_alt, after_ok; };
static void *alt_worker(void *arg) {
  int use_alt = (int)(uintptr_t)arg;
  struct alt_res *r = calloc(1, sizeof *r);
  if (use_alt) {
    size_t sz = 64 * 1024;
    char *mem = malloc(sz);
    stack_t ss = { .ss_sp = mem, .ss_size = sz, .ss_flags = 0 };
    if (sigaltstack(&ss, NULL)) { perror("sigaltstack"); exit(1); }
    alt_lo = (uintptr_t)mem;
    alt_hi = (uintptr_t)mem + sz;
  }
  if (sigsetjmp(tjb, 1) == 0) { *(volatile int *)0x10 = 1; puts("not reached"); }
  r->addr_ok = seg_addr == (void *)0x10;
  r->on_alt = seg_on_alt;
  r->flag = seg_flag_onstack;
  if (use_alt) {
    if (sigsetjmp(tjb, 1) == 0) depth(0);
    r->overflow_on_alt = seg_on_alt;
  }
  stack_t cur;
  sigaltstack(NULL, &cur);
  r->after_ok = use_alt ? cur.ss_flags == 0 && cur.ss_sp == (void *)alt_lo : (cur.ss_flags & SS_DISABLE) != 0;
  return r;
}

static void altstack_test(void) {
  install(SIGSEGV, on_segv, SA_ONSTACK);
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setstacksize(&a, 256 * 1024);
  pthread_t t1, t2;
  struct alt_res *r1, *r2;
  die_if(pthread_create(&t1, &a, alt_worker, (void *)1), "pthread_create");
  pthread_join(t1, (void **)&r1);
  printf("worker with an alternate stack: SIGSEGV at 0x10: %s, handler on its alternate stack: %s, SS_ONSTACK: %s\n",
         r1->addr_ok ? "yes" : "no", r1->on_alt ? "yes" : "no", r1->flag ? "yes" : "no");
  printf("worker stack overflow handled on the alternate stack: %s\n", r1->overflow_on_alt ? "yes" : "no");
  check("worker's sigaltstack still set, not in use, after siglongjmp", r1->after_ok);
  die_if(pthread_create(&t2, &a, alt_worker, (void *)0), "pthread_create");
  pthread_join(t2, (void **)&r2);
  printf("worker without one: SIGSEGV at 0x10: %s, handler on an alternate stack: %s, SS_ONSTACK: %s\n",
         r2->addr_ok ? "yes" : "no", r2->on_alt ? "yes" : "no", r2->flag ? "yes" : "no");
  check("that worker has no alternate stack (SS_DISABLE)", r2->after_ok);
  stack_t cur;
  sigaltstack(NULL, &cur);
  check("main thread has no alternate stack (SS_DISABLE)", (cur.ss_flags & SS_DISABLE) != 0);
  check("SIGSEGV not blocked after siglongjmp", !is_blocked(SIGSEGV));
}

/* ---- fpe ---- */
static __thread volatile int fpe_code, fpe_addr_is_rip;
static __thread volatile pid_t fpe_tid;
static void on_fpe(int sig, siginfo_t *si, void *ucv) {
  (void)sig;
  ucontext_t *uc = ucv;
  fpe_code = si->si_code;
  fpe_addr_is_rip = (uintptr_t)si->si_addr == (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
  fpe_tid = sys_gettid();
  siglongjmp(tjb, 1);
}

static const char *fpename(int c) {
  switch (c) {
  case FPE_INTDIV: return "FPE_INTDIV";
  case FPE_INTOVF: return "FPE_INTOVF";
  case FPE_FLTDIV: return "FPE_FLTDIV";
  case FPE_FLTINV: return "FPE_FLTINV";
  default: {
    static char b[24];
    snprintf(b, sizeof b, "code%d", c);
    return b;
  }
  }
}

static unsigned get_mxcsr(void) { unsigned m; __asm__ volatile("stmxcsr %0" : "=m"(m)); return m; }
static void set_mxcsr(unsigned m) { __asm__ volatile("ldmxcsr %0" ::"m"(m) : "memory"); }

static void *fpe_cases(void *arg) {
  const char *who = arg;
  volatile int z = 0, m1 = -1, big = INT_MIN;
  volatile long lz = 0;
  if (sigsetjmp(tjb, 1) == 0) { volatile int q = 10 / z; (void)q; puts("not reached"); }
  printf("%s: int 10/0: %s, si_addr == RIP: %s, in this thread: %s\n", who, fpename(fpe_code), fpe_addr_is_rip ? "yes" : "no",
         fpe_tid == sys_gettid() ? "yes" : "no");
  fpe_code = 0;
  if (sigsetjmp(tjb, 1) == 0) { volatile int q = big / m1; (void)q; puts("not reached"); }
  printf("%s: INT_MIN/-1: %s\n", who, fpename(fpe_code));
  fpe_code = 0;
  if (sigsetjmp(tjb, 1) == 0) { volatile long q = 7L % lz; (void)q; puts("not reached"); }
  printf("%s: long 7%%0: %s\n", who, fpename(fpe_code));
  check("SIGFPE not blocked after siglongjmp", !is_blocked(SIGFPE));

  /* unmask SSE divide-by-zero (MXCSR.ZM, bit 9): divsd by zero raises #XM */
  unsigned saved = get_mxcsr();
  fpe_code = 0;
  if (sigsetjmp(tjb, 1) == 0) {
    set_mxcsr(saved & ~(1u << 9));
    volatile double one = 1.0, dz = 0.0;
    volatile double q = one / dz;
    (void)q;
    puts("not reached");
  }
  set_mxcsr(saved);
  printf("%s: SSE 1.0/0.0 with ZM unmasked: %s\n", who, fpename(fpe_code));
  return NULL;
}

static void fpe_test(void) {
  install(SIGFPE, on_fpe, 0);
  fpe_cases("main");
  pthread_t t;
  die_if(pthread_create(&t, NULL, fpe_cases, "worker"), "pthread_create");
  pthread_join(t, NULL);
}

/* ---- fpu ---- */
/* 32 vector registers x 64 bytes; which part is used depends on the width tested */
typedef struct { _Alignas(64) unsigned char b[32][64]; } vregs;

#define L16(op, w, sz) \
  op " 0*" sz "(%[in]), %%" w "0\n" op " 1*" sz "(%[in]), %%" w "1\n" op " 2*" sz "(%[in]), %%" w "2\n" op " 3*" sz "(%[in]), %%" w "3\n" \
  op " 4*" sz "(%[in]), %%" w "4\n" op " 5*" sz "(%[in]), %%" w "5\n" op " 6*" sz "(%[in]), %%" w "6\n" op " 7*" sz "(%[in]), %%" w "7\n" \
  op " 8*" sz "(%[in]), %%" w "8\n" op " 9*" sz "(%[in]), %%" w "9\n" op " 10*" sz "(%[in]), %%" w "10\n" op " 11*" sz "(%[in]), %%" w "11\n" \
  op " 12*" sz "(%[in]), %%" w "12\n" op " 13*" sz "(%[in]), %%" w "13\n" op " 14*" sz "(%[in]), %%" w "14\n" op " 15*" sz "(%[in]), %%" w "15\n"
#define S16(op, w, sz) \
  op " %%" w "0, 0*" sz "(%[out])\n" op " %%" w "1, 1*" sz "(%[out])\n" op " %%" w "2, 2*" sz "(%[out])\n" op " %%" w "3, 3*" sz "(%[out])\n" \
  op " %%" w "4, 4*" sz "(%[out])\n" op " %%" w "5, 5*" sz "(%[out])\n" op " %%" w "6, 6*" sz "(%[out])\n" op " %%" w "7, 7*" sz "(%[out])\n" \
  op " %%" w "8, 8*" sz "(%[out])\n" op " %%" w "9, 9*" sz "(%[out])\n" op " %%" w "10, 10*" sz "(%[out])\n" op " %%" w "11, 11*" sz "(%[out])\n" \
  op " %%" w "12, 12*" sz "(%[out])\n" op " %%" w "13, 13*" sz "(%[out])\n" op " %%" w "14, 14*" sz "(%[out])\n" op " %%" w "15, 15*" sz "(%[out])\n"
#define L16HI(op, w, sz) \
  op " 16*" sz "(%[in]), %%" w "16\n" op " 17*" sz "(%[in]), %%" w "17\n" op " 18*" sz "(%[in]), %%" w "18\n" op " 19*" sz "(%[in]), %%" w "19\n" \
  op " 20*" sz "(%[in]), %%" w "20\n" op " 21*" sz "(%[in]), %%" w "21\n" op " 22*" sz "(%[in]), %%" w "22\n" op " 23*" sz "(%[in]), %%" w "23\n" \
  op " 24*" sz "(%[in]), %%" w "24\n" op " 25*" sz "(%[in]), %%" w "25\n" op " 26*" sz "(%[in]), %%" w "26\n" op " 27*" sz "(%[in]), %%" w "27\n" \
  op " 28*" sz "(%[in]), %%" w "28\n" op " 29*" sz "(%[in]), %%" w "29\n" op " 30*" sz "(%[in]), %%" w "30\n" op " 31*" sz "(%[in]), %%" w "31\n"
#define S16HI(op, w, sz) \
  op " %%" w "16, 16*" sz "(%[out])\n" op " %%" w "17, 17*" sz "(%[out])\n" op " %%" w "18, 18*" sz "(%[out])\n" op " %%" w "19, 19*" sz "(%[out])\n" \
  op " %%" w "20, 20*" sz "(%[out])\n" op " %%" w "21, 21*" sz "(%[out])\n" op " %%" w "22, 22*" sz "(%[out])\n" op " %%" w "23, 23*" sz "(%[out])\n" \
  op " %%" w "24, 24*" sz "(%[out])\n" op " %%" w "25, 25*" sz "(%[out])\n" op " %%" w "26, 26*" sz "(%[out])\n" op " %%" w "27, 27*" sz "(%[out])\n" \
  op " %%" w "28, 28*" sz "(%[out])\n" op " %%" w "29, 29*" sz "(%[out])\n" op " %%" w "30, 30*" sz "(%[out])\n" op " %%" w "31, 31*" sz "(%[out])\n"
#define XCLOB "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"
#define XCLOBHI "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23", "xmm24", "xmm25", "xmm26", "xmm27", "xmm28", "xmm29", "xmm30", "xmm31"

/* Loads the registers from `in`, makes system call `nr` (args a, b, c), stores them to `out`. The
 * kernel may change only rax, rcx and r11; the vector registers must come back bit for bit. */
static void xmm_around_syscall(const vregs *in, vregs *out, long nr, long a, long b, long c) {
  __asm__ volatile(L16("movdqu", "xmm", "64") "syscall\n" S16("movdqu", "xmm", "64")
                   : "+a"(nr) : [in] "r"(in), [out] "r"(out), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory", XCLOB);
}
__attribute__((target("avx"))) static void ymm_around_syscall(const vregs *in, vregs *out, long nr, long a, long b, long c) {
  __asm__ volatile(L16("vmovdqu", "ymm", "64") "syscall\n" S16("vmovdqu", "ymm", "64") "vzeroupper\n"
                   : "+a"(nr) : [in] "r"(in), [out] "r"(out), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory", XCLOB);
}
__attribute__((target("avx512f"))) static void zmm_around_syscall(const vregs *in, vregs *out, long nr, long a, long b, long c) {
  __asm__ volatile(L16("vmovdqu64", "zmm", "64") L16HI("vmovdqu64", "zmm", "64") "syscall\n"
                   S16("vmovdqu64", "zmm", "64") S16HI("vmovdqu64", "zmm", "64") "vzeroupper\n"
                   : "+a"(nr) : [in] "r"(in), [out] "r"(out), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory", XCLOB, XCLOBHI);
}

static int have_avx, have_avx512;
static vregs junk;
/* The handler overwrites every vector register it can and changes MXCSR's rounding mode. */
__attribute__((target("avx512f"))) static void clobber_zmm(void) {
  const vregs *in = &junk;
  __asm__ volatile(L16("vmovdqu64", "zmm", "64") L16HI("vmovdqu64", "zmm", "64") "vzeroupper\n" :: [in] "r"(in) : XCLOB, XCLOBHI);
}
__attribute__((target("avx"))) static void clobber_ymm(void) {
  const vregs *in = &junk;
  __asm__ volatile(L16("vmovdqu", "ymm", "64") "vzeroupper\n" :: [in] "r"(in) : XCLOB);
}
static atomic_int fpu_handled;
static void fpu_clobberer(int sig, siginfo_t *si, void *uc) {
  (void)sig; (void)si; (void)uc;
  if (have_avx512) clobber_zmm();
  else if (have_avx) clobber_ymm();
  else { const vregs *in = &junk; __asm__ volatile(L16("movdqu", "xmm", "64") :: [in] "r"(in) : XCLOB); }
  set_mxcsr(0x1f80 | (1u << 13)); /* round down */
  volatile double d = 1.0;
  for (int i = 0; i < 100; i++) d = d * 1.000001 + 0.5;
  atomic_fetch_add(&fpu_handled, 1);
}

static void fill(vregs *v, unsigned seed) {
  uint64_t x = 0x9e3779b97f4a7c15ULL * (seed + 1);
  for (int r = 0; r < 32; r++) for (int i = 0; i < 64; i++) {
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    v->b[r][i] = (unsigned char)x;
  }
}

/* Compares the first `nregs` registers' first `width` bytes. */
static int same(const vregs *a, const vregs *b, int nregs, int width) {
  for (int r = 0; r < nregs; r++) if (memcmp(a->b[r], b->b[r], (size_t)width)) return 0;
  return 1;
}

typedef void (*around_fn)(const vregs *, vregs *, long, long, long, long);
static int width_of(around_fn f) { return f == zmm_around_syscall ? 64 : f == ymm_around_syscall ? 32 : 16; }
static int nregs_of(around_fn f) { return f == zmm_around_syscall ? 32 : 16; }
static around_fn widest(void) { return have_avx512 ? zmm_around_syscall : have_avx ? ymm_around_syscall : xmm_around_syscall; }

static void vec_across_signal(const char *name, around_fn f) {
  vregs in, out;
  fill(&in, 7);
  memset(&out, 0, sizeof out);
  int before = atomic_load(&fpu_handled);
  set_mxcsr(0x1f80 | (3u << 13)); /* round toward zero */
  f(&in, &out, SYS_tgkill, getpid(), sys_gettid(), SIGUSR1);
  unsigned m = get_mxcsr();
  set_mxcsr(0x1f80);
  printf("%s across a handler that clobbers them: %s (handler ran: %s, MXCSR kept: %s)\n", name,
         same(&in, &out, nregs_of(f), width_of(f)) ? "bit-exact" : "CHANGED", atomic_load(&fpu_handled) == before + 1 ? "yes" : "no",
         m == (0x1f80 | (3u << 13)) ? "yes" : "no");
}

/* Per-thread floating-point state: each thread sets its own SSE and x87 rounding mode and sums a
 * series with sched_yield in between; the sums must equal the ones computed alone, bit for bit. */
static volatile int series_n = 20000;
struct sums { double d; long double ld; };
static struct sums series(int mode, int yield_every) {
  set_mxcsr(0x1f80 | ((unsigned)mode << 13));
  unsigned short cw;
  __asm__ volatile("fnstcw %0" : "=m"(cw));
  unsigned short ncw = (unsigned short)((cw & ~0x0c00) | (mode << 10));
  __asm__ volatile("fldcw %0" ::"m"(ncw));
  volatile double d = 0;
  volatile long double ld = 0;
  for (int i = 1; i <= series_n; i++) {
    d = d + 1.0 / (double)i + (double)i * 1e-9;
    ld = ld + 1.0L / (long double)i;
    if (yield_every && i % yield_every == 0) sched_yield();
  }
  struct sums s = { d, ld };
  __asm__ volatile("fldcw %0" ::"m"(cw));
  set_mxcsr(0x1f80);
  return s;
}

static struct sums ref[4];
static pthread_barrier_t fpu_bar;
struct fpu_res { int sums_ok, vec_ok; };
static void *fpu_worker(void *arg) {
  int me = (int)(uintptr_t)arg;
  struct fpu_res *r = calloc(1, sizeof *r);
  pthread_barrier_wait(&fpu_bar);
  struct sums s = series(me % 4, 97);
  r->sums_ok = memcmp(&s.d, &ref[me % 4].d, sizeof s.d) == 0 && memcmp(&s.ld, &ref[me % 4].ld, 10) == 0;
  vregs in, out;
  around_fn f = widest();
  r->vec_ok = 1;
  for (int i = 0; i < 200; i++) {
    fill(&in, (unsigned)(me * 1000 + i));
    f(&in, &out, SYS_sched_yield, 0, 0, 0);
    if (!same(&in, &out, nregs_of(f), width_of(f))) r->vec_ok = 0;
  }
  return r;
}

static void fpu_test(void) {
  __builtin_cpu_init();
  have_avx = __builtin_cpu_supports("avx");
  have_avx512 = __builtin_cpu_supports("avx512f");
  fill(&junk, 99);
  install(SIGUSR1, fpu_clobberer, 0);
  vec_across_signal("xmm0-15", xmm_around_syscall);
  if (have_avx) vec_across_signal("ymm0-15", ymm_around_syscall);
  else printf("ymm0-15: skipped (no AVX)\n");
  if (have_avx512) vec_across_signal("zmm0-31", zmm_around_syscall);
  else printf("zmm0-31: skipped (no AVX-512)\n");

  volatile double x = 1.0 / 3.0;
  double before = x * 3.0 + x;
  raise(SIGUSR1);
  double after = x * 3.0 + x;
  check("compiler-held doubles across a handler", memcmp(&before, &after, sizeof before) == 0);

  for (int m = 0; m < 4; m++) ref[m] = series(m, 0);
  int distinct = memcmp(&ref[0].d, &ref[3].d, sizeof(double)) != 0 && memcmp(&ref[0].ld, &ref[3].ld, 10) != 0;
  check("the rounding modes give different sums (the test can see a mix-up)", distinct);
  enum { N = 4 };
  pthread_barrier_init(&fpu_bar, NULL, N + 1);
  pthread_t t[N];
  for (int i = 0; i < N; i++) die_if(pthread_create(&t[i], NULL, fpu_worker, (void *)(uintptr_t)i), "pthread_create");
  pthread_barrier_wait(&fpu_bar);
  struct sums mine = series(1, 89);
  int sums_ok = memcmp(&mine.d, &ref[1].d, sizeof mine.d) == 0 && memcmp(&mine.ld, &ref[1].ld, 10) == 0, vec_ok = 1;
  for (int i = 0; i < N; i++) {
    struct fpu_res *r;
    pthread_join(t[i], (void **)&r);
    sums_ok += r->sums_ok;
    vec_ok += r->vec_ok;
  }
  printf("threads whose per-thread rounding-mode sums matched bit for bit: %d of %d\n", sums_ok, N + 1);
  printf("threads whose vector registers survived 200 sched_yield calls: %d of %d\n", vec_ok, N + 1);
  printf("signal handlers run: %d\n", atomic_load(&fpu_handled));
}

/* ---- exit-group and friends ---- */
static int ex_pipe[2];
static pthread_mutex_t ex_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ex_c = PTHREAD_COND_INITIALIZER;
static sem_t ex_sem;
static atomic_int ex_started;
static void *blk_read(void *a) { (void)a; char c; atomic_fetch_add(&ex_started, 1); ssize_t n = read(ex_pipe[0], &c, 1); printf("read returned %zd\n", n); return NULL; }
static void *blk_cond(void *a) {
  (void)a;
  pthread_mutex_lock(&ex_m);
  atomic_fetch_add(&ex_started, 1);
  for (;;) pthread_cond_wait(&ex_c, &ex_m);
  return NULL;
}
static void *blk_sleep(void *a) { (void)a; atomic_fetch_add(&ex_started, 1); struct timespec ts = { 1000, 0 }; nanosleep(&ts, NULL); printf("nanosleep returned\n"); return NULL; }
static void *blk_sem(void *a) { (void)a; atomic_fetch_add(&ex_started, 1); sem_wait(&ex_sem); printf("sem_wait returned\n"); return NULL; }
static void *blk_sigwait(void *a) {
  (void)a;
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &s, NULL);
  atomic_fetch_add(&ex_started, 1);
  siginfo_t si;
  sigwaitinfo(&s, &si);
  printf("sigwaitinfo returned\n");
  return NULL;
}
static void at_exit_handler(void) { printf("atexit handler ran in the exiting thread: %s\n", sys_gettid() == getpid() ? "main" : "worker"); }

static void start_blockers(void) {
  if (pipe(ex_pipe)) { perror("pipe"); exit(1); }
  sem_init(&ex_sem, 0, 0);
  void *(*fns[])(void *) = { blk_read, blk_cond, blk_sleep, blk_sem, blk_sigwait };
  pthread_t t;
  for (unsigned i = 0; i < sizeof fns / sizeof *fns; i++) die_if(pthread_create(&t, NULL, fns[i], NULL), "pthread_create");
  while (atomic_load(&ex_started) < 5) sleep_ms(1);
  sleep_ms(20); /* give them time to block in the kernel */
}

static void exit_group_test(void) {
  atexit(at_exit_handler);
  start_blockers();
  printf("5 threads blocked; main calls exit(3)\n");
  exit(3);
}

static void *exit_four(void *a) {
  (void)a;
  sleep_ms(20);
  printf("worker calls exit(4)\n");
  exit(4);
}

static void exit_from_thread_test(void) {
  atexit(at_exit_handler);
  start_blockers();
  pthread_t t, never;
  die_if(pthread_create(&never, NULL, blk_sleep, NULL), "pthread_create");
  die_if(pthread_create(&t, NULL, exit_four, NULL), "pthread_create");
  pthread_join(never, NULL);
  printf("not reached\n");
}

static void *null_write(void *a) {
  (void)a;
  sleep_ms(20);
  printf("worker writes through NULL\n");
  fflush(stdout);
  *(volatile int *)0 = 1;
  return NULL;
}

static void fatal_in_thread_test(void) {
  start_blockers();
  pthread_t t;
  die_if(pthread_create(&t, NULL, null_write, NULL), "pthread_create");
  pthread_join(t, NULL);
  printf("not reached\n");
}

/* ---- all-handlers: a handler for every signal (as Go installs), threads that sleep and are
 * signalled: only the signals the payload sends arrive (a monitor's own interrupts must not) ---- */
static atomic_int seen[65];
static void counter(int sig, siginfo_t *si, void *uc) {
  (void)si; (void)uc;
  if (sig > 0 && sig <= 64) atomic_fetch_add(&seen[sig], 1);
  if (sig == SIGUSR1) recorder(sig, si, uc);
}
static void all_handlers_test(void) {
  int installed = 0;
  for (int sig = 1; sig <= SIGRTMAX; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = counter;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) == 0) installed++; /* libc keeps a few real-time signals */
  }
  check("handlers installed for the standard and real-time signals", installed >= 58);
  pthread_t t[NW];
  for (int i = 0; i < NW; i++) die_if(pthread_create(&t[i], NULL, idle_worker, (void *)(uintptr_t)i), "pthread_create");
  for (int i = 0; i < NW; i++) wait_flag(&wready[i]);
  int ok = 1;
  for (int i = 0; i < 100 && ok; i++) {
    pthread_kill(t[i % NW], SIGUSR1);
    ok = wait_count(i + 1);
  }
  check("100 SIGUSR1 sent to sleeping workers, each handled", ok);
  atomic_store(&release_workers, 1);
  for (int i = 0; i < NW; i++) pthread_join(t[i], NULL);
  int others = 0;
  for (int sig = 1; sig <= 64; sig++) if (sig != SIGUSR1 && atomic_load(&seen[sig])) { printf("unexpected signal %d, %d times\n", sig, atomic_load(&seen[sig])); others++; }
  printf("SIGUSR1 handled: %d; other signals: %s\n", atomic_load(&seen[SIGUSR1]), others ? "some" : "none");
}

/* ---- sigprocmask ---- */
static long raw_mask(long how, const void *set, void *old, long size) {
  long r = syscall(SYS_rt_sigprocmask, how, set, old, size);
  return r < 0 ? -errno : r;
}
static unsigned long long mask_now(void) {
  unsigned long long m = 0;
  raw_mask(SIG_BLOCK, NULL, &m, 8);
  return m;
}
#define SBIT(s) (1ull << ((s) - 1))
/* a raw result as an errno name (0 for success) */
static const char *rname(long r) { return errname(r < 0 ? (int)-r : 0); }

static atomic_int spin_stop, spin_ready;
static void *mask_spinner(void *arg) {
  (void)arg;
  unsigned long long none = 0, old;
  atomic_store(&spin_ready, 1);
  /* nothing but the call: no other exit from the guest while signals arrive */
  while (!atomic_load(&spin_stop)) raw_mask(SIG_BLOCK, &none, &old, 8);
  return NULL;
}

static atomic_int unblock_seen;
static void *unblock_worker(void *arg) {
  (void)arg;
  unsigned long long u2 = SBIT(SIGUSR2);
  while (atomic_load(&unblock_seen) < 1) sleep_ms(1);
  int before = atomic_load(&h_count);
  raw_mask(SIG_UNBLOCK, &u2, NULL, 8);
  atomic_store(&unblock_seen, atomic_load(&h_count) == before + 1 && h_tid == sys_gettid() ? 2 : 3);
  return NULL;
}

static void sigprocmask_test(void) {
  unsigned long long start = mask_now(), set, old;
  set = SBIT(SIGUSR1);
  long r = raw_mask(SIG_BLOCK, &set, &old, 8);
  printf("SIG_BLOCK USR1: %s, old had USR1: %s, now blocked: %s\n", rname(r), old & SBIT(SIGUSR1) ? "yes" : "no",
         mask_now() & SBIT(SIGUSR1) ? "yes" : "no");
  set = SBIT(SIGUSR2);
  r = raw_mask(SIG_BLOCK, &set, NULL, 8);
  printf("SIG_BLOCK USR2 too: %s, both blocked: %s\n", rname(r), (mask_now() & (SBIT(SIGUSR1) | SBIT(SIGUSR2))) == (SBIT(SIGUSR1) | SBIT(SIGUSR2)) ? "yes" : "no");
  set = SBIT(SIGUSR1);
  r = raw_mask(SIG_UNBLOCK, &set, &old, 8);
  printf("SIG_UNBLOCK USR1: %s, old had both: %s, now USR1 %s, USR2 %s\n", rname(r),
         (old & (SBIT(SIGUSR1) | SBIT(SIGUSR2))) == (SBIT(SIGUSR1) | SBIT(SIGUSR2)) ? "yes" : "no",
         mask_now() & SBIT(SIGUSR1) ? "blocked" : "unblocked", mask_now() & SBIT(SIGUSR2) ? "blocked" : "unblocked");
  set = ~0ull;
  r = raw_mask(SIG_SETMASK, &set, NULL, 8);
  unsigned long long all = mask_now();
  printf("SIG_SETMASK all: %s, SIGKILL blocked: %s, SIGSTOP blocked: %s, SIGTERM blocked: %s, SIGRTMAX blocked: %s\n", rname(r),
         all & SBIT(SIGKILL) ? "yes" : "no", all & SBIT(SIGSTOP) ? "yes" : "no", all & SBIT(SIGTERM) ? "yes" : "no", all & SBIT(64) ? "yes" : "no");
  set = start;
  raw_mask(SIG_SETMASK, &set, NULL, 8);
  printf("SIG_SETMASK back: the mask is the starting one: %s\n", mask_now() == start ? "yes" : "no");
  set = SBIT(SIGUSR1);
  printf("how 3 with a set: %s\n", rname(raw_mask(3, &set, NULL, 8)));
  printf("how -1 with a set: %s\n", rname(raw_mask(-1, &set, NULL, 8)));
  printf("how 3 without a set: %s\n", rname(raw_mask(3, NULL, &old, 8)));
  printf("sigsetsize 4: %s, sigsetsize 16: %s\n", rname(raw_mask(SIG_BLOCK, &set, NULL, 4)), rname(raw_mask(SIG_BLOCK, &set, NULL, 16)));
  printf("mask unchanged by the failures: %s\n", mask_now() == start ? "yes" : "no");
  printf("set and old set NULL: %s\n", rname(raw_mask(SIG_BLOCK, NULL, NULL, 8)));
  printf("unmapped set: %s, mask unchanged: %s\n", rname(raw_mask(SIG_BLOCK, (void *)8, NULL, 8)), mask_now() == start ? "yes" : "no");
  void *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  set = SBIT(SIGUSR1);
  r = raw_mask(SIG_BLOCK, &set, ro, 8);
  printf("read-only old set: %s, USR1 blocked anyway (Linux changes the mask first): %s\n", rname(r), mask_now() & SBIT(SIGUSR1) ? "yes" : "no");
  r = raw_mask(SIG_BLOCK, &set, (void *)8, 8);
  printf("unmapped old set: %s\n", rname(r));
  munmap(ro, 4096);
  set = start;
  raw_mask(SIG_SETMASK, &set, NULL, 8);

  /* a pending signal is delivered as the call that unblocks it returns */
  install(SIGUSR1, recorder, 0);
  install(SIGUSR2, recorder, 0);
  set = SBIT(SIGUSR1);
  raw_mask(SIG_BLOCK, &set, NULL, 8);
  syscall(SYS_tgkill, getpid(), sys_gettid(), SIGUSR1);
  int before = atomic_load(&h_count);
  raw_mask(SIG_UNBLOCK, &set, NULL, 8);
  printf("thread-directed USR1 pending, unblocked: handled before the call returned: %s\n", atomic_load(&h_count) == before + 1 ? "yes" : "no");

  /* process-directed: main and the worker block USR2; the worker unblocks it */
  set = SBIT(SIGUSR2);
  raw_mask(SIG_BLOCK, &set, NULL, 8);
  pthread_t w;
  die_if(pthread_create(&w, NULL, unblock_worker, NULL), "pthread_create");
  kill(getpid(), SIGUSR2);
  atomic_store(&unblock_seen, 1);
  pthread_join(w, NULL);
  printf("process-directed USR2 pending, a worker unblocks it: handled by the worker before its call returned: %s\n",
         atomic_load(&unblock_seen) == 2 ? "yes" : "no");
  raw_mask(SIG_UNBLOCK, &set, NULL, 8);

  /* signals to a thread that only calls rt_sigprocmask: aimed at it, then process-directed */
  pthread_t sp;
  die_if(pthread_create(&sp, NULL, mask_spinner, NULL), "pthread_create");
  wait_flag(&spin_ready);
  const int N = 200;
  int got = 0;
  for (int i = 0; i < N; i++) {
    int c = atomic_load(&h_count);
    pthread_kill(sp, SIGUSR1);
    if (!wait_count(c + 1)) break;
    got++;
  }
  printf("pthread_kill to a thread spinning in rt_sigprocmask: handled %d of %d\n", got, N);
  set = SBIT(SIGUSR1);
  raw_mask(SIG_BLOCK, &set, NULL, 8);
  got = 0;
  for (int i = 0; i < N; i++) {
    int c = atomic_load(&h_count);
    kill(getpid(), SIGUSR1);
    if (!wait_count(c + 1)) break;
    got++;
  }
  printf("kill(getpid()) while main blocks it: handled by the spinning thread %d of %d\n", got, N);
  atomic_store(&spin_stop, 1);
  pthread_join(sp, NULL);
  raw_mask(SIG_UNBLOCK, &set, NULL, 8);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char *m = argc > 1 ? argv[1] : "";
  if (!strcmp(m, "tgkill")) tgkill_test();
  else if (!strcmp(m, "mask")) mask_test();
  else if (!strcmp(m, "sigwait")) sigwait_test();
  else if (!strcmp(m, "sigsuspend")) sigsuspend_test();
  else if (!strcmp(m, "altstack-segv")) altstack_test();
  else if (!strcmp(m, "fpe")) fpe_test();
  else if (!strcmp(m, "fpu")) fpu_test();
  else if (!strcmp(m, "exit-group")) exit_group_test();
  else if (!strcmp(m, "exit-from-thread")) exit_from_thread_test();
  else if (!strcmp(m, "fatal-in-thread")) fatal_in_thread_test();
  else if (!strcmp(m, "all-handlers")) all_handlers_test();
  else if (!strcmp(m, "sigprocmask")) sigprocmask_test();
  else {
    fprintf(stderr, "usage: thread-signals tgkill|mask|sigwait|sigsuspend|altstack-segv|fpe|fpu|exit-group|exit-from-thread|fatal-in-thread|all-handlers|sigprocmask\n");
    return 2;
  }
  return finish();
}
