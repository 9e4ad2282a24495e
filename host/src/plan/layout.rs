//! Pass 1 of the planner: where everything goes, in offsets only. Every
//! core's SRAM in mesh order (boot table, channel blocks, barrier area, task
//! arena; its [`MemoryUsage`] and the checks that it fits), then the host's
//! part of DRAM (its ends' blocks). Nothing is encoded here: pass 2
//! (`encode.rs`) writes the bytes once every block has an address.
//!
//! A core, from [`BOOT_OFFSET`] (`device/PROTOCOL.md`, SRAM layout):
//!
//! ```text
//!   BootHeader
//!   TaskRecord × processes, EndRecord × their ends
//!   channel blocks: for each process in order, for each of its ends in
//!     end-table order, the end's blocks (blocks.rs)
//!   barrier area (barriers.rs)
//!   task arena: each process's state room
//!   ... free ...
//!   stack reserve
//! ```

use super::barriers::BarrierPlan;
use super::blocks::{end_blocks, ends_of, lanes, Block, Role};
use super::{MemoryUsage, PlanError};
use crate::board::Board;
use crate::network::{ChannelSpec, KindRef, Network, ProcId};
use ecsp_device::addr::{CoreId, SRAM_SIZE};
use ecsp_device::boot::{
    align_up, BootHeader, EndRecord, TaskRecord, BOOT_OFFSET, MAX_TASKS_PER_CORE, RUNTIME_END, STACK_RESERVE,
};
use ecsp_device::channel::block::BLOCK_ALIGN;
use ecsp_device::message::Dtype;
use std::alloc::Layout;
use std::mem::size_of;

/// Where one end's blocks are on its node: SRAM offsets on a core, or
/// offsets from the start of the host's DRAM window. A block the end does
/// not have stays 0.
#[derive(Debug, Clone, Default)]
pub(super) struct EndAt {
    /// Its [`Role::Share`] block (a shared end).
    pub(super) share: u32,
    /// Its lane table: [`Role::LaneTable`] (a read end of an any-to-one or
    /// shared channel) or [`Role::OutLaneTable`] (a shared write end).
    pub(super) table: u32,
    /// Its peer table (a shared end).
    pub(super) peers: u32,
    /// A read end's rings: the lane from writer `i` is `rings[i]`.
    pub(super) rings: Vec<u32>,
    /// A one-to-one or any-to-one write end's acknowledgement block.
    pub(super) ack: u32,
}

impl EndAt {
    /// Places `blocks` one after the other, each where `next` puts a block
    /// (given its room and alignment).
    fn place(&mut self, blocks: &[Block], mut next: impl FnMut(u32, u32) -> u32) {
        for block in blocks {
            let at = next(block.room(), block.align);
            match block.role {
                Role::Ring => self.rings.push(at),
                Role::LaneTable | Role::OutLaneTable => self.table = at,
                Role::Ack => self.ack = at,
                Role::Share => self.share = at,
                Role::Peers => self.peers = at,
            }
        }
    }
}

/// Where the blocks of every end of a channel are.
#[derive(Debug, Clone)]
pub(super) struct ChannelAt {
    /// Per reader, by its index among the channel's readers; for a channel
    /// the host reads, one: the host's.
    pub(super) readers: Vec<EndAt>,
    /// Per writer (lane), by its index among the channel's writers; for a
    /// channel the host writes, one: the host's.
    pub(super) writers: Vec<EndAt>,
}

impl ChannelAt {
    fn new(ch: &ChannelSpec) -> ChannelAt {
        ChannelAt {
            readers: vec![EndAt::default(); ch.readers.len().max(1)],
            writers: vec![EndAt::default(); lanes(ch)],
        }
    }

    /// The blocks of reader or writer `index`.
    fn end_mut(&mut self, read: bool, index: usize) -> &mut EndAt {
        if read {
            &mut self.readers[index]
        } else {
            &mut self.writers[index]
        }
    }
}

