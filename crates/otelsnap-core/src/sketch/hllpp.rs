//! The HyperLogLog++ estimator at precision 14 (Heule, Nunkesser and Hall, "HyperLogLog in
//! Practice", 2013), computing exactly what the `hyperloglogplus` crate 0.4.1 computed for the
//! sketches otelsnap wrote with it: the same sparse codes, the same moment the sparse list turns
//! dense, the same floating-point estimate. Stored sketches keep their bytes and estimates; the
//! differential test (`sketch/differential.rs`) holds this against the crate.
//!
//! The state is kept in the shape of our encoding (see the parent module): the sparse list as
//! the varint deltas the file holds, the dense registers packed four to three bytes. Encoding
//! copies it out and decoding validates and copies it in.
//!
//! Where the crate's choices differ from the paper, the crate wins, because stored estimates
//! were computed with them: linear counting on the sparse form counts over 2^(p'-1) cells, not
//! 2^p'; a sparse list may hold several codes for one p'-index (codes are kept distinct, not one
//! per index); the bias is interpolated linearly between the two nearest tabulated points, not
//! averaged over k nearest neighbours.

use super::SketchError;
use super::bias::{BIASES, RAW_ESTIMATES};

/// Precision p: 2^p registers.
const P: u32 = 14;
/// The sparse representation's precision p'.
pub(super) const P_SPARSE: u32 = 25;
/// Number of registers.
const M: usize = 1 << P;
/// Bytes of the packed dense registers (the dense body of our encoding).
pub(super) const DENSE_BYTES: usize = M / 4 * 3;
/// The largest value a register can hold: 1 + the leading zeros of the 64 - p bits left.
pub(super) const MAX_REGISTER: u32 = 64 - P + 1;
/// Cells that linear counting assumes on the sparse form (the crate's 2^(p'-1)).
const SPARSE_CELLS: usize = 1 << (P_SPARSE - 1);
/// A sparse list longer than this many bytes turns dense: the size of the crate's dense
/// registers (five 6-bit registers per 32-bit word, 4m/5 bytes), as the paper suggests.
const SPARSE_MAX_BYTES: usize = 4 * M / 5;
/// Pending codes are merged into the sparse list once there are more than this many (the
/// crate's "tmpset larger than 1% of the dense size").
const PENDING_MAX: usize = SPARSE_MAX_BYTES / 100;
/// Below this estimate, linear counting on the dense registers is used (the paper's empirical
/// threshold for p = 14).
const LINEAR_COUNTING_MAX: f64 = 11_500.0;
/// The low bits of the p'-index that are not part of the p-index.
const SPARSE_EXTRA_MASK: u32 = (1 << (P_SPARSE - P)) - 1;

/// The estimator's state.
#[derive(Clone)]
pub(super) enum Hll {
    /// Few values: distinct sparse codes.
    Sparse(Sparse),
    /// 2^p registers, packed four to three bytes little-endian, as our encoding writes them.
    Dense(Box<[u8]>),
}

/// Distinct sparse codes: an ascending list plus codes not merged into it yet.
#[derive(Clone, Default)]
pub(super) struct Sparse {
    /// Varint (LEB128) deltas of the ascending codes, each code's delta from the previous one
    /// (the first from 0): exactly the bytes our encoding stores.
    list: Vec<u8>,
    /// How many codes `list` holds.
    count: u32,
    /// Distinct codes inserted since the last merge (some may already be in `list`): inserting
    /// into a delta list costs a rewrite, so codes wait here and are merged in batches.
    pending: Vec<u32>,
}

impl Default for Hll {
    fn default() -> Self {
        Hll::Sparse(Sparse::default())
    }
}

