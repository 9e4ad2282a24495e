//! The `Chip` trait: the one boundary between ecsp's host runtime and an
//! Epiphany, simulated ([`crate::sim::SimChip`]) or real (the eSDK backend).
//!
//! The runtime plans a network, writes boot tables with [`Chip::write`],
//! starts the cores with [`Chip::start`], watches their boot tables with
//! [`Chip::read`] and stops them with [`Chip::halt`]. Nothing in the runtime
//! knows which backend it drives.

use crate::board::Board;
use ecsp_device::addr::{CoreId, GlobalAddr};
use ecsp_device::message::Dtype;
use std::alloc::Layout;
use std::time::Duration;

/// Why a chip access failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChipError {
    /// The address is not SRAM, a register or DRAM of this board.
    #[error(
        "memory fault: {len} bytes at {addr} are outside every core's SRAM and registers and outside DRAM ({board})"
    )]
    Unmapped {
        /// The address.
        addr: GlobalAddr,
        /// Bytes accessed.
        len: usize,
        /// The board's name.
        board: String,
    },
    /// A register access that is not one aligned 32-bit word.
    #[error("register access at {addr} must be one aligned 32-bit word, was {len} bytes")]
    RegisterAccess {
        /// The address.
        addr: GlobalAddr,
        /// Bytes accessed.
        len: usize,
    },
    /// The host used a local (core id 0) address, which only a core can.
    #[error("address {addr} is a core-local alias; the host must use a global address (core id << 20 | offset)")]
    LocalAlias {
        /// The address.
        addr: GlobalAddr,
    },
    /// A core id outside the board.
    #[error("core {core} is not on {board}")]
    NoSuchCore {
        /// The core.
        core: CoreId,
        /// The board's name.
        board: String,
    },
    /// The cores must be halted for this operation.
    #[error("the chip is running: halt it before {what}")]
    Running {
        /// What was attempted.
        what: &'static str,
    },
    /// The eSDK's host library failed an access or a load ([`crate::esdk`]).
    #[error(transparent)]
    Esdk(#[from] crate::esdk::EsdkError),
    /// A user's kernel could not be built or loaded.
    #[error(transparent)]
    Kernel(#[from] crate::kernels::KernelError),
    /// A core's image does not fit the room for code below its boot table.
    #[error("core {core}: its image carries {kinds} and is {bytes} bytes of code, {over} over the {room} bytes a core has for code: {fix}")]
    CodeDoesNotFit {
        /// The core.
        core: CoreId,
        /// Its kinds, comma-separated.
        kinds: String,
        /// What to do: spread its processes, or (one kind) make it smaller.
        fix: &'static str,
        /// Bytes of its image's code and data.
        bytes: u32,
        /// Bytes over.
        over: u32,
        /// Bytes a core has for code.
        room: u32,
    },
    /// The backend cannot run a user's kind of the network.
    #[error("kind `{kind}` ({origin}) cannot run on the {backend} backend: {fix}")]
    KindNotRunnable {
        /// The kind.
        kind: String,
        /// Where it comes from.
        origin: String,
        /// The backend.
        backend: &'static str,
        /// What to do instead.
        fix: String,
    },
}

/// Traffic and scheduling counters of one simulated core.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct CoreCounters {
    /// Writes this core issued to another core's memory or registers, or to DRAM.
    pub remote_writes: u64,
    /// Bytes in those writes.
    pub remote_write_bytes: u64,
    /// Reads this core issued to another core or to DRAM.
    pub remote_reads: u64,
    /// Bytes in those reads.
    pub remote_read_bytes: u64,
    /// Times the core went from idle to scheduled because of an interrupt.
    pub wakes: u64,
    /// Executor rounds the core ran.
    pub rounds: u64,
}

impl CoreCounters {
    /// Field-wise sum.
    pub fn add(&mut self, other: &CoreCounters) {
        self.remote_writes += other.remote_writes;
        self.remote_write_bytes += other.remote_write_bytes;
        self.remote_reads += other.remote_reads;
        self.remote_read_bytes += other.remote_read_bytes;
        self.wakes += other.wakes;
        self.rounds += other.rounds;
    }
}

/// A core that stopped on a fault or a panic, as the backend saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreFault {
    /// The core.
    pub core: CoreId,
    /// The task being polled when it stopped, if any.
    pub task: Option<u32>,
    /// What happened.
    pub message: String,
}

