//! Loom models of the barriers: participants on different cores that
//! share nothing but the words the barrier writes. Loom explores every
//! interleaving (and every outcome the C11 model allows for the orderings
//! the barrier asks for through `Mesh`) and checks that no participant
//! leaves an episode before every other has arrived at it, that a
//! participant's write into its round-0 partner's SRAM before the barrier
//! is visible to that partner after it, and that nobody waits forever, over
//! two consecutive episodes (so every flag is reused), across the 2^32 wrap
//! of the episode counters, and for the WAND barrier with two processes on
//! each core.
//!
//! Run: `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom LOOM_MAX_PREEMPTIONS=2 \
//! cargo test -p ecsp-device --test loom_barrier --release`.
#![cfg(loom)]

use ecsp_device::addr::{CoreId, GlobalAddr, Irq};
use ecsp_device::barrier::{
    AnyBarrier, BarrierRecord, BARRIER_ARRIVED, BARRIER_DISSEMINATION, BARRIER_FLAGS, BARRIER_LEFT, BARRIER_WAND,
    WAND_MEMBERS,
};
use ecsp_device::mesh::Mesh;
use loom::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use loom::sync::{Mutex, Notify};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Waker};

/// Words of SRAM each modelled core has.
const WORDS: usize = 40;
/// Where participant `slot` of a core keeps its block (arrived, left, two flags).
fn block(slot: u32) -> u32 {
    0x10 + 0x10 * slot
}
/// Where each core keeps the roster (up to four participants).
const ROSTER: u32 = 0x40;
/// Where the round-0 predecessor writes its episode before the barrier.
const MAILBOX: u32 = 0x60;
/// Where each core keeps its WAND block.
const WAND: u32 = 0x80;

fn core(i: usize) -> CoreId {
    CoreId::from_row_col(32, 8 + i as u32)
}

/// Three cores' SRAM as loom atomics, and the WAND wire.
struct Memory {
    words: [Vec<AtomicU32>; 3],
    /// Cores taking part in WAND.
    wand_cores: usize,
    /// Raised WAND flags, per core; the lock is the wire's AND.
    wand: Mutex<[bool; 3]>,
    /// Each core's latched WAND interrupt (ILAT bit 8).
    wand_latch: [AtomicBool; 3],
    /// Each core's user interrupt: a raise notifies, a sleeping core waits.
    /// Its permit is the latch: a raise while the core runs is not lost.
    irq: [Notify; 3],
}

fn memory(wand_cores: usize) -> &'static Memory {
    Box::leak(Box::new(Memory {
        words: [0, 1, 2].map(|_| (0..WORDS).map(|_| AtomicU32::new(0)).collect()),
        wand_cores,
        wand: Mutex::new([false; 3]),
        wand_latch: [0, 1, 2].map(|_| AtomicBool::new(false)),
        irq: [0, 1, 2].map(|_| Notify::new()),
    }))
}

/// One core's view of the modelled chip.
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
        assert!(offset % 4 == 0, "the barrier writes whole words");
        &self.memory.words[index][(offset / 4) as usize]
    }

    fn local_word(&self, offset: u32) -> &AtomicU32 {
        self.word(GlobalAddr::on_core(core(self.me), offset))
    }
}