/// The sparse code of a hash: its p'-index, and when the index's bits below p are all zero the
/// register value needs bits beyond p', so it is carried too (a flagged code, low bit 1).
fn sparse_code(hash: u64) -> u32 {
    let index = (hash >> (64 - P_SPARSE)) as u32;
    if index & SPARSE_EXTRA_MASK == 0 {
        let rho = 1 + ((hash << P_SPARSE) | (1 << (P_SPARSE - 1))).leading_zeros();
        (index << 7) | (rho << 1) | 1
    } else {
        index << 1
    }
}

/// The register index and value a sparse code stands for.
fn decode_code(code: u32) -> (usize, u32) {
    if code & 1 == 1 {
        (
            (code >> (32 - P)) as usize,
            ((code >> 1) & 0x3f) + (P_SPARSE - P),
        )
    } else {
        let index = (code >> (P_SPARSE + 1 - P)) & ((1 << P) - 1);
        // The p'-index's bits below p sit at bits 1..=p'-p; their leading zeros give the value.
        let rho = (code << (32 - (P_SPARSE - P) - 1)).leading_zeros() + 1;
        (index as usize, rho)
    }
}

/// Whether a code is one [`sparse_code`] can produce: a flagged code carries a value of
/// 1..=64-p'+1 in bits 1..7; an unflagged one has p'-index bits below p set.
pub(super) fn sparse_code_ok(code: u32) -> bool {
    if code & 1 == 1 {
        (1..=64 - P_SPARSE + 1).contains(&((code >> 1) & 0x3f))
    } else {
        (code >> 1) & SPARSE_EXTRA_MASK != 0
    }
}

/// The register index and value of a hash in the dense form.
fn dense_update(hash: u64) -> (usize, u32) {
    let index = (hash >> (64 - P)) as usize;
    (index, 1 + ((hash << P) | (1 << (P - 1))).leading_zeros())
}

fn push_varint(out: &mut Vec<u8>, mut v: u32) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads one varint of at most 32 bits; `None` when truncated or wider. Also says whether it
/// was written in its shortest form.
fn read_varint(b: &[u8]) -> Option<(u32, usize, bool)> {
    let mut v = 0u64;
    for (i, byte) in b.iter().enumerate().take(5) {
        v |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            let shortest = i == 0 || *byte != 0;
            return u32::try_from(v).ok().map(|v| (v, i + 1, shortest));
        }
    }
    None
}

/// The codes of a delta list, ascending (the list is ours or validated).
fn codes(list: &[u8]) -> impl Iterator<Item = u32> + '_ {
    let mut pos = 0;
    let mut last = 0u32;
    std::iter::from_fn(move || {
        let (d, used, _) = read_varint(list.get(pos..)?)?;
        pos += used;
        last = last.wrapping_add(d);
        Some(last)
    })
}

/// Raises register `index` of packed `regs` to `value` if it is lower.
fn set_greater(regs: &mut [u8], index: usize, value: u32) {
    let at = index / 4 * 3;
    let shift = (index % 4) * 6;
    let Some(b) = regs.get_mut(at..at + 3) else {
        return;
    };
    let word = u32::from_le_bytes([b[0], b[1], b[2], 0]);
    if value > (word >> shift) & 0x3f {
        let word = (word & !(0x3f << shift)) | (value << shift);
        b.copy_from_slice(&word.to_le_bytes()[..3]);
    }
}

/// Raises each register of packed `acc` to at least `other`'s: the union of two dense sketches.
pub(crate) fn max_registers(acc: &mut [u8], other: &[u8]) {
    for (a, b) in acc.chunks_exact_mut(3).zip(other.chunks_exact(3)) {
        let x = u32::from_le_bytes([a[0], a[1], a[2], 0]);
        let y = u32::from_le_bytes([b[0], b[1], b[2], 0]);
        if x == y {
            continue;
        }
        let mut out = 0u32;
        for i in 0..4 {
            let shift = i * 6;
            out |= ((x >> shift) & 0x3f).max((y >> shift) & 0x3f) << shift;
        }
        a.copy_from_slice(&out.to_le_bytes()[..3]);
    }
}

