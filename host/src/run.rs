//! Running a planned network: load the boot tables, start the cores, join
//! with a timeout, and read every process's result back.
//!
//! A run ends when every process that can finish has finished (processes of
//! kinds that run forever, like `succ` or `delta`, are then stopped with the
//! chip), when a process fails (the host then poisons every channel so the
//! rest stops, and reports the failure), when the chip reports that it can never make
//! progress again (a deadlock, known exactly in the simulator's deterministic
//! mode), or at the timeout. A failure, deadlock or timeout names the
//! processes involved and their cores.

use crate::chip::{Chip, ChipError, CoreCounters};
use crate::network::{KindRef, Network, ProcId};
use crate::plan::Plan;
use ecsp_device::addr::{CoreId, GlobalAddr};
use ecsp_device::barrier::{BARRIER_ARRIVED, BARRIER_LEFT};
use ecsp_device::boot::{task_status, BootHeader, TaskRecord, BOOT_OFFSET, TASK_STATUS_OFFSET, WAIT_OTHER};
use ecsp_device::kernel::{result_kind, KernelBlock};
use ecsp_device::process::ProcessError;
use std::fmt;
use std::time::{Duration, Instant};

/// How long the host sleeps between looks at the boot tables at most.
pub(crate) const POLL_INTERVAL: Duration = Duration::from_millis(20);

/// Why a run failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The chip refused an access.
    #[error(transparent)]
    Chip(#[from] ChipError),
    /// A process failed.
    #[error("process `{process}` on core {core} failed: {message}")]
    ProcessFailed {
        /// Its name.
        process: String,
        /// Its core.
        core: CoreId,
        /// What happened.
        message: String,
    },
    /// A core stopped outside any process (a boot error or a fault).
    #[error("core {core} stopped: {message}")]
    CoreFailed {
        /// The core.
        core: CoreId,
        /// What happened.
        message: String,
    },
    /// The run did not end in time.
    #[error("the network did not finish within {timeout:?}; still running: {waiting}")]
    Timeout {
        /// The limit.
        timeout: Duration,
        /// Processes that had not finished, with their cores.
        waiting: String,
    },
    /// A host end could not be handed out.
    #[error(transparent)]
    HostEnd(#[from] crate::host_node::HostEndError),
    /// A network with host channels given to [`run`], which serves none.
    #[error("channel `{channel}` has no {missing} among the processes: the host holds that end, so run the network in a Session (`ecsp run --feed` for inputs), or connect a process to it")]
    HostChannel {
        /// The channel.
        channel: String,
        /// "writer" or "reader".
        missing: &'static str,
    },
    /// The chip can never make progress again and some process that must
    /// finish has not: who waits on what, and the cycle of waits.
    #[error("{report}")]
    Deadlock {
        /// Every blocked process, the cycle, and how to replay the run.
        report: DeadlockReport,
    },
}

/// Which end of a channel a process waits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndKind {
    /// Waits to read.
    Read,
    /// Waits to write.
    Write,
}

/// One process that can never run again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockedProcess {
    /// Its name.
    pub process: String,
    /// Its core.
    pub core: CoreId,
    /// The channel and end it waits on, when it waits on exactly one.
    pub channel: Option<(String, EndKind)>,
    /// What it waits on, in words ("waits to read channel `c`").
    pub waits: String,
}

/// One link of a cycle of waits: `process` waits on `channel`, whose other
/// end belongs to `peer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitLink {
    /// The waiting process.
    pub process: String,
    /// The channel it waits on.
    pub channel: String,
    /// The end it waits on.
    pub end: EndKind,
    /// The process at the channel's other end, which it waits for.
    pub peer: String,
}

/// Who waits on what when a network can never make progress again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlockReport {
    /// Every process that has not finished, in network order.
    pub blocked: Vec<BlockedProcess>,
    /// A cycle of waits (a reader waits for its channel's writer, a writer
    /// for its reader), starting from its lowest-numbered process; empty when
    /// there is none (a process waits on one that finished or that waits on
    /// something other than one channel).
    pub cycle: Vec<WaitLink>,
    /// The seed of the deterministic schedule that found it, if any.
    pub seed: Option<u64>,
}

