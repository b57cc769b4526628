//! Tests of the whole analyzer: requests in, session data out, exact values.

use std::collections::BTreeSet;

use chrono::{DateTime, TimeZone, Utc};
use opentelemetry_proto::tonic::common::v1::{
    ArrayValue, KeyValue, KeyValueList, any_value::Value,
};

use super::*;
use crate::session::{CaptureInfo, KeyStats, KeyStatsMap, MetricMeta, MetricType, Session};
use otelsnap_testkit::testdata::*;

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
        truncated: 0,
        incomplete: None,
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

fn key<'a>(m: &'a KeyStatsMap, k: &str) -> &'a KeyStats {
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
        c.services
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect::<Vec<_>>(),
        [("checkout", 6)]
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
        truncated: 0,
        incomplete: None,
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

fn span_meta<'a>(s: &'a Session, name: &str) -> &'a crate::session::SpanMeta {
    s.data
        .spans
        .iter()
        .find(|m| m.name == name)
        .unwrap_or_else(|| panic!("no span {name}"))
}

fn log_meta<'a>(s: &'a Session, severity: &str) -> &'a crate::session::LogMeta {
    s.data
        .logs
        .iter()
        .find(|m| m.severity == severity)
        .unwrap_or_else(|| panic!("no severity {severity}"))
}

#[test]
fn checkout_spans_are_recorded_exactly() {
    let (s, counts) = run(
        AnalyzerOptions::default(),
        &[OtlpRequest::Traces(checkout_traces())],
    );
    assert_eq!(s.signals, vec![Signal::Traces]);
    let names: Vec<(&str, i32, &str)> = s
        .data
        .spans
        .iter()
        .map(|m| (m.name.as_str(), m.kind, m.kind_name.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("GET /health", 1, "Internal"),
            ("POST /checkout", 2, "Server"),
            ("SELECT orders", 3, "Client"),
            ("publish order.created", 4, "Producer")
        ]
    );
    assert_eq!((counts.spans, counts.span_names), (5, 4));

    let p = span_meta(&s, "POST /checkout");
    assert_eq!(p.sample_count, 2);
    assert_eq!(p.status_codes, ["Error", "Ok"]);
    assert_eq!(p.services.get("checkout"), Some(&2));
    let st = key(&p.attribute_keys, "http.response.status_code");
    assert_eq!(
        (st.count, st.percentage, st.estimated_cardinality),
        (2, 100.0, 2)
    );
    assert_eq!(st.value_samples, ["200", "500"]);
    assert_eq!(p.event_names, ["exception"]);
    let ex = &p.event_attribute_keys["exception"];
    assert_eq!(
        ex.keys().collect::<Vec<_>>(),
        ["exception.message", "exception.type"]
    );
    let msg = key(ex, "exception.message");
    assert_eq!(
        (msg.count, msg.percentage, msg.value_samples.clone()),
        (1, 100.0, vec!["card expired".to_string()])
    );
    assert!(p.link_attribute_keys.is_empty());
    assert_eq!(
        p.resource_keys.keys().collect::<Vec<_>>(),
        ["service.name", "service.version"]
    );

    let q = span_meta(&s, "SELECT orders");
    assert_eq!(q.status_codes, ["Unset"]);
    let reason = key(&q.link_attribute_keys, "link.reason");
    assert_eq!(
        (
            reason.count,
            reason.percentage,
            reason.value_samples.clone()
        ),
        (1, 100.0, vec!["retry".to_string()])
    );
    assert!(q.event_names.is_empty());

    let pb = span_meta(&s, "publish order.created");
    assert_eq!(pb.status_codes, ["Ok"]);
    assert_eq!(
        key(
            &pb.event_attribute_keys["message.sent"],
            "messaging.message.body.size"
        )
        .value_samples,
        ["512"]
    );

    let h = span_meta(&s, "GET /health");
    assert_eq!(
        h.services
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect::<Vec<_>>(),
        [("unknown_service", 1)]
    );
    assert_eq!(h.resource_keys.keys().collect::<Vec<_>>(), ["host.name"]);
    assert!(h.attribute_keys.is_empty());
    assert_eq!(s.stats.services, ["checkout", "unknown_service"]);
}

