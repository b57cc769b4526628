//! Compares two sessions item by item and field by field.
//!
//! Items are matched by identity with a merge join over sorted keys, so the work is
//! O(n log n) in the number of items and allocation happens only for real differences.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::human;
use super::rules::{Rule, Rules};
use super::{Change, ChangeType, Detail, Filters, ItemKind, NotCompared, RateBasis, fingerprint};
use crate::session::{AttributeMeta, KeyStatsMap, LogMeta, MetricMeta, Session, Signal, SpanMeta};

/// Unfiltered, unranked result of [`compare`].
#[derive(Debug, Clone, PartialEq)]
pub struct RawDiff {
    pub changes: Vec<Change>,
    pub rate_basis: RateBasis,
    pub not_compared: Vec<NotCompared>,
}

/// The signals a session captured: those it declares, plus any it holds data for.
pub fn captured_signals(s: &Session) -> BTreeSet<Signal> {
    let mut set: BTreeSet<Signal> = s.signals.iter().copied().collect();
    if !s.data.metrics.is_empty() {
        set.insert(Signal::Metrics);
    }
    if !s.data.spans.is_empty() {
        set.insert(Signal::Traces);
    }
    if !s.data.logs.is_empty() {
        set.insert(Signal::Logs);
    }
    set
}

fn kind_of(sig: Signal) -> ItemKind {
    match sig {
        Signal::Metrics => ItemKind::Metric,
        Signal::Traces => ItemKind::Span,
        Signal::Logs => ItemKind::Log,
    }
}

/// Compares `from` with `to` for the kinds `filters` wants. Changes come out unranked;
/// service, ignore and severity filtering is left to [`super::DiffReport::build`].
pub fn compare(from: &Session, to: &Session, rules: &Rules, filters: &Filters) -> RawDiff {
    let basis = RateBasis::of(from, to);
    let (cf, ct) = (captured_signals(from), captured_signals(to));
    let mut compared = BTreeSet::new();
    let mut not_compared = Vec::new();
    for sig in Signal::ALL {
        let kind = kind_of(sig);
        match (cf.contains(&sig), ct.contains(&sig)) {
            (true, true) => {
                compared.insert(sig);
            }
            (true, false) if filters.wants(kind) => not_compared.push(NotCompared {
                signal: kind.plural(),
                captured_by: from.id.clone(),
                side: "from",
            }),
            (false, true) if filters.wants(kind) => not_compared.push(NotCompared {
                signal: kind.plural(),
                captured_by: to.id.clone(),
                side: "to",
            }),
            _ => {}
        }
    }
    let cx = Cx { rules, basis };
    let mut changes = Vec::new();
    if filters.wants(ItemKind::Metric) && compared.contains(&Signal::Metrics) {
        for (a, b) in join(&from.data.metrics, &to.data.metrics, |m| {
            Cow::Borrowed(m.name.as_str())
        }) {
            changes.extend(cx.metric(a, b));
        }
    }
    if filters.wants(ItemKind::Span) && compared.contains(&Signal::Traces) {
        let key = span_key(&from.data.spans, &to.data.spans);
        for (a, b) in join(&from.data.spans, &to.data.spans, &key) {
            let name = key(a.or(b).expect("join yields at least one side"));
            changes.extend(cx.span(&name, a, b));
        }
    }
    if filters.wants(ItemKind::Log) && compared.contains(&Signal::Logs) {
        for (a, b) in join(&from.data.logs, &to.data.logs, |l| {
            Cow::Borrowed(l.severity.as_str())
        }) {
            changes.extend(cx.log(a, b));
        }
    }
    if filters.wants(ItemKind::Attribute) {
        // Attributes seen only on signals one side did not capture would all look added or
        // removed; compare each attribute over the signals both sides captured.
        let keep = |a: &&AttributeMeta| {
            a.signal_types.is_empty()
                || a.signal_types.iter().any(|s| {
                    s.parse::<Signal>()
                        .map(|s| compared.contains(&s))
                        .unwrap_or(true)
                })
        };
        let fa: Vec<&AttributeMeta> = from.data.attributes.iter().filter(keep).collect();
        let ta: Vec<&AttributeMeta> = to.data.attributes.iter().filter(keep).collect();
        for (a, b) in join(&fa, &ta, |a| Cow::Borrowed(a.key.as_str())) {
            changes.extend(cx.attribute(a.copied(), b.copied()));
        }
    }
    super::verdict_rules::apply(from, to, rules, filters, &compared, &mut changes);
    RawDiff {
        changes,
        rate_basis: basis,
        not_compared,
    }
}

