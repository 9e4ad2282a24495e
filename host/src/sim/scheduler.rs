//! Threaded mode: simulated cores run on a small pool of host threads.
//!
//! Each core has one atomic scheduling word; a core is on the run queue only
//! when it has work (an interrupt arrived while it slept), and a core that
//! sleeps costs nothing. Workers park on a condition variable when the queue
//! is empty, so a network waiting on nothing burns no host CPU.
//!
//! ```text
//!            notify                 pop                  run: Idle
//!   IDLE ─────────────► QUEUED ─────────────► RUNNING ─────────────► IDLE
//!                          ▲                  │   │ notify
//!                          │  budget / rerun  │   ▼
//!                          └──────────────────┘ RUNNING|NOTIFIED ──► RUNNING (run again)
//!   HALTED: set by the host; never queued or run again until reset.
//! ```
//!
//! Locality: a core made runnable by a worker goes into that worker's
//! "next" slot and runs on the same host thread as soon as the current core
//! yields (Go's `runnext`); only the core it displaces goes to the shared
//! queue. A parked worker is woken only when the shared queue holds more
//! work than the running workers will reach soon (it was already non-empty
//! on push, or still is after a pop). A ping-pong between cores therefore
//! stays on one host thread, with no futex traffic and no cache lines
//! bouncing between CPUs, while a farm of busy cores spreads over every
//! worker.

// The scheduling word is model-checked with loom (`cfg(loom)`, tests below).
use super::Idle;
#[cfg(loom)]
use loom::sync::atomic::AtomicU32;
use std::collections::VecDeque;
#[cfg(not(loom))]
use std::sync::atomic::AtomicU32;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// Scheduling word bits.
pub(crate) mod state {
    /// A worker is running the core.
    pub const RUNNING: u32 = 1;
    /// An interrupt arrived: the core is queued (not running) or must run again (running).
    pub const NOTIFIED: u32 = 2;
    /// Halted by the host (or finished, or faulted): never scheduled.
    pub const HALTED: u32 = 4;
}

/// A core's scheduling word.
pub(crate) struct SchedState(AtomicU32);

impl SchedState {
    pub(crate) fn new() -> SchedState {
        SchedState(AtomicU32::new(0))
    }

    /// An interrupt arrived. Returns true when the caller must queue the core.
    #[inline]
    pub(crate) fn notify(&self) -> bool {
        // AcqRel: the notifier's earlier writes (payload, counter) happen
        // before the worker's acquire of this word when it runs the core.
        self.0.fetch_or(state::NOTIFIED, Ordering::AcqRel) == 0
    }

