//! The eSDK backend: the [`Chip`] trait over a real
//! Epiphany, through the Epiphany SDK's host library (e-hal, e-loader).
//!
//! `EsdkChip::open` (with the `esdk` feature) initialises e-hal with the
//! board's platform description (HDF), checks that the board's cores are on
//! the platform, opens the whole chip as one work group and maps the board's
//! DRAM window, where the host's channel blocks live. The runtime then drives
//! it exactly as it drives the simulator (the same plan, boot tables, host
//! channels and run/join code):
//!
//! - `reset`: `e_reset_group`, then `e_load_group` of the device image (the C
//!   runtime, `ecsp-device.elf`) without starting it; the loader zeroes every
//!   core's SRAM, and the runtime then writes the boot tables at 0x4000.
//! - `write`/`read`/`write_word`/`read_word`: `e_write`/`e_read` on the work
//!   group (SRAM, and registers for one aligned word) or on the DRAM window,
//!   the address translated by [`place`].
//! - `start`: SYNC written to each listed core's ILATST, as `e_start` does.
//! - `halt`: `e_halt` on every core, then a wait until each reports halted.
//! - `faults`: the boot header of each started core (`core_status`
//!   FAULTED, `fault_task`, `boot_error`), see [`fault`].
//! - No host interrupt is wired, so `wait_event` sleeps at most 1 ms, and
//!   `stalled` is always false: a deadlock on silicon ends at the run's
//!   timeout, with the same report of who waits on what.
//! - `ticks_per_second` is the 600 MHz core clock the C runtime counts with
//!   CTIMER0; `state_layout` gives the C runtime's state sizes.
//!
//! What needs no eSDK lives here without the feature and is tested
//! everywhere: the address translation ([`place`]), the device image's ELF
//! header check ([`image`]), the choice of HDF file and the check of the
//! board against the platform ([`platform`]), the reading of a core's fault
//! ([`fault`]) and every error's text ([`EsdkError`]).
//!
//! # Status
//! The FFI part (`EsdkChip`) is linked against e-hal 2016.11 and runs on
//! its esim target (the eSDK's Parallella-16 simulator) with the device
//! image built by GCC 12: the demo and commstime give the simulator's
//! results and `host/tests/esdk_silicon.rs` passes there. It has not run on
//! a board. On esim two things differ (see `chip.rs`): the host channels
//! live in a shared region from `e_shm_alloc`, and `halt` only asks.

mod error;
pub mod fault;
pub mod image;
pub mod place;
pub mod platform;

#[cfg(feature = "esdk")]
mod chip;

#[cfg(feature = "esdk")]
pub use chip::{EsdkChip, Images};
pub use error::{EsdkError, ImageProblem};

use crate::board::Board;
use crate::chip::Chip;
use std::path::PathBuf;
use std::sync::Arc;

/// Ticks per second of the clock the C runtime measures time with: CTIMER0
/// counts the Epiphany's core clock, 600 MHz on the Parallella
/// (`ECSP_CLOCK_HZ` in `device/c/include/ecsp/hal.h`).
pub const TICKS_PER_SECOND: u64 = 600_000_000;

/// True when this build of ecsp carries the eSDK backend (the `esdk` feature).
pub const COMPILED_IN: bool = cfg!(feature = "esdk");

/// Opens the real chip of `board` through the eSDK, loading `device_image`
/// (default: the image ecsp was built with), as a shared [`Chip`]. Without
/// the `esdk` feature it fails with [`EsdkError::NotCompiled`].
///
/// # Examples
/// ```
/// use ecsp_host::board::Board;
/// use ecsp_host::esdk;
/// if !esdk::COMPILED_IN {
///     let e = esdk::open(Board::default(), None).err().unwrap();
///     assert!(e.to_string().contains("--features esdk"));
/// }
/// ```
pub fn open(board: Board, device_image: Option<PathBuf>) -> Result<Arc<dyn Chip>, EsdkError> {
    #[cfg(feature = "esdk")]
    {
        // Given an image, every core runs it; else an image per core, built
        // at run time with the Epiphany compiler, when there is one; else
        // the image ecsp was built with.
        let image = match device_image {
            Some(path) => Some(path),
            None if crate::kernels::compile::Compiler::epiphany().is_ok() => None,
            None => Some(image::resolve(None, ecsp_device::c_runtime::DEVICE_ELF)?),
        };
        Ok(Arc::new(EsdkChip::open(board, image)?))
    }
    #[cfg(not(feature = "esdk"))]
    {
        let _ = (board, device_image);
        Err(EsdkError::NotCompiled)
    }
}
