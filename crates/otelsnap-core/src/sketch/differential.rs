//! Our estimator against the one it replaces: the `hyperloglogplus` crate 0.4.1 (a
//! dev-dependency now) with the codec earlier releases used, its private state moved through
//! postcard. On generated sets of hashes, estimates must agree to the bit and encodings to the
//! byte, so every stored sketch means what it meant.

use std::hash::{BuildHasher, Hasher};

use hyperloglogplus::{HyperLogLog, HyperLogLogPlus};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

use super::{ENCODING_VERSION, KIND_DENSE, KIND_SPARSE, PRECISION, Sketch, read_varint};

/// The reference: the crate, fed our 64-bit hashes unchanged.
type Reference = HyperLogLogPlus<u64, PassThrough>;

#[derive(Clone, Copy, Default, Serialize, Deserialize)]
struct PassThrough;

#[derive(Default)]
struct PassThroughHasher(u64);

impl Hasher for PassThroughHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, _: &[u8]) {
        unreachable!("only u64 hashes are inserted");
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = i;
    }
}

impl BuildHasher for PassThrough {
    type Hasher = PassThroughHasher;
    fn build_hasher(&self) -> PassThroughHasher {
        PassThroughHasher(0)
    }
}

/// The crate's state in the shape of its serde form (its fields are private): postcard is
/// positional, so these are its fields in declaration order with its types.
#[derive(Serialize, Deserialize)]
struct State {
    builder: PassThrough,
    precision: u8,
    counts: (usize, usize, usize),
    tmpset: Vec<u32>,
    sparse: SparseState,
    registers: Option<RegistersState>,
    phantom: (),
}

#[derive(Serialize, Deserialize)]
struct SparseState {
    count: usize,
    last: u32,
    buf: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct RegistersState {
    buf: Vec<u32>,
    count: usize,
    zeros: usize,
}

fn state_of(h: &Reference) -> State {
    postcard::from_bytes(&postcard::to_allocvec(h).unwrap()).unwrap()
}

fn reference() -> Reference {
    HyperLogLogPlus::new(PRECISION, PassThrough).unwrap()
}

/// The old `Sketch::to_bytes`: flush, read the state, write our encoding.
fn old_to_bytes(h: &mut Reference) -> Vec<u8> {
    h.count();
    let state = state_of(h);
    let mut out = vec![ENCODING_VERSION, PRECISION];
    if let Some(regs) = state.registers {
        out.push(KIND_DENSE);
        let m = 1usize << PRECISION;
        let mut regs6: Vec<u32> = regs
            .buf
            .iter()
            .flat_map(|w| (0..5).map(move |i| (w >> (i * 6)) & 0x3f))
            .take(m)
            .collect();
        regs6.resize(m, 0);
        for chunk in regs6.chunks(4) {
            let packed = chunk
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, r)| acc | (r << (i * 6)));
            out.extend_from_slice(&packed.to_le_bytes()[..3]);
        }
    } else {
        out.push(KIND_SPARSE);
        let mut n = state.sparse.count as u64;
        while n >= 0x80 {
            out.push((n as u8 & 0x7f) | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
        out.extend_from_slice(&state.sparse.buf);
    }
    out
}

/// The old `Sketch::from_bytes` on valid bytes: our encoding into the crate's state.
fn old_from_bytes(bytes: &[u8]) -> Reference {
    let mut state = state_of(&reference());
    match bytes[2] {
        KIND_SPARSE => {
            let (count, used) = read_varint(&bytes[3..]).unwrap();
            let buf = bytes[3 + used..].to_vec();
            let (mut pos, mut last) = (0, 0u64);
            while pos < buf.len() {
                let (d, used) = read_varint(&buf[pos..]).unwrap();
                last += d;
                pos += used;
            }
            state.sparse = SparseState {
                count: count as usize,
                last: last as u32,
                buf,
            };
        }
        _ => {
            let regs6: Vec<u32> = bytes[3..]
                .chunks(3)
                .flat_map(|c| {
                    let w = u32::from_le_bytes([c[0], c[1], c[2], 0]);
                    (0..4).map(move |i| (w >> (i * 6)) & 0x3f)
                })
                .collect();
            let zeros = regs6.iter().filter(|r| **r == 0).count();
            let buf = regs6
                .chunks(5)
                .map(|c| {
                    c.iter()
                        .enumerate()
                        .fold(0u32, |acc, (i, r)| acc | (r << (i * 6)))
                })
                .collect();
            state.registers = Some(RegistersState {
                buf,
                count: regs6.len(),
                zeros,
            });
        }
    }
    postcard::from_bytes(&postcard::to_allocvec(&state).unwrap()).unwrap()
}

fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// `n` hashes from `seed`. With `crafted` > 0, one in 2^(7 - 2·crafted) is bent toward the
/// rare cases: p'-index bits below p all zero (a flagged sparse code), or only the top p bits
/// set (the largest register value, past the estimate's exact-sum path).
fn hashes(seed: u64, n: usize, crafted: u32) -> Vec<u64> {
    (0..n as u64)
        .map(|i| {
            let h = splitmix(seed ^ splitmix(i));
            if crafted == 0 || !h.is_multiple_of(1 << (7 - 2 * crafted)) {
                h
            } else if (h >> 8).is_multiple_of(2) {
                h & !(0x7ff << 39)
            } else {
                h & (u64::MAX << 50)
            }
        })
        .collect()
}

/// Inserts `hs` into both, asking each for its estimate every `every` inserts (a flush, whose
/// timing must not matter), and checks they agree.
fn both(hs: &[u64], every: usize) -> (Sketch, Reference) {
    let (mut ours, mut theirs) = (Sketch::new(), reference());
    for (i, h) in hs.iter().enumerate() {
        ours.insert_hash(*h);
        theirs.insert(h);
        if every > 0 && (i + 1) % every == 0 {
            assert_eq!(ours.estimate_f64().to_bits(), theirs.count().to_bits());
        }
    }
    (ours, theirs)
}

/// Estimates agree to the bit, encodings to the byte, and each side decodes the bytes to the
/// same estimate and encoding again.
fn agree(ours: &mut Sketch, theirs: &mut Reference) -> Vec<u8> {
    let est = theirs.count();
    assert_eq!(ours.estimate_f64().to_bits(), est.to_bits(), "{est}");
    let bytes = ours.to_bytes();
    assert_eq!(bytes, old_to_bytes(theirs));
    let mut back = Sketch::from_bytes(&bytes).unwrap();
    let mut old_back = old_from_bytes(&bytes);
    assert_eq!(back.estimate_f64().to_bits(), est.to_bits());
    assert_eq!(old_back.count().to_bits(), est.to_bits());
    assert_eq!(back.to_bytes(), bytes);
    assert_eq!(old_to_bytes(&mut old_back), bytes);
    bytes
}

/// Where random hashes turn a sketch dense: the fewest of them whose encoding is dense (a
/// sketch that holds more values is dense too, so a bisection finds it).
fn switch_point(seed: u64) -> usize {
    let hs = hashes(seed, 10_000, 0);
    let dense = |n: usize| {
        let mut s = Sketch::new();
        hs[..n].iter().for_each(|h| s.insert_hash(*h));
        s.to_bytes()[2] == KIND_DENSE
    };
    let (mut lo, mut hi) = (0, hs.len());
    assert!(dense(hi));
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if dense(mid) { hi = mid } else { lo = mid }
    }
    hi
}

