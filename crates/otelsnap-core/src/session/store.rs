//! The session directory: atomic, never-clobbering writes, limits, and header-only listing.

use std::fs;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::error::SessionError;
use super::format::{self, Header, ReadLimits};
use super::model::Session;
use super::name::SessionName;

/// Most bytes `list` inflates for a stored file without our gzip header (only files copied in
/// by hand lack one): a listing must stay fast and small whatever is in the directory.
pub const LIST_DECODE_MAX: u64 = 64 * 1024 * 1024;

/// File name suffix of stored sessions.
pub const SUFFIX: &str = ".json.gz";
const TMP_PREFIX: &str = ".otelsnap-tmp-";

/// Store limits (flags or env).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest session file read or written, in bytes.
    pub max_session_size: u64,
    /// Most sessions the directory may hold.
    pub max_sessions: usize,
    /// Largest decompressed session accepted on read.
    pub max_decompressed: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_session_size: format::DEFAULT_MAX_SESSION_SIZE,
            max_sessions: 50,
            max_decompressed: format::DEFAULT_MAX_DECOMPRESSED,
        }
    }
}

impl Limits {
    /// The read limits these imply.
    pub fn read(&self) -> ReadLimits {
        ReadLimits {
            max_file: self.max_session_size,
            max_decompressed: self.max_decompressed,
        }
    }
}

/// A directory of sessions.
#[derive(Debug, Clone)]
pub struct Store {
    /// The directory holding the sessions.
    pub dir: PathBuf,
    /// Its limits.
    pub limits: Limits,
}

/// What a save did, and what the caller should warn about.
#[derive(Debug, Clone)]
pub struct Saved {
    /// Where the session was written.
    pub path: PathBuf,
    /// Its size on disk.
    pub bytes: u64,
    /// Set when the disk is nearly full after the write.
    pub low_disk_warning: Option<String>,
}

/// One row of `list`.
#[derive(Debug, Clone)]
pub struct ListEntry {
    /// The session name (the file name without `.json.gz`).
    pub name: String,
    /// The file.
    pub path: PathBuf,
    /// Its size on disk.
    pub size: u64,
    /// When it was last modified, if known.
    pub modified: Option<SystemTime>,
    /// The header, or why it could not be read.
    pub header: Result<Header, String>,
}

/// Where a command reads a session from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionRef {
    /// A stored session, by name.
    Name(SessionName),
    /// A session file, by path.
    Path(PathBuf),
    /// Standard input.
    Stdin,
}

impl SessionRef {
    /// `-` is stdin; anything with `/` or ending in `.json`/`.gz` is a path; else a name.
    pub fn parse(s: &str) -> Result<SessionRef, SessionError> {
        if s == "-" {
            Ok(SessionRef::Stdin)
        } else if s.contains('/')
            || s.ends_with(".json")
            || s.ends_with(".gz")
            || s.contains(std::path::MAIN_SEPARATOR)
        {
            Ok(SessionRef::Path(PathBuf::from(s)))
        } else {
            Ok(SessionRef::Name(SessionName::parse(s)?))
        }
    }

    /// How to name it in messages.
    pub fn describe(&self) -> String {
        match self {
            SessionRef::Name(n) => format!("session '{n}'"),
            SessionRef::Path(p) => p.display().to_string(),
            SessionRef::Stdin => "standard input".to_string(),
        }
    }

    /// Loads the session it points at.
    pub fn load(&self, store: &Store) -> Result<Session, SessionError> {
        match self {
            SessionRef::Name(n) => store.load(n),
            SessionRef::Path(p) => read_file(p, &store.limits.read()),
            SessionRef::Stdin => {
                let mut buf = Vec::new();
                let lim = store.limits.read();
                std::io::stdin()
                    .lock()
                    .take(lim.max_file.saturating_add(1))
                    .read_to_end(&mut buf)
                    .map_err(|e| SessionError::io("read", "standard input", e))?;
                format::decode(&buf, &lim, "standard input")
            }
        }
    }
}

