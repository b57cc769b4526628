//! The OTLP/JSON decoder proper: serde visitors that fill the prost types while the document
//! is parsed, with no `serde_json::Value` in between. The parser is the fast reader (`scan`),
//! through [`Kind::read`] (objects and lists read by the decoder's own loops, the common
//! attribute shape by [`Message::quick`]), or `serde_json` through serde's traits: the same
//! visitors, the same answers.
//!
//! Every value is read through a [`Kind`] (what each JSON type becomes, or why it is wrong) and
//! every object through a [`Message`] (its field names, in both spellings, and where each
//! field's value goes). A semantic error does not stop the parser: it travels up as a value
//! while the rest of the document is still parsed (and validated, unknown fields included), so
//! a syntax error anywhere wins as it did when the whole document was parsed first. Within an
//! object, errors are kept per key and judged when the object ends, in sorted key order, which
//! is the order the tree decoder visited a `serde_json::Map` in: the same error comes out.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

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
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::scan::{Bail, Number, Scan};
use super::{JsonError, MAX_ANY_VALUE_DEPTH, Path, invalid, lower_camel};
use crate::otlp::OtlpRequest;

type Res<T> = Result<T, JsonError>;

/// Decodes `bytes` as one JSON document of kind `k`, trailing whitespace allowed.
pub(super) fn from_slice<K: Kind + Copy>(bytes: &[u8], k: K) -> Res<K::Out> {
    // The fast reader answers for valid requests; anything else (a document it gives up on,
    // or an invalid request) is decoded again with serde_json, so that every error is worded
    // and located as serde_json and the visitors word it.
    if let Ok(text) = std::str::from_utf8(bytes)
        && let Some(Ok(out)) = fast(text, k)
    {
        return Ok(out);
    }
    by_serde(bytes, k)
}

/// Decodes with the fast reader alone: `None` where it gives up.
pub(super) fn fast<K: Kind>(text: &str, k: K) -> Option<Res<K::Out>> {
    super::scan::read(text, |s| k.read(&Path::ROOT, s)).ok()
}

/// Decodes with serde_json alone.
pub(super) fn by_serde<K: Kind>(bytes: &[u8], k: K) -> Res<K::Out> {
    // Read from bytes, serde_json checks the UTF-8 of every string it meets; checked once for
    // the whole document (fast on ASCII), the strings are taken as they are. Invalid UTF-8 is
    // read from bytes, so its error is the one serde_json gives there, at the same place.
    match std::str::from_utf8(bytes) {
        Ok(text) => document(serde_json::Deserializer::from_str(text), k),
        Err(_) => document(serde_json::Deserializer::from_slice(bytes), k),
    }
}

fn document<'de, R: serde_json::de::Read<'de>, K: Kind>(
    mut de: serde_json::Deserializer<R>,
    k: K,
) -> Res<K::Out> {
    let out = root(k).deserialize(&mut de).map_err(syntax)?;
    de.end().map_err(syntax)?;
    out
}

/// Decodes an already parsed document.
pub(super) fn from_value<K: Kind>(doc: &Value, k: K) -> Res<K::Out> {
    root(k).deserialize(doc).map_err(syntax)?
}

/// Decodes from any deserializer; its own errors (syntax, I/O) stay outside.
pub(super) fn deserialize<'de, D: Deserializer<'de>, K: Kind>(
    d: D,
    k: K,
) -> Result<Res<K::Out>, D::Error> {
    root(k).deserialize(d)
}

fn root<K>(k: K) -> Seed<'static, K> {
    Seed { p: &Path::ROOT, k }
}

fn syntax(e: serde_json::Error) -> JsonError {
    JsonError::Syntax(e.to_string())
}

/// An ExportMetricsServiceRequest.
pub(super) fn metrics_request() -> impl Kind<Out = ExportMetricsServiceRequest> + Copy {
    Msg(MetricsRequestM)
}

/// An ExportTraceServiceRequest.
pub(super) fn traces_request() -> impl Kind<Out = ExportTraceServiceRequest> + Copy {
    Msg(TracesRequestM)
}

/// An ExportLogsServiceRequest.
pub(super) fn logs_request() -> impl Kind<Out = ExportLogsServiceRequest> + Copy {
    Msg(LogsRequestM)
}

/// A request of whichever signal its top-level key names.
pub(super) fn any_request() -> impl Kind<Out = OtlpRequest> + Copy {
    AnyRequest
}

// ---------------------------------------------------------------------------------------------
// Values.

/// A JSON number as the parser delivered it (never non-finite).
#[derive(Clone, Copy)]
pub(super) enum Num {
    U(u64),
    I(i64),
    F(f64),
}

/// What one JSON value decodes into. Each JSON type has a method; the defaults reject it as
/// the wrong type (consuming it, so the parser stays in step).
pub(super) trait Kind: Sized {
    /// The decoded value.
    type Out;

    /// What was expected, for "expected X, found Y".
    fn expected(&self) -> Cow<'static, str>;

    fn null(self, p: &Path) -> Res<Self::Out> {
        Err(wrong(p, &self.expected(), "null"))
    }

    fn boolean(self, p: &Path, _: bool) -> Res<Self::Out> {
        Err(wrong(p, &self.expected(), "a boolean"))
    }

    fn number(self, p: &Path, _: Num) -> Res<Self::Out> {
        Err(wrong(p, &self.expected(), "a number"))
    }

    fn string(self, p: &Path, _: &str) -> Res<Self::Out> {
        Err(wrong(p, &self.expected(), "a string"))
    }

    fn object<'de, A: MapAccess<'de>>(self, p: &Path, map: A) -> Result<Res<Self::Out>, A::Error> {
        let err = wrong(p, &self.expected(), "an object");
        skip_map(map)?;
        Ok(Err(err))
    }

    fn array<'de, A: SeqAccess<'de>>(self, p: &Path, seq: A) -> Result<Res<Self::Out>, A::Error> {
        let err = wrong(p, &self.expected(), "an array");
        skip_seq(seq)?;
        Ok(Err(err))
    }

    /// The value read by the fast reader: through serde's visitor, unless the kind reads its
    /// objects and arrays itself (messages, lists), which saves a visitor per value and lets
    /// a message try a shortcut.
    fn read(self, p: &Path, s: &mut Scan<'_>) -> Result<Res<Self::Out>, Bail> {
        Seed { p, k: self }.deserialize(s)
    }
}

impl From<Number> for Num {
    fn from(n: Number) -> Num {
        match n {
            Number::U(u) => Num::U(u),
            Number::I(i) => Num::I(i),
            Number::F(f) => Num::F(f),
        }
    }
}

fn wrong(p: &Path, expected: &str, found: &str) -> JsonError {
    invalid(p, format!("expected {expected}, found {found}"))
}

/// A [`Kind`] at a path, as serde's seed and visitor.
struct Seed<'p, K> {
    p: &'p Path<'p>,
    k: K,
}

