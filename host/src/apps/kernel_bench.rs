//! `ecsp bench kernels`: users' C kernels against the built-in kinds doing
//! the same job, side by side on one chip, and what compiling a kernel
//! costs.
//!
//! Jobs (the kernels: `bench_kernels.c`, compiled as any user's):
//! - `map square f32[64]`: ramp -> square -> consume over rendezvous
//!   channels, the middle process the built-in `map fn=square` or a kernel;
//! - `map square f32[64], capacity 4`: the same over channels buffering
//!   four messages, where a kernel waits (and switches stacks) less often;
//! - `mandel f32[64]`: rows of the Mandelbrot set's picture -> escape
//!   counts -> consume, the middle the built-in `mandel` or a kernel;
//! - `commstime`: prefix, delta, succ and a timing consumer, all four
//!   built in or all four kernels.
//!
//! Each job's time is the consumer's clock over its timed messages (per
//! message; for commstime per communication), in nanoseconds on the
//! simulator and core-clock ticks on a chip. Rounds take turns, built-in
//! then kernel, and the best and the median of each side are reported.

use crate::chip::Chip;
use crate::kernels::cache::Cache;
use crate::kernels::sim::SimKinds;
use crate::kernels::{KernelError, KernelFile, UserKind};
use crate::network::{Network, NetworkError, Param};
use crate::plan::{plan, Placement, PlanError};
use crate::run::{run, KernelResult, RunError};
use ecsp_device::message::{Dtype, MsgType};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The benchmark's kernels.
pub const SOURCE: &str = include_str!("bench_kernels.c");

