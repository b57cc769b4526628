//! `capture NAME -- CMD` and `capture --output FILE`: the real binary running the sample app
//! (tests/apps/sample_app.py, Python standard library only) against loopback receivers. Every
//! wait is bounded.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use otelsnap::session::store::read_file;
use otelsnap::session::{Limits, Session};
use predicates::prelude::PredicateBooleanExt;

fn app() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/apps/sample_app.py")
}

/// `otelsnap --dir D capture NAME FLAGS... -- python3 app ARGS...`, with none of the user's
/// OTEL_* settings.
fn capture(dir: &Path, name: &str, flags: &[&str], app_args: &[&str]) -> assert_cmd::Command {
    let mut c = common::cmd(&dir.join("sessions"));
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("OTEL_") {
            c.env_remove(k);
        }
    }
    c.arg("capture")
        .arg(name)
        .args(flags)
        .arg("--")
        .arg("python3")
        .arg(app())
        .args(app_args);
    c.timeout(Duration::from_secs(60));
    c
}

fn load(path: &Path) -> Session {
    read_file(path, &Limits::default().read()).unwrap()
}

fn stored(dir: &Path, name: &str) -> PathBuf {
    dir.join("sessions").join(format!("{name}.json.gz"))
}

#[test]
fn runs_cmd_with_the_otel_environment_and_saves_what_it_sent() {
    let d = tempfile::tempdir().unwrap();
    let out = capture(d.path(), "ci-run", &["--grace", "200ms"], &["--print-env"])
        .assert()
        .success()
        .get_output()
        .clone();
    let stdout = String::from_utf8(out.stdout).unwrap();
    // CMD's stdout passes through, then the saved name.
    assert!(stdout.contains("sample app done"), "{stdout}");
    assert_eq!(stdout.lines().last(), Some("ci-run"));
    let env: Vec<&str> = stdout.lines().filter(|l| l.starts_with("OTEL_")).collect();
    let endpoint = env
        .iter()
        .find_map(|l| l.strip_prefix("OTEL_EXPORTER_OTLP_ENDPOINT="))
        .expect("endpoint set");
    assert!(endpoint.starts_with("http://127.0.0.1:"), "{endpoint}");
    // Port 0 by default in this mode: never the fixed 4318.
    assert!(!endpoint.ends_with(":4318"), "{endpoint}");
    for want in [
        "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
        "OTEL_METRIC_EXPORT_INTERVAL=1000",
        "OTEL_BSP_SCHEDULE_DELAY=500",
        "OTEL_BLRP_SCHEDULE_DELAY=500",
    ] {
        assert!(env.contains(&want), "{want} missing from {env:?}");
    }
    let s = load(&stored(d.path(), "ci-run"));
    assert_eq!(s.data.metrics.len(), 1);
    assert_eq!(s.data.metrics[0].name, "app.requests");
    assert_eq!(
        s.data.metrics[0]
            .label_keys
            .get("user_id")
            .map(|k| k.estimated_cardinality),
        Some(5)
    );
    assert_eq!(s.data.spans.len(), 1);
    assert_eq!(s.data.logs.len(), 1);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("CMD exited (status 0)"), "{stderr}");
}

#[test]
fn keeps_intervals_the_user_set_and_drops_per_signal_endpoints() {
    let d = tempfile::tempdir().unwrap();
    let out = capture(d.path(), "ci-run", &["--grace", "0s"], &["--print-env"])
        .env("OTEL_METRIC_EXPORT_INTERVAL", "7000")
        .env(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "http://192.0.2.1:4318",
        )
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://192.0.2.1:4318")
        .assert()
        .success()
        .get_output()
        .clone();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("OTEL_METRIC_EXPORT_INTERVAL=7000\n"),
        "{stdout}"
    );
    assert!(!stdout.contains("TRACES_ENDPOINT"), "{stdout}");
    assert!(!stdout.contains("192.0.2.1"), "{stdout}");
    assert_eq!(load(&stored(d.path(), "ci-run")).data.spans.len(), 1);
}

