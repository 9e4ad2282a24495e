//! Deterministic mode: one host thread, the *engine*, steps the whole chip
//! in an order drawn from a seed, and delivers every write that crosses the
//! mesh at a seed-chosen later step. It is the oracle that proves ecsp's
//! protocol relies on no ordering the Epiphany does not give (DESIGN.md
//! section 6): a protocol that leans on more than the chip promises fails
//! here, and the seed replays the failing run step for step.
//!
//! # The engine
//! At each step the engine lists the enabled actions, in a fixed order:
//!
//! 1. run one executor round ([`Executor::run`] with a budget of one
//!    round) on a runnable core: one that was started (SYNC latched) and has
//!    not booted yet (the boot and its first round are one action), or whose
//!    user interrupt is latched (a delivered ILATST write, its own raise, a
//!    round that ended with work left), or whose timer deadline is due;
//! 2. deliver the oldest write of one non-empty FIFO (below);
//! 3. deliver one core's due WAND interrupt (below);
//!
//! and picks one uniformly with a [`fastrand::Rng`] seeded with the seed.
//! Nothing else decides anything: the host starts the engine only after it
//! has raised SYNC on every core it starts, and the engine never looks at
//! host time, so a run is a pure function of the seed, the network and the
//! ecsp build (the PRNG's algorithm is pinned by `Cargo.lock`).
//!
//! # What the mesh does, and why
//! - **Every write a core issues to another core or to DRAM goes into a FIFO
//!   per (source core, destination)** and takes effect only when the engine
//!   delivers it: payload bytes ([`Mesh::write`]), flag words
//!   ([`Mesh::write_word`]), register writes such as ILATST raises, and the
//!   user-interrupt raise of [`Mesh::raise`]. Why: the Epiphany's writes are
//!   posted; the writer goes on while the write travels the cMesh, and its
//!   arrival time is not the writer's business.
//! - **Writes from one source to one destination stay in order; nothing else
//!   is ordered.** Why: that is the chip's one promise (transactions between
//!   the same two endpoints on the same network arrive in order). Two FIFOs
//!   are drained in any interleaving the seed picks, so a flag written to
//!   core C after data written to core B may arrive first, as on silicon.
//!   An ILATST raise travels the same FIFO as the counter write it announces,
//!   so it cannot overtake it.
//! - **Writes to the core's own SRAM and its own raises take effect at
//!   once.** Why: a core's stores to its own memory never leave the core;
//!   program order is the order.
//! - **[`Mesh::read`] of remote memory reads memory as it is now**, and may
//!   therefore see stale data, even data the reader itself wrote and whose
//!   write is still in flight. Why: reads travel the rMesh, a different
//!   network from the writes, so a read is not ordered after earlier writes.
//! - **[`Mesh::testset`] to another core (or DRAM) first delivers the
//!   source's pending writes to that destination, then tests and sets at
//!   once.** Why: the TESTSET request travels the write network behind the
//!   source's earlier writes to the same destination, so it cannot overtake
//!   them; writes to other destinations stay in flight. The old value comes
//!   back like a read; the atomic itself happens at the destination.
//! - **A WAND completion is an event per core.** When the last core taking
//!   part raises its WAND flag, every flag is cleared at once and each core's
//!   WAND interrupt becomes due; each is delivered (ILAT bit 8 latched, the
//!   core made runnable) at its own seed-chosen step. Why: the interrupt
//!   travels a wire, not the mesh, and is ordered with nothing the mesh
//!   carries; the cores learn of the completion at unrelated times (the
//!   `wand` module has the whole model).
//! - Host accesses ([`crate::chip::Chip::write`] and friends) take effect at
//!   once. A run replays exactly when the host only loads, starts, watches
//!   and halts (as [`crate::run::run`] does), or when host turns are on.
//!
//! # Host turns
//! A host that takes part through host channels would add its own timing
//! to a run. With host turns on ([`crate::chip::Chip::host_turns`], which a
//! session with host channels asks for), the engine steps only inside the
//! host's [`crate::chip::Chip::wait_event`]: the host grants a turn and
//! waits; the turn ends right after a write to DRAM (a message or an
//! acknowledgement for the host) is delivered, when nothing can happen, when
//! the outcome is decided, or after a fixed number of steps. The host acts
//! only between turns, so a host whose actions follow from what it saw (as
//! ecsp's Python scheduler's do, in its own seeded order) replays too.
//!
//! # Time and deadlock
//! Virtual time is the engine's step count: [`Mesh::now_ticks`] reads it and
//! [`Mesh::wake_at`] deadlines are in steps, at 10^9 ticks per second (one
//! step is one virtual nanosecond; CTIMER registers count down against the
//! same clock). When nothing is enabled but a deadline is pending, time
//! jumps to the earliest deadline, which makes that core runnable.
//!
//! When nothing is enabled, every FIFO is empty, no WAND interrupt is due
//! and no deadline is pending, nothing can ever happen again: if some
//! process has not finished, the engine records a stall
//! ([`crate::chip::Chip::stalled`]), which the host's join turns into an
//! exact deadlock report, with no timeout to wait for.
//!
//! # Where a run ends
//! The host decides that a run is over when it sees the outcome in the task
//! records, a little after the step that settled it; an engine that kept
//! stepping until the host halts it would end each run at a step set by host
//! timing. So the engine *holds* (takes no further step until it is stopped
//! or reset) right after the step that decides the outcome the way
//! [`crate::run::run`] decides it: a core faulted, a process failed, or every
//! process of a kind that finishes (not `forever` in the registry) has
//! finished, checked after every step that finished a process or stopped a
//! core, and only while no write to DRAM (a message to the host) is in
//! flight: the host must get every message sent to it. Processes that run
//! forever are left where that step left them.
//! Together with the stall, this makes every run that ends without a timeout
//! a pure function of the seed: its results, counters and digest.
//!
//! Every step folds its action and target (and every time jump its target
//! time) into a 64-bit digest, so a test can assert that a seed replays the
//! same schedule ([`super::SimChip::schedule_digest`]).
//!
//! [`Executor::run`]: ecsp_device::executor::Executor::run
//! [`Mesh::write`]: ecsp_device::mesh::Mesh::write
//! [`Mesh::write_word`]: ecsp_device::mesh::Mesh::write_word
//! [`Mesh::raise`]: ecsp_device::mesh::Mesh::raise
//! [`Mesh::read`]: ecsp_device::mesh::Mesh::read
//! [`Mesh::testset`]: ecsp_device::mesh::Mesh::testset
//! [`Mesh::now_ticks`]: ecsp_device::mesh::Mesh::now_ticks
//! [`Mesh::wake_at`]: ecsp_device::mesh::Mesh::wake_at