impl<'de, K: Kind> DeserializeSeed<'de> for Seed<'_, K> {
    type Value = Res<K::Out>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, K: Kind> Visitor<'de> for Seed<'_, K> {
    type Value = Res<K::Out>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(self.k.boolean(self.p, v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(self.k.number(self.p, Num::I(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(self.k.number(self.p, Num::U(v)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(self.k.number(self.p, Num::F(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(self.k.string(self.p, v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(self.k.null(self.p))
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(self.k.null(self.p))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.k.object(self.p, map)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        self.k.array(self.p, seq)
    }
}

/// Any value, parsed in full (so syntax and nesting are checked as for a decoded value) and
/// dropped; tells whether it was non-null.
#[derive(Clone, Copy)]
struct Skip;

impl Kind for Skip {
    type Out = bool;

    fn expected(&self) -> Cow<'static, str> {
        Cow::Borrowed("any value")
    }

    fn null(self, _: &Path) -> Res<bool> {
        Ok(false)
    }

    fn boolean(self, _: &Path, _: bool) -> Res<bool> {
        Ok(true)
    }

    fn number(self, _: &Path, _: Num) -> Res<bool> {
        Ok(true)
    }

    fn string(self, _: &Path, _: &str) -> Res<bool> {
        Ok(true)
    }

    fn object<'de, A: MapAccess<'de>>(self, _: &Path, map: A) -> Result<Res<bool>, A::Error> {
        skip_map(map)?;
        Ok(Ok(true))
    }

    fn array<'de, A: SeqAccess<'de>>(self, _: &Path, seq: A) -> Result<Res<bool>, A::Error> {
        skip_seq(seq)?;
        Ok(Ok(true))
    }
}

fn skip_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_key_seed(SkipKey)?.is_some() {
        // Skipping cannot fail but on syntax (the outer error).
        let _present = map.next_value_seed(root(Skip))?;
    }
    Ok(())
}

fn skip_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element_seed(root(Skip))?.is_some() {}
    Ok(())
}

/// An object key, read as a string (as `serde_json::Map` reads it) and dropped.
struct SkipKey;

impl<'de> DeserializeSeed<'de> for SkipKey {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for SkipKey {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
}

/// A field's value: `null` is absent (`None`).
#[derive(Clone, Copy)]
struct Nullable<K>(K);

impl<K: Kind> Kind for Nullable<K> {
    type Out = Option<K::Out>;

    fn expected(&self) -> Cow<'static, str> {
        self.0.expected()
    }

    fn null(self, _: &Path) -> Res<Self::Out> {
        Ok(None)
    }

    fn boolean(self, p: &Path, v: bool) -> Res<Self::Out> {
        self.0.boolean(p, v).map(Some)
    }

    fn number(self, p: &Path, v: Num) -> Res<Self::Out> {
        self.0.number(p, v).map(Some)
    }

    fn string(self, p: &Path, v: &str) -> Res<Self::Out> {
        self.0.string(p, v).map(Some)
    }

    fn object<'de, A: MapAccess<'de>>(self, p: &Path, map: A) -> Result<Res<Self::Out>, A::Error> {
        Ok(self.0.object(p, map)?.map(Some))
    }

    fn array<'de, A: SeqAccess<'de>>(self, p: &Path, seq: A) -> Result<Res<Self::Out>, A::Error> {
        Ok(self.0.array(p, seq)?.map(Some))
    }

    fn read(self, p: &Path, s: &mut Scan<'_>) -> Result<Res<Self::Out>, Bail> {
        if s.token()? == b'n' {
            s.null()?;
            return Ok(Ok(None));
        }
        Ok(self.0.read(p, s)?.map(Some))
    }
}

/// A list element: `null` is an error.
#[derive(Clone, Copy)]
struct Element<K>(K);

impl<K: Kind> Kind for Element<K> {
    type Out = K::Out;

    fn expected(&self) -> Cow<'static, str> {
        self.0.expected()
    }

    fn null(self, p: &Path) -> Res<Self::Out> {
        Err(invalid(p, "null is not allowed as a list element"))
    }

    fn boolean(self, p: &Path, v: bool) -> Res<Self::Out> {
        self.0.boolean(p, v)
    }

    fn number(self, p: &Path, v: Num) -> Res<Self::Out> {
        self.0.number(p, v)
    }

    fn string(self, p: &Path, v: &str) -> Res<Self::Out> {
        self.0.string(p, v)
    }

    fn object<'de, A: MapAccess<'de>>(self, p: &Path, map: A) -> Result<Res<Self::Out>, A::Error> {
        self.0.object(p, map)
    }

    fn array<'de, A: SeqAccess<'de>>(self, p: &Path, seq: A) -> Result<Res<Self::Out>, A::Error> {
        self.0.array(p, seq)
    }

    fn read(self, p: &Path, s: &mut Scan<'_>) -> Result<Res<Self::Out>, Bail> {
        if s.token()? == b'n' {
            s.null()?;
            return Ok(self.null(p));
        }
        self.0.read(p, s)
    }
}

/// A repeated field: a JSON array of `K`; the first bad element is the error.
#[derive(Clone, Copy)]
struct List<K>(K);

impl<K: Kind + Copy> Kind for List<K> {
    type Out = Vec<K::Out>;

    fn expected(&self) -> Cow<'static, str> {
        Cow::Borrowed("an array")
    }

    fn array<'de, A: SeqAccess<'de>>(
        self,
        p: &Path,
        mut seq: A,
    ) -> Result<Res<Self::Out>, A::Error> {
        let mut out = Vec::new();
        loop {
            let at = p.index(out.len());
            let seed = Seed {
                p: &at,
                k: Element(self.0),
            };
            match seq.next_element_seed(seed)? {
                None => return Ok(Ok(out)),
                Some(Ok(v)) => out.push(v),
                Some(Err(e)) => {
                    skip_seq(seq)?;
                    return Ok(Err(e));
                }
            }
        }
    }

    fn read(self, p: &Path, s: &mut Scan<'_>) -> Result<Res<Self::Out>, Bail> {
        if s.token()? != b'[' {
            return Seed { p, k: self }.deserialize(s);
        }
        s.open()?;
        let mut out = Vec::new();
        while s.next_element(out.is_empty())? {
            let at = p.index(out.len());
            match Element(self.0).read(&at, s)? {
                Ok(v) => out.push(v),
                Err(e) => {
                    while s.next_element(false)? {
                        let _present = Skip.read(&Path::ROOT, s)?;
                    }
                    return Ok(Err(e));
                }
            }
        }
        Ok(Ok(out))
    }
}

// ---------------------------------------------------------------------------------------------
// Scalars.

#[derive(Clone, Copy)]
struct Str;

impl Kind for Str {
    type Out = String;

    fn expected(&self) -> Cow<'static, str> {
        Cow::Borrowed("a string")
    }

    fn string(self, _: &Path, v: &str) -> Res<String> {
        Ok(v.to_owned())
    }
}

#[derive(Clone, Copy)]
struct Bool;

impl Kind for Bool {
    type Out = bool;

    fn expected(&self) -> Cow<'static, str> {
        Cow::Borrowed("a boolean")
    }

    fn boolean(self, _: &Path, v: bool) -> Res<bool> {
        Ok(v)
    }
}

/// A protobuf integer field, as a JSON number or a decimal string, range-checked for `T`.
struct Int<T> {
    what: &'static str,
    _t: PhantomData<fn() -> T>,
}

impl<T> Clone for Int<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Int<T> {}

const INT64: Int<i64> = Int {
    what: "int64",
    _t: PhantomData,
};
const UINT64: Int<u64> = Int {
    what: "uint64",
    _t: PhantomData,
};
const INT32: Int<i32> = Int {
    what: "int32",
    _t: PhantomData,
};
const UINT32: Int<u32> = Int {
    what: "uint32",
    _t: PhantomData,
};

const INTEGER: &str = "an integer (number or decimal string)";

impl<T: TryFrom<i128>> Kind for Int<T> {
    type Out = T;

    fn expected(&self) -> Cow<'static, str> {
        Cow::Borrowed(INTEGER)
    }

    fn number(self, p: &Path, v: Num) -> Res<T> {
        ranged(p, integer_number(p, v)?, self.what)
    }

    fn string(self, p: &Path, v: &str) -> Res<T> {
        ranged(p, integer_string(p, v)?, self.what)
    }
}

fn ranged<T: TryFrom<i128>>(p: &Path, n: i128, what: &str) -> Res<T> {
    T::try_from(n).map_err(|_| invalid(p, format!("{n} is out of range for {what}")))
}

fn integer_number(p: &Path, v: Num) -> Res<i128> {
    match v {
        Num::U(u) => Ok(i128::from(u)),
        Num::I(i) => Ok(i128::from(i)),
        // Protobuf JSON allows exponent/fraction notation for integral values (1e3, 5.0).
        Num::F(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 1.9e19 => Ok(f as i128),
        Num::F(f) => {
            // Printed as serde_json prints the number.
            let shown =
                serde_json::Number::from_f64(f).map_or_else(|| f.to_string(), |n| n.to_string());
            Err(invalid(p, format!("{shown} is not an integer")))
        }
    }
}

fn integer_string(p: &Path, s: &str) -> Res<i128> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 30 {
        return Err(invalid(p, format!("{s:?} is not a decimal integer string")));
    }
    s.parse::<i128>()
        .map_err(|e| invalid(p, format!("{s:?} is not a decimal integer: {e}")))
}

#[derive(Clone, Copy)]
struct Double;

impl Kind for Double {
    type Out = f64;

    fn expected(&self) -> Cow<'static, str> {
        Cow::Borrowed("a double (number or string)")
    }

    fn number(self, _: &Path, v: Num) -> Res<f64> {
        Ok(match v {
            Num::U(u) => u as f64,
            Num::I(i) => i as f64,
            Num::F(f) => f,
        })
    }

    fn string(self, p: &Path, s: &str) -> Res<f64> {
        match s {
            "NaN" => Ok(f64::NAN),
            "Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            // Rust's parser also takes "inf"/"nan" spellings that proto3 JSON does not.
            _ => match s.parse::<f64>() {
                Ok(f) if f.is_finite() => Ok(f),
                _ => Err(invalid(
                    p,
                    format!(
                        "{s:?} is not a double (number, \"NaN\", \"Infinity\" or \"-Infinity\")"
                    ),
                )),
            },
        }
    }
}

/// An enum as its integer value or its proto name; unknown integers are kept (proto3 enums are
/// open), unknown names are an error because their value cannot be known.
#[derive(Clone, Copy)]
struct Enum {
    what: &'static str,
    from_name: fn(&str) -> Option<i32>,
}

impl Kind for Enum {
    type Out = i32;

    fn expected(&self) -> Cow<'static, str> {
        Cow::Owned(format!("a {} (integer or name)", self.what))
    }

    fn number(self, p: &Path, v: Num) -> Res<i32> {
        ranged(p, integer_number(p, v)?, "int32")
    }

    fn string(self, p: &Path, s: &str) -> Res<i32> {
        match (self.from_name)(s) {
            Some(n) => Ok(n),
            None if s.bytes().all(|b| b.is_ascii_digit() || b == b'-') && !s.is_empty() => {
                ranged(p, integer_string(p, s)?, "int32")
            }
            None => Err(invalid(p, format!("unknown {} name {s:?}", self.what))),
        }
    }
}

const SPAN_KIND: Enum = Enum {
    what: "SpanKind",
    from_name: |s| span::SpanKind::from_str_name(s).map(|e| e as i32),
};
const STATUS_CODE: Enum = Enum {
    what: "StatusCode",
    from_name: |s| status::StatusCode::from_str_name(s).map(|e| e as i32),
};
const SEVERITY_NUMBER: Enum = Enum {
    what: "SeverityNumber",
    from_name: |s| SeverityNumber::from_str_name(s).map(|e| e as i32),
};
const AGGREGATION_TEMPORALITY: Enum = Enum {
    what: "AggregationTemporality",
    from_name: |s| AggregationTemporality::from_str_name(s).map(|e| e as i32),
};

/// Flags are plain integers in the proto; their enum names are accepted too, since some
/// hand-written payloads use them.
#[derive(Clone, Copy)]
struct Flags {
    from_name: fn(&str) -> Option<u32>,
}

impl Kind for Flags {
    type Out = u32;

    fn expected(&self) -> Cow<'static, str> {
        Cow::Borrowed(INTEGER)
    }

    fn number(self, p: &Path, v: Num) -> Res<u32> {
        UINT32.number(p, v)
    }

    fn string(self, p: &Path, s: &str) -> Res<u32> {
        match (self.from_name)(s) {
            Some(n) => Ok(n),
            None => UINT32.string(p, s),
        }
    }
}

