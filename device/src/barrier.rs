//! Barriers: no process leaves episode `e` of a barrier before every
//! process taking part has arrived at episode `e`.
//!
//! Two kinds, planned by the host (`Network::barrier`, `Network::wand_barrier`)
//! and found by a process through [`crate::process::Proc::barrier`]:
//!
//! - [`Barrier`]: the software **dissemination barrier** (Hensgen, Finkel
//!   and Manber 1988; Mellor-Crummey and Scott 1991, "Algorithms for
//!   scalable synchronization on shared-memory multiprocessors", section
//!   3.3). `p` participants, `ceil(log2 p)` rounds. In round `k` the
//!   participant of rank `i` writes the episode number into the round-`k`
//!   flag of rank `(i + 2^k) mod p`, raises that core's user interrupt, and
//!   waits until its *own* round-`k` flag (written by rank `(i - 2^k) mod p`)
//!   has reached the episode. Every flag lives in its poller's SRAM and has
//!   exactly one writer: only remote writes and local polls, as for channels.
//! - [`WandBarrier`]: the chip-wide **WAND barrier**. The processes of a core
//!   that take part count their arrivals in the core's WAND block; the last
//!   of them raises the core's WAND flag ([`Mesh::wand`]). When every core
//!   taking part has raised its flag the chip interrupts them all
//!   ([`Irq::Wand`]), and the first process of each core to see the latch
//!   counts the completion for the whole core. No mesh traffic at all.
//!
//! Both are reusable: every participant counts its episodes (`arrived`, in
//! its participant block), a dissemination flag holds the episode in which
//! it was last written and is compared as "reached", never "equal" to, so a
//! fast partner that already wrote the next episode is not missed, and every
//! counter wraps at 2^32 (compared by wrapping difference).
//!
//! # Why the dissemination barrier is correct on the Epiphany
//! *Synchronisation.* By induction on `k`: after round `k`, rank `i` knows
//! (has read flags written after) that ranks `i - 1, ..., i - (2^(k+1) - 1)`
//! arrived, because its round-`k` writer `i - 2^k` had learnt about
//! `i - 2^k - 1, ..., i - 2^(k+1) + 1` before it wrote. After
//! `ceil(log2 p)` rounds that covers all `p - 1` others. Each step of the
//! chain is one write from one core to one other core, read by a local poll
//! that stops on the written value: no ordering beyond "this write arrives"
//! is used, so the mesh's weak order cannot break it.
//!
//! *Reuse.* A flag has one writer, whose writes to it arrive in order (same
//! source, same destination). Rank `i - 2^k` can write episode `e + 1` into
//! `i`'s round-`k` flag before `i` has looked at it for `e` (it needs only the
//! others' arrivals at `e + 1`), but never `e + 2`: that would need `i` to
//! have arrived at `e + 1`, hence to have left `e`. So while `i` waits in
//! episode `e` the flag is `e - 1`, `e` or `e + 1`, and "reached `e`" is
//! exact. The first episode is 1 and the host zeroes every flag.
//!
//! *Memory.* The barrier orders what the mesh orders and no more: writes a
//! participant issued before arriving into the SRAM of a participant it
//! signals directly (ranks `i + 2^k`, round-0 partner `i + 1` among them)
//! travel ahead of its flag, so that participant sees them once it has left
//! the barrier. Writes to any other core may still be in flight when the
//! barrier opens (the chain of flags runs through other cores, and the mesh
//! does not order a write to core B after a write to core C). The WAND
//! barrier orders no memory at all: its interrupt travels on a wire, not on
//! the mesh. Move data with channels; use barriers to agree on phases.
//!
//! # Costs
//! Dissemination, per participant and episode: `ceil(log2 p)` posted flag
//! writes and as many user-interrupt raises (one word each), `ceil(log2 p)`
//! local polls, two local stores (`arrived`, `left`); latency
//! `ceil(log2 p)` one-way mesh trips plus the wake-ups. Memory: a
//! participant block of `8 + 4 ceil(log2 p)` bytes (rounded up to 8), a
//! [`BarrierRecord`] of 24 bytes, and one roster of `4 p` bytes per core per
//! barrier. WAND, per core and episode: one `wand` instruction and one
//! interrupt, no mesh traffic; memory: the 16-byte [`WAND_BLOCK_SIZE`] block
//! per core, and per participant an 8-byte block, a record and the roster.
//!
//! The byte layouts are in `device/PROTOCOL.md`, section Barriers.

