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

/* offset + size <= SRAM_SIZE, in 32-bit arithmetic that cannot overflow
 * (the Epiphany's 64-bit compares cost code). */
static int in_sram(uint32_t offset, uint32_t size)
{
    return offset <= ECSP_SRAM_SIZE && size <= ECSP_SRAM_SIZE - offset;
}

static int block_ok(uint32_t offset, uint32_t size) { return offset % ECSP_BLOCK_ALIGN == 0 && in_sram(offset, size); }

/* (start + k) % n for start, k < n, without a division (the Epiphany has
 * none: `%` is a call to libgcc's 320-byte __umodsi3). */
static uint32_t wrap(uint32_t i, uint32_t n) { return i >= n ? i - n : i; }

/* Address of slot `slot` of the ring block at `ring`; with ring 0 and
 * slot `slots`, the size of the block. The one multiply of the channels, out
 * of line: the Epiphany multiplies in its FPU, and GCC switches the FPU's
 * mode around each multiply and again on every path out of a function that
 * has one, some 40 bytes each time. */
static uint32_t __attribute__((noinline)) slot_addr(uint32_t ring, uint32_t slot, uint32_t stride)
{
    return ring + ECSP_RING_SLOTS + slot * stride;
}

/* The checks of the Rust runtime's `channel::check` and `check_share`
 * (PROTOCOL.md section 5, "Channel ends are checked when a process first
 * takes them"). */
static uint32_t check_end(const ecsp_hal *h, const ecsp_end_record *e, int write, uint32_t msg_size)
{
    if (e->direction > ECSP_END_SHARED_WRITE || (int)(e->direction & 1u) != write)
        return ECSP_ERR_WRONG_DIRECTION;
    if (e->msg_size != msg_size)
        return ECSP_ERR_SIZE_MISMATCH;
    /* Every other fault is ECSP_ERR_BAD_BLOCK, so the checks go in whichever
     * order costs least code: the counts first, which bounds the sizes. */
    uint32_t lanes = e->lanes;
    if (e->capacity > ECSP_MAX_CAPACITY || lanes == 0 || lanes > ECSP_MAX_LANES)
        return ECSP_ERR_BAD_BLOCK;
    int shared = e->direction >= ECSP_END_SHARED_READ;
    int merge = e->direction == ECSP_END_READ && (lanes > 1 || e->table != 0);
    /* by constants: shifts and adds, no multiply */
    uint32_t lanes_bytes =
        write ? lanes * (uint32_t)sizeof(ecsp_out_lane_record) : lanes * (uint32_t)sizeof(ecsp_lane_record);
    uint32_t offset = e->local, size;
    if (shared) {
        if (!block_ok(e->table, lanes_bytes))
            return ECSP_ERR_BAD_BLOCK;
        size = (uint32_t)sizeof(ecsp_share_record);
    } else if (merge) {
        offset = e->table;
        size = lanes_bytes;
    } else if (lanes != 1) {
        return ECSP_ERR_BAD_BLOCK;
    } else {
        /* the ack block, or the ring block (ecsp_ring_block_size, through
         * the one multiply) */
        size = write ? ECSP_ACK_BLOCK_SIZE : slot_addr(0, ecsp_slot_count(e->capacity), ecsp_slot_stride(e->msg_size));
    }
    if (!block_ok(offset, size))
        return ECSP_ERR_BAD_BLOCK;
    if (shared) {
        ecsp_share_record head;
        ecsp_read_local(h, e->local, &head, sizeof head);
        if (head.peer_count >= ECSP_MAX_LANES || head.peers % 4 != 0 ||
            !in_sram(head.peers, head.peer_count * (uint32_t)sizeof(ecsp_peer_record)))
            return ECSP_ERR_BAD_BLOCK;
    }
    return 0;
}

