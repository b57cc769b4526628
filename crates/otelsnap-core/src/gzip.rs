//! Gzip of what the store writes: libdeflate, in members of [`CHUNK`] input bytes compressed
//! on several threads, each member carrying its own length so a reader can find them all.
//!
//! Saving a merge of ten 10,000-metric sessions spent about half its CPU in one thread of
//! zlib-style gzip (flate2's level 6). libdeflate compresses a whole buffer at once, several
//! times faster at a similar ratio, but only a whole buffer: so the JSON is cut into chunks,
//! each chunk becomes one gzip member, and the chunks are compressed on worker threads while
//! the next is serialized. Memory stays bounded by a few chunks besides the output, as with a
//! streaming encoder. Deflate looks back at most 32 KiB, so cutting at 1 MiB costs almost
//! nothing in size (BENCHMARKS.md).
//!
//! Members follow one another (RFC 1952 allows any number; every gzip reader inflates them
//! as one stream). Each member's header has an extra field with the subfield `OM`: the whole
//! member's length in bytes (u32, little-endian). With it, [`crate::gunzip`] finds every
//! member and its output size (the member's trailer) before inflating any, so it can inflate
//! them into one buffer of the exact size, in parallel. The first member's extra field also
//! carries the caller's subfields (the session header). Output depends only on the input:
//! chunk boundaries are fixed byte offsets, and no member has a name or an mtime.

use std::io::Write;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use libdeflate_sys::{
    libdeflate_alloc_compressor, libdeflate_compressor, libdeflate_crc32,
    libdeflate_deflate_compress, libdeflate_deflate_compress_bound, libdeflate_free_compressor,
};

/// Input bytes per gzip member.
pub const CHUNK: usize = 1 << 20;
/// libdeflate's compression level (1 fastest … 12 smallest). 1, its fastest matcher: on a
/// ten-session merge's 314 MiB of JSON, 11% more bytes than 4 for about a quarter less time,
/// and the whole `merge` 0.89× as long (BENCHMARKS.md, issue #15). Compressing was 46% of that
/// merge's CPU at level 4; saving a fleet's merge is waited for, a tenth of a file is not.
pub const LEVEL: i32 = 1;
/// The extra subfield id carrying a member's length.
pub const MEMBER_SUBFIELD: [u8; 2] = *b"OM";
/// Largest extra field the caller may pass (the gzip limit, less our own subfield).
pub const MAX_EXTRA: usize = 65_535 - 8;

/// A libdeflate compressor, freed on drop, with the buffer it compresses into.
struct Compressor(*mut libdeflate_compressor, Vec<u8>);

impl Compressor {
    fn new(level: i32) -> Compressor {
        // SAFETY: plain allocation; a null result is handled.
        let c = unsafe { libdeflate_alloc_compressor(level) };
        if c.is_null() {
            // Out of memory, like any failed allocation (the level is valid).
            std::alloc::handle_alloc_error(std::alloc::Layout::new::<[u8; 1 << 20]>());
        }
        Compressor(c, Vec::new())
    }