impl fmt::Display for DeadlockReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadlock: no process can ever run again; blocked: ")?;
        for (i, b) in self.blocked.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "`{}` on core {} {}", b.process, b.core, b.waits)?;
        }
        if let Some(first) = self.cycle.first() {
            f.write_str("; cycle: ")?;
            for link in &self.cycle {
                let (verb, dir) = match link.end {
                    EndKind::Read => ("read", "from"),
                    EndKind::Write => ("write", "to"),
                };
                write!(
                    f,
                    "`{}` waits to {verb} `{}` {dir} `{}` -> ",
                    link.process, link.channel, link.peer
                )?;
            }
            write!(f, "`{}`", first.process)?;
        }
        if let Some(seed) = self.seed {
            write!(f, "; simulator seed {seed}: replay with --seed {seed}")?;
        }
        Ok(())
    }
}

/// One process's result.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProcessReport {
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: String,
    /// Its core.
    #[serde(serialize_with = "ser_core")]
    pub core: CoreId,
    /// True when it returned (false: it runs forever and was stopped).
    pub finished: bool,
    /// Its result value.
    pub value: u64,
    /// Its second result.
    pub aux: u64,
    /// Ticks it measured.
    pub ticks: u64,
    /// A C kernel's result as it gave it (`ecsp_result`): an integer or a
    /// real number; `None` for other kinds, or when it gave none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<KernelResult>,
}

/// What a C kernel gave `ecsp_result`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum KernelResult {
    /// An integer.
    Int(i64),
    /// A real number.
    Float(f64),
}

impl fmt::Display for KernelResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KernelResult::Int(i) => write!(f, "{i}"),
            KernelResult::Float(x) => write!(f, "{x}"),
        }
    }
}

fn ser_core<S: serde::Serializer>(core: &CoreId, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{:#05x}", core.raw()))
}

/// What a run produced.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// Every process's result, by process id.
    pub processes: Vec<ProcessReport>,
    /// Counters per core of the board (row-major), if the backend counts.
    pub counters: Option<Vec<CoreCounters>>,
    /// Wall time from start to the end of the run.
    pub elapsed: Duration,
}

impl RunReport {
    /// Counters summed over every core.
    pub fn total_counters(&self) -> Option<CoreCounters> {
        self.counters.as_ref().map(|cs| {
            let mut total = CoreCounters::default();
            for c in cs {
                total.add(c);
            }
            total
        })
    }

    /// A process's report by name.
    pub fn process(&self, name: &str) -> Option<&ProcessReport> {
        self.processes.iter().find(|p| p.name == name)
    }
}

fn record_addr(plan: &Plan, process: usize) -> GlobalAddr {
    let (core_index, offset) = plan.records[process];
    GlobalAddr::on_core(plan.cores[core_index].core, offset)
}

/// Loads `plan` onto `chip`, runs it, and waits for the result.
///
/// A network with host channels needs a host that serves them while it runs:
/// use a [`crate::session::Session`] for it; here it is refused.
pub fn run(chip: &dyn Chip, net: &Network, plan: &Plan, timeout: Duration) -> Result<RunReport, RunError> {
    if let Some(&(c, read, _)) = plan.host.ends.first() {
        return Err(RunError::HostChannel {
            channel: net.channels()[c.0].name.clone(),
            missing: if read { "reader" } else { "writer" },
        });
    }
    // No host takes turns here: a deterministic chip runs on its own.
    chip.host_turns(false);
    let started = load_and_start(chip, net, plan)?;
    let result = join(chip, net, plan, started, timeout);
    chip.halt()?;
    let elapsed = started.elapsed();
    result?;
    collect(chip, net, plan, elapsed)
}

/// Resets `chip`, loads every core's boot image and the host's memory, and
/// starts the cores. Returns when they were started.
pub(crate) fn load_and_start(chip: &dyn Chip, net: &Network, plan: &Plan) -> Result<Instant, RunError> {
    chip.reset()?;
    chip.load_kinds(net, plan)?;
    for core in &plan.cores {
        chip.write(GlobalAddr::on_core(core.core, BOOT_OFFSET), &core.image)?;
    }
    if !plan.host.image.is_empty() {
        chip.write(plan.host.base, &plan.host.image)?;
    }
    let started = Instant::now();
    let cores: Vec<CoreId> = plan.cores.iter().map(|c| c.core).collect();
    chip.start(&cores)?;
    Ok(started)
}