#[test]
fn same_span_name_with_two_kinds_is_two_entries() {
    let req = traces_request(
        resource(Some("svc"), vec![]),
        vec![
            span("call", 2, vec![], 0),
            span("call", 3, vec![], 0),
            span("call", 3, vec![], 0),
        ],
    );
    let (s, counts) = run(AnalyzerOptions::default(), &[OtlpRequest::Traces(req)]);
    let got: Vec<(i32, u64)> = s
        .data
        .spans
        .iter()
        .map(|m| (m.kind, m.sample_count))
        .collect();
    assert_eq!(got, [(2, 1), (3, 2)]);
    assert_eq!(counts.span_names, 2);
}

#[test]
fn span_caps_count_refused_spans_and_keys() {
    let opts = AnalyzerOptions {
        max_items: 1,
        ..Default::default()
    };
    let mut a = Analyzer::new(opts);
    a.ingest_traces(&checkout_traces(), t(0));
    // Kept: the two `POST /checkout` spans. Refused: 3 spans of other names; 2 of 3 attribute
    // keys on each kept span (4); 1 of 2 exception event keys (1); 1 of 2 resource keys on each
    // kept span (2).
    assert_eq!(a.counts().spans, 2);
    assert_eq!(a.counts().dropped, 3 + 4 + 1 + 2);
    let mut s = Session::new("x");
    s.capture = Some(CaptureInfo {
        started: t(0),
        ended: t(1),
        sources: vec![],
        requests: 1,
        rejected: 0,
        dropped: 0,
        truncated: 0,
        incomplete: None,
    });
    a.finish(&mut s);
    // Catalog capped at 1 key: `exception.type` (all first seen at once, then by name) stays;
    // `http.request.method` (2) and `service.name` (2) are counted as dropped.
    let keys: Vec<&str> = s.data.attributes.iter().map(|a| a.key.as_str()).collect();
    assert_eq!(keys, ["exception.type"]);
    assert_eq!(s.capture.map(|c| c.dropped), Some(10 + 4));
}

#[test]
fn checkout_logs_are_recorded_exactly() {
    let (s, counts) = run(
        AnalyzerOptions::default(),
        &[OtlpRequest::Logs(checkout_logs())],
    );
    assert_eq!(s.signals, vec![Signal::Logs]);
    let sev: Vec<(&str, i32, u64)> = s
        .data
        .logs
        .iter()
        .map(|l| (l.severity.as_str(), l.severity_number, l.sample_count))
        .collect();
    assert_eq!(
        sev,
        [
            ("UNSPECIFIED", 0, 1),
            ("INFO", 9, 2),
            ("WARN", 13, 2),
            ("ERROR", 17, 1)
        ]
    );
    assert_eq!((counts.log_records, counts.severities), (6, 4));

    let info = log_meta(&s, "INFO");
    let uid = key(&info.attribute_keys, "user.id");
    assert_eq!(
        (
            uid.count,
            uid.estimated_cardinality,
            uid.value_samples.clone()
        ),
        (2, 2, vec!["1234".into(), "99".into()])
    );
    let tpl: Vec<(&str, u64, &str)> = info
        .body_templates
        .iter()
        .map(|b| (b.template.as_str(), b.count, b.example.as_str()))
        .collect();
    assert_eq!(
        tpl,
        [(
            "User <*> logged in from <*>",
            2,
            "User 1234 logged in from 10.0.0.1"
        )]
    );
    assert_eq!(info.services.get("checkout"), Some(&2));
    assert_eq!(key(&info.resource_keys, "service.version").count, 2);

    let warn = log_meta(&s, "WARN");
    assert_eq!(
        warn.body_templates[0].template,
        "Connection to <*> timed out after <*>"
    );
    assert_eq!(warn.body_templates[0].count, 2);
    assert!(warn.attribute_keys.is_empty());

    let err = log_meta(&s, "ERROR");
    assert_eq!(err.event_names, ["payment.failed"]);
    assert_eq!(
        err.body_templates[0].template,
        r#"payment for order "<*>" declined: "<*>""#
    );

    assert_eq!(
        log_meta(&s, "UNSPECIFIED").body_templates[0].template,
        "cache warmed"
    );
}

