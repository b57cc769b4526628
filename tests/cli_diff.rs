//! `otelsnap diff`: every change type and severity rule, filters, ignores, tolerance and floor,
//! exit codes, the rules file, and golden files for all four formats.
//!
//! Golden files live in tests/diff_golden/; regenerate them after an intended output change with
//! `UPDATE_GOLDEN=1 cargo test --test cli_diff`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

#[path = "diff_golden/support.rs"]
mod support;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use otelsnap::diff::{
    ChangeType, DiffReport, Filters, ItemKind, Rule, Rules, Severity, rules::parse_pattern,
};
use otelsnap::render::{diff_github, wording};
use otelsnap::session::{MetricType, Session, Signal};
use serde_json::Value;
use support::*;

// ---------- helpers ----------

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

fn report(a: &Session, b: &Session) -> DiffReport {
    DiffReport::build(a, b, &Rules::default(), &Filters::default())
}

fn report_with(a: &Session, b: &Session, rules: &Rules) -> DiffReport {
    DiffReport::build(a, b, rules, &Filters::default())
}

/// The one change in a report (fails if there is not exactly one).
fn only(r: &DiffReport) -> &otelsnap::diff::Change {
    assert_eq!(
        r.changes.len(),
        1,
        "expected one change, got {:#?}",
        r.changes
    );
    &r.changes[0]
}

/// The detail with this field in the only change.
fn detail<'a>(r: &'a DiffReport, field: &str) -> &'a otelsnap::diff::Detail {
    only(r)
        .details
        .iter()
        .find(|d| d.field == field)
        .unwrap_or_else(|| panic!("no detail {field} in {:#?}", r.changes))
}

fn pair() -> (Session, Session) {
    (session("a", Some(60)), session("b", Some(60)))
}

fn m(name: &str, series: u64, labels: &[(&str, u64)]) -> otelsnap::session::MetricMeta {
    metric(name, MetricType::Gauge, series, 600, labels)
}

fn run_json(dir: &Path, args: &[&str]) -> (Value, i32) {
    let out = otelsnap(dir)
        .arg("diff")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let code = out.status.code().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "bad JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (v, code)
}

fn write_pair(dir: &Path, a: &Session, b: &Session) -> (String, String) {
    (
        write(dir, a).display().to_string(),
        write(dir, b).display().to_string(),
    )
}

fn names(v: &Value) -> Vec<String> {
    v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{}:{}",
                c["signal_type"].as_str().unwrap(),
                c["name"].as_str().unwrap()
            )
        })
        .collect()
}

// ---------- metrics: change types and rules ----------

#[test]
fn metric_added_small_is_info_large_is_warning() {
    let (a, mut b) = pair();
    b.data.metrics = vec![m("small", 12, &[])];
    let r = report(&a, &b);
    let c = only(&r);
    assert_eq!(
        (c.change_type, c.severity),
        (ChangeType::Added, Severity::Info)
    );
    assert_eq!(c.details[0].rule, Rule::Added);
    assert_eq!(
        wording::detail(&c.details[0]),
        "new gauge metric with 12 series"
    );

    b.data.metrics = vec![m("big", 1001, &[])];
    let r = report(&a, &b);
    let d = detail(&r, "active_series");
    assert_eq!(
        (d.rule, d.severity),
        (Rule::NewHighCardinality, Severity::Warning)
    );
    assert_eq!(
        wording::detail(d),
        "new gauge metric with 1,001 series (> 1,000)"
    );
    // Exactly the threshold is not "more than".
    b.data.metrics = vec![m("edge", 1000, &[])];
    assert_eq!(only(&report(&a, &b)).severity, Severity::Info);
}

#[test]
fn metric_removed_is_warning() {
    let (mut a, b) = pair();
    a.data.metrics = vec![m("gone", 30, &[])];
    let r = report(&a, &b);
    let c = only(&r);
    assert_eq!(
        (c.change_type, c.severity),
        (ChangeType::Removed, Severity::Warning)
    );
    assert_eq!(c.details[0].rule, Rule::MetricRemoved);
    assert_eq!(
        wording::detail(&c.details[0]),
        "metric removed (had 30 series)"
    );
}

type Edit = Box<dyn Fn(&mut otelsnap::session::MetricMeta)>;

#[test]
fn schema_changes_are_warnings() {
    let base = metric("x", MetricType::Sum, 5, 600, &[("k", 5)]);
    let cases: Vec<(&str, Rule, Edit)> = vec![
        (
            "type",
            Rule::TypeChanged,
            Box::new(|m| m.metric_type = MetricType::Gauge),
        ),
        (
            "unit",
            Rule::UnitChanged,
            Box::new(|m| m.unit = "ms".into()),
        ),
        (
            "aggregation_temporality",
            Rule::TemporalityChanged,
            Box::new(|m| m.aggregation_temporality = Some("delta".into())),
        ),
        (
            "is_monotonic",
            Rule::MonotonicityChanged,
            Box::new(|m| m.is_monotonic = Some(false)),
        ),
        (
            "explicit_bounds",
            Rule::BoundsChanged,
            Box::new(|m| m.explicit_bounds = vec![1.0, 2.0]),
        ),
    ];
    for (field, rule, change) in cases {
        let (mut a, mut b) = pair();
        a.data.metrics = vec![base.clone()];
        let mut changed = base.clone();
        change(&mut changed);
        b.data.metrics = vec![changed];
        let r = report(&a, &b);
        let d = detail(&r, field);
        assert_eq!((d.rule, d.severity), (rule, Severity::Warning), "{field}");
        assert_eq!(only(&r).change_type, ChangeType::Changed);
    }
    let (mut a, mut b) = pair();
    a.data.metrics = vec![base.clone()];
    let mut u = base.clone();
    u.unit = "ms".into();
    b.data.metrics = vec![u];
    assert_eq!(
        wording::detail(detail(&report(&a, &b), "unit")),
        "unit s → ms"
    );
}

