//! One comparison per kind of item: which fields are compared, under which rules.

use std::collections::BTreeMap;

use serde_json::json;

use super::{Cx, Item, sides, span_kind, widest};
use crate::diff::evidence::{
    Counted, Evidence, ItemFacts, KeySet, MemberSet, SeriesDriver, Subject,
};
use crate::diff::{Change, ChangeType, ItemKind, Rule};
use crate::session::{AttributeMeta, Incomplete, LogMeta, MetricMeta, SpanMeta};

/// An item's markers (FROM, TO) when it is on one side only: `in_newer` says which.
fn one_sided(
    in_newer: bool,
    marker: Option<&Incomplete>,
) -> (Option<&Incomplete>, Option<&Incomplete>) {
    if in_newer {
        (None, marker)
    } else {
        (marker, None)
    }
}

impl Cx<'_> {
    pub(super) fn metric(&self, a: Option<&MetricMeta>, b: Option<&MetricMeta>) -> Option<Change> {
        let m = b.or(a)?;
        let mut md = BTreeMap::new();
        md.insert("metric_type".into(), json!(m.metric_type.as_str()));
        if !m.unit.is_empty() {
            md.insert("unit".into(), json!(m.unit));
        }
        let services = a.into_iter().chain(b).flat_map(|m| m.services.keys());
        let (a, b) = match (a, b) {
            (Some(a), Some(b)) => (a, b),
            (None, Some(one)) | (Some(one), None) => {
                let change = ChangeType::one_sided(b.is_some());
                let mut it = Item::new(ItemKind::Metric, change, &one.name);
                it.approximate = one.series_approximate;
                self.whole(
                    &mut it,
                    ("active_series", None),
                    ItemFacts::Metric {
                        metric_type: one.metric_type,
                    },
                    one.active_series,
                    Rule::MetricRemoved,
                );
                self.judge(&mut it, one_sided(b.is_some(), one.incomplete.as_ref()));
                return it.finish(services, md);
            }
            (None, None) => return None,
        };
        let mut it = Item::new(ItemKind::Metric, ChangeType::Changed, &a.name);
        self.value(
            &mut it,
            "type",
            Rule::TypeChanged,
            a.metric_type,
            b.metric_type,
        );
        self.value(&mut it, "unit", Rule::UnitChanged, &a.unit, &b.unit);
        // A field a foreign file (an OCC export) leaves out is unknown on that side, not
        // "(none)": comparing it would report a change nobody made.
        let (fa, fb) = self.foreign;
        let unknown = |x: bool, y: bool| (fa && !x) || (fb && !y);
        let opt = |s: &Option<String>| s.clone().unwrap_or_default();
        if !unknown(
            a.aggregation_temporality.is_some(),
            b.aggregation_temporality.is_some(),
        ) {
            self.value(
                &mut it,
                "aggregation_temporality",
                Rule::TemporalityChanged,
                opt(&a.aggregation_temporality),
                opt(&b.aggregation_temporality),
            );
        }
        let mono = |v: Option<bool>| v.map(|b| b.to_string()).unwrap_or_default();
        if !unknown(a.is_monotonic.is_some(), b.is_monotonic.is_some()) {
            self.value(
                &mut it,
                "is_monotonic",
                Rule::MonotonicityChanged,
                mono(a.is_monotonic),
                mono(b.is_monotonic),
            );
        }
        self.bounds(&mut it, &a.explicit_bounds, &b.explicit_bounds);
        self.cardinality(
            &mut it,
            "active_series".into(),
            Subject::ActiveSeries,
            (a.active_series, b.active_series),
            a.series_approximate || b.series_approximate,
        );
        if b.active_series > a.active_series
            && let Some(found) = self.series_driver(a, b)
            && let Some(d) = it.details.iter_mut().find(|d| d.field == "active_series")
            && let Evidence::Cardinality { driver, .. } = &mut d.evidence
        {
            // Name the label behind a series explosion in the line people read first.
            md.insert("series_driver".into(), json!(found.key));
            *driver = Some(found);
        }
        self.rate(
            &mut it,
            ("sample_rate", "sample_count"),
            Counted::Samples,
            a.sample_count,
            b.sample_count,
        );
        self.keys(
            &mut it,
            "label_keys",
            KeySet::Label,
            (&a.label_keys, &b.label_keys),
            Rule::LabelRemoved,
        );
        self.keys(
            &mut it,
            "resource_keys",
            KeySet::Resource,
            (&a.resource_keys, &b.resource_keys),
            Rule::Removed,
        );
        self.judge(&mut it, (a.incomplete.as_ref(), b.incomplete.as_ref()));
        it.finish(services, md)
    }

    /// The label key whose growth best explains more series: the largest growth ratio, with
    /// a new key counted as growth from one value; at least the warning ratio.
    fn series_driver(&self, a: &MetricMeta, b: &MetricMeta) -> Option<SeriesDriver> {
        let mut best: Option<(f64, &str, Option<u64>, u64)> = None;
        for (k, y) in &b.label_keys {
            let to = y.estimated_cardinality;
            let old = a.label_keys.get(k).map(|x| x.estimated_cardinality);
            let growth = match old {
                Some(0) | None => to as f64,
                Some(x) => to as f64 / x as f64,
            };
            if best.is_none_or(|(g, ..)| growth > g) {
                best = Some((growth, k.as_str(), old, to));
            }
        }
        let (growth, k, from, to) = best?;
        (growth >= self.rules.cardinality_warning).then(|| SeriesDriver {
            key: k.to_owned(),
            from,
            to,
        })
    }

    pub(super) fn span(
        &self,
        name: &str,
        a: Option<&SpanMeta>,
        b: Option<&SpanMeta>,
    ) -> Option<Change> {
        let s = b.or(a)?;
        let mut md = BTreeMap::new();
        md.insert("kind".into(), json!(span_kind(s)));
        let services = a.into_iter().chain(b).flat_map(|s| s.services.keys());
        let (a, b) = match (a, b) {
            (Some(a), Some(b)) => (a, b),
            (None, Some(s)) | (Some(s), None) => {
                let ctype = ChangeType::one_sided(b.is_some());
                let mut it = Item::new(ItemKind::Span, ctype, name);
                let (key, card) = widest(&s.attribute_keys);
                self.whole(
                    &mut it,
                    ("attribute_keys", key),
                    ItemFacts::Span {
                        kind: span_kind(s),
                        widest_key: key.map(str::to_string),
                    },
                    card,
                    Rule::Removed,
                );
                self.judge(&mut it, one_sided(b.is_some(), s.incomplete.as_ref()));
                return it.finish(services, md);
            }
            (None, None) => return None,
        };
        let mut it = Item::new(ItemKind::Span, ChangeType::Changed, name);
        self.value(&mut it, "kind", Rule::Changed, span_kind(a), span_kind(b));
        self.keys(
            &mut it,
            "attribute_keys",
            KeySet::Attribute,
            (&a.attribute_keys, &b.attribute_keys),
            Rule::Removed,
        );
        self.members(
            &mut it,
            "event_names",
            MemberSet::Event,
            &a.event_names,
            &b.event_names,
        );
        for (ev, x, y) in sides(&a.event_attribute_keys, &b.event_attribute_keys) {
            if let (Some(x), Some(y)) = (x, y) {
                self.keys(
                    &mut it,
                    &format!("event_attribute_keys.{ev}"),
                    KeySet::EventAttribute { event: ev.clone() },
                    (x, y),
                    Rule::Removed,
                );
            }
        }
        self.keys(
            &mut it,
            "link_attribute_keys",
            KeySet::LinkAttribute,
            (&a.link_attribute_keys, &b.link_attribute_keys),
            Rule::Removed,
        );
        self.keys(
            &mut it,
            "resource_keys",
            KeySet::Resource,
            (&a.resource_keys, &b.resource_keys),
            Rule::Removed,
        );
        self.members(
            &mut it,
            "status_codes",
            MemberSet::StatusCode,
            &a.status_codes,
            &b.status_codes,
        );
        self.rate(
            &mut it,
            ("sample_rate", "sample_count"),
            Counted::Spans,
            a.sample_count,
            b.sample_count,
        );
        self.judge(&mut it, (a.incomplete.as_ref(), b.incomplete.as_ref()));
        it.finish(services, md)
    }

    pub(super) fn log(&self, a: Option<&LogMeta>, b: Option<&LogMeta>) -> Option<Change> {
        let l = b.or(a)?;
        let mut md = BTreeMap::new();
        md.insert("severity_number".into(), json!(l.severity_number));
        let services = a.into_iter().chain(b).flat_map(|l| l.services.keys());
        let (a, b) = match (a, b) {
            (Some(a), Some(b)) => (a, b),
            (None, Some(l)) | (Some(l), None) => {
                let ctype = ChangeType::one_sided(b.is_some());
                let mut it = Item::new(ItemKind::Log, ctype, &l.severity);
                let (key, card) = widest(&l.attribute_keys);
                self.whole(
                    &mut it,
                    ("attribute_keys", key),
                    ItemFacts::Log {
                        widest_key: key.map(str::to_string),
                    },
                    card,
                    Rule::Removed,
                );
                self.judge(&mut it, one_sided(b.is_some(), l.incomplete.as_ref()));
                return it.finish(services, md);
            }
            (None, None) => return None,
        };
        let mut it = Item::new(ItemKind::Log, ChangeType::Changed, &a.severity);
        self.keys(
            &mut it,
            "attribute_keys",
            KeySet::Attribute,
            (&a.attribute_keys, &b.attribute_keys),
            Rule::Removed,
        );
        self.keys(
            &mut it,
            "resource_keys",
            KeySet::Resource,
            (&a.resource_keys, &b.resource_keys),
            Rule::Removed,
        );
        self.templates(&mut it, a, b);
        self.members(
            &mut it,
            "event_names",
            MemberSet::Event,
            &a.event_names,
            &b.event_names,
        );
        self.rate(
            &mut it,
            ("sample_rate", "sample_count"),
            Counted::Records,
            a.sample_count,
            b.sample_count,
        );
        self.judge(&mut it, (a.incomplete.as_ref(), b.incomplete.as_ref()));
        it.finish(services, md)
    }

    pub(super) fn attribute(
        &self,
        a: Option<&AttributeMeta>,
        b: Option<&AttributeMeta>,
    ) -> Option<Change> {
        let at = b.or(a)?;
        let mut md = BTreeMap::new();
        if !at.scope.is_empty() {
            md.insert("scope".into(), json!(at.scope));
        }
        let none = std::iter::empty::<&crate::session::Key>();
        let (a, b) = match (a, b) {
            (Some(a), Some(b)) => (a, b),
            (None, Some(x)) | (Some(x), None) => {
                let ctype = ChangeType::one_sided(b.is_some());
                let mut it = Item::new(ItemKind::Attribute, ctype, &x.key);
                it.approximate = x.approximate;
                self.whole(
                    &mut it,
                    ("estimated_cardinality", Some(&x.key)),
                    ItemFacts::Attribute {
                        signals: x.signal_types.clone(),
                    },
                    x.estimated_cardinality,
                    Rule::Removed,
                );
                self.judge(&mut it, (None, None));
                return it.finish(none, md);
            }
            (None, None) => return None,
        };
        let mut it = Item::new(ItemKind::Attribute, ChangeType::Changed, &a.key);
        self.cardinality(
            &mut it,
            "estimated_cardinality".into(),
            Subject::Attribute,
            (a.estimated_cardinality, b.estimated_cardinality),
            a.approximate || b.approximate,
        );
        self.rate(
            &mut it,
            ("count_rate", "count"),
            Counted::Occurrences,
            a.count,
            b.count,
        );
        self.members(
            &mut it,
            "signal_types",
            MemberSet::Signal,
            &a.signal_types,
            &b.signal_types,
        );
        self.value(&mut it, "scope", Rule::Changed, &a.scope, &b.scope);
        self.judge(&mut it, (None, None));
        it.finish(none, md)
    }
}
