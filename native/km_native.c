/*
 * km_native: the only native code of the monitor. It gives TypeScript what JavaScript cannot
 * reach, and nothing else: a raw system call (ioctl, mmap, KVM_RUN, ... are all made through it),
 * the host address of a JS buffer, a zero-copy ArrayBuffer over a host address range
 * (guest memory, kvm_run), host signal plumbing (catch, record, kick KVM_RUN), and one host thread
 * per vCPU for multi-threaded payloads (it runs KVM_RUN or a blocking host call when told, and
 * reports back). No syscall semantics live here: every decision is in TypeScript, with one
 * narrow exception for speed, the fast path below: the plain case of a few calls the syscall table
 * marks, with TypeScript's own descriptor table and guest bounds; every other case goes to
 * TypeScript as before.
 */
#define _GNU_SOURCE
#define NAPI_EXPERIMENTAL /* node_api_create_external_string_latin1 (node >= 20.4) */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/futex.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <node_api.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define CHECK(call)                                                                    \
    do {                                                                               \
        if ((call) != napi_ok) {                                                       \
            napi_throw_error(env, NULL, "km_native: N-API call failed: " #call);       \
            return NULL;                                                               \
        }                                                                              \
    } while (0)

/* JS numbers carry 64-bit values as doubles; int64 conversion is exact below 2^53 and the
 * callers keep addresses, sizes and flags inside that range. */
static int64_t arg_i64(napi_env env, napi_value v) {
    int64_t x = 0;
    napi_valuetype t;
    if (napi_typeof(env, v, &t) != napi_ok) return 0;
    if (t == napi_bigint) {
        bool lossless;
        napi_get_value_bigint_int64(env, v, &x, &lossless);
        return x;
    }
    napi_get_value_int64(env, v, &x);
    return x;
}

static napi_value make_i64(napi_env env, int64_t x) {
    napi_value r;
    if (napi_create_int64(env, x, &r) != napi_ok) return NULL;
    return r;
}

/* syscall(nr, a0..a5) -> result, or -errno. Blocking calls (KVM_RUN, read, nanosleep) block the
 * calling JS thread, which is the design: one JS thread per vCPU. */
/* the number and up to six arguments of a syscall call from JS (missing ones are 0) */
static bool syscall_args(napi_env env, napi_callback_info info, int64_t a[7]) {
    size_t argc = 7;
    napi_value argv[7];
    if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return false;
    for (size_t i = 0; i < 7; i++) a[i] = i < argc ? arg_i64(env, argv[i]) : 0;
    return true;
}

static napi_value js_syscall(napi_env env, napi_callback_info info) {
    int64_t a[7];
    if (!syscall_args(env, info, a)) return NULL;
    long r = syscall(a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
    return make_i64(env, r == -1 ? -(int64_t)errno : (int64_t)r);
}

/*
 * A blocking host call made on the JS thread for the payload (inline mode) must not miss a signal
 * that arrives just before it enters the kernel: the handler would run, but the call would then
 * block. km_cp_syscall checks a flag and makes the call; a signal handler that finds the thread
 * between the check and the syscall instruction moves it to km_cp_cancel, which returns -EINTR
 * (the technique musl uses for thread cancellation points).
 */
long km_cp_syscall(const volatile uint64_t *pending, long nr, long a0, long a1, long a2, long a3, long a4, long a5);
extern const char km_cp_begin[], km_cp_end[], km_cp_cancel[];
__asm__(
    ".text\n"
    ".globl km_cp_syscall\n"
    ".hidden km_cp_syscall\n"
    ".type km_cp_syscall,@function\n"
    "km_cp_syscall:\n"
    "    mov %rdi, %r11\n"
    "    mov %rsi, %rax\n"
    "    mov %rdx, %rdi\n"
    "    mov %rcx, %rsi\n"
    "    mov %r8, %rdx\n"
    "    mov %r9, %r10\n"
    "    mov 8(%rsp), %r8\n"
    "    mov 16(%rsp), %r9\n"
    ".globl km_cp_begin\n"
    ".hidden km_cp_begin\n"
    "km_cp_begin:\n"
    "    cmpq $0, (%r11)\n"
    "    jne km_cp_cancel\n"
    "    syscall\n"
    ".globl km_cp_end\n"
    ".hidden km_cp_end\n"
    "km_cp_end:\n"
    "    ret\n"
    ".globl km_cp_cancel\n"
    ".hidden km_cp_cancel\n"
    "km_cp_cancel:\n"
    "    mov $-4, %rax\n" /* -EINTR */
    "    ret\n"
    ".size km_cp_syscall, .-km_cp_syscall\n");

static uint64_t host_pending;

/*
 * The fast path. A guest syscall exit whose number the table marks (src/syscalls/types.ts,
 * FAST_KIND) and whose arguments are ordinary is served here, on the thread that ran KVM_RUN, and
 * the vCPU goes on without a round trip through JavaScript (which costs several microseconds per
 * exit inline, and two host-thread hand-offs per exit on vCPU threads):
 *   FAST_FD_BUFFER (read, write, pread64, pwrite64): fd, buffer, length[, offset]. Served when the
 *     guest fd maps to a plain host fd (not a monitor-served object) in TypeScript's table, the
 *     length is >= 0 and the buffer lies inside the guest's addressable range; the host kernel then
 *     answers as for any passthrough call (EFAULT on unmapped guest pages, as host memory mirrors
 *     guest protection). A result of EINTR or EPIPE means nothing moved: the exit then goes to
 *     TypeScript, which makes the call again with everything it does around it (signal delivery,
 *     restart, SIGPIPE).
 *   FAST_GETPID: the monitor's pid, which is the payload's.
 *   FAST_FUTEX: the host futex of the same memory (guest memory is the monitor's, and the vCPUs are
 *     its threads), for WAIT and WAIT_BITSET without a timeout or with a relative one (FUTEX_WAIT),
 *     WAKE, WAKE_BITSET, REQUEUE, CMP_REQUEUE and WAKE_OP, with aligned words inside guest memory;
 *     what TypeScript's handler would pass the host, without its copy of the timeout. EINTR goes
 *     to TypeScript as above (nothing was consumed).
 *   FAST_EPOLL (epoll_wait, epoll_pwait without a signal mask): a plain host epoll fd, 1..INT_MAX/12
 *     events in guest memory; EINTR goes to TypeScript (nothing was consumed).
 *   FAST_YIELD (sched_yield): yields this thread.
 *   FAST_SIGMASK (rt_sigprocmask): while no signal is pending for the thread (its mailbox word) or
 *     the process (fast.proc_pending), TypeScript's mask in the mailbox is changed here. The sets
 *     are copied with process_vm_readv/writev on this process, which fail instead of faulting; a
 *     fault goes to TypeScript, before anything changed. The new mask is stored, then the pending
 *     words are read again: a signal posted meanwhile puts the old mask back and goes to
 *     TypeScript (which stores pending, then reads masks, in the same order).
 *   FAST_THREAD_EXIT (exit of a thread): only its first step, clear_child_tid (take_exit_tid and
 *     release_exit_tid below); the exit itself always goes to TypeScript.
 * Anything else (other fds, bad pointers, negative lengths, tracing or statistics on) goes to
 * TypeScript untouched.
 */
enum { FAST_NONE = 0, FAST_FD_BUFFER = 1, FAST_GETPID = 2, FAST_FUTEX = 3, FAST_EPOLL = 4, FAST_YIELD = 5, FAST_SIGMASK = 6, FAST_THREAD_EXIT = 7 };
#define SIGSET_SIZE 8
#define UNBLOCKABLE ((1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1)))
#define EPOLL_EVENT_SIZE 12
#define FAST_MAX_NR 512
static struct {
    int32_t enabled;
    uint8_t kind[FAST_MAX_NR];
    uint64_t mem_base;      /* host address of guest address 0 */
    uint64_t mem_limit;     /* guest buffers must end at or below this */
    uint64_t doorbell_gpa;
    const int32_t *volatile fds; /* guest fd -> plain host fd, or -1 */
    volatile int64_t nfds;
    uint64_t *volatile proc_pending; /* process-directed pending signals (TypeScript's word) */
} fast;

/* mailbox words (guest/entry.S: MB_NR, MB_ARG0.., MB_RET, MB_SIGBLOCKED, MB_SIGPENDING, MB_CLEARTID, MB_ROBUST) */
enum { MBW_NR = 0, MBW_ARG0 = 1, MBW_RET = 7, MBW_SIGBLOCKED = 18, MBW_SIGPENDING = 19, MBW_CLEARTID = 21, MBW_ROBUST = 22 };

/* host address of guest [addr, addr+len) when it lies inside guest memory, else 0 */
static uint64_t guest_host(uint64_t addr, uint64_t len) {
    return addr > fast.mem_limit || len > fast.mem_limit - addr ? 0 : fast.mem_base + addr;
}

/* the plain host fd behind guest fd g (TypeScript's table), or -1 (none, or a monitor object) */
static int32_t plain_fd(int32_t g) {
    const int32_t *fds = fast.fds;
    return g < 0 || g >= fast.nfds || !fds ? -1 : fds[g];
}

/* copies between this process's memory and guest memory without faulting (0 or -EFAULT) */
static int guest_copy(void *local, uint64_t guest, size_t len, int to_guest) {
    uint64_t h = guest_host(guest, len);
    if (!h) return -EFAULT;
    struct iovec l = { local, len }, g = { (void *)(uintptr_t)h, len };
    long r = syscall(to_guest ? SYS_process_vm_writev : SYS_process_vm_readv, getpid(), &l, 1, &g, 1, 0);
    return r == (long)len ? 0 : -EFAULT;
}

/*
 * The first step of a thread's exit, done here so that a thread joining it wakes without waiting
 * for the monitor's JavaScript: clear_child_tid is zeroed and woken (as the kernel does, private
 * and shared waiters alike) when the thread holds no robust futex (its list is unset or empty; the
 * monitor walks one that is not). In two halves, so that the monitor sees the exit before anything
 * the woken thread does next: take_exit_tid, before the exit is reported, takes the word from the
 * mailbox (the monitor then finds nothing left to clear); release_exit_tid, once it is reported,
 * clears and wakes it. A word the guest may not write is skipped, as Linux skips it.
 */
static __thread uint64_t exit_tid;

static void take_exit_tid(uint64_t *mb) {
    uint64_t ctid = __atomic_load_n(&mb[MBW_CLEARTID], __ATOMIC_SEQ_CST), robust = mb[MBW_ROBUST];
    if (!ctid || ctid % 4) return;
    if (robust) {
        uint64_t head[3]; /* list.next, futex_offset, list_op_pending */
        if (guest_copy(head, robust, sizeof head, 0) || head[0] != robust || head[2] != 0) return;
    }
    exit_tid = __atomic_exchange_n(&mb[MBW_CLEARTID], 0, __ATOMIC_SEQ_CST);
}

static void release_exit_tid(void) {
    uint64_t ctid = exit_tid;
    exit_tid = 0;
    uint32_t zero = 0;
    if (!ctid || guest_copy(&zero, ctid, 4, 1)) return;
    uint32_t *h = (uint32_t *)(uintptr_t)guest_host(ctid, 4);
    syscall(SYS_futex, h, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0);
    syscall(SYS_futex, h, FUTEX_WAKE, 1, NULL, NULL, 0);
}

static uint64_t signals_pending(const uint64_t *mb) {
    uint64_t *proc = fast.proc_pending;
    return __atomic_load_n(&mb[MBW_SIGPENDING], __ATOMIC_SEQ_CST) | (proc ? __atomic_load_n(proc, __ATOMIC_SEQ_CST) : ~0ull);
}

/* Serves the exit in `run` when it is a fast one: the result goes to the mailbox and 1 is returned;
 * 0 leaves the exit for TypeScript. The host call is made with km_cp_syscall on `cancel`, so that a
 * signal or kick caught just before it blocks is not missed (it returns EINTR instead). */
static int fast_exit(const struct kvm_run *run, uint64_t *mb, const volatile uint64_t *cancel) {
    if (!fast.enabled || run->exit_reason != KVM_EXIT_MMIO || run->mmio.phys_addr != fast.doorbell_gpa) return 0;
    /* kicked: the monitor wants this thread (a signal, exit_group) */
    if (__atomic_load_n(&run->immediate_exit, __ATOMIC_SEQ_CST)) return 0;
    /* a signal the thread may take is pending (the monitor delivers it as this syscall ends, or
     * interrupts a blocking one before it starts) */
    if (signals_pending(mb) & ~__atomic_load_n(&mb[MBW_SIGBLOCKED], __ATOMIC_SEQ_CST)) return 0;
    uint64_t nr = mb[MBW_NR];
    if (nr >= FAST_MAX_NR) return 0;
    long r;
    switch (fast.kind[nr]) {
    case FAST_FD_BUFFER: {
        int32_t h = plain_fd((int32_t)mb[MBW_ARG0]);
        int64_t len = (int64_t)mb[MBW_ARG0 + 2];
        uint64_t buf = len < 0 ? 0 : guest_host(mb[MBW_ARG0 + 1], (uint64_t)len);
        if (h < 0 || !buf) return 0;
        r = km_cp_syscall(cancel, (long)nr, h, (long)buf, (long)len, (long)mb[MBW_ARG0 + 3], 0, 0);
        if (r == -EPIPE) return 0;
        break;
    }
    case FAST_GETPID:
        r = getpid();
        break;
    case FAST_THREAD_EXIT:
        take_exit_tid(mb);
        return 0; /* the monitor ends the thread; release_exit_tid once that is reported */
    case FAST_YIELD:
        r = syscall(SYS_sched_yield);
        break;
    case FAST_SIGMASK: {
        int32_t how = (int32_t)mb[MBW_ARG0];
        uint64_t set = mb[MBW_ARG0 + 1], oset = mb[MBW_ARG0 + 2], v = 0;
        if (mb[MBW_ARG0 + 3] != SIGSET_SIZE || signals_pending(mb)) return 0;
        uint64_t old = __atomic_load_n(&mb[MBW_SIGBLOCKED], __ATOMIC_SEQ_CST), next = old;
        if (set) {
            if (how < 0 || how > 2 || guest_copy(&v, set, SIGSET_SIZE, 0)) return 0;
            next = (how == 0 ? old | v : how == 1 ? old & ~v : v) & ~UNBLOCKABLE;
        }
        if (oset && guest_copy(&old, oset, SIGSET_SIZE, 1)) return 0;
        if (set) {
            __atomic_store_n(&mb[MBW_SIGBLOCKED], next, __ATOMIC_SEQ_CST);
            if (signals_pending(mb)) { __atomic_store_n(&mb[MBW_SIGBLOCKED], old, __ATOMIC_SEQ_CST); return 0; }
        }
        r = 0;
        break;
    }
    case FAST_EPOLL: {
        int32_t h = plain_fd((int32_t)mb[MBW_ARG0]), max = (int32_t)mb[MBW_ARG0 + 2], timeout = (int32_t)mb[MBW_ARG0 + 3];
        if (nr == SYS_epoll_pwait && mb[MBW_ARG0 + 4] != 0) return 0; /* a temporary signal mask */
        if (h < 0 || max <= 0 || max > 0x7fffffff / EPOLL_EVENT_SIZE) return 0;
        uint64_t ev = guest_host(mb[MBW_ARG0 + 1], (uint64_t)max * EPOLL_EVENT_SIZE);
        if (!ev) return 0;
        r = km_cp_syscall(cancel, SYS_epoll_pwait, h, (long)ev, max, timeout, 0, 8);
        break;
    }
    case FAST_FUTEX: {
        uint64_t ua = mb[MBW_ARG0], ts = mb[MBW_ARG0 + 3], ua2 = mb[MBW_ARG0 + 4];
        int32_t op = (int32_t)mb[MBW_ARG0 + 1], val = (int32_t)mb[MBW_ARG0 + 2], val3 = (int32_t)mb[MBW_ARG0 + 5];
        int cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
        uint64_t word = ua % 4 ? 0 : guest_host(ua, 4);
        if (!word) return 0;
        long a3 = 0, a4 = 0;
        switch (cmd) {
        case FUTEX_WAIT:
            if (op & FUTEX_CLOCK_REALTIME) return 0;
            /* fall through */
        case FUTEX_WAIT_BITSET:
            if (cmd == FUTEX_WAIT_BITSET && (val3 == 0 || ts != 0)) return 0;
            if (ts != 0 && !(a3 = (long)guest_host(ts, 16))) return 0;
            break;
        case FUTEX_WAKE: case FUTEX_WAKE_BITSET:
            break;
        case FUTEX_REQUEUE: case FUTEX_CMP_REQUEUE: case FUTEX_WAKE_OP:
            if (ua2 % 4 || !(a4 = (long)guest_host(ua2, 4))) return 0;
            a3 = (long)ts; /* a count here (val2), not a pointer */
            break;
        default:
            return 0;
        }
        r = km_cp_syscall(cancel, SYS_futex, (long)word, op, val, a3, a4, val3);
        break;
    }
    default:
        return 0;
    }
    if (r == -EINTR) return 0; /* interrupted before anything moved: TypeScript makes the call again */
    mb[MBW_RET] = (uint64_t)r;
    return 1;
}

/* the data of a typed-array argument of the expected type and at least `min` elements, with its
 * element count; NULL after throwing a TypeError naming `what` */
static void *typed_array_arg(napi_env env, napi_value v, napi_typedarray_type want, size_t min, size_t *len, const char *what) {
    napi_typedarray_type t;
    size_t off;
    void *data;
    napi_value ab;
    bool is = false;
    if (napi_is_typedarray(env, v, &is) != napi_ok || !is ||
        napi_get_typedarray_info(env, v, &t, len, &data, &ab, &off) != napi_ok || t != want || *len < min) {
        napi_throw_type_error(env, NULL, what);
        return NULL;
    }
    return data;
}

/* fastConfig(enabled, memBase, memLimit, doorbellGpa, kinds: Uint8Array indexed by syscall number) */
static napi_value js_fast_config(napi_env env, napi_callback_info info) {
    size_t argc = 5;
    napi_value argv[5];
    CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
    size_t len;
    void *data = typed_array_arg(env, argv[4], napi_uint8_array, 0, &len, "fastConfig: expected a Uint8Array of kinds");
    if (!data) return NULL;
    fast.enabled = 0;
    memset(fast.kind, 0, sizeof fast.kind);
    memcpy(fast.kind, data, len < FAST_MAX_NR ? len : FAST_MAX_NR);
    fast.mem_base = (uint64_t)arg_i64(env, argv[1]);
    fast.mem_limit = (uint64_t)arg_i64(env, argv[2]);
    fast.doorbell_gpa = (uint64_t)arg_i64(env, argv[3]);
    napi_value on;
    bool enabled = false;
    CHECK(napi_coerce_to_bool(env, argv[0], &on));
    CHECK(napi_get_value_bool(env, on, &enabled));
    __atomic_store_n(&fast.enabled, enabled ? 1 : 0, __ATOMIC_SEQ_CST);
    return NULL;
}

/* the data of a call's only argument, a typed array as typed_array_arg wants it */
static void *only_typed_array_arg(napi_env env, napi_callback_info info, napi_typedarray_type want, size_t min, size_t *len, const char *what) {
    size_t argc = 1;
    napi_value v;
    if (napi_get_cb_info(env, info, &argc, &v, NULL, NULL) != napi_ok) return NULL;
    return typed_array_arg(env, v, want, min, len, what);
}

/* fastFds(table: Int32Array): guest fd -> plain host fd or -1. TypeScript keeps every array it ever
 * passed alive (a vCPU thread may still be reading the previous one). */
static napi_value js_fast_fds(napi_env env, napi_callback_info info) {
    size_t len;
    void *data = only_typed_array_arg(env, info, napi_int32_array, 0, &len, "fastFds: expected an Int32Array");
    if (!data) return NULL;
    /* shrink first, grow last: a reader never indexes past the array it read */
    if ((int64_t)len < fast.nfds) __atomic_store_n(&fast.nfds, (int64_t)len, __ATOMIC_SEQ_CST);
    __atomic_store_n(&fast.fds, (const int32_t *)data, __ATOMIC_SEQ_CST);
    __atomic_store_n(&fast.nfds, (int64_t)len, __ATOMIC_SEQ_CST);
    return NULL;
}

/* fastSignals(word: BigUint64Array): the process-directed pending mask (TypeScript keeps it alive) */
static napi_value js_fast_signals(napi_env env, napi_callback_info info) {
    size_t len;
    void *data = only_typed_array_arg(env, info, napi_biguint64_array, 1, &len, "fastSignals: expected a BigUint64Array");
    if (!data) return NULL;
    __atomic_store_n(&fast.proc_pending, (uint64_t *)data, __ATOMIC_SEQ_CST);
    return NULL;
}

/* runFast(vcpuFd, kvmRunAddress, mailboxAddress) -> KVM_RUN's result (0 or -errno): KVM_RUN on the
 * JS thread, serving fast exits in place until one needs TypeScript */
static napi_value js_run_fast(napi_env env, napi_callback_info info) {
    size_t argc = 3;
    napi_value argv[3];
    CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
    int fd = (int)arg_i64(env, argv[0]);
    const struct kvm_run *run = (const struct kvm_run *)(uintptr_t)arg_i64(env, argv[1]);
    uint64_t *mb = (uint64_t *)(uintptr_t)arg_i64(env, argv[2]);
    long r;
    do {
        r = ioctl(fd, KVM_RUN, 0);
        if (r == -1) { r = -errno; break; }
    } while (fast_exit(run, mb, &host_pending));
    /* the monitor is this thread: nothing of the exit can be seen out of order */
    if (exit_tid) release_exit_tid();
    return make_i64(env, r);
}

/* In a signal handler: a thread about to make its cancellable call returns -EINTR instead. */
static void cancel_pending_call(void *uc) {
    ucontext_t *u = uc;
    greg_t *ip = &u->uc_mcontext.gregs[REG_RIP];
    if ((uintptr_t)*ip >= (uintptr_t)km_cp_begin && (uintptr_t)*ip < (uintptr_t)km_cp_end) *ip = (greg_t)(uintptr_t)km_cp_cancel;
}

/* blockingSyscall(nr, a0..a5): syscall() for a call that may block the JS thread; -EINTR without
 * making it when a caught host signal is waiting to be taken (see signalTake) */
static napi_value js_blocking_syscall(napi_env env, napi_callback_info info) {
    int64_t a[7];
    if (!syscall_args(env, info, a)) return NULL;
    long r = km_cp_syscall(&host_pending, a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
    return make_i64(env, (int64_t)r);
}

/*
 * setCredentials(nr, a0, a1, a2) -> 0 or -errno: setuid, setgid, setreuid, setregid, setresuid,
 * setresgid or setgroups(a0, list at a1) for the whole monitor process. The raw system call changes
 * only the calling thread's credentials; the C library's wrappers change every thread's (glibc's
 * set*id broadcast), so the payload's vCPU threads, which make host calls for it, change with it.
 */
static napi_value js_set_credentials(napi_env env, napi_callback_info info) {
    int64_t a[7];
    if (!syscall_args(env, info, a)) return NULL;
    int r;
    switch (a[0]) {
    case SYS_setuid: r = setuid((uid_t)a[1]); break;
    case SYS_setgid: r = setgid((gid_t)a[1]); break;
    case SYS_setreuid: r = setreuid((uid_t)a[1], (uid_t)a[2]); break;
    case SYS_setregid: r = setregid((gid_t)a[1], (gid_t)a[2]); break;
    case SYS_setresuid: r = setresuid((uid_t)a[1], (uid_t)a[2], (uid_t)a[3]); break;
    case SYS_setresgid: r = setresgid((gid_t)a[1], (gid_t)a[2], (gid_t)a[3]); break;
    case SYS_setgroups: r = setgroups((size_t)a[1], (const gid_t *)(uintptr_t)a[2]); break;
    default: errno = ENOSYS; r = -1;
    }
    return make_i64(env, r < 0 ? -(int64_t)errno : 0);
}

/* addressOf(buffer | typedarray | arraybuffer) -> host address of its first byte */
static napi_value js_address_of(napi_env env, napi_callback_info info) {
    size_t argc = 1;
    napi_value v;
    CHECK(napi_get_cb_info(env, info, &argc, &v, NULL, NULL));
    bool is;
    void *data = NULL;
    CHECK(napi_is_typedarray(env, v, &is));
    if (is) {
        napi_typedarray_type t;
        size_t len, off;
        napi_value ab;
        CHECK(napi_get_typedarray_info(env, v, &t, &len, &data, &ab, &off));
        return make_i64(env, (int64_t)(uintptr_t)data);
    }
    CHECK(napi_is_dataview(env, v, &is));
    if (is) {
        size_t len, off;
        napi_value ab;
        CHECK(napi_get_dataview_info(env, v, &len, &data, &ab, &off));
        return make_i64(env, (int64_t)(uintptr_t)data);
    }
    CHECK(napi_is_arraybuffer(env, v, &is));
    if (is) {
        size_t len;
        CHECK(napi_get_arraybuffer_info(env, v, &data, &len));
        return make_i64(env, (int64_t)(uintptr_t)data);
    }
    napi_throw_type_error(env, NULL, "addressOf: expected a TypedArray, DataView or ArrayBuffer");
    return NULL;
}

/* view(address, length) -> ArrayBuffer over host memory that the caller owns (mmap'ed guest
 * memory or a kvm_run page). The caller guarantees the range stays mapped while it is used. */
static napi_value js_view(napi_env env, napi_callback_info info) {
    size_t argc = 2;
    napi_value argv[2];
    CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
    int64_t addr = arg_i64(env, argv[0]), len = arg_i64(env, argv[1]);
    if (addr <= 0 || len <= 0) {
        napi_throw_range_error(env, NULL, "view: bad address or length");
        return NULL;
    }
    napi_value ab;
    CHECK(napi_create_external_arraybuffer(env, (void *)(uintptr_t)addr, (size_t)len, NULL, NULL, &ab));
    return ab;
}

/* clockSample(address): writes six 64-bit values there, read back to back: the TSC, then
 * CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_BOOTTIME, CLOCK_MONOTONIC_RAW in ns, then the TSC again
 * (the guest's vDSO clock is computed from the TSC; TypeScript keeps its parameters). */
static napi_value js_clock_sample(napi_env env, napi_callback_info info) {
    size_t argc = 1;
    napi_value argv[1];
    CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
    uint64_t *out = (uint64_t *)(uintptr_t)arg_i64(env, argv[0]);
    static const clockid_t ids[] = { CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_BOOTTIME, CLOCK_MONOTONIC_RAW };
    out[0] = __builtin_ia32_rdtsc();
    for (int i = 0; i < 4; i++) {
        struct timespec ts;
        clock_gettime(ids[i], &ts);
        out[1 + i] = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    }
    out[5] = __builtin_ia32_rdtsc();
    return NULL;
}

/*
 * Host signal plumbing. A signal the payload handles is caught here: its bit is recorded and, when
 * a vCPU is registered, kvm_run.immediate_exit is set so KVM_RUN returns EINTR at once even if the
 * signal arrived just before entering the guest. Installed without SA_RESTART, so a blocking host
 * call made for the payload returns EINTR too. TypeScript takes the bits and decides the rest.
 */
static uint8_t *volatile kick_flag;
/* the JS thread, which makes the inline calls; a host signal caught elsewhere is forwarded to it */
static pthread_t js_thread;
static void wake_dispatcher(void);

/* what the last instance of each caught signal said about itself: si_code, si_pid, si_uid, si_value */
static int64_t host_info[65][4];

#define KICK_SIG (SIGRTMIN + 2)

static void on_host_signal(int sig, siginfo_t *si, void *uc) {
    if (sig > 0 && sig <= 64 && si) {
        host_info[sig][0] = si->si_code;
        host_info[sig][1] = si->si_code <= 0 || si->si_code == 0x80 ? si->si_pid : 0;
        host_info[sig][2] = si->si_code <= 0 ? si->si_uid : 0;
        /* SIGCHLD: the child's pid and exit status / signal (si_status shares sigval's offset) */
        host_info[sig][3] = si->si_code == SI_QUEUE ? (int64_t)(intptr_t)si->si_value.sival_ptr
            : sig == SIGCHLD && si->si_code > 0 ? si->si_status : 0;
        if (sig == SIGCHLD && si->si_code > 0) { host_info[sig][1] = si->si_pid; host_info[sig][2] = si->si_uid; }
    }
    __atomic_fetch_or(&host_pending, 1ull << (sig - 1), __ATOMIC_SEQ_CST);
    uint8_t *k = kick_flag;
    if (k) __atomic_store_n(k, 1, __ATOMIC_SEQ_CST);
    if (pthread_equal(pthread_self(), js_thread)) cancel_pending_call(uc);
    else pthread_kill(js_thread, KICK_SIG); /* interrupt its blocking call, if any */
    wake_dispatcher();
}


/*
 * vCPU threads. Shared memory (exposed to TypeScript as one ArrayBuffer) holds a header and one
 * slot per vCPU. TypeScript fills a slot (command, syscall number and arguments) and posts it; the
 * slot's thread runs the command (KVM_RUN, or one host syscall that may block only this thread),
 * stores the result, and pushes the slot number onto the completion ring. The dispatcher (the JS
 * thread) drains the ring and sleeps on `seq` when it is empty. Both sides spin briefly before
 * sleeping, because a syscall round trip is usually a few microseconds.
 *
 * Slot threads block every signal but KICK_SIG, whose handler (no SA_RESTART) interrupts KVM_RUN
 * (with kvm_run.immediate_exit set first) or a blocking host call with EINTR; on the JS thread it
 * also cancels an inline call about to start (see km_cp_syscall).
 */
#define RING_SIZE 4096
enum { CMD_RUN = 1, CMD_SYSCALL = 2, CMD_EXIT = 3 };

struct slot {
    int32_t state;      /* 0: owned by JS; 1: command posted */
    int32_t cmd;
    int32_t host_tid;
    int32_t sleeping;   /* the thread is (about to be) in FUTEX_WAIT on state */
    int64_t result;
    int64_t nr;
    int64_t args[6];
    int64_t vcpu_fd;
    int64_t run_addr;
    int64_t mb_addr;    /* host address of the vCPU's mailbox (fast path) */
    int64_t pad[3];
};
_Static_assert(sizeof(struct slot) == 128, "struct slot must match src/host/vcpu-threads.ts");

struct header {
    int32_t seq;        /* bumped on every completion and caught signal */
    int32_t sleeping;   /* the dispatcher is (about to be) in FUTEX_WAIT on seq */
    uint32_t tail;      /* next ring index producers take */
    int32_t pad[13];
    int32_t ring[RING_SIZE]; /* slot + 1, or 0 when empty */
};
_Static_assert(offsetof(struct header, ring) == 64, "struct header must match src/host/vcpu-threads.ts");

static struct header *hdr;
static struct slot *slots;
static pthread_t *slot_threads;
static int32_t nslots;
/* how long a vCPU thread or the dispatcher spins for work before sleeping (KM_SPIN_NS). Short: on
 * the 2-core hosts a spinning thread takes the core the thread with real work needs (measured on
 * PVM: futex ping-pong 146 us per round trip with 20 us of spin, 90 us with 2 us) */
static int spin_ns = 2000;
/* vCPU threads run slightly below the dispatcher, so that on a busy host the thread that serves
 * every exit is scheduled first when it wakes (guest code keeps running meanwhile elsewhere) */
static int vcpu_nice = 2;

static long futex(int32_t *addr, int op, int32_t val, const struct timespec *ts) {
    return syscall(SYS_futex, addr, op, val, ts, NULL, 0);
}

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void wake_dispatcher(void) {
    struct header *h = hdr;
    if (!h) return;
    __atomic_fetch_add(&h->seq, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&h->sleeping, __ATOMIC_SEQ_CST)) futex(&h->seq, FUTEX_WAKE_PRIVATE, 1, NULL);
}

/* set on a vCPU thread by a kick that arrives while it is out of KVM_RUN (its fast calls check it) */
static __thread uint64_t kicked;

static void on_kick(int sig, siginfo_t *si, void *uc) { (void)sig; (void)si; kicked = 1; cancel_pending_call(uc); }

/*
 * Finishes the guest's doorbell write (an MMIO exit) on this thread, at once: KVM completes a
 * pending MMIO only inside KVM_RUN, and the monitor must not issue KVM_RUN for this vCPU from
 * another thread, because KVM then re-binds the vCPU to the calling task with synchronize_rcu()
 * (milliseconds) and again when this thread runs it next. The exit as KVM reported it is kept
 * for the monitor to read.
 */
static void complete_mmio_exit(int fd, struct kvm_run *run) {
    if (run->exit_reason != KVM_EXIT_MMIO || !run->mmio.is_write) return;
    uint32_t reason = run->exit_reason;
    __typeof__(run->mmio) mmio = run->mmio;
    uint8_t kicked = __atomic_exchange_n(&run->immediate_exit, 1, __ATOMIC_SEQ_CST);
    ioctl(fd, KVM_RUN, 0); /* -EINTR once the write is complete */
    __atomic_store_n(&run->immediate_exit, kicked, __ATOMIC_SEQ_CST);
    run->exit_reason = reason;
    run->mmio = mmio;
}

static void *slot_main(void *arg) {
    struct slot *s = &slots[(intptr_t)arg];
    int32_t id = (int32_t)(intptr_t)arg;
    pid_t tid = (pid_t)syscall(SYS_gettid);
    if (vcpu_nice) setpriority(PRIO_PROCESS, (id_t)tid, getpriority(PRIO_PROCESS, 0) + vcpu_nice);
    __atomic_store_n(&s->host_tid, (int32_t)tid, __ATOMIC_SEQ_CST);
    for (;;) {
        int64_t until = now_ns() + spin_ns;
        while (!__atomic_load_n(&s->state, __ATOMIC_ACQUIRE)) {
            if (now_ns() < until) { __builtin_ia32_pause(); continue; }
            __atomic_store_n(&s->sleeping, 1, __ATOMIC_SEQ_CST);
            if (!__atomic_load_n(&s->state, __ATOMIC_SEQ_CST)) futex(&s->state, FUTEX_WAIT_PRIVATE, 0, NULL);
            __atomic_store_n(&s->sleeping, 0, __ATOMIC_SEQ_CST);
        }
        int cmd = s->cmd;
        long r;
        if (cmd == CMD_RUN) {
            struct kvm_run *run = (struct kvm_run *)(uintptr_t)s->run_addr;
            uint64_t *mb = (uint64_t *)(uintptr_t)s->mb_addr;
            kicked = 0; /* a kick from now on also sets immediate_exit, which KVM_RUN honours */
            do r = ioctl((int)s->vcpu_fd, KVM_RUN, 0);
            while (r == 0 && mb && fast_exit(run, mb, &kicked));
            if (r == 0) complete_mmio_exit((int)s->vcpu_fd, run);
        }
        else if (cmd == CMD_SYSCALL) r = syscall(s->nr, s->args[0], s->args[1], s->args[2], s->args[3], s->args[4], s->args[5]);
        else r = 0;
        s->result = r == -1 ? -(int64_t)errno : (int64_t)r;
        __atomic_store_n(&s->state, 0, __ATOMIC_RELEASE);
        uint32_t at = __atomic_fetch_add(&hdr->tail, 1, __ATOMIC_SEQ_CST);
        __atomic_store_n(&hdr->ring[at % RING_SIZE], id + 1, __ATOMIC_SEQ_CST);
        wake_dispatcher();
        if (exit_tid) release_exit_tid();
        if (cmd == CMD_EXIT) return NULL;
    }
}

/* threadsInit(nslots) -> ArrayBuffer over the header and slots (idempotent) */
static napi_value js_threads_init(napi_env env, napi_callback_info info) {
    size_t argc = 1;
    napi_value v;
    CHECK(napi_get_cb_info(env, info, &argc, &v, NULL, NULL));
    if (!hdr) {
        int64_t n = arg_i64(env, v);
        if (n <= 0 || n > RING_SIZE) { napi_throw_range_error(env, NULL, "threadsInit: bad slot count"); return NULL; }
        size_t size = sizeof(struct header) + (size_t)n * sizeof(struct slot);
        void *mem = NULL;
        if (posix_memalign(&mem, 4096, size) != 0) { napi_throw_error(env, NULL, "threadsInit: out of memory"); return NULL; }
        memset(mem, 0, size);
        slot_threads = calloc((size_t)n, sizeof(pthread_t));
        nslots = (int32_t)n;
        slots = (struct slot *)((char *)mem + sizeof(struct header));
        /* spinning only helps when the other side can run meanwhile */
        if (sysconf(_SC_NPROCESSORS_ONLN) < 2) spin_ns = 0;
        const char *spin = getenv("KM_SPIN_NS");
        if (spin) spin_ns = atoi(spin);
        const char *nice = getenv("KM_VCPU_NICE");
        if (nice) vcpu_nice = atoi(nice);
        __atomic_store_n(&hdr, (struct header *)mem, __ATOMIC_SEQ_CST);
    }
    napi_value ab;
    CHECK(napi_create_external_arraybuffer(env, hdr, sizeof(struct header) + (size_t)nslots * sizeof(struct slot), NULL, NULL, &ab));
    return ab;
}

/* the slot number argument of a slot call, or -1 (a RangeError is thrown) */
static int64_t slot_arg(napi_env env, napi_callback_info info, const char *what) {
    size_t argc = 1;
    napi_value v;
    if (napi_get_cb_info(env, info, &argc, &v, NULL, NULL) != napi_ok) return -1;
    int64_t id = arg_i64(env, v);
    if (!hdr || id < 0 || id >= nslots) { napi_throw_range_error(env, NULL, what); return -1; }
    return id;
}

/* threadStart(slot): starts the slot's host thread (signals blocked but KICK_SIG) -> 0 or -errno */
static napi_value js_thread_start(napi_env env, napi_callback_info info) {
    int64_t id = slot_arg(env, info, "threadStart: bad slot");
    if (id < 0) return NULL;
    sigset_t all, old;
    sigfillset(&all);
    sigdelset(&all, KICK_SIG);
    sigdelset(&all, SIGSEGV); sigdelset(&all, SIGBUS); sigdelset(&all, SIGFPE); sigdelset(&all, SIGILL);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int r = pthread_create(&slot_threads[id], &attr, slot_main, (void *)(intptr_t)id);
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return make_i64(env, r ? -(int64_t)r : 0);
}

/* post(slot): hands the slot's filled-in command to its thread */
static napi_value js_post(napi_env env, napi_callback_info info) {
    int64_t id = slot_arg(env, info, "post: bad slot");
    if (id < 0) return NULL;
    struct slot *s = &slots[id];
    __atomic_store_n(&s->state, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&s->sleeping, __ATOMIC_SEQ_CST)) futex(&s->state, FUTEX_WAKE_PRIVATE, 1, NULL);
    return NULL;
}

/* kick(slot): makes the slot's KVM_RUN or blocking host call return (EINTR) soon */
static napi_value js_kick(napi_env env, napi_callback_info info) {
    int64_t id = slot_arg(env, info, "kick: bad slot");
    if (id < 0) return NULL;
    struct slot *s = &slots[id];
    if (s->run_addr) __atomic_store_n((uint8_t *)(uintptr_t)(s->run_addr + offsetof(struct kvm_run, immediate_exit)), 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&s->host_tid, __ATOMIC_SEQ_CST)) pthread_kill(slot_threads[id], KICK_SIG);
    return NULL;
}

