//! Benchmark: merging ten 10,000-metric sessions, beside loading the same ten in the same run.
//!
//! Run: `cargo build --release --bin otelsnap --example bench_merge &&
//! target/release/examples/bench_merge [N_METRICS N_SESSIONS] [--bin target/release/otelsnap]
//! [--many 100] [--seeds-only]` (`--seeds-only`: the first scenario alone in process)
//!
//! In process, three scenarios: ten sessions from different seeds (mostly different metrics,
//! as when teams capture separately), ten perturbations of one base (the same metrics and keys,
//! as when each replica of a service is captured separately), and ten perturbations changing
//! most metrics (nearly every key a real sketch union). Sessions are saved to a temporary store
//! first; "load" is `Store::load` of all ten (read, gunzip, parse), "merge all loaded" is
//! `merge::merge` of the ten held at once (as `otelsnap merge` did before it folded), "fold" is
//! a `Merger` taking them one at a time, each loaded, folded in and dropped (as `otelsnap
//! merge` does now; its time includes the loads), "save" writes the result. Memory is counted
//! by a wrapping global allocator: the bytes live when a phase starts, and the peak of live
//! bytes during it (RSS would keep what the allocator has not returned). The result is also
//! gzipped every way the store could: flate2 level 6 in one member (before), and libdeflate at
//! levels 1, 6 and 9 in 1 MiB members (bytes and time of each).
//!
//! With `--bin`, whole processes in the same run: `otelsnap merge` of the ten stored sessions
//! against `otelsnap show` of each of the ten (the command that loads a session and does
//! little else), alternately, three rounds each. With `--many M` too: `otelsnap merge` of M
//! replica sessions (10,000 metrics each, written as files) under `/usr/bin/time -v`, with its
//! peak RSS, beside the merge of 2 and of 10 of them.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

use std::alloc::{GlobalAlloc, Layout};

use mimalloc::MiMalloc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use otelsnap::merge::{MergeOptions, Merger, merge};
use otelsnap::session::{Limits, Session, SessionName, Store, format};
use otelsnap_testkit::synth;

