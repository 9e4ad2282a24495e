//! The C device runtime (`device/c/`) inside the Rust executor: C processes
//! and Rust processes side by side on one core, on the same channels.
//!
//! On silicon every process is C (there is no Rust target for the
//! Epiphany). In the simulator this module lets a task run the C
//! implementation of its kind instead of the Rust one: the host sets
//! [`C_KIND_FLAG`] in the task's `TaskRecord::kind`, and the executor spawns
//! a [`Spawned`] whose poll calls the C step function. The C code speaks the
//! wire protocol itself, through a table of function pointers ([`Hal`])
//! that forwards every access to the core's [`Mesh`]: its polls are local
//! loads, its remote accesses posted writes, counted and (in the
//! deterministic mode) reordered exactly like the Rust runtime's. The Rust
//! executor only schedules: a C step that reports "blocked" is `Pending`,
//! and the next round (after any user interrupt) steps it again.
//!
//! Arena layout of a C task, inside the room the host planned for the Rust
//! state of the same kind (a test checks that it always fits):
//!
//! ```text
//!  state_offset ┌────────────────────────┐
//!               │ M (the mesh handle)    │  the HAL's context
//!               ├────────────────────────┤  aligned to 8
//!               │ C process state        │  ecsp_c_state_size(kind) bytes
//!               └────────────────────────┘
//! ```
//!
//! A memory fault in a HAL call unwinds (the simulator's faults are
//! panics) through the C frames, which are compiled with unwind tables
//! (`-fexceptions`), and every function on that path is `C-unwind`.

use crate::boot::TaskRecord;
use crate::c_hal::{hal_with_sram, COutcome, Hal};
use crate::mesh::Mesh;
use crate::process::{ProcessResult, SpawnError, Spawned};
use core::ffi::c_void;
use core::task::{Context, Poll};

/// Set in `TaskRecord::kind` for a task the C runtime runs (in a simulator
/// built with the `c-runtime` feature). The C runtime itself ignores the bit.
pub use crate::boot::KIND_C_FLAG as C_KIND_FLAG;

/// Path of the device image (`ecsp-device.elf`: the C runtime built for the
/// Epiphany with `c/silicon/`'s start-up code and linker script) when this
/// crate was built with an Epiphany C compiler at hand (`ECSP_EPIPHANY_CC`,
/// or `epiphany-elf-gcc` / `e-gcc` on `PATH`); `None` otherwise.
pub const DEVICE_ELF: Option<&str> = option_env!("ECSP_DEVICE_ELF");

/// One entry of the C runtime's layout table (`ecsp_layout_entry`).
#[repr(C)]
struct CLayoutEntry {
    name: *const core::ffi::c_char,
    offset: u32,
    size: u32,
}

extern "C-unwind" {
    fn ecsp_c_state_size(kind: u32) -> u32;
    fn ecsp_c_init(
        hal: *const Hal,
        state: *mut c_void,
        room: u32,
        record: u32,
        ends_offset: u32,
        end_count: u32,
    ) -> u32;
    fn ecsp_c_step(hal: *const Hal, state: *mut c_void, out: *mut COutcome) -> i32;
}

extern "C" {
    fn ecsp_c_layout(count: *mut u32) -> *const CLayoutEntry;
    fn ecsp_sqrt(x: f64) -> f64;
    fn ecsp_sqrtf(x: f32) -> f32;
}

/// The C runtime's single-precision square root (`ecsp_sqrtf`, as
/// [`c_sqrt`] without double precision), for tests that compare it with Rust's.
pub fn c_sqrtf(x: f32) -> f32 {
    // SAFETY: a pure function of its argument.
    unsafe { ecsp_sqrtf(x) }
}

/// The C runtime's square root (`ecsp_sqrt`: digit by digit in integer
/// arithmetic, correctly rounded, no libm), for tests that compare it with
/// Rust's.
pub fn c_sqrt(x: f64) -> f64 {
    // SAFETY: a pure function of its argument.
    unsafe { ecsp_sqrt(x) }
}

extern "C-unwind" {
    fn ecsp_boot(hal: *const Hal, ex: *mut CExecutor, core_id: u32, sram: usize) -> u32;
    fn ecsp_round(hal: *const Hal, ex: *mut CExecutor, sram: usize) -> u32;
}

/// The C runtime's own executor (`ecsp_executor`, `device/c/src/executor.c`):
/// what runs a core on silicon, where every process is C. Here it runs a
/// core's whole boot table through a [`Mesh`], so its boot checks and its
/// rounds can be compared with the Rust [`crate::executor::Executor`]'s.
#[repr(C)]
pub struct CExecutor {
    count: u32,
    live: u32,
    tasks_offset: u32,
    arena_offset: u32,
    /// The task being stepped (`u32::MAX` between steps).
    current: u32,
    reserved: u32,
    live_bits: [u32; crate::boot::MAX_TASKS_PER_CORE / 32],
}

// `ecsp_executor` asserts the same size on the C side.
const _: () = assert!(core::mem::size_of::<CExecutor>() == 40);