/// What kind of file `ft` is, for messages.
fn describe_type(ft: fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_dir() {
        "a directory"
    } else if ft.is_symlink() {
        "a symbolic link"
    } else if ft.is_fifo() {
        "a FIFO (named pipe)"
    } else if ft.is_char_device() {
        "a character device"
    } else if ft.is_block_device() {
        "a block device"
    } else if ft.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

/// Opens `path` for reading only if it is a regular file (following links). The open does not
/// block on a FIFO (O_NONBLOCK), and the type is checked on the open file itself, so a file
/// swapped in after a check cannot slip through; a device such as /dev/zero is never read.
pub fn open_regular(path: &Path) -> Result<(fs::File, fs::Metadata), SessionError> {
    use std::os::unix::fs::OpenOptionsExt;
    let f = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => SessionError::FileNotFound {
                path: path.to_path_buf(),
            },
            _ => SessionError::io("read", path, e),
        })?;
    let meta = f
        .metadata()
        .map_err(|e| SessionError::io("read", path, e))?;
    if !meta.is_file() {
        return Err(SessionError::NotRegular {
            path: path.to_path_buf(),
            what: describe_type(meta.file_type()),
        });
    }
    Ok((f, meta))
}

/// Reads and decodes a session file by path.
pub fn read_file(path: &Path, limits: &ReadLimits) -> Result<Session, SessionError> {
    let origin = path.display().to_string();
    let (mut f, meta) = open_regular(path)?;
    if meta.len() > limits.max_file {
        return Err(SessionError::TooLarge {
            origin,
            size: meta.len(),
            limit: limits.max_file,
        });
    }
    // A read-only load parses while it inflates, never holding the whole text; anything
    // unusual (or any problem) is read again the whole way, which explains it precisely.
    if crate::sketch::skipping_data() {
        if let Some(s) = super::stream::read(&mut f, limits) {
            return format::accept(s, &origin);
        }
        f.seek(std::io::SeekFrom::Start(0))
            .map_err(|e| SessionError::io("read", path, e))?;
    }
    let bytes = crate::gunzip::read_file(&mut f, meta.len())
        .map_err(|e| SessionError::io("read", path, e))?;
    format::decode(&bytes, limits, &origin)
}

/// Refuses to replace anything at `path` that is not a regular file: writing a session over
/// /dev/null, a FIFO or a link would destroy something that is not ours.
pub fn check_replaceable(path: &Path) -> Result<(), SessionError> {
    match fs::symlink_metadata(path) {
        Ok(m) if !m.file_type().is_file() => Err(SessionError::WouldReplaceSpecial {
            path: path.to_path_buf(),
            what: describe_type(m.file_type()),
        }),
        _ => Ok(()),
    }
}

/// How bytes reach a file: [`write_atomic`], or a failing stand-in in tests.
pub type WriteFn = fn(&Path, &[u8], bool) -> Result<(), SessionError>;

/// Writes `bytes` to `path` atomically: a temp file in the same directory, fsync, then rename
/// (with `force`) or hard link (without: fails if the name exists, so of two racing writers
/// exactly one wins). Readers never see a partial file under `path`.
pub fn write_atomic(path: &Path, bytes: &[u8], force: bool) -> Result<(), SessionError> {
    write_atomic_with(path, force, |f, tmp| {
        f.write_all(bytes)
            .map_err(|e| SessionError::io("write", tmp, e))
    })
}

/// [`write_atomic`] of what `fill` writes into the temporary file (given with its path, for
/// errors); an error from `fill` leaves nothing behind.
pub fn write_atomic_with(
    path: &Path,
    force: bool,
    fill: impl FnOnce(&mut fs::File, &Path) -> Result<(), SessionError>,
) -> Result<(), SessionError> {
    check_replaceable(path)?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(TMP_PREFIX)
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(|e| SessionError::io("create a temporary file in", &dir, e))?;
    let tmp_path = tmp.path().to_path_buf();
    fill(tmp.as_file_mut(), &tmp_path)?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| SessionError::io("sync", tmp.path(), e))?;
    let res = if force {
        tmp.persist(path).map(|_| ())
    } else {
        tmp.persist_noclobber(path).map(|_| ())
    };
    if let Err(e) = res {
        return Err(if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            SessionError::FileExists {
                path: path.to_path_buf(),
            }
        } else {
            SessionError::io("write", path, e.error)
        });
    }
    // Persist the directory entry too, so a crash after we return cannot lose the rename.
    if let Ok(d) = fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Free-space warning for `dir` after writing, if under 5% or 500 MB remain.
