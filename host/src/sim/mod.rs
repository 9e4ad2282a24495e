//! The simulated Epiphany: ecsp's default backend.
//!
//! It models what the device runtime can observe of a chip: every core's
//! 32 KiB SRAM and register block and the DRAM window ([`memory`]), register
//! behaviour ([`registers`]), memory faults on any access outside them, and
//! per-core traffic counters. The device runtime (the `ecsp-device` crate)
//! runs on the simulated cores unchanged, through [`mesh::SimMesh`].
//!
//! Two modes ([`SimMode`]) share everything above, the executors, the
//! counters and the fault handling:
//!
//! - Threaded ([`scheduler`], the default): the cores run on a pool of at
//!   most as many host threads as the host has CPUs; a core is scheduled
//!   only when it has work, and an idle core costs nothing. Fast, and
//!   ordered by the host's memory model, which gives more than the chip.
//! - Deterministic (`deterministic`): one host thread steps every core in
//!   an order drawn from a seed, and every write that crosses the mesh
//!   travels a per-(source, destination) FIFO delivered at a seed-chosen
//!   step: exactly the ordering the Epiphany promises and no more. A seed
//!   replays its run exactly, and a deadlock is detected exactly.

mod deterministic;
mod events;
mod memory;
pub mod mesh;
mod registers;
mod scheduler;
mod timers;
mod wand;

use crate::board::Board;
use crate::chip::{Chip, ChipError, CoreCounters, CoreFault, HostWindow, TraceRecord};
use crate::kernels::cache::Cache;
use crate::kernels::sim::{KernelFault, LoadReport, SimKinds};
use crate::kernels::UserKind;
use ecsp_device::addr::{reg, CoreId, GlobalAddr, Irq, REGS_BASE};
use ecsp_device::executor::{Executor, RunStatus};
use ecsp_device::mesh::{copy_from_shared, copy_to_shared};
use ecsp_device::message::Dtype;
use ecsp_device::process::ProcessError;
use memory::{Memory, Target};
use mesh::SimMesh;
use registers::{Effect, Registers};
use scheduler::{IdleOutcome, RunQueue, SchedState};
use std::cell::{Cell, RefCell, UnsafeCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use timers::Timers;

/// Executor rounds a core runs before it yields its worker to queued cores.
const ROUND_BUDGET: u32 = 64;
/// Cores a worker runs from its next slot before it looks at the shared queue.
const NEXT_STREAK: u32 = 61;
/// Times a core notified while running is run again before it yields.
const RERUN_BUDGET: u32 = 16;

/// How the simulated cores are scheduled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SimMode {
    /// A pool of host threads runs the cores as fast as it can (the default).
    #[default]
    Threaded,
    /// One host thread steps the chip in an order drawn from `seed`, and
    /// delivers writes between cores at seed-chosen steps, in no order the
    /// chip does not promise. The same seed replays the same run.
    Deterministic {
        /// The seed of the schedule.
        seed: u64,
    },
}

impl SimMode {
    /// "threaded" or "deterministic".
    pub fn name(&self) -> &'static str {
        match self {
            SimMode::Threaded => "threaded",
            SimMode::Deterministic { .. } => "deterministic",
        }
    }
}

/// What the simulator's host threads do while they wait (threaded mode):
/// for a simulated core to have work, or, in [`Chip::wait_event`], for the
/// chip to do something the host can see.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Idle {
    /// Spin briefly, then sleep on the OS until woken (the default): a
    /// network that waits on nothing burns no host CPU, but every wake-up
    /// costs an OS thread switch, tens of microseconds on a busy machine.
    #[default]
    Park,
    /// Spin for up to [`Idle::SPIN_LIMIT`] before sleeping: a host program
    /// streaming through host channels, or a benchmark, pays no OS wake-ups,
    /// and its figures measure ecsp rather than the OS scheduler. Each
    /// waiting thread keeps a host CPU busy, so use it with no more
    /// simulator threads than the host has CPUs to spare (`threads`).
    Spin,
}

impl Idle {
    /// How long [`Idle::Spin`] spins before it sleeps anyway: a chip left
    /// idle between runs goes quiet after this.
    pub const SPIN_LIMIT: Duration = Duration::from_millis(50);

    /// "park" or "spin".
    pub fn name(&self) -> &'static str {
        match self {
            Idle::Park => "park",
            Idle::Spin => "spin",
        }
    }

    /// Parses "park" or "spin".
    pub fn from_name(name: &str) -> Option<Idle> {
        match name {
            "park" => Some(Idle::Park),
            "spin" => Some(Idle::Spin),
            _ => None,
        }
    }

    /// How long a waiting thread spins before it sleeps (beyond the short
    /// spin every policy does).
    pub(crate) fn spin(&self) -> Duration {
        match self {
            Idle::Park => Duration::ZERO,
            Idle::Spin => Idle::SPIN_LIMIT,
        }
    }
}