/// One core's layout: SRAM offsets.
#[derive(Debug, Clone)]
pub(super) struct CoreLayout {
    /// The core.
    pub(super) core: CoreId,
    /// Its processes, in boot order.
    pub(super) procs: Vec<ProcId>,
    /// Its first task record.
    pub(super) tasks_offset: u32,
    /// Its first end record.
    pub(super) ends_offset: u32,
    /// End records: every end of its processes.
    pub(super) end_count: u32,
    /// The task arena.
    pub(super) arena_offset: u32,
    /// The task arena's size.
    pub(super) arena_size: u32,
    /// Per process (parallel to `procs`): its state's offset in the arena
    /// and its state room.
    pub(super) states: Vec<(u32, u32)>,
    /// The end of the channel blocks and barrier area: the boot image
    /// covers [`BOOT_OFFSET`] up to here.
    pub(super) blocks_end: u32,
    /// Where its SRAM goes.
    pub(super) usage: MemoryUsage,
}

/// A network laid out: every core's layout, every end's blocks, and the
/// host's part of DRAM.
pub(super) struct NetLayout<'a> {
    /// Cores with at least one process, in mesh (row-major) order.
    pub(super) cores: Vec<CoreLayout>,
    /// Per channel, where the blocks of its ends are.
    pub(super) channels: Vec<ChannelAt>,
    /// Bytes of the host's part of DRAM, from the start of the window.
    pub(super) host_size: u64,
    /// The barrier areas, laid out with the cores.
    pub(super) barriers: BarrierPlan<'a>,
}

/// Lays out every core of `assignment`, then the host's ends in `board`'s
/// DRAM window.
///
/// # Errors
/// [`PlanError::TooManyProcesses`], [`PlanError::NoStateSize`] and
/// [`PlanError::DoesNotFit`] for the first core (in mesh order) that has
/// them; [`PlanError::HostWindow`] when the host's blocks do not fit.
pub(super) fn lay_out<'a>(
    net: &'a Network,
    board: &Board,
    assignment: &[CoreId],
    state_layout: &dyn Fn(u32, Dtype) -> Option<Layout>,
) -> Result<NetLayout<'a>, PlanError> {
    let mut used: Vec<CoreId> = assignment.to_vec();
    used.sort();
    used.dedup();
    let mut layout = NetLayout {
        cores: Vec::with_capacity(used.len()),
        channels: net.channels().iter().map(ChannelAt::new).collect(),
        host_size: 0,
        barriers: BarrierPlan::new(net),
    };
    for core in used {
        let procs: Vec<ProcId> = (0..net.processes().len())
            .filter(|&i| assignment[i] == core)
            .map(ProcId)
            .collect();
        let core_layout = lay_out_core(net, core, procs, &mut layout, state_layout)?;
        layout.cores.push(core_layout);
    }
    layout.host_size = lay_out_host(net, &mut layout.channels);
    if layout.host_size > board.dram.size as u64 {
        return Err(PlanError::HostWindow {
            needed: layout.host_size,
            size: board.dram.size,
        });
    }
    Ok(layout)
}

