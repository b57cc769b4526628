//! Reading a gzip bomb holds no more than the decompression limit: the peak of live heap bytes
//! is measured by a counting allocator (its own test binary, one test, so nothing else
//! allocates meanwhile). RSS of a child process cannot show this: on Linux a child inherits
//! its parent's peak RSS across fork and exec.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use otelsnap::session::format::{self, ReadLimits};
use otelsnap::session::{SessionError, store};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator, only counting sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let now = LIVE.fetch_add(l.size(), Ordering::SeqCst) + l.size();
            PEAK.fetch_max(now, Ordering::SeqCst);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        LIVE.fetch_sub(l.size(), Ordering::SeqCst);
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, l, new) };
        if !q.is_null() {
            // A moving realloc holds both blocks for a moment: count the new one first.
            let now = LIVE.fetch_add(new, Ordering::SeqCst) + new;
            PEAK.fetch_max(now, Ordering::SeqCst);
            LIVE.fetch_sub(l.size(), Ordering::SeqCst);
        }
        q
    }
}

#[global_allocator]
static A: Counting = Counting;

const MIB: usize = 1024 * 1024;

#[test]
fn a_bomb_is_refused_holding_no_more_than_the_limit() {
    let t = tempfile::tempdir().unwrap();
    // 512 MiB inflated. One copy's gzip trailer tells the truth (over the limit, so the
    // one-call path is skipped), the other's lies (1 byte, so that path fails); both reach the
    // streaming path, which must refuse without ever holding the limit's worth.
    let bomb = format::gzip_with_header(&vec![b' '; 512 * MIB], None);
    let mut lying = bomb.clone();
    let n = lying.len();
    lying[n - 4..].copy_from_slice(&1u32.to_le_bytes());
    let limits = ReadLimits {
        max_file: 100 * MIB as u64,
        max_decompressed: 64 * MIB as u64,
    };
    for (file, bytes) in [("bomb.json.gz", &bomb), ("lying.json.gz", &lying)] {
        let p = t.path().join(file);
        std::fs::write(&p, bytes).unwrap();
        let before = LIVE.load(Ordering::SeqCst);
        PEAK.store(before, Ordering::SeqCst);
        let r = store::read_file(&p, &limits);
        assert!(matches!(r, Err(SessionError::Bomb { .. })), "{file}: {r:?}");
        let held = PEAK.load(Ordering::SeqCst) - before;
        // The file itself (0.5 MB) and the decoder's state; nothing near the 64 MiB limit.
        assert!(held < 8 * MIB, "{file}: held {} KiB", held / 1024);
    }
    // Just under the limit, a real (if silly) session file is read, holding about its size.
    let json = format!(
        "{{\"version\":1,\"id\":\"x\",\"pad\":\"{}\"}}",
        " ".repeat(32 * MIB)
    );
    let gz = format::gzip_with_header(json.as_bytes(), None);
    let p = t.path().join("big.json.gz");
    std::fs::write(&p, &gz).unwrap();
    let before = LIVE.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    let r = store::read_file(&p, &limits);
    let held = PEAK.load(Ordering::SeqCst) - before;
    assert!(!matches!(r, Err(SessionError::Bomb { .. })), "{r:?}");
    assert!(held < json.len() + 8 * MIB, "held {} MiB", held / MIB);
}
