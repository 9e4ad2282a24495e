//! The per-core executor: boots the processes its boot table names and polls
//! them until each has finished.
//!
//! No heap: every process's state lives in the task arena the host planned in
//! this core's SRAM, at the offset its [`TaskRecord`] gives. The executor
//! itself is a small fixed-size table.
//!
//! Scheduling: a round polls every live process once. Channel futures do not
//! use wakers; a write to this core raises its user interrupt instead, and the
//! executor runs another round whenever one was raised since the last round
//! began (so a wake-up that lands during a round is never lost). With nothing
//! raised, the core goes idle (on silicon the `idle` instruction; in the
//! simulator its host thread moves on to other cores) until the next interrupt.
//!
//! ```text
//!   boot ──► round ──► raised? ──yes──► round ...
//!                         │no
//!                         ▼
//!                       Idle ──(interrupt)──► round ...
//!   every process finished ──► Finished
//! ```

use crate::boot::{
    core_status, task_status, BootHeader, TaskRecord, BOOT_ERROR_OFFSET, BOOT_MAGIC, BOOT_OFFSET, BOOT_VERSION,
    CORE_STATUS_OFFSET, FAULT_TASK_OFFSET, MAX_TASKS_PER_CORE, STACK_BOTTOM, TASK_ERROR_OFFSET, TASK_STATUS_OFFSET,
    TASK_VALUE_OFFSET, TASK_WAITING_OFFSET,
};
use crate::mesh::Mesh;
use crate::process::{self, KINDS};
use crate::trace::{TraceEvent, TraceKind};
use core::fmt;
use core::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

/// Why a core could not boot. The code is stored in [`BootHeader::boot_error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BootError {
    /// No boot table: the magic word is wrong.
    NoBootTable,
    /// The boot table was written for another layout version.
    Version {
        /// Version found.
        found: u32,
    },
    /// The boot table was planned for another core.
    WrongCore {
        /// Core id in the table.
        planned: u32,
    },
    /// More processes than the executor can hold.
    TooManyTasks {
        /// Processes in the table.
        count: u32,
    },
    /// A record lies outside SRAM.
    Corrupt,
    /// A task names a kind the registry does not have.
    UnknownKind {
        /// The task's index.
        task: u32,
    },
    /// A task names a message type the registry does not have.
    UnknownDtype {
        /// The task's index.
        task: u32,
    },
    /// A task's state does not fit the room planned for it.
    NoRoom {
        /// The task's index.
        task: u32,
    },
}

impl BootError {
    /// The code stored in [`BootHeader::boot_error`] (0 means none).
    pub const fn code(&self) -> u32 {
        match self {
            BootError::NoBootTable => 1,
            BootError::Version { .. } => 2,
            BootError::WrongCore { .. } => 3,
            BootError::TooManyTasks { .. } => 4,
            BootError::Corrupt => 5,
            BootError::UnknownKind { .. } => 6,
            BootError::UnknownDtype { .. } => 7,
            BootError::NoRoom { .. } => 8,
        }
    }
}

impl fmt::Display for BootError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BootError::NoBootTable => f.write_str("no boot table at 0x4000: load the network before starting the core"),
            BootError::Version { found } => write!(
                f,
                "boot table version {found}, runtime expects {BOOT_VERSION}: host and device image are from different ecsp versions"
            ),
            BootError::WrongCore { planned } => {
                write!(f, "boot table was planned for core {planned:#x}: it was written to the wrong core")
            }
            BootError::TooManyTasks { count } => {
                write!(f, "{count} processes on one core, the runtime holds at most {MAX_TASKS_PER_CORE}")
            }
            BootError::Corrupt => f.write_str("boot table records lie outside SRAM"),
            BootError::UnknownKind { task } => {
                write!(f, "task {task} names a process kind this device image does not have")
            }
            BootError::UnknownDtype { task } => write!(f, "task {task} names an unknown message type"),
            BootError::NoRoom { task } => write!(
                f,
                "task {task}'s state does not fit the room planned for it: host and device image disagree on state sizes"
            ),
        }
    }
}

