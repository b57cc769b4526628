//! OTLP/JSON encoding, in the form the spec asks senders to produce (64-bit integers as
//! strings, enums as integers, hex ids, base64 bytes). Every field is written, defaults
//! included, so a round trip through `otelsnap_core::otlp::json` exercises every decoder
//! branch; tests, examples and the fixture generator use it to build payloads.

use base64::Engine as _;
use opentelemetry_proto::tonic::collector::{
    logs::v1::ExportLogsServiceRequest, metrics::v1::ExportMetricsServiceRequest,
    trace::v1::ExportTraceServiceRequest,
};
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use opentelemetry_proto::tonic::metrics::v1::{
    Exemplar, Metric, NumberDataPoint, exemplar, exponential_histogram_data_point, metric,
    number_data_point,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::Span;
use serde_json::{Value, json};

/// Encodes a metrics request as spec OTLP/JSON.
pub fn encode_metrics(req: &ExportMetricsServiceRequest) -> Value {
    let rm: Vec<Value> = req
        .resource_metrics
        .iter()
        .map(|rm| {
            let sm: Vec<Value> = rm
                .scope_metrics
                .iter()
                .map(|sm| {
                    let metrics: Vec<Value> = sm.metrics.iter().map(enc_metric).collect();
                    let mut o = json!({ "metrics": metrics, "schemaUrl": sm.schema_url });
                    put(&mut o, "scope", sm.scope.as_ref().map(enc_scope));
                    o
                })
                .collect();
            let mut o = json!({ "scopeMetrics": sm, "schemaUrl": rm.schema_url });
            put(&mut o, "resource", rm.resource.as_ref().map(enc_resource));
            o
        })
        .collect();
    json!({ "resourceMetrics": rm })
}

/// Encodes a trace request as spec OTLP/JSON.
pub fn encode_traces(req: &ExportTraceServiceRequest) -> Value {
    let rs: Vec<Value> = req
        .resource_spans
        .iter()
        .map(|rs| {
            let ss: Vec<Value> = rs
                .scope_spans
                .iter()
                .map(|ss| {
                    let spans: Vec<Value> = ss.spans.iter().map(enc_span).collect();
                    let mut o = json!({ "spans": spans, "schemaUrl": ss.schema_url });
                    put(&mut o, "scope", ss.scope.as_ref().map(enc_scope));
                    o
                })
                .collect();
            let mut o = json!({ "scopeSpans": ss, "schemaUrl": rs.schema_url });
            put(&mut o, "resource", rs.resource.as_ref().map(enc_resource));
            o
        })
        .collect();
    json!({ "resourceSpans": rs })
}

/// Encodes a logs request as spec OTLP/JSON.
pub fn encode_logs(req: &ExportLogsServiceRequest) -> Value {
    let rl: Vec<Value> = req
        .resource_logs
        .iter()
        .map(|rl| {
            let sl: Vec<Value> = rl
                .scope_logs
                .iter()
                .map(|sl| {
                    let records: Vec<Value> = sl.log_records.iter().map(enc_log_record).collect();
                    let mut o = json!({ "logRecords": records, "schemaUrl": sl.schema_url });
                    put(&mut o, "scope", sl.scope.as_ref().map(enc_scope));
                    o
                })
                .collect();
            let mut o = json!({ "scopeLogs": sl, "schemaUrl": rl.schema_url });
            put(&mut o, "resource", rl.resource.as_ref().map(enc_resource));
            o
        })
        .collect();
    json!({ "resourceLogs": rl })
}

fn put(obj: &mut Value, key: &str, value: Option<Value>) {
    if let (Some(map), Some(value)) = (obj.as_object_mut(), value) {
        map.insert(key.to_owned(), value);
    }
}

fn enc_u64(n: u64) -> Value {
    Value::String(n.to_string())
}

fn enc_i64(n: i64) -> Value {
    Value::String(n.to_string())
}

fn enc_f64(f: f64) -> Value {
    if f.is_nan() {
        Value::from("NaN")
    } else if f == f64::INFINITY {
        Value::from("Infinity")
    } else if f == f64::NEG_INFINITY {
        Value::from("-Infinity")
    } else {
        Value::from(f)
    }
}

fn enc_hex(b: &[u8]) -> Value {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(b.len() * 2);
    for byte in b {
        let _ = write!(s, "{byte:02x}");
    }
    Value::String(s)
}

fn enc_any_value(v: &AnyValue) -> Value {
    use any_value::Value as V;
    match &v.value {
        None => json!({}),
        Some(V::StringValue(s)) => json!({ "stringValue": s }),
        Some(V::BoolValue(b)) => json!({ "boolValue": b }),
        Some(V::IntValue(i)) => json!({ "intValue": enc_i64(*i) }),
        Some(V::DoubleValue(f)) => json!({ "doubleValue": enc_f64(*f) }),
        Some(V::BytesValue(b)) => {
            json!({ "bytesValue": base64::engine::general_purpose::STANDARD.encode(b) })
        }
        Some(V::ArrayValue(a)) => {
            let values: Vec<Value> = a.values.iter().map(enc_any_value).collect();
            json!({ "arrayValue": { "values": values } })
        }
        Some(V::KvlistValue(kv)) => json!({ "kvlistValue": { "values": enc_attrs(&kv.values) } }),
        Some(V::StringValueStrindex(i)) => json!({ "stringValueStrindex": i }),
    }
}

fn enc_attrs(attrs: &[KeyValue]) -> Vec<Value> {
    attrs
        .iter()
        .map(|kv| {
            let mut o = json!({ "key": kv.key });
            if kv.key_strindex != 0 {
                put(&mut o, "keyStrindex", Some(json!(kv.key_strindex)));
            }
            put(&mut o, "value", kv.value.as_ref().map(enc_any_value));
            o
        })
        .collect()
}

fn enc_resource(r: &Resource) -> Value {
    let entity_refs: Vec<Value> = r
        .entity_refs
        .iter()
        .map(|e| {
            json!({
                "schemaUrl": e.schema_url,
                "type": e.r#type,
                "idKeys": e.id_keys,
                "descriptionKeys": e.description_keys,
            })
        })
        .collect();
    json!({
        "attributes": enc_attrs(&r.attributes),
        "droppedAttributesCount": r.dropped_attributes_count,
        "entityRefs": entity_refs,
    })
}

fn enc_scope(s: &InstrumentationScope) -> Value {
    json!({
        "name": s.name,
        "version": s.version,
        "attributes": enc_attrs(&s.attributes),
        "droppedAttributesCount": s.dropped_attributes_count,
    })
}

fn enc_exemplars(exemplars: &[Exemplar]) -> Vec<Value> {
    exemplars
        .iter()
        .map(|e| {
            let mut o = json!({
                "filteredAttributes": enc_attrs(&e.filtered_attributes),
                "timeUnixNano": enc_u64(e.time_unix_nano),
                "spanId": enc_hex(&e.span_id),
                "traceId": enc_hex(&e.trace_id),
            });
            match e.value {
                Some(exemplar::Value::AsDouble(f)) => put(&mut o, "asDouble", Some(enc_f64(f))),
                Some(exemplar::Value::AsInt(i)) => put(&mut o, "asInt", Some(enc_i64(i))),
                None => {}
            }
            o
        })
        .collect()
}

fn enc_number_points(points: &[NumberDataPoint]) -> Vec<Value> {
    points
        .iter()
        .map(|p| {
            let mut o = json!({
                "attributes": enc_attrs(&p.attributes),
                "startTimeUnixNano": enc_u64(p.start_time_unix_nano),
                "timeUnixNano": enc_u64(p.time_unix_nano),
                "exemplars": enc_exemplars(&p.exemplars),
                "flags": p.flags,
            });
            match p.value {
                Some(number_data_point::Value::AsDouble(f)) => {
                    put(&mut o, "asDouble", Some(enc_f64(f)))
                }
                Some(number_data_point::Value::AsInt(i)) => put(&mut o, "asInt", Some(enc_i64(i))),
                None => {}
            }
            o
        })
        .collect()
}

fn enc_optional_f64(o: &mut Value, key: &str, f: Option<f64>) {
    put(o, key, f.map(enc_f64));
}

fn enc_buckets(b: &exponential_histogram_data_point::Buckets) -> Value {
    let counts: Vec<Value> = b.bucket_counts.iter().copied().map(enc_u64).collect();
    json!({ "offset": b.offset, "bucketCounts": counts })
}

fn enc_metric(m: &Metric) -> Value {
    use metric::Data;
    let mut o = json!({
        "name": m.name,
        "description": m.description,
        "unit": m.unit,
        "metadata": enc_attrs(&m.metadata),
    });
    let (key, data) = match &m.data {
        None => return o,
        Some(Data::Gauge(g)) => (
            "gauge",
            json!({ "dataPoints": enc_number_points(&g.data_points) }),
        ),
        Some(Data::Sum(s)) => (
            "sum",
            json!({
                "dataPoints": enc_number_points(&s.data_points),
                "aggregationTemporality": s.aggregation_temporality,
                "isMonotonic": s.is_monotonic,
            }),
        ),
        Some(Data::Histogram(h)) => {
            let points: Vec<Value> = h
                .data_points
                .iter()
                .map(|p| {
                    let counts: Vec<Value> = p.bucket_counts.iter().copied().map(enc_u64).collect();
                    let bounds: Vec<Value> =
                        p.explicit_bounds.iter().copied().map(enc_f64).collect();
                    let mut o = json!({
                        "attributes": enc_attrs(&p.attributes),
                        "startTimeUnixNano": enc_u64(p.start_time_unix_nano),
                        "timeUnixNano": enc_u64(p.time_unix_nano),
                        "count": enc_u64(p.count),
                        "bucketCounts": counts,
                        "explicitBounds": bounds,
                        "exemplars": enc_exemplars(&p.exemplars),
                        "flags": p.flags,
                    });
                    enc_optional_f64(&mut o, "sum", p.sum);
                    enc_optional_f64(&mut o, "min", p.min);
                    enc_optional_f64(&mut o, "max", p.max);
                    o
                })
                .collect();
            (
                "histogram",
                json!({ "dataPoints": points, "aggregationTemporality": h.aggregation_temporality }),
            )
        }
        Some(Data::ExponentialHistogram(h)) => {
            let points: Vec<Value> = h
                .data_points
                .iter()
                .map(|p| {
                    let mut o = json!({
                        "attributes": enc_attrs(&p.attributes),
                        "startTimeUnixNano": enc_u64(p.start_time_unix_nano),
                        "timeUnixNano": enc_u64(p.time_unix_nano),
                        "count": enc_u64(p.count),
                        "scale": p.scale,
                        "zeroCount": enc_u64(p.zero_count),
                        "flags": p.flags,
                        "exemplars": enc_exemplars(&p.exemplars),
                        "zeroThreshold": enc_f64(p.zero_threshold),
                    });
                    enc_optional_f64(&mut o, "sum", p.sum);
                    enc_optional_f64(&mut o, "min", p.min);
                    enc_optional_f64(&mut o, "max", p.max);
                    put(&mut o, "positive", p.positive.as_ref().map(enc_buckets));
                    put(&mut o, "negative", p.negative.as_ref().map(enc_buckets));
                    o
                })
                .collect();
            (
                "exponentialHistogram",
                json!({ "dataPoints": points, "aggregationTemporality": h.aggregation_temporality }),
            )
        }
        Some(Data::Summary(s)) => {
            let points: Vec<Value> = s
                .data_points
                .iter()
                .map(|p| {
                    let quantiles: Vec<Value> = p
                        .quantile_values
                        .iter()
                        .map(|q| json!({ "quantile": enc_f64(q.quantile), "value": enc_f64(q.value) }))
                        .collect();
                    json!({
                        "attributes": enc_attrs(&p.attributes),
                        "startTimeUnixNano": enc_u64(p.start_time_unix_nano),
                        "timeUnixNano": enc_u64(p.time_unix_nano),
                        "count": enc_u64(p.count),
                        "sum": enc_f64(p.sum),
                        "quantileValues": quantiles,
                        "flags": p.flags,
                    })
                })
                .collect();
            ("summary", json!({ "dataPoints": points }))
        }
    };
    put(&mut o, key, Some(data));
    o
}

fn enc_span(s: &Span) -> Value {
    let events: Vec<Value> = s
        .events
        .iter()
        .map(|e| {
            json!({
                "timeUnixNano": enc_u64(e.time_unix_nano),
                "name": e.name,
                "attributes": enc_attrs(&e.attributes),
                "droppedAttributesCount": e.dropped_attributes_count,
            })
        })
        .collect();
    let links: Vec<Value> = s
        .links
        .iter()
        .map(|l| {
            json!({
                "traceId": enc_hex(&l.trace_id),
                "spanId": enc_hex(&l.span_id),
                "traceState": l.trace_state,
                "attributes": enc_attrs(&l.attributes),
                "droppedAttributesCount": l.dropped_attributes_count,
                "flags": l.flags,
            })
        })
        .collect();
    let mut o = json!({
        "traceId": enc_hex(&s.trace_id),
        "spanId": enc_hex(&s.span_id),
        "traceState": s.trace_state,
        "parentSpanId": enc_hex(&s.parent_span_id),
        "flags": s.flags,
        "name": s.name,
        "kind": s.kind,
        "startTimeUnixNano": enc_u64(s.start_time_unix_nano),
        "endTimeUnixNano": enc_u64(s.end_time_unix_nano),
        "attributes": enc_attrs(&s.attributes),
        "droppedAttributesCount": s.dropped_attributes_count,
        "events": events,
        "droppedEventsCount": s.dropped_events_count,
        "links": links,
        "droppedLinksCount": s.dropped_links_count,
    });
    put(
        &mut o,
        "status",
        s.status
            .as_ref()
            .map(|st| json!({ "message": st.message, "code": st.code })),
    );
    o
}

fn enc_log_record(r: &LogRecord) -> Value {
    let mut o = json!({
        "timeUnixNano": enc_u64(r.time_unix_nano),
        "observedTimeUnixNano": enc_u64(r.observed_time_unix_nano),
        "severityNumber": r.severity_number,
        "severityText": r.severity_text,
        "attributes": enc_attrs(&r.attributes),
        "droppedAttributesCount": r.dropped_attributes_count,
        "flags": r.flags,
        "traceId": enc_hex(&r.trace_id),
        "spanId": enc_hex(&r.span_id),
        "eventName": r.event_name,
    });
    put(&mut o, "body", r.body.as_ref().map(enc_any_value));
    o
}

/// Rewrites a document from `encode_*` into the other forms the OTLP/JSON spec allows,
/// choosing at random (from `rng`) for each key and value: snake_case field names, 64-bit
/// integers as JSON numbers, 32-bit integers and flags as decimal strings, enums by name,
/// finite doubles as strings; some objects gain an unknown field (any JSON) or a `null` for a
/// field they lack. The result decodes to the same request as the input.
pub fn restyle(doc: Value, rng: &mut crate::rng::Rng) -> Value {
    restyle_value(doc, "", rng)
}

/// 64-bit integer fields: `encode_*` writes them as decimal strings.
const INT64_FIELDS: &[&str] = &[
    "timeUnixNano",
    "startTimeUnixNano",
    "endTimeUnixNano",
    "observedTimeUnixNano",
    "count",
    "zeroCount",
    "bucketCounts",
    "asInt",
    "intValue",
];

/// 32-bit integer and flags fields: `encode_*` writes them as JSON numbers.
const INT32_FIELDS: &[&str] = &[
    "droppedAttributesCount",
    "droppedEventsCount",
    "droppedLinksCount",
    "scale",
    "offset",
    "keyStrindex",
    "stringValueStrindex",
    "flags",
];

/// Double fields (and `value` of a quantile; an AnyValue's `value` is an object, left alone).
const DOUBLE_FIELDS: &[&str] = &[
    "asDouble",
    "doubleValue",
    "sum",
    "min",
    "max",
    "explicitBounds",
    "zeroThreshold",
    "quantile",
    "value",
];

/// Fields that are absent unless set (oneof members, optional messages and doubles), which a
/// sender may write as `null` instead of leaving out.
const NULLABLE_FIELDS: &[&str] = &[
    "asInt", "asDouble", "resource", "scope", "status", "body", "value", "min", "max", "positive",
    "negative",
];

/// Field names as the proto declares them (`timeUnixNano` → `time_unix_nano`).
pub fn snake_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
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

fn enum_name(key: &str, n: i32) -> Option<&'static str> {
    use opentelemetry_proto::tonic::logs::v1::SeverityNumber;
    use opentelemetry_proto::tonic::metrics::v1::AggregationTemporality;
    use opentelemetry_proto::tonic::trace::v1::{span::SpanKind, status::StatusCode};
    match key {
        "kind" => SpanKind::try_from(n).ok().map(|e| e.as_str_name()),
        "code" => StatusCode::try_from(n).ok().map(|e| e.as_str_name()),
        "severityNumber" => SeverityNumber::try_from(n).ok().map(|e| e.as_str_name()),
        "aggregationTemporality" => AggregationTemporality::try_from(n)
            .ok()
            .map(|e| e.as_str_name()),
        _ => None,
    }
}

