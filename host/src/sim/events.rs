//! Host-visible events: the simulated cores (or the deterministic engine)
//! count them, the host waits for the count to move ([`Chip::wait_event`]).
//!
//! A core's write to a host channel is such an event, so this sits on the
//! per-message path of every host channel. A condition variable's notify is
//! a system call even when nobody sleeps; here the notifier makes it only
//! when a host thread sleeps, so a host that polls or spins costs the cores
//! one atomic add per event.
//!
//! The handshake (model-checked with loom, `cfg(loom)`, below): the sleeper
//! counts itself in `sleepers`, then looks at `count`; the notifier bumps
//! `count`, then looks at `sleepers`. A SeqCst fence between each one's
//! write and its look makes at least one see the other: either the sleeper
//! sees the new count and does not sleep, or the notifier sees the sleeper
//! and wakes it, taking the lock first so a sleeper between its look and
//! its sleep is not missed. (Fences, not SeqCst accesses: loom models only
//! the fences in full.)
//!
//! [`Chip::wait_event`]: crate::chip::Chip::wait_event

use super::scheduler::spin_until;
#[cfg(loom)]
use loom::sync::atomic::{fence, AtomicU64, AtomicUsize};
#[cfg(loom)]
use loom::sync::{Condvar, Mutex};
use std::sync::atomic::Ordering;
#[cfg(not(loom))]
use std::sync::atomic::{fence, AtomicU64, AtomicUsize};
#[cfg(not(loom))]
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// The event count and the host's wait on it.
pub(crate) struct HostEvents {
    /// Events so far: bumped by `notify` (a core's thread, or the engine),
    /// read by `wait` (the host).
    count: AtomicU64,
    /// The count `wait` last returned with, so an event between two waits
    /// is never slept through: written and read by the host's waits.
    seen: AtomicU64,
    /// Host threads asleep, or about to sleep, in `wait`: written by them
    /// under `lock`, read by `notify`.
    sleepers: AtomicUsize,
    /// Orders a sleeper's look-then-sleep against a notifier's wake-up.
    lock: Mutex<()>,
    /// Wakes the sleepers.
    signal: Condvar,
}

impl HostEvents {
    pub(crate) fn new() -> HostEvents {
        HostEvents {
            count: AtomicU64::new(0),
            seen: AtomicU64::new(0),
            sleepers: AtomicUsize::new(0),
            lock: Mutex::new(()),
            signal: Condvar::new(),
        }
    }

    /// One more event; wakes the host's waits, if any sleep.
    pub(crate) fn notify(&self) {
        self.count.fetch_add(1, Ordering::Release);
        fence(Ordering::SeqCst);
        if self.sleepers.load(Ordering::Relaxed) != 0 {
            let _lock = self.lock.lock().unwrap_or_else(|e| e.into_inner());
            self.signal.notify_all();
        }
    }

