//! Benchmark: how much of `merge`'s time a deflate save alone takes, against loading the
//! sources (`show` of each, whole processes), interleaved in one run.
//!
//! Run: `cargo build --release --bin otelsnap --example bench_merge --example bench_save_floor
//! && target/release/examples/bench_merge --seeds-only --rounds 0 --dir /tmp/bm
//! && target/release/examples/bench_save_floor /tmp/bm [ROUNDS]`
//! (`OTELSNAP_BIN` overrides the binary, default the workspace's `target/release/otelsnap`).
//!
//! DIR holds the ten sessions `bench_merge --dir` leaves (`seed-1.json.gz` … `seed-10.json.gz`).
//! The ten are merged once to get the result's JSON; then each round times, in turn: `show` of
//! each of the ten (one process each: the "loading them"), the whole `otelsnap merge`,
//! and, in this process, gzipping the result's JSON exactly as the store saves it
//! ([`otelsnap_core::gzip::compress_to`]: libdeflate at the store's level, members compressed on
//! every core) into a sink. Wall and CPU (user + system, `getrusage`) for each; medians of
//! ROUNDS (default 5). A merge must at least read its sources and compress its result, so
//! (compress / show) + (merge's own reading / show) bounds how close to `show` x10 a merge that
//! writes deflate can get, whatever else is made faster.
//!
//! Also printed: the encoders at hand on the same JSON, one thread (libdeflate at levels 1 and
//! 2; zlib-rs, flate2's backend here, at 1, its `deflate_quick`, and 2), and the same gzip of a
//! what-if JSON that writes each distinct sketch once (repeats replaced by a reference): the
//! saving a session format with a sketch table would have.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use otelsnap_testkit::bench::{self, Who, cpu_secs};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().expect("usage: bench_save_floor DIR [ROUNDS]"));
    let rounds: usize = args
        .next()
        .map_or(5, |r| r.parse().expect("ROUNDS is a number"));
    let bin = bench::otelsnap_bin();
    assert!(
        bin.exists(),
        "build it first: cargo build --release --bin otelsnap"
    );
    let sources: Vec<PathBuf> = (1..=10)
        .map(|i| dir.join(format!("seed-{i}.json.gz")))
        .collect();
    for s in &sources {
        assert!(
            s.exists(),
            "{} is missing: run bench_merge --seeds-only --rounds 0 --dir {}",
            s.display(),
            dir.display()
        );
    }
    let store = tempfile::tempdir().unwrap();
    let merge = || {
        let _ = std::fs::remove_file(store.path().join("merged.json.gz"));
        let (t, cpu) = (Instant::now(), cpu_secs(Who::Children));
        let ok = Command::new(&bin)
            .arg("--dir")
            .arg(store.path())
            .args(["merge", "-o", "merged"])
            .args(&sources)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(ok, "otelsnap merge failed");
        (t.elapsed().as_secs_f64(), cpu_secs(Who::Children) - cpu)
    };
    merge();
    let result = std::fs::read(store.path().join("merged.json.gz")).unwrap();
    let json = otelsnap_core::gunzip::limited(&result, u64::MAX).unwrap();
    println!(
        "{} cores; result {:.1} MiB gzipped, {:.1} MiB of JSON; {rounds} rounds",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        result.len() as f64 / 1048576.0,
        json.len() as f64 / 1048576.0
    );
    drop(result);

    let once = sketches_once(&json);
    let (mut show, mut whole, mut compress, mut compress_once) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut once_bytes = 0;
    for _ in 0..rounds {
        show.push(show_all(&bin, &sources));
        whole.push(merge());
        compress.push(gzip_timed(&json).0);
        let (took, bytes) = gzip_timed(&once);
        compress_once.push(took);
        once_bytes = bytes;
    }
    println!(
        "what-if, each distinct sketch written once: {:.1} MiB of JSON, {:.1} MiB gzipped",
        once.len() as f64 / 1048576.0,
        once_bytes as f64 / 1048576.0
    );
    codecs(&json, rounds);
    println!("| run | median wall | / show x10 | median CPU | / show x10 |");
    println!("|---|---:|---:|---:|---:|");
    let (show_wall, show_cpu) = medians(&show);
    for (label, runs) in [
        ("`show` of each of the ten (whole processes)", &show),
        ("`merge` of the ten (whole process)", &whole),
        (
            "gzip of the result alone (in process, every core)",
            &compress,
        ),
        (
            "the same, each distinct sketch written once (what-if)",
            &compress_once,
        ),
    ] {
        let (wall, cpu) = medians(runs);
        println!(
            "| {label} | {wall:.3} s | {:.2} | {cpu:.3} s | {:.2} |",
            wall / show_wall,
            cpu / show_cpu
        );
    }
}

