/* The I/O and event syscall families, in the current directory (the test compares the files left
 * behind): sendfile/splice/tee/vmsplice/copy_file_range, fallocate/fadvise/readahead, the sync
 * family, flock between two open file descriptions, statfs/fstatfs, timestamps (utimensat with
 * UTIME_OMIT, utimes, utime, futimesat), modes and owners, links, symlinks, mknod FIFOs, user.*
 * extended attributes, memfd shared mappings, times/getrusage, inotify, pipe2 O_DIRECT packets,
 * io_uring and name_to_handle_at (whatever the host says natively, km refuses them), and
 * close_range over the payload's descriptors only. */
// build-flags: -pthread
#include "common.h"
#include <fcntl.h>
#include <pthread.h>
#include <time.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <utime.h>

#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_io_uring_setup
#define SYS_io_uring_setup 425
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC 4
#endif

#define N 10000
static char data[N];

static uint64_t file_hash(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return 0;
  char b[4096];
  uint64_t h = FNV_INIT;
  ssize_t n;
  while ((n = read(fd, b, sizeof b)) > 0) h = fnv1a(b, n, h);
  close(fd);
  return h;
}

static void make_file(const char *path, const char *src, size_t n) {
  int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
  if (fd < 0 || write(fd, src, n) != (ssize_t)n) { printf("make %s: FAIL\n", path); failures++; }
  close(fd);
}

static void test_sendfile(void) {
  int src = open("src.bin", O_RDONLY);
  int dst = open("sendfile.bin", O_CREAT | O_TRUNC | O_WRONLY, 0644);
  off_t off = 1000;
  result("sendfile file->file", sendfile(dst, src, &off, 5000));
  printf("sendfile offset after: %lld, file offset: %lld\n", (long long)off, (long long)lseek(src, 0, SEEK_CUR));
  close(dst);
  check("sendfile content", file_hash("sendfile.bin") == fnv1a(data + 1000, 5000, FNV_INIT));
  int p[2];
  pipe(p);
  result("sendfile file->pipe (no offset)", sendfile(p[1], src, NULL, 300));
  printf("file offset after: %lld\n", (long long)lseek(src, 0, SEEK_CUR));
  char b[400];
  ssize_t n = read(p[0], b, sizeof b);
  check("pipe got the file's first bytes", n == 300 && memcmp(b, data, 300) == 0);
  expect_err("sendfile bad fd", sendfile(p[1], 99, NULL, 10), EBADF);
  expect_err("sendfile bad offset pointer", sendfile(p[1], src, (off_t *)8, 10), EFAULT);
  close(p[0]); close(p[1]); close(src);
}

static void test_splice_tee(void) {
  int p[2], q[2];
  pipe(p); pipe(q);
  write(p[1], "spliced into a file\n", 20);
  int f = open("splice.txt", O_CREAT | O_TRUNC | O_RDWR, 0644);
  loff_t off = 5;
  write(f, "head:", 5);
  result("splice pipe->file", splice(p[0], NULL, f, &off, 100, 0));
  printf("splice out offset: %lld\n", (long long)off);
  loff_t in = 5;
  result("splice file->pipe", splice(f, &in, q[1], NULL, 8, 0));
  char b[64] = {0};
  ssize_t n = read(q[0], b, sizeof b - 1);
  printf("pipe got %zd: %s\n", n, b);
  expect_err("splice pipe->pipe empty nonblock", splice(p[0], NULL, q[1], NULL, 10, SPLICE_F_NONBLOCK), EAGAIN);
  expect_err("splice between two files", splice(f, &in, f, &off, 4, 0), EINVAL);
  write(p[1], "tee data", 8);
  result("tee", tee(p[0], q[1], 100, 0));
  memset(b, 0, sizeof b);
  n = read(q[0], b, sizeof b - 1);
  printf("tee copy %zd: %s\n", n, b);
  memset(b, 0, sizeof b);
  n = read(p[0], b, sizeof b - 1);
  printf("tee original still there %zd: %s\n", n, b);
  expect_err("tee to a file", tee(p[0], f, 10, 0), EINVAL);
  char v1[] = "vm", v2[] = "splice";
  struct iovec iov[2] = {{v1, 2}, {v2, 6}};
  result("vmsplice", vmsplice(q[1], iov, 2, 0));
  memset(b, 0, sizeof b);
  n = read(q[0], b, sizeof b - 1);
  printf("vmsplice read %zd: %s\n", n, b);
  close(p[0]); close(p[1]); close(q[0]); close(q[1]); close(f);
}

