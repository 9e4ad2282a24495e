//! The barrier part of a plan: where each core keeps the records, rosters,
//! participant blocks and WAND block of the barriers its processes take
//! part in (`device/PROTOCOL.md`, Barriers).
//!
//! A core's barrier area follows its channel blocks:
//!
//! ```text
//!   BarrierRecord × (its processes' barrier memberships, in task order)
//!   roster × (barriers with participants here, in network order): size words
//!   participant block × (memberships, in task order)
//!   WandBlock, when processes here take part in the WAND barrier
//! ```
//!
//! Nothing is added to a core whose processes take part in no barrier, so
//! networks without barriers are planned byte for byte as before.

use super::encode::put;
use crate::network::{BarrierKind, Network, ProcId};
use ecsp_device::addr::{CoreId, GlobalAddr};
use ecsp_device::barrier::{
    participant_block_size, BarrierRecord, BARRIER_DISSEMINATION, BARRIER_RECORD_SIZE, BARRIER_WAND, WAND_BLOCK_SIZE,
    WAND_MEMBERS,
};
use ecsp_device::boot::{align_up, BootHeader};

/// One core's barrier area, as laid out.
#[derive(Debug, Default, Clone)]
struct CoreArea {
    /// Offset of its first barrier record (0: none).
    records: u32,
    /// Barrier records.
    count: u32,
    /// (barrier, roster offset) for every barrier with participants here.
    rosters: Vec<(usize, u32)>,
    /// Offset of the WAND block (0: none).
    wand: u32,
    /// WAND participants here.
    wand_members: u32,
}

/// Barrier layout across the chip, filled core by core in pass 1 and
/// written in pass 2 of the planner.
pub(super) struct BarrierPlan<'a> {
    net: &'a Network,
    /// Per process: (barrier, rank) for each barrier it takes part in.
    memberships: Vec<Vec<(usize, u32)>>,
    /// Per barrier, per rank: the participant block's core and offset.
    blocks: Vec<Vec<(CoreId, u32)>>,
    /// Per planned core (in the planner's core order).
    cores: Vec<CoreArea>,
}

fn kind_code(kind: BarrierKind) -> u32 {
    match kind {
        BarrierKind::Dissemination => BARRIER_DISSEMINATION,
        BarrierKind::Wand => BARRIER_WAND,
    }
}

impl<'a> BarrierPlan<'a> {
    pub(super) fn new(net: &'a Network) -> Self {
        BarrierPlan {
            net,
            memberships: (0..net.processes().len())
                .map(|p| {
                    net.barriers_of(ProcId(p))
                        .into_iter()
                        .map(|(b, rank)| (b.0, rank))
                        .collect()
                })
                .collect(),
            blocks: net
                .barriers()
                .iter()
                .map(|b| vec![(CoreId::from_raw(0), 0); b.participants.len()])
                .collect(),
            cores: Vec::new(),
        }
    }

    /// Lays out the barrier area of the next core (`core`, running `procs`)
    /// from `cursor`; returns where it ends.
    pub(super) fn layout(&mut self, core: CoreId, procs: &[ProcId], cursor: u32) -> u32 {
        let barriers = self.net.barriers();
        let count: usize = procs.iter().map(|p| self.memberships[p.0].len()).sum();
        if count == 0 {
            self.cores.push(CoreArea::default());
            return cursor;
        }
        let mut at = align_up(cursor, 8);
        let mut area = CoreArea {
            records: at,
            count: count as u32,
            ..CoreArea::default()
        };
        at = align_up(at + count as u32 * BARRIER_RECORD_SIZE, 8);
        let mut here: Vec<usize> = procs
            .iter()
            .flat_map(|p| self.memberships[p.0].iter().map(|&(b, _)| b))
            .collect();
        here.sort_unstable();
        here.dedup();
        for b in here {
            area.rosters.push((b, at));
            at = align_up(at + 4 * barriers[b].participants.len() as u32, 8);
        }
        for p in procs {
            for &(b, rank) in &self.memberships[p.0] {
                let spec = &barriers[b];
                self.blocks[b][rank as usize] = (core, at);
                at += participant_block_size(kind_code(spec.kind), spec.participants.len() as u32);
                if spec.kind == BarrierKind::Wand {
                    area.wand_members += 1;
                }
            }
        }
        if area.wand_members > 0 {
            area.wand = at;
            at += WAND_BLOCK_SIZE;
        }
        self.cores.push(area);
        at
    }

    /// Per barrier, the global address of every participant's block, by rank.
    pub(super) fn block_addresses(&self) -> Vec<Vec<GlobalAddr>> {
        self.blocks
            .iter()
            .map(|ranks| {
                ranks
                    .iter()
                    .map(|&(core, block)| GlobalAddr::on_core(core, block))
                    .collect()
            })
            .collect()
    }

    /// Fills the barrier fields of planned core `ci`'s boot header.
    pub(super) fn fill_header(&self, ci: usize, header: &mut BootHeader) {
        let area = &self.cores[ci];
        header.barrier_count = area.count;
        header.barriers_offset = area.records;
        header.wand_offset = area.wand;
    }

    /// Writes planned core `ci`'s records, rosters and WAND block into its
    /// boot image (participant blocks stay zero).
    pub(super) fn write(&self, ci: usize, procs: &[ProcId], image: &mut [u8]) {
        let area = &self.cores[ci];
        if area.count == 0 {
            return;
        }
        let barriers = self.net.barriers();
        let roster_of = |b: usize| {
            area.rosters
                .iter()
                .find(|&&(rb, _)| rb == b)
                .map(|&(_, at)| at)
                .expect("every barrier with participants here has a roster here")
        };
        let mut at = area.records;
        for (task, p) in procs.iter().enumerate() {
            for &(b, rank) in &self.memberships[p.0] {
                let spec = &barriers[b];
                let record = BarrierRecord {
                    kind: kind_code(spec.kind),
                    task: task as u32,
                    rank,
                    size: spec.participants.len() as u32,
                    block: self.blocks[b][rank as usize].1,
                    roster: roster_of(b),
                };
                put(image, at, bytemuck::bytes_of(&record));
                at += BARRIER_RECORD_SIZE;
            }
        }
        for &(b, roster) in &area.rosters {
            let words: Vec<u8> = self.blocks[b]
                .iter()
                .flat_map(|&(core, block)| GlobalAddr::on_core(core, block).raw().to_le_bytes())
                .collect();
            put(image, roster, &words);
        }
        if area.wand != 0 {
            put(image, area.wand + WAND_MEMBERS, &area.wand_members.to_le_bytes());
        }
    }
}
