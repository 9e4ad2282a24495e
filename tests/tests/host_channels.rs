//! Host channels: the host as a node of the mesh, holding the end of a
//! channel no process holds (DESIGN.md section 3). Messages from the host to
//! device processes and back, scalar and vector, one-to-one and any-to-one,
//! with close and poison crossing the boundary both ways, on the threaded
//! simulator and swept over seeds in the deterministic mode; deadlocks and
//! misuse reported, never hung on.
//!
//! `ECSP_SEEDS=N` runs N seeds per sweep instead of 1,000.

use ecsp_device::message::{Dtype, MsgType};
use ecsp_host::apps::serve::{serve, Feed, Served};
use ecsp_host::board::Board;
use ecsp_host::chip::Chip;
use ecsp_host::host_node::{HostEndError, HostRecvError, HostSendError};
use ecsp_host::network::{ChanId, ChannelKind, Network};
use ecsp_host::plan::{plan, Placement, Plan};
use ecsp_host::run::{run, RunError};
use ecsp_host::session::Session;
use ecsp_host::sim::{Idle, SimChip, SimOptions};
use ecsp_tests::{det_chip, seeds};
use std::sync::Arc;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(30);

/// Every message that reached the host: its channel and bytes, in order.
type Arrivals = Vec<(ChanId, Vec<u8>)>;

fn threaded() -> Arc<dyn Chip> {
    Arc::new(SimChip::with_options(Board::default(), SimOptions::default()).unwrap())
}

fn plan_on(chip: &Arc<dyn Chip>, net: &Network) -> Plan {
    plan(net, chip.board(), Placement::Spread, &|k, d| chip.state_layout(k, d)).unwrap()
}

fn i32s(values: impl IntoIterator<Item = i32>) -> Vec<Vec<u8>> {
    values.into_iter().map(|v| v.to_le_bytes().to_vec()).collect()
}

/// Serves `net` on `chip` with `feeds`; every arrival, per channel, in order.
fn serve_all(
    chip: &Arc<dyn Chip>,
    net: Network,
    feeds: Vec<Feed>,
    timeout: Duration,
) -> (Result<Served, RunError>, Arrivals) {
    let plan = plan_on(chip, &net);
    let session = Session::start(chip.clone(), Arc::new(net), Arc::new(plan)).unwrap();
    let mut got = Vec::new();
    let served = serve(session, feeds, &mut |c, bytes| got.push((c, bytes.to_vec())), timeout);
    (served, got)
}

fn as_i32(bytes: &[u8]) -> i32 {
    i32::from_le_bytes(bytes.try_into().unwrap())
}

/// host -> succ -> succ -> host, with `capacity` on every channel.
fn succ_twice(capacity: u32) -> (Network, ChanId, ChanId) {
    let mut net = Network::new();
    let input = net.channel("in", Dtype::I32, capacity).unwrap();
    let mid = net.channel("mid", Dtype::I32, capacity).unwrap();
    let output = net.channel("out", Dtype::I32, capacity).unwrap();
    net.process("s1", "succ", &[input], &[mid], &[]).unwrap();
    net.process("s2", "succ", &[mid], &[output], &[]).unwrap();
    (net, input, output)
}

#[test]
fn host_to_device_to_host_in_order_then_closed() {
    let chip = threaded();
    for capacity in [0, 1, 8] {
        let (net, input, output) = succ_twice(capacity);
        let feeds = vec![Feed {
            channel: input,
            messages: i32s(0..500),
        }];
        let (served, got) = serve_all(&chip, net, feeds, TIMEOUT);
        let served = served.unwrap_or_else(|e| panic!("capacity {capacity}: {e}"));
        assert!(served.undelivered.is_empty());
        let values: Vec<i32> = got.iter().map(|(c, b)| (assert_eq!(*c, output), as_i32(b)).1).collect();
        assert_eq!(values, (2..502).collect::<Vec<_>>(), "capacity {capacity}");
        assert!(served.report.processes.iter().all(|p| p.finished && p.value == 500));
    }
}

