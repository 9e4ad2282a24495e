/* The runtime of users' kernels (include/ecsp/kernel.h): a kernel's room,
 * its ports, and the blocking calls of a sequential program over the
 * runtime's non-blocking channel steps.
 *
 * A kernel runs on a stack of its own, so its locals survive a blocking
 * call: an operation that cannot complete notes what the kernel waits on
 * (TaskRecord.waiting) and suspends the kernel; the executor's next round
 * resumes it, and the operation tries again. Suspending is a context switch
 * on silicon (silicon/switch.S: the callee-saved registers on the kernel's
 * stack, the stack pointer in its block) and a coroutine of the host in
 * ecsp's simulator (the HAL's `suspend`, ecsp-host's kernel runner).
 *
 * Which kernel runs is found without an argument: on silicon a core runs
 * one thing at a time, so a global names it; in the simulator, where the
 * kernels of one compiled file run on many host threads at once, the
 * runner puts each kernel's stack at an address aligned to
 * ECSP_SIM_STACK_SIZE and keeps the kernel's context at the bottom of that
 * region, which any frame of the kernel finds from its own address.
 *
 * A kernel's room (protocol.h, "users' kernels") is planned by the host,
 * which writes its block, items and parameter values; ecsp_k_init checks
 * them and opens the ports. */
#include "ecsp/kernel.h"
#include "ecsp/runtime.h"

/* What the kernel calls reach the chip and the room through. */
typedef struct ecsp__kctx {
    const ecsp_hal *h;
    uint8_t *room;
} ecsp__kctx;

#ifdef ECSP_HAL_SILICON
static ecsp__kctx running;
static inline ecsp__kctx *cur(void) { return &running; }
#else
#ifndef ECSP_SIM_STACK_SIZE
#define ECSP_SIM_STACK_SIZE 0x40000u /* ecsp-host's kernels::sim::STACK_SIZE */
#endif
static inline ecsp__kctx *cur(void)
{
    char probe = 0;
    uintptr_t here = (uintptr_t)&probe;
    /* The address only locates the stack: launder it, so the compiler does
     * not take the context read through it for a part of `probe`. */
    __asm__ __volatile__("" : "+r"(here));
    return *(ecsp__kctx **)(here & ~(uintptr_t)(ECSP_SIM_STACK_SIZE - 1u));
}
#endif

static inline ecsp_kernel_block *block_of(uint8_t *room) { return (ecsp_kernel_block *)(void *)room; }
static inline ecsp_kernel_item *items_of(uint8_t *room)
{
    return (ecsp_kernel_item *)(void *)(room + sizeof(ecsp_kernel_block));
}

/* ---- suspending ---- */

#ifdef ECSP_HAL_SILICON
/* silicon/switch.S: saves the callee-saved registers and the return
 * address on the current stack, stores the stack pointer at `save`, and
 * continues on the stack at `to` where the same was saved. */
void ecsp__switch(uint32_t *save, uint32_t to) __asm__("ecsp__switch");
/* The executor's stack pointer while a kernel runs. */
static uint32_t executor_sp;

static void suspend(ecsp__kctx *k)
{
    /* The stack pointer goes to the low word of `context` (little-endian;
     * the high word stays 0). */
    ecsp__switch((uint32_t *)(void *)&block_of(k->room)->context, executor_sp);
}
#else
static void suspend(ecsp__kctx *k) { k->h->suspend(k->h->ctx); }
#endif

/* Waits for the next round with `waiting` noted for the host. */
static void block(ecsp__kctx *k, uint32_t waiting)
{
    ecsp_kernel_block *b = block_of(k->room);
    ecsp_store_word(k->h, b->record + ECSP_TASK_WAITING_OFFSET, waiting);
    suspend(k);
}

/* Leaves the kernel for good in `state`: the stepping side (ecsp_k_outcome)
 * reports it, and nothing resumes the kernel again. */
static void __attribute__((noreturn)) leave(ecsp__kctx *k, uint32_t state)
{
    block_of(k->room)->state = state;
    for (;;)
        suspend(k);
}