impl CExecutor {
    /// Reads the boot table in the SRAM of `mesh`'s core and builds every
    /// process's state, checking as PROTOCOL.md section 5 says; writes
    /// `boot_error` and `core_status` as the Rust executor does. `Err` holds
    /// the `BootError` code.
    ///
    /// # Safety
    /// - The core's SRAM holds a boot table written for it (channel blocks
    ///   zeroed, states where planned), and nothing else runs processes there.
    pub unsafe fn boot<M: Mesh>(mesh: &M) -> Result<Self, u32> {
        let mut ex = CExecutor {
            count: 0,
            live: 0,
            tasks_offset: 0,
            arena_offset: 0,
            current: u32::MAX,
            reserved: 0,
            live_bits: [0; crate::boot::MAX_TASKS_PER_CORE / 32],
        };
        let mut handle = *mesh;
        // SAFETY: `handle` is a live mesh handle.
        let hal = unsafe { hal_with_sram(&mut handle) };
        // SAFETY: (1) the HAL's context is `handle`, alive for the call;
        // (2) the states are built inside the core's arena, whose bounds the
        // C code checks against the header (caller duty for the rest).
        let code = unsafe { ecsp_boot(&hal, &mut ex, mesh.core_id().raw() as u32, mesh.local(0) as usize) };
        if code == 0 {
            Ok(ex)
        } else {
            Err(code)
        }
    }

    /// One round: steps every live process once and writes the results of
    /// those that ended. Returns how many are still live.
    ///
    /// # Safety
    /// - `mesh` is the core this executor booted on, and its SRAM (with the
    ///   states in it) has not been touched by anything but this executor and
    ///   the protocol's peers since.
    pub unsafe fn round<M: Mesh>(&mut self, mesh: &M) -> u32 {
        let mut handle = *mesh;
        // SAFETY: `handle` is a live mesh handle.
        let hal = unsafe { hal_with_sram(&mut handle) };
        // SAFETY: as in `boot`: the context lives for the call, and the
        // states were built by `boot` in this core's SRAM (caller duty).
        unsafe { ecsp_round(&hal, self, mesh.local(0) as usize) }
    }

    /// Processes still running.
    pub fn live(&self) -> u32 {
        self.live
    }
}

/// `ECSP_DONE` of the C runtime.
const C_DONE: i32 = 1;

/// Bytes before the C state: the mesh handle, rounded up to 8.
const fn header<M>() -> usize {
    (core::mem::size_of::<M>() + 7) & !7
}

/// Bytes of the state of a C process of `kind` on a core with mesh `M`
/// (mesh handle included), or `None` when the C runtime has no such kind.
pub fn state_size<M: Mesh>(kind: u32) -> Option<usize> {
    // SAFETY: a pure function of its argument, no memory is touched.
    let size = unsafe { ecsp_c_state_size(kind & !C_KIND_FLAG) };
    (size != 0).then(|| header::<M>() + size as usize)
}

/// Size and alignment of the state of a process of `kind` on silicon, where
/// the C runtime alone runs and a state is the C state only: what a
/// hardware backend's planner reserves in the task arena. `None` for a kind
/// the C runtime does not have. The C states hold fixed-width fields only,
/// so their layout is the same on the Epiphany as on the host computing it.
pub fn device_state_layout(kind: u32) -> Option<core::alloc::Layout> {
    // SAFETY: a pure function of its argument, no memory is touched.
    let size = unsafe { ecsp_c_state_size(kind & !C_KIND_FLAG) };
    if size == 0 {
        return None;
    }
    core::alloc::Layout::from_size_align(size as usize, 8).ok()
}

/// The C runtime's view of the protocol structures: `(name, offset, size)`
/// for every structure (`"BootHeader"`, offset 0, its size), field
/// (`"BootHeader.magic"`) and constant (`"const BOOT_MAGIC"`, its value, 0).
pub fn layout() -> impl Iterator<Item = (&'static str, u32, u32)> {
    let mut count = 0u32;
    // SAFETY: writes the entry count and returns a pointer to a static
    // array of that many entries.
    let table = unsafe { ecsp_c_layout(&mut count) };
    (0..count as usize).map(move |i| {
        // SAFETY: (1) `i` < count, so the entry lies in the static array;
        // (2) every name is a NUL-terminated string literal of the C file.
        let entry = unsafe { &*table.add(i) };
        // SAFETY: as (2) above: a static, NUL-terminated ASCII literal.
        let name = unsafe { core::ffi::CStr::from_ptr(entry.name) };
        (name.to_str().unwrap_or("?"), entry.offset, entry.size)
    })
}

