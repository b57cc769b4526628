//! `show` rendering: the session overview (header and top items per section) or one item in
//! full, as a table for people or JSON for scripts. Both formats show the same selection.
//!
//! Overview JSON: `{"session": {...}, "metrics": {"total", "shown": [...]}, "spans": ...,
//! "logs": ..., "attributes": ...}`; a section filtered out by `--signal` is absent. Drill-down
//! JSON: `{"session": {...}, "metric"|"spans"|"log"|"attribute": <the item as in the session
//! file, without sketch bytes>}`.
//!
//! Here: what is shown (the sections, the header, the overview's selection and rows); `text`
//! lays it out as fitted tables, `json` writes one drill-down item.

mod json;
mod text;

pub use json::item_json;
pub use text::{item_table, overview_table};

use std::collections::BTreeSet;
use std::fmt::Write as _;

use comfy_table::Cell;
use serde::Serialize;

use crate::render::fit::{self, Column, Give};
use crate::render::human;
use crate::render::list::{TableStyle, new_table, num};
use crate::session::{
    AttributeMeta, BodyTemplate, CaptureInfo, KeyStats, KeyStatsMap, LogMeta, MetricMeta, Producer,
    ServiceCounts, Session, SpanMeta, format_time,
};

/// Sections of the overview, chosen with `--signal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sections {
    pub metrics: bool,
    pub spans: bool,
    pub logs: bool,
    pub attributes: bool,
}

impl Sections {
    /// Every section.
    pub const ALL: Sections = Sections {
        metrics: true,
        spans: true,
        logs: true,
        attributes: true,
    };

    /// Parses `--signal` values (`metrics`, `traces`/`spans`, `logs`, `attributes`); empty is all.
    pub fn parse(list: &[String]) -> Result<Sections, String> {
        if list.iter().all(|s| s.trim().is_empty()) {
            return Ok(Sections::ALL);
        }
        let mut s = Sections {
            metrics: false,
            spans: false,
            logs: false,
            attributes: false,
        };
        for item in list {
            match item.trim().to_ascii_lowercase().as_str() {
                "" => {}
                "metrics" | "metric" => s.metrics = true,
                "traces" | "trace" | "spans" | "span" => s.spans = true,
                "logs" | "log" => s.logs = true,
                "attributes" | "attribute" | "attrs" => s.attributes = true,
                other => {
                    return Err(format!(
                        "unknown signal '{other}' in --signal: use metrics, traces, logs or attributes (comma-separated)"
                    ));
                }
            }
        }
        Ok(s)
    }
}

/// Where the session came from, for the header.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// The file's path, when the session was read from one.
    pub path: Option<String>,
    /// The file's size on disk.
    pub size: Option<u64>,
}

/// The session header, as JSON.
#[derive(Debug, Clone, Serialize)]
pub struct HeaderView<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub created: String,
    pub capture: Option<&'a CaptureInfo>,
    pub window_seconds: Option<f64>,
    pub producer: Option<&'a Producer>,
    pub merged_from: &'a [String],
    pub signals: Vec<String>,
    pub services: &'a [String],
    pub metrics_count: u64,
    pub spans_count: u64,
    pub logs_count: u64,
    pub attributes_count: u64,
    pub path: Option<String>,
    pub size_bytes: Option<u64>,
    pub notes: &'a [String],
}

