//! The OTLP/JSON decoder's fast JSON reader against serde_json driving the same decoder
//! (`otlp::json::readers`): on generated documents written every way JSON allows (whitespace,
//! escapes of any character, surrogate pairs, numbers in exponent and fraction forms, keys in
//! any order, repeated keys, unknown fields with deep values, nulls, integers as strings,
//! snake_case names, enum names), the decoder answers exactly as serde_json-driven decoding
//! does, request or error; the fast reader gives up only on what it must (nesting deeper than
//! its limit), and otherwise answers itself; on damaged bytes the answers are equal too.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

use otelsnap_core::otlp::OtlpRequest;
use otelsnap_core::otlp::json::{self, JsonError, readers};
use otelsnap_testkit::otlp_json::{encode_logs, encode_metrics, encode_traces, restyle};
use otelsnap_testkit::rng::Rng;
use otelsnap_testkit::testdata::{bench_metrics, checkout_logs, checkout_metrics, checkout_traces};
use proptest::prelude::*;
use prost::Message;
use serde_json::{Map, Value, json};

fn wire(req: &OtlpRequest) -> Vec<u8> {
    match req {
        OtlpRequest::Metrics(r) => r.encode_to_vec(),
        OtlpRequest::Traces(r) => r.encode_to_vec(),
        OtlpRequest::Logs(r) => r.encode_to_vec(),
    }
}

fn answer(r: &Result<OtlpRequest, JsonError>) -> Result<Vec<u8>, String> {
    r.as_ref().map(wire).map_err(ToString::to_string)
}

/// The decoder answers as serde_json-driven decoding does; returns whether the fast reader
/// answered by itself.
fn same(bytes: &[u8]) -> bool {
    let by_serde = readers::serde_any(bytes);
    let got = json::decode_any(bytes);
    assert_eq!(
        answer(&got),
        answer(&by_serde),
        "decode_any differs from serde_json on\n{}",
        String::from_utf8_lossy(bytes)
    );
    let fast = readers::fast_any(bytes);
    if let Some(Ok(req)) = &fast {
        assert_eq!(
            Ok(wire(req)),
            answer(&by_serde),
            "the fast reader's own answer"
        );
    }
    let metrics = json::decode_metrics(bytes).map(|r| r.encode_to_vec());
    let metrics_serde = readers::serde_metrics(bytes).map(|r| r.encode_to_vec());
    assert_eq!(
        metrics.map_err(|e| e.to_string()),
        metrics_serde.map_err(|e| e.to_string()),
        "decode_metrics"
    );
    matches!(fast, Some(Ok(_)))
}

// ---------------------------------------------------------------------------------------------
// Documents.

const TEXTS: &[&str] = &[
    "",
    "GET",
    "http.route",
    "é ü 世界",
    "emoji 🦀 and 𝄞",
    "quote \" back \\ slash / nl \n tab \t",
    "ctrl \u{1} \u{1f} del \u{7f}",
    "\u{2028}\u{feff}",
    "stringValue",
    "key",
    "value",
];

fn text(rng: &mut Rng) -> String {
    let mut s = rng.pick(TEXTS).to_owned();
    if rng.below(3) == 0 {
        s.push_str(rng.pick(TEXTS));
    }
    s
}

/// A random AnyValue in JSON, every member and nesting.
fn any_value(rng: &mut Rng, depth: u32) -> Value {
    let kinds = if depth == 0 { 8 } else { 10 };
    match rng.below(kinds) {
        0 => json!({}),
        1 | 2 => json!({ "stringValue": text(rng) }),
        3 => json!({ "boolValue": rng.below(2) == 0 }),
        4 => json!({ "intValue": (rng.next_u64() as i64).to_string() }),
        5 => json!({ "intValue": rng.below(2000) as i64 - 1000 }),
        6 => json!({ "doubleValue": (rng.below(100_000) as f64 - 50_000.0) / 64.0 }),
        7 => json!({ "bytesValue": rng.pick(&["", "aGVsbG8=", "aGVsbG8", "_-8"]) }),
        8 => json!({ "arrayValue": { "values":
            (0..rng.below(3)).map(|_| any_value(rng, depth - 1)).collect::<Vec<_>>() } }),
        _ => json!({ "kvlistValue": { "values": attributes(rng, depth - 1) } }),
    }
}

fn attributes(rng: &mut Rng, depth: u32) -> Vec<Value> {
    (0..rng.below(5))
        .map(|_| {
            let mut kv = json!({ "key": text(rng) });
            if rng.below(8) != 0 {
                kv["value"] = any_value(rng, depth);
            }
            kv
        })
        .collect()
}

/// Every `attributes` list in `doc` replaced by random ones.
fn new_attributes(doc: &mut Value, rng: &mut Rng) {
    match doc {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if k == "attributes" && rng.below(2) == 0 {
                    let depth = rng.below(4) as u32;
                    *v = Value::Array(attributes(rng, depth));
                } else {
                    new_attributes(v, rng);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| new_attributes(v, rng)),
        _ => {}
    }
}

