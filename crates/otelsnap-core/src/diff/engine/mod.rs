//! Compares two sessions item by item and field by field.
//!
//! Items are matched by identity with a merge join over sorted keys, so the work is
//! O(n log n) in the number of items and allocation happens only for real differences.
//! `fields` compares one field of a matched pair (cardinalities, rates, values, sets, key
//! sets, templates); `items` walks each kind of item through its fields. Every detail
//! carries its [`Evidence`] as data; no sentence is written here.

mod fields;
mod items;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::completeness::{Accounts, NotJudged};
use super::evidence::{Evidence, Step};
use super::rules::{Rule, Rules};
use super::{
    Change, ChangeType, Detail, Filters, ItemKind, NotCompared, RateBasis, Side, SignalGap,
    fingerprint,
};
use crate::session::{AttributeMeta, Incomplete, KeyStatsMap, Session, Signal, SpanMeta};

/// Unfiltered, unranked result of [`compare`].
#[derive(Debug, Clone, PartialEq)]
pub struct RawDiff {
    /// Every change found, unranked.
    pub changes: Vec<Change>,
    /// How sample counts were compared.
    pub rate_basis: RateBasis,
    /// Signals only one side captured.
    pub not_compared: Vec<NotCompared>,
    /// Signals one side holds and the other holds none of.
    pub signal_gaps: Vec<SignalGap>,
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
    let mut signal_gaps = Vec::new();
    for sig in Signal::ALL {
        let kind = kind_of(sig);
        let (hf, ht) = (holds(from, sig), holds(to, sig));
        if hf.0 == 0 && ht.0 == 0 || hf.0 > 0 && ht.0 > 0 || !filters.wants(kind) {
            continue;
        }
        let (side, empty, full, captured) = if hf.0 == 0 {
            (Side::From, from, ht, &cf)
        } else {
            (Side::To, to, hf, &ct)
        };
        signal_gaps.push(SignalGap {
            signal: kind.plural(),
            side,
            id: empty.id.clone(),
            declared: captured.contains(&sig),
            items: full.0,
            templates: (sig == Signal::Logs).then_some(full.1),
            samples: full.2,
        });
    }
    let cx = Cx {
        rules,
        basis,
        acc: Accounts::of(from, to),
        foreign: (from.producer.is_none(), to.producer.is_none()),
    };
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
            // A join pair always has a side; skip the impossible empty pair.
            let Some(either) = a.or(b) else { continue };
            let name = key(either);
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
    super::name_patterns::fold(from, to, rules, &mut changes);
    cx.judge_verdicts(from, to, &mut changes);
    RawDiff {
        changes,
        rate_basis: basis,
        not_compared,
        signal_gaps,
    }
}

