//! `otelsnap merge` through the real binary, with a private session directory.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

mod common;

use std::path::Path;

use otelsnap::session::{Limits, MetricType, Session, SessionName, Store};
use otelsnap_testkit::synth;

use common::cmd;

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(dir: &Path, args: &[&str]) -> Out {
    let o = cmd(dir).args(args).output().unwrap();
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn store(dir: &Path) -> Store {
    Store::new(Some(dir.to_path_buf()), Limits::default())
}

fn load(dir: &Path, name: &str) -> Session {
    store(dir).load(&SessionName::parse(name).unwrap()).unwrap()
}

/// A synthetic session whose metrics agree on type and unit with every other one built here,
/// so that no merge has a conflict to settle.
fn replica(id: &str, base_seed: u64, seed: u64) -> Session {
    let base = synth::session(id, 60, base_seed);
    let mut s = synth::perturb(&base, id, 20, seed);
    for m in &mut s.data.metrics {
        m.metric_type = MetricType::Sum;
        m.unit = "1".into();
    }
    s.canonicalize();
    s
}

fn save(dir: &Path, s: &Session) {
    store(dir).save(s, false).unwrap();
}

/// The session with what depends on its name, creation and history blanked out: what is left
/// is every estimate, count, sketch and set.
fn content(mut s: Session) -> Session {
    s.id.clear();
    s.description.clear();
    s.merged_from.clear();
    s.created = chrono::DateTime::UNIX_EPOCH;
    s
}

#[test]
fn merges_two_sessions_into_a_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (replica("a", 1, 10), replica("b", 1, 11));
    save(dir.path(), &a);
    save(dir.path(), &b);
    let out = run(dir.path(), &["merge", "a", "b", "--output", "ab"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(
        out.stderr.contains("merged 2 sessions into 'ab'"),
        "{}",
        out.stderr
    );
    let ab = load(dir.path(), "ab");
    assert_eq!(ab.merged_from, ["a", "b"]);
    assert_eq!(ab.description, "merge of a, b");
    let sum = |s: &Session| s.data.metrics.iter().map(|m| m.sample_count).sum::<u64>();
    assert_eq!(sum(&ab), sum(&a) + sum(&b));
    let ca = a.capture.as_ref().unwrap();
    let cb = b.capture.as_ref().unwrap();
    let c = ab.capture.as_ref().unwrap();
    assert_eq!(c.started, ca.started.min(cb.started));
    assert_eq!(c.ended, ca.ended.max(cb.ended));
    assert_eq!(c.requests, ca.requests + cb.requests);
    // Every key of every merged metric: the union estimate lies between the larger input and the sum.
    for m in &ab.data.metrics {
        for (k, ks) in &m.label_keys {
            let side = |s: &Session| {
                s.data
                    .metrics
                    .iter()
                    .find(|x| x.name == m.name)
                    .and_then(|x| x.label_keys.get(k))
                    .map_or(0, |x| x.estimated_cardinality)
            };
            let (x, y) = (side(&a), side(&b));
            assert!(
                ks.estimated_cardinality >= x.max(y) && ks.estimated_cardinality <= x + y,
                "{} {k}: {} from {x} and {y}",
                m.name,
                ks.estimated_cardinality
            );
        }
    }
}

#[test]
fn three_or_more_sessions_merge_like_pairwise_merges() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (id, seed) in [("a", 20), ("b", 21), ("c", 22), ("e", 23)] {
        save(d, &replica(id, 2, seed));
    }
    for args in [
        &["merge", "a", "b", "c", "e", "-o", "all"][..],
        &["merge", "a", "b", "-o", "ab"],
        &["merge", "ab", "c", "-o", "ab-c"],
        &["merge", "ab-c", "e", "-o", "ab-c-e"],
        &["merge", "c", "e", "-o", "ce"],
        &["merge", "ab", "ce", "-o", "ab-ce"],
        &["merge", "e", "c", "b", "a", "-o", "reversed"],
    ] {
        let out = run(d, args);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
    }
    let all = content(load(d, "all"));
    assert_eq!(load(d, "all").merged_from, ["a", "b", "c", "e"]);
    assert_eq!(content(load(d, "ab-c-e")), all);
    assert_eq!(content(load(d, "ab-ce")), all);
    // The source order changes only which value samples come first.
    let mut rev = content(load(d, "reversed"));
    let mut all2 = all.clone();
    for s in [&mut rev, &mut all2] {
        for m in &mut s.data.metrics {
            for ks in m
                .label_keys
                .values_mut()
                .chain(m.resource_keys.values_mut())
            {
                ks.value_samples.sort();
            }
        }
        for sp in &mut s.data.spans {
            for ks in sp
                .attribute_keys
                .values_mut()
                .chain(sp.resource_keys.values_mut())
            {
                ks.value_samples.sort();
            }
        }
        for l in &mut s.data.logs {
            for ks in l
                .attribute_keys
                .values_mut()
                .chain(l.resource_keys.values_mut())
            {
                ks.value_samples.sort();
            }
            for t in &mut l.body_templates {
                t.example.clear();
            }
        }
        for a in &mut s.data.attributes {
            a.value_samples.sort();
        }
    }
    assert_eq!(rev, all2);
}

#[test]
fn an_existing_output_is_refused_before_any_source_is_read() {
    let dir = tempfile::tempdir().unwrap();
    save(dir.path(), &replica("taken", 3, 30));
    // The sources do not exist: the error must still be about the output.
    let out = run(dir.path(), &["merge", "nope-a", "nope-b", "-o", "taken"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("taken") && out.stderr.contains("--force"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("nope-a"), "{}", out.stderr);
    let out = run(dir.path(), &["merge", "nope-a", "nope-b", "-o", "Bad_Name"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("Bad_Name") && out.stderr.contains("bad-name"),
        "{}",
        out.stderr
    );
}

#[test]
fn force_replaces_an_existing_output() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    save(d, &replica("a", 4, 40));
    save(d, &replica("b", 4, 41));
    assert_eq!(run(d, &["merge", "a", "b", "-o", "a"]).code, 2);
    let out = run(d, &["merge", "a", "b", "-o", "a", "--force"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(load(d, "a").merged_from, ["a", "b"]);
}

#[test]
fn missing_or_bad_sources_fail_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    save(d, &replica("a", 5, 50));
    let out = run(d, &["merge", "a", "ghost", "-o", "out"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("ghost"), "{}", out.stderr);
    let out = run(d, &["merge", "a", "-o", "out"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let out = run(
        d,
        &[
            "merge",
            "a",
            "a",
            "-o",
            "out",
            "--signals",
            "metrics,profiles",
        ],
    );
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("profiles"), "{}", out.stderr);
    assert!(!d.join("out.json.gz").exists());
}

#[test]
fn sources_may_be_files_and_a_session_may_be_merged_with_itself() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a = replica("a", 6, 60);
    let file = d.join("elsewhere.json");
    std::fs::write(&file, otelsnap::session::format::to_json(&a, true)).unwrap();
    let f = file.display().to_string();
    let out = run(d, &["merge", &f, &f, "-o", "twice"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let twice = load(d, "twice");
    assert_eq!(twice.data.metrics.len(), a.data.metrics.len());
    for (x, y) in a.data.metrics.iter().zip(&twice.data.metrics) {
        assert_eq!(y.active_series, x.active_series, "{}", x.name);
        assert_eq!(y.sample_count, 2 * x.sample_count);
        for (k, ks) in &x.label_keys {
            assert_eq!(
                y.label_keys[k].estimated_cardinality,
                ks.estimated_cardinality
            );
            assert_eq!(y.label_keys[k].percentage, ks.percentage);
        }
    }
}

#[test]
fn filters_and_description() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (a, b) = (replica("a", 7, 70), replica("b", 7, 71));
    save(d, &a);
    save(d, &b);
    let out = run(
        d,
        &[
            "merge",
            "a",
            "b",
            "-o",
            "metrics-only",
            "--signals",
            "metrics",
            "--description",
            "just the metrics",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let s = load(d, "metrics-only");
    assert_eq!(s.description, "just the metrics");
    assert!(!s.data.metrics.is_empty());
    assert!(s.data.spans.is_empty() && s.data.logs.is_empty());
    assert_eq!(s.signals, [otelsnap::session::Signal::Metrics]);

    let svc = a.data.metrics[0].services.keys().next().unwrap().clone();
    let out = run(
        d,
        &["merge", "a", "b", "-o", "one-service", "--services", &svc],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let s = load(d, "one-service");
    assert!(!s.data.metrics.is_empty());
    assert_eq!(s.stats.services, std::slice::from_ref(&svc));
    let expected = a
        .data
        .metrics
        .iter()
        .chain(&b.data.metrics)
        .filter(|m| m.services.contains_key(&svc))
        .map(|m| m.name.as_str())
        .collect::<std::collections::BTreeSet<_>>();
    let got: Vec<&str> = s.data.metrics.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(got, expected.into_iter().collect::<Vec<_>>());
}

#[test]
fn conflicts_are_warned_about_and_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a = replica("a", 8, 80);
    let mut b = replica("b", 8, 81);
    let name = a.data.metrics[0].name.clone();
    let m = b.data.metrics.iter_mut().find(|m| m.name == name).unwrap();
    m.metric_type = MetricType::Gauge;
    m.sample_count = 0;
    save(d, &a);
    save(d, &b);
    let out = run(d, &["merge", "a", "b", "-o", "ab"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("warning:") && out.stderr.contains(&format!("metric '{name}'")),
        "{}",
        out.stderr
    );
    let ab = load(d, "ab");
    let m = ab.data.metrics.iter().find(|m| m.name == name).unwrap();
    assert_eq!(m.metric_type, MetricType::Sum);
    assert_eq!(m.conflicts.len(), 1);
    assert_eq!(
        (m.conflicts[0].field.as_str(), m.conflicts[0].other.as_str()),
        ("type", "gauge")
    );
    assert_eq!(m.conflicts[0].source, "b");
    // --quiet silences the warning and the summary, not the result.
    let out = run(d, &["--quiet", "merge", "a", "b", "-o", "ab", "--force"]);
    assert_eq!(out.code, 0);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
}

#[test]
fn incompatible_sketches_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a = replica("a", 9, 90);
    let mut b = a.clone();
    b.id = "b".into();
    let m = &mut b.data.metrics[0];
    let (key, ks) = m.label_keys.iter_mut().next().unwrap();
    let key = key.clone();
    std::sync::Arc::make_mut(ks.sketch.as_mut().unwrap()).precision = 12;
    let name = m.name.clone();
    // Written as a file: the store would refuse to save a sketch it cannot read.
    let file = d.join("b.json");
    std::fs::write(&file, otelsnap::session::format::to_json(&b, false)).unwrap();
    save(d, &a);
    let out = run(d, &["merge", "a", &file.display().to_string(), "-o", "ab"]);
    assert_eq!(out.code, 2);
    // Refused as the source is read, at the JSON path of the foreign sketch (metric 0 is
    // `name`, the first in name order).
    assert_eq!(b.data.metrics[0].name, name);
    assert!(
        out.stderr.contains(&format!(
            "at $.data.metrics[0].label_keys[{}].sketch.precision: sketch precision 12",
            serde_json::to_string(&key).unwrap()
        )),
        "{}",
        out.stderr
    );
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(!d.join("ab.json.gz").exists());
}

#[test]
fn a_source_that_fails_after_others_were_folded_names_itself_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (id, seed) in [("a", 70), ("b", 71), ("c", 72)] {
        save(d, &replica(id, 7, seed));
    }
    // A stored-looking file cut in half: found, read, and refused when its turn comes.
    let gz = std::fs::read(d.join("b.json.gz")).unwrap();
    let broken = d.join("broken.json.gz");
    std::fs::write(&broken, &gz[..gz.len() / 2]).unwrap();
    let b = broken.display().to_string();
    let out = run(d, &["merge", "a", "c", &b, "b", "-o", "out"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", out.stderr);
    assert!(lines[0].contains("broken.json.gz"), "{}", out.stderr);
    assert!(!d.join("out.json.gz").exists());
    let leftovers: Vec<_> = std::fs::read_dir(d)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn sources_with_a_larger_samples_limit_late_keep_the_samples_of_a_merge_of_all() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // a and b kept at most 5 samples and cut none (the limit looks like the default); c was
    // captured with 8 samples per key, which only shows once c is read.
    let with_samples = |id: &str, prefix: &str, n: usize, card: u64| {
        let mut s = replica(id, 8, 80);
        let ks = s.data.metrics[0].label_keys.values_mut().next().unwrap();
        ks.value_samples = (0..n).map(|i| format!("{prefix}{i}")).collect();
        ks.estimated_cardinality = card.min(ks.count);
        for other in s.data.metrics.iter_mut().skip(1) {
            for k in other.label_keys.values_mut() {
                k.value_samples.truncate(1);
                k.estimated_cardinality = k.estimated_cardinality.max(1);
            }
        }
        for a in &mut s.data.attributes {
            a.value_samples.truncate(1);
        }
        s
    };
    let sources = [
        with_samples("a", "a", 5, 5),
        with_samples("b", "b", 5, 5),
        with_samples("c", "c", 8, 1_000),
    ];
    for s in &sources {
        save(d, s);
    }
    let limit = otelsnap::merge::samples_limit(&sources);
    assert_eq!(limit, 8);
    let out = run(d, &["merge", "a", "b", "c", "-o", "out"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // Folded in this order, a's and b's samples were cut at 5 before c showed 8.
    assert!(out.stderr.contains("merging again"), "{}", out.stderr);
    let stored = load(d, "out");
    let loaded: Vec<Session> = ["a", "b", "c"].iter().map(|n| load(d, n)).collect();
    let mut opts = otelsnap::merge::MergeOptions::new("out");
    opts.created = stored.created;
    let expected = otelsnap::merge::merge(&loaded, &opts).unwrap().session;
    assert_eq!(content(stored.clone()), content(expected));
    let first = stored.data.metrics[0].label_keys.values().next().unwrap();
    assert_eq!(first.value_samples.len(), 8, "{:?}", first.value_samples);
}
