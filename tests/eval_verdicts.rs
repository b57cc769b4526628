//! The verdict targets on the generated evaluation set: at 50 occurrences and above, recall of
//! `unbounded` ≥ 95% and no bounded key called unbounded; at 20, no bounded key called unbounded.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

use otelsnap::session::Verdict;
use otelsnap_testkit::evalset::{LEVELS, Score, keys, run_key};

#[test]
fn the_set_has_forty_labelled_keys_of_both_kinds() {
    let k = keys();
    assert!(k.len() >= 40);
    assert!(k.iter().filter(|k| k.bounded).count() >= 20);
    assert!(k.iter().filter(|k| !k.bounded).count() >= 20);
    let mut names: Vec<&str> = k.iter().map(|k| k.name).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), k.len(), "key names are unique");
}

#[test]
fn verdict_targets_hold_at_every_level_with_and_without_repeats() {
    let keys = keys();
    for level in LEVELS {
        for repeats in [false, true] {
            let outcomes: Vec<_> = keys.iter().map(|k| run_key(k, level, repeats)).collect();
            let s = Score::of(&outcomes);
            let wrong: Vec<String> = outcomes
                .iter()
                .filter(|o| o.bounded && o.verdict == Verdict::Unbounded)
                .map(|o| format!("{}: {:?}", o.key, o.evidence.as_ref().map(|e| &e.reason)))
                .collect();
            assert!(
                wrong.is_empty(),
                "level {level} repeats {repeats}: bounded called unbounded: {wrong:?}"
            );
            if level >= 50 {
                let missed: Vec<String> = outcomes
                    .iter()
                    .filter(|o| !o.bounded && o.verdict != Verdict::Unbounded)
                    .map(|o| format!("{}: {:?}", o.key, o.evidence.as_ref().map(|e| &e.reason)))
                    .collect();
                assert!(
                    s.recall() >= 0.95,
                    "level {level} repeats {repeats}: recall {:.3}, missed {missed:?}",
                    s.recall()
                );
            }
        }
    }
}

#[test]
fn repeats_of_cumulative_series_do_not_look_like_levelling_off() {
    // Re-sent unchanged points are not new data: a UUID label on a cumulative counter has
    // as many units as distinct values, however often the SDK re-exports.
    let k = keys().into_iter().find(|k| k.name == "request.id").unwrap();
    let o = run_key(&k, 200, true);
    let ev = o.evidence.unwrap();
    assert!(ev.units.abs_diff(ev.distinct) <= ev.units / 50, "{ev:?}");
    assert_eq!(ev.verdict, Verdict::Unbounded);
    // A bounded key on the same counter keeps receiving new data (changed counts) with no
    // new values: it levels off.
    let m = keys()
        .into_iter()
        .find(|k| k.name == "http.request.method")
        .unwrap();
    let ev = run_key(&m, 2000, true).evidence.unwrap();
    assert_eq!(ev.verdict, Verdict::Bounded, "{}", ev.reason);
    assert!(ev.units > 5 * ev.distinct, "{ev:?}");
}
