/* exitcode N [mode]: ends with status N (which the kernel truncates to 8 bits). A line is printed
 * first into stdio's buffer: exit() and return flush it, _exit() and the raw syscalls drop it.
 *   mode: exit (default) | _exit | return | sys_exit | sys_exit_group */
#include "common.h"
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 0;
  const char *mode = argc > 2 ? argv[2] : "exit";
  printf("exiting with %d via %s\n", n, mode); /* stdout is a pipe: fully buffered */
  if (strcmp(mode, "exit") == 0) exit(n);
  if (strcmp(mode, "_exit") == 0) _exit(n);
  if (strcmp(mode, "return") == 0) return n;
  if (strcmp(mode, "sys_exit") == 0) syscall(SYS_exit, n);
  if (strcmp(mode, "sys_exit_group") == 0) syscall(SYS_exit_group, n);
  fprintf(stderr, "unknown mode %s\n", mode);
  return 99;
}
