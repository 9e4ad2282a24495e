//! The C device runtime (`device/c/`) and the Rust one speak the same wire
//! protocol: networks whose processes are split between the two, on the
//! same channels, in both simulator modes.
//!
//! A process runs its C implementation when the host sets the C flag in its
//! task record's kind (`ecsp_device::c_runtime::C_KIND_FLAG`); here the
//! tests set it in the planned boot images, so the planner, the loader and
//! the run are the ordinary ones. In the deterministic mode every write
//! that crosses the mesh, the C runtime's included, lands at a seed-chosen
//! step within the Epiphany's one ordering promise, so a C endpoint that
//! leaned on more fails here and its seed replays it (`ECSP_SEEDS`,
//! `ECSP_SEED_BASE`, as in sim_deterministic.rs).

use ecsp_device::boot::BOOT_OFFSET;
use ecsp_device::c_runtime::{state_size, C_KIND_FLAG};
use ecsp_device::message::Dtype;
use ecsp_device::process::{state_layout, KINDS};
use ecsp_host::chip::Chip;
use ecsp_host::network::{BarrierKind, Network, ProcId};
use ecsp_host::plan::{plan, Placement, Plan};
use ecsp_host::run::{run, EndKind, RunError, RunReport};
use ecsp_host::sim::mesh::SimMesh;
use ecsp_host::sim::{SimChip, SimOptions};
use ecsp_tests::{det_chip, seeds};
use std::time::Duration;

/// Every run gets this long before it is abandoned as a hang.
const TIMEOUT: Duration = Duration::from_secs(30);

fn threaded_chip(threads: usize) -> SimChip {
    SimChip::with_options(
        ecsp_host::board::Board::default(),
        SimOptions {
            threads: Some(threads),
            ..SimOptions::default()
        },
    )
    .expect("open a simulated parallella-16")
}

/// Marks the processes named in `c` to run their C implementation.
fn mark_c(net: &Network, plan: &mut Plan, c: &[&str]) {
    for name in c {
        let pid = net.process_id(name).unwrap_or_else(|| panic!("no process `{name}`"));
        let (core, record) = plan.records[pid.0];
        // TaskRecord.kind is the first word of the record.
        let at = (record - BOOT_OFFSET) as usize;
        let image = &mut plan.cores[core].image;
        let kind = u32::from_le_bytes(image[at..at + 4].try_into().unwrap());
        image[at..at + 4].copy_from_slice(&(kind | C_KIND_FLAG).to_le_bytes());
    }
}

fn plan_mixed(chip: &SimChip, net: &Network, placement: Placement, c: &[&str]) -> Plan {
    let mut plan = plan(net, chip.board(), placement, &|k, d| chip.state_layout(k, d)).expect("plan");
    mark_c(net, &mut plan, c);
    plan
}

fn run_mixed(chip: &SimChip, net: &Network, placement: Placement, c: &[&str], what: &str) -> RunReport {
    let plan = plan_mixed(chip, net, placement, c);
    run(chip, net, &plan, TIMEOUT).unwrap_or_else(|e| panic!("{what}: run failed: {e}"))
}

/// generate(1..=n, then close) -> id -> succ -> consume(until closed).
fn pipeline(dtype: Dtype, capacity: u32, n: u64) -> Network {
    let mut net = Network::new();
    let c0 = net.channel("c0", dtype, capacity).unwrap();
    let c1 = net.channel("c1", dtype, capacity).unwrap();
    let c2 = net.channel("c2", dtype, capacity).unwrap();
    net.process("gen", "generate", &[], &[c0], &[("start", 1), ("count", n as i64)])
        .unwrap();
    net.process("id", "id", &[c0], &[c1], &[]).unwrap();
    net.process("succ", "succ", &[c1], &[c2], &[]).unwrap();
    net.process("sink", "consume", &[c2], &[], &[("count", -1)]).unwrap();
    net
}

/// Which processes of the pipeline run in C: every boundary in both
/// directions (C writer to Rust reader and the reverse), and all C.
const PIPELINE_SPLITS: [&[&str]; 5] = [
    &["gen"],
    &["id", "sink"],
    &["gen", "succ"],
    &["id"],
    &["gen", "id", "succ", "sink"],
];

fn check_pipeline(report: &RunReport, n: u64, what: &str) {
    let gen = report.process("gen").unwrap();
    assert!(gen.finished, "{what}: generate did not finish");
    assert_eq!(gen.value, n, "{what}: sent");
    let sink = report.process("sink").unwrap();
    assert!(sink.finished, "{what}: consume did not finish");
    assert_eq!(sink.value, n, "{what}: received");
    // 2..=n+1: every value passed id and succ once.
    assert_eq!(sink.aux as i64, (n * (n + 3) / 2) as i64, "{what}: sum");
    let totals = report.total_counters().unwrap();
    assert_eq!(totals.remote_reads, 0, "{what}: every poll must be local, in C too");
}

#[test]
fn c_states_fit_the_room_the_planner_keeps_for_the_rust_ones() {
    // The C runtime implements every kind of the registry.
    for (kind, spec) in KINDS.iter().enumerate() {
        let (kind, name) = (kind as u32, spec.name);
        let c = state_size::<SimMesh>(kind).expect("the C runtime has the kind");
        for dtype in Dtype::ALL {
            let rust = state_layout::<SimMesh>(kind, dtype).unwrap();
            assert!(
                c <= rust.size(),
                "{name} {dtype:?}: the C state takes {c} bytes, the planner keeps {}",
                rust.size()
            );
        }
    }
}

#[test]
fn pipelines_mixing_c_and_rust_lose_nothing_threaded() {
    let n = 1000;
    for threads in [1, 2] {
        let chip = threaded_chip(threads);
        for dtype in [Dtype::U32, Dtype::I64, Dtype::F64, Dtype::F32, Dtype::I32] {
            for capacity in [0, 1, 3] {
                for placement in [Placement::Spread, Placement::Packed] {
                    for c in PIPELINE_SPLITS {
                        let what = format!("{threads} threads, {dtype:?}, capacity {capacity}, {placement}, C: {c:?}");
                        let report = run_mixed(&chip, &pipeline(dtype, capacity, n), placement, c, &what);
                        check_pipeline(&report, n, &what);
                    }
                }
            }
        }
    }
}

