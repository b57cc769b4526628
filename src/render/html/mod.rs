//! `--format html`: one self-contained page for a diff or a session, for a CI artifact or a
//! local file.
//!
//! The page embeds the very JSON documents the `json` formats print (the diff through
//! [`diff_json::doc`], the session through [`show::overview`]), plus the items in the session
//! file's schema without sketch bytes, and renders them with our own script (report.js, no
//! framework). A diff page holds each side's items in one block; a session page draws its
//! tables from [`Rows`] and holds the items in chunks of [`CHUNK_ITEMS`], unpacked one at a
//! time as a reader expands items. Nothing is fetched: the Content-Security-Policy allows only the page's own inline
//! style and script, by their SHA-256 hashes, so even a telemetry name that smuggled markup
//! into the page could not run or load anything. The script renders every name with
//! `textContent`; the embedded JSON is escaped so no string can close its `<script>` element.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use base64::Engine as _;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::diff::{DiffReport, ItemKind};
use crate::render::diff_json;
use crate::render::show::{self, Origin, Overview, Sections};
use crate::session::{AttributeMeta, KeyStatsMap, LogMeta, MetricMeta, Session, SpanMeta};

const CSS: &str = include_str!("report.css");
const JS: &str = include_str!("report.js");

/// Above this many items (metrics, spans, logs and attributes together) on a side, a diff
/// report embeds only the items its changes name: a reader reaches a session's items from the
/// diff through those links alone, and two whole 50,000-metric sessions would not fit the
/// report's 10 MB budget.
pub const FULL_SESSION_ITEMS: usize = 5_000;

/// The items of one session as embedded in a page: the session file's schema, sketch bytes
/// removed (estimates, counts and samples kept).
#[derive(Debug, Serialize)]
pub struct Items<'a> {
    /// True when only the items a diff names are included.
    pub partial: bool,
    pub metrics: Vec<&'a MetricMeta>,
    pub spans: Vec<&'a SpanMeta>,
    pub logs: Vec<&'a LogMeta>,
    pub attributes: Vec<&'a AttributeMeta>,
}

impl Items<'_> {
    fn len(&self) -> usize {
        self.metrics.len() + self.spans.len() + self.logs.len() + self.attributes.len()
    }
}

/// Removes sketch bytes everywhere in a session: a page shows estimates, never sketches.
pub fn strip_sketches(s: &mut Session) {
    s.drop_sketches();
}

/// JSON made safe as the text of a `<script type="application/json">` element: `<`, `>` and
/// `&` (so no `</script>` or `<!--` can appear) and U+2028/U+2029 become `\uXXXX` escapes.
/// All of these occur only inside JSON strings, where the escape means the same character.
pub fn script_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + json.len() / 64);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `'sha256-…'`, the CSP source that allows exactly this inline text.
fn csp_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The Content-Security-Policy of every page: nothing from anywhere, except our own style
/// and script, named by hash.
pub fn content_security_policy() -> String {
    format!(
        "default-src 'none'; script-src {}; style-src {}; img-src 'none'; connect-src 'none'; \
         base-uri 'none'; form-action 'none'",
        csp_hash(JS),
        csp_hash(CSS)
    )
}

/// Above this many bytes of JSON, a block is embedded gzipped and in base64 (the page inflates
/// it with the browser's own `DecompressionStream`): a 50,000-metric session is about 75 MB of
/// JSON, mostly key statistics and value samples, which a reader can all reach by expanding
/// rows, and which would neither fit the 10 MB budget nor parse quickly as page text.
pub const PLAIN_JSON_MAX: usize = 1 << 20;

/// A session page's row table and item chunks are packed from this size: there are many of
/// them, and plain ones just under [`PLAIN_JSON_MAX`] would add up past the page budget.
pub const PLAIN_CHUNK_MAX: usize = 64 << 10;

/// Items per embedded chunk on a session page. The page draws its tables from the compact rows
/// alone and inflates one chunk when an item in it is expanded: a few milliseconds, where
/// parsing all 75 MB of a 50,000-metric session's items took seconds before the page answered.
pub const CHUNK_ITEMS: usize = 500;

fn json_block(out: &mut String, id: &str, value: &impl Serialize) {
    json_block_max(out, id, value, PLAIN_JSON_MAX);
}