const DATA_POINT_FLAGS: Flags = Flags {
    from_name: |s| DataPointFlags::from_str_name(s).map(|f| f as u32),
};
const SPAN_FLAGS: Flags = Flags {
    from_name: |s| SpanFlags::from_str_name(s).map(|f| f as u32),
};
const LOG_FLAGS: Flags = Flags {
    from_name: |s| LogRecordFlags::from_str_name(s).map(|f| f as u32),
};

/// A trace or span id in hex; the empty string is an absent id.
#[derive(Clone, Copy)]
struct HexId {
    len: usize,
    what: &'static str,
}

const TRACE_ID: HexId = HexId {
    len: 16,
    what: "traceId",
};
const SPAN_ID: HexId = HexId {
    len: 8,
    what: "spanId",
};

impl Kind for HexId {
    type Out = Vec<u8>;

    fn expected(&self) -> Cow<'static, str> {
        Cow::Owned(format!("a {} hex string", self.what))
    }

    fn string(self, p: &Path, s: &str) -> Res<Vec<u8>> {
        let what = self.what;
        if s.is_empty() {
            return Ok(Vec::new());
        }
        if s.len() != self.len * 2 {
            return Err(invalid(
                p,
                format!(
                    "{what} must be {} hex digits, found {} characters",
                    self.len * 2,
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
                _ => Err(invalid(p, format!("{what} {s:?} is not hexadecimal"))),
            })
            .collect()
    }
}

/// Proto3 JSON bytes: standard or URL-safe base64, padded or not.
#[derive(Clone, Copy)]
struct Bytes;

impl Kind for Bytes {
    type Out = Vec<u8>;

    fn expected(&self) -> Cow<'static, str> {
        Cow::Borrowed("a base64 string")
    }

    fn string(self, p: &Path, s: &str) -> Res<Vec<u8>> {
        const CONFIG: GeneralPurposeConfig =
            GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
        const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, CONFIG);
        const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, CONFIG);
        STANDARD
            .decode(s)
            .or_else(|e| URL_SAFE.decode(s).map_err(|_| e))
            .map_err(|e| invalid(p, format!("invalid base64: {e}")))
    }
}

// ---------------------------------------------------------------------------------------------
// Messages.

/// A protobuf message read from a JSON object.
trait Message: Copy {
    /// The decoded message.
    type Out;
    /// Where fields go while the object is read (the message itself, plus a slot per member
    /// of each oneof, so that members can be told apart when the object ends).
    type Builder: Default;
    /// Field names by id: (lowerCamelCase, snake_case or "" when it is the same word).
    const FIELDS: &'static [(&'static str, &'static str)];
    /// Oneof groups: a mask of field ids and the group's name.
    const ONEOFS: &'static [(u32, &'static str)] = &[];

    /// Reads field `id`'s value from `f` into `b`.
    fn field<'de, S: Source<'de>>(
        self,
        b: &mut Self::Builder,
        id: u8,
        f: Field<'_, '_, S>,
    ) -> Result<Outcome, S::Error>;

    /// The message, once the object is read without error.
    fn finish(b: Self::Builder) -> Self::Out;

    /// The message read by the fast reader in one go, for the shape most documents give it,
    /// or `None` for any other (the reader then goes back and reads the object field by
    /// field). What it returns is what reading field by field would.
    fn quick(self, _: &mut Scan<'_>) -> Option<Self::Out> {
        None
    }
}

/// Where an object's keys and values come from: serde (any deserializer's `MapAccess`) or
/// the fast reader.
trait Source<'de> {
    type Error;

    /// The next key, looked up in `fields`; `None` at the end of the object.
    fn next_key(
        &mut self,
        fields: &'static [(&'static str, &'static str)],
    ) -> Result<Option<Key<'de>>, Self::Error>;

    /// The value of the key just read, as `k`, at `p`.
    fn value<K: Kind>(&mut self, p: &Path, k: K) -> Result<Res<K::Out>, Self::Error>;
}

/// An object read through serde.
struct Serde<A>(A);

impl<'de, A: MapAccess<'de>> Source<'de> for Serde<A> {
    type Error = A::Error;

    fn next_key(
        &mut self,
        fields: &'static [(&'static str, &'static str)],
    ) -> Result<Option<Key<'de>>, A::Error> {
        self.0.next_key_seed(KeySeed(fields))
    }

    fn value<K: Kind>(&mut self, p: &Path, k: K) -> Result<Res<K::Out>, A::Error> {
        self.0.next_value_seed(Seed { p, k })
    }
}

/// An object read by the fast reader, its opening brace read.
struct Members<'a, 'de> {
    s: &'a mut Scan<'de>,
    first: bool,
}

impl<'de> Source<'de> for Members<'_, 'de> {
    type Error = Bail;

    fn next_key(
        &mut self,
        fields: &'static [(&'static str, &'static str)],
    ) -> Result<Option<Key<'de>>, Bail> {
        let Some(name) = self.s.next_member(self.first)? else {
            return Ok(None);
        };
        self.first = false;
        Ok(Some(
            KeySeed(fields).lookup(&name).unwrap_or(Key::Unknown(name)),
        ))
    }

    fn value<K: Kind>(&mut self, p: &Path, k: K) -> Result<Res<K::Out>, Bail> {
        self.s.eat(b':')?;
        k.read(p, self.s)
    }
}

/// What reading one field's value did.
enum Outcome {
    /// The value was `null` (absent).
    Null,
    /// The value was stored.
    Set,
    /// The value is invalid.
    Failed(JsonError),
}

/// One field's value, ready to be read into its slot.
struct Field<'a, 'p, S> {
    src: &'a mut S,
    p: &'a Path<'p>,
    /// `null` resets the slot: the field's other spelling is not present to hold its value.
    reset: bool,
}

