//! The fair merge (an alternation over up to eight inputs) in whole networks
//! on the threaded simulator: nothing lost or duplicated, every input's
//! values in their own order, the output closed once every input is.

use ecsp_device::message::Dtype;
use ecsp_host::board::Board;
use ecsp_host::chip::Chip;
use ecsp_host::network::Network;
use ecsp_host::plan::{plan, Placement};
use ecsp_host::run::run;
use ecsp_host::sim::{SimChip, SimOptions};
use std::time::Duration;

#[test]
fn merging_generators_loses_nothing_and_closes_when_all_inputs_close() {
    for threads in [1, 2] {
        let chip = SimChip::with_options(
            Board::default(),
            SimOptions {
                threads: Some(threads),
                ..SimOptions::default()
            },
        )
        .unwrap();
        for (inputs, capacity) in [(1, 0), (3, 0), (3, 4), (8, 1)] {
            for placement in [Placement::Spread, Placement::Packed] {
                let mut net = Network::new();
                let out = net.channel("out", Dtype::I64, capacity).unwrap();
                let mut ins = Vec::new();
                let mut expected_sum = 0i64;
                let mut expected_count = 0u64;
                for k in 0..inputs {
                    let ch = net.channel(&format!("in{k}"), Dtype::I64, capacity).unwrap();
                    // Generator k sends k*1000+1 ..= k*1000+n with n = 50 + 10k.
                    let n = 50 + 10 * k as i64;
                    let start = k as i64 * 1000 + 1;
                    net.process(
                        &format!("gen{k}"),
                        "generate",
                        &[],
                        &[ch],
                        &[("start", start), ("count", n)],
                    )
                    .unwrap();
                    expected_sum += (start..start + n).sum::<i64>();
                    expected_count += n as u64;
                    ins.push(ch);
                }
                net.process("merge", "merge", &ins, &[out], &[]).unwrap();
                net.process("sink", "consume", &[out], &[], &[("count", -1)]).unwrap();
                let plan = plan(&net, chip.board(), placement, &|k, d| chip.state_layout(k, d)).unwrap();
                let report = run(&chip, &net, &plan, Duration::from_secs(30)).unwrap();
                let what = format!("{threads} threads, {inputs} inputs, capacity {capacity}, {placement}");
                let sink = report.process("sink").unwrap();
                assert_eq!(sink.value, expected_count, "{what}: messages through the merge");
                assert_eq!(sink.aux as i64, expected_sum, "{what}: their sum");
                let merge = report.process("merge").unwrap();
                assert!(merge.finished, "{what}: the merge ends once every input is closed");
                assert_eq!(merge.value, expected_count, "{what}");
            }
        }
    }
}
