//! `diff --format table`: verdict line, per-signal summary, ranked changes.

use comfy_table::{CellAlignment, Table, presets};
use owo_colors::OwoColorize;

use crate::diff::{Change, DiffReport, Severity};
use crate::render::{fit, wording};

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

/// How the changes table is laid out.
#[derive(Debug, Clone, Copy, Default)]
pub struct Layout {
    /// Fit to this many columns (see [`fit::width`]); None: natural widths, nothing cut.
    pub width: Option<usize>,
    /// Show each detail's severity, rule and fingerprint (what an ignore entry needs).
    pub ids: bool,
}

/// Widths at or above which the table shows severity, rule and fingerprint on its own.
pub const IDS_WIDTH: usize = 160;
/// Longest name column; longer names get a middle ellipsis (JSON keeps them whole).
const NAME_CAP: usize = 48;
/// Narrowest detail column before a column is dropped.
const DETAIL_MIN: usize = 32;

/// The whole table output, natural widths.
pub fn render(r: &DiffReport, color: bool) -> String {
    render_with(r, color, Layout::default())
}

/// The whole table output, laid out as `layout` says.
pub fn render_with(r: &DiffReport, color: bool, layout: Layout) -> String {
    let mut out = String::new();
    let line = |text: String, out: &mut String| match layout.width {
        Some(w) => {
            for l in fit::wrap(&text, w) {
                out.push_str(&l);
                out.push('\n');
            }
        }
        None => {
            out.push_str(&text);
            out.push('\n');
        }
    };
    // The verdict is colored after wrapping would miscount escapes: wrap the plain text, and
    // color only when it was not fitted or fits on one line.
    let plain = wording::verdict(r);
    if layout.width.is_none_or(|w| fit::cols(&plain) <= w) {
        out.push_str(&verdict(r, color));
        out.push('\n');
    } else {
        line(plain, &mut out);
    }
    line(wording::rate_basis(r.rate_basis), &mut out);
    line(
        match &r.rules.source {
            Some(p) => format!("rules: {}", p.display()),
            None => "rules: built-in defaults (no --rules, $OTELSNAP_RULES or .otelsnap.toml)"
                .to_string(),
        },
        &mut out,
    );
    for note in wording::notes(r) {
        line(note, &mut out);
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
    let ids = layout.ids || layout.width.is_some_and(|w| w >= IDS_WIDTH);
    let rows: Vec<[String; 6]> = r
        .changes
        .iter()
        .map(|c| {
            let mut details = detail_lines(c, if ids { usize::MAX } else { MAX_DETAILS });
            if ids {
                for (l, d) in details.iter_mut().zip(&c.details) {
                    l.push_str(&format!(
                        " ({} · {} · {})",
                        d.severity, d.rule, d.fingerprint
                    ));
                }
            }
            [
                c.severity.as_str().to_string(),
                c.signal_type.as_str().to_string(),
                c.change_type.as_str().to_string(),
                // Telemetry is untrusted: control characters are shown, never sent.
                super::escape::term(&c.name).into_owned(),
                details
                    .iter()
                    .map(|l| super::escape::term(l).into_owned())
                    .collect::<Vec<_>>()
                    .join("\n"),
                super::escape::term(&services_text(c, MAX_SERVICES)).into_owned(),
            ]
        })
        .collect();
    let header = ["severity", "signal", "change", "name", "detail", "services"];
    let (keep, stacked, rows) = match layout.width {
        None => ([true; 6], false, rows),
        Some(w) => fit_rows(&header, rows, w),
    };
    let mut changes = base_table();
    changes.set_header(
        header
            .iter()
            .zip(keep)
            .enumerate()
            .filter(|(_, (_, k))| *k)
            .map(|(i, (h, _))| {
                if stacked && i == 0 {
                    "severity\nsignal".to_string()
                } else {
                    h.to_string()
                }
            })
            .collect::<Vec<_>>(),
    );
    for row in rows {
        changes.add_row(
            row.into_iter()
                .zip(keep)
                .filter(|(_, k)| *k)
                .map(|(c, _)| c)
                .collect::<Vec<_>>(),
        );
    }
    let rendered = changes.to_string();
    if color {
        out.push_str(&color_rows(rendered));
    } else {
        out.push_str(&rendered);
        out.push('\n');
    }
    out.push_str(&super::fix::text(&super::fix::report_fixes(r)));
    out
}

/// Widest line of a cell.
fn cell_width(s: &str) -> usize {
    s.split('\n').map(fit::cols).max().unwrap_or(0)
}

/// Lays the change rows out in `width` columns: drops the least useful columns first
/// (services, then change) until the detail column gets at least [`DETAIL_MIN`], then moves the
/// signal under the severity in the same cell (a metric and a span of the same name must still
/// look different), shortens over-long names in the middle, and wraps details and services
/// between words. Returns which columns are kept, whether the signal is stacked under the
/// severity, and the rows with their cells pre-wrapped.
fn fit_rows(
    header: &[&str; 6],
    rows: Vec<[String; 6]>,
    width: usize,
) -> ([bool; 6], bool, Vec<[String; 6]>) {
    const SEV: usize = 0;
    const SIGNAL: usize = 1;
    const CHANGE: usize = 2;
    const NAME: usize = 3;
    const DETAIL: usize = 4;
    const SERVICES: usize = 5;
    let natural = |i: usize| {
        rows.iter()
            .map(|r| cell_width(&r[i]))
            .chain([fit::cols(header[i])])
            .max()
            .unwrap_or(0)
    };
    let nat: Vec<usize> = (0..6).map(natural).collect();
    let services_w = nat[SERVICES].min(24);
    let name_w_nat = nat[NAME].min(NAME_CAP);
    // The first layout (fewest columns dropped) where whole names and a detail column of at
    // least DETAIL_MIN fit; failing that, the narrowest layout with names shortened.
    let layout = |drop: &[usize], stacked: bool| {
        let mut keep = [true; 6];
        for &d in drop {
            keep[d] = false;
        }
        if stacked {
            keep[SIGNAL] = false;
        }
        let ncols = keep.iter().filter(|k| **k).count();
        // "│ " before each cell, " " after, and the closing "│".
        let borders = 3 * ncols + 1;
        let sev_w = if stacked {
            nat[SEV].max(nat[SIGNAL])
        } else {
            nat[SEV]
        };
        let fixed: usize = sev_w
            + [SIGNAL, CHANGE]
                .iter()
                .filter(|&&i| keep[i])
                .map(|&i| nat[i])
                .sum::<usize>()
            + if keep[SERVICES] { services_w } else { 0 };
        (keep, stacked, width.saturating_sub(borders + fixed))
    };
    let layouts: [(&[usize], bool); 4] = [
        (&[], false),
        (&[SERVICES], false),
        (&[SERVICES, CHANGE], false),
        (&[SERVICES, CHANGE], true),
    ];
    let chosen = layouts
        .iter()
        .map(|(d, st)| layout(d, *st))
        .find(|(_, _, avail)| *avail >= name_w_nat + DETAIL_MIN)
        .map(|(keep, st, avail)| (keep, st, name_w_nat, avail - name_w_nat))
        .unwrap_or_else(|| {
            let (d, st) = layouts[layouts.len() - 1];
            let (keep, st, avail) = layout(d, st);
            // Never under 16 columns of name: below that a middle ellipsis says little.
            let name_w = avail.saturating_sub(DETAIL_MIN).max(16).min(name_w_nat);
            (keep, st, name_w, avail.saturating_sub(name_w))
        });
    let (keep, stacked, name_w, detail_w) = chosen;
    let detail_w = detail_w.min(nat[DETAIL]).max(8);
    let rows = rows
        .into_iter()
        .map(|mut r| {
            if stacked {
                r[SEV] = format!("{}\n{}", r[SEV], r[SIGNAL]);
            }
            r[NAME] = fit::ellipsize_middle(&r[NAME], name_w);
            r[DETAIL] = fit::wrap(&r[DETAIL], detail_w).join("\n");
            r[SERVICES] = fit::wrap(&r[SERVICES], services_w).join("\n");
            r
        })
        .collect();
    (keep, stacked, rows)
}
