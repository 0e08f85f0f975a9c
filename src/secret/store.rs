//! The keyring file store: loading with ownership and permission checks, and
//! every write done atomically under an advisory lock.
//!
//! - Loading goes through [`crate::fsio`]: a regular file of at most 64 MiB,
//!   owned by the effective user, mode 0600 (or stricter; group/other bits
//!   are refused unless explicitly allowed), in directories no one else can
//!   change. FIFOs and devices are refused without blocking.
//! - Writers resolve the keyring path once (a symbolic link stays a link and
//!   its target is written), take an exclusive lock on `KEYRING.lock` beside
//!   the real file (created 0600 and never removed, since removing lock
//!   files races; opened with `O_NOFOLLOW`, regular files only), then check
//!   existence, read, modify and write, all under the lock. Concurrent
//!   writers are serialized, none lost; concurrent creators find the file
//!   the first one made.
//! - A write goes to a temporary file in the same directory (0600), is
//!   fsynced, renamed over the keyring, and the directory is fsynced: a crash
//!   at any point leaves the old keyring or the new one, never a torn file.
//!   The next writer under the lock removes temporary files a killed one left.
//! - A keyring with other hard links is never replaced (the links would keep
//!   destroyed secrets readable), and a keyring that would not load again
//!   is never written.

use std::fs::{self, File};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::keyring::{Keyring, ModelError};
use crate::fsio::{self, FileError, Owners, Privacy};

/// How to load a keyring.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
    /// Accept a keyring readable or writable by group or others.
    pub allow_insecure_permissions: bool,
}

impl LoadOptions {
    fn privacy(&self, owners: Owners) -> Privacy {
        Privacy {
            allow_group_other: self.allow_insecure_permissions,
            owners,
        }
    }
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
    #[error(transparent)]
    File(FileError),
    #[error("{path}: {source}")]
    Model { path: PathBuf, source: ModelError },
    #[error("{path}: refusing to write a keyring that would not load again ({source}); the file is unchanged. This is a bug in qcd: please report it")]
    WouldNotLoad { path: PathBuf, source: ModelError },
    #[error("{path}: cannot give the file to its owner {uid}:{gid} (the owner of the file it replaces, or --owner): {source}; run as that user or root")]
    Owner {
        path: PathBuf,
        uid: u32,
        gid: u32,
        source: std::io::Error,
    },
}

impl From<FileError> for StoreError {
    fn from(e: FileError) -> Self {
        match e {
            FileError::NotFound { path } => StoreError::NotFound { path },
            e => StoreError::File(e),
        }
    }
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

/// The mode, owner and group of a keyring file (for manifests and audits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileInfo {
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

impl FileInfo {
    fn of(meta: &fs::Metadata) -> FileInfo {
        FileInfo {
            mode: meta.mode() & 0o7777,
            uid: meta.uid(),
            gid: meta.gid(),
        }
    }
}

/// Reads a secret file (`--secret-file`, or an exported secret): a regular
/// file of at most [`fsio::SECRET_FILE`] bytes, ours, private (unless
/// allowed), in safe directories. Returns its bytes in a wiped-on-drop buffer.
pub fn read_private(
    path: &Path,
    opts: &LoadOptions,
) -> Result<(Zeroizing<Vec<u8>>, FileInfo), StoreError> {
    let (bytes, meta) = fsio::read_private(path, &fsio::SECRET_FILE, &opts.privacy(Owners::Me))?;
    Ok((bytes, FileInfo::of(&meta)))
}

/// Loads and checks a keyring.
pub fn load(path: &Path, opts: &LoadOptions) -> Result<Keyring, StoreError> {
    load_with_info(path, opts).map(|(k, _)| k)
}

/// Loads a keyring and reports its file's mode and owner.
pub fn load_with_info(path: &Path, opts: &LoadOptions) -> Result<(Keyring, FileInfo), StoreError> {
    load_with(path, opts, Owners::Me)
}

/// Loads a keyring owned by one of `owners` (audits, which only read
/// metadata, accept [`Owners::Anyone`]).
pub fn load_with(
    path: &Path,
    opts: &LoadOptions,
    owners: Owners,
) -> Result<(Keyring, FileInfo), StoreError> {
    let (bytes, meta) = fsio::read_private(path, &fsio::KEYRING, &opts.privacy(owners))?;
    let keyring = Keyring::from_json(&bytes).map_err(|source| StoreError::Model {
        path: path.to_path_buf(),
        source,
    })?;
    Ok((keyring, FileInfo::of(&meta)))
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

/// Blocks until this process holds the write lock of `path` (already
/// resolved with [`fsio::resolve_for_write`]). The lock file is never
/// followed through a symbolic link and must be a regular file of ours.
pub fn lock(path: &Path) -> Result<WriteLock, StoreError> {
    lock_file(lock_path(path))
}

/// Blocks until this process holds the lock file `lp` itself.
fn lock_file(lp: PathBuf) -> Result<WriteLock, StoreError> {
    let file = fsio::open_lock(&lp)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
                eprintln!(
                    "qcd: waiting for {} (another qcd is writing)…",
                    lp.display()
                );
            }
            file.lock().map_err(io_err(&lp, "cannot lock"))?;
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(io_err(&lp, "cannot lock")(e)),
    }
    Ok(WriteLock { _file: file })
}

