//! One-to-any and any-to-any channels: several readers share one read end;
//! every message goes to exactly one of them. One mechanism serves both
//! kinds (a one-to-any channel is an any-to-any channel with one writer).
//!
//! # Lanes
//! Every (writer, reader) pair has a lane of its own, exactly a one-to-one
//! channel: a ring block in the reader's SRAM (`written`, `writer_state`,
//! slots) and an acknowledgement block in the writer's SRAM (`taken`,
//! `reader_state`), here the first two words of the writer's
//! [`OutLaneRecord`] for that reader. A reader merges its lanes as an
//! any-to-one reader does ([`LaneRecord`](crate::boot::LaneRecord) table, fair rotation); a writer
//! holds one [`OutLaneRecord`] per reader and decides, message by message,
//! which reader's lane the message goes into. Every poll is local and every
//! remote access is a write, as in one-to-one, with one exception below.
//!
//! # Who gets a message
//! The decision is made by the side that holds the message, the writer,
//! from words in its own SRAM.
//!
//! **Rendezvous (capacity 0): a message goes only to a reader that asked.**
//! A reader that finds nothing in its lanes opens a *request*:
//! 1. it stores 0 in its own claim word ([`ShareRecord::claim`]): the request
//!    is open and nobody has answered it;
//! 2. it counts the request (`asked += 1`) and writes the count into the
//!    `asked` word of its out-lane record in every writer's SRAM, raising each
//!    writer; then it polls its own lanes.
//!
//! A writer with a message looks at its out-lane records, starting after the
//! reader it served last: a reader whose `asked` differs from the writer's
//! private `handled` has a request the writer has not dealt with. With one
//! writer, that request is the writer's to answer. With several, the writer
//! first takes the reader's claim word with TESTSET (write-if-zero): 0 comes
//! back to exactly one writer per open request, which answers it; a writer
//! that gets anything else knows the request was answered by another and
//! moves on. Either way it sets `handled = asked`. Answering is a one-to-one
//! send on that lane (payload, `written`, interrupt), and the send completes
//! when the reader's `taken` acknowledges it. The reader takes the message,
//! acknowledges, and its receive is done; the claim word stays taken until
//! its next request stores 0 again.
//!
//! Why this is exact: the claim word is 0 only between a reader's opening a
//! request and the one TESTSET that takes it, and the reader opens the next
//! request only after the message that answered the previous one arrived. So
//! every open request gets at most one message, whichever writer's TESTSET
//! lands first, even a writer that acts on an old `asked` (its TESTSET then
//! answers the request that is open, which is the same thing). A request is
//! never left unanswered while a writer has a message: a writer gives up on
//! a request only when its TESTSET found it taken, and it looks again at the
//! reader's next request. The reader stores 0 *before* it writes `asked`
//! (`Mesh::write_word` is ordered after every earlier access of the core), so
//! a TESTSET issued by a writer that saw the new `asked` finds the 0.
//!
//! **Buffered (capacity n): the writer places the message.** A writer keeps
//! at most `n` messages sent and not yet taken, over all its lanes (each
//! lane has `n` slots), and puts the next message into the lane with the
//! fewest messages in flight, ties going round-robin from the reader after
//! the one it used last. A waiting reader has empty lanes, so it is served
//! first. No request, no claim, no TESTSET: every lane is a one-to-one
//! channel. A message is bound to its reader from the moment it is sent:
//! another reader cannot take it, so a reader that stops reading before the
//! channel ends leaves what was sent to it undelivered (as a one-to-one
//! reader would). Only the rendezvous binds a message to a reader that is
//! waiting for it; a shared buffer that any reader could drain later would
//! need the readers to read remote memory, or a core that forwards.
//!
//! # The price of sharing the read end
//! The one exception to "every remote access is a write" is the TESTSET of
//! an any-to-any rendezvous, a round trip on the mesh by nature (the old
//! value comes back). It is issued only by a writer that has a message and
//! sees an unanswered request, at most once per (reader, request) it sees,
//! never in a polling loop. One-to-any channels and buffered channels never
//! TESTSET, and nothing ever reads remote memory.
//!
//! Cost per message, in remote writes (W writers, payload counted as one):
//! - rendezvous: the reader's request, `asked` and an interrupt to each of
//!   the W writers (2W); the answer, payload, `written` and an interrupt (3);
//!   the acknowledgement, `taken` and an interrupt (2). Plus, for W > 1, one
//!   TESTSET by the writer that answers, and one by each writer that tried
//!   the same request and lost.
//! - buffered: as one-to-one, payload, `written`, interrupt (3) and `taken`,
//!   interrupt (2).
//!
//! # Close and poison
//! - Close (a writer): `CLOSED` into `writer_state` of each of its lanes,
//!   behind every payload it wrote there. A reader is closed when every lane
//!   is closed and drained: every writer closed, and everything sent to it
//!   taken. Nothing is lost.
//! - Poison (any end): `POISONED` into the other side's pair words of every
//!   lane of this end (`reader_state` in each writer, or `writer_state` in
//!   each reader, behind every acknowledgement or payload written there), and
//!   into [`ShareRecord::state`] of every other end on this end's side (the
//!   [`PeerRecord`] table), raising every one of them: every end learns it
//!   from a word in its own SRAM, and every blocked end wakes. The state word
//!   is the one word with several writers besides the claim: it is only ever
//!   set to `POISONED`, never cleared, so the order of those writes does not
//!   matter. An end that finds the channel poisoned poisons it too, once.
//! - A rendezvous send in flight when the channel is poisoned completes, or
//!   fails giving its message back, on the word of the reader its message
//!   went to: that reader's acknowledgement (delivered) or its own
//!   `POISONED` in the pair word (never delivered), which it writes after
//!   any acknowledgement. Poison seen elsewhere first (another end's, which
//!   travels from another core and may overtake the acknowledgement) does
//!   not decide it, so a completed send always means a reader has the
//!   message, and a failed one that none has.
//!
//! # Alternation
//! A shared read end cannot be an alternation guard, as in JCSP: a guard
//! must be ready without committing, but a rendezvous reader is only ever
//! offered a message after it asked for one, and a request cannot be taken
//! back once a writer may have answered it. [`crate::channel::Receiver::is_ready`]
//! panics on a shared read end; `recv` and `try_recv` work (a `try_recv`
//! that finds nothing leaves its request open: the next message a writer
//! sends this reader is kept for its next receive).

