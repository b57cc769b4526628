//! Tests of the whole analyzer: requests in, session data out, exact values.

use std::collections::BTreeSet;

use chrono::{DateTime, TimeZone, Utc};
use opentelemetry_proto::tonic::common::v1::{
    ArrayValue, KeyValue, KeyValueList, any_value::Value,
};

use super::testdata::*;
use super::*;
use crate::session::{CaptureInfo, KeyStats, MetricMeta, MetricType, Session};

fn t(s: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000 + s, 0)
        .single()
        .unwrap_or_default()
}

fn run(opts: AnalyzerOptions, reqs: &[OtlpRequest]) -> (Session, LiveCounts) {
    let mut a = Analyzer::new(opts);
    for (i, r) in reqs.iter().enumerate() {
        a.ingest(r, t(i as i64));
    }
    let counts = a.counts();
    let mut s = Session::new("test");
    s.capture = Some(CaptureInfo {
        started: t(0),
        ended: t(10),
        sources: vec![],
        requests: reqs.len() as u64,
        rejected: 0,
        dropped: 1,
    });
    a.finish(&mut s);
    (s, counts)
}

fn metric<'a>(s: &'a Session, name: &str) -> &'a MetricMeta {
    s.data
        .metrics
        .iter()
        .find(|m| m.name == name)
        .unwrap_or_else(|| panic!("no metric {name}"))
}

fn key<'a>(m: &'a std::collections::BTreeMap<String, KeyStats>, k: &str) -> &'a KeyStats {
    m.get(k)
        .unwrap_or_else(|| panic!("no key {k} in {:?}", m.keys().collect::<Vec<_>>()))
}

fn m(r: ExportMetricsServiceRequest) -> OtlpRequest {
    OtlpRequest::Metrics(r)
}

#[test]
fn checkout_metrics_are_recorded_exactly() {
    let (s, counts) = run(AnalyzerOptions::default(), &[m(checkout_metrics())]);
    assert_eq!(s.signals, vec![Signal::Metrics]);
    let names: Vec<&str> = s.data.metrics.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "checkout.cart.items",
            "checkout.queue.delay",
            "http.server.request.count",
            "http.server.request.duration",
            "rpc.payment.latency"
        ]
    );
    assert_eq!(counts.data_points, 6 + 2 + 3 + 2 + 1);
    assert_eq!(counts.metrics, 5);
    assert_eq!(counts.dropped, 0);

    let c = metric(&s, "http.server.request.count");
    assert_eq!(c.metric_type, MetricType::Sum);
    assert_eq!(c.unit, "{request}");
    assert_eq!(c.description, "http.server.request.count (test data)");
    assert_eq!(c.aggregation_temporality.as_deref(), Some("cumulative"));
    assert_eq!(c.is_monotonic, Some(true));
    assert_eq!(
        (c.sample_count, c.data_point_count, c.active_series),
        (6, 6, 6)
    );
    assert!(c.series_sketch.is_some());
    assert_eq!(
        c.services.iter().collect::<Vec<_>>(),
        [(&"checkout".to_string(), &6)]
    );
    assert_eq!(
        c.label_keys.keys().collect::<Vec<_>>(),
        [
            "http.request.method",
            "http.response.status_code",
            "http.route"
        ]
    );
    let method = key(&c.label_keys, "http.request.method");
    assert_eq!(
        (
            method.count,
            method.percentage,
            method.estimated_cardinality
        ),
        (6, 100.0, 2)
    );
    assert_eq!(method.value_samples, ["GET", "POST"]);
    assert!(method.sketch.is_some());
    let route = key(&c.label_keys, "http.route");
    assert_eq!(route.estimated_cardinality, 3);
    assert_eq!(route.value_samples, ["/cart", "/checkout", "/orders/{id}"]);
    let status = key(&c.label_keys, "http.response.status_code");
    assert_eq!(
        (status.estimated_cardinality, status.value_samples.clone()),
        (1, vec!["200".to_string()])
    );
    assert_eq!(
        c.resource_keys.keys().collect::<Vec<_>>(),
        ["deployment.environment", "service.name", "service.version"]
    );
    let svc = key(&c.resource_keys, "service.name");
    assert_eq!(
        (svc.count, svc.percentage, svc.estimated_cardinality),
        (6, 100.0, 1)
    );
    assert_eq!(svc.value_samples, ["checkout"]);

    let h = metric(&s, "http.server.request.duration");
    assert_eq!(h.metric_type, MetricType::Histogram);
    assert_eq!(h.aggregation_temporality.as_deref(), Some("delta"));
    assert_eq!(h.is_monotonic, None);
    assert_eq!(
        h.explicit_bounds,
        [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0]
    );
    assert_eq!(h.active_series, 2);

    let g = metric(&s, "checkout.cart.items");
    assert_eq!(g.metric_type, MetricType::Gauge);
    assert_eq!(g.aggregation_temporality, None);
    assert_eq!(
        key(&g.label_keys, "cart.size").value_samples,
        ["small", "medium", "large"]
    );

    let e = metric(&s, "rpc.payment.latency");
    assert_eq!(e.metric_type, MetricType::ExponentialHistogram);
    assert_eq!(e.aggregation_temporality.as_deref(), Some("cumulative"));
    assert_eq!(e.scales, [2, 3]);

    let q = metric(&s, "checkout.queue.delay");
    assert_eq!(q.metric_type, MetricType::Summary);
    assert!(q.label_keys.is_empty());
    assert_eq!((q.data_point_count, q.active_series), (1, 1));

    assert_eq!(s.stats.metrics_count, 5);
    assert_eq!(s.stats.services, ["checkout"]);
    // The drops are added to what the capture already counted (1 in `run`).
    assert_eq!(s.capture.as_ref().map(|c| c.dropped), Some(1));
}

