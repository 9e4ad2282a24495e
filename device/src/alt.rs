//! Alternation: wait until one of several guards is ready and choose it.
//!
//! Guards are read ends (ready when a message waits, or the channel ended),
//! write ends of buffered channels (ready when the buffer has room, or the
//! channel was poisoned), [`Skip`] (always ready) and [`Timeout`] (ready at
//! its deadline). Each guard has a boolean pre-condition; a guard whose
//! pre-condition is false is never chosen.
//!
//! [`Alt::fair_select`] rotates priority: the guard chosen last gets the
//! lowest priority next time, so no ready guard waits for more than one
//! turn of the others (JCSP's `fairSelect`). [`Alt::pri_select`] always
//! prefers the earliest ready guard. [`Alt::select`] is `fair_select`.
//!
//! Selecting does not take the message: the caller then receives from (or
//! sends on) the chosen end, which completes at once, since nothing but the
//! chosen end's own process can take it away (one reader, one writer).
//!
//! While no guard is ready the process sleeps like any blocked process: the
//! core goes idle until a write raises it, or until the earliest timeout
//! guard's deadline (armed with [`Mesh::wake_at`]).
//!
//! # Examples
//! ```ignore
//! let mut alt = Alt::new(mesh);
//! let deadline = mesh.now_ticks() + mesh.ticks_per_second() / 1000;
//! match alt.fair_select(&mut [
//!     Guard::new(&left),
//!     Guard::new(&right).when(right_open),
//!     Guard::new(&Timeout::at(mesh, deadline)),
//! ]).await? {
//!     0 => { let x = left.try_recv(); }
//!     1 => { let x = right.try_recv(); }
//!     _ => { /* a millisecond passed with nothing to read */ }
//! }
//! ```

use crate::boot::WAIT_OTHER;
use crate::channel::{Payload, Receiver, Sender};
use crate::executor::{note_blocked, note_progress};
use crate::mesh::Mesh;
use crate::trace::TraceKind;
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

/// Something an alternation can wait for.
pub trait Ready {
    /// True when choosing this guard now lets its operation complete at once.
    fn is_ready(&self) -> bool;

    /// Called when the alternation is about to sleep with this guard not
    /// ready: a timer guard arms its wake-up here.
    fn before_sleep(&self) {}
}

impl<T: ?Sized + Payload, M: Mesh> Ready for Receiver<T, M> {
    fn is_ready(&self) -> bool {
        Receiver::is_ready(self)
    }
}

/// An output guard: a write end of a buffered channel, ready when a send
/// would complete at once (room in the buffer) or fail at once (poisoned).
///
/// A rendezvous channel cannot be an output guard: whether its send
/// completes depends on the reader taking the message, which the writer
/// cannot see without waiting.
///
/// # Panics
/// When asked about a rendezvous channel's write end.
impl<T: ?Sized + Payload, M: Mesh> Ready for Sender<T, M> {
    fn is_ready(&self) -> bool {
        assert!(
            self.capacity() > 0,
            "an output guard needs a buffered channel (capacity 1 or more); a rendezvous send cannot be guarded"
        );
        self.can_send_now()
    }
}

/// The guard that is always ready.
#[derive(Debug, Clone, Copy, Default)]
pub struct Skip;

impl Ready for Skip {
    fn is_ready(&self) -> bool {
        true
    }
}

/// The guard that becomes ready at a deadline of the core's tick clock.
#[derive(Clone, Copy)]
pub struct Timeout<M: Mesh> {
    mesh: M,
    deadline: u64,
}

impl<M: Mesh> Timeout<M> {
    /// Ready once [`Mesh::now_ticks`] reaches `deadline`.
    pub fn at(mesh: M, deadline: u64) -> Self {
        Timeout { mesh, deadline }
    }

    /// Ready `ticks` from now.
    pub fn after(mesh: M, ticks: u64) -> Self {
        Timeout {
            mesh,
            deadline: mesh.now_ticks().saturating_add(ticks),
        }
    }

    /// The deadline in ticks.
    pub fn deadline(&self) -> u64 {
        self.deadline
    }
}