#[test]
fn pipelines_mixing_c_and_rust_lose_nothing_over_seeds() {
    let n = 20;
    for seed in seeds() {
        let chip = det_chip(seed);
        let capacity = [0, 1, 3][seed as usize % 3];
        let placement = if seed % 2 == 0 {
            Placement::Spread
        } else {
            Placement::Packed
        };
        let c = PIPELINE_SPLITS[seed as usize % PIPELINE_SPLITS.len()];
        let what = format!("seed {seed}, capacity {capacity}, {placement}, C: {c:?}");
        let report = run_mixed(&chip, &pipeline(Dtype::I64, capacity, n), placement, c, &what);
        check_pipeline(&report, n, &what);
    }
}

/// generate(until poisoned) -> id -> consume(k, then poison): the consumer's
/// poison must cross every boundary back to the generator.
fn poison_line(capacity: u32, k: i64) -> Network {
    let mut net = Network::new();
    let c0 = net.channel("c0", Dtype::U32, capacity).unwrap();
    let c1 = net.channel("c1", Dtype::U32, capacity).unwrap();
    net.process("gen", "generate", &[], &[c0], &[("start", 1), ("count", -1)])
        .unwrap();
    net.process("id", "id", &[c0], &[c1], &[]).unwrap();
    net.process("sink", "consume", &[c1], &[], &[("count", k), ("poison", 1)])
        .unwrap();
    net
}

const POISON_SPLITS: [&[&str]; 4] = [&["id"], &["gen", "sink"], &["sink"], &["gen"]];

fn check_poison(report: &RunReport, k: u64, what: &str) {
    let sink = report.process("sink").unwrap();
    assert_eq!(sink.value, k, "{what}: consumed");
    assert_eq!(sink.aux, k * (k + 1) / 2, "{what}: sum");
    let gen = report.process("gen").unwrap();
    assert!(gen.finished, "{what}: the poison must reach the generator");
    assert_eq!(gen.aux, 1, "{what}: the generator ended by poison");
    assert!(gen.value >= k, "{what}: sent {} of {k}", gen.value);
}

#[test]
fn poison_crosses_the_boundary_both_ways_threaded() {
    let chip = threaded_chip(2);
    for capacity in [0, 2] {
        for placement in [Placement::Spread, Placement::Packed] {
            for c in POISON_SPLITS {
                let what = format!("capacity {capacity}, {placement}, C: {c:?}");
                let report = run_mixed(&chip, &poison_line(capacity, 500), placement, c, &what);
                check_poison(&report, 500, &what);
            }
        }
    }
}

#[test]
fn poison_crosses_the_boundary_both_ways_over_seeds() {
    for seed in seeds() {
        let chip = det_chip(seed);
        let capacity = [0, 2][seed as usize % 2];
        let c = POISON_SPLITS[seed as usize % POISON_SPLITS.len()];
        let what = format!("seed {seed}, capacity {capacity}, C: {c:?}");
        let report = run_mixed(&chip, &poison_line(capacity, 10), Placement::Spread, c, &what);
        check_poison(&report, 10, &what);
    }
}

/// `writers` generators, every other one in C, into one any-to-one channel
/// read by a consumer (in C when `c_reader`); with `poison_after`, the
/// writers run until the reader poisons the channel after that many.
fn fan_in(writers: usize, capacity: u32, n: i64, poison_after: Option<i64>) -> (Network, i64, Vec<String>) {
    let mut net = Network::new();
    let shared = net.any2one("shared", Dtype::I64, capacity).unwrap();
    let mut sum = 0;
    let mut c = Vec::new();
    for w in 0..writers {
        let start = w as i64 * 1_000_000 + 1;
        let count = if poison_after.is_some() { -1 } else { n };
        net.process(
            &format!("w{w}"),
            "generate",
            &[],
            &[shared],
            &[("start", start), ("count", count)],
        )
        .unwrap();
        sum += (start..start + n).sum::<i64>();
        if w % 2 == 1 {
            c.push(format!("w{w}"));
        }
    }
    let params = match poison_after {
        Some(k) => vec![("count", k), ("poison", 1)],
        None => vec![("count", -1)],
    };
    net.process("reader", "consume", &[shared], &[], &params).unwrap();
    (net, sum, c)
}

fn check_fan_in(chip: &SimChip, writers: usize, capacity: u32, c_reader: bool, placement: Placement, what: &str) {
    let n = 50;
    let (net, sum, mut c) = fan_in(writers, capacity, n, None);
    if c_reader {
        c.push("reader".to_string());
    }
    let c: Vec<&str> = c.iter().map(String::as_str).collect();
    let report = run_mixed(chip, &net, placement, &c, what);
    let reader = report.process("reader").unwrap();
    assert_eq!(reader.value, writers as u64 * n as u64, "{what}: messages");
    assert_eq!(reader.aux as i64, sum, "{what}: sum");
    assert_eq!(report.total_counters().unwrap().remote_reads, 0, "{what}");

    // The reader poisons after 30: every writer, C or Rust, must end.
    let (net, _, mut c) = fan_in(writers, capacity, 0, Some(30));
    if c_reader {
        c.push("reader".to_string());
    }
    let c: Vec<&str> = c.iter().map(String::as_str).collect();
    let report = run_mixed(chip, &net, placement, &c, what);
    assert_eq!(report.process("reader").unwrap().value, 30, "{what}: poisoned run");
    let mut sent = 0;
    for w in 0..writers {
        let p = report.process(&format!("w{w}")).unwrap();
        assert!(p.finished, "{what}: writer {w} must end by the poison");
        sent += p.value;
    }
    if capacity == 0 {
        assert_eq!(sent, 30, "{what}: a rendezvous send completes only when taken");
    }
}

