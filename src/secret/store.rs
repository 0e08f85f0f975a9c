//! The keyring file store: loading with permission checks, and every write
//! done atomically under an advisory lock.
//!
//! - Writers take an exclusive lock on `KEYRING.lock` (beside the keyring,
//!   created 0600 and never removed, since removing lock files races), then
//!   read, modify and write. Concurrent `rotate`s are serialized, none lost.
//! - A write goes to a temporary file in the same directory (0600), is
//!   fsynced, renamed over the keyring, and the directory is fsynced: a crash
//!   at any point leaves the old keyring or the new one, never a torn file.
//! - The new file keeps the owner and group of the file it replaces.
//! - Loading refuses a keyring readable or writable by group or others, as
//!   ssh does with private keys, unless explicitly allowed.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::keyring::{Keyring, ModelError};

/// Environment variable naming a fault-injection point (for crash tests):
/// the process aborts there, as a `kill -9` or power cut would stop it.
pub const FAULT_ENV: &str = "QCD_TEST_FAULT";

/// How to load a keyring.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
    /// Accept a keyring readable or writable by group or others.
    pub allow_insecure_permissions: bool,
}

/// What went wrong with a keyring file.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no keyring at {path}: create one with `qcd secret generate --keyring {path}`")]
    NotFound { path: PathBuf },
    #[error("{path} already exists: refusing to overwrite it (pass --force to replace it, losing its secrets)")]
    Exists { path: PathBuf },
    #[error("{path}: {action}: {source}")]
    Io {
        path: PathBuf,
        action: &'static str,
        source: std::io::Error,
    },
    #[error("{path} is accessible by group or others (mode {mode:04o}): QCD secrets must be private. Run `chmod 600 {path}` (or pass --allow-insecure-permissions)")]
    InsecurePermissions { path: PathBuf, mode: u32 },
    #[error("{path} is not a regular file")]
    NotAFile { path: PathBuf },
    #[error("{path}: {source}")]
    Model { path: PathBuf, source: ModelError },
    #[error("{path}: cannot keep the owner {uid}:{gid} of the file being replaced: {source}; run as that user or root")]
    Owner {
        path: PathBuf,
        uid: u32,
        gid: u32,
        source: std::io::Error,
    },
}

fn io_err<'a>(
    path: &'a Path,
    action: &'static str,
) -> impl FnOnce(std::io::Error) -> StoreError + 'a {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        action,
        source,
    }
}

/// Permission bits that make a secret file insecure.
const INSECURE_BITS: u32 = 0o077;

/// The mode, owner and group of a keyring file (for manifests and audits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileInfo {
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

/// Reads a secret file (keyring or exported secret): checks it is a regular
/// file with private permissions, and returns its bytes in a wiped-on-drop buffer.
pub fn read_private(
    path: &Path,
    opts: &LoadOptions,
) -> Result<(Zeroizing<Vec<u8>>, FileInfo), StoreError> {
    let mut file = File::open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            StoreError::NotFound {
                path: path.to_path_buf(),
            }
        } else {
            io_err(path, "cannot open")(e)
        }
    })?;
    let meta = file.metadata().map_err(io_err(path, "cannot stat"))?;
    if !meta.is_file() {
        return Err(StoreError::NotAFile {
            path: path.to_path_buf(),
        });
    }
    let mode = meta.permissions().mode() & 0o7777;
    if mode & INSECURE_BITS != 0 && !opts.allow_insecure_permissions {
        return Err(StoreError::InsecurePermissions {
            path: path.to_path_buf(),
            mode,
        });
    }
    let mut buf = Zeroizing::new(Vec::with_capacity(meta.len() as usize + 1));
    file.read_to_end(&mut buf)
        .map_err(io_err(path, "cannot read"))?;
    Ok((
        buf,
        FileInfo {
            mode,
            uid: meta.uid(),
            gid: meta.gid(),
        },
    ))
}

/// Loads and checks a keyring.
pub fn load(path: &Path, opts: &LoadOptions) -> Result<Keyring, StoreError> {
    load_with_info(path, opts).map(|(k, _)| k)
}

/// Loads a keyring and reports its file's mode and owner.
pub fn load_with_info(path: &Path, opts: &LoadOptions) -> Result<(Keyring, FileInfo), StoreError> {
    let (bytes, info) = read_private(path, opts)?;
    let keyring = Keyring::from_json(&bytes).map_err(|source| StoreError::Model {
        path: path.to_path_buf(),
        source,
    })?;
    Ok((keyring, info))
}

/// An exclusive advisory lock on `PATH.lock`, released on drop.
pub struct WriteLock {
    _file: File,
}

/// The lock file that serializes writers of `path`.
pub fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    path.with_file_name(name)
}

