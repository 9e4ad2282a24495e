//! Keeps `device/PROTOCOL.md` and the code from drifting apart.
//!
//! The document is the contract the C runtime for silicon implements, so every
//! number in its tables is checked here against the Rust definitions:
//! - each structure table (`### Name` + a table with the header
//!   `| field | offset | size | type | written by | read by | meaning |`)
//!   against `offset_of!`/`size_of_val` of the real struct or the block constants;
//! - each code table (`| code | name | meaning |`) against the enum's `code()`,
//!   the status constants, the registry and the dtype codes;
//! - the constants table and the worked ring sizes against the constants and
//!   functions of the same names.
//!
//! A failure lists every disagreement, naming the section and the field.

use ecsp_device::addr::{reg, Irq, SRAM_SIZE};
use ecsp_device::boot::{
    self, core_status, task_status, BootHeader, EndRecord, LaneRecord, OutLaneRecord, PeerRecord, ShareRecord,
    TaskRecord,
};
use ecsp_device::channel::block::{self, ring_block_size, slot_count, slot_stride};
use ecsp_device::channel::EndError;
use ecsp_device::executor::BootError;
use ecsp_device::message::Dtype;
use ecsp_device::process::{ProcessError, KINDS};
use std::collections::{BTreeMap, BTreeSet};
use std::mem::{offset_of, size_of, size_of_val};

const DOC_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/PROTOCOL.md");

/// The document, read when the test runs (so an edit needs no rebuild).
fn doc() -> String {
    std::fs::read_to_string(DOC_PATH).unwrap_or_else(|e| panic!("cannot read {DOC_PATH}: {e}"))
}

const STRUCT_HEADER: [&str; 7] = ["field", "offset", "size", "type", "written by", "read by", "meaning"];
const CODE_HEADER: [&str; 3] = ["code", "name", "meaning"];
const CONST_HEADER: [&str; 3] = ["constant", "value", "meaning"];
const RING_HEADER: [&str; 5] = ["capacity", "msg_size", "slots", "stride", "ring bytes"];

/// The first table under one `### ` heading.
#[derive(Debug)]
struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// Every `### Name` section of the document that holds a table, by name.
fn sections(doc: &str) -> BTreeMap<String, Table> {
    let mut out = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut table: Option<Table> = None;
    let mut finish = |name: &Option<String>, table: &mut Option<Table>| {
        if let (Some(name), Some(t)) = (name, table.take()) {
            assert!(
                out.insert(name.clone(), t).is_none(),
                "PROTOCOL.md: two sections are headed `### {name}`"
            );
        }
    };
    let mut done_with_section = false;
    for line in doc.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') {
            finish(&current, &mut table);
            current = trimmed.strip_prefix("### ").map(|n| n.trim().to_string());
            done_with_section = false;
            continue;
        }
        if current.is_none() || done_with_section {
            continue;
        }
        if let Some(inner) = trimmed.strip_prefix('|') {
            let cells: Vec<String> = inner
                .strip_suffix('|')
                .unwrap_or(inner)
                .split('|')
                .map(|c| c.trim().to_string())
                .collect();
            let separator = cells
                .iter()
                .all(|c| !c.is_empty() && c.chars().all(|ch| ch == '-' || ch == ':'));
            match &mut table {
                None => {
                    table = Some(Table {
                        header: cells,
                        rows: Vec::new(),
                    })
                }
                Some(_) if separator => {}
                Some(t) => t.rows.push(cells),
            }
        } else if table.is_some() {
            // The first table of the section has ended; later ones are not parsed.
            done_with_section = true;
        }
    }
    finish(&current, &mut table);
    out
}

/// Strips markdown code ticks.
fn plain(cell: &str) -> &str {
    cell.trim().trim_matches('`')
}

