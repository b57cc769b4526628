//! Which files `--from-file` arguments name: a file, `-` (stdin), a directory (its files, as
//! a Collector's rotated dumps sit side by side), or a shell-style pattern the shell left
//! unexpanded (`'dumps/*.json*'`). Files are ordered by name within each argument, arguments in
//! the order given, so a set of files is always read in the same order.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// The files named by a list of arguments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sources {
    /// The files to read, in reading order, each once (`-` is stdin).
    pub files: Vec<String>,
    /// Files named more than once (by overlapping arguments), read only the first time.
    pub duplicates: Vec<String>,
}

/// Why an argument names no file to read.
#[derive(Debug, thiserror::Error)]
pub enum SourcesError {
    /// A directory that could not be listed.
    #[error("cannot list {path}: {source}")]
    ListDir {
        /// The directory.
        path: String,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// A directory without a regular file in it.
    #[error("{path} is a directory without files to read")]
    EmptyDir {
        /// The directory.
        path: String,
    },
    /// A pattern that is not a valid glob.
    #[error("{pattern}: not a valid pattern: {reason}")]
    BadPattern {
        /// The pattern.
        pattern: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A pattern matching no file.
    #[error("{pattern} matches no file")]
    NoMatch {
        /// The pattern.
        pattern: String,
    },
    /// A file name that is not UTF-8, which messages and locations could not name.
    #[error("{path}: the file name is not UTF-8; rename it")]
    NotUtf8 {
        /// The name, lossily converted.
        path: String,
    },
}

/// Expands `--from-file` arguments into the files to read.
///
/// An argument that exists is taken as it is (a file, or a directory's regular files not
/// starting with `.`, not recursing); one that does not exist and holds `*`, `?` or `[` is a
/// pattern; anything else is passed on, so reading it reports the missing file.
pub fn expand(args: &[String]) -> Result<Sources, SourcesError> {
    let mut out = Sources::default();
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let mut push = |out: &mut Sources, file: String| {
        if file != "-" {
            // Two spellings of one file are one file; a name that cannot be resolved is
            // passed on for reading to report.
            let key = std::fs::canonicalize(&file).unwrap_or_else(|_| PathBuf::from(&file));
            if !seen.insert(key) {
                out.duplicates.push(file);
                return;
            }
        }
        out.files.push(file);
    };
    for arg in args {
        let path = Path::new(arg);
        if arg == "-" {
            push(&mut out, arg.clone());
        } else if path.is_dir() {
            for f in dir_files(arg)? {
                push(&mut out, f);
            }
        } else if !path.exists() && arg.contains(['*', '?', '[']) {
            for f in glob_files(arg)? {
                push(&mut out, f);
            }
        } else {
            push(&mut out, arg.clone());
        }
    }
    Ok(out)
}

fn dir_files(dir: &str) -> Result<Vec<String>, SourcesError> {
    let list_err = |source| SourcesError::ListDir {
        path: dir.to_string(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(list_err)? {
        let entry = entry.map_err(list_err)?;
        let name = entry.file_name();
        if name.as_encoded_bytes().starts_with(b".") {
            continue;
        }
        // Follows symbolic links: a link to a dump is a dump.
        let path = entry.path();
        if !path.is_file() {
            continue;
        }
        files.push(utf8(path)?);
    }
    if files.is_empty() {
        return Err(SourcesError::EmptyDir {
            path: dir.to_string(),
        });
    }
    files.sort();
    Ok(files)
}

fn glob_files(pattern: &str) -> Result<Vec<String>, SourcesError> {
    let paths = glob::glob(pattern).map_err(|e| SourcesError::BadPattern {
        pattern: pattern.to_string(),
        reason: e.to_string(),
    })?;
    let mut files = Vec::new();
    // Entries that cannot be read while matching are skipped, as a shell would.
    for path in paths.flatten() {
        if path.is_file() {
            files.push(utf8(path)?);
        }
    }
    if files.is_empty() {
        return Err(SourcesError::NoMatch {
            pattern: pattern.to_string(),
        });
    }
    files.sort();
    Ok(files)
}

fn utf8(path: PathBuf) -> Result<String, SourcesError> {
    path.into_os_string()
        .into_string()
        .map_err(|p| SourcesError::NotUtf8 {
            path: p.to_string_lossy().into_owned(),
        })
}
