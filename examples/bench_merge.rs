//! Benchmark: merging ten 10,000-metric sessions, beside loading the same ten in the same run.
//!
//! Run: `cargo build --release --bin otelsnap --example bench_merge &&
//! target/release/examples/bench_merge [N_METRICS N_SESSIONS] [--bin target/release/otelsnap]
//! [--many 100 [--many-metrics M]] [--seeds-only] [--whole-only] [--base-bin OTHER]
//! [--rounds 3] [--dir DIR]`
//! (`--seeds-only`: the first scenario alone in process; `--whole-only`: no in-process phases,
//! only the whole processes, also for `--many`; `--base-bin`: another build's `merge`
//! alternated with this one's in each round, a same-run baseline; `--rounds 0`: no whole-process rounds; `--dir`: keep the
//! store there and reuse its sessions; `--many-metrics`: metrics per replica of `--many`)
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
//! levels 1 to 6 and 9 in 1 MiB members (bytes and time of each).
//!
//! With `--bin`, whole processes in the same run: `otelsnap merge` of the ten stored sessions
//! against `otelsnap show` of each of the ten (the command that loads a session and does
//! little else), alternately, three rounds each. With `--many M` too: `otelsnap merge` of M
//! replica sessions (10,000 metrics each unless `--many-metrics`, written as files) under
//! `/usr/bin/time -v`, with its peak RSS, beside the merge of 2 and of 10 of them and `show` of
//! one; then in process, folding them against merging all of them loaded at once (peak heap).

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
    for level in [1, 2, 3, 4, 5, 6, 9] {
        let (n, secs) = time(&|| otelsnap::gzip::compress_at(level, &json, &[]));
        println!(
            "libdeflate level {level}, 1 MiB members    {n:>11} bytes  {secs:>7.3} s  ({:+.1}% bytes, {:.1}x faster)",
            (n as f64 / base as f64 - 1.0) * 100.0,
            base_secs / secs
        );
    }
    let (n, secs) = time(&|| format::to_gzip(s));
    println!(
        "to_gzip (serialize + level {} members) {n:>11} bytes  {secs:>7.3} s",
        otelsnap::gzip::LEVEL
    );
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

/// Whole processes: `otelsnap merge` of the ten against `otelsnap show` of each, alternately,
/// `rounds` times; with `base`, that binary's merge too in each round (a same-run baseline),
/// and the two results compared byte for byte.
fn whole_processes(
    bin: &str,
    base: Option<&str>,
    rounds: usize,
    store: &Store,
    names: &[SessionName],
) {
    let dir = store.dir.to_str().expect("utf-8 temp dir");
    let (mut merges, mut loads, mut bases) = (Vec::new(), Vec::new(), Vec::new());
    let merge_with = |bin: &str, out: &str| {
        let mut args = vec!["--dir", dir, "--quiet", "merge"];
        args.extend(names.iter().map(SessionName::as_str));
        args.extend(["-o", out, "--force"]);
        timed(std::process::Command::new(bin).args(&args))
    };
    for round in 0..rounds {
        let mut load = 0.0;
        for n in names {
            load += timed(
                std::process::Command::new(bin)
                    .args(["--dir", dir, "--quiet", "show", n.as_str()])
                    .stdout(std::process::Stdio::null()),
            );
        }
        loads.push(load);
        // Alternate which merge goes first, so neither always follows the loads.
        if let Some(b) = base.filter(|_| round % 2 == 1) {
            bases.push(merge_with(b, "base-merged"));
        }
        merges.push(merge_with(bin, "whole-merged"));
        if let Some(b) = base.filter(|_| round % 2 == 0) {
            bases.push(merge_with(b, "base-merged"));
        }
    }
    let (m, l) = (median(merges.clone()), median(loads.clone()));
    println!("## whole processes, {} sessions", names.len());
    println!("`otelsnap show` of each (load) {loads:.3?} s, median {l:.3} s");
    println!("`otelsnap merge` of all        {merges:.3?} s, median {m:.3} s");
    println!("merge / load: {:.2}", m / l);
    if !bases.is_empty() {
        let b = median(bases.clone());
        println!(
            "baseline `merge` ({})      {bases:.3?} s, median {b:.3} s",
            base.unwrap_or("")
        );
        println!(
            "baseline merge / load: {:.2}; merge / baseline merge: {:.2}",
            b / l,
            m / b
        );
        // Each run stamps its own creation time and was given its own id; everything else
        // must be the same bytes.
        let json = |n: &str, created| {
            let mut s = store
                .load(&SessionName::parse(n).expect("valid name"))
                .expect("load");
            s.created = created;
            s.id.clear();
            format::to_json(&s, false)
        };
        let created = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
        let same = json("whole-merged", created) == json("base-merged", created);
        println!("results the same JSON as the baseline's (id and creation time aside): {same}");
    }
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
    (secs, peak_rss(&err))
}

