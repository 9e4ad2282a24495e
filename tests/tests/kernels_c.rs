//! Users' C kernels on the simulated chip: compiled by the host's compiler,
//! run as coroutines through the HAL beside built-in processes, in both
//! simulator modes; and the errors a user meets on the way.

use ecsp_device::message::{Dtype, MsgType};
use ecsp_host::chip::Chip;
use ecsp_host::network::{ChanId, Network, NetworkError, Param};
use ecsp_host::plan::{plan, Placement};
use ecsp_host::run::{run, KernelResult, RunError, RunReport};
use ecsp_host::sim::SimChip;
use ecsp_tests::{det_chip, run_on, TIMEOUT};

fn kernel_path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("kernels")
        .join(name)
}

fn chip() -> SimChip {
    SimChip::new(ecsp_host::board::Board::default()).unwrap()
}

/// Seeds of the deterministic runs of each scenario here (the channel
/// protocols themselves are swept over thousands elsewhere).
const SEEDS: u64 = 20;

/// Runs `net` threaded (spread and packed) and deterministic over
/// [`SEEDS`] seeds, checking every report.
fn everywhere(net: &Network, what: &str, check: impl Fn(&RunReport)) {
    for placement in [Placement::Spread, Placement::Packed] {
        check(&run_on(&chip(), net, placement, what));
    }
    for seed in 0..SEEDS {
        let report = run_on(&det_chip(seed), net, Placement::Spread, &format!("{what}, seed {seed}"));
        check(&report);
    }
}

fn api() -> Network {
    let mut net = Network::new();
    net.kernel_file(kernel_path("api.c")).unwrap();
    net
}

#[test]
fn a_c_kernel_doubles_a_stream() {
    let mut net = Network::new();
    assert_eq!(net.kernel_file(kernel_path("double.c")).unwrap(), ["double_it"]);
    let a = net.channel("a", Dtype::U32, 0).unwrap();
    let b = net.channel("b", Dtype::U32, 2).unwrap();
    net.process("gen", "generate", &[], &[a], &[("start", 1), ("count", 100)])
        .unwrap();
    net.process_with("dbl", "double_it", &[a], &[b], &[("offset", Param::Int(1))])
        .unwrap();
    net.process("sink", "consume", &[b], &[], &[("count", -1)]).unwrap();
    everywhere(&net, "double", |report| {
        let dbl = report.process("dbl").unwrap();
        assert_eq!((dbl.value, dbl.result), (100, Some(KernelResult::Int(100))));
        let sink = report.process("sink").unwrap();
        assert_eq!(sink.value, 100);
        assert_eq!(sink.aux, (1..=100u64).map(|v| 2 * v + 1).sum::<u64>());
    });
}

#[test]
fn fair_select_merges_until_both_inputs_close() {
    let mut net = api();
    let l = net.channel("l", Dtype::U32, 0).unwrap();
    let r = net.channel("r", Dtype::U32, 1).unwrap();
    let o = net.channel("o", Dtype::U32, 0).unwrap();
    net.process("gl", "generate", &[], &[l], &[("start", 1), ("count", 40)])
        .unwrap();
    net.process("gr", "generate", &[], &[r], &[("start", 1000), ("count", 60)])
        .unwrap();
    net.process("m", "fair_merge", &[l, r], &[o], &[]).unwrap();
    net.process("sink", "consume", &[o], &[], &[("count", -1)]).unwrap();
    let want: u64 = (1..=40u64).sum::<u64>() + (1000..1060u64).sum::<u64>();
    everywhere(&net, "fair merge", |report| {
        assert_eq!(report.process("m").unwrap().result, Some(KernelResult::Int(100)));
        assert_eq!(report.process("sink").unwrap().aux, want);
    });
}

#[test]
fn a_skip_guard_wins_only_over_the_guards_after_it() {
    let mut net = api();
    let a = net.channel("a", Dtype::U32, 4).unwrap();
    net.process("g", "generate", &[], &[a], &[("start", 1), ("count", 5)])
        .unwrap();
    net.process("p", "pri_skip", &[a], &[], &[]).unwrap();
    everywhere(&net, "pri skip", |report| {
        assert_eq!(report.process("p").unwrap().result, Some(KernelResult::Int(505)));
    });
}

