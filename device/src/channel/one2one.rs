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
//! Each counter has exactly one writer (the ownership that makes `Release` on
//! the writes and `Acquire` on the polls sufficient): `written` is written
//! only by the writer, `taken` only by the reader. Both ends keep their own
//! copy of their counter, so nobody ever reads remote memory.
//!
//! The same code serves both ends on one core: then every "remote" write is
//! a local one and the interrupt is raised on the core itself.

use super::block::{slot_count, slot_stride, ACK_TAKEN, RING_SLOTS, RING_WRITTEN};
use crate::addr::{CoreId, GlobalAddr, Irq};
use crate::mesh::Mesh;
use crate::message::Message;
use core::marker::PhantomData;

/// The writing end's state.
pub(crate) struct Writer<T, M: Mesh> {
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
    _msg: PhantomData<T>,
}

/// The reading end's state.
pub(crate) struct Reader<T, M: Mesh> {
    mesh: M,
    /// Local offset of our ring block.
    ring: u32,
    /// The writer's acknowledgement block.
    ack: GlobalAddr,
    /// The writer's core, to raise its interrupt.
    writer: CoreId,
    slots: u32,
    stride: u32,
    /// Messages taken so far (our private copy of the writer's `taken`).
    taken: u32,
    /// Slot the next message comes from.
    next_slot: u32,
    _msg: PhantomData<T>,
}

impl<T: Message, M: Mesh> Writer<T, M> {
    /// # Safety
    /// - `ack` is the offset of an 8-byte aligned, zeroed acknowledgement block in
    ///   this core's SRAM that only this end's reader writes to.
    /// - `ring` is the reader's zeroed ring block for `capacity` messages of `T`.
    pub(crate) unsafe fn new(mesh: M, ack: u32, ring: GlobalAddr, reader: CoreId, capacity: u32) -> Self {
        Writer {
            mesh,
            ack,
            ring,
            reader,
            slots: slot_count(capacity),
            stride: slot_stride(core::mem::size_of::<T>() as u32),
            rendezvous: capacity == 0,
            written: 0,
            next_slot: 0,
            _msg: PhantomData,
        }
    }

    fn taken(&self) -> u32 {
        // Acquire: pairs with the reader's release of `taken`, after which the
        // slot it read is free to overwrite.
        self.mesh.load_word(self.ack + ACK_TAKEN)
    }

    /// True when a message can be written now without waiting.
    pub(crate) fn has_room(&self) -> bool {
        self.written.wrapping_sub(self.taken()) < self.slots
    }

    /// Steps 2-4 of send. Call only when [`Writer::has_room`].
    pub(crate) fn put(&mut self, msg: &T) {
        debug_assert!(self.has_room());
        debug_assert!(self.next_slot < self.slots);
        let slot = self.ring.add(RING_SLOTS + self.next_slot * self.stride);
        self.mesh.write(slot, bytemuck::bytes_of(msg));
        self.written = self.written.wrapping_add(1);
        self.next_slot += 1;
        if self.next_slot == self.slots {
            self.next_slot = 0;
        }
        self.mesh.write_word(self.ring.add(RING_WRITTEN), self.written);
        self.mesh.raise(self.reader, Irq::User);
    }

    /// Step 5: true once the reader has taken everything written (always
    /// true for a buffered channel, whose send completes at step 4).
    pub(crate) fn delivered(&self) -> bool {
        !self.rendezvous || self.taken() == self.written
    }
}

impl<T: Message, M: Mesh> Reader<T, M> {
    /// # Safety
    /// - `ring` is the offset of an 8-byte aligned, zeroed ring block for
    ///   `capacity` messages of `T` in this core's SRAM that only this end's
    ///   writer writes to.
    /// - `ack` is the writer's zeroed acknowledgement block.
    pub(crate) unsafe fn new(mesh: M, ring: u32, ack: GlobalAddr, writer: CoreId, capacity: u32) -> Self {
        Reader {
            mesh,
            ring,
            ack,
            writer,
            slots: slot_count(capacity),
            stride: slot_stride(core::mem::size_of::<T>() as u32),
            taken: 0,
            next_slot: 0,
            _msg: PhantomData,
        }
    }

    /// True when a message is waiting.
    pub(crate) fn ready(&self) -> bool {
        // Acquire: pairs with the writer's release of `written`, which it
        // issued after the payload.
        self.mesh.load_word(self.ring + RING_WRITTEN) != self.taken
    }

    /// Steps 2-4 of receive. Call only when [`Reader::ready`].
    pub(crate) fn take(&mut self) -> T {
        debug_assert!(self.ready());
        debug_assert!(self.next_slot < self.slots);
        let mut msg = T::zeroed();
        // The writer does not touch this slot until we acknowledge it below.
        let slot = self.ring + RING_SLOTS + self.next_slot * self.stride;
        self.mesh.read_local(slot, bytemuck::bytes_of_mut(&mut msg));
        self.taken = self.taken.wrapping_add(1);
        self.next_slot += 1;
        if self.next_slot == self.slots {
            self.next_slot = 0;
        }
        self.mesh.write_word(self.ack.add(ACK_TAKEN), self.taken);
        self.mesh.raise(self.writer, Irq::User);
        msg
    }
}
