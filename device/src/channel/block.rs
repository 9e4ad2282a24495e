//! The shared-memory blocks of a channel.
//!
//! ```text
//! reader's SRAM: ring block (8-byte aligned)           writer's SRAM: ack block
//!   +0  written      u32  writer writes, reader polls     +0  taken        u32  reader writes, writer polls
//!   +4  writer_state u32  writer writes, reader polls     +4  reader_state u32  reader writes, writer polls
//!   +8  slot 0   [stride bytes]
//!   ... slot n-1
//! ```
//! `stride` is the message size rounded up to 8 bytes; a rendezvous channel
//! (capacity 0) has one slot, a buffered one `capacity` slots. Counters count
//! messages since the channel was made and wrap at 2^32; only differences
//! are ever compared.

use crate::boot::align_up;

/// Offset of the `written` counter in the ring block.
pub const RING_WRITTEN: u32 = 0;
/// Offset of the writer's state flags ([`CLOSED`], [`POISONED`]) in the ring block.
pub const RING_WRITER_STATE: u32 = 4;
/// Offset of the reader's state flags ([`POISONED`]) in the acknowledgement block.
pub const ACK_READER_STATE: u32 = 4;
/// State flag: the writer closed the channel after `written` messages.
pub const CLOSED: u32 = 1;
/// State flag: this end poisoned the channel.
pub const POISONED: u32 = 2;
/// Offset of the first slot in the ring block.
pub const RING_SLOTS: u32 = 8;
/// Offset of the `taken` counter in the acknowledgement block.
pub const ACK_TAKEN: u32 = 0;
/// Bytes of an acknowledgement block.
pub const ACK_BLOCK_SIZE: u32 = 8;
/// Alignment of both blocks.
pub const BLOCK_ALIGN: u32 = 8;
/// Largest message ecsp moves in one piece (a core has 32 KiB in all).
pub const MAX_MESSAGE_SIZE: u32 = 4096;
/// Largest buffer capacity of one channel.
pub const MAX_CAPACITY: u32 = 1024;

/// Slots in the ring of a channel with `capacity` (0 = rendezvous).
pub const fn slot_count(capacity: u32) -> u32 {
    if capacity == 0 {
        1
    } else {
        capacity
    }
}

/// Bytes between slots.
pub const fn slot_stride(msg_size: u32) -> u32 {
    align_up(msg_size, 8)
}

/// Bytes of a ring block.
pub const fn ring_block_size(capacity: u32, msg_size: u32) -> u32 {
    RING_SLOTS + slot_count(capacity) * slot_stride(msg_size)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pins the numbers PROTOCOL.md gives.
    #[test]
    fn ring_sizes() {
        assert_eq!(ring_block_size(0, 4), 16);
        assert_eq!(ring_block_size(1, 4), 16);
        assert_eq!(ring_block_size(8, 4), 8 + 8 * 8);
        assert_eq!(ring_block_size(2, 12), 8 + 2 * 16);
        assert_eq!(ring_block_size(0, 8), 16);
        assert_eq!(ACK_BLOCK_SIZE, 8);
    }
}
