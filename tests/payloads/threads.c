/*
 * POSIX threads: `threads <mode>`, one topic per mode. Each mode prints checked totals and
 * "what: ok/FAIL" lines, then "failures: N" (exit 1 when N > 0).
 *
 *   create-join N [live]  N threads in all, at most `live` (default 16) alive at once, each returns
 *                         i*i+1; the sum of the join values is checked. Then 100 threads created
 *                         and joined one at a time with default attributes (stack reuse).
 *   mutex                 8 threads x 20000 increments under one mutex; trylock on a held mutex
 *   condvar               2 producers, 2 consumers over an 8-slot queue: count and checksum
 *   rwlock                4 readers see two counters equal, 2 writers bump both; tryrdlock EBUSY
 *   barrier               4 threads x 50 rounds; exactly one PTHREAD_BARRIER_SERIAL_THREAD a round
 *   tls                   __thread (initialised and zero) per thread, pthread_key destructors
 *   cancel                pthread_cancel of threads blocked in read() on a pipe and in sleep(),
 *                         cleanup handlers, disabled cancellation deferred to pthread_testcancel
 *   tid                   gettid distinct in 8 threads, getpid the same, main's tid == pid
 *   detach                50 detached threads post a semaphore the main thread waits on
 *   main-exit             main calls pthread_exit; the last thread to finish ends the process: 0
 */
// build-flags: -pthread
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "common.h"

/* errno names common.h does not know */
static const char *ename(int e) {
  switch (e) {
  case EDEADLK: return "EDEADLK";
  case EOWNERDEAD: return "EOWNERDEAD";
  case ENOTRECOVERABLE: return "ENOTRECOVERABLE";
  default: return errname(e);
  }
}

static pid_t sys_gettid(void) { return (pid_t)syscall(SYS_gettid); }

static void sleep_ms(long ms) {
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {}
}

static void die_if(int err, const char *what) {
  if (err) { printf("%s: FAIL (%s)\n", what, errname(err)); fflush(stdout); exit(1); }
}

/* ---- create-join ---- */
static void *ret_square(void *arg) {
  uintptr_t i = (uintptr_t)arg;
  return (void *)(i * i + 1);
}

static void create_join(long n, long live) {
  if (n < 1 || live < 1) { printf("bad arguments\n"); exit(2); }
  pthread_t *t = calloc((size_t)live, sizeof *t);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  die_if(pthread_attr_setstacksize(&attr, 64 * 1024), "pthread_attr_setstacksize");
  uint64_t sum = 0, want = 0;
  long made = 0;
  while (made < n) {
    long batch = n - made < live ? n - made : live;
    for (long k = 0; k < batch; k++) die_if(pthread_create(&t[k], &attr, ret_square, (void *)(uintptr_t)(made + k)), "pthread_create");
    for (long k = 0; k < batch; k++) {
      void *r;
      die_if(pthread_join(t[k], &r), "pthread_join");
      sum += (uint64_t)(uintptr_t)r;
    }
    made += batch;
  }
  for (long i = 0; i < n; i++) want += (uint64_t)(i * i + 1);
  printf("created and joined: %ld, at most %ld alive\n", made, live);
  printf("sum of return values: %llu\n", (unsigned long long)sum);
  check("sum matches", sum == want);

  /* default attributes, one at a time: the libc may reuse a cached stack */
  uint64_t sum2 = 0;
  for (uintptr_t i = 0; i < 100; i++) {
    pthread_t th;
    void *r;
    die_if(pthread_create(&th, NULL, ret_square, (void *)i), "pthread_create (default attributes)");
    die_if(pthread_join(th, &r), "pthread_join");
    sum2 += (uint64_t)(uintptr_t)r;
  }
  printf("sequential default-attribute threads: sum %llu\n", (unsigned long long)sum2);
  check("sequential sum matches", sum2 == 328350 + 100);
}

/* ---- mutex ---- */
static pthread_mutex_t mtx = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static void *mutex_worker(void *arg) {
  (void)arg;
  for (int i = 0; i < 20000; i++) {
    pthread_mutex_lock(&mtx);
    counter++;
    pthread_mutex_unlock(&mtx);
  }
  return NULL;
}
static void *try_other(void *arg) {
  (void)arg;
  return (void *)(intptr_t)pthread_mutex_trylock(&mtx);
}

