//! Laws of `diff`, checked on generated sessions: a session diffs clean against itself, what
//! diff(a, b) calls added diff(b, a) calls removed, and output is the same on every run and
//! for any input order; and what capture caps refused is never judged above info.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

#[path = "diff_golden/support.rs"]
mod support;

use std::collections::{BTreeMap, BTreeSet};

use otelsnap::diff::Severity;
use otelsnap::diff::{ChangeType, DiffReport, Filters, ItemKind, Rules};
use otelsnap::render::{diff_github, diff_json, diff_junit, diff_markdown, diff_sarif, diff_table};
use otelsnap::session::{Completeness, Incomplete, KeyStatsMap, MetricType, Session, Signal};
use proptest::prelude::*;
use support::*;

const TYPES: [MetricType; 3] = [MetricType::Gauge, MetricType::Sum, MetricType::Histogram];
const SEVERITIES: [(&str, i32); 4] = [("DEBUG", 5), ("INFO", 9), ("WARN", 13), ("ERROR", 17)];

type Keys = BTreeMap<u8, u64>;

#[derive(Debug, Clone)]
struct Model {
    window: Option<u8>,
    signals: Vec<bool>,
    metrics: BTreeMap<u8, (usize, u64, u64, Keys)>,
    spans: BTreeMap<u8, (u64, Keys, Vec<u8>)>,
    logs: BTreeMap<usize, (u64, Keys, BTreeMap<u8, u64>)>,
    attributes: BTreeMap<u8, (u64, u64, Vec<bool>)>,
}

fn keys() -> impl Strategy<Value = Keys> {
    prop::collection::btree_map(0u8..6, 0u64..3000, 0..4)
}

fn model() -> impl Strategy<Value = Model> {
    (
        prop::option::of(1u8..120),
        prop::collection::vec(any::<bool>(), 3),
        prop::collection::btree_map(0u8..12, (0usize..3, 0u64..5000, 0u64..5000, keys()), 0..8),
        prop::collection::btree_map(
            0u8..8,
            (0u64..5000, keys(), prop::collection::vec(0u8..3, 0..3)),
            0..5,
        ),
        prop::collection::btree_map(
            0usize..4,
            (
                1u64..5000,
                keys(),
                prop::collection::btree_map(0u8..4, 1u64..500, 0..3),
            ),
            0..4,
        ),
        prop::collection::btree_map(
            0u8..10,
            (
                0u64..5000,
                0u64..5000,
                prop::collection::vec(any::<bool>(), 3),
            ),
            0..6,
        ),
    )
        .prop_map(
            |(window, signals, metrics, spans, logs, attributes)| Model {
                window,
                signals,
                metrics,
                spans,
                logs,
                attributes,
            },
        )
}

fn pairs(k: &Keys, prefix: &str) -> Vec<(String, u64)> {
    k.iter()
        .map(|(i, c)| (format!("{prefix}{i}"), *c))
        .collect()
}

fn as_refs(v: &[(String, u64)]) -> Vec<(&str, u64)> {
    v.iter().map(|(k, c)| (k.as_str(), *c)).collect()
}

