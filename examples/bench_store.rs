//! Store benchmark: save and load time and file size for synthetic sessions of 1k, 10k and
//! 50k metrics (5 label keys each, realistic cardinalities, real sketches), bytes per metric,
//! and `list` time over 50 sessions of 50k metrics.
//!
//! Run: `cargo run --release --example bench_store` (optionally `-- --runs N`; default 3).
//! Prints a Markdown report on stdout. Timings are the median of the runs; save includes JSON
//! serialization, gzip, the temp-file write, fsync and the rename; load includes the read,
//! decompression and parsing. `list` is `Store::list` (headers only), measured in-process,
//! and the `otelsnap list` binary when `target/release/otelsnap` (or `$OTELSNAP_BIN`) exists.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

use std::path::Path;
use std::time::{Duration, Instant};

use otelsnap::session::{Limits, Session, SessionName, Store, format};

/// The binary's allocator, so load and save figures are the CLI's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SIZES: [usize; 3] = [1_000, 10_000, 50_000];
const LIST_SESSIONS: usize = 50;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn mib(b: u64) -> String {
    format!("{:.2} MiB", b as f64 / (1024.0 * 1024.0))
}

fn store(dir: &Path) -> Store {
    Store::new(
        Some(dir.to_path_buf()),
        Limits {
            max_sessions: 1_000,
            ..Limits::default()
        },
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let runs: usize = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .max(1);
    let tmp = tempfile::tempdir()?;
    let mut rows = Vec::new();
    let mut largest: Option<(Session, std::path::PathBuf)> = None;
    for &n in &SIZES {
        let t = Instant::now();
        let session = otelsnap_testkit::synth::session(&format!("bench-{n}"), n, 42);
        eprintln!("synth {n}: {:?}", t.elapsed());
        let json_bytes = format::to_json(&session, false).len() as u64;
        let dir = tmp.path().join(format!("s{n}"));
        let st = store(&dir);
        let name = SessionName::parse(&session.id)?;
        let (mut saves, mut loads) = (Vec::new(), Vec::new());
        let mut file_bytes = 0;
        for _ in 0..runs {
            let t = Instant::now();
            let saved = st.save(&session, true)?;
            saves.push(t.elapsed());
            file_bytes = saved.bytes;
            let t = Instant::now();
            let back = st.load(&name)?;
            loads.push(t.elapsed());
            assert!(back.data.metrics.len() == n);
        }
        let label_keys: usize = session
            .data
            .metrics
            .iter()
            .map(|m| m.label_keys.len())
            .sum();
        let series: u64 = session.data.metrics.iter().map(|m| m.active_series).sum();
        rows.push(format!(
            "| {n} | {} | {} | {} | {} | {} | {} | {:.0} |",
            label_keys,
            series,
            ms(median(saves)),
            ms(median(loads)),
            mib(file_bytes),
            mib(json_bytes),
            file_bytes as f64 / n as f64
        ));
        eprintln!("{}", rows.last().map(String::as_str).unwrap_or_default());
        if n == *SIZES.last().unwrap_or(&n) {
            largest = Some((session, st.path_for(&name)));
        }
    }

    // `list` over 50 stored sessions of the largest size: copies of one file under 50 names
    // (list reads only each file's header, so identical bodies cost the same as distinct ones).
    let list_dir = tmp.path().join("list");
    std::fs::create_dir_all(&list_dir)?;
    let (session, src) = largest.ok_or("no sessions")?;
    for i in 0..LIST_SESSIONS {
        std::fs::copy(&src, list_dir.join(format!("bench-{i:02}.json.gz")))?;
    }
    let st = store(&list_dir);
    let mut lists = Vec::new();
    for _ in 0..runs.max(5) {
        let t = Instant::now();
        let entries = st.list()?;
        lists.push(t.elapsed());
        assert!(entries.len() == LIST_SESSIONS && entries.iter().all(|e| e.header.is_ok()));
    }
    let list_in_process = median(lists);
    let bin = otelsnap_testkit::bench::otelsnap_bin();
    let list_binary = if bin.exists() {
        let mut v = Vec::new();
        for _ in 0..runs.max(5) {
            let t = Instant::now();
            let out = std::process::Command::new(&bin)
                .arg("--dir")
                .arg(&list_dir)
                .args(["list", "--format", "json"])
                .output()?;
            v.push(t.elapsed());
            assert!(out.status.success());
        }
        Some(median(v))
    } else {
        None
    };
    // Where the save time goes, on the largest session: JSON serialization, then gzip (the
    // flate2 at levels 1 and 6, the store's encoder before libdeflate).
    let t = Instant::now();
    let json = format::to_json(&session, false);
    let serialize = t.elapsed();
    let mut gz = Vec::new();
    for level in [1u32, 6] {
        use std::io::Write;
        let t = Instant::now();
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
        enc.write_all(&json)?;
        let out = enc.finish()?;
        gz.push((level, t.elapsed(), out.len() as u64));
    }
    let t = Instant::now();
    let parsed: Session = serde_json::from_slice(&json)?;
    let parse = t.elapsed();
    assert!(parsed.data.metrics.len() == session.data.metrics.len());

    let total_bytes: u64 = std::fs::read_dir(&list_dir)?
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum();

    println!("## Session store (`examples/bench_store.rs`)\n");
    println!(
        "Synthetic sessions from `otelsnap_testkit::synth::session(id, n, 42)`: 5 label keys per metric \
         (most with 2-50 values, a few hundred occasionally), 1-3 resource keys, real HLL++ \
         sketches for every key and for active series, value samples, plus {} span names, {} \
         log severities and the attribute catalog. Median of {runs} runs.\n",
        session.data.spans.len(),
        session.data.logs.len()
    );
    println!(
        "| metrics | label keys | active series (sum) | save | load | file (gzip) | JSON | bytes/metric (file) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        println!("{r}");
    }
    println!();
    println!(
        "`list` over {LIST_SESSIONS} sessions of {} metrics ({} on disk): {} (`Store::list`, headers only){}",
        SIZES[SIZES.len() - 1],
        mib(total_bytes),
        ms(list_in_process),
        list_binary
            .map(|d| format!("; {} for the `otelsnap list --format json` process", ms(d)))
            .unwrap_or_default()
    );
    println!();
    println!(
        "Save time breakdown for {} metrics ({} of JSON): serialize {}, parse {}; {}.",
        session.data.metrics.len(),
        mib(json.len() as u64),
        ms(serialize),
        ms(parse),
        gz.iter()
            .map(|(l, d, b)| format!("gzip level {l} {} → {}", ms(*d), mib(*b)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}
