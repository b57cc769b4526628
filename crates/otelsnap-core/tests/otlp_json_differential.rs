//! The streaming OTLP/JSON decoder (`otlp::json`) against the tree decoder it replaced
//! (`otlp::json::tree`, the reference): on generated documents in every spelling and encoding
//! the spec allows, both return the same request, and on the same documents damaged in
//! every way we can think of, both return the same error, message and path included.
//!
//! Documents come from random requests (every signal, every metric type, nested AnyValues)
//! encoded by the testkit, then `restyle`d (snake_case names, integers as numbers or strings,
//! enums as names, unknown fields, explicit nulls) and mutated. Keys are never repeated within
//! an object here: that is the one case where the decoders differ on purpose (see
//! `otlp::json`), checked apart at the end.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

use opentelemetry_proto::tonic::collector::{
    logs::v1::ExportLogsServiceRequest, metrics::v1::ExportMetricsServiceRequest,
    trace::v1::ExportTraceServiceRequest,
};
use opentelemetry_proto::tonic::common::v1::{
    AnyValue, ArrayValue, EntityRef, InstrumentationScope, KeyValue, KeyValueList, any_value,
};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::metrics::v1::{
    Exemplar, ExponentialHistogram, ExponentialHistogramDataPoint, Gauge, Histogram,
    HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum, Summary,
    SummaryDataPoint, exemplar, exponential_histogram_data_point, metric, number_data_point,
    summary_data_point,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status, span};
use otelsnap_core::otlp::OtlpRequest;
use otelsnap_core::otlp::json::{self, JsonError, tree};
use otelsnap_testkit::otlp_json::{
    encode_logs, encode_metrics, encode_traces, restyle, snake_case,
};
use otelsnap_testkit::rng::Rng;
use proptest::prelude::*;
use prost::Message;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Random requests.

struct Gen(Rng);

impl Gen {
    fn n(&mut self, max: u64) -> usize {
        self.0.below(max + 1) as usize
    }

    fn coin(&mut self) -> bool {
        self.0.below(2) == 0
    }

    fn text(&mut self) -> String {
        self.0
            .pick(&[
                "",
                "checkout",
                "GET /cart",
                "é ü 世界",
                "quote \" back \\ nl \n",
                "x.y_z",
            ])
            .to_owned()
    }

    fn u64(&mut self) -> u64 {
        match self.0.below(4) {
            0 => 0,
            1 => self.0.below(1000),
            2 => u64::MAX - self.0.below(3),
            _ => self.0.next_u64(),
        }
    }

    fn i64(&mut self) -> i64 {
        match self.0.below(4) {
            0 => 0,
            1 => self.0.below(1000) as i64 - 500,
            2 => i64::MIN + self.0.below(3) as i64,
            _ => self.0.next_u64() as i64,
        }
    }