#[test]
fn bounds_and_scales_are_distinct_unions() {
    let req = metrics_request(
        resource(Some("svc"), vec![]),
        vec![
            histogram("h", "s", DELTA, &[1.0, 5.0], vec![vec![]]),
            histogram(
                "h",
                "s",
                DELTA,
                &[0.5, 1.0, 10.0, f64::INFINITY],
                vec![vec![]],
            ),
            exp_histogram(
                "e",
                "s",
                DELTA,
                vec![(0, vec![]), (-2, vec![]), (0, vec![]), (5, vec![])],
            ),
        ],
    );
    let (s, _) = run(AnalyzerOptions::default(), &[m(req.clone()), m(req)]);
    assert_eq!(metric(&s, "h").explicit_bounds, [0.5, 1.0, 5.0, 10.0]);
    assert_eq!(metric(&s, "e").scales, [-2, 0, 5]);
    assert_eq!(metric(&s, "h").data_point_count, 4);
}

#[test]
fn series_identity_ignores_attribute_order() {
    let a = vec![kv_str("a", "1"), kv_str("b", "2")];
    let b = vec![kv_str("b", "2"), kv_str("a", "1")];
    let c = vec![kv_str("a", "1"), kv_str("b", "3")];
    let r1 = metrics_request(
        resource(Some("svc"), vec![kv_str("x", "1"), kv_str("y", "2")]),
        vec![gauge("g", "", vec![a, b.clone(), c])],
    );
    // Same point attributes under a resource with reordered attributes: the same series.
    let r2 = metrics_request(
        resource(Some("svc"), vec![kv_str("y", "2"), kv_str("x", "1")]),
        vec![gauge("g", "", vec![b.clone()])],
    );
    // Another resource value: a new series.
    let r3 = metrics_request(
        resource(Some("svc"), vec![kv_str("x", "9"), kv_str("y", "2")]),
        vec![gauge("g", "", vec![b.clone()])],
    );
    // The same pair on the resource instead of the point is a different series.
    let r4 = metrics_request(
        resource(
            Some("svc"),
            vec![kv_str("x", "1"), kv_str("y", "2"), kv_str("a", "1")],
        ),
        vec![gauge("g", "", vec![vec![kv_str("b", "2")]])],
    );
    let (s, _) = run(AnalyzerOptions::default(), &[m(r1.clone()), m(r2.clone())]);
    assert_eq!(metric(&s, "g").active_series, 2);
    let (s, _) = run(AnalyzerOptions::default(), &[m(r1.clone()), m(r2), m(r3)]);
    assert_eq!(metric(&s, "g").active_series, 3);
    let (s, _) = run(AnalyzerOptions::default(), &[m(r1), m(r4)]);
    assert_eq!(metric(&s, "g").active_series, 3);
}

