//! A gate you can trust, end to end through the binary: an incomplete side never reads as
//! removals, a signal one side lacks is stated, and an OCC import of some telemetry diffs
//! clean against the native capture of the same telemetry.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

mod common;

use std::path::{Path, PathBuf};

use serde_json::Value;

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
        .display()
        .to_string()
}

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let o = common::cmd(dir).args(args).output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Captures the v1 fixture's OTLP file as `name`, with `extra` capture flags.
fn capture(dir: &Path, name: &str, extra: &[&str]) {
    let file = fixture("otlp/checkout-v1.jsonl");
    let mut args = vec!["capture", name, "--from-file", &file];
    args.extend_from_slice(extra);
    let (code, out, err) = run(dir, &args);
    assert_eq!(code, 0, "{out}{err}");
}

fn diff_json(dir: &Path, from: &str, to: &str, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["diff", from, to, "--format", "json"];
    args.extend_from_slice(extra);
    let (code, out, err) = run(dir, &args);
    assert!(code == 0 || code == 1, "{out}{err}");
    (code, serde_json::from_str(&out).unwrap())
}

fn details(doc: &Value) -> impl Iterator<Item = &Value> {
    doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["details"].as_array().unwrap())
}

/// Every change and detail at info, and the unjudged ones saying why.
fn assert_nothing_judged_above_info(doc: &Value) {
    for c in doc["changes"].as_array().unwrap() {
        assert_eq!(c["severity"], "info", "{c:#}");
    }
    for d in details(doc) {
        if let Some(n) = d.get("not_judged") {
            assert!(n["side"] == "to" || n["side"] == "from", "{d:#}");
            assert!(n["reason"].is_string(), "{d:#}");
            assert!(
                d["message"].as_str().unwrap().contains("[not judged"),
                "{d:#}"
            );
        }
    }
}

#[test]
fn a_capture_cut_by_max_items_reads_as_incomplete_not_as_removals() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    capture(dir, "base", &[]);
    capture(dir, "capped", &["--max-items", "3"]);

    // The gate at warning passes, and the header says why the removals are not judged.
    let (code, out, err) = run(
        dir,
        &["diff", "base", "capped", "--min-severity", "warning"],
    );
    assert_eq!(code, 0, "{out}{err}");
    let header: String = out.lines().take(8).collect::<Vec<_>>().join(" ");
    assert!(
        header.contains("TO is incomplete: capture caps refused new items")
            && header.contains("removals and decreases on those items are not judged"),
        "{out}"
    );

    // The JSON carries it as data: the side, its counts, and each unjudged finding with the
    // severity its rule would have given it. Without the rule some were warnings: the test
    // would mean nothing if none were.
    let (code, doc) = diff_json(dir, "base", "capped", &[]);
    assert_eq!(code, 1, "info changes remain at the default threshold");
    assert_nothing_judged_above_info(&doc);
    let inc = doc["incomplete"].as_array().unwrap();
    assert_eq!(inc.len(), 1, "{inc:#?}");
    assert_eq!(inc[0]["side"], "to");
    assert_eq!(inc[0]["id"], "capped");
    assert!(inc[0]["refused_items"].as_u64().unwrap() > 0);
    assert!(inc[0]["dropped_by_cap"]["max_items"].as_u64().unwrap() > 0);
    let downgraded = inc[0]["downgraded"].as_u64().unwrap();
    assert!(downgraded > 0, "{inc:#?}");
    let would_be_warning = details(&doc)
        .filter(|d| d["not_judged"]["severity"] == "warning")
        .count() as u64;
    assert_eq!(would_be_warning, downgraded);
    assert!(
        details(&doc).any(|d| d["rule"] == "metric_removed"
            && d["not_judged"]["reason"] == "items_refused"
            && d["not_judged"]["side"] == "to"),
        "a removed metric is left unjudged because TO refused new items"
    );
    assert!(
        doc["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().starts_with("TO is incomplete:")),
        "{:#}",
        doc["notes"]
    );

    // Reversed, the capped side is FROM: what it lacks would read as additions in TO.
    let (code, out, err) = run(
        dir,
        &["diff", "capped", "base", "--min-severity", "warning"],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("FROM is incomplete:"), "{out}");
    let (_, doc) = diff_json(dir, "capped", "base", &[]);
    assert_nothing_judged_above_info(&doc);
    assert_eq!(doc["incomplete"][0]["side"], "from");
}

