//! What goes wrong is reported, never hung on: timeouts name the processes
//! still running, plans that cannot work fail before anything runs, and a
//! corrupted boot image ends the run with the core and the fault.

use ecsp_device::addr::{CoreId, GlobalAddr};
use ecsp_device::boot::{task_status, BOOT_OFFSET, END_READ, END_WRITE, TASK_STATUS_OFFSET};
use ecsp_device::message::Dtype;
use ecsp_host::board::Board;
use ecsp_host::chip::Chip;
use ecsp_host::network::{Network, ProcId};
use ecsp_host::plan::{plan, Placement, Plan, PlanError};
use ecsp_host::run::{run, RunError};
use ecsp_host::sim::SimChip;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(30);

/// An address on a core outside every Parallella chip (row 31, col 48).
const UNMAPPED: u32 = 0x7F00_0000;

fn chip() -> SimChip {
    SimChip::new(Board::default()).unwrap()
}

fn plan_on(chip: &SimChip, net: &Network, placement: Placement) -> Result<Plan, PlanError> {
    plan(net, chip.board(), placement, &|k, d| chip.state_layout(k, d))
}

/// generate(1..=n, then close) -> id -> consume(until closed).
fn small_pipeline(n: i64) -> Network {
    let mut net = Network::new();
    let a = net.channel("a", Dtype::U32, 0).unwrap();
    let b = net.channel("b", Dtype::U32, 2).unwrap();
    net.process("gen", "generate", &[], &[a], &[("start", 1), ("count", n)])
        .unwrap();
    net.process("relay", "id", &[a], &[b], &[]).unwrap();
    net.process("sink", "consume", &[b], &[], &[("count", -1)]).unwrap();
    net
}

/// Runs the small pipeline and checks its result: the chip still works.
fn assert_chip_still_works(chip: &SimChip) {
    let net = small_pipeline(100);
    let plan = plan_on(chip, &net, Placement::Spread).unwrap();
    let report = run(chip, &net, &plan, TIMEOUT).expect("a good run after a failed one");
    let sink = report.process("sink").unwrap();
    assert_eq!((sink.value, sink.aux), (100, 5050));
}

/// Reads a little-endian u32 of a boot image (which starts at BOOT_OFFSET).
fn get(image: &[u8], offset: u32) -> u32 {
    let at = (offset - BOOT_OFFSET) as usize;
    u32::from_le_bytes(image[at..at + 4].try_into().unwrap())
}

