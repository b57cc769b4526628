//! Validation on every read: a loaded session must describe telemetry that could exist.
//!
//! Parsing already refuses wrong types, negative counts (every count is unsigned), duplicate
//! fields of an object and duplicate keys of a map ([`super::SortedMap`]). [`check`] then
//! refuses what parses but cannot be true, naming the JSON path of the first problem:
//! - duplicate item identities (two metrics of one name, two spans of one name and kind, two
//!   severities of one name and number, two catalog entries of one key);
//! - numbers: percentages outside 0..=100 or not finite, bucket bounds not finite;
//! - estimates above their occurrence counts (distinct values of a key above the key's count,
//!   active series above the metric's data points);
//! - sketches of an unknown precision or encoding;
//! - observed windows that are reversed or out of order.
//!
//! Those checks are cheap (one walk of the model) and run on every load, including the lean
//! loads of `show` and `diff` that skip sketch bytes. [`check_sketches`] adds the expensive
//! part (decode every sketch: registers in range, estimate consistent with the sketch) for
//! `import` and `merge`, which keep or combine the sketches.

use super::model::{
    AttributeMeta, KeyStats, KeyStatsMap, LogMeta, MetricMeta, Observed, Session, SketchData,
    SpanMeta,
};
use crate::sketch::{ENCODING, PRECISION, Sketch};

/// The first problem found: where (a JSON path such as `$.data.metrics[3].sample_count`) and
/// what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// JSON path of the offending value.
    pub path: String,
    /// What is wrong with it.
    pub reason: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "at {}: {}", self.path, self.reason)
    }
}

type Check = Result<(), Problem>;

fn fail(path: impl FnOnce() -> String, reason: impl Into<String>) -> Check {
    Err(Problem {
        path: path(),
        reason: reason.into(),
    })
}

/// A map key or name in a JSON path: quoted and escaped, so control characters and quotes in
/// untrusted names cannot break the line or a terminal.
pub fn quote(key: &str) -> String {
    serde_json::to_string(key).unwrap_or_default()
}

/// The cheap checks (see the module documentation).
pub fn check(s: &Session) -> Check {
    if let Some(o) = &s.observed {
        check_observed(o)?;
    }
    let d = &s.data;
    let mut names: Vec<(&str, usize)> = d
        .metrics
        .iter()
        .enumerate()
        .map(|(i, m)| (m.name.as_str(), i))
        .collect();
    first_duplicate(
        &mut names,
        |i| format!("$.data.metrics[{i}].name"),
        "metric",
    )?;
    for (i, m) in d.metrics.iter().enumerate() {
        check_metric(m, i)?;
    }
    let mut spans: Vec<((&str, i32), usize)> = d
        .spans
        .iter()
        .enumerate()
        .map(|(i, s)| ((s.name.as_str(), s.kind), i))
        .collect();
    first_duplicate(
        &mut spans,
        |i| format!("$.data.spans[{i}]"),
        "span name and kind",
    )?;
    for (i, sp) in d.spans.iter().enumerate() {
        check_span(sp, i)?;
    }
    let mut logs: Vec<((&str, i32), usize)> = d
        .logs
        .iter()
        .enumerate()
        .map(|(i, l)| ((l.severity.as_str(), l.severity_number), i))
        .collect();
    first_duplicate(&mut logs, |i| format!("$.data.logs[{i}]"), "severity")?;
    for (i, l) in d.logs.iter().enumerate() {
        check_log(l, i)?;
    }
    let mut keys: Vec<(&str, usize)> = d
        .attributes
        .iter()
        .enumerate()
        .map(|(i, a)| (a.key.as_str(), i))
        .collect();
    first_duplicate(
        &mut keys,
        |i| format!("$.data.attributes[{i}].key"),
        "attribute key",
    )?;
    for (i, a) in d.attributes.iter().enumerate() {
        check_attribute(a, i)?;
    }
    for (field, said, has) in [
        ("metrics_count", s.stats.metrics_count, d.metrics.len()),
        ("spans_count", s.stats.spans_count, d.spans.len()),
        ("logs_count", s.stats.logs_count, d.logs.len()),
        (
            "attributes_count",
            s.stats.attributes_count,
            d.attributes.len(),
        ),
    ] {
        // A file without stats (zero) is allowed: older writers and OCC fill them in later.
        if said != 0 && said != has as u64 {
            return fail(
                || format!("$.stats.{field}"),
                format!("says {said} but data holds {has}"),
            );
        }
    }
    Ok(())
}