use super::memory::Target;
use super::{bump, Core, Shared, ON_WORKER};
use ecsp_device::addr::{GlobalAddr, Irq, SRAM_SIZE};
use ecsp_device::boot::{
    task_status, BootHeader, TaskRecord, BOOT_MAGIC, BOOT_OFFSET, MAX_TASKS_PER_CORE, TASK_STATUS_OFFSET,
};
use ecsp_device::executor::RunStatus;
use ecsp_device::mesh::{copy_from_shared, copy_to_shared};
use ecsp_device::process::KINDS;
use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

/// A write in flight from one source to one destination.
#[derive(Debug)]
pub(crate) enum Pending {
    /// Up to 8 bytes of a [`ecsp_device::mesh::Mesh::write`], kept inline.
    Small {
        /// Resolved global address.
        addr: GlobalAddr,
        len: u8,
        bytes: [u8; 8],
    },
    /// A longer [`ecsp_device::mesh::Mesh::write`].
    Large {
        /// Resolved global address.
        addr: GlobalAddr,
        bytes: Box<[u8]>,
    },
    /// One word: a `write_word` (a release store at the destination), or a
    /// register write.
    Word {
        /// Resolved global address.
        addr: GlobalAddr,
        value: u32,
    },
    /// The user interrupt of core `core` (an index), raised by
    /// [`ecsp_device::mesh::Mesh::raise`].
    User {
        /// Core index.
        core: u32,
    },
}

impl Pending {
    /// The bytes of a `write` to `addr`.
    pub(crate) fn bytes(addr: GlobalAddr, data: &[u8]) -> Pending {
        if data.len() <= 8 {
            let mut bytes = [0u8; 8];
            bytes[..data.len()].copy_from_slice(data);
            Pending::Small {
                addr,
                len: data.len() as u8,
                bytes,
            }
        } else {
            Pending::Large {
                addr,
                bytes: data.into(),
            }
        }
    }
}

/// The FIFOs of writes in flight, one per (source core, destination).
struct Net {
    /// `fifos[src * (cores + 1) + dst]`; destination `cores` is DRAM.
    fifos: Vec<VecDeque<Pending>>,
    /// Indices of the non-empty FIFOs, in a deterministic order.
    nonempty: Vec<u32>,
    /// Per FIFO: its position in `nonempty`, or `u32::MAX`.
    position: Vec<u32>,
    /// Cores whose WAND interrupt is due (a completed WAND barrier), in the
    /// order the completions listed them; each is delivered on its own.
    wand: Vec<u32>,
}

impl Net {
    fn new(cores: usize) -> Net {
        let n = cores * (cores + 1);
        Net {
            fifos: (0..n).map(|_| VecDeque::new()).collect(),
            nonempty: Vec::new(),
            position: vec![u32::MAX; n],
            wand: Vec::new(),
        }
    }

    fn push(&mut self, fifo: usize, write: Pending) {
        let queue = &mut self.fifos[fifo];
        if queue.is_empty() {
            self.position[fifo] = self.nonempty.len() as u32;
            self.nonempty.push(fifo as u32);
        }
        queue.push_back(write);
    }

    fn pop(&mut self, fifo: usize) -> Option<Pending> {
        let write = self.fifos[fifo].pop_front()?;
        if self.fifos[fifo].is_empty() {
            let at = self.position[fifo] as usize;
            self.position[fifo] = u32::MAX;
            self.nonempty.swap_remove(at);
            if let Some(&moved) = self.nonempty.get(at) {
                self.position[moved as usize] = at as u32;
            }
        }
        Some(write)
    }

