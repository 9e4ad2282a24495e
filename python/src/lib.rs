//! The `ecsp` Python package's extension module (`ecsp._ecsp`).
//!
//! A thin layer: it builds [`ecsp_host::network::Network`]s of device
//! processes, plans them onto a chip (the simulator, or a real Epiphany
//! through the eSDK with the `esdk` feature) and starts them as a
//! [`Session`] whose cores run while the Python scheduler runs Python
//! processes; the host ends of its host channels are the Python processes'. The
//! user API, its docstrings and the exception classes live in Python
//! (`python/ecsp/`); errors cross over through one function,
//! [`run_error`], which builds the Python exception with its fields.

use ecsp_device::channel::block::MAX_MESSAGE_SIZE;
use ecsp_device::message::MsgType;
use ecsp_device::process::{Arity, KINDS};
use ecsp_host::apps::host_bench::{capacity_for, host_channel_bench as host_channel_bench_rs, BenchError};
use ecsp_host::board::Board;
use ecsp_host::chip::Chip;
use ecsp_host::host_node::{HostReceiver, HostRecvError, HostSendError, HostSender};
use ecsp_host::network::{ChanId, ChannelKind, Network, NetworkError, Param, ProcId};
use ecsp_host::plan::{plan, Placement, PlanError};
use ecsp_host::run::{EndKind, Progress, RunError, RunReport};
use ecsp_host::session::Session;
use ecsp_host::sim::{Idle, SimChip, SimMode, SimOptions};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod buffer;
use buffer::ByteView;

/// Builds the exception `ecsp.exceptions.<class>(message, **fields)`.
fn py_error(py: Python<'_>, class: &str, message: String, fields: &Bound<'_, PyDict>) -> PyErr {
    let made = py
        .import("ecsp.exceptions")
        .and_then(|m| m.getattr(class))
        .and_then(|c| c.call((message,), Some(fields)));
    match made {
        Ok(err) => PyErr::from_value(err),
        Err(e) => e,
    }
}

/// A core as the Python API names it: (row, col) inside the chip.
fn core_tuple(board: &Board, core: ecsp_device::addr::CoreId) -> (u32, u32) {
    (core.row() - board.first_row, core.col() - board.first_col)
}

/// The one mapping of a planning error into `ecsp.PlanError`, with the
/// core and the bytes over when the network does not fit.
fn plan_error(py: Python<'_>, board: &Board, err: PlanError) -> PyErr {
    let fields = PyDict::new(py);
    let set = |k: &str, v: Bound<'_, PyAny>| fields.set_item(k, v);
    let filled = match &err {
        PlanError::DoesNotFit {
            core,
            needed,
            over,
            processes,
            ..
        } => set(
            "core",
            core_tuple(board, *core)
                .into_pyobject(py)
                .map(|v| v.into_any())
                .unwrap(),
        )
        .and_then(|_| set("bytes_over", over.into_pyobject(py).unwrap().into_any()))
        .and_then(|_| set("bytes_needed", needed.into_pyobject(py).unwrap().into_any()))
        .and_then(|_| set("processes", processes.into_pyobject(py).unwrap().into_any())),
        PlanError::TooManyProcesses { core, count } => set(
            "core",
            core_tuple(board, *core)
                .into_pyobject(py)
                .map(|v| v.into_any())
                .unwrap(),
        )
        .and_then(|_| set("processes", count.to_string().into_pyobject(py).unwrap().into_any())),
        _ => Ok(()),
    };
    if let Err(e) = filled {
        return e;
    }
    py_error(py, "PlanError", err.to_string(), &fields)
}

/// A network that is not well formed: `ecsp.Error` with the host's message.
fn network_error(py: Python<'_>, err: NetworkError) -> PyErr {
    py_error(py, "Error", err.to_string(), &PyDict::new(py))
}

