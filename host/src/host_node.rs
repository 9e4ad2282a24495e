//! The host as a node of the mesh: its local memory is the start of the
//! board's DRAM window ([`HostWindow`]), its remote writes go through the
//! [`Chip`], and it runs the device crate's own channel code on them.
//!
//! DESIGN.md section 3: "The host is a node like any other: its home memory
//! is a slice of the shared DRAM. Device -> host writes land in DRAM; host ->
//! device writes land in core SRAM. Same protocol, same code." A host end is
//! a [`VecSender`]/[`VecReceiver`] of bytes over a [`HostMesh`], made from
//! the end record the planner wrote for it ([`crate::plan::HostPlan`]), so
//! every poll the host makes is a load from its own DRAM slice and every
//! access to a core is a write, as for a core.

use crate::chip::{Chip, HostWindow};
use ecsp_device::addr::{reg, CoreId, GlobalAddr, Irq};
use ecsp_device::boot::EndRecord;
use ecsp_device::channel::{EndError, TryRecvError, TrySendError, VecReceiver, VecSender};
use ecsp_device::mesh::Mesh;
use std::future::Future;
use std::pin::pin;
use std::ptr::NonNull;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

/// The host's handle on the mesh. `Copy`, as every [`Mesh`] is: it holds a
/// pointer to the chip, which the host end owning it keeps alive (every
/// [`HostMesh`] lives inside a [`HostSender`] or [`HostReceiver`], which hold
/// an `Arc` of the same chip).
#[derive(Clone, Copy)]
pub struct HostMesh {
    chip: NonNull<dyn Chip>,
    window: HostWindow,
    epoch: Instant,
}

// SAFETY: `Chip: Send + Sync`, and the pointer is only dereferenced while an
// `Arc` of the chip is held by the end that owns this handle.
unsafe impl Send for HostMesh {}
// SAFETY: as for Send; the handle itself is read-only.
unsafe impl Sync for HostMesh {}

impl HostMesh {
    /// # Safety
    /// The chip outlives every copy of the handle.
    unsafe fn new(chip: &Arc<dyn Chip>) -> HostMesh {
        HostMesh {
            chip: NonNull::from(&**chip),
            window: chip.host_window(),
            epoch: Instant::now(),
        }
    }

    fn chip(&self) -> &dyn Chip {
        // SAFETY: the chip outlives the handle (`new` duty).
        unsafe { self.chip.as_ref() }
    }

    /// Runs a chip access the protocol cannot do without; the addresses
    /// come from the plan, so a refusal is a broken chip, not bad input.
    fn must<T>(&self, what: &str, result: Result<T, crate::chip::ChipError>) -> T {
        result.unwrap_or_else(|e| panic!("host channel: {what} failed: {e}"))
    }
}

// SAFETY: (1) `local` points into the DRAM window, valid for `len` bytes for
// as long as the chip lives (HostWindow contract; the chip outlives the
// handle) and 8-byte aligned at offset 0; (2) writes to a core go through
// `Chip::write`/`write_word`, which take effect in issue order with a
// release fence before each, so a word written after a payload is seen
// after it; (3) the host has no interrupts: `take_wake` always says "maybe"
// (true), which the contract allows, and it never takes part in WAND.
unsafe impl Mesh for HostMesh {
    fn core_id(&self) -> CoreId {
        CoreId::HOST
    }

    fn local(&self, offset: u32) -> *mut u8 {
        assert!(
            offset < self.window.len(),
            "host memory offset {offset:#x} is outside the DRAM window"
        );
        // SAFETY: inside the window (checked).
        unsafe { self.window.ptr().add(offset as usize) }
    }

    fn local_size(&self) -> u32 {
        self.window.len()
    }

    fn write(&self, dst: GlobalAddr, data: &[u8]) {
        self.must("a write to a core", self.chip().write(dst, data));
    }

    fn write_word(&self, dst: GlobalAddr, value: u32) {
        self.must("a write to a core", self.chip().write_word(dst, value));
    }

    fn read(&self, src: GlobalAddr, buf: &mut [u8]) {
        self.must("a read of a core", self.chip().read(src, buf));
    }