// SAFETY: the model never hands out `local` pointers (the barriers do not
// use them), every access goes through loom atomics with the orderings the
// contract names, raises are not needed because the test polls instead of
// sleeping, and a WAND completion clears every flag before it latches the
// interrupts, one latch per completion.
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
        // Payload: plain (relaxed) stores, a word at a time.
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

    fn read(&self, src: GlobalAddr, buf: &mut [u8]) {
        // Only the test's checks read remote memory, never the barrier.
        let w = self.word(src).load(Ordering::Relaxed);
        buf.copy_from_slice(&w.to_le_bytes()[..buf.len()]);
    }

    fn testset(&self, _addr: GlobalAddr, _value: u32) -> u32 {
        panic!("the barriers never TESTSET")
    }

    fn wake_at(&self, _deadline: u64) {}

    fn raise(&self, core: CoreId, irq: Irq) {
        assert_eq!(irq, Irq::User, "the barriers raise only the user interrupt");
        self.memory.irq[(core.col() - 8) as usize].notify();
    }

    fn take_wake(&self) -> bool {
        true
    }

    fn wand(&self) {
        let mut raised = self.memory.wand.lock().unwrap();
        raised[self.me] = true;
        if raised[..self.memory.wand_cores].iter().all(|&r| r) {
            *raised = [false; 3];
            for (latch, irq) in self
                .memory
                .wand_latch
                .iter()
                .zip(&self.memory.irq)
                .take(self.memory.wand_cores)
            {
                latch.store(true, Ordering::Release);
                irq.notify();
            }
        }
    }

    fn take_irq(&self, irq: Irq) -> bool {
        match irq {
            Irq::Wand => {
                // Only this core clears its latch, and only a completion that
                // needs this core's next raise sets it again: a load and a
                // store do what ILATCL does. (Loom 0.7's `swap` here can
                // miss the store a `Notify` handed over and deadlock the
                // model.)
                let latch = &self.memory.wand_latch[self.me];
                let latched = latch.load(Ordering::Acquire);
                if latched {
                    latch.store(false, Ordering::Relaxed);
                }
                latched
            }
            Irq::User => true,
            _ => false,
        }
    }

    fn now_ticks(&self) -> u64 {
        0
    }

    fn ticks_per_second(&self) -> u64 {
        1
    }
}

/// Polls every future of core `me` in turn, as its executor does, until all
/// are done, sleeping until the core's user interrupt after a round that
/// left some pending. A barrier that forgot to raise its partner would leave
/// loom with every thread asleep: a deadlock it reports.
fn run_core(memory: &Memory, me: usize, mut futures: Vec<Pin<Box<dyn Future<Output = ()>>>>) {
    let mut cx = Context::from_waker(Waker::noop());
    let mut done = vec![false; futures.len()];
    while done.contains(&false) {
        for (f, d) in futures.iter_mut().zip(done.iter_mut()) {
            if !*d && f.as_mut().poll(&mut cx).is_ready() {
                *d = true;
            }
        }
        if done.contains(&false) {
            memory.irq[me].wait();
        }
    }
}

/// Where each rank runs: `cores[rank]` is its core; its slot is the number
/// of lower ranks on the same core (its block and mailbox on that core).
fn slot_of(cores: &[usize], rank: usize) -> usize {
    cores[..rank].iter().filter(|&&c| c == cores[rank]).count()
}

