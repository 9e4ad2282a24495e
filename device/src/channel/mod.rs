//! Channel endpoints.
//!
//! Every channel has one [`Receiver`] and one or more [`Sender`]s; the ends
//! may live on one core or on several. The kinds (one file each, private,
//! behind the two public end types):
//! - `one2one`: one writer, one reader, rendezvous (capacity 0) or buffered
//!   (capacity n). The wire protocol is in `one2one.rs` and `device/PROTOCOL.md`.
//! - `any2one`: many writers, one reader; a one-to-one lane per writer in the
//!   reader's SRAM, merged fairly by the reader, no lock.
//!
//! Shared-memory layout: [`block`].
//!
//! Shutting down (`device/PROTOCOL.md` section 5 has the races):
//! - [`Sender::close`]: the writer retires; the reader receives everything
//!   still buffered, then [`RecvError::Closed`]. Nothing is lost.
//! - [`Sender::poison`] / [`Receiver::poison`]: immediate; every pending and
//!   later operation at either end fails with `Poisoned`, and a blocked peer
//!   wakes. A send that fails gives its message back.
//!
//! Nothing propagates on its own: a process that wants poison to spread
//! through a network poisons its other ends itself ([`poison_all`]).
//!
//! # Examples
//! A process that doubles what it reads until its input ends:
//! ```ignore
//! async fn double<M: Mesh>(mut rx: Receiver<u32, M>, mut tx: Sender<u32, M>) {
//!     while let Ok(x) = rx.recv().await {
//!         if tx.send(2 * x).await.is_err() {
//!             rx.poison();
//!             return;
//!         }
//!     }
//!     tx.close();
//! }
//! ```

mod any2one;
pub mod block;
mod one2one;

use crate::addr::{CoreId, GlobalAddr};
use crate::boot::{EndRecord, END_READ, END_WRITE};
use crate::executor::note_blocked;
use crate::mesh::Mesh;
use crate::message::Message;
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use one2one::Shut;

/// Why a boot-table end could not become an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EndError {
    /// The record describes a write end where a read end was expected, or the reverse.
    WrongDirection {
        /// What the record says.
        found: u32,
    },
    /// The channel's message size differs from the process's message type.
    SizeMismatch {
        /// Bytes per message of the channel.
        channel: u32,
        /// Bytes per message the process expects.
        process: u32,
    },
    /// The local block is misaligned or outside SRAM.
    BadBlock {
        /// Its offset.
        offset: u32,
    },
}

impl fmt::Display for EndError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EndError::WrongDirection { found } => write!(
                f,
                "channel end has direction {found}, the process wanted the other end: check inputs and outputs"
            ),
            EndError::SizeMismatch { channel, process } => write!(
                f,
                "channel carries {channel}-byte messages but the process uses {process}-byte messages: give both the same dtype"
            ),
            EndError::BadBlock { offset } => write!(
                f,
                "channel block at {offset:#x} is misaligned, reaches past SRAM or has too many slots: the boot table is corrupt"
            ),
        }
    }
}

fn check(record: &EndRecord, direction: u32, msg_size: usize) -> Result<(), EndError> {
    if record.direction != direction {
        return Err(EndError::WrongDirection {
            found: record.direction,
        });
    }
    if record.msg_size as usize != msg_size {
        return Err(EndError::SizeMismatch {
            channel: record.msg_size,
            process: msg_size as u32,
        });
    }
    let shared = direction == END_READ && (record.lanes > 1 || record.table != 0);
    let (offset, block_size) = if shared {
        (
            record.table,
            record.lanes * core::mem::size_of::<crate::boot::LaneRecord>() as u32,
        )
    } else if direction == END_READ {
        (record.local, block::ring_block_size(record.capacity, record.msg_size))
    } else {
        (record.local, block::ACK_BLOCK_SIZE)
    };
    if offset % block::BLOCK_ALIGN != 0
        || offset as u64 + block_size as u64 > crate::addr::SRAM_SIZE as u64
        || record.capacity > block::MAX_CAPACITY
        || record.lanes == 0
        || record.lanes > crate::boot::MAX_LANES
        || (!shared && record.lanes != 1)
    {
        return Err(EndError::BadBlock { offset });
    }
    Ok(())
}

