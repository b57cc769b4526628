//! The CI-sized fixture pair (`fixtures/ci-before`, `fixtures/ci-after`: 48 requests; the
//! second adds a UUID `session_id` label to a histogram) through the real binary: the diff
//! fails the critical gate for the new reason, with the fix, and `show` lists the suspect.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

mod common;

use std::path::PathBuf;

use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

fn run(args: &[&str], rules: Option<&str>) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut c = common::cmd(dir.path());
    c.args(args);
    if let Some(r) = rules {
        let p = dir.path().join("rules.toml");
        std::fs::write(&p, r).unwrap();
        c.arg("--rules").arg(&p);
    }
    let out = c.output().unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn pair() -> (String, String) {
    (
        fixture("ci-before.json.gz").display().to_string(),
        fixture("ci-after.json.gz").display().to_string(),
    )
}

#[test]
fn the_ci_pair_fails_the_critical_gate_on_the_verdict_with_the_fix() {
    let (a, b) = pair();
    let (code, out, err) = run(&["diff", &a, &b, "--min-severity", "critical"], None);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        out.contains("label 'session_id': new key unbounded"),
        "{out}"
    );
    assert!(out.contains("look like UUIDs"), "{out}");
    assert!(
        out.contains("Suggested fix: remove label key \"session_id\""),
        "{out}"
    );
    assert!(
        out.contains("delete_key(attributes, \\\"session_id\\\")"),
        "{out}"
    );

    let (code, out, _) = run(&["diff", &a, &b, "--format", "json"], None);
    assert_eq!(code, Some(1));
    let v: Value = serde_json::from_str(&out).unwrap();
    let top = &v["changes"][0];
    assert_eq!(top["name"], "http.server.request.duration");
    assert_eq!(top["severity"], "critical");
    let d = &top["details"][0];
    assert_eq!(d["rule"], "unbounded_label");
    assert_eq!(d["to"]["verdict"], "unbounded");
    let fix = &top["metadata"]["fixes"][0];
    assert_eq!(fix["key"], "session_id");
    assert!(fix["sdk_view"].as_str().unwrap().contains("\"http.route\""));

    // In Markdown the fix sits inside the change it fixes, both snippets fenced as YAML.
    let (_, md, _) = run(&["diff", &a, &b, "--format", "markdown"], None);
    let block = md
        .split("<details>")
        .find(|b| b.contains("<code>http.server.request.duration</code>"))
        .and_then(|b| b.split("</details>").next())
        .unwrap_or_else(|| panic!("no block for the histogram:\n{md}"));
    assert!(
        block.contains(
            "**Suggested fix:** drop label `session_id` from `http.server.request.duration`"
        ),
        "{block}"
    );
    assert_eq!(block.matches("```yaml").count(), 2, "{block}");
    assert!(
        block.contains("delete_key(attributes, \\\"session_id\\\")"),
        "{block}"
    );
}

#[test]
fn without_the_verdict_rule_the_same_diff_would_pass_the_gate() {
    // The count and ratio rules alone: 48 values is below every threshold.
    let (a, b) = pair();
    let (code, out, err) = run(
        &["diff", &a, &b, "--min-severity", "critical"],
        Some("[severity]\nunbounded_label = \"info\"\n"),
    );
    assert_eq!(code, Some(0), "{out}{err}");
}

#[test]
fn show_lists_the_suspect_key_with_its_evidence() {
    let (_, b) = pair();
    let (code, out, err) = run(&["show", &b], None);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("Suspect keys"), "{out}");
    assert!(out.contains("session_id (label_keys)"), "{out}");
    let (_, out, _) = run(&["show", &b, "--format", "json"], None);
    let v: Value = serde_json::from_str(&out).unwrap();
    let s = &v["suspects"]["shown"][0];
    assert_eq!(s["key"], "session_id");
    assert_eq!(s["verdict"], "unbounded");
    assert!(s["confidence"].as_f64().unwrap() > 0.5);
    assert!(s["profile"]["uuid"].as_u64().unwrap() >= 40);
    assert!(!s["growth"].as_array().unwrap().is_empty());
    assert!(s["backend_series_10x"].as_u64().unwrap() > s["backend_series"].as_u64().unwrap());
    // The before side has nothing suspect.
    let (a, _) = pair();
    let (_, out, _) = run(&["show", &a, "--format", "json"], None);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert!(v.get("suspects").is_none(), "{out}");
}

