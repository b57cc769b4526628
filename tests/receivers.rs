//! OTLP receivers (gRPC and HTTP) started on 127.0.0.1:0 with a recording sink, driven by real
//! clients: the sink must receive exactly what was sent, bad input must get its status and a
//! google.rpc.Status message, and the receiver must keep serving afterwards.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use flate2::Compression;
use flate2::write::GzEncoder;
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsServiceRequest, logs_service_client::LogsServiceClient,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, metrics_service_client::MetricsServiceClient,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, trace_service_client::TraceServiceClient,
};
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::metrics::v1::{
    Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum, metric, number_data_point,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, span};
use otelsnap::otlp::http::RpcStatus;
use otelsnap::otlp::{OtlpRequest, ReceiverConfig, Refusal, Sink, grpc, http};
use otelsnap_testkit::grpc_raw;
use prost::Message;
use tonic::codec::CompressionEncoding;

const WAIT: Duration = Duration::from_secs(10);
const MIB: usize = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Sinks

/// Records everything; refuses with `Stopping` when `stopping` is set.
#[derive(Default)]
struct Recorder {
    accepted: Mutex<Vec<OtlpRequest>>,
    rejected: Mutex<Vec<(&'static str, String)>>,
    stopping: AtomicBool,
}

impl Sink for Recorder {
    fn accept(&self, req: OtlpRequest) -> Result<(), Refusal> {
        if self.stopping.load(Ordering::SeqCst) {
            return Err(Refusal::Stopping);
        }
        self.accepted.lock().unwrap().push(req);
        Ok(())
    }
    fn rejected(&self, transport: &'static str, reason: &str) {
        self.rejected
            .lock()
            .unwrap()
            .push((transport, reason.to_string()));
    }
}

impl Recorder {
    fn accepted(&self) -> Vec<OtlpRequest> {
        self.accepted.lock().unwrap().clone()
    }
    fn rejected_count(&self) -> usize {
        self.rejected.lock().unwrap().len()
    }
    fn last_rejection(&self) -> (&'static str, String) {
        self.rejected
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("a rejection was recorded")
    }
    /// Rejections are recorded on the server's task, possibly just after the client saw the
    /// response; wait (bounded) until `n` are in.
    fn wait_rejected(&self, n: usize) {
        let start = Instant::now();
        while self.rejected_count() < n && start.elapsed() < WAIT {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(self.rejected_count(), n, "rejections recorded");
    }
}

/// Holds every request inside `accept` until released, to have a request in flight at shutdown.
struct Gate {
    inner: Recorder,
    entered: Mutex<mpsc::Sender<()>>,
    release: Mutex<mpsc::Receiver<()>>,
}

impl Sink for Gate {
    fn accept(&self, req: OtlpRequest) -> Result<(), Refusal> {
        self.entered.lock().unwrap().send(()).unwrap();
        self.release
            .lock()
            .unwrap()
            .recv_timeout(WAIT)
            .expect("test released the gate");
        self.inner.accept(req)
    }
    fn rejected(&self, transport: &'static str, reason: &str) {
        self.inner.rejected(transport, reason);
    }
}

// ---------------------------------------------------------------------------------------------
// Servers

#[derive(Clone, Copy)]
enum Transport {
    Http,
    Grpc,
}

/// A receiver running on its own runtime thread.
struct Running {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<anyhow::Result<()>>>,
}

fn start(transport: Transport, sink: Arc<dyn Sink>, max_body: usize) -> Running {
    let cfg = ReceiverConfig {
        max_body,
        ..ReceiverConfig::default()
    };
    start_with(transport, sink, cfg)
}

fn start_with(transport: Transport, sink: Arc<dyn Sink>, cfg: ReceiverConfig) -> Running {
    let (addr_tx, addr_rx) = mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            addr_tx.send(listener.local_addr()?)?;
            let shutdown = async move {
                let _ = stop_rx.await;
            };
            match transport {
                Transport::Http => http::serve(listener, sink, cfg, shutdown).await,
                Transport::Grpc => grpc::serve(listener, sink, cfg, shutdown).await,
            }
        })
    });
    let addr = addr_rx.recv_timeout(WAIT).expect("receiver bound");
    Running {
        addr,
        stop: Some(stop_tx),
        thread: Some(thread),
    }
}

impl Running {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn signal_stop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }

    fn finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }

    /// Signals shutdown and waits (bounded) for `serve` to return.
    fn stop(mut self) {
        self.signal_stop();
        let start = Instant::now();
        while !self.finished() && start.elapsed() < WAIT {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(self.finished(), "receiver did not stop within {WAIT:?}");
        let thread = self.thread.take().expect("thread handle");
        thread
            .join()
            .expect("receiver thread panicked")
            .expect("serve returned an error");
    }
}

fn client_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// Payloads

fn kv(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.to_string(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.to_string())),
        }),
        ..Default::default()
    }
}

fn resource(service: &str) -> Option<Resource> {
    Some(Resource {
        attributes: vec![kv("service.name", service)],
        ..Default::default()
    })
}

fn scope() -> Option<InstrumentationScope> {
    Some(InstrumentationScope {
        name: "test-scope".into(),
        version: "1.0".into(),
        ..Default::default()
    })
}

