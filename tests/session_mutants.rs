//! Damaged and crafted session files (otelsnap_testkit::mutants, from the checkout-v1 fixture):
//! every read either refuses the file with exit 2 and one clear line, or loads a session that
//! passes every validation rule. None is accepted with impossible values, none panics.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

mod common;

use std::path::Path;

use otelsnap_core::session::{format, validate};
use otelsnap_testkit::mutants::{Mutant, mutants};

/// Checks one command's outcome on a mutant: success, or exit 2 with one `error:` line.
fn refused_or_ok(m: &Mutant, what: &str, out: &std::process::Output) -> bool {
    let code = out.status.code();
    let stderr = String::from_utf8_lossy(&out.stderr);
    match code {
        Some(0) => true,
        Some(2) => {
            let lines: Vec<&str> = stderr.lines().collect();
            assert_eq!(
                lines.len(),
                1,
                "{what} of mutant '{}' printed {} lines:\n{stderr}",
                m.what,
                lines.len()
            );
            assert!(
                lines[0].starts_with("error: ") && lines[0].len() > 30,
                "{what} of mutant '{}': unclear error line: {stderr}",
                m.what
            );
            false
        }
        other => panic!(
            "{what} of mutant '{}' exited {other:?} (not 0 or 2):\n{stderr}",
            m.what
        ),
    }
}

#[test]
fn every_mutant_is_refused_cleanly_or_loads_valid() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let base = std::fs::read(root.join("fixtures/checkout-v1.json.gz")).unwrap();
    let all = mutants(&base, 240, 11);
    assert!(all.len() >= 200, "only {} mutants", all.len());
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let (mut refused, mut imported) = (0, 0);
    for (i, m) in all.iter().enumerate() {
        let file = tmp.path().join(format!("m{i}.json.gz"));
        std::fs::write(&file, &m.bytes).unwrap();
        // `show` reads with the cheap checks only (it skips sketch bytes).
        let out = common::cmd(&store).arg("show").arg(&file).output().unwrap();
        refused_or_ok(m, "show", &out);
        // `import` also decodes every sketch; what it stores must pass every rule.
        let name = format!("m-{i}");
        let out = common::cmd(&store)
            .args(["import", "--name", &name])
            .arg(&file)
            .output()
            .unwrap();
        if refused_or_ok(m, "import", &out) {
            imported += 1;
            let stored = std::fs::read(store.join(format!("{name}.json.gz"))).unwrap();
            let s = format::decode(&stored, &format::ReadLimits::default(), &name)
                .unwrap_or_else(|e| panic!("mutant '{}' stored unreadable: {e}", m.what));
            assert_eq!(validate::check(&s), Ok(()), "mutant '{}'", m.what);
            assert_eq!(validate::check_sketches(&s), Ok(()), "mutant '{}'", m.what);
        } else {
            refused += 1;
            assert!(
                !store.join(format!("{name}.json.gz")).exists(),
                "mutant '{}' refused but written",
                m.what
            );
        }
    }
    eprintln!(
        "{} mutants: {refused} refused, {imported} imported",
        all.len()
    );
    // Both outcomes occur: most damage is refused, harmless changes load.
    assert!(
        refused >= 100 && imported >= 10,
        "refused {refused}, imported {imported}"
    );
}

#[test]
fn crafted_sketches_and_impossible_values_never_load() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let base = std::fs::read(root.join("fixtures/checkout-v1.json.gz")).unwrap();
    let lim = format::ReadLimits::default();
    for m in mutants(&base, 240, 11) {
        let must_refuse = m.what.contains("crafted")
            || m.what.contains("after the gzip stream")
            || m.what.contains("an item twice")
            || m.what.starts_with("data ")
            || m.what.contains("given twice");
        if !must_refuse {
            continue;
        }
        let loaded = format::decode(&m.bytes, &lim, "mutant")
            .and_then(|s| format::validate_deep(&s, "mutant").map(|_| s));
        assert!(loaded.is_err(), "mutant '{}' was accepted", m.what);
    }
}
