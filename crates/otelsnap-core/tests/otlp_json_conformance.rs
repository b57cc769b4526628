//! OTLP/JSON conformance: every metric type, every AnyValue kind, both encodings of every int64
//! and enum field, snake_case names, unknown fields, and the errors the decoder must raise.
//! Decoded prost values are compared against expectations built in code, so a dropped field
//! fails the comparison instead of defaulting quietly.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

use opentelemetry_proto::tonic::collector::{
    logs::v1::ExportLogsServiceRequest, metrics::v1::ExportMetricsServiceRequest,
    trace::v1::ExportTraceServiceRequest,
};
use opentelemetry_proto::tonic::common::v1::{
    AnyValue, ArrayValue, EntityRef, InstrumentationScope, KeyValue, KeyValueList, any_value,
};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs, SeverityNumber};
use opentelemetry_proto::tonic::metrics::v1::{
    AggregationTemporality, Exemplar, ExponentialHistogram, ExponentialHistogramDataPoint, Gauge,
    Histogram, HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum,
    Summary, SummaryDataPoint, exemplar, exponential_histogram_data_point, metric,
    number_data_point, summary_data_point,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{
    ResourceSpans, ScopeSpans, Span, Status, span, status,
};
use otelsnap_core::otlp::OtlpRequest;
use otelsnap_core::otlp::json::{
    JsonError, decode_any, decode_logs, decode_metrics, decode_traces, export_response_json,
    status_json,
};
use otelsnap_testkit::otlp_json::{encode_logs, encode_metrics, encode_traces};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Encoding styles: every document below is written in all eight combinations, and each must
// decode to the same expected value.

#[derive(Clone, Copy, Debug)]
struct Style {
    /// 64-bit (and 32-bit) integers as decimal strings rather than JSON numbers.
    strings: bool,
    /// Enums (and flags) as proto names rather than integers.
    names: bool,
    /// Original snake_case proto field names rather than lowerCamelCase.
    snake: bool,
}

fn all_styles() -> Vec<Style> {
    let mut out = Vec::new();
    for strings in [false, true] {
        for names in [false, true] {
            for snake in [false, true] {
                out.push(Style {
                    strings,
                    names,
                    snake,
                });
            }
        }
    }
    out
}

impl Style {
    fn u(&self, n: u64) -> Value {
        if self.strings {
            Value::String(n.to_string())
        } else {
            json!(n)
        }
    }

    fn i(&self, n: i64) -> Value {
        if self.strings {
            Value::String(n.to_string())
        } else {
            json!(n)
        }
    }

    fn e(&self, name: &str, n: i64) -> Value {
        if self.names { json!(name) } else { json!(n) }
    }

    fn finish(&self, doc: Value) -> Vec<u8> {
        let doc = if self.snake { to_snake(doc) } else { doc };
        serde_json::to_vec(&doc).unwrap()
    }
}

fn snake(key: &str) -> String {
    let mut out = String::new();
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Renames every object key; attribute keys are JSON values ("key": "..."), so they survive.
fn to_snake(v: Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (snake(&k), to_snake(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(to_snake).collect()),
        other => other,
    }
}

// ---------------------------------------------------------------------------------------------
// Prost builders for expectations.

fn kv(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue { value: Some(value) }),
        key_strindex: 0,
    }
}