pub fn low_disk_warning(dir: &Path) -> Option<String> {
    let (free, total) = disk_space(dir)?;
    is_low_disk(free, total).then(|| {
        format!(
            "warning: the disk holding {} is nearly full ({} free of {})",
            dir.display(),
            super::error::human_bytes(free),
            super::error::human_bytes(total)
        )
    })
}

/// Under 500 MB free, or under 5% of the disk.
fn is_low_disk(free: u64, total: u64) -> bool {
    free < 500 * 1024 * 1024 || (total > 0 && free.saturating_mul(20) < total)
}

fn disk_space(dir: &Path) -> Option<(u64, u64)> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid NUL-terminated path and `st` a writable statvfs.
    let rc = unsafe { libc::statvfs(c.as_ptr(), &mut st) };
    if rc != 0 {
        return None;
    }
    let frag = st.f_frsize as u64;
    Some((st.f_bavail as u64 * frag, st.f_blocks as u64 * frag))
}

impl Store {
    /// The store at `dir`, else `$XDG_DATA_HOME/otelsnap/sessions`, else `~/.local/share/otelsnap/sessions`.
    pub fn new(dir: Option<PathBuf>, limits: Limits) -> Store {
        let dir = dir.unwrap_or_else(default_dir);
        Store { dir, limits }
    }

    /// The file a name maps to.
    pub fn path_for(&self, name: &SessionName) -> PathBuf {
        self.dir.join(format!("{name}{SUFFIX}"))
    }

    /// Where `capture --checkpoint` keeps the state of a running capture of `name`: hidden,
    /// and not a session name, so it is never listed or counted as a session.
    pub fn checkpoint_path(&self, name: &SessionName) -> PathBuf {
        self.dir.join(format!(".{name}.checkpoint{SUFFIX}"))
    }

    /// Writes a checkpoint atomically (replacing the previous one).
    pub fn write_checkpoint(
        &self,
        name: &SessionName,
        session: &Session,
    ) -> Result<(), SessionError> {
        self.write_checkpoint_gzip(name, &format::to_gzip(session))
    }

    /// [`Store::write_checkpoint`] of a session already gzipped ([`format::to_gzip_streaming`]).
    pub fn write_checkpoint_gzip(
        &self,
        name: &SessionName,
        gzip: &[u8],
    ) -> Result<(), SessionError> {
        self.ensure_dir()?;
        write_atomic(&self.checkpoint_path(name), gzip, true)
    }

    /// True when a session of that name exists.
    pub fn exists(&self, name: &SessionName) -> bool {
        self.path_for(name).exists()
    }

    /// Checks, before any work, that `name` may be written: not existing (unless `force`), and
    /// the directory not at its session limit.
    pub fn check_target(&self, name: &SessionName, force: bool) -> Result<(), SessionError> {
        let exists = self.exists(name);
        if exists && !force {
            return Err(SessionError::AlreadyExists {
                name: name.to_string(),
                dir: self.dir.clone(),
            });
        }
        if !exists {
            let count = self.session_files()?.len();
            if count >= self.limits.max_sessions {
                return Err(SessionError::TooMany {
                    dir: self.dir.clone(),
                    count,
                    limit: self.limits.max_sessions,
                });
            }
        }
        Ok(())
    }

    /// Saves a session under its id (validated), atomically; refuses to replace without `force`.
    /// The gzip is written to the temporary file as it is made, never held whole (a large
    /// merge's result is tens of megabytes); a session over the size limit is refused once its
    /// bytes are counted, and its temporary file removed.
    pub fn save(&self, session: &Session, force: bool) -> Result<Saved, SessionError> {
        let name = SessionName::parse(&session.id)?;
        self.check_target(&name, force)?;
        self.ensure_dir()?;
        let path = self.path_for(&name);
        let mut bytes = 0;
        let written = write_atomic_with(&path, force, |f, tmp| {
            bytes =
                format::to_gzip_into(session, f).map_err(|e| SessionError::io("write", tmp, e))?;
            self.within_size(&name, bytes)
        });
        self.saved(&name, path, bytes, written)
    }

