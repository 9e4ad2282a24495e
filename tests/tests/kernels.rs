//! The vector kernels (map, zip, reduce, ramp) in whole networks: vectors of
//! every length up to the 4 KiB message limit, integers and floats, on the
//! threaded simulator and swept over seeds in the deterministic mode; and
//! the mistakes a network can make with vectors, each refused before
//! anything runs with a message that names it.
//!
//! `ECSP_SEEDS=N` runs N seeds per sweep instead of 1,000.

use ecsp_device::message::{Dtype, MsgType};
use ecsp_host::board::Board;
use ecsp_host::chip::Chip;
use ecsp_host::network::{Network, NetworkError, Param};
use ecsp_host::plan::{plan, Placement};
use ecsp_host::run::{run, RunReport};
use ecsp_host::sim::{SimChip, SimOptions};
use ecsp_tests::{det_chip, run_on, seeds, TIMEOUT};

/// What a kernel computes per element, as the test computes it.
type Reference32 = fn(i32) -> i32;
type Reference64 = fn(i64) -> i64;

fn threaded() -> SimChip {
    SimChip::with_options(Board::default(), SimOptions::default()).unwrap()
}

/// ramp (`count` vectors of `len` i32) -> map(fn) -> reduce(sum) -> consume.
fn ramp_map_sum(len: u32, count: i64, f: &str, capacity: u32) -> Network {
    let mut net = Network::new();
    let v = MsgType::vector(Dtype::I32, len);
    let raw = net.channel("raw", v, capacity).unwrap();
    let mapped = net.channel("mapped", v, capacity).unwrap();
    let sums = net.channel("sums", Dtype::I32, capacity).unwrap();
    net.process("ramp", "ramp", &[], &[raw], &[("start", 0), ("count", count)])
        .unwrap();
    net.process_with("map", "map", &[raw], &[mapped], &[("fn", f.into())])
        .unwrap();
    net.process_with("reduce", "reduce", &[mapped], &[sums], &[("op", "sum".into())])
        .unwrap();
    net.process("sink", "consume", &[sums], &[], &[("count", -1)]).unwrap();
    net
}

/// What the sink of [`ramp_map_sum`] must see: `count` sums, and their
/// total, with `f` applied to 0..len*count (wrapping like i32).
fn expected(len: u32, count: i64, f: impl Fn(i32) -> i32) -> (u64, i64) {
    let mut total = 0i64;
    for k in 0..count {
        let mut sum = 0i32;
        for i in 0..len as i64 {
            sum = sum.wrapping_add(f((k * len as i64 + i) as i32));
        }
        total = total.wrapping_add(sum as i64);
    }
    (count as u64, total)
}

fn check(report: &RunReport, want: (u64, i64), what: &str) {
    let sink = report.process("sink").unwrap();
    assert_eq!((sink.value, sink.aux as i64), want, "{what}");
    for p in ["ramp", "map", "reduce"] {
        let r = report.process(p).unwrap();
        assert!(r.finished, "{what}: {p} did not finish");
    }
    assert_eq!(report.process("map").unwrap().value, want.0, "{what}: map's count");
}

#[test]
fn map_then_reduce_over_every_length_and_buffering() {
    let chip = threaded();
    for len in [1u32, 2, 3, 16, 255, 1024] {
        for capacity in [0, 1, 2] {
            let what = format!("len {len}, capacity {capacity}");
            let net = ramp_map_sum(len, 20, "square", capacity);
            let report = run_on(&chip, &net, Placement::Spread, &what);
            check(&report, expected(len, 20, |x| x.wrapping_mul(x)), &what);
        }
    }
}

#[test]
fn every_map_function_on_integers() {
    let chip = threaded();
    let cases: [(&str, Reference32); 4] = [
        ("square", |x| x.wrapping_mul(x)),
        ("negate", |x| -x),
        ("abs", |x| x.abs()),
        ("sqrt", |x| (x as f64).sqrt().floor() as i32),
    ];
    for (f, reference) in cases {
        let net = ramp_map_sum(7, 30, f, 2);
        let report = run_on(&chip, &net, Placement::Packed, f);
        check(&report, expected(7, 30, reference), f);
    }
}

