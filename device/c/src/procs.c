/* The built-in processes of the C runtime, as stackless coroutines.
 *
 * Each behaves exactly as its Rust twin in device/src/process/builtin.rs
 * (same results in value/aux/ticks, same errors, same way of ending: an
 * input closed closes the outputs, poison anywhere poisons every end), so a
 * network gives the same answers whichever runtime runs which process.
 *
 * Protothread style: `line` in the state is where the step resumes; every
 * value that lives across a wait is in the state. PT_AWAIT runs one attempt
 * of a channel operation and, when it must wait, notes the end in the
 * TaskRecord's `waiting` (for the host's deadlock report) and returns
 * ECSP_BLOCKED; the executor steps the process again after a wake-up. */
#include "ecsp/runtime.h"

typedef union ecsp_value {
    uint64_t u64;
    int64_t i64;
    double f64;
    uint32_t u32;
    int32_t i32;
    float f32;
    uint8_t u8;
} ecsp_value;

/* The state of every C process: a header, then its ends, read ends first
 * (`inputs` of them) then write ends, as many as the kind takes at most
 * (ecsp_c_state_size). */
typedef struct ecsp_proc {
    uint32_t line;        /* resume point; 0 before the first step */
    uint32_t kind;        /* kind id, C flag masked off */
    uint32_t dtype;
    uint32_t msg_size;    /* bytes of one value of dtype */
    uint32_t record;      /* SRAM offset of the TaskRecord */
    uint32_t ends_offset; /* SRAM offset of the end table */
    uint32_t first_end;
    uint32_t inputs;
    uint32_t outputs;
    uint32_t i;           /* delta: the output being sent to; merge, alt_count: the input chosen */
    uint32_t last;        /* merge, alt_count: the input chosen last (fairness) */
    uint32_t open;        /* merge, mux, alt_count: bit i set while input i is open;
                             delta_par: bit k set while the send on output k is under way */
    int32_t failed;       /* delta_par: one of the sends failed */
    uint32_t room;        /* bytes the host planned for the state: scratch ends it */
    ecsp_value msg;       /* the value in hand */
    ecsp_value msg2;      /* plus: the first operand */
    uint64_t handled;     /* values handled, or sent, or timed */
    int64_t param[3];
    int64_t sum;          /* consume: wrapping sum; sieve: the prime */
    uint64_t aux;         /* sieve: multiples struck; consume, alt_count: start tick */
    uint64_t ends[];      /* ecsp_reader[inputs], then ecsp_writer[outputs] */
} ecsp_proc;

ECSP_STATIC_ASSERT(sizeof(ecsp_proc) % 8 == 0, "states stay 8-byte aligned");

/* Most ends of each kind (registry.rs `KINDS`). */
#define MAX_DELTA_OUTPUTS 4u
#define MAX_MERGE_INPUTS 8u
#define MAX_DEMUX_OUTPUTS 8u

/* alt_count keeps a count per input after the ends. */
#define ALT_COUNTS(p) ((uint64_t *)(void *)(IN(p, MAX_MERGE_INPUTS)))

static ecsp_reader *IN(ecsp_proc *p, uint32_t i) { return (ecsp_reader *)(void *)p->ends + i; }
static ecsp_writer *OUT(ecsp_proc *p, uint32_t k)
{
    return (ecsp_writer *)(void *)((ecsp_reader *)(void *)p->ends + p->inputs) + k;
}

static uint32_t size_for(uint32_t inputs, uint32_t outputs, uint32_t extra)
{
    return (uint32_t)sizeof(ecsp_proc) + inputs * (uint32_t)sizeof(ecsp_reader) +
           outputs * (uint32_t)sizeof(ecsp_writer) + extra;
}

uint32_t ecsp_c_state_size(uint32_t kind)
{
    kind &= ~ECSP_KIND_C_FLAG;
    if (!ECSP_IMAGE_HAS_KIND(kind))
        return 0;
    switch (kind) {
    case ECSP_KIND_ID:
    case ECSP_KIND_SUCC:
    case ECSP_KIND_PREFIX:
    case ECSP_KIND_SIEVE:
    case ECSP_KIND_TAIL:
        return size_for(1, 1, 0);
    case ECSP_KIND_CONSUME:
        return size_for(1, 0, 0);
    case ECSP_KIND_GENERATE:
        return size_for(0, 1, 0);
    case ECSP_KIND_DELTA:
        return size_for(1, MAX_DELTA_OUTPUTS, 0);
    case ECSP_KIND_MERGE:
        return size_for(MAX_MERGE_INPUTS, 1, 0);
    case ECSP_KIND_PLUS:
        return size_for(2, 1, 0);
    case ECSP_KIND_ALT_COUNT:
        return size_for(MAX_MERGE_INPUTS, 0, MAX_MERGE_INPUTS * (uint32_t)sizeof(uint64_t));
    case ECSP_KIND_DELTA_PAR:
        return size_for(1, MAX_DELTA_OUTPUTS, 0);
    case ECSP_KIND_MUX:
        return size_for(MAX_MERGE_INPUTS, 1, 0);
    case ECSP_KIND_DEMUX:
        return size_for(1, MAX_DEMUX_OUTPUTS, 0);
    case ECSP_KIND_WATCHDOG:
        return size_for(1, 1, 0);
    case ECSP_KIND_BARRIER_COUNT:
        return size_for(1, 1, (uint32_t)sizeof(ecsp_barrier_part));
    case ECSP_KIND_MAP:
    case ECSP_KIND_REDUCE:
        return size_for(1, 1, 0);
    case ECSP_KIND_ZIP:
        return size_for(2, 1, 0);
    case ECSP_KIND_RAMP:
        return size_for(0, 1, 0);
    case ECSP_KIND_MANDEL:
        return size_for(1, 1, 0);
    default:
        return 0;
    }
}

static uint32_t dtype_size(uint32_t dtype)
{
    if (!ECSP_IMAGE_HAS_DTYPE(dtype))
        return 0;
    switch (dtype) {
    case ECSP_DTYPE_I32:
    case ECSP_DTYPE_U32:
    case ECSP_DTYPE_F32:
        return 4;
    case ECSP_DTYPE_I64:
    case ECSP_DTYPE_F64:
        return 8;
    case ECSP_DTYPE_U8:
        return 1;
    default:
        return 0;
    }
}

/* Bytes of `k` elements of `esize` bytes, and elements in `bytes`: a
 * dtype's size is 1, 4 or 8, so shifts do, where `*` and `/` would cost a
 * multiply in the FPU (and GCC's mode switches around it) or a call to
 * libgcc's division. */
static uint32_t elems_bytes(uint32_t k, uint32_t esize) { return esize == 8 ? k << 3 : esize == 4 ? k << 2 : k; }
static uint32_t bytes_elems(uint32_t bytes, uint32_t esize)
{
    return esize == 8 ? bytes >> 3 : esize == 4 ? bytes >> 2 : bytes;
}

/* ---- values: Rust's `as` conversions, wrapping integer arithmetic ---- */

/* Whether this image computes with f64 (software floating point), and
 * with integers. */
#define WITH_F64 ECSP_IMAGE_HAS_DTYPE(ECSP_DTYPE_F64)
#define WITH_INTEGERS                                                                                                  \
    (ECSP_IMAGE_HAS_DTYPE(ECSP_DTYPE_I32) || ECSP_IMAGE_HAS_DTYPE(ECSP_DTYPE_U32) ||                                  \
     ECSP_IMAGE_HAS_DTYPE(ECSP_DTYPE_I64) || ECSP_IMAGE_HAS_DTYPE(ECSP_DTYPE_U8))

/* The case label of dtype `d` in a switch over a process's dtype: `d` when
 * the image carries it, else a value above 7, which DTYPE_SWITCH's operand
 * (dtypes are 1 to 6) never is, so that the compiler drops the code for a
 * dtype the image leaves out (an f32-only image needs no integer
 * arithmetic). Such a dtype never reaches a step: ecsp_c_init refuses it. */
#define DTYPE_CASE(d) case (ECSP_IMAGE_HAS_DTYPE(d) ? (d) : 0x100u + (d))
#define DTYPE_SWITCH(dtype) ((dtype) & 7u)

static int64_t float_to_i64(double f)
{
    if (f != f)
        return 0; /* NaN */
    if (f >= 9223372036854775808.0)
        return INT64_MAX;
    if (f < -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)f;
}

/* f32 -> i64 as Rust's `as` (truncating, saturating, NaN to 0), in integer
 * arithmetic: the compiler's own conversion goes through software double
 * precision on the Epiphany, 3 KiB of code an image without f64 need not
 * carry. */
static int64_t f32_to_i64(float f)
{
    union {
        float f;
        uint32_t u;
    } bits;
    bits.f = f;
    uint32_t exponent = (bits.u >> 23) & 0xFFu;
    int negative = (bits.u >> 31) != 0;
    if (exponent == 0xFFu && (bits.u & 0x7FFFFFu) != 0)
        return 0; /* NaN */
    if (exponent < 127u)
        return 0; /* |f| < 1 */
    if (exponent >= 127u + 63u)
        return negative ? INT64_MIN : INT64_MAX; /* |f| >= 2^63, or infinite */
    uint64_t mantissa = (bits.u & 0x7FFFFFu) | 0x800000u;
    int shift = (int)exponent - 127 - 23;
    uint64_t magnitude = shift >= 0 ? mantissa << shift : mantissa >> -shift;
    return negative ? (int64_t)(0u - magnitude) : (int64_t)magnitude;
}

/* i64 -> f32 as Rust's `as` (round to nearest, ties to even), without
 * software double precision (see f32_to_i64). */