use super::any2one::{Lanes, Scan};
use super::block::{
    slot_count, slot_stride, ACK_READER_STATE, ACK_TAKEN, CLOSED, POISONED, RING_SLOTS, RING_WRITER_STATE, RING_WRITTEN,
};
use super::one2one::Shut;
use super::wake;
use crate::addr::{CoreId, GlobalAddr};
use crate::boot::{
    OutLaneRecord, PeerRecord, ShareRecord, OUT_LANE_ASKED_OFFSET, OUT_LANE_CLAIM_OFFSET, OUT_LANE_HANDLED_OFFSET,
    OUT_LANE_NEXT_SLOT_OFFSET, OUT_LANE_WRITTEN_OFFSET, SHARE_CLAIM_OFFSET, SHARE_STATE_OFFSET,
};
use crate::mesh::Mesh;
use core::mem::size_of;

/// Offsets of the lane record fields read one at a time (a poll loads only
/// the words it needs).
const OUT_LANE_RING: u32 = core::mem::offset_of!(OutLaneRecord, ring) as u32;
const OUT_LANE_PEER: u32 = core::mem::offset_of!(OutLaneRecord, peer) as u32;

/// What a TESTSET leaves in a claim word: the claiming writer's core id with
/// bit 16 set (never 0). Only "non-zero" matters; the id helps debugging.
fn claim_tag(core: CoreId) -> u32 {
    0x1_0000 | core.raw() as u32
}

/// Writes `POISONED` into the state word of every other end on this end's
/// side, raising each.
fn poison_peers<M: Mesh>(mesh: &M, share: u32) {
    let mut head = ShareRecord::default();
    mesh.read_local(share, bytemuck::bytes_of_mut(&mut head));
    for k in 0..head.peer_count {
        let mut peer = PeerRecord::default();
        mesh.read_local(
            head.peers + k * size_of::<PeerRecord>() as u32,
            bytemuck::bytes_of_mut(&mut peer),
        );
        mesh.write_word(GlobalAddr::new(peer.state), POISONED);
        wake(mesh, CoreId::from_raw(peer.peer as u16));
    }
}

/// A read end of a one-to-any or any-to-any channel.
pub(crate) struct Reader<M: Mesh> {
    mesh: M,
    /// SRAM offset of this end's [`ShareRecord`].
    share: u32,
    /// The lanes, one per writer, merged fairly as an any-to-one reader does.
    lanes: Lanes<M>,
    rendezvous: bool,
    /// A request is open (rendezvous): asked for, not yet answered.
    open: bool,
    /// This end poisoned the channel (or passed the poison on).
    poisoned: bool,
    /// Requests opened so far (our copy of every writer's `asked`).
    asked: u32,
}

