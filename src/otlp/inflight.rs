//! Requests in flight, held under one byte budget shared by both receivers (`--max-in-flight`).
//!
//! The analyzer's state has its own budget (`--max-state-bytes`); what it does not cover is the
//! requests on their way to it: each connection's body, its inflated form and the decoded
//! request. Without a bound, many senders at once multiply that by the connection limit. Here
//! every request reserves its bytes before it is read, inflated or decoded, and a request that
//! does not fit waits (the sender sees a slower answer, never a refusal), so memory for
//! requests in flight stays under the budget however many senders there are.
//!
//! Two pools, each half the budget, make waiting deadlock-free: a request holds a *body*
//! reservation while it waits for a *decoding* one, but never the other way round, and a
//! decoding reservation is only ever released (its holder inflates, decodes, hands the request
//! to the analyzer and answers, waiting on nothing in this module). A single request larger
//! than a pool takes the whole pool and runs alone.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Default of `--max-in-flight`: four requests of the default 16 MiB body limit (two bodies
/// and two decodings, one per core of a small runner), or thousands of SDK-sized ones
/// (an SDK batch is typically 10–500 KiB), at a fixed cost beside the analyzer's budget.
pub const DEFAULT_MAX_IN_FLIGHT: u64 = 64 * 1024 * 1024;

/// Heap bytes of a decoded protobuf request per byte of its encoding, beside
/// [`REQUEST_OVERHEAD`], for SDK- and Collector-shaped payloads (3–4.2x measured by
/// `tests/inflight_expansion.rs`, which holds this bound). Payloads made only of empty strings
/// and one-element lists expand more (17.5x measured; same test): such requests are charged less
/// than they hold, so the decoding pool then bounds their memory at that ratio over this one.
pub const PROTOBUF_EXPANSION: u64 = 6;

/// Heap bytes of a decoded request beside its per-byte expansion: the fixed cost of its
/// outer structures, which dominates small requests (under 1 KiB they expand up to 9x).
pub const REQUEST_OVERHEAD: u64 = 4096;

/// As [`PROTOBUF_EXPANSION`], for OTLP/JSON (1.4–2.1x measured): every field is spelled out,
/// so the decoded form is not much bigger than the text.
pub const JSON_EXPANSION: u64 = 3;

/// The two pools; clones share them.
#[derive(Clone, Debug)]
pub struct InFlight {
    bodies: Arc<Semaphore>,
    decoding: Arc<Semaphore>,
    /// Each pool's size, in KiB (the unit of a permit).
    pool_kib: u32,
}

