//! Names that carry identifiers, folded into one change per pattern.
//!
//! Span names built from raw paths (`GET /orders/81723`) and metric names with an embedded id
//! (`cache.hits.tenant_4711`) make every request a new item; compared name by name they are
//! hundreds of separate "added" lines, each info. Here the plain added and removed metrics or
//! spans whose names share a pattern ([`crate::analyze::names`]) become one change named by
//! the pattern, with how many names match on each side, a few examples and the pattern's
//! verdict. A pattern that is unbounded on the newer side and was not before fires
//! [`Rule::UnboundedMetricNames`] (critical) or [`Rule::UnboundedSpanNames`] (warning).
//!
//! Only plain appearances and disappearances are folded (an added metric with a finding of
//! its own, a warning or an unbounded label, stays a change of its own), and the folded change
//! keeps the strongest severity its members had (a removed metric's warning), so folding never
//! hides a finding.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::evidence::{Evidence, VerdictEvidence};
use super::{Change, ChangeType, Detail, ItemKind, Rule, Rules, Severity, fingerprint};
use crate::analyze::names::{MAX_EXAMPLES, pattern_of, patterns_among};
use crate::session::{Session, Signal, Verdict};

/// The rules of the plain appearing and disappearing a folded change can stand for: its own
/// detail keeps the strongest of them, so a removed metric's warning is not lost.
const FOLDABLE: [Rule; 3] = [Rule::Added, Rule::Removed, Rule::MetricRemoved];

/// Fewest changes sharing a pattern that are folded into one.
pub const MIN_FOLDED: usize = 2;

/// The change metadata entry that marks a folded pattern change (its value: how many names
/// came and went, and every one of them, so nothing is lost to the fold).
pub const PATTERN: &str = "name_pattern";

