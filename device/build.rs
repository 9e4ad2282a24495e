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
//!    Not every kind fits the 16 KiB runtime reserve of a core (the numeric
//!    kernels cost 1.8 to 4.8 KiB each in Epiphany code), so the image carries
//!    the kinds named in `ECSP_DEVICE_KINDS` (comma-separated kind names, or
//!    `all`; default [`DEFAULT_KINDS`]) and the message dtypes named in
//!    `ECSP_DEVICE_DTYPES` (default [`DEFAULT_DTYPES`]: all but f64, whose
//!    software floating point costs 5 KiB and more). Names are checked against the
//!    `ECSP_KIND_*` and `ECSP_DTYPE_*` ids of `c/include/ecsp/protocol.h`.
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
const RUNTIME: [&str; 5] = [
    "c/src/channel.c",
    "c/src/barrier.c",
    "c/src/procs.c",
    "c/src/executor.c",
    "c/src/kernel.c",
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

/// The kinds of the default device image: the CSP plumbing that commstime,
/// the demo and most networks are made of.
#[cfg(feature = "c-runtime")]
const DEFAULT_KINDS: &str = "id,succ,prefix,delta,consume,generate,sieve,merge,plus,tail";

/// The message dtypes of the default device image.
#[cfg(feature = "c-runtime")]
const DEFAULT_DTYPES: &str = "i32,u32,f32,i64,u8";

/// The ids `protocol.h` defines as `#define ECSP_<prefix><NAME> <id>u`,
/// by lower-case name.
#[cfg(feature = "c-runtime")]
fn protocol_ids(prefix: &str) -> Vec<(String, u32)> {
    let header = std::fs::read_to_string("c/include/ecsp/protocol.h").expect("read c/include/ecsp/protocol.h");
    header
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let (define, name, value) = (words.next()?, words.next()?, words.next()?);
            let name = name.strip_prefix("ECSP_")?.strip_prefix(prefix)?;
            let id = value.strip_suffix('u')?.parse().ok()?;
            (define == "#define" && name != "C_FLAG").then(|| (name.to_ascii_lowercase(), id))
        })
        .collect()
}

/// The bit mask of the names in the environment variable `var` (default
/// `default`), each one of the `prefix` ids of `protocol.h`, or `all`.
#[cfg(feature = "c-runtime")]
fn image_mask(var: &str, default: &str, prefix: &str) -> u32 {
    println!("cargo:rerun-if-env-changed={var}");
    let ids = protocol_ids(prefix);
    let list = std::env::var(var).ok().filter(|v| !v.is_empty());
    let list = list.as_deref().unwrap_or(default);
    if list.trim() == "all" {
        return ids.iter().fold(0, |mask, (_, id)| mask | 1 << id);
    }
    list.split(',').map(str::trim).fold(0, |mask, name| {
        let Some((_, id)) = ids.iter().find(|(known, _)| known == name) else {
            let known: Vec<&str> = ids.iter().map(|(n, _)| n.as_str()).collect();
            panic!(
                "ecsp-device: {var} names `{name}`, which is none of: {}, all",
                known.join(", ")
            );
        };
        mask | 1 << id
    })
}

#[cfg(feature = "c-runtime")]
fn device_image() {
    println!("cargo:rerun-if-changed=c/silicon");
    let Some((cc, named)) = epiphany_cc() else {
        return;
    };
    let kinds = image_mask("ECSP_DEVICE_KINDS", DEFAULT_KINDS, "KIND_");
    let dtypes = image_mask("ECSP_DEVICE_DTYPES", DEFAULT_DTYPES, "DTYPE_");
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
            // The whole image lies in the core's SRAM (c/silicon/ecsp.ld),
            // so every call is within `bl`'s +-16 MiB: the default loads
            // each callee's address into a register first, 10 bytes a call
            // instead of 4. A call out of reach would fail to link.
            // (-msmall16, 16-bit addresses, would save 2% more: the image
            // it builds passes the host's tests but hangs on esim.)
            "-mshort-calls",
            // Only what the carried kinds reach is linked.
            "-ffunction-sections",
            "-fdata-sections",
            // Signed overflow wraps, as kernel.h promises of kernels.
            "-fwrapv",
            "-Wl,--gc-sections",
            "-Wall",
            "-Wextra",
            "-Wno-implicit-fallthrough",
            // The step functions of the kinds left out.
            "-Wno-unused-function",
            "-DECSP_HAL_SILICON",
        ])
        .arg(format!("-DECSP_IMAGE_KINDS={kinds:#x}u"))
        .arg(format!("-DECSP_IMAGE_DTYPES={dtypes:#x}u"))
        .args(["-Ic/include", "-Tc/silicon/ecsp.ld", "-o"])
        .arg(&elf)
        .args([
            "c/silicon/crt0.S",
            "c/silicon/main.c",
            "c/silicon/divide.c",
            "c/silicon/switch.S",
        ])
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
