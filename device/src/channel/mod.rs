//! Channel endpoints.
//!
//! Every channel has one [`Receiver`] and one or more [`Sender`]s; the ends
//! may live on one core or on several. The kinds (one file each, private,
//! behind the two public end types):
//! - `one2one`: one writer, one reader, rendezvous (capacity 0) or buffered
//!   (capacity n). The wire protocol is in `one2one.rs` and `device/PROTOCOL.md`.
//! - `any2one`: many writers, one reader; a one-to-one lane per writer in the
//!   reader's SRAM, merged fairly by the reader, no lock.
//! - `shared`: one-to-any and any-to-any, several readers sharing the read
//!   end, each message to exactly one of them; a one-to-one lane per
//!   (writer, reader) pair. A rendezvous message goes only to a reader that
//!   asked for one; with several writers, the writer that answers a request
//!   claims it first with TESTSET on a word in that reader's SRAM. A shared
//!   read end cannot be an alternation guard.
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
mod shared;

use crate::addr::{CoreId, GlobalAddr};
use crate::boot::{
    EndRecord, LaneRecord, OutLaneRecord, PeerRecord, ShareRecord, END_READ, END_SHARED_READ, END_SHARED_WRITE,
    MAX_LANES,
};
use crate::executor::{note_blocked, note_progress};
use crate::mesh::Mesh;
use crate::message::Message;
use crate::trace::TraceKind;
use core::fmt;
use core::future::Future;
use core::marker::PhantomData;
use core::pin::Pin;
use core::task::{Context, Poll};
use one2one::Shut;

/// Wakes the peer of an end after writing to it: the user interrupt on its
/// core, or [`Mesh::notify_host`] when the peer is the host.
#[inline]
pub(crate) fn wake<M: Mesh>(mesh: &M, peer: CoreId) {
    if peer.is_host() {
        mesh.notify_host();
    } else {
        mesh.raise(peer, crate::addr::Irq::User);
    }
}

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
                "channel carries {channel}-byte messages but the process expects {process}-byte values: give both the same dtype"
            ),
            EndError::BadBlock { offset } => write!(
                f,
                "channel block at {offset:#x} is misaligned, reaches past SRAM or has too many slots: the boot table is corrupt"
            ),
        }
    }
}

/// The message size an end asks for.
#[derive(Debug, Clone, Copy)]
enum Shape {
    /// Exactly this many bytes (a typed end).
    Exactly(u32),
    /// Any positive multiple of this many bytes up to
    /// [`block::MAX_MESSAGE_SIZE`] (a vector end).
    MultipleOf(u32),
}

/// Checks a boot-table end against what the process asks for: a write end
/// (`write`) or a read end of messages of `shape`, with its blocks aligned
/// and inside the end's local memory (`local_size` bytes).
fn check(record: &EndRecord, write: bool, shape: Shape, local_size: u32) -> Result<(), EndError> {
    if record.direction > END_SHARED_WRITE || (record.direction & 1 == 1) != write {
        return Err(EndError::WrongDirection {
            found: record.direction,
        });
    }
    let fits = match shape {
        Shape::Exactly(n) => record.msg_size == n,
        Shape::MultipleOf(n) => {
            record.msg_size > 0 && record.msg_size % n == 0 && record.msg_size <= block::MAX_MESSAGE_SIZE
        }
    };
    if !fits {
        return Err(EndError::SizeMismatch {
            channel: record.msg_size,
            process: match shape {
                Shape::Exactly(n) | Shape::MultipleOf(n) => n,
            },
        });
    }
    let shared = record.direction == END_SHARED_READ || record.direction == END_SHARED_WRITE;
    let merge = record.direction == END_READ && (record.lanes > 1 || record.table != 0);
    let lane_size = if write {
        core::mem::size_of::<OutLaneRecord>()
    } else {
        core::mem::size_of::<LaneRecord>()
    } as u32;
    // (offset, bytes) of every block this end owns in its SRAM.
    let blocks = if shared {
        [
            (record.local, core::mem::size_of::<ShareRecord>() as u32),
            (record.table, record.lanes.saturating_mul(lane_size)),
        ]
    } else if merge {
        [(record.table, record.lanes.saturating_mul(lane_size)); 2]
    } else if write {
        [(record.local, block::ACK_BLOCK_SIZE); 2]
    } else {
        [(record.local, block::ring_block_size(record.capacity, record.msg_size)); 2]
    };
    for (offset, size) in blocks {
        if offset % block::BLOCK_ALIGN != 0 || offset as u64 + size as u64 > local_size as u64 {
            return Err(EndError::BadBlock { offset });
        }
    }
    if record.capacity > block::MAX_CAPACITY
        || record.lanes == 0
        || record.lanes > MAX_LANES
        || (!shared && !merge && record.lanes != 1)
    {
        return Err(EndError::BadBlock { offset: blocks[0].0 });
    }
    Ok(())
}

