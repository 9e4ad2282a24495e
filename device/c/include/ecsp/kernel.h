/* ecsp's C kernel API: write your own device process in one C file.
 *
 * A kernel is a sequential C function that runs on an Epiphany core (or a
 * simulated one) and talks to the rest of a network only over channels. It
 * declares itself at the top of its body: its name, a one-line summary, and
 * its items (ports, parameters, barriers, stack), which ecsp reads from the
 * file to list the kernel (`ecsp kinds`) and to check every network that
 * uses it before anything runs:
 *
 *     #include <ecsp/kernel.h>
 *
 *     ECSP_KERNEL(saxpy, "a*x + y over vectors of 64 floats",
 *                 IN(x, f32, 64), IN(y, f32, 64), OUT(out, f32, 64),
 *                 PARAM(a, f32, 2.0))
 *     {
 *         float xv[64], yv[64];
 *         while (ecsp_read(x, xv) && ecsp_read(y, yv)) {
 *             for (int i = 0; i < 64; i++)
 *                 xv[i] = a * xv[i] + yv[i];
 *             ecsp_write(out, xv);
 *         }
 *     }
 *
 * Items, in any order; each becomes a parameter of the body, named as given:
 *
 *   IN(name, dtype)          a read end of scalars: `ecsp_in name`
 *   IN(name, dtype, n)       ... of vectors of n elements (dtype[n] messages)
 *   OUT(name, dtype[, n])    a write end: `ecsp_out name`
 *   PARAM(name, type)        a parameter the network must give: `type name`
 *   PARAM(name, type, v)     ... with the default v (a number literal)
 *   BARRIER(name)            a barrier the process takes part in: `ecsp_barrier name`
 *   STACK(bytes)             the kernel's stack (default ECSP_DEFAULT_STACK)
 *   FOREVER                  a run does not wait for it to return (like
 *                            commstime's prefix, delta and succ); it still
 *                            ends when its channels close or are poisoned
 *
 * dtype is one of i32 u32 f32 i64 f64 u8 (a channel's `dtype`, `bytes:N` is
 * u8 with n = N); a parameter's type one of i32 u32 i64 u64 f32 f64 bool.
 * n and the stack may be integer expressions over `#define`d constants of
 * the same file (`IN(north, f32, TILE)`). ecsp reads the declaration as
 * written: no other macros in it, and at most ECSP_MAX_KERNEL_ITEMS items.
 * A file may hold several kernels.
 *
 * The body is a plain sequential program: locals live on the kernel's own
 * stack and survive every blocking call. While it waits (a read with no
 * message, a write no reader took, a barrier, a timeout) the core runs its
 * other processes, or sleeps: a blocked kernel costs nothing. On the chip
 * the stack is STACK(bytes) of the core's SRAM (with the kernel's ports:
 * `ecsp plan` shows the room), checked when the image is built against what
 * the Epiphany compiler says the kernel needs; in the simulator the kernel
 * runs natively on a larger stack of the host's.
 *
 * How a kernel ends:
 * - It returns: its write ends still open are closed (lossless), so the
 *   processes downstream drain what it sent and see the close.
 * - A read, write, select or barrier meets poison: every end it was given
 *   is poisoned and it ends there (the call does not return), so poison
 *   spreads through a network, as PyCSP's processes do.
 * - ecsp_fail(message): it ends as a failure; the run poisons the network
 *   and reports the message with the process, its kernel and its core.
 *
 * Kernels are compiled with -fwrapv: signed integer arithmetic wraps at its
 * width, on the simulator and on the chip alike.
 *
 * Its result (`value` in ecsp run's report, DeviceResult.result in Python)
 * is what it last gave ecsp_result, an integer or a floating-point number.
 */
#ifndef ECSP_KERNEL_H
#define ECSP_KERNEL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- ports, barriers, guards ---- */

/* A read end (an IN item). */
typedef struct ecsp_in {
    uint8_t item;
} ecsp_in;