/// Why the benchmark could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KernelBenchError {
    /// A network could not be built.
    #[error(transparent)]
    Network(#[from] NetworkError),
    /// A network could not be planned.
    #[error(transparent)]
    Plan(#[from] Box<PlanError>),
    /// A run failed.
    #[error(transparent)]
    Run(#[from] Box<RunError>),
    /// The kernels could not be built.
    #[error(transparent)]
    Kernel(#[from] KernelError),
    /// A consumer gave no time.
    #[error("job `{job}`: its consumer reported no time")]
    NoTime {
        /// The job.
        job: String,
    },
}

/// One job's figures.
#[derive(Debug, Clone, serde::Serialize)]
pub struct JobResult {
    /// The job.
    pub job: String,
    /// Messages (commstime: communications) timed per round.
    pub messages: u64,
    /// Best round of the built-in, per message, in `unit`.
    pub builtin_ns: f64,
    /// Best round of the kernel, per message.
    pub user_ns: f64,
    /// `user_ns / builtin_ns`.
    pub ratio: f64,
    /// Median round of the built-in.
    pub builtin_median: f64,
    /// Median round of the kernel.
    pub user_median: f64,
    /// "ns" on the simulator, "ticks" of the core clock on a chip.
    pub unit: &'static str,
}

/// What compiling a new kernel file costs.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CompileCost {
    /// First build, from an empty cache, in milliseconds.
    pub cold_ms: f64,
    /// The same file again (from the cache), in milliseconds.
    pub cached_ms: f64,
}

fn kernels() -> Result<Arc<KernelFile>, KernelError> {
    KernelFile::from_source("ecsp-bench/bench_kernels.c", SOURCE)
}

/// The job's network: `middle` is a built-in kind name with params, or a
/// kernel. Returns it and the name of its timing consumer.
fn job_network(job: &str, user: bool, timed: u64, warmup: u64) -> Result<Network, KernelBenchError> {
    let mut net = Network::new();
    net.add_kernels(&kernels()?)?;
    let total = (timed + warmup) as i64;
    match job {
        "map square f32[64]" | "map square f32[64], capacity 4" => {
            let v = MsgType::vector(Dtype::F32, 64);
            let capacity = if job.ends_with("capacity 4") { 4 } else { 0 };
            let a = net.channel("a", v, capacity)?;
            let b = net.channel("b", v, capacity)?;
            net.process("ramp", "ramp", &[], &[a], &[("start", 0), ("count", total)])?;
            if user {
                net.process("square", "bench_square", &[a], &[b], &[])?;
            } else {
                net.process_with("square", "map", &[a], &[b], &[("fn", Param::Name("square".into()))])?;
            }
            net.process(
                "consume",
                "consume",
                &[b],
                &[],
                &[("count", timed as i64), ("warmup", warmup as i64)],
            )?;
        }
        "mandel f32[64]" => {
            let a = net.channel("rows", MsgType::vector(Dtype::F32, 4), 0)?;
            let b = net.channel("counts", MsgType::vector(Dtype::F32, 65), 0)?;
            net.process("rows", "bench_rows", &[], &[a], &[("count", total)])?;
            let kind = if user { "bench_mandel" } else { "mandel" };
            net.process(kind, kind, &[a], &[b], &[("iterations", 64)])?;
            net.process(
                "consume",
                "consume",
                &[b],
                &[],
                &[("count", timed as i64), ("warmup", warmup as i64)],
            )?;
        }
        _ => {
            // commstime
            if !user {
                return Ok(super::commstime::network(timed, warmup));
            }
            let ch = |net: &mut Network, name| net.channel(name, Dtype::U32, 0);
            let (a, b, c, d) = (
                ch(&mut net, "a")?,
                ch(&mut net, "b")?,
                ch(&mut net, "c")?,
                ch(&mut net, "d")?,
            );
            net.process("prefix", "bench_prefix", &[c], &[a], &[])?;
            net.process("delta", "bench_delta", &[a], &[b, d], &[])?;
            net.process("succ", "bench_succ", &[b], &[c], &[])?;
            net.process(
                "consume",
                "bench_consume",
                &[d],
                &[],
                &[("count", timed as i64), ("warmup", warmup as i64)],
            )?;
        }
    }
    Ok(net)
}

/// One round of a job: per message, in the chip's ticks.
fn round(chip: &dyn Chip, job: &str, user: bool, timed: u64, timeout: Duration) -> Result<f64, KernelBenchError> {
    let warmup = (timed / 10).max(1);
    let net = job_network(job, user, timed, warmup)?;
    let planned = plan(&net, chip.board(), Placement::Spread, &|k, d| chip.state_layout(k, d)).map_err(Box::new)?;
    let report = run(chip, &net, &planned, timeout).map_err(Box::new)?;
    let consumer = report.process("consume").expect("every job has a consumer");
    let ticks = match consumer.result {
        Some(KernelResult::Int(t)) => t as u64,
        _ => consumer.ticks,
    };
    if ticks == 0 {
        return Err(KernelBenchError::NoTime { job: job.to_string() });
    }
    // Commstime: four communications per timed loop.
    let per = if job == "commstime" { timed * 4 } else { timed };
    Ok(ticks as f64 / per as f64)
}

/// The jobs, in order.
pub const JOBS: [&str; 4] = [
    "map square f32[64]",
    "map square f32[64], capacity 4",
    "mandel f32[64]",
    "commstime",
];

/// Runs every job `rounds` times each way, taking turns, with `messages`
/// timed messages a round (commstime: loops).
pub fn bench(
    chip: &dyn Chip,
    messages: u64,
    rounds: u32,
    timeout: Duration,
) -> Result<Vec<JobResult>, KernelBenchError> {
    let to_unit = 1e9 / chip.ticks_per_second() as f64;
    let (unit, scale) = if chip.backend() == "sim" {
        ("ns", to_unit)
    } else {
        ("ticks", 1.0)
    };
    let mut out = Vec::new();
    for job in JOBS {
        let timed = if job == "mandel f32[64]" {
            (messages / 10).max(1)
        } else {
            messages
        };
        let (mut builtin, mut user) = (Vec::new(), Vec::new());
        for _ in 0..rounds.max(1) {
            builtin.push(round(chip, job, false, timed, timeout)? * scale);
            user.push(round(chip, job, true, timed, timeout)? * scale);
        }
        let best = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
        let median = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let (b, u) = (best(&builtin), best(&user));
        out.push(JobResult {
            job: job.to_string(),
            messages: timed,
            builtin_ns: b,
            user_ns: u,
            ratio: u / b,
            builtin_median: median(&mut builtin),
            user_median: median(&mut user),
            unit,
        });
    }
    Ok(out)
}

/// What compiling a kernel file the cache has never seen costs, and the
/// same file again: on the simulator its loadable object, compiled by the
/// host's compiler and loaded. A fresh cache directory under `scratch`.
pub fn compile_cost(scratch: &std::path::Path) -> Result<CompileCost, KernelBenchError> {
    let dir = scratch.join(format!("ecsp-bench-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let cache = Cache::at(&dir)?;
    let file = kernels()?;
    let kinds: Vec<Arc<UserKind>> = UserKind::of_file(&file).into_iter().map(Arc::new).collect();
    let started = Instant::now();
    SimKinds::load(&kinds, &cache)?;
    let cold = started.elapsed();
    let started = Instant::now();
    SimKinds::load(&kinds, &cache)?;
    let cached = started.elapsed();
    let _ = std::fs::remove_dir_all(&dir);
    Ok(CompileCost {
        cold_ms: cold.as_secs_f64() * 1e3,
        cached_ms: cached.as_secs_f64() * 1e3,
    })
}

/// What building a core's image for the chip costs, cold and cached: the
/// image of a core running the map job's kernel, in a fresh cache. Needs
/// an Epiphany compiler.
pub fn image_cost(scratch: &std::path::Path) -> Result<CompileCost, KernelBenchError> {
    use crate::kernels::image::{build, ImageSpec};
    let dir = scratch.join(format!("ecsp-bench-images-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let cache = Cache::at(&dir)?;
    let kinds: Vec<Arc<UserKind>> = UserKind::of_file(&kernels()?).into_iter().map(Arc::new).collect();
    let spec = ImageSpec {
        kinds: 0,
        dtypes: 0,
        kernels: vec![(ecsp_device::kernel::USER_KIND_BASE, kinds[0].clone())],
    };
    let started = Instant::now();
    build(&cache, &spec)?;
    let cold = started.elapsed();
    let started = Instant::now();
    build(&cache, &spec)?;
    let cached = started.elapsed();
    let _ = std::fs::remove_dir_all(&dir);
    Ok(CompileCost {
        cold_ms: cold.as_secs_f64() * 1e3,
        cached_ms: cached.as_secs_f64() * 1e3,
    })
}
