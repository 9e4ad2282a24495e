/* Channel endpoints: one-to-one (rendezvous and buffered) and the reader of
 * any-to-one channels, step for step as PROTOCOL.md section 4 and the Rust
 * runtime (device/src/channel/one2one.rs, any2one.rs).
 *
 * Every poll is a load of this core's own SRAM (ecsp_load_word), every
 * access to another core a posted write (ecsp_write, ecsp_write_word,
 * ecsp_wake); payload before counter and copy-out before acknowledgement,
 * each pair from one core to one other core, which the mesh delivers in
 * order. Each shared word has one writer core: `written`, `writer_state`
 * and the slots (in the reader's ring) the writer; `taken` and
 * `reader_state` (in the writer's ack block) the reader. */
#include "ecsp/runtime.h"

static uint32_t end_offset(uint32_t ends_offset, uint32_t end)
{
    return ends_offset + end * (uint32_t)sizeof(ecsp_end_record);
}

static int block_ok(uint32_t offset, uint32_t size)
{
    return offset % ECSP_BLOCK_ALIGN == 0 && (uint64_t)offset + size <= ECSP_SRAM_SIZE;
}

/* The checks of the Rust runtime's `channel::check` (PROTOCOL.md section 5,
 * "Channel ends are checked when a process first takes them"). */
static uint32_t check_end(const ecsp_end_record *e, int write, uint32_t msg_size)
{
    if (e->direction > ECSP_END_SHARED_WRITE || (int)(e->direction & 1u) != write)
        return ECSP_ERR_WRONG_DIRECTION;
    /* This runtime has no shared (one-to-any, any-to-any) ends yet. */
    if (e->direction == ECSP_END_SHARED_READ || e->direction == ECSP_END_SHARED_WRITE)
        return ECSP_ERR_WRONG_DIRECTION;
    if (e->msg_size != msg_size)
        return ECSP_ERR_SIZE_MISMATCH;
    int merge = !write && (e->lanes > 1 || e->table != 0);
    uint32_t offset, size;
    if (merge) {
        offset = e->table;
        size = e->lanes > ECSP_MAX_LANES ? ECSP_SRAM_SIZE + 1 : e->lanes * (uint32_t)sizeof(ecsp_lane_record);
    } else if (write) {
        offset = e->local;
        size = ECSP_ACK_BLOCK_SIZE;
    } else {
        offset = e->local;
        size = e->capacity > ECSP_MAX_CAPACITY ? ECSP_SRAM_SIZE + 1 : ecsp_ring_block_size(e->capacity, e->msg_size);
    }
    if (!block_ok(offset, size))
        return ECSP_ERR_BAD_BLOCK;
    if (e->capacity > ECSP_MAX_CAPACITY || e->lanes == 0 || e->lanes > ECSP_MAX_LANES || (!merge && e->lanes != 1))
        return ECSP_ERR_BAD_BLOCK;
    return 0;
}

uint32_t ecsp_open_writer(const ecsp_hal *h, ecsp_writer *w, uint32_t ends_offset, uint32_t end, uint32_t msg_size)
{
    ecsp_end_record e;
    ecsp_read_local(h, end_offset(ends_offset, end), &e, sizeof e);
    uint32_t err = check_end(&e, 1, msg_size);
    if (err)
        return err;
    w->ack = e.local;
    w->ring = e.remote;
    w->reader = e.peer;
    w->slots = ecsp_slot_count(e.capacity);
    w->stride = ecsp_slot_stride(e.msg_size);
    w->msg_size = e.msg_size;
    w->written = 0;
    w->next_slot = 0;
    w->end = end;
    w->own_state = 0;
    w->rendezvous = e.capacity == 0;
    w->put = 0;
    w->reserved = 0;
    return 0;
}

