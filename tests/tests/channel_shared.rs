//! One-to-any and any-to-any channels on the threaded simulator (one and
//! two worker threads): every message reaches exactly one reader, whole and
//! once; a rendezvous hands a message only to a reader that asked; closing
//! every writer drains the channel into its readers, then closes each of
//! them; poison from any end stops every end. The deterministic sweep of
//! the same scenarios is `sim_deterministic_shared.rs`.

use ecsp_device::message::Dtype;
use ecsp_host::board::Board;
use ecsp_host::chip::Chip;
use ecsp_host::network::{ChanId, Network, NetworkError};
use ecsp_host::plan::{plan, Placement};
use ecsp_host::run::run;
use ecsp_host::sim::{SimChip, SimOptions};
use ecsp_tests::{run_on, TIMEOUT};

fn chip(threads: usize) -> SimChip {
    SimChip::with_options(
        Board::default(),
        SimOptions {
            threads: Some(threads),
            ..SimOptions::default()
        },
    )
    .unwrap()
}

/// The shared channel: one-to-any with one writer, any-to-any with more.
fn work_channel(net: &mut Network, writers: usize, capacity: u32) -> ChanId {
    if writers == 1 {
        net.one2any("work", Dtype::I64, capacity).unwrap()
    } else {
        net.any2any("work", Dtype::I64, capacity).unwrap()
    }
}

/// A farm: `writers` generators of `n` values each -> the shared channel ->
/// `workers` ids -> an any-to-one channel -> a consumer reading until every
/// worker closed. Returns the network and the sum of every value sent.
fn farm(writers: usize, workers: usize, capacity: u32, n: i64) -> (Network, i64) {
    let mut net = Network::new();
    let work = work_channel(&mut net, writers, capacity);
    let results = net.any2one("results", Dtype::I64, capacity).unwrap();
    let mut sum = 0;
    for w in 0..writers {
        let start = w as i64 * 1_000_000 + 1;
        net.process(
            &format!("gen{w}"),
            "generate",
            &[],
            &[work],
            &[("start", start), ("count", n)],
        )
        .unwrap();
        sum += (start..start + n).sum::<i64>();
    }
    for k in 0..workers {
        net.process(&format!("worker{k}"), "id", &[work], &[results], &[])
            .unwrap();
    }
    net.process("sink", "consume", &[results], &[], &[("count", -1)])
        .unwrap();
    (net, sum)
}