#[test]
fn any_to_one_with_c_and_rust_writers_threaded() {
    let chip = threaded_chip(2);
    for (writers, capacity) in [(2, 0), (5, 0), (5, 3)] {
        for c_reader in [false, true] {
            for placement in [Placement::Spread, Placement::Packed] {
                let what = format!("{writers} writers, capacity {capacity}, C reader {c_reader}, {placement}");
                check_fan_in(&chip, writers, capacity, c_reader, placement, &what);
            }
        }
    }
}

#[test]
fn any_to_one_with_c_and_rust_writers_over_seeds() {
    for seed in seeds() {
        let chip = det_chip(seed);
        let capacity = [0, 2][seed as usize % 2];
        let c_reader = seed % 4 >= 2;
        let what = format!("seed {seed}, 4 writers, capacity {capacity}, C reader {c_reader}");
        check_fan_in(&chip, 4, capacity, c_reader, Placement::Spread, &what);
    }
}

/// Commstime with its four processes split between the runtimes: the sum
/// the consumer checks and the poison that ends the ring cross the boundary
/// on every channel.
fn commstime_mixed(chip: &SimChip, iterations: u64, placement: Placement, c: &[&str], what: &str) {
    let warmup = 5;
    let net = ecsp_host::apps::commstime::network(iterations, warmup);
    let report = run_mixed(chip, &net, placement, c, what);
    let consumer = report.process("consume").unwrap();
    let (w, n) = (warmup as i64, iterations as i64);
    assert_eq!(consumer.value, iterations, "{what}");
    assert_eq!(
        consumer.aux as i64,
        (w + n) * (w + n - 1) / 2 - w * (w - 1) / 2,
        "{what}: the consumer's sum"
    );
}

const COMMSTIME_SPLITS: [&[&str]; 4] = [
    &["prefix", "succ"],
    &["delta", "consume"],
    &["delta"],
    &["prefix", "delta", "succ", "consume"],
];

#[test]
fn commstime_with_a_mix_threaded() {
    let chip = threaded_chip(2);
    for placement in [Placement::Spread, Placement::Packed] {
        for c in COMMSTIME_SPLITS {
            commstime_mixed(&chip, 2000, placement, c, &format!("{placement}, C: {c:?}"));
        }
    }
}

#[test]
fn commstime_with_a_mix_over_seeds() {
    for seed in seeds() {
        let chip = det_chip(seed);
        let c = COMMSTIME_SPLITS[seed as usize % COMMSTIME_SPLITS.len()];
        let placement = if seed % 8 < 4 {
            Placement::Spread
        } else {
            Placement::Packed
        };
        commstime_mixed(&chip, 10, placement, c, &format!("seed {seed}, {placement}, C: {c:?}"));
    }
}

#[test]
fn the_sieve_demo_with_c_sieves_finds_the_same_primes() {
    let chip = threaded_chip(2);
    let limit = 500;
    let net = ecsp_host::apps::demo::network(16, limit);
    // Every other stage, and the generator, in C.
    let c: Vec<String> = std::iter::once("generate".to_string())
        .chain((1..=14).filter(|s| s % 2 == 1).map(|s| format!("sieve{s}")))
        .collect();
    let c: Vec<&str> = c.iter().map(String::as_str).collect();
    let report = run_mixed(&chip, &net, Placement::Spread, &c, "sieve demo");
    let held: Vec<u64> = (1..=14)
        .map(|s| report.process(&format!("sieve{s}")).unwrap().value)
        .filter(|&p| p != 0)
        .collect();
    let consumer = report.process("consume").unwrap();
    let expected: Vec<u64> = ecsp_host::apps::demo::primes_up_to(limit)
        .into_iter()
        .map(u64::from)
        .collect();
    assert_eq!(held, expected[..held.len()], "each sieve holds the next prime");
    assert_eq!(
        held.len() as u64 + consumer.value,
        expected.len() as u64,
        "primes found"
    );
    assert_eq!(
        held.iter().sum::<u64>() + consumer.aux,
        expected.iter().sum::<u64>(),
        "the sum of the primes found"
    );
}

#[test]
fn a_blocked_c_process_is_named_in_the_deadlock_report() {
    // Two ids, each waiting to read what the other writes: the C one notes
    // the end it waits on in its task record as the Rust one does.
    let mut net = Network::new();
    let c1 = net.channel("c1", Dtype::U32, 0).unwrap();
    let c2 = net.channel("c2", Dtype::U32, 0).unwrap();
    net.process("left", "id", &[c1], &[c2], &[]).unwrap();
    net.process("right", "id", &[c2], &[c1], &[]).unwrap();
    for seed in 0..20 {
        let chip = det_chip(seed);
        let plan = plan_mixed(&chip, &net, Placement::Spread, &["left"]);
        let e = run(&chip, &net, &plan, TIMEOUT).expect_err("a ring with no token must deadlock");
        let RunError::Deadlock { report } = e else {
            panic!("seed {seed}: expected a deadlock, got {e}");
        };
        assert_eq!(report.blocked.len(), 2);
        assert_eq!(report.blocked[0].process, "left");
        assert_eq!(
            report.blocked[0].channel,
            Some(("c1".to_string(), EndKind::Read)),
            "seed {seed}"
        );
    }
}

#[test]
fn a_kind_the_c_runtime_lacks_is_refused_at_boot() {
    // Every built-in kind has a C implementation, so the C runtime is asked
    // for kind 99 (with the C flag): the core refuses to boot.
    let mut net = Network::new();
    let a = net.channel("a", Dtype::U32, 0).unwrap();
    net.process("gen", "generate", &[], &[a], &[("start", 1), ("count", 3)])
        .unwrap();
    net.process("sink", "consume", &[a], &[], &[("count", -1)]).unwrap();
    let chip = threaded_chip(1);
    let mut plan = plan_mixed(&chip, &net, Placement::Spread, &["sink"]);
    let (core, record) = plan.records[net.process_id("sink").unwrap().0];
    let at = (record - BOOT_OFFSET) as usize;
    plan.cores[core].image[at..at + 4].copy_from_slice(&(C_KIND_FLAG | 99).to_le_bytes());
    let e = run(&chip, &net, &plan, Duration::from_secs(10)).expect_err("no kind 99");
    assert!(e.to_string().contains("kind"), "{e}");
}

