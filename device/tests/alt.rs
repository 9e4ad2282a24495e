//! Alternation semantics on a two-core memory driven by hand: fair and
//! priority choice, pre-conditions, skip, timeout (with a clock the test
//! moves), input guards on open, closed and poisoned channels, and output
//! guards on buffered channels.

use ecsp_device::addr::{CoreId, GlobalAddr, Irq};
use ecsp_device::alt::{Alt, AltError, Guard, Skip, Timeout};
use ecsp_device::boot::{EndRecord, END_READ, END_WRITE};
use ecsp_device::channel::{Receiver, Sender, TryRecvError};
use ecsp_device::mesh::Mesh;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};

const WORDS: usize = 64;

fn core(i: usize) -> CoreId {
    CoreId::from_row_col(32, 8 + i as u32)
}

/// Two cores' SRAM as words, a clock and the last armed deadline.
struct Memory {
    words: [Vec<AtomicU32>; 2],
    now: AtomicU64,
    armed: AtomicU64,
}

#[derive(Clone, Copy)]
struct TestMesh {
    memory: &'static Memory,
    me: usize,
}

impl TestMesh {
    fn word(&self, addr: GlobalAddr) -> &AtomicU32 {
        let (c, offset) = addr.resolve(core(self.me)).split().unwrap();
        &self.memory.words[(c.col() - 8) as usize][(offset / 4) as usize]
    }
}

// SAFETY: no `local` pointers are handed out; all access is through atomics.
unsafe impl Mesh for TestMesh {
    fn core_id(&self) -> CoreId {
        core(self.me)
    }
    fn local(&self, _offset: u32) -> *mut u8 {
        panic!("no task arena in this test")
    }
    fn load_word(&self, offset: u32) -> u32 {
        self.word(GlobalAddr::on_core(core(self.me), offset))
            .load(Ordering::Acquire)
    }
    fn store_word(&self, offset: u32, value: u32) {
        self.word(GlobalAddr::on_core(core(self.me), offset))
            .store(value, Ordering::Release)
    }
    fn read_local(&self, offset: u32, buf: &mut [u8]) {
        for (i, chunk) in buf.chunks_mut(4).enumerate() {
            let w = self.load_word(offset + 4 * i as u32);
            chunk.copy_from_slice(&w.to_le_bytes()[..chunk.len()]);
        }
    }
    fn write_local(&self, offset: u32, data: &[u8]) {
        self.write(GlobalAddr::on_core(core(self.me), offset), data)
    }
    fn write(&self, dst: GlobalAddr, data: &[u8]) {
        for (i, chunk) in data.chunks(4).enumerate() {
            let mut w = [0u8; 4];
            w[..chunk.len()].copy_from_slice(chunk);
            self.word(dst.add(4 * i as u32))
                .store(u32::from_le_bytes(w), Ordering::Release);
        }
    }
    fn write_word(&self, dst: GlobalAddr, value: u32) {
        self.word(dst).store(value, Ordering::Release)
    }
    fn read(&self, _src: GlobalAddr, _buf: &mut [u8]) {
        panic!("no remote reads")
    }
    fn testset(&self, _addr: GlobalAddr, _value: u32) -> u32 {
        panic!("no testset here")
    }
    fn wake_at(&self, deadline: u64) {
        self.memory.armed.store(deadline, Ordering::Relaxed);
    }
    fn raise(&self, _core: CoreId, _irq: Irq) {}
    fn take_wake(&self) -> bool {
        false
    }
    fn wand(&self) {
        panic!("no WAND barrier in this test")
    }
    fn take_irq(&self, _irq: Irq) -> bool {
        // Nothing is ever latched: raises are not modelled here.
        false
    }
    fn now_ticks(&self) -> u64 {
        self.memory.now.load(Ordering::Relaxed)
    }
    fn ticks_per_second(&self) -> u64 {
        1_000
    }
}

fn memory() -> &'static Memory {
    Box::leak(Box::new(Memory {
        words: [
            (0..WORDS).map(|_| AtomicU32::new(0)).collect(),
            (0..WORDS).map(|_| AtomicU32::new(0)).collect(),
        ],
        now: AtomicU64::new(0),
        armed: AtomicU64::new(u64::MAX),
    }))
}