/* A write end (an OUT item). */
typedef struct ecsp_out {
    uint8_t item;
} ecsp_out;

/* A barrier (a BARRIER item). */
typedef struct ecsp_barrier {
    uint8_t item;
} ecsp_barrier;

/* Bytes of stack a kernel gets without a STACK item. */
#define ECSP_DEFAULT_STACK 512

/* Reads one message into `msg` (as many bytes as the channel's messages:
 * the dtype's size times the length). Returns 1 with a message, 0 once the
 * channel is closed and every message sent before the close was read
 * (`while (ecsp_read(in, &v)) ...` reads until the close). On poison the
 * kernel ends (see above). */
int ecsp_read(ecsp_in in, void *msg);

/* Writes one message from `msg`; returns once a reader took it (a
 * rendezvous channel) or it is in the channel's buffer. Writing to an end
 * this kernel closed fails the kernel; on poison the kernel ends. */
void ecsp_write(ecsp_out out, const void *msg);

/* Closes a write end: readers get every message written before, then see
 * the close. Closing twice does nothing. */
void ecsp_close(ecsp_out out);

/* Poisons the channel of an end (a read or a write end): every process
 * using it sees the poison at its next operation on it, messages in its
 * buffer are dropped. The kernel goes on; it ends at its own next use of
 * a poisoned channel. */
void ecsp_poison_in(ecsp_in in);
void ecsp_poison_out(ecsp_out out);
#define ecsp_poison(end) _Generic((end), ecsp_in: ecsp_poison_in, ecsp_out: ecsp_poison_out)(end)

/* 1 once a read or a select found this read end closed and drained. */
int ecsp_closed(ecsp_in in);

/* Waits at the barrier until every process taking part has arrived. */
void ecsp_sync(ecsp_barrier b);

/* ---- alternation ---- */

/* One guard of a select. Make them with the ecsp_on_* functions. */
typedef struct ecsp_guard {
    uint8_t kind;    /* ECSP__GUARD_* */
    uint8_t enabled; /* the guard's pre-condition */
    uint8_t item;    /* a read guard's port */
    uint8_t reserved;
    void *msg;       /* where a read guard puts its message */
    uint64_t ticks;  /* a timeout's ticks, or a deadline */
} ecsp_guard;

#define ECSP__GUARD_READ 1
#define ECSP__GUARD_SKIP 2
#define ECSP__GUARD_TIMEOUT 3
#define ECSP__GUARD_DEADLINE 4

/* Ready when a message is there (the select reads it into `msg`) or the
 * channel is closed and drained (nothing is read; ecsp_closed(in) is then 1).
 * Read guards must be one-to-one or any-to-one ends. */
static inline ecsp_guard ecsp_on_read(ecsp_in in, void *msg)
{
    ecsp_guard g = {ECSP__GUARD_READ, 1, in.item, 0, msg, 0};
    return g;
}
/* Always ready. */
static inline ecsp_guard ecsp_on_skip(void)
{
    ecsp_guard g = {ECSP__GUARD_SKIP, 1, 0, 0, 0, 0};
    return g;
}
/* Ready `ticks` core-clock ticks after the select began (ecsp_us, ecsp_ms). */
static inline ecsp_guard ecsp_on_timeout(uint64_t ticks)
{
    ecsp_guard g = {ECSP__GUARD_TIMEOUT, 1, 0, 0, 0, ticks};
    return g;
}
/* Ready once ecsp_now() reaches `at`. */
static inline ecsp_guard ecsp_on_deadline(uint64_t at)
{
    ecsp_guard g = {ECSP__GUARD_DEADLINE, 1, 0, 0, 0, at};
    return g;
}
/* The guard with a boolean pre-condition: disabled when `cond` is false. */
static inline ecsp_guard ecsp_when(int cond, ecsp_guard g)
{
    g.enabled = cond != 0;
    return g;
}

