//! Reading OTLP from files (`capture --from-file`).
//!
//! Accepted, sniffed by content (never by file name):
//! - OTLP/JSON lines, as the OTLP file-exporter spec and the Collector's file exporter write
//!   them: one MetricsData / TracesData / LogsData per line, the signal told by its top-level key.
//!   Read line by line, so memory stays bounded by the longest line.
//! - One (or several concatenated) OTLP/JSON documents, pretty-printed over many lines: chosen
//!   when the first non-blank line is an unfinished JSON document.
//! - A binary protobuf Export*ServiceRequest, or a stream of them each prefixed by its length as
//!   a 4-byte big-endian integer (the Collector's file exporter with `format: proto`). The signal
//!   comes from `--from-file-signal`, else from which request type the bytes decode as plausibly.
//! - Any of these gzip-compressed (sniffed by the gzip magic bytes).
//!
//! A bad line or document is reported through a callback with `FILE:LINE` and skipped; an
//! unreadable or unrecognisable file is an error.

use std::cell::Cell;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;

use flate2::read::MultiGzDecoder;
use opentelemetry_proto::tonic::collector::{
    logs::v1::ExportLogsServiceRequest, metrics::v1::ExportMetricsServiceRequest,
    trace::v1::ExportTraceServiceRequest,
};
use prost::Message;

use super::{OtlpRequest, Refusal, json};
use crate::session::Signal;

/// How a file is read.
#[derive(Debug, Clone, Copy)]
pub struct FileOptions {
    /// Signal of protobuf input, where the content cannot tell it.
    pub signal: Option<Signal>,
    /// Largest single line, JSON document or protobuf message, after decompression.
    pub max_body: usize,
}

impl Default for FileOptions {
    fn default() -> Self {
        FileOptions {
            signal: None,
            max_body: 16 * 1024 * 1024,
        }
    }
}

/// The layout a file turned out to have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// Nothing but whitespace.
    Empty,
    /// One OTLP/JSON document per line.
    JsonLines,
    /// One or more OTLP/JSON documents spanning several lines.
    JsonDocuments,
    /// One binary protobuf request.
    Protobuf,
    /// Binary protobuf requests, each after a 4-byte big-endian length.
    ProtobufDelimited,
}

impl FileFormat {
    /// A short human name.
    pub fn as_str(self) -> &'static str {
        match self {
            FileFormat::Empty => "empty",
            FileFormat::JsonLines => "OTLP/JSON lines",
            FileFormat::JsonDocuments => "OTLP/JSON",
            FileFormat::Protobuf => "OTLP protobuf",
            FileFormat::ProtobufDelimited => "length-delimited OTLP protobuf",
        }
    }
}

/// What reading one file produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileReport {
    /// What the file turned out to hold.
    pub format: FileFormat,
    /// True when the file was gzip-compressed.
    pub gzip: bool,
    /// Requests handed to the callback and accepted.
    pub requests: u64,
    /// Lines or documents skipped as malformed.
    pub bad: u64,
}

/// One skipped line or document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadInput {
    /// `FILE:LINE` (or `FILE` alone for binary input).
    pub location: String,
    /// Why it was skipped.
    pub reason: String,
}

impl std::fmt::Display for BadInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.location, self.reason)
    }
}

/// Why a file could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What the system said.
        #[source]
        source: io::Error,
    },
    /// A protobuf file whose signal cannot be told from its bytes.
    #[error(
        "{path}: cannot tell whether this protobuf file holds metrics, traces or logs; pass --from-file-signal metrics|traces|logs"
    )]
    Ambiguous {
        /// The file.
        path: String,
    },
    /// The file holds no OTLP this reader knows.
    #[error("{path}: {reason}")]
    NotOtlp {
        /// The file.
        path: String,
        /// What it holds instead.
        reason: String,
    },
    /// A request in the file is over the body limit.
    #[error(
        "{path}: {what} is larger than --max-body ({limit} bytes); raise --max-body or split the file"
    )]
    TooLarge {
        /// The file.
        path: String,
        /// What is too large (a line, the file).
        what: &'static str,
        /// The limit, in bytes.
        limit: usize,
    },
    /// The consumer refused a request (capture is stopping).
    #[error("{path}: stopped reading: {refusal}")]
    Refused {
        /// The file.
        path: String,
        /// Why the consumer refused.
        refusal: Refusal,
    },
}

