//! The boot table: what the host writes into a core's SRAM before start, and
//! where the core writes its results.
//!
//! ```text
//!  0x0000 ┌──────────────────────────────┐
//!         │ IVT, loader config           │ 0x0000..0x0100
//!         │ runtime code and data        │ ..RUNTIME_END (banks 0, 1)
//!  0x4000 ├──────────────────────────────┤ BOOT_OFFSET
//!         │ BootHeader                   │
//!         │ TaskRecord  × task_count     │
//!         │ EndRecord   × end_count      │
//!         │ channel blocks (rings, acks) │
//!         │ task arena (process states)  │
//!  0x7800 ├──────────────────────────────┤ STACK_BOTTOM
//!         │ stack reserve                │
//!  0x8000 └──────────────────────────────┘
//! ```
//!
//! Every structure here is `#[repr(C)]` with explicit padding; the C runtime
//! for silicon (`device/c/`) must match it byte for byte. Each field says who
//! writes it: "host" fields are written before the core starts and never
//! change while it runs; "device" fields are written only by this core and
//! read by the host after (or while) it runs.

use core::mem::{align_of, size_of};

/// End of the region kept for the vector table, loader config and the runtime itself.
///
/// Two of the four SRAM banks: the C runtime on silicon measures about
/// 5.6 KiB of Epiphany code with one kind and 10.4 KiB with the default
/// image's kinds (`device/c/README.md`, `scripts/image-sizes.sh`), and the
/// rest is room for users' kernels; code and data in different banks let
/// instruction fetch and data accesses go on together. The simulator keeps
/// the same reserve, so a network that fits there fits on the chip.
pub const RUNTIME_END: u32 = 0x4000;
/// Offset of the [`BootHeader`].
pub const BOOT_OFFSET: u32 = RUNTIME_END;
/// Bytes kept free at the top of SRAM for the core's stack.
pub const STACK_RESERVE: u32 = 0x0800;
/// Lowest address the stack may grow down to.
pub const STACK_BOTTOM: u32 = crate::addr::SRAM_SIZE - STACK_RESERVE;
/// "ECSP" in little-endian.
pub const BOOT_MAGIC: u32 = u32::from_le_bytes(*b"ECSP");
/// Version of this layout; bumped on any change (2: shared channels, the
/// [`END_SHARED_READ`] and [`END_SHARED_WRITE`] ends and their records;
/// 3: the boot table moves from 0x2000 to 0x4000; 4: users' kernels, whose
/// rooms the host fills, [`crate::kernel`]).
pub const BOOT_VERSION: u32 = 4;
/// Most processes one core runs.
pub const MAX_TASKS_PER_CORE: usize = 128;
/// Parameters per process.
pub const MAX_PARAMS: usize = 4;

/// Core status values in [`BootHeader::core_status`].
pub mod core_status {
    /// Written by the host: the table is ready, the core has not started.
    pub const LOADED: u32 = 0;
    /// The core booted and runs its processes.
    pub const RUNNING: u32 = 1;
    /// Every process on the core has finished.
    pub const FINISHED: u32 = 2;
    /// The core stopped: a boot error, a failed process or a fault.
    pub const FAULTED: u32 = 3;
}

/// Task status values in [`TaskRecord::status`].
pub mod task_status {
    /// Written by the host: not started.
    pub const LOADED: u32 = 0;
    /// Spawned and running (or blocked).
    pub const RUNNING: u32 = 1;
    /// Returned normally; `value` and `ticks` hold its result.
    pub const FINISHED: u32 = 2;
    /// Returned an error (code in `error`) or stopped the core.
    pub const FAILED: u32 = 3;
}