/// ramp -> mandel -> consume: the escape counts of the points the ramp's
/// vectors describe, in C and in Rust (IEEE arithmetic, so bit for bit).
#[test]
fn mandel_in_c_counts_what_rust_counts() {
    use ecsp_device::message::MsgType;
    let chip = threaded_chip(2);
    for dtype in [Dtype::F32, Dtype::F64] {
        for start in [-3i64, -1, 0] {
            let mut net = Network::new();
            let jobs = net.channel("jobs", MsgType::vector(dtype, 4), 1).unwrap();
            let lines = net.channel("lines", MsgType::vector(dtype, 17), 1).unwrap();
            net.process("ramp", "ramp", &[], &[jobs], &[("start", start), ("count", 6)])
                .unwrap();
            net.process("mandel", "mandel", &[jobs], &[lines], &[("iterations", 60)])
                .unwrap();
            net.process("sink", "consume", &[lines], &[], &[("count", -1)]).unwrap();
            let what = format!("{dtype:?}, start {start}");
            let key = |r: RunReport| -> Vec<(String, u64, u64)> {
                r.processes.iter().map(|p| (p.name.clone(), p.value, p.aux)).collect()
            };
            let oracle = key(run_mixed(&chip, &net, Placement::Spread, &[], &what));
            assert_eq!(
                key(run_mixed(&chip, &net, Placement::Spread, &["mandel"], &what)),
                oracle,
                "{what}"
            );
        }
    }
}

/// `p` barrier_count participants in a barrier of `kind`, checking every
/// episode, with a ring of channels along the ranks (tests/barrier.rs).
fn barrier_ring(p: usize, episodes: i64, kind: BarrierKind, paired: bool) -> Network {
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
                &[("rounds", episodes), ("check", 1)],
            )
            .unwrap()
        })
        .collect();
    if paired {
        for (i, &pid) in procs.iter().enumerate() {
            let core = (i / 2) as u32;
            net.pin(pid, core / 4, core % 4);
        }
    }
    net.barrier_of_kind("b", kind, &procs).unwrap();
    net
}

fn check_barrier(chip: &SimChip, p: usize, kind: BarrierKind, paired: bool, episodes: i64, what: &str) {
    let net = barrier_ring(p, episodes, kind, paired);
    // Every other participant in C: C and Rust ranks signal each other.
    let c: Vec<String> = (0..p).step_by(2).map(|i| format!("p{i}")).collect();
    let c: Vec<&str> = c.iter().map(String::as_str).collect();
    let report = run_mixed(chip, &net, Placement::Spread, &c, what);
    for proc in &report.processes {
        assert!(proc.finished, "{what}: {} did not finish", proc.name);
        assert_eq!(proc.value, episodes as u64, "{what}: {} episodes", proc.name);
        assert_eq!(proc.aux, 0, "{what}: {} saw barrier violations", proc.name);
    }
    if kind == BarrierKind::Wand {
        assert_eq!(chip.wand_completions(), episodes as u64, "{what}: WAND completions");
    }
}

#[test]
fn barriers_with_c_and_rust_participants_threaded() {
    let chip = threaded_chip(2);
    for kind in [BarrierKind::Dissemination, BarrierKind::Wand] {
        for p in [2, 3, 5, 8] {
            for paired in [false, true] {
                check_barrier(
                    &chip,
                    p,
                    kind,
                    paired,
                    100,
                    &format!("{} barrier, p = {p}, paired {paired}", kind.name()),
                );
            }
        }
    }
}

#[test]
fn barriers_with_c_and_rust_participants_over_seeds() {
    for seed in seeds() {
        let chip = det_chip(seed);
        let kind = [BarrierKind::Dissemination, BarrierKind::Wand][seed as usize % 2];
        let p = [2, 3, 5][(seed / 2) as usize % 3];
        let paired = seed % 12 >= 6;
        check_barrier(
            &chip,
            p,
            kind,
            paired,
            6,
            &format!("seed {seed}, {} barrier, p = {p}, paired {paired}", kind.name()),
        );
    }
}

/// generate -> watchdog -> consume with the stream flowing, and a ring with
/// no token in it that only the watchdog's timeout can end (the watchdog
/// tests of the Rust kind, tests/watchdog.rs, with C in the network).
fn watchdog_networks(n: i64, timeout_us: i64) -> [Network; 2] {
    let mut flowing = Network::new();
    let a = flowing.channel("a", Dtype::I32, 0).unwrap();
    let b = flowing.channel("b", Dtype::I32, 0).unwrap();
    flowing
        .process("gen", "generate", &[], &[a], &[("start", 1), ("count", n)])
        .unwrap();
    flowing
        .process("dog", "watchdog", &[a], &[b], &[("timeout_us", timeout_us)])
        .unwrap();
    flowing.process("sink", "consume", &[b], &[], &[("count", -1)]).unwrap();
    let mut starved = Network::new();
    let [a, b, c, d] = ["a", "b", "c", "d"].map(|name| starved.channel(name, Dtype::I32, 0).unwrap());
    starved.process("loop", "id", &[c], &[a], &[]).unwrap();
    starved
        .process("dog", "watchdog", &[a], &[b], &[("timeout_us", timeout_us)])
        .unwrap();
    starved.process("relay", "delta", &[b], &[c, d], &[]).unwrap();
    starved.process("sink", "consume", &[d], &[], &[("count", 10)]).unwrap();
    [flowing, starved]
}

