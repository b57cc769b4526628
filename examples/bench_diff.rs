//! Benchmark: `diff` of two 50,000-metric sessions (5 label keys each, a few hundred real
//! changes) against merely loading both, in the same run.
//!
//! `cargo run --release --example bench_diff` generates the pair, then reports the median
//! of several rounds of (a) loading both files and (b) loading both, diffing and rendering JSON;
//! the ratio (b)/(a) is the target (≤ 2). Single-shot modes for measuring peak memory with
//! `/usr/bin/time -v`: `bench_diff gen DIR`, `bench_diff load DIR`, `bench_diff diff DIR`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use otelsnap::diff::{DiffReport, Filters, Rules};
use otelsnap::render::diff_json;
use otelsnap::session::store::read_file;
use otelsnap::session::{Limits, Session, format};
use otelsnap::synth;

const METRICS: usize = 50_000;
const CHANGES: usize = 300;
const ROUNDS: usize = 5;

fn paths(dir: &Path) -> (PathBuf, PathBuf) {
    (dir.join("bench-a.json.gz"), dir.join("bench-b.json.gz"))
}

fn generate(dir: &Path) -> (PathBuf, PathBuf) {
    let a = synth::session("bench-a", METRICS, 1);
    let b = synth::perturb(&a, "bench-b", CHANGES, 2);
    let (pa, pb) = paths(dir);
    std::fs::write(&pa, format::to_gzip(&a)).expect("write bench-a");
    std::fs::write(&pb, format::to_gzip(&b)).expect("write bench-b");
    (pa, pb)
}

/// Loads both as `otelsnap diff` does: in parallel, estimates only (no sketch bytes or samples).
fn load(pa: &Path, pb: &Path) -> (Session, Session) {
    let limits = Limits::default().read();
    let one = |p: &Path| {
        otelsnap::session::estimates_only(|| read_file(p, &limits)).expect("load session")
    };
    std::thread::scope(|sc| {
        let hb = sc.spawn(|| one(pb));
        let a = one(pa);
        (a, hb.join().expect("loader thread"))
    })
}

/// Loads, diffs and renders JSON; returns (changes, bytes of JSON, time until the JSON is
/// ready, time to free the sessions afterwards).
fn load_and_diff(pa: &Path, pb: &Path) -> (usize, usize, Duration, Duration) {
    let t = Instant::now();
    let (a, b) = load(pa, pb);
    let r = DiffReport::build(&a, &b, &Rules::default(), &Filters::default());
    let out = (r.changes.len(), diff_json::render(&r).len());
    let ready = t.elapsed();
    let t = Instant::now();
    drop((a, b, r));
    (out.0, out.1, ready, t.elapsed())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn max_rss_kib() -> i64 {
    // SAFETY: getrusage only writes the struct we pass.
    unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut u);
        u.ru_maxrss
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [mode, dir] if mode == "gen" => {
            let (pa, pb) = generate(Path::new(dir));
            println!("wrote {} and {}", pa.display(), pb.display());
        }
        [mode, dir] if mode == "load" => {
            let (pa, pb) = paths(Path::new(dir));
            let t = Instant::now();
            let (a, b) = load(&pa, &pb);
            println!(
                "load: {} + {} metrics in {:?}, max RSS {} KiB",
                a.data.metrics.len(),
                b.data.metrics.len(),
                t.elapsed(),
                max_rss_kib()
            );
        }
        [mode, dir] if mode == "diff" => {
            let (pa, pb) = paths(Path::new(dir));
            let t = Instant::now();
            let (n, bytes, ready, _) = load_and_diff(&pa, &pb);
            println!(
                "load+diff: {n} changes, {bytes} bytes of JSON in {ready:?} ({:?} with freeing), max RSS {} KiB",
                t.elapsed(),
                max_rss_kib()
            );
        }
        [] => {
            let dir = tempfile::tempdir().expect("tempdir");
            let t = Instant::now();
            let (pa, pb) = generate(dir.path());
            let sizes = (
                std::fs::metadata(&pa).map(|m| m.len()).unwrap_or(0),
                std::fs::metadata(&pb).map(|m| m.len()).unwrap_or(0),
            );
            println!(
                "generated 2 × {METRICS} metrics ({CHANGES} changes requested) in {:?}; files {} and {} bytes",
                t.elapsed(),
                sizes.0,
                sizes.1
            );
            let mut loads = Vec::new();
            let mut diffs = Vec::new();
            let mut diff_only = Vec::new();
            let mut frees = Vec::new();
            let mut changes = 0;
            for _ in 0..ROUNDS {
                let t = Instant::now();
                let (a, b) = load(&pa, &pb);
                loads.push(t.elapsed());
                let t2 = Instant::now();
                let r = DiffReport::build(&a, &b, &Rules::default(), &Filters::default());
                let json = diff_json::render(&r);
                diff_only.push(t2.elapsed());
                changes = r.changes.len();
                assert!(!json.is_empty());
                let t3 = Instant::now();
                drop((a, b, r));
                frees.push(t3.elapsed());
                let (_, _, ready, _) = load_and_diff(&pa, &pb);
                diffs.push(ready);
            }
            let (l, d, o) = (median(loads), median(diffs), median(diff_only));
            println!("changes found: {changes}");
            println!(
                "freeing both sessions (median of {ROUNDS}): {:?}",
                median(frees)
            );
            println!("load both (median of {ROUNDS}):            {l:?}");
            println!("diff + JSON alone (median of {ROUNDS}):    {o:?}");
            println!("load both + diff + JSON (median of {ROUNDS}): {d:?}");
            println!(
                "ratio (load+diff)/load: {:.2} (target ≤ 2)",
                d.as_secs_f64() / l.as_secs_f64()
            );
            println!("max RSS of this process: {} KiB", max_rss_kib());
        }
        _ => {
            eprintln!("usage: bench_diff [gen DIR | load DIR | diff DIR]");
            std::process::exit(2);
        }
    }
}