    /// Doubles whose JSON text reads back exactly, plus the non-finite ones.
    fn f64(&mut self) -> f64 {
        match self.0.below(8) {
            0 => f64::NAN,
            1 => f64::INFINITY,
            2 => f64::NEG_INFINITY,
            3 => 0.0,
            _ => (self.0.below(100_000) as f64 - 50_000.0) / 64.0,
        }
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.0.below(256) as u8).collect()
    }

    fn id(&mut self, len: usize) -> Vec<u8> {
        if self.0.below(4) == 0 {
            Vec::new()
        } else {
            self.bytes(len)
        }
    }

    fn any_value(&mut self, depth: u32) -> AnyValue {
        use any_value::Value as V;
        let kinds = if depth == 0 { 7 } else { 9 };
        let value = match self.0.below(kinds) {
            0 => None,
            1 => Some(V::StringValue(self.text())),
            2 => Some(V::BoolValue(self.coin())),
            3 => Some(V::IntValue(self.i64())),
            4 => Some(V::DoubleValue(self.f64())),
            5 => {
                let n = self.n(5);
                Some(V::BytesValue(self.bytes(n)))
            }
            6 => Some(V::StringValueStrindex(self.0.below(10) as i32)),
            7 => Some(V::ArrayValue(ArrayValue {
                values: (0..self.n(3)).map(|_| self.any_value(depth - 1)).collect(),
            })),
            _ => Some(V::KvlistValue(KeyValueList {
                values: self.attributes(depth - 1),
            })),
        };
        AnyValue { value }
    }

    fn attributes(&mut self, depth: u32) -> Vec<KeyValue> {
        (0..self.n(3))
            .map(|_| KeyValue {
                key: self.text(),
                value: (self.0.below(8) != 0).then(|| self.any_value(depth)),
                key_strindex: if self.0.below(8) == 0 { 3 } else { 0 },
            })
            .collect()
    }

    fn attrs(&mut self) -> Vec<KeyValue> {
        let depth = self.0.below(4) as u32;
        self.attributes(depth)
    }

    fn resource(&mut self) -> Option<Resource> {
        self.coin().then(|| Resource {
            attributes: self.attrs(),
            dropped_attributes_count: self.0.below(3) as u32,
            entity_refs: (0..self.n(1))
                .map(|_| EntityRef {
                    schema_url: self.text(),
                    r#type: self.text(),
                    id_keys: (0..self.n(2)).map(|_| self.text()).collect(),
                    description_keys: (0..self.n(2)).map(|_| self.text()).collect(),
                })
                .collect(),
        })
    }

    fn scope(&mut self) -> Option<InstrumentationScope> {
        self.coin().then(|| InstrumentationScope {
            name: self.text(),
            version: self.text(),
            attributes: self.attrs(),
            dropped_attributes_count: self.0.below(3) as u32,
        })
    }

    fn exemplars(&mut self) -> Vec<Exemplar> {
        (0..self.n(1))
            .map(|_| Exemplar {
                filtered_attributes: self.attrs(),
                time_unix_nano: self.u64(),
                span_id: self.id(8),
                trace_id: self.id(16),
                value: match self.0.below(3) {
                    0 => None,
                    1 => Some(exemplar::Value::AsDouble(self.f64())),
                    _ => Some(exemplar::Value::AsInt(self.i64())),
                },
            })
            .collect()
    }

    fn flags(&mut self) -> u32 {
        self.0.pick(&[0, 1, 0xff, 0x100, 0x300, u32::MAX])
    }

    fn temporality(&mut self) -> i32 {
        self.0.below(4) as i32
    }

    fn number_points(&mut self) -> Vec<NumberDataPoint> {
        (0..self.n(3))
            .map(|_| NumberDataPoint {
                attributes: self.attrs(),
                start_time_unix_nano: self.u64(),
                time_unix_nano: self.u64(),
                exemplars: self.exemplars(),
                flags: self.flags(),
                value: match self.0.below(3) {
                    0 => None,
                    1 => Some(number_data_point::Value::AsDouble(self.f64())),
                    _ => Some(number_data_point::Value::AsInt(self.i64())),
                },
            })
            .collect()
    }

    fn opt_f64(&mut self) -> Option<f64> {
        self.coin().then(|| self.f64())
    }

    fn buckets(&mut self) -> Option<exponential_histogram_data_point::Buckets> {
        self.coin()
            .then(|| exponential_histogram_data_point::Buckets {
                offset: self.0.below(20) as i32 - 10,
                bucket_counts: (0..self.n(3)).map(|_| self.u64()).collect(),
            })
    }

    fn metric(&mut self) -> Metric {
        use metric::Data;
        let data = match self.0.below(6) {
            0 => None,
            1 => Some(Data::Gauge(Gauge {
                data_points: self.number_points(),
            })),
            2 => Some(Data::Sum(Sum {
                data_points: self.number_points(),
                aggregation_temporality: self.temporality(),
                is_monotonic: self.coin(),
            })),
            3 => Some(Data::Histogram(Histogram {
                data_points: (0..self.n(2))
                    .map(|_| HistogramDataPoint {
                        attributes: self.attrs(),
                        start_time_unix_nano: self.u64(),
                        time_unix_nano: self.u64(),
                        count: self.u64(),
                        sum: self.opt_f64(),
                        bucket_counts: (0..self.n(4)).map(|_| self.u64()).collect(),
                        explicit_bounds: (0..self.n(3)).map(|_| self.f64()).collect(),
                        exemplars: self.exemplars(),
                        flags: self.flags(),
                        min: self.opt_f64(),
                        max: self.opt_f64(),
                    })
                    .collect(),
                aggregation_temporality: self.temporality(),
            })),
            4 => Some(Data::ExponentialHistogram(ExponentialHistogram {
                data_points: (0..self.n(2))
                    .map(|_| ExponentialHistogramDataPoint {
                        attributes: self.attrs(),
                        start_time_unix_nano: self.u64(),
                        time_unix_nano: self.u64(),
                        count: self.u64(),
                        sum: self.opt_f64(),
                        scale: self.0.below(20) as i32 - 10,
                        zero_count: self.u64(),
                        positive: self.buckets(),
                        negative: self.buckets(),
                        flags: self.flags(),
                        exemplars: self.exemplars(),
                        min: self.opt_f64(),
                        max: self.opt_f64(),
                        zero_threshold: self.f64(),
                    })
                    .collect(),
                aggregation_temporality: self.temporality(),
            })),
            _ => Some(Data::Summary(Summary {
                data_points: (0..self.n(2))
                    .map(|_| SummaryDataPoint {
                        attributes: self.attrs(),
                        start_time_unix_nano: self.u64(),
                        time_unix_nano: self.u64(),
                        count: self.u64(),
                        sum: self.f64(),
                        quantile_values: (0..self.n(3))
                            .map(|_| summary_data_point::ValueAtQuantile {
                                quantile: self.f64(),
                                value: self.f64(),
                            })
                            .collect(),
                        flags: self.flags(),
                    })
                    .collect(),
            })),
        };
        Metric {
            name: self.text(),
            description: self.text(),
            unit: self.text(),
            metadata: self.attrs(),
            data,
        }
    }

    fn metrics(&mut self) -> ExportMetricsServiceRequest {
        ExportMetricsServiceRequest {
            resource_metrics: (0..self.n(2))
                .map(|_| ResourceMetrics {
                    resource: self.resource(),
                    scope_metrics: (0..self.n(2))
                        .map(|_| ScopeMetrics {
                            scope: self.scope(),
                            metrics: (0..self.n(4)).map(|_| self.metric()).collect(),
                            schema_url: self.text(),
                        })
                        .collect(),
                    schema_url: self.text(),
                })
                .collect(),
        }
    }

    fn span(&mut self) -> Span {
        Span {
            trace_id: self.id(16),
            span_id: self.id(8),
            trace_state: self.text(),
            parent_span_id: self.id(8),
            flags: self.flags(),
            name: self.text(),
            kind: self.0.below(8) as i32,
            start_time_unix_nano: self.u64(),
            end_time_unix_nano: self.u64(),
            attributes: self.attrs(),
            dropped_attributes_count: self.0.below(3) as u32,
            events: (0..self.n(2))
                .map(|_| span::Event {
                    time_unix_nano: self.u64(),
                    name: self.text(),
                    attributes: self.attrs(),
                    dropped_attributes_count: self.0.below(3) as u32,
                })
                .collect(),
            dropped_events_count: self.0.below(3) as u32,
            links: (0..self.n(2))
                .map(|_| span::Link {
                    trace_id: self.id(16),
                    span_id: self.id(8),
                    trace_state: self.text(),
                    attributes: self.attrs(),
                    dropped_attributes_count: self.0.below(3) as u32,
                    flags: self.flags(),
                })
                .collect(),
            dropped_links_count: self.0.below(3) as u32,
            status: self.coin().then(|| Status {
                message: self.text(),
                code: self.0.below(4) as i32,
            }),
        }
    }

    fn traces(&mut self) -> ExportTraceServiceRequest {
        ExportTraceServiceRequest {
            resource_spans: (0..self.n(2))
                .map(|_| ResourceSpans {
                    resource: self.resource(),
                    scope_spans: (0..self.n(2))
                        .map(|_| ScopeSpans {
                            scope: self.scope(),
                            spans: (0..self.n(3)).map(|_| self.span()).collect(),
                            schema_url: self.text(),
                        })
                        .collect(),
                    schema_url: self.text(),
                })
                .collect(),
        }
    }

    fn logs(&mut self) -> ExportLogsServiceRequest {
        ExportLogsServiceRequest {
            resource_logs: (0..self.n(2))
                .map(|_| ResourceLogs {
                    resource: self.resource(),
                    scope_logs: (0..self.n(2))
                        .map(|_| ScopeLogs {
                            scope: self.scope(),
                            log_records: (0..self.n(3))
                                .map(|_| LogRecord {
                                    time_unix_nano: self.u64(),
                                    observed_time_unix_nano: self.u64(),
                                    severity_number: self.0.below(27) as i32,
                                    severity_text: self.text(),
                                    body: self.coin().then(|| {
                                        let depth = self.0.below(5) as u32;
                                        self.any_value(depth)
                                    }),
                                    attributes: self.attrs(),
                                    dropped_attributes_count: self.0.below(3) as u32,
                                    flags: self.flags(),
                                    trace_id: self.id(16),
                                    span_id: self.id(8),
                                    event_name: self.text(),
                                })
                                .collect(),
                            schema_url: self.text(),
                        })
                        .collect(),
                    schema_url: self.text(),
                })
                .collect(),
        }
    }

    /// A request of a random signal and its document, restyled.
    fn document(&mut self) -> (OtlpRequest, Value) {
        let (req, doc) = match self.0.below(3) {
            0 => {
                let r = self.metrics();
                let d = encode_metrics(&r);
                (OtlpRequest::Metrics(r), d)
            }
            1 => {
                let r = self.traces();
                let d = encode_traces(&r);
                (OtlpRequest::Traces(r), d)
            }
            _ => {
                let r = self.logs();
                let d = encode_logs(&r);
                (OtlpRequest::Logs(r), d)
            }
        };
        let doc = if self.0.below(4) == 0 {
            doc
        } else {
            restyle(doc, &mut self.0)
        };
        (req, doc)
    }
}