#[test]
fn percentages_samples_and_value_kinds() {
    let arr = Value::ArrayValue(ArrayValue { values: vec![] });
    let kvl = Value::KvlistValue(KeyValueList {
        values: vec![
            kv("k", Value::IntValue(1)),
            kv("j", Value::BoolValue(false)),
        ],
    });
    let points: Vec<Vec<KeyValue>> = vec![
        vec![kv_str("v", "a"), kv_int("only_some", 1)],
        vec![kv("v", Value::IntValue(7)), kv_int("only_some", 1)],
        vec![kv("v", Value::DoubleValue(2.5))],
        vec![kv("v", Value::BoolValue(true))],
        vec![kv("v", Value::BytesValue(vec![1, 2, 3]))],
        vec![kv("v", arr)],
        vec![kv("v", kvl)],
        vec![kv_str("v", "a")],
        vec![KeyValue {
            key: "v".into(),
            value: None,
            ..Default::default()
        }],
    ];
    let req = metrics_request(resource(Some("svc"), vec![]), vec![gauge("g", "", points)]);
    let opts = AnalyzerOptions {
        samples: 8,
        ..Default::default()
    };
    let (s, _) = run(opts, &[m(req.clone())]);
    let g = metric(&s, "g");
    let v = key(&g.label_keys, "v");
    assert_eq!(v.count, 9);
    assert_eq!(v.estimated_cardinality, 8);
    assert_eq!(
        v.value_samples,
        ["a", "7", "2.5", "true", "AQID", "[]", "{k=1,j=false}", ""]
    );
    let some = key(&g.label_keys, "only_some");
    assert_eq!(
        (some.count, some.percentage, some.estimated_cardinality),
        (2, 22.22, 1)
    );

    let (s, _) = run(
        AnalyzerOptions {
            samples: 3,
            ..Default::default()
        },
        &[m(req.clone())],
    );
    assert_eq!(
        key(&metric(&s, "g").label_keys, "v").value_samples,
        ["a", "7", "2.5"]
    );
    let (s, _) = run(
        AnalyzerOptions {
            samples: 0,
            ..Default::default()
        },
        &[m(req)],
    );
    let v = key(&metric(&s, "g").label_keys, "v");
    assert!(v.value_samples.is_empty());
    assert_eq!(v.estimated_cardinality, 8);
}

#[test]
fn services_and_unknown_service() {
    let mut req = checkout_metrics_with("checkout", 0);
    req.resource_metrics
        .extend(checkout_metrics_with("cart", 0).resource_metrics);
    req.resource_metrics.extend(
        metrics_request(
            resource(None, vec![kv_str("host.name", "n1")]),
            vec![gauge("checkout.cart.items", "", vec![vec![]])],
        )
        .resource_metrics,
    );
    let (s, _) = run(AnalyzerOptions::default(), &[m(req)]);
    let g = metric(&s, "checkout.cart.items");
    let services: Vec<(&str, u64)> = g.services.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(
        services,
        [("cart", 3), ("checkout", 3), ("unknown_service", 1)]
    );
    assert_eq!(g.data_point_count, 7);
    assert_eq!(key(&g.resource_keys, "service.name").count, 6);
    assert_eq!(key(&g.resource_keys, "service.name").percentage, 85.71);
    assert_eq!(key(&g.resource_keys, "host.name").count, 1);
    assert_eq!(s.stats.services, ["cart", "checkout", "unknown_service"]);
}

#[test]
fn ten_thousand_distinct_values_within_two_percent() {
    let points: Vec<Vec<KeyValue>> = (0..10_000)
        .map(|i| vec![kv_str("user_id", &format!("user-{i}"))])
        .collect();
    let req = metrics_request(
        resource(Some("svc"), vec![]),
        vec![sum("logins", "1", DELTA, true, points)],
    );
    let (s, _) = run(AnalyzerOptions::default(), &[m(req)]);
    let l = metric(&s, "logins");
    for est in [
        key(&l.label_keys, "user_id").estimated_cardinality,
        l.active_series,
    ] {
        assert!((est as f64 - 10_000.0).abs() / 10_000.0 < 0.02, "{est}");
    }
    let cat = s
        .data
        .attributes
        .iter()
        .find(|a| a.key == "user_id")
        .map(|a| a.estimated_cardinality);
    assert!(
        cat.is_some_and(|c| (c as f64 - 10_000.0).abs() < 200.0),
        "{cat:?}"
    );
}

