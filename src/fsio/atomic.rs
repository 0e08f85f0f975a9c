//! Writing a file atomically: a temporary file in the same directory (mode
//! 0600), fsynced, given its owner, renamed over the target, and the
//! directory fsynced, so that a crash at any point leaves the old file or
//! the new one, never a torn one. Locking is the caller's
//! (`crate::secret::store::LockedFile`).
//!
//! Crash tests stop the writer between these steps with [`fault_point`],
//! which only builds with the `fault-injection` feature turn into aborts.

use std::fs::{self, File};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use super::FileError;

fn io_err<'a>(
    path: &'a Path,
    action: &'static str,
) -> impl FnOnce(std::io::Error) -> FileError + 'a {
    move |source| FileError::Io {
        path: path.to_path_buf(),
        action,
        source,
    }
}

/// Environment variable naming a fault-injection point (for crash tests):
/// the process aborts there, as a `kill -9` or power cut would stop it.
pub const FAULT_ENV: &str = "QCD_TEST_FAULT";

pub const TEMP_SUFFIX: &str = ".qcd-tmp";

/// Temporary files for `path` are named `.NAME.XXXXXX.qcd-tmp` in its directory.
fn temp_prefix(path: &Path) -> String {
    format!(
        ".{}.",
        path.file_name().unwrap_or_default().to_string_lossy()
    )
}

/// Removes temporary files left by writers of `path` that were killed
/// mid-write (they may hold secrets). Only call with the write lock held:
/// then no other writer of `path` can be between create and rename.
pub fn remove_stale_temps(path: &Path) {
    let dir = super::parent_dir(path);
    let prefix = temp_prefix(path);
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(&prefix) && name.ends_with(TEMP_SUFFIX) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

/// Aborts the process when [`FAULT_ENV`] names this point (crash tests).
/// Only builds with the `fault-injection` feature (the test build) have the
/// switch; in any other build this does nothing.
pub fn fault_point(name: &str) {
    #[cfg(feature = "fault-injection")]
    if std::env::var(FAULT_ENV).is_ok_and(|v| v == name) {
        eprintln!("qcd: {FAULT_ENV}={name}: aborting here");
        std::process::abort();
    }
    #[cfg(not(feature = "fault-injection"))]
    let _ = name;
}

/// Writes `bytes` to `path` atomically with mode 0600: temp file in the same
/// directory, fsync, keep owner, rename, fsync the directory. The low-level
/// step: callers that replace secrets go through
/// `crate::secret::store::LockedFile`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    write_atomic_as(path, bytes, None)
}

/// [`write_atomic`] with the new file owned by `owner` (uid, gid) when
/// given, else by the owner of the file it replaces (or the writer).
pub fn write_atomic_as(
    path: &Path,
    bytes: &[u8],
    owner: Option<(u32, u32)>,
) -> Result<(), FileError> {
    let dir = super::parent_dir(path).to_path_buf();
    let previous_owner = owner.or_else(|| fs::metadata(path).ok().map(|m| (m.uid(), m.gid())));
    let prefix = temp_prefix(path);
    let mut tmp = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(TEMP_SUFFIX)
        .permissions(fs::Permissions::from_mode(0o600))
        .tempfile_in(&dir)
        .map_err(io_err(&dir, "cannot create a temporary file in"))?;
    fault_point("after-create");
    let half = bytes.len() / 2;
    tmp.write_all(&bytes[..half])
        .map_err(io_err(tmp.path(), "cannot write"))?;
    fault_point("mid-write");
    tmp.write_all(&bytes[half..])
        .map_err(io_err(tmp.path(), "cannot write"))?;
    tmp.as_file()
        .set_permissions(fs::Permissions::from_mode(0o600))
        .map_err(io_err(tmp.path(), "cannot set mode 0600 on"))?;
    if let Some((uid, gid)) = previous_owner {
        let meta = tmp
            .as_file()
            .metadata()
            .map_err(io_err(tmp.path(), "cannot stat"))?;
        if (meta.uid(), meta.gid()) != (uid, gid) {
            std::os::unix::fs::fchown(tmp.as_file(), Some(uid), Some(gid)).map_err(|source| {
                FileError::Owner {
                    path: path.to_path_buf(),
                    uid,
                    gid,
                    source,
                }
            })?;
        }
    }
    tmp.as_file()
        .sync_all()
        .map_err(io_err(tmp.path(), "cannot fsync"))?;
    fault_point("before-rename");
    tmp.persist(path).map_err(|e| FileError::Io {
        path: path.to_path_buf(),
        action: "cannot rename the temporary file over",
        source: e.error,
    })?;
    fault_point("after-rename");
    File::open(&dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(&dir, "cannot fsync directory"))?;
    Ok(())
}
