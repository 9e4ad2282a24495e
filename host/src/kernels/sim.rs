//! Users' kinds on the simulated chip: the table the executor spawns them
//! from ([`SimKinds`], an [`ecsp_device::executor::ForeignKinds`]), and the
//! runner of C kernels.
//!
//! A C kernel runs as a coroutine of the host on a stack of its own
//! ([`KernelStack`]): the executor's poll resumes it, and it runs until its
//! next wait, where the C runtime calls the HAL's `suspend`. Everything else
//! it does goes through the same HAL table as the built-in C kinds
//! ([`ecsp_device::c_hal`]), over the core's [`SimMesh`]: its traffic is
//! counted and, in the deterministic mode, ordered by the seed like the
//! rest. Its room in simulated SRAM holds its block, items, parameters and
//! port states, as on the chip; its stack is the host's (C frames on the
//! host are larger than on the Epiphany), so the room's stack bytes are
//! planned but unused here.
//!
//! ```text
//!  KernelStack (SIM_STACK_SIZE bytes, aligned to its size)
//!  ┌──────────────┬────────────┬──────────────────────────────────┐
//!  │ header page: │ guard page │ stack (grows down from the top)  │
//!  │ its context  │ (no access)│                                  │
//!  └──────────────┴────────────┴──────────────────────────────────┘
//! ```
//!
//! The C runtime finds the running kernel from any of its frames by
//! rounding the frame's address down to the stack's alignment, where the
//! header page points at the kernel's context (`kernel.c`, `cur()`): the
//! kernels of one object run on many host threads at once, and a coroutine
//! may move between threads, so neither a global nor a thread-local would do.

use super::compile::{sim_object, SIM_STACK_SIZE};
use super::{cache::Cache, KernelError, KernelFile, KindBody, UserKind};
use crate::sim::mesh::SimMesh;
use corosensei::stack::{Stack, StackPointer};
use corosensei::{Coroutine, CoroutineResult, Yielder};
use ecsp_device::c_hal::{hal, hal_with_sram, COutcome, Hal};
use ecsp_device::executor::ForeignKinds;
use ecsp_device::kernel::{kernel_state, KernelBlock, USER_KIND_BASE};
use ecsp_device::mesh::Mesh;
use ecsp_device::process::{Proc, ProcessResult, SpawnError, Spawned};
use std::collections::HashMap;
use std::ffi::c_void;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// What the C runtime finds at a kernel stack's header page (`ecsp__kctx`).
#[repr(C)]
struct CKctx {
    h: *const Hal,
    room: *mut u8,
}

type InitFn = unsafe extern "C-unwind" fn(*const Hal, *mut c_void, u32, u32, u32, u32) -> u32;
type MainFn = unsafe extern "C-unwind" fn(unsafe extern "C-unwind" fn());
type OutcomeFn = unsafe extern "C-unwind" fn(*const Hal, *mut c_void, *mut COutcome) -> i32;
type EntryFn = unsafe extern "C-unwind" fn();

/// A kernel file's object, loaded.
struct KernelLib {
    /// Keeps the object mapped while any of its kernels lives.
    _lib: libloading::Library,
    init: InitFn,
    main: MainFn,
    outcome: OutcomeFn,
}

impl KernelLib {
    fn load(file: &KernelFile, object: &std::path::Path) -> Result<KernelLib, KernelError> {
        let load_error = |e: libloading::Error| KernelError::Load {
            path: file.path.clone(),
            object: object.to_path_buf(),
            error: e.to_string(),
        };
        // SAFETY: the object is one ecsp compiled from the kernel file and
        // its own runtime sources; loading runs no constructors of the user's
        // beyond what C allows at file scope (none in a kernel file).
        let lib = unsafe { libloading::Library::new(object) }.map_err(load_error)?;
        // SAFETY: each symbol is the C runtime's function of that name,
        // whose signature `kernel.c` defines as the types here.
        unsafe {
            let init = *lib.get::<InitFn>(b"ecsp_k_init\0").map_err(load_error)?;
            let main = *lib.get::<MainFn>(b"ecsp_k_main\0").map_err(load_error)?;
            let outcome = *lib.get::<OutcomeFn>(b"ecsp_k_outcome\0").map_err(load_error)?;
            Ok(KernelLib {
                _lib: lib,
                init,
                main,
                outcome,
            })
        }
    }