#[test]
fn severity_text_wins_and_structured_bodies_are_mined() {
    let mut structured = log("", 9, "", vec![]);
    structured.body = Some(opentelemetry_proto::tonic::common::v1::AnyValue {
        value: Some(Value::KvlistValue(KeyValueList {
            values: vec![kv_str("msg", "hi"), kv_int("n", 5)],
        })),
    });
    let req = logs_request(
        resource(Some("svc"), vec![]),
        vec![
            log("info", 9, "a", vec![]),
            log("", 9, "b", vec![]),
            structured,
        ],
    );
    let (s, _) = run(AnalyzerOptions::default(), &[OtlpRequest::Logs(req)]);
    let sev: Vec<(&str, u64)> = s
        .data
        .logs
        .iter()
        .map(|l| (l.severity.as_str(), l.sample_count))
        .collect();
    assert_eq!(sev, [("INFO", 2), ("info", 1)]);
    let templates: Vec<&str> = log_meta(&s, "INFO")
        .body_templates
        .iter()
        .map(|b| b.template.as_str())
        .collect();
    assert_eq!(templates, ["b", "{msg=hi,n=<*>}"]);
}

#[test]
fn template_and_severity_caps_are_counted() {
    let bodies = [
        "alpha one",
        "beta two three",
        "gamma four five six",
        "alpha one",
    ];
    let mut records: Vec<_> = bodies.iter().map(|b| log("INFO", 9, b, vec![])).collect();
    records.push(log("WARN", 13, "x", vec![]));
    records.push(log("ERROR", 17, "y", vec![]));
    let opts = AnalyzerOptions {
        max_items: 2,
        ..Default::default()
    };
    let (s, counts) = run(
        opts,
        &[OtlpRequest::Logs(logs_request(
            resource(Some("svc"), vec![]),
            records,
        ))],
    );
    // Templates per severity capped at 2: "gamma…" refused (1). Severities capped at 2: the
    // ERROR record refused (1). Resource keys: only service.name, within the cap.
    assert_eq!(counts.dropped, 2);
    assert_eq!(counts.log_records, 5);
    let info = log_meta(&s, "INFO");
    assert_eq!(info.sample_count, 4);
    assert_eq!(info.body_templates.len(), 2);
    assert_eq!(s.data.logs.len(), 2);
}

