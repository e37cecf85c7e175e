/* The payload the build runs under km to make km's V8 code cache (scripts/warm-code-cache.mjs).
 * The cache holds the monitor's functions that have run by the end of a payload run, and a function
 * missing from it is compiled from source at its first use (a first thread cost ~2 ms more; a cold
 * system call handler ~0.3-0.9 ms), so this touches what most programs do early: the dynamic
 * loader's work when it is built dynamically, memory (brk, anonymous and file mappings, mprotect,
 * munmap), files and directories, identity and limits, a pipe and poll, a signal handler, a short
 * sleep, and threads (which switch the monitor to one host thread per vCPU). It prints nothing and
 * exits 0. argv[1]: a readable file to map. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got;
static void on_usr1(int sig) { got = sig; }
static void *worker(void *arg) { return arg; }

int main(int argc, char **argv) {
  char *heap = malloc(1 << 20);
  memset(heap, 1, 1 << 20);
  free(heap);
  char *anon = mmap(NULL, 1 << 21, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (anon == MAP_FAILED) return 1;
  anon[0] = 1;
  mprotect(anon, 4096, PROT_READ);
  munmap(anon, 1 << 21);
  if (argc > 1) {
    int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0) {
      char buf[256];
      if (read(fd, buf, sizeof buf) < 0) return 1;
      void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
      if (m != MAP_FAILED) munmap(m, (size_t)st.st_size);
    }
    if (fd >= 0) close(fd);
  }
  /* files, directories, identity and limits: what runtimes and dynamic programs ask first */
  char path[4096];
  struct stat st;
  if (!getcwd(path, sizeof path) || stat(path, &st) != 0 || access(path, R_OK) != 0) return 1;
  if (readlink("/proc/self/exe", path, sizeof path) < 0) return 1;
  DIR *d = opendir(".");
  if (d) { while (readdir(d)) { } closedir(d); }
  int pfd[2];
  if (pipe2(pfd, O_CLOEXEC) == 0) {
    struct pollfd pf = { .fd = pfd[0], .events = POLLIN };
    if (write(pfd[1], "x", 1) != 1 || poll(&pf, 1, 0) != 1) return 1;
    char c;
    if (read(pfd[0], &c, 1) != 1) return 1;
    int d2 = dup(pfd[0]);
    fcntl(d2, F_GETFD);
    lseek(d2, 0, SEEK_CUR);
    close(d2); close(pfd[0]); close(pfd[1]);
  }
  struct termios tio;
  tcgetattr(1, &tio);
  struct rlimit rl;
  getrlimit(RLIMIT_STACK, &rl);
  struct utsname un;
  uname(&un);
  struct sysinfo si;
  sysinfo(&si);
  unsigned char rnd[16];
  if (getrandom(rnd, sizeof rnd, 0) != sizeof rnd) return 1;
  volatile long ids = (long)getuid() + geteuid() + getgid() + getegid() + getppid();
  (void)ids;
  struct timespec res;
  clock_getres(CLOCK_MONOTONIC, &res);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, NULL);
  raise(SIGUSR1);
  nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
  for (int i = 0; i < 2; i++) {
    pthread_t t;
    if (pthread_create(&t, NULL, worker, NULL) != 0 || pthread_join(t, NULL) != 0) return 1;
  }
  return got == SIGUSR1 ? 0 : 1;
}