#[test]
fn real_constants_reach_float_kernels() {
    // ramp f32 -> map affine (0.5*x + 1) -> reduce max -> consume: each
    // vector k of 4 ends in 4k+3, so max = 0.5*(4k+3) + 1, exact in f32;
    // consume sums the truncated values.
    let chip = threaded();
    let mut net = Network::new();
    let v = MsgType::vector(Dtype::F32, 4);
    let raw = net.channel("raw", v, 0).unwrap();
    let mapped = net.channel("mapped", v, 0).unwrap();
    let maxes = net.channel("maxes", Dtype::F32, 0).unwrap();
    net.process("ramp", "ramp", &[], &[raw], &[("start", 0), ("count", 10)])
        .unwrap();
    net.process_with(
        "map",
        "map",
        &[raw],
        &[mapped],
        &[("fn", "affine".into()), ("a", Param::Real(0.5)), ("b", Param::Int(1))],
    )
    .unwrap();
    net.process_with("reduce", "reduce", &[mapped], &[maxes], &[("op", "max".into())])
        .unwrap();
    net.process("sink", "consume", &[maxes], &[], &[("count", -1)]).unwrap();
    let report = run_on(&chip, &net, Placement::Spread, "affine");
    let want: i64 = (0..10).map(|k| (0.5 * (4 * k + 3) as f64 + 1.0) as i64).sum();
    check(&report, (10, want), "affine");
}

/// Two ramps (starts 1000 and 0) -> zip(op) -> reduce(sum) -> consume.
fn zip_net(op: &str, len: u32, left: i64, right: i64) -> Network {
    let mut net = Network::new();
    let v = MsgType::vector(Dtype::I32, len);
    let a = net.channel("a", v, 0).unwrap();
    let b = net.channel("b", v, 1).unwrap();
    let z = net.channel("z", v, 0).unwrap();
    let sums = net.channel("sums", Dtype::I32, 0).unwrap();
    net.process("left", "ramp", &[], &[a], &[("start", 1000), ("count", left)])
        .unwrap();
    net.process("right", "ramp", &[], &[b], &[("start", 0), ("count", right)])
        .unwrap();
    net.process_with("zip", "zip", &[a, b], &[z], &[("op", op.into())])
        .unwrap();
    net.process_with("reduce", "reduce", &[z], &[sums], &[("op", "sum".into())])
        .unwrap();
    net.process("sink", "consume", &[sums], &[], &[("count", -1)]).unwrap();
    net
}

#[test]
fn zip_combines_element_by_element() {
    let chip = threaded();
    let len = 8i64;
    let cases: [(&str, Reference64); 2] = [("sub", |_| 1000), ("add", |x| 1000 + 2 * x)];
    for (op, per_element) in cases {
        let net = zip_net(op, len as u32, 25, 25);
        let report = run_on(&chip, &net, Placement::Spread, op);
        let want: i64 = (0..25 * len).map(per_element).sum();
        let sink = report.process("sink").unwrap();
        assert_eq!((sink.value, sink.aux as i64), (25, want), "{op}");
    }
}

#[test]
fn zip_ends_with_its_shorter_input_and_stops_the_longer() {
    // The right ramp sends 5 vectors and closes; zip closes its output and
    // poisons the left input, so the left ramp (50 vectors) stops instead
    // of waiting for a reader that will never come back.
    let chip = threaded();
    let net = zip_net("sub", 4, 50, 5);
    let report = run_on(&chip, &net, Placement::Spread, "uneven");
    assert_eq!(report.process("sink").unwrap().value, 5);
    let left = report.process("left").unwrap();
    assert!(left.finished && left.value < 50, "left ramp sent {}", left.value);
    assert_eq!(left.aux, 1, "the left ramp ended by poison");
}