impl<S> Field<'_, '_, S> {
    fn put<'de, K: Kind>(self, k: K, slot: &mut K::Out) -> Result<Outcome, S::Error>
    where
        S: Source<'de>,
        K::Out: Default,
    {
        self.store(k, |v| *slot = v.unwrap_or_default())
    }

    fn put_opt<'de, K: Kind>(self, k: K, slot: &mut Option<K::Out>) -> Result<Outcome, S::Error>
    where
        S: Source<'de>,
    {
        self.store(k, |v| *slot = v)
    }

    /// Reads the value and hands `set` what the slot now holds: `Some` value, or `None` for
    /// a `null` that resets it.
    fn store<'de, K: Kind>(
        self,
        k: K,
        set: impl FnOnce(Option<K::Out>),
    ) -> Result<Outcome, S::Error>
    where
        S: Source<'de>,
    {
        Ok(match self.src.value(self.p, Nullable(k))? {
            Ok(Some(v)) => {
                set(Some(v));
                Outcome::Set
            }
            Ok(None) => {
                if self.reset {
                    set(None);
                }
                Outcome::Null
            }
            Err(e) => Outcome::Failed(e),
        })
    }
}

#[derive(Clone, Copy)]
struct Msg<M>(M);

impl<M: Message> Kind for Msg<M> {
    type Out = M::Out;

    fn expected(&self) -> Cow<'static, str> {
        Cow::Borrowed("an object")
    }

    fn object<'de, A: MapAccess<'de>>(self, p: &Path, map: A) -> Result<Res<M::Out>, A::Error> {
        let walked = walk(self.0, p, &mut Serde(map))?;
        Ok(walked.judge::<M>(p).map(M::finish))
    }

    fn read(self, p: &Path, s: &mut Scan<'_>) -> Result<Res<M::Out>, Bail> {
        if s.token()? != b'{' {
            return Seed { p, k: self }.deserialize(s);
        }
        let mark = s.mark();
        if let Some(out) = self.0.quick(s) {
            return Ok(Ok(out));
        }
        s.reset(mark);
        s.open()?;
        let walked = walk(self.0, p, &mut Members { s, first: true })?;
        Ok(walked.judge::<M>(p).map(M::finish))
    }
}

/// An object key: a field of the message (by id, and whether in its snake_case spelling) or
/// an unknown key (kept only to check it against the other keys' spellings).
enum Key<'de> {
    Known(u8, bool),
    Unknown(Cow<'de, str>),
}

struct KeySeed(&'static [(&'static str, &'static str)]);

impl KeySeed {
    fn lookup(&self, key: &str) -> Option<Key<'static>> {
        // Length and first byte rule out nearly every other name before bytes are compared.
        // (An empty key is no field: the empty snake_case entries mean "same as camelCase".)
        let (len, first) = match key.as_bytes().first() {
            Some(first) => (key.len(), *first),
            None => return None,
        };
        let named = |name: &str| name.len() == len && name.as_bytes()[0] == first && name == key;
        for (id, (camel, snake)) in self.0.iter().enumerate() {
            if named(camel) {
                return Some(Key::Known(id as u8, false));
            }
            if named(snake) {
                return Some(Key::Known(id as u8, true));
            }
        }
        None
    }
}

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Key<'de>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
        Ok(self.lookup(v).unwrap_or(Key::Unknown(Cow::Borrowed(v))))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
        Ok(self
            .lookup(v)
            .unwrap_or_else(|| Key::Unknown(Cow::Owned(v.to_owned()))))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
        Ok(self.lookup(&v).unwrap_or(Key::Unknown(Cow::Owned(v))))
    }
}

/// An object read to its end: the fields' values and which keys were present (not null).
struct Walked<'de, B> {
    b: B,
    /// Fields present under their lowerCamelCase (or only) name, a bit per id.
    camel: u32,
    /// Fields present under their snake_case name.
    snake: u32,
    /// Unknown keys present.
    unknown: Vec<Cow<'de, str>>,
    /// Invalid values, by field id and spelling (the last occurrence of each key counts).
    errors: Vec<(u8, bool, JsonError)>,
}

fn walk<'de, M: Message, S: Source<'de>>(
    m: M,
    p: &Path,
    src: &mut S,
) -> Result<Walked<'de, M::Builder>, S::Error> {
    let mut w = Walked {
        b: M::Builder::default(),
        camel: 0,
        snake: 0,
        unknown: Vec::new(),
        errors: Vec::new(),
    };
    while let Some(key) = src.next_key(M::FIELDS)? {
        match key {
            Key::Known(id, snake) => {
                let bit = 1u32 << id;
                let (camel_name, snake_name) = M::FIELDS[usize::from(id)];
                let at = p.key(if snake { snake_name } else { camel_name });
                if !w.errors.is_empty() {
                    w.errors.retain(|e| (e.0, e.1) != (id, snake));
                }
                let other = if snake { w.camel } else { w.snake };
                let f = Field {
                    src: &mut *src,
                    p: &at,
                    reset: other & bit == 0,
                };
                let outcome = m.field(&mut w.b, id, f)?;
                let mine = if snake { &mut w.snake } else { &mut w.camel };
                match outcome {
                    Outcome::Null => *mine &= !bit,
                    Outcome::Set => *mine |= bit,
                    Outcome::Failed(e) => {
                        *mine |= bit;
                        w.errors.push((id, snake, e));
                    }
                }
            }
            Key::Unknown(key) => {
                let present = matches!(src.value(&Path::ROOT, Skip)?, Ok(true));
                if !w.unknown.is_empty() {
                    w.unknown.retain(|u| *u != key);
                }
                if present {
                    w.unknown.push(key);
                }
            }
        }
    }
    Ok(w)
}

impl<B> Walked<'_, B> {
    /// The first error a walk over the object's keys in sorted order would meet (a field
    /// given in both spellings, an invalid value, a second member of a oneof), else the
    /// fields.
    fn judge<M: Message<Builder = B>>(mut self, p: &Path) -> Res<B> {
        let present = self.camel | self.snake;
        let clash = M::ONEOFS
            .iter()
            .any(|(mask, _)| (present & mask).count_ones() > 1);
        let unknown_snake = self.unknown.iter().any(|k| k.contains('_'));
        if self.errors.is_empty() && self.camel & self.snake == 0 && !unknown_snake && !clash {
            return Ok(self.b);
        }
        let mut keys: Vec<(&str, Option<(u8, bool)>)> = Vec::new();
        for (id, (camel, snake)) in M::FIELDS.iter().enumerate() {
            let bit = 1u32 << id;
            if self.camel & bit != 0 {
                keys.push((camel, Some((id as u8, false))));
            }
            if self.snake & bit != 0 {
                keys.push((snake, Some((id as u8, true))));
            }
        }
        keys.extend(self.unknown.iter().map(|k| (k.as_ref(), None)));
        keys.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut groups_seen = 0u32;
        for &(key, field) in &keys {
            // The two spellings of one field would otherwise silently overwrite each other.
            if key.contains('_') {
                let camel = lower_camel(key);
                if keys.binary_search_by(|k| k.0.cmp(&camel)).is_ok() {
                    return Err(invalid(
                        &p.key(key),
                        format!("field given twice, as {key:?} and {camel:?}"),
                    ));
                }
            }
            let Some((id, snake)) = field else { continue };
            if let Some(i) = self.errors.iter().position(|e| (e.0, e.1) == (id, snake)) {
                return Err(self.errors.swap_remove(i).2);
            }
            for (g, (mask, group)) in M::ONEOFS.iter().enumerate() {
                if mask & (1u32 << id) != 0 {
                    if groups_seen & (1u32 << g) != 0 {
                        return Err(invalid(
                            &p.key(key),
                            format!("more than one field of the {group} oneof is set"),
                        ));
                    }
                    groups_seen |= 1u32 << g;
                }
            }
        }
        Ok(self.b)
    }
}

/// The first `Some` of a oneof's member slots (at most one is set once judged), evaluating
/// no slot past it.
macro_rules! first_some {
    () => {
        None
    };
    ($e:expr $(, $rest:expr)* $(,)?) => {
        match $e {
            Some(v) => Some(v),
            None => first_some!($($rest),*),
        }
    };
}

// ---------------------------------------------------------------------------------------------
// Common messages.

