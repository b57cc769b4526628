//! The CI formats of `diff`: `junit` and `sarif` (golden files, parsed back to check they are
//! well-formed and carry the fields their consumers read) and `github`'s annotation limits.
//! Golden files: tests/diff_golden/; regenerate after an intended change with
//! `UPDATE_GOLDEN=1 cargo test --test cli_diff_ci`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

#[path = "diff_golden/support.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Stdio};

use assert_cmd::Command;
use otelsnap::session::MetricType;
use serde_json::Value;
use support::*;

fn otelsnap(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("otelsnap").unwrap();
    c.current_dir(dir)
        .env_remove("OTELSNAP_RULES")
        .env_remove("GITHUB_OUTPUT")
        .env_remove("NO_COLOR")
        .env_remove("COLUMNS")
        .arg("--dir")
        .arg(dir.join("sessions"));
    c
}

fn golden_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/diff_golden")
        .join(name)
}

fn check_golden(name: &str, actual: &str) {
    let path = golden_path(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read golden file {} ({e}); create it with UPDATE_GOLDEN=1 cargo test --test cli_diff_ci",
            path.display()
        )
    });
    assert!(
        expected == actual,
        "output differs from golden file {}; if intended, regenerate with UPDATE_GOLDEN=1 cargo test --test cli_diff_ci\n--- expected\n{expected}\n--- actual\n{actual}",
        path.display()
    );
}

/// The checkout pair written into `dir`, named by relative paths (so output naming the files is
/// the same in every temporary directory).
fn checkout(dir: &Path) -> (String, String) {
    let (a, b) = checkout_pair();
    write(dir, &a);
    write(dir, &b);
    ("checkout-v1.json.gz".into(), "checkout-v2.json.gz".into())
}