/// Refuses the first identity that occurs twice, naming the later entry.
fn first_duplicate<K: Ord + Copy + std::fmt::Debug>(
    ids: &mut [(K, usize)],
    path: impl Fn(usize) -> String,
    what: &str,
) -> Check {
    ids.sort_unstable();
    for w in ids.windows(2) {
        if w[0].0 == w[1].0 {
            let later = w[0].1.max(w[1].1);
            let earlier = w[0].1.min(w[1].1);
            return fail(
                || path(later),
                format!("the same {what} as entry {earlier} (each item may appear once)"),
            );
        }
    }
    Ok(())
}

fn check_observed(o: &Observed) -> Check {
    let mut prev_end = None;
    for (i, w) in o.windows.iter().enumerate() {
        if w.end <= w.start {
            return fail(
                || format!("$.observed.windows[{i}]"),
                "the window ends before it starts",
            );
        }
        if prev_end.is_some_and(|e| w.start < e) {
            return fail(
                || format!("$.observed.windows[{i}]"),
                "windows overlap or are out of order",
            );
        }
        prev_end = Some(w.end);
    }
    Ok(())
}

fn check_metric(m: &MetricMeta, i: usize) -> Check {
    let at = |f: &str| format!("$.data.metrics[{i}].{f}");
    let points = m.sample_count.max(m.data_point_count);
    keys(&m.label_keys, &|| at("label_keys"))?;
    keys(&m.resource_keys, &|| at("resource_keys"))?;
    if m.active_series > points {
        return fail(
            || at("active_series"),
            format!(
                "{} active series from {points} data points (an estimate cannot exceed its occurrences)",
                m.active_series
            ),
        );
    }
    if let Some(sk) = &m.series_sketch {
        sketch_shape(sk, &|| at("series_sketch"))?;
    }
    if let Some(j) = m.explicit_bounds.iter().position(|b| !b.is_finite()) {
        return fail(
            || at(&format!("explicit_bounds[{j}]")),
            "a bucket bound is not finite",
        );
    }
    Ok(())
}

fn check_span(s: &SpanMeta, i: usize) -> Check {
    let at = |f: &str| format!("$.data.spans[{i}].{f}");
    keys(&s.attribute_keys, &|| at("attribute_keys"))?;
    keys(&s.resource_keys, &|| at("resource_keys"))?;
    keys(&s.link_attribute_keys, &|| at("link_attribute_keys"))?;
    for (ev, m) in &s.event_attribute_keys {
        keys(m, &|| at(&format!("event_attribute_keys[{}]", quote(ev))))?;
    }
    Ok(())
}

fn check_log(l: &LogMeta, i: usize) -> Check {
    let at = |f: &str| format!("$.data.logs[{i}].{f}");
    keys(&l.attribute_keys, &|| at("attribute_keys"))?;
    keys(&l.resource_keys, &|| at("resource_keys"))
}

fn check_attribute(a: &AttributeMeta, i: usize) -> Check {
    let at = |f: &str| format!("$.data.attributes[{i}].{f}");
    if a.estimated_cardinality > a.count {
        return fail(
            || at("estimated_cardinality"),
            format!(
                "{} distinct values in {} occurrences (an estimate cannot exceed its occurrences)",
                a.estimated_cardinality, a.count
            ),
        );
    }
    if let Some(sk) = &a.sketch {
        sketch_shape(sk, &|| at("sketch"))?;
    }
    Ok(())
}

/// Key statistics of one map.
fn keys(m: &KeyStatsMap, path: &dyn Fn() -> String) -> Check {
    for (k, ks) in m {
        key(ks, &|f: &str| format!("{}[{}].{f}", path(), quote(k)))?;
    }
    Ok(())
}

fn key(ks: &KeyStats, at: &dyn Fn(&str) -> String) -> Check {
    if !ks.percentage.is_finite() || !(0.0..=100.0).contains(&ks.percentage) {
        return fail(
            || at("percentage"),
            format!("{} is not a percentage (0 to 100)", ks.percentage),
        );
    }
    if ks.estimated_cardinality > ks.count {
        return fail(
            || at("estimated_cardinality"),
            format!(
                "{} distinct values in {} occurrences (an estimate cannot exceed its occurrences)",
                ks.estimated_cardinality, ks.count
            ),
        );
    }
    if let Some(sk) = &ks.sketch {
        sketch_shape(sk, &|| at("sketch"))?;
    }
    Ok(())
}