/// The one mapping of [`RunError`] into the `ecsp` exceptions.
fn run_error(py: Python<'_>, board: &Board, err: RunError) -> PyErr {
    let message = err.to_string();
    let fields = PyDict::new(py);
    let result = (|| -> PyResult<&'static str> {
        Ok(match err {
            RunError::ProcessFailed { process, core, .. } => {
                fields.set_item("process", process)?;
                fields.set_item("core", core_tuple(board, core))?;
                "ProcessError"
            }
            RunError::CoreFailed { core, .. } => {
                fields.set_item("process", py.None())?;
                fields.set_item("core", core_tuple(board, core))?;
                "ProcessError"
            }
            RunError::Deadlock { report } => {
                let blocked = PyList::empty(py);
                for b in &report.blocked {
                    let d = PyDict::new(py);
                    d.set_item("process", &b.process)?;
                    d.set_item("core", core_tuple(board, b.core))?;
                    d.set_item("waits", &b.waits)?;
                    match &b.channel {
                        Some((name, end)) => {
                            d.set_item("channel", (name, if *end == EndKind::Read { "read" } else { "write" }))?
                        }
                        None => d.set_item("channel", py.None())?,
                    }
                    blocked.append(d)?;
                }
                let cycle = PyList::empty(py);
                for link in &report.cycle {
                    let end = if link.end == EndKind::Read { "read" } else { "write" };
                    cycle.append((&link.process, &link.channel, end, &link.peer))?;
                }
                let r = PyDict::new(py);
                r.set_item("blocked", blocked)?;
                r.set_item("cycle", cycle)?;
                r.set_item("seed", report.seed)?;
                r.set_item("text", report.to_string())?;
                fields.set_item("report", r)?;
                "DeadlockError"
            }
            RunError::Timeout { timeout, .. } => {
                fields.set_item("timeout", timeout.as_secs_f64())?;
                "TimeoutError"
            }
            _ => "Error",
        })
    })();
    match result {
        Ok(class) => py_error(py, class, message, &fields),
        Err(e) => e,
    }
}

/// A chip device processes run on: the simulator, or (with the `esdk`
/// feature) a real Epiphany through the eSDK. Everything past opening goes
/// through the [`Chip`] trait, so both run the same planner, sessions and
/// host channels; the simulator's own modes (deterministic host turns...)
/// are reached through the trait as well.
#[pyclass(frozen, name = "Chip", module = "ecsp._ecsp")]
struct ChipHandle {
    chip: Arc<dyn Chip>,
    /// Host threads the simulated cores run on; `None` on silicon.
    threads: Option<usize>,
}

/// `ecsp.Error` saying why a chip did not open.
fn open_error(py: Python<'_>, what: &str, err: impl std::fmt::Display) -> PyErr {
    py_error(py, "Error", format!("cannot open {what}: {err}"), &PyDict::new(py))
}

#[pymethods]
impl ChipHandle {
    /// Opens a simulated chip of `board` (a built-in name or an HDF path).
    #[staticmethod]
    #[pyo3(signature = (board, mode, seed, threads, idle="park"))]
    fn sim(
        py: Python<'_>,
        board: &str,
        mode: &str,
        seed: Option<u64>,
        threads: Option<usize>,
        idle: &str,
    ) -> PyResult<Self> {
        let board = Board::load(board).map_err(|e| py_error(py, "Error", e.to_string(), &PyDict::new(py)))?;
        let mode = match (mode, seed) {
            ("threaded", _) => SimMode::Threaded,
            ("deterministic", Some(seed)) => SimMode::Deterministic { seed },
            _ => return Err(PyValueError::new_err(format!("unknown simulator mode `{mode}`"))),
        };
        let idle =
            Idle::from_name(idle).ok_or_else(|| PyValueError::new_err(format!("unknown idle policy `{idle}`")))?;
        let chip = SimChip::with_options(board, SimOptions { threads, mode, idle })
            .map_err(|e| open_error(py, "the simulated chip", e))?;
        Ok(ChipHandle {
            threads: Some(chip.threads()),
            chip: Arc::new(chip),
        })
    }

    /// Opens the real chip of `board` through the eSDK (e-hal), loading
    /// `device_image` (default: the image this build carries). Without the
    /// `esdk` feature it raises, saying so.
    #[staticmethod]
    #[pyo3(signature = (board, device_image=None))]
    fn esdk(py: Python<'_>, board: &str, device_image: Option<std::path::PathBuf>) -> PyResult<Self> {
        let board = Board::load(board).map_err(|e| py_error(py, "Error", e.to_string(), &PyDict::new(py)))?;
        // e_init and the loader take a while on a board (seconds on esim):
        // other Python threads run meanwhile.
        let chip = py
            .detach(|| ecsp_host::esdk::open(board, device_image))
            .map_err(|e| open_error(py, "the chip through the eSDK", e))?;
        Ok(ChipHandle { chip, threads: None })
    }