/// Checks the peer table a shared end's [`ShareRecord`] names.
fn check_share<M: Mesh>(mesh: &M, record: &EndRecord) -> Result<(), EndError> {
    let mut head = ShareRecord::default();
    mesh.read_local(record.local, bytemuck::bytes_of_mut(&mut head));
    let bytes = head.peer_count as u64 * core::mem::size_of::<PeerRecord>() as u64;
    if head.peer_count >= MAX_LANES || head.peers % 4 != 0 || head.peers as u64 + bytes > mesh.local_size() as u64 {
        return Err(EndError::BadBlock { offset: record.local });
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

/// The kinds of write end.
enum WriteEnd<M: Mesh> {
    /// One-to-one, or one writer of an any-to-one channel.
    One(one2one::Writer<M>),
    /// A writer of a one-to-any or any-to-any channel.
    Shared(shared::Writer<M>),
}

impl<M: Mesh> WriteEnd<M> {
    #[inline]
    fn shut(&self) -> Shut {
        match self {
            WriteEnd::One(w) => w.shut(),
            WriteEnd::Shared(w) => w.shut(),
        }
    }

    #[inline]
    fn poll_send(&mut self, msg: &[u8], put: &mut bool) -> Option<Result<(), Shut>> {
        match self {
            WriteEnd::One(w) => w.poll_send(msg, put),
            WriteEnd::Shared(w) => w.poll_send(msg, put),
        }
    }

    /// Sends `msg` if that needs no waiting; true when it was put.
    fn try_put(&mut self, msg: &[u8]) -> bool {
        match self {
            WriteEnd::One(w) => {
                if w.has_room() && w.delivered() {
                    w.put(msg);
                    true
                } else {
                    false
                }
            }
            WriteEnd::Shared(w) => w.try_put(msg),
        }
    }

    fn poll_flush(&mut self) -> Option<Result<(), ()>> {
        match self {
            WriteEnd::One(w) => {
                // The reader's state before `taken`: an ack written before a poison is seen.
                let shut = w.shut();
                if w.delivered() {
                    Some(Ok(()))
                } else if shut == Shut::Poisoned {
                    Some(Err(()))
                } else {
                    None
                }
            }
            WriteEnd::Shared(w) => w.poll_flush(),
        }
    }

    #[inline]
    fn has_room(&self) -> bool {
        match self {
            WriteEnd::One(w) => w.has_room(),
            WriteEnd::Shared(w) => w.has_room(),
        }
    }

    #[inline]
    fn capacity(&self) -> u32 {
        match self {
            WriteEnd::One(w) => w.capacity(),
            WriteEnd::Shared(w) => w.capacity(),
        }
    }

    #[inline]
    fn close(&mut self) {
        match self {
            WriteEnd::One(w) => w.close(),
            WriteEnd::Shared(w) => w.close(),
        }
    }

    #[inline]
    fn poison(&mut self) {
        match self {
            WriteEnd::One(w) => w.poison(),
            WriteEnd::Shared(w) => w.poison(),
        }
    }
}

/// A write end of messages of the channel's size, as bytes: what
/// [`Sender`] and [`VecSender`] are made of.
struct RawSender<M: Mesh> {
    inner: WriteEnd<M>,
    mesh: M,
    /// Index of this end in the core's end table, for wait reports.
    end: u32,
    /// Bytes per message.
    msg_size: u32,
}

impl<M: Mesh> RawSender<M> {
    /// # Safety
    /// As [`Sender::from_record`].
    unsafe fn from_record(mesh: M, record: &EndRecord, end: u32, shape: Shape) -> Result<Self, EndError> {
        check(record, true, shape, mesh.local_size())?;
        let inner = if record.direction == END_SHARED_WRITE {
            check_share(&mesh, record)?;
            // SAFETY: the share and lane duties are the caller's duty 1.
            WriteEnd::Shared(unsafe {
                shared::Writer::new(
                    mesh,
                    record.local,
                    record.table,
                    record.lanes,
                    record.capacity,
                    record.msg_size,
                )
            })
        } else {
            // SAFETY: both block duties are the caller's duties 1 and 2.
            WriteEnd::One(unsafe {
                one2one::Writer::new(
                    mesh,
                    record.local,
                    GlobalAddr::new(record.remote),
                    CoreId::from_raw(record.peer as u16),
                    record.capacity,
                    record.msg_size,
                )
            })
        };
        Ok(RawSender {
            inner,
            mesh,
            end,
            msg_size: record.msg_size,
        })
    }

    fn try_send(&mut self, msg: &[u8]) -> Result<(), TrySendError<()>> {
        match self.inner.shut() {
            Shut::Poisoned => return Err(TrySendError::Poisoned(())),
            Shut::Closed => return Err(TrySendError::Closed(())),
            Shut::Open => {}
        }
        if self.inner.try_put(msg) {
            note_progress(None, &self.mesh, TraceKind::Send, self.end);
            Ok(())
        } else {
            Err(TrySendError::Full(()))
        }
    }

    fn can_send_now(&self) -> bool {
        self.inner.shut() != Shut::Open || (self.inner.capacity() > 0 && self.inner.has_room())
    }

    fn pending<R>(&self, cx: &Context<'_>) -> Poll<R> {
        note_blocked(cx, &self.mesh, self.end + 1);
        Poll::Pending
    }

    /// One poll of a send of `msg` (`put`: already in the reader's ring).
    fn poll_send(&mut self, msg: &[u8], put: &mut bool, cx: &Context<'_>) -> Poll<Result<(), Shut>> {
        match self.inner.poll_send(msg, put) {
            Some(result) => {
                if result.is_ok() {
                    note_progress(Some(cx), &self.mesh, TraceKind::Send, self.end);
                }
                Poll::Ready(result)
            }
            None => self.pending(cx),
        }
    }

    fn poll_flush(&mut self, cx: &Context<'_>) -> Poll<Result<(), ()>> {
        match self.inner.poll_flush() {
            Some(result) => Poll::Ready(result),
            None => self.pending(cx),
        }
    }
}

/// The kinds of read end.
enum ReadEnd<M: Mesh> {
    /// One-to-one.
    One(one2one::Reader<M>),
    /// The reader of an any-to-one channel.
    Merge(any2one::SharedReader<M>),
    /// A reader of a one-to-any or any-to-any channel.
    Shared(shared::Reader<M>),
}

impl<M: Mesh> ReadEnd<M> {
    #[inline]
    fn poll_recv(&mut self, buf: &mut [u8]) -> Option<Result<(), Shut>> {
        match self {
            ReadEnd::One(r) => r.poll_recv(buf),
            ReadEnd::Merge(r) => r.poll_recv(buf),
            ReadEnd::Shared(r) => r.poll_recv(buf),
        }
    }

    #[inline]
    fn ready(&self) -> bool {
        match self {
            ReadEnd::One(r) => r.ready() || r.shut() != Shut::Open,
            ReadEnd::Merge(r) => r.ready(),
            ReadEnd::Shared(_) => panic!(
                "a shared read end (one-to-any or any-to-any channel) cannot be an alternation guard: read it with recv"
            ),
        }
    }

    #[inline]
    fn poison(&mut self) {
        match self {
            ReadEnd::One(r) => r.poison(),
            ReadEnd::Merge(r) => r.poison(),
            ReadEnd::Shared(r) => r.poison(),
        }
    }
}

/// A read end of messages of the channel's size, as bytes: what
/// [`Receiver`] and [`VecReceiver`] are made of.
struct RawReceiver<M: Mesh> {
    inner: ReadEnd<M>,
    mesh: M,
    /// Index of this end in the core's end table, for wait reports.
    end: u32,
    /// Bytes per message.
    msg_size: u32,
}

impl<M: Mesh> RawReceiver<M> {
    /// # Safety
    /// As [`Receiver::from_record`].
    unsafe fn from_record(mesh: M, record: &EndRecord, end: u32, shape: Shape) -> Result<Self, EndError> {
        check(record, false, shape, mesh.local_size())?;
        let inner = if record.direction == END_SHARED_READ {
            check_share(&mesh, record)?;
            // SAFETY: the share and lane duties are the caller's duty 1.
            ReadEnd::Shared(unsafe {
                shared::Reader::new(
                    mesh,
                    record.local,
                    record.table,
                    record.lanes,
                    record.capacity,
                    record.msg_size,
                )
            })
        } else if record.lanes > 1 || record.table != 0 {
            // SAFETY: the lane duties are the caller's duty 1.
            ReadEnd::Merge(unsafe {
                any2one::SharedReader::new(mesh, record.table, record.lanes, record.capacity, record.msg_size)
            })
        } else {
            // SAFETY: both block duties are the caller's duties 1 and 2.
            ReadEnd::One(unsafe {
                one2one::Reader::new(
                    mesh,
                    record.local,
                    GlobalAddr::new(record.remote),
                    CoreId::from_raw(record.peer as u16),
                    record.capacity,
                    record.msg_size,
                )
            })
        };
        Ok(RawReceiver {
            inner,
            mesh,
            end,
            msg_size: record.msg_size,
        })
    }

    fn try_recv(&mut self, buf: &mut [u8]) -> Result<(), TryRecvError> {
        match self.inner.poll_recv(buf) {
            Some(Ok(())) => {
                note_progress(None, &self.mesh, TraceKind::Receive, self.end);
                Ok(())
            }
            Some(Err(Shut::Closed)) => Err(TryRecvError::Closed),
            Some(Err(_)) => Err(TryRecvError::Poisoned),
            None => Err(TryRecvError::Empty),
        }
    }

    /// One poll of a receive into `buf`.
    fn poll_recv(&mut self, buf: &mut [u8], cx: &Context<'_>) -> Poll<Result<(), RecvError>> {
        match self.inner.poll_recv(buf) {
            Some(result) => {
                if result.is_ok() {
                    note_progress(Some(cx), &self.mesh, TraceKind::Receive, self.end);
                }
                Poll::Ready(result.map_err(recv_error))
            }
            None => {
                note_blocked(cx, &self.mesh, self.end + 1);
                Poll::Pending
            }
        }
    }
}

/// What a channel end's messages are: one value of a [`Message`] type
/// `T`, or a vector `[E]` of them whose length the channel fixes (bytes are
/// `[u8]`). Sealed: those two are all the protocol moves.
pub trait Payload: sealed::Sealed {
    /// Bytes of one value (of one element, for a vector).
    #[doc(hidden)]
    const ELEMENT_SIZE: u32;
    /// True for vectors: any positive multiple of the element size.
    #[doc(hidden)]
    const VECTOR: bool;
}

mod sealed {
    pub trait Sealed {}
    impl<T: super::Message> Sealed for T {}
    impl<E: super::Message> Sealed for [E] {}
}

impl<T: Message> Payload for T {
    const ELEMENT_SIZE: u32 = core::mem::size_of::<T>() as u32;
    const VECTOR: bool = false;
}

impl<E: Message> Payload for [E] {
    const ELEMENT_SIZE: u32 = core::mem::size_of::<E>() as u32;
    const VECTOR: bool = true;
}

fn shape_of<T: ?Sized + Payload>() -> Shape {
    if T::VECTOR {
        Shape::MultipleOf(T::ELEMENT_SIZE)
    } else {
        Shape::Exactly(T::ELEMENT_SIZE)
    }
}

/// The writing end of a channel carrying `T`: one value of a [`Message`]
/// type, or vectors `[E]` of the channel's length ([`VecSender`]).
pub struct Sender<T: ?Sized + Payload, M: Mesh> {
    raw: RawSender<M>,
    _msg: PhantomData<T>,
}

/// The writing end of a channel whose messages are vectors of `E`: every
/// message has the channel's length (its message size over the size of
/// `E`), fixed when the network was made. Bytes are vectors of `u8`.
pub type VecSender<E, M> = Sender<[E], M>;

/// The reading end of a channel carrying `T` (see [`Sender`]).
pub struct Receiver<T: ?Sized + Payload, M: Mesh> {
    raw: RawReceiver<M>,
    _msg: PhantomData<T>,
}

/// The reading end of a channel whose messages are vectors of `E` (see
/// [`VecSender`]).
pub type VecReceiver<E, M> = Receiver<[E], M>;

impl<T: ?Sized + Payload, M: Mesh> Sender<T, M> {
    /// The write end described by a boot-table record; `end` is the record's
    /// index in the core's end table. The channel's message size must be
    /// the size of `T`, or for `[E]` a positive multiple of the size of `E`.
    ///
    /// # Safety
    /// - `record` was planned for this core. One-to-one (`END_WRITE`): its
    ///   local block is a zeroed acknowledgement block in this core's SRAM
    ///   owned by this end alone, and `remote` is its reader's zeroed ring
    ///   block. Shared (`END_SHARED_WRITE`): `local` is its zeroed
    ///   `ShareRecord` and `table` holds `lanes` out-lane records, each
    ///   naming a reader's zeroed ring block and claim word.
    /// - No other end is made from the same record.
    pub unsafe fn from_record(mesh: M, record: &EndRecord, end: u32) -> Result<Self, EndError> {
        Ok(Sender {
            // SAFETY: forwarded caller duties.
            raw: unsafe { RawSender::from_record(mesh, record, end, shape_of::<T>())? },
            _msg: PhantomData,
        })
    }

    /// Completes once the reader has taken every message sent so far (or the
    /// channel is poisoned: then `Err(())`, some were never taken).
    pub fn flush(&mut self) -> Flush<'_, M> {
        Flush { raw: &mut self.raw }
    }

    /// True when a send would complete (or fail) at once: room in a buffered
    /// channel, or the channel shut. A rendezvous send always waits for its
    /// reader, so for a rendezvous this is only true once the channel is shut.
    pub fn can_send_now(&self) -> bool {
        self.raw.can_send_now()
    }

    /// Buffer capacity in messages; 0 is a rendezvous.
    pub fn capacity(&self) -> u32 {
        self.raw.inner.capacity()
    }

    /// Retires this writer: the reader receives every message already sent,
    /// then [`RecvError::Closed`]. Later sends fail with [`SendError::Closed`].
    pub fn close(&mut self) {
        self.raw.inner.close();
    }

    /// Poisons the channel: every pending and later operation at either end
    /// fails with `Poisoned`, messages still buffered included.
    pub fn poison(&mut self) {
        self.raw.inner.poison();
    }
}

impl<T: Message, M: Mesh> Sender<T, M> {
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
    /// it yet: wait for that with [`Sender::flush`]. A shared (one-to-any,
    /// any-to-any) rendezvous hands it over only to a reader that is asking
    /// for a message now.
    pub fn try_send(&mut self, msg: T) -> Result<(), TrySendError<T>> {
        self.raw.try_send(bytemuck::bytes_of(&msg)).map_err(|e| match e {
            TrySendError::Full(()) => TrySendError::Full(msg),
            TrySendError::Poisoned(()) => TrySendError::Poisoned(msg),
            TrySendError::Closed(()) => TrySendError::Closed(msg),
        })
    }
}

impl<E: Message, M: Mesh> Sender<[E], M> {
    /// Elements per message.
    pub fn len(&self) -> usize {
        self.raw.msg_size as usize / core::mem::size_of::<E>()
    }

    /// Always false: a message has at least one element.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Sends `msg`, which must hold exactly [`Sender::len`] elements;
    /// completes as a scalar send does. On failure the caller still has it.
    ///
    /// # Panics
    /// When `msg` has another length.
    pub fn send<'a>(&'a mut self, msg: &'a [E]) -> SendSlice<'a, E, M> {
        assert_eq!(msg.len(), self.len(), "a vector message must have the channel's length");
        SendSlice {
            raw: &mut self.raw,
            msg,
            put: false,
        }
    }

    /// Sends without waiting, as a scalar `try_send` does.
    ///
    /// # Panics
    /// When `msg` has another length than [`Sender::len`].
    pub fn try_send(&mut self, msg: &[E]) -> Result<(), TrySendError<()>> {
        assert_eq!(msg.len(), self.len(), "a vector message must have the channel's length");
        self.raw.try_send(bytemuck::cast_slice(msg))
    }
}

impl<T: ?Sized + Payload, M: Mesh> ChannelEnd for Sender<T, M> {
    #[inline]
    fn poison(&mut self) {
        Sender::poison(self);
    }
}

impl<T: ?Sized + Payload, M: Mesh> Receiver<T, M> {
    /// The read end described by a boot-table record; `end` is the record's
    /// index in the core's end table. Message sizes as for
    /// [`Sender::from_record`].
    ///
    /// # Safety
    /// - `record` was planned for this core. One-to-one (`lanes` 1): its
    ///   local block is a zeroed ring block for `capacity` messages in this
    ///   core's SRAM owned by this end alone, and `remote` is its writer's
    ///   zeroed acknowledgement block. Any-to-one: `table` holds `lanes` lane
    ///   records, each such a ring and acknowledgement block. Shared
    ///   (`END_SHARED_READ`): `local` is its zeroed `ShareRecord` and `table`
    ///   holds `lanes` lane records, each naming a ring and a writer's
    ///   out-lane record.
    /// - No other end is made from the same record.
    pub unsafe fn from_record(mesh: M, record: &EndRecord, end: u32) -> Result<Self, EndError> {
        Ok(Receiver {
            // SAFETY: forwarded caller duties.
            raw: unsafe { RawReceiver::from_record(mesh, record, end, shape_of::<T>())? },
            _msg: PhantomData,
        })
    }

    /// True when a receive would complete at once (a message, or the end).
    ///
    /// # Panics
    /// On a shared read end (one-to-any, any-to-any): it cannot tell without
    /// asking a writer for a message, which commits it to taking one, so it
    /// cannot be an alternation guard.
    pub fn is_ready(&self) -> bool {
        self.raw.inner.ready()
    }

    /// Poisons the channel: every pending and later operation at either end
    /// fails with `Poisoned`; a writer blocked on it wakes.
    pub fn poison(&mut self) {
        self.raw.inner.poison();
    }
}

impl<T: Message, M: Mesh> Receiver<T, M> {
    /// Receives the next message; fails when the channel is poisoned, or
    /// closed with nothing left in it.
    pub fn recv(&mut self) -> Recv<'_, T, M> {
        Recv { receiver: self }
    }

    /// Receives a message if one is waiting.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let mut msg = T::zeroed();
        self.raw.try_recv(bytemuck::bytes_of_mut(&mut msg)).map(|()| msg)
    }
}