fn build(id: &str, m: &Model) -> Session {
    set_sketches(false);
    let mut s = session(id, m.window.map(i64::from));
    s.signals = Signal::ALL
        .iter()
        .zip(&m.signals)
        .filter(|(_, on)| **on)
        .map(|(s, _)| *s)
        .collect();
    for (i, (ty, series, samples, labels)) in &m.metrics {
        let l = pairs(labels, "label.");
        s.data.metrics.push(metric(
            &format!("metric.{i}"),
            TYPES[*ty],
            *series,
            *samples,
            &as_refs(&l),
        ));
    }
    for (i, (samples, attrs, codes)) in &m.spans {
        let a = pairs(attrs, "attr.");
        let mut sp = span(&format!("GET /{i}"), *samples, &as_refs(&a));
        sp.status_codes = codes
            .iter()
            .map(|c| ["Unset", "Ok", "Error"][*c as usize].to_string())
            .collect();
        s.data.spans.push(sp);
    }
    for (i, (samples, attrs, templates)) in &m.logs {
        let a = pairs(attrs, "attr.");
        let t: Vec<(String, u64)> = templates
            .iter()
            .map(|(k, c)| (format!("template {k} <*>"), *c))
            .collect();
        let t: Vec<(&str, u64)> = t.iter().map(|(k, c)| (k.as_str(), *c)).collect();
        let (sev, num) = SEVERITIES[*i];
        s.data.logs.push(log(sev, num, *samples, &as_refs(&a), &t));
    }
    for (i, (card, count, sigs)) in &m.attributes {
        let on: Vec<&str> = ["metrics", "traces", "logs"]
            .iter()
            .zip(sigs)
            .filter(|(_, b)| **b)
            .map(|(s, _)| *s)
            .collect();
        s.data
            .attributes
            .push(attr(&format!("attr.{i}"), *card, *count, &on));
    }
    s.canonicalize();
    s
}

fn report(a: &Session, b: &Session) -> DiffReport {
    DiffReport::build(a, b, &Rules::default(), &Filters::default())
}

fn all_formats(r: &DiffReport) -> String {
    [
        diff_table::render(r, false),
        diff_table::render(r, true),
        diff_json::render(r),
        diff_markdown::render(r),
        diff_github::render(r, None),
        diff_junit::render(r),
        diff_sarif::render(r, Some("base.json.gz")),
    ]
    .concat()
}

/// The items a report calls added (or removed), a change folded by name pattern standing for
/// every name it lists: the fold may differ by direction (an added metric with a finding of its
/// own stays apart, its removal folds), the items may not.
fn presence(r: &DiffReport, t: ChangeType) -> BTreeSet<(ItemKind, String)> {
    let mut out = BTreeSet::new();
    for c in &r.changes {
        match c.metadata.get(otelsnap::diff::name_patterns::PATTERN) {
            Some(p) => {
                let list = if t == ChangeType::Added {
                    "added"
                } else {
                    "removed"
                };
                for n in p[list].as_array().unwrap() {
                    out.insert((c.signal_type, n.as_str().unwrap().to_string()));
                }
            }
            None if c.change_type == t => {
                out.insert((c.signal_type, c.name.clone()));
            }
            None => {}
        }
    }
    out
}

