//! Traces as Chrome trace event JSON: what `--trace FILE` writes, for
//! Perfetto (ui.perfetto.dev) or chrome://tracing.
//!
//! One track per core (`tid` is the core id, named `core 0x808 (0,0)`).
//! Sends, receives, alternation choices, finished processes and the core's
//! wake-ups are instant events; a block is a slice from the moment the process blocked to its
//! next event (the wait it ended). Every event names its process and, for
//! channel events, the channel; timestamps are microseconds of the chip's
//! clock (virtual time in the simulator's deterministic mode).

use crate::chip::TraceRecord;
use crate::network::{ChanId, Network, ProcId};
use crate::plan::Plan;
use ecsp_device::addr::CoreId;
use ecsp_device::boot::WAIT_OTHER;
use ecsp_device::trace::TraceKind;
use serde_json::{json, Value};
use std::collections::HashMap;

/// What one core's end and task tables say, for naming its events.
struct CoreNames<'a> {
    /// Per end index: the channel and whether it is read here.
    ends: &'a [(ChanId, bool)],
    /// Per end index: the process holding it.
    end_owner: Vec<ProcId>,
    /// Task record offset -> process.
    by_record: HashMap<u32, ProcId>,
}

fn core_names<'a>(net: &Network, plan: &'a Plan, core: CoreId) -> Option<CoreNames<'a>> {
    let cp = plan.cores.iter().find(|c| c.core == core)?;
    let mut end_owner = Vec::with_capacity(cp.ends.len());
    for &p in &cp.processes {
        let spec = &net.processes()[p.0];
        end_owner.extend(std::iter::repeat_n(p, spec.inputs.len() + spec.outputs.len()));
    }
    let by_record = cp
        .task_records
        .iter()
        .copied()
        .zip(cp.processes.iter().copied())
        .collect();
    Some(CoreNames {
        ends: &cp.ends,
        end_owner,
        by_record,
    })
}

/// The Chrome trace of a run: `trace` as [`crate::chip::Chip::take_trace`]
/// returned it, named after `net` and `plan`, timed with `ticks_per_second`.
pub fn chrome_trace(net: &Network, plan: &Plan, ticks_per_second: u64, trace: &[(CoreId, Vec<TraceRecord>)]) -> Value {
    let us = |ticks: u64| ticks as f64 * 1e6 / ticks_per_second.max(1) as f64;
    let mut events = Vec::new();
    for (core, records) in trace {
        let Some(names) = core_names(net, plan, *core) else {
            continue;
        };
        let tid = core.raw();
        events.push(json!({
            "ph": "M", "name": "thread_name", "pid": 1, "tid": tid,
            "args": { "name": format!("core {core}") },
        }));
        // Per process: when it blocked and on what, until its next event.
        let mut blocked: HashMap<ProcId, (u64, String)> = HashMap::new();
        for r in records {
            let end = |what: u32| {
                names
                    .ends
                    .get(what as usize)
                    .map(|&(c, read)| (net.channels()[c.0].name.as_str(), read))
            };
            if r.kind == TraceKind::Wake {
                events.push(json!({
                    "ph": "i", "s": "t", "name": "core wakes", "cat": "core", "pid": 1, "tid": tid,
                    "ts": us(r.ticks),
                }));
                continue;
            }
            let process = match r.kind {
                TraceKind::Send | TraceKind::Receive => names.end_owner.get(r.what as usize).copied(),
                _ => names.by_record.get(&r.task_record).copied(),
            };
            let Some(process) = process.or_else(|| names.by_record.get(&r.task_record).copied()) else {
                continue;
            };
            let pname = net.processes()[process.0].name.as_str();
            if r.kind != TraceKind::Block {
                if let Some((since, what)) = blocked.remove(&process) {
                    events.push(json!({
                        "ph": "X", "name": format!("{pname} {what}"), "cat": "block", "pid": 1, "tid": tid,
                        "ts": us(since), "dur": us(r.ticks.saturating_sub(since)),
                        "args": { "process": pname },
                    }));
                }
            }
            let (name, args) = match r.kind {
                TraceKind::Send | TraceKind::Receive => {
                    let (channel, _) = end(r.what).unwrap_or(("?", false));
                    let verb = if r.kind == TraceKind::Send { "send" } else { "receive" };
                    (
                        format!("{pname} {verb} {channel}"),
                        json!({ "process": pname, "channel": channel }),
                    )
                }
                TraceKind::AltChoice => (
                    format!("{pname} alt chose guard {}", r.what),
                    json!({ "process": pname, "guard": r.what }),
                ),
                TraceKind::Finish => (
                    if r.what == 0 {
                        format!("{pname} finished")
                    } else {
                        format!(
                            "{pname} failed: {}",
                            ecsp_device::process::ProcessError::describe_code(r.what)
                        )
                    },
                    json!({ "process": pname, "error": r.what }),
                ),
                TraceKind::Wake => unreachable!("handled above"),
                TraceKind::Block => {
                    let what = match r.what {
                        WAIT_OTHER => "waits on several channels, a timer or a barrier".to_string(),
                        w => match end(w.wrapping_sub(1)) {
                            Some((channel, true)) => format!("waits to read {channel}"),
                            Some((channel, false)) => format!("waits to write {channel}"),
                            None => "waits".to_string(),
                        },
                    };
                    blocked.insert(process, (r.ticks, what));
                    continue;
                }
            };
            events.push(json!({
                "ph": "i", "s": "t", "name": name, "cat": "channel", "pid": 1, "tid": tid,
                "ts": us(r.ticks), "args": args,
            }));
        }
        // Still blocked when the run ended: a slice to the last event.
        let end = records.last().map_or(0, |r| r.ticks);
        let mut still: Vec<_> = blocked.into_iter().collect();
        still.sort_by_key(|(p, _)| p.0);
        for (process, (since, what)) in still {
            let pname = net.processes()[process.0].name.as_str();
            events.push(json!({
                "ph": "X", "name": format!("{pname} {what}"), "cat": "block", "pid": 1, "tid": tid,
                "ts": us(since), "dur": us(end.saturating_sub(since)),
                "args": { "process": pname, "still_blocked": true },
            }));
        }
    }
    events.insert(
        0,
        json!({ "ph": "M", "name": "process_name", "pid": 1, "args": { "name": format!("ecsp on {}", plan.board_name) } }),
    );
    json!({ "traceEvents": events, "displayTimeUnit": "ns" })
}
