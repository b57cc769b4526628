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
