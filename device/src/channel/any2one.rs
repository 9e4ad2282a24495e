//! Any-to-one channels: many writers, one reader, no lock.
//!
//! Every writer has a lane of its own in the reader's SRAM: a one-to-one ring
//! block exactly as in `one2one.rs`, with its own acknowledgement block in
//! that writer's SRAM. A writer is a plain one-to-one writer on its lane and
//! never learns there are others. The reader holds a table of its lanes
//! ([`LaneRecord`]) and merges them fairly: each receive starts looking at
//! the lane after the one it took from last, so no writer waits for more
//! than one turn of the others. Every poll is still local (the lanes are in
//! the reader's SRAM) and every remote access a write (acknowledgements to
//! each lane's writer), so the protocol is the one-to-one protocol K times,
//! with no TESTSET and no word written by two cores.
//!
//! Shutdown:
//! - Close: the channel is closed when every writer has closed its lane
//!   and every lane is drained.
//! - Poison by the reader: POISONED goes into every writer's `reader_state`.
//! - Poison by a writer: it reaches the reader through its lane; the reader
//!   then fails and passes the poison on to every other writer itself, the
//!   next time it looks at the channel (a receive, an alternation, or a
//!   readiness check). Until then a writer blocked on its own full lane
//!   keeps waiting for the reader, exactly as it would for any slow reader.
//!
//! Lane state that only the reader uses (`taken`, the slot cursor) lives in
//! the lane table, not in the process: a reader of 64 lanes keeps its
//! process state small.

use super::block::{
    slot_count, slot_stride, ACK_READER_STATE, ACK_TAKEN, CLOSED, POISONED, RING_SLOTS, RING_WRITER_STATE, RING_WRITTEN,
};
use super::one2one::Shut;
use super::wake;
use crate::addr::{CoreId, GlobalAddr};
use crate::boot::{LaneRecord, LANE_NEXT_SLOT_OFFSET, LANE_TAKEN_OFFSET};
use crate::mesh::Mesh;
use core::mem::{offset_of, size_of};

/// A reader's table of one-to-one lanes, merged fairly: the lane machinery
/// of the any-to-one reader, and of the one-to-any/any-to-any reader
/// (`shared.rs`), whose lanes have the same [`LaneRecord`] table.
pub(crate) struct Lanes<M: Mesh> {
    mesh: M,
    /// SRAM offset of the lane table.
    table: u32,
    /// Number of lanes.
    count: u32,
    slots: u32,
    stride: u32,
    /// Lane to look at first on the next receive (fairness).
    start: u32,
}

/// What one look at the lanes found.
pub(crate) enum Scan {
    /// Lane `i` has a message.
    Message(u32),
    /// Some lane is poisoned.
    Poisoned,
    /// Every lane is closed and drained.
    Closed,
    /// Nothing yet.
    Empty,
}

impl<M: Mesh> Lanes<M> {
    /// # Safety
    /// - `table` is the offset of `count` [`LaneRecord`]s in this core's
    ///   SRAM, each naming a zeroed ring block for `capacity` messages of `msg_size` bytes
    ///   that only that lane's writer writes to, and that writer's zeroed
    ///   acknowledgement block; the records' `taken` and `next_slot` are zero.
    pub(crate) unsafe fn new(mesh: M, table: u32, count: u32, capacity: u32, msg_size: u32) -> Self {
        Lanes {
            mesh,
            table,
            count,
            slots: slot_count(capacity),
            stride: slot_stride(msg_size),
            start: 0,
        }
    }

    /// Number of lanes.
    pub(crate) fn count(&self) -> u32 {
        self.count
    }

    fn lane(&self, i: u32) -> u32 {
        debug_assert!(i < self.count);
        self.table + i * size_of::<LaneRecord>() as u32
    }

    /// Lane `i`'s writer: its acknowledgement block and its core.
    pub(crate) fn writer(&self, i: u32) -> (GlobalAddr, CoreId) {
        let lane = self.lane(i);
        (
            GlobalAddr::new(self.mesh.load_word(lane + offset_of!(LaneRecord, ack) as u32)),
            CoreId::from_raw(self.mesh.load_word(lane + offset_of!(LaneRecord, peer) as u32) as u16),
        )
    }

