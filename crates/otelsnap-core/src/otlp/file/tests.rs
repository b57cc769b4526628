#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::io::Write;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use prost::Message;

use super::*;
use otelsnap_testkit::otlp_json as enc;
use otelsnap_testkit::testdata;

struct Got {
    report: Result<FileReport, FileError>,
    requests: Vec<OtlpRequest>,
    bad: Vec<BadInput>,
}

fn read(bytes: &[u8], opts: FileOptions) -> Got {
    let mut requests = Vec::new();
    let mut bad = Vec::new();
    let report = read_from(
        bytes,
        "in.jsonl",
        &opts,
        &mut |r| {
            requests.push(r);
            Ok(())
        },
        &mut |b| bad.push(b.clone()),
    );
    Got {
        report,
        requests,
        bad,
    }
}

fn metrics_line() -> String {
    enc::encode_metrics(&testdata::checkout_metrics()).to_string()
}

fn traces_line() -> String {
    enc::encode_traces(&testdata::checkout_traces()).to_string()
}

fn logs_line() -> String {
    enc::encode_logs(&testdata::checkout_logs()).to_string()
}

fn gzip(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

#[test]
fn json_lines_with_bad_lines_skipped_and_located() {
    let text = format!(
        "{}\nnot json\n\n{}\n{{\"resourceMetrics\": [\n{}\n{{\"other\":1}}\n",
        metrics_line(),
        traces_line(),
        logs_line()
    );
    let got = read(text.as_bytes(), FileOptions::default());
    let report = got.report.unwrap();
    assert_eq!(report.format, FileFormat::JsonLines);
    assert_eq!(report.requests, 3);
    assert_eq!(report.bad, 3);
    let signals: Vec<_> = got.requests.iter().map(|r| r.signal()).collect();
    assert_eq!(signals, [Signal::Metrics, Signal::Traces, Signal::Logs]);
    assert_eq!(
        got.requests[0],
        OtlpRequest::Metrics(testdata::checkout_metrics())
    );
    let locations: Vec<_> = got.bad.iter().map(|b| b.location.as_str()).collect();
    assert_eq!(locations, ["in.jsonl:2", "in.jsonl:5", "in.jsonl:7"]);
    assert!(
        got.bad[2].reason.contains("unknown OTLP signal"),
        "{:?}",
        got.bad[2]
    );
}

#[test]
fn pretty_printed_single_request() {
    let v = enc::encode_traces(&testdata::checkout_traces());
    let text = format!("\n\n{}\n", serde_json::to_string_pretty(&v).unwrap());
    let got = read(text.as_bytes(), FileOptions::default());
    let report = got.report.unwrap();
    assert_eq!(report.format, FileFormat::JsonDocuments);
    assert_eq!((report.requests, report.bad), (1, 0));
    assert_eq!(
        got.requests,
        [OtlpRequest::Traces(testdata::checkout_traces())]
    );
}

#[test]
fn pretty_printed_documents_with_a_syntax_error_stop_there() {
    let v = enc::encode_logs(&testdata::checkout_logs());
    let pretty = serde_json::to_string_pretty(&v).unwrap();
    let text = format!("{pretty}\n{pretty}\n{{ \"resourceLogs\": ]\n{pretty}");
    let got = read(text.as_bytes(), FileOptions::default());
    let report = got.report.unwrap();
    assert_eq!((report.requests, report.bad), (2, 1));
    assert!(got.bad[0].reason.contains("document 3"), "{:?}", got.bad);
}

#[test]
fn gzip_json_lines() {
    let text = format!("{}\n{}\n", metrics_line(), logs_line());
    let got = read(&gzip(text.as_bytes()), FileOptions::default());
    let report = got.report.unwrap();
    assert_eq!(report.compression, Compression::Gzip);
    assert_eq!((report.requests, report.bad), (2, 0));
}

#[test]
fn protobuf_signal_is_detected() {
    let cases = [
        OtlpRequest::Metrics(testdata::checkout_metrics()),
        OtlpRequest::Traces(testdata::checkout_traces()),
        OtlpRequest::Logs(testdata::checkout_logs()),
    ];
    for want in cases {
        let bytes = match &want {
            OtlpRequest::Metrics(r) => r.encode_to_vec(),
            OtlpRequest::Traces(r) => r.encode_to_vec(),
            OtlpRequest::Logs(r) => r.encode_to_vec(),
        };
        for input in [bytes.clone(), gzip(&bytes)] {
            let got = read(&input, FileOptions::default());
            let report = got.report.unwrap();
            assert_eq!(report.format, FileFormat::Protobuf);
            assert_eq!(got.requests, std::slice::from_ref(&want));
        }
    }
}

#[test]
fn protobuf_with_explicit_signal_and_ambiguity() {
    // An empty request decodes as any signal: ambiguous without the flag.
    let empty = ExportLogsServiceRequest {
        resource_logs: vec![Default::default()],
    }
    .encode_to_vec();
    let got = read(&empty, FileOptions::default());
    assert!(matches!(got.report, Err(FileError::Ambiguous { .. })));
    let opts = FileOptions {
        signal: Some(Signal::Logs),
        ..FileOptions::default()
    };
    let got = read(&empty, opts);
    assert_eq!(got.report.unwrap().requests, 1);
    assert_eq!(got.requests[0].signal(), Signal::Logs);
}

#[test]
fn length_delimited_protobuf_stream() {
    let mut bytes = Vec::new();
    for m in [
        testdata::checkout_metrics().encode_to_vec(),
        testdata::checkout_traces().encode_to_vec(),
    ] {
        bytes.extend_from_slice(&(m.len() as u32).to_be_bytes());
        bytes.extend_from_slice(&m);
    }
    bytes.extend_from_slice(&100u32.to_be_bytes());
    bytes.extend_from_slice(&[0x0A, 1, 2]);
    let got = read(&bytes, FileOptions::default());
    let report = got.report.unwrap();
    assert_eq!(report.format, FileFormat::ProtobufDelimited);
    assert_eq!((report.requests, report.bad), (2, 1));
}

#[test]
fn long_lines_are_skipped_with_bounded_memory() {
    let ok = metrics_line();
    let long = format!(
        "{{\"resourceMetrics\":[],\"pad\":\"{}\"}}",
        "x".repeat(3 * ok.len())
    );
    let text = format!("{long}\n{ok}\n");
    let opts = FileOptions {
        signal: None,
        max_body: 2 * ok.len(),
    };
    let got = read(text.as_bytes(), opts);
    let report = got.report.unwrap();
    assert_eq!((report.requests, report.bad), (1, 1));
    assert_eq!(got.bad[0].location, "in.jsonl:1");
}

#[test]
fn empty_and_garbage_files() {
    let got = read(b"", FileOptions::default());
    assert_eq!(got.report.unwrap().format, FileFormat::Empty);
    let got = read(b"  \n\n", FileOptions::default());
    let r = got.report.unwrap();
    assert_eq!((r.requests, r.bad), (0, 0));
    let got = read(&[0xff, 0xfe, 0x00, 0x01], FileOptions::default());
    assert!(matches!(got.report, Err(FileError::NotOtlp { .. })));
}

#[test]
fn a_refusal_stops_reading() {
    let text = format!("{}\n{}\n", metrics_line(), metrics_line());
    let mut n = 0;
    let r = read_from(
        text.as_bytes(),
        "x",
        &FileOptions::default(),
        &mut |_| {
            n += 1;
            Err(Refusal::Stopping)
        },
        &mut |_| {},
    );
    assert!(matches!(r, Err(FileError::Refused { .. })));
    assert_eq!(n, 1);
}

// ---------------------------------------------------------------------------------------------
// Collector file-exporter dumps: every format × compression, corrupt frames, sets of files.

use otelsnap_testkit::dumps::{self, COMPRESSIONS, Compress, FORMATS, Format, Request};

/// The testkit's request as this crate's.
fn core(r: &Request) -> OtlpRequest {
    match r.clone() {
        Request::Metrics(m) => OtlpRequest::Metrics(m),
        Request::Traces(t) => OtlpRequest::Traces(t),
        Request::Logs(l) => OtlpRequest::Logs(l),
    }
}

fn cores(rs: &[Request]) -> Vec<OtlpRequest> {
    rs.iter().map(core).collect()
}

#[test]
fn every_exporter_format_and_compression_reads_back_every_request() {
    // Several of each signal, mixed, as one exporter with three pipelines would write them.
    let mut want = Vec::new();
    for _ in 0..3 {
        want.extend(dumps::checkout_requests());
    }
    for format in FORMATS {
        for compress in COMPRESSIONS {
            let bytes = dumps::dump(&want, format, compress);
            let got = read(&bytes, FileOptions::default());
            let case = format!("{format:?} × {compress:?}");
            let report = got.report.unwrap_or_else(|e| panic!("{case}: {e}"));
            assert_eq!(
                (report.requests, report.bad),
                (9, 0),
                "{case}: {:?}",
                got.bad
            );
            assert_eq!(got.requests, cores(&want), "{case}");
            let framed = format == Format::Proto || compress == Compress::ZstdPerMessage;
            let format_want = if framed {
                FileFormat::ProtobufDelimited
            } else {
                FileFormat::JsonLines
            };
            assert_eq!(report.format, format_want, "{case}");
            let compression_want = match compress {
                Compress::None => Compression::None,
                Compress::ZstdPerMessage => Compression::ZstdPerMessage,
                Compress::ZstdStream => Compression::Zstd,
                Compress::Gzip => Compression::Gzip,
            };
            assert_eq!(report.compression, compression_want, "{case}");
        }
    }
}

#[test]
fn corrupt_frames_are_located_by_offset_counted_and_skipped() {
    let [m, t, l] = <[Request; 3]>::try_from(dumps::checkout_requests()).unwrap();
    let good = |r: &Request| dumps::frame(&dumps::marshal(r, Format::Proto));
    let mut bytes = good(&m);
    // A frame whose payload is no OTLP message.
    let garbage_at = bytes.len();
    bytes.extend(dumps::frame(&[0x0A, 0xFF, 0xFF, 0xFF]));
    bytes.extend(good(&t));
    // A zstd frame that does not decompress (the magic, then noise).
    let bad_zstd_at = bytes.len();
    bytes.extend(dumps::frame(&[0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3, 4, 5]));
    bytes.extend(dumps::frame(&dumps::zstd(&dumps::marshal(
        &l,
        Format::Proto,
    ))));
    // A corrupt length prefix: 4 GiB claimed. Nothing after it can be trusted.
    let huge_at = bytes.len();
    bytes.extend(u32::MAX.to_be_bytes());
    bytes.extend(good(&m));
    let got = read(&bytes, FileOptions::default());
    let report = got.report.unwrap();
    assert_eq!((report.requests, report.bad), (3, 3), "{:?}", got.bad);
    assert_eq!(got.requests, cores(&[m, t, l]));
    let locations: Vec<_> = got.bad.iter().map(|b| b.location.clone()).collect();
    assert_eq!(
        locations,
        [
            format!("in.jsonl:byte {garbage_at}"),
            format!("in.jsonl:byte {bad_zstd_at}"),
            format!("in.jsonl:byte {huge_at}"),
        ]
    );
    assert!(got.bad[1].reason.contains("zstd"), "{:?}", got.bad[1]);
    assert!(
        got.bad[2].reason.contains("corrupt length prefix"),
        "{:?}",
        got.bad[2]
    );
}

#[test]
fn a_length_within_the_limit_but_past_the_end_is_cut_short_not_allocated() {
    let mut bytes = dumps::frame(&dumps::marshal(
        &dumps::checkout_requests()[0],
        Format::Proto,
    ));
    let at = bytes.len();
    // 16 MiB claimed (the default limit), 3 bytes present.
    bytes.extend(16_777_216u32.to_be_bytes());
    bytes.extend([0x0A, 1, 2]);
    let got = read(&bytes, FileOptions::default());
    let report = got.report.unwrap();
    assert_eq!((report.requests, report.bad), (1, 1));
    assert_eq!(got.bad[0].location, format!("in.jsonl:byte {at}"));
    assert!(
        got.bad[0].reason.contains("3 bytes present"),
        "{:?}",
        got.bad
    );
    // A prefix cut in two.
    let mut bytes = dumps::frame(&dumps::marshal(
        &dumps::checkout_requests()[0],
        Format::Proto,
    ));
    bytes.extend([0, 0]);
    let got = read(&bytes, FileOptions::default());
    assert_eq!(
        (got.report.as_ref().unwrap().requests, got.bad.len()),
        (1, 1)
    );
    assert!(got.bad[0].reason.contains("2 of 4 bytes"), "{:?}", got.bad);
}

#[test]
fn a_per_message_zstd_bomb_is_skipped_at_the_limit() {
    let big = vec![b' '; 1 << 20];
    let mut bytes = dumps::frame(&dumps::zstd(&big));
    bytes.extend(dumps::frame(&dumps::zstd(&dumps::marshal(
        &dumps::checkout_requests()[1],
        Format::Json,
    ))));
    let opts = FileOptions {
        signal: None,
        max_body: 64 * 1024,
    };
    let got = read(&bytes, opts);
    let report = got.report.unwrap();
    assert_eq!((report.requests, report.bad), (1, 1), "{:?}", got.bad);
    assert!(
        got.bad[0].reason.contains("more than the body limit") && got.bad[0].over_limit,
        "{:?}",
        got.bad
    );
}

#[test]
fn a_cut_compressed_stream_keeps_what_came_before_and_counts_the_cut() {
    let reqs = dumps::checkout_requests();
    for compress in [Compress::ZstdStream, Compress::Gzip] {
        for format in FORMATS {
            let whole = dumps::dump(&reqs, format, compress);
            // A dump copied while the exporter was writing it: the last bytes are missing.
            let cut = &whole[..whole.len() - 12];
            let got = read(cut, FileOptions::default());
            let case = format!("{format:?} × {compress:?}");
            let report = got.report.unwrap_or_else(|e| panic!("{case}: {e}"));
            assert_eq!(report.bad, 1, "{case}: {:?}", got.bad);
            assert!(report.requests >= 1, "{case}");
            assert_eq!(got.requests, cores(&reqs[..got.requests.len()]), "{case}");
            assert!(
                got.bad[0].location.starts_with("in.jsonl:"),
                "{case}: {:?}",
                got.bad
            );
        }
    }
}

#[test]
fn an_itemless_message_in_a_stream_takes_the_signal_before_it() {
    let reqs = [
        dumps::checkout_requests()[2].clone(),
        dumps::itemless_logs(),
    ];
    let bytes = dumps::dump(&reqs, Format::Proto, Compress::None);
    let got = read(&bytes, FileOptions::default());
    assert_eq!(got.report.unwrap().requests, 2);
    assert_eq!(got.requests, cores(&reqs));
    // Alone, it cannot be told: the flag is asked for.
    let bytes = dumps::dump(&reqs[1..], Format::Proto, Compress::None);
    let got = read(&bytes, FileOptions::default());
    assert!(matches!(got.report, Err(FileError::Ambiguous { .. })));
}

/// Everything `read_paths` handed over, in order, as comparable text.
fn read_set(files: &[String], jobs: usize) -> (Result<(), String>, Vec<String>) {
    let (r, seen) = read_set_within(files, jobs, parallel::READ_AHEAD_BYTES, None);
    (r.map(|_| ()), seen)
}

/// `read_set` with a read-ahead budget, the consumer taking `pause` over each request (so the
/// reading threads run ahead of it); also returns the most that was charged at once.
fn read_set_within(
    files: &[String],
    jobs: usize,
    budget: usize,
    pause: Option<std::time::Duration>,
) -> (Result<usize, String>, Vec<String>) {
    let mut seen = Vec::new();
    let mut consume = |i: usize, item: &Item<OtlpRequest>| {
        seen.push(match item {
            Item::Request(r) => format!("{i} request {r:?}"),
            Item::Bad(b) => format!("{i} bad {b}"),
        });
        if let Some(p) = pause {
            std::thread::sleep(p);
        }
    };
    let mut done = Vec::new();
    let r = parallel::read_paths_within(
        files,
        &FileOptions::default(),
        jobs,
        budget,
        &|r| r,
        &mut consume,
        &mut |i, rep| done.push(format!("{i} done {rep:?}")),
    );
    seen.extend(done);
    (r.map_err(|e| e.to_string()), seen)
}

#[test]
fn a_set_read_in_parallel_hands_over_exactly_what_a_sequential_read_does() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    // The first file is by far the largest, so the later ones finish decoding first.
    let mut big = Vec::new();
    for i in 0..40 {
        big.push(Request::Metrics(testdata::checkout_metrics_with(
            "big",
            200 + i,
        )));
    }
    for (i, (format, compress)) in FORMATS
        .iter()
        .flat_map(|f| COMPRESSIONS.iter().map(move |c| (*f, *c)))
        .enumerate()
    {
        let reqs = if i == 0 {
            big.clone()
        } else {
            dumps::checkout_requests()
        };
        let mut bytes = dumps::dump(&reqs, format, compress);
        if i == 3 {
            // One file with a bad line or frame, located in it.
            bytes.extend(dumps::dump(&reqs, Format::Json, Compress::None));
            bytes.extend(b"not json\n");
        }
        let path = dir.path().join(format!("dump-{i:02}"));
        std::fs::write(&path, bytes).unwrap();
        files.push(path.to_string_lossy().into_owned());
    }
    let (r1, seq) = read_set(&files, 1);
    r1.unwrap();
    assert!(
        seq.iter().any(|s| s.contains(" bad ")),
        "the bad entry is handed over"
    );
    for jobs in [2, 3, 8] {
        for _ in 0..3 {
            let (r, par) = read_set(&files, jobs);
            r.unwrap();
            assert!(
                par == seq,
                "jobs {jobs}: the sequence differs from the sequential read"
            );
        }
    }
}

