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
