//! What per-second rates are per: the telemetry's own timestamps. The law: identical
//! telemetry compares equal however it was captured (from a file, a slow pipe, live over gRPC
//! or HTTP, stopped by duration, idle timeout, request count or signal, or merged with an
//! empty session). The real binary, loopback only, every wait bounded.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::cargo_bin;
use chrono::Duration as Days;
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_client::LogsServiceClient;
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_client::MetricsServiceClient;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use otelsnap::otlp::OtlpRequest;
use otelsnap::session::{Session, format};
use otelsnap_testkit::fixtures;
use proptest::prelude::*;
use prost::Message;

const WAIT: Duration = Duration::from_secs(60);

/// How one capture gets the telemetry.
#[derive(Debug, Clone, Copy)]
enum Via {
    File,
    SlowPipe,
    GrpcIdle,
    HttpDuration,
    HttpMaxRequests,
    GrpcSignal,
    FileMergedWithEmpty,
}

const PATHS: [Via; 7] = [
    Via::File,
    Via::SlowPipe,
    Via::GrpcIdle,
    Via::HttpDuration,
    Via::HttpMaxRequests,
    Via::GrpcSignal,
    Via::FileMergedWithEmpty,
];

fn otelsnap(store: &Path) -> Command {
    let mut c = Command::new(cargo_bin("otelsnap"));
    c.arg("--dir").arg(store);
    for var in ["OTELSNAP_DIR", "OTELSNAP_RULES", "NO_COLOR"] {
        c.env_remove(var);
    }
    c
}

/// Waits (bounded) for a child and returns its output.
fn wait(mut child: Child) -> Output {
    let deadline = Instant::now() + WAIT;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("otelsnap did not finish in time");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn ok(o: &Output, what: &str) {
    assert_eq!(
        o.status.code(),
        Some(0),
        "{what}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Starts a live capture on free loopback ports; returns the child and its addresses.
// The child is returned to the caller, which waits for it (bounded).
#[allow(clippy::zombie_processes)]
fn live(store: &Path, name: &str, extra: &[&str]) -> (Child, String, String) {
    let ready = store.with_extension(format!("{name}.ready"));
    let child = otelsnap(store)
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
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(text) = std::fs::read_to_string(&ready)
            && let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
        {
            let a = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            return (child, a("grpc"), a("http"));
        }
        if Instant::now() > deadline {
            let mut child = child;
            let _ = child.kill();
            let _ = child.wait();
            panic!("capture never became ready");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn send_grpc(addr: &str, reqs: &[OtlpRequest]) {
    let url = format!("http://{addr}");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut m = MetricsServiceClient::connect(url.clone()).await.unwrap();
        let mut t = TraceServiceClient::connect(url.clone()).await.unwrap();
        let mut l = LogsServiceClient::connect(url.clone()).await.unwrap();
        for r in reqs {
            match r {
                OtlpRequest::Metrics(x) => drop(m.export(x.clone()).await.unwrap()),
                OtlpRequest::Traces(x) => drop(t.export(x.clone()).await.unwrap()),
                OtlpRequest::Logs(x) => drop(l.export(x.clone()).await.unwrap()),
            }
        }
    });
}

fn send_http(addr: &str, reqs: &[OtlpRequest]) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    for r in reqs {
        let (path, body) = match r {
            OtlpRequest::Metrics(x) => ("metrics", x.encode_to_vec()),
            OtlpRequest::Traces(x) => ("traces", x.encode_to_vec()),
            OtlpRequest::Logs(x) => ("logs", x.encode_to_vec()),
        };
        let resp = agent
            .post(format!("http://{addr}/v1/{path}"))
            .header("Content-Type", "application/x-protobuf")
            .send(&body[..])
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
    }
}

/// Captures `reqs` into session `name` by `how`; returns the session argument for `diff`.
fn capture(store: &Path, name: &str, how: Via, reqs: &[OtlpRequest]) -> String {
    let file = store.with_extension(format!("{name}.jsonl"));
    std::fs::create_dir_all(store).unwrap();
    std::fs::write(&file, fixtures::jsonl(reqs)).unwrap();
    let n = reqs.len().to_string();
    match how {
        Via::File => {
            let o = otelsnap(store)
                .args(["capture", name, "--from-file"])
                .arg(&file)
                .output()
                .unwrap();
            ok(&o, "capture --from-file");
        }
        Via::FileMergedWithEmpty => {
            let part = format!("{name}-part");
            capture(store, &part, Via::File, reqs);
            let empty = store.with_extension(format!("{name}-empty.json"));
            let mut e = Session::new("empty");
            e.canonicalize();
            std::fs::write(&empty, format::to_json(&e, false)).unwrap();
            let o = otelsnap(store)
                .args(["merge", &part])
                .arg(&empty)
                .args(["--output", name])
                .output()
                .unwrap();
            ok(&o, "merge with an empty session");
        }
        Via::SlowPipe => {
            let mut child = otelsnap(store)
                .args(["capture", name, "--from-file", "-"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let mut stdin = child.stdin.take().unwrap();
            for line in fixtures::jsonl(reqs).split_inclusive(|b| *b == b'\n') {
                stdin.write_all(line).unwrap();
                stdin.flush().unwrap();
                std::thread::sleep(Duration::from_millis(15));
            }
            drop(stdin);
            ok(&wait(child), "capture from a slow pipe");
        }
        Via::GrpcIdle => {
            let (child, grpc, _) = live(store, name, &["--idle-timeout", "1500ms"]);
            send_grpc(&grpc, reqs);
            ok(&wait(child), "gRPC capture stopped by --idle-timeout");
        }
        Via::HttpDuration => {
            let (child, _, http) = live(store, name, &["--duration", "4s"]);
            send_http(&http, reqs);
            ok(&wait(child), "HTTP capture stopped by --duration");
        }
        Via::HttpMaxRequests => {
            let (child, _, http) = live(store, name, &["--max-requests", &n]);
            send_http(&http, reqs);
            ok(&wait(child), "HTTP capture stopped by --max-requests");
        }
        Via::GrpcSignal => {
            let (child, grpc, _) = live(store, name, &[]);
            send_grpc(&grpc, reqs);
            // Idle a while before the signal: the wait must not count.
            std::thread::sleep(Duration::from_millis(700));
            // SAFETY: a signal to our own child process.
            assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
            ok(&wait(child), "gRPC capture stopped by SIGTERM");
        }
    }
    name.to_string()
}

/// `diff a b --format json`: exit code and the number of changes at any severity.
fn diff(store: &Path, a: &str, b: &str) -> (i32, usize, String) {
    let o = otelsnap(store)
        .args(["diff", a, b, "--format", "json", "--min-severity", "info"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&o.stderr)));
    let changes = v["changes"].as_array().map_or(usize::MAX, Vec::len);
    (
        o.status.code().unwrap_or(-1),
        changes,
        serde_json::to_string_pretty(&v["changes"]).unwrap_or_default(),
    )
}

fn load(store: &Path, name: &str) -> Session {
    let bytes = std::fs::read(store.join(format!("{name}.json.gz"))).unwrap();
    format::decode(&bytes, &format::ReadLimits::default(), name).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, failure_persistence: None, ..ProptestConfig::default() })]

    /// Identical telemetry, any two capture paths: `diff` reports no change at all.
    #[test]
    fn identical_telemetry_compares_equal_however_captured(
        a in 0..PATHS.len(),
        b in 0..PATHS.len(),
        rounds in 2usize..=6,
        v2 in any::<bool>(),
    ) {
        let all = fixtures::requests(v2);
        let reqs = &all[..all.len() / 6 * rounds];
        let tmp = tempfile::tempdir().unwrap();
        let store = tmp.path().join("store");
        let x = capture(&store, "x", PATHS[a], reqs);
        let y = capture(&store, "y", PATHS[b], reqs);
        let (code, changes, text) = diff(&store, &x, &y);
        prop_assert_eq!((code, changes), (0, 0), "{:?} vs {:?}: {}", PATHS[a], PATHS[b], text);
        // Both observed the telemetry's own time: (rounds - 1) export intervals of 10 s.
        for name in [&x, &y] {
            let o = load(&store, name).observed.unwrap();
            prop_assert_eq!(o.basis.as_str(), "telemetry");
            prop_assert!((o.seconds() - 10.0 * (rounds as f64 - 1.0)).abs() < 0.01, "{:?}", o);
        }
    }
}

