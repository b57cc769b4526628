//! OTLP/HTTP receiver (HTTP/1.1): `POST /v1/metrics`, `/v1/traces`, `/v1/logs` with protobuf or
//! JSON bodies, optionally gzip-compressed.
//!
//! Replies follow the OTLP/HTTP spec: 200 with an empty Export*ServiceResponse in the request's
//! encoding; every error carries a google.rpc.Status (protobuf, or JSON for JSON requests):
//! - 404 unknown path, 405 any method but POST (with `Allow: POST`),
//! - 415 missing or unsupported `Content-Type`, or a `Content-Encoding` other than gzip/identity,
//! - 413 a body over `max_body`, by `Content-Length`, while streaming, or after inflating gzip,
//! - 400 a body that does not decode (bad gzip, bad protobuf, bad JSON, or a broken upload),
//!   or that holds no data for the path's signal but data for another (naming the right path),
//! - 403 a Host header other than localhost, 127.0.0.1 or `[::1]` on a loopback bind (DNS rebinding),
//! - 408 a body that stalls longer than the connection timeout,
//! - 503 the sink is stopping, or too many connections are open (then the connection closes).
//!
//! Every 4xx is reported through [`Sink::rejected`]; 503 is not (the sink already knows).
//!
//! Each request reserves its bytes under the in-flight budget shared with the gRPC receiver
//! (`cfg.in_flight`, [`super::inflight`]) before its body is read, inflated or decoded; one
//! that does not fit waits.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use opentelemetry_proto::tonic::collector::{
    logs::v1::{ExportLogsServiceRequest, ExportLogsServiceResponse},
    metrics::v1::{ExportMetricsServiceRequest, ExportMetricsServiceResponse},
    trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse},
};
use prost::Message as _;
use tokio::io::AsyncWriteExt as _;
use tokio::sync::{Semaphore, watch};

use super::inflight::{self, InFlight, InflateError};
use super::{OtlpRequest, ReceiverConfig, Refusal, Sink, json};

/// Transport name passed to [`Sink::rejected`].
const TRANSPORT: &str = "http";

/// google.rpc.Status, the error body of OTLP/HTTP responses (`details` is never filled).
#[derive(Clone, PartialEq, prost::Message)]
pub struct RpcStatus {
    /// A google.rpc.Code value.
    #[prost(int32, tag = "1")]
    pub code: i32,
    /// What went wrong and what to do about it.
    #[prost(string, tag = "2")]
    pub message: String,
}

// google.rpc.Code values used in error bodies.
const CODE_INVALID_ARGUMENT: i32 = 3;
const CODE_DEADLINE_EXCEEDED: i32 = 4;
const CODE_PERMISSION_DENIED: i32 = 7;
const CODE_NOT_FOUND: i32 = 5;
const CODE_RESOURCE_EXHAUSTED: i32 = 8;
const CODE_UNIMPLEMENTED: i32 = 12;
const CODE_UNAVAILABLE: i32 = 14;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Encoding {
    Protobuf,
    Json,
}

impl Encoding {
    fn content_type(self) -> &'static str {
        match self {
            Encoding::Protobuf => "application/x-protobuf",
            Encoding::Json => "application/json",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum SignalPath {
    Metrics,
    Traces,
    Logs,
}

impl SignalPath {
    fn path(self) -> &'static str {
        match self {
            SignalPath::Metrics => "/v1/metrics",
            SignalPath::Traces => "/v1/traces",
            SignalPath::Logs => "/v1/logs",
        }
    }

    fn data_name(self) -> &'static str {
        match self {
            SignalPath::Metrics => "metrics",
            SignalPath::Traces => "spans",
            SignalPath::Logs => "logs",
        }
    }

    fn request_name(self) -> &'static str {
        match self {
            SignalPath::Metrics => "ExportMetricsServiceRequest",
            SignalPath::Traces => "ExportTraceServiceRequest",
            SignalPath::Logs => "ExportLogsServiceRequest",
        }
    }
}

/// A refused request: HTTP status, google.rpc.Code and message.
struct Failure {
    status: StatusCode,
    code: i32,
    message: String,
}