fn s(v: &str) -> any_value::Value {
    any_value::Value::StringValue(v.to_owned())
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

const TRACE_ID: &str = "5b8efff798038103d269b633813fc60c";
const SPAN_ID: &str = "eee19b7ec3c1b174";
const PARENT_ID: &str = "0102030405060708";
// Beyond 2^53: a JSON number decoded through f64 would lose the low digits.
const T0: u64 = 1_700_000_000_123_456_789;
const T1: u64 = 1_700_000_001_987_654_321;
const BIG_NEG: i64 = -9_007_199_254_740_993;

fn expected_resource() -> Resource {
    Resource {
        attributes: vec![
            kv("service.name", s("checkout")),
            kv("host.cpus", any_value::Value::IntValue(8)),
        ],
        dropped_attributes_count: 3,
        entity_refs: vec![EntityRef {
            schema_url: "https://opentelemetry.io/schemas/1.30.0".into(),
            r#type: "service".into(),
            id_keys: vec!["service.name".into()],
            description_keys: vec!["service.version".into()],
        }],
    }
}

fn resource_json(st: Style) -> Value {
    json!({
        "attributes": [
            {"key": "service.name", "value": {"stringValue": "checkout"}},
            {"key": "host.cpus", "value": {"intValue": st.i(8)}}
        ],
        "droppedAttributesCount": st.u(3),
        "entityRefs": [{
            "schemaUrl": "https://opentelemetry.io/schemas/1.30.0",
            "type": "service",
            "idKeys": ["service.name"],
            "descriptionKeys": ["service.version"]
        }]
    })
}

fn expected_scope() -> InstrumentationScope {
    InstrumentationScope {
        name: "io.opentelemetry.test".into(),
        version: "1.2.3".into(),
        attributes: vec![kv("scope.flag", any_value::Value::BoolValue(true))],
        dropped_attributes_count: 2,
    }
}

fn scope_json(st: Style) -> Value {
    json!({
        "name": "io.opentelemetry.test",
        "version": "1.2.3",
        "attributes": [{"key": "scope.flag", "value": {"boolValue": true}}],
        "droppedAttributesCount": st.u(2)
    })
}

fn expected_exemplar(value: exemplar::Value) -> Exemplar {
    Exemplar {
        filtered_attributes: vec![kv("user.id", s("u-42"))],
        time_unix_nano: T1,
        span_id: hex(SPAN_ID),
        trace_id: hex(TRACE_ID),
        value: Some(value),
    }
}

fn exemplar_json(st: Style, value_key: &str, value: Value) -> Value {
    let mut e = json!({
        "filteredAttributes": [{"key": "user.id", "value": {"stringValue": "u-42"}}],
        "timeUnixNano": st.u(T1),
        "spanId": SPAN_ID,
        "traceId": TRACE_ID.to_uppercase()
    });
    e.as_object_mut().unwrap().insert(value_key.into(), value);
    e
}

// ---------------------------------------------------------------------------------------------
// Metrics: all five types, every field populated.

fn expected_metrics() -> ExportMetricsServiceRequest {
    let point_attrs = vec![kv("http.route", s("/cart"))];
    let gauge = Metric {
        name: "cpu.temperature".into(),
        description: "Die temperature".into(),
        unit: "Cel".into(),
        metadata: vec![kv("origin", s("sensor"))],
        data: Some(metric::Data::Gauge(Gauge {
            data_points: vec![
                NumberDataPoint {
                    attributes: point_attrs.clone(),
                    start_time_unix_nano: T0,
                    time_unix_nano: T1,
                    exemplars: vec![expected_exemplar(exemplar::Value::AsDouble(22.25))],
                    flags: 1,
                    value: Some(number_data_point::Value::AsDouble(21.5)),
                },
                NumberDataPoint {
                    attributes: vec![kv("core", any_value::Value::IntValue(1))],
                    start_time_unix_nano: T0,
                    time_unix_nano: T1,
                    exemplars: vec![],
                    flags: 0,
                    value: Some(number_data_point::Value::AsInt(42)),
                },
            ],
        })),
    };
    let sum = Metric {
        name: "http.server.requests".into(),
        description: "Requests served".into(),
        unit: "{request}".into(),
        metadata: vec![],
        data: Some(metric::Data::Sum(Sum {
            data_points: vec![NumberDataPoint {
                attributes: point_attrs.clone(),
                start_time_unix_nano: T0,
                time_unix_nano: T1,
                exemplars: vec![expected_exemplar(exemplar::Value::AsInt(BIG_NEG))],
                flags: 1,
                value: Some(number_data_point::Value::AsInt(BIG_NEG)),
            }],
            aggregation_temporality: AggregationTemporality::Delta as i32,
            is_monotonic: true,
        })),
    };
    let histogram = Metric {
        name: "http.server.duration".into(),
        description: "Latency".into(),
        unit: "ms".into(),
        metadata: vec![],
        data: Some(metric::Data::Histogram(Histogram {
            data_points: vec![HistogramDataPoint {
                attributes: point_attrs.clone(),
                start_time_unix_nano: T0,
                time_unix_nano: T1,
                count: 18_446_744_073_709_551_615,
                sum: Some(1234.5),
                bucket_counts: vec![1, 0, 18_446_744_073_709_551_614],
                explicit_bounds: vec![0.5, 100.0],
                exemplars: vec![expected_exemplar(exemplar::Value::AsDouble(7.0))],
                flags: 1,
                min: Some(0.125),
                max: Some(999.75),
            }],
            aggregation_temporality: AggregationTemporality::Cumulative as i32,
        })),
    };
    let exp_histogram = Metric {
        name: "rpc.duration".into(),
        description: "Exponential latency".into(),
        unit: "s".into(),
        metadata: vec![],
        data: Some(metric::Data::ExponentialHistogram(ExponentialHistogram {
            data_points: vec![ExponentialHistogramDataPoint {
                attributes: point_attrs.clone(),
                start_time_unix_nano: T0,
                time_unix_nano: T1,
                count: 9_007_199_254_740_993,
                sum: Some(-3.5),
                scale: -3,
                zero_count: 9_007_199_254_740_995,
                positive: Some(exponential_histogram_data_point::Buckets {
                    offset: -2,
                    bucket_counts: vec![3, 9_007_199_254_740_997],
                }),
                negative: Some(exponential_histogram_data_point::Buckets {
                    offset: 5,
                    bucket_counts: vec![0, 7],
                }),
                flags: 1,
                exemplars: vec![expected_exemplar(exemplar::Value::AsInt(11))],
                min: Some(-10.0),
                max: Some(20.0),
                zero_threshold: 1e-9,
            }],
            aggregation_temporality: AggregationTemporality::Delta as i32,
        })),
    };
    let summary = Metric {
        name: "gc.pause".into(),
        description: "GC pauses".into(),
        unit: "ms".into(),
        metadata: vec![],
        data: Some(metric::Data::Summary(Summary {
            data_points: vec![SummaryDataPoint {
                attributes: point_attrs,
                start_time_unix_nano: T0,
                time_unix_nano: T1,
                count: 9_007_199_254_740_999,
                sum: 88.5,
                quantile_values: vec![
                    summary_data_point::ValueAtQuantile {
                        quantile: 0.0,
                        value: 0.5,
                    },
                    summary_data_point::ValueAtQuantile {
                        quantile: 0.99,
                        value: 12.25,
                    },
                ],
                flags: 1,
            }],
        })),
    };
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(expected_resource()),
            scope_metrics: vec![ScopeMetrics {
                scope: Some(expected_scope()),
                metrics: vec![gauge, sum, histogram, exp_histogram, summary],
                schema_url: "https://opentelemetry.io/schemas/1.21.0".into(),
            }],
            schema_url: "https://opentelemetry.io/schemas/1.24.0".into(),
        }],
    }
}

