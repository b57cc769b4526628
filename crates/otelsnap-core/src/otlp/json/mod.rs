//! OTLP/JSON decoding (spec-exact).
//!
//! `opentelemetry-proto`'s `with-serde` feature silently drops data on spec-compliant payloads
//! (string-encoded int64, enum names, the metric `data` oneof), so this module fills the prost
//! types itself. It follows the OTLP JSON encoding: lowerCamelCase names (snake_case accepted
//! too), 64-bit integers as strings or numbers, enums as integers or names, hex trace/span ids,
//! oneofs as sibling keys, unknown fields ignored and `null` treated as absent.
//!
//! The decoder (`stream`) fills the types as the document is read: no intermediate
//! `serde_json::Value` tree, object keys borrowed from the input and matched against the field
//! names. Its own reader (`scan`) reads valid documents, the common attribute shape in one go;
//! anything it gives up on (and every invalid document) is read again by `serde_json`, whose
//! words the syntax errors keep. It answers what a decoder walking a parsed tree would (the reference kept in `tree`
//! under the `json-tree` feature, for tests and benchmarks), errors included: a syntax error
//! anywhere wins over a semantic one, and of several semantic errors in one object the one under
//! the smallest key is reported, as a walk over a sorted `serde_json::Map` would find first.
//! A key repeated within one object is judged by its last occurrence, as the tree (which kept
//! only the last) did. The one difference: a field given under both spellings, one of which is
//! then repeated as `null`, keeps the value last written under either spelling where the tree
//! kept the surviving spelling's.

mod scan;
mod stream;
#[cfg(any(test, feature = "json-tree"))]
#[doc(hidden)]
pub mod tree;

use opentelemetry_proto::tonic::collector::{
    logs::v1::ExportLogsServiceRequest, metrics::v1::ExportMetricsServiceRequest,
    trace::v1::ExportTraceServiceRequest,
};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::otlp::OtlpRequest;

/// How deeply AnyValue arrays/kvlists may nest; real telemetry stays in single digits, and the
/// cap keeps the recursive decoder far from the stack limit whatever serde_json lets through.
pub const MAX_ANY_VALUE_DEPTH: usize = 32;

/// Why an OTLP/JSON document could not be decoded (message names the JSON path, e.g. `resourceMetrics[0].scopeMetrics[0].metrics[2].sum.dataPoints[0].asInt`).
#[derive(Debug, thiserror::Error)]
pub enum JsonError {
    /// The bytes are not JSON (or exceed serde_json's nesting limit).
    #[error("invalid JSON: {0}")]
    Syntax(String),
    /// Valid JSON that is not a valid OTLP message at `path`.
    #[error("invalid OTLP/JSON at {path}: {reason}")]
    Invalid {
        /// Where in the document, e.g. `resourceMetrics[0].scopeMetrics[0]`.
        path: String,
        /// What is wrong there.
        reason: String,
    },
    /// No top-level resourceMetrics, resourceSpans or resourceLogs key.
    #[error(
        "unknown OTLP signal: expected a top-level resourceMetrics, resourceSpans or resourceLogs key"
    )]
    UnknownSignal,
}

type Result<T> = std::result::Result<T, JsonError>;

/// Decodes an OTLP/JSON ExportMetricsServiceRequest (or MetricsData, which has the same shape).
pub fn decode_metrics(bytes: &[u8]) -> Result<ExportMetricsServiceRequest> {
    stream::from_slice(bytes, stream::metrics_request())
}

/// Decodes an OTLP/JSON ExportTraceServiceRequest (or TracesData, which has the same shape).
pub fn decode_traces(bytes: &[u8]) -> Result<ExportTraceServiceRequest> {
    stream::from_slice(bytes, stream::traces_request())
}

/// Decodes an OTLP/JSON ExportLogsServiceRequest (or LogsData, which has the same shape).
pub fn decode_logs(bytes: &[u8]) -> Result<ExportLogsServiceRequest> {
    stream::from_slice(bytes, stream::logs_request())
}

