//! Users' kernels in the boot table: the room of a process whose kind is a
//! user's kernel (`device/c/include/ecsp/kernel.h`), as the host plans it
//! and the C runtime (`device/c/src/kernel.c`) reads it.
//!
//! A user's kind has an id of [`USER_KIND_BASE`] and up, numbered by the
//! host per network. Its process's room in the task arena:
//!
//! ```text
//!  state_offset ┌──────────────────────────────┐
//!               │ KernelBlock                  │ host: magic, items, stack, state
//!               │ KernelItem × items           │ host: one per declaration item
//!               │ parameter values (8 bytes)   │ host
//!               │ port states                  │ device: a reader, writer or
//!               │                              │ barrier participant per port
//!               │ canary (8 bytes)             │ device: under the stack
//!               │ stack                        │ device: `stack` bytes
//!               └──────────────────────────────┘ state_offset + state_size
//! ```
//!
//! [`RoomLayout`] is the one place that lays a room out; the host plans
//! with it and writes [`RoomLayout::host_bytes`] into the boot image.

/// The first kind id of users' kernels; built-in kinds are below it.
pub const USER_KIND_BASE: u32 = 0x100;
/// [`KernelBlock::magic`]: "KERN" read as a little-endian u32.
pub const KERNEL_MAGIC: u32 = u32::from_le_bytes(*b"KERN");
/// Most items a kernel declares (`ECSP_MAX_KERNEL_ITEMS`).
pub const MAX_KERNEL_ITEMS: u32 = 32;
/// The canary under a kernel's stack, written twice.
pub const STACK_CANARY: u32 = 0xC0DE_FA11;
/// Stack of a kernel without a `STACK` item (`ECSP_DEFAULT_STACK`).
pub const DEFAULT_STACK: u32 = 512;
/// Most bytes of a failure message a kernel keeps (`ECSP_MAX_MESSAGE`).
pub const MAX_MESSAGE: u32 = 120;

/// Bytes of the C runtime's read end state (`sizeof(ecsp_reader)`).
pub const READER_STATE_SIZE: u32 = 64;
/// Bytes of the C runtime's write end state (`sizeof(ecsp_writer)`).
pub const WRITER_STATE_SIZE: u32 = 64;
/// Bytes of the C runtime's barrier participant (`sizeof(ecsp_barrier_part)`).
pub const BARRIER_STATE_SIZE: u32 = 48;

/// [`KernelItem::kind`] values.
pub mod item_kind {
    /// `STACK`, `FOREVER`: nothing at run time.
    pub const NONE: u8 = 0;
    /// A read end; `index` is its input number.
    pub const IN: u8 = 1;
    /// A write end; `index` is its output number.
    pub const OUT: u8 = 2;
    /// A barrier; `index` is its number among the task's barriers.
    pub const BARRIER: u8 = 3;
    /// A parameter; its 8-byte value is at `state`.
    pub const PARAM: u8 = 4;
}

/// [`KernelBlock::state`] values.
pub mod kernel_state {
    /// Written by the host: not started.
    pub const READY: u32 = 0;
    /// Started: running or blocked.
    pub const RUNNING: u32 = 1;
    /// The kernel returned; its write ends are closed.
    pub const RETURNED: u32 = 2;
    /// It met poison; every end is poisoned.
    pub const POISONED: u32 = 3;
    /// It failed: `error` says how, `message` where its message is.
    pub const FAILED: u32 = 4;
}

/// [`KernelBlock::result_kind`] values.
pub mod result_kind {
    /// No result was given.
    pub const NONE: u32 = 0;
    /// `result` holds an `i64`.
    pub const INT: u32 = 1;
    /// `result` holds the bits of an `f64`.
    pub const FLOAT: u32 = 2;
}

/// The head of a kernel's room (`ecsp_kernel_block`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KernelBlock {
    /// [`KERNEL_MAGIC`]. Host writes.
    pub magic: u32,
    /// Number of [`KernelItem`]s that follow. Host writes.
    pub items: u32,
    /// Bytes of stack at the end of the room, a multiple of 8. Host writes.
    pub stack: u32,
    /// One of [`kernel_state`]. Host writes READY; device after.
    pub state: u32,
    /// The suspended kernel: its stack pointer on silicon, the runner's
    /// coroutine in ecsp's simulator. Device writes.
    pub context: u64,
    /// The value given to `ecsp_result`. Device writes.
    pub result: u64,
    /// The failure message's address while the kernel fails; once the
    /// message is in the room, 1 when [`KernelBlock::note_value`] belongs to
    /// it, else 0. Device writes.
    pub note: u64,
    /// The value given to `ecsp_fail_value`. Device writes.
    pub note_value: i64,
    /// One of [`result_kind`]. Device writes.
    pub result_kind: u32,
    /// A [`crate::process::ProcessError`] code when `state` is FAILED. Device writes.
    pub error: u32,
    /// Room offset of the failure message (NUL-terminated), 0 for none. Device writes.
    pub message: u32,
    /// SRAM offset of the kernel's TaskRecord. Device writes.
    pub record: u32,
    /// The TaskRecord's `first_end`. Device writes.
    pub first_end: u32,
    /// The guard a fair select chose last. Device writes.
    pub fair: u32,
}

