//! The simulated chip's memory: every core's 32 KiB SRAM and the board's DRAM
//! window, each one anonymous mapping reserved up front and backed by the
//! kernel only where it is touched, so opening a 64-core chip costs two
//! `mmap` calls.

use crate::board::Board;
use ecsp_device::addr::{classify, CoreId, GlobalAddr, WindowRegion, REGS_BASE, SRAM_SIZE};
use memmap2::MmapMut;

/// Where an address lands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// A core's SRAM: core index and host pointer.
    Sram { core: usize, ptr: *mut u8 },
    /// A core's register: core index and offset inside the register block.
    Register { core: usize, offset: u32 },
    /// The DRAM window.
    Dram { ptr: *mut u8 },
    /// Nothing.
    Unmapped,
}

/// The simulated address space.
pub(crate) struct Memory {
    /// Owns the SRAM mapping; accessed only through `sram_ptr`.
    _sram: MmapMut,
    /// Owns the DRAM mapping; accessed only through `dram_ptr`.
    _dram: MmapMut,
    /// Base of the SRAM mapping, taken once from a unique borrow so writes
    /// through it never come from a shared reference.
    sram_ptr: *mut u8,
    sram_len: usize,
    /// Base of the DRAM mapping, likewise.
    dram_ptr: *mut u8,
    dram_len: usize,
    first_row: u32,
    first_col: u32,
    rows: u32,
    cols: u32,
    dram_base: u32,
    dram_size: u32,
}

// SAFETY: the pointers point into mappings owned by `Memory` that live as
// long as it; all concurrent access through them uses atomics (see
// `ecsp_device::mesh::copy_to_shared`).
unsafe impl Send for Memory {}
// SAFETY: as above.
unsafe impl Sync for Memory {}

impl Memory {
    /// Reserves SRAM for every core of `board` and its DRAM window.
    pub(crate) fn new(board: &Board) -> std::io::Result<Memory> {
        let cores = (board.rows * board.cols) as usize;
        let mut sram = MmapMut::map_anon(cores * SRAM_SIZE as usize)?;
        let mut dram = MmapMut::map_anon(board.dram.size as usize)?;
        Ok(Memory {
            sram_ptr: sram.as_mut_ptr(),
            sram_len: sram.len(),
            dram_ptr: dram.as_mut_ptr(),
            dram_len: dram.len(),
            _sram: sram,
            _dram: dram,
            first_row: board.first_row,
            first_col: board.first_col,
            rows: board.rows,
            cols: board.cols,
            dram_base: board.dram.epiphany_base,
            dram_size: board.dram.size,
        })
    }

    /// Index of `core` (row-major inside the chip), if it is on the chip.
    /// The DRAM mapping: its first byte, its size and its global address.
    pub(crate) fn dram(&self) -> (*mut u8, u32, u32) {
        (self.dram_ptr, self.dram_size, self.dram_base)
    }

    pub(crate) fn core_index(&self, core: CoreId) -> Option<usize> {
        let (row, col) = (core.row(), core.col());
        if row >= self.first_row
            && row < self.first_row + self.rows
            && col >= self.first_col
            && col < self.first_col + self.cols
        {
            Some(((row - self.first_row) * self.cols + (col - self.first_col)) as usize)
        } else {
            None
        }
    }

    /// Host pointer to the SRAM of core `index`.
    pub(crate) fn sram_base(&self, index: usize) -> *mut u8 {
        debug_assert!(index < (self.rows * self.cols) as usize);
        // SAFETY: `index` is below the core count the mapping was sized for.
        unsafe { self.sram_ptr.add(index * SRAM_SIZE as usize) }
    }

