/* Copies stdin to stdout with read(2)/write(2) and reports the byte count and a checksum on
 * stderr: exercises stdin, short reads from a pipe, and stderr. */
#include "common.h"
#include <unistd.h>

int main(void) {
  char buf[1000]; /* deliberately not a power of two */
  long total = 0;
  uint64_t h = FNV_INIT;
  for (;;) {
    ssize_t n = read(0, buf, sizeof buf);
    if (n < 0) { fprintf(stderr, "read: -1 %s\n", errname(errno)); return 2; }
    if (n == 0) break;
    h = fnv1a(buf, (size_t)n, h);
    total += n;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(1, buf + off, (size_t)(n - off));
      if (w <= 0) { fprintf(stderr, "write: %zd %s\n", w, errname(errno)); return 3; }
      off += w;
    }
  }
  fprintf(stderr, "bytes: %ld\nfnv1a: %016llx\n", total, (unsigned long long)h);
  return 0;
}
