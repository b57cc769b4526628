//! The session file format: JSON, gzipped on disk, with a small metadata header.
//!
//! A stored session is gzip (written by [`crate::gzip`]: members of 1 MiB of JSON each, made by
//! libdeflate on several threads) whose first member's extra field carries a subfield `OS`
//! holding a compact JSON [`Header`]. `list` reads only that header, so it stays fast however
//! large the sessions are. Readers sniff content (gzip magic or `{`), never file names, and
//! read any gzip: one member (older files) or several.

use std::io::Write;

use chrono::{DateTime, Utc};
use flate2::{Compression, GzBuilder};
use serde::{Deserialize, Serialize};

use super::error::SessionError;
use super::model::{FORMAT_VERSION, Session, SessionStats, Signal, rfc3339};
use super::occ;
use crate::gunzip::GunzipError;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const HEADER_SUBFIELD: [u8; 2] = *b"OS";
/// Services listed in a header at most; the header must fit the gzip extra field (64 KiB).
const HEADER_MAX_SERVICES: usize = 200;

/// Limits applied when reading a session.
#[derive(Debug, Clone, Copy)]
pub struct ReadLimits {
    /// Largest file (compressed) accepted.
    pub max_file: u64,
    /// Largest decompressed JSON accepted (gzip-bomb guard).
    pub max_decompressed: u64,
}

/// Default limit on a session file's size: 640 MiB of gzip, room for a session of 500,000
/// metrics (about 1,050 bytes each compressed at the store's gzip level, with five label keys
/// and their sketches: 502 MiB, so a fifth to spare; BENCHMARKS.md). `diff` and `show` read
/// such a file in a few GiB (they never hold its text whole: [`super::store::read_file`]);
/// what writes or merges sessions holds one whole.
pub const DEFAULT_MAX_SESSION_SIZE: u64 = 640 * 1024 * 1024;

/// Default decompression limit: 2 GiB, the JSON of the 500,000-metric session
/// [`DEFAULT_MAX_SESSION_SIZE`] is chosen for (about 3.5 KB per metric, so 1.7 GB). The
/// read-only commands (`diff`, `show`) parse while they inflate, so neither a large session
/// nor a gzip bomb makes them hold the text: a bomb costs them time, not memory. Commands that
/// load a session whole (`merge`, `export`, `import`) hold its text while parsing, so a bomb
/// costs them at most this much before it is refused (decompression never holds more than the
/// limit); lower it with the flag where memory is tighter than that.
pub const DEFAULT_MAX_DECOMPRESSED: u64 = 2 * 1024 * 1024 * 1024;

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            max_file: DEFAULT_MAX_SESSION_SIZE,
            max_decompressed: DEFAULT_MAX_DECOMPRESSED,
        }
    }
}

/// What `list` needs, stored in the gzip header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// The session format version.
    pub version: u32,
    /// The session id.
    pub id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    /// The description, cut to 500 characters.
    pub description: String,
    #[serde(with = "rfc3339")]
    /// When the session was created.
    pub created: DateTime<Utc>,
    /// Signals the session declares.
    pub signals: Vec<Signal>,
    /// Summary counts (services cut to a few hundred).
    pub stats: SessionStats,
    /// Distinct services in the session (the header lists at most a few hundred).
    pub services_total: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The capture window in seconds, if it has one.
    pub window_seconds: Option<f64>,
}

impl Header {
    /// The header for a session.
    pub fn of(s: &Session) -> Header {
        let mut stats = s.stats.clone();
        let services_total = stats.services.len() as u64;
        stats.services.truncate(HEADER_MAX_SERVICES);
        Header {
            version: s.version,
            id: s.id.clone(),
            description: s.description.chars().take(500).collect(),
            created: s.created,
            signals: s.signals.clone(),
            stats,
            services_total,
            window_seconds: s.capture.as_ref().and_then(|c| c.window_seconds()),
        }
    }
}

