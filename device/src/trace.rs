//! Trace events: what the runtime reports while its platform records a
//! trace ([`crate::mesh::Mesh::tracing`]), so a run can be looked at after
//! the fact (the host turns them into Chrome trace JSON for Perfetto).
//!
//! Nothing is reported unless the platform asks: every report sits behind
//! one `tracing()` test, which a platform that never traces answers with a
//! constant `false`.

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum TraceKind {
    /// A send completed: the message is in the reader's ring (and, on a
    /// rendezvous, taken). `what`: the end's index in this core's end table.
    Send = 1,
    /// A receive completed. `what`: the end's index.
    Receive = 2,
    /// A process blocked. `what`: the end's index plus one, or
    /// [`crate::boot::WAIT_OTHER`] (an alternation, a timer, a barrier).
    Block = 3,
    /// An alternation chose a guard. `what`: the guard's index.
    AltChoice = 4,
    /// A process finished (or failed). `what`: 0 finished, else its error code.
    Finish = 5,
    /// The core woke to run its processes (an interrupt, a deadline, its
    /// start). `task_record` and `what` are 0.
    Wake = 6,
}

/// One event, as the runtime reports it; the platform adds the time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceEvent {
    /// What happened.
    pub kind: TraceKind,
    /// SRAM offset of the task record of the process it happened to, or 0
    /// when the runtime cannot tell (the host then finds the process from
    /// the end).
    pub task_record: u32,
    /// Meaning per kind.
    pub what: u32,
}