/// Counts live heap bytes and their peak, over the binary's allocator (mimalloc).
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: defers to mimalloc; only adds bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { MiMalloc.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { MiMalloc.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { MiMalloc.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let now = LIVE.fetch_add(new_size - layout.size(), Ordering::Relaxed)
                    + (new_size - layout.size());
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn mib(bytes: usize) -> f64 {
    bytes as f64 / 1048576.0
}

struct Phase {
    secs: f64,
    before: usize,
    peak: usize,
}

fn phase<T>(f: impl FnOnce() -> T) -> (T, Phase) {
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let start = Instant::now();
    let out = f();
    let secs = start.elapsed().as_secs_f64();
    (
        out,
        Phase {
            secs,
            before,
            peak: PEAK.load(Ordering::Relaxed),
        },
    )
}

fn slug(label: &str) -> String {
    label
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// Runs one scenario; returns the names stored and the merged result.
fn run(label: &str, sessions: Vec<Session>, store: &Store) -> (Vec<SessionName>, Session) {
    let names: Vec<SessionName> = sessions
        .iter()
        .map(|s| SessionName::parse(&s.id).expect("synthetic ids are valid names"))
        .collect();
    let mut bytes = 0;
    for s in &sessions {
        bytes += store.save(s, true).expect("save").bytes;
    }
    let metrics: usize = sessions.iter().map(|s| s.data.metrics.len()).sum();
    drop(sessions);
    let opts = || {
        let mut o = MergeOptions::new(format!("{}-merged", slug(label)));
        o.description = Some(label.to_string());
        o
    };

    let (loaded, load) = phase(|| {
        names
            .iter()
            .map(|n| store.load(n).expect("load"))
            .collect::<Vec<_>>()
    });
    let (out, mrg) = phase(|| merge(&loaded, &opts()).expect("merge"));
    drop(loaded);
    drop(out);
    let (folded, fold) = phase(|| {
        let mut m = Merger::new(opts());
        for n in &names {
            m.add(store.load(n).expect("load")).expect("fold");
        }
        assert_eq!(m.rerun_samples(), None);
        m.finish().expect("finish")
    });
    let (saved, save) = phase(|| store.save(&folded.session, true).expect("save"));
    let s = &folded.session;
    println!("## {label}");
    println!(
        "sources: {} sessions, {} metrics in all, {:.1} MiB gzipped on disk",
        names.len(),
        metrics,
        bytes as f64 / 1048576.0
    );
    println!(
        "result:  {} metrics, {} attributes, {} sketches decoded, {} warnings, {:.1} MiB gzipped",
        s.data.metrics.len(),
        s.data.attributes.len(),
        folded.sketches_decoded,
        folded.warnings.len(),
        saved.bytes as f64 / 1048576.0
    );
    for (name, p) in [
        ("load x10", &load),
        ("merge all loaded", &mrg),
        ("fold (load, fold, drop)", &fold),
        ("save result", &save),
    ] {
        println!(
            "{name:<24} {:>8.3} s   peak heap {:>7.1} MiB (live before {:>7.1} MiB, +{:.1} MiB)",
            p.secs,
            mib(p.peak),
            mib(p.before),
            mib(p.peak.saturating_sub(p.before))
        );
    }
    println!(
        "(load + merge all loaded) / load: {:.2}; fold / load: {:.2}; (fold + save) / load: {:.2}",
        (load.secs + mrg.secs) / load.secs,
        fold.secs / load.secs,
        (fold.secs + save.secs) / load.secs
    );
    println!();
    (names, folded.session)
}

/// The result gzipped every way the store could: bytes and time of each.
fn gzip_options(s: &Session) {
    let json = format::to_json(s, false);
    println!(
        "## gzip of the merged result ({:.1} MiB of JSON)",
        json.len() as f64 / 1048576.0
    );
    let time = |f: &dyn Fn() -> Vec<u8>| {
        let start = Instant::now();
        let out = f();
        (out.len(), start.elapsed().as_secs_f64())
    };
    let (base, base_secs) = time(&|| format::gzip_with_header(&json, None));
    println!("flate2 level 6, one member (before)   {base:>11} bytes  {base_secs:>7.3} s");
    for level in [1, 6, 9] {
        let (n, secs) = time(&|| otelsnap::gzip::compress_at(level, &json, &[]));
        println!(
            "libdeflate level {level}, 1 MiB members    {n:>11} bytes  {secs:>7.3} s  ({:+.1}% bytes, {:.1}x faster)",
            (n as f64 / base as f64 - 1.0) * 100.0,
            base_secs / secs
        );
    }
    let (n, secs) = time(&|| format::to_gzip(s));
    println!("to_gzip (serialize + level 6 members) {n:>11} bytes  {secs:>7.3} s");
    println!();
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs a command; its wall time.
fn timed(cmd: &mut std::process::Command) -> f64 {
    let start = Instant::now();
    let out = cmd.output().expect("run otelsnap");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    start.elapsed().as_secs_f64()
}

/// Whole processes: `otelsnap merge` of the ten against `otelsnap show` of each, alternately.
fn whole_processes(bin: &str, store: &Store, names: &[SessionName]) {
    let dir = store.dir.to_str().expect("utf-8 temp dir");
    let (mut merges, mut loads) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        let mut load = 0.0;
        for n in names {
            load += timed(
                std::process::Command::new(bin)
                    .args(["--dir", dir, "--quiet", "show", n.as_str()])
                    .stdout(std::process::Stdio::null()),
            );
        }
        loads.push(load);
        let mut args = vec!["--dir", dir, "--quiet", "merge"];
        args.extend(names.iter().map(SessionName::as_str));
        args.extend(["-o", "whole-merged", "--force"]);
        merges.push(timed(std::process::Command::new(bin).args(&args)));
    }
    let (m, l) = (median(merges.clone()), median(loads.clone()));
    println!("## whole processes, {} sessions", names.len());
    println!("`otelsnap show` of each (load) {loads:.3?} s, median {l:.3} s");
    println!("`otelsnap merge` of all        {merges:.3?} s, median {m:.3} s");
    println!("merge / load: {:.2}", m / l);
    println!();
}

/// `/usr/bin/time -v otelsnap merge` of replica files: wall seconds and peak RSS in MiB.
fn merge_rss(bin: &str, store_dir: &str, files: &[String], out: &str) -> (f64, f64) {
    let mut args: Vec<&str> = vec!["-v", bin, "--dir", store_dir, "--quiet", "merge"];
    args.extend(files.iter().map(String::as_str));
    args.extend(["-o", out, "--force"]);
    let start = Instant::now();
    let o = std::process::Command::new("/usr/bin/time")
        .args(&args)
        .output()
        .expect("/usr/bin/time");
    let secs = start.elapsed().as_secs_f64();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    let kb: f64 = err
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|v| v.trim().parse().ok())
        .expect("peak RSS in /usr/bin/time -v output");
    (secs, kb / 1024.0)
}

/// Merges of 2, 10 and `many` replica sessions of `n_metrics` metrics, as files.
fn many(bin: &str, n_metrics: usize, many: u64) {
    let dir = tempfile::tempdir().expect("temp dir");
    let base = synth::session("base", n_metrics, 42);
    let mut files = Vec::new();
    let mut bytes = 0u64;
    for i in 1..=many {
        let s = synth::perturb(&base, &format!("replica-{i}"), 300, 100 + i);
        let gz = format::to_gzip(&s);
        bytes += gz.len() as u64;
        let p = dir.path().join(format!("replica-{i}.json.gz"));
        std::fs::write(&p, gz).expect("write replica");
        files.push(p.to_str().expect("utf-8 temp dir").to_string());
    }
    drop(base);
    let store_dir = dir.path().join("store");
    let store_dir = store_dir.to_str().expect("utf-8 temp dir");
    println!(
        "## `otelsnap merge` of replica files ({n_metrics} metrics each, {:.1} MiB gzipped in all)",
        bytes as f64 / 1048576.0
    );
    for n in [2usize, 10, many as usize] {
        let (secs, rss) = merge_rss(bin, store_dir, &files[..n], &format!("merged-{n}"));
        println!("{n:>4} sources: {secs:>7.2} s, peak RSS {rss:>7.1} MiB");
    }
    println!();
}

/// What one union step costs, to read the merge figures by: decode, merge, estimate, encode.
fn sketch_costs() {
    use otelsnap::sketch::Sketch;
    for (label, n) in [
        ("sparse (50 values)", 50u32),
        ("dense (50,000 values)", 50_000),
    ] {
        let mut s = Sketch::new();
        for i in 0..n {
            s.insert(format!("v{i}").as_bytes());
        }
        let data = s.to_data();
        let rounds = 2_000;
        let start = Instant::now();
        for _ in 0..rounds {
            std::hint::black_box(Sketch::from_data(&data).expect("decode"));
        }
        let decode = start.elapsed().as_secs_f64() / f64::from(rounds) * 1e6;
        let start = Instant::now();
        for _ in 0..rounds {
            let mut a = s.clone();
            a.merge(&s);
            std::hint::black_box(a.estimate());
            std::hint::black_box(a.to_data());
        }
        let rest = start.elapsed().as_secs_f64() / f64::from(rounds) * 1e6;
        println!("sketch {label}: decode {decode:.1} µs, merge+estimate+encode {rest:.1} µs");
    }
    println!();
}

fn main() {
    let mut positional = Vec::new();
    let (mut bin, mut many_n, mut seeds_only) = (None, None, false);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--bin" => bin = args.next(),
            "--many" => many_n = args.next().and_then(|v| v.parse::<u64>().ok()),
            "--seeds-only" => seeds_only = true,
            _ => positional.push(a),
        }
    }
    let n_metrics: usize = positional
        .first()
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let n_sessions: u64 = positional.get(1).and_then(|a| a.parse().ok()).unwrap_or(10);
    let dir = tempfile::tempdir().expect("temp dir");
    let limits = Limits {
        max_sessions: 1000,
        ..Limits::default()
    };
    let store = Store::new(Some(dir.path().to_path_buf()), limits);
    println!(
        "# bench_merge: {n_sessions} sessions x {n_metrics} metrics ({} cores, {})\n",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        std::env::consts::ARCH
    );

    sketch_costs();

    let seeds: Vec<Session> = (1..=n_sessions)
        .map(|i| synth::session(&format!("seed-{i}"), n_metrics, i))
        .collect();
    let (seed_names, merged) = run("different seeds", seeds, &store);
    gzip_options(&merged);
    drop(merged);

    if !seeds_only {
        let base = synth::session("base", n_metrics, 42);
        let replicas: Vec<Session> = (1..=n_sessions)
            .map(|i| synth::perturb(&base, &format!("replica-{i}"), 300, 100 + i))
            .collect();
        run("replicas of one base", replicas, &store);

        // Every replica changes most metrics: nearly every key is a union of differing sketches.
        let replicas: Vec<Session> = (1..=n_sessions)
            .map(|i| synth::perturb(&base, &format!("busy-{i}"), n_metrics, 200 + i))
            .collect();
        drop(base);
        run("replicas, most keys differing", replicas, &store);
    }

    if let Some(bin) = &bin {
        whole_processes(bin, &store, &seed_names);
        if let Some(m) = many_n {
            many(bin, n_metrics, m);
        }
    }
}