    /// Refuses a session of `bytes` over the size limit.
    fn within_size(&self, name: &SessionName, bytes: u64) -> Result<(), SessionError> {
        let limit = self.limits.max_session_size;
        if bytes > limit {
            return Err(SessionError::TooLarge {
                origin: format!("session '{name}'"),
                size: bytes,
                limit,
            });
        }
        Ok(())
    }

    /// What a save of `name` to `path` tells its caller, from how the write went.
    fn saved(
        &self,
        name: &SessionName,
        path: PathBuf,
        bytes: u64,
        written: Result<(), SessionError>,
    ) -> Result<Saved, SessionError> {
        written.map_err(|e| match e {
            SessionError::FileExists { .. } => SessionError::AlreadyExists {
                name: name.to_string(),
                dir: self.dir.clone(),
            },
            other => other,
        })?;
        Ok(Saved {
            path,
            bytes,
            low_disk_warning: low_disk_warning(&self.dir),
        })
    }

    /// [`Store::save`] through `write`, so tests can make the write itself fail.
    pub fn save_with(
        &self,
        session: &Session,
        force: bool,
        write: WriteFn,
    ) -> Result<Saved, SessionError> {
        let name = SessionName::parse(&session.id)?;
        self.check_target(&name, force)?;
        self.save_gzip_with(&session.id, &format::to_gzip(session), force, write)
    }

    /// [`Store::save_with`] of a session already gzipped ([`format::to_gzip_streaming`]), whose
    /// id is `id`.
    pub fn save_gzip_with(
        &self,
        id: &str,
        bytes: &[u8],
        force: bool,
        write: WriteFn,
    ) -> Result<Saved, SessionError> {
        let name = SessionName::parse(id)?;
        self.check_target(&name, force)?;
        self.within_size(&name, bytes.len() as u64)?;
        self.ensure_dir()?;
        let path = self.path_for(&name);
        let written = write(&path, bytes, force);
        self.saved(&name, path, bytes.len() as u64, written)
    }

    /// Writes `session` to a rescue file after a failed save, so nothing acknowledged is lost:
    /// `<id>.rescue-<UTC time>-<pid>.json.gz` in the store directory, else in the temporary
    /// directory. The name is not a session name, so the file never counts as a stored session,
    /// and `import` reads it like any session file. No size limit applies: the limit may be why
    /// the save failed. Returns the path, or why neither place could be written.
    pub fn rescue(&self, session: &Session) -> Result<PathBuf, String> {
        self.rescue_with(session, write_atomic)
    }

    /// [`Store::rescue`] through `write`.
    pub fn rescue_with(&self, session: &Session, write: WriteFn) -> Result<PathBuf, String> {
        self.rescue_gzip_with(&session.id, &format::to_gzip(session), write)
    }

    /// [`Store::rescue`] of a session already gzipped, whose id is `id`.
    pub fn rescue_gzip(&self, id: &str, bytes: &[u8]) -> Result<PathBuf, String> {
        self.rescue_gzip_with(id, bytes, write_atomic)
    }

    /// [`Store::rescue_gzip`] through `write`.
    pub fn rescue_gzip_with(
        &self,
        id: &str,
        bytes: &[u8],
        write: WriteFn,
    ) -> Result<PathBuf, String> {
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        let file = format!("{id}.rescue-{stamp}-{}{SUFFIX}", std::process::id());
        let mut why = Vec::new();
        // The store directory may not exist yet (nothing saved there so far).
        let _ = self.ensure_dir();
        for dir in [self.dir.clone(), std::env::temp_dir()] {
            if !dir.is_dir() {
                why.push(format!("{} is not a directory", dir.display()));
                continue;
            }
            let path = dir.join(&file);
            match write(&path, bytes, false) {
                Ok(()) => return Ok(path),
                Err(e) => why.push(e.to_string()),
            }
        }
        Err(why.join("; "))
    }