/// The four registers packed in three bytes.
fn unpack(c: &[u8]) -> [u32; 4] {
    let w = u32::from_le_bytes([c[0], c[1], c[2], 0]);
    [
        w & 0x3f,
        (w >> 6) & 0x3f,
        (w >> 12) & 0x3f,
        (w >> 18) & 0x3f,
    ]
}

/// Whether any register of packed `regs` exceeds [`MAX_REGISTER`]. Each group's four registers
/// are spread to bytes and raised by 63 - MAX_REGISTER, so a register above the limit carries
/// into its byte's bit 6; no branch per register.
fn above_max(regs: &[u8]) -> bool {
    const RAISE: u32 = (63 - MAX_REGISTER) * 0x0101_0101;
    let carries = regs.chunks_exact(3).fold(0u32, |acc, c| {
        let w = u32::from_le_bytes([c[0], c[1], c[2], 0]);
        let lanes =
            (w & 0x3f) | ((w << 2) & 0x3f00) | ((w << 4) & 0x3f_0000) | ((w << 6) & 0x3f00_0000);
        acc | (lanes + RAISE)
    });
    carries & 0x4040_4040 != 0
}

/// Linear counting: the expected number of distinct values that leave `zeros` of `cells`
/// empty.
fn linear_count(cells: usize, zeros: usize) -> f64 {
    cells as f64 * (cells as f64 / zeros as f64).ln()
}

/// The empirical bias of a raw estimate: linear interpolation between the two tabulated points
/// around it, the end values outside the table.
fn bias(raw: f64) -> f64 {
    let (Some(first), Some(last)) = (RAW_ESTIMATES.first(), RAW_ESTIMATES.last()) else {
        return 0.0;
    };
    if raw <= *first {
        return BIASES[0];
    }
    if raw >= *last {
        return BIASES[BIASES.len() - 1];
    }
    // The first point at or above `raw`: 1..len-1 here, by the checks above.
    let hi = RAW_ESTIMATES.partition_point(|e| *e < raw);
    let lo = hi - 1;
    let ratio = (raw - RAW_ESTIMATES[lo]) / (RAW_ESTIMATES[hi] - RAW_ESTIMATES[lo]);
    BIASES[lo] + ratio * (BIASES[hi] - BIASES[lo])
}

/// The HyperLogLog estimate of dense registers.
fn dense_estimate(regs: &[u8]) -> f64 {
    let (sum, zeros) = harmonic_sum(regs);
    if zeros != 0 {
        let lc = linear_count(M, zeros);
        if lc <= LINEAR_COUNTING_MAX {
            return lc;
        }
    }
    let alpha = 0.7213 / (1.0 + 1.079 / M as f64);
    let raw = alpha * (M * M) as f64 / sum;
    if raw <= 5.0 * M as f64 {
        raw - bias(raw)
    } else {
        raw
    }
}

/// Σ 2^-register in index order, as a sequential f64 sum (what the crate computed), and the
/// number of zero registers.
///
/// While no register exceeds [`EXACT_MAX`], every partial sum of that order is a multiple of
/// 2^-EXACT_MAX below 2^(p+1), which an f64 holds exactly; the sequential sum then equals the
/// exact sum, computed here in integers (no float dependency chain). Otherwise the sequential
/// sum is taken as is.
fn harmonic_sum(regs: &[u8]) -> (f64, usize) {
    // How many registers hold each value; one table per position in a 3-byte group, so that
    // consecutive increments rarely wait on the same counter.
    let mut hist = [[0u32; 64]; 4];
    for c in regs.chunks_exact(3) {
        let w = u32::from_le_bytes([c[0], c[1], c[2], 0]);
        hist[0][(w & 0x3f) as usize] += 1;
        hist[1][((w >> 6) & 0x3f) as usize] += 1;
        hist[2][((w >> 12) & 0x3f) as usize] += 1;
        hist[3][((w >> 18) & 0x3f) as usize] += 1;
    }
    let count = |r: usize| hist.iter().map(|h| u64::from(h[r])).sum::<u64>();
    let zeros = count(0) as usize;
    if (EXACT_MAX as usize + 1..64).all(|r| count(r) == 0) {
        let exact: u64 = (0..=EXACT_MAX)
            .map(|r| count(r as usize) << (EXACT_MAX - r))
            .sum();
        // At most 2^p · 2^EXACT_MAX = 2^52: exact in an f64, and so is the scaling.
        return (exact as f64 / (1u64 << EXACT_MAX) as f64, zeros);
    }
    let mut sum = 0.0f64;
    for c in regs.chunks_exact(3) {
        for r in unpack(c) {
            sum += 1.0 / (1u64 << r) as f64;
        }
    }
    (sum, zeros)
}

