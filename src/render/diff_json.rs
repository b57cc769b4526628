//! `diff --format json`: the report as one JSON document (schema in docs/diff-json.md).

use serde::Serialize;

use crate::diff::rules::RulesView;
use crate::diff::{Change, DiffReport, NotCompared, Severity, SideInfo, Summary};

/// Version of the JSON layout; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// The whole document, fields in the order they are written.
#[derive(Debug, Serialize)]
pub struct Doc<'a> {
    pub schema_version: u32,
    pub from: &'a SideInfo,
    pub to: &'a SideInfo,
    pub options: Options<'a>,
    pub not_compared: &'a [NotCompared],
    pub summary: &'a Summary,
    pub max_severity: Option<Severity>,
    pub exit_code: u8,
    pub changes: &'a [Change],
}

/// Thresholds and filters in effect.
#[derive(Debug, Serialize)]
pub struct Options<'a> {
    pub min_severity: Severity,
    /// `info`, `warning`, `critical` or `never`.
    pub fail_on: &'static str,
    /// Kinds compared (`metrics`, `spans`, `logs`, `attributes`); empty = all.
    pub signals: Vec<&'static str>,
    pub service: Option<&'a str>,
    /// `per_second` or `raw_counts`.
    pub rate_basis: &'static str,
    pub rules: RulesView,
}

/// Builds the document for a report.
pub fn doc(r: &DiffReport) -> Doc<'_> {
    let f = &r.filters;
    Doc {
        schema_version: SCHEMA_VERSION,
        from: &r.from,
        to: &r.to,
        options: Options {
            min_severity: f.min_severity,
            fail_on: f.fail_on.map(|s| s.as_str()).unwrap_or("never"),
            signals: f.kinds.iter().map(|k| k.plural()).collect(),
            service: f.service.as_deref(),
            rate_basis: r.rate_basis.as_str(),
            rules: r.rules.view(),
        },
        not_compared: &r.not_compared,
        summary: &r.summary,
        max_severity: r.max_severity,
        exit_code: r.exit_code,
        changes: &r.changes,
    }
}

/// Pretty-printed JSON with a trailing newline.
pub fn render(r: &DiffReport) -> String {
    // Plain structs and maps with string keys always serialize.
    let mut s = serde_json::to_string_pretty(&doc(r)).unwrap_or_default();
    s.push('\n');
    s
}