use crate::addr::{CoreId, GlobalAddr, Irq};
use crate::boot::{align_up, BootHeader, BOOT_OFFSET, STACK_BOTTOM, WAIT_OTHER};
use crate::executor::note_blocked;
use crate::mesh::Mesh;
use core::future::Future;
use core::mem::size_of;
use core::pin::Pin;
use core::task::{Context, Poll};

/// [`BarrierRecord::kind`] of a dissemination barrier.
pub const BARRIER_DISSEMINATION: u32 = 1;
/// [`BarrierRecord::kind`] of the chip-wide WAND barrier.
pub const BARRIER_WAND: u32 = 2;

/// Offset of `arrived` in a participant block: episodes its participant
/// has arrived at. Written by the participant's core only.
pub const BARRIER_ARRIVED: u32 = 0;
/// Offset of `left` in a participant block: episodes its participant has
/// left. Written by the participant's core only.
pub const BARRIER_LEFT: u32 = 4;
/// Offset of the first round flag in a dissemination participant block;
/// flag `k` is at `BARRIER_FLAGS + 4 k`.
pub const BARRIER_FLAGS: u32 = 8;

/// Offset of `members` in a core's WAND block: processes of this core that
/// take part in the WAND barrier. Host writes.
pub const WAND_MEMBERS: u32 = 0;
/// Offset of `arrived` in a core's WAND block: members that arrived at the
/// current episode. This core only.
pub const WAND_ARRIVED: u32 = 4;
/// Offset of `completed` in a core's WAND block: WAND completions this
/// core has taken. This core only.
pub const WAND_COMPLETED: u32 = 8;
/// Bytes of a core's WAND block.
pub const WAND_BLOCK_SIZE: u32 = 16;

/// One process taking part in one barrier, in the boot table of its core
/// (`barrier_count` of them from `BootHeader::barriers_offset`). A process's
/// barriers are its records in table order: barrier 0 is its first.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BarrierRecord {
    /// [`BARRIER_DISSEMINATION`] or [`BARRIER_WAND`]. Host writes.
    pub kind: u32,
    /// Index of the process in this core's task table. Host writes.
    pub task: u32,
    /// The process's rank in the barrier, `0..size`. Host writes.
    pub rank: u32,
    /// Participants of the barrier (chip-wide). Host writes.
    pub size: u32,
    /// SRAM offset on this core of the process's participant block
    /// ([`participant_block_size`] bytes, 8-byte aligned, zeroed by the host).
    /// Host writes.
    pub block: u32,
    /// SRAM offset on this core of the barrier's roster: `size` words, the
    /// global address of every participant's block by rank (4-byte aligned;
    /// shared by the barrier's participants on this core). Host writes.
    pub roster: u32,
}

/// Bytes of a [`BarrierRecord`].
pub const BARRIER_RECORD_SIZE: u32 = size_of::<BarrierRecord>() as u32;

const _: () = {
    assert!(size_of::<BarrierRecord>() == 24);
    assert!(core::mem::align_of::<BarrierRecord>() == 4);
};

// SAFETY: `BarrierRecord` is `#[repr(C)]`, six u32s: no padding, every bit
// pattern valid.
unsafe impl bytemuck::Zeroable for BarrierRecord {}
// SAFETY: as above.
unsafe impl bytemuck::Pod for BarrierRecord {}

/// Rounds of a dissemination barrier of `size` participants: `ceil(log2 size)`
/// (0 for one participant).
///
/// # Examples
/// ```
/// use ecsp_device::barrier::rounds_for;
/// assert_eq!([1, 2, 3, 4, 5, 16, 17].map(rounds_for), [0, 1, 2, 2, 3, 4, 5]);
/// ```
pub const fn rounds_for(size: u32) -> u32 {
    if size <= 1 {
        0
    } else {
        32 - (size - 1).leading_zeros()
    }
}

