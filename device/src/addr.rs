//! The Epiphany address map, as every layer of ecsp sees it.
//!
//! The chip has one flat 32-bit address space. The upper 12 bits of an
//! address name a core (row in bits 31..26, column in bits 25..20), the lower
//! 20 bits an offset in that core's 1 MiB window. Offsets whose core id is 0
//! alias the executing core's own window ("local" addresses). Inside a window,
//! 32 KiB of SRAM sit at 0x0000..0x8000 in four 8 KiB banks and the
//! memory-mapped registers at 0xF0000..0xF1000.
//!
//! Sources: the Epiphany Architecture Reference and the eSDK's e-hal
//! (`e_is_addr_on_chip`), summarised in DESIGN.md section 2.
//!
//! # Examples
//! ```
//! use ecsp_device::addr::{CoreId, GlobalAddr};
//! let nw = CoreId::from_row_col(32, 8);
//! assert_eq!(nw.raw(), 0x808);
//! assert_eq!(GlobalAddr::on_core(nw, 0).raw(), 0x8080_0000);
//! ```

use core::fmt;

/// Bytes of SRAM in every core.
pub const SRAM_SIZE: u32 = 0x8000;
/// Bytes in one SRAM bank (four per core).
pub const SRAM_BANK_SIZE: u32 = 0x2000;
/// Offset of the interrupt vector table (10 entries of 4 bytes).
pub const IVT_OFFSET: u32 = 0x0000;
/// End of the interrupt vector table.
pub const IVT_END: u32 = 0x0028;
/// Offset of the loader's `workgroup_cfg` block.
pub const LOADER_WORKGROUP_CFG: u32 = 0x0028;
/// Offset of the loader's `ext_mem_cfg` block.
pub const LOADER_EXT_MEM_CFG: u32 = 0x0050;
/// Offset of the loader's `loader_cfg` block.
pub const LOADER_CFG: u32 = 0x0058;
/// First offset of user code: everything below is vector table and loader config.
pub const CODE_START: u32 = 0x0100;
/// Size of one core's address window.
pub const CORE_WINDOW: u32 = 1 << 20;
/// First offset of the memory-mapped register block.
pub const REGS_BASE: u32 = 0xF_0000;
/// Size of the memory-mapped register block.
pub const REGS_SIZE: u32 = 0x1000;

/// Memory-mapped register offsets (inside a core's window).
pub mod reg {
    /// Core configuration (timer modes in bits 7..4 and 11..8).
    pub const CONFIG: u32 = 0xF_0400;
    /// Core status.
    pub const STATUS: u32 = 0xF_0404;
    /// Program counter.
    pub const PC: u32 = 0xF_0408;
    /// Debug status.
    pub const DEBUGSTATUS: u32 = 0xF_040C;
    /// Interrupt mask.
    pub const IMASK: u32 = 0xF_0424;
    /// Interrupt latch.
    pub const ILAT: u32 = 0xF_0428;
    /// Interrupt latch, write 1 to set.
    pub const ILATST: u32 = 0xF_042C;
    /// Interrupt latch, write 1 to clear.
    pub const ILATCL: u32 = 0xF_0430;
    /// Interrupts pending.
    pub const IPEND: u32 = 0xF_0434;
    /// Core timer 0 (counts down).
    pub const CTIMER0: u32 = 0xF_0438;
    /// Core timer 1 (counts down).
    pub const CTIMER1: u32 = 0xF_043C;
    /// Debug command (1 halts, 0 resumes).
    pub const DEBUGCMD: u32 = 0xF_0448;
    /// DMA channel 0 configuration (its block is 0x20 bytes).
    pub const DMA0CONFIG: u32 = 0xF_0500;
    /// DMA channel 1 configuration.
    pub const DMA1CONFIG: u32 = 0xF_0520;
    /// Mesh node configuration.
    pub const MESHCONFIG: u32 = 0xF_0700;
    /// This core's id (read-only).
    pub const COREID: u32 = 0xF_0704;
    /// Core reset (write 1 then 0).
    pub const RESETCORE: u32 = 0xF_070C;
}