/* waitEvents(seenSeq, timeoutNs): returns when seq moved past seenSeq, a signal was caught, or
 * the timeout (< 0: none) passed; spins first. Returns the current seq. */
static napi_value js_wait_events(napi_env env, napi_callback_info info) {
    size_t argc = 2;
    napi_value argv[2];
    CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
    int32_t seen = (int32_t)arg_i64(env, argv[0]);
    int64_t timeout = arg_i64(env, argv[1]);
    struct header *h = hdr;
    if (!h) { napi_throw_error(env, NULL, "waitEvents: threadsInit first"); return NULL; }
    int64_t start = now_ns(), spin_until = start + (timeout >= 0 && timeout < spin_ns ? timeout : spin_ns);
    while (__atomic_load_n(&h->seq, __ATOMIC_ACQUIRE) == seen && !__atomic_load_n(&host_pending, __ATOMIC_RELAXED)) {
        int64_t now = now_ns();
        if (now < spin_until) { __builtin_ia32_pause(); continue; }
        if (timeout >= 0 && now - start >= timeout) break;
        __atomic_store_n(&h->sleeping, 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&h->seq, __ATOMIC_SEQ_CST) == seen && !__atomic_load_n(&host_pending, __ATOMIC_SEQ_CST)) {
            struct timespec ts, *tp = NULL;
            if (timeout >= 0) {
                int64_t left = timeout - (now - start);
                ts.tv_sec = left / 1000000000; ts.tv_nsec = left % 1000000000; tp = &ts;
            }
            futex(&h->seq, FUTEX_WAIT_PRIVATE, seen, tp);
        }
        __atomic_store_n(&h->sleeping, 0, __ATOMIC_SEQ_CST);
    }
    return make_i64(env, __atomic_load_n(&h->seq, __ATOMIC_SEQ_CST));
}