impl<'a> HeaderView<'a> {
    /// The header of `s`.
    pub fn of(s: &'a Session, origin: &Origin) -> HeaderView<'a> {
        HeaderView {
            name: &s.id,
            description: &s.description,
            created: format_time(&s.created),
            capture: s.capture.as_ref(),
            window_seconds: s.capture.as_ref().and_then(CaptureInfo::window_seconds),
            producer: s.producer.as_ref(),
            merged_from: &s.merged_from,
            signals: s.signals.iter().map(|x| x.to_string()).collect(),
            services: &s.stats.services,
            metrics_count: s.stats.metrics_count,
            spans_count: s.stats.spans_count,
            logs_count: s.stats.logs_count,
            attributes_count: s.stats.attributes_count,
            path: origin.path.clone(),
            size_bytes: origin.size,
            notes: &s.notes,
        }
    }
}

/// The key with the highest estimated cardinality on an item.
#[derive(Debug, Clone, Serialize)]
pub struct TopKey {
    pub key: String,
    pub estimated_cardinality: u64,
    pub approximate: bool,
}

fn top_key<'a>(maps: impl IntoIterator<Item = &'a KeyStatsMap>) -> Option<TopKey> {
    let mut best: Option<(&crate::session::Key, &KeyStats)> = None;
    for m in maps {
        for (k, ks) in m {
            // Ties go to the first key by name: maps iterate in order and only `>` replaces.
            if best.is_none_or(|(_, b)| ks.estimated_cardinality > b.estimated_cardinality) {
                best = Some((k, ks));
            }
        }
    }
    best.map(|(k, ks)| TopKey {
        key: k.to_string(),
        estimated_cardinality: ks.estimated_cardinality,
        approximate: ks.approximate,
    })
}

/// A metric row of the overview.
#[derive(Debug, Clone, Serialize)]
pub struct MetricRow<'a> {
    pub name: &'a str,
    #[serde(rename = "type")]
    pub metric_type: &'static str,
    pub unit: &'a str,
    pub active_series: u64,
    pub series_approximate: bool,
    /// (+) Series a Prometheus-compatible backend stores for it (see `session::cost`).
    pub backend_series: u64,
    pub data_point_count: u64,
    pub label_keys: usize,
    pub top_key: Option<TopKey>,
    pub services: Vec<&'a str>,
}

/// A span row of the overview.
#[derive(Debug, Clone, Serialize)]
pub struct SpanRow<'a> {
    pub name: &'a str,
    pub kind_name: &'a str,
    pub sample_count: u64,
    pub attribute_keys: usize,
    pub top_attribute: Option<TopKey>,
    pub services: Vec<&'a str>,
}

/// A log severity row of the overview.
#[derive(Debug, Clone, Serialize)]
pub struct LogRow<'a> {
    pub severity: &'a str,
    pub severity_number: i32,
    pub sample_count: u64,
    pub attribute_keys: usize,
    pub top_attribute: Option<TopKey>,
    pub templates_total: usize,
    pub top_templates: &'a [BodyTemplate],
    pub services: Vec<&'a str>,
}

/// An attribute row of the overview.
#[derive(Debug, Clone, Serialize)]
pub struct AttributeRow<'a> {
    pub key: &'a str,
    pub estimated_cardinality: u64,
    pub approximate: bool,
    pub count: u64,
    pub signal_types: &'a [String],
    pub scope: &'a str,
    pub value_samples: &'a [String],
}

/// One overview section: how many items matched, and the top ones.
#[derive(Debug, Clone, Serialize)]
pub struct Section<T> {
    pub total: usize,
    pub shown: Vec<T>,
}

/// The whole overview.
#[derive(Debug, Clone, Serialize)]
pub struct Overview<'a> {
    pub session: HeaderView<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<&'a str>,
    /// (+) Unbounded keys on metrics, overflowed and near-limit metrics, then unbounded keys
    /// elsewhere; absent when there are none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suspects: Option<Section<super::suspects::Suspect>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Section<MetricRow<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spans: Option<Section<SpanRow<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logs: Option<Section<LogRow<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Section<AttributeRow<'a>>>,
}

const TOP_TEMPLATES: usize = 3;

fn services_of(m: &ServiceCounts) -> Vec<&str> {
    m.keys().map(|k| k.as_str()).collect()
}

fn has_service(m: &ServiceCounts, service: Option<&str>) -> bool {
    service.is_none_or(|s| m.contains_key(s))
}