#[test]
fn the_readme_tour_shows_what_the_ci_pair_prints() {
    let readme =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let start = readme
        .find("```text\nci-before → ci-after")
        .expect("the tour's output block");
    let block = &readme[start + "```text\n".len()..];
    let block = &block[..block.find("```").unwrap()];
    let (a, b) = pair();
    let dir = tempfile::tempdir().unwrap();
    let out = common::cmd(dir.path())
        .env("COLUMNS", "100")
        .args(["diff", &a, &b, "--min-severity", "critical"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let out = String::from_utf8(out.stdout).unwrap();
    // Every line the README shows is a line of the output ("…" marks what it leaves out).
    let lines: Vec<&str> = out.lines().collect();
    for l in block.lines().filter(|l| *l != "…") {
        assert!(
            lines.contains(&l),
            "README line not in the output: {l:?}\n{out}"
        );
    }
}

/// One OTLP/JSON request per signal with these span and metric names, as an SDK would send them.
fn otlp_lines(spans: &[String], metrics: &[String]) -> String {
    let res = serde_json::json!({"attributes": [{"key": "service.name", "value": {"stringValue": "shop"}}]});
    let t0: u64 = 1_700_000_000_000_000_000;
    let sp: Vec<Value> = spans
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let t = t0 + i as u64 * 1_000_000;
            serde_json::json!({"traceId": format!("{:032x}", i + 1), "spanId": format!("{:016x}", i + 1),
                "name": n, "kind": 2, "startTimeUnixNano": t.to_string(), "endTimeUnixNano": (t + 500).to_string()})
        })
        .collect();
    let ms: Vec<Value> = metrics
        .iter()
        .enumerate()
        .map(|(i, n)| {
            serde_json::json!({"name": n, "sum": {"aggregationTemporality": 2, "isMonotonic": true,
                "dataPoints": [{"asInt": "3", "timeUnixNano": (t0 + i as u64 * 1_000_000).to_string()}]}})
        })
        .collect();
    let traces = serde_json::json!({"resourceSpans": [{"resource": res, "scopeSpans": [{"scope": {"name": "t"}, "spans": sp}]}]});
    let metrics = serde_json::json!({"resourceMetrics": [{"resource": res, "scopeMetrics": [{"scope": {"name": "t"}, "metrics": ms}]}]});
    format!("{traces}\n{metrics}\n")
}

#[test]
fn names_carrying_ids_are_one_suspect_and_one_critical_change_per_pattern() {
    let dir = tempfile::tempdir().unwrap();
    let ids: Vec<u64> = (0..150).map(|i| 10_000 + (i * 7_919) % 89_989).collect();
    let base_spans = vec!["GET /health".to_string()];
    let base_metrics = vec!["http.server.requests".to_string()];
    let mut spans = base_spans.clone();
    spans.extend(ids.iter().map(|i| format!("GET /orders/{i}")));
    // A hostile name among them: its escape character must not reach the terminal.
    spans.push("GET /orders/99999\u{1b}[31m".to_string());
    let mut metrics = base_metrics.clone();
    metrics.extend(ids.iter().map(|i| format!("cache.hits.tenant_{i}")));
    for (name, s, m) in [("a", &base_spans, &base_metrics), ("b", &spans, &metrics)] {
        let f = dir.path().join(format!("{name}.jsonl"));
        std::fs::write(&f, otlp_lines(s, m)).unwrap();
        common::cmd(dir.path())
            .args(["capture", name, "--from-file"])
            .arg(&f)
            .assert()
            .success();
    }
    let out = common::cmd(dir.path())
        .env("COLUMNS", "200")
        .args(["diff", "a", "b", "--min-severity", "critical"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("cache.hits.tenant_<n>"), "{text}");
    assert!(text.contains("150 names with this pattern"), "{text}");
    assert!(
        !text.contains("cache.hits.tenant_10000 "),
        "names are folded: {text}"
    );
    let json = common::cmd(dir.path())
        .args(["diff", "a", "b", "--format", "json", "--fail-on", "never"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&json.stdout).unwrap();
    let changes = v["changes"].as_array().unwrap();
    let pat = |n: &str| changes.iter().find(|c| c["name"] == n).cloned().unwrap();
    let m = pat("cache.hits.tenant_<n>");
    assert_eq!(m["severity"], "critical");
    assert_eq!(m["details"][0]["rule"], "unbounded_metric_names");
    assert_eq!(
        m["metadata"]["name_pattern"]["added"]
            .as_array()
            .unwrap()
            .len(),
        150
    );
    let s = pat("GET /orders/<id>");
    assert_eq!(s["severity"], "warning");
    assert_eq!(s["details"][0]["rule"], "unbounded_span_names");
    // Every change is either a pattern or one of the few other items: not 300 "added" lines.
    assert!(changes.len() <= 5, "{}", v["changes"]);
    // show: both patterns are suspects, metrics first; the hostile byte is escaped.
    let show = common::cmd(dir.path())
        .env("COLUMNS", "200")
        .args(["show", "b"])
        .output()
        .unwrap();
    let show = String::from_utf8(show.stdout).unwrap();
    let (m_at, s_at) = (
        show.find("metric cache.hits.tenant_<n>").unwrap(),
        show.find("span GET /orders/<id>").unwrap(),
    );
    assert!(m_at < s_at, "{show}");
    assert!(!show.contains('\u{1b}'), "{show:?}");
    let sj = common::cmd(dir.path())
        .args(["show", "b", "--format", "json"])
        .output()
        .unwrap();
    let sj: Value = serde_json::from_slice(&sj.stdout).unwrap();
    let sus = sj["suspects"]["shown"].as_array().unwrap();
    assert!(sus.iter().any(|x| x["what"] == "unbounded_name_pattern"
        && x["item"] == "cache.hits.tenant_<n>"
        && x["verdict"] == "unbounded"
        && x["distinct"] == 150));
}
