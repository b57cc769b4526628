//! Reading OTLP from files (`capture --from-file`): single files, and sets of them
//! (directories, globs of rotated Collector dumps) read in parallel in a fixed order.
//!
//! Accepted, sniffed by content (never by file name):
//! - OTLP/JSON lines, as the OTLP file-exporter spec and the Collector's file exporter write
//!   them: one MetricsData / TracesData / LogsData per line, the signal told by its top-level key.
//!   Read line by line, so memory stays bounded by the longest line.
//! - One (or several concatenated) OTLP/JSON documents, pretty-printed over many lines: chosen
//!   when the first non-blank line is an unfinished JSON document.
//! - A binary protobuf Export*ServiceRequest, or a stream of length-prefixed messages as the
//!   Collector's file exporter writes them with `format: proto`: each message (a MetricsData /
//!   TracesData / LogsData, wire-compatible with the Export*ServiceRequest) after its length as a
//!   4-byte big-endian integer. The signal comes from `--from-file-signal`, else from which
//!   request type each message decodes as plausibly (the exporter records it nowhere).
//! - The same length-prefixed stream with each message zstd-compressed on its own: the file
//!   exporter's `compression: zstd` (its default, "legacy" mode), for `format: proto` and
//!   `format: json` alike (see `frames`).
//! - Any of these as a whole gzip or zstd stream (one or many frames or members; the exporter's
//!   `compression: zstd` under its native-compression feature gate, or a dump gzipped later),
//!   sniffed by the magic bytes.
//!
//! A bad line, document or message is reported through a callback with `FILE:LINE` (text) or
//! `FILE:byte OFFSET` (binary) and skipped; an unreadable or unrecognisable file is an error.

mod frames;
mod parallel;
mod protobuf;
mod sources;
#[cfg(test)]
mod tests;

pub use parallel::{Item, read_paths};
pub use protobuf::{ProtoError, decode_protobuf};
pub use sources::{Sources, SourcesError, expand};

use std::cell::Cell;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;

use flate2::read::MultiGzDecoder;

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
    /// Messages each after a 4-byte big-endian length (protobuf, or zstd-compressed
    /// protobuf or JSON per message).
    ProtobufDelimited,
}

/// How a file's bytes were compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Not compressed.
    None,
    /// One gzip stream (or several members).
    Gzip,
    /// One zstd stream (or several frames).
    Zstd,
    /// Each length-prefixed message zstd-compressed on its own.
    ZstdPerMessage,
}

impl Compression {
    /// A short human name.
    pub fn as_str(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
            Compression::ZstdPerMessage => "zstd per message",
        }
    }

    /// True for a compressed stream wrapping the whole file.
    fn is_stream(self) -> bool {
        matches!(self, Compression::Gzip | Compression::Zstd)
    }
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
    /// How the file was compressed.
    pub compression: Compression,
    /// Requests handed to the callback and accepted.
    pub requests: u64,
    /// Lines or documents skipped as malformed.
    pub bad: u64,
}