impl Failure {
    fn new(status: StatusCode, code: i32, message: impl Into<String>) -> Self {
        Failure {
            status,
            code,
            message: message.into(),
        }
    }

    fn bad_request(message: impl Into<String>) -> Self {
        Failure::new(StatusCode::BAD_REQUEST, CODE_INVALID_ARGUMENT, message)
    }

    fn too_large(message: impl Into<String>) -> Self {
        Failure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            CODE_RESOURCE_EXHAUSTED,
            message,
        )
    }

    fn unsupported(message: impl Into<String>) -> Self {
        Failure::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            CODE_UNIMPLEMENTED,
            message,
        )
    }
}

struct Shared {
    sink: Arc<dyn Sink>,
    max_body: usize,
    /// The bound address: loopback binds check the Host header against it.
    local: SocketAddr,
    /// Longest pause allowed while a body arrives.
    body_timeout: Duration,
    /// Requests in flight, shared with the gRPC receiver.
    in_flight: InFlight,
}

/// Serves OTLP/HTTP on `listener` until `shutdown` resolves, then drains in-flight requests
/// (for at most [`super::DRAIN_TIMEOUT`]).
///
/// Each connection must send a request's headers within `cfg.conn_timeout` (which also
/// closes a kept-alive connection idle that long) and may pause no longer than that inside a
/// body; at most `cfg.max_connections` are open at once, and any more are answered 503 and
/// closed, so stalled clients cannot hold descriptors without bound.
pub async fn serve(
    listener: tokio::net::TcpListener,
    sink: Arc<dyn Sink>,
    cfg: ReceiverConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let local = listener
        .local_addr()
        .context("OTLP/HTTP receiver: cannot read the bound address")?;
    let shared = Arc::new(Shared {
        sink,
        max_body: cfg.max_body,
        local,
        body_timeout: cfg.conn_timeout,
        in_flight: cfg.in_flight.clone(),
    });
    let app = Router::new().fallback(handle).with_state(shared.clone());
    let slots = Arc::new(Semaphore::new(cfg.max_connections.max(1)));
    // Connections watch `stop` to shut down gracefully, and each holds a clone of `open`, so
    // `open_tx.closed()` resolves once the last one ended.
    let (stop_tx, stop_rx) = watch::channel(false);
    let (open_tx, open_rx) = watch::channel(());
    tokio::pin!(shutdown);
    loop {
        let Some(tcp) = super::next_connection(&listener, shutdown.as_mut()).await else {
            break;
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            shared.sink.rejected(TRANSPORT, "too many connections");
            tokio::spawn(refuse_connection(tcp, cfg.max_connections));
            continue;
        };
        let svc = TowerToHyperService::new(app.clone());
        let mut stop = stop_rx.clone();
        let open = open_rx.clone();
        let timeout = cfg.conn_timeout;
        tokio::spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(timeout);
            let conn = builder.serve_connection(TokioIo::new(tcp), svc);
            tokio::pin!(conn);
            let stopping = tokio::select! {
                _ = conn.as_mut() => false,
                r = stop.wait_for(|v| *v) => r.is_ok(),
            };
            if stopping {
                conn.as_mut().graceful_shutdown();
                let _ = conn.await;
            }
            drop(slot);
            drop(open);
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    drop(open_rx);
    // Requests still unfinished after this are never acknowledged, so nothing acknowledged is
    // lost by giving up on them.
    let _ = tokio::time::timeout(super::DRAIN_TIMEOUT, open_tx.closed()).await;
    Ok(())
}

/// Answers a connection over the limit with a 503 saying why, then closes it.
async fn refuse_connection(mut tcp: tokio::net::TcpStream, limit: usize) {
    let msg = format!(
        "otelsnap: too many open connections (the limit is {limit}, --max-connections); retry later, or reuse connections\n"
    );
    let reply = format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nConnection: close\r\nRetry-After: 1\r\nContent-Length: {}\r\n\r\n{msg}",
        msg.len()
    );
    let write = async {
        tcp.write_all(reply.as_bytes()).await?;
        tcp.shutdown().await
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), write).await;
}