/// Channel `k` (0..3) between core 0 (writer) and core 1 (reader); each
/// channel gets its own blocks.
fn channel(memory: &'static Memory, k: u32, capacity: u32) -> (Sender<u32, TestMesh>, Receiver<u32, TestMesh>) {
    let ack = 8 * k;
    let ring = 0x40 + 0x30 * k;
    let w = EndRecord {
        local: ack,
        remote: GlobalAddr::on_core(core(1), ring).raw(),
        peer: core(1).raw() as u32,
        capacity,
        msg_size: 4,
        direction: END_WRITE,
        lanes: 1,
        table: 0,
    };
    let r = EndRecord {
        local: ring,
        remote: GlobalAddr::on_core(core(0), ack).raw(),
        peer: core(0).raw() as u32,
        capacity,
        msg_size: 4,
        direction: END_READ,
        lanes: 1,
        table: 0,
    };
    // SAFETY: fresh zeroed blocks, each end made once.
    let tx = unsafe { Sender::from_record(TestMesh { memory, me: 0 }, &w, 2 * k) }.unwrap();
    // SAFETY: as above.
    let rx = unsafe { Receiver::from_record(TestMesh { memory, me: 1 }, &r, 2 * k + 1) }.unwrap();
    (tx, rx)
}

/// Polls once.
fn poll_once<F: Future>(f: F) -> Poll<F::Output> {
    let mut f = pin!(f);
    f.as_mut().poll(&mut Context::from_waker(Waker::noop()))
}

fn ready<T>(p: Poll<T>) -> T {
    match p {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("expected the select to complete"),
    }
}

#[test]
fn fair_select_rotates_among_ready_guards() {
    let m = memory();
    let mesh = TestMesh { memory: m, me: 1 };
    let mut alt = Alt::new(mesh);
    let (a, b, c) = (Skip, Skip, Skip);
    let mut order = Vec::new();
    for _ in 0..7 {
        let mut guards = [Guard::new(&a), Guard::new(&b), Guard::new(&c)];
        order.push(ready(poll_once(alt.fair_select(&mut guards))).unwrap());
    }
    assert_eq!(order, [0, 1, 2, 0, 1, 2, 0]);
}

#[test]
fn pri_select_always_prefers_the_first_ready_guard() {
    let m = memory();
    let mut alt = Alt::new(TestMesh { memory: m, me: 1 });
    let (mut tx0, rx0) = channel(m, 0, 4);
    let (mut tx1, rx1) = channel(m, 1, 4);
    tx0.try_send(1).unwrap();
    tx1.try_send(2).unwrap();
    for _ in 0..3 {
        let mut guards = [Guard::new(&rx0), Guard::new(&rx1)];
        assert_eq!(ready(poll_once(alt.pri_select(&mut guards))), Ok(0));
    }
}

#[test]
fn a_fair_merge_serves_every_busy_input_in_turn() {
    let m = memory();
    let mut alt = Alt::new(TestMesh { memory: m, me: 1 });
    let (mut t0, mut r0) = channel(m, 0, 8);
    let (mut t1, mut r1) = channel(m, 1, 8);
    let (mut t2, mut r2) = channel(m, 2, 8);
    for i in 0..6 {
        t0.try_send(100 + i).unwrap();
        t1.try_send(200 + i).unwrap();
        t2.try_send(300 + i).unwrap();
    }
    let mut got = Vec::new();
    for _ in 0..9 {
        let i = {
            let mut guards = [Guard::new(&r0), Guard::new(&r1), Guard::new(&r2)];
            ready(poll_once(alt.fair_select(&mut guards))).unwrap()
        };
        let rx = [&mut r0, &mut r1, &mut r2];
        got.push(rx.into_iter().nth(i).unwrap().try_recv().unwrap());
    }
    assert_eq!(got, [100, 200, 300, 101, 201, 301, 102, 202, 302]);
}

