//! Networks at scale: a 64-process pipeline on both boards and a
//! 1,000-process pipeline on the Parallella-64 (many processes per core).

use ecsp_device::message::Dtype;
use ecsp_host::board::Board;
use ecsp_host::chip::Chip;
use ecsp_host::network::Network;
use ecsp_host::plan::{plan, Placement};
use ecsp_host::run::run;
use ecsp_host::sim::SimChip;
use std::time::Duration;

/// generate(1..=n) -> `stages` ids -> consume.
fn pipeline(stages: usize, n: i64) -> Network {
    let mut net = Network::new();
    let mut prev = net.channel("c0", Dtype::I32, 1).unwrap();
    net.process("gen", "generate", &[], &[prev], &[("start", 1), ("count", n)])
        .unwrap();
    for s in 1..=stages {
        let next = net.channel(&format!("c{s}"), Dtype::I32, 1).unwrap();
        net.process(&format!("id{s}"), "id", &[prev], &[next], &[]).unwrap();
        prev = next;
    }
    net.process("sink", "consume", &[prev], &[], &[("count", -1)]).unwrap();
    net
}

fn check(board: &str, stages: usize, n: i64) {
    for placement in [Placement::Spread, Placement::Auto] {
        check_placed(board, stages, n, placement);
    }
}

fn check_placed(board: &str, stages: usize, n: i64, placement: Placement) {
    let chip = SimChip::new(Board::builtin(board).unwrap()).unwrap();
    let net = pipeline(stages, n);
    let plan = plan(&net, chip.board(), placement, &|k, d| chip.state_layout(k, d))
        .unwrap_or_else(|e| panic!("{board}, {stages} stages, {placement}: {e}"));
    if placement == Placement::Auto {
        // Balanced: at most ceil(processes / cores) per core.
        let cores = (chip.board().rows * chip.board().cols) as usize;
        let most = plan.cores.iter().map(|c| c.processes.len()).max().unwrap();
        assert!(
            most <= net.processes().len().div_ceil(cores),
            "{board}: {most} on one core"
        );
        // A pipeline folded onto the mesh: each channel on a core or one hop.
        assert!(
            plan.hop_cost(&net) <= net.channels().len() as u32,
            "{board}: hop cost {}",
            plan.hop_cost(&net)
        );
    }
    let report = run(&chip, &net, &plan, Duration::from_secs(60)).unwrap();
    let sink = report.process("sink").unwrap();
    assert_eq!(
        (sink.value as i64, sink.aux as i64),
        (n, n * (n + 1) / 2),
        "{board}, {stages} stages"
    );
    assert!(
        report.processes.iter().all(|p| p.finished),
        "{board}: the close reached every stage"
    );
}

#[test]
fn a_64_process_pipeline_on_both_boards() {
    check("parallella-16", 62, 200);
    check("parallella-64", 62, 200);
}

#[test]
fn a_1000_process_pipeline_on_the_parallella_64() {
    check("parallella-64", 998, 50);
}
