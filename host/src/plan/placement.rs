//! Placement: which core runs each process. A pinned process runs where it
//! is pinned (a pin outside the chip is an error); the others go where the
//! [`Placement`] puts them: along the snake through the mesh (`Spread`),
//! all on the first core (`Packed`), or where the hop-minimising mapper
//! puts them (`Auto`, `mapper.rs`), which weighs each process by what the
//! layout will give it on its core ([`footprint`]).

use super::blocks::{end_weight, ends_of};
use super::layout::state_room;
use super::{mapper, Placement, PlanError};
use crate::board::Board;
use crate::network::{Network, ProcId};
use ecsp_device::addr::{CoreId, SRAM_SIZE};
use ecsp_device::boot::{BootHeader, EndRecord, TaskRecord, RUNTIME_END, STACK_RESERVE};
use ecsp_device::message::Dtype;
use std::alloc::Layout;
use std::mem::size_of;

/// The core of each process of `net` on `board`, by [`ProcId`].
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
/// task record, end records, the channel blocks of its ends (weighed by
/// [`end_weight`], alignment padding counted in), and its state room.
/// Unknown state sizes count as 0: the plan reports them.
fn footprint(net: &Network, process: usize, state_layout: &dyn Fn(u32, Dtype) -> Option<Layout>) -> u32 {
    let spec = &net.processes()[process];
    let records = size_of::<TaskRecord>() as u32
        + (spec.inputs.len() + spec.outputs.len()) as u32 * size_of::<EndRecord>() as u32;
    let blocks: u32 = ends_of(net, ProcId(process))
        .map(|end| end_weight(&net.channels()[end.channel.0], end.read))
        .sum();
    let state = state_layout(spec.kind, spec.dtype).map_or(0, |l| state_room(net, process, l));
    records + blocks + state + 8
}

/// Cores of the chip in snake order: row 0 left to right, row 1 right to left...
fn snake(board: &Board) -> Vec<(u32, u32)> {
    (0..board.rows)
        .flat_map(|r| (0..board.cols).map(move |c| (r, if r % 2 == 0 { c } else { board.cols - 1 - c })))
        .collect()
}