#[test]
fn a_capture_past_its_memory_budget_reads_as_incomplete_not_as_removals() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    capture(dir, "base", &[]);
    // A budget far under the capture's need: the analyzer freezes, the key budget goes to
    // zero, later items and keys are refused and existing value sets stop growing.
    capture(dir, "frozen", &["--max-state-bytes", "30000"]);
    let (code, out, err) = run(
        dir,
        &["diff", "base", "frozen", "--min-severity", "warning"],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("TO is incomplete:"), "{out}");
    assert!(out.contains("ran past the memory budget"), "{out}");
    let (_, doc) = diff_json(dir, "base", "frozen", &[]);
    assert_nothing_judged_above_info(&doc);
    assert_eq!(doc["incomplete"][0]["byte_budget"], true);
}

#[test]
fn complete_sessions_carry_no_incomplete_header() {
    let t = tempfile::tempdir().unwrap();
    let (a, b) = (
        fixture("checkout-v1.json.gz"),
        fixture("checkout-v2.json.gz"),
    );
    let (code, doc) = diff_json(t.path(), &a, &b, &[]);
    assert_eq!(code, 1);
    assert!(doc.get("incomplete").is_none(), "{doc:#}");
    assert!(details(&doc).all(|d| d.get("not_judged").is_none()));
    // The release's critical finding stays critical: the rule touches incomplete sides only.
    assert_eq!(doc["changes"][0]["severity"], "critical");
}

#[test]
fn a_signal_one_side_lacks_is_stated_in_every_header() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    capture(dir, "all", &[]);
    capture(dir, "no-logs", &["--signals", "metrics,traces"]);
    // Catalog attributes lose `logs` from their signals: info changes, so no gate here.
    let (code, out, err) = run(dir, &["diff", "all", "no-logs", "--fail-on", "never"]);
    assert_eq!(code, 0, "{out}{err}");
    let line = "logs: FROM has 4 log templates in 4 severities (87 records); TO captured no logs, so they were not compared";
    assert!(out.contains(line), "{out}");

    let (_, doc) = diff_json(dir, "all", "no-logs", &[]);
    let g = &doc["signal_gaps"][0];
    assert_eq!(g["signal"], "logs");
    assert_eq!(g["side"], "to");
    assert_eq!(g["declared"], false);
    assert_eq!(g["items"], 4);
    assert_eq!(g["templates"], 4);
    assert_eq!(g["samples"], 87);
    assert_eq!(doc["notes"][0], line);

    for (format, needle) in [
        ("markdown", format!("- {line}")),
        ("github", line.to_string()),
        (
            "junit",
            "<property name=\"otelsnap.note\" value=\"logs: FROM has 4".into(),
        ),
        ("sarif", line.to_string()),
    ] {
        let (code, out, err) = run(
            dir,
            &[
                "diff",
                "all",
                "no-logs",
                "--format",
                format,
                "--fail-on",
                "never",
            ],
        );
        assert_eq!(code, 0, "{format}: {err}");
        assert!(out.contains(&needle), "{format}: {out}");
    }

    // The other way round the side that lacks them is FROM.
    let (_, out, _) = run(dir, &["diff", "no-logs", "all"]);
    assert!(
        out.contains(
            "logs: TO has 4 log templates in 4 severities (87 records); FROM captured no logs"
        ),
        "{out}"
    );
}

