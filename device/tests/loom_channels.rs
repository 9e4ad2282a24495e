//! Loom models of the channel protocol: a writer core and a reader
//! core that share nothing but the words the protocol writes. Loom explores
//! every interleaving (and every outcome the C11 model allows for the
//! orderings the protocol asks for through `Mesh`) and checks that messages
//! arrive whole, once, in order, and that neither side waits forever. The
//! shared channels (one-to-any, any-to-any) get their own models at the end:
//! each message to exactly one reader, TESTSET claims that never answer a
//! request twice, and poison racing a claimed request.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test -p ecsp-device --test loom_channels --release`
//! (scripts/test.sh does, with `LOOM_MAX_PREEMPTIONS=2`).
#![cfg(loom)]

use ecsp_device::addr::{CoreId, GlobalAddr, Irq};
use ecsp_device::boot::{
    EndRecord, LaneRecord, OutLaneRecord, PeerRecord, ShareRecord, END_READ, END_SHARED_READ, END_SHARED_WRITE,
    END_WRITE, SHARE_CLAIM_OFFSET, SHARE_STATE_OFFSET,
};
use ecsp_device::channel::block::ring_block_size;
use ecsp_device::channel::{Receiver, RecvError, SendError, Sender, TryRecvError, TrySendError};
use ecsp_device::mesh::Mesh;
use loom::sync::atomic::{AtomicU32, Ordering};
use loom::sync::Notify;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// Words of SRAM each modelled core has: enough for one ring and one ack, or
/// for one end of a shared channel.
const WORDS: usize = 64;
/// Modelled cores.
const CORES: usize = 4;
/// Where the reader's ring block is.
const RING: u32 = 0x20;
/// Where the writer's ack block is.
const ACK: u32 = 0x10;

fn core(i: usize) -> CoreId {
    CoreId::from_row_col(32, 8 + i as u32)
}

/// Four cores' SRAM as loom atomics, and each core's user-interrupt latch.
struct Memory {
    words: [Vec<AtomicU32>; CORES],
    /// Set by a raise of the core's user interrupt, consumed by
    /// [`block_on_woken`]: the executor's sleep and wake-up.
    wakes: [Notify; CORES],
}

fn memory() -> &'static Memory {
    Box::leak(Box::new(Memory {
        words: [0; CORES].map(|_| (0..WORDS).map(|_| AtomicU32::new(0)).collect()),
        wakes: [0; CORES].map(|_| Notify::new()),
    }))
}

/// One core's view of the modelled memory.
#[derive(Clone, Copy)]
struct LoomMesh {
    memory: &'static Memory,
    me: usize,
}

impl LoomMesh {
    fn word(&self, addr: GlobalAddr) -> &AtomicU32 {
        let addr = addr.resolve(core(self.me));
        let (c, offset) = addr.split().expect("resolved");
        let index = (c.col() - 8) as usize;
        assert!(offset % 4 == 0, "the protocol writes whole words here");
        &self.memory.words[index][(offset / 4) as usize]
    }

    fn local_word(&self, offset: u32) -> &AtomicU32 {
        self.word(GlobalAddr::on_core(core(self.me), offset))
    }
}

// SAFETY: the model never hands out `local` pointers (the channel protocol
// does not use them), every access goes through loom atomics with the
// orderings the contract names; a raise latches the core's `Notify`, which
// `block_on_woken` consumes before it polls again (`block_on` polls without
// sleeping, so it needs no raise at all).
unsafe impl Mesh for LoomMesh {
    fn core_id(&self) -> CoreId {
        core(self.me)
    }

    fn local(&self, _offset: u32) -> *mut u8 {
        panic!("the loom model has no task arena")
    }

    fn load_word(&self, offset: u32) -> u32 {
        self.local_word(offset).load(Ordering::Acquire)
    }

    fn store_word(&self, offset: u32, value: u32) {
        self.local_word(offset).store(value, Ordering::Release)
    }

    fn read_local(&self, offset: u32, buf: &mut [u8]) {
        for (i, chunk) in buf.chunks_mut(4).enumerate() {
            let w = self.local_word(offset + 4 * i as u32).load(Ordering::Relaxed);
            chunk.copy_from_slice(&w.to_le_bytes()[..chunk.len()]);
        }
    }

