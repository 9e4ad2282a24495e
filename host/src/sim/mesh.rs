//! [`SimMesh`]: the device runtime's [`Mesh`] on a simulated core.
//!
//! Every access is checked against the memory map (an access outside SRAM,
//! registers and DRAM unwinds with a memory fault that stops the core) and
//! counted: writes and reads that leave the core are the "remote" traffic
//! the protocol's cost is measured in.
//!
//! Ordering, threaded mode: the payload is copied with relaxed atomic stores
//! and the flag written with a release store, so a poller that acquires the
//! flag sees the payload. That is at least the per-destination order the chip
//! promises (and, the host being x86 or Arm, usually more).
//!
//! Ordering, deterministic mode: every write to another core or to DRAM is
//! posted to the engine's FIFO for its (source, destination) pair and lands
//! only when the engine delivers it; exactly the chip's promise (the rules
//! and their reasons: the `deterministic` module). The threaded paths are left
//! as they were: a write that leaves the core takes one predictable branch
//! on the mode into the cold `det_*` functions below.

use super::deterministic::Pending;
use super::memory::Target;
use super::{bump, Core, MemoryFault, Shared, TRACE_EVENTS_PER_CORE};
use crate::chip::TraceRecord;
use ecsp_device::addr::{reg, CoreId, GlobalAddr, Irq, SRAM_SIZE};
use ecsp_device::mesh::{copy_from_shared, copy_to_shared, Mesh};
use ecsp_device::trace::TraceEvent;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};

/// A simulated core's view of the chip.
#[derive(Clone, Copy)]
pub struct SimMesh {
    shared: NonNull<Shared>,
    core: NonNull<Core>,
    /// This core's SRAM, cached: every local access starts here.
    sram: NonNull<u8>,
}

impl SimMesh {
    pub(crate) fn new(shared: &Shared, core: &Core) -> SimMesh {
        let sram = shared.memory.sram_base(core.index as usize);
        SimMesh {
            shared: NonNull::from(shared),
            core: NonNull::from(core),
            sram: NonNull::new(sram).expect("a mapping is never at address 0"),
        }
    }

    fn shared(&self) -> &Shared {
        // SAFETY: the chip's shared state outlives every executor, and with
        // it every mesh handle (executors are dropped in halt, reset, or when
        // the chip is dropped, before the shared state).
        unsafe { self.shared.as_ref() }
    }

    fn me(&self) -> &Core {
        // SAFETY: cores live in the shared state, see `shared`.
        unsafe { self.core.as_ref() }
    }

    #[cold]
    fn fault(&self, addr: GlobalAddr, len: usize, write: bool) -> ! {
        std::panic::panic_any(MemoryFault {
            core: self.me().id,
            addr,
            len,
            write,
        })
    }

    /// The offset when `len` bytes at `addr` lie in this core's own SRAM
    /// (by its global id or the local alias): the fast path of local writes.
    #[inline]
    fn own_sram(&self, addr: GlobalAddr, len: usize) -> Option<u32> {
        let field = addr.core_field();
        let offset = addr.offset();
        ((field == 0 || field == self.me().id.raw()) && offset as usize + len <= SRAM_SIZE as usize).then_some(offset)
    }

    #[inline]
    fn count_write(&self, target_core: Option<usize>, bytes: usize) {
        if target_core != Some(self.me().index as usize) {
            let c = &self.me().counters;
            bump(&c.remote_writes, 1);
            bump(&c.remote_write_bytes, bytes as u64);
        }
    }

    /// Deterministic mode: queues `write` on the FIFO from this core to
    /// `dst` (a core index; `None`: DRAM).
    fn post(&self, dst: Option<usize>, write: Pending) {
        let det = self.shared().det.as_ref().expect("deterministic mode");
        det.post(self.me().index as usize, dst, write);
    }

