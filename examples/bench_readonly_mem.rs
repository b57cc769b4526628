//! Benchmark: peak memory (RSS) per metric of the read-only commands, `diff` and `show`, as
//! whole processes, for one or more builds of `otelsnap` alternated in the same run (issue #15).
//!
//! ```text
//! cargo build --release --bin otelsnap --example bench_readonly_mem
//! bench_readonly_mem gen DIR 200000        # DIR/a.json.gz and DIR/b.json.gz (perturbed)
//! bench_readonly_mem gen DIR 100000 20     # 20 label keys per metric instead of 5
//! bench_readonly_mem big DIR 500000        # DIR/big.json.gz, written streamed (little memory)
//! bench_readonly_mem run DIR ROUNDS BIN…   # alternates the builds; prints wall and peak RSS
//! bench_readonly_mem heap DIR               # in process: heap kept per metric by each load
//! ```
//!
//! `run` times `BIN diff DIR/a.json.gz DIR/b.json.gz --format json` and
//! `BIN show DIR/a.json.gz --format json` with size limits raised far above the files (so an
//! older build with smaller defaults reads them too); `OTELSNAP_DEFAULT_LIMITS=1` runs them
//! with the builds' default limits instead (to show what a default accepts).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark stops on what it cannot set up

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use otelsnap::session::{KeyStatsMap, MetricMeta, Session, format};
use otelsnap_testkit::counting_alloc::{self, Counting};
use otelsnap_testkit::synth;

// Counts this process's heap for `heap`; `run` measures child processes, which it does not touch.
#[global_allocator]
static A: Counting = Counting;

/// Adds `extra` label keys to every metric, copies of its existing ones under new names, so a
/// session has `5 + extra` label keys per metric with realistic statistics.
fn widen(s: &mut Session, extra: usize) {
    if extra == 0 {
        return;
    }
    for m in &mut s.data.metrics {
        let base: Vec<_> = m.label_keys.values().cloned().collect();
        let mut keys: KeyStatsMap = std::mem::take(&mut m.label_keys);
        for j in 0..extra {
            keys.insert(format!("extra.label.{j:02}"), base[j % base.len()].clone());
        }
        m.label_keys = keys;
    }
    s.canonicalize();
}

fn generate(dir: &Path, n: usize, extra: usize) {
    let mut a = synth::session("mem-a", n, 1);
    widen(&mut a, extra);
    std::fs::write(dir.join("a.json.gz"), format::to_gzip(&a)).expect("write a");
    let b = synth::perturb(&a, "mem-b", 300, 2);
    drop(a);
    std::fs::write(dir.join("b.json.gz"), format::to_gzip(&b)).expect("write b");
}

/// A session of `n` metrics written streamed: copies of a 10,000-metric synthetic session's
/// metrics under distinct prefixes, so generating it never holds more than the small one.
fn generate_big(dir: &Path, n: usize) {
    const UNIT: usize = 10_000;
    let small = synth::session("mem-big", UNIT, 7);
    let mut shell = small.clone();
    shell.data.metrics.clear();
    shell.data.attributes.clear();
    shell.stats.metrics_count = n as u64;
    let rounds = n.div_ceil(UNIT);
    let metrics = (0..rounds)
        .flat_map(|r| small.data.metrics.iter().map(move |m| (r, m)))
        .take(n)
        .map(|(r, m)| MetricMeta {
            name: format!("r{r:03}.{}", m.name),
            ..m.clone()
        });
    let gz = format::to_gzip_streaming(&shell, metrics, small.data.attributes.iter().cloned());
    std::fs::write(dir.join("big.json.gz"), gz).expect("write big");
}

/// Runs `program args` to its end; returns its wall time, peak RSS (KiB, from wait4) and exit code.
// The child is reaped by wait4 (which also gives its rusage), not by `Child::wait`.
#[allow(clippy::zombie_processes)]
fn run_process(program: &Path, args: &[String]) -> (Duration, i64, i32) {
    let t = Instant::now();
    let child = std::process::Command::new(program)
        .args(args)
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
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    (t.elapsed(), ru.ru_maxrss, code)
}

/// The metric count from the file's gzip header: loading the session here would raise this
/// process's peak RSS, which Linux reports for its children too.
fn metrics_in(p: &Path) -> u64 {
    let mut head = vec![0u8; 1 << 16];
    let n = std::io::Read::read(&mut std::fs::File::open(p).expect("open"), &mut head).unwrap();
    format::read_header(&head[..n])
        .expect("a session header")
        .stats
        .metrics_count
}