static uint32_t end_of(const ecsp_kernel_block *b, const ecsp_kernel_item *it, uint32_t inputs)
{
    return b->first_end + (it->kind == ECSP_ITEM_OUT ? inputs : 0u) + it->index;
}

/* Poison met: poison every end, then end. */
static void __attribute__((noreturn)) poisoned(ecsp__kctx *k)
{
    ecsp_kernel_block *b = block_of(k->room);
    ecsp_kernel_item *it = items_of(k->room);
    for (uint32_t i = 0; i < b->items; i++) {
        if (it[i].kind == ECSP_ITEM_IN)
            ecsp_poison_reader(k->h, (ecsp_reader *)(void *)(k->room + it[i].state));
        else if (it[i].kind == ECSP_ITEM_OUT)
            ecsp_poison_writer(k->h, (ecsp_writer *)(void *)(k->room + it[i].state));
    }
    leave(k, ECSP_KSTATE_POISONED);
}

static void __attribute__((noreturn)) fail_with(ecsp__kctx *k, uint32_t error, const char *message, int has_value,
                                                int64_t value)
{
    ecsp_kernel_block *b = block_of(k->room);
    b->error = error;
    b->note = (uint64_t)(uintptr_t)message;
    b->note_value = value;
    b->message = has_value ? 1u : 0u; /* ecsp_k_outcome copies the message and sets the offset */
    leave(k, ECSP_KSTATE_FAILED);
}

/* ---- the API of kernel.h ---- */

static ecsp_kernel_item *item(ecsp__kctx *k, uint8_t index) { return items_of(k->room) + index; }

int ecsp_read(ecsp_in in, void *msg)
{
    ecsp__kctx *k = cur();
    ecsp_kernel_item *it = item(k, in.item);
    ecsp_reader *r = (ecsp_reader *)(void *)(k->room + it->state);
    for (;;) {
        int got = ecsp_recv(k->h, r, msg);
        if (got == ECSP_DONE)
            return 1;
        if (got == ECSP_SHUT_CLOSED) {
            it->flags |= ECSP_ITEM_CLOSED;
            return 0;
        }
        if (got == ECSP_SHUT_POISONED)
            poisoned(k);
        block(k, r->end + 1u);
    }
}

void ecsp_write(ecsp_out out, const void *msg)
{
    ecsp__kctx *k = cur();
    ecsp_writer *w = (ecsp_writer *)(void *)(k->room + item(k, out.item)->state);
    for (;;) {
        int sent = ecsp_send(k->h, w, msg);
        if (sent == ECSP_DONE)
            return;
        if (sent == ECSP_SHUT_POISONED)
            poisoned(k);
        if (sent == ECSP_SHUT_CLOSED)
            fail_with(k, ECSP_ERR_KERNEL_FAILED, "wrote to an output after closing it: output", 1,
                      (int64_t)item(k, out.item)->index);
        block(k, w->end + 1u);
    }
}

void ecsp_close(ecsp_out out)
{
    ecsp__kctx *k = cur();
    ecsp_writer *w = (ecsp_writer *)(void *)(k->room + item(k, out.item)->state);
    if (w->own_state == 0)
        ecsp_close_writer(k->h, w);
}

void ecsp_poison_in(ecsp_in in)
{
    ecsp__kctx *k = cur();
    ecsp_poison_reader(k->h, (ecsp_reader *)(void *)(k->room + item(k, in.item)->state));
}

void ecsp_poison_out(ecsp_out out)
{
    ecsp__kctx *k = cur();
    ecsp_poison_writer(k->h, (ecsp_writer *)(void *)(k->room + item(k, out.item)->state));
}

int ecsp_closed(ecsp_in in) { return (item(cur(), in.item)->flags & ECSP_ITEM_CLOSED) != 0; }

void ecsp_sync(ecsp_barrier bar)
{
    ecsp__kctx *k = cur();
    ecsp_barrier_part *part = (ecsp_barrier_part *)(void *)(k->room + item(k, bar.item)->state);
    while (ecsp_barrier_wait(k->h, part) != ECSP_DONE)
        block(k, ECSP_WAIT_OTHER);
}

uint64_t ecsp_now(void)
{
    ecsp__kctx *k = cur();
    return ecsp_now_ticks(k->h);
}

