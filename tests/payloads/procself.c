/*
 * What a program reads about itself under /proc: maps, status, stat, statm, cmdline, environ, auxv,
 * limits, comm, fd/, fdinfo/, task/, exe, thread-self, and the same through /proc/<pid>. Prints
 * only properties (checked against getpid, getauxval, getrlimit, its own addresses...), listings
 * of fd numbers it controls, and "what: ok/FAIL" lines; ends with "failures: N".
 * Run in a fresh working directory (it creates mapped.txt and data.txt there).
 */
// build-flags: -pthread
#include "common.h"
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

/* the whole contents of a file (NUL-terminated; *len without it), or NULL */
static char *slurp(const char *path, size_t *len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  size_t cap = 4096, n = 0;
  char *b = malloc(cap);
  for (;;) {
    if (n + 1024 > cap) b = realloc(b, cap *= 2);
    ssize_t r = read(fd, b + n, cap - n - 1);
    if (r < 0) { free(b); close(fd); return NULL; }
    if (r == 0) break;
    n += (size_t)r;
  }
  close(fd);
  b[n] = 0;
  if (len) *len = n;
  return b;
}

/* value of "Key:" in a status-style file (static buffer), or NULL */
static const char *field(const char *text, const char *key) {
  static char val[256];
  size_t kl = strlen(key);
  for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
    if (!strncmp(l, key, kl) && l[kl] == ':') {
      const char *v = l + kl + 1;
      while (*v == '\t' || *v == ' ') v++;
      size_t n = strcspn(v, "\n");
      if (n >= sizeof val) n = sizeof val - 1;
      memcpy(val, v, n);
      val[n] = 0;
      return val;
    }
  }
  return NULL;
}

static long field_long(const char *text, const char *key) {
  const char *v = field(text, key);
  return v ? strtol(v, NULL, 10) : -1;
}

static unsigned long long field_hex(const char *text, const char *key) {
  const char *v = field(text, key);
  return v ? strtoull(v, NULL, 16) : ~0ULL;
}

static unsigned long long sigbit(int sig) { return 1ULL << (sig - 1); }

/* the maps line whose range holds addr: fills perms, name, offset, dev, inode; 0 if none */
struct mapline { unsigned long start, end, off, ino; unsigned maj, min; char perms[5]; char name[PATH_MAX]; int namecol; };
static int find_map(const char *maps, unsigned long addr, struct mapline *m) {
  for (const char *l = maps; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
    int n = 0;
    memset(m, 0, sizeof *m);
    if (sscanf(l, "%lx-%lx %4s %lx %x:%x %lu %n", &m->start, &m->end, m->perms, &m->off, &m->maj, &m->min, &m->ino, &n) < 7) continue;
    if (addr < m->start || addr >= m->end) continue;
    size_t len = strcspn(l + n, "\n");
    memcpy(m->name, l + n, len);
    m->name[len] = 0;
    m->namecol = len ? n : 0;
    return 1;
  }
  return 0;
}

static int count_lines_with(const char *text, const char *needle) {
  int n = 0;
  for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
    size_t len = strcspn(l, "\n");
    const char *hit = strstr(l, needle);
    if (hit && hit < l + len) n++;
  }
  return n;
}

/* lines are well-formed, ascending and disjoint, names at column 73 */
static void check_maps_format(const char *maps) {
  int ok = 1, lines = 0;
  unsigned long prev_end = 0;
  for (const char *l = maps; *l; l = strchr(l, '\n') + 1) {
    if (!strchr(l, '\n')) { ok = 0; break; }
    unsigned long s, e, off, ino; unsigned maj, min; char perms[5]; int n = 0;
    if (sscanf(l, "%lx-%lx %4s %lx %x:%x %lu %n", &s, &e, perms, &off, &maj, &min, &ino, &n) < 7) ok = 0;
    if (s >= e || s < prev_end || strlen(perms) != 4 || !strchr("ps", perms[3])) ok = 0;
    size_t len = strcspn(l, "\n");
    if ((size_t)n < len && n != 73 && n < 73) ok = 0;
    prev_end = e;
    lines++;
  }
  check("maps: lines well-formed, ascending, names at column 73", ok && lines > 3);
}