/// An AnyValue `depth` levels down; deeper than [`MAX_ANY_VALUE_DEPTH`] is an error whatever
/// the value is.
#[derive(Clone, Copy)]
struct AnyK {
    depth: usize,
}

impl AnyK {
    fn too_deep(&self, p: &Path) -> Option<JsonError> {
        (self.depth > MAX_ANY_VALUE_DEPTH).then(|| {
            invalid(
                p,
                format!("AnyValue nested deeper than {MAX_ANY_VALUE_DEPTH} levels"),
            )
        })
    }

    fn inner(self) -> Msg<AnyValueM> {
        Msg(AnyValueM { depth: self.depth })
    }
}

impl Kind for AnyK {
    type Out = AnyValue;

    fn expected(&self) -> Cow<'static, str> {
        Cow::Borrowed("an object")
    }

    fn null(self, p: &Path) -> Res<AnyValue> {
        self.too_deep(p).map_or_else(|| self.inner().null(p), Err)
    }

    fn boolean(self, p: &Path, v: bool) -> Res<AnyValue> {
        self.too_deep(p)
            .map_or_else(|| self.inner().boolean(p, v), Err)
    }

    fn number(self, p: &Path, v: Num) -> Res<AnyValue> {
        self.too_deep(p)
            .map_or_else(|| self.inner().number(p, v), Err)
    }

    fn string(self, p: &Path, v: &str) -> Res<AnyValue> {
        self.too_deep(p)
            .map_or_else(|| self.inner().string(p, v), Err)
    }

    fn object<'de, A: MapAccess<'de>>(self, p: &Path, map: A) -> Result<Res<AnyValue>, A::Error> {
        match self.too_deep(p) {
            Some(e) => {
                skip_map(map)?;
                Ok(Err(e))
            }
            None => self.inner().object(p, map),
        }
    }

    fn array<'de, A: SeqAccess<'de>>(self, p: &Path, seq: A) -> Result<Res<AnyValue>, A::Error> {
        match self.too_deep(p) {
            Some(e) => {
                skip_seq(seq)?;
                Ok(Err(e))
            }
            None => self.inner().array(p, seq),
        }
    }

    fn read(self, p: &Path, s: &mut Scan<'_>) -> Result<Res<AnyValue>, Bail> {
        if self.depth > MAX_ANY_VALUE_DEPTH {
            return Seed { p, k: self }.deserialize(s);
        }
        self.inner().read(p, s)
    }
}

#[derive(Clone, Copy)]
struct AnyValueM {
    depth: usize,
}

/// One slot per member of AnyValue's `value` oneof.
#[derive(Default)]
struct AnyValueB {
    string: Option<String>,
    int: Option<i64>,
    double: Option<f64>,
    boolean: Option<bool>,
    array: Option<ArrayValue>,
    kvlist: Option<KeyValueList>,
    bytes: Option<Vec<u8>>,
    strindex: Option<i32>,
}

impl Message for AnyValueM {
    type Out = AnyValue;
    type Builder = AnyValueB;
    const FIELDS: &'static [(&'static str, &'static str)] = &[
        ("stringValue", "string_value"),
        ("intValue", "int_value"),
        ("doubleValue", "double_value"),
        ("boolValue", "bool_value"),
        ("arrayValue", "array_value"),
        ("kvlistValue", "kvlist_value"),
        ("bytesValue", "bytes_value"),
        ("stringValueStrindex", "string_value_strindex"),
    ];
    const ONEOFS: &'static [(u32, &'static str)] = &[(0xff, "AnyValue.value")];

    fn field<'de, S: Source<'de>>(
        self,
        b: &mut AnyValueB,
        id: u8,
        f: Field<'_, '_, S>,
    ) -> Result<Outcome, S::Error> {
        let depth = self.depth;
        match id {
            0 => f.put_opt(Str, &mut b.string),
            1 => f.put_opt(INT64, &mut b.int),
            2 => f.put_opt(Double, &mut b.double),
            3 => f.put_opt(Bool, &mut b.boolean),
            4 => f.put_opt(Msg(ArrayValueM { depth }), &mut b.array),
            5 => f.put_opt(Msg(KvListM { depth }), &mut b.kvlist),
            6 => f.put_opt(Bytes, &mut b.bytes),
            _ => f.put_opt(INT32, &mut b.strindex),
        }
    }

    fn finish(b: AnyValueB) -> AnyValue {
        use any_value::Value as V;
        AnyValue {
            value: first_some!(
                b.string.map(V::StringValue),
                b.int.map(V::IntValue),
                b.double.map(V::DoubleValue),
                b.boolean.map(V::BoolValue),
                b.array.map(V::ArrayValue),
                b.kvlist.map(V::KvlistValue),
                b.bytes.map(V::BytesValue),
                b.strindex.map(V::StringValueStrindex),
            ),
        }
    }
}

/// The object inside `arrayValue` (its elements are one level deeper).
#[derive(Clone, Copy)]
struct ArrayValueM {
    depth: usize,
}

impl Message for ArrayValueM {
    type Out = ArrayValue;
    type Builder = ArrayValue;
    const FIELDS: &'static [(&'static str, &'static str)] = &[("values", "")];

    fn field<'de, S: Source<'de>>(
        self,
        b: &mut ArrayValue,
        _: u8,
        f: Field<'_, '_, S>,
    ) -> Result<Outcome, S::Error> {
        let depth = self.depth + 1;
        f.put(List(AnyK { depth }), &mut b.values)
    }

    fn finish(b: ArrayValue) -> ArrayValue {
        b
    }
}

/// The object inside `kvlistValue` (its values are one level deeper).
#[derive(Clone, Copy)]
struct KvListM {
    depth: usize,
}

impl Message for KvListM {
    type Out = KeyValueList;
    type Builder = KeyValueList;
    const FIELDS: &'static [(&'static str, &'static str)] = &[("values", "")];

    fn field<'de, S: Source<'de>>(
        self,
        b: &mut KeyValueList,
        _: u8,
        f: Field<'_, '_, S>,
    ) -> Result<Outcome, S::Error> {
        let depth = self.depth + 1;
        f.put(List(Msg(KeyValueM { depth })), &mut b.values)
    }

    fn finish(b: KeyValueList) -> KeyValueList {
        b
    }
}

#[derive(Clone, Copy)]
struct KeyValueM {
    depth: usize,
}

impl Message for KeyValueM {
    type Out = KeyValue;
    type Builder = KeyValue;
    const FIELDS: &'static [(&'static str, &'static str)] =
        &[("key", ""), ("value", ""), ("keyStrindex", "key_strindex")];

    fn field<'de, S: Source<'de>>(
        self,
        b: &mut KeyValue,
        id: u8,
        f: Field<'_, '_, S>,
    ) -> Result<Outcome, S::Error> {
        match id {
            0 => f.put(Str, &mut b.key),
            1 => f.put_opt(AnyK { depth: self.depth }, &mut b.value),
            _ => f.put(INT32, &mut b.key_strindex),
        }
    }

    fn finish(b: KeyValue) -> KeyValue {
        b
    }

    /// `{"key":…,"value":{"stringValue"|"intValue"|"doubleValue"|"boolValue":…}}`, in either
    /// order: nearly every attribute of every document.
    fn quick(self, s: &mut Scan<'_>) -> Option<KeyValue> {
        // Deeper, the value would be an error; two more levels could reach the reader's limit.
        if self.depth > MAX_ANY_VALUE_DEPTH || !s.room(2) {
            return None;
        }
        s.eat(b'{').ok()?;
        let (mut key, mut value) = (None, None);
        for i in 0..2 {
            if i == 1 {
                s.eat(b',').ok()?;
            }
            match s.plain_key().ok()? {
                "key" if key.is_none() => key = Some(s.owned_string().ok()?),
                "value" if value.is_none() => value = Some(quick_scalar(s)?),
                _ => return None,
            }
        }
        s.eat(b'}').ok()?;
        Some(KeyValue {
            key: key?,
            value: Some(value?),
            key_strindex: 0,
        })
    }
}

