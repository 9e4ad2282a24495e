//! One-to-one channels, rendezvous (capacity 0) and buffered (capacity n).
//!
//! The protocol is the one of DESIGN.md section 3: every poll is local, every
//! remote access is a write.
//!
//! Send (writer core W, reader core R):
//! 1. Poll the local `taken` counter until `written - taken < slots`.
//! 2. Write the payload into the writer's next slot of R's ring (remote
//!    write). Both ends step their slot index 0, 1, .., slots-1, 0, ..
//!    themselves, so the index never depends on the wrapping counters.
//! 3. Write `written + 1` into R's `written` counter. Same source, same
//!    destination: it cannot overtake the payload.
//! 4. Raise the user interrupt on R, so an idle R wakes.
//! 5. Rendezvous only: poll the local `taken` until it reaches `written`: the
//!    reader has the message.
//!
//! Receive:
//! 1. Poll the local `written` counter until it differs from `taken`.
//! 2. Copy the reader's next slot out of the local ring.
//! 3. Write `taken + 1` into W's `taken` counter (remote write), after the
//!    copy, so the writer never overwrites a slot still being read.
//! 4. Raise the user interrupt on W.
//!
//! Shutdown (state words, one writer each: `writer_state` in R's ring,
//! `reader_state` in W's ack block):
//! - Close (writer): write CLOSED into `writer_state` after the last counter
//!   bump (same source, same destination: it arrives after every message).
//!   The reader loads the state first, then the counter: once it sees
//!   CLOSED the counter is final, so it delivers every buffered message and
//!   only then reports Closed. Nothing is lost.
//! - Poison (either end): write POISONED into the peer's state word, raise
//!   the peer, and remember it locally. Every later or pending operation at
//!   either end fails with Poisoned, buffered messages included. A rendezvous
//!   send in flight when the reader poisons returns its message: the writer
//!   loads the reader's state before `taken`, so if the reader took the
//!   message before poisoning (its ack was written first) the send succeeds,
//!   and otherwise it was never delivered.
//!
//! Each counter has exactly one writer (the ownership that makes `Release` on
//! the writes and `Acquire` on the polls sufficient): `written` is written
//! only by the writer, `taken` only by the reader. Both ends keep their own
//! copy of their counter, so nobody ever reads remote memory.
//!
//! The same code serves both ends on one core: then every "remote" write is
//! a local one and the interrupt is raised on the core itself.

use super::block::{
    slot_count, slot_stride, ACK_READER_STATE, ACK_TAKEN, CLOSED, POISONED, RING_SLOTS, RING_WRITER_STATE, RING_WRITTEN,
};
use super::wake;
use crate::addr::{CoreId, GlobalAddr};
use crate::mesh::Mesh;

/// The writing end's state.
pub(crate) struct Writer<M: Mesh> {
    mesh: M,
    /// Local offset of our acknowledgement block.
    ack: u32,
    /// The reader's ring block.
    ring: GlobalAddr,
    /// The reader's core, to raise its interrupt.
    reader: CoreId,
    slots: u32,
    stride: u32,
    rendezvous: bool,
    /// Messages written so far (our private copy of the reader's `written`).
    written: u32,
    /// Slot the next message goes to (steps through 0..slots and wraps).
    next_slot: u32,
    /// This end closed or poisoned the channel (CLOSED / POISONED bits).
    own_state: u32,
}

/// The reading end's state.
pub(crate) struct Reader<M: Mesh> {
    mesh: M,
    /// Local offset of our ring block.
    ring: u32,
    /// The writer's acknowledgement block.
    ack: GlobalAddr,
    /// The writer's core, to raise its interrupt.
    writer: CoreId,
    slots: u32,
    msg_size: u32,
    stride: u32,
    /// Messages taken so far (our private copy of the writer's `taken`).
    taken: u32,
    /// Slot the next message comes from.
    next_slot: u32,
    /// This end poisoned the channel (POISONED bit).
    own_state: u32,
}

