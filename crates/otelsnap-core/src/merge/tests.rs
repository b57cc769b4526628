//! One test per row of the merge rules table, plus filters, refusals and accuracy.

use std::collections::BTreeSet;

use chrono::{DateTime, TimeZone, Utc};

use super::*;
use crate::session::model::{
    AttributeMeta, BodyTemplate, Conflict, KeyStats, KeyStatsMap, LogMeta, MetricMeta, MetricType,
    ServiceCounts, SketchData, SpanMeta,
};
use crate::sketch::Sketch;

fn t(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000 + secs, 0).unwrap()
}

fn sketch_of<S: AsRef<str>>(values: impl IntoIterator<Item = S>) -> (u64, SketchData) {
    let mut s = Sketch::new();
    for v in values {
        s.insert(v.as_ref().as_bytes());
    }
    (s.estimate(), s.to_data())
}

/// Key stats seen `count` times out of `total`, with these distinct values (all kept as samples).
fn ks(count: u64, total: u64, values: &[&str]) -> KeyStats {
    let (est, sk) = sketch_of(values.iter().copied());
    KeyStats {
        count,
        percentage: percentage(count, total),
        estimated_cardinality: est,
        value_samples: values.iter().map(|v| v.to_string()).collect(),
        sketch: Some(std::sync::Arc::new(sk)),
        ..Default::default()
    }
}

fn metric(name: &str, samples: u64, keys: &[(&str, u64, &[&str])]) -> MetricMeta {
    let (series, sk) = sketch_of((0..samples.min(50)).map(|i| format!("{name}-series-{i}")));
    MetricMeta {
        name: name.into(),
        unit: "ms".into(),
        metric_type: MetricType::Histogram,
        label_keys: keys
            .iter()
            .map(|(k, c, v)| (k.to_string(), ks(*c, samples, v)))
            .collect(),
        sample_count: samples,
        data_point_count: samples,
        services: [("checkout".to_string(), samples)].into(),
        active_series: series,
        series_sketch: Some(sk),
        ..Default::default()
    }
}

fn session(id: &str) -> Session {
    let mut s = Session::new(id);
    s.created = t(0);
    s
}

fn opts() -> MergeOptions {
    let mut o = MergeOptions::new("merged");
    o.created = t(1000);
    o
}

fn merged(sources: &[Session]) -> MergeOutcome {
    merge(sources, &opts()).unwrap()
}

fn two_metric_sessions() -> (Session, Session) {
    let mut a = session("a");
    a.data.metrics.push(metric(
        "http.duration",
        10,
        &[("method", 10, &["GET", "POST"]), ("route", 5, &["/a"])],
    ));
    let mut b = session("b");
    b.data.metrics.push(metric(
        "http.duration",
        30,
        &[
            ("method", 30, &["POST", "PUT", "DELETE"]),
            ("code", 3, &["200"]),
        ],
    ));
    (a, b)
}

#[test]
fn counts_are_summed() {
    let (a, b) = two_metric_sessions();
    let out = merged(&[a, b]);
    let m = &out.session.data.metrics[0];
    assert_eq!(m.sample_count, 40);
    assert_eq!(m.data_point_count, 40);
    assert_eq!(m.label_keys["method"].count, 40);
    assert_eq!(m.label_keys["route"].count, 5);
    assert_eq!(m.label_keys["code"].count, 3);
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
}

#[test]
fn sketches_are_unioned_and_estimates_recomputed() {
    let (a, b) = two_metric_sessions();
    let series_a = a.data.metrics[0].active_series;
    let out = merged(&[a, b]);
    let method = &out.session.data.metrics[0].label_keys["method"];
    // {GET, POST} ∪ {POST, PUT, DELETE}: 4 values, not 5.
    assert_eq!(method.estimated_cardinality, 4);
    let (_, expected) = sketch_of(["GET", "POST", "PUT", "DELETE"]);
    assert_eq!(method.sketch.as_deref(), Some(&expected));
    assert!(!method.approximate);
    // Series: 10 from a, 30 from b, the first 10 of which are the same names → 30.
    let m = &out.session.data.metrics[0];
    assert_eq!(series_a, 10);
    assert_eq!(m.active_series, 30);
    let (_, series_expected) = sketch_of((0..30).map(|i| format!("http.duration-series-{i}")));
    assert_eq!(m.series_sketch.as_ref(), Some(&series_expected));
}