/// An AnyValue object holding one string, integer, double or boolean (any other shape,
/// or an invalid value, is `None`), as [`AnyValueM`] would read it.
fn quick_scalar(s: &mut Scan<'_>) -> Option<AnyValue> {
    use any_value::Value as V;
    s.eat(b'{').ok()?;
    let p = &Path::ROOT;
    let value = match s.plain_key().ok()? {
        "stringValue" => V::StringValue(s.owned_string().ok()?),
        "intValue" => V::IntValue(match s.token().ok()? {
            b'"' => INT64.string(p, &s.str_value().ok()?).ok()?,
            _ => INT64.number(p, s.number_value().ok()?.into()).ok()?,
        }),
        "doubleValue" => V::DoubleValue(match s.token().ok()? {
            b'"' => Double.string(p, &s.str_value().ok()?).ok()?,
            _ => Double.number(p, s.number_value().ok()?.into()).ok()?,
        }),
        "boolValue" => V::BoolValue(s.boolean().ok()?),
        _ => return None,
    };
    s.eat(b'}').ok()?;
    Some(AnyValue { value: Some(value) })
}

/// Attributes: key-values whose values are AnyValues at depth 1.
const ATTRIBUTES: List<Msg<KeyValueM>> = List(Msg(KeyValueM { depth: 1 }));

/// Declares a message whose builder is the prost message itself.
macro_rules! message {
    (
        $name:ident => $out:ty,
        fields: [$(($camel:literal, $snake:literal)),+ $(,)?],
        |$b:ident, $id:ident, $f:ident| $body:expr
    ) => {
        #[derive(Clone, Copy)]
        struct $name;

        impl Message for $name {
            type Out = $out;
            type Builder = $out;
            const FIELDS: &'static [(&'static str, &'static str)] = &[$(($camel, $snake)),+];

            fn field<'de, S: Source<'de>>(
                self,
                $b: &mut $out,
                $id: u8,
                $f: Field<'_, '_, S>,
            ) -> Result<Outcome, S::Error> {
                $body
            }

            fn finish(b: $out) -> $out {
                b
            }
        }
    };
}

message! {
    EntityRefM => EntityRef,
    fields: [("schemaUrl", "schema_url"), ("type", ""), ("idKeys", "id_keys"),
        ("descriptionKeys", "description_keys")],
    |b, id, f| match id {
        0 => f.put(Str, &mut b.schema_url),
        1 => f.put(Str, &mut b.r#type),
        2 => f.put(List(Str), &mut b.id_keys),
        _ => f.put(List(Str), &mut b.description_keys),
    }
}

message! {
    ResourceM => Resource,
    fields: [("attributes", ""), ("droppedAttributesCount", "dropped_attributes_count"),
        ("entityRefs", "entity_refs")],
    |b, id, f| match id {
        0 => f.put(ATTRIBUTES, &mut b.attributes),
        1 => f.put(UINT32, &mut b.dropped_attributes_count),
        _ => f.put(List(Msg(EntityRefM)), &mut b.entity_refs),
    }
}

message! {
    ScopeM => InstrumentationScope,
    fields: [("name", ""), ("version", ""), ("attributes", ""),
        ("droppedAttributesCount", "dropped_attributes_count")],
    |b, id, f| match id {
        0 => f.put(Str, &mut b.name),
        1 => f.put(Str, &mut b.version),
        2 => f.put(ATTRIBUTES, &mut b.attributes),
        _ => f.put(UINT32, &mut b.dropped_attributes_count),
    }
}

// ---------------------------------------------------------------------------------------------
// Metrics.

message! {
    MetricsRequestM => ExportMetricsServiceRequest,
    fields: [("resourceMetrics", "resource_metrics")],
    |b, _id, f| f.put(List(Msg(ResourceMetricsM)), &mut b.resource_metrics)
}

message! {
    ResourceMetricsM => ResourceMetrics,
    fields: [("resource", ""), ("scopeMetrics", "scope_metrics"), ("schemaUrl", "schema_url")],
    |b, id, f| match id {
        0 => f.put_opt(Msg(ResourceM), &mut b.resource),
        1 => f.put(List(Msg(ScopeMetricsM)), &mut b.scope_metrics),
        _ => f.put(Str, &mut b.schema_url),
    }
}

message! {
    ScopeMetricsM => ScopeMetrics,
    fields: [("scope", ""), ("metrics", ""), ("schemaUrl", "schema_url")],
    |b, id, f| match id {
        0 => f.put_opt(Msg(ScopeM), &mut b.scope),
        1 => f.put(List(Msg(MetricM)), &mut b.metrics),
        _ => f.put(Str, &mut b.schema_url),
    }
}

#[derive(Clone, Copy)]
struct MetricM;

/// A metric, with one slot per member of its `data` oneof.
#[derive(Default)]
struct MetricB {
    metric: Metric,
    gauge: Option<Gauge>,
    sum: Option<Sum>,
    histogram: Option<Histogram>,
    exponential_histogram: Option<ExponentialHistogram>,
    summary: Option<Summary>,
}

impl Message for MetricM {
    type Out = Metric;
    type Builder = MetricB;
    const FIELDS: &'static [(&'static str, &'static str)] = &[
        ("name", ""),
        ("description", ""),
        ("unit", ""),
        ("metadata", ""),
        ("gauge", ""),
        ("sum", ""),
        ("histogram", ""),
        ("exponentialHistogram", "exponential_histogram"),
        ("summary", ""),
    ];
    const ONEOFS: &'static [(u32, &'static str)] = &[(0b1_1111_0000, "Metric.data")];

    fn field<'de, S: Source<'de>>(
        self,
        b: &mut MetricB,
        id: u8,
        f: Field<'_, '_, S>,
    ) -> Result<Outcome, S::Error> {
        match id {
            0 => f.put(Str, &mut b.metric.name),
            1 => f.put(Str, &mut b.metric.description),
            2 => f.put(Str, &mut b.metric.unit),
            3 => f.put(ATTRIBUTES, &mut b.metric.metadata),
            4 => f.put_opt(Msg(GaugeM), &mut b.gauge),
            5 => f.put_opt(Msg(SumM), &mut b.sum),
            6 => f.put_opt(Msg(HistogramM), &mut b.histogram),
            7 => f.put_opt(Msg(ExponentialHistogramM), &mut b.exponential_histogram),
            _ => f.put_opt(Msg(SummaryM), &mut b.summary),
        }
    }

    fn finish(b: MetricB) -> Metric {
        use metric::Data;
        Metric {
            data: first_some!(
                b.gauge.map(Data::Gauge),
                b.sum.map(Data::Sum),
                b.histogram.map(Data::Histogram),
                b.exponential_histogram.map(Data::ExponentialHistogram),
                b.summary.map(Data::Summary),
            ),
            ..b.metric
        }
    }
}

message! {
    GaugeM => Gauge,
    fields: [("dataPoints", "data_points")],
    |b, _id, f| f.put(List(Msg(NumberDataPointM)), &mut b.data_points)
}

message! {
    SumM => Sum,
    fields: [("dataPoints", "data_points"), ("aggregationTemporality", "aggregation_temporality"),
        ("isMonotonic", "is_monotonic")],
    |b, id, f| match id {
        0 => f.put(List(Msg(NumberDataPointM)), &mut b.data_points),
        1 => f.put(AGGREGATION_TEMPORALITY, &mut b.aggregation_temporality),
        _ => f.put(Bool, &mut b.is_monotonic),
    }
}

message! {
    HistogramM => Histogram,
    fields: [("dataPoints", "data_points"), ("aggregationTemporality", "aggregation_temporality")],
    |b, id, f| match id {
        0 => f.put(List(Msg(HistogramDataPointM)), &mut b.data_points),
        _ => f.put(AGGREGATION_TEMPORALITY, &mut b.aggregation_temporality),
    }
}

message! {
    ExponentialHistogramM => ExponentialHistogram,
    fields: [("dataPoints", "data_points"), ("aggregationTemporality", "aggregation_temporality")],
    |b, id, f| match id {
        0 => f.put(List(Msg(ExponentialHistogramDataPointM)), &mut b.data_points),
        _ => f.put(AGGREGATION_TEMPORALITY, &mut b.aggregation_temporality),
    }
}

message! {
    SummaryM => Summary,
    fields: [("dataPoints", "data_points")],
    |b, _id, f| f.put(List(Msg(SummaryDataPointM)), &mut b.data_points)
}

#[derive(Clone, Copy)]
struct NumberDataPointM;

/// A number data point, with one slot per member of its `value` oneof.
#[derive(Default)]
struct NumberDataPointB {
    point: NumberDataPoint,
    double: Option<f64>,
    int: Option<i64>,
}

