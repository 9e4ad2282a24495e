/* Barriers: the software dissemination barrier and the chip-wide WAND
 * barrier, step for step as PROTOCOL.md section 6 and the Rust runtime's
 * device/src/barrier.rs. Every flag word has one writer core and is polled
 * only by the core it lives on; episodes count from 1 and are compared by
 * wrapping difference. */
#include "ecsp/runtime.h"

/* `seen` has reached `episode` (mod 2^32). */
static int reached(uint32_t seen, uint32_t episode) { return (int32_t)(seen - episode) >= 0; }

uint32_t ecsp_barrier_rounds(uint32_t size)
{
    uint32_t rounds = 0;
    while (rounds < 32 && (1u << rounds) < size)
        rounds++;
    return rounds;
}

uint32_t ecsp_task_index(const ecsp_hal *h, uint32_t record)
{
    uint32_t x = record - ecsp_load_word(h, ECSP_BOOT_OFFSET + 20u), q = 0, r = 0;
    for (int bit = 31; bit >= 0; bit--) {
        r = (r << 1) | ((x >> bit) & 1u);
        q <<= 1;
        if (r >= (uint32_t)sizeof(ecsp_task_record)) {
            r -= (uint32_t)sizeof(ecsp_task_record);
            q |= 1u;
        }
    }
    return q;
}

uint32_t ecsp_barrier_open(const ecsp_hal *h, ecsp_barrier_part *b, uint32_t task, uint32_t index)
{
    ecsp_boot_header head;
    ecsp_read_local(h, ECSP_BOOT_OFFSET, &head, sizeof head);
    for (uint32_t i = 0; i < head.barrier_count; i++) {
        ecsp_barrier_record r;
        ecsp_read_local(h, head.barriers_offset + i * (uint32_t)sizeof r, &r, sizeof r);
        if (r.task != task)
            continue;
        if (index-- != 0)
            continue;
        uint32_t arrived = ecsp_load_word(h, r.block + ECSP_BARRIER_ARRIVED);
        uint32_t left = ecsp_load_word(h, r.block + ECSP_BARRIER_LEFT);
        b->kind = r.kind;
        b->block = r.block;
        b->roster = r.roster;
        b->rank = r.rank;
        b->size = r.size;
        /* A participant that stopped inside an episode resumes it. */
        b->episode = arrived;
        b->active = arrived != left;
        b->rounds = ecsp_barrier_rounds(r.size);
        b->round = 0;
        b->signalled = 0;
        b->wand_block = head.wand_offset;
        b->reserved = 0;
        return 0;
    }
    return ECSP_ERR_MISSING_BARRIER;
}

/* Starts a new episode unless one is under way: 1 when it did. */
static int arrive(const ecsp_hal *h, ecsp_barrier_part *b)
{
    if (b->active)
        return 0;
    b->episode += 1;
    ecsp_store_word(h, b->block + ECSP_BARRIER_ARRIVED, b->episode);
    b->active = 1;
    return 1;
}

static void leave(const ecsp_hal *h, ecsp_barrier_part *b)
{
    ecsp_store_word(h, b->block + ECSP_BARRIER_LEFT, b->episode);
    b->active = 0;
}

/* Global address of the block of the participant of rank `rank`. */
static uint32_t block_of(const ecsp_hal *h, const ecsp_barrier_part *b, uint32_t rank)
{
    return ecsp_load_word(h, b->roster + 4u * rank);
}

static int wait_dissemination(const ecsp_hal *h, ecsp_barrier_part *b)
{
    if (arrive(h, b)) {
        b->round = 0;
        b->signalled = 0;
    }
    while (b->round < b->rounds) {
        uint32_t k = b->round;
        if (!b->signalled) {
            uint32_t partner = (uint32_t)(((uint64_t)b->rank + (1ull << k)) % b->size);
            uint32_t flag = block_of(h, b, partner) + ECSP_BARRIER_FLAGS + 4u * k;
            /* Flag, then interrupt: same source, same destination. */
            ecsp_write_word(h, flag, b->episode);
            ecsp_wake(h, flag >> 20);
            b->signalled = 1;
        }
        if (!reached(ecsp_load_word(h, b->block + ECSP_BARRIER_FLAGS + 4u * k), b->episode))
            return ECSP_BLOCKED;
        b->round += 1;
        b->signalled = 0;
    }
    leave(h, b);
    return ECSP_DONE;
}

static int wait_wand(const ecsp_hal *h, ecsp_barrier_part *b)
{
    uint32_t core = b->wand_block;
    if (arrive(h, b)) {
        /* The core's members count in; the last one raises the flag. */
        uint32_t arrived = ecsp_load_word(h, core + ECSP_WAND_ARRIVED) + 1u;
        if (arrived >= ecsp_load_word(h, core + ECSP_WAND_MEMBERS)) {
            ecsp_store_word(h, core + ECSP_WAND_ARRIVED, 0);
            ecsp_wand(h);
        } else {
            ecsp_store_word(h, core + ECSP_WAND_ARRIVED, arrived);
        }
    }
    /* Whoever sees the latch counts the completion for the whole core. */
    if (ecsp_take_wand(h))
        ecsp_store_word(h, core + ECSP_WAND_COMPLETED, ecsp_load_word(h, core + ECSP_WAND_COMPLETED) + 1u);
    if (!reached(ecsp_load_word(h, core + ECSP_WAND_COMPLETED), b->episode))
        return ECSP_BLOCKED;
    leave(h, b);
    return ECSP_DONE;
}

int ecsp_barrier_wait(const ecsp_hal *h, ecsp_barrier_part *b)
{
    return b->kind == ECSP_BARRIER_WAND ? wait_wand(h, b) : wait_dissemination(h, b);
}

uint32_t ecsp_barrier_laggards(const ecsp_hal *h, const ecsp_barrier_part *b)
{
    uint32_t count = 0;
    for (uint32_t rank = 0; rank < b->size; rank++) {
        if (rank == b->rank)
            continue;
        uint32_t word;
        ecsp_mesh_read(h, block_of(h, b, rank) + ECSP_BARRIER_ARRIVED, &word, 4);
        if (!reached(word, b->episode))
            count++;
    }
    return count;
}
