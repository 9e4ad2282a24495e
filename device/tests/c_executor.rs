//! The C runtime's executor (the one that runs a core on silicon) against
//! the Rust executor, on the same boot tables: the same boot checks give
//! the same `BootError` codes, and a whole core of C processes runs to the
//! same results.
//!
//! The core here is one simulated SRAM on the test's own thread: a small
//! [`Mesh`] over a buffer, where every write lands at once (one core, so
//! program order is the mesh's order).

use ecsp_device::addr::{CoreId, GlobalAddr, Irq, SRAM_SIZE};
use ecsp_device::boot::*;
use ecsp_device::c_runtime::{state_size, CExecutor};
use ecsp_device::executor::{Executor, RunStatus};
use ecsp_device::mesh::Mesh;
use ecsp_device::message::Dtype;
use ecsp_device::process::{kind_by_name, KINDS};
use std::cell::Cell;

const CORE: CoreId = CoreId::from_row_col(32, 8);

/// One core's SRAM and wake-up latch.
struct Core {
    sram: Box<[u64]>,
    wake: Cell<bool>,
    ticks: Cell<u64>,
}

impl Core {
    fn new(image: &[u8]) -> Core {
        let core = Core {
            sram: vec![0u64; SRAM_SIZE as usize / 8].into_boxed_slice(),
            wake: Cell::new(false),
            ticks: Cell::new(0),
        };
        let mesh = OneCore(&core);
        mesh.write_local(BOOT_OFFSET, image);
        core
    }

    fn word(&self, offset: u32) -> u32 {
        OneCore(self).load_word(offset)
    }
}

#[derive(Clone, Copy)]
struct OneCore<'a>(&'a Core);

impl OneCore<'_> {
    fn own(&self, addr: GlobalAddr, len: usize) -> u32 {
        let offset = addr.offset();
        assert!(
            (addr.core_field() == 0 || addr.core_field() == CORE.raw()) && offset as usize + len <= SRAM_SIZE as usize,
            "an access to {addr} leaves this one-core test"
        );
        offset
    }
}

// SAFETY: (1) `local` points into the core's boxed SRAM, 8-byte aligned (a
// u64 slice), valid while the `Core` lives, which outlives every handle;
// (2) one core on one thread: every write lands at once, in issue order;
// (3) `raise` of the user interrupt sets the latch `take_wake` consumes;
// (4) no WAND participants here: `wand` and WAND latches are never used.
unsafe impl Mesh for OneCore<'_> {
    fn core_id(&self) -> CoreId {
        CORE
    }
    fn local(&self, offset: u32) -> *mut u8 {
        assert!(offset <= SRAM_SIZE);
        // SAFETY: inside (or one past) the SRAM buffer.
        unsafe { (self.0.sram.as_ptr() as *mut u8).add(offset as usize) }
    }
    fn write(&self, dst: GlobalAddr, data: &[u8]) {
        let offset = self.own(dst, data.len());
        self.write_local(offset, data);
    }
    fn write_word(&self, dst: GlobalAddr, value: u32) {
        let offset = self.own(dst, 4);
        self.store_word(offset, value);
    }
    fn read(&self, src: GlobalAddr, buf: &mut [u8]) {
        let offset = self.own(src, buf.len());
        self.read_local(offset, buf);
    }
    fn testset(&self, addr: GlobalAddr, value: u32) -> u32 {
        let offset = self.own(addr, 4);
        let old = self.load_word(offset);
        if old == 0 {
            self.store_word(offset, value);
        }
        old
    }
    fn wake_at(&self, _deadline: u64) {
        self.0.wake.set(true);
    }
    fn raise(&self, core: CoreId, irq: Irq) {
        assert_eq!(core, CORE, "one core only");
        assert_eq!(irq, Irq::User);
        self.0.wake.set(true);
    }
    fn take_wake(&self) -> bool {
        self.0.wake.replace(false)
    }
    fn wand(&self) {
        unreachable!("no WAND participants in these tests")
    }
    fn take_irq(&self, irq: Irq) -> bool {
        irq == Irq::User && self.take_wake()
    }
    fn now_ticks(&self) -> u64 {
        self.0.ticks.set(self.0.ticks.get() + 1);
        self.0.ticks.get()
    }
    fn ticks_per_second(&self) -> u64 {
        1_000_000_000
    }
}