/// Span identity is the name; a name seen with several kinds is told apart by its kind.
fn span_key<'a>(a: &'a [SpanMeta], b: &'a [SpanMeta]) -> impl Fn(&SpanMeta) -> Cow<'a, str> {
    // Ambiguous only when one side has the name twice; a kind that changed is a detail.
    let mut ambiguous: BTreeSet<String> = BTreeSet::new();
    for side in [a, b] {
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        for s in side {
            if !seen.insert(s.name.as_str()) {
                ambiguous.insert(s.name.clone());
            }
        }
    }
    move |s: &SpanMeta| {
        if ambiguous.contains(&s.name) {
            Cow::Owned(format!("{} [{}]", s.name, span_kind(s)))
        } else {
            Cow::Owned(s.name.clone())
        }
    }
}

fn span_kind(s: &SpanMeta) -> String {
    if s.kind_name.is_empty() {
        format!("kind {}", s.kind)
    } else {
        s.kind_name.clone()
    }
}

/// Merge join of two lists by key; each pair has at least one side.
fn join<'a, T>(
    a: &'a [T],
    b: &'a [T],
    key: impl Fn(&'a T) -> Cow<'a, str>,
) -> Vec<(Option<&'a T>, Option<&'a T>)> {
    let mut ka: Vec<(Cow<'a, str>, &'a T)> = a.iter().map(|x| (key(x), x)).collect();
    let mut kb: Vec<(Cow<'a, str>, &'a T)> = b.iter().map(|x| (key(x), x)).collect();
    ka.sort_by(|x, y| x.0.cmp(&y.0));
    kb.sort_by(|x, y| x.0.cmp(&y.0));
    let mut out = Vec::with_capacity(ka.len().max(kb.len()));
    let (mut i, mut j) = (0, 0);
    while i < ka.len() || j < kb.len() {
        let ord = match (ka.get(i), kb.get(j)) {
            (Some(x), Some(y)) => x.0.cmp(&y.0),
            (Some(_), None) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        match ord {
            std::cmp::Ordering::Less => {
                out.push((Some(ka[i].1), None));
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push((None, Some(kb[j].1)));
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push((Some(ka[i].1), Some(kb[j].1)));
                i += 1;
                j += 1;
            }
        }
    }
    out
}

/// Details gathered for one item.
struct Item {
    kind: ItemKind,
    ctype: ChangeType,
    name: String,
    details: Vec<Detail>,
    approximate: bool,
}

/// One detail before it gets its fingerprint and severity.
struct D {
    field: String,
    key: Option<String>,
    from: Value,
    to: Value,
    pct: Option<f64>,
    rule: Rule,
    message: String,
    magnitude: f64,
}

impl Item {
    fn new(kind: ItemKind, ctype: ChangeType, name: &str) -> Item {
        Item {
            kind,
            ctype,
            name: name.to_string(),
            details: Vec::new(),
            approximate: false,
        }
    }

    fn push(&mut self, rules: &Rules, d: D) {
        self.details.push(Detail {
            fingerprint: fingerprint(self.kind, self.ctype, &self.name, &d.field),
            field: d.field,
            from: d.from,
            to: d.to,
            change_pct: d.pct,
            severity: rules.severity_of(d.rule),
            rule: d.rule,
            message: d.message,
            key: d.key,
            magnitude: d.magnitude,
        });
    }

    fn finish<'a>(
        self,
        services: impl Iterator<Item = &'a String>,
        mut metadata: BTreeMap<String, Value>,
    ) -> Option<Change> {
        if self.details.is_empty() {
            return None;
        }
        if self.approximate {
            metadata.insert("approximate".into(), Value::Bool(true));
        }
        let services: BTreeSet<&String> = services.collect();
        let mut c = Change {
            fingerprint: fingerprint(self.kind, self.ctype, &self.name, ""),
            change_type: self.ctype,
            signal_type: self.kind,
            name: self.name,
            severity: super::Severity::Info,
            services: services.into_iter().cloned().collect(),
            details: self.details,
            metadata,
            magnitude: 0.0,
        };
        c.settle();
        Some(c)
    }
}

