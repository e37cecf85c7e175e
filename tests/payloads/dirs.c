/* Directory operations: mkdir/mkdirat, getdents64 listings (sorted before printing, since the
 * order is file-system specific), rename/renameat/renameat2, unlink/unlinkat, rmdir, and the
 * errors a program relies on (ENOENT, EEXIST, ENOTEMPTY, ENOTDIR, EISDIR). */
#include "common.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE 2
#endif

struct dirent64_raw {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static char typechar(unsigned char t) {
  switch (t) {
  case 4: return 'd';   /* DT_DIR */
  case 8: return 'f';   /* DT_REG */
  case 10: return 'l';  /* DT_LNK */
  case 0: return '?';   /* DT_UNKNOWN */
  default: return 'o';
  }
}

/* Lists a directory with raw getdents64 calls of bufsize bytes each; prints sorted "name/type". */
static void list(const char *path, size_t bufsize, int print) {
  int fd = open(path, O_RDONLY | O_DIRECTORY);
  if (fd < 0) { printf("list %s: -1 %s\n", path, errname(errno)); return; }
  char *buf = malloc(bufsize);
  char **names = NULL;
  size_t count = 0, cap = 0;
  int calls = 0, bad_reclen = 0;
  for (;;) {
    long n = syscall(SYS_getdents64, fd, buf, bufsize);
    calls++;
    if (n < 0) { printf("getdents64 %s: -1 %s\n", path, errname(errno)); break; }
    if (n == 0) break;
    for (long off = 0; off < n;) {
      struct dirent64_raw *d = (struct dirent64_raw *)(buf + off);
      if (d->d_reclen == 0 || d->d_reclen % 8 != 0 || off + d->d_reclen > n) { bad_reclen = 1; break; }
      if (count == cap) { cap = cap ? cap * 2 : 16; names = realloc(names, cap * sizeof *names); }
      size_t len = strlen(d->d_name);
      names[count] = malloc(len + 3);
      snprintf(names[count], len + 3, "%s/%c", d->d_name, typechar(d->d_type));
      count++;
      off += d->d_reclen;
    }
    if (bad_reclen) break;
  }
  qsort(names, count, sizeof *names, cmp);
  printf("list %s: %zu entries%s%s\n", path, count, bad_reclen ? " (bad d_reclen)" : "",
         bufsize < 4096 && calls < 3 ? " (expected several calls)" : "");
  for (size_t i = 0; i < count; i++) {
    if (print) printf("  %s\n", names[i]);
    free(names[i]);
  }
  free(names);
  free(buf);
  close(fd);
}

static void touch(const char *path, const char *content) {
  int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
  if (fd < 0) { printf("create %s: -1 %s\n", path, errname(errno)); failures++; return; }
  if (write(fd, content, strlen(content)) < 0) failures++;
  close(fd);
}

static void cat(const char *path) {
  char buf[128];
  int fd = open(path, O_RDONLY);
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf);
  if (n < 0) printf("cat %s: -1 %s\n", path, errname(errno));
  else printf("cat %s: \"%.*s\"\n", path, (int)n, buf);
  if (fd >= 0) close(fd);
}

