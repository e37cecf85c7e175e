/* Memory management stress: brk, malloc/calloc/realloc/free over many sizes, anonymous private and
 * shared mmap, partial munmap, mprotect, mremap (grow, shrink, move, fixed), MAP_FIXED,
 * MAP_FIXED_NOREPLACE, madvise(MADV_DONTNEED) and address hints. Contents are printed as
 * checksums, never addresses.
 *   memstress           all of the above, prints ok/FAIL lines, exits 0 when all pass
 *   memstress guard     touches a PROT_NONE guard page: must die by SIGSEGV
 *   memstress rowrite   writes to a page made read-only: must die by SIGSEGV */
#include "common.h"
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MREMAP_FIXED
#define MREMAP_FIXED 2
#endif

static size_t PG;

static void fill(void *p, size_t n, unsigned seed) {
  unsigned char *c = p;
  for (size_t i = 0; i < n; i++) c[i] = (unsigned char)(seed + i * 131 + (i >> 9));
}

static int verify(const void *p, size_t n, unsigned seed) {
  const unsigned char *c = p;
  for (size_t i = 0; i < n; i++) if (c[i] != (unsigned char)(seed + i * 131 + (i >> 9))) return 0;
  return 1;
}

/* like verify, for bytes [off, off+n) of a buffer filled from base */
static int verify_at(const void *base, size_t off, size_t n, unsigned seed) {
  const unsigned char *c = base;
  for (size_t i = off; i < off + n; i++) if (c[i] != (unsigned char)(seed + i * 131 + (i >> 9))) return 0;
  return 1;
}

static int all_zero(const void *p, size_t n) {
  const unsigned char *c = p;
  for (size_t i = 0; i < n; i++) if (c[i]) return 0;
  return 1;
}

static int all_byte(const void *p, size_t n, unsigned char b) {
  const unsigned char *c = p;
  for (size_t i = 0; i < n; i++) if (c[i] != b) return 0;
  return 1;
}

/* is [p, p+n) unmapped? mprotect fails with ENOMEM on unmapped ranges */
static int unmapped(void *p, size_t n) {
  return mprotect(p, n, PROT_READ) == -1 && errno == ENOMEM;
}

static void *map(size_t n, int prot, int flags) {
  return mmap(NULL, n, prot, flags | MAP_ANONYMOUS, -1, 0);
}

static uint64_t lcg_state = 12345;
static unsigned rnd(unsigned n) {
  lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
  return (unsigned)(lcg_state >> 33) % n;
}

/* brk is tested first, before any output, and put back exactly where it was: malloc (musl's
 * mallocng, glibc's main arena) may use the area above the initial break. */
static struct {
  int grew, pattern, shrank, regrown_zero, restored, refuses_below_start;
} brk_res;

static void test_brk(void) {
  const long step = 128 * 1024;
  long cur = syscall(SYS_brk, 0);
  long up = syscall(SYS_brk, cur + step);
  brk_res.grew = up == cur + step;
  if (!brk_res.grew) return;
  fill((void *)cur, (size_t)step, 7);
  brk_res.pattern = verify((void *)cur, (size_t)step, 7);
  brk_res.shrank = syscall(SYS_brk, cur) == cur;
  long up2 = syscall(SYS_brk, cur + step);
  long aligned = (cur + (long)PG - 1) & ~((long)PG - 1);
  /* pages freed by the shrink come back zeroed; the partial page at the old break keeps its bytes */
  brk_res.regrown_zero = up2 == cur + step && all_zero((void *)aligned, (size_t)(cur + step - aligned));
  brk_res.restored = syscall(SYS_brk, cur) == cur;
  /* asking for a break below the start of the heap is refused: the break stays put */
  brk_res.refuses_below_start = syscall(SYS_brk, 4096) == cur;
}