fn json_block_max(out: &mut String, id: &str, value: &impl Serialize, plain_max: usize) {
    // Plain structs and maps with string keys always serialize.
    let json = serde_json::to_string(value).unwrap_or_else(|_| "null".into());
    if json.len() <= plain_max {
        let _ = writeln!(
            out,
            "<script type=\"application/json\" id=\"{id}\">{}</script>",
            script_json(&json)
        );
    } else {
        // Base64 has no character that could end the element.
        let _ = writeln!(
            out,
            "<script type=\"application/gzip+base64\" id=\"{id}\">{}</script>",
            base64::engine::general_purpose::STANDARD.encode(gzip(json.as_bytes()))
        );
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 8),
        flate2::Compression::new(6),
    );
    // Writing to a Vec cannot fail.
    let _ = enc.write_all(bytes);
    enc.finish().unwrap_or_default()
}

fn page(title: &str, kind: &str, blocks: impl FnOnce(&mut String)) -> String {
    let mut out = String::with_capacity(1 << 16);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light dark\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"generator\" content=\"otelsnap {version}\">\n\
         <title>{title}</title>\n<style>{CSS}</style>\n</head>\n\
         <body data-report=\"{kind}\">\n\
         <noscript><p>This report is drawn by a script; enable JavaScript to read it. \
         Its data is embedded below as JSON.</p></noscript>\n\
         <div id=\"app\"><p class=\"loading\">Loading the report…</p></div>\n",
        // Our own text (base64 hashes and keywords): nothing in it needs escaping.
        csp = content_security_policy(),
        version = env!("CARGO_PKG_VERSION"),
        title = escape(title),
    );
    blocks(&mut out);
    let _ = writeln!(out, "<script>{JS}</script>\n</body>\n</html>");
    out
}

/// The items of `s` that the diff's changes name (both sides are looked up by the same
/// identities: metric and span names, log severities, attribute keys).
fn named_items<'a>(s: &'a Session, r: &DiffReport) -> Items<'a> {
    let mut names: [BTreeSet<&str>; 4] = Default::default();
    for c in &r.changes {
        let i = ItemKind::ALL
            .iter()
            .position(|k| *k == c.signal_type)
            .unwrap_or(0);
        names[i].insert(c.name.as_str());
    }
    let d = &s.data;
    Items {
        partial: true,
        metrics: d
            .metrics
            .iter()
            .filter(|m| names[0].contains(m.name.as_str()))
            .collect(),
        spans: d
            .spans
            .iter()
            .filter(|x| names[1].contains(x.name.as_str()))
            .collect(),
        logs: d
            .logs
            .iter()
            .filter(|x| names[2].contains(x.severity.as_str()))
            .collect(),
        attributes: d
            .attributes
            .iter()
            .filter(|a| names[3].contains(a.key.as_str()))
            .collect(),
    }
}

fn all_items<'a>(s: &'a Session, sections: Sections, service: Option<&str>) -> Items<'a> {
    let d = &s.data;
    let svc_ok = |m: &crate::session::ServiceCounts| service.is_none_or(|x| m.contains_key(x));
    let mut items = Items {
        partial: false,
        metrics: if sections.metrics {
            d.metrics.iter().filter(|m| svc_ok(&m.services)).collect()
        } else {
            Vec::new()
        },
        spans: if sections.spans {
            d.spans.iter().filter(|x| svc_ok(&x.services)).collect()
        } else {
            Vec::new()
        },
        logs: if sections.logs {
            d.logs.iter().filter(|x| svc_ok(&x.services)).collect()
        } else {
            Vec::new()
        },
        attributes: Vec::new(),
    };
    if sections.attributes {
        // As `show --service` does: the catalog narrowed to keys the service's items carry.
        let keys: Option<BTreeSet<&str>> = service.map(|svc| {
            let mut k = BTreeSet::new();
            for m in d.metrics.iter().filter(|m| m.services.contains_key(svc)) {
                k.extend(
                    m.label_keys
                        .keys()
                        .chain(m.resource_keys.keys())
                        .map(|k| k.as_str()),
                );
            }
            for x in d.spans.iter().filter(|x| x.services.contains_key(svc)) {
                k.extend(
                    x.attribute_keys
                        .keys()
                        .chain(x.resource_keys.keys())
                        .map(|k| k.as_str()),
                );
            }
            for x in d.logs.iter().filter(|x| x.services.contains_key(svc)) {
                k.extend(
                    x.attribute_keys
                        .keys()
                        .chain(x.resource_keys.keys())
                        .map(|k| k.as_str()),
                );
            }
            k
        });
        items.attributes = d
            .attributes
            .iter()
            .filter(|a| keys.as_ref().is_none_or(|k| k.contains(a.key.as_str())))
            .collect();
    }
    items
}

