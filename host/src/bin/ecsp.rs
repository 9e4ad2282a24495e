//! `ecsp`: CSP networks on the Epiphany of the Parallella, or on its simulator.
//!
//! ```text
//! ecsp boards [--json]
//! ecsp kinds
//! ecsp demo [--board NAME|PATH] [--mode threaded|deterministic] [--seed N]
//!           [--backend sim|esdk] [--device-image PATH]
//! ecsp bench commstime [--board NAME|PATH] [--placement spread|packed] [--iterations N]
//!                      [--mode threaded|deterministic] [--seed N] [--json]
//!                      [--backend sim|esdk] [--device-image PATH]
//! ```
//! Errors print one line and exit with status 1.

use clap::{Parser, Subcommand, ValueEnum};
use ecsp_device::addr::{CoreId, SRAM_SIZE};
use ecsp_host::apps::commstime::{commstime, plan_for as commstime_plan};
use ecsp_host::apps::host_bench::host_channel_bench;
use ecsp_host::apps::serve::{serve, Feed};
use ecsp_host::apps::stressed_alt::{plan_for as stressed_alt_plan, stressed_alt};
use ecsp_host::board::Board;
use ecsp_host::chip::Chip;
use ecsp_host::kernels::check::{Check, Output as CheckOutput};
use ecsp_host::netfile;
use ecsp_host::network::ChanId;
use ecsp_host::network::Network;
use ecsp_host::plan::plan;
use ecsp_host::plan::{Placement, Plan};
use ecsp_host::run::KernelResult;
use ecsp_host::session::Session;
use ecsp_host::sim::{Idle, SimChip, SimMode, SimOptions};
use ecsp_host::trace::chrome_trace;
use ecsp_host::values::{format_message, parse_message};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "ecsp",
    version,
    about = "CSP message passing on the Epiphany many-core chip (simulated by default)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the built-in boards.
    Boards {
        /// One JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// List the process kinds: the built-in ones, and the kernels of the
    /// kernel files (.c) or network files (.toml) given.
    Kinds {
        /// Kernel files (.c) or network files (.toml) whose kernels to list too.
        files: Vec<PathBuf>,
    },
    /// The flagship demo: a prime sieve pipeline over every core of the chip.
    Demo {
        /// A built-in board name or the path of an HDF file.
        #[arg(long, default_value = "parallella-16")]
        board: String,
        /// Numbers to sieve: 2..=LIMIT.
        #[arg(long, default_value_t = 2000)]
        limit: u32,
        /// Seconds before the run is abandoned.
        #[arg(long, default_value_t = 60.0)]
        timeout: f64,
        #[command(flatten)]
        mode: ModeArgs,
        #[command(flatten)]
        backend: BackendArgs,
    },
    /// Place a network file on a board and show every core's memory, without running it.
    Plan {
        /// The network file (TOML).
        network: PathBuf,
        /// A built-in board name or an HDF path (default: the file's `board`, else parallella-16).
        #[arg(long)]
        board: Option<String>,
        /// Where processes without a pin go.
        #[arg(long, value_enum, default_value = "auto")]
        placement: PlacementArg,
        /// Also build every core's image for the chip (with the Epiphany
        /// compiler) and show its code bytes and its kernels' stack needs.
        #[arg(long)]
        code: bool,
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Run a network file on the simulated chip and print every process's result.
    Run {
        /// The network file (TOML).
        network: PathBuf,
        /// A built-in board name or an HDF path (default: the file's `board`, else parallella-16).
        #[arg(long)]
        board: Option<String>,
        /// Where processes without a pin go.
        #[arg(long, value_enum, default_value = "auto")]
        placement: PlacementArg,
        /// Seconds before the run is abandoned.
        #[arg(long, default_value_t = 60.0)]
        timeout: f64,
        /// Host threads for the simulated cores; threaded mode only.
        #[arg(long)]
        threads: Option<usize>,
        #[command(flatten)]
        mode: ModeArgs,
        #[command(flatten)]
        backend: BackendArgs,
        /// Record every send, receive, block, alternation choice and finished
        /// process and write them to FILE as Chrome trace JSON (Perfetto,
        /// chrome://tracing; a core keeps its first 262,144 events).
        #[arg(long, value_name = "FILE")]
        trace: Option<PathBuf>,
        /// Feed a channel no process writes from a file, one message a line
        /// (a vector's elements separated by spaces), then close it. Repeat
        /// for several channels.
        #[arg(long = "feed", value_name = "CHANNEL=FILE")]
        feeds: Vec<String>,
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
        /// No table of every process's result: only notes, the totals and
        /// the check's verdict.
        #[arg(long)]
        quiet: bool,
    },
    /// Benchmarks.
    Bench {
        #[command(subcommand)]
        bench: Bench,
    },
}

/// How the simulator schedules the cores.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ModeArg {
    /// A pool of host threads, as fast as it goes (the default).
    Threaded,
    /// One thread, a seed-chosen schedule, writes reordered as far as the
    /// chip allows; a seed replays its run exactly.
    Deterministic,
}

#[derive(clap::Args)]
struct ModeArgs {
    /// Simulator mode (default: threaded; deterministic when --seed is given).
    #[arg(long, value_enum)]
    mode: Option<ModeArg>,
    /// Seed of the deterministic schedule (default: a fresh one, printed).
    #[arg(long)]
    seed: Option<u64>,
    /// What the simulator's idle threads do (threaded mode; default: park).
    #[arg(long, value_enum)]
    idle: Option<IdleArg>,
}