#[test]
fn host_channels_with_spinning_threads() {
    // Idle::Spin: the worker spins for work and the host's waits spin for
    // events before either sleeps; every message still arrives, in order,
    // and the chip goes quiet again between runs (a second run works).
    let options = SimOptions {
        threads: Some(1),
        idle: Idle::Spin,
        ..SimOptions::default()
    };
    let chip: Arc<dyn Chip> = Arc::new(SimChip::with_options(Board::default(), options).unwrap());
    for capacity in [0, 16] {
        let (net, input, output) = succ_twice(capacity);
        let feeds = vec![Feed {
            channel: input,
            messages: i32s(0..2000),
        }];
        let (served, got) = serve_all(&chip, net, feeds, TIMEOUT);
        served.unwrap_or_else(|e| panic!("capacity {capacity}: {e}"));
        let values: Vec<i32> = got.iter().map(|(c, b)| (assert_eq!(*c, output), as_i32(b)).1).collect();
        assert_eq!(values, (2..2002).collect::<Vec<_>>(), "capacity {capacity}");
    }
}

#[test]
fn host_channels_over_1000_seeds() {
    for seed in seeds() {
        let chip: Arc<dyn Chip> = Arc::new(det_chip(seed));
        let (net, input, _) = succ_twice((seed % 3) as u32);
        let feeds = vec![Feed {
            channel: input,
            messages: i32s(0..6),
        }];
        let (served, got) = serve_all(&chip, net, feeds, TIMEOUT);
        served.unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        let values: Vec<i32> = got.iter().map(|(_, b)| as_i32(b)).collect();
        assert_eq!(values, (2..8).collect::<Vec<_>>(), "seed {seed}");
    }
}

#[test]
fn a_seed_replays_a_run_with_host_channels_step_for_step() {
    // The host takes turns with the deterministic engine: the whole run,
    // host included, is a function of the seed.
    let digest = |seed: u64| {
        let chip = Arc::new(det_chip(seed));
        let (net, input, _) = succ_twice(1);
        let feeds = vec![Feed {
            channel: input,
            messages: i32s(0..40),
        }];
        let as_dyn: Arc<dyn Chip> = chip.clone();
        let (served, got) = serve_all(&as_dyn, net, feeds, TIMEOUT);
        served.unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        assert_eq!(got.len(), 40);
        (chip.schedule_digest().unwrap(), chip.schedule_steps().unwrap())
    };
    for seed in [1, 2, 3, 99] {
        let first = digest(seed);
        for _ in 0..3 {
            assert_eq!(digest(seed), first, "seed {seed} replays");
        }
    }
    assert_ne!(digest(1), digest(2), "another seed, another schedule");
}

#[test]
fn an_any2one_channel_read_by_the_host_merges_every_writer() {
    // Three generators (k*1000 .. k*1000+n) into one any-to-one channel the
    // host reads: every value once, each writer's in its order.
    let check = |chip: &Arc<dyn Chip>, n: i64, what: &str| {
        let mut net = Network::new();
        let merged = net
            .channel_of_kind("merged", Dtype::I32, 2, ChannelKind::AnyToOne)
            .unwrap();
        for k in 0..3 {
            net.process(
                &format!("gen{k}"),
                "generate",
                &[],
                &[merged],
                &[("start", k * 1000), ("count", n)],
            )
            .unwrap();
        }
        let (served, got) = serve_all(chip, net, Vec::new(), TIMEOUT);
        served.unwrap_or_else(|e| panic!("{what}: {e}"));
        let values: Vec<i32> = got.iter().map(|(_, b)| as_i32(b)).collect();
        assert_eq!(values.len() as i64, 3 * n, "{what}");
        for k in 0..3 {
            let mine: Vec<i32> = values.iter().copied().filter(|v| v / 1000 == k as i32).collect();
            let want: Vec<i32> = (k * 1000..k * 1000 + n).map(|v| v as i32).collect();
            assert_eq!(mine, want, "{what}: writer {k}");
        }
    };
    check(&threaded(), 300, "threaded");
    for seed in seeds().take(200) {
        check(&(Arc::new(det_chip(seed)) as Arc<dyn Chip>), 4, &format!("seed {seed}"));
    }
}

