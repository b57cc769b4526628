//! The HTML reports in a real browser: headless Chromium, driven by tests/browser/run.mjs
//! (puppeteer-core), over reports this test generates with the real binary from the bundled
//! fixture pair and from a pair whose names carry markup. Screenshots at 1280 and 390 pixels
//! wide go to target/report-screenshots/.
//!
//! Needs `node`, Chromium (`/usr/bin/chromium` or `$OTELSNAP_CHROMIUM`) and
//! `npm ci` in tests/browser: `.ci/install-browser.sh` installs them. Without them this test
//! prints a loud SKIPPED line and passes, unless `OTELSNAP_REQUIRE_BROWSER=1` (set by .ci/run),
//! where it fails.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

#[path = "common/report.rs"]
mod report;

use std::path::{Path, PathBuf};
use std::process::Command;

use report::*;

fn harness_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

fn chromium() -> PathBuf {
    std::env::var_os("OTELSNAP_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

/// What is missing for the browser tests, if anything.
fn missing_browser() -> Option<String> {
    if Command::new("node").arg("--version").output().is_err() {
        return Some("node is not installed".into());
    }
    if !harness_dir().join("node_modules/puppeteer-core").is_dir() {
        return Some("puppeteer-core is not installed (npm ci in tests/browser)".into());
    }
    if !chromium().exists() {
        return Some(format!("{} does not exist", chromium().display()));
    }
    None
}

/// Skips loudly, or fails when the environment demands a browser.
fn skip(reason: &str) {
    let msg = format!(
        "SKIPPED: HTML report browser tests NOT RUN: {reason}. Run .ci/install-browser.sh to install Chromium and puppeteer-core."
    );
    if std::env::var("OTELSNAP_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
        panic!("{msg} (OTELSNAP_REQUIRE_BROWSER=1 makes this a failure)");
    }
    // Straight to the process's stderr: libtest captures print!/eprint! of passing tests, and
    // this line must be seen in every run.
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "\n!!!!!!!! {msg}\n");
}

fn run(bin: &Path, dir: &Path, args: &[&str]) {
    let out = Command::new(bin)
        .arg("--dir")
        .arg(dir.join("sessions"))
        .env_remove("OTELSNAP_RULES")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "otelsnap {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn node(args: &[&str]) -> (i32, String) {
    let out = Command::new("node")
        .current_dir(harness_dir())
        .arg("run.mjs")
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn screenshots_dir() -> PathBuf {
    // CARGO_TARGET_TMPDIR is <target>/tmp: the screenshots go beside it, in <target>.
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).join("report-screenshots")
}

#[test]
fn reports_work_in_headless_chromium() {
    if let Some(reason) = missing_browser() {
        skip(&reason);
        return;
    }
    let bin = assert_cmd::cargo::cargo_bin("otelsnap");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let v1 = fixture("checkout-v1.json.gz").display().to_string();
    let v2 = fixture("checkout-v2.json.gz").display().to_string();
    let p = |n: &str| d.join(n).display().to_string();
    run(
        &bin,
        d,
        &[
            "diff",
            &v1,
            &v2,
            "--fail-on",
            "never",
            "--format",
            "html",
            "-o",
            &p("diff.html"),
        ],
    );
    run(
        &bin,
        d,
        &["show", &v2, "--format", "html", "-o", &p("session.html")],
    );
    let (xa, xb) = markup_pair(&bin, d);
    let (xa, xb) = (xa.display().to_string(), xb.display().to_string());
    run(
        &bin,
        d,
        &[
            "diff",
            &xa,
            &xb,
            "--fail-on",
            "never",
            "--format",
            "html",
            "-o",
            &p("xss-diff.html"),
        ],
    );
    run(
        &bin,
        d,
        &[
            "show",
            &xb,
            "--format",
            "html",
            "-o",
            &p("xss-session.html"),
        ],
    );
    // Big enough that the items are packed (gzip + base64), small enough for a debug build.
    let large = 1_500;
    let a = otelsnap_testkit::synth::session("large-a", large, 3);
    let b = otelsnap_testkit::synth::perturb(&a, "large-b", 40, 4);
    for (s, f) in [(&a, "large-a.json.gz"), (&b, "large-b.json.gz")] {
        std::fs::write(d.join(f), otelsnap::session::format::to_gzip(s)).unwrap();
    }
    run(
        &bin,
        d,
        &[
            "diff",
            &p("large-a.json.gz"),
            &p("large-b.json.gz"),
            "--fail-on",
            "never",
            "--format",
            "html",
            "-o",
            &p("large-diff.html"),
        ],
    );
    run(
        &bin,
        d,
        &[
            "show",
            &p("large-b.json.gz"),
            "--format",
            "html",
            "-o",
            &p("large-session.html"),
        ],
    );
    // The CI pair: its new unbounded label is a critical finding with a fix.
    run(
        &bin,
        d,
        &[
            "diff",
            &fixture("ci-before.json.gz").display().to_string(),
            &fixture("ci-after.json.gz").display().to_string(),
            "--fail-on",
            "never",
            "--format",
            "html",
            "-o",
            &p("fix-diff.html"),
        ],
    );
    // Each large metric's keys as the key tables list them (`label:KEY`, `resource:KEY`).
    let large_keys: serde_json::Map<String, serde_json::Value> = b
        .data
        .metrics
        .iter()
        .map(|m| {
            let keys: Vec<String> = m
                .label_keys
                .keys()
                .map(|k| format!("label:{k}"))
                .chain(m.resource_keys.keys().map(|k| format!("resource:{k}")))
                .collect();
            (m.name.clone(), serde_json::json!(keys))
        })
        .collect();
    let config = serde_json::json!({
        "fix_diff": p("fix-diff.html"),
        "large_keys": large_keys,
        "large_diff": p("large-diff.html"),
        "large_session": p("large-session.html"),
        "large_metrics": b.data.metrics.len(),
        "diff": p("diff.html"),
        "session": p("session.html"),
        "xss_diff": p("xss-diff.html"),
        "xss_session": p("xss-session.html"),
        "xss_names": MARKUP_NAMES,
        "screenshots": screenshots_dir(),
    });
    let cfg = d.join("config.json");
    std::fs::write(&cfg, config.to_string()).unwrap();
    let (code, text) = node(&["check", cfg.to_str().unwrap()]);
    println!("{text}");
    if code == 3 {
        skip(
            text.lines()
                .find(|l| l.starts_with("NO BROWSER"))
                .unwrap_or("no browser"),
        );
        return;
    }
    assert_eq!(code, 0, "browser checks failed:\n{text}");
    assert!(text.contains(" passed, 0 failed"), "{text}");
    for shot in [
        "diff-1280.png",
        "diff-390.png",
        "session-1280.png",
        "session-390.png",
        "fix-1280.png",
        "fix-390.png",
    ] {
        let path = screenshots_dir().join(shot);
        let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        assert!(
            len > 10_000,
            "screenshot {} missing or empty",
            path.display()
        );
    }
}
