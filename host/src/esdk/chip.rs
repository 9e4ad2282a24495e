//! [`EsdkChip`]: the [`Chip`] trait over the eSDK's e-hal and e-loader
//! (feature `esdk`).
//!
//! Run against e-hal 2016.11 on its esim target (`EHAL_TARGET=esim`, the
//! eSDK's Parallella-16 simulator), not yet on a board. esim's e-hal maps
//! nothing for `e_alloc`, so there the DRAM window is a shared region from
//! `e_shm_alloc` (the board's DRAM window, as this chip reports it, is that
//! region); and esim models no DEBUGCMD, so `halt` only asks.
//!
//! e-hal keeps one platform per process (its `e_init` fills a global), so
//! one `EsdkChip` at a time may be open ([`EsdkError::AlreadyOpen`]). Its
//! calls are serialised by a mutex: they are plain loads and stores through
//! uncached mappings of `/dev/epiphany/mesh0`, and the lock also orders a
//! host thread's writes before another's.

use super::place::{place, Place};
use super::platform::{self, PlatformGeometry};
use super::{fault, image, EsdkError, TICKS_PER_SECOND};
use crate::board::Board;
use crate::chip::{Chip, ChipError, CoreCounters, CoreFault, HostWindow};
use crate::kernels::cache::Cache;
use crate::kernels::image as kimage;
use crate::kernels::sim::LoadReport;
use crate::network::Network;
use crate::plan::Plan;
use ecsp_device::addr::{reg, CoreId, GlobalAddr, Irq};
use ecsp_device::boot::BOOT_OFFSET;
use ecsp_device::message::Dtype;
use epiphany_sys as sys;
use std::alloc::Layout;
use std::ffi::{c_char, c_void, CString};
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::sync::atomic::{fence, AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// e-hal's success code.
const E_OK: i32 = sys::e_return_stat_t_E_OK;
/// DEBUGSTATUS bit 0: the core is halted.
const DEBUGSTATUS_HALTED: u32 = 1;
/// How long `halt` waits for every core to report halted.
const HALT_WAIT: Duration = Duration::from_millis(100);
/// Longest `wait_event` sleeps: nothing on the chip can wake the host.
const POLL: Duration = Duration::from_millis(1);

/// Set while an [`EsdkChip`] is open in this process.
static OPEN: AtomicBool = AtomicBool::new(false);

/// This process's claim on e-hal's one platform; released on drop.
struct Claim;

impl Claim {
    fn take() -> Result<Claim, EsdkError> {
        OPEN.compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .map(|_| Claim)
            .map_err(|_| EsdkError::AlreadyOpen)
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        OPEN.store(false, Ordering::Release);
    }
}

/// e-hal initialised by `e_init`; `e_finalize` on drop.
struct Platform {
    _claim: Claim,
}

impl Drop for Platform {
    fn drop(&mut self) {
        // SAFETY: a Platform exists only after e_init succeeded, and every
        // group and window made under it is gone first (EsdkChip drops its
        // handles before its platform; `open` drops them in reverse order).
        unsafe { sys::e_finalize() };
    }
}

/// The work group `e_open` opened; `e_reset_group` and `e_close` on drop.
struct Group {
    /// Boxed: e-hal's handle stays at one address for its whole life.
    dev: Box<sys::e_epiphany_t>,
}

impl Drop for Group {
    fn drop(&mut self) {
        let dev: *mut sys::e_epiphany_t = &mut *self.dev;
        // SAFETY: e_open succeeded on `dev` (a Group exists only then) and
        // the platform is still initialised (dropped after every Group).
        unsafe {
            sys::e_reset_group(dev);
            sys::e_close(dev);
        }
    }
}

/// The DRAM window `e_alloc` (or on esim `e_shm_alloc`) mapped; `e_free`
/// (and `e_shm_release`) on drop.
struct Window {
    /// Boxed, as the group's handle.
    mem: Box<sys::e_mem_t>,
    /// Set when the window is the named shared region [`ESIM_WINDOW_NAME`].
    shared: bool,
}

impl Drop for Window {
    fn drop(&mut self) {
        // SAFETY: e_alloc or e_shm_alloc succeeded on `mem` (a Window
        // exists only then), the platform is still initialised, and the
        // chip's HostWindow, which points into the mapping, is dropped with
        // the chip. e_free leaves a shared region mapped (e-hal's rule);
        // e_shm_release gives its name back.
        unsafe {
            sys::e_free(&mut *self.mem);
            if self.shared {
                sys::e_shm_release(ESIM_WINDOW_NAME.as_ptr());
            }
        }
    }
}

impl Window {
    /// Where the cores see the window's first byte. e-hal describes a
    /// shared region by its table's base (`ephy_base`) and the region's
    /// offset in it (`page_offset`); a plain window starts at `ephy_base`.
    fn epiphany_base(&self) -> u64 {
        if self.shared {
            self.mem.ephy_base as u64 + self.mem.page_offset as u64
        } else {
            self.mem.ephy_base as u64
        }
    }
}

/// The name of the shared DRAM region ecsp's host channels use on esim.
const ESIM_WINDOW_NAME: &std::ffi::CStr = c"ecsp";
/// Its size: the shared-region heap of e-hal is 16 MiB less its table.
const ESIM_WINDOW_SIZE: u32 = 8 << 20;

/// e-hal's objects, used under [`EsdkChip`]'s lock. Fields drop in order:
/// the group (reset, close), then the window (free).
struct Handles {
    group: Group,
    window: Window,
}

// SAFETY: the handles are e-hal's descriptions of mappings and heap blocks
// of this process; e-hal keeps no per-thread state, and EsdkChip uses them
// from one thread at a time (under its mutex).
unsafe impl Send for Handles {}

/// What the cores of an [`EsdkChip`] run.
#[derive(Debug)]
pub enum Images {
    /// One prebuilt image on every core (`--device-image`, or the one ecsp
    /// was built with): the kinds it was built with, no users' kernels.
    One {
        /// The image, for messages.
        path: PathBuf,
        /// The image, for e-loader.
        path_c: CString,
        /// The kinds and dtypes it runs.
        carries: image::Carries,
    },
    /// An image per core carrying only the kinds that core runs, users'
    /// kernels among them, built at run time with the Epiphany compiler
    /// (and cached): `crate::kernels::image`.
    PerCore,
}

/// A real Epiphany, driven through the eSDK's e-hal and e-loader.
///
/// The work group is the whole board: every core from the board's first
/// one. The cores run ecsp's C runtime: an image per core built for the
/// kinds it runs ([`Images::PerCore`], loaded by [`Chip::load_kinds`]), or
/// one prebuilt image loaded on every core by each [`Chip::reset`]
/// ([`Images::One`]); the runtime then writes the boot tables and starts
/// the cores it uses.
pub struct EsdkChip {
    board: Board,
    /// What the cores run: one image for all, or one each built at run time.
    images: Images,
    /// e-hal drives esim (EHAL_TARGET=esim), not a chip.
    simulated: bool,
    /// The host's view of the DRAM window (points into `handles`' mapping).
    window: HostWindow,
    /// Cores started since the last reset: those whose faults count.
    started: Mutex<Vec<CoreId>>,
    /// e-hal's group and window. Dropped before `platform`.
    handles: Mutex<Handles>,
    /// Dropped last: `e_finalize` once the group and window are gone.
    _platform: Platform,
}

impl std::fmt::Debug for EsdkChip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EsdkChip")
            .field("board", &self.board.name)
            .field("images", &self.images)
            .finish_non_exhaustive()
    }
}

