//! The esdk backend on a real Epiphany (or e-hal's esim target): runs only
//! in a build with the `esdk` feature, and only where there is a chip to
//! drive (`/dev/epiphany/mesh0`, or `EHAL_TARGET` set) and images for it:
//! `ECSP_DEVICE_IMAGE` on every core, else an image per core built with
//! the Epiphany compiler, else the image ecsp was built with; elsewhere
//! each test says it was skipped and why.
//!
//! The board is `ECSP_BOARD` (a built-in name or an .hdf path), default
//! parallella-16.
#![cfg(feature = "esdk")]

use ecsp_device::addr::{reg, CoreId, GlobalAddr};
use ecsp_device::boot::BOOT_OFFSET;
use ecsp_host::board::Board;
use ecsp_host::chip::Chip;
use ecsp_host::esdk::{self, EsdkChip, EsdkError};
use ecsp_host::plan::Placement;
use ecsp_host::sim::SimChip;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// One chip per process at a time (e-hal's rule): the tests take turns.
static TURN: Mutex<()> = Mutex::new(());

/// Whether e-hal drives the eSDK's simulator (`EHAL_TARGET=esim`).
fn on_esim() -> bool {
    std::env::var_os("EHAL_TARGET").is_some_and(|t| t == "esim" || t == "sim")
}

/// The board, the device image (`None`: an image per core) and this
/// test's turn, or `None` (said on stderr) when there is nothing to run on.
#[allow(clippy::type_complexity)]
fn setup(test: &str) -> Option<(Board, Option<PathBuf>, MutexGuard<'static, ()>)> {
    let target = std::env::var_os("EHAL_TARGET").filter(|t| !t.is_empty());
    if target.is_none() && !std::path::Path::new("/dev/epiphany/mesh0").exists() {
        eprintln!("{test}: skipped: no Epiphany here (no /dev/epiphany/mesh0, and EHAL_TARGET is not set)");
        return None;
    }
    let given = std::env::var_os("ECSP_DEVICE_IMAGE").map(PathBuf::from);
    let image = match given {
        Some(path) => Some(path),
        None if ecsp_host::kernels::compile::Compiler::epiphany().is_ok() => None,
        None => match esdk::image::resolve(None, ecsp_device::c_runtime::DEVICE_ELF) {
            Ok(image) => Some(image),
            Err(e) => {
                eprintln!("{test}: skipped: {e} (or set ECSP_DEVICE_IMAGE)");
                return None;
            }
        },
    };
    let board = std::env::var("ECSP_BOARD").unwrap_or_else(|_| "parallella-16".to_string());
    let board = Board::load(&board).unwrap_or_else(|e| panic!("ECSP_BOARD: {e}"));
    Some((board, image, TURN.lock().unwrap_or_else(|e| e.into_inner())))
}

#[test]
fn the_chip_reads_what_it_writes() {
    let Some((board, image, _turn)) = setup("the_chip_reads_what_it_writes") else {
        return;
    };
    let chip = EsdkChip::open(board.clone(), image).unwrap();
    chip.reset().unwrap();
    let last = CoreId::from_row_col(board.first_row + board.rows - 1, board.first_col + board.cols - 1);
    for core in [CoreId::from_row_col(board.first_row, board.first_col), last] {
        let at = GlobalAddr::on_core(core, BOOT_OFFSET);
        let bytes: Vec<u8> = (0..64u8).collect();
        chip.write(at, &bytes).unwrap();
        let mut back = vec![0u8; 64];
        chip.read(at, &mut back).unwrap();
        assert_eq!(back, bytes, "SRAM of {core}");
        chip.write_word(at.add(64), 0xDEAD_BEEF).unwrap();
        assert_eq!(chip.read_word(at.add(64)).unwrap(), 0xDEAD_BEEF);
        assert_eq!(
            chip.read_word(GlobalAddr::on_core(core, reg::COREID)).unwrap(),
            core.raw() as u32
        );
    }
    // The DRAM window, through e-hal and through the host's mapping.
    let window = chip.host_window();
    chip.write_word(window.base().add(16), 0x1234_5678).unwrap();
    // SAFETY: 16 + 4 bytes lie inside the window, which lives with the chip.
    let seen = unsafe { std::ptr::read_volatile(window.ptr().add(16) as *const u32) };
    assert_eq!(u32::from_le(seen), 0x1234_5678);
    chip.halt().unwrap();
}

