//! Applications built on the library: the demo, the benchmarks and the
//! host-channel server behind the `ecsp` command (`host/src/bin/ecsp.rs`)
//! and the Python package's benchmarks (`python/src/lib.rs`).
//!
//! They use only the library's public API (networks, plans, runs,
//! sessions), as any program built on ecsp would, and are not part of that
//! API: a program using ecsp as a library needs none of them.
//!
//! - [`demo`]: the CSP prime sieve as a pipeline through every core (`ecsp demo`).
//! - [`commstime`]: Commstime, the classic CSP benchmark (`ecsp bench commstime`).
//! - [`stressed_alt`]: Stressed Alt, fair selection under load (`ecsp bench stressed-alt`).
//! - [`host_bench`]: host-channel throughput (`ecsp bench host-channel`, `ecsp.bench`).
//! - [`kernel_bench`]: users' C kernels against the built-in kinds (`ecsp bench kernels`).
//! - [`serve`]: serving a session's host channels from data (`ecsp run --feed`).
pub mod commstime;
pub mod demo;
pub mod host_bench;
pub mod kernel_bench;
pub mod serve;
pub mod stressed_alt;