/// Why a send failed. The message comes back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum SendError<T> {
    /// The channel was poisoned (by either end); the message was not delivered.
    Poisoned(T),
    /// This end was closed before; nothing more can be sent.
    Closed(T),
}

impl<T> SendError<T> {
    /// The message that was not delivered.
    pub fn into_inner(self) -> T {
        match self {
            SendError::Poisoned(m) | SendError::Closed(m) => m,
        }
    }

    /// True for [`SendError::Poisoned`].
    pub fn is_poisoned(&self) -> bool {
        matches!(self, SendError::Poisoned(_))
    }
}

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Poisoned(_) => f.write_str("Poisoned(..)"),
            SendError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Poisoned(_) => f.write_str("sending on a poisoned channel: the network is shutting down"),
            SendError::Closed(_) => f.write_str("sending on a channel this end already closed"),
        }
    }
}

/// Why a receive failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecvError {
    /// The channel was poisoned (by either end).
    Poisoned,
    /// The writer closed the channel and every message has been received.
    Closed,
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecvError::Poisoned => f.write_str("receiving on a poisoned channel: the network is shutting down"),
            RecvError::Closed => f.write_str("the channel is closed and drained"),
        }
    }
}

/// Why [`Sender::try_send`] did not send.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TrySendError<T> {
    /// No room now (or a rendezvous whose reader is not there yet).
    Full(T),
    /// The channel was poisoned.
    Poisoned(T),
    /// This end was closed before.
    Closed(T),
}

impl<T> TrySendError<T> {
    /// The message that was not sent.
    pub fn into_inner(self) -> T {
        match self {
            TrySendError::Full(m) | TrySendError::Poisoned(m) | TrySendError::Closed(m) => m,
        }
    }
}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("Full(..)"),
            TrySendError::Poisoned(_) => f.write_str("Poisoned(..)"),
            TrySendError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

/// Why [`Receiver::try_recv`] returned nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryRecvError {
    /// No message waiting now.
    Empty,
    /// The channel was poisoned.
    Poisoned,
    /// Closed and drained.
    Closed,
}

fn recv_error(shut: Shut) -> RecvError {
    match shut {
        Shut::Closed => RecvError::Closed,
        _ => RecvError::Poisoned,
    }
}

fn send_error<T>(shut: Shut, msg: T) -> SendError<T> {
    match shut {
        Shut::Closed => SendError::Closed(msg),
        _ => SendError::Poisoned(msg),
    }
}

/// Either end of a channel, for shutting a process's ends down together.
pub trait ChannelEnd {
    /// Poisons the channel (see [`Sender::poison`]).
    fn poison(&mut self);
}

/// Poisons every end given: what a process does on its way out when poison
/// reached it and it should spread through the network.
pub fn poison_all(ends: &mut [&mut dyn ChannelEnd]) {
    for end in ends.iter_mut() {
        end.poison();
    }
}

/// The writing end of a channel carrying `T`.
pub struct Sender<T: Message, M: Mesh> {
    inner: one2one::Writer<T, M>,
    mesh: M,
    /// Index of this end in the core's end table, for wait reports.
    end: u32,
}

/// The reading end of a channel carrying `T`.
pub struct Receiver<T: Message, M: Mesh> {
    inner: ReadEnd<T, M>,
    mesh: M,
    /// Index of this end in the core's end table, for wait reports.
    end: u32,
}

impl<T: Message, M: Mesh> Sender<T, M> {
    /// The write end described by a boot-table record; `end` is the record's
    /// index in the core's end table.
    ///
    /// # Safety
    /// - `record` was planned for this core: its local block is a zeroed
    ///   acknowledgement block in this core's SRAM owned by this end alone,
    ///   and `remote` is its reader's zeroed ring block.
    /// - No other `Sender` is made from the same record.
    pub unsafe fn from_record(mesh: M, record: &EndRecord, end: u32) -> Result<Self, EndError> {
        check(record, END_WRITE, core::mem::size_of::<T>())?;
        // SAFETY: both block duties are the caller's duties 1 and 2.
        let inner = unsafe {
            one2one::Writer::new(
                mesh,
                record.local,
                GlobalAddr::new(record.remote),
                CoreId::from_raw(record.peer as u16),
                record.capacity,
            )
        };
        Ok(Sender { inner, mesh, end })
    }