uint64_t ecsp_clock_hz(void)
{
    ecsp__kctx *k = cur();
    return ecsp_ticks_per_second(k->h);
}

/* n * ticks-per-second / per, saturating. */
static uint64_t ticks_of(uint64_t n, uint64_t per)
{
    uint64_t hz = ecsp_clock_hz();
    if (n > UINT64_MAX / hz)
        return UINT64_MAX;
    return n * hz / per;
}

uint64_t ecsp_us(uint64_t us) { return ticks_of(us, 1000000u); }
uint64_t ecsp_ms(uint64_t ms) { return ticks_of(ms, 1000u); }

static uint64_t deadline_after(uint64_t now, uint64_t ticks)
{
    return now > UINT64_MAX - ticks ? UINT64_MAX : now + ticks;
}

void ecsp_sleep(uint64_t ticks)
{
    ecsp__kctx *k = cur();
    uint64_t until = deadline_after(ecsp_now_ticks(k->h), ticks);
    while (ecsp_now_ticks(k->h) < until) {
        ecsp_wake_at(k->h, until);
        block(k, ECSP_WAIT_OTHER);
    }
}

/* One look at the guards from `start` on: the index of the first ready one
 * (a read guard's message read), -1 when none is, -2 when none is enabled.
 * `deadline` gets the earliest enabled deadline. */
static int look(ecsp__kctx *k, const ecsp_guard *g, int count, int start, uint64_t began, uint64_t *deadline)
{
    int enabled = 0;
    *deadline = UINT64_MAX;
    for (int n = 0; n < count; n++) {
        int i = (start + n) % count;
        if (!g[i].enabled)
            continue;
        enabled = 1;
        switch (g[i].kind) {
        case ECSP__GUARD_READ: {
            ecsp_kernel_item *it = item(k, g[i].item);
            int got = ecsp_recv(k->h, (ecsp_reader *)(void *)(k->room + it->state), g[i].msg);
            if (got == ECSP_DONE)
                return i;
            if (got == ECSP_SHUT_CLOSED) {
                it->flags |= ECSP_ITEM_CLOSED;
                return i;
            }
            if (got == ECSP_SHUT_POISONED)
                poisoned(k);
            break;
        }
        case ECSP__GUARD_SKIP:
            return i;
        case ECSP__GUARD_TIMEOUT:
        case ECSP__GUARD_DEADLINE: {
            uint64_t at = g[i].kind == ECSP__GUARD_DEADLINE ? g[i].ticks : deadline_after(began, g[i].ticks);
            if (ecsp_now_ticks(k->h) >= at)
                return i;
            if (at < *deadline)
                *deadline = at;
            break;
        }
        default:
            fail_with(k, ECSP_ERR_KERNEL_FAILED, "a select guard was not made by ecsp_on_read, ecsp_on_skip, "
                                                 "ecsp_on_timeout or ecsp_on_deadline: guard",
                      1, i);
        }
    }
    return enabled ? -1 : -2;
}

static int select_from(const ecsp_guard *g, int count, int fair)
{
    ecsp__kctx *k = cur();
    ecsp_kernel_block *b = block_of(k->room);
    if (count <= 0)
        fail_with(k, ECSP_ERR_KERNEL_FAILED, "a select needs at least one guard", 0, 0);
    int start = fair ? (int)((b->fair + 1u) % (uint32_t)count) : 0;
    uint64_t began = ecsp_now_ticks(k->h);
    for (;;) {
        uint64_t deadline;
        int chosen = look(k, g, count, start, began, &deadline);
        if (chosen >= 0) {
            if (fair)
                b->fair = (uint32_t)chosen;
            return chosen;
        }
        if (chosen == -2)
            fail_with(k, ECSP_ERR_KERNEL_FAILED, "a select with every guard disabled could never choose", 0, 0);
        if (deadline != UINT64_MAX)
            ecsp_wake_at(k->h, deadline);
        block(k, ECSP_WAIT_OTHER);
    }
}

int ecsp_pri_select(const ecsp_guard *guards, int count) { return select_from(guards, count, 0); }
int ecsp_select(const ecsp_guard *guards, int count) { return select_from(guards, count, 1); }

