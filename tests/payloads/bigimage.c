/* An executable bigger than 1 MiB: km maps such a file's segments from the host file instead of
 * reading and copying it (src/elf/execfile.ts, src/elf/loader.ts). Its read-only data, its
 * initialized data (whole pages and the partial page where it ends), its bss and a write to its
 * data must read exactly as natively; a forked child must see the parent's private changes; and the
 * file itself must never change (the test compares it before and after). */
#include "common.h"
#include <limits.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define RO_SIZE (3u << 20)
#define DATA_SIZE ((1u << 20) + 123)
static const unsigned char ro[RO_SIZE] = { [0] = 1, [4095] = 2, [4096] = 3, [12345] = 7, [(1u << 20) + 17] = 9, [RO_SIZE - 1] = 3 };
static unsigned char data[DATA_SIZE] = { [0] = 5, [4096] = 8, [DATA_SIZE / 2] = 11, [DATA_SIZE - 1] = 6 };
static unsigned char bss[(1u << 20) + 77];

static uint64_t fnv(const volatile unsigned char *p, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) { h ^= p[i]; h *= 1099511628211ull; }
  return h;
}

static int all_zero(const volatile unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++) if (p[i]) return 0;
  return 1;
}

/* The executable's lines of /proc/self/maps, relative to its first address (PIE bases differ
 * between runs): one line per mapping, as Linux lists them. */
static void print_exe_maps(void) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  struct stat st;
  if (n <= 0 || stat("/proc/self/exe", &st) != 0) { printf("exe: unreadable\n"); return; }
  exe[n] = 0;
  FILE *f = fopen("/proc/self/maps", "r");
  if (!f) { printf("maps: unreadable\n"); return; }
  char line[PATH_MAX + 128], perms[8], path[PATH_MAX];
  unsigned long base = 0;
  while (fgets(line, sizeof line, f)) {
    unsigned long lo, hi, off, ino;
    unsigned dmaj, dmin;
    path[0] = 0;
    if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu %4095s", &lo, &hi, perms, &off, &dmaj, &dmin, &ino, path) < 7) continue;
    if (strcmp(path, exe) != 0) continue;
    if (!base) base = lo;
    printf("exe map: +%lx-+%lx %s offset %lx inode matches %s\n", lo - base, hi - base, perms, off, ino == (unsigned long)st.st_ino ? "yes" : "no");
  }
  fclose(f);
}

int main(void) {
  print_exe_maps();
  printf("rodata fnv1a: %016llx\n", (unsigned long long)fnv(ro, RO_SIZE));
  printf("data fnv1a: %016llx\n", (unsigned long long)fnv(data, DATA_SIZE));
  check("bss reads zero", all_zero(bss, sizeof bss));
  data[1] = 0x5a; data[DATA_SIZE - 2] = 0xa5; bss[3] = 1;
  printf("data after writes fnv1a: %016llx\n", (unsigned long long)fnv(data, DATA_SIZE));
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    printf("child: data fnv1a: %016llx, bss[3] %d\n", (unsigned long long)fnv(data, DATA_SIZE), bss[3]);
    fflush(stdout);
    data[2] = 1;
    _exit(0);
  }
  int st = 0;
  check("child exited 0", pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
  check("the child's write stayed in the child", data[2] == 0);
  return finish();
}