static void test_copy_file_range(void) {
  int src = open("src.bin", O_RDONLY);
  int dst = open("cfr.bin", O_CREAT | O_TRUNC | O_RDWR, 0644);
  loff_t oi = 100, oo = 0;
  ssize_t total = 0, n;
  while (total < 4000 && (n = copy_file_range(src, &oi, dst, &oo, 4000 - total, 0)) > 0) total += n;
  printf("copy_file_range copied %zd, offsets %lld %lld, file offsets %lld %lld\n", total, (long long)oi,
         (long long)oo, (long long)lseek(src, 0, SEEK_CUR), (long long)lseek(dst, 0, SEEK_CUR));
  close(dst);
  check("copy_file_range content", file_hash("cfr.bin") == fnv1a(data + 100, 4000, FNV_INIT));
  expect_err("copy_file_range flags", copy_file_range(src, NULL, src, NULL, 1, 1), EINVAL);
  close(src);
}

static void test_space_and_sync(void) {
  int fd = open("falloc.bin", O_CREAT | O_TRUNC | O_RDWR, 0644);
  int r = fallocate(fd, 0, 0, 65536);
  if (r != 0 && errno == EOPNOTSUPP) printf("fallocate: EOPNOTSUPP\n");
  else {
    struct stat st;
    fstat(fd, &st);
    printf("fallocate: %d size=%lld blocks>0: %s\n", r, (long long)st.st_size, st.st_blocks > 0 ? "yes" : "no");
    result("fallocate KEEP_SIZE beyond", fallocate(fd, FALLOC_FL_KEEP_SIZE, 65536, 4096));
    fstat(fd, &st);
    printf("size after KEEP_SIZE: %lld\n", (long long)st.st_size);
  }
  expect_err("fallocate bad mode", fallocate(fd, 0x7fff0000, 0, 10), EOPNOTSUPP);
  expect_err("fallocate negative length", fallocate(fd, 0, 0, -1), EINVAL);
  printf("posix_fadvise sequential: %d\n", posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL));
  printf("posix_fadvise dontneed: %d\n", posix_fadvise(fd, 0, 4096, POSIX_FADV_DONTNEED));
  printf("posix_fadvise bad advice: %s\n", errname(posix_fadvise(fd, 0, 0, 99)));
  printf("posix_fadvise bad fd: %s\n", errname(posix_fadvise(77, 0, 0, POSIX_FADV_NORMAL)));
  result("readahead", readahead(fd, 0, 4096));
  result("fsync", fsync(fd));
  result("fdatasync", fdatasync(fd));
  result("sync_file_range", sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE));
  expect_err("sync_file_range bad flags", sync_file_range(fd, 0, 0, 0x100), EINVAL);
  result("syncfs", syncfs(fd));
  sync();
  printf("sync: returned\n");
  expect_err("syncfs bad fd", syncfs(55), EBADF);
  close(fd);
}

static void test_flock(void) {
  int a = open("lock.txt", O_CREAT | O_RDWR, 0644);
  int b = open("lock.txt", O_RDWR);
  result("flock a EX", flock(a, LOCK_EX));
  expect_err("flock b EX|NB while a holds EX", flock(b, LOCK_EX | LOCK_NB), EWOULDBLOCK);
  expect_err("flock b SH|NB while a holds EX", flock(b, LOCK_SH | LOCK_NB), EWOULDBLOCK);
  int d = dup(a);
  result("flock dup of a EX|NB (same description)", flock(d, LOCK_EX | LOCK_NB));
  result("flock a UN", flock(a, LOCK_UN));
  result("flock a SH", flock(a, LOCK_SH));
  result("flock b SH|NB", flock(b, LOCK_SH | LOCK_NB));
  expect_err("flock a EX|NB while b holds SH", flock(a, LOCK_EX | LOCK_NB), EWOULDBLOCK);
  result("flock b UN", flock(b, LOCK_UN));
  result("flock a EX (upgrade, now free)", flock(a, LOCK_EX));
  expect_err("flock bad op", flock(a, 0), EINVAL);
  expect_err("flock bad fd", flock(66, LOCK_EX), EBADF);
  close(d); close(a); close(b);
}

/* Blocking calls wait on the calling thread only: another thread runs meanwhile and releases them. */
static volatile int main_ran;
static int lock_b, pipe_in[2], pipe_out[2];