static float i64_to_f32(int64_t x)
{
    if (x >= INT32_MIN && x <= INT32_MAX)
        return (float)(int32_t)x; /* the FPU's own conversion */
    uint64_t magnitude = x < 0 ? 0u - (uint64_t)x : (uint64_t)x;
    int top = 63;
    while ((magnitude >> top) == 0)
        top--;
    int drop = top - 23; /* >= 8: |x| >= 2^31 */
    uint64_t kept = magnitude >> drop, rest = magnitude & ((1ull << drop) - 1u), half = 1ull << (drop - 1);
    if (rest > half || (rest == half && (kept & 1u) != 0))
        kept++; /* may carry to 2^24: still exact below */
    union {
        float f;
        uint32_t u;
    } scale;
    scale.u = (uint32_t)(127 + drop) << 23; /* 2^drop */
    float f = (float)(int32_t)kept * scale.f;
    return x < 0 ? -f : f;
}

static int64_t to_i64(uint32_t dtype, ecsp_value v)
{
    switch (DTYPE_SWITCH(dtype)) {
    DTYPE_CASE(ECSP_DTYPE_I32):
        return v.i32;
    DTYPE_CASE(ECSP_DTYPE_U32):
        return v.u32;
    DTYPE_CASE(ECSP_DTYPE_U8):
        return v.u8;
    DTYPE_CASE(ECSP_DTYPE_F32):
        return f32_to_i64(v.f32);
    case ECSP_DTYPE_F64:
        if (WITH_F64)
            return float_to_i64(v.f64);
        /* fall through: not carried, refused at boot */
    default:
        return v.i64;
    }
}

static ecsp_value from_i64(uint32_t dtype, int64_t x)
{
    ecsp_value v;
    v.u64 = 0;
    switch (DTYPE_SWITCH(dtype)) {
    DTYPE_CASE(ECSP_DTYPE_I32):
    DTYPE_CASE(ECSP_DTYPE_U32):
        v.u32 = (uint32_t)(uint64_t)x;
        break;
    DTYPE_CASE(ECSP_DTYPE_U8):
        v.u8 = (uint8_t)(uint64_t)x;
        break;
    DTYPE_CASE(ECSP_DTYPE_F32):
        v.f32 = i64_to_f32(x);
        break;
    case ECSP_DTYPE_F64:
        if (WITH_F64) {
            v.f64 = (double)x;
            break;
        }
        /* fall through: not carried, refused at boot */
    default:
        v.i64 = x;
        break;
    }
    return v;
}

static ecsp_value succ(uint32_t dtype, ecsp_value v)
{
    switch (DTYPE_SWITCH(dtype)) {
    DTYPE_CASE(ECSP_DTYPE_U8):
        v.u8 = (uint8_t)(v.u8 + 1u);
        break;
    DTYPE_CASE(ECSP_DTYPE_I32):
    DTYPE_CASE(ECSP_DTYPE_U32):
        v.u32 += 1u;
        break;
    DTYPE_CASE(ECSP_DTYPE_F32):
        v.f32 += 1.0f;
        break;
    case ECSP_DTYPE_F64:
        if (WITH_F64) {
            v.f64 += 1.0;
            break;
        }
        /* fall through: not carried, refused at boot */
    default:
        v.u64 += 1u;
        break;
    }
    return v;
}

/* ---- the coroutine machinery ---- */

#define PT_BEGIN(p) switch ((p)->line) { case 0:
#define PT_END(p) default: break; }
/* One attempt of `op` per step until it stops reporting ECSP_BLOCKED; its
 * result is then in `r`. `waiting` is what the process waits on, as
 * TaskRecord.waiting says it: WAIT_END(end index), or ECSP_WAIT_OTHER. */
#define WAIT_END(end) ((end) + 1u)
#define PT_AWAIT(p, r, waiting, op)                                                                                      \
    do {                                                                                                             \
        (p)->line = __LINE__;                                                                                        \
    case __LINE__:                                                                                                   \
        (r) = (op);                                                                                                  \
        if ((r) == ECSP_BLOCKED) {                                                                                   \
            ecsp_store_word(h, (p)->record + ECSP_TASK_WAITING_OFFSET, (waiting));                                   \
            return ECSP_BLOCKED;                                                                                     \
        }                                                                                                            \
    } while (0)

/* Ends the process with `value`, `aux` and no error. */
static int finish(ecsp_proc *p, ecsp_outcome *out, uint64_t value, uint64_t aux, uint64_t ticks)
{
    out->value = value;
    out->aux = aux;
    out->ticks = ticks;
    out->error = 0;
    out->detail = 0;
    p->line = 0xFFFFFFFFu;
    return ECSP_DONE;
}

static int fail(ecsp_proc *p, ecsp_outcome *out, uint32_t error, uint32_t detail)
{
    finish(p, out, 0, 0, 0);
    out->error = error;
    out->detail = detail;
    return ECSP_DONE;
}

/* `aux` of a process whose input ended: 0 closed, 1 poisoned (builtin.rs). */
static uint64_t ended_by(int why) { return why == ECSP_SHUT_POISONED ? 1u : 0u; }

static uint32_t open_input(const ecsp_hal *h, ecsp_proc *p)
{
    if (p->inputs < 1)
        return ECSP_ERR_MISSING_END;
    return ecsp_open_reader(h, IN(p, 0), p->ends_offset, p->first_end, p->msg_size);
}

static uint32_t open_output(const ecsp_hal *h, ecsp_proc *p, uint32_t index)
{
    if (index >= p->outputs)
        return ECSP_ERR_MISSING_END;
    return ecsp_open_writer(h, OUT(p, index), p->ends_offset, p->first_end + p->inputs + index, p->msg_size);
}

/* The message size of end `end` for a kind that takes vectors of its
 * dtype (channel/mod.rs `Shape::MultipleOf`): a positive multiple of the
 * element size up to the largest message; 0 when it is not one. */
static uint32_t vec_size(const ecsp_hal *h, const ecsp_proc *p, uint32_t end)
{
    uint32_t size = ecsp_load_word(h, p->ends_offset + end * (uint32_t)sizeof(ecsp_end_record) + 16u);
    uint32_t elem = dtype_size(p->dtype);
    /* elem is 1, 4 or 8: a mask is the remainder */
    return size == 0 || (size & (elem - 1u)) != 0 || size > ECSP_MAX_MESSAGE_SIZE ? 0 : size;
}

/* The scratch message at the end of the state room (the host plans it
 * there, past the state: mod.rs `Proc::scratch`): NULL when the room is too
 * small for the state and `bytes` more. */
static uint8_t *scratch(ecsp_proc *p, uint32_t bytes)
{
    uint32_t need = (bytes + 7u) & ~7u;
    if ((uint64_t)ecsp_c_state_size(p->kind) + need > p->room)
        return 0;
    return (uint8_t *)p + p->room - need;
}

/* Opens read end 0 and, with `with_output`, write end 0 of a kind that
 * takes vectors (kernels.rs): their message size goes into msg_size. */
static uint32_t open_vectors(const ecsp_hal *h, ecsp_proc *p, int with_output)
{
    if (p->inputs < 1)
        return ECSP_ERR_MISSING_END;
    uint32_t in = vec_size(h, p, p->first_end);
    if (in == 0)
        return ECSP_ERR_SIZE_MISMATCH;
    uint32_t err = ecsp_open_reader(h, IN(p, 0), p->ends_offset, p->first_end, in);
    if (err)
        return err;
    if (with_output) {
        if (p->outputs < 1)
            return ECSP_ERR_MISSING_END;
        uint32_t out = vec_size(h, p, p->first_end + p->inputs);
        if (out == 0)
            return ECSP_ERR_SIZE_MISMATCH;
        if ((err = ecsp_open_writer(h, OUT(p, 0), p->ends_offset, p->first_end + p->inputs, out)) != 0)
            return err;
        if (out != in)
            return ECSP_ERR_LENGTH_MISMATCH;
    }
    p->msg_size = in;
    return scratch(p, in) ? 0 : ECSP_ERR_NO_SCRATCH;
}

/* Opens read ends 0..inputs, at most `max` (registry.rs's arity). */
static uint32_t open_inputs(const ecsp_hal *h, ecsp_proc *p, uint32_t max, uint32_t *which)
{
    for (*which = 0; *which < p->inputs; (*which)++) {
        if (*which >= max)
            return ECSP_ERR_MISSING_END;
        uint32_t err = ecsp_open_reader(h, IN(p, *which), p->ends_offset, p->first_end + *which, p->msg_size);
        if (err)
            return err;
    }
    return 0;
}

static void poison_inputs(const ecsp_hal *h, ecsp_proc *p)
{
    for (uint32_t k = 0; k < p->inputs; k++)
        ecsp_poison_reader(h, IN(p, k));
}

/* One look at the open inputs for a fair alternation (alt.rs
 * `fair_select`): from the input after the one chosen last, the first that
 * completes a receive at once (a message, or its end) is chosen; its result
 * is returned and its index left in `i`. ECSP_BLOCKED when none does. A
 * receive attempt on an input that is not ready changes nothing, so trying
 * them in turn is the select and the receive in one. */
static int alt_recv(const ecsp_hal *h, ecsp_proc *p)
{
    /* (last + 1) % n and (start + k) % n without a division: last is
     * ECSP_NO_TASK (+1 wraps to 0) or below n, and start and k are below n */
    uint32_t n = p->inputs;
    uint32_t start = p->last + 1 >= n ? 0 : p->last + 1;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t i = start + k >= n ? start + k - n : start + k;
        if (!(p->open & (1u << i)))
            continue;
        int r = ecsp_recv(h, IN(p, i), &p->msg);
        if (r != ECSP_BLOCKED) {
            p->i = i;
            p->last = i;
            return r;
        }
    }
    return ECSP_BLOCKED;
}

/* Closes (the input was closed) or poisons every output. */
static void pass_on(const ecsp_hal *h, ecsp_proc *p, int why, uint32_t outputs)
{
    for (uint32_t k = 0; k < outputs; k++) {
        if (why == ECSP_SHUT_POISONED)
            ecsp_poison_writer(h, OUT(p, k));
        else
            ecsp_close_writer(h, OUT(p, k));
    }
}

