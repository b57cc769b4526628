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

/// The whole output: one command per change, plus one notice per signal not compared.
pub fn render(r: &DiffReport) -> String {
    let mut out = String::new();
    for nc in &r.not_compared {
        out.push_str(&format!(
            "::notice title={}::{}\n",
            escape_property(&format!("otelsnap diff: {} not compared", nc.signal)),
            escape_data(&format!(
                "{} were captured only by {}, so they were not compared",
                nc.signal, nc.captured_by
            ))
        ));
    }
    for c in &r.changes {
        let title = format!(
            "{} {} {} {}",
            c.severity,
            c.signal_type.as_str(),
            c.name,
            c.change_type.as_str()
        );
        let mut lines: Vec<String> = c
            .details
            .iter()
            .map(|d| format!("{} [{}, {}]", wording::detail(d), d.rule, d.fingerprint))
            .collect();
        if !c.services.is_empty() {
            lines.push(format!("services: {}", c.services.join(", ")));
        }
        out.push_str(&format!(
            "::{} title={}::{}\n",
            command(c.severity),
            escape_property(&title),
            escape_data(&lines.join("\n"))
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