static void test_malloc(void) {
  enum { N = 600 };
  static void *ptr[N];
  static size_t size[N];
  uint64_t h = FNV_INIT;
  int ok = 1;
  for (int round = 0; round < 4; round++) {
    for (int i = 0; i < N; i++) {
      unsigned k = rnd(100);
      size[i] = k < 60 ? 1 + rnd(256) : k < 90 ? 256 + rnd(16384) : k < 98 ? 16384 + rnd(200000) : 200000 + rnd(2000000);
      ptr[i] = malloc(size[i]);
      if (!ptr[i]) { ok = 0; continue; }
      fill(ptr[i], size[i], (unsigned)(i + round));
    }
    /* free half in random order, realloc the rest */
    for (int j = 0; j < N / 2; j++) {
      int i = (int)rnd(N);
      if (ptr[i]) {
        ok &= verify(ptr[i], size[i], (unsigned)(i + round));
        h = fnv1a(ptr[i], size[i] < 64 ? size[i] : 64, h);
        free(ptr[i]);
        ptr[i] = NULL;
      }
    }
    for (int i = 0; i < N; i++) {
      if (!ptr[i]) continue;
      size_t ns = rnd(2) ? size[i] * 2 + 1 : size[i] / 2 + 1;
      void *q = realloc(ptr[i], ns);
      if (!q) { ok = 0; continue; }
      size_t keep = ns < size[i] ? ns : size[i];
      ok &= verify(q, keep, (unsigned)(i + round));
      h = fnv1a(q, keep < 64 ? keep : 64, h);
      free(q);
      ptr[i] = NULL;
    }
  }
  check("malloc/realloc/free 2400 blocks keep their contents", ok);
  printf("malloc contents fnv1a: %016llx\n", (unsigned long long)h);
  int zero = 1;
  for (int i = 0; i < 50; i++) {
    size_t n = 1 + rnd(300000);
    unsigned char *c = calloc(n, 1);
    if (!c) { zero = 0; continue; }
    zero &= all_zero(c, n);
    memset(c, 0xee, n);
    free(c);
  }
  check("calloc returns zeroed memory (also after reuse)", zero);
  void *big = malloc(64 << 20);
  int big_ok = big != NULL;
  if (big) {
    for (size_t i = 0; i < (64u << 20); i += PG) ((volatile char *)big)[i] = (char)i;
    for (size_t i = 0; i < (64u << 20); i += PG) big_ok &= ((volatile char *)big)[i] == (char)i;
    free(big);
  }
  check("malloc 64 MiB, touch every page", big_ok);
  errno = 0;
  void *huge = malloc((size_t)1 << 62);
  check("malloc 2^62 fails with ENOMEM", huge == NULL && errno == ENOMEM);
}

