//! Sessions built in code for the diff tests (shared by tests/cli_diff.rs and tests/diff_props.rs).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use otelsnap::session::{
    AttributeMeta, BodyTemplate, CaptureInfo, KeyStats, KeyStatsMap, LogMeta, MetricMeta,
    MetricType, ServiceCounts, Session, Signal, SketchData, SpanMeta, format,
};
use otelsnap::sketch::Sketch;

/// A fixed instant so goldens never depend on the clock.
pub fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-01-02T03:04:05Z")
        .unwrap()
        .with_timezone(&Utc)
}

thread_local! {
    static SKETCHES: std::cell::Cell<bool> = const { std::cell::Cell::new(true) };
}

/// Turns building real sketches on or off for this thread (property tests skip them: the diff
/// reads estimates only, and sketches are slow to build by the thousand).
pub fn set_sketches(on: bool) {
    SKETCHES.with(|c| c.set(on));
}

/// A real sketch of `n` distinct values, so loaded sessions are not marked approximate.
pub fn sketch(n: u64) -> Option<SketchData> {
    if !SKETCHES.with(|c| c.get()) {
        return None;
    }
    let mut s = Sketch::new();
    for i in 0..n {
        s.insert(&i.to_le_bytes());
    }
    Some(s.to_data())
}

/// Key stats for `card` distinct values (the estimate is the exact count).
pub fn ks(card: u64) -> KeyStats {
    KeyStats {
        count: card.max(1) * 10,
        percentage: 100.0,
        estimated_cardinality: card,
        sketch: sketch(card).map(std::sync::Arc::new),
        ..Default::default()
    }
}

pub fn keys(list: &[(&str, u64)]) -> KeyStatsMap {
    list.iter().map(|(k, c)| (k.to_string(), ks(*c))).collect()
}

pub fn services(list: &[&str]) -> ServiceCounts {
    list.iter().map(|s| (s.to_string(), 1)).collect()
}

pub fn metric(
    name: &str,
    ty: MetricType,
    series: u64,
    samples: u64,
    labels: &[(&str, u64)],
) -> MetricMeta {
    MetricMeta {
        name: name.into(),
        unit: "s".into(),
        metric_type: ty,
        label_keys: keys(labels),
        resource_keys: keys(&[("service.name", 1)]),
        sample_count: samples,
        data_point_count: samples,
        services: services(&["checkout"]),
        active_series: series,
        series_sketch: sketch(series),
        aggregation_temporality: matches!(ty, MetricType::Sum | MetricType::Histogram)
            .then(|| "cumulative".to_string()),
        is_monotonic: (ty == MetricType::Sum).then_some(true),
        ..Default::default()
    }
}

pub fn span(name: &str, samples: u64, attrs: &[(&str, u64)]) -> SpanMeta {
    SpanMeta {
        name: name.into(),
        kind: 2,
        kind_name: "Server".into(),
        attribute_keys: keys(attrs),
        resource_keys: keys(&[("service.name", 1)]),
        status_codes: vec!["Unset".into()],
        sample_count: samples,
        services: services(&["checkout"]),
        ..Default::default()
    }
}

pub fn log(
    sev: &str,
    num: i32,
    samples: u64,
    attrs: &[(&str, u64)],
    templates: &[(&str, u64)],
) -> LogMeta {
    LogMeta {
        severity: sev.into(),
        severity_number: num,
        attribute_keys: keys(attrs),
        resource_keys: keys(&[("service.name", 1)]),
        body_templates: templates
            .iter()
            .map(|(t, c)| BodyTemplate {
                template: t.to_string(),
                count: *c,
                example: t.replace("<*>", "42"),
            })
            .collect(),
        sample_count: samples,
        services: services(&["checkout"]),
        ..Default::default()
    }
}

pub fn attr(key: &str, card: u64, count: u64, signals: &[&str]) -> AttributeMeta {
    AttributeMeta {
        key: key.into(),
        count,
        estimated_cardinality: card,
        sketch: sketch(card),
        signal_types: signals.iter().map(|s| s.to_string()).collect(),
        scope: "attribute".into(),
        ..Default::default()
    }
}

