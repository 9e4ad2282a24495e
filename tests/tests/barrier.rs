//! Barriers on the threaded simulator (one and two host threads): the
//! software dissemination barrier and the chip-wide WAND barrier, over 1 to
//! 16 participants, one per core, all on one core, and two per core. Every
//! participant (`barrier_count`) checks after every episode that all the
//! others had arrived (remote reads of their arrival counters) and, on the
//! dissemination barrier, that the message its predecessor sent before the
//! barrier is already there; a correct barrier gives no violations.
//!
//! Also: what the network builder refuses, and what a corrupt or missing
//! barrier record does to a run.

use ecsp_device::barrier::{BarrierRecord, BARRIER_RECORD_SIZE};
use ecsp_device::boot::{BootHeader, BOOT_OFFSET};
use ecsp_device::message::Dtype;
use ecsp_host::board::Board;
use ecsp_host::chip::Chip;
use ecsp_host::network::{BarrierKind, Network, NetworkError, ProcId};
use ecsp_host::plan::{plan, Placement, Plan};
use ecsp_host::run::{run, RunError, RunReport};
use ecsp_host::sim::{SimChip, SimOptions};
use std::mem::offset_of;
use std::time::Duration;

/// Every run gets this long before it is abandoned as a hang.
const TIMEOUT: Duration = Duration::from_secs(60);
const EPISODES: i64 = 200;
const SIZES: [usize; 6] = [1, 2, 3, 5, 8, 16];
const KINDS: [BarrierKind; 2] = [BarrierKind::Dissemination, BarrierKind::Wand];

#[derive(Debug, Clone, Copy)]
enum Layout {
    /// One participant per core.
    Spread,
    /// Every participant on the first core.
    Packed,
    /// Two participants per core.
    Paired,
}

const LAYOUTS: [Layout; 3] = [Layout::Spread, Layout::Packed, Layout::Paired];

fn chip(threads: usize) -> SimChip {
    let options = SimOptions {
        threads: Some(threads),
        ..SimOptions::default()
    };
    SimChip::with_options(Board::default(), options).expect("open a simulated parallella-16")
}

/// `p` `barrier_count` processes in a barrier of `kind`, and a ring of
/// channels along the ranks: `c{i}` from rank `i` to rank `i + 1`.
fn ring(p: usize, episodes: i64, check: bool, kind: BarrierKind, layout: Layout) -> Network {
    let mut net = Network::new();
    let chans: Vec<_> = (0..p)
        .map(|i| net.channel(&format!("c{i}"), Dtype::I64, 1).unwrap())
        .collect();
    let procs: Vec<ProcId> = (0..p)
        .map(|i| {
            net.process(
                &format!("p{i}"),
                "barrier_count",
                &[chans[(i + p - 1) % p]],
                &[chans[i]],
                &[("rounds", episodes), ("check", check as i64)],
            )
            .unwrap()
        })
        .collect();
    if let Layout::Paired = layout {
        for (i, &pid) in procs.iter().enumerate() {
            let core = (i / 2) as u32;
            net.pin(pid, core / 4, core % 4);
        }
    }
    net.barrier_of_kind("b", kind, &procs).unwrap();
    net
}

fn placement(layout: Layout) -> Placement {
    match layout {
        Layout::Packed => Placement::Packed,
        Layout::Spread | Layout::Paired => Placement::Spread,
    }
}

fn plan_on(chip: &SimChip, net: &Network, placement: Placement) -> Plan {
    plan(net, chip.board(), placement, &|k, d| chip.state_layout(k, d)).expect("the network fits")
}

/// Runs the ring and checks every participant did every episode with no
/// violation.
fn check_ring(chip: &SimChip, p: usize, kind: BarrierKind, layout: Layout, what: &str) -> RunReport {
    let net = ring(p, EPISODES, true, kind, layout);
    let plan = plan_on(chip, &net, placement(layout));
    let report = run(chip, &net, &plan, TIMEOUT).unwrap_or_else(|e| panic!("{what}: {e}"));
    for proc in &report.processes {
        assert!(proc.finished, "{what}: {} did not finish", proc.name);
        assert_eq!(proc.value, EPISODES as u64, "{what}: {} episodes", proc.name);
        assert_eq!(proc.aux, 0, "{what}: {} saw barrier violations", proc.name);
    }
    if kind == BarrierKind::Wand {
        assert_eq!(chip.wand_completions(), EPISODES as u64, "{what}: WAND completions");
    } else {
        assert_eq!(chip.wand_completions(), 0, "{what}: a software barrier used WAND");
    }
    report
}

#[test]
fn every_barrier_holds_on_one_and_two_threads() {
    for threads in [1, 2] {
        let chip = chip(threads);
        for kind in KINDS {
            for p in SIZES {
                for layout in LAYOUTS {
                    let what = format!("{threads} threads, {} barrier, p = {p}, {layout:?}", kind.name());
                    check_ring(&chip, p, kind, layout, &what);
                }
            }
        }
    }
}