/* signalDisposition(sig, mode): 0 default, 1 ignore, 2 catch */
static napi_value js_signal_disposition(napi_env env, napi_callback_info info) {
    size_t argc = 2;
    napi_value argv[2];
    CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
    int64_t sig = arg_i64(env, argv[0]), mode = arg_i64(env, argv[1]);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigfillset(&sa.sa_mask);
    if (mode == 2) {
        sa.sa_sigaction = on_host_signal;
        sa.sa_flags = SA_SIGINFO;
    } else {
        sa.sa_handler = mode == 1 ? SIG_IGN : SIG_DFL;
    }
    int r = sigaction((int)sig, &sa, NULL);
    return make_i64(env, r < 0 ? -(int64_t)errno : 0);
}

/* kickSignal() -> the host signal km interrupts its own threads with (never the payload's) */
static napi_value js_kick_signal(napi_env env, napi_callback_info info) {
    (void)info;
    return make_i64(env, KICK_SIG);
}

/* signalTake() -> BigInt mask of caught signals since the last call (bit sig-1) */
static napi_value js_signal_take(napi_env env, napi_callback_info info) {
    (void)info;
    uint64_t m = __atomic_exchange_n(&host_pending, 0, __ATOMIC_SEQ_CST);
    napi_value r;
    CHECK(napi_create_bigint_uint64(env, m, &r));
    return r;
}

