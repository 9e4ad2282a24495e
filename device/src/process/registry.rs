//! The registry of built-in process kinds: name -> entry point, state size,
//! channel signature. The host plans with [`KINDS`] and [`state_layout`]; the
//! executor spawns with [`spawn`]. A kind's index in [`KINDS`] is its wire id.

use super::{builtin, Outcome, Proc, ProcessError};
use crate::mesh::Mesh;
use crate::message::Dtype;
use core::alloc::Layout;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

/// How many ends of one direction a kind takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arity {
    /// Exactly this many.
    Exactly(u32),
    /// At least `min`, at most `max`.
    Between {
        /// Fewest.
        min: u32,
        /// Most.
        max: u32,
    },
}

impl Arity {
    /// True when `n` ends are allowed.
    pub const fn allows(self, n: u32) -> bool {
        match self {
            Arity::Exactly(k) => n == k,
            Arity::Between { min, max } => n >= min && n <= max,
        }
    }
}

/// Which message types a kind's channels may carry (all of one element
/// dtype, always).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shapes {
    /// Scalars only.
    Scalars,
    /// Vectors (or scalars), every channel of one length.
    SameLength,
    /// Inputs of any one length, outputs scalars.
    ToScalar,
    /// Outputs of any one length (it has no inputs).
    AnyLength,
    /// Any lengths: the kind says which in its summary and checks them.
    Free,
}

/// What the host needs to know about a kind.
#[derive(Debug)]
pub struct KindSpec {
    /// The name networks refer to it by.
    pub name: &'static str,
    /// One line for `ecsp kinds` and error messages.
    pub summary: &'static str,
    /// Read ends it takes.
    pub inputs: Arity,
    /// Write ends it takes.
    pub outputs: Arity,
    /// Names of its parameters, in order.
    pub params: &'static [&'static str],
    /// True when it may run until it is stopped (a ring like commstime's never
    /// ends on its own): a run does not wait for it. Such processes still end
    /// when their input is closed or a channel of theirs is poisoned.
    pub forever: bool,
    /// Which message types its channels may carry.
    pub shapes: Shapes,
    /// Scratch memory it needs beyond its state, in messages as large as
    /// its largest end's: the host adds this much to its state room.
    pub scratch_messages: u32,
    /// Parameters given by name: (parameter, the names it takes, whose
    /// index is the value the device sees).
    pub choices: &'static [(&'static str, &'static [&'static str])],
    /// Parameters that are real numbers: the device sees the bits of an `f64`.
    pub float_params: &'static [&'static str],
}