/// Maps the board's whole DRAM window from its start (`e_alloc`).
fn open_dram_window(board: &Board) -> Result<Window, EsdkError> {
    // SAFETY: as for e_platform_t: integers and raw pointers only.
    let mut mem: Box<sys::e_mem_t> = Box::new(unsafe { std::mem::zeroed() });
    // SAFETY: the platform is initialised and `mem` is a valid handle for
    // e_alloc to fill; it maps the board's DRAM from its start.
    if unsafe { sys::e_alloc(&mut *mem, 0, board.dram.size as usize) } != E_OK {
        return Err(EsdkError::call(
            "e_alloc",
            format!("the DRAM window, {} MiB from its start", board.dram.size >> 20),
        ));
    }
    Ok(Window { mem, shared: false })
}

/// Maps a named shared DRAM region of [`ESIM_WINDOW_SIZE`] bytes
/// (`e_shm_alloc`), on esim.
fn open_shared_window() -> Result<Window, EsdkError> {
    // SAFETY: as for e_platform_t: integers and raw pointers only.
    let mut mem: Box<sys::e_mem_t> = Box::new(unsafe { std::mem::zeroed() });
    // SAFETY: the platform is initialised, `mem` is a valid handle for
    // e_shm_alloc to fill and the name is a NUL-terminated string it only reads.
    if unsafe { sys::e_shm_alloc(&mut *mem, ESIM_WINDOW_NAME.as_ptr(), ESIM_WINDOW_SIZE as usize) } != E_OK {
        return Err(EsdkError::call(
            "e_shm_alloc",
            format!(
                "a shared DRAM region `ecsp` of {} MiB for host channels on esim (is one left from an earlier run? restart esim)",
                ESIM_WINDOW_SIZE >> 20
            ),
        ));
    }
    Ok(Window { mem, shared: true })
}