/* signalInfo(sig) -> [si_code, si_pid, si_uid, si_value] of the last caught instance of sig */
static napi_value js_signal_info(napi_env env, napi_callback_info info) {
    size_t argc = 1;
    napi_value v, arr;
    CHECK(napi_get_cb_info(env, info, &argc, &v, NULL, NULL));
    int64_t sig = arg_i64(env, v);
    if (sig < 1 || sig > 64) { napi_throw_range_error(env, NULL, "signalInfo: bad signal"); return NULL; }
    CHECK(napi_create_array_with_length(env, 4, &arr));
    for (uint32_t i = 0; i < 4; i++) CHECK(napi_set_element(env, arr, i, make_i64(env, host_info[sig][i])));
    return arr;
}

/* setKickAddress(addr): the byte a caught signal sets to 1 (kvm_run.immediate_exit); 0 = none */
static napi_value js_set_kick_address(napi_env env, napi_callback_info info) {
    size_t argc = 1;
    napi_value v;
    CHECK(napi_get_cb_info(env, info, &argc, &v, NULL, NULL));
    kick_flag = (uint8_t *)(uintptr_t)arg_i64(env, v);
    return NULL;
}

/* a JS array of strings as a NULL-terminated char* array (freed with free_strv) */
static char **strv_of(napi_env env, napi_value arr) {
    uint32_t n = 0;
    if (napi_get_array_length(env, arr, &n) != napi_ok) return NULL;
    char **v = calloc((size_t)n + 1, sizeof(char *));
    for (uint32_t i = 0; v && i < n; i++) {
        napi_value e;
        size_t len = 0;
        if (napi_get_element(env, arr, i, &e) != napi_ok || napi_get_value_string_utf8(env, e, NULL, 0, &len) != napi_ok) break;
        v[i] = malloc(len + 1);
        if (v[i]) napi_get_value_string_utf8(env, e, v[i], len + 1, &len);
    }
    return v;
}
static void free_strv(char **v) {
    for (char **p = v; p && *p; p++) free(*p);
    free(v);
}

