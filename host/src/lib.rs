//! ecsp's host runtime.
//!
//! - [`board`]: board descriptions (eSDK HDF files).
//! - [`chip`]: the [`chip::Chip`] trait, the one hardware boundary.
//! - [`sim`]: the simulated chip, ecsp's default backend.
pub mod board;
pub mod chip;
pub mod commstime;
pub mod demo;
pub mod netfile;
pub mod network;
pub mod plan;
pub mod run;
pub mod sim;
pub mod stressed_alt;
