//! Where a capture's memory goes, phase by phase, for the hostile "many keys" input: the
//! analyzer is fed until its heap reaches a state limit (MiB, default 32; frozen after, as
//! `capture --max-state-bytes` does), then finished and written streamed. Prints the heap (by
//! the same meter as the budget) and the RSS (`/proc/self/status`) after each phase.
//!
//! ```text
//! cargo run --release --example mem_phases -- 32
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

use chrono::Utc;
use otelsnap::alloc_meter::thread_net;
use otelsnap::analyze::{Analyzer, AnalyzerOptions};
use otelsnap::otlp::OtlpRequest;
use otelsnap_testkit::testdata::{gauge, kv_str, metrics_request, resource};

#[global_allocator]
static GLOBAL: otelsnap::alloc_meter::Metered<mimalloc::MiMalloc> =
    otelsnap::alloc_meter::Metered(mimalloc::MiMalloc);

fn status(k: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    s.lines()
        .find_map(|l| l.strip_prefix(k))
        .map(|v| {
            v.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .unwrap()
                / 1024
        })
        .unwrap()
}

fn many_keys(i: usize) -> OtlpRequest {
    OtlpRequest::Metrics(metrics_request(
        resource(Some("hostile"), vec![]),
        (0..20)
            .map(|j| {
                let attrs = (0..1000)
                    .map(|k| kv_str(&format!("key.{i}.{j}.{k}"), &format!("value-{i}-{k}")))
                    .collect();
                gauge(&format!("m.{i}.{j}"), "1", vec![attrs])
            })
            .collect(),
    ))
}

fn show(what: &str, base: i64) {
    println!(
        "{what:<40} heap {:>8.1} MiB  rss {:>5} MiB  hwm {:>5} MiB",
        (thread_net() - base) as f64 / 1048576.0,
        status("VmRSS:"),
        status("VmHWM:")
    );
}

fn main() {
    otelsnap::alloc_meter::installed();
    let limit: i64 = std::env::args().nth(1).map_or(32, |v| v.parse().unwrap()) << 20;
    let base = thread_net();
    let mut a = Analyzer::new(AnalyzerOptions::default());
    let mut used = 0i64;
    for i in 0..300 {
        let r = many_keys(i);
        let b = thread_net();
        a.ingest(&r, Utc::now());
        used += thread_net() - b;
        if used >= limit && !a.is_frozen() {
            a.freeze();
            println!(
                "frozen after {} requests, accounted {} MiB",
                i + 1,
                used >> 20
            );
        }
    }
    show("after ingest", base);
    println!(
        "accounted {:.1} MiB, counts {:?}",
        used as f64 / 1048576.0,
        a.counts()
    );
    let mut shell = otelsnap::session::Session::new("x");
    let pending = a.finish_pending(&mut shell);
    show("after finish_pending (catalog built)", base);
    println!("catalog {} keys", pending.attributes.len());
    let gz =
        otelsnap::session::format::to_gzip_streaming(&shell, pending.metrics, pending.attributes);
    show("after gzip", base);
    println!("gzip {:.1} MiB", gz.len() as f64 / 1048576.0);
}