    fn write_local(&self, offset: u32, data: &[u8]) {
        self.write(GlobalAddr::on_core(core(self.me), offset), data)
    }

    fn write(&self, dst: GlobalAddr, data: &[u8]) {
        // The payload: plain (relaxed) stores, a word at a time.
        for (i, chunk) in data.chunks(4).enumerate() {
            let mut w = [0u8; 4];
            w[..chunk.len()].copy_from_slice(chunk);
            self.word(dst.add(4 * i as u32))
                .store(u32::from_le_bytes(w), Ordering::Relaxed);
        }
    }

    fn write_word(&self, dst: GlobalAddr, value: u32) {
        self.word(dst).store(value, Ordering::Release)
    }

    fn read(&self, _src: GlobalAddr, _buf: &mut [u8]) {
        panic!("the channel protocol must never read remote memory")
    }

    fn testset(&self, addr: GlobalAddr, value: u32) -> u32 {
        match self
            .word(addr)
            .compare_exchange(0, value, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => 0,
            Err(current) => current,
        }
    }

    fn wake_at(&self, _deadline: u64) {}

    fn raise(&self, core: CoreId, _irq: Irq) {
        self.memory.wakes[(core.col() - 8) as usize].notify();
    }

    fn take_wake(&self) -> bool {
        true
    }

    fn wand(&self) {
        panic!("the channel protocol never waits on the WAND barrier")
    }

    fn take_irq(&self, irq: Irq) -> bool {
        // As `take_wake`: the test polls instead of sleeping.
        irq == Irq::User
    }

    fn now_ticks(&self) -> u64 {
        0
    }

    fn ticks_per_second(&self) -> u64 {
        1
    }
}

/// Polls a future to completion, yielding to loom while it is pending.
fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        loom::thread::yield_now();
    }
}

/// Polls a future on core `core` to completion the way the executor does:
/// when it is pending, sleeps until the core's user interrupt is raised.
/// A raise the protocol forgets is a hang here, which loom reports.
fn block_on_woken<F: Future>(memory: &Memory, core: usize, f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        memory.wakes[core].wait();
    }
}

/// A three-word message whose words must agree: a torn read shows.
type Msg = [u32; 3];

fn msg(k: u32) -> Msg {
    [k, k.wrapping_mul(7), !k]
}

/// Two zeroed cores and a channel of `capacity` between them (writer on
/// core 0, reader on core 1).
fn channel(capacity: u32) -> (Sender<Msg, LoomMesh>, Receiver<Msg, LoomMesh>) {
    let memory = memory();
    let size = std::mem::size_of::<Msg>() as u32;
    let write_end = EndRecord {
        local: ACK,
        remote: GlobalAddr::on_core(core(1), RING).raw(),
        peer: core(1).raw() as u32,
        capacity,
        msg_size: size,
        direction: END_WRITE,
        lanes: 1,
        table: 0,
    };
    let read_end = EndRecord {
        local: RING,
        remote: GlobalAddr::on_core(core(0), ACK).raw(),
        peer: core(0).raw() as u32,
        capacity,
        msg_size: size,
        direction: END_READ,
        lanes: 1,
        table: 0,
    };
    // SAFETY: the blocks are zeroed and each end is made once.
    let tx = unsafe { Sender::<Msg, _>::from_record(LoomMesh { memory, me: 0 }, &write_end, 0) }.unwrap();
    // SAFETY: as above.
    let rx = unsafe { Receiver::<Msg, _>::from_record(LoomMesh { memory, me: 1 }, &read_end, 0) }.unwrap();
    (tx, rx)
}

fn check(capacity: u32, count: u32) {
    loom::model(move || {
        let (mut tx, mut rx) = channel(capacity);
        let writer = loom::thread::spawn(move || {
            for k in 1..=count {
                block_on(tx.send(msg(k))).expect("the channel stays open");
            }
        });
        for k in 1..=count {
            let got = block_on(rx.recv()).expect("the channel stays open");
            assert_eq!(got, msg(k), "message {k} lost, duplicated, reordered or torn");
        }
        writer.join().unwrap();
    });
}