/// What an end sees of the channel before an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shut {
    /// Open.
    Open,
    /// Poisoned by either end.
    Poisoned,
    /// Closed by the writer (reader: and fully drained).
    Closed,
}

impl<M: Mesh> Writer<M> {
    /// # Safety
    /// - `ack` is the offset of an 8-byte aligned, zeroed acknowledgement block in
    ///   this core's SRAM that only this end's reader writes to.
    /// - `ring` is the reader's zeroed ring block for `capacity` messages of `msg_size` bytes.
    pub(crate) unsafe fn new(
        mesh: M,
        ack: u32,
        ring: GlobalAddr,
        reader: CoreId,
        capacity: u32,
        msg_size: u32,
    ) -> Self {
        Writer {
            mesh,
            ack,
            ring,
            reader,
            slots: slot_count(capacity),
            stride: slot_stride(msg_size),
            rendezvous: capacity == 0,
            written: 0,
            next_slot: 0,
            own_state: 0,
        }
    }

    /// Whether the channel is still open for sending. Loads the reader's
    /// state before any counter (see the module doc on poison).
    #[inline]
    pub(crate) fn shut(&self) -> Shut {
        if (self.own_state | self.mesh.load_word(self.ack + ACK_READER_STATE)) & POISONED != 0 {
            Shut::Poisoned
        } else if self.own_state & CLOSED != 0 {
            Shut::Closed
        } else {
            Shut::Open
        }
    }

    /// Closes the channel: the reader gets every message written so far, then Closed.
    pub(crate) fn close(&mut self) {
        if self.own_state == 0 {
            self.own_state = CLOSED;
            self.mesh.write_word(self.ring.add(RING_WRITER_STATE), CLOSED);
            wake(&self.mesh, self.reader);
        }
    }

    /// Poisons the channel: every pending and later operation at either end fails.
    pub(crate) fn poison(&mut self) {
        if self.own_state & POISONED == 0 {
            self.own_state |= POISONED;
            self.mesh.write_word(self.ring.add(RING_WRITER_STATE), self.own_state);
            wake(&self.mesh, self.reader);
        }
    }

    #[inline]
    fn taken(&self) -> u32 {
        // Acquire: pairs with the reader's release of `taken`, after which the
        // slot it read is free to overwrite.
        self.mesh.load_word(self.ack + ACK_TAKEN)
    }

    /// Buffer capacity (0 for a rendezvous).
    pub(crate) fn capacity(&self) -> u32 {
        if self.rendezvous {
            0
        } else {
            self.slots
        }
    }

    /// True when a message can be written now without waiting.
    #[inline]
    pub(crate) fn has_room(&self) -> bool {
        self.written.wrapping_sub(self.taken()) < self.slots
    }

    /// Steps 2-4 of send. Call only when [`Writer::has_room`].
    #[inline]
    pub(crate) fn put(&mut self, msg: &[u8]) {
        debug_assert!(self.has_room());
        debug_assert!(self.next_slot < self.slots);
        let slot = self.ring.add(RING_SLOTS + self.next_slot * self.stride);
        self.mesh.write(slot, msg);
        self.written = self.written.wrapping_add(1);
        self.next_slot += 1;
        if self.next_slot == self.slots {
            self.next_slot = 0;
        }
        self.mesh.write_word(self.ring.add(RING_WRITTEN), self.written);
        wake(&self.mesh, self.reader);
    }

    /// One attempt at a send of `msg`; `put` says whether it is already in
    /// the reader's ring (a rendezvous waiting for the reader).
    #[inline]
    pub(crate) fn poll_send(&mut self, msg: &[u8], put: &mut bool) -> Option<Result<(), Shut>> {
        // The reader's state before `taken`: an ack written before a poison is seen.
        let shut = self.shut();
        if !*put {
            if shut != Shut::Open {
                return Some(Err(shut));
            }
            if !self.has_room() {
                return None;
            }
            self.put(msg);
            *put = true;
        }
        if self.delivered() {
            Some(Ok(()))
        } else if shut == Shut::Poisoned {
            Some(Err(Shut::Poisoned))
        } else {
            None
        }
    }