impl Message for NumberDataPointM {
    type Out = NumberDataPoint;
    type Builder = NumberDataPointB;
    const FIELDS: &'static [(&'static str, &'static str)] = &[
        ("attributes", ""),
        ("timeUnixNano", "time_unix_nano"),
        ("startTimeUnixNano", "start_time_unix_nano"),
        ("asDouble", "as_double"),
        ("asInt", "as_int"),
        ("exemplars", ""),
        ("flags", ""),
    ];
    const ONEOFS: &'static [(u32, &'static str)] = &[(0b1_1000, "NumberDataPoint.value")];

    fn field<'de, S: Source<'de>>(
        self,
        b: &mut NumberDataPointB,
        id: u8,
        f: Field<'_, '_, S>,
    ) -> Result<Outcome, S::Error> {
        match id {
            0 => f.put(ATTRIBUTES, &mut b.point.attributes),
            1 => f.put(UINT64, &mut b.point.time_unix_nano),
            2 => f.put(UINT64, &mut b.point.start_time_unix_nano),
            3 => f.put_opt(Double, &mut b.double),
            4 => f.put_opt(INT64, &mut b.int),
            5 => f.put(List(Msg(ExemplarM)), &mut b.point.exemplars),
            _ => f.put(DATA_POINT_FLAGS, &mut b.point.flags),
        }
    }

    fn finish(b: NumberDataPointB) -> NumberDataPoint {
        use number_data_point::Value as V;
        NumberDataPoint {
            value: first_some!(b.double.map(V::AsDouble), b.int.map(V::AsInt)),
            ..b.point
        }
    }
}

message! {
    HistogramDataPointM => HistogramDataPoint,
    fields: [("attributes", ""), ("timeUnixNano", "time_unix_nano"),
        ("startTimeUnixNano", "start_time_unix_nano"), ("count", ""), ("sum", ""),
        ("bucketCounts", "bucket_counts"), ("explicitBounds", "explicit_bounds"),
        ("exemplars", ""), ("flags", ""), ("min", ""), ("max", "")],
    |b, id, f| match id {
        0 => f.put(ATTRIBUTES, &mut b.attributes),
        1 => f.put(UINT64, &mut b.time_unix_nano),
        2 => f.put(UINT64, &mut b.start_time_unix_nano),
        3 => f.put(UINT64, &mut b.count),
        4 => f.put_opt(Double, &mut b.sum),
        5 => f.put(List(UINT64), &mut b.bucket_counts),
        6 => f.put(List(Double), &mut b.explicit_bounds),
        7 => f.put(List(Msg(ExemplarM)), &mut b.exemplars),
        8 => f.put(DATA_POINT_FLAGS, &mut b.flags),
        9 => f.put_opt(Double, &mut b.min),
        _ => f.put_opt(Double, &mut b.max),
    }
}

message! {
    BucketsM => exponential_histogram_data_point::Buckets,
    fields: [("offset", ""), ("bucketCounts", "bucket_counts")],
    |b, id, f| match id {
        0 => f.put(INT32, &mut b.offset),
        _ => f.put(List(UINT64), &mut b.bucket_counts),
    }
}

message! {
    ExponentialHistogramDataPointM => ExponentialHistogramDataPoint,
    fields: [("attributes", ""), ("timeUnixNano", "time_unix_nano"),
        ("startTimeUnixNano", "start_time_unix_nano"), ("count", ""), ("sum", ""),
        ("scale", ""), ("zeroCount", "zero_count"), ("positive", ""), ("negative", ""),
        ("flags", ""), ("exemplars", ""), ("min", ""), ("max", ""),
        ("zeroThreshold", "zero_threshold")],
    |b, id, f| match id {
        0 => f.put(ATTRIBUTES, &mut b.attributes),
        1 => f.put(UINT64, &mut b.time_unix_nano),
        2 => f.put(UINT64, &mut b.start_time_unix_nano),
        3 => f.put(UINT64, &mut b.count),
        4 => f.put_opt(Double, &mut b.sum),
        5 => f.put(INT32, &mut b.scale),
        6 => f.put(UINT64, &mut b.zero_count),
        7 => f.put_opt(Msg(BucketsM), &mut b.positive),
        8 => f.put_opt(Msg(BucketsM), &mut b.negative),
        9 => f.put(DATA_POINT_FLAGS, &mut b.flags),
        10 => f.put(List(Msg(ExemplarM)), &mut b.exemplars),
        11 => f.put_opt(Double, &mut b.min),
        12 => f.put_opt(Double, &mut b.max),
        _ => f.put(Double, &mut b.zero_threshold),
    }
}

message! {
    SummaryDataPointM => SummaryDataPoint,
    fields: [("attributes", ""), ("timeUnixNano", "time_unix_nano"),
        ("startTimeUnixNano", "start_time_unix_nano"), ("count", ""), ("sum", ""),
        ("quantileValues", "quantile_values"), ("flags", "")],
    |b, id, f| match id {
        0 => f.put(ATTRIBUTES, &mut b.attributes),
        1 => f.put(UINT64, &mut b.time_unix_nano),
        2 => f.put(UINT64, &mut b.start_time_unix_nano),
        3 => f.put(UINT64, &mut b.count),
        4 => f.put(Double, &mut b.sum),
        5 => f.put(List(Msg(ValueAtQuantileM)), &mut b.quantile_values),
        _ => f.put(DATA_POINT_FLAGS, &mut b.flags),
    }
}

message! {
    ValueAtQuantileM => summary_data_point::ValueAtQuantile,
    fields: [("quantile", ""), ("value", "")],
    |b, id, f| match id {
        0 => f.put(Double, &mut b.quantile),
        _ => f.put(Double, &mut b.value),
    }
}

#[derive(Clone, Copy)]
struct ExemplarM;

/// An exemplar, with one slot per member of its `value` oneof.
#[derive(Default)]
struct ExemplarB {
    exemplar: Exemplar,
    double: Option<f64>,
    int: Option<i64>,
}

