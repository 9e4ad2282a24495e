//! Channel endpoints.
//!
//! A channel has exactly one [`Sender`] and one [`Receiver`]; they may live on
//! one core or on two. The kinds (one file each, private):
//! - `one2one`: one writer, one reader, rendezvous (capacity 0) or buffered
//!   (capacity n). The wire protocol is in `one2one.rs` and `device/PROTOCOL.md`.
//!
//! Shared-memory layout: [`block`].
//!
//! # Examples
//! A process that doubles what it reads:
//! ```ignore
//! async fn double<M: Mesh>(mut rx: Receiver<u32, M>, mut tx: Sender<u32, M>) {
//!     loop {
//!         let x = rx.recv().await;
//!         tx.send(2 * x).await;
//!     }
//! }
//! ```

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
    let block_size = if direction == END_READ {
        block::ring_block_size(record.capacity, record.msg_size)
    } else {
        block::ACK_BLOCK_SIZE
    };
    if record.local % block::BLOCK_ALIGN != 0
        || record.local as u64 + block_size as u64 > crate::addr::SRAM_SIZE as u64
        || record.capacity > block::MAX_CAPACITY
    {
        return Err(EndError::BadBlock { offset: record.local });
    }
    Ok(())
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
    inner: one2one::Reader<T, M>,
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
    /// is in the reader's buffer (buffered).
    pub fn send(&mut self, msg: T) -> Send<'_, T, M> {
        Send {
            sender: self,
            msg: Some(msg),
        }
    }

    /// Sends without waiting when the buffer has room; otherwise gives the
    /// message back. On a rendezvous channel the message is handed over but
    /// the reader may not have taken it yet: wait with [`Sender::flush`].
    pub fn try_send(&mut self, msg: T) -> Result<(), T> {
        if self.inner.has_room() && self.inner.delivered() {
            self.inner.put(&msg);
            Ok(())
        } else {
            Err(msg)
        }
    }

    fn pending<R>(&self, cx: &Context<'_>) -> Poll<R> {
        note_blocked(cx, &self.mesh, self.end + 1);
        Poll::Pending
    }

    /// Completes once the reader has taken every message sent so far.
    pub fn flush(&mut self) -> Flush<'_, T, M> {
        Flush { sender: self }
    }
}

impl<T: Message, M: Mesh> Receiver<T, M> {
    /// The read end described by a boot-table record; `end` is the record's
    /// index in the core's end table.
    ///
    /// # Safety
    /// - `record` was planned for this core: its local block is a zeroed ring
    ///   block for `capacity` messages of `T` in this core's SRAM owned by this
    ///   end alone, and `remote` is its writer's zeroed acknowledgement block.
    /// - No other `Receiver` is made from the same record.
    pub unsafe fn from_record(mesh: M, record: &EndRecord, end: u32) -> Result<Self, EndError> {
        check(record, END_READ, core::mem::size_of::<T>())?;
        // SAFETY: both block duties are the caller's duties 1 and 2.
        let inner = unsafe {
            one2one::Reader::new(
                mesh,
                record.local,
                GlobalAddr::new(record.remote),
                CoreId::from_raw(record.peer as u16),
                record.capacity,
            )
        };
        Ok(Receiver { inner, mesh, end })
    }

    /// Receives the next message.
    pub fn recv(&mut self) -> Recv<'_, T, M> {
        Recv { receiver: self }
    }

    /// Receives a message if one is waiting.
    pub fn try_recv(&mut self) -> Option<T> {
        if self.inner.ready() {
            Some(self.inner.take())
        } else {
            None
        }
    }

    /// True when a message is waiting (a receive would not block).
    pub fn is_ready(&self) -> bool {
        self.inner.ready()
    }
}

/// Future of [`Sender::send`].
#[must_use = "futures do nothing unless awaited"]
pub struct Send<'a, T: Message, M: Mesh> {
    sender: &'a mut Sender<T, M>,
    /// The message until it is written into the reader's slot.
    msg: Option<T>,
}

impl<T: Message, M: Mesh> Future for Send<'_, T, M> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if let Some(msg) = this.msg {
            if !this.sender.inner.has_room() {
                return this.sender.pending(cx);
            }
            this.sender.inner.put(&msg);
            this.msg = None;
        }
        if this.sender.inner.delivered() {
            Poll::Ready(())
        } else {
            this.sender.pending(cx)
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
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.sender.inner.delivered() {
            Poll::Ready(())
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
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        match self.receiver.try_recv() {
            Some(msg) => Poll::Ready(msg),
            None => {
                note_blocked(cx, &self.receiver.mesh, self.receiver.end + 1);
                Poll::Pending
            }
        }
    }
}