    fn clear(&mut self) {
        for &f in &self.nonempty {
            self.fifos[f as usize].clear();
            self.position[f as usize] = u32::MAX;
        }
        self.nonempty.clear();
        self.wand.clear();
    }
}

/// The engine's private state: its PRNG and scratch space. Locked by the
/// engine thread for as long as it runs, and by the host only while no
/// engine runs (reset).
pub(crate) struct Engine {
    rng: fastrand::Rng,
    /// Scratch: the runnable cores of the current step.
    runnable: Vec<u32>,
    digest: u64,
}

impl Engine {
    fn new(seed: u64) -> Engine {
        Engine {
            rng: fastrand::Rng::with_seed(seed),
            runnable: Vec::new(),
            digest: DIGEST_INIT,
        }
    }
}

/// Digest of an empty schedule.
const DIGEST_INIT: u64 = 0xEC5B_D16E_57A7_0001;
/// Action tags folded into the digest with their target.
const TAG_ROUND: u64 = 1 << 60;
const TAG_DELIVER: u64 = 2 << 60;
const TAG_JUMP: u64 = 3 << 60;
const TAG_WAND: u64 = 4 << 60;

/// Folds `x` into `digest` (the SplitMix64 finaliser over their mix: every
/// bit of both moves every bit of the result).
fn fold(digest: u64, x: u64) -> u64 {
    let mut z = (digest ^ x).wrapping_add(0x9E37_79B9_7F4A_7C15).rotate_left(17) ^ digest;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// What one engine step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Ran a round on the core with this index.
    Round(u32),
    /// Delivered the oldest write of this FIFO.
    Deliver(u32),
    /// Nothing was enabled: time jumped to a pending deadline.
    Jump(u64),
    /// Delivered the WAND interrupt of the core with this index.
    Wand(u32),
    /// Nothing is enabled, nothing in flight, no deadline: `stalled` when
    /// some process has not finished.
    Quiet {
        /// Some process has not finished.
        stalled: bool,
    },
}

/// Steps in one host turn at most: a device that never writes to the host
/// nor goes quiet still hands the host its turn back, at a step the seed fixes.
const TURN_STEPS: u64 = 4096;