    /// A worker took the core off the queue. False when it was halted meanwhile.
    pub(crate) fn start_running(&self) -> bool {
        self.0
            .compare_exchange(state::NOTIFIED, state::RUNNING, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// The core went idle. Returns false when it was notified meanwhile and
    /// must run again (it stays RUNNING).
    pub(crate) fn go_idle(&self) -> IdleOutcome {
        match self
            .0
            .compare_exchange(state::RUNNING, 0, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => IdleOutcome::Slept,
            Err(s) if s & state::HALTED != 0 => {
                self.0.fetch_and(!state::RUNNING, Ordering::AcqRel);
                IdleOutcome::Halted
            }
            Err(_) => {
                // RUNNING|NOTIFIED: consume the notification, keep running.
                self.0.fetch_and(!state::NOTIFIED, Ordering::AcqRel);
                IdleOutcome::RunAgain
            }
        }
    }

    /// The core has more work but yields its worker. Returns true when the
    /// caller must queue it (false: halted meanwhile).
    pub(crate) fn requeue(&self) -> bool {
        let mut s = self.0.load(Ordering::Acquire);
        loop {
            if s & state::HALTED != 0 {
                self.0.fetch_and(!state::RUNNING, Ordering::AcqRel);
                return false;
            }
            match self
                .0
                .compare_exchange_weak(s, state::NOTIFIED, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return true,
                Err(now) => s = now,
            }
        }
    }

    /// The core stops for good (finished, faulted, halted by the host).
    pub(crate) fn halt(&self) {
        self.0.fetch_or(state::HALTED, Ordering::AcqRel);
    }

    /// Leaves the running state after a halt.
    pub(crate) fn stop_running(&self) {
        self.0.fetch_and(!state::RUNNING, Ordering::AcqRel);
    }

    /// True while an interrupt is latched and not yet acted on.
    pub(crate) fn is_notified(&self) -> bool {
        self.0.load(Ordering::Acquire) & state::NOTIFIED != 0
    }

    /// Consumes a latched interrupt (deterministic mode, where the engine
    /// runs the core and nothing is ever queued): true when one was latched.
    pub(crate) fn take_notified(&self) -> bool {
        self.0.fetch_and(!state::NOTIFIED, Ordering::AcqRel) & state::NOTIFIED != 0
    }

    /// True once the core is halted (finished, faulted or halted by the host).
    pub(crate) fn is_halted(&self) -> bool {
        self.0.load(Ordering::Acquire) & state::HALTED != 0
    }

    /// True while a worker runs the core.
    pub(crate) fn is_running(&self) -> bool {
        self.0.load(Ordering::Acquire) & state::RUNNING != 0
    }

    /// Back to idle, not halted (after a reset, all workers out).
    pub(crate) fn clear(&self) {
        self.0.store(0, Ordering::Release);
    }
}

/// `Idle::Spin`'s wait, for work (a worker) or for an event (the host):
/// spins until `done` says so or `limit` passes, reading the clock once
/// every 256 tries; true when `done` did.
pub(crate) fn spin_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let begun = Instant::now();
    loop {
        for _ in 0..256 {
            if done() {
                return true;
            }
            std::hint::spin_loop();
        }
        if begun.elapsed() >= limit {
            return false;
        }
    }
}

/// What [`SchedState::go_idle`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdleOutcome {
    /// Asleep until the next interrupt.
    Slept,
    /// Notified while running: run again.
    RunAgain,
    /// Halted while running.
    Halted,
}

/// The queue of cores with work, shared by the workers.
pub(crate) struct RunQueue {
    queue: Mutex<VecDeque<u32>>,
    /// Length of `queue`, readable without the lock (for spinning workers).
    queued: AtomicUsize,
    /// Signalled when work arrives for a parked worker, or on shutdown.
    available: Condvar,
    /// Workers parked on `available`.
    parked: AtomicUsize,
    /// Set when the workers must exit.
    shutdown: AtomicBool,
    /// How long an idle worker spins before it parks ([`super::Idle`]).
    spin: Duration,
}

impl RunQueue {
    pub(crate) fn new(idle: Idle) -> RunQueue {
        RunQueue {
            spin: idle.spin(),
            queue: Mutex::new(VecDeque::new()),
            queued: AtomicUsize::new(0),
            available: Condvar::new(),
            parked: AtomicUsize::new(0),
            shutdown: AtomicBool::new(false),
        }
    }

    /// Queues core `index`. `from_worker` says the caller is a worker that
    /// will look at the queue again soon; anyone else wakes a parked worker.
    pub(crate) fn push(&self, index: u32, from_worker: bool) {
        let was_busy = {
            let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
            q.push_back(index);
            self.queued.store(q.len(), Ordering::Release);
            q.len() > 1
        };
        if (was_busy || !from_worker) && self.parked.load(Ordering::SeqCst) > 0 {
            self.available.notify_one();
        }
    }

    /// Takes the next core without waiting; wakes a parked worker when more
    /// work remains queued.
    pub(crate) fn try_pop(&self) -> Option<u32> {
        if self.queued.load(Ordering::Acquire) == 0 {
            return None;
        }
        let (next, more) = {
            let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
            let next = q.pop_front();
            self.queued.store(q.len(), Ordering::Release);
            (next, !q.is_empty())
        };
        if more && self.parked.load(Ordering::SeqCst) > 0 {
            self.available.notify_one();
        }
        next
    }