/// Options for a simulated chip.
#[derive(Debug, Clone, Default)]
pub struct SimOptions {
    /// Host threads for the cores in threaded mode; `None` = as many as the
    /// host has CPUs. Never more than the host has CPUs nor than the chip
    /// has cores. Deterministic mode always runs on one thread.
    pub threads: Option<usize>,
    /// Threaded (the default) or deterministic.
    pub mode: SimMode,
    /// Whether waiting threads sleep or spin (threaded mode; a
    /// deterministic chip steps only when the host waits, so it ignores this).
    pub idle: Idle,
}

/// A memory fault raised by a simulated core; unwinds out of the device code
/// and stops the core.
#[derive(Debug)]
pub(crate) struct MemoryFault {
    pub(crate) core: CoreId,
    pub(crate) addr: GlobalAddr,
    pub(crate) len: usize,
    pub(crate) write: bool,
}

impl std::fmt::Display for MemoryFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "memory fault: core {} {} {} bytes at {}, outside every core's SRAM and registers and outside DRAM",
            self.core,
            if self.write { "wrote" } else { "read" },
            self.len,
            self.addr
        )
    }
}

/// Per-core counters; each is written only by the worker running the core.
#[derive(Default)]
pub(crate) struct Counters {
    remote_writes: AtomicU64,
    remote_write_bytes: AtomicU64,
    remote_reads: AtomicU64,
    remote_read_bytes: AtomicU64,
    wakes: AtomicU64,
    rounds: AtomicU64,
}

/// Adds to a counter with a plain load and store: only one thread writes it.
#[inline]
fn bump(counter: &AtomicU64, by: u64) {
    counter.store(counter.load(Ordering::Relaxed) + by, Ordering::Relaxed);
}

impl Counters {
    fn snapshot(&self) -> CoreCounters {
        CoreCounters {
            remote_writes: self.remote_writes.load(Ordering::Relaxed),
            remote_write_bytes: self.remote_write_bytes.load(Ordering::Relaxed),
            remote_reads: self.remote_reads.load(Ordering::Relaxed),
            remote_read_bytes: self.remote_read_bytes.load(Ordering::Relaxed),
            wakes: self.wakes.load(Ordering::Relaxed),
            rounds: self.rounds.load(Ordering::Relaxed),
        }
    }

    fn clear(&self) {
        for c in [
            &self.remote_writes,
            &self.remote_write_bytes,
            &self.remote_reads,
            &self.remote_read_bytes,
            &self.wakes,
            &self.rounds,
        ] {
            c.store(0, Ordering::Relaxed);
        }
    }
}

/// Trace events a core keeps at most (the first ones): 6 MiB of them.
pub(crate) const TRACE_EVENTS_PER_CORE: usize = 1 << 18;

/// One simulated core.
pub(crate) struct Core {
    pub(crate) id: CoreId,
    pub(crate) index: u32,
    /// Deterministic mode: writes that leave the core are posted to the
    /// engine (kept here, not in the mesh handle, which every channel end
    /// embeds: the handle stays three pointers).
    pub(crate) det: bool,
    pub(crate) regs: Registers,
    sched: SchedState,
    /// The core's executor, once booted. Touched only by the worker holding
    /// the core's RUNNING bit, or by the host while every core is halted and
    /// none is running.
    exec: UnsafeCell<Option<Executor<SimMesh>>>,
    /// The core's own user interrupt, raised by itself: stands in for its
    /// ILAT bit without an atomic read-modify-write. Touched only by the
    /// worker running the core (deterministic mode: by the engine thread, and
    /// there it is the whole user-interrupt latch the executor consumes).
    pub(crate) own_wake: Cell<bool>,
    /// Deterministic mode: the armed timer deadline in steps (`u64::MAX`:
    /// none). Touched only by the engine thread.
    pub(crate) deadline: Cell<u64>,
    /// Deterministic mode: the core went idle after its last round (for the
    /// `wakes` counter). Touched only by the engine thread.
    pub(crate) det_idle: Cell<bool>,
    /// Trace events recorded while tracing ([`SimChip::set_tracing`]).
    /// Touched only by the thread that runs the core, or by the host while
    /// no thread can (as `exec`).
    pub(crate) trace: UnsafeCell<Vec<TraceRecord>>,
    pub(crate) counters: Counters,
}

// SAFETY: `exec`, `own_wake`, `deadline`, `det_idle` and `trace` are only touched by
// the single thread that runs the core: the worker holding its RUNNING bit in
// threaded mode, the engine thread in deterministic mode, or the host when no
// such thread can (every core halted and no worker running, or the engine
// joined), as their field docs say; everything else is atomic or immutable.
unsafe impl Sync for Core {}
// SAFETY: as above; the executor's raw pointers point into the chip's SRAM
// mapping, which lives as long as the chip.
unsafe impl Send for Core {}