/// The deterministic engine's shared state.
pub(crate) struct Det {
    seed: u64,
    cores: usize,
    /// Virtual time: steps taken plus time jumps. Written by the engine only.
    now: AtomicU64,
    /// Steps taken (actions performed). Written by the engine only.
    steps: AtomicU64,
    /// The schedule digest so far. Written by the engine only.
    digest: AtomicU64,
    /// Set by the engine when the chip can never make progress again.
    stalled: AtomicBool,
    /// `pokes` when the engine last found the chip quiet: a stall is only
    /// news while the host has not poked since (it may have written into a
    /// channel the engine has not looked at yet).
    stall_pokes: AtomicU64,
    /// Set when a process finished or a core stopped since the engine last looked.
    event: AtomicBool,
    /// Set by the engine once the run's outcome is decided: it holds.
    decided: AtomicBool,
    /// Set by the host to stop the engine thread.
    stop: AtomicBool,
    /// Bumped by the host when it changed something the engine must look at.
    pokes: AtomicU64,
    /// Pairs with `poked` for the engine's sleep and `turn_over` for the host's.
    control: Mutex<()>,
    poked: Condvar,
    /// Host turns are on: the engine steps only during a turn.
    gated: AtomicBool,
    /// A turn is under way (set by the host, cleared by the engine).
    turn: AtomicBool,
    /// Steps left in the turn under way. Engine only.
    turn_steps: AtomicU64,
    /// Signalled when a turn ends.
    turn_over: Condvar,
    net: Mutex<Net>,
    engine: Mutex<Engine>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Det {
    pub(crate) fn new(seed: u64, cores: usize) -> Det {
        Det {
            seed,
            cores,
            now: AtomicU64::new(0),
            steps: AtomicU64::new(0),
            digest: AtomicU64::new(DIGEST_INIT),
            stalled: AtomicBool::new(false),
            stall_pokes: AtomicU64::new(0),
            event: AtomicBool::new(false),
            decided: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            pokes: AtomicU64::new(0),
            control: Mutex::new(()),
            poked: Condvar::new(),
            gated: AtomicBool::new(false),
            turn: AtomicBool::new(false),
            turn_steps: AtomicU64::new(0),
            turn_over: Condvar::new(),
            net: Mutex::new(Net::new(cores)),
            engine: Mutex::new(Engine::new(seed)),
        }
    }

    pub(crate) fn seed(&self) -> u64 {
        self.seed
    }

    /// Virtual time in ticks (nanoseconds).
    #[inline]
    pub(crate) fn now(&self) -> u64 {
        self.now.load(Ordering::Relaxed)
    }

    pub(crate) fn steps(&self) -> u64 {
        self.steps.load(Ordering::Relaxed)
    }

    pub(crate) fn digest(&self) -> u64 {
        self.digest.load(Ordering::Relaxed)
    }

    pub(crate) fn stalled(&self) -> bool {
        self.stalled.load(Ordering::Acquire)
            && self.stall_pokes.load(Ordering::Acquire) == self.pokes.load(Ordering::Acquire)
    }

    /// True while a write to DRAM (to the host) is in flight.
    pub(crate) fn dram_in_flight(&self) -> bool {
        let stride = self.cores + 1;
        lock(&self.net)
            .nonempty
            .iter()
            .any(|&f| f as usize % stride == self.cores)
    }

    /// A process finished or a core stopped (called on the engine thread).
    pub(crate) fn note_event(&self) {
        self.event.store(true, Ordering::Relaxed);
    }

    /// The FIFO of writes from core `src` to core `dst` (`None`: DRAM).
    #[inline]
    fn fifo(&self, src: usize, dst: Option<usize>) -> usize {
        src * (self.cores + 1) + dst.unwrap_or(self.cores)
    }

    /// Queues a write from core `src` to `dst` (`None`: DRAM).
    pub(crate) fn post(&self, src: usize, dst: Option<usize>, write: Pending) {
        let fifo = self.fifo(src, dst);
        lock(&self.net).push(fifo, write);
    }

    /// A WAND completion: core `core`'s interrupt is due, delivered at a
    /// seed-chosen step.
    pub(crate) fn post_wand(&self, core: u32) {
        lock(&self.net).wand.push(core);
    }

    /// Takes every write in flight from `src` to `dst`, oldest first.
    fn drain(&self, src: usize, dst: Option<usize>) -> Vec<Pending> {
        let fifo = self.fifo(src, dst);
        let mut net = lock(&self.net);
        let mut out = Vec::with_capacity(net.fifos[fifo].len());
        while let Some(w) = net.pop(fifo) {
            out.push(w);
        }
        out
    }

    /// The host changed something (raised an interrupt): the engine looks again.
    pub(crate) fn poke(&self) {
        self.pokes.fetch_add(1, Ordering::AcqRel);
        let _guard = lock(&self.control);
        self.poked.notify_all();
    }

    /// Turns host turns on or off (before the chip starts). See
    /// [`crate::chip::Chip::host_turns`].
    pub(crate) fn set_gated(&self, on: bool) {
        self.gated.store(on, Ordering::Release);
    }

    /// True while host turns are on.
    pub(crate) fn gated(&self) -> bool {
        self.gated.load(Ordering::Acquire)
    }

    /// Grants the engine a turn and waits until it ends (or `timeout`, which
    /// only a stopped engine makes the host wait out).
    pub(crate) fn host_turn(&self, timeout: std::time::Duration) {
        self.turn_steps.store(TURN_STEPS, Ordering::Relaxed);
        self.turn.store(true, Ordering::Release);
        self.poke();
        let guard = lock(&self.control);
        let _guard = self
            .turn_over
            .wait_timeout_while(guard, timeout, |_| {
                self.turn.load(Ordering::Acquire) && !self.stop.load(Ordering::Acquire)
            })
            .unwrap_or_else(|e| e.into_inner());
    }

    /// Ends the turn under way (engine side).
    fn end_turn(&self) {
        let _guard = lock(&self.control);
        self.turn.store(false, Ordering::Release);
        self.turn_over.notify_all();
    }

    /// Counts a step against the turn; ends it when the budget is spent.
    fn turn_step(&self) {
        let left = self.turn_steps.load(Ordering::Relaxed).saturating_sub(1);
        self.turn_steps.store(left, Ordering::Relaxed);
        if left == 0 {
            self.end_turn();
        }
    }

    /// True for the FIFO of writes to DRAM (the host's) from some core.
    fn is_dram_fifo(&self, fifo: u32) -> bool {
        fifo as usize % (self.cores + 1) == self.cores
    }

    /// Asks the engine thread to stop (the caller then joins it).
    pub(crate) fn request_stop(&self) {
        self.stop.store(true, Ordering::Release);
        self.poke();
        let _guard = lock(&self.control);
        self.turn_over.notify_all();
    }

    /// Allows an engine thread to run again.
    pub(crate) fn allow_start(&self) {
        self.stop.store(false, Ordering::Release);
    }

    /// Sleeps until the host pokes (after `seen` pokes) or asks to stop.
    fn wait_for_poke(&self, seen: u64) {
        let guard = lock(&self.control);
        let _guard = self
            .poked
            .wait_while(guard, |_| {
                self.pokes.load(Ordering::Acquire) == seen && !self.stop.load(Ordering::Acquire)
            })
            .unwrap_or_else(|e| e.into_inner());
    }

    /// Back to the state of a fresh chip: nothing in flight, time 0, the
    /// PRNG at the seed. Only while no engine thread runs.
    pub(crate) fn reset(&self) {
        lock(&self.net).clear();
        *lock(&self.engine) = Engine::new(self.seed);
        self.now.store(0, Ordering::Relaxed);
        self.steps.store(0, Ordering::Relaxed);
        self.digest.store(DIGEST_INIT, Ordering::Relaxed);
        self.stalled.store(false, Ordering::Release);
        self.event.store(false, Ordering::Relaxed);
        self.decided.store(false, Ordering::Relaxed);
    }
}

impl Shared {
    fn det(&self) -> &Det {
        self.det.as_ref().expect("deterministic mode")
    }

