//! Benchmark: merging ten 10,000-metric sessions, beside loading the same ten in the same run.
//!
//! Run: `cargo run --release --example bench_merge [-- N_METRICS N_SESSIONS]`
//!
//! Two scenarios: ten sessions from different seeds (mostly different metrics, as when teams
//! capture separately), and ten perturbations of one base (the same metrics and keys, as when
//! each replica of a service is captured separately: every key is a real sketch union).
//! Sessions are saved to a temporary store first; "load" is `Store::load` of all ten (read,
//! gunzip, parse), "merge" is the pure merge of the loaded sessions, "save" writes the result.
//! Memory is counted by a wrapping global allocator: the bytes live when a phase starts, and
//! the peak of live bytes during it (RSS would keep what the allocator has not returned).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

use std::alloc::{GlobalAlloc, Layout};

use mimalloc::MiMalloc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use otelsnap::merge::{MergeOptions, merge};
use otelsnap::session::{Limits, Session, SessionName, Store};
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

fn run(label: &str, sessions: Vec<Session>, store: &Store) {
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

    let (loaded, load) = phase(|| {
        names
            .iter()
            .map(|n| store.load(n).expect("load"))
            .collect::<Vec<_>>()
    });
    let (out, mrg) = phase(|| {
        let mut o = MergeOptions::new(format!(
            "{}-merged",
            label
                .split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join("-")
        ));
        o.description = Some(label.to_string());
        merge(&loaded, &o).expect("merge")
    });
    let (saved, save) = phase(|| store.save(&out.session, true).expect("save"));
    let s = &out.session;
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
        out.sketches_decoded,
        out.warnings.len(),
        saved.bytes as f64 / 1048576.0
    );
    for (name, p) in [("load x10", &load), ("merge", &mrg), ("save result", &save)] {
        println!(
            "{name:<12} {:>8.3} s   peak heap {:>7.1} MiB (live before {:>7.1} MiB, +{:.1} MiB)",
            p.secs,
            mib(p.peak),
            mib(p.before),
            mib(p.peak.saturating_sub(p.before))
        );
    }
    println!("merge / load time: {:.2}", mrg.secs / load.secs);
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
    let mut args = std::env::args().skip(1);
    let n_metrics: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let n_sessions: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
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
    run("different seeds", seeds, &store);

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
