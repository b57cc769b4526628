//! Typed session errors: each message says what is wrong. What to do about it in terms of a
//! command line (which flag, which command) is the binary's to add: it knows its flags, this
//! library does not (`otelsnap::error::remedy`).

use std::path::PathBuf;

use super::name::InvalidName;

/// Human-readable byte size (`1.5 MiB`).
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// Everything that can go wrong reading, writing or naming a session.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    InvalidName(#[from] InvalidName),
    #[error("no session named '{name}' in {}", dir.display())]
    NotFound { name: String, dir: PathBuf },
    #[error("no such file {}", path.display())]
    FileNotFound { path: PathBuf },
    #[error("session '{name}' already exists in {}", dir.display())]
    AlreadyExists { name: String, dir: PathBuf },
    #[error("{} already exists", path.display())]
    FileExists { path: PathBuf },
    #[error("{origin} is not a valid session file: {reason}")]
    Corrupt { origin: String, reason: String },
    #[error(
        "{origin} is truncated ({what} ends early): the file was cut short; restore it from its source or capture again"
    )]
    Truncated { origin: String, what: &'static str },
    #[error("{origin} was written by session format version {found}; this otelsnap {} reads version {supported}: upgrade otelsnap", env!("CARGO_PKG_VERSION"))]
    NewerVersion {
        origin: String,
        found: u64,
        supported: u32,
    },
    #[error("{origin} is {}, over the {} session size limit", human_bytes(*size), human_bytes(*limit))]
    TooLarge {
        origin: String,
        size: u64,
        limit: u64,
    },
    #[error("{origin} inflates past the {} decompression limit, so it was refused (a gzip bomb, or a session too large)", human_bytes(*limit))]
    Bomb { origin: String, limit: u64 },
    #[error("{} already holds {count} sessions, the limit", dir.display())]
    TooMany { dir: PathBuf, count: usize },
    #[error(
        "{origin} is not a session file ({reason}); expected otelsnap or OCC session JSON, optionally gzipped"
    )]
    NotASession { origin: String, reason: String },
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl SessionError {
    /// Wraps an I/O error with what was being done and to which path.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        SessionError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
