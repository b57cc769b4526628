//! Precision and recall of the `unbounded` verdict on the generated evaluation set
//! (`otelsnap_testkit::evalset`): 44 labelled keys at 20, 50, 200 and 2,000 occurrences,
//! as span attributes (no repeats) and as the only label of a cumulative counter re-exported
//! in full every interval (repeats).
//!
//! `cargo run --release --example eval_verdicts [-- --verbose]`

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

use otelsnap::session::Verdict;
use otelsnap_testkit::evalset::{LEVELS, Score, keys, run_all};

fn main() {
    let verbose = std::env::args().any(|a| a == "--verbose");
    let keys = keys();
    let bounded = keys.iter().filter(|k| k.bounded).count();
    println!(
        "evaluation set: {} keys ({} bounded, {} unbounded)",
        keys.len(),
        bounded,
        keys.len() - bounded
    );
    let all = run_all();
    println!(
        "{:>6}  {:<10}  {:>9}  {:>6}  {:>18}  {:>7}  {:>13}",
        "level",
        "repeats",
        "precision",
        "recall",
        "bounded→unbounded",
        "unknown",
        "bounded→bounded"
    );
    for level in LEVELS {
        for repeats in [false, true /* both */] {
            let s = Score::of(
                all.iter()
                    .filter(|o| o.level == level && o.repeats == repeats),
            );
            row(level, if repeats { "yes" } else { "no" }, &s);
        }
        let s = Score::of(all.iter().filter(|o| o.level == level));
        row(level, "both", &s);
    }
    if verbose {
        for o in &all {
            let wrong = (o.bounded && o.verdict == Verdict::Unbounded)
                || (!o.bounded && o.verdict != Verdict::Unbounded);
            if wrong {
                println!(
                    "  {} {:<28} level {:>4} repeats {:<5} → {} ({})",
                    if o.bounded { "bounded  " } else { "unbounded" },
                    o.key,
                    o.level,
                    o.repeats,
                    o.verdict,
                    o.evidence
                        .as_ref()
                        .map_or("no evidence", |e| e.reason.as_str())
                );
            }
        }
    }
}

fn row(level: u64, repeats: &str, s: &Score) {
    println!(
        "{:>6}  {:<10}  {:>8.1}%  {:>5.1}%  {:>18}  {:>7}  {:>13}",
        level,
        repeats,
        s.precision() * 100.0,
        s.recall() * 100.0,
        s.false_pos,
        s.unknown,
        s.bounded_ok
    );
}