/// Every built-in kind; the index is the id written into boot tables.
pub static KINDS: &[KindSpec] = &[
    KindSpec {
        name: "id",
        summary: "copies its input (scalars or vectors) to its output until the input ends",
        inputs: Arity::Exactly(1),
        outputs: Arity::Exactly(1),
        params: &[],
        forever: true,
        shapes: Shapes::SameLength,
        scratch_messages: 1,
        choices: &[],
        float_params: &[],
    },
    KindSpec {
        name: "succ",
        summary: "outputs its input plus one until the input ends",
        inputs: Arity::Exactly(1),
        outputs: Arity::Exactly(1),
        params: &[],
        forever: true,
        shapes: Shapes::Scalars,
        scratch_messages: 0,
        choices: &[],
        float_params: &[],
    },
    KindSpec {
        name: "prefix",
        summary: "outputs `value`, then copies its input to its output until the input ends",
        inputs: Arity::Exactly(1),
        outputs: Arity::Exactly(1),
        params: &["value"],
        forever: true,
        shapes: Shapes::Scalars,
        scratch_messages: 0,
        choices: &[],
        float_params: &[],
    },
    KindSpec {
        name: "delta",
        summary: "outputs each input on every output in turn (sequential delta) until the input ends",
        inputs: Arity::Exactly(1),
        outputs: Arity::Between { min: 1, max: 4 },
        params: &[],
        forever: true,
        shapes: Shapes::Scalars,
        scratch_messages: 0,
        choices: &[],
        float_params: &[],
    },
    KindSpec {
        name: "consume",
        summary: "reads `warmup` messages (scalars or vectors), then times `count` reads (negative: until the input ends), then poisons its input if `poison` is non-zero",
        inputs: Arity::Exactly(1),
        outputs: Arity::Exactly(0),
        params: &["count", "warmup", "poison"],
        forever: false,
        shapes: Shapes::SameLength,
        scratch_messages: 1,
        choices: &[],
        float_params: &[],
    },
    KindSpec {
        name: "generate",
        summary: "outputs `count` values from `start` up, then closes its output (negative count: until poisoned)",
        inputs: Arity::Exactly(0),
        outputs: Arity::Exactly(1),
        params: &["start", "count"],
        forever: false,
        shapes: Shapes::Scalars,
        scratch_messages: 0,
        choices: &[],
        float_params: &[],
    },
    KindSpec {
        name: "sieve",
        summary:
            "keeps the first value as its prime and forwards the values it does not divide until its input closes",
        inputs: Arity::Exactly(1),
        outputs: Arity::Exactly(1),
        params: &[],
        forever: false,
        shapes: Shapes::Scalars,
        scratch_messages: 0,
        choices: &[],
        float_params: &[],
    },
    KindSpec {
        name: "merge",
        summary: "merges up to eight inputs fairly onto its output until every input is closed",
        inputs: Arity::Between { min: 1, max: 8 },
        outputs: Arity::Exactly(1),
        params: &[],
        forever: true,
        shapes: Shapes::Scalars,
        scratch_messages: 0,
        choices: &[],
        float_params: &[],
    },
    KindSpec {
        name: "plus",
        summary: "outputs the sum of one value from each of its two inputs until either ends",
        inputs: Arity::Exactly(2),
        outputs: Arity::Exactly(1),
        params: &[],
        forever: true,
        shapes: Shapes::Scalars,
        scratch_messages: 0,
        choices: &[],
        float_params: &[],
    },
    KindSpec {
        name: "tail",
        summary: "drops the first value, then copies its input to its output until the input ends",
        inputs: Arity::Exactly(1),
        outputs: Arity::Exactly(1),
        params: &[],
        forever: true,
        shapes: Shapes::Scalars,
        scratch_messages: 0,
        choices: &[],
        float_params: &[],
    },
    KindSpec {
        name: "alt_count",
        summary: "fair-selects `selects` times over up to eight inputs, counting each (Stressed Alt's reader), then poisons them if `poison` is non-zero",
        inputs: Arity::Between { min: 1, max: 8 },
        outputs: Arity::Exactly(0),
        params: &["selects", "poison"],
        forever: false,
        shapes: Shapes::Scalars,
        scratch_messages: 0,
        choices: &[],
        float_params: &[],
    },
    KindSpec {
        name: "delta_par",
        summary: "outputs each input on every output at once (parallel delta) until the input ends",
        inputs: Arity::Exactly(1),
        outputs: Arity::Between { min: 1, max: 4 },
        params: &[],
        forever: true,
        shapes: Shapes::Scalars,
        scratch_messages: 0,
        choices: &[],
        float_params: &[],
    },
    KindSpec {
        name: "mux",
        summary: "fair-selects up to eight inputs and outputs each value's input index, then the value",
        inputs: Arity::Between { min: 1, max: 8 },
        outputs: Arity::Exactly(1),
        params: &[],
        forever: true,
        shapes: Shapes::Scalars,
        scratch_messages: 0,
        choices: &[],
        float_params: &[],
    },
    KindSpec {
        name: "demux",
        summary: "reads an index, then a value, and sends the value on that output (mux's other end)",
        inputs: Arity::Exactly(1),
        outputs: Arity::Between { min: 1, max: 8 },
        params: &[],
        forever: true,
        shapes: Shapes::Scalars,
        scratch_messages: 0,
        choices: &[],
        float_params: &[],
    },
    KindSpec {
        name: "barrier_count",
        summary: "waits `rounds` times on its barrier, passing the episode number around a ring (output to the next rank, input from the previous); with `check` non-zero counts barrier violations",
        inputs: Arity::Exactly(1),
        outputs: Arity::Exactly(1),
        params: &["rounds", "check"],
        forever: false,
        shapes: Shapes::Scalars,
        scratch_messages: 0,
        choices: &[],
        float_params: &[],
    },
    KindSpec {
        name: "watchdog",
        summary: "forwards its input; when nothing arrives for `timeout_us` microseconds it poisons both its channels",
        inputs: Arity::Exactly(1),
        outputs: Arity::Exactly(1),
        params: &["timeout_us"],
        forever: true,
        shapes: Shapes::Scalars,
        scratch_messages: 0,
        choices: &[],
        float_params: &[],
    },
    KindSpec {
        name: "map",
        summary: "applies `fn` (with constants `a`, `b`) to every element of every input vector and outputs the result",
        inputs: Arity::Exactly(1),
        outputs: Arity::Exactly(1),
        params: &["fn", "a", "b"],
        forever: true,
        shapes: Shapes::SameLength,
        scratch_messages: 1,
        choices: &[("fn", super::kernels::MAP_FNS)],
        float_params: &["a", "b"],
    },
    KindSpec {
        name: "zip",
        summary: "combines its two input vectors element by element with `op` and outputs the result",
        inputs: Arity::Exactly(2),
        outputs: Arity::Exactly(1),
        params: &["op"],
        forever: true,
        shapes: Shapes::SameLength,
        scratch_messages: 2,
        choices: &[("op", super::kernels::ZIP_OPS)],
        float_params: &[],
    },
    KindSpec {
        name: "reduce",
        summary: "folds every input vector with `op` and outputs one scalar per vector",
        inputs: Arity::Exactly(1),
        outputs: Arity::Exactly(1),
        params: &["op"],
        forever: true,
        shapes: Shapes::ToScalar,
        scratch_messages: 1,
        choices: &[("op", super::kernels::REDUCE_OPS)],
        float_params: &[],
    },
    KindSpec {
        name: "ramp",
        summary: "outputs `count` vectors counting up from `start` (element i of vector k is start + k*len + i), then closes",
        inputs: Arity::Exactly(0),
        outputs: Arity::Exactly(1),
        params: &["start", "count"],
        forever: false,
        shapes: Shapes::AnyLength,
        scratch_messages: 1,
        choices: &[],
        float_params: &[],
    },
    KindSpec {
        name: "mandel",
        summary: "for each input (x0, y, dx, tag) outputs (tag, escape counts of the len-1 points x0 + i*dx + iy), at most `iterations` each",
        inputs: Arity::Exactly(1),
        outputs: Arity::Exactly(1),
        params: &["iterations"],
        forever: true,
        shapes: Shapes::Free,
        scratch_messages: 1,
        choices: &[],
        float_params: &[],
    },
];