#[test]
fn rendezvous_delivers_in_order() {
    check(0, 3);
}

#[test]
fn buffered_capacity_one_delivers_in_order() {
    check(1, 3);
}

#[test]
fn buffered_capacity_two_wraps_the_ring() {
    check(2, 4);
}

#[test]
fn close_with_a_full_buffer_loses_nothing() {
    loom::model(|| {
        let (mut tx, mut rx) = channel(2);
        let writer = loom::thread::spawn(move || {
            for k in 1..=2 {
                block_on(tx.send(msg(k))).unwrap();
            }
            tx.close();
            assert_eq!(tx.try_send(msg(9)), Err(TrySendError::Closed(msg(9))));
        });
        for k in 1..=2 {
            assert_eq!(block_on(rx.recv()), Ok(msg(k)), "buffered message {k} before the close");
        }
        assert_eq!(block_on(rx.recv()), Err(RecvError::Closed));
        assert_eq!(block_on(rx.recv()), Err(RecvError::Closed), "closed stays closed");
        writer.join().unwrap();
    });
}

#[test]
fn poison_against_a_rendezvous_write_in_flight_returns_the_message() {
    loom::model(|| {
        let (mut tx, mut rx) = channel(0);
        let writer = loom::thread::spawn(move || block_on(tx.send(msg(1))));
        // The reader poisons without ever taking the message.
        rx.poison();
        assert_eq!(block_on(rx.recv()), Err(RecvError::Poisoned));
        match writer.join().unwrap() {
            Err(SendError::Poisoned(m)) => assert_eq!(m, msg(1), "the undelivered message comes back"),
            other => panic!("a message nobody took was reported {other:?}"),
        }
    });
}

#[test]
fn a_message_taken_before_the_poison_counts_as_delivered() {
    loom::model(|| {
        let (mut tx, mut rx) = channel(0);
        let writer = loom::thread::spawn(move || {
            let first = block_on(tx.send(msg(1)));
            let second = block_on(tx.send(msg(2)));
            (first, second)
        });
        assert_eq!(block_on(rx.recv()), Ok(msg(1)));
        rx.poison();
        let (first, second) = writer.join().unwrap();
        assert_eq!(first, Ok(()), "the reader took it before poisoning");
        assert_eq!(second, Err(SendError::Poisoned(msg(2))));
    });
}

#[test]
fn a_writer_poisoning_wakes_a_blocked_reader() {
    loom::model(|| {
        let (mut tx, mut rx) = channel(1);
        let writer = loom::thread::spawn(move || {
            tx.poison();
            assert!(block_on(tx.send(msg(1))).unwrap_err().is_poisoned());
        });
        assert_eq!(block_on(rx.recv()), Err(RecvError::Poisoned));
        writer.join().unwrap();
    });
}

/// Any-to-one: writers on cores 0 and 2, each with a lane in the reader's
/// (core 1) SRAM. Lane rings at RING and RING + 0x28, the lane table at 0x70.
fn shared_channel(capacity: u32) -> (Sender<Msg, LoomMesh>, Sender<Msg, LoomMesh>, Receiver<Msg, LoomMesh>) {
    let memory = memory();
    let size = std::mem::size_of::<Msg>() as u32;
    let table = 0x70;
    let rings = [RING, RING + 0x28];
    let writers = [0usize, 2];
    for (lane, (&ring, &w)) in rings.iter().zip(&writers).enumerate() {
        let record = LaneRecord {
            ring,
            ack: GlobalAddr::on_core(core(w), ACK).raw(),
            peer: core(w).raw() as u32,
            ..LaneRecord::default()
        };
        let words: &[u32] = bytemuck::cast_slice(bytemuck::bytes_of(&record));
        for (i, &word) in words.iter().enumerate() {
            memory.words[1][(table / 4) as usize + lane * 6 + i].store(word, Ordering::Relaxed);
        }
    }
    let write_end = |ring: u32| EndRecord {
        local: ACK,
        remote: GlobalAddr::on_core(core(1), ring).raw(),
        peer: core(1).raw() as u32,
        capacity,
        msg_size: size,
        direction: END_WRITE,
        lanes: 1,
        table: 0,
    };
    let read_end = EndRecord {
        capacity,
        msg_size: size,
        direction: END_READ,
        lanes: 2,
        table,
        ..EndRecord::default()
    };
    // SAFETY: zeroed blocks, lane records as planned, each end made once.
    let tx0 = unsafe { Sender::<Msg, _>::from_record(LoomMesh { memory, me: 0 }, &write_end(rings[0]), 0) }.unwrap();
    // SAFETY: as above.
    let tx2 = unsafe { Sender::<Msg, _>::from_record(LoomMesh { memory, me: 2 }, &write_end(rings[1]), 0) }.unwrap();
    // SAFETY: as above.
    let rx = unsafe { Receiver::<Msg, _>::from_record(LoomMesh { memory, me: 1 }, &read_end, 0) }.unwrap();
    (tx0, tx2, rx)
}

