//! Capture ingest benchmark: data points per second through `otelsnap capture` over OTLP/HTTP
//! protobuf and OTLP/gRPC, with analysis and without (`--no-analyze`, the decode-only baseline),
//! measured in the same run; then peak memory of a capture of 50,000 distinct metrics.
//!
//! ```text
//! cargo build --release --bin otelsnap && cargo run --release --example bench_capture
//! cargo run --release --example bench_capture -- --requests 3000 --rounds 3
//! ```
//! Payload: 50 metrics × 20 points × 5 attributes per request (`testdata::bench_metrics`),
//! sent by 4 concurrent clients (see `examples/otlp_load.rs`). Peak memory comes from
//! `/usr/bin/time -v` around the capture process.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

#[path = "otlp_load.rs"]
mod load;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn otelsnap_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    // target/release/examples/bench_capture -> target/release/otelsnap
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .map(|d| d.join("otelsnap"))
        .expect("target dir");
    if !bin.exists() {
        eprintln!(
            "error: {} not found; run `cargo build --release --bin otelsnap` first",
            bin.display()
        );
        std::process::exit(2);
    }
    bin
}

struct Running {
    child: Child,
    grpc: String,
    http: String,
}

fn start(bin: &Path, dir: &Path, name: &str, extra: &[&str], wrap_time: bool) -> Running {
    let ready = dir.join(format!("{name}.ready"));
    let _ = std::fs::remove_file(&ready);
    let mut cmd = if wrap_time {
        let mut c = Command::new("/usr/bin/time");
        c.arg("-v").arg(bin);
        c
    } else {
        Command::new(bin)
    };
    cmd.arg("--quiet")
        .arg("--dir")
        .arg(dir.join("sessions"))
        .args(["capture", name, "--force"])
        .args(["--grpc", "127.0.0.1:0", "--http", "127.0.0.1:0"])
        .arg("--ready-file")
        .arg(&ready)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn otelsnap");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(t) = std::fs::read_to_string(&ready)
            && let Ok(v) = serde_json::from_str::<serde_json::Value>(&t)
        {
            return Running {
                child,
                grpc: v["grpc"].as_str().unwrap_or_default().to_string(),
                http: v["http"].as_str().unwrap_or_default().to_string(),
            };
        }
        if child.try_wait().expect("wait").is_some() || Instant::now() > deadline {
            let out = child.wait_with_output().expect("output");
            panic!(
                "capture did not start: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits for the capture to stop by itself (it was started with --max-requests) and returns
/// its stderr.
fn finish(r: Running) -> String {
    let out = r.child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "capture failed: {err}");
    err
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut requests = 2000u64;
    let mut rounds = 2usize;
    let mut mem_metrics = 50_000usize;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let v = it.next().and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        match a.as_str() {
            "--requests" => requests = v.max(1),
            "--rounds" => rounds = v.max(1) as usize,
            "--memory-metrics" => mem_metrics = v as usize,
            _ => {
                eprintln!("usage: bench_capture [--requests N] [--rounds N] [--memory-metrics N]");
                std::process::exit(2);
            }
        }
    }
    let bin = otelsnap_bin();
    let dir = tempfile::tempdir().expect("tempdir");
    let shape = |target: load::Target, n: u64| load::Load {
        target,
        requests: n,
        concurrency: 4,
        connections: 4,
        metrics: 50,
        points: 20,
        attrs: 5,
        distinct_names: false,
    };
    let max = requests.to_string();
    println!(
        "payload: 50 metrics x 20 points x 5 attributes per request; {requests} requests per run; 4 clients; best of {rounds} rounds"
    );
    println!("| transport | decode only (--no-analyze) | with analysis | ratio |");
    println!("|---|---|---|---|");
    for transport in ["http", "grpc"] {
        let mut best = [0f64; 2];
        for _round in 0..rounds {
            for (i, mode) in [&["--no-analyze"][..], &[][..]].iter().enumerate() {
                let mut extra = vec!["--max-requests", max.as_str()];
                extra.extend_from_slice(mode);
                let r = start(&bin, dir.path(), "bench", &extra, false);
                let target = if transport == "http" {
                    load::Target::Http(r.http.clone())
                } else {
                    load::Target::Grpc(r.grpc.clone())
                };
                let res = load::run(&shape(target, requests));
                finish(r);
                assert_eq!(res.failed, 0, "requests failed");
                best[i] = best[i].max(res.points_per_second());
            }
        }
        println!(
            "| {transport} | {:.0} data points/s | {:.0} data points/s | {:.2} |",
            best[0],
            best[1],
            best[1] / best[0]
        );
    }

    if mem_metrics > 0 {
        let reqs = mem_metrics.div_ceil(50) as u64;
        let max = reqs.to_string();
        let r = start(
            &bin,
            dir.path(),
            "memory",
            &["--no-grpc", "--max-requests", &max],
            true,
        );
        let mut l = shape(load::Target::Http(r.http.clone()), reqs);
        l.distinct_names = true;
        let res = load::run(&l);
        let err = finish(r);
        let rss_kb: u64 = err
            .lines()
            .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        let size = std::fs::metadata(dir.path().join("sessions/memory.json.gz"))
            .map(|m| m.len())
            .unwrap_or(0);
        println!(
            "memory: {} distinct metrics ({} requests, {} data points): peak RSS {:.1} MB, session file {:.1} MB",
            mem_metrics,
            res.requests,
            res.data_points,
            rss_kb as f64 / 1024.0,
            size as f64 / 1e6
        );
    }
}
