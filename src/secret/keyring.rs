//! The keyring model: numbered generations of the QCD secret and their life
//! (active → previous → expired → destroyed). Pure logic; reading and writing
//! files is [`super::store`]'s job.
//!
//! File format (version 1), one JSON object:
//!
//! ```json
//! {
//!   "format": "qcd-keyring",
//!   "version": 1,
//!   "generations": [
//!     { "id": 1, "state": "previous", "created": "2026-01-01T00:00:00Z",
//!       "expires": "2026-01-02T00:00:00Z", "profile": "hmac-sha256",
//!       "token_length": 32, "taker_addr": false, "secret_bytes": 32,
//!       "fingerprint": "48d3e9e533be45c9", "origin": { "kind": "generated" },
//!       "secret": "<base64>" }
//!   ]
//! }
//! ```
//!
//! `state` is stored as `active`, `previous` or `destroyed`; `expired` is
//! computed (a previous generation whose `expires` has passed). A destroyed
//! generation has `"secret": null` and keeps its metadata, so ids are never
//! reused and audits see the history.

use std::collections::HashSet;
use std::fmt;
use std::time::{Duration, SystemTime};

use serde::de::{self, Deserializer, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::fingerprint::fingerprint;
use crate::encoding;
use crate::secretmem::SecretBytes;
use crate::timefmt;
use crate::token::{Candidate, Profile, State, TokenSpec};

pub const FORMAT: &str = "qcd-keyring";
pub const VERSION: u32 = 1;
/// Allowed secret sizes in bytes.
pub const MIN_SECRET_BYTES: usize = 16;
pub const MAX_SECRET_BYTES: usize = 1024;
pub const DEFAULT_SECRET_BYTES: usize = 32;

/// Where a generation's secret came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Origin {
    /// Random bytes from the OS CSPRNG.
    Generated,
    /// Imported with `qcd secret import`.
    Imported,
    /// Derived with `qcd secret derive` from a root keyring.
    Derived {
        member: String,
        root_generation: u32,
        root_fingerprint: String,
    },
}

/// One generation of the QCD secret.
#[derive(Debug, Clone)]
pub struct Generation {
    pub id: u32,
    /// Stored state: never `Expired` (that is computed by [`Generation::state_at`]).
    stored: State,
    pub created: SystemTime,
    pub expires: Option<SystemTime>,
    pub spec: TokenSpec,
    pub secret_len: usize,
    pub fingerprint: String,
    pub origin: Origin,
    secret: Option<SecretBytes>,
}

impl Generation {
    pub fn new(
        id: u32,
        secret: SecretBytes,
        spec: TokenSpec,
        created: SystemTime,
        origin: Origin,
    ) -> Self {
        Generation {
            id,
            stored: State::Active,
            created,
            expires: None,
            spec,
            secret_len: secret.len(),
            fingerprint: fingerprint(secret.expose()),
            origin,
            secret: Some(secret),
        }
    }

    /// The state as of `now`.
    pub fn state_at(&self, now: SystemTime) -> State {
        match (self.stored, self.expires) {
            (State::Previous, Some(exp)) if now >= exp => State::Expired,
            (s, _) => s,
        }
    }

    /// The secret, or `None` once destroyed.
    pub fn secret(&self) -> Option<&SecretBytes> {
        self.secret.as_ref()
    }

    /// Age of the generation at `now` (zero if created in the future).
    pub fn age_at(&self, now: SystemTime) -> Duration {
        now.duration_since(self.created).unwrap_or_default()
    }
}

