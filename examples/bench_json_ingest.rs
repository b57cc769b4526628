//! OTLP/JSON ingest against protobuf (issue #15): data points per CPU-second of decode +
//! analysis, on the same requests encoded both ways, in the same run: protobuf (prost), the
//! tree decoder JSON used to go through (`serde_json::Value`, then conversion; kept as
//! `otlp::json::tree`), the streaming decoder (`otlp::json`, what the receivers use: its own
//! fast JSON reader, serde_json for what that gives up on) and the same decoder read by
//! serde_json alone (`otlp::json::readers`, what it was before the fast reader).
//!
//! ```text
//! cargo run --release --example bench_json_ingest
//! cargo run --release --example bench_json_ingest -- --requests 200 --rounds 5
//! cargo build --release --bin otelsnap && cargo run --release --example bench_json_ingest -- --e2e 2000
//! ```
//! Payload: 50 metrics × 20 points × 5 attributes per request (`testdata::bench_metrics`, as
//! `bench_capture`), 20 distinct requests cycled. Each round runs every mode once on a fresh
//! analyzer, interleaved so all modes see the same load; the best round of each is reported.
//! Time is the thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`), so other processes on the shared
//! machine cost wall time, not the figures. Decode-only rows show the decoders alone.
//!
//! `--e2e N` adds whole processes: `otelsnap capture` receiving N requests over OTLP/HTTP from
//! 4 clients of the load generator (`examples/otlp_load.rs`), once as protobuf and once as
//! JSON; the figure is the capture process's CPU time (user + system, from `wait4`) per data
//! point, startup and the final save included.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

#[path = "otlp_load.rs"]
mod load;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use std::time::Duration;

use chrono::{TimeZone, Utc};
use otelsnap::analyze::{Analyzer, AnalyzerOptions};
use otelsnap::otlp::{OtlpRequest, json};
use otelsnap_testkit::otlp_json::encode_metrics;
use otelsnap_testkit::testdata::bench_metrics;
use prost::Message;

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::metrics::v1::metric::Data;

/// The binary's allocator, so the figures are the receiver's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Protobuf,
    JsonTree,
    JsonStream,
    JsonSerde,
}

impl Mode {
    const ALL: [Mode; 4] = [
        Mode::Protobuf,
        Mode::JsonTree,
        Mode::JsonStream,
        Mode::JsonSerde,
    ];

    fn name(self) -> &'static str {
        match self {
            Mode::Protobuf => "protobuf (prost)",
            Mode::JsonTree => "JSON, tree decoder (first)",
            Mode::JsonStream => "JSON, streaming decoder, fast reader (now)",
            Mode::JsonSerde => "JSON, streaming decoder read by serde_json (before)",
        }
    }

    fn decode(self, proto: &[u8], json_doc: &[u8]) -> ExportMetricsServiceRequest {
        match self {
            Mode::Protobuf => ExportMetricsServiceRequest::decode(proto).unwrap(),
            Mode::JsonTree => json::tree::decode_metrics(json_doc).unwrap(),
            Mode::JsonStream => json::decode_metrics(json_doc).unwrap(),
            Mode::JsonSerde => json::readers::serde_metrics(json_doc).unwrap(),
        }
    }
}

fn thread_cpu() -> Duration {
    // SAFETY: clock_gettime only writes the timespec it is given.
    let ts = unsafe {
        let mut ts: libc::timespec = std::mem::zeroed();
        libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts);
        ts
    };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn points(req: &ExportMetricsServiceRequest) -> u64 {
    let mut n = 0;
    for rm in &req.resource_metrics {
        for sm in &rm.scope_metrics {
            for m in &sm.metrics {
                n += match &m.data {
                    Some(Data::Gauge(g)) => g.data_points.len(),
                    Some(Data::Sum(s)) => s.data_points.len(),
                    Some(Data::Histogram(h)) => h.data_points.len(),
                    Some(Data::ExponentialHistogram(h)) => h.data_points.len(),
                    Some(Data::Summary(s)) => s.data_points.len(),
                    None => 0,
                } as u64;
            }
        }
    }
    n
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| v.parse().expect("a number"))
}

/// CPU time of decoding (and, with `analyze`, ingesting) `requests` requests.
fn run(mode: Mode, payloads: &[(Vec<u8>, Vec<u8>)], requests: usize, analyze: bool) -> Duration {
    let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let mut analyzer = Analyzer::new(AnalyzerOptions::default());
    let start = thread_cpu();
    for i in 0..requests {
        let (proto, json_doc) = &payloads[i % payloads.len()];
        let req = mode.decode(proto, json_doc);
        if analyze {
            analyzer.ingest(&OtlpRequest::Metrics(req), at);
        } else {
            std::hint::black_box(req);
        }
    }
    let spent = thread_cpu() - start;
    std::hint::black_box(analyzer.counts());
    spent
}