#[test]
fn cardinality_growth_critical_warning_info_and_tolerance() {
    let run = |from: u64, to: u64| {
        let (mut a, mut b) = pair();
        a.data.metrics = vec![m("x", from, &[])];
        b.data.metrics = vec![m("x", to, &[])];
        report(&a, &b)
    };
    let r = run(120, 6100);
    let d = detail(&r, "active_series");
    assert_eq!(
        (d.rule, d.severity),
        (Rule::CardinalityCritical, Severity::Critical)
    );
    assert_eq!(
        wording::detail(d),
        "active series 120 → 6,100 (×50.8 ≥ 10×)"
    );
    assert_eq!(d.change_pct, Some(4983.3));
    assert_eq!(d.from, Value::from(120));
    assert_eq!(d.to, Value::from(6100));

    let r = run(100, 300);
    let d = detail(&r, "active_series");
    assert_eq!(
        (d.rule, d.severity),
        (Rule::CardinalityWarning, Severity::Warning)
    );
    assert_eq!(wording::detail(d), "active series 100 → 300 (×3.0 ≥ 2×)");

    let r = run(100, 150);
    let d = detail(&r, "active_series");
    assert_eq!((d.rule, d.severity), (Rule::Changed, Severity::Info));
    assert_eq!(wording::detail(d), "active series 100 → 150 (+50%)");

    // Shrinking is never worse than info.
    let r = run(6100, 120);
    assert_eq!(detail(&r, "active_series").severity, Severity::Info);

    // Within ±10%: not a change at all.
    assert!(run(100, 110).changes.is_empty());
    assert!(run(100, 90).changes.is_empty());
    assert_eq!(run(100, 111).changes.len(), 1);
}

#[test]
fn floor_keeps_small_growth_at_info() {
    let (mut a, mut b) = pair();
    a.data.metrics = vec![m("x", 1, &[("k", 1)])];
    b.data.metrics = vec![m("x", 12, &[("k", 12)])];
    let r = report(&a, &b);
    let d = detail(&r, "active_series");
    assert_eq!((d.rule, d.severity), (Rule::Changed, Severity::Info));
    assert_eq!(
        wording::detail(d),
        "active series 1 → 12 (×12.0, under the floor of 100; label k 1 → 12)"
    );
    // Raising the new value to the floor makes the ratio rule apply.
    b.data.metrics = vec![m("x", 100, &[("k", 12)])];
    let r = report(&a, &b);
    assert_eq!(detail(&r, "active_series").severity, Severity::Critical);
    // A lower floor from the rules file lets 1 → 12 be critical.
    let rules = Rules::from_toml("[floors]\nratio_min_value = 10\n", Path::new("r.toml")).unwrap();
    b.data.metrics = vec![m("x", 12, &[("k", 12)])];
    let r = report_with(&a, &b, &rules);
    assert_eq!(detail(&r, "active_series").rule, Rule::CardinalityCritical);
}

#[test]
fn label_keys_added_removed_and_grown() {
    let (mut a, mut b) = pair();
    a.data.metrics = vec![m("x", 50, &[("keep", 50), ("old", 4)])];
    b.data.metrics = vec![m("x", 50, &[("keep", 50), ("new", 12), ("wide", 5000)])];
    let r = report(&a, &b);
    let old = detail(&r, "label_keys.old");
    assert_eq!(
        (old.rule, old.severity),
        (Rule::LabelRemoved, Severity::Warning)
    );
    assert_eq!(wording::detail(old), "label old removed (had 4 values)");
    let new = detail(&r, "label_keys.new");
    assert_eq!((new.rule, new.severity), (Rule::Added, Severity::Info));
    let wide = detail(&r, "label_keys.wide");
    assert_eq!(
        (wide.rule, wide.severity),
        (Rule::NewHighCardinality, Severity::Warning)
    );
    assert_eq!(
        wording::detail(wide),
        "new label wide with 5,000 values (> 1,000)"
    );
    assert_eq!(only(&r).severity, Severity::Warning);

    let (mut a, mut b) = pair();
    a.data.metrics = vec![m("x", 120, &[("user_id", 120)])];
    b.data.metrics = vec![m("x", 120, &[("user_id", 6100)])];
    let r = report(&a, &b);
    let d = detail(&r, "label_keys.user_id.estimated_cardinality");
    assert_eq!(d.severity, Severity::Critical);
    assert_eq!(
        wording::detail(d),
        "label user_id cardinality 120 → 6,100 (×50.8 ≥ 10×)"
    );
}