#[test]
fn attribute_catalog_is_unioned() {
    let mut a = session("a");
    let (est, sk) = sketch_of(["1", "2", "3"]);
    a.data.attributes.push(AttributeMeta {
        key: "user.id".into(),
        count: 10,
        estimated_cardinality: est,
        value_samples: vec!["1".into(), "2".into(), "3".into()],
        signal_types: vec!["metrics".into()],
        scope: "attribute".into(),
        first_seen: Some(t(10)),
        last_seen: Some(t(20)),
        sketch: Some(sk),
        ..Default::default()
    });
    let mut b = a.clone();
    b.id = "b".into();
    let (est, sk) = sketch_of(["3", "4"]);
    let attr = &mut b.data.attributes[0];
    attr.count = 4;
    attr.estimated_cardinality = est;
    attr.value_samples = vec!["3".into(), "4".into()];
    attr.signal_types = vec!["logs".into()];
    attr.scope = "resource".into();
    attr.first_seen = Some(t(5));
    attr.last_seen = Some(t(15));
    attr.sketch = Some(sk);
    let out = merged(&[a, b]);
    let attr = &out.session.data.attributes[0];
    assert_eq!(attr.count, 14);
    assert_eq!(attr.estimated_cardinality, 4);
    assert_eq!(attr.value_samples, ["1", "2", "3", "4"]);
    assert_eq!(attr.signal_types, ["logs", "metrics"]);
    assert_eq!(attr.scope, "both");
    assert_eq!(attr.first_seen, Some(t(5)));
    assert_eq!(attr.last_seen, Some(t(20)));
}

#[test]
fn percentages_are_recomputed_from_merged_counts() {
    let (a, b) = two_metric_sessions();
    assert_eq!(a.data.metrics[0].label_keys["route"].percentage, 50.0);
    let out = merged(&[a, b]);
    let m = &out.session.data.metrics[0];
    assert_eq!(m.label_keys["method"].percentage, 100.0);
    assert_eq!(m.label_keys["route"].percentage, 12.5); // 5 of 40
    assert_eq!(m.label_keys["code"].percentage, 7.5); // 3 of 40
}

#[test]
fn span_event_and_link_percentages_use_their_own_totals() {
    let mut a = session("a");
    let mut sp = SpanMeta {
        name: "GET /".into(),
        kind: 2,
        sample_count: 100,
        ..Default::default()
    };
    // 8 events, 4 of them with `reason`; 2 links.
    sp.event_attribute_keys.insert(
        "exception".into(),
        [
            ("type".to_string(), ks(8, 8, &["E"])),
            ("reason".to_string(), ks(4, 8, &["x"])),
        ]
        .into(),
    );
    sp.link_attribute_keys.insert("peer", ks(2, 2, &["p"]));
    a.data.spans.push(sp.clone());
    let mut b = session("b");
    sp.sample_count = 50;
    sp.event_attribute_keys.insert(
        "exception".into(),
        [("type".to_string(), ks(2, 2, &["F"]))].into(),
    );
    sp.link_attribute_keys.insert("peer", ks(1, 2, &["q"]));
    b.data.spans.push(sp);
    let out = merged(&[a, b]);
    let sp = &out.session.data.spans[0];
    let ev = &sp.event_attribute_keys["exception"];
    assert_eq!(ev["type"].count, 10);
    assert_eq!(ev["type"].percentage, 100.0);
    assert_eq!(ev["reason"].percentage, 40.0); // 4 of 10 events
    assert_eq!(sp.link_attribute_keys["peer"].count, 3);
    assert_eq!(sp.link_attribute_keys["peer"].percentage, 75.0); // 3 of 4 links
}