impl<E: Message, M: Mesh> Receiver<[E], M> {
    /// Elements per message.
    pub fn len(&self) -> usize {
        self.raw.msg_size as usize / core::mem::size_of::<E>()
    }

    /// Always false: a message has at least one element.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Receives the next message into `buf`, which must hold exactly
    /// [`Receiver::len`] elements; fails as a scalar receive does.
    ///
    /// # Panics
    /// When `buf` has another length.
    pub fn recv_into<'a>(&'a mut self, buf: &'a mut [E]) -> RecvInto<'a, E, M> {
        assert_eq!(buf.len(), self.len(), "a vector message must have the channel's length");
        RecvInto {
            raw: &mut self.raw,
            buf,
        }
    }

    /// Receives a message into `buf` if one is waiting.
    ///
    /// # Panics
    /// When `buf` has another length than [`Receiver::len`].
    pub fn try_recv_into(&mut self, buf: &mut [E]) -> Result<(), TryRecvError> {
        assert_eq!(buf.len(), self.len(), "a vector message must have the channel's length");
        self.raw.try_recv(bytemuck::cast_slice_mut(buf))
    }
}

impl<T: ?Sized + Payload, M: Mesh> ChannelEnd for Receiver<T, M> {
    #[inline]
    fn poison(&mut self) {
        Receiver::poison(self);
    }
}