    fn entry(&self, file: &KernelFile, object: &std::path::Path, name: &str) -> Result<EntryFn, KernelError> {
        let symbol = format!("ecsp_kernel_{name}\0");
        // SAFETY: `ecsp_kernel_<name>` is the entry point ECSP_KERNEL
        // defines: `void (void)`.
        unsafe { self._lib.get::<EntryFn>(symbol.as_bytes()).map(|s| *s) }.map_err(|e| KernelError::Load {
            path: file.path.clone(),
            object: object.to_path_buf(),
            error: format!("{e}: the file declares kernel `{name}` but does not define it with ECSP_KERNEL"),
        })
    }
}

/// One user's kind, ready to spawn.
enum SimKind {
    C {
        lib: Arc<KernelLib>,
        entry: EntryFn,
        name: Arc<str>,
    },
    Rust(Arc<super::RustSpawn>),
}

/// What compiling and loading a network's kinds did, per kernel file.
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    /// Per kernel file: its path, its object, and whether the object came
    /// from the cache.
    pub files: Vec<(std::path::PathBuf, std::path::PathBuf, bool)>,
    /// The compiler's warnings, per file compiled.
    pub warnings: Vec<(std::path::PathBuf, String)>,
}

/// The users' kinds of a network on the simulated chip, by kind id
/// ([`USER_KIND_BASE`] + index).
pub struct SimKinds {
    kinds: Vec<SimKind>,
    /// Per kind: whether a run does not wait for its processes.
    forever: Vec<bool>,
}

impl SimKinds {
    /// Compiles (or takes from `cache`) every kernel file of `kinds` and
    /// loads it; Rust kinds as they are.
    pub fn load(kinds: &[Arc<UserKind>], cache: &Cache) -> Result<(SimKinds, LoadReport), KernelError> {
        let mut libs: HashMap<*const KernelFile, (Arc<KernelLib>, std::path::PathBuf)> = HashMap::new();
        let mut report = LoadReport {
            files: Vec::new(),
            warnings: Vec::new(),
        };
        let mut out = Vec::with_capacity(kinds.len());
        for kind in kinds {
            match &kind.body {
                KindBody::C(file) => {
                    let key = Arc::as_ptr(file);
                    if let std::collections::hash_map::Entry::Vacant(slot) = libs.entry(key) {
                        let built = sim_object(cache, file)?;
                        if !built.warnings.trim().is_empty() {
                            report.warnings.push((file.path.clone(), built.warnings.clone()));
                        }
                        report.files.push((file.path.clone(), built.path.clone(), built.cached));
                        let lib = Arc::new(KernelLib::load(file, &built.path)?);
                        slot.insert((lib, built.path));
                    }
                    let (lib, object) = &libs[&key];
                    let entry = lib.entry(file, object, &kind.decl.name)?;
                    out.push(SimKind::C {
                        lib: lib.clone(),
                        entry,
                        name: Arc::from(kind.decl.name.as_str()),
                    });
                }
                KindBody::Rust(rust) => {
                    let spawn = rust.spawn.clone().ok_or_else(|| KernelError::NoKernels {
                        path: std::path::PathBuf::from(format!("Rust kind `{}` (give it a body)", kind.decl.name)),
                    })?;
                    out.push(SimKind::Rust(spawn));
                }
            }
        }
        let forever = kinds.iter().map(|k| k.decl.forever()).collect();
        Ok((SimKinds { kinds: out, forever }, report))
    }

    /// Whether a run does not wait for processes of the user's kind `index`
    /// (kind id [`USER_KIND_BASE`] + `index`); false for an unknown one.
    pub fn forever(&self, index: usize) -> bool {
        self.forever.get(index).copied().unwrap_or(false)
    }

    /// The executor's view of this table. The table must outlive every
    /// executor booted with it.
    pub fn foreign(self: &Arc<Self>) -> ForeignKinds<SimMesh> {
        ForeignKinds {
            ctx: Arc::as_ptr(self) as *const (),
            spawn: spawn_foreign,
        }
    }
}

