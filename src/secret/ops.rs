//! The secret operations as typed requests and outcomes: [`generate`],
//! [`rotate`], [`import`], [`prune`], [`derive`], [`export`] and [`list`].
//!
//! Every decision lives here (when to rotate, where an adopted secret goes,
//! when an export may replace a file); the CLI parses arguments into a
//! request and renders the outcome, and timers, tests and other programs
//! call the same functions. Each write happens under the keyring's lock
//! (see [`super::store`]), with existence decided under the lock, and never
//! writes a keyring that would not load.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use zeroize::Zeroizing;

use super::derive::{derive_member_secret, DeriveError};
use super::keyring::{Keyring, ModelError, MAX_SECRET_BYTES, MIN_SECRET_BYTES};
use super::manifest::{GenerationMeta, Manifest};
use super::store::{self, LoadOptions, LockedFile, StoreError};
use super::{fingerprint, weakness, Origin, SecretBytes, Weakness};
use crate::encoding::{self, ByteFormat};
use crate::fsio::{self, FileError, Owners, Privacy};
use crate::timefmt::TimeError;
use crate::token::{Profile, ProfileError, TokenSpec};

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
    #[error("{path} exists and holds a different secret: refusing to replace it (pass --force to overwrite; the daemon's old secret will be lost)")]
    ExportConflict { path: PathBuf },
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

/// Checks a secret size: 16 to 1024 bytes.
pub fn check_secret_size(n: usize, what: &str) -> Result<(), OpError> {
    if !(MIN_SECRET_BYTES..=MAX_SECRET_BYTES).contains(&n) {
        return Err(OpError::SecretSize {
            what: what.to_string(),
            n,
        });
    }
    Ok(())
}

/// `n` random bytes from the OS CSPRNG, after checking the size.
pub fn random_secret(n: usize) -> Result<SecretBytes, OpError> {
    check_secret_size(n, "the requested secret")?;
    SecretBytes::random(n).map_err(OpError::Random)
}

/// Reads a secret file for `import --in`: a regular file of ours, private
/// unless `opts` allows otherwise, at most [`fsio::SECRET_FILE`] bytes.
pub fn read_secret_file(path: &Path, opts: &LoadOptions) -> Result<Zeroizing<Vec<u8>>, OpError> {
    let privacy = Privacy {
        allow_group_other: opts.allow_insecure_permissions,
        owners: Owners::Me,
    };
    match fsio::read_private(path, &fsio::SECRET_FILE, &privacy) {
        Ok((bytes, _)) => Ok(bytes),
        Err(FileError::NotFound { .. }) => Err(OpError::NoSecretFile {
            path: path.to_path_buf(),
        }),
        Err(e) => Err(OpError::File(e)),
    }
}

/// Reads a secret from a stream (stdin), at most [`fsio::SECRET_FILE`] bytes.
pub fn read_secret_stream(reader: impl Read, name: &str) -> Result<Zeroizing<Vec<u8>>, OpError> {
    Ok(fsio::read_bounded(
        reader,
        Path::new(name),
        0,
        &fsio::SECRET_FILE,
    )?)
}

/// Decodes an encoded secret read from `source` and checks its size.
pub fn decode_secret(format: ByteFormat, raw: &[u8], source: &str) -> Result<SecretBytes, OpError> {
    let decoded = encoding::decode(format, raw).map_err(|e| OpError::Decode {
        from: source.to_string(),
        reason: e.to_string(),
    })?;
    let secret = SecretBytes::new(decoded);
    check_secret_size(secret.len(), &format!("the secret from {source}"))?;
    Ok(secret)
}

// ---------------------------------------------------------------- generate

/// `qcd secret generate`.
#[derive(Debug, Clone)]
pub struct GenerateRequest {
    pub keyring: PathBuf,
    /// Secret length in bytes (16 to 1024).
    pub bytes: usize,
    pub spec: SpecRequest,
    /// Replace an existing keyring (its secrets are lost).
    pub force: bool,
}

/// What [`generate`] made.
#[derive(Debug, Clone)]
pub struct GenerateOutcome {
    pub generation: GenerationMeta,
}

