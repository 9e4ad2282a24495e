//! Raw FFI to the Epiphany SDK (eSDK 2016.11): e-hal and e-loader.
//!
//! This version of the crate carries no bindings yet: it builds empty on
//! every machine so the workspace has its final shape. The bindings are
//! generated at build time by bindgen from an installed eSDK (never
//! committed: the eSDK's headers are LGPL-3.0-or-later) when the `esdk`
//! feature arrives together with ecsp's eSDK backend; see DESIGN.md section 7.
#![no_std]
