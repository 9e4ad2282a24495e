//! Core timers in threaded mode: a core that waits for a deadline (a timeout
//! guard) arms a wake-up instead of spinning; one host thread sleeps until
//! the earliest deadline and raises that core's user interrupt.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// Pending deadlines of every core.
pub(crate) struct Timers {
    /// (deadline in simulator nanoseconds, core index), earliest first.
    heap: Mutex<TimerState>,
    /// Signalled when an earlier deadline arrives or on shutdown.
    changed: Condvar,
    /// Per core: the earliest deadline already in the heap (u64::MAX: none),
    /// so a core re-arming the same deadline every round costs one load.
    armed: Box<[AtomicU64]>,
    /// Deadlines taken off the heap whose interrupt is not raised yet: a
    /// core waiting for one is not stalled though nothing is armed.
    firing: AtomicU64,
}

struct TimerState {
    heap: BinaryHeap<Reverse<(u64, u32)>>,
    shutdown: bool,
}

impl Timers {
    pub(crate) fn new(cores: usize) -> Timers {
        Timers {
            heap: Mutex::new(TimerState {
                heap: BinaryHeap::new(),
                shutdown: false,
            }),
            changed: Condvar::new(),
            armed: (0..cores).map(|_| AtomicU64::new(u64::MAX)).collect(),
            firing: AtomicU64::new(0),
        }
    }

    /// Core `index` wants its user interrupt at `deadline_ns`.
    pub(crate) fn arm(&self, index: usize, deadline_ns: u64) {
        if self.armed[index].load(Ordering::Acquire) <= deadline_ns {
            return;
        }
        self.armed[index].store(deadline_ns, Ordering::Release);
        let mut state = self.heap.lock().unwrap_or_else(|e| e.into_inner());
        let earliest = state.heap.peek().map(|Reverse((d, _))| *d);
        state.heap.push(Reverse((deadline_ns, index as u32)));
        if earliest.is_none_or(|e| deadline_ns < e) {
            self.changed.notify_all();
        }
    }

    /// The timer thread: raises each core's interrupt at its deadline via
    /// `fire` until [`Timers::shut_down`].
    pub(crate) fn run(&self, epoch: Instant, fire: impl Fn(usize)) {
        let mut state = self.heap.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if state.shutdown {
                return;
            }
            let now = epoch.elapsed().as_nanos() as u64;
            match state.heap.peek().copied() {
                Some(Reverse((deadline, index))) if deadline <= now => {
                    // Counted before the deadline leaves `armed`, uncounted
                    // after its interrupt is raised: a stall scan sees one or
                    // the other.
                    self.firing.fetch_add(1, Ordering::SeqCst);
                    state.heap.pop();
                    let index = index as usize;
                    // A later arm may be pending for the same core: keep the
                    // earliest remaining one as "armed".
                    let next = state
                        .heap
                        .iter()
                        .filter(|Reverse((_, i))| *i as usize == index)
                        .map(|Reverse((d, _))| *d)
                        .min()
                        .unwrap_or(u64::MAX);
                    self.armed[index].store(next, Ordering::SeqCst);
                    drop(state);
                    fire(index);
                    self.firing.fetch_sub(1, Ordering::SeqCst);
                    state = self.heap.lock().unwrap_or_else(|e| e.into_inner());
                }
                Some(Reverse((deadline, _))) => {
                    let wait = Duration::from_nanos(deadline - now);
                    state = self
                        .changed
                        .wait_timeout(state, wait)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
                None => {
                    state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
                }
            }
        }
    }

    /// Stops [`Timers::run`].
    /// True while core `index` has a deadline armed.
    pub(crate) fn armed(&self, index: usize) -> bool {
        self.armed[index].load(Ordering::SeqCst) != u64::MAX
    }

    /// True while a deadline is being fired.
    pub(crate) fn firing(&self) -> bool {
        self.firing.load(Ordering::SeqCst) != 0
    }

    pub(crate) fn shut_down(&self) {
        self.heap.lock().unwrap_or_else(|e| e.into_inner()).shutdown = true;
        self.changed.notify_all();
    }

    /// Forgets every deadline and allows `run` again.
    pub(crate) fn reset(&self) {
        let mut state = self.heap.lock().unwrap_or_else(|e| e.into_inner());
        state.heap.clear();
        state.shutdown = false;
        for a in self.armed.iter() {
            a.store(u64::MAX, Ordering::Release);
        }
    }
}