uint32_t ecsp_open_writer(const ecsp_hal *h, ecsp_writer *w, uint32_t ends_offset, uint32_t end, uint32_t msg_size)
{
    ecsp_end_record e;
    ecsp_read_local(h, end_offset(ends_offset, end), &e, sizeof e);
    uint32_t err = check_end(h, &e, 1, msg_size);
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
    w->share = 0;
    w->table = 0;
    w->lanes = 0;
    w->in_flight = ECSP_NO_LANE;
    w->start = 0;
    w->shared = 0;
    w->reserved = 0;
    if (e.direction == ECSP_END_SHARED_WRITE) {
        ecsp_share_record head;
        ecsp_read_local(h, e.local, &head, sizeof head);
        w->share = e.local;
        w->table = e.table;
        w->lanes = e.lanes;
        w->shared = 1u | (head.peer_count > 0 ? 2u : 0u);
    }
    return 0;
}

uint32_t ecsp_open_reader(const ecsp_hal *h, ecsp_reader *r, uint32_t ends_offset, uint32_t end, uint32_t msg_size)
{
    ecsp_end_record e;
    ecsp_read_local(h, end_offset(ends_offset, end), &e, sizeof e);
    uint32_t err = check_end(h, &e, 0, msg_size);
    if (err)
        return err;
    int shared = e.direction == ECSP_END_SHARED_READ;
    int merge = shared || e.lanes > 1 || e.table != 0;
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
    r->share = shared ? e.local : 0;
    r->asked = 0;
    r->open = 0;
    r->rendezvous = e.capacity == 0;
    return 0;
}

/* Writes POISONED into the state word of every other end on this end's
 * side of a shared channel (its PeerRecords), raising each. */
static void poison_peers(const ecsp_hal *h, uint32_t share)
{
    ecsp_share_record head;
    ecsp_read_local(h, share, &head, sizeof head);
    for (uint32_t k = 0; k < head.peer_count; k++) {
        ecsp_peer_record peer;
        ecsp_read_local(h, head.peers + k * (uint32_t)sizeof peer, &peer, sizeof peer);
        ecsp_write_word(h, peer.state, ECSP_POISONED);
        ecsp_wake(h, peer.peer);
    }
}

/* ---- the write end of a shared channel (PROTOCOL.md "One-to-any and
 * any-to-any", Send; shared.rs `Writer`) ---- */

static uint32_t out_lane(const ecsp_writer *w, uint32_t i)
{
    return w->table + i * (uint32_t)sizeof(ecsp_out_lane_record);
}

/* Messages in lane i not yet taken (the reader's `taken` is the first word
 * of the out-lane record: its acknowledgement block). */
static uint32_t lane_load(const ecsp_hal *h, const ecsp_writer *w, uint32_t i)
{
    uint32_t l = out_lane(w, i);
    return ecsp_load_word(h, l + 24u) - ecsp_load_word(h, l + ECSP_ACK_TAKEN);
}

static void poison_shared_writer(const ecsp_hal *h, ecsp_writer *w)
{
    if (w->own_state & ECSP_POISONED)
        return;
    w->own_state |= ECSP_POISONED;
    ecsp_store_word(h, w->share + ECSP_SHARE_STATE_OFFSET, ECSP_POISONED);
    for (uint32_t i = 0; i < w->lanes; i++) {
        uint32_t l = out_lane(w, i);
        ecsp_write_word(h, ecsp_load_word(h, l + 12u) + ECSP_RING_WRITER_STATE, w->own_state);
        ecsp_wake(h, ecsp_load_word(h, l + 20u));
    }
    poison_peers(h, w->share);
}

/* The lane for the next message, or ECSP_NO_LANE when no reader can have
 * it now: a rendezvous goes to a reader with an open request this writer
 * has not dealt with (claimed with TESTSET when other writers compete), a
 * buffered message to the lane with the fewest in flight. */