    /// The backend: "sim" or "esdk".
    #[getter]
    fn backend(&self) -> &'static str {
        self.chip.backend()
    }

    /// The board's name.
    #[getter]
    fn board(&self) -> String {
        self.chip.board().name.clone()
    }

    /// (rows, cols) of the chip.
    #[getter]
    fn shape(&self) -> (u32, u32) {
        (self.chip.board().rows, self.chip.board().cols)
    }

    /// Host threads the simulated cores run on (None on silicon).
    #[getter]
    fn threads(&self) -> Option<usize> {
        self.threads
    }

    /// Ticks per second of the cores' clocks.
    #[getter]
    fn ticks_per_second(&self) -> u64 {
        self.chip.ticks_per_second()
    }
}

/// A network of device processes under construction.
#[pyclass(module = "ecsp._ecsp")]
struct DeviceNetwork {
    net: Network,
}

#[pymethods]
impl DeviceNetwork {
    #[new]
    fn new() -> Self {
        DeviceNetwork { net: Network::new() }
    }

    /// Adds a channel carrying `msg` ("i32", "f32[64]", "bytes:16"...);
    /// returns its index.
    fn channel(&mut self, py: Python<'_>, name: &str, msg: &str, capacity: u32, kind: &str) -> PyResult<usize> {
        let msg = MsgType::parse(msg).ok_or_else(|| {
            py_error(
                py,
                "Error",
                format!("channel `{name}`: message type `{msg}` cannot cross into the device"),
                &PyDict::new(py),
            )
        })?;
        let kind = match kind {
            "one2one" => ChannelKind::OneToOne,
            "any2one" => ChannelKind::AnyToOne,
            "one2any" => ChannelKind::OneToAny,
            "any2any" => ChannelKind::AnyToAny,
            _ => return Err(PyValueError::new_err(format!("unknown channel kind `{kind}`"))),
        };
        self.net
            .channel_of_kind(name, msg, capacity, kind)
            .map(|c| c.0)
            .map_err(|e| network_error(py, e))
    }

    /// Adds a barrier over the processes at `processes` (indexes from
    /// `process`); `wand`: the chip's hardware barrier. Returns its index.
    fn barrier(&mut self, py: Python<'_>, name: &str, processes: Vec<usize>, wand: bool) -> PyResult<usize> {
        let procs: Vec<ProcId> = processes.into_iter().map(ProcId).collect();
        let made = if wand {
            self.net.wand_barrier(name, &procs)
        } else {
            self.net.barrier(name, &procs)
        };
        made.map(|b| b.0).map_err(|e| network_error(py, e))
    }

    /// Adds the kernels of the C kernel file at `path` as kinds; returns
    /// their names.
    fn kernel_file(&mut self, py: Python<'_>, path: std::path::PathBuf) -> PyResult<Vec<String>> {
        self.net.kernel_file(path).map_err(|e| network_error(py, e))
    }

    /// Adds a process of a built-in kind or a kernel; returns its index. Parameters are
    /// ints, floats (real parameters) or strs (named choices).
    // One argument per field of the Python call (`py` is pyo3's token).
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (name, kind, inputs, outputs, params, pin))]
    fn process(
        &mut self,
        py: Python<'_>,
        name: &str,
        kind: &str,
        inputs: Vec<usize>,
        outputs: Vec<usize>,
        params: Vec<(String, Bound<'_, PyAny>)>,
        pin: Option<(u32, u32)>,
    ) -> PyResult<usize> {
        let inputs: Vec<ChanId> = inputs.into_iter().map(ChanId).collect();
        let outputs: Vec<ChanId> = outputs.into_iter().map(ChanId).collect();
        let mut values = Vec::with_capacity(params.len());
        for (param, value) in &params {
            let v = if value.is_instance_of::<pyo3::types::PyBool>() {
                value.extract::<bool>().ok().map(Param::Bool)
            } else if let Ok(i) = value.extract::<i64>() {
                Some(Param::Int(i))
            } else if value.is_instance_of::<pyo3::types::PyFloat>() {
                value.extract::<f64>().ok().map(Param::Real)
            } else {
                value.extract::<String>().ok().map(Param::Name)
            };
            let v = v.ok_or_else(|| {
                py_error(
                    py,
                    "Error",
                    format!("process `{name}` ({kind}): parameter `{param}` must be an int that fits 64 bits, a float, a bool or a str, got {value}"),
                    &PyDict::new(py),
                )
            })?;
            values.push((param.as_str(), v));
        }
        let id = self
            .net
            .process_with(name, kind, &inputs, &outputs, &values)
            .map_err(|e| network_error(py, e))?;
        if let Some((row, col)) = pin {
            self.net.pin(id, row, col);
        }
        Ok(id.0)
    }
}

