//! Rules on key verdicts and SDK limits, applied after the field-by-field comparison.
//!
//! - a metric label or resource key that is new and `unbounded`, or existed and turned
//!   unbounded: [`Rule::UnboundedLabel`] (critical), whatever the counts;
//! - the same on span, event, link and log attributes: [`Rule::UnboundedAttribute`] (info:
//!   identifiers are normal there);
//! - a metric newly carrying `otel.metric.overflow` (the SDK collapsed series beyond its
//!   limit): [`Rule::SdkOverflow`] (critical);
//! - a metric newly at or above `near_limit_share` of `sdk_series_limit` series:
//!   [`Rule::NearSeriesLimit`] (warning).
//!
//! `unknown` never escalates: only an `unbounded` verdict on the newer side fires, and a key
//! whose older side has no evidence at all (an older session) is not said to have turned.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::evidence::{Evidence, KeySet, VerdictEvidence};
use super::fix;
use super::{Change, ChangeType, Detail, Filters, ItemKind, Rule, Rules, Severity, fingerprint};
use crate::session::{
    KeyStats, KeyStatsMap, MetricMeta, Session, Signal, Verdict, cost, evidence::verdict_of,
};

/// The attribute SDKs put on the one series that absorbs everything past the limit.
pub const OVERFLOW_KEY: &str = "otel.metric.overflow";

/// The change metadata entry holding the fixes of its critical label findings.
pub const FIXES: &str = "fixes";

/// One item's findings: kind, change type, name, details, services, fixes.
type Found = (
    ItemKind,
    ChangeType,
    String,
    Vec<Detail>,
    Vec<String>,
    Vec<fix::Fix>,
);

/// Each item of `to` with its counterpart in `from` (same identity), and whether it is changed
/// or added: the verdict rules judge what `to` has, so items only in `from` do not appear.
fn paired<'a, T, K: Ord>(
    from: &'a [T],
    to: &'a [T],
    identity: impl Fn(&'a T) -> K,
) -> impl Iterator<Item = (&'a T, Option<&'a T>, ChangeType)> {
    let before: BTreeMap<K, &'a T> = from.iter().map(|i| (identity(i), i)).collect();
    to.iter().map(move |i| {
        let old = before.get(&identity(i)).copied();
        let ctype = if old.is_some() {
            ChangeType::Changed
        } else {
            ChangeType::Added
        };
        (i, old, ctype)
    })
}