/// # Safety
/// As [`ForeignKinds::spawn`]: `ctx` is a live `SimKinds`.
unsafe fn spawn_foreign(
    ctx: *const (),
    proc: Proc<SimMesh>,
    record_offset: u32,
    state: *mut u8,
    room: usize,
) -> Result<Spawned, SpawnError> {
    // SAFETY: caller duty: the table outlives the executor.
    let kinds = unsafe { &*(ctx as *const SimKinds) };
    let index = proc.record().kind.wrapping_sub(USER_KIND_BASE) as usize;
    match kinds.kinds.get(index) {
        None => Err(SpawnError::UnknownKind),
        Some(SimKind::Rust(spawn)) => spawn(proc, state, room),
        // SAFETY: forwarded caller duties (the room, the records).
        Some(SimKind::C { lib, entry, name }) => unsafe {
            spawn_kernel(lib, *entry, name, proc, record_offset, state, room)
        },
    }
}

/// Places a Rust kind's future in its room.
///
/// # Safety
/// `dst` is valid for writes of `room` bytes and never moves nor is reused
/// while the returned process lives.
pub(crate) unsafe fn place_future<F: Future<Output = ProcessResult>>(
    dst: *mut u8,
    room: usize,
    fut: F,
) -> Result<Spawned, SpawnError> {
    if std::mem::size_of::<F>() > room || dst as usize % std::mem::align_of::<F>() != 0 {
        return Err(SpawnError::NoRoom);
    }
    // SAFETY: room and alignment checked above; validity is caller duty.
    unsafe { std::ptr::write(dst as *mut F, fut) };
    Ok(Spawned {
        poll: poll_future::<F>,
        drop: drop_future::<F>,
    })
}

/// # Safety
/// `state` is a live, pinned `F`.
unsafe fn poll_future<F: Future<Output = ProcessResult>>(state: *mut u8, cx: &mut Context<'_>) -> Poll<ProcessResult> {
    // SAFETY: caller duty: a live `F` that never moves.
    unsafe { Pin::new_unchecked(&mut *(state as *mut F)) }.poll(cx)
}

/// # Safety
/// `state` is a live `F`, never used again.
unsafe fn drop_future<F>(state: *mut u8) {
    // SAFETY: caller duty.
    unsafe { std::ptr::drop_in_place(state as *mut F) }
}

/// A process stopped by a fault of its kernel's code: the simulator reports
/// it as it reports a memory fault (`sim::core_panicked`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelFault(pub String);

/// A kernel's stack: [`SIM_STACK_SIZE`] bytes aligned to their size, whose
/// first page points at the kernel's context and whose second is a guard.
pub(crate) struct KernelStack {
    /// The aligned region's first byte.
    base: *mut u8,
}

// SAFETY: the stack is plain memory owned by this value; the coroutine on
// it holds only C frames and the runner's frames, none tied to a thread.
unsafe impl Send for KernelStack {}

fn page_size() -> usize {
    static PAGE: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *PAGE.get_or_init(|| {
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        if page > 0 {
            page as usize
        } else {
            4096
        }
    })
}

impl KernelStack {
    fn new() -> std::io::Result<KernelStack> {
        let size = SIM_STACK_SIZE;
        let page = page_size();
        // SAFETY: an anonymous private mapping of 2 * size bytes, no hint.
        let raw = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                2 * size,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if raw == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        let start = raw as usize;
        let base = (start + size - 1) & !(size - 1);
        // SAFETY: (1) both trims lie inside the mapping made above; (2) the
        // aligned region [base, base + size) is kept.
        unsafe {
            if base > start {
                libc::munmap(raw, base - start);
            }
            let end = start + 2 * size;
            if end > base + size {
                libc::munmap((base + size) as *mut c_void, end - (base + size));
            }
            // The header page and the stack above the guard become usable.
            if libc::mprotect(base as *mut c_void, page, libc::PROT_READ | libc::PROT_WRITE) != 0
                || libc::mprotect(
                    (base + 2 * page) as *mut c_void,
                    size - 2 * page,
                    libc::PROT_READ | libc::PROT_WRITE,
                ) != 0
            {
                let e = std::io::Error::last_os_error();
                libc::munmap(base as *mut c_void, size);
                return Err(e);
            }
        }
        Ok(KernelStack { base: base as *mut u8 })
    }

    /// The region, `[low, high)`, and its guard page.
    fn bounds(&self) -> (usize, usize, (usize, usize)) {
        let base = self.base as usize;
        let page = page_size();
        (base, base + SIM_STACK_SIZE, (base + page, base + 2 * page))
    }