/// Finds a kind by name: its id and spec.
pub fn kind_by_name(name: &str) -> Option<(u32, &'static KindSpec)> {
    KINDS
        .iter()
        .enumerate()
        .find(|(_, k)| k.name == name)
        .map(|(i, k)| (i as u32, k))
}

/// The result type of every process.
pub type ProcessResult = Result<Outcome, ProcessError>;

/// A spawned process, type-erased: how to poll and drop its state in place.
#[derive(Clone, Copy)]
pub struct Spawned {
    /// Polls the state at the pointer.
    pub poll: unsafe fn(*mut u8, &mut Context<'_>) -> Poll<ProcessResult>,
    /// Drops the state at the pointer.
    pub drop: unsafe fn(*mut u8),
}

/// Why a process could not be spawned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpawnError {
    /// No kind has this id.
    UnknownKind,
    /// The kind does not compute with this message type.
    UnknownDtype,
    /// The state does not fit the room the host planned, or is misaligned.
    NoRoom,
}

fn layout_of<A, F: Future>(_entry: fn(A) -> F) -> Layout {
    Layout::new::<F>()
}

/// # Safety
/// `state` points to a live, pinned `F`.
unsafe fn poll_state<F: Future<Output = ProcessResult>>(state: *mut u8, cx: &mut Context<'_>) -> Poll<ProcessResult> {
    // SAFETY: the caller guarantees `state` is a live `F` that never moves.
    unsafe { Pin::new_unchecked(&mut *(state as *mut F)) }.poll(cx)
}

/// # Safety
/// `state` points to a live `F`, never used again.
unsafe fn drop_state<F>(state: *mut u8) {
    // SAFETY: the caller guarantees `state` is a live `F` not used afterwards.
    unsafe { core::ptr::drop_in_place(state as *mut F) }
}

