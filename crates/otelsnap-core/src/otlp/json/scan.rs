//! A JSON reader over a `&str` that drives the decoder's visitors (`stream`) in place of
//! `serde_json` on the path every request takes: well-formed documents.
//!
//! It reads exactly the grammar `serde_json` reads and hands the visitors the same values
//! (the same `u64`/`i64`/`f64` split of numbers, the same `f64` bits, the same strings), so a
//! document it reads decodes to what `serde_json` would have produced. It does not report
//! errors: on anything it does not read exactly as `serde_json` would (a syntax error, a
//! number whose value it cannot reproduce cheaply, a string with a surrogate escape it does
//! not pair, deep nesting), it gives up ([`Bail`]) and the caller decodes the document again
//! with `serde_json`, which then says what is wrong, where, in its own words.
//!
//! What it saves over `serde_json`: object keys are scanned for their closing quote only
//! (`serde_json` runs its escape and control-character search), and every read is on a byte
//! slice with no `Result<Option<u8>>` per peeked byte.

use std::borrow::Cow;
use std::fmt;

use serde::de::value::{BorrowedStrDeserializer, StrDeserializer};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::forward_to_deserialize_any;

/// Nesting beyond which the reader gives up, safely under `serde_json`'s recursion limit (128)
/// so that a document near that limit is judged by `serde_json` itself.
const MAX_NESTING: u32 = 100;

/// The reader gave up; the document must be decoded by `serde_json` to learn why, or whether
/// it is valid after all.
#[derive(Debug)]
pub(super) struct Bail;

impl fmt::Display for Bail {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("not read by the fast JSON reader")
    }
}

impl std::error::Error for Bail {}

impl de::Error for Bail {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Bail
    }
}

pub(super) type R<T> = Result<T, Bail>;

/// Reads one document from `text` with `value` (which reads one JSON value): its value, or
/// [`Bail`] for anything but a well-formed document followed by nothing but whitespace.
pub(super) fn read<'de, T>(text: &'de str, value: impl FnOnce(&mut Scan<'de>) -> R<T>) -> R<T> {
    let mut scan = Scan {
        text,
        s: text.as_bytes(),
        i: 0,
        depth: 0,
        scratch: String::new(),
    };
    let value = value(&mut scan)?;
    scan.ws();
    if scan.i == scan.s.len() {
        Ok(value)
    } else {
        Err(Bail)
    }
}

/// The reader: a position in the document. Besides serde's `Deserializer` (any value, through
/// a visitor), it reads tokens one at a time for the decoder's own loops over objects and
/// arrays, and can go back to a [`Mark`] to read a value again another way.
pub(super) struct Scan<'de> {
    text: &'de str,
    s: &'de [u8],
    i: usize,
    depth: u32,
    /// Unescaped strings, reused.
    scratch: String,
}

/// 10^0 ..= 10^22, every one exact in an `f64` (so equal to `serde_json`'s table entries).
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// A number as `serde_json` delivers it.
pub(super) enum Number {
    U(u64),
    I(i64),
    F(f64),
}

/// A position to come back to.
#[derive(Clone, Copy)]
pub(super) struct Mark {
    i: usize,
    depth: u32,
}

impl<'de> Scan<'de> {
    /// Where the reader stands.
    pub(super) fn mark(&self) -> Mark {
        Mark {
            i: self.i,
            depth: self.depth,
        }
    }

    /// Back to `mark`, to read from there again.
    pub(super) fn reset(&mut self, mark: Mark) {
        self.i = mark.i;
        self.depth = mark.depth;
    }

    /// Whether `levels` more containers may open before the reader gives up on nesting.
    pub(super) fn room(&self, levels: u32) -> bool {
        self.depth + levels <= MAX_NESTING
    }

    /// The next byte after whitespace, not consumed.
    #[inline]
    pub(super) fn token(&mut self) -> R<u8> {
        self.next_token()
    }

    /// Whitespace, then `b`, consumed (not an opening bracket: see [`Scan::open`]).
    #[inline]
    pub(super) fn eat(&mut self, b: u8) -> R<()> {
        if self.next_token()? == b {
            self.i += 1;
            Ok(())
        } else {
            Err(Bail)
        }
    }

    /// Whitespace, then the `{` or `[` that [`Scan::token`] returned, consumed: a container
    /// is open.
    #[inline]
    pub(super) fn open(&mut self) -> R<()> {
        self.ws();
        self.i += 1;
        self.nest()
    }