/// Reads the OTLP file at `path` (`-` is stdin), handing each request to `on_request` and each
/// skipped line to `on_bad`.
pub fn read_path(
    path: &str,
    opts: &FileOptions,
    on_request: &mut dyn FnMut(OtlpRequest) -> Result<(), Refusal>,
    on_bad: &mut dyn FnMut(&BadInput),
) -> Result<FileReport, FileError> {
    if path == "-" {
        let stdin = io::stdin();
        read_from(stdin.lock(), "<stdin>", opts, on_request, on_bad)
    } else {
        let f = File::open(path).map_err(|source| FileError::Io {
            path: path.to_string(),
            source,
        })?;
        read_from(f, path, opts, on_request, on_bad)
    }
}

/// Reads OTLP from any reader; `name` is used in messages.
pub fn read_from(
    reader: impl Read,
    name: &str,
    opts: &FileOptions,
    on_request: &mut dyn FnMut(OtlpRequest) -> Result<(), Refusal>,
    on_bad: &mut dyn FnMut(&BadInput),
) -> Result<FileReport, FileError> {
    let io_err = |source| FileError::Io {
        path: name.to_string(),
        source,
    };
    let mut raw = BufReader::with_capacity(64 * 1024, reader);
    let gzip = raw.fill_buf().map_err(io_err)?.starts_with(&[0x1f, 0x8b]);
    let inner: Box<dyn Read + '_> = if gzip {
        Box::new(MultiGzDecoder::new(raw))
    } else {
        Box::new(raw)
    };
    let mut r = BufReader::with_capacity(64 * 1024, inner);
    let mut ctx = Reading {
        name,
        opts,
        on_request,
        on_bad,
        report: FileReport {
            format: FileFormat::Empty,
            gzip,
            requests: 0,
            bad: 0,
        },
    };
    match sniff(&mut r).map_err(io_err)? {
        Sniffed::Empty => {}
        Sniffed::Json => ctx.json(&mut r)?,
        Sniffed::Protobuf => ctx.protobuf(&mut r)?,
        Sniffed::ProtobufDelimited => ctx.protobuf_delimited(&mut r)?,
        Sniffed::Unknown => {
            return Err(FileError::NotOtlp {
                path: name.to_string(),
                reason: "not OTLP/JSON (no '{' at the start) nor OTLP protobuf; expected JSON lines, a JSON request or a protobuf request, optionally gzipped".into(),
            });
        }
    }
    Ok(ctx.report)
}

enum Sniffed {
    Empty,
    Json,
    Protobuf,
    ProtobufDelimited,
    Unknown,
}

/// Looks at the start of the (decompressed) stream without consuming it.
fn sniff(r: &mut impl BufRead) -> io::Result<Sniffed> {
    let body = r.fill_buf()?;
    if body.is_empty() {
        return Ok(Sniffed::Empty);
    }
    let text = body.strip_prefix(BOM).unwrap_or(body);
    let mut visible = text.iter().copied().filter(|b| !b.is_ascii_whitespace());
    let (first, second) = (visible.next(), visible.next());
    // A protobuf request starts with 0x0A (a newline) too, so JSON needs `{` then `"` or `}`
    // and valid UTF-8 around it.
    let json_start = first == Some(b'{') && matches!(second, None | Some(b'"') | Some(b'}'));
    if (json_start || first.is_none()) && looks_like_text(body) {
        return Ok(Sniffed::Json);
    }
    if body[0] == 0x0A {
        return Ok(Sniffed::Protobuf);
    }
    if body.len() >= 5 && body[0] == 0 && body[4] == 0x0A {
        return Ok(Sniffed::ProtobufDelimited);
    }
    Ok(Sniffed::Unknown)
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// UTF-8 text, allowing a multi-byte character cut at the buffer's end.
fn looks_like_text(b: &[u8]) -> bool {
    match std::str::from_utf8(b) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && b.len() - e.valid_up_to() < 4,
    }
}

