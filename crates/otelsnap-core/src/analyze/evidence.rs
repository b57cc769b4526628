//! Evidence per key at capture: the shape class of every distinct value (through a uniform
//! sample by hash), growth checkpoints over new data, and the units that carried the key.
//! See [`crate::session::evidence`] for the stored form and the verdict.

use std::collections::HashMap;

use opentelemetry_proto::tonic::common::v1::{AnyValue, any_value::Value};

use crate::session::evidence::{
    FIRST_CHECKPOINT, KeyEvidence, MAX_CHECKPOINTS, SAMPLE_CAP, Shape, ShapeSample,
};

/// A [`ShapeSample`] packed for the analyzer: 9-byte entries (hash little-endian, class code),
/// ascending by hash, in one allocation of exactly their size. Every key of every item holds
/// one; as a `Vec<(u64, u8)>` each entry took 16 bytes plus the vector's growth slack.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PackedSample {
    level: u8,
    buf: Box<[u8]>,
}

const ENTRY: usize = 9;

impl PackedSample {
    fn len(&self) -> usize {
        self.buf.len() / ENTRY
    }

    fn hash_at(&self, i: usize) -> u64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&self.buf[i * ENTRY..i * ENTRY + 8]);
        u64::from_le_bytes(b)
    }

    fn search(&self, h: u64) -> Result<usize, usize> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.hash_at(mid).cmp(&h) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }

    /// As [`ShapeSample::selects`].
    #[inline]
    pub(crate) fn selects(&self, h: u64) -> bool {
        h.leading_zeros() >= u32::from(self.level)
    }

    /// As [`ShapeSample::contains`].
    pub(crate) fn contains(&self, h: u64) -> bool {
        self.search(h).is_ok()
    }

    /// As [`ShapeSample::insert`] (the same entries and level after any sequence of calls).
    pub(crate) fn insert(&mut self, h: u64, class: u8) {
        let Err(i) = self.search(h) else {
            return;
        };
        if self.len() >= SAMPLE_CAP {
            // The sample overflows and its level rises: rare, done by the unpacked form.
            let mut s = self.unpack();
            s.insert(h, class);
            *self = PackedSample::pack(&s);
            return;
        }
        let mut v = Vec::with_capacity(self.buf.len() + ENTRY);
        v.extend_from_slice(&self.buf[..i * ENTRY]);
        v.extend_from_slice(&h.to_le_bytes());
        v.push(class);
        v.extend_from_slice(&self.buf[i * ENTRY..]);
        self.buf = v.into_boxed_slice();
    }

    /// The sample in its plain form.
    pub(crate) fn unpack(&self) -> ShapeSample {
        ShapeSample {
            level: self.level,
            entries: (0..self.len())
                .map(|i| (self.hash_at(i), self.buf[i * ENTRY + 8]))
                .collect(),
        }
    }

    /// The packed form of `s`.
    pub(crate) fn pack(s: &ShapeSample) -> PackedSample {
        let mut v = Vec::with_capacity(s.entries.len() * ENTRY);
        for (h, c) in &s.entries {
            v.extend_from_slice(&h.to_le_bytes());
            v.push(*c);
        }
        PackedSample {
            level: s.level,
            buf: v.into_boxed_slice(),
        }
    }

    /// As [`ShapeSample::merge`].
    pub(crate) fn merge(&mut self, other: &PackedSample) {
        let mut s = self.unpack();
        s.merge(&other.unpack());
        *self = PackedSample::pack(&s);
    }
}

/// Running evidence of one key of one item.
#[derive(Debug, Clone, Default)]
pub(crate) struct EvAcc {
    pub sample: PackedSample,
    pub units: u64,
    /// `[threshold, distinct]` checkpoints taken so far.
    pub growth: Vec<[u64; 2]>,
}

impl EvAcc {
    /// Offers a value that may be new (`maybe_new`: the exact set did not know it, or cannot
    /// tell). Classification runs only for values the sample selects and does not hold yet.
    #[inline]
    pub(crate) fn offer(&mut self, h: u64, v: Option<&AnyValue>) {
        if self.sample.selects(h) && !self.sample.contains(h) {
            self.sample.insert(h, classify_value(v) as u8);
        }
    }

