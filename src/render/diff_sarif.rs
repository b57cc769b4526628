//! `diff --format sarif`: SARIF 2.1.0 for code-scanning views (GitHub code scanning, GitLab,
//! Azure DevOps). The rules are the diff rules (with their effective severity as the default
//! level); each detail of a shown change is one result, with its level, message, the item in a
//! logical location, the fingerprints (so a view tracks a finding across runs and an ignore
//! entry can be written from it), and a physical location: the baseline file, or the path given
//! with `--location` (code scanning shows only results located in the repository).

use serde_json::{Value, json};

use crate::diff::rules::Rule;
use crate::diff::{DiffReport, Severity};
use crate::render::wording;

/// The SARIF version written.
pub const SARIF_VERSION: &str = "2.1.0";
const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// SARIF's level for a severity.
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// One line on what each rule finds (the rules-file reference is docs/diff-json.md).
fn describe(rule: Rule) -> &'static str {
    match rule {
        Rule::CardinalityCritical => {
            "An estimated cardinality (label key, attribute, active series) grew by at least the critical ratio"
        }
        Rule::CardinalityWarning => "An estimated cardinality grew by at least the warning ratio",
        Rule::SampleRate => "A sample rate grew by at least the sample-rate ratio",
        Rule::NewHighCardinality => {
            "A new key, metric, span or log severity has more distinct values than the threshold"
        }
        Rule::MetricRemoved => "A metric disappeared",
        Rule::LabelRemoved => "A metric label key disappeared (queries grouping by it break)",
        Rule::TypeChanged => "A metric's type changed",
        Rule::UnitChanged => "A metric's unit changed",
        Rule::TemporalityChanged => "A metric's aggregation temporality changed",
        Rule::MonotonicityChanged => "A sum's monotonicity changed",
        Rule::BoundsChanged => "A histogram's bucket bounds changed",
        Rule::TemplateShare => "A log body template's share of its severity moved beyond tolerance",
        Rule::UnboundedLabel => {
            "A new metric label or resource key is judged unbounded, or an existing one turned unbounded"
        }
        Rule::UnboundedAttribute => {
            "A new span, event, link or log attribute is judged unbounded, or one turned unbounded"
        }
        Rule::SdkOverflow => {
            "A metric newly carries otel.metric.overflow: the SDK's cardinality limit overflowed"
        }
        Rule::UnboundedMetricNames => {
            "Metric names carry identifiers: a new name pattern (cache.hits.tenant_<n>) is judged unbounded"
        }
        Rule::UnboundedSpanNames => {
            "Span names carry identifiers: a new name pattern (GET /orders/<id>) is judged unbounded"
        }
        Rule::NearSeriesLimit => {
            "A metric's series newly reach the near-limit share of the SDK's cardinality limit"
        }
        Rule::Added => "Something appeared",
        Rule::Removed => "Something disappeared",
        Rule::Changed => "Something changed beyond tolerance",
    }
}

/// `cardinality_critical` → `CardinalityCritical` (SARIF's `name` is a PascalCase identifier).
fn pascal(id: &str) -> String {
    id.split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The whole log. `location` is the artifact every result points at (a repository-relative
/// path or URI), when there is one.
pub fn render(r: &DiffReport, location: Option<&str>) -> String {
    let rules: Vec<Value> = Rule::ALL
        .iter()
        .map(|&rule| {
            let sev = r
                .rules
                .severity
                .get(&rule)
                .copied()
                .unwrap_or(rule.default_severity());
            json!({
                "id": rule.as_str(),
                "name": pascal(rule.as_str()),
                "shortDescription": {"text": describe(rule)},
                "help": {"text": "Thresholds, severities and ignores: the rules file (docs/diff-json.md, \"Rules file\")"},
                "defaultConfiguration": {"level": level(sev)},
                "properties": {"otelsnap_severity": sev.as_str()},
            })
        })
        .collect();
    let index = |rule: Rule| Rule::ALL.iter().position(|&x| x == rule).unwrap_or(0);
    let mut results = Vec::new();
    for c in &r.changes {
        for d in &c.details {
            let item = format!("{} {}", c.signal_type.as_str(), c.name);
            let mut result = json!({
                "ruleId": d.rule.as_str(),
                "ruleIndex": index(d.rule),
                "level": level(d.severity),
                "message": {"text": format!("{item}: {}", wording::detail(d))},
                "partialFingerprints": {
                    "otelsnapDetail/v1": d.fingerprint,
                    "otelsnapChange/v1": c.fingerprint,
                },
                "properties": {
                    "severity": d.severity.as_str(),
                    "change": c.change_type.as_str(),
                    "signal": c.signal_type.plural(),
                    "item": c.name,
                    "field": d.field,
                    "services": c.services,
                },
            });
            let logical = json!([{
                "name": c.name,
                "fullyQualifiedName": format!("{}/{}", c.signal_type.plural(), c.name),
                "kind": "member",
            }]);
            let physical = location
                .map(|uri| json!({"artifactLocation": {"uri": uri}, "region": {"startLine": 1}}));
            result["locations"] = match physical {
                Some(p) => json!([{"physicalLocation": p, "logicalLocations": logical}]),
                None => json!([{"logicalLocations": logical}]),
            };
            results.push(result);
        }
    }
    let mut properties = json!({
        "from": r.from.id,
        "to": r.to.id,
        "rules_file": r.rules.source.as_ref().map(|p| p.display().to_string()),
        "exit_code": r.exit_code,
    });
    let notes = wording::notes(r);
    if !notes.is_empty() {
        // Signals one side lacks and incomplete sides: what a reader must know to trust it.
        properties["notes"] = json!(notes);
    }
    let doc = json!({
        "$schema": SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {"driver": {
                "name": "otelsnap",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "automationDetails": {"id": "otelsnap-diff/"},
            "properties": properties,
            "results": results,
        }],
    });
    // serde_json::Value always serializes.
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn pascal_names() {
        assert_eq!(super::pascal("cardinality_critical"), "CardinalityCritical");
        assert_eq!(super::pascal("added"), "Added");
    }
}
