//! Pass 2 of the planner: the bytes. Every core's boot image (header, task
//! records, end records, the records and tables of its channel blocks, its
//! barrier area) and the host's DRAM image and end records, now that pass 1
//! (`layout.rs`) has given every block an address.
//!
//! Rings, acknowledgement blocks and everything else the records do not
//! fill stay zero: a channel starts empty.

use super::blocks::{ends_of, lanes, End};
use super::layout::{ChannelAt, CoreLayout, NetLayout};
use super::{CorePlan, HostPlan, Plan};
use crate::board::Board;
use crate::kernels::Room;
use crate::network::{ChanId, ChannelKind, KindRef, Network};
use ecsp_device::addr::{CoreId, GlobalAddr};
use ecsp_device::boot::{
    BootHeader, EndRecord, LaneRecord, OutLaneRecord, PeerRecord, ShareRecord, TaskRecord, BOOT_MAGIC, BOOT_OFFSET,
    BOOT_VERSION, END_READ, END_SHARED_READ, END_SHARED_WRITE, END_WRITE, SHARE_CLAIM_OFFSET, SHARE_STATE_OFFSET,
};
use std::mem::size_of;

/// Encodes the plan of `net` on `board`, placed by `assignment` and laid
/// out by `layout`.
pub(super) fn encode(net: &Network, board: &Board, assignment: Vec<CoreId>, layout: &NetLayout<'_>) -> Plan {
    let encoder = Encoder {
        net,
        assignment: &assignment,
        channels: &layout.channels,
        host_base: GlobalAddr::new(board.dram.epiphany_base),
    };
    let mut records = vec![(0usize, 0u32); net.processes().len()];
    let cores = layout
        .cores
        .iter()
        .enumerate()
        .map(|(ci, l)| encoder.core(ci, l, layout, &mut records))
        .collect();
    let host = encoder.host(layout.host_size);
    Plan {
        board_name: board.name.clone(),
        cores,
        records,
        barrier_blocks: layout.barriers.block_addresses(),
        host,
        assignment,
    }
}

/// What pass 2 reads: where every process runs and every block is.
struct Encoder<'a> {
    net: &'a Network,
    assignment: &'a [CoreId],
    channels: &'a [ChannelAt],
    /// The host's memory: the start of the DRAM window.
    host_base: GlobalAddr,
}