    /// One whole gzip member of `data`, with `extra` (already-framed subfields) before ours.
    fn member(&mut self, data: &[u8], extra: &[u8]) -> Vec<u8> {
        // SAFETY: the compressor is live; the bound depends only on the length.
        let bound = unsafe { libdeflate_deflate_compress_bound(self.0, data.len()) };
        let xlen = extra.len() + 8;
        let head = 12 + xlen;
        // Compressed into this worker's buffer, sized for incompressible input once and
        // reused: a fresh zeroed megabyte per member was page faults for every member
        // (BENCHMARKS.md, issue #15 `merge3`). The member is then copied out at its size.
        let out = &mut self.1;
        out.resize(head + bound + 8, 0);
        // SAFETY: `data` is readable for its length and `out[head..]` writable for `bound`
        // bytes; libdeflate writes at most that many and returns how many it wrote (0 only
        // when they do not fit, which the bound rules out).
        let n = unsafe {
            libdeflate_deflate_compress(
                self.0,
                data.as_ptr().cast(),
                data.len(),
                out[head..].as_mut_ptr().cast(),
                bound,
            )
        };
        // SAFETY: `data` is readable for its length.
        let crc = unsafe { libdeflate_crc32(0, data.as_ptr().cast(), data.len()) };
        let total = head + n + 8;
        // ID1 ID2 CM=deflate FLG=FEXTRA MTIME=0 XFL=0 OS=255 (unknown), then XLEN.
        out[..10].copy_from_slice(&[0x1f, 0x8b, 8, 0x04, 0, 0, 0, 0, 0, 255]);
        out[10..12].copy_from_slice(&(xlen as u16).to_le_bytes());
        out[12..12 + extra.len()].copy_from_slice(extra);
        let ours = 12 + extra.len();
        out[ours..ours + 2].copy_from_slice(&MEMBER_SUBFIELD);
        out[ours + 2..ours + 4].copy_from_slice(&4u16.to_le_bytes());
        out[ours + 4..ours + 8].copy_from_slice(&(total as u32).to_le_bytes());
        out[head + n..head + n + 4].copy_from_slice(&crc.to_le_bytes());
        out[head + n + 4..total].copy_from_slice(&(data.len() as u32).to_le_bytes());
        // Members wait for their turn to be written out: each holds only its own bytes.
        out[..total].to_vec()
    }
}

impl Drop for Compressor {
    fn drop(&mut self) {
        // SAFETY: the pointer came from libdeflate_alloc_compressor and is freed once.
        unsafe { libdeflate_free_compressor(self.0) }
    }
}

// SAFETY: a libdeflate compressor is plain heap state with no thread affinity; it is used by
// one thread at a time (each worker owns its own).
unsafe impl Send for Compressor {}

/// Worker threads compressing members: the cores there are, at most four.
fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}

/// Gzips what `write` writes, as members of [`CHUNK`] bytes; `extra` (gzip extra subfields,
/// each `id id len len data`, at most [`MAX_EXTRA`] bytes) goes in the first member's header.
/// What `write` returns is returned beside the bytes; writing into the members cannot fail.
pub fn compress_with<T>(extra: &[u8], write: impl FnOnce(&mut dyn Write) -> T) -> (Vec<u8>, T) {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    match compress_into(&mut out, LEVEL, extra, write) {
        Ok((_, value)) => (out, value),
        Err(_) => unreachable_in_memory(),
    }
}

/// [`compress_with`] straight into `sink`: each member is written as soon as it and the ones
/// before it are done, so the whole output is never held (saving a ten-session merge held
/// its 89 MB twice, the members and their concatenation). Returns the bytes written and what
/// `write` returned, or the first error writing to `sink` (what `write` writes after it is
/// still taken, and dropped).
pub fn compress_to<T>(
    sink: &mut dyn Write,
    extra: &[u8],
    write: impl FnOnce(&mut dyn Write) -> T,
) -> std::io::Result<(u64, T)> {
    compress_into(sink, LEVEL, extra, write)
}

/// For a `Vec` sink, which never fails a write.
#[cold]
fn unreachable_in_memory() -> ! {
    unreachable!("writing into a Vec cannot fail")
}

