//! The `otelsnap` command: flags, commands, rendering, and the OTLP receivers.
//!
//! The library underneath (session model, format and store, sketches, analysis, merge, diff)
//! is the `otelsnap-core` crate; its modules are re-exported here so the binary's modules read
//! `crate::session`, `crate::diff` and so on. See ARCHITECTURE.md.

pub mod alloc_meter;
pub mod cli;
pub mod commands;
pub mod error;
pub mod otlp;
pub mod render;

pub use otelsnap_core::{analyze, diff, merge, session, sketch};
