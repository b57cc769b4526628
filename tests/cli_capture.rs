//! `otelsnap capture` end to end: the real binary, real OTLP over loopback (ports 0 and
//! --ready-file), every wait bounded in time.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

use otelsnap_testkit::grpc_raw;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::cargo_bin;
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_client::LogsServiceClient;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_client::MetricsServiceClient;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use otelsnap::session::{Limits, Session, SessionName, Store};
use otelsnap_testkit::otlp_json as json;
use otelsnap_testkit::testdata;
use prost::Message;

const WAIT: Duration = Duration::from_secs(60);

/// A running `otelsnap capture`.
struct Capture {
    child: Option<Child>,
    dir: tempfile::TempDir,
    name: String,
    grpc: Option<String>,
    http: Option<String>,
}

impl Capture {
    /// Starts a capture on free loopback ports and waits (bounded) for its ready file.
    fn start(name: &str, extra: &[&str]) -> Capture {
        Capture::start_in(tempfile::tempdir().unwrap(), &[], name, extra, &[])
    }

    /// [`Capture::start`] with the store under `dir`, global flags and environment variables.
    fn start_in(
        dir: tempfile::TempDir,
        global: &[&str],
        name: &str,
        extra: &[&str],
        env: &[(&str, &Path)],
    ) -> Capture {
        let ready = dir.path().join("ready.json");
        let mut cmd = Command::new(cargo_bin("otelsnap"));
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.arg("--dir")
            .arg(dir.path().join("sessions"))
            .args(global)
            .args([
                "capture",
                name,
                "--grpc",
                "127.0.0.1:0",
                "--http",
                "127.0.0.1:0",
            ])
            .arg("--ready-file")
            .arg(&ready)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(text) = std::fs::read_to_string(&ready)
                && let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
            {
                let addr = |k: &str| v[k].as_str().map(str::to_string);
                return Capture {
                    grpc: addr("grpc"),
                    http: addr("http"),
                    child: Some(child),
                    dir,
                    name: name.to_string(),
                };
            }
            if let Some(status) = child.try_wait().unwrap() {
                let out = child.wait_with_output().unwrap();
                panic!(
                    "capture exited early ({status}): {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            assert!(Instant::now() < deadline, "capture never became ready");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn http_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.http.as_deref().unwrap())
    }

    fn grpc_url(&self) -> String {
        format!("http://{}", self.grpc.as_deref().unwrap())
    }

    fn pid(&self) -> i32 {
        self.child.as_ref().unwrap().id() as i32
    }

    fn signal(&self, sig: i32) {
        // SAFETY: sending a signal to our own child process.
        assert_eq!(unsafe { libc::kill(self.pid(), sig) }, 0);
    }

    /// Waits (bounded) for the process to exit on its own.
    fn wait(&mut self) -> Output {
        let mut child = self.child.take().unwrap();
        let deadline = Instant::now() + WAIT;
        while child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                let out = child.wait_with_output().unwrap();
                panic!(
                    "capture did not stop in time: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        child.wait_with_output().unwrap()
    }

    fn stop(&mut self) -> Output {
        self.signal(libc::SIGINT);
        self.wait()
    }

    fn session(&self) -> Session {
        load(self.dir.path(), &self.name)
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn load(dir: &Path, name: &str) -> Session {
    let store = Store::new(Some(dir.join("sessions")), Limits::default());
    store.load(&SessionName::parse(name).unwrap()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn assert_ok(o: &Output, name: &str) {
    assert!(o.status.success(), "exit {:?}: {}", o.status, stderr(o));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), name);
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// POSTs and returns (status, body).
fn post(url: &str, content_type: &str, gzip: bool, body: &[u8]) -> (u16, Vec<u8>) {
    let mut req = agent().post(url).header("Content-Type", content_type);
    let payload = if gzip {
        req = req.header("Content-Encoding", "gzip");
        gz(body)
    } else {
        body.to_vec()
    };
    let mut resp = req.send(&payload[..]).unwrap();
    let status = resp.status().as_u16();
    let body = resp.body_mut().read_to_vec().unwrap_or_default();
    (status, body)
}

fn gz(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

fn metric<'a>(s: &'a Session, name: &str) -> &'a otelsnap::session::MetricMeta {
    s.data
        .metrics
        .iter()
        .find(|m| m.name == name)
        .unwrap_or_else(|| panic!("no metric {name}"))
}

fn names<T>(items: &[T], f: impl Fn(&T) -> &str) -> Vec<String> {
    let mut v: Vec<String> = items.iter().map(|i| f(i).to_string()).collect();
    v.sort();
    v
}

/// The checkout payloads' contents, as documented in `testdata`.
fn assert_checkout(s: &Session, metrics_requests: u64) {
    assert_eq!(
        names(&s.data.metrics, |m| &m.name),
        [
            "checkout.cart.items",
            "checkout.queue.delay",
            "http.server.request.count",
            "http.server.request.duration",
            "rpc.payment.latency"
        ]
    );
    let count = metric(s, "http.server.request.count");
    assert_eq!(
        count.label_keys.keys().collect::<Vec<_>>(),
        [
            "http.request.method",
            "http.response.status_code",
            "http.route"
        ]
    );
    assert_eq!(
        count.label_keys["http.request.method"].estimated_cardinality,
        2
    );
    assert_eq!(count.label_keys["http.route"].estimated_cardinality, 3);
    assert_eq!(count.active_series, 6);
    assert_eq!(count.data_point_count, 6 * metrics_requests);
    assert_eq!(
        metric(s, "checkout.cart.items").label_keys["cart.size"].estimated_cardinality,
        3
    );
    assert_eq!(
        names(&s.data.spans, |x| &x.name),
        [
            "GET /health",
            "POST /checkout",
            "SELECT orders",
            "publish order.created"
        ]
    );
    let info = s
        .data
        .logs
        .iter()
        .find(|l| l.severity == "INFO")
        .expect("INFO logs");
    assert_eq!(info.body_templates.len(), 1, "{:?}", info.body_templates);
    assert_eq!(
        info.body_templates[0].template,
        "User <*> logged in from <*>"
    );
    assert_eq!(info.body_templates[0].count, 2);
    assert!(s.stats.services.contains(&"checkout".to_string()));
}

// ---------------------------------------------------------------------------------------------
// Transports.

#[test]
fn http_protobuf_json_and_gzip_end_to_end() {
    let mut c = Capture::start("http-e2e", &["--description", "over http"]);
    let m = testdata::checkout_metrics();
    let url = c.http_url("/v1/metrics");
    let (st, body) = post(&url, "application/x-protobuf", false, &m.encode_to_vec());
    assert_eq!(st, 200);
    assert!(
        opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceResponse::decode(
            &body[..]
        )
        .is_ok()
    );
    let mj = json::encode_metrics(&m).to_string();
    assert_eq!(post(&url, "application/json", true, mj.as_bytes()).0, 200);
    let t = json::encode_traces(&testdata::checkout_traces()).to_string();
    let (st, body) = post(
        &c.http_url("/v1/traces"),
        "application/json",
        false,
        t.as_bytes(),
    );
    assert_eq!((st, body.as_slice()), (200, b"{}".as_slice()));
    let l = testdata::checkout_logs().encode_to_vec();
    assert_eq!(
        post(&c.http_url("/v1/logs"), "application/x-protobuf", true, &l).0,
        200
    );
    let out = c.stop();
    assert_ok(&out, "http-e2e");
    let s = c.session();
    assert_checkout(&s, 2);
    assert_eq!(s.description, "over http");
    let cap = s.capture.as_ref().unwrap();
    assert_eq!((cap.requests, cap.rejected, cap.dropped), (4, 0, 0));
    assert_eq!(cap.sources.len(), 2);
    assert!(
        cap.sources
            .iter()
            .any(|x| x.starts_with("http://127.0.0.1:"))
    );
    assert!(cap.started <= cap.ended);
    let err = stderr(&out);
    assert!(err.contains("listening grpc=127.0.0.1:"), "{err}");
    assert!(err.contains("4 accepted, 0 rejected"), "{err}");
}

#[test]
fn grpc_plain_and_gzip_end_to_end() {
    let mut c = Capture::start("grpc-e2e", &[]);
    let url = c.grpc_url();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut m = MetricsServiceClient::connect(url.clone()).await.unwrap();
        m.export(testdata::checkout_metrics()).await.unwrap();
        let mut mz = MetricsServiceClient::connect(url.clone())
            .await
            .unwrap()
            .send_compressed(tonic::codec::CompressionEncoding::Gzip);
        mz.export(testdata::checkout_metrics()).await.unwrap();
        let mut t = TraceServiceClient::connect(url.clone())
            .await
            .unwrap()
            .send_compressed(tonic::codec::CompressionEncoding::Gzip);
        t.export(testdata::checkout_traces()).await.unwrap();
        let mut l = LogsServiceClient::connect(url.clone()).await.unwrap();
        l.export(testdata::checkout_logs()).await.unwrap();
    });
    let out = c.stop();
    assert_ok(&out, "grpc-e2e");
    let s = c.session();
    assert_checkout(&s, 2);
    let cap = s.capture.unwrap();
    assert_eq!((cap.requests, cap.rejected), (4, 0));
    assert!(
        cap.sources
            .iter()
            .any(|x| x.starts_with("grpc://127.0.0.1:"))
    );
}

#[test]
fn sketches_within_two_percent_at_ten_thousand_values() {
    let mut c = Capture::start("hll", &["--no-grpc", "--max-requests", "10"]);
    assert!(c.grpc.is_none());
    let url = c.http_url("/v1/metrics");
    // 10 requests × 1,000 points, 10,000 distinct user ids in total.
    for r in 0..10 {
        let points = (0..1000)
            .map(|i| {
                vec![
                    testdata::kv_str("user_id", &format!("user-{}", r * 1000 + i)),
                    testdata::kv_str("region", ["eu", "us"][i % 2]),
                ]
            })
            .collect();
        let req = testdata::metrics_request(
            testdata::resource(Some("api"), vec![]),
            vec![testdata::gauge("api.active", "1", points)],
        );
        assert_eq!(
            post(&url, "application/x-protobuf", false, &req.encode_to_vec()).0,
            200
        );
    }
    let out = c.wait();
    assert_ok(&out, "hll");
    let s = c.session();
    let m = metric(&s, "api.active");
    let est = m.label_keys["user_id"].estimated_cardinality as f64;
    assert!((est - 10_000.0).abs() / 10_000.0 < 0.02, "user_id ~{est}");
    let series = m.active_series as f64;
    assert!(
        (series - 10_000.0).abs() / 10_000.0 < 0.02,
        "series ~{series}"
    );
    assert_eq!(m.label_keys["region"].estimated_cardinality, 2);
    assert_eq!(m.data_point_count, 10_000);
    let attr = s
        .data
        .attributes
        .iter()
        .find(|a| a.key == "user_id")
        .unwrap();
    let est = attr.estimated_cardinality as f64;
    assert!((est - 10_000.0).abs() / 10_000.0 < 0.02, "catalog ~{est}");
}

// ---------------------------------------------------------------------------------------------
// Bad input mid-capture.

fn raw_http(addr: &str, head_and_body: &[u8], close_early: bool) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(head_and_body).unwrap();
    if close_early {
        let _ = s.shutdown(std::net::Shutdown::Both);
        return String::new();
    }
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn bad_input_gets_its_status_and_the_capture_goes_on() {
    let mut c = Capture::start("bad-input", &["--max-body", "65536"]);
    let url = c.http_url("/v1/metrics");
    let good = testdata::checkout_metrics().encode_to_vec();
    assert_eq!(post(&url, "application/x-protobuf", false, &good).0, 200);

    let pb = "application/x-protobuf";
    let js = "application/json";
    let random: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    assert_eq!(post(&url, pb, false, &random).0, 400, "random bytes");
    assert_eq!(
        post(&url, pb, false, &good[..good.len() / 2]).0,
        400,
        "truncated"
    );
    let (st, body) = post(&url, js, false, b"{\"resourceMetrics\": [");
    assert_eq!(st, 400, "invalid JSON");
    assert!(String::from_utf8_lossy(&body).contains("message"));
    let mj = json::encode_metrics(&testdata::checkout_metrics()).to_string();
    assert_eq!(
        post(&url, pb, false, mj.as_bytes()).0,
        400,
        "JSON as protobuf"
    );
    assert_eq!(post(&url, js, false, &good).0, 400, "protobuf as JSON");
    assert_eq!(
        post(&url, "text/plain", false, &good).0,
        415,
        "content type"
    );
    assert_eq!(
        post(&c.http_url("/v1/nope"), pb, false, &good).0,
        404,
        "path"
    );
    let mut resp = agent().get(&url).call().unwrap();
    assert_eq!(resp.status().as_u16(), 405, "method");
    let _ = resp.body_mut().read_to_vec();
    assert_eq!(post(&url, pb, false, &vec![0u8; 70_000]).0, 413, "oversize");
    let bomb = {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(&vec![0u8; 32 * 1024 * 1024]).unwrap();
        e.finish().unwrap()
    };
    assert!(bomb.len() < 65536);
    let mut resp = agent()
        .post(&url)
        .header("Content-Type", pb)
        .header("Content-Encoding", "gzip")
        .send(&bomb[..])
        .unwrap();
    assert_eq!(resp.status().as_u16(), 413, "gzip bomb");
    let _ = resp.body_mut().read_to_vec();
    // A client that announces 1000 bytes, sends 10 and hangs up.
    let addr = c.http.clone().unwrap();
    raw_http(
        &addr,
        b"POST /v1/metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-protobuf\r\nContent-Length: 1000\r\n\r\n0123456789",
        true,
    );
    // gRPC: bytes that are not an ExportMetricsServiceRequest, then valid data.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let grpc_url = c.grpc_url();
    rt.block_on(async {
        let err = grpc_raw(&grpc_url, vec![0x0A, 0x05, 0xff, 0xff, 0xff, 0xff, 0xff])
            .await
            .unwrap_err();
        assert_ne!(err.code(), tonic::Code::Ok);
        let mut m = MetricsServiceClient::connect(grpc_url.clone())
            .await
            .unwrap();
        m.export(testdata::checkout_metrics()).await.unwrap();
    });
    let t = json::encode_traces(&testdata::checkout_traces()).to_string();
    assert_eq!(
        post(&c.http_url("/v1/traces"), js, false, t.as_bytes()).0,
        200
    );
    let l = testdata::checkout_logs().encode_to_vec();
    assert_eq!(post(&c.http_url("/v1/logs"), pb, false, &l).0, 200);

    let out = c.stop();
    assert_ok(&out, "bad-input");
    let s = c.session();
    assert_checkout(&s, 2);
    let cap = s.capture.unwrap();
    // 4 valid requests; 10 HTTP refusals and 1 gRPC one counted (the client that hung up
    // mid-body may or may not reach the receiver's counter).
    assert_eq!(cap.requests, 4);
    assert!(
        (11..=12).contains(&cap.rejected),
        "rejected {}: {}",
        cap.rejected,
        stderr(&out)
    );
}

/// Sends raw bytes as a gRPC metrics export.
async fn grpc_raw(url: &str, bytes: Vec<u8>) -> Result<(), tonic::Status> {
    grpc_raw::call(
        url,
        "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
        bytes.into(),
        &[],
    )
    .await
    .map(|_| ())
}

// ---------------------------------------------------------------------------------------------
// Stopping.

fn send_n_metrics(c: &Capture, n: u64) {
    let url = c.http_url("/v1/metrics");
    for _ in 0..n {
        let body = testdata::checkout_metrics().encode_to_vec();
        assert_eq!(post(&url, "application/x-protobuf", false, &body).0, 200);
    }
}

fn assert_n_requests(c: &Capture, n: u64) {
    let s = c.session();
    assert_eq!(s.capture.as_ref().unwrap().requests, n);
    assert_eq!(
        metric(&s, "http.server.request.count").data_point_count,
        6 * n
    );
}

#[test]
fn sigint_saves_everything_acknowledged() {
    let mut c = Capture::start("stop-int", &[]);
    send_n_metrics(&c, 7);
    c.signal(libc::SIGINT);
    let out = c.wait();
    assert_ok(&out, "stop-int");
    assert!(stderr(&out).contains("SIGINT received"), "{}", stderr(&out));
    assert_n_requests(&c, 7);
}

#[test]
fn sigterm_saves_everything_acknowledged() {
    let mut c = Capture::start("stop-term", &[]);
    send_n_metrics(&c, 5);
    c.signal(libc::SIGTERM);
    let out = c.wait();
    assert_ok(&out, "stop-term");
    assert!(stderr(&out).contains("SIGTERM received"));
    assert_n_requests(&c, 5);
}

#[test]
fn duration_stops_and_saves() {
    let mut c = Capture::start("stop-duration", &["--duration", "3s"]);
    send_n_metrics(&c, 3);
    let out = c.wait();
    assert_ok(&out, "stop-duration");
    assert!(
        stderr(&out).contains("--duration 3s reached"),
        "{}",
        stderr(&out)
    );
    assert_n_requests(&c, 3);
    let cap = c.session().capture.unwrap();
    assert!(cap.window_seconds().unwrap() >= 2.9, "{cap:?}");
}

#[test]
fn idle_timeout_stops_and_saves() {
    let mut c = Capture::start("stop-idle", &["--idle-timeout", "1500ms"]);
    send_n_metrics(&c, 4);
    let out = c.wait();
    assert_ok(&out, "stop-idle");
    assert!(stderr(&out).contains("--idle-timeout"), "{}", stderr(&out));
    assert_n_requests(&c, 4);
}

#[test]
fn max_requests_stops_and_refuses_more() {
    let mut c = Capture::start("stop-max", &["--max-requests", "5"]);
    send_n_metrics(&c, 5);
    // Whatever arrives after the 5th is refused (503) or finds the port closed.
    let body = testdata::checkout_metrics().encode_to_vec();
    let r = agent()
        .post(&c.http_url("/v1/metrics"))
        .header("Content-Type", "application/x-protobuf")
        .send(&body[..]);
    if let Ok(resp) = r {
        assert_ne!(resp.status().as_u16(), 200);
    }
    let out = c.wait();
    assert_ok(&out, "stop-max");
    assert!(stderr(&out).contains("5 requests received (--max-requests)"));
    assert_n_requests(&c, 5);
}

#[test]
fn second_interrupt_aborts_without_saving() {
    let mut c = Capture::start("abort", &[]);
    send_n_metrics(&c, 1);
    // A request in flight (headers sent, body incomplete) keeps the drain busy.
    let addr = c.http.clone().unwrap();
    let mut hold = TcpStream::connect(&addr).unwrap();
    hold.write_all(b"POST /v1/metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-protobuf\r\nContent-Length: 1000\r\n\r\n0123")
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    c.signal(libc::SIGINT);
    std::thread::sleep(Duration::from_millis(500));
    c.signal(libc::SIGINT);
    let out = c.wait();
    drop(hold);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("nothing saved"), "{}", stderr(&out));
    assert!(!c.dir.path().join("sessions/abort.json.gz").exists());
}

#[test]
fn one_sigterm_during_the_save_lets_it_finish() {
    // Docker, Kubernetes and `timeout` send exactly one SIGTERM; when it lands after another
    // stop condition, while requests are being finished and saved, the save must complete.
    let mut c = Capture::start("term-in-save", &["--max-requests", "2"]);
    send_n_metrics(&c, 1);
    // A request in flight (headers sent, body incomplete) keeps the stopping phase busy.
    let mut hold = TcpStream::connect(c.http.clone().unwrap()).unwrap();
    hold.write_all(b"POST /v1/metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-protobuf\r\nContent-Length: 1000\r\n\r\n0123")
        .unwrap();
    send_n_metrics(&c, 1);
    std::thread::sleep(Duration::from_millis(500));
    c.signal(libc::SIGTERM);
    std::thread::sleep(Duration::from_millis(300));
    drop(hold);
    let out = c.wait();
    assert_ok(&out, "term-in-save");
    let err = stderr(&out);
    assert!(
        err.contains("2 requests received (--max-requests)"),
        "{err}"
    );
    assert!(
        err.contains("SIGTERM received: finishing the save"),
        "{err}"
    );
    assert_n_requests(&c, 2);
}

#[test]
fn second_signal_in_the_save_says_what_is_lost() {
    let mut c = Capture::start("lost-count", &["--checkpoint", "0"]);
    send_n_metrics(&c, 3);
    let mut hold = TcpStream::connect(c.http.clone().unwrap()).unwrap();
    hold.write_all(b"POST /v1/metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-protobuf\r\nContent-Length: 1000\r\n\r\n0123")
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    c.signal(libc::SIGTERM);
    std::thread::sleep(Duration::from_millis(500));
    c.signal(libc::SIGTERM);
    let out = c.wait();
    drop(hold);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out)
            .contains("lost 3 acknowledged requests (42 data points, 0 spans, 0 log records)"),
        "{}",
        stderr(&out)
    );
}