/* Waits until one of the enabled guards is ready and returns its index.
 * ecsp_pri_select prefers the first ready guard in the order given (a skip
 * guard wins over every guard after it, and only those); ecsp_select is
 * fair: it starts looking after the guard it chose last, so no ready guard
 * waits forever. A select whose guards are all disabled fails the kernel
 * (it could never choose). */
int ecsp_pri_select(const ecsp_guard *guards, int count);
int ecsp_select(const ecsp_guard *guards, int count);

/* The same over guards written in place:
 *     switch (ECSP_SELECT(ecsp_on_read(left, &l), ecsp_on_read(right, &r))) { ... } */
#define ECSP_SELECT(...)                                                                                              \
    ecsp_select((const ecsp_guard[]){__VA_ARGS__}, (int)(sizeof((const ecsp_guard[]){__VA_ARGS__}) / sizeof(ecsp_guard)))
#define ECSP_PRI_SELECT(...)                                                                                          \
    ecsp_pri_select((const ecsp_guard[]){__VA_ARGS__},                                                                 \
                    (int)(sizeof((const ecsp_guard[]){__VA_ARGS__}) / sizeof(ecsp_guard)))

/* ---- the core's clock ---- */

/* Ticks of the core's clock since it started: the 600 MHz core clock on a
 * Parallella; nanoseconds in ecsp's simulator (virtual ones in its
 * deterministic mode). */
uint64_t ecsp_now(void);
/* Ticks per second of ecsp_now. */
uint64_t ecsp_clock_hz(void);
/* Ticks in `us` microseconds, `ms` milliseconds. */
uint64_t ecsp_us(uint64_t us);
uint64_t ecsp_ms(uint64_t ms);
/* Waits `ticks` ticks (the core runs its other processes meanwhile). */
void ecsp_sleep(uint64_t ticks);

/* ---- result and failure ---- */

/* The kernel's result: an integer or a floating-point number, the last one given. */
void ecsp_result_int(int64_t value);
void ecsp_result_float(double value);
#define ecsp_result(v)                                                                                                \
    _Generic((v), float: ecsp_result_float, double: ecsp_result_float, default: ecsp_result_int)(v)

/* Ends the kernel as a failure with `message` (a string literal, or any
 * string that lives on; the first ECSP_MAX_MESSAGE bytes are kept). The
 * run poisons the network and reports it. Never returns. */
#define ECSP_MAX_MESSAGE 120
void ecsp_fail(const char *message) __attribute__((noreturn));
/* The same with a number appended: "message (value)". */
void ecsp_fail_value(const char *message, int64_t value) __attribute__((noreturn));

/* ---- the declaration (the machinery behind ECSP_KERNEL) ---- */

/* What the items become: the body's parameters (ECSP__DECL_*) and the
 * entry's arguments (ECSP__ARG_*, given the item's position). */
#define ECSP__DECL_IN(name, ...) , ecsp_in name
#define ECSP__DECL_OUT(name, ...) , ecsp_out name
#define ECSP__DECL_BARRIER(name) , ecsp_barrier name
#define ECSP__DECL_PARAM(name, type, ...) , ECSP__CTYPE_##type name
#define ECSP__DECL_STACK(bytes)
#define ECSP__DECL_FOREVER