    /// Points the header page at the kernel's context.
    fn set_context(&mut self, ctx: *const CKctx) {
        // SAFETY: the header page is mapped read-write and owned by this stack.
        unsafe { (self.base as *mut *const CKctx).write(ctx) }
    }
}

impl Drop for KernelStack {
    fn drop(&mut self) {
        // SAFETY: the region was mapped by `new` and nothing runs on it any
        // more (its coroutine is done or reset before the stack drops).
        unsafe { libc::munmap(self.base as *mut c_void, SIM_STACK_SIZE) };
    }
}

// SAFETY: base and limit bound the mapped, writable stack area, base
// aligned to 16 (it is page-aligned).
unsafe impl Stack for KernelStack {
    fn base(&self) -> StackPointer {
        StackPointer::new(self.base as usize + SIM_STACK_SIZE).expect("a mapping is not at 0")
    }

    fn limit(&self) -> StackPointer {
        StackPointer::new(self.base as usize + 2 * page_size()).expect("a mapping is not at 0")
    }
}

/// The HAL's context of a kernel: its core's mesh first (every mesh
/// function of the HAL reads it as an `M`), then its coroutine's yielder.
#[repr(C)]
struct KernelCtx {
    mesh: SimMesh,
    yielder: *const Yielder<(), ()>,
}

/// A C kernel being run: its HAL, its context for the C runtime, its
/// coroutine. Boxed (nothing in it moves), owned through its room's
/// `KernelBlock::context`.
struct KernelTask {
    ctx: KernelCtx,
    hal: Hal,
    kctx: CKctx,
    coroutine: Option<Coroutine<(), (), (), KernelStack>>,
    /// The stack's region and guard page (see [`KernelStack::bounds`]).
    bounds: (usize, usize, (usize, usize)),
    /// What stopped the kernel, when a fault did.
    fault: Option<super::trap::Fault>,
    lib: Arc<KernelLib>,
    name: Arc<str>,
}

/// The HAL's `suspend` of a kernel: back to the executor's poll.
///
/// # Safety
/// `ctx` is a kernel's [`KernelCtx`], called on its coroutine.
unsafe extern "C-unwind" fn kernel_suspend(ctx: *mut c_void) {
    // SAFETY: caller duty; the yielder was set when the coroutine started
    // and lives as long as it.
    let yielder = unsafe { &*(*(ctx as *const KernelCtx)).yielder };
    yielder.suspend(());
}

/// # Safety
/// As [`ForeignKinds::spawn`].
unsafe fn spawn_kernel(
    lib: &Arc<KernelLib>,
    entry: EntryFn,
    name: &Arc<str>,
    proc: Proc<SimMesh>,
    record_offset: u32,
    state: *mut u8,
    room: usize,
) -> Result<Spawned, SpawnError> {
    if state as usize % 8 != 0 || room < std::mem::size_of::<KernelBlock>() {
        return Err(SpawnError::NoRoom);
    }
    let mesh = proc.mesh();
    let mut header = ecsp_device::boot::BootHeader::default();
    mesh.read_local(ecsp_device::boot::BOOT_OFFSET, bytemuck::bytes_of_mut(&mut header));
    let stack = KernelStack::new().map_err(|_| SpawnError::NoRoom)?;
    let mut task = Box::new(KernelTask {
        ctx: KernelCtx {
            mesh,
            yielder: std::ptr::null(),
        },
        // Set below, once the context has its address.
        hal: hal(std::ptr::null_mut::<SimMesh>()),
        kctx: CKctx {
            h: std::ptr::null(),
            room: state,
        },
        coroutine: None,
        bounds: stack.bounds(),
        fault: None,
        lib: lib.clone(),
        name: name.clone(),
    });
    let ctx_ptr: *mut KernelCtx = &mut task.ctx;
    // SAFETY: the context starts with the live mesh handle.
    task.hal = unsafe { hal_with_sram(ctx_ptr as *mut SimMesh) };
    task.hal.suspend = kernel_suspend;
    task.kctx.h = &task.hal;
    // SAFETY: (1) the HAL's context is this task's, alive while it is;
    // (2) the room is the planned one (caller duty), 8-byte aligned
    // (checked); (3) the record and end table were planned for this core.
    let code = unsafe {
        (lib.init)(
            &task.hal,
            state as *mut c_void,
            room.min(u32::MAX as usize) as u32,
            record_offset,
            proc.ends_offset(),
            header.end_count,
        )
    };
    if code != 0 {
        return Err(SpawnError::NoRoom);
    }
    let mut stack = stack;
    stack.set_context(&task.kctx);
    let main = lib.main;
    let ctx_for_body = ctx_ptr as usize;
    task.coroutine = Some(Coroutine::with_stack(stack, move |yielder: &Yielder<(), ()>, ()| {
        // SAFETY: the task (and with it the context) outlives its
        // coroutine: the coroutine is dropped before the task's memory.
        unsafe { (*(ctx_for_body as *mut KernelCtx)).yielder = yielder };
        // SAFETY: `main` runs the kernel's entry on this stack, whose header
        // page points at the task's C context.
        unsafe { main(entry) };
    }));
    let raw = Box::into_raw(task);
    // SAFETY: the block is the room's first bytes (checked above); the
    // device runtime's own field for the suspended kernel.
    unsafe { (*(state as *mut KernelBlock)).context = raw as u64 };
    Ok(Spawned {
        poll: poll_kernel,
        drop: drop_kernel,
    })
}

