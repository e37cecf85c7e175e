/* File I/O round trip in the current directory (the test gives each run a fresh one and compares
 * the files left behind): open/creat, read/write, lseek, pread/pwrite, the stat family, truncation,
 * fsync, the dup family, fcntl, pipe2, readv/writev, access, getcwd/chdir/fchdir, umask, openat,
 * and lowest-free fd allocation (the fd numbers are printed: km must hand out the same ones). */
#include "common.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define FLMASK (O_ACCMODE | O_APPEND | O_NONBLOCK)

static const char *ftype(mode_t m) {
  if (S_ISREG(m)) return "regular";
  if (S_ISDIR(m)) return "directory";
  if (S_ISLNK(m)) return "symlink";
  if (S_ISFIFO(m)) return "fifo";
  if (S_ISCHR(m)) return "chardev";
  if (S_ISSOCK(m)) return "socket";
  return "other";
}

static void show_stat(const char *what, int r, const struct stat *st) {
  if (r != 0) { printf("%s: -1 %s\n", what, errname(errno)); return; }
  printf("%s: %s size=%lld mode=%04o nlink=%lu\n", what, ftype(st->st_mode), (long long)st->st_size,
         (unsigned)(st->st_mode & 07777), (unsigned long)st->st_nlink);
}

static void show_read(const char *what, ssize_t n, const char *buf) {
  if (n < 0) printf("%s: -1 %s\n", what, errname(errno));
  else printf("%s: %zd \"%.*s\"\n", what, n, (int)n, buf);
}

static int zeros(const char *b, size_t n) {
  for (size_t i = 0; i < n; i++) if (b[i]) return 0;
  return 1;
}

