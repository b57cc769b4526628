//! `-o FILE` of `diff` and `show`: the output to stdout, or atomically to a file.

use std::path::Path;

use anyhow::{Context, bail};

/// Writes `bytes` to `path` (a temporary file beside it, then a rename, so no reader sees a
/// partial report), or to stdout without one. A report replaces an earlier regular file of the
/// same name, as a CI job rerun expects; anything else there (a directory, a symlink, a device
/// or a pipe) is refused rather than replaced.
pub fn write(path: Option<&Path>, bytes: &[u8]) -> anyhow::Result<()> {
    let Some(path) = path else {
        return crate::error::print(bytes);
    };
    if path.as_os_str().is_empty() {
        bail!("-o needs a file name");
    }
    match std::fs::symlink_metadata(path) {
        Ok(m) if !m.file_type().is_file() => bail!(
            "{} exists and is not a regular file; choose another name for -o",
            path.display()
        ),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot check {}", path.display())),
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        bail!(
            "cannot write {}: directory {} does not exist; create it first",
            path.display(),
            dir.display()
        );
    }
    write_atomic(dir, path, bytes).map_err(|e| {
        // The OS's words for the cause, without the temporary file's name.
        let cause = e
            .raw_os_error()
            .map(std::io::Error::from_raw_os_error)
            .map_or_else(|| e.to_string(), |c| c.to_string());
        anyhow::anyhow!("cannot write {}: {cause}", path.display())
    })
}

/// Temp file beside `path`, fsync, rename. Unlike the session store's writer, which keeps
/// sessions owner-only, a report gets the permissions any new file would (0666 less the
/// umask): it is made to be shared, uploaded and opened by others.
fn write_atomic(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::PermissionsExt as _;
    let mut tmp = tempfile::Builder::new()
        .prefix(".otelsnap-report-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    // SAFETY: umask only swaps the process's file-mode mask; it is restored at once.
    let mask = unsafe {
        let m = libc::umask(0o022);
        libc::umask(m);
        m
    };
    // mode_t is u32 on Linux but u16 on macOS.
    #[allow(clippy::useless_conversion)]
    let mode = 0o666 & !u32::from(mask);
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(mode))?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