/// A session with a capture window of `window` seconds (None: no capture info).
pub fn session(id: &str, window: Option<i64>) -> Session {
    let mut s = Session::new(id);
    s.created = t0();
    s.producer = None;
    s.signals = Signal::ALL.to_vec();
    s.capture = window.map(|w| CaptureInfo {
        started: t0() - Duration::seconds(w),
        ended: t0(),
        sources: vec!["file:test".into()],
        requests: 10,
        rejected: 0,
        dropped: 0,
        truncated: 0,
        incomplete: None,
    });
    s
}

/// The golden pair: a service before and after a change that exercises every kind of change.
pub fn checkout_pair() -> (Session, Session) {
    use MetricType::*;
    let mut a = session("checkout-v1", Some(60));
    let mut b = session("checkout-v2", Some(30));
    // Same traffic captured for half as long: per-second rates equal, so no rate change. No
    // metric has more active series than data points (validation refuses that).
    a.data.metrics = vec![
        metric(
            "http.server.request.duration",
            Histogram,
            120,
            12200,
            &[("http.route", 12), ("user_id", 120)],
        ),
        metric("db.client.connections", Gauge, 4, 10000, &[("state", 2)]),
        metric("legacy.requests", Sum, 30, 600, &[("route", 30)]),
        metric("queue.depth", Gauge, 3, 600, &[("queue", 3)]),
        metric("jobs.processed", Sum, 8, 1200, &[("job", 8)]),
        metric("cpu.time", Sum, 4, 600, &[("cpu", 4)]),
        metric("request.size", Histogram, 10, 600, &[("route", 10)]),
        metric("orders.total", Sum, 20, 600, &[("region", 5), ("tier", 4)]),
    ];
    a.data.metrics[6].explicit_bounds = vec![0.0, 5.0, 10.0];
    b.data.metrics = vec![
        metric(
            "http.server.request.duration",
            Histogram,
            6100,
            6100,
            &[("http.route", 12), ("user_id", 6100)],
        ),
        metric(
            "db.client.connections",
            Gauge,
            5000,
            5000,
            &[("state", 2), ("pool.id", 5000)],
        ),
        metric("queue.depth", Gauge, 3, 300, &[("queue", 3)]),
        metric("jobs.processed", Sum, 8, 4200, &[("job", 8)]),
        metric("cpu.time", Sum, 4, 300, &[("cpu", 4)]),
        metric("request.size", Histogram, 10, 300, &[("route", 10)]),
        metric("orders.total", Sum, 20, 300, &[("region", 5)]),
        metric("cache.hits", Sum, 12, 300, &[("cache", 12)]),
    ];
    b.data.metrics[2].unit = "{item}".into();
    b.data.metrics[4].aggregation_temporality = Some("delta".into());
    b.data.metrics[5].explicit_bounds = vec![0.0, 5.0, 10.0, 25.0];
    a.data.spans = vec![
        span("GET /checkout", 6000, &[("http.route", 3), ("user.id", 50)]),
        span("GET /health", 600, &[]),
    ];
    b.data.spans = vec![span(
        "GET /checkout",
        3000,
        &[("http.route", 3), ("user.id", 400)],
    )];
    b.data.spans[0].status_codes.push("Error".into());
    a.data.logs = vec![log(
        "ERROR",
        17,
        600,
        &[("exception.type", 4)],
        &[("payment failed for <*>", 600)],
    )];
    b.data.logs = vec![log(
        "ERROR",
        17,
        300,
        &[("exception.type", 4), ("order.id", 900)],
        &[("payment failed for <*>", 100), ("card declined: <*>", 200)],
    )];
    a.data.attributes = vec![
        attr("user_id", 120, 12200, &["metrics"]),
        attr("k8s.pod.uid", 3, 600, &["metrics"]),
        attr("route", 30, 600, &["metrics"]),
    ];
    b.data.attributes = vec![
        attr("user_id", 6100, 6100, &["metrics"]),
        attr("k8s.pod.uid", 5, 300, &["metrics"]),
        attr("pool.id", 5000, 5000, &["metrics"]),
    ];
    a.canonicalize();
    b.canonicalize();
    (a, b)
}

/// Writes a session as `<dir>/<id>.json.gz` and returns the path.
pub fn write(dir: &Path, s: &Session) -> PathBuf {
    let p = dir.join(format!("{}.json.gz", s.id));
    std::fs::write(&p, format::to_gzip(s)).unwrap();
    p
}