/// `path` as a C string for e-hal; a path with a NUL byte cannot be one.
fn c_path(path: &Path, what: impl FnOnce(String) -> EsdkError) -> Result<CString, EsdkError> {
    CString::new(path.as_os_str().as_encoded_bytes()).map_err(|_| what("the path contains a NUL byte".to_string()))
}

/// An offset e-hal takes (`off_t`, 32 bits on the Parallella's ARM): every
/// offset ecsp passes is below 32 MiB, the DRAM window's size.
fn off(offset: u32) -> sys::off_t {
    debug_assert!(offset < 1 << 31);
    offset as sys::off_t
}

impl EsdkChip {
    /// Opens the chip of `board` through e-hal. With `Some(device_image)` its
    /// cores run that image (checked to be an Epiphany executable of this
    /// ecsp; loaded by [`Chip::reset`]); with `None`, an image per core built
    /// at run time (an Epiphany compiler must be at hand then).
    ///
    /// The HDF handed to `e_init` is the board's file, or for a built-in
    /// board the eSDK's (`EPIPHANY_HDF`, else
    /// `$EPIPHANY_HOME/bsps/current/platform.hdf`): see
    /// [`platform::hdf_path`].
    ///
    /// # Errors
    /// [`EsdkError::BadImage`] for a missing or foreign image,
    /// [`EsdkError::NoHdf`], [`EsdkError::AlreadyOpen`], [`EsdkError::Init`],
    /// [`EsdkError::Geometry`] when the board's cores are not all on the
    /// platform, [`EsdkError::DramMismatch`], or [`EsdkError::Call`] naming
    /// the e-hal call that failed.
    pub fn open(board: Board, device_image: Option<PathBuf>) -> Result<EsdkChip, EsdkError> {
        let images = match device_image {
            Some(path) => {
                let carries = image::read_file(&path)?;
                let path_c = c_path(&path, |e| EsdkError::BadImage {
                    path: path.clone(),
                    problem: super::ImageProblem::Unreadable(e),
                })?;
                Images::One { path, path_c, carries }
            }
            None => Images::PerCore,
        };
        let hdf = platform::hdf_path(&board, &|name| std::env::var_os(name))?;
        let hdf_c = c_path(&hdf, |e| EsdkError::NoHdf {
            board: board.name.clone(),
            looked: format!("{}: {e}", hdf.display()),
        })?;
        let claim = Claim::take()?;
        // SAFETY: e_init reads the NUL-terminated path (it is declared
        // `char *` but never written through) and fills e-hal's
        // process-wide platform; the claim makes this the only e_init
        // without an e_finalize in this process.
        if unsafe { sys::e_init(hdf_c.as_ptr() as *mut c_char) } != E_OK {
            return Err(EsdkError::Init { hdf });
        }
        let platform = Platform { _claim: claim };

        // SAFETY: e_platform_t is a C struct of integers, a char array and
        // raw pointers: all-zero bytes are a valid value of it.
        let mut info: sys::e_platform_t = unsafe { std::mem::zeroed() };
        // SAFETY: the platform is initialised; `info` is a valid
        // e_platform_t to copy into (e-hal nulls its chip and emem pointers).
        if unsafe { sys::e_get_platform_info(&mut info) } != E_OK {
            return Err(EsdkError::call(
                "e_get_platform_info",
                format!("after e_init with {}", hdf.display()),
            ));
        }
        let geometry = PlatformGeometry {
            row: info.row,
            col: info.col,
            rows: info.rows,
            cols: info.cols,
        };
        let (row, col) = platform::group_origin(&board, geometry, &hdf)?;
        // e-hal's esim target (EHAL_TARGET=esim) maps nothing for e_alloc:
        // its buffer pointer is left unset, and only e_read/e_write reach
        // the simulator's DRAM. A region from e_shm_alloc is mapped, so on
        // esim the host channels live in one (see `open_window`).
        let simulated = info.type_ == sys::e_platformtype_t_E_PARALLELLASIM;
        let mut board = board;

        // SAFETY: as for e_platform_t: integers and raw pointers only.
        let mut dev: Box<sys::e_epiphany_t> = Box::new(unsafe { std::mem::zeroed() });
        // SAFETY: the platform is initialised and `dev` is a valid handle
        // for e_open to fill; the group lies on the platform (group_origin).
        // On failure e_open may leave `dev` half made, so it is not closed.
        if unsafe { sys::e_open(&mut *dev, row, col, board.rows, board.cols) } != E_OK {
            return Err(EsdkError::call(
                "e_open",
                format!(
                    "{}x{} cores from ({row}, {col}) of the platform in {}",
                    board.rows,
                    board.cols,
                    hdf.display()
                ),
            ));
        }
        let group = Group { dev };

        let window = if simulated {
            let window = open_shared_window()?;
            // The board's DRAM window, as planner and address translation
            // see it, is that region.
            board.dram.epiphany_base = window.epiphany_base() as u32;
            board.dram.host_base = (window.mem.phy_base as u64 + window.mem.page_offset as u64) as u32;
            board.dram.size = ESIM_WINDOW_SIZE;
            window
        } else {
            open_dram_window(&board)?
        };
        // e-hal's `off_t` is 32 bits on the board: the low 32 bits are the address.
        let platform_base = window.epiphany_base() as u32;
        if platform_base != board.dram.epiphany_base {
            return Err(EsdkError::DramMismatch {
                board: board.name.clone(),
                board_base: board.dram.epiphany_base,
                platform_base,
            });
        }
        let base = NonNull::new(window.mem.base as *mut u8)
            .filter(|p| p.as_ptr() as usize % 8 == 0)
            .ok_or_else(|| EsdkError::call("e_alloc", "it mapped the DRAM window at no 8-byte aligned address"))?;
        // SAFETY: e_alloc mapped `board.dram.size` bytes at `base` (8-byte
        // aligned, checked), readable and writable, until e_free when the
        // chip drops; the cores see them from `ephy_base`, which is the
        // board's DRAM base (checked above).
        let host_window = unsafe { HostWindow::new(base, board.dram.size, GlobalAddr::new(board.dram.epiphany_base)) };

        Ok(EsdkChip {
            board,
            images,
            simulated,
            window: host_window,
            started: Mutex::new(Vec::new()),
            handles: Mutex::new(Handles { group, window }),
            _platform: platform,
        })
    }