#[test]
fn the_reference_codec_reads_the_crate_state() {
    // postcard is positional: read through the crate's self-describing JSON form too (field
    // names checked), every kind of state must come out the same.
    let mut pending = reference();
    pending.insert(&42u64);
    let filled = |n| both(&hashes(1, n, 0), 0).1;
    for h in [reference(), pending, filled(5), filled(50_000)] {
        let json: State = serde_json::from_slice(&serde_json::to_vec(&h).unwrap()).unwrap();
        assert_eq!(
            postcard::to_allocvec(&json).unwrap(),
            postcard::to_allocvec(&state_of(&h)).unwrap()
        );
    }
}

#[test]
fn the_switch_to_dense_comes_at_the_same_value() {
    for seed in [3, 4, 5] {
        let at = switch_point(seed);
        let hs = hashes(seed, at + 1, 0);
        for n in [at - 1, at, at + 1] {
            let (mut ours, mut theirs) = both(&hs[..n], 0);
            let bytes = agree(&mut ours, &mut theirs);
            assert_eq!(bytes[2] == KIND_DENSE, n >= at, "seed {seed} n {n}");
        }
    }
}

/// Set sizes: small (the pending codes' merge at 132), around the sparse→dense switch
/// (about 5,900 random values: their codes differ by ~2 bytes each), and large (through linear counting at 11,500 into the
/// bias-corrected range, to 5m = 81,920, and beyond).
fn size() -> impl Strategy<Value = usize> {
    prop_oneof![0usize..300, 5_000usize..7_000, 10_000usize..100_000]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn same_estimate_and_bytes_as_the_crate(
        seed in any::<u64>(),
        n in size(),
        crafted in 0u32..4,
        every in prop_oneof![Just(0usize), 1usize..200, 1_000usize..5_000],
    ) {
        // At most ~40 checkpoints: each is a whole estimate.
        let every = if every == 0 { 0 } else { every.max(n / 40) };
        let (mut ours, mut theirs) = both(&hashes(seed, n, crafted), every);
        agree(&mut ours, &mut theirs);
    }

    #[test]
    fn same_union_as_the_crate(
        seeds in (any::<u64>(), any::<u64>()),
        sizes in (size(), size()),
        shared in prop_oneof![Just(0usize), 0usize..5_000],
        crafted in 0u32..4,
        decoded in any::<bool>(),
    ) {
        // The second set shares its first `shared` hashes with the first set.
        let a = hashes(seeds.0, sizes.0, crafted);
        let mut b = hashes(seeds.1, sizes.1, crafted);
        let k = shared.min(a.len()).min(b.len());
        b[..k].copy_from_slice(&a[..k]);
        let (mut oa, mut ta) = both(&a, 0);
        let (mut ob, mut tb) = both(&b, 0);
        if decoded {
            // As merge does: sketches read from files, flushed, not fresh from inserts.
            let (ba, bb) = (oa.to_bytes(), ob.to_bytes());
            oa = Sketch::from_bytes(&ba).unwrap();
            ob = Sketch::from_bytes(&bb).unwrap();
            ta = old_from_bytes(&ba);
            tb = old_from_bytes(&bb);
        }
        let (mut oba, mut tba) = (ob.clone(), tb.clone());
        oa.merge(&ob);
        ta.merge(&tb).unwrap();
        let ab = agree(&mut oa, &mut ta);
        oba.merge(&Sketch::from_bytes(&ab).unwrap());
        tba.merge(&old_from_bytes(&ab)).unwrap();
        agree(&mut oba, &mut tba);
    }
}