    /// Takes the next core, parking until one arrives. `None` on shutdown.
    pub(crate) fn pop(&self) -> Option<u32> {
        loop {
            if self.shutdown.load(Ordering::Acquire) {
                return None;
            }
            if let Some(i) = self.try_pop() {
                return Some(i);
            }
            // A short spin before parking: in a ping-pong the other core's
            // reply usually arrives within a few hundred nanoseconds.
            for _ in 0..256 {
                std::hint::spin_loop();
                if self.queued.load(Ordering::Acquire) != 0 || self.shutdown.load(Ordering::Acquire) {
                    break;
                }
            }
            if !self.spin.is_zero() && self.queued.load(Ordering::Acquire) == 0 {
                self.spin_for_work();
            }
            if let Some(i) = self.try_pop() {
                return Some(i);
            }
            let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
            while q.is_empty() && !self.shutdown.load(Ordering::Acquire) {
                self.parked.fetch_add(1, Ordering::SeqCst);
                q = self.available.wait(q).unwrap_or_else(|e| e.into_inner());
                self.parked.fetch_sub(1, Ordering::SeqCst);
            }
            if let Some(i) = q.pop_front() {
                self.queued.store(q.len(), Ordering::Release);
                return Some(i);
            }
        }
    }

    /// `Idle::Spin`: spins until work arrives, shutdown, or `spin` passes.
    fn spin_for_work(&self) {
        spin_until(self.spin, || {
            self.queued.load(Ordering::Acquire) != 0 || self.shutdown.load(Ordering::Acquire)
        });
    }

    /// True when no core waits in the queue (for fairness decisions).
    pub(crate) fn is_empty(&self) -> bool {
        self.queued.load(Ordering::Acquire) == 0
    }

    /// Tells every worker to exit.
    pub(crate) fn shut_down(&self) {
        self.shutdown.store(true, Ordering::Release);
        let _guard = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        self.available.notify_all();
    }

    /// Allows workers again after a shutdown.
    pub(crate) fn reopen(&self) {
        self.shutdown.store(false, Ordering::Release);
        self.queue.lock().unwrap_or_else(|e| e.into_inner()).clear();
        self.queued.store(0, Ordering::Release);
    }
}

#[cfg(all(test, loom))]
mod loom_sched {
    //! Loom model of the scheduling word: an interrupt raised at any moment
    //! is never lost. Either the running core's next round sees the write
    //! the interrupt announces, or the raiser queues the core again.
    use super::*;
    use loom::sync::atomic::AtomicU32 as Data;
    use loom::sync::Arc;

    /// One notifier against a core that runs (from QUEUED) and goes idle.
    #[test]
    fn no_lost_wakeup() {
        loom::model(|| {
            let state = Arc::new(SchedState::new());
            let data = Arc::new(Data::new(0));
            // The core was queued by an earlier interrupt.
            assert!(state.notify());
            let (s2, d2) = (state.clone(), data.clone());
            let raiser = loom::thread::spawn(move || {
                d2.store(1, Ordering::Release);
                s2.notify()
            });
            assert!(state.start_running());
            let mut seen = data.load(Ordering::Acquire) == 1;
            loop {
                match state.go_idle() {
                    IdleOutcome::RunAgain => seen |= data.load(Ordering::Acquire) == 1,
                    IdleOutcome::Slept => break,
                    IdleOutcome::Halted => unreachable!("nobody halts here"),
                }
            }
            let queued_again = raiser.join().unwrap();
            assert!(
                seen || queued_again,
                "the interrupt was lost: data unseen and the core not queued"
            );
            if queued_again {
                // The raiser owns the queue entry: the core must be runnable.
                assert!(state.start_running());
                assert_eq!(data.load(Ordering::Acquire), 1);
            }
        });
    }

    /// Halting a running core: it leaves RUNNING and is never queued again.
    #[test]
    fn halt_while_running() {
        loom::model(|| {
            let state = Arc::new(SchedState::new());
            assert!(state.notify());
            assert!(state.start_running());
            let s2 = state.clone();
            let host = loom::thread::spawn(move || s2.halt());
            let outcome = state.go_idle();
            host.join().unwrap();
            if outcome == IdleOutcome::Slept {
                // Halted after it slept: a later interrupt must not queue it.
                assert!(!state.notify());
            }
            assert!(!state.is_running());
            assert!(!state.notify(), "a halted core was queued");
        });
    }
}