// ---------------------------------------------------------------------------------------------
// Comparing the decoders.

/// Protobuf bytes: compares NaN payloads bit for bit, where `==` on the prost types would not.
fn wire(req: &OtlpRequest) -> (u8, Vec<u8>) {
    match req {
        OtlpRequest::Metrics(r) => (0, r.encode_to_vec()),
        OtlpRequest::Traces(r) => (1, r.encode_to_vec()),
        OtlpRequest::Logs(r) => (2, r.encode_to_vec()),
    }
}

fn agree<T>(
    what: &str,
    new: Result<T, JsonError>,
    old: Result<T, JsonError>,
    enc: fn(&T) -> Vec<u8>,
) {
    match (&new, &old) {
        (Ok(a), Ok(b)) => assert!(enc(a) == enc(b), "{what}: the decoders disagree"),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{what}"),
        _ => panic!(
            "{what}: new {:?}, old {:?}",
            new.as_ref().err(),
            old.as_ref().err()
        ),
    }
}

/// Every entry point of the new decoder answers as the tree decoder does on `bytes`; returns
/// the answer of `decode_any`.
fn same(bytes: &[u8]) -> Result<OtlpRequest, JsonError> {
    let any = json::decode_any(bytes);
    agree("decode_any", clone(&any), tree::decode_any(bytes), |r| {
        wire(r).1
    });
    agree(
        "decode_metrics",
        json::decode_metrics(bytes),
        tree::decode_metrics(bytes),
        |r| r.encode_to_vec(),
    );
    agree(
        "decode_traces",
        json::decode_traces(bytes),
        tree::decode_traces(bytes),
        |r| r.encode_to_vec(),
    );
    agree(
        "decode_logs",
        json::decode_logs(bytes),
        tree::decode_logs(bytes),
        |r| r.encode_to_vec(),
    );
    if let Ok(doc) = serde_json::from_slice::<Value>(bytes) {
        agree(
            "decode_any_value",
            json::decode_any_value(&doc),
            tree::decode_any_value(&doc),
            |r| wire(r).1,
        );
    }
    // As `--from-file` reads documents: a stream over a reader, strings never borrowed.
    let mut stream = serde_json::Deserializer::from_reader(bytes).into_iter::<json::Document>();
    match (stream.next(), &any) {
        (Some(Ok(json::Document(got))), _) if stream.next().is_none() => {
            agree("Document", got, clone(&any), |r| wire(r).1)
        }
        (Some(Err(_)) | None, Err(JsonError::Syntax(_))) => {}
        (got, _) => {
            // Several documents in a row are a stream's business, not an error of one.
            let many = matches!(got, Some(Ok(_)));
            assert!(many, "Document: {got:?} against {any:?}");
        }
    }
    any
}