/// A boot image for one core: `tasks` (kind name, dtype, params, inputs,
/// outputs) wired in a pipeline, task `i`'s output to task `i + 1`'s input,
/// over channels of `capacity`. Returns the image (from `BOOT_OFFSET`) and
/// each task's record offset.
fn pipeline_image(tasks: &[(&str, [i64; 4])], capacity: u32, dtype: Dtype) -> (Vec<u8>, Vec<u32>) {
    let channels = tasks.len() as u32 - 1;
    let msg = dtype.size();
    let tasks_offset = align_up(BOOT_OFFSET + 64, 8);
    let ends_offset = tasks_offset + 96 * tasks.len() as u32;
    let end_count = 2 * channels;
    let mut next = align_up(ends_offset + 32 * end_count, 8);
    // Channel c: ring (reader's), then ack (writer's); all on this core.
    let mut rings = Vec::new();
    for _ in 0..channels {
        let ring = next;
        let ack = align_up(ring + ecsp_device::channel::block::ring_block_size(capacity, msg), 8);
        next = align_up(ack + 8, 8);
        rings.push((ring, ack));
    }
    let arena_offset = next;
    // Room per state: the larger of the two runtimes' needs, as a planner would.
    let room = 1024u32;
    let header = BootHeader {
        magic: BOOT_MAGIC,
        version: BOOT_VERSION,
        core_id: CORE.raw() as u32,
        task_count: tasks.len() as u32,
        end_count,
        tasks_offset,
        ends_offset,
        arena_offset,
        arena_size: room * tasks.len() as u32,
        core_status: core_status::LOADED,
        fault_task: u32::MAX,
        ..BootHeader::default()
    };
    let mut image = vec![0u8; (arena_offset - BOOT_OFFSET) as usize];
    image[..64].copy_from_slice(bytemuck::bytes_of(&header));
    let mut ends = Vec::new();
    let mut records = Vec::new();
    for (i, (name, params)) in tasks.iter().enumerate() {
        let (kind, _) = kind_by_name(name).unwrap();
        let first_end = ends.len() as u32;
        let (mut inputs, mut outputs) = (0, 0);
        let global = |offset: u32| GlobalAddr::on_core(CORE, offset).raw();
        if i > 0 {
            let (ring, ack) = rings[i - 1];
            ends.push(EndRecord {
                local: ring,
                remote: global(ack),
                peer: CORE.raw() as u32,
                capacity,
                msg_size: msg,
                direction: END_READ,
                lanes: 1,
                table: 0,
            });
            inputs = 1;
        }
        if i + 1 < tasks.len() {
            let (ring, ack) = rings[i];
            ends.push(EndRecord {
                local: ack,
                remote: global(ring),
                peer: CORE.raw() as u32,
                capacity,
                msg_size: msg,
                direction: END_WRITE,
                lanes: 1,
                table: 0,
            });
            outputs = 1;
        }
        let record = TaskRecord {
            kind,
            dtype: dtype as u32,
            first_end,
            inputs,
            outputs,
            state_offset: room * i as u32,
            state_size: room,
            params: *params,
            ..TaskRecord::default()
        };
        let at = tasks_offset + 96 * i as u32;
        records.push(at);
        let at = (at - BOOT_OFFSET) as usize;
        image[at..at + 96].copy_from_slice(bytemuck::bytes_of(&record));
    }
    for (i, end) in ends.iter().enumerate() {
        let at = (ends_offset - BOOT_OFFSET) as usize + 32 * i;
        image[at..at + 32].copy_from_slice(bytemuck::bytes_of(end));
    }
    (image, records)
}

fn record(core: &Core, offset: u32) -> TaskRecord {
    let mut t = TaskRecord::default();
    OneCore(core).read_local(offset, bytemuck::bytes_of_mut(&mut t));
    t
}

/// Runs the image on the C executor until every process ended.
fn run_c(image: &[u8]) -> Core {
    let core = Core::new(image);
    let mesh = OneCore(&core);
    // SAFETY: the image was laid out for this core; nothing else runs here.
    let mut ex = unsafe { CExecutor::boot(&mesh) }.expect("the C executor boots");
    for _ in 0..1_000_000 {
        mesh.take_wake();
        // SAFETY: the executor booted on this core, untouched since.
        if unsafe { ex.round(&mesh) } == 0 {
            return core;
        }
    }
    panic!("the C processes did not end");
}