#[test]
fn value_samples_union_in_first_seen_order_capped() {
    let mut a = session("a");
    a.data.metrics.push(metric(
        "m",
        10,
        &[
            ("k", 10, &["a", "b", "c"]),
            ("big", 10, &["1", "2", "3", "4", "5"]),
        ],
    ));
    // `big` has more values than samples: the sources were cut at 5.
    a.data.metrics[0]
        .label_keys
        .get_mut("big")
        .unwrap()
        .estimated_cardinality = 40;
    let mut b = session("b");
    b.data
        .metrics
        .push(metric("m", 10, &[("k", 10, &["c", "d", "e", "f"])]));
    let out = merged(&[a.clone(), b.clone()]);
    assert_eq!(
        out.session.data.metrics[0].label_keys["k"].value_samples,
        ["a", "b", "c", "d", "e"]
    );
    let out = merged(&[b, a]);
    assert_eq!(
        out.session.data.metrics[0].label_keys["k"].value_samples,
        ["c", "d", "e", "f", "a"]
    );
}

#[test]
fn samples_limit_is_inferred_from_cut_keys() {
    let mut a = session("a");
    a.data.metrics.push(metric(
        "m",
        10,
        &[("k", 10, &["a", "b"]), ("j", 10, &["x"])],
    ));
    // No key was cut: the analyzer default.
    assert_eq!(samples_limit(std::slice::from_ref(&a)), DEFAULT_SAMPLES);
    // A key with 2 samples of 9 values: captured with --samples 2.
    a.data.metrics[0]
        .label_keys
        .get_mut("k")
        .unwrap()
        .estimated_cardinality = 9;
    assert_eq!(samples_limit(std::slice::from_ref(&a)), 2);
    let mut b = session("b");
    b.data
        .metrics
        .push(metric("m", 10, &[("j", 10, &["y", "z"])]));
    let out = merged(&[a, b]);
    assert_eq!(
        out.session.data.metrics[0].label_keys["j"].value_samples,
        ["x", "y"]
    );
}

#[test]
fn first_last_seen_and_capture_window_are_earliest_and_latest() {
    let mut a = session("a");
    a.capture = Some(CaptureInfo {
        started: t(100),
        ended: t(200),
        sources: vec!["grpc://127.0.0.1:4317".into()],
        requests: 10,
        rejected: 1,
        dropped: 2,
        truncated: 0,
        incomplete: None,
    });
    let mut b = session("b");
    b.capture = Some(CaptureInfo {
        started: t(50),
        ended: t(150),
        sources: vec!["file:dump.jsonl".into(), "grpc://127.0.0.1:4317".into()],
        requests: 5,
        rejected: 0,
        dropped: 3,
        truncated: 0,
        incomplete: None,
    });
    let out = merged(&[a, b]);
    let c = out.session.capture.unwrap();
    assert_eq!((c.started, c.ended), (t(50), t(200)));
    assert_eq!(c.sources, ["file:dump.jsonl", "grpc://127.0.0.1:4317"]);
    assert_eq!((c.requests, c.rejected, c.dropped), (15, 1, 5));
}

#[test]
fn services_are_united_with_counts_summed() {
    let (mut a, mut b) = two_metric_sessions();
    a.data.metrics[0].services = [("api".to_string(), 4), ("web".to_string(), 6)].into();
    b.data.metrics[0].services = [("web".to_string(), 10), ("db".to_string(), 20)].into();
    let out = merged(&[a, b]);
    let s = &out.session.data.metrics[0].services;
    assert_eq!(
        s,
        &ServiceCounts::from([
            ("api".to_string(), 4),
            ("db".to_string(), 20),
            ("web".to_string(), 16)
        ])
    );
    assert_eq!(out.session.stats.services, ["api", "db", "web"]);
}