void ecsp_result_int(int64_t value)
{
    ecsp_kernel_block *b = block_of(cur()->room);
    b->result = (uint64_t)value;
    b->result_kind = ECSP_RESULT_INT;
}

void ecsp_result_float(double value)
{
    ecsp_kernel_block *b = block_of(cur()->room);
    union {
        double f;
        uint64_t u;
    } bits;
    bits.f = value;
    b->result = bits.u;
    b->result_kind = ECSP_RESULT_FLOAT;
}

void ecsp_fail(const char *message) { fail_with(cur(), ECSP_ERR_KERNEL_FAILED, message, 0, 0); }

void ecsp_fail_value(const char *message, int64_t value)
{
    fail_with(cur(), ECSP_ERR_KERNEL_FAILED, message, 1, value);
}

/* ---- what ECSP_KERNEL's entry calls ---- */

ecsp_in ecsp__in_at(int i)
{
    ecsp_in in = {(uint8_t)i};
    return in;
}

ecsp_out ecsp__out_at(int i)
{
    ecsp_out out = {(uint8_t)i};
    return out;
}

ecsp_barrier ecsp__barrier_at(int i)
{
    ecsp_barrier b = {(uint8_t)i};
    return b;
}

/* A parameter's value: host-written, 8-byte aligned in the room, never
 * changed while the kernel runs. */
static uint64_t param_bits(int i)
{
    ecsp__kctx *k = cur();
    return *(const uint64_t *)(const void *)(k->room + item(k, (uint8_t)i)->state);
}

int64_t ecsp__param_int(int i) { return (int64_t)param_bits(i); }

float ecsp__param_f32(int i)
{
    union {
        uint32_t u;
        float f;
    } bits;
    bits.u = (uint32_t)param_bits(i);
    return bits.f;
}

double ecsp__param_f64(int i)
{
    union {
        uint64_t u;
        double f;
    } bits;
    bits.u = param_bits(i);
    return bits.f;
}

/* ---- the runtime's side ---- */

static uint32_t item_size(uint32_t kind)
{
    switch (kind) {
    case ECSP_ITEM_IN:
        return (uint32_t)sizeof(ecsp_reader);
    case ECSP_ITEM_OUT:
        return (uint32_t)sizeof(ecsp_writer);
    case ECSP_ITEM_BARRIER:
        return (uint32_t)sizeof(ecsp_barrier_part);
    case ECSP_ITEM_PARAM:
        return 8u;
    default:
        return 0u;
    }
}