fn run(dir: &Path, rounds: usize, bins: &[PathBuf]) {
    let a = dir.join("a.json.gz");
    let b = dir.join("b.json.gz");
    let big = dir.join("big.json.gz");
    let mut limits: Vec<String> = vec![
        "--max-session-size".into(),
        "64GiB".into(),
        "--max-decompressed".into(),
        "64GiB".into(),
    ];
    if std::env::var_os("OTELSNAP_DEFAULT_LIMITS").is_some() {
        limits.clear();
    }
    let mut cases: Vec<(&str, Vec<String>, u64)> = Vec::new();
    if a.exists() && b.exists() {
        let n = metrics_in(&a);
        let mut diff = vec!["diff".to_string(), a.display().to_string()];
        diff.extend([b.display().to_string(), "--format".into(), "json".into()]);
        diff.extend(limits.iter().cloned());
        cases.push(("diff a b", diff, n));
        let mut show = vec!["show".to_string(), a.display().to_string()];
        show.extend(["--format".into(), "json".into()]);
        show.extend(limits.iter().cloned());
        cases.push(("show a", show, n));
    }
    if big.exists() {
        let n = metrics_in(&big);
        let mut show = vec!["show".to_string(), big.display().to_string()];
        show.extend(["--format".into(), "json".into()]);
        show.extend(limits.iter().cloned());
        cases.push(("show big", show, n));
    }
    println!("| case | build | round | wall | peak RSS | per metric (per session) | exit |");
    println!("|---|---|---:|---:|---:|---:|---:|");
    for round in 1..=rounds {
        for (name, args, n) in &cases {
            for bin in bins {
                let (wall, rss, code) = run_process(bin, args);
                let sessions = if name.starts_with("diff") { 2 } else { 1 };
                let per = rss as f64 * 1024.0 / (*n as f64 * sessions as f64);
                println!(
                    "| {name} ({n} metrics) | {} | {round} | {:.2} s | {:.0} MiB | {:.0} B | {code} |",
                    bin.file_name().unwrap_or_default().to_string_lossy(),
                    wall.as_secs_f64(),
                    rss as f64 / 1024.0,
                    per
                );
            }
        }
    }
}

/// Heap bytes a load of `DIR/a.json.gz` keeps, per metric, and the peak beyond it: for the two
/// read-only loads (`diff`'s and `show`'s) and the full one (`merge`'s), in this build.
fn heap(dir: &Path) {
    use otelsnap::session::{estimates_only, store, without_sketch_data};
    let a = dir.join("a.json.gz");
    let lim = format::ReadLimits {
        max_file: u64::MAX,
        max_decompressed: u64::MAX,
    };
    let read = || store::read_file(&a, &lim);
    let loads: [(&str, &dyn Fn() -> Session); 3] = [
        ("estimates only (diff)", &|| {
            estimates_only(read).expect("load")
        }),
        ("without sketch data (show)", &|| {
            without_sketch_data(read).expect("load")
        }),
        ("full (merge)", &|| read().expect("load")),
    ];
    println!("| load | metrics | kept | per metric | peak beyond kept | time |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (name, load) in loads {
        let before = counting_alloc::reset_peak();
        let t = Instant::now();
        let s = load();
        let wall = t.elapsed();
        let kept = counting_alloc::live() - before;
        let peak = counting_alloc::peak() - before;
        let n = s.data.metrics.len().max(1);
        println!(
            "| {name} | {n} | {:.1} MiB | {:.0} B | {:.1} MiB | {:.2} s |",
            kept as f64 / 1048576.0,
            kept as f64 / n as f64,
            (peak - kept) as f64 / 1048576.0,
            wall.as_secs_f64()
        );
        drop(s);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [mode, dir, n] if mode == "gen" => generate(Path::new(dir), n.parse().unwrap(), 0),
        [mode, dir, n, extra] if mode == "gen" => {
            generate(Path::new(dir), n.parse().unwrap(), extra.parse().unwrap())
        }
        [mode, dir, n] if mode == "big" => generate_big(Path::new(dir), n.parse().unwrap()),
        [mode, dir] if mode == "heap" => heap(Path::new(dir)),
        [mode, dir, rounds, bins @ ..] if mode == "run" && !bins.is_empty() => run(
            Path::new(dir),
            rounds.parse().unwrap(),
            &bins.iter().map(PathBuf::from).collect::<Vec<_>>(),
        ),
        _ => {
            eprintln!(
                "usage: bench_readonly_mem gen DIR N [EXTRA_LABELS] | big DIR N | run DIR ROUNDS BIN… | heap DIR"
            );
            std::process::exit(2);
        }
    }
}