struct Cx<'r> {
    rules: &'r Rules,
    basis: RateBasis,
}

fn round(v: f64, places: i32) -> f64 {
    let m = 10f64.powi(places);
    (v * m).round() / m
}

fn pct_of(f: f64, t: f64) -> Option<f64> {
    (f > 0.0).then(|| round((t - f) / f * 100.0, 1))
}

fn fmt_rate(v: f64) -> String {
    if v >= 100.0 {
        human::count(v.round() as u64)
    } else if v >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

fn short(s: &str) -> String {
    const MAX: usize = 60;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(MAX - 1).collect();
        t.push('…');
        t
    }
}

/// Keys only on one side, and on both, of two maps iterated in key order (a merge join).
fn sides<'a, V: 'a>(
    a: impl IntoIterator<Item = (&'a String, &'a V)>,
    b: impl IntoIterator<Item = (&'a String, &'a V)>,
) -> impl Iterator<Item = (&'a String, Option<&'a V>, Option<&'a V>)> {
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    std::iter::from_fn(move || {
        let order = match (a.peek(), b.peek()) {
            (None, None) => return None,
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some((ka, _)), Some((kb, _))) => ka.cmp(kb),
        };
        match order {
            std::cmp::Ordering::Less => a.next().map(|(k, v)| (k, Some(v), None)),
            std::cmp::Ordering::Greater => b.next().map(|(k, v)| (k, None, Some(v))),
            std::cmp::Ordering::Equal => {
                let (k, va) = a.next()?;
                let (_, vb) = b.next()?;
                Some((k, Some(va), Some(vb)))
            }
        }
    })
}