/// The host's view of the board's DRAM window, mapped into this process:
/// where the host's channel blocks live (DESIGN.md section 3). The host
/// polls it with plain loads; the cores write it over the mesh.
#[derive(Debug, Clone, Copy)]
pub struct HostWindow {
    /// The window's first byte in this process.
    ptr: std::ptr::NonNull<u8>,
    /// Its size in bytes.
    len: u32,
    /// Its first byte's global (Epiphany) address.
    base: GlobalAddr,
}

// SAFETY: the pointer names memory shared with the chip, which every access
// reaches through atomics (`ecsp_device::mesh`); moving or sharing the
// handle across threads adds no access of its own.
unsafe impl Send for HostWindow {}
// SAFETY: as for Send: the handle itself is read-only.
unsafe impl Sync for HostWindow {}

impl HostWindow {
    /// # Safety
    /// `ptr` is valid for reads and writes of `len` bytes, 8-byte aligned,
    /// for as long as the chip that hands it out lives, and the chip's cores
    /// see those bytes at global addresses `base..base + len`.
    pub unsafe fn new(ptr: std::ptr::NonNull<u8>, len: u32, base: GlobalAddr) -> HostWindow {
        HostWindow { ptr, len, base }
    }

    /// The window's first byte in this process.
    pub fn ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    /// Its size in bytes.
    pub fn len(&self) -> u32 {
        self.len
    }

    /// True for a window of no bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Its first byte's global address.
    pub fn base(&self) -> GlobalAddr {
        self.base
    }
}

/// One recorded trace event: what the device runtime reported
/// ([`ecsp_device::trace::TraceEvent`]) and when, in the chip's ticks
/// ([`Chip::ticks_per_second`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceRecord {
    /// When, in ticks since the chip was made.
    pub ticks: u64,
    /// What happened.
    pub kind: ecsp_device::trace::TraceKind,
    /// SRAM offset of the task record of the process, or 0 when unknown.
    pub task_record: u32,
    /// Meaning per kind.
    pub what: u32,
}

/// An Epiphany chip on a board.
///
/// Implementations MUST:
/// - [`Chip::write`]/[`Chip::read`]: accept any global address in a core's
///   SRAM (0x0000..0x8000 of its window) or in the board's DRAM window, and
///   reject anything else with [`ChipError`]; never touch memory on error.
/// - [`Chip::write_word`]/[`Chip::read_word`]: additionally accept one
///   aligned word in a core's register block, with the register's semantics
///   (ILATST sets ILAT bits and raises those interrupts, COREID reads the id).
/// - [`Chip::start`]: raise SYNC on every listed core, which then boots from
///   the boot table in its SRAM.
/// - [`Chip::halt`]: stop every core and return only when none runs; memory
///   stays readable. [`Chip::reset`]: halt, then zero SRAM and registers.
/// - [`Chip::wait_event`]: return after at most `timeout`, early when a core
///   finished a process, finished, faulted, or the chip stalled, including
///   when that happened after the previous call returned.
/// - [`Chip::stalled`]: return `true` only when the backend knows for certain
///   that no core can ever run again without the host (nothing runnable,
///   nothing in flight, no timer pending). The host asks while some process
///   has not finished: then it is an exact deadlock (or, with host channels,
///   the cores wait for the host). Once `true`, it stays `true` until the
///   host starts, raises or resets something, and every status, result and
///   fault the chip will ever report is already readable. A backend that
///   cannot know returns `false` (silicon); the host then falls back on its
///   timeout. Both simulator modes know.
pub trait Chip: Send + Sync {
    /// The board this chip is on.
    fn board(&self) -> &Board;

    /// A short name of the backend ("sim", "esdk").
    fn backend(&self) -> &'static str;

    /// Writes `data` at `addr` (SRAM or DRAM).
    fn write(&self, addr: GlobalAddr, data: &[u8]) -> Result<(), ChipError>;

    /// Reads `buf.len()` bytes at `addr` (SRAM or DRAM).
    fn read(&self, addr: GlobalAddr, buf: &mut [u8]) -> Result<(), ChipError>;

    /// Writes one word, memory or register.
    fn write_word(&self, addr: GlobalAddr, value: u32) -> Result<(), ChipError>;

    /// Reads one word, memory or register.
    fn read_word(&self, addr: GlobalAddr) -> Result<u32, ChipError>;