fn compress_into<T>(
    sink: &mut dyn Write,
    level: i32,
    extra: &[u8],
    write: impl FnOnce(&mut dyn Write) -> T,
) -> std::io::Result<(u64, T)> {
    let level = level.clamp(1, 12);
    let extra = if extra.len() > MAX_EXTRA {
        &[][..]
    } else {
        extra
    };
    let threads = workers();
    std::thread::scope(|sc| {
        // Bounded queues: the serializer waits rather than run ahead of the compressors.
        let (jobs_tx, jobs_rx) = mpsc::sync_channel::<(usize, Vec<u8>)>(threads);
        let jobs_rx = Arc::new(Mutex::new(jobs_rx));
        let (done_tx, done_rx) = mpsc::channel::<(usize, Vec<u8>)>();
        // Chunk buffers come back from the workers to be filled again: a fresh megabyte per
        // chunk was page faults for every chunk.
        let (spare_tx, spare_rx) = mpsc::channel::<Vec<u8>>();
        for _ in 0..threads {
            let (jobs_rx, done_tx) = (Arc::clone(&jobs_rx), done_tx.clone());
            let spare_tx = spare_tx.clone();
            sc.spawn(move || {
                let mut c = Compressor::new(level);
                loop {
                    let job = match jobs_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok((i, data)) = job else { return };
                    let member = c.member(&data, if i == 0 { extra } else { &[] });
                    // The serializer may be done and gone: then the buffer is just freed.
                    let _ = spare_tx.send(data);
                    if done_tx.send((i, member)).is_err() {
                        return;
                    }
                }
            });
        }
        drop((done_tx, spare_tx));
        let mut chunks = Chunks {
            buf: Vec::with_capacity(CHUNK),
            next: 0,
            jobs: Some(jobs_tx),
            spare: spare_rx,
            out: Ordered {
                sink,
                done: done_rx,
                waiting: std::collections::BTreeMap::new(),
                next: 0,
                bytes: 0,
                error: None,
            },
        };
        let value = write(&mut chunks);
        chunks.cut();
        // No more jobs: the workers finish what they have and leave, closing `done`.
        chunks.jobs = None;
        let mut out = chunks.out;
        while let Ok((i, member)) = out.done.recv() {
            out.take(i, member);
        }
        match out.error {
            Some(e) => Err(e),
            None => Ok((out.bytes, value)),
        }
    })
}

/// Done members, written to the sink in their order as they come in.
struct Ordered<'a> {
    sink: &'a mut dyn Write,
    done: mpsc::Receiver<(usize, Vec<u8>)>,
    /// Members done before one that precedes them.
    waiting: std::collections::BTreeMap<usize, Vec<u8>>,
    /// The member to write next.
    next: usize,
    bytes: u64,
    error: Option<std::io::Error>,
}

impl Ordered<'_> {
    /// Takes member `i`, and writes it and whatever it unblocks.
    fn take(&mut self, i: usize, member: Vec<u8>) {
        self.waiting.insert(i, member);
        while let Some(m) = self.waiting.remove(&self.next) {
            if self.error.is_none() {
                match self.sink.write_all(&m) {
                    Ok(()) => self.bytes += m.len() as u64,
                    Err(e) => self.error = Some(e),
                }
            }
            self.next += 1;
        }
    }

    /// Writes what is done so far, without waiting.
    fn poll(&mut self) {
        while let Ok((i, member)) = self.done.try_recv() {
            self.take(i, member);
        }
    }
}

/// The writer `compress_into` hands out: cuts the stream into chunks for the workers.
struct Chunks<'a> {
    buf: Vec<u8>,
    next: usize,
    /// `None` once the stream is complete.
    jobs: Option<mpsc::SyncSender<(usize, Vec<u8>)>>,
    /// Buffers the workers are done with.
    spare: mpsc::Receiver<Vec<u8>>,
    out: Ordered<'a>,
}

impl Chunks<'_> {
    /// Sends the buffered bytes off as the next member (the first even when empty).
    fn cut(&mut self) {
        if self.buf.is_empty() && self.next > 0 {
            return;
        }
        let next = match self.spare.try_recv() {
            Ok(mut b) => {
                b.clear();
                b
            }
            Err(_) => Vec::with_capacity(CHUNK),
        };
        let data = std::mem::replace(&mut self.buf, next);
        if let Some(jobs) = &self.jobs {
            // The workers live until every sender is gone, so this cannot fail.
            let _ = jobs.send((self.next, data));
        }
        self.next += 1;
        self.out.poll();
    }
}