static void mutex_test(void) {
  pthread_t t[8];
  for (int i = 0; i < 8; i++) die_if(pthread_create(&t[i], NULL, mutex_worker, NULL), "pthread_create");
  for (int i = 0; i < 8; i++) pthread_join(t[i], NULL);
  printf("counter: %ld\n", counter);
  check("counter is 8 x 20000", counter == 160000);
  pthread_mutex_lock(&mtx);
  pthread_t o;
  void *r;
  pthread_create(&o, NULL, try_other, NULL);
  pthread_join(o, &r);
  pthread_mutex_unlock(&mtx);
  printf("trylock of a mutex held by another thread: %s\n", errname((int)(intptr_t)r));
  check("trylock is EBUSY", (intptr_t)r == EBUSY);

  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK);
  pthread_mutex_t em;
  pthread_mutex_init(&em, &ma);
  pthread_mutex_lock(&em);
  int e = pthread_mutex_lock(&em);
  printf("errorcheck relock: %s\n", ename(e));
  check("errorcheck relock is EDEADLK", e == EDEADLK);
  pthread_mutex_unlock(&em);
  pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_t rm;
  pthread_mutex_init(&rm, &ma);
  int ok = 1;
  for (int i = 0; i < 5; i++) ok &= pthread_mutex_lock(&rm) == 0;
  for (int i = 0; i < 5; i++) ok &= pthread_mutex_unlock(&rm) == 0;
  check("recursive mutex locked 5 times and unlocked", ok);
}

/* ---- condvar ---- */
#define QSIZE 8
#define PER_PRODUCER 10000
static struct {
  pthread_mutex_t m;
  pthread_cond_t not_full, not_empty;
  unsigned q[QSIZE];
  int head, len, producers_left;
} Q = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, { 0 }, 0, 0, 2 };

static void *producer(void *arg) {
  unsigned base = (unsigned)(uintptr_t)arg * 1000000u;
  for (unsigned i = 1; i <= PER_PRODUCER; i++) {
    pthread_mutex_lock(&Q.m);
    while (Q.len == QSIZE) pthread_cond_wait(&Q.not_full, &Q.m);
    Q.q[(Q.head + Q.len) % QSIZE] = base + i;
    Q.len++;
    pthread_cond_signal(&Q.not_empty);
    pthread_mutex_unlock(&Q.m);
  }
  pthread_mutex_lock(&Q.m);
  Q.producers_left--;
  pthread_cond_broadcast(&Q.not_empty);
  pthread_mutex_unlock(&Q.m);
  return NULL;
}

struct consumed { uint64_t count, sum; };
static void *consumer(void *arg) {
  struct consumed *c = arg;
  for (;;) {
    pthread_mutex_lock(&Q.m);
    while (Q.len == 0 && Q.producers_left > 0) pthread_cond_wait(&Q.not_empty, &Q.m);
    if (Q.len == 0) { pthread_mutex_unlock(&Q.m); return NULL; }
    unsigned v = Q.q[Q.head];
    Q.head = (Q.head + 1) % QSIZE;
    Q.len--;
    pthread_cond_signal(&Q.not_full);
    pthread_mutex_unlock(&Q.m);
    c->count++;
    c->sum += v;
  }
}

