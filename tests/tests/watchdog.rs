//! The timeout guard inside whole networks: the watchdog built-in forwards
//! while messages flow and poisons its channels when they stop, on the
//! threaded simulator (real time, the timer thread) and over 1,000 seeds of
//! the deterministic mode (virtual time jumps to the deadline when nothing
//! else can happen, so a starved network ends instead of deadlocking).

use ecsp_device::message::Dtype;
use ecsp_host::board::Board;
use ecsp_host::network::Network;
use ecsp_host::plan::Placement;
use ecsp_host::run::RunReport;
use ecsp_host::sim::{SimChip, SimOptions};
use ecsp_tests::{det_chip, run_on, seeds};

/// `aux` of a built-in that ended by poison (device/src/process/builtin.rs).
const ENDED_BY_POISON: u64 = 1;

/// generate(1..=n) -> watchdog -> consume: a flowing stream passes untouched.
fn flowing(n: i64, timeout_us: i64) -> Network {
    let mut net = Network::new();
    let a = net.channel("a", Dtype::I32, 0).unwrap();
    let b = net.channel("b", Dtype::I32, 0).unwrap();
    net.process("gen", "generate", &[], &[a], &[("start", 1), ("count", n)])
        .unwrap();
    net.process("dog", "watchdog", &[a], &[b], &[("timeout_us", timeout_us)])
        .unwrap();
    net.process("sink", "consume", &[b], &[], &[("count", -1)]).unwrap();
    net
}

/// A ring with no token in it, guarded by a watchdog, feeding a consumer
/// that wants ten values: without the watchdog this is a deadlock.
fn starved(timeout_us: i64) -> Network {
    let mut net = Network::new();
    let [a, b, c, d] = ["a", "b", "c", "d"].map(|n| net.channel(n, Dtype::I32, 0).unwrap());
    net.process("loop", "id", &[c], &[a], &[]).unwrap();
    net.process("dog", "watchdog", &[a], &[b], &[("timeout_us", timeout_us)])
        .unwrap();
    net.process("relay", "delta", &[b], &[c, d], &[]).unwrap();
    net.process("sink", "consume", &[d], &[], &[("count", 10)]).unwrap();
    net
}

fn check_flowing(report: &RunReport, n: i64, what: &str) {
    let sink = report.process("sink").unwrap();
    assert_eq!((sink.value as i64, sink.aux as i64), (n, n * (n + 1) / 2), "{what}");
    let dog = report.process("dog").unwrap();
    assert_eq!(
        (dog.value as i64, dog.aux),
        (n, 0),
        "{what}: forwarded all, ended by the close"
    );
}

fn check_starved(report: &RunReport, what: &str) {
    assert_eq!(report.process("sink").unwrap().value, 0, "{what}");
    let dog = report.process("dog").unwrap();
    assert!(dog.finished, "{what}: the watchdog fired");
    assert_eq!(dog.aux, ENDED_BY_POISON, "{what}");
}

#[test]
fn on_the_threaded_simulator() {
    for threads in [1, 2] {
        let options = SimOptions {
            threads: Some(threads),
            ..SimOptions::default()
        };
        let chip = SimChip::with_options(Board::default(), options).unwrap();
        for placement in [Placement::Spread, Placement::Packed] {
            let what = format!("{threads} threads, {placement}");
            // A second of silence allowed: the stream never pauses that long.
            check_flowing(&run_on(&chip, &flowing(300, 1_000_000), placement, &what), 300, &what);
            // 20 ms of silence ends the starved ring well before the run's timeout.
            check_starved(&run_on(&chip, &starved(20_000), placement, &what), &what);
        }
    }
}

#[test]
fn on_every_seed() {
    for seed in seeds() {
        let chip = det_chip(seed);
        let what = format!("seed {seed} (replay: ECSP_SEED_BASE={seed} ECSP_SEEDS=1)");
        let placement = if seed % 2 == 0 {
            Placement::Spread
        } else {
            Placement::Packed
        };
        // Virtual time: 1 ms is a million steps, far more than the stream needs.
        check_flowing(&run_on(&chip, &flowing(8, 1_000), placement, &what), 8, &what);
        check_starved(&run_on(&chip, &starved(1_000), placement, &what), &what);
    }
}
