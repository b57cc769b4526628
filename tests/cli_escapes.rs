//! Telemetry is untrusted text: control characters in metric, service and key names must
//! never reach a terminal raw (show, list, the diff formats, the capture summary, errors),
//! while JSON keeps them exact.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

mod common;

use std::path::Path;

use common::cmd;

/// One OTLP/JSON metrics line whose metric, service and key names carry ESC, BEL, C1 and DEL.
const HOSTILE: &str = r#"{"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc\u001b]0;pwned\u0007"}}]},"scopeMetrics":[{"metrics":[{"name":"evil\u001b[2J\u001b[31mred","gauge":{"dataPoints":[{"asInt":"1","attributes":[{"key":"k\u009b2J\u007f","value":{"stringValue":"v\u001bx"}}]}]}}]}]}]}"#;
const PLAIN: &str = r#"{"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},"scopeMetrics":[{"metrics":[{"name":"plain","gauge":{"dataPoints":[{"asInt":"1"}]}}]}]}]}"#;

fn no_raw_controls(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for (i, c) in text.char_indices() {
        let bad = matches!(c as u32, 0x00..=0x08 | 0x0b..=0x1f | 0x7f..=0x9f);
        assert!(!bad, "{what}: raw control {:?} at {i} in {text}", c);
    }
}

fn capture(dir: &Path, name: &str, line: &str) -> std::process::Output {
    let f = dir.join(format!("{name}.jsonl"));
    std::fs::write(&f, format!("{line}\n")).unwrap();
    cmd(&dir.join("s"))
        .args(["--color", "never", "capture", name, "--from-file"])
        .arg(&f)
        .output()
        .unwrap()
}

#[test]
fn control_characters_are_escaped_everywhere_humans_read_and_exact_in_json() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    let out = capture(dir, "hostile", HOSTILE);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    no_raw_controls("capture summary", &out.stderr);
    assert!(String::from_utf8_lossy(&out.stderr).contains("svc\\x1b]0;pwned\\x07"));
    let out = capture(dir, "plain", PLAIN);
    assert_eq!(out.status.code(), Some(0));
    let s = dir.join("s");
    let run = |args: &[&str]| {
        let o = cmd(&s)
            .args(["--color", "never"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            o.status.code().is_some_and(|c| c <= 1),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        o
    };
    let show = run(&["show", "hostile"]);
    no_raw_controls("show", &show.stdout);
    assert!(String::from_utf8_lossy(&show.stdout).contains("evil\\x1b[2J\\x1b[31mred"));
    let metric = run(&["show", "hostile", "--metric", "evil\x1b[2J\x1b[31mred"]);
    no_raw_controls("show --metric", &metric.stdout);
    assert!(String::from_utf8_lossy(&metric.stdout).contains("k\\u{9b}2J\\x7f"));
    no_raw_controls("list", &run(&["list"]).stdout);
    for format in ["table", "markdown", "github"] {
        // GitHub annotates warnings one by one (a removed metric is one) and only counts infos.
        let (from, to) = if format == "github" {
            ("hostile", "plain")
        } else {
            ("plain", "hostile")
        };
        let d = run(&[
            "diff",
            from,
            to,
            "--format",
            format,
            "--min-severity",
            "info",
        ]);
        no_raw_controls(format, &d.stdout);
        let out = String::from_utf8_lossy(&d.stdout);
        // Markdown writes `[` as `&#91;` in HTML and `\[` in text (no link can be made of a
        // name); GitHub shows both as `[`.
        let shown = if format == "markdown" {
            out.replace("&#91;", "[").replace("\\[", "[")
        } else {
            out.to_string()
        };
        assert!(shown.contains("evil\\x1b[2J"), "{format}: {out}");
    }
    // An error quoting a hostile argument.
    let e = cmd(&s)
        .args(["show", "hostile", "--metric", "nope\x1b[2J"])
        .output()
        .unwrap();
    no_raw_controls("error", &e.stderr);
    // JSON keeps the exact text.
    let json = run(&["export", "hostile"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["data"]["metrics"][0]["name"], "evil\x1b[2J\x1b[31mred");
}