int main(void) {
  struct stat st;
  char buf[256];

  /* umask: the inherited value is the test runner's, the same for both runs */
  mode_t old = umask(022);
  printf("umask returns previous: %s\n", umask(022) == 022 ? "yes" : "no");
  (void)old;

  /* ---- open, write, lseek, read ---- */
  int fd = open("a.txt", O_CREAT | O_RDWR | O_TRUNC, 0666);
  result("open a.txt (first free fd)", fd);
  result("write 10", write(fd, "0123456789", 10));
  result("lseek CUR 0", lseek(fd, 0, SEEK_CUR));
  result("lseek SET 2", lseek(fd, 2, SEEK_SET));
  show_read("read 3", read(fd, buf, 3), buf);
  result("lseek END -1", lseek(fd, -1, SEEK_END));
  show_read("read 5 at end-1", read(fd, buf, 5), buf);
  show_read("read at EOF", read(fd, buf, 5), buf);
  result("lseek CUR +5 (past end)", lseek(fd, 5, SEEK_CUR));
  result("write X after hole", write(fd, "X", 1));
  result("lseek END 0", lseek(fd, 0, SEEK_END));
  expect_err("lseek SET -1", lseek(fd, -1, SEEK_SET), EINVAL);
  expect_err("lseek bad whence", lseek(fd, 0, 77), EINVAL);
  result("lseek SET 10", lseek(fd, 10, SEEK_SET));
  ssize_t n = read(fd, buf, sizeof buf);
  printf("hole reads back zeros: %zd %s\n", n, n == 6 && zeros(buf, 5) && buf[5] == 'X' ? "yes" : "no");

  /* ---- pread/pwrite leave the offset alone ---- */
  result("lseek SET 7", lseek(fd, 7, SEEK_SET));
  show_read("pread 4 at 1", pread(fd, buf, 4, 1), buf);
  result("pwrite AB at 0", pwrite(fd, "AB", 2, 0));
  show_read("pread 4 at 0", pread(fd, buf, 4, 0), buf);
  result("offset still 7", lseek(fd, 0, SEEK_CUR));
  expect_err("pread negative offset", pread(fd, buf, 1, -1), EINVAL);

  /* ---- stat family ---- */
  show_stat("fstat a.txt", fstat(fd, &st), &st);
  show_stat("stat a.txt", stat("a.txt", &st), &st);
  show_stat("lstat a.txt", lstat("a.txt", &st), &st);
  show_stat("stat .", stat(".", &st), &st);
  show_stat("fstatat AT_FDCWD a.txt", fstatat(AT_FDCWD, "a.txt", &st, 0), &st);
  expect_err("stat missing", stat("missing", &st), ENOENT);
  expect_err("stat a.txt/x", stat("a.txt/x", &st), ENOTDIR);

  /* ---- truncation and sync ---- */
  result("ftruncate 4", ftruncate(fd, 4));
  show_stat("fstat after ftruncate", fstat(fd, &st), &st);
  show_read("pread after ftruncate", pread(fd, buf, 10, 0), buf);
  result("truncate 100", truncate("a.txt", 100));
  show_stat("stat after truncate", stat("a.txt", &st), &st);
  n = pread(fd, buf, 50, 50);
  printf("extended part is zeros: %zd %s\n", n, n == 50 && zeros(buf, 50) ? "yes" : "no");
  expect_err("ftruncate negative", ftruncate(fd, -1), EINVAL);
  result("fsync", fsync(fd));
  result("fdatasync", fdatasync(fd));

  /* ---- dup family: shared offset, lowest free number, cloexec ---- */
  int d1 = dup(fd);
  result("dup (lowest free)", d1);
  result("dup2 to 10", dup2(fd, 10));
  result("dup2 onto itself", dup2(fd, fd));
  result("dup3 to 11 O_CLOEXEC", dup3(fd, 11, O_CLOEXEC));
  result("F_GETFD 11", fcntl(11, F_GETFD));
  result("F_GETFD 10", fcntl(10, F_GETFD));
  expect_err("dup3 onto itself", dup3(fd, fd, 0), EINVAL);
  expect_err("dup2 from closed fd", dup2(99, 12), EBADF);
  expect_err("dup of closed fd", dup(99), EBADF);
  lseek(fd, 3, SEEK_SET);
  result("dup shares offset", lseek(d1, 0, SEEK_CUR));
  result("close dup2 copy", close(10));
  expect_err("close again", close(10), EBADF);
  result("close 11", close(11));

  /* ---- fcntl ---- */
  result("F_GETFL & mask (O_RDWR)", fcntl(fd, F_GETFL) & FLMASK);
  result("F_SETFL O_APPEND|O_NONBLOCK", fcntl(fd, F_SETFL, O_APPEND | O_NONBLOCK));
  result("F_GETFL & mask (append|nonblock)", fcntl(fd, F_GETFL) & FLMASK);
  lseek(fd, 0, SEEK_SET);
  result("append write", write(fd, "END", 3));
  result("append went to the end", lseek(fd, 0, SEEK_CUR));
  result("F_SETFL 0", fcntl(fd, F_SETFL, 0));
  result("F_GETFD", fcntl(fd, F_GETFD));
  result("F_SETFD FD_CLOEXEC", fcntl(fd, F_SETFD, FD_CLOEXEC));
  result("F_GETFD after set", fcntl(fd, F_GETFD));
  result("F_SETFD 0", fcntl(fd, F_SETFD, 0));
  int d20 = fcntl(fd, F_DUPFD, 20);
  result("F_DUPFD >= 20", d20);
  result("F_GETFD of F_DUPFD copy", fcntl(d20, F_GETFD));
  int d30 = fcntl(fd, F_DUPFD_CLOEXEC, 30);
  result("F_DUPFD_CLOEXEC >= 30", d30);
  result("F_GETFD of F_DUPFD_CLOEXEC copy", fcntl(d30, F_GETFD));
  result("F_DUPFD >= 20 again", fcntl(fd, F_DUPFD, 20));
  expect_err("fcntl bad fd", fcntl(99, F_GETFD), EBADF);
  close(d20); close(d30); close(21);

  /* ---- lowest-free fd numbers ---- */
  result("close 3", close(fd));
  result("close 4", close(d1));
  int f3 = open("a.txt", O_RDONLY);
  int f4 = open("a.txt", O_RDONLY);
  int f5 = open(".", O_RDONLY | O_DIRECTORY);
  printf("reopened fds: %d %d %d\n", f3, f4, f5);
  close(f4);
  printf("after close(4) open gives: %d\n", open("a.txt", O_RDONLY));
  close(f3); close(4); close(f5);
  fd = open("a.txt", O_RDWR);
  result("reopen a.txt", fd);

  /* ---- pipe2 ---- */
  int p[2];
  result("pipe2 O_CLOEXEC", pipe2(p, O_CLOEXEC));
  printf("pipe fds: %d %d\n", p[0], p[1]);
  result("pipe F_GETFD", fcntl(p[0], F_GETFD));
  result("pipe write", write(p[1], "ping", 4));
  show_read("pipe read", read(p[0], buf, sizeof buf), buf);
  result("pipe F_GETFL & mask (read end)", fcntl(p[0], F_GETFL) & FLMASK);
  result("pipe F_GETFL & mask (write end)", fcntl(p[1], F_GETFL) & FLMASK);
  fstat(p[0], &st);
  printf("pipe fstat type: %s\n", ftype(st.st_mode));
  expect_err("lseek on pipe", lseek(p[0], 0, SEEK_SET), ESPIPE);
  close(p[1]);
  show_read("pipe read after writer closed (EOF)", read(p[0], buf, sizeof buf), buf);
  close(p[0]);
  result("pipe2 O_NONBLOCK", pipe2(p, O_NONBLOCK));
  expect_err("nonblocking read of empty pipe", read(p[0], buf, sizeof buf), EAGAIN);
  close(p[0]);
  close(p[1]);
  expect_err("pipe2 bad flags", pipe2(p, 0x7fff0000), EINVAL);

  /* ---- readv/writev ---- */
  int v = open("vec.txt", O_CREAT | O_RDWR | O_TRUNC, 0640);
  struct iovec wv[3] = {{"alpha-", 6}, {"", 0}, {"beta-gamma", 10}};
  result("writev 3 iovecs", writev(v, wv, 3));
  char a[4], b[20];
  memset(b, 0, sizeof b);
  struct iovec rv[2] = {{a, sizeof a}, {b, sizeof b}};
  ssize_t rn = preadv(v, rv, 2, 0);
  printf("preadv: %zd \"%.4s\" \"%s\"\n", rn, a, b);
  lseek(v, 0, SEEK_SET);
  memset(b, 0, sizeof b);
  rn = readv(v, rv, 2);
  printf("readv: %zd \"%.4s\" \"%s\"\n", rn, a, b);
  result("pwritev at 2", pwritev(v, wv, 1, 2));
  show_read("pread back", pread(v, buf, sizeof buf, 0), buf);
  close(v);

  /* ---- access ---- */
  result("access a.txt R_OK|W_OK", access("a.txt", R_OK | W_OK));
  expect_err("access missing F_OK", access("missing", F_OK), ENOENT);
  result("faccessat AT_FDCWD a.txt F_OK", faccessat(AT_FDCWD, "a.txt", F_OK, 0));
  int ne = open("noexec", O_CREAT | O_WRONLY, 0644);
  close(ne);
  /* even root needs an x bit to execute */
  expect_err("access noexec X_OK", access("noexec", X_OK), EACCES);
  result("chmod noexec 0755", chmod("noexec", 0755));
  result("access noexec X_OK after chmod", access("noexec", X_OK));
  result("fchmod a.txt 0600", fchmod(fd, 0600));
  show_stat("stat a.txt after fchmod", stat("a.txt", &st), &st);

  /* ---- cwd ---- */
  char start[4096], now[4096];
  printf("getcwd: %s\n", getcwd(start, sizeof start) ? "ok" : errname(errno));
  printf("cwd is absolute: %s\n", start[0] == '/' ? "yes" : "no");
  expect_err("getcwd too small", (long)(getcwd(now, 2) ? 0 : -1), ERANGE);
  int here = open(".", O_RDONLY | O_DIRECTORY);
  result("open . O_DIRECTORY", here);
  result("mkdir sub", mkdir("sub", 0777));
  result("chdir sub", chdir("sub"));
  getcwd(now, sizeof now);
  size_t sl = strlen(start);
  printf("cwd is start/sub: %s\n", strncmp(now, start, sl) == 0 && strcmp(now + sl, "/sub") == 0 ? "yes" : "no");
  int in = open("in-sub.txt", O_CREAT | O_WRONLY, 0644);
  result("write in sub", write(in, "sub", 3));
  close(in);
  result("fchdir back", fchdir(here));
  getcwd(now, sizeof now);
  printf("cwd is start again: %s\n", strcmp(now, start) == 0 ? "yes" : "no");
  expect_err("chdir a.txt", chdir("a.txt"), ENOTDIR);
  expect_err("chdir missing", chdir("missing"), ENOENT);
  expect_err("fchdir on a file", fchdir(fd), ENOTDIR);

  /* ---- openat ---- */
  int dfd = open("sub", O_RDONLY | O_DIRECTORY);
  int af = openat(dfd, "inner.txt", O_CREAT | O_WRONLY | O_EXCL, 0600);
  result("openat dirfd inner.txt", af);
  result("write inner", write(af, "inner", 5));
  close(af);
  show_stat("stat sub/inner.txt", stat("sub/inner.txt", &st), &st);
  show_stat("fstatat dirfd inner.txt", fstatat(dfd, "inner.txt", &st, 0), &st);
  af = openat(dfd, "../a.txt", O_RDONLY);
  show_read("openat dirfd ../a.txt read", af < 0 ? -1 : pread(af, buf, 4, 0), buf);
  close(af);
  af = openat(dfd, start, O_RDONLY | O_DIRECTORY); /* absolute path ignores dirfd */
  result("openat absolute path", af >= 0 ? 0 : -1);
  close(af);
  expect_err("openat O_EXCL existing", openat(dfd, "inner.txt", O_CREAT | O_EXCL | O_WRONLY, 0600), EEXIST);
  expect_err("openat relative with file as dirfd", openat(fd, "x", O_RDONLY), ENOTDIR);
  expect_err("openat bad dirfd", openat(99, "x", O_RDONLY), EBADF);
  close(dfd);

  /* ---- more open errors ---- */
  expect_err("open missing", open("missing", O_RDONLY), ENOENT);
  expect_err("open O_DIRECTORY on a file", open("a.txt", O_RDONLY | O_DIRECTORY), ENOTDIR);
  expect_err("open directory for writing", open("sub", O_WRONLY), EISDIR);
  expect_err("open missing/x O_CREAT", open("missing/x", O_CREAT | O_WRONLY, 0644), ENOENT);
  expect_err("read on O_WRONLY fd", (in = open("vec.txt", O_WRONLY), read(in, buf, 1)), EBADF);
  close(in);
  expect_err("write on O_RDONLY fd", (in = open("vec.txt", O_RDONLY), write(in, "x", 1)), EBADF);
  close(in);

  /* ---- creat, O_APPEND, O_TRUNC ---- */
  int c = creat("c.txt", 0640);
  result("creat c.txt", c);
  result("write c", write(c, "created\n", 8));
  expect_err("read on creat fd (write-only)", read(c, buf, 1), EBADF);
  close(c);
  c = open("c.txt", O_WRONLY | O_APPEND);
  result("append to c.txt", write(c, "more\n", 5));
  close(c);
  show_stat("stat c.txt", stat("c.txt", &st), &st);
  c = open("vec.txt", O_WRONLY | O_TRUNC);
  show_stat("stat vec.txt after O_TRUNC", fstat(c, &st), &st);
  result("write vec", write(c, "vector\n", 7));
  close(c);

  /* ---- umask applies to new files ---- */
  umask(077);
  c = open("private.txt", O_CREAT | O_WRONLY, 0666);
  close(c);
  show_stat("stat private.txt (umask 077)", stat("private.txt", &st), &st);
  umask(022);

  close(fd);
  close(here);
  return finish();
}