struct Reading<'a, 'b> {
    name: &'a str,
    opts: &'a FileOptions,
    on_request: &'b mut dyn FnMut(OtlpRequest) -> Result<(), Refusal>,
    on_bad: &'b mut dyn FnMut(&BadInput),
    report: FileReport,
}

impl Reading<'_, '_> {
    fn io(&self, source: io::Error) -> FileError {
        FileError::Io {
            path: self.name.to_string(),
            source,
        }
    }

    fn bad(&mut self, line: Option<u64>, reason: String) {
        let location = match line {
            Some(l) => format!("{}:{l}", self.name),
            None => self.name.to_string(),
        };
        self.report.bad += 1;
        (self.on_bad)(&BadInput { location, reason });
    }

    fn deliver(&mut self, req: OtlpRequest) -> Result<(), FileError> {
        (self.on_request)(req).map_err(|refusal| FileError::Refused {
            path: self.name.to_string(),
            refusal,
        })?;
        self.report.requests += 1;
        Ok(())
    }

    /// JSON lines, switching to whole-document mode when the first document spans lines.
    fn json(&mut self, r: &mut impl BufRead) -> Result<(), FileError> {
        let limit = self.opts.max_body;
        let mut line = Vec::new();
        let mut line_no: u64 = 0;
        let mut decided = false;
        loop {
            line.clear();
            let got = read_line_bounded(r, &mut line, limit).map_err(|e| self.io(e))?;
            let too_long = match got {
                Line::Eof => break,
                Line::Ok => false,
                Line::TooLong => true,
            };
            line_no += 1;
            if too_long {
                decided = true;
                self.report.format = FileFormat::JsonLines;
                self.bad(
                    Some(line_no),
                    format!("line longer than --max-body ({limit} bytes); skipped"),
                );
                continue;
            }
            let text = strip_bom(&line, line_no).trim_ascii();
            if text.is_empty() {
                continue;
            }
            match json::decode_any(text) {
                Ok(req) => {
                    decided = true;
                    self.report.format = FileFormat::JsonLines;
                    self.deliver(req)?;
                }
                Err(json::JsonError::Syntax(_)) if !decided && is_eof_error(text) => {
                    // The first document does not end on its line: a pretty-printed request.
                    self.report.format = FileFormat::JsonDocuments;
                    let head = std::mem::take(&mut line);
                    return self.json_documents(head, r);
                }
                Err(e) => {
                    decided = true;
                    self.report.format = FileFormat::JsonLines;
                    self.bad(Some(line_no), e.to_string());
                }
            }
        }
        Ok(())
    }

    /// Whitespace-separated JSON documents of any layout, starting with `head` (the first
    /// non-blank line, without its newline).
    fn json_documents(&mut self, head: Vec<u8>, rest: &mut impl BufRead) -> Result<(), FileError> {
        let limit = self.opts.max_body as u64;
        let read = Rc::new(Cell::new(0u64));
        let doc_start = Rc::new(Cell::new(0u64));
        let limited = Limited {
            inner: io::Cursor::new(head)
                .chain(io::Cursor::new(b"\n"))
                .chain(rest),
            read: read.clone(),
            doc_start: doc_start.clone(),
            limit,
        };
        let mut stream = serde_json::Deserializer::from_reader(BufReader::new(limited))
            .into_iter::<serde_json::Value>();
        let mut index: u64 = 0;
        loop {
            doc_start.set(stream.byte_offset() as u64);
            index += 1;
            match stream.next() {
                None => break,
                Some(Ok(value)) => match json::decode_any_value(&value) {
                    Ok(req) => self.deliver(req)?,
                    Err(e) => self.bad(None, format!("document {index}: {e}")),
                },
                Some(Err(e)) => {
                    if e.is_io() && read.get().saturating_sub(doc_start.get()) > limit {
                        return Err(FileError::TooLarge {
                            path: self.name.to_string(),
                            what: "a JSON document",
                            limit: self.opts.max_body,
                        });
                    }
                    if e.is_io() {
                        return Err(self.io(io::Error::other(e.to_string())));
                    }
                    // serde_json cannot resynchronise after a syntax error: report, stop here.
                    self.bad(
                        None,
                        format!(
                            "document {index}: invalid JSON: {e} (counting from the first non-blank line); the rest of the file is skipped"
                        ),
                    );
                    break;
                }
            }
        }
        Ok(())
    }