#[test]
fn a_set_stops_at_the_first_unreadable_file_after_handing_over_the_ones_before() {
    let dir = tempfile::tempdir().unwrap();
    let ok = dir.path().join("a.jsonl");
    std::fs::write(
        &ok,
        dumps::dump(&dumps::checkout_requests(), Format::Json, Compress::None),
    )
    .unwrap();
    let garbage = dir.path().join("b.bin");
    std::fs::write(&garbage, [0xffu8, 0xfe, 0, 1]).unwrap();
    let files: Vec<String> = [&ok, &garbage, &ok, &ok]
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    for jobs in [1, 2, 4] {
        let (r, seen) = read_set(&files, jobs);
        let err = r.unwrap_err();
        assert!(err.contains("b.bin"), "{err}");
        assert_eq!(
            seen.iter().filter(|s| s.starts_with("0 request")).count(),
            3
        );
        assert!(
            !seen
                .iter()
                .any(|s| s.starts_with("2 ") || s.starts_with("3 ")),
            "jobs {jobs}"
        );
    }
}

#[test]
fn directories_and_patterns_expand_sorted_by_name_each_file_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for name in [
        "b.json",
        "a.json.zst",
        "c.pb",
        ".hidden",
        "10.json",
        "9.json",
    ] {
        std::fs::write(d.join(name), b"{}").unwrap();
    }
    std::fs::create_dir(d.join("sub")).unwrap();
    std::fs::write(d.join("sub/z.json"), b"{}").unwrap();
    let s = |p: &str| d.join(p).to_string_lossy().into_owned();
    let got = expand(&[s("")]).unwrap();
    assert_eq!(
        got.files,
        [
            s("10.json"),
            s("9.json"),
            s("a.json.zst"),
            s("b.json"),
            s("c.pb")
        ]
    );
    let got = expand(&[s("*.json"), "-".into(), s("b.json")]).unwrap();
    assert_eq!(
        got.files,
        [s("10.json"), s("9.json"), s("b.json"), "-".into()]
    );
    assert_eq!(got.duplicates, [s("b.json")]);
    assert!(matches!(
        expand(&[s("*.nothing")]),
        Err(SourcesError::NoMatch { .. })
    ));
    assert!(matches!(
        expand(&[s("sub/[")]),
        Err(SourcesError::BadPattern { .. })
    ));
    std::fs::create_dir(d.join("empty")).unwrap();
    assert!(matches!(
        expand(&[s("empty")]),
        Err(SourcesError::EmptyDir { .. })
    ));
    // A missing plain name is passed on, for reading to report.
    assert_eq!(
        expand(&[s("missing.json")]).unwrap().files,
        [s("missing.json")]
    );
}

