//! Stressed Alt (Welch; JCSP's `jcspDemos/alting/StressedAlt.java`): many
//! writers hammer any-to-one channels with no delay while one reader
//! fair-selects over the channels. The point is fairness (every channel's
//! count grows at the same rate) and no lost data; the time per select is
//! the figure of merit.
//!
//! ```text
//!   w(0,0) .. w(0,W-1) ──► c0 ─┐
//!   ...                        ├─► alt_count (fair select × S, then poison)
//!   w(C-1,0) ..        ──► cC-1┘
//! ```
//! Rendezvous channels: a writer's send completes only once the reader has
//! taken the message, so "sent" (summed over writers) must equal "received".

use crate::board::Board;
use crate::chip::Chip;
use crate::network::Network;
use crate::plan::{plan, Placement, Plan, PlanError};
use crate::run::{run, RunError};
use ecsp_device::message::Dtype;
use std::time::Duration;

/// Most channels the reader alts over.
pub const MAX_CHANNELS: u32 = 8;

/// Stressed Alt results.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StressedAltResult {
    /// Board name.
    pub board: String,
    /// Any-to-one channels.
    pub channels: u32,
    /// Writers per channel.
    pub writers: u32,
    /// Selects timed.
    pub selects: u64,
    /// Nanoseconds per select.
    pub ns_per_select: f64,
    /// Largest deviation of one channel's count from the mean, in percent.
    pub max_count_deviation_pct: f64,
    /// Messages the writers completed sending that the reader did not receive.
    pub lost: u64,
    /// "threaded" or "deterministic".
    pub mode: &'static str,
    /// The deterministic schedule's seed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

/// Why the benchmark failed.
#[derive(Debug, thiserror::Error)]
pub enum StressedAltError {
    /// A size out of range.
    #[error("{0}")]
    Size(String),
    /// Planning failed.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The run failed.
    #[error(transparent)]
    Run(#[from] RunError),
}

/// The network: `channels` any-to-one channels of `writers` writers each.
///
/// The reader gets the first core to itself and the writers are dealt over
/// the other cores in turn, so no writer shares the reader's core: a writer
/// there would refill its channel without crossing the mesh and be served
/// more often than the others, which measures placement, not the select.
pub fn network(board: &Board, channels: u32, writers: u32, selects: u64) -> Result<Network, StressedAltError> {
    if channels == 0 || channels > MAX_CHANNELS {
        return Err(StressedAltError::Size(format!(
            "--channels {channels}: the reader alts over 1 to {MAX_CHANNELS} channels"
        )));
    }
    if writers == 0 || writers > ecsp_device::boot::MAX_LANES {
        return Err(StressedAltError::Size(format!(
            "--writers {writers}: an any-to-one channel takes 1 to {} writers",
            ecsp_device::boot::MAX_LANES
        )));
    }
    let mut net = Network::new();
    let chans: Vec<_> = (0..channels)
        .map(|c| net.any2one(&format!("c{c}"), Dtype::U32, 0).expect("fresh names"))
        .collect();
    let reader = net
        .process(
            "reader",
            "alt_count",
            &chans,
            &[],
            &[("selects", selects as i64), ("poison", 1)],
        )
        .expect("valid");
    net.pin(reader, 0, 0);
    let cores = board.rows * board.cols;
    let mut next = 0;
    for (c, &ch) in chans.iter().enumerate() {
        for w in 0..writers {
            let writer = net
                .process(
                    &format!("w{c}_{w}"),
                    "generate",
                    &[],
                    &[ch],
                    &[("start", 1), ("count", -1)],
                )
                .expect("valid");
            // Cores 1 .. cores-1 in turn (core 0 too on a one-core board).
            let core = if cores > 1 { 1 + next % (cores - 1) } else { 0 };
            next += 1;
            net.pin(writer, core / board.cols, core % board.cols);
        }
    }
    Ok(net)
}

/// The network and plan [`stressed_alt`] runs on `chip` (to name a trace's events).
pub fn plan_for(
    chip: &dyn Chip,
    channels: u32,
    writers: u32,
    selects: u64,
) -> Result<(Network, Plan), StressedAltError> {
    let net = network(chip.board(), channels, writers, selects)?;
    let plan = plan(&net, chip.board(), Placement::Spread, &|k, d| chip.state_layout(k, d))?;
    Ok((net, plan))
}

/// Runs Stressed Alt on `chip`.
pub fn stressed_alt(
    chip: &dyn Chip,
    channels: u32,
    writers: u32,
    selects: u64,
    timeout: Duration,
) -> Result<StressedAltResult, StressedAltError> {
    let (net, plan) = plan_for(chip, channels, writers, selects)?;
    let report = run(chip, &net, &plan, timeout)?;
    let reader = report.process("reader").expect("the benchmark has a reader");
    // Writers end by the reader's poison; the run may have stopped some
    // before they saw it, so count what every writer reported as sent.
    let sent: u64 = report
        .processes
        .iter()
        .filter(|p| p.kind == "generate")
        .map(|p| p.value)
        .sum();
    let seed = chip.schedule_seed();
    // The reader's ticks are virtual in the deterministic mode: there, time
    // the whole run on the host's clock instead.
    let ns_per_select = match seed {
        None => reader.ticks as f64 * 1e9 / chip.ticks_per_second() as f64 / reader.value.max(1) as f64,
        Some(_) => report.elapsed.as_nanos() as f64 / reader.value.max(1) as f64,
    };
    Ok(StressedAltResult {
        board: chip.board().name.clone(),
        channels,
        writers,
        selects: reader.value,
        ns_per_select,
        max_count_deviation_pct: reader.aux as f64 / 10_000.0,
        lost: sent.saturating_sub(reader.value),
        mode: if seed.is_some() { "deterministic" } else { "threaded" },
        seed,
    })
}