impl Cx<'_> {
    fn sev_ok(&self, it: &mut Item, d: D) {
        it.push(self.rules, d);
    }

    /// An estimated cardinality that exists on both sides.
    #[allow(clippy::too_many_arguments)]
    fn cardinality(
        &self,
        it: &mut Item,
        field: String,
        key: Option<&str>,
        label: &str,
        f: u64,
        t: u64,
        approximate: bool,
    ) {
        if f == t {
            return;
        }
        let (ff, tf) = (f as f64, t as f64);
        if (tf - ff).abs() <= self.rules.cardinality_tolerance * ff {
            return;
        }
        let r = self.rules;
        let ratio = if f > 0 { tf / ff } else { f64::INFINITY };
        let grows_past = |thr: f64| t > f && ratio >= thr;
        let (rule, why) = if grows_past(r.cardinality_critical) && t >= r.ratio_floor {
            (
                Rule::CardinalityCritical,
                format!("{} ≥ {}×", ratio_text(f, ratio), r.cardinality_critical),
            )
        } else if grows_past(r.cardinality_warning) && t >= r.ratio_floor {
            (
                Rule::CardinalityWarning,
                format!("{} ≥ {}×", ratio_text(f, ratio), r.cardinality_warning),
            )
        } else if grows_past(r.cardinality_warning) {
            (
                Rule::Changed,
                format!(
                    "{}, under the floor of {}",
                    ratio_text(f, ratio),
                    human::with_commas(r.ratio_floor)
                ),
            )
        } else if f > 0 {
            (Rule::Changed, human::pct((tf - ff) / ff * 100.0))
        } else {
            (Rule::Changed, "from none".to_string())
        };
        let approx = if approximate { ", approximate" } else { "" };
        it.approximate |= approximate;
        let magnitude = if t >= f {
            ratio.min(tf)
        } else if t > 0 {
            ff / tf
        } else {
            ff
        };
        self.sev_ok(
            it,
            D {
                field,
                key: key.map(str::to_string),
                from: json!(f),
                to: json!(t),
                pct: pct_of(ff, tf),
                rule,
                message: format!(
                    "{label} {} → {} ({why}{approx})",
                    human::estimate(f),
                    human::estimate(t)
                ),
                magnitude,
            },
        );
    }

    /// A sample count, compared per second when both sides have a capture window.
    fn rate(&self, it: &mut Item, fields: (&str, &str), noun: &str, f: u64, t: u64) {
        let (fv, tv, field, label, unit) = match self.basis {
            RateBasis::PerSecond {
                from_window,
                to_window,
            } => (
                f as f64 / from_window,
                t as f64 / to_window,
                fields.0,
                format!("{noun} rate"),
                "/s",
            ),
            RateBasis::RawCounts => (f as f64, t as f64, fields.1, format!("{noun}s"), ""),
        };
        if fv == tv || (tv - fv).abs() <= self.rules.rate_tolerance * fv {
            return;
        }
        let r = self.rules;
        let ratio = if fv > 0.0 { tv / fv } else { f64::INFINITY };
        let (rule, why) = if tv > fv && ratio >= r.sample_rate_warning && t >= r.ratio_floor {
            (
                Rule::SampleRate,
                format!("{} ≥ {}×", ratio_text(f, ratio), r.sample_rate_warning),
            )
        } else if tv > fv && ratio >= r.sample_rate_warning {
            (
                Rule::Changed,
                format!(
                    "{}, under the floor of {} samples",
                    ratio_text(f, ratio),
                    human::with_commas(r.ratio_floor)
                ),
            )
        } else if fv > 0.0 {
            (Rule::Changed, human::pct((tv - fv) / fv * 100.0))
        } else {
            (Rule::Changed, "from none".to_string())
        };
        let (from, to) = match self.basis {
            RateBasis::PerSecond { .. } => (json!(round(fv, 3)), json!(round(tv, 3))),
            RateBasis::RawCounts => (json!(f), json!(t)),
        };
        let magnitude = if tv >= fv {
            ratio.min(t as f64)
        } else if tv > 0.0 {
            fv / tv
        } else {
            f as f64
        };
        self.sev_ok(
            it,
            D {
                field: field.to_string(),
                key: None,
                from,
                to,
                pct: pct_of(fv, tv),
                rule,
                message: format!(
                    "{label} {}{unit} → {}{unit} ({why})",
                    fmt_rate(fv),
                    fmt_rate(tv)
                ),
                magnitude,
            },
        );
    }

    /// A categorical value (type, unit, kind…) that differs.
    fn value<T: PartialEq + serde::Serialize + std::fmt::Display>(
        &self,
        it: &mut Item,
        field: &str,
        rule: Rule,
        f: T,
        t: T,
    ) {
        if f == t {
            return;
        }
        let show = |v: &T| {
            let s = v.to_string();
            if s.is_empty() {
                "(none)".to_string()
            } else {
                s
            }
        };
        let message = format!("{field} {} → {}", show(&f), show(&t));
        self.sev_ok(
            it,
            D {
                field: field.to_string(),
                key: None,
                from: json!(f),
                to: json!(t),
                pct: None,
                rule,
                message,
                magnitude: 1.0,
            },
        );
    }

    /// Members of a set (event names, status codes, signal types) that came or went.
    fn members(&self, it: &mut Item, field: &str, noun: &str, f: &[String], t: &[String]) {
        let fs: BTreeSet<&String> = f.iter().collect();
        let ts: BTreeSet<&String> = t.iter().collect();
        for m in fs.union(&ts) {
            let (from, to, rule, what) = match (fs.contains(m), ts.contains(m)) {
                (true, true) => continue,
                (false, _) => (Value::Null, json!(m), Rule::Added, "added"),
                (true, false) => (json!(m), Value::Null, Rule::Removed, "removed"),
            };
            self.sev_ok(
                it,
                D {
                    field: format!("{field}.{m}"),
                    key: None,
                    from,
                    to,
                    pct: None,
                    rule,
                    message: format!("{noun} {m} {what}"),
                    magnitude: 1.0,
                },
            );
        }
    }

    /// Keys of a key map that came, went, or changed cardinality.
    fn keys(
        &self,
        it: &mut Item,
        prefix: &str,
        noun: &str,
        f: &KeyStatsMap,
        t: &KeyStatsMap,
        removed_rule: Rule,
    ) {
        if f.len() == t.len()
            && f.iter().zip(t).all(|((ka, a), (kb, b))| {
                ka == kb && a.estimated_cardinality == b.estimated_cardinality
            })
        {
            return;
        }
        for (k, a, b) in sides(f, t) {
            match (a, b) {
                (Some(a), Some(b)) => self.cardinality(
                    it,
                    format!("{prefix}.{k}.estimated_cardinality"),
                    Some(k),
                    &format!("{noun} {k} cardinality"),
                    a.estimated_cardinality,
                    b.estimated_cardinality,
                    a.approximate || b.approximate,
                ),
                (None, Some(b)) => {
                    let card = b.estimated_cardinality;
                    let high = card > self.rules.new_high_cardinality;
                    let message = if high {
                        format!(
                            "new {noun} {k} with {} values (> {})",
                            human::estimate(card),
                            human::with_commas(self.rules.new_high_cardinality)
                        )
                    } else {
                        format!("new {noun} {k} ({} values)", human::estimate(card))
                    };
                    self.sev_ok(
                        it,
                        D {
                            field: format!("{prefix}.{k}"),
                            key: Some(k.clone()),
                            from: Value::Null,
                            to: json!(card),
                            pct: None,
                            rule: if high {
                                Rule::NewHighCardinality
                            } else {
                                Rule::Added
                            },
                            message,
                            magnitude: card as f64,
                        },
                    );
                }
                (Some(a), None) => {
                    let card = a.estimated_cardinality;
                    self.sev_ok(
                        it,
                        D {
                            field: format!("{prefix}.{k}"),
                            key: Some(k.clone()),
                            from: json!(card),
                            to: Value::Null,
                            pct: None,
                            rule: removed_rule,
                            message: format!(
                                "{noun} {k} removed (had {} values)",
                                human::estimate(card)
                            ),
                            magnitude: card as f64,
                        },
                    );
                }
                (None, None) => {}
            }
        }
    }

    /// A whole item that appeared or disappeared, sized by `size`; the closures word the
    /// message around the humanised size.
    #[allow(clippy::too_many_arguments)]
    fn whole(
        &self,
        it: &mut Item,
        field: &str,
        key: Option<&str>,
        size: u64,
        added: impl Fn(&str) -> String,
        removed: impl Fn(&str) -> String,
        removed_rule: Rule,
    ) {
        let is_added = it.ctype == ChangeType::Added;
        let high = is_added && size > self.rules.new_high_cardinality;
        let n = human::estimate(size);
        let (rule, message) = if high {
            (
                Rule::NewHighCardinality,
                format!(
                    "{} (> {})",
                    added(&n),
                    human::with_commas(self.rules.new_high_cardinality)
                ),
            )
        } else if is_added {
            (Rule::Added, added(&n))
        } else {
            (removed_rule, removed(&n))
        };
        let (from, to) = if is_added {
            (Value::Null, json!(size))
        } else {
            (json!(size), Value::Null)
        };
        self.sev_ok(
            it,
            D {
                field: field.to_string(),
                key: key.map(str::to_string),
                from,
                to,
                pct: None,
                rule,
                message,
                magnitude: size as f64,
            },
        );
    }

    fn metric(&self, a: Option<&MetricMeta>, b: Option<&MetricMeta>) -> Option<Change> {
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
                    "active_series",
                    None,
                    one.active_series,
                    |n| format!("new {} metric with {n} series", one.metric_type),
                    |n| format!("metric removed (had {n} series)"),
                    Rule::MetricRemoved,
                );
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
        let opt = |s: &Option<String>| s.clone().unwrap_or_default();
        self.value(
            &mut it,
            "aggregation_temporality",
            Rule::TemporalityChanged,
            opt(&a.aggregation_temporality),
            opt(&b.aggregation_temporality),
        );
        let mono = |v: Option<bool>| v.map(|b| b.to_string()).unwrap_or_default();
        self.value(
            &mut it,
            "is_monotonic",
            Rule::MonotonicityChanged,
            mono(a.is_monotonic),
            mono(b.is_monotonic),
        );
        if a.explicit_bounds != b.explicit_bounds {
            let d = D {
                field: "explicit_bounds".into(),
                key: None,
                from: json!(a.explicit_bounds),
                to: json!(b.explicit_bounds),
                pct: None,
                rule: Rule::BoundsChanged,
                message: format!(
                    "bucket bounds {} → {}",
                    bounds_text(&a.explicit_bounds),
                    bounds_text(&b.explicit_bounds)
                ),
                magnitude: 1.0,
            };
            self.sev_ok(&mut it, d);
        }
        self.cardinality(
            &mut it,
            "active_series".into(),
            None,
            "active series",
            a.active_series,
            b.active_series,
            a.series_approximate || b.series_approximate,
        );
        if b.active_series > a.active_series
            && let Some((key, cause)) = self.series_driver(a, b)
            && let Some(d) = it.details.iter_mut().find(|d| d.field == "active_series")
        {
            // Name the label behind a series explosion in the line people read first.
            d.message = format!("{}; {cause})", d.message.trim_end_matches(')'));
            md.insert("series_driver".into(), json!(key));
        }
        self.rate(
            &mut it,
            ("sample_rate", "sample_count"),
            "sample",
            a.sample_count,
            b.sample_count,
        );
        self.keys(
            &mut it,
            "label_keys",
            "label",
            &a.label_keys,
            &b.label_keys,
            Rule::LabelRemoved,
        );
        self.keys(
            &mut it,
            "resource_keys",
            "resource key",
            &a.resource_keys,
            &b.resource_keys,
            Rule::Removed,
        );
        it.finish(services, md)
    }

    /// The label key whose growth best explains more series: the largest growth ratio, with
    /// a new key counted as growth from one value; at least the warning ratio.
    fn series_driver(&self, a: &MetricMeta, b: &MetricMeta) -> Option<(String, String)> {
        let mut best: Option<(f64, &String, Option<u64>, u64)> = None;
        for (k, y) in &b.label_keys {
            let to = y.estimated_cardinality;
            let old = a.label_keys.get(k).map(|x| x.estimated_cardinality);
            let growth = match old {
                Some(0) | None => to as f64,
                Some(x) => to as f64 / x as f64,
            };
            if best.is_none_or(|(g, ..)| growth > g) {
                best = Some((growth, k, old, to));
            }
        }
        let (growth, k, old, to) = best?;
        if growth < self.rules.cardinality_warning {
            return None;
        }
        let cause = match old {
            Some(x) if x > 0 => {
                format!("label {k} {} → {}", human::estimate(x), human::estimate(to))
            }
            _ => format!("new label {k} has {} values", human::estimate(to)),
        };
        Some((k.clone(), cause))
    }

    fn span(&self, name: &str, a: Option<&SpanMeta>, b: Option<&SpanMeta>) -> Option<Change> {
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
                let kind = span_kind(s);
                self.whole(
                    &mut it,
                    "attribute_keys",
                    key,
                    card,
                    |n| match key {
                        Some(k) => format!("new {kind} span; attribute {k} has {n} values"),
                        None => format!("new {kind} span with no attributes"),
                    },
                    |n| match key {
                        Some(k) => format!("{kind} span removed (attribute {k} had {n} values)"),
                        None => format!("{kind} span removed"),
                    },
                    Rule::Removed,
                );
                return it.finish(services, md);
            }
            (None, None) => return None,
        };
        let mut it = Item::new(ItemKind::Span, ChangeType::Changed, name);
        self.value(&mut it, "kind", Rule::Changed, span_kind(a), span_kind(b));
        self.keys(
            &mut it,
            "attribute_keys",
            "attribute",
            &a.attribute_keys,
            &b.attribute_keys,
            Rule::Removed,
        );
        self.members(
            &mut it,
            "event_names",
            "event",
            &a.event_names,
            &b.event_names,
        );
        for (ev, x, y) in sides(&a.event_attribute_keys, &b.event_attribute_keys) {
            if let (Some(x), Some(y)) = (x, y) {
                self.keys(
                    &mut it,
                    &format!("event_attribute_keys.{ev}"),
                    &format!("event {ev} attribute"),
                    x,
                    y,
                    Rule::Removed,
                );
            }
        }
        self.keys(
            &mut it,
            "link_attribute_keys",
            "link attribute",
            &a.link_attribute_keys,
            &b.link_attribute_keys,
            Rule::Removed,
        );
        self.keys(
            &mut it,
            "resource_keys",
            "resource key",
            &a.resource_keys,
            &b.resource_keys,
            Rule::Removed,
        );
        self.members(
            &mut it,
            "status_codes",
            "status code",
            &a.status_codes,
            &b.status_codes,
        );
        self.rate(
            &mut it,
            ("sample_rate", "sample_count"),
            "span",
            a.sample_count,
            b.sample_count,
        );
        it.finish(services, md)
    }

    fn log(&self, a: Option<&LogMeta>, b: Option<&LogMeta>) -> Option<Change> {
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
                    "attribute_keys",
                    key,
                    card,
                    |n| match key {
                        Some(k) => format!("new log severity; attribute {k} has {n} values"),
                        None => "new log severity with no attributes".to_string(),
                    },
                    |n| match key {
                        Some(k) => format!("log severity removed (attribute {k} had {n} values)"),
                        None => "log severity removed".to_string(),
                    },
                    Rule::Removed,
                );
                return it.finish(services, md);
            }
            (None, None) => return None,
        };
        let mut it = Item::new(ItemKind::Log, ChangeType::Changed, &a.severity);
        self.keys(
            &mut it,
            "attribute_keys",
            "attribute",
            &a.attribute_keys,
            &b.attribute_keys,
            Rule::Removed,
        );
        self.keys(
            &mut it,
            "resource_keys",
            "resource key",
            &a.resource_keys,
            &b.resource_keys,
            Rule::Removed,
        );
        self.templates(&mut it, a, b);
        self.members(
            &mut it,
            "event_names",
            "event",
            &a.event_names,
            &b.event_names,
        );
        self.rate(
            &mut it,
            ("sample_rate", "sample_count"),
            "record",
            a.sample_count,
            b.sample_count,
        );
        it.finish(services, md)
    }

    /// Body templates that came, went, or whose share of the severity's records moved.
    fn templates(&self, it: &mut Item, a: &LogMeta, b: &LogMeta) {
        let share = |l: &LogMeta, c: u64| {
            if l.sample_count > 0 {
                c as f64 / l.sample_count as f64
            } else {
                0.0
            }
        };
        let fa: BTreeMap<&str, u64> = a
            .body_templates
            .iter()
            .map(|t| (t.template.as_str(), t.count))
            .collect();
        let fb: BTreeMap<&str, u64> = b
            .body_templates
            .iter()
            .map(|t| (t.template.as_str(), t.count))
            .collect();
        let all: BTreeSet<&str> = fa.keys().chain(fb.keys()).copied().collect();
        for t in all {
            let field = format!("body_templates.{t}");
            let pct = |s: f64| format!("{:.0}%", s * 100.0);
            let d = match (fa.get(t), fb.get(t)) {
                (Some(&x), Some(&y)) => {
                    let (sx, sy) = (share(a, x), share(b, y));
                    if (sy - sx).abs() <= self.rules.template_share_tolerance || sx == sy {
                        continue;
                    }
                    D {
                        field,
                        key: None,
                        from: json!(round(sx, 4)),
                        to: json!(round(sy, 4)),
                        pct: pct_of(sx, sy),
                        rule: Rule::TemplateShare,
                        message: format!(
                            "body template \"{}\" share of records {} → {}",
                            short(t),
                            pct(sx),
                            pct(sy)
                        ),
                        magnitude: if sx > 0.0 && sy > 0.0 {
                            (sy / sx).max(sx / sy)
                        } else {
                            1.0
                        },
                    }
                }
                (None, Some(&y)) => D {
                    field,
                    key: None,
                    from: Value::Null,
                    to: json!(y),
                    pct: None,
                    rule: Rule::Added,
                    message: format!(
                        "new body template \"{}\" ({} of records)",
                        short(t),
                        pct(share(b, y))
                    ),
                    magnitude: 1.0,
                },
                (Some(&x), None) => D {
                    field,
                    key: None,
                    from: json!(x),
                    to: Value::Null,
                    pct: None,
                    rule: Rule::Removed,
                    message: format!(
                        "body template \"{}\" gone (was {} of records)",
                        short(t),
                        pct(share(a, x))
                    ),
                    magnitude: 1.0,
                },
                (None, None) => continue,
            };
            self.sev_ok(it, d);
        }
    }

    fn attribute(&self, a: Option<&AttributeMeta>, b: Option<&AttributeMeta>) -> Option<Change> {
        let at = b.or(a)?;
        let mut md = BTreeMap::new();
        if !at.scope.is_empty() {
            md.insert("scope".into(), json!(at.scope));
        }
        let none = std::iter::empty::<&String>();
        let (a, b) = match (a, b) {
            (Some(a), Some(b)) => (a, b),
            (None, Some(x)) | (Some(x), None) => {
                let ctype = ChangeType::one_sided(b.is_some());
                let mut it = Item::new(ItemKind::Attribute, ctype, &x.key);
                it.approximate = x.approximate;
                let on = if x.signal_types.is_empty() {
                    String::new()
                } else {
                    format!(" on {}", x.signal_types.join(", "))
                };
                self.whole(
                    &mut it,
                    "estimated_cardinality",
                    Some(&x.key),
                    x.estimated_cardinality,
                    |n| format!("new attribute{on} with {n} values"),
                    |n| format!("attribute removed{on} (had {n} values)"),
                    Rule::Removed,
                );
                return it.finish(none, md);
            }
            (None, None) => return None,
        };
        let mut it = Item::new(ItemKind::Attribute, ChangeType::Changed, &a.key);
        self.cardinality(
            &mut it,
            "estimated_cardinality".into(),
            Some(&a.key),
            "cardinality",
            a.estimated_cardinality,
            b.estimated_cardinality,
            a.approximate || b.approximate,
        );
        self.rate(
            &mut it,
            ("count_rate", "count"),
            "occurrence",
            a.count,
            b.count,
        );
        self.members(
            &mut it,
            "signal_types",
            "signal",
            &a.signal_types,
            &b.signal_types,
        );
        self.value(&mut it, "scope", Rule::Changed, &a.scope, &b.scope);
        it.finish(none, md)
    }
}

/// The key with the most distinct values (ties: the first by name).
fn widest(keys: &KeyStatsMap) -> (Option<&str>, u64) {
    let mut best: (Option<&str>, u64) = (None, 0);
    for (k, v) in keys {
        if best.0.is_none() || v.estimated_cardinality > best.1 {
            best = (Some(k.as_str()), v.estimated_cardinality);
        }
    }
    best
}

fn ratio_text(f: u64, ratio: f64) -> String {
    if f == 0 {
        "from none".to_string()
    } else {
        human::ratio(ratio)
    }
}

fn bounds_text(b: &[f64]) -> String {
    if b.is_empty() {
        return "[]".to_string();
    }
    let shown: Vec<String> = b.iter().take(4).map(|v| v.to_string()).collect();
    if b.len() > 4 {
        format!("[{}, … {} bounds]", shown.join(", "), b.len())
    } else {
        format!("[{}]", shown.join(", "))
    }
}
