//! The fleet recipe of docs/scale.md, run as written: the baseline and gate blocks (the fenced
//! blocks after `<!-- fleet-baseline -->` and `<!-- fleet-gate -->`) run by bash against three
//! gateway replicas' generated file-exporter dumps. The merged session must say what one capture
//! of all the dumps says (HyperLogLog unions count a value seen on two replicas once), and the
//! gate must pass the same telemetry and fail a label carrying user ids.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test stops on what it cannot set up

use std::path::{Path, PathBuf};
use std::process::Command;

use otelsnap::session::{Limits, Session, store};
use otelsnap_testkit::dumps::{self, Compress, Format, Request};
use otelsnap_testkit::testdata::{self, CUMULATIVE};

const REPLICAS: usize = 3;

fn page() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/scale.md")).unwrap()
}

/// The lines of the first fenced block after `marker`.
fn block(page: &str, marker: &str) -> Vec<String> {
    let at = page
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} missing from docs/scale.md"));
    let rest = &page[at..];
    let body = &rest[rest.find("```").unwrap()..];
    let body = &body[body.find('\n').unwrap() + 1..];
    body[..body.find("```").unwrap()]
        .lines()
        .map(str::to_string)
        .collect()
}

/// Runs `lines` with `bash -e` in `dir` (sessions in `dir/store`); the exit code, stdout and
/// stderr.
fn bash(dir: &Path, lines: &[String]) -> (i32, String, String) {
    let bin = assert_cmd::cargo::cargo_bin("otelsnap");
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .arg("-e")
        .arg("-c")
        .arg(lines.join("\n"))
        .current_dir(dir)
        .env("PATH", path)
        .env("OTELSNAP_DIR", dir.join("store"))
        .env_remove("OTELSNAP_RULES")
        .env_remove("COLUMNS")
        .env_remove("GITHUB_OUTPUT")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// One replica's requests: the request counter by route (bounded), with `user_id` on every
/// point when `ids` (a different set of users per replica, and some users seen by two
/// replicas, as a load balancer spreads sessions); plus the checkout traces and logs.
fn replica_requests(r: usize, ids: bool) -> Vec<Request> {
    (0..8)
        .map(|n| {
            let points = (0..12)
                .map(|p| {
                    let mut attrs = vec![
                        testdata::kv_str("http.route", ["/cart", "/checkout", "/orders"][p % 3]),
                        testdata::kv_str("http.request.method", ["GET", "POST"][p % 2]),
                    ];
                    if ids {
                        // Each replica's 96 users overlap the next replica's by 16, so a
                        // union that double counted would be visibly wrong.
                        let user = user_of(r, n, p);
                        attrs.push(testdata::kv_str("user_id", &format!("user-{user}")));
                    }
                    attrs
                })
                .collect();
            Request::Metrics(testdata::metrics_request(
                testdata::resource(Some("checkout"), vec![]),
                vec![testdata::sum(
                    "http.server.request.count",
                    "{request}",
                    CUMULATIVE,
                    true,
                    points,
                )],
            ))
        })
        .chain([
            Request::Traces(testdata::checkout_traces()),
            Request::Logs(testdata::checkout_logs()),
        ])
        .collect()
}

fn user_of(replica: usize, request: usize, point: usize) -> usize {
    replica * 80 + request * 12 + point
}

/// Writes each replica's dumps as a rotated set (a backup and the active file) under
/// `dir/dumps/gateway-N/`, alternating the exporter's formats.
fn write_dumps(dir: &Path, ids: bool) {
    for r in 0..REPLICAS {
        let d = dir.join(format!("dumps/gateway-{r}"));
        std::fs::create_dir_all(&d).unwrap();
        let reqs = replica_requests(r, ids);
        let (format, compress, ext) = if r % 2 == 0 {
            (Format::Proto, Compress::ZstdPerMessage, "pb")
        } else {
            (Format::Json, Compress::None, "json")
        };
        let (old, new) = reqs.split_at(reqs.len() / 2);
        std::fs::write(
            d.join(format!("otel-2026-12-02T08-00-00.000.{ext}")),
            dumps::dump(old, format, compress),
        )
        .unwrap();
        std::fs::write(
            d.join(format!("otel.{ext}")),
            dumps::dump(new, format, compress),
        )
        .unwrap();
    }
}

fn load(path: PathBuf) -> Session {
    store::read_file(&path, &Limits::default().read()).unwrap()
}

/// Every key estimate and series count of the session's metrics and spans, by name.
fn estimates(s: &Session) -> Vec<(String, String, u64)> {
    let mut out = Vec::new();
    for m in &s.data.metrics {
        out.push((m.name.clone(), "active_series".into(), m.active_series));
        for (k, st) in m.label_keys.iter() {
            out.push((m.name.clone(), k.to_string(), st.estimated_cardinality));
        }
    }
    for sp in &s.data.spans {
        for (k, st) in sp.attribute_keys.iter() {
            out.push((sp.name.clone(), k.to_string(), st.estimated_cardinality));
        }
    }
    out
}

#[test]
fn the_fleet_recipe_merges_exactly_and_gates_a_user_id_label() {
    let p = page();
    let baseline = block(&p, "<!-- fleet-baseline -->");
    let gate = block(&p, "<!-- fleet-gate -->");
    assert!(baseline.len() >= REPLICAS + 2 && gate.len() >= REPLICAS + 2);

    let base = tempfile::tempdir().unwrap();
    write_dumps(base.path(), false);
    let (code, _, err) = bash(base.path(), &baseline);
    assert_eq!(code, 0, "baseline steps failed: {err}");
    let baseline_file = base.path().join("fleet-baseline.json.gz");
    assert!(baseline_file.exists(), "{err}");

    // Same telemetry again: the gate passes.
    let same = tempfile::tempdir().unwrap();
    write_dumps(same.path(), false);
    std::fs::copy(&baseline_file, same.path().join("fleet-baseline.json.gz")).unwrap();
    let (code, out, err) = bash(same.path(), &gate);
    assert_eq!(code, 0, "{out}{err}");

    // A release that labels requests with user ids: the gate fails on it.
    let bad = tempfile::tempdir().unwrap();
    write_dumps(bad.path(), true);
    std::fs::copy(&baseline_file, bad.path().join("fleet-baseline.json.gz")).unwrap();
    let (code, out, err) = bash(bad.path(), &gate);
    assert_eq!(code, 1, "{out}{err}");
    let line = out
        .lines()
        .find(|l| l.contains("user_id"))
        .unwrap_or_else(|| panic!("no user_id in the gate's output:\n{out}"));
    assert!(line.to_lowercase().contains("crit"), "{out}");

    // The merged session says what one capture of every replica's dumps says.
    let mut args = vec!["capture".to_string(), "all-at-once".to_string()];
    for r in 0..REPLICAS {
        args.push("--from-file".into());
        args.push(format!("dumps/gateway-{r}/"));
    }
    let (code, _, err) = bash(
        bad.path(),
        &[format!(
            "otelsnap {}",
            args.iter()
                .map(|a| format!("'{a}'"))
                .collect::<Vec<_>>()
                .join(" ")
        )],
    );
    assert_eq!(code, 0, "{err}");
    let merged = load(bad.path().join("store/today.json.gz"));
    let once = load(bad.path().join("store/all-at-once.json.gz"));
    assert_eq!(estimates(&merged), estimates(&once));
    let users = merged.data.metrics[0].label_keys.get("user_id").unwrap();
    // Small counts are exact in the sparse sketch: the union counts each shared user once.
    let distinct: std::collections::BTreeSet<usize> = (0..REPLICAS)
        .flat_map(|r| (0..8).flat_map(move |n| (0..12).map(move |p| user_of(r, n, p))))
        .collect();
    assert!(
        distinct.len() < REPLICAS * 8 * 12,
        "the replicas must share users"
    );
    assert_eq!(users.estimated_cardinality, distinct.len() as u64);
    assert_eq!(
        merged.data.metrics[0].sample_count,
        once.data.metrics[0].sample_count
    );
}