/// Folds the plain added and removed metrics and spans of `changes` by name pattern.
pub(crate) fn fold(from: &Session, to: &Session, rules: &Rules, changes: &mut Vec<Change>) {
    for (kind, signal, rule) in [
        (
            ItemKind::Metric,
            Signal::Metrics,
            Rule::UnboundedMetricNames,
        ),
        (ItemKind::Span, Signal::Traces, Rule::UnboundedSpanNames),
    ] {
        let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, c) in changes.iter().enumerate() {
            if c.signal_type != kind
                || !matches!(c.change_type, ChangeType::Added | ChangeType::Removed)
                || !c.details.iter().all(|d| FOLDABLE.contains(&d.rule))
            {
                continue;
            }
            if let Some((p, _)) = pattern_of(&c.name) {
                groups.entry(p).or_default().push(i);
            }
        }
        groups.retain(|_, v| v.len() >= MIN_FOLDED);
        if groups.is_empty() {
            continue;
        }
        // A span name seen under several kinds is shown as `name [KIND]`: not a raw name, and
        // left unfolded rather than counted under a pattern it does not have.
        if kind == ItemKind::Span {
            let raw: BTreeSet<&str> = from
                .data
                .spans
                .iter()
                .chain(&to.data.spans)
                .map(|x| x.name.as_str())
                .collect();
            for v in groups.values_mut() {
                v.retain(|&i| raw.contains(changes[i].name.as_str()));
            }
            groups.retain(|_, v| v.len() >= MIN_FOLDED);
        }
        let wanted: BTreeSet<String> = groups.keys().cloned().collect();
        let (before, after) = (
            patterns_among(from, signal, &wanted),
            patterns_among(to, signal, &wanted),
        );
        let mut gone: BTreeSet<usize> = BTreeSet::new();
        let mut folded = Vec::new();
        for (pattern, members) in &groups {
            let n_from = before.get(pattern).map_or(0, |p| p.names);
            let n_to = after.get(pattern).map_or(0, |p| p.names);
            let of = |t: ChangeType| -> Vec<&Change> {
                members
                    .iter()
                    .map(|&i| &changes[i])
                    .filter(|c| c.change_type == t)
                    .collect()
            };
            let (added, removed) = (of(ChangeType::Added), of(ChangeType::Removed));
            let ctype = match (n_from, n_to) {
                (0, _) => ChangeType::Added,
                (_, 0) => ChangeType::Removed,
                _ => ChangeType::Changed,
            };
            // A pattern is judged from two names up, as `show` lists them.
            let now = after.get(pattern).filter(|p| p.names >= 2);
            let was = before
                .get(pattern)
                .filter(|p| p.names >= 2)
                .map(|p| p.evidence.verdict);
            let fires = now.is_some_and(|p| p.evidence.verdict == Verdict::Unbounded)
                && was != Some(Verdict::Unbounded);
            // Members the incomplete-side rule left unjudged lend the folded change no
            // severity; when all of them are unjudged, so is the folded change.
            let member_details: Vec<&Detail> = members
                .iter()
                .flat_map(|&i| changes[i].details.iter())
                .collect();
            let strongest = member_details
                .iter()
                .filter(|d| d.not_judged.is_none())
                .map(|d| d.rule)
                .max_by_key(|r| rules.severity_of(*r));
            let unjudged = member_details
                .iter()
                .all(|d| d.not_judged.is_some())
                .then(|| {
                    member_details
                        .iter()
                        .filter_map(|d| d.not_judged.clone())
                        .max_by_key(|n| n.severity)
                })
                .flatten();
            let detail_rule = if fires {
                rule
            } else {
                match (strongest, ctype) {
                    (Some(r), _) if rules.severity_of(r) > Severity::Info => r,
                    (_, ChangeType::Added) => Rule::Added,
                    (_, ChangeType::Removed) => Rule::Removed,
                    (_, ChangeType::Changed) => Rule::Changed,
                }
            };
            let examples: Vec<String> = if added.is_empty() { &removed } else { &added }
                .iter()
                .take(MAX_EXAMPLES)
                .map(|c| c.name.clone())
                .collect();
            let evidence = VerdictEvidence::NamePattern {
                names_from: n_from,
                names_to: n_to,
                added: added.len() as u64,
                removed: removed.len() as u64,
                examples: examples.clone(),
                verdict: now.map(|p| {
                    (
                        p.evidence.verdict,
                        p.evidence.confidence,
                        p.evidence.reason.clone(),
                    )
                }),
            };
            let field = "names";
            let detail = Detail {
                fingerprint: fingerprint(kind, ctype, pattern, field),
                field: field.to_string(),
                from: if n_from == 0 {
                    Value::Null
                } else {
                    json!(n_from)
                },
                to: if n_to == 0 { Value::Null } else { json!(n_to) },
                change_pct: None,
                severity: if unjudged.is_some() && !fires {
                    Severity::Info
                } else {
                    rules.severity_of(detail_rule)
                },
                rule: detail_rule,
                evidence: Evidence::Verdict(evidence),
                key: None,
                magnitude: n_to.max(n_from).max(1) as f64,
                not_judged: if fires { None } else { unjudged },
            };
            let services: BTreeSet<String> = members
                .iter()
                .flat_map(|&i| changes[i].services.iter().cloned())
                .collect();
            let mut metadata = BTreeMap::new();
            metadata.insert(
                PATTERN.to_string(),
                json!({
                    "names_added": added.len(),
                    "names_removed": removed.len(),
                    "added": added.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
                    "removed": removed.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
                }),
            );
            let mut c = Change {
                change_type: ctype,
                signal_type: kind,
                name: pattern.clone(),
                severity: Severity::Info,
                services: services.into_iter().collect(),
                details: vec![detail],
                metadata,
                fingerprint: fingerprint(kind, ctype, pattern, ""),
                magnitude: 0.0,
            };
            c.settle();
            folded.push(c);
            gone.extend(members.iter().copied());
        }
        let mut i = 0;
        changes.retain(|_| {
            i += 1;
            !gone.contains(&(i - 1))
        });
        changes.extend(folded);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{DiffReport, Filters};
    use crate::session::{MetricMeta, MetricType, SpanMeta};

    fn metric(name: &str) -> MetricMeta {
        MetricMeta {
            name: name.into(),
            metric_type: MetricType::Sum,
            active_series: 1,
            sample_count: 4,
            ..Default::default()
        }
    }

    fn span(name: &str) -> SpanMeta {
        SpanMeta {
            name: name.into(),
            sample_count: 1,
            ..Default::default()
        }
    }

    fn session(id: &str, metrics: Vec<MetricMeta>, spans: Vec<SpanMeta>) -> Session {
        let mut s = Session::new(id);
        s.signals = vec![Signal::Metrics, Signal::Traces];
        s.data.metrics = metrics;
        s.data.spans = spans;
        s.canonicalize();
        s
    }

    /// Tenant ids and order numbers as a service would mint them: spread out, never repeating.
    fn ids(n: u64, seed: u64) -> Vec<u64> {
        (0..n)
            .map(|i| 10_000 + (i * 7_919 + seed) % 89_989)
            .collect()
    }

    fn base() -> (Vec<MetricMeta>, Vec<SpanMeta>) {
        (
            vec![metric("http.server.request.duration")],
            vec![span("GET /health")],
        )
    }

    fn with_ids(n: u64) -> Session {
        let (mut m, mut s) = base();
        m.extend(
            ids(n, 1)
                .iter()
                .map(|i| metric(&format!("cache.hits.tenant_{i}"))),
        );
        s.extend(ids(n, 2).iter().map(|i| span(&format!("GET /orders/{i}"))));
        session("b", m, s)
    }

    fn by_name<'a>(r: &'a DiffReport, name: &str) -> Vec<&'a Change> {
        r.changes.iter().filter(|c| c.name == name).collect()
    }

    #[test]
    fn hundreds_of_new_names_with_ids_are_one_change_per_pattern() {
        let (m, s) = base();
        let a = session("a", m, s);
        let b = with_ids(300);
        let r = DiffReport::build(&a, &b, &Rules::default(), &Filters::default());
        assert_eq!(r.changes.len(), 2, "{:#?}", r.changes);
        let m = by_name(&r, "cache.hits.tenant_<n>");
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].change_type, ChangeType::Added);
        assert_eq!(m[0].signal_type, ItemKind::Metric);
        assert_eq!(m[0].severity, Severity::Critical);
        let d = &m[0].details[0];
        assert_eq!(d.rule, Rule::UnboundedMetricNames);
        assert_eq!(
            (d.field.as_str(), &d.from, &d.to),
            ("names", &Value::Null, &json!(300))
        );
        let Evidence::Verdict(VerdictEvidence::NamePattern {
            added,
            examples,
            verdict,
            ..
        }) = &d.evidence
        else {
            panic!("{:?}", d.evidence)
        };
        assert_eq!(*added, 300);
        assert_eq!(examples.len(), MAX_EXAMPLES);
        assert!(examples.iter().all(|e| e.starts_with("cache.hits.tenant_")));
        assert_eq!(verdict.as_ref().map(|v| v.0), Some(Verdict::Unbounded));
        assert_eq!(m[0].metadata[PATTERN]["names_added"], json!(300));
        assert_eq!(
            m[0].metadata[PATTERN]["added"].as_array().map(Vec::len),
            Some(300)
        );
        // Spans: the same, at the span rule's severity (warning by default).
        let s = by_name(&r, "GET /orders/<id>");
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].details[0].rule, Rule::UnboundedSpanNames);
        assert_eq!(s[0].severity, Severity::Warning);
        assert_eq!(s[0].details[0].to, json!(300));
    }

    #[test]
    fn the_rules_file_sets_the_pattern_rules_severity() {
        let (m, s) = base();
        let a = session("a", m, s);
        let b = with_ids(100);
        let rules = Rules::from_toml(
            "[severity]\nunbounded_metric_names = \"warning\"\nunbounded_span_names = \"critical\"\n",
            std::path::Path::new("rules.toml"),
        )
        .unwrap();
        let r = DiffReport::build(&a, &b, &rules, &Filters::default());
        assert_eq!(
            by_name(&r, "cache.hits.tenant_<n>")[0].severity,
            Severity::Warning
        );
        assert_eq!(
            by_name(&r, "GET /orders/<id>")[0].severity,
            Severity::Critical
        );
    }

    #[test]
    fn a_pattern_on_both_sides_is_one_change_and_not_critical_again() {
        let a = with_ids(50);
        let mut b = with_ids(50);
        // 50 other tenants and orders: every name is new, every old one gone.
        for m in &mut b.data.metrics {
            m.name = m.name.replace("tenant_", "tenant_9");
        }
        for s in &mut b.data.spans {
            s.name = s.name.replace("/orders/", "/orders/9");
        }
        b.canonicalize();
        let r = DiffReport::build(&a, &b, &Rules::default(), &Filters::default());
        let m = by_name(&r, "cache.hits.tenant_<n>");
        assert_eq!(m.len(), 1, "{:#?}", r.changes);
        assert_eq!(m[0].change_type, ChangeType::Changed);
        // Not critical again (it was unbounded before too), but 50 metrics did go: their
        // warning is kept.
        assert_eq!(m[0].severity, Severity::Warning);
        assert_eq!(m[0].details[0].rule, Rule::MetricRemoved);
        let s = by_name(&r, "GET /orders/<id>");
        assert_eq!(
            (s[0].severity, s[0].details[0].rule),
            (Severity::Info, Rule::Changed)
        );
        let Evidence::Verdict(VerdictEvidence::NamePattern { added, removed, .. }) =
            &m[0].details[0].evidence
        else {
            panic!()
        };
        assert_eq!((*added, *removed), (50, 50));
        assert_eq!(r.changes.len(), 2, "{:#?}", r.changes);
    }

    #[test]
    fn a_single_new_name_and_words_are_left_alone() {
        let (m, s) = base();
        let a = session("a", m.clone(), s.clone());
        let mut m2 = m;
        m2.push(metric("cache.hits.tenant_4711"));
        m2.push(metric("checkout.cart.items"));
        m2.push(metric("checkout.orders.placed"));
        let b = session("b", m2, s);
        let r = DiffReport::build(&a, &b, &Rules::default(), &Filters::default());
        let names: BTreeSet<&str> = r.changes.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            BTreeSet::from([
                "cache.hits.tenant_4711",
                "checkout.cart.items",
                "checkout.orders.placed"
            ])
        );
    }
}