    /// The engine thread: steps the chip until asked to stop, sleeping
    /// while nothing can happen.
    pub(crate) fn engine(&self) {
        ON_WORKER.with(|w| w.set(true));
        let det = self.det();
        let mut engine = lock(&det.engine);
        loop {
            if det.stop.load(Ordering::Acquire) {
                break;
            }
            // Read before looking: a poke from here on is not missed.
            let pokes = det.pokes.load(Ordering::Acquire);
            let gated = det.gated();
            if gated && !det.turn.load(Ordering::Acquire) {
                // Host turns: between turns the host acts and the chip waits.
                det.wait_for_poke(pokes);
                continue;
            }
            if det.decided.load(Ordering::Relaxed) || (det.event.swap(false, Ordering::Relaxed) && self.decided()) {
                // The outcome is settled: hold where the deciding step left
                // the chip until the host stops the engine.
                det.decided.store(true, Ordering::Relaxed);
                if gated {
                    det.end_turn();
                }
                det.wait_for_poke(pokes);
                continue;
            }
            match self.engine_step(&mut engine) {
                Step::Quiet { stalled } => {
                    det.stall_pokes.store(pokes, Ordering::Release);
                    det.stalled.store(stalled, Ordering::Release);
                    if gated {
                        det.end_turn();
                    }
                    self.notify_host();
                    det.wait_for_poke(pokes);
                    if !det.stop.load(Ordering::Acquire) {
                        det.stalled.store(false, Ordering::Release);
                    }
                }
                // A message (or an acknowledgement) reached the host: its turn.
                Step::Deliver(fifo) if gated && det.is_dram_fifo(fifo) => det.end_turn(),
                _ if gated => det.turn_step(),
                _ => {}
            }
        }
        ON_WORKER.with(|w| w.set(false));
    }

    /// One step of the engine: picks an enabled action with the PRNG and
    /// performs it.
    pub(crate) fn engine_step(&self, engine: &mut Engine) -> Step {
        let det = self.det();
        let now = det.now();
        engine.runnable.clear();
        for (i, core) in self.cores.iter().enumerate() {
            if self.runnable(core, now) {
                engine.runnable.push(i as u32);
            }
        }
        let cores = engine.runnable.len();
        let mut net = lock(&det.net);
        let fifos = net.nonempty.len();
        let total = cores + fifos + net.wand.len();
        if total == 0 {
            drop(net);
            return match self.earliest_deadline() {
                Some(deadline) => {
                    det.now.store(deadline, Ordering::Relaxed);
                    engine.digest = fold(engine.digest, TAG_JUMP | deadline);
                    det.digest.store(engine.digest, Ordering::Relaxed);
                    Step::Jump(deadline)
                }
                None => Step::Quiet {
                    stalled: self.any_live(),
                },
            };
        }
        let pick = engine.rng.usize(..total);
        det.now.store(now + 1, Ordering::Relaxed);
        det.steps.fetch_add(1, Ordering::Relaxed);
        if pick < cores {
            drop(net);
            let index = engine.runnable[pick];
            engine.digest = fold(engine.digest, TAG_ROUND | index as u64);
            det.digest.store(engine.digest, Ordering::Relaxed);
            self.round(index as usize, now + 1);
            Step::Round(index)
        } else if pick >= cores + fifos {
            let core = net.wand.remove(pick - cores - fifos);
            drop(net);
            engine.digest = fold(engine.digest, TAG_WAND | core as u64);
            det.digest.store(engine.digest, Ordering::Relaxed);
            self.wand_latch(core as usize);
            Step::Wand(core)
        } else {
            let fifo = net.nonempty[pick - cores];
            let write = net.pop(fifo as usize).expect("a listed FIFO is not empty");
            drop(net);
            engine.digest = fold(engine.digest, TAG_DELIVER | fifo as u64);
            det.digest.store(engine.digest, Ordering::Relaxed);
            self.deliver(write);
            Step::Deliver(fifo)
        }
    }