/// Adds the verdict and limit findings to `changes` (into the item's change when there is one).
pub(crate) fn apply(
    from: &Session,
    to: &Session,
    rules: &Rules,
    filters: &Filters,
    compared: &BTreeSet<Signal>,
    changes: &mut Vec<Change>,
) {
    let mut found: Vec<Found> = Vec::new();
    if filters.wants(ItemKind::Metric) && compared.contains(&Signal::Metrics) {
        for (m, fm, ctype) in paired(&from.data.metrics, &to.data.metrics, |m| m.name.as_str()) {
            let mut ds = Vec::new();
            for (scope, keys, old) in [
                ("label_keys", &m.label_keys, fm.map(|f| &f.label_keys)),
                (
                    "resource_keys",
                    &m.resource_keys,
                    fm.map(|f| &f.resource_keys),
                ),
            ] {
                for d in key_findings(scope, keys, old, Rule::UnboundedLabel, Some(m)) {
                    ds.push(detail(rules, ItemKind::Metric, ctype, &m.name, d));
                }
            }
            let mut fixes = Vec::new();
            for d in &ds {
                let Some(k) = d.key.as_deref() else { continue };
                if d.severity != Severity::Critical || d.rule != Rule::UnboundedLabel {
                    continue;
                }
                if d.field.starts_with("label_keys.") {
                    let others: Vec<&str> = m
                        .label_keys
                        .keys()
                        .map(crate::session::Key::as_str)
                        .filter(|o| *o != k)
                        .collect();
                    fixes.push(fix::for_label(&m.name, k, &others));
                } else {
                    fixes.push(fix::for_resource(&m.name, k));
                }
            }
            if let Some(d) = overflow(m, fm) {
                ds.push(detail(rules, ItemKind::Metric, ctype, &m.name, d));
            }
            if let Some(d) = near_limit(m, fm, rules) {
                ds.push(detail(rules, ItemKind::Metric, ctype, &m.name, d));
            }
            if !ds.is_empty() {
                let svc = m.services.keys().map(String::from).collect();
                found.push((ItemKind::Metric, ctype, m.name.clone(), ds, svc, fixes));
            }
        }
    }
    if filters.wants(ItemKind::Span) && compared.contains(&Signal::Traces) {
        let names = span_names(from, to);
        for (s, fs, ctype) in paired(&from.data.spans, &to.data.spans, |s| {
            (s.name.as_str(), s.kind)
        }) {
            let name = names(&s.name, &s.kind_name, s.kind);
            let mut ds = Vec::new();
            let empty = KeyStatsMap::new();
            let mut groups: Vec<(String, &KeyStatsMap, Option<&KeyStatsMap>)> = vec![
                (
                    "attribute_keys".into(),
                    &s.attribute_keys,
                    fs.map(|f| &f.attribute_keys),
                ),
                (
                    "link_attribute_keys".into(),
                    &s.link_attribute_keys,
                    fs.map(|f| &f.link_attribute_keys),
                ),
                (
                    "resource_keys".into(),
                    &s.resource_keys,
                    fs.map(|f| &f.resource_keys),
                ),
            ];
            for (ev, keys) in &s.event_attribute_keys {
                let old = fs.map(|f| f.event_attribute_keys.get(ev).unwrap_or(&empty));
                groups.push((format!("event_attribute_keys.{ev}"), keys, old));
            }
            for (scope, keys, old) in groups {
                let rule = if scope == "resource_keys" {
                    Rule::UnboundedLabel
                } else {
                    Rule::UnboundedAttribute
                };
                for d in key_findings(&scope, keys, old, rule, None) {
                    ds.push(detail(rules, ItemKind::Span, ctype, &name, d));
                }
            }
            if !ds.is_empty() {
                let svc = s.services.keys().map(String::from).collect();
                found.push((ItemKind::Span, ctype, name, ds, svc, Vec::new()));
            }
        }
    }
    if filters.wants(ItemKind::Log) && compared.contains(&Signal::Logs) {
        for (l, fl, ctype) in paired(&from.data.logs, &to.data.logs, |l| l.severity.as_str()) {
            let mut ds = Vec::new();
            for (scope, keys, old, rule) in [
                (
                    "attribute_keys",
                    &l.attribute_keys,
                    fl.map(|f| &f.attribute_keys),
                    Rule::UnboundedAttribute,
                ),
                (
                    "resource_keys",
                    &l.resource_keys,
                    fl.map(|f| &f.resource_keys),
                    Rule::UnboundedLabel,
                ),
            ] {
                for d in key_findings(scope, keys, old, rule, None) {
                    ds.push(detail(rules, ItemKind::Log, ctype, &l.severity, d));
                }
            }
            if !ds.is_empty() {
                let svc = l.services.keys().map(String::from).collect();
                found.push((
                    ItemKind::Log,
                    ctype,
                    l.severity.clone(),
                    ds,
                    svc,
                    Vec::new(),
                ));
            }
        }
    }
    for (kind, ctype, name, ds, services, fixes) in found {
        let fixes = (!fixes.is_empty()).then(|| serde_json::to_value(&fixes).unwrap_or_default());
        match changes
            .iter_mut()
            .find(|c| c.signal_type == kind && c.name == name)
        {
            Some(c) => {
                c.details.extend(ds);
                if let Some(f) = fixes {
                    c.metadata.insert(FIXES.into(), f);
                }
                c.settle();
            }
            None => {
                let mut c = Change {
                    fingerprint: fingerprint(kind, ctype, &name, ""),
                    change_type: ctype,
                    signal_type: kind,
                    name,
                    severity: Severity::Info,
                    services,
                    details: ds,
                    metadata: fixes
                        .map(|f| BTreeMap::from([(FIXES.to_string(), f)]))
                        .unwrap_or_default(),
                    magnitude: 0.0,
                };
                c.settle();
                changes.push(c);
            }
        }
    }
}

