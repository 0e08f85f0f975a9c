//! The manifest: what `qcd secret list --json` prints about a keyring — every
//! generation's metadata, fingerprints and the file's mode and owner, never a
//! secret. Config management collects it from each gateway, and `qcd audit`
//! reads it, so a fleet is audited without copying secrets to one place.

use std::path::Path;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::deploy::ExportRecord;
use super::keyring::{Generation, Keyring, Origin};
use super::store::FileInfo;
use super::State;
use super::{weakness, Weakness};
use crate::timefmt;

pub const MANIFEST_FORMAT: &str = "qcd-manifest";
pub const MANIFEST_VERSION: u32 = 1;

/// `qcd secret list --json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always `qcd-manifest`.
    pub format: String,
    /// Manifest format version (1).
    pub version: u32,
    /// The keyring's path as given to `qcd secret list`.
    pub keyring: String,
    /// The host name of the machine that listed it, when known.
    pub host: Option<String>,
    /// When the list was made (RFC 3339 UTC); states are computed as of this time.
    pub listed_at: String,
    /// The keyring file's permissions and owner.
    pub file: FileMeta,
    pub generations: Vec<GenerationMeta>,
    /// The daemon files this keyring was exported to, from its exports
    /// record (`KEYRING.exports`, see [`super::deploy`]); empty when none.
    #[serde(default)]
    pub exports: Vec<ExportState>,
}

/// One exported file as the manifest shows it: the exports record's entry
/// and what the file holds now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportState {
    pub file: String,
    /// The `--for` target (`rockhopper`, `racoon2`), or null.
    pub target: Option<String>,
    pub format: String,
    /// The generation qcd last exported there, and its fingerprint.
    pub generation: u32,
    pub fingerprint: String,
    /// When qcd last changed the file.
    pub written: String,
    pub on_change: Option<String>,
    /// When the `--on-change` command (the daemon's restart) last succeeded, and
    /// the fingerprint of what the file held then: what the daemon started with.
    pub daemon_started: Option<String>,
    pub daemon_fingerprint: Option<String>,
    /// The last `--on-change` command failed (and how); the next export retries it.
    pub restart_pending: bool,
    pub on_change_failed: Option<String>,
    /// The fingerprint of what the file holds now; null when it could not be read.
    pub file_fingerprint: Option<String>,
}

impl ExportState {
    /// The record's entry, with what the file holds now.
    pub fn new(r: ExportRecord, file_fingerprint: Option<String>) -> Self {
        ExportState {
            file: r.file,
            target: r.target,
            format: r.format,
            generation: r.generation,
            fingerprint: r.fingerprint,
            written: r.written,
            on_change: r.on_change,
            daemon_started: r.daemon_started,
            daemon_fingerprint: r.daemon_fingerprint,
            restart_pending: r.restart_pending,
            on_change_failed: r.on_change_failed,
            file_fingerprint,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileMeta {
    /// Permission bits in octal, e.g. "0600".
    pub mode: String,
    pub uid: u32,
    pub gid: u32,
    /// The owner's user name, when it could be resolved.
    pub owner: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenerationMeta {
    pub id: u32,
    /// As of `listed_at`: active, previous, expired or destroyed.
    pub state: State,
    pub created: String,
    pub expires: Option<String>,
    pub fingerprint: String,
    pub secret_bytes: usize,
    pub profile: String,
    pub token_length: usize,
    pub taker_addr: bool,
    pub origin: Origin,
    /// A visible weakness of the secret (`repeated-byte`, `repeating-pattern`), or null.
    pub weak: Option<Weakness>,
}

impl FileMeta {
    pub fn from_info(info: FileInfo) -> Self {
        FileMeta {
            mode: format!("{:04o}", info.mode),
            uid: info.uid,
            gid: info.gid,
            owner: user_name(info.uid),
        }
    }

    /// The permission bits, if `mode` is valid octal.
    pub fn mode_bits(&self) -> Option<u32> {
        u32::from_str_radix(&self.mode, 8).ok()
    }
}

impl GenerationMeta {
    /// The metadata of `g` as of `now`; never the secret.
    pub fn from_generation(g: &Generation, now: SystemTime) -> Self {
        GenerationMeta {
            id: g.id,
            state: g.state_at(now),
            created: timefmt::format_rfc3339(g.created),
            expires: g.expires.map(timefmt::format_rfc3339),
            fingerprint: g.fingerprint.clone(),
            secret_bytes: g.secret_len,
            profile: g.spec.profile.name().to_string(),
            token_length: g.spec.length,
            taker_addr: g.spec.taker_addr,
            origin: g.origin.clone(),
            weak: g.secret().and_then(|s| weakness(s.expose())),
        }
    }
}

impl Manifest {
    pub fn from_keyring(keyring: &Keyring, path: &Path, info: FileInfo, now: SystemTime) -> Self {
        Manifest {
            format: MANIFEST_FORMAT.to_string(),
            version: MANIFEST_VERSION,
            keyring: path.display().to_string(),
            host: host_name(),
            listed_at: timefmt::format_rfc3339(now),
            file: FileMeta::from_info(info),
            generations: keyring
                .generations()
                .iter()
                .map(|g| GenerationMeta::from_generation(g, now))
                .collect(),
            exports: Vec::new(),
        }
    }
}

fn host_name() -> Option<String> {
    let read = |p: &str| crate::fsio::read_string(Path::new(p), &crate::fsio::SYSTEM_FILE);
    read("/proc/sys/kernel/hostname")
        .or_else(|_| read("/etc/hostname"))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn user_name(uid: u32) -> Option<String> {
    crate::fsio::user_name(uid)
}
