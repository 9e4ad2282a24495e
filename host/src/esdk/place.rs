//! Where a global address lands for e-hal: a core of the work group (its
//! row and column in the group, and the offset in its window) or the DRAM
//! window (the offset from its start). The work group is the whole board,
//! opened at the board's first core.
//!
//! The rules are the simulator's ([`crate::chip::Chip`]'s MUST list): SRAM
//! and DRAM take any access inside them; a register takes one aligned
//! 32-bit word, and only through `read_word`/`write_word`; anything else,
//! or a core-local alias, is refused before e-hal is called.
//!
//! # Examples
//! ```
//! use ecsp_device::addr::{reg, CoreId, GlobalAddr};
//! use ecsp_host::board::Board;
//! use ecsp_host::esdk::place::{place, Place};
//! let board = Board::default(); // Parallella-16: rows 32..36, cols 8..12
//! let core = CoreId::from_row_col(33, 10);
//! assert_eq!(
//!     place(&board, GlobalAddr::on_core(core, reg::ILATST), 4, true),
//!     Ok(Place::Register { row: 1, col: 2, offset: reg::ILATST })
//! );
//! assert_eq!(place(&board, GlobalAddr::new(0x8E00_0010), 8, false), Ok(Place::Dram { offset: 0x10 }));
//! ```

use crate::board::Board;
use crate::chip::ChipError;
use ecsp_device::addr::{classify, GlobalAddr, WindowRegion, REGS_BASE};

/// Where an access goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// SRAM of the core at (`row`, `col`) of the work group.
    Sram {
        /// Row in the work group.
        row: u32,
        /// Column in the work group.
        col: u32,
        /// Offset in the core's window.
        offset: u32,
    },
    /// A register of the core at (`row`, `col`): e-hal takes the register's
    /// full offset (0xF0000 and up).
    Register {
        /// Row in the work group.
        row: u32,
        /// Column in the work group.
        col: u32,
        /// Offset in the core's window.
        offset: u32,
    },
    /// The DRAM window, `offset` bytes from its start.
    Dram {
        /// Offset from the window's first byte.
        offset: u32,
    },
}

/// Where `len` bytes at `addr` land on `board`; `word` for `read_word` and
/// `write_word`, which may also reach a register.
pub fn place(board: &Board, addr: GlobalAddr, len: usize, word: bool) -> Result<Place, ChipError> {
    let Some((core, offset)) = addr.split() else {
        return Err(ChipError::LocalAlias { addr });
    };
    let (row, col) = (core.row(), core.col());
    let on_board = row >= board.first_row
        && row < board.first_row + board.rows
        && col >= board.first_col
        && col < board.first_col + board.cols;
    if on_board {
        let (row, col) = (row - board.first_row, col - board.first_col);
        let len32 = u32::try_from(len).unwrap_or(u32::MAX);
        return match classify(offset, len32) {
            WindowRegion::Sram { .. } => Ok(Place::Sram { row, col, offset }),
            WindowRegion::Registers if word && len == 4 && offset % 4 == 0 => Ok(Place::Register { row, col, offset }),
            _ if offset >= REGS_BASE => Err(ChipError::RegisterAccess { addr, len }),
            _ => Err(unmapped(board, addr, len)),
        };
    }
    let base = board.dram.epiphany_base;
    let rel = addr.raw().wrapping_sub(base);
    if addr.raw() >= base && rel as u64 + len as u64 <= board.dram.size as u64 {
        return Ok(Place::Dram { offset: rel });
    }
    Err(unmapped(board, addr, len))
}

fn unmapped(board: &Board, addr: GlobalAddr, len: usize) -> ChipError {
    ChipError::Unmapped {
        addr,
        len,
        board: board.name.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecsp_device::addr::{reg, CoreId};

    #[test]
    fn translates_the_parallella_16_map_like_the_simulator() {
        let board = Board::builtin("parallella-16").unwrap();
        let nw = CoreId::from_row_col(32, 8);
        let se = CoreId::from_row_col(35, 11);
        assert_eq!(
            place(&board, GlobalAddr::on_core(nw, 0x2000), 64, false),
            Ok(Place::Sram {
                row: 0,
                col: 0,
                offset: 0x2000
            })
        );
        assert_eq!(
            place(&board, GlobalAddr::on_core(se, 0x7FFC), 4, false),
            Ok(Place::Sram {
                row: 3,
                col: 3,
                offset: 0x7FFC
            })
        );
        // Past the end of SRAM, straddling it, and between SRAM and registers.
        for (offset, len) in [(0x7FFE, 4), (0x8000, 1), (0x1_0000, 4)] {
            assert!(matches!(
                place(&board, GlobalAddr::on_core(se, offset), len, true),
                Err(ChipError::Unmapped { .. })
            ));
        }
        // Registers: one aligned word through the word calls only.
        assert_eq!(
            place(&board, GlobalAddr::on_core(se, reg::COREID), 4, true),
            Ok(Place::Register {
                row: 3,
                col: 3,
                offset: reg::COREID
            })
        );
        for (offset, len, word) in [
            (reg::ILATST, 4, false),
            (reg::ILATST + 2, 4, true),
            (reg::ILATST, 8, true),
        ] {
            assert_eq!(
                place(&board, GlobalAddr::on_core(nw, offset), len, word),
                Err(ChipError::RegisterAccess {
                    addr: GlobalAddr::on_core(nw, offset),
                    len
                })
            );
        }
        // Cores off the board, the local alias.
        assert!(matches!(
            place(&board, GlobalAddr::on_core(CoreId::from_row_col(36, 8), 0), 4, false),
            Err(ChipError::Unmapped { .. })
        ));
        assert!(matches!(
            place(&board, GlobalAddr::on_core(CoreId::from_row_col(32, 12), 0), 4, false),
            Err(ChipError::Unmapped { .. })
        ));
        assert_eq!(
            place(&board, GlobalAddr::new(0x100), 4, false),
            Err(ChipError::LocalAlias {
                addr: GlobalAddr::new(0x100)
            })
        );
    }

    #[test]
    fn translates_the_dram_window() {
        let board = Board::builtin("parallella-16").unwrap();
        assert_eq!(
            place(&board, GlobalAddr::new(0x8E00_0000), 8, false),
            Ok(Place::Dram { offset: 0 })
        );
        assert_eq!(
            place(&board, GlobalAddr::new(0x8FFF_FFFC), 4, true),
            Ok(Place::Dram { offset: 0x01FF_FFFC })
        );
        for (raw, len) in [(0x8FFF_FFFC, 8), (0x9000_0000, 4), (0x8DFF_FFFC, 4)] {
            assert!(matches!(
                place(&board, GlobalAddr::new(raw), len, false),
                Err(ChipError::Unmapped { .. })
            ));
        }
    }

    #[test]
    fn the_parallella_64_group_is_8_by_8() {
        let board = Board::builtin("parallella-64").unwrap();
        assert_eq!(
            place(&board, GlobalAddr::on_core(CoreId::from_row_col(39, 15), 0), 4, false),
            Ok(Place::Sram {
                row: 7,
                col: 7,
                offset: 0
            })
        );
    }
}