static void condvar_test(void) {
  pthread_t p[2], c[2];
  struct consumed got[2] = { { 0, 0 }, { 0, 0 } };
  for (int i = 0; i < 2; i++) die_if(pthread_create(&c[i], NULL, consumer, &got[i]), "pthread_create");
  for (int i = 0; i < 2; i++) die_if(pthread_create(&p[i], NULL, producer, (void *)(uintptr_t)(i + 1)), "pthread_create");
  for (int i = 0; i < 2; i++) pthread_join(p[i], NULL);
  for (int i = 0; i < 2; i++) pthread_join(c[i], NULL);
  uint64_t count = got[0].count + got[1].count, sum = got[0].sum + got[1].sum;
  uint64_t want = 0;
  for (unsigned k = 1; k <= 2; k++) for (unsigned i = 1; i <= PER_PRODUCER; i++) want += k * 1000000u + i;
  printf("items consumed: %llu, checksum %llu\n", (unsigned long long)count, (unsigned long long)sum);
  check("every item consumed once", count == 2 * PER_PRODUCER && sum == want);

  /* a timed wait that times out */
  pthread_mutex_lock(&Q.m);
  struct timespec dl;
  clock_gettime(CLOCK_REALTIME, &dl);
  dl.tv_nsec += 20 * 1000000L;
  if (dl.tv_nsec >= 1000000000L) { dl.tv_sec++; dl.tv_nsec -= 1000000000L; }
  int e = pthread_cond_timedwait(&Q.not_empty, &Q.m, &dl);
  pthread_mutex_unlock(&Q.m);
  printf("pthread_cond_timedwait with nobody signalling: %s\n", errname(e));
  check("timedwait is ETIMEDOUT", e == ETIMEDOUT);
}

/* ---- rwlock ---- */
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static long ra, rb;
static atomic_long bad_reads, reads;
static atomic_int writers_done;
/* glibc's default rwlock prefers readers: readers that never pause would starve the writers, so
 * they yield between reads and stop after a bounded number */
static void *rw_reader(void *arg) {
  (void)arg;
  for (int i = 0; i < 20000 && (i == 0 || atomic_load(&writers_done) < 2); i++) {
    pthread_rwlock_rdlock(&rw);
    if (ra != rb) atomic_fetch_add(&bad_reads, 1);
    atomic_fetch_add(&reads, 1);
    pthread_rwlock_unlock(&rw);
    sched_yield();
  }
  return NULL;
}
static void *rw_writer(void *arg) {
  (void)arg;
  for (int i = 0; i < 2000; i++) {
    pthread_rwlock_wrlock(&rw);
    ra++;
    if (i % 64 == 0) sched_yield();
    rb++;
    pthread_rwlock_unlock(&rw);
  }
  atomic_fetch_add(&writers_done, 1);
  return NULL;
}
static void *try_rd(void *arg) {
  (void)arg;
  return (void *)(intptr_t)pthread_rwlock_tryrdlock(&rw);
}

static void rwlock_test(void) {
  pthread_t r[4], w[2];
  for (int i = 0; i < 4; i++) die_if(pthread_create(&r[i], NULL, rw_reader, NULL), "pthread_create");
  for (int i = 0; i < 2; i++) die_if(pthread_create(&w[i], NULL, rw_writer, NULL), "pthread_create");
  for (int i = 0; i < 2; i++) pthread_join(w[i], NULL);
  for (int i = 0; i < 4; i++) pthread_join(r[i], NULL);
  printf("counters after 2 writers x 2000: %ld %ld\n", ra, rb);
  check("writers excluded each other", ra == 4000 && rb == 4000);
  check("readers never saw a half-done write", atomic_load(&bad_reads) == 0);
  check("readers read", atomic_load(&reads) > 0);
  pthread_rwlock_wrlock(&rw);
  pthread_t o;
  void *res;
  pthread_create(&o, NULL, try_rd, NULL);
  pthread_join(o, &res);
  pthread_rwlock_unlock(&rw);
  printf("tryrdlock while write-locked: %s\n", errname((int)(intptr_t)res));
  check("tryrdlock is EBUSY", (intptr_t)res == EBUSY);
  pthread_rwlock_rdlock(&rw);
  int e = pthread_rwlock_tryrdlock(&rw);
  printf("second read lock: %s\n", errname(e));
  check("two read locks at once", e == 0);
  pthread_rwlock_unlock(&rw);
  pthread_rwlock_unlock(&rw);
}

