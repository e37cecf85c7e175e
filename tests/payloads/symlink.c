/* Symbolic links, kept apart from fileio because km may add them later than plain files:
 * symlink/symlinkat, readlink/readlinkat, lstat vs stat, O_NOFOLLOW, dangling links, unlink. */
#include "common.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static void show_link(const char *what, ssize_t n, const char *buf) {
  if (n < 0) printf("%s: -1 %s\n", what, errname(errno));
  else printf("%s: %zd \"%.*s\"\n", what, n, (int)n, buf);
}

int main(void) {
  char buf[256];
  struct stat st;
  int fd = open("target.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644);
  result("write target", write(fd, "target contents\n", 16));
  close(fd);
  mkdir("dir", 0755);

  result("symlink link -> target.txt", symlink("target.txt", "link"));
  show_link("readlink link", readlink("link", buf, sizeof buf), buf);
  show_link("readlink link into 4 bytes (truncates)", readlink("link", buf, 4), buf);
  result("lstat link is a symlink", lstat("link", &st) == 0 && S_ISLNK(st.st_mode));
  result("lstat link size is the target length", lstat("link", &st) == 0 ? (long)st.st_size : -1);
  result("stat link is regular", stat("link", &st) == 0 && S_ISREG(st.st_mode));
  result("stat link size", stat("link", &st) == 0 ? (long)st.st_size : -1);
  fd = open("link", O_RDONLY);
  ssize_t n = read(fd, buf, sizeof buf);
  printf("read through link: %zd %s", n, n > 0 ? "" : "\n");
  if (n > 0) fwrite(buf, 1, (size_t)n, stdout);
  close(fd);
  expect_err("open link O_NOFOLLOW", open("link", O_RDONLY | O_NOFOLLOW), ELOOP);
  expect_err("symlink over existing name", symlink("other", "link"), EEXIST);
  expect_err("readlink of a regular file", readlink("target.txt", buf, sizeof buf), EINVAL);
  expect_err("readlink missing", readlink("missing", buf, sizeof buf), ENOENT);

  int dfd = open("dir", O_RDONLY | O_DIRECTORY);
  result("symlinkat dirfd link2 -> ../target.txt", symlinkat("../target.txt", dfd, "link2"));
  show_link("readlinkat dirfd link2", readlinkat(dfd, "link2", buf, sizeof buf), buf);
  show_link("readlink dir/link2", readlink("dir/link2", buf, sizeof buf), buf);
  result("stat dir/link2 follows to target", stat("dir/link2", &st) == 0 ? (long)st.st_size : -1);
  result("fstatat AT_SYMLINK_NOFOLLOW is a symlink",
         fstatat(dfd, "link2", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode));

  result("symlink dangling -> nowhere", symlink("nowhere", "dangling"));
  expect_err("stat dangling", stat("dangling", &st), ENOENT);
  result("lstat dangling", lstat("dangling", &st));
  result("symlink dirlink -> dir", symlink("dir", "dirlink"));
  result("stat dirlink/link2 (through a dir link)", stat("dirlink/link2", &st) == 0 ? (long)st.st_size : -1);
  result("symlink loop1 -> loop2", symlink("loop2", "loop1"));
  result("symlink loop2 -> loop1", symlink("loop1", "loop2"));
  expect_err("stat loop1", stat("loop1", &st), ELOOP);

  result("unlink link", unlink("link"));
  result("target survives unlink of link", stat("target.txt", &st) == 0 ? (long)st.st_size : -1);
  expect_err("readlink removed link", readlink("link", buf, sizeof buf), ENOENT);
  close(dfd);
  return finish();
}
