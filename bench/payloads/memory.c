/*
 * memory: a payload whose resident memory the benchmark samples from outside.
 *
 *   memory [mib=1024]
 *
 * Prints a line at each point and then waits for one byte on stdin (or, when stdin is at EOF or
 * not readable, sleeps 1 s), so the benchmark can read /proc/<pid>/status at that point:
 *   ready     nothing allocated yet
 *   touched   `mib` MiB mmapped and one byte written per 4 KiB page
 *   unmapped  the same memory munmapped
 * then prints "done" and exits 0.
 */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "common.h"

static void say(const char *s) {
    if (write(1, s, strlen(s)) < 0) exit(1);
}

static void wait_for_go(void) {
    char c;
    if (read(0, &c, 1) == 1) return;
    struct timespec t = {1, 0};
    nanosleep(&t, NULL);
}

int main(int argc, char **argv) {
    long mib = argc > 1 ? atol(argv[1]) : 1024;
    if (mib < 1) mib = 1;
    size_t len = (size_t)mib << 20;
    say("ready\n");
    wait_for_go();
    volatile char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) { perror("mmap"); return 1; }
    for (size_t i = 0; i < len; i += 4096) p[i] = 1;
    say("touched\n");
    wait_for_go();
    if (munmap((void *)p, len) != 0) { perror("munmap"); return 1; }
    say("unmapped\n");
    wait_for_go();
    say("done\n");
    return 0;
}
