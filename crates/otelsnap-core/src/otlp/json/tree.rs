//! Today's OTLP/JSON decoder, kept as the reference for the streaming one: it parses the whole
//! document into a `serde_json::Value`, then walks the tree (object keys in sorted order, as
//! `serde_json::Map` holds them). The differential test (`tests/otlp_json_differential.rs`) and
//! the ingest benchmark (`examples/bench_json_ingest.rs`) compare the two; nothing else uses it.

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use opentelemetry_proto::tonic::collector::{
    logs::v1::ExportLogsServiceRequest, metrics::v1::ExportMetricsServiceRequest,
    trace::v1::ExportTraceServiceRequest,
};
use opentelemetry_proto::tonic::common::v1::{
    AnyValue, ArrayValue, EntityRef, InstrumentationScope, KeyValue, KeyValueList, any_value,
};
use opentelemetry_proto::tonic::logs::v1::{
    LogRecord, LogRecordFlags, ResourceLogs, ScopeLogs, SeverityNumber,
};
use opentelemetry_proto::tonic::metrics::v1::{
    AggregationTemporality, DataPointFlags, Exemplar, ExponentialHistogram,
    ExponentialHistogramDataPoint, Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint,
    ResourceMetrics, ScopeMetrics, Sum, Summary, SummaryDataPoint, exemplar,
    exponential_histogram_data_point, metric, number_data_point, summary_data_point,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{
    ResourceSpans, ScopeSpans, Span, SpanFlags, Status, span, status,
};
use serde_json::{Map, Value};

use super::{JsonError, MAX_ANY_VALUE_DEPTH, Path, invalid, lower_camel};
use crate::otlp::OtlpRequest;

type Result<T> = std::result::Result<T, JsonError>;

/// Decodes an OTLP/JSON ExportMetricsServiceRequest (or MetricsData, which has the same shape).
pub fn decode_metrics(bytes: &[u8]) -> Result<ExportMetricsServiceRequest> {
    let doc = parse(bytes)?;
    metrics_request(&doc, &Path::ROOT)
}

/// Decodes an OTLP/JSON ExportTraceServiceRequest (or TracesData, which has the same shape).
pub fn decode_traces(bytes: &[u8]) -> Result<ExportTraceServiceRequest> {
    let doc = parse(bytes)?;
    traces_request(&doc, &Path::ROOT)
}

/// Decodes an OTLP/JSON ExportLogsServiceRequest (or LogsData, which has the same shape).
pub fn decode_logs(bytes: &[u8]) -> Result<ExportLogsServiceRequest> {
    let doc = parse(bytes)?;
    logs_request(&doc, &Path::ROOT)
}

/// Tells the signal from the top-level key (resourceMetrics / resourceSpans / resourceLogs, or snake_case), as the OTLP file exporter writes one MetricsData/TracesData/LogsData per line.
pub fn decode_any(bytes: &[u8]) -> Result<OtlpRequest> {
    decode_any_value(&parse(bytes)?)
}

/// Like [`decode_any`] for a document already parsed (e.g. from a JSON stream), without re-serializing it.
pub fn decode_any_value(doc: &Value) -> Result<OtlpRequest> {
    let map = object(doc, &Path::ROOT)?;
    let has = |camel: &str, snake: &str| {
        [camel, snake]
            .iter()
            .any(|k| map.get(*k).is_some_and(|v| !v.is_null()))
    };
    let found = [
        has("resourceMetrics", "resource_metrics"),
        has("resourceSpans", "resource_spans"),
        has("resourceLogs", "resource_logs"),
    ];
    match found {
        [true, false, false] => metrics_request(doc, &Path::ROOT).map(OtlpRequest::Metrics),
        [false, true, false] => traces_request(doc, &Path::ROOT).map(OtlpRequest::Traces),
        [false, false, true] => logs_request(doc, &Path::ROOT).map(OtlpRequest::Logs),
        [false, false, false] => Err(JsonError::UnknownSignal),
        _ => Err(invalid(
            &Path::ROOT,
            "more than one signal in one document (resourceMetrics/resourceSpans/resourceLogs)",
        )),
    }
}

fn parse(bytes: &[u8]) -> Result<Value> {
    serde_json::from_slice(bytes).map_err(|e| JsonError::Syntax(e.to_string()))
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn wrong_type(v: &Value, path: &Path, expected: &str) -> JsonError {
    invalid(path, format!("expected {expected}, found {}", type_name(v)))
}

// ---------------------------------------------------------------------------------------------
// Scalars.

fn object<'v>(v: &'v Value, path: &Path) -> Result<&'v Map<String, Value>> {
    v.as_object()
        .ok_or_else(|| wrong_type(v, path, "an object"))
}

