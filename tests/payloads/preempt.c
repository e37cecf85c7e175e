/*
 * Asynchronous preemption the way Go's runtime does it: `preempt <mode>`. A worker thread holds
 * known 64-bit values in every general register (full 64-bit patterns, far above 2^53), CF and DF
 * set, and known xmm0-15, in a loop of its own assembly, while the main thread sends it SIGURG with
 * tgkill as fast as it can. The handler (SA_SIGINFO|SA_ONSTACK|SA_RESTART, on the worker's
 * sigaltstack) interrupts the loop anywhere; after every round the worker compares all registers
 * with what it loaded. Prints "what: ok/FAIL" lines and "failures: N".
 *
 *   spin      the loop only spins; the handler just counts
 *   redirect  as Go's SIGURG handler: it pushes the interrupted RIP on the interrupted stack and
 *             sets RIP to a stub (Go's asyncPreempt) that saves every register, calls C code
 *             (which sometimes yields the CPU), restores them and returns into the loop
 *   syscall   the loop makes a system call (getppid) every iteration, so signals also arrive as a
 *             system call ends; rax, rcx and r11 are the kernel's to change, the rest must hold
 */
// build-flags: -pthread
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include "common.h"

/* Layout of a register image (struct regs) shared with the assembly below. */
enum { NGPR = 15, IX_FLAGS = NGPR, IX_XMM = NGPR + 1, NWORDS = IX_XMM + 32 };
static const char *const gpr_names[NGPR] = { "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp",
  "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
enum { IX_RAX = 0, IX_RCX = 2, IX_R11 = 10 };
struct regs { uint64_t w[NWORDS]; };

/*
 * spin_regs(const struct regs *in, struct regs *out, long iterations, long with_syscall): loads every
 * general register but rsp and xmm0-15 from *in, sets CF and DF, loops, then stores them all and
 * the flags to *out. The loop touches only its counter, in memory at 0(%rsp).
 */
void spin_regs(const struct regs *in, struct regs *out, long iterations, long with_syscall);
/* Go's asyncPreempt: saves everything, calls preempt_work, restores everything, returns. */
void preempt_stub(void);
__asm__(
  ".text\n"
  ".globl spin_regs\n"
  ".type spin_regs,@function\n"
  "spin_regs:\n"
  "  push %rbx\n push %rbp\n push %r12\n push %r13\n push %r14\n push %r15\n"
  "  push %rsi\n"                 /* 8(%rsp): out */
  "  push %rdx\n"                 /* 0(%rsp): iterations left */
  "  mov %rcx, %r8\n"
  "  test %r8, %r8\n"
  "  jnz 10f\n"
  /* --- spin: every register holds its value for the whole loop --- */
  "  movdqu 128(%rdi), %xmm0\n movdqu 144(%rdi), %xmm1\n movdqu 160(%rdi), %xmm2\n movdqu 176(%rdi), %xmm3\n"
  "  movdqu 192(%rdi), %xmm4\n movdqu 208(%rdi), %xmm5\n movdqu 224(%rdi), %xmm6\n movdqu 240(%rdi), %xmm7\n"
  "  movdqu 256(%rdi), %xmm8\n movdqu 272(%rdi), %xmm9\n movdqu 288(%rdi), %xmm10\n movdqu 304(%rdi), %xmm11\n"
  "  movdqu 320(%rdi), %xmm12\n movdqu 336(%rdi), %xmm13\n movdqu 352(%rdi), %xmm14\n movdqu 368(%rdi), %xmm15\n"
  "  mov 0(%rdi), %rax\n mov 8(%rdi), %rbx\n mov 16(%rdi), %rcx\n mov 24(%rdi), %rdx\n"
  "  mov 32(%rdi), %rsi\n mov 48(%rdi), %rbp\n mov 56(%rdi), %r8\n mov 64(%rdi), %r9\n"
  "  mov 72(%rdi), %r10\n mov 80(%rdi), %r11\n mov 88(%rdi), %r12\n mov 96(%rdi), %r13\n"
  "  mov 104(%rdi), %r14\n mov 112(%rdi), %r15\n mov 40(%rdi), %rdi\n"
  "  stc\n std\n"
  "1: decq (%rsp)\n"              /* dec leaves CF alone */
  "  jnz 1b\n"
  "  jmp 20f\n"
  /* --- syscall: getppid every iteration --- */
  "10:\n"
  "  movdqu 128(%rdi), %xmm0\n movdqu 144(%rdi), %xmm1\n movdqu 160(%rdi), %xmm2\n movdqu 176(%rdi), %xmm3\n"
  "  movdqu 192(%rdi), %xmm4\n movdqu 208(%rdi), %xmm5\n movdqu 224(%rdi), %xmm6\n movdqu 240(%rdi), %xmm7\n"
  "  movdqu 256(%rdi), %xmm8\n movdqu 272(%rdi), %xmm9\n movdqu 288(%rdi), %xmm10\n movdqu 304(%rdi), %xmm11\n"
  "  movdqu 320(%rdi), %xmm12\n movdqu 336(%rdi), %xmm13\n movdqu 352(%rdi), %xmm14\n movdqu 368(%rdi), %xmm15\n"
  "  mov 8(%rdi), %rbx\n mov 24(%rdi), %rdx\n"
  "  mov 32(%rdi), %rsi\n mov 48(%rdi), %rbp\n mov 56(%rdi), %r8\n mov 64(%rdi), %r9\n"
  "  mov 72(%rdi), %r10\n mov 88(%rdi), %r12\n mov 96(%rdi), %r13\n"
  "  mov 104(%rdi), %r14\n mov 112(%rdi), %r15\n mov 40(%rdi), %rdi\n"
  "  stc\n std\n"
  "11: mov $110, %eax\n"          /* getppid */
  "  syscall\n"
  "  decq (%rsp)\n"
  "  jnz 11b\n"
  /* --- store everything --- */
  "20: pushfq\n"                  /* 16(%rsp): out */
  "  cld\n"
  "  xchg %rdi, 16(%rsp)\n"
  "  mov %rax, 0(%rdi)\n mov %rbx, 8(%rdi)\n mov %rcx, 16(%rdi)\n mov %rdx, 24(%rdi)\n"
  "  mov %rsi, 32(%rdi)\n mov %rbp, 48(%rdi)\n mov %r8, 56(%rdi)\n mov %r9, 64(%rdi)\n"
  "  mov %r10, 72(%rdi)\n mov %r11, 80(%rdi)\n mov %r12, 88(%rdi)\n mov %r13, 96(%rdi)\n"
  "  mov %r14, 104(%rdi)\n mov %r15, 112(%rdi)\n"
  "  mov 16(%rsp), %rax\n mov %rax, 40(%rdi)\n"
  "  pop %rax\n mov %rax, 120(%rdi)\n"
  "  movdqu %xmm0, 128(%rdi)\n movdqu %xmm1, 144(%rdi)\n movdqu %xmm2, 160(%rdi)\n movdqu %xmm3, 176(%rdi)\n"
  "  movdqu %xmm4, 192(%rdi)\n movdqu %xmm5, 208(%rdi)\n movdqu %xmm6, 224(%rdi)\n movdqu %xmm7, 240(%rdi)\n"
  "  movdqu %xmm8, 256(%rdi)\n movdqu %xmm9, 272(%rdi)\n movdqu %xmm10, 288(%rdi)\n movdqu %xmm11, 304(%rdi)\n"
  "  movdqu %xmm12, 320(%rdi)\n movdqu %xmm13, 336(%rdi)\n movdqu %xmm14, 352(%rdi)\n movdqu %xmm15, 368(%rdi)\n"
  "  add $16, %rsp\n"
  "  pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbp\n pop %rbx\n"
  "  ret\n"
  ".size spin_regs, .-spin_regs\n"

  ".globl preempt_stub\n"
  ".type preempt_stub,@function\n"
  "preempt_stub:\n"               /* the interrupted RIP is at 0(%rsp), pushed by the handler */
  "  pushfq\n"
  "  push %rax\n push %rbx\n push %rcx\n push %rdx\n push %rsi\n push %rdi\n push %rbp\n"
  "  push %r8\n push %r9\n push %r10\n push %r11\n push %r12\n push %r13\n push %r14\n push %r15\n"
  "  mov %rsp, %rbx\n"
  "  sub $256, %rsp\n"
  "  and $-16, %rsp\n"
  "  movdqu %xmm0, 0(%rsp)\n movdqu %xmm1, 16(%rsp)\n movdqu %xmm2, 32(%rsp)\n movdqu %xmm3, 48(%rsp)\n"
  "  movdqu %xmm4, 64(%rsp)\n movdqu %xmm5, 80(%rsp)\n movdqu %xmm6, 96(%rsp)\n movdqu %xmm7, 112(%rsp)\n"
  "  movdqu %xmm8, 128(%rsp)\n movdqu %xmm9, 144(%rsp)\n movdqu %xmm10, 160(%rsp)\n movdqu %xmm11, 176(%rsp)\n"
  "  movdqu %xmm12, 192(%rsp)\n movdqu %xmm13, 208(%rsp)\n movdqu %xmm14, 224(%rsp)\n movdqu %xmm15, 240(%rsp)\n"
  "  cld\n"
  "  call preempt_work\n"
  "  movdqu 0(%rsp), %xmm0\n movdqu 16(%rsp), %xmm1\n movdqu 32(%rsp), %xmm2\n movdqu 48(%rsp), %xmm3\n"
  "  movdqu 64(%rsp), %xmm4\n movdqu 80(%rsp), %xmm5\n movdqu 96(%rsp), %xmm6\n movdqu 112(%rsp), %xmm7\n"
  "  movdqu 128(%rsp), %xmm8\n movdqu 144(%rsp), %xmm9\n movdqu 160(%rsp), %xmm10\n movdqu 176(%rsp), %xmm11\n"
  "  movdqu 192(%rsp), %xmm12\n movdqu 208(%rsp), %xmm13\n movdqu 224(%rsp), %xmm14\n movdqu 240(%rsp), %xmm15\n"
  "  mov %rbx, %rsp\n"
  "  pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %r11\n pop %r10\n pop %r9\n pop %r8\n"
  "  pop %rbp\n pop %rdi\n pop %rsi\n pop %rdx\n pop %rcx\n pop %rbx\n pop %rax\n"
  "  popfq\n"
  "  ret\n"
  ".size preempt_stub, .-preempt_stub\n");

enum { SIGNALS_WANTED = 300, ITERATIONS = 20000 };
static int redirect;
static atomic_int handled, preempted, done;
static atomic_int worker_tid;

/* Called by preempt_stub with the interrupted goroutine's registers saved: what Go's scheduler
 * does there (here: count, and now and then give up the CPU). */
void preempt_work(void) {
  if (atomic_fetch_add(&preempted, 1) % 8 == 0) sched_yield();
}

static void on_urg(int sig, siginfo_t *si, void *ucv) {
  (void)sig; (void)si;
  ucontext_t *uc = ucv;
  atomic_fetch_add(&handled, 1);
  if (!redirect) return;
  greg_t *g = uc->uc_mcontext.gregs;
  uint64_t rip = (uint64_t)g[REG_RIP];
  /* only inside the loop: the stub's own pushes are then on the loop's stack */
  if (rip < (uint64_t)spin_regs || rip >= (uint64_t)preempt_stub) return;
  g[REG_RSP] -= 8;
  *(uint64_t *)g[REG_RSP] = rip;
  g[REG_RIP] = (greg_t)preempt_stub;
}

struct result { long rounds, bad_rounds; int first_bad; uint64_t want, got; };

static void *worker(void *arg) {
  long with_syscall = (long)arg;
  static char alt[1 << 16];
  stack_t ss = { .ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0 };
  if (sigaltstack(&ss, NULL) != 0) { printf("sigaltstack: FAIL (%s)\n", errname(errno)); exit(1); }
  struct result *r = calloc(1, sizeof *r);
  r->first_bad = -1;
  struct regs in, out;
  uint64_t x = 0x9e3779b97f4a7c15ull;
  atomic_store(&worker_tid, (int)syscall(SYS_gettid));
  while (atomic_load(&handled) < SIGNALS_WANTED && r->rounds < 1000000) {
    for (int i = 0; i < NWORDS; i++) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; in.w[i] = x | 0x0010000000000001ull; }
    memset(&out, 0, sizeof out);
    spin_regs(&in, &out, with_syscall ? ITERATIONS / 100 : ITERATIONS, with_syscall);
    r->rounds++;
    int bad = -1;
    for (int i = 0; i < NWORDS && bad < 0; i++) {
      if (with_syscall && (i == IX_RAX || i == IX_RCX || i == IX_R11)) continue;
      if (i == IX_FLAGS) {
        /* CF (bit 0) and DF (bit 10) were set for the whole loop */
        if ((out.w[i] & 0x401) != 0x401) bad = i;
      } else if (out.w[i] != in.w[i]) bad = i;
    }
    if (bad >= 0) {
      if (r->bad_rounds++ == 0) { r->first_bad = bad; r->want = bad == IX_FLAGS ? 0x401 : in.w[bad]; r->got = out.w[bad]; }
    }
  }
  atomic_store(&done, 1);
  return r;
}