/// Lays out `core`, running `procs`: its ends' blocks go into
/// `layout.channels`, its barrier area into `layout.barriers`.
fn lay_out_core(
    net: &Network,
    core: CoreId,
    procs: Vec<ProcId>,
    layout: &mut NetLayout<'_>,
    state_layout: &dyn Fn(u32, Dtype) -> Option<Layout>,
) -> Result<CoreLayout, PlanError> {
    if procs.len() > MAX_TASKS_PER_CORE {
        return Err(PlanError::TooManyProcesses {
            core,
            count: procs.len(),
        });
    }
    let header = size_of::<BootHeader>() as u32;
    let tasks_offset = align_up(BOOT_OFFSET + header, 8);
    let ends_offset = tasks_offset + procs.len() as u32 * size_of::<TaskRecord>() as u32;
    let end_count: u32 = procs
        .iter()
        .map(|p| (net.processes()[p.0].inputs.len() + net.processes()[p.0].outputs.len()) as u32)
        .sum();
    let table_end = ends_offset + end_count * size_of::<EndRecord>() as u32;
    let blocks_start = align_up(table_end, BLOCK_ALIGN);
    let mut cursor = blocks_start;
    for &p in &procs {
        for end in ends_of(net, p) {
            let blocks = end_blocks(&net.channels()[end.channel.0], end.read);
            layout.channels[end.channel.0]
                .end_mut(end.read, end.index)
                .place(&blocks, |room, align| {
                    let at = align_up(cursor, align);
                    cursor = at + room;
                    at
                });
        }
    }
    let barriers_start = cursor;
    let blocks_end = layout.barriers.layout(core, &procs, cursor);
    let arena_offset = align_up(blocks_end, 8);
    let mut arena_size = 0u32;
    let mut states = Vec::with_capacity(procs.len());
    for p in &procs {
        let spec = &net.processes()[p.0];
        let state = state_layout(spec.kind, spec.dtype).ok_or_else(|| PlanError::NoStateSize {
            process: spec.name.clone(),
            kind: net.kind_of(spec).name().to_string(),
            dtype: spec.dtype.name(),
        })?;
        let align = (state.align() as u32).max(8);
        let offset = align_up(arena_size, align);
        let size = state_room(net, p.0, state);
        states.push((offset, size));
        arena_size = offset + size;
    }
    let usage = MemoryUsage {
        runtime: RUNTIME_END,
        boot_table: table_end - BOOT_OFFSET,
        channels: barriers_start - blocks_start,
        barriers: blocks_end - barriers_start,
        arena: arena_size,
        stack: STACK_RESERVE,
    };
    let needed = arena_offset as u64 + arena_size as u64 + STACK_RESERVE as u64;
    if needed > SRAM_SIZE as u64 {
        let needed = needed.min(u32::MAX as u64) as u32;
        return Err(PlanError::DoesNotFit {
            core,
            needed,
            over: needed - SRAM_SIZE,
            usage,
            processes: procs
                .iter()
                .map(|p| net.processes()[p.0].name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    Ok(CoreLayout {
        core,
        procs,
        tasks_offset,
        ends_offset,
        end_count,
        arena_offset,
        arena_size,
        states,
        blocks_end,
        usage,
    })
}

/// Lays out the host's ends, in channel order, from the start of the DRAM
/// window; returns the bytes they take.
fn lay_out_host(net: &Network, channels: &mut [ChannelAt]) -> u64 {
    let mut cursor = 0u64;
    for (ch, at) in net.channels().iter().zip(channels) {
        let read = if ch.readers.is_empty() {
            true
        } else if ch.writers.is_empty() {
            false
        } else {
            continue;
        };
        at.end_mut(read, 0).place(&end_blocks(ch, read), |room, align| {
            let at = cursor.next_multiple_of(align as u64);
            cursor = at + room as u64;
            at as u32
        });
    }
    cursor
}

/// Bytes of a process's state room: its state rounded up to 8, plus the
/// scratch its kind computes in (messages as large as its largest end's),
/// rounded up.
pub(super) fn state_room(net: &Network, process: usize, layout: Layout) -> u32 {
    let spec = &net.processes()[process];
    let largest = spec
        .inputs
        .iter()
        .chain(&spec.outputs)
        .map(|c| net.channels()[c.0].msg.size())
        .max()
        .unwrap_or(0);
    let scratch = match net.kind_of(spec) {
        KindRef::Builtin(k) => k.scratch_messages * largest,
        // A user's kind computes in its own room (planned whole by `layout`).
        KindRef::User(_) => 0,
    };
    align_up(layout.size() as u32, 8) + align_up(scratch, 8)
}
