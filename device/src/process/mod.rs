//! Processes: what a device process is given, what it returns, and the
//! registry of built-in process kinds the host refers to by name.
//!
//! A process is an `async fn(Proc<M>) -> Result<Outcome, ProcessError>`. It
//! takes its channel ends and parameters from its [`Proc`], runs, and returns
//! a value the host reads back from the boot table.

mod barrier_procs;
mod builtin;
mod kernels;
mod registry;

pub use barrier_procs::barriers_of_kind;
pub use kernels::{MAP_FNS, REDUCE_OPS, ZIP_OPS};
pub(crate) use registry::spawn;
pub use registry::state_layout;
pub use registry::{kind_by_name, Arity, KindSpec, ProcessResult, Shapes, SpawnError, Spawned, KINDS};

use crate::boot::{EndRecord, TaskRecord, MAX_PARAMS};
use crate::channel::{EndError, Payload, Receiver, Sender};
use crate::mesh::Mesh;
use crate::message::Message;
use core::fmt;

/// What a finished process hands back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Its result value (meaning per kind).
    pub value: u64,
    /// A second result (meaning per kind; 0 if none).
    pub aux: u64,
    /// Ticks it measured (meaning per kind; 0 if none).
    pub ticks: u64,
}

/// Why a process failed. The code is stored in [`TaskRecord::error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProcessError {
    /// A channel end did not fit the process (see [`EndError`]).
    End(EndError),
    /// The process asked for an end it was not given.
    MissingEnd {
        /// Read ends (`true`) or write ends.
        input: bool,
        /// The index asked for.
        index: u32,
    },
    /// A parameter is out of its range.
    BadParam {
        /// Parameter index.
        index: u32,
    },
    /// The process panicked (set by the platform, never returned).
    Panicked,
    /// The core faulted while this process ran (set by the platform).
    Faulted,
    /// The process waits on a barrier it does not take part in.
    MissingBarrier {
        /// The index asked for, among the barriers it takes part in.
        index: u32,
    },
    /// The process needs more scratch memory than the planner kept for it.
    NoScratch {
        /// Bytes it needs.
        needed: u32,
    },
    /// Two of the process's channels carry vectors of different lengths
    /// where the kind needs one length.
    LengthMismatch,
    /// A user's kernel failed (`ecsp_fail`): its message is in its room
    /// ([`crate::kernel::KernelBlock::message`]).
    KernelFailed,
    /// A user's kernel ran past the bottom of its stack.
    StackOverflow,
    /// A user's kernel's room or entry is not what its declaration needs.
    BadKernel,
}

impl ProcessError {
    /// The code stored in the boot table.
    pub const fn code(&self) -> u32 {
        match self {
            ProcessError::End(EndError::WrongDirection { .. }) => 1,
            ProcessError::End(EndError::SizeMismatch { .. }) => 2,
            ProcessError::End(EndError::BadBlock { .. }) => 3,
            ProcessError::MissingEnd { .. } => 4,
            ProcessError::BadParam { .. } => 5,
            ProcessError::Panicked => 6,
            ProcessError::Faulted => 7,
            ProcessError::MissingBarrier { .. } => 8,
            ProcessError::NoScratch { .. } => 9,
            ProcessError::LengthMismatch => 10,
            ProcessError::KernelFailed => 11,
            ProcessError::StackOverflow => 12,
            ProcessError::BadKernel => 13,
        }
    }

    /// The error of a C runtime error code (`ECSP_ERR_*`); `detail` is the
    /// end or parameter index it is about. Only the code reaches the host
    /// (`TaskRecord::error`).
    pub fn from_code(code: u32, detail: u32) -> ProcessError {
        match code {
            1 => Self::End(EndError::WrongDirection { found: detail }),
            2 => Self::End(EndError::SizeMismatch { channel: 0, process: 0 }),
            3 => Self::End(EndError::BadBlock { offset: detail }),
            4 => Self::MissingEnd {
                input: true,
                index: detail,
            },
            6 => Self::Panicked,
            7 => Self::Faulted,
            8 => Self::MissingBarrier { index: detail },
            9 => Self::NoScratch { needed: detail },
            10 => Self::LengthMismatch,
            11 => Self::KernelFailed,
            12 => Self::StackOverflow,
            13 => Self::BadKernel,
            _ => Self::BadParam { index: detail },
        }
    }