/// The wakers handed to processes. They wake nothing (a round polls every
/// live process; wake-ups are interrupts), but carry the process's task
/// record offset, so a future can note what it blocks on ([`note_blocked`]).
static TASK_WAKER: RawWakerVTable = RawWakerVTable::new(clone_task_waker, ignore, ignore, ignore);

fn clone_task_waker(data: *const ()) -> RawWaker {
    RawWaker::new(data, &TASK_WAKER)
}

fn ignore(_data: *const ()) {}

/// Notes in the polling process's task record what it blocks on: a channel
/// end's index in this core's end table plus one, or
/// [`crate::boot::WAIT_OTHER`]. Does nothing under a foreign executor.
///
/// While tracing, a block is reported once per wait: when the task last
/// made progress ([`note_progress`] cleared the word) or waits on something
/// else than before.
#[inline]
pub fn note_blocked<M: Mesh>(cx: &Context<'_>, mesh: &M, what: u32) {
    let waker = cx.waker();
    if core::ptr::eq(waker.vtable(), &TASK_WAKER) {
        let at = waker.data() as usize as u32 + TASK_WAITING_OFFSET;
        if mesh.tracing() && mesh.load_word(at) != what {
            mesh.trace(TraceEvent {
                kind: TraceKind::Block,
                task_record: waker.data() as usize as u32,
                what,
            });
        }
        mesh.store_word(at, what);
    }
}

/// The polling process's task record offset, or 0 under a foreign executor.
#[inline]
pub fn task_record_of(cx: &Context<'_>) -> u32 {
    let waker = cx.waker();
    if core::ptr::eq(waker.vtable(), &TASK_WAKER) {
        waker.data() as usize as u32
    } else {
        0
    }
}

/// Reports `kind` (about `what`) for the polling process while tracing,
/// and clears what it last blocked on, so its next block is reported.
#[inline]
pub fn note_progress<M: Mesh>(cx: Option<&Context<'_>>, mesh: &M, kind: TraceKind, what: u32) {
    if !mesh.tracing() {
        return;
    }
    let task_record = cx.map_or(0, task_record_of);
    if task_record != 0 {
        mesh.store_word(task_record + TASK_WAITING_OFFSET, 0);
    }
    mesh.trace(TraceEvent {
        kind,
        task_record,
        what,
    });
}

/// How [`ForeignKinds`] spawns a process (see [`ForeignKinds::spawn`]).
pub type ForeignSpawn<M> = unsafe fn(
    ctx: *const (),
    proc: process::Proc<M>,
    record_offset: u32,
    state: *mut u8,
    room: usize,
) -> Result<process::Spawned, process::SpawnError>;

/// Kinds this crate does not carry, spawned by whoever runs the executor:
/// a simulator's users' kernels (kind ids [`crate::kernel::USER_KIND_BASE`]
/// and up) and Rust kinds a host program registered.
#[derive(Clone, Copy)]
pub struct ForeignKinds<M: Mesh> {
    /// What `spawn` is given back: the kinds' table, alive as long as any
    /// executor booted with it (caller duty of [`Executor::boot_with`]).
    pub ctx: *const (),
    /// Builds the state of a process of a foreign kind in its room.
    ///
    /// # Safety
    /// - `ctx` is the [`ForeignKinds::ctx`] it came with, still alive.
    /// - `state` is valid for writes of `room` bytes, 8-byte aligned, and
    ///   never moves nor is reused while the returned process lives.
    /// - `proc` was made from records planned for this core; its task
    ///   record is at SRAM offset `record_offset`.
    pub spawn: ForeignSpawn<M>,
}

/// What [`Executor::run`] stopped on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// Every live process is blocked and nothing was raised: sleep until an interrupt.
    Idle,
    /// The round budget ran out with work left: run again soon.
    Budget,
    /// Every process has finished (or failed).
    Finished,
}

