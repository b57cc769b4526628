//! `--format html` and `-o FILE` of `diff` and `show`, without a browser: the embedded JSON is
//! the `--format json` output (golden: one schema), the page loads nothing and allows only its
//! own script and style, telemetry cannot close its script element, and `-o` writes
//! atomically and refuses to replace what is not a regular file. The page in a real browser is
//! tested by tests/report_browser.rs.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

mod common;
#[path = "common/report.rs"]
mod report;
#[path = "diff_golden/support.rs"]
mod support;

use std::path::{Path, PathBuf};

use base64::Engine as _;
use report::*;
use serde_json::Value;
use sha2::{Digest, Sha256};

fn otelsnap(dir: &Path) -> assert_cmd::Command {
    let mut c = common::cmd(&dir.join("sessions"));
    c.current_dir(dir).env_remove("GITHUB_OUTPUT");
    c
}

fn stdout_of(dir: &Path, args: &[&str]) -> String {
    let out = otelsnap(dir).args(args).output().unwrap();
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn json_of(dir: &Path, args: &[&str]) -> Value {
    serde_json::from_str(&stdout_of(dir, args)).unwrap()
}

fn fixtures() -> (String, String) {
    (
        fixture("checkout-v1.json.gz").display().to_string(),
        fixture("checkout-v2.json.gz").display().to_string(),
    )
}

/// The session as `export` prints it, without sketch bytes or the evidence's value-hash
/// samples (merge state both): what a page's items must hold.
fn exported_without_sketches(dir: &Path, session: &str) -> Value {
    let mut v = json_of(dir, &["export", session]);
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                m.remove("sketch");
                m.remove("series_sketch");
                if let Some(Value::Object(ev)) = m.get_mut("evidence") {
                    ev.remove("sample");
                    ev.remove("sample_level");
                }
                m.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    v
}

#[test]
fn diff_page_embeds_exactly_the_json_output_and_both_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = fixtures();
    for extra in [
        &[][..],
        &["--min-severity", "warning", "--signal", "metrics,spans"][..],
    ] {
        let mut args = vec!["diff", a.as_str(), b.as_str(), "--fail-on", "never"];
        args.extend_from_slice(extra);
        let json = json_of(
            dir.path(),
            &[args.clone(), vec!["--format", "json"]].concat(),
        );
        let html = stdout_of(
            dir.path(),
            &[args.clone(), vec!["--format", "html"]].concat(),
        );
        assert_eq!(
            block(&html, "otelsnap-diff"),
            json,
            "diff block for {extra:?}"
        );
        // Each side's overview is what `show --format json` prints for that file.
        for (side, path) in [("from", &a), ("to", &b)] {
            let show = json_of(dir.path(), &["show", path, "--format", "json"]);
            assert_eq!(
                block(&html, &format!("otelsnap-{side}-show")),
                show,
                "{side} show block"
            );
            let items = block(&html, &format!("otelsnap-{side}-items"));
            let data = &exported_without_sketches(dir.path(), path)["data"];
            assert_eq!(items["partial"], false, "small sessions are embedded whole");
            for k in ["metrics", "spans", "logs", "attributes"] {
                assert_eq!(
                    items[k], data[k],
                    "{side} {k} are the session's, without sketches"
                );
            }
        }
    }
}

#[test]
fn diff_page_of_the_golden_pair_embeds_the_golden_json() {
    // tests/diff_golden/checkout.json is the golden `--format json` output of this pair.
    let dir = tempfile::tempdir().unwrap();
    let (from, to) = support::checkout_pair();
    let a = support::write(dir.path(), &from).display().to_string();
    let b = support::write(dir.path(), &to).display().to_string();
    let html = stdout_of(dir.path(), &["diff", &a, &b, "--format", "html"]);
    let golden: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diff_golden/checkout.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(block(&html, "otelsnap-diff"), golden);
}