/// # Safety
/// `dst` is valid for writes of `room` bytes and stays put while the process lives.
unsafe fn place<F: Future<Output = ProcessResult>>(dst: *mut u8, room: usize, fut: F) -> Result<Spawned, SpawnError> {
    if core::mem::size_of::<F>() > room || dst as usize % core::mem::align_of::<F>() != 0 {
        return Err(SpawnError::NoRoom);
    }
    // SAFETY: `dst` has room for an aligned `F` (checked above, and the
    // caller's duty for validity).
    unsafe { core::ptr::write(dst as *mut F, fut) };
    Ok(Spawned {
        poll: poll_state::<F>,
        drop: drop_state::<F>,
    })
}

/// Dispatches a generic built-in over the message type.
macro_rules! by_dtype {
    ($dtype:expr, $m:ty, |$t:ident| $body:expr) => {
        match $dtype {
            Dtype::I32 => {
                type $t = i32;
                $body
            }
            Dtype::U32 => {
                type $t = u32;
                $body
            }
            Dtype::F32 => {
                type $t = f32;
                $body
            }
            Dtype::I64 => {
                type $t = i64;
                $body
            }
            Dtype::F64 => {
                type $t = f64;
                $body
            }
            Dtype::U8 => {
                type $t = u8;
                $body
            }
        }
    };
}

/// Dispatches over the kind id, the order of [`KINDS`].
macro_rules! by_kind {
    ($kind:expr, |$f:ident| $body:expr, $otherwise:expr) => {
        match $kind {
            0 => {
                use super::kernels::id as $f;
                $body
            }
            1 => {
                use builtin::succ as $f;
                $body
            }
            2 => {
                use builtin::prefix as $f;
                $body
            }
            3 => {
                use builtin::delta as $f;
                $body
            }
            4 => {
                use builtin::consume as $f;
                $body
            }
            5 => {
                use builtin::generate as $f;
                $body
            }
            6 => {
                use builtin::sieve as $f;
                $body
            }
            7 => {
                use builtin::merge as $f;
                $body
            }
            8 => {
                use builtin::plus as $f;
                $body
            }
            9 => {
                use builtin::tail as $f;
                $body
            }
            10 => {
                use builtin::alt_count as $f;
                $body
            }
            11 => {
                use builtin::delta_par as $f;
                $body
            }
            12 => {
                use builtin::mux as $f;
                $body
            }
            13 => {
                use builtin::demux as $f;
                $body
            }
            14 => {
                use super::barrier_procs::barrier_count as $f;
                $body
            }
            15 => {
                use builtin::watchdog as $f;
                $body
            }
            16 => {
                use super::kernels::map as $f;
                $body
            }
            17 => {
                use super::kernels::zip as $f;
                $body
            }
            18 => {
                use super::kernels::reduce as $f;
                $body
            }
            19 => {
                use super::kernels::ramp as $f;
                $body
            }
            20 => {
                use super::kernels::mandel as $f;
                $body
            }
            _ => $otherwise,
        }
    };
}

/// Size and alignment of a process's state on a core with mesh `M`: what the
/// host plans into the task arena.
pub fn state_layout<M: Mesh>(kind: u32, dtype: Dtype) -> Option<Layout> {
    by_kind!(kind, |f| Some(by_dtype!(dtype, M, |T| layout_of(f::<T, M>))), None)
}

/// Builds a process's state at `dst`.
///
/// # Safety
/// - `dst` is valid for writes of `room` bytes and never moves nor is reused
///   while the returned process lives.
pub(crate) unsafe fn spawn<M: Mesh>(
    kind: u32,
    dtype: u32,
    dst: *mut u8,
    room: usize,
    proc: Proc<M>,
) -> Result<Spawned, SpawnError> {
    let dtype = Dtype::from_code(dtype).ok_or(SpawnError::UnknownDtype)?;
    by_kind!(
        kind,
        |f| by_dtype!(dtype, M, |T| {
            // SAFETY: forwarded caller duty: `dst` has `room` bytes and stays put.
            unsafe { place(dst, room, f::<T, M>(proc)) }
        }),
        Err(SpawnError::UnknownKind)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_dispatches() {
        assert_eq!(KINDS.len(), 21);
        for (i, k) in KINDS.iter().enumerate() {
            assert_eq!(kind_by_name(k.name).map(|(id, _)| id), Some(i as u32));
        }
        assert!(kind_by_name("nope").is_none());
    }

    #[test]
    fn arity() {
        assert!(Arity::Between { min: 1, max: 4 }.allows(2));
        assert!(!Arity::Between { min: 1, max: 4 }.allows(5));
        assert!(!Arity::Exactly(1).allows(0));
    }
}