#[test]
fn any_to_one_lanes_deliver_each_writer_in_order_then_close() {
    loom::model(|| {
        let (mut tx0, mut tx2, mut rx) = shared_channel(1);
        let w0 = loom::thread::spawn(move || {
            for k in 1..=2 {
                block_on(tx0.send(msg(k))).unwrap();
            }
            tx0.close();
        });
        let w2 = loom::thread::spawn(move || {
            block_on(tx2.send(msg(100))).unwrap();
            tx2.close();
        });
        let mut from0 = Vec::new();
        let mut from2 = Vec::new();
        for _ in 0..3 {
            let m = block_on(rx.recv()).expect("open until both writers close");
            if m[0] >= 100 {
                from2.push(m)
            } else {
                from0.push(m)
            }
        }
        assert_eq!(from0, [msg(1), msg(2)], "writer 0's lane in order, whole");
        assert_eq!(from2, [msg(100)]);
        assert_eq!(
            block_on(rx.recv()),
            Err(RecvError::Closed),
            "closed once both lanes are"
        );
        w0.join().unwrap();
        w2.join().unwrap();
    });
}

#[test]
fn any_to_one_poison_from_one_writer_reaches_the_other_through_the_reader() {
    loom::model(|| {
        let (mut tx0, mut tx2, mut rx) = shared_channel(0);
        let w0 = loom::thread::spawn(move || tx0.poison());
        let w2 = loom::thread::spawn(move || block_on(tx2.send(msg(100))));
        // The reader sees the poison on lane 0 (maybe after taking lane 2's
        // message) and passes it on to writer 2.
        let first = block_on(rx.recv());
        if first.is_ok() {
            assert_eq!(block_on(rx.recv()), Err(RecvError::Poisoned));
        }
        w0.join().unwrap();
        match w2.join().unwrap() {
            Ok(()) => assert_eq!(first, Ok(msg(100)), "delivered only if taken"),
            Err(e) => assert!(e.is_poisoned()),
        }
    });
}

// ---------------------------------------------------------------------------
// One-to-any and any-to-any. These models sleep as the executor does
// (`block_on_woken`), so they also prove that no wake-up is missing.

/// Writes a record into a core's modelled SRAM, as the host does before start.
fn host_put<R: bytemuck::Pod>(memory: &Memory, core: usize, offset: u32, record: &R) {
    let words: &[u32] = bytemuck::cast_slice(bytemuck::bytes_of(record));
    for (i, &word) in words.iter().enumerate() {
        memory.words[core][(offset / 4) as usize + i].store(word, Ordering::Relaxed);
    }
}

/// One end of a shared channel and the core it runs on.
struct On<E> {
    end: E,
    core: usize,
    memory: &'static Memory,
}

impl On<Sender<Msg, LoomMesh>> {
    /// Sends, sleeping until woken while it waits.
    fn send(&mut self, m: Msg) -> Result<(), SendError<Msg>> {
        block_on_woken(self.memory, self.core, self.end.send(m))
    }
}

impl On<Receiver<Msg, LoomMesh>> {
    /// Receives, sleeping until woken while it waits.
    fn recv(&mut self) -> Result<Msg, RecvError> {
        block_on_woken(self.memory, self.core, self.end.recv())
    }
}

type Tx = On<Sender<Msg, LoomMesh>>;
type Rx = On<Receiver<Msg, LoomMesh>>;