#[test]
fn key_sets_events_statuses_bounds_and_scales_are_united() {
    let (mut a, mut b) = two_metric_sessions();
    a.data.metrics[0].explicit_bounds = vec![1.0, 5.0, 10.0];
    b.data.metrics[0].explicit_bounds = vec![5.0, 25.0];
    a.data.metrics[0].scales = vec![2, 3];
    b.data.metrics[0].scales = vec![1, 3];
    let span = |events: &[&str], codes: &[&str]| SpanMeta {
        name: "GET /".into(),
        kind: 2,
        event_names: events.iter().map(|s| s.to_string()).collect(),
        status_codes: codes.iter().map(|s| s.to_string()).collect(),
        sample_count: 1,
        ..Default::default()
    };
    a.data.spans.push(span(&["exception"], &["Ok"]));
    b.data
        .spans
        .push(span(&["retry", "exception"], &["Error", "Unset"]));
    let log = |events: &[&str]| LogMeta {
        severity: "INFO".into(),
        severity_number: 9,
        event_names: events.iter().map(|s| s.to_string()).collect(),
        sample_count: 1,
        ..Default::default()
    };
    a.data.logs.push(log(&["login"]));
    b.data.logs.push(log(&["logout"]));
    let out = merged(&[a, b]);
    let d = &out.session.data;
    let keys: Vec<&str> = d.metrics[0].label_keys.keys().map(|k| k.as_str()).collect();
    assert_eq!(keys, ["code", "method", "route"]);
    assert_eq!(d.metrics[0].explicit_bounds, [1.0, 5.0, 10.0, 25.0]);
    assert_eq!(d.metrics[0].scales, [1, 2, 3]);
    assert_eq!(d.spans[0].event_names, ["exception", "retry"]);
    assert_eq!(d.spans[0].status_codes, ["Error", "Ok", "Unset"]);
    assert_eq!(d.logs[0].event_names, ["login", "logout"]);
}

#[test]
fn body_templates_merge_by_template() {
    let bt = |tpl: &str, count: u64, ex: &str| BodyTemplate {
        template: tpl.into(),
        count,
        example: ex.into(),
    };
    let log = |id: &str, templates: Vec<BodyTemplate>| {
        let mut s = session(id);
        s.data.logs.push(LogMeta {
            severity: "ERROR".into(),
            severity_number: 17,
            body_templates: templates,
            sample_count: 10,
            ..Default::default()
        });
        s
    };
    let a = log(
        "a",
        vec![
            bt("user <*> failed", 7, "user 1 failed"),
            bt("disk full", 3, "disk full"),
        ],
    );
    let b = log(
        "b",
        vec![
            bt("user <*> failed", 5, "user 9 failed"),
            bt("timeout after <*>", 5, "timeout after 3s"),
        ],
    );
    let out = merged(&[a, b]);
    let l = &out.session.data.logs[0];
    assert_eq!(l.sample_count, 20);
    assert_eq!(
        l.body_templates,
        [
            bt("user <*> failed", 12, "user 1 failed"),
            bt("timeout after <*>", 5, "timeout after 3s"),
            bt("disk full", 3, "disk full"),
        ]
    );
}

