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

fn main() -> ExitCode {
    // Before anything reads the command line or writes: a TAB in a shell runs this binary.
    otelsnap::commands::completions::complete_if_asked();
    otelsnap::alloc_meter::installed();
    otelsnap::error::install_panic_hook();
    let cli = otelsnap::cli::Cli::parse();
    otelsnap::error::exit_code(otelsnap::commands::run(cli))
}