impl Write for Chunks<'_> {
    fn write(&mut self, mut data: &[u8]) -> std::io::Result<usize> {
        let n = data.len();
        while !data.is_empty() {
            let room = CHUNK - self.buf.len();
            let (now, rest) = data.split_at(room.min(data.len()));
            self.buf.extend_from_slice(now);
            data = rest;
            if self.buf.len() == CHUNK {
                self.cut();
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Gzips a whole buffer (see [`compress_with`]).
pub fn compress(data: &[u8], extra: &[u8]) -> Vec<u8> {
    compress_at(LEVEL, data, extra)
}

/// [`compress`] at another libdeflate level (1–12), to measure the trade-off.
pub fn compress_at(level: i32, data: &[u8], extra: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    match compress_into(&mut out, level, extra, |w| {
        let _ = w.write_all(data);
    }) {
        Ok(_) => out,
        Err(_) => unreachable_in_memory(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn sample(n: usize) -> Vec<u8> {
        (0..n)
            .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[3] % 17 + b'a')
            .collect()
    }

    #[test]
    fn members_read_back_with_any_gzip_reader_and_carry_their_lengths() {
        for n in [0, 10, CHUNK, CHUNK + 1, 3 * CHUNK + 12_345] {
            let data = sample(n);
            let gz = compress(&data, b"XY\x02\x00hi");
            let mut back = Vec::new();
            flate2::read::MultiGzDecoder::new(&gz[..])
                .read_to_end(&mut back)
                .unwrap();
            assert_eq!(back, data, "{n} bytes");
            // Walk the members by their lengths: they tile the output exactly.
            let (mut at, mut members) = (0usize, 0usize);
            while at < gz.len() {
                let m = &gz[at..];
                let xlen = u16::from_le_bytes([m[10], m[11]]) as usize;
                let extra = &m[12..12 + xlen];
                let ours = &extra[extra.len() - 8..];
                assert_eq!(&ours[..2], b"OM");
                if members == 0 {
                    assert_eq!(&extra[..6], b"XY\x02\x00hi");
                } else {
                    assert_eq!(xlen, 8);
                }
                at += u32::from_le_bytes(ours[4..8].try_into().unwrap()) as usize;
                members += 1;
            }
            assert_eq!(at, gz.len());
            assert_eq!(members, n.div_ceil(CHUNK).max(1));
        }
    }

    #[test]
    fn output_is_deterministic_and_written_in_any_pieces() {
        let data = sample(2 * CHUNK + 999);
        let whole = compress(&data, &[]);
        let (pieces, v) = compress_with(&[], |w| {
            for piece in data.chunks(7_777) {
                w.write_all(piece).unwrap();
            }
            42
        });
        assert_eq!(v, 42);
        assert_eq!(pieces, whole);
        assert_eq!(compress(&data, &[]), whole);
    }

    /// A sink that takes `room` bytes, then fails every write.
    struct Full {
        room: usize,
        got: Vec<u8>,
    }

    impl Write for Full {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            if self.got.len() + data.len() > self.room {
                return Err(std::io::Error::other("disk full"));
            }
            self.got.extend_from_slice(data);
            Ok(data.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn compress_to_writes_the_same_members_in_order_and_reports_a_failing_sink() {
        let data = sample(5 * CHUNK + 777);
        let whole = compress(&data, b"XY\x02\x00hi");
        let mut sink = Full {
            room: usize::MAX,
            got: Vec::new(),
        };
        let (n, seen) = compress_to(&mut sink, b"XY\x02\x00hi", |w| {
            // In odd pieces, so members are cut inside writes.
            for piece in data.chunks(333_333) {
                w.write_all(piece).unwrap();
            }
            data.len()
        })
        .unwrap();
        assert_eq!(seen, data.len());
        assert_eq!(n, whole.len() as u64);
        assert!(
            sink.got == whole,
            "streamed members differ from the buffered ones"
        );

        // A sink that fills up: the error comes back, the writer still runs to its end.
        let mut full = Full {
            room: whole.len() / 2,
            got: Vec::new(),
        };
        let mut wrote = 0;
        let err = compress_to(&mut full, &[], |w| {
            for piece in data.chunks(CHUNK / 2) {
                w.write_all(piece).unwrap();
                wrote += piece.len();
            }
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "disk full");
        assert_eq!(wrote, data.len());
        assert!(full.got.len() <= whole.len() / 2);
    }
}