    /// [`Mesh::write`] in deterministic mode, past the own-SRAM fast path:
    /// checked and counted as in threaded mode, then posted, except to this
    /// core's own registers, which take effect at once.
    #[cold]
    #[inline(never)]
    fn det_write(&self, dst: GlobalAddr, data: &[u8]) {
        let me = self.me().index as usize;
        let dst = dst.resolve(self.me().id);
        match self.shared().memory.translate(dst, data.len()) {
            Target::Sram { core, .. } => {
                self.count_write(Some(core), data.len());
                if core == me {
                    // Not reached past own_sram; were it, own SRAM is at once.
                    return self.shared().deliver(Pending::bytes(dst, data));
                }
                self.post(Some(core), Pending::bytes(dst, data));
            }
            Target::Dram { .. } => {
                self.count_write(None, data.len());
                self.post(None, Pending::bytes(dst, data));
            }
            Target::Register { core, offset } => {
                self.count_write(Some(core), 4);
                let value = u32::from_le_bytes([data[0], data[1], data[2], data[3]]);
                if core == me {
                    self.shared().write_register(core, offset, value);
                } else {
                    self.post(Some(core), Pending::Word { addr: dst, value });
                }
            }
            Target::Unmapped => self.fault(dst, data.len(), true),
        }
    }

    /// [`Mesh::write_word`] in deterministic mode, past the own-SRAM fast path.
    #[cold]
    #[inline(never)]
    fn det_write_word(&self, dst: GlobalAddr, value: u32) {
        let me = self.me().index as usize;
        let dst = dst.resolve(self.me().id);
        if dst.raw() % 4 != 0 {
            self.fault(dst, 4, true);
        }
        match self.shared().memory.translate(dst, 4) {
            Target::Sram { core, .. } => {
                self.count_write(Some(core), 4);
                if core == me {
                    return self.shared().deliver(Pending::Word { addr: dst, value });
                }
                self.post(Some(core), Pending::Word { addr: dst, value });
            }
            Target::Dram { .. } => {
                self.count_write(None, 4);
                self.post(None, Pending::Word { addr: dst, value });
            }
            Target::Register { core, offset } => {
                self.count_write(Some(core), 4);
                if core == me {
                    self.shared().write_register(core, offset, value);
                } else {
                    self.post(Some(core), Pending::Word { addr: dst, value });
                }
            }
            Target::Unmapped => self.fault(dst, 4, true),
        }
    }

    /// The user interrupt of another core in deterministic mode: posted.
    #[cold]
    #[inline(never)]
    fn det_raise_user(&self, core: CoreId) {
        match self.shared().memory.core_index(core) {
            Some(index) => {
                self.count_write(Some(index), 4);
                self.post(Some(index), Pending::User { core: index as u32 });
            }
            None => self.fault(GlobalAddr::on_core(core, reg::ILATST), 4, true),
        }
    }
}

// SAFETY: (1) `local` points into this core's SRAM mapping, 8-byte aligned at
// offset 0, valid while the chip lives; (2) writes are copies into the shared
// mapping whose flag words use release stores, so they become visible in issue
// order to an acquiring poller; in deterministic mode a write to another
// destination waits in one FIFO per (source, destination) and is delivered
// from it in issue order, on the one thread that also runs every poller;
// (3) a raise of User on this core sets `own_wake`, which `take_wake`
// consumes; a raise from elsewhere sets the scheduling word's NOTIFIED bit,
// after which the worker runs the executor again (`Shared::run_core`), which
// is the "returns true" of the contract seen from the executor's side: it
// polls again (deterministic mode: the engine folds NOTIFIED into `own_wake`
// before the core's next round, and the core stays runnable until it does);
// (4) a WAND completion latches ILAT bit 8 of each core taking part, then
// wakes it as a user interrupt from another core does (`Shared::wand_latch`),
// and `take_irq` clears the bit atomically, so it returns true once per latch.
unsafe impl Mesh for SimMesh {
    // load_word, store_word and read_local are the trait's own.
    const PLAIN_LOCAL: bool = true;

    #[inline]
    fn core_id(&self) -> CoreId {
        self.me().id
    }

