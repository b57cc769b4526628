//! Gunzip of a whole buffer with a limit on the output: the one path for stored sessions and
//! OTLP/HTTP bodies ([`limited`]). Two common cases take a fast path: one gzip member, and
//! the members [`crate::gzip`] writes (each naming its own length, so all are found and sized
//! before any is inflated, and they are inflated in parallel into one exact buffer).
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

use flate2::bufread::GzDecoder;

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
    /// Bytes that are not another gzip member follow the last one (two files concatenated,
    /// garbage appended): the data was mangled.
    #[error("{0} bytes follow the end of the gzip stream")]
    Trailing(usize),
}

/// Inflates every gzip member of `bytes`, producing at most `max_out` bytes (more is
/// [`GunzipError::OverLimit`]): stored sessions and OTLP/HTTP bodies both come through here.
/// One well-formed member (what we write) is inflated whole by libdeflate into a buffer sized
/// from its trailer; anything else is counted first, then inflated into an exact buffer.
pub fn limited(bytes: &[u8], max_out: u64) -> Result<Vec<u8>, GunzipError> {
    if let Some(out) = one_member(bytes, max_out) {
        return Ok(out);
    }
    if let Some(out) = indexed_members(bytes, max_out) {
        return Ok(out);
    }
    // The unusual cases (several members, a trailer that lies, damage) inflate twice: first
    // only counting, so a bomb is refused without holding any of it, then into a buffer of
    // exactly the counted size, so no buffer ever exceeds the limit (a growing buffer doubles,
    // and its reallocation holds old and new at once). The common case, one member, never
    // gets here, so a gzip request body or session is inflated once.
    let size = members(bytes, max_out.saturating_add(1), &mut std::io::sink())?;
    if size > max_out {
        return Err(GunzipError::OverLimit { limit: max_out });
    }
    let mut out = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    members(bytes, size, &mut out)?;
    Ok(out)
}

/// Inflates the gzip members of `bytes` one after another into `sink`, at most `limit` bytes
/// in all; returns how many were written. Member by member, because a reader that stops after
/// the first member silently ignores whatever follows it, and anything but another member
/// after the data means it was mangled: refused.
fn members(bytes: &[u8], limit: u64, sink: &mut impl std::io::Write) -> Result<u64, GunzipError> {
    let error = |e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            GunzipError::Truncated
        } else {
            GunzipError::Corrupt(e)
        }
    };
    let mut rest = bytes;
    let mut total = 0u64;
    loop {
        let mut dec = GzDecoder::new(rest);
        total += std::io::copy(&mut (&mut dec).take(limit - total), sink).map_err(error)?;
        if total >= limit {
            return Ok(total);
        }
        rest = dec.into_inner();
        if rest.is_empty() {
            return Ok(total);
        }
        if !rest.starts_with(&[0x1f, 0x8b]) {
            return Err(GunzipError::Trailing(rest.len()));
        }
    }
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

/// The length a member declares in its `OM` extra subfield ([`crate::gzip`]), if it has one.
fn declared_len(m: &[u8]) -> Option<usize> {
    if m.len() < 12 || m[..3] != [0x1f, 0x8b, 8] || m[3] & 0x04 == 0 {
        return None;
    }
    let xlen = u16::from_le_bytes([m[10], m[11]]) as usize;
    let extra = m.get(12..12 + xlen)?;
    let mut i = 0;
    while i + 4 <= extra.len() {
        let len = u16::from_le_bytes([extra[i + 2], extra[i + 3]]) as usize;
        let body = extra.get(i + 4..i + 4 + len)?;
        if extra[i..i + 2] == crate::gzip::MEMBER_SUBFIELD && len == 4 {
            return Some(u32::from_le_bytes(body.try_into().ok()?) as usize);
        }
        i += 4 + len;
    }
    None
}

