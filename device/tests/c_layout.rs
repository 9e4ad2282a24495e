//! The C runtime's protocol structures are the Rust ones, byte for byte.
//!
//! `device/c/src/layout.c` lists the size of every structure, the offset
//! and size of every field and the value of every constant as the C
//! compiler sees them; this test builds the same table from the Rust
//! definitions (`offset_of!`, `size_of`, the constants) and requires the
//! two to be equal, entry for entry, in both directions. The C side is
//! compiled with the `cc` crate by this crate's build script (feature
//! `c-runtime`); on silicon it is compiled by GCC for `epiphany-elf` from
//! the same headers, whose static asserts pin the same numbers.

use ecsp_device::addr::{reg, Irq, SRAM_SIZE};
use ecsp_device::barrier::{BarrierRecord, WAND_ARRIVED, WAND_BLOCK_SIZE, WAND_COMPLETED, WAND_MEMBERS};
use ecsp_device::boot::*;
use ecsp_device::c_runtime;
use ecsp_device::channel::block::*;
use ecsp_device::kernel::{self as k, KernelBlock, KernelItem};
use std::collections::BTreeMap;
use std::mem::{offset_of, size_of};

/// Bytes of the field a projection reaches.
fn field_size<S, F>(_: fn(&S) -> &F) -> u32 {
    size_of::<F>() as u32
}

macro_rules! layout {
    ($table:ident, $s:ident as $name:literal { $($field:ident),* $(,)? }) => {
        $table.insert($name.to_string(), (0, size_of::<$s>() as u32));
        $(
            $table.insert(
                concat!($name, ".", stringify!($field)).to_string(),
                (offset_of!($s, $field) as u32, field_size(|s: &$s| &s.$field)),
            );
        )*
    };
}