/// The rescue file an error message names (`... rescue file PATH; run ...`).
fn rescue_path(err: &str) -> PathBuf {
    let after = err
        .split("rescue file ")
        .nth(1)
        .unwrap_or_else(|| panic!("no rescue file named: {err}"));
    PathBuf::from(after.split(';').next().unwrap())
}

/// `import PATH [args]` into the store under `dir`; returns the imported session.
fn import_rescue(dir: &Path, path: &Path, args: &[&str], name: &str) -> Session {
    let mut cmd = otelsnap(dir);
    cmd.arg("import").arg(path).args(args);
    let out = run_bounded(cmd);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    load(dir, name)
}

#[test]
fn a_save_over_the_size_limit_leaves_a_rescue_file_import_takes() {
    let dir = tempfile::tempdir().unwrap();
    let global = ["--max-session-size", "200"];
    let mut c = Capture::start_in(dir, &global, "too-big", &["--max-requests", "4"], &[]);
    send_n_metrics(&c, 4);
    let out = c.wait();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("session size limit"), "{err}");
    assert!(err.contains("--max-session-size BYTES"), "{err}");
    let path = rescue_path(&err);
    let sessions = c.dir.path().join("sessions");
    assert_eq!(path.parent(), Some(sessions.as_path()), "{err}");
    assert!(!sessions.join("too-big.json.gz").exists());
    // The rescue file is not a stored session; import takes it (under the default limit).
    let s = import_rescue(c.dir.path(), &path, &[], "too-big");
    assert_eq!(s.capture.as_ref().unwrap().requests, 4);
    assert_eq!(metric(&s, "http.server.request.count").data_point_count, 24);
}

