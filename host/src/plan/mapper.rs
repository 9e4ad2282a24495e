//! The hop-minimising mapper ([`super::Placement::Auto`]): places processes
//! so that channels are short on the mesh, with the work spread evenly.
//!
//! The cost of a placement is the plan's hop cost ([`super::Plan::hop_cost`]):
//! for every channel, for every (writer, reader) pair, the mesh hops between
//! their cores. A write travels that many routers, and each hop is latency
//! and mesh bandwidth every message of the channel pays.
//!
//! 1. Balance and fit: no core takes more than `ceil(processes / cores)`
//!    unpinned processes (pinned processes stay where they are pinned and
//!    count against their core), so the load is even, and no core takes
//!    more bytes than its budget (each process weighs what the planner will
//!    lay out for it: records, channel blocks, state), so every core's SRAM
//!    holds what it is given whenever the network can fit at all.
//! 2. Seed: processes in breadth-first order of the channel graph (a
//!    pipeline in pipeline order, a farm worker next to its farmer) are laid
//!    along the snake through the mesh, whose consecutive cores are
//!    neighbours.
//! 3. Improve: hill climbing over moves (a process to a core with room) and
//!    swaps (two processes exchange cores), trying for each process the
//!    cores next to its partners', until a whole pass finds nothing better.
//!    Deterministic: the same network on the same board maps the same way.

use crate::network::Network;
use std::collections::VecDeque;

/// Where each process goes: (row, col) within the chip, by [`ProcId`].
/// Pinned processes keep their pin. `rows * cols` must be at least 1.
///
/// `weights` are the processes' bytes on their core; `budget` what a core
/// has for them. A process that fits nowhere within the budget is put
/// where the count allows; the planner then reports the core that is over.
pub(super) fn map(
    net: &Network,
    rows: u32,
    cols: u32,
    snake: &[(u32, u32)],
    weights: &[u32],
    budget: u32,
) -> Vec<(u32, u32)> {
    let n = net.processes().len();
    let cores = (rows * cols) as usize;
    let index = |(r, c): (u32, u32)| (r * cols + c) as usize;
    let coord = |i: usize| ((i as u32) / cols, (i as u32) % cols);
    let hops = |a: usize, b: usize| {
        let ((ra, ca), (rb, cb)) = (coord(a), coord(b));
        ra.abs_diff(rb) + ca.abs_diff(cb)
    };

    // Partners: every (writer, reader) pair of every channel, both ways.
    let mut partners: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (w, r) in net.writer_reader_pairs() {
        if w != r {
            partners[w.0].push(r.0);
            partners[r.0].push(w.0);
        }
    }

    let pinned: Vec<Option<usize>> = net.processes().iter().map(|p| p.pin.map(index)).collect();
    let free = pinned.iter().filter(|p| p.is_none()).count();
    let cap = free.div_ceil(cores).max(1);
    let mut load = vec![0usize; cores];
    let mut bytes = vec![0u64; cores];
    let mut at = vec![usize::MAX; n];
    for (p, pin) in pinned.iter().enumerate() {
        if let Some(core) = *pin {
            at[p] = core;
            if core < cores {
                bytes[core] += weights[p] as u64;
            }
        }
    }
    let budget = budget as u64;

    // Seed: breadth-first over the channel graph, along the snake.
    let order = bfs_order(n, &partners, &pinned);
    // Along the snake: the first core from the current one on with room
    // in count and bytes; failing that, the first with room in count.
    let snake: Vec<usize> = snake.iter().map(|&rc| index(rc)).collect();
    let mut current = 0usize;
    for p in order {
        while load[snake[current]] >= cap {
            current += 1;
        }
        let fits = |core: usize| load[core] < cap && bytes[core] + weights[p] as u64 <= budget;
        let core = snake[current..]
            .iter()
            .copied()
            .find(|&c| fits(c))
            .or_else(|| snake.iter().copied().find(|&c| fits(c)))
            .unwrap_or(snake[current]);
        at[p] = core;
        load[core] += 1;
        bytes[core] += weights[p] as u64;
    }

    // Improve: moves and swaps while a pass finds a better placement.
    let cost_of =
        |p: usize, core: usize, at: &[usize]| -> i64 { partners[p].iter().map(|&q| hops(core, at[q]) as i64).sum() };
    let mut on_core: Vec<Vec<usize>> = vec![Vec::new(); cores];
    for p in 0..n {
        if pinned[p].is_none() {
            on_core[at[p]].push(p);
        }
    }
    for _pass in 0..64 {
        let mut improved = false;
        for p in 0..n {
            if pinned[p].is_some() || partners[p].is_empty() {
                continue;
            }
            let from = at[p];
            // Candidate cores: each partner's core and its neighbours.
            let mut candidates: Vec<usize> = Vec::new();
            for &q in &partners[p] {
                let (r, c) = coord(at[q]);
                candidates.push(at[q]);
                if r > 0 {
                    candidates.push(index((r - 1, c)));
                }
                if r + 1 < rows {
                    candidates.push(index((r + 1, c)));
                }
                if c > 0 {
                    candidates.push(index((r, c - 1)));
                }
                if c + 1 < cols {
                    candidates.push(index((r, c + 1)));
                }
            }
            candidates.sort_unstable();
            candidates.dedup();
            let here = cost_of(p, from, &at);
            let mut best: Option<(i64, usize, Option<usize>)> = None;
            for &to in &candidates {
                if to == from {
                    continue;
                }
                if load[to] < cap && bytes[to] + weights[p] as u64 <= budget {
                    let delta = cost_of(p, to, &at) - here;
                    if delta < best.map_or(0, |b| b.0) {
                        best = Some((delta, to, None));
                    }
                }
                for &q in &on_core[to] {
                    let (wp, wq) = (weights[p] as u64, weights[q] as u64);
                    if bytes[to] - wq + wp > budget || bytes[from] - wp + wq > budget {
                        continue;
                    }
                    // Swap p and q; an edge between them keeps its length.
                    let between = partners[p].iter().filter(|&&x| x == q).count() as i64 * hops(from, to) as i64;
                    let delta = cost_of(p, to, &at) - here + cost_of(q, from, &at) - cost_of(q, to, &at) + 2 * between;
                    if delta < best.map_or(0, |b| b.0) {
                        best = Some((delta, to, Some(q)));
                    }
                }
            }
            if let Some((_, to, swap)) = best {
                on_core[from].retain(|&x| x != p);
                on_core[to].push(p);
                at[p] = to;
                bytes[from] -= weights[p] as u64;
                bytes[to] += weights[p] as u64;
                match swap {
                    Some(q) => {
                        on_core[to].retain(|&x| x != q);
                        on_core[from].push(q);
                        at[q] = from;
                        bytes[to] -= weights[q] as u64;
                        bytes[from] += weights[q] as u64;
                    }
                    None => {
                        load[from] -= 1;
                        load[to] += 1;
                    }
                }
                improved = true;
            }
        }
        if !improved {
            break;
        }
    }
    at.into_iter().map(coord).collect()
}