    /// In an object: the next member's key (the colon left to read), or `None` at the
    /// closing brace, which is consumed.
    #[inline]
    pub(super) fn next_member(&mut self, first: bool) -> R<Option<Cow<'de, str>>> {
        match self.next_token()? {
            b'}' => {
                self.i += 1;
                self.depth -= 1;
                return Ok(None);
            }
            b',' if !first => {
                self.i += 1;
                if self.next_token()? != b'"' {
                    return Err(Bail);
                }
            }
            b'"' if first => {}
            _ => return Err(Bail),
        }
        self.i += 1;
        if let Ok(k) = self.key()? {
            return Ok(Some(Cow::Borrowed(k)));
        }
        Ok(Some(match self.string()? {
            Ok(k) => Cow::Borrowed(k),
            Err(()) => Cow::Owned(self.scratch.clone()),
        }))
    }

    /// In an array: whether another element follows (then it is next to read), or `false`
    /// at the closing bracket, which is consumed.
    #[inline]
    pub(super) fn next_element(&mut self, first: bool) -> R<bool> {
        match self.next_token()? {
            b']' => {
                self.i += 1;
                self.depth -= 1;
                Ok(false)
            }
            b',' if !first => {
                self.i += 1;
                Ok(true)
            }
            _ if first => Ok(true),
            _ => Err(Bail),
        }
    }

    /// A plain key (no escape) and its colon: `"name":`.
    #[inline]
    pub(super) fn plain_key(&mut self) -> R<&'de str> {
        self.eat(b'"')?;
        let key = self.key()?.map_err(|()| Bail)?;
        self.eat(b':')?;
        Ok(key)
    }

    /// A string value, as an owned `String`.
    #[inline]
    pub(super) fn owned_string(&mut self) -> R<String> {
        self.eat(b'"')?;
        Ok(match self.string()? {
            Ok(s) => s.to_owned(),
            Err(()) => self.scratch.clone(),
        })
    }

    /// A string value, borrowed when it has no escape.
    #[inline]
    pub(super) fn str_value(&mut self) -> R<Cow<'de, str>> {
        self.eat(b'"')?;
        Ok(match self.string()? {
            Ok(s) => Cow::Borrowed(s),
            Err(()) => Cow::Owned(self.scratch.clone()),
        })
    }

    /// `true` or `false`.
    pub(super) fn boolean(&mut self) -> R<bool> {
        match self.next_token()? {
            b't' => self.literal(b"true").map(|()| true),
            b'f' => self.literal(b"false").map(|()| false),
            _ => Err(Bail),
        }
    }

    /// `null`.
    pub(super) fn null(&mut self) -> R<()> {
        self.ws();
        self.literal(b"null")
    }

    /// A number value.
    #[inline]
    pub(super) fn number_value(&mut self) -> R<Number> {
        self.ws();
        self.number()
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.i += 1;
        }
    }

    /// Skips whitespace and returns the next byte, not consumed.
    #[inline]
    fn next_token(&mut self) -> R<u8> {
        self.ws();
        self.peek().ok_or(Bail)
    }

    #[inline]
    fn literal(&mut self, word: &[u8]) -> R<()> {
        if self.s[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(Bail)
        }
    }

    fn nest(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            Err(Bail)
        } else {
            Ok(())
        }
    }

    /// After the opening quote of a key: a key without escapes, borrowed. Keys are short and
    /// plain; one with a backslash or a control character is read as any other string.
    #[inline]
    fn key(&mut self) -> R<Result<&'de str, ()>> {
        let start = self.i;
        let mut j = start;
        while let Some(&b) = self.s.get(j) {
            match b {
                b'"' => {
                    self.i = j + 1;
                    return Ok(Ok(self.text.get(start..j).ok_or(Bail)?));
                }
                b'\\' | 0..=0x1f => return Ok(Err(())),
                _ => j += 1,
            }
        }
        Err(Bail)
    }

    /// After the opening quote: the string's end, where it has no escape (then `Ok(end)` with
    /// `i` past the closing quote), or `Err(at)` at the first backslash.
    #[inline]
    fn plain_run(&mut self) -> R<Result<usize, usize>> {
        const ONES: u64 = u64::MAX / 255;
        const HIGH: u64 = ONES << 7;
        let mut j = self.i;
        // Eight bytes at a time: a quote, a backslash or a control character ends the run.
        while let Some(chunk) = self.s.get(j..j + 8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            let w = u64::from_le_bytes(word);
            let ctrl = w.wrapping_sub(ONES * 0x20) & !w;
            let q = w ^ (ONES * u64::from(b'"'));
            let quote = q.wrapping_sub(ONES) & !q;
            let bs = w ^ (ONES * u64::from(b'\\'));
            let backslash = bs.wrapping_sub(ONES) & !bs;
            let hit = (ctrl | quote | backslash) & HIGH;
            if hit != 0 {
                j += hit.trailing_zeros() as usize / 8;
                break;
            }
            j += 8;
        }
        loop {
            match self.s.get(j) {
                Some(b'"') => {
                    self.i = j + 1;
                    return Ok(Ok(j));
                }
                Some(b'\\') => return Ok(Err(j)),
                Some(0..=0x1f) | None => return Err(Bail),
                Some(_) => j += 1,
            }
        }
    }

    /// After the opening quote: the string, borrowed when it has no escape, else unescaped into
    /// `scratch` (then `Err(())`, read it there).
    #[inline]
    fn string(&mut self) -> R<Result<&'de str, ()>> {
        let start = self.i;
        match self.plain_run()? {
            Ok(end) => Ok(Ok(self.text.get(start..end).ok_or(Bail)?)),
            Err(at) => {
                self.scratch.clear();
                self.scratch.push_str(self.text.get(start..at).ok_or(Bail)?);
                self.i = at;
                self.unescape()?;
                Ok(Err(()))
            }
        }
    }

    /// At a backslash: the rest of the string into `scratch`, escapes decoded as `serde_json`
    /// decodes them; a surrogate escape not in a valid pair is left to `serde_json`.
    fn unescape(&mut self) -> R<()> {
        loop {
            let b = self.peek().ok_or(Bail)?;
            self.i += 1;
            match b {
                b'"' => return Ok(()),
                b'\\' => {
                    let e = self.peek().ok_or(Bail)?;
                    self.i += 1;
                    let c = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = match hi {
                                0xD800..=0xDBFF => {
                                    self.literal(b"\\u")?;
                                    let lo = self.hex4()?;
                                    if !(0xDC00..=0xDFFF).contains(&lo) {
                                        return Err(Bail);
                                    }
                                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                                }
                                0xDC00..=0xDFFF => return Err(Bail),
                                _ => hi,
                            };
                            char::from_u32(code).ok_or(Bail)?
                        }
                        _ => return Err(Bail),
                    };
                    self.scratch.push(c);
                }
                0..=0x1f => return Err(Bail),
                _ => {
                    // Copy the plain run up to the next quote or backslash in one go.
                    let start = self.i - 1;
                    let mut j = self.i;
                    while let Some(&c) = self.s.get(j) {
                        if c == b'"' || c == b'\\' || c < 0x20 {
                            break;
                        }
                        j += 1;
                    }
                    self.scratch.push_str(self.text.get(start..j).ok_or(Bail)?);
                    self.i = j;
                }
            }
        }
    }

    fn hex4(&mut self) -> R<u32> {
        let digits = self.s.get(self.i..self.i + 4).ok_or(Bail)?;
        let mut n = 0u32;
        for &d in digits {
            let v = match d {
                b'0'..=b'9' => d - b'0',
                b'a'..=b'f' => d - b'a' + 10,
                b'A'..=b'F' => d - b'A' + 10,
                _ => return Err(Bail),
            };
            n = n << 4 | u32::from(v);
        }
        self.i += 4;
        Ok(n)
    }

    #[inline]
    fn digit(&self) -> Option<u64> {
        match self.peek() {
            Some(d @ b'0'..=b'9') => Some(u64::from(d - b'0')),
            _ => None,
        }
    }

    /// A number, as `serde_json` (without `float_roundtrip`) computes it: integers in `u64`
    /// (`i64` when negative, `f64` for `-0` and below `i64::MIN`), other numbers as the
    /// significand times or divided by a power of ten. What that takes more than a small
    /// power for (huge or tiny exponents, more digits than a `u64` holds) is parsed by
    /// `serde_json` itself.
    fn number(&mut self) -> R<Number> {
        let start = self.i;
        let positive = self.peek() != Some(b'-');
        if !positive {
            self.i += 1;
        }
        let mut sig: u64 = match self.peek() {
            Some(b'0') => {
                self.i += 1;
                if self.digit().is_some() {
                    return Err(Bail);
                }
                0
            }
            Some(b'1'..=b'9') => {
                let mut sig = 0u64;
                while let Some(d) = self.digit() {
                    sig = match sig.checked_mul(10).and_then(|s| s.checked_add(d)) {
                        Some(s) => s,
                        None => return self.number_by_serde(start),
                    };
                    self.i += 1;
                }
                sig
            }
            _ => return Err(Bail),
        };
        let mut exp: i32 = 0;
        let fraction = self.peek() == Some(b'.');
        if fraction {
            self.i += 1;
            let first = self.i;
            while let Some(d) = self.digit() {
                sig = match sig.checked_mul(10).and_then(|s| s.checked_add(d)) {
                    Some(s) => s,
                    None => return self.number_by_serde(start),
                };
                exp -= 1;
                self.i += 1;
            }
            if self.i == first {
                return Err(Bail);
            }
        }
        let exponent = matches!(self.peek(), Some(b'e' | b'E'));
        if exponent {
            self.i += 1;
            let negative_exp = match self.peek() {
                Some(b'-') => {
                    self.i += 1;
                    true
                }
                Some(b'+') => {
                    self.i += 1;
                    false
                }
                _ => false,
            };
            let first = self.i;
            let mut e: i32 = 0;
            while let Some(d) = self.digit() {
                // Anything past three digits is beyond the small powers handled here.
                if self.i - first >= 3 {
                    return self.number_by_serde(start);
                }
                e = e * 10 + d as i32;
                self.i += 1;
            }
            if self.i == first {
                return Err(Bail);
            }
            exp += if negative_exp { -e } else { e };
        }
        if !fraction && !exponent {
            return Ok(if positive {
                Number::U(sig)
            } else {
                let neg = (sig as i64).wrapping_neg();
                // serde_json: a float below i64::MIN, and for `-0`.
                if neg >= 0 {
                    Number::F(-(sig as f64))
                } else {
                    Number::I(neg)
                }
            });
        }
        let Some(&pow) = POW10.get(exp.unsigned_abs() as usize) else {
            return self.number_by_serde(start);
        };
        let f = if exp >= 0 {
            sig as f64 * pow
        } else {
            sig as f64 / pow
        };
        Ok(Number::F(if positive { f } else { -f }))
    }

    /// The number starting at `start`, parsed by `serde_json` (every such number is a float
    /// there); its end is where the characters a number can hold stop.
    #[cold]
    fn number_by_serde(&mut self, start: usize) -> R<Number> {
        let mut end = start;
        while let Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') = self.s.get(end) {
            end += 1;
        }
        let f: f64 =
            serde_json::from_str(self.text.get(start..end).ok_or(Bail)?).map_err(|_| Bail)?;
        self.i = end;
        Ok(Number::F(f))
    }
}