    /// Starts the listed cores (raises SYNC on each).
    fn start(&self, cores: &[CoreId]) -> Result<(), ChipError>;

    /// Stops every core; memory stays as it is.
    fn halt(&self) -> Result<(), ChipError>;

    /// Stops every core and clears SRAM and registers.
    fn reset(&self) -> Result<(), ChipError>;

    /// Sleeps until something may have changed on the chip since the
    /// previous call returned, or `timeout`.
    fn wait_event(&self, timeout: Duration);

    /// True when the chip can never make progress again on its own while
    /// some process has not finished (see the MUST list above).
    fn stalled(&self) -> bool;

    /// Starts (`on`) or stops recording trace events on every core: sends,
    /// receives, blocks, alternation choices, finished processes. Backends
    /// that cannot trace ignore it.
    fn set_tracing(&self, _on: bool) {}

    /// The trace events recorded since the last reset, per core (by the
    /// board's row-major order), oldest first, and clears them. Call once
    /// the chip is halted. Empty when the backend does not trace.
    fn take_trace(&self) -> Vec<(CoreId, Vec<TraceRecord>)> {
        Vec::new()
    }

    /// True while a write from a core to DRAM (a message or an
    /// acknowledgement for the host) is posted but not yet visible to the
    /// host. Only a backend that holds writes in flight (the simulator's
    /// deterministic mode) answers `true`; the host then does not call a
    /// run finished before its last messages land.
    fn host_writes_in_flight(&self) -> bool {
        false
    }

    /// Host turns: when `on` and the backend's schedule is deterministic
    /// ([`Chip::schedule_seed`]), the cores run only inside the host's
    /// [`Chip::wait_event`], in turns that end when a core's write reaches
    /// DRAM, when nothing can run, or after a fixed number of steps; the
    /// host acts between turns, so its part of the run is on the schedule
    /// too. Set before [`Chip::start`]; [`Chip::reset`] leaves it. Other
    /// backends ignore it.
    fn host_turns(&self, _on: bool) {}

    /// The seed of a deterministic schedule: `Some` when every run on this
    /// chip is a function of this seed and the network alone (the
    /// simulator's deterministic mode), so the seed replays it.
    fn schedule_seed(&self) -> Option<u64> {
        None
    }

    /// Per-core traffic counters, indexed like the board's cores (row-major),
    /// when the backend can count them.
    fn counters(&self) -> Option<Vec<CoreCounters>>;

    /// Cores stopped by a fault or panic since the last reset.
    fn faults(&self) -> Vec<CoreFault>;

    /// Ticks per second of the clock device processes measure time with
    /// (`Mesh::now_ticks`): the core clock on silicon, nanoseconds in the
    /// simulator (virtual nanoseconds in deterministic mode, one per step).
    fn ticks_per_second(&self) -> u64;

    /// The board's DRAM window as this process sees it, for host channels.
    /// Valid as long as the chip lives.
    fn host_window(&self) -> HostWindow;

    /// Size and alignment of the state of a process of `kind` computing with
    /// `dtype` in this backend's device image, for the memory planner.
    fn state_layout(&self, kind: u32, dtype: Dtype) -> Option<Layout>;

    /// Makes what `plan` places on each core runnable there: the users'
    /// kinds of `net` (by kind id from
    /// [`ecsp_device::kernel::USER_KIND_BASE`]), and on a chip each core's
    /// image. Called after [`Chip::reset`] and before the boot tables are
    /// written; replaces what the previous call loaded. Returns what was
    /// compiled or taken from the cache. A backend that cannot run a kind
    /// refuses it by name ([`ChipError::KindNotRunnable`]); a core whose code
    /// does not fit is refused naming the core, its kinds and the bytes
    /// ([`ChipError::CodeDoesNotFit`]).
    fn load_kinds(
        &self,
        net: &crate::network::Network,
        plan: &crate::plan::Plan,
    ) -> Result<crate::kernels::sim::LoadReport, ChipError> {
        let _ = plan;
        match net.user_kinds().first() {
            None => Ok(crate::kernels::sim::LoadReport::default()),
            Some(kind) => Err(ChipError::KindNotRunnable {
                kind: kind.decl.name.clone(),
                origin: kind.origin(),
                backend: self.backend(),
                fix: "run it on the simulator".to_string(),
            }),
        }
    }
}