fn check_watchdog(chip: &SimChip, c: &[&str], n: i64, timeout_us: i64, what: &str) {
    let [flowing, starved] = watchdog_networks(n, timeout_us);
    // The processes of `c` each network has.
    let only = |net: &Network| -> Vec<&str> { c.iter().copied().filter(|p| net.process_id(p).is_some()).collect() };
    let report = run_mixed(chip, &flowing, Placement::Spread, &only(&flowing), what);
    let sink = report.process("sink").unwrap();
    assert_eq!(
        (sink.value as i64, sink.aux as i64),
        (n, n * (n + 1) / 2),
        "{what}: flowing"
    );
    let dog = report.process("dog").unwrap();
    assert_eq!(
        (dog.value as i64, dog.aux),
        (n, 0),
        "{what}: forwarded all, ended by the close"
    );
    let report = run_mixed(chip, &starved, Placement::Spread, &only(&starved), what);
    let sink = report.process("sink").unwrap();
    assert_eq!(sink.value, 0, "{what}: starved: nothing to consume");
    assert!(sink.finished, "{what}: the watchdog's poison ends the consumer");
    assert_eq!(report.process("dog").unwrap().aux, 1, "{what}: the watchdog timed out");
}

const WATCHDOG_SPLITS: [&[&str]; 3] = [&["dog"], &["gen", "sink", "relay"], &["gen", "dog", "sink", "loop"]];

#[test]
fn a_c_watchdog_times_out_threaded() {
    let chip = threaded_chip(2);
    for c in WATCHDOG_SPLITS {
        check_watchdog(&chip, c, 200, 20_000, &format!("C: {c:?}"));
    }
}

#[test]
fn a_c_watchdog_times_out_over_seeds() {
    for seed in seeds() {
        let chip = det_chip(seed);
        let c = WATCHDOG_SPLITS[seed as usize % WATCHDOG_SPLITS.len()];
        // Virtual time: a step is a nanosecond, and the engine jumps to the
        // deadline when nothing else can happen.
        check_watchdog(&chip, c, 10, 1_000, &format!("seed {seed}, C: {c:?}"));
    }
}

/// merge over a one-to-one input and an any-to-one input with two writers,
/// then tail, then plus with a second stream, then consume: alternation over
/// mixed lanes, and the rest of the one-in-one-out kinds.
fn alt_network(n: i64, capacity: u32) -> (Network, i64) {
    let mut net = Network::new();
    let dtype = Dtype::I64;
    let direct = net.channel("direct", dtype, capacity).unwrap();
    let fan = net.any2one("fan", dtype, capacity).unwrap();
    let merged = net.channel("merged", dtype, capacity).unwrap();
    let tailed = net.channel("tailed", dtype, capacity).unwrap();
    let other = net.channel("other", dtype, capacity).unwrap();
    let sums = net.channel("sums", dtype, capacity).unwrap();
    let g = |net: &mut Network, name: &str, out, start: i64, count: i64| {
        net.process(name, "generate", &[], &[out], &[("start", start), ("count", count)])
            .unwrap();
    };
    g(&mut net, "g0", direct, 1, n);
    g(&mut net, "g1", fan, 1_000, n);
    g(&mut net, "g2", fan, 1_000_000, n);
    net.process("merge", "merge", &[direct, fan], &[merged], &[]).unwrap();
    net.process("tail", "tail", &[merged], &[tailed], &[]).unwrap();
    // As many values as tail passes on, so both of plus's inputs end together.
    g(&mut net, "g3", other, 0, 3 * n - 1);
    net.process("plus", "plus", &[tailed, other], &[sums], &[]).unwrap();
    net.process("sink", "consume", &[sums], &[], &[("count", -1)]).unwrap();
    // Everything merged, minus the first value tail drops, plus 0..3n-1 for
    // the 3n-1 values that reach plus.
    let merged_sum: i64 = (1..=n).chain(1_000..1_000 + n).chain(1_000_000..1_000_000 + n).sum();
    (net, merged_sum + (0..3 * n - 1).sum::<i64>())
}

const ALT_SPLITS: [&[&str]; 4] = [
    &["merge", "tail", "plus"],
    &["g1", "merge", "sink"],
    &["g0", "g2", "tail"],
    &["g0", "g1", "g2", "g3", "merge", "tail", "plus", "sink"],
];

fn check_alt(chip: &SimChip, capacity: u32, placement: Placement, c: &[&str], n: i64, what: &str) {
    let (net, sum_with_first) = alt_network(n, capacity);
    let report = run_mixed(chip, &net, placement, c, what);
    let merge = report.process("merge").unwrap();
    assert_eq!(merge.value, 3 * n as u64, "{what}: merged");
    let sink = report.process("sink").unwrap();
    assert_eq!(sink.value, 3 * n as u64 - 1, "{what}: sums");
    // The value tail dropped is whichever merge chose first: one of the
    // three streams' first values.
    let dropped = sum_with_first - sink.aux as i64;
    assert!(
        [1, 1_000, 1_000_000].contains(&dropped),
        "{what}: tail dropped {dropped}"
    );
}

#[test]
fn alternation_over_mixed_lanes_threaded() {
    let chip = threaded_chip(2);
    for capacity in [0, 2] {
        for placement in [Placement::Spread, Placement::Packed] {
            for c in ALT_SPLITS {
                check_alt(
                    &chip,
                    capacity,
                    placement,
                    c,
                    200,
                    &format!("capacity {capacity}, {placement}, C: {c:?}"),
                );
            }
        }
    }
}

#[test]
fn alternation_over_mixed_lanes_over_seeds() {
    for seed in seeds() {
        let chip = det_chip(seed);
        let capacity = [0, 2][seed as usize % 2];
        let c = ALT_SPLITS[seed as usize % ALT_SPLITS.len()];
        check_alt(
            &chip,
            capacity,
            Placement::Spread,
            c,
            6,
            &format!("seed {seed}, capacity {capacity}, C: {c:?}"),
        );
    }
}

