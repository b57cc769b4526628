//! The CI recipe of docs/ci.md, run as written: the baseline step and the CI steps are taken
//! from the page (the fenced block after `<!-- baseline-step -->` and `<!-- ci-steps -->`) and
//! run by bash against the sample app (tests/apps/sample_app.py); the GitHub Actions and GitLab
//! CI blocks must contain every CI step verbatim. A flag renamed without updating the page fails
//! here.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

use std::path::{Path, PathBuf};
use std::process::Command;

fn page() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/ci.md")).unwrap()
}

/// The lines of the first fenced block after `marker`.
fn block(page: &str, marker: &str) -> Vec<String> {
    let at = page
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} missing from docs/ci.md"));
    let rest = &page[at..];
    let open = rest.find("```").unwrap();
    let body = &rest[open..];
    let body = &body[body.find('\n').unwrap() + 1..];
    let end = body.find("```").unwrap();
    body[..end].lines().map(str::to_string).collect()
}

fn bin_dir() -> PathBuf {
    assert_cmd::cargo::cargo_bin("otelsnap")
        .parent()
        .unwrap()
        .to_path_buf()
}

fn app() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/apps/sample_app.py")
}

/// Runs `lines` with `bash -e` in `dir`; returns the exit code and stderr.
fn bash(dir: &Path, lines: &[String], test_cmd: &str) -> (i32, String) {
    let path = format!(
        "{}:{}",
        bin_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut c = Command::new("bash");
    c.arg("-e")
        .arg("-c")
        .arg(lines.join("\n"))
        .current_dir(dir)
        .env("PATH", path)
        .env("TEST_CMD", test_cmd)
        .env("BASELINE", "ci/otelsnap-baseline.json.gz")
        .env("OTELSNAP_DIR", dir.join("store"))
        .env_remove("OTELSNAP_RULES")
        .env_remove("COLUMNS")
        .env_remove("GITHUB_OUTPUT");
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("OTEL_") {
            c.env_remove(k);
        }
    }
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_workflows_run_the_documented_steps() {
    let p = page();
    let steps = block(&p, "<!-- ci-steps -->");
    assert!(steps.len() >= 5, "{steps:?}");
    for (name, marker) in [
        ("GitHub Actions", "<!-- github -->"),
        ("GitLab CI", "<!-- gitlab -->"),
    ] {
        let yaml: Vec<String> = block(&p, marker)
            .iter()
            .map(|l| l.trim().trim_start_matches("- ").to_string())
            .collect();
        for s in &steps {
            assert!(
                yaml.iter().any(|l| l == s.trim()),
                "the {name} block of docs/ci.md lacks the step `{s}`"
            );
        }
    }
}

#[test]
fn the_recipe_passes_unchanged_telemetry_and_fails_a_cardinality_explosion() {
    let p = page();
    let baseline = block(&p, "<!-- baseline-step -->");
    let steps = block(&p, "<!-- ci-steps -->");
    let d = tempfile::tempdir().unwrap();
    let app = format!("python3 {}", app().display());

    let (code, err) = bash(d.path(), &baseline, &format!("{app} --users 5"));
    assert_eq!(code, 0, "baseline step failed: {err}");
    let base = d.path().join("ci/otelsnap-baseline.json.gz");
    assert!(base.exists());

    // Same telemetry: every report written, the gate passes.
    let (code, err) = bash(d.path(), &steps, &format!("{app} --users 5"));
    assert_eq!(code, 0, "{err}");
    for f in [
        "current.json.gz",
        "otelsnap-summary.md",
        "otelsnap-junit.xml",
        "otelsnap.sarif",
        "otelsnap-report.html",
    ] {
        assert!(d.path().join(f).exists(), "{f} not written: {err}");
    }
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.path().join("otelsnap.sarif")).unwrap())
            .unwrap();
    assert_eq!(sarif["version"], "2.1.0");

    // A release that puts a user id on the request counter: the gate fails with exit 1, after
    // the reports were written and name the culprit.
    for f in ["current.json.gz", "otelsnap-junit.xml"] {
        std::fs::remove_file(d.path().join(f)).unwrap();
    }
    let (code, err) = bash(d.path(), &steps, &format!("{app} --users 3000"));
    assert_eq!(code, 1, "{err}");
    let junit = std::fs::read_to_string(d.path().join("otelsnap-junit.xml")).unwrap();
    assert!(junit.contains("<failure type=\"critical\""), "{junit}");
    assert!(junit.contains("user_id"), "{junit}");
    let summary = std::fs::read_to_string(d.path().join("otelsnap-summary.md")).unwrap();
    assert!(summary.contains("user_id"), "{summary}");

    // A failing test run fails the capture step with the tests' status (a fresh checkout has
    // no current.json.gz; capture never replaces one without --force).
    std::fs::remove_file(d.path().join("current.json.gz")).unwrap();
    let (code, _) = bash(d.path(), &steps[..1], &format!("{app} --exit 3"));
    assert_eq!(code, 3);
}