fn metrics_request(description: &str) -> ExportMetricsServiceRequest {
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: resource("checkout"),
            scope_metrics: vec![ScopeMetrics {
                scope: scope(),
                metrics: vec![Metric {
                    name: "http.server.requests".into(),
                    description: description.into(),
                    unit: "1".into(),
                    data: Some(metric::Data::Sum(Sum {
                        data_points: vec![NumberDataPoint {
                            attributes: vec![kv("http.method", "GET")],
                            time_unix_nano: 1_700_000_000_000_000_000,
                            value: Some(number_data_point::Value::AsInt(42)),
                            ..Default::default()
                        }],
                        aggregation_temporality: 2,
                        is_monotonic: true,
                    })),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// The OTLP/JSON encoding of `metrics_request("requests")`, written by hand so the test does not
/// depend on an encoder.
const METRICS_JSON: &str = r#"{"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"checkout"}}]},"scopeMetrics":[{"scope":{"name":"test-scope","version":"1.0"},"metrics":[{"name":"http.server.requests","description":"requests","unit":"1","sum":{"dataPoints":[{"attributes":[{"key":"http.method","value":{"stringValue":"GET"}}],"timeUnixNano":"1700000000000000000","asInt":"42"}],"aggregationTemporality":2,"isMonotonic":true}}]}]}]}"#;

fn traces_request() -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: resource("cart"),
            scope_spans: vec![ScopeSpans {
                scope: scope(),
                spans: vec![Span {
                    trace_id: (1..=16).collect(),
                    span_id: (1..=8).collect(),
                    name: "GET /cart".into(),
                    kind: span::SpanKind::Server as i32,
                    start_time_unix_nano: 1_700_000_000_000_000_000,
                    end_time_unix_nano: 1_700_000_000_500_000_000,
                    attributes: vec![kv("http.route", "/cart")],
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// The OTLP/JSON encoding of `traces_request()`.
const TRACES_JSON: &str = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"cart"}}]},"scopeSpans":[{"scope":{"name":"test-scope","version":"1.0"},"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","name":"GET /cart","kind":2,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000500000000","attributes":[{"key":"http.route","value":{"stringValue":"/cart"}}]}]}]}]}"#;

fn logs_request() -> ExportLogsServiceRequest {
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: resource("auth"),
            scope_logs: vec![ScopeLogs {
                scope: scope(),
                log_records: vec![LogRecord {
                    time_unix_nano: 1_700_000_000_000_000_000,
                    severity_number: 9,
                    severity_text: "INFO".into(),
                    body: Some(AnyValue {
                        value: Some(any_value::Value::StringValue("user 42 logged in".into())),
                    }),
                    attributes: vec![kv("user.id", "42")],
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// The OTLP/JSON encoding of `logs_request()`.
const LOGS_JSON: &str = r#"{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"auth"}}]},"scopeLogs":[{"scope":{"name":"test-scope","version":"1.0"},"logRecords":[{"timeUnixNano":"1700000000000000000","severityNumber":9,"severityText":"INFO","body":{"stringValue":"user 42 logged in"},"attributes":[{"key":"user.id","value":{"stringValue":"42"}}]}]}]}]}"#;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// `n` bytes from a fixed-seed xorshift generator.
fn pseudo_random(n: usize, mut seed: u64) -> Vec<u8> {
    (0..n)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// HTTP clients

struct Reply {
    status: u16,
    content_type: String,
    allow: String,
    body: Vec<u8>,
}

impl Reply {
    fn rpc_status(&self) -> RpcStatus {
        assert_eq!(self.content_type, "application/x-protobuf");
        RpcStatus::decode(&self.body[..]).expect("error body is a protobuf google.rpc.Status")
    }

    fn json_status(&self) -> (i64, String) {
        assert_eq!(self.content_type, "application/json");
        let v: serde_json::Value = serde_json::from_slice(&self.body).expect("error body is JSON");
        let code = v["code"].as_i64().expect("code");
        let message = v["message"].as_str().expect("message").to_string();
        (code, message)
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(WAIT))
        .build()
        .into()
}

fn post(
    server: &Running,
    path: &str,
    content_type: &str,
    content_encoding: Option<&str>,
    body: &[u8],
) -> Reply {
    let mut req = agent()
        .post(server.url(path))
        .header("Content-Type", content_type);
    if let Some(enc) = content_encoding {
        req = req.header("Content-Encoding", enc);
    }
    reply(req.send(body).expect("HTTP exchange"))
}

fn reply(mut resp: ureq::http::Response<ureq::Body>) -> Reply {
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let content_type = header("content-type");
    let allow = header("allow");
    let status = resp.status().as_u16();
    let body = resp.body_mut().read_to_vec().expect("response body");
    Reply {
        status,
        content_type,
        allow,
        body,
    }
}

/// Sends raw bytes (ignoring write errors: the server may answer and close before reading it
/// all) and reads the response up to EOF; the request should carry `Connection: close`.
fn raw_exchange(addr: SocketAddr, head: &str, body: &[u8]) -> Reply {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    s.set_write_timeout(Some(WAIT)).unwrap();
    let _ = s
        .write_all(head.as_bytes())
        .and_then(|()| s.write_all(body));
    let mut buf = Vec::new();
    // A reset after the response arrived is fine: what was read is kept.
    let _ = s.read_to_end(&mut buf);
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response head");
    let head = String::from_utf8_lossy(&buf[..split]).to_string();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let header = |name: &str| {
        head.lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
            })
            .unwrap_or_default()
    };
    let len: usize = header("content-length").parse().expect("content-length");
    let body = buf[split + 4..].to_vec();
    assert_eq!(body.len(), len, "whole response body read");
    Reply {
        status,
        content_type: header("content-type"),
        allow: header("allow"),
        body,
    }
}

/// Posts a valid metrics request and checks it reaches the sink: the receiver still works.
fn assert_still_serving(server: &Running, sink: &Recorder) {
    let before = sink.accepted().len();
    let req = metrics_request("still serving");
    let r = post(
        server,
        "/v1/metrics",
        "application/x-protobuf",
        None,
        &req.encode_to_vec(),
    );
    assert_eq!(r.status, 200);
    let accepted = sink.accepted();
    assert_eq!(accepted.len(), before + 1);
    assert_eq!(accepted.last(), Some(&OtlpRequest::Metrics(req)));
}

// ---------------------------------------------------------------------------------------------
// HTTP: valid requests

#[test]
fn http_protobuf_each_signal_reaches_sink_exactly() {
    let sink = Arc::new(Recorder::default());
    let server = start(Transport::Http, sink.clone(), MIB);

    let m = metrics_request("requests");
    let r = post(
        &server,
        "/v1/metrics",
        "application/x-protobuf",
        None,
        &m.encode_to_vec(),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type, "application/x-protobuf");
    // An empty ExportMetricsServiceResponse (no partial_success) encodes to zero bytes.
    assert!(r.body.is_empty());

    let t = traces_request();
    let r = post(
        &server,
        "/v1/traces",
        "application/x-protobuf",
        None,
        &t.encode_to_vec(),
    );
    assert_eq!(r.status, 200);

    let l = logs_request();
    let r = post(
        &server,
        "/v1/logs",
        "application/x-protobuf",
        None,
        &l.encode_to_vec(),
    );
    assert_eq!(r.status, 200);

    assert_eq!(
        sink.accepted(),
        vec![
            OtlpRequest::Metrics(m),
            OtlpRequest::Traces(t),
            OtlpRequest::Logs(l)
        ]
    );
    assert_eq!(sink.rejected_count(), 0);
    server.stop();
}

#[test]
fn http_json_each_signal_reaches_sink_exactly() {
    let sink = Arc::new(Recorder::default());
    let server = start(Transport::Http, sink.clone(), MIB);

    let r = post(
        &server,
        "/v1/metrics",
        "application/json",
        None,
        METRICS_JSON.as_bytes(),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type, "application/json");
    assert_eq!(r.body, b"{}");
    // Media type parameters are ignored.
    let r = post(
        &server,
        "/v1/traces",
        "application/json; charset=utf-8",
        None,
        TRACES_JSON.as_bytes(),
    );
    assert_eq!(r.status, 200);
    let r = post(
        &server,
        "/v1/logs",
        "Application/JSON",
        None,
        LOGS_JSON.as_bytes(),
    );
    assert_eq!(r.status, 200);

    assert_eq!(
        sink.accepted(),
        vec![
            OtlpRequest::Metrics(metrics_request("requests")),
            OtlpRequest::Traces(traces_request()),
            OtlpRequest::Logs(logs_request()),
        ]
    );
    assert_eq!(sink.rejected_count(), 0);
    server.stop();
}

#[test]
fn http_gzip_protobuf_and_json_reach_sink_exactly() {
    let sink = Arc::new(Recorder::default());
    let server = start(Transport::Http, sink.clone(), MIB);

    let m = metrics_request("gzipped");
    let r = post(
        &server,
        "/v1/metrics",
        "application/x-protobuf",
        Some("gzip"),
        &gzip(&m.encode_to_vec()),
    );
    assert_eq!(r.status, 200);
    let r = post(
        &server,
        "/v1/logs",
        "application/json",
        Some("gzip"),
        &gzip(LOGS_JSON.as_bytes()),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"{}");

    assert_eq!(
        sink.accepted(),
        vec![OtlpRequest::Metrics(m), OtlpRequest::Logs(logs_request())]
    );
    server.stop();
}

#[test]
fn http_sink_stopping_is_503_and_not_a_rejection() {
    let sink = Arc::new(Recorder::default());
    sink.stopping.store(true, Ordering::SeqCst);
    let server = start(Transport::Http, sink.clone(), MIB);
    let r = post(
        &server,
        "/v1/metrics",
        "application/x-protobuf",
        None,
        &metrics_request("x").encode_to_vec(),
    );
    assert_eq!(r.status, 503);
    let st = r.rpc_status();
    assert_eq!(st.code, 14);
    assert!(st.message.contains("stopping"), "{}", st.message);
    let r = post(
        &server,
        "/v1/metrics",
        "application/json",
        None,
        METRICS_JSON.as_bytes(),
    );
    assert_eq!(r.status, 503);
    assert_eq!(r.json_status().0, 14);
    assert_eq!(sink.rejected_count(), 0);
    assert!(sink.accepted().is_empty());
    server.stop();
}

// ---------------------------------------------------------------------------------------------
// HTTP: bad input, each followed by a valid request

#[test]
fn http_undecodable_bodies_are_400_with_status() {
    let sink = Arc::new(Recorder::default());
    let server = start(Transport::Http, sink.clone(), MIB);
    let mut rejected = 0;

    // Random bytes: precondition, prost really refuses them.
    let random = pseudo_random(4096, 0x5eed);
    assert!(ExportMetricsServiceRequest::decode(&random[..]).is_err());
    let r = post(
        &server,
        "/v1/metrics",
        "application/x-protobuf",
        None,
        &random,
    );
    assert_eq!(r.status, 400);
    let st = r.rpc_status();
    assert_eq!(st.code, 3);
    assert!(
        st.message
            .contains("not a protobuf ExportMetricsServiceRequest"),
        "{}",
        st.message
    );
    rejected += 1;
    sink.wait_rejected(rejected);
    assert_eq!(sink.last_rejection().0, "http");
    assert_still_serving(&server, &sink);

    // Truncated protobuf.
    let full = traces_request().encode_to_vec();
    let cut = &full[..full.len() / 2];
    assert!(ExportTraceServiceRequest::decode(cut).is_err());
    let r = post(&server, "/v1/traces", "application/x-protobuf", None, cut);
    assert_eq!(r.status, 400);
    assert!(!r.rpc_status().message.is_empty());
    rejected += 1;
    sink.wait_rejected(rejected);
    assert_still_serving(&server, &sink);

    // Invalid JSON: the error comes back as JSON.
    let r = post(
        &server,
        "/v1/logs",
        "application/json",
        None,
        br#"{"resourceLogs": [ }"#,
    );
    assert_eq!(r.status, 400);
    let (code, message) = r.json_status();
    assert_eq!(code, 3);
    assert!(message.contains("invalid JSON"), "{message}");
    rejected += 1;
    sink.wait_rejected(rejected);
    assert_still_serving(&server, &sink);

    // A JSON body sent as protobuf.
    assert!(ExportMetricsServiceRequest::decode(METRICS_JSON.as_bytes()).is_err());
    let r = post(
        &server,
        "/v1/metrics",
        "application/x-protobuf",
        None,
        METRICS_JSON.as_bytes(),
    );
    assert_eq!(r.status, 400);
    assert!(!r.rpc_status().message.is_empty());
    rejected += 1;
    sink.wait_rejected(rejected);
    assert_still_serving(&server, &sink);

    // A protobuf body sent as JSON.
    let r = post(
        &server,
        "/v1/metrics",
        "application/json",
        None,
        &metrics_request("pb").encode_to_vec(),
    );
    assert_eq!(r.status, 400);
    assert!(!r.json_status().1.is_empty());
    rejected += 1;
    sink.wait_rejected(rejected);
    assert_still_serving(&server, &sink);

    // A body claiming gzip that is not gzip.
    let r = post(
        &server,
        "/v1/metrics",
        "application/x-protobuf",
        Some("gzip"),
        b"plain",
    );
    assert_eq!(r.status, 400);
    assert!(r.rpc_status().message.contains("gzip"));
    rejected += 1;
    sink.wait_rejected(rejected);
    assert_still_serving(&server, &sink);

    // Only the valid requests got through.
    assert_eq!(sink.accepted().len(), 6);
    server.stop();
}

#[test]
fn http_wrong_path_method_content_type_and_encoding() {
    let sink = Arc::new(Recorder::default());
    let server = start(Transport::Http, sink.clone(), MIB);
    let body = metrics_request("x").encode_to_vec();

    let r = post(
        &server,
        "/v1/profiles",
        "application/x-protobuf",
        None,
        &body,
    );
    assert_eq!(r.status, 404);
    assert!(r.rpc_status().message.contains("/v1/profiles"));
    sink.wait_rejected(1);
    assert_still_serving(&server, &sink);

    let r = reply(agent().get(server.url("/v1/metrics")).call().unwrap());
    assert_eq!(r.status, 405);
    assert_eq!(r.allow, "POST");
    assert!(r.rpc_status().message.contains("POST"));
    sink.wait_rejected(2);
    let r = reply(
        agent()
            .put(server.url("/v1/traces"))
            .header("Content-Type", "application/json")
            .send(TRACES_JSON)
            .unwrap(),
    );
    assert_eq!(r.status, 405);
    assert_eq!(r.allow, "POST");
    // Errors answer in the request's encoding.
    assert!(r.json_status().1.contains("PUT"));
    sink.wait_rejected(3);
    assert_still_serving(&server, &sink);

    let r = post(&server, "/v1/metrics", "text/plain", None, &body);
    assert_eq!(r.status, 415);
    assert!(r.rpc_status().message.contains("text/plain"));
    sink.wait_rejected(4);
    assert_still_serving(&server, &sink);

    let r = raw_exchange(
        server.addr,
        &format!(
            "POST /v1/metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
            body.len()
        ),
        &body,
    );
    assert_eq!(r.status, 415);
    assert!(r.rpc_status().message.contains("missing Content-Type"));
    sink.wait_rejected(5);

    let r = post(
        &server,
        "/v1/metrics",
        "application/x-protobuf",
        Some("br"),
        &body,
    );
    assert_eq!(r.status, 415);
    assert!(r.rpc_status().message.contains("Content-Encoding"));
    sink.wait_rejected(6);
    assert_still_serving(&server, &sink);

    assert!(
        sink.rejected
            .lock()
            .unwrap()
            .iter()
            .all(|(t, _)| *t == "http")
    );
    server.stop();
}

#[test]
fn http_oversize_body_is_413() {
    let sink = Arc::new(Recorder::default());
    let server = start(Transport::Http, sink.clone(), MIB);

    // A body exactly at the limit is fine (precondition: it is a valid request of that size).
    let exact = metrics_request(&"d".repeat(MIB - 256));
    let pad = MIB - exact.encoded_len();
    let exact = metrics_request(&"d".repeat(MIB - 256 + pad));
    assert_eq!(exact.encoded_len(), MIB);
    let r = post(
        &server,
        "/v1/metrics",
        "application/x-protobuf",
        None,
        &exact.encode_to_vec(),
    );
    assert_eq!(r.status, 200);

    // One byte over, announced by Content-Length: refused before the body is read.
    let over = metrics_request(&"d".repeat(MIB - 256 + pad + 1)).encode_to_vec();
    assert_eq!(over.len(), MIB + 1);
    let r = raw_exchange(
        server.addr,
        &format!(
            "POST /v1/metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/x-protobuf\r\nContent-Length: {}\r\n\r\n",
            over.len()
        ),
        &over,
    );
    assert_eq!(r.status, 413);
    let st = r.rpc_status();
    assert_eq!(st.code, 8);
    assert!(st.message.contains("limit"), "{}", st.message);
    sink.wait_rejected(1);
    assert_still_serving(&server, &sink);

    // Over the limit without Content-Length (chunked): refused while streaming.
    let mut chunked = Vec::new();
    for chunk in over.chunks(64 * 1024) {
        chunked.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        chunked.extend_from_slice(chunk);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let r = raw_exchange(
        server.addr,
        "POST /v1/metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        &chunked,
    );
    assert_eq!(r.status, 413);
    let (code, message) = r.json_status();
    assert_eq!(code, 8);
    assert!(message.contains("limit"), "{message}");
    sink.wait_rejected(2);
    assert_still_serving(&server, &sink);
    server.stop();
}

#[test]
fn http_gzip_bomb_is_413() {
    let sink = Arc::new(Recorder::default());
    let server = start(Transport::Http, sink.clone(), MIB);
    // 64 MiB of zeros compresses to about 64 KiB: small on the wire, huge inflated.
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    let zeros = vec![0u8; MIB];
    for _ in 0..64 {
        enc.write_all(&zeros).unwrap();
    }
    let bomb = enc.finish().unwrap();
    assert!(bomb.len() < MIB);
    let r = post(
        &server,
        "/v1/metrics",
        "application/x-protobuf",
        Some("gzip"),
        &bomb,
    );
    assert_eq!(r.status, 413);
    let st = r.rpc_status();
    assert_eq!(st.code, 8);
    assert!(st.message.contains("inflates past"), "{}", st.message);
    sink.wait_rejected(1);
    assert!(sink.last_rejection().1.contains("inflates past"));
    assert_still_serving(&server, &sink);
    server.stop();
}

#[test]
fn http_host_header_is_checked_on_loopback() {
    let sink = Arc::new(Recorder::default());
    let server = start(Transport::Http, sink.clone(), MIB);
    let port = server.addr.port();
    let body = metrics_request("host").encode_to_vec();
    let send = |host: &str| {
        raw_exchange(
            server.addr,
            &format!(
                "POST /v1/metrics HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Type: application/x-protobuf\r\nContent-Length: {}\r\n\r\n",
                body.len()
            ),
            &body,
        )
    };
    // A web page rebinding its own name to 127.0.0.1 still sends its own name.
    for bad in [
        format!("evil.example:{port}"),
        "evil.example".to_string(),
        format!("localhost:{}", port.wrapping_add(1)),
        format!("127.0.0.1.nip.io:{port}"),
    ] {
        let r = send(&bad);
        assert_eq!(r.status, 403, "{bad}");
        let st = r.rpc_status();
        assert_eq!(st.code, 7);
        assert!(st.message.contains("DNS rebinding"), "{}", st.message);
        assert!(st.message.contains(&format!("http://127.0.0.1:{port}")));
    }
    sink.wait_rejected(4);
    assert!(sink.accepted().is_empty());
    for good in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
        "LocalHost".to_string(),
        "127.0.0.1".to_string(),
    ] {
        assert_eq!(send(&good).status, 200, "{good}");
    }
    assert_eq!(sink.accepted().len(), 5);
    server.stop();
}

/// Reads until the server closes the connection or `limit` passes; returns what was read and
/// whether it closed.
fn read_until_closed(s: &mut TcpStream, limit: Duration) -> (Vec<u8>, bool) {
    s.set_read_timeout(Some(limit)).unwrap();
    let mut buf = Vec::new();
    let closed = match s.read_to_end(&mut buf) {
        Ok(_) => true,
        Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
    };
    (buf, closed)
}

#[test]
fn http_stalled_and_idle_connections_are_closed() {
    let sink = Arc::new(Recorder::default());
    let cfg = ReceiverConfig {
        max_body: MIB,
        conn_timeout: Duration::from_millis(500),
        ..ReceiverConfig::default()
    };
    let server = start_with(Transport::Http, sink.clone(), cfg);
    // Nothing sent at all.
    let mut silent = TcpStream::connect(server.addr).unwrap();
    let t = Instant::now();
    let (_, closed) = read_until_closed(&mut silent, WAIT);
    assert!(
        closed && t.elapsed() < Duration::from_secs(5),
        "{:?}",
        t.elapsed()
    );
    // Headers started and never finished (slowloris).
    let mut partial = TcpStream::connect(server.addr).unwrap();
    partial
        .write_all(b"POST /v1/metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .unwrap();
    let (_, closed) = read_until_closed(&mut partial, WAIT);
    assert!(closed);
    // A kept-alive connection idle after its request.
    let body = metrics_request("idle").encode_to_vec();
    let mut kept = TcpStream::connect(server.addr).unwrap();
    kept.write_all(
        format!(
            "POST /v1/metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-protobuf\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    )
    .unwrap();
    kept.write_all(&body).unwrap();
    let (reply, closed) = read_until_closed(&mut kept, WAIT);
    assert!(
        reply.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&reply)
    );
    assert!(closed);
    assert_eq!(sink.accepted().len(), 1);
    // A body that stops arriving: 408, counted as rejected.
    let mut stalled = TcpStream::connect(server.addr).unwrap();
    stalled
        .write_all(b"POST /v1/metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-protobuf\r\nContent-Length: 1000\r\n\r\n0123")
        .unwrap();
    let (reply, _) = read_until_closed(&mut stalled, WAIT);
    let text = String::from_utf8_lossy(&reply);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    sink.wait_rejected(1);
    assert!(sink.last_rejection().1.contains("stalled"));
    assert_still_serving(&server, &sink);
    server.stop();
}

#[test]
fn http_connections_over_the_limit_are_refused_with_503() {
    let sink = Arc::new(Recorder::default());
    let cfg = ReceiverConfig {
        max_body: MIB,
        max_connections: 3,
        ..ReceiverConfig::default()
    };
    let server = start_with(Transport::Http, sink.clone(), cfg);
    let held: Vec<TcpStream> = (0..3)
        .map(|_| TcpStream::connect(server.addr).unwrap())
        .collect();
    // Accepting is asynchronous: give the receiver a moment to take the three.
    std::thread::sleep(Duration::from_millis(200));
    let mut over = TcpStream::connect(server.addr).unwrap();
    let (reply, closed) = read_until_closed(&mut over, WAIT);
    let text = String::from_utf8_lossy(&reply);
    assert!(closed);
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(
        text.contains("too many open connections (the limit is 3, --max-connections)"),
        "{text}"
    );
    sink.wait_rejected(1);
    drop(held);
    // Slots free up as connections close.
    let start = Instant::now();
    loop {
        let r = agent()
            .post(server.url("/v1/metrics"))
            .header("Content-Type", "application/x-protobuf")
            .send(&metrics_request("after").encode_to_vec()[..])
            .map(|r| r.status().as_u16());
        if r.as_ref().is_ok_and(|s| *s == 200) {
            break;
        }
        assert!(start.elapsed() < WAIT, "no slot freed: {r:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    server.stop();
}

#[test]
fn http_body_for_another_signal_is_400_naming_its_path() {
    let sink = Arc::new(Recorder::default());
    let server = start(Transport::Http, sink.clone(), MIB);
    let r = post(
        &server,
        "/v1/logs",
        "application/json",
        None,
        METRICS_JSON.as_bytes(),
    );
    assert_eq!(r.status, 400);
    let (code, message) = r.json_status();
    assert_eq!(code, 3);
    assert!(
        message.contains("holds metrics") && message.contains("post it to /v1/metrics"),
        "{message}"
    );
    let r = post(
        &server,
        "/v1/metrics",
        "application/json",
        None,
        TRACES_JSON.as_bytes(),
    );
    assert_eq!(r.status, 400);
    assert!(r.json_status().1.contains("post it to /v1/traces"));
    let r = post(
        &server,
        "/v1/metrics",
        "application/x-protobuf",
        None,
        &logs_request().encode_to_vec(),
    );
    assert_eq!(r.status, 400);
    let st = r.rpc_status();
    assert!(st.message.contains("post it to /v1/logs"), "{}", st.message);
    sink.wait_rejected(3);
    assert!(sink.accepted().is_empty());
    // An empty request is still a valid (empty) export.
    let r = post(&server, "/v1/logs", "application/json", None, b"{}");
    assert_eq!(r.status, 200);
    server.stop();
}

#[test]
fn http_client_disconnecting_mid_body_is_harmless() {
    let sink = Arc::new(Recorder::default());
    let server = start(Transport::Http, sink.clone(), MIB);
    let body = metrics_request("partial").encode_to_vec();
    {
        let mut s = TcpStream::connect(server.addr).unwrap();
        write!(
            s,
            "POST /v1/metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-protobuf\r\nContent-Length: {}\r\n\r\n",
            body.len() + 1000
        )
        .unwrap();
        s.write_all(&body).unwrap();
        s.flush().unwrap();
        // Dropping the stream closes it with the body 1000 bytes short.
    }
    sink.wait_rejected(1);
    assert!(
        sink.last_rejection()
            .1
            .contains("reading the request body failed")
    );
    assert!(sink.accepted().is_empty());
    assert_still_serving(&server, &sink);
    server.stop();
}

#[test]
fn http_shutdown_drains_in_flight_request() {
    let (entered_tx, entered_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel();
    let sink = Arc::new(Gate {
        inner: Recorder::default(),
        entered: Mutex::new(entered_tx),
        release: Mutex::new(release_rx),
    });
    let mut server = start(Transport::Http, sink.clone(), MIB);
    let url = server.url("/v1/logs");
    let client = std::thread::spawn(move || {
        let resp = agent()
            .post(url)
            .header("Content-Type", "application/x-protobuf")
            .send(&logs_request().encode_to_vec()[..])
            .expect("HTTP exchange");
        reply(resp).status
    });
    entered_rx
        .recv_timeout(WAIT)
        .expect("request reached the sink");
    server.signal_stop();
    // The request is still in flight, so the server must not have finished.
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        !server.finished(),
        "server returned with a request in flight"
    );
    release_tx.send(()).unwrap();
    assert_eq!(client.join().unwrap(), 200);
    server.stop();
    assert_eq!(
        sink.inner.accepted(),
        vec![OtlpRequest::Logs(logs_request())]
    );
}

#[test]
fn http_port_stops_listening_after_shutdown() {
    let sink = Arc::new(Recorder::default());
    let server = start(Transport::Http, sink.clone(), MIB);
    let addr = server.addr;
    server.stop();
    assert!(
        TcpStream::connect(addr).is_err(),
        "listener closed after serve returned"
    );
}

// ---------------------------------------------------------------------------------------------
// gRPC

fn grpc_endpoint(server: &Running) -> String {
    format!("http://{}", server.addr)
}

#[test]
fn grpc_plain_and_gzip_each_signal_reach_sink_exactly() {
    let sink = Arc::new(Recorder::default());
    let server = start(Transport::Grpc, sink.clone(), MIB);
    let endpoint = grpc_endpoint(&server);
    client_rt().block_on(async {
        let mut metrics = MetricsServiceClient::connect(endpoint.clone())
            .await
            .unwrap();
        let resp = metrics
            .export(metrics_request("plain"))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(resp.partial_success, None);
        let mut metrics = metrics.send_compressed(CompressionEncoding::Gzip);
        metrics.export(metrics_request("gzip")).await.unwrap();

        let mut traces = TraceServiceClient::connect(endpoint.clone()).await.unwrap();
        traces.export(traces_request()).await.unwrap();
        let mut traces = traces.send_compressed(CompressionEncoding::Gzip);
        traces.export(traces_request()).await.unwrap();

        let mut logs = LogsServiceClient::connect(endpoint.clone()).await.unwrap();
        logs.export(logs_request()).await.unwrap();
        let mut logs = logs.send_compressed(CompressionEncoding::Gzip);
        logs.export(logs_request()).await.unwrap();
    });
    assert_eq!(
        sink.accepted(),
        vec![
            OtlpRequest::Metrics(metrics_request("plain")),
            OtlpRequest::Metrics(metrics_request("gzip")),
            OtlpRequest::Traces(traces_request()),
            OtlpRequest::Traces(traces_request()),
            OtlpRequest::Logs(logs_request()),
            OtlpRequest::Logs(logs_request()),
        ]
    );
    assert_eq!(sink.rejected_count(), 0);
    server.stop();
}

#[test]
fn grpc_sink_stopping_is_unavailable_and_not_a_rejection() {
    let sink = Arc::new(Recorder::default());
    sink.stopping.store(true, Ordering::SeqCst);
    let server = start(Transport::Grpc, sink.clone(), MIB);
    let endpoint = grpc_endpoint(&server);
    let status = client_rt().block_on(async {
        let mut c = LogsServiceClient::connect(endpoint).await.unwrap();
        c.export(logs_request()).await.unwrap_err()
    });
    assert_eq!(status.code(), tonic::Code::Unavailable);
    assert!(status.message().contains("stopping"));
    // Give a wrongly counted rejection time to show up before asserting there is none.
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(sink.rejected_count(), 0);
    server.stop();
}

async fn grpc_raw(endpoint: &str, path: &'static str, body: Vec<u8>) -> tonic::Status {
    grpc_raw::call(endpoint, path, body.into(), &[])
        .await
        .expect_err("server refuses the message")
}

const METRICS_EXPORT: &str = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";

#[test]
fn grpc_bad_messages_are_refused_and_counted() {
    let sink = Arc::new(Recorder::default());
    let server = start(Transport::Grpc, sink.clone(), MIB);
    let endpoint = grpc_endpoint(&server);
    let rt = client_rt();

    let random = pseudo_random(4096, 0x5eed);
    assert!(ExportMetricsServiceRequest::decode(&random[..]).is_err());
    let st = rt.block_on(grpc_raw(&endpoint, METRICS_EXPORT, random));
    assert_eq!(st.code(), tonic::Code::Internal);
    assert!(!st.message().is_empty());
    sink.wait_rejected(1);
    let (transport, reason) = sink.last_rejection();
    assert_eq!(transport, "grpc");
    assert!(reason.starts_with("Internal: "), "{reason}");

    let full = metrics_request("truncated").encode_to_vec();
    let cut = full[..full.len() / 2].to_vec();
    assert!(ExportMetricsServiceRequest::decode(&cut[..]).is_err());
    let st = rt.block_on(grpc_raw(&endpoint, METRICS_EXPORT, cut));
    assert_eq!(st.code(), tonic::Code::Internal);
    sink.wait_rejected(2);

    let st = rt.block_on(grpc_raw(
        &endpoint,
        "/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export",
        Vec::new(),
    ));
    assert_eq!(st.code(), tonic::Code::Unimplemented);
    sink.wait_rejected(3);

    // Still serving.
    taken_exactly(&rt, &endpoint, &sink, "after");
    // An idle client runtime never answers the server's GOAWAY ping, which would hold the
    // drain until its timeout; the clients go first, as real ones would close their channels.
    drop(rt);
    server.stop();
}

/// The HPACK headers of a metrics export call, sent by hand.
fn export_headers() -> Vec<u8> {
    hpack_literals(&[
        (":method", "POST"),
        (":scheme", "http"),
        (":path", METRICS_EXPORT),
        (":authority", "127.0.0.1"),
        ("content-type", "application/grpc"),
        ("te", "trailers"),
    ])
}

/// A gRPC length-prefixed message with this compressed flag.
fn grpc_message(flag: u8, message: &[u8]) -> Vec<u8> {
    let mut out = vec![flag];
    out.extend_from_slice(&u32::try_from(message.len()).unwrap().to_be_bytes());
    out.extend_from_slice(message);
    out
}

/// Exports `id` as a real client does; it must be the one request the receiver took.
fn taken_exactly(rt: &tokio::runtime::Runtime, endpoint: &str, sink: &Recorder, id: &str) {
    rt.block_on(async {
        let mut c = MetricsServiceClient::connect(endpoint.to_string())
            .await
            .unwrap();
        c.export(metrics_request(id)).await.unwrap();
    });
    assert_eq!(
        sink.accepted(),
        vec![OtlpRequest::Metrics(metrics_request(id))]
    );
}

/// The receiver decodes a whole message itself before tonic sees the call (`grpc::admit`); tonic
/// still checks the call's headers and flag byte first, so what it refuses is never taken.
#[test]
fn grpc_calls_tonic_refuses_are_not_taken_though_their_message_decodes() {
    let sink = Arc::new(Recorder::default());
    let server = start(Transport::Grpc, sink.clone(), MIB);
    let endpoint = grpc_endpoint(&server);
    let rt = client_rt();
    let message = metrics_request("refused").encode_to_vec();

    // A plain message under an encoding this receiver does not accept: UNIMPLEMENTED.
    let st = rt
        .block_on(grpc_raw::call(
            &endpoint,
            METRICS_EXPORT,
            message.clone().into(),
            &[("grpc-encoding", "zstd")],
        ))
        .expect_err("server refuses the encoding");
    assert_eq!(st.code(), tonic::Code::Unimplemented, "{st:?}");
    sink.wait_rejected(1);
    assert!(sink.last_rejection().1.starts_with("Unimplemented: "));

    // The same message with an invalid compressed flag (2): INTERNAL, by hand-made frames
    // (a client never sends that flag).
    let headers = export_headers();
    let flagged = grpc_message(2, &message);
    let mut raw = TcpStream::connect(server.addr).unwrap();
    raw.write_all(H2_PREFACE).unwrap();
    raw.write_all(&h2_frame(1, 0x4, 1, &headers)).unwrap();
    raw.write_all(&h2_frame(0, 0x1, 1, &flagged)).unwrap();
    sink.wait_rejected(2);
    let (transport, reason) = sink.last_rejection();
    assert_eq!(transport, "grpc");
    assert!(reason.starts_with("Internal: "), "{reason}");
    drop(raw);

    assert!(sink.accepted().is_empty(), "a refused call was taken");
    // The same message, sent properly, is taken exactly.
    taken_exactly(&rt, &endpoint, &sink, "refused");
    drop(rt);
    server.stop();
}

#[test]
fn grpc_oversize_and_gzip_bomb_are_refused() {
    let sink = Arc::new(Recorder::default());
    let server = start(Transport::Grpc, sink.clone(), MIB);
    let endpoint = grpc_endpoint(&server);
    client_rt().block_on(async {
        let mut plain = MetricsServiceClient::connect(endpoint.clone())
            .await
            .unwrap();
        let over = metrics_request(&"d".repeat(2 * MIB));
        let st = plain.export(over).await.unwrap_err();
        assert_eq!(st.code(), tonic::Code::OutOfRange);
        assert!(st.message().contains("too large"), "{}", st.message());
        sink.wait_rejected(1);

        // 16 MiB of one letter gzips to a few KiB, well under the limit on the wire; inflating
        // it must stop at the limit.
        let mut gz = plain.clone().send_compressed(CompressionEncoding::Gzip);
        let bomb = metrics_request(&"a".repeat(16 * MIB));
        let st = gz.export(bomb).await.unwrap_err();
        assert_eq!(st.code(), tonic::Code::ResourceExhausted);
        assert!(st.message().contains("size limit"), "{}", st.message());
        sink.wait_rejected(2);
        assert!(sink.last_rejection().1.starts_with("ResourceExhausted: "));

        plain.export(metrics_request("after")).await.unwrap();
    });
    assert_eq!(
        sink.accepted(),
        vec![OtlpRequest::Metrics(metrics_request("after"))]
    );
    server.stop();
}

#[test]
fn grpc_shutdown_drains_in_flight_call() {
    let (entered_tx, entered_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel();
    let sink = Arc::new(Gate {
        inner: Recorder::default(),
        entered: Mutex::new(entered_tx),
        release: Mutex::new(release_rx),
    });
    let mut server = start(Transport::Grpc, sink.clone(), MIB);
    let endpoint = grpc_endpoint(&server);
    let client = std::thread::spawn(move || {
        client_rt().block_on(async {
            let mut c = TraceServiceClient::connect(endpoint).await.unwrap();
            c.export(traces_request()).await.map(|_| ())
        })
    });
    entered_rx
        .recv_timeout(WAIT)
        .expect("call reached the sink");
    server.signal_stop();
    std::thread::sleep(Duration::from_millis(200));
    assert!(!server.finished(), "server returned with a call in flight");
    release_tx.send(()).unwrap();
    client.join().unwrap().expect("in-flight call acknowledged");
    server.stop();
    assert_eq!(
        sink.inner.accepted(),
        vec![OtlpRequest::Traces(traces_request())]
    );
}

/// The HTTP/2 client preface and an empty SETTINGS frame: what a gRPC client sends first.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00";

/// An HTTP/2 frame header followed by its payload.
fn h2_frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len()).unwrap();
    let mut out = len.to_be_bytes()[1..].to_vec();
    out.extend_from_slice(&[kind, flags]);
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// HPACK "literal header field without indexing, new name" for each pair (short strings only).
fn hpack_literals(headers: &[(&str, &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in headers {
        out.push(0);
        out.push(u8::try_from(name.len()).unwrap());
        out.extend_from_slice(name.as_bytes());
        out.push(u8::try_from(value.len()).unwrap());
        out.extend_from_slice(value.as_bytes());
    }
    out
}

#[test]
fn grpc_connections_over_the_limit_are_refused_with_unavailable() {
    let sink = Arc::new(Recorder::default());
    let cfg = ReceiverConfig {
        max_body: MIB,
        max_connections: 2,
        // Longer than the test, so the held connections are not closed as idle meanwhile.
        conn_timeout: Duration::from_secs(60),
        ..ReceiverConfig::default()
    };
    let server = start_with(Transport::Grpc, sink.clone(), cfg);
    let endpoint = grpc_endpoint(&server);
    let held: Vec<TcpStream> = (0..2)
        .map(|_| TcpStream::connect(server.addr).unwrap())
        .collect();
    // Accepting is asynchronous: give the receiver a moment to take the two.
    std::thread::sleep(Duration::from_millis(200));
    let rt = client_rt();
    let status = rt.block_on(async {
        let mut c = MetricsServiceClient::connect(endpoint.clone())
            .await
            .unwrap();
        c.export(metrics_request("over")).await.unwrap_err()
    });
    assert_eq!(status.code(), tonic::Code::Unavailable, "{status:?}");
    assert!(
        status
            .message()
            .contains("too many open connections (the limit is 2, --max-connections)"),
        "{}",
        status.message()
    );
    sink.wait_rejected(1);
    assert_eq!(
        sink.last_rejection(),
        ("grpc", "too many connections".into())
    );
    assert!(sink.accepted().is_empty());
    drop(held);
    // Slots free up as connections close.
    let start = Instant::now();
    loop {
        let r = rt.block_on(async {
            let mut c = MetricsServiceClient::connect(endpoint.clone()).await?;
            c.export(metrics_request("after")).await?;
            Ok::<_, Box<dyn std::error::Error>>(())
        });
        if r.is_ok() {
            break;
        }
        assert!(start.elapsed() < WAIT, "no slot freed: {r:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        sink.accepted(),
        vec![OtlpRequest::Metrics(metrics_request("after"))]
    );
    drop(rt);
    server.stop();
}

#[test]
fn grpc_idle_and_stalled_connections_are_closed() {
    let sink = Arc::new(Recorder::default());
    let timeout = Duration::from_millis(500);
    let cfg = ReceiverConfig {
        max_body: MIB,
        conn_timeout: timeout,
        ..ReceiverConfig::default()
    };
    let server = start_with(Transport::Grpc, sink.clone(), cfg);
    // Nothing sent at all.
    let mut silent = TcpStream::connect(server.addr).unwrap();
    let t = Instant::now();
    let (_, closed) = read_until_closed(&mut silent, WAIT);
    assert!(closed, "silent connection still open after {WAIT:?}");
    assert!(t.elapsed() >= timeout - Duration::from_millis(100));
    // An HTTP/2 connection set up and then left without a call: the server says GOAWAY.
    let mut idle = TcpStream::connect(server.addr).unwrap();
    idle.write_all(H2_PREFACE).unwrap();
    let t = Instant::now();
    let (reply, closed) = read_until_closed(&mut idle, WAIT);
    assert!(closed, "idle connection still open after {WAIT:?}");
    assert!(t.elapsed() >= timeout - Duration::from_millis(100));
    // A GOAWAY frame (type 7) with no error (code 0) is among what the server sent.
    assert!(
        reply
            .windows(4)
            .any(|w| w[0] == 7 && w[1] == 0 && w[2] == 0 && w[3] == 0),
        "no GOAWAY in {reply:?}"
    );
    // The same hand-made frames, completed, make a call the server takes: so the stall
    // below is a stall, not frames the server refused.
    let headers = export_headers();
    let message = metrics_request("raw").encode_to_vec();
    let whole = grpc_message(0, &message);
    let mut complete = TcpStream::connect(server.addr).unwrap();
    complete.write_all(H2_PREFACE).unwrap();
    complete.write_all(&h2_frame(1, 0x4, 1, &headers)).unwrap();
    complete.write_all(&h2_frame(0, 0x1, 1, &whole)).unwrap();
    let start = Instant::now();
    while sink.accepted().is_empty() && start.elapsed() < WAIT {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(
        sink.accepted(),
        vec![OtlpRequest::Metrics(metrics_request("raw"))]
    );
    drop(complete);
    // A call whose body stops arriving (5 bytes of a 1,000-byte message).
    let mut stalled = TcpStream::connect(server.addr).unwrap();
    stalled.write_all(H2_PREFACE).unwrap();
    stalled.write_all(&h2_frame(1, 0x4, 1, &headers)).unwrap();
    let mut data = vec![0u8];
    data.extend_from_slice(&1000u32.to_be_bytes());
    data.extend_from_slice(b"\x0a\x03abc");
    stalled.write_all(&h2_frame(0, 0, 1, &data)).unwrap();
    let t = Instant::now();
    let (_, closed) = read_until_closed(&mut stalled, WAIT);
    assert!(closed, "stalled call still open after {WAIT:?}");
    assert!(t.elapsed() >= timeout - Duration::from_millis(100));
    assert_eq!(sink.accepted().len(), 1, "the stalled call was not taken");
    // A well-behaved client still gets through.
    let rt = client_rt();
    rt.block_on(async {
        let mut c = MetricsServiceClient::connect(grpc_endpoint(&server))
            .await
            .unwrap();
        c.export(metrics_request("after")).await.unwrap();
    });
    assert_eq!(
        sink.accepted(),
        vec![
            OtlpRequest::Metrics(metrics_request("raw")),
            OtlpRequest::Metrics(metrics_request("after"))
        ]
    );
    drop(rt);
    server.stop();
}

#[test]
fn grpc_time_in_the_sink_does_not_count_as_idle() {
    let (entered_tx, entered_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel();
    let sink = Arc::new(Gate {
        inner: Recorder::default(),
        entered: Mutex::new(entered_tx),
        release: Mutex::new(release_rx),
    });
    let timeout = Duration::from_millis(300);
    let cfg = ReceiverConfig {
        max_body: MIB,
        conn_timeout: timeout,
        ..ReceiverConfig::default()
    };
    let server = start_with(Transport::Grpc, sink.clone(), cfg);
    let endpoint = grpc_endpoint(&server);
    let client = std::thread::spawn(move || {
        client_rt().block_on(async {
            let mut c = TraceServiceClient::connect(endpoint).await.unwrap();
            c.export(traces_request()).await.map(|_| ())
        })
    });
    entered_rx
        .recv_timeout(WAIT)
        .expect("call reached the sink");
    // Analysis taking several timeouts: the connection must stay for the acknowledgement.
    std::thread::sleep(timeout * 4);
    release_tx.send(()).unwrap();
    client
        .join()
        .unwrap()
        .expect("acknowledged after a long analysis");
    assert_eq!(
        sink.inner.accepted(),
        vec![OtlpRequest::Traces(traces_request())]
    );
    server.stop();
}

// ---------------------------------------------------------------------------------------------
// Requests in flight under one byte budget

/// A metrics request of about `bytes` encoded bytes (one metric's description carries the bulk).
fn sized_request(tag: &str, bytes: usize) -> ExportMetricsServiceRequest {
    metrics_request(&format!("{tag}:{}", "x".repeat(bytes)))
}

/// Sends `req` over `transport` (gzip-compressed when `gz`), returning whether it was
/// acknowledged.
fn send_one(
    transport: Transport,
    addr: SocketAddr,
    req: ExportMetricsServiceRequest,
    gz: bool,
) -> bool {
    match transport {
        Transport::Http => {
            let body = req.encode_to_vec();
            let mut r = agent()
                .post(format!("http://{addr}/v1/metrics"))
                .header("Content-Type", "application/x-protobuf");
            let body = if gz {
                r = r.header("Content-Encoding", "gzip");
                gzip(&body)
            } else {
                body
            };
            reply(r.send(&body[..]).expect("HTTP exchange")).status == 200
        }
        Transport::Grpc => client_rt().block_on(async move {
            let mut c = MetricsServiceClient::connect(format!("http://{addr}"))
                .await
                .unwrap();
            if gz {
                c = c.send_compressed(CompressionEncoding::Gzip);
            }
            c.export(req).await.is_ok()
        }),
    }
}

/// A receiver whose requests in flight are held under `bytes`, with a handle on its pools.
fn start_budgeted(
    transport: Transport,
    sink: Arc<dyn Sink>,
    bytes: usize,
) -> (Running, otelsnap::otlp::inflight::InFlight) {
    let in_flight = otelsnap::otlp::inflight::InFlight::new(bytes as u64);
    let cfg = ReceiverConfig {
        max_body: MIB,
        in_flight: in_flight.clone(),
        ..ReceiverConfig::default()
    };
    (start_with(transport, sink, cfg), in_flight)
}

/// A request that does not fit beside one in the sink waits for it, on both transports,
/// compressed or not: it is neither refused nor decoded meanwhile, and both are acknowledged.
#[test]
fn a_request_over_the_in_flight_budget_waits_for_room_and_is_acknowledged() {
    const SIZE: usize = 64 * 1024;
    for transport in [Transport::Http, Transport::Grpc] {
        for gz in [false, true] {
            let (entered_tx, entered_rx) = mpsc::channel();
            let (release_tx, release_rx) = mpsc::channel();
            let sink = Arc::new(Gate {
                inner: Recorder::default(),
                entered: Mutex::new(entered_tx),
                release: Mutex::new(release_rx),
            });
            // Each pool is smaller than one request's decoding charge (6x its bytes and 4 KiB)
            // and holds two bodies: the second is read, then waits to be decoded.
            let (server, in_flight) = start_budgeted(transport, sink.clone(), 2 * 5 * SIZE);
            let addr = server.addr;
            let first =
                std::thread::spawn(move || send_one(transport, addr, sized_request("a", SIZE), gz));
            entered_rx
                .recv_timeout(WAIT)
                .expect("the first reached the sink");
            let second =
                std::thread::spawn(move || send_one(transport, addr, sized_request("b", SIZE), gz));
            assert!(
                entered_rx.recv_timeout(Duration::from_millis(500)).is_err(),
                "the second request was decoded beside the first, past the budget"
            );
            assert!(
                !second.is_finished(),
                "the second request was answered instead of waiting"
            );
            release_tx.send(()).unwrap();
            entered_rx
                .recv_timeout(WAIT)
                .expect("the second proceeds once the first is done");
            release_tx.send(()).unwrap();
            assert!(
                first.join().unwrap() && second.join().unwrap(),
                "both acknowledged"
            );
            server.stop();
            assert_eq!(sink.inner.accepted().len(), 2);
            assert_eq!(sink.inner.rejected_count(), 0);
            let whole = in_flight.pool_kib() as usize;
            assert_eq!(
                in_flight.free_kib(),
                (whole, whole),
                "every reservation returned"
            );
        }
    }
}

/// Many senders at once against a budget of a few requests: every request is acknowledged
/// and recorded exactly, on both transports, with gzip and without.
#[test]
fn many_senders_under_a_small_in_flight_budget_lose_nothing() {
    const SIZE: usize = 32 * 1024;
    const SENDERS: usize = 6;
    const EACH: usize = 4;
    for transport in [Transport::Http, Transport::Grpc] {
        let sink = Arc::new(Recorder::default());
        let (server, in_flight) = start_budgeted(transport, sink.clone(), 2 * 6 * SIZE);
        let addr = server.addr;
        let senders: Vec<_> = (0..SENDERS)
            .map(|s| {
                std::thread::spawn(move || {
                    (0..EACH)
                        .filter(|i| {
                            send_one(
                                transport,
                                addr,
                                sized_request(&format!("{s}-{i}"), SIZE),
                                i % 2 == 0,
                            )
                        })
                        .count()
                })
            })
            .collect();
        let acknowledged: usize = senders.into_iter().map(|t| t.join().unwrap()).sum();
        server.stop();
        assert_eq!(acknowledged, SENDERS * EACH);
        let mut got: Vec<String> = sink
            .accepted()
            .into_iter()
            .map(|r| match r {
                OtlpRequest::Metrics(m) => m.resource_metrics[0].scope_metrics[0].metrics[0]
                    .description
                    .split(':')
                    .next()
                    .unwrap()
                    .to_string(),
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        got.sort();
        let mut want: Vec<String> = (0..SENDERS)
            .flat_map(|s| (0..EACH).map(move |i| format!("{s}-{i}")))
            .collect();
        want.sort();
        assert_eq!(got, want);
        let whole = in_flight.pool_kib() as usize;
        assert_eq!(in_flight.free_kib(), (whole, whole));
    }
}