    fn protobuf(&mut self, r: &mut impl Read) -> Result<(), FileError> {
        self.report.format = FileFormat::Protobuf;
        let limit = self.opts.max_body;
        let mut buf = Vec::new();
        r.take(limit as u64 + 1)
            .read_to_end(&mut buf)
            .map_err(|e| self.io(e))?;
        if buf.len() > limit {
            return Err(FileError::TooLarge {
                path: self.name.to_string(),
                what: "the protobuf request",
                limit,
            });
        }
        match decode_protobuf(&buf, self.opts.signal) {
            Ok(req) => self.deliver(req),
            Err(ProtoError::Ambiguous) => Err(FileError::Ambiguous {
                path: self.name.to_string(),
            }),
            Err(ProtoError::Invalid(reason)) => Err(FileError::NotOtlp {
                path: self.name.to_string(),
                reason,
            }),
        }
    }

    fn protobuf_delimited(&mut self, r: &mut impl Read) -> Result<(), FileError> {
        self.report.format = FileFormat::ProtobufDelimited;
        let limit = self.opts.max_body;
        let mut index: u64 = 0;
        loop {
            let mut len = [0u8; 4];
            match read_exact_or_eof(r, &mut len).map_err(|e| self.io(e))? {
                0 => break,
                4 => {}
                _ => {
                    self.bad(
                        None,
                        format!("message {}: truncated length prefix", index + 1),
                    );
                    break;
                }
            }
            index += 1;
            let n = u32::from_be_bytes(len) as usize;
            if n > limit {
                return Err(FileError::TooLarge {
                    path: self.name.to_string(),
                    what: "a length-delimited protobuf message",
                    limit,
                });
            }
            let mut buf = vec![0u8; n];
            if read_exact_or_eof(r, &mut buf).map_err(|e| self.io(e))? != n {
                self.bad(None, format!("message {index}: truncated"));
                break;
            }
            match decode_protobuf(&buf, self.opts.signal) {
                Ok(req) => self.deliver(req)?,
                Err(ProtoError::Ambiguous) => {
                    return Err(FileError::Ambiguous {
                        path: self.name.to_string(),
                    });
                }
                Err(ProtoError::Invalid(reason)) => {
                    self.bad(None, format!("message {index}: {reason}"))
                }
            }
        }
        Ok(())
    }
}

/// Fails reads once the current document exceeds its limit, so one huge (or gzip-bombed)
/// document cannot exhaust memory.
struct Limited<R> {
    inner: R,
    read: Rc<Cell<u64>>,
    doc_start: Rc<Cell<u64>>,
    limit: u64,
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.read.get().saturating_sub(self.doc_start.get()) > self.limit {
            return Err(io::Error::other("document larger than --max-body"));
        }
        let n = self.inner.read(buf)?;
        self.read.set(self.read.get() + n as u64);
        Ok(n)
    }
}

enum Line {
    Eof,
    Ok,
    TooLong,
}

/// Reads one line (without its newline) of at most `limit` bytes; longer lines are consumed
/// to their end and reported as `TooLong`, so memory stays bounded.
fn read_line_bounded(r: &mut impl BufRead, out: &mut Vec<u8>, limit: usize) -> io::Result<Line> {
    let mut too_long = false;
    let mut any = false;
    loop {
        let buf = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            return Ok(match (any, too_long) {
                (false, _) => Line::Eof,
                (true, true) => Line::TooLong,
                (true, false) => Line::Ok,
            });
        }
        any = true;
        let (chunk, found) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (&buf[..i], Some(i)),
            None => (buf, None),
        };
        if !too_long {
            if out.len() + chunk.len() > limit {
                too_long = true;
                out.clear();
            } else {
                out.extend_from_slice(chunk);
            }
        }
        let used = found.map_or(buf.len(), |i| i + 1);
        r.consume(used);
        if found.is_some() {
            return Ok(if too_long { Line::TooLong } else { Line::Ok });
        }
    }
}