fn set(image: &mut [u8], offset: u32, value: u32) {
    let at = (offset - BOOT_OFFSET) as usize;
    image[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

/// Points the `remote` field of the first end of `direction` in the image
/// of `process`'s core at `addr`; returns that core.
fn corrupt_end(plan: &mut Plan, process: ProcId, direction: u32, addr: u32) -> CoreId {
    let core = plan.assignment[process.0];
    let core_plan = plan.cores.iter_mut().find(|c| c.core == core).unwrap();
    let image = &mut core_plan.image;
    // BootHeader: end_count at +16, ends_offset at +24; EndRecord: its size,
    // remote at +4, direction at +20 (pinned by ecsp-device's boot layout test).
    let end_size = std::mem::size_of::<ecsp_device::boot::EndRecord>() as u32;
    let end_count = get(image, BOOT_OFFSET + 16);
    let ends_offset = get(image, BOOT_OFFSET + 24);
    let end = (0..end_count)
        .map(|i| ends_offset + i * end_size)
        .find(|&e| get(image, e + 20) == direction)
        .expect("an end of that direction");
    assert_ne!(get(image, end + 4), addr);
    set(image, end + 4, addr);
    core
}

#[test]
fn a_network_that_never_finishes_times_out_naming_its_processes() {
    let chip = chip();
    let mut net = Network::new();
    let a = net.channel("a", Dtype::U32, 0).unwrap();
    let b = net.channel("b", Dtype::U32, 0).unwrap();
    net.process("counter", "prefix", &[b], &[a], &[("value", 0)]).unwrap();
    net.process("plus_one", "succ", &[a], &[b], &[]).unwrap();
    for placement in [Placement::Spread, Placement::Packed] {
        let plan = plan_on(&chip, &net, placement).unwrap();
        let timeout = Duration::from_millis(300);
        match run(&chip, &net, &plan, timeout) {
            Err(RunError::Timeout { timeout: t, waiting }) => {
                assert_eq!(t, timeout);
                for (i, name) in ["counter", "plus_one"].into_iter().enumerate() {
                    assert!(waiting.contains(&format!("`{name}`")), "{placement}: {waiting}");
                    assert!(
                        waiting.contains(&plan.assignment[i].to_string()),
                        "{placement}: {waiting} should name the core of {name}"
                    );
                }
            }
            other => panic!("{placement}: expected a timeout, got {other:?}"),
        }
        // Stopped with the chip: nothing keeps running after the error.
        let writes = chip.counters().unwrap().iter().map(|c| c.remote_writes).sum::<u64>();
        std::thread::sleep(Duration::from_millis(20));
        let later = chip.counters().unwrap().iter().map(|c| c.remote_writes).sum::<u64>();
        assert_eq!(writes, later, "{placement}: cores still ran after the run returned");
    }
    assert_chip_still_works(&chip);
}

#[test]
fn a_starved_network_is_a_deadlock_naming_what_each_process_waits_on() {
    // The threaded simulator sees every core idle with no timer armed: a
    // deadlock, reported at once instead of at the timeout.
    let chip = chip();
    let mut net = Network::new();
    let a = net.channel("a", Dtype::I64, 0).unwrap();
    let b = net.channel("b", Dtype::I64, 0).unwrap();
    let c = net.channel("c", Dtype::I64, 0).unwrap();
    // A ring with no token in it: nobody ever sends, the consumer starves.
    net.process("loop", "id", &[c], &[a], &[]).unwrap();
    net.process("relay", "delta", &[a], &[c, b], &[]).unwrap();
    net.process("sink", "consume", &[b], &[], &[("count", 10)]).unwrap();
    let plan = plan_on(&chip, &net, Placement::Spread).unwrap();
    let timeout = Duration::from_secs(20);
    let started = std::time::Instant::now();
    let e = run(&chip, &net, &plan, timeout).unwrap_err();
    assert!(started.elapsed() < timeout, "found before the timeout");
    assert!(matches!(e, RunError::Deadlock { .. }), "expected a deadlock, got {e}");
    let text = e.to_string();
    // Each blocked process is reported with the channel it waits on.
    for (name, channel) in [("sink", "b"), ("relay", "a"), ("loop", "c")] {
        let entry = text
            .split("; ")
            .find(|w| w.contains(&format!("`{name}` on core")))
            .unwrap_or_else(|| panic!("{name} missing: {text}"));
        assert!(entry.ends_with(&format!("waits to read channel `{channel}`")), "{text}");
    }
    // And the cycle: loop waits on relay, relay on loop.
    assert!(text.contains("cycle: `loop` waits to read `c` from `relay`"), "{text}");
}

#[test]
fn a_closed_stream_ends_a_consumer_that_wanted_more_without_error() {
    let chip = chip();
    let mut net = Network::new();
    let a = net.channel("a", Dtype::I64, 0).unwrap();
    let b = net.channel("b", Dtype::I64, 0).unwrap();
    // Five values, then close: the close travels through the relay and the
    // consumer, which wanted ten, ends with the five it got.
    net.process("gen", "generate", &[], &[a], &[("start", 1), ("count", 5)])
        .unwrap();
    net.process("relay", "id", &[a], &[b], &[]).unwrap();
    net.process("sink", "consume", &[b], &[], &[("count", 10)]).unwrap();
    let plan = plan_on(&chip, &net, Placement::Spread).unwrap();
    let report = run(&chip, &net, &plan, Duration::from_secs(30)).unwrap();
    let sink = report.process("sink").unwrap();
    assert_eq!((sink.value, sink.aux), (5, 15));
    let relay = report.process("relay").unwrap();
    assert!(relay.finished);
    assert_eq!(relay.value, 5);
}

#[test]
fn a_core_whose_memory_does_not_fit_fails_before_running() {
    let chip = chip();
    // Four 1024-message f64 rings (8 KiB each) on one core: more than the
    // 22 KiB between the boot table and the stack.
    let mut net = Network::new();
    let chans: Vec<_> = (0..4)
        .map(|i| net.channel(&format!("big{i}"), Dtype::F64, 1024).unwrap())
        .collect();
    net.process("gen", "generate", &[], &[chans[0]], &[("count", 10)])
        .unwrap();
    for i in 1..4 {
        net.process(&format!("id{i}"), "id", &[chans[i - 1]], &[chans[i]], &[])
            .unwrap();
    }
    net.process("sink", "consume", &[chans[3]], &[], &[("count", 10)])
        .unwrap();

    let e = plan_on(&chip, &net, Placement::Packed).unwrap_err();
    let first = CoreId::from_row_col(32, 8);
    match &e {
        PlanError::DoesNotFit {
            core,
            needed,
            over,
            processes,
            usage,
        } => {
            assert_eq!(*core, first);
            assert!(*over > 0);
            assert_eq!(needed - over, 32 * 1024, "over = needed - SRAM size");
            assert_eq!(
                usage.total(),
                usage.runtime + usage.boot_table + usage.channels + usage.arena + usage.stack
            );
            assert!(usage.channels >= 4 * 1024 * 8, "{usage}");
            for name in ["gen", "id1", "id2", "id3", "sink"] {
                assert!(processes.contains(name), "{processes}");
            }
        }
        other => panic!("expected DoesNotFit, got {other:?}"),
    }
    let text = e.to_string();
    assert!(text.contains("does not fit"), "{text}");
    assert!(text.contains("over"), "{text}");
    assert!(text.contains("0x808"), "the message names the core: {text}");
    if let PlanError::DoesNotFit { over, .. } = &e {
        assert!(text.contains(&format!("{over} bytes over")), "{text}");
    }

    // Spread over the chip, one ring per core, the same network fits and runs.
    let plan = plan_on(&chip, &net, Placement::Spread).unwrap();
    let report = run(&chip, &net, &plan, TIMEOUT).unwrap();
    assert_eq!(report.process("sink").unwrap().aux as i64, 45);
}

#[test]
fn many_small_channels_on_one_core_do_not_fit_either() {
    let chip = chip();
    // A long id chain of buffered i64 channels, all on one core.
    let stages = 100;
    let mut net = Network::new();
    let chans: Vec<_> = (0..=stages)
        .map(|i| net.channel(&format!("c{i}"), Dtype::I64, 16).unwrap())
        .collect();
    net.process("gen", "generate", &[], &[chans[0]], &[("count", 3)])
        .unwrap();
    for i in 1..=stages {
        net.process(&format!("id{i}"), "id", &[chans[i - 1]], &[chans[i]], &[])
            .unwrap();
    }
    net.process("sink", "consume", &[chans[stages]], &[], &[("count", 3)])
        .unwrap();
    let e = plan_on(&chip, &net, Placement::Packed).unwrap_err();
    assert!(matches!(e, PlanError::DoesNotFit { .. }), "{e:?}");
    let text = e.to_string();
    assert!(text.contains("does not fit") && text.contains("over"), "{text}");
}

#[test]
fn a_pin_outside_the_chip_is_refused() {
    let chip = chip();
    for (row, col) in [(4, 0), (0, 4), (100, 100)] {
        let mut net = small_pipeline(10);
        let relay = net.process_id("relay").unwrap();
        net.pin(relay, row, col);
        match plan_on(&chip, &net, Placement::Spread) {
            Err(PlanError::PinOutsideChip {
                process,
                row: r,
                col: c,
                rows,
                cols,
                board,
            }) => {
                assert_eq!(process, "relay");
                assert_eq!((r, c, rows, cols), (row, col, 4, 4));
                assert_eq!(board, "parallella-16");
            }
            other => panic!("pin ({row}, {col}): expected PinOutsideChip, got {other:?}"),
        }
    }
    // The last row and column are inside.
    let mut net = small_pipeline(10);
    let relay = net.process_id("relay").unwrap();
    net.pin(relay, 3, 3);
    let plan = plan_on(&chip, &net, Placement::Spread).unwrap();
    assert_eq!(plan.assignment[relay.0], CoreId::from_row_col(35, 11));
}

#[test]
fn a_write_end_pointing_outside_the_chip_is_a_memory_fault() {
    let chip = chip();
    let net = small_pipeline(50);
    let mut plan = plan_on(&chip, &net, Placement::Spread).unwrap();
    let gen = net.process_id("gen").unwrap();
    let core = corrupt_end(&mut plan, gen, END_WRITE, UNMAPPED);
    let e = run(&chip, &net, &plan, TIMEOUT).unwrap_err();
    let text = e.to_string();
    assert!(text.contains("memory fault"), "{text}");
    assert!(
        text.contains(&core.to_string()),
        "the message names the core {core}: {text}"
    );
    assert!(text.contains("0x7f00"), "the message names the address: {text}");
    match e {
        RunError::ProcessFailed { process, core: c, .. } => {
            assert_eq!(process, "gen");
            assert_eq!(c, core);
        }
        RunError::CoreFailed { core: c, .. } => assert_eq!(c, core),
        other => panic!("expected a failed process or core, got {other:?}"),
    }
    assert!(chip.faults().iter().any(|f| f.core == core));
    assert_chip_still_works(&chip);
}

#[test]
fn a_read_end_pointing_outside_the_chip_is_a_memory_fault() {
    let chip = chip();
    let net = small_pipeline(50);
    let mut plan = plan_on(&chip, &net, Placement::Spread).unwrap();
    let sink = net.process_id("sink").unwrap();
    // The consumer faults when it acknowledges its first message.
    let core = corrupt_end(&mut plan, sink, END_READ, UNMAPPED | 0x100);
    let e = run(&chip, &net, &plan, TIMEOUT).unwrap_err();
    let text = e.to_string();
    assert!(text.contains("memory fault"), "{text}");
    assert!(
        text.contains(&core.to_string()),
        "the message names the core {core}: {text}"
    );
    match e {
        RunError::ProcessFailed { process, core: c, .. } => {
            assert_eq!(process, "sink");
            assert_eq!(c, core);
        }
        RunError::CoreFailed { core: c, .. } => assert_eq!(c, core),
        other => panic!("expected a failed process or core, got {other:?}"),
    }
    assert_chip_still_works(&chip);
}

#[test]
fn a_corrupted_magic_is_a_boot_failure() {
    let chip = chip();
    let net = small_pipeline(50);
    for victim in ["gen", "relay", "sink"] {
        let mut plan = plan_on(&chip, &net, Placement::Spread).unwrap();
        let core = plan.assignment[net.process_id(victim).unwrap().0];
        let image = &mut plan.cores.iter_mut().find(|c| c.core == core).unwrap().image;
        assert_eq!(&image[..4], b"ECSP");
        image[..4].copy_from_slice(b"XXXX");
        match run(&chip, &net, &plan, TIMEOUT) {
            Err(RunError::CoreFailed { core: c, message }) => {
                assert_eq!(c, core, "{victim}");
                assert!(message.contains("boot failed"), "{victim}: {message}");
                assert!(message.contains("no boot table"), "{victim}: {message}");
            }
            other => panic!("{victim}: expected CoreFailed, got {other:?}"),
        }
        // The whole error names the core too.
        let mut plan2 = plan_on(&chip, &net, Placement::Spread).unwrap();
        plan2.cores.iter_mut().find(|c| c.core == core).unwrap().image[0] ^= 0xFF;
        let text = run(&chip, &net, &plan2, TIMEOUT).unwrap_err().to_string();
        assert!(
            text.contains(&core.to_string()) && text.contains("boot failed"),
            "{text}"
        );
    }
    assert_chip_still_works(&chip);
}

#[test]
fn a_boot_table_for_another_core_is_refused() {
    let chip = chip();
    let net = small_pipeline(5);
    let mut plan = plan_on(&chip, &net, Placement::Spread).unwrap();
    let core = plan.cores[1].core;
    // BootHeader.core_id at +8.
    set(&mut plan.cores[1].image, BOOT_OFFSET + 8, 0x9CF);
    match run(&chip, &net, &plan, TIMEOUT) {
        Err(RunError::CoreFailed { core: c, message }) => {
            assert_eq!(c, core);
            assert!(message.contains("boot failed"), "{message}");
        }
        other => panic!("expected CoreFailed, got {other:?}"),
    }
}

#[test]
fn a_failure_poisons_the_network_so_every_other_process_stops() {
    // gen faults on its first write (its end points outside the chip), so
    // nothing poisons its channel from the device side: without the host's
    // poison, relay and sink would wait on it forever. After the failure
    // both have ended, by poison.
    let chip = chip();
    let net = small_pipeline(50);
    let mut plan = plan_on(&chip, &net, Placement::Spread).unwrap();
    let gen = net.process_id("gen").unwrap();
    corrupt_end(&mut plan, gen, END_WRITE, UNMAPPED);
    let started = std::time::Instant::now();
    let e = run(&chip, &net, &plan, TIMEOUT).unwrap_err();
    assert!(started.elapsed() < TIMEOUT / 2, "the failure ended the run");
    assert!(
        matches!(&e, RunError::ProcessFailed { process, .. } if process == "gen"),
        "{e}"
    );
    for name in ["relay", "sink"] {
        let p = net.process_id(name).unwrap();
        let (core_index, offset) = plan.records[p.0];
        let record = GlobalAddr::on_core(plan.cores[core_index].core, offset);
        let status = chip.read_word(record.add(TASK_STATUS_OFFSET)).unwrap();
        assert_eq!(status, task_status::FINISHED, "{name} ended after the poison");
    }
    // relay saw the poison (aux 1: ended by poison).
    let relay = net.process_id("relay").unwrap();
    let (core_index, offset) = plan.records[relay.0];
    let aux = GlobalAddr::on_core(plan.cores[core_index].core, offset + 72);
    assert_eq!(chip.read_word(aux).unwrap(), 1, "relay ended by poison");
    assert_chip_still_works(&chip);
}

#[test]
fn a_deadlock_through_a_shared_channel_names_the_writer_that_closes_the_cycle() {
    // `m` is any-to-one with two writers: `gen` sends nothing and finishes
    // (closing its lane); `relay` forwards to m what it reads on `x`, which
    // only `loop_back` writes, from what it reads on m. loop_back waits on
    // m (relay's lane is open), relay waits on x: the cycle runs through
    // relay, not through gen, the channel's first writer.
    let mut net = Network::new();
    let m = net.any2one("m", Dtype::I32, 0).unwrap();
    let x = net.channel("x", Dtype::I32, 0).unwrap();
    let out = net.channel("out", Dtype::I32, 0).unwrap();
    net.process("gen", "generate", &[], &[m], &[("count", 0)]).unwrap();
    net.process("relay", "id", &[x], &[m], &[]).unwrap();
    net.process("loop_back", "delta", &[m], &[x, out], &[]).unwrap();
    net.process("sink", "consume", &[out], &[], &[("count", 5)]).unwrap();
    for chip in [chip(), ecsp_tests::det_chip(3)] {
        let plan = plan_on(&chip, &net, Placement::Spread).unwrap();
        let e = run(&chip, &net, &plan, TIMEOUT).unwrap_err();
        let RunError::Deadlock { report } = &e else {
            panic!("expected a deadlock, got {e}");
        };
        let cycle: Vec<(&str, &str)> = report
            .cycle
            .iter()
            .map(|l| (l.process.as_str(), l.peer.as_str()))
            .collect();
        assert!(cycle.contains(&("relay", "loop_back")), "{e}");
        assert!(!cycle.iter().any(|&(_, peer)| peer == "gen"), "gen finished: {e}");
    }
}