/// Serializes a session as canonical JSON (compact or pretty). Deterministic for equal sessions.
pub fn to_json(session: &Session, pretty: bool) -> Vec<u8> {
    let r = if pretty {
        serde_json::to_vec_pretty(session)
    } else {
        serde_json::to_vec(session)
    };
    // Serialization of our own model cannot fail: every map key is a string, no NaN keys.
    let mut v = r.unwrap_or_default();
    if pretty {
        v.push(b'\n');
    }
    v
}

/// Gzips the session's compact JSON with the metadata header; what the store writes. The JSON
/// is streamed into the compressor a chunk at a time, so a large session is never held twice
/// in memory.
pub fn to_gzip(session: &Session) -> Vec<u8> {
    crate::gzip::compress_with(&header_extra(Some(&Header::of(session))), |w| {
        serialize_into(session, w)
    })
    .0
}

/// [`to_gzip`] written to `sink` as it is made (the same bytes), so the file is never held
/// whole in memory; the bytes written, or the first error writing them.
pub fn to_gzip_into(session: &Session, sink: &mut dyn Write) -> std::io::Result<u64> {
    crate::gzip::compress_to(sink, &header_extra(Some(&Header::of(session))), |w| {
        serialize_into(session, w)
    })
    .map(|(n, ())| n)
}

/// The session's compact JSON into the gzip members' writer.
fn serialize_into(session: &Session, w: &mut dyn Write) {
    let mut w = std::io::BufWriter::with_capacity(64 * 1024, w);
    // Writing into the members cannot fail, and our model always serializes.
    let _ = serde_json::to_writer(&mut w, session);
    let _ = w.flush();
}

/// Gzips `shell` (a session whose `data.metrics` and `data.attributes` are empty, with stats
/// that already count them) with `metrics` and `attributes` written in their arrays as they
/// come: the same bytes as [`to_gzip`] of the whole session, without holding every metric or
/// catalog entry at once (for key-heavy input the catalog's session form alone is hundreds of
/// bytes per key).
pub fn to_gzip_streaming(
    shell: &Session,
    metrics: impl Iterator<Item = crate::session::MetricMeta>,
    attributes: impl Iterator<Item = crate::session::AttributeMeta>,
) -> Vec<u8> {
    let json = serde_json::to_vec(shell).unwrap_or_default();
    let spots = empty_metrics_array(&json)
        .filter(|_| shell.data.metrics.is_empty() && shell.data.attributes.is_empty())
        .and_then(|at| Some((at, empty_attributes_array(&json, at)?)));
    let Some((at, attr_at)) = spots else {
        // Not the layout this relies on (cannot happen with our model): build it whole.
        let mut whole = shell.clone();
        whole.data.metrics.extend(metrics);
        whole.data.attributes.extend(attributes);
        return to_gzip(&whole);
    };
    crate::gzip::compress_with(&header_extra(Some(&Header::of(shell))), |w| {
        let mut w = std::io::BufWriter::with_capacity(64 * 1024, w);
        // Writing into memory cannot fail, and our model always serializes.
        let _ = w.write_all(&json[..at]);
        for (i, m) in metrics.enumerate() {
            if i > 0 {
                let _ = w.write_all(b",");
            }
            let _ = serde_json::to_writer(&mut w, &m);
        }
        let _ = w.write_all(&json[at..attr_at]);
        for (i, a) in attributes.enumerate() {
            if i > 0 {
                let _ = w.write_all(b",");
            }
            let _ = serde_json::to_writer(&mut w, &a);
        }
        let _ = w.write_all(&json[attr_at..]);
        let _ = w.flush();
    })
    .0
}