/// One live process.
struct Task {
    spawned: process::Spawned,
    /// Its state in the arena.
    state: *mut u8,
    /// SRAM offset of its [`TaskRecord`].
    record: u32,
    /// Still to be polled.
    live: bool,
}

/// A core's executor.
pub struct Executor<M: Mesh> {
    mesh: M,
    tasks: heapless::Vec<Task, MAX_TASKS_PER_CORE>,
    live: usize,
    /// Index of the task being polled, for the platform to blame after a
    /// panic or fault.
    current: Option<u32>,
}

impl<M: Mesh> Executor<M> {
    /// Reads this core's boot table and spawns its processes. On failure the
    /// error is also written into the table for the host.
    ///
    /// # Safety
    /// - The boot table in this core's SRAM was written by ecsp's host planner
    ///   for this core (channel blocks zeroed, state room as planned).
    /// - Only one executor runs per core, and the SRAM outlives it.
    pub unsafe fn boot(mesh: M) -> Result<Self, BootError> {
        // SAFETY: forwarded caller duties.
        unsafe { Self::boot_with(mesh, None) }
    }

    /// [`Executor::boot`], spawning the processes of kinds this crate does
    /// not carry through `foreign`.
    ///
    /// # Safety
    /// - As [`Executor::boot`].
    /// - `foreign`'s context outlives the executor.
    pub unsafe fn boot_with(mesh: M, foreign: Option<ForeignKinds<M>>) -> Result<Self, BootError> {
        // SAFETY: forwarded caller duties.
        let result = unsafe { Self::boot_inner(mesh, foreign) };
        let status = match &result {
            Ok(_) => core_status::RUNNING,
            Err(e) => {
                mesh.store_word(BOOT_OFFSET + BOOT_ERROR_OFFSET, e.code());
                core_status::FAULTED
            }
        };
        mesh.store_word(BOOT_OFFSET + CORE_STATUS_OFFSET, status);
        result
    }