impl<M: Mesh> Reader<M> {
    /// # Safety
    /// - `share` is the offset of this end's zeroed [`ShareRecord`] in this
    ///   core's SRAM, whose `peers` and `peer_count` name the other read
    ///   ends' state words.
    /// - `table` is the offset of `lanes` [`LaneRecord`]s in this core's
    ///   SRAM, each naming a zeroed ring block for `capacity` messages of `msg_size` bytes
    ///   that only that lane's writer writes to, and that writer's zeroed
    ///   [`OutLaneRecord`] for this reader; their `taken` and `next_slot` are zero.
    pub(crate) unsafe fn new(mesh: M, share: u32, table: u32, lanes: u32, capacity: u32, msg_size: u32) -> Self {
        Reader {
            mesh,
            share,
            // SAFETY: the lane duties are the caller's duty 2.
            lanes: unsafe { Lanes::new(mesh, table, lanes, capacity, msg_size) },
            rendezvous: capacity == 0,
            open: false,
            poisoned: false,
            asked: 0,
        }
    }

    /// Looks at the channel's state, then every lane once.
    fn scan(&self) -> Scan {
        if self.poisoned || self.mesh.load_word(self.share + SHARE_STATE_OFFSET) & POISONED != 0 {
            return Scan::Poisoned;
        }
        self.lanes.scan()
    }

    /// Takes the next message of lane `i`, which has one, and acknowledges it.
    fn take(&mut self, i: u32, buf: &mut [u8]) {
        self.lanes.take(i, buf);
        // The message answered our request (a rendezvous gets nothing else).
        self.open = false;
    }

    /// Opens a request: the claim word back to 0, then the new count to
    /// every writer (ordered after the store).
    fn request(&mut self) {
        self.mesh.store_word(self.share + SHARE_CLAIM_OFFSET, 0);
        self.asked = self.asked.wrapping_add(1);
        self.open = true;
        for i in 0..self.lanes.count() {
            let (ack, writer) = self.lanes.writer(i);
            self.mesh.write_word(ack.add(OUT_LANE_ASKED_OFFSET), self.asked);
            wake(&self.mesh, writer);
        }
    }

    /// One attempt at a receive: a message, the channel's end, or not yet
    /// (after opening a request, on a rendezvous channel).
    pub(crate) fn poll_recv(&mut self, buf: &mut [u8]) -> Option<Result<(), Shut>> {
        match self.scan() {
            Scan::Message(i) => {
                self.take(i, buf);
                Some(Ok(()))
            }
            Scan::Poisoned => {
                // Our verdict to every writer, after any acknowledgement.
                self.poison();
                Some(Err(Shut::Poisoned))
            }
            Scan::Closed => Some(Err(Shut::Closed)),
            Scan::Empty => {
                if self.rendezvous && !self.open {
                    self.request();
                }
                None
            }
        }
    }

    /// Poisons the channel: every writer through its lane, every other
    /// reader through its state word.
    pub(crate) fn poison(&mut self) {
        if self.poisoned {
            return;
        }
        self.poisoned = true;
        self.open = false;
        self.mesh.store_word(self.share + SHARE_STATE_OFFSET, POISONED);
        self.lanes.poison_writers();
        poison_peers(&self.mesh, self.share);
    }
}

/// No rendezvous message in flight.
const NONE: u32 = u32::MAX;

/// A write end of a one-to-any or any-to-any channel.
pub(crate) struct Writer<M: Mesh> {
    mesh: M,
    /// SRAM offset of this end's [`ShareRecord`].
    share: u32,
    /// SRAM offset of the lane table (one [`OutLaneRecord`] per reader).
    table: u32,
    /// Number of readers.
    lanes: u32,
    /// Buffer capacity (0: rendezvous).
    capacity: u32,
    slots: u32,
    stride: u32,
    /// Other writers share the readers: answering a request needs a claim.
    contended: bool,
    /// Lane of the rendezvous message in flight, or [`NONE`].
    in_flight: u32,
    /// Lane to look at first for the next message (fairness).
    start: u32,
    /// This end closed or poisoned the channel (CLOSED / POISONED bits).
    own_state: u32,
}

