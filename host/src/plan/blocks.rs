//! The channel blocks of a plan: which blocks an end of a channel keeps on
//! its node (a core's SRAM, or the host's part of DRAM), how big each is and
//! how it is aligned (`device/PROTOCOL.md`, Structures).
//!
//! This is the one place that knows a channel kind's blocks. The per-core
//! layout and the host's DRAM layout (`layout.rs`) place exactly the blocks
//! [`end_blocks`] lists, in its order; the mapper weighs a process by
//! [`end_weight`] of its ends (`placement.rs`); the encoder (`encode.rs`)
//! fills the records of the blocks where the layout put them.
//!
//! ```text
//!   end                        its blocks, in layout order
//!   read one2one               ring
//!   read any2one               lane table (LaneRecord × lanes), ring × lanes
//!   read one2any, any2any      ShareRecord, lane table (LaneRecord × writers),
//!                              peer table (PeerRecord × other readers), ring × writers
//!   write one2one, any2one     acknowledgement block
//!   write one2any, any2any     ShareRecord, out-lane table (OutLaneRecord × readers),
//!                              peer table (PeerRecord × other writers)
//! ```
//!
//! A channel has a lane per writer, and a channel the host writes one lane,
//! the host's ([`lanes`]). A host end (always of a one-to-one or any-to-one
//! channel) has the blocks of the same end on a core. Rendezvous and
//! buffered channels differ only in the ring's size
//! ([`ring_block_size`] of the capacity and message size).

use crate::network::{ChanId, ChannelKind, ChannelSpec, Network, ProcId};
use ecsp_device::boot::{align_up, LaneRecord, OutLaneRecord, PeerRecord, ShareRecord};
use ecsp_device::channel::block::{ring_block_size, ACK_BLOCK_SIZE, BLOCK_ALIGN};
use std::mem::size_of;

/// What a block holds, which says where the layout records its offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// A lane's ring block, on the reader's node: the `i`th ring of a read
    /// end is the lane from writer `i`.
    Ring,
    /// A read end's lane table: a [`LaneRecord`] per lane.
    LaneTable,
    /// A shared write end's lane table: an [`OutLaneRecord`] per reader.
    OutLaneTable,
    /// A one-to-one or any-to-one writer's acknowledgement block.
    Ack,
    /// A shared end's [`ShareRecord`].
    Share,
    /// A shared end's peer table: a [`PeerRecord`] per other end on its side.
    Peers,
}

/// One block of an end.
#[derive(Debug, Clone, Copy)]
pub(super) struct Block {
    /// What it holds.
    pub(super) role: Role,
    /// Its size in bytes.
    pub(super) size: u32,
    /// Its alignment in bytes.
    pub(super) align: u32,
}

impl Block {
    fn new(role: Role, size: u32) -> Block {
        Block {
            role,
            size,
            align: BLOCK_ALIGN,
        }
    }

    fn records<R>(role: Role, count: usize) -> Block {
        Block::new(role, count as u32 * size_of::<R>() as u32)
    }

    /// The bytes it takes in a layout: its size rounded up to its
    /// alignment, so that the block after it starts aligned too.
    pub(super) fn room(self) -> u32 {
        align_up(self.size, self.align)
    }
}

/// A channel's lanes: one per writer; a channel the host writes has one,
/// the host's.
pub(super) fn lanes(ch: &ChannelSpec) -> usize {
    ch.writers.len().max(1)
}

/// The blocks the read end (`read`) or a write end of `ch` keeps on its
/// node, in layout order (see the table above).
pub(super) fn end_blocks(ch: &ChannelSpec, read: bool) -> Vec<Block> {
    let shared = ch.kind.shared_reads();
    let ring = Block::new(Role::Ring, ring_block_size(ch.capacity, ch.msg.size()));
    let mut blocks = Vec::new();
    match (read, shared) {
        (true, true) => {
            blocks.push(Block::records::<ShareRecord>(Role::Share, 1));
            blocks.push(Block::records::<LaneRecord>(Role::LaneTable, ch.writers.len()));
            blocks.push(Block::records::<PeerRecord>(Role::Peers, ch.readers.len() - 1));
            blocks.extend(std::iter::repeat_n(ring, ch.writers.len()));
        }
        (true, false) => {
            if ch.kind == ChannelKind::AnyToOne {
                blocks.push(Block::records::<LaneRecord>(Role::LaneTable, lanes(ch)));
            }
            blocks.extend(std::iter::repeat_n(ring, lanes(ch)));
        }
        (false, true) => {
            blocks.push(Block::records::<ShareRecord>(Role::Share, 1));
            blocks.push(Block::records::<OutLaneRecord>(Role::OutLaneTable, ch.readers.len()));
            blocks.push(Block::records::<PeerRecord>(Role::Peers, ch.writers.len() - 1));
        }
        (false, false) => blocks.push(Block::new(Role::Ack, ACK_BLOCK_SIZE)),
    }
    blocks
}

/// What the mapper counts for an end of `ch` on its process's core: each
/// of its [`end_blocks`] with an alignment's worth of slack.
///
/// The weights keep the margins they have always had, so that `auto` maps
/// every network as it did: an acknowledgement block is counted without
/// slack, a one-to-one read end as if it had a one-lane table, and a shared
/// end's peer table with a record for the end itself. Counting the blocks
/// exactly would change where `auto` puts processes on a nearly full core.
pub(super) fn end_weight(ch: &ChannelSpec, read: bool) -> u32 {
    let mut blocks = end_blocks(ch, read);
    if read && ch.kind == ChannelKind::OneToOne {
        blocks.push(Block::records::<LaneRecord>(Role::LaneTable, 1));
    }
    blocks
        .iter()
        .map(|b| match b.role {
            Role::Ack => b.size,
            Role::Peers => align_up(b.size + size_of::<PeerRecord>() as u32, b.align) + b.align,
            _ => b.room() + b.align,
        })
        .sum()
}