#[test]
fn the_host_reads_more_than_a_cores_sram_of_lanes() {
    // Eight ramps of 4 KiB vectors, two buffered per lane: 64 KiB of rings
    // in the host's DRAM, twice what a core's SRAM could hold.
    let mut net = Network::new();
    let rows = net
        .channel_of_kind("rows", MsgType::vector(Dtype::F32, 1024), 2, ChannelKind::AnyToOne)
        .unwrap();
    for k in 0..8i64 {
        net.process(
            &format!("ramp{k}"),
            "ramp",
            &[],
            &[rows],
            &[("start", k * 100), ("count", 3)],
        )
        .unwrap();
    }
    let (served, got) = serve_all(&threaded(), net, Vec::new(), TIMEOUT);
    served.unwrap();
    assert_eq!(got.len(), 24);
    let mut firsts: Vec<f32> = got
        .iter()
        .map(|(_, b)| f32::from_le_bytes(b[..4].try_into().unwrap()))
        .collect();
    firsts.sort_by(f32::total_cmp);
    let mut want: Vec<f32> = (0..8)
        .flat_map(|k| (0..3).map(move |m| (k * 100 + m * 1024) as f32))
        .collect();
    want.sort_by(f32::total_cmp);
    assert_eq!(firsts, want);
}

#[test]
fn the_host_writes_an_any2one_channel_as_its_one_writer() {
    let chip = threaded();
    let mut net = Network::new();
    let input = net.channel_of_kind("in", Dtype::I64, 0, ChannelKind::AnyToOne).unwrap();
    net.process("sink", "consume", &[input], &[], &[("count", -1)]).unwrap();
    let feeds = vec![Feed {
        channel: input,
        messages: (1..=100i64).map(|v| v.to_le_bytes().to_vec()).collect(),
    }];
    let (served, _) = serve_all(&chip, net, feeds, TIMEOUT);
    let sink = served.unwrap().report.process("sink").unwrap().clone();
    assert_eq!((sink.value, sink.aux), (100, 5050));
}

#[test]
fn vectors_cross_the_boundary() {
    let chip = threaded();
    let mut net = Network::new();
    let v = MsgType::vector(Dtype::F32, 256);
    let input = net.channel("in", v, 2).unwrap();
    let output = net.channel("out", v, 2).unwrap();
    net.process_with("square", "map", &[input], &[output], &[("fn", "square".into())])
        .unwrap();
    let messages: Vec<Vec<u8>> = (0..20)
        .map(|k| {
            (0..256)
                .flat_map(|i| ((k * 256 + i) as f32 / 8.0).to_le_bytes())
                .collect()
        })
        .collect();
    let feeds = vec![Feed {
        channel: input,
        messages: messages.clone(),
    }];
    let (served, got) = serve_all(&chip, net, feeds, TIMEOUT);
    served.unwrap();
    assert_eq!(got.len(), 20);
    for (k, (_, bytes)) in got.iter().enumerate() {
        let values: Vec<f32> = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
            .collect();
        let want: Vec<f32> = (0..256).map(|i| ((k * 256 + i) as f32 / 8.0).powi(2)).collect();
        assert_eq!(values, want, "message {k}");
    }
}

#[test]
fn poison_crosses_the_boundary_both_ways() {
    // A device reader poisons: the host's feed stops, and says how many
    // messages never arrived.
    let chip = threaded();
    let mut net = Network::new();
    let input = net.channel("in", Dtype::I32, 0).unwrap();
    net.process("sink", "consume", &[input], &[], &[("count", 10), ("poison", 1)])
        .unwrap();
    let feeds = vec![Feed {
        channel: input,
        messages: i32s(0..100),
    }];
    let (served, _) = serve_all(&chip, net, feeds, TIMEOUT);
    let served = served.unwrap();
    assert_eq!(served.report.process("sink").unwrap().value, 10);
    assert_eq!(served.undelivered.len(), 1);
    let (_, lost) = served.undelivered[0];
    assert!((89..=90).contains(&lost), "{lost} messages were never delivered");

    // The host poisons a channel a device generator writes forever: the
    // generator stops with poison.
    let mut net = Network::new();
    let out = net.channel("out", Dtype::I32, 4).unwrap();
    net.process("gen", "generate", &[], &[out], &[("count", -1)]).unwrap();
    let net = Arc::new(net);
    let plan = Arc::new(plan_on(&chip, &net));
    let mut session = Session::start(chip.clone(), net, plan).unwrap();
    let mut rx = session.host_receiver(out).unwrap();
    let mut buf = [0u8; 4];
    let mut next = 0;
    while next < 50 {
        match rx.try_recv(&mut buf) {
            Ok(()) => {
                assert_eq!(as_i32(&buf), next);
                next += 1;
            }
            Err(HostRecvError::Empty) => session.wait_event(Duration::from_millis(5)),
            Err(e) => panic!("{e}"),
        }
    }
    rx.poison();
    assert_eq!(rx.try_recv(&mut buf), Err(HostRecvError::Poisoned));
    let report = session.join(TIMEOUT).unwrap();
    let gen = report.process("gen").unwrap();
    assert!(gen.finished && gen.value >= 50, "{gen:?}");
}