fn rust_table() -> BTreeMap<String, (u32, u32)> {
    let mut t = BTreeMap::new();
    layout!(t, BootHeader as "BootHeader" {
        magic, version, core_id, task_count, end_count, tasks_offset, ends_offset, arena_offset,
        arena_size, core_status, fault_task, boot_error, barrier_count, barriers_offset, wand_offset, reserved,
    });
    layout!(t, TaskRecord as "TaskRecord" {
        kind, dtype, first_end, inputs, outputs, state_offset, state_size, status, params, value, aux,
        ticks, error, waiting,
    });
    layout!(t, EndRecord as "EndRecord" { local, remote, peer, capacity, msg_size, direction, lanes, table });
    layout!(t, LaneRecord as "LaneRecord" { ring, ack, peer, taken, next_slot, reserved });
    layout!(t, ShareRecord as "ShareRecord" { state, claim, peers, peer_count });
    layout!(t, OutLaneRecord as "OutLaneRecord" {
        taken, reader_state, asked, ring, claim, peer, written, next_slot, handled, reserved,
    });
    layout!(t, PeerRecord as "PeerRecord" { state, peer });
    layout!(t, BarrierRecord as "BarrierRecord" { kind, task, rank, size, block, roster });
    // The WAND block has no Rust struct: its offsets are constants.
    t.insert("WandBlock".into(), (0, WAND_BLOCK_SIZE));
    t.insert("WandBlock.members".into(), (WAND_MEMBERS, 4));
    t.insert("WandBlock.arrived".into(), (WAND_ARRIVED, 4));
    t.insert("WandBlock.completed".into(), (WAND_COMPLETED, 4));
    t.insert("WandBlock.reserved".into(), (12, 4));
    layout!(t, KernelBlock as "KernelBlock" {
        magic, items, stack, state, context, result, note, note_value, result_kind, error, message, record,
        first_end, fair,
    });
    layout!(t, KernelItem as "KernelItem" { kind, index, msg_size, state, flags, reserved });
    t.insert("ReaderState".into(), (0, k::READER_STATE_SIZE));
    t.insert("WriterState".into(), (0, k::WRITER_STATE_SIZE));
    t.insert("BarrierState".into(), (0, k::BARRIER_STATE_SIZE));
    let kernel_constants: [(&str, u32); 17] = [
        ("USER_KIND_BASE", k::USER_KIND_BASE),
        ("KERNEL_MAGIC", k::KERNEL_MAGIC),
        ("MAX_KERNEL_ITEMS", k::MAX_KERNEL_ITEMS),
        ("STACK_CANARY", k::STACK_CANARY),
        ("ITEM_NONE", k::item_kind::NONE as u32),
        ("ITEM_IN", k::item_kind::IN as u32),
        ("ITEM_OUT", k::item_kind::OUT as u32),
        ("ITEM_BARRIER", k::item_kind::BARRIER as u32),
        ("ITEM_PARAM", k::item_kind::PARAM as u32),
        ("KSTATE_READY", k::kernel_state::READY),
        ("KSTATE_RUNNING", k::kernel_state::RUNNING),
        ("KSTATE_RETURNED", k::kernel_state::RETURNED),
        ("KSTATE_POISONED", k::kernel_state::POISONED),
        ("KSTATE_FAILED", k::kernel_state::FAILED),
        ("RESULT_NONE", k::result_kind::NONE),
        ("RESULT_INT", k::result_kind::INT),
        ("RESULT_FLOAT", k::result_kind::FLOAT),
    ];
    for (name, value) in kernel_constants {
        t.insert(format!("const {name}"), (value, 0));
    }
    let constants: [(&str, u32); 43] = [
        ("SRAM_SIZE", SRAM_SIZE),
        ("RUNTIME_END", RUNTIME_END),
        ("BOOT_OFFSET", BOOT_OFFSET),
        ("STACK_RESERVE", STACK_RESERVE),
        ("STACK_BOTTOM", STACK_BOTTOM),
        ("BOOT_MAGIC", BOOT_MAGIC),
        ("BOOT_VERSION", BOOT_VERSION),
        ("MAX_TASKS_PER_CORE", MAX_TASKS_PER_CORE as u32),
        ("MAX_PARAMS", MAX_PARAMS as u32),
        ("TASK_STATUS_OFFSET", TASK_STATUS_OFFSET),
        ("TASK_VALUE_OFFSET", TASK_VALUE_OFFSET),
        ("TASK_ERROR_OFFSET", TASK_ERROR_OFFSET),
        ("TASK_WAITING_OFFSET", TASK_WAITING_OFFSET),
        ("CORE_STATUS_OFFSET", CORE_STATUS_OFFSET),
        ("FAULT_TASK_OFFSET", FAULT_TASK_OFFSET),
        ("BOOT_ERROR_OFFSET", BOOT_ERROR_OFFSET),
        ("LANE_TAKEN_OFFSET", LANE_TAKEN_OFFSET),
        ("LANE_NEXT_SLOT_OFFSET", LANE_NEXT_SLOT_OFFSET),
        ("RING_WRITTEN", RING_WRITTEN),
        ("RING_WRITER_STATE", RING_WRITER_STATE),
        ("RING_SLOTS", RING_SLOTS),
        ("ACK_TAKEN", ACK_TAKEN),
        ("ACK_READER_STATE", ACK_READER_STATE),
        ("ACK_BLOCK_SIZE", ACK_BLOCK_SIZE),
        ("CLOSED", CLOSED),
        ("POISONED", POISONED),
        ("BLOCK_ALIGN", BLOCK_ALIGN),
        ("MAX_MESSAGE_SIZE", MAX_MESSAGE_SIZE),
        ("MAX_CAPACITY", MAX_CAPACITY),
        ("MAX_LANES", MAX_LANES),
        ("END_READ", END_READ),
        ("END_WRITE", END_WRITE),
        ("END_SHARED_READ", END_SHARED_READ),
        ("END_SHARED_WRITE", END_SHARED_WRITE),
        ("WAIT_OTHER", WAIT_OTHER),
        ("ILATST", reg::ILATST),
        ("USER_IRQ_BIT", Irq::User.bit()),
        ("WAND_IRQ_BIT", Irq::Wand.bit()),
        ("COREID", reg::COREID),
        ("OUT_LANE_ASKED_OFFSET", OUT_LANE_ASKED_OFFSET),
        ("SHARE_STATE_OFFSET", SHARE_STATE_OFFSET),
        ("SHARE_CLAIM_OFFSET", SHARE_CLAIM_OFFSET),
        ("OUT_LANE_HANDLED_OFFSET", OUT_LANE_HANDLED_OFFSET),
    ];
    for (name, value) in constants {
        t.insert(format!("const {name}"), (value, 0));
    }
    t
}

#[test]
fn every_protocol_structure_and_constant_is_the_same_in_c_and_rust() {
    let c: BTreeMap<String, (u32, u32)> = c_runtime::layout()
        .map(|(name, offset, size)| (name.to_string(), (offset, size)))
        .collect();
    assert!(c.len() > 100, "the C table has {} entries", c.len());
    let rust = rust_table();
    let mut wrong = Vec::new();
    for (name, got) in &c {
        match rust.get(name) {
            Some(want) if want == got => {}
            Some(want) => wrong.push(format!("{name}: C (offset, size) {got:?}, Rust {want:?}")),
            None => wrong.push(format!("{name}: in C only")),
        }
    }
    for name in rust.keys().filter(|n| !c.contains_key(*n)) {
        wrong.push(format!("{name}: in Rust only"));
    }
    assert!(wrong.is_empty(), "the runtimes disagree:\n{}", wrong.join("\n"));
}
