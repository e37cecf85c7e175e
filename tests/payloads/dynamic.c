/* A dynamically linked payload (glibc and musl): the interpreter, shared libc, dlopen/dlsym of a
 * library the test builds (libplugin.so beside the executable, or argv[1]), dynamic TLS in it,
 * threads, and file mappings (private and shared) of a file in the working directory. */
// build-flags: -pthread -ldl
// needs-libs: plugin
#include "common.h"
#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int (*p_add)(int, int);
static int *(*p_tls)(void);

static void *worker(void *arg) {
  long id = (long)arg;
  long sum = 0;
  for (int i = 0; i < 1000; i++) sum = p_add((int)sum, i % 7);
  /* each thread has its own copy of the library's TLS variable, initialised from its image */
  int *t = p_tls();
  int fresh = *t == 7;
  *t = (int)id;
  return (void *)(sum * 2 + fresh);
}

static int count_objects(struct dl_phdr_info *info, size_t size, void *data) {
  (void)info; (void)size;
  ++*(int *)data;
  return 0;
}

int main(int argc, char **argv) {
  check("AT_BASE (interpreter) is set", getauxval(AT_BASE) != 0);
  check("AT_ENTRY is not the interpreter's", getauxval(AT_ENTRY) != getauxval(AT_BASE));
  int objs = 0;
  dl_iterate_phdr(count_objects, &objs);
  check("dl_iterate_phdr sees several objects", objs >= 2);

  char plugin[4096];
  if (argc >= 2) snprintf(plugin, sizeof plugin, "%s", argv[1]);
  else {
    snprintf(plugin, sizeof plugin, "%s", argv[0]);
    char *slash = strrchr(plugin, '/');
    snprintf(slash ? slash + 1 : plugin, sizeof plugin - (size_t)(slash ? slash + 1 - plugin : 0), "libplugin.so");
  }
  check("dlopen of a missing library fails", dlopen("./no-such-lib.so", RTLD_NOW) == NULL);
  void *h = dlopen(plugin, RTLD_NOW | RTLD_LOCAL);
  check("dlopen plugin", h != NULL);
  if (!h) { printf("dlerror: %s\n", dlerror()); return finish(); }
  int (*loaded)(void) = (int (*)(void))dlsym(h, "plugin_loaded");
  p_add = (int (*)(int, int))dlsym(h, "plugin_add");
  p_tls = (int *(*)(void))dlsym(h, "plugin_tls_addr");
  int (*fmt)(char *, int, int) = (int (*)(char *, int, int))dlsym(h, "plugin_format");
  int *counter = (int *)dlsym(h, "plugin_counter");
  check("dlsym finds the functions", loaded && p_add && p_tls && fmt && counter);
  check("dlsym of a missing symbol is NULL", dlsym(h, "no_such_symbol") == NULL);
  if (!(loaded && p_add && p_tls && fmt && counter)) return finish();
  check("the library's constructor ran", loaded() == 1);
  printf("plugin_add(40, 2) = %d\n", p_add(40, 2));
  printf("plugin_counter = %d\n", *counter);
  char buf[64];
  fmt(buf, sizeof buf, 123);
  printf("plugin_format: %s\n", buf);
  Dl_info di;
  check("dladdr names the plugin", dladdr((void *)p_add, &di) && di.dli_fname && strstr(di.dli_fname, "plugin"));

  /* threads calling into the library, each with its own TLS block */
  *p_tls() = 99;
  pthread_t t[4];
  for (long i = 0; i < 4; i++) pthread_create(&t[i], NULL, worker, (void *)(i + 1));
  long total = 0, fresh = 0;
  for (int i = 0; i < 4; i++) {
    void *r;
    pthread_join(t[i], &r);
    total += (long)r / 2;
    fresh += (long)r % 2;
  }
  printf("thread sums: %ld, fresh TLS in %ld of 4 threads\n", total, fresh);
  check("main thread's TLS kept its value", *p_tls() == 99);
  printf("plugin_counter after threads = %d\n", *counter);
  check("dlclose", dlclose(h) == 0);

  /* file mappings */
  int fd = open("mapped.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
  check("create mapped.dat", fd >= 0);
  char page[8192];
  for (int i = 0; i < (int)sizeof page; i++) page[i] = (char)('a' + i % 26);
  check("write 2 pages", write(fd, page, sizeof page) == (ssize_t)sizeof page);
  char *sh = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  char *pr = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 4096);
  check("mmap shared and private", sh != MAP_FAILED && pr != MAP_FAILED);
  check("mapped contents match the file", sh[0] == 'a' && sh[4096] == page[4096] && pr[0] == page[4096]);
  memcpy(sh + 100, "SHARED", 6);
  check("msync", msync(sh, 8192, MS_SYNC) == 0);
  pr[200] = 'P';
  char back[16] = {0};
  pread(fd, back, 6, 100);
  check("a shared-mapping write reaches the file", memcmp(back, "SHARED", 6) == 0);
  pread(fd, back, 1, 4096 + 200);
  check("a private-mapping write does not", back[0] == page[4096 + 200]);
  pwrite(fd, "W", 1, 300);
  check("a file write shows in the shared mapping", sh[300] == 'W');
  char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
  check("read-only mapping then mprotect to writable", ro != MAP_FAILED && mprotect(ro, 4096, PROT_READ | PROT_WRITE) == 0);
  ro[0] = 'Z';
  check("private copy changed, file not", ro[0] == 'Z' && sh[0] == 'a');
  expect_err("mmap with an offset that is not page aligned", mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 100) == MAP_FAILED ? -1 : 0, EINVAL);
  munmap(sh, 8192); munmap(pr, 4096); munmap(ro, 4096);
  close(fd);
  struct stat st;
  check("file size unchanged", stat("mapped.dat", &st) == 0 && st.st_size == 8192);
  return finish();
}