impl<M: Mesh> Ready for Timeout<M> {
    fn is_ready(&self) -> bool {
        self.mesh.now_ticks() >= self.deadline
    }

    fn before_sleep(&self) {
        self.mesh.wake_at(self.deadline);
    }
}

/// One guard of an alternation: what it waits for and its pre-condition.
pub struct Guard<'a> {
    ready: &'a dyn Ready,
    enabled: bool,
}

impl<'a> Guard<'a> {
    /// A guard on `ready`, enabled.
    pub fn new(ready: &'a dyn Ready) -> Self {
        Guard { ready, enabled: true }
    }

    /// Sets the guard's pre-condition: when false it is never chosen.
    pub fn when(mut self, enabled: bool) -> Self {
        self.enabled = enabled;
        self
    }
}

/// Why an alternation cannot choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AltError {
    /// Every guard's pre-condition is false (or there are no guards): it
    /// would wait forever.
    NothingEnabled,
}

impl fmt::Display for AltError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("every guard of the alternation is disabled: it would wait forever; enable one or add a Skip")
    }
}

/// An alternation's memory: which guard it chose last, for fair selection.
#[derive(Clone, Copy)]
pub struct Alt<M: Mesh> {
    /// The core's mesh, to note the wait in the process's task record.
    mesh: M,
    /// Index of the guard chosen last time (fairness starts after it).
    last: Option<usize>,
}

impl<M: Mesh> Alt<M> {
    /// A fresh alternation for a process on the core of `mesh`.
    pub const fn new(mesh: M) -> Self {
        Alt { mesh, last: None }
    }

    /// Waits for a guard and chooses it fairly: see the module doc.
    pub fn select<'g, 'a>(&'g mut self, guards: &'g mut [Guard<'a>]) -> Select<'g, 'a, M> {
        self.fair_select(guards)
    }

    /// Waits for a guard; among ready guards, starts looking just after the
    /// one chosen last time.
    pub fn fair_select<'g, 'a>(&'g mut self, guards: &'g mut [Guard<'a>]) -> Select<'g, 'a, M> {
        Select {
            alt: self,
            guards,
            fair: true,
        }
    }

    /// Waits for a guard; among ready guards, chooses the first.
    pub fn pri_select<'g, 'a>(&'g mut self, guards: &'g mut [Guard<'a>]) -> Select<'g, 'a, M> {
        Select {
            alt: self,
            guards,
            fair: false,
        }
    }

    /// One look at the guards: the index of the guard to choose, if any.
    pub fn choose(&mut self, guards: &[Guard<'_>], fair: bool) -> Result<Option<usize>, AltError> {
        let n = guards.len();
        if !guards.iter().any(|g| g.enabled) {
            return Err(AltError::NothingEnabled);
        }
        let start = match (fair, self.last) {
            (true, Some(last)) => (last + 1) % n,
            _ => 0,
        };
        for k in 0..n {
            let i = (start + k) % n;
            let g = &guards[i];
            if g.enabled && g.ready.is_ready() {
                self.last = Some(i);
                return Ok(Some(i));
            }
        }
        Ok(None)
    }
}

/// Future of [`Alt::select`], [`Alt::fair_select`] and [`Alt::pri_select`]:
/// the index of the chosen guard.
#[must_use = "futures do nothing unless awaited"]
pub struct Select<'g, 'a, M: Mesh> {
    alt: &'g mut Alt<M>,
    guards: &'g mut [Guard<'a>],
    fair: bool,
}

impl<M: Mesh> Future for Select<'_, '_, M> {
    type Output = Result<usize, AltError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        match this.alt.choose(this.guards, this.fair) {
            Ok(Some(i)) => {
                note_progress(Some(cx), &this.alt.mesh, TraceKind::AltChoice, i as u32);
                Poll::Ready(Ok(i))
            }
            Err(e) => Poll::Ready(Err(e)),
            Ok(None) => {
                for g in this.guards.iter().filter(|g| g.enabled) {
                    g.ready.before_sleep();
                }
                note_blocked(cx, &this.alt.mesh, WAIT_OTHER);
                Poll::Pending
            }
        }
    }
}
