/* Makes a known number of system calls for `km --stats`: 25 getppid, 7 close(-1) that fail with
 * EBADF and 3 writes of one line each to stdout, then exits 0. */
#include "common.h"
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
  for (int i = 0; i < 25; i++) syscall(SYS_getppid);
  for (int i = 0; i < 7; i++) syscall(SYS_close, -1);
  for (int i = 0; i < 3; i++) syscall(SYS_write, 1, "line\n", 5);
  return 0;
}
