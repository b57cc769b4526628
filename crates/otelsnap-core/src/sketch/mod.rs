//! HyperLogLog++ sketches with a stable hash and a compact, versioned byte encoding.
//!
//! The estimator is the `hyperloglogplus` crate at precision 14. We hash values ourselves with
//! xxh3-64 (seedless, specified, stable across releases) and feed the crate the 64-bit hash
//! through a pass-through hasher, so the crate's own hashing never decides our bits.
//!
//! The crate's serde form is not a file format: it carries a `HashSet` of pending hash codes
//! (random iteration order) and the hasher builder. We flush pending codes and write our own
//! encoding instead (named by [`ENCODING`]):
//!
//! ```text
//! byte 0     encoding version (1)
//! byte 1     precision p
//! byte 2     0 = sparse, 1 = dense
//! sparse:    varint n, then n varint deltas of the ascending 32-bit HLL++ sparse codes (p' = 25)
//! dense:     2^p registers of 6 bits, packed little-endian, 4 registers per 3 bytes
//! ```
//!
//! A key with a handful of values therefore costs a few bytes, not kilobytes.

use std::hash::{BuildHasher, Hasher};

use base64::Engine as _;
use hyperloglogplus::{HyperLogLog, HyperLogLogPlus};
use serde::{Deserialize, Deserializer, Serialize};

/// Precision of every sketch otelsnap writes (2^14 registers, ~0.8% standard error).
pub const PRECISION: u8 = 14;
/// The name of our encoding and hash, written in each sketch's `encoding` field.
pub const ENCODING: &str = "hllpp-xxh3-v1";
const ENCODING_VERSION: u8 = 1;
const KIND_SPARSE: u8 = 0;
const KIND_DENSE: u8 = 1;

/// Why a sketch could not be decoded or combined.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SketchError {
    #[error("sketch encoding '{0}' is not supported (this build reads '{ENCODING}')")]
    /// A sketch encoding this build does not read.
    UnknownEncoding(String),
    #[error("sketch precision {0} is not supported (this build uses {PRECISION})")]
    /// A precision this build does not use.
    Precision(u8),
    #[error("sketch data is not valid base64: {0}")]
    /// The data field is not base64.
    Base64(String),
    #[error("sketch bytes are corrupt: {0}")]
    /// The bytes do not decode; says which part.
    Corrupt(&'static str),
    #[error("sketches have different precisions ({0} and {1}) and cannot be merged")]
    /// Two sketches of different precisions.
    PrecisionMismatch(u8, u8),
    #[error("sketches have different encodings ('{0}' and '{1}') and cannot be merged")]
    /// Two sketches of different encodings.
    EncodingMismatch(String, String),
}

/// (+) A serialized sketch as a session file holds it: the byte encoding above, in base64.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SketchData {
    /// Precision p (2^p registers); always [`PRECISION`] for sketches we write.
    pub precision: u8,
    /// The encoding and hash, [`ENCODING`] for ours.
    pub encoding: String,
    /// Base64 (standard alphabet, padded) of the encoded sketch bytes.
    pub data: String,
}