/// Builds the C process of the task whose record is `record` (at SRAM
/// offset `record_offset`) at `dst`, `room` bytes.
///
/// # Safety
/// - `dst` is valid for writes of `room` bytes, 8-byte aligned, and never
///   moves nor is reused while the returned process lives.
/// - The end table at `ends_offset` (`end_count` records) and the task
///   record were planned for this core.
pub(crate) unsafe fn spawn<M: Mesh>(
    mesh: M,
    record: &TaskRecord,
    record_offset: u32,
    ends_offset: u32,
    end_count: u32,
    dst: *mut u8,
    room: usize,
) -> Result<Spawned, SpawnError> {
    let Some(size) = state_size::<M>(record.kind) else {
        return Err(SpawnError::UnknownKind);
    };
    if size > room || dst as usize % 8 != 0 || core::mem::align_of::<M>() > 8 {
        return Err(SpawnError::NoRoom);
    }
    let handle = dst as *mut M;
    // SAFETY: `dst` has room for an aligned `M` (checked above, and caller
    // duty 1 for validity).
    unsafe { handle.write(mesh) };
    // SAFETY: the handle was just written there.
    let hal = unsafe { hal_with_sram(handle) };
    // SAFETY: (1) `hal`'s context is the handle just written, which lives as
    // long as the state; (2) the C state lies within `room` (checked: `size`
    // includes the header), 8-byte aligned; (3) records planned for this
    // core (caller duty 2).
    let code = unsafe {
        ecsp_c_init(
            &hal,
            dst.add(header::<M>()) as *mut c_void,
            (room - header::<M>()) as u32,
            record_offset,
            ends_offset,
            end_count,
        )
    };
    match code {
        0 => Ok(Spawned {
            poll: poll_c::<M>,
            drop: drop_c::<M>,
        }),
        7 => Err(SpawnError::UnknownDtype),
        8 => Err(SpawnError::NoRoom),
        _ => Err(SpawnError::UnknownKind),
    }
}

/// # Safety
/// `state` is a C task built by [`spawn`], live and never moved.
unsafe fn poll_c<M: Mesh>(state: *mut u8, _cx: &mut Context<'_>) -> Poll<ProcessResult> {
    // SAFETY: the state starts with the task's live mesh handle (caller duty).
    let hal = unsafe { hal_with_sram(state as *mut M) };
    let mut out = COutcome::default();
    // SAFETY: (1) the handle and the C state are live (caller duty); (2)
    // `out` is a local the C code fills.
    let done = unsafe { ecsp_c_step(&hal, state.add(header::<M>()) as *mut c_void, &mut out) };
    if done != C_DONE {
        // The C code noted what it waits on in its task record itself.
        return Poll::Pending;
    }
    Poll::Ready(out.result())
}

/// # Safety
/// `state` is a C task built by [`spawn`], live, never used again.
unsafe fn drop_c<M: Mesh>(state: *mut u8) {
    // SAFETY: the mesh handle is the only Rust value in the state; the C
    // state owns nothing.
    unsafe { core::ptr::drop_in_place(state as *mut M) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_c_runtime_has_every_kind_of_the_registry() {
        for (kind, spec) in crate::process::KINDS.iter().enumerate() {
            // SAFETY: a pure function of its argument.
            assert_ne!(unsafe { ecsp_c_state_size(kind as u32) }, 0, "{}", spec.name);
        }
        // SAFETY: as above.
        assert_eq!(unsafe { ecsp_c_state_size(99) }, 0);
        assert!(device_state_layout(99).is_none());
        let id = device_state_layout(0).unwrap();
        assert_eq!((id.size() % 8, id.align()), (0, 8));
    }

    #[test]
    fn the_c_square_root_is_correctly_rounded() {
        // Bit patterns spread over every exponent, subnormals included, and
        // the squares of integers (exact roots).
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for i in 0..200_000u64 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let x = f64::from_bits(state & !(1 << 63));
            let want = libm::sqrt(x);
            let got = c_sqrt(x);
            assert!(
                want.to_bits() == got.to_bits() || (want.is_nan() && got.is_nan()),
                "sqrt({x:e})"
            );
            let square = (i * i) as f64;
            assert_eq!(c_sqrt(square), i as f64);
            let f = f32::from_bits(state as u32 & 0x7FFF_FFFF);
            let (want, got) = (libm::sqrtf(f), c_sqrtf(f));
            assert!(
                want.to_bits() == got.to_bits() || (want.is_nan() && got.is_nan()),
                "sqrtf({f:e})"
            );
            let square = (i % 4096) as f32 * (i % 4096) as f32;
            assert_eq!(c_sqrtf(square), (i % 4096) as f32);
        }
        assert!(c_sqrt(-1.0).is_nan() && c_sqrtf(-1.0).is_nan() && c_sqrtf(f32::NAN).is_nan());
        assert_eq!(c_sqrtf(-0.0).to_bits(), (-0.0f32).to_bits());
        assert_eq!(c_sqrtf(f32::INFINITY), f32::INFINITY);
        assert_eq!(c_sqrtf(f32::from_bits(1)), libm::sqrtf(f32::from_bits(1)));
        assert_eq!(c_sqrt(0.0), 0.0);
        assert_eq!(c_sqrt(f64::INFINITY), f64::INFINITY);
    }

    #[test]
    fn the_layout_table_is_readable() {
        assert!(layout().any(|(name, _, size)| name == "TaskRecord" && size == 96));
    }
}