#[test]
fn resource_key_removal_is_info() {
    let (mut a, mut b) = pair();
    let mut x = m("x", 5, &[]);
    x.resource_keys = keys(&[("service.name", 1), ("host.name", 3)]);
    a.data.metrics = vec![x];
    b.data.metrics = vec![m("x", 5, &[])];
    let r = report(&a, &b);
    let d = detail(&r, "resource_keys.host.name");
    assert_eq!((d.rule, d.severity), (Rule::Removed, Severity::Info));
}

#[test]
fn approximate_keys_compare_by_estimate() {
    let (mut a, mut b) = pair();
    let mut x = m("x", 100, &[("k", 100)]);
    x.label_keys.get_mut("k").unwrap().approximate = true;
    a.data.metrics = vec![x];
    b.data.metrics = vec![m("x", 100, &[("k", 2000)])];
    let r = report(&a, &b);
    let d = detail(&r, "label_keys.k.estimated_cardinality");
    assert_eq!(d.severity, Severity::Critical);
    assert!(
        wording::detail(d).ends_with("(×20.0 ≥ 10×, approximate)"),
        "{}",
        wording::detail(d)
    );
    assert_eq!(only(&r).metadata["approximate"], Value::Bool(true));
}

// ---------- sample rates ----------

#[test]
fn rates_compare_per_second_when_both_have_windows() {
    let mut a = session("a", Some(60));
    let mut b = session("b", Some(30));
    a.data.metrics = vec![metric("x", MetricType::Gauge, 5, 6000, &[])];
    b.data.metrics = vec![metric("x", MetricType::Gauge, 5, 3000, &[])];
    // Same traffic, half the window: no change.
    let r = report(&a, &b);
    assert!(r.changes.is_empty(), "{:#?}", r.changes);
    assert_eq!(r.rate_basis.as_str(), "per_second");
    // Six times the rate: warning.
    b.data.metrics[0].sample_count = 18_000;
    let r = report(&a, &b);
    let d = detail(&r, "sample_rate");
    assert_eq!((d.rule, d.severity), (Rule::SampleRate, Severity::Warning));
    assert_eq!(wording::detail(d), "sample rate 100/s → 600/s (×6.0 ≥ 5×)");
    assert_eq!(d.from, serde_json::json!(100.0));
    // Twice the rate: beyond ±50%, info.
    b.data.metrics[0].sample_count = 6000;
    let r = report(&a, &b);
    assert_eq!(detail(&r, "sample_rate").severity, Severity::Info);
    // +40%: within tolerance.
    b.data.metrics[0].sample_count = 4200;
    assert!(report(&a, &b).changes.is_empty());
}

#[test]
fn rates_fall_back_to_raw_counts_and_say_so() {
    let mut a = session("a", None);
    let mut b = session("b", Some(30));
    a.data.metrics = vec![metric("x", MetricType::Gauge, 5, 100, &[])];
    b.data.metrics = vec![metric("x", MetricType::Gauge, 5, 600, &[])];
    let r = report(&a, &b);
    assert_eq!(r.rate_basis.as_str(), "raw_counts");
    assert!(wording::rate_basis(r.rate_basis).contains("raw"));
    let d = detail(&r, "sample_count");
    assert_eq!(d.rule, Rule::SampleRate);
    assert_eq!(wording::detail(d), "samples 100 → 600 (×6.0 ≥ 5×)");
    // Floor: 10 → 60 samples is info.
    a.data.metrics[0].sample_count = 10;
    b.data.metrics[0].sample_count = 60;
    let r = report(&a, &b);
    assert_eq!(detail(&r, "sample_count").severity, Severity::Info);
}

// ---------- spans, logs, attributes ----------

#[test]
fn span_changes() {
    let (mut a, mut b) = pair();
    let mut s1 = span("GET /a", 600, &[("http.route", 3), ("old", 2)]);
    s1.event_names = vec!["exception".into()];
    s1.event_attribute_keys
        .insert("exception".into(), keys(&[("exception.type", 2)]));
    s1.link_attribute_keys = keys(&[("link.k", 2)]);
    let mut s2 = span("GET /a", 600, &[("http.route", 3), ("user.id", 2000)]);
    s2.kind = 3;
    s2.kind_name = "Client".into();
    s2.event_names = vec!["exception".into(), "retry".into()];
    s2.event_attribute_keys.insert(
        "exception".into(),
        keys(&[("exception.type", 2), ("exception.stack", 50)]),
    );
    s2.status_codes = vec!["Error".into()];
    a.data.spans = vec![s1, span("GET /old", 600, &[("x", 1)])];
    b.data.spans = vec![s2, span("GET /new", 600, &[("q", 5000)])];
    let r = report(&a, &b);
    let by_name = |n: &str| r.changes.iter().find(|c| c.name == n).unwrap();
    let c = by_name("GET /a");
    let fields: Vec<&str> = c.details.iter().map(|d| d.field.as_str()).collect();
    for f in [
        "kind",
        "attribute_keys.old",
        "attribute_keys.user.id",
        "event_names.retry",
        "event_attribute_keys.exception.exception.stack",
        "link_attribute_keys.link.k",
        "status_codes.Error",
        "status_codes.Unset",
    ] {
        assert!(fields.contains(&f), "missing {f} in {fields:?}");
    }
    assert_eq!(
        c.severity,
        Severity::Warning,
        "new attribute with 2,000 values"
    );
    let added = by_name("GET /new");
    assert_eq!(
        (added.change_type, added.severity),
        (ChangeType::Added, Severity::Warning)
    );
    assert_eq!(
        wording::detail(&added.details[0]),
        "new Server span; attribute q has 5,000 values (> 1,000)"
    );
    let removed = by_name("GET /old");
    assert_eq!(
        (removed.change_type, removed.severity),
        (ChangeType::Removed, Severity::Info)
    );
}

