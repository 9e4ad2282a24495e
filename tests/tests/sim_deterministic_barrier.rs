//! Barriers under the simulator's deterministic mode, the oracle for the
//! Epiphany's ordering (writes from one core to one other core arrive in
//! order, nothing else is ordered; each core learns of a WAND completion at
//! its own seed-chosen step): over many seeds, for the dissemination and
//! the WAND barrier, with 2, 3, 5 and 16 participants placed one per core,
//! all on one core and two per core, no participant leaves an episode
//! before every other has arrived at it. Each `barrier_count` participant
//! checks that after every episode by reading every other's arrival counter
//! (a remote read sees memory as it is at that step), and on the
//! dissemination barrier also that its predecessor's message, sent before
//! the barrier, is already there.
//!
//! `ECSP_SEEDS=N` runs N seeds per scenario instead of 1,000, and
//! `ECSP_SEED_BASE=B` starts them at B (a failing seed is printed: rerun it
//! with `ECSP_SEED_BASE=<seed> ECSP_SEEDS=1`).

use ecsp_device::message::Dtype;
use ecsp_host::chip::Chip;
use ecsp_host::network::{BarrierKind, Network, ProcId};
use ecsp_host::plan::{plan, Placement, Plan};
use ecsp_host::run::{run, RunError, RunReport};
use ecsp_host::sim::SimChip;
use ecsp_tests::{det_chip, seeds};
use std::time::{Duration, Instant};

/// Every run gets this long before it is abandoned as a hang.
const TIMEOUT: Duration = Duration::from_secs(30);
const SIZES: [usize; 4] = [2, 3, 5, 16];

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

/// Episodes per run: enough for every flag to be reused several times
/// (and to be overtaken by the next episode's write), fewer for the
/// largest barrier to keep the sweep short.
fn episodes(p: usize) -> i64 {
    if p >= 16 {
        4
    } else {
        8
    }
}

/// `p` `barrier_count` processes in a barrier of `kind`, and a ring of
/// channels along the ranks: `c{i}` from rank `i` to rank `i + 1`.
fn ring(p: usize, episodes: i64, kind: BarrierKind, layout: Layout) -> Network {
    let mut net = Network::new();
    let chans: Vec<_> = (0..p)
        .map(|i| net.channel(&format!("c{i}"), Dtype::I64, 1).unwrap())
        .collect();
    let procs: Vec<ProcId> = (0..p)
        .map(|i| {
            let rounds = episodes;
            net.process(
                &format!("p{i}"),
                "barrier_count",
                &[chans[(i + p - 1) % p]],
                &[chans[i]],
                &[("rounds", rounds), ("check", 1)],
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

fn plan_on(chip: &SimChip, net: &Network, layout: Layout) -> Plan {
    let placement = match layout {
        Layout::Packed => Placement::Packed,
        Layout::Spread | Layout::Paired => Placement::Spread,
    };
    plan(net, chip.board(), placement, &|k, d| chip.state_layout(k, d)).expect("the network fits")
}

/// One run on a fresh chip with `seed`: every participant did every episode
/// and saw no violation. Returns the report and the schedule digest.
fn check(seed: u64, p: usize, kind: BarrierKind, layout: Layout) -> (RunReport, u64) {
    let what = format!(
        "seed {seed} (replay: ECSP_SEED_BASE={seed} ECSP_SEEDS=1), {} barrier, p = {p}, {layout:?}",
        kind.name()
    );
    let chip = det_chip(seed);
    let n = episodes(p);
    let net = ring(p, n, kind, layout);
    let plan = plan_on(&chip, &net, layout);
    let report = run(&chip, &net, &plan, TIMEOUT).unwrap_or_else(|e| panic!("{what}: run failed: {e}"));
    for proc in &report.processes {
        assert!(proc.finished, "{what}: {} did not finish", proc.name);
        assert_eq!(proc.value, n as u64, "{what}: {} episodes", proc.name);
        assert_eq!(
            proc.aux, 0,
            "{what}: {} left an episode before every participant arrived (or its predecessor's message was missing)",
            proc.name
        );
    }
    let completions = if kind == BarrierKind::Wand { n as u64 } else { 0 };
    assert_eq!(chip.wand_completions(), completions, "{what}: WAND completions");
    (report, chip.schedule_digest().expect("deterministic mode has a digest"))
}

fn sweep(kind: BarrierKind) {
    let started = Instant::now();
    let seeds = seeds();
    let count = seeds.end - seeds.start;
    for seed in seeds {
        for p in SIZES {
            for layout in LAYOUTS {
                check(seed, p, kind, layout);
            }
        }
    }
    eprintln!(
        "{count} seeds x {} scenarios of the {} barrier in {:.1?}",
        SIZES.len() * LAYOUTS.len(),
        kind.name(),
        started.elapsed()
    );
}

#[test]
fn the_dissemination_barrier_holds_across_seeds() {
    sweep(BarrierKind::Dissemination);
}

#[test]
fn the_wand_barrier_holds_across_seeds() {
    sweep(BarrierKind::Wand);
}

#[test]
fn a_barrier_run_replays_exactly_and_seeds_differ() {
    for kind in [BarrierKind::Dissemination, BarrierKind::Wand] {
        let (a, digest_a) = check(42, 5, kind, Layout::Paired);
        let (b, digest_b) = check(42, 5, kind, Layout::Paired);
        assert_eq!(
            digest_a,
            digest_b,
            "{}: seed 42 replayed a different schedule",
            kind.name()
        );
        assert_eq!(a.counters, b.counters);
        for (pa, pb) in a.processes.iter().zip(&b.processes) {
            assert_eq!(
                (pa.value, pa.aux, pa.ticks),
                (pb.value, pb.aux, pb.ticks),
                "{}",
                pa.name
            );
        }
        let mut digests: Vec<u64> = (0..16).map(|seed| check(seed, 3, kind, Layout::Spread).1).collect();
        digests.sort_unstable();
        digests.dedup();
        assert_eq!(
            digests.len(),
            16,
            "{}: 16 seeds, {} schedules",
            kind.name(),
            digests.len()
        );
    }
}

#[test]
fn a_participant_that_stops_early_is_a_deadlock_naming_the_waiters() {
    // p2 does one episode fewer: the others wait for it forever.
    for kind in [BarrierKind::Dissemination, BarrierKind::Wand] {
        for seed in 0..20 {
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
            let chip = det_chip(seed);
            let plan = plan_on(&chip, &net, Layout::Spread);
            let started = Instant::now();
            let e = run(&chip, &net, &plan, TIMEOUT).expect_err("the others can never leave episode 3");
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "seed {seed}: found by the engine, not a timeout"
            );
            let text = e.to_string();
            let RunError::Deadlock { report } = e else {
                panic!("{} seed {seed}: expected a deadlock, got {text}", kind.name());
            };
            let blocked: Vec<_> = report.blocked.iter().map(|b| b.process.as_str()).collect();
            assert_eq!(blocked, ["p0", "p1"], "{text}");
            for (i, name) in ["p0", "p1"].into_iter().enumerate() {
                let expected = format!(
                    "`{name}` on core {} waits at {} barrier `b` in episode 3; not arrived yet: `p2`",
                    plan.assignment[i],
                    kind.name()
                );
                assert!(text.contains(&expected), "{text}");
            }
            assert!(text.contains(&format!("replay with --seed {seed}")), "{text}");
        }
    }
}
