/*
 * A program's arguments and environment are bytes: `execbytes` executes itself (argv[0]) with
 * arguments and variables that are not UTF-8 (0xff, 0xfe, a lone continuation byte), one of 4096
 * bytes, one of 100000 (Linux allows up to 128 KiB each), and a variable of 5000; the new image
 * prints each as its length and FNV-1a hash, and its bytes in hex when short.
 * `execbytes setuid`: a child gives up root (setgid, setuid 65534) and executes itself, and a child
 * that gave it up forks and its child executes itself: both print their uid (under km every new
 * image needs /dev/kvm, which only root may open here). Without root both print EPERM.
 * `execbytes setuid-threads`: with a second thread running, the first gives up root; the second
 * then connects to a unix socket in a directory only root may enter: EACCES, as for every thread
 * of the process (credentials are the process's, whichever thread changed them).
 */
#include "common.h"
#include <grp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void show(const char *what, int i, const char *s) {
  size_t n = strlen(s);
  printf("%s[%d]: %zu bytes, fnv %016llx", what, i, n, (unsigned long long)fnv1a(s, n, FNV_INIT));
  if (n <= 16) {
    printf(",");
    for (size_t k = 0; k < n; k++) printf(" %02x", (unsigned char)s[k]);
  }
  printf("\n");
}

static char *filled(size_t n, char c) {
  char *s = malloc(n + 1);
  memset(s, c, n);
  s[n] = 0;
  return s;
}

static void wait_child(const char *what, pid_t pid) {
  int st = 0;
  waitpid(pid, &st, 0);
  printf("%s: %s %d\n", what, WIFEXITED(st) ? "exit status" : "killed by signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

static int drop_root(void) {
  if (setgroups(0, NULL) || setgid(65534) || setuid(65534)) { printf("giving up root: %s\n", errname(errno)); return -1; }
  return 0;
}

static void setuid_test(char *self) {
  char *uid_args[] = { self, "uid", NULL };
  pid_t c = fork();
  if (c == 0) {
    if (drop_root() == 0) execv(self, uid_args);
    _exit(3);
  }
  wait_child("setuid, then execve", c);
  c = fork();
  if (c == 0) {
    if (drop_root()) _exit(3);
    pid_t g = fork();
    if (g == 0) { execv(self, uid_args); _exit(4); }
    wait_child("setuid, then fork, then execve", g);
    _exit(0);
  }
  wait_child("its parent", c);
}

static atomic_int dropped;
static struct sockaddr_un where;
static void *connector(void *arg) {
  (void)arg;
  while (!atomic_load(&dropped)) usleep(1000);
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  int r = connect(s, (struct sockaddr *)&where, sizeof where);
  printf("the other thread: uid %d, connect to root's socket: %s\n", (int)getuid(), r < 0 ? errname(errno) : "0");
  close(s);
  return NULL;
}

static void setuid_threads_test(void) {
  char dir[] = "rootonly.XXXXXX";
  if (!mkdtemp(dir)) { printf("mkdtemp: %s\n", errname(errno)); return; }
  chmod(dir, 0700);
  int l = socket(AF_UNIX, SOCK_STREAM, 0);
  where.sun_family = AF_UNIX;
  snprintf(where.sun_path, sizeof where.sun_path, "%s/sock", dir);
  if (bind(l, (struct sockaddr *)&where, sizeof where) || listen(l, 4)) { printf("bind: %s\n", errname(errno)); return; }
  pthread_t t;
  pthread_create(&t, NULL, connector, NULL);
  usleep(20000);
  int r = drop_root();
  atomic_store(&dropped, 1);
  pthread_join(t, NULL);
  if (r == 0) printf("this thread: uid %d\n", (int)getuid());
  close(l);
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "setuid-threads")) { setvbuf(stdout, NULL, _IOLBF, 0); setuid_threads_test(); return 0; }
  if (argc > 1 && !strcmp(argv[1], "uid")) { printf("uid %d, gid %d\n", (int)getuid(), (int)getgid()); return 0; }
  if (argc > 1 && !strcmp(argv[1], "setuid")) { setvbuf(stdout, NULL, _IOLBF, 0); setuid_test(argv[0]); return 0; }
  if (argc > 1 && !strcmp(argv[1], "child")) {
    for (int i = 1; i < argc; i++) show("argv", i, argv[i]);
    int e = 0;
    for (char **p = environ; *p; p++, e++) show("env", e, *p);
    return 0;
  }
  char *args[] = { argv[0], "child", "\xff\xfe", "caf\xc3\xa9", "\x80 lone", filled(4096, 'a'), filled(100000, 'b'), NULL };
  char *vl = filled(5002, 'v');
  vl[0] = 'V'; vl[1] = '=';
  char *envs[] = { "K=abc\xff", "\xfe=name not UTF-8", vl, "EMPTY=", NULL };
  execve(argv[0], args, envs);
  printf("execve: %s\n", errname(errno));
  return 1;
}
