//! Our HyperLogLog++ estimator (`sketch::Sketch`) against the path it replaced: the
//! `hyperloglogplus` crate 0.4.1 with its private state moved through postcard (both
//! dev-dependencies now, kept as the reference). In one run: a decode plus estimate of a sparse
//! 50-value and a dense 50,000-value sketch, the estimate alone, insert throughput, and the heap
//! each holds.
//!
//! `cargo run --release -p otelsnap-core --example bench_sketch_state` (docs/bench/sketch.md).
//!
//! The old decode below is the old `Sketch::from_bytes`, as `sketch/differential.rs` keeps it
//! for the test: a benchmark of retired code has to carry that code.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark stops on what it cannot set up
use std::alloc::{GlobalAlloc, Layout, System};
use std::hash::{BuildHasher, Hasher};
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};
use std::time::Instant;

use hyperloglogplus::{HyperLogLog, HyperLogLogPlus};
use otelsnap_core::sketch::{Sketch, hash_value};
use serde::{Deserialize, Serialize};

/// Counts live heap bytes while `COUNTING` is set (the memory section only).
struct Counting;
static COUNTING: AtomicBool = AtomicBool::new(false);
static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        }
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        }
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_add(new as isize - l.size() as isize, Ordering::Relaxed);
        }
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Heap bytes `f`'s result holds (allocated and not freed while building it).
fn heap<T>(f: impl FnOnce() -> T) -> (T, isize) {
    LIVE.store(0, Ordering::Relaxed);
    COUNTING.store(true, Ordering::Relaxed);
    let v = f();
    COUNTING.store(false, Ordering::Relaxed);
    (v, LIVE.load(Ordering::Relaxed))
}