/// Whether a request's Host header is acceptable for a receiver bound to `local`: any Host
/// on a non-loopback bind; on a loopback bind only `localhost`, `127.0.0.1` or `[::1]`, with
/// the bound port or none. A web page that rebinds its own name to 127.0.0.1 still sends its
/// own name, so this refuses its requests (a missing Host, as in HTTP/1.0, is no browser).
fn host_allowed(host: Option<&str>, local: SocketAddr) -> bool {
    if !local.ip().is_loopback() {
        return true;
    }
    let Some(host) = host else {
        return true;
    };
    let host = host.trim().to_ascii_lowercase();
    let (name, port) = match host.rfind(':') {
        Some(i) if !host[i..].contains(']') => (&host[..i], Some(&host[i + 1..])),
        _ => (host.as_str(), None),
    };
    let port_ok = port.is_none_or(|p| p.parse::<u16>() == Ok(local.port()));
    port_ok && matches!(name, "localhost" | "127.0.0.1" | "[::1]")
}

async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let content_type = content_type(&parts.headers);
    // Errors are answered in the request's encoding; protobuf when it cannot be told.
    let reply = content_type
        .as_ref()
        .ok()
        .copied()
        .unwrap_or(Encoding::Protobuf);
    let host = parts
        .headers
        .get(header::HOST)
        .map(|h| h.to_str().unwrap_or("\u{fffd}"));
    if !host_allowed(host, shared.local) {
        let port = shared.local.port();
        let f = Failure::new(
            StatusCode::FORBIDDEN,
            CODE_PERMISSION_DENIED,
            format!(
                "Host {:?} refused: this receiver listens on loopback and accepts only Host localhost, 127.0.0.1 or [::1] (port {port}), so web pages cannot post to it by DNS rebinding; send to http://127.0.0.1:{port}",
                host.unwrap_or_default()
            ),
        );
        shared.sink.rejected(TRANSPORT, &f.message);
        return failure(f, reply);
    }
    match process(
        &shared,
        &parts.method,
        parts.uri.path(),
        &parts.headers,
        content_type,
        body,
    )
    .await
    {
        Ok(signal) => success(signal, reply),
        Err(f) => {
            if f.status.is_client_error() {
                shared.sink.rejected(TRANSPORT, &f.message);
            }
            failure(f, reply)
        }
    }
}