    /// Loads a stored session by name.
    pub fn load(&self, name: &SessionName) -> Result<Session, SessionError> {
        let path = self.path_for(name);
        read_file(&path, &self.limits.read()).map_err(|e| match e {
            SessionError::FileNotFound { .. } => SessionError::NotFound {
                name: name.to_string(),
                dir: self.dir.clone(),
            },
            other => other,
        })
    }

    /// Every stored session, newest first, read from headers only; unreadable files become rows with their error.
    pub fn list(&self) -> Result<Vec<ListEntry>, SessionError> {
        let mut rows = Vec::new();
        for (name, path) in self.session_files()? {
            let meta = fs::metadata(&path).ok();
            let size = meta.as_ref().map_or(0, fs::Metadata::len);
            let header = self.read_header(&path);
            rows.push(ListEntry {
                name,
                path,
                size,
                modified: meta.and_then(|m| m.modified().ok()),
                header,
            });
        }
        rows.sort_by(|a, b| {
            let ka = a.header.as_ref().ok().map(|h| h.created);
            let kb = b.header.as_ref().ok().map(|h| h.created);
            kb.cmp(&ka).then_with(|| a.name.cmp(&b.name))
        });
        Ok(rows)
    }

    /// The header of one stored file, read with bounded bytes: the gzip header, else (a file
    /// copied in by hand, with no header) the whole file only up to [`LIST_DECODE_MAX`]
    /// inflated. Anything odd (not a regular file, a bomb, damage) is an error for its row.
    fn read_header(&self, path: &Path) -> Result<Header, String> {
        let (f, meta) = open_regular(path).map_err(|e| match e {
            SessionError::NotRegular { what, .. } => format!("{what}, not a regular file"),
            other => other.to_string(),
        })?;
        let mut prefix = Vec::with_capacity(4096);
        f.take(format::HEADER_READ_BYTES as u64)
            .read_to_end(&mut prefix)
            .map_err(|e| format!("cannot read: {e}"))?;
        if let Some(h) = format::read_header(&prefix) {
            return Ok(h);
        }
        let mut limits = self.limits.read();
        limits.max_decompressed = limits.max_decompressed.min(LIST_DECODE_MAX);
        limits.max_file = limits.max_file.min(LIST_DECODE_MAX);
        if meta.len() > limits.max_file {
            return Err(format!(
                "no otelsnap header and {} on disk: too large to read for a listing; run `otelsnap show {}`",
                super::error::human_bytes(meta.len()),
                path.display()
            ));
        }
        let mut s = read_file(path, &limits).map_err(|e| match e {
            SessionError::Bomb { .. } => format!(
                "no otelsnap header and over {} inflated (a gzip bomb?); not read for a listing",
                super::error::human_bytes(LIST_DECODE_MAX)
            ),
            other => other.to_string(),
        })?;
        s.recompute_stats();
        Ok(Header::of(&s))
    }

    /// Deletes sessions; checks every name first and deletes nothing if one is missing.
    pub fn delete(&self, names: &[SessionName]) -> Result<Vec<PathBuf>, SessionError> {
        for n in names {
            if !self.exists(n) {
                return Err(SessionError::NotFound {
                    name: n.to_string(),
                    dir: self.dir.clone(),
                });
            }
        }
        let mut done = Vec::new();
        for n in names {
            let p = self.path_for(n);
            if done.contains(&p) {
                continue;
            }
            fs::remove_file(&p).map_err(|e| SessionError::io("delete", &p, e))?;
            done.push(p);
        }
        Ok(done)
    }