/// Parses a decimal or `0x` hexadecimal integer.
fn number(cell: &str) -> Option<u64> {
    let s = plain(cell).replace('_', "");
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

/// Byte width of a documented type such as `u32` or `i64[4]`, if it is a scalar or array of scalars.
fn type_width(ty: &str) -> Option<u64> {
    let ty = plain(ty);
    let (base, count) = match ty.split_once('[') {
        Some((base, rest)) => (base, rest.strip_suffix(']')?.parse::<u64>().ok()?),
        None => (ty, 1),
    };
    let width = match base {
        "u8" | "i8" => 1,
        "u16" | "i16" => 2,
        "u32" | "i32" | "f32" => 4,
        "u64" | "i64" | "f64" => 8,
        _ => return None,
    };
    Some(width * count)
}

/// A documented field: offset, and size when the document gives it as an integer.
#[derive(Debug, Clone, Copy)]
struct DocField {
    offset: u64,
    size: Option<u64>,
}

/// The fields of the structure table `name`, checked for form; problems go to `errors`.
fn struct_fields(sections: &BTreeMap<String, Table>, name: &str, errors: &mut Vec<String>) -> Vec<(String, DocField)> {
    let Some(table) = sections.get(name) else {
        errors.push(format!("PROTOCOL.md has no `### {name}` section with a table"));
        return Vec::new();
    };
    if table.header != STRUCT_HEADER {
        errors.push(format!(
            "### {name}: the table header is {:?}, expected `| {} |`",
            table.header,
            STRUCT_HEADER.join(" | ")
        ));
        return Vec::new();
    }
    let mut fields = Vec::new();
    for row in &table.rows {
        if row.len() != STRUCT_HEADER.len() {
            errors.push(format!(
                "### {name}: row {row:?} does not have {} cells",
                STRUCT_HEADER.len()
            ));
            continue;
        }
        let field = plain(&row[0]).to_string();
        let Some(offset) = number(&row[1]) else {
            errors.push(format!(
                "### {name}: field `{field}` has offset `{}`, not an integer",
                row[1]
            ));
            continue;
        };
        let size = number(&row[2]);
        if let (Some(size), Some(width)) = (size, type_width(&row[3])) {
            if size != width {
                errors.push(format!(
                    "### {name}: field `{field}` has size {size} but its type `{}` is {width} bytes",
                    row[3]
                ));
            }
        }
        for (column, cell) in [("written by", &row[4]), ("read by", &row[5])] {
            if cell.is_empty() {
                errors.push(format!("### {name}: field `{field}` does not say who it is {column}"));
            }
        }
        if fields.iter().any(|(f, _): &(String, DocField)| *f == field) {
            errors.push(format!("### {name}: field `{field}` is documented twice"));
        }
        fields.push((field, DocField { offset, size }));
    }
    fields
}

/// Fields of a real struct as (name, offset, size). The exhaustive
/// destructuring makes this fail to compile when a field is added or removed,
/// so the list cannot silently fall behind the struct.
macro_rules! real_fields {
    ($ty:ident { $($field:ident),* $(,)? }) => {{
        let value = $ty::default();
        let $ty { $($field: _),* } = value;
        vec![$((stringify!($field), offset_of!($ty, $field) as u64, size_of_val(&value.$field) as u64)),*]
    }};
}

/// Compares a documented struct with the real one: same fields, offsets, sizes and total.
fn check_struct(
    sections: &BTreeMap<String, Table>,
    name: &str,
    real: &[(&str, u64, u64)],
    real_size: u64,
    errors: &mut Vec<String>,
) {
    let doc = struct_fields(sections, name, errors);
    if doc.is_empty() {
        return;
    }
    for &(field, offset, size) in real {
        match doc.iter().find(|(f, _)| f == field) {
            None => errors.push(format!(
                "### {name}: field `{field}` (offset {offset}, size {size}) is in the code but not in the document"
            )),
            Some((_, d)) => {
                if d.offset != offset {
                    errors.push(format!(
                        "### {name}: field `{field}` is documented at offset {}, the code has {offset}",
                        d.offset
                    ));
                }
                if d.size != Some(size) {
                    errors.push(format!(
                        "### {name}: field `{field}` is documented with size {:?}, the code has {size}",
                        d.size
                    ));
                }
            }
        }
    }
    for (field, _) in &doc {
        if !real.iter().any(|(f, _, _)| f == field) {
            errors.push(format!(
                "### {name}: field `{field}` is documented but the struct has no such field"
            ));
        }
    }
    let sum: u64 = doc.iter().filter_map(|(_, d)| d.size).sum();
    let end = doc
        .iter()
        .map(|(_, d)| d.offset + d.size.unwrap_or(0))
        .max()
        .unwrap_or(0);
    if sum != real_size || end != real_size {
        errors.push(format!(
            "### {name}: the documented fields add up to {sum} bytes and end at {end}, but size_of::<{name}>() is {real_size}"
        ));
    }
    check_contiguous(name, &doc, errors);
}

/// Rows must be in offset order with no gap or overlap (the structs have no implicit padding).
fn check_contiguous(name: &str, doc: &[(String, DocField)], errors: &mut Vec<String>) {
    let mut at = 0;
    for (field, d) in doc {
        if d.offset != at {
            errors.push(format!(
                "### {name}: field `{field}` is at offset {}, but the previous field ends at {at} (rows out of order, a gap or an overlap)",
                d.offset
            ));
        }
        match d.size {
            Some(size) => at = d.offset + size,
            None => return, // A variable-size tail (slots) ends the fixed part.
        }
    }
}

/// The `code -> name` rows of a code table, checked for form.
fn code_table(sections: &BTreeMap<String, Table>, name: &str, errors: &mut Vec<String>) -> BTreeMap<String, u64> {
    let Some(table) = sections.get(name) else {
        errors.push(format!("PROTOCOL.md has no `### {name}` section with a table"));
        return BTreeMap::new();
    };
    if table.header != CODE_HEADER {
        errors.push(format!(
            "### {name}: the table header is {:?}, expected `| {} |`",
            table.header,
            CODE_HEADER.join(" | ")
        ));
        return BTreeMap::new();
    }
    let mut out = BTreeMap::new();
    for row in &table.rows {
        let (Some(code), Some(entry)) = (row.first().and_then(|c| number(c)), row.get(1)) else {
            errors.push(format!("### {name}: row {row:?} does not start with a code and a name"));
            continue;
        };
        if out.insert(plain(entry).to_string(), code).is_some() {
            errors.push(format!("### {name}: `{}` is documented twice", plain(entry)));
        }
    }
    out
}

/// Compares a code table with the real `(name, code)` pairs, both ways.
fn check_codes(sections: &BTreeMap<String, Table>, name: &str, real: &[(String, u64)], errors: &mut Vec<String>) {
    let doc = code_table(sections, name, errors);
    if doc.is_empty() {
        return;
    }
    for (entry, code) in real {
        match doc.get(entry) {
            None => errors.push(format!(
                "### {name}: `{entry}` (code {code}) is in the code but not in the document"
            )),
            Some(d) if d != code => errors.push(format!(
                "### {name}: `{entry}` is documented as {d}, the code says {code}"
            )),
            Some(_) => {}
        }
    }
    for entry in doc.keys() {
        if !real.iter().any(|(e, _)| e == entry) {
            errors.push(format!(
                "### {name}: `{entry}` is documented but the code has no such value (or this test does not know it yet)"
            ));
        }
    }
}

/// The variant name of an error from its `Debug` form: `Version { found: 0 }`
/// gives `Version`, `End(WrongDirection { found: 0 })` gives `End(WrongDirection)`.
fn variant_name(debug: &str) -> String {
    let ident = |s: &str| {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect::<String>()
    };
    let outer = ident(debug);
    match debug[outer.len()..].strip_prefix('(') {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_uppercase()) => format!("{outer}({})", ident(rest)),
        _ => outer,
    }
}

