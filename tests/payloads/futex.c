/*
 * futex(2) through raw syscall(SYS_futex, ...), and robust mutexes. Prints "what: ok/FAIL" lines
 * and exact return values, then "failures: N". `futex [part]`: errors (EAGAIN, timeouts relative and
 * absolute on both clocks, EINVAL/EFAULT/ENOSYS, WAKE_OP arithmetic), wake (WAKE counts, REQUEUE,
 * CMP_REQUEUE, WAKE_OP with waiters), shared (a MAP_SHARED word), robust (EOWNERDEAD,
 * ENOTRECOVERABLE), join (CLONE_CHILD_CLEARTID); no argument or `all`: all of them (~0.3 s).
 *
 * Counting return values of WAKE and REQUEUE needs the waiters to be asleep in the kernel, which
 * user space cannot observe directly. So the waiters first sleep on `gate`, and the main thread
 * moves them with FUTEX_CMP_REQUEUE (wake 0, requeue all) onto `park` until it has moved every one
 * of them: a requeued waiter is asleep on `park` for sure, and stays there until woken. Every count
 * printed after that is exact.
 */
// build-flags: -pthread
#define _GNU_SOURCE
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "common.h"

/* The kernel's futex ABI (musl-gcc has no <linux/futex.h>) */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP 5
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_WAIT_PRIVATE (FUTEX_WAIT | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_PRIVATE (FUTEX_WAKE | FUTEX_PRIVATE_FLAG)
#define FUTEX_REQUEUE_PRIVATE (FUTEX_REQUEUE | FUTEX_PRIVATE_FLAG)
#define FUTEX_CMP_REQUEUE_PRIVATE (FUTEX_CMP_REQUEUE | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_OP_PRIVATE (FUTEX_WAKE_OP | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAIT_BITSET_PRIVATE (FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_BITSET_PRIVATE (FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG)
#define FUTEX_BITSET_MATCH_ANY 0xffffffffu
#define FUTEX_OP_SET 0
#define FUTEX_OP_ADD 1
#define FUTEX_OP_OR 2
#define FUTEX_OP_ANDN 3
#define FUTEX_OP_XOR 4
#define FUTEX_OP_OPARG_SHIFT 8
#define FUTEX_OP_CMP_EQ 0
#define FUTEX_OP_CMP_GE 5
#define FUTEX_OP(op, oparg, cmp, cmparg) \
  ((((op) & 0xfu) << 28) | (((cmp) & 0xfu) << 24) | (((oparg) & 0xfffu) << 12) | ((cmparg) & 0xfffu))

static long futex(void *uaddr, int op, uint32_t val, const void *timeout_or_val2, void *uaddr2, uint32_t val3) {
  return syscall(SYS_futex, uaddr, op, val, timeout_or_val2, uaddr2, val3);
}

static const char *ename(int e) {
  switch (e) {
  case EOWNERDEAD: return "EOWNERDEAD";
  case ENOTRECOVERABLE: return "ENOTRECOVERABLE";
  case EDEADLK: return "EDEADLK";
  default: return errname(e);
  }
}

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

static struct timespec deadline_ms(clockid_t c, long ms) {
  struct timespec t;
  clock_gettime(c, &t);
  t.tv_sec += ms / 1000;
  t.tv_nsec += (ms % 1000) * 1000000L;
  if (t.tv_nsec >= 1000000000L) { t.tv_sec++; t.tv_nsec -= 1000000000L; }
  if (t.tv_nsec < 0) { t.tv_sec--; t.tv_nsec += 1000000000L; }
  return t;
}

static int reached(clockid_t c, const struct timespec *dl) {
  struct timespec t;
  clock_gettime(c, &t);
  return t.tv_sec > dl->tv_sec || (t.tv_sec == dl->tv_sec && t.tv_nsec >= dl->tv_nsec);
}

/* ---- single-threaded: errors and timeouts ---- */
static void timeouts(void) {
  _Alignas(4) uint32_t w = 5;
  long r = futex(&w, FUTEX_WAIT_PRIVATE, 6, NULL, NULL, 0);
  expect_err("FUTEX_WAIT with a value mismatch", r, EAGAIN);
  r = futex(&w, FUTEX_WAIT, 6, NULL, NULL, 0);
  expect_err("FUTEX_WAIT (shared) with a value mismatch", r, EAGAIN);

  struct timespec rel = { 0, 20 * 1000000L };
  double t0 = now_ms(CLOCK_MONOTONIC);
  r = futex(&w, FUTEX_WAIT_PRIVATE, 5, &rel, NULL, 0);
  double el = now_ms(CLOCK_MONOTONIC) - t0;
  expect_err("FUTEX_WAIT 20 ms relative timeout", r, ETIMEDOUT);
  check("  it waited at least 20 ms", el >= 19.9);

  struct timespec dl = deadline_ms(CLOCK_MONOTONIC, 20);
  r = futex(&w, FUTEX_WAIT_BITSET_PRIVATE, 5, &dl, NULL, FUTEX_BITSET_MATCH_ANY);
  expect_err("FUTEX_WAIT_BITSET absolute CLOCK_MONOTONIC deadline", r, ETIMEDOUT);
  check("  not before the deadline", reached(CLOCK_MONOTONIC, &dl));

  dl = deadline_ms(CLOCK_REALTIME, 20);
  r = futex(&w, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 5, &dl, NULL, FUTEX_BITSET_MATCH_ANY);
  expect_err("FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME absolute deadline", r, ETIMEDOUT);
  check("  not before the deadline", reached(CLOCK_REALTIME, &dl));

  dl = deadline_ms(CLOCK_MONOTONIC, -1000);
  r = futex(&w, FUTEX_WAIT_BITSET_PRIVATE, 5, &dl, NULL, FUTEX_BITSET_MATCH_ANY);
  expect_err("FUTEX_WAIT_BITSET with a deadline in the past", r, ETIMEDOUT);

  struct timespec zero = { 0, 0 };
  r = futex(&w, FUTEX_WAIT_PRIVATE, 5, &zero, NULL, 0);
  expect_err("FUTEX_WAIT with a zero timeout", r, ETIMEDOUT);

  struct timespec bad = { 0, 1000000000L };
  r = futex(&w, FUTEX_WAIT_PRIVATE, 5, &bad, NULL, 0);
  expect_err("FUTEX_WAIT with tv_nsec 1e9", r, EINVAL);
  dl = deadline_ms(CLOCK_MONOTONIC, 20);
  r = futex(&w, FUTEX_WAIT_BITSET_PRIVATE, 5, &dl, NULL, 0);
  expect_err("FUTEX_WAIT_BITSET with bitset 0", r, EINVAL);
  r = futex((char *)&w + 1, FUTEX_WAIT_PRIVATE, 5, &rel, NULL, 0);
  expect_err("FUTEX_WAIT on a misaligned address", r, EINVAL);
  r = futex((void *)0x10, FUTEX_WAIT_PRIVATE, 5, &rel, NULL, 0);
  expect_err("FUTEX_WAIT on an unmapped address", r, EFAULT);
  r = futex(&w, 99, 0, NULL, NULL, 0);
  expect_err("an unknown futex op", r, ENOSYS);

  r = futex(&w, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0);
  printf("FUTEX_WAKE with no waiters: %ld\n", r);
  _Alignas(4) uint32_t w2 = 0;
  r = futex(&w, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)(uintptr_t)INT_MAX, &w2, 4);
  expect_err("FUTEX_CMP_REQUEUE with a value mismatch", r, EAGAIN);
  r = futex(&w, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)(uintptr_t)INT_MAX, &w2, 5);
  printf("FUTEX_CMP_REQUEUE with a match and no waiters: %ld\n", r);

  /* FUTEX_WAKE_OP's operations on the second word, with no waiters (returns 0 woken) */
  static const struct { const char *name; uint32_t op; uint32_t start, want; } ops[] = {
    { "SET 7", FUTEX_OP(FUTEX_OP_SET, 7, FUTEX_OP_CMP_EQ, 0), 1, 7 },
    { "ADD 5", FUTEX_OP(FUTEX_OP_ADD, 5, FUTEX_OP_CMP_EQ, 0), 10, 15 },
    { "OR 0x30", FUTEX_OP(FUTEX_OP_OR, 0x30, FUTEX_OP_CMP_EQ, 0), 0x03, 0x33 },
    { "ANDN 0x6", FUTEX_OP(FUTEX_OP_ANDN, 0x6, FUTEX_OP_CMP_EQ, 0), 0xf, 0x9 },
    { "XOR 0xff", FUTEX_OP(FUTEX_OP_XOR, 0xff, FUTEX_OP_CMP_EQ, 0), 0x0f, 0xf0 },
    { "SET 1<<4 (OPARG_SHIFT)", FUTEX_OP(FUTEX_OP_SET | FUTEX_OP_OPARG_SHIFT, 4, FUTEX_OP_CMP_EQ, 0), 0, 16 },
  };
  for (unsigned i = 0; i < sizeof ops / sizeof *ops; i++) {
    w2 = ops[i].start;
    r = futex(&w, FUTEX_WAKE_OP_PRIVATE, 1, (void *)(uintptr_t)1, &w2, ops[i].op);
    printf("FUTEX_WAKE_OP %s: returns %ld, word 0x%x -> 0x%x\n", ops[i].name, r, ops[i].start, w2);
    if (w2 != ops[i].want) { printf("  FAIL (expected 0x%x)\n", ops[i].want); failures++; }
  }
}

