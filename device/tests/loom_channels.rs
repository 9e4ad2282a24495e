//! Loom models of the channel protocol: a writer core and a reader
//! core that share nothing but the words the protocol writes. Loom explores
//! every interleaving (and every outcome the C11 model allows for the
//! orderings the protocol asks for through `Mesh`) and checks that messages
//! arrive whole, once, in order, and that neither side waits forever.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test -p ecsp-device --test loom_channels --release`
//! (scripts/test.sh does, with `LOOM_MAX_PREEMPTIONS=2`).
#![cfg(loom)]

use ecsp_device::addr::{CoreId, GlobalAddr, Irq};
use ecsp_device::boot::{EndRecord, LaneRecord, END_READ, END_WRITE};
use ecsp_device::channel::{Receiver, RecvError, SendError, Sender, TrySendError};
use ecsp_device::mesh::Mesh;
use loom::sync::atomic::{AtomicU32, Ordering};
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// Words of SRAM each modelled core has: enough for one ring and one ack.
const WORDS: usize = 48;
/// Where the reader's ring block is.
const RING: u32 = 0x20;
/// Where the writer's ack block is.
const ACK: u32 = 0x10;

fn core(i: usize) -> CoreId {
    CoreId::from_row_col(32, 8 + i as u32)
}

/// Three cores' SRAM as loom atomics (two writers and a reader at most).
struct Memory {
    words: [Vec<AtomicU32>; 3],
}

fn memory() -> &'static Memory {
    Box::leak(Box::new(Memory {
        words: [0, 1, 2].map(|_| (0..WORDS).map(|_| AtomicU32::new(0)).collect()),
    }))
}

/// One core's view of the two-core memory.
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
// orderings the contract names, and raises are not needed because the test
// polls instead of sleeping.
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

    fn raise(&self, _core: CoreId, _irq: Irq) {}

    fn take_wake(&self) -> bool {
        true
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