    /// `(name, path)` of every `*.json.gz` with a valid name; a missing directory is empty.
    pub fn session_files(&self) -> Result<Vec<(String, PathBuf)>, SessionError> {
        let rd = match fs::read_dir(&self.dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(SessionError::io("read the directory", &self.dir, e)),
        };
        let mut out = Vec::new();
        for entry in rd.flatten() {
            let fname = entry.file_name();
            let Some(fname) = fname.to_str() else {
                continue;
            };
            let Some(stem) = fname.strip_suffix(SUFFIX) else {
                continue;
            };
            if SessionName::parse(stem).is_ok() {
                out.push((stem.to_string(), entry.path()));
            }
        }
        out.sort();
        Ok(out)
    }

    fn ensure_dir(&self) -> Result<(), SessionError> {
        if self.dir.is_dir() {
            return Ok(());
        }
        use std::os::unix::fs::DirBuilderExt;
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
            .map_err(|e| SessionError::io("create the session directory", &self.dir, e))
    }
}

/// `$XDG_DATA_HOME/otelsnap/sessions`, else `$HOME/.local/share/otelsnap/sessions`.
pub fn default_dir() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("otelsnap").join("sessions")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::model::Signal;

    fn store(dir: &Path) -> Store {
        Store::new(Some(dir.join("sessions")), Limits::default())
    }

    fn session(id: &str) -> Session {
        let mut s = Session::new(id);
        s.signals = vec![Signal::Metrics];
        s.canonicalize();
        s
    }

    #[test]
    fn save_load_list_delete() {
        let t = tempfile::tempdir().unwrap();
        let st = store(t.path());
        let saved = st.save(&session("one"), false).unwrap();
        assert!(saved.path.ends_with("one.json.gz"));
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&st.dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        assert_eq!(
            fs::metadata(&saved.path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let n = SessionName::parse("one").unwrap();
        assert_eq!(st.load(&n).unwrap().id, "one");
        assert!(matches!(
            st.save(&session("one"), false),
            Err(SessionError::AlreadyExists { .. })
        ));
        st.save(&session("one"), true).unwrap();
        st.save(&session("two"), false).unwrap();
        let rows = st.list().unwrap();
        assert_eq!(rows.len(), 2);
        assert!(rows.iter().all(|r| r.header.is_ok()));
        let missing = SessionName::parse("nope").unwrap();
        assert!(matches!(
            st.delete(&[n.clone(), missing]),
            Err(SessionError::NotFound { .. })
        ));
        assert!(st.exists(&n), "nothing deleted when one name is missing");
        st.delete(std::slice::from_ref(&n)).unwrap();
        assert!(!st.exists(&n));
    }

    #[test]
    fn save_streams_the_same_bytes_and_refuses_an_oversized_session_leaving_nothing() {
        let t = tempfile::tempdir().unwrap();
        let mut st = store(t.path());
        let mut s = session("big");
        // Enough metrics for several gzip members.
        for i in 0..30_000 {
            s.data.metrics.push(crate::session::model::MetricMeta {
                name: format!("m.{i:06}"),
                description: format!("metric number {i}, described at some length"),
                ..Default::default()
            });
        }
        s.canonicalize();
        let saved = st.save(&s, false).unwrap();
        let want = format::to_gzip(&s);
        assert!(format::to_json(&s, false).len() > 2 * crate::gzip::CHUNK);
        assert_eq!(saved.bytes, want.len() as u64);
        assert!(fs::read(&saved.path).unwrap() == want);

        st.limits.max_session_size = saved.bytes - 1;
        let before = fs::read(&saved.path).unwrap();
        assert!(matches!(
            st.save(&s, true),
            Err(SessionError::TooLarge { size, .. }) if size == saved.bytes
        ));
        assert!(
            fs::read(&saved.path).unwrap() == before,
            "the old file is untouched"
        );
        let left: Vec<_> = fs::read_dir(&st.dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, vec![std::ffi::OsString::from("big.json.gz")]);
    }

    #[test]
    fn session_limit() {
        let t = tempfile::tempdir().unwrap();
        let mut st = store(t.path());
        st.limits.max_sessions = 1;
        st.save(&session("one"), false).unwrap();
        assert!(matches!(
            st.save(&session("two"), false),
            Err(SessionError::TooMany { count: 1, .. })
        ));
        st.save(&session("one"), true).unwrap();
    }

    #[test]
    fn concurrent_writers_exactly_one_wins() {
        let t = tempfile::tempdir().unwrap();
        let st = store(t.path());
        st.ensure_dir().unwrap();
        let results: Vec<_> = std::thread::scope(|sc| {
            let hs: Vec<_> = (0..8)
                .map(|_| sc.spawn(|| st.save(&session("race"), false)))
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
        assert!(
            results
                .iter()
                .filter(|r| r.is_err())
                .all(|r| matches!(r, Err(SessionError::AlreadyExists { .. })))
        );
        let leftovers: Vec<_> = fs::read_dir(&st.dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(leftovers.len(), 1, "{leftovers:?}");
    }

    fn failing_write(path: &Path, _: &[u8], _: bool) -> Result<(), SessionError> {
        Err(SessionError::io(
            "write",
            path,
            std::io::Error::from_raw_os_error(libc::ENOSPC),
        ))
    }

    /// Fails inside any directory named `sessions`, writes elsewhere.
    fn failing_in_store(path: &Path, bytes: &[u8], force: bool) -> Result<(), SessionError> {
        if path.parent().is_some_and(|d| d.ends_with("sessions")) {
            return failing_write(path, bytes, force);
        }
        write_atomic(path, bytes, force)
    }

    #[test]
    fn a_failed_write_is_rescued_beside_the_store_and_reads_back() {
        let t = tempfile::tempdir().unwrap();
        let st = store(t.path());
        st.ensure_dir().unwrap();
        let mut s = session("rescued");
        s.description = "kept".into();
        let err = st.save_with(&s, false, failing_write).unwrap_err();
        assert!(err.to_string().contains("No space left"), "{err}");
        assert!(!st.exists(&SessionName::parse("rescued").unwrap()));
        let path = st.rescue(&s).unwrap();
        assert_eq!(path.parent(), Some(st.dir.as_path()));
        let fname = path.file_name().unwrap().to_str().unwrap();
        assert!(fname.starts_with("rescued.rescue-") && fname.ends_with(SUFFIX));
        // Not a stored session, so it neither shows in `list` nor counts against the limit.
        assert!(st.session_files().unwrap().is_empty());
        let back = read_file(&path, &st.limits.read()).unwrap();
        assert_eq!(back.id, "rescued");
        assert_eq!(back.description, "kept");
    }

    #[test]
    fn a_rescue_falls_back_to_the_temp_dir_and_reports_when_both_fail() {
        let t = tempfile::tempdir().unwrap();
        let st = store(t.path());
        st.ensure_dir().unwrap();
        let s = session("fallback");
        let path = st.rescue_with(&s, failing_in_store).unwrap();
        assert_eq!(path.parent(), Some(std::env::temp_dir().as_path()));
        assert_eq!(read_file(&path, &st.limits.read()).unwrap().id, "fallback");
        fs::remove_file(&path).unwrap();
        let why = st.rescue_with(&s, failing_write).unwrap_err();
        assert_eq!(why.matches("No space left").count(), 2, "{why}");
    }

    #[test]
    fn low_disk_thresholds() {
        const GB: u64 = 1024 * 1024 * 1024;
        assert!(is_low_disk(400 * 1024 * 1024, 10 * GB), "under 500 MB");
        assert!(is_low_disk(4 * GB, 100 * GB), "under 5%");
        assert!(!is_low_disk(6 * GB, 100 * GB));
        assert!(!is_low_disk(GB, 2 * GB));
        assert!(disk_space(Path::new("/")).is_some_and(|(f, t)| f <= t && t > 0));
    }

    #[test]
    fn refs() {
        assert_eq!(SessionRef::parse("-").unwrap(), SessionRef::Stdin);
        assert!(matches!(
            SessionRef::parse("base.json.gz").unwrap(),
            SessionRef::Path(_)
        ));
        assert!(matches!(
            SessionRef::parse("./x").unwrap(),
            SessionRef::Path(_)
        ));
        assert!(matches!(
            SessionRef::parse("good-name").unwrap(),
            SessionRef::Name(_)
        ));
        assert!(SessionRef::parse("Bad Name").is_err());
    }
}