/// A shared channel of `capacity` with writers on the cores `writers` and
/// readers on the cores `readers` (each core one end), laid out as
/// `host/src/plan/layout.rs` does: each end's share record, lane table, peer
/// table and (readers) a ring per writer, from offset 0 of its core.
fn shared(writers: &[usize], readers: &[usize], capacity: u32) -> (Vec<Tx>, Vec<Rx>) {
    let memory = memory();
    let size = std::mem::size_of::<Msg>() as u32;
    let ring_size = ring_block_size(capacity, size);
    let (nw, nr) = (writers.len() as u32, readers.len() as u32);
    // Reader layout: share 0, lanes 16, peers, rings.
    let r_lanes = 16;
    let r_peers = r_lanes + nw * 24;
    let r_rings = (r_peers + (nr - 1) * 8 + 7) & !7;
    // Writer layout: share 0, out-lanes 16, peers.
    let w_lanes = 16;
    let w_peers = w_lanes + nr * 40;
    assert!(r_rings + nw * ring_size <= 4 * WORDS as u32 && w_peers + nw * 8 <= 4 * WORDS as u32);
    let at = |c: usize, offset: u32| GlobalAddr::on_core(core(c), offset).raw();
    let peers = |side: &[usize], me: usize, base: u32| {
        let mut k = 0;
        for &other in side.iter().filter(|&&o| o != me) {
            let record = PeerRecord {
                state: at(other, SHARE_STATE_OFFSET),
                peer: core(other).raw() as u32,
            };
            host_put(memory, me, base + 8 * k, &record);
            k += 1;
        }
        k
    };
    let mut txs = Vec::new();
    for (w, &c) in writers.iter().enumerate() {
        let head = ShareRecord {
            peers: w_peers,
            peer_count: peers(writers, c, w_peers),
            ..ShareRecord::default()
        };
        host_put(memory, c, 0, &head);
        for (r, &rc) in readers.iter().enumerate() {
            let record = OutLaneRecord {
                ring: at(rc, r_rings + w as u32 * ring_size),
                claim: at(rc, SHARE_CLAIM_OFFSET),
                peer: core(rc).raw() as u32,
                ..OutLaneRecord::default()
            };
            host_put(memory, c, w_lanes + 40 * r as u32, &record);
        }
        let end = EndRecord {
            local: 0,
            capacity,
            msg_size: size,
            direction: END_SHARED_WRITE,
            lanes: nr,
            table: w_lanes,
            ..EndRecord::default()
        };
        // SAFETY: zeroed blocks, records as planned, each end made once.
        let end = unsafe { Sender::<Msg, _>::from_record(LoomMesh { memory, me: c }, &end, 0) }.unwrap();
        txs.push(On { end, core: c, memory });
    }
    let mut rxs = Vec::new();
    for (r, &c) in readers.iter().enumerate() {
        let head = ShareRecord {
            peers: r_peers,
            peer_count: peers(readers, c, r_peers),
            ..ShareRecord::default()
        };
        host_put(memory, c, 0, &head);
        for (w, &wc) in writers.iter().enumerate() {
            let record = LaneRecord {
                ring: r_rings + w as u32 * ring_size,
                ack: at(wc, w_lanes + 40 * r as u32),
                peer: core(wc).raw() as u32,
                ..LaneRecord::default()
            };
            host_put(memory, c, r_lanes + 24 * w as u32, &record);
        }
        let end = EndRecord {
            local: 0,
            capacity,
            msg_size: size,
            direction: END_SHARED_READ,
            lanes: nw,
            table: r_lanes,
            ..EndRecord::default()
        };
        // SAFETY: as above.
        let end = unsafe { Receiver::<Msg, _>::from_record(LoomMesh { memory, me: c }, &end, 0) }.unwrap();
        rxs.push(On { end, core: c, memory });
    }
    (txs, rxs)
}

/// Receives until the channel ends; returns what arrived and how it ended.
fn drain(rx: &mut Rx) -> (Vec<Msg>, RecvError) {
    let mut got = Vec::new();
    loop {
        match rx.recv() {
            Ok(m) => got.push(m),
            Err(e) => return (got, e),
        }
    }
}