ECSP__EXPORT uint32_t ecsp_k_init(const ecsp_hal *h, void *state, uint32_t room, uint32_t record,
                                  uint32_t ends_offset, uint32_t end_count)
{
    uint8_t *r = (uint8_t *)state;
    ecsp_kernel_block *b = block_of(r);
    ecsp_kernel_item *it = items_of(r);
    if (b->magic != ECSP_KERNEL_MAGIC || b->items > ECSP_MAX_KERNEL_ITEMS)
        return ECSP_BOOT_CORRUPT;
    /* 32-bit arithmetic that cannot overflow (items <= 32): fixed + 8 +
     * stack <= room */
    uint32_t fixed = (uint32_t)sizeof(ecsp_kernel_block) + b->items * (uint32_t)sizeof(ecsp_kernel_item);
    if (b->stack % 8u != 0 || room < fixed + 8u || b->stack > room - fixed - 8u || ((uintptr_t)state & 7u) != 0)
        return ECSP_BOOT_CORRUPT;
    ecsp_task_record t;
    ecsp_read_local(h, record, &t, sizeof t);
    uint32_t stack_floor = room - b->stack - 8u;
    for (uint32_t i = 0; i < b->items; i++) {
        uint32_t size = item_size(it[i].kind);
        if (it[i].kind > ECSP_ITEM_PARAM || (size && (it[i].state < fixed || it[i].state % 8u != 0 ||
                                                      it[i].state + size > stack_floor)))
            return ECSP_BOOT_CORRUPT;
    }
    b->state = ECSP_KSTATE_READY;
    b->context = 0;
    b->result = 0;
    b->note = 0;
    b->note_value = 0;
    b->result_kind = ECSP_RESULT_NONE;
    b->error = 0;
    b->message = 0;
    b->record = record;
    b->first_end = t.first_end;
    b->fair = 0xFFFFFFFFu;
    uint32_t *canary = (uint32_t *)(void *)(r + stack_floor);
    canary[0] = canary[1] = ECSP_STACK_CANARY;
    /* Ports and barriers: a mismatch fails the kernel at its first step. */
    uint32_t task = ecsp_task_index(h, record);
    for (uint32_t i = 0; i < b->items && b->error == 0; i++) {
        uint32_t err = 0;
        void *s = r + it[i].state;
        it[i].flags = 0;
        if (it[i].kind == ECSP_ITEM_IN || it[i].kind == ECSP_ITEM_OUT) {
            uint32_t end = end_of(b, &it[i], t.inputs);
            uint32_t within = it[i].kind == ECSP_ITEM_IN ? t.inputs : t.outputs;
            if (it[i].index >= within || end >= end_count)
                err = ECSP_ERR_MISSING_END;
            else if (it[i].kind == ECSP_ITEM_IN)
                err = ecsp_open_reader(h, (ecsp_reader *)s, ends_offset, end, it[i].msg_size);
            else
                err = ecsp_open_writer(h, (ecsp_writer *)s, ends_offset, end, it[i].msg_size);
        } else if (it[i].kind == ECSP_ITEM_BARRIER) {
            err = ecsp_barrier_open(h, (ecsp_barrier_part *)s, task, it[i].index);
        }
        if (err) {
            b->error = err;
            b->state = ECSP_KSTATE_FAILED;
        }
    }
    return 0;
}

/* Closes the write ends a returning kernel left open. */
static void close_outputs(ecsp__kctx *k)
{
    ecsp_kernel_block *b = block_of(k->room);
    ecsp_kernel_item *it = items_of(k->room);
    for (uint32_t i = 0; i < b->items; i++) {
        if (it[i].kind != ECSP_ITEM_OUT)
            continue;
        ecsp_writer *w = (ecsp_writer *)(void *)(k->room + it[i].state);
        if (w->own_state == 0)
            ecsp_close_writer(k->h, w);
    }
}

ECSP__EXPORT void ecsp_k_main(void (*entry)(void))
{
    ecsp__kctx *k = cur();
    ecsp_kernel_block *b = block_of(k->room);
    if (b->state == ECSP_KSTATE_READY) {
        b->state = ECSP_KSTATE_RUNNING;
        entry();
        close_outputs(k);
        b->state = ECSP_KSTATE_RETURNED;
    }
#ifdef ECSP_HAL_SILICON
    for (;;)
        suspend(k);
#endif
}

ECSP__EXPORT int ecsp_k_outcome(const ecsp_hal *h, void *state, ecsp_outcome *out)
{
    uint8_t *r = (uint8_t *)state;
    ecsp_kernel_block *b = block_of(r);
    (void)h;
    out->value = b->result;
    out->aux = b->state == ECSP_KSTATE_POISONED ? 1u : 0u;
    out->ticks = 0;
    out->error = 0;
    out->detail = 0;
    if (b->state != ECSP_KSTATE_FAILED)
        return ECSP_DONE;
    out->error = b->error ? b->error : ECSP_ERR_KERNEL_FAILED;
    if (b->error == ECSP_ERR_KERNEL_FAILED && b->note != 0) {
        /* The message goes where the stack was: the kernel is over. */
        uint32_t at = (uint32_t)((sizeof(ecsp_kernel_block) + b->items * sizeof(ecsp_kernel_item) + 7u) & ~7u);
        ecsp_kernel_item *it = items_of(r);
        for (uint32_t i = 0; i < b->items; i++) {
            uint32_t end = it[i].state + item_size(it[i].kind);
            if (item_size(it[i].kind) && end > at)
                at = end;
        }
        at = (at + 7u) & ~7u;
        const char *m = (const char *)(uintptr_t)b->note;
        uint32_t cap = ECSP_MAX_MESSAGE + 1u, len = 0;
        uint8_t *dst = r + at;
        /* room - at: the canary and the stack, at least 8 bytes */
        uint32_t room_left = ecsp_load_word(h, b->record + ECSP_TASK_STATE_OFFSET_OFFSET + 4u) - at;
        if (cap > room_left)
            cap = room_left;
        while (len + 1u < cap && m[len] != 0) {
            dst[len] = (uint8_t)m[len];
            len++;
        }
        dst[len] = 0;
        /* The host appends note_value when note says so (PROTOCOL.md). */
        b->note = b->message == 1u ? 1u : 0u;
        b->message = at;
    } else {
        b->message = 0;
    }
    return ECSP_DONE;
}