/// Where the elements of `data.attributes` go (the offset of its `]`), given `at`, the offset
/// of the empty metrics array's `]`: the attributes array is the last member of `data`, so it
/// ends just before the `}` that closes `data`, found by scanning outside strings.
fn empty_attributes_array(json: &[u8], at: usize) -> Option<usize> {
    const ATTRS: &[u8] = b"\"attributes\":[]";
    // Inside `data` (1) and its metrics array (2).
    let mut depth = 2usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, &b) in json.iter().enumerate().skip(at) {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return json[..i].ends_with(ATTRS).then(|| i - 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// Where the elements of the top-level `data.metrics` array go in a compact session JSON
/// whose array is empty (the offset of its `]`): found by scanning, so text inside strings
/// can never be mistaken for it.
fn empty_metrics_array(json: &[u8]) -> Option<usize> {
    const DATA: &[u8] = b"\"data\":{\"metrics\":[]";
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut i = 0;
    while i < json.len() {
        let b = json[i];
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else {
            match b {
                b'"' => {
                    if depth == 1 && json[i..].starts_with(DATA) {
                        return Some(i + DATA.len() - 1);
                    }
                    in_string = true;
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        i += 1;
    }
    None
}

/// Gzips bytes as one plain member (flate2, level 6), with our header subfield when given:
/// the classic form, as older versions wrote and other tools write.
pub fn gzip_with_header(json: &[u8], header: Option<&Header>) -> Vec<u8> {
    let mut enc = gz_encoder(header);
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(json);
    enc.finish().unwrap_or_default()
}

/// A gzip encoder into memory with our header subfield; no file name or mtime, so output is
/// deterministic.
fn gz_encoder(header: Option<&Header>) -> flate2::write::GzEncoder<Vec<u8>> {
    let mut b = GzBuilder::new();
    if header.is_some() {
        b = b.extra(header_extra(header));
    }
    b.mtime(0).write(Vec::new(), Compression::new(6))
}

/// The gzip extra field carrying our header subfield (empty without a header).
fn header_extra(header: Option<&Header>) -> Vec<u8> {
    let Some(h) = header else {
        return Vec::new();
    };
    let mut hj = serde_json::to_vec(h).unwrap_or_default();
    if hj.len() > 60_000 {
        hj.clear(); // cannot happen with truncated services; never write a broken header
    }
    let mut extra = Vec::with_capacity(hj.len() + 4);
    extra.extend_from_slice(&HEADER_SUBFIELD);
    extra.extend_from_slice(&(hj.len() as u16).to_le_bytes());
    extra.extend_from_slice(&hj);
    extra
}

/// True when the bytes start like a gzip stream.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&GZIP_MAGIC)
}

/// Decompresses if gzipped (bounded by `max_decompressed`), else returns the bytes as they are.
pub fn inflate<'a>(
    bytes: &'a [u8],
    limits: &ReadLimits,
    origin: &str,
) -> Result<std::borrow::Cow<'a, [u8]>, SessionError> {
    if !is_gzip(bytes) {
        return Ok(std::borrow::Cow::Borrowed(bytes));
    }
    let out = crate::gunzip::limited(bytes, limits.max_decompressed).map_err(|e| match e {
        GunzipError::Truncated => SessionError::Truncated {
            origin: origin.to_string(),
            what: "the gzip stream",
        },
        GunzipError::Corrupt(e) => SessionError::Corrupt {
            origin: origin.to_string(),
            reason: format!("bad gzip data ({e})"),
        },
        GunzipError::OverLimit { limit } => SessionError::Bomb {
            origin: origin.to_string(),
            limit,
        },
        GunzipError::Trailing(n) => SessionError::Corrupt {
            origin: origin.to_string(),
            reason: format!("{n} bytes follow the end of the gzip stream"),
        },
    })?;
    Ok(std::borrow::Cow::Owned(out))
}

#[derive(Deserialize)]
struct Probe {
    version: Option<serde_json::Value>,
    id: Option<serde_json::Value>,
    data: Option<serde::de::IgnoredAny>,
}

/// Reads a session from file bytes (JSON or gzip, otelsnap or OCC), with a precise error.
pub fn decode(bytes: &[u8], limits: &ReadLimits, origin: &str) -> Result<Session, SessionError> {
    if bytes.len() as u64 > limits.max_file {
        return Err(SessionError::TooLarge {
            origin: origin.to_string(),
            size: bytes.len() as u64,
            limit: limits.max_file,
        });
    }
    let json = inflate(bytes, limits, origin)?;
    let text = json
        .strip_prefix(b"\xef\xbb\xbf".as_slice())
        .unwrap_or(&json);
    let first = text.iter().find(|b| !b.is_ascii_whitespace());
    match first {
        None => {
            return Err(SessionError::NotASession {
                origin: origin.into(),
                reason: "it is empty".into(),
            });
        }
        Some(b'{') => {}
        Some(_) => {
            return Err(SessionError::NotASession {
                origin: origin.into(),
                reason: "it is not a JSON object".into(),
            });
        }
    }
    // One pass of UTF-8 validation over the whole text is far cheaper than serde_json's check
    // of each string as it goes (measured ~10% of a 50,000-metric load).
    let text = match std::str::from_utf8(text) {
        Ok(t) => t,
        Err(e) if e.error_len().is_none() => {
            return Err(SessionError::Truncated {
                origin: origin.into(),
                what: "the JSON document",
            });
        }
        Err(e) => {
            return Err(SessionError::Corrupt {
                origin: origin.into(),
                reason: format!("invalid UTF-8 at byte {}", e.valid_up_to()),
            });
        }
    };
    let parsed: Result<Session, _> = serde_json::from_str(text);
    match parsed {
        Ok(s) => accept(s, origin),
        Err(e) => Err(explain(text.as_bytes(), e, origin)),
    }
}

/// The checks every parsed session passes, however it was parsed: a version this build reads,
/// OCC's fields normalized, and the model's rules ([`super::validate::check`]).
pub(crate) fn accept(mut session: Session, origin: &str) -> Result<Session, SessionError> {
    if u64::from(session.version) > u64::from(FORMAT_VERSION) {
        return Err(SessionError::NewerVersion {
            origin: origin.into(),
            found: session.version.into(),
            supported: FORMAT_VERSION,
        });
    }
    if session.version == 0 {
        return Err(SessionError::Corrupt {
            origin: origin.into(),
            reason: "version 0 is not a session format version (expected 1)".into(),
        });
    }
    occ::normalize(&mut session);
    super::validate::check(&session).map_err(|problem| SessionError::Invalid {
        origin: origin.into(),
        problem,
    })?;
    Ok(session)
}

fn explain(text: &[u8], e: serde_json::Error, origin: &str) -> SessionError {
    if e.is_eof() {
        return SessionError::Truncated {
            origin: origin.into(),
            what: "the JSON document",
        };
    }
    if e.is_syntax() {
        return SessionError::Corrupt {
            origin: origin.into(),
            reason: format!("invalid JSON ({e})"),
        };
    }
    let at = super::validate::path_at(text, super::validate::offset_of(text, e.line(), e.column()));
    // Valid JSON that does not fit the model: tell a foreign version or a foreign document apart.
    // Probe only the first JSON value: a JSON-lines file (e.g. OTLP) is several documents, and
    // the first tells whether this is a session at all.
    let first = serde_json::Deserializer::from_slice(text)
        .into_iter::<Probe>()
        .next();
    match first {
        Some(Ok(p)) => {
            if let Some(v) = p.version.as_ref().and_then(serde_json::Value::as_u64)
                && v > u64::from(FORMAT_VERSION)
            {
                return SessionError::NewerVersion {
                    origin: origin.into(),
                    found: v,
                    supported: FORMAT_VERSION,
                };
            }
            if p.version.is_none() || p.id.is_none() || p.data.is_none() {
                let missing: Vec<&str> = [
                    ("version", p.version.is_none()),
                    ("id", p.id.is_none()),
                    ("data", p.data.is_none()),
                ]
                .into_iter()
                .filter_map(|(k, m)| m.then_some(k))
                .collect();
                return SessionError::NotASession {
                    origin: origin.into(),
                    reason: format!("no {} field", missing.join(", ")),
                };
            }
            SessionError::Corrupt {
                origin: origin.into(),
                reason: format!("at {at}: {e}"),
            }
        }
        Some(Err(_)) | None => SessionError::Corrupt {
            origin: origin.into(),
            reason: format!("at {at}: {e}"),
        },
    }
}

/// Decodes every sketch in a session and checks each estimate against its sketch, so an
/// import or merge refuses a damaged or crafted file before writing anything from it.
pub fn validate_deep(session: &Session, origin: &str) -> Result<(), SessionError> {
    super::validate::check_sketches(session).map_err(|problem| SessionError::Invalid {
        origin: origin.into(),
        problem,
    })
}

/// Reads only the gzip header's metadata from the start of a file. `None` when it has none.
pub fn read_header(prefix: &[u8]) -> Option<Header> {
    // RFC 1952: ID1 ID2 CM FLG MTIME(4) XFL OS, then XLEN(2) and the extra field if FLG.FEXTRA.
    if prefix.len() < 12 || !is_gzip(prefix) || prefix[3] & 0x04 == 0 {
        return None;
    }
    let xlen = u16::from_le_bytes([prefix[10], prefix[11]]) as usize;
    let extra = prefix.get(12..12 + xlen)?;
    let mut i = 0;
    while i + 4 <= extra.len() {
        let id = [extra[i], extra[i + 1]];
        let len = u16::from_le_bytes([extra[i + 2], extra[i + 3]]) as usize;
        let body = extra.get(i + 4..i + 4 + len)?;
        if id == HEADER_SUBFIELD {
            return serde_json::from_slice(body).ok();
        }
        i += 4 + len;
    }
    None
}

/// Bytes a header read needs at most.
pub const HEADER_READ_BYTES: usize = 12 + 65_535;

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Session {
        let mut s = Session::new("checkout-v1");
        s.description = "before the release".into();
        s.signals = vec![Signal::Metrics];
        s.data.metrics.push(crate::session::MetricMeta {
            name: "http.requests".into(),
            sample_count: 3,
            ..Default::default()
        });
        s.canonicalize();
        s
    }

    #[test]
    fn gzip_round_trip_is_byte_identical() {
        let s = sample();
        let gz = to_gzip(&s);
        let back = decode(&gz, &ReadLimits::default(), "t").unwrap();
        assert_eq!(back, s);
        assert_eq!(to_gzip(&back), gz);
        let h = read_header(&gz).unwrap();
        assert_eq!(h.id, "checkout-v1");
        assert_eq!(h.stats.metrics_count, 1);
    }

    #[test]
    fn errors_are_specific() {
        let lim = ReadLimits::default();
        let gz = to_gzip(&sample());
        assert!(matches!(
            decode(&gz[..gz.len() / 2], &lim, "t"),
            Err(SessionError::Truncated { .. })
        ));
        let json = to_json(&sample(), false);
        assert!(matches!(
            decode(&json[..json.len() - 5], &lim, "t"),
            Err(SessionError::Truncated { .. })
        ));
        assert!(matches!(
            decode(b"{\"version\": 1, \"id\": ", &lim, "t"),
            Err(SessionError::Truncated { .. })
        ));
        assert!(matches!(
            decode(b"{not json}", &lim, "t"),
            Err(SessionError::Corrupt { .. })
        ));
        assert!(matches!(
            decode(b"[1,2]", &lim, "t"),
            Err(SessionError::NotASession { .. })
        ));
        assert!(matches!(
            decode(b"{\"hello\": 1}", &lim, "t"),
            Err(SessionError::NotASession { .. })
        ));
        let v2 =
            String::from_utf8(json.clone())
                .unwrap()
                .replacen("\"version\":1", "\"version\":2", 1);
        let e = decode(v2.as_bytes(), &lim, "t").unwrap_err();
        assert!(
            matches!(e, SessionError::NewerVersion { found: 2, .. }),
            "{e}"
        );
        assert!(e.to_string().contains("version 2") && e.to_string().contains("version 1"));
        let v9 = r#"{"version": 9, "id": "x", "data": {"metrics": "a new shape"}}"#;
        assert!(matches!(
            decode(v9.as_bytes(), &lim, "t"),
            Err(SessionError::NewerVersion { found: 9, .. })
        ));
        // Bad UTF-8 names its byte; a multi-byte character cut at the end is a truncation.
        let e = decode(b"{\"id\": \"a\xffb\"}", &lim, "t").unwrap_err();
        assert!(matches!(e, SessionError::Corrupt { .. }), "{e}");
        assert!(e.to_string().contains("invalid UTF-8 at byte 9"), "{e}");
        assert!(matches!(
            decode(b"{\"id\": \"caf\xc3", &lim, "t"),
            Err(SessionError::Truncated { .. })
        ));
    }

    #[test]
    fn sketch_data_can_be_skipped_while_parsing() {
        let mut s = sample();
        let mut sk = crate::sketch::Sketch::new();
        sk.insert(b"v");
        let ks = crate::session::KeyStats {
            count: 1,
            estimated_cardinality: 1,
            sketch: Some(std::sync::Arc::new(sk.to_data())),
            ..Default::default()
        };
        s.data.metrics[0].label_keys.insert("k", ks);
        let gz = to_gzip(&s);
        let lim = ReadLimits::default();
        let lean = crate::session::without_sketch_data(|| decode(&gz, &lim, "t")).unwrap();
        let lk = &lean.data.metrics[0].label_keys["k"];
        assert_eq!(lk.estimated_cardinality, 1);
        let d = lk.sketch.as_ref().unwrap();
        assert_eq!(
            (d.precision, d.encoding.as_str(), d.data.as_str()),
            (14, "", "")
        );
        // The switch is scoped: the next decode keeps the bytes again.
        assert_eq!(decode(&gz, &lim, "t").unwrap(), s);
        // Samples are kept unless asked otherwise.
        s.data.metrics[0]
            .label_keys
            .get_mut("k")
            .unwrap()
            .value_samples = vec!["v".into()];
        let gz = to_gzip(&s);
        let lean = crate::session::without_sketch_data(|| decode(&gz, &lim, "t")).unwrap();
        assert_eq!(lean.data.metrics[0].label_keys["k"].value_samples, ["v"]);
        let est = crate::session::estimates_only(|| decode(&gz, &lim, "t")).unwrap();
        let ek = &est.data.metrics[0].label_keys["k"];
        assert!(ek.value_samples.is_empty());
        assert_eq!(ek.estimated_cardinality, 1);
        assert_eq!(decode(&gz, &lim, "t").unwrap(), s);
        // Shape is still checked when the bytes are skipped.
        let bad = String::from_utf8(to_json(&s, false))
            .unwrap()
            .replace("\"encoding\"", "\"enc\"");
        assert!(crate::session::without_sketch_data(|| decode(bad.as_bytes(), &lim, "t")).is_err());
    }

    #[test]
    fn nothing_may_follow_the_gzip_stream() {
        let lim = ReadLimits::default();
        let gz = to_gzip(&sample());
        for tail in [b"x".as_slice(), b"\0\0\0\0", b"{}"] {
            let mut bad = gz.clone();
            bad.extend_from_slice(tail);
            let e = decode(&bad, &lim, "t").unwrap_err();
            assert!(
                e.to_string().contains(&format!(
                    "{} bytes follow the end of the gzip stream",
                    tail.len()
                )),
                "{e}"
            );
        }
        // A second whole member is data, read as the continuation of the first.
        let s = sample();
        let json = to_json(&s, false);
        let (a, b) = json.split_at(json.len() / 2);
        let mut two = gzip_with_header(a, None);
        two.extend(gzip_with_header(b, None));
        assert_eq!(decode(&two, &lim, "t").unwrap(), s);
    }

    #[test]
    fn gzip_bomb_is_refused() {
        let zeros = vec![b' '; 4 * 1024 * 1024];
        let gz = gzip_with_header(&zeros, None);
        assert!(gz.len() < 64 * 1024);
        let lim = ReadLimits {
            max_file: 1 << 30,
            max_decompressed: 1024 * 1024,
        };
        assert!(matches!(
            decode(&gz, &lim, "t"),
            Err(SessionError::Bomb { .. })
        ));
    }

    #[test]
    fn oversize_file_is_refused() {
        let lim = ReadLimits {
            max_file: 10,
            max_decompressed: 1 << 20,
        };
        assert!(matches!(
            decode(&to_gzip(&sample()), &lim, "t"),
            Err(SessionError::TooLarge { .. })
        ));
    }
}