/// Gzips `json` as the store does, into a sink: (wall, CPU) seconds and the bytes written.
fn gzip_timed(json: &[u8]) -> ((f64, f64), u64) {
    let (t, cpu) = (Instant::now(), cpu_secs(Who::This));
    let (written, ()) = otelsnap_core::gzip::compress_to(&mut std::io::sink(), &[], |w| {
        w.write_all(json).unwrap();
    })
    .unwrap();
    (
        (t.elapsed().as_secs_f64(), cpu_secs(Who::This) - cpu),
        written,
    )
}

/// A what-if of a session format with a sketch table: `json` with every repeat of a sketch's
/// `"data":"…"` replaced by `"ref":N` (N the distinct sketch's index) and the distinct ones
/// appended as a list. Not a session any reader takes; only for what compressing it costs.
fn sketches_once(json: &[u8]) -> Vec<u8> {
    const KEY: &[u8] = b"\"data\":\"";
    let mut seen: std::collections::HashMap<&[u8], usize> = std::collections::HashMap::new();
    let mut table: Vec<&[u8]> = Vec::new();
    let mut out = Vec::with_capacity(json.len());
    let mut rest = json;
    while let Some(at) = rest.windows(KEY.len()).position(|w| w == KEY) {
        let start = at + KEY.len();
        let len = rest[start..].iter().position(|&b| b == b'"').unwrap();
        let data = &rest[start..start + len];
        out.extend_from_slice(&rest[..at]);
        let next = table.len();
        let index = *seen.entry(data).or_insert(next);
        if index == next {
            table.push(data);
        }
        out.extend_from_slice(format!("\"ref\":{index}").as_bytes());
        rest = &rest[start + len + 1..];
    }
    out.extend_from_slice(rest);
    out.extend_from_slice(b"\n[");
    for (i, data) in table.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'"');
        out.extend_from_slice(data);
        out.push(b'"');
    }
    out.push(b']');
    out
}

/// The other deflate encoder at hand (zlib-rs, through flate2) against libdeflate, one thread,
/// each 1 MiB chunk a stream of its own as in the store: time and size, medians of `rounds`.
fn codecs(json: &[u8], rounds: usize) {
    use std::io::Write as _;
    let libdeflate = |level: i32| -> usize {
        json.chunks(otelsnap_core::gzip::CHUNK)
            .map(|c| otelsnap_core::gzip::compress_at(level, c, &[]).len())
            .sum()
    };
    let zlib_rs = |level: u32| -> usize {
        json.chunks(otelsnap_core::gzip::CHUNK)
            .map(|c| {
                let mut e = flate2::write::GzEncoder::new(
                    Vec::with_capacity(c.len()),
                    flate2::Compression::new(level),
                );
                e.write_all(c).unwrap();
                e.finish().unwrap().len()
            })
            .sum()
    };
    println!("| one thread, 1 MiB members | median wall | bytes | / libdeflate 1 wall | bytes |");
    println!("|---|---:|---:|---:|---:|");
    let runs: [(&str, &dyn Fn() -> usize); 4] = [
        ("libdeflate 1 (the store's)", &|| libdeflate(1)),
        ("libdeflate 2", &|| libdeflate(2)),
        ("zlib-rs 1 (deflate_quick)", &|| zlib_rs(1)),
        ("zlib-rs 2", &|| zlib_rs(2)),
    ];
    let mut rows: Vec<(&str, Vec<f64>, usize)> = runs
        .iter()
        .map(|(name, _)| (*name, Vec::new(), 0))
        .collect();
    // Interleaved, so a slower moment of the machine falls on every encoder alike.
    for _ in 0..rounds {
        for ((_, run), row) in runs.iter().zip(&mut rows) {
            let t = Instant::now();
            row.2 = run();
            row.1.push(t.elapsed().as_secs_f64());
        }
    }
    let (base_wall, base_bytes) = (median(rows[0].1.clone()), rows[0].2);
    for (name, times, bytes) in rows {
        let wall = median(times);
        println!(
            "| {name} | {wall:.3} s | {bytes} | {:.2} | {:.3} |",
            wall / base_wall,
            bytes as f64 / base_bytes as f64
        );
    }
    println!();
}

/// Median wall and median CPU seconds of (wall, CPU) runs.
fn medians(runs: &[(f64, f64)]) -> (f64, f64) {
    (
        median(runs.iter().map(|r| r.0).collect()),
        median(runs.iter().map(|r| r.1).collect()),
    )
}

fn show_all(bin: &Path, sources: &[PathBuf]) -> (f64, f64) {
    let (t, cpu) = (Instant::now(), cpu_secs(Who::Children));
    for s in sources {
        let ok = Command::new(bin)
            .arg("show")
            .arg(s)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(ok, "otelsnap show {} failed", s.display());
    }
    (t.elapsed().as_secs_f64(), cpu_secs(Who::Children) - cpu)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