static void *lock_waiter(void *arg) {
  (void)arg;
  int r = flock(lock_b, LOCK_EX);
  printf("waiter: flock EX returned %d, main ran meanwhile: %s\n", r, main_ran ? "yes" : "no");
  return NULL;
}

static void *splice_waiter(void *arg) {
  (void)arg;
  ssize_t n = splice(pipe_in[0], NULL, pipe_out[1], NULL, 100, 0);
  printf("waiter: splice returned %zd, main ran meanwhile: %s\n", n, main_ran ? "yes" : "no");
  return NULL;
}

static void pause_ms(int ms) {
  struct timespec t = {0, ms * 1000000L};
  nanosleep(&t, NULL);
}

static void test_blocking(void) {
  int a = open("lock.txt", O_RDWR);
  lock_b = open("lock.txt", O_RDWR);
  flock(a, LOCK_EX);
  pthread_t th;
  main_ran = 0;
  pthread_create(&th, NULL, lock_waiter, NULL);
  pause_ms(50);
  main_ran = 1;
  flock(a, LOCK_UN);
  pthread_join(th, NULL);
  close(a); close(lock_b);

  pipe(pipe_in); pipe(pipe_out);
  main_ran = 0;
  pthread_create(&th, NULL, splice_waiter, NULL);
  pause_ms(50);
  main_ran = 1;
  write(pipe_in[1], "late data", 9);
  pthread_join(th, NULL);
  char b[16] = {0};
  read(pipe_out[0], b, sizeof b - 1);
  printf("spliced: %s\n", b);
  close(pipe_in[0]); close(pipe_in[1]); close(pipe_out[0]); close(pipe_out[1]);
}

static void test_statfs(void) {
  struct statfs s1, s2;
  int fd = open("src.bin", O_RDONLY);
  result("statfs", statfs(".", &s1));
  result("fstatfs", fstatfs(fd, &s2));
  check("statfs f_type matches fstatfs", s1.f_type == s2.f_type);
  check("statfs f_bsize > 0", s1.f_bsize > 0 && s2.f_bsize == s1.f_bsize);
  check("statfs f_blocks > 0", s1.f_blocks > 0);
  expect_err("statfs missing", statfs("nope/x", &s1), ENOENT);
  expect_err("fstatfs bad fd", fstatfs(44, &s1), EBADF);
  /* musl converts the struct in user space: the raw call shows the kernel's answer */
  expect_err("statfs bad buffer", syscall(SYS_statfs, ".", (void *)16), EFAULT);
  close(fd);
}