    #[inline]
    fn local(&self, offset: u32) -> *mut u8 {
        debug_assert!(offset <= SRAM_SIZE);
        // SAFETY: offset <= SRAM_SIZE: inside (or one past) this core's SRAM.
        unsafe { self.sram.as_ptr().add(offset as usize) }
    }

    #[inline]
    fn write(&self, dst: GlobalAddr, data: &[u8]) {
        if let Some(offset) = self.own_sram(dst, data.len()) {
            // SAFETY: own_sram checked that the range lies in this core's SRAM.
            unsafe { copy_to_shared(self.local(offset), data) };
            return;
        }
        if self.me().det {
            return self.det_write(dst, data);
        }
        let dst = dst.resolve(self.me().id);
        match self.shared().memory.translate(dst, data.len()) {
            Target::Sram { core, ptr } => {
                self.count_write(Some(core), data.len());
                // SAFETY: translate checked that `ptr` has room for `data`.
                unsafe { copy_to_shared(ptr, data) }
            }
            Target::Dram { ptr } => {
                self.count_write(None, data.len());
                // SAFETY: as above.
                unsafe { copy_to_shared(ptr, data) }
            }
            Target::Register { core, offset } => {
                self.count_write(Some(core), 4);
                let value = u32::from_le_bytes([data[0], data[1], data[2], data[3]]);
                self.shared().write_register(core, offset, value);
            }
            Target::Unmapped => self.fault(dst, data.len(), true),
        }
    }

    #[inline]
    fn write_word(&self, dst: GlobalAddr, value: u32) {
        if let Some(offset) = self.own_sram(dst, 4) {
            if offset % 4 == 0 {
                self.store_word(offset, value);
                return;
            }
        }
        if self.me().det {
            return self.det_write_word(dst, value);
        }
        let dst = dst.resolve(self.me().id);
        if dst.raw() % 4 != 0 {
            self.fault(dst, 4, true);
        }
        match self.shared().memory.translate(dst, 4) {
            Target::Sram { core, ptr } => {
                self.count_write(Some(core), 4);
                // SAFETY: `ptr` is inside SRAM with 4 bytes of room and 4-byte
                // aligned (checked above; the mapping is page aligned).
                unsafe { (*(ptr as *const AtomicU32)).store(value, Ordering::Release) }
            }
            Target::Dram { ptr } => {
                self.count_write(None, 4);
                // SAFETY: as above, inside DRAM.
                unsafe { (*(ptr as *const AtomicU32)).store(value, Ordering::Release) }
            }
            Target::Register { core, offset } => {
                self.count_write(Some(core), 4);
                self.shared().write_register(core, offset, value);
            }
            Target::Unmapped => self.fault(dst, 4, true),
        }
    }

    fn read(&self, src: GlobalAddr, buf: &mut [u8]) {
        let src = src.resolve(self.me().id);
        let me = self.me().index as usize;
        let remote = match self.shared().memory.translate(src, buf.len()) {
            Target::Sram { core, ptr } => {
                // SAFETY: translate checked that `ptr` holds `buf.len()` bytes.
                unsafe { copy_from_shared(buf, ptr) };
                core != me
            }
            Target::Dram { ptr } => {
                // SAFETY: as above.
                unsafe { copy_from_shared(buf, ptr) };
                true
            }
            Target::Register { core, offset } => {
                let v = self.shared().read_register(core, offset);
                buf.copy_from_slice(&v.to_le_bytes());
                core != me
            }
            Target::Unmapped => self.fault(src, buf.len(), false),
        };
        if remote {
            let c = &self.me().counters;
            bump(&c.remote_reads, 1);
            bump(&c.remote_read_bytes, buf.len() as u64);
        }
    }

