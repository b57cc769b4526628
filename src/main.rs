use std::process::ExitCode;

use clap::Parser;

/// mimalloc rather than glibc malloc: loading a large session makes about 1.4 million small
/// allocations per 50,000 metrics on two threads at once, where glibc grows each thread's
/// arena a page at a time (an mprotect call each) and faults it in 4 KiB at a time. Measured
/// in BENCHMARKS.md (diff of two 50,000-metric sessions, capture peak memory).
/// Wrapped in a per-thread byte counter, which holds `capture`'s analyzer under its memory
/// budget (`--max-state-bytes`).
#[global_allocator]
static GLOBAL: otelsnap::alloc_meter::Metered<mimalloc::MiMalloc> =
    otelsnap::alloc_meter::Metered(mimalloc::MiMalloc);

// mimalloc's C API (linked in by the `mimalloc` crate, whose bindings for it need an extra
// dependency): its options by number, in the order of `mi_option_e` in mimalloc.h.
unsafe extern "C" {
    fn mi_option_get(option: std::ffi::c_int) -> std::ffi::c_long;
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}

/// `mi_option_purge_delay` in mimalloc 3 (`libmimalloc-sys` 0.1.49, pinned by Cargo.lock).
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;
/// mimalloc 3's default for it, in milliseconds.
const MI_DEFAULT_PURGE_DELAY: std::ffi::c_long = 1000;

/// Gives freed memory back to the system after 10 ms (mimalloc 2's default) instead of
/// mimalloc 3's 1 s: `capture` holds its peak under `--max-state-bytes` plus a fixed overhead,
/// and memory freed while a session is finished (the state, consumed as it is written) would
/// otherwise still count in the peak beside what replaces it. Measured in BENCHMARKS.md
/// (hostile input: many keys at a 64 MiB budget peaked 149 MiB with 1 s, 115 MiB with 10 ms).
/// Only when the option still has its default: a `MIMALLOC_PURGE_DELAY` set by the user wins,
/// and a mimalloc whose option numbers differ is left alone.
fn prompt_purge() {
    // SAFETY: plain calls into the linked allocator's option table, before any thread starts.
    unsafe {
        if mi_option_get(MI_OPTION_PURGE_DELAY) == MI_DEFAULT_PURGE_DELAY {
            mi_option_set(MI_OPTION_PURGE_DELAY, 10);
        }
    }
}

fn main() -> ExitCode {
    // Before anything reads the command line or writes: a TAB in a shell runs this binary.
    otelsnap::commands::completions::complete_if_asked();
    otelsnap::alloc_meter::installed();
    prompt_purge();
    otelsnap::error::install_panic_hook();
    let cli = otelsnap::cli::Cli::parse();
    otelsnap::error::exit_code(otelsnap::commands::run(cli))
}