#[test]
fn keys_without_mergeable_sketches_take_the_largest_estimate_and_are_approximate() {
    let (mut a, b) = two_metric_sessions();
    // As imported from OCC: an estimate, no sketch of ours.
    let method = a.data.metrics[0].label_keys.get_mut("method").unwrap();
    method.sketch = None;
    method.approximate = true;
    method.estimated_cardinality = 7;
    let out = merged(&[a.clone(), b.clone()]);
    let k = &out.session.data.metrics[0].label_keys["method"];
    assert_eq!(k.estimated_cardinality, 7); // max(7, 3)
    assert!(k.approximate);
    assert_eq!(k.count, 40);
    assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
    assert!(
        out.warnings[0].contains("approximate"),
        "{}",
        out.warnings[0]
    );
    // Other keys are untouched by it.
    assert!(!out.session.data.metrics[0].label_keys["code"].approximate);
    // The smaller side approximate: the sketched estimate wins the max.
    let method = a.data.metrics[0].label_keys.get_mut("method").unwrap();
    method.estimated_cardinality = 1;
    let out = merged(&[b, a]);
    let k = &out.session.data.metrics[0].label_keys["method"];
    assert_eq!(k.estimated_cardinality, 3);
    assert!(k.approximate);
}

#[test]
fn type_conflicts_keep_the_side_with_more_samples() {
    let (a, mut b) = two_metric_sessions();
    b.data.metrics[0].metric_type = MetricType::Gauge;
    b.data.metrics[0].unit = "s".into();
    // a has 10 samples, b 30: b's gauge/s is kept, a's histogram/ms recorded.
    for sources in [[a.clone(), b.clone()], [b.clone(), a.clone()]] {
        let out = merged(&sources);
        let m = &out.session.data.metrics[0];
        assert_eq!(m.metric_type, MetricType::Gauge);
        assert_eq!(m.unit, "s");
        assert_eq!(m.sample_count, 30);
        assert_eq!(m.label_keys["method"].count, 30);
        assert!(!m.label_keys.contains_key("route"));
        assert_eq!(
            m.conflicts,
            [
                Conflict {
                    field: "type".into(),
                    other: "histogram".into(),
                    source: "a".into()
                },
                Conflict {
                    field: "unit".into(),
                    other: "ms".into(),
                    source: "a".into()
                },
            ]
        );
        assert_eq!(out.warnings.len(), 1);
        assert!(
            out.warnings[0].contains("metric 'http.duration'") && out.warnings[0].contains("'a'"),
            "{}",
            out.warnings[0]
        );
    }
}

#[test]
fn different_precisions_or_encodings_are_refused() {
    let (a, mut b) = two_metric_sessions();
    let sk = b.data.metrics[0]
        .label_keys
        .get_mut("method")
        .unwrap()
        .sketch
        .as_mut()
        .map(std::sync::Arc::make_mut)
        .unwrap();
    sk.precision = 12;
    let err = merge(&[a.clone(), b.clone()], &opts()).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, MergeError::Incompatible { .. }), "{msg}");
    assert!(
        msg.contains("label key 'method' of metric 'http.duration'")
            && msg.contains("'a'")
            && msg.contains("'b'")
            && msg.contains("precision"),
        "{msg}"
    );
    let sk = b.data.metrics[0]
        .label_keys
        .get_mut("method")
        .unwrap()
        .sketch
        .as_mut()
        .map(std::sync::Arc::make_mut)
        .unwrap();
    sk.precision = 14;
    sk.encoding = "hll-other".into();
    let msg = merge(&[a, b], &opts()).unwrap_err().to_string();
    assert!(msg.contains("hll-other"), "{msg}");
}