/* ---- barrier ---- */
#define BT 4
#define ROUNDS 50
static pthread_barrier_t bar;
static int slots[ROUNDS][BT];
static atomic_int serials, barrier_bad;
static void *barrier_worker(void *arg) {
  int me = (int)(uintptr_t)arg;
  for (int r = 0; r < ROUNDS; r++) {
    slots[r][me] = r * 10 + me + 1;
    int s = pthread_barrier_wait(&bar);
    if (s == PTHREAD_BARRIER_SERIAL_THREAD) atomic_fetch_add(&serials, 1);
    else if (s != 0) atomic_fetch_add(&barrier_bad, 1);
    for (int k = 0; k < BT; k++) if (slots[r][k] != r * 10 + k + 1) atomic_fetch_add(&barrier_bad, 1);
    s = pthread_barrier_wait(&bar); /* nobody starts round r+1 before all checked round r */
    if (s == PTHREAD_BARRIER_SERIAL_THREAD) atomic_fetch_add(&serials, 1);
  }
  return NULL;
}

static void barrier_test(void) {
  pthread_barrier_init(&bar, NULL, BT);
  pthread_t t[BT];
  for (int i = 0; i < BT; i++) die_if(pthread_create(&t[i], NULL, barrier_worker, (void *)(uintptr_t)i), "pthread_create");
  for (int i = 0; i < BT; i++) pthread_join(t[i], NULL);
  pthread_barrier_destroy(&bar);
  printf("rounds: %d, serial-thread returns: %d\n", ROUNDS, atomic_load(&serials));
  check("one serial thread per barrier wait", atomic_load(&serials) == 2 * ROUNDS);
  check("every slot of every round filled before the barrier opened", atomic_load(&barrier_bad) == 0);
}

/* ---- tls ---- */
static __thread int tls_init = 42;
static __thread long tls_zero;
static __thread char tls_big[3000] = { 'k', 'm' };
static pthread_key_t key;
static atomic_int destructors;
static pthread_barrier_t tls_bar;
static void key_dtor(void *v) { if ((uintptr_t)v >= 100) atomic_fetch_add(&destructors, 1); }

struct tls_res { int ok_initial, ok_after; uintptr_t addr; };
static void *tls_worker(void *arg) {
  int me = (int)(uintptr_t)arg;
  struct tls_res *r = calloc(1, sizeof *r);
  r->ok_initial = tls_init == 42 && tls_zero == 0 && tls_big[0] == 'k' && tls_big[1] == 'm' && tls_big[2999] == 0;
  r->addr = (uintptr_t)&tls_init;
  tls_init = 1000 + me;
  tls_zero = -me;
  tls_big[2999] = (char)me;
  pthread_setspecific(key, (void *)(uintptr_t)(100 + me));
  pthread_barrier_wait(&tls_bar); /* all threads have written their values */
  sched_yield();
  r->ok_after = tls_init == 1000 + me && tls_zero == -me && tls_big[2999] == (char)me &&
                pthread_getspecific(key) == (void *)(uintptr_t)(100 + me);
  return r;
}

static void tls_test(void) {
  enum { N = 6 };
  pthread_key_create(&key, key_dtor);
  pthread_barrier_init(&tls_bar, NULL, N);
  tls_init = 7;
  pthread_setspecific(key, (void *)(uintptr_t)1);
  pthread_t t[N];
  struct tls_res *res[N];
  for (int i = 0; i < N; i++) die_if(pthread_create(&t[i], NULL, tls_worker, (void *)(uintptr_t)(i + 1)), "pthread_create");
  for (int i = 0; i < N; i++) pthread_join(t[i], (void **)&res[i]);
  int init_ok = 0, after_ok = 0, distinct = 1;
  for (int i = 0; i < N; i++) {
    init_ok += res[i]->ok_initial;
    after_ok += res[i]->ok_after;
    for (int j = 0; j < i; j++) if (res[j]->addr == res[i]->addr) distinct = 0;
    if (res[i]->addr == (uintptr_t)&tls_init) distinct = 0;
  }
  printf("threads that saw the initial TLS image: %d of %d\n", init_ok, N);
  printf("threads whose TLS values survived the others' writes: %d of %d\n", after_ok, N);
  check("TLS addresses distinct per thread", distinct);
  check("main thread's TLS untouched", tls_init == 7 && tls_zero == 0 && tls_big[2999] == 0);
  check("main thread's key value untouched", pthread_getspecific(key) == (void *)(uintptr_t)1);
  printf("key destructors run: %d\n", atomic_load(&destructors));
  check("one key destructor per thread", atomic_load(&destructors) == N);
  /* the thread pointer (%fs:0 on x86-64) points to itself in both libcs */
  uintptr_t tp;
  __asm__ volatile("mov %%fs:0, %0" : "=r"(tp));
  check("%fs:0 holds the thread pointer", tp != 0 && (uintptr_t)&tls_init < tp + 65536 && (uintptr_t)&tls_init + 65536 > tp);
}

