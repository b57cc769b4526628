//! Reading a stored session while it is inflated, without its whole JSON text in memory.
//!
//! A large session's JSON is about 3.5 KB per metric, more than the loaded model of a lean
//! (read-only) load; holding it whole roughly doubled the peak of `diff` and `show`. Here the
//! gzip members [`crate::gzip`] writes are inflated one at a time on a helper thread, and the
//! text is parsed as it arrives: the long arrays of `data` (metrics, spans, logs, the attribute
//! catalog) element by element with the model's own `Deserialize`, everything else collected
//! into a small "shell" document parsed as a [`Session`] at the end. Only what one element
//! spans is ever buffered beyond the member being read.
//!
//! This path never decides that a file is bad: anything it does not expect (another layout,
//! invalid UTF-8 or JSON, a duplicate field, an element that does not fit, damage in the gzip
//! stream) returns `None`, and the caller reads the file the whole way, which reports the
//! problem exactly as it always has. On success the session is the one the whole-text parse
//! gives (`tests`: a differential test over generated sessions and edge cases).

use std::io::Read;
use std::sync::mpsc;

use serde::de::{DeserializeOwned, IgnoredAny};

use super::format::ReadLimits;
use super::model::{
    AttributeMeta, KeyStatsMap, LogMeta, MetricMeta, Session, SessionData, SpanMeta,
};

/// Members inflated ahead of the parser at most (each about 1 MiB of text).
const AHEAD: usize = 2;

/// Why this path gave up; the caller then reads the file the whole way.
#[derive(Debug)]
struct GiveUp;

type Step<T> = Result<T, GiveUp>;

/// Parses the session in `file` as it is read (gzip, or plain JSON); `None` when anything is
/// amiss (see the module's doc). The caller applies the same checks after parsing as for a
/// whole-text parse.
pub(crate) fn read<R: Read + Send>(file: R, limits: &ReadLimits) -> Option<Session> {
    let max_out = limits.max_decompressed;
    std::thread::scope(|sc| {
        let (tx, rx) = mpsc::sync_channel::<Result<Vec<u8>, ()>>(AHEAD);
        sc.spawn(move || {
            let mut file = std::io::BufReader::with_capacity(PIECE, file);
            // A closed channel means the parser gave up: stop reading.
            let send = |piece| tx.send(piece).is_ok();
            match sniff(&mut file) {
                Some(Kind::Members) => {
                    let Some(mut members) = crate::gunzip::MemberReader::new(file, max_out) else {
                        send(Err(()));
                        return;
                    };
                    loop {
                        let go_on = match members.next_member() {
                            Ok(Some(chunk)) => send(Ok(chunk)),
                            Ok(None) => false,
                            Err(()) => {
                                send(Err(()));
                                false
                            }
                        };
                        if !go_on {
                            return;
                        }
                    }
                }
                Some(Kind::Gzip) => {
                    pieces(flate2::bufread::MultiGzDecoder::new(file), max_out, send)
                }
                Some(Kind::Plain) => pieces(file, u64::MAX, send),
                None => {
                    send(Err(()));
                }
            }
        });
        let mut p = Parser::new(move || match rx.recv() {
            Ok(Ok(chunk)) => Ok(Some(chunk)),
            Ok(Err(())) => Err(GiveUp),
            // The reader finished (its sender is dropped): the end of the text.
            Err(mpsc::RecvError) => Ok(None),
        });
        // Dropping the parser (and its receiver) on failure stops the reading thread.
        p.session().ok()
    })
}

/// Bytes handed to the parser at a time from a stream that is not in members.
const PIECE: usize = 1 << 20;

/// How the file is laid out.
enum Kind {
    /// Gzip members that declare their lengths ([`crate::gzip`]): inflated whole, by libdeflate.
    Members,
    /// Any other gzip (older files, other tools): inflated as a stream.
    Gzip,
    /// JSON as it is.
    Plain,
}

