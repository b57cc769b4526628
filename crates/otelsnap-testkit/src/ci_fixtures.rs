//! A CI-sized fixture pair: `ci-before` and `ci-after`, each a test run of 48 HTTP requests
//! against a `cart` service whose SDK exports every 8 requests (cumulative histogram, every
//! series re-sent each time, as OpenTelemetry SDKs do) and sends one span per request.
//!
//! `ci-after` adds a `session_id` label holding a fresh UUID per request to the
//! `http.server.request.duration` histogram: 48 values, far below every count rule, yet one
//! series per session in production. Its diff against `ci-before` must fail the critical gate
//! on the verdict rule, with the fix. Generated through the real analyzer with fixed times.

use chrono::{DateTime, Duration, Utc};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::metrics::v1::{
    Histogram, HistogramDataPoint, Metric, ResourceMetrics, ScopeMetrics, metric::Data,
};
use otelsnap_core::analyze::{Analyzer, AnalyzerOptions};
use otelsnap_core::otlp::OtlpRequest;
use otelsnap_core::session::{CaptureInfo, Session};

use crate::testdata as td;

/// HTTP requests in the test run.
pub const REQUESTS: u64 = 48;
/// Requests between two SDK exports.
const EXPORT_EVERY: u64 = 8;
const BOUNDS: [f64; 8] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];
const ROUTES: [(&str, &str, i64); 5] = [
    ("GET", "/api/cart", 200),
    ("POST", "/api/cart/items", 201),
    ("GET", "/api/products/{id}", 200),
    ("GET", "/api/products/{id}", 404),
    ("POST", "/api/checkout", 200),
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn uuid(&mut self) -> String {
        let (a, b) = (self.next(), self.next());
        format!(
            "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            b >> 52,
            b & 0xffff_ffff_ffff
        )
    }
}

/// One series of the histogram: attributes and cumulative count and sum.
struct Series {
    attrs: Vec<KeyValue>,
    count: u64,
    sum: f64,
    buckets: Vec<u64>,
}

const START_NS: u64 = 1_764_633_600_000_000_000;

fn export(series: &[Series], n: u64) -> OtlpRequest {
    let points = series
        .iter()
        .map(|s| HistogramDataPoint {
            attributes: s.attrs.clone(),
            start_time_unix_nano: START_NS,
            time_unix_nano: START_NS + n * 1_000_000_000,
            count: s.count,
            sum: Some(s.sum),
            bucket_counts: s.buckets.clone(),
            explicit_bounds: BOUNDS.to_vec(),
            ..Default::default()
        })
        .collect();
    OtlpRequest::Metrics(ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(td::resource(
                Some("cart"),
                vec![td::kv_str("deployment.environment.name", "ci")],
            )),
            scope_metrics: vec![ScopeMetrics {
                metrics: vec![Metric {
                    name: "http.server.request.duration".into(),
                    description: "Duration of HTTP server requests.".into(),
                    unit: "s".into(),
                    data: Some(Data::Histogram(Histogram {
                        data_points: points,
                        aggregation_temporality: 2,
                    })),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    })
}

/// The export requests of the test run, in order.
pub fn requests(after: bool) -> Vec<OtlpRequest> {
    let mut rng = Rng(if after { 11 } else { 10 });
    let mut series: Vec<Series> = Vec::new();
    let mut spans = Vec::new();
    let mut out = Vec::new();
    for i in 1..=REQUESTS {
        let (method, route, status) = ROUTES[(rng.next() % ROUTES.len() as u64) as usize];
        let secs = 0.004 + (rng.next() % 300) as f64 / 1000.0;
        let mut attrs = vec![
            td::kv_str("http.request.method", method),
            td::kv_str("http.route", route),
            td::kv_int("http.response.status_code", status),
        ];
        if after {
            attrs.push(td::kv_str("session_id", &rng.uuid()));
        }
        let idx = match series.iter().position(|s| s.attrs == attrs) {
            Some(i) => i,
            None => {
                series.push(Series {
                    attrs: attrs.clone(),
                    count: 0,
                    sum: 0.0,
                    buckets: vec![0; BOUNDS.len() + 1],
                });
                series.len() - 1
            }
        };
        let s = &mut series[idx];
        s.count += 1;
        s.sum += secs;
        let b = BOUNDS
            .iter()
            .position(|x| secs <= *x)
            .unwrap_or(BOUNDS.len());
        s.buckets[b] += 1;
        spans.push(td::span(
            &format!("{method} {route}"),
            2,
            vec![
                td::kv_str("http.request.method", method),
                td::kv_str("http.route", route),
                td::kv_int("http.response.status_code", status),
            ],
            0,
        ));
        if i % EXPORT_EVERY == 0 {
            out.push(export(&series, i / EXPORT_EVERY));
            out.push(OtlpRequest::Traces(td::traces_request(
                td::resource(Some("cart"), vec![]),
                std::mem::take(&mut spans),
            )));
        }
    }
    out
}

/// The session `capture -- cargo test` would save for the run.
pub fn session(after: bool) -> Session {
    let name = if after { "ci-after" } else { "ci-before" };
    let start = DateTime::<Utc>::from_timestamp(1_764_633_600, 0).unwrap_or_default();
    let reqs = requests(after);
    let mut a = Analyzer::new(AnalyzerOptions::default());
    for (n, r) in reqs.iter().enumerate() {
        a.ingest(r, start + Duration::seconds(n as i64 / 2 + 1));
    }
    let ended = start + Duration::seconds(reqs.len() as i64 / 2 + 1);
    let mut s = Session::new(name);
    s.description = if after {
        "CI test run, 48 requests, after adding a session_id label to the request histogram".into()
    } else {
        "CI test run, 48 requests".into()
    };
    s.created = ended;
    s.capture = Some(CaptureInfo {
        started: start,
        ended,
        sources: vec!["ci".into()],
        requests: reqs.len() as u64,
        rejected: 0,
        dropped: 0,
        truncated: 0,
        incomplete: None,
    });
    a.finish(&mut s);
    s
}
