//! The host-channel throughput benchmark: bytes per second from the host to
//! a device process and from a device process to the host, for message
//! sizes from 4 B to 4 KiB (`ecsp bench host-channel`).
//!
//! Host -> device: the host feeds `messages` messages of `bytes:N` into a
//! channel a `consume` process reads. Device -> host: a `ramp` process sends
//! `messages` vectors of `bytes:N` to the host. The host polls its end and
//! sleeps on the chip's event only after a short spin finds nothing, as a
//! host program serving a stream would.

use crate::chip::Chip;
use crate::host_node::{HostRecvError, HostSendError};
use crate::network::Network;
use crate::plan::{plan, Placement, PlanError};
use crate::run::RunError;
use crate::session::Session;
use ecsp_device::message::MsgType;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Ring bytes a measurement's channel may take on its core.
const RING_BYTES: u32 = 8 * 1024;

/// The buffer a measurement of `size`-byte messages uses when `capacity`
/// is asked for: `capacity`, fewer for large messages so the ring stays
/// within 8 KiB of the core's SRAM, never fewer than one (0 stays a
/// rendezvous). `size` must be at least 1.
pub fn capacity_for(size: u32, capacity: u32) -> u32 {
    match capacity {
        0 => 0,
        c => c.min(RING_BYTES / size.max(1)).max(1),
    }
}

/// One measurement.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Throughput {
    /// "host_to_device" or "device_to_host".
    pub direction: &'static str,
    /// Bytes per message.
    pub msg_bytes: u32,
    /// Messages moved.
    pub messages: u64,
    /// The channel's buffer: the one asked for, or fewer for large
    /// messages so the ring fits a core's SRAM (8 KiB of ring at most).
    pub capacity: u32,
    /// Payload bytes per second.
    pub bytes_per_second: f64,
    /// Nanoseconds per message.
    pub ns_per_message: f64,
}

/// Why the benchmark could not run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A message size outside 1..=4096.
    #[error("message size {0} is outside 1..=4096 bytes")]
    Size(u32),
    /// The network could not be built or planned.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The run failed.
    #[error(transparent)]
    Run(#[from] RunError),
    /// A host end could not be used.
    #[error("host channel: {0}")]
    Host(String),
}

/// Polls `ready` until it is true: a short spin, then sleeps on the chip's events.
fn until(
    session: &Session,
    deadline: Instant,
    mut ready: impl FnMut() -> Result<bool, BenchError>,
) -> Result<(), BenchError> {
    let mut idle = 0u32;
    loop {
        if ready()? {
            return Ok(());
        }
        idle += 1;
        if idle < 64 {
            std::hint::spin_loop();
            continue;
        }
        idle = 0;
        if Instant::now() >= deadline {
            return Err(BenchError::Run(session.timed_out(Duration::ZERO)));
        }
        session.wait_event(Duration::from_millis(1));
    }
}

/// Measures both directions for every size in `sizes`, `messages` messages
/// each, through channels of `capacity`.
pub fn host_channel_bench(
    chip: Arc<dyn Chip>,
    sizes: &[u32],
    messages: u64,
    capacity: u32,
    timeout: Duration,
) -> Result<Vec<Throughput>, BenchError> {
    let mut results = Vec::new();
    for &size in sizes {
        if size == 0 || size > ecsp_device::channel::block::MAX_MESSAGE_SIZE {
            return Err(BenchError::Size(size));
        }
        let capacity = capacity_for(size, capacity);
        results.push(host_to_device(&chip, size, messages, capacity, timeout)?);
        results.push(device_to_host(&chip, size, messages, capacity, timeout)?);
    }
    Ok(results)
}

fn start(chip: &Arc<dyn Chip>, net: Network) -> Result<Session, BenchError> {
    let planned = plan(&net, chip.board(), Placement::Spread, &|k, d| chip.state_layout(k, d))?;
    Ok(Session::start(chip.clone(), Arc::new(net), Arc::new(planned))?)
}

fn result(direction: &'static str, size: u32, messages: u64, capacity: u32, elapsed: Duration) -> Throughput {
    let secs = elapsed.as_secs_f64().max(1e-9);
    Throughput {
        direction,
        msg_bytes: size,
        messages,
        capacity,
        bytes_per_second: (size as u64 * messages) as f64 / secs,
        ns_per_message: secs * 1e9 / messages.max(1) as f64,
    }
}