/// Builds the overview: filters by service, ranks, keeps the top `top` per section.
pub fn overview<'a>(
    s: &'a Session,
    origin: &Origin,
    top: usize,
    sections: Sections,
    service: Option<&'a str>,
) -> Overview<'a> {
    let d = &s.data;
    // With --service, the attribute catalog is narrowed to keys the service's items carry.
    let mut service_keys: BTreeSet<&str> = BTreeSet::new();
    let metrics: Vec<&MetricMeta> = d
        .metrics
        .iter()
        .filter(|m| has_service(&m.services, service))
        .collect();
    let spans: Vec<&SpanMeta> = d
        .spans
        .iter()
        .filter(|x| has_service(&x.services, service))
        .collect();
    let logs: Vec<&LogMeta> = d
        .logs
        .iter()
        .filter(|x| has_service(&x.services, service))
        .collect();
    if service.is_some() {
        for m in &metrics {
            service_keys.extend(
                m.label_keys
                    .keys()
                    .chain(m.resource_keys.keys())
                    .map(|k| k.as_str()),
            );
        }
        for x in &spans {
            service_keys.extend(
                x.attribute_keys
                    .keys()
                    .chain(x.resource_keys.keys())
                    .map(|k| k.as_str()),
            );
        }
        for x in &logs {
            service_keys.extend(
                x.attribute_keys
                    .keys()
                    .chain(x.resource_keys.keys())
                    .map(|k| k.as_str()),
            );
        }
    }

    let metric_section = sections.metrics.then(|| {
        let mut v = metrics.clone();
        v.sort_by(|a, b| {
            b.active_series
                .cmp(&a.active_series)
                .then_with(|| a.name.cmp(&b.name))
        });
        Section {
            total: v.len(),
            shown: v
                .into_iter()
                .take(top)
                .map(|m| MetricRow {
                    name: &m.name,
                    metric_type: m.metric_type.as_str(),
                    unit: &m.unit,
                    active_series: m.active_series,
                    series_approximate: m.series_approximate,
                    backend_series: crate::session::cost::backend_series(m),
                    data_point_count: m.data_point_count,
                    label_keys: m.label_keys.len(),
                    top_key: top_key([&m.label_keys]),
                    services: services_of(&m.services),
                })
                .collect(),
        }
    });
    let span_section = sections.spans.then(|| {
        let mut v: Vec<(&SpanMeta, Option<TopKey>)> = spans
            .iter()
            .map(|x| (*x, top_key([&x.attribute_keys])))
            .collect();
        let card = |t: &Option<TopKey>| t.as_ref().map_or(0, |k| k.estimated_cardinality);
        v.sort_by(|a, b| {
            card(&b.1)
                .cmp(&card(&a.1))
                .then_with(|| a.0.name.cmp(&b.0.name))
                .then_with(|| a.0.kind.cmp(&b.0.kind))
        });
        Section {
            total: v.len(),
            shown: v
                .into_iter()
                .take(top)
                .map(|(x, t)| SpanRow {
                    name: &x.name,
                    kind_name: &x.kind_name,
                    sample_count: x.sample_count,
                    attribute_keys: x.attribute_keys.len(),
                    top_attribute: t,
                    services: services_of(&x.services),
                })
                .collect(),
        }
    });
    let log_section = sections.logs.then(|| {
        // Logs are few (one per severity): shown by severity, most severe first.
        let mut v = logs.clone();
        v.sort_by(|a, b| {
            b.severity_number
                .cmp(&a.severity_number)
                .then_with(|| a.severity.cmp(&b.severity))
        });
        Section {
            total: v.len(),
            shown: v
                .into_iter()
                .take(top)
                .map(|x| LogRow {
                    severity: &x.severity,
                    severity_number: x.severity_number,
                    sample_count: x.sample_count,
                    attribute_keys: x.attribute_keys.len(),
                    top_attribute: top_key([&x.attribute_keys]),
                    templates_total: x.body_templates.len(),
                    top_templates: &x.body_templates[..x.body_templates.len().min(TOP_TEMPLATES)],
                    services: services_of(&x.services),
                })
                .collect(),
        }
    });
    let attribute_section = sections.attributes.then(|| {
        let mut v: Vec<&AttributeMeta> = d
            .attributes
            .iter()
            .filter(|a| service.is_none() || service_keys.contains(a.key.as_str()))
            .collect();
        v.sort_by(|a, b| {
            b.estimated_cardinality
                .cmp(&a.estimated_cardinality)
                .then_with(|| a.key.cmp(&b.key))
        });
        Section {
            total: v.len(),
            shown: v
                .into_iter()
                .take(top)
                .map(|a| AttributeRow {
                    key: &a.key,
                    estimated_cardinality: a.estimated_cardinality,
                    approximate: a.approximate,
                    count: a.count,
                    signal_types: &a.signal_types,
                    scope: &a.scope,
                    value_samples: &a.value_samples,
                })
                .collect(),
        }
    });
    let suspects = super::suspects::suspects(s, |svc| has_service(svc, service));
    let suspects = (!suspects.is_empty()).then(|| Section {
        total: suspects.len(),
        shown: suspects.into_iter().take(top).collect(),
    });
    Overview {
        session: HeaderView::of(s, origin),
        service,
        suspects,
        metrics: metric_section,
        spans: span_section,
        logs: log_section,
        attributes: attribute_section,
    }
}

