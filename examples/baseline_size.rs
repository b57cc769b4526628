//! Size of a diff-only baseline (`export --baseline`) beside the full format, per metric.
//!
//! Run: `cargo run --example baseline_size`. Uses the synthetic sessions of the store
//! benchmark (`otelsnap_testkit::synth::session(id, n, 42)`: 5 label keys per metric, real
//! sketches, 5 value samples per key) and prints a Markdown table of gzip file bytes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

use otelsnap::session::format;

fn main() {
    println!("| metrics | full file (gzip) | per metric | baseline file (gzip) | per metric |");
    println!("|---:|---:|---:|---:|---:|");
    for n in [1_000usize, 10_000] {
        let mut s = otelsnap_testkit::synth::session("size", n, 42);
        let full = format::to_gzip(&s).len();
        otelsnap::commands::export::make_baseline(&mut s);
        let base = format::to_gzip(&s).len();
        println!(
            "| {n} | {full} B | {:.0} B | {base} B | {:.0} B |",
            full as f64 / n as f64,
            base as f64 / n as f64
        );
    }
}