uint32_t ecsp_open_reader(const ecsp_hal *h, ecsp_reader *r, uint32_t ends_offset, uint32_t end, uint32_t msg_size)
{
    ecsp_end_record e;
    ecsp_read_local(h, end_offset(ends_offset, end), &e, sizeof e);
    uint32_t err = check_end(&e, 0, msg_size);
    if (err)
        return err;
    int merge = e.lanes > 1 || e.table != 0;
    r->ring = merge ? e.table : e.local;
    r->ack = e.remote;
    r->writer = e.peer;
    r->lanes = merge ? e.lanes : 0;
    r->slots = ecsp_slot_count(e.capacity);
    r->stride = ecsp_slot_stride(e.msg_size);
    r->msg_size = e.msg_size;
    r->taken = 0;
    r->next_slot = 0;
    r->start = 0;
    r->end = end;
    r->own_state = 0;
    return 0;
}

/* ---- send (PROTOCOL.md "Send") ---- */

int ecsp_send(const ecsp_hal *h, ecsp_writer *w, const void *msg)
{
    /* Step 0 and the verdict of step 5: the reader's state before `taken`,
     * so an acknowledgement written before a poison is seen. */
    uint32_t shut = w->own_state | ecsp_load_word(h, w->ack + ECSP_ACK_READER_STATE);
    if (!w->put) {
        if (shut & ECSP_POISONED)
            return ECSP_SHUT_POISONED;
        if (shut & ECSP_CLOSED)
            return ECSP_SHUT_CLOSED;
        /* Step 1: room? */
        uint32_t taken = ecsp_load_word(h, w->ack + ECSP_ACK_TAKEN);
        if (w->written - taken >= w->slots)
            return ECSP_BLOCKED;
        /* Steps 2-4: payload, publish, wake; one destination, in order. */
        ecsp_write(h, w->ring + ECSP_RING_SLOTS + w->next_slot * w->stride, msg, w->msg_size);
        w->written += 1;
        w->next_slot = w->next_slot + 1 == w->slots ? 0 : w->next_slot + 1;
        ecsp_write_word(h, w->ring + ECSP_RING_WRITTEN, w->written);
        ecsp_wake(h, w->reader);
        w->put = 1;
    }
    /* Step 5 (rendezvous): the reader has it once `taken == written`. */
    if (!w->rendezvous || ecsp_load_word(h, w->ack + ECSP_ACK_TAKEN) == w->written) {
        w->put = 0;
        return ECSP_DONE;
    }
    if (shut & ECSP_POISONED) {
        w->put = 0;
        return ECSP_SHUT_POISONED;
    }
    return ECSP_BLOCKED;
}

void ecsp_close(const ecsp_hal *h, ecsp_writer *w)
{
    if (w->own_state == 0) {
        w->own_state = ECSP_CLOSED;
        ecsp_write_word(h, w->ring + ECSP_RING_WRITER_STATE, ECSP_CLOSED);
        ecsp_wake(h, w->reader);
    }
}

void ecsp_poison_writer(const ecsp_hal *h, ecsp_writer *w)
{
    if (!(w->own_state & ECSP_POISONED)) {
        w->own_state |= ECSP_POISONED;
        /* CLOSED | POISONED when this end closed before */
        ecsp_write_word(h, w->ring + ECSP_RING_WRITER_STATE, w->own_state);
        ecsp_wake(h, w->reader);
    }
}

/* ---- receive (PROTOCOL.md "Receive", and "LaneRecord" for any-to-one) ---- */

static uint32_t lane(const ecsp_reader *r, uint32_t i) { return r->ring + i * (uint32_t)sizeof(ecsp_lane_record); }

static void poison_lanes(const ecsp_hal *h, const ecsp_reader *r)
{
    for (uint32_t i = 0; i < r->lanes; i++) {
        uint32_t l = lane(r, i);
        uint32_t ack = ecsp_load_word(h, l + 4);
        uint32_t peer = ecsp_load_word(h, l + 8);
        ecsp_write_word(h, ack + ECSP_ACK_READER_STATE, ECSP_POISONED);
        ecsp_wake(h, peer);
    }
}