/// A run's results as Python sees them: per process (name, kind, core,
/// finished, value, aux, ticks).
fn report_rows<'py>(py: Python<'py>, board: &Board, report: &RunReport) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for p in &report.processes {
        list.append(PyTuple::new(
            py,
            [
                p.name.clone().into_pyobject(py)?.into_any(),
                p.kind.as_str().into_pyobject(py)?.into_any(),
                core_tuple(board, p.core).into_pyobject(py)?.into_any(),
                p.finished.into_pyobject(py)?.to_owned().into_any(),
                p.value.into_pyobject(py)?.into_any(),
                p.aux.into_pyobject(py)?.into_any(),
                p.ticks.into_pyobject(py)?.into_any(),
                match p.result {
                    None => py.None().into_bound(py),
                    Some(ecsp_host::run::KernelResult::Int(i)) => i.into_pyobject(py)?.into_any(),
                    Some(ecsp_host::run::KernelResult::Float(f)) => f.into_pyobject(py)?.into_any(),
                },
            ],
        )?)?;
    }
    Ok(list)
}

/// Outcomes of a host end's try: 0 done, 1 not now (full, empty, not yet
/// delivered), 2 poisoned, 3 closed.
const TRY_DONE: u8 = 0;
const TRY_NOT_NOW: u8 = 1;
const TRY_POISONED: u8 = 2;
const TRY_CLOSED: u8 = 3;

/// Fruitless tries a batched host operation makes before it waits on the
/// chip's event: as many as the Rust host's own loops make
/// (`ecsp_host::apps::host_bench`), so a message (or room) that comes within a
/// microsecond or two is taken on the spot, and one that comes later wakes
/// the host at once.
const SPIN_TRIES: u32 = 64;
/// The longest wait of a batched host operation on the chip's event: it
/// ends at the event, so this only bounds a wait for an event that never
/// comes (as the Rust host's loops do).
const EVENT_WAIT: Duration = Duration::from_millis(1);

/// A batched host operation of `total` messages: `attempt(done)` moves
/// what it can now of the messages after the first `done`, or says why
/// none went.
///
/// With no `budget`, one attempt. With one (Python gives it only when no
/// other Python process could run meanwhile, and never on a deterministic
/// chip, which moves only in the hub's waits), it loops as the Rust host's
/// own loops do, attempt after attempt, [`SPIN_TRIES`] fruitless ones
/// before each wait (without the GIL) of up to [`EVENT_WAIT`] on the
/// chip's event, until every message went, the channel ended or `budget`
/// seconds passed (the hub's looks at deadlines and at Ctrl-C wait no
/// longer than that). Returns how many went; `Err` only when none did.
fn patiently<E: PartialEq>(
    py: Python<'_>,
    chip: &Arc<dyn Chip>,
    budget: f64,
    total: usize,
    mut attempt: impl FnMut(usize) -> Result<usize, E>,
    not_now: E,
) -> Result<usize, E> {
    if budget <= 0.0 {
        return attempt(0);
    }
    let deadline = Instant::now() + Duration::try_from_secs_f64(budget).unwrap_or(EVENT_WAIT);
    let mut done = 0;
    let mut idle = 0;
    while done < total {
        match attempt(done) {
            Ok(k) => {
                done += k;
                idle = 0;
                // A partner that keeps pace never makes it wait: the budget
                // bounds the time away from Python all the same.
                if Instant::now() >= deadline {
                    break;
                }
            }
            Err(e) if e == not_now => {
                idle += 1;
                if idle < SPIN_TRIES {
                    std::hint::spin_loop();
                    continue;
                }
                idle = 0;
                let now = Instant::now();
                if now >= deadline {
                    break;
                }
                let wait = (deadline - now).min(EVENT_WAIT);
                py.detach(|| chip.wait_event(wait));
            }
            // Poisoned or closed: what went before it counts first, and the
            // next call reports it.
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        }
    }
    if done == 0 {
        Err(not_now)
    } else {
        Ok(done)
    }
}

/// The messages `start..` of a batch of `len` bytes of `size`-byte messages,
/// as a byte range; a batch that is not whole messages, or an empty range,
/// is refused (a try that moves nothing must mean "not now").
fn batch_range(len: usize, size: usize, start: usize, count: usize) -> PyResult<std::ops::Range<usize>> {
    if len % size != 0 {
        return Err(PyValueError::new_err(format!(
            "a batch of {len} bytes is not a whole number of {size}-byte messages"
        )));
    }
    let n = len / size;
    match start.checked_add(count) {
        Some(end) if count > 0 && end <= n => Ok(start * size..end * size),
        _ => Err(PyValueError::new_err(format!(
            "messages {start}..{start}+{count} are not within a batch of {n}"
        ))),
    }
}