/// Creates a keyring whose generation 1 is a fresh random secret.
pub fn generate(req: &GenerateRequest, now: SystemTime) -> Result<GenerateOutcome, OpError> {
    let spec = req.spec.resolve(TokenSpec::default())?;
    let keyring = Keyring::new(random_secret(req.bytes)?, spec, now, Origin::Generated);
    store::create(&req.keyring, &keyring, req.force)?;
    Ok(GenerateOutcome {
        generation: GenerationMeta::from_generation(keyring.active(), now),
    })
}

// ------------------------------------------------------------------ rotate

/// `qcd secret rotate`.
#[derive(Debug, Clone)]
pub struct RotateRequest {
    pub keyring: PathBuf,
    pub load: LoadOptions,
    /// How long the old active generation stays valid as previous.
    pub overlap: Duration,
    /// Rotate only if the active generation is at least this old.
    pub if_older_than: Option<Duration>,
    /// Decide, but write nothing.
    pub dry_run: bool,
    /// Secret length of the new generation [default: the active one's].
    pub bytes: Option<usize>,
    pub spec: SpecRequest,
}

/// A generation a dry run would create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedGeneration {
    pub id: u32,
    pub secret_bytes: usize,
    pub spec: TokenSpec,
}

/// What [`rotate`] did (or, in a dry run, would do).
#[derive(Debug, Clone)]
pub enum RotateOutcome {
    /// A new active generation; the old one is previous until its `expires`.
    Rotated {
        generation: GenerationMeta,
        previous: GenerationMeta,
    },
    /// Dry run: what a real run would make.
    WouldRotate {
        planned: PlannedGeneration,
        /// The active generation, which would become previous…
        previous: GenerationMeta,
        /// …until then.
        previous_expires: SystemTime,
    },
    /// `if_older_than` not reached: nothing changed.
    NotDue {
        active: GenerationMeta,
        age: Duration,
        min_age: Duration,
    },
}

/// Makes a new active generation unless the active one is younger than
/// `if_older_than`.
pub fn rotate(req: &RotateRequest, now: SystemTime) -> Result<RotateOutcome, OpError> {
    let path = &req.keyring;
    // The decision, the same for a dry run and a real one.
    let plan =
        |k: &Keyring| -> Result<Result<(PlannedGeneration, SystemTime), RotateOutcome>, OpError> {
            let active = k.active();
            if let Some(min_age) = req.if_older_than {
                let age = active.age_at(now);
                if age < min_age {
                    return Ok(Err(RotateOutcome::NotDue {
                        active: GenerationMeta::from_generation(active, now),
                        age,
                        min_age,
                    }));
                }
            }
            let spec = req.spec.resolve(active.spec)?;
            let secret_bytes = req.bytes.unwrap_or(active.secret_len);
            check_secret_size(secret_bytes, "the new secret")?;
            let id = k.next_id().map_err(model(path))?;
            let expires = Keyring::expiry(now, req.overlap).map_err(model(path))?;
            Ok(Ok((
                PlannedGeneration {
                    id,
                    secret_bytes,
                    spec,
                },
                expires,
            )))
        };
    if req.dry_run {
        let k = store::load(path, &req.load)?;
        return Ok(match plan(&k)? {
            Err(not_due) => not_due,
            Ok((planned, previous_expires)) => RotateOutcome::WouldRotate {
                planned,
                previous: GenerationMeta::from_generation(k.active(), now),
                previous_expires,
            },
        });
    }
    store::update(path, &req.load, |k| {
        let planned = match plan(k)? {
            Err(not_due) => return Ok((not_due, false)),
            Ok((planned, _)) => planned,
        };
        let old = k.active().id;
        let secret = random_secret(planned.secret_bytes)?;
        let id = k
            .rotate(secret, planned.spec, now, req.overlap, Origin::Generated)
            .map_err(model(path))?;
        let meta = |id| GenerationMeta::from_generation(k.generation(id).expect("exists"), now);
        Ok::<_, OpError>((
            RotateOutcome::Rotated {
                generation: meta(id),
                previous: meta(old),
            },
            true,
        ))
    })
}