    /// Looks at every lane once, starting after the lane served last.
    pub(crate) fn scan(&self) -> Scan {
        let mut closed = 0;
        for k in 0..self.count {
            let i = (self.start + k) % self.count;
            let lane = self.lane(i);
            let ring = self.mesh.load_word(lane);
            // The lane's state before its counter, as in one-to-one: CLOSED
            // seen means the counter is final.
            let state = self.mesh.load_word(ring + RING_WRITER_STATE);
            if state & POISONED != 0 {
                return Scan::Poisoned;
            }
            // Acquire: pairs with the writer's release of `written`, after the payload.
            let written = self.mesh.load_word(ring + RING_WRITTEN);
            if written != self.mesh.load_word(lane + LANE_TAKEN_OFFSET) {
                return Scan::Message(i);
            }
            if state & CLOSED != 0 {
                closed += 1;
            }
        }
        if closed == self.count {
            Scan::Closed
        } else {
            Scan::Empty
        }
    }

    /// Takes the next message of lane `i`, which has one, and acknowledges it.
    pub(crate) fn take(&mut self, i: u32, buf: &mut [u8]) {
        let lane = self.lane(i);
        let ring = self.mesh.load_word(lane);
        let slot = self.mesh.load_word(lane + LANE_NEXT_SLOT_OFFSET);
        debug_assert!(slot < self.slots);
        self.mesh.read_local(ring + RING_SLOTS + slot * self.stride, buf);
        let taken = self.mesh.load_word(lane + LANE_TAKEN_OFFSET).wrapping_add(1);
        let next = if slot + 1 == self.slots { 0 } else { slot + 1 };
        self.mesh.store_word(lane + LANE_TAKEN_OFFSET, taken);
        self.mesh.store_word(lane + LANE_NEXT_SLOT_OFFSET, next);
        // After the copy: the writer reuses the slot once it sees the count.
        let (ack, writer) = self.writer(i);
        self.mesh.write_word(ack.add(ACK_TAKEN), taken);
        wake(&self.mesh, writer);
        // The next receive starts after this lane: fairness.
        self.start = (i + 1) % self.count;
    }

    /// Writes POISONED into every lane writer's `reader_state` and raises it.
    pub(crate) fn poison_writers(&self) {
        for i in 0..self.count {
            let (ack, writer) = self.writer(i);
            self.mesh.write_word(ack.add(ACK_READER_STATE), POISONED);
            wake(&self.mesh, writer);
        }
    }
}

/// The reading end of an any-to-one channel.
pub(crate) struct SharedReader<M: Mesh> {
    lanes: Lanes<M>,
    /// This end poisoned the channel.
    poisoned: bool,
}

impl<M: Mesh> SharedReader<M> {
    /// # Safety
    /// As [`Lanes::new`], with one lane per writer.
    pub(crate) unsafe fn new(mesh: M, table: u32, lanes: u32, capacity: u32, msg_size: u32) -> Self {
        SharedReader {
            // SAFETY: forwarded caller duty.
            lanes: unsafe { Lanes::new(mesh, table, lanes, capacity, msg_size) },
            poisoned: false,
        }
    }

    fn scan(&self) -> Scan {
        if self.poisoned {
            Scan::Poisoned
        } else {
            self.lanes.scan()
        }
    }

    /// One attempt at a receive, as `one2one::Reader::poll_recv`.
    pub(crate) fn poll_recv(&mut self, buf: &mut [u8]) -> Option<Result<(), Shut>> {
        match self.scan() {
            Scan::Message(i) => {
                self.lanes.take(i, buf);
                Some(Ok(()))
            }
            Scan::Poisoned => {
                // A writer's poison reaches the other writers through us.
                self.poison();
                Some(Err(Shut::Poisoned))
            }
            Scan::Closed => Some(Err(Shut::Closed)),
            Scan::Empty => None,
        }
    }

    /// True when a receive would complete at once (a message or the end).
    pub(crate) fn ready(&self) -> bool {
        !matches!(self.scan(), Scan::Empty)
    }

    /// Poisons the channel towards every writer.
    pub(crate) fn poison(&mut self) {
        if !self.poisoned {
            self.poisoned = true;
            self.lanes.poison_writers();
        }
    }
}
