//! OTLP receivers (gRPC, HTTP) and what they hand requests to. Decoding and file reading are
//! the core library's (`otelsnap_core::otlp`), re-exported here so `crate::otlp::json` and
//! `crate::otlp::file` read the same from the binary's modules.

pub mod grpc;
pub mod http;

pub use otelsnap_core::otlp::{OtlpRequest, Refusal, file, json};

/// Where receivers hand decoded requests. A request is acknowledged (200 / OK) only after
/// `accept` returned `Ok`, so everything acknowledged is in the session.
pub trait Sink: Send + Sync + 'static {
    /// Takes one decoded request.
    fn accept(&self, req: OtlpRequest) -> Result<(), Refusal>;
    /// Counts a request refused as malformed (bad body, bad content type, too large, ...).
    fn rejected(&self, transport: &'static str, reason: &str);
}

/// Receiver settings shared by gRPC and HTTP.
#[derive(Debug, Clone, Copy)]
pub struct ReceiverConfig {
    /// Largest body accepted, before or after decompression.
    pub max_body: usize,
}

impl Default for ReceiverConfig {
    fn default() -> Self {
        ReceiverConfig {
            max_body: 16 * 1024 * 1024,
        }
    }
}