fn metrics_json(st: Style) -> Value {
    let attrs = json!([{"key": "http.route", "value": {"stringValue": "/cart"}}]);
    let flag = st.e("DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK", 1);
    json!({
        "resourceMetrics": [{
            "resource": resource_json(st),
            "schemaUrl": "https://opentelemetry.io/schemas/1.24.0",
            "scopeMetrics": [{
                "scope": scope_json(st),
                "schemaUrl": "https://opentelemetry.io/schemas/1.21.0",
                "metrics": [
                    {
                        "name": "cpu.temperature",
                        "description": "Die temperature",
                        "unit": "Cel",
                        "metadata": [{"key": "origin", "value": {"stringValue": "sensor"}}],
                        "gauge": {"dataPoints": [
                            {
                                "attributes": attrs,
                                "startTimeUnixNano": st.u(T0),
                                "timeUnixNano": st.u(T1),
                                "exemplars": [exemplar_json(st, "asDouble", json!(22.25))],
                                "flags": flag,
                                "asDouble": 21.5
                            },
                            {
                                "attributes": [{"key": "core", "value": {"intValue": st.i(1)}}],
                                "startTimeUnixNano": st.u(T0),
                                "timeUnixNano": st.u(T1),
                                "asInt": st.i(42)
                            }
                        ]}
                    },
                    {
                        "name": "http.server.requests",
                        "description": "Requests served",
                        "unit": "{request}",
                        "sum": {
                            "aggregationTemporality": st.e("AGGREGATION_TEMPORALITY_DELTA", 1),
                            "isMonotonic": true,
                            "dataPoints": [{
                                "attributes": attrs,
                                "startTimeUnixNano": st.u(T0),
                                "timeUnixNano": st.u(T1),
                                "exemplars": [exemplar_json(st, "asInt", st.i(BIG_NEG))],
                                "flags": flag,
                                "asInt": st.i(BIG_NEG)
                            }]
                        }
                    },
                    {
                        "name": "http.server.duration",
                        "description": "Latency",
                        "unit": "ms",
                        "histogram": {
                            "aggregationTemporality": st.e("AGGREGATION_TEMPORALITY_CUMULATIVE", 2),
                            "dataPoints": [{
                                "attributes": attrs,
                                "startTimeUnixNano": st.u(T0),
                                "timeUnixNano": st.u(T1),
                                "count": st.u(u64::MAX),
                                "sum": 1234.5,
                                "bucketCounts": [st.u(1), st.u(0), st.u(u64::MAX - 1)],
                                "explicitBounds": [0.5, 100],
                                "exemplars": [exemplar_json(st, "asDouble", json!("7"))],
                                "flags": flag,
                                "min": 0.125,
                                "max": "999.75"
                            }]
                        }
                    },
                    {
                        "name": "rpc.duration",
                        "description": "Exponential latency",
                        "unit": "s",
                        "exponentialHistogram": {
                            "aggregationTemporality": st.e("AGGREGATION_TEMPORALITY_DELTA", 1),
                            "dataPoints": [{
                                "attributes": attrs,
                                "startTimeUnixNano": st.u(T0),
                                "timeUnixNano": st.u(T1),
                                "count": st.u(9_007_199_254_740_993),
                                "sum": -3.5,
                                "scale": st.i(-3),
                                "zeroCount": st.u(9_007_199_254_740_995),
                                "positive": {"offset": st.i(-2), "bucketCounts": [st.u(3), st.u(9_007_199_254_740_997)]},
                                "negative": {"offset": st.i(5), "bucketCounts": [st.u(0), st.u(7)]},
                                "flags": flag,
                                "exemplars": [exemplar_json(st, "asInt", st.i(11))],
                                "min": -10,
                                "max": 20.0,
                                "zeroThreshold": 1e-9
                            }]
                        }
                    },
                    {
                        "name": "gc.pause",
                        "description": "GC pauses",
                        "unit": "ms",
                        "summary": {"dataPoints": [{
                            "attributes": attrs,
                            "startTimeUnixNano": st.u(T0),
                            "timeUnixNano": st.u(T1),
                            "count": st.u(9_007_199_254_740_999),
                            "sum": 88.5,
                            "quantileValues": [
                                {"quantile": 0, "value": 0.5},
                                {"quantile": 0.99, "value": 12.25}
                            ],
                            "flags": flag
                        }]}
                    }
                ]
            }]
        }]
    })
}

#[test]
fn metrics_every_type_every_field_in_every_encoding() {
    let expected = expected_metrics();
    for st in all_styles() {
        let got =
            decode_metrics(&st.finish(metrics_json(st))).unwrap_or_else(|e| panic!("{st:?}: {e}"));
        let metrics = &got.resource_metrics[0].scope_metrics[0].metrics;
        assert_eq!(metrics.len(), 5, "{st:?}");
        for m in metrics {
            assert!(m.data.is_some(), "{st:?}: {} lost its data oneof", m.name);
        }
        // Field by field first, so a failure names the metric; then the whole request.
        for (g, e) in metrics
            .iter()
            .zip(&expected.resource_metrics[0].scope_metrics[0].metrics)
        {
            assert_eq!(g, e, "{st:?}: metric {}", e.name);
        }
        assert_eq!(got, expected, "{st:?}");
    }
}

#[test]
fn metric_types_decode_to_the_matching_data_variant() {
    let got = decode_metrics(
        &Style {
            strings: true,
            names: true,
            snake: false,
        }
        .finish(metrics_json(Style {
            strings: true,
            names: true,
            snake: false,
        })),
    )
    .unwrap();
    let kinds: Vec<&str> = got.resource_metrics[0].scope_metrics[0]
        .metrics
        .iter()
        .map(|m| match m.data {
            Some(metric::Data::Gauge(_)) => "gauge",
            Some(metric::Data::Sum(_)) => "sum",
            Some(metric::Data::Histogram(_)) => "histogram",
            Some(metric::Data::ExponentialHistogram(_)) => "exponentialHistogram",
            Some(metric::Data::Summary(_)) => "summary",
            None => "none",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "gauge",
            "sum",
            "histogram",
            "exponentialHistogram",
            "summary"
        ]
    );
}

/// The exact payload shapes the `with-serde` feature mishandles: string asInt, enum names and
/// a metric `data` oneof given as a sibling key.
#[test]
fn with_serde_failure_modes_are_decoded() {
    let doc = br#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{
        "name":"requests","sum":{"aggregationTemporality":"AGGREGATION_TEMPORALITY_CUMULATIVE",
        "isMonotonic":true,"dataPoints":[{"asInt":"17","timeUnixNano":"1700000000000000000"}]}}]}]}]}"#;
    let got = decode_metrics(doc).unwrap();
    let m = &got.resource_metrics[0].scope_metrics[0].metrics[0];
    assert_eq!(
        m.data,
        Some(metric::Data::Sum(Sum {
            data_points: vec![NumberDataPoint {
                time_unix_nano: 1_700_000_000_000_000_000,
                value: Some(number_data_point::Value::AsInt(17)),
                ..Default::default()
            }],
            aggregation_temporality: 2,
            is_monotonic: true,
        }))
    );
}

// ---------------------------------------------------------------------------------------------
// Traces.

fn expected_traces() -> ExportTraceServiceRequest {
    let full = Span {
        trace_id: hex(TRACE_ID),
        span_id: hex(SPAN_ID),
        trace_state: "rojo=00f067aa0ba902b7".into(),
        parent_span_id: hex(PARENT_ID),
        flags: 256,
        name: "GET /cart".into(),
        kind: span::SpanKind::Server as i32,
        start_time_unix_nano: T0,
        end_time_unix_nano: T1,
        attributes: vec![kv("http.method", s("GET"))],
        dropped_attributes_count: 4,
        events: vec![span::Event {
            time_unix_nano: T1,
            name: "exception".into(),
            attributes: vec![kv("exception.type", s("Timeout"))],
            dropped_attributes_count: 5,
        }],
        dropped_events_count: 6,
        links: vec![span::Link {
            trace_id: hex("0af7651916cd43dd8448eb211c80319c"),
            span_id: hex("b7ad6b7169203331"),
            trace_state: "congo=t61rcWkgMzE".into(),
            attributes: vec![kv("link.kind", s("follows"))],
            dropped_attributes_count: 7,
            flags: 256,
        }],
        dropped_links_count: 8,
        status: Some(Status {
            message: "deadline exceeded".into(),
            code: status::StatusCode::Error as i32,
        }),
    };
    let root = Span {
        trace_id: hex(TRACE_ID),
        span_id: hex(PARENT_ID),
        parent_span_id: vec![],
        name: "checkout".into(),
        kind: span::SpanKind::Client as i32,
        start_time_unix_nano: T0,
        end_time_unix_nano: T1,
        status: Some(Status {
            message: String::new(),
            code: status::StatusCode::Ok as i32,
        }),
        ..Default::default()
    };
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(expected_resource()),
            scope_spans: vec![ScopeSpans {
                scope: Some(expected_scope()),
                spans: vec![full, root],
                schema_url: "https://opentelemetry.io/schemas/1.21.0".into(),
            }],
            schema_url: "https://opentelemetry.io/schemas/1.24.0".into(),
        }],
    }
}