#[test]
fn show_page_embeds_exactly_the_json_output_and_every_selected_item() {
    let dir = tempfile::tempdir().unwrap();
    let (_, b) = fixtures();
    for extra in [
        &[][..],
        &["--top", "3", "--service", "payment"][..],
        &["--signal", "metrics,logs"][..],
    ] {
        let mut args = vec!["show", b.as_str()];
        args.extend_from_slice(extra);
        let json = json_of(
            dir.path(),
            &[args.clone(), vec!["--format", "json"]].concat(),
        );
        let html = stdout_of(
            dir.path(),
            &[args.clone(), vec!["--format", "html"]].concat(),
        );
        assert_eq!(
            block(&html, "otelsnap-show"),
            json,
            "show block for {extra:?}"
        );
        let items = block(&html, "otelsnap-items");
        let data = &exported_without_sketches(dir.path(), &b)["data"];
        let svc = extra.windows(2).find(|w| w[0] == "--service").map(|w| w[1]);
        for (k, section) in [("metrics", "metrics"), ("spans", "spans"), ("logs", "logs")] {
            let want: Vec<&Value> = if json.get(section).is_none() {
                Vec::new()
            } else {
                data[k]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|x| svc.is_none_or(|s| x["services"].get(s).is_some()))
                    .collect()
            };
            let got: Vec<&Value> = items[k].as_array().unwrap().iter().collect();
            assert_eq!(got, want, "{k} for {extra:?}");
            // The overview's totals count the same items the page lists.
            if let Some(total) = json.get(section).map(|s| &s["total"]) {
                assert_eq!(total, &Value::from(got.len()), "{k} total for {extra:?}");
            }
        }
        if let Some(total) = json.get("attributes").map(|s| &s["total"]) {
            assert_eq!(
                total,
                &Value::from(items["attributes"].as_array().unwrap().len())
            );
        }
    }
}

#[test]
fn page_allows_only_its_own_script_and_style_and_loads_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = fixtures();
    for html in [
        stdout_of(dir.path(), &["diff", &a, &b, "--format", "html"]),
        stdout_of(dir.path(), &["show", &b, "--format", "html"]),
    ] {
        let csp_start = html
            .find("http-equiv=\"Content-Security-Policy\" content=\"")
            .unwrap();
        let csp = &html[csp_start..];
        let csp = &csp[csp.find("content=\"").unwrap() + 9..];
        let csp = &csp[..csp.find('"').unwrap()];
        let hash = |t: &str| {
            format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(Sha256::digest(t.as_bytes()))
            )
        };
        let script = {
            let s = html.rfind("<script>").unwrap() + 8;
            &html[s..s + html[s..].find("</script>").unwrap()]
        };
        let style = {
            let s = html.find("<style>").unwrap() + 7;
            &html[s..s + html[s..].find("</style>").unwrap()]
        };
        assert!(csp.starts_with("default-src 'none';"), "{csp}");
        assert!(
            csp.contains(&format!("script-src {};", hash(script))),
            "{csp}"
        );
        assert!(
            csp.contains(&format!("style-src {};", hash(style))),
            "{csp}"
        );
        assert!(!csp.contains("unsafe") && !csp.contains("http"), "{csp}");
        // One executable script and one style element; nothing refers to the network.
        assert_eq!(html.matches("<script>").count(), 1);
        assert_eq!(html.matches("<style>").count(), 1);
        for banned in [
            "http://", "https://", "src=", "<link", "<img", "@import", "url(",
        ] {
            assert!(!html.contains(banned), "page contains {banned}");
        }
    }
}

