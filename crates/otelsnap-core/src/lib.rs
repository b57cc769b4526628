//! otelsnap's core: what a snapshot of telemetry metadata is and what can be done with one.
//!
//! The data flows OTLP ([`otlp`]) → [`analyze`] → [`session`] (model, format, store) →
//! [`merge`] and [`diff`]. This crate knows nothing of the command line, terminals, colors or
//! tables: the `otelsnap` binary crate parses flags and renders; the compiler keeps it that way,
//! since this crate does not depend on that one. See ARCHITECTURE.md.

#[cfg(not(unix))]
compile_error!("otelsnap runs on Linux and macOS: the store uses Unix permissions and statvfs");

pub mod analyze;
pub mod diff;
pub mod gunzip;
pub mod gzip;
pub mod merge;
pub mod otlp;
pub mod session;
pub mod sketch;
