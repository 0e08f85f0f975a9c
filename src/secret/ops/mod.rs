//! The secret operations as typed requests and outcomes: [`generate`],
//! [`rotate`], [`import`], [`prune`], [`derive`], [`export`] and [`list`].
//!
//! Every decision lives here (when to rotate, where an adopted secret goes,
//! when an export may replace a file); the CLI parses arguments into a
//! request and renders the outcome, and timers, tests and other programs
//! call the same functions. Each write happens under the keyring's lock
//! (see [`super::store`]), with existence decided under the lock, and never
//! writes a keyring that would not load.

mod adopt;
mod export;
mod list;
mod prune;
mod read;
mod rotate;

pub use adopt::{
    derive, import, AdoptOutcome, Adopted, DeriveOutcome, DeriveRequest, ImportOutcome,
    ImportRequest, Placement,
};
pub use export::{
    encode_secret, export, export_decision, export_lock_path, format_name, identify, run_hook,
    ExportDecision, ExportOutcome, ExportRequest, Exported, HookStatus, OnChangeRun, Replaced,
    StdoutRefusal,
};
pub use list::{export_states, list};
pub use prune::{prune, PruneOutcome, PruneRequest};
pub use read::{
    check_secret_size, decode_secret, random_secret, read_secret_file, read_secret_stream,
    target_owners,
};
pub use rotate::{
    generate, rotate, GenerateOutcome, GenerateRequest, PlannedGeneration, RotateOutcome,
    RotateRequest,
};

use std::fmt;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use zeroize::Zeroizing;

use super::deploy::{self, DeployError, ExportRecord};
use super::derive::{derive_member_secret, DeriveError};
use super::keyring::{Generation, Keyring, ModelError, MAX_SECRET_BYTES, MIN_SECRET_BYTES};
use super::manifest::{ExportState, GenerationMeta, Manifest};
use super::store::{self, LoadOptions, LockedFile, StoreError};
use super::target::{Mismatch, Target};
use super::{fingerprint, weakness, Origin, Weakness};
use crate::encoding::{self, ByteFormat};
use crate::fsio::{self, FileError, Owners, Privacy};
use crate::secretmem::SecretBytes;
use crate::timefmt::{self, TimeError};
use crate::token::{Profile, ProfileError, TokenSpec};

/// How long a replaced generation stays valid when `--overlap` is not given
/// (and the target, if any, can hold more than one secret).
pub const DEFAULT_OVERLAP: Duration = Duration::from_secs(86_400);

