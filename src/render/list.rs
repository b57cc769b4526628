//! `list` rendering: a table for people, a JSON array for scripts.
//!
//! JSON rows have stable field names: `name`, `created` (RFC 3339 or null), `description`,
//! `signals`, `metrics_count`, `spans_count`, `logs_count`, `attributes_count`, `services`
//! (names, at most 200), `services_total`, `window_seconds` (or null), `size_bytes`, `path`,
//! and `error` (null, or why the file could not be read; the counts are then null).

use comfy_table::{Attribute, Cell, CellAlignment, ContentArrangement, Table, presets};
use serde::Serialize;

use crate::render::human;
use crate::session::format_time;
use crate::session::store::ListEntry;

/// How a table is drawn: fitted to a terminal's width, and colored, or neither.
#[derive(Debug, Clone, Copy, Default)]
pub struct TableStyle {
    /// Output is a terminal: fit the table to its width.
    pub terminal: bool,
    /// Use bold headers and colors.
    pub color: bool,
}

/// A table with our look. On a terminal, columns wrap to fit its width; elsewhere nothing is
/// wrapped or cut, so piped output is stable and complete.
pub fn new_table(style: TableStyle, header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED);
    t.apply_modifier(comfy_table::modifiers::UTF8_ROUND_CORNERS);
    if style.terminal {
        t.set_content_arrangement(ContentArrangement::Dynamic);
    } else {
        t.set_content_arrangement(ContentArrangement::Disabled);
    }
    if style.color {
        t.enforce_styling();
    } else {
        t.force_no_tty();
    }
    t.set_header(header.iter().map(|h| {
        let c = Cell::new(h);
        if style.color {
            c.add_attribute(Attribute::Bold)
        } else {
            c
        }
    }));
    t
}

/// Right-aligned cell, for numbers.
pub fn num(s: impl Into<String>) -> Cell {
    Cell::new(s.into()).set_alignment(CellAlignment::Right)
}

/// One `list` row as JSON.
#[derive(Debug, Clone, Serialize)]
pub struct ListRow {
    pub name: String,
    pub created: Option<String>,
    pub description: String,
    pub signals: Vec<String>,
    pub metrics_count: Option<u64>,
    pub spans_count: Option<u64>,
    pub logs_count: Option<u64>,
    pub attributes_count: Option<u64>,
    pub services: Vec<String>,
    pub services_total: Option<u64>,
    pub window_seconds: Option<f64>,
    pub size_bytes: u64,
    pub path: String,
    pub error: Option<String>,
}

impl ListRow {
    /// The row for one store entry.
    pub fn of(e: &ListEntry) -> ListRow {
        let mut row = ListRow {
            name: e.name.clone(),
            created: None,
            description: String::new(),
            signals: Vec::new(),
            metrics_count: None,
            spans_count: None,
            logs_count: None,
            attributes_count: None,
            services: Vec::new(),
            services_total: None,
            window_seconds: None,
            size_bytes: e.size,
            path: e.path.display().to_string(),
            error: None,
        };
        match &e.header {
            Ok(h) => {
                row.created = Some(format_time(&h.created));
                row.description = h.description.clone();
                row.signals = h.signals.iter().map(|s| s.to_string()).collect();
                row.metrics_count = Some(h.stats.metrics_count);
                row.spans_count = Some(h.stats.spans_count);
                row.logs_count = Some(h.stats.logs_count);
                row.attributes_count = Some(h.stats.attributes_count);
                row.services = h.stats.services.clone();
                row.services_total = Some(h.services_total);
                row.window_seconds = h.window_seconds;
            }
            Err(msg) => row.error = Some(msg.clone()),
        }
        row
    }
}

/// The rows as a pretty JSON array (with a trailing newline).
pub fn json(rows: &[ListRow]) -> String {
    let mut s = serde_json::to_string_pretty(rows).unwrap_or_else(|_| "[]".into());
    s.push('\n');
    s
}

/// Services as shown in a table cell: a few names, then `+N more`.
pub fn services_cell(names: &[String], total: u64) -> String {
    const SHOWN: usize = 3;
    let mut s = names
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    let rest = total.saturating_sub(SHOWN.min(names.len()) as u64);
    if rest > 0 {
        s.push_str(&format!(" +{rest} more"));
    }
    s
}

/// The rows as a table.
pub fn table(rows: &[ListRow], style: TableStyle) -> String {
    let mut t = new_table(
        style,
        &[
            "NAME", "CREATED", "SIGNALS", "METRICS", "SPANS", "LOGS", "ATTRS", "SIZE", "SERVICES",
        ],
    );
    for r in rows {
        let opt = |v: Option<u64>| v.map(human::count).unwrap_or_else(|| "-".into());
        match &r.error {
            Some(err) => {
                let msg = format!("unreadable: {err}");
                let cell = if style.color {
                    Cell::new(super::escape::term(&msg)).fg(comfy_table::Color::Red)
                } else {
                    Cell::new(super::escape::term(&msg))
                };
                // The error goes last, where a long message does not push the other columns apart.
                t.add_row(vec![
                    Cell::new(super::escape::term(&r.name)),
                    Cell::new("-"),
                    Cell::new("-"),
                    num("-"),
                    num("-"),
                    num("-"),
                    num("-"),
                    num(human::human_bytes(r.size_bytes)),
                    cell,
                ]);
            }
            None => {
                // Minutes are enough to tell sessions apart and keep the column narrow.
                let created = r
                    .created
                    .as_deref()
                    .map(|c| c.get(..16).unwrap_or(c).replace('T', " "))
                    .unwrap_or_default();
                t.add_row(vec![
                    Cell::new(super::escape::term(&r.name)),
                    Cell::new(created),
                    Cell::new(r.signals.join(",")),
                    num(opt(r.metrics_count)),
                    num(opt(r.spans_count)),
                    num(opt(r.logs_count)),
                    num(opt(r.attributes_count)),
                    num(human::human_bytes(r.size_bytes)),
                    Cell::new(super::escape::term(&services_cell(
                        &r.services,
                        r.services_total.unwrap_or(0),
                    ))),
                ]);
            }
        }
    }
    let mut s = t.to_string();
    s.push('\n');
    s
}
