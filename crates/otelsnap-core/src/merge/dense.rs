//! Unions of dense sketches on their encoded registers.
//!
//! A dense sketch (see [`crate::sketch`]: byte 0 version, byte 1 precision, byte 2 = 1, then
//! 2^p six-bit registers packed four to three bytes) unions by taking each register's maximum,
//! which is exactly what the estimator's own merge does. Doing it on the bytes lets a merge of
//! many dense sketches decode one sketch (the union, for its estimate) instead of each source's.
//! The result is the byte form `Sketch::to_bytes` writes for those registers; a test pins that.

use base64::Engine as _;

use crate::sketch::{ENCODING, PRECISION, SketchData};

const KIND_DENSE: u8 = 1;
const HEADER: usize = 3;
const BODY: usize = (1usize << PRECISION) / 4 * 3;

/// The decoded bytes of a dense sketch in our encoding, or `None` (sparse, foreign, damaged:
/// the caller falls back to the estimator).
pub(crate) fn dense_bytes(d: &SketchData) -> Option<Vec<u8>> {
    if d.encoding != ENCODING || d.precision != PRECISION {
        return None;
    }
    // A dense sketch's base64 has a known length; anything else is not worth decoding here.
    if d.data.len() != (HEADER + BODY).div_ceil(3) * 4 {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(d.data.as_bytes())
        .ok()?;
    (bytes.len() == HEADER + BODY && bytes[1] == PRECISION && bytes[2] == KIND_DENSE)
        .then_some(bytes)
}

/// Raises each register of `acc` to at least `other`'s (both from [`dense_bytes`]).
pub(crate) fn max_into(acc: &mut [u8], other: &[u8]) {
    crate::sketch::max_registers(&mut acc[HEADER..], &other[HEADER..]);
}

/// Base64 of encoded bytes, as a session file holds them.
pub(crate) fn to_data(bytes: &[u8]) -> SketchData {
    SketchData {
        precision: PRECISION,
        encoding: ENCODING.to_string(),
        data: base64::engine::general_purpose::STANDARD.encode(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sketch::Sketch;

    fn filled(range: std::ops::Range<u32>) -> Sketch {
        let mut s = Sketch::new();
        for i in range {
            s.insert(format!("v{i}").as_bytes());
        }
        s
    }

    #[test]
    fn register_max_on_bytes_equals_the_estimators_merge() {
        let mut a = filled(0..40_000);
        let mut b = filled(25_000..90_000);
        let (da, db) = (a.to_data(), b.to_data());
        let mut acc = dense_bytes(&da).expect("40,000 values are dense");
        max_into(&mut acc, &dense_bytes(&db).expect("dense"));
        a.merge(&b);
        let expected = a.to_data();
        assert_eq!(to_data(&acc), expected);
        let mut back = Sketch::from_bytes(&acc).unwrap();
        assert_eq!(back.estimate(), a.estimate());
    }

    #[test]
    fn sparse_and_foreign_sketches_are_left_to_the_estimator() {
        let mut small = filled(0..50);
        let d = small.to_data();
        assert!(dense_bytes(&d).is_none());
        let mut big = filled(0..40_000).to_data();
        big.precision = 12;
        assert!(dense_bytes(&big).is_none());
    }
}
