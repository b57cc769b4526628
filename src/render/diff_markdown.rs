//! `diff --format markdown`: for `$GITHUB_STEP_SUMMARY` and pull-request comments.

use crate::diff::{Change, DiffReport, Severity};

/// Details shown per change before the rest are counted.
const MAX_DETAILS: usize = 5;

/// Escapes text for a Markdown table cell (no raw HTML, no column breaks).
pub fn cell(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace('\r', "")
        .replace('\n', "<br>")
}

fn code(s: &str) -> String {
    if s.contains('`') || s.is_empty() {
        cell(s)
    } else {
        format!("`{}`", s.replace('|', "\\|").replace(['\r', '\n'], " "))
    }
}

fn changes_table(out: &mut String, changes: &[&Change]) {
    out.push_str("| severity | signal | change | name | detail | services |\n");
    out.push_str("|---|---|---|---|---|---|\n");
    for c in changes {
        let mut lines: Vec<String> = c
            .details
            .iter()
            .take(MAX_DETAILS)
            .map(|d| cell(&d.message))
            .collect();
        if c.details.len() > MAX_DETAILS {
            lines.push(format!("… and {} more", c.details.len() - MAX_DETAILS));
        }
        let sev = match c.severity {
            Severity::Critical => "**critical**".to_string(),
            s => s.as_str().to_string(),
        };
        out.push_str(&format!(
            "| {sev} | {} | {} | {} | {} | {} |\n",
            c.signal_type.as_str(),
            c.change_type.as_str(),
            code(&c.name),
            lines.join("<br>"),
            cell(&c.services.join(", ")),
        ));
    }
}

/// The severity at or above which changes go in the open table (the exit threshold, or
/// warning when `--fail-on never`).
pub fn fold_threshold(r: &DiffReport) -> Severity {
    r.threshold().unwrap_or(Severity::Warning)
}

/// The whole Markdown output.
pub fn render(r: &DiffReport) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "### otelsnap diff: {} → {}\n\n",
        cell(&r.from.id),
        cell(&r.to.id)
    ));
    out.push_str(&format!("**{}**\n\n", cell(&r.verdict())));
    out.push_str(&format!("_{}_\n\n", r.rate_basis.describe()));
    for nc in &r.not_compared {
        out.push_str(&format!(
            "- {} not compared: captured only by `{}`\n",
            nc.signal, nc.captured_by
        ));
    }
    if !r.not_compared.is_empty() {
        out.push('\n');
    }
    if r.summary.total == 0 {
        return out;
    }
    out.push_str("| signal | added | removed | changed |\n|---|--:|--:|--:|\n");
    for (sig, k) in &r.summary.by_signal.0 {
        out.push_str(&format!(
            "| {sig} | {} | {} | {} |\n",
            k.added, k.removed, k.changed
        ));
    }
    out.push('\n');
    let t = fold_threshold(r);
    let (above, below): (Vec<&Change>, Vec<&Change>) =
        r.changes.iter().partition(|c| c.severity >= t);
    if !above.is_empty() {
        changes_table(&mut out, &above);
        out.push('\n');
        let fixes: Vec<_> = above.iter().flat_map(|c| super::fix::fixes_of(c)).collect();
        out.push_str(&super::fix::markdown(&fixes));
    }
    if !below.is_empty() {
        out.push_str(&format!(
            "<details><summary>{} change{} below {t}</summary>\n\n",
            below.len(),
            if below.len() == 1 { "" } else { "s" }
        ));
        changes_table(&mut out, &below);
        out.push_str("\n</details>\n");
    }
    out
}
