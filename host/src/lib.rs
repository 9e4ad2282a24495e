//! ecsp's host runtime.
//!
//! - [`board`]: board descriptions (eSDK HDF files).
//! - [`chip`]: the [`chip::Chip`] trait, the one hardware boundary.
//! - [`sim`]: the simulated chip, ecsp's default backend.
//! - [`esdk`]: a real Epiphany through the eSDK (the chip itself with the `esdk` feature).
//! - [`network`], [`plan`], [`run`]: a network, its placement and memory plan, a run.
//! - [`kernels`]: users' own processes: C kernel files and Rust kinds.
//! - [`session`], [`host_node`]: a run the host takes part in, through host channels.
pub mod board;
pub mod chip;
pub mod commstime;
pub mod demo;
pub mod esdk;
pub mod host_bench;
pub mod host_node;
pub mod kernels;
pub mod netfile;
pub mod network;
pub mod plan;
pub mod poison;
pub mod run;
pub mod serve;
pub mod session;
pub mod sim;
pub mod stressed_alt;
pub mod trace;
pub mod values;
