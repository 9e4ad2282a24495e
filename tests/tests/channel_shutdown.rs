//! Close and poison through whole networks on the threaded simulator: a
//! closed source drains a pipeline in order and loses nothing; a poisoned
//! channel stops every process of a network, including a commstime ring that
//! would otherwise run forever.

use ecsp_device::addr::GlobalAddr;
use ecsp_device::boot::{task_status, TaskRecord, BOOT_OFFSET};
use ecsp_device::message::Dtype;
use ecsp_host::board::Board;
use ecsp_host::chip::Chip;
use ecsp_host::network::Network;
use ecsp_host::plan::{plan, Placement};
use ecsp_host::sim::{SimChip, SimOptions};
use ecsp_tests::run_on;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(30);
/// `aux` of a built-in ended by poison (see device/src/process/builtin.rs).
const ENDED_BY_POISON: u64 = 1;
/// `aux` of a built-in ended by close.
const ENDED_BY_CLOSE: u64 = 0;

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

/// An endless generator -> id -> id -> a consumer that poisons after `n`.
fn poisoned_pipeline(n: i64, capacity: u32) -> Network {
    let mut net = Network::new();
    let a = net.channel("a", Dtype::I32, capacity).unwrap();
    let b = net.channel("b", Dtype::I32, capacity).unwrap();
    let c = net.channel("c", Dtype::I32, capacity).unwrap();
    net.process("gen", "generate", &[], &[a], &[("start", 1), ("count", -1)])
        .unwrap();
    net.process("id1", "id", &[a], &[b], &[]).unwrap();
    net.process("id2", "id", &[b], &[c], &[]).unwrap();
    net.process("sink", "consume", &[c], &[], &[("count", n), ("poison", 1)])
        .unwrap();
    net
}

#[test]
fn poison_from_the_consumer_stops_an_endless_pipeline() {
    const N: i64 = 500;
    for threads in [1, 2] {
        let chip = chip(threads);
        for capacity in [0, 1, 4] {
            for placement in [Placement::Spread, Placement::Packed] {
                let what = format!("{threads} threads, capacity {capacity}, {placement}");
                let report = run_on(&chip, &poisoned_pipeline(N, capacity), placement, "poisoned pipeline");
                let sink = report.process("sink").unwrap();
                assert_eq!(sink.value, N as u64, "{what}");
                assert_eq!(sink.aux as i64, N * (N + 1) / 2, "{what}: values in order, none lost");
                for name in ["gen", "id1", "id2"] {
                    let p = report.process(name).unwrap();
                    assert!(p.finished, "{what}: {name} must end when the poison reaches it");
                    if name != "gen" {
                        assert_eq!(p.aux, ENDED_BY_POISON, "{what}: {name} ended by poison");
                    }
                }
                // Each stage handled at least what the sink took; buffered
                // and in-flight messages were dropped by the poison.
                assert!(report.process("id2").unwrap().value >= N as u64, "{what}");
            }
        }
    }
}

#[test]
fn poison_stops_a_commstime_ring_that_never_ends_on_its_own() {
    const N: i64 = 300;
    for threads in [1, 2] {
        let chip = chip(threads);
        for placement in [Placement::Spread, Placement::Packed] {
            let mut net = Network::new();
            let [a, b, c, d] = ["a", "b", "c", "d"].map(|n| net.channel(n, Dtype::U32, 0).unwrap());
            net.process("prefix", "prefix", &[c], &[a], &[("value", 0)]).unwrap();
            net.process("delta", "delta", &[a], &[b, d], &[]).unwrap();
            net.process("succ", "succ", &[b], &[c], &[]).unwrap();
            net.process("consume", "consume", &[d], &[], &[("count", N), ("poison", 1)])
                .unwrap();
            let plan = plan(&net, chip.board(), placement, &|k, d| chip.state_layout(k, d)).unwrap();
            // `run` waits only for the consumer and stops the ring's
            // "forever" kinds; start the chip by hand and wait for all four.
            chip.reset().unwrap();
            for core in &plan.cores {
                chip.write(GlobalAddr::on_core(core.core, BOOT_OFFSET), &core.image)
                    .unwrap();
            }
            chip.start(&plan.cores.iter().map(|c| c.core).collect::<Vec<_>>())
                .unwrap();
            let deadline = Instant::now() + TIMEOUT;
            let records: Vec<TaskRecord> = loop {
                let records: Vec<TaskRecord> = (0..net.processes().len())
                    .map(|i| {
                        let (core_index, offset) = plan.records[i];
                        let mut r = TaskRecord::default();
                        chip.read(
                            GlobalAddr::on_core(plan.cores[core_index].core, offset),
                            bytemuck::bytes_of_mut(&mut r),
                        )
                        .unwrap();
                        r
                    })
                    .collect();
                if records.iter().all(|r| r.status == task_status::FINISHED) {
                    break records;
                }
                assert!(
                    Instant::now() < deadline,
                    "{threads} threads, {placement}: the ring did not stop after the poison: {records:?}"
                );
                chip.wait_event(Duration::from_millis(5));
            };
            chip.halt().unwrap();
            let consumer = records[3];
            assert_eq!(
                consumer.aux as i64,
                N * (N - 1) / 2,
                "{placement}: 0, 1, 2, ... in order"
            );
            for (name, r) in ["prefix", "delta", "succ"].iter().zip(&records) {
                assert_eq!(
                    r.aux, ENDED_BY_POISON,
                    "{threads} threads, {placement}: {name} ended by poison"
                );
            }
        }
    }
}

#[test]
fn closing_the_source_drains_a_buffered_pipeline_in_order() {
    const N: i64 = 2000;
    for threads in [1, 2] {
        let chip = chip(threads);
        for capacity in [0, 3, 64] {
            let mut net = Network::new();
            let a = net.channel("a", Dtype::I64, capacity).unwrap();
            let b = net.channel("b", Dtype::I64, capacity).unwrap();
            net.process("gen", "generate", &[], &[a], &[("start", 1), ("count", N)])
                .unwrap();
            net.process("succ", "succ", &[a], &[b], &[]).unwrap();
            net.process("sink", "consume", &[b], &[], &[("count", -1)]).unwrap();
            let report = run_on(&chip, &net, Placement::Spread, "close");
            let sink = report.process("sink").unwrap();
            assert_eq!(sink.value, N as u64, "capacity {capacity}: every message arrives");
            assert_eq!(sink.aux as i64, (2..=N + 1).sum::<i64>(), "capacity {capacity}");
            let succ = report.process("succ").unwrap();
            assert!(succ.finished, "succ ends when its input is closed");
            assert_eq!(
                (succ.value, succ.aux),
                (N as u64, ENDED_BY_CLOSE),
                "capacity {capacity}"
            );
        }
    }
}