fn sniff(file: &mut impl std::io::BufRead) -> Option<Kind> {
    let head = file.fill_buf().ok()?;
    if head.starts_with(&[0x1f, 0x8b]) {
        // The extra field is in the first few bytes; a short first read is just the slow path.
        let declared = head.len() >= 12
            && head[3] & 0x04 != 0
            && head
                .get(12..12 + u16::from_le_bytes([head[10], head[11]]) as usize)
                .is_some_and(|extra| has_subfield(extra, crate::gzip::MEMBER_SUBFIELD));
        Some(if declared { Kind::Members } else { Kind::Gzip })
    } else if head
        .first()
        .is_some_and(|b| matches!(b, b'{' | b' ' | b'\n' | b'\r' | b'\t'))
    {
        Some(Kind::Plain)
    } else {
        // Empty, a byte order mark, anything else: the whole read says what it is.
        None
    }
}

fn has_subfield(extra: &[u8], id: [u8; 2]) -> bool {
    let mut i = 0;
    while i + 4 <= extra.len() {
        if extra[i..i + 2] == id {
            return true;
        }
        i += 4 + u16::from_le_bytes([extra[i + 2], extra[i + 3]]) as usize;
    }
    false
}

/// Reads `r` in pieces of [`PIECE`] bytes into `send`, giving up past `max_out` bytes or on
/// any error.
fn pieces(mut r: impl Read, max_out: u64, send: impl Fn(Result<Vec<u8>, ()>) -> bool) {
    let mut total = 0u64;
    loop {
        let mut piece = Vec::with_capacity(PIECE);
        match (&mut r).take(PIECE as u64).read_to_end(&mut piece) {
            Ok(0) => return,
            Ok(n) => {
                total = total.saturating_add(n as u64);
                if total > max_out {
                    send(Err(()));
                    return;
                }
                if !send(Ok(piece)) {
                    return;
                }
            }
            Err(_) => {
                send(Err(()));
                return;
            }
        }
    }
}

/// Parses the same text handed over in pieces, for tests: the pieces may split anything.
#[cfg(test)]
pub(crate) fn read_pieces(pieces: Vec<Vec<u8>>) -> Option<Session> {
    let mut it = pieces.into_iter();
    Parser::new(move || Ok(it.next())).session().ok()
}

/// An incremental parser over text arriving in pieces.
struct Parser<F> {
    next: F,
    /// Text received and not yet consumed (from `pos`); always valid UTF-8.
    buf: String,
    pos: usize,
    /// The bytes of a character split between two pieces.
    carry: Vec<u8>,
    done: bool,
}

impl<F: FnMut() -> Step<Option<Vec<u8>>>> Parser<F> {
    fn new(next: F) -> Self {
        Parser {
            next,
            buf: String::new(),
            pos: 0,
            carry: Vec::new(),
            done: false,
        }
    }

    /// Appends the next piece; `false` at the end of the text.
    fn more(&mut self) -> Step<bool> {
        if self.done {
            return Ok(false);
        }
        let Some(piece) = (self.next)()? else {
            self.done = true;
            // A character cut off at the very end: not text.
            return if self.carry.is_empty() {
                Ok(false)
            } else {
                Err(GiveUp)
            };
        };
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        let joined;
        let bytes: &[u8] = if self.carry.is_empty() {
            &piece
        } else {
            let mut j = std::mem::take(&mut self.carry);
            j.extend_from_slice(&piece);
            joined = j;
            &joined
        };
        match std::str::from_utf8(bytes) {
            Ok(s) => self.buf.push_str(s),
            Err(e) if e.error_len().is_none() => {
                let (ok, rest) = bytes.split_at(e.valid_up_to());
                // `ok` was just validated up to here.
                self.buf
                    .push_str(std::str::from_utf8(ok).map_err(|_| GiveUp)?);
                self.carry = rest.to_vec();
            }
            Err(_) => return Err(GiveUp),
        }
        Ok(true)
    }

    /// Appends pieces until at least `want` more bytes are buffered or the text ends, so a
    /// value retried after running out of text is parsed again at most a few times.
    fn grow(&mut self, want: usize) -> Step<()> {
        let target = self.buf.len() - self.pos + want.max(1);
        while self.buf.len() - self.pos < target {
            if !self.more()? {
                break;
            }
        }
        Ok(())
    }