/// The head of a core's boot table, at [`BOOT_OFFSET`].
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BootHeader {
    /// [`BOOT_MAGIC`]. Host writes.
    pub magic: u32,
    /// [`BOOT_VERSION`]. Host writes.
    pub version: u32,
    /// The core this table was planned for (checked against COREID). Host writes.
    pub core_id: u32,
    /// Number of [`TaskRecord`]s. Host writes.
    pub task_count: u32,
    /// Number of [`EndRecord`]s. Host writes.
    pub end_count: u32,
    /// SRAM offset of the first [`TaskRecord`]. Host writes.
    pub tasks_offset: u32,
    /// SRAM offset of the first [`EndRecord`]. Host writes.
    pub ends_offset: u32,
    /// SRAM offset of the task arena. Host writes.
    pub arena_offset: u32,
    /// Bytes in the task arena. Host writes.
    pub arena_size: u32,
    /// One of [`core_status`]. Host writes LOADED before start; device writes after.
    pub core_status: u32,
    /// Index of the task that stopped the core, or `u32::MAX`. Host writes
    /// `u32::MAX` before start; device writes when a fault stops the core.
    pub fault_task: u32,
    /// A [`crate::executor::BootError`] code when booting failed, else 0.
    /// Host writes 0 before start; device writes when boot fails.
    pub boot_error: u32,
    /// Number of [`crate::barrier::BarrierRecord`]s: one per process per
    /// barrier it takes part in. Host writes.
    pub barrier_count: u32,
    /// SRAM offset of the first [`crate::barrier::BarrierRecord`] (4-byte
    /// aligned; 0 when there are none). Host writes.
    pub barriers_offset: u32,
    /// SRAM offset of this core's WAND block ([`crate::barrier::WAND_BLOCK_SIZE`]
    /// bytes, 8-byte aligned) when processes on this core take part in the
    /// chip-wide WAND barrier; 0 when none do. Host writes.
    pub wand_offset: u32,
    /// Zero. Host writes.
    pub reserved: u32,
}

/// One process to run on this core.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TaskRecord {
    /// The process's kind: its index in the built-in registry, or a user's
    /// kind ([`crate::kernel::USER_KIND_BASE`] and up). Host writes.
    pub kind: u32,
    /// [`crate::message::Dtype`] code of the messages it computes with. Host writes.
    pub dtype: u32,
    /// Index of its first [`EndRecord`]. Host writes.
    pub first_end: u32,
    /// How many of its ends are read ends (they come first). Host writes.
    pub inputs: u32,
    /// How many write ends follow them. Host writes.
    pub outputs: u32,
    /// Arena-relative offset of its state. Host writes.
    pub state_offset: u32,
    /// Bytes kept for its state. Host writes.
    pub state_size: u32,
    /// One of [`task_status`]. Device writes last, with release ordering.
    pub status: u32,
    /// Parameters, meaning per kind. Host writes.
    pub params: [i64; MAX_PARAMS],
    /// The process's result value. Device writes before `status`.
    pub value: u64,
    /// A second result (meaning per kind). Device writes before `status`.
    pub aux: u64,
    /// Ticks the process measured (meaning per kind, 0 if none). Device writes before `status`.
    pub ticks: u64,
    /// A [`crate::process::ProcessError`] code when it failed. Device writes before `status`.
    pub error: u32,
    /// What the process last blocked on: the index of the channel end in
    /// this core's end table plus one, [`WAIT_OTHER`] for anything else, 0
    /// before it first blocked. Device writes each time the process blocks;
    /// the host reads it to report who waits on what (a deadlock, a
    /// timeout). It is stale while the process runs.
    pub waiting: u32,
}

/// One channel end of one process.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EndRecord {
    /// SRAM offset of this end's block on this core: the ring for a read
    /// end, the acknowledgement block for a write end, the [`ShareRecord`]
    /// of a shared end. Host writes.
    pub local: u32,
    /// Global address of the peer's block: the writer's acknowledgement
    /// block for a read end, the reader's ring for a write end; 0 for a
    /// shared end. Host writes.
    pub remote: u32,
    /// Core id of the peer end; 0 for a shared end. Host writes.
    pub peer: u32,
    /// Buffer capacity in messages; 0 is a rendezvous. Host writes.
    pub capacity: u32,
    /// Bytes per message. Host writes.
    pub msg_size: u32,
    /// [`END_READ`], [`END_WRITE`], [`END_SHARED_READ`] or
    /// [`END_SHARED_WRITE`]: bit 0 is set for a write end. Host writes.
    pub direction: u32,
    /// Lanes: 1 for a one-to-one end; for the read end of an any-to-one
    /// channel, its number of writers, each with a lane of its own; for a
    /// shared end, the number of ends on the other side (a lane to or from
    /// each). Host writes.
    pub lanes: u32,
    /// Read end of an any-to-one channel, or a shared end: SRAM offset of
    /// its lane table (`lanes` [`LaneRecord`]s for a read end,
    /// [`OutLaneRecord`]s for a shared write end). For an any-to-one read
    /// end `local`, `remote` and `peer` are then unused. Zero otherwise.
    /// Host writes.
    pub table: u32,
}

