//! Test support for otelsnap, used only as a dev-dependency: synthetic sessions ([`synth`]),
//! OTLP request builders ([`testdata`]), an OTLP/JSON encoder ([`otlp_json`]), Collector
//! file-exporter dumps ([`dumps`]) and the fixture generator behind `fixtures/` ([`fixtures`]),
//! damaged session files ([`mutants`]), sessions re-written as OCC exports them ([`occ`]), a gRPC
//! codec for raw message bytes ([`grpc_raw`]), what the benchmark examples share
//! ([`mod@bench`]). Nothing here ships in the binary.

pub mod bench;
pub mod ci_fixtures;
pub mod counting_alloc;
pub mod dumps;
pub mod evalset;
pub mod fixtures;
pub mod grpc_raw;
pub mod mutants;
pub mod occ;
pub mod otlp_json;
pub mod rng;
pub mod synth;
pub mod testdata;