impl Encoder<'_> {
    /// The node of reader `index` of `c` (`None`: the host).
    fn reader_node(&self, c: ChanId, index: usize) -> Option<CoreId> {
        self.net.channels()[c.0]
            .readers
            .get(index)
            .map(|r| self.assignment[r.0 .0])
    }

    /// The node of the writer of `lane` of `c` (`None`: the host).
    fn writer_node(&self, c: ChanId, lane: usize) -> Option<CoreId> {
        self.net.channels()[c.0]
            .writers
            .get(lane)
            .map(|w| self.assignment[w.0 .0])
    }

    /// The global address of `offset` on `node`.
    fn at_node(&self, node: Option<CoreId>, offset: u32) -> GlobalAddr {
        match node {
            Some(core) => GlobalAddr::on_core(core, offset),
            None => self.host_base.add(offset),
        }
    }

    /// The peer id of `node`: its core id, or [`CoreId::HOST`].
    fn peer_id(node: Option<CoreId>) -> u32 {
        node.unwrap_or(CoreId::HOST).raw() as u32
    }

    /// The record of `lane` in the lane table of reader `reader` of `c`: its
    /// ring on the reader, and its writer's acknowledgement block (for a
    /// shared channel, the writer's out-lane record for this reader).
    fn lane_record(&self, c: ChanId, reader: usize, lane: usize) -> LaneRecord {
        let at = &self.channels[c.0];
        let writer = &at.writers[lane];
        let ack = if self.net.channels()[c.0].kind.shared_reads() {
            writer.table + reader as u32 * size_of::<OutLaneRecord>() as u32
        } else {
            writer.ack
        };
        let node = self.writer_node(c, lane);
        LaneRecord {
            ring: at.readers[reader].rings[lane],
            ack: self.at_node(node, ack).raw(),
            peer: Self::peer_id(node),
            ..LaneRecord::default()
        }
    }

    /// Writes the lane table of reader `reader` of `c` into `image`, which
    /// starts at offset `base` of the reader's node.
    fn write_lane_table(&self, c: ChanId, reader: usize, image: &mut [u8], base: u32) {
        let at = &self.channels[c.0].readers[reader];
        for lane in 0..at.rings.len() {
            let offset = at.table + lane as u32 * size_of::<LaneRecord>() as u32;
            put_at(
                image,
                base,
                offset,
                bytemuck::bytes_of(&self.lane_record(c, reader, lane)),
            );
        }
    }

    /// The end record of an end of a one-to-one or any-to-one channel:
    /// `lane` is a write end's lane (a read end's is 0).
    fn plain_end(&self, c: ChanId, read: bool, lane: usize) -> EndRecord {
        let ch = &self.net.channels()[c.0];
        let at = &self.channels[c.0];
        if read && ch.kind == ChannelKind::AnyToOne {
            EndRecord {
                capacity: ch.capacity,
                msg_size: ch.msg.size(),
                direction: END_READ,
                lanes: lanes(ch) as u32,
                table: at.readers[0].table,
                ..EndRecord::default()
            }
        } else if read {
            let writer = self.writer_node(c, 0);
            EndRecord {
                local: at.readers[0].rings[0],
                remote: self.at_node(writer, at.writers[0].ack).raw(),
                peer: Self::peer_id(writer),
                capacity: ch.capacity,
                msg_size: ch.msg.size(),
                direction: END_READ,
                lanes: 1,
                table: 0,
            }
        } else {
            let reader = self.reader_node(c, 0);
            EndRecord {
                local: at.writers[lane].ack,
                remote: self.at_node(reader, at.readers[0].rings[lane]).raw(),
                peer: Self::peer_id(reader),
                capacity: ch.capacity,
                msg_size: ch.msg.size(),
                direction: END_WRITE,
                lanes: 1,
                table: 0,
            }
        }
    }

    /// Writes the records of an end of a one-to-any or any-to-any channel
    /// (its share record, peer table and lane table) into a core's `image`;
    /// returns its end record.
    fn shared_end(&self, end: End, image: &mut [u8]) -> EndRecord {
        let (c, read, me) = (end.channel, end.read, end.index);
        let ch = &self.net.channels()[c.0];
        let channel = &self.channels[c.0];
        // Peers: the other ends on this end's side.
        let side = if read { &channel.readers } else { &channel.writers };
        let side_core = |k: usize| {
            if read {
                self.reader_node(c, k)
            } else {
                self.writer_node(c, k)
            }
        };
        let at = &side[me];
        let others: Vec<usize> = (0..side.len()).filter(|&k| k != me).collect();
        let head = ShareRecord {
            peers: at.peers,
            peer_count: others.len() as u32,
            ..ShareRecord::default()
        };
        put(image, at.share, bytemuck::bytes_of(&head));
        for (k, &other) in others.iter().enumerate() {
            let record = PeerRecord {
                state: self
                    .at_node(side_core(other), side[other].share + SHARE_STATE_OFFSET)
                    .raw(),
                peer: Self::peer_id(side_core(other)),
            };
            put(
                image,
                at.peers + k as u32 * size_of::<PeerRecord>() as u32,
                bytemuck::bytes_of(&record),
            );
        }
        if read {
            self.write_lane_table(c, me, image, BOOT_OFFSET);
        } else {
            for (r, reader_at) in channel.readers.iter().enumerate() {
                let reader = self.reader_node(c, r);
                let record = OutLaneRecord {
                    ring: self.at_node(reader, reader_at.rings[me]).raw(),
                    claim: self.at_node(reader, reader_at.share + SHARE_CLAIM_OFFSET).raw(),
                    peer: Self::peer_id(reader),
                    ..OutLaneRecord::default()
                };
                put(
                    image,
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
    }

    /// The boot image of planned core `ci`, laid out as `l`; records where
    /// its processes' task records are in `records`.
    fn core(&self, ci: usize, l: &CoreLayout, layout: &NetLayout<'_>, records: &mut [(usize, u32)]) -> CorePlan {
        let net = self.net;
        let mut image = vec![0u8; (l.blocks_end - BOOT_OFFSET) as usize];
        let mut header = BootHeader {
            magic: BOOT_MAGIC,
            version: BOOT_VERSION,
            core_id: l.core.raw() as u32,
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
        layout.barriers.fill_header(ci, &mut header);
        put(&mut image, BOOT_OFFSET, bytemuck::bytes_of(&header));
        layout.barriers.write(ci, &l.procs, &mut image);
        let mut end_index = 0u32;
        let mut end_table = Vec::with_capacity(l.end_count as usize);
        let mut task_records = Vec::with_capacity(l.procs.len());
        for (ti, &p) in l.procs.iter().enumerate() {
            let spec = &net.processes()[p.0];
            let record_offset = l.tasks_offset + ti as u32 * size_of::<TaskRecord>() as u32;
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
            // A C kernel's room starts with what the host writes: its block,
            // items and parameter values (ecsp_device::kernel).
            if let KindRef::User(kind) = net.kind_of(spec) {
                if let Room::Kernel(room) = kind.room(&spec.kernel_params) {
                    let at = (l.arena_offset + l.states[ti].0 - BOOT_OFFSET) as usize;
                    let end = at + room.host_bytes();
                    if image.len() < end {
                        image.resize(end, 0);
                    }
                    room.write_host_bytes(&mut image[at..end]);
                }
            }
            records[p.0] = (ci, record_offset);
            task_records.push(record_offset);
            for end in ends_of(net, p) {
                end_table.push((end.channel, end.read));
                let ch = &net.channels()[end.channel.0];
                let record = if ch.kind.shared_reads() {
                    self.shared_end(end, &mut image)
                } else {
                    if end.read && ch.kind == ChannelKind::AnyToOne {
                        self.write_lane_table(end.channel, 0, &mut image, BOOT_OFFSET);
                    }
                    self.plain_end(end.channel, end.read, end.index)
                };
                let at = l.ends_offset + end_index * size_of::<EndRecord>() as u32;
                put(&mut image, at, bytemuck::bytes_of(&record));
                end_index += 1;
            }
        }
        CorePlan {
            core: l.core,
            processes: l.procs.clone(),
            usage: l.usage,
            task_records,
            image,
            ends: end_table,
        }
    }

    /// The host's part of DRAM (`size` bytes: its lane tables, the rest
    /// zero) and its end records, in channel order.
    fn host(&self, size: u64) -> HostPlan {
        let mut host = HostPlan {
            base: self.host_base,
            image: vec![0u8; size as usize],
            ends: Vec::new(),
        };
        for (i, ch) in self.net.channels().iter().enumerate() {
            let c = ChanId(i);
            if ch.readers.is_empty() {
                if ch.kind == ChannelKind::AnyToOne {
                    self.write_lane_table(c, 0, &mut host.image, 0);
                }
                host.ends.push((c, true, self.plain_end(c, true, 0)));
            } else if ch.writers.is_empty() {
                host.ends.push((c, false, self.plain_end(c, false, 0)));
            }
        }
        host
    }
}

/// Copies `bytes` into a core's boot image at SRAM `offset` (the image
/// starts at [`BOOT_OFFSET`]).
pub(super) fn put(image: &mut [u8], offset: u32, bytes: &[u8]) {
    put_at(image, BOOT_OFFSET, offset, bytes);
}

/// Copies `bytes` into `image`, which starts at offset `base` of its node,
/// at `offset`.
fn put_at(image: &mut [u8], base: u32, offset: u32, bytes: &[u8]) {
    let at = (offset - base) as usize;
    image[at..at + bytes.len()].copy_from_slice(bytes);
}