/// One end of a process, as its end table lists it.
#[derive(Debug, Clone, Copy)]
pub(super) struct End {
    /// Its channel.
    pub(super) channel: ChanId,
    /// True for a read end.
    pub(super) read: bool,
    /// Its index among the channel's readers (a read end) or writers (a
    /// write end, whose lane it is).
    pub(super) index: usize,
}

/// The ends of `process` in end-table order: its inputs by port, then its
/// outputs by port.
pub(super) fn ends_of(net: &Network, process: ProcId) -> impl Iterator<Item = End> + '_ {
    let spec = &net.processes()[process.0];
    let inputs = spec.inputs.iter().enumerate().map(move |(port, &c)| End {
        channel: c,
        read: true,
        index: position(&net.channels()[c.0].readers, process, port),
    });
    let outputs = spec.outputs.iter().enumerate().map(move |(port, &c)| End {
        channel: c,
        read: false,
        index: position(&net.channels()[c.0].writers, process, port),
    });
    inputs.chain(outputs)
}

/// Where (`process`, `port`) is in a channel's readers or writers.
fn position(ends: &[(ProcId, u32)], process: ProcId, port: usize) -> usize {
    ends.iter()
        .position(|&e| e == (process, port as u32))
        .expect("the network attached every end it lists")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::Board;
    use crate::plan::{plan, Placement};
    use ecsp_device::message::{Dtype, MsgType};
    use std::alloc::Layout;

    const KINDS: [ChannelKind; 4] = [
        ChannelKind::OneToOne,
        ChannelKind::AnyToOne,
        ChannelKind::OneToAny,
        ChannelKind::AnyToAny,
    ];

    fn channel(kind: ChannelKind, writers: usize, readers: usize, capacity: u32, len: u32) -> ChannelSpec {
        ChannelSpec {
            name: "c".to_string(),
            msg: MsgType::vector(Dtype::U8, len),
            capacity,
            kind,
            writers: (0..writers).map(|w| (ProcId(w), 0)).collect(),
            readers: (0..readers).map(|r| (ProcId(writers + r), 0)).collect(),
        }
    }

    /// The mapper's promise: a process weighs at least what the layout
    /// gives it, so a core it fills by weight holds it.
    #[test]
    fn an_end_weighs_at_least_its_blocks() {
        for kind in KINDS {
            let (max_writers, max_readers) = (
                if kind.shared_writes() { 5 } else { 1 },
                if kind.shared_reads() { 5 } else { 1 },
            );
            // 0 writers or readers: the host's end (one2one and any2one only).
            let least = if kind.shared_reads() { 1 } else { 0 };
            for writers in least..=max_writers {
                for readers in least..=max_readers {
                    for capacity in [0, 1, 7] {
                        for len in [1, 3, 8, 100] {
                            let ch = channel(kind, writers, readers, capacity, len);
                            for read in [true, false] {
                                if (read && readers == 0) || (!read && writers == 0) {
                                    continue;
                                }
                                let room: u32 = end_blocks(&ch, read).iter().map(|b| b.room()).sum();
                                assert!(
                                    end_weight(&ch, read) >= room,
                                    "{kind:?} {writers}w {readers}r capacity {capacity} len {len} read {read}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    /// A core's channel blocks are exactly its ends' blocks: the layout
    /// adds nothing of its own.
    #[test]
    fn a_core_holds_exactly_its_ends_blocks() {
        let mut net = Network::new();
        let msg = MsgType::vector(Dtype::I32, 5);
        let mut n = 0;
        let mut process = |net: &mut Network, kind: &str, ins: &[ChanId], outs: &[ChanId]| {
            n += 1;
            net.process(&format!("p{n}"), kind, ins, outs, &[]).unwrap();
        };
        for (i, kind) in KINDS.into_iter().enumerate() {
            for capacity in [0, 3] {
                let c = net
                    .channel_of_kind(&format!("c{i}_{capacity}"), msg, capacity, kind)
                    .unwrap();
                for _ in 0..if kind.shared_writes() { 3 } else { 1 } {
                    process(&mut net, "ramp", &[], &[c]);
                }
                for _ in 0..if kind.shared_reads() { 3 } else { 1 } {
                    process(&mut net, "consume", &[c], &[]);
                }
            }
        }
        // Host ends, and a process with ends on both sides.
        let to_host = net.channel("to_host", msg, 2).unwrap();
        let from_host = net.any2one("from_host", msg, 0).unwrap();
        let (x, y) = (net.channel("x", msg, 1).unwrap(), net.channel("y", msg, 0).unwrap());
        process(&mut net, "ramp", &[], &[to_host]);
        process(&mut net, "consume", &[from_host], &[]);
        process(&mut net, "ramp", &[], &[x]);
        process(&mut net, "id", &[x], &[y]);
        process(&mut net, "consume", &[y], &[]);

        let state = |_: u32, _: Dtype| Some(Layout::new::<u64>());
        let plan = plan(&net, &Board::default(), Placement::Packed, &state).unwrap();
        let core = &plan.cores[0];
        let expected: u32 = core
            .ends
            .iter()
            .flat_map(|&(c, read)| end_blocks(&net.channels()[c.0], read))
            .map(|b| b.room())
            .sum();
        assert_eq!(core.usage.channels, expected);
        let host: u64 = plan
            .host
            .ends
            .iter()
            .flat_map(|&(c, read, _)| end_blocks(&net.channels()[c.0], read))
            .map(|b| b.room() as u64)
            .sum();
        assert_eq!(plan.host.image.len() as u64, host);
    }
}
