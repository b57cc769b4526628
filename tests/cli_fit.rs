//! Output that fits: `diff` and `list` tables at 80 and 200 columns ($COLUMNS) have no line
//! wider than that and never break a word (every word of the fitted output is a word of the
//! unfitted output, or a name shortened with `…`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

mod common;

use std::collections::BTreeSet;
use std::path::Path;

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

fn words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| c.is_whitespace() || "│┆╞╪╡═─┌┐└┘┬┴├┤┼╭╮╯╰".contains(c))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

fn check_fits(fitted: &str, natural: &str, width: usize) {
    for l in fitted.lines() {
        assert!(
            l.chars().count() <= width,
            "line wider than {width}: {l:?}\n{fitted}"
        );
    }
    let known = words(natural);
    for w in words(fitted) {
        assert!(
            known.contains(&w) || w.contains('…'),
            "'{w}' is not a whole word of the unfitted output (a word was broken) at {width}:\n{fitted}"
        );
    }
}

fn run(dir: &Path, columns: Option<usize>, args: &[&str]) -> String {
    let mut c = common::cmd(dir);
    if let Some(w) = columns {
        c.env("COLUMNS", w.to_string());
    }
    let out = c.args(args).output().unwrap();
    assert!(
        out.status.code() != Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn diff_table_fits_80_and_200_columns() {
    let d = tempfile::tempdir().unwrap();
    let v1 = fixture("checkout-v1.json.gz");
    let v2 = fixture("checkout-v2.json.gz");
    let args = [
        "diff",
        v1.to_str().unwrap(),
        v2.to_str().unwrap(),
        "--fail-on",
        "never",
    ];
    let mut with_ids = args.to_vec();
    with_ids.push("--ids");
    let natural = run(d.path(), None, &with_ids);
    assert!(
        natural.lines().any(|l| l.chars().count() > 80),
        "the test needs a wide table"
    );
    // Without --ids a change shows three details and "… and N more": those words are whole
    // words of the unfitted output too.
    let unfitted = format!("{natural}{}", run(d.path(), None, &args));
    for width in [80, 200] {
        let fitted = run(d.path(), Some(width), &args);
        check_fits(&fitted, &unfitted, width);
        // Names are kept whole when they fit.
        assert!(fitted.contains("http.server.request.duration"), "{fitted}");
        assert!(fitted.contains("rules: built-in defaults"), "{fitted}");
    }
    // Wide enough: each line's severity, rule and fingerprint, for writing ignore entries.
    let wide = run(d.path(), Some(200), &args);
    assert!(
        wide.contains("(critical · cardinality_critical ·") && wide.contains("adbbe92e795e"),
        "{wide}"
    );
    let narrow = run(d.path(), Some(80), &args);
    assert!(!narrow.contains("adbbe92e795e"), "{narrow}");
    // Asked for at 80 columns: wrapped, still whole words.
    let narrow_ids = run(d.path(), Some(80), &with_ids);
    check_fits(&narrow_ids, &natural, 80);
    assert!(narrow_ids.contains("adbbe92e795e"), "{narrow_ids}");
    // Piped without $COLUMNS: nothing cut (the JSON-like full table).
    assert!(natural.contains("services"));
}

#[test]
fn diff_table_names_the_rules_file() {
    let d = tempfile::tempdir().unwrap();
    let rules = d.path().join("gate.toml");
    std::fs::write(&rules, "[thresholds]\ncardinality_critical = 20.0\n").unwrap();
    let out = run(
        d.path(),
        Some(120),
        &[
            "diff",
            fixture("checkout-v1.json.gz").to_str().unwrap(),
            fixture("checkout-v2.json.gz").to_str().unwrap(),
            "--fail-on",
            "never",
            "--rules",
            rules.to_str().unwrap(),
        ],
    );
    assert!(
        out.contains(&format!("rules: {}", rules.display())),
        "{out}"
    );
}

#[test]
fn list_fits_80_and_200_columns_with_times_zone_and_age() {
    let d = tempfile::tempdir().unwrap();
    let long = "a-very-long-session-name-for-the-nightly-checkout-service-run-12345";
    common::cmd(d.path())
        .arg("import")
        .arg(fixture("checkout-v1.json.gz"))
        .args(["--name", long])
        .assert()
        .success();
    common::cmd(d.path())
        .arg("import")
        .arg(fixture("checkout-v2.json.gz"))
        .assert()
        .success();
    std::fs::write(d.path().join("broken.json.gz"), "not a session").unwrap();
    let natural = run(d.path(), None, &["list"]);
    for width in [80, 200] {
        let fitted = run(d.path(), Some(width), &["list"]);
        check_fits(&fitted, &natural, width);
        assert!(fitted.contains("CREATED (UTC)"), "{fitted}");
        assert!(fitted.contains("2025-03-10 10:01 ("), "{fitted}");
        assert!(fitted.contains("d ago)"), "{fitted}");
        assert!(fitted.contains("unreadable:"), "{fitted}");
    }
    let wide = run(d.path(), Some(200), &["list"]);
    assert!(wide.contains("SERVICES"), "{wide}");
    // Very long names keep both ends.
    assert!(
        wide.lines()
            .any(|l| l.contains("a-very-long-session-…") && l.contains("-run-12345")),
        "{wide}"
    );
}