fn report(errors: Vec<String>) {
    assert!(
        errors.is_empty(),
        "device/PROTOCOL.md disagrees with the code:\n  - {}\n",
        errors.join("\n  - ")
    );
}

#[test]
fn boot_structures_match_the_code() {
    let sections = sections(&doc());
    let mut errors = Vec::new();
    check_struct(
        &sections,
        "BootHeader",
        &real_fields!(BootHeader {
            magic,
            version,
            core_id,
            task_count,
            end_count,
            tasks_offset,
            ends_offset,
            arena_offset,
            arena_size,
            core_status,
            fault_task,
            boot_error,
            barrier_count,
            barriers_offset,
            wand_offset,
            reserved,
        }),
        size_of::<BootHeader>() as u64,
        &mut errors,
    );
    check_struct(
        &sections,
        "TaskRecord",
        &real_fields!(TaskRecord {
            kind,
            dtype,
            first_end,
            inputs,
            outputs,
            state_offset,
            state_size,
            status,
            params,
            value,
            aux,
            ticks,
            error,
            waiting,
        }),
        size_of::<TaskRecord>() as u64,
        &mut errors,
    );
    check_struct(
        &sections,
        "EndRecord",
        &real_fields!(EndRecord {
            local,
            remote,
            peer,
            capacity,
            msg_size,
            direction,
            lanes,
            table,
        }),
        size_of::<EndRecord>() as u64,
        &mut errors,
    );
    check_struct(
        &sections,
        "LaneRecord",
        &real_fields!(LaneRecord {
            ring,
            ack,
            peer,
            taken,
            next_slot,
            reserved,
        }),
        size_of::<LaneRecord>() as u64,
        &mut errors,
    );
    check_struct(
        &sections,
        "ShareRecord",
        &real_fields!(ShareRecord {
            state,
            claim,
            peers,
            peer_count,
        }),
        size_of::<ShareRecord>() as u64,
        &mut errors,
    );
    check_struct(
        &sections,
        "OutLaneRecord",
        &real_fields!(OutLaneRecord {
            taken,
            reader_state,
            asked,
            ring,
            claim,
            peer,
            written,
            next_slot,
            handled,
            reserved,
        }),
        size_of::<OutLaneRecord>() as u64,
        &mut errors,
    );
    check_struct(
        &sections,
        "PeerRecord",
        &real_fields!(PeerRecord { state, peer }),
        size_of::<PeerRecord>() as u64,
        &mut errors,
    );
    report(errors);
}