#[test]
fn spans_with_one_name_and_two_kinds_are_told_apart() {
    let (mut a, mut b) = pair();
    let mut client = span("op", 600, &[]);
    client.kind = 3;
    client.kind_name = "Client".into();
    a.data.spans = vec![span("op", 600, &[])];
    b.data.spans = vec![span("op", 600, &[]), client];
    let r = report(&a, &b);
    let c = only(&r);
    assert_eq!(
        (c.change_type, c.name.as_str()),
        (ChangeType::Added, "op [Client]")
    );
}

#[test]
fn log_changes_and_templates() {
    let (mut a, mut b) = pair();
    a.data.logs = vec![
        log(
            "ERROR",
            17,
            600,
            &[("exception.type", 4)],
            &[("payment failed for <*>", 540), ("gone <*>", 60)],
        ),
        log("DEBUG", 5, 600, &[], &[]),
    ];
    let mut e = log(
        "ERROR",
        17,
        600,
        &[("exception.type", 4)],
        &[("payment failed for <*>", 300), ("card declined: <*>", 300)],
    );
    e.event_names = vec!["order.failed".into()];
    b.data.logs = vec![e, log("WARN", 13, 600, &[("big", 1500)], &[])];
    let r = report(&a, &b);
    let err = r.changes.iter().find(|c| c.name == "ERROR").unwrap();
    let get = |f: &str| err.details.iter().find(|d| d.field == f).unwrap();
    let share = get("body_templates.payment failed for <*>");
    assert_eq!(share.rule, Rule::TemplateShare);
    assert_eq!(
        wording::detail(share),
        "body template \"payment failed for <*>\" share of records 90% → 50%"
    );
    assert_eq!(get("body_templates.card declined: <*>").rule, Rule::Added);
    assert_eq!(get("body_templates.gone <*>").rule, Rule::Removed);
    assert_eq!(get("event_names.order.failed").rule, Rule::Added);
    let warn = r.changes.iter().find(|c| c.name == "WARN").unwrap();
    assert_eq!(
        (warn.change_type, warn.severity),
        (ChangeType::Added, Severity::Warning)
    );
    let debug = r.changes.iter().find(|c| c.name == "DEBUG").unwrap();
    assert_eq!(
        (debug.change_type, debug.severity),
        (ChangeType::Removed, Severity::Info)
    );
    // A share move within ±20 points is not a change.
    b.data.logs[0].body_templates[0].count = 450;
    b.data.logs[0].body_templates[1].count = 150;
    let r = report(&a, &b);
    let err = r.changes.iter().find(|c| c.name == "ERROR").unwrap();
    assert!(!err.details.iter().any(|d| d.rule == Rule::TemplateShare));
}

#[test]
fn attribute_changes() {
    let (mut a, mut b) = pair();
    a.data.attributes = vec![
        attr("user_id", 120, 600, &["metrics"]),
        attr("gone", 3, 600, &["metrics"]),
        attr("spread", 3, 600, &["metrics"]),
    ];
    b.data.attributes = vec![
        attr("user_id", 6100, 600, &["metrics"]),
        attr("new.wide", 2000, 600, &["traces"]),
        attr("spread", 3, 6000, &["metrics", "logs"]),
    ];
    let r = report(&a, &b);
    let get = |n: &str| r.changes.iter().find(|c| c.name == n).unwrap();
    assert_eq!(get("user_id").severity, Severity::Critical);
    assert_eq!(
        wording::detail(&get("user_id").details[0]),
        "cardinality 120 → 6,100 (×50.8 ≥ 10×)"
    );
    assert_eq!(get("gone").change_type, ChangeType::Removed);
    assert_eq!(get("new.wide").severity, Severity::Warning);
    let spread = get("spread");
    let fields: Vec<&str> = spread.details.iter().map(|d| d.field.as_str()).collect();
    assert_eq!(fields, vec!["count_rate", "signal_types.logs"]);
    assert_eq!(spread.details[0].rule, Rule::SampleRate);
}

#[test]
fn signal_captured_by_one_side_is_not_compared() {
    let (mut a, mut b) = pair();
    b.signals = vec![Signal::Metrics, Signal::Logs];
    a.data.spans = vec![span("GET /a", 600, &[]), span("GET /b", 600, &[])];
    a.data.attributes = vec![attr("http.route", 3, 600, &["traces"])];
    let r = report(&a, &b);
    assert!(r.changes.is_empty(), "{:#?}", r.changes);
    assert_eq!(r.not_compared.len(), 1);
    assert_eq!(r.not_compared[0].signal, "spans");
    assert_eq!(r.not_compared[0].captured_by, "a");
    assert_eq!(r.exit_code, 0);
}

