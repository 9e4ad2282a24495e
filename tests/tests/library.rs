//! The built-in process library in whole networks, on the threaded simulator
//! and swept over seeds in the deterministic mode: merge, mux/demux, the
//! parallel delta, plus and tail each deliver every value once, in the right
//! place, and shut down cleanly.
//!
//! `ECSP_SEEDS=N` runs N seeds per sweep instead of 1,000 (`ECSP_SEED_BASE=B`
//! starts them at B; a failing seed is printed).

use ecsp_device::message::Dtype;
use ecsp_host::board::Board;
use ecsp_host::network::Network;
use ecsp_host::plan::Placement;
use ecsp_host::run::RunReport;
use ecsp_host::sim::{SimChip, SimOptions};
use ecsp_tests::{det_chip, run_on, seeds};

fn chips() -> Vec<(String, SimChip)> {
    [1, 2]
        .map(|t| {
            let options = SimOptions {
                threads: Some(t),
                ..SimOptions::default()
            };
            (
                format!("{t} threads"),
                SimChip::with_options(Board::default(), options).unwrap(),
            )
        })
        .into()
}

/// Three generators (k*100+1 ..= k*100+n) -> mux -> demux -> three
/// consumers: every consumer gets exactly its own generator's values.
fn mux_demux(n: i64, capacity: u32) -> Network {
    let mut net = Network::new();
    let line = net.channel("line", Dtype::I32, capacity).unwrap();
    let mut ins = Vec::new();
    let mut outs = Vec::new();
    for k in 0..3 {
        let i = net.channel(&format!("in{k}"), Dtype::I32, capacity).unwrap();
        let o = net.channel(&format!("out{k}"), Dtype::I32, capacity).unwrap();
        net.process(
            &format!("gen{k}"),
            "generate",
            &[],
            &[i],
            &[("start", k * 100 + 1), ("count", n)],
        )
        .unwrap();
        net.process(&format!("sink{k}"), "consume", &[o], &[], &[("count", -1)])
            .unwrap();
        ins.push(i);
        outs.push(o);
    }
    net.process("mux", "mux", &ins, &[line], &[]).unwrap();
    net.process("demux", "demux", &[line], &outs, &[]).unwrap();
    net
}

fn check_mux_demux(report: &RunReport, n: i64, what: &str) {
    for k in 0..3i64 {
        let sink = report.process(&format!("sink{k}")).unwrap();
        let expected: i64 = (k * 100 + 1..=k * 100 + n).sum();
        assert_eq!(
            (sink.value as i64, sink.aux as i64),
            (n, expected),
            "{what}: channel {k}"
        );
    }
    assert!(
        report.process("demux").unwrap().finished,
        "{what}: demux closes when mux does"
    );
}

/// Commstime with the parallel delta, ended by the consumer's poison.
fn par_commstime(n: i64) -> Network {
    let mut net = Network::new();
    let [a, b, c, d] = ["a", "b", "c", "d"].map(|name| net.channel(name, Dtype::U32, 0).unwrap());
    net.process("prefix", "prefix", &[c], &[a], &[("value", 0)]).unwrap();
    net.process("delta", "delta_par", &[a], &[b, d], &[]).unwrap();
    net.process("succ", "succ", &[b], &[c], &[]).unwrap();
    net.process("consume", "consume", &[d], &[], &[("count", n), ("poison", 1)])
        .unwrap();
    net
}

/// Three generators -> merge -> consume: the fair merge loses nothing.
fn merge(n: i64, capacity: u32) -> Network {
    let mut net = Network::new();
    let out = net.channel("out", Dtype::I64, capacity).unwrap();
    let ins: Vec<_> = (0..3)
        .map(|k| {
            let ch = net.channel(&format!("in{k}"), Dtype::I64, capacity).unwrap();
            net.process(
                &format!("gen{k}"),
                "generate",
                &[],
                &[ch],
                &[("start", k * 1000 + 1), ("count", n)],
            )
            .unwrap();
            ch
        })
        .collect();
    net.process("merge", "merge", &ins, &[out], &[]).unwrap();
    net.process("sink", "consume", &[out], &[], &[("count", -1)]).unwrap();
    net
}

/// generate(1..=n) -> tail -> consume: everything but the first value.
fn tail(n: i64) -> Network {
    let mut net = Network::new();
    let a = net.channel("a", Dtype::I64, 1).unwrap();
    let b = net.channel("b", Dtype::I64, 1).unwrap();
    net.process("gen", "generate", &[], &[a], &[("start", 1), ("count", n)])
        .unwrap();
    net.process("tail", "tail", &[a], &[b], &[]).unwrap();
    net.process("sink", "consume", &[b], &[], &[("count", -1)]).unwrap();
    net
}

#[test]
fn mux_and_demux_give_every_value_back_to_its_own_channel() {
    for (name, chip) in chips() {
        for capacity in [0, 2] {
            for placement in [Placement::Spread, Placement::Packed] {
                let what = format!("{name}, capacity {capacity}, {placement}");
                check_mux_demux(&run_on(&chip, &mux_demux(200, capacity), placement, &what), 200, &what);
            }
        }
    }
}

#[test]
fn the_parallel_delta_runs_commstime() {
    for (name, chip) in chips() {
        for placement in [Placement::Spread, Placement::Packed] {
            let report = run_on(&chip, &par_commstime(500), placement, &name);
            let consumer = report.process("consume").unwrap();
            assert_eq!(
                consumer.aux as i64,
                500 * 499 / 2,
                "{name}, {placement}: 0, 1, 2, ... in order"
            );
        }
    }
}

#[test]
fn tail_drops_exactly_the_first_value() {
    for (name, chip) in chips() {
        let report = run_on(&chip, &tail(100), Placement::Spread, &name);
        let sink = report.process("sink").unwrap();
        assert_eq!((sink.value, sink.aux as i64), (99, (2..=100).sum::<i64>()), "{name}");
    }
}

#[test]
fn the_library_is_right_on_every_seed() {
    for seed in seeds() {
        let chip = det_chip(seed);
        let what = format!("seed {seed} (replay: ECSP_SEED_BASE={seed} ECSP_SEEDS=1)");
        let placement = if seed % 2 == 0 {
            Placement::Spread
        } else {
            Placement::Packed
        };
        let capacity = (seed % 3) as u32;
        check_mux_demux(&run_on(&chip, &mux_demux(6, capacity), placement, &what), 6, &what);
        let report = run_on(&chip, &par_commstime(8), placement, &what);
        assert_eq!(report.process("consume").unwrap().aux, 28, "{what}: parallel delta");
        let report = run_on(&chip, &tail(8), placement, &what);
        assert_eq!(report.process("sink").unwrap().aux, 35, "{what}: tail");
        let report = run_on(&chip, &merge(5, capacity), placement, &what);
        let sink = report.process("sink").unwrap();
        assert_eq!((sink.value, sink.aux), (15, 15 + 5015 + 10015), "{what}: merge");
    }
}