impl<'de> Deserializer<'de> for &mut Scan<'de> {
    type Error = Bail;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> R<V::Value> {
        match self.next_token()? {
            b'"' => {
                self.i += 1;
                match self.string()? {
                    Ok(s) => visitor.visit_borrowed_str(s),
                    Err(()) => visitor.visit_str(&self.scratch),
                }
            }
            b'{' => {
                self.open()?;
                let mut map = Map {
                    scan: self,
                    first: true,
                    done: false,
                };
                let value = visitor.visit_map(&mut map)?;
                // A visitor that stopped early left the object unread.
                if map.done { Ok(value) } else { Err(Bail) }
            }
            b'[' => {
                self.open()?;
                let mut seq = Seq {
                    scan: self,
                    first: true,
                    done: false,
                };
                let value = visitor.visit_seq(&mut seq)?;
                if seq.done { Ok(value) } else { Err(Bail) }
            }
            b't' => {
                self.literal(b"true")?;
                visitor.visit_bool(true)
            }
            b'f' => {
                self.literal(b"false")?;
                visitor.visit_bool(false)
            }
            b'n' => {
                self.literal(b"null")?;
                visitor.visit_unit()
            }
            b'-' | b'0'..=b'9' => match self.number()? {
                Number::U(u) => visitor.visit_u64(u),
                Number::I(i) => visitor.visit_i64(i),
                Number::F(f) => visitor.visit_f64(f),
            },
            _ => Err(Bail),
        }
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

struct Map<'a, 'de> {
    scan: &'a mut Scan<'de>,
    first: bool,
    /// The closing brace was read.
    done: bool,
}

impl<'de> MapAccess<'de> for &mut Map<'_, 'de> {
    type Error = Bail;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> R<Option<K::Value>> {
        let Some(key) = self.scan.next_member(self.first)? else {
            self.done = true;
            return Ok(None);
        };
        self.first = false;
        match key {
            Cow::Borrowed(k) => seed.deserialize(BorrowedStrDeserializer::new(k)),
            Cow::Owned(k) => seed.deserialize(StrDeserializer::new(&k)),
        }
        .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> R<V::Value> {
        self.scan.eat(b':')?;
        seed.deserialize(&mut *self.scan)
    }
}

struct Seq<'a, 'de> {
    scan: &'a mut Scan<'de>,
    first: bool,
    /// The closing bracket was read.
    done: bool,
}

impl<'de> SeqAccess<'de> for &mut Seq<'_, 'de> {
    type Error = Bail;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> R<Option<T::Value>> {
        if !self.scan.next_element(self.first)? {
            self.done = true;
            return Ok(None);
        }
        self.first = false;
        seed.deserialize(&mut *self.scan).map(Some)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::marker::PhantomData;

    use proptest::prelude::*;
    use serde::de::DeserializeSeed;
    use serde_json::Value;

    use super::read;

    /// The fast reader either gives up or reads what serde_json reads, to the bit (the value
    /// written back out by serde_json, which keeps `1` and `1.0` and `-0.0` apart).
    fn agrees(text: &str) -> bool {
        let by_serde = serde_json::from_str::<Value>(text);
        match read(text, |s| PhantomData::<Value>.deserialize(s)) {
            Ok(v) => {
                let want = by_serde.unwrap_or_else(|e| panic!("{text:?}: read, serde_json: {e}"));
                assert_eq!(v.to_string(), want.to_string(), "{text:?}");
                true
            }
            Err(_) => false,
        }
    }

    #[test]
    fn numbers_are_read_as_serde_json_reads_them() {
        for n in [
            "0",
            "-0",
            "1",
            "-1",
            "0.0",
            "-0.0",
            "12.5",
            "-12.5e-1",
            "1e3",
            "1E+3",
            "1e-3",
            "0.1",
            "0.3",
            "2.5e-22",
            "9007199254740993",
            "9007199254740993.0",
            "1.5e22",
            "4.35e-7",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "1e23",
            "1e308",
            "5e-324",
            "123456789012345678901.5",
            "1.000000000000000000001",
            "0e400",
            "1.7976931348623157e308",
            "1e0001",
            "1844674407370955161.5",
            "184467440737095516.15e2",
        ] {
            assert!(agrees(n), "{n} was given up");
            assert!(
                agrees(&format!("[{n}, {n} ]")),
                "{n} in an array was given up"
            );
        }
        for bad in [
            "01", "-", "1.", ".5", "1e", "1e+", "+1", "1e400", "-1e400", "--1", "1.e3", "0x1",
        ] {
            assert!(!agrees(bad), "{bad} was read");
        }
    }

    #[test]
    fn strings_are_read_as_serde_json_reads_them() {
        for s in [
            r#""""#,
            r#""a""#,
            r#""\"\\\/\b\f\n\r\t""#,
            r#""\u00e9\u4e16\uD83E\uDD80x""#,
            r#""é世🦀""#,
            r#""long plain run of text 0123456789 with \n late escape""#,
        ] {
            assert!(agrees(s), "{s} was given up");
        }
        for bad in [
            r#""\ud800""#,
            r#""\udc00""#,
            r#""\ud800\u0041""#,
            r#""\x""#,
            "\"a\u{1}\"",
            r#""abc"#,
            r#""\u12"#,
        ] {
            assert!(!agrees(bad), "{bad} was read");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// Any short text of JSON's characters: never read differently from serde_json.
        #[test]
        fn json_like_text_is_read_alike_or_given_up(
            text in "[{}\\[\\],:\"\\\\ 0-9.eE+\\-tfrunlsabu/dD]{0,24}"
        ) {
            agrees(&text);
        }

        /// Random numbers in every spelling.
        #[test]
        fn random_numbers_are_read_alike(
            neg in any::<bool>(), int in "[0-9]{1,22}", frac in proptest::option::of("[0-9]{1,22}"),
            exp in proptest::option::of(-330i32..330),
        ) {
            let mut text = format!("{}{}", if neg { "-" } else { "" }, int);
            if let Some(f) = frac {
                text.push('.');
                text.push_str(&f);
            }
            if let Some(e) = exp {
                text.push_str(&format!("e{e}"));
            }
            let valid = serde_json::from_str::<Value>(&text).is_ok();
            prop_assert_eq!(agrees(&text), valid, "{}", text);
        }
    }
}