static uint32_t pick_lane(const ecsp_hal *h, ecsp_writer *w)
{
    if (w->rendezvous) {
        for (uint32_t k = 0; k < w->lanes; k++) {
            uint32_t i = wrap(w->start + k, w->lanes);
            uint32_t l = out_lane(w, i);
            uint32_t asked = ecsp_load_word(h, l + ECSP_OUT_LANE_ASKED_OFFSET);
            if (asked == ecsp_load_word(h, l + ECSP_OUT_LANE_HANDLED_OFFSET))
                continue;
            ecsp_store_word(h, l + ECSP_OUT_LANE_HANDLED_OFFSET, asked);
            if ((w->shared & 2u) &&
                ecsp_testset(h, ecsp_load_word(h, l + 16u), 0x10000u | ecsp_core_id_of(h)) != 0)
                continue; /* another writer answered this request */
            return i;
        }
        return ECSP_NO_LANE;
    }
    uint32_t best = ECSP_NO_LANE, best_load = 0xFFFFFFFFu, total = 0;
    for (uint32_t i = 0; i < w->lanes; i++) {
        uint32_t load = lane_load(h, w, i);
        total = total + load < total ? 0xFFFFFFFFu : total + load;
    }
    if (total >= w->slots)
        return ECSP_NO_LANE;
    for (uint32_t k = 0; k < w->lanes; k++) {
        uint32_t i = wrap(w->start + k, w->lanes);
        uint32_t load = lane_load(h, w, i);
        if (load < best_load && load < w->slots) {
            best = i;
            best_load = load;
        }
    }
    return best;
}

static int send_shared(const ecsp_hal *h, ecsp_writer *w, const void *msg)
{
    if (!w->put) {
        uint32_t state = w->own_state | ecsp_load_word(h, w->share + ECSP_SHARE_STATE_OFFSET);
        for (uint32_t i = 0; i < w->lanes; i++)
            state |= ecsp_load_word(h, out_lane(w, i) + ECSP_ACK_READER_STATE);
        if (state & ECSP_POISONED) {
            poison_shared_writer(h, w);
            return ECSP_SHUT_POISONED;
        }
        if (w->own_state & ECSP_CLOSED)
            return ECSP_SHUT_CLOSED;
        /* Room: the last rendezvous message taken (it is, once a send
         * completed) or fewer than `capacity` in flight (pick_lane). */
        uint32_t i = pick_lane(h, w);
        if (i == ECSP_NO_LANE)
            return ECSP_BLOCKED;
        uint32_t l = out_lane(w, i);
        uint32_t ring = ecsp_load_word(h, l + 12u);
        uint32_t slot = ecsp_load_word(h, l + 28u);
        ecsp_mesh_write(h, slot_addr(ring, slot, w->stride), msg, w->msg_size);
        uint32_t written = ecsp_load_word(h, l + 24u) + 1u;
        ecsp_store_word(h, l + 24u, written);
        ecsp_store_word(h, l + 28u, slot + 1 == w->slots ? 0 : slot + 1);
        /* Same source, same destination: the count cannot overtake the payload. */
        ecsp_write_word(h, ring + ECSP_RING_WRITTEN, written);
        ecsp_wake(h, ecsp_load_word(h, l + 20u));
        w->start = wrap(i + 1, w->lanes);
        if (w->rendezvous)
            w->in_flight = i;
        w->put = 1;
    }
    /* The verdict of the reader the rendezvous message went to: its state
     * before its count, so an acknowledgement written before a poison is seen. */
    if (w->in_flight != ECSP_NO_LANE) {
        uint32_t state = ecsp_load_word(h, out_lane(w, w->in_flight) + ECSP_ACK_READER_STATE);
        if (lane_load(h, w, w->in_flight) != 0) {
            if (!(state & ECSP_POISONED))
                return ECSP_BLOCKED;
            w->in_flight = ECSP_NO_LANE;
            w->put = 0;
            poison_shared_writer(h, w);
            return ECSP_SHUT_POISONED;
        }
        w->in_flight = ECSP_NO_LANE;
    }
    w->put = 0;
    return ECSP_DONE;
}

/* ---- send (PROTOCOL.md "Send") ---- */