/// Bytes of the participant block of a barrier of `kind` with `size`
/// participants: `arrived`, `left`, and for a dissemination barrier one flag
/// per round, rounded up to 8.
///
/// # Examples
/// ```
/// use ecsp_device::barrier::{participant_block_size, BARRIER_DISSEMINATION, BARRIER_WAND};
/// assert_eq!(participant_block_size(BARRIER_DISSEMINATION, 5), 24);
/// assert_eq!(participant_block_size(BARRIER_WAND, 16), 8);
/// ```
pub const fn participant_block_size(kind: u32, size: u32) -> u32 {
    let flags = if kind == BARRIER_DISSEMINATION {
        rounds_for(size)
    } else {
        0
    };
    align_up(BARRIER_FLAGS + 4 * flags, 8)
}

/// True when a counter that has seen `seen` has reached episode `episode`,
/// counters wrapping at 2^32: the two are never more than 2^31 apart.
#[inline]
const fn reached(seen: u32, episode: u32) -> bool {
    (seen.wrapping_sub(episode) as i32) >= 0
}

/// Checks the barrier part of a boot table: the records, participant
/// blocks, rosters and the WAND block lie between the boot table and the
/// stack, aligned, and every record names a task of this core, a kind, and
/// a rank below its size. The executor refuses to boot otherwise.
pub(crate) fn table_fits<M: Mesh>(mesh: &M, header: &BootHeader) -> bool {
    let fits = |offset: u32, bytes: u64| offset >= BOOT_OFFSET && offset as u64 + bytes <= STACK_BOTTOM as u64;
    if header.wand_offset != 0 && (header.wand_offset % 8 != 0 || !fits(header.wand_offset, WAND_BLOCK_SIZE as u64)) {
        return false;
    }
    if header.barrier_count == 0 {
        return true;
    }
    if header.barriers_offset % 4 != 0
        || !fits(
            header.barriers_offset,
            header.barrier_count as u64 * BARRIER_RECORD_SIZE as u64,
        )
    {
        return false;
    }
    (0..header.barrier_count).all(|i| {
        let r = read_record(mesh, header.barriers_offset + i * BARRIER_RECORD_SIZE);
        let kind_ok = r.kind == BARRIER_DISSEMINATION || (r.kind == BARRIER_WAND && header.wand_offset != 0);
        kind_ok
            && r.task < header.task_count
            && r.size >= 1
            && r.rank < r.size
            && r.block % 8 == 0
            && fits(r.block, participant_block_size(r.kind, r.size) as u64)
            && r.roster % 4 == 0
            && fits(r.roster, 4 * r.size as u64)
    })
}

fn read_record<M: Mesh>(mesh: &M, offset: u32) -> BarrierRecord {
    let mut record = BarrierRecord::default();
    mesh.read_local(offset, bytemuck::bytes_of_mut(&mut record));
    record
}

/// The `index`-th barrier record of task `task` in this core's boot table,
/// and the core's WAND block offset.
pub(crate) fn find_record<M: Mesh>(mesh: &M, task: u32, index: u32) -> Option<(BarrierRecord, u32)> {
    let mut header = BootHeader::default();
    mesh.read_local(BOOT_OFFSET, bytemuck::bytes_of_mut(&mut header));
    (0..header.barrier_count)
        .map(|i| read_record(mesh, header.barriers_offset + i * BARRIER_RECORD_SIZE))
        .filter(|r| r.task == task)
        .nth(index as usize)
        .map(|r| (r, header.wand_offset))
}

/// What a participant of either kind shares: its place in the barrier,
/// its block and the roster, and its episode counter.
#[derive(Clone, Copy)]
struct Participant<M: Mesh> {
    mesh: M,
    /// SRAM offset of its participant block.
    block: u32,
    /// SRAM offset of the roster.
    roster: u32,
    rank: u32,
    size: u32,
    /// Episodes arrived at: the value of the block's `arrived`.
    episode: u32,
    /// Between arriving and leaving.
    active: bool,
}