    /// A one-line description of an error code read from a boot table.
    pub const fn describe_code(code: u32) -> &'static str {
        match code {
            1 => "a channel end has the wrong direction for this process",
            2 => "a channel's message size does not match the process's message type",
            3 => "a channel block is misaligned or outside SRAM",
            4 => "the process was given fewer channel ends than it uses",
            5 => "a parameter is out of range",
            6 => "the process panicked",
            7 => "the core faulted",
            8 => "the process waits on a barrier it does not take part in",
            9 => "the planner kept too little scratch memory for the process's messages",
            10 => "the process's channels carry vectors of different lengths: give them one length",
            11 => "the kernel failed",
            12 => "the kernel ran past the bottom of its stack: give it more with STACK(bytes)",
            13 => "the device image does not carry this kernel, or its room is not what its declaration needs",
            _ => "unknown error code",
        }
    }
}

impl From<EndError> for ProcessError {
    fn from(e: EndError) -> Self {
        ProcessError::End(e)
    }
}

impl fmt::Display for ProcessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProcessError::End(e) => e.fmt(f),
            ProcessError::MissingEnd { input, index } => write!(
                f,
                "the process uses {} end {index} but was not given it: wire more channels",
                if *input { "read" } else { "write" }
            ),
            ProcessError::BadParam { index } => write!(f, "parameter {index} is out of range"),
            ProcessError::Panicked => f.write_str("the process panicked"),
            ProcessError::Faulted => f.write_str("the core faulted"),
            ProcessError::MissingBarrier { index } => write!(
                f,
                "the process waits on barrier {index} but takes part in fewer barriers: add it to one with Network::barrier"
            ),
            ProcessError::NoScratch { needed } => write!(
                f,
                "the process needs {needed} bytes of scratch memory and the planner kept less: the boot table is corrupt"
            ),
            ProcessError::LengthMismatch => f.write_str(
                "the process's channels carry vectors of different lengths: give them one length",
            ),
            ProcessError::KernelFailed => f.write_str(Self::describe_code(11)),
            ProcessError::StackOverflow => f.write_str(Self::describe_code(12)),
            ProcessError::BadKernel => f.write_str(Self::describe_code(13)),
        }
    }
}

/// What a running process holds: its mesh, its boot record and its ends.
#[derive(Clone, Copy)]
pub struct Proc<M: Mesh> {
    mesh: M,
    record: TaskRecord,
    ends_offset: u32,
    /// Its index in this core's task table (its barrier records name it).
    task: u32,
}

impl<M: Mesh> Proc<M> {
    /// # Safety
    /// - `record` and the end table at `ends_offset` were planned for this core.
    /// - Each end is turned into an endpoint at most once.
    pub(crate) unsafe fn new(mesh: M, record: TaskRecord, ends_offset: u32) -> Self {
        Proc {
            mesh,
            record,
            ends_offset,
            task: 0,
        }
    }

    /// The same process, as task `task` of this core's table (for its barriers).
    pub(crate) fn with_task(self, task: u32) -> Self {
        Proc { task, ..self }
    }

    /// Its task record, as the host wrote it.
    pub fn record(&self) -> &TaskRecord {
        &self.record
    }

    /// SRAM offset of this core's end table.
    pub fn ends_offset(&self) -> u32 {
        self.ends_offset
    }

    /// Its index in this core's task table.
    pub fn task(&self) -> u32 {
        self.task
    }

    /// This core's mesh handle.
    pub fn mesh(&self) -> M {
        self.mesh
    }

