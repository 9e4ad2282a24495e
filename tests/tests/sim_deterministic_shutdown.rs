//! The deterministic simulator as an oracle for close, poison and
//! any-to-one channels: across seeds (each a different interleaving of the
//! cores and a different order of arrival of every write between different
//! pairs of cores), a fan-in loses, duplicates and invents nothing, a close
//! reaches the reader after every message, and a reader's poison stops every
//! writer with no completed rendezvous send left untaken.
//!
//! `ECSP_SEEDS=N` runs N seeds per sweep instead of 1,000 and
//! `ECSP_SEED_BASE=B` starts them at B.

use ecsp_device::message::Dtype;
use ecsp_host::board::Board;
use ecsp_host::chip::Chip;
use ecsp_host::network::Network;
use ecsp_host::plan::{plan, Placement};
use ecsp_host::run::{run, RunReport};
use ecsp_host::sim::{SimChip, SimMode, SimOptions};
use ecsp_tests::seeds;
use std::time::{Duration, Instant};

/// Every run gets this long before it is abandoned as a hang.
const TIMEOUT: Duration = Duration::from_secs(30);
const WRITERS: usize = 3;
/// Messages per writer.
const MESSAGES: i64 = 8;

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

/// `WRITERS` generators into one any-to-one channel read by a consumer that
/// reads until the channel closes, or reads `poison_after` values and poisons it.
fn fan_in(capacity: u32, poison_after: Option<i64>) -> (Network, i64) {
    let mut net = Network::new();
    let shared = net.any2one("shared", Dtype::I64, capacity).unwrap();
    let mut sum = 0;
    for w in 0..WRITERS {
        let start = w as i64 * 1000 + 1;
        let count = if poison_after.is_some() { -1 } else { MESSAGES };
        net.process(
            &format!("w{w}"),
            "generate",
            &[],
            &[shared],
            &[("start", start), ("count", count)],
        )
        .unwrap();
        sum += (start..start + MESSAGES).sum::<i64>();
    }
    let params: Vec<(&str, i64)> = match poison_after {
        Some(k) => vec![("count", k), ("poison", 1)],
        None => vec![("count", -1)],
    };
    net.process("reader", "consume", &[shared], &[], &params).unwrap();
    (net, sum)
}

#[test]
fn a_fan_in_closes_after_every_message_across_seeds() {
    let started = Instant::now();
    let seeds = seeds();
    let count = seeds.end - seeds.start;
    for seed in seeds {
        for capacity in [0, 2] {
            for placement in [Placement::Spread, Placement::Packed] {
                let what = format!("capacity {capacity}, {placement}");
                let (net, sum) = fan_in(capacity, None);
                let report = run_seed(seed, &net, placement, &what);
                let reader = report.process("reader").unwrap();
                assert!(reader.finished, "seed {seed}, {what}: the close never arrived");
                assert_eq!(
                    reader.value,
                    WRITERS as u64 * MESSAGES as u64,
                    "seed {seed}, {what}: messages"
                );
                assert_eq!(reader.aux as i64, sum, "seed {seed}, {what}: sum");
            }
        }
    }
    eprintln!(
        "{count} seeds x 4 configurations of the fan-in in {:.1?}",
        started.elapsed()
    );
}

#[test]
fn a_readers_poison_stops_every_writer_across_seeds() {
    const TAKEN: i64 = 10;
    let started = Instant::now();
    let seeds = seeds();
    let count = seeds.end - seeds.start;
    for seed in seeds {
        for capacity in [0, 2] {
            let what = format!("capacity {capacity}, poison after {TAKEN}");
            let (net, _) = fan_in(capacity, Some(TAKEN));
            let report = run_seed(seed, &net, Placement::Spread, &what);
            assert_eq!(
                report.process("reader").unwrap().value,
                TAKEN as u64,
                "seed {seed}, {what}"
            );
            let mut sent = 0;
            for w in 0..WRITERS {
                let p = report.process(&format!("w{w}")).unwrap();
                assert!(p.finished, "seed {seed}, {what}: writer {w} must end by the poison");
                sent += p.value;
            }
            if capacity == 0 {
                assert_eq!(
                    sent, TAKEN as u64,
                    "seed {seed}, {what}: a rendezvous send completes only when taken"
                );
            } else {
                assert!(sent >= TAKEN as u64, "seed {seed}, {what}: sent {sent}");
            }
        }
    }
    eprintln!(
        "{count} seeds x 2 capacities of the poisoned fan-in in {:.1?}",
        started.elapsed()
    );
}