/* Whether `p` is of kind `k`: false at compile time for a kind the image
 * leaves out, so its code goes too. */
#define IS_KIND(p, k) (ECSP_IMAGE_HAS_KIND(k) && (p)->kind == (k))

/* id, succ, prefix: one value in, one (transformed) value out; prefix sends
 * its parameter first. builtin.rs `map`. */
static int step_map(const ecsp_hal *h, ecsp_proc *p, ecsp_outcome *out)
{
    int r;
    uint32_t err;
    /* id takes vectors, into its scratch message; succ and prefix scalars */
    void *msg = IS_KIND(p, ECSP_KIND_ID) ? (void *)scratch(p, p->msg_size) : (void *)&p->msg;
    PT_BEGIN(p);
    if (IS_KIND(p, ECSP_KIND_ID)) {
        if ((err = open_vectors(h, p, 1)) != 0)
            return fail(p, out, err, 0);
        msg = scratch(p, p->msg_size);
    } else {
        if ((err = open_input(h, p)) != 0)
            return fail(p, out, err, 0);
        if ((err = open_output(h, p, 0)) != 0)
            return fail(p, out, err, 0);
    }
    if (IS_KIND(p, ECSP_KIND_PREFIX)) {
        p->msg = from_i64(p->dtype, p->param[0]);
        PT_AWAIT(p, r, WAIT_END(OUT(p, 0)->end), ecsp_send(h, OUT(p, 0), &p->msg));
        if (r != ECSP_DONE) {
            ecsp_poison_reader(h, IN(p, 0));
            return finish(p, out, 0, 1, 0);
        }
    }
    for (;;) {
        PT_AWAIT(p, r, WAIT_END(IN(p, 0)->end), ecsp_recv(h, IN(p, 0), msg));
        if (r != ECSP_DONE) {
            pass_on(h, p, r, 1);
            return finish(p, out, p->handled, ended_by(r), 0);
        }
        if (IS_KIND(p, ECSP_KIND_SUCC))
            p->msg = succ(p->dtype, p->msg);
        PT_AWAIT(p, r, WAIT_END(OUT(p, 0)->end), ecsp_send(h, OUT(p, 0), msg));
        if (r != ECSP_DONE) {
            ecsp_poison_reader(h, IN(p, 0));
            return finish(p, out, p->handled, 1, 0);
        }
        p->handled++;
    }
    PT_END(p);
    return ECSP_BLOCKED;
}

/* delta: each input on every output in turn. */
static int step_delta(const ecsp_hal *h, ecsp_proc *p, ecsp_outcome *out)
{
    int r;
    uint32_t err;
    PT_BEGIN(p);
    if ((err = open_input(h, p)) != 0)
        return fail(p, out, err, 0);
    if (p->outputs > MAX_DELTA_OUTPUTS)
        return fail(p, out, ECSP_ERR_MISSING_END, MAX_DELTA_OUTPUTS);
    for (p->i = 0; p->i < p->outputs; p->i++)
        if ((err = open_output(h, p, p->i)) != 0)
            return fail(p, out, err, p->i);
    for (;;) {
        PT_AWAIT(p, r, WAIT_END(IN(p, 0)->end), ecsp_recv(h, IN(p, 0), &p->msg));
        if (r != ECSP_DONE) {
            pass_on(h, p, r, p->outputs);
            return finish(p, out, p->handled, ended_by(r), 0);
        }
        for (p->i = 0; p->i < p->outputs; p->i++) {
            PT_AWAIT(p, r, WAIT_END(OUT(p, p->i)->end), ecsp_send(h, OUT(p, p->i), &p->msg));
            if (r != ECSP_DONE) {
                ecsp_poison_reader(h, IN(p, 0));
                pass_on(h, p, ECSP_SHUT_POISONED, p->outputs);
                return finish(p, out, p->handled, 1, 0);
            }
        }
        p->handled++;
    }
    PT_END(p);
    return ECSP_BLOCKED;
}

/* consume: `warmup` reads, then `count` timed reads (negative: until the
 * input ends), then poison the input if `poison`. value = values timed,
 * aux = their wrapping sum, ticks = time taken. */
static int step_consume(const ecsp_hal *h, ecsp_proc *p, ecsp_outcome *out)
{
    int r;
    uint32_t err;
    /* consume takes vectors, into its scratch message, and sums every element */
    uint8_t *msg = scratch(p, p->msg_size);
    PT_BEGIN(p);
    if ((err = open_vectors(h, p, 0)) != 0)
        return fail(p, out, err, 0);
    msg = scratch(p, p->msg_size);
    if (p->param[1] < 0)
        return fail(p, out, ECSP_ERR_BAD_PARAM, 1);
    p->aux = ecsp_now_ticks(h);
    for (p->handled = 0; p->handled < (uint64_t)p->param[1]; p->handled++) {
        PT_AWAIT(p, r, WAIT_END(IN(p, 0)->end), ecsp_recv(h, IN(p, 0), msg));
        if (r != ECSP_DONE)
            break;
        p->aux = ecsp_now_ticks(h);
    }
    p->handled = 0;
    p->sum = 0;
    while (p->param[0] < 0 || p->handled < (uint64_t)p->param[0]) {
        PT_AWAIT(p, r, WAIT_END(IN(p, 0)->end), ecsp_recv(h, IN(p, 0), msg));
        if (r != ECSP_DONE)
            break;
        {
            uint32_t elem = dtype_size(p->dtype);
            for (uint32_t k = 0; k < p->msg_size; k += elem) {
                ecsp_value v;
                v.u64 = 0;
                for (uint32_t b = 0; b < elem; b++)
                    ((uint8_t *)&v)[b] = msg[k + b];
                p->sum = (int64_t)((uint64_t)p->sum + (uint64_t)to_i64(p->dtype, v));
            }
        }
        p->handled++;
    }
    {
        uint64_t ticks = ecsp_now_ticks(h) - p->aux;
        if (p->param[2] != 0)
            ecsp_poison_reader(h, IN(p, 0));
        return finish(p, out, p->handled, (uint64_t)p->sum, ticks);
    }
    PT_END(p);
    return ECSP_BLOCKED;
}

/* generate: `count` values from `start` up (negative: until poisoned),
 * then close. value = values sent. */
static int step_generate(const ecsp_hal *h, ecsp_proc *p, ecsp_outcome *out)
{
    int r;
    uint32_t err;
    PT_BEGIN(p);
    if ((err = open_output(h, p, 0)) != 0)
        return fail(p, out, err, 0);
    p->msg = from_i64(p->dtype, p->param[0]);
    while (p->param[1] < 0 || p->handled < (uint64_t)p->param[1]) {
        PT_AWAIT(p, r, WAIT_END(OUT(p, 0)->end), ecsp_send(h, OUT(p, 0), &p->msg));
        if (r != ECSP_DONE)
            return finish(p, out, p->handled, 1, 0);
        p->msg = succ(p->dtype, p->msg);
        p->handled++;
    }
    ecsp_close_writer(h, OUT(p, 0));
    return finish(p, out, p->handled, 0, 0);
    PT_END(p);
    return ECSP_BLOCKED;
}

/* sieve: the first value is the prime; forward the values it does not
 * divide. value = the prime (0 for an empty stream), aux = multiples struck. */
static int step_sieve(const ecsp_hal *h, ecsp_proc *p, ecsp_outcome *out)
{
    int r;
    uint32_t err;
    PT_BEGIN(p);
    if ((err = open_input(h, p)) != 0)
        return fail(p, out, err, 0);
    if ((err = open_output(h, p, 0)) != 0)
        return fail(p, out, err, 0);
    PT_AWAIT(p, r, WAIT_END(IN(p, 0)->end), ecsp_recv(h, IN(p, 0), &p->msg));
    if (r != ECSP_DONE) {
        pass_on(h, p, r, 1);
        return finish(p, out, 0, 0, 0);
    }
    p->sum = to_i64(p->dtype, p->msg);
    if (p->sum <= 0) {
        ecsp_poison_reader(h, IN(p, 0));
        pass_on(h, p, ECSP_SHUT_POISONED, 1);
        return fail(p, out, ECSP_ERR_BAD_PARAM, 0);
    }
    for (;;) {
        PT_AWAIT(p, r, WAIT_END(IN(p, 0)->end), ecsp_recv(h, IN(p, 0), &p->msg));
        if (r != ECSP_DONE) {
            pass_on(h, p, r, 1);
            break;
        }
        if (to_i64(p->dtype, p->msg) % p->sum == 0) {
            p->aux++;
        } else {
            PT_AWAIT(p, r, WAIT_END(OUT(p, 0)->end), ecsp_send(h, OUT(p, 0), &p->msg));
            if (r != ECSP_DONE) {
                ecsp_poison_reader(h, IN(p, 0));
                break;
            }
        }
    }
    return finish(p, out, (uint64_t)p->sum, p->aux, 0);
    PT_END(p);
    return ECSP_BLOCKED;
}

/* tail: drops the first value, then copies. */
static int step_tail(const ecsp_hal *h, ecsp_proc *p, ecsp_outcome *out)
{
    int r;
    uint32_t err;
    PT_BEGIN(p);
    if ((err = open_input(h, p)) != 0)
        return fail(p, out, err, 0);
    if ((err = open_output(h, p, 0)) != 0)
        return fail(p, out, err, 0);
    PT_AWAIT(p, r, WAIT_END(IN(p, 0)->end), ecsp_recv(h, IN(p, 0), &p->msg));
    if (r != ECSP_DONE) {
        pass_on(h, p, r, 1);
        return finish(p, out, 0, ended_by(r), 0);
    }
    for (;;) {
        PT_AWAIT(p, r, WAIT_END(IN(p, 0)->end), ecsp_recv(h, IN(p, 0), &p->msg));
        if (r != ECSP_DONE) {
            pass_on(h, p, r, 1);
            return finish(p, out, p->handled, ended_by(r), 0);
        }
        PT_AWAIT(p, r, WAIT_END(OUT(p, 0)->end), ecsp_send(h, OUT(p, 0), &p->msg));
        if (r != ECSP_DONE) {
            ecsp_poison_reader(h, IN(p, 0));
            return finish(p, out, p->handled, 1, 0);
        }
        p->handled++;
    }
    PT_END(p);
    return ECSP_BLOCKED;
}