    /// What the cores run.
    pub fn images(&self) -> &Images {
        &self.images
    }

    fn handles(&self) -> MutexGuard<'_, Handles> {
        self.handles.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `e_write` or `e_read` (`write`) of `len` bytes at `buf`, at `at`
    /// (translated from `addr`).
    ///
    /// # Safety
    /// - `buf` is valid for `len` bytes of reads (`write`) or writes, and
    ///   4-byte aligned when `at` is a register.
    unsafe fn access(
        &self,
        addr: GlobalAddr,
        at: Place,
        buf: *mut c_void,
        len: usize,
        write: bool,
    ) -> Result<(), ChipError> {
        if len == 0 {
            return Ok(());
        }
        let mut handles = self.handles();
        let (dev, row, col, offset): (*mut c_void, u32, u32, u32) = match at {
            Place::Sram { row, col, offset } | Place::Register { row, col, offset } => (
                (&mut *handles.group.dev as *mut sys::e_epiphany_t).cast(),
                row,
                col,
                offset,
            ),
            Place::Dram { offset } => ((&mut *handles.window.mem as *mut sys::e_mem_t).cast(), 0, 0, offset),
        };
        let done = if write {
            // SAFETY: (1) `dev` is an open group or an allocated window (both
            // live while `handles` is locked); (2) `place` checked that
            // `len` bytes at (row, col, offset) lie inside a core's SRAM or
            // are one aligned register word, or lie inside the window;
            // (3) `buf` holds `len` bytes, aligned for a register (caller duty).
            unsafe { sys::e_write(dev, row, col, off(offset), buf, len) }
        } else {
            // SAFETY: as for e_write, `buf` being writable (caller duty).
            unsafe { sys::e_read(dev, row, col, off(offset), buf, len) }
        };
        if done != len as isize {
            let call = if write { "e_write" } else { "e_read" };
            return Err(EsdkError::call(call, format!("{len} bytes at {addr} returned {done}")).into());
        }
        Ok(())
    }