impl<M: Mesh> Participant<M> {
    fn new(mesh: M, record: &BarrierRecord) -> Self {
        let arrived = mesh.load_word(record.block + BARRIER_ARRIVED);
        let left = mesh.load_word(record.block + BARRIER_LEFT);
        Participant {
            mesh,
            block: record.block,
            roster: record.roster,
            rank: record.rank,
            size: record.size,
            episode: arrived,
            // A handle dropped inside an episode leaves `arrived` ahead of
            // `left`: a new handle resumes that episode (re-signalling a
            // round is harmless, its flag already holds the same value).
            active: arrived != left,
        }
    }

    /// Global address of the block of the participant of rank `rank`.
    fn block_of(&self, rank: u32) -> GlobalAddr {
        debug_assert!(rank < self.size);
        GlobalAddr::new(self.mesh.load_word(self.roster + 4 * rank))
    }

    /// Starts a new episode unless one is under way: true when it did.
    fn arrive(&mut self) -> bool {
        if self.active {
            return false;
        }
        self.episode = self.episode.wrapping_add(1);
        // Local store: the host (and a checking process) can see who arrived.
        self.mesh.store_word(self.block + BARRIER_ARRIVED, self.episode);
        self.active = true;
        true
    }

    fn leave(&mut self) {
        self.mesh.store_word(self.block + BARRIER_LEFT, self.episode);
        self.active = false;
    }

    fn laggards(&self) -> u32 {
        let mut count = 0;
        for rank in (0..self.size).filter(|&r| r != self.rank) {
            let mut word = [0u8; 4];
            self.mesh.read(self.block_of(rank).add(BARRIER_ARRIVED), &mut word);
            if !reached(u32::from_le_bytes(word), self.episode) {
                count += 1;
            }
        }
        count
    }
}

/// One participant of a dissemination barrier: see the module doc.
pub struct Barrier<M: Mesh> {
    p: Participant<M>,
    rounds: u32,
    /// The round of the current episode being waited on.
    round: u32,
    /// The current round's flag was written to the partner.
    signalled: bool,
}

impl<M: Mesh> Barrier<M> {
    /// The participant described by `record`.
    ///
    /// # Safety
    /// - `record` was planned for this core by ecsp's host planner and
    ///   checked at boot: its block, roster and every address in the roster
    ///   are as [`BarrierRecord`] says.
    /// - At most one handle per record is in use at a time (one writer per
    ///   flag, one poller per block).
    pub unsafe fn from_record(mesh: M, record: &BarrierRecord) -> Self {
        debug_assert_eq!(record.kind, BARRIER_DISSEMINATION);
        Barrier {
            p: Participant::new(mesh, record),
            rounds: rounds_for(record.size),
            round: 0,
            signalled: false,
        }
    }

    /// Waits until every participant has arrived at this episode.
    ///
    /// Cancel-safe: dropping the future part-way and waiting again resumes
    /// the same episode.
    pub fn wait(&mut self) -> Wait<'_, Self> {
        Wait(self)
    }

    /// One step of [`Barrier::wait`]: arrives (on the first call of an
    /// episode), signals and polls the rounds it can, and returns `Ready`
    /// once every round's flag has reached the episode.
    pub fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.p.arrive() {
            self.round = 0;
            self.signalled = false;
        }
        let mesh = self.p.mesh;
        while self.round < self.rounds {
            let k = self.round;
            if !self.signalled {
                // size < 2^32 and 2^k < size: no overflow in u64.
                let partner = ((self.p.rank as u64 + (1u64 << k)) % self.p.size as u64) as u32;
                let flag = self.p.block_of(partner).add(BARRIER_FLAGS + 4 * k);
                // Flag, then interrupt: same source, same destination, so a
                // woken partner finds the flag.
                mesh.write_word(flag, self.p.episode);
                mesh.raise(CoreId::from_raw(flag.core_field()), Irq::User);
                self.signalled = true;
            }
            let seen = mesh.load_word(self.p.block + BARRIER_FLAGS + 4 * k);
            if !reached(seen, self.p.episode) {
                note_blocked(cx, &mesh, WAIT_OTHER);
                return Poll::Pending;
            }
            self.round += 1;
            self.signalled = false;
        }
        self.p.leave();
        Poll::Ready(())
    }

    /// This participant's rank.
    pub fn rank(&self) -> u32 {
        self.p.rank
    }

    /// Participants of the barrier.
    pub fn size(&self) -> u32 {
        self.p.size
    }

    /// Episodes this participant has arrived at (the current one while it waits).
    pub fn episode(&self) -> u32 {
        self.p.episode
    }
}

