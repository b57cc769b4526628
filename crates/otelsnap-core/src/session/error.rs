//! Typed session errors: each message says what is wrong and what to do.

use std::path::PathBuf;

use super::name::NAME_RULE;

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
    #[error("invalid session name '{name}': use {NAME_RULE}{}", suggestion.as_ref().map(|s| format!(" (try '{s}')")).unwrap_or_default())]
    InvalidName {
        name: String,
        suggestion: Option<String>,
    },
    #[error("no session named '{name}' in {}: run `otelsnap list` to see saved sessions, or pass a path to a session file", dir.display())]
    NotFound { name: String, dir: PathBuf },
    #[error("no such file {}", path.display())]
    FileNotFound { path: PathBuf },
    #[error("session '{name}' already exists in {}: pass --force to replace it, or choose another name", dir.display())]
    AlreadyExists { name: String, dir: PathBuf },
    #[error("{} already exists: pass --force to replace it", path.display())]
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
    #[error("{origin} is {}, over the {} session size limit: raise it with --max-session-size or OTELSNAP_MAX_SESSION_SIZE", human_bytes(*size), human_bytes(*limit))]
    TooLarge {
        origin: String,
        size: u64,
        limit: u64,
    },
    #[error("{origin} inflates past the {} decompression limit, so it was refused (a gzip bomb, or a session too large: raise --max-decompressed or OTELSNAP_MAX_DECOMPRESSED if you trust it)", human_bytes(*limit))]
    Bomb { origin: String, limit: u64 },
    #[error("{} holds {count} sessions, at the --max-sessions limit of {limit}: remove old ones with `otelsnap prune --keep N` (or `otelsnap delete NAME`), or raise --max-sessions / OTELSNAP_MAX_SESSIONS", dir.display())]
    TooMany {
        dir: PathBuf,
        count: usize,
        limit: usize,
    },
    #[error(
        "{origin} is not a session file ({reason}); expected otelsnap or OCC session JSON, optionally gzipped"
    )]
    NotASession { origin: String, reason: String },
    #[error("{} is {what}, not a regular file: sessions are read only from regular files (or links to them)", path.display())]
    NotRegular { path: PathBuf, what: &'static str },
    #[error("refusing to replace {}: it is {what}, not a regular file (even with --force); choose the path of a regular file", path.display())]
    WouldReplaceSpecial { path: PathBuf, what: &'static str },
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
