//! Small, believable OTLP payloads for tests, fixtures and benchmarks (a checkout service).
//!
//! Public (not test-only) so CLI tests, fixture generators and benches share one source. Each
//! builder is deterministic: the same arguments give the same request.

use opentelemetry_proto::tonic::collector::{
    logs::v1::ExportLogsServiceRequest, metrics::v1::ExportMetricsServiceRequest,
    trace::v1::ExportTraceServiceRequest,
};
use opentelemetry_proto::tonic::common::v1::{
    AnyValue, InstrumentationScope, KeyValue, any_value::Value,
};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::metrics::v1::{
    ExponentialHistogram, ExponentialHistogramDataPoint, Gauge, Histogram, HistogramDataPoint,
    Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum, Summary, SummaryDataPoint,
    metric::Data, number_data_point,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status, span};

/// AGGREGATION_TEMPORALITY_DELTA.
pub const DELTA: i32 = 1;
/// AGGREGATION_TEMPORALITY_CUMULATIVE.
pub const CUMULATIVE: i32 = 2;

/// A key with a string value.
pub fn kv_str(key: &str, value: &str) -> KeyValue {
    kv(key, Value::StringValue(value.to_string()))
}

/// A key with an int value.
pub fn kv_int(key: &str, value: i64) -> KeyValue {
    kv(key, Value::IntValue(value))
}