void ecsp_poison_reader(const ecsp_hal *h, ecsp_reader *r)
{
    if (r->own_state & ECSP_POISONED)
        return;
    r->own_state = ECSP_POISONED;
    if (r->lanes) {
        poison_lanes(h, r);
    } else {
        ecsp_write_word(h, r->ack + ECSP_ACK_READER_STATE, ECSP_POISONED);
        ecsp_wake(h, r->writer);
    }
}

/* Copies slot `slot` of the ring at `ring` out, then acknowledges `taken`
 * to the writer: the copy is complete before the writer can reuse it. */
static void take(const ecsp_hal *h, const ecsp_reader *r, uint32_t ring, uint32_t slot, void *buf, uint32_t ack,
                 uint32_t peer, uint32_t taken)
{
    ecsp_read_local(h, ring + ECSP_RING_SLOTS + slot * r->stride, buf, r->msg_size);
    ecsp_write_word(h, ack + ECSP_ACK_TAKEN, taken);
    ecsp_wake(h, peer);
}

static int recv_lanes(const ecsp_hal *h, ecsp_reader *r, void *buf)
{
    uint32_t closed = 0;
    for (uint32_t k = 0; k < r->lanes; k++) {
        uint32_t i = (r->start + k) % r->lanes;
        uint32_t l = lane(r, i);
        uint32_t ring = ecsp_load_word(h, l);
        /* The lane's state before its counter: CLOSED seen means final. */
        uint32_t state = ecsp_load_word(h, ring + ECSP_RING_WRITER_STATE);
        if (state & ECSP_POISONED) {
            /* A writer's poison reaches the other writers through us. */
            ecsp_poison_reader(h, r);
            return ECSP_SHUT_POISONED;
        }
        uint32_t written = ecsp_load_word(h, ring + ECSP_RING_WRITTEN);
        uint32_t taken = ecsp_load_word(h, l + ECSP_LANE_TAKEN_OFFSET);
        if (written != taken) {
            uint32_t slot = ecsp_load_word(h, l + ECSP_LANE_NEXT_SLOT_OFFSET);
            taken += 1;
            ecsp_store_word(h, l + ECSP_LANE_TAKEN_OFFSET, taken);
            ecsp_store_word(h, l + ECSP_LANE_NEXT_SLOT_OFFSET, slot + 1 == r->slots ? 0 : slot + 1);
            take(h, r, ring, slot, buf, ecsp_load_word(h, l + 4), ecsp_load_word(h, l + 8), taken);
            r->start = (i + 1) % r->lanes;
            return ECSP_DONE;
        }
        if (state & ECSP_CLOSED)
            closed++;
    }
    return closed == r->lanes ? ECSP_SHUT_CLOSED : ECSP_BLOCKED;
}

int ecsp_recv(const ecsp_hal *h, ecsp_reader *r, void *buf)
{
    if (r->own_state & ECSP_POISONED)
        return ECSP_SHUT_POISONED;
    if (r->lanes)
        return recv_lanes(h, r, buf);
    /* Step 1: the state before the counter. */
    uint32_t state = ecsp_load_word(h, r->ring + ECSP_RING_WRITER_STATE);
    if (state & ECSP_POISONED)
        return ECSP_SHUT_POISONED;
    if (ecsp_load_word(h, r->ring + ECSP_RING_WRITTEN) != r->taken) {
        uint32_t slot = r->next_slot;
        r->taken += 1;
        r->next_slot = slot + 1 == r->slots ? 0 : slot + 1;
        take(h, r, r->ring, slot, buf, r->ack, r->writer, r->taken);
        return ECSP_DONE;
    }
    return (state & ECSP_CLOSED) ? ECSP_SHUT_CLOSED : ECSP_BLOCKED;
}