/// One item of a kernel's declaration (`ecsp_kernel_item`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KernelItem {
    /// One of [`item_kind`]. Host writes.
    pub kind: u8,
    /// Input, output or barrier number (see [`item_kind`]). Host writes.
    pub index: u8,
    /// A port's declared message bytes. Host writes.
    pub msg_size: u16,
    /// Room offset of a port's state or a parameter's value. Host writes.
    pub state: u16,
    /// Bit 0: an input seen closed and drained. Device writes.
    pub flags: u8,
    /// Zero.
    pub reserved: u8,
}

// SAFETY: repr(C) of integer fields with no padding (72 bytes, asserted below).
unsafe impl bytemuck::Zeroable for KernelBlock {}
// SAFETY: as above: every bit pattern is a valid KernelBlock, and it has no padding.
unsafe impl bytemuck::Pod for KernelBlock {}
// SAFETY: repr(C) of integer fields with no padding (8 bytes, asserted below).
unsafe impl bytemuck::Zeroable for KernelItem {}
// SAFETY: as above.
unsafe impl bytemuck::Pod for KernelItem {}

const _: () = assert!(core::mem::size_of::<KernelBlock>() == 72);
const _: () = assert!(core::mem::size_of::<KernelItem>() == 8);

/// What an item of a declaration is, for laying out its room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomItem {
    /// A read end: its input number and message bytes.
    In {
        /// Its input number (its position among the kernel's inputs).
        index: u8,
        /// Bytes per message.
        msg_size: u16,
    },
    /// A write end.
    Out {
        /// Its output number.
        index: u8,
        /// Bytes per message.
        msg_size: u16,
    },
    /// A barrier, by its number among the task's barriers.
    Barrier {
        /// Its number.
        index: u8,
    },
    /// A parameter and its value's 8 bytes.
    Param {
        /// The value as the kernel reads it (an integer, or a float's bits).
        bits: u64,
    },
    /// `STACK` or `FOREVER`.
    None,
}

/// Why a room cannot be laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomError {
    /// More items than [`MAX_KERNEL_ITEMS`].
    TooManyItems {
        /// How many were given.
        items: usize,
    },
    /// A stack that is not a positive multiple of 8 bytes, or above 32 KiB.
    BadStack {
        /// The stack asked for.
        stack: u32,
    },
}

/// A kernel's room, laid out: every offset, relative to the room's start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomLayout {
    /// The block and items as the host writes them.
    pub block: KernelBlock,
    /// The items, with their offsets.
    pub items: heapless::Vec<KernelItem, { MAX_KERNEL_ITEMS as usize }>,
    /// Parameter values: (room offset, bits).
    pub params: heapless::Vec<(u32, u64), { MAX_KERNEL_ITEMS as usize }>,
    /// Offset of the canary (the stack follows it).
    pub canary: u32,
    /// Bytes of the whole room (a multiple of 8).
    pub size: u32,
}