#[test]
fn timeouts_and_sleeps_follow_the_core_clock() {
    let mut net = api();
    let a = net.channel("a", Dtype::U32, 0).unwrap();
    net.process_with("late", "sleeper", &[], &[a], &[("us", Param::Int(5000))])
        .unwrap();
    net.process_with("w", "wait_or_timeout", &[a], &[], &[("us", Param::Int(200))])
        .unwrap();
    everywhere(&net, "timeout", |report| {
        // The timeout fired first (2), then the late message was read.
        assert_eq!(report.process("w").unwrap().result, Some(KernelResult::Int(2)));
        match report.process("late").unwrap().result {
            Some(KernelResult::Float(us)) => assert!(us >= 5000.0, "slept {us} us"),
            other => panic!("sleeper gave {other:?}"),
        }
    });
}

#[test]
fn kernels_wait_at_a_barrier() {
    let mut net = api();
    let n = 4;
    let ring: Vec<ChanId> = (0..n)
        .map(|i| net.channel(&format!("c{i}"), Dtype::U32, 0).unwrap())
        .collect();
    let procs: Vec<_> = (0..n)
        .map(|i| {
            net.process_with(
                &format!("k{i}"),
                "barrier_ring",
                &[ring[(i + n - 1) % n]],
                &[ring[i]],
                &[("rounds", Param::Int(5)), ("first", Param::Bool(i == 0))],
            )
            .unwrap()
        })
        .collect();
    net.barrier("phase", &procs).unwrap();
    everywhere(&net, "barrier ring", |report| {
        for i in 0..n {
            let r = report.process(&format!("k{i}")).unwrap();
            assert_eq!(r.result, Some(KernelResult::Int(10)), "k{i}");
        }
    });
}

#[test]
fn poison_spreads_through_kernels_and_built_ins() {
    let mut net = api();
    let a = net.channel("a", Dtype::I32, 0).unwrap();
    let b = net.channel("b", Dtype::I32, 0).unwrap();
    net.process("g", "generate", &[], &[a], &[("start", 1), ("count", -1)])
        .unwrap();
    net.process("c", "copy_i32", &[a], &[b], &[]).unwrap();
    net.process("p", "poisoner", &[b], &[], &[]).unwrap();
    everywhere(&net, "poison", |report| {
        assert_eq!(report.process("p").unwrap().result, Some(KernelResult::Int(3)));
        // The copy met the poison (aux 1) and passed it on to the generator.
        let c = report.process("c").unwrap();
        assert!(c.finished && c.aux == 1, "{c:?}");
        assert!(report.process("g").unwrap().finished);
    });
}

#[test]
fn a_failing_kernel_is_reported_with_its_message() {
    let mut net = api();
    let a = net.channel("a", Dtype::U32, 0).unwrap();
    net.process("g", "generate", &[], &[a], &[("start", 1), ("count", 20)])
        .unwrap();
    net.process("chk", "checker", &[a], &[], &[]).unwrap();
    for chip in [Box::new(chip()) as Box<dyn Chip>, Box::new(det_chip(3))] {
        let planned = plan(&net, chip.board(), Placement::Spread, &|k, d| chip.state_layout(k, d)).unwrap();
        let e = run(&*chip, &net, &planned, TIMEOUT).unwrap_err();
        match &e {
            RunError::ProcessFailed { process, message, .. } => {
                assert_eq!(process, "chk");
                assert_eq!(message, "kernel `checker` failed: value above the limit: (11)");
            }
            other => panic!("{other}"),
        }
    }
}

#[test]
fn parameters_of_every_type_reach_the_kernel() {
    let mut net = api();
    let o = net.channel("o", Dtype::F64, 0).unwrap();
    net.process("defaults", "all_params", &[], &[o], &[]).unwrap();
    net.process("sink", "consume", &[o], &[], &[("count", -1)]).unwrap();
    let want = -2.0 + 3_000_000_000.0 - 5_000_000_000.0 + 7.0 + 0.5 + 0.25 + 1000.0;
    let report = run_on(&chip(), &net, Placement::Spread, "defaults");
    assert_eq!(
        report.process("defaults").unwrap().result,
        Some(KernelResult::Float(want))
    );

    let mut net = api();
    let o = net.channel("o", Dtype::F64, 0).unwrap();
    let given = [
        ("a", Param::Int(i32::MIN as i64)),
        ("c", Param::Int(i64::MAX)),
        ("e", Param::Real(-1.5)),
        ("f", Param::Int(3)),
        ("g", Param::Bool(false)),
    ];
    net.process_with("given", "all_params", &[], &[o], &given).unwrap();
    net.process("sink", "consume", &[o], &[], &[("count", -1)]).unwrap();
    let want = i32::MIN as f64 + 3_000_000_000.0 + i64::MAX as f64 + 7.0 - 1.5 + 3.0;
    let report = run_on(&chip(), &net, Placement::Spread, "given");
    assert_eq!(report.process("given").unwrap().result, Some(KernelResult::Float(want)));
}