// ---------- tolerance, overrides, ignores, ranking ----------

#[test]
fn tolerance_zero_reports_every_difference() {
    let (mut a, mut b) = pair();
    a.data.metrics = vec![m("x", 100, &[("k", 100)])];
    b.data.metrics = vec![m("x", 101, &[("k", 100)])];
    b.data.metrics[0].sample_count = 601;
    assert!(report(&a, &b).changes.is_empty());
    let mut rules = Rules::default();
    rules.set_tolerance(0.0);
    let r = report_with(&a, &b, &rules);
    let fields: Vec<&str> = only(&r).details.iter().map(|d| d.field.as_str()).collect();
    assert_eq!(fields, vec!["active_series", "sample_rate"]);
    rules.set_tolerance(0.02);
    assert!(report_with(&a, &b, &rules).changes.is_empty());
}

#[test]
fn severity_overrides_from_rules() {
    let (mut a, mut b) = pair();
    a.data.metrics = vec![m("x", 5, &[("k", 5)]), m("gone", 5, &[])];
    b.data.metrics = vec![m("x", 5, &[])];
    let rules = Rules::from_toml(
        "[severity]\nlabel_removed = \"info\"\nmetric_removed = \"critical\"\n",
        Path::new("r.toml"),
    )
    .unwrap();
    let r = report_with(&a, &b, &rules);
    assert_eq!(r.changes[0].name, "gone");
    assert_eq!(r.changes[0].severity, Severity::Critical);
    assert_eq!(r.changes[1].severity, Severity::Info);
    let rules = Rules::from_toml(
        "[thresholds]\ncardinality_critical = 100.0\n",
        Path::new("r.toml"),
    )
    .unwrap();
    let (mut a, mut b) = pair();
    a.data.metrics = vec![m("x", 120, &[])];
    b.data.metrics = vec![m("x", 6100, &[])];
    let r = report_with(&a, &b, &rules);
    assert_eq!(
        wording::detail(detail(&r, "active_series")),
        "active series 120 → 6,100 (×50.8 ≥ 2×)"
    );
}

fn ignoring(patterns: &[&str]) -> Rules {
    let mut r = Rules::default();
    for p in patterns {
        r.ignore.push(parse_pattern(p).unwrap());
    }
    r
}

#[test]
fn ignore_patterns() {
    let (a, b) = checkout_pair();
    let all = report(&a, &b);
    let has = |r: &DiffReport, kind: ItemKind, n: &str| {
        r.changes
            .iter()
            .any(|c| c.signal_type == kind && c.name == n)
    };
    assert!(has(&all, ItemKind::Metric, "legacy.requests"));
    let r = report_with(&a, &b, &ignoring(&["metric:legacy.*"]));
    assert!(!has(&r, ItemKind::Metric, "legacy.requests"));
    assert_eq!(r.changes.len(), all.changes.len() - 1);
    assert_eq!(r.summary.ignored, 1);

    let r = report_with(&a, &b, &ignoring(&["span:GET /health*"]));
    assert!(!has(&r, ItemKind::Span, "GET /health"));
    assert!(has(&r, ItemKind::Span, "GET /checkout"));

    // attribute: drops the catalog entry and the same key inside other items.
    let r = report_with(&a, &b, &ignoring(&["attribute:user_id"]));
    assert!(!has(&r, ItemKind::Attribute, "user_id"));
    let http = r
        .changes
        .iter()
        .find(|c| c.name == "http.server.request.duration")
        .unwrap();
    assert!(http.details.iter().all(|d| !d.field.contains("user_id")));
    assert!(http.details.iter().any(|d| d.field == "active_series"));

    let r = report_with(&a, &b, &ignoring(&["attribute:k8s.pod.uid"]));
    assert!(!has(&r, ItemKind::Attribute, "k8s.pod.uid"));
    assert_eq!(r.changes.len(), all.changes.len() - 1);
}

#[test]
fn ignore_by_fingerprint_of_change_or_detail() {
    let (a, b) = checkout_pair();
    let all = report(&a, &b);
    let top = &all.changes[0];
    let mut rules = Rules::default();
    rules
        .ignore
        .push(otelsnap::diff::rules::parse_fingerprint(&top.fingerprint).unwrap());
    let r = report_with(&a, &b, &rules);
    assert!(!r.changes.iter().any(|c| c.fingerprint == top.fingerprint));
    assert_eq!(r.changes.len(), all.changes.len() - 1);
    // Ignoring one detail keeps the rest of the change and re-rates it.
    let http = all
        .changes
        .iter()
        .find(|c| c.name == "http.server.request.duration")
        .unwrap();
    let mut rules = Rules::default();
    for d in &http.details {
        if d.field != "label_keys.user_id.estimated_cardinality" {
            rules
                .ignore
                .push(otelsnap::diff::rules::parse_fingerprint(&d.fingerprint).unwrap());
        }
    }
    let r = report_with(&a, &b, &rules);
    let http2 = r
        .changes
        .iter()
        .find(|c| c.name == "http.server.request.duration")
        .unwrap();
    assert_eq!(http2.details.len(), 1);
    assert_eq!(
        http2.details[0].field,
        "label_keys.user_id.estimated_cardinality"
    );
}