/* ---- cancel ---- */
static int cancel_pipe[2];
static atomic_int cleanups, in_reader, in_sleeper, nocancel_ready, nocancel_go;
static void cleanup(void *arg) { (void)arg; atomic_fetch_add(&cleanups, 1); }
static void *reader(void *arg) {
  (void)arg;
  char c;
  pthread_cleanup_push(cleanup, NULL);
  atomic_store(&in_reader, 1);
  ssize_t n = read(cancel_pipe[0], &c, 1); /* cancellation point; nothing is ever written */
  printf("read returned %zd: FAIL\n", n);
  pthread_cleanup_pop(0);
  return NULL;
}
static void *sleeper(void *arg) {
  (void)arg;
  pthread_cleanup_push(cleanup, NULL);
  atomic_store(&in_sleeper, 1);
  sleep(100);
  printf("sleep returned: FAIL\n");
  pthread_cleanup_pop(0);
  return NULL;
}
static void *nocancel(void *arg) {
  (void)arg;
  int old;
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
  atomic_store(&nocancel_ready, 1);
  while (!atomic_load(&nocancel_go)) sleep_ms(1); /* nanosleep is a cancellation point: disabled */
  pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
  pthread_cleanup_push(cleanup, NULL);
  pthread_testcancel();
  pthread_cleanup_pop(0);
  return (void *)1;
}

static void cancel_test(void) {
  if (pipe(cancel_pipe)) { perror("pipe"); exit(1); }
  pthread_t r, s, n;
  void *res;
  die_if(pthread_create(&r, NULL, reader, NULL), "pthread_create");
  while (!atomic_load(&in_reader)) sleep_ms(1);
  sleep_ms(20);
  check("pthread_cancel (reader blocked in read)", pthread_cancel(r) == 0);
  pthread_join(r, &res);
  check("reader joined with PTHREAD_CANCELED", res == PTHREAD_CANCELED);

  die_if(pthread_create(&s, NULL, sleeper, NULL), "pthread_create");
  while (!atomic_load(&in_sleeper)) sleep_ms(1);
  sleep_ms(20);
  check("pthread_cancel (sleeper blocked in nanosleep)", pthread_cancel(s) == 0);
  pthread_join(s, &res);
  check("sleeper joined with PTHREAD_CANCELED", res == PTHREAD_CANCELED);

  die_if(pthread_create(&n, NULL, nocancel, NULL), "pthread_create");
  while (!atomic_load(&nocancel_ready)) sleep_ms(1);
  pthread_cancel(n);
  sleep_ms(20);
  atomic_store(&nocancel_go, 1);
  pthread_join(n, &res);
  check("cancel held while disabled, acted on at pthread_testcancel", res == PTHREAD_CANCELED);
  printf("cleanup handlers run: %d\n", atomic_load(&cleanups));
  check("three cleanup handlers", atomic_load(&cleanups) == 3);
}

/* ---- tid ---- */
#define NT 8
static pid_t tids[NT], pids[NT], ppids[NT];
static pthread_barrier_t tid_bar;
static void *tid_worker(void *arg) {
  int me = (int)(uintptr_t)arg;
  tids[me] = sys_gettid();
  pids[me] = getpid();
  ppids[me] = getppid();
  pthread_barrier_wait(&tid_bar); /* all alive at once, so no tid can be reused */
  return NULL;
}