/// Future of a scalar [`Sender::send`].
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
        this.sender
            .raw
            .poll_send(bytemuck::bytes_of(&this.msg), &mut this.put, cx)
            .map(|r| r.map_err(|shut| send_error(shut, this.msg)))
    }
}

// The futures hold no self-references.
impl<T: Message, M: Mesh> Unpin for Send<'_, T, M> {}

/// Future of a vector [`Sender::send`]. On failure the caller still has its slice.
#[must_use = "futures do nothing unless awaited"]
pub struct SendSlice<'a, E: Message, M: Mesh> {
    raw: &'a mut RawSender<M>,
    msg: &'a [E],
    put: bool,
}

impl<E: Message, M: Mesh> Future for SendSlice<'_, E, M> {
    type Output = Result<(), SendError<()>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.raw
            .poll_send(bytemuck::cast_slice(this.msg), &mut this.put, cx)
            .map(|r| r.map_err(|shut| send_error(shut, ())))
    }
}

/// Future of [`Sender::flush`].
#[must_use = "futures do nothing unless awaited"]
pub struct Flush<'a, M: Mesh> {
    raw: &'a mut RawSender<M>,
}

impl<M: Mesh> Future for Flush<'_, M> {
    type Output = Result<(), ()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.raw.poll_flush(cx)
    }
}

/// Future of a scalar [`Receiver::recv`].
#[must_use = "futures do nothing unless awaited"]
pub struct Recv<'a, T: Message, M: Mesh> {
    receiver: &'a mut Receiver<T, M>,
}

impl<T: Message, M: Mesh> Future for Recv<'_, T, M> {
    type Output = Result<T, RecvError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut msg = T::zeroed();
        self.receiver
            .raw
            .poll_recv(bytemuck::bytes_of_mut(&mut msg), cx)
            .map(|r| r.map(|()| msg))
    }
}

/// Future of [`Receiver::recv_into`].
#[must_use = "futures do nothing unless awaited"]
pub struct RecvInto<'a, E: Message, M: Mesh> {
    raw: &'a mut RawReceiver<M>,
    buf: &'a mut [E],
}

impl<E: Message, M: Mesh> Future for RecvInto<'_, E, M> {
    type Output = Result<(), RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.raw.poll_recv(bytemuck::cast_slice_mut(this.buf), cx)
    }
}