/// A file held for writing: its path resolved once (symbolic links
/// followed safely, see [`fsio::resolve_for_write`]), its lock held, and
/// the temporary files of killed writers removed. Keyrings and exported
/// secrets are both written through one.
pub struct LockedFile {
    given: PathBuf,
    real: PathBuf,
    _lock: WriteLock,
}

impl LockedFile {
    /// Resolves `path` and takes its lock. With `private`, the directories
    /// leading to the real file must be safe ([`fsio::check_directories`]).
    pub fn lock(path: &Path, private: bool) -> Result<LockedFile, StoreError> {
        Self::lock_with(path, private, None)
    }

    /// [`LockedFile::lock`], but the lock file is `lock_at` (when given)
    /// instead of `PATH.lock` beside the file: an export into a daemon's
    /// private directory locks beside the keyring and leaves nothing of its
    /// own in the daemon's directory.
    pub fn lock_with(
        path: &Path,
        private: bool,
        lock_at: Option<&Path>,
    ) -> Result<LockedFile, StoreError> {
        if private {
            fsio::check_directories(path, Owners::Me)?;
        }
        let real = fsio::resolve_for_write(path)?;
        if private && real != path {
            fsio::check_directories(&real, Owners::Me)?;
        }
        let lock = match lock_at {
            Some(lp) => lock_file(lp.to_path_buf())?,
            None => lock(&real)?,
        };
        fsio::remove_stale_temps(&real);
        Ok(LockedFile {
            given: path.to_path_buf(),
            real,
            _lock: lock,
        })
    }

    /// The path as given.
    pub fn path(&self) -> &Path {
        &self.given
    }

    /// The file actually written (the target of a symbolic link).
    pub fn real_path(&self) -> &Path {
        &self.real
    }

    /// The file's metadata when it exists. A non-regular file or one with
    /// other hard links is an error: it must not be replaced.
    pub fn existing(&self) -> Result<Option<fs::Metadata>, StoreError> {
        Ok(fsio::check_replaceable(&self.real)?)
    }