fn read_exact_or_eof(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn strip_bom(line: &[u8], line_no: u64) -> &[u8] {
    if line_no == 1 {
        line.strip_prefix(BOM).unwrap_or(line)
    } else {
        line
    }
}

/// True when `text` is a syntactically fine but unfinished JSON document.
fn is_eof_error(text: &[u8]) -> bool {
    match serde_json::from_slice::<serde::de::IgnoredAny>(text) {
        Err(e) => e.is_eof(),
        Ok(_) => false,
    }
}

/// Why protobuf bytes did not decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtoError {
    /// More than one signal decodes plausibly.
    Ambiguous,
    /// No signal decodes (message says why).
    Invalid(String),
}

/// Decodes a binary Export*ServiceRequest of the given signal, or tells the signal from which
/// request type the bytes decode as plausibly (all three share field 1, so a plain decode is
/// not enough: the nested fields' wire types and contents decide).
pub fn decode_protobuf(bytes: &[u8], signal: Option<Signal>) -> Result<OtlpRequest, ProtoError> {
    let invalid = |what: &str, e: prost::DecodeError| {
        ProtoError::Invalid(format!("not a valid OTLP {what} protobuf request: {e}"))
    };
    match signal {
        Some(Signal::Metrics) => ExportMetricsServiceRequest::decode(bytes)
            .map(OtlpRequest::Metrics)
            .map_err(|e| invalid("metrics", e)),
        Some(Signal::Traces) => ExportTraceServiceRequest::decode(bytes)
            .map(OtlpRequest::Traces)
            .map_err(|e| invalid("traces", e)),
        Some(Signal::Logs) => ExportLogsServiceRequest::decode(bytes)
            .map(OtlpRequest::Logs)
            .map_err(|e| invalid("logs", e)),
        None => {
            let mut found: Vec<OtlpRequest> = Vec::new();
            // Requests that decode but hold no items could be any signal.
            let mut itemless = 0;
            let mut consider = |p: Option<bool>, req: OtlpRequest| match p {
                Some(true) => found.push(req),
                Some(false) => {}
                None => itemless += 1,
            };
            if let Ok(m) = ExportMetricsServiceRequest::decode(bytes) {
                consider(plausible_metrics(&m), OtlpRequest::Metrics(m));
            }
            if let Ok(t) = ExportTraceServiceRequest::decode(bytes) {
                consider(plausible_traces(&t), OtlpRequest::Traces(t));
            }
            if let Ok(l) = ExportLogsServiceRequest::decode(bytes) {
                consider(plausible_logs(&l), OtlpRequest::Logs(l));
            }
            match (found.len(), itemless) {
                (1, _) => Ok(found.remove(0)),
                (0, 0) => Err(ProtoError::Invalid(
                    "not a valid OTLP metrics, traces or logs protobuf request".into(),
                )),
                _ => Err(ProtoError::Ambiguous),
            }
        }
    }
}

/// Some(true): items, all well-formed for this signal; Some(false): malformed; None: no items.
fn plausible_metrics(r: &ExportMetricsServiceRequest) -> Option<bool> {
    let mut any = false;
    for rm in &r.resource_metrics {
        for sm in &rm.scope_metrics {
            for m in &sm.metrics {
                if m.name.is_empty() || m.data.is_none() {
                    return Some(false);
                }
                any = true;
            }
        }
    }
    any.then_some(true)
}

fn plausible_traces(r: &ExportTraceServiceRequest) -> Option<bool> {
    let mut any = false;
    for rs in &r.resource_spans {
        for ss in &rs.scope_spans {
            for s in &ss.spans {
                if s.trace_id.len() != 16 || s.span_id.len() != 8 || s.kind < 0 || s.kind > 5 {
                    return Some(false);
                }
                any = true;
            }
        }
    }
    any.then_some(true)
}

