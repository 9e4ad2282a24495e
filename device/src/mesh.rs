//! The one boundary between the device runtime and the chip it runs on.
//!
//! Everything the runtime does to memory outside plain local variables goes
//! through [`Mesh`]: polls of its own SRAM, posted writes to other cores (or to
//! itself), raising interrupts, reading its timer. On silicon these are single
//! instructions; in ecsp's simulator they are the places where the simulator
//! counts traffic, checks addresses and decides ordering.
//!
//! # Ordering contract
//! The chip guarantees only this: transactions from one core to one other
//! destination on the same network arrive in the order they were issued. A
//! [`Mesh`] implementation must give exactly that for writes issued with
//! [`Mesh::write`], [`Mesh::write_word`] and [`Mesh::raise`] to one
//! destination core, and the runtime must never rely on more.

use crate::addr::{CoreId, GlobalAddr, Irq};
use core::sync::atomic::AtomicU32;

/// A core's view of the chip: what the device runtime needs from its platform.
///
/// Implementations are cheap handles (`Copy`), one per core. The runtime
/// touches memory only through these methods (and process states through
/// [`Mesh::local`]), so an implementation sees, and may check or reorder
/// within the chip's rules, every access the protocol makes.
///
/// # Safety
/// Implementors promise, for every method:
/// - [`Mesh::local`] returns a pointer valid for reads and writes of
///   `local_size() - offset` bytes for as long as the core runs, aligned as
///   the offset is aligned (the base is 8-byte aligned).
/// - writes to one destination core become visible there in issue order, and
///   a word written by [`Mesh::write_word`] is visible to an `Acquire` load of
///   that word only after every earlier write to the same destination is.
/// - [`Mesh::take_wake`] returns `true` at least once after any
///   [`Mesh::raise`] of [`Irq::User`] on this core that happened after the
///   previous call returned.
/// - a WAND completion that includes this core ([`Mesh::wand`]) latches
///   [`Irq::Wand`] after it cleared the flags, and then wakes the core as a
///   raise of [`Irq::User`] does; [`Mesh::take_irq`] of [`Irq::Wand`] returns
///   `true` once per latch. The barrier completes only once every core
///   taking part has raised its flag since the previous completion.
pub unsafe trait Mesh: Copy {
    /// True when this mesh's [`Mesh::load_word`], [`Mesh::store_word`] and
    /// [`Mesh::read_local`] are the trait's own over [`Mesh::local`]: then
    /// code that holds the local memory's pointer may make those accesses
    /// itself, the same way (the C runtime in a simulator does,
    /// [`crate::c_hal::Hal::sram`]). An implementation that overrides one of
    /// them must leave this false.
    const PLAIN_LOCAL: bool = false;

    /// This core's id.
    fn core_id(&self) -> CoreId;

    /// Pointer to byte `offset` of this core's SRAM.
    fn local(&self, offset: u32) -> *mut u8;

    /// Bytes of local memory [`Mesh::local`] reaches: a core's SRAM; the
    /// host's slice of DRAM when the host is the node.
    fn local_size(&self) -> u32 {
        crate::addr::SRAM_SIZE
    }

    /// Loads the word at `offset` of this core's SRAM with acquire ordering:
    /// a poll. Pairs with the release of [`Mesh::write_word`] by its writer.
    ///
    /// # Panics
    /// When `offset` is not 4-byte aligned or not inside SRAM.
    fn load_word(&self, offset: u32) -> u32 {
        local_atomic(self, offset).load(core::sync::atomic::Ordering::Acquire)
    }

    /// Stores the word at `offset` of this core's SRAM with release ordering
    /// (results and statuses the host polls).
    ///
    /// # Panics
    /// When `offset` is not 4-byte aligned or not inside SRAM.
    fn store_word(&self, offset: u32, value: u32) {
        local_atomic(self, offset).store(value, core::sync::atomic::Ordering::Release)
    }