impl<M: Mesh> Writer<M> {
    /// # Safety
    /// - `share` is the offset of this end's zeroed [`ShareRecord`] in this
    ///   core's SRAM, whose `peers` and `peer_count` name the other write
    ///   ends' state words.
    /// - `table` is the offset of `lanes` [`OutLaneRecord`]s in this core's
    ///   SRAM, zeroed but for `ring`, `claim` and `peer`, which name each
    ///   reader's zeroed ring block for `capacity` messages of `msg_size` bytes (written by
    ///   this end alone) and its claim word.
    pub(crate) unsafe fn new(mesh: M, share: u32, table: u32, lanes: u32, capacity: u32, msg_size: u32) -> Self {
        let mut head = ShareRecord::default();
        mesh.read_local(share, bytemuck::bytes_of_mut(&mut head));
        Writer {
            mesh,
            share,
            table,
            lanes,
            capacity,
            slots: slot_count(capacity),
            stride: slot_stride(msg_size),
            contended: head.peer_count > 0,
            in_flight: NONE,
            start: 0,
            own_state: 0,
        }
    }

    fn lane(&self, i: u32) -> u32 {
        debug_assert!(i < self.lanes);
        self.table + i * size_of::<OutLaneRecord>() as u32
    }

    /// Lane `i`'s reader: its ring block for us and its core.
    fn reader(&self, i: u32) -> (GlobalAddr, CoreId) {
        let lane = self.lane(i);
        (
            GlobalAddr::new(self.mesh.load_word(lane + OUT_LANE_RING)),
            CoreId::from_raw(self.mesh.load_word(lane + OUT_LANE_PEER) as u16),
        )
    }

    /// Messages in lane `i` not yet taken. The acquire load of `taken` pairs
    /// with the reader's release, after which the slots it read are free.
    fn lane_load(&self, i: u32) -> u32 {
        let lane = self.lane(i);
        let written = self.mesh.load_word(lane + OUT_LANE_WRITTEN_OFFSET);
        written.wrapping_sub(self.mesh.load_word(lane + ACK_TAKEN))
    }

    /// Whether the channel is still open for sending.
    pub(crate) fn shut(&self) -> Shut {
        let mut state = self.own_state | self.mesh.load_word(self.share + SHARE_STATE_OFFSET);
        for i in 0..self.lanes {
            state |= self.mesh.load_word(self.lane(i) + ACK_READER_STATE);
        }
        if state & POISONED != 0 {
            Shut::Poisoned
        } else if self.own_state & CLOSED != 0 {
            Shut::Closed
        } else {
            Shut::Open
        }
    }

    /// Buffer capacity (0 for a rendezvous).
    pub(crate) fn capacity(&self) -> u32 {
        self.capacity
    }

    /// True when a message may be sent now without overrunning the buffer:
    /// fewer than `capacity` in flight (buffered), the last one taken
    /// (rendezvous).
    pub(crate) fn has_room(&self) -> bool {
        if self.capacity == 0 {
            return self.delivered();
        }
        let mut in_flight = 0u32;
        for i in 0..self.lanes {
            in_flight = in_flight.saturating_add(self.lane_load(i));
        }
        in_flight < self.capacity
    }

    /// True once the rendezvous message in flight (if any) was taken; always
    /// true for a buffered channel, whose send completes when it is put.
    pub(crate) fn delivered(&self) -> bool {
        self.capacity != 0 || self.in_flight == NONE || self.lane_load(self.in_flight) == 0
    }

    /// The verdict on the rendezvous message in flight, from the words of the
    /// reader it went to: `Some(true)` taken, `Some(false)` that reader
    /// poisoned the channel without taking it, `None` not yet known.
    fn verdict(&self) -> Option<bool> {
        if self.in_flight == NONE {
            return Some(true);
        }
        let lane = self.lane(self.in_flight);
        // Its state before its count: an acknowledgement written before its
        // poison is seen.
        let state = self.mesh.load_word(lane + ACK_READER_STATE);
        if self.lane_load(self.in_flight) == 0 {
            Some(true)
        } else if state & POISONED != 0 {
            Some(false)
        } else {
            None
        }
    }

    /// Chooses the lane for the next message, or `None` when no reader can
    /// have it now. Call only when [`Writer::has_room`].
    fn pick(&mut self) -> Option<u32> {
        if self.capacity == 0 {
            for k in 0..self.lanes {
                let i = (self.start + k) % self.lanes;
                let lane = self.lane(i);
                let asked = self.mesh.load_word(lane + OUT_LANE_ASKED_OFFSET);
                if asked == self.mesh.load_word(lane + OUT_LANE_HANDLED_OFFSET) {
                    continue;
                }
                self.mesh.store_word(lane + OUT_LANE_HANDLED_OFFSET, asked);
                if self.contended {
                    let claim = GlobalAddr::new(self.mesh.load_word(lane + OUT_LANE_CLAIM_OFFSET));
                    if self.mesh.testset(claim, claim_tag(self.mesh.core_id())) != 0 {
                        // Another writer answered this request.
                        continue;
                    }
                }
                return Some(i);
            }
            None
        } else {
            let mut best = None;
            let mut best_load = u32::MAX;
            for k in 0..self.lanes {
                let i = (self.start + k) % self.lanes;
                let load = self.lane_load(i);
                if load < best_load && load < self.slots {
                    best = Some(i);
                    best_load = load;
                }
            }
            best
        }
    }