#[test]
fn a_signal_declared_but_empty_is_stated_and_still_compared() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    capture(dir, "all", &[]);
    // The same session listing logs among its signals with none in it: an exporter that lost
    // its logs. Its removals are real, and the header says what happened.
    let (_, json, _) = run(dir, &["export", "all"]);
    let mut v: Value = serde_json::from_str(&json).unwrap();
    v["data"]["logs"] = Value::Array(Vec::new());
    v["data"]["attributes"] = Value::Array(Vec::new());
    v["stats"]["logs_count"] = 0.into();
    v["stats"]["attributes_count"] = 0.into();
    v["signals"] = serde_json::json!(["metrics", "traces", "logs"]);
    v["id"] = "empty-logs".into();
    let p: PathBuf = dir.join("empty-logs.json");
    std::fs::write(&p, serde_json::to_vec(&v).unwrap()).unwrap();
    let (code, out, err) = run(
        dir,
        &["diff", "all", p.to_str().unwrap(), "--signal", "logs"],
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("logs: FROM has 4 log templates in 4 severities (87 records); TO lists logs among its signals but holds none, so each shows as removed"),
        "{out}"
    );
    let (_, doc) = diff_json(dir, "all", p.to_str().unwrap(), &["--signal", "logs"]);
    assert_eq!(doc["signal_gaps"][0]["declared"], true);
    assert_eq!(doc["summary"]["by_signal"]["logs"]["removed"], 4);
}

#[test]
fn an_occ_import_diffs_clean_against_the_native_capture_of_the_same_telemetry() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    capture(dir, "native", &[]);
    let (_, json, _) = run(dir, &["export", "native"]);
    let native: otelsnap::session::Session = serde_json::from_str(&json).unwrap();
    let mut occ = otelsnap_testkit::occ::occ_shaped(&native);
    occ["id"] = "from-occ".into();
    // The shape is OCC's: none of the fields it does not record, its own template spelling.
    let m = &occ["data"]["metrics"][0];
    assert!(m.get("aggregation_temporality").is_none() && m.get("is_monotonic").is_none());
    assert!(occ.get("producer").is_none() && occ.get("observed").is_none());
    let occ_templates: Vec<&str> = occ["data"]["logs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|l| l["body_templates"].as_array().unwrap())
        .map(|t| t["template"].as_str().unwrap())
        .collect();
    assert!(
        occ_templates.contains(&"Payment declined for order <*>: <*>"),
        "{occ_templates:?}"
    );
    let p = dir.join("occ.json");
    std::fs::write(&p, serde_json::to_vec_pretty(&occ).unwrap()).unwrap();
    let (code, out, err) = run(dir, &["import", p.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");

    // Both directions: no change at all, so certainly none at warning or above.
    for (a, b) in [("from-occ", "native"), ("native", "from-occ")] {
        let (code, doc) = diff_json(dir, a, b, &[]);
        assert_eq!(
            doc["changes"].as_array().unwrap().len(),
            0,
            "{a} → {b}: {:#}",
            doc["changes"]
        );
        assert_eq!(code, 0);
    }
}

#[test]
fn an_occ_import_still_reports_a_real_template_and_temporality_change() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    capture(dir, "native", &[]);
    let (_, json, _) = run(dir, &["export", "native"]);
    let native: otelsnap::session::Session = serde_json::from_str(&json).unwrap();
    let mut occ = otelsnap_testkit::occ::occ_shaped(&native);
    occ["id"] = "from-occ".into();
    // A genuinely different template, and a temporality OCC did record, differently.
    let logs = occ["data"]["logs"].as_array_mut().unwrap();
    let error = logs.iter_mut().find(|l| l["severity"] == "ERROR").unwrap();
    error["body_templates"][0]["template"] = "Payment accepted for order <*>".into();
    let metrics = occ["data"]["metrics"].as_array_mut().unwrap();
    let sum = metrics.iter_mut().find(|m| m["type"] == "Sum").unwrap();
    sum["aggregation_temporality"] = "delta".into();
    let p = dir.join("occ.json");
    std::fs::write(&p, serde_json::to_vec_pretty(&occ).unwrap()).unwrap();
    let (code, out, err) = run(dir, &["import", p.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let (_, doc) = diff_json(dir, "from-occ", "native", &[]);
    let fields: Vec<&str> = details(&doc)
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"body_templates.Payment accepted for order <*>")
            && fields.contains(&"body_templates.Payment declined for order <*> <*> <*>"),
        "{fields:?}"
    );
    assert!(
        details(&doc).any(|d| d["field"] == "aggregation_temporality"
            && d["from"] == "delta"
            && d["to"] == "cumulative"
            && d["severity"] == "warning"),
        "{:#}",
        doc["changes"]
    );
}
