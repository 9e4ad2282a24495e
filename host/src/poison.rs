//! Poisoning a whole network from the host: what a run does when a process
//! fails, so the rest stops instead of waiting forever on the failed one
//! (DESIGN.md section 5).
//!
//! The host writes POISONED into every state word of every channel the plan
//! laid out (a ring's `writer_state`, an acknowledgement block's or out-lane
//! record's `reader_state`, a shared end's `ShareRecord::state`), on the
//! cores and in its own DRAM slice, then raises every core's user interrupt.
//! Each blocked process wakes, finds its channel poisoned and ends the way
//! the built-ins end on poison. The host becomes one more writer of those
//! words; it only ever writes POISONED, which no end ever clears, so the
//! one-writer rule the protocol rests on bends without breaking: the worst a
//! race can do is let a writer's later CLOSED land over it, and that channel
//! then ends by close instead.

use crate::chip::{Chip, ChipError};
use crate::plan::Plan;
use ecsp_device::addr::{reg, GlobalAddr, Irq};
use ecsp_device::boot::{
    BootHeader, EndRecord, LaneRecord, OutLaneRecord, BOOT_OFFSET, END_READ, END_SHARED_READ, END_SHARED_WRITE,
    END_WRITE, SHARE_STATE_OFFSET,
};
use ecsp_device::channel::block::{ACK_READER_STATE, POISONED, RING_WRITER_STATE};
use std::mem::size_of;

/// A node's planned memory: where its bytes start globally, and the bytes
/// (from `origin` on) the plan wrote there.
struct Image<'a> {
    base: GlobalAddr,
    origin: u32,
    bytes: &'a [u8],
}

impl Image<'_> {
    fn read<T: bytemuck::Pod + Default>(&self, offset: u32) -> Option<T> {
        let at = offset.checked_sub(self.origin)? as usize;
        let bytes = self.bytes.get(at..at + size_of::<T>())?;
        let mut value = T::default();
        bytemuck::bytes_of_mut(&mut value).copy_from_slice(bytes);
        Some(value)
    }

    fn global(&self, offset: u32) -> GlobalAddr {
        self.base.add(offset)
    }
}

/// Every state word of one end, as global addresses.
fn state_words(image: &Image<'_>, end: &EndRecord, words: &mut Vec<GlobalAddr>) {
    let lanes = end.lanes as usize;
    match end.direction {
        END_READ if end.table == 0 => {
            words.push(image.global(end.local + RING_WRITER_STATE));
            words.push(GlobalAddr::new(end.remote).add(ACK_READER_STATE));
        }
        END_WRITE => {
            words.push(image.global(end.local + ACK_READER_STATE));
            words.push(GlobalAddr::new(end.remote).add(RING_WRITER_STATE));
        }
        END_READ | END_SHARED_READ => {
            if end.direction == END_SHARED_READ {
                words.push(image.global(end.local + SHARE_STATE_OFFSET));
            }
            for i in 0..lanes {
                let at = end.table + (i * size_of::<LaneRecord>()) as u32;
                if let Some(lane) = image.read::<LaneRecord>(at) {
                    words.push(image.global(lane.ring + RING_WRITER_STATE));
                    // A shared writer's out-lane record keeps `reader_state`
                    // where an acknowledgement block does.
                    words.push(GlobalAddr::new(lane.ack).add(ACK_READER_STATE));
                }
            }
        }
        END_SHARED_WRITE => {
            words.push(image.global(end.local + SHARE_STATE_OFFSET));
            for i in 0..lanes {
                let at = end.table + (i * size_of::<OutLaneRecord>()) as u32;
                if let Some(lane) = image.read::<OutLaneRecord>(at) {
                    words.push(image.global(at + ACK_READER_STATE));
                    words.push(GlobalAddr::new(lane.ring).add(RING_WRITER_STATE));
                }
            }
        }
        _ => {}
    }
}

/// Poisons every channel of the network `plan` loaded on `chip` and wakes
/// every core. A word the chip refuses is skipped, the rest still written;
/// the first refusal is returned.
pub fn poison_network(chip: &dyn Chip, plan: &Plan) -> Result<(), ChipError> {
    let mut words = Vec::new();
    for core in &plan.cores {
        let image = Image {
            base: GlobalAddr::on_core(core.core, 0),
            origin: BOOT_OFFSET,
            bytes: &core.image,
        };
        let Some(header) = image.read::<BootHeader>(BOOT_OFFSET) else {
            continue;
        };
        for i in 0..header.end_count {
            let at = header.ends_offset + i * size_of::<EndRecord>() as u32;
            if let Some(end) = image.read::<EndRecord>(at) {
                state_words(&image, &end, &mut words);
            }
        }
    }
    let host = Image {
        base: plan.host.base,
        origin: 0,
        bytes: &plan.host.image,
    };
    for (_, _, end) in &plan.host.ends {
        state_words(&host, end, &mut words);
    }
    words.sort_by_key(|w| w.raw());
    words.dedup();
    let mut first_error = None;
    let raises = plan
        .cores
        .iter()
        .map(|c| (GlobalAddr::on_core(c.core, reg::ILATST), Irq::User.bit()));
    for (addr, value) in words.into_iter().map(|w| (w, POISONED)).chain(raises) {
        if let Err(e) = chip.write_word(addr, value) {
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}