    /// Adds `units` of new data; `distinct` is asked for only when a checkpoint is due.
    #[inline]
    pub(crate) fn add_units(&mut self, units: u64, distinct: impl FnOnce() -> u64) {
        if units == 0 {
            return;
        }
        self.units += units;
        let k = self.growth.len();
        if k < MAX_CHECKPOINTS && self.units >= FIRST_CHECKPOINT << k {
            let d = distinct();
            let mut k = k;
            while k < MAX_CHECKPOINTS && self.units >= FIRST_CHECKPOINT << k {
                // Exact growth: a few checkpoints per key, on every key.
                self.growth.reserve_exact(1);
                self.growth.push([FIRST_CHECKPOINT << k, d]);
                k += 1;
            }
        }
    }

    /// Merges another item's evidence of the same key (for the catalog).
    pub(crate) fn merge(&mut self, other: &EvAcc) {
        self.sample.merge(&other.sample);
        self.units += other.units;
        let mut g: std::collections::BTreeMap<u64, u64> =
            self.growth.iter().map(|[u, d]| (*u, *d)).collect();
        for [u, d] in &other.growth {
            let e = g.entry(*u).or_insert(0);
            *e = (*e).max(*d);
        }
        self.growth = g.into_iter().map(|(u, d)| [u, d]).collect();
    }

    /// The stored form, judged; `distinct` is the key's final estimate.
    pub(crate) fn finish(&self, distinct: u64) -> KeyEvidence {
        KeyEvidence::new(
            &self.sample.unpack(),
            self.units,
            distinct,
            self.growth.clone(),
        )
    }
}

/// Series a metric remembers the last point of, to tell a re-sent cumulative point from new
/// data; beyond this every point counts as new (the verdict is settled long before).
pub const MAX_FRESH_SERIES: usize = 65_536;

/// The last point fingerprint per series of one metric.
#[derive(Debug, Default, Clone)]
pub(crate) struct Fresh {
    // Boxed: 8 bytes per metric instead of 48 until the metric has a point.
    #[allow(clippy::box_collection)]
    last: Option<Box<HashMap<u64, u64>>>,
}

impl Fresh {
    /// Whether a point of `series` with fingerprint `fp` is new data: a new series, or one
    /// whose start time or value changed since its last point.
    #[inline]
    pub(crate) fn is_new(&mut self, series: u64, fp: u64) -> bool {
        let map = self.last.get_or_insert_with(Default::default);
        if let Some(old) = map.get_mut(&series) {
            let new = *old != fp;
            *old = fp;
            return new;
        }
        if map.len() < MAX_FRESH_SERIES {
            map.insert(series, fp);
        }
        true
    }
}

/// A point's fingerprint from its start time and value fields.
#[inline]
pub(crate) fn fingerprint(parts: &[u64]) -> u64 {
    let mut b = [0u8; 32];
    let mut n = 0;
    for p in parts.iter().take(4) {
        b[n..n + 8].copy_from_slice(&p.to_le_bytes());
        n += 8;
    }
    xxhash_rust::xxh3::xxh3_64(&b[..n])
}

/// The shape class of an OTLP value.
pub fn classify_value(v: Option<&AnyValue>) -> Shape {
    match v.and_then(|v| v.value.as_ref()) {
        None => Shape::Empty,
        Some(Value::StringValue(s)) => classify(s),
        Some(Value::BoolValue(_)) => Shape::Bool,
        Some(Value::IntValue(i)) => {
            if i.unsigned_abs() < 100_000 {
                Shape::SmallNumber
            } else {
                Shape::LongNumber
            }
        }
        Some(Value::DoubleValue(d)) => {
            if d.fract() == 0.0 && d.abs() < 100_000.0 {
                Shape::SmallNumber
            } else {
                let s = d.to_string();
                if s.bytes().filter(u8::is_ascii_digit).count() > 7 {
                    Shape::LongNumber
                } else {
                    Shape::SmallNumber
                }
            }
        }
        Some(Value::BytesValue(b)) => {
            if b.len() >= 8 {
                Shape::Token
            } else {
                Shape::Code
            }
        }
        Some(_) => Shape::Other,
    }
}

/// Longest prefix looked at: the class of a value shows in its first bytes, and hostile
/// values must not cost more.
const MAX_CLASSIFY_LEN: usize = 256;