fn clone(r: &Result<OtlpRequest, JsonError>) -> Result<OtlpRequest, JsonError> {
    match r {
        Ok(v) => Ok(v.clone()),
        Err(JsonError::Syntax(s)) => Err(JsonError::Syntax(s.clone())),
        Err(JsonError::Invalid { path, reason }) => Err(JsonError::Invalid {
            path: path.clone(),
            reason: reason.clone(),
        }),
        Err(JsonError::UnknownSignal) => Err(JsonError::UnknownSignal),
    }
}

// ---------------------------------------------------------------------------------------------
// Damage.

/// Every value in the document, as a path of keys and indexes from the root.
fn locations(v: &Value, here: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    out.push(here.clone());
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                here.push(Step::Key(k.clone()));
                locations(child, here, out);
                here.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                here.push(Step::Index(i));
                locations(child, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

fn at<'v>(v: &'v mut Value, path: &[Step]) -> &'v mut Value {
    path.iter().fold(v, |v, step| match step {
        Step::Key(k) => &mut v[k.as_str()],
        Step::Index(i) => &mut v[*i],
    })
}

/// Field names of every OTLP message, in both spellings, for keys added where they may or
/// may not belong (a second oneof member, a field in both spellings, a known field of
/// another message).
const FIELD_NAMES: &[&str] = &[
    "resourceMetrics",
    "resourceSpans",
    "resourceLogs",
    "resource",
    "scopeMetrics",
    "scope",
    "metrics",
    "name",
    "gauge",
    "sum",
    "histogram",
    "exponentialHistogram",
    "summary",
    "dataPoints",
    "asInt",
    "asDouble",
    "timeUnixNano",
    "attributes",
    "key",
    "value",
    "stringValue",
    "intValue",
    "doubleValue",
    "boolValue",
    "bytesValue",
    "arrayValue",
    "kvlistValue",
    "values",
    "traceId",
    "spanId",
    "kind",
    "status",
    "code",
    "flags",
    "severityNumber",
    "body",
    "bucketCounts",
    "aggregationTemporality",
    "count",
];