#[test]
fn metric_cap_counts_refused_points() {
    let req = checkout_metrics();
    let opts = AnalyzerOptions {
        max_items: 2,
        ..Default::default()
    };
    let mut a = Analyzer::new(opts);
    a.ingest_metrics(&req, t(0));
    // First two metrics in request order are kept: the counter (6 points) and the histogram (2).
    // Refused: gauge 3 + exp histogram 2 + summary 1 points, plus keys past the per-item cap
    // of 2: the counter's third label (6 occurrences) and third resource key on both metrics
    // (6 + 2 occurrences).
    assert_eq!(a.counts().metrics, 2);
    assert_eq!(a.counts().dropped, 3 + 2 + 1 + 6 + 6 + 2);
    let mut s = Session::new("x");
    s.capture = Some(CaptureInfo {
        started: t(0),
        ended: t(1),
        sources: vec![],
        requests: 1,
        rejected: 0,
        dropped: 0,
    });
    a.finish(&mut s);
    assert_eq!(s.data.metrics.len(), 2);
    let c = metric(&s, "http.server.request.count");
    assert_eq!(c.label_keys.len(), 2);
    assert_eq!(c.resource_keys.len(), 2);
    // The catalog keeps at most 2 keys too (first seen, then by name); the rest are counted
    // with their occurrences: service.name and service.version, 8 each.
    let keys: Vec<&str> = s.data.attributes.iter().map(|a| a.key.as_str()).collect();
    assert_eq!(keys, ["http.request.method", "http.route"]);
    assert_eq!(s.capture.map(|c| c.dropped), Some(20 + 16));
}

#[test]
fn signal_and_service_filters() {
    let opts = AnalyzerOptions {
        signals: Some(BTreeSet::from([Signal::Traces])),
        ..Default::default()
    };
    let (s, counts) = run(
        opts,
        &[
            m(checkout_metrics()),
            OtlpRequest::Traces(checkout_traces()),
        ],
    );
    assert!(s.data.metrics.is_empty());
    assert_eq!(s.signals, vec![Signal::Traces]);
    assert_eq!(counts.data_points, 0);
    assert_eq!(counts.spans, 5);

    let opts = AnalyzerOptions {
        services: Some(BTreeSet::from(["cart".to_string()])),
        ..Default::default()
    };
    let mut both = checkout_metrics_with("checkout", 0);
    both.resource_metrics
        .extend(checkout_metrics_with("cart", 0).resource_metrics);
    let (s, counts) = run(
        opts,
        &[
            m(checkout_metrics()),
            m(both),
            OtlpRequest::Traces(checkout_traces()),
        ],
    );
    assert_eq!(s.stats.services, ["cart"]);
    assert_eq!(counts.data_points, 14);
    assert!(s.data.spans.is_empty());
    assert_eq!(s.signals, vec![Signal::Metrics]);
}

#[test]
fn empty_requests_and_metrics_without_data() {
    let mut req = checkout_metrics();
    req.resource_metrics[0].scope_metrics[0].metrics.push(
        opentelemetry_proto::tonic::metrics::v1::Metric {
            name: "no.data".into(),
            ..Default::default()
        },
    );
    let (s, _) = run(
        AnalyzerOptions::default(),
        &[m(ExportMetricsServiceRequest::default()), m(req)],
    );
    let n = metric(&s, "no.data");
    assert_eq!(
        (n.metric_type, n.data_point_count, n.active_series),
        (MetricType::Unknown, 0, 0)
    );
    let (s, _) = run(
        AnalyzerOptions::default(),
        &[m(ExportMetricsServiceRequest::default())],
    );
    assert!(s.signals.is_empty());
    assert!(s.data.attributes.is_empty());
}

#[test]
fn same_input_same_bytes() {
    let reqs = [
        m(checkout_metrics()),
        OtlpRequest::Traces(checkout_traces()),
        OtlpRequest::Logs(checkout_logs()),
    ];
    let (a, _) = run(AnalyzerOptions::default(), &reqs);
    let (b, _) = run(AnalyzerOptions::default(), &reqs);
    let ja = serde_json::to_string(&a.data).unwrap_or_default();
    assert!(!ja.is_empty());
    assert_eq!(ja, serde_json::to_string(&b.data).unwrap_or_default());
}

#[test]
fn bench_payload_shape() {
    let req = bench_metrics(50, 20, 5, 1);
    let (s, counts) = run(AnalyzerOptions::default(), &[m(req)]);
    assert_eq!(counts.data_points, 1000);
    assert_eq!(s.data.metrics.len(), 50);
    assert!(s.data.metrics.iter().all(|m| m.label_keys.len() == 5));
}
