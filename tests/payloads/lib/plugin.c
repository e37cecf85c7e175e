/* A small shared library that tests/payloads/dynamic.c loads with dlopen: code, data, a
 * constructor, dynamic TLS and calls back into libc. */
#include <stdio.h>

static int loaded;
__thread int plugin_tls = 7;
int plugin_counter = 100;

__attribute__((constructor)) static void plugin_init(void) { loaded = 1; }

int plugin_loaded(void) { return loaded; }

/* atomic: four threads call it at once */
int plugin_add(int a, int b) { __atomic_fetch_add(&plugin_counter, 1, __ATOMIC_RELAXED); return a + b; }

int *plugin_tls_addr(void) { return &plugin_tls; }

int plugin_format(char *buf, int len, int v) { return snprintf(buf, (size_t)len, "plugin says %d", v); }