/// A key with any value.
pub fn kv(key: &str, value: Value) -> KeyValue {
    KeyValue {
        key: key.to_string(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

/// A resource with `service.name` (when given) followed by `extra`.
pub fn resource(service: Option<&str>, extra: Vec<KeyValue>) -> Resource {
    let mut attributes: Vec<KeyValue> = service
        .map(|s| kv_str("service.name", s))
        .into_iter()
        .collect();
    attributes.extend(extra);
    Resource {
        attributes,
        ..Default::default()
    }
}

fn scope() -> Option<InstrumentationScope> {
    Some(InstrumentationScope {
        name: "otelsnap.testdata".into(),
        version: "1.0.0".into(),
        ..Default::default()
    })
}

/// A metrics request with one resource and one scope.
pub fn metrics_request(resource: Resource, metrics: Vec<Metric>) -> ExportMetricsServiceRequest {
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(resource),
            scope_metrics: vec![ScopeMetrics {
                scope: scope(),
                metrics,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

fn metric(name: &str, unit: &str, data: Data) -> Metric {
    Metric {
        name: name.to_string(),
        description: format!("{name} (test data)"),
        unit: unit.to_string(),
        data: Some(data),
        ..Default::default()
    }
}

fn number_points(points: Vec<Vec<KeyValue>>) -> Vec<NumberDataPoint> {
    points
        .into_iter()
        .enumerate()
        .map(|(i, attributes)| NumberDataPoint {
            attributes,
            time_unix_nano: 1_700_000_000_000_000_000,
            value: Some(number_data_point::Value::AsInt(i as i64 + 1)),
            ..Default::default()
        })
        .collect()
}

/// A gauge with one point per attribute set.
pub fn gauge(name: &str, unit: &str, points: Vec<Vec<KeyValue>>) -> Metric {
    metric(
        name,
        unit,
        Data::Gauge(Gauge {
            data_points: number_points(points),
        }),
    )
}

/// A sum with one point per attribute set.
pub fn sum(
    name: &str,
    unit: &str,
    temporality: i32,
    monotonic: bool,
    points: Vec<Vec<KeyValue>>,
) -> Metric {
    metric(
        name,
        unit,
        Data::Sum(Sum {
            data_points: number_points(points),
            aggregation_temporality: temporality,
            is_monotonic: monotonic,
        }),
    )
}

/// A histogram with the same explicit bounds on every point.
pub fn histogram(
    name: &str,
    unit: &str,
    temporality: i32,
    bounds: &[f64],
    points: Vec<Vec<KeyValue>>,
) -> Metric {
    let data_points = points
        .into_iter()
        .map(|attributes| HistogramDataPoint {
            attributes,
            count: 3,
            sum: Some(1.5),
            bucket_counts: vec![1; bounds.len() + 1],
            explicit_bounds: bounds.to_vec(),
            ..Default::default()
        })
        .collect();
    metric(
        name,
        unit,
        Data::Histogram(Histogram {
            data_points,
            aggregation_temporality: temporality,
        }),
    )
}

/// An exponential histogram, one point per (scale, attribute set).
pub fn exp_histogram(
    name: &str,
    unit: &str,
    temporality: i32,
    points: Vec<(i32, Vec<KeyValue>)>,
) -> Metric {
    let data_points = points
        .into_iter()
        .map(|(scale, attributes)| ExponentialHistogramDataPoint {
            attributes,
            scale,
            count: 1,
            ..Default::default()
        })
        .collect();
    metric(
        name,
        unit,
        Data::ExponentialHistogram(ExponentialHistogram {
            data_points,
            aggregation_temporality: temporality,
        }),
    )
}

/// A summary with one point per attribute set.
pub fn summary(name: &str, unit: &str, points: Vec<Vec<KeyValue>>) -> Metric {
    let data_points = points
        .into_iter()
        .map(|attributes| SummaryDataPoint {
            attributes,
            count: 2,
            sum: 3.0,
            ..Default::default()
        })
        .collect();
    metric(name, unit, Data::Summary(Summary { data_points }))
}

/// The checkout service's metrics: one of each type (see [`checkout_metrics_with`]).
pub fn checkout_metrics() -> ExportMetricsServiceRequest {
    checkout_metrics_with("checkout", 0)
}

/// The checkout service's metrics under `service`; with `user_ids > 0`, the request counter
/// also carries a `user_id` label cycling through that many users (the "bad release").
///
/// Contents: `http.server.request.count` (sum, cumulative, monotonic; 6 points: methods GET and
/// POST × routes `/cart`, `/checkout`, `/orders/{id}`, status 200), `http.server.request.duration`
/// (histogram, delta, bounds 0.005…1.0; 2 points), `checkout.cart.items` (gauge; 3 points with
/// `cart.size` small/medium/large), `rpc.payment.latency` (exponential histogram, cumulative,
/// scales 3 and 2), `checkout.queue.delay` (summary; 1 point, no attributes). Resource:
/// `service.name`, `service.version` 1.4.0, `deployment.environment` prod.
pub fn checkout_metrics_with(service: &str, user_ids: usize) -> ExportMetricsServiceRequest {
    let mut counter_points = Vec::new();
    let mut i = 0usize;
    for method in ["GET", "POST"] {
        for route in ["/cart", "/checkout", "/orders/{id}"] {
            let mut attrs = vec![
                kv_str("http.request.method", method),
                kv_str("http.route", route),
                kv_int("http.response.status_code", 200),
            ];
            if user_ids > 0 {
                attrs.push(kv_str("user_id", &format!("user-{}", i % user_ids)));
            }
            counter_points.push(attrs);
            i += 1;
        }
    }
    let res = resource(
        Some(service),
        vec![
            kv_str("service.version", "1.4.0"),
            kv_str("deployment.environment", "prod"),
        ],
    );
    metrics_request(
        res,
        vec![
            sum(
                "http.server.request.count",
                "{request}",
                CUMULATIVE,
                true,
                counter_points,
            ),
            histogram(
                "http.server.request.duration",
                "s",
                DELTA,
                &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0],
                vec![
                    vec![
                        kv_str("http.request.method", "GET"),
                        kv_str("http.route", "/cart"),
                    ],
                    vec![
                        kv_str("http.request.method", "POST"),
                        kv_str("http.route", "/checkout"),
                    ],
                ],
            ),
            gauge(
                "checkout.cart.items",
                "{item}",
                ["small", "medium", "large"]
                    .iter()
                    .map(|s| vec![kv_str("cart.size", s)])
                    .collect(),
            ),
            exp_histogram(
                "rpc.payment.latency",
                "ms",
                CUMULATIVE,
                vec![
                    (3, vec![kv_str("rpc.method", "Charge")]),
                    (2, vec![kv_str("rpc.method", "Refund")]),
                ],
            ),
            summary("checkout.queue.delay", "ms", vec![vec![]]),
        ],
    )
}

/// A benchmark-sized request: `metrics` metrics × `points` points × `attrs` attributes.
///
/// Metrics rotate through sum, gauge and histogram; attribute values are drawn from small
/// realistic domains (methods, routes, status codes, regions, instances) shifted by `seed`, so
/// successive requests repeat most series, as real exporters do.
pub fn bench_metrics(
    metrics: usize,
    points: usize,
    attrs: usize,
    seed: u64,
) -> ExportMetricsServiceRequest {
    const KEYS: [&str; 8] = [
        "http.request.method",
        "http.route",
        "http.response.status_code",
        "cloud.region",
        "host.name",
        "net.peer.name",
        "rpc.service",
        "tenant",
    ];
    let value = |k: usize, p: usize| -> KeyValue {
        let key = KEYS[k % KEYS.len()];
        let n = p as u64 + seed * 7;
        match k % KEYS.len() {
            0 => kv_str(key, ["GET", "POST", "PUT", "DELETE"][(n % 4) as usize]),
            1 => kv_str(key, &format!("/api/v1/resource{}", n % 10)),
            2 => kv_int(key, [200, 201, 404, 500, 503][(n % 5) as usize]),
            3 => kv_str(
                key,
                ["eu-west-1", "us-east-1", "ap-south-1"][(n % 3) as usize],
            ),
            _ => kv_str(&format!("{key}.{k}"), &format!("value-{}", n % 50)),
        }
    };
    let ms = (0..metrics)
        .map(|m| {
            let pts: Vec<Vec<KeyValue>> = (0..points)
                .map(|p| (0..attrs).map(|k| value(k, p)).collect())
                .collect();
            let name = format!("app.bench.metric_{m}");
            match m % 3 {
                0 => sum(&name, "1", CUMULATIVE, true, pts),
                1 => gauge(&name, "1", pts),
                _ => histogram(&name, "s", DELTA, &[0.01, 0.1, 1.0, 10.0], pts),
            }
        })
        .collect();
    metrics_request(
        resource(
            Some("bench"),
            vec![
                kv_str("service.instance.id", &format!("instance-{}", seed % 4)),
                kv_str("host.arch", "amd64"),
            ],
        ),
        ms,
    )
}

/// A traces request with one resource and one scope.
pub fn traces_request(resource: Resource, spans: Vec<Span>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(resource),
            scope_spans: vec![ScopeSpans {
                scope: scope(),
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// A span of `kind` (SpanKind number) with attributes and status code (StatusCode number).
pub fn span(name: &str, kind: i32, attributes: Vec<KeyValue>, status: i32) -> Span {
    Span {
        trace_id: vec![1; 16],
        span_id: vec![2; 8],
        name: name.to_string(),
        kind,
        attributes,
        status: Some(Status {
            code: status,
            message: String::new(),
        }),
        ..Default::default()
    }
}

/// A span event.
pub fn event(name: &str, attributes: Vec<KeyValue>) -> span::Event {
    span::Event {
        name: name.to_string(),
        attributes,
        ..Default::default()
    }
}

/// A span link.
pub fn link(attributes: Vec<KeyValue>) -> span::Link {
    span::Link {
        trace_id: vec![3; 16],
        span_id: vec![4; 8],
        attributes,
        ..Default::default()
    }
}

/// The checkout service's spans, plus one span from a resource without `service.name`.
///
/// Contents (service checkout): two `POST /checkout` server spans (status Ok and Error, the
/// error with an `exception` event carrying `exception.type` and `exception.message`), one
/// `SELECT orders` client span with a link carrying `link.reason`, one `publish order.created`
/// producer span with a `message.sent` event; then `GET /health` (internal, status unset) from
/// a resource with no service name.
pub fn checkout_traces() -> ExportTraceServiceRequest {
    let mut err = span(
        "POST /checkout",
        2,
        vec![
            kv_str("http.request.method", "POST"),
            kv_str("http.route", "/checkout"),
            kv_int("http.response.status_code", 500),
        ],
        2,
    );
    err.events.push(event(
        "exception",
        vec![
            kv_str("exception.type", "PaymentDeclined"),
            kv_str("exception.message", "card expired"),
        ],
    ));
    let mut db = span(
        "SELECT orders",
        3,
        vec![
            kv_str("db.system", "postgresql"),
            kv_str("db.statement", "SELECT * FROM orders WHERE id = ?"),
        ],
        0,
    );
    db.links.push(link(vec![kv_str("link.reason", "retry")]));
    let mut publish = span(
        "publish order.created",
        4,
        vec![kv_str("messaging.system", "kafka")],
        1,
    );
    publish.events.push(event(
        "message.sent",
        vec![kv_int("messaging.message.body.size", 512)],
    ));
    let mut req = traces_request(
        resource(Some("checkout"), vec![kv_str("service.version", "1.4.0")]),
        vec![
            span(
                "POST /checkout",
                2,
                vec![
                    kv_str("http.request.method", "POST"),
                    kv_str("http.route", "/checkout"),
                    kv_int("http.response.status_code", 200),
                ],
                1,
            ),
            err,
            db,
            publish,
        ],
    );
    req.resource_spans.extend(
        traces_request(
            resource(None, vec![kv_str("host.name", "node-1")]),
            vec![span("GET /health", 1, vec![], 0)],
        )
        .resource_spans,
    );
    req
}

/// A logs request with one resource and one scope.
pub fn logs_request(resource: Resource, records: Vec<LogRecord>) -> ExportLogsServiceRequest {
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(resource),
            scope_logs: vec![ScopeLogs {
                scope: scope(),
                log_records: records,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// A log record with a string body.
pub fn log(
    severity_text: &str,
    severity_number: i32,
    body: &str,
    attributes: Vec<KeyValue>,
) -> LogRecord {
    LogRecord {
        severity_text: severity_text.to_string(),
        severity_number,
        body: Some(AnyValue {
            value: Some(Value::StringValue(body.to_string())),
        }),
        attributes,
        ..Default::default()
    }
}

/// The checkout service's logs.
///
/// Contents: `INFO`/9 ×2 ("User 1234 logged in from 10.0.0.1", "User 99 logged in from
/// 10.0.0.2", each with `user.id`), severity number 13 with empty text ×2 ("Connection to db-3
/// timed out after 30s", "... db-7 ... 5s"), `ERROR`/17 ×1 (a declined payment with quoted
/// values, event name `payment.failed`, `order.id`), number 0 with empty text ×1 ("cache warmed").
pub fn checkout_logs() -> ExportLogsServiceRequest {
    let mut failed = log(
        "ERROR",
        17,
        r#"payment for order "A-17" declined: "insufficient funds""#,
        vec![kv_str("order.id", "A-17")],
    );
    failed.event_name = "payment.failed".into();
    logs_request(
        resource(Some("checkout"), vec![kv_str("service.version", "1.4.0")]),
        vec![
            log(
                "INFO",
                9,
                "User 1234 logged in from 10.0.0.1",
                vec![kv_int("user.id", 1234)],
            ),
            log(
                "INFO",
                9,
                "User 99 logged in from 10.0.0.2",
                vec![kv_int("user.id", 99)],
            ),
            log("", 13, "Connection to db-3 timed out after 30s", vec![]),
            log("", 13, "Connection to db-7 timed out after 5s", vec![]),
            failed,
            log("", 0, "cache warmed", vec![]),
        ],
    )
}
