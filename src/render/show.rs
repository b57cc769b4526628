//! `show` rendering: the session overview (header and top items per section) or one item in
//! full, as a table for people or JSON for scripts. Both formats show the same selection.
//!
//! Overview JSON: `{"session": {...}, "metrics": {"total", "shown": [...]}, "spans": ...,
//! "logs": ..., "attributes": ...}`; a section filtered out by `--signal` is absent. Drill-down
//! JSON: `{"session": {...}, "metric"|"spans"|"log"|"attribute": <the item as in the session
//! file, without sketch bytes>}`.

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
    let mut best: Option<(&String, &KeyStats)> = None;
    for m in maps {
        for (k, ks) in m {
            // Ties go to the first key by name: maps iterate in order and only `>` replaces.
            if best.is_none_or(|(_, b)| ks.estimated_cardinality > b.estimated_cardinality) {
                best = Some((k, ks));
            }
        }
    }
    best.map(|(k, ks)| TopKey {
        key: k.clone(),
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
    m.keys().map(String::as_str).collect()
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
                    .map(String::as_str),
            );
        }
        for x in &spans {
            service_keys.extend(
                x.attribute_keys
                    .keys()
                    .chain(x.resource_keys.keys())
                    .map(String::as_str),
            );
        }
        for x in &logs {
            service_keys.extend(
                x.attribute_keys
                    .keys()
                    .chain(x.resource_keys.keys())
                    .map(String::as_str),
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

fn top_key_cell(t: &Option<TopKey>) -> String {
    t.as_ref()
        .map(|t| {
            format!(
                "{} ({})",
                t.key,
                card(t.estimated_cardinality, t.approximate)
            )
        })
        .unwrap_or_default()
}

fn join_limited(items: &[&str], shown: usize) -> String {
    let mut s = items
        .iter()
        .take(shown)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > shown {
        let _ = write!(s, " +{} more", items.len() - shown);
    }
    s
}

fn header_text(h: &HeaderView<'_>, out: &mut String) {
    let mut line = |k: &str, v: String| {
        label_line(out, k, &v, 13);
    };
    line("Session", h.name.to_string());
    line("Description", h.description.to_string());
    line("Created", h.created.clone());
    if let Some(c) = h.capture {
        let window = h
            .window_seconds
            .map(human::duration)
            .unwrap_or_else(|| "0s".into());
        line(
            "Captured",
            format!(
                "{} → {} ({window})",
                format_time(&c.started),
                format_time(&c.ended)
            ),
        );
        line("Sources", c.sources.join(", "));
        line(
            "Requests",
            format!(
                "{} accepted, {} rejected, {} items dropped",
                human::with_commas(c.requests),
                human::with_commas(c.rejected),
                human::with_commas(c.dropped)
            ),
        );
    }
    if let Some(p) = h.producer {
        line("Producer", format!("{} {}", p.name, p.version));
    }
    line("Merged from", h.merged_from.join(", "));
    line("Signals", h.signals.join(", "));
    let services: Vec<&str> = h.services.iter().map(String::as_str).collect();
    if !services.is_empty() {
        line(
            "Services",
            format!("{} ({})", join_limited(&services, 10), services.len()),
        );
    }
    line(
        "Counts",
        format!(
            "{} metrics, {} span names, {} log severities, {} attributes",
            human::with_commas(h.metrics_count),
            human::with_commas(h.spans_count),
            human::with_commas(h.logs_count),
            human::with_commas(h.attributes_count)
        ),
    );
    if let Some(size) = h.size_bytes {
        let path = h
            .path
            .as_deref()
            .map(|p| format!(" ({p})"))
            .unwrap_or_default();
        line("Size", format!("{}{path}", human::human_bytes(size)));
    }
    for (i, n) in h.notes.iter().enumerate() {
        line(if i == 0 { "Notes" } else { "" }, n.clone());
    }
}

/// `Label        value`: the value escaped, and wrapped between words under itself when the
/// output is fitted to a width.
fn label_line(out: &mut String, label: &str, value: &str, indent: usize) {
    let v = super::escape::term(value);
    if v.is_empty() {
        return;
    }
    let lines = match fit::width() {
        Some(w) => fit::wrap(&v, w.saturating_sub(indent).max(fit::NAME_MIN)),
        None => vec![v.into_owned()],
    };
    for (i, l) in lines.iter().enumerate() {
        let label = if i == 0 { label } else { "" };
        let _ = writeln!(out, "{label:<indent$}{l}");
    }
}

/// Telemetry text made safe for a terminal, as a cell's text.
fn esc(text: impl std::fmt::Display) -> String {
    super::escape::term(&text.to_string()).into_owned()
}

/// A table of `columns` whose cells are already escaped: natural widths when output is not
/// fitted, else fitted to [`fit::width`] by [`fit::fit_columns`] (columns dropped by rank,
/// names shortened in the middle, text wrapped between words).
fn fitted_table(style: TableStyle, columns: &[Column], mut rows: Vec<Vec<String>>) -> String {
    let width = fit::width();
    let keep = match width {
        Some(w) => fit::fit_columns(columns, &mut rows, w),
        None => vec![true; columns.len()],
    };
    let header: Vec<&str> = columns
        .iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(c, _)| c.header)
        .collect();
    let mut t = new_table(style, &header);
    if width.is_some() {
        // Cells are laid out already: the table must not break them again.
        t.set_content_arrangement(comfy_table::ContentArrangement::Disabled);
    }
    for row in rows {
        t.add_row(
            row.into_iter()
                .zip(columns.iter().zip(&keep))
                .filter(|(_, (_, k))| **k)
                .map(|(text, (c, _))| if c.right { num(text) } else { Cell::new(text) })
                .collect::<Vec<_>>(),
        );
    }
    t.to_string()
}

/// The overview's suspect keys: what is suspect and why stay at any width.
const SUSPECT_COLUMNS: [Column; 6] = [
    Column::keep("ITEM", Give::Name),
    Column::keep("KEY", Give::Name),
    Column::drop("VERDICT", Give::Fixed, 2),
    Column::drop("DISTINCT", Give::Fixed, 0).right(),
    Column::keep("WHY", Give::Text { hang: false }),
    Column::drop("COST", Give::Text { hang: false }, 1),
];

/// The overview's metrics table: name, series and top key are kept at any width.
const METRIC_COLUMNS: [Column; 9] = [
    Column::keep("METRIC", Give::Name),
    Column::drop("TYPE", Give::Fixed, 5),
    Column::drop("UNIT", Give::Fixed, 4),
    Column::keep("SERIES", Give::Fixed).right(),
    Column::drop("BACKEND", Give::Fixed, 3).right(),
    Column::drop("POINTS", Give::Fixed, 1).right(),
    Column::drop("KEYS", Give::Fixed, 2).right(),
    Column::keep("TOP KEY", Give::Text { hang: false }),
    Column::drop("SERVICES", Give::Text { hang: false }, 0),
];

/// The overview's spans table: the kind stays, as one name can have several kinds.
const SPAN_COLUMNS: [Column; 6] = [
    Column::keep("SPAN", Give::Name),
    Column::keep("KIND", Give::Fixed),
    Column::drop("SPANS", Give::Fixed, 2).right(),
    Column::drop("KEYS", Give::Fixed, 1).right(),
    Column::keep("TOP ATTRIBUTE", Give::Text { hang: false }),
    Column::drop("SERVICES", Give::Text { hang: false }, 0),
];

/// The overview's logs table.
const LOG_COLUMNS: [Column; 5] = [
    Column::keep("SEVERITY", Give::Fixed),
    Column::drop("RECORDS", Give::Fixed, 2).right(),
    Column::drop("KEYS", Give::Fixed, 0).right(),
    Column::drop("TOP ATTRIBUTE", Give::Text { hang: false }, 1),
    Column::keep("TOP TEMPLATES", Give::Text { hang: true }),
];

/// The overview's attributes table.
const ATTRIBUTE_COLUMNS: [Column; 6] = [
    Column::keep("KEY", Give::Name),
    Column::keep("CARDINALITY", Give::Fixed).right(),
    Column::drop("COUNT", Give::Fixed, 1).right(),
    Column::drop("SIGNALS", Give::Fixed, 2),
    Column::drop("SCOPE", Give::Fixed, 0),
    Column::drop("SAMPLES", Give::Text { hang: false }, 3),
];

/// A drill-down's keys table.
const KEY_COLUMNS: [Column; 6] = [
    Column::keep("SCOPE", Give::Text { hang: false }),
    Column::keep("KEY", Give::Name),
    Column::drop("COUNT", Give::Fixed, 1).right(),
    Column::drop("%", Give::Fixed, 0).right(),
    Column::keep("CARDINALITY", Give::Fixed).right(),
    Column::drop("SAMPLES", Give::Text { hang: false }, 2),
];

/// A log drill-down's body templates.
const TEMPLATE_COLUMNS: [Column; 3] = [
    Column::keep("COUNT", Give::Fixed).right(),
    Column::keep("TEMPLATE", Give::Text { hang: true }),
    Column::drop("EXAMPLE", Give::Text { hang: true }, 0),
];

/// An attribute drill-down's table of the items carrying the key.
const WHERE_COLUMNS: [Column; 5] = [
    Column::keep("WHERE", Give::Fixed),
    Column::keep("ITEM", Give::Name),
    Column::drop("COUNT", Give::Fixed, 1).right(),
    Column::drop("%", Give::Fixed, 0).right(),
    Column::keep("CARDINALITY", Give::Fixed).right(),
];

fn section_title<T>(out: &mut String, what: &str, by: &str, s: &Section<T>) {
    let _ = writeln!(
        out,
        "\n{what}: {} of {}{by}",
        s.shown.len().min(s.total),
        s.total
    );
}

/// The overview as text and tables.
pub fn overview_table(o: &Overview<'_>, style: TableStyle) -> String {
    let mut out = String::new();
    header_text(&o.session, &mut out);
    if let Some(svc) = o.service {
        let _ = writeln!(out, "{:<13}{svc}", "Filter");
    }
    if let Some(s) = &o.suspects {
        section_title(&mut out, "Suspect keys", ", unbounded metric keys first", s);
        // Where one line each does not fit: the signal under the item and the scope under the
        // key, so the two name columns leave room for the reason.
        let rows_with = |stacked: bool| -> Vec<Vec<String>> {
            let sep = if stacked { "\n" } else { " " };
            s.shown
                .iter()
                .map(|x| {
                    let key = match (&x.scope, &x.key) {
                        (Some(sc), Some(k)) => format!("{k}{sep}({sc})"),
                        (None, Some(k)) => k.clone(),
                        (Some(sc), None) => format!("({sc})"),
                        (None, None) => String::new(),
                    };
                    let item = if stacked {
                        format!("{}\n{}", x.item, x.signal)
                    } else {
                        format!("{} {}", x.signal, x.item)
                    };
                    let verdict = match (x.verdict, x.confidence) {
                        (Some(v), Some(c)) => format!("{v} {:.0}%", c * 100.0),
                        _ => x.what.replace('_', " "),
                    };
                    // Item, key and reason carry telemetry text: escaped like every other
                    // cell (line by line: the breaks are ours).
                    let esc_lines = |t: &str| t.split('\n').map(esc).collect::<Vec<_>>().join("\n");
                    vec![
                        esc_lines(&item),
                        esc_lines(&key),
                        esc(verdict),
                        human::with_commas(x.distinct),
                        esc(&x.reason),
                        esc(x.cost.as_deref().unwrap_or("")),
                    ]
                })
                .collect()
        };
        let mut rows = rows_with(false);
        if let Some(w) = fit::width() {
            // Stacked only where one line each would cost a column or shorten a name.
            let mut trial = rows.clone();
            let keep = fit::fit_columns(&SUSPECT_COLUMNS, &mut trial, w);
            let names_cut = trial
                .iter()
                .zip(&rows)
                .any(|(t, r)| t[0] != r[0] || t[1] != r[1]);
            if names_cut || keep.contains(&false) {
                rows = rows_with(true);
            }
        }
        let _ = writeln!(out, "{}", fitted_table(style, &SUSPECT_COLUMNS, rows));
    }
    if let Some(s) = &o.metrics {
        section_title(&mut out, "Metrics", ", by active series", s);
        if !s.shown.is_empty() {
            let rows = s
                .shown
                .iter()
                .map(|m| {
                    vec![
                        esc(m.name),
                        esc(m.metric_type),
                        esc(m.unit),
                        card(m.active_series, m.series_approximate),
                        human::with_commas(m.backend_series),
                        human::count(m.data_point_count),
                        m.label_keys.to_string(),
                        esc(top_key_cell(&m.top_key)),
                        esc(join_limited(&m.services, 3)),
                    ]
                })
                .collect();
            let _ = writeln!(out, "{}", fitted_table(style, &METRIC_COLUMNS, rows));
        }
    }
    if let Some(s) = &o.spans {
        section_title(&mut out, "Spans", ", by highest attribute cardinality", s);
        if !s.shown.is_empty() {
            let rows = s
                .shown
                .iter()
                .map(|x| {
                    vec![
                        esc(x.name),
                        esc(x.kind_name),
                        human::count(x.sample_count),
                        x.attribute_keys.to_string(),
                        esc(top_key_cell(&x.top_attribute)),
                        esc(join_limited(&x.services, 3)),
                    ]
                })
                .collect();
            let _ = writeln!(out, "{}", fitted_table(style, &SPAN_COLUMNS, rows));
        }
    }
    if let Some(s) = &o.logs {
        section_title(&mut out, "Logs", ", by severity", s);
        if !s.shown.is_empty() {
            let mut rows = Vec::new();
            for x in &s.shown {
                // Each template escaped on its own: the line breaks between them are ours.
                let mut templates = x
                    .top_templates
                    .iter()
                    .map(|b| esc(format!("{}× {}", human::count(b.count), b.template)))
                    .collect::<Vec<_>>()
                    .join("\n");
                if x.templates_total > x.top_templates.len() {
                    let _ = write!(
                        templates,
                        "\n+{} more",
                        x.templates_total - x.top_templates.len()
                    );
                }
                rows.push(vec![
                    esc(x.severity),
                    human::count(x.sample_count),
                    x.attribute_keys.to_string(),
                    esc(top_key_cell(&x.top_attribute)),
                    templates,
                ]);
            }
            let _ = writeln!(out, "{}", fitted_table(style, &LOG_COLUMNS, rows));
        }
    }
    if let Some(s) = &o.attributes {
        section_title(&mut out, "Attributes", ", by estimated cardinality", s);
        if !s.shown.is_empty() {
            let rows = s
                .shown
                .iter()
                .map(|a| {
                    vec![
                        esc(a.key),
                        card(a.estimated_cardinality, a.approximate),
                        human::count(a.count),
                        esc(a.signal_types.join(",")),
                        esc(a.scope),
                        esc(samples(a.value_samples)),
                    ]
                })
                .collect();
            let _ = writeln!(out, "{}", fitted_table(style, &ATTRIBUTE_COLUMNS, rows));
        }
    }
    out
}

fn samples(v: &[String]) -> String {
    v.join(", ")
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

fn strip_keys(m: &mut KeyStatsMap) {
    for ks in m.values_mut() {
        ks.sketch = None;
    }
}

/// The drill-down as JSON, in the session file's field order.
#[derive(Debug, Clone, Serialize)]
struct ItemOut<'a> {
    session: HeaderView<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metric: Option<MetricMeta>,
    #[serde(skip_serializing_if = "Option::is_none")]
    spans: Option<Vec<SpanMeta>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    log: Option<LogMeta>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attribute: Option<AttributeMeta>,
}

/// The drill-down as JSON: the item as stored, without sketch bytes.
pub fn item_json(s: &Session, origin: &Origin, item: &Item<'_>) -> String {
    let mut out = ItemOut {
        session: HeaderView::of(s, origin),
        metric: None,
        spans: None,
        log: None,
        attribute: None,
    };
    match item {
        Item::Metric(m) => {
            let mut m = (*m).clone();
            m.series_sketch = None;
            m.key_maps_mut().for_each(strip_keys);
            out.metric = Some(m);
        }
        Item::Spans(v) => {
            out.spans = Some(
                v.iter()
                    .map(|x| {
                        let mut x = (*x).clone();
                        x.key_maps_mut().for_each(strip_keys);
                        x
                    })
                    .collect(),
            );
        }
        Item::Log(l) => {
            let mut l = (*l).clone();
            l.key_maps_mut().for_each(strip_keys);
            out.log = Some(l);
        }
        Item::Attribute(a) => {
            let mut a = (*a).clone();
            a.sketch = None;
            out.attribute = Some(a);
        }
    }
    let mut text = serde_json::to_string_pretty(&out).unwrap_or_default();
    text.push('\n');
    text
}

fn keys_table(style: TableStyle, groups: &[(String, &KeyStatsMap)]) -> Option<String> {
    if groups.iter().all(|(_, m)| m.is_empty()) {
        return None;
    }
    let mut rows = Vec::new();
    for (scope, m) in groups {
        for (k, ks) in *m {
            rows.push(vec![
                esc(scope),
                esc(k),
                human::with_commas(ks.count),
                format!("{:.1}", ks.percentage),
                card(ks.estimated_cardinality, ks.approximate),
                esc(samples(&ks.value_samples)),
            ]);
        }
    }
    Some(fitted_table(style, &KEY_COLUMNS, rows))
}

fn services_line(m: &ServiceCounts) -> String {
    m.iter()
        .map(|(k, v)| format!("{k} ({})", human::with_commas(*v)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The drill-down as text and a table of every key.
pub fn item_table(s: &Session, item: &Item<'_>, style: TableStyle) -> String {
    let mut out = String::new();
    let line = |out: &mut String, k: &str, v: String| label_line(out, k, &v, 15);
    line(&mut out, "Session", s.id.clone());
    match item {
        Item::Metric(m) => {
            line(&mut out, "Metric", m.name.clone());
            line(&mut out, "Description", m.description.clone());
            let mut ty = m.metric_type.as_str().to_string();
            if let Some(t) = &m.aggregation_temporality {
                let _ = write!(ty, ", {t}");
            }
            if let Some(mono) = m.is_monotonic {
                ty.push_str(if mono {
                    ", monotonic"
                } else {
                    ", non-monotonic"
                });
            }
            line(&mut out, "Type", ty);
            line(&mut out, "Unit", m.unit.clone());
            line(
                &mut out,
                "Active series",
                card(m.active_series, m.series_approximate),
            );
            line(
                &mut out,
                "Data points",
                human::with_commas(m.data_point_count),
            );
            line(&mut out, "Services", services_line(&m.services));
            line(
                &mut out,
                "Bucket bounds",
                m.explicit_bounds
                    .iter()
                    .map(|b| b.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            line(
                &mut out,
                "Scales",
                m.scales
                    .iter()
                    .map(|b| b.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            for c in &m.conflicts {
                let src = if c.source.is_empty() {
                    String::new()
                } else {
                    format!(" in '{}'", c.source)
                };
                line(
                    &mut out,
                    "Conflict",
                    format!("{} was also '{}'{src}", c.field, c.other),
                );
            }
            if let Some(t) = keys_table(
                style,
                &[
                    ("label".into(), &m.label_keys),
                    ("resource".into(), &m.resource_keys),
                ],
            ) {
                let _ = writeln!(out, "\n{t}");
            }
        }
        Item::Spans(v) => {
            for (i, x) in v.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                }
                line(&mut out, "Span", x.name.clone());
                line(&mut out, "Kind", format!("{} ({})", x.kind_name, x.kind));
                line(&mut out, "Spans", human::with_commas(x.sample_count));
                line(&mut out, "Services", services_line(&x.services));
                line(&mut out, "Status codes", x.status_codes.join(", "));
                line(&mut out, "Events", x.event_names.join(", "));
                let mut groups: Vec<(String, &KeyStatsMap)> = vec![
                    ("attribute".into(), &x.attribute_keys),
                    ("resource".into(), &x.resource_keys),
                    ("link".into(), &x.link_attribute_keys),
                ];
                for (ev, m) in &x.event_attribute_keys {
                    groups.push((format!("event {ev}"), m));
                }
                if let Some(t) = keys_table(style, &groups) {
                    let _ = writeln!(out, "\n{t}");
                }
            }
        }
        Item::Log(l) => {
            line(
                &mut out,
                "Severity",
                format!("{} ({})", l.severity, l.severity_number),
            );
            line(&mut out, "Records", human::with_commas(l.sample_count));
            line(&mut out, "Services", services_line(&l.services));
            line(&mut out, "Events", l.event_names.join(", "));
            if let Some(t) = keys_table(
                style,
                &[
                    ("attribute".into(), &l.attribute_keys),
                    ("resource".into(), &l.resource_keys),
                ],
            ) {
                let _ = writeln!(out, "\n{t}");
            }
            if !l.body_templates.is_empty() {
                let rows = l
                    .body_templates
                    .iter()
                    .map(|b| {
                        vec![
                            human::with_commas(b.count),
                            esc(&b.template),
                            esc(&b.example),
                        ]
                    })
                    .collect();
                let _ = writeln!(out, "\n{}", fitted_table(style, &TEMPLATE_COLUMNS, rows));
            }
        }
        Item::Attribute(a) => {
            line(&mut out, "Attribute", a.key.clone());
            line(
                &mut out,
                "Cardinality",
                card(a.estimated_cardinality, a.approximate),
            );
            line(&mut out, "Count", human::with_commas(a.count));
            line(&mut out, "Signals", a.signal_types.join(", "));
            line(&mut out, "Scope", a.scope.clone());
            if let Some(t) = a.first_seen {
                line(&mut out, "First seen", format_time(&t));
            }
            if let Some(t) = a.last_seen {
                line(&mut out, "Last seen", format_time(&t));
            }
            line(&mut out, "Samples", samples(&a.value_samples));
            // Where the key appears: every item carrying it, with its per-item statistics.
            let mut rows: Vec<Vec<String>> = Vec::new();
            let mut add = |kind: &str, item: &str, ks: &KeyStats| {
                rows.push(vec![
                    esc(kind),
                    esc(item),
                    human::with_commas(ks.count),
                    format!("{:.1}", ks.percentage),
                    card(ks.estimated_cardinality, ks.approximate),
                ]);
            };
            for m in &s.data.metrics {
                for (kind, map) in [
                    ("metric label", &m.label_keys),
                    ("metric resource", &m.resource_keys),
                ] {
                    if let Some(ks) = map.get(&a.key) {
                        add(kind, &m.name, ks);
                    }
                }
            }
            for x in &s.data.spans {
                for (kind, map) in [
                    ("span attribute", &x.attribute_keys),
                    ("span resource", &x.resource_keys),
                ] {
                    if let Some(ks) = map.get(&a.key) {
                        add(kind, &x.name, ks);
                    }
                }
            }
            for l in &s.data.logs {
                for (kind, map) in [
                    ("log attribute", &l.attribute_keys),
                    ("log resource", &l.resource_keys),
                ] {
                    if let Some(ks) = map.get(&a.key) {
                        add(kind, &l.severity, ks);
                    }
                }
            }
            if !rows.is_empty() {
                let _ = writeln!(out, "\n{}", fitted_table(style, &WHERE_COLUMNS, rows));
            }
        }
    }
    out
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