/// One writer's lane of an any-to-one channel, in the reader's SRAM: a
/// one-to-one ring of its own plus the reader's private cursor for it.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LaneRecord {
    /// SRAM offset of the lane's ring block on this (the reader's) core. Host writes.
    pub ring: u32,
    /// Global address of the lane writer's acknowledgement block. Host writes.
    pub ack: u32,
    /// Core id of the lane's writer. Host writes.
    pub peer: u32,
    /// Messages taken from this lane. The reader core alone writes and reads it.
    pub taken: u32,
    /// The lane's slot cursor. The reader core alone writes and reads it.
    pub next_slot: u32,
    /// Zero.
    pub reserved: u32,
}

/// The head of a shared end (either end of a one-to-any or any-to-any
/// channel), in that end's SRAM at its `EndRecord::local` offset.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ShareRecord {
    /// [`crate::channel::block::POISONED`] once any end of the channel on
    /// this end's side (or this end) poisoned it; zero before. Written by
    /// those ends' cores, only ever with that value, never cleared; polled by
    /// this core.
    pub state: u32,
    /// Read end: the claim word writers take with TESTSET to answer this
    /// reader's open request (zero: a request is open and unclaimed). This
    /// core writes 0; writer cores TESTSET it. Unused by a write end.
    pub claim: u32,
    /// SRAM offset of the [`PeerRecord`] table: the other ends on this
    /// end's side. Host writes.
    pub peers: u32,
    /// Number of [`PeerRecord`]s (0 to [`MAX_LANES`] - 1). Host writes.
    pub peer_count: u32,
}

/// A lane seen from its writer: one per reader in the lane table of a
/// shared write end, in the writer's SRAM. It begins with the lane's
/// acknowledgement block (`taken`, `reader_state`), so a reader's
/// [`LaneRecord::ack`] points at the record itself.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutLaneRecord {
    /// Messages the reader took from this lane. The reader core writes it.
    pub taken: u32,
    /// `POISONED` once the reader poisoned the channel, stored after every
    /// acknowledgement it wrote here. The reader core writes it.
    pub reader_state: u32,
    /// Requests the reader opened (rendezvous channels). The reader core
    /// writes it.
    pub asked: u32,
    /// Global address of the lane's ring block in the reader's SRAM. Host writes.
    pub ring: u32,
    /// Global address of the reader's [`ShareRecord::claim`] word. Host writes.
    pub claim: u32,
    /// Core id of the reader. Host writes.
    pub peer: u32,
    /// Messages written into the lane. The writer core alone writes and reads it.
    pub written: u32,
    /// The lane's slot cursor. The writer core alone writes and reads it.
    pub next_slot: u32,
    /// The reader's requests this writer has dealt with (answered, or found
    /// answered by another writer). The writer core alone writes and reads it.
    pub handled: u32,
    /// Zero.
    pub reserved: u32,
}

/// Another end on the same side of a shared channel, for passing poison on.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PeerRecord {
    /// Global address of that end's [`ShareRecord::state`]. Host writes.
    pub state: u32,
    /// Its core id. Host writes.
    pub peer: u32,
}

