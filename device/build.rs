//! Build script of `ecsp-device`. With the `c-runtime` feature:
//!
//! 1. compiles the C device runtime (`c/`) for the host with the `cc` crate,
//!    so the simulator can run C processes next to Rust ones
//!    (`src/c_runtime.rs`);
//! 2. when a C compiler for the Epiphany is at hand (`ECSP_EPIPHANY_CC`, else
//!    `epiphany-elf-gcc` or the eSDK's `e-gcc` on `PATH`), also builds the
//!    device image `ecsp-device.elf` from the same sources plus
//!    `c/silicon/` (crt0, vector table, linker script), and exports its path
//!    to the crate as `ECSP_DEVICE_ELF` (`c_runtime::DEVICE_ELF`). Without
//!    such a compiler this step is skipped and says so in a build warning
//!    only when it was asked for by name.
//!
//! Without the feature it does nothing, and the crate needs no C compiler.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    #[cfg(feature = "c-runtime")]
    {
        host_runtime();
        device_image();
    }
}

/// The runtime's sources, shared by the host build and the device image.
#[cfg(feature = "c-runtime")]
const RUNTIME: [&str; 4] = [
    "c/src/channel.c",
    "c/src/barrier.c",
    "c/src/procs.c",
    "c/src/executor.c",
];

#[cfg(feature = "c-runtime")]
fn host_runtime() {
    println!("cargo:rerun-if-changed=c/include");
    println!("cargo:rerun-if-changed=c/src");
    cc::Build::new()
        .files(RUNTIME)
        // The layout table, for the Rust side's layout test (host only).
        .file("c/src/layout.c")
        .include("c/include")
        // The language the runtime is written in on silicon too.
        .std("c99")
        .flag("-ffreestanding")
        // Memory faults of the simulated chip unwind from the HAL through the
        // C frames (`C-unwind`): they need unwind tables.
        .flag("-fexceptions")
        // The coroutines resume inside `switch` cases on purpose.
        .flag_if_supported("-Wno-implicit-fallthrough")
        .warnings(true)
        .extra_warnings(true)
        .compile("ecsp_c_runtime");
}

/// The Epiphany C compiler: `ECSP_EPIPHANY_CC` (then it must work), else the
/// first of `epiphany-elf-gcc` and `e-gcc` found on `PATH`.
#[cfg(feature = "c-runtime")]
fn epiphany_cc() -> Option<(std::path::PathBuf, bool)> {
    println!("cargo:rerun-if-env-changed=ECSP_EPIPHANY_CC");
    if let Some(cc) = std::env::var_os("ECSP_EPIPHANY_CC").filter(|v| !v.is_empty()) {
        return Some((cc.into(), true));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["epiphany-elf-gcc", "e-gcc"].map(|name| dir.join(name)))
        .find(|candidate| candidate.is_file())
        .map(|cc| (cc, false))
}

#[cfg(feature = "c-runtime")]
fn device_image() {
    println!("cargo:rerun-if-changed=c/silicon");
    let Some((cc, named)) = epiphany_cc() else {
        return;
    };
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let elf = out.join("ecsp-device.elf");
    let status = std::process::Command::new(&cc)
        .args([
            "-std=c99",
            "-Os",
            "-ffreestanding",
            "-nostdlib",
            "-nostartfiles",
            // Loops stay loops: memset and memcpy are ours (silicon/main.c).
            "-fno-tree-loop-distribute-patterns",
            "-Wall",
            "-Wextra",
            "-Wno-implicit-fallthrough",
            "-DECSP_HAL_SILICON",
            "-Ic/include",
            "-Tc/silicon/ecsp.ld",
            "-o",
        ])
        .arg(&elf)
        .args(["c/silicon/crt0.S", "c/silicon/main.c"])
        .args(RUNTIME)
        // Soft 64-bit arithmetic and double-precision floats.
        .arg("-lgcc")
        .status();
    match status {
        Ok(s) if s.success() => println!("cargo:rustc-env=ECSP_DEVICE_ELF={}", elf.display()),
        Ok(s) => panic!(
            "ecsp-device: {} failed ({s}) building the device image {}",
            cc.display(),
            elf.display()
        ),
        Err(e) if named => panic!(
            "ecsp-device: ECSP_EPIPHANY_CC={} could not be run: {e}; unset it to build without the device image",
            cc.display()
        ),
        Err(e) => println!(
            "cargo:warning=ecsp-device: found {} but could not run it ({e}): no device image",
            cc.display()
        ),
    }
}