/// Three generators multiplexed onto one channel by mux and split again by
/// demux, each stream to its own consumer; and delta_par copying a stream
/// to two consumers at once.
fn mux_network(n: i64, capacity: u32) -> Network {
    let mut net = Network::new();
    let dtype = Dtype::I64;
    let ins: Vec<_> = (0..3)
        .map(|i| net.channel(&format!("in{i}"), dtype, capacity).unwrap())
        .collect();
    let outs: Vec<_> = (0..3)
        .map(|i| net.channel(&format!("out{i}"), dtype, capacity).unwrap())
        .collect();
    let wire = net.channel("wire", dtype, capacity).unwrap();
    for (i, &ch) in ins.iter().enumerate() {
        let start = 1 + 1_000 * i as i64;
        net.process(
            &format!("g{i}"),
            "generate",
            &[],
            &[ch],
            &[("start", start), ("count", n)],
        )
        .unwrap();
    }
    net.process("mux", "mux", &ins, &[wire], &[]).unwrap();
    net.process("demux", "demux", &[wire], &outs, &[]).unwrap();
    for (i, &ch) in outs.iter().enumerate() {
        net.process(&format!("c{i}"), "consume", &[ch], &[], &[("count", -1)])
            .unwrap();
    }
    let src = net.channel("src", dtype, capacity).unwrap();
    let copies: Vec<_> = (0..2)
        .map(|i| net.channel(&format!("copy{i}"), dtype, capacity).unwrap())
        .collect();
    net.process("g3", "generate", &[], &[src], &[("start", 7), ("count", n)])
        .unwrap();
    net.process("par", "delta_par", &[src], &copies, &[]).unwrap();
    for (i, &ch) in copies.iter().enumerate() {
        net.process(&format!("d{i}"), "consume", &[ch], &[], &[("count", -1)])
            .unwrap();
    }
    net
}

const MUX_SPLITS: [&[&str]; 4] = [
    &["mux", "demux", "par"],
    &["g0", "g2", "c1", "d0"],
    &["mux", "c0", "g3", "d1"],
    &[
        "g0", "g1", "g2", "g3", "mux", "demux", "par", "c0", "c1", "c2", "d0", "d1",
    ],
];

fn check_mux(chip: &SimChip, capacity: u32, placement: Placement, c: &[&str], n: i64, what: &str) {
    let report = run_mixed(chip, &mux_network(n, capacity), placement, c, what);
    for i in 0..3 {
        let sink = report.process(&format!("c{i}")).unwrap();
        let start = 1 + 1_000 * i;
        assert_eq!(sink.value, n as u64, "{what}: c{i} count");
        assert_eq!(
            sink.aux as i64,
            (start..start + n).sum::<i64>(),
            "{what}: c{i} got another stream"
        );
    }
    for i in 0..2 {
        let sink = report.process(&format!("d{i}")).unwrap();
        assert_eq!(sink.value, n as u64, "{what}: d{i} count");
        assert_eq!(sink.aux as i64, (7..7 + n).sum::<i64>(), "{what}: d{i} sum");
    }
}

#[test]
fn mux_demux_and_delta_par_across_the_runtimes_threaded() {
    let chip = threaded_chip(2);
    for capacity in [0, 2] {
        for placement in [Placement::Spread, Placement::Packed] {
            for c in MUX_SPLITS {
                check_mux(
                    &chip,
                    capacity,
                    placement,
                    c,
                    100,
                    &format!("capacity {capacity}, {placement}, C: {c:?}"),
                );
            }
        }
    }
}

#[test]
fn mux_demux_and_delta_par_across_the_runtimes_over_seeds() {
    for seed in seeds() {
        let chip = det_chip(seed);
        let capacity = [0, 2][seed as usize % 2];
        let c = MUX_SPLITS[seed as usize % MUX_SPLITS.len()];
        check_mux(
            &chip,
            capacity,
            Placement::Spread,
            c,
            5,
            &format!("seed {seed}, capacity {capacity}, C: {c:?}"),
        );
    }
}

/// ramp -> id -> id -> consume over vector channels of `msg` (and scalars
/// of u8): id and consume take vectors in C as in Rust.
fn vector_line(msg: ecsp_device::message::MsgType, count: i64) -> Network {
    let mut net = Network::new();
    let [a, b, c] = ["a", "b", "c"].map(|name| net.channel(name, msg, 1).unwrap());
    net.process("ramp", "ramp", &[], &[a], &[("start", 3), ("count", count)])
        .unwrap();
    net.process("id1", "id", &[a], &[b], &[]).unwrap();
    net.process("id2", "id", &[b], &[c], &[]).unwrap();
    net.process("sink", "consume", &[c], &[], &[("count", -1)]).unwrap();
    net
}

#[test]
fn vectors_through_c_ids_and_consumers() {
    use ecsp_device::message::MsgType;
    let chip = threaded_chip(2);
    let count = 50i64;
    for msg in [
        MsgType::vector(Dtype::F32, 16),
        MsgType::vector(Dtype::I64, 5),
        MsgType::vector(Dtype::I32, 512),
        MsgType::bytes(24),
        MsgType::scalar(Dtype::U8),
    ] {
        for c in [&["id1"][..], &["id2", "sink"][..], &["id1", "id2", "sink"][..]] {
            let what = format!("{msg}, C: {c:?}");
            let report = run_mixed(&chip, &vector_line(msg, count), Placement::Spread, c, &what);
            let sink = report.process("sink").unwrap();
            assert_eq!(sink.value, count as u64, "{what}: vectors");
            // Element i of vector k is 3 + k*len + i, converted to the dtype.
            let len = msg.len as i64;
            let want: i64 = (0..count * len)
                .map(|v| {
                    let v = 3 + v;
                    if msg.dtype == Dtype::U8 {
                        v as u8 as i64
                    } else {
                        v
                    }
                })
                .sum();
            assert_eq!(sink.aux as i64, want, "{what}: the sum of every element");
        }
    }
}

