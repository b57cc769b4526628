//! Stable string forms of OTLP `AnyValue`s, the bytes every sketch hashes and every sample shows.
//!
//! The form must never change between releases (sketches from different days are merged), so
//! each kind has one spelling: strings as they are, ints in decimal, doubles in Rust's shortest
//! round-trip form (`1.0`, `0.1`, `1e300`; `NaN`, `Infinity`, `-Infinity` spelled out), bools as
//! `true`/`false`, bytes as standard padded base64, arrays as `[a,b]`, key-value lists as
//! `{k=v,...}` in the sender's order (order is part of the value, and sorting would cost an
//! allocation per value), and an empty value as the empty string.

use std::fmt::Write as _;

use base64::Engine as _;
use opentelemetry_proto::tonic::common::v1::{AnyValue, any_value::Value};

/// Nesting deeper than this is written as `…`: hostile input must not blow the stack.
const MAX_DEPTH: usize = 32;

/// Value samples longer than this (in bytes) are cut at a char boundary and end in `…`.
pub const MAX_SAMPLE_LEN: usize = 256;

/// Appends the stable string of `v` to `out`.
pub fn write_value(out: &mut String, v: Option<&AnyValue>) {
    write_depth(out, v, 0);
}

/// The stable string of `v`.
pub fn value_string(v: Option<&AnyValue>) -> String {
    let mut s = String::new();
    write_value(&mut s, v);
    s
}

/// The stable bytes of `v`: borrowed for strings (no copy), else written into `buf`.
pub fn value_bytes<'a>(v: Option<&'a AnyValue>, buf: &'a mut String) -> &'a [u8] {
    match v.and_then(|v| v.value.as_ref()) {
        Some(Value::StringValue(s)) => s.as_bytes(),
        _ => {
            buf.clear();
            write_value(buf, v);
            buf.as_bytes()
        }
    }
}

/// The stable string of `v`, cut to [`MAX_SAMPLE_LEN`] bytes for use as a value sample.
pub fn sample_string(v: Option<&AnyValue>) -> String {
    let mut s = value_string(v);
    truncate_sample(&mut s);
    s
}

/// Cuts `s` to at most [`MAX_SAMPLE_LEN`] bytes at a char boundary, marking the cut with `…`.
pub fn truncate_sample(s: &mut String) {
    truncate_with_ellipsis(s, MAX_SAMPLE_LEN);
}

/// Cuts `s` to at most `max` bytes (plus the `…` marker) at a char boundary.
pub fn truncate_with_ellipsis(s: &mut String, max: usize) {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push('…');
    }
}

fn write_depth(out: &mut String, v: Option<&AnyValue>, depth: usize) {
    let Some(v) = v.and_then(|v| v.value.as_ref()) else {
        return;
    };
    match v {
        Value::StringValue(s) => out.push_str(s),
        Value::BoolValue(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::IntValue(i) => {
            let _ = write!(out, "{i}");
        }
        Value::DoubleValue(d) => write_double(out, *d),
        Value::BytesValue(b) => base64::engine::general_purpose::STANDARD.encode_string(b, out),
        Value::ArrayValue(a) => {
            if depth >= MAX_DEPTH {
                out.push('…');
                return;
            }
            out.push('[');
            for (i, x) in a.values.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_depth(out, Some(x), depth + 1);
            }
            out.push(']');
        }
        Value::KvlistValue(kv) => {
            if depth >= MAX_DEPTH {
                out.push('…');
                return;
            }
            out.push('{');
            for (i, x) in kv.values.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&x.key);
                out.push('=');
                write_depth(out, x.value.as_ref(), depth + 1);
            }
            out.push('}');
        }
        // Profiling-only string-table reference: the spec says to treat it as absent elsewhere.
        Value::StringValueStrindex(_) => {}
    }
}