const ODD_VALUES: &[&str] = &[
    "null",
    "true",
    "0",
    "-1",
    "1.5",
    "1e300",
    "18446744073709551616",
    "4294967296",
    "-9223372036854775809",
    "\"\"",
    "\"x\"",
    "\"NaN\"",
    "\"nan\"",
    "\"1e3\"",
    "\"-\"",
    "\"0x10\"",
    "\"SPAN_KIND_BOGUS\"",
    "\"SPAN_KIND_SERVER\"",
    "\"5b8efff798038103d269b633813fc60c\"",
    "\"eee19b7ec3c1b17\"",
    "\"!!!!\"",
    "\"aGVsbG8\"",
    "[]",
    "[null]",
    "[1,\"x\"]",
    "{}",
    "{\"stringValue\":\"a\",\"intValue\":1}",
    "{\"values\":[{}]}",
];

/// One damage, chosen by `kind` and placed by `seed`.
fn damage(doc: &mut Value, kind: u8, seed: u64) {
    let mut rng = Rng::new(seed);
    let mut all = Vec::new();
    locations(doc, &mut Vec::new(), &mut all);
    let place = rng.pick(&all);
    let odd: Value = serde_json::from_str(rng.pick(ODD_VALUES)).unwrap();
    match kind % 6 {
        // A value replaced by one of another type or out of range.
        0 if !place.is_empty() => *at(doc, &place) = odd,
        // A field added to an object: maybe a second oneof member, maybe a known name in the
        // wrong message.
        1 | 2 => {
            let objects: Vec<_> = all
                .iter()
                .filter(|p| at(doc, p).is_object())
                .cloned()
                .collect();
            let target = rng.pick(&objects);
            let name = rng.pick(FIELD_NAMES);
            let name = if rng.below(3) == 0 {
                snake_case(name)
            } else {
                name.to_owned()
            };
            let value = if kind % 6 == 1 { odd } else { json!({}) };
            if let Some(map) = at(doc, &target).as_object_mut() {
                map.insert(name, value);
            }
        }
        // A field given again under its other spelling.
        3 => {
            let keyed: Vec<_> = all
                .iter()
                .filter(|p| matches!(p.last(), Some(Step::Key(k)) if k.contains('_') || k.chars().any(|c| c.is_ascii_uppercase())))
                .cloned()
                .collect();
            if keyed.is_empty() {
                return;
            }
            let mut place = rng.pick(&keyed);
            let Some(Step::Key(k)) = place.pop() else {
                return;
            };
            let other = if k.contains('_') {
                k.split('_')
                    .enumerate()
                    .map(|(i, w)| {
                        if i == 0 {
                            w.to_owned()
                        } else {
                            w[..1].to_uppercase() + &w[1..]
                        }
                    })
                    .collect()
            } else {
                snake_case(&k)
            };
            let value = if rng.below(2) == 0 {
                at(doc, &place)[k.as_str()].clone()
            } else {
                odd
            };
            if let Some(map) = at(doc, &place).as_object_mut() {
                map.insert(other, value);
            }
        }
        // An AnyValue nested past the depth limit, wherever it lands.
        4 => {
            let mut v = json!({"stringValue": "leaf"});
            for _ in 0..rng.range(30, 36) {
                v = json!({"arrayValue": {"values": [v]}});
            }
            let objects: Vec<_> = all
                .iter()
                .filter(|p| at(doc, p).is_object())
                .cloned()
                .collect();
            let target = rng.pick(&objects);
            let key = rng.pick(&["body", "value", "arrayValue", "futureField"]);
            if let Some(map) = at(doc, &target).as_object_mut() {
                map.insert(key.to_owned(), v["arrayValue"].take());
            }
        }
        // A field removed.
        _ if !place.is_empty() => {
            let mut parent = place.clone();
            match parent.pop() {
                Some(Step::Key(k)) => {
                    if let Some(map) = at(doc, &parent).as_object_mut() {
                        map.remove(&k);
                    }
                }
                Some(Step::Index(i)) => {
                    if let Some(items) = at(doc, &parent).as_array_mut() {
                        items.remove(i);
                    }
                }
                None => {}
            }
        }
        _ => {}
    }
}

