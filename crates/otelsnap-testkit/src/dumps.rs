//! Collector file-exporter dumps, written as the exporter writes them, for tests and
//! benchmarks of `--from-file`: JSON lines or length-prefixed protobuf, uncompressed,
//! zstd per message (the exporter's default `compression: zstd`), or one gzip or zstd stream.

// Test support compressing in memory: a failure there is a broken machine, not an input.
#![allow(clippy::expect_used)]

use std::io::Write;

use opentelemetry_proto::tonic::collector::{
    logs::v1::ExportLogsServiceRequest, metrics::v1::ExportMetricsServiceRequest,
    trace::v1::ExportTraceServiceRequest,
};
use prost::Message;

use crate::otlp_json;

/// One export request of any signal. (Not the core's `OtlpRequest`: the core's own unit tests
/// link this crate against another build of the core, whose types differ from theirs.)
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// Metrics.
    Metrics(ExportMetricsServiceRequest),
    /// Traces.
    Traces(ExportTraceServiceRequest),
    /// Logs.
    Logs(ExportLogsServiceRequest),
}

/// How each message is marshalled (the exporter's `format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// OTLP/JSON, one document per line (or per frame when compressed per message).
    Json,
    /// Binary protobuf, each message after its 4-byte big-endian length.
    Proto,
}

/// How the dump is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compress {
    /// Not at all.
    None,
    /// Each message zstd-compressed, then length-prefixed (for JSON too), as the exporter's
    /// `compression: zstd` without its native-compression feature gate.
    ZstdPerMessage,
    /// The whole dump as one zstd stream, one frame per message (the gate on, with rotation).
    ZstdStream,
    /// The whole dump gzipped (as `gzip` would after the fact).
    Gzip,
}

/// Every format, for tests that cover them all.
pub const FORMATS: [Format; 2] = [Format::Json, Format::Proto];
/// Every compression, for tests that cover them all.
pub const COMPRESSIONS: [Compress; 4] = [
    Compress::None,
    Compress::ZstdPerMessage,
    Compress::ZstdStream,
    Compress::Gzip,
];

/// One message as the exporter marshals it.
pub fn marshal(req: &Request, format: Format) -> Vec<u8> {
    match (format, req) {
        (Format::Json, Request::Metrics(r)) => otlp_json::encode_metrics(r).to_string().into(),
        (Format::Json, Request::Traces(r)) => otlp_json::encode_traces(r).to_string().into(),
        (Format::Json, Request::Logs(r)) => otlp_json::encode_logs(r).to_string().into(),
        (Format::Proto, Request::Metrics(r)) => r.encode_to_vec(),
        (Format::Proto, Request::Traces(r)) => r.encode_to_vec(),
        (Format::Proto, Request::Logs(r)) => r.encode_to_vec(),
    }
}

/// `msg` after its length as a 4-byte big-endian integer.
pub fn frame(msg: &[u8]) -> Vec<u8> {
    let len = u32::try_from(msg.len()).expect("a message under 4 GiB");
    let mut out = len.to_be_bytes().to_vec();
    out.extend_from_slice(msg);
    out
}

/// zstd at the exporter's default level (3).
pub fn zstd(bytes: &[u8]) -> Vec<u8> {
    zstd::bulk::compress(bytes, 3).expect("zstd compresses in memory")
}

/// gzip, fast.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).expect("in memory");
    e.finish().expect("in memory")
}

/// A dump of `requests` in `format`, compressed as `compress`.
pub fn dump(requests: &[Request], format: Format, compress: Compress) -> Vec<u8> {
    let record = |req: &Request| -> Vec<u8> {
        let msg = marshal(req, format);
        match (compress, format) {
            (Compress::ZstdPerMessage, _) => frame(&zstd(&msg)),
            (_, Format::Proto) => frame(&msg),
            (_, Format::Json) => [msg, b"\n".to_vec()].concat(),
        }
    };
    match compress {
        Compress::None | Compress::ZstdPerMessage => requests.iter().flat_map(record).collect(),
        Compress::ZstdStream => requests.iter().flat_map(|r| zstd(&record(r))).collect(),
        Compress::Gzip => gzip(&requests.iter().flat_map(record).collect::<Vec<u8>>()),
    }
}

/// The checkout requests of [`crate::testdata`], one of each signal.
pub fn checkout_requests() -> Vec<Request> {
    vec![
        Request::Metrics(crate::testdata::checkout_metrics()),
        Request::Traces(crate::testdata::checkout_traces()),
        Request::Logs(crate::testdata::checkout_logs()),
    ]
}

/// An itemless logs request: from protobuf alone it decodes as any signal.
pub fn itemless_logs() -> Request {
    Request::Logs(ExportLogsServiceRequest {
        resource_logs: vec![Default::default()],
    })
}