fn document(rng: &mut Rng) -> Value {
    let mut doc = match rng.below(4) {
        0 => encode_metrics(&checkout_metrics()),
        1 => encode_traces(&checkout_traces()),
        2 => encode_logs(&checkout_logs()),
        _ => encode_metrics(&bench_metrics(3, 2, 4, rng.below(100))),
    };
    new_attributes(&mut doc, rng);
    if rng.below(4) == 0 {
        doc
    } else {
        restyle(doc, rng)
    }
}

// ---------------------------------------------------------------------------------------------
// Writing JSON every way it may be written.

struct Writer<'r> {
    rng: &'r mut Rng,
    out: String,
    /// Containers open.
    depth: usize,
    /// The deepest nesting written.
    deepest: usize,
}

impl Writer<'_> {
    fn ws(&mut self) {
        if self.rng.below(4) == 0 {
            let w = self.rng.pick(&[" ", "\n", "\t", "\r\n  ", "  "]);
            self.out.push_str(w);
        }
    }

    fn string(&mut self, s: &str) {
        self.out.push('"');
        for c in s.chars() {
            let escape = self.rng.below(6) == 0;
            match c {
                '"' => self.out.push_str("\\\""),
                '\\' => self.out.push_str("\\\\"),
                '\n' if !escape => self.out.push_str("\\n"),
                '\t' if !escape => self.out.push_str("\\t"),
                '/' if escape => self.out.push_str("\\/"),
                c if (c as u32) < 0x20 || escape => {
                    let mut units = [0u16; 2];
                    for u in c.encode_utf16(&mut units) {
                        let hex = format!("{:04x}", u);
                        let hex = if self.rng.below(2) == 0 {
                            hex.to_uppercase()
                        } else {
                            hex
                        };
                        self.out.push_str("\\u");
                        self.out.push_str(&hex);
                    }
                }
                c => self.out.push(c),
            }
        }
        self.out.push('"');
    }

    /// A number, respelled as another JSON number of the same or a nearby value.
    fn number(&mut self, n: &serde_json::Number) {
        let plain = n.to_string();
        let spelled = match self.rng.below(6) {
            0 if n.is_u64() => format!("{plain}.0"),
            1 if n.is_u64() || n.is_i64() => format!("{plain}e0"),
            2 => format!("{plain}E+0"),
            3 if !plain.contains(['.', 'e', 'E']) && plain != "0" && plain != "-0" => {
                // 123 as 12.3e1 or 1230e-1.
                let (sign, digits) = plain.split_at(usize::from(plain.starts_with('-')));
                if self.rng.below(2) == 0 && digits.len() > 1 {
                    let (a, b) = digits.split_at(digits.len() - 1);
                    format!("{sign}{a}.{b}e1")
                } else {
                    format!("{sign}{digits}0e-1")
                }
            }
            _ => plain,
        };
        self.out.push_str(&spelled);
    }

    fn open(&mut self, c: char) {
        self.out.push(c);
        self.depth += 1;
        self.deepest = self.deepest.max(self.depth);
    }

    fn close(&mut self, c: char) {
        self.ws();
        self.out.push(c);
        self.depth -= 1;
    }

    fn value(&mut self, v: &Value) {
        self.ws();
        match v {
            Value::Null => self.out.push_str("null"),
            Value::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => self.number(n),
            Value::String(s) => self.string(s),
            Value::Array(items) => {
                self.open('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.ws();
                        self.out.push(',');
                    }
                    self.value(item);
                }
                self.close(']');
            }
            Value::Object(map) => self.object(map),
        }
    }

    fn object(&mut self, map: &Map<String, Value>) {
        let mut entries: Vec<(&String, Value)> = map.iter().map(|(k, v)| (k, v.clone())).collect();
        // Any key order.
        for i in (1..entries.len()).rev() {
            let j = self.rng.below(i as u64 + 1) as usize;
            entries.swap(i, j);
        }
        let mut written: Vec<(String, Value)> = Vec::new();
        for (k, v) in entries {
            // An earlier occurrence of the key, which the last one overrides.
            if self.rng.below(12) == 0 {
                let earlier = self
                    .rng
                    .pick(&[json!(null), json!("x"), json!(1), json!({})]);
                written.push((k.clone(), earlier));
            }
            written.push((k.clone(), v));
            // An unknown field, sometimes nested deep.
            if self.rng.below(16) == 0 {
                let levels = self.rng.pick(&[0, 3, 99, 101, 126, 140]);
                let mut deep = json!(["x", 1.5, null, {"a": [true]}]);
                for _ in 0..levels {
                    deep = json!([deep]);
                }
                written.push(("futureField".to_owned(), deep));
            }
        }
        self.open('{');
        for (i, (k, v)) in written.iter().enumerate() {
            if i > 0 {
                self.ws();
                self.out.push(',');
            }
            self.ws();
            self.string(k);
            self.ws();
            self.out.push(':');
            self.value(v);
        }
        self.close('}');
    }
}

