//! Peak memory of `otelsnap capture` under hostile input, against its analyzer memory budget
//! (`--max-state-bytes`): long names, many keys, many items. Each scenario sends far more
//! distinct state than the budget holds; the capture's peak RSS (from `/usr/bin/time -v`)
//! must stay under the budget plus a fixed overhead.
//!
//! ```text
//! cargo build --release --bin otelsnap && cargo run --release --example bench_hostile
//! cargo run --release --example bench_hostile -- --budget-mib 64
//! cargo run --release --example bench_hostile -- --only many-keys --capture-arg --checkpoint=0
//! cargo run --release --example bench_hostile -- --senders 16 --capture-arg --max-in-flight=100GiB
//! ```
//!
//! `--senders N` posts from N connections at once (request `i` from sender `i mod N`), so the
//! requests in flight, which the analyzer budget does not cover, show: compare the default
//! `--max-in-flight` with a huge one in the same run.
//!
//! Besides the peak from `time -v`, the capture's RSS is sampled every 5 ms, to tell the peak
//! while requests arrive from the one while it stops and saves.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use otelsnap_testkit::testdata::{gauge, kv_str, metrics_request, resource};
use prost::Message as _;

fn otelsnap_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .map(|d| d.join("otelsnap"))
        .expect("target dir");
    if !bin.exists() {
        eprintln!("error: run `cargo build --release --bin otelsnap` first");
        std::process::exit(2);
    }
    bin
}

/// One scenario: how many requests, and request number `i`'s body.
struct Scenario {
    name: &'static str,
    what: &'static str,
    requests: usize,
    body: fn(usize) -> ExportMetricsServiceRequest,
}

fn req(
    metrics: Vec<opentelemetry_proto::tonic::metrics::v1::Metric>,
) -> ExportMetricsServiceRequest {
    metrics_request(resource(Some("hostile"), vec![]), metrics)
}

/// 5 distinct 1 MB metric names per request (the test data's descriptions repeat the name:
/// 10 MB per request, under the 16 MiB body limit).
fn long_names(i: usize) -> ExportMetricsServiceRequest {
    req((0..5)
        .map(|j| {
            gauge(
                &format!("{}{}", "n".repeat(1_000_000), i * 5 + j),
                "1",
                vec![vec![]],
            )
        })
        .collect())
}

/// 20 metrics per request, each point with 1,000 distinct keys and values.
fn many_keys(i: usize) -> ExportMetricsServiceRequest {
    req((0..20)
        .map(|j| {
            let attrs = (0..1000)
                .map(|k| kv_str(&format!("key.{i}.{j}.{k}"), &format!("value-{i}-{k}")))
                .collect();
            gauge(&format!("m.{i}.{j}"), "1", vec![attrs])
        })
        .collect())
}

/// 5,000 distinct metric names per request, each with 3 labels of fresh values.
fn many_items(i: usize) -> ExportMetricsServiceRequest {
    req((0..5000)
        .map(|j| {
            let n = i * 5000 + j;
            gauge(
                &format!("items.metric.{n}"),
                "1",
                vec![vec![
                    kv_str("a", &n.to_string()),
                    kv_str("b", &(n * 7).to_string()),
                    kv_str("c", "x"),
                ]],
            )
        })
        .collect())
}

/// The pid of `/usr/bin/time`'s child (the capture), once it exists.
fn grandchild(time_pid: u32) -> Option<u32> {
    let t = std::fs::read_to_string(format!("/proc/{time_pid}/task/{time_pid}/children")).ok()?;
    t.split_whitespace().next()?.parse().ok()
}