    fn testset(&self, _addr: GlobalAddr, _value: u32) -> u32 {
        panic!("the host takes no TESTSET claims: host ends are one2one or any2one only")
    }

    fn wake_at(&self, _deadline: u64) {}

    fn raise(&self, core: CoreId, irq: Irq) {
        let ilatst = GlobalAddr::on_core(core, reg::ILATST);
        self.must("raising a core's interrupt", self.chip().write_word(ilatst, irq.bit()));
    }

    fn take_wake(&self) -> bool {
        true
    }

    fn wand(&self) {
        panic!("the host takes no part in WAND barriers")
    }

    fn take_irq(&self, _irq: Irq) -> bool {
        false
    }

    fn now_ticks(&self) -> u64 {
        self.epoch.elapsed().as_nanos() as u64
    }

    fn ticks_per_second(&self) -> u64 {
        1_000_000_000
    }
}

/// Why a host end could not be made.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum HostEndError {
    /// The channel has processes on both sides (or is not in the network).
    #[error("channel `{channel}` has no host {end} end: the host holds the end of a channel no process holds")]
    NotHost {
        /// The channel.
        channel: String,
        /// "read" or "write".
        end: &'static str,
    },
    /// The end was handed out before.
    #[error("the host end of channel `{channel}` was taken before: each end has one holder")]
    Taken {
        /// The channel.
        channel: String,
    },
    /// The planned record does not describe a usable end (a planner bug).
    #[error("channel `{channel}`: {problem}")]
    End {
        /// The channel.
        channel: String,
        /// What the channel code found.
        problem: EndError,
    },
}

/// Polls a future once with a waker that does nothing: the host's ends are
/// polled again when the chip reports an event, not woken.
fn poll_once<F: Future>(fut: F) -> Poll<F::Output> {
    let mut cx = Context::from_waker(Waker::noop());
    pin!(fut).poll(&mut cx)
}

/// Why a host send did not complete now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HostSendError {
    /// No room now (a rendezvous whose reader has not taken the previous
    /// message, or a full buffer): try again after an event.
    #[error("no room in the channel now")]
    Full,
    /// The channel was poisoned.
    #[error("the channel was poisoned")]
    Poisoned,
    /// The host closed this end before.
    #[error("the host closed this end before")]
    Closed,
}

/// Why a host receive returned nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HostRecvError {
    /// Nothing waiting now: try again after an event.
    #[error("no message waiting now")]
    Empty,
    /// The channel was poisoned.
    #[error("the channel was poisoned")]
    Poisoned,
    /// The writer closed the channel and every message was received.
    #[error("the channel is closed and drained")]
    Closed,
}

/// The host's write end of a channel read by a device process. Messages are
/// the channel's bytes (`msg_size` of them), little-endian values.
pub struct HostSender {
    end: VecSender<u8, HostMesh>,
    /// Keeps the chip the end's mesh points to alive.
    _chip: Arc<dyn Chip>,
}

impl HostSender {
    /// # Safety
    /// `record` is the host write end the planner made for the network now
    /// loaded on `chip`, and no other end is made from it.
    pub(crate) unsafe fn new(chip: &Arc<dyn Chip>, record: &EndRecord) -> Result<HostSender, EndError> {
        // SAFETY: the handle lives inside the returned end, which holds the chip.
        let mesh = unsafe { HostMesh::new(chip) };
        // SAFETY: planned for the host (caller duty); made once.
        let end = unsafe { VecSender::from_record(mesh, record, 0)? };
        Ok(HostSender {
            end,
            _chip: Arc::clone(chip),
        })
    }

    /// Bytes per message.
    pub fn msg_size(&self) -> usize {
        self.end.len()
    }

    /// Sends `msg` if that needs no waiting: room in a buffered channel, or,
    /// on a rendezvous, the previous message taken. A rendezvous message is
    /// then handed over; [`HostSender::delivered`] says when the reader has it.
    ///
    /// # Panics
    /// When `msg` is not [`HostSender::msg_size`] bytes long.
    pub fn try_send(&mut self, msg: &[u8]) -> Result<(), HostSendError> {
        self.end.try_send(msg).map_err(|e| match e {
            TrySendError::Full(()) => HostSendError::Full,
            TrySendError::Poisoned(()) => HostSendError::Poisoned,
            TrySendError::Closed(()) => HostSendError::Closed,
        })
    }