#define ECSP__ARG_IN(...) ECSP__ARG_IN_AT
#define ECSP__ARG_OUT(...) ECSP__ARG_OUT_AT
#define ECSP__ARG_BARRIER(...) ECSP__ARG_BARRIER_AT
#define ECSP__ARG_PARAM(name, type, ...) ECSP__ARG_PARAM_##type
#define ECSP__ARG_STACK(...) ECSP__ARG_NONE_AT
#define ECSP__ARG_FOREVER ECSP__ARG_NONE_AT
#define ECSP__ARG_IN_AT(i) , ecsp__in_at(i)
#define ECSP__ARG_OUT_AT(i) , ecsp__out_at(i)
#define ECSP__ARG_BARRIER_AT(i) , ecsp__barrier_at(i)
#define ECSP__ARG_NONE_AT(i)
#define ECSP__ARG_PARAM_i32(i) , (int32_t)ecsp__param_int(i)
#define ECSP__ARG_PARAM_u32(i) , (uint32_t)ecsp__param_int(i)
#define ECSP__ARG_PARAM_i64(i) , (int64_t)ecsp__param_int(i)
#define ECSP__ARG_PARAM_u64(i) , (uint64_t)ecsp__param_int(i)
#define ECSP__ARG_PARAM_bool(i) , (ecsp__param_int(i) != 0)
/* After <stdbool.h>, `bool` reaches these macros as `_Bool`. */
#define ECSP__ARG_PARAM__Bool ECSP__ARG_PARAM_bool
#define ECSP__ARG_PARAM_f32(i) , ecsp__param_f32(i)
#define ECSP__ARG_PARAM_f64(i) , ecsp__param_f64(i)

#define ECSP__CTYPE_i32 int32_t
#define ECSP__CTYPE_u32 uint32_t
#define ECSP__CTYPE_i64 int64_t
#define ECSP__CTYPE_u64 uint64_t
#define ECSP__CTYPE_bool int
#define ECSP__CTYPE__Bool int
#define ECSP__CTYPE_f32 float
#define ECSP__CTYPE_f64 double

#define ECSP__DECL(i, item) ECSP__DECL_##item
#define ECSP__ARG(i, item) ECSP__APPLY(ECSP__ARG_##item, i)
#define ECSP__APPLY(m, i) m(i)
#define ECSP__CAT_(a, b) a##b
#define ECSP__CAT(a, b) ECSP__CAT_(a, b)
#define ECSP__FOR_EACH(m, ...) ECSP__CAT(ECSP__FE_, ECSP__NARGS(__VA_ARGS__))(m, __VA_ARGS__)

ecsp_in ecsp__in_at(int item);
ecsp_out ecsp__out_at(int item);
ecsp_barrier ecsp__barrier_at(int item);
int64_t ecsp__param_int(int item);
float ecsp__param_f32(int item);
double ecsp__param_f64(int item);

/* What a simulator's kernel object exports (it is built with hidden
 * visibility): the kernels' entry points and the runtime's. */
#define ECSP__EXPORT __attribute__((visibility("default")))

/* Declares kernel `name` and opens its body (see the top of this file).
 * The entry point ecsp_kernel_<name> is what ecsp's runtime starts. */
#define ECSP_KERNEL(name, summary, ...)                                                                               \
    static void ecsp__body_##name(int ecsp__unused ECSP__FOR_EACH(ECSP__DECL, __VA_ARGS__));                          \
    ECSP__EXPORT void ecsp_kernel_##name(void);                                                                       \
    ECSP__EXPORT void ecsp_kernel_##name(void) { ecsp__body_##name(0 ECSP__FOR_EACH(ECSP__ARG, __VA_ARGS__)); }                   \
    static void ecsp__body_##name(int ecsp__unused __attribute__((unused)) ECSP__FOR_EACH(ECSP__DECL, __VA_ARGS__))