/// Set in [`TaskRecord::kind`] by a host that wants the process run by the C
/// runtime (`device/c/`) in a simulator that carries both runtimes
/// (`ecsp-device`'s `c-runtime` feature): the kind id is the other bits.
/// The C runtime on silicon ignores it, since every process there is C.
pub const KIND_C_FLAG: u32 = 1 << 31;

/// [`TaskRecord::waiting`] of a process blocked on something other than one
/// channel end (several ends in an alternation, a timer, a barrier).
pub const WAIT_OTHER: u32 = u32::MAX;

/// [`EndRecord::direction`] of a read end.
pub const END_READ: u32 = 0;
/// [`EndRecord::direction`] of a write end.
pub const END_WRITE: u32 = 1;
/// [`EndRecord::direction`] of a read end of a one-to-any or any-to-any channel.
pub const END_SHARED_READ: u32 = 2;
/// [`EndRecord::direction`] of a write end of a one-to-any or any-to-any channel.
pub const END_SHARED_WRITE: u32 = 3;

/// Offset of [`TaskRecord::status`].
pub const TASK_STATUS_OFFSET: u32 = 28;
/// Offset of [`TaskRecord::value`] (followed by `aux`, `ticks`, `error`).
pub const TASK_VALUE_OFFSET: u32 = 64;
/// Offset of [`TaskRecord::error`].
pub const TASK_ERROR_OFFSET: u32 = 88;
/// Offset of [`TaskRecord::waiting`].
pub const TASK_WAITING_OFFSET: u32 = 92;
/// Offset of [`LaneRecord::taken`].
pub const LANE_TAKEN_OFFSET: u32 = 12;
/// Offset of [`LaneRecord::next_slot`].
pub const LANE_NEXT_SLOT_OFFSET: u32 = 16;
/// Most writers an any-to-one or any-to-any channel can have, and most
/// readers a one-to-any or any-to-any channel can have.
pub const MAX_LANES: u32 = 64;
/// Offset of [`ShareRecord::state`].
pub const SHARE_STATE_OFFSET: u32 = 0;
/// Offset of [`ShareRecord::claim`].
pub const SHARE_CLAIM_OFFSET: u32 = 4;
/// Offset of [`OutLaneRecord::asked`].
pub const OUT_LANE_ASKED_OFFSET: u32 = 8;
/// Offset of [`OutLaneRecord::claim`].
pub const OUT_LANE_CLAIM_OFFSET: u32 = 16;
/// Offset of [`OutLaneRecord::written`].
pub const OUT_LANE_WRITTEN_OFFSET: u32 = 24;
/// Offset of [`OutLaneRecord::next_slot`].
pub const OUT_LANE_NEXT_SLOT_OFFSET: u32 = 28;
/// Offset of [`OutLaneRecord::handled`].
pub const OUT_LANE_HANDLED_OFFSET: u32 = 32;
/// Offset of [`BootHeader::core_status`].
pub const CORE_STATUS_OFFSET: u32 = 36;
/// Offset of [`BootHeader::fault_task`].
pub const FAULT_TASK_OFFSET: u32 = 40;
/// Offset of [`BootHeader::boot_error`].
pub const BOOT_ERROR_OFFSET: u32 = 44;