/// Walks an object's present (non-null) fields; unknown keys are the callback's `_ => {}`.
fn fields(
    v: &Value,
    path: &Path,
    mut f: impl FnMut(&str, &Value, &Path) -> Result<()>,
) -> Result<()> {
    let map = object(v, path)?;
    for (key, value) in map {
        if value.is_null() {
            continue;
        }
        let p = path.key(key);
        // The two spellings of one field would otherwise silently overwrite each other.
        if key.contains('_') {
            let camel = lower_camel(key);
            if map.get(&camel).is_some_and(|other| !other.is_null()) {
                return Err(invalid(
                    &p,
                    format!("field given twice, as {key:?} and {camel:?}"),
                ));
            }
        }
        f(key, value, &p)?;
    }
    Ok(())
}

fn list<T>(
    v: &Value,
    path: &Path,
    mut item: impl FnMut(&Value, &Path) -> Result<T>,
) -> Result<Vec<T>> {
    let arr = v
        .as_array()
        .ok_or_else(|| wrong_type(v, path, "an array"))?;
    let mut out = Vec::with_capacity(arr.len());
    for (i, elem) in arr.iter().enumerate() {
        let p = path.index(i);
        if elem.is_null() {
            return Err(invalid(&p, "null is not allowed as a list element"));
        }
        out.push(item(elem, &p)?);
    }
    Ok(out)
}

fn string(v: &Value, path: &Path) -> Result<String> {
    v.as_str()
        .map(str::to_owned)
        .ok_or_else(|| wrong_type(v, path, "a string"))
}

fn boolean(v: &Value, path: &Path) -> Result<bool> {
    v.as_bool().ok_or_else(|| wrong_type(v, path, "a boolean"))
}

/// Any protobuf integer as JSON number or decimal string, widened so each caller range-checks.
fn integer(v: &Value, path: &Path) -> Result<i128> {
    match v {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Ok(i128::from(i))
            } else if let Some(u) = n.as_u64() {
                Ok(i128::from(u))
            } else {
                // Protobuf JSON allows exponent/fraction notation for integral values (1e3, 5.0).
                match n.as_f64() {
                    Some(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 1.9e19 => {
                        Ok(f as i128)
                    }
                    _ => Err(invalid(path, format!("{n} is not an integer"))),
                }
            }
        }
        Value::String(s) => {
            let digits = s.strip_prefix('-').unwrap_or(s);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 30
            {
                return Err(invalid(
                    path,
                    format!("{s:?} is not a decimal integer string"),
                ));
            }
            s.parse::<i128>()
                .map_err(|e| invalid(path, format!("{s:?} is not a decimal integer: {e}")))
        }
        _ => Err(wrong_type(v, path, "an integer (number or decimal string)")),
    }
}

fn ranged<T: TryFrom<i128>>(v: &Value, path: &Path, what: &str) -> Result<T> {
    let n = integer(v, path)?;
    T::try_from(n).map_err(|_| invalid(path, format!("{n} is out of range for {what}")))
}

fn int64(v: &Value, path: &Path) -> Result<i64> {
    ranged(v, path, "int64")
}

fn uint64(v: &Value, path: &Path) -> Result<u64> {
    ranged(v, path, "uint64")
}

fn int32(v: &Value, path: &Path) -> Result<i32> {
    ranged(v, path, "int32")
}

fn uint32(v: &Value, path: &Path) -> Result<u32> {
    ranged(v, path, "uint32")
}

