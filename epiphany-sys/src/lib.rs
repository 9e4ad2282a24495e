//! Raw FFI to the Epiphany SDK (eSDK 2016.11): e-hal and e-loader.
//!
//! With the `esdk` feature, the build script runs bindgen over the installed
//! eSDK's `e-hal.h` and `e-loader.h` (found through `EPIPHANY_HOME`, default
//! `/opt/adapteva/esdk`; headers in `tools/host/include`, libraries in
//! `tools/host/lib`), allow-lists the `e_*` API and its types, and links
//! `e-hal` and `e-loader`. The bindings are generated at build time and never
//! committed: the eSDK's headers are LGPL-3.0-or-later. Without the feature
//! the crate is empty, so the workspace builds everywhere; asking for the
//! feature without an eSDK stops the build with one message that says what
//! was looked for and how to point at it.
//!
//! Building with the feature needs libclang (Debian: `apt-get install
//! libclang-dev`). ecsp's own safe layer over these functions is the `Esdk`
//! backend of `ecsp-host`; this crate is only the raw surface.
#![no_std]

#[cfg(feature = "esdk")]
#[allow(
    non_camel_case_types,
    non_snake_case,
    non_upper_case_globals,
    dead_code,
    missing_docs,
    unsafe_op_in_unsafe_fn,
    clippy::all,
    clippy::undocumented_unsafe_blocks
)]
mod bindings {
    include!(concat!(env!("OUT_DIR"), "/bindings.rs"));
}

#[cfg(feature = "esdk")]
pub use bindings::*;
