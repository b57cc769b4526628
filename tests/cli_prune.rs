//! `otelsnap prune` and the max-sessions message that points to it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

mod common;

use std::path::Path;

use predicates::prelude::*;

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// A store with `old-a` (created 2025-03-03), `old-b` (2025-03-10) and `fresh` (now).
fn store() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (name, f) in [
        ("old-a", "checkout-v1.json.gz"),
        ("old-b", "checkout-v2.json.gz"),
    ] {
        common::cmd(d.path())
            .arg("import")
            .arg(fixture(f))
            .args(["--name", name])
            .assert()
            .success();
    }
    let input = d.path().join("in.json");
    std::fs::write(
        &input,
        r#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"m","gauge":{"dataPoints":[{"asInt":"1"}]}}]}]}]}"#,
    )
    .unwrap();
    common::cmd(d.path())
        .args(["capture", "fresh", "--from-file"])
        .arg(&input)
        .assert()
        .success();
    d
}

fn exists(d: &Path, name: &str) -> bool {
    d.join(format!("{name}.json.gz")).exists()
}

#[test]
fn needs_a_rule() {
    let d = store();
    common::cmd(d.path())
        .arg("prune")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--keep"));
}

#[test]
fn dry_run_lists_and_deletes_nothing() {
    let d = store();
    common::cmd(d.path())
        .args(["prune", "--keep", "1", "--dry-run"])
        .assert()
        .success()
        .stdout("old-b\nold-a\n")
        .stderr(predicate::str::contains("would delete 2 sessions"))
        .stderr(predicate::str::contains("nothing deleted"));
    for n in ["old-a", "old-b", "fresh"] {
        assert!(exists(d.path(), n), "{n} deleted by a dry run");
    }
}

#[test]
fn keep_and_older_than_together() {
    let d = store();
    // old-b is older than a day but among the 2 newest: kept.
    common::cmd(d.path())
        .args(["prune", "--keep", "2", "--older-than", "1d"])
        .assert()
        .success()
        .stdout("old-a\n")
        .stderr(predicate::str::contains("deleted 1 session ("));
    assert!(!exists(d.path(), "old-a"));
    assert!(exists(d.path(), "old-b") && exists(d.path(), "fresh"));
    common::cmd(d.path())
        .args(["prune", "--older-than", "7d"])
        .assert()
        .success()
        .stdout("old-b\n");
    assert!(exists(d.path(), "fresh"));
    common::cmd(d.path())
        .args(["prune", "--older-than", "7d"])
        .assert()
        .success()
        .stdout("")
        .stderr(predicate::str::contains("nothing to prune: 1 session kept"));
}

#[test]
fn the_max_sessions_error_names_the_limit_and_prune() {
    let d = store();
    let input = d.path().join("in.json");
    common::cmd(d.path())
        .args(["--max-sessions", "3", "capture", "one-more", "--from-file"])
        .arg(&input)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("at the --max-sessions limit of 3"))
        .stderr(predicate::str::contains("otelsnap prune --keep N"));
    common::cmd(d.path())
        .args(["prune", "--keep", "2"])
        .assert()
        .success();
    common::cmd(d.path())
        .args(["--max-sessions", "3", "capture", "one-more", "--from-file"])
        .arg(&input)
        .assert()
        .success();
}