fn double(v: &Value, path: &Path) -> Result<f64> {
    match v {
        Value::Number(n) => n
            .as_f64()
            .ok_or_else(|| invalid(path, format!("{n} is not a double"))),
        Value::String(s) => match s.as_str() {
            "NaN" => Ok(f64::NAN),
            "Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            // Rust's parser also takes "inf"/"nan" spellings that proto3 JSON does not.
            _ => match s.parse::<f64>() {
                Ok(f) if f.is_finite() => Ok(f),
                _ => Err(invalid(
                    path,
                    format!(
                        "{s:?} is not a double (number, \"NaN\", \"Infinity\" or \"-Infinity\")"
                    ),
                )),
            },
        },
        _ => Err(wrong_type(v, path, "a double (number or string)")),
    }
}

/// An enum as its integer value or its proto name; unknown integers are kept (proto3 enums are
/// open), unknown names are an error because their value cannot be known.
fn enumeration(
    v: &Value,
    path: &Path,
    what: &str,
    from_name: fn(&str) -> Option<i32>,
) -> Result<i32> {
    match v {
        Value::String(s) => match from_name(s) {
            Some(n) => Ok(n),
            None if s.bytes().all(|b| b.is_ascii_digit() || b == b'-') && !s.is_empty() => {
                int32(v, path)
            }
            None => Err(invalid(path, format!("unknown {what} name {s:?}"))),
        },
        Value::Number(_) => int32(v, path),
        _ => Err(wrong_type(v, path, &format!("a {what} (integer or name)"))),
    }
}

/// Flags are plain integers in the proto; their enum names are accepted too as the brief for
/// this decoder asks, since some hand-written payloads use them.
fn flags(v: &Value, path: &Path, from_name: fn(&str) -> Option<u32>) -> Result<u32> {
    if let Value::String(s) = v
        && let Some(n) = from_name(s)
    {
        return Ok(n);
    }
    uint32(v, path)
}

fn data_point_flags(v: &Value, path: &Path) -> Result<u32> {
    flags(v, path, |s| {
        DataPointFlags::from_str_name(s).map(|f| f as u32)
    })
}

fn span_flags(v: &Value, path: &Path) -> Result<u32> {
    flags(v, path, |s| SpanFlags::from_str_name(s).map(|f| f as u32))
}

fn log_flags(v: &Value, path: &Path) -> Result<u32> {
    flags(v, path, |s| {
        LogRecordFlags::from_str_name(s).map(|f| f as u32)
    })
}

fn hex_id(v: &Value, path: &Path, len: usize, what: &str) -> Result<Vec<u8>> {
    let s = v
        .as_str()
        .ok_or_else(|| wrong_type(v, path, &format!("a {what} hex string")))?;
    if s.is_empty() {
        return Ok(Vec::new());
    }
    if s.len() != len * 2 {
        return Err(invalid(
            path,
            format!(
                "{what} must be {} hex digits, found {} characters",
                len * 2,
                s.len()
            ),
        ));
    }
    let nibble = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    };
    s.as_bytes()
        .chunks_exact(2)
        .map(|pair| match (nibble(pair[0]), nibble(pair[1])) {
            (Some(hi), Some(lo)) => Ok(hi << 4 | lo),
            _ => Err(invalid(path, format!("{what} {s:?} is not hexadecimal"))),
        })
        .collect()
}

fn trace_id(v: &Value, path: &Path) -> Result<Vec<u8>> {
    hex_id(v, path, 16, "traceId")
}

fn span_id(v: &Value, path: &Path) -> Result<Vec<u8>> {
    hex_id(v, path, 8, "spanId")
}

/// Proto3 JSON bytes: standard or URL-safe base64, padded or not.
fn bytes(v: &Value, path: &Path) -> Result<Vec<u8>> {
    const CONFIG: GeneralPurposeConfig =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, CONFIG);
    const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, CONFIG);
    let s = v
        .as_str()
        .ok_or_else(|| wrong_type(v, path, "a base64 string"))?;
    STANDARD
        .decode(s)
        .or_else(|e| URL_SAFE.decode(s).map_err(|_| e))
        .map_err(|e| invalid(path, format!("invalid base64: {e}")))
}

