//! The read-only load (`diff`, `show`: parsed while inflating, estimates only) gives the very
//! session the whole-text load gives, for generated sessions of any size and for the fixtures,
//! so every output built from it is the same; and it refuses what the whole load refuses, with
//! the same message.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test stops on what it cannot set up

use std::path::Path;

use otelsnap::diff::{DiffReport, Filters, Rules};
use otelsnap::render::{diff_json, diff_markdown, diff_table};
use otelsnap::session::format::{self, ReadLimits};
use otelsnap::session::{Session, SessionError, estimates_only, store, without_sketch_data};
use otelsnap_testkit::synth;
use proptest::prelude::*;

/// Both ways of reading `path` in one lean mode: through the store (streamed) and from the
/// whole bytes.
fn both(path: &Path, lean: fn(&dyn Fn() -> R) -> R) -> (R, R) {
    let lim = ReadLimits::default();
    let bytes = std::fs::read(path).unwrap();
    let streamed = lean(&|| store::read_file(path, &lim));
    let whole = lean(&|| format::decode(&bytes, &lim, &path.display().to_string()));
    (streamed, whole)
}

type R = Result<Session, SessionError>;

fn estimates(f: &dyn Fn() -> R) -> R {
    estimates_only(f)
}

fn no_sketches(f: &dyn Fn() -> R) -> R {
    without_sketch_data(f)
}

fn same(path: &Path) -> Session {
    for lean in [estimates as fn(&dyn Fn() -> R) -> R, no_sketches] {
        let (streamed, whole) = both(path, lean);
        assert_eq!(
            streamed.as_ref().unwrap(),
            whole.as_ref().unwrap(),
            "{}",
            path.display()
        );
    }
    estimates_only(|| store::read_file(path, &ReadLimits::default())).unwrap()
}

fn write(dir: &Path, name: &str, s: &Session) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, format::to_gzip(s)).unwrap();
    p
}

/// Every diff format rendered from the two sessions.
fn rendered(a: &Session, b: &Session) -> Vec<String> {
    let r = DiffReport::build(a, b, &Rules::default(), &Filters::default());
    vec![
        diff_json::render(&r),
        diff_markdown::render(&r),
        diff_table::render(&r, false),
    ]
}

#[test]
fn fixtures_read_the_same_both_ways() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            same(&p);
            n += 1;
        }
    }
    assert!(n >= 5, "only {n} fixtures");
    // The fixtures' diff, both ways.
    let lim = ReadLimits::default();
    let whole = |name: &str| {
        let p = dir.join(name);
        estimates_only(|| format::decode(&std::fs::read(&p).unwrap(), &lim, "t")).unwrap()
    };
    let (a, b) = (
        same(&dir.join("checkout-v1.json.gz")),
        same(&dir.join("checkout-v2.json.gz")),
    );
    assert_eq!(
        rendered(&a, &b),
        rendered(&whole("checkout-v1.json.gz"), &whole("checkout-v2.json.gz"))
    );
}

#[test]
fn a_session_of_many_members_reads_the_same_and_diffs_the_same() {
    let t = tempfile::tempdir().unwrap();
    // About 3.5 KB of JSON per metric: 2,000 metrics span several 1 MiB gzip members.
    let a = synth::session("many-a", 2_000, 11);
    let b = synth::perturb(&a, "many-b", 60, 12);
    assert!(format::to_json(&a, false).len() > 3 << 20);
    let (pa, pb) = (
        write(t.path(), "a.json.gz", &a),
        write(t.path(), "b.json.gz", &b),
    );
    let (sa, sb) = (same(&pa), same(&pb));
    let lim = ReadLimits::default();
    let whole = |p: &Path| {
        estimates_only(|| format::decode(&std::fs::read(p).unwrap(), &lim, "t")).unwrap()
    };
    assert_eq!(rendered(&sa, &sb), rendered(&whole(&pa), &whole(&pb)));
}

#[test]
fn damaged_files_fail_with_the_whole_reads_message() {
    let t = tempfile::tempdir().unwrap();
    let s = synth::session("damaged", 800, 3);
    let gz = format::to_gzip(&s);
    let n = gz.len();
    let mut flipped = gz.clone();
    flipped[n / 2] ^= 0x10;
    let mut tail = gz.clone();
    tail.extend_from_slice(b"tail");
    let json = format::to_json(&s, false);
    let mut bad_json = json.clone();
    let at = bad_json.len() / 3;
    bad_json[at] = b'#';
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("flipped", flipped),
        ("cut", gz[..n - 5].to_vec()),
        ("tail", tail),
        ("bad-json", bad_json),
        (
            "bad-json-gz",
            format::gzip_with_header(&json[..json.len() - 2], None),
        ),
        ("empty", Vec::new()),
    ];
    for (name, bytes) in cases {
        let p = t.path().join(name);
        std::fs::write(&p, &bytes).unwrap();
        let (streamed, whole) = both(&p, estimates);
        let (e1, e2) = (streamed.unwrap_err(), whole.unwrap_err());
        assert_eq!(e1.to_string(), e2.to_string(), "{name}");
    }
    // Past the decompression limit: the same refusal.
    let p = write(t.path(), "big.json.gz", &s);
    let small = ReadLimits {
        max_file: u64::MAX,
        max_decompressed: json.len() as u64 / 2,
    };
    let e = estimates_only(|| store::read_file(&p, &small)).unwrap_err();
    assert!(matches!(e, SessionError::Bomb { .. }), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Generated sessions and their perturbations, stored as we store them, as one gzip
    /// member (older files) and as plain JSON: the streamed read equals the whole read.
    #[test]
    fn generated_sessions_read_the_same_both_ways(
        seed in 0u64..10_000,
        metrics in 0usize..300,
        changes in 0usize..40,
    ) {
        let t = tempfile::tempdir().unwrap();
        let a = synth::session("prop-a", metrics, seed);
        let b = synth::perturb(&a, "prop-b", changes, seed + 1);
        let one = format::gzip_with_header(&format::to_json(&b, false), None);
        std::fs::write(t.path().join("one.json.gz"), one).unwrap();
        std::fs::write(t.path().join("plain.json"), format::to_json(&a, true)).unwrap();
        for p in [
            write(t.path(), "a.json.gz", &a),
            write(t.path(), "b.json.gz", &b),
            t.path().join("one.json.gz"),
            t.path().join("plain.json"),
        ] {
            same(&p);
        }
    }
}
