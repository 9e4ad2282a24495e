//! ecsp's host runtime.
//!
//! The library:
//!
//! - [`board`]: board descriptions (eSDK HDF files).
//! - [`chip`]: the [`chip::Chip`] trait, the one hardware boundary.
//! - [`sim`]: the simulated chip, ecsp's default backend.
//! - [`esdk`]: a real Epiphany through the eSDK (the chip itself with the `esdk` feature).
//! - [`network`], [`plan`], [`run`]: a network, its placement and memory plan, a run.
//! - [`kernels`]: users' own processes: C kernel files and Rust kinds.
//! - [`session`], [`host_node`]: a run the host takes part in, through host channels.
//! - [`netfile`]: networks described in TOML files.
//! - [`poison`]: poisoning a whole network from the host.
//! - [`trace`]: runs recorded as Chrome trace JSON.
//! - [`values`]: messages as text.
//!
//! Built on it, and not part of its API: [`apps`], the demo, the benchmarks
//! and the host-channel server used by the `ecsp` command and the Python
//! benchmarks.
pub mod apps;
pub mod board;
pub mod chip;
pub mod esdk;
pub mod host_node;
pub mod kernels;
pub mod netfile;
pub mod network;
pub mod plan;
pub mod poison;
pub mod run;
pub mod session;
pub mod sim;
pub mod trace;
pub mod values;