    /// Parameter `index` (0 when the host gave none).
    pub fn param(&self, index: usize) -> i64 {
        if index < MAX_PARAMS {
            self.record.params[index]
        } else {
            0
        }
    }

    /// Number of read ends.
    pub fn inputs(&self) -> u32 {
        self.record.inputs
    }

    /// Number of write ends.
    pub fn outputs(&self) -> u32 {
        self.record.outputs
    }

    fn end(&self, slot: u32) -> EndRecord {
        let offset = self.ends_offset + slot * core::mem::size_of::<EndRecord>() as u32;
        let mut record = EndRecord::default();
        self.mesh.read_local(offset, bytemuck::bytes_of_mut(&mut record));
        record
    }

    /// Read end `index` as a [`Receiver`] of `T`: a value type, or `[E]`
    /// for vectors of the channel's length.
    ///
    /// Take each end once: a second receiver on the same ring would break the
    /// one-reader rule the protocol rests on.
    pub fn input<T: ?Sized + Payload>(&self, index: u32) -> Result<Receiver<T, M>, ProcessError> {
        if index >= self.record.inputs {
            return Err(ProcessError::MissingEnd { input: true, index });
        }
        let slot = self.record.first_end + index;
        let end = self.end(slot);
        // SAFETY: planned for this core (`new` duty 1); taken once (`new` duty 2,
        // upheld by every built-in process, which takes each end once).
        Ok(unsafe { Receiver::from_record(self.mesh, &end, slot)? })
    }

    /// The process's scratch memory: `len` elements of `E` at the end of the
    /// state room the host planned for it, which the host made
    /// [`KindSpec::scratch_messages`] input messages larger than the state
    /// itself (`state_layout`).
    ///
    /// # Safety
    /// - Called at most once per process (the slice is exclusive).
    pub(crate) unsafe fn scratch<E: Message>(&self, len: usize) -> Result<&'static mut [E], ProcessError> {
        let bytes = len.saturating_mul(core::mem::size_of::<E>());
        let needed = crate::boot::align_up(bytes.min(u32::MAX as usize) as u32, 8);
        let dtype = crate::message::Dtype::from_code(self.record.dtype);
        let state = dtype
            .and_then(|d| state_layout::<M>(self.record.kind, d))
            .map_or(u32::MAX, |l| crate::boot::align_up(l.size() as u32, 8));
        if bytes > u32::MAX as usize || state.saturating_add(needed) > self.record.state_size {
            return Err(ProcessError::NoScratch {
                needed: needed.max(bytes.min(u32::MAX as usize) as u32),
            });
        }
        let mut header = crate::boot::BootHeader::default();
        self.mesh
            .read_local(crate::boot::BOOT_OFFSET, bytemuck::bytes_of_mut(&mut header));
        let end = header.arena_offset + self.record.state_offset + self.record.state_size;
        let ptr = self.mesh.local(end - needed) as *mut E;
        // SAFETY: (1) the last `needed` bytes of the state room lie past the
        // state itself (checked above: the future occupies at most `state`
        // bytes from its start), inside the arena the executor checked, and
        // nothing else uses them; (2) `end` and `needed` are multiples of 8,
        // so the pointer is aligned for any message element; (3) once per
        // process (caller duty), so the slice is exclusive; the arena lives
        // as long as the core runs the process.
        Ok(unsafe { core::slice::from_raw_parts_mut(ptr, len) })
    }

    /// Write end `index` as a [`Sender`] of `T`.
    pub fn output<T: ?Sized + Payload>(&self, index: u32) -> Result<Sender<T, M>, ProcessError> {
        if index >= self.record.outputs {
            return Err(ProcessError::MissingEnd { input: false, index });
        }
        let slot = self.record.first_end + self.record.inputs + index;
        let end = self.end(slot);
        // SAFETY: as in `input`.
        Ok(unsafe { Sender::from_record(self.mesh, &end, slot)? })
    }
}
