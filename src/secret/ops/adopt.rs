//! [`import`] and [`derive`]: adopting a secret made elsewhere into a
//! keyring (created when missing, idempotent by fingerprint).

use super::*;

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
