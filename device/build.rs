//! Build script of `ecsp-device`: with the `c-runtime` feature, compiles the
//! C device runtime (`c/`) for the host with the `cc` crate, so the
//! simulator can run C processes next to Rust ones (`src/c_runtime.rs`).
//! Without the feature it does nothing, and the crate needs no C compiler.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    #[cfg(feature = "c-runtime")]
    c_runtime();
}

#[cfg(feature = "c-runtime")]
fn c_runtime() {
    const SOURCES: [&str; 4] = ["c/src/channel.c", "c/src/procs.c", "c/src/executor.c", "c/src/layout.c"];
    println!("cargo:rerun-if-changed=c/include");
    for source in SOURCES {
        println!("cargo:rerun-if-changed={source}");
    }
    cc::Build::new()
        .files(SOURCES)
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