#[test]
fn a_same_name_capture_that_finished_first_leaves_a_rescue_file() {
    let mut c = Capture::start("same-name", &[]);
    send_n_metrics(&c, 2);
    // Another capture of the same name finishes while this one runs.
    let mut other = otelsnap(c.dir.path());
    other
        .args(["capture", "same-name", "--from-file"])
        .arg(fixture("fixtures/otlp/checkout-v1.jsonl"));
    let o = run_bounded(other);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = c.stop();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("already exists"), "{err}");
    assert!(err.contains("--name OTHER-NAME"), "{err}");
    let path = rescue_path(&err);
    let s = import_rescue(
        c.dir.path(),
        &path,
        &["--name", "same-name-2"],
        "same-name-2",
    );
    assert_eq!(s.capture.as_ref().unwrap().requests, 2);
}

/// `n` gauges named `prefix-0`.. with one point each carrying `key=value`.
fn gauges(prefix: &str, n: usize, key: &str, value: &str) -> Vec<u8> {
    let metrics = (0..n)
        .map(|i| {
            testdata::gauge(
                &format!("{prefix}-{i}"),
                "1",
                vec![vec![testdata::kv_str(key, value)]],
            )
        })
        .collect();
    testdata::metrics_request(testdata::resource(Some("hostile"), vec![]), metrics).encode_to_vec()
}

