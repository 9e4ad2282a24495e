//! ecsp's device runtime: what runs on every Epiphany core.
//!
//! `#![no_std]`, no allocator. The same code runs inside ecsp's simulator on
//! the host and defines, byte for byte, the protocol the C runtime speaks on
//! silicon (`device/PROTOCOL.md`).
//!
//! - [`addr`]: the address map (core ids, global addresses, registers).
//! - [`mesh`]: the [`mesh::Mesh`] trait, the one boundary to the chip.
//! - [`channel`]: channel endpoints and their shared-memory blocks.
//! - [`alt`]: alternation over input, output, skip and timeout guards.
//! - [`barrier`]: barriers between processes: a software dissemination
//!   barrier and the chip-wide WAND barrier.
//! - [`boot`]: the boot table the host writes into each core.
//! - [`c_hal`]: the table of functions through which the C runtime reaches
//!   a [`mesh::Mesh`] when it runs inside a simulator.
//! - [`kernel`]: the room of a user's kernel in the boot table.
//! - `c_runtime` (feature `c-runtime`): the C device runtime of `device/c/`,
//!   run by this executor next to Rust processes.
//! - [`executor`]: the per-core executor.
//! - [`process`]: process handles and the built-in process registry.
//! - [`trace`]: the events the runtime reports while a trace is recorded.
#![no_std]

pub mod addr;
pub mod alt;
pub mod barrier;
pub mod boot;
pub mod c_hal;
#[cfg(feature = "c-runtime")]
pub mod c_runtime;
pub mod channel;
pub mod executor;
pub mod kernel;
pub mod mesh;
pub mod message;
pub mod process;
pub mod trace;
