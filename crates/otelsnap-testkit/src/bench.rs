//! What the benchmark examples share: the `otelsnap` binary they time as a whole process, and
//! the operating system's accounting of CPU time and peak memory.

use std::path::{Path, PathBuf};

/// The `otelsnap` binary to time: `$OTELSNAP_BIN`, else the workspace's
/// `target/release/otelsnap` (whatever the working directory). It may not exist yet: callers
/// say to build it.
pub fn otelsnap_bin() -> PathBuf {
    std::env::var_os("OTELSNAP_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            // This crate sits at `crates/otelsnap-testkit` in the workspace.
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/release/otelsnap")
        })
}

/// Whose resources [`cpu_secs`] reads.
#[derive(Debug, Clone, Copy)]
pub enum Who {
    /// This process, every thread.
    This,
    /// The children waited for so far.
    Children,
}

fn rusage(who: Who) -> libc::rusage {
    let sel = match who {
        Who::This => libc::RUSAGE_SELF,
        Who::Children => libc::RUSAGE_CHILDREN,
    };
    let mut ru = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given, and both selectors are valid; the struct
    // starts zeroed, so it is initialised even if the call failed.
    unsafe {
        libc::getrusage(sel, ru.as_mut_ptr());
        ru.assume_init()
    }
}

/// User + system seconds of `who` so far.
pub fn cpu_secs(who: Who) -> f64 {
    let ru = rusage(who);
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(ru.ru_utime) + secs(ru.ru_stime)
}

/// Peak resident memory of this process so far, in KiB.
pub fn max_rss_kib() -> i64 {
    rusage(Who::This).ru_maxrss
}