    /// Writes `msg` into lane `i` (payload, count, interrupt), as a
    /// one-to-one writer does.
    fn put(&mut self, i: u32, msg: &[u8]) {
        let lane = self.lane(i);
        let (ring, reader) = self.reader(i);
        let slot = self.mesh.load_word(lane + OUT_LANE_NEXT_SLOT_OFFSET);
        debug_assert!(slot < self.slots);
        self.mesh.write(ring.add(RING_SLOTS + slot * self.stride), msg);
        let written = self.mesh.load_word(lane + OUT_LANE_WRITTEN_OFFSET).wrapping_add(1);
        let next = if slot + 1 == self.slots { 0 } else { slot + 1 };
        self.mesh.store_word(lane + OUT_LANE_WRITTEN_OFFSET, written);
        self.mesh.store_word(lane + OUT_LANE_NEXT_SLOT_OFFSET, next);
        // Same source, same destination: the count cannot overtake the payload.
        self.mesh.write_word(ring.add(RING_WRITTEN), written);
        wake(&self.mesh, reader);
        self.start = (i + 1) % self.lanes;
        if self.capacity == 0 {
            self.in_flight = i;
        }
    }

    /// Sends `msg` now if a reader can have it (see [`Writer::has_room`]):
    /// true when it was put.
    pub(crate) fn try_put(&mut self, msg: &[u8]) -> bool {
        if !self.has_room() {
            return false;
        }
        match self.pick() {
            Some(i) => {
                self.put(i, msg);
                true
            }
            None => false,
        }
    }

    /// One attempt at a send of `msg`; `put` says whether it is already in
    /// a reader's lane (a rendezvous waiting for that reader).
    pub(crate) fn poll_send(&mut self, msg: &[u8], put: &mut bool) -> Option<Result<(), Shut>> {
        if !*put {
            match self.shut() {
                Shut::Open => {}
                Shut::Poisoned => {
                    self.poison();
                    return Some(Err(Shut::Poisoned));
                }
                Shut::Closed => return Some(Err(Shut::Closed)),
            }
            if !self.try_put(msg) {
                return None;
            }
            *put = true;
        }
        match self.verdict() {
            Some(true) => {
                self.in_flight = NONE;
                Some(Ok(()))
            }
            Some(false) => {
                self.in_flight = NONE;
                self.poison();
                Some(Err(Shut::Poisoned))
            }
            None => None,
        }
    }

    /// [`crate::channel::Sender::flush`]: `Some(Ok)` once the rendezvous
    /// message in flight was taken, `Some(Err)` when it never will be.
    pub(crate) fn poll_flush(&mut self) -> Option<Result<(), ()>> {
        match self.verdict() {
            Some(true) => {
                self.in_flight = NONE;
                Some(Ok(()))
            }
            Some(false) => Some(Err(())),
            None => None,
        }
    }

    /// Closes this writer's lanes: each reader gets every message written
    /// to it so far, then (once every writer closed) Closed.
    pub(crate) fn close(&mut self) {
        if self.own_state == 0 {
            self.own_state = CLOSED;
            for i in 0..self.lanes {
                let (ring, reader) = self.reader(i);
                self.mesh.write_word(ring.add(RING_WRITER_STATE), CLOSED);
                wake(&self.mesh, reader);
            }
        }
    }

    /// Poisons the channel: every reader through its lane, every other
    /// writer through its state word.
    pub(crate) fn poison(&mut self) {
        if self.own_state & POISONED != 0 {
            return;
        }
        self.own_state |= POISONED;
        self.mesh.store_word(self.share + SHARE_STATE_OFFSET, POISONED);
        for i in 0..self.lanes {
            let (ring, reader) = self.reader(i);
            self.mesh.write_word(ring.add(RING_WRITER_STATE), self.own_state);
            wake(&self.mesh, reader);
        }
        poison_peers(&self.mesh, self.share);
    }
}