#[test]
fn long_names_keys_and_values_are_stored_cut_with_a_marker_and_counted() {
    let mut c = Capture::start("long-strings", &["--max-requests", "3"]);
    let url = c.http_url("/v1/metrics");
    // Three requests of two distinct 1 MB metric names each, with a 100 KB key and value.
    let long_key = "k".repeat(100_000);
    let long_value = "v".repeat(100_000);
    for r in 0..3 {
        let body = gauges(
            &format!("{}{r}", "m".repeat(1_000_000)),
            2,
            &long_key,
            &long_value,
        );
        assert_eq!(post(&url, "application/x-protobuf", false, &body).0, 200);
    }
    let out = c.wait();
    assert_ok(&out, "long-strings");
    let s = c.session();
    let cap = s.capture.as_ref().unwrap();
    // Per metric: its name, its description (the test data's repeats the name), the key and
    // the value.
    assert_eq!(cap.truncated, 3 * 2 * 4);
    assert_eq!(s.data.metrics.len(), 6, "distinct long names stay distinct");
    for m in &s.data.metrics {
        assert!(m.name.len() <= 1024, "{}", m.name.len());
        assert!(
            m.name.contains("…[1000003 bytes #"),
            "{}",
            &m.name[m.name.len() - 40..]
        );
        let (k, ks) = m.label_keys.iter().next().unwrap();
        assert!(k.len() <= 1024 && k.contains("…[100000 bytes #"));
        assert!(ks.value_samples[0].len() <= 300);
    }
    assert!(cap.incomplete.is_none());
}