#[test]
fn the_dissemination_barrier_only_writes_and_polls_locally() {
    let chip = chip(2);
    for p in [2, 5, 16] {
        let net = ring(p, EPISODES, false, BarrierKind::Dissemination, Layout::Spread);
        let plan = plan_on(&chip, &net, Placement::Spread);
        let report = run(&chip, &net, &plan, TIMEOUT).unwrap();
        let total = report.total_counters().unwrap();
        assert_eq!(total.remote_reads, 0, "p = {p}: every poll must be local");
        // Per participant and episode: ceil(log2 p) flag writes and as many
        // interrupt raises, plus the ring's message, count and ack and their
        // two interrupts.
        let rounds = ecsp_device::barrier::rounds_for(p as u32) as u64;
        let expected = p as u64 * EPISODES as u64 * (2 * rounds + 5);
        // Closing the ring at the end adds a state word and an interrupt per channel.
        assert_eq!(total.remote_writes, expected + 2 * p as u64, "p = {p}");
    }
}

#[test]
fn the_wand_barrier_crosses_no_mesh() {
    let chip = chip(2);
    let p = 16;
    let net = ring(p, EPISODES, false, BarrierKind::Wand, Layout::Spread);
    let plan = plan_on(&chip, &net, Placement::Spread);
    let report = run(&chip, &net, &plan, TIMEOUT).unwrap();
    let total = report.total_counters().unwrap();
    assert_eq!(total.remote_reads, 0);
    // Only the ring's traffic: message, count, ack and two interrupts per
    // episode and participant, and the close.
    assert_eq!(total.remote_writes, (p as u64) * (EPISODES as u64 * 5 + 2));
    assert_eq!(chip.wand_completions(), EPISODES as u64);
}

#[test]
fn a_network_can_use_both_kinds_at_once() {
    // Two rings: one on a dissemination barrier, one on the WAND barrier,
    // sharing cores.
    let chip = chip(2);
    let mut net = Network::new();
    let mut groups = Vec::new();
    for g in 0..2 {
        let chans: Vec<_> = (0..4)
            .map(|i| net.channel(&format!("g{g}c{i}"), Dtype::U32, 2).unwrap())
            .collect();
        let procs: Vec<_> = (0..4)
            .map(|i| {
                net.process(
                    &format!("g{g}p{i}"),
                    "barrier_count",
                    &[chans[(i + 3) % 4]],
                    &[chans[i]],
                    &[("rounds", EPISODES), ("check", 1)],
                )
                .unwrap()
            })
            .collect();
        for (i, &pid) in procs.iter().enumerate() {
            net.pin(pid, 0, i as u32);
        }
        groups.push(procs);
    }
    net.barrier("soft", &groups[0]).unwrap();
    net.wand_barrier("hard", &groups[1]).unwrap();
    let plan = plan_on(&chip, &net, Placement::Spread);
    assert_eq!(plan.cores.len(), 4);
    let report = run(&chip, &net, &plan, TIMEOUT).unwrap();
    for proc in &report.processes {
        assert_eq!((proc.value, proc.aux), (EPISODES as u64, 0), "{}", proc.name);
    }
    assert_eq!(chip.wand_completions(), EPISODES as u64);
}

#[test]
fn the_builder_refuses_barriers_that_cannot_work() {
    let mut net = ring(3, 1, false, BarrierKind::Dissemination, Layout::Spread);
    let procs: Vec<_> = (0..3).map(|i| net.process_id(&format!("p{i}")).unwrap()).collect();
    // Each barrier_count waits on exactly one barrier.
    net.barrier("again", &procs[..2]).unwrap();
    let e = net.validate().unwrap_err();
    assert!(
        matches!(
            e,
            NetworkError::BarrierCount {
                needed: 1,
                given: 2,
                ..
            }
        ),
        "{e}"
    );
    assert!(
        e.to_string()
            .contains("`p0` (barrier_count) waits on 1 barrier(s) but takes part in 2"),
        "{e}"
    );

    let e = net.barrier("b", &procs).unwrap_err();
    assert!(matches!(e, NetworkError::DuplicateName { what: "barrier", .. }), "{e}");
    let e = net.barrier("empty", &[]).unwrap_err();
    assert!(e.to_string().contains("barrier `empty`: it has no processes"), "{e}");
    let e = net.barrier("twice", &[procs[0], procs[0]]).unwrap_err();
    assert!(e.to_string().contains("`p0` is listed twice"), "{e}");
    let e = net.barrier("ghost", &[ProcId(99)]).unwrap_err();
    assert!(e.to_string().contains("process #99 is not in this network"), "{e}");
    net.wand_barrier("w1", &procs[2..]).unwrap();
    let e = net.wand_barrier("w2", &procs[..1]).unwrap_err();
    assert!(
        e.to_string()
            .contains("the chip has one WAND barrier and `w1` is it already"),
        "{e}"
    );

    // A process in no barrier, and a kind that never waits on one.
    let mut net = Network::new();
    let a = net.channel("a", Dtype::U32, 1).unwrap();
    let p = net.process("p", "barrier_count", &[a], &[a], &[("rounds", 1)]).unwrap();
    let e = net.validate().unwrap_err();
    assert!(e.to_string().contains("takes part in 0: add it to a barrier"), "{e}");
    let b = net.channel("b", Dtype::U32, 1).unwrap();
    let q = net.process("q", "id", &[b], &[b], &[]).unwrap();
    net.barrier("b", &[p, q]).unwrap();
    let e = net.validate().unwrap_err();
    assert!(
        e.to_string()
            .contains("`q` (id) waits on 0 barrier(s) but takes part in 1: its kind never waits"),
        "{e}"
    );
}