fn diff(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = otelsnap(dir).arg("diff").args(args).output().unwrap();
    assert!(
        out.status.code() != Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

/// Parses JUnit XML with Python's standard-library parser (a real, strict XML parser) and
/// returns what CI report readers use: per suite its name and counts, per case its name and
/// whether (and how) it failed or was skipped.
fn parse_junit(xml: &str) -> Value {
    let script = r#"
import json, sys, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.buffer.read())
assert root.tag == "testsuites", root.tag
out = {"name": root.get("name"), "tests": int(root.get("tests")), "failures": int(root.get("failures")),
       "skipped": int(root.get("skipped")), "suites": []}
for s in root.findall("testsuite"):
    cases = []
    for c in s.findall("testcase"):
        f = c.find("failure")
        cases.append({"classname": c.get("classname"), "name": c.get("name"),
                      "failure": None if f is None else {"type": f.get("type"), "message": f.get("message"), "text": f.text},
                      "skipped": c.find("skipped") is not None,
                      "out": (c.findtext("system-out") or "")})
    out["suites"].append({"name": s.get("name"), "tests": int(s.get("tests")), "failures": int(s.get("failures")),
                          "skipped": int(s.get("skipped")), "cases": cases})
print(json.dumps(out))
"#;
    let mut child = StdCommand::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs the XML check");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), xml.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "not well-formed JUnit XML: {}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn severity_rank(s: &str) -> u8 {
    match s {
        "info" => 0,
        "warning" => 1,
        "critical" => 2,
        other => panic!("unknown severity {other}"),
    }
}

#[test]
fn junit_golden_is_well_formed_and_fails_exactly_the_gated_changes() {
    let d = tempfile::tempdir().unwrap();
    let (a, b) = checkout(d.path());
    let (code, xml) = diff(d.path(), &[&a, &b, "--format", "junit"]);
    assert_eq!(code, 1);
    check_golden("checkout.junit.xml", &xml);
    let (_, json) = diff(d.path(), &[&a, &b, "--format", "json"]);
    let json: Value = serde_json::from_str(&json).unwrap();
    let changes = json["changes"].as_array().unwrap();

    for (fail_on, threshold) in [("info", 0u8), ("warning", 1), ("critical", 2)] {
        let (_, xml) = diff(
            d.path(),
            &[&a, &b, "--format", "junit", "--fail-on", fail_on],
        );
        let j = parse_junit(&xml);
        let suites: Vec<&str> = j["suites"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap())
            .collect();
        assert_eq!(suites, ["metrics", "spans", "logs", "attributes"]);
        assert_eq!(j["tests"].as_u64().unwrap() as usize, changes.len());
        let want_failures = changes
            .iter()
            .filter(|c| severity_rank(c["severity"].as_str().unwrap()) >= threshold)
            .count();
        assert!(want_failures > 0);
        assert_eq!(
            j["failures"].as_u64().unwrap() as usize,
            want_failures,
            "{fail_on}"
        );
        // Per suite: counts agree with the cases, and each change is in its signal's suite.
        for s in j["suites"].as_array().unwrap() {
            let cases = s["cases"].as_array().unwrap();
            assert_eq!(s["tests"].as_u64().unwrap() as usize, cases.len());
            let failed = cases.iter().filter(|c| !c["failure"].is_null()).count();
            assert_eq!(s["failures"].as_u64().unwrap() as usize, failed);
            let plural = s["name"].as_str().unwrap();
            let in_json = changes
                .iter()
                .filter(|c| format!("{}s", c["signal_type"].as_str().unwrap()) == plural)
                .count();
            assert_eq!(cases.len(), in_json, "{plural}");
            for c in cases {
                assert_eq!(c["classname"], format!("otelsnap.{plural}"));
                if let Some(f) = c["failure"].as_object() {
                    let sev = f["type"].as_str().unwrap();
                    assert!(severity_rank(sev) >= threshold);
                    // The text carries rule and fingerprint for writing an ignore entry.
                    let text = f["text"].as_str().unwrap();
                    assert!(
                        text.contains("[rule ") && text.contains("fingerprint "),
                        "{text}"
                    );
                }
            }
        }
    }
    // --fail-on never: nothing fails, and the exit code agrees.
    let (code, xml) = diff(
        d.path(),
        &[&a, &b, "--format", "junit", "--fail-on", "never"],
    );
    assert_eq!(code, 0);
    assert_eq!(parse_junit(&xml)["failures"], 0);
}

#[test]
fn junit_escapes_hostile_names() {
    let d = tempfile::tempdir().unwrap();
    let a = session("a", Some(60));
    let mut b = session("b", Some(60));
    let evil = "evil<\"&'>\u{1b}[31m]]>name";
    b.data.metrics = vec![metric(evil, MetricType::Gauge, 5, 10, &[("k\u{7}", 3)])];
    write(d.path(), &a);
    write(d.path(), &b);
    let (_, xml) = diff(d.path(), &["a.json.gz", "b.json.gz", "--format", "junit"]);
    assert!(!xml.contains('\u{1b}'), "raw escape byte in XML");
    let j = parse_junit(&xml);
    let case = &j["suites"][0]["cases"][0];
    assert_eq!(
        case["name"], "metric evil<\"&'>\u{FFFD}[31m]]>name (added)",
        "{xml}"
    );
}

#[test]
fn sarif_golden_is_valid_2_1_0_with_rules_levels_and_locations() {
    let d = tempfile::tempdir().unwrap();
    let (a, b) = checkout(d.path());
    let (code, text) = diff(d.path(), &[&a, &b, "--format", "sarif"]);
    assert_eq!(code, 1);
    check_golden("checkout.sarif.json", &text);
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["version"], "2.1.0");
    assert!(v["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let run = &v["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "otelsnap");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let all: Vec<&str> = otelsnap::diff::Rule::ALL
        .iter()
        .map(|r| r.as_str())
        .collect();
    assert_eq!(ids, all);
    for r in rules {
        let lvl = r["defaultConfiguration"]["level"].as_str().unwrap();
        assert!(["error", "warning", "note"].contains(&lvl));
        assert!(!r["shortDescription"]["text"].as_str().unwrap().is_empty());
    }
    let (_, json) = diff(d.path(), &[&a, &b, "--format", "json"]);
    let json: Value = serde_json::from_str(&json).unwrap();
    let details: Vec<&Value> = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["details"].as_array().unwrap())
        .collect();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), details.len());
    for (res, det) in results.iter().zip(&details) {
        let id = res["ruleId"].as_str().unwrap();
        assert_eq!(id, det["rule"]);
        let idx = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], id);
        let want = match det["severity"].as_str().unwrap() {
            "critical" => "error",
            "warning" => "warning",
            _ => "note",
        };
        assert_eq!(res["level"], want);
        assert_eq!(
            res["partialFingerprints"]["otelsnapDetail/v1"],
            det["fingerprint"]
        );
        assert!(!res["message"]["text"].as_str().unwrap().is_empty());
        let loc = &res["locations"][0];
        // FROM is a file: results point at it.
        assert_eq!(
            loc["physicalLocation"]["artifactLocation"]["uri"],
            "checkout-v1.json.gz"
        );
        assert!(loc["logicalLocations"][0]["fullyQualifiedName"].is_string());
    }
    // --location wins.
    let (_, text) = diff(
        d.path(),
        &[
            &a,
            &b,
            "--format",
            "sarif",
            "--location",
            "ci/otelsnap-baseline.json.gz",
        ],
    );
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "ci/otelsnap-baseline.json.gz"
    );
}