thread_local! {
    /// Set while a lean decode runs ([`without_data`]).
    static SKIP_DATA: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` (a decode) with every [`SketchData`] read for its shape only: `precision` is
/// kept, `encoding` and `data` come back empty, so hundreds of thousands of sketch strings
/// are never allocated. What this returns must not be merged or saved.
pub fn without_data<T>(f: impl FnOnce() -> T) -> T {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            SKIP_DATA.with(|c| c.set(self.0));
        }
    }
    let _reset = Reset(SKIP_DATA.with(|c| c.replace(true)));
    f()
}

impl<'de> Deserialize<'de> for SketchData {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Full {
            precision: u8,
            encoding: String,
            data: String,
        }
        #[derive(Deserialize)]
        struct Lean {
            precision: u8,
            #[serde(rename = "encoding")]
            _encoding: serde::de::IgnoredAny,
            #[serde(rename = "data")]
            _data: serde::de::IgnoredAny,
        }
        if SKIP_DATA.with(|c| c.get()) {
            let l = Lean::deserialize(d)?;
            Ok(SketchData {
                precision: l.precision,
                encoding: String::new(),
                data: String::new(),
            })
        } else {
            let f = Full::deserialize(d)?;
            Ok(SketchData {
                precision: f.precision,
                encoding: f.encoding,
                data: f.data,
            })
        }
    }
}

/// Hashes a value's stable string form; the one hash every sketch uses.
pub fn hash_value(bytes: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(bytes)
}

#[derive(Clone, Copy, Default, Serialize, Deserialize)]
struct PassThrough;

#[derive(Default)]
struct PassThroughHasher(u64);

impl Hasher for PassThroughHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only u64 hashes are ever inserted; fold anything else in so nothing is lost.
        self.0 = hash_value(bytes) ^ self.0.rotate_left(5);
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

/// A distinct-count sketch.
#[derive(Clone)]
pub struct Sketch {
    hll: HyperLogLogPlus<u64, PassThrough>,
}

impl std::fmt::Debug for Sketch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sketch").finish_non_exhaustive()
    }
}

impl Default for Sketch {
    fn default() -> Self {
        Self::new()
    }
}

impl Sketch {
    /// An empty sketch at [`PRECISION`].
    pub fn new() -> Self {
        Sketch {
            // Precision 14 is within the crate's 4..=18, so this cannot fail.
            hll: HyperLogLogPlus::new(PRECISION, PassThrough).unwrap_or_else(|_| unreachable!()),
        }
    }

    /// Adds a value given as its stable string bytes.
    pub fn insert(&mut self, value: &[u8]) {
        self.insert_hash(hash_value(value));
    }

    /// Adds a value already hashed with [`hash_value`].
    pub fn insert_hash(&mut self, hash: u64) {
        self.hll.insert(&hash);
    }

    /// Unions `other` into `self`.
    pub fn merge(&mut self, other: &Sketch) {
        // Same precision by construction; the crate only fails on a precision mismatch.
        let _ = self.hll.merge(&other.hll);
    }

    /// The cardinality estimate, rounded to the nearest integer.
    pub fn estimate(&mut self) -> u64 {
        let c = self.hll.count();
        if c.is_finite() && c > 0.0 {
            c.round() as u64
        } else {
            0
        }
    }

    /// Encodes to our versioned byte form (flushes pending state first).
    pub fn to_bytes(&mut self) -> Vec<u8> {
        self.hll.count(); // flushes the pending-code set into the sorted sparse list
        let mut out = vec![ENCODING_VERSION, PRECISION];
        let Some(state) = State::of(&self.hll) else {
            // Unreachable for our own estimator; an empty sparse sketch is the safe answer.
            out.extend_from_slice(&[KIND_SPARSE, 0]);
            return out;
        };
        if let Some(regs) = state.registers {
            out.push(KIND_DENSE);
            let m = 1usize << PRECISION;
            let mut regs6 = Vec::with_capacity(m);
            'outer: for w in regs.buf {
                for i in 0..5 {
                    if regs6.len() == m {
                        break 'outer;
                    }
                    regs6.push(((w >> (i * 6)) & 0x3f) as u8);
                }
            }
            regs6.resize(m, 0);
            for chunk in regs6.chunks(4) {
                let packed = chunk
                    .iter()
                    .enumerate()
                    .fold(0u32, |acc, (i, r)| acc | (u32::from(*r) << (i * 6)));
                out.extend_from_slice(&packed.to_le_bytes()[..3]);
            }
        } else {
            out.push(KIND_SPARSE);
            push_varint(&mut out, state.sparse.count as u64);
            out.extend_from_slice(&state.sparse.buf);
        }
        out
    }

    /// Decodes our byte form.
    pub fn from_bytes(bytes: &[u8]) -> Result<Sketch, SketchError> {
        let [version, precision, kind, rest @ ..] = bytes else {
            return Err(SketchError::Corrupt("too short"));
        };
        if *version != ENCODING_VERSION {
            return Err(SketchError::UnknownEncoding(format!(
                "{ENCODING} version {version}"
            )));
        }
        if *precision != PRECISION {
            return Err(SketchError::Precision(*precision));
        }
        let mut state = State::of(&Sketch::new().hll).ok_or(SketchError::Corrupt("model"))?;
        match *kind {
            KIND_SPARSE => {
                let (count, used) =
                    read_varint(rest).ok_or(SketchError::Corrupt("sparse count"))?;
                let buf = &rest[used..];
                // Walk the deltas: validates the varints and finds `last`, which the crate keeps.
                let (mut pos, mut last, mut n) = (0usize, 0u64, 0u64);
                while pos < buf.len() {
                    let (d, used) =
                        read_varint(&buf[pos..]).ok_or(SketchError::Corrupt("sparse code"))?;
                    if n > 0 && d == 0 {
                        return Err(SketchError::Corrupt("sparse codes not strictly ascending"));
                    }
                    last += d;
                    if last > u64::from(u32::MAX) || !sparse_code_ok(last as u32) {
                        return Err(SketchError::Corrupt("sparse code out of range"));
                    }
                    pos += used;
                    n += 1;
                }
                if n != count {
                    return Err(SketchError::Corrupt(
                        "sparse count does not match the codes",
                    ));
                }
                state.sparse = SparseState {
                    count: usize::try_from(count)
                        .map_err(|_| SketchError::Corrupt("sparse count"))?,
                    last: u32::try_from(last).map_err(|_| SketchError::Corrupt("sparse code"))?,
                    buf: buf.to_vec(),
                };
            }
            KIND_DENSE => {
                let m = 1usize << PRECISION;
                if rest.len() != m / 4 * 3 {
                    return Err(SketchError::Corrupt(
                        "dense register block has the wrong length",
                    ));
                }
                let mut regs6 = Vec::with_capacity(m);
                for c in rest.chunks(3) {
                    let packed = u32::from_le_bytes([c[0], c[1], c[2], 0]);
                    for i in 0..4 {
                        regs6.push(((packed >> (i * 6)) & 0x3f) as u8);
                    }
                }
                // A register holds 1 + the leading zeros of the hash's remaining 64 - p bits;
                // anything larger is crafted, and would inflate the estimate without bound.
                if regs6.iter().any(|r| *r > MAX_REGISTER) {
                    return Err(SketchError::Corrupt("dense register out of range"));
                }
                let zeros = regs6.iter().filter(|r| **r == 0).count();
                let words: Vec<u32> = regs6
                    .chunks(5)
                    .map(|c| {
                        c.iter()
                            .enumerate()
                            .fold(0u32, |acc, (i, r)| acc | (u32::from(*r) << (i * 6)))
                    })
                    .collect();
                state.registers = Some(RegistersState {
                    buf: words,
                    count: m,
                    zeros,
                });
            }
            _ => return Err(SketchError::Corrupt("unknown representation")),
        }
        let hll = state.into_hll().ok_or(SketchError::Corrupt("state"))?;
        Ok(Sketch { hll })
    }

    /// Encodes for a session file.
    pub fn to_data(&mut self) -> SketchData {
        SketchData {
            precision: PRECISION,
            encoding: ENCODING.to_string(),
            data: base64::engine::general_purpose::STANDARD.encode(self.to_bytes()),
        }
    }

    /// Decodes a session file's sketch, refusing foreign precisions and encodings.
    pub fn from_data(d: &SketchData) -> Result<Sketch, SketchError> {
        if d.encoding != ENCODING {
            return Err(SketchError::UnknownEncoding(d.encoding.clone()));
        }
        if d.precision != PRECISION {
            return Err(SketchError::Precision(d.precision));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(d.data.as_bytes())
            .map_err(|e| SketchError::Base64(e.to_string()))?;
        Sketch::from_bytes(&bytes)
    }
}

/// The largest value a dense register can hold at [`PRECISION`].
const MAX_REGISTER: u8 = 64 - PRECISION + 1;
/// The sparse representation's precision (HLL++ p').
const SPARSE_PRECISION: u32 = 25;

/// Whether a sparse code is one the estimator can produce: a flagged code (low bit set) carries
/// a run length of 1..=64-p'+1 in bits 1..7; an unflagged one has index bits below p' set.
fn sparse_code_ok(code: u32) -> bool {
    if code & 1 == 1 {
        let zeros = (code >> 1) & 0x3f;
        (1..=64 - SPARSE_PRECISION + 1).contains(&zeros)
    } else {
        let index = code >> 1;
        index & ((1 << (SPARSE_PRECISION - u32::from(PRECISION))) - 1) != 0
    }
}

/// The estimator's state in the shape of its serde form. The crate keeps its fields private
/// and offers only serde, so its state passes through a serde format into these typed fields.
/// That format is postcard (compact binary, positional): the fields below are in the crate's
/// declaration order with its types, which `state_shape_matches_the_crate` checks against the
/// self-describing JSON form. JSON cost ~60% of a dense decode (BENCHMARKS.md).
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

/// The sparse list: `count` ascending codes as varint deltas in `buf`; `last` is the largest.
#[derive(Serialize, Deserialize)]
struct SparseState {
    count: usize,
    last: u32,
    buf: Vec<u8>,
}

/// Dense registers: five 6-bit registers per word.
#[derive(Serialize, Deserialize)]
struct RegistersState {
    buf: Vec<u32>,
    count: usize,
    zeros: usize,
}

impl State {
    fn of(hll: &HyperLogLogPlus<u64, PassThrough>) -> Option<State> {
        postcard::to_allocvec(hll)
            .ok()
            .and_then(|b| postcard::from_bytes(&b).ok())
    }

    fn into_hll(self) -> Option<HyperLogLogPlus<u64, PassThrough>> {
        postcard::to_allocvec(&self)
            .ok()
            .and_then(|b| postcard::from_bytes(&b).ok())
    }
}

/// Checks that two serialized sketches can be merged, with the reason when not.
pub fn check_compatible(a: &SketchData, b: &SketchData) -> Result<(), SketchError> {
    if a.precision != b.precision {
        return Err(SketchError::PrecisionMismatch(a.precision, b.precision));
    }
    if a.encoding != b.encoding {
        return Err(SketchError::EncodingMismatch(
            a.encoding.clone(),
            b.encoding.clone(),
        ));
    }
    Ok(())
}

fn push_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn filled(range: std::ops::Range<u64>) -> Sketch {
        let mut s = Sketch::new();
        for i in range {
            s.insert(format!("value-{i}").as_bytes());
        }
        s
    }

    #[test]
    fn small_counts_are_exact() {
        for n in [0u64, 1, 2, 3, 10, 100] {
            assert_eq!(filled(0..n).estimate(), n, "n={n}");
        }
    }

    #[test]
    fn golden_hash_and_bytes() {
        // Pinned: if these change, sketches written by earlier releases no longer merge.
        assert_eq!(hash_value(b""), 0x2d06800538d394c2);
        assert_eq!(hash_value(b"checkout"), hash_value(b"checkout"));
        let mut s = Sketch::new();
        for v in ["a", "b", "c"] {
            s.insert(v.as_bytes());
        }
        let bytes = s.to_bytes();
        assert_eq!(s.estimate(), 3);
        assert_eq!(bytes.len(), GOLDEN_ABC.len(), "{bytes:?}");
        assert_eq!(bytes, GOLDEN_ABC);
    }

    #[test]
    fn state_shape_matches_the_crate() {
        // postcard is positional: read through the self-describing JSON form (field names
        // checked) and through postcard, every kind of state must come out the same.
        let mut pending = Sketch::new();
        pending.insert(b"not yet flushed");
        for mut s in [Sketch::new(), pending, filled(0..5), filled(0..50_000)] {
            let json: State = serde_json::from_slice(&serde_json::to_vec(&s.hll).unwrap()).unwrap();
            let bin = State::of(&s.hll).unwrap();
            assert_eq!(
                serde_json::to_value(&json).unwrap(),
                serde_json::to_value(&bin).unwrap()
            );
            let est = s.estimate();
            let mut back = Sketch {
                hll: State::of(&s.hll).unwrap().into_hll().unwrap(),
            };
            assert_eq!(back.estimate(), est);
        }
    }

    #[test]
    fn golden_dense() {
        // Pinned like GOLDEN_ABC, for the dense form: its bytes (by hash) and its estimate,
        // after a decode and after a union with a sparse sketch.
        let mut s = filled(0..50_000);
        let bytes = s.to_bytes();
        assert_eq!(bytes[2], KIND_DENSE);
        assert_eq!(
            (bytes.len(), hash_value(&bytes), s.estimate()),
            GOLDEN_DENSE,
            "{:#x}",
            hash_value(&bytes)
        );
        let mut back = Sketch::from_bytes(&bytes).unwrap();
        assert_eq!(back.estimate(), GOLDEN_DENSE.2);
        back.merge(&filled(49_990..50_100));
        assert_eq!(back.estimate(), GOLDEN_DENSE_UNION);
    }

    const GOLDEN_DENSE: (usize, u64, u64) = (12_291, 0x2a1dbf4bb720f2f6, 50_151);
    const GOLDEN_DENSE_UNION: u64 = 50_213;

    const GOLDEN_ABC: &[u8] = &[
        1, 14, 0, 3, 172, 208, 245, 10, 218, 176, 206, 6, 196, 176, 168, 11,
    ];

    #[test]
    fn round_trip_keeps_estimate_and_bytes() {
        for n in [0u64, 5, 500, 5_000, 50_000] {
            let mut s = filled(0..n);
            let est = s.estimate();
            let bytes = s.to_bytes();
            let mut back = Sketch::from_bytes(&bytes).unwrap();
            assert_eq!(back.estimate(), est, "n={n}");
            assert_eq!(back.to_bytes(), bytes, "n={n}");
        }
    }

    #[test]
    fn identical_content_identical_bytes() {
        let mut a = filled(0..3000);
        let mut b = Sketch::new();
        for i in (0..3000u64).rev() {
            b.insert(format!("value-{i}").as_bytes());
        }
        assert_eq!(a.to_bytes(), b.to_bytes());
    }

    #[test]
    fn sparse_is_small() {
        let mut s = filled(0..5);
        assert!(s.to_bytes().len() < 40, "{}", s.to_bytes().len());
    }

    #[test]
    fn ten_thousand_within_two_percent() {
        let est = filled(0..10_000).estimate() as f64;
        assert!((est - 10_000.0).abs() / 10_000.0 < 0.02, "{est}");
    }

    #[test]
    fn union_is_a_union() {
        let mut a = filled(0..600_000);
        let b = filled(400_000..1_000_000);
        a.merge(&b);
        let est = a.estimate() as f64;
        assert!((est - 1_000_000.0).abs() / 1_000_000.0 < 0.02, "{est}");
    }

    #[test]
    fn corrupt_bytes_are_errors() {
        assert!(Sketch::from_bytes(&[]).is_err());
        assert!(Sketch::from_bytes(&[9, 14, 0, 0]).is_err());
        assert!(Sketch::from_bytes(&[1, 12, 0, 0]).is_err());
        assert!(Sketch::from_bytes(&[1, 14, 1, 0, 0]).is_err());
        assert!(Sketch::from_bytes(&[1, 14, 0, 2, 5]).is_err());
        assert!(Sketch::from_bytes(&[1, 14, 0, 1, 0x80]).is_err());
    }
}