#[test]
fn grpc_protocol_points_at_the_grpc_receiver() {
    let d = tempfile::tempdir().unwrap();
    let ready = d.path().join("ready.json");
    let out = common::cmd(&d.path().join("sessions"))
        .args([
            "capture",
            "g",
            "--protocol",
            "grpc",
            "--allow-empty",
            "--grace",
            "0s",
        ])
        .arg("--ready-file")
        .arg(&ready)
        .args([
            "--",
            "sh",
            "-c",
            "echo \"$OTEL_EXPORTER_OTLP_ENDPOINT $OTEL_EXPORTER_OTLP_PROTOCOL\"",
        ])
        .timeout(Duration::from_secs(60))
        .assert()
        .success()
        .get_output()
        .clone();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let ready: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&ready).unwrap()).unwrap();
    let grpc = ready["grpc"].as_str().unwrap();
    assert_eq!(
        stdout.lines().next(),
        Some(format!("http://{grpc} grpc").as_str())
    );
}

#[test]
fn a_failing_cmd_sets_the_exit_status_and_the_session_is_still_saved() {
    let d = tempfile::tempdir().unwrap();
    let out = capture(d.path(), "red", &["--grace", "0s"], &["--exit", "3"])
        .assert()
        .code(3)
        .get_output()
        .clone();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("CMD failed (status 3): exiting with its status 3; the session was saved"),
        "{stderr}"
    );
    assert_eq!(load(&stored(d.path(), "red")).data.metrics.len(), 1);
}

#[test]
fn nothing_received_is_an_error_unless_allow_empty() {
    let d = tempfile::tempdir().unwrap();
    let sessions = d.path().join("sessions");
    common::cmd(&sessions)
        .args(["capture", "quiet", "--grace", "0s", "--", "true"])
        .timeout(Duration::from_secs(60))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no telemetry received"));
    assert!(!stored(d.path(), "quiet").exists());
    // CMD failed and sent nothing: CMD's status wins, and otelsnap's error is still said.
    common::cmd(&sessions)
        .args([
            "capture", "quiet", "--grace", "0s", "--", "sh", "-c", "exit 4",
        ])
        .timeout(Duration::from_secs(60))
        .assert()
        .code(4)
        .stderr(predicates::str::contains("no telemetry received"))
        .stderr(predicates::str::contains(
            "exiting with its status 4, not otelsnap's 2",
        ));
    common::cmd(&sessions)
        .args([
            "capture",
            "quiet",
            "--allow-empty",
            "--grace",
            "0s",
            "--",
            "true",
        ])
        .timeout(Duration::from_secs(60))
        .assert()
        .success();
    assert!(stored(d.path(), "quiet").exists());
}

#[test]
fn grace_keeps_receiving_after_cmd_exits() {
    let d = tempfile::tempdir().unwrap();
    let sessions = d.path().join("sessions");
    // The shell exits at once; its background child exports 0.5 s later. Starting Python with
    // the OpenTelemetry SDK took over 5 s on a loaded 2-core machine, so the grace is ample.
    let script = format!(
        "python3 '{}' --late 0.5 >/dev/null 2>&1 & exit 0",
        app().display()
    );
    common::cmd(&sessions)
        .args([
            "capture", "late", "--grace", "20s", "--", "sh", "-c", &script,
        ])
        .timeout(Duration::from_secs(60))
        .assert()
        .success();
    assert_eq!(load(&stored(d.path(), "late")).data.metrics.len(), 1);
    common::cmd(&sessions)
        .args([
            "capture", "early", "--grace", "0s", "--", "sh", "-c", &script,
        ])
        .timeout(Duration::from_secs(60))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no telemetry received"));
}

#[test]
fn sigterm_is_passed_on_to_cmd_which_exports_and_sets_the_status() {
    let d = tempfile::tempdir().unwrap();
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("otelsnap"))
        .arg("--dir")
        .arg(d.path().join("sessions"))
        .args(["capture", "stopped", "--grace", "0s", "--", "python3"])
        .arg(app())
        .arg("--wait-signal")
        .env_remove("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait (bounded) for the app to say it is waiting, then SIGTERM otelsnap only.
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
    assert_eq!(line.trim(), "waiting for a signal");
    // SAFETY: kill(2) on our own child's pid.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        assert!(Instant::now() < deadline, "capture did not stop");
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(143), "{err}");
    assert!(err.contains("SIGTERM received: passed on to CMD"), "{err}");
    assert_eq!(load(&stored(d.path(), "stopped")).data.metrics.len(), 1);
}