#[test]
fn vectors_flow_through_a_kernel() {
    let mut net = api();
    let v = MsgType::vector(Dtype::F32, 16);
    let a = net.channel("a", v, 0).unwrap();
    let b = net.channel("b", v, 0).unwrap();
    let s = net.channel("s", Dtype::F32, 0).unwrap();
    net.process("ramp", "ramp", &[], &[a], &[("start", 0), ("count", 10)])
        .unwrap();
    net.process_with("scale", "scale_vec", &[a], &[b], &[("k", Param::Real(0.5))])
        .unwrap();
    net.process_with("sum", "reduce", &[b], &[s], &[("op", Param::Name("sum".into()))])
        .unwrap();
    net.process("sink", "consume", &[s], &[], &[("count", -1)]).unwrap();
    everywhere(&net, "vectors", |report| {
        // consume sums as integers the f32 sums it receives: each vector k
        // is 0.5 * (16k .. 16k+15).
        let want: u64 = (0..10u64).map(|k| (0..16).map(|i| 16 * k + i).sum::<u64>() / 2).sum();
        assert_eq!(report.process("sink").unwrap().aux, want);
    });
}

#[test]
fn a_network_is_checked_against_the_declarations() {
    let mut net = api();
    let u = net.channel("u", Dtype::U32, 0).unwrap();
    let f = net.channel("f", Dtype::F32, 0).unwrap();
    let e = net.process("s", "scale_vec", &[u], &[f], &[]).unwrap_err();
    assert!(matches!(e, NetworkError::PortMismatch { .. }), "{e}");
    assert_eq!(
        e.to_string(),
        "process `s` (scale_vec): its port `in` (an input) takes f32[16] but channel `u` carries u32: give the channel dtype f32[16]"
    );
    let e = net.process("n", "needs_n", &[u], &[], &[]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "process `n` (needs_n): parameter `n` (i32) has no default: give it a value"
    );
    let e = net.process("n", "needs_n", &[u], &[], &[("m", 1)]).unwrap_err();
    assert!(
        e.to_string().contains("unknown parameter `m`; needs_n takes: n (i32)"),
        "{e}"
    );
    let e = net
        .process_with("n", "needs_n", &[u], &[], &[("n", Param::Real(1.5))])
        .unwrap_err();
    assert!(
        e.to_string().contains("parameter `n` takes an integer (i32), not 1.5"),
        "{e}"
    );
    let e = net.process("n", "needs_n", &[], &[], &[("n", 1)]).unwrap_err();
    assert!(
        e.to_string()
            .contains("has 0 inputs, it takes exactly 1 (in in u32, n: i32)"),
        "{e}"
    );
    let e = net
        .kernel_file(kernel_path("double.c"))
        .and_then(|_| net.kernel_file(kernel_path("double.c")));
    assert!(matches!(e, Err(NetworkError::DuplicateKind { .. })), "{e:?}");
    let e = net.process("x", "no_such_kernel", &[u], &[], &[]).unwrap_err();
    assert!(
        e.to_string().contains("fair_merge") && e.to_string().contains("generate"),
        "{e}"
    );
}

/// Runs kernel `kind` of faults.c fed one value `v` by a generator, and
/// returns the run's failure message.
fn fault_of(kind: &str, start: i64, chip: &dyn Chip) -> String {
    let mut net = Network::new();
    net.kernel_file(kernel_path("faults.c")).unwrap();
    let dtype = if kind == "divide" { Dtype::I32 } else { Dtype::U32 };
    let a = net.channel("a", dtype, 0).unwrap();
    net.process("g", "generate", &[], &[a], &[("start", start), ("count", 1)])
        .unwrap();
    net.process("k", kind, &[a], &[], &[]).unwrap();
    let planned = plan(&net, chip.board(), Placement::Spread, &|k, d| chip.state_layout(k, d)).unwrap();
    match run(chip, &net, &planned, TIMEOUT) {
        Err(RunError::ProcessFailed { process, core, message }) => {
            assert_eq!(process, "k");
            assert_eq!(core, planned.assignment[1]);
            message
        }
        other => panic!("{kind}: {other:?}"),
    }
}

