//! Reading a gzip bomb holds no more than the decompression limit: the peak of live heap bytes
//! is measured by a counting allocator (its own test binary, one test, so nothing else
//! allocates meanwhile). RSS of a child process cannot show this: on Linux a child inherits
//! its parent's peak RSS across fork and exec.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up

use otelsnap_testkit::counting_alloc::{self, Counting};

use otelsnap::session::format::{self, ReadLimits};
use otelsnap::session::{SessionError, store};

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
        let before = counting_alloc::reset_peak();
        let r = store::read_file(&p, &limits);
        assert!(matches!(r, Err(SessionError::Bomb { .. })), "{file}: {r:?}");
        let held = counting_alloc::peak() - before;
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
    let before = counting_alloc::reset_peak();
    let r = store::read_file(&p, &limits);
    let held = counting_alloc::peak() - before;
    assert!(!matches!(r, Err(SessionError::Bomb { .. })), "{r:?}");
    assert!(held < json.len() + 8 * MIB, "held {} MiB", held / MIB);
}