static ecsp_value plus(uint32_t dtype, ecsp_value a, ecsp_value b)
{
    switch (DTYPE_SWITCH(dtype)) {
    DTYPE_CASE(ECSP_DTYPE_U8):
        a.u8 = (uint8_t)(a.u8 + b.u8);
        break;
    DTYPE_CASE(ECSP_DTYPE_I32):
    DTYPE_CASE(ECSP_DTYPE_U32):
        a.u32 += b.u32;
        break;
    DTYPE_CASE(ECSP_DTYPE_F32):
        a.f32 += b.f32;
        break;
    case ECSP_DTYPE_F64:
        if (WITH_F64) {
            a.f64 += b.f64;
            break;
        }
        /* fall through: not carried, refused at boot */
    default:
        a.u64 += b.u64;
        break;
    }
    return a;
}

/* plus: one value from each input, their sum out, until either ends. */
static int step_plus(const ecsp_hal *h, ecsp_proc *p, ecsp_outcome *out)
{
    int r;
    uint32_t err;
    PT_BEGIN(p);
    if (p->inputs < 2)
        return fail(p, out, ECSP_ERR_MISSING_END, p->inputs);
    if ((err = open_inputs(h, p, 2, &p->i)) != 0)
        return fail(p, out, err, p->i);
    if ((err = open_output(h, p, 0)) != 0)
        return fail(p, out, err, 0);
    for (;;) {
        PT_AWAIT(p, r, WAIT_END(IN(p, 0)->end), ecsp_recv(h, IN(p, 0), &p->msg2));
        if (r != ECSP_DONE) {
            if (r == ECSP_SHUT_POISONED)
                ecsp_poison_reader(h, IN(p, 1));
            pass_on(h, p, r, 1);
            return finish(p, out, p->handled, ended_by(r), 0);
        }
        PT_AWAIT(p, r, WAIT_END(IN(p, 1)->end), ecsp_recv(h, IN(p, 1), &p->msg));
        if (r != ECSP_DONE) {
            if (r == ECSP_SHUT_POISONED)
                ecsp_poison_reader(h, IN(p, 0));
            pass_on(h, p, r, 1);
            return finish(p, out, p->handled, ended_by(r), 0);
        }
        p->msg = plus(p->dtype, p->msg2, p->msg);
        PT_AWAIT(p, r, WAIT_END(OUT(p, 0)->end), ecsp_send(h, OUT(p, 0), &p->msg));
        if (r != ECSP_DONE) {
            poison_inputs(h, p);
            return finish(p, out, p->handled, 1, 0);
        }
        p->handled++;
    }
    PT_END(p);
    return ECSP_BLOCKED;
}

/* merge: its inputs fairly onto its output until every input is closed;
 * poison anywhere poisons every end. */
static int step_merge(const ecsp_hal *h, ecsp_proc *p, ecsp_outcome *out)
{
    int r;
    uint32_t err;
    PT_BEGIN(p);
    if ((err = open_inputs(h, p, MAX_MERGE_INPUTS, &p->i)) != 0)
        return fail(p, out, err, p->i);
    if ((err = open_output(h, p, 0)) != 0)
        return fail(p, out, err, 0);
    p->open = (1u << p->inputs) - 1u;
    p->last = ECSP_NO_TASK;
    while (p->open) {
        PT_AWAIT(p, r, ECSP_WAIT_OTHER, alt_recv(h, p));
        if (r == ECSP_SHUT_CLOSED) {
            p->open &= ~(1u << p->i);
        } else if (r == ECSP_SHUT_POISONED) {
            poison_inputs(h, p);
            pass_on(h, p, ECSP_SHUT_POISONED, 1);
            return finish(p, out, p->handled, 1, 0);
        } else {
            PT_AWAIT(p, r, WAIT_END(OUT(p, 0)->end), ecsp_send(h, OUT(p, 0), &p->msg));
            if (r != ECSP_DONE) {
                poison_inputs(h, p);
                pass_on(h, p, ECSP_SHUT_POISONED, 1);
                return finish(p, out, p->handled, 1, 0);
            }
            p->handled++;
        }
    }
    pass_on(h, p, ECSP_SHUT_CLOSED, 1);
    return finish(p, out, p->handled, 0, 0);
    PT_END(p);
    return ECSP_BLOCKED;
}

/* alt_count: Stressed Alt's reader. `selects` fair selects over the inputs,
 * counting what each delivers, then poison them all if `poison`. value =
 * messages, aux = the largest deviation of one input's count from the mean
 * in ppm of the mean, ticks = time the selects took. */
static int step_alt_count(const ecsp_hal *h, ecsp_proc *p, ecsp_outcome *out)
{
    int r;
    uint32_t err;
    PT_BEGIN(p);
    if ((err = open_inputs(h, p, MAX_MERGE_INPUTS, &p->i)) != 0)
        return fail(p, out, err, p->i);
    if (p->param[0] < 0)
        return fail(p, out, ECSP_ERR_BAD_PARAM, 0);
    p->open = (1u << p->inputs) - 1u;
    p->last = ECSP_NO_TASK;
    p->aux = ecsp_now_ticks(h);
    while (p->handled < (uint64_t)p->param[0] && p->open) {
        PT_AWAIT(p, r, ECSP_WAIT_OTHER, alt_recv(h, p));
        if (r == ECSP_DONE) {
            ALT_COUNTS(p)[p->i]++;
            p->handled++;
        } else {
            p->open &= ~(1u << p->i);
        }
    }
    {
        uint64_t ticks = ecsp_now_ticks(h) - p->aux;
        if (p->param[1] != 0)
            poison_inputs(h, p);
        uint64_t n = p->inputs ? p->inputs : 1;
        uint64_t mean = p->handled / n, worst = 0;
        for (uint32_t k = 0; mean != 0 && k < p->inputs; k++) {
            uint64_t c = ALT_COUNTS(p)[k];
            uint64_t d = (c > mean ? c - mean : mean - c) * 1000000u / mean;
            if (d > worst)
                worst = d;
        }
        return finish(p, out, p->handled, worst, ticks);
    }
    PT_END(p);
    return ECSP_BLOCKED;
}

/* One attempt at every send still under way of delta_par (bit k of
 * `open`: output k has not completed): ECSP_BLOCKED while any has not,
 * then ECSP_DONE, or ECSP_SHUT_POISONED when any of them failed. */
static int send_all(const ecsp_hal *h, ecsp_proc *p)
{
    for (uint32_t k = 0; k < p->outputs; k++) {
        if (!(p->open & (1u << k)))
            continue;
        int r = ecsp_send(h, OUT(p, k), &p->msg);
        if (r != ECSP_BLOCKED) {
            p->open &= ~(1u << k);
            if (r != ECSP_DONE)
                p->failed = 1;
        }
    }
    if (p->open)
        return ECSP_BLOCKED;
    return p->failed ? ECSP_SHUT_POISONED : ECSP_DONE;
}

/* delta_par: each input on every output at once; the sends complete in any
 * order, so one slow reader does not hold up the others. */
static int step_delta_par(const ecsp_hal *h, ecsp_proc *p, ecsp_outcome *out)
{
    int r;
    uint32_t err;
    PT_BEGIN(p);
    if ((err = open_input(h, p)) != 0)
        return fail(p, out, err, 0);
    if (p->outputs > MAX_DELTA_OUTPUTS)
        return fail(p, out, ECSP_ERR_MISSING_END, MAX_DELTA_OUTPUTS);
    for (p->i = 0; p->i < p->outputs; p->i++)
        if ((err = open_output(h, p, p->i)) != 0)
            return fail(p, out, err, p->i);
    for (;;) {
        PT_AWAIT(p, r, WAIT_END(IN(p, 0)->end), ecsp_recv(h, IN(p, 0), &p->msg));
        if (r != ECSP_DONE) {
            pass_on(h, p, r, p->outputs);
            return finish(p, out, p->handled, ended_by(r), 0);
        }
        p->open = (1u << p->outputs) - 1u;
        p->failed = 0;
        PT_AWAIT(p, r, ECSP_WAIT_OTHER, send_all(h, p));
        if (r != ECSP_DONE) {
            ecsp_poison_reader(h, IN(p, 0));
            pass_on(h, p, ECSP_SHUT_POISONED, p->outputs);
            return finish(p, out, p->handled, 1, 0);
        }
        p->handled++;
    }
    PT_END(p);
    return ECSP_BLOCKED;
}

/* mux: fair-selects an input, outputs its index, then the value; closes its
 * output once every input is closed. */
static int step_mux(const ecsp_hal *h, ecsp_proc *p, ecsp_outcome *out)
{
    int r;
    uint32_t err;
    PT_BEGIN(p);
    if ((err = open_inputs(h, p, MAX_MERGE_INPUTS, &p->i)) != 0)
        return fail(p, out, err, p->i);
    if ((err = open_output(h, p, 0)) != 0)
        return fail(p, out, err, 0);
    p->open = (1u << p->inputs) - 1u;
    p->last = ECSP_NO_TASK;
    while (p->open) {
        PT_AWAIT(p, r, ECSP_WAIT_OTHER, alt_recv(h, p));
        if (r == ECSP_SHUT_CLOSED) {
            p->open &= ~(1u << p->i);
        } else if (r == ECSP_SHUT_POISONED) {
            poison_inputs(h, p);
            pass_on(h, p, ECSP_SHUT_POISONED, 1);
            return finish(p, out, p->handled, 1, 0);
        } else {
            p->msg2 = from_i64(p->dtype, (int64_t)p->i);
            PT_AWAIT(p, r, WAIT_END(OUT(p, 0)->end), ecsp_send(h, OUT(p, 0), &p->msg2));
            if (r == ECSP_DONE)
                PT_AWAIT(p, r, WAIT_END(OUT(p, 0)->end), ecsp_send(h, OUT(p, 0), &p->msg));
            if (r != ECSP_DONE) {
                poison_inputs(h, p);
                return finish(p, out, p->handled, 1, 0);
            }
            p->handled++;
        }
    }
    pass_on(h, p, ECSP_SHUT_CLOSED, 1);
    return finish(p, out, p->handled, 0, 0);
    PT_END(p);
    return ECSP_BLOCKED;
}