/* ---- waiters ---- */
static _Alignas(4) uint32_t gate, park, park2, stop;
static atomic_int woke;

/* Sleeps until `stop` is nonzero; whichever futex it ends up on, a wake makes it recheck `stop`. */
static void *waiter(void *arg) {
  uint32_t *word = arg;
  while (!__atomic_load_n(&stop, __ATOMIC_SEQ_CST)) futex(word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
  atomic_fetch_add(&woke, 1);
  return NULL;
}

/* Moves waiters from `from` to `to` until `n` have been moved (10 s at most). */
static int requeue_all(uint32_t *from, uint32_t *to, int n) {
  int moved = 0;
  for (int i = 0; i < 10000 && moved < n; i++) {
    long r = futex(from, FUTEX_CMP_REQUEUE_PRIVATE, 0, (void *)(uintptr_t)INT_MAX, to, *from);
    if (r > 0) moved += (int)r;
    else if (r == 0) sleep_ms(1);
  }
  return moved;
}

static void start(pthread_t *t, int n, uint32_t *word) {
  for (int i = 0; i < n; i++) die_if(pthread_create(&t[i], NULL, waiter, word), "pthread_create");
}

static void join(pthread_t *t, int n) {
  for (int i = 0; i < n; i++) pthread_join(t[i], NULL);
}

static void wake_and_requeue(void) {
  pthread_t t[4];
  gate = park = park2 = stop = 0;
  atomic_store(&woke, 0);
  start(t, 3, &gate);
  printf("3 waiters moved gate -> park by CMP_REQUEUE: %d\n", requeue_all(&gate, &park, 3));
  __atomic_store_n(&stop, 1, __ATOMIC_SEQ_CST);
  printf("FUTEX_WAKE(park, 2): %ld\n", futex(&park, FUTEX_WAKE_PRIVATE, 2, NULL, NULL, 0));
  printf("FUTEX_WAKE(park, INT_MAX): %ld\n", futex(&park, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0));
  printf("FUTEX_WAKE(park, 1): %ld\n", futex(&park, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0));
  join(t, 3);
  printf("threads that returned: %d\n", atomic_load(&woke));

  /* FUTEX_REQUEUE: wake 1, move 1, leave 1 */
  stop = 0;
  atomic_store(&woke, 0);
  start(t, 3, &gate);
  printf("3 waiters parked: %d\n", requeue_all(&gate, &park, 3));
  __atomic_store_n(&stop, 1, __ATOMIC_SEQ_CST);
  long r = futex(&park, FUTEX_REQUEUE_PRIVATE, 1, (void *)(uintptr_t)1, &park2, 0);
  printf("FUTEX_REQUEUE(park, wake 1, requeue 1 -> park2): %ld\n", r);
  printf("FUTEX_WAKE(park2, 10): %ld\n", futex(&park2, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0));
  printf("FUTEX_WAKE(park, 10): %ld\n", futex(&park, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0));
  join(t, 3);
  printf("threads that returned: %d\n", atomic_load(&woke));

  /* FUTEX_CMP_REQUEUE with wakes: wake 2, move the other 2 */
  stop = 0;
  atomic_store(&woke, 0);
  start(t, 4, &gate);
  printf("4 waiters parked: %d\n", requeue_all(&gate, &park, 4));
  __atomic_store_n(&stop, 1, __ATOMIC_SEQ_CST);
  r = futex(&park, FUTEX_CMP_REQUEUE_PRIVATE, 2, (void *)(uintptr_t)INT_MAX, &park2, 0);
  printf("FUTEX_CMP_REQUEUE(park, wake 2, requeue all -> park2): %ld\n", r);
  printf("FUTEX_WAKE(park, 10): %ld\n", futex(&park, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0));
  printf("FUTEX_WAKE(park2, 10): %ld\n", futex(&park2, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0));
  join(t, 4);
  printf("threads that returned: %d\n", atomic_load(&woke));

  /* FUTEX_WAKE_OP: one waiter on each word; the comparison decides whether the second is woken */
  stop = 0;
  atomic_store(&woke, 0);
  start(t, 2, &gate);
  printf("2 waiters parked: %d\n", requeue_all(&gate, &park, 2));
  printf("one of them moved to park2: %ld\n", futex(&park, FUTEX_REQUEUE_PRIVATE, 0, (void *)(uintptr_t)1, &park2, 0));
  __atomic_store_n(&stop, 1, __ATOMIC_SEQ_CST);
  park2 = 3;
  r = futex(&park, FUTEX_WAKE_OP_PRIVATE, 1, (void *)(uintptr_t)1, &park2, FUTEX_OP(FUTEX_OP_SET, 9, FUTEX_OP_CMP_EQ, 4));
  printf("FUTEX_WAKE_OP(park, 1, park2: SET 9 if old == 4): %ld, park2 = %u\n", r, park2);
  r = futex(&park, FUTEX_WAKE_OP_PRIVATE, 1, (void *)(uintptr_t)1, &park2, FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_GE, 9));
  printf("FUTEX_WAKE_OP(park, 1, park2: ADD 1 if old >= 9): %ld, park2 = %u\n", r, park2);
  join(t, 2);
  printf("threads that returned: %d\n", atomic_load(&woke));

  /* FUTEX_WAKE_BITSET wakes only waiters whose bitset intersects */
  static _Alignas(4) uint32_t bw;
  bw = 0;
  r = futex(&bw, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, NULL, NULL, 0x2);
  printf("FUTEX_WAKE_BITSET with no waiters: %ld\n", r);
}