#[test]
fn sarif_from_stored_sessions_has_no_file_location() {
    let d = tempfile::tempdir().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    for (f, n) in [("checkout-v1.json.gz", "v1"), ("checkout-v2.json.gz", "v2")] {
        otelsnap(d.path())
            .arg("import")
            .arg(fixtures.join(f))
            .args(["--name", n])
            .assert()
            .success();
    }
    let (_, text) = diff(d.path(), &["v1", "v2", "--format", "sarif"]);
    let v: Value = serde_json::from_str(&text).unwrap();
    let loc = &v["runs"][0]["results"][0]["locations"][0];
    assert!(loc.get("physicalLocation").is_none(), "{loc}");
    assert!(loc["logicalLocations"].is_array());
}

#[test]
fn github_annotates_warning_and_above_at_most_ten_per_level_with_one_notice() {
    let d = tempfile::tempdir().unwrap();
    let mut a = session("a", Some(60));
    let mut b = session("b", Some(60));
    // 13 removed metrics (warnings) and 2 small new ones (info). Named by letters: names that
    // differ by a number would fold into one pattern change (`gone.<n>`).
    a.data.metrics = (0..13u8)
        .map(|i| {
            metric(
                &format!("gone.{}", char::from(b'a' + i)),
                MetricType::Gauge,
                30,
                10,
                &[("k", 30)],
            )
        })
        .collect();
    b.data.metrics = (0..2)
        .map(|i| metric(&format!("small.{i}"), MetricType::Gauge, 3, 10, &[]))
        .collect();
    write(d.path(), &a);
    write(d.path(), &b);
    let (code, out) = diff(
        d.path(),
        &[
            "a.json.gz",
            "b.json.gz",
            "--format",
            "github",
            "--location",
            "ci/base line,1.json.gz",
        ],
    );
    assert_eq!(code, 1);
    let lines: Vec<&str> = out.lines().collect();
    let warnings = lines.iter().filter(|l| l.starts_with("::warning ")).count();
    let notices: Vec<&&str> = lines
        .iter()
        .filter(|l| l.starts_with("::notice "))
        .collect();
    assert_eq!(warnings, 10, "{out}");
    assert_eq!(notices.len(), 1, "{out}");
    assert!(
        notices[0].contains("3 more warnings not annotated"),
        "{out}"
    );
    assert!(notices[0].contains("2 info changes"), "{out}");
    assert_eq!(lines.len(), 11, "{out}");
    // file= carries the escaped path on every annotation.
    for l in lines.iter().filter(|l| l.starts_with("::warning ")) {
        assert!(
            l.starts_with("::warning file=ci/base line%2C1.json.gz,title="),
            "{l}"
        );
    }
}

#[test]
fn tolerance_takes_a_percentage() {
    let d = tempfile::tempdir().unwrap();
    let (a, b) = checkout(d.path());
    let pct = diff(
        d.path(),
        &[&a, &b, "--format", "json", "--tolerance", "80%"],
    );
    let frac = diff(
        d.path(),
        &[&a, &b, "--format", "json", "--tolerance", "0.8"],
    );
    assert_eq!(pct, frac);
    let none = diff(d.path(), &[&a, &b, "--format", "json"]);
    assert_ne!(pct.1, none.1, "80% must differ from the default tolerance");
    otelsnap(d.path())
        .args(["diff", &a, &b, "--tolerance", "ten"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("use e.g. 10% or 0.1"));
}
