//! Names that carry identifiers: span names built from raw paths (`GET /orders/81723`) and
//! metric names with an id in them (`cache.hits.tenant_4711`). Names are grouped by their
//! pattern (`GET /orders/<id>`, `cache.hits.tenant_<n>`), as log bodies are grouped into
//! templates, and each pattern is judged like a key: its variable parts are the values.
//!
//! Patterns are derived from the item names alone, so a session of any age has them and a
//! merge recomputes them from the merged names.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::evidence::{classify, is_hex_id, is_random_token, is_uuid};
use crate::session::evidence::{KeyEvidence, Shape, ShapeSample};
use crate::session::{Session, Signal};
use crate::sketch::hash_value;

/// Examples kept per pattern.
pub const MAX_EXAMPLES: usize = 3;

/// Names of one signal sharing one pattern, with the evidence about the variable parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamePattern {
    /// `metrics` or `traces`.
    pub signal: Signal,
    /// The name with its variable parts replaced by `<id>` (a whole segment) or `<n>` (a
    /// number inside a segment).
    pub pattern: String,
    /// Distinct names that match.
    pub names: u64,
    /// The first few matching names, in name order.
    pub examples: Vec<String>,
    /// The pattern's variable part judged as a key.
    pub evidence: KeyEvidence,
}

fn coarse_sep(c: char) -> bool {
    matches!(c, ' ' | '/' | '?' | '&' | '=' | ',' | ';' | '\t')
}

fn fine_sep(c: char) -> bool {
    matches!(c, '.' | '_' | '-' | ':')
}

fn whole_segment_id(seg: &str) -> bool {
    (seg.len() >= 2 && seg.bytes().all(|b| b.is_ascii_digit()))
        || matches!(
            classify(seg),
            Shape::Uuid | Shape::Ip | Shape::Email | Shape::Timestamp | Shape::Hex
        )
}

fn part_id(p: &str) -> Option<&'static str> {
    if p.len() >= 2 && p.bytes().all(|b| b.is_ascii_digit()) {
        Some("<n>")
    } else if is_uuid(p) || is_hex_id(p) || is_random_token(p) {
        Some("<id>")
    } else {
        None
    }
}

/// The pattern of `name` and its variable parts (joined by `|`), or None when nothing in it
/// varies.
pub fn pattern_of(name: &str) -> Option<(String, String)> {
    // Every identifier shape holds a digit, an `@` (e-mail) or a `:` (IPv6); most names hold
    // none, and skip the splitting (a diff looks at every name of both sessions). Missed: a
    // UUID or hex id of letters only (about 1 in 10^13 for a random UUID).
    if !name
        .bytes()
        .any(|b| b.is_ascii_digit() || b == b'@' || b == b':')
    {
        return None;
    }
    let mut pat = String::with_capacity(name.len());
    let mut vars: Vec<&str> = Vec::new();
    for (seg, sep) in split_keep(name, coarse_sep) {
        if !seg.is_empty() && whole_segment_id(seg) {
            pat.push_str("<id>");
            vars.push(seg);
        } else {
            for (part, fsep) in split_keep(seg, fine_sep) {
                match part_id(part) {
                    Some(tag) => {
                        pat.push_str(tag);
                        vars.push(part);
                    }
                    None => pat.push_str(part),
                }
                if let Some(c) = fsep {
                    pat.push(c);
                }
            }
        }
        if let Some(c) = sep {
            pat.push(c);
        }
    }
    (!vars.is_empty()).then(|| (pat, vars.join("|")))
}

/// Splits `s` at separators, yielding each piece with the separator that ended it.
fn split_keep(s: &str, sep: fn(char) -> bool) -> Vec<(&str, Option<char>)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in s.char_indices() {
        if sep(c) {
            out.push((&s[start..i], Some(c)));
            start = i + c.len_utf8();
        }
    }
    out.push((&s[start..], None));
    out
}

/// The class of a name's variable part: numbers inside a name are identifiers whatever
/// their length (a name is meant to be constant).
fn var_class(v: &str) -> Shape {
    if v.split('|').all(|p| p.bytes().all(|b| b.is_ascii_digit())) {
        Shape::LongNumber
    } else {
        let id = v.split('|').map(classify).find(|c| c.is_id_like());
        id.unwrap_or_else(|| classify(v))
    }
}

/// The name patterns of a session with at least two names each, metrics then spans, by
/// pattern. Units are the series (metrics) or spans that carried the names.
pub fn name_patterns(s: &Session) -> Vec<NamePattern> {
    name_patterns_where(s, |_| true)
}

/// [`name_patterns`] over the metrics and spans whose services `keep` accepts (`show
/// --service`).
pub fn name_patterns_where(
    s: &Session,
    keep: impl Fn(&crate::session::ServiceCounts) -> bool,
) -> Vec<NamePattern> {
    let mut out = Vec::new();
    let metrics = s
        .data
        .metrics
        .iter()
        .filter(|m| keep(&m.services))
        .map(|m| (m.name.as_str(), m.active_series.max(1)));
    collect(Signal::Metrics, metrics, None, 2, &mut out);
    let spans = s
        .data
        .spans
        .iter()
        .filter(|x| keep(&x.services))
        .map(|x| (x.name.as_str(), x.sample_count.max(1)));
    collect(Signal::Traces, spans, None, 2, &mut out);
    out
}

