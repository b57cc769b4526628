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
    /// Not a valid session name.
    #[error(transparent)]
    InvalidName(#[from] InvalidName),
    /// No stored session of that name.
    #[error("no session named '{name}' in {}", dir.display())]
    NotFound {
        /// The name asked for.
        name: String,
        /// The session directory.
        dir: PathBuf,
    },
    /// No file at that path.
    #[error("no such file {}", path.display())]
    FileNotFound {
        /// The path asked for.
        path: PathBuf,
    },
    /// A stored session of that name exists and may not be replaced.
    #[error("session '{name}' already exists in {}", dir.display())]
    AlreadyExists {
        /// The name.
        name: String,
        /// The session directory.
        dir: PathBuf,
    },
    /// A file exists at that path and may not be replaced.
    #[error("{} already exists", path.display())]
    FileExists {
        /// The path.
        path: PathBuf,
    },
    /// The file is a session, damaged.
    #[error("{origin} is not a valid session file: {reason}")]
    Corrupt {
        /// The file (or `standard input`).
        origin: String,
        /// What is wrong.
        reason: String,
    },
    /// Parses, but breaks a rule every session we write keeps.
    #[error(
        "{origin} is not a valid session file: {problem}; it was damaged or edited by hand: restore it from its source or capture again"
    )]
    Invalid {
        /// The file (or `standard input`).
        origin: String,
        /// Which rule, and where.
        problem: super::validate::Problem,
    },
    /// The file ends early.
    #[error(
        "{origin} is truncated ({what} ends early): the file was cut short; restore it from its source or capture again"
    )]
    Truncated {
        /// The file (or `standard input`).
        origin: String,
        /// Which layer ends early (the gzip stream, the JSON document).
        what: &'static str,
    },
    /// Written by a newer format version than this build reads.
    #[error("{origin} was written by session format version {found}; this otelsnap {} reads version {supported}: upgrade otelsnap", env!("CARGO_PKG_VERSION"))]
    NewerVersion {
        /// The file (or `standard input`).
        origin: String,
        /// The version in the file.
        found: u64,
        /// The newest version this build reads.
        supported: u32,
    },
    /// Over the session size limit.
    #[error("{origin} is {}, over the {} session size limit", human_bytes(*size), human_bytes(*limit))]
    TooLarge {
        /// The file (or session, or `standard input`).
        origin: String,
        /// Its size in bytes.
        size: u64,
        /// The limit in bytes.
        limit: u64,
    },
    /// Inflates past the decompression limit.
    #[error("{origin} inflates past the {} decompression limit, so it was refused (a gzip bomb, or a session too large)", human_bytes(*limit))]
    Bomb {
        /// The file (or `standard input`).
        origin: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// The directory is at its session limit.
    #[error("{} holds {count} sessions, at the session limit of {limit}", dir.display())]
    TooMany {
        /// The session directory.
        dir: PathBuf,
        /// How many sessions it holds.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// Not a session file at all.
    #[error(
        "{origin} is not a session file ({reason}); expected otelsnap or OCC session JSON, optionally gzipped"
    )]
    NotASession {
        /// The file (or `standard input`).
        origin: String,
        /// What it is instead.
        reason: String,
    },
    /// A path to read is not a regular file (a directory, a FIFO, a device…).
    #[error("{} is {what}, not a regular file: sessions are read only from regular files (or links to them)", path.display())]
    NotRegular {
        /// The path.
        path: PathBuf,
        /// What it is instead.
        what: &'static str,
    },
    /// A path to write holds something other than a regular file.
    #[error("refusing to replace {}: it is {what}, not a regular file", path.display())]
    WouldReplaceSpecial {
        /// The path.
        path: PathBuf,
        /// What it is.
        what: &'static str,
    },
    /// An I/O operation failed.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done (`read`, `write`, `create a temporary file in`, …).
        action: &'static str,
        /// On which path.
        path: PathBuf,
        /// What the system said.
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