fn set_oneof<T>(slot: &mut Option<T>, value: T, path: &Path, group: &str) -> Result<()> {
    if slot.is_some() {
        return Err(invalid(
            path,
            format!("more than one field of the {group} oneof is set"),
        ));
    }
    *slot = Some(value);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Common messages.

fn any_value(v: &Value, path: &Path, depth: usize) -> Result<AnyValue> {
    use any_value::Value as V;
    if depth > MAX_ANY_VALUE_DEPTH {
        return Err(invalid(
            path,
            format!("AnyValue nested deeper than {MAX_ANY_VALUE_DEPTH} levels"),
        ));
    }
    let mut out = None;
    fields(v, path, |k, v, p| {
        let value = match k {
            "stringValue" | "string_value" => V::StringValue(string(v, p)?),
            "boolValue" | "bool_value" => V::BoolValue(boolean(v, p)?),
            "intValue" | "int_value" => V::IntValue(int64(v, p)?),
            "doubleValue" | "double_value" => V::DoubleValue(double(v, p)?),
            "bytesValue" | "bytes_value" => V::BytesValue(bytes(v, p)?),
            "arrayValue" | "array_value" => {
                let mut values = Vec::new();
                fields(v, p, |k, v, p| {
                    if k == "values" {
                        values = list(v, p, |v, p| any_value(v, p, depth + 1))?;
                    }
                    Ok(())
                })?;
                V::ArrayValue(ArrayValue { values })
            }
            "kvlistValue" | "kvlist_value" => {
                let mut values = Vec::new();
                fields(v, p, |k, v, p| {
                    if k == "values" {
                        values = list(v, p, |v, p| key_value(v, p, depth + 1))?;
                    }
                    Ok(())
                })?;
                V::KvlistValue(KeyValueList { values })
            }
            "stringValueStrindex" | "string_value_strindex" => V::StringValueStrindex(int32(v, p)?),
            _ => return Ok(()),
        };
        set_oneof(&mut out, value, p, "AnyValue.value")
    })?;
    Ok(AnyValue { value: out })
}

fn key_value(v: &Value, path: &Path, depth: usize) -> Result<KeyValue> {
    let mut out = KeyValue::default();
    fields(v, path, |k, v, p| {
        match k {
            "key" => out.key = string(v, p)?,
            "value" => out.value = Some(any_value(v, p, depth)?),
            "keyStrindex" | "key_strindex" => out.key_strindex = int32(v, p)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

fn attributes(v: &Value, path: &Path) -> Result<Vec<KeyValue>> {
    list(v, path, |v, p| key_value(v, p, 1))
}

fn string_list(v: &Value, path: &Path) -> Result<Vec<String>> {
    list(v, path, string)
}

fn entity_ref(v: &Value, path: &Path) -> Result<EntityRef> {
    let mut out = EntityRef::default();
    fields(v, path, |k, v, p| {
        match k {
            "schemaUrl" | "schema_url" => out.schema_url = string(v, p)?,
            "type" => out.r#type = string(v, p)?,
            "idKeys" | "id_keys" => out.id_keys = string_list(v, p)?,
            "descriptionKeys" | "description_keys" => out.description_keys = string_list(v, p)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

fn resource(v: &Value, path: &Path) -> Result<Resource> {
    let mut out = Resource::default();
    fields(v, path, |k, v, p| {
        match k {
            "attributes" => out.attributes = attributes(v, p)?,
            "droppedAttributesCount" | "dropped_attributes_count" => {
                out.dropped_attributes_count = uint32(v, p)?
            }
            "entityRefs" | "entity_refs" => out.entity_refs = list(v, p, entity_ref)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

fn scope(v: &Value, path: &Path) -> Result<InstrumentationScope> {
    let mut out = InstrumentationScope::default();
    fields(v, path, |k, v, p| {
        match k {
            "name" => out.name = string(v, p)?,
            "version" => out.version = string(v, p)?,
            "attributes" => out.attributes = attributes(v, p)?,
            "droppedAttributesCount" | "dropped_attributes_count" => {
                out.dropped_attributes_count = uint32(v, p)?
            }
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Metrics.

fn metrics_request(v: &Value, path: &Path) -> Result<ExportMetricsServiceRequest> {
    let mut out = ExportMetricsServiceRequest::default();
    fields(v, path, |k, v, p| {
        if matches!(k, "resourceMetrics" | "resource_metrics") {
            out.resource_metrics = list(v, p, resource_metrics)?;
        }
        Ok(())
    })?;
    Ok(out)
}

fn resource_metrics(v: &Value, path: &Path) -> Result<ResourceMetrics> {
    let mut out = ResourceMetrics::default();
    fields(v, path, |k, v, p| {
        match k {
            "resource" => out.resource = Some(resource(v, p)?),
            "scopeMetrics" | "scope_metrics" => out.scope_metrics = list(v, p, scope_metrics)?,
            "schemaUrl" | "schema_url" => out.schema_url = string(v, p)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

fn scope_metrics(v: &Value, path: &Path) -> Result<ScopeMetrics> {
    let mut out = ScopeMetrics::default();
    fields(v, path, |k, v, p| {
        match k {
            "scope" => out.scope = Some(scope(v, p)?),
            "metrics" => out.metrics = list(v, p, metric)?,
            "schemaUrl" | "schema_url" => out.schema_url = string(v, p)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

fn metric(v: &Value, path: &Path) -> Result<Metric> {
    use metric::Data;
    let mut out = Metric::default();
    fields(v, path, |k, v, p| {
        let data = match k {
            "name" => {
                out.name = string(v, p)?;
                return Ok(());
            }
            "description" => {
                out.description = string(v, p)?;
                return Ok(());
            }
            "unit" => {
                out.unit = string(v, p)?;
                return Ok(());
            }
            "metadata" => {
                out.metadata = attributes(v, p)?;
                return Ok(());
            }
            "gauge" => Data::Gauge(gauge(v, p)?),
            "sum" => Data::Sum(sum(v, p)?),
            "histogram" => Data::Histogram(histogram(v, p)?),
            "exponentialHistogram" | "exponential_histogram" => {
                Data::ExponentialHistogram(exponential_histogram(v, p)?)
            }
            "summary" => Data::Summary(summary(v, p)?),
            _ => return Ok(()),
        };
        set_oneof(&mut out.data, data, p, "Metric.data")
    })?;
    Ok(out)
}

fn aggregation_temporality(v: &Value, path: &Path) -> Result<i32> {
    enumeration(v, path, "AggregationTemporality", |s| {
        AggregationTemporality::from_str_name(s).map(|e| e as i32)
    })
}

fn gauge(v: &Value, path: &Path) -> Result<Gauge> {
    let mut out = Gauge::default();
    fields(v, path, |k, v, p| {
        if matches!(k, "dataPoints" | "data_points") {
            out.data_points = list(v, p, number_data_point)?;
        }
        Ok(())
    })?;
    Ok(out)
}

fn sum(v: &Value, path: &Path) -> Result<Sum> {
    let mut out = Sum::default();
    fields(v, path, |k, v, p| {
        match k {
            "dataPoints" | "data_points" => out.data_points = list(v, p, number_data_point)?,
            "aggregationTemporality" | "aggregation_temporality" => {
                out.aggregation_temporality = aggregation_temporality(v, p)?
            }
            "isMonotonic" | "is_monotonic" => out.is_monotonic = boolean(v, p)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

fn histogram(v: &Value, path: &Path) -> Result<Histogram> {
    let mut out = Histogram::default();
    fields(v, path, |k, v, p| {
        match k {
            "dataPoints" | "data_points" => out.data_points = list(v, p, histogram_data_point)?,
            "aggregationTemporality" | "aggregation_temporality" => {
                out.aggregation_temporality = aggregation_temporality(v, p)?
            }
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

fn exponential_histogram(v: &Value, path: &Path) -> Result<ExponentialHistogram> {
    let mut out = ExponentialHistogram::default();
    fields(v, path, |k, v, p| {
        match k {
            "dataPoints" | "data_points" => {
                out.data_points = list(v, p, exponential_histogram_data_point)?
            }
            "aggregationTemporality" | "aggregation_temporality" => {
                out.aggregation_temporality = aggregation_temporality(v, p)?
            }
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

fn summary(v: &Value, path: &Path) -> Result<Summary> {
    let mut out = Summary::default();
    fields(v, path, |k, v, p| {
        if matches!(k, "dataPoints" | "data_points") {
            out.data_points = list(v, p, summary_data_point)?;
        }
        Ok(())
    })?;
    Ok(out)
}

fn number_data_point(v: &Value, path: &Path) -> Result<NumberDataPoint> {
    use number_data_point::Value as V;
    let mut out = NumberDataPoint::default();
    fields(v, path, |k, v, p| {
        match k {
            "attributes" => out.attributes = attributes(v, p)?,
            "startTimeUnixNano" | "start_time_unix_nano" => {
                out.start_time_unix_nano = uint64(v, p)?
            }
            "timeUnixNano" | "time_unix_nano" => out.time_unix_nano = uint64(v, p)?,
            "exemplars" => out.exemplars = list(v, p, exemplar)?,
            "flags" => out.flags = data_point_flags(v, p)?,
            "asDouble" | "as_double" => set_oneof(
                &mut out.value,
                V::AsDouble(double(v, p)?),
                p,
                "NumberDataPoint.value",
            )?,
            "asInt" | "as_int" => set_oneof(
                &mut out.value,
                V::AsInt(int64(v, p)?),
                p,
                "NumberDataPoint.value",
            )?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

fn histogram_data_point(v: &Value, path: &Path) -> Result<HistogramDataPoint> {
    let mut out = HistogramDataPoint::default();
    fields(v, path, |k, v, p| {
        match k {
            "attributes" => out.attributes = attributes(v, p)?,
            "startTimeUnixNano" | "start_time_unix_nano" => {
                out.start_time_unix_nano = uint64(v, p)?
            }
            "timeUnixNano" | "time_unix_nano" => out.time_unix_nano = uint64(v, p)?,
            "count" => out.count = uint64(v, p)?,
            "sum" => out.sum = Some(double(v, p)?),
            "bucketCounts" | "bucket_counts" => out.bucket_counts = list(v, p, uint64)?,
            "explicitBounds" | "explicit_bounds" => out.explicit_bounds = list(v, p, double)?,
            "exemplars" => out.exemplars = list(v, p, exemplar)?,
            "flags" => out.flags = data_point_flags(v, p)?,
            "min" => out.min = Some(double(v, p)?),
            "max" => out.max = Some(double(v, p)?),
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

fn buckets(v: &Value, path: &Path) -> Result<exponential_histogram_data_point::Buckets> {
    let mut out = exponential_histogram_data_point::Buckets::default();
    fields(v, path, |k, v, p| {
        match k {
            "offset" => out.offset = int32(v, p)?,
            "bucketCounts" | "bucket_counts" => out.bucket_counts = list(v, p, uint64)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

fn exponential_histogram_data_point(
    v: &Value,
    path: &Path,
) -> Result<ExponentialHistogramDataPoint> {
    let mut out = ExponentialHistogramDataPoint::default();
    fields(v, path, |k, v, p| {
        match k {
            "attributes" => out.attributes = attributes(v, p)?,
            "startTimeUnixNano" | "start_time_unix_nano" => {
                out.start_time_unix_nano = uint64(v, p)?
            }
            "timeUnixNano" | "time_unix_nano" => out.time_unix_nano = uint64(v, p)?,
            "count" => out.count = uint64(v, p)?,
            "sum" => out.sum = Some(double(v, p)?),
            "scale" => out.scale = int32(v, p)?,
            "zeroCount" | "zero_count" => out.zero_count = uint64(v, p)?,
            "positive" => out.positive = Some(buckets(v, p)?),
            "negative" => out.negative = Some(buckets(v, p)?),
            "flags" => out.flags = data_point_flags(v, p)?,
            "exemplars" => out.exemplars = list(v, p, exemplar)?,
            "min" => out.min = Some(double(v, p)?),
            "max" => out.max = Some(double(v, p)?),
            "zeroThreshold" | "zero_threshold" => out.zero_threshold = double(v, p)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

fn summary_data_point(v: &Value, path: &Path) -> Result<SummaryDataPoint> {
    let mut out = SummaryDataPoint::default();
    fields(v, path, |k, v, p| {
        match k {
            "attributes" => out.attributes = attributes(v, p)?,
            "startTimeUnixNano" | "start_time_unix_nano" => {
                out.start_time_unix_nano = uint64(v, p)?
            }
            "timeUnixNano" | "time_unix_nano" => out.time_unix_nano = uint64(v, p)?,
            "count" => out.count = uint64(v, p)?,
            "sum" => out.sum = double(v, p)?,
            "quantileValues" | "quantile_values" => {
                out.quantile_values = list(v, p, value_at_quantile)?
            }
            "flags" => out.flags = data_point_flags(v, p)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

fn value_at_quantile(v: &Value, path: &Path) -> Result<summary_data_point::ValueAtQuantile> {
    let mut out = summary_data_point::ValueAtQuantile::default();
    fields(v, path, |k, v, p| {
        match k {
            "quantile" => out.quantile = double(v, p)?,
            "value" => out.value = double(v, p)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

fn exemplar(v: &Value, path: &Path) -> Result<Exemplar> {
    use exemplar::Value as V;
    let mut out = Exemplar::default();
    fields(v, path, |k, v, p| {
        match k {
            "filteredAttributes" | "filtered_attributes" => {
                out.filtered_attributes = attributes(v, p)?
            }
            "timeUnixNano" | "time_unix_nano" => out.time_unix_nano = uint64(v, p)?,
            "spanId" | "span_id" => out.span_id = span_id(v, p)?,
            "traceId" | "trace_id" => out.trace_id = trace_id(v, p)?,
            "asDouble" | "as_double" => set_oneof(
                &mut out.value,
                V::AsDouble(double(v, p)?),
                p,
                "Exemplar.value",
            )?,
            "asInt" | "as_int" => {
                set_oneof(&mut out.value, V::AsInt(int64(v, p)?), p, "Exemplar.value")?
            }
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Traces.

fn traces_request(v: &Value, path: &Path) -> Result<ExportTraceServiceRequest> {
    let mut out = ExportTraceServiceRequest::default();
    fields(v, path, |k, v, p| {
        if matches!(k, "resourceSpans" | "resource_spans") {
            out.resource_spans = list(v, p, resource_spans)?;
        }
        Ok(())
    })?;
    Ok(out)
}

fn resource_spans(v: &Value, path: &Path) -> Result<ResourceSpans> {
    let mut out = ResourceSpans::default();
    fields(v, path, |k, v, p| {
        match k {
            "resource" => out.resource = Some(resource(v, p)?),
            "scopeSpans" | "scope_spans" => out.scope_spans = list(v, p, scope_spans)?,
            "schemaUrl" | "schema_url" => out.schema_url = string(v, p)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

fn scope_spans(v: &Value, path: &Path) -> Result<ScopeSpans> {
    let mut out = ScopeSpans::default();
    fields(v, path, |k, v, p| {
        match k {
            "scope" => out.scope = Some(scope(v, p)?),
            "spans" => out.spans = list(v, p, span)?,
            "schemaUrl" | "schema_url" => out.schema_url = string(v, p)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

fn span(v: &Value, path: &Path) -> Result<Span> {
    let mut out = Span::default();
    fields(v, path, |k, v, p| {
        match k {
            "traceId" | "trace_id" => out.trace_id = trace_id(v, p)?,
            "spanId" | "span_id" => out.span_id = span_id(v, p)?,
            "traceState" | "trace_state" => out.trace_state = string(v, p)?,
            "parentSpanId" | "parent_span_id" => out.parent_span_id = span_id(v, p)?,
            "flags" => out.flags = span_flags(v, p)?,
            "name" => out.name = string(v, p)?,
            "kind" => {
                out.kind = enumeration(v, p, "SpanKind", |s| {
                    span::SpanKind::from_str_name(s).map(|e| e as i32)
                })?
            }
            "startTimeUnixNano" | "start_time_unix_nano" => {
                out.start_time_unix_nano = uint64(v, p)?
            }
            "endTimeUnixNano" | "end_time_unix_nano" => out.end_time_unix_nano = uint64(v, p)?,
            "attributes" => out.attributes = attributes(v, p)?,
            "droppedAttributesCount" | "dropped_attributes_count" => {
                out.dropped_attributes_count = uint32(v, p)?
            }
            "events" => out.events = list(v, p, span_event)?,
            "droppedEventsCount" | "dropped_events_count" => {
                out.dropped_events_count = uint32(v, p)?
            }
            "links" => out.links = list(v, p, span_link)?,
            "droppedLinksCount" | "dropped_links_count" => out.dropped_links_count = uint32(v, p)?,
            "status" => out.status = Some(span_status(v, p)?),
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

fn span_event(v: &Value, path: &Path) -> Result<span::Event> {
    let mut out = span::Event::default();
    fields(v, path, |k, v, p| {
        match k {
            "timeUnixNano" | "time_unix_nano" => out.time_unix_nano = uint64(v, p)?,
            "name" => out.name = string(v, p)?,
            "attributes" => out.attributes = attributes(v, p)?,
            "droppedAttributesCount" | "dropped_attributes_count" => {
                out.dropped_attributes_count = uint32(v, p)?
            }
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

fn span_link(v: &Value, path: &Path) -> Result<span::Link> {
    let mut out = span::Link::default();
    fields(v, path, |k, v, p| {
        match k {
            "traceId" | "trace_id" => out.trace_id = trace_id(v, p)?,
            "spanId" | "span_id" => out.span_id = span_id(v, p)?,
            "traceState" | "trace_state" => out.trace_state = string(v, p)?,
            "attributes" => out.attributes = attributes(v, p)?,
            "droppedAttributesCount" | "dropped_attributes_count" => {
                out.dropped_attributes_count = uint32(v, p)?
            }
            "flags" => out.flags = span_flags(v, p)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

fn span_status(v: &Value, path: &Path) -> Result<Status> {
    let mut out = Status::default();
    fields(v, path, |k, v, p| {
        match k {
            "message" => out.message = string(v, p)?,
            "code" => {
                out.code = enumeration(v, p, "StatusCode", |s| {
                    status::StatusCode::from_str_name(s).map(|e| e as i32)
                })?
            }
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Logs.

fn logs_request(v: &Value, path: &Path) -> Result<ExportLogsServiceRequest> {
    let mut out = ExportLogsServiceRequest::default();
    fields(v, path, |k, v, p| {
        if matches!(k, "resourceLogs" | "resource_logs") {
            out.resource_logs = list(v, p, resource_logs)?;
        }
        Ok(())
    })?;
    Ok(out)
}

fn resource_logs(v: &Value, path: &Path) -> Result<ResourceLogs> {
    let mut out = ResourceLogs::default();
    fields(v, path, |k, v, p| {
        match k {
            "resource" => out.resource = Some(resource(v, p)?),
            "scopeLogs" | "scope_logs" => out.scope_logs = list(v, p, scope_logs)?,
            "schemaUrl" | "schema_url" => out.schema_url = string(v, p)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

fn scope_logs(v: &Value, path: &Path) -> Result<ScopeLogs> {
    let mut out = ScopeLogs::default();
    fields(v, path, |k, v, p| {
        match k {
            "scope" => out.scope = Some(scope(v, p)?),
            "logRecords" | "log_records" => out.log_records = list(v, p, log_record)?,
            "schemaUrl" | "schema_url" => out.schema_url = string(v, p)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

fn log_record(v: &Value, path: &Path) -> Result<LogRecord> {
    let mut out = LogRecord::default();
    fields(v, path, |k, v, p| {
        match k {
            "timeUnixNano" | "time_unix_nano" => out.time_unix_nano = uint64(v, p)?,
            "observedTimeUnixNano" | "observed_time_unix_nano" => {
                out.observed_time_unix_nano = uint64(v, p)?
            }
            "severityNumber" | "severity_number" => {
                out.severity_number = enumeration(v, p, "SeverityNumber", |s| {
                    SeverityNumber::from_str_name(s).map(|e| e as i32)
                })?
            }
            "severityText" | "severity_text" => out.severity_text = string(v, p)?,
            "body" => out.body = Some(any_value(v, p, 1)?),
            "attributes" => out.attributes = attributes(v, p)?,
            "droppedAttributesCount" | "dropped_attributes_count" => {
                out.dropped_attributes_count = uint32(v, p)?
            }
            "flags" => out.flags = log_flags(v, p)?,
            "traceId" | "trace_id" => out.trace_id = trace_id(v, p)?,
            "spanId" | "span_id" => out.span_id = span_id(v, p)?,
            "eventName" | "event_name" => out.event_name = string(v, p)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}