// ----------------------------------------------------------- import/derive

/// Where an adopted secret goes when the keyring exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// New active generation; the old active one becomes previous.
    Active,
    /// A previous generation expiring after the overlap.
    Previous,
}

/// How an adopted secret (imported or derived) reached the keyring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adopted {
    /// The keyring did not exist and was created with the secret as generation 1.
    Created,
    /// A generation already had the secret; nothing changed.
    Present,
    /// The secret was added to the existing keyring.
    Added,
}

/// What [`import`] or [`derive`] did.
#[derive(Debug, Clone)]
pub struct AdoptOutcome {
    pub adopted: Adopted,
    /// The generation holding the secret.
    pub generation: GenerationMeta,
    /// With `Added` as active: the generation that became previous.
    pub previous: Option<GenerationMeta>,
}

impl AdoptOutcome {
    /// Whether the keyring file was written.
    pub fn changed(&self) -> bool {
        self.adopted != Adopted::Present
    }
}

/// Puts `secret` into the keyring: creates it (replacing it when
/// `recreate`) or, when it exists, adds the secret unless a generation
/// already has its fingerprint. All under the lock.
#[allow(clippy::too_many_arguments)]
fn adopt(
    path: &Path,
    load: &LoadOptions,
    secret: &SecretBytes,
    spec: impl Fn(TokenSpec) -> Result<TokenSpec, OpError>,
    placement: Placement,
    overlap: Duration,
    origin: &Origin,
    recreate: bool,
    now: SystemTime,
) -> Result<AdoptOutcome, OpError> {
    let create = || {
        if placement == Placement::Previous {
            return Err(OpError::PreviousNeedsKeyring {
                path: path.to_path_buf(),
            });
        }
        let k = Keyring::new(
            secret.clone(),
            spec(TokenSpec::default())?,
            now,
            origin.clone(),
        );
        let outcome = AdoptOutcome {
            adopted: Adopted::Created,
            generation: GenerationMeta::from_generation(k.active(), now),
            previous: None,
        };
        Ok((outcome, k))
    };
    if recreate {
        let (outcome, k) = create()?;
        store::create(path, &k, true)?;
        return Ok(outcome);
    }
    store::create_or_update(path, load, create, |k| {
        let fp = fingerprint(secret.expose());
        if let Some(g) = k.find_fingerprint(&fp) {
            let present = AdoptOutcome {
                adopted: Adopted::Present,
                generation: GenerationMeta::from_generation(g, now),
                previous: None,
            };
            return Ok((present, false));
        }
        let spec = spec(k.active().spec)?;
        let old = k.active().id;
        let (id, previous) = match placement {
            Placement::Active => (
                k.rotate(secret.clone(), spec, now, overlap, origin.clone()),
                Some(old),
            ),
            Placement::Previous => (
                k.add_previous(secret.clone(), spec, now, overlap, origin.clone()),
                None,
            ),
        };
        let id = id.map_err(model(path))?;
        let meta =
            |id: u32| GenerationMeta::from_generation(k.generation(id).expect("exists"), now);
        let added = AdoptOutcome {
            adopted: Adopted::Added,
            generation: meta(id),
            previous: previous.map(meta),
        };
        Ok((added, true))
    })
}

/// `qcd secret import`.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    pub keyring: PathBuf,
    pub load: LoadOptions,
    pub secret: SecretBytes,
    pub placement: Placement,
    /// How long a generation that stops being active (or the imported one, as previous) stays valid.
    pub overlap: Duration,
    pub spec: SpecRequest,
}

/// What [`import`] did, and whether the secret looks weak.
#[derive(Debug, Clone)]
pub struct ImportOutcome {
    pub outcome: AdoptOutcome,
    pub weak: Option<Weakness>,
}