static void test_mmap_munmap(void) {
  size_t n = 16 * PG;
  unsigned char *p = map(n, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  check("mmap 16 pages private", p != MAP_FAILED);
  if (p == MAP_FAILED) return;
  check("fresh anonymous memory is zero", all_zero(p, n));
  fill(p, n, 1);
  printf("private mapping fnv1a: %016llx\n", (unsigned long long)fnv1a(p, n, FNV_INIT));
  check("munmap pages 6..9 (middle)", munmap(p + 6 * PG, 4 * PG) == 0);
  check("pages before the hole intact", verify(p, 6 * PG, 1));
  {
    unsigned char *ref = malloc(n); /* the expected pattern of pages 10..15 */
    fill(ref, n, 1);
    check("pages after the hole intact", memcmp(ref + 10 * PG, p + 10 * PG, 6 * PG) == 0);
    free(ref);
  }
  check("the hole is unmapped", unmapped(p + 6 * PG, 4 * PG));
  check("munmap of an unmapped range succeeds", munmap(p + 6 * PG, 4 * PG) == 0);
  unsigned char *f = mmap(p + 7 * PG, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  check("MAP_FIXED into the hole lands at the address", f == p + 7 * PG);
  check("MAP_FIXED memory in the hole is zero", f != MAP_FAILED && all_zero(f, 2 * PG));
  check("munmap unaligned address fails EINVAL", munmap(p + 1, PG) == -1 && errno == EINVAL);
  check("munmap length 0 fails EINVAL", munmap(p, 0) == -1 && errno == EINVAL);
  check("mmap length 0 fails EINVAL", map(0, PROT_READ, MAP_PRIVATE) == MAP_FAILED && errno == EINVAL);
  check("mmap without MAP_PRIVATE/MAP_SHARED fails EINVAL",
        mmap(NULL, PG, PROT_READ, MAP_ANONYMOUS, -1, 0) == MAP_FAILED && errno == EINVAL);
  check("mmap 2^62 bytes fails ENOMEM", map((size_t)1 << 62, PROT_READ, MAP_PRIVATE) == MAP_FAILED && errno == ENOMEM);
  check("mmap 2^62 bytes MAP_NORESERVE fails ENOMEM",
        map((size_t)1 << 62, PROT_READ, MAP_PRIVATE | MAP_NORESERVE) == MAP_FAILED && errno == ENOMEM);
  check("mmap SIZE_MAX - 4095 bytes fails ENOMEM", map(~(size_t)4095, PROT_READ, MAP_PRIVATE) == MAP_FAILED && errno == ENOMEM);
  check("mmap of a bad fd fails EBADF", mmap(NULL, PG, PROT_READ, MAP_PRIVATE, 99, 0) == MAP_FAILED && errno == EBADF);
  check("munmap whole range with holes", munmap(p, n) == 0);
  check("whole range now unmapped", unmapped(p, n));

  /* mapping with a guard page just below it, like a thread stack */
  unsigned char *s = map(8 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  check("mprotect first page PROT_NONE", s != MAP_FAILED && mprotect(s, PG, PROT_NONE) == 0);
  s[8 * PG - 1] = 1;
  check("rest of the mapping still writable", s[8 * PG - 1] == 1);
  munmap(s, 8 * PG);
}

static void test_shared(void) {
  size_t n = 8 * PG;
  unsigned char *p = map(n, PROT_READ | PROT_WRITE, MAP_SHARED);
  check("mmap shared anonymous", p != MAP_FAILED);
  if (p == MAP_FAILED) return;
  check("shared anonymous starts zeroed", all_zero(p, n));
  fill(p, n, 3);
  check("shared anonymous read back", verify(p, n, 3));
  printf("shared mapping fnv1a: %016llx\n", (unsigned long long)fnv1a(p, n, FNV_INIT));
  check("madvise DONTNEED on shared keeps contents", madvise(p, n, MADV_DONTNEED) == 0 && verify(p, n, 3));
  check("munmap shared", munmap(p, n) == 0);
}

static void test_mprotect(void) {
  size_t n = 4 * PG;
  unsigned char *p = map(n, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  fill(p, n, 5);
  check("mprotect PROT_READ", mprotect(p, n, PROT_READ) == 0);
  check("read-only memory still readable", verify(p, n, 5));
  check("mprotect middle page back to RW", mprotect(p + PG, PG, PROT_READ | PROT_WRITE) == 0);
  p[PG] = 0x77;
  check("write to re-enabled page", p[PG] == 0x77 && verify(p, PG, 5) && verify_at(p, 2 * PG, 2 * PG, 5));
  /* raw syscall: musl's mprotect() rounds the address down to a page boundary itself */
  check("mprotect unaligned fails EINVAL", syscall(SYS_mprotect, p + 1, PG, PROT_READ) == -1 && errno == EINVAL);
  check("mprotect PROT_NONE then back", mprotect(p, n, PROT_NONE) == 0 && mprotect(p, n, PROT_READ) == 0 && p[PG] == 0x77);
  munmap(p, n);
}

static void test_mremap(void) {
  unsigned char *p = map(4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  fill(p, 4 * PG, 9);
  unsigned char *q = mremap(p, 4 * PG, 64 * PG, MREMAP_MAYMOVE);
  check("mremap grow 4 -> 64 pages (MAYMOVE)", q != MAP_FAILED);
  if (q == MAP_FAILED) return;
  check("grown mapping keeps old contents", verify(q, 4 * PG, 9));
  check("grown part is zero", all_zero(q + 4 * PG, 60 * PG));
  q[64 * PG - 1] = 0x5a;
  unsigned char *r = mremap(q, 64 * PG, 2 * PG, 0);
  check("mremap shrink stays in place", r == q);
  check("shrunk mapping keeps contents", verify(r, 2 * PG, 9));
  check("tail after shrink is unmapped", unmapped(q + 2 * PG, 62 * PG));

  /* growing in place is impossible when the next page is in use and MAYMOVE is not given */
  unsigned char *w = map(4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  check("mremap grow in place into a used range fails ENOMEM",
        mremap(w, 2 * PG, 3 * PG, 0) == MAP_FAILED && errno == ENOMEM);
  check("mremap grow in place into a free range succeeds",
        munmap(w + 2 * PG, 2 * PG) == 0 && mremap(w, 2 * PG, 4 * PG, 0) == (void *)w);
  munmap(w, 4 * PG);

  /* MREMAP_FIXED: move onto a reserved range */
  unsigned char *res = map(8 * PG, PROT_NONE, MAP_PRIVATE);
  unsigned char *target = res + 2 * PG;
  unsigned char *m = mremap(r, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, target);
  check("mremap MREMAP_FIXED moves to the target", m == target);
  check("moved mapping keeps contents", m != MAP_FAILED && verify(m, 2 * PG, 9));
  check("old address is unmapped after the move", unmapped(r, 2 * PG));
  check("moved mapping is writable", m != MAP_FAILED && (m[0] = 1, m[0] == 1));
  check("MREMAP_FIXED without MAYMOVE fails EINVAL",
        mremap(m, PG, PG, MREMAP_FIXED, res + 6 * PG) == MAP_FAILED && errno == EINVAL);
  check("mremap of an unmapped address fails EFAULT",
        mremap(r, PG, 2 * PG, MREMAP_MAYMOVE) == MAP_FAILED && errno == EFAULT);
  munmap(res, 8 * PG);
}

static void test_fixed(void) {
  unsigned char *p = map(4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  memset(p, 0xaa, 4 * PG);
  unsigned char *f = mmap(p + PG, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  check("MAP_FIXED over an existing mapping returns the address", f == p + PG);
  check("replaced page is zero", all_zero(p + PG, PG));
  check("neighbours untouched", all_byte(p, PG, 0xaa) && all_byte(p + 2 * PG, 2 * PG, 0xaa));
  errno = 0;
  void *nr = mmap(p + 2 * PG, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  check("MAP_FIXED_NOREPLACE over an existing mapping fails EEXIST", nr == MAP_FAILED && errno == EEXIST);
  check("page under the refused mapping untouched", all_byte(p + 2 * PG, PG, 0xaa));
  munmap(p + 3 * PG, PG);
  nr = mmap(p + 3 * PG, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  check("MAP_FIXED_NOREPLACE on a free range lands at the address", nr == p + 3 * PG);
  munmap(p, 4 * PG);

  /* a hint is honoured when the range is free */
  unsigned char *h = map(3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  munmap(h, 3 * PG);
  unsigned char *again = mmap(h, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  check("hint address honoured when free", again == h);
  /* and not used when it is taken: the call still succeeds, elsewhere */
  unsigned char *other = mmap(h, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  check("taken hint gives another address", other != MAP_FAILED && other != h);
  munmap(other, PG);
  munmap(again, 3 * PG);
}

static void test_madvise(void) {
  size_t n = 8 * PG;
  unsigned char *p = map(n, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  fill(p, n, 11);
  check("madvise DONTNEED pages 2..5", madvise(p + 2 * PG, 4 * PG, MADV_DONTNEED) == 0);
  check("private DONTNEED pages read back zero", all_zero(p + 2 * PG, 4 * PG));
  check("other pages keep contents", verify(p, 2 * PG, 11) && verify_at(p, 6 * PG, 2 * PG, 11));
  check("madvise unaligned fails EINVAL", madvise(p + 1, PG, MADV_DONTNEED) == -1 && errno == EINVAL);
  check("madvise WILLNEED / NORMAL accepted",
        madvise(p, n, MADV_WILLNEED) == 0 && madvise(p, n, MADV_NORMAL) == 0);
  munmap(p, n);
}

static void die_quietly_on_core(void) {
  struct rlimit rl = {0, 0};
  setrlimit(RLIMIT_CORE, &rl); /* no core file in the test's directory */
}

int main(int argc, char **argv) {
  PG = (size_t)sysconf(_SC_PAGESIZE);
  if (argc > 1 && strcmp(argv[1], "guard") == 0) {
    die_quietly_on_core();
    unsigned char *p = map(2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    mprotect(p + PG, PG, PROT_NONE);
    p[PG - 1] = 1;
    printf("last page before the guard written: %s\n", p[PG - 1] == 1 ? "yes" : "no");
    printf("touching the guard page\n");
    fflush(stdout);
    ((volatile unsigned char *)p)[PG] = 1;
    printf("survived the guard page\n");
    return 1;
  }
  if (argc > 1 && strcmp(argv[1], "bigguard") == 0) {
    /* a page in the middle of 4 MiB that was already touched (under km: inside a 2 MiB guest page
     * backed by a huge page) made inaccessible: its neighbours keep their contents, it faults */
    die_quietly_on_core();
    size_t n = 4u << 20;
    unsigned char *p = map(n, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    for (size_t i = 0; i < n; i += PG) p[i] = (unsigned char)(i / PG);
    size_t mid = (1u << 20) + 3 * PG;
    mprotect(p + mid, PG, PROT_NONE);
    int ok = 1;
    for (size_t i = 0; i < n; i += PG) if (i != mid && p[i] != (unsigned char)(i / PG)) ok = 0;
    p[mid - PG] = 1; p[mid + PG] = 2;
    printf("pages around the guard kept their contents and are writable: %s\n", ok && p[mid - PG] == 1 && p[mid + PG] == 2 ? "yes" : "no");
    printf("touching the guard page\n");
    fflush(stdout);
    ((volatile unsigned char *)p)[mid] = 1;
    printf("survived the guard page\n");
    return 1;
  }
  if (argc > 1 && strcmp(argv[1], "rowrite") == 0) {
    die_quietly_on_core();
    unsigned char *p = map(PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    p[0] = 1;
    mprotect(p, PG, PROT_READ);
    printf("read-only page readable: %s\n", p[0] == 1 ? "yes" : "no");
    printf("writing the read-only page\n");
    fflush(stdout);
    ((volatile unsigned char *)p)[0] = 2;
    printf("survived the write\n");
    return 1;
  }
  test_brk();
  check("brk grows by 128 KiB", brk_res.grew);
  check("brk memory holds a pattern", brk_res.pattern);
  check("brk shrinks back", brk_res.shrank);
  check("brk regrown pages are zero", brk_res.regrown_zero);
  check("brk restored", brk_res.restored);
  check("brk below the heap start is refused", brk_res.refuses_below_start);
  test_malloc();
  test_mmap_munmap();
  test_shared();
  test_mprotect();
  test_mremap();
  test_fixed();
  test_madvise();
  return finish();
}
