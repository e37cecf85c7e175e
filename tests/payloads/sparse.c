/* A 1 GiB anonymous MAP_NORESERVE mapping with one byte written in every 4 KiB page, read back as a
 * checksum, then unmapped. Exercises demand paging over a large, sparsely touched range. */
#include "common.h"
#include <sys/mman.h>

int main(void) {
  const size_t size = (size_t)1 << 30, page = 4096, pages = size / page;
  unsigned char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) { printf("mmap 1 GiB: -1 %s\n", errname(errno)); return 1; }
  printf("mmap 1 GiB MAP_NORESERVE: ok\n");
  for (size_t i = 0; i < pages; i++) p[i * page + (i * 13) % page] = (unsigned char)(i * 7 + 1);
  uint64_t sum = 0;
  int untouched_zero = 1;
  for (size_t i = 0; i < pages; i++) {
    sum = sum * 31 + p[i * page + (i * 13) % page];
    if (p[i * page + (i * 13 + 1) % page] != 0) untouched_zero = 0;
  }
  printf("pages touched: %zu\n", pages);
  printf("checksum: %llu\n", (unsigned long long)sum);
  check("untouched bytes read zero", untouched_zero);
  check("munmap 1 GiB", munmap(p, size) == 0);
  return finish();
}