/// The kernels: two ramps, map with `fn` on one, zip with `op` of both,
/// reduce with `reduce_op`, consume. Every process's result must be the same
/// whichever runtime runs it, so the all-Rust run is the oracle.
fn kernel_network(msg: ecsp_device::message::MsgType, f: &str, op: &str, reduce_op: &str) -> Network {
    use ecsp_host::network::Param;
    let mut net = Network::new();
    let [a, b, c, d] = ["a", "b", "c", "d"].map(|name| net.channel(name, msg, 1).unwrap());
    let e = net
        .channel("e", ecsp_device::message::MsgType::scalar(msg.dtype), 1)
        .unwrap();
    net.process("ramp1", "ramp", &[], &[a], &[("start", -7), ("count", 12)])
        .unwrap();
    net.process("ramp2", "ramp", &[], &[b], &[("start", 5), ("count", 12)])
        .unwrap();
    let real = |v: f64| Param::Real(v);
    net.process_with(
        "map",
        "map",
        &[a],
        &[c],
        &[("fn", Param::Name(f.into())), ("a", real(2.5)), ("b", real(-1.25))],
    )
    .unwrap();
    net.process_with("zip", "zip", &[c, b], &[d], &[("op", Param::Name(op.into()))])
        .unwrap();
    net.process_with("reduce", "reduce", &[d], &[e], &[("op", Param::Name(reduce_op.into()))])
        .unwrap();
    net.process("sink", "consume", &[e], &[], &[("count", -1)]).unwrap();
    net
}

#[test]
fn kernels_give_the_same_results_in_c_and_rust() {
    use ecsp_device::message::MsgType;
    use ecsp_device::process::{MAP_FNS, REDUCE_OPS, ZIP_OPS};
    let chip = threaded_chip(2);
    let results = |report: &RunReport| -> Vec<(String, u64, u64, bool)> {
        report
            .processes
            .iter()
            .map(|p| (p.name.clone(), p.value, p.aux, p.finished))
            .collect()
    };
    for dtype in [Dtype::F32, Dtype::F64, Dtype::I32, Dtype::U32, Dtype::I64, Dtype::U8] {
        let msg = MsgType::vector(dtype, 7);
        for (k, f) in MAP_FNS.iter().enumerate() {
            let op = ZIP_OPS[k % ZIP_OPS.len()];
            let reduce_op = REDUCE_OPS[k % REDUCE_OPS.len()];
            let net = kernel_network(msg, f, op, reduce_op);
            let what = format!("{msg}, map {f}, zip {op}, reduce {reduce_op}");
            let oracle = results(&run_mixed(&chip, &net, Placement::Spread, &[], &what));
            for c in [
                &["map", "reduce"][..],
                &["ramp1", "zip", "sink"][..],
                &["ramp1", "ramp2", "map", "zip", "reduce", "sink"][..],
            ] {
                let got = results(&run_mixed(&chip, &net, Placement::Spread, c, &what));
                assert_eq!(got, oracle, "{what}, C: {c:?}");
            }
        }
    }
}

#[test]
fn kernels_give_the_same_results_in_c_and_rust_over_seeds() {
    use ecsp_device::message::MsgType;
    use ecsp_device::process::{MAP_FNS, REDUCE_OPS, ZIP_OPS};
    let dtypes = [Dtype::F32, Dtype::F64, Dtype::I32, Dtype::U32, Dtype::I64, Dtype::U8];
    let splits: [&[&str]; 2] = [&["map", "reduce", "ramp2"], &["ramp1", "zip", "sink"]];
    for seed in seeds() {
        let s = seed as usize;
        let msg = MsgType::vector(dtypes[s % dtypes.len()], 3);
        let (f, op, reduce_op) = (MAP_FNS[s % 8], ZIP_OPS[s % 5], REDUCE_OPS[s % 5]);
        let net = kernel_network(msg, f, op, reduce_op);
        let c = splits[(s / 6) % 2];
        let what = format!("seed {seed}, {msg}, map {f}, zip {op}, reduce {reduce_op}, C: {c:?}");
        let key = |r: RunReport| -> Vec<(String, u64, u64)> {
            r.processes.iter().map(|p| (p.name.clone(), p.value, p.aux)).collect()
        };
        let oracle = key(run_mixed(&det_chip(seed), &net, Placement::Spread, &[], &what));
        assert_eq!(
            key(run_mixed(&det_chip(seed), &net, Placement::Spread, c, &what)),
            oracle,
            "{what}"
        );
    }
}

/// A farm over a one-to-any (one writer) or any-to-any channel: generators
/// feed workers (`id`) through the shared channel, the workers feed a sink
/// through an any-to-one channel. With `poison_after`, the generators run
/// until the sink poisons after that many and the poison has crossed both
/// shared channels back to them.
fn farm(writers: usize, workers: usize, capacity: u32, n: i64, poison_after: Option<i64>) -> (Network, i64) {
    let mut net = Network::new();
    let work = if writers == 1 {
        net.one2any("work", Dtype::I64, capacity).unwrap()
    } else {
        net.any2any("work", Dtype::I64, capacity).unwrap()
    };
    let results = net.any2one("results", Dtype::I64, capacity).unwrap();
    let mut sum = 0;
    for w in 0..writers {
        let start = w as i64 * 1_000_000 + 1;
        let count = if poison_after.is_some() { -1 } else { n };
        net.process(
            &format!("gen{w}"),
            "generate",
            &[],
            &[work],
            &[("start", start), ("count", count)],
        )
        .unwrap();
        sum += (start..start + n).sum::<i64>();
    }
    for k in 0..workers {
        net.process(&format!("worker{k}"), "id", &[work], &[results], &[])
            .unwrap();
    }
    let params = match poison_after {
        Some(k) => vec![("count", k), ("poison", 1)],
        None => vec![("count", -1)],
    };
    net.process("sink", "consume", &[results], &[], &params).unwrap();
    (net, sum)
}

