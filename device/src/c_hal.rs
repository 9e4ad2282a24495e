//! The table of functions through which the C device runtime (`device/c/`)
//! reaches the chip when it runs inside a simulator (`ecsp_hal` of
//! `device/c/include/ecsp/hal.h`): every access forwards to a [`Mesh`], so
//! the C code's polls are local loads and its remote accesses posted
//! writes, counted and (in the simulator's deterministic mode) reordered
//! exactly like the Rust runtime's. On silicon the C runtime uses the chip
//! directly and this table does not exist.
//!
//! Used by `c_runtime` (the built-in kinds' C implementations) and by
//! ecsp-host's runner of users' kernels, which makes each kernel's table
//! with a context of its own (a mesh handle first) and its own
//! [`Hal::suspend`].

use crate::addr::{CoreId, GlobalAddr, Irq};
use crate::mesh::Mesh;
use core::ffi::c_void;

/// A C process's result (`ecsp_outcome` of `runtime.h`), as its step or a
/// kernel's outcome fills it.
#[repr(C)]
#[derive(Debug, Default)]
pub struct COutcome {
    /// Its result value.
    pub value: u64,
    /// A second result.
    pub aux: u64,
    /// Ticks it measured.
    pub ticks: u64,
    /// A ProcessError code, 0 when it returned normally.
    pub error: u32,
    /// The end or parameter index the error is about.
    pub detail: u32,
}

impl COutcome {
    /// The process's result as the executor takes it.
    pub fn result(&self) -> crate::process::ProcessResult {
        match self.error {
            0 => Ok(crate::process::Outcome {
                value: self.value,
                aux: self.aux,
                ticks: self.ticks,
            }),
            code => Err(crate::process::ProcessError::from_code(code, self.detail)),
        }
    }
}

/// The C runtime's HAL table (`ecsp_hal` in `device/c/include/ecsp/hal.h`),
/// its fields in the C struct's order.
#[repr(C)]
pub struct Hal {
    /// The context every function gets: a mesh handle (see [`hal`]).
    pub ctx: *mut c_void,
    /// Acquire load of a word of this core's SRAM.
    pub load_word: unsafe extern "C-unwind" fn(*mut c_void, u32) -> u32,
    /// Release store of a word of this core's SRAM.
    pub store_word: unsafe extern "C-unwind" fn(*mut c_void, u32, u32),
    /// Copies bytes of this core's SRAM out.
    pub read_local: unsafe extern "C-unwind" fn(*mut c_void, u32, *mut c_void, u32),
    /// Posted write of bytes to a global address.
    pub write: unsafe extern "C-unwind" fn(*mut c_void, u32, *const c_void, u32),
    /// Posted write of one word, after every earlier access.
    pub write_word: unsafe extern "C-unwind" fn(*mut c_void, u32, u32),
    /// Raises a core's user interrupt (0: notifies the host).
    pub wake: unsafe extern "C-unwind" fn(*mut c_void, u32),
    /// The clock.
    pub now_ticks: unsafe extern "C-unwind" fn(*mut c_void) -> u64,
    /// Ticks per second of the clock.
    pub ticks_per_second: unsafe extern "C-unwind" fn(*mut c_void) -> u64,
    /// Raises this core's wake-up at a deadline.
    pub wake_at: unsafe extern "C-unwind" fn(*mut c_void, u64),
    /// TESTSET of a global word.
    pub testset: unsafe extern "C-unwind" fn(*mut c_void, u32, u32) -> u32,
    /// This core's id.
    pub core_id: unsafe extern "C-unwind" fn(*mut c_void) -> u32,
    /// Blocking read of bytes at a global address.
    pub read: unsafe extern "C-unwind" fn(*mut c_void, u32, *mut c_void, u32),
    /// Raises this core's WAND flag.
    pub wand: unsafe extern "C-unwind" fn(*mut c_void),
    /// Consumes a latched WAND completion.
    pub take_wand: unsafe extern "C-unwind" fn(*mut c_void) -> core::ffi::c_int,
    /// Suspends a user's kernel until the executor's next round (a
    /// kernel's HAL only; the others' panics if the C runtime calls it).
    pub suspend: unsafe extern "C-unwind" fn(*mut c_void),
    /// This core's SRAM in this process, or null: with it, the C runtime
    /// makes its local polls, stores and copies itself, as [`Mesh`]'s
    /// default methods make them (acquire loads, release stores, relaxed
    /// word copies), without calling `load_word`, `store_word` or
    /// `read_local`. Set it only for a mesh whose local methods are those
    /// defaults over [`Mesh::local`].
    pub sram: *mut u8,
}

// The HAL, over a mesh `M` whose handle is the context.

/// # Safety
/// `ctx` points to a live `M`.
unsafe fn mesh<'a, M: Mesh>(ctx: *mut c_void) -> &'a M {
    // SAFETY: caller duty.
    unsafe { &*(ctx as *const M) }
}

unsafe extern "C-unwind" fn hal_load_word<M: Mesh>(ctx: *mut c_void, offset: u32) -> u32 {
    // SAFETY: `ctx` is the task's mesh handle (see `hal`).
    unsafe { mesh::<M>(ctx) }.load_word(offset)
}

unsafe extern "C-unwind" fn hal_store_word<M: Mesh>(ctx: *mut c_void, offset: u32, value: u32) {
    // SAFETY: as in `hal_load_word`.
    unsafe { mesh::<M>(ctx) }.store_word(offset, value)
}

unsafe extern "C-unwind" fn hal_read_local<M: Mesh>(ctx: *mut c_void, offset: u32, dst: *mut c_void, len: u32) {
    // SAFETY: (1) as in `hal_load_word`; (2) the C runtime passes a buffer
    // of its own (a local or a field of its state) valid for `len` bytes
    // and not shared with anything else during the call.
    let (mesh, buf) = unsafe {
        (
            mesh::<M>(ctx),
            core::slice::from_raw_parts_mut(dst as *mut u8, len as usize),
        )
    };
    mesh.read_local(offset, buf)
}

