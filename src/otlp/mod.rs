//! OTLP receivers (gRPC, HTTP) and what they hand requests to. Decoding and file reading are
//! the core library's (`otelsnap_core::otlp`), re-exported here so `crate::otlp::json` and
//! `crate::otlp::file` read the same from the binary's modules.

pub mod grpc;
pub mod http;
pub mod inflight;

pub use otelsnap_core::otlp::{OtlpRequest, Refusal, file, json};

use std::time::Duration;

/// How long a receiver waits, after shutdown, for in-flight requests before abandoning them
/// (they are then never acknowledged, so nothing acknowledged is lost); bounds a stalled client.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Where receivers hand decoded requests. A request is acknowledged (200 / OK) only after
/// `accept` returned `Ok`, so everything acknowledged is in the session.
pub trait Sink: Send + Sync + 'static {
    /// Takes one decoded request.
    fn accept(&self, req: OtlpRequest) -> Result<(), Refusal>;
    /// Counts a request refused as malformed (bad body, bad content type, too large, ...).
    fn rejected(&self, transport: &'static str, reason: &str);
}

/// Receiver settings shared by gRPC and HTTP.
#[derive(Debug, Clone)]
pub struct ReceiverConfig {
    /// Largest body accepted, before or after decompression.
    pub max_body: usize,
    /// How long a connection may stay idle: HTTP, to send a request's headers (also the idle
    /// time allowed between requests on a kept-alive connection) and the longest pause in a
    /// body; gRPC, with no call open, or with calls open but no bytes arriving (time spent
    /// analysing a call never counts).
    pub conn_timeout: std::time::Duration,
    /// Connections open at once at most, per receiver; more are refused with a message (HTTP
    /// 503, gRPC UNAVAILABLE) and closed.
    pub max_connections: usize,
    /// Bytes of requests in flight (bodies, inflated bodies, decoded requests); a request that
    /// does not fit waits. Clones of a config share the pools, so both receivers draw on one.
    pub in_flight: inflight::InFlight,
}

/// Default of [`ReceiverConfig::conn_timeout`]: SDK exporters send a whole request at once
/// and their own timeouts are 10 s, so a connection silent for this long is stalled or hostile.
pub const DEFAULT_CONN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Default of [`ReceiverConfig::max_connections`]: far more than the few connections an SDK or
/// a Collector keeps open, and well under a typical descriptor limit (1024), so stalled
/// connections can never starve the other receiver or the store of descriptors.
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;

impl Default for ReceiverConfig {
    fn default() -> Self {
        ReceiverConfig {
            max_body: 16 * 1024 * 1024,
            conn_timeout: DEFAULT_CONN_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            in_flight: inflight::InFlight::default(),
        }
    }
}

/// The next connection on `listener`, with Nagle off (responses are small and written at
/// once; Nagle would only add latency), or None once `shutdown` resolved. An accept error (out
/// of descriptors, a connection reset before accept) backs off instead of spinning; nothing
/// was acknowledged on it. Shared by both receivers' accept loops.
pub(crate) async fn next_connection<F: std::future::Future<Output = ()>>(
    listener: &tokio::net::TcpListener,
    mut shutdown: std::pin::Pin<&mut F>,
) -> Option<tokio::net::TcpStream> {
    loop {
        tokio::select! {
            () = &mut shutdown => return None,
            acc = listener.accept() => match acc {
                Ok((tcp, _)) => {
                    let _ = tcp.set_nodelay(true);
                    return Some(tcp);
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            },
        }
    }
}
