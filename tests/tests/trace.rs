//! Traces: every send, receive, block, alternation choice and finished
//! process of a run, as Chrome trace JSON, with the right counts, names and
//! order; the same trace again from the same seed; nothing when tracing is
//! off.

use ecsp_device::message::Dtype;
use ecsp_host::board::Board;
use ecsp_host::chip::Chip;
use ecsp_host::network::Network;
use ecsp_host::plan::{plan, Placement, Plan};
use ecsp_host::run::run;
use ecsp_host::sim::{SimChip, SimOptions};
use ecsp_host::trace::chrome_trace;
use ecsp_tests::det_chip;
use serde_json::Value;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(30);

/// generate(n) -> merge <- generate(n); merge -> consume.
fn network(n: i64) -> Network {
    let mut net = Network::new();
    let a = net.channel("a", Dtype::I32, 0).unwrap();
    let b = net.channel("b", Dtype::I32, 2).unwrap();
    let out = net.channel("out", Dtype::I32, 0).unwrap();
    net.process("left", "generate", &[], &[a], &[("count", n)]).unwrap();
    net.process("right", "generate", &[], &[b], &[("count", n)]).unwrap();
    net.process("merge", "merge", &[a, b], &[out], &[]).unwrap();
    net.process("sink", "consume", &[out], &[], &[("count", -1)]).unwrap();
    net
}

fn traced(chip: &SimChip, net: &Network, placement: Placement) -> (Plan, Value) {
    let plan = plan(net, chip.board(), placement, &|k, d| chip.state_layout(k, d)).unwrap();
    chip.set_tracing(true);
    run(chip, net, &plan, TIMEOUT).unwrap();
    let doc = chrome_trace(net, &plan, chip.ticks_per_second(), &chip.take_trace());
    chip.set_tracing(false);
    (plan, doc)
}

fn named<'a>(doc: &'a Value, name: &str) -> Vec<&'a Value> {
    doc["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["name"] == name)
        .collect()
}

fn check(doc: &Value, n: usize, what: &str) {
    for (name, count) in [
        ("left send a", n),
        ("right send b", n),
        ("merge receive a", n),
        ("merge receive b", n),
        ("merge send out", 2 * n),
        ("sink receive out", 2 * n),
        ("left finished", 1),
        ("right finished", 1),
        ("merge finished", 1),
        ("sink finished", 1),
    ] {
        assert_eq!(named(doc, name).len(), count, "{what}: {name}");
    }
    // merge chooses by alternation once per message it forwards.
    let choices = doc["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["name"].as_str().unwrap_or("").starts_with("merge alt chose guard"))
        .count();
    assert!(choices >= 2 * n, "{what}: {choices} choices");
    // Every core woke at least once (its start).
    assert!(!named(doc, "core wakes").is_empty(), "{what}");
    // Blocks are slices with a duration, on the process's core track.
    assert!(!named(doc, "sink waits to read out").is_empty(), "{what}");
    // Per core track, events in time order.
    let mut last: std::collections::HashMap<u64, f64> = Default::default();
    for e in doc["traceEvents"].as_array().unwrap() {
        if e["ph"] == "i" {
            let tid = e["tid"].as_u64().unwrap();
            let ts = e["ts"].as_f64().unwrap();
            assert!(ts >= *last.get(&tid).unwrap_or(&0.0), "{what}: out of order on {tid}");
            last.insert(tid, ts);
        }
    }
}

#[test]
fn a_trace_has_every_event_named_and_in_order() {
    let chip = SimChip::with_options(Board::default(), SimOptions::default()).unwrap();
    let net = network(25);
    for placement in [Placement::Spread, Placement::Packed] {
        let (plan, doc) = traced(&chip, &net, placement);
        check(&doc, 25, &format!("{placement}"));
        // One named track per core that ran something.
        let tracks = doc["traceEvents"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["name"] == "thread_name")
            .count();
        assert_eq!(tracks, plan.cores.len(), "{placement}");
    }
    // Tracing off: nothing is recorded.
    let plan = plan(&net, chip.board(), Placement::Spread, &|k, d| chip.state_layout(k, d)).unwrap();
    run(&chip, &net, &plan, TIMEOUT).unwrap();
    assert!(chip.take_trace().iter().all(|(_, events)| events.is_empty()));
}

#[test]
fn a_seed_replays_its_trace() {
    let net = network(10);
    let docs: Vec<Value> = (0..2)
        .map(|_| {
            let chip = det_chip(42);
            let (_, doc) = traced(&chip, &net, Placement::Spread);
            check(&doc, 10, "seed 42");
            doc
        })
        .collect();
    assert_eq!(docs[0], docs[1], "the same seed, the same trace, timestamps included");
}