/// Damage to the bytes themselves: cut short, trailing garbage, nesting past serde_json's
/// limit inside an unknown field, a byte overwritten.
fn damage_bytes(bytes: &mut Vec<u8>, kind: u8, seed: u64) {
    let mut rng = Rng::new(seed);
    let len = bytes.len() as u64;
    match kind % 4 {
        0 => bytes.truncate(rng.below(len) as usize),
        1 => bytes.extend_from_slice(rng.pick(&[&b" x"[..], b"{}", b"]", b" \n\t"])),
        2 => {
            if let Some(open) = bytes.iter().position(|&b| b == b'{') {
                let deep = format!("\"futureField\":{}1{},", "[".repeat(140), "]".repeat(140));
                bytes.splice(open + 1..open + 1, deep.into_bytes());
            }
        }
        _ => {
            let i = rng.below(len) as usize;
            bytes[i] = rng.pick(&[b'"', b'{', b'}', b',', b':', b'x', b'0', 0xff]);
        }
    }
}

/// True when some object repeats a key: the decoders differ there on purpose.
fn repeats_a_key(bytes: &[u8]) -> bool {
    struct Walk;
    impl<'de> serde::de::Visitor<'de> for Walk {
        type Value = bool;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("JSON")
        }
        fn visit_bool<E>(self, _: bool) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_i64<E>(self, _: i64) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_u64<E>(self, _: u64) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_f64<E>(self, _: f64) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_str<E>(self, _: &str) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_unit<E>(self) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
            let mut any = false;
            while let Some(r) = seq.next_element::<Repeats>()? {
                any |= r.0;
            }
            Ok(any)
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
            let mut keys = std::collections::HashSet::new();
            let mut any = false;
            while let Some(k) = map.next_key::<String>()? {
                any |= !keys.insert(k);
                any |= map.next_value::<Repeats>()?.0;
            }
            Ok(any)
        }
    }
    struct Repeats(bool);
    impl<'de> serde::Deserialize<'de> for Repeats {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(Walk).map(Repeats)
        }
    }
    serde_json::from_slice::<Repeats>(bytes).is_ok_and(|r| r.0)
}