const _: () = {
    assert!(size_of::<BootHeader>() == 64);
    assert!(size_of::<TaskRecord>() == 96);
    assert!(align_of::<TaskRecord>() == 8);
    assert!(size_of::<EndRecord>() == 32);
    assert!(size_of::<LaneRecord>() == 24);
    assert!(size_of::<ShareRecord>() == 16);
    assert!(size_of::<OutLaneRecord>() == 40);
    assert!(size_of::<PeerRecord>() == 8);
    assert!(core::mem::offset_of!(ShareRecord, state) == SHARE_STATE_OFFSET as usize);
    assert!(core::mem::offset_of!(ShareRecord, claim) == SHARE_CLAIM_OFFSET as usize);
    // A reader's `LaneRecord::ack` points at the out-lane record: it must
    // begin with an acknowledgement block.
    assert!(core::mem::offset_of!(OutLaneRecord, taken) == crate::channel::block::ACK_TAKEN as usize);
    assert!(core::mem::offset_of!(OutLaneRecord, reader_state) == crate::channel::block::ACK_READER_STATE as usize);
    assert!(core::mem::offset_of!(OutLaneRecord, asked) == OUT_LANE_ASKED_OFFSET as usize);
    assert!(core::mem::offset_of!(OutLaneRecord, claim) == OUT_LANE_CLAIM_OFFSET as usize);
    assert!(core::mem::offset_of!(OutLaneRecord, written) == OUT_LANE_WRITTEN_OFFSET as usize);
    assert!(core::mem::offset_of!(OutLaneRecord, next_slot) == OUT_LANE_NEXT_SLOT_OFFSET as usize);
    assert!(core::mem::offset_of!(OutLaneRecord, handled) == OUT_LANE_HANDLED_OFFSET as usize);
    assert!(core::mem::offset_of!(TaskRecord, status) == TASK_STATUS_OFFSET as usize);
    assert!(core::mem::offset_of!(TaskRecord, value) == TASK_VALUE_OFFSET as usize);
    assert!(core::mem::offset_of!(TaskRecord, error) == TASK_ERROR_OFFSET as usize);
    assert!(core::mem::offset_of!(TaskRecord, waiting) == TASK_WAITING_OFFSET as usize);
    assert!(core::mem::offset_of!(BootHeader, core_status) == CORE_STATUS_OFFSET as usize);
    assert!(core::mem::offset_of!(LaneRecord, taken) == LANE_TAKEN_OFFSET as usize);
    assert!(core::mem::offset_of!(LaneRecord, next_slot) == LANE_NEXT_SLOT_OFFSET as usize);
    assert!(core::mem::offset_of!(BootHeader, fault_task) == FAULT_TASK_OFFSET as usize);
    assert!(core::mem::offset_of!(BootHeader, boot_error) == BOOT_ERROR_OFFSET as usize);
};

/// Rounds `n` up to a multiple of `align` (a power of two).
pub const fn align_up(n: u32, align: u32) -> u32 {
    (n + align - 1) & !(align - 1)
}