#[derive(Clone, Copy, Default, Serialize, Deserialize)]
struct PassThrough;
#[derive(Default)]
struct H(u64);
impl Hasher for H {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, _: &[u8]) {
        unreachable!("only u64 hashes are inserted")
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
type Old = HyperLogLogPlus<u64, PassThrough>;

/// The crate's private state in its serde field order (what the old codec copied).
#[derive(Serialize, Deserialize)]
struct State {
    builder: PassThrough,
    precision: u8,
    counts: (usize, usize, usize),
    tmpset: Vec<u32>,
    sparse: SparseState,
    registers: Option<Regs>,
    phantom: (),
}
#[derive(Serialize, Deserialize)]
struct SparseState {
    count: usize,
    last: u32,
    buf: Vec<u8>,
}
#[derive(Serialize, Deserialize)]
struct Regs {
    buf: Vec<u32>,
    count: usize,
    zeros: usize,
}

fn read_varint(b: &[u8]) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for (i, byte) in b.iter().enumerate().take(10) {
        v |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

/// The old `Sketch::from_bytes` (its validation included): parse, take an empty estimator's
/// state out through postcard, fill it, and move it back into the crate's type.
fn old_from_bytes(bytes: &[u8]) -> Option<Old> {
    let [1, 14, kind, rest @ ..] = bytes else {
        return None;
    };
    let empty = Old::new(14, PassThrough).ok()?;
    let mut state: State = postcard::from_bytes(&postcard::to_allocvec(&empty).ok()?).ok()?;
    if *kind == 0 {
        let (count, used) = read_varint(rest)?;
        let buf = &rest[used..];
        let (mut pos, mut last, mut n) = (0, 0u64, 0u64);
        while pos < buf.len() {
            let (d, used) = read_varint(&buf[pos..])?;
            if (n > 0 && d == 0) || last + d > u64::from(u32::MAX) {
                return None;
            }
            last += d;
            pos += used;
            n += 1;
        }
        if n != count {
            return None;
        }
        state.sparse = SparseState {
            count: count as usize,
            last: last as u32,
            buf: buf.to_vec(),
        };
    } else {
        if rest.len() != (1 << 14) / 4 * 3 {
            return None;
        }
        let mut regs6 = Vec::with_capacity(1 << 14);
        for c in rest.chunks(3) {
            let packed = u32::from_le_bytes([c[0], c[1], c[2], 0]);
            for i in 0..4 {
                regs6.push(((packed >> (i * 6)) & 0x3f) as u8);
            }
        }
        if regs6.iter().any(|r| *r > 51) {
            return None;
        }
        let zeros = regs6.iter().filter(|r| **r == 0).count();
        let words = regs6
            .chunks(5)
            .map(|c| {
                c.iter()
                    .enumerate()
                    .fold(0u32, |acc, (i, r)| acc | (u32::from(*r) << (i * 6)))
            })
            .collect();
        state.registers = Some(Regs {
            buf: words,
            count: 1 << 14,
            zeros,
        });
    }
    postcard::from_bytes(&postcard::to_allocvec(&state).ok()?).ok()
}

fn hashes(n: u64) -> Vec<u64> {
    (0..n)
        .map(|i| hash_value(format!("value-{i}").as_bytes()))
        .collect()
}

/// Best of 5 rounds of `iters` calls, in µs per call; `a` and `b` alternate within each round so
/// that load on the shared machine falls on both.
fn pair(iters: u32, mut a: impl FnMut(), mut b: impl FnMut()) -> (f64, f64) {
    let (mut best_a, mut best_b) = (f64::MAX, f64::MAX);
    for _ in 0..5 {
        let t = Instant::now();
        for _ in 0..iters {
            a();
        }
        best_a = best_a.min(t.elapsed().as_secs_f64() / f64::from(iters) * 1e6);
        let t = Instant::now();
        for _ in 0..iters {
            b();
        }
        best_b = best_b.min(t.elapsed().as_secs_f64() / f64::from(iters) * 1e6);
    }
    (best_a, best_b)
}

fn row(what: &str, (new, old): (f64, f64), unit: &str) {
    println!(
        "| {what} | {new:.2} {unit} | {old:.2} {unit} | {:.2} |",
        new / old
    );
}

fn main() {
    println!("| operation | ours | crate (old path) | ours / old |");
    println!("|---|---:|---:|---:|");
    for (name, n, iters) in [
        ("sparse, 50 values", 50u64, 20_000u32),
        ("dense, 50,000 values", 50_000, 500),
    ] {
        let hs = hashes(n);
        let mut s = Sketch::new();
        for h in &hs {
            s.insert_hash(*h);
        }
        let bytes = s.to_bytes();
        let mut old = old_from_bytes(&bytes).unwrap();
        assert_eq!(s.estimate() as f64, old.count().round(), "{name}");
        row(
            &format!("decode + estimate, {name}"),
            pair(
                iters,
                || {
                    let mut s = Sketch::from_bytes(black_box(&bytes)).unwrap();
                    black_box(s.estimate());
                },
                || {
                    let mut h = old_from_bytes(black_box(&bytes)).unwrap();
                    black_box(h.count());
                },
            ),
            "µs",
        );
        let mut s2 = Sketch::from_bytes(&bytes).unwrap();
        row(
            &format!("estimate, {name}"),
            pair(
                iters,
                || {
                    black_box(black_box(&mut s2).estimate());
                },
                || {
                    black_box(black_box(&mut old).count());
                },
            ),
            "µs",
        );
        row(
            &format!("encode, {name}"),
            pair(
                iters,
                || {
                    black_box(black_box(&mut s2).to_bytes());
                },
                || {
                    // The old to_bytes read the state out through postcard before writing ours.
                    let st: State =
                        postcard::from_bytes(&postcard::to_allocvec(&old).unwrap()).unwrap();
                    black_box(st);
                },
            ),
            "µs",
        );
        let (new, oldt) = pair(
            (iters / 50).max(5),
            || {
                let mut s = Sketch::new();
                for h in &hs {
                    s.insert_hash(*h);
                }
                black_box(s.estimate());
            },
            || {
                let mut h = Old::new(14, PassThrough).unwrap();
                for x in &hs {
                    h.insert(x);
                }
                black_box(h.count());
            },
        );
        let per = |us: f64| us * 1e3 / n as f64;
        row(
            &format!("{n} inserts + estimate, per insert"),
            (per(new), per(oldt)),
            "ns",
        );
    }

    println!();
    println!(
        "inline size: ours {} bytes, crate {} bytes",
        std::mem::size_of::<Sketch>(),
        std::mem::size_of::<Old>()
    );
    println!("| heap held | ours | crate |");
    println!("|---|---:|---:|");
    for (what, n) in [
        ("5 values", 5u64),
        ("33 values (the analyzer's first sketch)", 33),
        ("50,000 values (dense)", 50_000),
    ] {
        let hs = hashes(n);
        let (mut s, ours) = heap(|| {
            let mut s = Sketch::new();
            for h in &hs {
                s.insert_hash(*h);
            }
            s
        });
        let (mut h, theirs) = heap(|| {
            let mut h = Old::new(14, PassThrough).unwrap();
            for x in &hs {
                h.insert(x);
            }
            h
        });
        let ((), d_ours) = heap(|| {
            s.estimate();
        });
        let (_, d_theirs) = heap(|| h.count());
        let bytes = s.to_bytes();
        let (decoded, ours_decoded) = heap(|| Sketch::from_bytes(&bytes).unwrap());
        let (old_decoded, theirs_decoded) = heap(|| old_from_bytes(&bytes).unwrap());
        println!("| {what}, as inserted | {ours} | {theirs} |");
        println!(
            "| {what}, after an estimate | {} | {} |",
            ours + d_ours,
            theirs + d_theirs
        );
        println!("| {what}, decoded | {ours_decoded} | {theirs_decoded} |");
        black_box((&s, &h, &decoded, &old_decoded));
    }
}