static void list_dir(const char *path, const char *label) {
  DIR *d = opendir(path);
  if (!d) { printf("%s: opendir %s\n", label, errname(errno)); failures++; return; }
  long v[256]; int n = 0, dots = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < 256) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) { dots++; continue; }
    v[n++] = atol(e->d_name);
  }
  closedir(d);
  for (int i = 1; i < n; i++) for (int j = i; j > 0 && v[j - 1] > v[j]; j--) { long t = v[j]; v[j] = v[j - 1]; v[j - 1] = t; }
  printf("%s (with . and ..: %s):", label, dots == 2 ? "yes" : "no");
  for (int i = 0; i < n; i++) printf(" %ld", v[i]);
  printf("\n");
}

/* ---- a second thread ---- */
static int ready[2], go[2];
static pid_t worker_tid;
static char worker_status_ok;
static void *worker(void *arg) {
  (void)arg;
  prctl(PR_SET_NAME, "worker");
  worker_tid = (pid_t)syscall(SYS_gettid);
  char *st = slurp("/proc/thread-self/status", NULL);
  worker_status_ok = st && field_long(st, "Pid") == worker_tid && field_long(st, "Tgid") == getpid() && !strcmp(field(st, "Name"), "worker");
  free(st);
  char c;
  if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1) return NULL; /* wait for main */
  return NULL;
}

static void *worker2(void *arg) {
  (void)arg;
  char c;
  if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1) return NULL;
  return NULL;
}