/// Every process's result, read from the boot tables after a run.
pub(crate) fn collect(chip: &dyn Chip, net: &Network, plan: &Plan, elapsed: Duration) -> Result<RunReport, RunError> {
    let mut processes = Vec::with_capacity(net.processes().len());
    for (i, spec) in net.processes().iter().enumerate() {
        let mut record = TaskRecord::default();
        chip.read(record_addr(plan, i), bytemuck::bytes_of_mut(&mut record))?;
        let result = match kernel_block(chip, net, plan, i, &record)? {
            Some(block) if block.result_kind == result_kind::INT => Some(KernelResult::Int(block.result as i64)),
            Some(block) if block.result_kind == result_kind::FLOAT => {
                Some(KernelResult::Float(f64::from_bits(block.result)))
            }
            _ => None,
        };
        processes.push(ProcessReport {
            name: spec.name.clone(),
            kind: net.kind_of(spec).name().to_string(),
            core: plan.assignment[i],
            finished: record.status == task_status::FINISHED,
            value: record.value,
            aux: record.aux,
            ticks: record.ticks,
            result,
        });
    }
    Ok(RunReport {
        processes,
        counters: chip.counters(),
        elapsed,
    })
}

/// The SRAM address of process `i`'s room (its state).
fn room_addr(chip: &dyn Chip, plan: &Plan, i: usize, record: &TaskRecord) -> Result<GlobalAddr, RunError> {
    let core = plan.assignment[i];
    let arena = chip.read_word(GlobalAddr::on_core(core, BOOT_OFFSET + ARENA_OFFSET_OFFSET))?;
    Ok(GlobalAddr::on_core(core, arena + record.state_offset))
}

/// Byte offset of `arena_offset` in the boot header.
const ARENA_OFFSET_OFFSET: u32 = std::mem::offset_of!(BootHeader, arena_offset) as u32;

/// The block of process `i`'s room when it is a C kernel's.
fn kernel_block(
    chip: &dyn Chip,
    net: &Network,
    plan: &Plan,
    i: usize,
    record: &TaskRecord,
) -> Result<Option<KernelBlock>, RunError> {
    match net.kind_of(&net.processes()[i]) {
        KindRef::User(kind) if kind.is_c() => {
            let mut block = KernelBlock::default();
            chip.read(room_addr(chip, plan, i, record)?, bytemuck::bytes_of_mut(&mut block))?;
            Ok((block.magic == ecsp_device::kernel::KERNEL_MAGIC).then_some(block))
        }
        _ => Ok(None),
    }
}

/// What a failed process's error says: its code's description, and for a
/// C kernel what it said itself (`ecsp_fail`) or how it broke.
fn failure_message(chip: &dyn Chip, net: &Network, plan: &Plan, i: usize, record: &TaskRecord) -> String {
    let described = ProcessError::describe_code(record.error).to_string();
    let kind = net.kind_of(&net.processes()[i]);
    let Ok(Some(block)) = kernel_block(chip, net, plan, i, record) else {
        return described;
    };
    match record.error {
        11 if block.message != 0 => {
            let mut text = vec![0u8; (ecsp_device::kernel::MAX_MESSAGE + 32) as usize];
            let at = room_addr(chip, plan, i, record).map(|a| a.add(block.message));
            if at.and_then(|a| chip.read(a, &mut text).map_err(RunError::from)).is_err() {
                return described;
            }
            let len = text.iter().position(|&b| b == 0).unwrap_or(text.len());
            let message = String::from_utf8_lossy(&text[..len]);
            // `ecsp_fail_value`: the value, which the kernel leaves to the host to print.
            let value = if block.note == 1 {
                format!(" ({})", block.note_value)
            } else {
                String::new()
            };
            format!("kernel `{}` failed: {message}{value}", kind.name())
        }
        12 => format!(
            "kernel `{}` ran past the bottom of its {}-byte stack: give it more with STACK(bytes) (`ecsp plan` shows its room)",
            kind.name(),
            block.stack
        ),
        _ => format!("kernel `{}`: {described}", kind.name()),
    }
}

