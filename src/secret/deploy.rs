//! What qcd knows about the daemon files a keyring was exported to: the
//! *exports record*, a small JSON file beside the keyring
//! (`KEYRING.exports`, mode 0600, written atomically under its own lock).
//! It holds fingerprints and times, never a secret.
//!
//! `qcd secret export --out FILE` records, for each FILE: the target, the
//! generation and fingerprint written, when the file last changed, the
//! `--on-change` command, and — when that command succeeded — when it ran
//! and what the file held then: for a restart command, what the daemon
//! started with. A failed command leaves `restart_pending` set, and the next
//! export runs the command again even if the file did not change.
//!
//! `qcd secret list` copies the records into the manifest (`exports`), with
//! the fingerprint of what each file holds now, so that `qcd audit` can tell
//! a single-key daemon running an old secret (rule QCD012).
//!
//! ```json
//! {
//!   "format": "qcd-exports",
//!   "version": 1,
//!   "exports": [
//!     { "file": "/home/rhpprotected/config/qcd_secret", "target": "rockhopper",
//!       "format": "raw", "generation": 3, "fingerprint": "8fbd9bfce6cf2311",
//!       "written": "2026-12-23T09:00:00Z",
//!       "on_change": "systemctl restart rockhopper.service",
//!       "daemon_started": "2026-12-23T09:00:01Z",
//!       "daemon_fingerprint": "8fbd9bfce6cf2311",
//!       "restart_pending": false, "on_change_failed": null }
//!   ]
//! }
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::store::{LockedFile, StoreError};
use crate::fsio::{self, FileError, Owners, Privacy};

pub const EXPORTS_FORMAT: &str = "qcd-exports";
pub const EXPORTS_VERSION: u32 = 1;

/// One exported file, as the exports record keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportRecord {
    /// The file, as given to `--out` (or the target's default path).
    pub file: String,
    /// The `--for` target, or null.
    pub target: Option<String>,
    /// `raw`, `hex` or `base64`.
    pub format: String,
    /// The generation last exported there, and its fingerprint.
    pub generation: u32,
    pub fingerprint: String,
    /// When qcd last changed the file (or first found it holding the secret).
    pub written: String,
    /// The `--on-change` command of the last export that had one.
    pub on_change: Option<String>,
    /// When the `--on-change` command last succeeded: for a restart
    /// command, when the daemon started with the file's content.
    pub daemon_started: Option<String>,
    /// The fingerprint of what the file held then: what the daemon started with.
    pub daemon_fingerprint: Option<String>,
    /// The last `--on-change` command failed: the next export runs it again.
    pub restart_pending: bool,
    /// How it failed (e.g. "exit status 3"), while `restart_pending`.
    pub on_change_failed: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportsFile {
    format: String,
    version: u32,
    exports: Vec<ExportRecord>,
}

/// The exports record of a keyring could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path}: not a qcd exports record ({reason}); it holds no secret: remove it and export again to rebuild it")]
    Malformed { path: PathBuf, reason: String },
}

impl From<FileError> for DeployError {
    fn from(e: FileError) -> Self {
        DeployError::Store(e.into())
    }
}

/// The exports record that belongs to `keyring`: `KEYRING.exports`.
pub fn record_path(keyring: &Path) -> PathBuf {
    let mut name = keyring.file_name().unwrap_or_default().to_os_string();
    name.push(".exports");
    keyring.with_file_name(name)
}

fn parse(path: &Path, bytes: &[u8]) -> Result<Vec<ExportRecord>, DeployError> {
    let file: ExportsFile = serde_json::from_slice(bytes).map_err(|e| DeployError::Malformed {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    if file.format != EXPORTS_FORMAT || file.version != EXPORTS_VERSION {
        return Err(DeployError::Malformed {
            path: path.to_path_buf(),
            reason: format!(
                "format {:?} version {}, expected {EXPORTS_FORMAT:?} version {EXPORTS_VERSION}",
                file.format, file.version
            ),
        });
    }
    Ok(file.exports)
}

/// Reads the exports record of `keyring` (owned by one of `owners`); an
/// empty list when there is none.
pub fn load(keyring: &Path, owners: Owners) -> Result<Vec<ExportRecord>, DeployError> {
    let path = record_path(keyring);
    let privacy = Privacy {
        allow_group_other: true,
        owners,
    };
    match fsio::read_private(&path, &fsio::MANIFEST, &privacy) {
        Ok((bytes, _)) => parse(&path, &bytes),
        Err(FileError::NotFound { .. }) => Ok(Vec::new()),
        Err(e) => Err(e.into()),
    }
}

/// Under the record's lock: reads it, lets `change` edit the entry for
/// `file` (`None` when there is none yet; set it to `None` to drop it), and
/// writes the record back when the entry changed.
pub fn update<T>(
    keyring: &Path,
    file: &str,
    change: impl FnOnce(&mut Option<ExportRecord>) -> T,
) -> Result<T, DeployError> {
    let path = record_path(keyring);
    let locked = LockedFile::lock(&path, true)?;
    let mut records = match locked.read(&fsio::MANIFEST)? {
        Some(bytes) => parse(&path, &bytes)?,
        None => Vec::new(),
    };
    let at = records.iter().position(|r| r.file == file);
    let mut entry = at.map(|i| records[i].clone());
    let before = entry.clone();
    let value = change(&mut entry);
    if entry != before {
        match (at, entry) {
            (Some(i), Some(e)) => records[i] = e,
            (Some(i), None) => {
                records.remove(i);
            }
            (None, Some(e)) => records.push(e),
            (None, None) => {}
        }
        let file = ExportsFile {
            format: EXPORTS_FORMAT.to_string(),
            version: EXPORTS_VERSION,
            exports: records,
        };
        let mut bytes =
            serde_json::to_vec_pretty(&file).expect("serializing to memory cannot fail");
        bytes.push(b'\n');
        locked.write(&bytes)?;
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(file: &str) -> ExportRecord {
        ExportRecord {
            file: file.into(),
            target: Some("rockhopper".into()),
            format: "raw".into(),
            generation: 1,
            fingerprint: "0011223344556677".into(),
            written: "2026-01-01T00:00:00Z".into(),
            on_change: None,
            daemon_started: None,
            daemon_fingerprint: None,
            restart_pending: false,
            on_change_failed: None,
        }
    }

    #[test]
    fn records_round_trip_and_only_changes_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let k = dir.path().join("k.json");
        assert!(load(&k, Owners::Me).unwrap().is_empty());
        update(&k, "/a", |e| *e = Some(record("/a"))).unwrap();
        update(&k, "/b", |e| *e = Some(record("/b"))).unwrap();
        let path = record_path(&k);
        assert_eq!(path, dir.path().join("k.json.exports"));
        let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let seen = update(&k, "/a", |e| e.clone()).unwrap();
        assert_eq!(seen, Some(record("/a")));
        assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), mtime);
        update(&k, "/a", |e| e.as_mut().unwrap().generation = 2).unwrap();
        let all = load(&k, Owners::Me).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].generation, 2);
        assert_eq!(all[1], record("/b"));
        std::fs::write(&path, b"{\"format\": \"qcd-keyring\"}").unwrap();
        let e = load(&k, Owners::Me).unwrap_err().to_string();
        assert!(e.contains("not a qcd exports record"), "{e}");
        assert!(e.contains("remove it"), "{e}");
    }
}