/// Runs the image on the Rust executor until every process ended.
fn run_rust(image: &[u8]) -> Core {
    let core = Core::new(image);
    let finished = {
        let mesh = OneCore(&core);
        // SAFETY: as in `run_c`.
        let mut ex = unsafe { Executor::boot(mesh) }.expect("the Rust executor boots");
        (0..1_000_000).any(|_| ex.run(1000) == RunStatus::Finished)
    };
    assert!(finished, "the Rust processes did not end");
    core
}

#[test]
fn a_core_of_c_processes_gives_the_rust_results() {
    for dtype in [Dtype::U32, Dtype::I64, Dtype::F32, Dtype::F64] {
        for capacity in [0, 1, 4] {
            let tasks = [
                ("generate", [5, 300, 0, 0]),
                ("prefix", [7, 0, 0, 0]),
                ("succ", [0; 4]),
                ("id", [0; 4]),
                ("sieve", [0; 4]),
                ("consume", [-1, 3, 0, 0]),
            ];
            let (image, records) = pipeline_image(&tasks, capacity, dtype);
            let c = run_c(&image);
            let rust = run_rust(&image);
            let what = format!("{dtype:?}, capacity {capacity}");
            assert_eq!(
                c.word(BOOT_OFFSET + CORE_STATUS_OFFSET),
                core_status::FINISHED,
                "{what}"
            );
            for (i, &r) in records.iter().enumerate() {
                let (got, want) = (record(&c, r), record(&rust, r));
                assert_eq!(got.status, task_status::FINISHED, "{what}: task {i}");
                assert_eq!(
                    (got.value, got.aux, got.error),
                    (want.value, want.aux, want.error),
                    "{what}: task {i} ({})",
                    tasks[i].0
                );
            }
            // The sieve holds the first value it saw: prefix's 7, plus one.
            assert_eq!(record(&c, records[4]).value, 8, "{what}");
        }
    }
}

#[test]
fn the_c_executor_refuses_what_the_rust_one_refuses_with_the_same_code() {
    let tasks = [("generate", [1, 10, 0, 0]), ("consume", [-1, 0, 0, 0])];
    let (good, records) = pipeline_image(&tasks, 0, Dtype::U32);
    let t0 = (records[0] - BOOT_OFFSET) as usize;
    let word = |at: usize, value: u32| {
        let mut image = good.clone();
        image[at..at + 4].copy_from_slice(&value.to_le_bytes());
        image
    };
    let cases: Vec<(&str, Vec<u8>, u32)> = vec![
        ("bad magic", word(0, 0x1234), 1),
        ("version", word(4, 1), 2),
        ("wrong core", word(8, 0x809), 3),
        ("too many tasks", word(12, 129), 4),
        ("tasks past the stack", word(20, STACK_BOTTOM - 8), 5),
        ("misaligned arena", word(28, 0x2204), 5),
        ("ends past the table", word(t0 + 8, 7), 5),
        ("unknown kind", word(t0, 999), 6),
        ("unknown dtype", word(t0 + 4, 9), 7),
        ("no room", word(t0 + 24, 8), 8),
    ];
    for (what, image, code) in cases {
        let c = Core::new(&image);
        // SAFETY: one core, nothing else runs on it.
        let got = unsafe { CExecutor::boot(&OneCore(&c)) }.err();
        let rust = Core::new(&image);
        // SAFETY: as above.
        let want = unsafe { Executor::boot(OneCore(&rust)) }.err().map(|e| e.code());
        assert_eq!(want, Some(code), "{what}: the Rust executor");
        assert_eq!(got, Some(code), "{what}: the C executor");
        for core in [&c, &rust] {
            assert_eq!(core.word(BOOT_OFFSET + BOOT_ERROR_OFFSET), code, "{what}");
            assert_eq!(
                core.word(BOOT_OFFSET + CORE_STATUS_OFFSET),
                core_status::FAULTED,
                "{what}"
            );
            assert_eq!(
                core.word(records[0] + TASK_STATUS_OFFSET),
                task_status::LOADED,
                "{what}"
            );
        }
    }
}

#[test]
fn every_c_state_fits_the_room_a_test_image_gives() {
    for (kind, spec) in KINDS.iter().enumerate() {
        assert!(
            state_size::<OneCore<'static>>(kind as u32).unwrap() <= 1024,
            "{}",
            spec.name
        );
    }
}