    /// # Safety
    /// As [`Executor::boot_with`].
    unsafe fn boot_inner(mesh: M, foreign: Option<ForeignKinds<M>>) -> Result<Self, BootError> {
        let mut header = BootHeader::default();
        mesh.read_local(BOOT_OFFSET, bytemuck::bytes_of_mut(&mut header));
        if header.magic != BOOT_MAGIC {
            return Err(BootError::NoBootTable);
        }
        if header.version != BOOT_VERSION {
            return Err(BootError::Version { found: header.version });
        }
        if header.core_id != mesh.core_id().raw() as u32 {
            return Err(BootError::WrongCore {
                planned: header.core_id,
            });
        }
        if header.task_count as usize > MAX_TASKS_PER_CORE {
            return Err(BootError::TooManyTasks {
                count: header.task_count,
            });
        }
        let record_size = core::mem::size_of::<TaskRecord>() as u32;
        // Records, blocks and the arena live between the boot table and the
        // stack reserve; anything else would overwrite the runtime or the stack.
        let fits = |offset: u32, bytes: u64| offset >= BOOT_OFFSET && offset as u64 + bytes <= STACK_BOTTOM as u64;
        let end_size = core::mem::size_of::<crate::boot::EndRecord>() as u64;
        if !fits(header.tasks_offset, header.task_count as u64 * record_size as u64)
            || !fits(header.ends_offset, header.end_count as u64 * end_size)
            || !fits(header.arena_offset, header.arena_size as u64)
            || header.tasks_offset % 8 != 0
            || header.ends_offset % 4 != 0
            || header.arena_offset % 8 != 0
        {
            return Err(BootError::Corrupt);
        }
        if !crate::barrier::table_fits(&mesh, &header) {
            return Err(BootError::Corrupt);
        }
        let mut exec = Executor {
            mesh,
            tasks: heapless::Vec::new(),
            live: 0,
            current: None,
        };
        for i in 0..header.task_count {
            let offset = header.tasks_offset + i * record_size;
            let mut record = TaskRecord::default();
            mesh.read_local(offset, bytemuck::bytes_of_mut(&mut record));
            if record.first_end as u64 + record.inputs as u64 + record.outputs as u64 > header.end_count as u64
                || record.state_offset as u64 + record.state_size as u64 > header.arena_size as u64
            {
                return Err(BootError::Corrupt);
            }
            let state = mesh.local(header.arena_offset + record.state_offset);
            // A task the host marked to run the C runtime's implementation
            // of its kind (only in an image built with it).
            #[cfg(feature = "c-runtime")]
            let spawned = (record.kind & crate::c_runtime::C_KIND_FLAG != 0).then(|| {
                // SAFETY: the state room lies inside the arena (checked
                // above), which nothing else uses, and never moves; the
                // records were planned for this core (caller duty 1).
                unsafe {
                    crate::c_runtime::spawn(
                        mesh,
                        &record,
                        offset,
                        header.ends_offset,
                        header.end_count,
                        state,
                        record.state_size as usize,
                    )
                }
            });
            #[cfg(not(feature = "c-runtime"))]
            let spawned = None;
            // A kind of the host's (a user's kernel or Rust kind).
            let spawned = match (spawned, foreign) {
                (None, Some(foreign)) if record.kind >= crate::kernel::USER_KIND_BASE => {
                    // SAFETY: (1) records and ends were planned for this core
                    // (caller duty 1); the process takes each end once.
                    let proc = unsafe { process::Proc::new(mesh, record, header.ends_offset) }.with_task(i);
                    // SAFETY: (1) the context outlives the executor (caller
                    // duty 3); (2) the state room lies inside the arena
                    // (checked above), which nothing else uses, and never moves.
                    Some(unsafe { (foreign.spawn)(foreign.ctx, proc, offset, state, record.state_size as usize) })
                }
                (spawned, _) => spawned,
            };
            let spawned = match spawned {
                Some(spawned) => spawned,
                None if record.kind as usize >= KINDS.len() => return Err(BootError::UnknownKind { task: i }),
                None => {
                    // SAFETY: (1) records and ends were planned for this core
                    // (caller duty 1); (2) each end is taken once by the
                    // built-in processes.
                    let proc = unsafe { process::Proc::new(mesh, record, header.ends_offset) }.with_task(i);
                    // SAFETY: the state room lies inside the arena (checked
                    // above), which nothing else uses, and never moves.
                    unsafe { process::spawn(record.kind, record.dtype, state, record.state_size as usize, proc) }
                }
            }
            .map_err(|e| match e {
                process::SpawnError::UnknownKind => BootError::UnknownKind { task: i },
                process::SpawnError::UnknownDtype => BootError::UnknownDtype { task: i },
                process::SpawnError::NoRoom => BootError::NoRoom { task: i },
            })?;
            // Cannot fail: task_count <= MAX_TASKS_PER_CORE was checked.
            let _ = exec.tasks.push(Task {
                spawned,
                state,
                record: offset,
                live: true,
            });
            exec.live += 1;
        }
        // Only once every process is spawned: a boot that fails midway leaves
        // every task LOADED, none RUNNING with its state already dropped.
        for task in exec.tasks.iter() {
            mesh.store_word(task.record + TASK_STATUS_OFFSET, task_status::RUNNING);
        }
        Ok(exec)
    }