static void show_times(const char *what, const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) { printf("%s: -1 %s\n", what, errname(errno)); return; }
  printf("%s: atime %lld.%09ld mtime %lld.%09ld\n", what, (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
         (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

static void test_times_modes_owners(void) {
  make_file("t.txt", "times", 5);
  struct timespec ts[2] = {{999, 5}, {1000000000, 123456789}};
  result("utimensat", utimensat(AT_FDCWD, "t.txt", ts, 0));
  show_times("after utimensat", "t.txt");
  struct timespec omit[2] = {{2000, 0}, {0, UTIME_OMIT}};
  result("utimensat mtime UTIME_OMIT", utimensat(AT_FDCWD, "t.txt", omit, 0));
  show_times("after UTIME_OMIT", "t.txt");
  int fd = open("t.txt", O_RDONLY);
  struct timespec f[2] = {{3000, 0}, {3001, 7}};
  result("futimens", futimens(fd, f));
  show_times("after futimens", "t.txt");
  struct timeval tv[2] = {{4000, 1}, {4001, 2}};
  result("utimes", utimes("t.txt", tv));
  show_times("after utimes", "t.txt");
  struct utimbuf ub = {5000, 5001};
  result("utime", utime("t.txt", &ub));
  show_times("after utime", "t.txt");
  struct timeval tv2[2] = {{6000, 0}, {6001, 0}};
  result("futimesat", syscall(SYS_futimesat, AT_FDCWD, "t.txt", tv2));
  show_times("after futimesat", "t.txt");
  struct timespec bad[2] = {{1, 1000000000}, {0, 0}};
  expect_err("utimensat bad nsec", utimensat(AT_FDCWD, "t.txt", bad, 0), EINVAL);
  expect_err("utimensat missing", utimensat(AT_FDCWD, "missing", ts, 0), ENOENT);

  struct stat st;
  result("chmod 0640", chmod("t.txt", 0640));
  stat("t.txt", &st); printf("mode: %04o\n", st.st_mode & 07777);
  result("fchmod 0600", fchmod(fd, 0600));
  stat("t.txt", &st); printf("mode: %04o\n", st.st_mode & 07777);
  result("fchmodat 0604", fchmodat(AT_FDCWD, "t.txt", 0604, 0));
  stat("t.txt", &st); printf("mode: %04o\n", st.st_mode & 07777);
  expect_err("chmod missing", chmod("missing", 0600), ENOENT);

  uid_t u = getuid(); gid_t g = getgid();
  result("chown to own ids", chown("t.txt", u, g));
  result("fchown to own ids", fchown(fd, u, g));
  result("lchown to own ids", lchown("t.txt", u, g));
  result("fchownat to own ids", fchownat(AT_FDCWD, "t.txt", u, g, 0));
  result("chown -1 -1", chown("t.txt", (uid_t)-1, (gid_t)-1));
  stat("t.txt", &st);
  check("owner unchanged", st.st_uid == u && st.st_gid == g);
  expect_err("fchown bad fd", fchown(33, u, g), EBADF);
  close(fd);
}

static void test_links_nodes(void) {
  struct stat st;
  make_file("l.txt", "linked", 6);
  result("linkat", linkat(AT_FDCWD, "l.txt", AT_FDCWD, "l2.txt", 0));
  result("link", link("l.txt", "l3.txt"));
  stat("l.txt", &st); printf("nlink: %lu\n", (unsigned long)st.st_nlink);
  unlink("l3.txt");
  stat("l.txt", &st); printf("nlink after unlink: %lu\n", (unsigned long)st.st_nlink);
  expect_err("linkat existing", linkat(AT_FDCWD, "l.txt", AT_FDCWD, "l2.txt", 0), EEXIST);
  result("symlinkat", symlinkat("l.txt", AT_FDCWD, "sym"));
  char b[64] = {0};
  result("readlink", readlink("sym", b, sizeof b - 1));
  printf("target: %s\n", b);
  result("mknodat fifo", mknodat(AT_FDCWD, "fifo", S_IFIFO | 0640, 0));
  lstat("fifo", &st);
  check("S_ISFIFO", S_ISFIFO(st.st_mode));
  printf("fifo mode: %04o\n", st.st_mode & 07777);
  result("mknod regular", mknod("node.txt", S_IFREG | 0600, 0));
  lstat("node.txt", &st);
  check("S_ISREG", S_ISREG(st.st_mode) && st.st_size == 0);
  expect_err("mknod existing", mknod("fifo", S_IFIFO | 0600, 0), EEXIST);
  expect_err("mknod bad type", mknod("weird", 0170000 | 0600, 0), EINVAL);
  int fd = open("fifo", O_RDONLY | O_NONBLOCK);
  check("fifo opens nonblocking for reading", fd >= 0);
  close(fd);
}

static void test_xattr(void) {
  make_file("x.txt", "xattrs", 6);
  int r = setxattr("x.txt", "user.km", "hello", 5, 0);
  if (r != 0) { printf("setxattr: -1 %s (file system refuses user xattrs)\n", errname(errno)); return; }
  printf("setxattr: 0\n");
  char b[64] = {0};
  result("getxattr", getxattr("x.txt", "user.km", b, sizeof b));
  printf("value: %s\n", b);
  result("getxattr size query", getxattr("x.txt", "user.km", NULL, 0));
  expect_err("getxattr small buffer", getxattr("x.txt", "user.km", b, 2), ERANGE);
  volatile size_t huge = (size_t)-1;
  result("getxattr size_t max (the kernel clamps it)", getxattr("x.txt", "user.km", b, huge));
  volatile size_t big = 70000;
  expect_err("setxattr value too large", setxattr("x.txt", "user.big", b, big, 0), E2BIG);
  expect_err("setxattr XATTR_CREATE existing", setxattr("x.txt", "user.km", "x", 1, XATTR_CREATE), EEXIST);
  int fd = open("x.txt", O_RDWR);
  result("fsetxattr", fsetxattr(fd, "user.second", "22", 2, 0));
  memset(b, 0, sizeof b);
  result("fgetxattr", fgetxattr(fd, "user.second", b, sizeof b));
  printf("value: %s\n", b);
  result("lsetxattr", lsetxattr("x.txt", "user.third", "333", 3, 0));
  memset(b, 0, sizeof b);
  result("lgetxattr", lgetxattr("x.txt", "user.third", b, sizeof b));
  printf("value: %s\n", b);
  char list[256];
  ssize_t n = listxattr("x.txt", list, sizeof list);
  /* the order is the file system's; count the user.* names and their total length */
  int users = 0;
  for (ssize_t i = 0; i < n; i += strlen(list + i) + 1) if (strncmp(list + i, "user.", 5) == 0) users++;
  printf("listxattr user names: %d\n", users);
  check("llistxattr same length", llistxattr("x.txt", list, sizeof list) == n);
  check("flistxattr same length", flistxattr(fd, list, sizeof list) == n);
  check("listxattr size query", listxattr("x.txt", NULL, 0) == n);
  result("removexattr", removexattr("x.txt", "user.km"));
  result("fremovexattr", fremovexattr(fd, "user.second"));
  result("lremovexattr", lremovexattr("x.txt", "user.third"));
  r = getxattr("x.txt", "user.km", b, sizeof b);
  printf("getxattr removed: %d %s\n", r, r < 0 && errno == ENODATA ? "ENODATA" : errname(errno));
  char longname[300];
  memset(longname, 'a', sizeof longname); memcpy(longname, "user.", 5); longname[299] = 0;
  expect_err("getxattr name too long", getxattr("x.txt", longname, b, sizeof b), ERANGE);
  void *volatile bad = (void *)8;
  expect_err("setxattr bad value pointer", setxattr("x.txt", "user.bad", bad, 4, 0), EFAULT);
  expect_err("fgetxattr bad fd", fgetxattr(88, "user.km", b, sizeof b), EBADF);
  close(fd);
}

static void test_memfd(void) {
  int fd = memfd_create("km-test", MFD_CLOEXEC);
  check("memfd_create", fd >= 0);
  check("memfd is close-on-exec", fcntl(fd, F_GETFD) == FD_CLOEXEC);
  result("ftruncate memfd", ftruncate(fd, 8192));
  char *a = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  char *b = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  check("two shared mappings", a != MAP_FAILED && b != MAP_FAILED && a != b);
  strcpy(a + 4096, "written through a");
  check("mapping b sees a's write", strcmp(b + 4096, "written through a") == 0);
  strcpy(b, "written through b");
  check("mapping a sees b's write", strcmp(a, "written through b") == 0);
  check("pwrite via the fd", pwrite(fd, "via fd", 7, 100) == 7);
  check("mapping sees the fd's write", strcmp(a + 100, "via fd") == 0);
  char r[32] = {0};
  check("pread sees the mapping's write", pread(fd, r, 17, 4096) == 17 && strcmp(r, "written through a") == 0);
  struct stat st;
  fstat(fd, &st);
  printf("memfd size: %lld\n", (long long)st.st_size);
  char *priv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  priv[0] = 'P';
  check("private mapping's write stays private", a[0] == 'w');
  munmap(priv, 4096);
  munmap(a, 8192); munmap(b, 8192);
  expect_err("memfd_create bad flags", memfd_create("x", 0x100), EINVAL);
  char longname[300];
  memset(longname, 'n', sizeof longname); longname[299] = 0;
  expect_err("memfd_create name too long", memfd_create(longname, 0), EINVAL);
  close(fd);
}

static void test_process_info(void) {
  struct tms t;
  clock_t c = times(&t);
  check("times() > 0", c > 0 && c != (clock_t)-1);
  struct rusage ru;
  result("getrusage self", getrusage(RUSAGE_SELF, &ru));
  expect_err("getrusage bad who", getrusage(42, &ru), EINVAL);
}

static void test_inotify(void) {
  int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  check("inotify_init1", in >= 0);
  int wd = inotify_add_watch(in, ".", IN_CREATE | IN_DELETE);
  printf("watch descriptor: %d\n", wd);
  char buf[4096] __attribute__((aligned(8)));
  expect_err("inotify read with no events", read(in, buf, sizeof buf), EAGAIN);
  make_file("ino.txt", "i", 1);
  struct pollfd pf = {in, POLLIN, 0};
  int pr = poll(&pf, 1, 1000);
  printf("poll: %d revents %#x\n", pr, pf.revents);
  ssize_t n = read(in, buf, sizeof buf);
  if (n > 0) {
    struct inotify_event *e = (struct inotify_event *)buf;
    printf("event: wd %d create %s dir %s name %s\n", e->wd, (e->mask & IN_CREATE) ? "yes" : "no",
           (e->mask & IN_ISDIR) ? "yes" : "no", e->len ? e->name : "");
  } else printf("inotify read: %zd %s\n", n, errname(errno));
  result("inotify_rm_watch", inotify_rm_watch(in, wd));
  expect_err("inotify_rm_watch again", inotify_rm_watch(in, wd), EINVAL);
  expect_err("inotify_add_watch missing", inotify_add_watch(in, "missing", IN_CREATE), ENOENT);
  expect_err("inotify_init1 bad flags", inotify_init1(1), EINVAL);
  close(in);
  /* blocking read, the event already queued */
  in = inotify_init1(0);
  inotify_add_watch(in, ".", IN_DELETE);
  unlink("ino.txt");
  n = read(in, buf, sizeof buf);
  struct inotify_event *e = (struct inotify_event *)buf;
  printf("blocking read: %s name %s\n", n > 0 && (e->mask & IN_DELETE) ? "delete" : "none", n > 0 && e->len ? e->name : "");
  close(in);
}

static void test_pipe_modes(void) {
  int p[2];
  result("pipe2 O_DIRECT", pipe2(p, O_DIRECT | O_NONBLOCK));
  printf("O_DIRECT in flags: %s\n", fcntl(p[1], F_GETFL) & O_DIRECT ? "yes" : "no");
  char b[100];
  expect_err("read empty nonblocking pipe", read(p[0], b, sizeof b), EAGAIN);
  write(p[1], "abc", 3);
  write(p[1], "defgh", 5);
  printf("packet 1: %zd\n", read(p[0], b, sizeof b));
  printf("packet 2: %zd\n", read(p[0], b, sizeof b));
  close(p[0]); close(p[1]);
  expect_err("pipe2 bad flags", pipe2(p, 0x1), EINVAL);
}

static void test_refused(void) {
  unsigned char params[120] = {0};
  long r = syscall(SYS_io_uring_setup, 4, params);
  if (r >= 0) close(r);
  if (r >= 0 || errno == ENOSYS || errno == EPERM) printf("io_uring_setup: ok-or-refused\n");
  else printf("io_uring_setup: -1 %s\n", errname(errno));
  struct { unsigned bytes; int type; unsigned char h[128]; } fh = {0, 0, {0}};
  int mnt;
  r = name_to_handle_at(AT_FDCWD, "src.bin", (void *)&fh, &mnt, 0);
  printf("name_to_handle_at: %s\n", r == 0 || errno == EOVERFLOW || errno == EOPNOTSUPP ? "answered" : errname(errno));
}

static void test_close_range(void) {
  int a = open("src.bin", O_RDONLY), b = open("src.bin", O_RDONLY), c = dup(b);
  printf("fds before close_range: %d %d %d\n", a, b, c);
  result("close_range CLOEXEC on one", syscall(SYS_close_range, b, b, CLOSE_RANGE_CLOEXEC));
  printf("cloexec: %d %d\n", fcntl(a, F_GETFD), fcntl(b, F_GETFD));
  expect_err("close_range first > last", syscall(SYS_close_range, 5, 4, 0), EINVAL);
  expect_err("close_range bad flags", syscall(SYS_close_range, 3, 4, 0x80), EINVAL);
  fflush(stdout);
  result("close_range(3, ~0U)", syscall(SYS_close_range, 3, ~0U, 0));
  int open_ = 0;
  for (int fd = 3; fd < 64; fd++) if (fcntl(fd, F_GETFD) >= 0) open_++;
  printf("fds open above 2: %d\n", open_);
  check("stdio still open", fcntl(0, F_GETFD) >= 0 && fcntl(1, F_GETFD) >= 0 && fcntl(2, F_GETFD) >= 0);
  fflush(stdout);
  check("write to stdout still works", write(1, "direct write\n", 13) == 13);
  int d = open("src.bin", O_RDONLY);
  printf("next fd: %d\n", d);
  close(d);
}

int main(void) {
  umask(022);
  for (int i = 0; i < N; i++) data[i] = (char)(i * 31 + (i >> 7));
  make_file("src.bin", data, N);
  test_sendfile();
  test_splice_tee();
  test_copy_file_range();
  test_space_and_sync();
  test_flock();
  test_blocking();
  test_statfs();
  test_times_modes_owners();
  test_links_nodes();
  test_xattr();
  test_memfd();
  test_process_info();
  test_inotify();
  test_pipe_modes();
  test_refused();
  test_close_range();
  return finish();
}