/// Which processes of a farm run in C.
fn farm_split(split: usize, writers: usize, workers: usize) -> Vec<String> {
    let gens = (0..writers).map(|w| format!("gen{w}"));
    let workers = (0..workers).map(|k| format!("worker{k}"));
    match split % 4 {
        // Every other worker: C and Rust readers share the read end.
        0 => workers.step_by(2).collect(),
        // Every other generator: C and Rust writers share the write end.
        1 => gens.skip(1).step_by(2).chain(["sink".to_string()]).collect(),
        // All the workers.
        2 => workers.collect(),
        // Everything.
        _ => gens.chain(workers).chain(["sink".to_string()]).collect(),
    }
}

fn check_farm(chip: &SimChip, writers: usize, workers: usize, capacity: u32, split: usize, n: i64, what: &str) {
    let c = farm_split(split, writers, workers);
    let c: Vec<&str> = c.iter().map(String::as_str).collect();
    let (net, sum) = farm(writers, workers, capacity, n, None);
    let report = run_mixed(chip, &net, Placement::Spread, &c, what);
    let sink = report.process("sink").unwrap();
    assert_eq!(sink.value, writers as u64 * n as u64, "{what}: messages");
    assert_eq!(sink.aux as i64, sum, "{what}: every message to exactly one worker");
    let handled: u64 = (0..workers)
        .map(|k| report.process(&format!("worker{k}")).unwrap().value)
        .sum();
    assert_eq!(handled, writers as u64 * n as u64, "{what}: the workers' counts");

    let (net, _) = farm(writers, workers, capacity, 0, Some(20));
    let report = run_mixed(chip, &net, Placement::Spread, &c, what);
    assert_eq!(report.process("sink").unwrap().value, 20, "{what}: poisoned farm");
    for w in 0..writers {
        let gen = report.process(&format!("gen{w}")).unwrap();
        assert!(gen.finished, "{what}: gen{w} must end by the poison");
        assert_eq!(gen.aux, 1, "{what}: gen{w} ended by poison");
    }
}

#[test]
fn shared_channels_across_the_runtimes_threaded() {
    let chip = threaded_chip(2);
    for (writers, workers) in [(1, 3), (2, 3), (3, 2)] {
        for capacity in [0, 2] {
            for split in 0..4 {
                let what = format!("{writers} writers, {workers} workers, capacity {capacity}, split {split}");
                check_farm(&chip, writers, workers, capacity, split, 100, &what);
            }
        }
    }
}

#[test]
fn shared_channels_across_the_runtimes_over_seeds() {
    for seed in seeds() {
        let chip = det_chip(seed);
        let (writers, workers) = [(1, 3), (2, 3), (3, 2)][seed as usize % 3];
        let capacity = [0, 2][(seed / 3) as usize % 2];
        let split = (seed / 6) as usize;
        let what = format!(
            "seed {seed}, {writers} writers, {workers} workers, capacity {capacity}, split {}",
            split % 4
        );
        check_farm(&chip, writers, workers, capacity, split, 8, &what);
    }
}

/// Stressed Alt with a C reader, or C writers, or both: nothing lost.
fn stressed_alt_mixed(chip: &SimChip, c_reader: bool, c_writers: bool, selects: u64, what: &str) {
    let net = ecsp_host::apps::stressed_alt::network(chip.board(), 3, 3, selects).unwrap();
    let mut c: Vec<String> = Vec::new();
    if c_reader {
        c.push("reader".into());
    }
    for ch in 0..3 {
        for w in 0..3 {
            if c_writers && (ch + w) % 2 == 0 {
                c.push(format!("w{ch}_{w}"));
            }
        }
    }
    let c: Vec<&str> = c.iter().map(String::as_str).collect();
    let report = run_mixed(chip, &net, Placement::Spread, &c, what);
    let reader = report.process("reader").unwrap();
    assert_eq!(reader.value, selects, "{what}: selects");
    let sent: u64 = (0..3)
        .flat_map(|ch| (0..3).map(move |w| format!("w{ch}_{w}")))
        .map(|name| {
            let p = report.process(&name).unwrap();
            assert!(p.finished, "{what}: {name} must end by the poison");
            p.value
        })
        .sum();
    assert_eq!(sent, selects, "{what}: a rendezvous send completes only when taken");
    assert_eq!(report.total_counters().unwrap().remote_reads, 0, "{what}");
}

#[test]
fn stressed_alt_with_c_and_rust_threaded() {
    let chip = threaded_chip(2);
    for (c_reader, c_writers) in [(true, false), (false, true), (true, true)] {
        stressed_alt_mixed(
            &chip,
            c_reader,
            c_writers,
            3000,
            &format!("C reader {c_reader}, C writers {c_writers}"),
        );
    }
}

#[test]
fn stressed_alt_with_c_and_rust_over_seeds() {
    for seed in seeds() {
        let chip = det_chip(seed);
        let (c_reader, c_writers) = [(true, false), (false, true), (true, true)][seed as usize % 3];
        stressed_alt_mixed(
            &chip,
            c_reader,
            c_writers,
            30,
            &format!("seed {seed}, C reader {c_reader}, C writers {c_writers}"),
        );
    }
}

/// Commstime all in Rust against all in C, threaded, one communication in
/// ns: what the C runtime's calls through the HAL table cost in the
/// simulator. A measurement, not a check: run it in release with
/// `cargo test --release -p ecsp-tests --test c_interop -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement: run in release with --ignored --nocapture"]
fn commstime_c_against_rust() {
    let chip = threaded_chip(2);
    let iterations = 200_000u64;
    for placement in [Placement::Packed, Placement::Spread] {
        for (label, c) in [("rust", &[][..]), ("c", &["prefix", "delta", "succ", "consume"][..])] {
            let net = ecsp_host::apps::commstime::network(iterations, 1000);
            let report = run_mixed(&chip, &net, placement, c, label);
            let consumer = report.process("consume").unwrap();
            let ns = consumer.ticks as f64 * 1e9 / chip.ticks_per_second() as f64 / (iterations * 4) as f64;
            println!("commstime {placement} {label}: {ns:.1} ns per communication");
        }
    }
}