static void tid_test(void) {
  pthread_barrier_init(&tid_bar, NULL, NT + 1);
  pthread_t t[NT];
  for (int i = 0; i < NT; i++) die_if(pthread_create(&t[i], NULL, tid_worker, (void *)(uintptr_t)i), "pthread_create");
  pthread_barrier_wait(&tid_bar);
  for (int i = 0; i < NT; i++) pthread_join(t[i], NULL);
  pid_t me = getpid();
  int distinct = 1, same_pid = 1, positive = 1;
  for (int i = 0; i < NT; i++) {
    if (tids[i] <= 0) positive = 0;
    if (pids[i] != me || ppids[i] != getppid()) same_pid = 0;
    if (tids[i] == me) distinct = 0;
    for (int j = 0; j < i; j++) if (tids[i] == tids[j]) distinct = 0;
  }
  check("main thread: gettid() == getpid()", sys_gettid() == me);
  check("8 threads: tids positive", positive);
  check("8 threads: tids distinct from each other and from the pid", distinct);
  check("8 threads: getpid() and getppid() the same as the main thread's", same_pid);
}

/* ---- detach ---- */
static sem_t done_sem;
static atomic_long detached_sum;
static void *detached(void *arg) {
  uintptr_t i = (uintptr_t)arg;
  if (i % 7 == 0) sched_yield();
  atomic_fetch_add(&detached_sum, (long)i);
  sem_post(&done_sem);
  return NULL;
}
static void *self_detach(void *arg) {
  pthread_detach(pthread_self());
  return detached(arg);
}

static void detach_test(void) {
  sem_init(&done_sem, 0, 0);
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
  for (uintptr_t i = 1; i <= 50; i++) {
    pthread_t t;
    die_if(pthread_create(&t, i % 2 ? &a : NULL, i % 2 ? detached : self_detach, (void *)i), "pthread_create");
  }
  for (int i = 0; i < 50; i++) while (sem_wait(&done_sem) == -1 && errno == EINTR) {}
  printf("detached threads finished: sum %ld\n", atomic_load(&detached_sum));
  check("sum of 1..50", atomic_load(&detached_sum) == 1275);
  struct timespec dl;
  clock_gettime(CLOCK_REALTIME, &dl);
  dl.tv_nsec += 10 * 1000000L;
  if (dl.tv_nsec >= 1000000000L) { dl.tv_sec++; dl.tv_nsec -= 1000000000L; }
  int r = sem_timedwait(&done_sem, &dl);
  expect_err("sem_timedwait with no posts left", r, ETIMEDOUT);
  int v = -1;
  sem_getvalue(&done_sem, &v);
  printf("semaphore value: %d\n", v);
}

/* ---- main-exit ---- */
/* (no pthread_join of the main thread: musl's would wait forever, its main thread's exit clears no
 * futex word) */
static void *outlive_main(void *arg) {
  (void)arg;
  sleep_ms(50); /* main has long called pthread_exit */
  printf("the process outlived its main thread: pid %s\n", getpid() > 0 ? "valid" : "bad");
  printf("last thread returns\n");
  fflush(stdout);
  return NULL; /* the process exits with status 0 */
}

static void main_exit_test(void) {
  pthread_t t;
  die_if(pthread_create(&t, NULL, outlive_main, NULL), "pthread_create");
  printf("main thread calls pthread_exit\n");
  fflush(stdout);
  pthread_exit((void *)77);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char *m = argc > 1 ? argv[1] : "";
  if (!strcmp(m, "create-join")) create_join(argc > 2 ? atol(argv[2]) : 1000, argc > 3 ? atol(argv[3]) : 16);
  else if (!strcmp(m, "mutex")) mutex_test();
  else if (!strcmp(m, "condvar")) condvar_test();
  else if (!strcmp(m, "rwlock")) rwlock_test();
  else if (!strcmp(m, "barrier")) barrier_test();
  else if (!strcmp(m, "tls")) tls_test();
  else if (!strcmp(m, "cancel")) cancel_test();
  else if (!strcmp(m, "tid")) tid_test();
  else if (!strcmp(m, "detach")) detach_test();
  else if (!strcmp(m, "main-exit")) main_exit_test();
  else {
    fprintf(stderr, "usage: threads create-join N [live]|mutex|condvar|rwlock|barrier|tls|cancel|tid|detach|main-exit\n");
    return 2;
  }
  return finish();
}
