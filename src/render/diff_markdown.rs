//! `diff --format markdown`: for pull-request comments and `$GITHUB_STEP_SUMMARY`.
//!
//! One heading, the verdict, counts per signal, then every change in its own collapsed
//! `<details>`: the summary line says severity, kind, change and name; inside, each field
//! before → after with its rule and reason and, where the change is about keys, both
//! sessions' key tables side by side (as the HTML report shows them). The first line is a
//! hidden marker, [`MARKER`], so a CI step can find its earlier comment and update it instead
//! of adding one. The whole stays within GitHub's comment limit ([`COMMENT_MAX`]): past it,
//! key tables are left out, then changes, and a visible note says how many and where to
//! find them.

use crate::diff::{Change, ChangeType, DiffReport, ItemKind, Severity};
use crate::render::human::with_commas;
use crate::render::wording;
use crate::session::{KeyStats, KeyStatsMap, Session};

/// GitHub's limit on a comment body, in characters. The output is kept within it in bytes,
/// which are never fewer than characters.
pub const COMMENT_MAX: usize = 65_536;

/// Key rows per change: the keys the change names first, then the largest.
const KEY_ROWS: usize = 12;
/// Value samples per key, each cut to [`SAMPLE_CHARS`]: enough to recognise the values.
const SAMPLES: usize = 3;
const SAMPLE_CHARS: usize = 40;
/// Room kept for the closing notes when changes are left out.
const NOTE_ROOM: usize = 1_024;

/// The first line of every Markdown report (an HTML comment: invisible once rendered).
pub const MARKER: &str = "<!-- otelsnap-diff -->";

/// Escapes text for a Markdown table cell (no raw HTML, no column breaks, no @-mentions, no
/// links, emphasis or code spans made of telemetry).
pub fn cell(s: &str) -> String {
    // Control characters are made visible first (newlines stay, as <br> below).
    super::escape::term_lines(s)
        .replace('\\', "\\\\")
        .replace('`', "\\`")
        .replace('*', "\\*")
        .replace('[', "\\[")
        .replace(']', "\\]")
        .replace('~', "\\~")
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace('@', "&#64;")
        .replace('\r', "")
        .replace('\n', "<br>")
}

/// Escapes text for HTML inside the Markdown (the `<summary>` line): markup, `@` so a name
/// cannot mention a user, and link, emphasis and code syntax in case a renderer reads
/// Markdown there.
fn html(s: &str) -> String {
    super::escape::term(&s.replace(['\r', '\n'], " "))
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('@', "&#64;")
        .replace('[', "&#91;")
        .replace(']', "&#93;")
        .replace('`', "&#96;")
        .replace('*', "&#42;")
}

/// A code span for a table cell: literal text (no markup, links or mentions inside), fenced by
/// more backticks than any run in it, control characters (newlines too) made visible, and
/// pipes escaped, which GitHub's tables honour even inside code.
fn code(s: &str) -> String {
    code_span(s, true)
}

