//! Gunzip of a whole buffer with a limit on the output: the one path for stored sessions and
//! OTLP/HTTP bodies ([`limited`]). The common case, one gzip member, takes a fast path.
//!
//! Loading a large session is dominated by inflating it (a 50,000-metric session is 46 MB of
//! gzip and 174 MB of JSON). A streaming decoder grows its output as it goes, zero-filling and
//! copying on each growth; libdeflate inflates the whole member in one call into a buffer sized
//! from the member's trailer (ISIZE), and is faster at inflating itself (with huge pages, this
//! took the diff of two 50,000-metric sessions from 1.42 s to 1.09 s: BENCHMARKS.md). Anything
//! unusual, such as several members, a trailer that does not match,
//! corruption or output beyond the limit, returns `None`; the caller's streaming decoder
//! then reads the file and reports the problem precisely.

use std::io::Read;

use flate2::read::MultiGzDecoder;

use libdeflate_sys::{
    libdeflate_alloc_decompressor, libdeflate_decompressor, libdeflate_free_decompressor,
    libdeflate_gzip_decompress_ex, libdeflate_result_LIBDEFLATE_SUCCESS,
};

/// Allocations at least this large are advised onto transparent huge pages.
const HUGE_MIN: usize = 32 << 20;

/// A libdeflate decompressor, freed on drop.
struct Decompressor(*mut libdeflate_decompressor);

impl Drop for Decompressor {
    fn drop(&mut self) {
        // SAFETY: the pointer came from libdeflate_alloc_decompressor and is freed once.
        unsafe { libdeflate_free_decompressor(self.0) }
    }
}

/// Why a gzip buffer could not be inflated within its limit.
#[derive(Debug, thiserror::Error)]
pub enum GunzipError {
    /// The output would exceed the limit (a gzip bomb, or simply too large).
    #[error("it inflates past the {limit}-byte limit")]
    OverLimit {
        /// The limit, in bytes.
        limit: u64,
    },
    /// The stream ends before its last member does.
    #[error("the gzip stream ends early")]
    Truncated,
    /// Not valid gzip/deflate data.
    #[error("bad gzip data ({0})")]
    Corrupt(std::io::Error),
}

/// Inflates every gzip member of `bytes`, producing at most `max_out` bytes: more is
/// [`GunzipError::OverLimit`], and a bomb costs at most `max_out + 1` bytes of memory. One
/// well-formed member (what we write) is inflated whole by libdeflate; anything else streams.
pub fn limited(bytes: &[u8], max_out: u64) -> Result<Vec<u8>, GunzipError> {
    if let Some(out) = one_member(bytes, max_out) {
        return Ok(out);
    }
    let mut out = Vec::new();
    let mut dec = MultiGzDecoder::new(bytes).take(max_out.saturating_add(1));
    match dec.read_to_end(&mut out) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            return Err(GunzipError::Truncated);
        }
        Err(e) => return Err(GunzipError::Corrupt(e)),
    }
    if out.len() as u64 > max_out {
        return Err(GunzipError::OverLimit { limit: max_out });
    }
    Ok(out)
}

/// Inflates `bytes` when they are exactly one well-formed gzip member whose output is at
/// most `max_out` bytes; `None` otherwise (the caller falls back to streaming).
pub fn one_member(bytes: &[u8], max_out: u64) -> Option<Vec<u8>> {
    // Header (10) + empty deflate block (2) + trailer (8) at the least.
    if bytes.len() < 20 {
        return None;
    }
    let trailer: [u8; 4] = bytes[bytes.len() - 4..].try_into().ok()?;
    let size = u32::from_le_bytes(trailer) as usize;
    if size as u64 > max_out {
        return None;
    }
    // SAFETY: plain allocation; a null result is handled.
    let d = Decompressor(unsafe { libdeflate_alloc_decompressor() });
    if d.0.is_null() {
        return None;
    }
    let mut out = Vec::with_capacity(size.max(1));
    advise_huge_pages(&mut out);
    let (mut used_in, mut used_out) = (0usize, 0usize);
    // SAFETY: `bytes` is readable for its length and `out` writable for `size` bytes (its
    // capacity); libdeflate writes no further than the given length and reports how much it
    // wrote, which is checked before the Vec's length is set.
    let result = unsafe {
        libdeflate_gzip_decompress_ex(
            d.0,
            bytes.as_ptr().cast(),
            bytes.len(),
            out.as_mut_ptr().cast(),
            size,
            &mut used_in,
            &mut used_out,
        )
    };
    // libdeflate checks the member's CRC-32 and size itself; a member that ends before the
    // input does means more members follow, which the streaming path handles.
    if result != libdeflate_result_LIBDEFLATE_SUCCESS || used_in != bytes.len() || used_out != size
    {
        return None;
    }
    // SAFETY: libdeflate initialised exactly `used_out` (== size <= capacity) bytes.
    unsafe { out.set_len(used_out) };
    Some(out)
}

/// Reads a whole file into one buffer of its exact size, on huge pages when large.
pub fn read_file(file: &mut std::fs::File, len: u64) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(usize::try_from(len).unwrap_or(0).saturating_add(1));
    advise_huge_pages(&mut out);
    file.read_to_end(&mut out)?;
    Ok(out)
}

/// Asks the kernel to back a large buffer's spare capacity with transparent huge pages: a
/// few hundred faults instead of tens of thousands for a 174 MB buffer. Only a hint, ignored
/// where THP is off: it changes how the range's pages are faulted in (also if the allocator
/// later reuses them), never their contents or the mapping.
fn advise_huge_pages(v: &mut Vec<u8>) {
    #[cfg(target_os = "linux")]
    if v.capacity() >= HUGE_MIN {
        const PAGE: usize = 4096;
        let start = v.as_mut_ptr() as usize;
        let end = start + v.capacity();
        let (s, e) = ((start + PAGE - 1) & !(PAGE - 1), end & !(PAGE - 1));
        // SAFETY: the range lies inside this Vec's allocation; MADV_HUGEPAGE changes no
        // contents and no mapping, only how future faults are served.
        unsafe {
            libc::madvise(s as *mut libc::c_void, e - s, libc::MADV_HUGEPAGE);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = v;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn one_member_round_trips() {
        let data: Vec<u8> = (0..200_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        assert_eq!(one_member(&gz(&data), u64::MAX).as_deref(), Some(&data[..]));
        assert_eq!(one_member(&gz(b""), u64::MAX).as_deref(), Some(&b""[..]));
    }

    #[test]
    fn anything_unusual_falls_back() {
        let data = b"{\"version\":1}".repeat(100);
        let one = gz(&data);
        // Two members: the streaming decoder reads both; the fast path must not read one.
        let mut two = one.clone();
        two.extend_from_slice(&one);
        assert_eq!(one_member(&two, u64::MAX), None);
        // Truncated, corrupted, a lying trailer, over the limit.
        assert_eq!(one_member(&one[..one.len() - 1], u64::MAX), None);
        let mut bad = one.clone();
        bad[15] ^= 0x55;
        assert_eq!(one_member(&bad, u64::MAX), None);
        let mut lying = one.clone();
        let n = lying.len();
        lying[n - 4] ^= 1;
        assert_eq!(one_member(&lying, u64::MAX), None);
        assert_eq!(one_member(&one, data.len() as u64 - 1), None);
        assert_eq!(
            one_member(&one, data.len() as u64).as_deref(),
            Some(&data[..])
        );
        assert_eq!(
            one_member(b"not gzip at all, but long enough", u64::MAX),
            None
        );
    }
}