    /// True once the outcome of the run is settled, as [`crate::run::run`]
    /// settles it: a core faulted, a process failed, or every process of a
    /// kind that finishes has finished (and there is at least one), on every
    /// core that was started. With host turns on (the host holds channel
    /// ends) only a fault or a failure settles it: the host may still read
    /// what processes that run forever send it, and it ends the run itself.
    fn decided(&self) -> bool {
        if !self.faults.lock().unwrap_or_else(|e| e.into_inner()).is_empty() {
            return true;
        }
        if self.det().dram_in_flight() {
            // Messages to the host are on their way: the host must get them.
            return false;
        }
        let mut must_finish = 0usize;
        let kinds = self.kinds.lock().unwrap_or_else(|e| e.into_inner()).clone();
        for (index, core) in self.cores.iter().enumerate() {
            // SAFETY: engine thread; the reference ends here.
            let booted = unsafe { self.slot(core) }.is_some();
            if !booted {
                if !core.sched.is_halted() && core.regs.ilat().load(Ordering::Acquire) & Irq::Sync.bit() != 0 {
                    // Started, not booted yet: its processes have not run.
                    return false;
                }
                continue;
            }
            let sram = self.memory.sram_base(index);
            let mut header = BootHeader::default();
            // SAFETY: the header lies inside this core's SRAM.
            unsafe { copy_from_shared(bytemuck::bytes_of_mut(&mut header), sram.add(BOOT_OFFSET as usize)) };
            let record = std::mem::size_of::<TaskRecord>() as u32;
            let count = header.task_count.min(MAX_TASKS_PER_CORE as u32);
            if header.magic != BOOT_MAGIC
                || header.tasks_offset % 8 != 0
                || header.tasks_offset as u64 + count as u64 * record as u64 > SRAM_SIZE as u64
            {
                continue;
            }
            for t in 0..count {
                let at = header.tasks_offset + t * record;
                // SAFETY: the record lies inside SRAM (checked above) and is
                // 8-byte aligned, so its first word and its status word are
                // aligned words; every shared word is accessed atomically.
                let (kind, status) = unsafe {
                    (
                        (*(sram.add(at as usize) as *const AtomicU32)).load(Ordering::Acquire),
                        (*(sram.add((at + TASK_STATUS_OFFSET) as usize) as *const AtomicU32)).load(Ordering::Acquire),
                    )
                };
                if status == task_status::FAILED {
                    return true;
                }
                // The kind id without the bit that picks the C runtime.
                let kind = kind & !ecsp_device::boot::KIND_C_FLAG;
                let finishes = match kind.checked_sub(ecsp_device::kernel::USER_KIND_BASE) {
                    Some(user) => kinds.as_ref().is_some_and(|k| !k.forever(user as usize)),
                    None => KINDS.get(kind as usize).is_some_and(|k| !k.forever),
                };
                if finishes {
                    if status != task_status::FINISHED {
                        return false;
                    }
                    must_finish += 1;
                }
            }
        }
        must_finish > 0 && !self.det().gated()
    }

    /// The executor slot of a core, for the engine thread.
    ///
    /// # Safety
    /// Called only on the engine thread while it runs (no other thread
    /// touches executor slots then: the host drops them only after joining
    /// the engine), and the reference is not held across another call.
    #[allow(clippy::mut_from_ref)]
    unsafe fn slot(&self, core: &Core) -> &mut Option<ecsp_device::executor::Executor<super::mesh::SimMesh>> {
        // SAFETY: exclusive access, as the caller promises.
        unsafe { &mut *core.exec.get() }
    }

    fn runnable(&self, core: &Core, now: u64) -> bool {
        if core.sched.is_halted() {
            return false;
        }
        // SAFETY: engine thread; the reference ends here.
        if unsafe { self.slot(core) }.is_none() {
            // Started and not yet booted.
            core.regs.ilat().load(Ordering::Acquire) & Irq::Sync.bit() != 0
        } else {
            core.own_wake.get() || core.sched.is_notified() || core.deadline.get() <= now
        }
    }

    /// The earliest deadline armed by a running core.
    fn earliest_deadline(&self) -> Option<u64> {
        self.cores
            .iter()
            // SAFETY: engine thread; the reference ends in the closure.
            .filter(|c| !c.sched.is_halted() && unsafe { self.slot(c) }.is_some())
            .map(|c| c.deadline.get())
            .filter(|&d| d != u64::MAX)
            .min()
    }

    /// True when some booted core still has a process that has not finished.
    fn any_live(&self) -> bool {
        self.cores.iter().any(|c| {
            // SAFETY: engine thread; the reference ends in the closure.
            !c.sched.is_halted() && unsafe { self.slot(c) }.as_ref().is_some_and(|e| e.live() > 0)
        })
    }

    /// Runs one executor round on core `index` (booting it first when SYNC
    /// is latched and it has no executor yet).
    fn round(&self, index: usize, now: u64) {
        let core = &self.cores[index];
        // Fold every latched cause into the user interrupt the executor consumes.
        let mut woke = core.sched.take_notified();
        if core.deadline.get() <= now {
            core.deadline.set(u64::MAX);
            woke = true;
        }
        if woke {
            core.own_wake.set(true);
        }
        if core.det_idle.replace(false) {
            bump(&core.counters.wakes, 1);
        }
        // SAFETY: engine thread; the slot is used only inside this call and
        // by `core_panicked` after the step ended.
        let slot = unsafe { self.slot(core) };
        match catch_unwind(AssertUnwindSafe(|| self.step(core, slot, 1))) {
            Ok(Some(RunStatus::Idle)) => core.det_idle.set(true),
            // Raised during the round (and consumed): run again.
            Ok(Some(RunStatus::Budget)) => core.own_wake.set(true),
            // Finished, or its boot failed (recorded by `step`).
            Ok(Some(RunStatus::Finished)) | Ok(None) => self.stop_core(core),
            Err(payload) => self.core_panicked(core, slot, payload),
        }
    }

    /// Carries out a write that reached its destination.
    pub(super) fn deliver(&self, write: Pending) {
        match write {
            Pending::Small { addr, len, bytes } => self.deliver_bytes(addr, &bytes[..len as usize]),
            Pending::Large { addr, bytes } => self.deliver_bytes(addr, &bytes),
            Pending::Word { addr, value } => match self.memory.translate(addr, 4) {
                Target::Sram { ptr, .. } | Target::Dram { ptr } => {
                    // SAFETY: the issuing core checked that the word lies in
                    // SRAM or DRAM and is 4-byte aligned (the mappings are
                    // page aligned); the memory map never changes.
                    unsafe { (*(ptr as *const AtomicU32)).store(value, Ordering::Release) }
                }
                Target::Register { core, offset } => self.write_register(core, offset, value),
                Target::Unmapped => debug_assert!(false, "a posted word at {addr} is unmapped"),
            },
            Pending::User { core } => self.latch(core as usize),
        }
    }

