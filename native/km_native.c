/*
 * km_native: the only native code of the monitor. It gives TypeScript what JavaScript cannot
 * reach, and nothing else: a raw system call (ioctl, mmap, KVM_RUN, ... are all made through it),
 * the host address of a JS buffer, a zero-copy ArrayBuffer over a host address range
 * (guest memory, kvm_run), and host signal plumbing (catch, record, kick KVM_RUN). No syscall semantics live here: every decision is in TypeScript.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <node_api.h>
#include <signal.h>
#include <string.h>
#include <stdint.h>
#include <sys/syscall.h>
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
static napi_value js_syscall(napi_env env, napi_callback_info info) {
    size_t argc = 7;
    napi_value argv[7];
    CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
    int64_t a[7] = {0};
    for (size_t i = 0; i < argc && i < 7; i++) a[i] = arg_i64(env, argv[i]);
    long r = syscall(a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
    return make_i64(env, r == -1 ? -(int64_t)errno : (int64_t)r);
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

/*
 * Host signal plumbing. A signal the payload handles is caught here: its bit is recorded and, when
 * a vCPU is registered, kvm_run.immediate_exit is set so KVM_RUN returns EINTR at once even if the
 * signal arrived just before entering the guest. Installed without SA_RESTART, so a blocking host
 * call made for the payload returns EINTR too. TypeScript takes the bits and decides the rest.
 */
static uint64_t host_pending;
static uint8_t *volatile kick_flag;

static void on_host_signal(int sig) {
    __atomic_fetch_or(&host_pending, 1ull << (sig - 1), __ATOMIC_SEQ_CST);
    uint8_t *k = kick_flag;
    if (k) __atomic_store_n(k, 1, __ATOMIC_SEQ_CST);
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
    sa.sa_handler = mode == 2 ? on_host_signal : mode == 1 ? SIG_IGN : SIG_DFL;
    int r = sigaction((int)sig, &sa, NULL);
    return make_i64(env, r < 0 ? -(int64_t)errno : 0);
}

/* signalTake() -> BigInt mask of caught signals since the last call (bit sig-1) */
static napi_value js_signal_take(napi_env env, napi_callback_info info) {
    (void)info;
    uint64_t m = __atomic_exchange_n(&host_pending, 0, __ATOMIC_SEQ_CST);
    napi_value r;
    CHECK(napi_create_bigint_uint64(env, m, &r));
    return r;
}

/* setKickAddress(addr): the byte a caught signal sets to 1 (kvm_run.immediate_exit); 0 = none */
static napi_value js_set_kick_address(napi_env env, napi_callback_info info) {
    size_t argc = 1;
    napi_value v;
    CHECK(napi_get_cb_info(env, info, &argc, &v, NULL, NULL));
    kick_flag = (uint8_t *)(uintptr_t)arg_i64(env, v);
    return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
    napi_property_descriptor props[] = {
        {"syscall", NULL, js_syscall, NULL, NULL, NULL, napi_default, NULL},
        {"addressOf", NULL, js_address_of, NULL, NULL, NULL, napi_default, NULL},
        {"view", NULL, js_view, NULL, NULL, NULL, napi_default, NULL},
        {"signalDisposition", NULL, js_signal_disposition, NULL, NULL, NULL, napi_default, NULL},
        {"signalTake", NULL, js_signal_take, NULL, NULL, NULL, napi_default, NULL},
        {"setKickAddress", NULL, js_set_kick_address, NULL, NULL, NULL, napi_default, NULL},
    };
    CHECK(napi_define_properties(env, exports, sizeof props / sizeof *props, props));
    return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
