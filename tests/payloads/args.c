/* Dumps what the process was started with: argv, the whole environment in order, and the auxiliary
 * vector entries whose values are the same in every run (the others only as present/absent),
 * plus the stack layout and alignment the x86-64 ABI promises at process entry. */
#include "common.h"
#include <sys/auxv.h>
#include <elf.h>

#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif
#ifndef AT_EXECFN
#define AT_EXECFN 31
#endif

extern char **environ;
extern char _start[];
/* the linker defines __ehdr_start at the ELF header when it lies in a loaded segment */
extern const Elf64_Ehdr __ehdr_start __attribute__((weak, visibility("hidden")));

/* The frame pointer of a non-inlined function is 16-byte aligned exactly when its caller kept the
 * stack aligned, as the ABI requires (call pushes 8, the prologue pushes rbp). */
__attribute__((noinline)) static int frame_aligned(void) {
  return ((uintptr_t)__builtin_frame_address(0) & 15) == 0;
}

static void val(const char *name, unsigned long type) {
  errno = 0;
  unsigned long v = getauxval(type);
  if (v == 0 && errno == ENOENT) printf("%s: absent\n", name);
  else printf("%s: %lu\n", name, v);
}

static void present(const char *name, unsigned long type) {
  errno = 0;
  unsigned long v = getauxval(type);
  printf("%s present: %s\n", name, v != 0 ? "yes" : "no");
}

static void str(const char *name, unsigned long type) {
  const char *s = (const char *)getauxval(type);
  printf("%s: %s\n", name, s ? s : "(absent)");
}

int main(int argc, char **argv) {
  printf("argc: %d\n", argc);
  for (int i = 0; i < argc; i++) printf("argv[%d]: %s\n", i, argv[i]);
  printf("argv[argc] is NULL: %s\n", argv[argc] == NULL ? "yes" : "no");
  int n = 0;
  for (char **e = environ; *e; e++, n++) printf("env[%d]: %s\n", n, *e);
  printf("envc: %d\n", n);
  printf("TEST_VAR via getenv: %s\n", getenv("TEST_VAR") ? getenv("TEST_VAR") : "(unset)");

  /* initial stack: argc, argv[], NULL, envp[], NULL, auxv[] -- with argc at a 16-byte boundary */
  printf("environ follows argv: %s\n", environ == argv + argc + 1 ? "yes" : "no");
  printf("argc slot 16-byte aligned: %s\n", (((uintptr_t)argv - 8) & 15) == 0 ? "yes" : "no");
  printf("argc slot holds argc: %s\n", *(long *)((char *)argv - 8) == argc ? "yes" : "no");
  char **p = environ;
  while (*p) p++;
  Elf64_auxv_t *av = (Elf64_auxv_t *)(p + 1);
  int pagesz_match = 0, entries = 0, terminated = 0;
  for (; entries < 256; av++, entries++) {
    if (av->a_type == AT_NULL) { terminated = 1; break; }
    if (av->a_type == AT_PAGESZ && av->a_un.a_val == getauxval(AT_PAGESZ)) pagesz_match = 1;
  }
  printf("auxv follows environment: %s\n", pagesz_match ? "yes" : "no");
  printf("auxv terminated by AT_NULL: %s\n", terminated ? "yes" : "no");
  printf("frame 16-byte aligned in callee of main: %s\n", frame_aligned() ? "yes" : "no");

  val("AT_PAGESZ", AT_PAGESZ);
  val("AT_PHENT", AT_PHENT);
  val("AT_PHNUM", AT_PHNUM);
  val("AT_UID", AT_UID);
  val("AT_EUID", AT_EUID);
  val("AT_GID", AT_GID);
  val("AT_EGID", AT_EGID);
  val("AT_SECURE", AT_SECURE);
  val("AT_FLAGS", AT_FLAGS);
  val("AT_CLKTCK", AT_CLKTCK);
  str("AT_PLATFORM", AT_PLATFORM);
  str("AT_EXECFN", AT_EXECFN);
  present("AT_PHDR", AT_PHDR);
  present("AT_ENTRY", AT_ENTRY);
  present("AT_RANDOM", AT_RANDOM);
  present("AT_HWCAP", AT_HWCAP);
  present("AT_MINSIGSTKSZ", AT_MINSIGSTKSZ);

  /* AT_PHDR must point at this executable's program headers: the PT_PHDR entry (or the first
   * PT_LOAD) tells where they are relative to the load base. */
  const Elf64_Phdr *ph = (const Elf64_Phdr *)getauxval(AT_PHDR);
  unsigned long phnum = getauxval(AT_PHNUM);
  int has_load = 0;
  for (unsigned long i = 0; ph && i < phnum; i++) if (ph[i].p_type == PT_LOAD) has_load = 1;
  printf("AT_ENTRY is _start: %s\n", getauxval(AT_ENTRY) == (unsigned long)_start ? "yes" : "no");
  if (&__ehdr_start)
    printf("AT_PHDR is the loaded program header table: %s\n",
           getauxval(AT_PHDR) == (unsigned long)&__ehdr_start + __ehdr_start.e_phoff ? "yes" : "no");
  printf("AT_PHDR table has a PT_LOAD: %s\n", has_load ? "yes" : "no");
  const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
  int nonzero = 0;
  for (int i = 0; rnd && i < 16; i++) nonzero |= rnd[i];
  printf("AT_RANDOM bytes not all zero: %s\n", nonzero ? "yes" : "no");
  return 0;
}