fn plausible_logs(r: &ExportLogsServiceRequest) -> Option<bool> {
    let mut any = false;
    for rl in &r.resource_logs {
        for sl in &rl.scope_logs {
            for l in &sl.log_records {
                if !(0..=24).contains(&l.severity_number)
                    || !(l.trace_id.is_empty() || l.trace_id.len() == 16)
                    || !(l.span_id.is_empty() || l.span_id.len() == 8)
                {
                    return Some(false);
                }
                any = true;
            }
        }
    }
    any.then_some(true)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use otelsnap_testkit::otlp_json as enc;
    use otelsnap_testkit::testdata;

    struct Got {
        report: Result<FileReport, FileError>,
        requests: Vec<OtlpRequest>,
        bad: Vec<BadInput>,
    }

    fn read(bytes: &[u8], opts: FileOptions) -> Got {
        let mut requests = Vec::new();
        let mut bad = Vec::new();
        let report = read_from(
            bytes,
            "in.jsonl",
            &opts,
            &mut |r| {
                requests.push(r);
                Ok(())
            },
            &mut |b| bad.push(b.clone()),
        );
        Got {
            report,
            requests,
            bad,
        }
    }

    fn metrics_line() -> String {
        enc::encode_metrics(&testdata::checkout_metrics()).to_string()
    }

    fn traces_line() -> String {
        enc::encode_traces(&testdata::checkout_traces()).to_string()
    }

    fn logs_line() -> String {
        enc::encode_logs(&testdata::checkout_logs()).to_string()
    }

    fn gzip(b: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(b).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn json_lines_with_bad_lines_skipped_and_located() {
        let text = format!(
            "{}\nnot json\n\n{}\n{{\"resourceMetrics\": [\n{}\n{{\"other\":1}}\n",
            metrics_line(),
            traces_line(),
            logs_line()
        );
        let got = read(text.as_bytes(), FileOptions::default());
        let report = got.report.unwrap();
        assert_eq!(report.format, FileFormat::JsonLines);
        assert_eq!(report.requests, 3);
        assert_eq!(report.bad, 3);
        let signals: Vec<_> = got.requests.iter().map(|r| r.signal()).collect();
        assert_eq!(signals, [Signal::Metrics, Signal::Traces, Signal::Logs]);
        assert_eq!(
            got.requests[0],
            OtlpRequest::Metrics(testdata::checkout_metrics())
        );
        let locations: Vec<_> = got.bad.iter().map(|b| b.location.as_str()).collect();
        assert_eq!(locations, ["in.jsonl:2", "in.jsonl:5", "in.jsonl:7"]);
        assert!(
            got.bad[2].reason.contains("unknown OTLP signal"),
            "{:?}",
            got.bad[2]
        );
    }

    #[test]
    fn pretty_printed_single_request() {
        let v = enc::encode_traces(&testdata::checkout_traces());
        let text = format!("\n\n{}\n", serde_json::to_string_pretty(&v).unwrap());
        let got = read(text.as_bytes(), FileOptions::default());
        let report = got.report.unwrap();
        assert_eq!(report.format, FileFormat::JsonDocuments);
        assert_eq!((report.requests, report.bad), (1, 0));
        assert_eq!(
            got.requests,
            [OtlpRequest::Traces(testdata::checkout_traces())]
        );
    }

    #[test]
    fn pretty_printed_documents_with_a_syntax_error_stop_there() {
        let v = enc::encode_logs(&testdata::checkout_logs());
        let pretty = serde_json::to_string_pretty(&v).unwrap();
        let text = format!("{pretty}\n{pretty}\n{{ \"resourceLogs\": ]\n{pretty}");
        let got = read(text.as_bytes(), FileOptions::default());
        let report = got.report.unwrap();
        assert_eq!((report.requests, report.bad), (2, 1));
        assert!(got.bad[0].reason.contains("document 3"), "{:?}", got.bad);
    }

    #[test]
    fn gzip_json_lines() {
        let text = format!("{}\n{}\n", metrics_line(), logs_line());
        let got = read(&gzip(text.as_bytes()), FileOptions::default());
        let report = got.report.unwrap();
        assert!(report.gzip);
        assert_eq!((report.requests, report.bad), (2, 0));
    }

    #[test]
    fn protobuf_signal_is_detected() {
        let cases = [
            OtlpRequest::Metrics(testdata::checkout_metrics()),
            OtlpRequest::Traces(testdata::checkout_traces()),
            OtlpRequest::Logs(testdata::checkout_logs()),
        ];
        for want in cases {
            let bytes = match &want {
                OtlpRequest::Metrics(r) => r.encode_to_vec(),
                OtlpRequest::Traces(r) => r.encode_to_vec(),
                OtlpRequest::Logs(r) => r.encode_to_vec(),
            };
            for input in [bytes.clone(), gzip(&bytes)] {
                let got = read(&input, FileOptions::default());
                let report = got.report.unwrap();
                assert_eq!(report.format, FileFormat::Protobuf);
                assert_eq!(got.requests, std::slice::from_ref(&want));
            }
        }
    }

    #[test]
    fn protobuf_with_explicit_signal_and_ambiguity() {
        // An empty request decodes as any signal: ambiguous without the flag.
        let empty = ExportLogsServiceRequest {
            resource_logs: vec![Default::default()],
        }
        .encode_to_vec();
        let got = read(&empty, FileOptions::default());
        assert!(matches!(got.report, Err(FileError::Ambiguous { .. })));
        let opts = FileOptions {
            signal: Some(Signal::Logs),
            ..FileOptions::default()
        };
        let got = read(&empty, opts);
        assert_eq!(got.report.unwrap().requests, 1);
        assert_eq!(got.requests[0].signal(), Signal::Logs);
    }

    #[test]
    fn length_delimited_protobuf_stream() {
        let mut bytes = Vec::new();
        for m in [
            testdata::checkout_metrics().encode_to_vec(),
            testdata::checkout_traces().encode_to_vec(),
        ] {
            bytes.extend_from_slice(&(m.len() as u32).to_be_bytes());
            bytes.extend_from_slice(&m);
        }
        bytes.extend_from_slice(&100u32.to_be_bytes());
        bytes.extend_from_slice(&[0x0A, 1, 2]);
        let got = read(&bytes, FileOptions::default());
        let report = got.report.unwrap();
        assert_eq!(report.format, FileFormat::ProtobufDelimited);
        assert_eq!((report.requests, report.bad), (2, 1));
    }

    #[test]
    fn long_lines_are_skipped_with_bounded_memory() {
        let ok = metrics_line();
        let long = format!(
            "{{\"resourceMetrics\":[],\"pad\":\"{}\"}}",
            "x".repeat(3 * ok.len())
        );
        let text = format!("{long}\n{ok}\n");
        let opts = FileOptions {
            signal: None,
            max_body: 2 * ok.len(),
        };
        let got = read(text.as_bytes(), opts);
        let report = got.report.unwrap();
        assert_eq!((report.requests, report.bad), (1, 1));
        assert_eq!(got.bad[0].location, "in.jsonl:1");
    }

    #[test]
    fn empty_and_garbage_files() {
        let got = read(b"", FileOptions::default());
        assert_eq!(got.report.unwrap().format, FileFormat::Empty);
        let got = read(b"  \n\n", FileOptions::default());
        let r = got.report.unwrap();
        assert_eq!((r.requests, r.bad), (0, 0));
        let got = read(&[0xff, 0xfe, 0x00, 0x01], FileOptions::default());
        assert!(matches!(got.report, Err(FileError::NotOtlp { .. })));
    }

    #[test]
    fn a_refusal_stops_reading() {
        let text = format!("{}\n{}\n", metrics_line(), metrics_line());
        let mut n = 0;
        let r = read_from(
            text.as_bytes(),
            "x",
            &FileOptions::default(),
            &mut |_| {
                n += 1;
                Err(Refusal::Stopping)
            },
            &mut |_| {},
        );
        assert!(matches!(r, Err(FileError::Refused { .. })));
        assert_eq!(n, 1);
    }
}