/*
 * spawn(path, argv, envp, keepFds) -> pid or -errno: starts a program as a child of this process
 * (a forked payload's new monitor). The descriptors in keepFds stay open in it (they are the
 * guest's, close-on-exec in the monitor); it starts with every signal at its default action and
 * none blocked. posix_spawn does not copy the monitor's address space (guest memory included).
 */
static napi_value js_spawn(napi_env env, napi_callback_info info) {
    size_t argc = 4;
    napi_value argv[4];
    CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
    char path[4096];
    size_t len = 0;
    CHECK(napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len));
    char **av = strv_of(env, argv[1]), **ev = strv_of(env, argv[2]);
    uint32_t nfds = 0;
    CHECK(napi_get_array_length(env, argv[3], &nfds));
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    for (uint32_t i = 0; i < nfds; i++) {
        napi_value e;
        CHECK(napi_get_element(env, argv[3], i, &e));
        int fd = (int)arg_i64(env, e);
        /* dup2 of a descriptor onto itself clears its FD_CLOEXEC (POSIX, glibc >= 2.29) */
        posix_spawn_file_actions_adddup2(&fa, fd, fd);
    }
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    pid_t pid = -1;
    int r = av && ev ? posix_spawn(&pid, path, &fa, &attr, av, ev) : ENOMEM;
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    free_strv(av);
    free_strv(ev);
    return make_i64(env, r ? -(int64_t)r : pid);
}