async fn process(
    shared: &Shared,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    content_type: Result<Encoding, String>,
    body: Body,
) -> Result<SignalPath, Failure> {
    let signal = match path {
        "/v1/metrics" => SignalPath::Metrics,
        "/v1/traces" => SignalPath::Traces,
        "/v1/logs" => SignalPath::Logs,
        other => {
            return Err(Failure::new(
                StatusCode::NOT_FOUND,
                CODE_NOT_FOUND,
                format!(
                    "unknown path {other:?}: OTLP/HTTP accepts /v1/metrics, /v1/traces and /v1/logs"
                ),
            ));
        }
    };
    if method != Method::POST {
        return Err(Failure::new(
            StatusCode::METHOD_NOT_ALLOWED,
            CODE_UNIMPLEMENTED,
            format!("method {method} not allowed on {path}: use POST"),
        ));
    }
    let encoding = content_type.map_err(Failure::unsupported)?;
    let gzip = content_encoding_is_gzip(headers).map_err(Failure::unsupported)?;
    let max = shared.max_body;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(len) = declared
        && len > max as u64
    {
        return Err(Failure::too_large(format!(
            "request body of {len} bytes exceeds the {max}-byte limit (--max-body)"
        )));
    }
    // Reserved before a byte is read: a sender whose request does not fit waits here.
    let in_flight = &shared.in_flight;
    let mut body_held = Some(in_flight.body(declared.unwrap_or(max as u64)).await);
    let raw = read_body(body, max, shared.body_timeout).await?;
    let expansion = match encoding {
        Encoding::Protobuf => inflight::PROTOBUF_EXPANSION,
        Encoding::Json => inflight::JSON_EXPANSION,
    };
    let (bytes, _decoding) = if gzip {
        let inflated = inflight::inflate_charged(in_flight, &raw, max as u64, expansion).await;
        // The compressed body is no longer needed once inflated.
        drop(raw);
        body_held = None;
        match inflated {
            Ok(v) => v,
            Err(InflateError::OverLimit) => {
                return Err(Failure::too_large(format!(
                    "gzip body inflates past the {max}-byte limit (--max-body)"
                )));
            }
            Err(InflateError::Invalid(e)) => {
                return Err(Failure::bad_request(format!("invalid gzip body: {e}")));
            }
        }
    } else {
        let need = inflight::decoding_bytes(raw.len() as u64, expansion, false);
        let held = in_flight.decoding(need).await;
        (raw, held)
    };
    let req = match decode(signal, encoding, &bytes) {
        Ok(req) if has_data(&req) => req,
        own => {
            // Nothing for this path's signal: a body meant for another path would otherwise
            // be acknowledged and recorded as nothing.
            if let Some(other) = other_signal(signal, encoding, &bytes) {
                return Err(Failure::bad_request(format!(
                    "the body holds {} (an {}), not {}: post it to {}",
                    other.data_name(),
                    other.request_name(),
                    signal.data_name(),
                    other.path()
                )));
            }
            own.map_err(Failure::bad_request)?
        }
    };
    let accepted = shared.sink.accept(req);
    drop(body_held);
    match accepted {
        Ok(()) => Ok(signal),
        Err(Refusal::Stopping) => Err(Failure::new(
            StatusCode::SERVICE_UNAVAILABLE,
            CODE_UNAVAILABLE,
            Refusal::Stopping.to_string(),
        )),
    }
}

/// The body encoding named by `Content-Type`, ignoring parameters such as `charset`.
fn content_type(headers: &HeaderMap) -> Result<Encoding, String> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Err("missing Content-Type: use application/x-protobuf or application/json".into());
    };
    let text = value.to_str().unwrap_or("");
    let media = text.split(';').next().unwrap_or("").trim();
    if media.eq_ignore_ascii_case("application/x-protobuf") {
        Ok(Encoding::Protobuf)
    } else if media.eq_ignore_ascii_case("application/json") {
        Ok(Encoding::Json)
    } else {
        Err(format!(
            "unsupported Content-Type {text:?}: use application/x-protobuf or application/json"
        ))
    }
}

fn content_encoding_is_gzip(headers: &HeaderMap) -> Result<bool, String> {
    let Some(value) = headers.get(header::CONTENT_ENCODING) else {
        return Ok(false);
    };
    let text = value.to_str().unwrap_or("").trim();
    if text.is_empty() || text.eq_ignore_ascii_case("identity") {
        Ok(false)
    } else if text.eq_ignore_ascii_case("gzip") || text.eq_ignore_ascii_case("x-gzip") {
        Ok(true)
    } else {
        Err(format!(
            "unsupported Content-Encoding {text:?}: use gzip or none"
        ))
    }
}

/// Reads the whole body, refusing it as soon as it grows past `max` bytes, or when the sender
/// pauses longer than `pause` (a stalled upload would otherwise hold its connection forever).
async fn read_body(body: Body, max: usize, pause: Duration) -> Result<Bytes, Failure> {
    let mut body = Limited::new(body, max);
    let mut first: Option<Bytes> = None;
    let mut rest: Vec<u8> = Vec::new();
    loop {
        let frame = match tokio::time::timeout(pause, body.frame()).await {
            Ok(Some(Ok(frame))) => frame,
            Ok(None) => break,
            Ok(Some(Err(e))) if e.downcast_ref::<LengthLimitError>().is_some() => {
                return Err(Failure::too_large(format!(
                    "request body exceeds the {max}-byte limit (--max-body)"
                )));
            }
            Ok(Some(Err(e))) => {
                return Err(Failure::bad_request(format!(
                    "reading the request body failed: {e}"
                )));
            }
            Err(_) => {
                return Err(Failure::new(
                    StatusCode::REQUEST_TIMEOUT,
                    CODE_DEADLINE_EXCEEDED,
                    format!(
                        "the request body stalled: no bytes for {} s; send the whole body at once",
                        pause.as_secs_f64()
                    ),
                ));
            }
        };
        let Ok(data) = frame.into_data() else {
            continue; // trailers carry no telemetry
        };
        // Most bodies arrive in one frame: keep it without copying.
        match first.take() {
            None if rest.is_empty() => first = Some(data),
            Some(f) => {
                rest.extend_from_slice(&f);
                rest.extend_from_slice(&data);
            }
            None => rest.extend_from_slice(&data),
        }
    }
    Ok(match first {
        Some(f) => f,
        None => Bytes::from(rest),
    })
}