/// State shared by the chip handle, its workers and every core's mesh.
pub(crate) struct Shared {
    pub(crate) board: Board,
    pub(crate) memory: Memory,
    pub(crate) cores: Box<[Core]>,
    queue: RunQueue,
    pub(crate) timers: Timers,
    /// The chip-wide WAND barrier (`wand`).
    pub(crate) wand: wand::Wand,
    /// Deterministic mode's engine state; `None` in threaded mode.
    pub(crate) det: Option<deterministic::Det>,
    pub(crate) epoch: Instant,
    /// Host-visible events and the host's wait for them.
    events: events::HostEvents,
    /// The chip's idle policy.
    idle: Idle,
    /// True while the cores record trace events.
    pub(crate) tracing: AtomicBool,
    /// Threaded mode: bumped each time an idle core is made runnable, so a
    /// scan of every core that saw none runnable can tell whether one woke
    /// while it looked ([`SimChip::stalled`]).
    wakeups: AtomicU64,
    faults: Mutex<Vec<CoreFault>>,
    /// The users' kinds the cores spawn from (set by `load_kinds` after a
    /// reset, while no executor lives; read when a core boots).
    pub(crate) kinds: Mutex<Option<Arc<SimKinds>>>,
}

thread_local! {
    /// True on the simulator's worker threads.
    static ON_WORKER: Cell<bool> = const { Cell::new(false) };
    /// This worker's "next" slot: a core it made runnable, run before the
    /// shared queue is looked at.
    static NEXT: Cell<Option<u32>> = const { Cell::new(None) };
    /// The message of the last panic on this worker thread, with its location.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

impl Shared {
    /// Simulator time: host nanoseconds since the chip opened (threaded), or
    /// the engine's virtual time in steps (deterministic).
    #[inline]
    pub(crate) fn now_ns(&self) -> u64 {
        match &self.det {
            None => self.epoch.elapsed().as_nanos() as u64,
            Some(det) => det.now(),
        }
    }

    /// Queues core `index` if an interrupt just made it runnable (threaded
    /// mode only: see [`Shared::latch`]).
    #[inline]
    pub(crate) fn notify_core(&self, index: usize) {
        if self.cores[index].sched.notify() {
            // Only the idle -> runnable edge is counted: it is all a stall
            // scan needs, and it keeps busy cores off this shared word.
            self.wakeups.fetch_add(1, Ordering::SeqCst);
            if ON_WORKER.with(|w| w.get()) {
                if let Some(displaced) = NEXT.with(|n| n.replace(Some(index as u32))) {
                    self.queue.push(displaced, true);
                }
            } else {
                self.queue.push(index as u32, false);
            }
        }
    }

    /// Threaded mode: true when no core can run again without the host: none
    /// that is not halted is running or queued, no timer is armed or firing, and no core was
    /// woken while this looked (the wakeup count did not move). A core only
    /// becomes runnable through a wakeup, which only a running core, a timer
    /// or the host can cause; with none of those, nothing ever will.
    fn threaded_stall(&self) -> bool {
        let before = self.wakeups.load(Ordering::SeqCst);
        for (index, core) in self.cores.iter().enumerate() {
            if core.sched.is_halted() {
                // Finished or faulted: it never runs again, whatever is latched.
                continue;
            }
            if core.sched.is_notified() || core.sched.is_running() || self.timers.armed(index) {
                return false;
            }
        }
        !self.timers.firing() && self.wakeups.load(Ordering::SeqCst) == before
    }

    /// Raises the user interrupt of core `index`. Its latch is the
    /// NOTIFIED bit of the core's scheduling word (ILAT reads show it), so
    /// raising it costs one atomic operation.
    #[inline]
    pub(crate) fn raise_user(&self, index: usize) {
        self.notify_core(index);
    }

    /// Core `index` raises its WAND flag ([`ecsp_device::mesh::Mesh::wand`]);
    /// when that completes the barrier, every core taking part gets its
    /// WAND interrupt: at once in threaded mode, at seed-chosen steps in
    /// deterministic mode (the `wand` module has the model).
    pub(crate) fn wand_raise(&self, index: usize) {
        if let Some(cores) = self.wand.raise(index) {
            for core in cores {
                match &self.det {
                    Some(det) => det.post_wand(core),
                    None => self.wand_latch(core as usize),
                }
            }
        }
    }

    /// Latches the WAND interrupt of core `index` (ILAT bit 8) and wakes it.
    pub(crate) fn wand_latch(&self, index: usize) {
        self.cores[index]
            .regs
            .ilat()
            .fetch_or(Irq::Wand.bit(), Ordering::AcqRel);
        self.latch(index);
    }

    /// True when core `index` holds a boot table of this ecsp version that
    /// gives it a WAND block: processes there take part in the WAND barrier.
    fn joins_wand(&self, index: usize) -> bool {
        let mut header = ecsp_device::boot::BootHeader::default();
        let sram = self.memory.sram_base(index);
        // SAFETY: the header lies inside this core's SRAM, which the mapping
        // keeps for as long as the chip lives.
        unsafe {
            copy_from_shared(
                bytemuck::bytes_of_mut(&mut header),
                sram.add(ecsp_device::boot::BOOT_OFFSET as usize),
            )
        };
        header.magic == ecsp_device::boot::BOOT_MAGIC
            && header.version == ecsp_device::boot::BOOT_VERSION
            && header.wand_offset != 0
    }

    /// An interrupt for core `index`, in either mode: threaded, it queues
    /// the core ([`Shared::notify_core`]); deterministic, it only latches
    /// the scheduling word's NOTIFIED bit, which the engine reads (nothing is
    /// ever queued, and the threaded hot path has no mode check).
    pub(crate) fn latch(&self, index: usize) {
        if self.det.is_some() {
            self.cores[index].sched.notify();
        } else {
            self.notify_core(index);
        }
    }

    /// Writes a register of core `index` and carries out its effect.
    pub(crate) fn write_register(&self, index: usize, offset: u32, value: u32) {
        let core = &self.cores[index];
        let user = offset + REGS_BASE == reg::ILATST && value & Irq::User.bit() != 0;
        let value = if user { value & !Irq::User.bit() } else { value };
        if let Effect::Raised(bits) = core.regs.write(offset, value, self.now_ns()) {
            if bits & (Irq::Sync.bit() | Irq::Wand.bit()) != 0 {
                self.latch(index);
            }
        }
        if user {
            // Its latch is the NOTIFIED bit of the core's scheduling word
            // (see `raise_user`).
            self.latch(index);
        }
    }

    /// Reads a register of core `index`.
    pub(crate) fn read_register(&self, index: usize, offset: u32) -> u32 {
        let core = &self.cores[index];
        let value = core.regs.read(offset, self.now_ns());
        if offset + REGS_BASE == reg::ILAT && core.sched.is_notified() {
            value | Irq::User.bit()
        } else {
            value
        }
    }

    pub(crate) fn notify_host(&self) {
        if let Some(det) = &self.det {
            det.note_event();
        }
        self.events.notify();
    }

    fn host_target(&self, addr: GlobalAddr, len: usize) -> Result<Target, ChipError> {
        if addr.is_local_alias() {
            return Err(ChipError::LocalAlias { addr });
        }
        match self.memory.translate(addr, len) {
            Target::Unmapped => Err(self.unmapped(addr, len)),
            t => Ok(t),
        }
    }

    fn unmapped(&self, addr: GlobalAddr, len: usize) -> ChipError {
        if addr
            .split()
            .is_some_and(|(_, off)| off >= REGS_BASE && self.memory.core_index(addr.split().unwrap().0).is_some())
        {
            ChipError::RegisterAccess { addr, len }
        } else {
            ChipError::Unmapped {
                addr,
                len,
                board: self.board.name.clone(),
            }
        }
    }

    /// Runs core `index` after a worker took it off the queue.
    fn run_core(&self, index: usize) {
        let core = &self.cores[index];
        if !core.sched.start_running() {
            return;
        }
        bump(&core.counters.wakes, 1);
        let mut reruns = 0;
        loop {
            // SAFETY: this worker holds the core's RUNNING bit, so it alone
            // touches the executor slot.
            let slot = unsafe { &mut *core.exec.get() };
            let step = catch_unwind(AssertUnwindSafe(|| self.step(core, slot, ROUND_BUDGET)));
            match step {
                Ok(Some(RunStatus::Idle)) => match core.sched.go_idle() {
                    IdleOutcome::Slept | IdleOutcome::Halted => return,
                    IdleOutcome::RunAgain => {
                        reruns += 1;
                        let others_wait = !self.queue.is_empty() || NEXT.with(|n| n.get()).is_some();
                        if reruns >= RERUN_BUDGET && others_wait {
                            if core.sched.requeue() {
                                self.queue.push(index as u32, true);
                            }
                            return;
                        }
                    }
                },
                Ok(Some(RunStatus::Budget)) => {
                    if core.sched.requeue() {
                        self.queue.push(index as u32, true);
                    }
                    return;
                }
                Ok(Some(RunStatus::Finished)) => {
                    self.stop_core(core);
                    return;
                }
                Ok(None) => {
                    // Not started, or boot failed (recorded by `step`).
                    if slot.is_none() && core.regs.ilat().load(Ordering::Acquire) & Irq::Sync.bit() == 0 {
                        match core.sched.go_idle() {
                            IdleOutcome::RunAgain => continue,
                            _ => return,
                        }
                    }
                    self.stop_core(core);
                    return;
                }
                Err(payload) => {
                    self.core_panicked(core, slot, payload);
                    return;
                }
            }
        }
    }

    /// A panic or memory fault escaped a step of `core`: marks the task that
    /// was polled failed, records the fault and stops the core.
    #[cold]
    fn core_panicked(&self, core: &Core, slot: &mut Option<Executor<SimMesh>>, payload: Box<dyn std::any::Any + Send>) {
        let message = match (
            payload.downcast_ref::<MemoryFault>(),
            payload.downcast_ref::<KernelFault>(),
        ) {
            (Some(fault), _) => fault.to_string(),
            (_, Some(fault)) => fault.0.clone(),
            _ => LAST_PANIC
                .with(|p| p.borrow_mut().take())
                .unwrap_or_else(|| "a device process panicked".to_string()),
        };
        let error = if payload.is::<MemoryFault>() || payload.is::<KernelFault>() {
            ProcessError::Faulted
        } else {
            ProcessError::Panicked
        };
        let task = slot.as_ref().and_then(|e| e.current_task());
        if let Some(exec) = slot.as_mut() {
            // Drops the other processes' states: a panicking drop
            // here would be a bug in a built-in, so contain it.
            let _ = catch_unwind(AssertUnwindSafe(|| exec.fail_current(error)));
        }
        self.faults.lock().unwrap_or_else(|e| e.into_inner()).push(CoreFault {
            core: core.id,
            task,
            message,
        });
        self.stop_core(core);
    }

    /// One step of a running core: boot on SYNC, then run at most `budget`
    /// rounds. `None` when there is no executor (not started, or boot failed).
    // Always inlined: in the threaded worker's loop it is the hot path.
    #[inline(always)]
    fn step(&self, core: &Core, slot: &mut Option<Executor<SimMesh>>, budget: u32) -> Option<RunStatus> {
        if slot.is_none() {
            let ilat = core.regs.ilat();
            if ilat.load(Ordering::Acquire) & Irq::Sync.bit() == 0 {
                return None;
            }
            ilat.fetch_and(!Irq::Sync.bit(), Ordering::AcqRel);
            let mesh = SimMesh::new(self, core);
            let foreign = self
                .kinds
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .as_ref()
                .map(|k| k.foreign());
            // SAFETY: (1) the host runtime wrote this core's boot table before
            // raising SYNC; (2) one executor per core (the slot was empty), and
            // the SRAM mapping outlives it (dropped in halt/reset or with the chip);
            // (3) the kinds' table is replaced only after a reset, which drops
            // every executor first, and the chip keeps it until then.
            match unsafe { Executor::boot_with(mesh, foreign) } {
                Ok(exec) => *slot = Some(exec),
                Err(e) => {
                    self.faults.lock().unwrap_or_else(|e| e.into_inner()).push(CoreFault {
                        core: core.id,
                        task: None,
                        message: format!("boot failed: {e}"),
                    });
                    return None;
                }
            }
        }
        let exec = slot.as_mut()?;
        let status = exec.run(budget);
        bump(&core.counters.rounds, 1);
        Some(status)
    }

    fn stop_core(&self, core: &Core) {
        core.sched.halt();
        core.sched.stop_running();
        self.notify_host();
    }

    fn worker(self: Arc<Self>) {
        ON_WORKER.with(|w| w.set(true));
        let mut from_next = 0u32;
        loop {
            // Every so often look at the shared queue first, so two cores
            // handing work to each other through the next slot cannot starve it.
            let next = if from_next < NEXT_STREAK {
                NEXT.with(|n| n.take())
            } else {
                None
            };
            let index = match next {
                Some(i) => {
                    from_next += 1;
                    i
                }
                None => {
                    from_next = 0;
                    match self.queue.try_pop().or_else(|| NEXT.with(|n| n.take())) {
                        Some(i) => i,
                        None => match self.queue.pop() {
                            Some(i) => i,
                            None => break,
                        },
                    }
                }
            };
            self.run_core(index as usize);
        }
        NEXT.with(|n| n.set(None));
        ON_WORKER.with(|w| w.set(false));
    }
}

/// The simulated chip.
///
/// # Examples
/// ```
/// use ecsp_host::{board::Board, chip::Chip, sim::SimChip};
/// use ecsp_device::addr::{reg, CoreId, GlobalAddr};
/// let chip = SimChip::new(Board::default()).unwrap();
/// let core = CoreId::from_row_col(33, 9);
/// assert_eq!(chip.read_word(GlobalAddr::on_core(core, reg::COREID)).unwrap(), 0x849);
/// ```
pub struct SimChip {
    shared: Arc<Shared>,
    /// The users' kinds `shared.kinds` was loaded for.
    loaded_kinds: Mutex<Vec<Arc<UserKind>>>,
    mode: SimMode,
    threads: usize,
    workers: Mutex<Vec<JoinHandle<()>>>,
}

impl SimChip {
    /// Opens a simulated chip for `board` with default options.
    pub fn new(board: Board) -> std::io::Result<SimChip> {
        SimChip::with_options(board, SimOptions::default())
    }

    /// Opens a simulated chip for `board`.
    pub fn with_options(board: Board, options: SimOptions) -> std::io::Result<SimChip> {
        install_panic_hook();
        let memory = Memory::new(&board)?;
        let core_count = (board.rows * board.cols) as usize;
        let cores = (0..board.rows * board.cols)
            .map(|i| {
                let id = CoreId::from_row_col(board.first_row + i / board.cols, board.first_col + i % board.cols);
                Core {
                    id,
                    index: i,
                    det: matches!(options.mode, SimMode::Deterministic { .. }),
                    regs: Registers::new(id),
                    sched: SchedState::new(),
                    exec: UnsafeCell::new(None),
                    own_wake: Cell::new(false),
                    deadline: Cell::new(u64::MAX),
                    det_idle: Cell::new(true),
                    trace: UnsafeCell::new(Vec::new()),
                    counters: Counters::default(),
                }
            })
            .collect();
        // Never more threads than host CPUs (more would only add switches)
        // nor than simulated cores (a core runs on one thread at a time).
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        let (threads, det) = match options.mode {
            SimMode::Threaded => (
                options
                    .threads
                    .unwrap_or(cpus)
                    .clamp(1, cpus.min((board.rows * board.cols) as usize)),
                None,
            ),
            SimMode::Deterministic { seed } => (1, Some(deterministic::Det::new(seed, core_count))),
        };
        // The deterministic engine steps only in the host's waits: nothing to spin for.
        let idle = if det.is_some() { Idle::Park } else { options.idle };
        Ok(SimChip {
            shared: Arc::new(Shared {
                board,
                memory,
                cores,
                queue: RunQueue::new(idle),
                timers: Timers::new(core_count),
                wand: wand::Wand::new(core_count),
                det,
                epoch: Instant::now(),
                events: events::HostEvents::new(),
                idle,
                wakeups: AtomicU64::new(0),
                tracing: AtomicBool::new(false),
                faults: Mutex::new(Vec::new()),
                kinds: Mutex::new(None),
            }),
            mode: options.mode,
            threads,
            workers: Mutex::new(Vec::new()),
            loaded_kinds: Mutex::new(Vec::new()),
        })
    }

    /// Completions of the chip-wide WAND barrier since the last reset.
    pub fn wand_completions(&self) -> u64 {
        self.shared.wand.completions()
    }

    /// Host threads the cores run on (1 in deterministic mode: the engine).
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// The scheduling mode.
    pub fn mode(&self) -> SimMode {
        self.mode
    }

    /// Deterministic mode: a digest of the schedule since the last reset,
    /// every action the engine took and its target folded in; `None` in
    /// threaded mode. After [`crate::run::run`] returns it covers every
    /// step up to the one that decided the run (or the stall), so two runs
    /// with the same seed and network have the same digest.
    pub fn schedule_digest(&self) -> Option<u64> {
        self.shared.det.as_ref().map(|d| d.digest())
    }

    /// Deterministic mode: the steps the engine took since the last reset
    /// (every action is one step); `None` in threaded mode.
    pub fn schedule_steps(&self) -> Option<u64> {
        self.shared.det.as_ref().map(|d| d.steps())
    }

    fn ensure_workers(&self) {
        let mut workers = self.workers.lock().unwrap_or_else(|e| e.into_inner());
        if !workers.is_empty() {
            return;
        }
        if let Some(det) = &self.shared.det {
            det.allow_start();
            let shared = self.shared.clone();
            let engine = std::thread::Builder::new()
                .name("ecsp-sim-engine".to_string())
                .spawn(move || shared.engine())
                .expect("spawning the simulator's engine thread");
            workers.push(engine);
            return;
        }
        self.shared.queue.reopen();
        self.shared.timers.reset();
        let shared = self.shared.clone();
        let timer = std::thread::Builder::new()
            .name("ecsp-sim-timer".to_string())
            .spawn(move || shared.timers.run(shared.epoch, |core| shared.notify_core(core)))
            .expect("spawning the simulator's timer thread");
        workers.push(timer);
        for i in 0..self.threads {
            let shared = self.shared.clone();
            let handle = std::thread::Builder::new()
                .name(format!("ecsp-sim-{i}"))
                .spawn(move || shared.worker())
                .expect("spawning a simulator worker thread");
            workers.push(handle);
        }
    }

    fn stop_workers(&self) {
        let mut workers = self.workers.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(det) = &self.shared.det {
            det.request_stop();
        }
        self.shared.queue.shut_down();
        self.shared.timers.shut_down();
        for w in workers.drain(..) {
            let _ = w.join();
        }
    }

    fn core_index(&self, core: CoreId) -> Result<usize, ChipError> {
        self.shared
            .memory
            .core_index(core)
            .ok_or_else(|| ChipError::NoSuchCore {
                core,
                board: self.shared.board.name.clone(),
            })
    }
}

impl Drop for SimChip {
    fn drop(&mut self) {
        let _ = self.halt();
        self.stop_workers();
    }
}

impl Chip for SimChip {
    fn board(&self) -> &Board {
        &self.shared.board
    }

    fn backend(&self) -> &'static str {
        "sim"
    }

    fn write(&self, addr: GlobalAddr, data: &[u8]) -> Result<(), ChipError> {
        // Release: whatever the host wrote before (a message's payload) is
        // visible to a core's acquire load of what it writes now (the count).
        std::sync::atomic::fence(Ordering::Release);
        match self.shared.host_target(addr, data.len())? {
            // SAFETY: the target has room for `data` (translate checked the range).
            Target::Sram { ptr, .. } | Target::Dram { ptr } => unsafe { copy_to_shared(ptr, data) },
            Target::Register { .. } => return Err(ChipError::RegisterAccess { addr, len: data.len() }),
            Target::Unmapped => unreachable!("host_target rejects unmapped addresses"),
        }
        Ok(())
    }

    fn read(&self, addr: GlobalAddr, buf: &mut [u8]) -> Result<(), ChipError> {
        match self.shared.host_target(addr, buf.len())? {
            // SAFETY: the target holds `buf.len()` bytes (translate checked the range).
            Target::Sram { ptr, .. } | Target::Dram { ptr } => unsafe { copy_from_shared(buf, ptr) },
            Target::Register { .. } => return Err(ChipError::RegisterAccess { addr, len: buf.len() }),
            Target::Unmapped => unreachable!("host_target rejects unmapped addresses"),
        }
        std::sync::atomic::fence(Ordering::Acquire);
        Ok(())
    }

    fn write_word(&self, addr: GlobalAddr, value: u32) -> Result<(), ChipError> {
        match self.shared.host_target(addr, 4)? {
            Target::Register { core, offset } => {
                self.shared.write_register(core, offset, value);
                if let Some(det) = &self.shared.det {
                    // An interrupt may have made a core runnable.
                    det.poke();
                }
                Ok(())
            }
            _ => self.write(addr, &value.to_le_bytes()),
        }
    }

    fn read_word(&self, addr: GlobalAddr) -> Result<u32, ChipError> {
        match self.shared.host_target(addr, 4)? {
            Target::Register { core, offset } => Ok(self.shared.read_register(core, offset)),
            _ => {
                let mut b = [0u8; 4];
                self.read(addr, &mut b)?;
                Ok(u32::from_le_bytes(b))
            }
        }
    }

    fn start(&self, cores: &[CoreId]) -> Result<(), ChipError> {
        let indices = cores
            .iter()
            .map(|&c| self.core_index(c))
            .collect::<Result<Vec<_>, _>>()?;
        // Before any of them runs: which take part in the WAND barrier.
        for &index in &indices {
            if self.shared.joins_wand(index) {
                self.shared.wand.join(index);
            }
        }
        if self.shared.det.is_some() {
            // Every SYNC is latched before the engine takes its first step,
            // so the schedule does not depend on how fast the host raises them.
            for (&core, _) in cores.iter().zip(&indices) {
                self.write_word(GlobalAddr::on_core(core, reg::ILATST), Irq::Sync.bit())?;
            }
            self.ensure_workers();
            return Ok(());
        }
        self.ensure_workers();
        for (&core, _) in cores.iter().zip(&indices) {
            self.write_word(GlobalAddr::on_core(core, reg::ILATST), Irq::Sync.bit())?;
        }
        Ok(())
    }

    fn halt(&self) -> Result<(), ChipError> {
        if self.shared.det.is_some() {
            // The engine is the only thread running cores: stop it first.
            self.stop_workers();
        }
        for core in self.shared.cores.iter() {
            core.sched.halt();
        }
        for core in self.shared.cores.iter() {
            while core.sched.is_running() {
                std::thread::yield_now();
            }
        }
        for core in self.shared.cores.iter() {
            // SAFETY: every core is halted and none is running, so no worker
            // touches the slot (the scheduler never runs a halted core).
            let slot = unsafe { &mut *core.exec.get() };
            if let Some(exec) = slot.take() {
                let _ = catch_unwind(AssertUnwindSafe(move || drop(exec)));
            }
        }
        Ok(())
    }

    fn reset(&self) -> Result<(), ChipError> {
        self.halt()?;
        self.stop_workers();
        // SAFETY: no worker runs (joined above) and the executors are gone,
        // so nothing else touches the mappings while they are cleared.
        unsafe { self.shared.memory.clear() };
        for core in self.shared.cores.iter() {
            // SAFETY: no worker runs and the executors are gone (above).
            unsafe { &mut *core.trace.get() }.clear();
            core.regs.clear();
            core.counters.clear();
            core.own_wake.set(false);
            core.deadline.set(u64::MAX);
            core.det_idle.set(true);
            core.sched.clear();
        }
        self.shared.wand.clear();
        if let Some(det) = &self.shared.det {
            // No engine runs (joined above).
            det.reset();
        }
        self.shared.faults.lock().unwrap_or_else(|e| e.into_inner()).clear();
        Ok(())
    }

    fn wait_event(&self, timeout: Duration) {
        if let Some(det) = self.shared.det.as_ref().filter(|d| d.gated()) {
            det.host_turn(timeout);
            return;
        }
        self.shared.events.wait(timeout, self.shared.idle.spin());
    }

    fn stalled(&self) -> bool {
        match &self.shared.det {
            Some(det) => det.stalled(),
            None => self.shared.threaded_stall(),
        }
    }

    fn set_tracing(&self, on: bool) {
        self.shared.tracing.store(on, Ordering::Relaxed);
    }

    fn take_trace(&self) -> Vec<(CoreId, Vec<TraceRecord>)> {
        if self.shared.cores.iter().any(|c| c.sched.is_running()) {
            return Vec::new();
        }
        self.shared
            .cores
            .iter()
            // SAFETY: no core runs (checked above; the caller halted the
            // chip), so no thread touches the buffers but this one.
            .map(|c| (c.id, std::mem::take(unsafe { &mut *c.trace.get() })))
            .collect()
    }

    fn host_writes_in_flight(&self) -> bool {
        self.shared.det.as_ref().is_some_and(|d| d.dram_in_flight())
    }

    fn host_turns(&self, on: bool) {
        if let Some(det) = &self.shared.det {
            det.set_gated(on);
        }
    }

    fn schedule_seed(&self) -> Option<u64> {
        self.shared.det.as_ref().map(|d| d.seed())
    }

    fn counters(&self) -> Option<Vec<CoreCounters>> {
        Some(self.shared.cores.iter().map(|c| c.counters.snapshot()).collect())
    }

    fn faults(&self) -> Vec<CoreFault> {
        self.shared.faults.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn ticks_per_second(&self) -> u64 {
        1_000_000_000
    }

    fn state_layout(&self, kind: u32, dtype: Dtype) -> Option<std::alloc::Layout> {
        ecsp_device::process::state_layout::<SimMesh>(kind, dtype)
    }

    fn load_kinds(&self, net: &crate::network::Network, _plan: &crate::plan::Plan) -> Result<LoadReport, ChipError> {
        let kinds = net.user_kinds();
        let mut loaded = self.shared.kinds.lock().unwrap_or_else(|e| e.into_inner());
        if kinds.is_empty() {
            *loaded = None;
            return Ok(LoadReport::default());
        }
        // The same kinds again (a program running one network many times):
        // nothing to build or load.
        let mut same = self.loaded_kinds.lock().unwrap_or_else(|e| e.into_inner());
        if loaded.is_some() && same.len() == kinds.len() && same.iter().zip(kinds).all(|(a, b)| Arc::ptr_eq(a, b)) {
            return Ok(LoadReport::default());
        }
        let cache = Cache::open()?;
        let (table, report) = SimKinds::load(kinds, &cache)?;
        *loaded = Some(Arc::new(table));
        *same = kinds.to_vec();
        Ok(report)
    }

    fn host_window(&self) -> HostWindow {
        let (ptr, len, base) = self.shared.memory.dram();
        // SAFETY: the DRAM mapping is page-aligned, `len` bytes long and
        // lives as long as the chip (it is dropped with `shared.memory`);
        // cores reach it at `base..base + len` (`Memory::translate`).
        unsafe {
            HostWindow::new(
                std::ptr::NonNull::new(ptr).expect("the DRAM mapping is never null"),
                len,
                GlobalAddr::new(base),
            )
        }
    }
}

/// Keeps device panics on simulator threads off stderr (the run reports
/// them as process failures with their message) and remembers their text.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if ON_WORKER.with(|w| w.get()) {
                if info.payload().is::<MemoryFault>() || info.payload().is::<KernelFault>() {
                    return;
                }
                let text = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a device process panicked".to_string());
                let location = info
                    .location()
                    .map(|l| format!(" at {}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                LAST_PANIC.with(|p| *p.borrow_mut() = Some(format!("panicked: {text}{location}")));
            } else {
                previous(info);
            }
        }));
    });
}
