//! A read-only load (`diff`, `show`) never holds a session's text: beyond the session it
//! returns, it holds a few gzip members' worth at a time, where the whole read holds the
//! whole JSON; and it holds a key's text once however many items carry it. Live heap bytes
//! are measured by a counting allocator (its own test binary; the tests take turns, so nothing
//! else allocates meanwhile).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test stops on what it cannot set up

use otelsnap_testkit::counting_alloc::{self, Counting};
use otelsnap_testkit::synth;

use otelsnap::session::format::{self, ReadLimits};
use otelsnap::session::{estimates_only, store};

#[global_allocator]
static A: Counting = Counting;

const MIB: usize = 1024 * 1024;

/// Held by each test while it measures: the allocator's counts are process-wide.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs `load`; returns (bytes held at the peak beyond what it kept, bytes it kept).
fn transient(load: impl FnOnce() -> otelsnap::session::Session) -> (usize, usize) {
    let before = counting_alloc::reset_peak();
    let s = load();
    let kept = counting_alloc::live() - before;
    let peak = counting_alloc::peak() - before;
    drop(s);
    (peak - kept, kept)
}

#[test]
fn a_read_only_load_holds_the_session_and_a_few_members_not_the_text() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let t = tempfile::tempdir().unwrap();
    let s = synth::session("mem", 4_000, 5);
    let json_len = format::to_json(&s, false).len();
    assert!(json_len > 12 * MIB, "{json_len}");
    let p = t.path().join("mem.json.gz");
    std::fs::write(&p, format::to_gzip(&s)).unwrap();
    drop(s);
    let lim = ReadLimits::default();
    let (streamed, kept) = transient(|| estimates_only(|| store::read_file(&p, &lim)).unwrap());
    let (whole, kept_whole) = transient(|| {
        let bytes = std::fs::read(&p).unwrap();
        estimates_only(|| format::decode(&bytes, &lim, "t")).unwrap()
    });
    // The same session is kept either way (the streamed one's arrays without growth slack);
    // the whole read held its text on top of it.
    assert!(kept <= kept_whole, "{kept} > {kept_whole}");
    assert!(
        whole >= json_len,
        "whole read held {whole} beyond the session"
    );
    assert!(
        streamed < 8 * MIB,
        "streamed read held {} KiB beyond the session ({} KiB of JSON)",
        streamed / 1024,
        json_len / 1024
    );
}

/// 20 label keys per metric beyond the synthetic session's own, copies of its keys under new
/// names (as `bench_readonly_mem gen DIR N 20`): the shape where per-key costs dominate.
fn widened(n: usize) -> otelsnap::session::Session {
    let mut s = synth::session("wide", n, 3);
    for m in &mut s.data.metrics {
        let base: Vec<_> = m.label_keys.values().cloned().collect();
        for j in 0..20 {
            m.label_keys
                .insert(format!("extra.label.{j:02}"), base[j % base.len()].clone());
        }
    }
    s.canonicalize();
    s
}

#[test]
fn a_read_only_load_of_many_keys_per_metric_keeps_under_4_kib_per_metric() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let t = tempfile::tempdir().unwrap();
    let n = 3_000;
    let s = widened(n);
    let keys: usize = s
        .data
        .metrics
        .iter()
        .map(|m| m.label_keys.len() + m.resource_keys.len())
        .sum();
    assert!(keys >= 24 * n, "{keys} keys");
    let p = t.path().join("wide.json.gz");
    std::fs::write(&p, format::to_gzip(&s)).unwrap();
    drop(s);
    let lim = ReadLimits::default();
    let (_, kept) = transient(|| estimates_only(|| store::read_file(&p, &lim)).unwrap());
    // With a fresh string per key and a boxed empty sketch per key this kept 5,362 bytes per
    // metric (main at b5ef0fb); shared key texts and one shared empty sketch: 3,199.
    let per_metric = kept / n;
    assert!(
        per_metric < 4096,
        "a read-only load kept {per_metric} bytes per metric ({} keys each)",
        keys / n
    );
}
