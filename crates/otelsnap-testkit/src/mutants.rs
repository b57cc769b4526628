//! Damaged and crafted variants of a session file, for testing that every read either refuses
//! a file with one clear line or loads a session that passes every validation rule.
//!
//! [`mutants`] derives them deterministically (splitmix64 from a seed) from one good session
//! file: byte flips and truncations of the gzip and of the JSON, values of the wrong type,
//! missing and duplicated fields, duplicated items, huge, negative and fractional numbers,
//! crafted and foreign sketches, and data after the end of the gzip stream.

use base64::Engine as _;
use otelsnap_core::session::format;
use serde_json::{Map, Value};

/// One variant: what was done, and the file's bytes.
#[derive(Debug, Clone)]
pub struct Mutant {
    /// What was changed, for failure messages (e.g. `wrong type at $.data.metrics[2].unit`).
    pub what: String,
    /// The whole file.
    pub bytes: Vec<u8>,
}

/// Deterministic choices.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// A step into a JSON document.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

fn path_text(p: &[Step]) -> String {
    let mut s = String::from("$");
    for st in p {
        match st {
            Step::Key(k) => {
                s.push('.');
                s.push_str(k);
            }
            Step::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// Every path in the document, parents before children.
fn paths(v: &Value, prefix: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    out.push(prefix.clone());
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                prefix.push(Step::Key(k.clone()));
                paths(c, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                prefix.push(Step::Index(i));
                paths(c, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn at_mut<'a>(v: &'a mut Value, p: &[Step]) -> Option<&'a mut Value> {
    let mut cur = v;
    for st in p {
        cur = match st {
            Step::Key(k) => cur.as_object_mut()?.get_mut(k)?,
            Step::Index(i) => cur.as_array_mut()?.get_mut(*i)?,
        };
    }
    Some(cur)
}

/// Gzips JSON text as the store writes it (header included, so `list` sees a header).
fn gz(json: &[u8]) -> Vec<u8> {
    format::gzip_with_header(json, None)
}

fn to_text(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}

/// Writes `v` as JSON, with the object member at `dup` (a path ending in a key) written twice:
/// once with its value and once with `second`.
fn write_with_duplicate(
    v: &Value,
    here: &mut Vec<String>,
    dup: &[String],
    second: &Value,
    out: &mut String,
) {
    match v {
        Value::Object(m) => {
            out.push('{');
            let mut first = true;
            for (k, c) in m {
                let mut emit = |val: &Value, out: &mut String, here: &mut Vec<String>| {
                    if !first {
                        out.push(',');
                    }
                    first = false;
                    out.push_str(&serde_json::to_string(k).unwrap_or_default());
                    out.push(':');
                    here.push(k.clone());
                    write_with_duplicate(val, here, dup, second, out);
                    here.pop();
                };
                emit(c, out, here);
                here.push(k.clone());
                let is_dup = here.as_slice() == dup;
                here.pop();
                if is_dup {
                    emit(second, out, here);
                }
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, c) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                here.push(format!("[{i}]"));
                write_with_duplicate(c, here, dup, second, out);
                here.pop();
            }
            out.push(']');
        }
        other => out.push_str(&serde_json::to_string(other).unwrap_or_default()),
    }
}

/// Base64 of a crafted sketch in our encoding (version 1, precision 14).
fn crafted_sketch(kind: usize, rng: &mut Rng) -> (String, String) {
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    match kind % 6 {
        0 => {
            // Dense, every register at 63: an estimate beyond 2^64.
            let mut bytes = vec![1u8, 14, 1];
            bytes.extend(std::iter::repeat_n(0xffu8, (1 << 14) / 4 * 3));
            ("dense registers at 63".into(), b64(&bytes))
        }
        1 => {
            // Dense, one register just out of range (52 > 64 - 14 + 1).
            let mut bytes = vec![1u8, 14, 1];
            let mut regs = vec![0u8; (1 << 14) / 4 * 3];
            let at = rng.below(regs.len() / 3) * 3;
            regs[at] = 52;
            bytes.extend(regs);
            ("dense register 52".into(), b64(&bytes))
        }
        2 => {
            // Sparse, a flagged code with a run length of 63.
            let code: u32 = (5 << 7) | (63 << 1) | 1;
            let mut bytes = vec![1u8, 14, 0, 1];
            let mut c = code;
            loop {
                let b = (c & 0x7f) as u8;
                c >>= 7;
                if c == 0 {
                    bytes.push(b);
                    break;
                }
                bytes.push(b | 0x80);
            }
            ("sparse code with run length 63".into(), b64(&bytes))
        }
        3 => ("not base64".into(), "!!not base64!!".into()),
        4 => (
            "random bytes".into(),
            b64(&(0..40).map(|_| rng.next() as u8).collect::<Vec<_>>()),
        ),
        _ => {
            // Dense with the wrong block length.
            let mut bytes = vec![1u8, 14, 1];
            bytes.extend(std::iter::repeat_n(0u8, 100));
            ("short dense block".into(), b64(&bytes))
        }
    }
}

/// At least `n` mutants of `base` (a session file, gzipped or not), deterministic per `seed`.
pub fn mutants(base: &[u8], n: usize, seed: u64) -> Vec<Mutant> {
    let mut rng = Rng(seed);
    let json: Vec<u8> = if format::is_gzip(base) {
        format::inflate(base, &format::ReadLimits::default(), "base")
            .map(|c| c.into_owned())
            .unwrap_or_default()
    } else {
        base.to_vec()
    };
    let doc: Value = serde_json::from_slice(&json).unwrap_or(Value::Null);
    let gzipped = gz(&json);
    let mut all = Vec::new();
    paths(&doc, &mut Vec::new(), &mut all);
    let numbers: Vec<&Vec<Step>> = all
        .iter()
        .filter(|p| doc_at(&doc, p).is_some_and(Value::is_number))
        .collect();
    let sketches: Vec<&Vec<Step>> = all
        .iter()
        .filter(|p| {
            matches!(p.last(), Some(Step::Key(k)) if k == "data")
                && p.len() >= 2
                && matches!(&p[p.len() - 2], Step::Key(k) if k == "sketch" || k == "series_sketch")
        })
        .collect();
    let objects: Vec<&Vec<Step>> = all
        .iter()
        .filter(|p| {
            !p.is_empty() && matches!(p.last(), Some(Step::Key(_))) && doc_at(&doc, p).is_some()
        })
        .collect();
    let mut out = Vec::new();
    let per = n.div_ceil(10).max(1);
    let push =
        |out: &mut Vec<Mutant>, what: String, bytes: Vec<u8>| out.push(Mutant { what, bytes });

    // 1. Byte flips in the gzip stream.
    for _ in 0..per {
        let mut b = gzipped.clone();
        let i = rng.below(b.len());
        let bit = 1u8 << rng.below(8);
        b[i] ^= bit;
        push(&mut out, format!("gzip byte {i} xor {bit:#04x}"), b);
    }
    // 2. Truncations of the gzip stream and of the JSON.
    for k in 0..per {
        if k % 2 == 0 {
            let cut = rng.below(gzipped.len());
            push(
                &mut out,
                format!("gzip cut at {cut}"),
                gzipped[..cut].to_vec(),
            );
        } else {
            let cut = rng.below(json.len());
            push(&mut out, format!("JSON cut at {cut}"), json[..cut].to_vec());
        }
    }
    // 3. Byte flips in the JSON text (then gzipped).
    for _ in 0..per {
        let mut b = json.clone();
        let i = rng.below(b.len());
        b[i] = match rng.below(4) {
            0 => b'"',
            1 => b'{',
            2 => b[i] ^ 0x80,
            _ => b'0' + rng.below(10) as u8,
        };
        push(&mut out, format!("JSON byte {i} replaced"), gz(&b));
    }
    // 4. Values of the wrong type.
    for _ in 0..per {
        let p = all[rng.below(all.len())].clone();
        let mut d = doc.clone();
        let replacement = match rng.below(6) {
            0 => Value::String("x".into()),
            1 => Value::Array(vec![]),
            2 => Value::Object(Map::new()),
            3 => Value::Null,
            4 => Value::Bool(true),
            _ => Value::from(7),
        };
        if let Some(v) = at_mut(&mut d, &p) {
            *v = replacement.clone();
        }
        push(
            &mut out,
            format!("{} replaced by {replacement}", path_text(&p)),
            gz(&to_text(&d)),
        );
    }
    // 5. Missing fields.
    for _ in 0..per {
        let p = objects[rng.below(objects.len())].clone();
        let mut d = doc.clone();
        if let (Some(Step::Key(k)), Some(parent)) = (p.last(), at_mut(&mut d, &p[..p.len() - 1]))
            && let Some(m) = parent.as_object_mut()
        {
            m.remove(k);
        }
        push(
            &mut out,
            format!("{} removed", path_text(&p)),
            gz(&to_text(&d)),
        );
    }
    // 6. Duplicated fields (the same key twice in one object, the second with another value).
    for _ in 0..per {
        let p = objects[rng.below(objects.len())].clone();
        let keys: Vec<String> = p
            .iter()
            .map(|s| match s {
                Step::Key(k) => k.clone(),
                Step::Index(i) => format!("[{i}]"),
            })
            .collect();
        let second = match doc_at(&doc, &p) {
            Some(Value::Number(_)) => Value::from(rng.below(1000) as u64),
            Some(Value::String(s)) => Value::String(format!("{s}-again")),
            Some(v) => v.clone(),
            None => Value::Null,
        };
        let mut text = String::new();
        write_with_duplicate(&doc, &mut Vec::new(), &keys, &second, &mut text);
        push(
            &mut out,
            format!("{} given twice", path_text(&p)),
            gz(text.as_bytes()),
        );
    }
    // 7. Huge, negative and fractional numbers.
    const NUMBERS: [&str; 9] = [
        "-1",
        "-50",
        "1e308",
        "18446744073709551615",
        "18446744073709551616",
        "0.5",
        "101",
        "-0.0",
        "9007199254740993",
    ];
    for _ in 0..per * 2 {
        let p = numbers[rng.below(numbers.len())].clone();
        let n = NUMBERS[rng.below(NUMBERS.len())];
        let mut d = doc.clone();
        let marker = "\u{1}MUTANT\u{1}";
        if let Some(v) = at_mut(&mut d, &p) {
            *v = Value::String(marker.into());
        }
        let text = String::from_utf8(to_text(&d))
            .unwrap_or_default()
            .replace(&serde_json::to_string(marker).unwrap_or_default(), n);
        push(
            &mut out,
            format!("{} set to {n}", path_text(&p)),
            gz(text.as_bytes()),
        );
    }
    // 8. Crafted, foreign and broken sketches.
    for k in 0..per.max(12) {
        if sketches.is_empty() {
            break;
        }
        let p = sketches[rng.below(sketches.len())].clone();
        let mut d = doc.clone();
        let (what, data) = crafted_sketch(k, &mut rng);
        if let Some(v) = at_mut(&mut d, &p) {
            *v = Value::String(data);
        }
        // Some of them also claim another precision or encoding.
        let parent = &p[..p.len() - 1];
        let extra = match k % 4 {
            1 => {
                if let Some(Value::Object(m)) = at_mut(&mut d, parent) {
                    m.insert("precision".into(), Value::from(12));
                }
                ", precision 12"
            }
            3 => {
                if let Some(Value::Object(m)) = at_mut(&mut d, parent) {
                    m.insert("encoding".into(), Value::from("hll-occ"));
                }
                ", encoding hll-occ"
            }
            _ => "",
        };
        push(
            &mut out,
            format!("{} crafted: {what}{extra}", path_text(&p)),
            gz(&to_text(&d)),
        );
    }
    // 9. Duplicated items and empty or odd `data`.
    let lists = ["metrics", "spans", "logs", "attributes"];
    for (k, list) in lists.iter().enumerate() {
        let mut d = doc.clone();
        if let Some(Value::Array(a)) = at_mut(
            &mut d,
            &[Step::Key("data".into()), Step::Key((*list).into())],
        ) && !a.is_empty()
        {
            let i = (k * 7) % a.len();
            let copy = a[i].clone();
            a.push(copy);
        }
        push(
            &mut out,
            format!("$.data.{list}: an item twice"),
            gz(&to_text(&d)),
        );
    }
    for (what, data) in [
        ("data is []", Some(Value::Array(vec![]))),
        ("data is null", Some(Value::Null)),
        ("data missing", None),
        ("data.metrics is {}", Some(Value::Null)),
    ] {
        let mut d = doc.clone();
        if let Value::Object(m) = &mut d {
            match (what, data) {
                ("data.metrics is {}", _) => {
                    if let Some(Value::Object(dm)) = m.get_mut("data") {
                        dm.insert("metrics".into(), Value::Object(Map::new()));
                    }
                }
                (_, Some(v)) => {
                    m.insert("data".into(), v);
                }
                (_, None) => {
                    m.remove("data");
                }
            }
        }
        push(&mut out, what.to_string(), gz(&to_text(&d)));
    }
    // 10. Data after the end of the gzip stream.
    for tail in [
        b"x".as_slice(),
        b"\n",
        b"\0\0\0\0\0\0\0\0",
        b"{\"version\":1}",
    ] {
        let mut b = gzipped.clone();
        b.extend_from_slice(tail);
        push(
            &mut out,
            format!("{} bytes after the gzip stream", tail.len()),
            b,
        );
    }
    // Top up with more number and type mutations until there are `n`.
    while out.len() < n {
        let p = numbers[rng.below(numbers.len())].clone();
        let mut d = doc.clone();
        if let Some(v) = at_mut(&mut d, &p) {
            *v = Value::from(rng.next() >> rng.below(64));
        }
        push(
            &mut out,
            format!("{} set to a random number", path_text(&p)),
            gz(&to_text(&d)),
        );
    }
    out
}

fn doc_at<'a>(v: &'a Value, p: &[Step]) -> Option<&'a Value> {
    let mut cur = v;
    for st in p {
        cur = match st {
            Step::Key(k) => cur.as_object()?.get(k)?,
            Step::Index(i) => cur.as_array()?.get(*i)?,
        };
    }
    Some(cur)
}