#define ECSP__NARGS_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, _17, _18, _19, _20, _21, _22, _23, _24, _25, _26, _27, _28, _29, _30, _31, _32, n, ...) n
#define ECSP__NARGS(...) ECSP__NARGS_(__VA_ARGS__, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1)
#define ECSP__FE_1(m, a0) m(0, a0)
#define ECSP__FE_2(m, a0, a1) ECSP__FE_1(m, a0) m(1, a1)
#define ECSP__FE_3(m, a0, a1, a2) ECSP__FE_2(m, a0, a1) m(2, a2)
#define ECSP__FE_4(m, a0, a1, a2, a3) ECSP__FE_3(m, a0, a1, a2) m(3, a3)
#define ECSP__FE_5(m, a0, a1, a2, a3, a4) ECSP__FE_4(m, a0, a1, a2, a3) m(4, a4)
#define ECSP__FE_6(m, a0, a1, a2, a3, a4, a5) ECSP__FE_5(m, a0, a1, a2, a3, a4) m(5, a5)
#define ECSP__FE_7(m, a0, a1, a2, a3, a4, a5, a6) ECSP__FE_6(m, a0, a1, a2, a3, a4, a5) m(6, a6)
#define ECSP__FE_8(m, a0, a1, a2, a3, a4, a5, a6, a7) ECSP__FE_7(m, a0, a1, a2, a3, a4, a5, a6) m(7, a7)
#define ECSP__FE_9(m, a0, a1, a2, a3, a4, a5, a6, a7, a8) ECSP__FE_8(m, a0, a1, a2, a3, a4, a5, a6, a7) m(8, a8)
#define ECSP__FE_10(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9) ECSP__FE_9(m, a0, a1, a2, a3, a4, a5, a6, a7, a8) m(9, a9)
#define ECSP__FE_11(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10) ECSP__FE_10(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9) m(10, a10)
#define ECSP__FE_12(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11) ECSP__FE_11(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10) m(11, a11)
#define ECSP__FE_13(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12) ECSP__FE_12(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11) m(12, a12)
#define ECSP__FE_14(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13) ECSP__FE_13(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12) m(13, a13)
#define ECSP__FE_15(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14) ECSP__FE_14(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13) m(14, a14)
#define ECSP__FE_16(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15) ECSP__FE_15(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14) m(15, a15)
#define ECSP__FE_17(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16) ECSP__FE_16(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15) m(16, a16)
#define ECSP__FE_18(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17) ECSP__FE_17(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16) m(17, a17)
#define ECSP__FE_19(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18) ECSP__FE_18(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17) m(18, a18)
#define ECSP__FE_20(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19) ECSP__FE_19(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18) m(19, a19)
#define ECSP__FE_21(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20) ECSP__FE_20(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19) m(20, a20)
#define ECSP__FE_22(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20, a21) ECSP__FE_21(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20) m(21, a21)
#define ECSP__FE_23(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20, a21, a22) ECSP__FE_22(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20, a21) m(22, a22)
#define ECSP__FE_24(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20, a21, a22, a23) ECSP__FE_23(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20, a21, a22) m(23, a23)
#define ECSP__FE_25(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20, a21, a22, a23, a24) ECSP__FE_24(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20, a21, a22, a23) m(24, a24)
#define ECSP__FE_26(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20, a21, a22, a23, a24, a25) ECSP__FE_25(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20, a21, a22, a23, a24) m(25, a25)
#define ECSP__FE_27(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20, a21, a22, a23, a24, a25, a26) ECSP__FE_26(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20, a21, a22, a23, a24, a25) m(26, a26)
#define ECSP__FE_28(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20, a21, a22, a23, a24, a25, a26, a27) ECSP__FE_27(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20, a21, a22, a23, a24, a25, a26) m(27, a27)
#define ECSP__FE_29(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20, a21, a22, a23, a24, a25, a26, a27, a28) ECSP__FE_28(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20, a21, a22, a23, a24, a25, a26, a27) m(28, a28)
#define ECSP__FE_30(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20, a21, a22, a23, a24, a25, a26, a27, a28, a29) ECSP__FE_29(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20, a21, a22, a23, a24, a25, a26, a27, a28) m(29, a29)
#define ECSP__FE_31(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20, a21, a22, a23, a24, a25, a26, a27, a28, a29, a30) ECSP__FE_30(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20, a21, a22, a23, a24, a25, a26, a27, a28, a29) m(30, a30)
#define ECSP__FE_32(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20, a21, a22, a23, a24, a25, a26, a27, a28, a29, a30, a31) ECSP__FE_31(m, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20, a21, a22, a23, a24, a25, a26, a27, a28, a29, a30) m(31, a31)

#ifdef __cplusplus
}
#endif

#endif /* ECSP_KERNEL_H */