/// The largest register value for which [`harmonic_sum`]'s integer path is exact: partial sums
/// are below 2^(p+1) and multiples of 2^-EXACT_MAX, so they need p + 1 + EXACT_MAX ≤ 53 bits.
const EXACT_MAX: u32 = 53 - P - 1;

impl Sparse {
    /// Merges the pending codes into the list; turns dense when the list outgrows
    /// [`SPARSE_MAX_BYTES`]. Returns the registers when it did.
    fn flush(&mut self) -> Option<Box<[u8]>> {
        if !self.pending.is_empty() {
            self.pending.sort_unstable();
            self.pending.dedup();
            let mut list = Vec::with_capacity(self.list.len() + 5 * self.pending.len());
            let mut count = 0u32;
            let mut last = 0u32;
            let mut push = |code: u32| {
                push_varint(&mut list, code - last);
                last = code;
                count += 1;
            };
            let mut old = codes(&self.list).peekable();
            for &code in &self.pending {
                while let Some(&c) = old.peek() {
                    if c >= code {
                        break;
                    }
                    push(c);
                    old.next();
                }
                if old.peek() == Some(&code) {
                    old.next();
                }
                push(code);
            }
            old.for_each(&mut push);
            list.shrink_to_fit();
            self.list = list;
            self.count = count;
            self.pending.clear();
            if self.pending.capacity() > PENDING_MAX + 1 {
                // A union filled it beyond the merge point; inserts never need that much.
                self.pending = Vec::new();
            }
        }
        (self.list.len() > SPARSE_MAX_BYTES).then(|| self.to_dense())
    }

    /// The registers holding every code of the list and the pending ones.
    fn to_dense(&self) -> Box<[u8]> {
        let mut regs = vec![0u8; DENSE_BYTES].into_boxed_slice();
        for code in codes(&self.list).chain(self.pending.iter().copied()) {
            let (index, value) = decode_code(code);
            set_greater(&mut regs, index, value);
        }
        regs
    }

    /// Adds a code; merges the pending ones when there are enough (see [`PENDING_MAX`]).
    fn add(&mut self, code: u32) -> Option<Box<[u8]>> {
        if self.pending.contains(&code) {
            return None;
        }
        if self.pending.len() == self.pending.capacity() {
            // Grow to the merge point and no further: every key of every item holds one.
            let want = (self.pending.capacity() * 2).clamp(4, PENDING_MAX + 1);
            self.pending
                .reserve_exact(want.saturating_sub(self.pending.len()));
        }
        self.pending.push(code);
        if self.pending.len() > PENDING_MAX {
            return self.flush();
        }
        None
    }
}

impl Hll {
    /// Adds a 64-bit hash.
    pub(super) fn insert(&mut self, hash: u64) {
        match self {
            Hll::Sparse(s) => {
                if let Some(regs) = s.add(sparse_code(hash)) {
                    *self = Hll::Dense(regs);
                }
            }
            Hll::Dense(regs) => {
                let (index, value) = dense_update(hash);
                set_greater(regs, index, value);
            }
        }
    }

