//! Placement and memory plans: which core runs each process, and where every
//! byte of each core's 32 KiB goes, checked before anything runs.
//!
//! A core's SRAM, as planned (see `ecsp_device::boot` for the picture):
//! runtime reserve (vector table, loader config, runtime code), boot table
//! (header, task records, end records), channel blocks (a ring for every
//! channel read on this core, an acknowledgement block for every channel
//! written from it; for an end of a one-to-any or any-to-any channel, its
//! share record, its lane table, its peer table and, for a reader, a ring
//! per writer), the task arena (each process's state), and the stack
//! reserve at the top.
//!
//! Host ends (a channel with no process on one side, DESIGN.md section 3):
//! the host is a node like any other, whose local memory is the start of the
//! board's DRAM window. A host read end's ring (an any-to-one's lane table
//! and rings) and a host write end's acknowledgement block are laid out
//! there ([`HostPlan`]); the device end's `peer` is [`CoreId::HOST`]. The
//! host then makes its endpoints from the same end records, with the same
//! channel code.
//!
//! [`plan`] runs in three steps, each in a file of its own, with one owner
//! per layout rule:
//!
//! - `plan/placement.rs`: the core of each process (pins, then
//!   [`Placement`]; `plan/mapper.rs` for `auto`).
//! - `plan/layout.rs`, pass 1: every core's offsets and [`MemoryUsage`],
//!   and the host's part of DRAM; the errors of a core that does not fit.
//! - `plan/encode.rs`, pass 2: the boot images and end records.
//!
//! Two rules have owners that every step uses: `plan/blocks.rs`, the blocks
//! each end of each channel kind keeps on its node (for the mapper's
//! weights, the core layout and the host's layout alike), and
//! `plan/barriers.rs`, a core's barrier area.

use crate::board::Board;
use crate::network::{ChanId, Network, NetworkError, ProcId};
use ecsp_device::addr::{CoreId, GlobalAddr, SRAM_SIZE};
use ecsp_device::boot::{EndRecord, MAX_TASKS_PER_CORE};
use ecsp_device::kernel::USER_KIND_BASE;
use ecsp_device::message::Dtype;
use std::alloc::Layout;
use std::fmt;

mod barriers;
mod blocks;
mod encode;
mod layout;
mod mapper;
mod placement;

/// How processes without a pin are placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Placement {
    /// One process per core in mesh order (a snake through the rows, so
    /// consecutive processes are neighbours), wrapping when there are more
    /// processes than cores.
    #[default]
    Spread,
    /// Every process on the first core.
    Packed,
    /// The hop-minimising mapper: channels short on the mesh, processes
    /// spread evenly over the cores (see `plan/mapper.rs`).
    Auto,
}

impl Placement {
    /// Parses "spread" or "packed".
    pub fn from_name(name: &str) -> Option<Placement> {
        match name {
            "spread" => Some(Placement::Spread),
            "packed" => Some(Placement::Packed),
            "auto" => Some(Placement::Auto),
            _ => None,
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Placement::Spread => "spread",
            Placement::Packed => "packed",
            Placement::Auto => "auto",
        }
    }
}

impl fmt::Display for Placement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a network cannot be planned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// The network is not well formed.
    #[error(transparent)]
    Network(#[from] NetworkError),
    /// A pin outside the chip.
    #[error("process `{process}` is pinned to core ({row}, {col}), outside the {rows}x{cols} chip of {board}: rows are 0..{rows}, cols 0..{cols}")]
    PinOutsideChip {
        /// The process.
        process: String,
        /// Pinned row.
        row: u32,
        /// Pinned col.
        col: u32,
        /// Chip rows.
        rows: u32,
        /// Chip cols.
        cols: u32,
        /// Board name.
        board: String,
    },
    /// Too many processes on one core for the executor.
    #[error("core {core} would run {count} processes, the device runtime holds at most {MAX_TASKS_PER_CORE} per core: spread them over more cores")]
    TooManyProcesses {
        /// The core.
        core: CoreId,
        /// How many.
        count: usize,
    },
    /// The host ends' blocks do not fit the board's DRAM window.
    #[error(
        "the host channels need {needed} bytes of the board's {size}-byte DRAM window: use smaller buffers or messages"
    )]
    HostWindow {
        /// Bytes needed.
        needed: u64,
        /// The window's size.
        size: u32,
    },
    /// A core's memory does not fit in 32 KiB.
    #[error("core {core} does not fit: it needs {needed} bytes of its {SRAM_SIZE}-byte SRAM, {over} bytes over ({usage}); processes there: {processes}. Spread the network over more cores or use smaller buffers")]
    DoesNotFit {
        /// The core.
        core: CoreId,
        /// Bytes needed.
        needed: u32,
        /// Bytes over the limit.
        over: u32,
        /// The breakdown.
        usage: MemoryUsage,
        /// Names of its processes.
        processes: String,
    },
    /// The backend's device image does not know how big a process's state is.
    #[error(
        "process `{process}`: the device image has no {dtype} variant of kind `{kind}`; an image for silicon runs \
         the kinds and dtypes it was built with: rebuild ecsp with ECSP_DEVICE_KINDS / ECSP_DEVICE_DTYPES naming them \
         (device/c/README.md), or pass such an image (--device-image; device_image= in Python)"
    )]
    NoStateSize {
        /// The process.
        process: String,
        /// Its kind.
        kind: String,
        /// Its message type.
        dtype: &'static str,
    },
}

