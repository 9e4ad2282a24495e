//! A network running on a chip while the host takes part: the host's ends of
//! host channels, and a run the host drives step by step (what `ecsp run
//! --feed`, and Python processes, need).
//!
//! [`crate::run::run`] is a session that serves no host channel and waits.
//!
//! # Examples
//! Host -> `succ` -> host:
//! ```
//! use ecsp_device::message::Dtype;
//! use ecsp_host::chip::Chip;
//! use ecsp_host::network::Network;
//! use ecsp_host::plan::{plan, Placement};
//! use ecsp_host::session::Session;
//! use ecsp_host::sim::SimChip;
//! use std::sync::Arc;
//! use std::time::Duration;
//!
//! let mut net = Network::new();
//! let input = net.channel("in", Dtype::I32, 0).unwrap();
//! let output = net.channel("out", Dtype::I32, 4).unwrap();
//! net.process("succ", "succ", &[input], &[output], &[]).unwrap();
//! let chip: Arc<dyn Chip> = Arc::new(SimChip::new(Default::default()).unwrap());
//! let plan = plan(&net, chip.board(), Placement::Spread, &|k, d| chip.state_layout(k, d)).unwrap();
//! let mut session = Session::start(chip, Arc::new(net), Arc::new(plan)).unwrap();
//! let mut tx = session.host_sender(input).unwrap();
//! let mut rx = session.host_receiver(output).unwrap();
//! let mut got = [0u8; 4];
//! while tx.try_send(&41i32.to_le_bytes()).is_err() {
//!     session.wait_event(Duration::from_millis(10));
//! }
//! while rx.try_recv(&mut got).is_err() {
//!     session.wait_event(Duration::from_millis(10));
//! }
//! assert_eq!(i32::from_le_bytes(got), 42);
//! tx.close();
//! let report = session.join(Duration::from_secs(10)).unwrap();
//! assert!(report.process("succ").unwrap().finished);
//! ```

use crate::chip::Chip;
use crate::host_node::{HostEndError, HostReceiver, HostSender};
use crate::network::{ChanId, Network};
use crate::plan::Plan;
use crate::run::{self, Progress, RunError, RunReport};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A network loaded and started on a chip. Dropping it halts the chip.
pub struct Session {
    chip: Arc<dyn Chip>,
    net: Arc<Network>,
    plan: Arc<Plan>,
    started: Instant,
    /// Host ends handed out, by index into `plan.host.ends`.
    taken: Vec<bool>,
    halted: bool,
}

impl Session {
    /// Loads `plan` (made for `net`) onto `chip` and starts it.
    ///
    /// With host channels, a deterministic chip runs in host turns
    /// ([`Chip::host_turns`]): its cores step only inside
    /// [`Session::wait_event`], so a host that acts only between its waits
    /// replays with the seed.
    pub fn start(chip: Arc<dyn Chip>, net: Arc<Network>, plan: Arc<Plan>) -> Result<Session, RunError> {
        chip.host_turns(!plan.host.ends.is_empty());
        let started = run::load_and_start(&*chip, &net, &plan)?;
        Ok(Session {
            taken: vec![false; plan.host.ends.len()],
            chip,
            net,
            plan,
            started,
            halted: false,
        })
    }

    /// The chip it runs on.
    pub fn chip(&self) -> &Arc<dyn Chip> {
        &self.chip
    }

    /// The network it runs.
    pub fn network(&self) -> &Network {
        &self.net
    }

    /// The plan it runs.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// When the cores were started.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// Whether the network has host channels at all.
    pub fn has_host_ends(&self) -> bool {
        !self.plan.host.ends.is_empty()
    }

    fn take(&mut self, channel: ChanId, read: bool) -> Result<usize, HostEndError> {
        let name = || {
            self.net
                .channels()
                .get(channel.0)
                .map_or_else(|| format!("#{}", channel.0), |c| c.name.clone())
        };
        let index = self
            .plan
            .host
            .ends
            .iter()
            .position(|e| e.0 == channel && e.1 == read)
            .ok_or_else(|| HostEndError::NotHost {
                channel: name(),
                end: if read { "read" } else { "write" },
            })?;
        if std::mem::replace(&mut self.taken[index], true) {
            return Err(HostEndError::Taken { channel: name() });
        }
        Ok(index)
    }

    /// The host's write end of `channel` (a channel no process writes).
    pub fn host_sender(&mut self, channel: ChanId) -> Result<HostSender, HostEndError> {
        let index = self.take(channel, false)?;
        let record = self.plan.host.ends[index].2;
        // SAFETY: the record was planned for this network, which is loaded
        // on this chip, and `take` hands each end out once.
        unsafe { HostSender::new(&self.chip, &record) }.map_err(|problem| HostEndError::End {
            channel: self.net.channels()[channel.0].name.clone(),
            problem,
        })
    }

    /// The host's read end of `channel` (a channel no process reads).
    pub fn host_receiver(&mut self, channel: ChanId) -> Result<HostReceiver, HostEndError> {
        let index = self.take(channel, true)?;
        let record = self.plan.host.ends[index].2;
        // SAFETY: as in `host_sender`.
        unsafe { HostReceiver::new(&self.chip, &record) }.map_err(|problem| HostEndError::End {
            channel: self.net.channels()[channel.0].name.clone(),
            problem,
        })
    }

    /// Sleeps until something may have changed on the chip (a core wrote to
    /// the host, a process finished) or `timeout`.
    pub fn wait_event(&self, timeout: Duration) {
        self.chip.wait_event(timeout);
    }

    /// Where the run stands; a process failure is an error. With host
    /// channels the run is finished once every process has finished;
    /// [`Progress::Stalled`] then means the cores wait for the host.
    pub fn progress(&self) -> Result<Progress, RunError> {
        run::progress(&*self.chip, &self.net, &self.plan, self.has_host_ends())
    }

    /// The deadlock error of a stalled run: every blocked process, what it
    /// waits on (a host channel included), and the cycle of waits.
    pub fn deadlock(&self) -> RunError {
        run::deadlock_error(&*self.chip, &self.net, &self.plan)
    }

    /// The timeout error of a run that is still going: every process still
    /// running and what it waits on.
    pub fn timed_out(&self, timeout: Duration) -> RunError {
        run::timeout_error(&*self.chip, &self.net, &self.plan, timeout)
    }

    /// Waits, serving nothing, until the run finishes, fails, stalls (a
    /// deadlock) or `timeout` (counted from the start) passes; then halts the
    /// chip and reads every process's result.
    pub fn join(self, timeout: Duration) -> Result<RunReport, RunError> {
        let outcome = run::join_until_done(
            &*self.chip,
            &self.net,
            &self.plan,
            self.started,
            timeout,
            self.has_host_ends(),
        );
        self.finish(outcome)
    }

    /// Halts the chip and, when `outcome` is `Ok`, reads every process's
    /// result.
    /// A process failure first poisons the network so the rest stops.
    pub fn finish(mut self, outcome: Result<(), RunError>) -> Result<RunReport, RunError> {
        if let Err(e) = &outcome {
            if run::is_failure(e) {
                run::stop_after_failure(&*self.chip, &self.plan, Instant::now() + run::STOP_GRACE);
            }
        }
        self.halted = true;
        self.chip.halt()?;
        let elapsed = self.started.elapsed();
        outcome?;
        run::collect(&*self.chip, &self.net, &self.plan, elapsed)
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if !self.halted {
            let _ = self.chip.halt();
        }
    }
}