// bytemuck views of the boot records, used to copy them in and out of shared memory.
// SAFETY: `EndRecord` is `#[repr(C)]`, made of `u32`s only: no padding, every
// bit pattern valid.
unsafe impl bytemuck::Zeroable for EndRecord {}
// SAFETY: as above.
unsafe impl bytemuck::Pod for EndRecord {}
// SAFETY: `LaneRecord` is `#[repr(C)]`, made of `u32`s only.
unsafe impl bytemuck::Zeroable for LaneRecord {}
// SAFETY: as above.
unsafe impl bytemuck::Pod for LaneRecord {}
// SAFETY: `ShareRecord` is `#[repr(C)]`, made of `u32`s only.
unsafe impl bytemuck::Zeroable for ShareRecord {}
// SAFETY: as above.
unsafe impl bytemuck::Pod for ShareRecord {}
// SAFETY: `OutLaneRecord` is `#[repr(C)]`, made of `u32`s only.
unsafe impl bytemuck::Zeroable for OutLaneRecord {}
// SAFETY: as above.
unsafe impl bytemuck::Pod for OutLaneRecord {}
// SAFETY: `PeerRecord` is `#[repr(C)]`, made of `u32`s only.
unsafe impl bytemuck::Zeroable for PeerRecord {}
// SAFETY: as above.
unsafe impl bytemuck::Pod for PeerRecord {}
// SAFETY: `TaskRecord` is `#[repr(C)]`: eight u32s (32 bytes), four i64s,
// three u64s and two u32s, every field at its natural alignment with no gap
// (offsets pinned by `boot_layout_is_pinned`), every bit pattern valid.
unsafe impl bytemuck::Zeroable for TaskRecord {}
// SAFETY: as above.
unsafe impl bytemuck::Pod for TaskRecord {}
// SAFETY: `BootHeader` is `#[repr(C)]`, sixteen u32s: no padding.
unsafe impl bytemuck::Zeroable for BootHeader {}
// SAFETY: as above.
unsafe impl bytemuck::Pod for BootHeader {}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::offset_of;

    /// Pins the layout PROTOCOL.md documents; the C runtime must match it.
    #[test]
    fn boot_layout_is_pinned() {
        assert_eq!(BOOT_OFFSET, 0x4000);
        assert_eq!(STACK_BOTTOM, 0x7800);
        assert_eq!(BOOT_MAGIC, 0x5053_4345);
        assert_eq!(offset_of!(BootHeader, magic), 0);
        assert_eq!(offset_of!(BootHeader, task_count), 12);
        assert_eq!(offset_of!(BootHeader, arena_offset), 28);
        assert_eq!(offset_of!(BootHeader, core_status), 36);
        assert_eq!(offset_of!(BootHeader, boot_error), 44);
        assert_eq!(offset_of!(BootHeader, barrier_count), 48);
        assert_eq!(offset_of!(BootHeader, barriers_offset), 52);
        assert_eq!(offset_of!(BootHeader, wand_offset), 56);
        assert_eq!(size_of::<BootHeader>(), 64);
        assert_eq!(offset_of!(TaskRecord, kind), 0);
        assert_eq!(offset_of!(TaskRecord, state_size), 24);
        assert_eq!(offset_of!(TaskRecord, params), 32);
        assert_eq!(offset_of!(TaskRecord, value), 64);
        assert_eq!(offset_of!(TaskRecord, aux), 72);
        assert_eq!(offset_of!(TaskRecord, ticks), 80);
        assert_eq!(offset_of!(TaskRecord, error), 88);
        assert_eq!(offset_of!(EndRecord, local), 0);
        assert_eq!(offset_of!(EndRecord, remote), 4);
        assert_eq!(offset_of!(EndRecord, peer), 8);
        assert_eq!(offset_of!(EndRecord, capacity), 12);
        assert_eq!(offset_of!(EndRecord, msg_size), 16);
        assert_eq!(offset_of!(EndRecord, direction), 20);
        assert_eq!(offset_of!(EndRecord, lanes), 24);
        assert_eq!(offset_of!(EndRecord, table), 28);
        assert_eq!(offset_of!(LaneRecord, taken), 12);
        assert_eq!(offset_of!(LaneRecord, next_slot), 16);
        assert_eq!(BOOT_VERSION, 4);
        assert_eq!((END_READ, END_WRITE, END_SHARED_READ, END_SHARED_WRITE), (0, 1, 2, 3));
        assert_eq!(offset_of!(ShareRecord, state), 0);
        assert_eq!(offset_of!(ShareRecord, claim), 4);
        assert_eq!(offset_of!(ShareRecord, peers), 8);
        assert_eq!(offset_of!(ShareRecord, peer_count), 12);
        assert_eq!(size_of::<ShareRecord>(), 16);
        assert_eq!(offset_of!(OutLaneRecord, taken), 0);
        assert_eq!(offset_of!(OutLaneRecord, reader_state), 4);
        assert_eq!(offset_of!(OutLaneRecord, asked), 8);
        assert_eq!(offset_of!(OutLaneRecord, ring), 12);
        assert_eq!(offset_of!(OutLaneRecord, claim), 16);
        assert_eq!(offset_of!(OutLaneRecord, peer), 20);
        assert_eq!(offset_of!(OutLaneRecord, written), 24);
        assert_eq!(offset_of!(OutLaneRecord, next_slot), 28);
        assert_eq!(offset_of!(OutLaneRecord, handled), 32);
        assert_eq!(size_of::<OutLaneRecord>(), 40);
        assert_eq!(offset_of!(PeerRecord, state), 0);
        assert_eq!(offset_of!(PeerRecord, peer), 4);
        assert_eq!(size_of::<PeerRecord>(), 8);
    }

    #[test]
    fn align_up_rounds() {
        assert_eq!(align_up(0, 8), 0);
        assert_eq!(align_up(1, 8), 8);
        assert_eq!(align_up(8, 8), 8);
        assert_eq!(align_up(13, 4), 16);
    }
}
