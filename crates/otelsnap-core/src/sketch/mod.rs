//! HyperLogLog++ sketches with a stable hash and a compact, versioned byte encoding.
//!
//! The estimator is ours (`hllpp`, with the empirical bias data in `bias`), at precision 14.
//! It reproduces the `hyperloglogplus` crate 0.4.1, which earlier releases used, bit for bit:
//! stored sketches keep their bytes and their estimates (a differential test holds the two
//! side by side; the crate is only a dev-dependency now). We hash values ourselves with xxh3-64
//! (seedless, specified, stable across releases).
//!
//! The in-memory state is the encoding itself, named by [`ENCODING`]:
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

mod bias;
#[cfg(test)]
mod differential;
mod hllpp;

pub(crate) use hllpp::max_registers;

use base64::Engine as _;
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

/// True inside [`without_data`]: the decode under way is read-only.
pub(crate) fn skipping_data() -> bool {
    SKIP_DATA.with(|c| c.get())
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

/// A distinct-count sketch.
#[derive(Clone)]
pub struct Sketch {
    hll: hllpp::Hll,
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
            hll: hllpp::Hll::default(),
        }
    }

    /// Adds a value given as its stable string bytes.
    pub fn insert(&mut self, value: &[u8]) {
        self.insert_hash(hash_value(value));
    }

    /// Adds a value already hashed with [`hash_value`].
    pub fn insert_hash(&mut self, hash: u64) {
        self.hll.insert(hash);
    }

    /// Unions `other` into `self`.
    pub fn merge(&mut self, other: &Sketch) {
        self.hll.merge(&other.hll);
    }

    /// The cardinality estimate, rounded to the nearest integer. (`&mut`: pending sparse codes
    /// are merged into the list first.)
    pub fn estimate(&mut self) -> u64 {
        let c = self.hll.estimate();
        if c.is_finite() && c > 0.0 {
            c.round() as u64
        } else {
            0
        }
    }

    /// The unrounded estimate, for comparing bits with the reference.
    #[cfg(test)]
    fn estimate_f64(&mut self) -> f64 {
        self.hll.estimate()
    }

    /// Encodes to our versioned byte form (merges pending codes first).
    pub fn to_bytes(&mut self) -> Vec<u8> {
        let mut out = vec![ENCODING_VERSION, PRECISION];
        self.hll.encode_into(&mut out, KIND_SPARSE, KIND_DENSE);
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
        let hll = match *kind {
            KIND_SPARSE => {
                let (count, used) =
                    read_varint(rest).ok_or(SketchError::Corrupt("sparse count"))?;
                hllpp::Hll::from_sparse(count, &rest[used..])?
            }
            KIND_DENSE => hllpp::Hll::from_dense(rest)?,
            _ => return Err(SketchError::Corrupt("unknown representation")),
        };
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
    fn sparse_is_small_in_memory() {
        // The analyzer holds one sketch per key: a handful of values must cost tens of bytes
        // of heap, before and after its codes are merged into the list.
        let mut s = filled(0..5);
        assert!(std::mem::size_of::<Sketch>() <= 56);
        assert!(s.hll.heap_bytes() <= 32, "{}", s.hll.heap_bytes());
        s.estimate();
        assert!(s.hll.heap_bytes() <= 64, "{}", s.hll.heap_bytes());
        let back = Sketch::from_bytes(&s.to_bytes()).unwrap();
        assert!(back.hll.heap_bytes() <= 32, "{}", back.hll.heap_bytes());
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