/// Offsets of `field` in the boot image of planned core `core`.
fn header_field(plan: &Plan, core: usize, field: usize) -> u32 {
    let image = &plan.cores[core].image;
    u32::from_le_bytes(image[field..field + 4].try_into().unwrap())
}

fn set_word(plan: &mut Plan, core: usize, at: usize, value: u32) {
    plan.cores[core].image[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

#[test]
fn a_corrupt_or_missing_barrier_record_is_reported() {
    let chip = chip(2);
    let net = ring(2, 3, true, BarrierKind::Dissemination, Layout::Spread);
    let good = plan_on(&chip, &net, Placement::Spread);
    assert_eq!(header_field(&good, 0, offset_of!(BootHeader, barrier_count)), 1);

    // No barrier record: the process fails when it asks for its barrier.
    let mut plan = good.clone();
    set_word(&mut plan, 0, offset_of!(BootHeader, barrier_count), 0);
    match run(&chip, &net, &plan, TIMEOUT) {
        Err(RunError::ProcessFailed { process, message, .. }) => {
            assert_eq!(process, "p0");
            assert!(
                message.contains("waits on a barrier it does not take part in"),
                "{message}"
            );
        }
        other => panic!("expected p0 to fail, got {other:?}"),
    }

    // A rank outside the barrier: the core refuses to boot.
    let mut plan = good.clone();
    let records = header_field(&plan, 0, offset_of!(BootHeader, barriers_offset));
    let rank_at = (records - BOOT_OFFSET) as usize + offset_of!(BarrierRecord, rank);
    set_word(&mut plan, 0, rank_at, 2);
    match run(&chip, &net, &plan, TIMEOUT) {
        Err(RunError::CoreFailed { core, message }) => {
            assert_eq!(core, plan.cores[0].core);
            assert!(message.contains("boot failed"), "{message}");
        }
        other => panic!("expected core 0 to refuse its boot table, got {other:?}"),
    }
    assert_eq!(BARRIER_RECORD_SIZE, 24);

    // The good plan still runs.
    let report = run(&chip, &net, &good, TIMEOUT).unwrap();
    assert!(report.processes.iter().all(|p| p.value == 3 && p.aux == 0));
}

#[test]
fn a_participant_that_stops_early_deadlocks_naming_the_barrier() {
    // p2 does one episode fewer: on the threaded simulator the others wait
    // forever, which the simulator sees (every core idle) and reports as a
    // deadlock naming the barrier and who is missing.
    let chip = chip(2);
    for kind in KINDS {
        let mut net = Network::new();
        let chans: Vec<_> = (0..3)
            .map(|i| net.channel(&format!("c{i}"), Dtype::I64, 1).unwrap())
            .collect();
        let procs: Vec<_> = (0..3)
            .map(|i| {
                let rounds = if i == 2 { 2 } else { 3 };
                net.process(
                    &format!("p{i}"),
                    "barrier_count",
                    &[chans[(i + 2) % 3]],
                    &[chans[i]],
                    &[("rounds", rounds)],
                )
                .unwrap()
            })
            .collect();
        net.barrier_of_kind("b", kind, &procs).unwrap();
        let plan = plan_on(&chip, &net, Placement::Spread);
        match run(&chip, &net, &plan, Duration::from_secs(20)) {
            // Threaded: every core idle, a deadlock found at once.
            Err(e @ RunError::Deadlock { .. }) => {
                let text = e.to_string();
                for (i, name) in ["p0", "p1"].into_iter().enumerate() {
                    let expected = format!(
                        "`{name}` on core {} waits at {} barrier `b` in episode 3; not arrived yet: `p2`",
                        plan.assignment[i],
                        kind.name()
                    );
                    assert!(text.contains(&expected), "{text}");
                }
                assert!(!text.contains("`p2` on core"), "p2 finished: {text}");
            }
            other => panic!("{}: expected a deadlock, got {other:?}", kind.name()),
        }
    }
}