#[test]
fn catalog_spans_signals_and_scopes() {
    let region = metrics_request(
        resource(Some("checkout"), vec![kv_str("region", "eu")]),
        vec![gauge("g", "", vec![vec![kv_str("region", "us")]])],
    );
    let mut a = Analyzer::new(AnalyzerOptions::default());
    a.ingest_metrics(&checkout_metrics(), t(0));
    a.ingest_traces(&checkout_traces(), t(1));
    a.ingest_logs(&checkout_logs(), t(2));
    a.ingest_metrics(&region, t(5));
    let mut s = Session::new("x");
    a.finish(&mut s);
    assert_eq!(
        s.signals,
        vec![Signal::Metrics, Signal::Traces, Signal::Logs]
    );
    let attr = |k: &str| {
        s.data
            .attributes
            .iter()
            .find(|a| a.key == k)
            .cloned()
            .unwrap_or_else(|| panic!("no attribute {k}"))
    };
    let svc = attr("service.name");
    assert_eq!(svc.scope, "resource");
    assert_eq!(svc.signal_types, ["logs", "metrics", "traces"]);
    // 14 + 1 data points, 4 spans with a service name, 6 log records.
    assert_eq!(svc.count, 15 + 4 + 6);
    assert_eq!(svc.estimated_cardinality, 1);
    assert_eq!(svc.value_samples, ["checkout"]);
    assert_eq!((svc.first_seen, svc.last_seen), (Some(t(0)), Some(t(5))));
    assert!(svc.sketch.is_some());

    let method = attr("http.request.method");
    assert_eq!(
        (
            method.scope.as_str(),
            method.count,
            method.estimated_cardinality
        ),
        ("attribute", 6 + 2 + 2, 2)
    );
    assert_eq!(method.signal_types, ["metrics", "traces"]);
    assert_eq!(
        (method.first_seen, method.last_seen),
        (Some(t(0)), Some(t(1)))
    );

    let region = attr("region");
    assert_eq!(
        (
            region.scope.as_str(),
            region.count,
            region.estimated_cardinality
        ),
        ("both", 2, 2)
    );
    assert_eq!(attr("user.id").signal_types, ["logs"]);
    assert_eq!(attr("host.name").scope, "resource");
    assert_eq!(attr("link.reason").signal_types, ["traces"]);
    assert_eq!(attr("exception.type").count, 1);
    assert_eq!(s.stats.attributes_count, s.data.attributes.len() as u64);
    // No capture info: nothing to add the drops to, and nothing breaks.
    assert!(s.capture.is_none());
}

/// Analysis cost beside protobuf decoding of the same requests (the receiver's baseline).
/// Run: `cargo test --release --lib analyze::tests::analysis_throughput -- --ignored --nocapture`
#[test]
#[ignore = "measurement, not a check; run in release"]
fn analysis_throughput() {
    use prost::Message as _;
    let reqs: Vec<Vec<u8>> = (0..20)
        .map(|i| bench_metrics(50, 20, 5, i).encode_to_vec())
        .collect();
    let rounds = 50;
    let points = (rounds * reqs.len() * 1000) as f64;
    let start = std::time::Instant::now();
    let mut decoded = Vec::new();
    for _ in 0..rounds {
        for b in &reqs {
            decoded.push(ExportMetricsServiceRequest::decode(b.as_slice()).unwrap_or_default());
        }
        decoded.clear();
    }
    let decode = start.elapsed().as_secs_f64();
    let parsed: Vec<ExportMetricsServiceRequest> = reqs
        .iter()
        .map(|b| ExportMetricsServiceRequest::decode(b.as_slice()).unwrap_or_default())
        .collect();
    let mut a = Analyzer::new(AnalyzerOptions::default());
    let start = std::time::Instant::now();
    for r in 0..rounds {
        for p in &parsed {
            a.ingest_metrics(p, t(r as i64));
        }
    }
    let analyze = start.elapsed().as_secs_f64();
    let start = std::time::Instant::now();
    let mut s = Session::new("bench");
    a.finish(&mut s);
    let finish = start.elapsed().as_secs_f64();
    println!(
        "decode {:.0} points/s, analyze {:.0} points/s, decode+analyze {:.0} points/s, ratio {:.2}, finish {:.1} ms",
        points / decode,
        points / analyze,
        points / (decode + analyze),
        decode / (decode + analyze),
        finish * 1000.0
    );
}