#[test]
fn past_the_memory_budget_new_items_are_dropped_counted_and_marked() {
    // A 4 MB budget; 40 requests of 500 new metrics each need far more.
    let mut c = Capture::start(
        "budget",
        &["--max-requests", "40", "--max-state-bytes", "4000000"],
    );
    let url = c.http_url("/v1/metrics");
    for r in 0..40 {
        let body = gauges(&format!("metric.{r}"), 500, "k", &format!("v{r}"));
        assert_eq!(post(&url, "application/x-protobuf", false, &body).0, 200);
    }
    let out = c.wait();
    assert_ok(&out, "budget");
    let err = stderr(&out);
    assert!(
        err.contains("reached its memory budget (3.8 MiB, --max-state-bytes)"),
        "{err}"
    );
    let s = c.session();
    let cap = s.capture.as_ref().unwrap();
    assert_eq!(cap.requests, 40);
    let kept = s.data.metrics.len() as u64;
    assert!(kept > 0 && kept < 20_000, "{kept}");
    // Every data point is either kept or counted as dropped: nothing vanishes silently.
    assert_eq!(kept + cap.dropped, 20_000);
    let why = cap.incomplete.as_deref().unwrap();
    assert!(
        why.contains("memory budget (3.8 MiB, --max-state-bytes) ran out"),
        "{why}"
    );
}