#[test]
fn a_damaged_sketch_is_refused_naming_the_source() {
    let (a, mut b) = two_metric_sessions();
    b.data.metrics[0].series_sketch.as_mut().unwrap().data = "!!!".into();
    let err = merge(&[a, b], &opts()).unwrap_err();
    assert!(matches!(err, MergeError::Corrupt { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("'b'") && msg.contains("series sketch"),
        "{msg}"
    );
}

fn mixed_session(id: &str) -> Session {
    let mut s = session(id);
    s.signals = Signal::ALL.to_vec();
    let mut m = metric("cpu", 10, &[("core", 10, &["0", "1"])]);
    m.services = [("api".to_string(), 4), ("db".to_string(), 6)].into();
    s.data.metrics.push(m);
    let mut m = metric("mem", 10, &[("pool", 10, &["heap"])]);
    m.services = [("web".to_string(), 10)].into();
    s.data.metrics.push(m);
    s.data.spans.push(SpanMeta {
        name: "GET /".into(),
        kind: 2,
        attribute_keys: [("http.route".to_string(), ks(5, 5, &["/"]))].into(),
        sample_count: 5,
        services: [("web".to_string(), 5)].into(),
        ..Default::default()
    });
    s.data.logs.push(LogMeta {
        severity: "INFO".into(),
        severity_number: 9,
        attribute_keys: [("user".to_string(), ks(3, 3, &["u"]))].into(),
        sample_count: 3,
        services: [("api".to_string(), 3)].into(),
        ..Default::default()
    });
    for (key, sig) in [
        ("core", "metrics"),
        ("pool", "metrics"),
        ("http.route", "traces"),
        ("user", "logs"),
    ] {
        let (est, sk) = sketch_of(["v"]);
        s.data.attributes.push(AttributeMeta {
            key: key.into(),
            count: 1,
            estimated_cardinality: est,
            signal_types: vec![sig.into()],
            sketch: Some(sk),
            ..Default::default()
        });
    }
    s
}

#[test]
fn signals_filter_keeps_only_those_signals() {
    let mut o = opts();
    o.signals = Some(BTreeSet::from([Signal::Metrics, Signal::Logs]));
    let out = merge(&[mixed_session("a"), mixed_session("b")], &o).unwrap();
    let s = &out.session;
    assert_eq!(s.signals, [Signal::Metrics, Signal::Logs]);
    assert_eq!(s.data.metrics.len(), 2);
    assert!(s.data.spans.is_empty());
    assert_eq!(s.data.logs.len(), 1);
    let keys: Vec<&str> = s.data.attributes.iter().map(|a| a.key.as_str()).collect();
    assert_eq!(keys, ["core", "pool", "user"]);
    assert_eq!(s.data.metrics[0].sample_count, 20);
}

#[test]
fn services_filter_keeps_items_of_those_services_and_trims_their_maps() {
    let mut o = opts();
    o.services = Some(BTreeSet::from(["api".to_string()]));
    let out = merge(&[mixed_session("a"), mixed_session("b")], &o).unwrap();
    let s = &out.session;
    let names: Vec<&str> = s.data.metrics.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["cpu"]);
    assert_eq!(
        s.data.metrics[0].services,
        ServiceCounts::from([("api".to_string(), 8)])
    );
    // Counts cannot be split by service: the item's own counts are kept whole.
    assert_eq!(s.data.metrics[0].sample_count, 20);
    assert!(s.data.spans.is_empty());
    assert_eq!(s.data.logs.len(), 1);
    assert_eq!(s.stats.services, ["api"]);
    let keys: Vec<&str> = s.data.attributes.iter().map(|a| a.key.as_str()).collect();
    assert_eq!(keys, ["core", "user"]);
}

#[test]
fn result_names_its_sources_and_describes_itself() {
    let (a, b) = two_metric_sessions();
    let out = merged(&[b, a]);
    let s = &out.session;
    assert_eq!(s.id, "merged");
    assert_eq!(s.merged_from, ["a", "b"]);
    assert_eq!(s.description, "merge of b, a");
    assert_eq!(s.created, t(1000));
    assert_eq!(s.producer, Some(Producer::current()));
    assert_eq!(s.signals, [Signal::Metrics]);
    let mut o = opts();
    o.description = Some("replicas".into());
    let (a, b) = two_metric_sessions();
    assert_eq!(merge(&[a, b], &o).unwrap().session.description, "replicas");
    assert!(matches!(merge(&[], &o), Err(MergeError::Empty)));
}

#[test]
fn merging_a_session_with_itself_changes_no_estimate() {
    let mut s = mixed_session("a");
    let mut big = metric("big", 5000, &[]);
    let (est, sk) = sketch_of((0..3000).map(|i| format!("v{i}")));
    big.label_keys.insert(
        "id",
        KeyStats {
            count: 5000,
            percentage: 100.0,
            estimated_cardinality: est,
            sketch: Some(std::sync::Arc::new(sk)),
            ..Default::default()
        },
    );
    s.data.metrics.push(big);
    s.canonicalize();
    let out = merged(&[s.clone(), s.clone()]);
    let m = &out.session.data;
    assert_eq!(m.metrics.len(), s.data.metrics.len());
    let doubled = |map: &KeyStatsMap| -> KeyStatsMap {
        map.iter()
            .map(|(k, v)| {
                let count = v.count * 2;
                (k.clone(), KeyStats { count, ..v.clone() })
            })
            .collect()
    };
    for (x, y) in s.data.metrics.iter().zip(&m.metrics) {
        assert_eq!(x.active_series, y.active_series);
        assert_eq!(x.series_sketch, y.series_sketch);
        assert_eq!(y.sample_count, 2 * x.sample_count);
        // Same estimates, sketches, percentages and samples; only counts doubled.
        assert_eq!(y.label_keys, doubled(&x.label_keys));
    }
    assert_eq!(
        m.spans[0].attribute_keys,
        doubled(&s.data.spans[0].attribute_keys)
    );
    assert_eq!(
        m.logs[0].attribute_keys,
        doubled(&s.data.logs[0].attribute_keys)
    );
    for (x, y) in s.data.attributes.iter().zip(&m.attributes) {
        assert_eq!(x.estimated_cardinality, y.estimated_cardinality);
        assert_eq!(x.sketch, y.sketch);
    }
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
}

#[test]
fn union_of_two_overlapping_600k_sets_is_within_two_percent_of_a_million() {
    // a: 0..600k, b: 400k..1M; 200k in common, 1M distinct.
    let build = |id: &str, range: std::ops::Range<u64>| {
        let mut sk = Sketch::new();
        for i in range {
            sk.insert(format!("user-{i}").as_bytes());
        }
        let mut s = session(id);
        s.data.attributes.push(AttributeMeta {
            key: "user.id".into(),
            count: 600_000,
            estimated_cardinality: sk.estimate(),
            sketch: Some(sk.to_data()),
            ..Default::default()
        });
        s
    };
    let a = build("a", 0..600_000);
    let b = build("b", 400_000..1_000_000);
    for s in [&a, &b] {
        let e = s.data.attributes[0].estimated_cardinality as f64;
        assert!((e - 600_000.0).abs() / 600_000.0 < 0.02, "{e}");
    }
    let out = merged(&[a, b]);
    let e = out.session.data.attributes[0].estimated_cardinality as f64;
    let err = (e - 1_000_000.0).abs() / 1_000_000.0;
    assert!(err < 0.02, "estimate {e}, error {:.3}%", err * 100.0);
}

fn fold(sources: &[Session], o: &MergeOptions) -> Merger {
    let mut m = Merger::new(o.clone());
    for s in sources {
        m.add(s.clone()).unwrap();
    }
    m
}

#[test]
fn a_fold_without_a_samples_limit_keeps_the_samples_a_merge_of_all_keeps() {
    let values = |p: &str, n: usize| -> Vec<String> { (0..n).map(|i| format!("{p}{i}")).collect() };
    let with_key = |id: &str, key: &str, vals: &[String], card: u64| {
        let refs: Vec<&str> = vals.iter().map(String::as_str).collect();
        let mut s = session(id);
        s.data.metrics.push(metric("m", 50, &[(key, 50, &refs)]));
        s.data.metrics[0]
            .label_keys
            .get_mut(key)
            .unwrap()
            .estimated_cardinality = card;
        s
    };
    // a and b show the default limit (nothing cut); c was captured with 8 samples.
    let a = with_key("a", "k", &values("a", 5), 5);
    let b = with_key("b", "k", &values("b", 5), 5);
    let c = with_key("c", "j", &values("c", 8), 40);
    let all = merged(&[a.clone(), b.clone(), c.clone()]);
    assert_eq!(
        all.session.data.metrics[0].label_keys["k"]
            .value_samples
            .len(),
        8
    );

    // c last: k's samples were cut at 5 before c showed 8, so the fold asks for a second pass.
    let m = fold(&[a.clone(), b.clone(), c.clone()], &opts());
    assert_eq!(m.samples(), 8);
    assert_eq!(m.rerun_samples(), Some(8));
    let mut o = opts();
    o.samples = Some(8);
    let again = fold(&[a.clone(), b.clone(), c.clone()], &o);
    assert_eq!(again.rerun_samples(), None);
    assert_eq!(again.finish().unwrap().session, all.session);

    // c first: the limit is known before anything is cut; one pass is exact.
    let first = merged(&[c.clone(), a.clone(), b.clone()]);
    let m = fold(&[c, a, b], &opts());
    assert_eq!(m.rerun_samples(), None);
    assert_eq!(m.finish().unwrap().session, first.session);
}

#[test]
fn a_fold_with_a_smaller_inferred_limit_keeps_the_merge_of_alls_samples() {
    // A key cut in one source makes the limit the most samples any key has (4), below the
    // default the fold kept up to meanwhile (5).
    let mut a = session("a");
    a.data
        .metrics
        .push(metric("m", 10, &[("k", 10, &["a", "b", "c", "d"])]));
    let mut b = session("b");
    b.data.metrics.push(metric(
        "m",
        10,
        &[("j", 10, &["x", "y"]), ("k", 10, &["e"])],
    ));
    b.data.metrics[0]
        .label_keys
        .get_mut("j")
        .unwrap()
        .estimated_cardinality = 9;
    let m = fold(&[a.clone(), b.clone()], &opts());
    assert_eq!((m.samples(), m.rerun_samples()), (4, None));
    let out = m.finish().unwrap();
    assert_eq!(out.session, merged(&[a, b]).session);
    assert_eq!(
        out.session.data.metrics[0].label_keys["k"].value_samples,
        ["a", "b", "c", "d"]
    );
}

#[test]
fn a_fold_of_nothing_is_refused() {
    assert!(matches!(
        Merger::new(opts()).finish(),
        Err(MergeError::Empty)
    ));
}

#[test]
fn settling_on_threads_is_settling_in_order() {
    // Three sources: metrics in one source only, in several (sketch unions), with a type
    // conflict (a warning each), and without a sketch (approximate, a tally).
    let sources: Vec<Session> = (0..3)
        .map(|s| {
            let mut src = session(&format!("s{s}"));
            for i in 0..40 {
                if i % 3 != s && i % 4 != 0 {
                    continue;
                }
                let mut m = metric(
                    &format!("m.{i:02}"),
                    10 + i as u64 + s as u64,
                    &[("k", 5, &["a", "b"]), ("only", 2, &["x"])],
                );
                if i % 5 == 0 && s == 1 {
                    m.metric_type = MetricType::Gauge;
                }
                if i % 7 == 0 {
                    m.series_sketch = None;
                }
                src.data.metrics.push(m);
            }
            src
        })
        .collect();
    let finish = |threads| {
        let mut m = Merger::new(opts());
        for s in &sources {
            m.add(s.clone()).unwrap();
        }
        m.finish_on(threads).unwrap()
    };
    let one = finish(1);
    assert!(!one.warnings.is_empty(), "the sources have type conflicts");
    assert!(one.warnings.iter().any(|w| w.contains("approximate")));
    for threads in [2, 3, 7, 64] {
        let many = finish(threads);
        assert!(many.session == one.session, "{threads} threads");
        assert_eq!(many.warnings, one.warnings, "{threads} threads");
        assert_eq!(many.sketches_decoded, one.sketches_decoded);
    }
}