#[test]
fn a_second_chip_in_one_process_is_refused() {
    let Some((board, image, _turn)) = setup("a_second_chip_in_one_process_is_refused") else {
        return;
    };
    let first = EsdkChip::open(board.clone(), image.clone()).unwrap();
    assert_eq!(
        EsdkChip::open(board.clone(), image.clone()).unwrap_err(),
        EsdkError::AlreadyOpen
    );
    drop(first);
    // On esim, e_finalize stops the simulator: one e-hal session per run.
    if !on_esim() {
        EsdkChip::open(board, image).unwrap();
    }
}

#[test]
fn commstime_and_the_demo_agree_with_the_simulator() {
    let Some((board, image, _turn)) = setup("commstime_and_the_demo_agree_with_the_simulator") else {
        return;
    };
    // esim runs some 20 million instructions a second on a host CPU, a
    // thousandth of the chip: fewer loops, more time.
    let (iterations, timeout) = if on_esim() {
        (200, Duration::from_secs(600))
    } else {
        (10_000, Duration::from_secs(60))
    };
    let sim = SimChip::new(board.clone()).unwrap();
    let chip = EsdkChip::open(board, image).unwrap();
    for chip in [&sim as &dyn Chip, &chip] {
        // Both check their own results: commstime the consumer's sum, the
        // demo the primes against the host's sieve.
        let result = ecsp_host::apps::commstime::commstime(chip, Placement::Spread, iterations, timeout)
            .unwrap_or_else(|e| panic!("commstime on {}: {e}", chip.backend()));
        assert_eq!(result.iterations, iterations);
        let mut out = Vec::new();
        ecsp_host::apps::demo::run_demo(chip, 2000, timeout, &mut out)
            .unwrap_or_else(|e| panic!("demo on {}: {e}", chip.backend()));
        assert!(String::from_utf8_lossy(&out).contains("they agree"));
    }
}

#[test]
fn a_kind_the_device_image_lacks_is_refused_before_anything_runs() {
    use ecsp_device::message::{Dtype, MsgType};
    let Some((board, image, _turn)) = setup("a_kind_the_device_image_lacks_is_refused_before_anything_runs") else {
        return;
    };
    let chip = EsdkChip::open(board.clone(), image).unwrap();
    let (ramp, _) = ecsp_device::process::kind_by_name("ramp").expect("a built-in kind");
    match chip.images() {
        esdk::Images::One { carries, .. } if !carries.kind(ramp) => {}
        _ => {
            eprintln!("skipped: the cores' images carry ramp (built per core, or with ECSP_DEVICE_KINDS naming it)");
            return;
        }
    }
    let mut net = ecsp_host::network::Network::new();
    let rows = net.channel("rows", MsgType::vector(Dtype::F32, 4), 1).unwrap();
    net.process("source", "ramp", &[], &[rows], &[("count", 2)]).unwrap();
    net.process("sink", "consume", &[rows], &[], &[("count", -1)]).unwrap();
    let e = ecsp_host::plan::plan(&net, &board, Placement::Spread, &|kind, dtype| {
        chip.state_layout(kind, dtype)
    })
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("`source`") && e.contains("`ramp`") && e.contains("ECSP_DEVICE_KINDS"),
        "{e}"
    );
}