#[test]
fn a_farm_delivers_every_message_to_exactly_one_worker() {
    const N: i64 = 300;
    for threads in [1, 2] {
        let chip = chip(threads);
        for (writers, workers) in [(1, 3), (2, 3), (1, 1), (3, 2)] {
            for capacity in [0, 2] {
                for placement in [Placement::Spread, Placement::Packed] {
                    let what = format!(
                        "{threads} threads, {writers} writers, {workers} workers, capacity {capacity}, {placement}"
                    );
                    let (net, sum) = farm(writers, workers, capacity, N);
                    let report = run_on(&chip, &net, placement, &what);
                    let total = writers as u64 * N as u64;
                    let sink = report.process("sink").unwrap();
                    assert_eq!(sink.value, total, "{what}: messages");
                    assert_eq!(sink.aux as i64, sum, "{what}: sum");
                    let handled: u64 = (0..workers)
                        .map(|k| report.process(&format!("worker{k}")).unwrap().value)
                        .sum();
                    assert_eq!(handled, total, "{what}: each message handled by exactly one worker");
                    let reads = report.total_counters().unwrap().remote_reads;
                    if writers == 1 || capacity > 0 {
                        assert_eq!(reads, 0, "{what}: every poll local, no TESTSET");
                    } else {
                        // Only the any-to-any rendezvous takes claims, each a
                        // round trip counted as one remote read: at most one
                        // per writer per request (a request per message, plus
                        // the last one of each worker).
                        let bound = writers as u64 * (total + workers as u64);
                        assert!(reads <= bound, "{what}: {reads} TESTSETs, at most {bound}");
                        if placement == Placement::Spread {
                            assert!(reads >= total, "{what}: every answer claimed ({reads} TESTSETs)");
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn a_busy_worker_does_not_hold_up_the_others() {
    // Three workers, each of which reads exactly its share and stops: the
    // rendezvous must give every message to a worker that is asking, or a
    // worker that already stopped would sit on one and the generators hang.
    for threads in [1, 2] {
        let chip = chip(threads);
        for writers in [1, 2] {
            let mut net = Network::new();
            let work = work_channel(&mut net, writers, 0);
            for w in 0..writers {
                net.process(
                    &format!("gen{w}"),
                    "generate",
                    &[],
                    &[work],
                    &[("start", 1 + 100 * w as i64), ("count", 30)],
                )
                .unwrap();
            }
            let shares = [5i64, 10, 15 + 30 * (writers as i64 - 1)];
            for (k, share) in shares.iter().enumerate() {
                net.process(&format!("reader{k}"), "consume", &[work], &[], &[("count", *share)])
                    .unwrap();
            }
            let what = format!("{threads} threads, {writers} writers");
            let report = run_on(&chip, &net, Placement::Spread, &what);
            for (k, share) in shares.iter().enumerate() {
                let r = report.process(&format!("reader{k}")).unwrap();
                assert_eq!(r.value, *share as u64, "{what}: reader {k}");
            }
            for w in 0..writers {
                assert_eq!(report.process(&format!("gen{w}")).unwrap().value, 30, "{what}");
            }
        }
    }
}

/// `writers` endless generators into the shared channel, read by three
/// consumers; `reader0` poisons it after `taken` values.
fn poisoned_by_a_reader(writers: usize, capacity: u32, taken: i64) -> Network {
    let mut net = Network::new();
    let work = work_channel(&mut net, writers, capacity);
    for w in 0..writers {
        net.process(
            &format!("gen{w}"),
            "generate",
            &[],
            &[work],
            &[("start", 1), ("count", -1)],
        )
        .unwrap();
    }
    net.process("reader0", "consume", &[work], &[], &[("count", taken), ("poison", 1)])
        .unwrap();
    for k in 1..3 {
        net.process(&format!("reader{k}"), "consume", &[work], &[], &[("count", -1)])
            .unwrap();
    }
    net
}

#[test]
fn poison_from_one_reader_stops_every_writer_and_reader() {
    for threads in [1, 2] {
        let chip = chip(threads);
        for writers in [1, 2] {
            for capacity in [0, 3] {
                for placement in [Placement::Spread, Placement::Packed] {
                    let what = format!("{threads} threads, {writers} writers, capacity {capacity}, {placement}");
                    let net = poisoned_by_a_reader(writers, capacity, 100);
                    let report = run_on(&chip, &net, placement, &what);
                    assert_eq!(report.process("reader0").unwrap().value, 100, "{what}");
                    let mut taken = 0;
                    for k in 0..3 {
                        let r = report.process(&format!("reader{k}")).unwrap();
                        assert!(r.finished, "{what}: reader {k} must end by the poison");
                        taken += r.value;
                    }
                    let mut sent = 0;
                    for w in 0..writers {
                        let g = report.process(&format!("gen{w}")).unwrap();
                        assert!(g.finished, "{what}: writer {w} must end by the poison");
                        sent += g.value;
                    }
                    if capacity == 0 {
                        assert_eq!(sent, taken, "{what}: a rendezvous send completes only when taken");
                    } else {
                        assert!(sent >= taken, "{what}: sent {sent}, taken {taken}");
                    }
                }
            }
        }
    }
}

#[test]
fn poison_from_downstream_stops_a_farm() {
    // The consumer poisons the results after 50 values: the workers' sends
    // fail, they poison the shared channel, and that stops the generators.
    for threads in [1, 2] {
        let chip = chip(threads);
        for (writers, capacity) in [(1, 0), (2, 0), (2, 2)] {
            let mut net = Network::new();
            let work = work_channel(&mut net, writers, capacity);
            let results = net.any2one("results", Dtype::I64, capacity).unwrap();
            for w in 0..writers {
                net.process(
                    &format!("gen{w}"),
                    "generate",
                    &[],
                    &[work],
                    &[("start", 1), ("count", -1)],
                )
                .unwrap();
            }
            for k in 0..3 {
                net.process(&format!("worker{k}"), "id", &[work], &[results], &[])
                    .unwrap();
            }
            net.process("sink", "consume", &[results], &[], &[("count", 50), ("poison", 1)])
                .unwrap();
            let what = format!("{threads} threads, {writers} writers, capacity {capacity}");
            let report = run_on(&chip, &net, Placement::Spread, &what);
            assert_eq!(report.process("sink").unwrap().value, 50, "{what}");
            for w in 0..writers {
                assert!(report.process(&format!("gen{w}")).unwrap().finished, "{what}: gen{w}");
            }
        }
    }
}

#[test]
fn only_shared_kinds_take_several_ends() {
    let mut net = Network::new();
    let one = net.channel("one", Dtype::U32, 0).unwrap();
    let merge = net.any2one("merge", Dtype::U32, 0).unwrap();
    let fan = net.one2any("fan", Dtype::U32, 0).unwrap();
    let both = net.any2any("both", Dtype::U32, 0).unwrap();
    net.process("r1", "consume", &[one], &[], &[]).unwrap();
    let e = net.process("r2", "consume", &[one], &[], &[]).unwrap_err();
    assert!(matches!(e, NetworkError::EndUsedTwice { end: "read", .. }), "{e}");
    net.process("r3", "consume", &[merge], &[], &[]).unwrap();
    let e = net.process("r4", "consume", &[merge], &[], &[]).unwrap_err();
    assert!(e.to_string().contains("any-to-one channel has one reader"), "{e}");
    net.process("w1", "generate", &[], &[fan], &[]).unwrap();
    let e = net.process("w2", "generate", &[], &[fan], &[]).unwrap_err();
    assert!(e.to_string().contains("one-to-any channel has one writer"), "{e}");
    for k in 0..3 {
        net.process(&format!("f{k}"), "consume", &[fan], &[], &[]).unwrap();
        net.process(&format!("b{k}"), "consume", &[both], &[], &[]).unwrap();
        net.process(&format!("g{k}"), "generate", &[], &[both], &[]).unwrap();
    }
    // One process cannot take the same end twice, even of a shared channel.
    let e = net.process("twice", "merge", &[both, both], &[one], &[]).unwrap_err();
    assert!(e.to_string().contains("takes each end of a channel once"), "{e}");
    assert_eq!(net.channels()[fan.0].readers.len(), 3);
    assert_eq!(net.channels()[both.0].readers.len(), 3);
    assert_eq!(net.channels()[both.0].writers.len(), 3);
}

#[test]
fn hop_cost_counts_every_writer_reader_pair_once() {
    let chip = chip(1);
    let (net, _) = farm(2, 3, 0, 1);
    let plan = plan(&net, chip.board(), Placement::Spread, &|k, d| chip.state_layout(k, d)).unwrap();
    let hops = |a: &str, b: &str| {
        let core = |p: &str| plan.assignment[net.process_id(p).unwrap().0];
        core(a).hops_to(core(b))
    };
    let mut expected = 0;
    for g in ["gen0", "gen1"] {
        for w in ["worker0", "worker1", "worker2"] {
            expected += hops(g, w);
        }
    }
    for w in ["worker0", "worker1", "worker2"] {
        expected += hops(w, "sink");
    }
    assert_eq!(plan.hop_cost(&net), expected);
    assert!(expected > 6, "spread over several cores");
}

#[test]
fn a_shared_read_end_is_not_an_alternation_guard() {
    // `merge` alternates over its inputs: on a one-to-any channel that is
    // refused with a message that says why, instead of a silent hang.
    let chip = chip(1);
    let mut net = Network::new();
    let fan = net.one2any("fan", Dtype::U32, 0).unwrap();
    let out = net.channel("out", Dtype::U32, 0).unwrap();
    net.process("gen", "generate", &[], &[fan], &[("count", 3)]).unwrap();
    net.process("merge", "merge", &[fan], &[out], &[]).unwrap();
    net.process("other", "consume", &[fan], &[], &[("count", -1)]).unwrap();
    net.process("sink", "consume", &[out], &[], &[("count", -1)]).unwrap();
    let plan = plan(&net, chip.board(), Placement::Spread, &|k, d| chip.state_layout(k, d)).unwrap();
    let e = run(&chip, &net, &plan, TIMEOUT).unwrap_err().to_string();
    assert!(
        e.contains("merge") && e.contains("cannot be an alternation guard"),
        "{e}"
    );
}