    /// Sends as many of `msgs` (whole messages, one after another) as fit
    /// now, in order, and returns how many it sent: one call where a
    /// program would loop over [`HostSender::try_send`] (a rendezvous takes
    /// one at a time). `Err` only when none was sent because the channel is
    /// poisoned or closed; `Err(Full)` when none fit.
    ///
    /// # Panics
    /// When `msgs` is not a whole number of messages.
    pub fn try_send_many(&mut self, msgs: &[u8]) -> Result<usize, HostSendError> {
        let size = self.msg_size();
        assert!(
            msgs.len() % size == 0,
            "{} bytes are not a whole number of {size}-byte messages",
            msgs.len()
        );
        let mut sent = 0;
        for msg in msgs.chunks_exact(size) {
            match self.try_send(msg) {
                Ok(()) => sent += 1,
                Err(e) if sent == 0 => return Err(e),
                Err(_) => break,
            }
        }
        Ok(sent)
    }

    /// `Ok(true)` once the reader has taken every message sent so far;
    /// `Err(Poisoned)` when the channel was poisoned before it did.
    pub fn delivered(&mut self) -> Result<bool, HostSendError> {
        match poll_once(self.end.flush()) {
            Poll::Ready(Ok(())) => Ok(true),
            Poll::Ready(Err(())) => Err(HostSendError::Poisoned),
            Poll::Pending => Ok(false),
        }
    }

    /// Retires the writer: the reader receives every message sent, then Closed.
    pub fn close(&mut self) {
        self.end.close();
    }

    /// Poisons the channel.
    pub fn poison(&mut self) {
        self.end.poison();
    }
}

/// The host's read end of a channel written by device processes.
pub struct HostReceiver {
    end: VecReceiver<u8, HostMesh>,
    /// Keeps the chip the end's mesh points to alive.
    _chip: Arc<dyn Chip>,
}

impl HostReceiver {
    /// # Safety
    /// As [`HostSender::new`], for the host's read end.
    pub(crate) unsafe fn new(chip: &Arc<dyn Chip>, record: &EndRecord) -> Result<HostReceiver, EndError> {
        // SAFETY: the handle lives inside the returned end, which holds the chip.
        let mesh = unsafe { HostMesh::new(chip) };
        // SAFETY: planned for the host (caller duty); made once.
        let end = unsafe { VecReceiver::from_record(mesh, record, 0)? };
        Ok(HostReceiver {
            end,
            _chip: Arc::clone(chip),
        })
    }

    /// Bytes per message.
    pub fn msg_size(&self) -> usize {
        self.end.len()
    }

    /// Receives a message into `buf` if one is waiting.
    ///
    /// # Panics
    /// When `buf` is not [`HostReceiver::msg_size`] bytes long.
    pub fn try_recv(&mut self, buf: &mut [u8]) -> Result<(), HostRecvError> {
        self.end.try_recv_into(buf).map_err(|e| match e {
            TryRecvError::Empty => HostRecvError::Empty,
            TryRecvError::Poisoned => HostRecvError::Poisoned,
            TryRecvError::Closed => HostRecvError::Closed,
        })
    }

    /// Receives every message waiting, up to as many as fit in `buf` (whole
    /// messages, one after another), and returns how many: one call where a
    /// program would loop over [`HostReceiver::try_recv`]. `Err` only when
    /// none was received: `Empty`, or the channel's end.
    ///
    /// # Panics
    /// When `buf` holds no whole message.
    pub fn try_recv_many(&mut self, buf: &mut [u8]) -> Result<usize, HostRecvError> {
        let size = self.msg_size();
        assert!(
            buf.len() >= size,
            "a {}-byte buffer holds no {size}-byte message",
            buf.len()
        );
        let mut got = 0;
        for slot in buf.chunks_exact_mut(size) {
            match self.try_recv(slot) {
                Ok(()) => got += 1,
                Err(e) if got == 0 => return Err(e),
                Err(_) => break,
            }
        }
        Ok(got)
    }

    /// Poisons the channel: the writers' pending and later sends fail.
    pub fn poison(&mut self) {
        self.end.poison();
    }
}
