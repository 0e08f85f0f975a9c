//! The secret operations as typed requests and outcomes: [`generate`],
//! [`rotate`], [`import`], [`prune`], [`derive`], [`export`] and [`list`].
//!
//! Every decision lives here (when to rotate, where an adopted secret goes,
//! when an export may replace a file); the CLI parses arguments into a
//! request and renders the outcome, and timers, tests and other programs
//! call the same functions. Each write happens under the keyring's lock
//! (see [`super::store`]), with existence decided under the lock, and never
//! writes a keyring that would not load.

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
/// Reads a secret file for `import --in`: a regular file of ours (or of
/// `owners`' other account, e.g. the daemon's), private unless `opts`
/// allows otherwise, at most [`fsio::SECRET_FILE`] bytes.
pub fn read_secret_file(
    path: &Path,
    opts: &LoadOptions,
    owners: Owners,
) -> Result<Zeroizing<Vec<u8>>, OpError> {
    let privacy = Privacy {
        allow_group_other: opts.allow_insecure_permissions,
        owners,
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

/// The owners accepted for files a target's daemon owns: ours, or the daemon account's.
pub fn target_owners(target: Option<Target>) -> Owners {
    match target.and_then(|t| fsio::user_ids(t.spec().owner)) {
        Some((uid, _)) => Owners::MeOr(uid),
        None => Owners::Me,
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

// ---------------------------------------------------------------- generate

/// `qcd secret generate`.
#[derive(Debug, Clone)]
pub struct GenerateRequest {
    pub keyring: PathBuf,
    /// Secret length in bytes (16 to 1024) [default: 32, or the target's].
    pub bytes: Option<usize>,
    pub spec: SpecRequest,
    /// Replace an existing keyring (its secrets are lost).
    pub force: bool,
    /// Make generation 1 for this daemon (its secret size and token spec).
    pub target: Option<Target>,
}

/// What [`generate`] made.
#[derive(Debug, Clone)]
pub struct GenerateOutcome {
    pub generation: GenerationMeta,
}

/// Creates a keyring whose generation 1 is a fresh random secret.
pub fn generate(req: &GenerateRequest, now: SystemTime) -> Result<GenerateOutcome, OpError> {
    let (spec, bytes) = match req.target {
        Some(t) => target_choices(t, &req.spec, req.bytes)?,
        None => (
            req.spec.resolve(TokenSpec::default())?,
            req.bytes.unwrap_or(super::keyring::DEFAULT_SECRET_BYTES),
        ),
    };
    let keyring = Keyring::new(random_secret(bytes)?, spec, now, Origin::Generated);
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
    /// How long the old active generation stays valid as previous
    /// [default: [`DEFAULT_OVERLAP`]; none, and refused, for a single-key target].
    pub overlap: Option<Duration>,
    /// Rotate only if the active generation is at least this old.
    pub if_older_than: Option<Duration>,
    /// Decide, but write nothing.
    pub dry_run: bool,
    /// Secret length of the new generation [default: the active one's].
    pub bytes: Option<usize>,
    pub spec: SpecRequest,
    /// The daemon the keyring is for: the active generation must fit it,
    /// and the new one is made for it.
    pub target: Option<Target>,
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
        notices: Vec<Notice>,
    },
    /// Dry run: exactly what a real run would make.
    WouldRotate {
        planned: PlannedGeneration,
        /// The active generation, which would become previous…
        previous: GenerationMeta,
        /// …until then (now, for a single-key target).
        previous_expires: SystemTime,
        notices: Vec<Notice>,
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
    let overlap = resolve_overlap(req.target, req.overlap)?;
    type Plan = (PlannedGeneration, SystemTime, Vec<Notice>);
    // The decision, the same for a dry run and a real one.
    let plan = |k: &Keyring| -> Result<Result<Plan, RotateOutcome>, OpError> {
        let active = k.active();
        check_fits(path, req.target, active)?;
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
        let (spec, secret_bytes) = match req.target {
            Some(t) => target_choices(t, &req.spec, req.bytes)?,
            None => (
                req.spec.resolve(active.spec)?,
                req.bytes.unwrap_or(active.secret_len),
            ),
        };
        check_secret_size(secret_bytes, "the new secret")?;
        let id = k.next_id().map_err(model(path))?;
        let expires = Keyring::expiry(now, overlap).map_err(model(path))?;
        let mut notices = Vec::new();
        if active.spec.taker_addr && !spec.taker_addr {
            notices.push(Notice::TakerAddrDropped {
                profile: spec.profile,
            });
        }
        match req.target {
            Some(target) if target.spec().single_key => notices.push(Notice::SingleKey {
                target,
                stage: Stage::Keyring,
            }),
            _ if overlap.is_zero() => notices.push(Notice::NoOverlap {
                replaced: active.id,
            }),
            _ => {}
        }
        Ok(Ok((
            PlannedGeneration {
                id,
                secret_bytes,
                spec,
            },
            expires,
            notices,
        )))
    };
    if req.dry_run {
        let k = store::load(path, &req.load)?;
        return Ok(match plan(&k)? {
            Err(not_due) => not_due,
            Ok((planned, previous_expires, notices)) => RotateOutcome::WouldRotate {
                planned,
                previous: GenerationMeta::from_generation(k.active(), now),
                previous_expires,
                notices,
            },
        });
    }
    store::update(path, &req.load, |k| {
        let (planned, notices) = match plan(k)? {
            Err(not_due) => return Ok((not_due, false)),
            Ok((planned, _, notices)) => (planned, notices),
        };
        let old = k.active().id;
        let secret = random_secret(planned.secret_bytes)?;
        let id = k
            .rotate(secret, planned.spec, now, overlap, Origin::Generated)
            .map_err(model(path))?;
        let meta = |id| GenerationMeta::from_generation(k.generation(id).expect("exists"), now);
        Ok::<_, OpError>((
            RotateOutcome::Rotated {
                generation: meta(id),
                previous: meta(old),
                notices,
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
    pub notices: Vec<Notice>,
}

impl AdoptOutcome {
    /// Whether the keyring file was written.
    pub fn changed(&self) -> bool {
        self.adopted != Adopted::Present
    }
}

/// How [`adopt`] puts a secret into a keyring.
struct Adoption<'a, S, C> {
    path: &'a Path,
    load: &'a LoadOptions,
    secret: &'a SecretBytes,
    /// The spec of the new generation, from the active one's (or the default).
    spec: S,
    /// A check of the existing keyring, before anything changes.
    check: C,
    placement: Placement,
    overlap: Duration,
    origin: &'a Origin,
    /// Replace the keyring instead of adding to it.
    recreate: bool,
}

/// Puts `secret` into the keyring: creates it (replacing it when
/// `recreate`) or, when it exists, adds the secret unless a generation
/// already has its fingerprint. All under the lock.
fn adopt<S, C>(a: Adoption<'_, S, C>, now: SystemTime) -> Result<AdoptOutcome, OpError>
where
    S: Fn(TokenSpec) -> Result<TokenSpec, OpError>,
    C: Fn(&Keyring) -> Result<(), OpError>,
{
    let path = a.path;
    let create = || {
        if a.placement == Placement::Previous {
            return Err(OpError::PreviousNeedsKeyring {
                path: path.to_path_buf(),
            });
        }
        let k = Keyring::new(
            a.secret.clone(),
            (a.spec)(TokenSpec::default())?,
            now,
            a.origin.clone(),
        );
        let outcome = AdoptOutcome {
            adopted: Adopted::Created,
            generation: GenerationMeta::from_generation(k.active(), now),
            previous: None,
            notices: Vec::new(),
        };
        Ok((outcome, k))
    };
    if a.recreate {
        let (outcome, k) = create()?;
        store::create(path, &k, true)?;
        return Ok(outcome);
    }
    store::create_or_update(path, a.load, create, |k| {
        (a.check)(k)?;
        let fp = fingerprint(a.secret.expose());
        if let Some(g) = k.find_fingerprint(&fp) {
            let present = AdoptOutcome {
                adopted: Adopted::Present,
                generation: GenerationMeta::from_generation(g, now),
                previous: None,
                notices: Vec::new(),
            };
            return Ok((present, false));
        }
        let old = k.active();
        let spec = (a.spec)(old.spec)?;
        let mut notices = Vec::new();
        if old.spec.taker_addr && !spec.taker_addr && a.placement == Placement::Active {
            notices.push(Notice::TakerAddrDropped {
                profile: spec.profile,
            });
        }
        let old = old.id;
        let (id, previous) = match a.placement {
            Placement::Active => {
                if a.overlap.is_zero() {
                    notices.push(Notice::NoOverlap { replaced: old });
                }
                (
                    k.rotate(a.secret.clone(), spec, now, a.overlap, a.origin.clone()),
                    Some(old),
                )
            }
            Placement::Previous => (
                k.add_previous(a.secret.clone(), spec, now, a.overlap, a.origin.clone()),
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
            notices,
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
    /// Where the secret came from, for messages ("stdin", the file name).
    pub source: String,
    pub placement: Placement,
    /// How long a generation that stops being active (or the imported one,
    /// as previous) stays valid [default: [`DEFAULT_OVERLAP`]; none, and
    /// refused, for a single-key target].
    pub overlap: Option<Duration>,
    pub spec: SpecRequest,
    /// Import a secret that looks weak (one repeated byte, a short pattern).
    pub allow_weak: bool,
    /// The daemon the secret comes from or goes to: its size and token spec.
    pub target: Option<Target>,
}

/// What [`import`] did.
#[derive(Debug, Clone)]
pub struct ImportOutcome {
    pub outcome: AdoptOutcome,
    /// The secret looks weak and `allow_weak` let it in.
    pub weak: Option<Weakness>,
}

/// Adds an existing secret as a new generation, creating the keyring if missing.
pub fn import(req: &ImportRequest, now: SystemTime) -> Result<ImportOutcome, OpError> {
    check_secret_size(req.secret.len(), "the imported secret")?;
    let weak = weakness(req.secret.expose());
    if let (Some(w), false) = (weak, req.allow_weak) {
        return Err(OpError::WeakSecret {
            from: req.source.clone(),
            weakness: w,
        });
    }
    let overlap = resolve_overlap(req.target, req.overlap)?;
    let target_spec = match req.target {
        Some(t) => {
            if t.spec().single_key && req.placement == Placement::Previous {
                return Err(OpError::PreviousSingleKey { target: t });
            }
            let wanted = t.spec().secret_bytes;
            if req.secret.len() != wanted {
                return Err(OpError::TargetSecretSize {
                    from: req.source.clone(),
                    n: req.secret.len(),
                    target: t,
                    wanted,
                });
            }
            Some(target_choices(t, &req.spec, None)?.0)
        }
        None => None,
    };
    let path = &req.keyring;
    let outcome = adopt(
        Adoption {
            path,
            load: &req.load,
            secret: &req.secret,
            spec: |base| match target_spec {
                Some(s) => Ok(s),
                None => Ok(req.spec.resolve(base)?),
            },
            check: |k: &Keyring| check_fits(path, req.target, k.active()),
            placement: req.placement,
            overlap,
            origin: &Origin::Imported,
            recreate: false,
        },
        now,
    )?;
    let mut outcome = outcome;
    if let Some(t) = req.target.filter(|t| t.spec().single_key) {
        if outcome.adopted == Adopted::Added {
            outcome
                .notices
                .retain(|n| !matches!(n, Notice::NoOverlap { .. }));
            outcome.notices.push(Notice::SingleKey {
                target: t,
                stage: Stage::Keyring,
            });
        }
    }
    Ok(ImportOutcome { outcome, weak })
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
    /// Recreate the member keyring from scratch (also for a keyring that
    /// holds another member's derived secrets).
    pub force: bool,
}

/// What [`derive`] did.
#[derive(Debug, Clone)]
pub struct DeriveOutcome {
    /// The root generation the secret was derived from.
    pub root_generation: u32,
    pub outcome: AdoptOutcome,
}

/// Whether two paths name the same existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    }
}

/// Derives a member's secret from the root keyring's active generation and
/// adopts it into the member keyring (idempotent).
pub fn derive(req: &DeriveRequest, now: SystemTime) -> Result<DeriveOutcome, OpError> {
    if req.root == req.keyring || same_file(&req.root, &req.keyring) {
        return Err(OpError::DeriveIntoRoot {
            path: req.keyring.clone(),
            member: req.member.clone(),
        });
    }
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
    let path = &req.keyring;
    let other_member = |k: &Keyring| {
        let other = k.generations().iter().find_map(|g| match &g.origin {
            Origin::Derived { member, .. } if *member != req.member => Some(member.clone()),
            _ => None,
        });
        match other {
            Some(other) => Err(OpError::OtherMember {
                path: path.clone(),
                other,
                member: req.member.clone(),
            }),
            None => Ok(()),
        }
    };
    let outcome = adopt(
        Adoption {
            path,
            load: &req.load,
            secret: &secret,
            spec: |_| Ok(rg.spec),
            check: other_member,
            placement: Placement::Active,
            overlap: req.overlap,
            origin: &origin,
            recreate: req.force,
        },
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
    /// [default: the target's; required without a target].
    pub format: Option<ByteFormat>,
    /// Write this file instead of returning the bytes [default with a
    /// target: the daemon's file].
    pub out: Option<PathBuf>,
    /// With `out`: replace a file that holds something no generation of
    /// this keyring matches.
    pub force: bool,
    /// The daemon the file is for: format, default path, owner, and the
    /// generation must fit it.
    pub target: Option<Target>,
    /// With `out`: the user who owns the file [default: the target's
    /// daemon account; without a target, the replaced file's owner or us].
    pub owner: Option<String>,
    /// With `out`: a shell command (`sh -c`) run when the file changed, or
    /// when the last run of it failed.
    pub on_change: Option<String>,
}

/// What the exported file held before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replaced {
    /// Nothing: the file did not exist.
    Nothing,
    /// Another generation of this keyring: a normal update.
    Generation(u32),
    /// Something that is no generation of this keyring (replaced with `force`).
    Foreign,
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
        /// When it changed: what it held before.
        replaced: Option<Replaced>,
        /// The loose mode (group/other bits) of a file that already held
        /// the secret, rewritten at 0600.
        fixed_mode: Option<u32>,
    },
}

/// How an `--on-change` command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookStatus {
    /// It exited with this status.
    Exited(i32),
    /// A signal killed it.
    Signaled(i32),
    /// It could not be started.
    NotStarted(String),
}

impl HookStatus {
    pub fn success(&self) -> bool {
        *self == HookStatus::Exited(0)
    }
}

impl fmt::Display for HookStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HookStatus::Exited(c) => write!(f, "exit status {c}"),
            HookStatus::Signaled(s) => write!(f, "killed by signal {s}"),
            HookStatus::NotStarted(e) => write!(f, "could not be started: {e}"),
        }
    }
}

/// An `--on-change` command that ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnChangeRun {
    pub command: String,
    /// It ran because its last run failed, not because the file changed.
    pub retry: bool,
    pub status: HookStatus,
}

/// What [`export`] did.
#[derive(Debug)]
pub struct ExportOutcome {
    /// The exported generation (its state tells an expired one).
    pub generation: GenerationMeta,
    pub exported: Exported,
    /// The `--on-change` command, when it ran.
    pub on_change: Option<OnChangeRun>,
    pub notices: Vec<Notice>,
}

/// How an export treats the file it would replace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportDecision {
    /// The file holds exactly these bytes.
    Unchanged,
    /// Write the file: it is missing, holds another generation of this
    /// keyring (a normal update), or replacing foreign content was allowed.
    Write(Replaced),
    /// The file holds something no generation of this keyring matches, and
    /// replacing it was not allowed.
    Conflict,
}

/// The generation of `keyring` whose secret `content` holds, in any export
/// format (raw, hex, base64), found by fingerprint: destroyed generations
/// count too.
pub fn identify(keyring: &Keyring, content: &[u8]) -> Option<u32> {
    let by_fp = |bytes: &[u8]| keyring.find_fingerprint(&fingerprint(bytes)).map(|g| g.id);
    if let Some(id) = by_fp(content) {
        return Some(id);
    }
    [ByteFormat::Hex, ByteFormat::Base64]
        .into_iter()
        .find_map(|f| {
            let decoded = Zeroizing::new(encoding::decode(f, content).ok()?);
            by_fp(&decoded)
        })
}

/// Decides what an export does with the existing content of its file: the
/// one place of the rule that an older (or other) generation of the same
/// keyring is replaced without `force`, and only foreign content needs it.
/// `existing` is `None` when the file is missing and `Some(None)` when it
/// could not be read as a secret file (too large).
pub fn export_decision(
    existing: Option<Option<&[u8]>>,
    new: &[u8],
    keyring: &Keyring,
    force: bool,
) -> ExportDecision {
    match existing {
        None => ExportDecision::Write(Replaced::Nothing),
        Some(Some(old)) if old == new => ExportDecision::Unchanged,
        Some(Some(old)) => match identify(keyring, old) {
            Some(id) => ExportDecision::Write(Replaced::Generation(id)),
            None if force => ExportDecision::Write(Replaced::Foreign),
            None => ExportDecision::Conflict,
        },
        Some(None) if force => ExportDecision::Write(Replaced::Foreign),
        Some(None) => ExportDecision::Conflict,
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

/// The name of an export format, as `--format` spells it.
pub fn format_name(f: ByteFormat) -> &'static str {
    match f {
        ByteFormat::Raw => "raw",
        ByteFormat::Hex => "hex",
        ByteFormat::Base64 => "base64",
    }
}

/// Runs `command` with `sh -c`, stdin closed and its output on our stderr
/// (stdout stays ours, e.g. for `--json`), with `env` added.
pub fn run_hook(command: &str, env: &[(&str, String)]) -> HookStatus {
    use std::os::fd::AsFd;
    use std::os::unix::process::ExitStatusExt;
    let mut cmd = std::process::Command::new("/bin/sh");
    cmd.arg("-c")
        .arg(command)
        .stdin(std::process::Stdio::null());
    if let Ok(fd) = std::io::stderr().as_fd().try_clone_to_owned() {
        cmd.stdout(std::process::Stdio::from(fd));
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    match cmd.status() {
        Ok(s) => match (s.code(), s.signal()) {
            (Some(c), _) => HookStatus::Exited(c),
            (None, Some(sig)) => HookStatus::Signaled(sig),
            (None, None) => HookStatus::NotStarted("no exit status".into()),
        },
        Err(e) => HookStatus::NotStarted(e.to_string()),
    }
}

/// The lock file serializing exports from `keyring`.
pub fn export_lock_path(keyring: &Path) -> PathBuf {
    let mut name = keyring.file_name().unwrap_or_default().to_os_string();
    name.push(".export.lock");
    keyring.with_file_name(name)
}

/// Exports a generation's secret: returns the bytes, or writes `out`
/// atomically (mode 0600, under `KEYRING.export.lock`, temp files of killed exports
/// removed, owned by the daemon account for a target) unless it already
/// holds them; a file that holds them with a loose mode is rewritten at
/// 0600. A file holding another generation of this keyring is replaced
/// without `force`. With `out`, the keyring's exports record is updated and
/// the `--on-change` command runs when the file changed (or its last run
/// failed).
pub fn export(req: &ExportRequest, now: SystemTime) -> Result<ExportOutcome, OpError> {
    let k = store::load(&req.keyring, &req.load)?;
    let format = match (req.format, req.target) {
        (Some(f), Some(t)) if f != t.spec().format => {
            return Err(OpError::TargetConflict {
                target: t,
                option: "--format",
                given: format!("--format {}", format_name(f)),
                wanted: format!("{} files", format_name(t.spec().format)),
            })
        }
        (Some(f), _) => f,
        (None, Some(t)) => t.spec().format,
        (None, None) => return Err(OpError::NoFormat),
    };
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
    check_fits(&req.keyring, req.target, g)?;
    let secret = g.secret().ok_or(OpError::Destroyed { id: g.id })?;
    let generation = GenerationMeta::from_generation(g, now);
    let bytes = encode_secret(secret, format);
    let out = match (&req.out, req.target) {
        (Some(o), _) => o.clone(),
        (None, Some(t)) => PathBuf::from(t.spec().path),
        (None, None) => {
            return Ok(ExportOutcome {
                generation,
                exported: Exported::Bytes(bytes),
                on_change: None,
                notices: Vec::new(),
            })
        }
    };
    let owner_name = req
        .owner
        .clone()
        .or_else(|| req.target.map(|t| t.spec().owner.to_string()));
    let owner = match &owner_name {
        Some(name) => Some(fsio::user_ids(name).ok_or_else(|| OpError::NoSuchUser {
            name: name.clone(),
            for_target: req.target.filter(|_| req.owner.is_none()),
        })?),
        None => None,
    };
    // The lock lives beside the keyring (`KEYRING.export.lock`), not beside
    // the exported file: nothing of qcd's stays in a daemon's directory.
    let file = LockedFile::lock_with(&out, false, Some(&export_lock_path(&req.keyring)))?;
    let existing = match file.read(&fsio::SECRET_FILE) {
        Ok(content) => content.map(Some),
        Err(StoreError::File(FileError::TooLarge { .. })) => Some(None),
        Err(e) => return Err(e.into()),
    };
    let decision = export_decision(
        existing.as_ref().map(|c| c.as_ref().map(|b| &b[..])),
        &bytes,
        &k,
        req.force,
    );
    let wrong_owner = |meta: &std::fs::Metadata| owner.is_some_and(|(uid, _)| meta.uid() != uid);
    let (changed, replaced, fixed_mode) = match decision {
        ExportDecision::Conflict => {
            return Err(OpError::ExportConflict {
                path: out.clone(),
                target: req.target,
            });
        }
        ExportDecision::Write(replaced) => {
            file.write_as(&bytes, owner)?;
            (true, Some(replaced), None)
        }
        ExportDecision::Unchanged => {
            let meta = file.existing()?;
            let mode = meta.as_ref().map(|m| m.mode() & 0o7777).unwrap_or(0o600);
            let loose = mode & 0o077 != 0;
            if loose || meta.as_ref().is_some_and(wrong_owner) {
                // Same bytes, but readable by others or not the daemon's:
                // rewrite atomically at 0600 with the right owner.
                file.write_as(&bytes, owner)?;
            }
            (false, None, loose.then_some(mode))
        }
    };
    let mut notices = Vec::new();
    if let Some(Replaced::Generation(from)) = replaced {
        if from > g.id {
            notices.push(Notice::Rollback { from, to: g.id });
        }
    }
    let file_key = out.display().to_string();
    let target_name = req.target.map(|t| t.name().to_string());
    let now_text = timefmt::format_rfc3339(now);
    let on_change = deploy::update(&req.keyring, &file_key, |entry| {
        let pending = entry.as_ref().is_some_and(|e| e.restart_pending);
        let run = match &req.on_change {
            Some(cmd) if changed || pending => {
                let env = [
                    ("QCD_EXPORT_FILE", file_key.clone()),
                    ("QCD_GENERATION", g.id.to_string()),
                    ("QCD_FINGERPRINT", g.fingerprint.clone()),
                    ("QCD_TARGET", target_name.clone().unwrap_or_default()),
                    (
                        "QCD_CHANGE",
                        if changed { "written" } else { "retry" }.into(),
                    ),
                ];
                Some(OnChangeRun {
                    command: cmd.clone(),
                    retry: !changed,
                    status: run_hook(cmd, &env),
                })
            }
            _ => None,
        };
        let e = entry.get_or_insert_with(|| ExportRecord {
            file: file_key.clone(),
            target: None,
            format: String::new(),
            generation: g.id,
            fingerprint: g.fingerprint.clone(),
            written: now_text.clone(),
            on_change: None,
            daemon_started: None,
            daemon_fingerprint: None,
            restart_pending: false,
            on_change_failed: None,
        });
        if changed {
            e.written = now_text.clone();
        }
        e.target = target_name.clone();
        e.format = format_name(format).to_string();
        e.generation = g.id;
        e.fingerprint = g.fingerprint.clone();
        if req.on_change.is_some() {
            e.on_change = req.on_change.clone();
        }
        if let Some(r) = &run {
            if r.status.success() {
                e.daemon_started = Some(now_text.clone());
                e.daemon_fingerprint = Some(g.fingerprint.clone());
                e.restart_pending = false;
                e.on_change_failed = None;
            } else {
                e.restart_pending = true;
                e.on_change_failed = Some(r.status.to_string());
            }
        }
        run
    })?;
    if let Some(t) = req.target.filter(|t| t.spec().single_key) {
        if changed || on_change.is_some() {
            let restarted = on_change.as_ref().is_some_and(|r| r.status.success());
            notices.push(Notice::SingleKey {
                target: t,
                stage: if restarted {
                    Stage::Restarted
                } else {
                    Stage::File
                },
            });
        }
    }
    Ok(ExportOutcome {
        generation,
        exported: Exported::File {
            path: out,
            changed,
            replaced,
            fixed_mode,
        },
        on_change,
        notices,
    })
}

// -------------------------------------------------------------------- list

/// The fingerprint of the secret a file holds now, in `format`; `None` when
/// it cannot be read or decoded.
fn file_fingerprint(path: &Path, format: &str) -> Option<String> {
    let (raw, _) = fsio::read(path, &fsio::SECRET_FILE).ok()?;
    let format = match format {
        "hex" => ByteFormat::Hex,
        "base64" => ByteFormat::Base64,
        _ => ByteFormat::Raw,
    };
    let decoded = Zeroizing::new(encoding::decode(format, &raw).ok()?);
    Some(fingerprint(&decoded))
}

/// The manifest of a keyring (`qcd secret list`), with its exports record
/// and what each exported file holds now.
pub fn list(path: &Path, load: &LoadOptions, now: SystemTime) -> Result<Manifest, OpError> {
    let (k, info) = store::load_with_info(path, load)?;
    let mut manifest = Manifest::from_keyring(&k, path, info, now);
    manifest.exports = export_states(path, Owners::Me)?;
    Ok(manifest)
}

/// The exports record of `keyring` (owned by one of `owners`) with what
/// each exported file holds now, for manifests.
pub fn export_states(keyring: &Path, owners: Owners) -> Result<Vec<ExportState>, OpError> {
    Ok(deploy::load(keyring, owners)?
        .into_iter()
        .map(|r| {
            let fp = file_fingerprint(Path::new(&r.file), &r.format);
            ExportState::new(r, fp)
        })
        .collect())
}