#[test]
fn channel_blocks_match_the_code() {
    let sections = sections(&doc());
    let mut errors = Vec::new();
    let expect =
        |errors: &mut Vec<String>, section: &str, fields: &[(String, DocField)], field: &str, offset: u32| match fields
            .iter()
            .find(|(f, _)| f == field)
        {
            None => errors.push(format!(
                "### {section}: field `{field}` is missing (the code has it at offset {offset})"
            )),
            Some((_, d)) if d.offset != offset as u64 => errors.push(format!(
                "### {section}: field `{field}` is documented at offset {}, the code has {offset}",
                d.offset
            )),
            Some(_) => {}
        };

    let ring = struct_fields(&sections, "RingBlock", &mut errors);
    if !ring.is_empty() {
        expect(&mut errors, "RingBlock", &ring, "written", block::RING_WRITTEN);
        expect(&mut errors, "RingBlock", &ring, "slots", block::RING_SLOTS);
        let names: Vec<&str> = ring.iter().map(|(f, _)| f.as_str()).collect();
        expect(
            &mut errors,
            "RingBlock",
            &ring,
            "writer_state",
            block::RING_WRITER_STATE,
        );
        if names != ["written", "writer_state", "slots"] {
            errors.push(format!(
                "### RingBlock: fields are {names:?}, expected written, writer_state, slots"
            ));
        }
        // The fixed part (everything with an integer size) must end where the slots begin.
        let fixed_end = ring
            .iter()
            .filter_map(|(_, d)| d.size.map(|s| d.offset + s))
            .max()
            .unwrap_or(0);
        if fixed_end != block::RING_SLOTS as u64 {
            errors.push(format!(
                "### RingBlock: the fixed fields end at {fixed_end}, but the slots start at RING_SLOTS = {}",
                block::RING_SLOTS
            ));
        }
        check_contiguous("RingBlock", &ring, &mut errors);
    }

    let ack = struct_fields(&sections, "AckBlock", &mut errors);
    if !ack.is_empty() {
        expect(&mut errors, "AckBlock", &ack, "taken", block::ACK_TAKEN);
        expect(&mut errors, "AckBlock", &ack, "reader_state", block::ACK_READER_STATE);
        let total: u64 = ack.iter().filter_map(|(_, d)| d.size).sum();
        if total != block::ACK_BLOCK_SIZE as u64 {
            errors.push(format!(
                "### AckBlock: the documented fields add up to {total} bytes, ACK_BLOCK_SIZE is {}",
                block::ACK_BLOCK_SIZE
            ));
        }
        check_contiguous("AckBlock", &ack, &mut errors);
    }
    report(errors);
}

