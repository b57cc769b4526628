//! `diff --format table`: verdict line, per-signal summary, ranked changes.

use comfy_table::{CellAlignment, Table, presets};
use owo_colors::OwoColorize;

use crate::diff::{Change, DiffReport, Severity};
use crate::render::wording;

/// Details shown per change before the rest are counted.
const MAX_DETAILS: usize = 3;
/// Services shown per change before the rest are counted.
const MAX_SERVICES: usize = 3;

fn paint(s: &str, sev: Severity, color: bool) -> String {
    if !color {
        return s.to_string();
    }
    match sev {
        Severity::Critical => s.red().bold().to_string(),
        Severity::Warning => s.yellow().to_string(),
        Severity::Info => s.cyan().to_string(),
    }
}

/// The verdict line, counts colored by severity when `color`.
pub fn verdict(r: &DiffReport, color: bool) -> String {
    let plain = wording::verdict(r);
    if !color || r.summary.total == 0 {
        return plain;
    }
    let mut out = plain;
    for sev in Severity::DESCENDING {
        let n = r.summary.count(sev);
        let word = format!("{n} {sev}");
        if n > 0 {
            out = out.replacen(&word, &paint(&word, sev, true), 1);
        }
    }
    out
}

/// Detail lines for one change, capped at `max` (the table shows three).
pub fn detail_lines(c: &Change, max: usize) -> Vec<String> {
    let mut lines: Vec<String> = c.details.iter().take(max).map(wording::detail).collect();
    if c.details.len() > max {
        lines.push(format!("… and {} more", c.details.len() - max));
    }
    lines
}

/// Services of one change, capped at `max` (the table shows three).
pub fn services_text(c: &Change, max: usize) -> String {
    let mut s: Vec<&str> = c.services.iter().take(max).map(String::as_str).collect();
    let more = format!("+{}", c.services.len().saturating_sub(max));
    if c.services.len() > max {
        s.push(&more);
    }
    s.join(", ")
}

fn base_table() -> Table {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED);
    t.force_no_tty();
    t
}

/// Colors the severity word that opens each row of a rendered table.
fn color_rows(table: String) -> String {
    let mut out = String::with_capacity(table.len() + 256);
    for line in table.lines() {
        let mut done = false;
        for sev in Severity::DESCENDING {
            let prefix = format!("│ {} ", sev.as_str());
            if let Some(rest) = line.strip_prefix(&prefix) {
                out.push_str("│ ");
                out.push_str(&paint(sev.as_str(), sev, true));
                out.push(' ');
                out.push_str(rest);
                done = true;
                break;
            }
        }
        if !done {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// The whole table output.
pub fn render(r: &DiffReport, color: bool) -> String {
    let mut out = String::new();
    out.push_str(&verdict(r, color));
    out.push('\n');
    out.push_str(&wording::rate_basis(r.rate_basis));
    out.push('\n');
    for nc in &r.not_compared {
        out.push_str(&format!(
            "{} not compared: captured only by {}\n",
            nc.signal, nc.captured_by
        ));
    }
    if r.summary.total == 0 {
        return out;
    }
    let mut summary = base_table();
    summary.set_header(vec!["signal", "added", "removed", "changed"]);
    for (sig, k) in &r.summary.by_signal.0 {
        summary.add_row(vec![
            sig.to_string(),
            k.added.to_string(),
            k.removed.to_string(),
            k.changed.to_string(),
        ]);
    }
    for i in 1..=3 {
        if let Some(col) = summary.column_mut(i) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
    out.push('\n');
    out.push_str(&summary.to_string());
    out.push_str("\n\n");
    let mut changes = base_table();
    changes.set_header(vec![
        "severity", "signal", "change", "name", "detail", "services",
    ]);
    for c in &r.changes {
        changes.add_row(vec![
            c.severity.as_str().to_string(),
            c.signal_type.as_str().to_string(),
            c.change_type.as_str().to_string(),
            super::escape::term(&c.name).into_owned(),
            detail_lines(c, MAX_DETAILS)
                .iter()
                .map(|l| super::escape::term(l).into_owned())
                .collect::<Vec<_>>()
                .join("\n"),
            super::escape::term(&services_text(c, MAX_SERVICES)).into_owned(),
        ]);
    }
    let rendered = changes.to_string();
    if color {
        out.push_str(&color_rows(rendered));
    } else {
        out.push_str(&rendered);
        out.push('\n');
    }
    out
}