#[test]
fn pre_conditions_disable_guards_and_all_disabled_is_an_error() {
    let m = memory();
    let mut alt = Alt::new(TestMesh { memory: m, me: 1 });
    let (a, b) = (Skip, Skip);
    for _ in 0..3 {
        let mut guards = [Guard::new(&a).when(false), Guard::new(&b)];
        assert_eq!(ready(poll_once(alt.fair_select(&mut guards))), Ok(1));
    }
    let mut guards = [Guard::new(&a).when(false), Guard::new(&b).when(false)];
    assert_eq!(ready(poll_once(alt.select(&mut guards))), Err(AltError::NothingEnabled));
    let mut none: [Guard<'_>; 0] = [];
    assert_eq!(ready(poll_once(alt.select(&mut none))), Err(AltError::NothingEnabled));
}

#[test]
fn skip_is_chosen_only_when_nothing_before_it_is_ready_under_pri_select() {
    let m = memory();
    let mut alt = Alt::new(TestMesh { memory: m, me: 1 });
    let (mut tx, mut rx) = channel(m, 0, 2);
    let skip = Skip;
    {
        let mut guards = [Guard::new(&rx), Guard::new(&skip)];
        assert_eq!(ready(poll_once(alt.pri_select(&mut guards))), Ok(1));
    }
    tx.try_send(7).unwrap();
    {
        let mut guards = [Guard::new(&rx), Guard::new(&skip)];
        assert_eq!(ready(poll_once(alt.pri_select(&mut guards))), Ok(0));
    }
    assert_eq!(rx.try_recv(), Ok(7));
}

#[test]
fn a_timeout_guard_fires_at_its_deadline_and_arms_the_timer_while_waiting() {
    let m = memory();
    let mesh = TestMesh { memory: m, me: 1 };
    let mut alt = Alt::new(mesh);
    let (_tx, rx) = channel(m, 0, 0);
    let timeout = Timeout::after(mesh, 50);
    assert_eq!(timeout.deadline(), 50);
    {
        let mut guards = [Guard::new(&rx), Guard::new(&timeout)];
        assert!(poll_once(alt.fair_select(&mut guards)).is_pending());
    }
    assert_eq!(
        m.armed.load(Ordering::Relaxed),
        50,
        "waiting armed a wake-up at the deadline"
    );
    m.now.store(49, Ordering::Relaxed);
    {
        let mut guards = [Guard::new(&rx), Guard::new(&timeout)];
        assert!(poll_once(alt.fair_select(&mut guards)).is_pending());
    }
    m.now.store(50, Ordering::Relaxed);
    let mut guards = [Guard::new(&rx), Guard::new(&timeout)];
    assert_eq!(ready(poll_once(alt.fair_select(&mut guards))), Ok(1));
}

#[test]
fn input_guards_become_ready_on_close_and_poison() {
    let m = memory();
    let mut alt = Alt::new(TestMesh { memory: m, me: 1 });
    let (mut tx0, mut rx0) = channel(m, 0, 0);
    let (mut tx1, mut rx1) = channel(m, 1, 0);
    {
        let mut guards = [Guard::new(&rx0), Guard::new(&rx1)];
        assert!(poll_once(alt.select(&mut guards)).is_pending());
    }
    tx1.close();
    {
        let mut guards = [Guard::new(&rx0), Guard::new(&rx1)];
        assert_eq!(ready(poll_once(alt.select(&mut guards))), Ok(1));
    }
    assert_eq!(rx1.try_recv(), Err(TryRecvError::Closed));
    tx0.poison();
    let mut guards = [Guard::new(&rx0), Guard::new(&rx1).when(false)];
    assert_eq!(ready(poll_once(alt.select(&mut guards))), Ok(0));
    assert_eq!(rx0.try_recv(), Err(TryRecvError::Poisoned));
}

#[test]
fn output_guards_are_ready_while_the_buffer_has_room() {
    let m = memory();
    let mut alt = Alt::new(TestMesh { memory: m, me: 0 });
    let (mut tx, mut rx) = channel(m, 0, 1);
    {
        let mut guards = [Guard::new(&tx)];
        assert_eq!(ready(poll_once(alt.select(&mut guards))), Ok(0));
    }
    tx.try_send(5).unwrap();
    {
        let mut guards = [Guard::new(&tx)];
        assert!(poll_once(alt.select(&mut guards)).is_pending(), "full buffer");
    }
    assert_eq!(rx.try_recv(), Ok(5));
    let mut guards = [Guard::new(&tx)];
    assert_eq!(ready(poll_once(alt.select(&mut guards))), Ok(0));
}

#[test]
#[should_panic(expected = "output guard needs a buffered channel")]
fn a_rendezvous_output_guard_is_refused() {
    let m = memory();
    let mut alt = Alt::new(TestMesh { memory: m, me: 0 });
    let (tx, _rx) = channel(m, 0, 0);
    let mut guards = [Guard::new(&tx)];
    let _ = poll_once(alt.select(&mut guards));
}
