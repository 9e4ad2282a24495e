//! Serving a session's host channels from data: every host input is fed a
//! list of messages and then closed, every message arriving on a host output
//! is handed to a sink as it arrives, until the network ends. What `ecsp run
//! --feed CHANNEL=FILE` does; a Rust host program can do the same.
//!
//! The run is over when every process has finished and every host output
//! is shut (closed by its writers, or poisoned), so nothing sent to the host
//! is left behind in flight. A stall (the simulator's deterministic mode
//! knows one exactly) while the host has nothing left to do is a deadlock.

use crate::host_node::{HostReceiver, HostRecvError, HostSendError, HostSender};
use crate::network::ChanId;
use crate::run::{Progress, RunError, RunReport, POLL_INTERVAL};
use crate::session::Session;
use std::time::{Duration, Instant};

/// The messages to write into one host input, then close it.
#[derive(Debug, Clone)]
pub struct Feed {
    /// The channel (one no process writes).
    pub channel: ChanId,
    /// Its messages, each the channel's message size.
    pub messages: Vec<Vec<u8>>,
}

/// What a served run did besides the processes' results.
#[derive(Debug, Clone)]
pub struct Served {
    /// The processes' results.
    pub report: RunReport,
    /// Per feed whose channel was poisoned before it was drained: the
    /// channel and how many of its messages were never delivered.
    pub undelivered: Vec<(ChanId, usize)>,
}

struct FeedState {
    channel: ChanId,
    end: HostSender,
    messages: std::vec::IntoIter<Vec<u8>>,
    /// The message that did not fit yet.
    pending: Option<Vec<u8>>,
    done: bool,
}

struct Output {
    channel: ChanId,
    end: HostReceiver,
    buf: Vec<u8>,
    shut: bool,
}

/// Runs `session` to its end: feeds, closes, hands every arrival to `sink`
/// (the channel and the message's bytes) in arrival order per channel.
/// Every host input of the network needs a feed.
pub fn serve(
    mut session: Session,
    feeds: Vec<Feed>,
    sink: &mut dyn FnMut(ChanId, &[u8]),
    timeout: Duration,
) -> Result<Served, RunError> {
    let host_ends = session.plan().host.ends.clone();
    for &(c, read, _) in &host_ends {
        if !read && !feeds.iter().any(|f| f.channel == c) {
            return Err(RunError::HostChannel {
                channel: session.network().channels()[c.0].name.clone(),
                missing: "writer",
            });
        }
    }
    let mut inputs = Vec::with_capacity(feeds.len());
    for feed in feeds {
        inputs.push(FeedState {
            channel: feed.channel,
            end: session.host_sender(feed.channel)?,
            messages: feed.messages.into_iter(),
            pending: None,
            done: false,
        });
    }
    let mut outputs = Vec::new();
    for &(c, _, _) in host_ends.iter().filter(|e| e.1) {
        let end = session.host_receiver(c)?;
        outputs.push(Output {
            channel: c,
            buf: vec![0; end.msg_size()],
            end,
            shut: false,
        });
    }
    let started = Instant::now();
    let mut undelivered = Vec::new();
    let outcome = loop {
        // Where the chip stood before the host looks at its ends: a stall
        // seen first is final (everything sent is delivered), so if the host
        // then finds nothing to do either, nothing ever will happen. Seen
        // after, it may be the cores waiting on what the host found stale.
        let progress = session.progress();
        let mut moved = false;
        for input in inputs.iter_mut().filter(|i| !i.done) {
            moved |= feed_some(input, &mut undelivered);
        }
        for output in outputs.iter_mut().filter(|o| !o.shut) {
            loop {
                match output.end.try_recv(&mut output.buf) {
                    Ok(()) => {
                        sink(output.channel, &output.buf);
                        moved = true;
                    }
                    Err(HostRecvError::Empty) => break,
                    Err(HostRecvError::Closed | HostRecvError::Poisoned) => {
                        output.shut = true;
                        moved = true;
                        break;
                    }
                }
            }
        }
        match progress {
            Err(e) => break Err(e),
            Ok(Progress::Finished) if outputs.iter().all(|o| o.shut) => break Ok(()),
            Ok(Progress::Stalled) if !moved => break Err(session.deadlock()),
            Ok(_) => {}
        }
        let elapsed = started.elapsed();
        if elapsed >= timeout {
            break Err(session.timed_out(timeout));
        }
        if !moved {
            session.wait_event((timeout - elapsed).min(POLL_INTERVAL));
        }
    };
    let report = session.finish(outcome)?;
    Ok(Served { report, undelivered })
}

/// Writes as many of `input`'s messages as fit now; closes it after the
/// last. True when anything changed.
fn feed_some(input: &mut FeedState, undelivered: &mut Vec<(ChanId, usize)>) -> bool {
    let mut moved = false;
    loop {
        let Some(msg) = input.pending.take().or_else(|| input.messages.next()) else {
            // Every message is in the channel: close it. The reader still
            // gets each of them, then Closed (the close travels behind them).
            input.end.close();
            input.done = true;
            return true;
        };
        match input.end.try_send(&msg) {
            Ok(()) => moved = true,
            Err(HostSendError::Full) => {
                input.pending = Some(msg);
                return moved;
            }
            Err(HostSendError::Poisoned | HostSendError::Closed) => {
                let left = 1 + input.messages.len();
                undelivered.push((input.channel, left));
                input.done = true;
                return true;
            }
        }
    }
}
