//! Nothing passes a gate silently: filters that match nothing, an empty or damaged baseline,
//! sides given in the wrong order.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

mod common;

use std::path::{Path, PathBuf};

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
        .display()
        .to_string()
}

fn diff(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let o = common::cmd(dir).arg("diff").args(args).output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn a_service_filter_matching_nothing_is_an_error_naming_what_exists() {
    let t = tempfile::tempdir().unwrap();
    let (a, b) = (
        fixture("checkout-v1.json.gz"),
        fixture("checkout-v2.json.gz"),
    );
    let (code, out, err) = diff(t.path(), &[&a, &b, "--service", "nope"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.is_empty());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(r#"--service "nope" matches nothing in either session: they hold services "checkout", "payment""#),
        "{err}"
    );
    // A service one side has is a valid filter.
    let (code, _, err) = diff(t.path(), &[&a, &b, "--service", "payment"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn a_signal_filter_matching_nothing_is_an_error() {
    let t = tempfile::tempdir().unwrap();
    // Export the metrics only (merge --signals keeps one signal).
    let store = t.path();
    for (src, name) in [("checkout-v1.json.gz", "m1"), ("checkout-v2.json.gz", "m2")] {
        let o = common::cmd(store)
            .args([
                "merge",
                &fixture(src),
                &fixture(src),
                "--signals",
                "metrics",
                "--output",
                name,
            ])
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let (code, _, err) = diff(store, &["m1", "m2", "--signal", "logs"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(
            "--signal logs matches nothing in either session: they hold metrics, attributes"
        ),
        "{err}"
    );
}

#[test]
fn from_created_after_to_is_warned_about() {
    let t = tempfile::tempdir().unwrap();
    let (a, b) = (
        fixture("checkout-v1.json.gz"),
        fixture("checkout-v2.json.gz"),
    );
    let (_, _, err) = diff(t.path(), &[&b, &a]);
    assert!(
        err.contains(
            "warning: FROM (2025-03-10T10:01:00Z) was created after TO (2025-03-03T10:01:00Z)"
        ),
        "{err}"
    );
    let (_, _, err) = diff(t.path(), &[&a, &b]);
    assert!(!err.contains("warning"), "{err}");
}

#[test]
fn an_empty_or_missing_data_baseline_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let b = fixture("checkout-v2.json.gz");
    let o = common::cmd(t.path())
        .args(["export", &fixture("checkout-v1.json.gz")])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for (what, data) in [("[]", Some(serde_json::json!([]))), ("missing", None)] {
        let mut bad = v.clone();
        match data {
            Some(d) => bad["data"] = d,
            None => {
                bad.as_object_mut().unwrap().remove("data");
            }
        }
        let p: PathBuf = t.path().join(format!("base-{what}.json"));
        std::fs::write(&p, serde_json::to_vec(&bad).unwrap()).unwrap();
        let (code, out, err) = diff(
            t.path(),
            &[p.to_str().unwrap(), &b, "--fail-on", "critical"],
        );
        assert_eq!(code, 2, "data {what}: {out}{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("data"), "{err}");
    }
}