fn traces_json(st: Style) -> Value {
    let remote = st.e("SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK", 256);
    json!({
        "resourceSpans": [{
            "resource": resource_json(st),
            "schemaUrl": "https://opentelemetry.io/schemas/1.24.0",
            "scopeSpans": [{
                "scope": scope_json(st),
                "schemaUrl": "https://opentelemetry.io/schemas/1.21.0",
                "spans": [
                    {
                        "traceId": TRACE_ID.to_uppercase(),
                        "spanId": SPAN_ID,
                        "traceState": "rojo=00f067aa0ba902b7",
                        "parentSpanId": PARENT_ID,
                        "flags": remote,
                        "name": "GET /cart",
                        "kind": st.e("SPAN_KIND_SERVER", 2),
                        "startTimeUnixNano": st.u(T0),
                        "endTimeUnixNano": st.u(T1),
                        "attributes": [{"key": "http.method", "value": {"stringValue": "GET"}}],
                        "droppedAttributesCount": st.u(4),
                        "events": [{
                            "timeUnixNano": st.u(T1),
                            "name": "exception",
                            "attributes": [{"key": "exception.type", "value": {"stringValue": "Timeout"}}],
                            "droppedAttributesCount": st.u(5)
                        }],
                        "droppedEventsCount": st.u(6),
                        "links": [{
                            "traceId": "0AF7651916CD43DD8448EB211C80319C",
                            "spanId": "b7ad6b7169203331",
                            "traceState": "congo=t61rcWkgMzE",
                            "attributes": [{"key": "link.kind", "value": {"stringValue": "follows"}}],
                            "droppedAttributesCount": st.u(7),
                            "flags": remote
                        }],
                        "droppedLinksCount": st.u(8),
                        "status": {"message": "deadline exceeded", "code": st.e("STATUS_CODE_ERROR", 2)}
                    },
                    {
                        "traceId": TRACE_ID,
                        "spanId": PARENT_ID,
                        "parentSpanId": "",
                        "name": "checkout",
                        "kind": st.e("SPAN_KIND_CLIENT", 3),
                        "startTimeUnixNano": st.u(T0),
                        "endTimeUnixNano": st.u(T1),
                        "status": {"code": st.e("STATUS_CODE_OK", 1)}
                    }
                ]
            }]
        }]
    })
}

#[test]
fn traces_every_field_in_every_encoding() {
    let expected = expected_traces();
    for st in all_styles() {
        let got =
            decode_traces(&st.finish(traces_json(st))).unwrap_or_else(|e| panic!("{st:?}: {e}"));
        let spans = &got.resource_spans[0].scope_spans[0].spans;
        let want = &expected.resource_spans[0].scope_spans[0].spans;
        assert_eq!(spans[0], want[0], "{st:?}");
        assert_eq!(spans[1], want[1], "{st:?}");
        assert_eq!(got, expected, "{st:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Logs.

fn expected_logs() -> ExportLogsServiceRequest {
    let body = any_value::Value::KvlistValue(KeyValueList {
        values: vec![
            kv("msg", s("payment failed for order 1234")),
            kv("retries", any_value::Value::IntValue(3)),
        ],
    });
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(expected_resource()),
            scope_logs: vec![ScopeLogs {
                scope: Some(expected_scope()),
                log_records: vec![LogRecord {
                    time_unix_nano: T0,
                    observed_time_unix_nano: T1,
                    severity_number: SeverityNumber::Warn as i32,
                    severity_text: "WARN".into(),
                    body: Some(AnyValue { value: Some(body) }),
                    attributes: vec![kv("order.id", any_value::Value::IntValue(BIG_NEG))],
                    dropped_attributes_count: 9,
                    flags: 255,
                    trace_id: hex(TRACE_ID),
                    span_id: hex(SPAN_ID),
                    event_name: "payment.failed".into(),
                }],
                schema_url: "https://opentelemetry.io/schemas/1.21.0".into(),
            }],
            schema_url: "https://opentelemetry.io/schemas/1.24.0".into(),
        }],
    }
}

fn logs_json(st: Style) -> Value {
    json!({
        "resourceLogs": [{
            "resource": resource_json(st),
            "schemaUrl": "https://opentelemetry.io/schemas/1.24.0",
            "scopeLogs": [{
                "scope": scope_json(st),
                "schemaUrl": "https://opentelemetry.io/schemas/1.21.0",
                "logRecords": [{
                    "timeUnixNano": st.u(T0),
                    "observedTimeUnixNano": st.u(T1),
                    "severityNumber": st.e("SEVERITY_NUMBER_WARN", 13),
                    "severityText": "WARN",
                    "body": {"kvlistValue": {"values": [
                        {"key": "msg", "value": {"stringValue": "payment failed for order 1234"}},
                        {"key": "retries", "value": {"intValue": st.i(3)}}
                    ]}},
                    "attributes": [{"key": "order.id", "value": {"intValue": st.i(BIG_NEG)}}],
                    "droppedAttributesCount": st.u(9),
                    "flags": st.e("LOG_RECORD_FLAGS_TRACE_FLAGS_MASK", 255),
                    "traceId": TRACE_ID,
                    "spanId": SPAN_ID.to_uppercase(),
                    "eventName": "payment.failed"
                }]
            }]
        }]
    })
}

