//! Any-to-one channels on the threaded simulator: every writer's messages
//! arrive, whole, once, in that writer's order; the channel closes when the
//! last writer closes; poison from the reader stops every writer; a reader
//! can alt over several any-to-one channels (the fair merge).

use ecsp_device::message::Dtype;
use ecsp_host::board::Board;
use ecsp_host::network::Network;
use ecsp_host::plan::Placement;
use ecsp_host::sim::{SimChip, SimOptions};
use ecsp_tests::run_on;

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

/// `writers` generators into one any-to-one channel, read by a consumer.
fn fan_in(writers: usize, capacity: u32, n: i64, reader_poisons_after: Option<i64>) -> (Network, i64, u64) {
    let mut net = Network::new();
    let shared = net.any2one("shared", Dtype::I64, capacity).unwrap();
    let mut sum = 0;
    let mut count = 0;
    for w in 0..writers {
        let start = w as i64 * 1_000_000 + 1;
        let count_w = if reader_poisons_after.is_some() { -1 } else { n };
        net.process(
            &format!("w{w}"),
            "generate",
            &[],
            &[shared],
            &[("start", start), ("count", count_w)],
        )
        .unwrap();
        sum += (start..start + n).sum::<i64>();
        count += n as u64;
    }
    let params: Vec<(&str, i64)> = match reader_poisons_after {
        Some(k) => vec![("count", k), ("poison", 1)],
        None => vec![("count", -1)],
    };
    net.process("reader", "consume", &[shared], &[], &params).unwrap();
    (net, sum, count)
}

#[test]
fn every_writer_is_heard_and_the_channel_closes_after_the_last() {
    for threads in [1, 2] {
        let chip = chip(threads);
        for (writers, capacity) in [(1, 0), (2, 0), (5, 0), (5, 3), (15, 1)] {
            for placement in [Placement::Spread, Placement::Packed] {
                let (net, sum, count) = fan_in(writers, capacity, 200, None);
                let report = run_on(&chip, &net, placement, "fan-in");
                let what = format!("{threads} threads, {writers} writers, capacity {capacity}, {placement}");
                let reader = report.process("reader").unwrap();
                assert_eq!(reader.value, count, "{what}: messages");
                assert_eq!(reader.aux as i64, sum, "{what}: sum");
                let totals = report.total_counters().unwrap();
                assert_eq!(totals.remote_reads, 0, "{what}: every poll local");
            }
        }
    }
}

#[test]
fn poison_from_the_reader_stops_every_writer() {
    for threads in [1, 2] {
        let chip = chip(threads);
        for capacity in [0, 2] {
            let (net, _, _) = fan_in(6, capacity, 0, Some(300));
            let report = run_on(&chip, &net, Placement::Spread, "fan-in");
            assert_eq!(report.process("reader").unwrap().value, 300);
            for w in 0..6 {
                let p = report.process(&format!("w{w}")).unwrap();
                assert!(
                    p.finished,
                    "{threads} threads, capacity {capacity}: writer {w} must end by the poison"
                );
            }
            // Every message a writer counted as sent was delivered (rendezvous)
            // or buffered; the reader took exactly 300.
            let sent: u64 = (0..6).map(|w| report.process(&format!("w{w}")).unwrap().value).sum();
            if capacity == 0 {
                assert_eq!(
                    sent, 300,
                    "{threads} threads: a rendezvous send completes only when taken"
                );
            } else {
                assert!(sent >= 300, "{threads} threads");
            }
        }
    }
}

#[test]
fn a_fair_merge_alts_over_any_to_one_channels() {
    for threads in [1, 2] {
        let chip = chip(threads);
        let mut net = Network::new();
        let out = net.channel("out", Dtype::I64, 0).unwrap();
        let mut inputs = Vec::new();
        let (mut sum, mut count) = (0i64, 0u64);
        for c in 0..3 {
            let shared = net.any2one(&format!("c{c}"), Dtype::I64, 1).unwrap();
            for w in 0..4 {
                let start = (c * 10 + w) as i64 * 1000 + 1;
                net.process(
                    &format!("w{c}_{w}"),
                    "generate",
                    &[],
                    &[shared],
                    &[("start", start), ("count", 50)],
                )
                .unwrap();
                sum += (start..start + 50).sum::<i64>();
                count += 50;
            }
            inputs.push(shared);
        }
        net.process("merge", "merge", &inputs, &[out], &[]).unwrap();
        net.process("sink", "consume", &[out], &[], &[("count", -1)]).unwrap();
        let report = run_on(&chip, &net, Placement::Spread, "fan-in");
        let sink = report.process("sink").unwrap();
        assert_eq!((sink.value, sink.aux as i64), (count, sum), "{threads} threads");
        assert!(report.process("merge").unwrap().finished);
    }
}
