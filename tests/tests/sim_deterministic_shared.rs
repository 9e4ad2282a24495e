//! The deterministic simulator as an oracle for one-to-any and any-to-any
//! channels: across seeds (each a different interleaving of the cores and a
//! different order of arrival of every write between different pairs of
//! cores, TESTSET included), a farm loses, duplicates and invents nothing;
//! a rendezvous gives each message to a reader that asked for it, so
//! readers that stop after their share never strand a writer; closing every
//! writer drains the channel into its readers, then closes each; and a
//! reader's poison stops every writer and reader with no completed
//! rendezvous send left untaken.
//!
//! `ECSP_SEEDS=N` runs N seeds per sweep instead of 1,000 and
//! `ECSP_SEED_BASE=B` starts them at B (a failing seed is printed: rerun it
//! with `ECSP_SEED_BASE=<seed> ECSP_SEEDS=1`).

use ecsp_device::message::Dtype;
use ecsp_host::board::Board;
use ecsp_host::chip::Chip;
use ecsp_host::network::{ChanId, Network};
use ecsp_host::plan::{plan, Placement};
use ecsp_host::run::{run, RunReport};
use ecsp_host::sim::{SimChip, SimMode, SimOptions};
use ecsp_tests::seeds;
use std::time::{Duration, Instant};

/// Every run gets this long before it is abandoned as a hang.
const TIMEOUT: Duration = Duration::from_secs(30);
/// Messages per generator.
const MESSAGES: i64 = 8;
const WORKERS: usize = 3;

fn run_seed(seed: u64, net: &Network, placement: Placement, what: &str) -> RunReport {
    let chip = SimChip::with_options(
        Board::default(),
        SimOptions {
            mode: SimMode::Deterministic { seed },
            ..SimOptions::default()
        },
    )
    .expect("open a simulated parallella-16");
    let plan = plan(net, chip.board(), placement, &|k, d| chip.state_layout(k, d)).expect("the network fits");
    run(&chip, net, &plan, TIMEOUT)
        .unwrap_or_else(|e| panic!("seed {seed} (replay: ECSP_SEED_BASE={seed} ECSP_SEEDS=1), {what}: run failed: {e}"))
}

/// The shared channel: one-to-any with one writer, any-to-any with more.
fn work_channel(net: &mut Network, writers: usize, capacity: u32) -> ChanId {
    if writers == 1 {
        net.one2any("work", Dtype::I64, capacity).unwrap()
    } else {
        net.any2any("work", Dtype::I64, capacity).unwrap()
    }
}

/// `writers` generators of `count` values each (negative: until poisoned)
/// into the shared channel; returns the sum of the first `MESSAGES` values
/// of all of them.
fn generators(net: &mut Network, work: ChanId, writers: usize, count: i64) -> i64 {
    let mut sum = 0;
    for w in 0..writers {
        let start = w as i64 * 1000 + 1;
        net.process(
            &format!("gen{w}"),
            "generate",
            &[],
            &[work],
            &[("start", start), ("count", count)],
        )
        .unwrap();
        sum += (start..start + MESSAGES).sum::<i64>();
    }
    sum
}

/// generators -> shared channel -> `WORKERS` ids -> any-to-one -> consumer.
fn farm(writers: usize, capacity: u32) -> (Network, i64) {
    let mut net = Network::new();
    let work = work_channel(&mut net, writers, capacity);
    let results = net.any2one("results", Dtype::I64, capacity).unwrap();
    let sum = generators(&mut net, work, writers, MESSAGES);
    for k in 0..WORKERS {
        net.process(&format!("worker{k}"), "id", &[work], &[results], &[])
            .unwrap();
    }
    net.process("sink", "consume", &[results], &[], &[("count", -1)])
        .unwrap();
    (net, sum)
}

fn sweep_farm(writers: usize) {
    let started = Instant::now();
    let seeds = seeds();
    let count = seeds.end - seeds.start;
    for seed in seeds {
        for capacity in [0, 2] {
            for placement in [Placement::Spread, Placement::Packed] {
                let what = format!("{writers} generators, capacity {capacity}, {placement}");
                let (net, sum) = farm(writers, capacity);
                let report = run_seed(seed, &net, placement, &what);
                let sink = report.process("sink").unwrap();
                assert!(sink.finished, "seed {seed}, {what}: the close never reached the sink");
                assert_eq!(
                    sink.value,
                    writers as u64 * MESSAGES as u64,
                    "seed {seed}, {what}: messages"
                );
                assert_eq!(sink.aux as i64, sum, "seed {seed}, {what}: sum");
                let handled: u64 = (0..WORKERS)
                    .map(|k| report.process(&format!("worker{k}")).unwrap().value)
                    .sum();
                assert_eq!(
                    handled,
                    writers as u64 * MESSAGES as u64,
                    "seed {seed}, {what}: each message through exactly one worker"
                );
            }
        }
    }
    eprintln!(
        "{count} seeds x 4 configurations of the {writers}-generator farm in {:.1?}",
        started.elapsed()
    );
}

#[test]
fn a_one_to_any_farm_loses_and_duplicates_nothing_across_seeds() {
    sweep_farm(1);
}

#[test]
fn an_any_to_any_farm_loses_and_duplicates_nothing_across_seeds() {
    sweep_farm(2);
}

