//! The flagship demo: the CSP prime sieve as a pipeline through every core.
//!
//! ```text
//!  generate(2..=limit) ─► sieve ─► sieve ─► ... ─► sieve ─► consume
//!  core 0                 core 1   core 2          core n-2  core n-1
//! ```
//! Each sieve keeps the first number that reaches it (a prime: nothing
//! before it divided it) and passes on only numbers its prime does not
//! divide. The consumer counts and sums the numbers that pass every sieve:
//! all remaining primes, as long as limit < (next prime after the last sieve's)².
//! The host checks both against its own sieve of Eratosthenes.

use crate::chip::Chip;
use crate::network::Network;
use crate::plan::{plan, Placement};
use crate::run::run;
use ecsp_device::message::Dtype;
use std::io::Write;
use std::time::Duration;

/// Primes up to `limit`, by the sieve of Eratosthenes.
pub fn primes_up_to(limit: u32) -> Vec<u32> {
    let n = limit as usize;
    let mut composite = vec![false; n + 1];
    let mut primes = Vec::new();
    for i in 2..=n {
        if !composite[i] {
            primes.push(i as u32);
            let mut j = i * i;
            while j <= n {
                composite[j] = true;
                j += i;
            }
        }
    }
    primes
}

/// The sieve network for a chip with `cores` cores.
pub fn network(cores: u32, limit: u32) -> Network {
    let mut net = Network::new();
    let stages = cores.saturating_sub(2).max(1);
    let mut prev = net.channel("n0", Dtype::U32, 4).expect("fresh name");
    net.process(
        "generate",
        "generate",
        &[],
        &[prev],
        &[("start", 2), ("count", i64::from(limit.saturating_sub(1)))],
    )
    .expect("valid");
    for s in 1..=stages {
        let next = net.channel(&format!("n{s}"), Dtype::U32, 4).expect("fresh name");
        net.process(&format!("sieve{s}"), "sieve", &[prev], &[next], &[])
            .expect("valid");
        prev = next;
    }
    net.process("consume", "consume", &[prev], &[], &[("count", -1)])
        .expect("valid");
    net
}

/// Runs the demo on `chip`, printing what each core did to `out`.
pub fn run_demo(
    chip: &dyn Chip,
    limit: u32,
    timeout: Duration,
    out: &mut dyn Write,
) -> Result<(), Box<dyn std::error::Error>> {
    if limit < 2 {
        return Err(format!("--limit {limit}: give at least 2").into());
    }
    let board = chip.board();
    let net = network(board.num_cores(), limit);
    let plan = plan(&net, board, Placement::Spread, &|k, d| chip.state_layout(k, d))?;
    let on = match chip.backend() {
        "sim" => format!("a simulated {}", board.name),
        backend => format!("{} through the {backend} backend", board.name),
    };
    writeln!(
        out,
        "ecsp demo: the CSP prime sieve on {on} ({} {}x{}, {} cores), numbers 2..={limit}",
        board.chip.name(),
        board.rows,
        board.cols,
        board.num_cores()
    )?;
    writeln!(
        out,
        "  a pipeline of {} processes, one per core, snaking through the mesh (hop cost {})\n",
        net.processes().len(),
        plan.hop_cost(&net)
    )?;
    let report = run(chip, &net, &plan, timeout)?;
    let counters = report.counters.clone().unwrap_or_default();
    let index_of = |core: ecsp_device::addr::CoreId| {
        ((core.row() - board.first_row) * board.cols + (core.col() - board.first_col)) as usize
    };
    writeln!(
        out,
        "  {:<6} {:<8} {:<9} {:<52} {:>8} {:>6}",
        "core", "(r,c)", "process", "what it did", "writes", "wakes"
    )?;
    let mut held = Vec::new();
    for p in &report.processes {
        let what = match p.kind.as_str() {
            "generate" => format!("sent the {} numbers 2..={limit}, then closed", p.value),
            "sieve" if p.value == 0 => "got no number: the stream closed first".to_string(),
            "sieve" => {
                held.push(p.value as u32);
                format!("holds prime {:>4}, struck out {:>4} multiples", p.value, p.aux)
            }
            "consume" => format!("received {} numbers that passed every sieve", p.value),
            other => other.to_string(),
        };
        let c = counters.get(index_of(p.core)).copied().unwrap_or_default();
        writeln!(
            out,
            "  {:<6} {:<8} {:<9} {:<52} {:>8} {:>6}",
            format!("{:#05x}", p.core.raw()),
            format!(
                "({},{})",
                p.core.row() - board.first_row,
                p.core.col() - board.first_col
            ),
            p.name,
            what,
            c.remote_writes,
            c.wakes
        )?;
    }
    let consumer = report.process("consume").expect("the demo has a consumer");
    let expected = primes_up_to(limit);
    let found = held.len() as u64 + consumer.value;
    let sum_found = held.iter().map(|&p| p as u64).sum::<u64>() + consumer.aux;
    let sum_expected: u64 = expected.iter().map(|&p| p as u64).sum();
    writeln!(out)?;
    writeln!(
        out,
        "  primes up to {limit}: {} held by sieves + {} reached the consumer = {found}; sum {sum_found}",
        held.len(),
        consumer.value
    )?;
    writeln!(
        out,
        "  the host's own sieve of Eratosthenes: {} primes, sum {sum_expected}",
        expected.len()
    )?;
    let largest_held = held.last().copied().unwrap_or(2);
    let next_prime = expected.iter().copied().find(|&p| p > largest_held).unwrap_or(u32::MAX);
    let exact = (next_prime as u64) * (next_prime as u64) > limit as u64 || held.len() < expected.len();
    if found != expected.len() as u64 || sum_found != sum_expected {
        if exact {
            return Err(format!(
                "the pipeline found {found} primes (sum {sum_found}) but there are {} (sum {sum_expected})",
                expected.len()
            )
            .into());
        }
        writeln!(
            out,
            "  (with {} sieves, numbers up to {limit} include composites of primes beyond {largest_held}: lower --limit below {})",
            held.len(),
            next_prime as u64 * next_prime as u64
        )?;
    } else {
        match report.total_counters() {
            Some(totals) => writeln!(
                out,
                "  they agree. {} remote writes crossed the mesh in {:.1} ms.",
                totals.remote_writes,
                report.elapsed.as_secs_f64() * 1e3
            )?,
            None => writeln!(out, "  they agree, in {:.1} ms.", report.elapsed.as_secs_f64() * 1e3)?,
        }
    }
    Ok(())
}