/* A shared (non-private) futex word in a MAP_SHARED page, woken by another thread */
static uint32_t *shared_word;
static void *wake_shared(void *arg) {
  (void)arg;
  sleep_ms(20);
  __atomic_store_n(shared_word, 1, __ATOMIC_SEQ_CST);
  futex(shared_word, FUTEX_WAKE, 1, NULL, NULL, 0);
  return NULL;
}

static void shared_futex(void) {
  shared_word = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared_word == MAP_FAILED) { perror("mmap"); exit(1); }
  *shared_word = 0;
  pthread_t t;
  die_if(pthread_create(&t, NULL, wake_shared, NULL), "pthread_create");
  struct timespec to = { 5, 0 };
  int ok = 1;
  while (__atomic_load_n(shared_word, __ATOMIC_SEQ_CST) == 0) {
    long r = futex(shared_word, FUTEX_WAIT, 0, &to, NULL, 0);
    if (r == -1 && errno != EAGAIN && errno != EINTR) { ok = 0; break; }
  }
  pthread_join(t, NULL);
  check("FUTEX_WAIT on a MAP_SHARED word, woken by FUTEX_WAKE from another thread", ok && *shared_word == 1);
}

/* ---- robust mutexes: the kernel walks the dead owner's robust list ---- */
static pthread_mutex_t robust;
static atomic_int holding;
static void *lock_and_die(void *arg) {
  long linger = (long)(intptr_t)arg;
  pthread_mutex_lock(&robust);
  atomic_store(&holding, 1);
  if (linger) sleep_ms(linger);
  return NULL; /* exits holding the mutex */
}