/// [`code`] outside a table, where a backslash before a pipe would show.
fn code_span(s: &str, in_table: bool) -> String {
    if s.is_empty() {
        return "\"\"".to_string();
    }
    let s = super::escape::term(s);
    let fence = "`".repeat(longest_run(&s, '`') + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    let s = if in_table {
        s.replace('|', "\\|")
    } else {
        s.into_owned()
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// The longest run of `c` in `s`.
fn longest_run(s: &str, c: char) -> usize {
    let mut longest = 0;
    let mut run = 0;
    for x in s.chars() {
        run = if x == c { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

/// The paste-ready snippets the verdict rules attach to a critical label finding
/// (`metadata.fixes`), inside the change they fix: each in a fenced YAML block that its text
/// cannot close.
fn fixes(out: &mut String, c: &Change) {
    use super::fix::fenced;
    for f in super::fix::fixes_of(c) {
        let resource = f.scope == "resource";
        out.push_str(&format!(
            "**Suggested fix:** drop {} {} from {}\n\n",
            if resource {
                "resource attribute"
            } else {
                "label"
            },
            code_span(&f.key, false),
            code_span(&f.metric, false),
        ));
        if let Some(view) = &f.sdk_view {
            out.push_str(
                "In the application, an OpenTelemetry SDK view (declarative configuration):\n\n",
            );
            out.push_str(&fenced("yaml", view));
            out.push_str(
                "\nOr in the pipeline, an OpenTelemetry Collector transform processor:\n\n",
            );
        } else {
            out.push_str("In the pipeline, an OpenTelemetry Collector transform processor (SDK views cannot drop resource attributes):\n\n");
        }
        out.push_str(&fenced("yaml", &f.collector));
        out.push('\n');
    }
}

fn value(v: &serde_json::Value) -> String {
    // A verdict finding's side: `{verdict, confidence, reason}`; the reason is in the message.
    if let Some(verdict) = v.get("verdict").and_then(serde_json::Value::as_str) {
        return match v.get("confidence").and_then(serde_json::Value::as_f64) {
            Some(c) => format!("{} ({:.0}%)", cell(verdict), c * 100.0),
            None => cell(verdict),
        };
    }
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

/// The number, percentage or estimate of a key, `—` where the side has no such key.
fn count(ks: Option<&KeyStats>) -> String {
    ks.map_or("—".into(), |k| with_commas(k.count))
}

fn pct(ks: Option<&KeyStats>) -> String {
    ks.map_or("—".into(), |k| format!("{:.1}%", k.percentage))
}

fn estimate(ks: Option<&KeyStats>) -> String {
    ks.map_or("—".into(), |k| {
        format!(
            "{}{}",
            if k.approximate { "≈" } else { "" },
            with_commas(k.estimated_cardinality)
        )
    })
}

/// A few value samples as code spans, each cut to [`SAMPLE_CHARS`].
fn samples(values: &[String]) -> String {
    let mut parts: Vec<String> = values
        .iter()
        .take(SAMPLES)
        .map(|v| {
            let cut: String = v.chars().take(SAMPLE_CHARS).collect();
            let more = if cut.len() < v.len() { "…" } else { "" };
            format!("{}{more}", code(&cut))
        })
        .collect();
    if values.len() > SAMPLES {
        parts.push(format!("+{}", values.len() - SAMPLES));
    }
    parts.join(", ")
}

/// An item's key maps as the tables group them: (scope shown, field prefix in the diff, keys).
type Groups<'a> = Vec<(String, String, &'a KeyStatsMap)>;

fn groups<'a>(s: &'a Session, kind: ItemKind, name: &str) -> Groups<'a> {
    let d = &s.data;
    let mut out: Groups<'a> = Vec::new();
    match kind {
        ItemKind::Metric => {
            for m in d.metrics.iter().filter(|m| m.name == name) {
                out.push(("label".into(), "label_keys".into(), &m.label_keys));
                out.push(("resource".into(), "resource_keys".into(), &m.resource_keys));
            }
        }
        ItemKind::Span => {
            let spans: Vec<_> = d.spans.iter().filter(|x| x.name == name).collect();
            for x in &spans {
                // The diff matches spans by name; several kinds of one name are told apart.
                let kind = if spans.len() > 1 {
                    format!("{} ", x.kind_name)
                } else {
                    String::new()
                };
                out.push((
                    format!("{kind}attribute"),
                    "attribute_keys".into(),
                    &x.attribute_keys,
                ));
                out.push((
                    format!("{kind}resource"),
                    "resource_keys".into(),
                    &x.resource_keys,
                ));
                out.push((
                    format!("{kind}link"),
                    "link_attribute_keys".into(),
                    &x.link_attribute_keys,
                ));
                for (ev, keys) in &x.event_attribute_keys {
                    out.push((
                        format!("{kind}event {ev}"),
                        format!("event_attribute_keys.{ev}"),
                        keys,
                    ));
                }
            }
        }
        ItemKind::Log => {
            for x in d.logs.iter().filter(|x| x.severity == name) {
                out.push((
                    "attribute".into(),
                    "attribute_keys".into(),
                    &x.attribute_keys,
                ));
                out.push(("resource".into(), "resource_keys".into(), &x.resource_keys));
            }
        }
        ItemKind::Attribute => {}
    }
    out
}

/// Whether the change is about the item's keys: a detail names one, or the item's series
/// (which its label keys make), or the whole item came or went with its keys.
fn about_keys(c: &Change) -> bool {
    c.change_type != ChangeType::Changed
        || c.details.iter().any(|d| {
            d.field == "active_series"
                || d.key.is_some()
                || [
                    "label_keys.",
                    "resource_keys.",
                    "attribute_keys.",
                    "link_attribute_keys.",
                    "event_attribute_keys.",
                ]
                .iter()
                .any(|g| d.field.starts_with(g))
        })
}

/// A key's verdict and confidence, `unbounded (97%)`, when its session recorded evidence.
fn verdict_of(ks: Option<&KeyStats>) -> Option<String> {
    let e = ks?.evidence.as_deref()?;
    Some(format!("{} ({:.0}%)", e.verdict, e.confidence * 100.0))
}

/// A key's statistics in FROM and in TO.
type Sides<'a> = (Option<&'a KeyStats>, Option<&'a KeyStats>);

/// Both sessions' key tables for a change, side by side in one table: a row per key of
/// either side, FROM's columns then TO's. Keys the change names come first, in bold.
fn key_table(out: &mut String, c: &Change, from: &Session, to: &Session) {
    if c.signal_type == ItemKind::Attribute {
        return attribute_table(out, c, from, to);
    }
    if !about_keys(c) {
        return;
    }
    let (gf, gt) = (
        groups(from, c.signal_type, &c.name),
        groups(to, c.signal_type, &c.name),
    );
    // (scope, group, key) → (FROM stats, TO stats)
    let mut rows: std::collections::BTreeMap<(String, String, &str), Sides<'_>> =
        std::collections::BTreeMap::new();
    for (side, gs) in [(0, &gf), (1, &gt)] {
        for (scope, group, keys) in gs {
            for (k, ks) in keys.iter() {
                let e = rows
                    .entry((scope.clone(), group.clone(), k.as_str()))
                    .or_default();
                if side == 0 {
                    e.0 = Some(ks)
                } else {
                    e.1 = Some(ks)
                }
            }
        }
    }
    if rows.is_empty() {
        return;
    }
    let hit = |group: &str, key: &str| {
        let at = format!("{group}.{key}");
        c.details.iter().any(|d| {
            d.field == at
                || d.field
                    .strip_prefix(&at)
                    .is_some_and(|r| r.starts_with('.'))
        })
    };
    let big = |(a, b): &Sides<'_>| {
        a.map_or(0, |k| k.estimated_cardinality)
            .max(b.map_or(0, |k| k.estimated_cardinality))
    };
    let mut rows: Vec<_> = rows
        .into_iter()
        .map(|((scope, group, key), v)| (hit(&group, key), scope, key, v))
        .collect();
    // Stable: ties keep scope and key order.
    rows.sort_by(|a, b| b.0.cmp(&a.0).then(big(&b.3).cmp(&big(&a.3))));
    out.push_str(&format!(
        "Keys of FROM ({}) and TO ({}) side by side{}:\n\n",
        cell(&from.id),
        cell(&to.id),
        if rows.iter().any(|r| r.0) {
            "; in bold, the keys this change is about"
        } else {
            ""
        }
    ));
    // The verdict column appears once the sessions carry verdict evidence (issue #16).
    let verdicts = rows
        .iter()
        .any(|r| verdict_of(r.3.0).is_some() || verdict_of(r.3.1).is_some());
    out.push_str("| scope | key | FROM count | FROM % | FROM cardinality | FROM samples | TO count | TO % | TO cardinality | TO samples |");
    out.push_str(if verdicts { " verdict |\n" } else { "\n" });
    out.push_str("|---|---|--:|--:|--:|---|--:|--:|--:|---|");
    out.push_str(if verdicts { "---|\n" } else { "\n" });
    for (hit, scope, key, (a, b)) in rows.iter().take(KEY_ROWS) {
        let key = if *hit {
            format!("**{}**", code(key))
        } else {
            code(key)
        };
        out.push_str(&format!(
            "| {} | {key} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            cell(scope),
            count(*a),
            pct(*a),
            estimate(*a),
            a.map_or(String::new(), |k| samples(&k.value_samples)),
            count(*b),
            pct(*b),
            estimate(*b),
            b.map_or(String::new(), |k| samples(&k.value_samples)),
        ));
        if verdicts {
            // TO's verdict, else FROM's (a removed key), saying which.
            let v = match (verdict_of(*b), verdict_of(*a)) {
                (Some(v), _) => v,
                (None, Some(v)) => format!("{v} (FROM)"),
                (None, None) => String::new(),
            };
            out.pop();
            out.push_str(&format!(" {v} |\n"));
        }
    }
    if rows.len() > KEY_ROWS {
        out.push_str(&format!(
            "\n_{} more keys not shown; the HTML report (`--format html`) lists them all._\n",
            rows.len() - KEY_ROWS
        ));
    }
    out.push('\n');
}

/// An attribute of the catalog is itself a key: one row per side.
fn attribute_table(out: &mut String, c: &Change, from: &Session, to: &Session) {
    fn find<'s>(s: &'s Session, key: &str) -> Option<&'s crate::session::AttributeMeta> {
        s.data.attributes.iter().find(|a| a.key == key)
    }
    let sides = [("FROM", find(from, &c.name)), ("TO", find(to, &c.name))];
    let verdict = |a: &crate::session::AttributeMeta| {
        a.evidence
            .as_deref()
            .map(|e| format!("{} ({:.0}%)", e.verdict, e.confidence * 100.0))
    };
    let verdicts = sides.iter().any(|(_, a)| a.and_then(verdict).is_some());
    out.push_str("| session | count | cardinality | scope | signals | samples |");
    out.push_str(if verdicts { " verdict |\n" } else { "\n" });
    out.push_str("|---|--:|--:|---|---|---|");
    out.push_str(if verdicts { "---|\n" } else { "\n" });
    for (label, a) in &sides {
        match a {
            Some(a) => out.push_str(&format!(
                "| {label} | {} | {}{} | {} | {} | {} |",
                with_commas(a.count),
                if a.approximate { "≈" } else { "" },
                with_commas(a.estimated_cardinality),
                cell(&a.scope),
                cell(&a.signal_types.join(", ")),
                samples(&a.value_samples),
            )),
            None => out.push_str(&format!("| {label} | — | — |  |  | absent |")),
        }
        if verdicts {
            out.push_str(&format!(" {} |", a.and_then(verdict).unwrap_or_default()));
        }
        out.push('\n');
    }
    out.push('\n');
}

fn change_block(out: &mut String, c: &Change, sessions: Option<(&Session, &Session)>) {
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
    fixes(out, c);
    if let Some((from, to)) = sessions {
        key_table(out, c, from, to);
    }
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

/// The whole Markdown output, without key tables (no sessions at hand).
pub fn render(r: &DiffReport) -> String {
    render_with(r, None)
}

/// The whole Markdown output; with the two sessions, each change about keys carries both
/// sides' key tables. At most [`COMMENT_MAX`] bytes.
pub fn render_with(r: &DiffReport, sessions: Option<(&Session, &Session)>) -> String {
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
    let mut fit = Fit::default();
    for c in &above {
        if !fit.push(&mut out, c, sessions) {
            break;
        }
    }
    if !below.is_empty() && fit.left_out.is_empty() {
        out.push_str(&format!(
            "\n{} change{} below {t}:\n\n",
            below.len(),
            if below.len() == 1 { "" } else { "s" }
        ));
        for c in &below {
            if !fit.push(&mut out, c, sessions) {
                break;
            }
        }
    }
    fit.notes(&mut out, r);
    out
}

/// Keeps the output within [`COMMENT_MAX`]: a change goes in whole, else without its key
/// tables, else it and every change after it are left out (the ranking stays in order).
#[derive(Default)]
struct Fit<'a> {
    without_keys: usize,
    left_out: Vec<&'a Change>,
}

impl<'a> Fit<'a> {
    fn push(
        &mut self,
        out: &mut String,
        c: &'a Change,
        sessions: Option<(&Session, &Session)>,
    ) -> bool {
        if !self.left_out.is_empty() {
            self.left_out.push(c);
            return false;
        }
        let room = COMMENT_MAX - NOTE_ROOM;
        let mut block = String::new();
        change_block(&mut block, c, sessions);
        if out.len() + block.len() > room && sessions.is_some() {
            block.clear();
            change_block(&mut block, c, None);
            self.without_keys += 1;
        }
        if out.len() + block.len() > room {
            self.without_keys -= usize::from(sessions.is_some());
            self.left_out.push(c);
            return false;
        }
        out.push_str(&block);
        true
    }

    fn notes(&mut self, out: &mut String, r: &'a DiffReport) {
        if self.left_out.is_empty() && self.without_keys == 0 {
            return;
        }
        if !self.left_out.is_empty() {
            // Every change after the first left out is left out too.
            let first = self.left_out[0];
            let at = r
                .changes
                .iter()
                .position(|c| std::ptr::eq(c, first))
                .unwrap_or(0);
            self.left_out = r.changes[at..].iter().collect();
        }
        let n = self.left_out.len();
        let by = |s: Severity| self.left_out.iter().filter(|c| c.severity == s).count();
        out.push('\n');
        if n > 0 {
            let counts: Vec<String> = [Severity::Critical, Severity::Warning, Severity::Info]
                .into_iter()
                .filter(|s| by(*s) > 0)
                .map(|s| format!("{} {s}", by(s)))
                .collect();
            out.push_str(&format!(
                "> **⚠ {n} more change{} not shown ({}):** a GitHub comment holds at most {} characters. `otelsnap diff --format html` or `--format json` lists every change.\n",
                if n == 1 { "" } else { "s" },
                counts.join(", "),
                with_commas(COMMENT_MAX as u64),
            ));
        }
        if self.without_keys > 0 {
            out.push_str(&format!(
                "> {} change{} shown without {} key tables to keep this comment within GitHub's limit.\n",
                self.without_keys,
                if self.without_keys == 1 { "" } else { "s" },
                if self.without_keys == 1 { "its" } else { "their" },
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_hold_any_text_literally_in_one_cell() {
        assert_eq!(code("user_id"), "`user_id`");
        assert_eq!(code(""), "\"\"");
        // A fence longer than any backtick run inside; padded where the text touches it.
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("``x``"), "``` ``x`` ```");
        // Pipes escaped for the table, controls and newlines visible, markup left as text.
        assert_eq!(code("a|b\nc<b>@x"), "`a\\|b\\nc<b>@x`");
    }

    fn change_with_fixes(fixes: serde_json::Value) -> Change {
        Change {
            change_type: ChangeType::Changed,
            signal_type: ItemKind::Metric,
            name: "m".into(),
            severity: Severity::Critical,
            services: vec![],
            details: vec![],
            metadata: [("fixes".to_string(), fixes)].into_iter().collect(),
            fingerprint: "f".into(),
            magnitude: 1.0,
        }
    }

    #[test]
    fn fixes_are_fenced_past_any_backticks_in_them() {
        let yaml = "instrument_name: \"a```b\"\n";
        let c = change_with_fixes(serde_json::json!([
            {"metric": "a```b", "key": "user|id", "scope": "label", "sdk_view": yaml, "collector": "processors: {}\n"},
            {"metric": "a", "key": "host", "scope": "resource", "collector": "processors: {}\n"}
        ]));
        let mut out = String::new();
        fixes(&mut out, &c);
        assert!(
            out.starts_with("**Suggested fix:** drop label `user|id` from ````a```b````\n"),
            "{out}"
        );
        assert!(
            out.contains("````yaml\ninstrument_name: \"a```b\"\n````\n"),
            "{out}"
        );
        assert!(out.contains("```yaml\nprocessors: {}\n```\n"), "{out}");
        assert!(
            out.contains("drop resource attribute `host` from `a`"),
            "{out}"
        );
        assert!(
            out.contains("SDK views cannot drop resource attributes"),
            "{out}"
        );
        assert_eq!(out.matches("**Suggested fix:**").count(), 2, "{out}");
        let mut none = String::new();
        fixes(&mut none, &change_with_fixes(serde_json::json!("x")));
        assert_eq!(none, "");
    }

    #[test]
    fn samples_are_few_and_short() {
        let many: Vec<String> = (0..5).map(|i| format!("v{i}")).collect();
        assert_eq!(samples(&many), "`v0`, `v1`, `v2`, +2");
        let long = vec!["x".repeat(100)];
        assert_eq!(samples(&long), format!("`{}`…", "x".repeat(40)));
    }

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
