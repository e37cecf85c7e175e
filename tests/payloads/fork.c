// build-flags: -pthread
/*
 * New processes: fork, vfork, posix_spawn, execve and wait, as a shell or a language runtime uses
 * them. `fork` runs every check; `fork exec-child <fd> <fd>` is what the exec checks start (it
 * reports which of two descriptors survived execve and which signals are ignored).
 *
 * Checked: the child's memory is a copy (private anonymous, heap, stack, globals) while MAP_SHARED
 * memory (anonymous and memfd) stays shared; pipes between parent and child; exit statuses and
 * death by a signal as wait4/waitid report them; SIGCHLD with si_pid/si_status; getppid in the
 * child; execve keeps non-CLOEXEC descriptors, closes CLOEXEC ones, keeps ignored signals and
 * returns errors (ENOENT, EACCES, ENOEXEC) to the caller; a #! script runs through its interpreter;
 * vfork (the parent waits for the child's _exit); posix_spawn.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "common.h"

extern char **environ;
static int global_value = 1;
static volatile sig_atomic_t chld_pid, chld_status, chld_code;

static void on_chld(int sig, siginfo_t *si, void *uc) {
  (void)sig; (void)uc;
  chld_pid = si->si_pid;
  chld_status = si->si_status;
  chld_code = si->si_code;
}

static int exec_child(int argc, char **argv) {
  if (argc < 4) return 2;
  int cloexec_fd = atoi(argv[2]), kept_fd = atoi(argv[3]);
  printf("exec-child: argv[0] is %s\n", strrchr(argv[0], '/') ? "a path" : argv[0]);
  printf("exec-child: CLOEXEC fd %s\n", fcntl(cloexec_fd, F_GETFD) == -1 && errno == EBADF ? "closed" : "OPEN");
  char buf[16] = {0};
  ssize_t n = pread(kept_fd, buf, sizeof buf - 1, 0);
  printf("exec-child: kept fd reads '%s'\n", n > 0 ? buf : "(nothing)");
  struct sigaction sa;
  sigaction(SIGUSR2, NULL, &sa);
  printf("exec-child: SIGUSR2 %s\n", sa.sa_handler == SIG_IGN ? "still ignored" : "not ignored");
  sigaction(SIGUSR1, NULL, &sa);
  printf("exec-child: SIGUSR1 handler %s\n", sa.sa_handler == SIG_DFL ? "reset to default" : "KEPT");
  sigset_t cur;
  sigprocmask(SIG_BLOCK, NULL, &cur);
  printf("exec-child: SIGHUP %s\n", sigismember(&cur, SIGHUP) ? "still blocked" : "unblocked");
  fflush(stdout);
  return 7;
}

static void on_usr1(int sig) { (void)sig; }

/* execve from a thread while other threads are busy: one blocked reading a pipe (a host call),
 * one spinning in the guest, one sleeping. The new program sees one thread and the same pid. */
