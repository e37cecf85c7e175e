/* fault <kind>: prints a line, flushes, then dies by a CPU exception or abort(). The test checks the
 * terminating signal and the output before it.
 *   segv            write through a NULL pointer                  SIGSEGV
 *   segv-read       read of an address that was just unmapped     SIGSEGV
 *   segv-kernel     read of a kernel-half address                 SIGSEGV
 *   segv-noncanon   read of a non-canonical address (#GP)         SIGSEGV
 *   write-rodata    write to a string literal                     SIGSEGV
 *   nx              call into a non-executable page               SIGSEGV
 *   ud2             __builtin_trap()                              SIGILL
 *   div0            integer division by zero                      SIGFPE
 *   int3            breakpoint instruction                        SIGTRAP
 *   gp              hlt at user level (#GP)                       SIGSEGV
 *   gp-cli          cli at user level (#GP)                       SIGSEGV
 *   stack-overflow  unbounded recursion                           SIGSEGV
 *   abort           abort()                                       SIGABRT */
#include "common.h"
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

static volatile int sink;

#pragma GCC diagnostic ignored "-Winfinite-recursion"

__attribute__((noinline)) static int recurse(int n) {
  volatile char pad[512];
  pad[0] = (char)n;
  pad[511] = (char)n;
  return recurse(n + 1) + pad[0] + pad[511]; /* not a tail call */
}

int main(int argc, char **argv) {
  struct rlimit rl = {0, 0};
  setrlimit(RLIMIT_CORE, &rl); /* no core file in the test's directory */
  const char *kind = argc > 1 ? argv[1] : "segv";
  printf("about to fault: %s\n", kind);
  fflush(stdout);
  if (!strcmp(kind, "segv")) {
    *(volatile int *)0 = 1;
  } else if (!strcmp(kind, "segv-read")) {
    void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(p, 4096);
    sink = *(volatile int *)p;
  } else if (!strcmp(kind, "segv-kernel")) {
    sink = *(volatile int *)0xffff888000000000UL;
  } else if (!strcmp(kind, "segv-noncanon")) {
    sink = *(volatile int *)0x8000000000000000UL;
  } else if (!strcmp(kind, "write-rodata")) {
    static const char ro[] = "read-only";
    *(volatile char *)(uintptr_t)ro = 'X';
  } else if (!strcmp(kind, "nx")) {
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(p, 0xc3, 4096); /* ret, should it ever execute */
    ((void (*)(void))p)();
  } else if (!strcmp(kind, "ud2")) {
    __builtin_trap();
  } else if (!strcmp(kind, "div0")) {
    volatile int a = 1, b = 0;
    sink = a / b;
  } else if (!strcmp(kind, "int3")) {
    __asm__ volatile("int3");
  } else if (!strcmp(kind, "gp")) {
    __asm__ volatile("hlt");
  } else if (!strcmp(kind, "gp-cli")) {
    __asm__ volatile("cli");
  } else if (!strcmp(kind, "stack-overflow")) {
    sink = recurse(0);
  } else if (!strcmp(kind, "abort")) {
    abort();
  } else {
    printf("unknown kind\n");
    return 2;
  }
  printf("survived %s\n", kind);
  return 1;
}