/// The unpinned processes in breadth-first order of the channel graph,
/// each component from its lowest-numbered process (pinned processes are
/// passed through but not listed).
fn bfs_order(n: usize, partners: &[Vec<usize>], pinned: &[Option<usize>]) -> Vec<usize> {
    let mut seen = vec![false; n];
    let mut order = Vec::with_capacity(n);
    for root in 0..n {
        if seen[root] {
            continue;
        }
        seen[root] = true;
        let mut queue = VecDeque::from([root]);
        while let Some(p) = queue.pop_front() {
            if pinned[p].is_none() {
                order.push(p);
            }
            for &q in &partners[p] {
                if !seen[q] {
                    seen[q] = true;
                    queue.push_back(q);
                }
            }
        }
    }
    order
}

/// The hop cost of `at` for `net` (as [`super::Plan::hop_cost`]).
#[cfg(test)]
fn cost(net: &Network, at: &[(u32, u32)]) -> u32 {
    net.writer_reader_pairs()
        .map(|(w, r)| at[w.0].0.abs_diff(at[r.0].0) + at[w.0].1.abs_diff(at[r.0].1))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecsp_device::message::Dtype;

    #[test]
    fn no_core_is_given_more_bytes_than_its_budget() {
        // Stages s0 and s1 weigh 900 of a core's 1,000 bytes, s2 and s3 100:
        // the count cap (2 per core on 1x2) alone would put s0 and s1
        // together; the budget pairs each heavy stage with a light one.
        let net = scrambled_pipeline(4);
        let mut weights = vec![0u32; 4];
        for (k, w) in [(0, 900), (1, 900), (2, 100), (3, 100)] {
            weights[net.process_id(&format!("s{k}")).unwrap().0] = w;
        }
        let at = map(&net, 1, 2, &snake(1, 2), &weights, 1000);
        for core in [(0, 0), (0, 1)] {
            let bytes: u32 = (0..4).filter(|&p| at[p] == core).map(|p| weights[p]).sum();
            assert!(bytes <= 1000, "core {core:?} holds {bytes} bytes: {at:?}");
        }
    }

    fn snake(rows: u32, cols: u32) -> Vec<(u32, u32)> {
        (0..rows)
            .flat_map(|r| (0..cols).map(move |c| (r, if r % 2 == 0 { c } else { cols - 1 - c })))
            .collect()
    }

    /// A pipeline of `n` `id`s whose processes are added in a scrambled
    /// order, so declaration order says nothing about the graph.
    fn scrambled_pipeline(n: usize) -> Network {
        let mut net = Network::new();
        let chans: Vec<_> = (0..=n)
            .map(|i| net.channel(&format!("c{i}"), Dtype::I32, 0).unwrap())
            .collect();
        let mut stages: Vec<usize> = (0..n).collect();
        // A fixed shuffle: stride 7 through the stages.
        stages.sort_by_key(|&s| (s * 7) % n);
        for s in stages {
            net.process(&format!("s{s}"), "id", &[chans[s]], &[chans[s + 1]], &[])
                .unwrap();
        }
        net
    }

    #[test]
    fn a_scrambled_pipeline_maps_onto_neighbours() {
        for (rows, cols) in [(4, 4), (8, 8)] {
            let n = (rows * cols) as usize;
            let net = scrambled_pipeline(n);
            let at = map(&net, rows, cols, &snake(rows, cols), &vec![100; n], 20_000);
            // n stages, n - 1 internal channels, each one hop at best.
            assert_eq!(cost(&net, &at), n as u32 - 1, "{rows}x{cols}");
            let mut used = at.clone();
            used.sort();
            used.dedup();
            assert_eq!(used.len(), n, "one process per core");
        }
    }

    #[test]
    fn a_farm_keeps_its_workers_around_the_farmer_and_balanced() {
        // One farmer (one2any out, any2one in) and 15 workers on 16 cores.
        let mut net = Network::new();
        let jobs = net.one2any("jobs", Dtype::I32, 0).unwrap();
        let results = net.any2one("results", Dtype::I32, 0).unwrap();
        let _farmer = net.process("farmer", "id", &[results], &[jobs], &[]).unwrap();
        for w in 0..15 {
            net.process(&format!("w{w}"), "id", &[jobs], &[results], &[]).unwrap();
        }
        let at = map(&net, 4, 4, &snake(4, 4), &[100; 16], 20_000);
        let mut used = at.clone();
        used.sort();
        used.dedup();
        assert_eq!(used.len(), 16, "balanced: one process per core");
        // Each worker is two pairs (jobs, results) away from the farmer: at
        // best the farmer sits in the middle (sum of distances 1*4*... ).
        let spread: Vec<(u32, u32)> = snake(4, 4);
        assert!(
            cost(&net, &at) <= cost(&net, &spread),
            "{} > {}",
            cost(&net, &at),
            cost(&net, &spread)
        );
    }

    #[test]
    fn pins_stay_and_more_processes_than_cores_share_evenly() {
        let mut net = scrambled_pipeline(40);
        let first = net.process_id("s0").unwrap();
        net.pin(first, 3, 3);
        let at = map(&net, 4, 4, &snake(4, 4), &[100; 40], 20_000);
        assert_eq!(at[first.0], (3, 3));
        let mut load = [0usize; 16];
        for (p, &(r, c)) in at.iter().enumerate() {
            if p != first.0 {
                load[(r * 4 + c) as usize] += 1;
            }
        }
        assert!(
            load.iter().all(|&l| l <= 3),
            "at most ceil(39 / 16) = 3 unpinned per core: {load:?}"
        );
        // A 40-stage pipeline folded onto 16 cores: most channels stay on a
        // core or go to a neighbour.
        assert!(cost(&net, &at) <= 40, "cost {}", cost(&net, &at));
    }
}