/// Precision and encoding (the encoding is empty when a lean load skipped the sketch bytes).
fn sketch_shape(sk: &SketchData, path: &dyn Fn() -> String) -> Check {
    if sk.precision != PRECISION {
        return fail(
            || format!("{}.precision", path()),
            format!(
                "sketch precision {} is not supported (this build uses {PRECISION})",
                sk.precision
            ),
        );
    }
    if !sk.encoding.is_empty() && sk.encoding != ENCODING {
        return fail(
            || format!("{}.encoding", path()),
            format!(
                "sketch encoding {} is not supported (this build reads {ENCODING})",
                quote(&sk.encoding)
            ),
        );
    }
    Ok(())
}

/// The expensive checks: every sketch decodes, its registers are in range, and a key's estimate
/// is what its sketch says (capped at the occurrence count) unless it is marked approximate.
pub fn check_sketches(s: &Session) -> Check {
    let d = &s.data;
    for (i, m) in d.metrics.iter().enumerate() {
        let at = |f: &str| format!("$.data.metrics[{i}].{f}");
        sketch_keys(&m.label_keys, &|| at("label_keys"))?;
        sketch_keys(&m.resource_keys, &|| at("resource_keys"))?;
        if let Some(sk) = &m.series_sketch {
            let cap = m.sample_count.max(m.data_point_count);
            estimate(
                sk,
                m.active_series,
                cap,
                m.series_approximate,
                &|| at("series_sketch"),
                &|| at("active_series"),
            )?;
        }
    }
    for (i, sp) in d.spans.iter().enumerate() {
        let at = |f: &str| format!("$.data.spans[{i}].{f}");
        sketch_keys(&sp.attribute_keys, &|| at("attribute_keys"))?;
        sketch_keys(&sp.resource_keys, &|| at("resource_keys"))?;
        sketch_keys(&sp.link_attribute_keys, &|| at("link_attribute_keys"))?;
        for (ev, m) in &sp.event_attribute_keys {
            sketch_keys(m, &|| at(&format!("event_attribute_keys[{}]", quote(ev))))?;
        }
    }
    for (i, l) in d.logs.iter().enumerate() {
        let at = |f: &str| format!("$.data.logs[{i}].{f}");
        sketch_keys(&l.attribute_keys, &|| at("attribute_keys"))?;
        sketch_keys(&l.resource_keys, &|| at("resource_keys"))?;
    }
    for (i, a) in d.attributes.iter().enumerate() {
        let at = |f: &str| format!("$.data.attributes[{i}].{f}");
        if let Some(sk) = &a.sketch {
            estimate(
                sk,
                a.estimated_cardinality,
                a.count,
                a.approximate,
                &|| at("sketch"),
                &|| at("estimated_cardinality"),
            )?;
        }
    }
    Ok(())
}

fn sketch_keys(m: &KeyStatsMap, path: &dyn Fn() -> String) -> Check {
    for (k, ks) in m {
        if let Some(sk) = &ks.sketch {
            let at = |f: &str| format!("{}[{}].{f}", path(), quote(k));
            estimate(
                sk,
                ks.estimated_cardinality,
                ks.count,
                ks.approximate,
                &|| at("sketch"),
                &|| at("estimated_cardinality"),
            )?;
        }
    }
    Ok(())
}

/// Decodes `sk` and compares its estimate with the recorded one.
fn estimate(
    sk: &SketchData,
    recorded: u64,
    count: u64,
    approximate: bool,
    sketch_path: &dyn Fn() -> String,
    estimate_path: &dyn Fn() -> String,
) -> Check {
    let mut decoded = match Sketch::from_data(sk) {
        Ok(s) => s,
        Err(e) => return fail(sketch_path, e.to_string()),
    };
    let want = decoded.estimate().min(count);
    // An approximate estimate is at least its partial sketch's (merge keeps the larger).
    let ok = if approximate {
        recorded >= want
    } else {
        recorded == want
    };
    if !ok {
        return fail(
            estimate_path,
            format!(
                "the estimate {recorded} does not match its sketch ({want}{})",
                if approximate { " at least" } else { "" }
            ),
        );
    }
    Ok(())
}