static void robust_mutex(void) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  /* musl asks the kernel first (get_robust_list) and fails with its error: the mutex would then
   * not be robust, and the locks below would wait forever */
  int se = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  printf("pthread_mutexattr_setrobust: %s\n", ename(se));
  if (se) { failures++; return; }
  pthread_mutex_init(&robust, &a);

  /* the owner is already gone when the next locker comes */
  pthread_t t;
  die_if(pthread_create(&t, NULL, lock_and_die, (void *)0), "pthread_create");
  pthread_join(t, NULL);
  int e = pthread_mutex_lock(&robust);
  printf("lock after the owner exited: %s\n", ename(e));
  if (e == EOWNERDEAD) check("pthread_mutex_consistent", pthread_mutex_consistent(&robust) == 0);
  check("unlock", pthread_mutex_unlock(&robust) == 0);
  e = pthread_mutex_lock(&robust);
  printf("lock again: %s\n", ename(e));
  pthread_mutex_unlock(&robust);

  /* the next locker is already asleep in the kernel when the owner exits */
  atomic_store(&holding, 0);
  die_if(pthread_create(&t, NULL, lock_and_die, (void *)30), "pthread_create");
  while (!atomic_load(&holding)) sleep_ms(1);
  e = pthread_mutex_lock(&robust); /* blocks until the owner thread exits */
  printf("lock while the owner exits: %s\n", ename(e));
  pthread_join(t, NULL);
  /* not made consistent: unlocking makes it unusable */
  pthread_mutex_unlock(&robust);
  e = pthread_mutex_lock(&robust);
  printf("lock after unlocking without pthread_mutex_consistent: %s\n", ename(e));

  /* trylock sees a dead owner too */
  pthread_mutex_init(&robust, &a); /* a fresh one in place of the unrecoverable one */
  die_if(pthread_create(&t, NULL, lock_and_die, (void *)0), "pthread_create");
  pthread_join(t, NULL);
  e = pthread_mutex_trylock(&robust);
  printf("trylock after the owner exited: %s\n", ename(e));
  if (e == EOWNERDEAD) pthread_mutex_consistent(&robust);
  pthread_mutex_unlock(&robust);
}