/// The patterns in `wanted` among the metric (or span) names of `s`, by pattern, each with
/// its distinct names (one is enough to be listed) and its evidence: what a diff needs of one
/// side for the patterns its changes share, in one pass over the names.
pub fn patterns_among(
    s: &Session,
    signal: Signal,
    wanted: &std::collections::BTreeSet<String>,
) -> BTreeMap<String, NamePattern> {
    let mut out = Vec::new();
    match signal {
        Signal::Metrics => {
            let items = s
                .data
                .metrics
                .iter()
                .map(|m| (m.name.as_str(), m.active_series.max(1)));
            collect(signal, items, Some(wanted), 1, &mut out);
        }
        _ => {
            let items = s
                .data
                .spans
                .iter()
                .map(|x| (x.name.as_str(), x.sample_count.max(1)));
            collect(signal, items, Some(wanted), 1, &mut out);
        }
    }
    out.into_iter().map(|p| (p.pattern.clone(), p)).collect()
}

fn collect<'a>(
    signal: Signal,
    items: impl Iterator<Item = (&'a str, u64)>,
    wanted: Option<&std::collections::BTreeSet<String>>,
    min_names: usize,
    out: &mut Vec<NamePattern>,
) {
    struct G<'a> {
        names: BTreeMap<&'a str, ()>,
        units: u64,
        sample: ShapeSample,
    }
    let mut groups: BTreeMap<String, G<'a>> = BTreeMap::new();
    for (name, units) in items {
        let Some((pat, vars)) = pattern_of(name) else {
            continue;
        };
        if wanted.is_some_and(|w| !w.contains(&pat)) {
            continue;
        }
        let g = groups.entry(pat).or_insert_with(|| G {
            names: BTreeMap::new(),
            units: 0,
            sample: ShapeSample::default(),
        });
        if g.names.insert(name, ()).is_none() {
            let h = hash_value(vars.as_bytes());
            if g.sample.selects(h) && !g.sample.contains(h) {
                g.sample.insert(h, var_class(&vars) as u8);
            }
        }
        g.units += units;
    }
    for (pattern, g) in groups {
        if g.names.len() < min_names {
            continue;
        }
        let n = g.names.len() as u64;
        out.push(NamePattern {
            signal,
            pattern,
            names: n,
            examples: g
                .names
                .keys()
                .take(MAX_EXAMPLES)
                .map(|s| s.to_string())
                .collect(),
            evidence: KeyEvidence::new(&g.sample, g.units, n, Vec::new()),
        });
    }
}

/// Whether `name` has pattern `pattern`.
pub fn matches(name: &str, pattern: &str) -> bool {
    pattern_of(name).is_some_and(|(p, _)| p == pattern)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::{MetricMeta, SpanMeta, Verdict};

    #[test]
    fn patterns_replace_ids_in_paths_and_names() {
        let p = |n: &str| pattern_of(n).map(|x| x.0);
        assert_eq!(p("GET /orders/81723").as_deref(), Some("GET /orders/<id>"));
        assert_eq!(
            p("GET /users/6f1c2a9e-3b4d-4c8e-9f0a-1b2c3d4e5f60/cart").as_deref(),
            Some("GET /users/<id>/cart")
        );
        assert_eq!(
            p("cache.hits.tenant_4711").as_deref(),
            Some("cache.hits.tenant_<n>")
        );
        assert_eq!(p("job-9f8e7d6c5b4a-run").as_deref(), Some("job-<id>-run"));
        assert_eq!(p("GET /orders/{id}"), None);
        assert_eq!(p("http.server.request.duration"), None);
        assert_eq!(p("worker-3"), None);
        assert!(matches("GET /orders/12", "GET /orders/<id>"));
        // Shapes without a digit still pass the quick digit/@/: test.
        assert_eq!(
            p("GET /users/bob@example.com/cart").as_deref(),
            Some("GET /users/<id>/cart")
        );
        assert_eq!(p("POST /cart/checkout"), None);
    }

    #[test]
    fn span_names_with_ids_make_one_unbounded_pattern() {
        let mut s = Session::new("t");
        for i in 0..48 {
            s.data.spans.push(SpanMeta {
                name: format!("GET /orders/{}", 81_000 + i * 7),
                sample_count: 1,
                ..Default::default()
            });
        }
        s.data.spans.push(SpanMeta {
            name: "GET /health".into(),
            sample_count: 40,
            ..Default::default()
        });
        let ps = name_patterns(&s);
        assert_eq!(ps.len(), 1);
        let p = &ps[0];
        assert_eq!(
            (p.signal, p.pattern.as_str(), p.names),
            (Signal::Traces, "GET /orders/<id>", 48)
        );
        assert_eq!(
            p.examples,
            [
                "GET /orders/81000",
                "GET /orders/81007",
                "GET /orders/81014"
            ]
        );
        assert_eq!(
            p.evidence.verdict,
            Verdict::Unbounded,
            "{}",
            p.evidence.reason
        );
    }

    #[test]
    fn metric_names_with_tenant_numbers_are_unbounded_and_few_are_unknown() {
        let mut s = Session::new("t");
        for i in 0..30 {
            s.data.metrics.push(MetricMeta {
                name: format!("cache.hits.tenant_{}", 4700 + i),
                active_series: 1,
                ..Default::default()
            });
        }
        for i in 0..3 {
            s.data.metrics.push(MetricMeta {
                name: format!("queue.depth.shard_{}", 10 + i),
                active_series: 1,
                ..Default::default()
            });
        }
        let ps = name_patterns(&s);
        assert_eq!(ps.len(), 2);
        let by: BTreeMap<&str, &NamePattern> = ps.iter().map(|p| (p.pattern.as_str(), p)).collect();
        assert_eq!(
            by["cache.hits.tenant_<n>"].evidence.verdict,
            Verdict::Unbounded
        );
        assert_eq!(
            by["queue.depth.shard_<n>"].evidence.verdict,
            Verdict::Unknown
        );
    }
}