#[test]
fn a_host_sender_sees_its_rendezvous_taken_and_refuses_after_close() {
    let chip = threaded();
    let mut net = Network::new();
    let input = net.channel("in", Dtype::U32, 0).unwrap();
    net.process("sink", "consume", &[input], &[], &[("count", -1)]).unwrap();
    let net = Arc::new(net);
    let plan = Arc::new(plan_on(&chip, &net));
    let mut session = Session::start(chip.clone(), net, plan).unwrap();
    let mut tx = session.host_sender(input).unwrap();
    assert_eq!(tx.msg_size(), 4);
    tx.try_send(&7u32.to_le_bytes()).unwrap();
    while !tx.delivered().unwrap() {
        session.wait_event(Duration::from_millis(5));
    }
    tx.close();
    assert_eq!(tx.try_send(&8u32.to_le_bytes()), Err(HostSendError::Closed));
    let report = session.join(TIMEOUT).unwrap();
    assert_eq!(report.process("sink").unwrap().aux, 7);
}

#[test]
fn a_deadlock_beside_host_channels_is_reported_not_hung() {
    // The host's own pipeline finishes; two ids wait on each other forever.
    // Both simulator modes see it once the host has nothing left to do.
    let build = || {
        let (mut net, input, _) = succ_twice(0);
        let a = net.channel("a", Dtype::I32, 0).unwrap();
        let b = net.channel("b", Dtype::I32, 0).unwrap();
        net.process("left", "id", &[a], &[b], &[]).unwrap();
        net.process("right", "id", &[b], &[a], &[]).unwrap();
        (net, input)
    };
    let (net, input) = build();
    let det: Arc<dyn Chip> = Arc::new(det_chip(7));
    let feeds = vec![Feed {
        channel: input,
        messages: i32s(0..3),
    }];
    let (served, got) = serve_all(&det, net, feeds.clone(), TIMEOUT);
    assert_eq!(got.len(), 3);
    let e = served.unwrap_err();
    assert!(matches!(e, RunError::Deadlock { .. }), "{e}");
    let text = e.to_string();
    assert!(text.contains("left") && text.contains("right"), "{text}");

    let (net, input) = build();
    let feeds = vec![Feed {
        channel: input,
        ..feeds[0].clone()
    }];
    let (served, got) = serve_all(&threaded(), net, feeds, TIMEOUT);
    assert_eq!(got.len(), 3);
    let e = served.unwrap_err();
    assert!(matches!(e, RunError::Deadlock { .. }), "{e}");
    assert!(
        e.to_string().contains("cycle: `left` waits to read `a` from `right`"),
        "{e}"
    );
}

#[test]
fn misuse_is_named() {
    let chip = threaded();
    let (net, input, output) = succ_twice(0);
    let mid = net.channel_id("mid").unwrap();
    let net = Arc::new(net);
    let planned = Arc::new(plan_on(&chip, &net));

    // run() serves no host channel: it says so instead of hanging.
    let e = run(&*chip, &net, &planned, TIMEOUT).unwrap_err();
    assert!(
        e.to_string().contains("channel `in` has no writer among the processes"),
        "{e}"
    );

    let mut session = Session::start(chip.clone(), net.clone(), planned.clone()).unwrap();
    let e = session.host_sender(mid).err().unwrap();
    assert!(matches!(e, HostEndError::NotHost { .. }), "{e}");
    assert!(
        session.host_receiver(input).is_err(),
        "`in` is a host write end, not a read end"
    );
    let _tx = session.host_sender(input).unwrap();
    let e = session.host_sender(input).err().unwrap();
    assert!(e.to_string().contains("taken before"), "{e}");
    let _rx = session.host_receiver(output).unwrap();

    // serve() needs a feed for every host input.
    drop(session);
    let session = Session::start(chip.clone(), net, planned).unwrap();
    let e = serve(session, Vec::new(), &mut |_, _| {}, TIMEOUT).unwrap_err();
    assert!(e.to_string().contains("channel `in` has no writer"), "{e}");

    // A shared channel cannot have a host end.
    let mut net = Network::new();
    let shared = net.one2any("s", Dtype::I32, 0).unwrap();
    net.process("gen", "generate", &[], &[shared], &[]).unwrap();
    let e = plan(&net, chip.board(), Placement::Spread, &|k, d| chip.state_layout(k, d)).unwrap_err();
    assert!(e.to_string().contains("one2one and any2one channels only"), "{e}");
}

