/* uname(2): sysname and machine must match Linux; km marks the release with "kontain". */
#include "common.h"
#include <sys/utsname.h>

int main(void) {
  struct utsname u;
  if (uname(&u) != 0) { printf("uname: -1 %s\n", errname(errno)); return 1; }
  printf("sysname: %s\n", u.sysname);
  printf("machine: %s\n", u.machine);
  printf("release-has-kontain: %s\n", strstr(u.release, "kontain") ? "yes" : "no");
  printf("release starts with a digit: %s\n", u.release[0] >= '0' && u.release[0] <= '9' ? "yes" : "no");
  printf("nodename non-empty: %s\n", u.nodename[0] ? "yes" : "no");
  return 0;
}