#[test]
fn logs_every_field_in_every_encoding() {
    let expected = expected_logs();
    for st in all_styles() {
        let got = decode_logs(&st.finish(logs_json(st))).unwrap_or_else(|e| panic!("{st:?}: {e}"));
        assert_eq!(
            got.resource_logs[0].scope_logs[0].log_records[0],
            expected.resource_logs[0].scope_logs[0].log_records[0],
            "{st:?}"
        );
        assert_eq!(got, expected, "{st:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Every enum value, by name and by number.

fn decode_span_kind_and_status(kind: Value, code: Value) -> (i32, i32) {
    let doc = json!({"resourceSpans": [{"scopeSpans": [{"spans": [
        {"kind": kind, "status": {"code": code}}
    ]}]}]});
    let got = decode_traces(doc.to_string().as_bytes()).unwrap();
    let span = &got.resource_spans[0].scope_spans[0].spans[0];
    (span.kind, span.status.as_ref().unwrap().code)
}

#[test]
fn every_span_kind_and_status_code_by_name_and_number() {
    for n in 0..=5 {
        let name = span::SpanKind::try_from(n).unwrap().as_str_name();
        assert_eq!(decode_span_kind_and_status(json!(name), json!(0)).0, n);
        assert_eq!(decode_span_kind_and_status(json!(n), json!(0)).0, n);
    }
    for n in 0..=2 {
        let name = status::StatusCode::try_from(n).unwrap().as_str_name();
        assert_eq!(decode_span_kind_and_status(json!(0), json!(name)).1, n);
        assert_eq!(decode_span_kind_and_status(json!(0), json!(n)).1, n);
    }
}

#[test]
fn every_severity_number_by_name_and_number() {
    for n in 0..=24 {
        let name = SeverityNumber::try_from(n).unwrap().as_str_name();
        for v in [json!(name), json!(n)] {
            let doc =
                json!({"resourceLogs": [{"scopeLogs": [{"logRecords": [{"severityNumber": v}]}]}]});
            let got = decode_logs(doc.to_string().as_bytes()).unwrap();
            assert_eq!(
                got.resource_logs[0].scope_logs[0].log_records[0].severity_number, n,
                "{v}"
            );
        }
    }
}

#[test]
fn every_aggregation_temporality_by_name_and_number() {
    for n in 0..=2 {
        let name = AggregationTemporality::try_from(n).unwrap().as_str_name();
        for v in [json!(name), json!(n)] {
            let doc = json!({"resourceMetrics": [{"scopeMetrics": [{"metrics": [
                {"name": "a", "sum": {"aggregationTemporality": v}},
                {"name": "b", "histogram": {"aggregationTemporality": v}},
                {"name": "c", "exponentialHistogram": {"aggregationTemporality": v}}
            ]}]}]});
            let got = decode_metrics(doc.to_string().as_bytes()).unwrap();
            let temporalities: Vec<i32> = got.resource_metrics[0].scope_metrics[0]
                .metrics
                .iter()
                .map(|m| match &m.data {
                    Some(metric::Data::Sum(s)) => s.aggregation_temporality,
                    Some(metric::Data::Histogram(h)) => h.aggregation_temporality,
                    Some(metric::Data::ExponentialHistogram(h)) => h.aggregation_temporality,
                    other => panic!("unexpected {other:?}"),
                })
                .collect();
            assert_eq!(temporalities, [n, n, n], "{v}");
        }
    }
}

#[test]
fn unknown_enum_numbers_are_kept() {
    // Proto3 enums are open: a future value must survive rather than turn into 0.
    assert_eq!(decode_span_kind_and_status(json!(9), json!(7)), (9, 7));
}

// ---------------------------------------------------------------------------------------------
// AnyValue.

fn decode_attr_values(values: Vec<Value>) -> Vec<Option<any_value::Value>> {
    let attrs: Vec<Value> = values
        .into_iter()
        .enumerate()
        .map(|(i, v)| json!({"key": format!("k{i}"), "value": v}))
        .collect();
    let doc = json!({"resourceLogs": [{"scopeLogs": [{"logRecords": [{"attributes": attrs}]}]}]});
    let got = decode_logs(doc.to_string().as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    got.resource_logs[0].scope_logs[0].log_records[0]
        .attributes
        .iter()
        .map(|kv| kv.value.as_ref().unwrap().value.clone())
        .collect()
}

#[test]
fn every_any_value_kind() {
    use any_value::Value as V;
    let got = decode_attr_values(vec![
        json!({"stringValue": "hello"}),
        json!({"stringValue": ""}),
        json!({"boolValue": true}),
        json!({"boolValue": false}),
        json!({"intValue": "-9007199254740993"}),
        json!({"intValue": 9_223_372_036_854_775_807_i64}),
        json!({"intValue": -5}),
        json!({"doubleValue": 2.5}),
        json!({"doubleValue": "Infinity"}),
        json!({"doubleValue": "-Infinity"}),
        json!({"doubleValue": 3}),
        json!({"doubleValue": "1e3"}),
        json!({"bytesValue": "aGVsbG8="}),
        json!({"bytesValue": "aGVsbG8"}),
        json!({"bytesValue": "-_8="}),
        json!({"bytesValue": ""}),
        json!({"arrayValue": {"values": [{"stringValue": "a"}, {"intValue": "1"}]}}),
        json!({"arrayValue": {}}),
        json!({"kvlistValue": {"values": [{"key": "x", "value": {"boolValue": true}}]}}),
        json!({"kvlistValue": {"values": [
            {"key": "nested", "value": {"arrayValue": {"values": [
                {"kvlistValue": {"values": [{"key": "deep", "value": {"doubleValue": 0.5}}]}}
            ]}}}
        ]}}),
        json!({}),
    ]);
    let nested = V::KvlistValue(KeyValueList {
        values: vec![kv(
            "nested",
            V::ArrayValue(ArrayValue {
                values: vec![AnyValue {
                    value: Some(V::KvlistValue(KeyValueList {
                        values: vec![kv("deep", V::DoubleValue(0.5))],
                    })),
                }],
            }),
        )],
    });
    let want = vec![
        Some(s("hello")),
        Some(s("")),
        Some(V::BoolValue(true)),
        Some(V::BoolValue(false)),
        Some(V::IntValue(-9_007_199_254_740_993)),
        Some(V::IntValue(i64::MAX)),
        Some(V::IntValue(-5)),
        Some(V::DoubleValue(2.5)),
        Some(V::DoubleValue(f64::INFINITY)),
        Some(V::DoubleValue(f64::NEG_INFINITY)),
        Some(V::DoubleValue(3.0)),
        Some(V::DoubleValue(1000.0)),
        Some(V::BytesValue(b"hello".to_vec())),
        Some(V::BytesValue(b"hello".to_vec())),
        Some(V::BytesValue(vec![0xfb, 0xff])),
        Some(V::BytesValue(vec![])),
        Some(V::ArrayValue(ArrayValue {
            values: vec![
                AnyValue {
                    value: Some(s("a")),
                },
                AnyValue {
                    value: Some(V::IntValue(1)),
                },
            ],
        })),
        Some(V::ArrayValue(ArrayValue { values: vec![] })),
        Some(V::KvlistValue(KeyValueList {
            values: vec![kv("x", V::BoolValue(true))],
        })),
        Some(nested),
        None,
    ];
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "value #{i}");
    }
}

#[test]
fn nan_double_values() {
    // NaN != NaN, so these are checked with is_nan rather than assert_eq.
    let got = decode_attr_values(vec![json!({"doubleValue": "NaN"})]);
    assert!(matches!(got[0], Some(any_value::Value::DoubleValue(f)) if f.is_nan()));
    let doc = br#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"g","gauge":{"dataPoints":[{"asDouble":"NaN"}]}},
        {"name":"h","histogram":{"dataPoints":[{"sum":"NaN","min":"-Infinity","max":"Infinity"}]}}]}]}]}"#;
    let got = decode_metrics(doc).unwrap();
    let metrics = &got.resource_metrics[0].scope_metrics[0].metrics;
    match &metrics[0].data {
        Some(metric::Data::Gauge(g)) => assert!(matches!(
            g.data_points[0].value,
            Some(number_data_point::Value::AsDouble(f)) if f.is_nan()
        )),
        other => panic!("{other:?}"),
    }
    match &metrics[1].data {
        Some(metric::Data::Histogram(h)) => {
            let p = &h.data_points[0];
            assert!(p.sum.unwrap().is_nan());
            assert_eq!(p.min, Some(f64::NEG_INFINITY));
            assert_eq!(p.max, Some(f64::INFINITY));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn nesting_within_the_cap_decodes() {
    let mut v = json!({"stringValue": "leaf"});
    for _ in 0..20 {
        v = json!({"arrayValue": {"values": [v]}});
    }
    let got = decode_attr_values(vec![v]);
    let mut cur = got[0].clone();
    let mut depth = 0;
    while let Some(any_value::Value::ArrayValue(a)) = cur {
        depth += 1;
        cur = a.values[0].value.clone();
    }
    assert_eq!(depth, 20);
    assert_eq!(cur, Some(s("leaf")));
}

// ---------------------------------------------------------------------------------------------
// Leniencies the spec requires.

#[test]
fn unknown_fields_are_ignored_and_null_is_absent() {
    let doc = br#"{"futureTopLevel":{"x":[1,2]},"resourceSpans":[{"resource":null,"extra":1,
        "scopeSpans":[{"scope":{"name":"s","newField":true},"spans":[{"name":"op","traceId":null,
        "kind":null,"unknownObject":{"a":{"b":[]}},"status":{"code":2,"unknown":"x"},
        "attributes":[{"key":"a","value":{"stringValue":"b","someFutureKind":1}}]}]}]}]}"#;
    let got = decode_traces(doc).unwrap();
    let rs = &got.resource_spans[0];
    assert_eq!(rs.resource, None);
    assert_eq!(rs.scope_spans[0].scope.as_ref().unwrap().name, "s");
    assert_eq!(
        rs.scope_spans[0].spans[0],
        Span {
            name: "op".into(),
            status: Some(Status {
                message: String::new(),
                code: 2
            }),
            attributes: vec![kv("a", s("b"))],
            ..Default::default()
        }
    );
}