int ecsp_send(const ecsp_hal *h, ecsp_writer *w, const void *msg)
{
    if (w->shared)
        return send_shared(h, w, msg);
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
        ecsp_mesh_write(h, slot_addr(w->ring, w->next_slot, w->stride), msg, w->msg_size);
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

void ecsp_close_writer(const ecsp_hal *h, ecsp_writer *w)
{
    if (w->own_state == 0 && w->shared) {
        w->own_state = ECSP_CLOSED;
        for (uint32_t i = 0; i < w->lanes; i++) {
            uint32_t l = out_lane(w, i);
            ecsp_write_word(h, ecsp_load_word(h, l + 12u) + ECSP_RING_WRITER_STATE, ECSP_CLOSED);
            ecsp_wake(h, ecsp_load_word(h, l + 20u));
        }
    } else if (w->own_state == 0) {
        w->own_state = ECSP_CLOSED;
        ecsp_write_word(h, w->ring + ECSP_RING_WRITER_STATE, ECSP_CLOSED);
        ecsp_wake(h, w->reader);
    }
}

void ecsp_poison_writer(const ecsp_hal *h, ecsp_writer *w)
{
    if (w->shared) {
        poison_shared_writer(h, w);
    } else if (!(w->own_state & ECSP_POISONED)) {
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
    r->open = 0;
    if (r->share) {
        /* every writer through its lane, every other reader through its state */
        ecsp_store_word(h, r->share + ECSP_SHARE_STATE_OFFSET, ECSP_POISONED);
        poison_lanes(h, r);
        poison_peers(h, r->share);
    } else if (r->lanes) {
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
    ecsp_read_local(h, slot_addr(ring, slot, r->stride), buf, r->msg_size);
    ecsp_write_word(h, ack + ECSP_ACK_TAKEN, taken);
    ecsp_wake(h, peer);
}

static int recv_lanes(const ecsp_hal *h, ecsp_reader *r, void *buf)
{
    uint32_t closed = 0;
    for (uint32_t k = 0; k < r->lanes; k++) {
        uint32_t i = wrap(r->start + k, r->lanes);
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
            r->start = wrap(i + 1, r->lanes);
            return ECSP_DONE;
        }
        if (state & ECSP_CLOSED)
            closed++;
    }
    return closed == r->lanes ? ECSP_SHUT_CLOSED : ECSP_BLOCKED;
}

/* The read end of a shared channel (shared.rs `Reader`): the channel's
 * state, then the lanes as an any-to-one reader; with nothing there, a
 * rendezvous reader opens a request: its claim word back to 0, then the new
 * count to every writer (each write ordered after the store). */
static int recv_shared(const ecsp_hal *h, ecsp_reader *r, void *buf)
{
    if (ecsp_load_word(h, r->share + ECSP_SHARE_STATE_OFFSET) & ECSP_POISONED) {
        ecsp_poison_reader(h, r);
        return ECSP_SHUT_POISONED;
    }
    int got = recv_lanes(h, r, buf);
    if (got == ECSP_DONE)
        r->open = 0; /* the message answered our request */
    if (got == ECSP_BLOCKED && r->rendezvous && !r->open) {
        ecsp_store_word(h, r->share + ECSP_SHARE_CLAIM_OFFSET, 0);
        r->asked += 1;
        r->open = 1;
        for (uint32_t i = 0; i < r->lanes; i++) {
            uint32_t l = lane(r, i);
            ecsp_write_word(h, ecsp_load_word(h, l + 4) + ECSP_OUT_LANE_ASKED_OFFSET, r->asked);
            ecsp_wake(h, ecsp_load_word(h, l + 8));
        }
    }
    return got;
}

int ecsp_recv(const ecsp_hal *h, ecsp_reader *r, void *buf)
{
    if (r->own_state & ECSP_POISONED)
        return ECSP_SHUT_POISONED;
    if (r->share)
        return recv_shared(h, r, buf);
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
