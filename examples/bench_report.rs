//! Benchmark: HTML reports at 50,000 metrics. Size of the report and time until it is
//! interactive in headless Chromium, for the diff of two 50,000-metric sessions with a few
//! hundred changes and for the session view of one of them.
//!
//! `cargo build --release --bin otelsnap && cargo run --release --example bench_report`
//! generates the pair as bench_diff does, writes both reports with `target/release/otelsnap`
//! (or `$OTELSNAP_BIN`), then runs `node tests/browser/run.mjs bench` on them: three page loads
//! each, time from navigation start to the page's `otelsnap-interactive` mark (set once the
//! first view is drawn and its controls work), the time of one filter click after it, and on
//! the session page the time to expand a row to its keys (its chunk is unpacked on demand).
//! Needs what tests/report_browser.rs needs (.ci/install-browser.sh). `bench_report DIR` keeps
//! the files in DIR.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use otelsnap::session::format;
use otelsnap_testkit::synth;

const METRICS: usize = 50_000;
const CHANGES: usize = 300;
/// The targets.
const MAX_BYTES: u64 = 10 * 1024 * 1024;
const MAX_TTI_MS: f64 = 2000.0;

fn run(bin: &Path, args: &[&std::ffi::OsStr]) -> f64 {
    let t = Instant::now();
    let out = Command::new(bin).args(args).output().expect("run otelsnap");
    let secs = t.elapsed().as_secs_f64();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "otelsnap failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    secs
}

fn main() {
    let keep: Option<PathBuf> = std::env::args().nth(1).map(PathBuf::from);
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = keep.clone().unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&dir).expect("create DIR");
    let bin = otelsnap_testkit::bench::otelsnap_bin();
    assert!(
        bin.exists(),
        "{} is missing: cargo build --release --bin otelsnap",
        bin.display()
    );

    let t = Instant::now();
    let a = synth::session("bench-a", METRICS, 1);
    let b = synth::perturb(&a, "bench-b", CHANGES, 2);
    let (pa, pb) = (dir.join("bench-a.json.gz"), dir.join("bench-b.json.gz"));
    std::fs::write(&pa, format::to_gzip(&a)).expect("write bench-a");
    std::fs::write(&pb, format::to_gzip(&b)).expect("write bench-b");
    drop((a, b));
    println!("generated 2 × {METRICS} metrics in {:.1?}", t.elapsed());

    let diff_html = dir.join("diff.html");
    let session_html = dir.join("session.html");
    let diff_secs = run(
        &bin,
        &[
            "diff".as_ref(),
            pa.as_os_str(),
            pb.as_os_str(),
            "--format".as_ref(),
            "html".as_ref(),
            "-o".as_ref(),
            diff_html.as_os_str(),
        ],
    );
    let show_secs = run(
        &bin,
        &[
            "show".as_ref(),
            pb.as_os_str(),
            "--format".as_ref(),
            "html".as_ref(),
            "-o".as_ref(),
            session_html.as_os_str(),
        ],
    );
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    println!(
        "otelsnap diff --format html: {diff_secs:.2} s, {} bytes ({:.2} MiB; target ≤ 10 MiB)",
        size(&diff_html),
        size(&diff_html) as f64 / 1048576.0
    );
    println!(
        "otelsnap show --format html: {show_secs:.2} s, {} bytes ({:.2} MiB; target ≤ 10 MiB)",
        size(&session_html),
        size(&session_html) as f64 / 1048576.0
    );

    let harness = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let out = Command::new("node")
        .current_dir(&harness)
        .arg("run.mjs")
        .arg("bench")
        .arg(&diff_html)
        .arg(&session_html)
        .output()
        .expect("run node (install it, then .ci/install-browser.sh)");
    let text = String::from_utf8_lossy(&out.stdout);
    print!("{text}");
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the browser benchmark failed");
    let mut ok = size(&diff_html) <= MAX_BYTES && size(&session_html) <= MAX_BYTES;
    for line in text.lines() {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(line) {
            let tti = v["median_tti_ms"].as_f64().unwrap_or(f64::MAX);
            println!(
                "{}: median time to interactive {tti:.0} ms (target ≤ {MAX_TTI_MS:.0} ms)",
                v["file"].as_str().unwrap_or("?")
            );
            ok &= tti <= MAX_TTI_MS;
        }
    }
    println!("targets {}", if ok { "met" } else { "NOT met" });
    if keep.is_some() {
        println!("files kept in {}", dir.display());
    }
}