    /// Copies `buf.len()` bytes at `offset` of this core's SRAM into `buf`.
    ///
    /// # Panics
    /// When the range is not inside local memory.
    fn read_local(&self, offset: u32, buf: &mut [u8]) {
        assert!(
            offset as u64 + buf.len() as u64 <= self.local_size() as u64,
            "local read outside local memory"
        );
        // SAFETY: the range lies inside this node's local memory (checked),
        // which `local` makes valid for reads (trait contract).
        unsafe { copy_from_shared(buf, self.local(offset)) }
    }

    /// Copies `data` to `offset` of this core's SRAM.
    ///
    /// # Panics
    /// When the range is not inside local memory.
    fn write_local(&self, offset: u32, data: &[u8]) {
        assert!(
            offset as u64 + data.len() as u64 <= self.local_size() as u64,
            "local write outside local memory"
        );
        // SAFETY: the range lies inside this node's local memory (checked),
        // which `local` makes valid for writes (trait contract).
        unsafe { copy_to_shared(self.local(offset), data) }
    }

    /// Posted write of `data` to `dst` (any core, this one included, or DRAM).
    fn write(&self, dst: GlobalAddr, data: &[u8]);

    /// Posted write of one word, ordered after every earlier access of
    /// this core: its earlier writes to the same destination arrive first, and
    /// its earlier loads have completed (on the Epiphany a load stalls the core
    /// until its data returns). The "flag after payload" and "acknowledge
    /// after copying out" of the protocol.
    fn write_word(&self, dst: GlobalAddr, value: u32);

    /// Blocking read of `buf.len()` bytes at `src`. A remote read stalls the
    /// core for a round trip on the rMesh; the channel protocol never uses it.
    fn read(&self, src: GlobalAddr, buf: &mut [u8]);

    /// TESTSET, the chip's one atomic: if the word at global `addr` is zero,
    /// writes `value` there and returns 0; otherwise leaves it and returns
    /// what it holds. `addr` must be a global address (not the local alias),
    /// as on the chip.
    fn testset(&self, addr: GlobalAddr, value: u32) -> u32;

    /// Arms this core's timer: its user interrupt is raised once
    /// [`Mesh::now_ticks`] reaches `deadline` (for timeouts). Arming again
    /// keeps the earliest pending deadline; a wake-up may come early or more
    /// than once, never never.
    fn wake_at(&self, deadline: u64);

    /// Raises `irq` on `core` (a write of `1 << irq` to its ILATST).
    fn raise(&self, core: CoreId, irq: Irq);

    /// Consumes this core's pending user interrupt: `true` when one was raised
    /// since the last call. The executor polls again after a `true`.
    fn take_wake(&self) -> bool;

    /// Raises this core's WAND flag: the `wand` instruction, which sets bit 3
    /// of STATUS. Raising a raised flag does nothing.
    ///
    /// The chip ANDs the flags of the cores taking part (on silicon: every
    /// core of the chip; see `device/PROTOCOL.md`, Barriers). When the last
    /// of them raises its flag the barrier completes: every flag is cleared
    /// (ecsp's WAND handler clears STATUS bit 3 on each core) and each of
    /// those cores gets its WAND interrupt, [`Irq::Wand`]: the latch that
    /// [`Mesh::take_irq`] consumes, and a wake-up like a user interrupt (the
    /// executor runs another round). A core that does not take part raises
    /// nothing: its flag counts as always raised.
    fn wand(&self);

    /// Consumes this core's latched interrupt `irq` (clears its ILAT bit):
    /// `true` when it was latched since the last call. For [`Irq::User`] it
    /// is [`Mesh::take_wake`].
    fn take_irq(&self, irq: Irq) -> bool;

    /// Tells the host something it waits for changed (a process finished).
    /// On silicon a write to the host mailbox; may do nothing.
    fn notify_host(&self) {}

    /// True while the platform records a trace: the runtime then reports
    /// events with [`Mesh::trace`]. A platform that never traces keeps the
    /// default, a constant `false`.
    #[inline]
    fn tracing(&self) -> bool {
        false
    }

