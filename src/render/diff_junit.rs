//! `diff --format junit`: JUnit XML for CI test-report views. One `<testsuite>` per signal
//! (metrics, spans, logs, attributes), one `<testcase>` per changed item; a case fails when the
//! change is at or above the exit threshold (`--fail-on`, default `--min-severity`), so the
//! report's failures are exactly what makes `diff` exit 1. Signals not compared are skipped cases.

use crate::diff::{Change, DiffReport, ItemKind};
use crate::render::wording;

/// Escapes text for XML content and attribute values. Characters XML 1.0 cannot carry at all
/// (most C0 controls) become U+FFFD: telemetry is untrusted and a parser must not choke on it.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Kept, but as references so attribute values keep them (parsers normalize raw ones).
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn fails(r: &DiffReport, c: &Change) -> bool {
    r.filters.fail_on.is_some_and(|t| c.severity >= t)
}

/// The detail lines of a change, as the table words them, with rule and fingerprint so an
/// ignore entry can be written from the report.
fn body(c: &Change) -> String {
    let mut lines: Vec<String> = c
        .details
        .iter()
        .map(|d| {
            format!(
                "{}: {} [rule {}, fingerprint {}]",
                d.severity,
                wording::detail(d),
                d.rule,
                d.fingerprint
            )
        })
        .collect();
    if !c.services.is_empty() {
        lines.push(format!("services: {}", c.services.join(", ")));
    }
    lines.push(format!("change fingerprint: {}", c.fingerprint));
    lines.join("\n")
}

/// The whole document.
pub fn render(r: &DiffReport) -> String {
    let kinds: Vec<ItemKind> = ItemKind::ALL
        .into_iter()
        .filter(|k| r.filters.wants(*k))
        .collect();
    let title = format!("otelsnap diff {} -> {}", r.from.id, r.to.id);
    let notes = wording::notes(r);
    let mut suites = String::new();
    let (mut all_tests, mut all_failures, mut all_skipped) = (0usize, 0usize, 0usize);
    for kind in kinds {
        let changes: Vec<&Change> = r.changes.iter().filter(|c| c.signal_type == kind).collect();
        let skipped: Vec<_> = r
            .not_compared
            .iter()
            .filter(|n| n.signal == kind.plural())
            .collect();
        let failures = changes.iter().filter(|c| fails(r, c)).count();
        let tests = changes.len() + skipped.len();
        all_tests += tests;
        all_failures += failures;
        all_skipped += skipped.len();
        suites.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{}\">\n",
            kind.plural(),
            skipped.len()
        ));
        if !notes.is_empty() {
            // Signals one side lacks and incomplete sides, where JUnit readers show a suite's facts.
            suites.push_str("    <properties>\n");
            for n in &notes {
                suites.push_str(&format!(
                    "      <property name=\"otelsnap.note\" value=\"{}\"/>\n",
                    xml_escape(n)
                ));
            }
            suites.push_str("    </properties>\n");
        }
        for n in skipped {
            suites.push_str(&format!(
                "    <testcase classname=\"otelsnap.{}\" name=\"{} not compared\">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                kind.plural(),
                kind.plural(),
                xml_escape(&format!(
                    "{} were captured only by {}, so they were not compared",
                    n.signal, n.captured_by
                ))
            ));
        }
        for c in changes {
            let name = format!("{} {} ({})", kind.as_str(), c.name, c.change_type.as_str());
            suites.push_str(&format!(
                "    <testcase classname=\"otelsnap.{}\" name=\"{}\">\n",
                kind.plural(),
                xml_escape(&name)
            ));
            let first = c.details.first().map(wording::detail).unwrap_or_default();
            let text = xml_escape(&body(c));
            if fails(r, c) {
                suites.push_str(&format!(
                    "      <failure type=\"{}\" message=\"{}\">{text}</failure>\n",
                    c.severity,
                    xml_escape(&format!("{}: {first}", c.severity))
                ));
            } else {
                suites.push_str(&format!("      <system-out>{text}</system-out>\n"));
            }
            suites.push_str("    </testcase>\n");
        }
        suites.push_str("  </testsuite>\n");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"{}\" tests=\"{all_tests}\" failures=\"{all_failures}\" errors=\"0\" skipped=\"{all_skipped}\">\n{suites}</testsuites>\n",
        xml_escape(&title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_controls() {
        assert_eq!(
            xml_escape("a<b>&\"c'\u{1b}[31m\n"),
            "a&lt;b&gt;&amp;&quot;c&apos;\u{FFFD}[31m&#10;"
        );
    }
}
