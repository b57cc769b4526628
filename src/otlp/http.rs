//! OTLP/HTTP receiver (HTTP/1.1): `POST /v1/metrics`, `/v1/traces`, `/v1/logs` with protobuf or
//! JSON bodies, optionally gzip-compressed.
//!
//! Replies follow the OTLP/HTTP spec: 200 with an empty Export*ServiceResponse in the request's
//! encoding; every error carries a google.rpc.Status (protobuf, or JSON for JSON requests):
//! - 404 unknown path, 405 any method but POST (with `Allow: POST`),
//! - 415 missing or unsupported `Content-Type`, or a `Content-Encoding` other than gzip/identity,
//! - 413 a body over `max_body`, by `Content-Length`, while streaming, or after inflating gzip,
//! - 400 a body that does not decode (bad gzip, bad protobuf, bad JSON, or a broken upload),
//! - 503 the sink is stopping.
//!
//! Every 4xx is reported through [`Sink::rejected`]; 503 is not (the sink already knows).

use std::future::{Future, IntoFuture as _};
use std::sync::Arc;

use anyhow::Context as _;
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::serve::ListenerExt as _;
use bytes::Bytes;
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use opentelemetry_proto::tonic::collector::{
    logs::v1::{ExportLogsServiceRequest, ExportLogsServiceResponse},
    metrics::v1::{ExportMetricsServiceRequest, ExportMetricsServiceResponse},
    trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse},
};
use prost::Message as _;

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

#[derive(Clone, Copy)]
enum SignalPath {
    Metrics,
    Traces,
    Logs,
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
}

/// Serves OTLP/HTTP on `listener` until `shutdown` resolves, then drains in-flight requests
/// (for at most [`super::DRAIN_TIMEOUT`]).
pub async fn serve(
    listener: tokio::net::TcpListener,
    sink: Arc<dyn Sink>,
    cfg: ReceiverConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let addr = listener.local_addr().ok();
    let shared = Arc::new(Shared {
        sink,
        max_body: cfg.max_body,
    });
    let app = Router::new().fallback(handle).with_state(shared);
    // Responses are small and written at once; Nagle would only add latency per request.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let server = |signal| {
        axum::serve(listener, app)
            .with_graceful_shutdown(signal)
            .into_future()
    };
    super::drain_within_deadline(shutdown, server)
        .await
        .with_context(|| match addr {
            Some(a) => format!("OTLP/HTTP receiver on {a} failed"),
            None => "OTLP/HTTP receiver failed".to_string(),
        })
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
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        && len > max as u64
    {
        return Err(Failure::too_large(format!(
            "request body of {len} bytes exceeds the {max}-byte limit (--max-body)"
        )));
    }
    let raw = read_body(body, max).await?;
    let bytes = if gzip { gunzip(&raw, max)? } else { raw };
    let req = decode(signal, encoding, &bytes).map_err(Failure::bad_request)?;
    match shared.sink.accept(req) {
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

/// Reads the whole body, refusing it as soon as it grows past `max` bytes.
async fn read_body(body: Body, max: usize) -> Result<Bytes, Failure> {
    match Limited::new(body, max).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(Failure::too_large(
            format!("request body exceeds the {max}-byte limit (--max-body)"),
        )),
        Err(e) => Err(Failure::bad_request(format!(
            "reading the request body failed: {e}"
        ))),
    }
}

/// Inflates a gzip body, never producing more than `max + 1` bytes so a gzip bomb costs at most
/// `max` bytes of memory.
fn gunzip(data: &[u8], max: usize) -> Result<Bytes, Failure> {
    match otelsnap_core::gunzip::limited(data, max as u64) {
        Ok(out) => Ok(Bytes::from(out)),
        Err(otelsnap_core::gunzip::GunzipError::OverLimit { .. }) => Err(Failure::too_large(
            format!("gzip body inflates past the {max}-byte limit (--max-body)"),
        )),
        Err(e) => Err(Failure::bad_request(format!("invalid gzip body: {e}"))),
    }
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