/// What is wrong with a keyring's content (the store adds the file name).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    #[error("not valid JSON at line {line}, column {column}: {reason}")]
    Json {
        line: usize,
        column: usize,
        reason: String,
    },
    #[error("\"format\" is {0:?}, not \"qcd-keyring\": this is not a qcd keyring")]
    NotAKeyring(String),
    #[error("keyring format version {0} is not supported (this qcd reads version 1): upgrade qcd")]
    Version(u32),
    #[error("the keyring has no generations: regenerate it with `qcd secret generate --force`")]
    Empty,
    #[error("generation id {0} appears more than once: ids must be unique")]
    DuplicateId(u32),
    #[error("generation id 0 is invalid: ids start at 1")]
    ZeroId,
    #[error("generations {0} and {1} are both active: exactly one generation may be active")]
    TwoActive(u32, u32),
    #[error("no generation is active: exactly one must be (fix the \"state\" fields, or rotate from a backup)")]
    NoActive,
    #[error("generation {id}: {reason}")]
    Generation { id: u32, reason: String },
    #[error("generation ids are exhausted: generation {0} is the highest id a keyring can hold. Start a new keyring (`qcd secret generate --keyring NEW`) and move to it")]
    IdsExhausted(u32),
    #[error(transparent)]
    Time(#[from] timefmt::TimeError),
}

fn gen_err(id: u32, reason: impl Into<String>) -> ModelError {
    ModelError::Generation {
        id,
        reason: reason.into(),
    }
}

/// A checked keyring: ids unique, exactly one active generation, secrets consistent with metadata.
#[derive(Debug, Clone)]
pub struct Keyring {
    generations: Vec<Generation>,
}

