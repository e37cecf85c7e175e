/* The vDSO: found through AT_SYSINFO_EHDR, it exports the LINUX_2.6 time functions, and what they
 * answer agrees with the clock_gettime system call (monotonic across both sources, within a
 * tolerance for the time between the two reads). Only pass/fail lines are printed. */
#include "common.h"
#include <elf.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

typedef int (*cgt_fn)(clockid_t, struct timespec *);
typedef int (*gtod_fn)(struct timeval *, void *);
typedef time_t (*time_fn)(time_t *);

static const Elf64_Sym *symtab;
static const char *strtab;
static unsigned nsyms;
static uintptr_t base;

/* the vDSO's own dynamic symbol table, by the DT_HASH chain count (glibc and Go read it the same way) */
static int open_vdso(void) {
  const Elf64_Ehdr *eh = (const Elf64_Ehdr *)getauxval(AT_SYSINFO_EHDR);
  if (!eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0) return 0;
  const Elf64_Phdr *ph = (const Elf64_Phdr *)((const char *)eh + eh->e_phoff);
  const Elf64_Dyn *dyn = NULL;
  base = 0;
  for (int i = 0; i < eh->e_phnum; i++) {
    if (ph[i].p_type == PT_LOAD) base = (uintptr_t)eh + ph[i].p_offset - ph[i].p_vaddr;
    if (ph[i].p_type == PT_DYNAMIC) dyn = (const Elf64_Dyn *)((const char *)eh + ph[i].p_offset);
  }
  if (!dyn) return 0;
  const Elf32_Word *hash = NULL;
  for (; dyn->d_tag != DT_NULL; dyn++) {
    if (dyn->d_tag == DT_SYMTAB) symtab = (const Elf64_Sym *)(base + dyn->d_un.d_ptr);
    if (dyn->d_tag == DT_STRTAB) strtab = (const char *)(base + dyn->d_un.d_ptr);
    if (dyn->d_tag == DT_HASH) hash = (const Elf32_Word *)(base + dyn->d_un.d_ptr);
  }
  if (!symtab || !strtab || !hash) return 0;
  nsyms = hash[1];
  return 1;
}

static void *vsym(const char *name) {
  for (unsigned i = 0; i < nsyms; i++)
    if (symtab[i].st_shndx != SHN_UNDEF && strcmp(strtab + symtab[i].st_name, name) == 0) return (void *)(base + symtab[i].st_value);
  return NULL;
}

static long long ns(const struct timespec *t) { return t->tv_sec * 1000000000LL + t->tv_nsec; }

int main(void) {
  check("AT_SYSINFO_EHDR points at an ELF image with a dynamic symbol table", open_vdso());
  cgt_fn cgt = (cgt_fn)vsym("__vdso_clock_gettime");
  gtod_fn gtod = (gtod_fn)vsym("__vdso_gettimeofday");
  time_fn tm = (time_fn)vsym("__vdso_time");
  check("exports __vdso_clock_gettime", cgt != NULL);
  check("exports __vdso_gettimeofday", gtod != NULL);
  check("exports __vdso_time", tm != NULL);
  check("exports __vdso_getcpu", vsym("__vdso_getcpu") != NULL);
  if (!cgt || !gtod || !tm) return finish();

  static const clockid_t clocks[] = { CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_BOOTTIME, CLOCK_MONOTONIC_COARSE };
  static const char *names[] = { "CLOCK_MONOTONIC", "CLOCK_REALTIME", "CLOCK_BOOTTIME", "CLOCK_MONOTONIC_COARSE" };
  for (int c = 0; c < 4; c++) {
    /* vDSO, system call, vDSO: each read no earlier than the one before (5 ms slack for clocks
     * that are coarse or kept by another source), each vDSO read never before the previous one */
    int agree = 1, mono = 1;
    struct timespec v0, s, v1;
    for (int i = 0; i < 200; i++) {
      cgt(clocks[c], &v0);
      syscall(SYS_clock_gettime, clocks[c], &s);
      cgt(clocks[c], &v1);
      if (ns(&s) < ns(&v0) - 5000000 || ns(&v1) < ns(&s) - 5000000) agree = 0;
      if (ns(&v1) < ns(&v0) || v0.tv_nsec < 0 || v0.tv_nsec >= 1000000000L) mono = 0;
    }
    char what[96];
    snprintf(what, sizeof what, "%s: vDSO and system call agree", names[c]);
    check(what, agree);
    snprintf(what, sizeof what, "%s: vDSO reads never go backwards", names[c]);
    check(what, mono);
  }
  struct timespec r, raw;
  struct timeval tv;
  cgt(CLOCK_REALTIME, &r);
  check("gettimeofday agrees with CLOCK_REALTIME", gtod(&tv, NULL) == 0 && tv.tv_sec >= r.tv_sec && tv.tv_sec - r.tv_sec <= 1);
  time_t t2, t1 = tm(&t2);
  check("time agrees with CLOCK_REALTIME", t1 == t2 && t1 >= r.tv_sec && t1 - r.tv_sec <= 1);
  check("clocks the vDSO does not keep still work (CLOCK_MONOTONIC_RAW)", cgt(CLOCK_MONOTONIC_RAW, &raw) == 0 && raw.tv_sec > 0);
  check("clocks the vDSO does not keep still work (CLOCK_PROCESS_CPUTIME_ID)", cgt(CLOCK_PROCESS_CPUTIME_ID, &raw) == 0);
  check("a bad clock id is EINVAL", cgt(12345, &raw) == -EINVAL || (cgt(12345, &raw) == -1 && errno == EINVAL));
  return finish();
}