/// What a session holds of a signal: items, log templates, and samples (points, spans, records).
fn holds(s: &Session, sig: Signal) -> (u64, u64, u64) {
    let n = |x: usize| x as u64;
    let sum = |it: &mut dyn Iterator<Item = u64>| it.fold(0u64, u64::saturating_add);
    match sig {
        Signal::Metrics => (
            n(s.data.metrics.len()),
            0,
            sum(&mut s.data.metrics.iter().map(|m| m.sample_count)),
        ),
        Signal::Traces => (
            n(s.data.spans.len()),
            0,
            sum(&mut s.data.spans.iter().map(|x| x.sample_count)),
        ),
        Signal::Logs => (
            n(s.data.logs.len()),
            n(s.data.logs.iter().map(|l| l.body_templates.len()).sum()),
            sum(&mut s.data.logs.iter().map(|l| l.sample_count)),
        ),
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
    evidence: Evidence,
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
            evidence: d.evidence,
            key: d.key,
            magnitude: d.magnitude,
            not_judged: None,
        });
    }

    fn finish<'a>(
        self,
        services: impl Iterator<Item = &'a crate::session::Key>,
        mut metadata: BTreeMap<String, Value>,
    ) -> Option<Change> {
        if self.details.is_empty() {
            return None;
        }
        if self.approximate {
            metadata.insert("approximate".into(), Value::Bool(true));
        }
        let services: BTreeSet<&str> = services.map(|k| k.as_str()).collect();
        let mut c = Change {
            fingerprint: fingerprint(self.kind, self.ctype, &self.name, ""),
            change_type: self.ctype,
            signal_type: self.kind,
            name: self.name,
            severity: super::Severity::Info,
            services: services.into_iter().map(str::to_owned).collect(),
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
    /// What each side's caps refused (the incomplete-side rule).
    acc: Accounts,
    /// Whether each side (FROM, TO) was written by another tool (an OCC export names no
    /// producer): fields such a file leaves out are unknown there, not absent.
    foreign: (bool, bool),
}

impl Cx<'_> {
    /// The incomplete-side rule for the verdict and name-pattern findings, which are added
    /// after the field comparison: each says something is new or turned in TO, which an
    /// incomplete FROM cannot show (it may have refused the very key or name).
    fn judge_verdicts<'s>(&self, from: &'s Session, to: &'s Session, changes: &mut [Change]) {
        if self.acc.all_complete() {
            return;
        }
        type Markers<'a> = BTreeMap<(ItemKind, Cow<'a, str>), Option<&'a Incomplete>>;
        let key = span_key(&from.data.spans, &to.data.spans);
        let markers = |s: &'s Session| -> Markers<'s> {
            let mut m: Markers<'_> = BTreeMap::new();
            for x in &s.data.metrics {
                m.insert(
                    (ItemKind::Metric, Cow::Borrowed(x.name.as_str())),
                    x.incomplete.as_ref(),
                );
            }
            for x in &s.data.spans {
                m.insert((ItemKind::Span, key(x)), x.incomplete.as_ref());
            }
            for x in &s.data.logs {
                m.insert(
                    (ItemKind::Log, Cow::Borrowed(x.severity.as_str())),
                    x.incomplete.as_ref(),
                );
            }
            m
        };
        let (fm, tm) = (markers(from), markers(to));
        for c in changes.iter_mut() {
            let id = (c.signal_type, Cow::Borrowed(c.name.as_str()));
            let pair = (
                fm.get(&id).copied().flatten(),
                tm.get(&id).copied().flatten(),
            );
            let mut touched = false;
            for d in &mut c.details {
                if d.not_judged.is_some() || !matches!(d.evidence, Evidence::Verdict(_)) {
                    continue;
                }
                if let Some((side, gap)) =
                    self.acc
                        .judge(c.signal_type, c.change_type, &d.evidence, pair)
                {
                    d.not_judged = Some(NotJudged {
                        side,
                        severity: d.severity,
                        gap,
                    });
                    d.severity = d.severity.min(super::Severity::Info);
                    touched = true;
                }
            }
            if touched {
                c.settle();
            }
        }
    }

    /// Applies the incomplete-side rule to an item's details: a finding an incomplete side
    /// could explain goes to info, keeping why and its rule's severity. `markers` are the
    /// item's [`Incomplete`] markers on FROM and TO.
    fn judge(&self, it: &mut Item, markers: (Option<&Incomplete>, Option<&Incomplete>)) {
        if self.acc.all_complete() {
            return;
        }
        let (kind, ctype) = (it.kind, it.ctype);
        for d in &mut it.details {
            if let Some((side, gap)) = self.acc.judge(kind, ctype, &d.evidence, markers) {
                d.not_judged = Some(NotJudged {
                    side,
                    severity: d.severity,
                    gap,
                });
                d.severity = d.severity.min(super::Severity::Info);
            }
        }
    }
}

fn round(v: f64, places: i32) -> f64 {
    let m = 10f64.powi(places);
    (v * m).round() / m
}

fn pct_of(f: f64, t: f64) -> Option<f64> {
    (f > 0.0).then(|| round((t - f) / f * 100.0, 1))
}

/// Keys only on one side, and on both, of two maps iterated in key order (a merge join).
fn sides<'a, K: Ord + ?Sized + 'a, V: 'a>(
    a: impl IntoIterator<Item = (&'a K, &'a V)>,
    b: impl IntoIterator<Item = (&'a K, &'a V)>,
) -> impl Iterator<Item = (&'a K, Option<&'a V>, Option<&'a V>)> {
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

/// The one threshold ladder of the ratio rules (cardinality and sample rate): the first
/// `(ratio, rule)` of `steps` (highest first) that a growth reaches fires, provided the new
/// value is at or above the floor; a growth past the last (lowest) ratio but under the floor
/// is a plain change that says so.
fn ladder(
    grew: bool,
    ratio: f64,
    new_value: u64,
    floor: u64,
    from_zero: bool,
    steps: &[(f64, Rule)],
) -> (Rule, Step) {
    if grew && new_value >= floor {
        for &(threshold, rule) in steps {
            if ratio >= threshold {
                return (rule, Step::Crossed { threshold });
            }
        }
    }
    let lowest = steps.last().map_or(f64::INFINITY, |s| s.0);
    if grew && ratio >= lowest {
        (Rule::Changed, Step::UnderFloor { floor })
    } else if from_zero {
        (Rule::Changed, Step::FromNone)
    } else {
        (Rule::Changed, Step::Moved)
    }
}