/*
 * exitDetached(status): ends this process with status at once and leaves the kernel's teardown of
 * the VM and of the address space to a helper task. The helper shares the address space and the
 * descriptor table (CLONE_VM | CLONE_FILES), so the process's own exit drops only references: the
 * parent sees the exit status without waiting for KVM to destroy the VM and for the guest memory
 * and node's heap to be unmapped (~2 ms on PVM). The helper closes every descriptor (the standard
 * streams first, so readers see EOF at once), which destroys the VM, and exits; its exit unmaps the
 * memory. Orphaned, it is reaped by init like any other.
 */
static char detach_stack[16384] __attribute__((aligned(16)));
static int detached_teardown(void *arg) {
    (void)arg;
    prctl(PR_SET_NAME, "km-teardown", 0, 0, 0);
    syscall(SYS_close_range, 0U, ~0U, 0U);
    syscall(SYS_exit, 0);
    return 0;
}
static napi_value js_exit_detached(napi_env env, napi_callback_info info) {
    size_t argc = 1;
    napi_value argv[1];
    CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
    int status = (int)arg_i64(env, argv[0]);
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, NULL); /* the helper starts with every signal blocked */
    clone(detached_teardown, detach_stack + sizeof detach_stack, CLONE_VM | CLONE_FILES, NULL);
    syscall(SYS_exit_group, status);
    return NULL;
}