/// A reservation, returned to its pool when dropped.
#[derive(Debug)]
pub struct Held(#[allow(dead_code)] Option<OwnedSemaphorePermit>);

impl InFlight {
    /// Pools for `total` bytes in flight (at least 2 KiB).
    pub fn new(total: u64) -> Self {
        let pool_kib = u32::try_from((total / 2).div_ceil(1024)).unwrap_or(u32::MAX >> 4);
        // tokio caps a semaphore's permits at usize::MAX >> 3; u32::MAX >> 4 is far below.
        let pool_kib = pool_kib.clamp(1, u32::MAX >> 4);
        InFlight {
            bodies: Arc::new(Semaphore::new(pool_kib as usize)),
            decoding: Arc::new(Semaphore::new(pool_kib as usize)),
            pool_kib,
        }
    }

    /// Permits for `bytes`: rounded up to KiB, at least one, at most the whole pool.
    fn permits(&self, bytes: u64) -> u32 {
        u32::try_from(bytes.div_ceil(1024))
            .unwrap_or(u32::MAX)
            .clamp(1, self.pool_kib)
    }

    /// Waits until `bytes` of body may be read, and reserves them.
    pub async fn body(&self, bytes: u64) -> Held {
        let n = self.permits(bytes);
        Held(self.bodies.clone().acquire_many_owned(n).await.ok())
    }

    /// Waits until `bytes` of inflated body and decoded request may be held, and reserves them.
    /// Callers may hold a [`InFlight::body`] reservation meanwhile, never the reverse.
    pub async fn decoding(&self, bytes: u64) -> Held {
        let n = self.permits(bytes);
        Held(self.decoding.clone().acquire_many_owned(n).await.ok())
    }

    /// KiB free in (bodies, decoding): both pools are whole again once nothing is in flight.
    pub fn free_kib(&self) -> (usize, usize) {
        (
            self.bodies.available_permits(),
            self.decoding.available_permits(),
        )
    }

    /// Each pool's size in KiB.
    pub fn pool_kib(&self) -> u32 {
        self.pool_kib
    }
}

impl Default for InFlight {
    fn default() -> Self {
        InFlight::new(DEFAULT_MAX_IN_FLIGHT)
    }
}

/// The size a gzip stream's trailer declares (ISIZE: the last member's length modulo 2^32),
/// used as the first guess of what a body inflates to. A body that inflates further (several
/// members: a lying trailer fails the CRC check anyway) is charged again at the body limit
/// before it is inflated again.
pub fn gzip_declared_size(gz: &[u8]) -> u64 {
    match gz.len().checked_sub(4).and_then(|i| gz.get(i..)) {
        Some(t) if gz.len() >= 18 => u64::from(u32::from_le_bytes([t[0], t[1], t[2], t[3]])),
        _ => 0,
    }
}

/// What inflating and decoding a body of `encoded` bytes (after inflating) holds, for an
/// encoding with `expansion` heap bytes per encoded byte; `inflated` is counted on top when the
/// body arrived compressed (the inflated buffer lives beside the decoded request).
pub fn decoding_bytes(encoded: u64, expansion: u64, inflated: bool) -> u64 {
    let decoded = encoded
        .saturating_mul(expansion)
        .saturating_add(REQUEST_OVERHEAD);
    if inflated {
        decoded.saturating_add(encoded)
    } else {
        decoded
    }
}

/// Why a compressed body could not be inflated.
#[derive(Debug)]
pub enum InflateError {
    /// It inflates past `max` bytes.
    OverLimit,
    /// It is not valid gzip.
    Invalid(String),
}

/// Inflates a gzip body of an encoding with `expansion` heap bytes per byte, holding a decoding
/// reservation for the inflated buffer and the request decoded from it, which is returned with
/// the bytes. The reservation is first the size the trailer declares; a body that inflates
/// further is charged again at `max` (waiting with only its body reservation held) and
/// inflated again. Never produces more than `max` bytes, so a bomb costs at most `max`.
pub async fn inflate_charged(
    f: &InFlight,
    raw: &[u8],
    max: u64,
    expansion: u64,
) -> Result<(bytes::Bytes, Held), InflateError> {
    use otelsnap_core::gunzip::{GunzipError, limited};
    let guess = gzip_declared_size(raw).min(max);
    let held = f.decoding(decoding_bytes(guess, expansion, true)).await;
    match limited(raw, guess) {
        Ok(out) => return Ok((out.into(), held)),
        Err(GunzipError::OverLimit { .. }) if guess < max => {}
        Err(GunzipError::OverLimit { .. }) => return Err(InflateError::OverLimit),
        Err(e) => return Err(InflateError::Invalid(e.to_string())),
    }
    drop(held);
    let held = f.decoding(decoding_bytes(max, expansion, true)).await;
    match limited(raw, max) {
        Ok(out) => Ok((out.into(), held)),
        Err(GunzipError::OverLimit { .. }) => Err(InflateError::OverLimit),
        Err(e) => Err(InflateError::Invalid(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permits_round_up_and_clamp_to_the_pool() {
        let f = InFlight::new(8 * 1024);
        assert_eq!(f.pool_kib(), 4);
        assert_eq!(f.permits(0), 1);
        assert_eq!(f.permits(1), 1);
        assert_eq!(f.permits(1025), 2);
        assert_eq!(
            f.permits(1 << 40),
            4,
            "a request over the pool takes the whole pool"
        );
    }

    #[tokio::test]
    async fn a_request_that_does_not_fit_waits_until_another_is_done() {
        let f = InFlight::new(8 * 1024); // 4 KiB per pool
        let first = f.body(3 * 1024).await;
        let g = f.clone();
        let waiting = tokio::spawn(async move {
            let _second = g.body(2 * 1024).await;
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "2 KiB does not fit beside 3 of 4");
        drop(first);
        tokio::time::timeout(std::time::Duration::from_secs(5), waiting)
            .await
            .expect("the waiting request proceeds once the first is done")
            .expect("no panic");
        assert_eq!(f.free_kib(), (4, 4), "everything is returned");
    }

    #[tokio::test]
    async fn the_pools_are_separate_so_body_holders_can_wait_for_decoding() {
        let f = InFlight::new(8 * 1024);
        // Every body permit held, as by requests waiting to decode: decoding is still free.
        let _bodies = f.body(u64::MAX).await;
        let d = tokio::time::timeout(std::time::Duration::from_secs(5), f.decoding(4096)).await;
        assert!(d.is_ok());
    }

    #[test]
    fn the_gzip_trailer_gives_the_declared_size() {
        let gz = otelsnap_core::gzip::compress(&vec![7u8; 100_000], &[]);
        assert_eq!(gzip_declared_size(&gz), 100_000);
        assert_eq!(gzip_declared_size(b"short"), 0);
    }

    #[tokio::test]
    async fn a_body_that_inflates_past_its_trailer_is_charged_again_and_kept_whole() {
        let f = InFlight::new(1 << 30);
        let data: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
        // Two members: the trailer read is the last one's, 10 bytes of 800,010.
        let mut gz = otelsnap_core::gzip::compress(&data[..data.len() - 10], &[]);
        gz.extend(otelsnap_core::gzip::compress(&data[data.len() - 10..], &[]));
        assert_eq!(gzip_declared_size(&gz), 10);
        let (out, _held) = inflate_charged(&f, &gz, 1 << 22, 4).await.unwrap();
        assert_eq!(&out[..], &data[..]);
        let over = inflate_charged(&f, &gz, 1000, 4).await;
        assert!(matches!(over, Err(InflateError::OverLimit)));
        let bad = inflate_charged(&f, b"not gzip at all, not at all", 1000, 4).await;
        assert!(matches!(bad, Err(InflateError::Invalid(_))));
    }

    #[test]
    fn decoding_counts_the_inflated_buffer_only_for_compressed_bodies() {
        assert_eq!(decoding_bytes(1000, 4, false), 4000 + REQUEST_OVERHEAD);
        assert_eq!(decoding_bytes(1000, 4, true), 5000 + REQUEST_OVERHEAD);
    }
}