/* demux: reads an index, then a value, and sends the value on that output;
 * an index out of range fails with BadParam. */
static int step_demux(const ecsp_hal *h, ecsp_proc *p, ecsp_outcome *out)
{
    int r;
    uint32_t err;
    PT_BEGIN(p);
    if ((err = open_input(h, p)) != 0)
        return fail(p, out, err, 0);
    if (p->outputs > MAX_DEMUX_OUTPUTS)
        return fail(p, out, ECSP_ERR_MISSING_END, MAX_DEMUX_OUTPUTS);
    for (p->i = 0; p->i < p->outputs; p->i++)
        if ((err = open_output(h, p, p->i)) != 0)
            return fail(p, out, err, p->i);
    for (;;) {
        PT_AWAIT(p, r, WAIT_END(IN(p, 0)->end), ecsp_recv(h, IN(p, 0), &p->msg2));
        if (r == ECSP_DONE)
            PT_AWAIT(p, r, WAIT_END(IN(p, 0)->end), ecsp_recv(h, IN(p, 0), &p->msg));
        if (r != ECSP_DONE) {
            pass_on(h, p, r, p->outputs);
            return finish(p, out, p->handled, ended_by(r), 0);
        }
        {
            int64_t index = to_i64(p->dtype, p->msg2);
            if (index < 0 || index >= (int64_t)p->outputs) {
                ecsp_poison_reader(h, IN(p, 0));
                pass_on(h, p, ECSP_SHUT_POISONED, p->outputs);
                return fail(p, out, ECSP_ERR_BAD_PARAM, 0);
            }
            p->i = (uint32_t)index;
        }
        PT_AWAIT(p, r, WAIT_END(OUT(p, p->i)->end), ecsp_send(h, OUT(p, p->i), &p->msg));
        if (r != ECSP_DONE) {
            ecsp_poison_reader(h, IN(p, 0));
            pass_on(h, p, ECSP_SHUT_POISONED, p->outputs);
            return finish(p, out, p->handled, 1, 0);
        }
        p->handled++;
    }
    PT_END(p);
    return ECSP_BLOCKED;
}

/* What watch() reports when the deadline passed with nothing received. */
#define WATCH_TIMEOUT 2

/* The watchdog's priority select over [its input, a timeout at `aux`]: a
 * receive attempt first; then the clock; with neither, the timer is armed
 * (the timeout guard's before_sleep) and the process waits. */
static int watch(const ecsp_hal *h, ecsp_proc *p)
{
    int r = ecsp_recv(h, IN(p, 0), &p->msg);
    if (r != ECSP_BLOCKED)
        return r;
    if (ecsp_now_ticks(h) >= p->aux)
        return WATCH_TIMEOUT;
    ecsp_wake_at(h, p->aux);
    return ECSP_BLOCKED;
}

/* watchdog: forwards its input; when nothing arrives for `timeout_us`
 * microseconds of the core's clock, poisons both its channels. */
static int step_watchdog(const ecsp_hal *h, ecsp_proc *p, ecsp_outcome *out)
{
    int r;
    uint32_t err;
    PT_BEGIN(p);
    if ((err = open_input(h, p)) != 0)
        return fail(p, out, err, 0);
    if ((err = open_output(h, p, 0)) != 0)
        return fail(p, out, err, 0);
    if (p->param[0] <= 0)
        return fail(p, out, ECSP_ERR_BAD_PARAM, 0);
    {
        /* saturating timeout_us * ticks_per_second / 1e6 */
        uint64_t us = (uint64_t)p->param[0], hz = ecsp_ticks_per_second(h);
        uint64_t period = us > UINT64_MAX / hz ? UINT64_MAX / 1000000u : us * hz / 1000000u;
        p->sum = (int64_t)(period < 1 ? 1 : period);
    }
    for (;;) {
        {
            uint64_t now = ecsp_now_ticks(h), period = (uint64_t)p->sum;
            p->aux = now > UINT64_MAX - period ? UINT64_MAX : now + period;
        }
        PT_AWAIT(p, r, ECSP_WAIT_OTHER, watch(h, p));
        if (r == WATCH_TIMEOUT) {
            ecsp_poison_reader(h, IN(p, 0));
            pass_on(h, p, ECSP_SHUT_POISONED, 1);
            return finish(p, out, p->handled, 1, 0);
        }
        if (r != ECSP_DONE) {
            pass_on(h, p, r, 1);
            return finish(p, out, p->handled, ended_by(r), 0);
        }
        PT_AWAIT(p, r, WAIT_END(OUT(p, 0)->end), ecsp_send(h, OUT(p, 0), &p->msg));
        if (r != ECSP_DONE) {
            ecsp_poison_reader(h, IN(p, 0));
            return finish(p, out, p->handled, 1, 0);
        }
        p->handled++;
    }
    PT_END(p);
    return ECSP_BLOCKED;
}

/* barrier_count's barrier, after its two ends. */
#define BARRIER(p) ((ecsp_barrier_part *)(void *)OUT(p, 1))

/* barrier_count: `rounds` episodes on its barrier 0, passing the episode
 * number around a ring (output to the next rank, input from the previous);
 * with `check`, counts violations of the barrier (barrier_procs.rs). value =
 * episodes, aux = violations, ticks = time taken. */
static int step_barrier_count(const ecsp_hal *h, ecsp_proc *p, ecsp_outcome *out)
{
    int r;
    uint32_t err;
    PT_BEGIN(p);
    if (p->param[0] < 0)
        return fail(p, out, ECSP_ERR_BAD_PARAM, 0);
    if (p->inputs != 1 || p->outputs != 1)
        return fail(p, out, ECSP_ERR_MISSING_END, 1);
    if ((err = open_input(h, p)) != 0)
        return fail(p, out, err, 0);
    if ((err = open_output(h, p, 0)) != 0)
        return fail(p, out, err, 0);
    {
        if ((err = ecsp_barrier_open(h, BARRIER(p), ecsp_task_index(h, p->record), 0)) != 0)
            return fail(p, out, err, 0);
    }
    p->aux = ecsp_now_ticks(h); /* start */
    p->sum = 0;                 /* violations */
    /* The episode is handled + 1. */
    while (p->handled < (uint64_t)p->param[0]) {
        p->msg2 = from_i64(p->dtype, (int64_t)p->handled + 1);
        PT_AWAIT(p, r, WAIT_END(OUT(p, 0)->end), ecsp_send(h, OUT(p, 0), &p->msg2));
        if (r != ECSP_DONE) {
            ecsp_poison_reader(h, IN(p, 0));
            break;
        }
        PT_AWAIT(p, r, ECSP_WAIT_OTHER, ecsp_barrier_wait(h, BARRIER(p)));
        p->failed = 0; /* here: the value arrived with the check */
        if (p->param[1] != 0) {
            p->sum += ecsp_barrier_laggards(h, BARRIER(p));
            if (BARRIER(p)->kind == ECSP_BARRIER_DISSEMINATION) {
                /* The previous rank's message travelled here ahead of its
                 * round-0 flag: it must be there already. */
                r = ecsp_recv(h, IN(p, 0), &p->msg);
                if (r == ECSP_DONE) {
                    p->failed = 1;
                } else if (r == ECSP_BLOCKED) {
                    p->sum++;
                } else {
                    ecsp_poison_writer(h, OUT(p, 0));
                    break;
                }
            }
        }
        if (!p->failed) {
            PT_AWAIT(p, r, WAIT_END(IN(p, 0)->end), ecsp_recv(h, IN(p, 0), &p->msg));
            if (r != ECSP_DONE) {
                ecsp_poison_writer(h, OUT(p, 0));
                break;
            }
        }
        if (to_i64(p->dtype, p->msg) != (int64_t)p->handled + 1)
            p->sum++;
        p->handled++;
    }
    if (p->handled == (uint64_t)p->param[0])
        ecsp_close_writer(h, OUT(p, 0));
    return finish(p, out, p->handled, (uint64_t)p->sum, ecsp_now_ticks(h) - p->aux);
    PT_END(p);
    return ECSP_BLOCKED;
}

/* ---- the numeric kernels over vectors (kernels.rs), element by element,
 * with the arithmetic of the Rust `Scalar` trait (message.rs): wrapping
 * for integers, IEEE for floats, Rust's saturating `as` conversions ---- */

enum { OP_ADD, OP_SUB, OP_MUL, OP_MIN, OP_MAX, OP_DIV };

static ecsp_value elem_at(const uint8_t *buf, uint32_t k, uint32_t esize)
{
    ecsp_value v;
    v.u64 = 0;
    /* esize is a dtype's size, at most 8: bounded so the compiler sees it */
    for (uint32_t b = 0; b < esize && b < (uint32_t)sizeof v; b++)
        ((uint8_t *)&v)[b] = buf[elems_bytes(k, esize) + b];
    return v;
}

static void set_elem(uint8_t *buf, uint32_t k, uint32_t esize, ecsp_value v)
{
    for (uint32_t b = 0; b < esize && b < (uint32_t)sizeof v; b++)
        buf[elems_bytes(k, esize) + b] = ((const uint8_t *)&v)[b];
}