/// A network with host channels, started on a chip; the Python scheduler
/// drives it (no thread of its own: the host's ends are polled by the
/// Python processes that hold them).
#[pyclass(module = "ecsp._ecsp", unsendable)]
struct DeviceSession {
    chip: Arc<dyn Chip>,
    session: Option<Session>,
}

impl DeviceSession {
    fn live(&self) -> PyResult<&Session> {
        self.session
            .as_ref()
            .ok_or_else(|| PyValueError::new_err("the device session has ended"))
    }
}

#[pymethods]
impl DeviceSession {
    /// Plans `net` on `chip` and starts it; planning errors raise here.
    #[new]
    fn start(py: Python<'_>, chip: &ChipHandle, net: &DeviceNetwork, placement: &str) -> PyResult<Self> {
        let placement = Placement::from_name(placement)
            .ok_or_else(|| PyValueError::new_err(format!("unknown placement `{placement}`: auto, spread or packed")))?;
        let c = chip.chip.clone();
        let planned = plan(&net.net, c.board(), placement, &|k, d| c.state_layout(k, d))
            .map_err(|e| plan_error(py, c.board(), e))?;
        let session = Session::start(c.clone(), Arc::new(net.net.clone()), Arc::new(planned))
            .map_err(|e| run_error(py, c.board(), e))?;
        Ok(DeviceSession {
            chip: c,
            session: Some(session),
        })
    }

    /// The host's write end of channel `chan` (which device processes read).
    fn host_sender(&mut self, py: Python<'_>, chan: usize) -> PyResult<HostTx> {
        let session = self
            .session
            .as_mut()
            .ok_or_else(|| PyValueError::new_err("the device session has ended"))?;
        let end = session
            .host_sender(ChanId(chan))
            .map_err(|e| py_error(py, "Error", e.to_string(), &PyDict::new(py)))?;
        Ok(HostTx {
            end,
            chip: session.chip().clone(),
        })
    }

    /// The host's read end of channel `chan` (which device processes write).
    fn host_receiver(&mut self, py: Python<'_>, chan: usize) -> PyResult<HostRx> {
        let session = self
            .session
            .as_mut()
            .ok_or_else(|| PyValueError::new_err("the device session has ended"))?;
        let end = session
            .host_receiver(ChanId(chan))
            .map_err(|e| py_error(py, "Error", e.to_string(), &PyDict::new(py)))?;
        let buf = vec![0; end.msg_size()];
        Ok(HostRx {
            end,
            buf,
            chip: session.chip().clone(),
        })
    }

    /// Sleeps (without the GIL) until something may have changed on the
    /// chip, or `timeout` seconds.
    fn wait_event(&self, py: Python<'_>, timeout: f64) -> PyResult<()> {
        let session = self.live()?;
        let wait = Duration::try_from_secs_f64(timeout.max(0.0)).unwrap_or(Duration::MAX);
        let chip = session.chip().clone();
        py.detach(move || chip.wait_event(wait));
        Ok(())
    }

    /// Where the run stands: 0 running, 1 finished, 2 stalled (the chip can
    /// never move again on its own); a device failure raises.
    fn progress(&self, py: Python<'_>) -> PyResult<u8> {
        match self.live()?.progress() {
            Ok(Progress::Running) => Ok(0),
            Ok(Progress::Finished) => Ok(1),
            Ok(Progress::Stalled) => Ok(2),
            Err(e) => Err(run_error(py, self.chip.board(), e)),
        }
    }

    /// The deadlock error of a stalled run, with who waits on what.
    fn deadlock(&self, py: Python<'_>) -> PyResult<PyErr> {
        Ok(run_error(py, self.chip.board(), self.live()?.deadlock()))
    }