/// One skipped line or document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadInput {
    /// `FILE:LINE` (text), `FILE:byte OFFSET` (binary; the offset in the decompressed stream
    /// when the whole file is compressed) or `FILE` alone.
    pub location: String,
    /// Why it was skipped.
    pub reason: String,
    /// Whether it was skipped for being over the body limit (`FileOptions::max_body`), so a
    /// caller can say how to raise it.
    pub over_limit: bool,
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
        "{path}: cannot tell whether this protobuf file holds metrics, traces or logs: its signal must be named"
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
    #[error("{path}: {what} is larger than the body limit ({limit} bytes)")]
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
    let head = raw.fill_buf().map_err(io_err)?;
    let compression = if head.starts_with(GZIP_MAGIC) {
        Compression::Gzip
    } else if head.starts_with(ZSTD_MAGIC) {
        Compression::Zstd
    } else {
        Compression::None
    };
    let inner: Box<dyn Read + '_> = match compression {
        Compression::Gzip => Box::new(MultiGzDecoder::new(raw)),
        // Concatenated frames (one per write when the exporter rotates) are read through.
        Compression::Zstd => {
            Box::new(zstd::stream::read::Decoder::with_buffer(raw).map_err(io_err)?)
        }
        Compression::None | Compression::ZstdPerMessage => Box::new(raw),
    };
    let mut r = BufReader::with_capacity(64 * 1024, inner);
    let mut ctx = Reading {
        name,
        opts,
        on_request,
        on_bad,
        report: FileReport {
            format: FileFormat::Empty,
            compression,
            requests: 0,
            bad: 0,
        },
    };
    match sniff(&mut r).map_err(io_err)? {
        Sniffed::Empty => {}
        Sniffed::Json => ctx.json(&mut r)?,
        Sniffed::Protobuf => ctx.protobuf(&mut r)?,
        Sniffed::ProtobufDelimited => ctx.frames(&mut r)?,
        Sniffed::Unknown => {
            return Err(FileError::NotOtlp {
                path: name.to_string(),
                reason: "not OTLP/JSON (no '{' at the start) nor OTLP protobuf; expected JSON lines, a JSON request, a protobuf request or length-prefixed protobuf messages, optionally gzip- or zstd-compressed".into(),
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
    // A length prefix, then a protobuf message (field 1, length-delimited), a zstd frame
    // (per-message compression) or a JSON document (`format: json` with per-message zstd
    // turned off by an encoding extension).
    if body.len() >= 5 && u32::from_be_bytes([body[0], body[1], body[2], body[3]]) > 0 {
        let msg = &body[4..];
        if msg[0] == 0x0A || msg[0] == b'{' || msg.starts_with(ZSTD_MAGIC) {
            return Ok(Sniffed::ProtobufDelimited);
        }
    }
    Ok(Sniffed::Unknown)
}

const BOM: &[u8] = b"\xEF\xBB\xBF";
const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
/// A zstd frame's magic number, 0xFD2FB528 little-endian.
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];

/// UTF-8 text, allowing a multi-byte character cut at the buffer's end.
fn looks_like_text(b: &[u8]) -> bool {
    match std::str::from_utf8(b) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && b.len() - e.valid_up_to() < 4,
    }
}

/// Where in a file a bad entry is.
#[derive(Debug, Clone, Copy)]
enum At {
    /// A line (text).
    Line(u64),
    /// A byte offset (binary).
    Byte(u64),
    /// The file as a whole.
    File,
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

    fn bad(&mut self, at: At, reason: String) {
        self.skipped(at, reason, false);
    }

    fn bad_over_limit(&mut self, at: At, reason: String) {
        self.skipped(at, reason, true);
    }

    fn skipped(&mut self, at: At, reason: String, over_limit: bool) {
        let location = match at {
            At::Line(l) => format!("{}:{l}", self.name),
            At::Byte(b) if self.report.compression.is_stream() => {
                format!("{}:byte {b} (decompressed)", self.name)
            }
            At::Byte(b) => format!("{}:byte {b}", self.name),
            At::File => self.name.to_string(),
        };
        self.report.bad += 1;
        (self.on_bad)(&BadInput {
            location,
            reason,
            over_limit,
        });
    }

    /// A read error: inside a compressed stream it means the stream is corrupt or cut short (a
    /// dump copied while being written): counted at `at`, and the rest of the file skipped;
    /// otherwise the file cannot be read.
    fn read_failed(&mut self, at: At, source: io::Error) -> Result<(), FileError> {
        let codec = self.report.compression;
        if !codec.is_stream() {
            return Err(self.io(source));
        }
        self.bad(
            at,
            format!(
                "the {} stream is corrupt or cut short ({source}); the rest of the file is skipped",
                codec.as_str()
            ),
        );
        Ok(())
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
            let got = match read_line_bounded(r, &mut line, limit) {
                Ok(got) => got,
                Err(e) => return self.read_failed(At::Line(line_no + 1), e),
            };
            let too_long = match got {
                Line::Eof => break,
                Line::Ok => false,
                Line::TooLong => true,
            };
            line_no += 1;
            if too_long {
                decided = true;
                self.report.format = FileFormat::JsonLines;
                self.bad_over_limit(
                    At::Line(line_no),
                    format!("line longer than the body limit ({limit} bytes); skipped"),
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
                    self.bad(At::Line(line_no), e.to_string());
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
            .into_iter::<json::Document>();
        let mut index: u64 = 0;
        loop {
            doc_start.set(stream.byte_offset() as u64);
            index += 1;
            match stream.next() {
                None => break,
                Some(Ok(json::Document(Ok(req)))) => self.deliver(req)?,
                Some(Ok(json::Document(Err(e)))) => {
                    self.bad(At::File, format!("document {index}: {e}"))
                }
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
                        At::File,
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
            return Err(io::Error::other("document larger than the body limit"));
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