    /// Merges pending sparse codes (and turns dense if the list outgrew the limit).
    fn flush(&mut self) {
        if let Hll::Sparse(s) = self
            && let Some(regs) = s.flush()
        {
            *self = Hll::Dense(regs);
        }
    }

    /// Unions `other` into `self`.
    pub(super) fn merge(&mut self, other: &Hll) {
        match (&mut *self, other) {
            (Hll::Sparse(s), Hll::Sparse(o)) => {
                s.pending.extend(codes(&o.list));
                s.pending.extend_from_slice(&o.pending);
                self.flush();
            }
            (Hll::Dense(regs), Hll::Sparse(o)) => {
                for code in codes(&o.list).chain(o.pending.iter().copied()) {
                    let (index, value) = decode_code(code);
                    set_greater(regs, index, value);
                }
            }
            (Hll::Sparse(s), Hll::Dense(o)) => {
                let mut regs = s.flush().unwrap_or_else(|| s.to_dense());
                max_registers(&mut regs, o);
                *self = Hll::Dense(regs);
            }
            (Hll::Dense(regs), Hll::Dense(o)) => max_registers(regs, o),
        }
    }

    /// The cardinality estimate (merges pending codes first, which may turn the sketch dense).
    pub(super) fn estimate(&mut self) -> f64 {
        self.flush();
        match self {
            Hll::Sparse(s) => {
                linear_count(SPARSE_CELLS, SPARSE_CELLS.saturating_sub(s.count as usize))
            }
            Hll::Dense(regs) => dense_estimate(regs),
        }
    }

    /// Appends the body of our encoding: the kind byte, then the sparse count and deltas or
    /// the packed registers (merges pending codes first).
    pub(super) fn encode_into(&mut self, out: &mut Vec<u8>, sparse: u8, dense: u8) {
        self.flush();
        match self {
            Hll::Sparse(s) => {
                out.push(sparse);
                let mut count = u64::from(s.count);
                while count >= 0x80 {
                    out.push((count as u8 & 0x7f) | 0x80);
                    count >>= 7;
                }
                out.push(count as u8);
                out.extend_from_slice(&s.list);
            }
            Hll::Dense(regs) => {
                out.push(dense);
                out.extend_from_slice(regs);
            }
        }
    }

    /// A sparse sketch from the varint deltas of our encoding, `count` codes by its header.
    pub(super) fn from_sparse(count: u64, buf: &[u8]) -> Result<Hll, SketchError> {
        let (mut pos, mut last, mut n) = (0usize, 0u32, 0u64);
        let mut shortest = true;
        while pos < buf.len() {
            let (d, used, short) =
                read_varint(&buf[pos..]).ok_or(SketchError::Corrupt("sparse code"))?;
            if n > 0 && d == 0 {
                return Err(SketchError::Corrupt("sparse codes not strictly ascending"));
            }
            last = last
                .checked_add(d)
                .ok_or(SketchError::Corrupt("sparse code out of range"))?;
            if !sparse_code_ok(last) {
                return Err(SketchError::Corrupt("sparse code out of range"));
            }
            shortest &= short;
            pos += used;
            n += 1;
        }
        if n != count {
            return Err(SketchError::Corrupt(
                "sparse count does not match the codes",
            ));
        }
        let count = u32::try_from(count).map_err(|_| SketchError::Corrupt("sparse count"))?;
        // The list is rewritten in shortest form (as the crate's next merge did), so that
        // bytes and the dense switch depend on the codes alone.
        let list = if shortest {
            buf.to_vec()
        } else {
            let mut list = Vec::with_capacity(buf.len());
            let mut prev = 0;
            for code in codes(buf) {
                push_varint(&mut list, code - prev);
                prev = code;
            }
            list
        };
        Ok(Hll::Sparse(Sparse {
            list,
            count,
            pending: Vec::new(),
        }))
    }

