//! A read-only load (`diff`, `show`) never holds a session's text: beyond the session it
//! returns, it holds a few gzip members' worth at a time, where the whole read holds the
//! whole JSON. Live heap bytes are measured by a counting allocator (its own test binary, one
//! test, so nothing else allocates meanwhile).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test stops on what it cannot set up

use otelsnap_testkit::counting_alloc::{self, Counting};
use otelsnap_testkit::synth;

use otelsnap::session::format::{self, ReadLimits};
use otelsnap::session::{estimates_only, store};

#[global_allocator]
static A: Counting = Counting;

const MIB: usize = 1024 * 1024;

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
