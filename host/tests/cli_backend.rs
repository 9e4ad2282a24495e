//! `--backend sim|esdk` and `--device-image` on `ecsp demo`, `ecsp run` and
//! `ecsp bench commstime`, as a user meets them: the simulator stays the
//! default, and every mistake is one line on stderr.

use std::process::{Command, Output};

fn ecsp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ecsp"))
        .args(args)
        .output()
        .expect("run the ecsp binary")
}

/// Runs `args`, checks it failed with exit status 1 and one line on stderr
/// and nothing on stdout, and returns that line.
fn one_line_error(args: &[&str]) -> String {
    let out = ecsp(args);
    let stderr = String::from_utf8(out.stderr).expect("UTF-8 stderr");
    assert_eq!(out.status.code(), Some(1), "ecsp {args:?}: {stderr}");
    assert!(out.stdout.is_empty(), "ecsp {args:?} printed to stdout");
    assert_eq!(stderr.lines().count(), 1, "ecsp {args:?}: {stderr}");
    assert!(stderr.starts_with("ecsp: error: "), "{stderr}");
    stderr
}

fn network() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/commstime.toml").to_string()
}

#[test]
fn the_simulator_is_the_default_and_can_be_named() {
    let out = ecsp(&["demo", "--limit", "100", "--backend", "sim"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("on a simulated parallella-16"));
}

#[test]
fn a_device_image_is_for_the_esdk_backend_only() {
    let e = one_line_error(&["demo", "--device-image", "/tmp/ecsp-device.elf"]);
    assert!(
        e.contains("--device-image /tmp/ecsp-device.elf") && e.contains("--backend esdk"),
        "{e}"
    );
}

#[cfg(not(feature = "esdk"))]
#[test]
fn without_the_feature_esdk_says_how_to_rebuild() {
    let net = network();
    for args in [
        vec!["demo", "--backend", "esdk"],
        vec!["bench", "commstime", "--backend", "esdk"],
        vec!["run", net.as_str(), "--backend", "esdk"],
        // Before any simulator option is looked at.
        vec!["bench", "commstime", "--backend", "esdk", "--seed", "3"],
    ] {
        let e = one_line_error(&args);
        assert!(e.contains("--features esdk"), "{args:?}: {e}");
    }
}

#[cfg(feature = "esdk")]
#[test]
fn the_esdk_backend_refuses_simulator_options_and_bad_images() {
    let net = network();
    let e = one_line_error(&["bench", "commstime", "--backend", "esdk", "--seed", "3"]);
    assert!(e.contains("--seed is a simulator option"), "{e}");
    let e = one_line_error(&["run", net.as_str(), "--backend", "esdk", "--threads", "2"]);
    assert!(e.contains("--threads is a simulator option"), "{e}");
    let e = one_line_error(&["demo", "--backend", "esdk", "--device-image", "/nonexistent/ecsp.elf"]);
    assert!(
        e.contains("/nonexistent/ecsp.elf") && e.contains("cannot be read"),
        "{e}"
    );
    let e = one_line_error(&["demo", "--backend", "esdk", "--device-image", &net]);
    assert!(e.contains("commstime.toml") && e.contains("not an ELF file"), "{e}");
}