    /// Reads the current content (regular file, at most `limit.max` bytes);
    /// `None` when missing.
    pub fn read(&self, limit: &fsio::Limit) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
        if self.existing()?.is_none() {
            return Ok(None);
        }
        match fsio::read(&self.real, limit) {
            Ok((bytes, _)) => Ok(Some(bytes)),
            Err(FileError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Replaces the file with `bytes` atomically (mode 0600, keeping the
    /// owner of the file replaced), after checking again that it has no other
    /// hard link.
    pub fn write(&self, bytes: &[u8]) -> Result<(), StoreError> {
        self.write_as(bytes, None)
    }

    /// Like [`LockedFile::write`], but the new file is owned by `owner`
    /// (uid, gid) when given, e.g. the daemon account that reads it.
    pub fn write_as(&self, bytes: &[u8], owner: Option<(u32, u32)>) -> Result<(), StoreError> {
        self.existing()?;
        Ok(fsio::write_atomic_as(&self.real, bytes, owner)?)
    }

    /// Serializes `keyring`, checks that the bytes load back, and writes them.
    fn write_keyring(&self, keyring: &Keyring) -> Result<(), StoreError> {
        let bytes = keyring.to_json();
        Keyring::from_json(&bytes).map_err(|source| StoreError::WouldNotLoad {
            path: self.given.clone(),
            source,
        })?;
        self.write(&bytes)
    }

    /// The existing keyring must belong to us before we replace it (its
    /// owner is kept, and our secrets must not land in someone else's file).
    fn check_owner(&self, meta: &fs::Metadata) -> Result<(), StoreError> {
        let privacy = Privacy {
            allow_group_other: true,
            owners: Owners::Me,
        };
        Ok(fsio::check_private(&self.given, meta, &privacy)?)
    }
}

/// Creates a new keyring file (existence checked under the lock). Refuses
/// to replace an existing one unless `force`.
pub fn create(path: &Path, keyring: &Keyring, force: bool) -> Result<(), StoreError> {
    let file = LockedFile::lock(path, true)?;
    if let Some(meta) = file.existing()? {
        if !force {
            return Err(StoreError::Exists {
                path: path.to_path_buf(),
            });
        }
        file.check_owner(&meta)?;
    }
    file.write_keyring(keyring)
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
    create_or_update(
        path,
        opts,
        || {
            Err(StoreError::NotFound {
                path: path.to_path_buf(),
            }
            .into())
        },
        change,
    )
}

/// Under the write lock: when the keyring does not exist, `create` makes
/// one and it is written; otherwise it is loaded, `change` applied, and the
/// result written if `change` says so. Existence is decided under the lock,
/// so concurrent creators never both create.
pub fn create_or_update<T, E>(
    path: &Path,
    opts: &LoadOptions,
    create: impl FnOnce() -> Result<(T, Keyring), E>,
    change: impl FnOnce(&mut Keyring) -> Result<(T, bool), E>,
) -> Result<T, E>
where
    E: From<StoreError>,
{
    let file = LockedFile::lock(path, true)?;
    if file.existing()?.is_none() {
        let (value, keyring) = create()?;
        file.write_keyring(&keyring)?;
        return Ok(value);
    }
    let (mut keyring, _) = load_with(file.real_path(), opts, Owners::Me).map_err(|e| match e {
        // name the file as the user did
        StoreError::Model { source, .. } => StoreError::Model {
            path: path.to_path_buf(),
            source,
        },
        e => e,
    })?;
    let (value, modified) = change(&mut keyring)?;
    if modified {
        file.write_keyring(&keyring)?;
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fsio::TEMP_SUFFIX;
    use crate::secret::Origin;
    use crate::secretmem::SecretBytes;
    use crate::token::TokenSpec;
    use std::os::unix::fs::PermissionsExt;
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
            )
            .unwrap();
            Err(StoreError::Exists { path: p.clone() })
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

    #[test]
    fn a_keyring_reached_through_a_link_is_written_in_place_of_its_target() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("real")).unwrap();
        let target = dir.path().join("real/k.json");
        create(&target, &keyring(), false).unwrap();
        let link = dir.path().join("k.json");
        std::os::unix::fs::symlink("real/k.json", &link).unwrap();
        update(&link, &LoadOptions::default(), |k| {
            k.prune(SystemTime::now());
            Ok::<_, StoreError>(((), true))
        })
        .unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert!(dir.path().join("real/k.json.lock").exists());
        load(&target, &LoadOptions::default()).unwrap();
    }
}
