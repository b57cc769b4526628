//! One vocabulary: `traces` and `spans` alike, byte sizes with units, `--top 0`, plurals, and
//! the messages fixed in issue #14 (delete given a path, a merge tie).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

mod common;

use std::path::Path;

use predicates::prelude::*;

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

fn metric_file(dir: &Path, name: &str, unit: &str) -> std::path::PathBuf {
    let p = dir.join(format!("{name}.otlp.json"));
    std::fs::write(
        &p,
        format!(
            r#"{{"resourceMetrics":[{{"scopeMetrics":[{{"metrics":[{{"name":"m","unit":"{unit}","gauge":{{"dataPoints":[{{"asInt":"1"}}]}}}}]}}]}}]}}"#
        ),
    )
    .unwrap();
    p
}

#[test]
fn traces_and_spans_are_the_same_signal_everywhere() {
    let d = tempfile::tempdir().unwrap();
    let (v1, v2) = (
        fixture("checkout-v1.json.gz"),
        fixture("checkout-v2.json.gz"),
    );
    let diff = |sig: &str| {
        let out = common::cmd(d.path())
            .arg("diff")
            .arg(&v1)
            .arg(&v2)
            .args(["--format", "json", "--fail-on", "never", "--signal", sig])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        out.stdout
    };
    assert_eq!(diff("traces"), diff("spans"));
    let show = |sig: &str| {
        common::cmd(d.path())
            .arg("show")
            .arg(&v2)
            .args(["--signal", sig])
            .output()
            .unwrap()
            .stdout
    };
    assert_eq!(show("traces"), show("spans"));
    let input = metric_file(d.path(), "in", "s");
    for sig in ["spans", "traces"] {
        common::cmd(d.path())
            .args([
                "capture",
                &format!("x-{sig}"),
                "--allow-empty",
                "--signals",
                sig,
                "--from-file",
            ])
            .arg(&input)
            .assert()
            .success();
    }
}

#[test]
fn byte_flags_take_units() {
    let d = tempfile::tempdir().unwrap();
    let input = metric_file(d.path(), "in", "s");
    common::cmd(d.path())
        .args(["capture", "a", "--max-body", "10KiB", "--from-file"])
        .arg(&input)
        .assert()
        .success();
    common::cmd(d.path())
        .args(["--max-session-size", "100B", "capture", "b", "--from-file"])
        .arg(&input)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "over the 100 B session size limit",
        ));
    common::cmd(d.path())
        .args(["--max-session-size", "10MB", "capture", "c", "--from-file"])
        .arg(&input)
        .assert()
        .success();
    common::cmd(d.path())
        .args(["capture", "e", "--max-body", "10 parsecs", "--from-file"])
        .arg(&input)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "use bytes or a unit, e.g. 512KiB, 10MB, 1GiB",
        ));
}

#[test]
fn top_zero_shows_everything() {
    let d = tempfile::tempdir().unwrap();
    let v2 = fixture("checkout-v2.json.gz");
    let export = common::cmd(d.path())
        .arg("export")
        .arg(&v2)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&export.stdout).unwrap();
    let names: Vec<String> = v["data"]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_string())
        .collect();
    assert!(names.len() > 2);
    let shown = |top: &str| {
        String::from_utf8(
            common::cmd(d.path())
                .arg("show")
                .arg(&v2)
                .args(["--signal", "metrics", "--top", top])
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap()
    };
    let all = shown("0");
    for n in &names {
        assert!(all.contains(n.as_str()), "{n} missing with --top 0:\n{all}");
    }
    let two = shown("2");
    assert!(names.iter().filter(|n| two.contains(n.as_str())).count() < names.len());
}

#[test]
fn capture_summary_uses_plurals() {
    let d = tempfile::tempdir().unwrap();
    let input = metric_file(d.path(), "in", "s");
    common::cmd(d.path())
        .args(["capture", "one", "--from-file"])
        .arg(&input)
        .assert()
        .success()
        .stderr(predicate::str::contains("1 name, 1 data point"))
        .stderr(predicate::str::contains("0 names, 0 spans"));
}

/// The summary's attribute count is the saved catalog's, also when the catalog was streamed
/// into the file and never held whole (it read 0 then).
#[test]
fn capture_summary_counts_the_attribute_catalog() {
    let d = tempfile::tempdir().unwrap();
    let input = d.path().join("attrs.otlp.json");
    std::fs::write(
        &input,
        r#"{"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},"scopeMetrics":[{"metrics":[{"name":"m","gauge":{"dataPoints":[{"asInt":"1","attributes":[{"key":"route","value":{"stringValue":"/a"}},{"key":"method","value":{"stringValue":"GET"}}]}]}}]}]}]}"#,
    )
    .unwrap();
    let out = common::cmd(d.path())
        .args(["capture", "attrs", "--from-file"])
        .arg(&input)
        .output()
        .unwrap();
    assert!(out.status.success());
    let shown = common::cmd(d.path())
        .args(["show", "attrs", "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    let catalog = v["attributes"]["total"].as_u64().unwrap() as usize;
    assert!(catalog >= 2, "route and method at least: {catalog}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    let row = stderr
        .lines()
        .find(|l| l.trim_start().starts_with("attributes"))
        .unwrap_or_else(|| panic!("no attributes row in:\n{stderr}"));
    assert_eq!(
        row.split_whitespace().last(),
        Some(catalog.to_string().as_str()),
        "{row}"
    );
}

#[test]
fn delete_of_a_missing_name_does_not_suggest_a_path() {
    let d = tempfile::tempdir().unwrap();
    common::cmd(d.path())
        .args(["delete", "old"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no session named 'old'"))
        .stderr(predicate::str::contains("delete takes names only"))
        .stderr(predicate::str::contains("path").not());
}

#[test]
fn a_merge_tie_is_called_a_tie() {
    let d = tempfile::tempdir().unwrap();
    for (name, unit) in [("secs", "s"), ("millis", "ms")] {
        let f = metric_file(d.path(), name, unit);
        common::cmd(d.path())
            .args(["capture", name, "--from-file"])
            .arg(&f)
            .assert()
            .success();
    }
    common::cmd(d.path())
        .args(["merge", "secs", "millis", "--output", "both"])
        .assert()
        .success()
        .stderr(predicate::str::contains("a tie (1 sample each in all)"));
}
