//! Merge then diff against the union of the raw inputs: no change.
//!
//! Request sets A and B are analyzed into two sessions and merged; A ∪ B is analyzed into one
//! session; the diff between the two, with every tolerance at zero, must be empty, and every
//! estimate, count, percentage and sketch must be equal.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

use chrono::{DateTime, TimeZone, Utc};
use otelsnap_core::analyze::{Analyzer, AnalyzerOptions};
use otelsnap_core::diff::{DiffReport, Filters, Rules};
use otelsnap_core::merge::{MergeOptions, Merger, merge};
use otelsnap_core::otlp::OtlpRequest;
use otelsnap_core::session::{CaptureInfo, KeyStatsMap, Session};
use otelsnap_testkit::testdata::{
    bench_metrics, checkout_logs, checkout_metrics_with, checkout_traces, gauge, kv_str, log,
    logs_request, metrics_request, resource, span, traces_request,
};

fn t(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000 + secs, 0).unwrap()
}

/// A gauge with one point per user id in `range`: enough distinct values for dense sketches.
fn users(range: std::ops::Range<u32>) -> OtlpRequest {
    let points = range
        .map(|i| vec![kv_str("user.id", &format!("user-{i}"))])
        .collect();
    OtlpRequest::Metrics(metrics_request(
        resource(Some("accounts"), vec![]),
        vec![gauge("accounts.active", "1", points)],
    ))
}

fn set_a() -> Vec<OtlpRequest> {
    vec![
        OtlpRequest::Metrics(checkout_metrics_with("checkout", 0)),
        OtlpRequest::Metrics(bench_metrics(40, 30, 5, 1)),
        OtlpRequest::Traces(checkout_traces()),
        OtlpRequest::Logs(checkout_logs()),
        users(0..12_000),
    ]
}

fn set_b() -> Vec<OtlpRequest> {
    vec![
        OtlpRequest::Metrics(checkout_metrics_with("checkout", 400)),
        OtlpRequest::Metrics(checkout_metrics_with("cart", 0)),
        OtlpRequest::Metrics(bench_metrics(60, 30, 5, 2)),
        OtlpRequest::Traces(checkout_traces()),
        OtlpRequest::Traces(traces_request(
            resource(Some("cart"), vec![kv_str("service.version", "2.0.0")]),
            vec![span(
                "POST /checkout",
                2,
                vec![kv_str("http.route", "/cart/checkout")],
                1,
            )],
        )),
        OtlpRequest::Logs(checkout_logs()),
        OtlpRequest::Logs(logs_request(
            resource(Some("cart"), vec![]),
            vec![log("WARN", 13, "cart service degraded", vec![])],
        )),
        users(8_000..30_000),
    ]
}

/// Analyzes `(offset, requests)` batches, each request a second apart from `offset`.
fn analyze(id: &str, batches: &[(i64, &[OtlpRequest])]) -> Session {
    let mut an = Analyzer::new(AnalyzerOptions::default());
    let mut started: Option<DateTime<Utc>> = None;
    let mut ended = t(0);
    let mut requests = 0;
    for (offset, reqs) in batches {
        for (i, r) in reqs.iter().enumerate() {
            let at = t(offset + i as i64);
            started = Some(started.map_or(at, |s| s.min(at)));
            ended = ended.max(at);
            an.ingest(r, at);
            requests += 1;
        }
    }
    let mut s = Session::new(id);
    s.created = ended;
    s.capture = Some(CaptureInfo {
        started: started.unwrap(),
        ended,
        sources: vec!["test".into()],
        requests,
        rejected: 0,
        dropped: 0,
        truncated: 0,
        incomplete: None,
    });
    an.finish(&mut s);
    s
}

fn zero_tolerance() -> Rules {
    Rules {
        cardinality_tolerance: 0.0,
        rate_tolerance: 0.0,
        template_share_tolerance: 0.0,
        ..Rules::default()
    }
}

