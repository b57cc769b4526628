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

/// checkout-v2 with names, keys, values and templates longer than any column at 80.
fn long_session(dir: &Path) -> std::path::PathBuf {
    use otelsnap::session::format;
    let bytes = std::fs::read(fixture("checkout-v2.json.gz")).unwrap();
    let mut s = format::decode(&bytes, &format::ReadLimits::default(), "fixture").unwrap();
    s.id = "long-names".into();
    let long_metric =
        "com.example.checkout.backend.payments.provider.gateway.request.duration.seconds";
    let long_key = "com.example.tenant.organisation.department.cost_centre.identifier";
    let m = &mut s.data.metrics[0];
    m.name = long_metric.into();
    let ks = m.label_keys.values().next().unwrap().clone();
    let mut ks = ks;
    ks.value_samples = vec![
        "a-value-that-is-much-longer-than-any-column-could-ever-hold-at-eighty-columns".into(),
        "short".into(),
    ];
    m.label_keys.insert(long_key, ks);
    let mut attr = s.data.attributes[0].clone();
    attr.key = long_key.into();
    attr.value_samples = vec!["a-value-that-is-much-longer-than-any-column-could-ever-hold".into()];
    s.data.attributes.push(attr);
    s.data.spans[0].name =
        "POST /api/v2/organisations/{organisation_id}/departments/{department_id}/cost-centres"
            .into();
    let log = s
        .data
        .logs
        .iter_mut()
        .find(|l| l.severity == "ERROR")
        .unwrap();
    log.body_templates[0].template = "Payment provider gateway declined the authorisation for order <*> of customer <*> with reason <*> after <*> retries".into();
    log.body_templates[0].example = "Payment provider gateway declined the authorisation for order ORD-1 of customer C-9 with reason insufficient_funds after 3 retries".into();
    s.canonicalize();
    s.recompute_stats();
    let p = dir.join("long-names.json.gz");
    std::fs::write(&p, format::to_gzip(&s)).unwrap();
    p
}

#[test]
fn show_tables_fit_80_and_200_columns() {
    let d = tempfile::tempdir().unwrap();
    let long = long_session(d.path());
    let long = long.to_str().unwrap();
    let v2 = fixture("checkout-v2.json.gz");
    let v2 = v2.to_str().unwrap();
    let views: Vec<Vec<&str>> = vec![
        vec!["show", v2, "--top", "0"],
        vec!["show", long, "--top", "0"],
        vec![
            "show",
            long,
            "--metric",
            "com.example.checkout.backend.payments.provider.gateway.request.duration.seconds",
        ],
        vec!["show", v2, "--span", "POST /checkout"],
        vec!["show", long, "--log", "ERROR"],
        vec!["show", v2, "--attribute", "http.route"],
        vec![
            "show",
            long,
            "--attribute",
            "com.example.tenant.organisation.department.cost_centre.identifier",
        ],
    ];
    for args in &views {
        let natural = run(d.path(), None, args);
        if args.contains(&long) {
            assert!(
                natural.lines().any(|l| l.chars().count() > 80),
                "{args:?}: the test needs a wide table"
            );
        }
        for width in [80, 200] {
            let fitted = run(d.path(), Some(width), args);
            check_fits(&fitted, &natural, width);
        }
    }
    // The overview at 80: the essential columns of every section, names whole where they fit.
    let narrow = run(d.path(), Some(80), &["show", v2, "--top", "0"]);
    for header in [
        "METRIC",
        "SERIES",
        "TOP KEY",
        "SPAN",
        "KIND",
        "TOP ATTRIBUTE",
        "SEVERITY",
        "TOP TEMPLATES",
        "KEY",
        "CARDINALITY",
    ] {
        assert!(narrow.contains(header), "{header} at 80:\n{narrow}");
    }
    for name in [
        "http.server.request.duration",
        "db.client.operation.duration",
        "deployment.environment.name",
        "GET /products/{id}",
    ] {
        assert!(narrow.contains(name), "{name} whole at 80:\n{narrow}");
    }
    // The suspect keys (when the session has any): item, key and reason stay, keys whole.
    assert!(narrow.contains("Suspect keys"), "{narrow}");
    for word in [
        "ITEM",
        "KEY",
        "WHY",
        "user_id",
        "(label_keys)",
        "client.address",
    ] {
        assert!(narrow.contains(word), "{word} at 80:\n{narrow}");
    }
    // At 200 nothing is dropped.
    let wide = run(d.path(), Some(200), &["show", v2, "--top", "0"]);
    for header in [
        "TYPE", "UNIT", "BACKEND", "POINTS", "KEYS", "SERVICES", "RECORDS", "COUNT", "SIGNALS",
        "SCOPE", "SAMPLES", "VERDICT", "DISTINCT", "COST",
    ] {
        assert!(wide.contains(header), "{header} at 200:\n{wide}");
    }
    // A name too long for 80 keeps both ends; at 200 it is whole, and JSON always is.
    let narrow_long = run(d.path(), Some(80), &["show", long, "--top", "0"]);
    assert!(
        narrow_long
            .lines()
            .any(|l| l.contains("com.example.") && l.contains("…") && l.contains(".seconds")),
        "{narrow_long}"
    );
    let wide_long = run(d.path(), Some(200), &["show", long, "--top", "0"]);
    assert!(
        wide_long.contains(
            "com.example.checkout.backend.payments.provider.gateway.request.duration.seconds"
        ),
        "{wide_long}"
    );
    let json = run(d.path(), Some(80), &["show", long, "--format", "json"]);
    assert!(json.contains(
        "\"com.example.checkout.backend.payments.provider.gateway.request.duration.seconds\""
    ));
    // Each template starts a line; its continuation lines are indented under it.
    let log = run(d.path(), Some(80), &["show", long, "--log", "ERROR"]);
    assert!(log.contains("┆ Payment provider gateway"), "{log}");
    assert!(log.lines().any(|l| l.contains("┆   ")), "{log}");
}
