//! `diff --format github`: GitHub Actions workflow commands, one annotation per change.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

use crate::diff::{DiffReport, Severity};
use crate::render::wording;

/// Escapes a workflow-command message (`%`, CR, LF).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow-command property value (also `:` and `,`).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn command(sev: Severity) -> &'static str {
    match sev {
        Severity::Critical => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

/// Annotations GitHub shows per step and per level (10 errors and 10 warnings); more are
/// dropped by GitHub without a word, so we stop there and say so in one notice.
pub const MAX_PER_LEVEL: usize = 10;

/// The whole output: an `error` (critical) or `warning` annotation per change at warning or
/// above, at most [`MAX_PER_LEVEL`] of each, then one `notice` for everything not annotated
/// (info changes, changes over the limit, signals not compared). `file` (--location) attaches
/// each annotation to that file.
pub fn render(r: &DiffReport, file: Option<&str>) -> String {
    let mut out = String::new();
    let file_prop = file
        .map(|f| format!("file={},", escape_property(f)))
        .unwrap_or_default();
    let (mut errors, mut warnings) = (0usize, 0usize);
    let mut held_back = [0usize; 3]; // critical, warning, info
    for c in &r.changes {
        let slot = match c.severity {
            Severity::Critical => &mut errors,
            Severity::Warning => &mut warnings,
            Severity::Info => {
                held_back[2] += 1;
                continue;
            }
        };
        if *slot >= MAX_PER_LEVEL {
            held_back[if c.severity == Severity::Critical {
                0
            } else {
                1
            }] += 1;
            continue;
        }
        *slot += 1;
        let title = format!(
            "{} {} {} {}",
            c.severity,
            c.signal_type.as_str(),
            super::escape::term(&c.name),
            c.change_type.as_str()
        );
        let mut lines: Vec<String> = c
            .details
            .iter()
            .map(|d| format!("{} [{}, {}]", wording::detail(d), d.rule, d.fingerprint))
            .collect();
        if !c.services.is_empty() {
            lines.push(format!(
                "services: {}",
                super::escape::term(&c.services.join(", "))
            ));
        }
        out.push_str(&format!(
            "::{} {file_prop}title={}::{}\n",
            command(c.severity),
            escape_property(&title),
            escape_data(&super::escape::term_lines(&lines.join("\n")))
        ));
    }
    let mut rest = Vec::new();
    let [crit, warn, info] = held_back;
    if crit + warn > 0 {
        rest.push(format!(
            "{} not annotated (GitHub shows at most {MAX_PER_LEVEL} errors and {MAX_PER_LEVEL} warnings per step)",
            [
                (crit, "critical change", "critical changes"),
                (warn, "warning", "warnings")
            ]
            .iter()
            .filter(|(n, _, _)| *n > 0)
            .map(|(n, one, many)| format!("{n} more {}", if *n == 1 { one } else { many }))
                .collect::<Vec<_>>()
                .join(" and ")
        ));
    }
    if info > 0 {
        rest.push(format!(
            "{info} info {}",
            if info == 1 { "change" } else { "changes" }
        ));
    }
    rest.extend(wording::notes(r));
    if !rest.is_empty() {
        out.push_str(&format!(
            "::notice title={}::{}\n",
            escape_property("otelsnap diff: more in the full report"),
            escape_data(&format!(
                "{}; the full list: otelsnap diff --format markdown (job summary) or --format json",
                rest.join("; ")
            ))
        ));
    }
    out
}

/// Appends `critical=N`, `warning=N`, `info=N` to the `$GITHUB_OUTPUT` file.
pub fn append_outputs(path: &Path, r: &DiffReport) -> anyhow::Result<()> {
    let s = &r.summary;
    let text = format!(
        "critical={}\nwarning={}\ninfo={}\n",
        s.critical, s.warning, s.info
    );
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .with_context(|| {
            format!(
                "cannot append to the GITHUB_OUTPUT file {}; unset GITHUB_OUTPUT or fix the path",
                path.display()
            )
        })
}
