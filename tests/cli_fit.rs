//! Output that fits: `diff` and `list` tables at 80 and 200 columns ($COLUMNS) have no line
//! wider than that and never break a word (every word of the fitted output is a word of the
//! unfitted output, or a name shortened with `…`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

mod common;
#[path = "diff_golden/support.rs"]
mod support;

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
    for width in [80, 200] {
        let fitted = run(d.path(), Some(width), &args);
        check_fits(&fitted, &natural, width);
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

/// The cells of each line of the changes table (the last table of the output), trimmed.
fn change_rows(out: &str) -> Vec<Vec<String>> {
    let last = out.rfind('┌').unwrap();
    out[last..]
        .lines()
        .filter_map(|l| {
            let inner = l.strip_prefix('│')?.strip_suffix('│')?;
            Some(inner.split('┆').map(|c| c.trim().to_string()).collect())
        })
        .collect()
}

/// Which signal each row naming `name` says it is: from the signal column when the table
/// has one, else from under the severity, on the row's second line.
fn signals_of(out: &str, name: &str) -> Vec<String> {
    let rows = change_rows(out);
    let header = &rows[0];
    let col = |h: &str| header.iter().position(|c| c == h);
    let name_col = col("name").unwrap();
    let mut found = Vec::new();
    for (i, r) in rows.iter().enumerate().skip(1) {
        // Whole, or shortened in the middle.
        let shows = |cell: &str| match cell.split_once('…') {
            Some((head, tail)) => name.starts_with(head) && name.ends_with(tail),
            None => cell == name,
        };
        if !shows(&r[name_col]) {
            continue;
        }
        found.push(match col("signal") {
            Some(c) => r[c].clone(),
            None => {
                assert_eq!(rows[1][0], "signal", "stacked header:\n{out}");
                rows[i + 1][0].clone()
            }
        });
    }
    found.sort();
    found
}

#[test]
fn diff_table_at_80_columns_tells_a_metric_from_a_span_of_the_same_name() {
    use otelsnap::session::MetricType;
    use support::{metric, session, span, write};
    let d = tempfile::tempdir().unwrap();
    // Long enough that the signal column cannot stay at 80 columns beside the name.
    for name in [
        "http.server.duration",
        "messaging.kafka.consumer.fetch.latency.seconds",
    ] {
        let mut a = session("same-a", Some(60));
        let mut b = session("same-b", Some(60));
        let labels = [("http.route", 40)];
        let grown = [("http.route", 40), ("user.id", 3_000)];
        a.data.metrics = vec![metric(name, MetricType::Histogram, 40, 600, &labels)];
        b.data.metrics = vec![metric(name, MetricType::Histogram, 4_000, 600, &grown)];
        a.data.spans = vec![span(name, 600, &labels)];
        b.data.spans = vec![span(name, 600, &grown)];
        let (pa, pb) = (write(d.path(), &a), write(d.path(), &b));
        let args = [
            "diff",
            pa.to_str().unwrap(),
            pb.to_str().unwrap(),
            "--fail-on",
            "never",
        ];
        // With --ids: 200 columns show them on their own.
        let mut with_ids = args.to_vec();
        with_ids.push("--ids");
        let natural = run(d.path(), None, &with_ids);
        for width in [80, 200] {
            let out = run(d.path(), Some(width), &args);
            check_fits(&out, &natural, width);
            assert_eq!(
                signals_of(&out, name),
                ["metric", "span"],
                "at {width}:\n{out}"
            );
        }
    }
}