#[test]
fn integer_forms_accepted_by_protobuf_json() {
    let doc =
        br#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"g","gauge":{"dataPoints":[
        {"timeUnixNano":1e3,"startTimeUnixNano":5.0,"asInt":"-0","flags":"1"}]}}]}]}]}"#;
    let got = decode_metrics(doc).unwrap();
    match &got.resource_metrics[0].scope_metrics[0].metrics[0].data {
        Some(metric::Data::Gauge(g)) => assert_eq!(
            g.data_points[0],
            NumberDataPoint {
                time_unix_nano: 1000,
                start_time_unix_nano: 5,
                value: Some(number_data_point::Value::AsInt(0)),
                flags: 1,
                ..Default::default()
            }
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn empty_documents_decode_to_empty_requests() {
    assert_eq!(
        decode_metrics(b"{}").unwrap(),
        ExportMetricsServiceRequest::default()
    );
    assert_eq!(
        decode_traces(b"{}").unwrap(),
        ExportTraceServiceRequest::default()
    );
    assert_eq!(
        decode_logs(b"{\"resourceLogs\":[]}").unwrap(),
        ExportLogsServiceRequest::default()
    );
}

// ---------------------------------------------------------------------------------------------
// decode_any.

#[test]
fn decode_any_tells_the_signal_from_the_top_level_key() {
    let st = Style {
        strings: true,
        names: false,
        snake: false,
    };
    match decode_any(&st.finish(metrics_json(st))).unwrap() {
        OtlpRequest::Metrics(m) => assert_eq!(m, expected_metrics()),
        other => panic!("{other:?}"),
    }
    match decode_any(&st.finish(traces_json(st))).unwrap() {
        OtlpRequest::Traces(t) => assert_eq!(t, expected_traces()),
        other => panic!("{other:?}"),
    }
    match decode_any(&st.finish(logs_json(st))).unwrap() {
        OtlpRequest::Logs(l) => assert_eq!(l, expected_logs()),
        other => panic!("{other:?}"),
    }
    let snake = Style { snake: true, ..st };
    match decode_any(&snake.finish(logs_json(snake))).unwrap() {
        OtlpRequest::Logs(l) => assert_eq!(l, expected_logs()),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        decode_any(br#"{"resource_spans":[]}"#).unwrap(),
        OtlpRequest::Traces(t) if t.resource_spans.is_empty()
    ));
}

#[test]
fn decode_any_rejects_unknown_and_mixed_signals() {
    assert!(matches!(decode_any(b"{}"), Err(JsonError::UnknownSignal)));
    assert!(matches!(
        decode_any(br#"{"resourceProfiles":[]}"#),
        Err(JsonError::UnknownSignal)
    ));
    assert!(matches!(
        decode_any(br#"{"resourceMetrics":[],"resourceLogs":[]}"#),
        Err(JsonError::Invalid { .. })
    ));
    assert!(matches!(decode_any(b"[1]"), Err(JsonError::Invalid { .. })));
    assert!(matches!(decode_any(b"{"), Err(JsonError::Syntax(_))));
}

// ---------------------------------------------------------------------------------------------
// Errors, each naming its JSON path.

fn invalid(result: Result<impl std::fmt::Debug, JsonError>) -> (String, String) {
    match result {
        Err(JsonError::Invalid { path, reason }) => (path, reason),
        other => panic!("expected JsonError::Invalid, got {other:?}"),
    }
}

#[test]
fn wrong_type_names_the_path() {
    let doc = br#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"a"},{"name":"b"},
        {"name":"c","sum":{"dataPoints":[{"asInt":true}]}}]}]}]}"#;
    let (path, reason) = invalid(decode_metrics(doc));
    assert_eq!(
        path,
        "resourceMetrics[0].scopeMetrics[0].metrics[2].sum.dataPoints[0].asInt"
    );
    assert!(reason.contains("boolean"), "{reason}");
    let err = decode_metrics(doc).unwrap_err().to_string();
    assert!(err.contains("metrics[2].sum.dataPoints[0].asInt"), "{err}");
}