/*
 * Prewarm: the VM km is about to need, made on a helper thread while node loads the monitor's
 * JavaScript (~10 ms of one core). KVM_CREATE_VM and KVM_CREATE_VCPU are ~0.25 ms each of kernel
 * time on PVM; done here they leave the start-up's critical path. Only generic KVM calls: opening
 * the default device, the API version, the vcpu mmap size, one VM and its vCPU 0. TypeScript takes
 * the results (takePrewarmed) and decides; it closes what it does not use.
 */
static struct {
    pthread_t thread;
    int started;
    int64_t kvm, api, mmap_size, vm, vcpu;
} prewarm = { .kvm = -1, .vm = -1, .vcpu = -1 };

static void *prewarm_main(void *arg) {
    (void)arg;
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) { prewarm.kvm = -errno; return NULL; }
    prewarm.kvm = kvm;
    prewarm.api = ioctl(kvm, KVM_GET_API_VERSION, 0);
    prewarm.mmap_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0) { prewarm.vm = -errno; return NULL; }
    prewarm.vm = vm;
    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    prewarm.vcpu = vcpu < 0 ? -errno : vcpu;
    return NULL;
}

/* takePrewarmed() -> [kvmFd, apiVersion, vcpuMmapSize, vmFd, vcpu0Fd] (fds -errno when not made),
 * or null when there was no prewarm or it was taken already. Waits for the helper thread. */
