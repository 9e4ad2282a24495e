//! The simulator's deterministic mode as an oracle: across many seeds, each
//! a different interleaving of the cores and a different order of arrival of
//! every write that crosses the mesh (within the one order the Epiphany
//! promises), no message is lost, duplicated or reordered; a seed replays
//! its run exactly; and a deadlock is reported exactly, naming who waits on
//! what and the cycle of waits, without waiting for a timeout.
//!
//! `ECSP_SEEDS=N` runs N seeds per sweep instead of 1,000, and
//! `ECSP_SEED_BASE=B` starts them at B (a failing seed is printed: rerun it
//! with `ECSP_SEED_BASE=<seed> ECSP_SEEDS=1`).

use ecsp_device::boot::{BootHeader, EndRecord, BOOT_OFFSET, END_WRITE};
use ecsp_device::message::Dtype;
use ecsp_host::apps::commstime::{commstime, network as commstime_network};
use ecsp_host::chip::Chip;
use ecsp_host::network::Network;
use ecsp_host::plan::{plan, Placement, Plan};
use ecsp_host::run::{run, EndKind, RunError, RunReport};
use ecsp_host::sim::SimChip;
use ecsp_tests::{det_chip, seeds};
use std::time::{Duration, Instant};

/// Every run gets this long before it is abandoned as a hang.
const TIMEOUT: Duration = Duration::from_secs(30);
/// Messages per pipeline run: enough for every ring to wrap several times.
const MESSAGES: u64 = 20;
const CAPACITIES: [u32; 3] = [0, 1, 3];

#[derive(Debug, Clone, Copy)]
enum Layout {
    /// One process per core.
    Spread,
    /// Everything on one core.
    Packed,
    /// The first two processes on one core, the third on another, the
    /// rest spread from the first core.
    Mixed,
}

const LAYOUTS: [Layout; 3] = [Layout::Spread, Layout::Packed, Layout::Mixed];

/// generate(1..=n, then close) -> id -> id -> [integrate ->] consume(until closed).
///
/// With `integrate`, the consumer reads the running sums 1, 1+2, 1+2+3, ...
/// (plus, with its previous output fed back through delta and prefix(0)):
/// their sum weighs early messages more than late ones, so any reordering
/// of the stream changes it (the rearrangement inequality), where the plain
/// sum only catches lost, duplicated or wrong values.
fn pipeline(capacity: u32, n: u64, layout: Layout, integrate: bool) -> Network {
    let mut net = Network::new();
    let dtype = Dtype::I64;
    let c0 = net.channel("c0", dtype, capacity).unwrap();
    let c1 = net.channel("c1", dtype, capacity).unwrap();
    let c2 = net.channel("c2", dtype, capacity).unwrap();
    let gen = net
        .process("gen", "generate", &[], &[c0], &[("start", 1), ("count", n as i64)])
        .unwrap();
    let id1 = net.process("id1", "id", &[c0], &[c1], &[]).unwrap();
    let id2 = net.process("id2", "id", &[c1], &[c2], &[]).unwrap();
    let last = if integrate {
        let sums = net.channel("sums", dtype, capacity).unwrap();
        let out = net.channel("out", dtype, capacity).unwrap();
        let back = net.channel("back", dtype, capacity).unwrap();
        let prev = net.channel("prev", dtype, capacity).unwrap();
        net.process("plus", "plus", &[c2, prev], &[sums], &[]).unwrap();
        net.process("delta", "delta", &[sums], &[out, back], &[]).unwrap();
        net.process("prefix", "prefix", &[back], &[prev], &[("value", 0)])
            .unwrap();
        out
    } else {
        c2
    };
    net.process("sink", "consume", &[last], &[], &[("count", -1)]).unwrap();
    if let Layout::Mixed = layout {
        net.pin(gen, 1, 2);
        net.pin(id1, 1, 2);
        net.pin(id2, 3, 0);
    }
    net
}

fn placement(layout: Layout) -> Placement {
    match layout {
        Layout::Packed => Placement::Packed,
        Layout::Spread | Layout::Mixed => Placement::Spread,
    }
}

fn plan_on(chip: &SimChip, net: &Network, placement: Placement) -> Plan {
    plan(net, chip.board(), placement, &|k, d| chip.state_layout(k, d)).expect("the network fits")
}