#[test]
fn the_idle_wait_and_a_slow_pipe_are_not_observed_time() {
    let reqs = fixtures::requests(false);
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    capture(&store, "idle", Via::GrpcIdle, &reqs);
    capture(&store, "pipe", Via::SlowPipe, &reqs);
    for name in ["idle", "pipe"] {
        let s = load(&store, name);
        let window = s.capture.as_ref().unwrap().window_seconds().unwrap();
        let observed = s.observed_seconds().unwrap();
        // The capture ran for the idle timeout or the pipe's pace; the telemetry spans 50 s
        // of its own time however long the capture took.
        assert!((observed - 50.0).abs() < 0.01, "{name}: {observed}");
        assert!(
            (window - observed).abs() > 1.0,
            "{name}: {window} vs {observed}"
        );
    }
    // And the fixture session itself (written by the analyzer from the same requests).
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/checkout-v1.json.gz");
    let (code, changes, text) = diff(&store, fixture.to_str().unwrap(), "idle");
    assert_eq!((code, changes), (0, 0), "{text}");
}

#[test]
fn merged_windows_a_week_apart_count_only_observed_time() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    std::fs::create_dir_all(&store).unwrap();
    let v1 = root.join("fixtures/checkout-v1.json.gz");
    let a = format::decode(
        &std::fs::read(&v1).unwrap(),
        &format::ReadLimits::default(),
        "v1",
    )
    .unwrap();
    // The same telemetry a week later.
    let mut b = a.clone();
    b.id = "a-week-later".into();
    for w in &mut b.observed.as_mut().unwrap().windows {
        w.start += Days::days(7);
        w.end += Days::days(7);
    }
    let c = b.capture.as_mut().unwrap();
    c.started += Days::days(7);
    c.ended += Days::days(7);
    let later: PathBuf = store.join("a-week-later.json.gz");
    std::fs::write(&later, format::to_gzip(&b)).unwrap();
    let o = otelsnap(&store)
        .arg("merge")
        .arg(&v1)
        .arg(&later)
        .args(["--output", "both"])
        .output()
        .unwrap();
    ok(&o, "merge");
    let both = load(&store, "both");
    let o = both.observed.as_ref().unwrap();
    assert_eq!(o.windows.len(), 2, "{o:?}");
    // 50 s each, not the 168 hours from the first start to the last end.
    assert!((o.seconds() - 100.0).abs() < 0.05, "{o:?}");
    for side in [v1.to_str().unwrap(), later.to_str().unwrap()] {
        let (code, changes, text) = diff(&store, side, "both");
        assert_eq!((code, changes), (0, 0), "{side}: {text}");
    }
    // Merged with itself, the time both sources saw counts once: 50 s, not 100 s.
    let o = otelsnap(&store)
        .arg("merge")
        .arg(&v1)
        .arg(&v1)
        .args(["--output", "twice"])
        .output()
        .unwrap();
    ok(&o, "merge with itself");
    assert!((load(&store, "twice").observed_seconds().unwrap() - 50.0).abs() < 0.01);
}
