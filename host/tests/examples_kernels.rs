//! The examples of users' kernels (`examples/matmul`, `examples/stencil`,
//! `examples/sieve`) run as a user runs them, `ecsp run FILE`, in the
//! threaded simulator and in the deterministic one, and their host checks
//! must say the answer agrees; and each example's network files are what
//! its generator script writes.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long the simulator may run a network (`ecsp run --timeout`).
const RUN_TIMEOUT_S: &str = "60";

/// How long one `ecsp` command may take in all, compiling the kernels
/// included; past it the command is killed and the test fails.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(180);

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

/// What a finished command said.
struct Finished {
    success: bool,
    status: String,
    stdout: String,
    stderr: String,
}

/// Runs `program args`, killing it after [`COMMAND_TIMEOUT`].
fn run_with_timeout(program: &str, args: &[&str]) -> Finished {
    let mut child = Command::new(program)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    // The pipes are drained while the command runs, so a long output cannot
    // fill them and stall it.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_string(&mut text);
            }
            text
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let began = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the command") {
            break status;
        }
        if began.elapsed() > COMMAND_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{program} {args:?} took more than {COMMAND_TIMEOUT:?}: killed");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Finished {
        success: status.success(),
        status: status.to_string(),
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    }
}

/// Runs `examples/<file>` threaded and deterministic (seed 1), requires
/// exit status 0 and the check's agreement, and every line of `expected`
/// in what the check printed.
fn run_example(file: &str, expected: &[&str]) {
    let path = examples().join(file);
    let path = path.to_str().expect("a UTF-8 path");
    for mode in [&[][..], &["--seed", "1"][..]] {
        let mut args = vec!["run", path, "--timeout", RUN_TIMEOUT_S];
        args.extend_from_slice(mode);
        let began = Instant::now();
        let out = run_with_timeout(env!("CARGO_BIN_EXE_ecsp"), &args);
        let took = began.elapsed();
        let all = format!("{}{}", out.stdout, out.stderr);
        assert!(
            out.success,
            "ecsp {args:?} failed ({}) after {took:?}:\n{all}",
            out.status
        );
        assert!(
            out.stdout.contains("check: the answer agrees"),
            "ecsp {args:?}: no agreement from the check:\n{all}"
        );
        for line in expected {
            assert!(out.stdout.contains(line), "ecsp {args:?}: no `{line}` in:\n{all}");
        }
        if !mode.is_empty() {
            assert!(all.contains("deterministic simulator, seed 1"), "{all}");
        }
    }
}

#[test]
fn cannon16_multiplies_64x64_on_the_4x4_mesh() {
    run_example(
        "matmul/cannon16.toml",
        &[
            "C = A*B, 64x64 floats in 4x4 blocks of 16x16",
            "16 blocks reached the host",
            " 0 elements outside it",
        ],
    );
}

#[test]
fn cannon64_multiplies_128x128_on_the_8x8_mesh() {
    run_example(
        "matmul/cannon64.toml",
        &[
            "C = A*B, 128x128 floats in 8x8 blocks of 16x16",
            "64 blocks reached the host",
            " 0 elements outside it",
        ],
    );
}

#[test]
fn heat16_agrees_with_the_host_s_jacobi_iteration() {
    run_example(
        "stencil/heat16.toml",
        &[
            "heat on a 64x64 plate in 4x4 tiles of 16x16, one per core: 1000 Jacobi iterations",
            " 0 points outside it",
        ],
    );
}

#[test]
fn heat64_agrees_with_the_host_s_jacobi_iteration() {
    run_example(
        "stencil/heat64.toml",
        &[
            "heat on a 128x128 plate in 8x8 tiles of 16x16, one per core: 500 Jacobi iterations",
            " 0 points outside it",
        ],
    );
}

#[test]
fn sieve16_finds_the_primes_up_to_2000() {
    run_example(
        "sieve/sieve16.toml",
        &[
            "primes up to 2000: 14 held by the stages (2 .. 43) + 289 reached the host = 303, sum 277050",
            "the host's sieve of Eratosthenes: 303 primes, sum 277050",
        ],
    );
}

#[test]
fn sieve64_finds_the_primes_up_to_5000() {
    run_example(
        "sieve/sieve64.toml",
        &[
            "primes up to 5000: 62 held by the stages (2 .. 293) + 607 reached the host = 669, sum 1548136",
            "the host's sieve of Eratosthenes: 669 primes, sum 1548136",
        ],
    );
}

/// The committed network files are their scripts' output (python3, as
/// scripts/test.sh needs it anyway).
#[test]
fn the_network_files_are_their_generators_output() {
    for example in ["matmul", "stencil", "sieve"] {
        let script = examples().join(example).join("make_networks.py");
        let out = run_with_timeout("python3", &[script.to_str().expect("a UTF-8 path"), "--check"]);
        assert!(out.success, "{}: {}{}", script.display(), out.stdout, out.stderr);
    }
}