#[test]
fn a_process_waiting_on_the_host_says_so() {
    // Nobody serves the host's end: the deadlock report names it.
    let chip: Arc<dyn Chip> = Arc::new(det_chip(5));
    let (net, _, _) = succ_twice(0);
    let plan = plan_on(&chip, &net);
    let session = Session::start(chip, Arc::new(net), Arc::new(plan)).unwrap();
    let e = session.join(TIMEOUT).unwrap_err();
    assert!(matches!(e, RunError::Deadlock { .. }), "{e}");
    assert!(e.to_string().contains("`s1` on core"), "{e}");
    assert!(
        e.to_string().contains("waits to read channel `in` (from the host)"),
        "{e}"
    );
}

#[test]
fn finished_means_every_message_for_the_host_has_landed() {
    // A generator sends into a buffer the host reads and finishes at once;
    // in deterministic mode its writes may still be in flight when its
    // status says finished. Progress says Finished only once they landed.
    use ecsp_host::run::Progress;
    for seed in seeds().take(300) {
        let chip: Arc<dyn Chip> = Arc::new(det_chip(seed));
        let mut net = Network::new();
        let out = net.channel("out", Dtype::I32, 4).unwrap();
        net.process("gen", "generate", &[], &[out], &[("count", 4)]).unwrap();
        let plan = plan_on(&chip, &net);
        let mut session = Session::start(chip, Arc::new(net), Arc::new(plan)).unwrap();
        let mut rx = session.host_receiver(out).unwrap();
        while session.progress().unwrap() != Progress::Finished {
            session.wait_event(Duration::from_millis(10));
        }
        let mut buf = [0u8; 4];
        for want in 0..4 {
            rx.try_recv(&mut buf)
                .unwrap_or_else(|e| panic!("seed {seed}: message {want}: {e}"));
            assert_eq!(as_i32(&buf), want, "seed {seed}");
        }
        assert_eq!(rx.try_recv(&mut buf), Err(HostRecvError::Closed), "seed {seed}");
        session.join(TIMEOUT).unwrap();
    }
}

#[test]
fn batched_host_sends_and_receives_move_whole_runs_of_messages() {
    let chip = threaded();
    let mut net = Network::new();
    let input = net.channel("in", Dtype::I32, 8).unwrap();
    let output = net.channel("out", Dtype::I32, 8).unwrap();
    net.process("succ", "succ", &[input], &[output], &[]).unwrap();
    let plan = plan_on(&chip, &net);
    let mut session = Session::start(chip.clone(), Arc::new(net), Arc::new(plan)).unwrap();
    let mut tx = session.host_sender(input).unwrap();
    let mut rx = session.host_receiver(output).unwrap();
    let all: Vec<u8> = (0..1000i32).flat_map(|v| v.to_le_bytes()).collect();
    let (mut sent, mut got) = (0usize, Vec::new());
    let mut buf = vec![0u8; 4 * 64];
    while got.len() < 1000 {
        if sent < 1000 {
            match tx.try_send_many(&all[sent * 4..]) {
                Ok(n) => sent += n,
                Err(HostSendError::Full) => {}
                Err(e) => panic!("{e}"),
            }
        }
        match rx.try_recv_many(&mut buf) {
            Ok(n) => got.extend(buf[..4 * n].chunks_exact(4).map(as_i32)),
            Err(HostRecvError::Empty) => session.wait_event(Duration::from_millis(5)),
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(got, (1..=1000).collect::<Vec<_>>());
    tx.close();
    assert_eq!(tx.try_send_many(&all[..4]), Err(HostSendError::Closed));
    session.join(TIMEOUT).unwrap();
    assert_eq!(rx.try_recv_many(&mut buf), Err(HostRecvError::Closed));
}