unsafe extern "C-unwind" fn hal_write<M: Mesh>(ctx: *mut c_void, dst: u32, src: *const c_void, len: u32) {
    // SAFETY: (1) as in `hal_load_word`; (2) the C runtime passes a message
    // of its own, valid for `len` bytes during the call.
    let (mesh, data) = unsafe {
        (
            mesh::<M>(ctx),
            core::slice::from_raw_parts(src as *const u8, len as usize),
        )
    };
    mesh.write(GlobalAddr::new(dst), data)
}

unsafe extern "C-unwind" fn hal_write_word<M: Mesh>(ctx: *mut c_void, dst: u32, value: u32) {
    // SAFETY: as in `hal_load_word`.
    unsafe { mesh::<M>(ctx) }.write_word(GlobalAddr::new(dst), value)
}

unsafe extern "C-unwind" fn hal_wake<M: Mesh>(ctx: *mut c_void, core: u32) {
    // SAFETY: as in `hal_load_word`.
    let mesh = unsafe { mesh::<M>(ctx) };
    // Core id 0 names the host as a channel peer: it is notified, not
    // interrupted (the Rust runtime's `channel::wake`).
    if core == 0 {
        mesh.notify_host()
    } else {
        mesh.raise(CoreId::from_raw(core as u16), Irq::User)
    }
}

unsafe extern "C-unwind" fn hal_now_ticks<M: Mesh>(ctx: *mut c_void) -> u64 {
    // SAFETY: as in `hal_load_word`.
    unsafe { mesh::<M>(ctx) }.now_ticks()
}

unsafe extern "C-unwind" fn hal_ticks_per_second<M: Mesh>(ctx: *mut c_void) -> u64 {
    // SAFETY: as in `hal_load_word`.
    unsafe { mesh::<M>(ctx) }.ticks_per_second()
}

unsafe extern "C-unwind" fn hal_wake_at<M: Mesh>(ctx: *mut c_void, deadline: u64) {
    // SAFETY: as in `hal_load_word`.
    unsafe { mesh::<M>(ctx) }.wake_at(deadline)
}

unsafe extern "C-unwind" fn hal_testset<M: Mesh>(ctx: *mut c_void, addr: u32, value: u32) -> u32 {
    // SAFETY: as in `hal_load_word`.
    unsafe { mesh::<M>(ctx) }.testset(GlobalAddr::new(addr), value)
}

unsafe extern "C-unwind" fn hal_core_id<M: Mesh>(ctx: *mut c_void) -> u32 {
    // SAFETY: as in `hal_load_word`.
    unsafe { mesh::<M>(ctx) }.core_id().raw() as u32
}

unsafe extern "C-unwind" fn hal_read<M: Mesh>(ctx: *mut c_void, src: u32, dst: *mut c_void, len: u32) {
    // SAFETY: as in `hal_read_local`.
    let (mesh, buf) = unsafe {
        (
            mesh::<M>(ctx),
            core::slice::from_raw_parts_mut(dst as *mut u8, len as usize),
        )
    };
    mesh.read(GlobalAddr::new(src), buf)
}

unsafe extern "C-unwind" fn hal_wand<M: Mesh>(ctx: *mut c_void) {
    // SAFETY: as in `hal_load_word`.
    unsafe { mesh::<M>(ctx) }.wand()
}

unsafe extern "C-unwind" fn hal_take_wand<M: Mesh>(ctx: *mut c_void) -> core::ffi::c_int {
    // SAFETY: as in `hal_load_word`.
    unsafe { mesh::<M>(ctx) }.take_irq(Irq::Wand) as core::ffi::c_int
}

unsafe extern "C-unwind" fn hal_no_suspend(_ctx: *mut c_void) {
    panic!("the C runtime suspended a process that is not a user's kernel")
}

/// The HAL table over the mesh handle at `mesh`, whose [`Hal::suspend`]
/// refuses (only a user's kernel suspends; its runner puts its own in);
/// with [`Hal::sram`] set from it when its local accesses are plain
/// ([`Mesh::PLAIN_LOCAL`]).
///
/// # Safety
/// `mesh` points to a live `M`, or is null (then `sram` stays null).
pub unsafe fn hal_with_sram<M: Mesh>(mesh: *mut M) -> Hal {
    let mut h = hal(mesh);
    if M::PLAIN_LOCAL && !mesh.is_null() {
        // SAFETY: caller duty: a live mesh handle.
        h.sram = unsafe { (*mesh).local(0) };
    }
    h
}

/// The HAL table over the mesh handle at `mesh`, whose [`Hal::suspend`]
/// refuses (only a user's kernel suspends; its runner puts its own in).
pub fn hal<M: Mesh>(mesh: *mut M) -> Hal {
    Hal {
        ctx: mesh as *mut c_void,
        load_word: hal_load_word::<M>,
        store_word: hal_store_word::<M>,
        read_local: hal_read_local::<M>,
        write: hal_write::<M>,
        write_word: hal_write_word::<M>,
        wake: hal_wake::<M>,
        now_ticks: hal_now_ticks::<M>,
        ticks_per_second: hal_ticks_per_second::<M>,
        wake_at: hal_wake_at::<M>,
        testset: hal_testset::<M>,
        core_id: hal_core_id::<M>,
        read: hal_read::<M>,
        wand: hal_wand::<M>,
        take_wand: hal_take_wand::<M>,
        suspend: hal_no_suspend,
        sram: core::ptr::null_mut(),
    }
}