/// Tells the signal from the top-level key (resourceMetrics / resourceSpans / resourceLogs, or snake_case), as the OTLP file exporter writes one MetricsData/TracesData/LogsData per line.
pub fn decode_any(bytes: &[u8]) -> Result<OtlpRequest> {
    stream::from_slice(bytes, stream::any_request())
}

/// Like [`decode_any`] for a document already parsed (e.g. from a JSON stream), without re-serializing it.
pub fn decode_any_value(doc: &Value) -> Result<OtlpRequest> {
    stream::from_value(doc, stream::any_request())
}

/// One OTLP/JSON document of any signal, decoded as a `serde_json` stream parses it (e.g.
/// `serde_json::Deserializer::from_reader(r).into_iter::<Document>()`): the outer result is
/// the parser's (syntax, I/O), this inner one the decoder's, as [`decode_any`] would answer.
#[derive(Debug)]
pub struct Document(pub Result<OtlpRequest>);

impl<'de> Deserialize<'de> for Document {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        stream::deserialize(d, stream::any_request()).map(Document)
    }
}

/// The decoder's two JSON readers apart (the fast one and serde_json), for the differential
/// tests and the benchmark.
#[cfg(any(test, feature = "json-tree"))]
#[doc(hidden)]
pub mod readers {
    use super::{ExportMetricsServiceRequest, OtlpRequest, Result, stream};

    /// [`super::decode_any`] by the fast reader alone: `None` where it gives up.
    pub fn fast_any(bytes: &[u8]) -> Option<Result<OtlpRequest>> {
        stream::fast(std::str::from_utf8(bytes).ok()?, stream::any_request())
    }

    /// [`super::decode_any`] by serde_json alone, as the decoder read before the fast reader.
    pub fn serde_any(bytes: &[u8]) -> Result<OtlpRequest> {
        stream::by_serde(bytes, stream::any_request())
    }

    /// [`super::decode_metrics`] by serde_json alone.
    pub fn serde_metrics(bytes: &[u8]) -> Result<ExportMetricsServiceRequest> {
        stream::by_serde(bytes, stream::metrics_request())
    }
}

/// Response body for a fully successful OTLP/HTTP JSON export: an empty Export*ServiceResponse.
pub fn export_response_json() -> Vec<u8> {
    b"{}".to_vec()
}

/// A google.rpc.Status JSON error body {"code":N,"message":"..."} for OTLP/HTTP JSON errors.
pub fn status_json(code: i32, message: &str) -> Vec<u8> {
    let body = serde_json::json!({ "code": code, "message": message });
    body.to_string().into_bytes()
}

// ---------------------------------------------------------------------------------------------
// JSON paths, built as a linked list on the stack so the happy path never allocates for them.

#[derive(Clone, Copy)]
enum Seg<'a> {
    Root,
    Key(&'a str),
    Index(usize),
}

#[derive(Clone, Copy)]
struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    seg: Seg<'a>,
}

impl<'a> Path<'a> {
    const ROOT: Path<'static> = Path {
        parent: None,
        seg: Seg::Root,
    };

    fn key(&'a self, key: &'a str) -> Path<'a> {
        Path {
            parent: Some(self),
            seg: Seg::Key(key),
        }
    }

    fn index(&'a self, index: usize) -> Path<'a> {
        Path {
            parent: Some(self),
            seg: Seg::Index(index),
        }
    }

    fn render(&self) -> String {
        let mut segs = Vec::new();
        let mut cur = Some(self);
        while let Some(p) = cur {
            segs.push(p.seg);
            cur = p.parent;
        }
        let mut out = String::new();
        for seg in segs.iter().rev() {
            match seg {
                Seg::Root => {}
                Seg::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                Seg::Index(i) => {
                    out.push('[');
                    out.push_str(&i.to_string());
                    out.push(']');
                }
            }
        }
        if out.is_empty() {
            out.push_str("(document root)");
        }
        out
    }
}

fn invalid(path: &Path, reason: impl Into<String>) -> JsonError {
    JsonError::Invalid {
        path: path.render(),
        reason: reason.into(),
    }
}

/// The camelCase spelling of a snake_case key, as the proto JSON mapping derives it.
fn lower_camel(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}