/// One pipeline run on a fresh chip with `seed`; checks every message
/// arrived once, in order. Returns the report and the schedule digest.
fn check_pipeline(seed: u64, capacity: u32, layout: Layout, integrate: bool) -> (RunReport, u64) {
    let what = format!(
        "seed {seed} (replay: ECSP_SEED_BASE={seed} ECSP_SEEDS=1), capacity {capacity}, {layout:?}, integrate {integrate}"
    );
    let chip = det_chip(seed);
    let net = pipeline(capacity, MESSAGES, layout, integrate);
    let plan = plan_on(&chip, &net, placement(layout));
    let report = run(&chip, &net, &plan, TIMEOUT).unwrap_or_else(|e| panic!("{what}: run failed: {e}"));
    let n = MESSAGES as i64;
    let gen = report.process("gen").unwrap();
    assert!(gen.finished, "{what}: generate did not finish");
    assert_eq!(gen.value, MESSAGES, "{what}: generate's count");
    let sink = report.process("sink").unwrap();
    assert!(sink.finished, "{what}: consume did not finish");
    assert_eq!(sink.value, MESSAGES, "{what}: messages received (lost or duplicated)");
    let expected = if integrate {
        // Sum of the running sums of 1..=n, and only in order.
        n * (n + 1) * (n + 2) / 6
    } else {
        n * (n + 1) / 2
    };
    assert_eq!(
        sink.aux as i64, expected,
        "{what}: sum of the messages received (wrong, or with integrate: reordered)"
    );
    let total = report.total_counters().unwrap();
    assert_eq!(total.remote_reads, 0, "{what}: every poll must be local");
    let digest = chip.schedule_digest().expect("deterministic mode has a digest");
    (report, digest)
}

/// Runs `check_pipeline` over the sweep's seeds on every (capacity, layout) pair.
fn sweep(integrate: bool) {
    let started = Instant::now();
    let seeds = seeds();
    let count = seeds.end - seeds.start;
    for seed in seeds {
        for capacity in CAPACITIES {
            for layout in LAYOUTS {
                check_pipeline(seed, capacity, layout, integrate);
            }
        }
    }
    eprintln!(
        "{count} seeds x 9 configurations of the pipeline (integrate {integrate}) in {:.1?}",
        started.elapsed()
    );
}

#[test]
fn pipeline_loses_duplicates_nothing_across_seeds() {
    sweep(false);
}

#[test]
fn pipeline_reorders_nothing_across_seeds() {
    sweep(true);
}

#[test]
fn commstime_computes_the_right_sum_across_seeds() {
    const ITERATIONS: u64 = 8;
    let started = Instant::now();
    let seeds = seeds();
    let count = seeds.end - seeds.start;
    // Mixed: prefix and delta share a core, succ and consume have their own.
    let mut mixed = commstime_network(ITERATIONS, 2);
    for (name, (row, col)) in [
        ("prefix", (1, 1)),
        ("delta", (1, 1)),
        ("succ", (1, 2)),
        ("consume", (2, 2)),
    ] {
        let id = mixed.process_id(name).unwrap();
        mixed.pin(id, row, col);
    }
    for seed in seeds {
        for placement in [Placement::Spread, Placement::Packed] {
            let chip = det_chip(seed);
            // commstime() checks the consumer's sum itself.
            let result = commstime(&chip, placement, ITERATIONS, TIMEOUT)
                .unwrap_or_else(|e| panic!("seed {seed}, {placement}: commstime failed: {e}"));
            assert_eq!(result.mode, "deterministic");
            assert_eq!(result.seed, Some(seed));
            assert!(
                result.steps_per_comm.is_some_and(|s| s > 0.0),
                "seed {seed}: virtual steps per communication"
            );
        }
        let chip = det_chip(seed);
        let plan = plan_on(&chip, &mixed, Placement::Spread);
        assert_eq!(plan.cores.len(), 3);
        let report =
            run(&chip, &mixed, &plan, TIMEOUT).unwrap_or_else(|e| panic!("seed {seed}, mixed: commstime failed: {e}"));
        let consume = report.process("consume").unwrap();
        // The consumer times reads 2..2+ITERATIONS of 0, 1, 2, ...
        let expected: u64 = (2..2 + ITERATIONS).sum();
        assert_eq!(
            (consume.value, consume.aux),
            (ITERATIONS, expected),
            "seed {seed}, mixed"
        );
    }
    eprintln!("{count} seeds x 3 placements of commstime in {:.1?}", started.elapsed());
}

