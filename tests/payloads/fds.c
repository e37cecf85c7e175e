/* The payload must see only the fds it was given (0, 1, 2) and those it opens: none of the
 * monitor's own (KVM, event loop, log files) may be visible or closable.
 *   fds        fstat, fcntl(F_GETFD) then close on 3..1023: all must fail EBADF
 *   fds proc   lists /proc/self/fd
 *   fds many   holds up to 3000 descriptors of one directory, and fstatat(fd, "", AT_EMPTY_PATH)s
 *              each (an empty path buffer the monitor once freed under the host call) */
#include "common.h"
#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int cmpint(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

static int many(void) {
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
  getrlimit(RLIMIT_NOFILE, &rl);
  int n = rl.rlim_cur > 3100 ? 3000 : (int)rl.rlim_cur - 100;
  static int held[3000];
  int opened = 0, open_fail = 0, stat_fail = 0, wrong_dir = 0;
  const char *dir = "many_\xc3\xa6";
  struct stat want;
  if (mkdir(dir, 0755) != 0 || stat(dir, &want) != 0) { printf("mkdir %s: %s\n", dir, errname(errno)); return 1; }
  for (int round = 0; round < 12; round++) {
    for (int i = 0; i < n; i++) {
      held[i] = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (held[i] < 0) { open_fail++; continue; }
      opened++;
      struct stat st, none;
      if (fstatat(held[i], "", &st, AT_EMPTY_PATH) != 0) stat_fail++;
      else if (st.st_ino != want.st_ino) wrong_dir++;
      stat("/no-such-dir/x", &none); /* a failing lookup between the calls */
    }
    for (int i = 0; i < n; i++) if (held[i] >= 0) close(held[i]);
  }
  rmdir(dir);
  printf("descriptors held at once: %s\n", n >= 900 ? "at least 900" : "fewer than 900");
  printf("opens: %d, failed: %d\n", opened, open_fail);
  printf("fstatat(fd, \"\", AT_EMPTY_PATH) failed: %d, another file: %d\n", stat_fail, wrong_dir);
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "many")) return many();
  if (argc > 1 && !strcmp(argv[1], "proc")) {
    DIR *d = opendir("/proc/self/fd");
    if (!d) { printf("opendir /proc/self/fd: %s\n", errname(errno)); return 1; }
    int fds[64], n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 64)
      if (e->d_name[0] != '.') fds[n++] = atoi(e->d_name);
    qsort(fds, (size_t)n, sizeof fds[0], cmpint);
    printf("/proc/self/fd:");
    for (int i = 0; i < n; i++) printf(" %d", fds[i]);
    printf("\n");
    closedir(d);
    return 0;
  }
  struct stat st;
  int open_std = 0;
  for (int fd = 0; fd < 3; fd++) open_std += fstat(fd, &st) == 0;
  printf("stdio fds open: %d\n", open_std);
  int found_fstat = 0, found_fcntl = 0, closed = 0, other_errno = 0;
  for (int fd = 3; fd < 1024; fd++) {
    if (syscall(SYS_fstat, fd, &st) == 0) found_fstat++;
    else if (errno != EBADF) other_errno++;
  }
  for (int fd = 3; fd < 1024; fd++) {
    if (fcntl(fd, F_GETFD) != -1) found_fcntl++;
    else if (errno != EBADF) other_errno++;
  }
  for (int fd = 3; fd < 1024; fd++) {
    if (syscall(SYS_close, fd) == 0) closed++;
    else if (errno != EBADF) other_errno++;
  }
  printf("open fds above 2 found by fstat: %d\n", found_fstat);
  printf("open fds above 2 found by fcntl: %d\n", found_fcntl);
  printf("fds above 2 closed: %d\n", closed);
  printf("errors other than EBADF: %d\n", other_errno);
  expect_err("fstat -1", syscall(SYS_fstat, -1, &st), EBADF);
  expect_err("close 100000", syscall(SYS_close, 100000), EBADF);
  expect_err("dup2 onto fd 2^20 (beyond RLIMIT_NOFILE)", dup2(0, 1 << 20), EBADF);
  int fd = dup(1);
  printf("first new fd: %d\n", fd);
  printf("pipe fds:");
  int p[2];
  if (pipe(p) == 0) printf(" %d %d", p[0], p[1]);
  printf("\n");
  printf("write to the new fd works: %s\n", write(fd, "", 0) == 0 ? "yes" : "no");
  return finish();
}