#[test]
fn fingerprints_are_stable_and_distinct() {
    use otelsnap::diff::fingerprint;
    let f = fingerprint(ItemKind::Metric, ChangeType::Changed, "x", "active_series");
    assert_eq!(f.len(), 12);
    assert!(f.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(
        f,
        fingerprint(ItemKind::Metric, ChangeType::Changed, "x", "active_series")
    );
    assert_ne!(
        f,
        fingerprint(ItemKind::Span, ChangeType::Changed, "x", "active_series")
    );
    assert_ne!(
        f,
        fingerprint(ItemKind::Metric, ChangeType::Added, "x", "active_series")
    );
    // Pinned: the ignore list in users' rules files depends on this never changing.
    let text = "metric|changed|x|active_series";
    let h = format!("{:016x}", xxhash_rust::xxh3::xxh3_64(text.as_bytes()));
    assert_eq!(f, h[..12]);
}

#[test]
fn ranking_is_severity_then_magnitude_then_signal_then_name() {
    let (a, b) = checkout_pair();
    let r = report(&a, &b);
    for w in r.changes.windows(2) {
        assert!(w[0].severity >= w[1].severity);
        if w[0].severity == w[1].severity {
            assert!(w[0].magnitude >= w[1].magnitude);
            if w[0].magnitude == w[1].magnitude {
                assert!((w[0].signal_type, &w[0].name) <= (w[1].signal_type, &w[1].name));
            }
        }
    }
    // 4 → 5,000 series (×1250) outranks 120 → 6,100 (×50.8).
    assert_eq!(r.changes[0].name, "db.client.connections");
    assert_eq!(r.changes[1].name, "http.server.request.duration");
    // Equal severity and magnitude: metric before attribute.
    assert_eq!(r.changes[2].signal_type, ItemKind::Attribute);
    assert_eq!(r.changes[2].name, "user_id");
}

#[test]
fn github_escaping_follows_the_workflow_command_spec() {
    assert_eq!(diff_github::escape_data("50% a\r\nb"), "50%25 a%0D%0Ab");
    assert_eq!(diff_github::escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
}

// ---------- CLI: filters, exit codes, rules file ----------

#[test]
fn identical_sessions_diff_clean_and_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    let (a, _) = checkout_pair();
    let mut b = a.clone();
    b.id = "checkout-v1-again".into();
    let (pa, pb) = write_pair(dir.path(), &a, &b);
    let out = otelsnap(dir.path())
        .args(["diff", &pa, &pb])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("checkout-v1 → checkout-v1-again: no changes\n"),
        "{text}"
    );
}

#[test]
fn exit_codes_follow_min_severity_and_fail_on() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = checkout_pair();
    let (pa, pb) = write_pair(dir.path(), &a, &b);
    let code = |extra: &[&str]| {
        run_json(
            dir.path(),
            &[&[pa.as_str(), pb.as_str()][..], extra].concat(),
        )
        .1
    };
    assert_eq!(code(&[]), 1);
    assert_eq!(code(&["--min-severity", "critical"]), 1);
    assert_eq!(code(&["--fail-on", "never"]), 0);
    assert_eq!(
        code(&["--fail-on", "critical", "--signal", "spans,logs"]),
        0
    );
    assert_eq!(code(&["--fail-on", "warning", "--signal", "spans"]), 1);
    assert_eq!(
        code(&["--min-severity", "critical", "--signal", "spans"]),
        0
    );
    // The exit threshold counts changes hidden by --min-severity.
    assert_eq!(
        code(&[
            "--min-severity",
            "critical",
            "--fail-on",
            "info",
            "--signal",
            "logs"
        ]),
        1
    );
}

#[test]
fn min_severity_hides_lower_changes_and_counts_them() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = checkout_pair();
    let (pa, pb) = write_pair(dir.path(), &a, &b);
    let (v, _) = run_json(dir.path(), &[&pa, &pb, "--min-severity", "warning"]);
    let sev: Vec<&str> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["severity"].as_str().unwrap())
        .collect();
    assert!(
        !sev.is_empty() && sev.iter().all(|s| *s != "info"),
        "{sev:?}"
    );
    assert_eq!(v["summary"]["info"], 0);
    assert_eq!(v["summary"]["below_min_severity"], 5);
}