#[test]
fn worked_ring_sizes_match_the_code() {
    let sections = sections(&doc());
    let mut errors = Vec::new();
    match sections.get("Ring block sizes") {
        None => errors.push("PROTOCOL.md has no `### Ring block sizes` section with a table".to_string()),
        Some(t) if t.header != RING_HEADER => errors.push(format!(
            "### Ring block sizes: the table header is {:?}, expected `| {} |`",
            t.header,
            RING_HEADER.join(" | ")
        )),
        Some(t) => {
            for row in &t.rows {
                let n: Option<Vec<u32>> = row.iter().map(|c| number(c).map(|v| v as u32)).collect();
                let Some([capacity, msg_size, slots, stride, bytes]) = n.as_deref() else {
                    errors.push(format!("### Ring block sizes: row {row:?} is not five integers"));
                    continue;
                };
                let real = (
                    slot_count(*capacity),
                    slot_stride(*msg_size),
                    ring_block_size(*capacity, *msg_size),
                );
                if (*slots, *stride, *bytes) != real {
                    errors.push(format!(
                        "### Ring block sizes: capacity {capacity}, msg_size {msg_size} is documented as (slots, stride, bytes) = {:?}, the code gives {real:?}",
                        (slots, stride, bytes)
                    ));
                }
            }
        }
    }
    report(errors);
}

#[test]
fn codes_match_the_code() {
    let sections = sections(&doc());
    let mut errors = Vec::new();

    // Every variant that can be built from outside the crate. The enums are
    // `#[non_exhaustive]`, so a new variant cannot be caught by a match here:
    // the contiguity check below catches a new code that leaves a hole, and
    // code review the rest.
    let boot_errors = [
        BootError::NoBootTable,
        BootError::Version { found: 0 },
        BootError::WrongCore { planned: 0 },
        BootError::TooManyTasks { count: 0 },
        BootError::Corrupt,
        BootError::UnknownKind { task: 0 },
        BootError::UnknownDtype { task: 0 },
        BootError::NoRoom { task: 0 },
    ];
    let process_errors = [
        ProcessError::End(EndError::WrongDirection { found: 0 }),
        ProcessError::End(EndError::SizeMismatch { channel: 0, process: 0 }),
        ProcessError::End(EndError::BadBlock { offset: 0 }),
        ProcessError::MissingEnd { input: true, index: 0 },
        ProcessError::BadParam { index: 0 },
        ProcessError::Panicked,
        ProcessError::Faulted,
        ProcessError::MissingBarrier { index: 0 },
        ProcessError::NoScratch { needed: 0 },
        ProcessError::LengthMismatch,
        ProcessError::KernelFailed,
        ProcessError::StackOverflow,
        ProcessError::BadKernel,
    ];
    let boot: Vec<(String, u64)> = boot_errors
        .iter()
        .map(|e| (variant_name(&format!("{e:?}")), e.code() as u64))
        .collect();
    let process: Vec<(String, u64)> = process_errors
        .iter()
        .map(|e| (variant_name(&format!("{e:?}")), e.code() as u64))
        .collect();
    for (name, codes) in [("BootError", &boot), ("ProcessError", &process)] {
        let mut sorted: Vec<u64> = codes.iter().map(|(_, c)| *c).collect();
        sorted.sort_unstable();
        let expected: Vec<u64> = (1..=codes.len() as u64).collect();
        assert_eq!(
            sorted, expected,
            "{name} codes are not 1..={} without holes or repeats: a variant was added or renumbered, update this test and PROTOCOL.md",
            codes.len()
        );
    }
    check_codes(&sections, "BootError", &boot, &mut errors);
    check_codes(&sections, "ProcessError", &process, &mut errors);

    let named = |pairs: &[(&str, u32)]| {
        pairs
            .iter()
            .map(|(n, c)| (n.to_string(), *c as u64))
            .collect::<Vec<_>>()
    };
    check_codes(
        &sections,
        "core_status",
        &named(&[
            ("LOADED", core_status::LOADED),
            ("RUNNING", core_status::RUNNING),
            ("FINISHED", core_status::FINISHED),
            ("FAULTED", core_status::FAULTED),
        ]),
        &mut errors,
    );
    check_codes(
        &sections,
        "task_status",
        &named(&[
            ("LOADED", task_status::LOADED),
            ("RUNNING", task_status::RUNNING),
            ("FINISHED", task_status::FINISHED),
            ("FAILED", task_status::FAILED),
        ]),
        &mut errors,
    );
    check_codes(
        &sections,
        "direction",
        &named(&[
            ("END_READ", boot::END_READ),
            ("END_WRITE", boot::END_WRITE),
            ("END_SHARED_READ", boot::END_SHARED_READ),
            ("END_SHARED_WRITE", boot::END_SHARED_WRITE),
        ]),
        &mut errors,
    );
    let kinds: Vec<(String, u64)> = KINDS
        .iter()
        .enumerate()
        .map(|(i, k)| (k.name.to_string(), i as u64))
        .collect();
    check_codes(&sections, "Kind ids", &kinds, &mut errors);
    let dtypes: Vec<(String, u64)> = Dtype::ALL.iter().map(|d| (d.name().to_string(), *d as u64)).collect();
    check_codes(&sections, "Dtype", &dtypes, &mut errors);
    report(errors);
}