/// The JSON path of the value at byte `offset` of `text` (a parse error's position), found by
/// walking the document up to there. Best effort: `$` when the text is not JSON enough.
pub fn path_at(text: &[u8], offset: usize) -> String {
    #[derive(Clone)]
    enum Seg {
        Key(String),
        Index(usize),
        /// In an object, before its first key.
        Open,
    }
    let mut stack: Vec<Seg> = Vec::new();
    let end = offset.min(text.len());
    let mut i = 0;
    // Whether the next string in the current object is a key.
    let mut want_key: Vec<bool> = Vec::new();
    while i < end {
        match text[i] {
            b'{' => {
                stack.push(Seg::Open);
                want_key.push(true);
            }
            b'[' => {
                stack.push(Seg::Index(0));
                want_key.push(false);
            }
            b'}' | b']' => {
                stack.pop();
                want_key.pop();
            }
            b',' => {
                if let Some(top) = stack.last_mut() {
                    match top {
                        Seg::Index(n) => *n += 1,
                        _ => {
                            if let Some(w) = want_key.last_mut() {
                                *w = true;
                            }
                        }
                    }
                }
            }
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while j < text.len() && text[j] != b'"' {
                    if text[j] == b'\\' {
                        j += 1;
                    }
                    j += 1;
                }
                if want_key.last() == Some(&true) {
                    let raw = text.get(start..j.min(text.len())).unwrap_or_default();
                    let key = serde_json::from_slice::<String>(
                        &[b"\"".as_slice(), raw, b"\"".as_slice()].concat(),
                    )
                    .unwrap_or_else(|_| String::from_utf8_lossy(raw).into_owned());
                    if let Some(top) = stack.last_mut() {
                        *top = Seg::Key(key);
                    }
                    if let Some(w) = want_key.last_mut() {
                        *w = false;
                    }
                }
                i = j;
            }
            _ => {}
        }
        i += 1;
    }
    let mut out = String::from("$");
    for s in &stack {
        match s {
            Seg::Key(k) => {
                if !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                    out.push('.');
                    out.push_str(k);
                } else {
                    out.push('[');
                    out.push_str(&quote(k));
                    out.push(']');
                }
            }
            Seg::Index(n) => out.push_str(&format!("[{n}]")),
            Seg::Open => {}
        }
    }
    out
}

