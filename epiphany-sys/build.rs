//! Build script of `epiphany-sys`: finds the Epiphany SDK, generates the
//! bindings and links its host libraries, when the `esdk` feature is on.
//!
//! Decision tree, and why:
//! 1. Feature `esdk` off: do nothing. The crate builds empty on every machine
//!    (CI, laptops), needing neither the eSDK nor libclang.
//! 2. Feature on: the eSDK root is `EPIPHANY_HOME` (the variable the eSDK's
//!    own setup script exports), else `/opt/adapteva/esdk` (where its
//!    installer puts it). Its headers are in `tools/host/include`, its
//!    libraries in `tools/host/lib`, as in every eSDK release since 2014.
//! 3. No `e-hal.h` or `e-loader.h` there: stop with one message naming the
//!    paths looked at and the variable that moves them. A build that went on
//!    would fail later with a page of clang errors instead.
//! 4. Headers found: bindgen over `wrapper.h`, allow-listing the `e_*` API
//!    (functions, types, variables) and what those pull in, into
//!    `$OUT_DIR/bindings.rs`. Generated at build time only: the headers are
//!    the eSDK's (LGPL), so nothing generated from them is committed.
//! 5. Link `e-hal` and `e-loader` from `tools/host/lib`. A library missing
//!    there is a warning, not an error: the bindings still compile (an rlib
//!    links nothing), and the final link names the missing library.

use std::path::PathBuf;

/// Where the eSDK's installer puts it.
const DEFAULT_HOME: &str = "/opt/adapteva/esdk";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=wrapper.h");
    println!("cargo:rerun-if-env-changed=EPIPHANY_HOME");
    if std::env::var_os("CARGO_FEATURE_ESDK").is_none() {
        return;
    }
    let (home, from_env) = match std::env::var_os("EPIPHANY_HOME") {
        Some(h) if !h.is_empty() => (PathBuf::from(h), true),
        _ => (PathBuf::from(DEFAULT_HOME), false),
    };
    let include = home.join("tools/host/include");
    let lib = home.join("tools/host/lib");
    let missing: Vec<&str> = ["e-hal.h", "e-loader.h"]
        .into_iter()
        .filter(|h| !include.join(h).is_file())
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "error: epiphany-sys: the `esdk` feature needs the Epiphany SDK (eSDK 2016.11), but {} not in {} \
             (EPIPHANY_HOME {}). Install the eSDK, or point at it: EPIPHANY_HOME=/path/to/esdk cargo build --features esdk",
            missing.join(" and ") + if missing.len() == 1 { " is" } else { " are" },
            include.display(),
            if from_env {
                format!("is {}", home.display())
            } else {
                format!("is not set, so the default {DEFAULT_HOME} was used")
            },
        );
        std::process::exit(1);
    }
    println!("cargo:include={}", include.display());
    println!("cargo:rerun-if-changed={}", include.join("e-hal.h").display());
    println!("cargo:rerun-if-changed={}", include.join("e-loader.h").display());
    generate(&include);
    for name in ["e-hal", "e-loader"] {
        if !lib.join(format!("lib{name}.so")).exists() && !lib.join(format!("lib{name}.a")).exists() {
            println!(
                "cargo:warning=epiphany-sys: lib{name} is not in {}: programs using the bindings will not link",
                lib.display()
            );
        }
        println!("cargo:rustc-link-lib={name}");
    }
    println!("cargo:rustc-link-search=native={}", lib.display());
}

#[cfg(feature = "esdk")]
fn generate(include: &std::path::Path) {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let bindings = bindgen::Builder::default()
        .header("wrapper.h")
        .clang_arg(format!("-I{}", include.display()))
        .allowlist_function("e_.*")
        .allowlist_type("e_.*")
        .allowlist_var("e_.*|E_.*")
        // no_std: C types from core.
        .use_core()
        .ctypes_prefix("core::ffi")
        .layout_tests(true)
        .generate_comments(false)
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()))
        .generate()
        .unwrap_or_else(|e| {
            eprintln!(
                "error: epiphany-sys: bindgen could not read the eSDK headers in {}: {e}",
                include.display()
            );
            std::process::exit(1)
        });
    bindings
        .write_to_file(out.join("bindings.rs"))
        .expect("write bindings.rs into OUT_DIR");
}

#[cfg(not(feature = "esdk"))]
fn generate(_include: &std::path::Path) {
    unreachable!("CARGO_FEATURE_ESDK is set only with the `esdk` feature");
}