    /// Runs rounds until every process is blocked with nothing raised, until
    /// all have finished, or for at most `max_rounds` rounds.
    pub fn run(&mut self, max_rounds: u32) -> RunStatus {
        if self.mesh.tracing() {
            self.mesh.trace(TraceEvent {
                kind: TraceKind::Wake,
                task_record: 0,
                what: 0,
            });
        }
        let mut rounds = 0;
        loop {
            if self.live == 0 {
                self.mesh
                    .store_word(BOOT_OFFSET + CORE_STATUS_OFFSET, core_status::FINISHED);
                return RunStatus::Finished;
            }
            // Anything raised from here on triggers another round.
            self.mesh.take_wake();
            for i in 0..self.tasks.len() {
                let task = &self.tasks[i];
                if !task.live {
                    continue;
                }
                self.current = Some(i as u32);
                // SAFETY: the vtable's functions do nothing with the data,
                // which is a plain offset, so every RawWaker contract holds.
                // Its drop does nothing, so it is skipped (ManuallyDrop).
                let waker = core::mem::ManuallyDrop::new(unsafe {
                    Waker::from_raw(RawWaker::new(task.record as usize as *const (), &TASK_WAKER))
                });
                let mut cx = Context::from_waker(&waker);
                // SAFETY: the state is live (never polled after completion
                // and never dropped while live) and pinned in the arena.
                let poll = unsafe { (task.spawned.poll)(task.state, &mut cx) };
                if let Poll::Ready(result) = poll {
                    self.finish(i, result);
                }
            }
            self.current = None;
            rounds += 1;
            if self.live == 0 {
                continue;
            }
            if !self.mesh.take_wake() {
                return RunStatus::Idle;
            }
            if rounds >= max_rounds {
                // The next run starts with a round, so the consumed wake is not lost.
                return RunStatus::Budget;
            }
        }
    }

    fn finish(&mut self, index: usize, result: process::ProcessResult) {
        let task = &mut self.tasks[index];
        task.live = false;
        self.live -= 1;
        // SAFETY: the state is live and is not used after this drop.
        unsafe { (task.spawned.drop)(task.state) };
        let (status, outcome, error) = match result {
            Ok(o) => (task_status::FINISHED, o, 0),
            Err(e) => (task_status::FAILED, process::Outcome::default(), e.code()),
        };
        let record = task.record;
        let mut fields = [0u8; 28];
        fields[0..8].copy_from_slice(&outcome.value.to_le_bytes());
        fields[8..16].copy_from_slice(&outcome.aux.to_le_bytes());
        fields[16..24].copy_from_slice(&outcome.ticks.to_le_bytes());
        fields[24..28].copy_from_slice(&error.to_le_bytes());
        // value, aux, ticks and error are consecutive from TASK_VALUE_OFFSET.
        self.mesh.write_local(record + TASK_VALUE_OFFSET, &fields);
        // Release: the host reads the results after it sees the status.
        self.mesh.store_word(record + TASK_STATUS_OFFSET, status);
        if self.mesh.tracing() {
            self.mesh.trace(TraceEvent {
                kind: TraceKind::Finish,
                task_record: record,
                what: error,
            });
        }
        self.mesh.notify_host();
    }

    /// The task being polled, if a poll is under way (for the platform to
    /// blame after a panic or memory fault).
    pub fn current_task(&self) -> Option<u32> {
        self.current
    }

    /// Number of processes still running.
    pub fn live(&self) -> usize {
        self.live
    }

    /// Marks the current task failed with `error` and stops every process on
    /// this core: called by the platform after a panic or fault escaped a
    /// poll. Process states are dropped; the core is left FAULTED.
    pub fn fail_current(&mut self, error: process::ProcessError) {
        let current = self.current.take();
        if let Some(i) = current {
            let record = self.tasks[i as usize].record;
            // The panicked state is not dropped: its poll was cut short.
            self.tasks[i as usize].live = false;
            self.live -= 1;
            self.mesh.store_word(record + TASK_ERROR_OFFSET, error.code());
            self.mesh.store_word(record + TASK_STATUS_OFFSET, task_status::FAILED);
        }
        self.mesh
            .store_word(BOOT_OFFSET + FAULT_TASK_OFFSET, current.unwrap_or(u32::MAX));
        self.mesh
            .store_word(BOOT_OFFSET + CORE_STATUS_OFFSET, core_status::FAULTED);
        self.stop();
    }

    /// Drops every live process (the core is being halted).
    pub fn stop(&mut self) {
        for task in self.tasks.iter_mut() {
            if task.live {
                task.live = false;
                // SAFETY: the state is live and never used again.
                unsafe { (task.spawned.drop)(task.state) };
            }
        }
        self.live = 0;
    }
}

impl<M: Mesh> Drop for Executor<M> {
    fn drop(&mut self) {
        self.stop();
    }
}