// ---------------------------------------------------------------------------------------------
// Properties.

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Valid documents in any spelling and encoding: both decoders return the request that
    /// was encoded.
    #[test]
    fn valid_documents_decode_alike(seed in any::<u64>()) {
        let (want, doc) = Gen(Rng::new(seed)).document();
        let bytes = serde_json::to_vec(&doc).unwrap();
        let got = same(&bytes).unwrap_or_else(|e| panic!("{e}\n{doc}"));
        prop_assert!(wire(&got) == wire(&want), "decoded differently from the request:\n{doc}");
    }

    /// Damaged documents (one or several damages: the error reported must be the same one
    /// of several, as a sorted walk meets them): both decoders fail alike, or accept alike.
    #[test]
    fn damaged_documents_fail_alike(
        seed in any::<u64>(),
        damages in proptest::collection::vec((any::<u8>(), any::<u64>()), 1..4),
        bytes_damage in proptest::option::weighted(0.2, (any::<u8>(), any::<u64>())),
    ) {
        let (_, mut doc) = Gen(Rng::new(seed)).document();
        for (kind, at) in &damages {
            damage(&mut doc, *kind, *at);
        }
        let mut bytes = serde_json::to_vec(&doc).unwrap();
        if let Some((kind, at)) = bytes_damage {
            damage_bytes(&mut bytes, kind, at);
        }
        prop_assume!(!repeats_a_key(&bytes));
        // `same` asserts the decoders agree; either answer is right for damage.
        let _answer = same(&bytes);
    }
}

// ---------------------------------------------------------------------------------------------
// Cases worth naming.