static const char *word_name(int i) {
  static char buf[32];
  if (i < NGPR) return gpr_names[i];
  if (i == IX_FLAGS) return "rflags";
  snprintf(buf, sizeof buf, "xmm%d.%s", (i - IX_XMM) / 2, (i - IX_XMM) % 2 ? "hi" : "lo");
  return buf;
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  long with_syscall = 0;
  if (!strcmp(mode, "redirect")) redirect = 1;
  else if (!strcmp(mode, "syscall")) with_syscall = 1;
  else if (strcmp(mode, "spin")) { fprintf(stderr, "usage: preempt spin|redirect|syscall\n"); return 2; }
  setvbuf(stdout, NULL, _IONBF, 0);

  struct sigaction sa = { 0 };
  sa.sa_sigaction = on_urg;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
  sigfillset(&sa.sa_mask);
  if (sigaction(SIGURG, &sa, NULL) != 0) { printf("sigaction: FAIL (%s)\n", errname(errno)); return 1; }

  pthread_t t;
  if (pthread_create(&t, NULL, worker, (void *)with_syscall) != 0) { printf("pthread_create: FAIL\n"); return 1; }
  while (atomic_load(&worker_tid) == 0) sched_yield();
  pid_t pid = getpid();
  long sent = 0;
  while (!atomic_load(&done)) {
    if (syscall(SYS_tgkill, pid, atomic_load(&worker_tid), SIGURG) == 0) sent++;
    if (sent % 16 == 0) sched_yield();
  }
  struct result *r;
  pthread_join(t, (void **)&r);

  int n = atomic_load(&handled);
  printf("mode %s: at least %d SIGURG handled: %s\n", mode, SIGNALS_WANTED, n >= SIGNALS_WANTED ? "yes" : "no");
  if (redirect) printf("handler redirected the loop to the preemption stub: %s\n", atomic_load(&preempted) > 0 ? "yes" : "no");
  if (r->bad_rounds == 0) {
    printf("general registers, CF, DF and xmm0-15 intact in every round: ok\n");
  } else {
    printf("general registers, CF, DF and xmm0-15 intact in every round: FAIL (%ld of %ld rounds; first: %s 0x%016llx, want 0x%016llx)\n",
           r->bad_rounds, r->rounds, word_name(r->first_bad), (unsigned long long)r->got, (unsigned long long)r->want);
    failures++;
  }
  if (n < SIGNALS_WANTED) failures++;
  printf("failures: %d\n", failures);
  return failures ? 1 : 0;
}