fn write_double(out: &mut String, d: f64) {
    if d.is_nan() {
        out.push_str("NaN");
    } else if d.is_infinite() {
        out.push_str(if d > 0.0 { "Infinity" } else { "-Infinity" });
    } else {
        // Debug is the shortest round-trip form and keeps `.0`, so 1 (int) and 1.0 differ.
        let _ = write!(out, "{d:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::common::v1::{ArrayValue, KeyValue, KeyValueList};

    fn av(v: Value) -> AnyValue {
        AnyValue { value: Some(v) }
    }

    fn s(v: Value) -> String {
        value_string(Some(&av(v)))
    }

    #[test]
    fn every_kind_has_one_spelling() {
        assert_eq!(s(Value::StringValue("GET /x".into())), "GET /x");
        assert_eq!(s(Value::IntValue(-42)), "-42");
        assert_eq!(s(Value::IntValue(i64::MAX)), "9223372036854775807");
        assert_eq!(s(Value::DoubleValue(1.0)), "1.0");
        assert_eq!(s(Value::DoubleValue(0.1)), "0.1");
        assert_eq!(s(Value::DoubleValue(1e300)), "1e300");
        assert_eq!(s(Value::DoubleValue(-0.0)), "-0.0");
        assert_eq!(s(Value::DoubleValue(f64::NAN)), "NaN");
        assert_eq!(s(Value::DoubleValue(f64::INFINITY)), "Infinity");
        assert_eq!(s(Value::DoubleValue(f64::NEG_INFINITY)), "-Infinity");
        assert_eq!(s(Value::BoolValue(true)), "true");
        assert_eq!(s(Value::BoolValue(false)), "false");
        assert_eq!(s(Value::BytesValue(vec![0, 1, 2, 255])), "AAEC/w==");
        assert_eq!(s(Value::StringValueStrindex(3)), "");
        assert_eq!(value_string(None), "");
        assert_eq!(value_string(Some(&AnyValue { value: None })), "");
    }

    #[test]
    fn containers_recurse_in_order() {
        let arr = Value::ArrayValue(ArrayValue {
            values: vec![
                av(Value::StringValue("a".into())),
                av(Value::IntValue(2)),
                AnyValue { value: None },
            ],
        });
        assert_eq!(s(arr.clone()), "[a,2,]");
        let kv = Value::KvlistValue(KeyValueList {
            values: vec![
                KeyValue {
                    key: "z".into(),
                    value: Some(av(arr)),
                    ..Default::default()
                },
                KeyValue {
                    key: "a".into(),
                    value: Some(av(Value::BoolValue(true))),
                    ..Default::default()
                },
            ],
        });
        assert_eq!(s(kv), "{z=[a,2,],a=true}");
        assert_eq!(s(Value::ArrayValue(ArrayValue::default())), "[]");
    }

    #[test]
    fn deep_nesting_is_cut_not_overflowed() {
        let mut v = av(Value::IntValue(1));
        for _ in 0..10_000 {
            v = av(Value::ArrayValue(ArrayValue { values: vec![v] }));
        }
        let out = value_string(Some(&v));
        assert!(out.starts_with(&"[".repeat(MAX_DEPTH)));
        assert!(out.contains('…'));
        // Dropping a 10,000-deep value recursively is itself deep; unwind it iteratively.
        let mut cur = Some(v);
        while let Some(mut x) = cur.take() {
            if let Some(Value::ArrayValue(a)) = x.value.as_mut() {
                cur = a.values.pop();
            }
        }
    }

    #[test]
    fn value_bytes_borrows_strings() {
        let mut buf = String::from("junk");
        let v = av(Value::StringValue("abc".into()));
        assert_eq!(value_bytes(Some(&v), &mut buf), b"abc");
        let v = av(Value::IntValue(7));
        assert_eq!(value_bytes(Some(&v), &mut buf), b"7");
    }

    #[test]
    fn samples_are_cut_at_char_boundaries() {
        let long = "é".repeat(200); // 400 bytes
        let out = sample_string(Some(&av(Value::StringValue(long))));
        assert!(out.ends_with('…'));
        assert!(out.len() <= MAX_SAMPLE_LEN + '…'.len_utf8());
        assert_eq!(
            sample_string(Some(&av(Value::StringValue("short".into())))),
            "short"
        );
    }
}