static int block_fds[2];
static volatile int spin_go = 1;
static void *blocked_reader(void *arg) { char c; (void)arg; (void)!read(block_fds[0], &c, 1); return NULL; }
static void *spinner(void *arg) { (void)arg; while (spin_go) { } return NULL; }
static void *sleeper(void *arg) { (void)arg; sleep(100); return NULL; }
static void *execer(void *arg) {
  char **av = arg;
  struct timespec z = { 0, 50000000 };
  nanosleep(&z, NULL); /* the others are in their blocking call or loop by now */
  execv("/proc/self/exe", av);
  printf("execve from a thread failed: %s\n", errname(errno));
  _exit(127);
}
static int exec_threads(void) {
  pid_t pid = getpid();
  if (pipe(block_fds)) return 1;
  pthread_t t[4];
  char spid[16];
  snprintf(spid, sizeof spid, "%d", (int)pid);
  static char *av[] = { "threads-exec-child", "threads-exec-child", NULL, NULL };
  av[2] = spid;
  pthread_create(&t[0], NULL, blocked_reader, NULL);
  pthread_create(&t[1], NULL, spinner, NULL);
  pthread_create(&t[2], NULL, sleeper, NULL);
  pthread_create(&t[3], NULL, execer, av);
  pthread_join(t[3], NULL); /* never returns: execve ends every thread */
  return 1;
}
static int threads_exec_child(char **argv) {
  int n = 0;
  DIR *d = opendir("/proc/self/task");
  for (struct dirent *e; d && (e = readdir(d));) if (e->d_name[0] != '.') n++;
  if (d) closedir(d);
  printf("after execve from a thread: threads %d, same pid %s\n", n, atoi(argv[2]) == (int)getpid() ? "yes" : "no");
  fflush(stdout);
  return 12;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "exec-child") == 0) return exec_child(argc, argv);
  if (argc > 2 && strcmp(argv[1], "threads-exec-child") == 0) return threads_exec_child(argv);
  setvbuf(stdout, NULL, _IOLBF, 0);

  /* memory after fork: private copies, shared stays shared */
  int *anon = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  int *shared = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  int mfd = memfd_create("fork-test", 0);
  check("memfd sized", ftruncate(mfd, 4096) == 0);
  int *shmfd = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
  char *heap = malloc(100000);
  int on_stack = 5;
  *anon = 10; shared[0] = 20; shared[1024] = 21; *shmfd = 30; memset(heap, 'h', 100000);
  /* memory made inaccessible keeps its contents across fork */
  int *hidden = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  hidden[0] = 40; hidden[1024] = 41;
  check("mprotect PROT_NONE", mprotect(hidden, 8192, PROT_NONE) == 0);
  int pfd[2];
  check("pipe", pipe(pfd) == 0);
  pid_t parent = getpid();
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    close(pfd[0]);
    char msg[200];
    int ok = *anon == 10 && shared[0] == 20 && *shmfd == 30 && heap[99999] == 'h' && on_stack == 5 && global_value == 1;
    ok = ok && mprotect(hidden, 8192, PROT_READ) == 0 && hidden[0] == 40 && hidden[1024] == 41;
    snprintf(msg, sizeof msg, "child sees parent's memory: %s; getppid is the parent: %s", ok ? "yes" : "NO", getppid() == parent ? "yes" : "NO");
    *anon = 11; shared[0] = 22; shared[1024] = 23; *shmfd = 33; heap[0] = 'c'; on_stack = 6; global_value = 2;
    if (write(pfd[1], msg, strlen(msg)) < 0) _exit(99);
    _exit(3);
  }
  check("fork returned a pid", pid > 0);
  close(pfd[1]);
  char buf[256] = {0};
  ssize_t got = 0, n;
  while ((n = read(pfd[0], buf + got, sizeof buf - 1 - got)) > 0) got += n;
  printf("pipe from child: %s\n", buf);
  int st = 0;
  check("wait4 for the child", wait4(pid, &st, 0, NULL) == pid);
  printf("child exit: exited=%d status=%d\n", WIFEXITED(st), WEXITSTATUS(st));
  printf("private memory unchanged in parent: %s\n", *anon == 10 && heap[0] == 'h' && on_stack == 5 && global_value == 1 ? "yes" : "NO");
  printf("shared anonymous memory changed by child: %s\n", shared[0] == 22 && shared[1024] == 23 ? "yes" : "NO");
  printf("shared memfd memory changed by child: %s\n", *shmfd == 33 ? "yes" : "NO");
  expect_err("wait4 with no children left", wait4(-1, &st, WNOHANG, NULL), ECHILD);

  /* death by a signal, seen by waitpid and waitid; SIGCHLD with the child's pid and status */
  struct sigaction sa = {0};
  sa.sa_sigaction = on_chld;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigaction(SIGCHLD, &sa, NULL);
  fflush(stdout);
  pid = fork();
  if (pid == 0) { raise(SIGTERM); _exit(1); }
  check("waitpid for the killed child", waitpid(pid, &st, 0) == pid);
  printf("killed child: signaled=%d sig=%d\n", WIFSIGNALED(st), WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  fflush(stdout);
  pid = fork();
  if (pid == 0) _exit(42);
  siginfo_t si = {0};
  check("waitid for the third child", waitid(P_PID, pid, &si, WEXITED) == 0);
  printf("waitid: code=%s status=%d pid matches=%s\n", si.si_code == CLD_EXITED ? "CLD_EXITED" : "other", si.si_status, si.si_pid == pid ? "yes" : "NO");
  for (int i = 0; i < 1000 && chld_pid != pid; i++) usleep(1000);
  printf("SIGCHLD: pid matches=%s code=%s status=%d\n", chld_pid == pid ? "yes" : "NO", chld_code == CLD_EXITED ? "CLD_EXITED" : "other", (int)chld_status);
  signal(SIGCHLD, SIG_DFL);

  /* vfork + _exit */
  fflush(stdout);
  /* the parent is suspended until the child exits: a child that sleeps first holds it up */
  struct timespec v0, v1;
  clock_gettime(CLOCK_MONOTONIC, &v0);
  pid = vfork();
  if (pid == 0) { struct timespec z = { 0, 150000000 }; nanosleep(&z, NULL); _exit(9); }
  clock_gettime(CLOCK_MONOTONIC, &v1);
  check("the vfork parent waited for its child", (v1.tv_sec - v0.tv_sec) * 1000000000L + (v1.tv_nsec - v0.tv_nsec) >= 150000000L);
  check("waitpid for the vfork child", waitpid(pid, &st, 0) == pid);
  printf("vfork child exit: %d\n", WEXITSTATUS(st));

  /* execve: descriptors, signals, errors */
  char path[] = "/tmp/km-fork-test-XXXXXX";
  int kept = mkstemp(path);
  check("temp file", kept >= 0 && write(kept, "kept-data", 9) == 9);
  int gone = open(path, O_RDONLY | O_CLOEXEC);
  unlink(path);
  signal(SIGUSR2, SIG_IGN);
  signal(SIGUSR1, on_usr1);
  sigset_t hup;
  sigemptyset(&hup); sigaddset(&hup, SIGHUP);
  sigprocmask(SIG_BLOCK, &hup, NULL);
  char a2[16], a3[16];
  snprintf(a2, sizeof a2, "%d", gone); snprintf(a3, sizeof a3, "%d", kept);
  char *cargv[] = { "exec-child-name", "exec-child", a2, a3, NULL };
  expect_err("execve of a missing file", execve("/nonexistent/program", cargv, environ), ENOENT);
  expect_err("execve of a directory", execve("/tmp", cargv, environ), EACCES);
  int txt = open("/tmp", O_RDONLY); close(txt);
  char notexe[] = "/tmp/km-fork-text-XXXXXX";
  int t = mkstemp(notexe);
  check("text file", t >= 0 && write(t, "just text\n", 10) == 10);
  close(t);
  chmod(notexe, 0755);
  expect_err("execve of a text file without #!", execve(notexe, cargv, environ), ENOEXEC);
  chmod(notexe, 0644);
  expect_err("execve of a file without x permission", execve(notexe, cargv, environ), EACCES);
  unlink(notexe);
  fflush(stdout);
  pid = fork();
  if (pid == 0) {
    execve("/proc/self/exe", cargv, environ);
    printf("execve failed: %s\n", errname(errno));
    _exit(127);
  }
  check("waitpid for the exec child", waitpid(pid, &st, 0) == pid);
  printf("exec child exit: %d\n", WEXITSTATUS(st));

  /* a #! script run by execve */
  char script[] = "/tmp/km-fork-script-XXXXXX";
  int s = mkstemp(script);
  const char *body = "#!/bin/sh -e\necho \"script says $1\"\nexit 5\n";
  check("script written", s >= 0 && write(s, body, strlen(body)) == (ssize_t)strlen(body));
  close(s);
  chmod(script, 0755);
  fflush(stdout);
  pid = fork();
  if (pid == 0) {
    char *sargv[] = { script, "hi", NULL };
    execve(script, sargv, environ);
    _exit(127);
  }
  check("waitpid for the script", waitpid(pid, &st, 0) == pid);
  printf("script exit: %d\n", WEXITSTATUS(st));
  unlink(script);

  /* execve while other threads are alive, in a child */
  fflush(stdout);
  pid = fork();
  if (pid == 0) _exit(exec_threads());
  check("waitpid for the threaded exec child", waitpid(pid, &st, 0) == pid);
  printf("threaded exec child exit: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));

  /* posix_spawn of this program */
  signal(SIGUSR1, SIG_DFL);
  char *pargv[] = { "spawned", "exec-child", a2, a3, NULL };
  fflush(stdout);
  int r = posix_spawn(&pid, "/proc/self/exe", NULL, NULL, pargv, environ);
  /* reported after the wait: once the child has exec'd, both print concurrently */
  int waited = r == 0 && waitpid(pid, &st, 0) == pid;
  check("posix_spawn", r == 0);
  check("waitpid for the spawned child", waited);
  printf("spawned child exit: %d\n", WEXITSTATUS(st));
  return finish();
}
