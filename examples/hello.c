/* The example payload built by `npm install`: `npx km examples/hello` runs it in its own VM. */
#include <stdio.h>
#include <sys/utsname.h>

int main(int argc, char **argv) {
    struct utsname u;
    uname(&u);
    printf("hello from %s (kernel %s), %d argument(s)\n", argv[0], u.release, argc - 1);
    return 0;
}