/// Adds an existing secret as a new generation, creating the keyring if missing.
pub fn import(req: &ImportRequest, now: SystemTime) -> Result<ImportOutcome, OpError> {
    check_secret_size(req.secret.len(), "the imported secret")?;
    let outcome = adopt(
        &req.keyring,
        &req.load,
        &req.secret,
        |base| Ok(req.spec.resolve(base)?),
        req.placement,
        req.overlap,
        &Origin::Imported,
        false,
        now,
    )?;
    Ok(ImportOutcome {
        outcome,
        weak: weakness(req.secret.expose()),
    })
}

/// `qcd secret derive`.
#[derive(Debug, Clone)]
pub struct DeriveRequest {
    /// The root keyring (its active generation is the root secret).
    pub root: PathBuf,
    pub member: String,
    /// The member's keyring to create or update.
    pub keyring: PathBuf,
    pub load: LoadOptions,
    pub overlap: Duration,
    /// Recreate the member keyring from scratch.
    pub force: bool,
}

/// What [`derive`] did.
#[derive(Debug, Clone)]
pub struct DeriveOutcome {
    /// The root generation the secret was derived from.
    pub root_generation: u32,
    pub outcome: AdoptOutcome,
}

/// Derives a member's secret from the root keyring's active generation and
/// adopts it into the member keyring (idempotent).
pub fn derive(req: &DeriveRequest, now: SystemTime) -> Result<DeriveOutcome, OpError> {
    let root = store::load(&req.root, &req.load)?;
    let rg = root.active();
    let root_secret = rg
        .secret()
        .expect("an active generation always has its secret");
    let secret = derive_member_secret(root_secret, rg.id, &req.member)?;
    let origin = Origin::Derived {
        member: req.member.clone(),
        root_generation: rg.id,
        root_fingerprint: rg.fingerprint.clone(),
    };
    let outcome = adopt(
        &req.keyring,
        &req.load,
        &secret,
        |_| Ok(rg.spec),
        Placement::Active,
        req.overlap,
        &origin,
        req.force,
        now,
    )?;
    Ok(DeriveOutcome {
        root_generation: rg.id,
        outcome,
    })
}

// ------------------------------------------------------------------- prune

/// `qcd secret prune`.
#[derive(Debug, Clone)]
pub struct PruneRequest {
    pub keyring: PathBuf,
    pub load: LoadOptions,
    pub dry_run: bool,
}

/// What [`prune`] destroyed (or would destroy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PruneOutcome {
    pub destroyed: Vec<u32>,
}

/// Wipes the secrets of expired generations.
pub fn prune(req: &PruneRequest, now: SystemTime) -> Result<PruneOutcome, OpError> {
    let destroyed = if req.dry_run {
        store::load(&req.keyring, &req.load)?.expired_at(now)
    } else {
        store::update(&req.keyring, &req.load, |k| {
            let ids = k.prune(now);
            let changed = !ids.is_empty();
            Ok::<_, OpError>((ids, changed))
        })?
    };
    Ok(PruneOutcome { destroyed })
}

// ------------------------------------------------------------------ export

/// `qcd secret export`.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub keyring: PathBuf,
    pub load: LoadOptions,
    /// The generation to export [default: the active one].
    pub generation: Option<u32>,
    pub format: ByteFormat,
    /// Write this file instead of returning the bytes.
    pub out: Option<PathBuf>,
    /// With `out`: replace a file that holds a different secret.
    pub force: bool,
}

/// Where the exported secret went.
#[derive(Debug)]
pub enum Exported {
    /// No `out`: the encoded secret, for the caller to print.
    Bytes(Zeroizing<Vec<u8>>),
    /// Written to (or already in) a file.
    File {
        path: PathBuf,
        /// Whether the file's content changed.
        changed: bool,
        /// The loose mode (group/other bits) of a file that already held
        /// the secret, rewritten at 0600.
        fixed_mode: Option<u32>,
    },
}

/// What [`export`] did.
#[derive(Debug)]
pub struct ExportOutcome {
    /// The exported generation (its state tells an expired one).
    pub generation: GenerationMeta,
    pub exported: Exported,
}

/// How an export treats the file it would replace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportDecision {
    /// The file holds exactly these bytes.
    Unchanged,
    /// Write the file (missing, or replacement allowed).
    Write,
    /// The file holds something else and replacing it was not allowed.
    Conflict,
}