    /// Rows and columns of the work group, as e-hal's loops take them.
    fn cores(&self) -> impl Iterator<Item = (u32, u32)> {
        let cols = self.board.cols;
        (0..self.board.rows * cols).map(move |i| (i / cols, i % cols))
    }

    /// The core at (row, col) of the group.
    fn core_at(&self, row: u32, col: u32) -> CoreId {
        CoreId::from_row_col(self.board.first_row + row, self.board.first_col + col)
    }
}

impl Chip for EsdkChip {
    fn board(&self) -> &Board {
        &self.board
    }

    fn backend(&self) -> &'static str {
        "esdk"
    }

    fn write(&self, addr: GlobalAddr, data: &[u8]) -> Result<(), ChipError> {
        let at = place(&self.board, addr, data.len(), false)?;
        // Release: what the host wrote before (a payload, its own DRAM) is
        // written before this (a count), as host channels need.
        fence(Ordering::Release);
        // SAFETY: `data` holds its length in bytes and is only read; `at`
        // is never a register here (`word` is false).
        unsafe { self.access(addr, at, data.as_ptr() as *mut c_void, data.len(), true) }
    }

    fn read(&self, addr: GlobalAddr, buf: &mut [u8]) -> Result<(), ChipError> {
        let at = place(&self.board, addr, buf.len(), false)?;
        // SAFETY: `buf` is writable for its length; never a register here.
        unsafe { self.access(addr, at, buf.as_mut_ptr().cast(), buf.len(), false) }?;
        fence(Ordering::Acquire);
        Ok(())
    }

    fn write_word(&self, addr: GlobalAddr, value: u32) -> Result<(), ChipError> {
        let at = place(&self.board, addr, 4, true)?;
        // The chip is little-endian: these bytes are the word in memory.
        let word = value.to_le();
        fence(Ordering::Release);
        // SAFETY: a local u32: 4 readable bytes, 4-byte aligned.
        unsafe { self.access(addr, at, &word as *const u32 as *mut c_void, 4, true) }
    }

    fn read_word(&self, addr: GlobalAddr) -> Result<u32, ChipError> {
        let at = place(&self.board, addr, 4, true)?;
        let mut word = 0u32;
        // SAFETY: a local u32: 4 writable bytes, 4-byte aligned.
        unsafe { self.access(addr, at, (&mut word as *mut u32).cast(), 4, false) }?;
        fence(Ordering::Acquire);
        Ok(u32::from_le(word))
    }

    fn start(&self, cores: &[CoreId]) -> Result<(), ChipError> {
        for &core in cores {
            if !self.board.contains_core_id(core.raw()) {
                return Err(ChipError::NoSuchCore {
                    core,
                    board: self.board.name.clone(),
                });
            }
        }
        // Noted first: a core that faults at once is already watched.
        self.started
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(cores);
        // SYNC through ILATST, as e_start does: the loaded image's reset
        // vector runs.
        for &core in cores {
            self.write_word(GlobalAddr::on_core(core, reg::ILATST), Irq::Sync.bit())?;
        }
        Ok(())
    }

    fn halt(&self) -> Result<(), ChipError> {
        {
            let mut handles = self.handles();
            let dev: *mut sys::e_epiphany_t = &mut *handles.group.dev;
            for (row, col) in self.cores() {
                // SAFETY: `dev` is the open group (locked), (row, col) is in it.
                if unsafe { sys::e_halt(dev, row, col) } != E_OK {
                    return Err(EsdkError::call("e_halt", format!("core {}", self.core_at(row, col))).into());
                }
            }
        }
        // e_halt only asks (DEBUGCMD); the Chip contract returns once no
        // core runs, which DEBUGSTATUS tells. esim models neither register
        // (DEBUGSTATUS stays 0): there the request is all there is, and the
        // runtime's cores, finished or failed, are idle already.
        if self.simulated {
            return Ok(());
        }
        let deadline = Instant::now() + HALT_WAIT;
        for (row, col) in self.cores() {
            let core = self.core_at(row, col);
            loop {
                let status = self.read_word(GlobalAddr::on_core(core, reg::DEBUGSTATUS))?;
                if status & DEBUGSTATUS_HALTED != 0 {
                    break;
                }
                if Instant::now() >= deadline {
                    return Err(EsdkError::call(
                        "e_halt",
                        format!("core {core} still runs after {HALT_WAIT:?} (DEBUGSTATUS {status:#x})"),
                    )
                    .into());
                }
                std::thread::yield_now();
            }
        }
        Ok(())
    }

    fn reset(&self) -> Result<(), ChipError> {
        let mut handles = self.handles();
        let dev: *mut sys::e_epiphany_t = &mut *handles.group.dev;
        // SAFETY: `dev` is the open group, locked.
        if unsafe { sys::e_reset_group(dev) } != E_OK {
            return Err(EsdkError::call("e_reset_group", format!("{} cores", self.board.num_cores())).into());
        }
        if let Images::One { path, path_c, .. } = &self.images {
            // SAFETY: `dev` is the open group, locked; the image path is a
            // NUL-terminated string that e-loader only reads; the range is the
            // whole group. Not started: the runtime writes boot tables first.
            let loaded = unsafe {
                sys::e_load_group(
                    path_c.as_ptr(),
                    dev,
                    0,
                    0,
                    self.board.rows,
                    self.board.cols,
                    sys::e_bool_t_E_FALSE,
                )
            };
            if loaded != E_OK {
                return Err(EsdkError::Load {
                    image: path.clone(),
                    rows: self.board.rows,
                    cols: self.board.cols,
                }
                .into());
            }
        }
        self.started.lock().unwrap_or_else(|e| e.into_inner()).clear();
        Ok(())
    }

    fn wait_event(&self, timeout: Duration) {
        std::thread::sleep(timeout.min(POLL));
    }

    fn stalled(&self) -> bool {
        // Silicon cannot tell an idle core waiting on the host from a deadlock.
        false
    }

    fn counters(&self) -> Option<Vec<CoreCounters>> {
        None
    }

    fn faults(&self) -> Vec<CoreFault> {
        let started = self.started.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let mut faults = Vec::new();
        for core in started {
            let mut bytes = [0u8; 12];
            let at = GlobalAddr::on_core(core, BOOT_OFFSET + fault::FAULT_WORDS_OFFSET);
            match self.read(at, &mut bytes) {
                Ok(()) => {
                    let word = |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
                    faults.extend(fault::fault_of(core, [word(0), word(4), word(8)]));
                }
                Err(e) => faults.push(CoreFault {
                    core,
                    task: None,
                    message: format!("its boot header could not be read: {e}"),
                }),
            }
        }
        faults
    }

    fn ticks_per_second(&self) -> u64 {
        TICKS_PER_SECOND
    }

    fn host_window(&self) -> HostWindow {
        self.window
    }

    fn state_layout(&self, kind: u32, dtype: Dtype) -> Option<Layout> {
        // On silicon every process is C, and a C state's size does not
        // depend on the message type; the C runtime ignores KIND_C_FLAG.
        // A kind or dtype a prebuilt image was built without has no state:
        // the planner refuses the process (PlanError::NoStateSize). Images
        // built per core carry what their core runs.
        if let Images::One { carries, .. } = &self.images {
            let id = kind & !ecsp_device::c_runtime::C_KIND_FLAG;
            if !carries.kind(id) || !carries.dtype(dtype) {
                return None;
            }
        }
        ecsp_device::c_runtime::device_state_layout(kind)
    }

    fn load_kinds(&self, net: &Network, plan: &Plan) -> Result<LoadReport, ChipError> {
        let path = match &self.images {
            Images::PerCore => None,
            Images::One { path, .. } => Some(path),
        };
        if let Some(path) = path {
            if let Some(kind) = net.user_kinds().first() {
                return Err(ChipError::KindNotRunnable {
                    kind: kind.decl.name.clone(),
                    origin: kind.origin(),
                    backend: "esdk",
                    fix: format!(
                        "the prebuilt device image {} carries no users' kernels: leave --device-image out, and ecsp builds each core's image with the Epiphany compiler",
                        path.display()
                    ),
                });
            }
            return Ok(LoadReport::default());
        }
        let cache = Cache::open()?;
        let specs = kimage::specs(net, plan)?;
        let mut built: Vec<(kimage::ImageSpec, kimage::CoreImage)> = Vec::new();
        let mut report = LoadReport::default();
        for (core, spec) in &specs {
            let image = match built.iter().find(|(s, _)| s.same_as(spec)) {
                Some((_, image)) => image.clone(),
                None => {
                    let image = kimage::build(&cache, spec)?;
                    report
                        .files
                        .push((image.path.clone(), image.path.clone(), image.cached));
                    built.push((spec.clone(), image.clone()));
                    image
                }
            };
            kimage::check_fits(*core, spec, &image)?;
            let image_c = c_path(&image.path, |e| EsdkError::BadImage {
                path: image.path.clone(),
                problem: super::ImageProblem::Unreadable(e),
            })?;
            let (row, col) = (core.row() - self.board.first_row, core.col() - self.board.first_col);
            let mut handles = self.handles();
            let dev: *mut sys::e_epiphany_t = &mut *handles.group.dev;
            // SAFETY: `dev` is the open group, locked; the path is a
            // NUL-terminated string e-loader only reads; (row, col) is in the
            // group (the plan's cores are the board's). Not started.
            let loaded = unsafe { sys::e_load(image_c.as_ptr(), dev, row, col, sys::e_bool_t_E_FALSE) };
            if loaded != E_OK {
                return Err(EsdkError::Load {
                    image: image.path.clone(),
                    rows: 1,
                    cols: 1,
                }
                .into());
            }
        }
        Ok(report)
    }
}