    /// Sends `msg`: completes when the reader has it (rendezvous) or when it
    /// is in the reader's buffer (buffered). Fails, giving the message back,
    /// when the channel is poisoned or this end closed.
    pub fn send(&mut self, msg: T) -> Send<'_, T, M> {
        Send {
            sender: self,
            msg,
            put: false,
        }
    }

    /// Sends without waiting when the buffer has room. On a rendezvous
    /// channel the message is handed over but the reader may not have taken
    /// it yet: wait for that with [`Sender::flush`].
    pub fn try_send(&mut self, msg: T) -> Result<(), TrySendError<T>> {
        match self.inner.shut() {
            Shut::Poisoned => return Err(TrySendError::Poisoned(msg)),
            Shut::Closed => return Err(TrySendError::Closed(msg)),
            Shut::Open => {}
        }
        if self.inner.has_room() && self.inner.delivered() {
            self.inner.put(&msg);
            Ok(())
        } else {
            Err(TrySendError::Full(msg))
        }
    }

    /// Completes once the reader has taken every message sent so far (or the
    /// channel is poisoned: then `Err(())`, some were never taken).
    pub fn flush(&mut self) -> Flush<'_, T, M> {
        Flush { sender: self }
    }

    /// True when a send would complete (or fail) at once: room in a buffered
    /// channel, or the channel shut. A rendezvous send always waits for its
    /// reader, so for a rendezvous this is only true once the channel is shut.
    pub fn can_send_now(&self) -> bool {
        self.inner.shut() != Shut::Open || (self.inner.capacity() > 0 && self.inner.has_room())
    }

    /// Buffer capacity in messages; 0 is a rendezvous.
    pub fn capacity(&self) -> u32 {
        self.inner.capacity()
    }

    /// Retires this writer: the reader receives every message already sent,
    /// then [`RecvError::Closed`]. Later sends fail with [`SendError::Closed`].
    pub fn close(&mut self) {
        self.inner.close();
    }

    /// Poisons the channel: every pending and later operation at either end
    /// fails with `Poisoned`, messages still buffered included.
    pub fn poison(&mut self) {
        self.inner.poison();
    }

    fn pending<R>(&self, cx: &Context<'_>) -> Poll<R> {
        note_blocked(cx, &self.mesh, self.end + 1);
        Poll::Pending
    }
}

impl<T: Message, M: Mesh> ChannelEnd for Sender<T, M> {
    fn poison(&mut self) {
        Sender::poison(self);
    }
}

/// The kinds of read end.
enum ReadEnd<T: Message, M: Mesh> {
    One(one2one::Reader<T, M>),
    Shared(any2one::SharedReader<T, M>),
}

impl<T: Message, M: Mesh> ReadEnd<T, M> {
    fn poll_recv(&mut self) -> Option<Result<T, Shut>> {
        match self {
            ReadEnd::One(r) => r.poll_recv(),
            ReadEnd::Shared(r) => r.poll_recv(),
        }
    }

    fn ready(&self) -> bool {
        match self {
            ReadEnd::One(r) => r.ready() || r.shut() != Shut::Open,
            ReadEnd::Shared(r) => r.ready(),
        }
    }

    fn poison(&mut self) {
        match self {
            ReadEnd::One(r) => r.poison(),
            ReadEnd::Shared(r) => r.poison(),
        }
    }
}