#[test]
fn byte_vectors_at_the_message_limit() {
    // bytes:4096 (the largest message) through map(negate) -> reduce(sum):
    // u8 arithmetic wraps.
    let chip = threaded();
    let mut net = Network::new();
    let raw = net.channel("raw", MsgType::bytes(4096), 0).unwrap();
    let mapped = net.channel("mapped", MsgType::bytes(4096), 0).unwrap();
    let sums = net.channel("sums", Dtype::U8, 0).unwrap();
    net.process("ramp", "ramp", &[], &[raw], &[("start", 3), ("count", 3)])
        .unwrap();
    net.process_with("map", "map", &[raw], &[mapped], &[("fn", "negate".into())])
        .unwrap();
    net.process_with("reduce", "reduce", &[mapped], &[sums], &[("op", "sum".into())])
        .unwrap();
    net.process("sink", "consume", &[sums], &[], &[("count", -1)]).unwrap();
    let report = run_on(&chip, &net, Placement::Spread, "bytes");
    let mut total = 0i64;
    for k in 0..3i64 {
        let mut s = 0u8;
        for i in 0..4096i64 {
            s = s.wrapping_add(((3 + k * 4096 + i) as u8).wrapping_neg());
        }
        total += s as i64;
    }
    let sink = report.process("sink").unwrap();
    assert_eq!((sink.value, sink.aux as i64), (3, total));
}

#[test]
fn kernels_over_1000_seeds() {
    for seed in seeds() {
        let chip = det_chip(seed);
        let what = format!("seed {seed}");
        let net = ramp_map_sum(5, 6, "square", (seed % 3) as u32);
        let report = run_on(&chip, &net, Placement::Spread, &what);
        check(&report, expected(5, 6, |x| x * x), &what);
        let net = zip_net("sub", 3, 4, 2 + (seed % 3) as i64);
        let report = run_on(&chip, &net, Placement::Spread, &what);
        let n = 2 + seed % 3;
        let sink = report.process("sink").unwrap();
        assert_eq!((sink.value, sink.aux as i64), (n, 3000 * n as i64), "{what}: zip");
    }
}

#[test]
fn vector_mistakes_are_refused_with_names() {
    let mut net = Network::new();
    let v8 = net.channel("v8", MsgType::vector(Dtype::F32, 8), 0).unwrap();
    let v4 = net.channel("v4", MsgType::vector(Dtype::F32, 4), 0).unwrap();
    let s = net.channel("s", Dtype::F32, 0).unwrap();
    let i8 = net.channel("i8", MsgType::vector(Dtype::I32, 8), 0).unwrap();

    // A scalar kind on a vector channel.
    let e = net.process("succ", "succ", &[v8], &[s], &[]).unwrap_err();
    assert!(matches!(e, NetworkError::MessageShape { .. }), "{e}");
    assert!(
        e.to_string().contains("`v8` carries f32[8]") && e.to_string().contains("scalars only"),
        "{e}"
    );

    // map between two lengths.
    let e = net
        .process_with("m", "map", &[v8], &[v4], &[("fn", "abs".into())])
        .unwrap_err();
    assert!(e.to_string().contains("one vector length"), "{e}");

    // reduce into a vector.
    let e = net
        .process_with("r", "reduce", &[v8], &[v4], &[("op", "sum".into())])
        .unwrap_err();
    assert!(e.to_string().contains("outputs are scalars"), "{e}");

    // Element types differ.
    let e = net
        .process_with("m", "map", &[v8], &[i8], &[("fn", "abs".into())])
        .unwrap_err();
    assert!(matches!(e, NetworkError::DtypeMismatch { .. }), "{e}");
    assert!(
        e.to_string().contains("i32[8]") && e.to_string().contains("f32[8]"),
        "{e}"
    );

    // Unknown function name, a name where a number goes, a fraction where an integer goes.
    let e = net
        .process_with("m", "map", &[v8], &[v8], &[("fn", "cube".into())])
        .unwrap_err();
    assert!(
        e.to_string().contains("no choice `cube`") && e.to_string().contains("square"),
        "{e}"
    );
    let e = net
        .process_with("m", "map", &[v8], &[v8], &[("a", "half".into())])
        .unwrap_err();
    assert!(e.to_string().contains("takes a number"), "{e}");
    let e = net
        .process_with("r", "ramp", &[], &[v8], &[("count", Param::Real(2.5))])
        .unwrap_err();
    assert!(e.to_string().contains("takes an integer, not 2.5"), "{e}");

    // Above the message limit.
    let e = net.channel("huge", MsgType::vector(Dtype::F64, 513), 0).unwrap_err();
    assert!(e.to_string().contains("f64[513] messages are 4104 bytes"), "{e}");

    // The failed calls attached no ends: `s` (the failed succ's output)
    // still takes a writer.
    net.process("gen", "generate", &[], &[s], &[("count", 1)]).unwrap();
}