/// `s` as capture caps might have left it: whole items refused, keys refused on the items
/// kept (those marked incomplete), and counts and estimates on them lowered; the session's
/// account says so. `seed` picks what is cut.
fn cut(s: &Session, seed: u64) -> Session {
    let mut out = s.clone();
    out.id = "cut".into();
    let mut bits = seed;
    let mut coin = || {
        bits = bits.rotate_left(7) ^ 0x9e37_79b9_7f4a_7c15;
        bits & 3 == 0
    };
    let mut refused = 0u64;
    let mut marked = 0u64;
    let mut keep = |coin: &mut dyn FnMut() -> bool| {
        let gone = coin();
        refused += u64::from(gone);
        !gone
    };
    out.data.metrics.retain(|_| keep(&mut coin));
    out.data.spans.retain(|_| keep(&mut coin));
    out.data.logs.retain(|_| keep(&mut coin));
    out.data.attributes.retain(|_| keep(&mut coin));
    fn thin(m: &mut KeyStatsMap, coin: &mut dyn FnMut() -> bool) -> u64 {
        let before = m.len();
        let kept: KeyStatsMap = m
            .iter()
            .filter(|_| !coin())
            .map(|(k, v)| {
                let mut v = v.clone();
                v.estimated_cardinality /= 3;
                (k.clone(), v)
            })
            .collect();
        *m = kept;
        (before - m.len()) as u64 + 1
    }
    let mut mark = |inc: &mut Option<Incomplete>, dropped: u64| {
        marked += 1;
        *inc = Some(Incomplete {
            dropped,
            caps: vec!["keys_per_item".into()],
        });
    };
    for m in &mut out.data.metrics {
        if coin() {
            let d = thin(&mut m.label_keys, &mut coin);
            m.active_series /= 4;
            m.sample_count /= 2;
            mark(&mut m.incomplete, d);
        }
    }
    for sp in &mut out.data.spans {
        if coin() {
            let d = thin(&mut sp.attribute_keys, &mut coin);
            sp.status_codes.clear();
            mark(&mut sp.incomplete, d);
        }
    }
    for l in &mut out.data.logs {
        if coin() {
            let d = thin(&mut l.attribute_keys, &mut coin);
            l.body_templates.truncate(1);
            mark(&mut l.incomplete, d);
        }
    }
    for a in &mut out.data.attributes {
        a.estimated_cardinality /= 2;
        a.count /= 2;
    }
    out.completeness = Some(Completeness {
        incomplete_items: marked,
        refused_items: refused,
        dropped_by_cap: [
            ("keys_per_item".to_string(), 1),
            ("max_items".to_string(), refused),
        ]
        .into(),
    });
    out.canonicalize();
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn what_caps_refused_is_never_judged_above_info(m in model(), seed in any::<u64>()) {
        let full = build("full", &m);
        let cut = cut(&full, seed);
        for r in [report(&full, &cut), report(&cut, &full)] {
            for c in &r.changes {
                prop_assert_eq!(c.severity, Severity::Info, "{:#?}", c);
                for d in &c.details {
                    if let Some(n) = &d.not_judged {
                        prop_assert!(n.severity >= d.severity);
                    }
                }
            }
            prop_assert_eq!(r.incomplete.len(), 1);
        }
    }

    #[test]
    fn a_session_diffs_clean_against_itself(m in model()) {
        let a = build("a", &m);
        let r = report(&a, &a);
        prop_assert!(r.changes.is_empty(), "{:#?}", r.changes);
        prop_assert_eq!(r.exit_code, 0);
        prop_assert_eq!(r.max_severity, None);
        prop_assert!(r.not_compared.is_empty());
    }

    #[test]
    fn added_one_way_is_removed_the_other(ma in model(), mb in model()) {
        let (a, b) = (build("a", &ma), build("b", &mb));
        let (ab, ba) = (report(&a, &b), report(&b, &a));
        prop_assert_eq!(presence(&ab, ChangeType::Added), presence(&ba, ChangeType::Removed));
        prop_assert_eq!(presence(&ab, ChangeType::Removed), presence(&ba, ChangeType::Added));
        let nc = |r: &DiffReport| r.not_compared.iter().map(|n| (n.signal, n.captured_by.clone())).collect::<BTreeSet<_>>();
        prop_assert_eq!(nc(&ab), nc(&ba));
    }

    #[test]
    fn output_is_identical_across_runs_and_input_orders(ma in model(), mb in model()) {
        let (a, b) = (build("a", &ma), build("b", &mb));
        let first = all_formats(&report(&a, &b));
        prop_assert_eq!(&first, &all_formats(&report(&a, &b)));
        let (mut ra, mut rb) = (a.clone(), b.clone());
        ra.data.metrics.reverse();
        ra.data.attributes.reverse();
        rb.data.spans.reverse();
        rb.data.logs.reverse();
        prop_assert_eq!(&first, &all_formats(&report(&ra, &rb)));
    }

    #[test]
    fn exit_code_matches_threshold(ma in model(), mb in model()) {
        let (a, b) = (build("a", &ma), build("b", &mb));
        let r = report(&a, &b);
        prop_assert_eq!(r.exit_code == 1, !r.changes.is_empty());
        for w in r.changes.windows(2) {
            prop_assert!(w[0].rank_cmp(&w[1]).is_lt());
        }
        for c in &r.changes {
            prop_assert!(!c.details.is_empty());
            prop_assert_eq!(Some(c.severity), c.details.iter().map(|d| d.severity).max());
        }
    }
}
