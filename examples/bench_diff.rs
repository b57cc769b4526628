//! Benchmark: `diff` of two 50,000-metric sessions (5 label keys each, a few hundred real
//! changes) against merely loading both, in the same run.
//!
//! `cargo run --release --example bench_diff` generates the pair, then reports the median
//! of several rounds of (a) loading both files and (b) loading both, diffing and rendering JSON;
//! the ratio (b)/(a) is the target (≤ 2). Then, as whole processes (fresh memory, start-up
//! and exit included, as a user runs them), alternating: this example's `load` mode (load both,
//! nothing else) and `otelsnap diff A B --format json` from `target/release/otelsnap` (or
//! `$OTELSNAP_BIN`; build it first): median wall time and peak RSS of each. Single-shot modes
//! for `/usr/bin/time -v`: `bench_diff gen DIR`, `bench_diff load DIR`, `bench_diff diff DIR`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use otelsnap::diff::{DiffReport, Filters, Rules};
use otelsnap::render::diff_json;
use otelsnap::session::store::read_file;
use otelsnap::session::{Limits, Session, format};
use otelsnap_testkit::synth;

const METRICS: usize = 50_000;
const CHANGES: usize = 300;
const ROUNDS: usize = 5;
/// Whole-process runs of each command.
const PROCESS_RUNS: usize = 7;

/// The binary's allocator, so in-process figures are the CLI's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

/// Runs `program args` to its end; returns its wall time and peak RSS (KiB, from wait4).
// The child is reaped by wait4 (which also gives its rusage), not by `Child::wait`.
#[allow(clippy::zombie_processes)]
fn run_process(program: &Path, args: &[&std::ffi::OsStr]) -> (Duration, i64) {
    let mut cmd = std::process::Command::new(program);
    cmd.args(args);
    let t = Instant::now();
    let child = cmd
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("start a process");
    let mut status = 0;
    // SAFETY: waits for our own child and only writes the two out-parameters.
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut ru);
        ru
    };
    let wall = t.elapsed();
    // diff exits 1 when it finds changes; anything else means the run is not a measurement.
    let code = libc::WEXITSTATUS(status);
    assert!(
        libc::WIFEXITED(status) && code <= 1,
        "{} failed with status {status}",
        program.display()
    );
    (wall, ru.ru_maxrss)
}

/// Times `bench_diff load` (this example) against `otelsnap diff` as whole processes.
fn whole_processes(dir: &Path, pa: &Path, pb: &Path) {
    let bin = otelsnap_testkit::bench::otelsnap_bin();
    if !bin.exists() {
        println!(
            "(no {} to time as a process: build it first)",
            bin.display()
        );
        return;
    }
    let me = std::env::current_exe().expect("own path");
    let (mut loads, mut diffs) = (Vec::new(), Vec::new());
    let (mut load_rss, mut diff_rss) = (0, 0);
    for _ in 0..PROCESS_RUNS {
        let (w, r) = run_process(&me, &["load".as_ref(), dir.as_os_str()]);
        loads.push(w);
        load_rss = load_rss.max(r);
        let (w, r) = run_process(
            &bin,
            &[
                "diff".as_ref(),
                pa.as_os_str(),
                pb.as_os_str(),
                "--format".as_ref(),
                "json".as_ref(),
            ],
        );
        diffs.push(w);
        diff_rss = diff_rss.max(r);
    }
    let (l, d) = (median(loads), median(diffs));
    println!("whole processes, median of {PROCESS_RUNS} each, alternating:");
    println!("  bench_diff load (load both):  {l:?}, peak RSS {load_rss} KiB");
    println!("  otelsnap diff --format json:  {d:?}, peak RSS {diff_rss} KiB (target < 1 s)");
    println!(
        "  ratio diff / load: {:.2} (target ≤ 2)",
        d.as_secs_f64() / l.as_secs_f64()
    );
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
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
                otelsnap_testkit::bench::max_rss_kib()
            );
            // As `otelsnap diff` does: the process exits without freeing them piece by piece.
            std::mem::forget((a, b));
        }
        [mode, dir] if mode == "diff" => {
            let (pa, pb) = paths(Path::new(dir));
            let t = Instant::now();
            let (n, bytes, ready, _) = load_and_diff(&pa, &pb);
            println!(
                "load+diff: {n} changes, {bytes} bytes of JSON in {ready:?} ({:?} with freeing), max RSS {} KiB",
                t.elapsed(),
                otelsnap_testkit::bench::max_rss_kib()
            );
        }
        [] => {
            let dir = tempfile::tempdir().expect("tempdir");
            let t = Instant::now();
            // Generated in a child process, so this one stays small while it times whole
            // processes: Linux reports a spawning process's peak RSS as its children's.
            let me = std::env::current_exe().expect("own path");
            run_process(&me, &["gen".as_ref(), dir.path().as_os_str()]);
            let (pa, pb) = paths(dir.path());
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
            whole_processes(dir.path(), &pa, &pb);
            let mut loads = Vec::new();
            let mut diffs = Vec::new();
            let mut diff_only = Vec::new();
            let mut frees = Vec::new();
            let mut checks = Vec::new();
            let mut changes = 0;
            for _ in 0..ROUNDS {
                let t = Instant::now();
                let (a, b) = load(&pa, &pb);
                loads.push(t.elapsed());
                // The validation every load runs (included in the load above), timed alone.
                let tv = Instant::now();
                let valid = otelsnap::session::validate::check(&a)
                    .and_then(|()| otelsnap::session::validate::check(&b));
                checks.push(tv.elapsed());
                assert!(valid.is_ok(), "{valid:?}");
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
            let v = median(checks);
            println!(
                "of which validation of both (median of {ROUNDS}): {v:?} ({:.1}% of the load)",
                100.0 * v.as_secs_f64() / l.as_secs_f64()
            );
            println!("diff + JSON alone (median of {ROUNDS}):    {o:?}");
            println!("load both + diff + JSON (median of {ROUNDS}): {d:?}");
            println!(
                "ratio (load+diff)/load: {:.2} (target ≤ 2)",
                d.as_secs_f64() / l.as_secs_f64()
            );
            println!(
                "max RSS of this process: {} KiB",
                otelsnap_testkit::bench::max_rss_kib()
            );
        }
        _ => {
            eprintln!("usage: bench_diff [gen DIR | load DIR | diff DIR]");
            std::process::exit(2);
        }
    }
}