#[test]
fn with_checkpoints_the_state_takes_half_the_budget() {
    // The same input and budget, checkpoints off and on: a checkpoint copies the state, so with
    // them on the state may take only half the budget and fewer metrics are kept.
    let kept = |checkpoint: &str| {
        let mut c = Capture::start(
            &format!("half-{}", checkpoint.trim_end_matches('s')),
            &[
                "--max-requests",
                "40",
                "--max-state-bytes",
                "4000000",
                "--checkpoint",
                checkpoint,
            ],
        );
        let url = c.http_url("/v1/metrics");
        for r in 0..40 {
            let body = gauges(&format!("metric.{r}"), 500, "k", &format!("v{r}"));
            assert_eq!(post(&url, "application/x-protobuf", false, &body).0, 200);
        }
        let out = c.wait();
        let err = stderr(&out);
        let half = err.contains("the state takes at most half of it");
        let s = c.session();
        let cap = s.capture.as_ref().unwrap();
        let kept = s.data.metrics.len() as u64;
        assert_eq!(kept + cap.dropped, 20_000);
        (kept, half)
    };
    let (off, off_half) = kept("0");
    let (on, on_half) = kept("1h");
    assert!(!off_half && on_half);
    // Half the state budget keeps about half the metrics; allow for the state's fixed part.
    assert!(
        on < off * 3 / 4,
        "kept {on} with checkpoints, {off} without"
    );
    assert!(on > off / 4, "kept {on} with checkpoints, {off} without");
}

/// The checkpoint file of capture `name` in the store under `dir`.
fn checkpoint(dir: &Path, name: &str) -> PathBuf {
    dir.join("sessions")
        .join(format!(".{name}.checkpoint.json.gz"))
}

/// Waits (bounded) until the checkpoint of `name` holds `n` requests.
fn wait_checkpoint(dir: &Path, name: &str, n: u64) {
    let limits = Limits::default().read();
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(s) = otelsnap::session::store::read_file(&checkpoint(dir, name), &limits)
            && s.capture.as_ref().is_some_and(|c| c.requests == n)
        {
            return;
        }
        assert!(Instant::now() < deadline, "no checkpoint with {n} requests");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn sigkill_then_recover_loses_at_most_one_checkpoint_interval() {
    let interval = Duration::from_secs(1);
    let mut c = Capture::start("killed", &["--checkpoint", "1s"]);
    let url = c.http_url("/v1/metrics");
    let body = testdata::checkout_metrics().encode_to_vec();
    let start = Instant::now();
    let mut acked = Vec::new();
    while start.elapsed() < Duration::from_millis(3500) {
        assert_eq!(post(&url, "application/x-protobuf", false, &body).0, 200);
        acked.push(Instant::now());
        std::thread::sleep(Duration::from_millis(100));
    }
    c.signal(libc::SIGKILL);
    let killed = Instant::now();
    let _ = c.wait();
    let dir = c.dir.path();
    assert!(!dir.join("sessions/killed.json.gz").exists());
    let mut cmd = otelsnap(dir);
    cmd.args(["recover", "killed"]);
    let out = run_bounded(cmd);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        !checkpoint(dir, "killed").exists(),
        "recover removes the checkpoint"
    );
    let s = load(dir, "killed");
    let got = s.capture.as_ref().unwrap().requests;
    // Everything acknowledged more than one interval before the kill is in (with 500 ms for
    // the write itself on a loaded machine); nothing is invented.
    let must = acked
        .iter()
        .filter(|t| killed.duration_since(**t) > interval + Duration::from_millis(500))
        .count() as u64;
    assert!(
        got >= must && got <= acked.len() as u64,
        "recovered {got}, must {must}, sent {}",
        acked.len()
    );
    assert_eq!(
        metric(&s, "http.server.request.count").data_point_count,
        6 * got
    );
    // A second recover finds nothing.
    let mut cmd = otelsnap(dir);
    cmd.args(["recover", "killed", "--force"]);
    let out = run_bounded(cmd);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no checkpoint of a capture named 'killed'"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_next_capture_of_the_name_continues_its_checkpoint_and_a_save_removes_it() {
    let mut c = Capture::start("resumed", &["--checkpoint", "300ms"]);
    send_n_metrics(&c, 3);
    wait_checkpoint(c.dir.path(), "resumed", 3);
    c.signal(libc::SIGKILL);
    let _ = c.wait();
    let dir = std::mem::replace(&mut c.dir, tempfile::tempdir().unwrap());
    std::fs::remove_file(dir.path().join("ready.json")).unwrap();
    let mut again = Capture::start_in(dir, &[], "resumed", &["--checkpoint", "300ms"], &[]);
    send_n_metrics(&again, 2);
    let out = again.stop();
    assert_ok(&out, "resumed");
    assert!(
        stderr(&out).contains("resuming: an earlier capture of 'resumed' did not save"),
        "{}",
        stderr(&out)
    );
    assert_n_requests(&again, 5);
    assert!(!checkpoint(again.dir.path(), "resumed").exists());
    // The checkpoint never shows as a session.
    let mut cmd = otelsnap(again.dir.path());
    cmd.args(["list", "--format", "json"]);
    let out = run_bounded(cmd);
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.len(), 1);
}