impl<T: Message, M: Mesh> Receiver<T, M> {
    /// The read end described by a boot-table record; `end` is the record's
    /// index in the core's end table.
    ///
    /// # Safety
    /// - `record` was planned for this core. One-to-one (`lanes` 1): its
    ///   local block is a zeroed ring block for `capacity` messages of `T` in
    ///   this core's SRAM owned by this end alone, and `remote` is its
    ///   writer's zeroed acknowledgement block. Any-to-one: `table` holds
    ///   `lanes` lane records, each such a ring and acknowledgement block.
    /// - No other `Receiver` is made from the same record.
    pub unsafe fn from_record(mesh: M, record: &EndRecord, end: u32) -> Result<Self, EndError> {
        check(record, END_READ, core::mem::size_of::<T>())?;
        let inner = if record.lanes > 1 || record.table != 0 {
            // SAFETY: the lane duties are the caller's duty 1.
            ReadEnd::Shared(unsafe { any2one::SharedReader::new(mesh, record.table, record.lanes, record.capacity) })
        } else {
            // SAFETY: both block duties are the caller's duties 1 and 2.
            ReadEnd::One(unsafe {
                one2one::Reader::new(
                    mesh,
                    record.local,
                    GlobalAddr::new(record.remote),
                    CoreId::from_raw(record.peer as u16),
                    record.capacity,
                )
            })
        };
        Ok(Receiver { inner, mesh, end })
    }

    /// Receives the next message; fails when the channel is poisoned, or
    /// closed with nothing left in it.
    pub fn recv(&mut self) -> Recv<'_, T, M> {
        Recv { receiver: self }
    }

    /// Receives a message if one is waiting.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        match self.inner.poll_recv() {
            Some(Ok(msg)) => Ok(msg),
            Some(Err(Shut::Closed)) => Err(TryRecvError::Closed),
            Some(Err(_)) => Err(TryRecvError::Poisoned),
            None => Err(TryRecvError::Empty),
        }
    }

    /// True when a receive would complete at once (a message, or the end).
    pub fn is_ready(&self) -> bool {
        self.inner.ready()
    }

    /// Poisons the channel: every pending and later operation at either end
    /// fails with `Poisoned`; a writer blocked on it wakes.
    pub fn poison(&mut self) {
        self.inner.poison();
    }
}

impl<T: Message, M: Mesh> ChannelEnd for Receiver<T, M> {
    fn poison(&mut self) {
        Receiver::poison(self);
    }
}

/// Future of [`Sender::send`].
#[must_use = "futures do nothing unless awaited"]
pub struct Send<'a, T: Message, M: Mesh> {
    sender: &'a mut Sender<T, M>,
    msg: T,
    /// The message is in the reader's ring; a rendezvous waits for the ack.
    put: bool,
}

impl<T: Message, M: Mesh> Future for Send<'_, T, M> {
    type Output = Result<(), SendError<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        match this.sender.inner.poll_send(&this.msg, &mut this.put) {
            Some(Ok(())) => Poll::Ready(Ok(())),
            Some(Err(shut)) => Poll::Ready(Err(send_error(shut, this.msg))),
            None => this.sender.pending(cx),
        }
    }
}

// The futures hold no self-references.
impl<T: Message, M: Mesh> Unpin for Send<'_, T, M> {}

/// Future of [`Sender::flush`].
#[must_use = "futures do nothing unless awaited"]
pub struct Flush<'a, T: Message, M: Mesh> {
    sender: &'a mut Sender<T, M>,
}

impl<T: Message, M: Mesh> Future for Flush<'_, T, M> {
    type Output = Result<(), ()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let shut = self.sender.inner.shut();
        if self.sender.inner.delivered() {
            Poll::Ready(Ok(()))
        } else if shut == Shut::Poisoned {
            Poll::Ready(Err(()))
        } else {
            self.sender.pending(cx)
        }
    }
}

/// Future of [`Receiver::recv`].
#[must_use = "futures do nothing unless awaited"]
pub struct Recv<'a, T: Message, M: Mesh> {
    receiver: &'a mut Receiver<T, M>,
}

impl<T: Message, M: Mesh> Future for Recv<'_, T, M> {
    type Output = Result<T, RecvError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.receiver.inner.poll_recv() {
            Some(result) => Poll::Ready(result.map_err(recv_error)),
            None => {
                note_blocked(cx, &self.receiver.mesh, self.receiver.end + 1);
                Poll::Pending
            }
        }
    }
}
