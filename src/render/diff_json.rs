//! `diff --format json`: the report as one JSON document (schema in docs/diff-json.md).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::diff::rules::{Rule, RulesView};
use crate::diff::{
    Change, ChangeType, Detail, DiffReport, IncompleteSide, ItemKind, NotCompared, NotJudged,
    Severity, SideInfo, SignalGap, Summary,
};
use crate::render::wording;

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
    /// Signals one side holds none of (absent when there are none).
    #[serde(skip_serializing_if = "<[SignalGap]>::is_empty")]
    pub signal_gaps: &'a [SignalGap],
    /// Incomplete sides and the findings each left unjudged (absent when both are complete).
    #[serde(skip_serializing_if = "<[IncompleteSide]>::is_empty")]
    pub incomplete: &'a [IncompleteSide],
    /// The header's notes as the other formats word them (absent when there are none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    pub summary: &'a Summary,
    pub max_severity: Option<Severity>,
    pub exit_code: u8,
    pub changes: Vec<ChangeDoc<'a>>,
}

/// One change as the JSON shows it (OCC's `Change`, plus `services` and `fingerprint`).
#[derive(Debug, Serialize)]
pub struct ChangeDoc<'a> {
    #[serde(rename = "type")]
    pub change_type: ChangeType,
    pub signal_type: ItemKind,
    pub name: &'a str,
    pub severity: Severity,
    pub services: &'a [String],
    pub details: Vec<DetailDoc<'a>>,
    #[serde(skip_serializing_if = "no_metadata")]
    pub metadata: &'a BTreeMap<String, Value>,
    pub fingerprint: &'a str,
}

/// One detail as the JSON shows it: the data, and its message in the shared wording.
#[derive(Debug, Serialize)]
pub struct DetailDoc<'a> {
    pub field: &'a str,
    pub from: &'a Value,
    pub to: &'a Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_pct: Option<f64>,
    pub severity: Severity,
    pub rule: Rule,
    pub message: String,
    pub fingerprint: &'a str,
    /// Set when an incomplete side could explain the finding (it is then at info).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_judged: Option<&'a NotJudged>,
}

fn no_metadata(m: &&BTreeMap<String, Value>) -> bool {
    m.is_empty()
}

impl<'a> ChangeDoc<'a> {
    /// The JSON view of a change.
    pub fn of(c: &'a Change) -> ChangeDoc<'a> {
        ChangeDoc {
            change_type: c.change_type,
            signal_type: c.signal_type,
            name: &c.name,
            severity: c.severity,
            services: &c.services,
            details: c.details.iter().map(DetailDoc::of).collect(),
            metadata: &c.metadata,
            fingerprint: &c.fingerprint,
        }
    }
}

impl<'a> DetailDoc<'a> {
    /// The JSON view of a detail.
    pub fn of(d: &'a Detail) -> DetailDoc<'a> {
        DetailDoc {
            field: &d.field,
            from: &d.from,
            to: &d.to,
            change_pct: d.change_pct,
            severity: d.severity,
            rule: d.rule,
            message: wording::detail(d),
            fingerprint: &d.fingerprint,
            not_judged: d.not_judged.as_ref(),
        }
    }
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
        signal_gaps: &r.signal_gaps,
        incomplete: &r.incomplete,
        notes: wording::notes(r),
        summary: &r.summary,
        max_severity: r.max_severity,
        exit_code: r.exit_code,
        changes: r.changes.iter().map(ChangeDoc::of).collect(),
    }
}

/// Pretty-printed JSON with a trailing newline.
pub fn render(r: &DiffReport) -> String {
    // Plain structs and maps with string keys always serialize.
    let mut s = serde_json::to_string_pretty(&doc(r)).unwrap_or_default();
    s.push('\n');
    s
}