/// Why an operation failed. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum OpError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path}: {source}")]
    Model { path: PathBuf, source: ModelError },
    #[error("{what} is {n} bytes: QCD secrets must be {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes (32 or more recommended)")]
    SecretSize { what: String, n: usize },
    #[error("the operating system's random number generator failed: {0}")]
    Random(getrandom::Error),
    #[error(transparent)]
    Spec(#[from] ProfileError),
    #[error(transparent)]
    Derive(#[from] DeriveError),
    #[error(transparent)]
    Time(#[from] TimeError),
    #[error("{path} does not exist, and a new keyring needs an active generation: import with --as active, or create the keyring first with `qcd secret generate`")]
    PreviousNeedsKeyring { path: PathBuf },
    #[error(
        "{path} has no generation {id} (its {count} generation ids run from {first} to {last})"
    )]
    NoSuchGeneration {
        path: PathBuf,
        id: u32,
        count: usize,
        first: u32,
        last: u32,
    },
    #[error("generation {id} was destroyed by prune: its secret no longer exists")]
    Destroyed { id: u32 },
    #[error("{path} holds a secret that is no generation of this keyring: refusing to replace it (pass --force to overwrite; the daemon's old secret will be lost){}", conflict_hint(*target, path))]
    ExportConflict {
        path: PathBuf,
        target: Option<Target>,
    },
    #[error("{path}: {mismatch}. Make a keyring for {target} with `qcd secret generate --for {target} -k NEW.json`, or move this one with `qcd secret rotate -k {path} --bytes {bytes} --profile {profile} --length {length}` (then --for {target} fits)", target = mismatch.target, bytes = mismatch.target.spec().secret_bytes, profile = mismatch.target.spec().profile, length = mismatch.target.spec().token_length)]
    NotForTarget { path: PathBuf, mismatch: Mismatch },
    #[error("{given} conflicts with --for {target}, which uses {wanted}: drop {option}")]
    TargetConflict {
        target: Target,
        option: &'static str,
        given: String,
        wanted: String,
    },
    #[error("{} reads one secret at start-up and cannot accept the old secret's tokens once it has the new one, so --overlap has no meaning for it: drop --overlap (the replaced generation expires at once; a graceful restart that deletes the SAs is what keeps peers safe)", target.spec().daemon)]
    OverlapSingleKey { target: Target },
    #[error("{} reads one secret: it has no previous secret to import into; import with --as active", target.spec().daemon)]
    PreviousSingleKey { target: Target },
    #[error("the secret from {from} is {n} bytes: {target} reads exactly {wanted}")]
    TargetSecretSize {
        from: String,
        n: usize,
        target: Target,
        wanted: usize,
    },
    #[error("the secret from {from} looks weak ({}): refusing to import it. Generate a random one with `qcd secret generate` or `qcd secret rotate`, or pass --allow-weak if you really must keep it", weakness.describe())]
    WeakSecret { from: String, weakness: Weakness },
    #[error("--root and --keyring name the same file ({path}): a member's secret is derived from the root and kept in its own keyring. Give the member keyring another path, e.g. --keyring {member}.json")]
    DeriveIntoRoot { path: PathBuf, member: String },
    #[error("{path} holds secrets derived for member {other}, not {member}: each member needs its own keyring (e.g. --keyring {member}.json); pass --force to recreate {path} for {member} (losing {other}'s generations)")]
    OtherMember {
        path: PathBuf,
        other: String,
        member: String,
    },
    #[error(
        "--format is required (raw, hex or base64), or --for TARGET, which implies its format"
    )]
    NoFormat,
    #[error("the user {name} does not exist here{}: pass --owner USER, the account the daemon reads the file as", for_target.map(|t| format!(" ({} reads its secret as {name}: is it installed?)", t.spec().daemon)).unwrap_or_default())]
    NoSuchUser {
        name: String,
        for_target: Option<Target>,
    },
    #[error(transparent)]
    Deploy(#[from] DeployError),
    #[error("the secret file {path} does not exist")]
    NoSecretFile { path: PathBuf },
    #[error(transparent)]
    File(FileError),
    #[error("the secret from {from}: {reason}")]
    Decode { from: String, reason: String },
}

impl From<FileError> for OpError {
    fn from(e: FileError) -> Self {
        OpError::Store(e.into())
    }
}

fn conflict_hint(target: Option<Target>, path: &Path) -> String {
    match target {
        Some(t) => format!(
            ". {} {}; if it did, import its secret to keep its tokens valid (`qcd secret import --for {t} --in {}`) or export with --force and restart it",
            t.spec().daemon,
            t.spec().bad_file,
            path.display()
        ),
        None => String::new(),
    }
}

fn model(path: &Path) -> impl FnOnce(ModelError) -> OpError + '_ {
    move |source| OpError::Model {
        path: path.to_path_buf(),
        source,
    }
}

/// The token spec a new generation asks for, relative to a base spec (the
/// active generation's, or the default for a new keyring).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SpecRequest {
    /// The profile [default: the base's].
    pub profile: Option<Profile>,
    /// The token length [default: the base's, or the profile's default when the profile changes].
    pub length: Option<usize>,
    /// Bind tokens to the taker's address (also kept when the base has it and the profile is unchanged).
    pub bind_taker_addr: bool,
}

impl SpecRequest {
    /// The spec these choices give, starting from `base`.
    pub fn resolve(&self, base: TokenSpec) -> Result<TokenSpec, ProfileError> {
        let profile = self.profile.unwrap_or(base.profile);
        let length = match (self.length, self.profile) {
            (Some(l), _) => l,
            (None, Some(p)) if p != base.profile => p.default_len(),
            _ => base.length,
        };
        let mut spec = TokenSpec::with_length(profile, length)?;
        spec.taker_addr = self.bind_taker_addr || (self.profile.is_none() && base.taker_addr);
        Ok(spec)
    }
}

// ----------------------------------------------------------------- notices

/// Something the user should know about what an operation did (or would
/// do); the operation itself succeeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// `--overlap 0`: the replaced generation expires at once, and every
    /// token peers hold from it stops matching now.
    NoOverlap { replaced: u32 },
    /// `--profile` without `--bind-taker-addr` on a keyring whose active
    /// generation binds tokens to the taker address: the new one does not.
    TakerAddrDropped { profile: Profile },
    /// A single-key daemon takes the new secret only when it restarts.
    SingleKey { target: Target, stage: Stage },
    /// The export replaced a newer generation with an older one.
    Rollback { from: u32, to: u32 },
}