/// Where a running network stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Every process that must finish has finished.
    Finished,
    /// Processes are still running, or may run again.
    Running,
    /// The chip can never make progress again on its own (only the
    /// simulator's deterministic mode knows this): without the host, a
    /// deadlock.
    Stalled,
}

/// Looks at the chip once: a failure, or where the run stands. When
/// `every_process` is set (a network with host channels) the run is finished
/// only once every process has finished; otherwise once every process of a
/// kind that can finish has (and there is at least one).
pub(crate) fn progress(chip: &dyn Chip, net: &Network, plan: &Plan, every_process: bool) -> Result<Progress, RunError> {
    let must_finish: Vec<bool> = net
        .processes()
        .iter()
        .map(|p| every_process || !net.kind_of(p).forever())
        .collect();
    let any_must_finish = must_finish.contains(&true);
    {
        // First: once the chip says it stalled nothing changes any more, so
        // the faults and statuses read below are final.
        let stalled = chip.stalled();
        if let Some(fault) = chip.faults().into_iter().next() {
            let process = fault.task.and_then(|t| {
                let core_index = plan.cores.iter().position(|c| c.core == fault.core)?;
                let pid = *plan.cores[core_index].processes.get(t as usize)?;
                Some(net.processes()[pid.0].name.clone())
            });
            return Err(match process {
                Some(process) => RunError::ProcessFailed {
                    process,
                    core: fault.core,
                    message: fault.message,
                },
                None => RunError::CoreFailed {
                    core: fault.core,
                    message: fault.message,
                },
            });
        }
        let mut pending = Vec::new();
        for (i, &must) in must_finish.iter().enumerate() {
            let status = chip.read_word(record_addr(plan, i).add(TASK_STATUS_OFFSET))?;
            if status == task_status::FAILED {
                let mut record = TaskRecord::default();
                chip.read(record_addr(plan, i), bytemuck::bytes_of_mut(&mut record))?;
                return Err(RunError::ProcessFailed {
                    process: net.processes()[i].name.clone(),
                    core: plan.assignment[i],
                    message: failure_message(chip, net, plan, i, &record),
                });
            }
            if status != task_status::FINISHED && must {
                pending.push(i);
            }
        }
        if pending.is_empty() && any_must_finish {
            // With host channels, finished means the host has everything.
            if every_process && chip.host_writes_in_flight() {
                return Ok(Progress::Running);
            }
            return Ok(Progress::Finished);
        }
        Ok(if stalled { Progress::Stalled } else { Progress::Running })
    }
}

/// The error of a run that did not end within `timeout`: every process
/// still running, with what it waits on.
pub(crate) fn timeout_error(chip: &dyn Chip, net: &Network, plan: &Plan, timeout: Duration) -> RunError {
    let mut waiting = Vec::new();
    for (i, spec) in net.processes().iter().enumerate() {
        let mut record = TaskRecord::default();
        if let Err(e) = chip.read(record_addr(plan, i), bytemuck::bytes_of_mut(&mut record)) {
            return e.into();
        }
        if record.status != task_status::FINISHED {
            let waits = match describe_wait(chip, net, plan, ProcId(i), record.waiting) {
                Ok(w) => w,
                Err(e) => return e,
            };
            waiting.push(format!("`{}` on core {} {waits}", spec.name, plan.assignment[i]));
        }
    }
    RunError::Timeout {
        timeout,
        waiting: waiting.join("; "),
    }
}

/// The error of a chip that stalled: every blocked process and the cycle.
pub(crate) fn deadlock_error(chip: &dyn Chip, net: &Network, plan: &Plan) -> RunError {
    match deadlock_report(chip, net, plan) {
        Ok(report) => RunError::Deadlock { report },
        Err(e) => e,
    }
}

/// Longest the host waits for the rest of a network to stop after a
/// failure poisoned it.
pub(crate) const STOP_GRACE: Duration = Duration::from_secs(1);

