//! Benchmark: `capture --from-file` over a set of rotated Collector dumps, with one reading
//! thread against one per core, whole processes, the runs interleaved in one session.
//!
//! Run: `cargo build --release --bin otelsnap --example bench_from_file &&
//! target/release/examples/bench_from_file [FILES REQUESTS_PER_FILE ROUNDS]`
//! (`OTELSNAP_BIN` overrides the binary, default the workspace's `target/release/otelsnap`;
//! `OTELSNAP_BASE_BIN` adds a baseline binary, its runs interleaved with the others', for a
//! same-run comparison).
//!
//! Two dump sets of the same requests (`bench_metrics`: 50 metrics x 20 points x 5 attributes,
//! 1,000 data points each): `format: proto` with the exporter's per-message zstd, and JSON
//! lines. Each set is captured with `--from-file-jobs 1` and with one job per core, and with
//! `--no-analyze` (decode only) for the share the analysis takes: the analysis runs on one
//! thread in file order (that is what keeps the session independent of the thread count), so
//! only decoding spreads across cores. Reported: median wall time of ROUNDS runs, data points
//! per second, median CPU time (user + system, from `getrusage` of the children), and the ratio
//! of the all-cores to the one-thread throughput.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use otelsnap_testkit::bench::{self, Who, cpu_secs};
use otelsnap_testkit::dumps::{self, Compress, Format, Request};
use otelsnap_testkit::testdata;

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| {
            a.parse()
                .expect("FILES REQUESTS_PER_FILE ROUNDS are numbers")
        })
        .collect();
    let files = args.first().copied().unwrap_or(8);
    let per_file = args.get(1).copied().unwrap_or(150);
    let rounds = args.get(2).copied().unwrap_or(3);
    let bin = bench::otelsnap_bin();
    assert!(
        bin.exists(),
        "build it first: cargo build --release --bin otelsnap"
    );
    let base = std::env::var_os("OTELSNAP_BASE_BIN").map(PathBuf::from);
    let mut bins = vec![("", bin)];
    if let Some(base) = base {
        assert!(base.exists(), "no baseline binary at {}", base.display());
        bins.push(("base: ", base));
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let tmp = tempfile::tempdir().unwrap();
    let points = (files * per_file * 1000) as f64;
    println!(
        "{files} files x {per_file} requests x 1,000 data points = {points:.0} points; {cores} cores; {rounds} rounds"
    );

    for (label, format, compress) in [
        (
            "proto, zstd per message",
            Format::Proto,
            Compress::ZstdPerMessage,
        ),
        ("JSON lines", Format::Json, Compress::None),
    ] {
        let dir = tmp.path().join(label.replace([' ', ','], "-"));
        std::fs::create_dir(&dir).unwrap();
        let mut bytes = 0u64;
        for f in 0..files {
            let reqs: Vec<Request> = (0..per_file)
                .map(|r| {
                    Request::Metrics(testdata::bench_metrics(
                        50,
                        20,
                        5,
                        (f * per_file + r) as u64,
                    ))
                })
                .collect();
            let dump = dumps::dump(&reqs, format, compress);
            bytes += dump.len() as u64;
            std::fs::write(dir.join(format!("otel-{f:03}.dump")), dump).unwrap();
        }
        println!(
            "\n{label}: {:.1} MiB on disk",
            bytes as f64 / (1024.0 * 1024.0)
        );
        let runs: Vec<(String, &Path, usize, bool)> = bins
            .iter()
            .flat_map(|(tag, bin)| {
                [
                    ("analyze, 1 job", 1, true),
                    ("analyze, all cores", cores, true),
                    ("decode only, 1 job", 1, false),
                    ("decode only, all cores", cores, false),
                ]
                .map(|(name, jobs, analyze)| (format!("{tag}{name}"), bin.as_path(), jobs, analyze))
            })
            .collect();
        let mut times: Vec<Vec<f64>> = vec![Vec::new(); runs.len()];
        let mut cpus: Vec<Vec<f64>> = vec![Vec::new(); runs.len()];
        for _ in 0..rounds {
            for (i, (_, bin, jobs, analyze)) in runs.iter().enumerate() {
                let (wall, cpu) = run(bin, tmp.path(), &dir, *jobs, *analyze);
                times[i].push(wall);
                cpus[i].push(cpu);
            }
        }
        let medians: Vec<f64> = times.iter_mut().map(|t| median(t)).collect();
        println!("| run | median wall | data points/s | median CPU (user+sys) |");
        println!("|---|---:|---:|---:|");
        for (((name, _, _, _), m), c) in runs.iter().zip(&medians).zip(cpus.iter_mut()) {
            println!(
                "| {name} | {m:.2} s | {:.0} | {:.2} s |",
                points / m,
                median(c)
            );
        }
        for (b, (tag, _)) in bins.iter().enumerate() {
            let m = &medians[4 * b..4 * b + 4];
            println!(
                "{tag}all cores / 1 job throughput: analyze {:.2}, decode only {:.2}",
                m[0] / m[1],
                m[2] / m[3]
            );
        }
        if bins.len() == 2 {
            println!(
                "all cores, this binary / base throughput: analyze {:.2}, decode only {:.2}",
                medians[5] / medians[1],
                medians[7] / medians[3]
            );
        }
    }
}

/// One whole `capture --from-file` process; its wall time and CPU time in seconds.
fn run(bin: &Path, tmp: &Path, dir: &Path, jobs: usize, analyze: bool) -> (f64, f64) {
    let mut cmd = Command::new(bin);
    cmd.arg("--dir")
        .arg(tmp.join("sessions"))
        .args(["-q", "capture", "bench", "--force", "--from-file"])
        .arg(dir)
        .args(["--from-file-jobs", &jobs.to_string()]);
    if !analyze {
        cmd.arg("--no-analyze");
    }
    let cpu = cpu_secs(Who::Children);
    let start = Instant::now();
    let out = cmd.output().unwrap();
    let took = start.elapsed().as_secs_f64();
    let cpu = cpu_secs(Who::Children) - cpu;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (took, cpu)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