static napi_value js_take_prewarmed(napi_env env, napi_callback_info info) {
    (void)info;
    napi_value out;
    if (!prewarm.started) { CHECK(napi_get_null(env, &out)); return out; }
    pthread_join(prewarm.thread, NULL);
    prewarm.started = 0;
    int64_t v[5] = { prewarm.kvm, prewarm.api, prewarm.mmap_size, prewarm.vm, prewarm.vcpu };
    CHECK(napi_create_array_with_length(env, 5, &out));
    for (uint32_t i = 0; i < 5; i++) CHECK(napi_set_element(env, out, i, make_i64(env, v[i])));
    return out;
}

/*
 * mapFile(path, asString): the file mapped read-only, as an external latin1 string (asString) or
 * an external Buffer, or -errno. bin/km.cjs loads the monitor's bundle and its code cache this way:
 * nothing is read or copied up front, and the 250 KB source never lands on the JS heap (V8 reads
 * it only to compile a function the code cache lacks). The mapping lives as long as the value.
 * Files that are replaced while mapped must be replaced by rename (scripts/bundle.mjs does).
 */
static void unmap_file(node_api_basic_env env, void *data, void *hint) {
    (void)env;
    munmap(data, (size_t)(uintptr_t)hint);
}

static napi_value js_map_file(napi_env env, napi_callback_info info) {
    size_t argc = 2;
    napi_value argv[2], out;
    char path[4096];
    size_t len;
    bool as_string = false;
    CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
    CHECK(napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len));
    if (argc > 1) CHECK(napi_get_value_bool(env, argv[1], &as_string));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return make_i64(env, -errno);
    struct stat st;
    int bad = fstat(fd, &st) < 0 ? errno : st.st_size <= 0 ? EINVAL : 0;
    if (bad) { close(fd); return make_i64(env, -bad); }
    size_t size = (size_t)st.st_size;
    void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (p == MAP_FAILED) return make_i64(env, -e);
    if (as_string) {
        bool copied = false;
        if (node_api_create_external_string_latin1(env, (char *)p, size, unmap_file, (void *)(uintptr_t)size, &out, &copied) != napi_ok) {
            munmap(p, size);
            return make_i64(env, -ENOMEM);
        }
        return out;
    }
    if (napi_create_external_buffer(env, size, p, unmap_file, (void *)(uintptr_t)size, &out) != napi_ok) {
        munmap(p, size);
        return make_i64(env, -ENOMEM);
    }
    return out;
}

static napi_value init(napi_env env, napi_value exports) {
    /* the addon loads on the JS thread; KICK_SIG (no SA_RESTART) interrupts its blocking calls and
     * those of the vCPU threads */
    js_thread = pthread_self();
    /* KM_NO_PREWARM=1: no helper thread (for comparisons) */
    const char *no_prewarm = getenv("KM_NO_PREWARM");
    if (!(no_prewarm && no_prewarm[0] == '1') && pthread_create(&prewarm.thread, NULL, prewarm_main, NULL) == 0) prewarm.started = 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_kick;
    sa.sa_flags = SA_SIGINFO;
    sigfillset(&sa.sa_mask);
    sigaction(KICK_SIG, &sa, NULL);
    napi_property_descriptor props[] = {
        {"syscall", NULL, js_syscall, NULL, NULL, NULL, napi_default, NULL},
        {"setCredentials", NULL, js_set_credentials, NULL, NULL, NULL, napi_default, NULL},
        {"blockingSyscall", NULL, js_blocking_syscall, NULL, NULL, NULL, napi_default, NULL},
        {"addressOf", NULL, js_address_of, NULL, NULL, NULL, napi_default, NULL},
        {"view", NULL, js_view, NULL, NULL, NULL, napi_default, NULL},
        {"clockSample", NULL, js_clock_sample, NULL, NULL, NULL, napi_default, NULL},
        {"signalDisposition", NULL, js_signal_disposition, NULL, NULL, NULL, napi_default, NULL},
        {"signalTake", NULL, js_signal_take, NULL, NULL, NULL, napi_default, NULL},
        {"kickSignal", NULL, js_kick_signal, NULL, NULL, NULL, napi_default, NULL},
        {"signalInfo", NULL, js_signal_info, NULL, NULL, NULL, napi_default, NULL},
        {"setKickAddress", NULL, js_set_kick_address, NULL, NULL, NULL, napi_default, NULL},
        {"threadsInit", NULL, js_threads_init, NULL, NULL, NULL, napi_default, NULL},
        {"threadStart", NULL, js_thread_start, NULL, NULL, NULL, napi_default, NULL},
        {"post", NULL, js_post, NULL, NULL, NULL, napi_default, NULL},
        {"kick", NULL, js_kick, NULL, NULL, NULL, napi_default, NULL},
        {"waitEvents", NULL, js_wait_events, NULL, NULL, NULL, napi_default, NULL},
        {"spawn", NULL, js_spawn, NULL, NULL, NULL, napi_default, NULL},
        {"fastConfig", NULL, js_fast_config, NULL, NULL, NULL, napi_default, NULL},
        {"fastFds", NULL, js_fast_fds, NULL, NULL, NULL, napi_default, NULL},
        {"fastSignals", NULL, js_fast_signals, NULL, NULL, NULL, napi_default, NULL},
        {"runFast", NULL, js_run_fast, NULL, NULL, NULL, napi_default, NULL},
        {"exitDetached", NULL, js_exit_detached, NULL, NULL, NULL, napi_default, NULL},
        {"takePrewarmed", NULL, js_take_prewarmed, NULL, NULL, NULL, napi_default, NULL},
        {"mapFile", NULL, js_map_file, NULL, NULL, NULL, napi_default, NULL},
    };
    CHECK(napi_define_properties(env, exports, sizeof props / sizeof *props, props));
    return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