int main(void) {
  struct stat st;
  result("mkdir d", mkdir("d", 0755));
  expect_err("mkdir d again", mkdir("d", 0755), EEXIST);
  expect_err("mkdir missing/x", mkdir("missing/x", 0755), ENOENT);
  for (int i = 1; i <= 5; i++) {
    char p[32], c[32];
    snprintf(p, sizeof p, "d/f%d", i);
    snprintf(c, sizeof c, "file %d", i);
    touch(p, c);
  }
  result("mkdir d/s", mkdir("d/s", 0700));
  touch("d/s/inner", "inner");
  list("d", 4096, 1);
  list("d", 64, 1); /* several getdents64 calls with a small buffer */
  int dfd = open("d", O_RDONLY | O_DIRECTORY);
  char tiny[8];
  expect_err("getdents64 with a too-small buffer", syscall(SYS_getdents64, dfd, tiny, sizeof tiny), EINVAL);
  expect_err("getdents64 on a file", (syscall(SYS_getdents64, open("d/f1", O_RDONLY), tiny, sizeof tiny)), ENOTDIR);

  /* renames */
  result("rename d/f1 d/g1", rename("d/f1", "d/g1"));
  expect_err("stat old name", stat("d/f1", &st), ENOENT);
  cat("d/g1");
  result("rename over existing (replaces)", rename("d/f2", "d/g1"));
  cat("d/g1");
  expect_err("renameat2 NOREPLACE onto existing", syscall(SYS_renameat2, dfd, "f3", dfd, "g1", RENAME_NOREPLACE), EEXIST);
  result("renameat2 NOREPLACE to a new name", syscall(SYS_renameat2, dfd, "f3", dfd, "h3", RENAME_NOREPLACE));
  result("renameat2 EXCHANGE h3 <-> g1", syscall(SYS_renameat2, dfd, "h3", dfd, "g1", RENAME_EXCHANGE));
  cat("d/g1");
  cat("d/h3");
  result("renameat d/f4 -> ./top4", renameat(dfd, "f4", AT_FDCWD, "top4"));
  expect_err("rename missing", rename("d/nope", "d/x"), ENOENT);
  expect_err("rename dir over non-empty dir", (mkdir("e", 0755), touch("e/x", "x"), rename("d/s", "e")), ENOTEMPTY);
  expect_err("rename file over dir", rename("top4", "e"), EISDIR);
  expect_err("rename dir over file", rename("d/s", "top4"), ENOTDIR);
  expect_err("rename dir into itself", rename("d", "d/s/d"), EINVAL);

  /* removal */
  result("unlink d/f5", unlink("d/f5"));
  expect_err("unlink d/f5 again", unlink("d/f5"), ENOENT);
  expect_err("unlink a directory", unlink("d/s"), EISDIR);
  expect_err("rmdir non-empty", rmdir("d"), ENOTEMPTY);
  expect_err("rmdir a file", rmdir("top4"), ENOTDIR);
  expect_err("rmdir missing", rmdir("nope"), ENOENT);
  result("mkdirat dfd m", mkdirat(dfd, "m", 0700));
  result("stat d/m is dir", stat("d/m", &st) == 0 && S_ISDIR(st.st_mode));
  expect_err("unlinkat dfd s without AT_REMOVEDIR", unlinkat(dfd, "s", 0), EISDIR);
  expect_err("unlinkat dfd s AT_REMOVEDIR (non-empty)", unlinkat(dfd, "s", AT_REMOVEDIR), ENOTEMPTY);
  result("unlinkat dfd s/inner", unlinkat(dfd, "s/inner", 0));
  result("unlinkat dfd s AT_REMOVEDIR", unlinkat(dfd, "s", AT_REMOVEDIR));
  result("unlinkat dfd m AT_REMOVEDIR", unlinkat(dfd, "m", AT_REMOVEDIR));
  expect_err("unlinkat AT_REMOVEDIR on a file", unlinkat(dfd, "g1", AT_REMOVEDIR), ENOTDIR);
  expect_err("stat missing", stat("missing", &st), ENOENT);
  expect_err("stat d/g1/x (file as dir)", stat("d/g1/x", &st), ENOTDIR);
  result("unlink e/x", unlink("e/x"));
  result("rmdir e", rmdir("e"));
  list("d", 4096, 1);

  /* a bigger directory read in pieces */
  result("mkdir big", mkdir("big", 0755));
  for (int i = 0; i < 200; i++) {
    char p[64];
    snprintf(p, sizeof p, "big/entry-with-a-longish-name-%03d", i);
    touch(p, "");
  }
  list("big", 1024, 0);
  list("big", 32768, 0);
  result("rename d -> renamed", rename("d", "renamed"));
  expect_err("open old dir name", open("d", O_RDONLY), ENOENT);
  list(".", 4096, 1);
  close(dfd);
  return finish();
}