    /// Where `len` bytes at global `addr` land. `addr` must not be a local alias.
    #[inline]
    pub(crate) fn translate(&self, addr: GlobalAddr, len: usize) -> Target {
        let raw = addr.raw();
        if let Some((core, offset)) = addr.split() {
            if let Some(index) = self.core_index(core) {
                return match classify(offset, len as u32) {
                    WindowRegion::Sram { .. } => Target::Sram {
                        core: index,
                        // SAFETY: offset + len <= SRAM_SIZE (classify), inside this core's SRAM.
                        ptr: unsafe { self.sram_base(index).add(offset as usize) },
                    },
                    WindowRegion::Registers if len == 4 && offset % 4 == 0 => Target::Register {
                        core: index,
                        offset: offset - REGS_BASE,
                    },
                    _ => Target::Unmapped,
                };
            }
        }
        let rel = raw.wrapping_sub(self.dram_base);
        if raw >= self.dram_base && (rel as u64 + len as u64) <= self.dram_size as u64 {
            // SAFETY: rel + len <= dram_size, inside the DRAM mapping.
            let ptr = unsafe { self.dram_ptr.add(rel as usize) };
            return Target::Dram { ptr };
        }
        Target::Unmapped
    }

    /// Zeroes every core's SRAM and the DRAM window by handing their pages
    /// back to the kernel: the next touch of a page reads zeros, and memory
    /// nobody touches again stays uncommitted (a run that used 1 KiB of DRAM
    /// does not cost a 32 MiB memset on reset).
    ///
    /// # Safety
    /// Nothing else accesses the memory meanwhile (the chip is halted and no
    /// worker runs).
    pub(crate) unsafe fn clear(&self) {
        for (map, ptr, len) in [
            (&self._sram, self.sram_ptr, self.sram_len),
            (&self._dram, self.dram_ptr, self.dram_len),
        ] {
            // SAFETY: MADV_DONTNEED on a private anonymous mapping replaces its
            // pages with zero pages; no reference into the mapping is live
            // (caller's duty), and the raw pointers stay valid.
            if unsafe { map.unchecked_advise(memmap2::UncheckedAdvice::DontNeed) }.is_err() {
                // Some kernels refuse the advice: zero by hand.
                // SAFETY: the pointer covers the whole mapping; exclusive access.
                unsafe { std::ptr::write_bytes(ptr, 0, len) };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translates_the_parallella_16_map() {
        let board = Board::builtin("parallella-16").unwrap();
        let m = Memory::new(&board).unwrap();
        let nw = CoreId::from_row_col(32, 8);
        let se = CoreId::from_row_col(35, 11);
        assert_eq!(m.core_index(nw), Some(0));
        assert_eq!(m.core_index(se), Some(15));
        assert_eq!(m.core_index(CoreId::from_row_col(36, 8)), None);
        match m.translate(GlobalAddr::on_core(se, 0x7FFC), 4) {
            Target::Sram { core, .. } => assert_eq!(core, 15),
            t => panic!("{t:?}"),
        }
        assert_eq!(m.translate(GlobalAddr::on_core(se, 0x7FFE), 4), Target::Unmapped);
        assert_eq!(m.translate(GlobalAddr::on_core(se, 0x8000), 1), Target::Unmapped);
        assert_eq!(
            m.translate(GlobalAddr::on_core(nw, 0xF0704), 4),
            Target::Register { core: 0, offset: 0x704 }
        );
        assert!(matches!(
            m.translate(GlobalAddr::new(0x8E00_0000), 8),
            Target::Dram { .. }
        ));
        assert!(matches!(
            m.translate(GlobalAddr::new(0x8FFF_FFFC), 4),
            Target::Dram { .. }
        ));
        assert_eq!(m.translate(GlobalAddr::new(0x8FFF_FFFC), 8), Target::Unmapped);
        assert_eq!(m.translate(GlobalAddr::new(0x9000_0000), 4), Target::Unmapped);
    }

    #[test]
    fn opening_64_cores_is_cheap() {
        // Reserving is lazy: this must not touch 64 * 32 KiB + 32 MiB of pages.
        let board = Board::builtin("parallella-64").unwrap();
        let m = Memory::new(&board).unwrap();
        assert_eq!(m.core_index(CoreId::from_row_col(39, 15)), Some(63));
    }
}