    /// A dense sketch from the packed registers of our encoding.
    pub(super) fn from_dense(regs: &[u8]) -> Result<Hll, SketchError> {
        if regs.len() != DENSE_BYTES {
            return Err(SketchError::Corrupt(
                "dense register block has the wrong length",
            ));
        }
        // A register holds 1 + the leading zeros of the hash's remaining 64 - p bits;
        // anything larger is crafted, and would inflate the estimate without bound.
        if above_max(regs) {
            return Err(SketchError::Corrupt("dense register out of range"));
        }
        Ok(Hll::Dense(regs.into()))
    }

    /// Heap bytes held (capacities, not lengths): what a sketch costs in memory.
    #[cfg(test)]
    pub(super) fn heap_bytes(&self) -> usize {
        match self {
            Hll::Sparse(s) => s.list.capacity() + 4 * s.pending.capacity(),
            Hll::Dense(regs) => regs.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_decode_to_the_dense_update() {
        // A sparse code must land in the register, with the value, that a dense insert of the
        // same hash would: the switch from sparse to dense cannot change an estimate.
        let mut h = 0x9e37_79b9_7f4a_7c15u64;
        for i in 0..10_000u64 {
            h = h.rotate_left(17) ^ i.wrapping_mul(0xbf58_476d_1ce4_e5b9);
            for hash in [
                h,
                h & !(0x7ff << 39),
                h & (u64::MAX << 50),
                h & (u64::MAX << 39),
            ] {
                let code = sparse_code(hash);
                assert!(sparse_code_ok(code), "{hash:#x}");
                assert_eq!(decode_code(code), dense_update(hash), "{hash:#x}");
            }
        }
    }

    #[test]
    fn register_values_reach_their_bounds() {
        assert_eq!(dense_update(0).1, MAX_REGISTER);
        assert_eq!(dense_update(u64::MAX).1, 1);
        assert_eq!(decode_code(sparse_code(0)).1, MAX_REGISTER);
        assert_eq!(decode_code(sparse_code(1 << 39)), (0, P_SPARSE - P));
    }

    #[test]
    fn harmonic_sum_is_the_sequential_sum() {
        // The integer path must give the bits the sequential f64 sum gives, at and around the
        // largest register it takes.
        for top in [
            0u32,
            1,
            20,
            EXACT_MAX - 1,
            EXACT_MAX,
            EXACT_MAX + 1,
            MAX_REGISTER,
        ] {
            let mut regs = vec![0u8; DENSE_BYTES];
            for i in 0..M {
                let v = if i % 7 == 0 { top } else { (i % 13) as u32 };
                set_greater(&mut regs, i, v);
            }
            let mut seq = 0.0f64;
            for c in regs.chunks_exact(3) {
                for r in unpack(c) {
                    seq += 1.0 / (1u64 << r) as f64;
                }
            }
            assert_eq!(harmonic_sum(&regs).0.to_bits(), seq.to_bits(), "top {top}");
        }
    }

    #[test]
    fn above_max_finds_any_register_past_the_limit() {
        for index in [0, 1, 2, 3, 4, 777, M - 1] {
            for value in 0..64 {
                let mut regs = vec![0u8; DENSE_BYTES];
                set_greater(&mut regs, index, 51);
                set_greater(&mut regs, (index + 1) % M, value);
                assert_eq!(above_max(&regs), value > MAX_REGISTER, "{index} {value}");
            }
        }
    }

    #[test]
    fn bias_interpolates_and_clamps() {
        assert_eq!(bias(0.0), BIASES[0]);
        assert_eq!(bias(1e9), BIASES[BIASES.len() - 1]);
        // On a tabulated point the crate's formula (ratio 1 from the point below) is kept.
        let at = RAW_ESTIMATES[10];
        let want = BIASES[9] + 1.0 * (BIASES[10] - BIASES[9]);
        assert_eq!(bias(at).to_bits(), want.to_bits());
        let mid = (RAW_ESTIMATES[10] + RAW_ESTIMATES[11]) / 2.0;
        assert!(bias(mid) < BIASES[10] && bias(mid) > BIASES[11]);
    }
}
