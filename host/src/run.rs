//! Running a planned network: load the boot tables, start the cores, join
//! with a timeout, and read every process's result back.
//!
//! A run ends when every process that can finish has finished (processes of
//! kinds that run forever, like `succ` or `delta`, are then stopped with the
//! chip), when a process fails, or at the timeout. A failure or timeout
//! names the processes involved and their cores.

use crate::chip::{Chip, ChipError, CoreCounters};
use crate::network::{Network, ProcId};
use crate::plan::Plan;
use ecsp_device::addr::{CoreId, GlobalAddr};
use ecsp_device::boot::{task_status, TaskRecord, BOOT_OFFSET, TASK_STATUS_OFFSET};
use ecsp_device::process::ProcessError;
use std::time::{Duration, Instant};

/// How long the host sleeps between looks at the boot tables at most.
const POLL_INTERVAL: Duration = Duration::from_millis(20);

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
}

/// One process's result.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProcessReport {
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: &'static str,
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
pub fn run(chip: &dyn Chip, net: &Network, plan: &Plan, timeout: Duration) -> Result<RunReport, RunError> {
    chip.reset()?;
    for core in &plan.cores {
        chip.write(GlobalAddr::on_core(core.core, BOOT_OFFSET), &core.image)?;
    }
    let started = Instant::now();
    let cores: Vec<CoreId> = plan.cores.iter().map(|c| c.core).collect();
    chip.start(&cores)?;
    let result = join(chip, net, plan, started, timeout);
    chip.halt()?;
    let elapsed = started.elapsed();
    result?;
    let mut processes = Vec::with_capacity(net.processes().len());
    for (i, spec) in net.processes().iter().enumerate() {
        let mut record = TaskRecord::default();
        chip.read(record_addr(plan, i), bytemuck::bytes_of_mut(&mut record))?;
        processes.push(ProcessReport {
            name: spec.name.clone(),
            kind: spec.kind_spec().name,
            core: plan.assignment[i],
            finished: record.status == task_status::FINISHED,
            value: record.value,
            aux: record.aux,
            ticks: record.ticks,
        });
    }
    Ok(RunReport {
        processes,
        counters: chip.counters(),
        elapsed,
    })
}

fn join(chip: &dyn Chip, net: &Network, plan: &Plan, started: Instant, timeout: Duration) -> Result<(), RunError> {
    let must_finish: Vec<bool> = net.processes().iter().map(|p| !p.kind_spec().forever).collect();
    let any_must_finish = must_finish.contains(&true);
    loop {
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
                    message: ProcessError::describe_code(record.error).to_string(),
                });
            }
            if status != task_status::FINISHED && must {
                pending.push(i);
            }
        }
        if pending.is_empty() && any_must_finish {
            return Ok(());
        }
        let elapsed = started.elapsed();
        if elapsed >= timeout {
            // Report every process still running, with what it waits on.
            let mut waiting = Vec::new();
            for (i, spec) in net.processes().iter().enumerate() {
                let mut record = TaskRecord::default();
                chip.read(record_addr(plan, i), bytemuck::bytes_of_mut(&mut record))?;
                if record.status != task_status::FINISHED {
                    waiting.push(format!(
                        "`{}` on core {} {}",
                        spec.name,
                        plan.assignment[i],
                        plan.describe_wait(net, ProcId(i), record.waiting)
                    ));
                }
            }
            return Err(RunError::Timeout {
                timeout,
                waiting: waiting.join("; "),
            });
        }
        chip.wait_event((timeout - elapsed).min(POLL_INTERVAL));
    }
}