#[test]
fn closing_every_writer_drains_the_channel_into_its_readers_across_seeds() {
    // The readers read the shared channel itself until it is closed: every
    // value sent reaches exactly one of them, and each then sees Closed.
    let started = Instant::now();
    let seeds = seeds();
    let count = seeds.end - seeds.start;
    for seed in seeds {
        for writers in [1, 2] {
            for capacity in [0, 3] {
                let what = format!("{writers} generators, capacity {capacity}");
                let mut net = Network::new();
                let work = work_channel(&mut net, writers, capacity);
                let sum = generators(&mut net, work, writers, MESSAGES);
                for k in 0..WORKERS {
                    net.process(&format!("reader{k}"), "consume", &[work], &[], &[("count", -1)])
                        .unwrap();
                }
                let report = run_seed(seed, &net, Placement::Spread, &what);
                let (mut got, mut got_sum) = (0, 0i64);
                for k in 0..WORKERS {
                    let r = report.process(&format!("reader{k}")).unwrap();
                    assert!(r.finished, "seed {seed}, {what}: reader {k} never saw the close");
                    got += r.value;
                    got_sum = got_sum.wrapping_add(r.aux as i64);
                }
                assert_eq!(got, writers as u64 * MESSAGES as u64, "seed {seed}, {what}: messages");
                assert_eq!(got_sum, sum, "seed {seed}, {what}: sum");
            }
        }
    }
    eprintln!(
        "{count} seeds x 4 configurations of the drained channel in {:.1?}",
        started.elapsed()
    );
}

#[test]
fn a_rendezvous_gives_each_message_to_a_reader_that_asked_across_seeds() {
    // Each reader takes exactly its share and stops. Were a message ever
    // handed to a reader that was not asking (or to two readers, or were a
    // request answered twice), it would sit with a reader that stopped, its
    // writer would wait for it forever, and the run would deadlock.
    let started = Instant::now();
    let seeds = seeds();
    let count = seeds.end - seeds.start;
    for seed in seeds {
        for writers in [1, 2] {
            for placement in [Placement::Spread, Placement::Packed] {
                let what = format!("{writers} generators, {placement}");
                let mut net = Network::new();
                let work = work_channel(&mut net, writers, 0);
                generators(&mut net, work, writers, MESSAGES);
                let total = writers as i64 * MESSAGES;
                let shares = [1, total / 2 - 1, total - total / 2];
                for (k, share) in shares.iter().enumerate() {
                    net.process(&format!("reader{k}"), "consume", &[work], &[], &[("count", *share)])
                        .unwrap();
                }
                let report = run_seed(seed, &net, placement, &what);
                for (k, share) in shares.iter().enumerate() {
                    let r = report.process(&format!("reader{k}")).unwrap();
                    assert_eq!(r.value, *share as u64, "seed {seed}, {what}: reader {k}");
                }
                for w in 0..writers {
                    let g = report.process(&format!("gen{w}")).unwrap();
                    assert!(g.finished, "seed {seed}, {what}: generator {w}");
                    assert_eq!(g.value, MESSAGES as u64, "seed {seed}, {what}: generator {w}");
                }
            }
        }
    }
    eprintln!(
        "{count} seeds x 4 configurations of readers taking their share in {:.1?}",
        started.elapsed()
    );
}

#[test]
fn a_readers_poison_stops_every_end_across_seeds() {
    const TAKEN: i64 = 6;
    let started = Instant::now();
    let seeds = seeds();
    let count = seeds.end - seeds.start;
    for seed in seeds {
        for writers in [1, 2] {
            for capacity in [0, 2] {
                let what = format!("{writers} generators, capacity {capacity}, reader0 poisons after {TAKEN}");
                let mut net = Network::new();
                let work = work_channel(&mut net, writers, capacity);
                generators(&mut net, work, writers, -1);
                net.process("reader0", "consume", &[work], &[], &[("count", TAKEN), ("poison", 1)])
                    .unwrap();
                for k in 1..WORKERS {
                    net.process(&format!("reader{k}"), "consume", &[work], &[], &[("count", -1)])
                        .unwrap();
                }
                let report = run_seed(seed, &net, Placement::Spread, &what);
                assert_eq!(
                    report.process("reader0").unwrap().value,
                    TAKEN as u64,
                    "seed {seed}, {what}"
                );
                let mut taken = 0;
                for k in 0..WORKERS {
                    let r = report.process(&format!("reader{k}")).unwrap();
                    assert!(r.finished, "seed {seed}, {what}: reader {k} must end by the poison");
                    taken += r.value;
                }
                let mut sent = 0;
                for w in 0..writers {
                    let g = report.process(&format!("gen{w}")).unwrap();
                    assert!(g.finished, "seed {seed}, {what}: generator {w} must end by the poison");
                    sent += g.value;
                }
                if capacity == 0 {
                    assert_eq!(
                        sent, taken,
                        "seed {seed}, {what}: a rendezvous send completes only when taken"
                    );
                } else {
                    assert!(sent >= taken, "seed {seed}, {what}: sent {sent}, taken {taken}");
                }
            }
        }
    }
    eprintln!(
        "{count} seeds x 4 configurations of the poisoned channel in {:.1?}",
        started.elapsed()
    );
}