/// Whether a decoded request holds any resource block at all.
fn has_data(req: &OtlpRequest) -> bool {
    match req {
        OtlpRequest::Metrics(r) => !r.resource_metrics.is_empty(),
        OtlpRequest::Traces(r) => !r.resource_spans.is_empty(),
        OtlpRequest::Logs(r) => !r.resource_logs.is_empty(),
    }
}

/// The other signal whose request `bytes` decode to with data, if any.
fn other_signal(signal: SignalPath, encoding: Encoding, bytes: &[u8]) -> Option<SignalPath> {
    [SignalPath::Metrics, SignalPath::Traces, SignalPath::Logs]
        .into_iter()
        .filter(|s| *s != signal)
        .find(|s| decode(*s, encoding, bytes).is_ok_and(|r| has_data(&r)))
}

fn decode(signal: SignalPath, encoding: Encoding, bytes: &[u8]) -> Result<OtlpRequest, String> {
    match encoding {
        Encoding::Protobuf => {
            let what = match signal {
                SignalPath::Metrics => "ExportMetricsServiceRequest",
                SignalPath::Traces => "ExportTraceServiceRequest",
                SignalPath::Logs => "ExportLogsServiceRequest",
            };
            let res = match signal {
                SignalPath::Metrics => {
                    ExportMetricsServiceRequest::decode(bytes).map(OtlpRequest::Metrics)
                }
                SignalPath::Traces => {
                    ExportTraceServiceRequest::decode(bytes).map(OtlpRequest::Traces)
                }
                SignalPath::Logs => ExportLogsServiceRequest::decode(bytes).map(OtlpRequest::Logs),
            };
            res.map_err(|e| format!("body is not a protobuf {what}: {e}"))
        }
        Encoding::Json => {
            let res = match signal {
                SignalPath::Metrics => json::decode_metrics(bytes).map(OtlpRequest::Metrics),
                SignalPath::Traces => json::decode_traces(bytes).map(OtlpRequest::Traces),
                SignalPath::Logs => json::decode_logs(bytes).map(OtlpRequest::Logs),
            };
            res.map_err(|e| e.to_string())
        }
    }
}

fn success(signal: SignalPath, encoding: Encoding) -> Response {
    let body = match encoding {
        Encoding::Json => json::export_response_json(),
        Encoding::Protobuf => match signal {
            SignalPath::Metrics => ExportMetricsServiceResponse::default().encode_to_vec(),
            SignalPath::Traces => ExportTraceServiceResponse::default().encode_to_vec(),
            SignalPath::Logs => ExportLogsServiceResponse::default().encode_to_vec(),
        },
    };
    with_body(StatusCode::OK, encoding, body)
}

fn failure(f: Failure, encoding: Encoding) -> Response {
    let body = match encoding {
        Encoding::Json => json::status_json(f.code, &f.message),
        Encoding::Protobuf => RpcStatus {
            code: f.code,
            message: f.message,
        }
        .encode_to_vec(),
    };
    let mut resp = with_body(f.status, encoding, body);
    if f.status == StatusCode::METHOD_NOT_ALLOWED {
        resp.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
    }
    resp
}

fn with_body(status: StatusCode, encoding: Encoding, body: Vec<u8>) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(encoding.content_type()),
        )],
        body,
    )
        .into_response()
}