/// Merges of 2, 10 and `many` replica sessions of `n_metrics` metrics, as files: whole
/// processes (this build and, with `base`, the baseline build) with their peak RSS beside
/// `show` of one replica; then in process, the peak heap of folding them one at a time against
/// merging all of them loaded at once.
fn many(bin: &str, base: Option<&str>, n_metrics: usize, many: u64, whole_only: bool) {
    let dir = tempfile::tempdir().expect("temp dir");
    let base_session = synth::session("base", n_metrics, 42);
    let mut files = Vec::new();
    let mut bytes = 0u64;
    for i in 1..=many {
        let s = synth::perturb(&base_session, &format!("replica-{i}"), 300, 100 + i);
        let gz = format::to_gzip(&s);
        bytes += gz.len() as u64;
        let p = dir.path().join(format!("replica-{i}.json.gz"));
        std::fs::write(&p, gz).expect("write replica");
        files.push(p.to_str().expect("utf-8 temp dir").to_string());
    }
    drop(base_session);
    let store_dir = dir.path().join("store");
    let store_dir = store_dir.to_str().expect("utf-8 temp dir");
    println!(
        "## `otelsnap merge` of replica files ({n_metrics} metrics each, {:.1} MiB gzipped in all)",
        bytes as f64 / 1048576.0
    );
    let (secs, rss) = show_rss(bin, &files[0]);
    println!("show of one replica: {secs:>7.2} s, peak RSS {rss:>7.1} MiB");
    for n in [2usize, 10, many as usize] {
        let (secs, rss) = merge_rss(bin, store_dir, &files[..n], &format!("merged-{n}"));
        print!("{n:>4} sources: {secs:>7.2} s, peak RSS {rss:>7.1} MiB");
        if let Some(b) = base {
            let (bsecs, brss) = merge_rss(b, store_dir, &files[..n], &format!("base-{n}"));
            print!("   (baseline build: {bsecs:>7.2} s, peak RSS {brss:>7.1} MiB)");
        }
        println!();
    }
    if whole_only {
        return;
    }
    // In process: the sources decoded from their files, as `otelsnap merge` reads them.
    let limits = Limits::default().read();
    let read =
        |f: &String| format::decode(&std::fs::read(f).expect("read"), &limits, f).expect("decode");
    let opts = || MergeOptions::new("many-merged");
    let (folded, fold) = phase(|| {
        let mut m = Merger::new(opts());
        for f in &files {
            m.add(read(f)).expect("fold");
        }
        m.finish().expect("finish")
    });
    let result = mib(LIVE.load(Ordering::Relaxed).saturating_sub(fold.before));
    drop(folded);
    let (loaded, load) = phase(|| files.iter().map(read).collect::<Vec<_>>());
    let (all, mrg) = phase(|| merge(&loaded, &opts()).expect("merge"));
    drop((all, loaded));
    println!("in process, {many} sources (heap; the result alone holds {result:.1} MiB):");
    for (name, p) in [
        ("fold (load, fold, drop each)", &fold),
        (&format!("load all {many}") as &str, &load),
        ("merge all loaded", &mrg),
    ] {
        println!(
            "{name:<30} {:>8.3} s   peak heap {:>7.1} MiB (live before {:>7.1} MiB)",
            p.secs,
            mib(p.peak),
            mib(p.before)
        );
    }
    println!();
}

/// `/usr/bin/time -v otelsnap show` of one file: wall seconds and peak RSS in MiB.
fn show_rss(bin: &str, file: &str) -> (f64, f64) {
    let start = Instant::now();
    let o = std::process::Command::new("/usr/bin/time")
        .args(["-v", bin, "--quiet", "show", file])
        .output()
        .expect("/usr/bin/time");
    let secs = start.elapsed().as_secs_f64();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    (secs, peak_rss(&err))
}

/// The peak RSS `/usr/bin/time -v` reports, in MiB.
fn peak_rss(err: &str) -> f64 {
    let kb: f64 = err
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|v| v.trim().parse().ok())
        .expect("peak RSS in /usr/bin/time -v output");
    kb / 1024.0
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
    let (mut base_bin, mut keep_dir, mut whole_only, mut rounds) = (None, None, false, 3);
    let mut many_metrics = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--bin" => bin = args.next(),
            "--base-bin" => base_bin = args.next(),
            "--dir" => keep_dir = args.next(),
            "--rounds" => rounds = args.next().and_then(|v| v.parse().ok()).unwrap_or(3),
            "--many" => many_n = args.next().and_then(|v| v.parse::<u64>().ok()),
            "--many-metrics" => many_metrics = args.next().and_then(|v| v.parse().ok()),
            "--seeds-only" => seeds_only = true,
            "--whole-only" => whole_only = true,
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
    let store_dir = keep_dir.map_or_else(|| dir.path().to_path_buf(), std::path::PathBuf::from);
    let store = Store::new(Some(store_dir), limits);
    println!(
        "# bench_merge: {n_sessions} sessions x {n_metrics} metrics ({} cores, {})\n",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        std::env::consts::ARCH
    );

    let seed_name = |i: u64| SessionName::parse(&format!("seed-{i}")).expect("valid name");
    let seed_names: Vec<SessionName> = if whole_only {
        // Only the stored sessions are needed; those already in `--dir` are reused.
        (1..=n_sessions)
            .map(|i| {
                let n = seed_name(i);
                if !store.path_for(&n).exists() {
                    let s = synth::session(n.as_str(), n_metrics, i);
                    store.save(&s, true).expect("save");
                }
                n
            })
            .collect()
    } else {
        sketch_costs();
        let seeds: Vec<Session> = (1..=n_sessions)
            .map(|i| synth::session(seed_name(i).as_str(), n_metrics, i))
            .collect();
        let (seed_names, merged) = run("different seeds", seeds, &store);
        gzip_options(&merged);
        seed_names
    };

    if !seeds_only && !whole_only {
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
        if rounds > 0 {
            whole_processes(bin, base_bin.as_deref(), rounds, &store, &seed_names);
        }
        if let Some(m) = many_n {
            many(
                bin,
                base_bin.as_deref(),
                many_metrics.unwrap_or(n_metrics),
                m,
                whole_only,
            );
        }
    }
}