#[test]
fn several_errors_in_one_object_report_the_smallest_key() {
    // In document order the first error is timeUnixNano's; sorted, asInt comes first.
    let doc = br#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"gauge":{"dataPoints":[
        {"timeUnixNano":"x","flags":"NOPE","asInt":true}]}}]}]}]}"#;
    let err = same(doc).unwrap_err().to_string();
    assert!(err.contains("dataPoints[0].asInt"), "{err}");
    // A oneof's second member in sorted order is the one reported, wherever it stands.
    let doc = br#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"sum":{},"gauge":{}}]}]}]}"#;
    let err = same(doc).unwrap_err().to_string();
    assert!(err.contains("metrics[0].sum:"), "{err}");
    // The snake_case spelling is reported whichever comes first.
    let doc = br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"time_unix_nano":"2","timeUnixNano":"1"}]}]}]}"#;
    let err = same(doc).unwrap_err().to_string();
    assert!(err.contains("logRecords[0].time_unix_nano"), "{err}");
}

#[test]
fn a_syntax_error_after_a_semantic_one_wins() {
    let doc = br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":true}]}]}],"#;
    assert!(matches!(same(doc), Err(JsonError::Syntax(_))));
    // Nesting past serde_json's limit under an unknown key, after an invalid value.
    let doc = format!(
        r#"{{"resourceLogs":{{}},"zz":{}1{}}}"#,
        "[".repeat(200),
        "]".repeat(200)
    );
    assert!(matches!(same(doc.as_bytes()), Err(JsonError::Syntax(_))));
}

#[test]
fn unknown_keys_clash_with_known_spellings() {
    // "as_Int" is no field name, but its camelCase is asInt: the tree decoder refused it, so
    // does the new one.
    let doc = br#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"gauge":{"dataPoints":[
        {"asInt":"1","as_Int":5}]}}]}]}]}"#;
    let err = same(doc).unwrap_err().to_string();
    assert!(err.contains("as_Int"), "{err}");
    let doc = br#"{"resourceSpans":[],"future_thing":1,"futureThing":null}"#;
    same(doc).unwrap();
    let doc = br#"{"resourceSpans":[],"future_thing":1,"futureThing":2}"#;
    assert!(same(doc).is_err());
}

#[test]
fn repeated_keys_are_judged_by_their_last_occurrence() {
    // The tree saw only the last occurrence of a repeated key; the stream decodes them all but
    // judges the last one, so both answer alike.
    let doc =
        br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"severityText":"a","severityText":"b",
        "body":{"intValue":1},"body":null,"timeUnixNano":"1","time_unix_nano":null,
        "flags":"NOPE","flags":3}]}]}]}"#;
    let new = same(doc).unwrap();
    let OtlpRequest::Logs(logs) = new else {
        panic!("{new:?}")
    };
    let record = &logs.resource_logs[0].scope_logs[0].log_records[0];
    assert_eq!(record.severity_text, "b");
    assert_eq!(record.body, None);
    assert_eq!(record.time_unix_nano, 1);
    assert_eq!(record.flags, 3);
    // A oneof member given, then another, then the first one nulled: the second stands.
    let doc = br#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"gauge":{"dataPoints":[
        {"asInt":"1","asDouble":2.5,"asInt":null}]}}]}]}]}"#;
    same(doc).unwrap();
    let doc = br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"severityText":"b","severityText":5}]}]}]}"#;
    assert!(same(doc).is_err());
}

#[test]
fn the_one_difference_both_spellings_then_one_nulled() {
    // Documented in `otlp::json`: a field under both spellings, one of them repeated as null.
    // The tree kept the surviving spelling's value; the stream keeps the last value written.
    let doc = br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[
        {"timeUnixNano":"1","time_unix_nano":"2","time_unix_nano":null}]}]}]}"#;
    let time = |r: ExportLogsServiceRequest| {
        r.resource_logs[0].scope_logs[0].log_records[0].time_unix_nano
    };
    assert_eq!(time(tree::decode_logs(doc).unwrap()), 1);
    assert_eq!(time(json::decode_logs(doc).unwrap()), 2);
}