    /// The next byte that is not JSON whitespace, not consumed; `None` at the end of the text.
    fn peek(&mut self) -> Step<Option<u8>> {
        loop {
            let rest = &self.buf.as_bytes()[self.pos..];
            match rest
                .iter()
                .position(|b| !matches!(b, b' ' | b'\n' | b'\r' | b'\t'))
            {
                Some(i) => {
                    self.pos += i;
                    return Ok(Some(rest[i]));
                }
                None => {
                    self.pos = self.buf.len();
                    if !self.more()? {
                        return Ok(None);
                    }
                }
            }
        }
    }

    /// Consumes `b` (after whitespace) or gives up.
    fn expect(&mut self, b: u8) -> Step<()> {
        if self.peek()? == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(GiveUp)
        }
    }

    /// One JSON value read as `T`, and the text it spanned. A value that ends exactly where
    /// the buffered text does may be cut short (a number), so it is read again with more.
    fn value<T: DeserializeOwned>(&mut self) -> Step<(T, std::ops::Range<usize>)> {
        loop {
            self.peek()?;
            let rest = &self.buf[self.pos..];
            let mut it = serde_json::Deserializer::from_str(rest).into_iter::<T>();
            match it.next() {
                Some(Ok(v)) => {
                    let end = it.byte_offset();
                    if end < rest.len() || self.done {
                        let span = self.pos..self.pos + end;
                        self.pos += end;
                        return Ok((v, span));
                    }
                }
                Some(Err(e)) if e.is_eof() && !self.done => {}
                _ => return Err(GiveUp),
            }
            let pending = self.buf.len() - self.pos;
            self.grow(pending)?;
        }
    }

    /// An object key.
    fn key(&mut self) -> Step<String> {
        if self.peek()? != Some(b'"') {
            return Err(GiveUp);
        }
        let (k, _) = self.value::<String>()?;
        self.expect(b':')?;
        Ok(k)
    }

    /// The value at hand copied as it is into `shell`, after `"key":`.
    fn copy_member(&mut self, key: &str, shell: &mut String) -> Step<()> {
        let (_, span) = self.value::<IgnoredAny>()?;
        push_key(shell, key);
        shell.push_str(&self.buf[span]);
        Ok(())
    }

    /// `,` then more members, or the closing `}`: true while members follow.
    fn next_member(&mut self) -> Step<bool> {
        match self.peek()? {
            Some(b',') => {
                self.pos += 1;
                Ok(true)
            }
            Some(b'}') => {
                self.pos += 1;
                Ok(false)
            }
            _ => Err(GiveUp),
        }
    }

    /// The whole document.
    fn session(&mut self) -> Step<Session> {
        let mut shell = String::with_capacity(4096);
        let mut arrays = Arrays::default();
        let mut seen_data = false;
        self.expect(b'{')?;
        shell.push('{');
        if self.peek()? == Some(b'}') {
            self.pos += 1;
        } else {
            loop {
                let key = self.key()?;
                if key == "data" && self.peek()? == Some(b'{') {
                    if seen_data {
                        return Err(GiveUp);
                    }
                    seen_data = true;
                    self.pos += 1;
                    push_key(&mut shell, "data");
                    shell.push('{');
                    self.data(&mut shell, &mut arrays)?;
                    shell.push('}');
                } else {
                    // A second `data` of another kind is a duplicate field to the whole parse.
                    if key == "data" && seen_data {
                        return Err(GiveUp);
                    }
                    seen_data |= key == "data";
                    self.copy_member(&key, &mut shell)?;
                }
                if !self.next_member()? {
                    break;
                }
            }
        }
        shell.push('}');
        // Nothing but whitespace may follow.
        if self.peek()?.is_some() {
            return Err(GiveUp);
        }
        let mut session: Session = serde_json::from_str(&shell).map_err(|_| GiveUp)?;
        arrays.fill(&mut session.data);
        Ok(session)
    }

    /// The members of `data`, after its `{`, up to and including its `}`.
    fn data(&mut self, shell: &mut String, arrays: &mut Arrays) -> Step<()> {
        if self.peek()? == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            let key = self.key()?;
            let streamed = matches!(key.as_str(), "metrics" | "spans" | "logs" | "attributes");
            if streamed {
                // Twice is a duplicate field to the whole parse, whatever the values.
                if !arrays.seen.insert(key.clone()) {
                    return Err(GiveUp);
                }
            }
            if streamed && self.peek()? == Some(b'[') {
                self.pos += 1;
                match key.as_str() {
                    "metrics" => self.array(&mut arrays.metrics, metric_is_plain)?,
                    "spans" => self.array(&mut arrays.spans, span_is_plain)?,
                    "logs" => self.array(&mut arrays.logs, log_is_plain)?,
                    _ => self.array(&mut arrays.attributes, |a| a.occ_hll.is_none())?,
                }
            } else {
                self.copy_member(&key, shell)?;
            }
            if !self.next_member()? {
                return Ok(());
            }
        }
    }

    /// The elements of an array, after its `[`, up to and including its `]`. `plain` tells an
    /// element the whole parse would read the same: one holding free-form JSON (OCC's
    /// sketches) could nest deeper than the whole document allows, so such a file is left to it.
    fn array<T: DeserializeOwned>(
        &mut self,
        out: &mut Vec<T>,
        plain: impl Fn(&T) -> bool,
    ) -> Step<()> {
        if self.peek()? == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            let (v, _) = self.value::<T>()?;
            if !plain(&v) {
                return Err(GiveUp);
            }
            out.push(v);
            match self.peek()? {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    out.shrink_to_fit();
                    return Ok(());
                }
                _ => return Err(GiveUp),
            }
        }
    }
}