/// An estimate as shown in tables: `≈` marks one without a mergeable sketch behind it.
pub fn card(n: u64, approximate: bool) -> String {
    if approximate {
        format!("≈{}", human::with_commas(n))
    } else {
        human::with_commas(n)
    }
}

/// One item selected with a drill-down flag.
#[derive(Debug, Clone)]
pub enum Item<'a> {
    Metric(&'a MetricMeta),
    /// All spans of that name (one per kind).
    Spans(Vec<&'a SpanMeta>),
    Log(&'a LogMeta),
    Attribute(&'a AttributeMeta),
}

/// Up to five names close to `query`: substring matches first, then names holding every
/// word of the query (`http.server.duration` finds `http.server.request.duration`), then small
/// edit distances.
pub fn close_names<'a>(query: &str, candidates: impl Iterator<Item = &'a str>) -> Vec<String> {
    let q = query.to_lowercase();
    let words = |s: &str| -> Vec<String> {
        s.split(['.', '_', '-', '/', ' ', ':'])
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect()
    };
    let q_words = words(&q);
    let mut scored: Vec<(usize, &str)> = Vec::new();
    for c in candidates {
        let cl = c.to_lowercase();
        let score = if cl.contains(&q) || q.contains(&cl) {
            0
        } else if !q_words.is_empty() && {
            let c_words = words(&cl);
            q_words.iter().all(|w| c_words.contains(w))
        } {
            1
        } else {
            let d = strsim::levenshtein(&q, &cl);
            if d > (q.chars().count() / 3).max(2) {
                continue;
            }
            1 + d
        };
        scored.push((score, c));
    }
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored
        .into_iter()
        .take(5)
        .map(|(_, c)| c.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_names_prefers_substrings_then_small_edits() {
        let names = [
            "http.server.duration",
            "http.client.duration",
            "db.calls",
            "queue.depth",
        ];
        assert_eq!(
            close_names("server.duration", names.iter().copied()),
            vec!["http.server.duration"]
        );
        assert_eq!(
            close_names("db.cals", names.iter().copied()),
            vec!["db.calls"]
        );
        assert!(close_names("zzzzzz", names.iter().copied()).is_empty());
        assert_eq!(
            close_names("http.duration", names.iter().copied()),
            vec!["http.client.duration", "http.server.duration"]
        );
    }

    #[test]
    fn sections_parse() {
        assert_eq!(Sections::parse(&[]).unwrap(), Sections::ALL);
        let s = Sections::parse(&["spans".into(), "attributes".into()]).unwrap();
        assert!(s.spans && s.attributes && !s.metrics && !s.logs);
        assert!(
            Sections::parse(&["bogus".into()])
                .unwrap_err()
                .contains("bogus")
        );
    }

    #[test]
    fn overview_ranks_by_series_and_respects_top() {
        let s = otelsnap_testkit::synth::session("ov", 40, 3);
        let o = overview(&s, &Origin::default(), 5, Sections::ALL, None);
        let m = o.metrics.unwrap();
        assert_eq!(m.total, 40);
        assert_eq!(m.shown.len(), 5);
        let max = s
            .data
            .metrics
            .iter()
            .map(|m| m.active_series)
            .max()
            .unwrap();
        assert_eq!(m.shown[0].active_series, max);
        assert!(
            m.shown
                .windows(2)
                .all(|w| w[0].active_series >= w[1].active_series)
        );
        let a = o.attributes.unwrap();
        assert!(
            a.shown
                .windows(2)
                .all(|w| w[0].estimated_cardinality >= w[1].estimated_cardinality)
        );
    }
}