impl Message for ExemplarM {
    type Out = Exemplar;
    type Builder = ExemplarB;
    const FIELDS: &'static [(&'static str, &'static str)] = &[
        ("filteredAttributes", "filtered_attributes"),
        ("timeUnixNano", "time_unix_nano"),
        ("spanId", "span_id"),
        ("traceId", "trace_id"),
        ("asDouble", "as_double"),
        ("asInt", "as_int"),
    ];
    const ONEOFS: &'static [(u32, &'static str)] = &[(0b11_0000, "Exemplar.value")];

    fn field<'de, S: Source<'de>>(
        self,
        b: &mut ExemplarB,
        id: u8,
        f: Field<'_, '_, S>,
    ) -> Result<Outcome, S::Error> {
        match id {
            0 => f.put(ATTRIBUTES, &mut b.exemplar.filtered_attributes),
            1 => f.put(UINT64, &mut b.exemplar.time_unix_nano),
            2 => f.put(SPAN_ID, &mut b.exemplar.span_id),
            3 => f.put(TRACE_ID, &mut b.exemplar.trace_id),
            4 => f.put_opt(Double, &mut b.double),
            _ => f.put_opt(INT64, &mut b.int),
        }
    }

    fn finish(b: ExemplarB) -> Exemplar {
        use exemplar::Value as V;
        Exemplar {
            value: first_some!(b.double.map(V::AsDouble), b.int.map(V::AsInt)),
            ..b.exemplar
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Traces.

message! {
    TracesRequestM => ExportTraceServiceRequest,
    fields: [("resourceSpans", "resource_spans")],
    |b, _id, f| f.put(List(Msg(ResourceSpansM)), &mut b.resource_spans)
}

message! {
    ResourceSpansM => ResourceSpans,
    fields: [("resource", ""), ("scopeSpans", "scope_spans"), ("schemaUrl", "schema_url")],
    |b, id, f| match id {
        0 => f.put_opt(Msg(ResourceM), &mut b.resource),
        1 => f.put(List(Msg(ScopeSpansM)), &mut b.scope_spans),
        _ => f.put(Str, &mut b.schema_url),
    }
}

message! {
    ScopeSpansM => ScopeSpans,
    fields: [("scope", ""), ("spans", ""), ("schemaUrl", "schema_url")],
    |b, id, f| match id {
        0 => f.put_opt(Msg(ScopeM), &mut b.scope),
        1 => f.put(List(Msg(SpanM)), &mut b.spans),
        _ => f.put(Str, &mut b.schema_url),
    }
}

message! {
    SpanM => Span,
    fields: [("traceId", "trace_id"), ("spanId", "span_id"), ("traceState", "trace_state"),
        ("parentSpanId", "parent_span_id"), ("flags", ""), ("name", ""), ("kind", ""),
        ("startTimeUnixNano", "start_time_unix_nano"), ("endTimeUnixNano", "end_time_unix_nano"),
        ("attributes", ""), ("droppedAttributesCount", "dropped_attributes_count"),
        ("events", ""), ("droppedEventsCount", "dropped_events_count"), ("links", ""),
        ("droppedLinksCount", "dropped_links_count"), ("status", "")],
    |b, id, f| match id {
        0 => f.put(TRACE_ID, &mut b.trace_id),
        1 => f.put(SPAN_ID, &mut b.span_id),
        2 => f.put(Str, &mut b.trace_state),
        3 => f.put(SPAN_ID, &mut b.parent_span_id),
        4 => f.put(SPAN_FLAGS, &mut b.flags),
        5 => f.put(Str, &mut b.name),
        6 => f.put(SPAN_KIND, &mut b.kind),
        7 => f.put(UINT64, &mut b.start_time_unix_nano),
        8 => f.put(UINT64, &mut b.end_time_unix_nano),
        9 => f.put(ATTRIBUTES, &mut b.attributes),
        10 => f.put(UINT32, &mut b.dropped_attributes_count),
        11 => f.put(List(Msg(EventM)), &mut b.events),
        12 => f.put(UINT32, &mut b.dropped_events_count),
        13 => f.put(List(Msg(LinkM)), &mut b.links),
        14 => f.put(UINT32, &mut b.dropped_links_count),
        _ => f.put_opt(Msg(StatusM), &mut b.status),
    }
}

message! {
    EventM => span::Event,
    fields: [("timeUnixNano", "time_unix_nano"), ("name", ""), ("attributes", ""),
        ("droppedAttributesCount", "dropped_attributes_count")],
    |b, id, f| match id {
        0 => f.put(UINT64, &mut b.time_unix_nano),
        1 => f.put(Str, &mut b.name),
        2 => f.put(ATTRIBUTES, &mut b.attributes),
        _ => f.put(UINT32, &mut b.dropped_attributes_count),
    }
}

message! {
    LinkM => span::Link,
    fields: [("traceId", "trace_id"), ("spanId", "span_id"), ("traceState", "trace_state"),
        ("attributes", ""), ("droppedAttributesCount", "dropped_attributes_count"),
        ("flags", "")],
    |b, id, f| match id {
        0 => f.put(TRACE_ID, &mut b.trace_id),
        1 => f.put(SPAN_ID, &mut b.span_id),
        2 => f.put(Str, &mut b.trace_state),
        3 => f.put(ATTRIBUTES, &mut b.attributes),
        4 => f.put(UINT32, &mut b.dropped_attributes_count),
        _ => f.put(SPAN_FLAGS, &mut b.flags),
    }
}

message! {
    StatusM => Status,
    fields: [("message", ""), ("code", "")],
    |b, id, f| match id {
        0 => f.put(Str, &mut b.message),
        _ => f.put(STATUS_CODE, &mut b.code),
    }
}

// ---------------------------------------------------------------------------------------------
// Logs.

message! {
    LogsRequestM => ExportLogsServiceRequest,
    fields: [("resourceLogs", "resource_logs")],
    |b, _id, f| f.put(List(Msg(ResourceLogsM)), &mut b.resource_logs)
}

message! {
    ResourceLogsM => ResourceLogs,
    fields: [("resource", ""), ("scopeLogs", "scope_logs"), ("schemaUrl", "schema_url")],
    |b, id, f| match id {
        0 => f.put_opt(Msg(ResourceM), &mut b.resource),
        1 => f.put(List(Msg(ScopeLogsM)), &mut b.scope_logs),
        _ => f.put(Str, &mut b.schema_url),
    }
}

message! {
    ScopeLogsM => ScopeLogs,
    fields: [("scope", ""), ("logRecords", "log_records"), ("schemaUrl", "schema_url")],
    |b, id, f| match id {
        0 => f.put_opt(Msg(ScopeM), &mut b.scope),
        1 => f.put(List(Msg(LogRecordM)), &mut b.log_records),
        _ => f.put(Str, &mut b.schema_url),
    }
}

message! {
    LogRecordM => LogRecord,
    fields: [("timeUnixNano", "time_unix_nano"),
        ("observedTimeUnixNano", "observed_time_unix_nano"),
        ("severityNumber", "severity_number"), ("severityText", "severity_text"), ("body", ""),
        ("attributes", ""), ("droppedAttributesCount", "dropped_attributes_count"),
        ("flags", ""), ("traceId", "trace_id"), ("spanId", "span_id"),
        ("eventName", "event_name")],
    |b, id, f| match id {
        0 => f.put(UINT64, &mut b.time_unix_nano),
        1 => f.put(UINT64, &mut b.observed_time_unix_nano),
        2 => f.put(SEVERITY_NUMBER, &mut b.severity_number),
        3 => f.put(Str, &mut b.severity_text),
        4 => f.put_opt(AnyK { depth: 1 }, &mut b.body),
        5 => f.put(ATTRIBUTES, &mut b.attributes),
        6 => f.put(UINT32, &mut b.dropped_attributes_count),
        7 => f.put(LOG_FLAGS, &mut b.flags),
        8 => f.put(TRACE_ID, &mut b.trace_id),
        9 => f.put(SPAN_ID, &mut b.span_id),
        _ => f.put(Str, &mut b.event_name),
    }
}

// ---------------------------------------------------------------------------------------------
// Any signal.

/// The top-level object of a document of any signal: which signal comes from which of the
/// three keys is present, before anything else is judged.
#[derive(Clone, Copy)]
struct AnyRequest;

#[derive(Clone, Copy)]
struct AnyRequestM;

#[derive(Default)]
struct AnyRequestB {
    metrics: Vec<ResourceMetrics>,
    spans: Vec<ResourceSpans>,
    logs: Vec<ResourceLogs>,
}

impl Message for AnyRequestM {
    type Out = AnyRequestB;
    type Builder = AnyRequestB;
    const FIELDS: &'static [(&'static str, &'static str)] = &[
        ("resourceMetrics", "resource_metrics"),
        ("resourceSpans", "resource_spans"),
        ("resourceLogs", "resource_logs"),
    ];

    fn field<'de, S: Source<'de>>(
        self,
        b: &mut AnyRequestB,
        id: u8,
        f: Field<'_, '_, S>,
    ) -> Result<Outcome, S::Error> {
        match id {
            0 => f.put(List(Msg(ResourceMetricsM)), &mut b.metrics),
            1 => f.put(List(Msg(ResourceSpansM)), &mut b.spans),
            _ => f.put(List(Msg(ResourceLogsM)), &mut b.logs),
        }
    }

    fn finish(b: AnyRequestB) -> AnyRequestB {
        b
    }
}

impl Kind for AnyRequest {
    type Out = OtlpRequest;

    fn expected(&self) -> Cow<'static, str> {
        Cow::Borrowed("an object")
    }

    fn object<'de, A: MapAccess<'de>>(
        self,
        p: &Path,
        map: A,
    ) -> Result<Res<OtlpRequest>, A::Error> {
        Ok(request(p, walk(AnyRequestM, p, &mut Serde(map))?))
    }

    fn read(self, p: &Path, s: &mut Scan<'_>) -> Result<Res<OtlpRequest>, Bail> {
        if s.token()? != b'{' {
            return Seed { p, k: self }.deserialize(s);
        }
        s.open()?;
        Ok(request(
            p,
            walk(AnyRequestM, p, &mut Members { s, first: true })?,
        ))
    }
}

/// The request of whichever signal the top-level object holds.
fn request(p: &Path, walked: Walked<'_, AnyRequestB>) -> Res<OtlpRequest> {
    match walked.camel | walked.snake {
        0 => Err(JsonError::UnknownSignal),
        0b001 => walked.judge::<AnyRequestM>(p).map(|b| {
            OtlpRequest::Metrics(ExportMetricsServiceRequest {
                resource_metrics: b.metrics,
            })
        }),
        0b010 => walked.judge::<AnyRequestM>(p).map(|b| {
            OtlpRequest::Traces(ExportTraceServiceRequest {
                resource_spans: b.spans,
            })
        }),
        0b100 => walked.judge::<AnyRequestM>(p).map(|b| {
            OtlpRequest::Logs(ExportLogsServiceRequest {
                resource_logs: b.logs,
            })
        }),
        _ => Err(invalid(
            p,
            "more than one signal in one document (resourceMetrics/resourceSpans/resourceLogs)",
        )),
    }
}