/// A finding before it becomes a [`Detail`].
struct Finding {
    field: String,
    key: Option<String>,
    from: Value,
    to: Value,
    rule: Rule,
    evidence: VerdictEvidence,
    magnitude: f64,
}

fn detail(rules: &Rules, kind: ItemKind, ctype: ChangeType, name: &str, f: Finding) -> Detail {
    Detail {
        fingerprint: fingerprint(kind, ctype, name, &f.field),
        field: f.field,
        from: f.from,
        to: f.to,
        change_pct: None,
        severity: rules.severity_of(f.rule),
        rule: f.rule,
        evidence: Evidence::Verdict(f.evidence),
        key: f.key,
        magnitude: f.magnitude,
        not_judged: None,
    }
}

/// The span display name the engine uses: the name, with its kind when a side has the name
/// under several kinds.
fn span_names(from: &Session, to: &Session) -> impl Fn(&str, &str, i32) -> String {
    let mut ambiguous: BTreeSet<String> = BTreeSet::new();
    for side in [&from.data.spans, &to.data.spans] {
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        for s in side {
            if !seen.insert(s.name.as_str()) {
                ambiguous.insert(s.name.clone());
            }
        }
    }
    move |name: &str, kind_name: &str, kind: i32| {
        if ambiguous.contains(name) {
            let k = if kind_name.is_empty() {
                format!("kind {kind}")
            } else {
                kind_name.to_string()
            };
            format!("{name} [{k}]")
        } else {
            name.to_string()
        }
    }
}

/// Findings for the keys of one map: new and unbounded, or turned unbounded.
fn key_findings(
    scope: &str,
    keys: &KeyStatsMap,
    old: Option<&KeyStatsMap>,
    rule: Rule,
    metric: Option<&MetricMeta>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for (k, ks) in keys {
        let Some(ev) = ks.evidence.as_deref() else {
            continue;
        };
        if ev.verdict != Verdict::Unbounded {
            continue;
        }
        let before: Option<&KeyStats> = old.and_then(|o| o.get(k.as_str()));
        let was = match before {
            None => None,
            Some(b) => match b.evidence.as_deref() {
                // The older side recorded no evidence: it cannot be said to have turned.
                None => continue,
                Some(_) if verdict_of(b.evidence.as_deref()) == Verdict::Unbounded => continue,
                Some(be) => Some(be.verdict),
            },
        };
        let set = if scope.starts_with("label") {
            KeySet::Label
        } else if scope.starts_with("resource") {
            KeySet::Resource
        } else if scope.starts_with("link") {
            KeySet::LinkAttribute
        } else if let Some(ev) = scope.strip_prefix("event_attribute_keys.") {
            KeySet::EventAttribute {
                event: ev.to_string(),
            }
        } else {
            KeySet::Attribute
        };
        out.push(Finding {
            field: format!("{scope}.{k}.verdict"),
            key: Some(k.to_string()),
            from: was.map_or(Value::Null, |w| json!(w.as_str())),
            to: json!({
                "verdict": ev.verdict.as_str(),
                "confidence": ev.confidence,
                "reason": ev.reason,
            }),
            rule,
            evidence: VerdictEvidence::Unbounded {
                set,
                key: k.to_string(),
                was,
                confidence: ev.confidence,
                reason: ev.reason.clone(),
                cost: metric.map(|m| cost::projection(m, Some(ks))),
            },
            magnitude: ks.estimated_cardinality.max(1) as f64,
        });
    }
    out
}