/// One writer, two readers: every message reaches exactly one reader, each
/// reader gets its messages in the writer's order, both see the close.
fn one_to_any(capacity: u32, count: u32) {
    loom::model(move || {
        let (mut txs, mut rxs) = shared(&[0], &[1, 2], capacity);
        let mut tx = txs.pop().unwrap();
        let mut other = rxs.pop().unwrap();
        let mut rx = rxs.pop().unwrap();
        let writer = loom::thread::spawn(move || {
            for k in 1..=count {
                tx.send(msg(k)).expect("the channel stays open");
            }
            tx.end.close();
        });
        let reader = loom::thread::spawn(move || drain(&mut other));
        let (mut mine, end) = drain(&mut rx);
        assert_eq!(end, RecvError::Closed);
        let (theirs, end) = reader.join().unwrap();
        assert_eq!(end, RecvError::Closed);
        writer.join().unwrap();
        for got in [&mine, &theirs] {
            assert!(got.windows(2).all(|w| w[0][0] < w[1][0]), "out of order: {got:?}");
        }
        mine.extend(theirs);
        mine.sort();
        let all: Vec<Msg> = (1..=count).map(msg).collect();
        assert_eq!(mine, all, "each message to exactly one reader, whole");
    });
}

#[test]
fn one_to_any_rendezvous_gives_each_message_to_exactly_one_reader() {
    one_to_any(0, 1);
}

#[test]
fn one_to_any_buffered_gives_each_message_to_exactly_one_reader() {
    one_to_any(1, 3);
}

#[test]
fn one_to_any_rendezvous_waits_for_a_reader_that_asks() {
    // Each reader takes one message and stops: a message handed to a reader
    // that did not ask (or twice to one) would never be taken, and the
    // writer would sleep forever.
    loom::model(|| {
        let (mut txs, mut rxs) = shared(&[0], &[1, 2], 0);
        let mut tx = txs.pop().unwrap();
        let mut b = rxs.pop().unwrap();
        let mut a = rxs.pop().unwrap();
        let writer = loom::thread::spawn(move || {
            tx.send(msg(1)).unwrap();
            tx.send(msg(2)).unwrap();
        });
        let other = loom::thread::spawn(move || b.recv().unwrap());
        let mine = a.recv().unwrap();
        let theirs = other.join().unwrap();
        assert_ne!(mine, theirs, "each message to one reader");
        writer.join().unwrap();
    });
}

#[test]
fn any_to_any_claims_answer_each_request_once() {
    // Two writers race their TESTSETs for the one reader's requests: each
    // request gets one message, and the loser answers the next request.
    loom::model(|| {
        let (mut txs, mut rxs) = shared(&[0, 2], &[1], 0);
        let mut rx = rxs.pop().unwrap();
        let mut tx2 = txs.pop().unwrap();
        let mut tx0 = txs.pop().unwrap();
        let w0 = loom::thread::spawn(move || tx0.send(msg(1)));
        let w2 = loom::thread::spawn(move || tx2.send(msg(100)));
        let mut got = [rx.recv().unwrap(), rx.recv().unwrap()];
        got.sort();
        assert_eq!(got, [msg(1), msg(100)]);
        assert_eq!(w0.join().unwrap(), Ok(()));
        assert_eq!(w2.join().unwrap(), Ok(()));
    });
}

#[test]
fn any_to_any_answers_one_request_at_most_once() {
    // The reader opens one request (a try_recv that finds nothing); two
    // writers each try once to answer it. TESTSET lets at most one through.
    loom::model(|| {
        let (mut txs, mut rxs) = shared(&[0, 2], &[1], 0);
        let mut rx = rxs.pop().unwrap();
        let mut tx2 = txs.pop().unwrap();
        let mut tx0 = txs.pop().unwrap();
        assert_eq!(rx.end.try_recv(), Err(TryRecvError::Empty), "opens a request");
        let w0 = loom::thread::spawn(move || tx0.end.try_send(msg(1)).is_ok());
        let w2 = loom::thread::spawn(move || tx2.end.try_send(msg(100)).is_ok());
        let answered = [w0.join().unwrap(), w2.join().unwrap()];
        assert!(!(answered[0] && answered[1]), "one request answered twice");
        if answered[0] || answered[1] {
            let got = rx.recv().unwrap();
            assert_eq!(got, if answered[0] { msg(1) } else { msg(100) });
        }
    });
}

