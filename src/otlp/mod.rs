//! OTLP receivers (gRPC, HTTP) and what they hand requests to. Decoding and file reading are
//! the core library's (`otelsnap_core::otlp`), re-exported here so `crate::otlp::json` and
//! `crate::otlp::file` read the same from the binary's modules.

pub mod grpc;
pub mod http;

pub use otelsnap_core::otlp::{OtlpRequest, Refusal, file, json};

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// How long a receiver waits, after shutdown, for in-flight requests before abandoning them
/// (they are then never acknowledged, so nothing acknowledged is lost); bounds a stalled client.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// The shutdown signal handed to a server: it resolves when the receiver must stop accepting.
pub(crate) type Signal = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Runs a server built by `serve` around a signal that resolves with `shutdown`, until the
/// server has drained, or [`DRAIN_TIMEOUT`] after shutdown, whichever comes first. Both
/// receivers stop this way.
pub(crate) async fn drain_within_deadline<S, E>(
    shutdown: impl Future<Output = ()> + Send + 'static,
    serve: impl FnOnce(Signal) -> S,
) -> Result<(), E>
where
    S: Future<Output = Result<(), E>>,
{
    let (stopped_tx, stopped_rx) = tokio::sync::oneshot::channel::<()>();
    let server = serve(Box::pin(async move {
        shutdown.await;
        let _ = stopped_tx.send(());
    }));
    let deadline = async move {
        match stopped_rx.await {
            Ok(()) => tokio::time::sleep(DRAIN_TIMEOUT).await,
            // The server ended on its own; the other branch finishes.
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        res = server => res,
        () = deadline => Ok(()),
    }
}

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
    /// HTTP: how long a connection may take to send a request's headers (also the idle time
    /// allowed between requests on a kept-alive connection), and the longest pause in a body.
    pub conn_timeout: std::time::Duration,
    /// HTTP: connections open at once at most; more are answered 503 and closed.
    pub max_connections: usize,
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
        }
    }
}