#[test]
fn constants_match_the_code() {
    let sections = sections(&doc());
    let mut errors = Vec::new();
    let real: [(&str, u64); 28] = [
        ("SRAM_SIZE", SRAM_SIZE as u64),
        ("RUNTIME_END", boot::RUNTIME_END as u64),
        ("BOOT_OFFSET", boot::BOOT_OFFSET as u64),
        ("STACK_RESERVE", boot::STACK_RESERVE as u64),
        ("STACK_BOTTOM", boot::STACK_BOTTOM as u64),
        ("BOOT_MAGIC", boot::BOOT_MAGIC as u64),
        ("BOOT_VERSION", boot::BOOT_VERSION as u64),
        ("MAX_TASKS_PER_CORE", boot::MAX_TASKS_PER_CORE as u64),
        ("MAX_PARAMS", boot::MAX_PARAMS as u64),
        ("TASK_STATUS_OFFSET", boot::TASK_STATUS_OFFSET as u64),
        ("CORE_STATUS_OFFSET", boot::CORE_STATUS_OFFSET as u64),
        ("RING_WRITTEN", block::RING_WRITTEN as u64),
        ("RING_SLOTS", block::RING_SLOTS as u64),
        ("ACK_TAKEN", block::ACK_TAKEN as u64),
        ("RING_WRITER_STATE", block::RING_WRITER_STATE as u64),
        ("ACK_READER_STATE", block::ACK_READER_STATE as u64),
        ("CLOSED", block::CLOSED as u64),
        ("POISONED", block::POISONED as u64),
        ("ACK_BLOCK_SIZE", block::ACK_BLOCK_SIZE as u64),
        ("BLOCK_ALIGN", block::BLOCK_ALIGN as u64),
        ("MAX_MESSAGE_SIZE", block::MAX_MESSAGE_SIZE as u64),
        ("MAX_CAPACITY", block::MAX_CAPACITY as u64),
        ("ILATST", reg::ILATST as u64),
        ("USER_IRQ_BIT", Irq::User.bit() as u64),
        ("MAX_LANES", boot::MAX_LANES as u64),
        ("SHARE_STATE_OFFSET", boot::SHARE_STATE_OFFSET as u64),
        ("SHARE_CLAIM_OFFSET", boot::SHARE_CLAIM_OFFSET as u64),
        ("OUT_LANE_ASKED_OFFSET", boot::OUT_LANE_ASKED_OFFSET as u64),
    ];
    check_constants(&sections, "Constants", &real, &mut errors);
    // The magic in the prose must be the same number as the constant.
    if !doc().contains(&format!("{:#010x}", boot::BOOT_MAGIC)) {
        errors.push(format!(
            "the document never gives BOOT_MAGIC as {:#010x}",
            boot::BOOT_MAGIC
        ));
    }
    report(errors);
}

/// Compares a constants table (`| constant | value | meaning |`) with the
/// code's values: every one documented, none documented that is not checked.
fn check_constants(sections: &BTreeMap<String, Table>, name: &str, real: &[(&str, u64)], errors: &mut Vec<String>) {
    let Some(t) = sections.get(name) else {
        errors.push(format!("PROTOCOL.md has no `### {name}` section with a table"));
        return;
    };
    if t.header != CONST_HEADER {
        errors.push(format!(
            "### {name}: the table header is {:?}, expected `| {} |`",
            t.header,
            CONST_HEADER.join(" | ")
        ));
        return;
    }
    let mut doc = BTreeMap::new();
    for row in &t.rows {
        let constant = row.first().map(|c| plain(c).to_string()).unwrap_or_default();
        match row.get(1).and_then(|c| number(c)) {
            Some(v) => {
                doc.insert(constant, v);
            }
            None => errors.push(format!("### {name}: `{constant}` has no integer value")),
        }
    }
    for &(constant, value) in real {
        match doc.get(constant) {
            None => errors.push(format!("### {name}: `{constant}` ({value:#x}) is missing")),
            Some(&d) if d != value => errors.push(format!(
                "### {name}: `{constant}` is documented as {d:#x}, the code has {value:#x}"
            )),
            Some(_) => {}
        }
    }
    let known: BTreeSet<&str> = real.iter().map(|(n, _)| *n).collect();
    for constant in doc.keys() {
        if !known.contains(constant.as_str()) {
            errors.push(format!(
                "### {name}: `{constant}` is documented but this test does not check it"
            ));
        }
    }
}