/// After a process failed: poisons the network so every other process ends
/// (see [`crate::poison`]) and waits, at most until `deadline` and
/// [`STOP_GRACE`], until no core runs any more. The deterministic simulator
/// holds the chip where the failing step left it (its run must be a function
/// of the seed), so there the network is left as it is.
pub(crate) fn stop_after_failure(chip: &dyn Chip, plan: &Plan, deadline: Instant) {
    if chip.schedule_seed().is_some() {
        return;
    }
    // A word the chip refuses (an end a corrupted table points off the chip)
    // is skipped: every other channel is still poisoned.
    let _ = crate::poison::poison_network(chip, plan);
    let until = deadline.min(Instant::now() + STOP_GRACE);
    while !chip.stalled() {
        let now = Instant::now();
        if now >= until {
            return;
        }
        chip.wait_event((until - now).min(POLL_INTERVAL));
    }
}

/// True for the errors of a process or core that failed: those poison the network.
pub(crate) fn is_failure(e: &RunError) -> bool {
    matches!(e, RunError::ProcessFailed { .. } | RunError::CoreFailed { .. })
}

fn join(chip: &dyn Chip, net: &Network, plan: &Plan, started: Instant, timeout: Duration) -> Result<(), RunError> {
    let result = join_until_done(chip, net, plan, started, timeout, false);
    if let Err(e) = &result {
        if is_failure(e) {
            stop_after_failure(chip, plan, started + timeout);
        }
    }
    result
}

/// Waits, serving nothing, until the run finishes ([`progress`] with
/// `every_process`), fails, stalls (a deadlock) or passes `timeout` from
/// `started`.
pub(crate) fn join_until_done(
    chip: &dyn Chip,
    net: &Network,
    plan: &Plan,
    started: Instant,
    timeout: Duration,
    every_process: bool,
) -> Result<(), RunError> {
    loop {
        match progress(chip, net, plan, every_process)? {
            Progress::Finished => return Ok(()),
            Progress::Stalled => return Err(deadlock_error(chip, net, plan)),
            Progress::Running => {}
        }
        let elapsed = started.elapsed();
        if elapsed >= timeout {
            return Err(timeout_error(chip, net, plan, timeout));
        }
        chip.wait_event((timeout - elapsed).min(POLL_INTERVAL));
    }
}

/// What a process waits on, in words: [`Plan::describe_wait`], or, for a
/// process blocked on something other than one channel that is inside a
/// barrier episode, the barrier, the episode, and who has not arrived yet
/// (read from the participants' blocks).
fn describe_wait(
    chip: &dyn Chip,
    net: &Network,
    plan: &Plan,
    process: ProcId,
    waiting: u32,
) -> Result<String, RunError> {
    if waiting == WAIT_OTHER {
        for (b, rank) in net.barriers_of(process) {
            let blocks = &plan.barrier_blocks[b.0];
            let arrived = chip.read_word(blocks[rank as usize].add(BARRIER_ARRIVED))?;
            if arrived == chip.read_word(blocks[rank as usize].add(BARRIER_LEFT))? {
                continue;
            }
            let spec = &net.barriers()[b.0];
            let mut missing = Vec::new();
            for (&block, p) in blocks.iter().zip(&spec.participants) {
                let theirs = chip.read_word(block.add(BARRIER_ARRIVED))?;
                if (theirs.wrapping_sub(arrived) as i32) < 0 {
                    missing.push(format!("`{}`", net.processes()[p.0].name));
                }
            }
            let missing = match missing.len() {
                0 => String::new(),
                n if n > 8 => format!("; {n} have not arrived, among them {}", missing[..8].join(", ")),
                _ => format!("; not arrived yet: {}", missing.join(", ")),
            };
            return Ok(format!(
                "waits at {} barrier `{}` in episode {arrived}{missing}",
                spec.kind.name(),
                spec.name
            ));
        }
    }
    Ok(plan.describe_wait(net, process, waiting))
}