/// Appends `"key":` (after a comma unless first in its object: a complete JSON value never
/// ends in `{`, so the last byte tells).
fn push_key(shell: &mut String, key: &str) {
    if !shell.ends_with('{') {
        shell.push(',');
    }
    // Serializing a string cannot fail.
    shell.push_str(&serde_json::to_string(key).unwrap_or_default());
    shell.push(':');
}

/// The arrays of `data` read element by element.
#[derive(Default)]
struct Arrays {
    seen: std::collections::BTreeSet<String>,
    metrics: Vec<MetricMeta>,
    spans: Vec<SpanMeta>,
    logs: Vec<LogMeta>,
    attributes: Vec<AttributeMeta>,
}

impl Arrays {
    fn fill(self, d: &mut SessionData) {
        let Arrays {
            metrics,
            spans,
            logs,
            attributes,
            seen: _,
        } = self;
        if !metrics.is_empty() {
            d.metrics = metrics;
        }
        if !spans.is_empty() {
            d.spans = spans;
        }
        if !logs.is_empty() {
            d.logs = logs;
        }
        if !attributes.is_empty() {
            d.attributes = attributes;
        }
    }
}

fn keys_are_plain(m: &KeyStatsMap) -> bool {
    m.values().all(|k| k.occ_hll.is_none())
}

fn metric_is_plain(m: &MetricMeta) -> bool {
    m.occ_series_hll.is_none() && m.key_maps().all(keys_are_plain)
}

fn span_is_plain(s: &SpanMeta) -> bool {
    s.name_patterns.is_none() && s.key_maps().all(keys_are_plain)
}

