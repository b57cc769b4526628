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
    if let Some(w) = crate::render::fit::width() {
        // $COLUMNS, or the terminal's width.
        t.set_content_arrangement(ContentArrangement::Dynamic);
        t.set_width(u16::try_from(w).unwrap_or(u16::MAX));
    } else if style.terminal {
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

/// `3m`, `5h`, `12d`: how long ago `created` (RFC 3339) was, from `now`.
pub fn age(created: &str, now: chrono::DateTime<chrono::Utc>) -> Option<String> {
    let t = chrono::DateTime::parse_from_rfc3339(created).ok()?;
    let secs = (now - t.with_timezone(&chrono::Utc)).num_seconds().max(0);
    Some(match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m", secs / 60),
        3600..86_400 => format!("{}h", secs / 3600),
        _ => format!("{}d", secs / 86_400),
    })
}

/// The rows as a table. Times are UTC, said so, with an age. Fitted to [`crate::render::fit::width`]
/// when there is one: the least useful columns go first (services, attributes, signals, logs,
/// spans) and long names get a middle ellipsis.
pub fn table(rows: &[ListRow], style: TableStyle) -> String {
    const HEADER: [&str; 9] = [
        "NAME",
        "CREATED (UTC)",
        "SIGNALS",
        "METRICS",
        "SPANS",
        "LOGS",
        "ATTRS",
        "SIZE",
        "SERVICES",
    ];
    let now = chrono::Utc::now();
    let opt = |v: Option<u64>| v.map(human::count).unwrap_or_else(|| "-".into());
    let cells: Vec<[String; 9]> = rows
        .iter()
        .map(|r| match &r.error {
            // The error goes last, where a long message does not push the other columns apart.
            Some(err) => [
                super::escape::term(&r.name).into_owned(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                human::human_bytes(r.size_bytes),
                super::escape::term(&format!("unreadable: {err}")).into_owned(),
            ],
            None => {
                // Minutes are enough to tell sessions apart and keep the column narrow.
                let created = r
                    .created
                    .as_deref()
                    .map(|c| {
                        let short = c.get(..16).unwrap_or(c).replace('T', " ");
                        match age(c, now) {
                            Some(a) => format!("{short} ({a} ago)"),
                            None => short,
                        }
                    })
                    .unwrap_or_default();
                [
                    super::escape::term(&r.name).into_owned(),
                    created,
                    r.signals.join(","),
                    opt(r.metrics_count),
                    opt(r.spans_count),
                    opt(r.logs_count),
                    opt(r.attributes_count),
                    human::human_bytes(r.size_bytes),
                    super::escape::term(&services_cell(&r.services, r.services_total.unwrap_or(0)))
                        .into_owned(),
                ]
            }
        })
        .collect();
    let width = crate::render::fit::width();
    let mut keep = [true; 9];
    let mut cells = cells;
    if let Some(w) = width {
        use crate::render::fit;
        for row in &mut cells {
            row[0] = fit::ellipsize_middle(&row[0], (w / 3).clamp(24, 40));
        }
        // An error message wraps, so it asks for 30 columns at most.
        let natural = |i: usize| {
            cells
                .iter()
                .zip(rows)
                .map(|(c, r)| {
                    // (It may move to CREATED, below, so it counts there too.)
                    match (i, r.error.is_some()) {
                        (8, true) | (1, true) => fit::cols(&c[8]).min(30),
                        _ => fit::cols(&c[i]),
                    }
                })
                .chain([HEADER[i].len()])
                .max()
                .unwrap_or(0)
        };
        let total = |keep: &[bool; 9]| {
            let n = keep.iter().filter(|k| **k).count();
            (0..9).filter(|&i| keep[i]).map(natural).sum::<usize>() + 3 * n + 1
        };
        for drop in [8, 6, 2, 5, 4] {
            if total(&keep) <= w {
                break;
            }
            keep[drop] = false;
        }
        let over = total(&keep).saturating_sub(w);
        if over > 0 {
            let name_w = natural(0).saturating_sub(over).max(16);
            for row in &mut cells {
                row[0] = fit::ellipsize_middle(&row[0], name_w);
            }
        }
        // Pre-wrapped between words, so the table never has to break one.
        for (row, r) in cells.iter_mut().zip(rows) {
            if r.error.is_some() {
                row[8] = fit::wrap(&row[8], 30).join("\n");
            }
        }
    }
    if !keep[8] {
        // The error must still show: it takes the CREATED cell, which is always kept.
        for (row, r) in cells.iter_mut().zip(rows) {
            if r.error.is_some() {
                row[1] = std::mem::take(&mut row[8]);
            }
        }
    }
    let header: Vec<&str> = (0..9).filter(|&i| keep[i]).map(|i| HEADER[i]).collect();
    let mut t = new_table(style, &header);
    // Cells are never wrapped by the table (names were shortened and errors wrapped to fit).
    for (col, i) in (0..9).filter(|&i| keep[i]).enumerate() {
        if (i < 8 || width.is_some())
            && let Some(c) = t.column_mut(col)
        {
            c.set_constraint(comfy_table::ColumnConstraint::ContentWidth);
        }
    }
    for (row, r) in cells.into_iter().zip(rows) {
        let out: Vec<Cell> = row
            .into_iter()
            .enumerate()
            .filter(|(i, _)| keep[*i])
            .map(|(i, text)| match i {
                3..=7 => num(text),
                1 | 8 if r.error.is_some() && style.color && text.starts_with("unreadable") => {
                    Cell::new(text).fg(comfy_table::Color::Red)
                }
                _ => Cell::new(text),
            })
            .collect();
        t.add_row(out);
    }
    let mut s = t.to_string();
    s.push('\n');
    s
}
