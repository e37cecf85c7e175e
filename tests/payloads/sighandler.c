/*
 * Signal handlers: `sighandler self` raises signals at itself and recovers from faults;
 * `sighandler altstack` recovers from a stack overflow on an alternate stack;
 * `sighandler wait` prints "ready" and reports the signals it is sent from outside.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

static sigjmp_buf jb;
static volatile sig_atomic_t count;
static volatile int last_signo, last_code;
static void *volatile last_addr;

static void on_info(int sig, siginfo_t *si, void *uc) {
    (void)sig; (void)uc;
    count++;
    last_signo = si->si_signo;
    last_code = si->si_code;
}

static void on_fault(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    last_signo = sig;
    last_addr = si->si_addr;
    siglongjmp(jb, 1);
}

static void recover_here(void) {
    printf("resumed at the address set in the ucontext\n");
    siglongjmp(jb, 2);
}

static void on_fault_edit_rip(int sig, siginfo_t *si, void *ucv) {
    (void)sig; (void)si;
    ucontext_t *uc = ucv;
    uc->uc_mcontext.gregs[REG_RIP] = (greg_t)recover_here;
    uc->uc_mcontext.gregs[REG_RSP] &= ~(greg_t)15;
    uc->uc_mcontext.gregs[REG_RSP] -= 8;
}

static void on_usr2_fpu(int sig) {
    (void)sig;
    /* clobber SSE registers in the handler; the interrupted code must not notice */
    volatile double a = 3.25, b = 7.5;
    __asm__ volatile("movsd %0, %%xmm0; movsd %1, %%xmm1; addsd %%xmm1, %%xmm0" ::"m"(a), "m"(b) : "xmm0", "xmm1");
    count++;
}

static void self_test(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_info;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    printf("SIGUSR1 handled: count=%d signo=%d code=%s\n", (int)count, last_signo, last_code == SI_TKILL ? "SI_TKILL" : last_code == SI_USER ? "SI_USER" : "other");
    kill(getpid(), SIGUSR1);
    printf("kill(getpid()): count=%d code=%s\n", (int)count, last_code == SI_USER ? "SI_USER" : "other");

    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR1);
    sigprocmask(SIG_BLOCK, &m, NULL);
    raise(SIGUSR1);
    sigset_t pend;
    sigpending(&pend);
    printf("blocked: count=%d pending=%d\n", (int)count, sigismember(&pend, SIGUSR1));
    sigprocmask(SIG_UNBLOCK, &m, NULL);
    printf("unblocked: count=%d\n", (int)count);

    sa.sa_sigaction = on_fault;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGFPE, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);
    if (sigsetjmp(jb, 1) == 0) { *(volatile int *)0x1234 = 1; puts("not reached"); }
    printf("SIGSEGV recovered: signo=%d addr=%p\n", last_signo, last_addr);
    if (sigsetjmp(jb, 1) == 0) { volatile int z = 0; volatile int r = 10 / z; (void)r; puts("not reached"); }
    printf("SIGFPE recovered: signo=%d\n", last_signo);
    if (sigsetjmp(jb, 1) == 0) { __builtin_trap(); }
    printf("SIGILL recovered: signo=%d\n", last_signo);

    sa.sa_sigaction = on_fault_edit_rip;
    sigaction(SIGSEGV, &sa, NULL);
    if (sigsetjmp(jb, 1) == 0) { *(volatile int *)0x10 = 1; puts("not reached"); }
    puts("after the edited context");

    signal(SIGUSR2, on_usr2_fpu);
    volatile double x = 1.0 / 3.0;
    double before = x * 3.0;
    raise(SIGUSR2);
    double after = x * 3.0;
    printf("FPU state preserved across a handler: %s\n", before == after ? "yes" : "no");

    sa.sa_sigaction = on_info;
    sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
    sigaction(SIGHUP, &sa, NULL);
    raise(SIGHUP);
    struct sigaction now;
    sigaction(SIGHUP, NULL, &now);
    printf("SA_RESETHAND: handler reset to default: %s\n", now.sa_handler == SIG_DFL ? "yes" : "no");

    signal(SIGUSR2, SIG_IGN);
    raise(SIGUSR2);
    puts("ignored SIGUSR2");
    fflush(stdout);
    signal(SIGTERM, SIG_DFL);
    raise(SIGTERM);
    puts("not reached");
}

static int depth(int n) {
    volatile char pad[256];
    pad[0] = (char)n;
    return depth(n + 1) + pad[0];
}

static void altstack_test(void) {
    stack_t ss = { .ss_sp = malloc(65536), .ss_size = 65536, .ss_flags = 0 };
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGSEGV, &sa, NULL);
    if (sigsetjmp(jb, 1) == 0) depth(0);
    printf("stack overflow recovered on the alternate stack: signo=%d\n", last_signo);
}

static volatile sig_atomic_t seen[65];
static void on_external(int sig) { seen[sig] = 1; count++; }

static void wait_test(void) {
    int sigs[] = { SIGINT, SIGTERM, SIGUSR1, SIGHUP };
    for (unsigned i = 0; i < sizeof sigs / sizeof *sigs; i++) signal(sigs[i], on_external);
    printf("ready\n");
    fflush(stdout);
    while (count < 4) pause();
    for (unsigned i = 0; i < sizeof sigs / sizeof *sigs; i++) printf("%s: %s\n", strsignal(sigs[i]), seen[sigs[i]] ? "received" : "missing");
}

int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "self")) self_test();
    else if (argc > 1 && !strcmp(argv[1], "altstack")) altstack_test();
    else if (argc > 1 && !strcmp(argv[1], "wait")) wait_test();
    else { fprintf(stderr, "usage: sighandler self|altstack|wait\n"); return 2; }
    return 0;
}