#[test]
fn host_channels_carry_values_to_the_cores_and_back() {
    use ecsp_device::message::Dtype;
    use ecsp_host::apps::serve::{serve, Feed};
    use ecsp_host::network::Network;
    use ecsp_host::session::Session;
    use std::sync::Arc;
    let Some((board, image, _turn)) = setup("host_channels_carry_values_to_the_cores_and_back") else {
        return;
    };
    let chip: Arc<dyn Chip> = Arc::new(EsdkChip::open(board, image).unwrap());
    // host -> succ -> succ -> host, rendezvous in the middle.
    let mut net = Network::new();
    let input = net.channel("in", Dtype::I32, 4).unwrap();
    let mid = net.channel("mid", Dtype::I32, 0).unwrap();
    let output = net.channel("out", Dtype::I32, 4).unwrap();
    net.process("s1", "succ", &[input], &[mid], &[]).unwrap();
    net.process("s2", "succ", &[mid], &[output], &[]).unwrap();
    let plan = ecsp_host::plan::plan(&net, chip.board(), Placement::Spread, &|k, d| chip.state_layout(k, d)).unwrap();
    let session = Session::start(chip.clone(), Arc::new(net), Arc::new(plan)).unwrap();
    let feeds = vec![Feed {
        channel: input,
        messages: (0..100i32).map(|v| v.to_le_bytes().to_vec()).collect(),
    }];
    let mut got = Vec::new();
    serve(
        session,
        feeds,
        &mut |c, bytes| {
            assert_eq!(c, output);
            got.push(i32::from_le_bytes(bytes.try_into().unwrap()));
        },
        Duration::from_secs(300),
    )
    .unwrap();
    assert_eq!(got, (2..102).collect::<Vec<i32>>());
}