fn overflow(m: &MetricMeta, before: Option<&MetricMeta>) -> Option<Finding> {
    m.label_keys.get(OVERFLOW_KEY)?;
    if before.is_some_and(|b| b.label_keys.get(OVERFLOW_KEY).is_some()) {
        return None;
    }
    Some(Finding {
        field: format!("label_keys.{OVERFLOW_KEY}"),
        key: Some(OVERFLOW_KEY.into()),
        from: Value::Null,
        to: json!(true),
        rule: Rule::SdkOverflow,
        evidence: VerdictEvidence::Overflow,
        magnitude: m.active_series as f64,
    })
}

fn near_limit(m: &MetricMeta, before: Option<&MetricMeta>, rules: &Rules) -> Option<Finding> {
    let limit = rules.sdk_series_limit;
    let at = (limit as f64 * rules.near_limit_share).ceil() as u64;
    if limit == 0 || m.active_series < at || before.is_some_and(|b| b.active_series >= at) {
        return None;
    }
    Some(Finding {
        field: "active_series.sdk_limit".into(),
        key: None,
        from: before.map_or(Value::Null, |b| json!(b.active_series)),
        to: json!(m.active_series),
        rule: Rule::NearSeriesLimit,
        evidence: VerdictEvidence::NearLimit {
            series: m.active_series,
            limit,
        },
        magnitude: m.active_series as f64 / at as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::DiffReport;
    use crate::session::evidence::{Shape, ShapeSample};
    use crate::session::{KeyEvidence, LogMeta, MetricType, SpanMeta};

    /// Evidence with `n` distinct values of class `c` over `units`, growing like that.
    fn ev(c: Shape, n: u64, units: u64, growing: bool) -> KeyEvidence {
        let mut s = ShapeSample::default();
        for i in 0..n {
            let h = crate::sketch::hash_value(&i.to_le_bytes());
            if s.selects(h) && !s.contains(h) {
                s.insert(h, c as u8);
            }
        }
        let mut g = Vec::new();
        let mut u = 4;
        while u <= units {
            g.push([u, if growing { u * n / units } else { n }]);
            u *= 2;
        }
        KeyEvidence::new(&s, units, n, g)
    }

    fn ks(e: Option<KeyEvidence>, card: u64) -> KeyStats {
        KeyStats {
            count: 48,
            estimated_cardinality: card,
            evidence: e.map(Box::new),
            ..Default::default()
        }
    }

    fn metric(keys: &[(&str, KeyStats)], series: u64) -> MetricMeta {
        MetricMeta {
            name: "http.server.request.duration".into(),
            metric_type: MetricType::Histogram,
            explicit_bounds: vec![0.1, 1.0],
            label_keys: keys
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            active_series: series,
            sample_count: 48,
            ..Default::default()
        }
    }

    fn session(
        id: &str,
        metrics: Vec<MetricMeta>,
        spans: Vec<SpanMeta>,
        logs: Vec<LogMeta>,
    ) -> Session {
        let mut s = Session::new(id);
        s.signals = vec![Signal::Metrics, Signal::Traces, Signal::Logs];
        s.data.metrics = metrics;
        s.data.spans = spans;
        s.data.logs = logs;
        s.canonicalize();
        s
    }

    fn method() -> KeyStats {
        ks(Some(ev(Shape::Word, 4, 48, false)), 4)
    }

    fn details(r: &DiffReport, rule: Rule) -> Vec<&Detail> {
        r.changes
            .iter()
            .flat_map(|c| c.details.iter())
            .filter(|d| d.rule == rule)
            .collect()
    }

    fn diff(a: &Session, b: &Session, rules: &Rules) -> DiffReport {
        DiffReport::build(a, b, rules, &Filters::default())
    }

    #[test]
    fn a_new_unbounded_label_is_critical_with_48_values_and_carries_the_fix() {
        let a = session(
            "a",
            vec![metric(&[("method", method())], 4)],
            vec![],
            vec![],
        );
        let uuid = ks(Some(ev(Shape::Uuid, 48, 48, true)), 48);
        let b = session(
            "b",
            vec![metric(&[("method", method()), ("session_id", uuid)], 48)],
            vec![],
            vec![],
        );
        let r = diff(&a, &b, &Rules::default());
        let d = details(&r, Rule::UnboundedLabel);
        assert_eq!(d.len(), 1, "{:#?}", r.changes);
        assert_eq!(d[0].severity, Severity::Critical);
        assert_eq!(d[0].field, "label_keys.session_id.verdict");
        let Evidence::Verdict(VerdictEvidence::Unbounded {
            set,
            was,
            reason,
            cost,
            ..
        }) = &d[0].evidence
        else {
            panic!("{:?}", d[0].evidence)
        };
        assert_eq!((set, was), (&KeySet::Label, &None));
        assert!(
            reason.contains("48 of 48 values look like UUIDs"),
            "{reason}"
        );
        // 48 series × (2 bounds + +Inf + _sum + _count).
        assert_eq!(cost.as_ref().map(|c| c.backend), Some(240));
        assert_eq!(r.max_severity, Some(Severity::Critical));
        let c = r
            .changes
            .iter()
            .find(|c| c.name == "http.server.request.duration")
            .unwrap();
        let fixes = fix::fixes_of(c);
        assert_eq!(fixes.len(), 1);
        assert_eq!(
            (fixes[0].metric.as_str(), fixes[0].key.as_str()),
            ("http.server.request.duration", "session_id")
        );
        assert!(fixes[0].sdk_view.as_deref().unwrap().contains("\"method\""));
        // The older count rules alone would not have gated: 48 values is far below 1,000.
        let mut only_counts = Rules::default();
        only_counts
            .severity
            .insert(Rule::UnboundedLabel, Severity::Info);
        assert_eq!(
            diff(&a, &b, &only_counts).max_severity,
            Some(Severity::Info)
        );
    }

    #[test]
    fn an_existing_key_that_turns_unbounded_is_critical_but_unknown_never_escalates() {
        let before = ks(Some(ev(Shape::Code, 6, 60, false)), 6);
        let a = session("a", vec![metric(&[("tenant", before)], 6)], vec![], vec![]);
        let turned = ks(Some(ev(Shape::Uuid, 40, 48, true)), 40);
        let b = session("b", vec![metric(&[("tenant", turned)], 40)], vec![], vec![]);
        let r = diff(&a, &b, &Rules::default());
        let d = details(&r, Rule::UnboundedLabel);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].from, json!("bounded"));
        assert!(
            matches!(
                &d[0].evidence,
                Evidence::Verdict(VerdictEvidence::Unbounded {
                    was: Some(Verdict::Bounded),
                    ..
                })
            ),
            "{:?}",
            d[0].evidence
        );

        // Unknown on the newer side: no verdict finding at all.
        let unknown = ks(Some(ev(Shape::Word, 30, 40, true)), 30);
        assert_eq!(unknown.evidence.as_ref().unwrap().verdict, Verdict::Unknown);
        let c = session(
            "c",
            vec![metric(&[("tenant", unknown)], 30)],
            vec![],
            vec![],
        );
        assert!(details(&diff(&a, &c, &Rules::default()), Rule::UnboundedLabel).is_empty());
        // An older side without evidence (an older session, an OCC import) cannot have turned.
        let old = session(
            "o",
            vec![metric(&[("tenant", ks(None, 6))], 6)],
            vec![],
            vec![],
        );
        assert!(details(&diff(&old, &b, &Rules::default()), Rule::UnboundedLabel).is_empty());
        // Unbounded on both sides: not a change.
        assert!(details(&diff(&b, &b, &Rules::default()), Rule::UnboundedLabel).is_empty());
    }

    #[test]
    fn unbounded_span_and_log_attributes_are_info_unless_the_rules_say_otherwise() {
        let span = |keys: &[(&str, KeyStats)]| SpanMeta {
            name: "GET /orders".into(),
            kind: 2,
            kind_name: "Server".into(),
            attribute_keys: keys
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            sample_count: 48,
            ..Default::default()
        };
        let log = |keys: &[(&str, KeyStats)]| LogMeta {
            severity: "ERROR".into(),
            severity_number: 17,
            attribute_keys: keys
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            sample_count: 48,
            ..Default::default()
        };
        let id = || ks(Some(ev(Shape::Hex, 48, 48, true)), 48);
        let a = session("a", vec![], vec![span(&[])], vec![log(&[])]);
        let b = session(
            "b",
            vec![],
            vec![span(&[("request.id", id())])],
            vec![log(&[("trace_id", id())])],
        );
        let r = diff(&a, &b, &Rules::default());
        let d = details(&r, Rule::UnboundedAttribute);
        assert_eq!(d.len(), 2);
        assert!(d.iter().all(|d| d.severity == Severity::Info));
        let rules = Rules::from_toml(
            "[severity]\nunbounded_attribute = \"warning\"\n",
            std::path::Path::new("t.toml"),
        )
        .unwrap();
        let r = diff(&a, &b, &rules);
        assert!(
            details(&r, Rule::UnboundedAttribute)
                .iter()
                .all(|d| d.severity == Severity::Warning)
        );
        assert_eq!(r.max_severity, Some(Severity::Warning));
    }

    #[test]
    fn a_new_overflow_series_is_critical_and_an_old_one_is_not_new() {
        let ov = ks(None, 1);
        let a = session(
            "a",
            vec![metric(&[("method", method())], 4)],
            vec![],
            vec![],
        );
        let b = session(
            "b",
            vec![metric(&[("method", method()), (OVERFLOW_KEY, ov)], 1500)],
            vec![],
            vec![],
        );
        let r = diff(&a, &b, &Rules::default());
        let d = details(&r, Rule::SdkOverflow);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].severity, Severity::Critical);
        assert_eq!(d[0].evidence, Evidence::Verdict(VerdictEvidence::Overflow));
        assert!(details(&diff(&b, &b, &Rules::default()), Rule::SdkOverflow).is_empty());
        // The rules file sets its severity.
        let rules = Rules::from_toml(
            "[severity]\nsdk_overflow = \"warning\"\n",
            std::path::Path::new("t.toml"),
        )
        .unwrap();
        let r = diff(&a, &b, &rules);
        assert_eq!(
            details(&r, Rule::SdkOverflow)[0].severity,
            Severity::Warning
        );
    }

    #[test]
    fn near_the_sdk_limit_is_a_warning_and_the_limit_is_a_rules_setting() {
        let a = session(
            "a",
            vec![metric(&[("method", method())], 100)],
            vec![],
            vec![],
        );
        let at = |n| {
            session(
                "b",
                vec![metric(&[("method", method())], n)],
                vec![],
                vec![],
            )
        };
        let r = diff(&a, &at(1600), &Rules::default());
        let d = details(&r, Rule::NearSeriesLimit);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].severity, Severity::Warning);
        assert_eq!(
            d[0].evidence,
            Evidence::Verdict(VerdictEvidence::NearLimit {
                series: 1600,
                limit: 2000
            })
        );
        assert!(
            details(
                &diff(&a, &at(1599), &Rules::default()),
                Rule::NearSeriesLimit
            )
            .is_empty()
        );
        let rules = Rules::from_toml(
            "[thresholds]\nsdk_series_limit = 10000\nnear_limit_share = 0.5\n",
            std::path::Path::new("t.toml"),
        )
        .unwrap();
        assert!(details(&diff(&a, &at(4999), &rules), Rule::NearSeriesLimit).is_empty());
        let critical = Rules::from_toml(
            "[severity]\nnear_series_limit = \"critical\"\n",
            std::path::Path::new("t.toml"),
        )
        .unwrap();
        assert_eq!(
            details(&diff(&a, &at(1600), &critical), Rule::NearSeriesLimit)[0].severity,
            Severity::Critical
        );
        assert_eq!(
            details(&diff(&a, &at(5000), &rules), Rule::NearSeriesLimit).len(),
            1
        );
        let bad = Rules::from_toml(
            "[thresholds]\nnear_limit_share = 1.5\n",
            std::path::Path::new("t.toml"),
        );
        assert!(bad.unwrap_err().to_string().contains("near_limit_share"));
    }
}