#[test]
fn markup_in_names_cannot_leave_the_json_block() {
    let dir = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("otelsnap");
    let (a, b) = markup_pair(&bin, dir.path());
    let (a, b) = (a.display().to_string(), b.display().to_string());
    let json = json_of(dir.path(), &["diff", &a, &b, "--format", "json"]);
    let html = stdout_of(dir.path(), &["diff", &a, &b, "--format", "html"]);
    fn mentions(v: &Value, name: &str) -> bool {
        match v {
            Value::String(s) => s.contains(name),
            Value::Array(a) => a.iter().any(|x| mentions(x, name)),
            Value::Object(m) => m.iter().any(|(k, x)| k.contains(name) || mentions(x, name)),
            _ => false,
        }
    }
    // The renamed metric and its new label are changes; the renamed span is in both sessions.
    assert!(mentions(&json["changes"], MARKUP_NAMES[0]));
    assert!(mentions(&json["changes"], MARKUP_NAMES[1]));
    assert!(mentions(
        &block(&html, "otelsnap-to-items"),
        MARKUP_NAMES[2]
    ));
    for name in MARKUP_NAMES {
        assert!(!html.contains(name), "raw {name} in the page");
    }
    // The only closing script tags are the page's own: one per block and the script.
    assert_eq!(html.matches("</script>").count(), 6);
    assert!(!html.contains('\u{2028}') && !html.contains('\u{2029}'));
    assert_eq!(block(&html, "otelsnap-diff"), json);
}

#[test]
fn show_html_refuses_a_drill_down_flag() {
    let dir = tempfile::tempdir().unwrap();
    let (_, b) = fixtures();
    let out = otelsnap(dir.path())
        .args(["show", &b, "--format", "html", "--metric", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("--format html shows the whole session"),
        "{err}"
    );
}

fn out_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

#[test]
fn dash_o_writes_every_format_of_diff_and_show_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = fixtures();
    let formats: &[(&str, &[&str])] = &[
        (
            "diff",
            &[
                "table", "json", "markdown", "github", "junit", "sarif", "html",
            ],
        ),
        ("show", &["table", "json", "html"]),
    ];
    for (cmd, fmts) in formats {
        for fmt in *fmts {
            let args: Vec<&str> = if *cmd == "diff" {
                vec!["diff", &a, &b, "--fail-on", "never", "--format", fmt]
            } else {
                vec!["show", &b, "--format", fmt]
            };
            let want = stdout_of(dir.path(), &args);
            let path = out_path(dir.path(), &format!("{cmd}.{fmt}"));
            // An earlier report of the same name is replaced, as a rerun of a CI job expects.
            std::fs::write(&path, "stale").unwrap();
            let out = otelsnap(dir.path())
                .args(&args)
                .arg("-o")
                .arg(&path)
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(0), "{cmd} {fmt}");
            assert!(
                out.stdout.is_empty(),
                "{cmd} {fmt} -o prints nothing on stdout"
            );
            assert_eq!(std::fs::read_to_string(&path).unwrap(), want, "{cmd} {fmt}");
        }
    }
    // No temporary file is left beside the reports.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn diff_exit_code_is_the_same_with_dash_o() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = fixtures();
    let path = out_path(dir.path(), "r.html");
    let out = otelsnap(dir.path())
        .args(["diff", &a, &b, "--format", "html", "-o"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "changes found: exit 1 as without -o"
    );
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .starts_with("<!DOCTYPE html>")
    );
}

#[test]
fn dash_o_refuses_to_replace_what_is_not_a_regular_file() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = fixtures();
    let target = dir.path().join("real.html");
    std::fs::write(&target, "keep me").unwrap();
    let sub = dir.path().join("a-directory");
    std::fs::create_dir(&sub).unwrap();
    let link = dir.path().join("link.html");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    for path in [&sub, &link] {
        for args in [
            vec!["diff", a.as_str(), b.as_str(), "--format", "html"],
            vec!["show", b.as_str(), "--format", "json"],
        ] {
            let out = otelsnap(dir.path())
                .args(&args)
                .arg("-o")
                .arg(path)
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(2), "{args:?} -o {}", path.display());
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(err.contains("is not a regular file"), "{err}");
        }
    }
    assert!(sub.is_dir());
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    // A missing directory is one clear line too, and nothing is created.
    let out = otelsnap(dir.path())
        .args(["show", &b, "-o"])
        .arg(dir.path().join("missing/dir/r.txt"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("error: ") && err.contains("missing/dir"),
        "{err}"
    );
}