impl RoomLayout {
    /// Lays out the room of a kernel with these items and `stack` bytes of stack.
    pub fn new(items: &[RoomItem], stack: u32) -> Result<RoomLayout, RoomError> {
        if items.len() > MAX_KERNEL_ITEMS as usize {
            return Err(RoomError::TooManyItems { items: items.len() });
        }
        if stack == 0 || stack % 8 != 0 || stack > crate::addr::SRAM_SIZE {
            return Err(RoomError::BadStack { stack });
        }
        let head = core::mem::size_of::<KernelBlock>() as u32;
        let mut cursor = head + items.len() as u32 * core::mem::size_of::<KernelItem>() as u32;
        cursor = crate::boot::align_up(cursor, 8);
        let mut layout = RoomLayout {
            block: KernelBlock {
                magic: KERNEL_MAGIC,
                items: items.len() as u32,
                stack,
                ..KernelBlock::default()
            },
            items: heapless::Vec::new(),
            params: heapless::Vec::new(),
            canary: 0,
            size: 0,
        };
        // Parameters first (host-written, next to the items), then the
        // port states the device fills.
        let mut states = [0u32; MAX_KERNEL_ITEMS as usize];
        for (i, item) in items.iter().enumerate() {
            if let RoomItem::Param { bits } = item {
                states[i] = cursor;
                let _ = layout.params.push((cursor, *bits));
                cursor += 8;
            }
        }
        for (i, item) in items.iter().enumerate() {
            let size = match item {
                RoomItem::In { .. } => READER_STATE_SIZE,
                RoomItem::Out { .. } => WRITER_STATE_SIZE,
                RoomItem::Barrier { .. } => BARRIER_STATE_SIZE,
                _ => continue,
            };
            states[i] = cursor;
            cursor += size;
        }
        for (i, item) in items.iter().enumerate() {
            let (kind, index, msg_size) = match *item {
                RoomItem::In { index, msg_size } => (item_kind::IN, index, msg_size),
                RoomItem::Out { index, msg_size } => (item_kind::OUT, index, msg_size),
                RoomItem::Barrier { index } => (item_kind::BARRIER, index, 0),
                RoomItem::Param { .. } => (item_kind::PARAM, 0, 0),
                RoomItem::None => (item_kind::NONE, 0, 0),
            };
            let _ = layout.items.push(KernelItem {
                kind,
                index,
                msg_size,
                state: states[i] as u16,
                flags: 0,
                reserved: 0,
            });
        }
        layout.canary = crate::boot::align_up(cursor, 8);
        layout.size = layout.canary + 8 + stack;
        Ok(layout)
    }

    /// Bytes of the room the host writes before the core starts (block,
    /// items and parameter values), from the room's start.
    pub fn host_bytes(&self) -> usize {
        let end = self.params.iter().map(|&(at, _)| at + 8).max().unwrap_or(0);
        let items = core::mem::size_of::<KernelBlock>() + self.items.len() * core::mem::size_of::<KernelItem>();
        (end as usize).max(items)
    }

    /// Writes the host's bytes (see [`RoomLayout::host_bytes`]) into `room`.
    ///
    /// # Panics
    /// When `room` is shorter than [`RoomLayout::host_bytes`].
    pub fn write_host_bytes(&self, room: &mut [u8]) {
        let head = core::mem::size_of::<KernelBlock>();
        room[..head].copy_from_slice(bytemuck::bytes_of(&self.block));
        for (i, item) in self.items.iter().enumerate() {
            let at = head + i * core::mem::size_of::<KernelItem>();
            room[at..at + 8].copy_from_slice(bytemuck::bytes_of(item));
        }
        for &(at, bits) in &self.params {
            room[at as usize..at as usize + 8].copy_from_slice(&bits.to_le_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_room_has_its_items_then_params_then_ports_then_the_stack() {
        let items = [
            RoomItem::In {
                index: 0,
                msg_size: 256,
            },
            RoomItem::Param { bits: 7 },
            RoomItem::Out {
                index: 0,
                msg_size: 256,
            },
            RoomItem::None,
            RoomItem::Barrier { index: 0 },
        ];
        let room = RoomLayout::new(&items, 512).unwrap();
        // 72 + 5 items x 8 = 112; the parameter at 112; ports from 120.
        assert_eq!(room.params.as_slice(), &[(112, 7)]);
        assert_eq!(room.items[1].state, 112);
        assert_eq!(room.items[0].state, 120);
        assert_eq!(room.items[2].state, 120 + READER_STATE_SIZE as u16);
        assert_eq!(room.items[3].kind, item_kind::NONE);
        let last = 120 + READER_STATE_SIZE + WRITER_STATE_SIZE;
        assert_eq!(room.items[4].state as u32, last);
        assert_eq!(room.canary, last + BARRIER_STATE_SIZE);
        assert_eq!(room.size, room.canary + 8 + 512);
        assert_eq!(room.host_bytes(), 120);
        let mut bytes = [0u8; 1024];
        room.write_host_bytes(&mut bytes);
        assert_eq!(&bytes[..4], b"KERN");
        assert_eq!(u64::from_le_bytes(bytes[112..120].try_into().unwrap()), 7);
    }

    #[test]
    fn bad_rooms_are_named() {
        assert_eq!(
            RoomLayout::new(&[RoomItem::None; 33], 512),
            Err(RoomError::TooManyItems { items: 33 })
        );
        assert_eq!(RoomLayout::new(&[], 12), Err(RoomError::BadStack { stack: 12 }));
        assert_eq!(RoomLayout::new(&[], 0), Err(RoomError::BadStack { stack: 0 }));
    }
}
