//! The manifest: what `qcd secret list --json` prints about a keyring — every
//! generation's metadata, fingerprints and the file's mode and owner, never a
//! secret. Config management collects it from each gateway, and `qcd audit`
//! reads it, so a fleet is audited without copying secrets to one place.

use std::path::Path;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::keyring::{Generation, Keyring, Origin, State};
use super::store::FileInfo;
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