/// Reads every unfinished process's task record and finds a cycle of waits.
fn deadlock_report(chip: &dyn Chip, net: &Network, plan: &Plan) -> Result<DeadlockReport, RunError> {
    let n = net.processes().len();
    let mut blocked = Vec::new();
    // waits_for[p]: the processes p waits for (every process on the other
    // side of the channel end it waits on), the channel and the end.
    let mut waits_for: Vec<Option<(Vec<usize>, String, EndKind)>> = vec![None; n];
    let mut open = vec![false; n];
    for (i, spec) in net.processes().iter().enumerate() {
        let mut record = TaskRecord::default();
        chip.read(record_addr(plan, i), bytemuck::bytes_of_mut(&mut record))?;
        if record.status == task_status::FINISHED {
            continue;
        }
        open[i] = true;
        let (core_index, _) = plan.records[i];
        let end = match record.waiting {
            0 | WAIT_OTHER => None,
            w => plan.cores[core_index].ends.get((w - 1) as usize).copied(),
        };
        let channel = end.map(|(c, read)| {
            let ch = &net.channels()[c.0];
            let kind = if read { EndKind::Read } else { EndKind::Write };
            let peers = if read { &ch.writers } else { &ch.readers };
            waits_for[i] = Some((peers.iter().map(|p| p.0 .0).collect(), ch.name.clone(), kind));
            (ch.name.clone(), kind)
        });
        blocked.push(BlockedProcess {
            process: spec.name.clone(),
            core: plan.assignment[i],
            channel,
            waits: describe_wait(chip, net, plan, ProcId(i), record.waiting)?,
        });
    }
    // Only waits on processes that have not finished can close a cycle; a
    // shared end waits on any of its peers, so each open one is an edge.
    let edges: Vec<Vec<usize>> = (0..n)
        .map(|i| match &waits_for[i] {
            Some((peers, _, _)) => peers.iter().copied().filter(|&p| open[p]).collect(),
            None => Vec::new(),
        })
        .collect();
    let cycle = find_cycle(&edges)
        .map(|procs| {
            (0..procs.len())
                .map(|k| {
                    let (p, next) = (procs[k], procs[(k + 1) % procs.len()]);
                    let (_, channel, end) = waits_for[p].clone().expect("a cycle follows waits");
                    WaitLink {
                        process: net.processes()[p].name.clone(),
                        channel,
                        end,
                        peer: net.processes()[next].name.clone(),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(DeadlockReport {
        blocked,
        cycle,
        seed: chip.schedule_seed(),
    })
}

/// A cycle in the directed graph `edges` (adjacency lists), found by a
/// depth-first search from the lowest-numbered node; the cycle starts at its
/// lowest-numbered node.
fn find_cycle(edges: &[Vec<usize>]) -> Option<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Color {
        White,
        Grey,
        Black,
    }
    let mut color = vec![Color::White; edges.len()];
    for root in 0..edges.len() {
        if color[root] != Color::White {
            continue;
        }
        // The current path, and for each node on it the next edge to try.
        let mut path: Vec<(usize, usize)> = vec![(root, 0)];
        color[root] = Color::Grey;
        while let Some(top) = path.last_mut() {
            let node = top.0;
            if let Some(&to) = edges[node].get(top.1) {
                top.1 += 1;
                match color[to] {
                    Color::White => {
                        color[to] = Color::Grey;
                        path.push((to, 0));
                    }
                    Color::Grey => {
                        let at = path
                            .iter()
                            .position(|&(p, _)| p == to)
                            .expect("grey nodes are on the path");
                        let mut cycle: Vec<usize> = path[at..].iter().map(|&(p, _)| p).collect();
                        let lowest = (0..cycle.len()).min_by_key(|&i| cycle[i]).unwrap_or(0);
                        cycle.rotate_left(lowest);
                        return Some(cycle);
                    }
                    Color::Black => {}
                }
            } else {
                color[node] = Color::Black;
                path.pop();
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::find_cycle;

    #[test]
    fn finds_a_cycle_and_starts_it_at_its_lowest_node() {
        // 0 -> 1 -> 2 -> 3 -> 1, 4 alone.
        let edges = vec![vec![1], vec![2], vec![3], vec![1], vec![]];
        assert_eq!(find_cycle(&edges), Some(vec![1, 2, 3]));
        // A self-loop.
        assert_eq!(find_cycle(&[vec![0]]), Some(vec![0]));
        // A chain and a diamond: no cycle.
        assert_eq!(find_cycle(&[vec![1], vec![2], vec![]]), None);
        assert_eq!(find_cycle(&[vec![1, 2], vec![3], vec![3], vec![]]), None);
        // Two outgoing edges, the cycle through the second.
        assert_eq!(find_cycle(&[vec![1, 2], vec![], vec![0]]), Some(vec![0, 2]));
    }
}