/// One side of a diff as embedded: the `show --format json` overview of the session (header
/// and totals; its top rows are the default ten) and its items.
fn side_blocks(out: &mut String, prefix: &str, s: &Session, origin: &Origin, r: &DiffReport) {
    let overview = show::overview(s, origin, 10, Sections::ALL, None);
    let full = all_items(s, Sections::ALL, None);
    let items = if full.len() > FULL_SESSION_ITEMS {
        named_items(s, r)
    } else {
        full
    };
    json_block(out, &format!("otelsnap-{prefix}-show"), &overview);
    json_block(out, &format!("otelsnap-{prefix}-items"), &items);
}

/// The diff report page. `from` and `to` must have had [`strip_sketches`] applied.
pub fn diff_page(r: &DiffReport, from: (&Session, &Origin), to: (&Session, &Origin)) -> String {
    let title = format!("otelsnap diff: {} → {}", r.from.id, r.to.id);
    page(&title, "diff", |out| {
        json_block(out, "otelsnap-diff", &diff_json::doc(r));
        side_blocks(out, "from", from.0, from.1, r);
        side_blocks(out, "to", to.0, to.1, r);
    })
}

/// The largest estimated cardinality among `keys` (the first key on a tie), as the tables'
/// "top key" column shows it.
fn top_key(keys: &KeyStatsMap) -> Option<(&str, u64, bool)> {
    let mut best: Option<(&str, u64, bool)> = None;
    for (k, ks) in keys.iter() {
        if best.is_none_or(|(_, c, _)| ks.estimated_cardinality > c) {
            best = Some((k.as_str(), ks.estimated_cardinality, ks.approximate));
        }
    }
    best
}

/// The top key of an item's row: key, estimate, approximate.
pub type Top<'a> = (Option<&'a str>, u64, bool);

fn top_of(keys: &KeyStatsMap) -> Top<'_> {
    top_key(keys).map_or((None, 0, false), |(k, c, a)| (Some(k), c, a))
}

fn service_names(m: &crate::session::ServiceCounts) -> Vec<&str> {
    m.keys().map(|k| k.as_str()).collect()
}

/// A metric's row of a session page (see [`Rows::metrics`]).
pub type MetricRow<'a> = (
    &'a str,
    &'a str,
    &'a str,
    u64,
    bool,
    u64,
    usize,
    Top<'a>,
    Vec<&'a str>,
);
/// A span's row (see [`Rows::spans`]).
pub type SpanRow<'a> = (&'a str, i32, &'a str, u64, usize, Top<'a>, Vec<&'a str>);
/// A log severity's row (see [`Rows::logs`]).
pub type LogRow<'a> = (&'a str, i32, u64, usize, Top<'a>, usize, Vec<&'a str>);
/// An attribute's row (see [`Rows::attributes`]).
pub type AttributeRow<'a> = (&'a str, u64, bool, u64, &'a [String], &'a str, &'a [String]);

/// One table row of a session page per item, in the items' order (row `i` is item `i` of its
/// kind, in chunk `i / CHUNK_ITEMS`), holding exactly what the table's columns show, sort
/// and search. Tuples, not objects: a 50,000-row table parses several times faster.
#[derive(Debug, Serialize)]
pub struct Rows<'a> {
    /// name, type, unit, active series, series approximate, data points, label keys,
    /// top label key (key, estimate, approximate), services.
    pub metrics: Vec<MetricRow<'a>>,
    /// name, kind, kind name, spans, attribute keys, top attribute, services.
    pub spans: Vec<SpanRow<'a>>,
    /// severity, number, records, attribute keys, top attribute, templates, services.
    pub logs: Vec<LogRow<'a>>,
    /// key, estimated cardinality, approximate, count, signals, scope, value samples.
    pub attributes: Vec<AttributeRow<'a>>,
    /// Per service: metrics, span names, log severities, and data points, spans and records.
    pub services: BTreeMap<&'a str, [u64; 4]>,
    /// Items per chunk block ([`CHUNK_ITEMS`]).
    pub chunk_items: usize,
}