/// The escape count of `c = cr + i*ci`, computed as the kernel does.
fn escape(cr: f32, ci: f32, iterations: i64) -> f32 {
    let (mut zr, mut zi) = (0f32, 0f32);
    let mut n = 0;
    while n < iterations {
        let (zr2, zi2) = (zr * zr, zi * zi);
        if zr2 + zi2 > 4.0 {
            break;
        }
        zi = zr * zi * 2.0 + ci;
        zr = zr2 - zi2 + cr;
        n += 1;
    }
    n as f32
}

#[test]
fn mandel_rows_from_the_host_match_a_reference() {
    use ecsp_host::apps::serve::{serve, Feed};
    use ecsp_host::session::Session;
    use std::sync::Arc;
    let (width, rows, iterations) = (48u32, 12, 200);
    for chip in [
        Arc::new(threaded()) as Arc<dyn Chip>,
        Arc::new(det_chip(11)) as Arc<dyn Chip>,
    ] {
        let mut net = Network::new();
        let jobs = net.channel("jobs", MsgType::vector(Dtype::F32, 4), 2).unwrap();
        let lines = net.channel("lines", MsgType::vector(Dtype::F32, width + 1), 2).unwrap();
        net.process("mandel", "mandel", &[jobs], &[lines], &[("iterations", iterations)])
            .unwrap();
        let (x0, dx) = (-2.0f32, 3.0 / width as f32);
        let messages: Vec<Vec<u8>> = (0..rows)
            .map(|r| {
                let y = -1.2 + 2.4 * r as f32 / rows as f32;
                [x0, y, dx, r as f32].iter().flat_map(|v| v.to_le_bytes()).collect()
            })
            .collect();
        let plan = plan(&net, chip.board(), Placement::Auto, &|k, d| chip.state_layout(k, d)).unwrap();
        let session = Session::start(chip.clone(), Arc::new(net), Arc::new(plan)).unwrap();
        let mut got = Vec::new();
        let feeds = vec![Feed {
            channel: jobs,
            messages,
        }];
        serve(session, feeds, &mut |_, b| got.push(b.to_vec()), TIMEOUT).unwrap();
        assert_eq!(got.len(), rows);
        for (r, bytes) in got.iter().enumerate() {
            let v: Vec<f32> = bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
                .collect();
            assert_eq!(v[0], r as f32, "the tag comes back first");
            let y = -1.2 + 2.4 * r as f32 / rows as f32;
            let want: Vec<f32> = (0..width).map(|i| escape(x0 + dx * i as f32, y, iterations)).collect();
            assert_eq!(&v[1..], &want[..], "row {r}");
        }
    }
    // Integers are refused: the kernel needs real numbers.
    let chip = threaded();
    let mut net = Network::new();
    let jobs = net.channel("jobs", MsgType::vector(Dtype::I32, 4), 0).unwrap();
    let lines = net.channel("lines", MsgType::vector(Dtype::I32, 9), 0).unwrap();
    net.process("gen", "ramp", &[], &[jobs], &[("count", 1)]).unwrap();
    net.process("mandel", "mandel", &[jobs], &[lines], &[("iterations", 10)])
        .unwrap();
    net.process("sink", "consume", &[lines], &[], &[]).unwrap();
    let plan = plan(&net, chip.board(), Placement::Auto, &|k, d| chip.state_layout(k, d)).unwrap();
    let e = run(&chip, &net, &plan, TIMEOUT).unwrap_err();
    assert!(
        e.to_string().contains("`mandel`") && e.to_string().contains("parameter"),
        "{e}"
    );
}