    /// Ends the run: waits (without the GIL) up to `timeout` seconds from
    /// its start for every process to finish when `wait` is true, then
    /// halts the chip and returns the results, or raises the run's error.
    fn finish<'py>(&mut self, py: Python<'py>, wait: bool, timeout: f64) -> PyResult<Bound<'py, PyList>> {
        let session = self
            .session
            .take()
            .ok_or_else(|| PyValueError::new_err("the device session has ended"))?;
        let timeout = Duration::try_from_secs_f64(timeout.max(0.0)).unwrap_or(Duration::MAX);
        let result = py.detach(move || {
            if wait {
                session.join(timeout)
            } else {
                session.finish(Ok(()))
            }
        });
        match result {
            Ok(report) => report_rows(py, self.chip.board(), &report),
            Err(e) => Err(run_error(py, self.chip.board(), e)),
        }
    }
}

/// The host's write end of a host channel.
#[pyclass(module = "ecsp._ecsp", unsendable)]
struct HostTx {
    end: HostSender,
    /// The chip, whose events a batched send waits on.
    chip: Arc<dyn Chip>,
}

#[pymethods]
impl HostTx {
    /// Bytes per message.
    #[getter]
    fn msg_size(&self) -> usize {
        self.end.msg_size()
    }

    /// Sends one message (exactly `msg_size` bytes) if that needs no wait.
    fn try_send(&mut self, msg: &[u8]) -> PyResult<u8> {
        if msg.len() != self.end.msg_size() {
            return Err(PyValueError::new_err(format!(
                "a message of this channel is {} bytes, got {}",
                self.end.msg_size(),
                msg.len()
            )));
        }
        Ok(match self.end.try_send(msg) {
            Ok(()) => TRY_DONE,
            Err(HostSendError::Full) => TRY_NOT_NOW,
            Err(HostSendError::Poisoned) => TRY_POISONED,
            Err(HostSendError::Closed) => TRY_CLOSED,
        })
    }

    /// Sends the messages of `msgs` (any C-contiguous object with the
    /// buffer protocol, a whole number of messages long) from message
    /// `start` on, in order, straight from its memory: as many as go now,
    /// or with a `budget` of seconds, as many as go within it, waiting on
    /// the chip meanwhile (see [`patiently`]). Returns how many went (0:
    /// none), or minus the outcome (-2 poisoned, -3 closed) when none did.
    fn try_send_many(&mut self, py: Python<'_>, msgs: &Bound<'_, PyAny>, start: usize, budget: f64) -> PyResult<i64> {
        let view = ByteView::of(msgs)?;
        let size = self.end.msg_size();
        let n = view.len() / size;
        let range = batch_range(view.len(), size, start, n.saturating_sub(start))?;
        let end = &mut self.end;
        let attempt = |done: usize| end.try_send_many(&view.as_slice()[range.start + done * size..range.end]);
        let total = range.len() / size;
        let sent = patiently(py, &self.chip, budget, total, attempt, HostSendError::Full);
        Ok(match sent {
            Ok(sent) => sent as i64,
            Err(HostSendError::Full) => 0,
            Err(HostSendError::Poisoned) => -i64::from(TRY_POISONED),
            Err(HostSendError::Closed) => -i64::from(TRY_CLOSED),
        })
    }

    /// Done once the reader took every message sent so far.
    fn delivered(&mut self) -> u8 {
        match self.end.delivered() {
            Ok(true) => TRY_DONE,
            Ok(false) => TRY_NOT_NOW,
            Err(_) => TRY_POISONED,
        }
    }

    /// Retires the writer.
    fn close(&mut self) {
        self.end.close();
    }

    /// Poisons the channel.
    fn poison(&mut self) {
        self.end.poison();
    }
}

/// The host's read end of a host channel.
#[pyclass(module = "ecsp._ecsp", unsendable)]
struct HostRx {
    end: HostReceiver,
    buf: Vec<u8>,
    /// The chip, whose events a batched receive waits on.
    chip: Arc<dyn Chip>,
}

#[pymethods]
impl HostRx {
    /// Bytes per message.
    #[getter]
    fn msg_size(&self) -> usize {
        self.end.msg_size()
    }

