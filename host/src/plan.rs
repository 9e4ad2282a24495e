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

use crate::board::Board;
use crate::network::{ChanId, ChannelKind, Network, NetworkError, ProcId};
use ecsp_device::addr::{CoreId, GlobalAddr, SRAM_SIZE};
use ecsp_device::boot::{
    align_up, BootHeader, EndRecord, LaneRecord, OutLaneRecord, PeerRecord, ShareRecord, TaskRecord, BOOT_MAGIC,
    BOOT_OFFSET, BOOT_VERSION, END_READ, END_SHARED_READ, END_SHARED_WRITE, END_WRITE, MAX_TASKS_PER_CORE, RUNTIME_END,
    SHARE_CLAIM_OFFSET, SHARE_STATE_OFFSET, STACK_RESERVE,
};
use ecsp_device::channel::block::{ring_block_size, ACK_BLOCK_SIZE, BLOCK_ALIGN};
use ecsp_device::message::Dtype;
use std::alloc::Layout;
use std::fmt;
use std::mem::size_of;

mod barriers;
mod blocks;
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
        kind: &'static str,
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
    /// The bytes to write at [`BOOT_OFFSET`]: the boot table and zeroed channel blocks.
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

/// Bytes of a process's state room: its state rounded up to 8, plus the
/// scratch its kind computes in (messages as large as its largest end's),
/// rounded up.
fn state_room(net: &Network, process: usize, layout: Layout) -> u32 {
    let spec = &net.processes()[process];
    let largest = spec
        .inputs
        .iter()
        .chain(&spec.outputs)
        .map(|c| net.channels()[c.0].msg.size())
        .max()
        .unwrap_or(0);
    let scratch = spec.kind_spec().scratch_messages * largest;
    align_up(layout.size() as u32, 8) + align_up(scratch, 8)
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
    let assignment = placement::place(net, board, placement, state_layout)?;

    // Group processes by core, in mesh (row-major) order.
    let mut used: Vec<CoreId> = assignment.clone();
    used.sort();
    used.dedup();
    let mut cores = Vec::with_capacity(used.len());
    let mut records = vec![(0usize, 0u32); net.processes().len()];
    // Offsets of channel blocks, found per core, needed by the peer core's ends.
    // Per channel and lane (writer index): the lane's ring on the reader's
    // core and the writer's ack block on its own core. A one-to-one channel
    // has one lane; an any-to-one channel one per writer, plus a lane table.
    // A channel the host writes has one lane, the host's.
    let lanes = |c: &crate::network::ChannelSpec| c.writers.len().max(1);
    let mut ring_at: Vec<Vec<u32>> = net.channels().iter().map(|c| vec![0; lanes(c)]).collect();
    let mut ack_at: Vec<Vec<u32>> = net.channels().iter().map(|c| vec![0; lanes(c)]).collect();
    let mut table_at = vec![0u32; net.channels().len()];
    // Ends of one-to-any and any-to-any channels, per channel and per reader
    // (`share_read`) or writer (`share_write`) index.
    let shared = |c: &crate::network::ChannelSpec| c.kind.shared_reads();
    let mut share_read: Vec<Vec<ShareAt>> = net
        .channels()
        .iter()
        .map(|c| {
            if shared(c) {
                vec![ShareAt::default(); c.readers.len()]
            } else {
                Vec::new()
            }
        })
        .collect();
    let mut share_write: Vec<Vec<ShareAt>> = net
        .channels()
        .iter()
        .map(|c| {
            if shared(c) {
                vec![ShareAt::default(); c.writers.len()]
            } else {
                Vec::new()
            }
        })
        .collect();

    // Pass 1: lay out every core (offsets only).
    struct Layouts {
        procs: Vec<ProcId>,
        tasks_offset: u32,
        ends_offset: u32,
        end_count: u32,
        arena_offset: u32,
        arena_size: u32,
        states: Vec<(u32, u32)>,
        blocks_end: u32,
        usage: MemoryUsage,
    }
    let mut layouts = Vec::with_capacity(used.len());
    let mut barrier_plan = barriers::BarrierPlan::new(net);
    for &core in &used {
        let procs: Vec<ProcId> = (0..net.processes().len())
            .filter(|&i| assignment[i] == core)
            .map(ProcId)
            .collect();
        if procs.len() > MAX_TASKS_PER_CORE {
            return Err(PlanError::TooManyProcesses {
                core,
                count: procs.len(),
            });
        }
        let header = std::mem::size_of::<BootHeader>() as u32;
        let tasks_offset = align_up(BOOT_OFFSET + header, 8);
        let ends_offset = tasks_offset + procs.len() as u32 * std::mem::size_of::<TaskRecord>() as u32;
        let end_count: u32 = procs
            .iter()
            .map(|p| (net.processes()[p.0].inputs.len() + net.processes()[p.0].outputs.len()) as u32)
            .sum();
        let table_end = ends_offset + end_count * std::mem::size_of::<EndRecord>() as u32;
        let mut cursor = align_up(table_end, BLOCK_ALIGN);
        let blocks_start = cursor;
        for p in &procs {
            let spec = &net.processes()[p.0];
            for (port, &c) in spec.inputs.iter().enumerate() {
                let ch = &net.channels()[c.0];
                if shared(ch) {
                    let at = &mut share_read[c.0][reader_of(net, c, *p, port as u32)];
                    at.share = cursor;
                    cursor += align_up(size_of::<ShareRecord>() as u32, BLOCK_ALIGN);
                    at.table = cursor;
                    cursor += align_up(ch.writers.len() as u32 * size_of::<LaneRecord>() as u32, BLOCK_ALIGN);
                    at.peers = cursor;
                    cursor += align_up(
                        (ch.readers.len() as u32 - 1) * size_of::<PeerRecord>() as u32,
                        BLOCK_ALIGN,
                    );
                    for _ in &ch.writers {
                        at.rings.push(cursor);
                        cursor += align_up(ring_block_size(ch.capacity, ch.msg.size()), BLOCK_ALIGN);
                    }
                    continue;
                }
                if ch.kind == ChannelKind::AnyToOne {
                    table_at[c.0] = cursor;
                    cursor += align_up(lanes(ch) as u32 * size_of::<LaneRecord>() as u32, BLOCK_ALIGN);
                }
                for ring in ring_at[c.0].iter_mut() {
                    *ring = cursor;
                    cursor += align_up(ring_block_size(ch.capacity, ch.msg.size()), BLOCK_ALIGN);
                }
            }
            for (port, &c) in spec.outputs.iter().enumerate() {
                let ch = &net.channels()[c.0];
                let lane = lane_of(net, c, *p, port as u32);
                if shared(ch) {
                    let at = &mut share_write[c.0][lane];
                    at.share = cursor;
                    cursor += align_up(size_of::<ShareRecord>() as u32, BLOCK_ALIGN);
                    at.table = cursor;
                    cursor += align_up(ch.readers.len() as u32 * size_of::<OutLaneRecord>() as u32, BLOCK_ALIGN);
                    at.peers = cursor;
                    cursor += align_up(
                        (ch.writers.len() as u32 - 1) * size_of::<PeerRecord>() as u32,
                        BLOCK_ALIGN,
                    );
                    continue;
                }
                ack_at[c.0][lane] = cursor;
                cursor += ACK_BLOCK_SIZE;
            }
        }
        let barriers_start = cursor;
        let cursor = barrier_plan.layout(core, &procs, cursor);
        let blocks_end = cursor;
        let arena_offset = align_up(cursor, 8);
        let mut arena_size = 0u32;
        let mut states = Vec::with_capacity(procs.len());
        for p in &procs {
            let spec = &net.processes()[p.0];
            let layout = state_layout(spec.kind, spec.dtype).ok_or_else(|| PlanError::NoStateSize {
                process: spec.name.clone(),
                kind: spec.kind_spec().name,
                dtype: spec.dtype.name(),
            })?;
            let align = (layout.align() as u32).max(8);
            let offset = align_up(arena_size, align);
            let size = state_room(net, p.0, layout);
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
        layouts.push(Layouts {
            procs,
            tasks_offset,
            ends_offset,
            end_count,
            arena_offset,
            arena_size,
            states,
            blocks_end,
            usage,
        });
    }

    // The host's blocks, at the start of the DRAM window.
    let host_base = GlobalAddr::new(board.dram.epiphany_base);
    let mut host_cursor = 0u64;
    for (i, ch) in net.channels().iter().enumerate() {
        if ch.readers.is_empty() {
            if ch.kind == ChannelKind::AnyToOne {
                table_at[i] = host_cursor as u32;
                host_cursor += align_up(lanes(ch) as u32 * size_of::<LaneRecord>() as u32, BLOCK_ALIGN) as u64;
            }
            for ring in ring_at[i].iter_mut() {
                *ring = host_cursor as u32;
                host_cursor += align_up(ring_block_size(ch.capacity, ch.msg.size()), BLOCK_ALIGN) as u64;
            }
        } else if ch.writers.is_empty() {
            ack_at[i][0] = host_cursor as u32;
            host_cursor += ACK_BLOCK_SIZE as u64;
        }
    }
    if host_cursor > board.dram.size as u64 {
        return Err(PlanError::HostWindow {
            needed: host_cursor,
            size: board.dram.size,
        });
    }
    // Where a lane's writer (`None`: the host) keeps its blocks.
    let writer_node = |c: ChanId, lane: usize| net.channels()[c.0].writers.get(lane).map(|w| assignment[w.0 .0]);
    let reader_node = |c: ChanId| net.channels()[c.0].readers.first().map(|r| assignment[r.0 .0]);
    let at_node = |node: Option<CoreId>, offset: u32| match node {
        Some(core) => GlobalAddr::on_core(core, offset),
        None => host_base.add(offset),
    };
    let peer_id = |node: Option<CoreId>| node.unwrap_or(CoreId::HOST).raw() as u32;
    // A read end's lane table: one record per lane, naming its ring on the
    // reader and its writer's acknowledgement block.
    let lane_records = |c: ChanId| -> Vec<LaneRecord> {
        (0..ring_at[c.0].len())
            .map(|lane| LaneRecord {
                ring: ring_at[c.0][lane],
                ack: at_node(writer_node(c, lane), ack_at[c.0][lane]).raw(),
                peer: peer_id(writer_node(c, lane)),
                ..LaneRecord::default()
            })
            .collect()
    };
    // A one-to-one or any-to-one end: `lane` is the writer's lane for a write end.
    let one_end = |c: ChanId, read: bool, lane: usize| -> EndRecord {
        let ch = &net.channels()[c.0];
        if read && ch.kind == ChannelKind::AnyToOne {
            EndRecord {
                capacity: ch.capacity,
                msg_size: ch.msg.size(),
                direction: END_READ,
                lanes: lanes(ch) as u32,
                table: table_at[c.0],
                ..EndRecord::default()
            }
        } else if read {
            EndRecord {
                local: ring_at[c.0][0],
                remote: at_node(writer_node(c, 0), ack_at[c.0][0]).raw(),
                peer: peer_id(writer_node(c, 0)),
                capacity: ch.capacity,
                msg_size: ch.msg.size(),
                direction: END_READ,
                lanes: 1,
                table: 0,
            }
        } else {
            EndRecord {
                local: ack_at[c.0][lane],
                remote: at_node(reader_node(c), ring_at[c.0][lane]).raw(),
                peer: peer_id(reader_node(c)),
                capacity: ch.capacity,
                msg_size: ch.msg.size(),
                direction: END_WRITE,
                lanes: 1,
                table: 0,
            }
        }
    };
    let mut host = HostPlan {
        base: host_base,
        image: vec![0u8; host_cursor as usize],
        ends: Vec::new(),
    };
    for (i, ch) in net.channels().iter().enumerate() {
        let c = ChanId(i);
        if ch.readers.is_empty() {
            if ch.kind == ChannelKind::AnyToOne {
                for (lane, record) in lane_records(c).iter().enumerate() {
                    let at = (table_at[i] as usize) + lane * size_of::<LaneRecord>();
                    host.image[at..at + size_of::<LaneRecord>()].copy_from_slice(bytemuck::bytes_of(record));
                }
            }
            host.ends.push((c, true, one_end(c, true, 0)));
        } else if ch.writers.is_empty() {
            host.ends.push((c, false, one_end(c, false, 0)));
        }
    }

    // Pass 2: write every core's boot image, now that every block has an address.
    for (ci, (&core, l)) in used.iter().zip(&layouts).enumerate() {
        let mut image = vec![0u8; (l.blocks_end - BOOT_OFFSET) as usize];
        let mut header = BootHeader {
            magic: BOOT_MAGIC,
            version: BOOT_VERSION,
            core_id: core.raw() as u32,
            task_count: l.procs.len() as u32,
            end_count: l.end_count,
            tasks_offset: l.tasks_offset,
            ends_offset: l.ends_offset,
            arena_offset: l.arena_offset,
            arena_size: l.arena_size,
            core_status: 0,
            fault_task: u32::MAX,
            boot_error: 0,
            ..BootHeader::default()
        };
        barrier_plan.fill_header(ci, &mut header);
        put(&mut image, BOOT_OFFSET, bytemuck::bytes_of(&header));
        barrier_plan.write(ci, &l.procs, &mut image);
        let mut end_index = 0u32;
        let mut end_table = Vec::with_capacity(l.end_count as usize);
        let mut task_records = Vec::with_capacity(l.procs.len());
        for (ti, p) in l.procs.iter().enumerate() {
            let spec = &net.processes()[p.0];
            let record_offset = l.tasks_offset + ti as u32 * std::mem::size_of::<TaskRecord>() as u32;
            let record = TaskRecord {
                kind: spec.kind,
                dtype: spec.dtype as u32,
                first_end: end_index,
                inputs: spec.inputs.len() as u32,
                outputs: spec.outputs.len() as u32,
                state_offset: l.states[ti].0,
                state_size: l.states[ti].1,
                status: 0,
                params: spec.params,
                ..TaskRecord::default()
            };
            put(&mut image, record_offset, bytemuck::bytes_of(&record));
            records[p.0] = (ci, record_offset);
            task_records.push(record_offset);
            let ends = spec
                .inputs
                .iter()
                .map(|&c| (c, true))
                .chain(spec.outputs.iter().map(|&c| (c, false)));
            let mut output_port = 0u32;
            let mut input_port = 0u32;
            for (c, read) in ends {
                end_table.push((c, read));
                let ch = &net.channels()[c.0];
                let writer_core = |lane: usize| assignment[ch.writers[lane].0 .0];
                let reader_core = |index: usize| assignment[ch.readers[index].0 .0];
                let port = if read { &mut input_port } else { &mut output_port };
                let this_port = *port;
                *port += 1;
                let end = if shared(ch) {
                    // Peers: the other ends on this end's side.
                    let (me, side, side_core): (usize, &[ShareAt], &dyn Fn(usize) -> CoreId) = if read {
                        (reader_of(net, c, *p, this_port), &share_read[c.0], &reader_core)
                    } else {
                        (lane_of(net, c, *p, this_port), &share_write[c.0], &writer_core)
                    };
                    let at = &side[me];
                    let others: Vec<usize> = (0..side.len()).filter(|&k| k != me).collect();
                    let head = ShareRecord {
                        peers: at.peers,
                        peer_count: others.len() as u32,
                        ..ShareRecord::default()
                    };
                    put(&mut image, at.share, bytemuck::bytes_of(&head));
                    for (k, &other) in others.iter().enumerate() {
                        let record = PeerRecord {
                            state: GlobalAddr::on_core(side_core(other), side[other].share + SHARE_STATE_OFFSET).raw(),
                            peer: side_core(other).raw() as u32,
                        };
                        put(
                            &mut image,
                            at.peers + k as u32 * size_of::<PeerRecord>() as u32,
                            bytemuck::bytes_of(&record),
                        );
                    }
                    if read {
                        for (w, &ring) in at.rings.iter().enumerate() {
                            let out_lane = share_write[c.0][w].table + me as u32 * size_of::<OutLaneRecord>() as u32;
                            let record = LaneRecord {
                                ring,
                                ack: GlobalAddr::on_core(writer_core(w), out_lane).raw(),
                                peer: writer_core(w).raw() as u32,
                                ..LaneRecord::default()
                            };
                            put(
                                &mut image,
                                at.table + w as u32 * size_of::<LaneRecord>() as u32,
                                bytemuck::bytes_of(&record),
                            );
                        }
                    } else {
                        for (r, reader_at) in share_read[c.0].iter().enumerate() {
                            let record = OutLaneRecord {
                                ring: GlobalAddr::on_core(reader_core(r), reader_at.rings[me]).raw(),
                                claim: GlobalAddr::on_core(reader_core(r), reader_at.share + SHARE_CLAIM_OFFSET).raw(),
                                peer: reader_core(r).raw() as u32,
                                ..OutLaneRecord::default()
                            };
                            put(
                                &mut image,
                                at.table + r as u32 * size_of::<OutLaneRecord>() as u32,
                                bytemuck::bytes_of(&record),
                            );
                        }
                    }
                    EndRecord {
                        local: at.share,
                        remote: 0,
                        peer: 0,
                        capacity: ch.capacity,
                        msg_size: ch.msg.size(),
                        direction: if read { END_SHARED_READ } else { END_SHARED_WRITE },
                        lanes: if read { ch.writers.len() } else { ch.readers.len() } as u32,
                        table: at.table,
                    }
                } else {
                    if read && ch.kind == ChannelKind::AnyToOne {
                        for (lane, record) in lane_records(c).iter().enumerate() {
                            let at = table_at[c.0] + lane as u32 * size_of::<LaneRecord>() as u32;
                            put(&mut image, at, bytemuck::bytes_of(record));
                        }
                    }
                    let lane = if read { 0 } else { lane_of(net, c, *p, this_port) };
                    one_end(c, read, lane)
                };
                let at = l.ends_offset + end_index * std::mem::size_of::<EndRecord>() as u32;
                put(&mut image, at, bytemuck::bytes_of(&end));
                end_index += 1;
            }
        }
        cores.push(CorePlan {
            core,
            processes: l.procs.clone(),
            usage: l.usage,
            task_records,
            image,
            ends: end_table,
        });
    }
    Ok(Plan {
        board_name: board.name.clone(),
        assignment,
        cores,
        records,
        barrier_blocks: barrier_plan.block_addresses(),
        host,
    })
}

/// Where the blocks of one end of a one-to-any or any-to-any channel are on
/// its core (SRAM offsets).
#[derive(Debug, Clone, Default)]
struct ShareAt {
    /// Its `ShareRecord`.
    share: u32,
    /// Its lane table.
    table: u32,
    /// Its peer table.
    peers: u32,
    /// A reader's ring per writer (the lane from writer `i` is `rings[i]`).
    rings: Vec<u32>,
}

/// The index among `channel`'s readers of `process` reading it through its
/// input `port`.
fn reader_of(net: &Network, channel: ChanId, process: ProcId, port: u32) -> usize {
    net.channels()[channel.0]
        .readers
        .iter()
        .position(|&r| r == (process, port))
        .expect("the network attached every input it lists")
}

/// The lane of `channel` that `process` writes through its output `port`.
fn lane_of(net: &Network, channel: ChanId, process: ProcId, port: u32) -> usize {
    net.channels()[channel.0]
        .writers
        .iter()
        .position(|&w| w == (process, port))
        .expect("the network attached every output it lists")
}

fn put(image: &mut [u8], offset: u32, bytes: &[u8]) {
    let at = (offset - BOOT_OFFSET) as usize;
    image[at..at + bytes.len()].copy_from_slice(bytes);
}