/// Users' C kernels on the chip, each core with its image: the same
/// networks give the simulator's results (tests/kernels/*.c).
#[test]
fn users_kernels_run_on_the_chip_as_on_the_simulator() {
    use ecsp_device::message::{Dtype, MsgType};
    use ecsp_host::network::{Network, Param};
    use ecsp_host::run::{run, KernelResult, RunError};
    let Some((board, image, _turn)) = setup("users_kernels_run_on_the_chip_as_on_the_simulator") else {
        return;
    };
    if image.is_some() {
        eprintln!("skipped: a prebuilt image carries no users' kernels (no Epiphany compiler, or ECSP_DEVICE_IMAGE)");
        return;
    }
    let kernels = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/kernels");
    let timeout = Duration::from_secs(if on_esim() { 600 } else { 60 });
    let sim = SimChip::new(board.clone()).unwrap();
    let chip = EsdkChip::open(board, None).unwrap();
    type Finished = Vec<(String, u64, u64, Option<KernelResult>)>;
    let results = |net: &Network, chip: &dyn Chip| -> Result<Finished, RunError> {
        let plan = ecsp_host::plan::plan(net, chip.board(), Placement::Spread, &|k, d| chip.state_layout(k, d))
            .unwrap_or_else(|e| panic!("plan on {}: {e}", chip.backend()));
        let report = run(chip, net, &plan, timeout)?;
        Ok(report
            .processes
            .iter()
            .filter(|p| p.finished)
            .map(|p| (p.name.clone(), p.value, p.aux, p.result))
            .collect())
    };
    let api = || {
        let mut net = Network::new();
        net.kernel_file(kernels.join("api.c")).unwrap();
        net
    };
    let mut networks: Vec<(&str, Network)> = Vec::new();
    {
        let mut net = api();
        let l = net.channel("l", Dtype::U32, 0).unwrap();
        let r = net.channel("r", Dtype::U32, 1).unwrap();
        let o = net.channel("o", Dtype::U32, 0).unwrap();
        net.process("gl", "generate", &[], &[l], &[("start", 1), ("count", 20)])
            .unwrap();
        net.process("gr", "generate", &[], &[r], &[("start", 100), ("count", 30)])
            .unwrap();
        net.process("m", "fair_merge", &[l, r], &[o], &[]).unwrap();
        net.process("sink", "consume", &[o], &[], &[("count", -1)]).unwrap();
        networks.push(("fair select", net));
    }
    {
        let mut net = api();
        let a = net.channel("a", Dtype::U32, 0).unwrap();
        net.process_with("late", "sleeper", &[], &[a], &[("us", Param::Int(500))])
            .unwrap();
        net.process_with("w", "wait_or_timeout", &[a], &[], &[("us", Param::Int(50))])
            .unwrap();
        networks.push(("timeout", net));
    }
    {
        let mut net = api();
        let ring: Vec<_> = (0..3)
            .map(|i| net.channel(&format!("c{i}"), Dtype::U32, 0).unwrap())
            .collect();
        let procs: Vec<_> = (0..3)
            .map(|i| {
                net.process_with(
                    &format!("k{i}"),
                    "barrier_ring",
                    &[ring[(i + 2) % 3]],
                    &[ring[i]],
                    &[("rounds", Param::Int(3)), ("first", Param::Bool(i == 0))],
                )
                .unwrap()
            })
            .collect();
        net.barrier("phase", &procs).unwrap();
        networks.push(("barrier", net));
    }
    {
        let mut net = api();
        let a = net.channel("a", Dtype::I32, 0).unwrap();
        let b = net.channel("b", Dtype::I32, 0).unwrap();
        net.process("g", "generate", &[], &[a], &[("start", 1), ("count", -1)])
            .unwrap();
        net.process("c", "copy_i32", &[a], &[b], &[]).unwrap();
        net.process("p", "poisoner", &[b], &[], &[]).unwrap();
        networks.push(("poison", net));
    }
    {
        let mut net = api();
        let o = net.channel("o", Dtype::F64, 0).unwrap();
        net.process_with("ps", "all_params", &[], &[o], &[("e", Param::Real(-1.5))])
            .unwrap();
        net.process("sink", "consume", &[o], &[], &[("count", -1)]).unwrap();
        networks.push(("parameters", net));
    }
    {
        let mut net = api();
        let v = MsgType::vector(Dtype::F32, 16);
        let a = net.channel("a", v, 0).unwrap();
        let b = net.channel("b", v, 0).unwrap();
        net.process("ramp", "ramp", &[], &[a], &[("start", 0), ("count", 4)])
            .unwrap();
        net.process_with("scale", "scale_vec", &[a], &[b], &[("k", Param::Real(0.5))])
            .unwrap();
        net.process("sink", "consume", &[b], &[], &[("count", -1)]).unwrap();
        networks.push(("vectors", net));
    }
    for (what, net) in &networks {
        let on_sim = results(net, &sim).unwrap_or_else(|e| panic!("{what} on the simulator: {e}"));
        let on_chip = results(net, &chip).unwrap_or_else(|e| panic!("{what} on the chip: {e}"));
        // The clock differs (virtual or host ns against 600 MHz ticks): the
        // sleeper's real result is checked apart.
        let same = |r: &[(String, u64, u64, Option<KernelResult>)]| {
            r.iter().filter(|(n, ..)| n != "late").cloned().collect::<Vec<_>>()
        };
        assert_eq!(same(&on_sim), same(&on_chip), "{what}");
        if let Some((_, _, _, Some(KernelResult::Float(us)))) = on_chip.iter().find(|(n, ..)| n == "late") {
            assert!(*us >= 500.0, "the sleeper slept {us} us on the chip");
        }
    }
    // A failure names the kernel and says its message, on the chip too.
    let mut net = api();
    let a = net.channel("a", Dtype::U32, 0).unwrap();
    net.process("g", "generate", &[], &[a], &[("start", 1), ("count", 20)])
        .unwrap();
    net.process("chk", "checker", &[a], &[], &[]).unwrap();
    match results(&net, &chip) {
        Err(RunError::ProcessFailed { process, message, .. }) => {
            assert_eq!(process, "chk");
            assert_eq!(message, "kernel `checker` failed: value above the limit: (11)");
        }
        other => panic!("checker on the chip: {other:?}"),
    }
}