#[test]
fn signal_filter() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = checkout_pair();
    let (pa, pb) = write_pair(dir.path(), &a, &b);
    for (arg, kind) in [
        ("metrics", "metric"),
        ("spans", "span"),
        ("logs", "log"),
        ("attributes", "attribute"),
    ] {
        let (v, _) = run_json(dir.path(), &[&pa, &pb, "--signal", arg]);
        let kinds: Vec<&str> = v["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["signal_type"].as_str().unwrap())
            .collect();
        assert!(
            !kinds.is_empty() && kinds.iter().all(|k| *k == kind),
            "{arg}: {kinds:?}"
        );
        assert_eq!(v["options"]["signals"], serde_json::json!([arg]));
    }
    let (v, _) = run_json(dir.path(), &[&pa, &pb, "--signal", "metrics,spans"]);
    assert!(
        names(&v)
            .iter()
            .all(|n| n.starts_with("metric:") || n.starts_with("span:"))
    );
    let out = otelsnap(dir.path())
        .args(["diff", &pa, &pb, "--signal", "metric,bogus"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("unknown signal 'bogus'"), "{err}");
}

#[test]
fn service_filter() {
    let dir = tempfile::tempdir().unwrap();
    let (mut a, mut b) = pair();
    a.data.metrics = vec![m("x", 5, &[]), m("y", 5, &[])];
    a.data.metrics[1].services = services(&["payments"]);
    b.data.metrics = vec![m("x", 500, &[])];
    let (pa, pb) = write_pair(dir.path(), &a, &b);
    let (v, _) = run_json(dir.path(), &[&pa, &pb, "--service", "payments"]);
    assert_eq!(names(&v), vec!["metric:y"]);
    let (v, _) = run_json(dir.path(), &[&pa, &pb, "--service", "checkout"]);
    assert_eq!(names(&v), vec!["metric:x"]);
    // A service neither side has is an error naming what exists, not a silent pass (#11).
    let out = otelsnap(dir.path())
        .args(["diff", &pa, &pb, "--service", "nobody"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("\"nobody\" matches nothing") && err.contains("\"payments\""),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn tolerance_flag_beats_rules_file() {
    let dir = tempfile::tempdir().unwrap();
    let (mut a, mut b) = pair();
    a.data.metrics = vec![m("x", 100, &[])];
    b.data.metrics = vec![m("x", 105, &[])];
    let (pa, pb) = write_pair(dir.path(), &a, &b);
    std::fs::write(
        dir.path().join(".otelsnap.toml"),
        "[tolerances]\ncardinality = 0.01\n",
    )
    .unwrap();
    let (v, code) = run_json(dir.path(), &[&pa, &pb]);
    assert_eq!((names(&v), code), (vec!["metric:x".to_string()], 1));
    let (v, code) = run_json(dir.path(), &[&pa, &pb, "--tolerance", "0.1"]);
    assert_eq!((names(&v).len(), code), (0, 0));
    let (v, _) = run_json(dir.path(), &[&pa, &pb, "--tolerance", "0"]);
    assert_eq!(v["options"]["rules"]["tolerances"]["rate"], 0.0);
}

#[test]
fn rules_file_discovery_env_and_flag() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = checkout_pair();
    let (pa, pb) = write_pair(dir.path(), &a, &b);
    let sub = dir.path().join("repo/sub");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(
        dir.path().join("repo/.otelsnap.toml"),
        "[ignore]\npatterns = [\"metric:legacy.*\"]\n",
    )
    .unwrap();
    let mut c = otelsnap(&sub);
    let out = c
        .args(["diff", &pa, &pb, "--format", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!names(&v).contains(&"metric:legacy.requests".to_string()));
    assert_eq!(v["summary"]["ignored"], 1);
    assert!(
        v["options"]["rules"]["source"]
            .as_str()
            .unwrap()
            .ends_with(".otelsnap.toml")
    );

    let env_rules = dir.path().join("env.toml");
    std::fs::write(&env_rules, "[severity]\nmetric_removed = \"critical\"\n").unwrap();
    let out = otelsnap(&sub)
        .env("OTELSNAP_RULES", &env_rules)
        .args(["diff", &pa, &pb, "--format", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let legacy = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "legacy.requests")
        .unwrap();
    assert_eq!(legacy["severity"], "critical");

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[thresholds]\ncardinality_critcal = 5\n").unwrap();
    let out = otelsnap(&sub)
        .args(["diff", &pa, &pb, "--rules"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("cardinality_critcal") && err.contains("bad.toml"),
        "{err}"
    );
    // The library says what is wrong; the command line adds the flag that fixes it.
    assert!(
        err.contains("; fix or remove it, or pass --rules FILE"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");

    let out = otelsnap(&sub)
        .args(["diff", &pa, &pb, "--rules"])
        .arg(dir.path().join("absent.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("cannot read rules file")
            && err.contains("absent.toml")
            && err.contains("check the path given to --rules or OTELSNAP_RULES"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn missing_session_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = otelsnap(dir.path())
        .args(["diff", "nope-a", "nope-b"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}

#[test]
fn github_output_file_gets_counts() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = checkout_pair();
    let (pa, pb) = write_pair(dir.path(), &a, &b);
    let gh = dir.path().join("gh_output");
    std::fs::write(&gh, "earlier=1\n").unwrap();
    let out = otelsnap(dir.path())
        .env("GITHUB_OUTPUT", &gh)
        .args(["diff", &pa, &pb, "--format", "github"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(&gh).unwrap(),
        "earlier=1\ncritical=3\nwarning=8\ninfo=5\n"
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text.lines().filter(|l| l.starts_with("::error ")).count(),
        3
    );
    assert_eq!(
        text.lines().filter(|l| l.starts_with("::warning ")).count(),
        8
    );
    // Info changes are not annotated one by one (issue #14): one notice counts them.
    let notices: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("::notice "))
        .collect();
    assert_eq!(notices.len(), 1, "{text}");
    assert!(notices[0].contains("5 info changes"), "{text}");
}

#[test]
fn table_colors_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = checkout_pair();
    let (pa, pb) = write_pair(dir.path(), &a, &b);
    let plain = otelsnap(dir.path())
        .args(["diff", &pa, &pb])
        .output()
        .unwrap();
    assert!(!plain.stdout.contains(&0x1b));
    let colored = otelsnap(dir.path())
        .args(["--color", "always", "diff", &pa, &pb])
        .output()
        .unwrap();
    let text = String::from_utf8(colored.stdout).unwrap();
    assert!(
        text.contains("\u{1b}[31m")
            || text.contains("\u{1b}[1;31m")
            || text.contains("\u{1b}[1m\u{1b}[31m"),
        "{text}"
    );
    let stripped = strip_ansi(&text);
    assert_eq!(stripped, String::from_utf8(plain.stdout).unwrap());
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for n in chars.by_ref() {
                if n.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

// ---------- golden files ----------

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
            "cannot read golden file {} ({e}); create it with UPDATE_GOLDEN=1 cargo test --test cli_diff",
            path.display()
        )
    });
    if expected != actual {
        panic!(
            "output differs from golden file {}; if the change is intended, regenerate with \
             UPDATE_GOLDEN=1 cargo test --test cli_diff\n--- expected\n{expected}\n--- actual\n{actual}",
            path.display()
        );
    }
}

#[test]
fn golden_outputs_for_all_formats() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = checkout_pair();
    let (pa, pb) = write_pair(dir.path(), &a, &b);
    for (format, file) in [
        ("table", "checkout.table.txt"),
        ("json", "checkout.json"),
        ("markdown", "checkout.md"),
        ("github", "checkout.github.txt"),
    ] {
        let run = || {
            let out = otelsnap(dir.path())
                .args(["diff", &pa, &pb, "--format", format])
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(1), "{format}");
            String::from_utf8(out.stdout).unwrap()
        };
        let first = run();
        assert_eq!(first, run(), "{format} output differs between runs");
        check_golden(file, &first);
    }
    // Markdown folds changes below the exit threshold.
    let out = otelsnap(dir.path())
        .args([
            "diff",
            &pa,
            &pb,
            "--format",
            "markdown",
            "--fail-on",
            "warning",
        ])
        .output()
        .unwrap();
    check_golden(
        "checkout.fail-on-warning.md",
        &String::from_utf8(out.stdout).unwrap(),
    );
}

#[test]
fn golden_not_compared_and_raw_counts() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = session("traces-only-here", None);
    let mut b = session("no-traces", Some(30));
    b.signals = vec![Signal::Metrics];
    a.data.spans = vec![span("GET /a", 100, &[])];
    a.data.metrics = vec![m("x", 5, &[])];
    b.data.metrics = vec![m("x", 5, &[])];
    b.data.metrics[0].sample_count = 6000;
    let (pa, pb) = write_pair(dir.path(), &a, &b);
    let mut all = String::new();
    for format in ["table", "json", "markdown", "github"] {
        let out = otelsnap(dir.path())
            .args(["diff", &pa, &pb, "--format", format])
            .output()
            .unwrap();
        all.push_str(&format!(
            "===== {format} (exit {})\n",
            out.status.code().unwrap()
        ));
        all.push_str(&String::from_utf8(out.stdout).unwrap());
    }
    check_golden("not-compared.txt", &all);
}

// ---------- the fixture pair ----------

fn fixture(name: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name);
    p.exists().then_some(p)
}

#[test]
fn fixture_user_id_is_critical_at_the_top_in_every_format() {
    let (Some(v1), Some(v2)) = (
        fixture("checkout-v1.json.gz"),
        fixture("checkout-v2.json.gz"),
    ) else {
        eprintln!("fixtures/checkout-v{{1,2}}.json.gz not present; skipping");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let run = |format: &str| {
        let out = otelsnap(dir.path())
            .arg("diff")
            .arg(&v1)
            .arg(&v2)
            .args(["--format", format])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let v: Value = serde_json::from_str(&run("json")).unwrap();
    let top = &v["changes"][0];
    assert_eq!(top["severity"], "critical");
    let headline = top["details"][0]["message"].as_str().unwrap();
    assert!(headline.contains("user_id"), "{top}");
    assert_eq!(top["details"][0]["severity"], "critical");
    assert_eq!(v["max_severity"], "critical");

    let table = run("table");
    let first_row = table
        .lines()
        .find(|l| {
            l.starts_with("│ critical") || l.starts_with("│ warning") || l.starts_with("│ info")
        })
        .unwrap();
    assert!(
        first_row.starts_with("│ critical") && first_row.contains("user_id"),
        "{table}"
    );
    let block: String = table
        .lines()
        .skip_while(|l| *l != first_row)
        .take_while(|l| *l == first_row || l.starts_with("│  "))
        .collect();
    assert!(block.contains("user_id"), "{table}");

    let md = run("markdown");
    assert!(md.starts_with("<!-- otelsnap-diff -->\n"), "{md}");
    let row = md
        .lines()
        .find(|l| l.starts_with("<details><summary>"))
        .unwrap();
    assert!(
        row.contains("<b>critical</b>") && row.contains("user_id"),
        "{md}"
    );

    let gh = run("github");
    let first = gh
        .lines()
        .find(|l| !l.starts_with("::notice title=otelsnap diff"))
        .unwrap();
    assert!(
        first.starts_with("::error ") && first.contains("user_id"),
        "{gh}"
    );
}