/// The parser itself: a wrong document must fail with the struct and field named.
#[test]
fn a_drifted_document_is_reported_by_name() {
    let doc = "### EndRecord\n\n\
        | field | offset | size | type | written by | read by | meaning |\n\
        |---|---|---|---|---|---|---|\n\
        | local | 0 | 4 | u32 | host | device | x |\n\
        | remote | 4 | 4 | u32 | host | device | x |\n\
        | peer | 8 | 4 | u32 | host | device | x |\n\
        | capacity | 12 | 4 | u32 | host | device | x |\n\
        | msg_size | 20 | 4 | u32 | host | device | x |\n\
        | direction | 16 | 4 | u32 | host | device | x |\n";
    let sections = sections(doc);
    let mut errors = Vec::new();
    check_struct(
        &sections,
        "EndRecord",
        &real_fields!(EndRecord {
            local,
            remote,
            peer,
            capacity,
            msg_size,
            direction,
            lanes,
            table,
        }),
        size_of::<EndRecord>() as u64,
        &mut errors,
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("### EndRecord") && e.contains("`msg_size`") && e.contains("offset 20")),
        "{errors:?}"
    );
    assert!(errors.iter().any(|e| e.contains("`direction`")), "{errors:?}");
    assert_eq!(variant_name("Version { found: 3 }"), "Version");
    assert_eq!(variant_name("End(BadBlock { offset: 8 })"), "End(BadBlock)");
    assert_eq!(variant_name("Panicked"), "Panicked");
}

/// The Barriers section: the record, the two blocks, the kinds and the
/// barrier constants against `ecsp_device::barrier`.
#[test]
fn barrier_structures_match_the_code() {
    use ecsp_device::barrier::{self as bar, BarrierRecord};
    let sections = sections(&doc());
    let mut errors = Vec::new();
    check_struct(
        &sections,
        "BarrierRecord",
        &real_fields!(BarrierRecord {
            kind,
            task,
            rank,
            size,
            block,
            roster,
        }),
        size_of::<BarrierRecord>() as u64,
        &mut errors,
    );

    // The participant block: two counters, then one flag per round.
    let block = struct_fields(&sections, "ParticipantBlock", &mut errors);
    let names: Vec<(&str, u64)> = block.iter().map(|(f, d)| (f.as_str(), d.offset)).collect();
    let expected = [
        ("arrived", bar::BARRIER_ARRIVED as u64),
        ("left", bar::BARRIER_LEFT as u64),
        ("flags", bar::BARRIER_FLAGS as u64),
    ];
    if names != expected {
        errors.push(format!(
            "### ParticipantBlock: fields and offsets are {names:?}, the code has {expected:?}"
        ));
    }
    check_contiguous("ParticipantBlock", &block, &mut errors);

    let wand = struct_fields(&sections, "WandBlock", &mut errors);
    let names: Vec<(&str, u64)> = wand.iter().map(|(f, d)| (f.as_str(), d.offset)).collect();
    let expected = [
        ("members", bar::WAND_MEMBERS as u64),
        ("arrived", bar::WAND_ARRIVED as u64),
        ("completed", bar::WAND_COMPLETED as u64),
        ("reserved", 12),
    ];
    if names != expected {
        errors.push(format!(
            "### WandBlock: fields and offsets are {names:?}, the code has {expected:?}"
        ));
    }
    let total: u64 = wand.iter().filter_map(|(_, d)| d.size).sum();
    if total != bar::WAND_BLOCK_SIZE as u64 {
        errors.push(format!(
            "### WandBlock: the fields add up to {total} bytes, WAND_BLOCK_SIZE is {}",
            bar::WAND_BLOCK_SIZE
        ));
    }
    check_contiguous("WandBlock", &wand, &mut errors);

    check_codes(
        &sections,
        "Barrier kinds",
        &[
            ("DISSEMINATION".to_string(), bar::BARRIER_DISSEMINATION as u64),
            ("WAND".to_string(), bar::BARRIER_WAND as u64),
        ],
        &mut errors,
    );

    let real: [(&str, u64); 9] = [
        ("BARRIER_RECORD_SIZE", bar::BARRIER_RECORD_SIZE as u64),
        ("BARRIER_ARRIVED", bar::BARRIER_ARRIVED as u64),
        ("BARRIER_LEFT", bar::BARRIER_LEFT as u64),
        ("BARRIER_FLAGS", bar::BARRIER_FLAGS as u64),
        ("WAND_MEMBERS", bar::WAND_MEMBERS as u64),
        ("WAND_ARRIVED", bar::WAND_ARRIVED as u64),
        ("WAND_COMPLETED", bar::WAND_COMPLETED as u64),
        ("WAND_BLOCK_SIZE", bar::WAND_BLOCK_SIZE as u64),
        ("WAND_IRQ_BIT", Irq::Wand.bit() as u64),
    ];
    match sections.get("Barrier constants") {
        Some(t) if t.header == CONST_HEADER => {
            let doc: BTreeMap<String, Option<u64>> = t
                .rows
                .iter()
                .map(|row| {
                    let name = row.first().map(|c| plain(c).to_string()).unwrap_or_default();
                    (name, row.get(1).and_then(|c| number(c)))
                })
                .collect();
            for (name, value) in real {
                match doc.get(name) {
                    Some(Some(d)) if *d == value => {}
                    Some(d) => errors.push(format!(
                        "### Barrier constants: `{name}` is documented as {d:?}, the code has {value:#x}"
                    )),
                    None => errors.push(format!("### Barrier constants: `{name}` ({value:#x}) is missing")),
                }
            }
            for name in doc.keys() {
                if !real.iter().any(|(n, _)| n == name) {
                    errors.push(format!(
                        "### Barrier constants: `{name}` is documented but this test does not check it"
                    ));
                }
            }
        }
        _ => errors.push("PROTOCOL.md has no `### Barrier constants` table of constants".to_string()),
    }
    report(errors);
}