/* a < b in the dtype's order (false for NaNs). */
static int less(uint32_t dtype, ecsp_value a, ecsp_value b)
{
    switch (DTYPE_SWITCH(dtype)) {
    DTYPE_CASE(ECSP_DTYPE_I32):
        return a.i32 < b.i32;
    DTYPE_CASE(ECSP_DTYPE_U32):
        return a.u32 < b.u32;
    DTYPE_CASE(ECSP_DTYPE_U8):
        return a.u8 < b.u8;
    DTYPE_CASE(ECSP_DTYPE_F32):
        return a.f32 < b.f32;
    case ECSP_DTYPE_F64:
        if (WITH_F64)
            return a.f64 < b.f64;
        return 0; /* not carried, refused at boot */
    default:
        if (!ECSP_IMAGE_HAS_DTYPE(ECSP_DTYPE_I64))
            return 0; /* no other dtype is carried */
        return a.i64 < b.i64;
    }
}

static ecsp_value binop(uint32_t dtype, int op, ecsp_value a, ecsp_value b)
{
    if (op == OP_MIN)
        return less(dtype, b, a) ? b : a;
    if (op == OP_MAX)
        return less(dtype, a, b) ? b : a;
    ecsp_value r;
    r.u64 = 0;
    switch (DTYPE_SWITCH(dtype)) {
    DTYPE_CASE(ECSP_DTYPE_F32):
        r.f32 = op == OP_ADD ? a.f32 + b.f32 : op == OP_SUB ? a.f32 - b.f32 : op == OP_MUL ? a.f32 * b.f32 : a.f32 / b.f32;
        return r;
    case ECSP_DTYPE_F64:
        if (!WITH_F64)
            return r; /* not carried, refused at boot */
        r.f64 = op == OP_ADD ? a.f64 + b.f64 : op == OP_SUB ? a.f64 - b.f64 : op == OP_MUL ? a.f64 * b.f64 : a.f64 / b.f64;
        return r;
    DTYPE_CASE(ECSP_DTYPE_U8):
    DTYPE_CASE(ECSP_DTYPE_U32):
    DTYPE_CASE(ECSP_DTYPE_I32): {
        uint32_t mask = dtype == ECSP_DTYPE_U8 ? 0xFFu : 0xFFFFFFFFu;
        uint32_t x = dtype == ECSP_DTYPE_U8 ? a.u8 : a.u32, y = dtype == ECSP_DTYPE_U8 ? b.u8 : b.u32, z;
        if (op == OP_ADD)
            z = x + y;
        else if (op == OP_SUB)
            z = x - y;
        else if (op == OP_MUL)
            z = x * y;
        else if (y == 0 || (dtype == ECSP_DTYPE_I32 && a.i32 == INT32_MIN && b.i32 == -1))
            z = 0; /* checked_div: 0 for a division by zero or an overflow */
        else if (dtype == ECSP_DTYPE_I32)
            z = (uint32_t)(a.i32 / b.i32);
        else
            z = x / y;
        z &= mask;
        if (dtype == ECSP_DTYPE_U8)
            r.u8 = (uint8_t)z;
        else
            r.u32 = z;
        return r;
    }
    default: {
        if (!ECSP_IMAGE_HAS_DTYPE(ECSP_DTYPE_I64))
            return r; /* no other dtype is carried */
        uint64_t x = a.u64, y = b.u64;
        if (op == OP_ADD)
            r.u64 = x + y;
        else if (op == OP_SUB)
            r.u64 = x - y;
        else if (op == OP_MUL)
            r.u64 = x * y;
        else if (y == 0 || (a.i64 == INT64_MIN && b.i64 == -1))
            r.u64 = 0;
        else
            r.i64 = a.i64 / b.i64;
        return r;
    }
    }
}

/* The correctly rounded square root of a double, in integer arithmetic
 * (digit by digit), so that the runtime needs no libm on silicon and the
 * host build computes exactly what the device does. Rust's libm::sqrt is
 * correctly rounded too, so results agree bit for bit. */
double ecsp_sqrt(double x)
{
    union {
        double d;
        uint64_t u;
    } v;
    v.d = x;
    if (x != x || x < 0.0)
        return (x - x) / (x - x); /* NaN */
    if (x == 0.0 || x > 1.7976931348623157e308)
        return x; /* +-0 and +inf */
    int e = (int)((v.u >> 52) & 0x7FF);
    uint64_t m = v.u & ((1ull << 52) - 1);
    if (e == 0) { /* subnormal: normalise */
        e = 1;
        while (!(m & (1ull << 52))) {
            m <<= 1;
            e--;
        }
    } else {
        m |= 1ull << 52;
    }
    e -= 1023; /* x = m * 2^(e - 52) */
    if (e & 1) {
        m <<= 1;
        e -= 1;
    }
    /* q = floor(sqrt(m * 2^54)), 54 bits, two radicand bits per step. */
    uint64_t q = 0, r = 0;
    for (int i = 53; i >= 0; i--) {
        uint64_t pair = 2 * i >= 54 ? (m >> (2 * i - 54)) & 3u : 0u;
        r = (r << 2) | pair;
        uint64_t t = (q << 2) | 1u;
        q <<= 1;
        if (r >= t) {
            r -= t;
            q |= 1u;
        }
    }
    uint64_t mant = q >> 1;
    if ((q & 1u) && (r != 0 || (mant & 1u))) /* round to nearest, ties to even */
        mant++;
    if (mant == (1ull << 53)) {
        mant >>= 1;
        e += 2;
    }
    v.u = ((uint64_t)(e / 2 + 1023) << 52) | (mant & ((1ull << 52) - 1));
    return v.d;
}

/* The correctly rounded square root of a float, as ecsp_sqrt does it for a
 * double, without double precision (an image without f64 carries none). */
float ecsp_sqrtf(float x)
{
    union {
        float f;
        uint32_t u;
    } v;
    v.f = x;
    if (x != x)
        return x; /* NaN */
    if (x < 0.0f) {
        v.u = 0x7FC00000u; /* NaN */
        return v.f;
    }
    if (x == 0.0f || v.u == 0x7F800000u)
        return x; /* +-0 and +inf */
    int e = (int)((v.u >> 23) & 0xFFu);
    uint32_t m = v.u & 0x7FFFFFu;
    if (e == 0) { /* subnormal: normalise */
        e = 1;
        while (!(m & 0x800000u)) {
            m <<= 1;
            e--;
        }
    } else {
        m |= 0x800000u;
    }
    e -= 127; /* x = m * 2^(e - 23) */
    if (e & 1) {
        m <<= 1;
        e -= 1;
    }
    /* q = floor(sqrt(m * 2^25)), 25 bits, two radicand bits per step. */
    uint64_t radicand = (uint64_t)m << 25, q = 0, r = 0;
    for (int i = 24; i >= 0; i--) {
        r = (r << 2) | ((radicand >> (2 * i)) & 3u);
        uint64_t t = (q << 2) | 1u;
        q <<= 1;
        if (r >= t) {
            r -= t;
            q |= 1u;
        }
    }
    uint32_t mant = (uint32_t)(q >> 1);
    if ((q & 1u) && (r != 0 || (mant & 1u))) /* round to nearest, ties to even */
        mant++;
    if (mant == (1u << 24)) {
        mant >>= 1;
        e += 2;
    }
    v.u = ((uint32_t)(e / 2 + 127) << 23) | (mant & 0x7FFFFFu);
    return v.f;
}

/* The integer square root's floor, by Newton iteration on u64 (message.rs). */
static uint64_t isqrt(uint64_t n)
{
    uint64_t x = n, y = n / 2 + (n & 1);
    while (y < x) {
        x = y;
        y = (x + n / x) / 2;
    }
    return x;
}

enum { FN_SQUARE, FN_NEGATE, FN_ABS, FN_SQRT, FN_SCALE, FN_OFFSET, FN_AFFINE, FN_RELU, FN_COUNT };

static ecsp_value apply(uint32_t dtype, int f, ecsp_value x, ecsp_value a, ecsp_value b)
{
    ecsp_value zero = from_i64(dtype, 0);
    switch (f) {
    case FN_SQUARE:
        return binop(dtype, OP_MUL, x, x);
    case FN_NEGATE:
        if (dtype == ECSP_DTYPE_F32) {
            x.f32 = -x.f32;
            return x;
        }
        if (WITH_F64 && dtype == ECSP_DTYPE_F64) {
            x.f64 = -x.f64;
            return x;
        }
        return binop(dtype, OP_SUB, zero, x);
    case FN_ABS:
        return less(dtype, x, zero) ? apply(dtype, FN_NEGATE, x, a, b) : x;
    case FN_SQRT:
        if (dtype == ECSP_DTYPE_F32) {
            x.f32 = ecsp_sqrtf(x.f32);
            return x;
        }
        if (WITH_F64 && dtype == ECSP_DTYPE_F64) {
            x.f64 = ecsp_sqrt(x.f64);
            return x;
        }
        if (!less(dtype, zero, x) || !WITH_INTEGERS)
            return zero; /* (an image of real dtypes only needs no isqrt) */
        return from_i64(dtype, (int64_t)isqrt((uint64_t)to_i64(dtype, x)));
    case FN_SCALE:
        return binop(dtype, OP_MUL, a, x);
    case FN_OFFSET:
        return binop(dtype, OP_ADD, x, a);
    case FN_AFFINE:
        return binop(dtype, OP_ADD, binop(dtype, OP_MUL, a, x), b);
    default:
        return binop(dtype, OP_MAX, x, zero);
    }
}

/* A choice parameter: its index below `count`, or -1. */
static int choice(const ecsp_proc *p, uint32_t index, int count)
{
    return p->param[index] >= 0 && p->param[index] < count ? (int)p->param[index] : -1;
}

