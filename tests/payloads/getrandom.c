/* getrandom(2): two 64-byte reads differ, GRND_NONBLOCK works, bad flags are refused. */
#include "common.h"
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
  unsigned char a[64], b[64], c[64];
  memset(a, 0, sizeof a);
  memset(b, 0, sizeof b);
  check("getrandom 64 bytes", getrandom(a, sizeof a, 0) == 64);
  check("getrandom 64 more bytes", getrandom(b, sizeof b, 0) == 64);
  check("random bytes differ between two calls", memcmp(a, b, sizeof a) != 0);
  check("getrandom GRND_NONBLOCK", getrandom(c, sizeof c, GRND_NONBLOCK) == 64 && memcmp(c, a, sizeof c) != 0);
  check("getrandom 0 bytes returns 0", getrandom(c, 0, 0) == 0);
  check("getrandom bad flags fails EINVAL", syscall(SYS_getrandom, c, sizeof c, 0x1000) == -1 && errno == EINVAL);
  static unsigned char big[1 << 16];
  long n = syscall(SYS_getrandom, big, sizeof big, 0);
  int nonzero = 0;
  for (long i = 0; i < n; i++) nonzero += big[i] != 0;
  check("getrandom 64 KiB returns bytes that are mostly non-zero", n > 0 && nonzero > n / 2);
  if (failures == 0) printf("ok\n");
  return finish();
}