#[test]
fn present_but_wrong_typed_fields_are_errors() {
    let cases: &[(&[u8], &str)] = &[
        (br#"{"resourceLogs":{}}"#, "resourceLogs"),
        (br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"severityText":5}]}]}]}"#,
            "resourceLogs[0].scopeLogs[0].logRecords[0].severityText"),
        (br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"12abc"}]}]}]}"#,
            "resourceLogs[0].scopeLogs[0].logRecords[0].timeUnixNano"),
        (br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"1.5"}]}]}]}"#,
            "resourceLogs[0].scopeLogs[0].logRecords[0].timeUnixNano"),
        (br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":-1}]}]}]}"#,
            "resourceLogs[0].scopeLogs[0].logRecords[0].timeUnixNano"),
        (br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"18446744073709551616"}]}]}]}"#,
            "resourceLogs[0].scopeLogs[0].logRecords[0].timeUnixNano"),
        (br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"intValue":"9223372036854775808"}}]}]}]}"#,
            "resourceLogs[0].scopeLogs[0].logRecords[0].body.intValue"),
        (br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"droppedAttributesCount":4294967296}]}]}]}"#,
            "resourceLogs[0].scopeLogs[0].logRecords[0].droppedAttributesCount"),
        (br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"boolValue":"true"}}]}]}]}"#,
            "resourceLogs[0].scopeLogs[0].logRecords[0].body.boolValue"),
        (br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"doubleValue":"nan"}}]}]}]}"#,
            "resourceLogs[0].scopeLogs[0].logRecords[0].body.doubleValue"),
        (br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"attributes":[null]}]}]}]}"#,
            "resourceLogs[0].scopeLogs[0].logRecords[0].attributes[0]"),
        (br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"attributes":{"key":"a"}}]}]}]}"#,
            "resourceLogs[0].scopeLogs[0].logRecords[0].attributes"),
        (br#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"sum":{"isMonotonic":1}}]}]}]}"#,
            "resourceMetrics[0].scopeMetrics[0].metrics[0].sum.isMonotonic"),
        (br#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"histogram":{"dataPoints":[{"bucketCounts":[1,"x"]}]}}]}]}]}"#,
            "resourceMetrics[0].scopeMetrics[0].metrics[0].histogram.dataPoints[0].bucketCounts[1]"),
        (br#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"gauge":[]}]}]}]}"#,
            "resourceMetrics[0].scopeMetrics[0].metrics[0].gauge"),
        (br#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"exponentialHistogram":{"dataPoints":[{"scale":2147483648}]}}]}]}]}"#,
            "resourceMetrics[0].scopeMetrics[0].metrics[0].exponentialHistogram.dataPoints[0].scale"),
    ];
    for (doc, want_path) in cases {
        let text = String::from_utf8_lossy(doc);
        let result = if text.contains("resourceLogs") {
            decode_logs(doc).map(|_| ())
        } else {
            decode_metrics(doc).map(|_| ())
        };
        let (path, _) = invalid(result);
        assert_eq!(&path, want_path, "{text}");
    }
}

#[test]
fn invalid_json_is_a_syntax_error() {
    for doc in [
        &b""[..],
        b"{",
        b"{\"resourceMetrics\":[}",
        b"not json",
        b"\xff\xfe",
    ] {
        assert!(
            matches!(decode_metrics(doc), Err(JsonError::Syntax(_))),
            "{doc:?}"
        );
    }
    assert!(matches!(
        decode_traces(b"42"),
        Err(JsonError::Invalid { .. })
    ));
}

#[test]
fn bad_hex_ids_are_errors() {
    for (id_key, id) in [
        ("traceId", "5b8efff798038103d269b633813fc60z"),
        ("traceId", "5b8efff798038103d269b633813fc60"),
        ("traceId", "W4787/eYA4HSabYzgT/GDA=="),
        ("spanId", "eee19b7ec3c1b17"),
        ("spanId", "eee19b7ec3c1b174aa"),
        ("parentSpanId", "gee19b7ec3c1b174"),
    ] {
        let doc = json!({"resourceSpans": [{"scopeSpans": [{"spans": [{id_key: id}]}]}]});
        let (path, _) = invalid(decode_traces(doc.to_string().as_bytes()));
        assert_eq!(
            path,
            format!("resourceSpans[0].scopeSpans[0].spans[0].{id_key}")
        );
    }
    let doc = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"links":[{"spanId":"xyz"}]}]}]}]}"#;
    assert_eq!(
        invalid(decode_traces(doc)).0,
        "resourceSpans[0].scopeSpans[0].spans[0].links[0].spanId"
    );
    let doc = br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":12}]}]}]}"#;
    assert_eq!(
        invalid(decode_logs(doc)).0,
        "resourceLogs[0].scopeLogs[0].logRecords[0].traceId"
    );
}

#[test]
fn bad_base64_is_an_error() {
    for bad in ["a", "!!!!", "aGVsbG8=x"] {
        let doc = json!({"resourceLogs": [{"scopeLogs": [{"logRecords": [{"body": {"bytesValue": bad}}]}]}]});
        let (path, reason) = invalid(decode_logs(doc.to_string().as_bytes()));
        assert_eq!(
            path,
            "resourceLogs[0].scopeLogs[0].logRecords[0].body.bytesValue"
        );
        assert!(reason.contains("base64"), "{reason}");
    }
}

#[test]
fn unknown_enum_names_are_errors() {
    let (path, reason) = invalid(decode_traces(
        br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"kind":"SPAN_KIND_SERVERLESS"}]}]}]}"#,
    ));
    assert_eq!(path, "resourceSpans[0].scopeSpans[0].spans[0].kind");
    assert!(reason.contains("SPAN_KIND_SERVERLESS"), "{reason}");
    let (path, _) = invalid(decode_traces(
        br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"status":{"code":"ERROR"}}]}]}]}"#,
    ));
    assert_eq!(path, "resourceSpans[0].scopeSpans[0].spans[0].status.code");
    let (path, _) = invalid(decode_logs(
        br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"severityNumber":"SEVERITY_NUMBER_WARNING"}]}]}]}"#,
    ));
    assert_eq!(
        path,
        "resourceLogs[0].scopeLogs[0].logRecords[0].severityNumber"
    );
    let (path, _) = invalid(decode_metrics(
        br#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"sum":{"aggregationTemporality":"DELTA"}}]}]}]}"#,
    ));
    assert_eq!(
        path,
        "resourceMetrics[0].scopeMetrics[0].metrics[0].sum.aggregationTemporality"
    );
    let (path, _) = invalid(decode_metrics(
        br#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"gauge":{"dataPoints":[{"flags":"NO_SUCH_FLAG"}]}}]}]}]}"#,
    ));
    assert_eq!(
        path,
        "resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0].flags"
    );
}