#[test]
fn a_kernel_that_faults_stops_with_a_report_not_the_program() {
    for chip in [Box::new(chip()) as Box<dyn Chip>, Box::new(det_chip(1))] {
        let m = fault_of("wild_write", 1, &*chip);
        assert_eq!(
            m,
            "kernel `wild_write`: memory fault: read or wrote address 0x10, outside its memory (a pointer that points nowhere, or an index past an array)"
        );
        let m = fault_of("runaway", 1, &*chip);
        assert!(
            m.starts_with("kernel `runaway`: overflowed its stack in the simulator"),
            "{m}"
        );
        let m = fault_of("divide", 0, &*chip);
        assert_eq!(m, "kernel `divide`: divided an integer by zero");
        // The chip runs on after a fault: the next network is fine.
        assert_eq!(
            fault_of("divide", 0, &*chip),
            "kernel `divide`: divided an integer by zero"
        );
    }
}

/// A Rust kind of the host program: an `async fn` on simulated cores with
/// its real state size, beside C kernels and built-ins.
#[test]
fn a_rust_kind_runs_on_the_simulator_and_is_refused_for_the_chip() {
    use ecsp_device::process::{Outcome, ProcessError};
    use ecsp_host::kernels::decl::{ParamType, ParamValue};
    use ecsp_host::kernels::RustKind;
    let triple = RustKind::new("triple", "outputs its input times k")
        .input("x", Dtype::U32)
        .output("y", Dtype::U32)
        .param("k", ParamType::U32, Some(ParamValue::Int(3)))
        .body(|p| async move {
            let k = p.param(0) as u32;
            let (mut rx, mut tx) = (p.input::<u32>(0)?, p.output::<u32>(0)?);
            let mut n = 0;
            while let Ok(v) = rx.recv().await {
                if tx.send(k * v).await.is_err() {
                    break;
                }
                n += 1;
            }
            tx.close();
            Ok::<_, ProcessError>(Outcome {
                value: n,
                ..Outcome::default()
            })
        });
    let state = triple.layout().size();
    let mut net = Network::new();
    net.add_rust_kind(triple).unwrap();
    net.kernel_file(kernel_path("double.c")).unwrap();
    let a = net.channel("a", Dtype::U32, 0).unwrap();
    let b = net.channel("b", Dtype::U32, 0).unwrap();
    let c = net.channel("c", Dtype::U32, 0).unwrap();
    net.process("gen", "generate", &[], &[a], &[("start", 1), ("count", 30)])
        .unwrap();
    net.process_with("t", "triple", &[a], &[b], &[("k", Param::Int(5))])
        .unwrap();
    net.process("d", "double_it", &[b], &[c], &[]).unwrap();
    net.process("sink", "consume", &[c], &[], &[("count", -1)]).unwrap();
    everywhere(&net, "rust kind", |report| {
        assert_eq!(report.process("t").unwrap().value, 30);
        assert_eq!(
            report.process("sink").unwrap().aux,
            (1..=30u64).map(|v| 10 * v).sum::<u64>()
        );
    });
    // Its room is its future's size (rounded to 8), as planned.
    let chip = chip();
    let planned = plan(&net, chip.board(), Placement::Spread, &|k, d| chip.state_layout(k, d)).unwrap();
    let (core, offset) = planned.records[1];
    let record_at = offset - ecsp_device::boot::BOOT_OFFSET;
    let image = &planned.cores[core].image;
    let size = u32::from_le_bytes(
        image[record_at as usize + 24..record_at as usize + 28]
            .try_into()
            .unwrap(),
    );
    assert_eq!(size as usize, state.div_ceil(8) * 8);
    // The chip runs C only: the image of its core refuses it by name.
    let e = ecsp_host::kernels::image::specs(&net, &planned)
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "kind `triple` is a Rust kind, which runs on the simulator only: on the chip every process is C; write it as a C kernel (ecsp/kernel.h)"
    );
    // A fifth parameter does not fit a task record.
    let five = (0..5).fold(RustKind::new("five", "too many"), |k, i| {
        k.param(&format!("p{i}"), ParamType::I32, None)
    });
    let e = Network::new().add_rust_kind(five).unwrap_err().to_string();
    assert!(e.contains("declares 5 parameters, at most 4 fit"), "{e}");
}