/// Unmounts a tmpfs when dropped.
struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_at_save_time_leaves_a_rescue_file_in_the_temp_dir() {
    let dir = tempfile::tempdir().unwrap();
    let sessions = dir.path().join("sessions");
    std::fs::create_dir(&sessions).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=256k", "tmpfs"])
        .arg(&sessions)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!(
            "SKIPPED a_full_disk_at_save_time_leaves_a_rescue_file_in_the_temp_dir: cannot mount a tmpfs here (needs root); the injected-writer unit tests in session::store cover the same path"
        );
        return;
    }
    let _mount = Mount(sessions.clone());
    let tmp = tempfile::tempdir().unwrap();
    let mut c = Capture::start_in(dir, &[], "disk-full", &[], &[("TMPDIR", tmp.path())]);
    send_n_metrics(&c, 3);
    // The disk fills up while the capture runs (the check before listening passed).
    let mut filler = std::fs::File::create(sessions.join("filler")).unwrap();
    let block = vec![7u8; 4096];
    while filler.write_all(&block).is_ok() {}
    drop(filler);
    let out = c.stop();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    let path = rescue_path(&err);
    assert_eq!(path.parent(), Some(tmp.path()), "{err}");
    std::fs::remove_file(sessions.join("filler")).unwrap();
    let s = import_rescue(c.dir.path(), &path, &[], "disk-full");
    assert_eq!(s.capture.as_ref().unwrap().requests, 3);
}

// ---------------------------------------------------------------------------------------------
// Errors before listening, and empty captures.

fn otelsnap(dir: &Path) -> Command {
    let mut cmd = Command::new(cargo_bin("otelsnap"));
    cmd.arg("--dir").arg(dir.join("sessions"));
    cmd.stdin(Stdio::null());
    cmd
}

/// Runs to completion with a bounded wait (the command must not be listening forever).
fn run_bounded(mut cmd: Command) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + WAIT;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("command did not finish");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Starts `capture NAME` with both listeners; it must exit 2 naming `expect`, before it
/// listens or writes its ready file.
fn refused_before_listening(dir: &Path, name: &str, expect: &str) {
    let ready = dir.join("ready.json");
    let mut cmd = otelsnap(dir);
    cmd.args([
        "capture",
        name,
        "--http",
        "127.0.0.1:0",
        "--grpc",
        "127.0.0.1:0",
    ])
    .arg("--ready-file")
    .arg(&ready);
    let out = run_bounded(cmd);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains(expect), "{}", stderr(&out));
    assert!(!stderr(&out).contains("listening"));
    assert!(!ready.exists());
}

#[test]
fn a_ready_file_that_is_not_a_regular_file_is_refused_before_listening() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("ready.fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let mut cmd = otelsnap(dir.path());
    cmd.args([
        "capture",
        "rf",
        "--http",
        "127.0.0.1:0",
        "--grpc",
        "127.0.0.1:0",
    ])
    .arg("--ready-file")
    .arg(&fifo);
    let out = run_bounded(cmd);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("--ready-file: refusing to replace"), "{err}");
    assert!(err.contains("a FIFO"), "{err}");
    assert!(!err.contains("listening"), "{err}");
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
}

#[test]
fn bad_and_existing_names_are_refused_before_listening() {
    let dir = tempfile::tempdir().unwrap();
    refused_before_listening(dir.path(), "Bad Name", "bad-name");

    // Make a session, then try to capture over it.
    let f = dir.path().join("m.jsonl");
    std::fs::write(
        &f,
        json::encode_metrics(&testdata::checkout_metrics()).to_string(),
    )
    .unwrap();
    let mut cmd = otelsnap(dir.path());
    cmd.args(["capture", "taken", "--from-file"]).arg(&f);
    assert_ok(&run_bounded(cmd), "taken");
    refused_before_listening(dir.path(), "taken", "taken");
}

#[test]
fn port_in_use_names_the_port_and_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let mut cmd = otelsnap(dir.path());
    cmd.args(["capture", "busy", "--grpc", "127.0.0.1:0", "--http"])
        .arg(format!("127.0.0.1:{port}"));
    let out = run_bounded(cmd);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("port {port} is already in use")),
        "{err}"
    );
    assert!(err.contains("--http"), "{err}");
}

#[test]
fn no_receivers_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = otelsnap(dir.path());
    cmd.args(["capture", "none", "--no-grpc", "--no-http"]);
    let out = run_bounded(cmd);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--from-file"), "{}", stderr(&out));
}

#[test]
fn nothing_received_is_an_error_unless_allowed() {
    let mut c = Capture::start("empty", &["--duration", "300ms"]);
    let out = c.wait();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no telemetry received; nothing saved"));
    assert!(!c.dir.path().join("sessions/empty.json.gz").exists());

    let mut c = Capture::start("empty-ok", &["--duration", "300ms", "--allow-empty"]);
    let out = c.wait();
    assert_ok(&out, "empty-ok");
    let s = c.session();
    assert!(s.data.metrics.is_empty());
    assert_eq!(s.capture.unwrap().requests, 0);
}