/// Memory held by the analyzer after 50,000 distinct metrics (20 points × 5 attributes each).
/// Run: `cargo test --release --lib analyze::tests::memory_50k_metrics -- --ignored --nocapture`
#[test]
#[ignore = "measurement, not a check; run in release"]
fn memory_50k_metrics() {
    fn rss_kib(field: &str) -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with(field))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
    let before = rss_kib("VmRSS:");
    let mut a = Analyzer::new(AnalyzerOptions::default());
    for batch in 0..1000 {
        let mut req = bench_metrics(50, 20, 5, batch);
        for (i, m) in req.resource_metrics[0].scope_metrics[0]
            .metrics
            .iter_mut()
            .enumerate()
        {
            m.name = format!("app.metric_{}", batch * 50 + i as u64);
        }
        a.ingest_metrics(&req, t(0));
    }
    let after = rss_kib("VmRSS:");
    let mut s = Session::new("mem");
    a.finish(&mut s);
    println!(
        "metrics {}: analyzer RSS {} MiB, peak RSS after finish {} MiB",
        s.data.metrics.len(),
        (after.saturating_sub(before)) / 1024,
        rss_kib("VmHWM:") / 1024
    );
}

#[test]
fn a_frozen_analyzer_creates_nothing_and_counts_what_it_refuses() {
    let at = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
    let req = |names: &[&str], value: &str| {
        let ms = names
            .iter()
            .map(|n| gauge(n, "1", vec![vec![kv_str("k", value)]]))
            .collect();
        metrics_request(resource(Some("svc"), vec![]), ms)
    };
    let mut a = Analyzer::default();
    a.ingest_metrics(&req(&["known"], "a"), at);
    a.freeze();
    assert!(a.is_frozen());
    // A new metric is dropped (its point counted); the known one keeps counting, but neither a
    // new key nor a new value of its key is recorded.
    a.ingest_metrics(&req(&["known", "new"], "b"), at);
    let mut with_key = req(&["known"], "a");
    if let Some(opentelemetry_proto::tonic::metrics::v1::metric::Data::Gauge(g)) =
        &mut with_key.resource_metrics[0].scope_metrics[0].metrics[0].data
    {
        g.data_points[0].attributes.push(kv_str("other", "x"));
    }
    a.ingest_metrics(&with_key, at);
    let mut s = Session::new("frozen");
    s.capture = Some(CaptureInfo {
        started: at,
        ended: at,
        sources: vec![],
        requests: 3,
        rejected: 0,
        dropped: 0,
        truncated: 0,
        incomplete: None,
    });
    a.finish(&mut s);
    assert_eq!(s.data.metrics.len(), 1);
    let m = &s.data.metrics[0];
    assert_eq!(m.name, "known");
    assert_eq!(m.data_point_count, 3);
    assert_eq!(m.label_keys.len(), 1);
    let k = m.label_keys.iter().next().unwrap().1;
    assert_eq!((k.count, k.estimated_cardinality), (3, 1));
    // The new metric's point and the new key's occurrence.
    assert_eq!(s.capture.unwrap().dropped, 2);
}

/// Finishes a copy of `a` whole and another streaming; both must write the same bytes.
fn assert_streaming_matches(a: &Analyzer) {
    let info = CaptureInfo {
        started: t(0),
        ended: t(10),
        sources: vec!["http://127.0.0.1:4318".into()],
        requests: 9,
        rejected: 0,
        dropped: 1,
        truncated: 0,
        incomplete: None,
    };
    let mut whole = Session::new("test");
    whole.capture = Some(info.clone());
    a.clone().finish(&mut whole);
    let mut shell = Session::new("test");
    shell.created = whole.created;
    shell.capture = Some(info);
    let pending = a.clone().finish_pending(&mut shell);
    assert_eq!(pending.metrics.len(), whole.data.metrics.len());
    assert_eq!(pending.attributes.len(), whole.data.attributes.len());
    assert!(shell.data.metrics.is_empty());
    assert!(shell.data.attributes.is_empty());
    assert_eq!(shell.stats, whole.stats);
    assert_eq!(shell.completeness, whole.completeness);
    let streamed =
        crate::session::format::to_gzip_streaming(&shell, pending.metrics, pending.attributes);
    let expected = crate::session::format::to_gzip(&whole);
    assert!(
        streamed == expected,
        "streamed {} bytes, whole {} bytes",
        streamed.len(),
        expected.len()
    );
}

