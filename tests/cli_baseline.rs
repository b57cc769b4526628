//! `export --baseline` and `capture --baseline`: diff-only files without sketches or value
//! samples, which diff exactly as the full session does and which merge refuses.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

mod common;

use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

fn stdout(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(a.get_output().stdout.clone()).unwrap()
}

#[test]
fn baseline_drops_sketches_and_samples_is_marked_and_is_smaller() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("base.json");
    common::cmd(d.path())
        .arg("export")
        .arg(fixture("checkout-v2.json.gz"))
        .arg("--baseline")
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let text = std::fs::read_to_string(&out).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["baseline"], serde_json::Value::Bool(true));
    for gone in ["\"sketch\"", "\"series_sketch\"", "\"value_samples\""] {
        assert!(!text.contains(gone), "{gone} left in the baseline");
    }
    // The estimates are still there.
    assert!(text.contains("\"estimated_cardinality\""));
    let full = common::cmd(d.path())
        .arg("export")
        .arg(fixture("checkout-v2.json.gz"))
        .assert()
        .success();
    let full = stdout(&full);
    assert!(
        full.contains("\"sketch\""),
        "the fixture has sketches to drop"
    );
    assert!(
        text.len() < full.len() / 2,
        "{} vs {}",
        text.len(),
        full.len()
    );
}

#[test]
fn a_baseline_diffs_exactly_as_the_full_session() {
    let d = tempfile::tempdir().unwrap();
    for (name, src) in [("v1", "checkout-v1.json.gz"), ("v2", "checkout-v2.json.gz")] {
        common::cmd(d.path())
            .arg("export")
            .arg(fixture(src))
            .arg("--baseline")
            .arg("-o")
            .arg(d.path().join(format!("{name}-base.json.gz")))
            .assert()
            .success();
    }
    let v1 = fixture("checkout-v1.json.gz");
    let v2 = fixture("checkout-v2.json.gz");
    let v1b = d.path().join("v1-base.json.gz");
    let v2b = d.path().join("v2-base.json.gz");
    for format in ["json", "table", "markdown"] {
        let diff = |a: &Path, b: &Path| {
            let r = common::cmd(d.path())
                .arg("diff")
                .arg(a)
                .arg(b)
                .args(["--format", format, "--fail-on", "never", "--color", "never"])
                .assert()
                .success();
            stdout(&r)
        };
        let want = diff(&v1, &v2);
        assert!(want.contains("user_id"), "{want}");
        if format == "markdown" {
            // Markdown's key tables show value samples, which a baseline does not keep: its
            // side's samples cells are empty, and everything else is byte-identical.
            for (a, b, side) in [(&v1b, &v2, 0), (&v1, &v2b, 1)] {
                let got = diff(a, b);
                assert_eq!(
                    without_samples(&got, None),
                    without_samples(&want, None),
                    "baseline as {}, markdown",
                    ["FROM", "TO"][side]
                );
                assert_eq!(
                    samples_cells(&got, side),
                    0,
                    "no samples on the baseline's side"
                );
                assert!(samples_cells(&want, side) > 0, "{want}");
            }
            continue;
        }
        assert_eq!(diff(&v1b, &v2), want, "baseline as FROM, {format}");
        assert_eq!(diff(&v1, &v2b), want, "baseline as TO, {format}");
    }
}

#[test]
fn merge_refuses_a_baseline() {
    let d = tempfile::tempdir().unwrap();
    let base = d.path().join("v1-base.json.gz");
    common::cmd(d.path())
        .arg("export")
        .arg(fixture("checkout-v1.json.gz"))
        .arg("--baseline")
        .arg("-o")
        .arg(&base)
        .assert()
        .success();
    common::cmd(d.path())
        .arg("merge")
        .arg(fixture("checkout-v2.json.gz"))
        .arg(&base)
        .args(["--output", "both"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("is a diff-only baseline"))
        .stderr(predicates::str::contains(
            "merge the full sessions it came from",
        ));
    assert!(!d.path().join("both.json.gz").exists());
    // Imported into the store, it stays a baseline.
    common::cmd(d.path())
        .arg("import")
        .arg(&base)
        .args(["--name", "imported"])
        .assert()
        .success();
    common::cmd(d.path())
        .args(["merge", "imported"])
        .arg(fixture("checkout-v2.json.gz"))
        .args(["--output", "both"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "imported is a diff-only baseline",
        ));
}

#[test]
fn capture_can_save_a_baseline_directly() {
    let d = tempfile::tempdir().unwrap();
    let input = d.path().join("in.json");
    std::fs::write(
        &input,
        r#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"m","gauge":{"dataPoints":[{"asInt":"1","attributes":[{"key":"k","value":{"stringValue":"v"}}]}]}}]}]}]}"#,
    )
    .unwrap();
    let out = d.path().join("b.json");
    common::cmd(d.path())
        .args(["capture", "b", "--baseline", "--from-file"])
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(v["baseline"], serde_json::Value::Bool(true));
    let k = &v["data"]["metrics"][0]["label_keys"]["k"];
    assert_eq!(k["estimated_cardinality"], 1);
    assert!(
        k.get("sketch").is_none() && k.get("value_samples").is_none(),
        "{k}"
    );
}

/// The samples cells of Markdown key tables' rows (FROM: cell 5, TO: cell 9 of a key row;
/// cell 5 of an attribute table's FROM or TO row), blanked; `None` blanks both sides.
fn without_samples(md: &str, only: Option<usize>) -> String {
    let mut table: Option<Vec<usize>> = None;
    let mut out = Vec::new();
    for line in md.lines() {
        let mut line = line.to_string();
        if line.starts_with("| scope | key | FROM count") {
            table = Some(vec![5, 9]);
        } else if line.starts_with("| session | count | cardinality") {
            table = Some(vec![5]);
        } else if !line.starts_with('|') {
            table = None;
        } else if let Some(cols) = &table {
            let mut cells: Vec<String> = line.split(" | ").map(String::from).collect();
            let side_of = |cells: &[String], c: usize| match cells[0].as_str() {
                "| FROM" => 0,
                "| TO" => 1,
                _ => usize::from(c == 9),
            };
            for &c in cols {
                if c < cells.len() && only.is_none_or(|s| side_of(&cells, c) == s) {
                    cells[c] = String::new();
                }
            }
            line = cells.join(" | ");
        }
        out.push(line);
    }
    out.join("\n")
}

/// How many key table rows have samples on `side` (0 FROM, 1 TO).
fn samples_cells(md: &str, side: usize) -> usize {
    let blanked = without_samples(md, Some(side));
    md.lines()
        .zip(blanked.lines())
        // An attribute absent from a side says `absent` where its samples would be.
        .filter(|(a, _)| !a.contains("| absent |"))
        .filter(|(a, b)| a.trim_end_matches([' ', '|']) != b.trim_end_matches([' ', '|']))
        .count()
}