/* pthread_join itself waits on the CLONE_CHILD_CLEARTID word the kernel clears when a thread exits */
static void *ret7(void *arg) { (void)arg; sleep_ms(10); return (void *)7; }
static void join_cleartid(void) {
  int ok = 1;
  for (int i = 0; i < 20; i++) {
    pthread_t t;
    void *r = NULL;
    die_if(pthread_create(&t, NULL, ret7, NULL), "pthread_create");
    if (pthread_join(t, &r) || r != (void *)7) ok = 0;
  }
  check("20 pthread_joins of threads still running (CLONE_CHILD_CLEARTID wakes)", ok);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char *m = argc > 1 ? argv[1] : "all";
  int all = !strcmp(m, "all"), any = 0;
  if (all || !strcmp(m, "errors")) { timeouts(); any = 1; }
  if (all || !strcmp(m, "wake")) { wake_and_requeue(); any = 1; }
  if (all || !strcmp(m, "shared")) { shared_futex(); any = 1; }
  if (all || !strcmp(m, "robust")) { robust_mutex(); any = 1; }
  if (all || !strcmp(m, "join")) { join_cleartid(); any = 1; }
  if (!any) { fprintf(stderr, "usage: futex [all|errors|wake|shared|robust|join]\n"); return 2; }
  return finish();
}