    fn testset(&self, addr: GlobalAddr, value: u32) -> u32 {
        if addr.is_local_alias() || addr.raw() % 4 != 0 {
            // TESTSET takes a global, word-aligned address only, as on the chip.
            self.fault(addr, 4, true);
        }
        let target = self.shared().memory.translate(addr, 4);
        let (core, ptr) = match target {
            Target::Sram { core, ptr } => (Some(core), ptr),
            Target::Dram { ptr } => (None, ptr),
            Target::Register { .. } | Target::Unmapped => self.fault(addr, 4, true),
        };
        if core != Some(self.me().index as usize) {
            // A round trip on the mesh: the request travels like a write,
            // the old value comes back like a read.
            let c = &self.me().counters;
            bump(&c.remote_writes, 1);
            bump(&c.remote_write_bytes, 4);
            bump(&c.remote_reads, 1);
            bump(&c.remote_read_bytes, 4);
            if self.me().det {
                // The request travels the write network behind this core's
                // earlier writes to the same destination: they land first.
                self.shared().flush(self.me().index as usize, core);
            }
        }
        // SAFETY: `ptr` is inside SRAM or DRAM with 4 bytes of room and
        // 4-byte aligned (checked above; the mappings are page aligned).
        let word = unsafe { &*(ptr as *const AtomicU32) };
        match word.compare_exchange(0, value, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => 0,
            Err(current) => current,
        }
    }

    fn wake_at(&self, deadline: u64) {
        let me = self.me();
        if me.det {
            // Deterministic mode: a deadline in steps, kept by the engine.
            me.deadline.set(me.deadline.get().min(deadline));
        } else {
            self.shared().timers.arm(me.index as usize, deadline);
        }
    }

    #[inline]
    fn raise(&self, core: CoreId, irq: Irq) {
        let me = self.me();
        if irq != Irq::User {
            self.write_word(GlobalAddr::on_core(core, reg::ILATST), irq.bit());
        } else if core == me.id {
            // Our own wake-up: the executor is running right now on this
            // thread and checks the flag before it sleeps.
            me.own_wake.set(true);
        } else if me.det {
            self.det_raise_user(core);
        } else {
            // The user interrupt of another core: one write to its ILATST,
            // whose latch the simulator keeps in the core's scheduling word
            // (see `Shared::raise_user`).
            match self.shared().memory.core_index(core) {
                Some(index) => {
                    self.count_write(Some(index), 4);
                    self.shared().raise_user(index);
                }
                None => self.fault(GlobalAddr::on_core(core, reg::ILATST), 4, true),
            }
        }
    }

    #[inline]
    fn take_wake(&self) -> bool {
        // Only the core's own raises are seen here; another core's raise
        // while this one runs sets NOTIFIED in the scheduling word, and the
        // worker runs the executor again instead of letting it sleep.
        self.me().own_wake.replace(false)
    }

    fn wand(&self) {
        self.shared().wand_raise(self.me().index as usize);
    }

    #[inline]
    fn take_irq(&self, irq: Irq) -> bool {
        if irq == Irq::User {
            return self.take_wake();
        }
        // Every other interrupt is latched in ILAT (the WAND interrupt by
        // `Shared::wand_latch`, before it wakes the core): ILATCL.
        self.me().regs.ilat().fetch_and(!irq.bit(), Ordering::AcqRel) & irq.bit() != 0
    }

    fn notify_host(&self) {
        self.shared().notify_host();
    }

    #[inline]
    fn tracing(&self) -> bool {
        self.shared().tracing.load(Ordering::Relaxed)
    }

    fn trace(&self, event: TraceEvent) {
        let ticks = self.shared().now_ns();
        // SAFETY: only the thread running this core calls its mesh (the
        // worker holding its RUNNING bit, or the engine), which is the one
        // thread the trace buffer allows (field doc); the reference ends here.
        let buffer = unsafe { &mut *self.me().trace.get() };
        if buffer.len() < TRACE_EVENTS_PER_CORE {
            buffer.push(TraceRecord {
                ticks,
                kind: event.kind,
                task_record: event.task_record,
                what: event.what,
            });
        }
    }

    #[inline]
    fn now_ticks(&self) -> u64 {
        self.shared().now_ns()
    }

    fn ticks_per_second(&self) -> u64 {
        1_000_000_000
    }
}
