//! `capture --workers`: the flag's bounds and where it does not apply.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

#[test]
fn an_absurd_worker_count_is_refused_before_listening() {
    let dir = tempfile::tempdir().unwrap();
    let o = common::cmd(dir.path())
        .args(["capture", "w", "--workers", "5000", "--grpc", "127.0.0.1:0"])
        .args(["--http", "127.0.0.1:0", "--duration", "30s"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--workers 5000: at most 1024 worker threads")
            && err.contains("0 (the default) for one per core"),
        "{err}"
    );
    assert!(!err.contains("listening"), "{err}");
}

#[test]
fn workers_are_ignored_with_from_file_and_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.json");
    let body = otelsnap_testkit::otlp_json::encode_metrics(
        &otelsnap_testkit::testdata::checkout_metrics(),
    );
    std::fs::write(&file, body.to_string()).unwrap();
    let o = common::cmd(&dir.path().join("s"))
        .args(["capture", "w", "--workers", "2", "--from-file"])
        .arg(&file)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains("note: --workers is ignored with --from-file"),
        "{err}"
    );
}