/// Interrupt numbers; raising `irq` on a core means writing `1 << irq` to its ILATST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Irq {
    /// Start (the loader's `e_start` raises it).
    Sync = 0,
    /// Software exception.
    SwException = 1,
    /// Memory fault.
    MemFault = 2,
    /// Timer 0 reached zero.
    Timer0 = 3,
    /// Timer 1 reached zero.
    Timer1 = 4,
    /// DMA message mode.
    Message = 5,
    /// DMA 0 done.
    Dma0 = 6,
    /// DMA 1 done.
    Dma1 = 7,
    /// Chip-wide WAND barrier.
    Wand = 8,
    /// User interrupt: ecsp's wake-up.
    User = 9,
}

impl Irq {
    /// The ILAT bit of this interrupt.
    pub const fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

/// A core id: row (6 bits) * 64 + column (6 bits), absolute on the mesh.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct CoreId(u16);

impl CoreId {
    /// The host, as the peer of a channel end: no core has id 0 (that part
    /// of the address space is every core's alias of its own memory), so a
    /// boot table names the host with it. Waking the host is
    /// [`crate::mesh::Mesh::notify_host`], not an interrupt.
    pub const HOST: CoreId = CoreId(0);

    /// True for [`CoreId::HOST`].
    pub const fn is_host(self) -> bool {
        self.0 == 0
    }

    /// The id of the core at absolute mesh `row`, `col` (each below 64).
    pub const fn from_row_col(row: u32, col: u32) -> CoreId {
        debug_assert!(row < 64 && col < 64);
        CoreId(((row & 0x3F) << 6 | (col & 0x3F)) as u16)
    }

    /// A core id from its 12-bit raw value (upper bits are dropped).
    pub const fn from_raw(raw: u16) -> CoreId {
        CoreId(raw & 0xFFF)
    }

    /// The 12-bit raw value.
    pub const fn raw(self) -> u16 {
        self.0
    }

    /// Absolute mesh row.
    pub const fn row(self) -> u32 {
        (self.0 as u32 >> 6) & 0x3F
    }

    /// Absolute mesh column.
    pub const fn col(self) -> u32 {
        self.0 as u32 & 0x3F
    }

    /// Manhattan distance on the mesh: the hops a write travels.
    pub const fn hops_to(self, other: CoreId) -> u32 {
        self.row().abs_diff(other.row()) + self.col().abs_diff(other.col())
    }
}

impl fmt::Debug for CoreId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CoreId({:#05x} = row {}, col {})", self.0, self.row(), self.col())
    }
}

impl fmt::Display for CoreId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#05x} (row {}, col {})", self.0, self.row(), self.col())
    }
}

/// A 32-bit Epiphany address.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct GlobalAddr(u32);

impl GlobalAddr {
    /// Wraps a raw address.
    pub const fn new(raw: u32) -> GlobalAddr {
        GlobalAddr(raw)
    }

    /// `offset` in the window of `core`.
    pub const fn on_core(core: CoreId, offset: u32) -> GlobalAddr {
        debug_assert!(offset < CORE_WINDOW);
        GlobalAddr((core.0 as u32) << 20 | (offset & (CORE_WINDOW - 1)))
    }

    /// The raw address.
    pub const fn raw(self) -> u32 {
        self.0
    }

    /// The core id field (0 for a local alias).
    pub const fn core_field(self) -> u16 {
        (self.0 >> 20) as u16
    }

    /// The offset inside the core window.
    pub const fn offset(self) -> u32 {
        self.0 & (CORE_WINDOW - 1)
    }

    /// True when the address aliases the executing core's own window.
    pub const fn is_local_alias(self) -> bool {
        self.core_field() == 0
    }

    /// Resolves the local alias: a local address becomes the same offset on
    /// `executing`; any other address is returned unchanged.
    pub const fn resolve(self, executing: CoreId) -> GlobalAddr {
        if self.is_local_alias() {
            GlobalAddr::on_core(executing, self.0)
        } else {
            self
        }
    }

    /// Splits into (core, offset); `None` for a local alias.
    pub const fn split(self) -> Option<(CoreId, u32)> {
        if self.is_local_alias() {
            None
        } else {
            Some((CoreId(self.core_field()), self.offset()))
        }
    }

    /// The address `bytes` further on.
    pub const fn add(self, bytes: u32) -> GlobalAddr {
        GlobalAddr(self.0.wrapping_add(bytes))
    }
}

impl fmt::Debug for GlobalAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GlobalAddr({:#010x})", self.0)
    }
}