/// One participant of the chip-wide WAND barrier: see the module doc.
pub struct WandBarrier<M: Mesh> {
    p: Participant<M>,
    /// SRAM offset of this core's WAND block.
    core_block: u32,
}

impl<M: Mesh> WandBarrier<M> {
    /// The participant described by `record`, on a core whose WAND block is
    /// at `wand_offset`.
    ///
    /// # Safety
    /// - As [`Barrier::from_record`]; and `wand_offset` is the core's WAND
    ///   block, whose `members` counts this core's WAND records.
    pub unsafe fn from_record(mesh: M, record: &BarrierRecord, wand_offset: u32) -> Self {
        debug_assert_eq!(record.kind, BARRIER_WAND);
        WandBarrier {
            p: Participant::new(mesh, record),
            core_block: wand_offset,
        }
    }

    /// Waits until every participant, chip-wide, has arrived at this episode.
    ///
    /// Cancel-safe, as [`Barrier::wait`].
    pub fn wait(&mut self) -> Wait<'_, Self> {
        Wait(self)
    }

    /// One step of [`WandBarrier::wait`].
    pub fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let mesh = self.p.mesh;
        let core = self.core_block;
        if self.p.arrive() {
            // The core's members count in; the last one raises the core's
            // flag. All local: the executor runs one process at a time.
            let arrived = mesh.load_word(core + WAND_ARRIVED) + 1;
            if arrived >= mesh.load_word(core + WAND_MEMBERS) {
                mesh.store_word(core + WAND_ARRIVED, 0);
                mesh.wand();
            } else {
                mesh.store_word(core + WAND_ARRIVED, arrived);
            }
        }
        // Whoever sees the latch counts the completion for the whole core.
        // One latch per completion: the next completion needs every member
        // here to arrive again, hence to have left, hence the latch taken.
        if mesh.take_irq(Irq::Wand) {
            let completed = mesh.load_word(core + WAND_COMPLETED).wrapping_add(1);
            mesh.store_word(core + WAND_COMPLETED, completed);
        }
        if !reached(mesh.load_word(core + WAND_COMPLETED), self.p.episode) {
            note_blocked(cx, &mesh, WAIT_OTHER);
            return Poll::Pending;
        }
        self.p.leave();
        Poll::Ready(())
    }

    /// This participant's rank.
    pub fn rank(&self) -> u32 {
        self.p.rank
    }

    /// Participants of the barrier, chip-wide.
    pub fn size(&self) -> u32 {
        self.p.size
    }

    /// Episodes this participant has arrived at.
    pub fn episode(&self) -> u32 {
        self.p.episode
    }
}

/// A barrier of either kind, as a process finds it in its boot table.
pub enum AnyBarrier<M: Mesh> {
    /// A software dissemination barrier.
    Dissemination(Barrier<M>),
    /// The chip-wide WAND barrier.
    Wand(WandBarrier<M>),
}

impl<M: Mesh> AnyBarrier<M> {
    /// The participant described by `record`, on a core whose WAND block is
    /// at `wand_offset` (0: none).
    ///
    /// # Safety
    /// As [`Barrier::from_record`] and [`WandBarrier::from_record`].
    pub unsafe fn from_record(mesh: M, record: &BarrierRecord, wand_offset: u32) -> Self {
        if record.kind == BARRIER_WAND {
            // SAFETY: forwarded.
            AnyBarrier::Wand(unsafe { WandBarrier::from_record(mesh, record, wand_offset) })
        } else {
            // SAFETY: forwarded.
            AnyBarrier::Dissemination(unsafe { Barrier::from_record(mesh, record) })
        }
    }