fn host_to_device(
    chip: &Arc<dyn Chip>,
    size: u32,
    messages: u64,
    capacity: u32,
    timeout: Duration,
) -> Result<Throughput, BenchError> {
    let mut net = Network::new();
    let c = net
        .channel("in", MsgType::bytes(size), capacity)
        .map_err(PlanError::from)?;
    net.process("sink", "consume", &[c], &[], &[("count", messages as i64)])
        .map_err(PlanError::from)?;
    let mut session = start(chip, net)?;
    let mut tx = session.host_sender(c).map_err(|e| BenchError::Host(e.to_string()))?;
    let msg: Vec<u8> = (0..size).map(|i| i as u8).collect();
    let deadline = Instant::now() + timeout;
    let begun = Instant::now();
    for _ in 0..messages {
        until(&session, deadline, || match tx.try_send(&msg) {
            Ok(()) => Ok(true),
            Err(HostSendError::Full) => Ok(false),
            Err(e) => Err(BenchError::Host(e.to_string())),
        })?;
    }
    until(&session, deadline, || {
        tx.delivered().map_err(|e| BenchError::Host(e.to_string()))
    })?;
    let elapsed = begun.elapsed();
    tx.close();
    let report = session.join(timeout)?;
    let sink = report.process("sink").expect("the sink is in the network");
    let want: u64 = messages * msg.iter().map(|&b| b as u64).sum::<u64>();
    if sink.value != messages || sink.aux != want {
        return Err(BenchError::Host(format!(
            "the device received {} messages summing to {}, not {messages} summing to {want}",
            sink.value, sink.aux
        )));
    }
    Ok(result("host_to_device", size, messages, capacity, elapsed))
}

fn device_to_host(
    chip: &Arc<dyn Chip>,
    size: u32,
    messages: u64,
    capacity: u32,
    timeout: Duration,
) -> Result<Throughput, BenchError> {
    let mut net = Network::new();
    let c = net
        .channel("out", MsgType::bytes(size), capacity)
        .map_err(PlanError::from)?;
    net.process("ramp", "ramp", &[], &[c], &[("count", messages as i64)])
        .map_err(PlanError::from)?;
    let mut session = start(chip, net)?;
    let mut rx = session.host_receiver(c).map_err(|e| BenchError::Host(e.to_string()))?;
    let mut buf = vec![0u8; size as usize];
    let deadline = Instant::now() + timeout;
    let begun = Instant::now();
    for k in 0..messages {
        until(&session, deadline, || match rx.try_recv(&mut buf) {
            Ok(()) => Ok(true),
            Err(HostRecvError::Empty) => Ok(false),
            Err(e) => Err(BenchError::Host(e.to_string())),
        })?;
        // ramp's message k starts at k * size (as bytes, wrapping).
        if buf[0] != (k * size as u64) as u8 {
            return Err(BenchError::Host(format!(
                "message {k} starts with {}, not {}",
                buf[0],
                (k * size as u64) as u8
            )));
        }
    }
    let elapsed = begun.elapsed();
    until(&session, deadline, || match rx.try_recv(&mut buf) {
        Err(HostRecvError::Closed) => Ok(true),
        Err(HostRecvError::Empty) => Ok(false),
        other => Err(BenchError::Host(format!("after the last message: {other:?}"))),
    })?;
    session.join(timeout)?;
    Ok(result("device_to_host", size, messages, capacity, elapsed))
}

#[cfg(test)]
mod tests {
    use super::capacity_for;

    #[test]
    fn large_messages_get_fewer_slots_so_the_ring_fits_8_kib() {
        assert_eq!(capacity_for(4, 16), 16);
        assert_eq!(capacity_for(1024, 16), 8);
        assert_eq!(capacity_for(4096, 16), 2);
        assert_eq!(capacity_for(4096, 1), 1);
        assert_eq!(capacity_for(4096, 0), 0, "a rendezvous stays one");
        assert_eq!(capacity_for(3000, 16), 2);
    }
}
