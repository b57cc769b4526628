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
        let items = session_items(&html);
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

/// The largest estimate among `keys`, the first key (in key order) on a tie.
fn top_of(keys: &Value) -> Value {
    let mut best: Option<(&String, &Value)> = None;
    for (k, ks) in keys.as_object().unwrap() {
        let c = ks["estimated_cardinality"].as_u64().unwrap();
        if best.is_none_or(|(_, b)| c > b["estimated_cardinality"].as_u64().unwrap()) {
            best = Some((k, ks));
        }
    }
    match best {
        Some((k, ks)) => serde_json::json!([
            k,
            ks["estimated_cardinality"],
            ks.get("approximate").cloned().unwrap_or(Value::Bool(false))
        ]),
        None => serde_json::json!([null, 0, false]),
    }
}

fn names(m: &Value) -> Value {
    Value::Array(
        m.as_object()
            .unwrap()
            .keys()
            .map(|k| Value::from(k.as_str()))
            .collect(),
    )
}

#[test]
fn a_large_session_page_draws_its_tables_from_rows_and_packs_items_in_chunks() {
    // 1,200 metrics: three chunks of at most 500 items, each packed, and a rows table for the
    // page to draw and sort without unpacking any item.
    let dir = tempfile::tempdir().unwrap();
    let s = otelsnap_testkit::synth::session("rows", 1_200, 7);
    let path = dir.path().join("rows.json.gz");
    std::fs::write(&path, otelsnap::session::format::to_gzip(&s)).unwrap();
    let p = path.display().to_string();
    let html = stdout_of(dir.path(), &["show", &p, "--format", "html"]);
    let data = &exported_without_sketches(dir.path(), &p)["data"];
    let items = session_items(&html);
    for k in ["metrics", "spans", "logs", "attributes"] {
        assert_eq!(
            items[k], data[k],
            "{k}: the chunks hold every item, in order"
        );
    }
    for n in 0..3 {
        let (text, packed) = block_text(&html, &format!("otelsnap-items-metrics-{n}"));
        assert!(packed, "metric chunk {n} is packed ({} bytes)", text.len());
        let len = block(&html, &format!("otelsnap-items-metrics-{n}"))
            .as_array()
            .unwrap()
            .len();
        assert_eq!(len, if n < 2 { 500 } else { 200 }, "chunk {n}");
    }
    assert!(!html.contains("id=\"otelsnap-items-metrics-3\""));

    let rows = block(&html, "otelsnap-rows");
    assert_eq!(rows["chunk_items"], 500);
    let metrics = data["metrics"].as_array().unwrap();
    let mrows = rows["metrics"].as_array().unwrap();
    assert_eq!(mrows.len(), metrics.len());
    for (r, m) in mrows.iter().zip(metrics) {
        let want = serde_json::json!([
            m["name"],
            m["type"],
            m.get("unit").cloned().unwrap_or(Value::from("")),
            m["active_series"],
            m.get("series_approximate")
                .cloned()
                .unwrap_or(Value::Bool(false)),
            m["data_point_count"],
            m["label_keys"].as_object().unwrap().len(),
            top_of(&m["label_keys"]),
            names(&m["services"]),
        ]);
        assert_eq!(r, &want, "the row of {}", m["name"]);
    }
    for (r, x) in rows["spans"]
        .as_array()
        .unwrap()
        .iter()
        .zip(data["spans"].as_array().unwrap())
    {
        assert_eq!(r[0], x["name"]);
        assert_eq!(
            r[5],
            top_of(&x["attribute_keys"]),
            "top attribute of {}",
            x["name"]
        );
    }
    assert_eq!(
        rows["spans"].as_array().unwrap().len(),
        data["spans"].as_array().unwrap().len()
    );
    assert_eq!(
        rows["logs"].as_array().unwrap().len(),
        data["logs"].as_array().unwrap().len()
    );
    let attrs = data["attributes"].as_array().unwrap();
    assert_eq!(rows["attributes"].as_array().unwrap().len(), attrs.len());
    for (r, a) in rows["attributes"].as_array().unwrap().iter().zip(attrs) {
        assert_eq!(
            (&r[0], &r[1], &r[3]),
            (&a["key"], &a["estimated_cardinality"], &a["count"])
        );
    }
    // Per service: items of each signal that name it, and the points they counted there.
    let svc = rows["services"].as_object().unwrap();
    assert!(!svc.is_empty());
    for (name, counts) in svc {
        let mut want = [0u64; 4];
        for (i, k) in ["metrics", "spans", "logs"].iter().enumerate() {
            for x in data[*k].as_array().unwrap() {
                if let Some(n) = x["services"].get(name) {
                    want[i] += 1;
                    want[3] += n.as_u64().unwrap();
                }
            }
        }
        assert_eq!(counts, &serde_json::json!(want), "service {name}");
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

/// `text` with every code span taken out (a run of N backticks to the next run of exactly N):
/// what is left is what GitHub reads as Markdown and HTML.
fn outside_code_spans(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    let mut plain = 0;
    while i < b.len() {
        if b[i] == b'`' && (i == 0 || b[i - 1] != b'\\') {
            let n = b[i..].iter().take_while(|&&c| c == b'`').count();
            let mut j = i + n;
            let mut close = None;
            while j < b.len() {
                if b[j] == b'`' {
                    let m = b[j..].iter().take_while(|&&c| c == b'`').count();
                    if m == n {
                        close = Some(j + m);
                        break;
                    }
                    j += m;
                } else {
                    j += 1;
                }
            }
            if let Some(end) = close {
                out.push_str(&text[plain..i]);
                out.push_str("CODE");
                i = end;
                plain = end;
                continue;
            }
            i += n;
        } else {
            i += 1;
        }
    }
    out.push_str(&text[plain..]);
    out
}

fn commas(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Unescaped pipes of a table line: its column count plus one.
fn pipes(line: &str) -> usize {
    let b = line.as_bytes();
    (0..b.len())
        .filter(|&i| b[i] == b'|' && (i == 0 || b[i - 1] != b'\\'))
        .count()
}

#[test]
fn markdown_changes_carry_both_sides_key_tables() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = fixtures();
    let md = stdout_of(dir.path(), &["diff", &a, &b, "--format", "markdown"]);
    let block = md
        .split("<details>")
        .find(|b| b.contains("<code>http.server.request.duration</code>"))
        .expect("the request-duration change");
    // The key this change is about comes first, in bold, with both sides' numbers.
    let header = "| scope | key | FROM count | FROM % | FROM cardinality | FROM samples | TO count | TO % | TO cardinality | TO samples |";
    let at = block.find(header).expect("a side-by-side key table");
    let first = block[at..].lines().nth(2).unwrap();
    assert!(first.starts_with("| label | **`user_id`** |"), "{first}");
    let cells: Vec<&str> = first.split(" | ").collect();
    let from = exported_without_sketches(dir.path(), &a);
    let to = exported_without_sketches(dir.path(), &b);
    let user = |s: &Value| -> Option<u64> {
        s["data"]["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == "http.server.request.duration")
            .unwrap()["label_keys"]
            .get("user_id")
            .map(|k| k["estimated_cardinality"].as_u64().unwrap())
    };
    let shown = |n: Option<u64>| n.map_or("—".to_string(), commas);
    assert_eq!(
        (cells[4].to_string(), cells[8].to_string()),
        (shown(user(&from)), shown(user(&to))),
        "{first}"
    );
    assert!(
        user(&to).is_some() && cells[9].contains('`'),
        "samples: {first}"
    );
    // Every key of both sides is listed (the metric has fewer than the row cap).
    let keys = |s: &Value| -> std::collections::BTreeSet<String> {
        let m = s["data"]["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == "http.server.request.duration")
            .unwrap();
        ["label_keys", "resource_keys"]
            .iter()
            .flat_map(|g| m[*g].as_object().unwrap().keys().cloned())
            .collect()
    };
    let rows = block[at..]
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .count();
    assert_eq!(rows, keys(&from).union(&keys(&to)).count(), "{block}");
    // An attribute change shows the attribute on each side.
    let attr = md
        .split("<details>")
        .find(|b| b.contains(" · attribute ") && b.contains("<code>user_id</code>"))
        .unwrap();
    assert!(
        attr.contains("| FROM | ") && attr.contains("| TO | "),
        "{attr}"
    );
    // The output is the comment GitHub will take.
    assert!(md.starts_with("<!-- otelsnap-diff -->\n"));
    assert!(
        !md.contains("not shown ("),
        "no change is left out of a small diff"
    );
}

#[test]
fn markdown_key_tables_keep_hostile_names_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("otelsnap");
    let (a, b) = markup_pair(&bin, dir.path());
    // A label key made of Markdown: a pipe, backticks, a newline, a mention, a link, emphasis.
    let hostile = "a|b`` `c`\nd @octocat [x](https://e.example) *em* <u>under</u>";
    let mut to: Value = serde_json::from_slice(&std::fs::read(&b).unwrap()).unwrap();
    let m = to["data"]["metrics"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|m| m["name"] == MARKUP_NAMES[0])
        .unwrap();
    let user = m["label_keys"]["user_id"].clone();
    let card = commas(user["estimated_cardinality"].as_u64().unwrap());
    m["label_keys"][hostile] = user;
    std::fs::write(&b, serde_json::to_vec(&to).unwrap()).unwrap();
    let (a, b) = (a.display().to_string(), b.display().to_string());
    let md = stdout_of(dir.path(), &["diff", &a, &b, "--format", "markdown"]);

    // The key is one code span in its row: fenced by three backticks, the newline visible, the
    // pipe escaped for the table.
    let span = "```a\\|b`` `c`\\nd @octocat [x](https://e.example) *em* <u>under</u>```";
    let row = md
        .lines()
        .find(|l| l.starts_with("| label |") && l.contains(span))
        .unwrap_or_else(|| panic!("no key row holding {span}:\n{md}"));
    assert!(row.contains(&format!("| {card} |")), "{row}");
    // Outside code spans nothing of the telemetry is markup, a link or a mention.
    let plain = outside_code_spans(&md);
    for bad in [
        "<img",
        "<svg",
        "<script",
        "</script",
        "<u>",
        "@octocat",
        "[x](https://",
        "*em*",
    ] {
        assert!(
            !plain.contains(bad),
            "{bad:?} outside a code span:\n{plain}"
        );
    }
    // Every table row has its header's columns: no name added or broke a cell.
    let mut columns = None;
    for line in md.lines() {
        if line.starts_with('|') {
            let n = pipes(line);
            let want = *columns.get_or_insert(n);
            assert_eq!(n, want, "{line}");
        } else {
            columns = None;
        }
    }
}

#[test]
fn markdown_stays_within_githubs_comment_limit_and_says_what_it_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let a = otelsnap_testkit::synth::session("cap-a", 3_000, 11);
    let b = otelsnap_testkit::synth::perturb(&a, "cap-b", 400, 12);
    let (pa, pb) = (dir.path().join("a.json.gz"), dir.path().join("b.json.gz"));
    std::fs::write(&pa, otelsnap::session::format::to_gzip(&a)).unwrap();
    std::fs::write(&pb, otelsnap::session::format::to_gzip(&b)).unwrap();
    let (pa, pb) = (pa.display().to_string(), pb.display().to_string());
    let args = ["diff", pa.as_str(), pb.as_str(), "--fail-on", "never"];
    let md = stdout_of(dir.path(), &[&args[..], &["--format", "markdown"]].concat());
    let json = json_of(dir.path(), &[&args[..], &["--format", "json"]].concat());
    let total = json["changes"].as_array().unwrap().len();
    assert!(
        md.len() <= 65_536,
        "{} bytes, over GitHub's comment limit",
        md.len()
    );
    assert!(md.starts_with("<!-- otelsnap-diff -->\n"));
    let shown = md.matches("<details>").count();
    assert_eq!(shown, md.matches("</details>").count(), "no block is cut");
    assert!(shown > 0 && shown < total, "{shown} of {total} shown");
    let note = md
        .lines()
        .find(|l| l.contains("more changes not shown"))
        .unwrap_or_else(|| panic!("no visible note:\n{}", &md[md.len() - 600..]));
    let n: usize = note
        .trim_start_matches("> **⚠ ")
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(shown + n, total, "{note}");
    assert!(note.contains("65,536"), "{note}");
    // What is shown is the head of the ranking.
    let first_left_out = &json["changes"][shown]["name"];
    assert!(
        !md.contains(&format!(
            "<code>{}</code>",
            first_left_out.as_str().unwrap()
        )),
        "{first_left_out} is left out"
    );
    assert!(md.contains(&format!(
        "<code>{}</code>",
        json["changes"][shown - 1]["name"].as_str().unwrap()
    )));
}

#[test]
fn markdown_key_tables_carry_the_verdicts_and_the_fix_sits_in_its_change() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (
        fixture("ci-before.json.gz").display().to_string(),
        fixture("ci-after.json.gz").display().to_string(),
    );
    let md = stdout_of(dir.path(), &["diff", &a, &b, "--format", "markdown"]);
    let json = json_of(dir.path(), &["diff", &a, &b, "--format", "json"]);
    let top = &json["changes"][0];
    let block = md
        .split("<details>")
        .find(|x| x.contains(&format!("<code>{}</code>", top["name"].as_str().unwrap())))
        .and_then(|x| x.split("</details>").next())
        .unwrap();
    // The verdict finding's after-value is the verdict, not its JSON.
    let verdict_row = block
        .lines()
        .find(|l| l.starts_with("| `label_keys.session_id.verdict`"))
        .unwrap_or_else(|| panic!("{block}"));
    assert!(verdict_row.contains("| unbounded (97%) |"), "{verdict_row}");
    assert!(!verdict_row.contains('{'), "{verdict_row}");
    // The key table has a verdict column: session_id unbounded, the route bounded.
    let key_row = |k: &str| {
        block
            .lines()
            .find(|l| l.starts_with("| label |") && l.contains(&format!("`{k}`")))
            .unwrap_or_else(|| panic!("no row for {k}:\n{block}"))
    };
    assert!(block.contains("| TO samples | verdict |"), "{block}");
    assert!(key_row("session_id").ends_with("| unbounded (97%) |"));
    assert!(key_row("http.route").contains("| bounded ("));
    // Both snippets of the fix, exactly as the JSON has them, inside this change.
    let fix = &top["metadata"]["fixes"][0];
    for k in ["sdk_view", "collector"] {
        let text = fix[k].as_str().unwrap();
        assert!(
            block.contains(&format!("```yaml\n{text}```\n")),
            "{k} not in the block:\n{block}"
        );
    }
}