#[test]
fn two_members_of_a_oneof_are_an_error() {
    let (path, reason) = invalid(decode_metrics(
        br#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"gauge":{},"sum":{}}]}]}]}"#,
    ));
    assert!(
        path.starts_with("resourceMetrics[0].scopeMetrics[0].metrics[0]."),
        "{path}"
    );
    assert!(reason.contains("oneof"), "{reason}");
    invalid(decode_metrics(
        br#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"gauge":{"dataPoints":[{"asInt":"1","asDouble":1}]}}]}]}]}"#,
    ));
    invalid(decode_logs(
        br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"a","intValue":1}}]}]}]}"#,
    ));
}

#[test]
fn depth_bombs_are_errors_not_stack_overflows() {
    // Deep enough for our AnyValue cap while still inside serde_json's recursion limit.
    let mut v = json!({"stringValue": "leaf"});
    for _ in 0..35 {
        v = json!({"arrayValue": {"values": [v]}});
    }
    let doc = json!({"resourceLogs": [{"scopeLogs": [{"logRecords": [{"body": v}]}]}]});
    let (path, reason) = invalid(decode_logs(doc.to_string().as_bytes()));
    assert!(path.starts_with("resourceLogs[0].scopeLogs[0].logRecords[0].body.arrayValue"));
    assert!(reason.contains("nested deeper"), "{reason}");

    let mut kv = json!({"stringValue": "leaf"});
    for _ in 0..30 {
        kv = json!({"kvlistValue": {"values": [{"key": "k", "value": kv}]}});
    }
    // kvlists cost four JSON levels per AnyValue level, so serde_json's limit of 128 may
    // trip before our cap; either way it must be an error.
    let doc = json!({"resourceLogs": [{"scopeLogs": [{"logRecords": [{"body": kv}]}]}]});
    assert!(decode_logs(doc.to_string().as_bytes()).is_err());

    // Far past every limit: rejected by the parser without recursing through it.
    let n = 100_000;
    let bomb = format!(
        "{{\"resourceLogs\":[{{\"scopeLogs\":[{{\"logRecords\":[{{\"body\":{}{}}}]}}]}}]}}",
        "{\"arrayValue\":{\"values\":[".repeat(n),
        "]}}".repeat(n)
    );
    assert!(matches!(
        decode_logs(bomb.as_bytes()),
        Err(JsonError::Syntax(_))
    ));
    assert!(matches!(
        decode_any(&vec![b'['; 1_000_000]),
        Err(JsonError::Syntax(_))
    ));
}

// ---------------------------------------------------------------------------------------------
// Encoder round trips and response bodies.

#[test]
fn encode_then_decode_round_trips() {
    let m = expected_metrics();
    let encoded = encode_metrics(&m);
    assert_eq!(decode_metrics(encoded.to_string().as_bytes()).unwrap(), m);
    // Spec form: 64-bit integers as strings, enums as integers, ids as lowercase hex.
    let sum = &encoded["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][1]["sum"];
    assert_eq!(sum["dataPoints"][0]["asInt"], json!(BIG_NEG.to_string()));
    assert_eq!(sum["aggregationTemporality"], json!(1));
    assert_eq!(
        sum["dataPoints"][0]["exemplars"][0]["traceId"],
        json!(TRACE_ID)
    );

    let t = expected_traces();
    assert_eq!(
        decode_traces(encode_traces(&t).to_string().as_bytes()).unwrap(),
        t
    );
    let l = expected_logs();
    assert_eq!(
        decode_logs(encode_logs(&l).to_string().as_bytes()).unwrap(),
        l
    );
}

#[test]
fn response_bodies() {
    assert_eq!(export_response_json(), b"{}");
    let body: Value = serde_json::from_slice(&status_json(3, "bad \"json\" at x")).unwrap();
    assert_eq!(body, json!({"code": 3, "message": "bad \"json\" at x"}));
}

#[test]
fn malformed_integer_strings_are_errors() {
    for bad in ["", " 1", "1 ", "+1", "0x10", "1e3", "--1", "-", "１"] {
        let doc =
            json!({"resourceLogs": [{"scopeLogs": [{"logRecords": [{"timeUnixNano": bad}]}]}]});
        let (path, _) = invalid(decode_logs(doc.to_string().as_bytes()));
        assert_eq!(
            path, "resourceLogs[0].scopeLogs[0].logRecords[0].timeUnixNano",
            "{bad:?}"
        );
    }
}

proptest::proptest! {
    /// Corrupting a valid document anywhere yields a value or an error, never a panic.
    #[test]
    fn corrupted_documents_never_panic(edits in proptest::collection::vec((0usize..4096, proptest::num::u8::ANY), 1..8)) {
        let st = Style { strings: true, names: true, snake: false };
        for doc in [metrics_json(st), traces_json(st), logs_json(st)] {
            let mut bytes = st.finish(doc);
            for (at, byte) in &edits {
                let at = at % bytes.len();
                bytes[at] = *byte;
            }
            let _ = decode_any(&bytes);
        }
    }
}

#[test]
fn a_field_in_both_spellings_is_an_error() {
    let (path, reason) = invalid(decode_logs(
        br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"1","time_unix_nano":"2"}]}]}]}"#,
    ));
    assert_eq!(
        path,
        "resourceLogs[0].scopeLogs[0].logRecords[0].time_unix_nano"
    );
    assert!(reason.contains("twice"), "{reason}");
    // null is absent, so it does not count as the second spelling.
    let got = decode_logs(
        br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":null,"time_unix_nano":"2"}]}]}]}"#,
    )
    .unwrap();
    assert_eq!(
        got.resource_logs[0].scope_logs[0].log_records[0].time_unix_nano,
        2
    );
}

#[test]
fn decode_any_value_matches_decode_any() {
    let st = Style {
        strings: false,
        names: true,
        snake: false,
    };
    match otelsnap_core::otlp::json::decode_any_value(&traces_json(st)).unwrap() {
        OtlpRequest::Traces(t) => assert_eq!(t, expected_traces()),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        otelsnap_core::otlp::json::decode_any_value(&json!({"x": 1})),
        Err(JsonError::UnknownSignal)
    ));
}