impl fmt::Display for GlobalAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#010x}", self.0)
    }
}

/// What an offset inside a core window holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowRegion {
    /// SRAM, bank 0..3.
    Sram {
        /// Bank number (0..4).
        bank: u32,
    },
    /// The memory-mapped register block.
    Registers,
    /// Nothing: an access here is a memory fault.
    Unmapped,
}

/// Classifies an access of `len` bytes at `offset` in a core window.
pub const fn classify(offset: u32, len: u32) -> WindowRegion {
    let end = offset as u64 + len as u64;
    if end <= SRAM_SIZE as u64 {
        WindowRegion::Sram {
            bank: offset / SRAM_BANK_SIZE,
        }
    } else if offset >= REGS_BASE && end <= (REGS_BASE + REGS_SIZE) as u64 {
        WindowRegion::Registers
    } else {
        WindowRegion::Unmapped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallella_north_west_core() {
        let c = CoreId::from_row_col(32, 8);
        assert_eq!(c.raw(), 0x808);
        assert_eq!((c.row(), c.col()), (32, 8));
        assert_eq!(GlobalAddr::on_core(c, 0).raw(), 0x8080_0000);
    }

    #[test]
    fn parallella_16_corners() {
        // rows 32-35, cols 8-11: 0x808 ... 0x8CB, SRAM bases 0x80800000 ... 0x8CB00000
        let se = CoreId::from_row_col(35, 11);
        assert_eq!(se.raw(), 0x8CB);
        assert_eq!(GlobalAddr::on_core(se, 0).raw(), 0x8CB0_0000);
        assert_eq!(CoreId::from_row_col(33, 8).raw(), 0x848);
        assert_eq!(CoreId::from_row_col(39, 15).raw(), 0x9CF);
    }

    #[test]
    fn split_and_alias() {
        let a = GlobalAddr::new(0x8090_1234);
        assert_eq!(a.split(), Some((CoreId::from_raw(0x809), 0x1234)));
        let local = GlobalAddr::new(0x0000_0040);
        assert!(local.is_local_alias());
        assert_eq!(local.split(), None);
        let me = CoreId::from_row_col(33, 9);
        assert_eq!(local.resolve(me).raw(), 0x8490_0040);
        assert_eq!(a.resolve(me), a);
    }

    #[test]
    fn register_offsets_match_the_reference() {
        assert_eq!(reg::CONFIG, 0xF0400);
        assert_eq!(reg::STATUS, 0xF0404);
        assert_eq!(reg::IMASK, 0xF0424);
        assert_eq!(reg::ILAT, 0xF0428);
        assert_eq!(reg::ILATST, 0xF042C);
        assert_eq!(reg::ILATCL, 0xF0430);
        assert_eq!(reg::CTIMER0, 0xF0438);
        assert_eq!(reg::CTIMER1, 0xF043C);
        assert_eq!(reg::DMA0CONFIG, 0xF0500);
        assert_eq!(reg::DMA1CONFIG, 0xF0520);
        assert_eq!(reg::MESHCONFIG, 0xF0700);
        assert_eq!(reg::COREID, 0xF0704);
        assert_eq!(reg::RESETCORE, 0xF070C);
        assert_eq!(Irq::User.bit(), 1 << 9);
        assert_eq!(Irq::Wand.bit(), 1 << 8);
    }

    #[test]
    fn sram_bounds_and_regions() {
        assert_eq!(classify(0, 4), WindowRegion::Sram { bank: 0 });
        assert_eq!(classify(0x7FFC, 4), WindowRegion::Sram { bank: 3 });
        assert_eq!(classify(0x7FFE, 4), WindowRegion::Unmapped);
        assert_eq!(classify(0x8000, 1), WindowRegion::Unmapped);
        assert_eq!(classify(reg::COREID, 4), WindowRegion::Registers);
        assert_eq!(classify(0xF0FFC, 8), WindowRegion::Unmapped);
        assert_eq!(classify(0x2000, 4), WindowRegion::Sram { bank: 1 });
    }

    #[test]
    fn hops() {
        let a = CoreId::from_row_col(32, 8);
        let b = CoreId::from_row_col(35, 11);
        assert_eq!(a.hops_to(b), 6);
        assert_eq!(b.hops_to(a), 6);
        assert_eq!(a.hops_to(a), 0);
    }
}
