//! Commstime, the classic CSP benchmark (Welch's occam suite, as in JCSP's
//! `CommsTime` and PyCSP's `Commstime.py`):
//!
//! ```text
//!   Prefix(0) ──a──► Delta ──b──► Succ
//!       ▲              │            │
//!       └──────c───────┼────────────┘
//!                      └──d──► Consume (times N reads)
//! ```
//! Four rendezvous channels; Delta is the sequential one (b, then d). One
//! loop is four communications, so time per communication = loop time / 4.
//!
//! On a chip with a deterministic schedule (the simulator's deterministic
//! mode) the consumer's ticks are virtual (engine steps), so the time per
//! communication is the host's wall clock over the whole run instead, warmup
//! included, and the virtual steps per communication are reported beside it.

use crate::chip::Chip;
use crate::network::Network;
use crate::plan::{plan, Placement, Plan, PlanError};
use crate::run::{run, RunError};
use ecsp_device::message::Dtype;
use std::time::Duration;

/// Commstime results.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CommstimeResult {
    /// Board name.
    pub board: String,
    /// Placement used.
    pub placement: Placement,
    /// "threaded", or "deterministic" when the chip's schedule is a function
    /// of a seed; "silicon" on a real chip (the esdk backend).
    pub mode: &'static str,
    /// The seed of a deterministic schedule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Timed loops.
    pub iterations: u64,
    /// Nanoseconds per communication: measured by the consumer (threaded),
    /// or host wall-clock time over the whole run (deterministic).
    pub ns_per_comm: f64,
    /// Deterministic mode: the consumer's virtual ticks (engine steps) per
    /// timed communication.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps_per_comm: Option<f64>,
    /// Remote writes per communication (whole run, all cores); 0 on a
    /// backend that counts no traffic (esdk).
    pub remote_writes_per_comm: f64,
    /// Remote reads per communication (whole run, all cores); 0 likewise.
    pub remote_reads_per_comm: f64,
    /// Host threads the simulator used.
    pub host_threads: Option<usize>,
}

/// Why commstime failed.
#[derive(Debug, thiserror::Error)]
pub enum CommstimeError {
    /// Planning failed.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The run failed.
    #[error(transparent)]
    Run(#[from] RunError),
    /// The consumer saw the wrong values.
    #[error(
        "commstime computed the wrong sum: consumer read {got}, expected {expected} (a protocol bug: please report it)"
    )]
    WrongResult {
        /// What the consumer summed.
        got: i64,
        /// What 0, 1, 2, ... should sum to.
        expected: i64,
    },
}

/// Builds the commstime network for `iterations` timed loops after `warmup` untimed ones.
pub fn network(iterations: u64, warmup: u64) -> Network {
    let mut net = Network::new();
    let ch = |net: &mut Network, name| net.channel(name, Dtype::U32, 0).expect("fresh names");
    let (a, b, c, d) = (
        ch(&mut net, "a"),
        ch(&mut net, "b"),
        ch(&mut net, "c"),
        ch(&mut net, "d"),
    );
    net.process("prefix", "prefix", &[c], &[a], &[("value", 0)])
        .expect("valid");
    net.process("delta", "delta", &[a], &[b, d], &[]).expect("valid");
    net.process("succ", "succ", &[b], &[c], &[]).expect("valid");
    net.process(
        "consume",
        "consume",
        &[d],
        &[],
        // When done, the consumer poisons its input: the poison runs round
        // the ring (delta, then succ and prefix) and every process ends.
        &[("count", iterations as i64), ("warmup", warmup as i64), ("poison", 1)],
    )
    .expect("valid");
    net
}

/// Untimed loops before the timed ones.
fn warmup_for(iterations: u64) -> u64 {
    (iterations / 10).min(10_000)
}

/// The network and plan [`commstime`] runs on `chip` (to name a trace's events).
pub fn plan_for(chip: &dyn Chip, placement: Placement, iterations: u64) -> Result<(Network, Plan), CommstimeError> {
    let net = network(iterations, warmup_for(iterations));
    let plan = plan(&net, chip.board(), placement, &|k, d| chip.state_layout(k, d))?;
    Ok((net, plan))
}

/// Runs commstime on `chip`.
pub fn commstime(
    chip: &dyn Chip,
    placement: Placement,
    iterations: u64,
    timeout: Duration,
) -> Result<CommstimeResult, CommstimeError> {
    let (net, plan) = plan_for(chip, placement, iterations)?;
    let warmup = warmup_for(iterations);
    let report = run(chip, &net, &plan, timeout)?;
    let consumer = report.process("consume").expect("commstime has a consumer");
    // The consumer sees 0, 1, 2, ...: the timed reads are warmup..warmup+n.
    let (w, n) = (warmup as i64, iterations as i64);
    let expected = (w + n) * (w + n - 1) / 2 - w * (w - 1) / 2;
    let got = consumer.aux as i64;
    // u32 messages: compare modulo 2^32 per value is not needed below 2^32 values.
    if got != expected {
        return Err(CommstimeError::WrongResult { got, expected });
    }
    let comms = ((iterations + warmup) * 4) as f64;
    let totals = report.total_counters().unwrap_or_default();
    let seed = chip.schedule_seed();
    let consumer_ns = consumer.ticks as f64 * 1e9 / chip.ticks_per_second() as f64 / (iterations * 4) as f64;
    let (ns_per_comm, steps_per_comm) = match seed {
        None => (consumer_ns, None),
        Some(_) => (
            report.elapsed.as_nanos() as f64 / comms,
            Some(consumer.ticks as f64 / (iterations * 4) as f64),
        ),
    };
    Ok(CommstimeResult {
        board: chip.board().name.clone(),
        placement,
        mode: match (seed, chip.backend()) {
            (Some(_), _) => "deterministic",
            (None, "sim") => "threaded",
            (None, _) => "silicon",
        },
        seed,
        iterations,
        ns_per_comm,
        steps_per_comm,
        remote_writes_per_comm: totals.remote_writes as f64 / comms,
        remote_reads_per_comm: totals.remote_reads as f64 / comms,
        host_threads: None,
    })
}
