//! The `otelsnap` command: flags, commands, rendering, and the OTLP receivers.
//!
//! The library underneath (session model, format and store, sketches, analysis, merge, diff)
//! is the `otelsnap-core` crate; its modules are re-exported here so the binary's modules read
//! `crate::session`, `crate::diff` and so on. See ARCHITECTURE.md.

// Data goes to stdout only through `error::print`, which cannot panic on a closed pipe.
#![deny(clippy::print_stdout)]

#[cfg(not(unix))]
compile_error!("otelsnap runs on Linux and macOS: capture needs Unix signals (SIGTERM)");

pub mod alloc_meter;
pub mod cli;
pub mod commands;
pub mod error;
pub mod otlp;
pub mod render;

pub use otelsnap_core::{analyze, diff, gzip, merge, session, sketch};