/// `doc` written at random; the text and the deepest nesting in it.
fn write(doc: &Value, rng: &mut Rng) -> (String, usize) {
    let mut w = Writer {
        rng,
        out: String::new(),
        depth: 0,
        deepest: 0,
    };
    w.value(doc);
    w.ws();
    (w.out, w.deepest)
}

fn damage(bytes: &mut Vec<u8>, kind: u8, seed: u64) {
    let mut rng = Rng::new(seed);
    let len = bytes.len() as u64;
    match kind % 5 {
        0 => bytes.truncate(rng.below(len) as usize),
        1 => bytes.extend_from_slice(rng.pick(&[&b" x"[..], b"{}", b"]", b",", b" \n\t"])),
        2 => {
            let i = rng.below(len) as usize;
            bytes.insert(
                i,
                rng.pick(&[b'\\', b'"', b'-', b'.', b'e', b'0', 0x01, b',']),
            );
        }
        3 => {
            // A number or escape spelled wrong where one stands.
            let i = rng.below(len) as usize;
            let bad = rng.pick(&[
                &b"01"[..],
                b"1.",
                b"-",
                b"1e",
                b".5",
                b"\\x",
                b"\\ud800",
                b"1e400",
            ]);
            bytes.splice(i..i, bad.iter().copied());
        }
        _ => {
            let i = rng.below(len) as usize;
            bytes[i] = rng.pick(&[b'"', b'{', b'}', b',', b':', b'x', b'0', b'\\', 0xff]);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Valid documents written any way: the same answer, and the fast reader gave it.
    #[test]
    fn documents_written_any_way_decode_alike(seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let doc = document(&mut rng);
        let (text, deepest) = write(&doc, &mut rng);
        let fast = same(text.as_bytes());
        // serde_json refuses nesting from 128 on; the fast reader leaves more than 100 to it.
        if deepest <= 100 {
            prop_assert!(fast, "the fast reader gave up on\n{text}");
        }
        prop_assert!(readers::serde_any(text.as_bytes()).is_ok() || deepest >= 128, "{text}");
    }

    /// Damaged bytes: the same answer, request or error.
    #[test]
    fn damaged_documents_decode_alike(
        seed in any::<u64>(),
        damages in proptest::collection::vec((any::<u8>(), any::<u64>()), 1..3),
    ) {
        let mut rng = Rng::new(seed);
        let doc = document(&mut rng);
        let (text, _) = write(&doc, &mut rng);
        let mut bytes = text.into_bytes();
        for (kind, at) in damages {
            damage(&mut bytes, kind, at);
        }
        same(&bytes);
    }
}

#[test]
fn escapes_and_numbers_read_by_the_fast_reader() {
    let doc = r#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{
        "body":{"kvlistValue":{"values":[
          {"key":"a\u00e9\ud83e\udd80\/\"","value":{"stringValue":"x\n\u0000y"}},
          {"key":"d","value":{"doubleValue":-12.5e-1}},
          {"key":"e","value":{"doubleValue":1E2}},
          {"key":"f","value":{"doubleValue":-0}},
          {"key":"g","value":{"intValue":"-9223372036854775808"}},
          {"key":"h","value":{"doubleValue":123456789012345678901234567890}},
          {"key":"i","value":{"doubleValue":1.7976931348623157e308}},
          {"key":"j","value":{"doubleValue":5e-324}},
          {"key":"k","value":{"intValue":1.0e3}}
        ]}},
        "timeUnixNano":18446744073709551615, "severityNumber":"SEVERITY_NUMBER_WARN",
        "key":"ignored","key":null}]}]}]}"#;
    assert!(same(doc.as_bytes()), "the fast reader gave up");
}

#[test]
fn what_the_fast_reader_leaves_to_serde_json_is_still_decoded_alike() {
    for doc in [
        // Lone surrogates, invalid escapes, control characters, bad numbers, trailing data.
        r#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"\ud800"}}]}]}]}"#,
        r#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"\udc00x"}}]}]}]}"#,
        r#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"\q"}}]}]}]}"#,
        "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"body\":{\"stringValue\":\"a\u{1}\"}}]}]}]}",
        r#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":01}]}]}]}"#,
        r#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":1e400}]}]}]}"#,
        r#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":-}]}]}]}"#,
        r#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":1.}]}]}]}"#,
        r#"{"resourceLogs":[],}"#,
        r#"{"resourceLogs":[1,]}"#,
        r#"{"resourceLogs":[]} x"#,
        r#"{"resourceLogs":[]}{}"#,
        // Valid, but an invalid request: the error comes from serde_json's reading.
        r#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":true}]}]}]}"#,
    ] {
        same(doc.as_bytes());
        assert!(readers::serde_any(doc.as_bytes()).is_err(), "{doc}");
    }
    // Nesting past the fast reader's limit but within serde_json's: decoded all the same.
    let deep = format!(
        r#"{{"resourceLogs":[],"zz":{}1{}}}"#,
        "[".repeat(110),
        "]".repeat(110)
    );
    assert!(!same(deep.as_bytes()));
    assert!(readers::serde_any(deep.as_bytes()).is_ok());
}