/// The shape class of a string value.
pub fn classify(s: &str) -> Shape {
    let mut end = s.len().min(MAX_CLASSIFY_LEN);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let t = s[..end].trim();
    if t.is_empty() {
        return Shape::Empty;
    }
    if t.eq_ignore_ascii_case("true") || t.eq_ignore_ascii_case("false") {
        return Shape::Bool;
    }
    if let Some(c) = number(t) {
        return c;
    }
    if t.contains(char::is_whitespace) {
        return text(t);
    }
    token_shape(t)
}

fn number(t: &str) -> Option<Shape> {
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    let mut digits = 0;
    let mut dots = 0;
    for b in body.bytes() {
        match b {
            b'0'..=b'9' => digits += 1,
            b'.' => dots += 1,
            _ => return None,
        }
    }
    if digits == 0 || dots > 1 {
        return None;
    }
    Some(if digits >= 6 {
        Shape::LongNumber
    } else {
        Shape::SmallNumber
    })
}

/// The class of a value without whitespace.
fn token_shape(t: &str) -> Shape {
    if is_uuid(t) {
        return Shape::Uuid;
    }
    if is_ip(t) {
        return Shape::Ip;
    }
    if is_email(t) {
        return Shape::Email;
    }
    if is_timestamp(t) {
        return Shape::Timestamp;
    }
    if t.contains('/') {
        return path(t);
    }
    if is_hex_id(t) {
        return Shape::Hex;
    }
    if is_random_token(t) {
        return Shape::Token;
    }
    if t.split(['-', '_', ':', '.', '#', '@', '=']).any(id_part) {
        return Shape::Token;
    }
    let letters = t.bytes().filter(u8::is_ascii_alphabetic).count();
    let digits = t.bytes().filter(u8::is_ascii_digit).count();
    let plain = t
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':' | '$' | '(' | ')' | ','));
    if plain && digits == 0 && t.chars().count() <= 64 {
        return Shape::Word;
    }
    if plain && t.len() <= 16 {
        return Shape::Code;
    }
    if letters == 0 {
        return Shape::Other;
    }
    if t.len() >= 20 && digits >= 3 {
        return Shape::Token;
    }
    Shape::Other
}

/// A part of a compound value that is an id by itself (`user-4821733`, `ord_9f8e7d6c5b`).
fn id_part(p: &str) -> bool {
    let digits = p.bytes().filter(u8::is_ascii_digit).count();
    (digits == p.len() && digits >= 5)
        || (p.len() >= 8
            && p.bytes().all(|b| b.is_ascii_hexdigit())
            && digits >= 2
            && digits < p.len())
        || is_random_token(p)
}

fn text(t: &str) -> Shape {
    let mut words = 0;
    let mut ids = 0;
    for w in t.split_whitespace() {
        words += 1;
        let w = w.trim_matches(|c: char| !c.is_alphanumeric());
        let digit_run = w.split(|c: char| !c.is_ascii_digit()).any(|r| r.len() >= 3);
        if digit_run || (!w.is_empty() && classify_word_is_id(w)) {
            ids += 1;
        }
    }
    if ids > 0 && words >= 2 {
        Shape::TextWithIds
    } else {
        Shape::Text
    }
}

fn classify_word_is_id(w: &str) -> bool {
    matches!(number(w), Some(Shape::LongNumber)) || token_shape(w).is_id_like()
}

fn path(t: &str) -> Shape {
    // A URL's scheme and host are not the path; the query is.
    let rest = match t.find("://") {
        Some(i) => {
            let after = &t[i + 3..];
            after.find('/').map_or("", |j| &after[j..])
        }
        None => t,
    };
    let id = rest
        .split(['/', '?', '&', '=', '#', ';', ','])
        .filter(|seg| !seg.is_empty())
        .any(|seg| {
            let digits = seg.bytes().filter(u8::is_ascii_digit).count();
            (digits == seg.len() && digits >= 2)
                || is_uuid(seg)
                || is_hex_id(seg)
                || is_random_token(seg)
                || is_email(seg)
                || seg.split(['-', '_', '.', ':']).any(id_part)
        });
    if id { Shape::PathWithId } else { Shape::Path }
}