int main(int argc, char **argv) {
  (void)argc;
  char exe[PATH_MAX];
  if (!realpath(argv[0], exe)) { printf("realpath: %s\n", errname(errno)); return 1; }
  const char *base = strrchr(exe, '/') + 1;
  char comm[16];
  snprintf(comm, sizeof comm, "%s", base);
  pid_t pid = getpid();
  char path[256];

  /* ---- maps ---- */
  int mf = open("mapped.txt", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (mf < 0 || ftruncate(mf, 8192) != 0) { printf("mapped.txt: %s\n", errname(errno)); return 1; }
  char *mp = mmap(NULL, 8192, PROT_READ, MAP_SHARED, mf, 0);
  close(mf);
  char mappath[PATH_MAX];
  realpath("mapped.txt", mappath);
  unsigned long brk0 = (unsigned long)syscall(SYS_brk, 0);
  syscall(SYS_brk, brk0 + 8192);
  char *maps = slurp("/proc/self/maps", NULL);
  check("read /proc/self/maps", maps != NULL);
  if (!maps) return finish();
  check_maps_format(maps);
  struct mapline m;
  check("maps: main() lies in an r-xp line of the executable",
        find_map(maps, (unsigned long)&main, &m) && !strcmp(m.perms, "r-xp") && !strcmp(m.name, exe));
  int local = 0;
  check("maps: a local variable lies in the rw-p [stack] line",
        find_map(maps, (unsigned long)&local, &m) && !strcmp(m.perms, "rw-p") && !strcmp(m.name, "[stack]"));
  check("maps: one [stack] line", count_lines_with(maps, "[stack]") == 1);
  /* device and inode: nonzero (on overlayfs Linux shows the underlying file's, which fstat does not) */
  check("maps: the mapped file: r--s, its path, offset 0, a device and inode",
        find_map(maps, (unsigned long)mp + 4096, &m) && !strcmp(m.perms, "r--s") && !strcmp(m.name, mappath) &&
        m.off == 0 && (m.maj || m.min) && m.ino != 0 && m.namecol == 73);
  check("maps: the brk area is [heap]", find_map(maps, brk0, &m) && !strcmp(m.name, "[heap]") && !strcmp(m.perms, "rw-p"));
  check("maps: AT_SYSINFO_EHDR lies in the r-xp [vdso] line",
        find_map(maps, getauxval(AT_SYSINFO_EHDR), &m) && !strcmp(m.perms, "r-xp") && !strcmp(m.name, "[vdso]"));
  check("maps: one [vvar] line", count_lines_with(maps, "[vvar]") == 1);
  munmap(mp, 8192);
  free(maps);
  maps = slurp("/proc/self/maps", NULL);
  check("maps: the unmapped file is gone", maps && !strstr(maps, mappath));
  free(maps);

  /* ---- status ---- */
  umask(027);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGUSR2);
  sigprocmask(SIG_BLOCK, &set, NULL);
  raise(SIGUSR1);              /* thread-directed: SigPnd */
  kill(getpid(), SIGUSR2);     /* process-directed: ShdPnd */
  signal(SIGHUP, SIG_IGN);
  signal(SIGTERM, (void (*)(int))abort);
  char *st = slurp("/proc/self/status", NULL);
  check("read /proc/self/status", st != NULL);
  if (!st) return finish();
  check("status: Name is the executable's base name", field(st, "Name") && !strcmp(field(st, "Name"), comm));
  check("status: State R (running)", field(st, "State") && !strcmp(field(st, "State"), "R (running)"));
  check("status: Umask 0027", field(st, "Umask") && !strcmp(field(st, "Umask"), "0027"));
  check("status: Tgid == Pid == getpid()", field_long(st, "Tgid") == pid && field_long(st, "Pid") == pid);
  check("status: PPid == getppid()", field_long(st, "PPid") == getppid());
  check("status: Uid == getuid()", field_long(st, "Uid") == (long)getuid());
  check("status: Threads 1", field_long(st, "Threads") == 1);
  check("status: VmSize, VmRSS, VmStk, VmExe > 0", field_long(st, "VmSize") > 0 && field_long(st, "VmRSS") > 0 &&
        field_long(st, "VmStk") > 0 && field_long(st, "VmExe") > 0);
  check("status: VmRSS <= VmSize <= VmPeak", field_long(st, "VmRSS") <= field_long(st, "VmSize") &&
        field_long(st, "VmSize") <= field_long(st, "VmPeak"));
  check("status: SigBlk has SIGUSR1 and SIGUSR2", (field_hex(st, "SigBlk") & (sigbit(SIGUSR1) | sigbit(SIGUSR2))) == (sigbit(SIGUSR1) | sigbit(SIGUSR2)));
  check("status: SigPnd has SIGUSR1 (raise)", (field_hex(st, "SigPnd") & (sigbit(SIGUSR1) | sigbit(SIGUSR2))) == sigbit(SIGUSR1));
  check("status: ShdPnd has SIGUSR2 (kill)", (field_hex(st, "ShdPnd") & (sigbit(SIGUSR1) | sigbit(SIGUSR2))) == sigbit(SIGUSR2));
  check("status: SigIgn has SIGHUP, not SIGTERM", (field_hex(st, "SigIgn") & (sigbit(SIGHUP) | sigbit(SIGTERM))) == sigbit(SIGHUP));
  check("status: SigCgt has SIGTERM, not SIGHUP", (field_hex(st, "SigCgt") & (sigbit(SIGHUP) | sigbit(SIGTERM))) == sigbit(SIGTERM));
  check("status: FDSize, SigQ, CapEff, Seccomp, Cpus_allowed_list, voluntary_ctxt_switches present",
        field(st, "FDSize") && field(st, "SigQ") && field(st, "CapEff") && field(st, "Seccomp") &&
        field(st, "Cpus_allowed_list") && field(st, "voluntary_ctxt_switches"));
  free(st);
  signal(SIGUSR1, SIG_IGN); /* discards the pending ones */
  signal(SIGUSR2, SIG_IGN);
  sigprocmask(SIG_UNBLOCK, &set, NULL);

  /* ---- stat, statm ---- */
  char *sp = slurp("/proc/self/stat", NULL);
  check("read /proc/self/stat", sp != NULL);
  if (sp) {
    char *rp = strrchr(sp, ')');
    char scomm[64] = "";
    int pl = (int)(strchr(sp, '(') - sp);
    snprintf(scomm, sizeof scomm, "%.*s", (int)(rp - sp - pl - 1), sp + pl + 1);
    unsigned long long f[53] = {0};
    char state = 0;
    int nf = 2;
    char *tok = rp + 2;
    state = *tok;
    nf = 3;
    for (tok = strchr(tok, ' '); tok && nf < 53; tok = strchr(tok + 1, ' ')) f[++nf] = strtoull(tok + 1, NULL, 10);
    check("stat: 52 fields", nf == 52);
    check("stat: pid == getpid()", atol(sp) == pid);
    check("stat: (comm) is the name", !strcmp(scomm, comm));
    check("stat: state R", state == 'R');
    check("stat: ppid == getppid()", (long)f[4] == getppid());
    check("stat: num_threads 1", f[20] == 1);
    check("stat: vsize > 0", f[23] > 0); /* rss may read 0: Linux sums its per-CPU counters lazily */
    check("stat: start_code <= main < end_code", f[26] <= (unsigned long)&main && (unsigned long)&main < f[27]);
    check("stat: argv strings in [arg_start, arg_end)", f[48] <= (unsigned long)argv[0] && (unsigned long)argv[0] < f[49]);
    check("stat: environment in [env_start, env_end)", !environ[0] || (f[50] <= (unsigned long)environ[0] && (unsigned long)environ[0] < f[51]));
    check("stat: exit_signal SIGCHLD", f[38] == SIGCHLD);
    free(sp);
  }
  char *sm = slurp("/proc/self/statm", NULL);
  unsigned long size = 0, res = 0;
  check("statm: size >= resident > 0", sm && sscanf(sm, "%lu %lu", &size, &res) == 2 && size >= res && res > 0);
  free(sm);

  /* ---- cmdline, environ, auxv ---- */
  size_t n;
  char *cl = slurp("/proc/self/cmdline", &n);
  size_t want = 0;
  for (int i = 0; argv[i]; i++) want += strlen(argv[i]) + 1;
  int same = cl && n == want;
  for (size_t o = 0, i = 0; same && argv[i]; o += strlen(argv[i]) + 1, i++) same = !strcmp(cl + o, argv[i]);
  check("cmdline == argv, NUL-separated", same);
  snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
  size_t n2;
  char *cl2 = slurp(path, &n2);
  check("/proc/<pid>/cmdline == /proc/self/cmdline", cl && cl2 && n2 == n && !memcmp(cl, cl2, n));
  free(cl); free(cl2);
  char *en = slurp("/proc/self/environ", &n);
  want = 0;
  for (int i = 0; environ[i]; i++) want += strlen(environ[i]) + 1;
  same = en && n == want;
  for (size_t o = 0, i = 0; same && environ[i]; o += strlen(environ[i]) + 1, i++) same = !strcmp(en + o, environ[i]);
  check("environ == the environment", same);
  free(en);
  unsigned long *av = (unsigned long *)slurp("/proc/self/auxv", &n);
  int pagesz = 0, entry = 0, random = 0, ends = 0;
  for (size_t i = 0; av && i + 1 < n / sizeof *av; i += 2) {
    if (av[i] == AT_PAGESZ) pagesz = av[i + 1] == getauxval(AT_PAGESZ);
    if (av[i] == AT_ENTRY) entry = av[i + 1] == getauxval(AT_ENTRY);
    if (av[i] == AT_RANDOM) random = av[i + 1] == getauxval(AT_RANDOM);
    if (av[i] == AT_NULL) ends = i + 2 == n / sizeof *av;
  }
  check("auxv: 16-byte pairs", av && n % 16 == 0);
  check("auxv: AT_PAGESZ, AT_ENTRY, AT_RANDOM == getauxval", pagesz && entry && random);
  check("auxv: ends with AT_NULL", ends);
  free(av);

  /* ---- limits ---- */
  struct rlimit rl = { 512, 4096 };
  setrlimit(RLIMIT_NOFILE, &rl);
  getrlimit(RLIMIT_NOFILE, &rl);
  char *li = slurp("/proc/self/limits", NULL);
  check("limits: header", li && !strncmp(li, "Limit                     Soft Limit           Hard Limit           Units     \n", 79));
  char *lf = li ? strstr(li, "\nMax open files ") : NULL;
  unsigned long soft = 0, hard = 0;
  check("limits: Max open files == getrlimit(RLIMIT_NOFILE)", lf && sscanf(lf + 26, "%lu %lu", &soft, &hard) == 2 && soft == rl.rlim_cur && hard == rl.rlim_max);
  check("limits: 17 lines", li && count_lines_with(li, "Max ") == 16);
  free(li);

  /* ---- comm ---- */
  char *cm = slurp("/proc/self/comm", NULL);
  char wantc[32];
  snprintf(wantc, sizeof wantc, "%s\n", comm);
  check("comm is the name", cm && !strcmp(cm, wantc));
  free(cm);
  prctl(PR_SET_NAME, "renamed");
  cm = slurp("/proc/self/comm", NULL);
  check("comm after PR_SET_NAME", cm && !strcmp(cm, "renamed\n"));
  free(cm);
  st = slurp("/proc/self/status", NULL);
  check("status Name after PR_SET_NAME", st && field(st, "Name") && !strcmp(field(st, "Name"), "renamed"));
  free(st);

  /* ---- fd, fdinfo ---- */
  int df = open("data.txt", O_RDWR | O_CREAT | O_TRUNC, 0644); /* fd 3, no O_CLOEXEC */
  if (write(df, "hello world", 11) != 11) failures++;
  lseek(df, 5, SEEK_SET);
  int pp[2];
  if (pipe2(pp, O_CLOEXEC) != 0) failures++;    /* fds 4 and 5 */
  printf("fds opened: %d %d %d\n", df, pp[0], pp[1]);
  list_dir("/proc/self/fd", "/proc/self/fd");
  list_dir("/proc/self/fdinfo", "/proc/self/fdinfo");
  snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
  list_dir(path, "/proc/<pid>/fd");
  char link[PATH_MAX], datapath[PATH_MAX];
  struct stat a, b;
  realpath("data.txt", datapath);
  ssize_t ll = readlink("/proc/self/fd/3", link, sizeof link - 1);
  check("readlink fd/3 is data.txt's path", ll > 0 && (link[ll] = 0, !strcmp(link, datapath)));
  ll = readlink("/proc/self/fd/4", link, sizeof link - 1);
  check("readlink fd/4 is pipe:[...]", ll > 6 && (link[ll] = 0, !strncmp(link, "pipe:[", 6)));
  ll = readlink("/proc/self/exe", link, sizeof link - 1);
  check("readlink exe is the executable", ll > 0 && (link[ll] = 0, !strcmp(link, exe)));
  ll = readlink("/proc/self", link, sizeof link - 1);
  check("readlink /proc/self is the pid", ll > 0 && (link[ll] = 0, atol(link) == pid) && !strchr(link, '/'));
  check("lstat /proc/self is a symlink, stat a directory", lstat("/proc/self", &a) == 0 && S_ISLNK(a.st_mode) && stat("/proc/self", &b) == 0 && S_ISDIR(b.st_mode));
  snprintf(path, sizeof path, "/proc/%d", (int)pid);
  check("lstat /proc/<pid> is a directory", lstat(path, &a) == 0 && S_ISDIR(a.st_mode));
  snprintf(path, sizeof path, "/proc/self/task/%d", (int)pid);
  check("lstat /proc/self/task/<pid> is a directory", lstat(path, &a) == 0 && S_ISDIR(a.st_mode));
  expect_err("stat /proc/self/task/1 (not a thread of ours)", stat("/proc/self/task/1", &a), ENOENT);
  /* no other thread ids of this process exist: pid + 1..64 are other processes or nothing */
  int foreign = 0;
  for (int i = 1; i <= 64; i++) {
    snprintf(path, sizeof path, "/proc/%d/task/%d", (int)pid + i, (int)pid + i);
    char other[64];
    snprintf(other, sizeof other, "/proc/%d/status", (int)pid + i);
    char *o = slurp(other, NULL);
    if (o && field_long(o, "Tgid") == pid) foreign++;
    free(o);
  }
  check("no /proc/<n> with our Tgid but ours", foreign == 0);
  check("lstat /proc/self/exe is a symlink, stat the executable", lstat("/proc/self/exe", &a) == 0 && S_ISLNK(a.st_mode) &&
        stat("/proc/self/exe", &a) == 0 && stat(exe, &b) == 0 && a.st_ino == b.st_ino);
  check("lstat /proc/self/mem works", lstat("/proc/self/mem", &a) == 0 && S_ISREG(a.st_mode));
  expect_err("readlink fd/9 (closed)", readlink("/proc/self/fd/9", link, sizeof link), ENOENT);
  check("stat fd/3 follows to data.txt", stat("/proc/self/fd/3", &a) == 0 && fstat(3, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev);
  check("lstat fd/3 is a symlink", lstat("/proc/self/fd/3", &a) == 0 && S_ISLNK(a.st_mode));
  expect_err("stat fd/9 (closed)", stat("/proc/self/fd/9", &a), ENOENT);
  expect_err("open fd/9 (closed)", open("/proc/self/fd/9", O_RDONLY), ENOENT);
  check("access fd/3", access("/proc/self/fd/3", R_OK) == 0);
  char *fi = slurp("/proc/self/fdinfo/3", NULL);
  check("fdinfo/3: pos 5", fi && field_long(fi, "pos") == 5);
  check("fdinfo/3: flags O_RDWR without O_CLOEXEC", fi && field(fi, "flags") && (strtoul(field(fi, "flags"), NULL, 8) & (O_ACCMODE | O_CLOEXEC)) == O_RDWR);
  free(fi);
  fi = slurp("/proc/self/fdinfo/5", NULL);
  check("fdinfo/5: flags O_WRONLY|O_CLOEXEC", fi && field(fi, "flags") && (strtoul(field(fi, "flags"), NULL, 8) & (O_ACCMODE | O_CLOEXEC)) == (O_WRONLY | O_CLOEXEC));
  free(fi);
  expect_err("open fdinfo/9 (closed)", open("/proc/self/fdinfo/9", O_RDONLY), ENOENT);
  int dfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  check("openat(fd dir, \"3\") opens data.txt", dfd >= 0 && ({ int x = openat(dfd, "3", O_RDONLY | O_CLOEXEC); int ok = x >= 0 && fstat(x, &a) == 0 && a.st_ino == b.st_ino; if (x >= 0) close(x); ok; }));
  check("fstatat(fd dir, \"3\") is data.txt", fstatat(dfd, "3", &a, 0) == 0 && a.st_ino == b.st_ino);
  ll = readlinkat(dfd, "4", link, sizeof link - 1);
  check("readlinkat(fd dir, \"4\") is pipe:[...]", ll > 6 && (link[ll] = 0, !strncmp(link, "pipe:[", 6)));
  expect_err("fstatat(fd dir, \"9\") (closed)", fstatat(dfd, "9", &a, 0), ENOENT);
  close(dfd);
  close(pp[0]); close(pp[1]); close(df);

  /* ---- the generated files behave as files ---- */
  int fm = open("/proc/self/maps", O_RDONLY);
  char b1[16], b2[16];
  check("maps: pread == read", fm >= 0 && read(fm, b1, 16) == 16 && pread(fm, b2, 16, 0) == 16 && !memcmp(b1, b2, 16));
  check("maps: lseek to 0 and read again", lseek(fm, 0, SEEK_SET) == 0 && read(fm, b2, 16) == 16 && !memcmp(b1, b2, 16));
  check("maps: fstat is a regular file", fstat(fm, &a) == 0 && S_ISREG(a.st_mode));
  expect_err("write to maps opened O_RDONLY", write(fm, "x", 1), EBADF);
  ll = readlink("/proc/self/fd/3", link, sizeof link - 1);
  snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
  check("readlink of the maps fd names /proc/<pid>/maps", fm == 3 && ll > 0 && (link[ll] = 0, !strcmp(link, path)));
  close(fm);
  fm = open("/proc/self/maps", O_WRONLY);
  printf("open maps O_WRONLY: %s\n", fm >= 0 ? "ok" : errname(errno));
  if (fm >= 0) close(fm);
  expect_err("open maps O_DIRECTORY", open("/proc/self/maps", O_RDONLY | O_DIRECTORY), ENOTDIR);
  expect_err("open /proc/self/status/x", open("/proc/self/status/x", O_RDONLY), ENOTDIR);
  check("stat /proc/self/status: regular, read-only", stat("/proc/self/status", &a) == 0 && S_ISREG(a.st_mode) && (a.st_mode & 0777) == 0444);

  /* ---- threads ---- */
  DIR *d = opendir("/proc/self/task");
  int ntask = 0, found_main = 0, found_worker = 0;
  struct dirent *e;
  while (d && (e = readdir(d))) if (e->d_name[0] != '.') { ntask++; found_main |= atol(e->d_name) == pid; }
  if (d) closedir(d);
  check("task: one entry, the pid", ntask == 1 && found_main);
  if (pipe(ready) != 0 || pipe(go) != 0) failures++;
  pthread_t th, th2;
  pthread_create(&th, NULL, worker, NULL);
  pthread_create(&th2, NULL, worker2, NULL);
  char c;
  if (read(ready[0], &c, 1) != 1 || read(ready[0], &c, 1) != 1) failures++;
  check("thread-self/status of the thread: Pid == its tid, Name", worker_status_ok);
  st = slurp("/proc/self/status", NULL);
  check("status: Threads 3", st && field_long(st, "Threads") == 3);
  check("status: Pid still the main thread's", st && field_long(st, "Pid") == pid);
  free(st);
  sp = slurp("/proc/self/stat", NULL);
  check("stat: num_threads 3", sp && ({ char *q = strrchr(sp, ')') + 2; for (int i = 3; i < 20; i++) q = strchr(q, ' ') + 1; atoi(q) == 3; }));
  free(sp);
  d = opendir("/proc/self/task");
  ntask = 0; found_main = 0;
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    ntask++;
    found_main |= atol(e->d_name) == pid;
    found_worker |= atol(e->d_name) == worker_tid;
  }
  if (d) closedir(d);
  check("task: 3 entries, the main thread and the worker", ntask == 3 && found_main && found_worker);
  snprintf(path, sizeof path, "/proc/self/task/%d/comm", (int)worker_tid);
  cm = slurp(path, NULL);
  check("task/<tid>/comm of the worker", cm && !strcmp(cm, "worker\n"));
  free(cm);
  snprintf(path, sizeof path, "/proc/self/task/%d/status", (int)worker_tid);
  st = slurp(path, NULL);
  /* State: S once it blocks in read, R just before */
  check("task/<tid>/status of the worker: Pid, Tgid, State", st && field_long(st, "Pid") == worker_tid &&
        field_long(st, "Tgid") == pid && field(st, "State") && strchr("RS", field(st, "State")[0]));
  free(st);
  snprintf(path, sizeof path, "/proc/%d/status", (int)worker_tid);
  st = slurp(path, NULL);
  check("/proc/<tid>/status is the worker's", st && field_long(st, "Pid") == worker_tid);
  free(st);
  ll = readlink("/proc/thread-self", link, sizeof link - 1);
  snprintf(path, sizeof path, "%d/task/%d", (int)pid, (int)syscall(SYS_gettid));
  check("readlink /proc/thread-self is <pid>/task/<tid>", ll > 0 && (link[ll] = 0, !strcmp(link, path)));
  if (write(go[1], "gg", 2) != 2) failures++;
  pthread_join(th, NULL);
  pthread_join(th2, NULL);

  /* ---- host-wide files agree with what the program may use ---- */
  cpu_set_t cs;
  check("sched_getaffinity", sched_getaffinity(0, sizeof cs, &cs) == 0);
  char *ci = slurp("/proc/cpuinfo", NULL);
  int procs = ci ? count_lines_with(ci, "processor\t:") : -1;
  free(ci);
  check("cpus: sched_getaffinity count <= /proc/cpuinfo processors", procs > 0 && CPU_COUNT(&cs) <= procs);
  check("cpus: sysconf(_SC_NPROCESSORS_ONLN) >= 1", sysconf(_SC_NPROCESSORS_ONLN) >= 1);
  char *mi = slurp("/proc/meminfo", NULL);
  check("meminfo has MemTotal", mi && field_long(mi, "MemTotal") > 0);
  free(mi);
  return finish();
}