/// Blocks until this process holds the write lock of `path`.
pub fn lock(path: &Path) -> Result<WriteLock, StoreError> {
    let lp = lock_path(path);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&lp)
        .map_err(io_err(&lp, "cannot open lock file"))?;
    file.lock().map_err(io_err(&lp, "cannot lock"))?;
    Ok(WriteLock { _file: file })
}

const TEMP_SUFFIX: &str = ".qcd-tmp";

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
fn remove_stale_temps(path: &Path) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
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

/// Creates a new keyring file (under the lock). Refuses to replace an existing one unless `force`.
pub fn create(path: &Path, keyring: &Keyring, force: bool) -> Result<(), StoreError> {
    let _lock = lock(path)?;
    remove_stale_temps(path);
    if !force && fs::symlink_metadata(path).is_ok() {
        return Err(StoreError::Exists {
            path: path.to_path_buf(),
        });
    }
    write_atomic(path, &keyring.to_json())
}

/// Loads the keyring under the write lock, applies `change`, and writes the
/// result atomically if `change` returns `Ok((value, true))`. On error or
/// `false` the file is left untouched.
pub fn update<T, E>(
    path: &Path,
    opts: &LoadOptions,
    change: impl FnOnce(&mut Keyring) -> Result<(T, bool), E>,
) -> Result<T, E>
where
    E: From<StoreError>,
{
    let _lock = lock(path)?;
    remove_stale_temps(path);
    let mut keyring = load(path, opts)?;
    let (value, modified) = change(&mut keyring)?;
    if modified {
        write_atomic(path, &keyring.to_json())?;
    }
    Ok(value)
}

fn fault_point(name: &str) {
    if std::env::var(FAULT_ENV).is_ok_and(|v| v == name) {
        eprintln!("qcd: {FAULT_ENV}={name}: aborting here");
        std::process::abort();
    }
}

/// Writes `bytes` to `path` atomically with mode 0600: temp file in the same
/// directory, fsync, keep owner, rename, fsync the directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let previous_owner = fs::metadata(path).ok().map(|m| (m.uid(), m.gid()));
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
                StoreError::Owner {
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
    tmp.persist(path).map_err(|e| StoreError::Io {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::{Origin, SecretBytes};
    use crate::token::TokenSpec;
    use std::time::SystemTime;

    fn keyring() -> Keyring {
        Keyring::new(
            SecretBytes::random(32).unwrap(),
            TokenSpec::default(),
            SystemTime::now(),
            Origin::Generated,
        )
    }

    #[test]
    fn create_load_and_refuse_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.json");
        let k = keyring();
        create(&p, &k, false).unwrap();
        let mode = fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let back = load(&p, &LoadOptions::default()).unwrap();
        assert_eq!(back.active().fingerprint, k.active().fingerprint);
        assert!(matches!(
            create(&p, &keyring(), false),
            Err(StoreError::Exists { .. })
        ));
        create(&p, &keyring(), true).unwrap();
        assert_ne!(
            load(&p, &LoadOptions::default())
                .unwrap()
                .active()
                .fingerprint,
            k.active().fingerprint
        );
    }

    #[test]
    fn insecure_modes_are_refused_unless_allowed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.json");
        create(&p, &keyring(), false).unwrap();
        for mode in [0o640, 0o604, 0o620, 0o644] {
            fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
            let e = load(&p, &LoadOptions::default()).unwrap_err();
            let msg = e.to_string();
            assert!(msg.contains(&format!("mode {mode:04o}")), "{msg}");
            assert!(msg.contains("chmod 600"), "{msg}");
            load(
                &p,
                &LoadOptions {
                    allow_insecure_permissions: true,
                },
            )
            .unwrap();
        }
        fs::set_permissions(&p, fs::Permissions::from_mode(0o400)).unwrap();
        load(&p, &LoadOptions::default()).unwrap();
    }

    #[test]
    fn failed_update_leaves_the_file_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.json");
        create(&p, &keyring(), false).unwrap();
        let before = fs::read(&p).unwrap();
        let r: Result<(), StoreError> = update(&p, &LoadOptions::default(), |k| {
            k.rotate(
                SecretBytes::random(32).unwrap(),
                TokenSpec::default(),
                SystemTime::now(),
                std::time::Duration::ZERO,
                Origin::Generated,
            );
            Err(StoreError::NotAFile { path: p.clone() })
        });
        assert!(r.is_err());
        assert_eq!(fs::read(&p).unwrap(), before);
        // no temp files left behind
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(names.iter().all(|n| !n.ends_with(TEMP_SUFFIX)), "{names:?}");
    }

    #[test]
    fn missing_file_says_how_to_create_one() {
        let e = load(Path::new("/nonexistent/k.json"), &LoadOptions::default()).unwrap_err();
        assert!(e
            .to_string()
            .contains("qcd secret generate --keyring /nonexistent/k.json"));
    }
}