#ifdef ECSP_HAL_SILICON
/* The kernels of this image, by kind id: the host generates the table for
 * each core's image (only the kernels that core runs). */
typedef struct ecsp_kernel_entry {
    uint32_t kind;
    void (*entry)(void);
} ecsp_kernel_entry;
#if ECSP_IMAGE_KERNELS
/* In the image's kernel table, which the host generates for the core. */
extern const ecsp_kernel_entry ecsp_kernel_table[];
extern const uint32_t ecsp_kernel_count;
#endif

static void (*ecsp_k_entry(uint32_t kind))(void)
{
#if ECSP_IMAGE_KERNELS
    for (uint32_t i = 0; i < ecsp_kernel_count; i++)
        if (ecsp_kernel_table[i].kind == kind)
            return ecsp_kernel_table[i].entry;
#else
    (void)kind;
#endif
    return 0;
}

/* silicon/switch.S: where a new kernel's first switch lands; it calls
 * ecsp_k_main with r4, the entry. */
void ecsp__kernel_start(void) __asm__("ecsp__kernel_start");

/* Registers ecsp__switch saves: r4-r11, r32-r43, r14 (lr), r15. */
#define SWITCH_FRAME 88u

int ecsp_k_step(const ecsp_hal *h, void *state, ecsp_outcome *out)
{
    uint8_t *r = (uint8_t *)state;
    ecsp_kernel_block *b = block_of(r);
    uint32_t room = ecsp_load_word(h, b->record + ECSP_TASK_STATE_OFFSET_OFFSET + 4u);
    if (b->state == ECSP_KSTATE_READY) {
        void (*entry)(void) = ecsp_k_entry(ecsp_load_word(h, b->record) & ~ECSP_KIND_C_FLAG);
        if (entry == 0) {
            b->error = ECSP_ERR_BAD_KERNEL;
            b->state = ECSP_KSTATE_FAILED;
            return ecsp_k_outcome(h, state, out);
        }
        /* 8 bytes above the stack pointer belong to the function called
         * (GCC's epiphany ABI): keep them inside the room. */
        uint32_t top = (((uint32_t)(uintptr_t)r + room) & ~7u) - 8u;
        uint32_t *frame = (uint32_t *)(uintptr_t)(top - SWITCH_FRAME);
        for (uint32_t i = 0; i < SWITCH_FRAME / 4u; i++)
            frame[i] = 0;
        frame[0] = (uint32_t)(uintptr_t)entry;              /* r4 */
        frame[20] = (uint32_t)(uintptr_t)ecsp__kernel_start; /* r14: where `rts` goes */
        b->context = (uint32_t)(uintptr_t)frame;
    }
    if (b->state == ECSP_KSTATE_READY || b->state == ECSP_KSTATE_RUNNING) {
        running.h = h;
        running.room = r;
        uint32_t sp = (uint32_t)b->context;
        ecsp__switch(&executor_sp, sp);
    }
    const uint32_t *canary = (const uint32_t *)(const void *)(r + room - b->stack - 8u);
    if (canary[0] != ECSP_STACK_CANARY || canary[1] != ECSP_STACK_CANARY) {
        b->error = ECSP_ERR_STACK_OVERFLOW;
        b->state = ECSP_KSTATE_FAILED;
    }
    if (b->state == ECSP_KSTATE_RUNNING)
        return ECSP_BLOCKED;
    return ecsp_k_outcome(h, state, out);
}
#endif