/// The task a room's block owns.
///
/// # Safety
/// `state` is a room `spawn_kernel` built, whose task is live.
unsafe fn task_of<'a>(state: *mut u8) -> &'a mut KernelTask {
    // SAFETY: caller duty: `context` holds the boxed task.
    unsafe { &mut *((*(state as *const KernelBlock)).context as *mut KernelTask) }
}

/// # Safety
/// `state` is a live kernel room, polled by its core's executor.
unsafe fn poll_kernel(state: *mut u8, _cx: &mut Context<'_>) -> Poll<ProcessResult> {
    // SAFETY: caller duty.
    let task = unsafe { task_of(state) };
    let coroutine = task.coroutine.as_mut().expect("a live kernel has its coroutine");
    let (low, high, guard) = task.bounds;
    let trap = super::trap::enter(super::trap::Running {
        handler: coroutine.trap_handler(),
        low,
        high,
        guard,
        fault: &mut task.fault,
    });
    let resumed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| coroutine.resume(())));
    drop(trap);
    if let Some(fault) = task.fault {
        let message = format!("kernel `{}`: {}", task.name, fault.describe());
        // SAFETY: the trap made the coroutine return; nothing runs on its
        // stack, and the task is not used after this.
        unsafe { drop_kernel(state) };
        std::panic::panic_any(KernelFault(message));
    }
    let over = match resumed {
        Err(payload) => {
            // A memory fault or panic in a HAL call: free the task, then let
            // the simulator report it (the executor does not drop a state
            // whose poll panicked).
            // SAFETY: the task is not used after this; its coroutine is done.
            unsafe { drop_kernel(state) };
            std::panic::resume_unwind(payload);
        }
        Ok(CoroutineResult::Return(())) => true,
        // SAFETY: the block is the room's head; the C runtime writes it on
        // this thread, between resumes.
        Ok(CoroutineResult::Yield(())) => unsafe {
            std::ptr::read_volatile(&(*(state as *const KernelBlock)).state) != kernel_state::RUNNING
        },
    };
    if !over {
        return Poll::Pending;
    }
    let mut out = COutcome::default();
    // SAFETY: the kernel is over (it returned or suspended for good); its
    // room holds its block, read on this thread.
    unsafe { (task.lib.outcome)(&task.hal, state as *mut c_void, &mut out) };
    Poll::Ready(out.result())
}

/// # Safety
/// `state` is a kernel room whose task is live, never polled again.
unsafe fn drop_kernel(state: *mut u8) {
    // SAFETY: caller duty.
    let raw = unsafe { (*(state as *const KernelBlock)).context } as *mut KernelTask;
    if raw.is_null() {
        return;
    }
    // SAFETY: the task was boxed by `spawn_kernel` and is owned by the room.
    let mut task = unsafe { Box::from_raw(raw) };
    if let Some(mut coroutine) = task.coroutine.take() {
        if !coroutine.done() {
            // SAFETY: a suspended kernel's stack holds C frames and the
            // HAL's suspend, none with anything to drop: it is abandoned
            // as the chip abandons a stopped core's stack.
            unsafe { coroutine.force_reset() };
        }
    }
    // SAFETY: as above: the block is the room's head.
    unsafe { (*(state as *mut KernelBlock)).context = 0 };
}
