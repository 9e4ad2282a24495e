/* The per-core executor of the C runtime: reads the boot table the host
 * wrote at 0x2000, builds every process's state in the task arena, and
 * steps the processes in rounds (PROTOCOL.md section 5, and "Wake-ups and
 * the executor" in section 4). On silicon crt0 calls ecsp_boot once and
 * then ecsp_round until nothing is live, sleeping between rounds when no
 * user interrupt was latched. In ecsp's simulator the Rust executor
 * schedules C processes itself (ecsp-device's `c_runtime`), and these two
 * functions are exercised by device tests over a simulated SRAM. */
#include "ecsp/runtime.h"

/* Whether `bytes` at `offset` (a multiple of `align_mask` + 1) lie between
 * the boot table and the stack reserve. In 32-bit arithmetic that cannot
 * overflow: the Epiphany's 64-bit sums and compares cost code. */
static int area_ok(uint32_t offset, uint32_t bytes, uint32_t align_mask)
{
    return (offset & align_mask) == 0 && offset >= ECSP_BOOT_OFFSET && offset <= ECSP_STACK_BOTTOM &&
           bytes <= ECSP_STACK_BOTTOM - offset;
}

/* A count to multiply by a record's size (at most 96) without overflow: one
 * of 0x8000 or more never fits anyway, and neither does 0x8000 records. */
static uint32_t capped(uint32_t count) { return count < 0x8000u ? count : 0x8000u; }

/* The barrier part of the boot checks (PROTOCOL.md section 6). */
static int barriers_fit(const ecsp_hal *h, const ecsp_boot_header *b)
{
    if (b->wand_offset != 0 && !area_ok(b->wand_offset, (uint32_t)sizeof(ecsp_wand_block), 7u))
        return 0;
    if (b->barrier_count == 0)
        return 1;
    if (!area_ok(b->barriers_offset, capped(b->barrier_count) * (uint32_t)sizeof(ecsp_barrier_record), 3u))
        return 0;
    for (uint32_t i = 0; i < b->barrier_count; i++) {
        ecsp_barrier_record r;
        ecsp_read_local(h, b->barriers_offset + i * (uint32_t)sizeof r, &r, sizeof r);
        int kind_ok = r.kind == ECSP_BARRIER_DISSEMINATION || (r.kind == ECSP_BARRIER_WAND && b->wand_offset != 0);
        if (!kind_ok || r.task >= b->task_count || r.size < 1 || r.rank >= r.size)
            return 0;
        /* A participant's block: its two words, and a flag per dissemination round. */
        uint32_t block = r.kind == ECSP_BARRIER_DISSEMINATION ? (8u + 4u * ecsp_barrier_rounds(r.size) + 7u) & ~7u : 8u;
        if (!area_ok(r.block, block, 7u) || !area_ok(r.roster, capped(r.size) * 4u, 3u))
            return 0;
    }
    return 1;
}

static uint32_t record_of(const ecsp_executor *ex, uint32_t i)
{
    return ex->tasks_offset + i * (uint32_t)sizeof(ecsp_task_record);
}