    /// (outcome, message bytes or None).
    fn try_recv<'py>(&mut self, py: Python<'py>) -> (u8, Option<Bound<'py, PyBytes>>) {
        match self.end.try_recv(&mut self.buf) {
            Ok(()) => (TRY_DONE, Some(PyBytes::new(py, &self.buf))),
            Err(HostRecvError::Empty) => (TRY_NOT_NOW, None),
            Err(HostRecvError::Poisoned) => (TRY_POISONED, None),
            Err(HostRecvError::Closed) => (TRY_CLOSED, None),
        }
    }

    /// Receives up to `count` messages into `out` (a writable,
    /// C-contiguous object with the buffer protocol, a whole number of
    /// messages long) from message slot `start` on, as many as are waiting
    /// now (with a `budget` of seconds: as many as come within it, waiting
    /// on the chip meanwhile, see [`patiently`]), never more than `count`,
    /// in order, straight into its memory. Returns how many came (0: none),
    /// or minus the outcome (-2 poisoned, -3 closed and drained) when none
    /// did.
    fn try_recv_many(
        &mut self,
        py: Python<'_>,
        out: &Bound<'_, PyAny>,
        start: usize,
        count: usize,
        budget: f64,
    ) -> PyResult<i64> {
        let mut view = ByteView::of_mut(out)?;
        let size = self.end.msg_size();
        let range = batch_range(view.len(), size, start, count)?;
        let end = &mut self.end;
        let attempt = |done: usize| end.try_recv_many(&mut view.as_mut_slice()[range.start + done * size..range.end]);
        let got = patiently(py, &self.chip, budget, count, attempt, HostRecvError::Empty);
        Ok(match got {
            Ok(got) => got as i64,
            Err(HostRecvError::Empty) => 0,
            Err(HostRecvError::Poisoned) => -i64::from(TRY_POISONED),
            Err(HostRecvError::Closed) => -i64::from(TRY_CLOSED),
        })
    }

    /// Poisons the channel.
    fn poison(&mut self) {
        self.end.poison();
    }
}

/// A built-in kind as Python sees it: (name, summary, inputs, outputs,
/// params, forever), with inputs and outputs as (min, max).
type KindRow = (
    &'static str,
    &'static str,
    (u32, u32),
    (u32, u32),
    Vec<&'static str>,
    bool,
);

/// Every built-in device process kind.
/// One kernel of a kernel file: (name, summary, line, ports as (direction,
/// name, message type), parameters as (name, type, default or None),
/// barriers, stack bytes, forever).
type KernelRow = (
    String,
    String,
    u32,
    Vec<(String, String, String)>,
    Vec<(String, String, Option<Py<PyAny>>)>,
    Vec<String>,
    u32,
    bool,
);

/// The kernels a C kernel file declares, read without compiling it.
#[pyfunction]
fn kernel_declarations(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Vec<KernelRow>> {
    use ecsp_host::kernels::decl::{Item, ParamValue};
    let file = ecsp_host::kernels::KernelFile::open(&path).map_err(|e| network_error(py, e.into()))?;
    let mut rows = Vec::new();
    for k in &file.kernels {
        let ports = k
            .items
            .iter()
            .filter_map(|i| match i {
                Item::In(p) => Some(("in".to_string(), p.name.clone(), p.msg.to_string())),
                Item::Out(p) => Some(("out".to_string(), p.name.clone(), p.msg.to_string())),
                _ => None,
            })
            .collect();
        let mut params = Vec::new();
        for p in k.params() {
            let default = match p.default {
                None => None,
                Some(ParamValue::Int(i)) => Some(i.into_pyobject(py)?.into_any().unbind()),
                Some(ParamValue::Float(f)) => Some(f.into_pyobject(py)?.into_any().unbind()),
                Some(ParamValue::Bool(b)) => Some(b.into_pyobject(py)?.to_owned().into_any().unbind()),
            };
            params.push((p.name.clone(), p.ty.name().to_string(), default));
        }
        rows.push((
            k.name.clone(),
            k.summary.clone(),
            k.line,
            ports,
            params,
            k.barriers().map(String::from).collect(),
            k.stack(),
            k.forever(),
        ));
    }
    Ok(rows)
}

/// What kernel `name` of the C file at `path` costs on a core of the chip:
/// (code bytes of an image carrying it alone, bytes a core has for code,
/// the stack it needs, the stack it declares). Builds the image with the
/// Epiphany compiler (or takes it from the cache).
#[pyfunction]
fn kernel_image(py: Python<'_>, path: std::path::PathBuf, name: &str) -> PyResult<(u32, u32, u32, u32)> {
    use ecsp_host::kernels::image::{build, ImageSpec, CODE_ROOM};
    use ecsp_host::kernels::{cache::Cache, KernelFile, UserKind};
    let fail = |e: ecsp_host::kernels::KernelError| network_error(py, e.into());
    let file = std::sync::Arc::new(KernelFile::open(&path).map_err(fail)?);
    let kind = UserKind::of_file(&file)
        .into_iter()
        .find(|k| k.decl.name == name)
        .ok_or_else(|| {
            PyErr::new::<pyo3::exceptions::PyKeyError, _>(format!("{} declares no kernel `{name}`", path.display()))
        })?;
    let spec = ImageSpec {
        kinds: 0,
        dtypes: 0,
        kernels: vec![(ecsp_device::kernel::USER_KIND_BASE, std::sync::Arc::new(kind))],
    };
    let cache = Cache::open().map_err(fail)?;
    let image = py.detach(|| build(&cache, &spec)).map_err(fail)?;
    let (_, needed, declared) = image.stacks.first().cloned().unwrap_or_default();
    Ok((image.code_bytes, CODE_ROOM, needed, declared))
}

/// The C kernels of `ecsp bench kernels`, as their source.
#[pyfunction]
fn bench_kernels_source() -> &'static str {
    ecsp_host::apps::kernel_bench::SOURCE
}