pub(crate) fn is_uuid(t: &str) -> bool {
    let b = t.as_bytes();
    let t = if b.len() == 38 && b[0] == b'{' && b[37] == b'}' {
        &b[1..37]
    } else {
        b
    };
    t.len() == 36
        && t.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

pub(crate) fn is_hex_id(t: &str) -> bool {
    let t = t.strip_prefix("0x").unwrap_or(t);
    t.len() >= 12
        && t.bytes().all(|b| b.is_ascii_hexdigit())
        && t.bytes().any(|b| b.is_ascii_digit())
        && (t.len() >= 16 || t.bytes().any(|b| b.is_ascii_alphabetic()))
}

/// Base64/base62-like random strings: long, digits and letters mixed, switching class often.
pub(crate) fn is_random_token(t: &str) -> bool {
    if t.len() < 16 {
        return false;
    }
    let mut digits = 0;
    let mut letters = 0;
    let mut switches = 0;
    let mut prev = 0u8;
    for b in t.bytes() {
        let class = match b {
            b'0'..=b'9' => {
                digits += 1;
                1
            }
            b'a'..=b'z' => {
                letters += 1;
                2
            }
            b'A'..=b'Z' => {
                letters += 1;
                3
            }
            b'+' | b'/' | b'=' | b'_' | b'-' | b'.' => 4,
            _ => return false,
        };
        if prev != 0 && class != prev {
            switches += 1;
        }
        prev = class;
    }
    digits >= 2 && letters >= 2 && switches * 4 >= t.len()
}

fn is_ip(t: &str) -> bool {
    if t.parse::<std::net::IpAddr>().is_ok() || t.parse::<std::net::SocketAddr>().is_ok() {
        return true;
    }
    // IPv4 with a port or CIDR suffix.
    let host = t.split(['/', ':']).next().unwrap_or("");
    host != t && host.parse::<std::net::Ipv4Addr>().is_ok()
}

fn is_email(t: &str) -> bool {
    let Some((local, domain)) = t.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._%+-".contains(&b))
}

fn is_timestamp(t: &str) -> bool {
    let b = t.as_bytes();
    let d = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    // 2026-12-02, 2026/12/02, 2026-12-02T04:13:41Z, 20261202T041341Z
    let date = b.len() >= 10
        && (0..4).all(d)
        && matches!(b[4], b'-' | b'/' | b'.')
        && d(5)
        && d(6)
        && b[7] == b[4]
        && d(8)
        && d(9);
    let compact = b.len() >= 15 && (0..8).all(d) && b[8] == b'T' && (9..15).all(d);
    // 04:13:41 or 04:13:41.123
    let time = b.len() >= 8
        && d(0)
        && d(1)
        && b[2] == b':'
        && d(3)
        && d(4)
        && b[5] == b':'
        && d(6)
        && d(7);
    date || compact || time
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shape_class_is_recognised() {
        let cases: &[(&str, Shape)] = &[
            ("6f1c2a9e-3b4d-4c8e-9f0a-1b2c3d4e5f60", Shape::Uuid),
            ("{6F1C2A9E-3B4D-4C8E-9F0A-1B2C3D4E5F60}", Shape::Uuid),
            ("4bf92f3577b34da6a3ce929d0e0e4736", Shape::Hex),
            ("00f067aa0ba902b7", Shape::Hex),
            ("0x7ffd3a2b1c90", Shape::Hex),
            ("dGhpcyBpcyBhIHNlc3Npb24gdG9rZW4x", Shape::Token),
            ("sess_8fK2jQ9xLm4PzT7w", Shape::Token),
            ("user-4821733", Shape::Token),
            ("4821733", Shape::LongNumber),
            ("1733112821000", Shape::LongNumber),
            ("jane.doe+ci@example.com", Shape::Email),
            ("10.0.12.7", Shape::Ip),
            ("10.0.12.7:8080", Shape::Ip),
            ("2001:db8::8a2e:370:7334", Shape::Ip),
            ("2026-12-02T04:13:41.123Z", Shape::Timestamp),
            ("2026-12-02", Shape::Timestamp),
            ("04:13:41", Shape::Timestamp),
            ("/orders/81723", Shape::PathWithId),
            (
                "/users/6f1c2a9e-3b4d-4c8e-9f0a-1b2c3d4e5f60/cart",
                Shape::PathWithId,
            ),
            ("https://shop.example.com/item?id=99812", Shape::PathWithId),
            ("payment 81723 declined: card expired", Shape::TextWithIds),
            (
                "timeout after 3021 ms calling inventory",
                Shape::TextWithIds,
            ),
            ("true", Shape::Bool),
            ("FALSE", Shape::Bool),
            ("200", Shape::SmallNumber),
            ("3", Shape::SmallNumber),
            ("0.25", Shape::SmallNumber),
            ("GET", Shape::Word),
            ("http.server.request.duration", Shape::Word),
            ("checkout", Shape::Word),
            ("eu-west-1", Shape::Code),
            ("E42", Shape::Code),
            ("ip-10-0-1-23", Shape::Code),
            ("/orders/{id}", Shape::Path),
            ("/api/v1/users/:id", Shape::Path),
            ("/shop.CartService/AddItem", Shape::Path),
            ("Ergonomic Wooden Chair", Shape::Text),
            ("connection refused by peer", Shape::Text),
            ("", Shape::Empty),
            ("   ", Shape::Empty),
        ];
        for (v, want) in cases {
            assert_eq!(classify(v), *want, "{v:?}");
        }
    }

    #[test]
    fn non_string_values_have_classes() {
        let av = |v: Value| AnyValue { value: Some(v) };
        assert_eq!(
            classify_value(Some(&av(Value::BoolValue(true)))),
            Shape::Bool
        );
        assert_eq!(
            classify_value(Some(&av(Value::IntValue(404)))),
            Shape::SmallNumber
        );
        assert_eq!(
            classify_value(Some(&av(Value::IntValue(98_123_441)))),
            Shape::LongNumber
        );
        assert_eq!(
            classify_value(Some(&av(Value::DoubleValue(0.5)))),
            Shape::SmallNumber
        );
        assert_eq!(
            classify_value(Some(&av(Value::DoubleValue(1733112821.123456)))),
            Shape::LongNumber
        );
        assert_eq!(
            classify_value(Some(&av(Value::BytesValue(vec![7; 16])))),
            Shape::Token
        );
        assert_eq!(classify_value(None), Shape::Empty);
    }

    #[test]
    fn long_hostile_values_are_cut_before_classifying() {
        let long = "é".repeat(100_000);
        assert_eq!(classify(&long), Shape::Other);
    }

    #[test]
    fn growth_checkpoints_at_powers_of_two() {
        let mut e = EvAcc::default();
        for d in 1..=40 {
            e.add_units(1, || d);
        }
        assert_eq!(e.growth, vec![[4, 4], [8, 8], [16, 16], [32, 32]]);
        e.add_units(0, || unreachable!());
        e.add_units(100, || 41);
        assert_eq!(e.growth.last(), Some(&[128, 41]));
        assert_eq!(e.units, 140);
    }

    #[test]
    fn packed_sample_behaves_as_the_plain_one() {
        // Enough values to overflow the sample several times (its level rises to ~6).
        let mut plain = ShapeSample::default();
        let mut packed = PackedSample::default();
        for i in 0..5_000u64 {
            let h = xxhash_rust::xxh3::xxh3_64(&i.to_le_bytes());
            let class = (i % 17) as u8;
            assert_eq!(packed.selects(h), plain.selects(h));
            assert_eq!(packed.contains(h), plain.contains(h));
            if plain.selects(h) && !plain.contains(h) {
                plain.insert(h, class);
                packed.insert(h, class);
            }
            // Re-inserting a held value changes nothing in either.
            packed.insert(h, class);
            plain.insert(h, class);
            assert_eq!(packed.unpack(), plain, "after {i}");
        }
        assert!(plain.level >= 4, "level {}", plain.level);
        let mut other_plain = ShapeSample::default();
        for i in 3_000..9_000u64 {
            let h = xxhash_rust::xxh3::xxh3_64(&i.to_le_bytes());
            other_plain.insert(h, 3);
        }
        let other = PackedSample::pack(&other_plain);
        assert_eq!(other.unpack(), other_plain);
        packed.merge(&other);
        plain.merge(&other_plain);
        assert_eq!(packed.unpack(), plain);
        assert_eq!(PackedSample::default().unpack(), ShapeSample::default());
    }

    #[test]
    fn re_sent_points_are_not_new_data() {
        let mut f = Fresh::default();
        assert!(f.is_new(1, fingerprint(&[0, 5])));
        assert!(!f.is_new(1, fingerprint(&[0, 5])));
        assert!(f.is_new(1, fingerprint(&[0, 6])));
        assert!(f.is_new(2, fingerprint(&[0, 6])));
        assert!(!f.is_new(2, fingerprint(&[0, 6])));
    }
}