#[test]
fn any_to_any_closes_once_every_writer_closed() {
    loom::model(|| {
        let (mut txs, mut rxs) = shared(&[0, 2], &[1], 1);
        let mut rx = rxs.pop().unwrap();
        let mut tx2 = txs.pop().unwrap();
        let mut tx0 = txs.pop().unwrap();
        let w0 = loom::thread::spawn(move || {
            tx0.send(msg(1)).unwrap();
            tx0.end.close();
        });
        tx2.end.close();
        assert_eq!(rx.recv(), Ok(msg(1)), "buffered before the close");
        assert_eq!(rx.recv(), Err(RecvError::Closed), "closed once both writers are");
        w0.join().unwrap();
    });
}

#[test]
fn poison_against_a_claimed_request_decides_the_send_by_its_reader() {
    // Reader 1 asks; the writer answers it; reader 2 poisons meanwhile. The
    // send succeeds exactly when reader 1 got the message, whichever of
    // reader 1's acknowledgement and reader 2's poison reaches it first.
    loom::model(|| {
        let (mut txs, mut rxs) = shared(&[0], &[1, 2], 0);
        let mut tx = txs.pop().unwrap();
        let mut poisoner = rxs.pop().unwrap();
        let mut asker = rxs.pop().unwrap();
        let writer = loom::thread::spawn(move || tx.send(msg(7)));
        let reader = loom::thread::spawn(move || asker.recv());
        poisoner.end.poison();
        assert_eq!(poisoner.recv(), Err(RecvError::Poisoned));
        let got = reader.join().unwrap();
        match writer.join().unwrap() {
            Ok(()) => assert_eq!(got, Ok(msg(7)), "a completed send was taken"),
            Err(SendError::Poisoned(m)) => {
                assert_eq!(m, msg(7));
                assert_eq!(got, Err(RecvError::Poisoned), "a failed send was not taken");
            }
            Err(e) => panic!("{e:?}"),
        }
    });
}

#[test]
fn poison_while_writers_race_for_a_claim_returns_the_loser_its_message() {
    // Both writers want the reader's one request; it takes one message and
    // poisons. Exactly one send completes, with the message it took.
    loom::model(|| {
        let (mut txs, mut rxs) = shared(&[0, 2], &[1], 0);
        let mut rx = rxs.pop().unwrap();
        let mut tx2 = txs.pop().unwrap();
        let mut tx0 = txs.pop().unwrap();
        let w0 = loom::thread::spawn(move || tx0.send(msg(1)));
        let w2 = loom::thread::spawn(move || tx2.send(msg(100)));
        let got = rx.recv().expect("one writer answers");
        rx.end.poison();
        let results = [(w0.join().unwrap(), msg(1)), (w2.join().unwrap(), msg(100))];
        for (result, sent) in results {
            match result {
                Ok(()) => assert_eq!(got, sent, "the completed send is the one taken"),
                Err(SendError::Poisoned(m)) => {
                    assert_eq!(m, sent);
                    assert_ne!(got, sent, "a taken message was reported undelivered");
                }
                Err(e) => panic!("{e:?}"),
            }
        }
    });
}

#[test]
fn a_writers_poison_wakes_every_reader() {
    // Both readers sleep on the channel; the writer poisons it: each wakes
    // (from the writer's lane) and fails.
    loom::model(|| {
        let (mut txs, mut rxs) = shared(&[0], &[1, 2], 0);
        let mut tx = txs.pop().unwrap();
        let mut b = rxs.pop().unwrap();
        let mut a = rxs.pop().unwrap();
        let other = loom::thread::spawn(move || b.recv());
        let writer = loom::thread::spawn(move || {
            tx.end.poison();
            tx.send(msg(1))
        });
        assert_eq!(a.recv(), Err(RecvError::Poisoned));
        assert_eq!(other.join().unwrap(), Err(RecvError::Poisoned));
        assert_eq!(writer.join().unwrap(), Err(SendError::Poisoned(msg(1))));
    });
}