/// What may legitimately differ: value samples (first seen in source order versus in item
/// order), the catalog's first/last seen (merge keeps each source's), names and history, and
/// the order-dependent part of key evidence: growth checkpoints and units of new data (a
/// merge cannot know how two captures' traffic interleaved, nor that a point one capture sent
/// repeated one the other sent), so the verdict drawn from them. The evidence's shape sample,
/// profile and distinct count must still match.
fn comparable(mut s: Session) -> Session {
    s.id.clear();
    s.description.clear();
    s.merged_from.clear();
    s.created = t(0);
    let order_free = |ev: &mut Option<Box<otelsnap_core::session::KeyEvidence>>| {
        if let Some(ev) = ev.as_deref_mut() {
            ev.growth.clear();
            ev.units = 0;
            ev.rejudge();
        }
    };
    let clear = |m: &mut KeyStatsMap| {
        m.values_mut().for_each(|k| {
            k.value_samples.clear();
            order_free(&mut k.evidence);
        });
    };
    for m in &mut s.data.metrics {
        clear(&mut m.label_keys);
        clear(&mut m.resource_keys);
    }
    for sp in &mut s.data.spans {
        clear(&mut sp.attribute_keys);
        clear(&mut sp.resource_keys);
        clear(&mut sp.link_attribute_keys);
        sp.event_attribute_keys.values_mut().for_each(clear);
    }
    for l in &mut s.data.logs {
        clear(&mut l.attribute_keys);
        clear(&mut l.resource_keys);
    }
    for a in &mut s.data.attributes {
        a.value_samples.clear();
        order_free(&mut a.evidence);
    }
    s
}

#[test]
fn merge_then_diff_against_the_union_of_raw_inputs_shows_no_change() {
    let (a, b) = (set_a(), set_b());
    let sa = analyze("a", &[(0, &a)]);
    let sb = analyze("b", &[(100, &b)]);
    let union = analyze("a-and-b", &[(0, &a), (100, &b)]);

    let mut opts = MergeOptions::new("merged");
    opts.created = union.created;
    let out = merge(&[sa.clone(), sb.clone()], &opts).unwrap();
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    let merged = out.session;

    // The inputs overlap: the test means something only if unions are not sums.
    let card = |s: &Session, metric: &str, key: &str| {
        let m = s.data.metrics.iter().find(|m| m.name == metric).unwrap();
        m.label_keys[key].estimated_cardinality
    };
    let (ua, ub, um) = (
        card(&sa, "accounts.active", "user.id"),
        card(&sb, "accounts.active", "user.id"),
        card(&merged, "accounts.active", "user.id"),
    );
    assert!(um < ua + ub && um > ua.max(ub), "{ua} + {ub} -> {um}");
    assert!((um as f64 - 30_000.0).abs() / 30_000.0 < 0.02, "{um}");
    // Both sides' user.id sketches are dense (2^14 six-bit registers, 16 KiB in base64), so the
    // union of dense sketches is covered too.
    for s in [&sa, &sb] {
        let m = s
            .data
            .metrics
            .iter()
            .find(|m| m.name == "accounts.active")
            .unwrap();
        let len = m.label_keys["user.id"].sketch.as_ref().unwrap().data.len();
        assert!(len > 16_000, "{len}");
    }

    // The diff does see what B adds to A, so an empty diff below is not an idle diff.
    let report = DiffReport::build(&sa, &merged, &zero_tolerance(), &Filters::default());
    assert!(report.changes.len() > 10, "{}", report.changes.len());

    let report = DiffReport::build(&union, &merged, &zero_tolerance(), &Filters::default());
    assert!(
        report.changes.is_empty(),
        "{} changes, first: {:#?}",
        report.changes.len(),
        report.changes.first()
    );
    assert_eq!(report.exit_code, 0);
    // And the other way round.
    let report = DiffReport::build(&merged, &union, &zero_tolerance(), &Filters::default());
    assert!(report.changes.is_empty(), "{:#?}", report.changes.first());

    // Stronger than the diff: every estimate, count, percentage, sketch and set is identical.
    let (m, u) = (comparable(merged), comparable(union));
    assert_eq!(m.data.metrics, u.data.metrics);
    assert_eq!(m.data.spans, u.data.spans);
    assert_eq!(m.data.logs, u.data.logs);
    for (x, y) in m.data.attributes.iter().zip(&u.data.attributes) {
        assert_eq!(
            (&x.key, x.count, x.estimated_cardinality, &x.sketch),
            (&y.key, y.count, y.estimated_cardinality, &y.sketch)
        );
        assert_eq!((&x.signal_types, &x.scope), (&y.signal_types, &y.scope));
        assert_eq!((x.first_seen, x.last_seen), (y.first_seen, y.last_seen));
        assert_eq!(x.evidence, y.evidence);
    }
    assert_eq!(m.data.attributes.len(), u.data.attributes.len());
    assert_eq!(m.signals, u.signals);
    assert_eq!(
        m.capture,
        u.capture.map(|c| CaptureInfo {
            sources: vec!["test".into()],
            ..c
        })
    );
}