/// Decides what an export does with the existing content of its file.
/// `existing` is `None` when the file is missing and `Some(None)` when it
/// could not be read as a secret file (too large).
pub fn export_decision(existing: Option<Option<&[u8]>>, new: &[u8], force: bool) -> ExportDecision {
    match existing {
        None => ExportDecision::Write,
        Some(Some(old)) if old == new => ExportDecision::Unchanged,
        Some(_) if force => ExportDecision::Write,
        Some(_) => ExportDecision::Conflict,
    }
}

/// The secret encoded for export, in a buffer wiped on drop: raw bytes, or
/// hex/base64 text with a final newline.
pub fn encode_secret(secret: &SecretBytes, format: ByteFormat) -> Zeroizing<Vec<u8>> {
    match format {
        ByteFormat::Raw => Zeroizing::new(secret.expose().to_vec()),
        ByteFormat::Hex => {
            let mut s = Zeroizing::new(hex::encode(secret.expose()).into_bytes());
            s.push(b'\n');
            s
        }
        ByteFormat::Base64 => {
            let mut s = Zeroizing::new(encoding::encode_base64(secret.expose()).into_bytes());
            s.push(b'\n');
            s
        }
    }
}

/// Exports a generation's secret: returns the bytes, or writes `out`
/// atomically (mode 0600, under `OUT.lock`, temp files of killed exports
/// removed) unless it already holds them; a file that holds them with a
/// loose mode is rewritten at 0600.
pub fn export(req: &ExportRequest, now: SystemTime) -> Result<ExportOutcome, OpError> {
    let k = store::load(&req.keyring, &req.load)?;
    let g = match req.generation {
        Some(id) => k.generation(id).ok_or_else(|| OpError::NoSuchGeneration {
            path: req.keyring.clone(),
            id,
            count: k.generations().len(),
            first: k.generations().iter().map(|g| g.id).min().unwrap_or(0),
            last: k.max_id(),
        })?,
        None => k.active(),
    };
    let secret = g.secret().ok_or(OpError::Destroyed { id: g.id })?;
    let generation = GenerationMeta::from_generation(g, now);
    let bytes = encode_secret(secret, req.format);
    let Some(out) = &req.out else {
        return Ok(ExportOutcome {
            generation,
            exported: Exported::Bytes(bytes),
        });
    };
    let file = LockedFile::lock(out, false)?;
    let existing = match file.read(&fsio::SECRET_FILE) {
        Ok(content) => content.map(Some),
        Err(StoreError::File(FileError::TooLarge { .. })) => Some(None),
        Err(e) => return Err(e.into()),
    };
    let decision = export_decision(
        existing.as_ref().map(|c| c.as_ref().map(|b| &b[..])),
        &bytes,
        req.force,
    );
    let exported = match decision {
        ExportDecision::Conflict => {
            return Err(OpError::ExportConflict { path: out.clone() });
        }
        ExportDecision::Write => {
            file.write(&bytes)?;
            Exported::File {
                path: out.clone(),
                changed: true,
                fixed_mode: None,
            }
        }
        ExportDecision::Unchanged => {
            let mode = file
                .existing()?
                .map(|m| std::os::unix::fs::MetadataExt::mode(&m) & 0o7777)
                .unwrap_or(0o600);
            let fixed_mode = if mode & 0o077 != 0 {
                // Same bytes, loose mode: rewrite atomically at 0600.
                file.write(&bytes)?;
                Some(mode)
            } else {
                None
            };
            Exported::File {
                path: out.clone(),
                changed: false,
                fixed_mode,
            }
        }
    };
    Ok(ExportOutcome {
        generation,
        exported,
    })
}

// -------------------------------------------------------------------- list

/// The manifest of a keyring (`qcd secret list`).
pub fn list(path: &Path, load: &LoadOptions, now: SystemTime) -> Result<Manifest, OpError> {
    let (k, info) = store::load_with_info(path, load)?;
    Ok(Manifest::from_keyring(&k, path, info, now))
}
