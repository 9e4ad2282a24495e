//! The chip-wide WAND barrier, as the simulator models it.
//!
//! On silicon every core has a WAND flag (STATUS bit 3, set by the `wand`
//! instruction); the chip ANDs the flags of every core on a wire, and when
//! all are raised every core takes its WAND interrupt (irq 8), whose
//! handler clears the core's flag.
//!
//! The model:
//! - **Who takes part.** The cores that were started with a boot table
//!   whose `wand_offset` is non-zero: the cores where processes take part in
//!   the WAND barrier (the planner gives such a core a WAND block). Every
//!   other core counts as permanently raised. That is what ecsp's runtime
//!   does on silicon, where the wire spans the whole chip: a core without
//!   WAND participants raises its flag once at boot and never clears it, so
//!   only the participating cores decide. (On silicon every core of the chip
//!   must therefore run ecsp's runtime: a core held in reset holds the wire
//!   low. The simulator does not need that, and does not model it.)
//! - **Completion** happens when the last core taking part raises its flag:
//!   at that instant every flag is cleared (ecsp's WAND handler clears
//!   STATUS bit 3 before anything else runs on the core), so a core may raise
//!   its flag again for the next episode at once. Each core taking part then
//!   gets its interrupt: ILAT bit 8 is latched and the core is woken like a
//!   user interrupt wakes it. Threaded mode does that at once; deterministic
//!   mode delivers each core's interrupt at a seed-chosen later step, so one
//!   core may run far into the next episode before another learns that the
//!   last one ended.
//! - Raising a raised flag, or the flag of a core that does not take part,
//!   does nothing.
//!
//! The state is behind one mutex: a raise happens once per core per
//! episode, far off any hot path.

use std::sync::{Mutex, MutexGuard};

/// The WAND wire and every core's flag.
pub(crate) struct Wand {
    state: Mutex<State>,
}

struct State {
    /// Per core: it takes part.
    member: Vec<bool>,
    /// Per core: its flag is raised.
    raised: Vec<bool>,
    /// The cores taking part, in index order.
    members: Vec<u32>,
    /// Raised flags among them.
    count: usize,
    /// Completions since the chip was reset.
    completions: u64,
}

impl Wand {
    pub(crate) fn new(cores: usize) -> Wand {
        Wand {
            state: Mutex::new(State {
                member: vec![false; cores],
                raised: vec![false; cores],
                members: Vec::new(),
                count: 0,
                completions: 0,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Core `index` takes part from now on (called when it is started).
    pub(crate) fn join(&self, index: usize) {
        let mut s = self.lock();
        if !s.member[index] {
            s.member[index] = true;
            let at = s.members.partition_point(|&m| (m as usize) < index);
            s.members.insert(at, index as u32);
        }
    }

    /// Core `index` raises its flag. When that completes the barrier, every
    /// flag is cleared and the cores to interrupt are returned.
    pub(crate) fn raise(&self, index: usize) -> Option<Vec<u32>> {
        let mut s = self.lock();
        if !s.member[index] || s.raised[index] {
            return None;
        }
        s.raised[index] = true;
        s.count += 1;
        if s.count < s.members.len() {
            return None;
        }
        s.count = 0;
        s.raised.iter_mut().for_each(|r| *r = false);
        s.completions += 1;
        Some(s.members.clone())
    }

    /// Completions since the last reset.
    pub(crate) fn completions(&self) -> u64 {
        self.lock().completions
    }

    /// Back to a fresh chip: nobody takes part, every flag lowered.
    pub(crate) fn clear(&self) {
        let mut s = self.lock();
        s.member.iter_mut().for_each(|m| *m = false);
        s.raised.iter_mut().for_each(|r| *r = false);
        s.members.clear();
        s.count = 0;
        s.completions = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completes_when_every_member_raised_and_clears_the_flags() {
        let w = Wand::new(4);
        w.join(2);
        w.join(0);
        assert_eq!(w.raise(1), None, "a core that does not take part changes nothing");
        assert_eq!(w.raise(0), None);
        assert_eq!(w.raise(0), None, "raising a raised flag does nothing");
        assert_eq!(w.raise(2), Some(vec![0, 2]));
        assert_eq!(w.completions(), 1);
        // Flags were cleared: the next episode needs both again.
        assert_eq!(w.raise(2), None);
        assert_eq!(w.raise(0), Some(vec![0, 2]));
        w.clear();
        assert_eq!(w.raise(0), None);
        assert_eq!(w.completions(), 0);
    }
}