impl Notice {
    /// Warnings ask for attention; the others are information.
    pub fn is_warning(&self) -> bool {
        !matches!(
            self,
            Notice::SingleKey {
                stage: Stage::Restarted,
                ..
            }
        )
    }
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Notice::NoOverlap { replaced } => write!(
                f,
                "--overlap 0: generation {replaced} expires at once, so every token peers hold from it stops matching now; a gateway that reboots before its peers rekey fails crash detection (use an overlap of at least the longest IKE SA lifetime)"
            ),
            Notice::TakerAddrDropped { profile } => write!(
                f,
                "the active generation binds tokens to the taker address, the new {profile} one does not (--profile starts from the profile's defaults): add --bind-taker-addr to keep the binding"
            ),
            Notice::SingleKey {
                target,
                stage: Stage::Keyring,
            } => {
                let s = target.spec();
                write!(
                    f,
                    "{} reads its secret only at start-up: the new secret takes effect when it restarts, and then every token peers hold from the old secret stops matching. Export it and restart {} at once with a graceful restart that deletes its SAs (peers re-establish and get new tokens), e.g. `qcd secret export --for {target} --on-change '{}'`; a crash before that restart defeats QCD",
                    s.daemon,
                    s.name,
                    target.restart_command()
                )
            }
            Notice::SingleKey {
                target,
                stage: Stage::File,
            } => write!(
                f,
                "{} still runs its old secret: it reads the file only at start-up. Restart it now with a graceful restart that deletes its SAs ({}; or export with --on-change to do it), so that peers re-establish and get tokens of the new secret; a crash before that restart defeats QCD",
                target.spec().daemon,
                target.restart_command()
            ),
            Notice::SingleKey {
                target,
                stage: Stage::Restarted,
            } => write!(
                f,
                "{} restarted with the new secret: peers whose SAs it deleted re-establish and get new tokens",
                target.spec().daemon
            ),
            Notice::Rollback { from, to } => write!(
                f,
                "the file held generation {from}; it now holds the older generation {to}"
            ),
        }
    }
}

/// Where a new secret for a single-key daemon is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// In the keyring (rotate, import): not exported yet.
    Keyring,
    /// In the daemon's file, but no `--on-change` command restarted the daemon.
    File,
    /// In the daemon's file, and the `--on-change` command (the restart) succeeded.
    Restarted,
}

/// The overlap an operation uses: none for a single-key target (where
/// `--overlap` is refused), else the one given or [`DEFAULT_OVERLAP`].
fn resolve_overlap(target: Option<Target>, given: Option<Duration>) -> Result<Duration, OpError> {
    match (target, given) {
        (Some(t), Some(_)) if t.spec().single_key => Err(OpError::OverlapSingleKey { target: t }),
        (Some(t), None) if t.spec().single_key => Ok(Duration::ZERO),
        (_, g) => Ok(g.unwrap_or(DEFAULT_OVERLAP)),
    }
}

/// The secret size and token spec of a new generation made `--for` a
/// target: the target's, with any conflicting option refused.
fn target_choices(
    target: Target,
    spec: &SpecRequest,
    bytes: Option<usize>,
) -> Result<(TokenSpec, usize), OpError> {
    let s = target.spec();
    let conflict = |option: &'static str, given: String, wanted: String| {
        Err(OpError::TargetConflict {
            target,
            option,
            given,
            wanted,
        })
    };
    if let Some(b) = bytes.filter(|&b| b != s.secret_bytes) {
        return conflict(
            "--bytes",
            format!("--bytes {b}"),
            format!("{}-byte secrets", s.secret_bytes),
        );
    }
    if let Some(p) = spec.profile.filter(|&p| p != s.profile) {
        return conflict("--profile", format!("--profile {p}"), s.profile.to_string());
    }
    if let Some(l) = spec.length.filter(|&l| l != s.token_length) {
        return conflict(
            "--length",
            format!("--length {l}"),
            format!("{}-byte tokens", s.token_length),
        );
    }
    if spec.bind_taker_addr {
        return conflict(
            "--bind-taker-addr",
            "--bind-taker-addr".into(),
            "tokens not bound to the taker address".into(),
        );
    }
    Ok((target.token_spec(), s.secret_bytes))
}

/// Checks that generation `g` fits `target` (when given).
fn check_fits(path: &Path, target: Option<Target>, g: &Generation) -> Result<(), OpError> {
    match target {
        Some(t) => t
            .check(g.id, g.secret_len, &g.spec)
            .map_err(|mismatch| OpError::NotForTarget {
                path: path.to_path_buf(),
                mismatch,
            }),
        None => Ok(()),
    }
}