/// Files of many requests each, every request a little different; with their largest charge.
fn many_request_files(
    dir: &std::path::Path,
    files: usize,
    per_file: usize,
) -> (Vec<String>, usize) {
    let mut paths = Vec::new();
    let mut largest = 0;
    for f in 0..files {
        let reqs: Vec<Request> = (0..per_file)
            .map(|i| Request::Metrics(testdata::checkout_metrics_with("svc", f * per_file + i)))
            .collect();
        largest = cores(&reqs)
            .iter()
            .map(parallel::cost_of)
            .fold(largest, usize::max);
        let (format, compress) = if f % 2 == 0 {
            (Format::Proto, Compress::ZstdPerMessage)
        } else {
            (Format::Json, Compress::None)
        };
        let path = dir.join(format!("dump-{f:02}"));
        std::fs::write(&path, dumps::dump(&reqs, format, compress)).unwrap();
        paths.push(path.to_string_lossy().into_owned());
    }
    (paths, largest)
}

#[test]
fn read_ahead_stays_within_its_byte_budget_and_keeps_the_order() {
    let dir = tempfile::tempdir().unwrap();
    let (files, largest) = many_request_files(dir.path(), 4, 30);
    let (r, seq) = read_set(&files, 1);
    r.unwrap();
    let budget = 5 * largest;
    for jobs in [2, 4] {
        // A slow consumer, so the readers run into the budget.
        let (r, par) = read_set_within(
            &files,
            jobs,
            budget,
            Some(std::time::Duration::from_millis(2)),
        );
        let peak = r.unwrap();
        assert!(
            par == seq,
            "jobs {jobs}: the sequence differs from the sequential read"
        );
        // The budget, plus at most one request of the file being taken (the module's doc).
        assert!(
            peak <= budget + largest,
            "jobs {jobs}: {peak} bytes charged at once, budget {budget}, largest request {largest}"
        );
        assert!(peak > 0, "jobs {jobs}: nothing was charged");
    }
}

#[test]
fn a_request_larger_than_the_whole_budget_still_goes_through() {
    let dir = tempfile::tempdir().unwrap();
    let (files, largest) = many_request_files(dir.path(), 3, 10);
    let (r, seq) = read_set(&files, 1);
    r.unwrap();
    for jobs in [2, 3] {
        // Every request is over a one-byte budget: each waits until nothing (or nothing of
        // the file being taken) is in flight, and none waits for ever.
        let (r, par) = read_set_within(&files, jobs, 1, None);
        let peak = r.unwrap();
        assert!(
            par == seq,
            "jobs {jobs}: the sequence differs from the sequential read"
        );
        assert!(
            peak <= 2 * largest,
            "jobs {jobs}: {peak} bytes charged at once with a one-byte budget (largest request {largest})"
        );
    }
}