#[test]
fn a_seed_replays_exactly_and_seeds_differ() {
    for (layout, integrate) in [(Layout::Spread, false), (Layout::Mixed, true), (Layout::Packed, false)] {
        let (a, digest_a) = check_pipeline(42, 1, layout, integrate);
        let (b, digest_b) = check_pipeline(42, 1, layout, integrate);
        assert_eq!(digest_a, digest_b, "{layout:?}: seed 42 replayed a different schedule");
        assert_eq!(a.counters, b.counters, "{layout:?}: same schedule, same traffic");
        for (pa, pb) in a.processes.iter().zip(&b.processes) {
            assert_eq!(
                (pa.finished, pa.value, pa.aux, pa.ticks),
                (pb.finished, pb.value, pb.aux, pb.ticks),
                "{layout:?}: process {} (virtual ticks included)",
                pa.name
            );
        }
    }
    // The same chip, reset by the next run, replays too.
    let chip = det_chip(7);
    let net = pipeline(3, MESSAGES, Layout::Spread, false);
    let plan = plan_on(&chip, &net, Placement::Spread);
    run(&chip, &net, &plan, TIMEOUT).unwrap();
    let (first, steps) = (chip.schedule_digest(), chip.schedule_steps());
    run(&chip, &net, &plan, TIMEOUT).unwrap();
    assert_eq!((chip.schedule_digest(), chip.schedule_steps()), (first, steps));
    assert!(steps.unwrap() > 0);

    // Different seeds: different schedules.
    let mut digests: Vec<u64> = (0..32)
        .map(|seed| check_pipeline(seed, 1, Layout::Spread, false).1)
        .collect();
    digests.sort_unstable();
    digests.dedup();
    assert_eq!(
        digests.len(),
        32,
        "32 seeds gave only {} distinct schedules",
        digests.len()
    );
}

/// Two `id` processes, each waiting to read what the other writes.
fn ring() -> Network {
    let mut net = Network::new();
    let c1 = net.channel("c1", Dtype::U32, 0).unwrap();
    let c2 = net.channel("c2", Dtype::U32, 0).unwrap();
    net.process("left", "id", &[c1], &[c2], &[]).unwrap();
    net.process("right", "id", &[c2], &[c1], &[]).unwrap();
    net
}

#[test]
fn a_ring_of_two_ids_deadlocks_naming_both_the_channels_and_the_cycle() {
    let net = ring();
    for seed in 0..50 {
        for placement in [Placement::Spread, Placement::Packed] {
            let chip = det_chip(seed);
            let plan = plan_on(&chip, &net, placement);
            let started = Instant::now();
            let e = run(&chip, &net, &plan, TIMEOUT).expect_err("a ring with no token must deadlock");
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "seed {seed}, {placement}: the deadlock took {:?} to find",
                started.elapsed()
            );
            let text = e.to_string();
            let report = match e {
                RunError::Deadlock { report } => report,
                other => panic!("seed {seed}, {placement}: expected a deadlock, got {other}"),
            };
            assert_eq!(report.seed, Some(seed));
            assert_eq!(report.blocked.len(), 2, "{text}");
            for (i, (name, reads)) in [("left", "c1"), ("right", "c2")].into_iter().enumerate() {
                let b = &report.blocked[i];
                assert_eq!(b.process, name, "{text}");
                assert_eq!(b.core, plan.assignment[i], "{text}");
                assert_eq!(b.channel, Some((reads.to_string(), EndKind::Read)), "{text}");
                assert!(
                    text.contains(&format!(
                        "`{name}` on core {} waits to read channel `{reads}`",
                        plan.assignment[i]
                    )),
                    "{text}"
                );
            }
            let cycle: Vec<_> = report
                .cycle
                .iter()
                .map(|l| (l.process.as_str(), l.channel.as_str(), l.end, l.peer.as_str()))
                .collect();
            assert_eq!(
                cycle,
                [
                    ("left", "c1", EndKind::Read, "right"),
                    ("right", "c2", EndKind::Read, "left")
                ],
                "{text}"
            );
            assert!(
                text.contains(
                    "cycle: `left` waits to read `c1` from `right` -> `right` waits to read `c2` from `left` -> `left`"
                ),
                "{text}"
            );
            assert!(text.contains(&format!("replay with --seed {seed}")), "{text}");
        }
    }
}

