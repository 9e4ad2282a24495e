//! Helpers shared by the end-to-end tests in `tests/`.

use ecsp_host::board::Board;
use ecsp_host::sim::{SimChip, SimMode, SimOptions};

/// The seeds of a deterministic-mode sweep: `ECSP_SEEDS` of them (default
/// 1,000) from `ECSP_SEED_BASE` (default 0). A failing seed is printed by
/// each test; rerun it with `ECSP_SEED_BASE=<seed> ECSP_SEEDS=1`.
pub fn seeds() -> std::ops::Range<u64> {
    let var = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .map(|v| v.parse().unwrap_or_else(|_| panic!("{name}={v}: give a number")))
            .unwrap_or(default)
    };
    let base = var("ECSP_SEED_BASE", 0);
    base..base + var("ECSP_SEEDS", 1000)
}

/// A simulated Parallella-16 in the deterministic mode with `seed`.
pub fn det_chip(seed: u64) -> SimChip {
    let options = SimOptions {
        mode: SimMode::Deterministic { seed },
        ..SimOptions::default()
    };
    SimChip::with_options(Board::default(), options).expect("open a simulated parallella-16")
}

/// How long a test network may run before the test fails with the run's
/// timeout report.
pub const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Plans `net` on `chip` with `placement` and runs it within [`TIMEOUT`];
/// a planning or run error fails the test, naming `what`.
pub fn run_on(
    chip: &dyn ecsp_host::chip::Chip,
    net: &ecsp_host::network::Network,
    placement: ecsp_host::plan::Placement,
    what: &str,
) -> ecsp_host::run::RunReport {
    let plan = ecsp_host::plan::plan(net, chip.board(), placement, &|k, d| chip.state_layout(k, d))
        .unwrap_or_else(|e| panic!("{what}: plan failed: {e}"));
    ecsp_host::run::run(chip, net, &plan, TIMEOUT).unwrap_or_else(|e| panic!("{what}: run failed: {e}"))
}
