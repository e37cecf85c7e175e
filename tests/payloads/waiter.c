/*
 * A process that waits for signals from outside: `waiter handle|default [threads]`.
 *
 *   handle    handlers (no SA_RESTART) for SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2,
 *             SIGWINCH and SIGCONT; each one writes "got <NAME>" (with " in a worker" when it ran
 *             in a thread other than the main one)
 *   default   every signal keeps its default action
 *
 * Both print "ready" once set up, then copy stdin lines to stdout as "echo: <line>" (so the test can
 * see the process is alive after a signal that is ignored) and print "bye" and exit 0 at EOF.
 * With `threads`, 3 worker threads sleep in nanosleep; in handle mode the main thread blocks the
 * signals, so only the workers can take them.
 */
// build-flags: -pthread
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "common.h"

static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT };

static const char *signame(int s) {
  switch (s) {
  case SIGINT: return "SIGINT";
  case SIGTERM: return "SIGTERM";
  case SIGHUP: return "SIGHUP";
  case SIGQUIT: return "SIGQUIT";
  case SIGUSR1: return "SIGUSR1";
  case SIGUSR2: return "SIGUSR2";
  case SIGWINCH: return "SIGWINCH";
  case SIGCONT: return "SIGCONT";
  default: return "other";
  }
}

static void say(const char *s) {
  size_t n = strlen(s);
  while (n > 0) {
    ssize_t w = write(1, s, n);
    if (w < 0) { if (errno == EINTR) continue; return; }
    s += w;
    n -= (size_t)w;
  }
}

static void on_signal(int sig) {
  int e = errno;
  char line[64] = "got ";
  strcat(line, signame(sig));
  if (syscall(SYS_gettid) != getpid()) strcat(line, " in a worker");
  strcat(line, "\n");
  say(line);
  errno = e;
}

static void *sleeper(void *arg) {
  (void)arg;
  for (;;) {
    struct timespec ts = { 1000, 0 };
    nanosleep(&ts, NULL);
  }
  return NULL;
}

int main(int argc, char **argv) {
  int handle = argc > 1 && !strcmp(argv[1], "handle");
  int deflt = argc > 1 && !strcmp(argv[1], "default");
  int threads = argc > 2 && !strcmp(argv[2], "threads");
  if (!handle && !deflt) { fprintf(stderr, "usage: waiter handle|default [threads]\n"); return 2; }
  if (handle) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (unsigned i = 0; i < sizeof sigs / sizeof *sigs; i++) sigaction(sigs[i], &sa, NULL);
  }
  if (threads) {
    for (int i = 0; i < 3; i++) {
      pthread_t t;
      int e = pthread_create(&t, NULL, sleeper, NULL);
      if (e) { fprintf(stderr, "pthread_create: %s\n", errname(e)); return 1; }
    }
    if (handle) {
      sigset_t s;
      sigemptyset(&s);
      for (unsigned i = 0; i < sizeof sigs / sizeof *sigs; i++) sigaddset(&s, sigs[i]);
      pthread_sigmask(SIG_BLOCK, &s, NULL); /* the workers, created before, leave them unblocked */
    }
  }
  say("ready\n");
  char buf[256];
  size_t have = 0;
  for (;;) {
    ssize_t n = read(0, buf + have, sizeof buf - 1 - have);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    have += (size_t)n;
    char *nl;
    while ((nl = memchr(buf, '\n', have)) != NULL) {
      *nl = 0;
      char line[300];
      snprintf(line, sizeof line, "echo: %s\n", buf);
      say(line);
      have -= (size_t)(nl + 1 - buf);
      memmove(buf, nl + 1, have);
    }
    if (have == sizeof buf - 1) have = 0;
  }
  say("bye\n");
  return 0;
}