/// Writes the roster of the participants placed by `cores` into every
/// core, and their blocks as a participant leaves them after `start`
/// episodes; returns the records by rank (leaked, so that the participants'
/// closures are `Copy`).
fn setup(memory: &'static Memory, kind: u32, cores: &[usize], start: u32) -> &'static [BarrierRecord] {
    let p = cores.len();
    let mut records = Vec::new();
    for words in &memory.words {
        for r in 0..p {
            let addr = GlobalAddr::on_core(core(cores[r]), block(slot_of(cores, r) as u32)).raw();
            words[(ROSTER / 4) as usize + r].store(addr, Ordering::Relaxed);
        }
    }
    for r in 0..p {
        let slot = slot_of(cores, r) as u32;
        let words = &memory.words[cores[r]];
        let b = (block(slot) / 4) as usize;
        words[b + (BARRIER_ARRIVED / 4) as usize].store(start, Ordering::Relaxed);
        words[b + (BARRIER_LEFT / 4) as usize].store(start, Ordering::Relaxed);
        if kind == BARRIER_DISSEMINATION {
            for k in 0..2 {
                words[b + (BARRIER_FLAGS / 4) as usize + k].store(start, Ordering::Relaxed);
            }
        }
        records.push(BarrierRecord {
            kind,
            task: slot,
            rank: r as u32,
            size: p as u32,
            block: block(slot),
            roster: ROSTER,
        });
    }
    records.leak()
}

/// After leaving `episode`, every participant must have arrived at it.
fn assert_all_arrived(b: &AnyBarrier<LoomMesh>, episode: u32, rank: usize) {
    assert_eq!(b.episode(), episode);
    assert_eq!(
        b.laggards(),
        0,
        "rank {rank} left episode {episode} before every participant arrived"
    );
}

/// Runs the participants placed by `cores` (a loom thread per core, its
/// participants polled in turn as its executor does) through two episodes
/// after `start`. With `mail`, each participant writes the episode into its
/// round-0 partner's mailbox before the barrier, and checks its own after.
fn model(kind: u32, cores: &'static [usize], start: u32, mail: bool) {
    loom::model(move || {
        let p = cores.len();
        let threads = cores.iter().max().unwrap() + 1;
        let memory = memory(if kind == BARRIER_WAND { threads } else { 0 });
        let records = setup(memory, kind, cores, start);
        for c in 0..threads {
            let members = cores.iter().filter(|&&rc| rc == c).count() as u32;
            memory.words[c][((WAND + WAND_MEMBERS) / 4) as usize].store(members, Ordering::Relaxed);
        }
        let participant = move |rank: usize| {
            let mesh = LoomMesh {
                memory,
                me: cores[rank],
            };
            let record = &records[rank];
            // SAFETY: the blocks, roster and WAND block are as the records
            // say, and each participant gets one handle.
            let mut b = unsafe { AnyBarrier::from_record(mesh, record, WAND) };
            async move {
                for e in 1..=2u32 {
                    let episode = start.wrapping_add(e);
                    let next = (rank + 1) % p;
                    let mailbox = MAILBOX + 4 * slot_of(cores, rank) as u32;
                    if mail {
                        // Before the barrier, into the round-0 partner's SRAM.
                        let to = GlobalAddr::on_core(core(cores[next]), MAILBOX + 4 * slot_of(cores, next) as u32);
                        mesh.write(to, &episode.to_le_bytes());
                    }
                    b.wait().await;
                    assert_all_arrived(&b, episode, rank);
                    if mail {
                        let got = mesh.load_word(mailbox);
                        assert!(
                            (got.wrapping_sub(episode) as i32) >= 0,
                            "rank {rank}, episode {episode}: its predecessor's write before the barrier is missing ({got})"
                        );
                    }
                }
            }
        };
        let run = move |c: usize| {
            let futures: Vec<Pin<Box<dyn Future<Output = ()>>>> = (0..p)
                .filter(|&r| cores[r] == c)
                .map(|r| Box::pin(participant(r)) as Pin<Box<dyn Future<Output = ()>>>)
                .collect();
            run_core(memory, c, futures);
        };
        let others: Vec<_> = (1..threads).map(|c| loom::thread::spawn(move || run(c))).collect();
        run(0);
        for t in others {
            t.join().unwrap();
        }
        for latch in &memory.wand_latch {
            assert!(!latch.load(Ordering::Acquire), "a WAND completion nobody took");
        }
    });
}

#[test]
fn two_participants_two_episodes() {
    model(BARRIER_DISSEMINATION, &[0, 1], 0, true);
}

#[test]
fn three_participants_on_two_cores_two_episodes() {
    // Ranks 0 and 1 share core 0: rank 0's round-0 partner is local, its
    // round-1 partner (rank 2) remote.
    model(BARRIER_DISSEMINATION, &[0, 0, 1], 0, true);
}

#[test]
fn episodes_wrap_at_two_to_the_32() {
    // Episodes u32::MAX and 0: the flags compare by wrapping difference.
    model(BARRIER_DISSEMINATION, &[0, 1], u32::MAX - 1, true);
}

#[test]
fn wand_with_two_processes_per_core_two_episodes() {
    // Every core counts its own arrivals and raises its flag once per
    // episode; each completion's latch is taken once.
    model(BARRIER_WAND, &[0, 0, 1, 1], 0, false);
}