static uint32_t boot_inner(const ecsp_hal *h, ecsp_executor *ex, uint32_t core_id, uintptr_t sram)
{
    ecsp_boot_header b;
    ecsp_read_local(h, ECSP_BOOT_OFFSET, &b, sizeof b);
    if (b.magic != ECSP_BOOT_MAGIC)
        return ECSP_BOOT_NO_TABLE;
    if (b.version != ECSP_BOOT_VERSION)
        return ECSP_BOOT_VERSION_MISMATCH;
    if (b.core_id != core_id)
        return ECSP_BOOT_WRONG_CORE;
    if (b.task_count > ECSP_MAX_TASKS_PER_CORE)
        return ECSP_BOOT_TOO_MANY_TASKS;
    if (!area_ok(b.tasks_offset, b.task_count * (uint32_t)sizeof(ecsp_task_record), 7u) ||
        !area_ok(b.ends_offset, capped(b.end_count) * (uint32_t)sizeof(ecsp_end_record), 3u) ||
        !area_ok(b.arena_offset, b.arena_size, 7u) || !barriers_fit(h, &b))
        return ECSP_BOOT_CORRUPT;
    ex->count = 0;
    ex->live = 0;
    ex->tasks_offset = b.tasks_offset;
    ex->arena_offset = b.arena_offset;
    ex->current = ECSP_NO_TASK;
    ex->reserved = 0;
    for (uint32_t i = 0; i < ECSP_MAX_TASKS_PER_CORE / 32; i++)
        ex->live_bits[i] = 0;
    for (uint32_t i = 0; i < b.task_count; i++) {
        uint32_t record = record_of(ex, i);
        ecsp_task_record t;
        ecsp_read_local(h, record, &t, sizeof t);
        if (!ecsp_ends_fit(t.first_end, t.inputs, t.outputs, b.end_count) || t.state_offset > b.arena_size ||
            t.state_size > b.arena_size - t.state_offset)
            return ECSP_BOOT_CORRUPT;
        void *state = (void *)(sram + b.arena_offset + t.state_offset);
        uint32_t err;
#if defined(ECSP_HAL_SILICON) && ECSP_IMAGE_KERNELS
        if (ecsp_is_kernel(t.kind))
            err = ecsp_k_init(h, state, t.state_size, record, b.ends_offset, b.end_count);
        else
#endif
            err = ecsp_c_init(h, state, t.state_size, record, b.ends_offset, b.end_count);
        if (err)
            return err;
        ex->live_bits[i / 32] |= 1u << (i % 32);
        ex->count++;
        ex->live++;
    }
    /* Only once every process is built: a failed boot leaves all LOADED. */
    for (uint32_t i = 0; i < ex->count; i++)
        ecsp_store_word(h, record_of(ex, i) + ECSP_TASK_STATUS_OFFSET, ECSP_STATUS_RUNNING);
    return 0;
}

uint32_t ecsp_boot(const ecsp_hal *h, ecsp_executor *ex, uint32_t core_id, uintptr_t sram)
{
    uint32_t err = boot_inner(h, ex, core_id, sram);
    if (err)
        ecsp_store_word(h, ECSP_BOOT_OFFSET + ECSP_BOOT_ERROR_OFFSET, err);
    ecsp_store_word(h, ECSP_BOOT_OFFSET + ECSP_CORE_STATUS_OFFSET, err ? ECSP_STATUS_FAULTED : ECSP_STATUS_RUNNING);
    return err;
}

/* Results first, then the status with release ordering: the host reads the
 * results only after it sees a final status. */
static void finish(const ecsp_hal *h, uint32_t record, const ecsp_outcome *o)
{
    uint32_t w[7];
    uint64_t v[3] = {o->error ? 0 : o->value, o->error ? 0 : o->aux, o->error ? 0 : o->ticks};
    for (int i = 0; i < 3; i++) {
        w[2 * i] = (uint32_t)v[i];
        w[2 * i + 1] = (uint32_t)(v[i] >> 32);
    }
    w[6] = o->error;
    for (uint32_t i = 0; i < 7; i++)
        ecsp_store_word(h, record + ECSP_TASK_VALUE_OFFSET + 4 * i, w[i]);
    ecsp_store_word(h, record + ECSP_TASK_STATUS_OFFSET, o->error ? ECSP_STATUS_FAILED : ECSP_STATUS_FINISHED);
}

uint32_t ecsp_round(const ecsp_hal *h, ecsp_executor *ex, uintptr_t sram)
{
    for (uint32_t i = 0; i < ex->count; i++) {
        if (!(ex->live_bits[i / 32] & (1u << (i % 32))))
            continue;
        uint32_t record = record_of(ex, i);
        /* host-written, constant while the core runs */
        uint32_t state = ex->arena_offset + ecsp_load_word(h, record + ECSP_TASK_STATE_OFFSET_OFFSET);
        ecsp_outcome o;
        ex->current = i;
        int done;
#if defined(ECSP_HAL_SILICON) && ECSP_IMAGE_KERNELS
        if (ecsp_is_kernel(ecsp_load_word(h, record)))
            done = ecsp_k_step(h, (void *)(sram + state), &o);
        else
#endif
            done = ecsp_c_step(h, (void *)(sram + state), &o);
        ex->current = ECSP_NO_TASK;
        if (done == ECSP_DONE) {
            ex->live_bits[i / 32] &= ~(1u << (i % 32));
            ex->live--;
            finish(h, record, &o);
        }
    }
    if (ex->live == 0)
        ecsp_store_word(h, ECSP_BOOT_OFFSET + ECSP_CORE_STATUS_OFFSET, ECSP_STATUS_FINISHED);
    return ex->live;
}