#[test]
fn streaming_finish_writes_the_same_bytes_as_the_whole_session() {
    // Every signal, several services, incomplete metrics (item and key caps), metrics whose
    // names sort differently from their arrival order.
    let opts = AnalyzerOptions {
        max_items: 32,
        ..Default::default()
    };
    let mut a = Analyzer::new(opts);
    a.ingest(&m(checkout_metrics()), t(0));
    a.ingest(&m(bench_metrics(30, 20, 5, 3)), t(1));
    a.ingest(&m(bench_metrics(30, 20, 7, 11)), t(2));
    a.ingest(&OtlpRequest::Traces(checkout_traces()), t(3));
    a.ingest(&OtlpRequest::Logs(checkout_logs()), t(4));
    assert!(a.counts().dropped > 0, "the item cap refused something");
    assert_streaming_matches(&a);
    // Metrics only, and nothing at all.
    let mut b = Analyzer::new(AnalyzerOptions::default());
    b.ingest(&m(bench_metrics(50, 20, 5, 1)), t(0));
    assert_streaming_matches(&b);
    assert_streaming_matches(&Analyzer::new(AnalyzerOptions::default()));
}

#[test]
fn the_metrics_array_is_found_only_outside_strings() {
    let mut s = Session::new("test");
    // A description holding the very text the splice looks for.
    s.description = r#"x","data":{"metrics":[]"#.into();
    s.canonicalize();
    let m1 = MetricMeta {
        name: "a".into(),
        ..Default::default()
    };
    let mut whole = s.clone();
    whole.data.metrics = vec![m1.clone()];
    whole.canonicalize();
    let mut shell = s;
    shell.created = whole.created;
    shell.stats = whole.stats.clone();
    let streamed =
        crate::session::format::to_gzip_streaming(&shell, vec![m1].into_iter(), std::iter::empty());
    assert!(streamed == crate::session::format::to_gzip(&whole));
}

#[test]
fn the_finish_reserve_covers_the_catalog_choice_only_when_names_exceed_max_items() {
    // One metric with `keys` keys of its own per request.
    let req = |i: usize, keys: usize| {
        m(metrics_request(
            resource(None, vec![]),
            vec![gauge(
                &format!("m.{i}"),
                "1",
                vec![
                    (0..keys)
                        .map(|k| kv_str(&format!("k.{i}.{k}"), "v"))
                        .collect(),
                ],
            )],
        ))
    };
    let opts = AnalyzerOptions {
        max_items: 50,
        ..Default::default()
    };
    let mut a = Analyzer::new(opts);
    a.ingest(&req(0, 40), t(0));
    // 40 names fit the catalog: every name is a candidate, nothing is chosen.
    assert_eq!(a.finish_reserve(), 0);
    a.ingest(&req(1, 40), t(1));
    // 80 names: the choice runs over all 80 key entries.
    assert_eq!(a.finish_reserve(), (80 * CATALOG_CHOICE_BYTES) as u64);
    // Frozen, nothing new is created, so the reserve stays.
    a.freeze();
    a.ingest(&req(2, 40), t(2));
    assert_eq!(a.finish_reserve(), (80 * CATALOG_CHOICE_BYTES) as u64);
    let mut s = Session::new("x");
    a.finish(&mut s);
    // The 50 keys seen first (request 0's, then request 1's by name) are kept, in key order.
    let keys: Vec<&str> = s.data.attributes.iter().map(|a| a.key.as_str()).collect();
    let mut want: Vec<String> = (0..40).map(|k| format!("k.0.{k}")).collect();
    let mut second: Vec<String> = (0..40).map(|k| format!("k.1.{k}")).collect();
    second.sort();
    want.extend(second.into_iter().take(10));
    want.sort();
    assert_eq!(keys, want);
    assert_eq!(s.stats.attributes_count, 50);
}