#[test]
fn signals_and_services_filters() {
    let mut c = Capture::start(
        "filtered",
        &["--signals", "metrics,logs", "--services", "checkout"],
    );
    let url = c.http_url("/v1/metrics");
    let pb = "application/x-protobuf";
    let keep = testdata::checkout_metrics().encode_to_vec();
    let other = testdata::checkout_metrics_with("billing", 0).encode_to_vec();
    assert_eq!(post(&url, pb, false, &keep).0, 200);
    assert_eq!(post(&url, pb, false, &other).0, 200);
    let t = testdata::checkout_traces().encode_to_vec();
    assert_eq!(post(&c.http_url("/v1/traces"), pb, false, &t).0, 200);
    let out = c.stop();
    assert_ok(&out, "filtered");
    let s = c.session();
    assert!(s.data.spans.is_empty());
    assert_eq!(s.stats.services, ["checkout"]);
    assert_eq!(metric(&s, "http.server.request.count").data_point_count, 6);
}

// ---------------------------------------------------------------------------------------------
// --from-file.

fn fixture(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

#[test]
fn from_file_json_lines_fixture() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = otelsnap(dir.path());
    cmd.args(["capture", "from-jsonl", "--from-file"])
        .arg(fixture("fixtures/otlp/checkout-v1.jsonl"));
    let out = run_bounded(cmd);
    assert_ok(&out, "from-jsonl");
    let s = load(dir.path(), "from-jsonl");
    let lines = std::fs::read_to_string(fixture("fixtures/otlp/checkout-v1.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count() as u64;
    let cap = s.capture.as_ref().unwrap();
    assert_eq!((cap.requests, cap.rejected), (lines, 0));
    assert!(cap.sources[0].starts_with("file:"));
    // The fixture session was made by the same analyzer from the same lines.
    let want = otelsnap::session::store::read_file(
        &fixture("fixtures/checkout-v1.json.gz"),
        &Limits::default().read(),
    )
    .unwrap();
    assert_eq!(
        names(&s.data.metrics, |m| &m.name),
        names(&want.data.metrics, |m| &m.name)
    );
    assert_eq!(
        names(&s.data.spans, |m| &m.name),
        names(&want.data.spans, |m| &m.name)
    );
    for m in &want.data.metrics {
        let got = metric(&s, &m.name);
        assert_eq!(got.active_series, m.active_series, "{}", m.name);
        assert_eq!(got.data_point_count, m.data_point_count, "{}", m.name);
        assert_eq!(
            got.label_keys.keys().collect::<Vec<_>>(),
            m.label_keys.keys().collect::<Vec<_>>()
        );
    }
}

#[test]
fn from_file_gzip_stdin_pretty_protobuf_and_bad_lines() {
    let dir = tempfile::tempdir().unwrap();
    // A pretty-printed single request.
    let pretty = dir.path().join("traces.json");
    let v = json::encode_traces(&testdata::checkout_traces());
    std::fs::write(&pretty, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    // A binary protobuf request, gzipped.
    let proto = dir.path().join("logs.pb.gz");
    std::fs::write(&proto, gz(&testdata::checkout_logs().encode_to_vec())).unwrap();
    // JSON lines with two bad lines, given on stdin.
    let m = json::encode_metrics(&testdata::checkout_metrics()).to_string();
    let stdin = format!("{m}\nnot json\n{m}\n{{\"resourceMetrics\":[{{\"resource\":7}}]}}\n");
    let mut cmd = otelsnap(dir.path());
    cmd.args(["capture", "from-files", "--from-file"])
        .arg(&pretty)
        .arg("--from-file")
        .arg(&proto)
        .args(["--from-file", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_ok(&out, "from-files");
    let err = stderr(&out);
    assert!(err.contains("<stdin>:2: invalid JSON"), "{err}");
    assert!(err.contains("<stdin>:4:"), "{err}");
    let s = load(dir.path(), "from-files");
    assert_checkout(&s, 2);
    let cap = s.capture.unwrap();
    assert_eq!((cap.requests, cap.rejected), (4, 2));
    assert_eq!(cap.sources.len(), 3);
    assert_eq!(cap.sources[2], "file:-");
}

#[test]
fn from_file_gzipped_jsonl_fixture_and_protobuf_signal_flag() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = otelsnap(dir.path());
    cmd.args(["capture", "v2", "--from-file"])
        .arg(fixture("fixtures/otlp/checkout-v2.jsonl.gz"));
    let out = run_bounded(cmd);
    assert_ok(&out, "v2");
    let s = load(dir.path(), "v2");
    let want = otelsnap::session::store::read_file(
        &fixture("fixtures/checkout-v2.json.gz"),
        &Limits::default().read(),
    )
    .unwrap();
    for m in &want.data.metrics {
        assert_eq!(
            metric(&s, &m.name).active_series,
            m.active_series,
            "{}",
            m.name
        );
    }

    // An itemless protobuf request cannot tell its signal: error unless the flag says.
    let empty = dir.path().join("empty.pb");
    let req = ExportMetricsServiceRequest {
        resource_metrics: vec![Default::default()],
    };
    std::fs::write(&empty, req.encode_to_vec()).unwrap();
    let mut cmd = otelsnap(dir.path());
    cmd.args(["capture", "pb", "--from-file"]).arg(&empty);
    let out = run_bounded(cmd);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--from-file-signal"),
        "{}",
        stderr(&out)
    );
    let mut cmd = otelsnap(dir.path());
    cmd.args([
        "capture",
        "pb",
        "--allow-empty",
        "--from-file-signal",
        "metrics",
        "--from-file",
    ])
    .arg(&empty);
    let out = run_bounded(cmd);
    assert_ok(&out, "pb");
    assert_eq!(load(dir.path(), "pb").capture.unwrap().requests, 1);
}
