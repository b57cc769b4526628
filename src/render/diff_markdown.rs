//! `diff --format markdown`: for pull-request comments and `$GITHUB_STEP_SUMMARY`.
//!
//! One heading, the verdict, counts per signal, then every change in its own collapsed
//! `<details>`: the summary line says severity, kind, change and name; inside, each field
//! before → after with its rule and reason. The first line is a hidden marker,
//! [`MARKER`], so a CI step can find its earlier comment and update it instead of adding one.

use crate::diff::{Change, DiffReport, Severity};
use crate::render::wording;

/// The first line of every Markdown report (an HTML comment: invisible once rendered).
pub const MARKER: &str = "<!-- otelsnap-diff -->";

/// Escapes text for a Markdown table cell (no raw HTML, no column breaks, no @-mentions).
pub fn cell(s: &str) -> String {
    // Control characters are made visible first (newlines stay, as <br> below).
    super::escape::term_lines(s)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace('@', "&#64;")
        .replace('\r', "")
        .replace('\n', "<br>")
}

/// Escapes text for HTML inside the Markdown (the `<summary>` line, which GitHub does not
/// parse as Markdown): markup, and `@` so a name cannot mention a user.
fn html(s: &str) -> String {
    super::escape::term(&s.replace(['\r', '\n'], " "))
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('@', "&#64;")
}

fn code(s: &str) -> String {
    if s.contains('`') || s.is_empty() {
        cell(s)
    } else {
        let s = s.replace(['\r', '\n'], " ");
        format!("`{}`", super::escape::term(&s).replace('|', "\\|"))
    }
}

fn value(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "—".to_string(),
        serde_json::Value::String(s) => cell(s),
        serde_json::Value::Number(n) => match n.as_u64() {
            Some(u) => crate::render::human::with_commas(u),
            None => n.to_string(),
        },
        other => cell(&other.to_string()),
    }
}

fn change_block(out: &mut String, c: &Change) {
    let sev = match c.severity {
        Severity::Critical => "🔴 <b>critical</b>",
        Severity::Warning => "🟠 <b>warning</b>",
        Severity::Info => "🔵 info",
    };
    let headline = c.details.first().map(wording::detail).unwrap_or_default();
    let more = match c.details.len() {
        0 | 1 => String::new(),
        n => format!(" (+{} more)", n - 1),
    };
    out.push_str(&format!(
        "<details><summary>{sev} · {} {} <code>{}</code>: {}{more}</summary>\n\n",
        c.signal_type.as_str(),
        c.change_type.as_str(),
        html(&c.name),
        html(&headline),
    ));
    out.push_str("| field | before | after | change | severity | rule | why |\n");
    out.push_str("|---|--:|--:|--:|---|---|---|\n");
    for d in &c.details {
        let pct = d
            .change_pct
            .map(|p| format!("{}{p}%", if p > 0.0 { "+" } else { "" }))
            .unwrap_or_default();
        out.push_str(&format!(
            "| {} | {} | {} | {pct} | {} | `{}` | {} |\n",
            code(&d.field),
            value(&d.from),
            value(&d.to),
            d.severity.as_str(),
            d.rule.as_str(),
            cell(&wording::detail(d)),
        ));
    }
    out.push('\n');
    if !c.services.is_empty() {
        out.push_str(&format!("Services: {}\n\n", cell(&c.services.join(", "))));
    }
    out.push_str("</details>\n");
}

/// The severity at or above which changes go in the open table (the exit threshold, or
/// warning when `--fail-on never`).
pub fn fold_threshold(r: &DiffReport) -> Severity {
    r.threshold().unwrap_or(Severity::Warning)
}

/// The whole Markdown output.
pub fn render(r: &DiffReport) -> String {
    let mut out = String::new();
    out.push_str(MARKER);
    out.push('\n');
    out.push_str(&format!(
        "### otelsnap diff: {} → {}\n\n",
        cell(&r.from.id),
        cell(&r.to.id)
    ));
    out.push_str(&format!("**{}**\n\n", cell(&wording::verdict(r))));
    out.push_str(&format!("_{}_\n\n", wording::rate_basis(r.rate_basis)));
    let notes = wording::notes(r);
    for note in &notes {
        out.push_str(&format!("- {}\n", cell(note)));
    }
    if !notes.is_empty() {
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
    for c in &above {
        change_block(&mut out, c);
    }
    {
        let fixes: Vec<_> = above.iter().flat_map(|c| super::fix::fixes_of(c)).collect();
        out.push_str(&super::fix::markdown(&fixes));
    }
    if !below.is_empty() {
        out.push_str(&format!(
            "\n{} change{} below {t}:\n\n",
            below.len(),
            if below.len() == 1 { "" } else { "s" }
        ));
        for c in &below {
            change_block(&mut out, c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn telemetry_cannot_break_out_of_a_cell_or_the_summary() {
        let evil = "<img src=x onerror=alert(1)> | @octocat\n`x`";
        let c = cell(evil);
        // Only our own line break is markup.
        assert!(!c.replace("<br>", "").contains('<') && !c.contains('@') && !c.contains('\n'));
        assert!(!c.contains(" | "), "{c}");
        let h = html(evil);
        assert!(
            !h.contains('<') && !h.contains('@') && !h.contains('\n'),
            "{h}"
        );
    }
}