#[pyfunction]
fn kinds() -> Vec<KindRow> {
    let arity = |a: Arity| match a {
        Arity::Exactly(n) => (n, n),
        Arity::Between { min, max } => (min, max),
    };
    KINDS
        .iter()
        .map(|k| {
            (
                k.name,
                k.summary,
                arity(k.inputs),
                arity(k.outputs),
                k.params.to_vec(),
                k.forever,
            )
        })
        .collect()
}

/// The buffer `ecsp bench host-channel` gives `size`-byte messages when
/// `capacity` is asked for (fewer for large messages: 8 KiB of ring at
/// most), so the Python benchmark measures the same channel.
#[pyfunction]
fn host_channel_capacity(size: u32, capacity: u32) -> PyResult<u32> {
    if size == 0 {
        return Err(PyValueError::new_err("message size 0: give at least 1 byte"));
    }
    Ok(capacity_for(size, capacity))
}

/// A measurement of [`host_channel_bench`]: (direction, msg_bytes,
/// messages, capacity, bytes_per_second, ns_per_message).
type ThroughputRow = (&'static str, u32, u64, u32, f64, f64);

/// `ecsp bench host-channel` run in this process on `chip` (the Rust
/// figure the Python benchmark sets its own beside, in the same
/// conditions); the GIL is released while it runs.
#[pyfunction]
fn host_channel_bench(
    py: Python<'_>,
    chip: &ChipHandle,
    sizes: Vec<u32>,
    messages: u64,
    capacity: u32,
    timeout: f64,
) -> PyResult<Vec<ThroughputRow>> {
    let c = chip.chip.clone();
    let timeout = Duration::try_from_secs_f64(timeout.max(0.0)).unwrap_or(Duration::MAX);
    let dynchip = c.clone();
    let results = py.detach(move || host_channel_bench_rs(dynchip, &sizes, messages, capacity, timeout));
    match results {
        Ok(rows) => Ok(rows
            .into_iter()
            .map(|r| {
                (
                    r.direction,
                    r.msg_bytes,
                    r.messages,
                    r.capacity,
                    r.bytes_per_second,
                    r.ns_per_message,
                )
            })
            .collect()),
        Err(BenchError::Run(e)) => Err(run_error(py, c.board(), e)),
        Err(BenchError::Plan(e)) => Err(plan_error(py, c.board(), e)),
        Err(e) => Err(py_error(py, "Error", e.to_string(), &PyDict::new(py))),
    }
}

/// The built-in board names.
#[pyfunction]
fn boards() -> Vec<&'static str> {
    Board::builtin_names().to_vec()
}

/// The extension module.
#[pymodule]
fn _ecsp(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<ChipHandle>()?;
    m.add_class::<DeviceNetwork>()?;
    m.add_class::<DeviceSession>()?;
    m.add_class::<HostTx>()?;
    m.add_class::<HostRx>()?;
    m.add_function(wrap_pyfunction!(kinds, m)?)?;
    m.add_function(wrap_pyfunction!(kernel_declarations, m)?)?;
    m.add_function(wrap_pyfunction!(kernel_image, m)?)?;
    m.add_function(wrap_pyfunction!(bench_kernels_source, m)?)?;
    m.add_function(wrap_pyfunction!(boards, m)?)?;
    m.add_function(wrap_pyfunction!(host_channel_bench, m)?)?;
    m.add_function(wrap_pyfunction!(host_channel_capacity, m)?)?;
    m.add("MAX_MESSAGE_SIZE", MAX_MESSAGE_SIZE)?;
    // Whether `Chip.esdk` can open a real chip (built with the `esdk` feature).
    m.add("ESDK", ecsp_host::esdk::COMPILED_IN)?;
    Ok(())
}