/// Inflates several members that each declare their length (what [`crate::gzip`] writes):
/// every member is located and its output size read from its trailer first, so the output is
/// one buffer of exactly the declared total (refused past `max_out` before anything is
/// inflated), and members are inflated on several threads. `None` when any member does not
/// declare its length, a declaration does not match what libdeflate finds, or the data is
/// damaged: the caller's streaming path then reads it, or says precisely what is wrong.
pub fn indexed_members(bytes: &[u8], max_out: u64) -> Option<Vec<u8>> {
    let mut members: Vec<(&[u8], usize)> = Vec::new();
    let mut total = 0usize;
    let mut rest = bytes;
    while !rest.is_empty() {
        let len = declared_len(rest)?;
        if len < 20 || len > rest.len() {
            return None;
        }
        let (m, r) = rest.split_at(len);
        let size = u32::from_le_bytes(m[len - 4..].try_into().ok()?) as usize;
        total = total.checked_add(size)?;
        if total as u64 > max_out {
            return None;
        }
        members.push((m, size));
        rest = r;
    }
    if members.len() < 2 {
        return None;
    }
    let mut out: Vec<u8> = Vec::with_capacity(total.max(1));
    advise_huge_pages(&mut out);
    let mut slots: Vec<(&[u8], &mut [std::mem::MaybeUninit<u8>])> = Vec::new();
    let mut spare = &mut out.spare_capacity_mut()[..total];
    for (m, size) in &members {
        let (slot, r) = spare.split_at_mut(*size);
        slots.push((m, slot));
        spare = r;
    }
    let threads = if total >= 8 << 20 {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
    } else {
        1
    };
    let per = slots.len().div_ceil(threads);
    let ok = std::thread::scope(|sc| {
        let mut groups = Vec::new();
        while !slots.is_empty() {
            let rest = slots.split_off(per.min(slots.len()));
            groups.push(std::mem::replace(&mut slots, rest));
        }
        let mut last = groups.pop().unwrap_or_default();
        let handles: Vec<_> = groups
            .into_iter()
            .map(|mut g| sc.spawn(move || inflate_into(&mut g)))
            .collect();
        let mine = inflate_into(&mut last);
        handles.into_iter().all(|h| h.join().unwrap_or(false)) && mine
    });
    if !ok {
        return None;
    }
    // SAFETY: every byte of the first `total` was written: the slots tile them exactly and
    // each was filled whole (checked in `inflate_into`).
    unsafe { out.set_len(total) };
    Some(out)
}

/// Inflates each member into its slot; true when every one filled its slot exactly.
fn inflate_into(slots: &mut [(&[u8], &mut [std::mem::MaybeUninit<u8>])]) -> bool {
    // SAFETY: plain allocation; a null result is handled.
    let d = Decompressor(unsafe { libdeflate_alloc_decompressor() });
    if d.0.is_null() {
        return false;
    }
    inflate_into_with(&d, slots)
}

/// [`inflate_into`] with a decompressor the caller keeps.
fn inflate_into_with(
    d: &Decompressor,
    slots: &mut [(&[u8], &mut [std::mem::MaybeUninit<u8>])],
) -> bool {
    for (m, slot) in slots.iter_mut() {
        let (mut used_in, mut used_out) = (0usize, 0usize);
        // SAFETY: `m` is readable for its length and `slot` writable for its length;
        // libdeflate writes no further and reports how much it wrote.
        let result = unsafe {
            libdeflate_gzip_decompress_ex(
                d.0,
                m.as_ptr().cast(),
                m.len(),
                slot.as_mut_ptr().cast(),
                slot.len(),
                &mut used_in,
                &mut used_out,
            )
        };
        // libdeflate checks each member's CRC-32 and size against its trailer.
        if result != libdeflate_result_LIBDEFLATE_SUCCESS
            || used_in != m.len()
            || used_out != slot.len()
        {
            return false;
        }
    }
    true
}

/// Largest member output [`MemberReader`] inflates (the writer's members hold 1 MiB).
const MAX_STREAMED_MEMBER: usize = 16 << 20;

/// Reads the members [`crate::gzip`] writes one at a time from a reader and inflates each on
/// its own, so a session can be parsed while it is read without its whole text in memory.
/// Anything else (a member that does not declare its length, damage, bytes after the last
/// member, output past the limit) ends the reading with `Err(())`: the caller then reads the
/// file the careful way ([`limited`]), which says precisely what is wrong.
pub(crate) struct MemberReader<R> {
    r: R,
    d: Decompressor,
    out_total: u64,
    max_out: u64,
}

impl<R: Read> MemberReader<R> {
    /// A reader of `r`'s members, refusing more than `max_out` bytes of output in all.
    pub(crate) fn new(r: R, max_out: u64) -> Option<Self> {
        // SAFETY: plain allocation; a null result is handled.
        let d = Decompressor(unsafe { libdeflate_alloc_decompressor() });
        (!d.0.is_null()).then_some(MemberReader {
            r,
            d,
            out_total: 0,
            max_out,
        })
    }