    /// Records one event with the current time (called only while
    /// [`Mesh::tracing`]).
    fn trace(&self, _event: crate::trace::TraceEvent) {}

    /// A free-running tick counter.
    fn now_ticks(&self) -> u64;

    /// Ticks per second of [`Mesh::now_ticks`].
    fn ticks_per_second(&self) -> u64;
}

/// The word at `offset` of this core's SRAM as an atomic.
fn local_atomic<M: Mesh>(mesh: &M, offset: u32) -> &AtomicU32 {
    assert!(
        offset % 4 == 0 && offset < mesh.local_size(),
        "local word offset must be aligned and inside local memory"
    );
    // SAFETY: (1) `local` returns a pointer valid for the rest of SRAM for
    // as long as the core runs (trait contract), and the mesh handle lives
    // no longer than the core; (2) the offset is 4-byte aligned and the SRAM
    // base is 8-byte aligned, so the pointer is aligned for AtomicU32; (3)
    // every access to shared words goes through atomics, so no non-atomic
    // access races with this one.
    unsafe { &*(mesh.local(offset) as *const AtomicU32) }
}

/// Copies `src` into shared memory at `dst` with relaxed atomic stores, so a
/// concurrent poller on the host never sees a torn word through a data race.
///
/// Whole aligned words are copied a word at a time, anything else a byte at
/// a time.
///
/// # Safety
/// - `dst` is valid for writes of `src.len()` bytes.
pub unsafe fn copy_to_shared(dst: *mut u8, src: &[u8]) {
    use core::sync::atomic::{AtomicU8, Ordering::Relaxed};
    if src.len() == 4 && dst as usize % 4 == 0 {
        // The common message: one word.
        let word = u32::from_ne_bytes([src[0], src[1], src[2], src[3]]);
        // SAFETY: `dst` has room for 4 bytes (caller duty) and is aligned (checked).
        unsafe { (*(dst as *const AtomicU32)).store(word, Relaxed) };
    } else if src.len() % 4 == 0 && dst as usize % 4 == 0 {
        for (i, chunk) in src.chunks_exact(4).enumerate() {
            let word = u32::from_ne_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
            // SAFETY: (1) `dst + 4*i` is inside the destination (caller duty);
            // (2) it is 4-byte aligned (checked above).
            unsafe { (*(dst.add(4 * i) as *const AtomicU32)).store(word, Relaxed) };
        }
    } else {
        for (i, byte) in src.iter().enumerate() {
            // SAFETY: `dst + i` is inside the destination (caller duty).
            unsafe { (*(dst.add(i) as *const AtomicU8)).store(*byte, Relaxed) };
        }
    }
}

/// Copies shared memory at `src` into `dst` with relaxed atomic loads.
///
/// # Safety
/// - `src` is valid for reads of `dst.len()` bytes.
pub unsafe fn copy_from_shared(dst: &mut [u8], src: *const u8) {
    use core::sync::atomic::{AtomicU8, Ordering::Relaxed};
    if dst.len() == 4 && src as usize % 4 == 0 {
        // The common message: one word.
        // SAFETY: `src` holds 4 bytes (caller duty) and is aligned (checked).
        let word = unsafe { (*(src as *const AtomicU32)).load(Relaxed) };
        dst.copy_from_slice(&word.to_ne_bytes());
    } else if dst.len() % 4 == 0 && src as usize % 4 == 0 {
        for (i, chunk) in dst.chunks_exact_mut(4).enumerate() {
            // SAFETY: (1) `src + 4*i` is inside the source (caller duty);
            // (2) it is 4-byte aligned (checked above).
            let word = unsafe { (*(src.add(4 * i) as *const AtomicU32)).load(Relaxed) };
            chunk.copy_from_slice(&word.to_ne_bytes());
        }
    } else {
        for (i, byte) in dst.iter_mut().enumerate() {
            // SAFETY: `src + i` is inside the source (caller duty).
            *byte = unsafe { (*(src.add(i) as *const AtomicU8)).load(Relaxed) };
        }
    }
}