/// The rows of a session page's tables for `items`.
pub fn rows<'a>(items: &Items<'a>) -> Rows<'a> {
    let mut services: BTreeMap<&str, [u64; 4]> = BTreeMap::new();
    let mut count = |m: &'a crate::session::ServiceCounts, field: usize| {
        for (name, n) in m.iter() {
            let e = services.entry(name.as_str()).or_default();
            e[field] += 1;
            e[3] += *n;
        }
    };
    for m in &items.metrics {
        count(&m.services, 0);
    }
    for x in &items.spans {
        count(&x.services, 1);
    }
    for x in &items.logs {
        count(&x.services, 2);
    }
    Rows {
        metrics: items
            .metrics
            .iter()
            .map(|m| {
                (
                    m.name.as_str(),
                    m.metric_type.as_str(),
                    m.unit.as_str(),
                    m.active_series,
                    m.series_approximate,
                    m.data_point_count,
                    m.label_keys.len(),
                    top_of(&m.label_keys),
                    service_names(&m.services),
                )
            })
            .collect(),
        spans: items
            .spans
            .iter()
            .map(|x| {
                (
                    x.name.as_str(),
                    x.kind,
                    x.kind_name.as_str(),
                    x.sample_count,
                    x.attribute_keys.len(),
                    top_of(&x.attribute_keys),
                    service_names(&x.services),
                )
            })
            .collect(),
        logs: items
            .logs
            .iter()
            .map(|x| {
                (
                    x.severity.as_str(),
                    x.severity_number,
                    x.sample_count,
                    x.attribute_keys.len(),
                    top_of(&x.attribute_keys),
                    x.body_templates.len(),
                    service_names(&x.services),
                )
            })
            .collect(),
        attributes: items
            .attributes
            .iter()
            .map(|a| {
                (
                    a.key.as_str(),
                    a.estimated_cardinality,
                    a.approximate,
                    a.count,
                    &a.signal_types[..],
                    a.scope.as_str(),
                    &a.value_samples[..],
                )
            })
            .collect(),
        services,
        chunk_items: CHUNK_ITEMS,
    }
}

fn chunk_blocks<T: Serialize>(out: &mut String, kind: &str, items: &[T]) {
    for (n, chunk) in items.chunks(CHUNK_ITEMS).enumerate() {
        json_block_max(
            out,
            &format!("otelsnap-items-{kind}-{n}"),
            &chunk,
            PLAIN_CHUNK_MAX,
        );
    }
}

/// The session page: `overview` is exactly what `show --format json` prints for the same
/// flags; the items follow the same `--signal` and `--service` selection. `s` must have had
/// [`strip_sketches`] applied.
pub fn session_page(
    s: &Session,
    overview: &Overview<'_>,
    sections: Sections,
    service: Option<&str>,
) -> String {
    let title = format!("otelsnap session: {}", s.id);
    let items = all_items(s, sections, service);
    page(&title, "session", |out| {
        json_block(out, "otelsnap-show", overview);
        json_block_max(out, "otelsnap-rows", &rows(&items), PLAIN_CHUNK_MAX);
        chunk_blocks(out, "metrics", &items.metrics);
        chunk_blocks(out, "spans", &items.spans);
        chunk_blocks(out, "logs", &items.logs);
        chunk_blocks(out, "attributes", &items.attributes);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_close_its_element_and_stays_the_same_json() {
        let v =
            serde_json::json!({"name": "</script><img src=x onerror=alert(1)>&\u{2028}\u{2029}"});
        let text = serde_json::to_string(&v).unwrap();
        let safe = script_json(&text);
        for bad in ['<', '>', '&', '\u{2028}', '\u{2029}'] {
            assert!(!safe.contains(bad), "{bad:?} left in {safe}");
        }
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn large_blocks_are_gzipped_base64_of_the_same_json() {
        use std::io::Read as _;
        let big: Vec<String> = (0..120_000).map(|i| format!("</script>-{i}")).collect();
        let mut out = String::new();
        json_block(&mut out, "x", &big);
        let open = "<script type=\"application/gzip+base64\" id=\"x\">";
        assert!(out.starts_with(open), "{}", &out[..80]);
        let b64 = &out[open.len()..out.len() - "</script>\n".len()];
        assert!(!b64.contains('<'));
        let gz = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        let mut json = String::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_string(&mut json)
            .unwrap();
        assert_eq!(json, serde_json::to_string(&big).unwrap());
        let mut small = String::new();
        json_block(&mut small, "y", &["a"]);
        assert_eq!(
            small,
            "<script type=\"application/json\" id=\"y\">[\"a\"]</script>\n"
        );
    }

    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(
            escape("<a href=\"x\" title='y'>&</a>"),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
        );
    }

    #[test]
    fn csp_names_exactly_our_inline_script_and_style() {
        let csp = content_security_policy();
        assert!(csp.starts_with("default-src 'none';"));
        assert!(!csp.contains("unsafe"));
        // Known answer for the hash form: SHA-256 of "" in base64.
        assert_eq!(
            csp_hash(""),
            "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
        );
        assert!(csp.contains(&csp_hash(JS)) && csp.contains(&csp_hash(CSS)));
    }
}