    /// The next member's output; `Ok(None)` at the end of the input.
    pub(crate) fn next_member(&mut self) -> Result<Option<Vec<u8>>, ()> {
        let mut head = [0u8; 12];
        let got = fill(&mut self.r, &mut head)?;
        if got == 0 {
            return Ok(None);
        }
        if got < head.len() || head[..3] != [0x1f, 0x8b, 8] || head[3] & 0x04 == 0 {
            return Err(());
        }
        let xlen = u16::from_le_bytes([head[10], head[11]]) as usize;
        let mut m = Vec::with_capacity(12 + xlen);
        m.extend_from_slice(&head);
        m.resize(12 + xlen, 0);
        if fill(&mut self.r, &mut m[12..])? < xlen {
            return Err(());
        }
        let len = declared_len(&m).ok_or(())?;
        if len < 20 + m.len() {
            return Err(());
        }
        let at = m.len();
        m.resize(len, 0);
        if fill(&mut self.r, &mut m[at..])? < len - at {
            return Err(());
        }
        let size = u32::from_le_bytes(m[len - 4..].try_into().map_err(|_| ())?) as usize;
        // Ours hold 1 MiB of text each; a larger claim is left to the careful path, so this
        // one never allocates much for a member.
        if size > MAX_STREAMED_MEMBER {
            return Err(());
        }
        self.out_total = self.out_total.saturating_add(size as u64);
        if self.out_total > self.max_out {
            return Err(());
        }
        let mut out: Vec<u8> = Vec::with_capacity(size.max(1));
        let mut slot = [(m.as_slice(), &mut out.spare_capacity_mut()[..size])];
        if !inflate_into_with(&self.d, &mut slot) {
            return Err(());
        }
        // SAFETY: `inflate_into_with` filled the whole slot, the first `size` bytes.
        unsafe { out.set_len(size) };
        Ok(Some(out))
    }
}

/// Reads until `buf` is full or the input ends; returns how many bytes were read.
fn fill(r: &mut impl Read, buf: &mut [u8]) -> Result<usize, ()> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return Err(()),
        }
    }
    Ok(n)
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
    fn limited_reads_every_member_and_refuses_past_the_limit() {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
        let one = gz(&data);
        assert_eq!(limited(&one, 300_000).unwrap(), data);
        // Two members take the streaming path; the buffer is exactly the output's size.
        let mut two = one.clone();
        two.extend_from_slice(&one);
        let out = limited(&two, 600_000).unwrap();
        assert_eq!(out.len(), 600_000);
        assert_eq!(&out[300_000..], &data[..]);
        assert!(out.capacity() <= 600_000, "{}", out.capacity());
        for limit in [0u64, 1, 299_999] {
            assert!(matches!(
                limited(&one, limit),
                Err(GunzipError::OverLimit { .. })
            ));
        }
        assert!(matches!(
            limited(&two, 599_999),
            Err(GunzipError::OverLimit { .. })
        ));
        assert!(matches!(
            limited(&one[..one.len() / 2], u64::MAX),
            Err(GunzipError::Truncated)
        ));
        let mut bad = one.clone();
        bad[12] ^= 0xff;
        bad[13] ^= 0xff;
        assert!(limited(&bad, u64::MAX).is_err());
    }

    #[test]
    fn members_that_declare_their_lengths_inflate_in_one_exact_buffer() {
        let data: Vec<u8> = (0..(crate::gzip::CHUNK * 9 + 5_000) as u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 27) as u8 + b'a')
            .collect();
        let gz = crate::gzip::compress(&data, &[]);
        assert_eq!(one_member(&gz, u64::MAX), None);
        let out = indexed_members(&gz, u64::MAX).unwrap();
        assert_eq!(out, data);
        assert_eq!(out.capacity(), data.len());
        assert_eq!(limited(&gz, data.len() as u64).unwrap(), data);
        // Over the limit: refused before inflating, and by the careful path too.
        assert_eq!(indexed_members(&gz, data.len() as u64 - 1), None);
        assert!(matches!(
            limited(&gz, data.len() as u64 - 1),
            Err(GunzipError::OverLimit { .. })
        ));
        // Damage anywhere, a lying length, a cut or a tail: not this path; the careful path
        // still reports it.
        let mut bad = gz.clone();
        let n = bad.len();
        bad[n / 2] ^= 0x40;
        assert_eq!(indexed_members(&bad, u64::MAX), None);
        assert!(limited(&bad, u64::MAX).is_err());
        let mut lying = gz.clone();
        lying[12 + 4] ^= 1; // the first member's declared length
        assert_eq!(indexed_members(&lying, u64::MAX), None);
        assert_eq!(limited(&lying, u64::MAX).unwrap(), data);
        assert_eq!(indexed_members(&gz[..n - 3], u64::MAX), None);
        assert!(matches!(
            limited(&gz[..n - 3], u64::MAX),
            Err(GunzipError::Truncated)
        ));
        let mut tail = gz.clone();
        tail.extend_from_slice(b"xyz");
        assert_eq!(indexed_members(&tail, u64::MAX), None);
        assert!(matches!(
            limited(&tail, u64::MAX),
            Err(GunzipError::Trailing(3))
        ));
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