/// Where a core's SRAM goes, in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct MemoryUsage {
    /// Vector table, loader config and the runtime image.
    pub runtime: u32,
    /// Boot header, task records and end records.
    pub boot_table: u32,
    /// Channel rings and acknowledgement blocks.
    pub channels: u32,
    /// Process states.
    pub arena: u32,
    /// Kept for the stack.
    pub stack: u32,
    /// Barrier records, rosters, participant blocks and the WAND block.
    pub barriers: u32,
}

impl MemoryUsage {
    /// Sum of all parts.
    pub fn total(&self) -> u32 {
        self.runtime + self.boot_table + self.channels + self.arena + self.stack + self.barriers
    }
}

impl fmt::Display for MemoryUsage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "runtime {} + boot table {} + channels {}",
            self.runtime, self.boot_table, self.channels
        )?;
        if self.barriers > 0 {
            write!(f, " + barriers {}", self.barriers)?;
        }
        write!(f, " + process states {} + stack {}", self.arena, self.stack)
    }
}

/// The plan of one core.
#[derive(Debug, Clone)]
pub struct CorePlan {
    /// The core.
    pub core: CoreId,
    /// Its processes, in boot order.
    pub processes: Vec<ProcId>,
    /// Its memory.
    pub usage: MemoryUsage,
    /// SRAM offset of each process's task record, parallel to `processes`.
    pub task_records: Vec<u32>,
    /// The bytes to write at [`BOOT_OFFSET`](ecsp_device::boot::BOOT_OFFSET):
    /// the boot table and zeroed channel blocks, and, when users' C kernels
    /// run on the core, the task arena up to the end of the last kernel
    /// room's head (its block, items and parameter values).
    pub image: Vec<u8>,
    /// The core's end table: for each end record, its channel and whether
    /// it is the read end.
    pub ends: Vec<(ChanId, bool)>,
}

/// A network placed onto a chip, with every core's memory laid out.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The board planned for.
    pub board_name: String,
    /// The core of each process, by [`ProcId`].
    pub assignment: Vec<CoreId>,
    /// Cores with at least one process, in mesh order.
    pub cores: Vec<CorePlan>,
    /// Where each process's task record is: (index into `cores`, SRAM offset).
    pub records: Vec<(usize, u32)>,
    /// Per barrier (by `BarrierId`), the global address of every
    /// participant's block, by rank (`ecsp_device::barrier`): where the host
    /// reads who arrived.
    pub barrier_blocks: Vec<Vec<GlobalAddr>>,
    /// The host's ends and its part of DRAM.
    pub host: HostPlan,
}

/// The host's ends: channels with no process on one side.
#[derive(Debug, Clone)]
pub struct HostPlan {
    /// Global address of the host's memory: the start of the DRAM window.
    pub base: GlobalAddr,
    /// Its contents before the run (lane tables; the rest zero), from `base`.
    pub image: Vec<u8>,
    /// Every host end, in channel order: the channel, whether the host
    /// reads it, and its end record (local offsets relative to `base`).
    pub ends: Vec<(ChanId, bool, EndRecord)>,
}

impl HostPlan {
    /// The host's end of `channel`, if it has one: whether it reads, and its record.
    pub fn end(&self, channel: ChanId) -> Option<(bool, EndRecord)> {
        self.ends.iter().find(|e| e.0 == channel).map(|e| (e.1, e.2))
    }
}

impl Plan {
    /// What the process last blocked on, in words, from its task record's
    /// `waiting` field.
    pub fn describe_wait(&self, net: &Network, process: ProcId, waiting: u32) -> String {
        let (core_index, _) = self.records[process.0];
        match waiting {
            0 => "has not blocked yet".to_string(),
            ecsp_device::boot::WAIT_OTHER => "waits on several channels, a timer or a barrier".to_string(),
            w => match self.cores[core_index].ends.get((w - 1) as usize) {
                Some(&(c, read)) => {
                    let ch = &net.channels()[c.0];
                    let (verb, host_side, preposition) = if read {
                        ("read", ch.writers.is_empty(), "from")
                    } else {
                        ("write", ch.readers.is_empty(), "to")
                    };
                    let host = if host_side {
                        format!(" ({preposition} the host)")
                    } else {
                        String::new()
                    };
                    format!("waits to {verb} channel `{}`{host}", ch.name)
                }
                None => format!("waits on an unknown end #{w}"),
            },
        }
    }

    /// Sum over channels, and over every (writer, reader) pair of a channel
    /// with several writers or readers, each pair once, of the mesh hops
    /// between writer and reader.
    pub fn hop_cost(&self, net: &Network) -> u32 {
        net.writer_reader_pairs()
            .map(|(w, r)| self.assignment[w.0].hops_to(self.assignment[r.0]))
            .sum()
    }
}

/// Places `net` on `board` and lays out every core's memory.
///
/// `state_layout` gives the size and alignment of a process's state in the
/// backend's device image (kind id, message type).
pub fn plan(
    net: &Network,
    board: &Board,
    placement: Placement,
    state_layout: &dyn Fn(u32, Dtype) -> Option<Layout>,
) -> Result<Plan, PlanError> {
    net.validate()?;
    // Users' kinds bring their rooms; the backend knows the built-in ones.
    let state_layout = &|kind: u32, dtype: Dtype| -> Option<Layout> {
        match kind.checked_sub(USER_KIND_BASE) {
            Some(index) => {
                let room = net.user_kinds().get(index as usize)?.room(&[]);
                Layout::from_size_align(room.size() as usize, room.align() as usize).ok()
            }
            None => state_layout(kind, dtype),
        }
    };
    let assignment = placement::place(net, board, placement, state_layout)?;
    let layout = layout::lay_out(net, board, &assignment, state_layout)?;
    Ok(encode::encode(net, board, assignment, &layout))
}