    /// Waits until every participant has arrived at this episode.
    pub fn wait(&mut self) -> Wait<'_, Self> {
        Wait(self)
    }

    fn participant(&self) -> &Participant<M> {
        match self {
            AnyBarrier::Dissemination(b) => &b.p,
            AnyBarrier::Wand(b) => &b.p,
        }
    }

    /// This participant's rank.
    pub fn rank(&self) -> u32 {
        self.participant().rank
    }

    /// Participants of the barrier.
    pub fn size(&self) -> u32 {
        self.participant().size
    }

    /// Episodes this participant has arrived at.
    pub fn episode(&self) -> u32 {
        self.participant().episode
    }

    /// True for the dissemination barrier, which makes a participant's
    /// earlier writes into its round partners' SRAM visible to them when
    /// they leave (see "Memory" in the module doc); false for WAND.
    pub fn orders_memory(&self) -> bool {
        matches!(self, AnyBarrier::Dissemination(_))
    }

    /// A check for tests, off every barrier's path: how many other
    /// participants have not yet arrived at this participant's latest
    /// episode, read from their blocks with remote reads ([`Mesh::read`]).
    /// Right after leaving an episode it must be 0.
    pub fn laggards(&self) -> u32 {
        self.participant().laggards()
    }
}

/// A barrier's wait step, for [`Wait`].
pub trait PollWait {
    /// Arrives (on the first call of an episode) and returns `Ready` once
    /// every participant has arrived.
    fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<()>;
}

impl<M: Mesh> PollWait for Barrier<M> {
    fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        Barrier::poll_wait(self, cx)
    }
}

impl<M: Mesh> PollWait for WandBarrier<M> {
    fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        WandBarrier::poll_wait(self, cx)
    }
}

impl<M: Mesh> PollWait for AnyBarrier<M> {
    fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        match self {
            AnyBarrier::Dissemination(b) => b.poll_wait(cx),
            AnyBarrier::Wand(b) => b.poll_wait(cx),
        }
    }
}

/// Future of a barrier's `wait`: ready once every participant has arrived.
#[must_use = "futures do nothing unless awaited"]
pub struct Wait<'a, B: PollWait>(&'a mut B);

impl<B: PollWait> Future for Wait<'_, B> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.get_mut().0.poll_wait(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_and_sizes() {
        assert_eq!(rounds_for(0), 0);
        assert_eq!(rounds_for(1), 0);
        assert_eq!(rounds_for(2), 1);
        assert_eq!(rounds_for(3), 2);
        assert_eq!(rounds_for(4), 2);
        assert_eq!(rounds_for(5), 3);
        assert_eq!(rounds_for(64), 6);
        assert_eq!(rounds_for(65), 7);
        assert_eq!(rounds_for(u32::MAX), 32);
        assert_eq!(participant_block_size(BARRIER_DISSEMINATION, 1), 8);
        assert_eq!(participant_block_size(BARRIER_DISSEMINATION, 2), 16);
        assert_eq!(participant_block_size(BARRIER_DISSEMINATION, 16), 24);
        assert_eq!(participant_block_size(BARRIER_WAND, 64), 8);
    }

    #[test]
    fn reached_wraps() {
        assert!(reached(5, 5));
        assert!(reached(6, 5));
        assert!(!reached(4, 5));
        assert!(reached(0, u32::MAX), "the next episode after a wrap");
        assert!(!reached(u32::MAX, 0));
        assert!(!reached(0, 1), "a zeroed flag has not reached episode 1");
    }

    /// Every rank hears of every other within `rounds_for(p)` rounds of the
    /// partner schedule `i -> i + 2^k`: the coverage the module doc proves.
    #[test]
    fn the_schedule_covers_everyone() {
        for p in 1..=70u32 {
            // known[i]: ranks i has heard of (bit set), itself included.
            let mut known: [u128; 70] = [0; 70];
            for (i, k) in known.iter_mut().enumerate().take(p as usize) {
                *k = 1 << i;
            }
            for k in 0..rounds_for(p) {
                let before = known;
                for i in 0..p {
                    let to = ((i as u64 + (1 << k)) % p as u64) as usize;
                    known[to] |= before[i as usize];
                }
            }
            let all = if p == 128 { u128::MAX } else { (1u128 << p) - 1 };
            for (i, k) in known.iter().enumerate().take(p as usize) {
                assert_eq!(*k, all, "p = {p}: rank {i} missed someone");
            }
        }
    }
}
