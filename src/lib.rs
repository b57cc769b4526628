//! otelsnap: snapshots of OpenTelemetry metadata, and diffs between them.

pub mod analyze;
pub mod cli;
pub mod commands;
pub mod diff;
pub mod error;
pub mod merge;
pub mod otlp;
pub mod render;
pub mod session;
pub mod sketch;
pub mod synth;