#[test]
fn a_starved_consumer_deadlocks_with_the_writer_side_of_the_cycle() {
    // loop -> relay(delta) -> loop is a ring with no token; the consumer
    // hangs off it and waits for a value that never comes. The cycle is the
    // ring; the consumer is blocked outside it.
    let mut net = Network::new();
    let a = net.channel("a", Dtype::I64, 0).unwrap();
    let b = net.channel("b", Dtype::I64, 0).unwrap();
    let c = net.channel("c", Dtype::I64, 0).unwrap();
    net.process("loop", "id", &[c], &[a], &[]).unwrap();
    net.process("relay", "delta", &[a], &[c, b], &[]).unwrap();
    net.process("sink", "consume", &[b], &[], &[("count", 10)]).unwrap();
    for seed in 0..20 {
        let chip = det_chip(seed);
        let plan = plan_on(&chip, &net, Placement::Spread);
        let e = run(&chip, &net, &plan, TIMEOUT).unwrap_err();
        let text = e.to_string();
        let RunError::Deadlock { report } = e else {
            panic!("seed {seed}: expected a deadlock, got {text}");
        };
        let names: Vec<_> = report.blocked.iter().map(|b| b.process.as_str()).collect();
        assert_eq!(names, ["loop", "relay", "sink"], "{text}");
        assert!(text.contains("`sink` on core"), "{text}");
        assert!(text.contains("waits to read channel `b`"), "{text}");
        let cycle: Vec<_> = report.cycle.iter().map(|l| l.process.as_str()).collect();
        assert_eq!(cycle, ["loop", "relay"], "{text}");
    }
}

#[test]
fn a_finished_network_is_not_a_deadlock() {
    // Commstime's ring is still blocked when the consumer is done: the run
    // succeeds, the chip reports the stall, and nothing waits for a timeout.
    let chip = det_chip(5);
    let net = commstime_network(10, 2);
    let plan = plan_on(&chip, &net, Placement::Spread);
    let started = Instant::now();
    let report = run(&chip, &net, &plan, TIMEOUT).unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(report.process("consume").unwrap().finished);
}

#[test]
fn a_memory_fault_is_reported_as_in_threaded_mode_on_every_seed() {
    // gen's write end points at a core outside the chip: its first send faults.
    let net = pipeline(1, MESSAGES, Layout::Spread, false);
    for seed in 0..20 {
        let chip = det_chip(seed);
        let mut plan = plan_on(&chip, &net, Placement::Spread);
        let image = &mut plan.cores[0].image;
        let word = |image: &[u8], at: usize| u32::from_le_bytes(image[at..at + 4].try_into().unwrap());
        let header = |field: usize| word(image, field);
        let (end_count, ends_offset) = (
            header(std::mem::offset_of!(BootHeader, end_count)),
            header(std::mem::offset_of!(BootHeader, ends_offset)),
        );
        let size = std::mem::size_of::<EndRecord>() as u32;
        let end = (0..end_count)
            .map(|i| (ends_offset + i * size - BOOT_OFFSET) as usize)
            .find(|&e| word(image, e + std::mem::offset_of!(EndRecord, direction)) == END_WRITE)
            .expect("gen has a write end");
        let remote = end + std::mem::offset_of!(EndRecord, remote);
        image[remote..remote + 4].copy_from_slice(&0x7F00_0000u32.to_le_bytes());
        let started = Instant::now();
        match run(&chip, &net, &plan, TIMEOUT) {
            Err(RunError::ProcessFailed { process, core, message }) => {
                assert_eq!(process, "gen", "seed {seed}");
                assert_eq!(core, plan.assignment[0], "seed {seed}");
                assert!(message.contains("memory fault"), "seed {seed}: {message}");
            }
            other => panic!("seed {seed}: expected gen's memory fault, got {other:?}"),
        }
        assert!(started.elapsed() < Duration::from_secs(5), "seed {seed}");
        assert!(
            !chip.stalled(),
            "seed {seed}: a fault decides the run, it is not a stall"
        );
    }
}