/// What the simulator's idle threads do.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum IdleArg {
    /// Sleep until woken: a waiting network burns no CPU (the default).
    Park,
    /// Spin (up to 50 ms) before sleeping: no OS wake-ups in a stream or a
    /// benchmark; each waiting thread keeps a CPU busy.
    Spin,
}

impl IdleArg {
    fn idle(arg: Option<IdleArg>) -> Idle {
        match arg {
            None | Some(IdleArg::Park) => Idle::Park,
            Some(IdleArg::Spin) => Idle::Spin,
        }
    }
}

impl ModeArgs {
    /// The simulator options given, for a backend that has none.
    fn given(&self) -> [(&'static str, bool); 3] {
        [
            ("--mode", self.mode.is_some()),
            ("--seed", self.seed.is_some()),
            ("--idle", self.idle.is_some()),
        ]
    }

    /// The mode and the idle policy (refused with the deterministic mode,
    /// whose one thread steps the chip only while the host waits).
    fn resolve(&self) -> Result<(SimMode, Idle), AnyError> {
        let mode = self.resolve_mode()?;
        if let (SimMode::Deterministic { .. }, Some(_)) = (mode, self.idle) {
            return Err(
                "--idle applies to the threaded mode: a deterministic chip steps only while the host waits".into(),
            );
        }
        Ok((mode, IdleArg::idle(self.idle)))
    }

    fn resolve_mode(&self) -> Result<SimMode, AnyError> {
        match (self.mode, self.seed) {
            (Some(ModeArg::Threaded), Some(seed)) => Err(format!(
                "--seed {seed} needs --mode deterministic: the threaded mode's schedule is the host's"
            )
            .into()),
            (Some(ModeArg::Threaded), None) | (None, None) => Ok(SimMode::Threaded),
            (_, Some(seed)) => Ok(SimMode::Deterministic { seed }),
            (Some(ModeArg::Deterministic), None) => Ok(SimMode::Deterministic {
                seed: fastrand::u64(..),
            }),
        }
    }
}

/// Which chip runs the network.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BackendArg {
    /// The simulated chip (the default).
    Sim,
    /// The board's Epiphany, through the eSDK's e-hal (an ecsp built with
    /// `--features esdk`, on a Parallella).
    Esdk,
}

#[derive(clap::Args)]
struct BackendArgs {
    /// The chip: the simulator, or the board's Epiphany through the eSDK.
    #[arg(long, value_enum, default_value = "sim")]
    backend: BackendArg,
    /// The device image the esdk backend loads on every core (default: the
    /// ecsp-device.elf ecsp was built with).
    #[arg(long, value_name = "PATH")]
    device_image: Option<PathBuf>,
}