    /// Returns once an event came since the previous wait returned, or after
    /// `timeout`. Spins for up to `spin` of it first, then sleeps.
    pub(crate) fn wait(&self, timeout: Duration, spin: Duration) {
        let seen = self.seen.load(Ordering::Acquire);
        let spin = spin.min(timeout);
        if !spin.is_zero() {
            if let Some(now) = self.spin(seen, spin) {
                self.seen.store(now, Ordering::Release);
                return;
            }
        }
        // None: a timeout too long for the clock, a wait for the event alone.
        let deadline = Instant::now().checked_add(timeout - spin);
        let mut lock = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.sleepers.fetch_add(1, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        let mut now = self.count.load(Ordering::Acquire);
        while now == seen {
            let left = match deadline {
                Some(deadline) => deadline.saturating_duration_since(Instant::now()),
                None => Duration::from_secs(3600),
            };
            if left.is_zero() {
                break;
            }
            lock = self
                .signal
                .wait_timeout(lock, left)
                .map_or_else(|e| e.into_inner().0, |(lock, _)| lock);
            now = self.count.load(Ordering::Acquire);
        }
        self.sleepers.fetch_sub(1, Ordering::Relaxed);
        drop(lock);
        self.seen.store(now, Ordering::Release);
    }

    /// Polls the count for up to `spin`: the new count once it moved past `seen`.
    fn spin(&self, seen: u64, spin: Duration) -> Option<u64> {
        let mut now = seen;
        let moved = spin_until(spin, || {
            now = self.count.load(Ordering::Acquire);
            now != seen
        });
        moved.then_some(now)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// A thread that raises one event once a host wait sleeps.
    fn notify_once_asleep(events: &Arc<HostEvents>) -> std::thread::JoinHandle<()> {
        let events = events.clone();
        std::thread::spawn(move || {
            while events.sleepers.load(Ordering::Relaxed) == 0 {
                std::thread::yield_now();
            }
            events.notify();
        })
    }

    #[test]
    fn an_event_before_the_wait_is_not_slept_through() {
        let events = HostEvents::new();
        events.notify();
        let begun = Instant::now();
        events.wait(Duration::from_secs(30), Duration::ZERO);
        assert!(
            begun.elapsed() < Duration::from_secs(20),
            "slept through an event already counted"
        );
    }

    #[test]
    fn a_timeout_past_the_clock_waits_for_the_event() {
        let events = Arc::new(HostEvents::new());
        events.notify();
        events.wait(Duration::MAX, Duration::ZERO);
        let notifier = notify_once_asleep(&events);
        events.wait(Duration::MAX, Duration::from_millis(1));
        notifier.join().unwrap();
        assert_eq!(events.seen.load(Ordering::Acquire), 2);
    }

    #[test]
    fn a_wait_without_events_times_out() {
        let events = HostEvents::new();
        let begun = Instant::now();
        events.wait(Duration::from_millis(20), Duration::from_millis(5));
        assert!(begun.elapsed() >= Duration::from_millis(20));
        assert_eq!(events.sleepers.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn a_sleeping_wait_wakes_on_an_event() {
        let events = Arc::new(HostEvents::new());
        let notifier = notify_once_asleep(&events);
        let begun = Instant::now();
        events.wait(Duration::from_secs(30), Duration::ZERO);
        notifier.join().unwrap();
        assert!(
            begun.elapsed() < Duration::from_secs(20),
            "the event did not wake the sleeping host"
        );
    }
}

#[cfg(all(test, loom))]
mod loom_events {
    //! Loom model of the handshake: an event raised at any moment wakes a
    //! host wait that has not seen it (loom's timed waits never time out,
    //! so a lost wake-up is a deadlock loom reports).
    use super::*;
    use loom::sync::Arc;

    #[test]
    fn loom_no_lost_host_event() {
        loom::model(|| {
            let events = Arc::new(HostEvents::new());
            let notifier = {
                let events = events.clone();
                loom::thread::spawn(move || events.notify())
            };
            events.wait(Duration::from_secs(3600), Duration::ZERO);
            assert_eq!(events.seen.load(Ordering::Acquire), 1, "woke without the event");
            notifier.join().unwrap();
        });
    }

    #[test]
    fn loom_two_events_two_waits() {
        loom::model(|| {
            let events = Arc::new(HostEvents::new());
            let notifier = {
                let events = events.clone();
                loom::thread::spawn(move || {
                    events.notify();
                    events.notify();
                })
            };
            // Each wait returns on an event it had not seen; two events
            // cover at most two waits, so the second never waits forever.
            events.wait(Duration::from_secs(3600), Duration::ZERO);
            if events.seen.load(Ordering::Acquire) < 2 {
                events.wait(Duration::from_secs(3600), Duration::ZERO);
            }
            assert_eq!(events.seen.load(Ordering::Acquire), 2);
            notifier.join().unwrap();
        });
    }
}