/* A real parameter: the host stores it converted to the process's dtype,
 * in the low bytes of the word (PROTOCOL.md, "Parameters"), so kernels over
 * other dtypes need no double precision. Both targets are little-endian. */
static ecsp_value real(const ecsp_proc *p, uint32_t index)
{
    ecsp_value v;
    v.u64 = (uint64_t)p->param[index];
    return v;
}

/* map: `fn` (param 0) with constants a (param 1) and b (param 2) on every
 * element of every input vector. */
static int step_map_kernel(const ecsp_hal *h, ecsp_proc *p, ecsp_outcome *out)
{
    int r;
    uint32_t err;
    uint8_t *buf = scratch(p, p->msg_size);
    PT_BEGIN(p);
    if (choice(p, 0, FN_COUNT) < 0)
        return fail(p, out, ECSP_ERR_BAD_PARAM, 0);
    if ((err = open_vectors(h, p, 1)) != 0)
        return fail(p, out, err, 0);
    buf = scratch(p, p->msg_size);
    for (;;) {
        PT_AWAIT(p, r, WAIT_END(IN(p, 0)->end), ecsp_recv(h, IN(p, 0), buf));
        if (r != ECSP_DONE) {
            pass_on(h, p, r, 1);
            return finish(p, out, p->handled, ended_by(r), 0);
        }
        {
            uint32_t esize = dtype_size(p->dtype);
            ecsp_value a = real(p, 1), b = real(p, 2);
            for (uint32_t k = 0; k < bytes_elems(p->msg_size, esize); k++)
                set_elem(buf, k, esize, apply(p->dtype, choice(p, 0, FN_COUNT), elem_at(buf, k, esize), a, b));
        }
        PT_AWAIT(p, r, WAIT_END(OUT(p, 0)->end), ecsp_send(h, OUT(p, 0), buf));
        if (r != ECSP_DONE) {
            ecsp_poison_reader(h, IN(p, 0));
            return finish(p, out, p->handled, 1, 0);
        }
        p->handled++;
    }
    PT_END(p);
    return ECSP_BLOCKED;
}

/* zip: one vector from each input, combined element by element with `op`
 * (add, sub, mul, min, max); ends when either input ends, closing or
 * poisoning the output and poisoning the other input. */
static int step_zip(const ecsp_hal *h, ecsp_proc *p, ecsp_outcome *out)
{
    int r;
    uint32_t err;
    uint8_t *xs = scratch(p, 2 * p->msg_size);
    PT_BEGIN(p);
    if (choice(p, 0, 5) < 0)
        return fail(p, out, ECSP_ERR_BAD_PARAM, 0);
    if (p->inputs < 2 || p->outputs < 1)
        return fail(p, out, ECSP_ERR_MISSING_END, p->inputs < 2 ? 1 : 0);
    {
        uint32_t left = vec_size(h, p, p->first_end), right = vec_size(h, p, p->first_end + 1);
        uint32_t len = vec_size(h, p, p->first_end + p->inputs);
        if (left == 0 || right == 0 || len == 0)
            return fail(p, out, ECSP_ERR_SIZE_MISMATCH, 0);
        if ((err = ecsp_open_reader(h, IN(p, 0), p->ends_offset, p->first_end, left)) != 0 ||
            (err = ecsp_open_reader(h, IN(p, 1), p->ends_offset, p->first_end + 1, right)) != 0 ||
            (err = ecsp_open_writer(h, OUT(p, 0), p->ends_offset, p->first_end + p->inputs, len)) != 0)
            return fail(p, out, err, 0);
        if (left != len || right != len)
            return fail(p, out, ECSP_ERR_LENGTH_MISMATCH, 0);
        p->msg_size = len;
        if ((xs = scratch(p, 2 * len)) == 0)
            return fail(p, out, ECSP_ERR_NO_SCRATCH, 2 * len);
    }
    for (;;) {
        PT_AWAIT(p, r, WAIT_END(IN(p, 0)->end), ecsp_recv(h, IN(p, 0), xs));
        p->i = 0; /* which input ended: 0 left, 1 right */
        if (r == ECSP_DONE) {
            PT_AWAIT(p, r, WAIT_END(IN(p, 1)->end), ecsp_recv(h, IN(p, 1), xs + p->msg_size));
            p->i = 1;
        }
        if (r != ECSP_DONE) {
            pass_on(h, p, r, 1);
            ecsp_poison_reader(h, IN(p, p->i ? 0 : 1));
            return finish(p, out, p->handled, ended_by(r), 0);
        }
        {
            static const int ops[5] = {OP_ADD, OP_SUB, OP_MUL, OP_MIN, OP_MAX};
            uint32_t esize = dtype_size(p->dtype);
            const uint8_t *ys = xs + p->msg_size;
            for (uint32_t k = 0; k < bytes_elems(p->msg_size, esize); k++)
                set_elem(xs, k, esize,
                         binop(p->dtype, ops[choice(p, 0, 5)], elem_at(xs, k, esize), elem_at(ys, k, esize)));
        }
        PT_AWAIT(p, r, WAIT_END(OUT(p, 0)->end), ecsp_send(h, OUT(p, 0), xs));
        if (r != ECSP_DONE) {
            poison_inputs(h, p);
            return finish(p, out, p->handled, 1, 0);
        }
        p->handled++;
    }
    PT_END(p);
    return ECSP_BLOCKED;
}

/* reduce: every input vector folded with `op` (sum, product, min, max,
 * mean) into one scalar out. */
static int step_reduce(const ecsp_hal *h, ecsp_proc *p, ecsp_outcome *out)
{
    int r;
    uint32_t err;
    uint8_t *buf = scratch(p, p->msg_size);
    PT_BEGIN(p);
    if (choice(p, 0, 5) < 0)
        return fail(p, out, ECSP_ERR_BAD_PARAM, 0);
    if (p->inputs < 1)
        return fail(p, out, ECSP_ERR_MISSING_END, 0);
    {
        uint32_t in = vec_size(h, p, p->first_end);
        if (in == 0)
            return fail(p, out, ECSP_ERR_SIZE_MISMATCH, 0);
        if ((err = ecsp_open_reader(h, IN(p, 0), p->ends_offset, p->first_end, in)) != 0)
            return fail(p, out, err, 0);
        if (p->outputs < 1)
            return fail(p, out, ECSP_ERR_MISSING_END, 0);
        uint32_t o = vec_size(h, p, p->first_end + p->inputs);
        if (o == 0)
            return fail(p, out, ECSP_ERR_SIZE_MISMATCH, 0);
        if ((err = ecsp_open_writer(h, OUT(p, 0), p->ends_offset, p->first_end + p->inputs, o)) != 0)
            return fail(p, out, err, 0);
        if (o != dtype_size(p->dtype))
            return fail(p, out, ECSP_ERR_LENGTH_MISMATCH, 0);
        p->msg_size = in;
        if ((buf = scratch(p, in)) == 0)
            return fail(p, out, ECSP_ERR_NO_SCRATCH, in);
    }
    for (;;) {
        PT_AWAIT(p, r, WAIT_END(IN(p, 0)->end), ecsp_recv(h, IN(p, 0), buf));
        if (r != ECSP_DONE) {
            pass_on(h, p, r, 1);
            return finish(p, out, p->handled, ended_by(r), 0);
        }
        {
            static const int ops[5] = {OP_ADD, OP_MUL, OP_MIN, OP_MAX, OP_ADD};
            int op = choice(p, 0, 5);
            uint32_t esize = dtype_size(p->dtype), n = bytes_elems(p->msg_size, esize);
            ecsp_value acc = elem_at(buf, 0, esize);
            for (uint32_t k = 1; k < n; k++)
                acc = binop(p->dtype, ops[op], acc, elem_at(buf, k, esize));
            if (op == 4)
                acc = binop(p->dtype, OP_DIV, acc, from_i64(p->dtype, (int64_t)n));
            p->msg = acc;
        }
        PT_AWAIT(p, r, WAIT_END(OUT(p, 0)->end), ecsp_send(h, OUT(p, 0), &p->msg));
        if (r != ECSP_DONE) {
            ecsp_poison_reader(h, IN(p, 0));
            return finish(p, out, p->handled, 1, 0);
        }
        p->handled++;
    }
    PT_END(p);
    return ECSP_BLOCKED;
}

/* ramp: `count` (param 1) vectors, element i of vector k being start + k*len
 * + i (start: param 0), then close. value = vectors sent. */
static int step_ramp(const ecsp_hal *h, ecsp_proc *p, ecsp_outcome *out)
{
    int r;
    uint32_t err;
    uint8_t *buf = scratch(p, p->msg_size);
    PT_BEGIN(p);
    if (p->param[1] < 0)
        return fail(p, out, ECSP_ERR_BAD_PARAM, 1);
    if (p->outputs < 1)
        return fail(p, out, ECSP_ERR_MISSING_END, 0);
    {
        uint32_t o = vec_size(h, p, p->first_end + p->inputs);
        if (o == 0)
            return fail(p, out, ECSP_ERR_SIZE_MISMATCH, 0);
        if ((err = ecsp_open_writer(h, OUT(p, 0), p->ends_offset, p->first_end + p->inputs, o)) != 0)
            return fail(p, out, err, 0);
        p->msg_size = o;
        if ((buf = scratch(p, o)) == 0)
            return fail(p, out, ECSP_ERR_NO_SCRATCH, o);
    }
    for (p->handled = 0; p->handled < (uint64_t)p->param[1]; p->handled++) {
        {
            uint32_t esize = dtype_size(p->dtype), n = bytes_elems(p->msg_size, esize);
            uint64_t base = (uint64_t)p->param[0] + p->handled * (uint64_t)n;
            for (uint32_t i = 0; i < n; i++)
                set_elem(buf, i, esize, from_i64(p->dtype, (int64_t)(base + i)));
        }
        PT_AWAIT(p, r, WAIT_END(OUT(p, 0)->end), ecsp_send(h, OUT(p, 0), buf));
        if (r != ECSP_DONE)
            return finish(p, out, p->handled, 1, 0);
    }
    ecsp_close_writer(h, OUT(p, 0));
    return finish(p, out, p->handled, 0, 0);
    PT_END(p);
    return ECSP_BLOCKED;
}

