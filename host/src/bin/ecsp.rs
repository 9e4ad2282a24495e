//! `ecsp`: CSP networks on the Epiphany of the Parallella, or on its simulator.
//!
//! ```text
//! ecsp boards [--json]
//! ecsp kinds
//! ecsp demo [--board NAME|PATH]
//! ecsp bench commstime [--board NAME|PATH] [--placement spread|packed] [--iterations N] [--json]
//! ```
//! Errors print one line and exit with status 1.

use clap::{Parser, Subcommand, ValueEnum};
use ecsp_host::board::Board;
use ecsp_host::chip::Chip;
use ecsp_host::commstime::commstime;
use ecsp_host::plan::Placement;
use ecsp_host::sim::{SimChip, SimOptions};
use std::io::Write;
use std::process::ExitCode;
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
    /// List the built-in process kinds.
    Kinds,
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
    },
    /// Benchmarks.
    Bench {
        #[command(subcommand)]
        bench: Bench,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum PlacementArg {
    /// One process per core.
    Spread,
    /// All processes on one core.
    Packed,
}

#[derive(Subcommand)]
enum Bench {
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
        /// Host threads for the simulated cores (default and maximum: the host's CPUs).
        #[arg(long)]
        threads: Option<usize>,
        /// Seconds before the run is abandoned.
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
        Command::Kinds => {
            for k in ecsp_device::process::KINDS {
                let params = if k.params.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", k.params.join(", "))
                };
                writeln!(out, "{:<10} {}{}", k.name, k.summary, params)?;
            }
            Ok(())
        }
        Command::Demo { board, limit, timeout } => {
            let board = Board::load(&board)?;
            let chip = SimChip::new(board)?;
            ecsp_host::demo::run_demo(&chip, limit, timeout_of(timeout)?, out)
        }
        Command::Bench {
            bench:
                Bench::Commstime {
                    board,
                    placement,
                    iterations,
                    threads,
                    timeout,
                    json,
                },
        } => {
            if iterations == 0 {
                return Err("--iterations 0: give at least 1 loop".into());
            }
            let board = Board::load(&board)?;
            let chip = SimChip::with_options(board, SimOptions { threads })?;
            let placement = match placement {
                PlacementArg::Spread => Placement::Spread,
                PlacementArg::Packed => Placement::Packed,
            };
            let mut result = commstime(&chip, placement, iterations, timeout_of(timeout)?)?;
            result.host_threads = Some(chip.threads());
            if json {
                writeln!(out, "{}", serde_json::to_string(&result)?)?;
            } else {
                writeln!(
                    out,
                    "commstime on simulated {} ({}), {} host threads",
                    result.board,
                    chip.backend(),
                    chip.threads()
                )?;
                writeln!(out, "  placement                {}", result.placement)?;
                writeln!(out, "  iterations               {}", result.iterations)?;
                writeln!(out, "  ns per communication     {:.1}", result.ns_per_comm)?;
                writeln!(out, "  remote writes per comm   {:.2}", result.remote_writes_per_comm)?;
                writeln!(out, "  remote reads per comm    {:.2}", result.remote_reads_per_comm)?;
            }
            Ok(())
        }
    }
}

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