impl Keyring {
    /// The generations as token verification sees them, with their state
    /// as of `now`.
    pub fn candidates(&self, now: SystemTime) -> Vec<Candidate<'_>> {
        self.generations()
            .iter()
            .map(|g| Candidate {
                generation: g.id,
                state: g.state_at(now),
                secret: g.secret(),
                spec: g.spec,
            })
            .collect()
    }

    /// A new keyring holding `secret` as generation 1, active.
    pub fn new(secret: SecretBytes, spec: TokenSpec, now: SystemTime, origin: Origin) -> Self {
        Keyring {
            generations: vec![Generation::new(1, secret, spec, now, origin)],
        }
    }

    pub fn generations(&self) -> &[Generation] {
        &self.generations
    }

    pub fn generation(&self, id: u32) -> Option<&Generation> {
        self.generations.iter().find(|g| g.id == id)
    }

    pub fn active(&self) -> &Generation {
        self.generations
            .iter()
            .find(|g| g.stored == State::Active)
            .expect("a checked keyring has exactly one active generation")
    }

    /// The generation whose secret has this fingerprint, if any.
    pub fn find_fingerprint(&self, fp: &str) -> Option<&Generation> {
        self.generations.iter().find(|g| g.fingerprint == fp)
    }

    /// The highest generation id.
    pub fn max_id(&self) -> u32 {
        self.generations.iter().map(|g| g.id).max().unwrap_or(0)
    }

    /// The id the next generation gets (ids are never reused), or an error
    /// once the highest possible id is taken.
    pub fn next_id(&self) -> Result<u32, ModelError> {
        let max = self.max_id();
        max.checked_add(1).ok_or(ModelError::IdsExhausted(max))
    }

    /// Generations a rebooted token maker must still emit tokens for (active first, then previous, newest first).
    pub fn in_use_at(&self, now: SystemTime) -> Vec<&Generation> {
        let mut v: Vec<&Generation> = self
            .generations
            .iter()
            .filter(|g| g.state_at(now).in_use())
            .collect();
        v.sort_by_key(|g| (g.stored != State::Active, std::cmp::Reverse(g.id)));
        v
    }

    /// When a generation that stops being active at `now` expires: `now + overlap`, checked.
    pub fn expiry(now: SystemTime, overlap: Duration) -> Result<SystemTime, ModelError> {
        Ok(timefmt::checked_add(
            now,
            overlap,
            "the end of the overlap (now + overlap)",
        )?)
    }

    /// Makes `secret` the new active generation; the old active becomes
    /// previous, expiring at `now + overlap`. Returns the new id. On error
    /// (ids exhausted, expiry past year 9999) the keyring is unchanged.
    pub fn rotate(
        &mut self,
        secret: SecretBytes,
        spec: TokenSpec,
        now: SystemTime,
        overlap: Duration,
        origin: Origin,
    ) -> Result<u32, ModelError> {
        let id = self.next_id()?;
        let expires = Keyring::expiry(now, overlap)?;
        for g in &mut self.generations {
            if g.stored == State::Active {
                g.stored = State::Previous;
                g.expires = Some(expires);
            }
        }
        self.generations
            .push(Generation::new(id, secret, spec, now, origin));
        Ok(id)
    }

    /// Adds `secret` as a previous generation expiring at `now + overlap`.
    /// Returns its id; on error the keyring is unchanged.
    pub fn add_previous(
        &mut self,
        secret: SecretBytes,
        spec: TokenSpec,
        now: SystemTime,
        overlap: Duration,
        origin: Origin,
    ) -> Result<u32, ModelError> {
        let id = self.next_id()?;
        let mut g = Generation::new(id, secret, spec, now, origin);
        g.stored = State::Previous;
        g.expires = Some(Keyring::expiry(now, overlap)?);
        self.generations.push(g);
        Ok(id)
    }

    /// Ids of generations that are expired at `now` (what prune would destroy).
    pub fn expired_at(&self, now: SystemTime) -> Vec<u32> {
        self.generations
            .iter()
            .filter(|g| g.state_at(now) == State::Expired)
            .map(|g| g.id)
            .collect()
    }

    /// Wipes the secrets of expired generations (state → destroyed). Returns their ids.
    pub fn prune(&mut self, now: SystemTime) -> Vec<u32> {
        let mut ids = Vec::new();
        for g in &mut self.generations {
            if g.state_at(now) == State::Expired {
                g.stored = State::Destroyed;
                g.secret = None; // SecretBytes zeroizes on drop
                ids.push(g.id);
            }
        }
        ids
    }

    /// Serializes to the version-1 JSON format, in a buffer that is wiped on drop.
    pub fn to_json(&self) -> Zeroizing<Vec<u8>> {
        let file = KeyringFile {
            format: FORMAT.to_string(),
            version: VERSION,
            generations: self.generations.iter().map(GenerationFile::from).collect(),
        };
        let mut buf = Zeroizing::new(Vec::with_capacity(256 * self.generations.len() + 64));
        serde_json::to_writer_pretty(&mut *buf, &file).expect("serializing to memory cannot fail");
        buf.push(b'\n');
        buf
    }

    /// Parses and checks the version-1 JSON format.
    pub fn from_json(bytes: &[u8]) -> Result<Keyring, ModelError> {
        // Check format and version first, so a newer file gets the right message.
        #[derive(Deserialize)]
        struct Head {
            format: Option<String>,
            version: Option<u32>,
        }
        let json_err = |e: serde_json::Error| ModelError::Json {
            line: e.line(),
            column: e.column(),
            reason: strip_position(&e.to_string()),
        };
        let head: Head = serde_json::from_slice(bytes).map_err(json_err)?;
        match head.format.as_deref() {
            Some(FORMAT) => {}
            other => return Err(ModelError::NotAKeyring(other.unwrap_or("").to_string())),
        }
        match head.version {
            Some(VERSION) => {}
            Some(v) => return Err(ModelError::Version(v)),
            None => {
                return Err(ModelError::Json {
                    line: 1,
                    column: 1,
                    reason: "missing field `version`".into(),
                })
            }
        }
        let file: KeyringFile = serde_json::from_slice(bytes).map_err(json_err)?;
        let mut generations = Vec::with_capacity(file.generations.len());
        for g in file.generations {
            generations.push(g.into_generation()?);
        }
        Keyring::check(generations)
    }

    fn check(generations: Vec<Generation>) -> Result<Keyring, ModelError> {
        if generations.is_empty() {
            return Err(ModelError::Empty);
        }
        let mut active: Option<u32> = None;
        let mut seen = HashSet::with_capacity(generations.len());
        for g in &generations {
            if g.id == 0 {
                return Err(ModelError::ZeroId);
            }
            if !seen.insert(g.id) {
                return Err(ModelError::DuplicateId(g.id));
            }
            if g.stored == State::Active {
                if let Some(first) = active {
                    return Err(ModelError::TwoActive(first, g.id));
                }
                active = Some(g.id);
            }
        }
        if active.is_none() {
            return Err(ModelError::NoActive);
        }
        Ok(Keyring { generations })
    }
}