/* mandel: for each input (x0, y, dx, tag), outputs (tag, the escape counts
 * of the points x0 + i*dx + iy, i < len - 1), at most `iterations` each;
 * real element types only (kernels.rs). */
static int step_mandel(const ecsp_hal *h, ecsp_proc *p, ecsp_outcome *out)
{
    int r;
    uint32_t err;
    uint8_t *buf = scratch(p, p->msg_size);
    PT_BEGIN(p);
    if (p->param[0] <= 0 || (p->dtype != ECSP_DTYPE_F32 && p->dtype != ECSP_DTYPE_F64))
        return fail(p, out, ECSP_ERR_BAD_PARAM, 0);
    if (p->inputs < 1 || p->outputs < 1)
        return fail(p, out, ECSP_ERR_MISSING_END, 0);
    {
        uint32_t in = vec_size(h, p, p->first_end), o = vec_size(h, p, p->first_end + p->inputs);
        uint32_t esize = dtype_size(p->dtype);
        if (in == 0 || o == 0)
            return fail(p, out, ECSP_ERR_SIZE_MISMATCH, 0);
        if ((err = ecsp_open_reader(h, IN(p, 0), p->ends_offset, p->first_end, in)) != 0 ||
            (err = ecsp_open_writer(h, OUT(p, 0), p->ends_offset, p->first_end + p->inputs, o)) != 0)
            return fail(p, out, err, 0);
        if (in < 4 * esize || o < 2 * esize)
            return fail(p, out, ECSP_ERR_LENGTH_MISMATCH, 0);
        p->msg_size = in > o ? in : o;
        if ((buf = scratch(p, p->msg_size)) == 0)
            return fail(p, out, ECSP_ERR_NO_SCRATCH, p->msg_size);
    }
    for (;;) {
        PT_AWAIT(p, r, WAIT_END(IN(p, 0)->end), ecsp_recv(h, IN(p, 0), buf));
        if (r != ECSP_DONE) {
            pass_on(h, p, r, 1);
            return finish(p, out, p->handled, ended_by(r), 0);
        }
        {
            uint32_t t = p->dtype, esize = dtype_size(t), width = bytes_elems(OUT(p, 0)->msg_size, esize) - 1;
            ecsp_value x0 = elem_at(buf, 0, esize), y = elem_at(buf, 1, esize), dx = elem_at(buf, 2, esize);
            ecsp_value zero = from_i64(t, 0), two = from_i64(t, 2), four = from_i64(t, 4);
            set_elem(buf, 0, esize, elem_at(buf, 3, esize)); /* the tag first */
            for (uint32_t i = 0; i < width; i++) {
                ecsp_value cr = binop(t, OP_ADD, x0, binop(t, OP_MUL, dx, from_i64(t, (int64_t)i)));
                ecsp_value zr = zero, zi = zero;
                int64_t n = 0;
                while (n < p->param[0]) {
                    ecsp_value zr2 = binop(t, OP_MUL, zr, zr), zi2 = binop(t, OP_MUL, zi, zi);
                    if (less(t, four, binop(t, OP_ADD, zr2, zi2)))
                        break;
                    zi = binop(t, OP_ADD, binop(t, OP_MUL, binop(t, OP_MUL, zr, zi), two), y);
                    zr = binop(t, OP_ADD, binop(t, OP_SUB, zr2, zi2), cr);
                    n++;
                }
                set_elem(buf, 1 + i, esize, from_i64(t, n));
            }
        }
        PT_AWAIT(p, r, WAIT_END(OUT(p, 0)->end), ecsp_send(h, OUT(p, 0), buf));
        if (r != ECSP_DONE) {
            ecsp_poison_reader(h, IN(p, 0));
            return finish(p, out, p->handled, 1, 0);
        }
        p->handled++;
    }
    PT_END(p);
    return ECSP_BLOCKED;
}

uint32_t ecsp_c_init(const ecsp_hal *h, void *state, uint32_t room, uint32_t record, uint32_t ends_offset,
                     uint32_t end_count)
{
    ecsp_task_record t;
    ecsp_read_local(h, record, &t, sizeof t);
    uint32_t kind = t.kind & ~ECSP_KIND_C_FLAG;
    uint32_t size = ecsp_c_state_size(kind);
    if (size == 0)
        return ECSP_BOOT_UNKNOWN_KIND;
    if (dtype_size(t.dtype) == 0)
        return ECSP_BOOT_UNKNOWN_DTYPE;
    if (!ecsp_ends_fit(t.first_end, t.inputs, t.outputs, end_count))
        return ECSP_BOOT_CORRUPT;
    /* The ends the host gave, which a kind uses only up to its arity. */
    uint32_t given = size_for(t.inputs, t.outputs, 0);
    if (size > room || given > room || (uintptr_t)state % ECSP_C_STATE_ALIGN != 0)
        return ECSP_BOOT_NO_ROOM;
    uint8_t *bytes = (uint8_t *)state;
    for (uint32_t i = 0; i < size; i++)
        bytes[i] = 0;
    ecsp_proc *p = (ecsp_proc *)state;
    p->kind = kind;
    p->dtype = t.dtype;
    p->msg_size = dtype_size(t.dtype);
    p->record = record;
    p->room = room;
    p->ends_offset = ends_offset;
    p->first_end = t.first_end;
    p->inputs = t.inputs;
    p->outputs = t.outputs;
    for (uint32_t i = 0; i < 3; i++)
        p->param[i] = t.params[i];
    return 0;
}

int ecsp_c_step(const ecsp_hal *h, void *state, ecsp_outcome *out)
{
    ecsp_proc *p = (ecsp_proc *)state;
    switch (p->kind) {
    case ECSP_KIND_ID:
    case ECSP_KIND_SUCC:
    case ECSP_KIND_PREFIX:
        if (ECSP_IMAGE_HAS_KIND(ECSP_KIND_ID) || ECSP_IMAGE_HAS_KIND(ECSP_KIND_SUCC) ||
            ECSP_IMAGE_HAS_KIND(ECSP_KIND_PREFIX))
            return step_map(h, p, out);
        break;
    case ECSP_KIND_DELTA:
        if (ECSP_IMAGE_HAS_KIND(ECSP_KIND_DELTA))
            return step_delta(h, p, out);
        break;
    case ECSP_KIND_CONSUME:
        if (ECSP_IMAGE_HAS_KIND(ECSP_KIND_CONSUME))
            return step_consume(h, p, out);
        break;
    case ECSP_KIND_GENERATE:
        if (ECSP_IMAGE_HAS_KIND(ECSP_KIND_GENERATE))
            return step_generate(h, p, out);
        break;
    case ECSP_KIND_SIEVE:
        if (ECSP_IMAGE_HAS_KIND(ECSP_KIND_SIEVE))
            return step_sieve(h, p, out);
        break;
    case ECSP_KIND_TAIL:
        if (ECSP_IMAGE_HAS_KIND(ECSP_KIND_TAIL))
            return step_tail(h, p, out);
        break;
    case ECSP_KIND_PLUS:
        if (ECSP_IMAGE_HAS_KIND(ECSP_KIND_PLUS))
            return step_plus(h, p, out);
        break;
    case ECSP_KIND_MERGE:
        if (ECSP_IMAGE_HAS_KIND(ECSP_KIND_MERGE))
            return step_merge(h, p, out);
        break;
    case ECSP_KIND_ALT_COUNT:
        if (ECSP_IMAGE_HAS_KIND(ECSP_KIND_ALT_COUNT))
            return step_alt_count(h, p, out);
        break;
    case ECSP_KIND_DELTA_PAR:
        if (ECSP_IMAGE_HAS_KIND(ECSP_KIND_DELTA_PAR))
            return step_delta_par(h, p, out);
        break;
    case ECSP_KIND_MUX:
        if (ECSP_IMAGE_HAS_KIND(ECSP_KIND_MUX))
            return step_mux(h, p, out);
        break;
    case ECSP_KIND_DEMUX:
        if (ECSP_IMAGE_HAS_KIND(ECSP_KIND_DEMUX))
            return step_demux(h, p, out);
        break;
    case ECSP_KIND_WATCHDOG:
        if (ECSP_IMAGE_HAS_KIND(ECSP_KIND_WATCHDOG))
            return step_watchdog(h, p, out);
        break;
    case ECSP_KIND_BARRIER_COUNT:
        if (ECSP_IMAGE_HAS_KIND(ECSP_KIND_BARRIER_COUNT))
            return step_barrier_count(h, p, out);
        break;
    case ECSP_KIND_MAP:
        if (ECSP_IMAGE_HAS_KIND(ECSP_KIND_MAP))
            return step_map_kernel(h, p, out);
        break;
    case ECSP_KIND_ZIP:
        if (ECSP_IMAGE_HAS_KIND(ECSP_KIND_ZIP))
            return step_zip(h, p, out);
        break;
    case ECSP_KIND_REDUCE:
        if (ECSP_IMAGE_HAS_KIND(ECSP_KIND_REDUCE))
            return step_reduce(h, p, out);
        break;
    case ECSP_KIND_RAMP:
        if (ECSP_IMAGE_HAS_KIND(ECSP_KIND_RAMP))
            return step_ramp(h, p, out);
        break;
    case ECSP_KIND_MANDEL:
        if (ECSP_IMAGE_HAS_KIND(ECSP_KIND_MANDEL))
            return step_mandel(h, p, out);
        break;
    default:
        break;
    }
    /* ecsp_c_init admits no other kind: this image does not carry it. */
    return fail(p, out, ECSP_ERR_BAD_PARAM, 0);
}
