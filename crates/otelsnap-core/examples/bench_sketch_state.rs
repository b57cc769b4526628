//! How much of a sketch decode is the pass through `hyperloglogplus`'s private state (the crate
//! offers only serde, so `sketch::Sketch::from_bytes` moves its state through postcard): the
//! cost owning the estimator would remove. Mirrors the state layout of `sketch/mod.rs`.
//!
//! `cargo run --release -p otelsnap-core --example bench_sketch_state` (docs/bench/sketch.md).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark stops on what it cannot set up
use hyperloglogplus::{HyperLogLog, HyperLogLogPlus};
use serde::{Deserialize, Serialize};
use std::hash::{BuildHasher, Hasher};
use std::time::Instant;

#[derive(Clone, Copy, Default, Serialize, Deserialize)]
struct PassThrough;
#[derive(Default)]
struct H(u64);
impl Hasher for H {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, b: &[u8]) {
        self.0 = xxhash_rust::xxh3::xxh3_64(b)
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = i
    }
}
impl BuildHasher for PassThrough {
    type Hasher = H;
    fn build_hasher(&self) -> H {
        H(0)
    }
}

#[derive(Serialize, Deserialize, Clone)]
struct State {
    builder: PassThrough,
    precision: u8,
    counts: (usize, usize, usize),
    tmpset: Vec<u32>,
    sparse: Sparse,
    registers: Option<Regs>,
    phantom: (),
}
#[derive(Serialize, Deserialize, Clone)]
struct Sparse {
    count: usize,
    last: u32,
    buf: Vec<u8>,
}
#[derive(Serialize, Deserialize, Clone)]
struct Regs {
    buf: Vec<u32>,
    count: usize,
    zeros: usize,
}

fn filled(n: u64) -> HyperLogLogPlus<u64, PassThrough> {
    let mut h = HyperLogLogPlus::new(14, PassThrough).unwrap();
    for i in 0..n {
        h.insert(&xxhash_rust::xxh3::xxh3_64(format!("value-{i}").as_bytes()));
    }
    h.count();
    h
}

fn time<F: FnMut()>(iters: u32, mut f: F) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        for _ in 0..iters {
            f();
        }
        best = best.min(t.elapsed().as_secs_f64() / iters as f64 * 1e6);
    }
    best
}

fn main() {
    for (name, n, iters) in [
        ("sparse, 50 values", 50u64, 20_000u32),
        ("dense, 50,000 values", 50_000, 500),
    ] {
        let h = filled(n);
        let state: State = postcard::from_bytes(&postcard::to_allocvec(&h).unwrap()).unwrap();
        let empty = HyperLogLogPlus::<u64, PassThrough>::new(14, PassThrough).unwrap();
        // What Sketch::from_bytes does around its own parsing: state of an empty estimator out
        // through postcard, then the filled state back in through postcard.
        let out = time(iters, || {
            let s: State = postcard::from_bytes(&postcard::to_allocvec(&empty).unwrap()).unwrap();
            std::hint::black_box(s);
        });
        let back = time(iters, || {
            let h: HyperLogLogPlus<u64, PassThrough> =
                postcard::from_bytes(&postcard::to_allocvec(&state).unwrap()).unwrap();
            std::hint::black_box(h);
        });
        let mut h2 = h.clone();
        let est = time(iters, || {
            std::hint::black_box(h2.count());
        });
        println!(
            "{name}: postcard out {out:.2} µs, postcard in {back:.2} µs, estimate {est:.2} µs"
        );
    }
}