/// Replica `i` of twenty: its own slice of users (overlapping its neighbours'), some metrics
/// every replica sends, some only it sends, and the same traces and logs.
fn replica(i: u32) -> Vec<OtlpRequest> {
    let mut reqs = vec![
        OtlpRequest::Metrics(checkout_metrics_with("checkout", i as usize * 40)),
        OtlpRequest::Metrics(bench_metrics(8 + i as usize % 5, 6, 3, u64::from(i % 4))),
        OtlpRequest::Traces(checkout_traces()),
        OtlpRequest::Logs(checkout_logs()),
        users(i * 1_000..i * 1_000 + 2_500),
    ];
    if i.is_multiple_of(3) {
        reqs.push(OtlpRequest::Metrics(checkout_metrics_with(
            &format!("cart-{i}"),
            0,
        )));
    }
    reqs
}

/// The law at N = 20: folding twenty sessions into one merge, merging them two at a
/// time (left to right, and as a balanced tree) and analyzing the twenty request sets as one
/// capture all give the same estimates, counts, percentages, sketches and sets.
#[test]
fn twenty_way_merge_equals_pairwise_merges_and_the_union_captured_at_once() {
    const N: u32 = 20;
    let sets: Vec<Vec<OtlpRequest>> = (0..N).map(replica).collect();
    let sources: Vec<Session> = sets
        .iter()
        .enumerate()
        .map(|(i, reqs)| analyze(&format!("replica-{i}"), &[(i as i64 * 100, reqs)]))
        .collect();
    let batches: Vec<(i64, &[OtlpRequest])> = sets
        .iter()
        .enumerate()
        .map(|(i, reqs)| (i as i64 * 100, reqs.as_slice()))
        .collect();
    let union = analyze("all-at-once", &batches);

    let mut opts = MergeOptions::new("merged");
    opts.created = union.created;
    // Folded one source at a time, each dropped once it is in.
    let mut m = Merger::new(opts.clone());
    for s in sources.iter().cloned() {
        m.add(s).unwrap();
    }
    assert_eq!(
        m.rerun_samples(),
        None,
        "the replicas share one samples limit"
    );
    let out = m.finish().unwrap();
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    let nway = out.session;
    // The wrapper over all sources at once is the same fold.
    assert_eq!(merge(&sources, &opts).unwrap().session, nway);

    let pair = |a: Session, b: Session| merge(&[a, b], &opts).unwrap().session;
    let left = sources.iter().cloned().reduce(pair).unwrap();
    let mut level = sources.clone();
    while level.len() > 1 {
        let mut next = Vec::new();
        let mut it = level.into_iter();
        while let Some(a) = it.next() {
            next.push(match it.next() {
                Some(b) => pair(a, b),
                None => a,
            });
        }
        level = next;
    }
    let tree = level.pop().unwrap();

    // The replicas overlap: unions, not sums.
    let users = |s: &Session| {
        let m = s
            .data
            .metrics
            .iter()
            .find(|m| m.name == "accounts.active")
            .unwrap();
        m.label_keys["user.id"].estimated_cardinality
    };
    let sum: u64 = sources.iter().map(users).sum();
    let um = users(&nway);
    assert!(um * 2 < sum, "{um} of {sum}");
    assert!((um as f64 - 21_500.0).abs() / 21_500.0 < 0.02, "{um}");

    let report = DiffReport::build(&union, &nway, &zero_tolerance(), &Filters::default());
    assert!(report.changes.is_empty(), "{:#?}", report.changes.first());

    let (n, l, t, u) = (
        comparable(nway),
        comparable(left),
        comparable(tree),
        comparable(union),
    );
    assert_eq!(n.data, l.data, "N-way against left-to-right pairs");
    assert_eq!(n.data, t.data, "N-way against a tree of pairs");
    assert_eq!(n.data.metrics, u.data.metrics);
    assert_eq!(n.data.spans, u.data.spans);
    assert_eq!(n.data.logs, u.data.logs);
    assert_eq!(n.data.attributes.len(), u.data.attributes.len());
    for (x, y) in n.data.attributes.iter().zip(&u.data.attributes) {
        assert_eq!(
            (&x.key, x.count, x.estimated_cardinality, &x.sketch),
            (&y.key, y.count, y.estimated_cardinality, &y.sketch)
        );
        assert_eq!((&x.signal_types, &x.scope), (&y.signal_types, &y.scope));
        assert_eq!((x.first_seen, x.last_seen), (y.first_seen, y.last_seen));
        assert_eq!(x.evidence, y.evidence);
    }
    assert_eq!(n.signals, u.signals);
    assert_eq!((&n.observed, &n.capture), (&l.observed, &l.capture));
}