#[test]
fn refused_before_running_cmd() {
    let d = tempfile::tempdir().unwrap();
    let sessions = d.path().join("sessions");
    let marker = d.path().join("ran");
    let touch = format!("touch '{}'", marker.display());
    for (flags, msg) in [
        (
            vec!["--duration", "5s"],
            "--duration cannot be combined with -- CMD",
        ),
        (
            vec!["--from-file", "x.jsonl"],
            "--from-file reads files and runs nothing",
        ),
        (
            vec!["--from-file-jobs", "2"],
            "--from-file-jobs only applies with --from-file FILE",
        ),
        (
            vec!["--from-file-signal", "metrics"],
            "--from-file-signal only applies with --from-file FILE",
        ),
        (
            vec!["--protocol", "grpc", "--no-grpc"],
            "--protocol grpc needs the gRPC receiver",
        ),
        (vec!["BAD_NAME"], "invalid session name"),
    ] {
        let mut c = common::cmd(&sessions);
        c.arg("capture");
        if flags[0] != "BAD_NAME" {
            c.arg("n");
        }
        c.args(&flags)
            .args(["--", "sh", "-c", &touch])
            .timeout(Duration::from_secs(60))
            .assert()
            .code(2)
            .stderr(predicates::str::contains(msg));
        assert!(!marker.exists(), "CMD ran despite {flags:?}");
    }
    common::cmd(&sessions)
        .args(["capture", "n", "--", "no-such-program-otelsnap"])
        .timeout(Duration::from_secs(60))
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "cannot run no-such-program-otelsnap: command not found",
        ));
    // --grace means nothing without CMD.
    common::cmd(&sessions)
        .args(["capture", "n", "--grace", "1s", "--duration", "1s"])
        .assert()
        .code(2);
}

#[test]
fn output_writes_a_file_atomically_and_never_clobbers_without_force() {
    let d = tempfile::tempdir().unwrap();
    let file = d.path().join("baseline.json.gz");
    let f = file.to_str().unwrap();
    capture(d.path(), "baseline", &["--grace", "0s", "--output", f], &[])
        .assert()
        .success()
        .stdout(predicates::str::ends_with(format!("{f}\n")));
    let first = std::fs::read(&file).unwrap();
    assert_eq!(load(&file).id, "baseline");
    // The store is untouched.
    assert!(!d.path().join("sessions").join("baseline.json.gz").exists());
    // Exists: refused before CMD runs, file unchanged.
    capture(
        d.path(),
        "baseline",
        &["--grace", "0s", "-o", f],
        &["--users", "50"],
    )
    .assert()
    .code(2)
    .stderr(predicates::str::contains("already exists: pass --force"))
    .stdout(predicates::str::contains("sample app done").not());
    assert_eq!(std::fs::read(&file).unwrap(), first);
    capture(
        d.path(),
        "baseline",
        &["--grace", "0s", "-o", f, "--force"],
        &["--users", "50"],
    )
    .assert()
    .success();
    assert_eq!(
        load(&file).data.metrics[0]
            .label_keys
            .get("user_id")
            .map(|k| k.estimated_cardinality),
        Some(50)
    );
    // No temporary file left beside it.
    let names: Vec<String> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    // A plain .json name gets JSON, readable by `show`.
    let json = d.path().join("b.json");
    capture(
        d.path(),
        "b",
        &["--grace", "0s", "-o", json.to_str().unwrap()],
        &[],
    )
    .assert()
    .success();
    assert!(std::fs::read_to_string(&json).unwrap().starts_with('{'));
    common::cmd(&d.path().join("sessions"))
        .args(["show", json.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicates::str::contains("app.requests"));
}

#[test]
fn output_into_a_missing_directory_is_refused_up_front() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("no/such/dir/b.json.gz");
    capture(d.path(), "b", &["-o", f.to_str().unwrap()], &[])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("does not exist; create it first"))
        .stdout(predicates::str::contains("sample app done").not());
}

#[test]
fn output_works_with_file_input_too() {
    let d = tempfile::tempdir().unwrap();
    let input = d.path().join("in.json");
    std::fs::write(
        &input,
        r#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"m","gauge":{"dataPoints":[{"asInt":"1"}]}}]}]}]}"#,
    )
    .unwrap();
    let out = d.path().join("x.json.gz");
    common::cmd(&d.path().join("sessions"))
        .args(["capture", "x", "--from-file"])
        .arg(&input)
        .arg("--output")
        .arg(&out)
        .assert()
        .success();
    assert_eq!(load(&out).data.metrics[0].name, "m");
}