    fn deliver_bytes(&self, addr: GlobalAddr, data: &[u8]) {
        match self.memory.translate(addr, data.len()) {
            // SAFETY: translate checked that the target has room for `data`.
            Target::Sram { ptr, .. } | Target::Dram { ptr } => unsafe { copy_to_shared(ptr, data) },
            Target::Register { core, offset } => {
                // A one-word write to a register (posted as bytes by `write`).
                let value = u32::from_le_bytes([data[0], data[1], data[2], data[3]]);
                self.write_register(core, offset, value);
            }
            Target::Unmapped => debug_assert!(false, "a posted write at {addr} is unmapped"),
        }
    }

    /// TESTSET's flush: delivers every write in flight from `src` to `dst`
    /// (`None`: DRAM), oldest first.
    pub(crate) fn flush(&self, src: usize, dst: Option<usize>) {
        for write in self.det().drain(src, dst) {
            self.deliver(write);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::Board;
    use crate::chip::Chip;
    use crate::sim::mesh::SimMesh;
    use crate::sim::{SimChip, SimMode, SimOptions};
    use ecsp_device::addr::CoreId;
    use ecsp_device::mesh::Mesh;

    fn chip(seed: u64) -> SimChip {
        SimChip::with_options(
            Board::default(),
            SimOptions {
                mode: SimMode::Deterministic { seed },
                ..SimOptions::default()
            },
        )
        .unwrap()
    }

    fn core(i: u32) -> CoreId {
        let b = Board::default();
        CoreId::from_row_col(b.first_row + i / b.cols, b.first_col + i % b.cols)
    }

    fn word(chip: &SimChip, core: CoreId, offset: u32) -> u32 {
        chip.read_word(GlobalAddr::on_core(core, offset)).unwrap()
    }

    /// Drives the engine by hand (no core is started, so every action is a
    /// delivery) until nothing is left, calling `look` after each step.
    fn drain(chip: &SimChip, mut look: impl FnMut()) {
        let shared = &chip.shared;
        let mut engine = lock(&shared.det().engine);
        loop {
            match shared.engine_step(&mut engine) {
                Step::Deliver(_) => look(),
                Step::Quiet { stalled } => {
                    assert!(!stalled);
                    return;
                }
                other => panic!("unexpected step {other:?}"),
            }
        }
    }

    /// Core 0's mesh, driven from the test thread (standing in for the engine).
    fn mesh(chip: &SimChip) -> SimMesh {
        SimMesh::new(&chip.shared, &chip.shared.cores[0])
    }

    #[test]
    fn writes_to_two_destinations_arrive_in_both_orders_and_to_one_in_issue_order() {
        let (b, c) = (core(1), core(2));
        let (mut b_first, mut c_first) = (0, 0);
        for seed in 0..64 {
            let chip = chip(seed);
            let m = mesh(&chip);
            // A flag in a different core than its data: no order between them.
            m.write_word(GlobalAddr::on_core(b, 0x100), 1);
            m.write_word(GlobalAddr::on_core(c, 0x100), 1);
            // To one destination: payload, counter, interrupt, in issue order.
            m.write(GlobalAddr::on_core(b, 0x200), &[7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7]);
            m.write_word(GlobalAddr::on_core(b, 0x300), 1);
            m.raise(b, Irq::User);
            // Nothing crossed the mesh yet: writes are in flight.
            assert_eq!(word(&chip, b, 0x100), 0);
            assert_eq!(word(&chip, c, 0x100), 0);
            assert!(!chip.shared.cores[1].sched.is_notified());
            let mut order = Vec::new();
            drain(&chip, || {
                let seen_b = word(&chip, b, 0x100) == 1;
                let seen_c = word(&chip, c, 0x100) == 1;
                if seen_b && !order.contains(&'b') {
                    order.push('b');
                }
                if seen_c && !order.contains(&'c') {
                    order.push('c');
                }
                let payload = word(&chip, b, 0x208) == 0x0707_0707;
                let counter = word(&chip, b, 0x300) == 1;
                let raised = chip.shared.cores[1].sched.is_notified();
                assert!(!counter || payload, "seed {seed}: the counter overtook the payload");
                assert!(!raised || counter, "seed {seed}: the interrupt overtook the counter");
                assert!(!payload || seen_b, "seed {seed}: the payload overtook the first word");
            });
            assert_eq!(order.len(), 2);
            if order[0] == 'b' {
                b_first += 1;
            } else {
                c_first += 1;
            }
            assert!(chip.shared.cores[1].sched.is_notified());
            assert_eq!(word(&chip, b, 0x300), 1);
        }
        assert!(b_first > 0 && c_first > 0, "b first {b_first}, c first {c_first}");
    }

    #[test]
    fn own_writes_and_own_raises_take_effect_at_once() {
        let chip = chip(1);
        let m = mesh(&chip);
        let me = core(0);
        m.write_word(GlobalAddr::on_core(me, 0x100), 5);
        m.write(GlobalAddr::new(0x104), &[1, 2, 3, 4]);
        assert_eq!(word(&chip, me, 0x100), 5);
        assert_eq!(word(&chip, me, 0x104), 0x0403_0201);
        m.raise(me, Irq::User);
        assert!(m.take_wake());
        // A remote read sees memory as it is: not the write still in flight.
        m.write_word(GlobalAddr::on_core(core(3), 0x100), 9);
        let mut buf = [0u8; 4];
        m.read(GlobalAddr::on_core(core(3), 0x100), &mut buf);
        assert_eq!(u32::from_le_bytes(buf), 0);
        drain(&chip, || {});
        m.read(GlobalAddr::on_core(core(3), 0x100), &mut buf);
        assert_eq!(u32::from_le_bytes(buf), 9);
    }

    #[test]
    fn testset_flushes_the_writes_to_its_destination_first_and_no_others() {
        for seed in 0..8 {
            let chip = chip(seed);
            let m = mesh(&chip);
            let (b, c) = (core(1), core(2));
            let lock_word = GlobalAddr::on_core(b, 0x400);
            m.write_word(GlobalAddr::on_core(b, 0x404), 3);
            m.write_word(GlobalAddr::on_core(c, 0x400), 9);
            m.write_word(lock_word, 5);
            // The request travels behind the write of 5: it sees 5, not 0.
            assert_eq!(m.testset(lock_word, 7), 5, "seed {seed}");
            assert_eq!(word(&chip, b, 0x400), 5);
            assert_eq!(word(&chip, b, 0x404), 3);
            // The write to another core is still in flight.
            assert_eq!(word(&chip, c, 0x400), 0);
            // A free word is taken at once.
            assert_eq!(m.testset(GlobalAddr::on_core(b, 0x408), 7), 0);
            assert_eq!(word(&chip, b, 0x408), 7);
            // DRAM has its own FIFO: flushed by a TESTSET to DRAM.
            let dram = GlobalAddr::new(chip.board().dram.epiphany_base);
            m.write_word(dram.add(4), 11);
            assert_eq!(m.testset(dram, 1), 0);
            assert_eq!(chip.read_word(dram.add(4)).unwrap(), 11);
            drain(&chip, || {});
            assert_eq!(word(&chip, c, 0x400), 9);
        }
    }

    #[test]
    fn a_deadline_makes_time_jump_when_nothing_else_can_happen() {
        use crate::network::Network;
        use crate::plan::{plan, Placement};
        use ecsp_device::addr::reg;
        use ecsp_device::boot::BOOT_OFFSET;
        use ecsp_device::message::Dtype;
        let chip = chip(9);
        // Two ids on one core, each waiting to read from the other.
        let mut net = Network::new();
        let c1 = net.channel("c1", Dtype::U32, 0).unwrap();
        let c2 = net.channel("c2", Dtype::U32, 0).unwrap();
        net.process("left", "id", &[c1], &[c2], &[]).unwrap();
        net.process("right", "id", &[c2], &[c1], &[]).unwrap();
        let plan = plan(&net, chip.board(), Placement::Packed, &|k, d| chip.state_layout(k, d)).unwrap();
        assert_eq!(plan.cores[0].core, core(0));
        chip.write(GlobalAddr::on_core(core(0), BOOT_OFFSET), &plan.cores[0].image)
            .unwrap();
        // SYNC latched by hand: no engine thread, the test steps it.
        chip.write_word(GlobalAddr::on_core(core(0), reg::ILATST), Irq::Sync.bit())
            .unwrap();
        let shared = &chip.shared;
        let mut engine = lock(&shared.det().engine);
        assert_eq!(shared.engine_step(&mut engine), Step::Round(0), "boot and first round");
        loop {
            match shared.engine_step(&mut engine) {
                Step::Round(0) => {}
                Step::Quiet { stalled } => {
                    assert!(stalled, "both ids wait forever");
                    break;
                }
                other => panic!("unexpected step {other:?}"),
            }
        }
        let now = shared.det().now();
        assert_eq!(mesh(&chip).now_ticks(), now);
        // A timer armed far ahead: time jumps there, then the core runs.
        mesh(&chip).wake_at(now + 1_000);
        mesh(&chip).wake_at(now + 5_000);
        assert_eq!(shared.engine_step(&mut engine), Step::Jump(now + 1_000));
        assert_eq!(shared.engine_step(&mut engine), Step::Round(0));
        assert_eq!(shared.det().now(), now + 1_001);
        assert_eq!(shared.cores[0].deadline.get(), u64::MAX, "the deadline was consumed");
        assert!(matches!(shared.engine_step(&mut engine), Step::Quiet { stalled: true }));
    }

    #[test]
    fn fold_spreads_every_input_bit() {
        let a = fold(DIGEST_INIT, TAG_ROUND | 1);
        let b = fold(DIGEST_INIT, TAG_ROUND | 2);
        let c = fold(DIGEST_INIT, TAG_DELIVER | 1);
        assert!(a != b && b != c && a != c);
        assert_ne!(fold(a, TAG_ROUND | 2), fold(b, TAG_ROUND | 1), "order matters");
    }
}