    /// Step 5: true once the reader has taken everything written (always
    /// true for a buffered channel, whose send completes at step 4).
    #[inline]
    pub(crate) fn delivered(&self) -> bool {
        !self.rendezvous || self.taken() == self.written
    }
}

impl<M: Mesh> Reader<M> {
    /// # Safety
    /// - `ring` is the offset of an 8-byte aligned, zeroed ring block for
    ///   `capacity` messages of `msg_size` bytes in this core's SRAM that only this end's
    ///   writer writes to.
    /// - `ack` is the writer's zeroed acknowledgement block.
    pub(crate) unsafe fn new(
        mesh: M,
        ring: u32,
        ack: GlobalAddr,
        writer: CoreId,
        capacity: u32,
        msg_size: u32,
    ) -> Self {
        Reader {
            mesh,
            ring,
            ack,
            writer,
            slots: slot_count(capacity),
            msg_size,
            stride: slot_stride(msg_size),
            taken: 0,
            next_slot: 0,
            own_state: 0,
        }
    }

    /// Whether a receive can still succeed: loads the writer's state before
    /// the counter, so CLOSED means the counter is final.
    #[inline]
    pub(crate) fn shut(&self) -> Shut {
        if self.own_state & POISONED != 0 {
            return Shut::Poisoned;
        }
        let state = self.mesh.load_word(self.ring + RING_WRITER_STATE);
        if state & POISONED != 0 {
            Shut::Poisoned
        } else if state & CLOSED != 0 && !self.ready() {
            Shut::Closed
        } else {
            Shut::Open
        }
    }

    /// Poisons the channel: every pending and later operation at either end fails.
    pub(crate) fn poison(&mut self) {
        if self.own_state & POISONED == 0 {
            self.own_state = POISONED;
            self.mesh.write_word(self.ack.add(ACK_READER_STATE), POISONED);
            wake(&self.mesh, self.writer);
        }
    }

    /// True when a message is waiting.
    #[inline]
    pub(crate) fn ready(&self) -> bool {
        // Acquire: pairs with the writer's release of `written`, which it
        // issued after the payload.
        self.mesh.load_word(self.ring + RING_WRITTEN) != self.taken
    }

    /// One attempt at a receive: a message, the channel's end, or not yet.
    #[inline]
    pub(crate) fn poll_recv(&mut self, buf: &mut [u8]) -> Option<Result<(), Shut>> {
        if self.own_state & POISONED != 0 {
            return Some(Err(Shut::Poisoned));
        }
        // The state before the counter: CLOSED seen means the counter is final.
        let state = self.mesh.load_word(self.ring + RING_WRITER_STATE);
        if state & POISONED != 0 {
            Some(Err(Shut::Poisoned))
        } else if self.ready() {
            {
                self.take(buf);
                Some(Ok(()))
            }
        } else if state & CLOSED != 0 {
            Some(Err(Shut::Closed))
        } else {
            None
        }
    }

    /// Steps 2-4 of receive. Call only when [`Reader::ready`].
    #[inline]
    pub(crate) fn take(&mut self, buf: &mut [u8]) {
        debug_assert!(self.ready());
        debug_assert!(self.next_slot < self.slots);
        debug_assert_eq!(buf.len(), self.msg_size as usize);
        // The writer does not touch this slot until we acknowledge it below.
        let slot = self.ring + RING_SLOTS + self.next_slot * self.stride;
        self.mesh.read_local(slot, buf);
        self.taken = self.taken.wrapping_add(1);
        self.next_slot += 1;
        if self.next_slot == self.slots {
            self.next_slot = 0;
        }
        self.mesh.write_word(self.ack.add(ACK_TAKEN), self.taken);
        wake(&self.mesh, self.writer);
    }
}