fn main() {
    let requests = arg("--requests", 200);
    let rounds = arg("--rounds", 5);
    let payloads: Vec<(Vec<u8>, Vec<u8>)> = (0..20)
        .map(|seed| {
            let req = bench_metrics(50, 20, 5, seed);
            let json_doc = encode_metrics(&req).to_string().into_bytes();
            // Both decoders must agree with the request before anything is timed.
            assert_eq!(json::decode_metrics(&json_doc).unwrap(), req);
            assert_eq!(json::tree::decode_metrics(&json_doc).unwrap(), req);
            (req.encode_to_vec(), json_doc)
        })
        .collect();
    let first = ExportMetricsServiceRequest::decode(payloads[0].0.as_slice()).unwrap();
    let per_request = points(&first);
    let total = per_request * requests as u64;
    let (proto_bytes, json_bytes) = (payloads[0].0.len(), payloads[0].1.len());

    // `--profile M`: only mode M (0 protobuf, 1 tree, 2 streaming, 3 streaming read by
    // serde_json), decode only, for `perf`.
    let profile = arg("--profile", usize::MAX);
    if let Some(mode) = Mode::ALL.get(profile) {
        for _ in 0..rounds {
            run(*mode, &payloads, requests, false);
        }
        return;
    }
    let mut best = [[Duration::MAX; Mode::ALL.len()]; 2];
    for _ in 0..rounds {
        for (a, analyze) in [true, false].into_iter().enumerate() {
            for (m, mode) in Mode::ALL.into_iter().enumerate() {
                let spent = run(mode, &payloads, requests, analyze);
                best[a][m] = best[a][m].min(spent);
            }
        }
    }

    println!(
        "{requests} requests × {per_request} points ({total} points) per mode and round; \
         best of {rounds} rounds; one request is {proto_bytes} bytes protobuf, {json_bytes} bytes JSON\n"
    );
    println!(
        "| mode | decode + analysis: µs CPU per point | points per CPU-second | ratio to protobuf | decode only: µs CPU per point |"
    );
    println!("|---|---:|---:|---:|---:|");
    let rate = |d: Duration| total as f64 / d.as_secs_f64();
    for (m, mode) in Mode::ALL.into_iter().enumerate() {
        let (with, without) = (best[0][m], best[1][m]);
        println!(
            "| {} | {:.3} | {:.0} | {:.2} | {:.3} |",
            mode.name(),
            with.as_secs_f64() * 1e6 / total as f64,
            rate(with),
            rate(with) / rate(best[0][0]),
            without.as_secs_f64() * 1e6 / total as f64,
        );
    }

    let e2e = arg("--e2e", 0) as u64;
    if e2e > 0 {
        let bin = otelsnap_bin();
        let mut best = [f64::MAX; 2];
        for _ in 0..rounds.min(3) {
            for (j, json_bodies) in [false, true].into_iter().enumerate() {
                best[j] = best[j].min(capture_cpu_per_point(&bin, json_bodies, e2e));
            }
        }
        println!(
            "\nWhole process, `otelsnap capture` over OTLP/HTTP, {e2e} requests from 4 clients, best of {} rounds:\n",
            rounds.min(3)
        );
        println!("| body | server CPU µs per point | points per CPU-second | ratio to protobuf |");
        println!("|---|---:|---:|---:|");
        for (j, name) in ["protobuf", "JSON"].into_iter().enumerate() {
            println!(
                "| {name} | {:.3} | {:.0} | {:.2} |",
                best[j],
                1e6 / best[j],
                best[0] / best[j]
            );
        }
    }
}

fn otelsnap_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    // target/release/examples/bench_json_ingest -> target/release/otelsnap
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .map(|d| d.join("otelsnap"))
        .expect("target dir");
    assert!(
        bin.exists(),
        "{} not found; run `cargo build --release --bin otelsnap` first",
        bin.display()
    );
    bin
}

/// CPU time of a capture process per data point it received, in µs.
// The child is reaped by `wait4`, which clippy does not know.
#[allow(clippy::zombie_processes)]
fn capture_cpu_per_point(bin: &Path, json_bodies: bool, requests: u64) -> f64 {
    let dir = tempfile::tempdir().expect("tempdir");
    let ready = dir.path().join("ready.json");
    let child = Command::new(bin)
        .arg("--quiet")
        .arg("--dir")
        .arg(dir.path().join("sessions"))
        .args([
            "capture",
            "e2e",
            "--force",
            "--no-grpc",
            "--http",
            "127.0.0.1:0",
        ])
        .arg("--ready-file")
        .arg(&ready)
        .args(["--max-requests", &requests.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn otelsnap");
    let deadline = Instant::now() + Duration::from_secs(60);
    let http = loop {
        if let Ok(t) = std::fs::read_to_string(&ready)
            && let Ok(v) = serde_json::from_str::<serde_json::Value>(&t)
        {
            break v["http"].as_str().unwrap_or_default().to_string();
        }
        assert!(Instant::now() < deadline, "capture did not start");
        std::thread::sleep(Duration::from_millis(10));
    };
    let target = if json_bodies {
        load::Target::HttpJson(http)
    } else {
        load::Target::Http(http)
    };
    let res = load::run(&load::Load {
        target,
        requests,
        concurrency: 4,
        connections: 4,
        metrics: 50,
        points: 20,
        attrs: 5,
        distinct_names: false,
    });
    assert_eq!(res.failed, 0, "requests failed");
    let mut status = 0;
    // SAFETY: waits for our own child and only writes the two out-parameters.
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut ru);
        ru
    };
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "capture failed: {status}"
    );
    let tv = |t: libc::timeval| t.tv_sec as f64 * 1e6 + t.tv_usec as f64;
    (tv(ru.ru_utime) + tv(ru.ru_stime)) / res.data_points as f64
}