fn log_is_plain(l: &LogMeta) -> bool {
    l.key_maps().all(keys_are_plain)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::format::{ReadLimits, to_gzip, to_json};
    use crate::session::{KeyStats, Signal};

    /// A small session touching every streamed array, with text that is not ASCII.
    fn sample() -> Session {
        let mut s = Session::new("stream-ü");
        s.description = "naïve — 日本語 🚀".into();
        s.signals = vec![Signal::Metrics, Signal::Traces, Signal::Logs];
        for i in 0..40 {
            let mut m = MetricMeta {
                name: format!("métrique.{i:03}"),
                unit: "ms".into(),
                sample_count: 10 + i,
                ..Default::default()
            };
            let mut sk = crate::sketch::Sketch::new();
            sk.insert(format!("v{i}").as_bytes());
            m.label_keys.insert(
                format!("clé.{}", i % 3),
                KeyStats {
                    count: 3,
                    estimated_cardinality: 1,
                    value_samples: vec!["é🚀".into()],
                    sketch: Some(std::sync::Arc::new(sk.to_data())),
                    ..Default::default()
                },
            );
            m.explicit_bounds = vec![0.5, 1e300, 12345.678];
            s.data.metrics.push(m);
        }
        s.data.spans.push(SpanMeta {
            name: "GET /ü".into(),
            kind: 2,
            ..Default::default()
        });
        s.data.logs.push(LogMeta {
            severity: "INFO".into(),
            severity_number: 9,
            ..Default::default()
        });
        s.data.attributes.push(AttributeMeta {
            key: "clé.0".into(),
            count: 5,
            ..Default::default()
        });
        s.canonicalize();
        s
    }

    fn pieces(text: &[u8], size: usize) -> Vec<Vec<u8>> {
        text.chunks(size.max(1)).map(<[u8]>::to_vec).collect()
    }

    /// The whole-text parse this path must agree with.
    fn whole(text: &[u8]) -> Option<Session> {
        serde_json::from_slice(text).ok()
    }

    #[test]
    fn pieces_of_any_size_read_as_the_whole_text() {
        let s = sample();
        for text in [to_json(&s, false), to_json(&s, true)] {
            for size in [1, 2, 3, 5, 64, 1000, 4096, text.len()] {
                let got = read_pieces(pieces(&text, size));
                assert_eq!(got.as_ref(), Some(&s), "piece size {size}");
            }
            // Lean reads agree too: estimates only, samples dropped.
            let lean = crate::session::estimates_only(|| read_pieces(pieces(&text, 777)));
            let lean_whole = crate::session::estimates_only(|| whole(&text));
            assert!(lean.is_some());
            assert_eq!(lean, lean_whole);
        }
    }

    #[test]
    fn other_layouts_read_the_same_or_are_left_to_the_whole_parse() {
        let s = sample();
        let compact = String::from_utf8(to_json(&s, false)).unwrap();
        let mut docs: Vec<String> = vec![
            // data first, unknown members, null arrays, empty objects.
            r#"{"data":{"metrics":[{"name":"a"}],"x":[1,{"y":2}]},"version":1,"id":"a","created":"2024-01-01T00:00:00Z","zz":null}"#.into(),
            r#"{"version":1,"id":"a","created":"2024-01-01T00:00:00Z","data":{"metrics":null,"spans":[],"logs":null}}"#.into(),
            r#"{"version":1,"id":"a","created":"2024-01-01T00:00:00Z","data":{}}"#.into(),
            r#" {"version" : 1 , "id":"a","created":"2024-01-01T00:00:00Z","data" : { "metrics" : [ {"name":"a"} , {"name":"b"} ] } } "#.into(),
            // An escaped key naming a field.
            r#"{"version":1,"id":"a","created":"2024-01-01T00:00:00Z","d\u0061ta":{"metrics":[{"name":"a"}]}}"#.into(),
        ];
        // Documents the whole parse refuses: this path must not accept them.
        let refused = [
            r#"{"version":1,"id":"a","created":"2024-01-01T00:00:00Z","data":{"metrics":[]},"data":{}}"#.to_string(),
            r#"{"version":1,"id":"a","created":"2024-01-01T00:00:00Z","data":{"metrics":[],"metrics":null}}"#.into(),
            r#"{"version":1,"id":"a","created":"2024-01-01T00:00:00Z","data":{"metrics":[{"name":1}]}}"#.into(),
            r#"{"version":1,"id":"a","created":"2024-01-01T00:00:00Z","data":{"metrics":[{"name":"a"},]}}"#.into(),
            r#"{"version":1,"id":"a","created":"2024-01-01T00:00:00Z","data":[]}"#.into(),
            r#"{"version":1,"id":1,"created":"2024-01-01T00:00:00Z","data":{}}"#.into(),
            r#"{"version":1,"id":"a","created":"2024-01-01T00:00:00Z","data":{}} x"#.into(),
            r#"{"version":1,"id":"a","created":"2024-01-01T00:00:00Z","data":{}}{}"#.into(),
            r#"{"version":1,"id":"a","created":"2024-01-01T00:00:00Z","data":{"metrics":[{"name":"a"}"#.into(),
            r#"{"version":1,"id":"a","created":"2024-01-01T00:00:00Z","data":{},"version":1}"#.into(),
            compact[..compact.len() - 1].to_string(),
            String::new(),
            "[]".into(),
        ];
        docs.extend(refused.iter().cloned());
        docs.push(compact);
        for doc in &docs {
            let want = whole(doc.as_bytes());
            for size in [1, 3, 17, doc.len().max(1)] {
                let got = read_pieces(pieces(doc.as_bytes(), size));
                match (&got, &want) {
                    (Some(g), Some(w)) => assert_eq!(g, w, "{doc}"),
                    (None, _) => assert!(
                        refused.contains(doc) || want.is_none(),
                        "left a plain document to the whole parse: {doc}"
                    ),
                    (Some(_), None) => panic!("accepted what the whole parse refuses: {doc}"),
                }
            }
            if refused.contains(doc) {
                assert!(want.is_none(), "not refused by the whole parse: {doc}");
            }
        }
        // Invalid UTF-8 and a character cut at the end are left to the whole parse.
        let mut bad = to_json(&s, false);
        let at = bad.len() / 2;
        bad[at] = 0xff;
        assert_eq!(read_pieces(pieces(&bad, 100)), None);
        let mut cut = to_json(&s, false);
        cut.extend_from_slice("é".as_bytes().get(..1).unwrap());
        assert_eq!(read_pieces(pieces(&cut, 100)), None);
    }

    #[test]
    fn free_form_json_inside_elements_is_left_to_the_whole_parse() {
        let doc = r#"{"version":1,"id":"a","created":"2024-01-01T00:00:00Z","data":{"metrics":[{"name":"a","series_hll":{"x":[1]}}]}}"#;
        assert!(whole(doc.as_bytes()).is_some());
        assert_eq!(read_pieces(pieces(doc.as_bytes(), 10)), None);
    }

    #[test]
    fn files_read_while_inflating_equal_the_whole_read() {
        let s = sample();
        // Several members: the JSON of many copies of the metrics passes 1 MiB.
        let mut big = s.clone();
        let base = big.data.metrics.clone();
        for r in 0..300 {
            big.data.metrics.extend(base.iter().map(|m| MetricMeta {
                name: format!("{r:03}.{}", m.name),
                ..m.clone()
            }));
        }
        big.canonicalize();
        let lim = ReadLimits::default();
        for sess in [&s, &big] {
            let gz = to_gzip(sess);
            let whole = crate::session::estimates_only(|| {
                crate::session::format::decode(&gz, &lim, "t").unwrap()
            });
            let streamed = crate::session::estimates_only(|| read(&gz[..], &lim)).unwrap();
            let streamed = crate::session::format::accept(streamed, "t").unwrap();
            assert_eq!(streamed, whole);
        }
        assert!(to_json(&big, false).len() > 2 * crate::gzip::CHUNK);
        // Damage, a cut, a tail, or output past the limit: left to the whole read.
        let gz = to_gzip(&big);
        let n = gz.len();
        let mut bad = gz.clone();
        bad[n / 2] ^= 0x40;
        assert!(read(&bad[..], &lim).is_none());
        assert!(read(&gz[..n - 3], &lim).is_none());
        let mut tail = gz.clone();
        tail.extend_from_slice(b"xyz");
        assert!(read(&tail[..], &lim).is_none());
        let small = ReadLimits {
            max_file: lim.max_file,
            max_decompressed: to_json(&big, false).len() as u64 - 1,
        };
        assert!(read(&gz[..], &small).is_none());
        // One plain gzip member (older files) and plain JSON are read as streams.
        let json = to_json(&big, false);
        let one = crate::session::format::gzip_with_header(&json, None);
        let want = crate::session::estimates_only(|| whole(&json));
        for bytes in [&one, &json] {
            let got = crate::session::estimates_only(|| read(&bytes[..], &lim));
            assert_eq!(got, want);
        }
        assert!(read(&one[..], &small).is_none());
        let mut tail = one.clone();
        tail.extend_from_slice(b"xyz");
        assert!(read(&tail[..], &lim).is_none());
        let bom = [b"\xef\xbb\xbf".as_slice(), &json].concat();
        assert!(read(&bom[..], &lim).is_none());
    }

    #[test]
    fn a_read_only_load_holds_each_key_text_and_the_empty_sketch_once() {
        let s = sample();
        let gz = to_gzip(&s);
        let lim = ReadLimits::default();
        let lean = crate::session::estimates_only(|| read(&gz[..], &lim)).unwrap();
        let full = read(&gz[..], &lim).unwrap();
        // The same session either way (sketch bytes aside): interning changes no value.
        assert_eq!(lean.data.metrics.len(), full.data.metrics.len());
        let keys = |s: &Session| -> Vec<(crate::session::Key, Option<u64>)> {
            s.data
                .key_maps()
                .flat_map(|m| {
                    m.iter()
                        .map(|(k, ks)| (k.clone(), Some(ks.estimated_cardinality)))
                })
                .collect()
        };
        assert_eq!(keys(&lean), keys(&full));
        let (mut shared, mut first) = (0, std::collections::HashMap::new());
        let mut sketches: Vec<&std::sync::Arc<crate::sketch::SketchData>> = Vec::new();
        for (k, ks) in lean.data.key_maps().flat_map(|m| m.iter()) {
            match first.get(k.as_str()) {
                Some(f) => {
                    let f: &crate::session::Key = f;
                    assert!(k.shares_text_with(f), "{k} read twice");
                    shared += 1;
                }
                None => {
                    first.insert(k.as_str(), k.clone());
                }
            }
            sketches.extend(ks.sketch.as_ref());
        }
        assert!(shared > 0, "the sample repeats no key");
        assert!(sketches.len() > 1);
        assert!(
            sketches
                .windows(2)
                .all(|w| std::sync::Arc::ptr_eq(w[0], w[1]))
        );
        // A full load keeps every sketch's own bytes.
        let full_sketches: Vec<_> = full
            .data
            .key_maps()
            .flat_map(|m| m.values())
            .filter_map(|ks| ks.sketch.as_ref())
            .collect();
        assert_eq!(full_sketches.len(), sketches.len());
        assert!(full_sketches.iter().all(|d| !d.data.is_empty()));
    }

    #[test]
    fn an_overview_load_drops_the_samples_of_item_keys_and_keeps_the_catalogs() {
        let mut s = sample();
        s.data.attributes[0].value_samples = vec!["a".into(), "b".into()];
        let gz = to_gzip(&s);
        let lim = ReadLimits::default();
        let lean = crate::session::without_sketch_data(|| read(&gz[..], &lim)).unwrap();
        let overview = crate::session::without_key_samples(|| read(&gz[..], &lim)).unwrap();
        let samples = |s: &Session| -> usize {
            s.data
                .key_maps()
                .flat_map(|m| m.values())
                .map(|k| k.value_samples.len())
                .sum()
        };
        assert!(samples(&lean) > 0);
        assert_eq!(samples(&overview), 0);
        assert_eq!(overview.data.attributes, lean.data.attributes);
        assert_eq!(overview.data.attributes[0].value_samples, ["a", "b"]);
        // Everything else reads the same.
        let mut emptied = lean.clone();
        for ks in emptied.data.key_maps_mut().flat_map(|m| m.values_mut()) {
            ks.value_samples.clear();
        }
        assert_eq!(overview, emptied);
        // The flag ends with its call.
        let after = crate::session::without_sketch_data(|| read(&gz[..], &lim)).unwrap();
        assert_eq!(after, lean);
    }
}