#[test]
fn kernel_structures_match_the_code() {
    use ecsp_device::kernel::{self as k, KernelBlock, KernelItem};
    let sections = sections(&doc());
    let mut errors = Vec::new();
    check_struct(
        &sections,
        "KernelBlock",
        &real_fields!(KernelBlock {
            magic,
            items,
            stack,
            state,
            context,
            result,
            note,
            note_value,
            result_kind,
            error,
            message,
            record,
            first_end,
            fair,
        }),
        size_of::<KernelBlock>() as u64,
        &mut errors,
    );
    check_struct(
        &sections,
        "KernelItem",
        &real_fields!(KernelItem {
            kind,
            index,
            msg_size,
            state,
            flags,
            reserved,
        }),
        size_of::<KernelItem>() as u64,
        &mut errors,
    );
    let named = |pairs: &[(&str, u64)]| pairs.iter().map(|(n, c)| (n.to_string(), *c)).collect::<Vec<_>>();
    check_codes(
        &sections,
        "Item kinds",
        &named(&[
            ("NONE", k::item_kind::NONE as u64),
            ("IN", k::item_kind::IN as u64),
            ("OUT", k::item_kind::OUT as u64),
            ("BARRIER", k::item_kind::BARRIER as u64),
            ("PARAM", k::item_kind::PARAM as u64),
        ]),
        &mut errors,
    );
    check_codes(
        &sections,
        "Kernel states",
        &named(&[
            ("READY", k::kernel_state::READY as u64),
            ("RUNNING", k::kernel_state::RUNNING as u64),
            ("RETURNED", k::kernel_state::RETURNED as u64),
            ("POISONED", k::kernel_state::POISONED as u64),
            ("FAILED", k::kernel_state::FAILED as u64),
        ]),
        &mut errors,
    );
    let real = [
        ("USER_KIND_BASE", k::USER_KIND_BASE as u64),
        ("KERNEL_MAGIC", k::KERNEL_MAGIC as u64),
        ("MAX_KERNEL_ITEMS", k::MAX_KERNEL_ITEMS as u64),
        ("STACK_CANARY", k::STACK_CANARY as u64),
    ];
    check_constants(&sections, "Kernel constants", &real, &mut errors);
    report(errors);
}
