//! [`generate`] a keyring and [`rotate`] it: new random generations.

use super::*;

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
            req.bytes
                .unwrap_or(crate::secret::keyring::DEFAULT_SECRET_BYTES),
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