fn random_json(rng: &mut crate::rng::Rng, depth: u32) -> Value {
    match rng.below(if depth == 0 { 4 } else { 6 }) {
        0 => Value::Null,
        1 => Value::from(rng.below(1000)),
        2 => Value::from(["x", "é\"\\\n", ""][rng.below(3) as usize]),
        3 => Value::from(rng.below(2) == 0),
        4 => Value::Array(
            (0..rng.below(3))
                .map(|_| random_json(rng, depth - 1))
                .collect(),
        ),
        _ => {
            let mut map = serde_json::Map::new();
            for i in 0..rng.below(3) {
                map.insert(format!("k_{i}"), random_json(rng, depth - 1));
            }
            Value::Object(map)
        }
    }
}

fn restyle_value(v: Value, key: &str, rng: &mut crate::rng::Rng) -> Value {
    match v {
        Value::Object(map) => {
            let mut out = serde_json::Map::new();
            for (k, v) in map {
                let v = restyle_value(v, &k, rng);
                let k = if rng.below(2) == 0 { snake_case(&k) } else { k };
                out.insert(k, v);
            }
            if rng.below(8) == 0 {
                out.insert("futureField".into(), random_json(rng, 3));
            }
            if rng.below(8) == 0 {
                let field = rng.pick(NULLABLE_FIELDS);
                if !out.contains_key(field) && !out.contains_key(&snake_case(field)) {
                    out.insert(field.to_owned(), Value::Null);
                }
            }
            Value::Object(out)
        }
        // Elements of a repeated scalar field take the field's encoding.
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|e| restyle_value(e, key, rng))
                .collect(),
        ),
        Value::String(s) if INT64_FIELDS.contains(&key) && rng.below(2) == 0 => {
            if let Ok(u) = s.parse::<u64>() {
                Value::from(u)
            } else if let Ok(i) = s.parse::<i64>() {
                Value::from(i)
            } else {
                Value::String(s)
            }
        }
        Value::Number(n) if INT32_FIELDS.contains(&key) && rng.below(2) == 0 => {
            Value::String(n.to_string())
        }
        Value::Number(n) if rng.below(2) == 0 => {
            match n.as_i64().and_then(|i| i32::try_from(i).ok()) {
                Some(i) if enum_name(key, i).is_some() => Value::from(enum_name(key, i)),
                _ if DOUBLE_FIELDS.contains(&key) && n.is_f64() => {
                    Value::String(n.as_f64().map_or_else(String::new, |f| f.to_string()))
                }
                _ => Value::Number(n),
            }
        }
        other => other,
    }
}