/// Current resident set of `pid` in KiB (`VmRSS`), if it still runs.
fn rss_kib(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Samples the capture's RSS every 5 ms: the highest value while requests were being sent
/// (phase 0) and after the last one was acknowledged (phase 1: stopping and saving), in KiB.
struct Sampler {
    phase: Arc<AtomicU64>,
    peaks: Arc<[AtomicU64; 2]>,
    done: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Sampler {
    fn start(time_pid: u32) -> Sampler {
        let phase = Arc::new(AtomicU64::new(0));
        let peaks = Arc::new([AtomicU64::new(0), AtomicU64::new(0)]);
        let done = Arc::new(AtomicBool::new(false));
        let (p, k, d) = (phase.clone(), peaks.clone(), done.clone());
        let thread = std::thread::spawn(move || {
            let mut pid = None;
            while !d.load(Ordering::SeqCst) {
                if pid.is_none() {
                    pid = grandchild(time_pid);
                }
                if let Some(r) = pid.and_then(rss_kib) {
                    k[p.load(Ordering::SeqCst) as usize].fetch_max(r, Ordering::SeqCst);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        Sampler {
            phase,
            peaks,
            done,
            thread,
        }
    }

    /// The peaks (receiving, saving) in MiB.
    fn stop(self) -> (f64, f64) {
        self.done.store(true, Ordering::SeqCst);
        self.thread.join().unwrap();
        let mib = |i: usize| self.peaks[i].load(Ordering::SeqCst) as f64 / 1024.0;
        (mib(0), mib(1))
    }
}

fn post(agent: &ureq::Agent, url: &str, body: &[u8]) {
    let r = agent
        .post(url)
        .header("Content-Type", "application/x-protobuf")
        .send(body)
        .expect("post");
    assert_eq!(r.status().as_u16(), 200);
}

fn main() {
    let mut budgets: Vec<u64> = Vec::new();
    let mut only: Option<String> = None;
    let mut extra: Vec<String> = Vec::new();
    let mut senders: usize = 1;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match (a.as_str(), args.next()) {
            ("--budget-mib", Some(v)) => budgets.push(v.parse().expect("MiB")),
            ("--only", Some(v)) => only = Some(v),
            ("--capture-arg", Some(v)) => extra.push(v),
            ("--senders", Some(v)) => senders = v.parse::<usize>().expect("N").max(1),
            _ => {
                eprintln!(
                    "usage: bench_hostile [--budget-mib N]... [--only SCENARIO] [--capture-arg ARG]... [--senders N]"
                );
                std::process::exit(2);
            }
        }
    }
    if budgets.is_empty() {
        budgets = vec![64, 256];
    }
    let bin = otelsnap_bin();
    let dir = tempfile::tempdir().expect("tempdir");
    let scenarios = [
        Scenario {
            name: "long-names",
            what: "5 distinct 1 MB names (+1 MB descriptions) per request",
            requests: 300,
            body: long_names,
        },
        Scenario {
            name: "many-keys",
            what: "20 metrics x 1,000 distinct keys per request",
            requests: 300,
            body: many_keys,
        },
        Scenario {
            name: "many-items",
            what: "5,000 distinct metrics x 3 labels per request",
            requests: 300,
            body: many_items,
        },
    ];
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into();
    println!(
        "senders at once: {senders}; capture arguments: {}\n",
        if extra.is_empty() {
            "(defaults)".to_string()
        } else {
            extra.join(" ")
        }
    );
    println!(
        "| scenario | input | budget | requests | kept items | dropped | incomplete | peak RSS | RSS − budget | peak receiving | peak saving |"
    );
    println!("|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|");
    for budget_mib in budgets {
        for s in scenarios
            .iter()
            .filter(|s| only.as_deref().is_none_or(|o| o == s.name))
        {
            let ready = dir.path().join("ready.json");
            let _ = std::fs::remove_file(&ready);
            let budget = (budget_mib << 20).to_string();
            let n = s.requests.to_string();
            let child = Command::new("/usr/bin/time")
                .arg("-v")
                .arg(&bin)
                .arg("--dir")
                .arg(dir.path().join("sessions"))
                .args([
                    "--max-session-size",
                    "2000000000",
                    "capture",
                    s.name,
                    "--force",
                ])
                .args(["--no-grpc", "--http", "127.0.0.1:0", "--max-requests", &n])
                .args(["--max-state-bytes", &budget])
                .args(&extra)
                .arg("--ready-file")
                .arg(&ready)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn");
            let sampler = Sampler::start(child.id());
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
            let url = format!("http://{http}/v1/metrics");
            std::thread::scope(|scope| {
                for k in 0..senders {
                    let (agent, url, body) = (agent.clone(), &url, s.body);
                    scope.spawn(move || {
                        for i in (k..s.requests).step_by(senders) {
                            post(&agent, url, &body(i).encode_to_vec());
                        }
                    });
                }
            });
            sampler.phase.store(1, Ordering::SeqCst);
            let out = child.wait_with_output().expect("wait");
            let (recv_peak, save_peak) = sampler.stop();
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "capture failed: {err}");
            let rss_kb: u64 = err
                .lines()
                .find_map(|l| {
                    l.trim()
                        .strip_prefix("Maximum resident set size (kbytes): ")
                })
                .and_then(|v| v.trim().parse().ok())
                .expect("time -v output");
            let session = dir
                .path()
                .join("sessions")
                .join(format!("{}.json.gz", s.name));
            let limits = otelsnap::session::format::ReadLimits {
                max_file: u64::MAX,
                max_decompressed: u64::MAX,
            };
            let sess = otelsnap::session::store::read_file(&session, &limits).expect("session");
            let cap = sess.capture.clone().expect("capture info");
            let rss_mib = rss_kb as f64 / 1024.0;
            println!(
                "| {} | {} | {} MiB | {} | {} metrics | {} | {} | {:.0} MiB | {:+.0} MiB | {:.0} MiB | {:.0} MiB |",
                s.name,
                s.what,
                budget_mib,
                cap.requests,
                sess.data.metrics.len(),
                cap.dropped,
                if cap.incomplete.is_some() {
                    "yes"
                } else {
                    "no"
                },
                rss_mib,
                rss_mib - budget_mib as f64,
                recv_peak,
                save_peak,
            );
            let _ = std::io::stdout().flush();
        }
    }
}
