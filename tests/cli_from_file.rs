//! `capture --from-file` on Collector file-exporter dumps: every format and compression, sets
//! of rotated files (directories, patterns, repeated flags) read in parallel into the same
//! session as one sequential read, and bad frames located on stderr.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::time::Duration;

use otelsnap::session::{Limits, Session, format, store};
use otelsnap_testkit::dumps::{self, COMPRESSIONS, Compress, FORMATS, Format, Request};
use otelsnap_testkit::testdata;

const WAIT: Duration = Duration::from_secs(60);

/// `capture NAME ARGS...`, bounded in time; the output.
fn capture(dir: &Path, name: &str, args: &[&str]) -> std::process::Output {
    common::cmd(&dir.join("sessions"))
        .args(["capture", name])
        .args(args)
        .timeout(WAIT)
        .output()
        .unwrap()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn load(dir: &Path, name: &str) -> Session {
    store::read_file(
        &dir.join("sessions").join(format!("{name}.json.gz")),
        &Limits::default().read(),
    )
    .unwrap()
}

/// The session's canonical JSON, with what differs between two runs by nature (the name, the
/// clock, the arguments given) set alike; the request counts stay in.
fn bytes_without_run(mut s: Session) -> Vec<u8> {
    s.id = "x".into();
    s.created = chrono::DateTime::UNIX_EPOCH;
    if let Some(c) = s.capture.as_mut() {
        c.started = chrono::DateTime::UNIX_EPOCH;
        c.ended = chrono::DateTime::UNIX_EPOCH;
        c.sources.clear();
    }
    format::to_json(&s, true)
}

/// Writes `bytes` to `path` with a fixed modification time: a file's requests count as
/// received when it was last written, so sets compared with each other share one.
fn write_dump(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap();
    let when = std::time::UNIX_EPOCH + Duration::from_secs(1_764_662_400);
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(when)
        .unwrap();
}

/// A rotated dump's worth of varied requests: metrics of a service of its own, shared metrics
/// with new series, traces and logs.
fn requests_of(i: usize) -> Vec<Request> {
    let own = testdata::metrics_request(
        testdata::resource(Some(&format!("svc-{i}")), vec![]),
        vec![testdata::gauge(
            &format!("dump{i}.queue.depth"),
            "1",
            (0..5)
                .map(|p| vec![testdata::kv_str("queue", &format!("q{p}"))])
                .collect(),
        )],
    );
    vec![
        Request::Metrics(own),
        Request::Metrics(testdata::checkout_metrics_with("checkout", 10 + 7 * i)),
        Request::Metrics(testdata::bench_metrics(20, 4, 3, i as u64)),
        Request::Traces(testdata::checkout_traces()),
        Request::Logs(testdata::checkout_logs()),
    ]
}

#[test]
fn a_rotated_set_read_in_parallel_equals_one_concatenated_file() {
    let dir = tempfile::tempdir().unwrap();
    let rotated = dir.path().join("rotated");
    std::fs::create_dir(&rotated).unwrap();
    let mut all = Vec::new();
    // The exporter's default with `compression: zstd`: per-message zstd, length-prefixed.
    // Named as its rotation names backups, so name order is write order.
    for i in 0..6 {
        let bytes = dumps::dump(&requests_of(i), Format::Proto, Compress::ZstdPerMessage);
        let name = format!("otel-2026-12-02T08-0{i}-00.000.pb");
        write_dump(&rotated.join(name), &bytes);
        all.extend(bytes);
    }
    let one = dir.path().join("all.pb");
    write_dump(&one, &all);

    let out = capture(
        dir.path(),
        "parallel",
        &[
            "--from-file",
            rotated.to_str().unwrap(),
            "--from-file-jobs",
            "4",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = capture(
        dir.path(),
        "sequential",
        &[
            "--from-file",
            one.to_str().unwrap(),
            "--from-file-jobs",
            "1",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let (par, seq) = (load(dir.path(), "parallel"), load(dir.path(), "sequential"));
    let cap = par.capture.as_ref().unwrap();
    assert_eq!((cap.requests, cap.rejected), (30, 0));
    assert_eq!(cap.sources, [format!("file:{}", rotated.display())]);
    for i in 0..6 {
        let name = format!("dump{i}.queue.depth");
        assert!(par.data.metrics.iter().any(|m| m.name == name), "{name}");
    }
    assert!(
        bytes_without_run(par) == bytes_without_run(seq),
        "the sessions differ"
    );
}

#[test]
fn every_format_and_compression_in_a_set_gives_one_session_whatever_the_threads() {
    let dir = tempfile::tempdir().unwrap();
    let dumps_dir = dir.path().join("dumps");
    std::fs::create_dir(&dumps_dir).unwrap();
    let mut files = Vec::new();
    let mut i = 0;
    for format in FORMATS {
        for compress in COMPRESSIONS {
            let path = dumps_dir.join(format!("dump-{i}"));
            write_dump(&path, &dumps::dump(&requests_of(i), format, compress));
            files.push(path.to_str().unwrap().to_string());
            i += 1;
        }
    }
    let dir_arg = dumps_dir.to_str().unwrap().to_string();
    let pattern = format!("{dir_arg}/dump-*");
    let mut listed: Vec<&str> = Vec::new();
    for f in &files {
        listed.extend(["--from-file", f]);
    }
    listed.extend(["--from-file-jobs", "1"]);
    let runs: [(&str, Vec<&str>); 4] = [
        ("listed-one-thread", listed),
        (
            "dir-two",
            vec!["--from-file", &dir_arg, "--from-file-jobs", "2"],
        ),
        ("dir-default", vec!["--from-file", &dir_arg]),
        (
            "pattern-eight",
            vec!["--from-file", &pattern, "--from-file-jobs", "8"],
        ),
    ];
    let mut sessions = Vec::new();
    for (name, args) in &runs {
        let out = capture(dir.path(), name, args);
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        let s = load(dir.path(), name);
        let cap = s.capture.as_ref().unwrap();
        assert_eq!((cap.requests, cap.rejected), (40, 0), "{name}");
        for i in 0..8 {
            let metric = format!("dump{i}.queue.depth");
            assert!(
                s.data.metrics.iter().any(|m| m.name == metric),
                "{name}: {metric}"
            );
        }
        sessions.push((name, bytes_without_run(s)));
    }
    for (name, bytes) in &sessions[1..] {
        assert!(
            *bytes == sessions[0].1,
            "{name} differs from {}",
            sessions[0].0
        );
    }
}

#[test]
fn corrupt_frames_are_located_counted_and_the_rest_kept() {
    let dir = tempfile::tempdir().unwrap();
    let reqs = requests_of(0);
    let mut bytes = dumps::dump(&reqs[..2], Format::Proto, Compress::None);
    let garbage_at = bytes.len();
    bytes.extend(dumps::frame(&[0x0A, 0xFF, 0xFF, 0xFF]));
    bytes.extend(dumps::dump(&reqs[2..], Format::Proto, Compress::None));
    let huge_at = bytes.len();
    bytes.extend(0x7fff_ffffu32.to_be_bytes());
    bytes.extend([0u8; 64]);
    let path = dir.path().join("torn.pb");
    std::fs::write(&path, &bytes).unwrap();
    let out = capture(dir.path(), "torn", &["--from-file", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    let p = path.display();
    assert!(err.contains(&format!("{p}:byte {garbage_at}: ")), "{err}");
    assert!(
        err.contains(&format!("{p}:byte {huge_at}: message length")),
        "{err}"
    );
    // Over the body limit: the warning names the flag that raises it; the garbage one does not.
    let line_of = |needle: &str| {
        err.lines()
            .find(|l| l.contains(needle))
            .unwrap()
            .to_string()
    };
    assert!(
        line_of(&format!("byte {huge_at}:")).ends_with("(raise --max-body if it is not corrupt)"),
        "{err}"
    );
    assert!(
        !line_of(&format!("byte {garbage_at}:")).contains("--max-body"),
        "{err}"
    );
    let s = load(dir.path(), "torn");
    let cap = s.capture.unwrap();
    assert_eq!((cap.requests, cap.rejected), (5, 2));
}

#[test]
fn a_bad_line_in_a_compressed_json_dump_is_located_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = dumps::dump(&requests_of(1), Format::Json, Compress::None);
    text.extend(b"{\"resourceMetrics\": [\n");
    let path = dir.path().join("lines.zst");
    std::fs::write(&path, dumps::zstd(&text)).unwrap();
    let out = capture(
        dir.path(),
        "lines",
        &["--from-file", path.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("{}:6: ", path.display())),
        "{}",
        stderr(&out)
    );
    let cap = load(dir.path(), "lines").capture.unwrap();
    assert_eq!((cap.requests, cap.rejected), (5, 1));
}

#[test]
fn sets_naming_nothing_or_an_unreadable_file_fail_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let nothing = format!("{}/*.pb", empty.display());
    let garbage = dir.path().join("set");
    std::fs::create_dir(&garbage).unwrap();
    std::fs::write(
        garbage.join("a.pb"),
        dumps::dump(&requests_of(0), Format::Proto, Compress::None),
    )
    .unwrap();
    std::fs::write(garbage.join("b.txt"), b"\xff\xfe not telemetry").unwrap();
    let cases = [
        (
            empty.to_str().unwrap().to_string(),
            "is a directory without files",
        ),
        (nothing, "matches no file"),
        (garbage.to_str().unwrap().to_string(), "b.txt: not OTLP"),
    ];
    for (arg, want) in cases {
        let out = capture(dir.path(), "never", &["--from-file", &arg]);
        assert_eq!(out.status.code(), Some(2), "{arg}");
        let err = stderr(&out);
        assert!(err.contains(want), "{arg}: {err}");
        assert_eq!(
            err.lines().filter(|l| l.starts_with("error")).count(),
            1,
            "{err}"
        );
    }
    assert!(!dir.path().join("sessions/never.json.gz").exists());
}

#[test]
fn files_without_telemetry_say_so_and_save_nothing_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.json");
    std::fs::write(&empty, b"").unwrap();
    let out = capture(
        dir.path(),
        "none",
        &["--from-file", empty.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    // Not the listening capture's advice: there are no addresses to point senders at.
    assert!(
        err.contains("error: the files held no telemetry; nothing saved"),
        "{err}"
    );
    assert!(!err.contains("addresses above"), "{err}");
    assert!(!dir.path().join("sessions/none.json.gz").exists());
    let out = capture(
        dir.path(),
        "none",
        &["--allow-empty", "--from-file", empty.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(dir.path().join("sessions/none.json.gz").exists());
}