impl BackendArgs {
    /// Opens the chip of `board`: the simulator with `sim`, or the eSDK's.
    /// `sim_flags` are the simulator's options and whether each was given:
    /// the esdk backend refuses them. Also returns the simulator's threads.
    fn open(
        &self,
        board: Board,
        sim: SimOptions,
        sim_flags: &[(&str, bool)],
    ) -> Result<(Arc<dyn Chip>, Option<usize>), AnyError> {
        match self.backend {
            BackendArg::Sim => {
                if let Some(path) = &self.device_image {
                    return Err(format!(
                        "--device-image {}: only --backend esdk loads a device image; the simulator runs the runtime built into ecsp",
                        path.display()
                    )
                    .into());
                }
                let chip = SimChip::with_options(board, sim)?;
                let threads = chip.threads();
                Ok((Arc::new(chip), Some(threads)))
            }
            BackendArg::Esdk => {
                if !ecsp_host::esdk::COMPILED_IN {
                    return Err(ecsp_host::esdk::EsdkError::NotCompiled.into());
                }
                if let Some((flag, _)) = sim_flags.iter().find(|(_, given)| *given) {
                    return Err(
                        format!("{flag} is a simulator option; --backend esdk runs on the board's Epiphany").into(),
                    );
                }
                Ok((ecsp_host::esdk::open(board, self.device_image.clone())?, None))
            }
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum PlacementArg {
    /// Short channels on the mesh, processes spread evenly (the mapper).
    Auto,
    /// One process per core, in declaration order along a snake through the mesh.
    Spread,
    /// All processes on one core.
    Packed,
}

#[derive(Subcommand)]
enum Bench {
    /// Users' C kernels against the built-in kinds doing the same job, side
    /// by side; and what compiling a kernel costs.
    Kernels {
        /// A built-in board name or the path of an HDF file.
        #[arg(long, default_value = "parallella-16")]
        board: String,
        /// Timed messages a round (commstime: loops; mandel: a tenth).
        #[arg(long, default_value_t = 20_000)]
        messages: u64,
        /// Rounds of each job, built-in and kernel taking turns.
        #[arg(long, default_value_t = 5)]
        rounds: u32,
        /// Host threads for the simulated cores (default and maximum: the
        /// host's CPUs).
        #[arg(long)]
        threads: Option<usize>,
        /// What waiting simulator threads do: park (the default) or spin.
        #[arg(long, value_enum)]
        idle: Option<IdleArg>,
        #[command(flatten)]
        backend: BackendArgs,
        /// Seconds before a run is abandoned.
        #[arg(long, default_value_t = 600.0)]
        timeout: f64,
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Commstime: Prefix -> Delta -> Succ -> Prefix, Delta -> Consume; ns per communication.
    Commstime {
        /// A built-in board name or the path of an HDF file.
        #[arg(long, default_value = "parallella-16")]
        board: String,
        /// Where the four processes go.
        #[arg(long, value_enum, default_value = "spread")]
        placement: PlacementArg,
        /// Timed loops (four communications each).
        #[arg(long, default_value_t = 200_000)]
        iterations: u64,
        /// Host threads for the simulated cores (default and maximum: the
        /// host's CPUs); threaded mode only.
        #[arg(long)]
        threads: Option<usize>,
        #[command(flatten)]
        mode: ModeArgs,
        #[command(flatten)]
        backend: BackendArgs,
        /// Seconds before the run is abandoned.
        #[arg(long, default_value_t = 120.0)]
        timeout: f64,
        /// Record every send, receive, block, alternation choice and finished
        /// process and write them to FILE as Chrome trace JSON (Perfetto,
        /// chrome://tracing; a core keeps its first 262,144 events).
        #[arg(long, value_name = "FILE")]
        trace: Option<PathBuf>,
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Stressed Alt: writers hammer any-to-one channels, one reader fair-selects; ns per select.
    StressedAlt {
        /// A built-in board name or the path of an HDF file.
        #[arg(long, default_value = "parallella-16")]
        board: String,
        /// Any-to-one channels the reader selects over (1 to 8).
        #[arg(long, default_value_t = 8)]
        channels: u32,
        /// Writers on each channel (1 to 64).
        #[arg(long, default_value_t = 8)]
        writers: u32,
        /// Selects timed.
        #[arg(long, default_value_t = 100_000)]
        selects: u64,
        /// Host threads for the simulated cores (default and maximum: the
        /// host's CPUs); threaded mode only.
        #[arg(long)]
        threads: Option<usize>,
        #[command(flatten)]
        mode: ModeArgs,
        /// Seconds before the run is abandoned.
        #[arg(long, default_value_t = 120.0)]
        timeout: f64,
        /// Record every send, receive, block, alternation choice and finished
        /// process and write them to FILE as Chrome trace JSON (Perfetto,
        /// chrome://tracing; a core keeps its first 262,144 events).
        #[arg(long, value_name = "FILE")]
        trace: Option<PathBuf>,
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Host channels: bytes per second host -> device and device -> host, per message size.
    HostChannel {
        /// A built-in board name or the path of an HDF file.
        #[arg(long, default_value = "parallella-16")]
        board: String,
        /// Message sizes in bytes (1 to 4096), comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "4,64,256,1024,4096")]
        sizes: Vec<u32>,
        /// Messages per size and direction.
        #[arg(long, default_value_t = 20_000)]
        messages: u64,
        /// Channel buffer in messages (0: rendezvous).
        #[arg(long, default_value_t = 16)]
        capacity: u32,
        /// Host threads for the simulated cores (default and maximum: the
        /// host's CPUs).
        #[arg(long)]
        threads: Option<usize>,
        /// What the simulator's idle threads and the host's waits do: spin
        /// measures ecsp's own cost per message (with `--threads 1` on a
        /// two-CPU host) rather than the OS's wake-ups.
        #[arg(long, value_enum)]
        idle: Option<IdleArg>,
        /// Seconds before a measurement is abandoned.
        #[arg(long, default_value_t = 120.0)]
        timeout: f64,
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut out = std::io::stdout().lock();
    match execute(cli.command, &mut out) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`ecsp boards | head`): not an error of ours.
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ecsp: error: {e}");
            ExitCode::FAILURE
        }
    }
}

type AnyError = Box<dyn std::error::Error>;

fn timeout_of(seconds: f64) -> Result<Duration, AnyError> {
    Duration::try_from_secs_f64(seconds)
        .map_err(|_| format!("--timeout {seconds}: give a positive number of seconds").into())
}

fn execute(command: Command, out: &mut dyn Write) -> Result<(), AnyError> {
    match command {
        Command::Boards { json } => boards(json, out),
        Command::Kinds { files } => {
            // Every file read first: a mistake in one is said before any list.
            let mut listed = Vec::new();
            for file in &files {
                let kinds: Vec<Arc<ecsp_host::kernels::UserKind>> = if file.extension().is_some_and(|e| e == "toml") {
                    netfile::load(file)?.network.user_kinds().to_vec()
                } else {
                    ecsp_host::kernels::UserKind::of_file(&ecsp_host::kernels::KernelFile::open(file)?)
                        .into_iter()
                        .map(Arc::new)
                        .collect()
                };
                listed.push((file, kinds));
            }
            writeln!(out, "built-in kinds:")?;
            for k in ecsp_device::process::KINDS {
                let params = if k.params.is_empty() {
                    String::new()
                } else {
                    let described: Vec<String> = k
                        .params
                        .iter()
                        .map(|p| match k.choices.iter().find(|(name, _)| name == p) {
                            Some((_, names)) => format!("{p} = {}", names.join("|")),
                            None if k.float_params.contains(p) => format!("{p} (real)"),
                            None => p.to_string(),
                        })
                        .collect();
                    format!(" ({})", described.join(", "))
                };
                writeln!(out, "  {:<10} {}{}", k.name, k.summary, params)?;
            }
            for (file, kinds) in listed {
                writeln!(out, "kernels of {}:", file.display())?;
                for k in kinds {
                    writeln!(out, "  {:<10} {} ({})", k.decl.name, k.decl.summary, k.decl.signature())?;
                    writeln!(
                        out,
                        "  {:<10} stack {} bytes{}; {}",
                        "",
                        k.decl.stack(),
                        if k.decl.forever() { ", runs until stopped" } else { "" },
                        k.origin()
                    )?;
                }
            }
            Ok(())
        }
        Command::Plan {
            network,
            board,
            placement,
            code,
            json,
        } => plan_command(&network, board, placement, code, json, out),
        Command::Run {
            network,
            board,
            placement,
            timeout,
            threads,
            mode,
            backend,
            trace,
            feeds,
            json,
            quiet,
        } => run_command(
            &network,
            RunArgs {
                board,
                placement,
                timeout,
                threads,
                mode,
                backend,
                trace,
                feeds,
                json,
                quiet,
            },
            out,
        ),
        Command::Demo {
            board,
            limit,
            timeout,
            mode,
            backend,
        } => {
            let board = Board::load(&board)?;
            let (sim_mode, idle) = mode.resolve()?;
            let sim = SimOptions {
                mode: sim_mode,
                idle,
                ..SimOptions::default()
            };
            let (chip, _) = backend.open(board, sim, &mode.given())?;
            if let Some(seed) = chip.schedule_seed() {
                writeln!(out, "deterministic simulator, seed {seed} (replay with --seed {seed})")?;
            }
            ecsp_host::apps::demo::run_demo(&*chip, limit, timeout_of(timeout)?, out)
        }
        Command::Bench {
            bench: bench @ Bench::StressedAlt { .. },
        } => stressed_alt_command(bench, out),
        Command::Bench {
            bench:
                Bench::Kernels {
                    board,
                    messages,
                    rounds,
                    threads,
                    idle,
                    backend,
                    timeout,
                    json,
                },
        } => kernel_bench_command(
            Board::load(&board)?,
            (messages, rounds, threads, IdleArg::idle(idle)),
            backend,
            timeout_of(timeout)?,
            json,
            out,
        ),
        Command::Bench {
            bench:
                Bench::HostChannel {
                    board,
                    sizes,
                    messages,
                    capacity,
                    threads,
                    idle,
                    timeout,
                    json,
                },
        } => {
            if messages == 0 {
                return Err("--messages 0: give at least 1".into());
            }
            let chip = Arc::new(SimChip::with_options(
                Board::load(&board)?,
                SimOptions {
                    threads,
                    mode: SimMode::Threaded,
                    idle: IdleArg::idle(idle),
                },
            )?);
            let results = host_channel_bench(chip.clone(), &sizes, messages, capacity, timeout_of(timeout)?)?;
            if json {
                let doc = serde_json::json!({
                    "board": chip.board().name,
                    "capacity": capacity,
                    "host_threads": chip.threads(),
                    "idle": IdleArg::idle(idle).name(),
                    "results": results,
                });
                writeln!(out, "{}", serde_json::to_string(&doc)?)?;
            } else {
                writeln!(
                    out,
                    "host channels on simulated {}, buffer {capacity}, {} host threads (idle: {}), {messages} messages each",
                    chip.board().name,
                    chip.threads(),
                    IdleArg::idle(idle).name()
                )?;
                writeln!(
                    out,
                    "  {:<16} {:>8} {:>8} {:>14} {:>12}",
                    "direction", "bytes", "buffer", "MB/s", "ns/message"
                )?;
                for r in &results {
                    writeln!(
                        out,
                        "  {:<16} {:>8} {:>8} {:>14.1} {:>12.0}",
                        r.direction,
                        r.msg_bytes,
                        r.capacity,
                        r.bytes_per_second / 1e6,
                        r.ns_per_message
                    )?;
                }
            }
            Ok(())
        }
        Command::Bench {
            bench:
                Bench::Commstime {
                    board,
                    placement,
                    iterations,
                    threads,
                    mode,
                    backend,
                    timeout,
                    trace,
                    json,
                },
        } => {
            if iterations == 0 {
                return Err("--iterations 0: give at least 1 loop".into());
            }
            let sim_flags = [("--threads", threads.is_some()), ("--trace", trace.is_some())];
            let sim_flags = [mode.given().as_slice(), &sim_flags].concat();
            let (mode, idle) = mode.resolve()?;
            if let (SimMode::Deterministic { .. }, Some(t)) = (mode, threads) {
                return Err(format!("--threads {t}: the deterministic mode runs on one host thread").into());
            }
            let board = Board::load(&board)?;
            let (chip, threads) = backend.open(board, SimOptions { threads, mode, idle }, &sim_flags)?;
            let placement = placement_of(placement);
            chip.set_tracing(trace.is_some());
            let result = commstime(&*chip, placement, iterations, timeout_of(timeout)?);
            if let Some(path) = &trace {
                let (net, plan) = commstime_plan(&*chip, placement, iterations)?;
                write_trace(&*chip, &net, &plan, path)?;
            }
            let mut result = result?;
            result.host_threads = threads;
            if json {
                writeln!(out, "{}", serde_json::to_string(&result)?)?;
            } else {
                match (result.seed, threads) {
                    (None, None) => writeln!(out, "commstime on {} ({})", result.board, chip.backend())?,
                    (None, Some(threads)) => writeln!(
                        out,
                        "commstime on simulated {} ({}), {threads} host threads",
                        result.board,
                        chip.backend(),
                    )?,
                    (Some(seed), _) => writeln!(
                        out,
                        "commstime on simulated {} ({}), deterministic mode, seed {seed} (replay with --seed {seed})",
                        result.board,
                        chip.backend(),
                    )?,
                }
                writeln!(out, "  placement                {}", result.placement)?;
                writeln!(out, "  iterations               {}", result.iterations)?;
                match result.steps_per_comm {
                    None => writeln!(out, "  ns per communication     {:.1}", result.ns_per_comm)?,
                    Some(steps) => {
                        writeln!(
                            out,
                            "  ns per communication     {:.1} (host wall clock)",
                            result.ns_per_comm
                        )?;
                        writeln!(out, "  steps per communication  {steps:.1} (virtual)")?;
                    }
                }
                if chip.counters().is_some() {
                    writeln!(out, "  remote writes per comm   {:.2}", result.remote_writes_per_comm)?;
                    writeln!(out, "  remote reads per comm    {:.2}", result.remote_reads_per_comm)?;
                }
            }
            Ok(())
        }
    }
}

fn stressed_alt_command(bench: Bench, out: &mut dyn Write) -> Result<(), AnyError> {
    let Bench::StressedAlt {
        board,
        channels,
        writers,
        selects,
        threads,
        mode,
        timeout,
        trace,
        json,
    } = bench
    else {
        unreachable!("called for stressed-alt only")
    };
    if selects == 0 {
        return Err("--selects 0: give at least 1 select".into());
    }
    let (mode, idle) = mode.resolve()?;
    if let (SimMode::Deterministic { .. }, Some(t)) = (mode, threads) {
        return Err(format!("--threads {t}: the deterministic mode runs on one host thread").into());
    }
    let board = Board::load(&board)?;
    let chip = SimChip::with_options(board, SimOptions { threads, mode, idle })?;
    chip.set_tracing(trace.is_some());
    let result = stressed_alt(&chip, channels, writers, selects, timeout_of(timeout)?);
    if let Some(path) = &trace {
        let (net, plan) = stressed_alt_plan(&chip, channels, writers, selects)?;
        write_trace(&chip, &net, &plan, path)?;
    }
    let result = result?;
    if json {
        writeln!(out, "{}", serde_json::to_string(&result)?)?;
    } else {
        match result.seed {
            None => writeln!(
                out,
                "stressed alt on simulated {} ({}), {} host threads",
                result.board,
                chip.backend(),
                chip.threads()
            )?,
            Some(seed) => writeln!(
                out,
                "stressed alt on simulated {} ({}), deterministic mode, seed {seed} (replay with --seed {seed})",
                result.board,
                chip.backend()
            )?,
        }
        writeln!(
            out,
            "  channels x writers       {} x {}",
            result.channels, result.writers
        )?;
        writeln!(out, "  selects                  {}", result.selects)?;
        let clock = if result.seed.is_some() {
            " (host wall clock)"
        } else {
            ""
        };
        writeln!(out, "  ns per select            {:.1}{clock}", result.ns_per_select)?;
        writeln!(
            out,
            "  max count deviation      {:.2} %",
            result.max_count_deviation_pct
        )?;
        writeln!(out, "  lost                     {}", result.lost)?;
    }
    Ok(())
}

fn placement_of(arg: PlacementArg) -> Placement {
    match arg {
        PlacementArg::Auto => Placement::Auto,
        PlacementArg::Spread => Placement::Spread,
        PlacementArg::Packed => Placement::Packed,
    }
}

/// The network of a file and the board to put it on (--board, else the
/// file's, else the default).
fn load_network(path: &Path, board: Option<String>) -> Result<(Network, Board, Option<PathBuf>), AnyError> {
    let loaded = netfile::load(path)?;
    let board = match board.or(loaded.board) {
        Some(b) => Board::load(&b)?,
        None => Board::default(),
    };
    Ok((loaded.network, board, loaded.check))
}

fn plan_command(
    path: &Path,
    board: Option<String>,
    placement: PlacementArg,
    with_code: bool,
    json: bool,
    out: &mut dyn Write,
) -> Result<(), AnyError> {
    let (net, board, _) = load_network(path, board)?;
    // Planning needs the device image's state sizes: the simulator's.
    let chip = SimChip::new(board)?;
    let plan = plan(&net, chip.board(), placement_of(placement), &|k, d| {
        chip.state_layout(k, d)
    })?;
    // Each core's image for the chip, when asked: its code, its kernels'
    // stack needs, and whether it fits.
    let code: Vec<Option<CoreCode>> = if with_code {
        core_code(&net, &plan)?
    } else {
        vec![None; plan.cores.len()]
    };
    let core_of = |c: CoreId| (c.row() - chip.board().first_row, c.col() - chip.board().first_col);
    if json {
        let cores: Vec<_> = plan
            .cores
            .iter()
            .map(|c| {
                serde_json::json!({
                    "core": format!("{:#05x}", c.core.raw()),
                    "row": core_of(c.core).0,
                    "col": core_of(c.core).1,
                    "processes": c.processes.iter().map(|p| net.processes()[p.0].name.clone()).collect::<Vec<_>>(),
                    "usage": c.usage,
                    "used": c.usage.total(),
                    "free": SRAM_SIZE - c.usage.total(),
                    "code": code[c_index(&plan, c.core)],
                })
            })
            .collect();
        let doc = serde_json::json!({
            "board": chip.board().name,
            "placement": placement_of(placement),
            "hop_cost": plan.hop_cost(&net),
            "cores": cores,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        return Ok(());
    }
    writeln!(
        out,
        "{} processes, {} channels on {} ({} placement); channel hop cost {}",
        net.processes().len(),
        net.channels().len(),
        chip.board().name,
        placement_of(placement),
        plan.hop_cost(&net)
    )?;
    writeln!(
        out,
        "  {:<6} {:<7} {:>7} {:>6} {:>8} {:>8} {:>6} {:>6}  processes",
        "core", "(r,c)", "runtime", "boot", "channels", "states", "stack", "free"
    )?;
    for c in &plan.cores {
        let (r, col) = core_of(c.core);
        let names: Vec<_> = c.processes.iter().map(|p| net.processes()[p.0].name.as_str()).collect();
        writeln!(
            out,
            "  {:<6} {:<7} {:>7} {:>6} {:>8} {:>8} {:>6} {:>6}  {}",
            format!("{:#05x}", c.core.raw()),
            format!("({r},{col})"),
            c.usage.runtime,
            c.usage.boot_table,
            c.usage.channels,
            c.usage.arena,
            c.usage.stack,
            SRAM_SIZE - c.usage.total(),
            names.join(", ")
        )?;
    }
    if with_code {
        writeln!(
            out,
            "  each core's image for the chip: code bytes of {} (0x100 to the boot table), what is left, and each kernel's stack (needed/declared)",
            ecsp_host::kernels::image::CODE_ROOM
        )?;
        for (c, code) in plan.cores.iter().zip(&code) {
            if let Some(code) = code {
                let stacks: Vec<String> = code
                    .stacks
                    .iter()
                    .map(|(k, need, declared)| format!("{k} {need}/{declared}"))
                    .collect();
                writeln!(
                    out,
                    "  {:<6} code {:>6}  left {:>6}  {}{}",
                    format!("{:#05x}", c.core.raw()),
                    code.bytes,
                    code.left,
                    code.kinds.join(", "),
                    if stacks.is_empty() {
                        String::new()
                    } else {
                        format!("; stacks {}", stacks.join(", "))
                    }
                )?;
            }
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
/// `ecsp run`'s options.
struct RunArgs {
    board: Option<String>,
    placement: PlacementArg,
    timeout: f64,
    threads: Option<usize>,
    mode: ModeArgs,
    backend: BackendArgs,
    trace: Option<PathBuf>,
    feeds: Vec<String>,
    json: bool,
    quiet: bool,
}

/// Writes the trace `chip` recorded for `net` planned as `plan` to `path`.
fn write_trace(chip: &dyn Chip, net: &Network, plan: &Plan, path: &Path) -> Result<(), AnyError> {
    let doc = chrome_trace(net, plan, chip.ticks_per_second(), &chip.take_trace());
    let file = std::fs::File::create(path).map_err(|e| format!("--trace {}: {e}", path.display()))?;
    serde_json::to_writer(std::io::BufWriter::new(file), &doc)
        .map_err(|e| format!("--trace {}: {e}", path.display()))?;
    Ok(())
}

/// Reads `--feed CHANNEL=FILE`: the channel and its messages.
fn read_feed(net: &Network, arg: &str) -> Result<Feed, AnyError> {
    let (name, file) = arg
        .split_once('=')
        .ok_or_else(|| format!("--feed {arg}: give CHANNEL=FILE"))?;
    let channel = net
        .channel_id(name)
        .ok_or_else(|| format!("--feed {arg}: the network has no channel `{name}`"))?;
    let spec = &net.channels()[channel.0];
    if !spec.writers.is_empty() {
        return Err(format!(
            "--feed {arg}: channel `{name}` is written by process `{}`; only a channel no process writes can be fed",
            net.processes()[spec.writers[0].0 .0].name
        )
        .into());
    }
    let text = std::fs::read_to_string(file).map_err(|e| format!("--feed {arg}: cannot read {file}: {e}"))?;
    let mut messages = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bytes = parse_message(spec.msg, line)
            .map_err(|e| format!("{file}:{}: channel `{name}` ({}): {e}", n + 1, spec.msg))?;
        messages.push(bytes);
    }
    Ok(Feed { channel, messages })
}

fn run_command(path: &Path, args: RunArgs, out: &mut dyn Write) -> Result<(), AnyError> {
    let RunArgs {
        board,
        placement,
        timeout,
        threads,
        mode,
        backend,
        trace,
        feeds,
        json,
        quiet,
    } = args;
    let (net, board, check) = load_network(path, board)?;
    // A check is read before anything runs: a missing file is named at once.
    let check = check.map(|c| Check::open(&c)).transpose()?;
    let sim_flags = [("--threads", threads.is_some()), ("--trace", trace.is_some())];
    let sim_flags = [mode.given().as_slice(), &sim_flags].concat();
    let (mode, idle) = mode.resolve()?;
    if let (SimMode::Deterministic { .. }, Some(t)) = (mode, threads) {
        return Err(format!("--threads {t}: the deterministic mode runs on one host thread").into());
    }
    let mut fed = Vec::new();
    for arg in &feeds {
        let feed = read_feed(&net, arg)?;
        if fed.iter().any(|f: &Feed| f.channel == feed.channel) {
            return Err(format!("--feed {arg}: that channel is fed twice").into());
        }
        fed.push(feed);
    }
    for ch in net.channels().iter().filter(|c| c.writers.is_empty()) {
        if !fed.iter().any(|f| net.channels()[f.channel.0].name == ch.name) {
            return Err(format!(
                "channel `{}` has no writer among the processes: feed it with --feed {}=FILE or connect a process to it",
                ch.name, ch.name
            )
            .into());
        }
    }
    let (chip, _) = backend.open(board, SimOptions { threads, mode, idle }, &sim_flags)?;
    let plan = plan(&net, chip.board(), placement_of(placement), &|k, d| {
        chip.state_layout(k, d)
    })?;
    let net = Arc::new(net);
    let plan = Arc::new(plan);
    chip.set_tracing(trace.is_some());
    let session = Session::start(chip.clone(), net.clone(), plan.clone())?;
    // Values arriving on channels no process reads: printed as they come
    // (text), or gathered per channel (JSON); kept whole for a check,
    // which reports on them instead.
    let mut arrived: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut raw: BTreeMap<usize, Vec<u8>> = BTreeMap::new();
    let mut print_error = None;
    let mut sink = |c: ChanId, bytes: &[u8]| {
        let ch = &net.channels()[c.0];
        if check.is_some() {
            raw.entry(c.0).or_default().extend_from_slice(bytes);
        }
        let value = format_message(ch.msg, bytes);
        if json {
            arrived.entry(ch.name.clone()).or_default().push(value);
        } else if print_error.is_none() && check.is_none() {
            if let Err(e) = writeln!(out, "{} {value}", ch.name) {
                print_error = Some(e);
            }
        }
    };
    let served = serve(session, fed, &mut sink, timeout_of(timeout)?);
    if let Some(path) = &trace {
        // Written for a failed run too: that is when it is wanted most.
        write_trace(&*chip, &net, &plan, path)?;
    }
    let served = served?;
    if let Some(e) = print_error {
        return Err(e.into());
    }
    let report = served.report;
    let undelivered: Vec<String> = served
        .undelivered
        .iter()
        .map(|(c, n)| {
            format!(
                "{n} message(s) fed to `{}` were never delivered: the channel was poisoned",
                net.channels()[c.0].name
            )
        })
        .collect();
    let outputs: Vec<CheckOutput> = net
        .channels()
        .iter()
        .enumerate()
        .filter(|(_, ch)| ch.readers.is_empty())
        .map(|(i, ch)| CheckOutput {
            channel: ch.name.clone(),
            msg_size: ch.msg.size(),
            bytes: raw.remove(&i).unwrap_or_default(),
        })
        .collect();
    // What a check prints goes to standard output itself, after what this
    // command printed; with --json, to standard error (the output is JSON).
    let run_check = |out: &mut dyn Write| -> Result<Option<bool>, AnyError> {
        let Some(check) = &check else {
            return Ok(None);
        };
        out.flush()?;
        let agrees = if json {
            check.run_to_stderr(&report, &outputs)?
        } else {
            check.run(&report, &outputs)?
        };
        Ok(Some(agrees))
    };
    if json {
        let checked = run_check(out)?;
        let doc = serde_json::json!({
            "board": chip.board().name,
            "seed": chip.schedule_seed(),
            "elapsed_ms": report.elapsed.as_secs_f64() * 1e3,
            "processes": report.processes,
            "outputs": arrived,
            "undelivered": undelivered,
            "remote_writes": report.total_counters().map(|c| c.remote_writes),
            "remote_reads": report.total_counters().map(|c| c.remote_reads),
            "check": checked,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        if checked == Some(false) {
            return Err(CheckFailed.into());
        }
        return Ok(());
    }
    for line in &undelivered {
        writeln!(out, "  note: {line}")?;
    }
    if let Some(seed) = chip.schedule_seed() {
        writeln!(out, "deterministic simulator, seed {seed} (replay with --seed {seed})")?;
    }
    if !quiet {
        // Columns as wide as their longest entry.
        // A kernel's result as it gave it (a real one widened from f32 shows
        // as the f32 it was; none given: -); other kinds' value.
        let values: Vec<String> = report
            .processes
            .iter()
            .zip(net.processes())
            .map(|(p, spec)| match p.result {
                Some(KernelResult::Float(x)) if (x as f32) as f64 == x => (x as f32).to_string(),
                Some(r) => r.to_string(),
                None if spec.is_user_kind() => "-".to_string(),
                None => p.value.to_string(),
            })
            .collect();
        let width = |f: &dyn Fn(&ecsp_host::run::ProcessReport) -> usize, min: usize| {
            report.processes.iter().map(f).max().unwrap_or(0).max(min)
        };
        let (wn, wk) = (width(&|p| p.name.len(), 7), width(&|p| p.kind.len(), 4));
        let wv = values.iter().map(String::len).max().unwrap_or(0).max(5);
        writeln!(
            out,
            "  {:<wn$} {:<wk$} {:<6} {:<9} {:>wv$} {:>20} {:>14}",
            "process", "kind", "core", "ended", "value", "aux", "ticks"
        )?;
        for (p, value) in report.processes.iter().zip(&values) {
            writeln!(
                out,
                "  {:<wn$} {:<wk$} {:<6} {:<9} {:>wv$} {:>20} {:>14}",
                p.name,
                p.kind,
                format!("{:#05x}", p.core.raw()),
                if p.finished { "finished" } else { "stopped" },
                value,
                p.aux as i64,
                p.ticks
            )?;
        }
    } else {
        let finished = report.processes.iter().filter(|p| p.finished).count();
        writeln!(
            out,
            "  {} processes: {finished} finished, {} stopped",
            report.processes.len(),
            report.processes.len() - finished
        )?;
    }
    match report.total_counters() {
        Some(totals) => writeln!(
            out,
            "  ran {:.2} ms; {} remote writes, {} remote reads",
            report.elapsed.as_secs_f64() * 1e3,
            totals.remote_writes,
            totals.remote_reads
        )?,
        // A backend that counts no traffic (esdk).
        None => writeln!(out, "  ran {:.2} ms", report.elapsed.as_secs_f64() * 1e3)?,
    }
    match run_check(out)? {
        Some(true) => writeln!(out, "check: the answer agrees")?,
        Some(false) => return Err(CheckFailed.into()),
        None => {}
    }
    Ok(())
}

/// One core's image for the chip, as `ecsp plan --code` shows it.
#[derive(Debug, Clone, serde::Serialize)]
struct CoreCode {
    /// Code and data bytes from 0x100.
    bytes: u32,
    /// Bytes left below the boot table (negative: over).
    left: i64,
    /// The kinds it carries.
    kinds: Vec<String>,
    /// Per kernel: name, stack needed, stack declared.
    stacks: Vec<(String, u32, u32)>,
}

fn c_index(plan: &Plan, core: CoreId) -> usize {
    plan.cores.iter().position(|c| c.core == core).unwrap_or(0)
}

/// Builds (or takes from the cache) every core's image of `plan`.
fn core_code(net: &Network, plan: &Plan) -> Result<Vec<Option<CoreCode>>, AnyError> {
    use ecsp_host::kernels::image;
    let cache = ecsp_host::kernels::cache::Cache::open()?;
    let mut out = Vec::with_capacity(plan.cores.len());
    for (_, spec) in image::specs(net, plan)? {
        let built = image::build(&cache, &spec)?;
        out.push(Some(CoreCode {
            bytes: built.code_bytes,
            left: image::CODE_ROOM as i64 - built.code_bytes as i64,
            kinds: spec.kind_names(),
            stacks: built.stacks,
        }));
    }
    Ok(out)
}

/// `ecsp bench kernels`.
fn kernel_bench_command(
    board: Board,
    (messages, rounds, threads, idle): (u64, u32, Option<usize>, Idle),
    backend: BackendArgs,
    timeout: Duration,
    json: bool,
    out: &mut dyn Write,
) -> Result<(), AnyError> {
    use ecsp_host::apps::kernel_bench;
    if messages == 0 {
        return Err("--messages 0: give at least 1".into());
    }
    let sim = SimOptions {
        threads,
        mode: SimMode::Threaded,
        idle,
    };
    let (chip, _) = backend.open(board, sim, &[])?;
    let results = kernel_bench::bench(&*chip, messages, rounds, timeout)?;
    let scratch = std::env::temp_dir();
    let compile = kernel_bench::compile_cost(&scratch)?;
    // On a chip, what building a core's image costs too.
    let image = match chip.backend() {
        "sim" => None,
        _ => Some(kernel_bench::image_cost(&scratch)?),
    };
    if json {
        let doc = serde_json::json!({
            "board": chip.board().name,
            "backend": chip.backend(),
            "rounds": rounds,
            "results": results,
            "compile": compile,
            "image": image,
        });
        writeln!(out, "{}", serde_json::to_string(&doc)?)?;
        return Ok(());
    }
    writeln!(
        out,
        "users' C kernels against the built-in kinds on {} ({}), best of {rounds} rounds taking turns",
        chip.board().name,
        chip.backend()
    )?;
    writeln!(
        out,
        "  {:<30} {:>9} {:>12} {:>12} {:>7} {:>16}",
        "job", "messages", "built-in", "kernel", "ratio", "medians"
    )?;
    for r in &results {
        writeln!(
            out,
            "  {:<30} {:>9} {:>9.1} {:<2} {:>9.1} {:<2} {:>7.2} {:>7.1} {:>7.1}",
            r.job, r.messages, r.builtin_ns, r.unit, r.user_ns, r.unit, r.ratio, r.builtin_median, r.user_median
        )?;
    }
    writeln!(
        out,
        "compiling a new kernel file for the simulator: {:.0} ms, and {:.1} ms from the cache",
        compile.cold_ms, compile.cached_ms
    )?;
    if let Some(image) = image {
        writeln!(
            out,
            "building a core's image for the chip: {:.0} ms, and {:.1} ms from the cache",
            image.cold_ms, image.cached_ms
        )?;
    }
    Ok(())
}

/// A run whose host check says the answer does not agree.
#[derive(Debug)]
struct CheckFailed;

impl std::fmt::Display for CheckFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the check says the answer does not agree (see what it printed above)")
    }
}

impl std::error::Error for CheckFailed {}

fn boards(json: bool, out: &mut dyn Write) -> Result<(), AnyError> {
    let boards = Board::builtin_names()
        .iter()
        .map(|n| Board::builtin(n))
        .collect::<Result<Vec<_>, _>>()?;
    if json {
        let all: Vec<_> = boards.iter().map(|b| b.to_json()).collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&all)?)?;
    } else {
        writeln!(
            out,
            "{:<16} {:<8} {:>5}  {:<10} {:<12} DRAM size",
            "board", "chip", "cores", "first core", "DRAM base"
        )?;
        for b in &boards {
            writeln!(
                out,
                "{:<16} {:<8} {:>5}  {:<10} {:<12} {} MiB",
                b.name,
                b.chip.name(),
                format!("{}x{}", b.rows, b.cols),
                format!("{:#05x}", b.first_core_id()),
                format!("{:#010x}", b.dram.epiphany_base),
                b.dram.size >> 20
            )?;
        }
    }
    Ok(())
}