/// serde_json appends " at line L column C"; we report those separately.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyringFile {
    format: String,
    version: u32,
    generations: Vec<GenerationFile>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct GenerationFile {
    id: u32,
    state: State,
    created: String,
    expires: Option<String>,
    profile: String,
    token_length: usize,
    taker_addr: bool,
    secret_bytes: usize,
    fingerprint: String,
    origin: Origin,
    secret: Option<Base64Secret>,
}

/// A secret in the file: base64 text decoded straight into a zeroizing buffer.
struct Base64Secret(SecretBytes);

impl Serialize for Base64Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let text = Zeroizing::new(encoding::encode_base64(self.0.expose()));
        s.serialize_str(&text)
    }
}

impl<'de> Deserialize<'de> for Base64Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Base64Secret;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("the secret in base64")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Base64Secret, E> {
                encoding::decode_base64_lenient(v)
                    .map(|b| Base64Secret(SecretBytes::new(b)))
                    .map_err(|_| E::custom("the secret is not valid base64"))
            }
        }
        d.deserialize_str(V)
    }
}

impl From<&Generation> for GenerationFile {
    fn from(g: &Generation) -> Self {
        GenerationFile {
            id: g.id,
            state: g.stored,
            created: timefmt::format_rfc3339(g.created),
            expires: g.expires.map(timefmt::format_rfc3339),
            profile: g.spec.profile.name().to_string(),
            token_length: g.spec.length,
            taker_addr: g.spec.taker_addr,
            secret_bytes: g.secret_len,
            fingerprint: g.fingerprint.clone(),
            origin: g.origin.clone(),
            secret: g.secret.clone().map(Base64Secret),
        }
    }
}