/// Byte offset of a 1-based line and column (as serde_json reports them).
pub fn offset_of(text: &[u8], line: usize, column: usize) -> usize {
    let mut l = 1;
    let mut start = 0;
    if line > 1 {
        for (i, b) in text.iter().enumerate() {
            if *b == b'\n' {
                l += 1;
                if l == line {
                    start = i + 1;
                    break;
                }
            }
        }
    }
    (start + column.saturating_sub(1)).min(text.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::{AttributeMeta, BodyTemplate, KeyStats, LogMeta, MetricMeta};

    fn ks(count: u64, est: u64, pct: f64) -> KeyStats {
        KeyStats {
            count,
            percentage: pct,
            estimated_cardinality: est,
            ..Default::default()
        }
    }

    fn base() -> Session {
        let mut s = Session::new("v");
        s.data.metrics.push(MetricMeta {
            name: "m".into(),
            sample_count: 10,
            data_point_count: 10,
            active_series: 3,
            label_keys: [("k".to_string(), ks(10, 3, 100.0))].into(),
            services: [("svc".to_string(), 10)].into(),
            ..Default::default()
        });
        s.data.logs.push(LogMeta {
            severity: "INFO".into(),
            severity_number: 9,
            sample_count: 4,
            body_templates: vec![BodyTemplate {
                template: "a <*>".into(),
                count: 4,
                example: "a 1".into(),
            }],
            ..Default::default()
        });
        s.data.attributes.push(AttributeMeta {
            key: "k".into(),
            count: 10,
            estimated_cardinality: 3,
            ..Default::default()
        });
        s
    }

    fn problem(s: &Session) -> Problem {
        check(s).expect_err("should be refused")
    }

    #[test]
    fn a_consistent_session_passes() {
        assert_eq!(check(&base()), Ok(()));
        assert_eq!(check_sketches(&base()), Ok(()));
    }

    #[test]
    fn each_rule_names_its_path() {
        let mut s = base();
        s.data.metrics.push(s.data.metrics[0].clone());
        assert_eq!(problem(&s).path, "$.data.metrics[1].name");

        let mut s = base();
        s.data.metrics[0]
            .label_keys
            .get_mut("k")
            .unwrap()
            .percentage = -50.0;
        let p = problem(&s);
        assert_eq!(p.path, r#"$.data.metrics[0].label_keys["k"].percentage"#);
        assert!(p.reason.contains("-50"), "{p}");
        s.data.metrics[0]
            .label_keys
            .get_mut("k")
            .unwrap()
            .percentage = 1e308;
        assert_eq!(
            problem(&s).path,
            r#"$.data.metrics[0].label_keys["k"].percentage"#
        );

        let mut s = base();
        s.data.metrics[0].label_keys.get_mut("k").unwrap().count = 2;
        let p = problem(&s);
        assert_eq!(
            p.path,
            r#"$.data.metrics[0].label_keys["k"].estimated_cardinality"#
        );
        assert!(
            p.reason.contains("3 distinct values in 2 occurrences"),
            "{p}"
        );

        let mut s = base();
        s.data.metrics[0]
            .label_keys
            .get_mut("k")
            .unwrap()
            .estimated_cardinality = 11;
        assert!(problem(&s).path.ends_with(".estimated_cardinality"));

        let mut s = base();
        s.data.metrics[0].active_series = u64::MAX;
        assert_eq!(problem(&s).path, "$.data.metrics[0].active_series");

        let mut s = base();
        s.stats.metrics_count = 7;
        assert_eq!(problem(&s).path, "$.stats.metrics_count");

        let mut s = base();
        s.data.logs.push(s.data.logs[0].clone());
        assert_eq!(problem(&s).path, "$.data.logs[1]");

        let mut s = base();
        s.data.attributes[0].estimated_cardinality = 5001;
        assert_eq!(
            problem(&s).path,
            "$.data.attributes[0].estimated_cardinality"
        );

        let mut s = base();
        s.data.attributes.push(s.data.attributes[0].clone());
        assert_eq!(problem(&s).path, "$.data.attributes[1].key");

        let mut s = base();
        s.data.metrics[0].explicit_bounds = vec![1.0, f64::INFINITY];
        assert_eq!(problem(&s).path, "$.data.metrics[0].explicit_bounds[1]");

        let mut s = base();
        s.data.metrics[0].series_sketch = Some(SketchData {
            precision: 12,
            encoding: ENCODING.into(),
            data: String::new(),
        });
        assert_eq!(
            problem(&s).path,
            "$.data.metrics[0].series_sketch.precision"
        );
    }

    #[test]
    fn observed_windows_must_be_ordered() {
        let t = |s: i64| chrono::DateTime::from_timestamp(s, 0).unwrap();
        let mut s = base();
        s.observed = Some(Observed::single(Observed::TELEMETRY, t(10), t(20)));
        assert_eq!(check(&s), Ok(()));
        s.observed.as_mut().unwrap().windows[0].end = t(5);
        assert_eq!(problem(&s).path, "$.observed.windows[0]");
    }

    #[test]
    fn sketches_must_match_their_estimates() {
        let mut sk = Sketch::new();
        for i in 0..5u32 {
            sk.insert(&i.to_le_bytes());
        }
        let mut s = base();
        let k = s.data.metrics[0].label_keys.get_mut("k").unwrap();
        k.sketch = Some(std::sync::Arc::new(sk.to_data()));
        k.estimated_cardinality = 5;
        assert_eq!(check_sketches(&s), Ok(()));
        s.data.metrics[0]
            .label_keys
            .get_mut("k")
            .unwrap()
            .estimated_cardinality = 4;
        let p = check_sketches(&s).unwrap_err();
        assert!(p.path.ends_with(r#"["k"].estimated_cardinality"#), "{p}");
    }

    #[test]
    fn a_parse_error_offset_maps_to_a_json_path() {
        let text = br#"{"data": {"metrics": [{"name": "a"}, {"name": "b", "sample_count": -1}]}}"#;
        let at = text.windows(2).position(|w| w == b"-1").unwrap();
        assert_eq!(path_at(text, at), "$.data.metrics[1].sample_count");
        let text = br#"{"a": {"we\"ird key": [1, 2, {"x": tru"#;
        assert_eq!(path_at(text, text.len()), r#"$.a["we\"ird key"][2].x"#);
        assert_eq!(offset_of(b"ab\ncd", 2, 2), 4);
    }
}
