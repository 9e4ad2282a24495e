//! Placement: which core runs each process. A pinned process runs where it
//! is pinned (a pin outside the chip is an error); the others go where the
//! [`Placement`] puts them: along the snake through the mesh (`Spread`),
//! all on the first core (`Packed`), or where the hop-minimising mapper
//! puts them (`Auto`, `mapper.rs`), which weighs each process by what the
//! layout will give it on its core ([`footprint`]).

use super::{mapper, state_room, Placement, PlanError};
use crate::board::Board;
use crate::network::Network;
use ecsp_device::addr::{CoreId, SRAM_SIZE};
use ecsp_device::boot::{
    align_up, BootHeader, EndRecord, LaneRecord, OutLaneRecord, PeerRecord, ShareRecord, TaskRecord, RUNTIME_END,
    STACK_RESERVE,
};
use ecsp_device::channel::block::{ring_block_size, ACK_BLOCK_SIZE, BLOCK_ALIGN};
use ecsp_device::message::Dtype;
use std::alloc::Layout;
use std::mem::size_of;

/// The core of each process of `net` on `board`, by [`ProcId`](crate::network::ProcId).
///
/// # Errors
/// [`PlanError::PinOutsideChip`] for the first process pinned outside the chip.
pub(super) fn place(
    net: &Network,
    board: &Board,
    placement: Placement,
    state_layout: &dyn Fn(u32, Dtype) -> Option<Layout>,
) -> Result<Vec<CoreId>, PlanError> {
    for p in net.processes() {
        if let Some((row, col)) = p.pin {
            if row >= board.rows || col >= board.cols {
                return Err(PlanError::PinOutsideChip {
                    process: p.name.clone(),
                    row,
                    col,
                    rows: board.rows,
                    cols: board.cols,
                    board: board.name.clone(),
                });
            }
        }
    }
    let order = snake(board);
    let mapped = match placement {
        Placement::Auto => {
            let weights: Vec<u32> = (0..net.processes().len())
                .map(|p| footprint(net, p, state_layout))
                .collect();
            // What a core has for processes: SRAM less the runtime, the
            // boot header, the stack reserve and the barrier blocks' worst case.
            let budget = SRAM_SIZE - RUNTIME_END - STACK_RESERVE - size_of::<BootHeader>() as u32 - 256;
            mapper::map(net, board.rows, board.cols, &order, &weights, budget)
        }
        _ => Vec::new(),
    };
    let mut next = 0usize;
    let core_of = |(r, c): (u32, u32)| CoreId::from_row_col(board.first_row + r, board.first_col + c);
    Ok(net
        .processes()
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let rc = match (p.pin, placement) {
                (Some(rc), _) => rc,
                (None, Placement::Auto) => mapped[i],
                (None, Placement::Packed) => order[0],
                (None, Placement::Spread) => {
                    let rc = order[next % order.len()];
                    next += 1;
                    rc
                }
            };
            core_of(rc)
        })
        .collect())
}

/// What a process adds to its core's SRAM, as the planner lays it out: its
/// task record, end records, the channel blocks it owns (a ring per lane of
/// each input, an acknowledgement block per output; a shared end's records
/// and tables), and its state room. Alignment padding (at most 8 bytes per
/// block) is counted in. Unknown state sizes count as 0: the plan reports
/// them.
fn footprint(net: &Network, process: usize, state_layout: &dyn Fn(u32, Dtype) -> Option<Layout>) -> u32 {
    let spec = &net.processes()[process];
    let pad = |n: u32| align_up(n, BLOCK_ALIGN) + BLOCK_ALIGN;
    let mut bytes = size_of::<TaskRecord>() as u32
        + (spec.inputs.len() + spec.outputs.len()) as u32 * size_of::<EndRecord>() as u32;
    for &c in &spec.inputs {
        let ch = &net.channels()[c.0];
        let lanes = ch.writers.len().max(1) as u32;
        let ring = pad(ring_block_size(ch.capacity, ch.msg.size()));
        bytes += lanes * ring + pad(lanes * size_of::<LaneRecord>() as u32);
        if ch.kind.shared_reads() {
            bytes +=
                pad(size_of::<ShareRecord>() as u32) + pad(ch.readers.len() as u32 * size_of::<PeerRecord>() as u32);
        }
    }
    for &c in &spec.outputs {
        let ch = &net.channels()[c.0];
        bytes += if ch.kind.shared_reads() {
            pad(size_of::<ShareRecord>() as u32)
                + pad(ch.readers.len() as u32 * size_of::<OutLaneRecord>() as u32)
                + pad(ch.writers.len() as u32 * size_of::<PeerRecord>() as u32)
        } else {
            ACK_BLOCK_SIZE
        };
    }
    let state = state_layout(spec.kind, spec.dtype).map_or(0, |l| state_room(net, process, l));
    bytes + state + 8
}

/// Cores of the chip in snake order: row 0 left to right, row 1 right to left...
fn snake(board: &Board) -> Vec<(u32, u32)> {
    (0..board.rows)
        .flat_map(|r| (0..board.cols).map(move |c| (r, if r % 2 == 0 { c } else { board.cols - 1 - c })))
        .collect()
}