impl GenerationFile {
    fn into_generation(self) -> Result<Generation, ModelError> {
        let id = self.id;
        let created = timefmt::parse_rfc3339(&self.created)
            .map_err(|e| gen_err(id, format!("\"created\": {e}")))?;
        let expires = self
            .expires
            .as_deref()
            .map(timefmt::parse_rfc3339)
            .transpose()
            .map_err(|e| gen_err(id, format!("\"expires\": {e}")))?;
        let profile: Profile = self
            .profile
            .parse()
            .map_err(|e| gen_err(id, format!("\"profile\": {e}")))?;
        let mut spec = TokenSpec::with_length(profile, self.token_length)
            .map_err(|e| gen_err(id, format!("\"token_length\": {e}")))?;
        spec.taker_addr = self.taker_addr;
        match self.state {
            State::Expired => {
                return Err(gen_err(
                    id,
                    "\"state\" is \"expired\", which is computed, not stored: use \"previous\" with an \"expires\" time",
                ))
            }
            State::Previous if expires.is_none() => {
                return Err(gen_err(
                    id,
                    "a previous generation needs an \"expires\" time",
                ))
            }
            _ => {}
        }
        let secret = self.secret.map(|s| s.0);
        match (&secret, self.state) {
            (Some(_), State::Destroyed) => {
                return Err(gen_err(
                    id,
                    "destroyed, yet its secret is present: set \"secret\" to null",
                ))
            }
            (None, s) if s != State::Destroyed => {
                return Err(gen_err(
                    id,
                    format!("{s} but its secret is missing (\"secret\" is null)"),
                ))
            }
            _ => {}
        }
        if !(MIN_SECRET_BYTES..=MAX_SECRET_BYTES).contains(&self.secret_bytes) {
            return Err(gen_err(
                id,
                format!(
                    "\"secret_bytes\" is {}, outside {MIN_SECRET_BYTES}..={MAX_SECRET_BYTES}",
                    self.secret_bytes
                ),
            ));
        }
        if let Some(s) = &secret {
            if s.len() != self.secret_bytes {
                return Err(gen_err(
                    id,
                    format!(
                        "the secret has {} bytes but \"secret_bytes\" says {}: the file was altered",
                        s.len(),
                        self.secret_bytes
                    ),
                ));
            }
            if fingerprint(s.expose()) != self.fingerprint {
                return Err(gen_err(
                    id,
                    "the secret does not match its \"fingerprint\": the file was altered or corrupted",
                ));
            }
        }
        Ok(Generation {
            id,
            stored: self.state,
            created,
            expires,
            spec,
            secret_len: self.secret_bytes,
            fingerprint: self.fingerprint,
            origin: self.origin,
            secret,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + s)
    }

    fn secret(b: u8) -> SecretBytes {
        SecretBytes::new((0..32).map(|i| b ^ (i as u8).wrapping_mul(13)).collect())
    }

    #[test]
    fn rotation_lifecycle() {
        let mut k = Keyring::new(secret(1), TokenSpec::default(), t(0), Origin::Generated);
        let id2 = k
            .rotate(
                secret(2),
                TokenSpec::default(),
                t(100),
                Duration::from_secs(50),
                Origin::Generated,
            )
            .unwrap();
        assert_eq!(id2, 2);
        assert_eq!(k.active().id, 2);
        let g1 = k.generation(1).unwrap();
        assert_eq!(g1.state_at(t(149)), State::Previous);
        assert_eq!(g1.state_at(t(150)), State::Expired);
        assert_eq!(
            k.in_use_at(t(120)).iter().map(|g| g.id).collect::<Vec<_>>(),
            vec![2, 1]
        );
        assert_eq!(
            k.in_use_at(t(200)).iter().map(|g| g.id).collect::<Vec<_>>(),
            vec![2]
        );
        assert!(k.prune(t(149)).is_empty());
        assert_eq!(k.prune(t(150)), vec![1]);
        let g1 = k.generation(1).unwrap();
        assert_eq!(g1.state_at(t(150)), State::Destroyed);
        assert!(g1.secret().is_none());
        // ids are never reused, even after destruction
        let id3 = k
            .rotate(
                secret(3),
                TokenSpec::default(),
                t(300),
                Duration::ZERO,
                Origin::Generated,
            )
            .unwrap();
        assert_eq!(id3, 3);
    }

    #[test]
    fn json_round_trip_keeps_everything() {
        let mut k = Keyring::new(secret(1), TokenSpec::default(), t(0), Origin::Generated);
        k.rotate(
            secret(2),
            TokenSpec::with_length(Profile::HmacSha1, 16).unwrap(),
            t(10),
            Duration::from_secs(5),
            Origin::Imported,
        )
        .unwrap();
        k.prune(t(20));
        let json = k.to_json();
        let back = Keyring::from_json(&json).unwrap();
        assert_eq!(&back.to_json()[..], &json[..]);
        assert_eq!(back.generation(2).unwrap().spec.profile, Profile::HmacSha1);
        assert!(back.generation(1).unwrap().secret().is_none());
        assert!(back
            .generation(2)
            .unwrap()
            .secret()
            .unwrap()
            .ct_eq(secret(2).expose()));
    }

    fn mutate(f: impl FnOnce(&mut serde_json::Value)) -> ModelError {
        let mut k = Keyring::new(secret(1), TokenSpec::default(), t(0), Origin::Generated);
        k.rotate(
            secret(2),
            TokenSpec::default(),
            t(10),
            Duration::from_secs(5),
            Origin::Generated,
        )
        .unwrap();
        let mut v: serde_json::Value = serde_json::from_slice(&k.to_json()).unwrap();
        f(&mut v);
        Keyring::from_json(v.to_string().as_bytes()).unwrap_err()
    }

    #[test]
    fn malformed_keyrings_are_refused_with_reasons() {
        assert!(matches!(
            Keyring::from_json(b"{ not json"),
            Err(ModelError::Json { line: 1, .. })
        ));
        assert_eq!(mutate(|v| v["version"] = 2.into()), ModelError::Version(2));
        assert_eq!(
            mutate(|v| v["format"] = "other".into()),
            ModelError::NotAKeyring("other".into())
        );
        assert_eq!(
            mutate(|v| v["generations"][0]["state"] = "active".into()),
            ModelError::TwoActive(1, 2)
        );
        assert_eq!(
            mutate(|v| v["generations"][1]["state"] = "destroyed".into()),
            ModelError::Generation {
                id: 2,
                reason: "destroyed, yet its secret is present: set \"secret\" to null".into()
            }
        );
        assert_eq!(
            mutate(|v| v["generations"][1]["id"] = 1.into()),
            ModelError::DuplicateId(1)
        );
        let e = mutate(|v| v["generations"][0]["secret"] = "!!!".into());
        assert!(e.to_string().contains("not valid base64"), "{e}");
        let e = mutate(|v| v["generations"][0]["fingerprint"] = "0000000000000000".into());
        assert!(
            e.to_string().contains("does not match its \"fingerprint\""),
            "{e}"
        );
        let e = mutate(|v| v["generations"][0]["profile"] = "md5".into());
        assert!(e.to_string().contains("unknown token profile"), "{e}");
        let e = mutate(|v| v["generations"][0]["expires"] = serde_json::Value::Null);
        assert!(e.to_string().contains("needs an \"expires\""), "{e}");
        assert_eq!(
            mutate(|v| v["generations"] = serde_json::json!([])),
            ModelError::Empty
        );
        let e = mutate(|v| v["extra"] = 1.into());
        assert!(e.to_string().contains("unknown field `extra`"), "{e}");
    }

    #[test]
    fn the_last_id_and_the_last_time_are_refused_without_changing_anything() {
        let mut k = Keyring::new(secret(1), TokenSpec::default(), t(0), Origin::Generated);
        k.generations[0].id = u32::MAX - 1;
        let id = k
            .rotate(
                secret(2),
                TokenSpec::default(),
                t(1),
                Duration::ZERO,
                Origin::Generated,
            )
            .unwrap();
        assert_eq!(id, u32::MAX);
        let before = k.to_json();
        let e = k
            .rotate(
                secret(3),
                TokenSpec::default(),
                t(2),
                Duration::ZERO,
                Origin::Generated,
            )
            .unwrap_err();
        assert_eq!(e, ModelError::IdsExhausted(u32::MAX));
        assert!(k
            .add_previous(
                secret(3),
                TokenSpec::default(),
                t(2),
                Duration::ZERO,
                Origin::Imported
            )
            .is_err());
        assert_eq!(&k.to_json()[..], &before[..]);
        let end = timefmt::parse_rfc3339("9999-12-31T00:00:00Z").unwrap();
        let mut k = Keyring::new(secret(1), TokenSpec::default(), end, Origin::Generated);
        let before = k.to_json();
        let day = Duration::from_secs(86_400);
        let e = k
            .rotate(secret(2), TokenSpec::default(), end, day, Origin::Generated)
            .unwrap_err();
        assert!(e.to_string().contains("after 9999-12-31T23:59:59Z"), "{e}");
        assert!(k
            .add_previous(secret(2), TokenSpec::default(), end, day, Origin::Imported)
            .is_err());
        assert_eq!(&k.to_json()[..], &before[..]);
        Keyring::from_json(&k.to_json()).unwrap();
    }

    #[test]
    fn many_generations_are_checked_in_linear_time() {
        let n = 200_000u32;
        let make = |dup: bool| -> Vec<Generation> {
            (1..=n)
                .map(|id| Generation {
                    id: if dup && id == n { 1 } else { id },
                    stored: if id == n - 1 {
                        State::Active
                    } else {
                        State::Destroyed
                    },
                    created: t(0),
                    expires: None,
                    spec: TokenSpec::default(),
                    secret_len: 32,
                    fingerprint: String::new(),
                    origin: Origin::Generated,
                    secret: None,
                })
                .collect()
        };
        let start = std::time::Instant::now();
        let k = Keyring::check(make(false)).unwrap();
        assert_eq!(k.generations().len(), n as usize);
        assert!(matches!(
            Keyring::check(make(true)),
            Err(ModelError::DuplicateId(1))
        ));
        // a quadratic check takes minutes here (2e10 comparisons)
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let k = Keyring::new(secret(7), TokenSpec::default(), t(0), Origin::Generated);
        let dbg = format!("{k:?}");
        let b64 = encoding::encode_base64(secret(7).expose());
        assert!(!dbg.contains(&b64));
        assert!(!dbg.contains(&hex::encode(secret(7).expose())));
        assert!(dbg.contains("REDACTED"));
    }
}
