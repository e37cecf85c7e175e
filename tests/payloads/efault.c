/* Bad user pointers must make system calls fail with EFAULT, never crash the process (or the
 * monitor). Raw syscall() is used where a libc wrapper would touch the memory itself first. */
#include "common.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define BAD ((void *)1)
#define KERNEL ((void *)0xffff888000000000UL)
#define NONCANON ((void *)0x8000000000000000UL)

int main(void) {
  int fd = open("data", O_CREAT | O_RDWR | O_TRUNC, 0644);
  if (fd < 0 || write(fd, "some data for reading\n", 22) != 22) { printf("setup failed\n"); return 1; }
  lseek(fd, 0, SEEK_SET);
  long pg = sysconf(_SC_PAGESIZE);
  char *m = mmap(NULL, 3 * (size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(m + pg, (size_t)pg);
  char *hole = m + pg;
  struct stat st;
  struct timespec ts;

  expect_err("read into (void*)1", syscall(SYS_read, fd, BAD, 10), EFAULT);
  expect_err("read into an unmapped hole", syscall(SYS_read, fd, hole, 10), EFAULT);
  expect_err("read into a kernel address", syscall(SYS_read, fd, KERNEL, 10), EFAULT);
  expect_err("read into a non-canonical address", syscall(SYS_read, fd, NONCANON, 10), EFAULT);
  result("read 0 bytes into (void*)1", syscall(SYS_read, fd, BAD, 0));
  result("file offset unchanged by failed reads", lseek(fd, 0, SEEK_CUR));
  expect_err("pread into (void*)1", syscall(SYS_pread64, fd, BAD, 10, 0), EFAULT);
  expect_err("write from (void*)1", syscall(SYS_write, fd, BAD, 10), EFAULT);
  expect_err("write from an unmapped hole", syscall(SYS_write, fd, hole, 10), EFAULT);
  expect_err("write to stdout from (void*)1", syscall(SYS_write, 1, BAD, 10), EFAULT);
  expect_err("pwrite from a kernel address", syscall(SYS_pwrite64, fd, KERNEL, 10, 0), EFAULT);
  expect_err("readv with iov at (void*)1", syscall(SYS_readv, fd, BAD, 1), EFAULT);
  struct iovec iov = {BAD, 10};
  expect_err("writev with iov_base (void*)1", syscall(SYS_writev, fd, &iov, 1), EFAULT);
  expect_err("stat path (char*)1", syscall(SYS_stat, BAD, &st), EFAULT);
  expect_err("newfstatat path (char*)1", syscall(SYS_newfstatat, AT_FDCWD, BAD, &st, 0), EFAULT);
  expect_err("stat buf (void*)1", syscall(SYS_stat, "data", BAD), EFAULT);
  expect_err("lstat buf in the hole", syscall(SYS_lstat, "data", hole), EFAULT);
  expect_err("newfstatat buf (void*)1", syscall(SYS_newfstatat, AT_FDCWD, "data", BAD, 0), EFAULT);
  expect_err("fstat buf (void*)1", syscall(SYS_fstat, fd, BAD), EFAULT);
  expect_err("fstat buf kernel address", syscall(SYS_fstat, fd, KERNEL), EFAULT);
  expect_err("open path (char*)1", syscall(SYS_open, BAD, O_RDONLY), EFAULT);
  expect_err("openat path in the hole", syscall(SYS_openat, AT_FDCWD, hole, O_RDONLY), EFAULT);
  expect_err("access path (char*)1", syscall(SYS_access, BAD, F_OK), EFAULT);
  expect_err("mkdir path (char*)1", syscall(SYS_mkdir, BAD, 0755), EFAULT);
  expect_err("unlink path (char*)1", syscall(SYS_unlink, BAD), EFAULT);
  expect_err("chdir path (char*)1", syscall(SYS_chdir, BAD), EFAULT);
  expect_err("getcwd into (char*)1", syscall(SYS_getcwd, BAD, 100), EFAULT);
  expect_err("getcwd into the hole", syscall(SYS_getcwd, hole, 100), EFAULT);
  expect_err("clock_gettime MONOTONIC into (void*)1", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, BAD), EFAULT);
  expect_err("clock_gettime REALTIME into the hole", syscall(SYS_clock_gettime, CLOCK_REALTIME, hole), EFAULT);
  expect_err("clock_getres into (void*)1", syscall(SYS_clock_getres, CLOCK_MONOTONIC, BAD), EFAULT);
  expect_err("gettimeofday into (void*)1", syscall(SYS_gettimeofday, BAD, NULL), EFAULT);
  expect_err("nanosleep request (void*)1", syscall(SYS_nanosleep, BAD, NULL), EFAULT);
  expect_err("uname into (void*)1", syscall(SYS_uname, BAD), EFAULT);
  expect_err("pipe2 into (void*)1", syscall(SYS_pipe2, BAD, 0), EFAULT);
  expect_err("getrandom into (void*)1", syscall(SYS_getrandom, BAD, 16, 0), EFAULT);
  expect_err("readlink path (char*)1", syscall(SYS_readlink, BAD, m, 10), EFAULT);
  expect_err("getdents64 into (void*)1",
             syscall(SYS_getdents64, open(".", O_RDONLY | O_DIRECTORY), BAD, 4096), EFAULT);
  result("clock_gettime into valid memory still works", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts));
  char buf[32];
  ssize_t n = read(fd, buf, sizeof buf);
  printf("read after the failures: %zd \"%.*s\"\n", n, n > 0 ? (int)n - 1 : 0, buf);
  m[0] = 'a';
  m[2 * pg] = 'b';
  printf("mapping around the hole intact: %s\n", m[0] == 'a' && m[2 * pg] == 'b' ? "yes" : "no");
  return finish();
}
