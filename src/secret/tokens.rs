//! The secrets `qcd token` works with, as typed operations: where they come
//! from (a keyring, or a gateway's own secret file read under the one secret
//! size policy of [`super::ops::decode_secret`]), which generations a
//! derivation uses (the active one, one by id, or every one in use for
//! `--all`), the tokens they give, and the candidates a verification tries,
//! each with `--profile`/`--length` applied by [`SpecRequest::resolve`].
//!
//! Not here: computing and checking tokens ([`crate::token`]), which takes
//! secret bytes and knows nothing of keyrings or files.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Serialize;
use zeroize::Zeroizing;

use super::ops::{self, OpError, SpecRequest};
use super::store::{self, LoadOptions, StoreError};
use super::target::Target;
use super::{Keyring, State};
use crate::encoding::ByteFormat;
use crate::report::Output;
use crate::secretmem::SecretBytes;
use crate::timefmt::TimeError;
use crate::token::derive::{hex_into, MAX_DIGEST_LEN};
use crate::token::{Candidate, Deriver, Profile, ProfileError, TokenError, TokenInput, TokenSpec};

/// Why the secrets for a token command could not be had. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Op(#[from] OpError),
    #[error(transparent)]
    Time(#[from] TimeError),
    #[error(transparent)]
    Spec(#[from] ProfileError),
    #[error("--secret-file needs --secret-format raw|hex|base64 (how the gateway stores the secret), or --for rockhopper|racoon2")]
    NoFormat,
    #[error("the secret in {from} is {n} bytes, but {daemon} reads exactly {wanted}: this is not its secret file")]
    NotTargetSecret {
        from: String,
        n: usize,
        daemon: &'static str,
        wanted: usize,
    },
    #[error("{what} a keyring; a secret file holds one secret")]
    NeedsKeyring { what: &'static str },
    #[error("the keyring has no generation {id} (it has {ids})")]
    NoGeneration { id: u32, ids: String },
    #[error("the keyring has no generation {id}")]
    NoGenerationToVerify { id: u32 },
    #[error("generation {id} is destroyed: its secret is gone, so its tokens cannot be computed")]
    Destroyed { id: u32 },
    #[error("{what}: {source}")]
    Derive { what: String, source: TokenError },
    #[error("--secret-file - and --batch - cannot both read stdin: put one of them in a file")]
    StdinTwice,
    #[error("no secret: give --keyring PATH (or set QCD_KEYRING), or --secret-file FILE --secret-format FORMAT")]
    NoSecret,
}

/// A gateway's own secret file, as `--secret-file` names it.
#[derive(Debug, Clone)]
pub struct SecretFileRequest {
    /// The file, or `-` for stdin.
    pub path: PathBuf,
    /// How the file is encoded [default: the target's format].
    pub format: Option<ByteFormat>,
    /// The daemon whose file it is: its format, secret size, owner and token construction.
    pub target: Option<Target>,
    pub load: LoadOptions,
}

/// Where the secrets come from.
#[derive(Debug, Clone)]
pub enum SecretSource {
    Keyring { path: PathBuf, load: LoadOptions },
    File(SecretFileRequest),
}

impl SecretSource {
    /// Where a token command's secrets come from: the secret `file` (it
    /// wins over a keyring, which `QCD_KEYRING` may name), else the
    /// `keyring`. `stdin_taken`: a batch reads stdin, so `--secret-file -`
    /// cannot (said once the file's format is known; a missing format is
    /// said first, by [`Secrets::load`]).
    pub fn pick(
        keyring: Option<PathBuf>,
        file: Option<SecretFileRequest>,
        load: LoadOptions,
        stdin_taken: bool,
    ) -> Result<SecretSource, SourceError> {
        match (file, keyring) {
            (Some(f), _) => {
                let format_known = f.format.is_some() || f.target.is_some();
                if f.path == Path::new("-") && stdin_taken && format_known {
                    return Err(SourceError::StdinTwice);
                }
                Ok(SecretSource::File(f))
            }
            (None, Some(path)) => Ok(SecretSource::Keyring { path, load }),
            (None, None) => Err(SourceError::NoSecret),
        }
    }
}

/// The secrets to work with: a keyring (with "now"), or one secret from a file.
pub enum Secrets {
    Keyring(Keyring, SystemTime),
    /// A secret file, and the token construction it is used with by default
    /// (the target's, else [`TokenSpec::default`]).
    File(SecretBytes, TokenSpec),
}

/// The generations a derivation uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generations {
    /// The active generation (the only one of a secret file).
    Active,
    /// Generation N of a keyring.
    Id(u32),
    /// Every generation a rebooted gateway still emits: active and previous (`--all`).
    InUse,
}

impl Generations {
    /// `--all` (every generation in use), else `--generation N`, else the active one.
    pub fn of(all: bool, id: Option<u32>) -> Generations {
        match (all, id) {
            (true, _) => Generations::InUse,
            (false, Some(id)) => Generations::Id(id),
            (false, None) => Generations::Active,
        }
    }
}

/// One generation chosen for derivation, with the token spec it is used with.
pub struct Chosen<'a> {
    /// `None` for a secret file.
    pub generation: Option<u32>,
    pub state: State,
    pub secret: &'a SecretBytes,
    pub spec: TokenSpec,
}

impl Chosen<'_> {
    /// A deriver keyed with this generation's secret and spec.
    pub fn deriver(&self) -> Result<Deriver, TokenError> {
        Deriver::new(self.secret.expose(), self.spec)
    }

    /// This generation's token for `input`.
    pub fn token(&self, input: &TokenInput) -> Result<DerivedToken, SourceError> {
        let what = || match self.generation {
            Some(id) => format!("generation {id}"),
            None => "the secret file".into(),
        };
        let mut buf = Zeroizing::new([0u8; MAX_DIGEST_LEN]);
        let mut hex = Zeroizing::new([0u8; 2 * MAX_DIGEST_LEN]);
        let token = self
            .deriver()
            .and_then(|d| d.derive_into(input, &mut buf).map(|t| t.len()))
            .map_err(|source| SourceError::Derive {
                what: what(),
                source,
            })?;
        hex_into(&buf[..token], &mut hex[..2 * token]);
        let text = std::str::from_utf8(&hex[..2 * token]).expect("hex is ASCII");
        Ok(DerivedToken {
            generation: self.generation,
            state: self.state,
            profile: self.spec.profile,
            length: self.spec.length,
            taker_addr: input.taker.is_some(),
            token: Zeroizing::new(text.to_string()),
        })
    }
}

/// The generations a derivation uses, and the expired ones among them (a
/// rebooted gateway no longer emits their tokens: worth a warning).
pub struct Choice<'a> {
    pub chosen: Vec<Chosen<'a>>,
    pub expired: Vec<u32>,
}

/// One token derived, as `qcd token derive --json` prints it (stable keys).
#[derive(Serialize)]
pub struct DerivedToken {
    /// `None` for a secret file.
    pub generation: Option<u32>,
    pub state: State,
    pub profile: Profile,
    pub length: usize,
    /// Whether the taker address was part of the input.
    pub taker_addr: bool,
    /// Lowercase hex.
    #[serde(serialize_with = "plain_str")]
    pub token: Zeroizing<String>,
}

impl DerivedToken {
    /// The token as `qcd token derive` prints it: a JSON line, `ID STATE
    /// TOKEN` for `--all` (without `--quiet`), else the token alone.
    pub fn print(&self, out: &mut Output, all: bool) -> std::io::Result<()> {
        if out.json {
            out.json_line(self)
        } else if all && !out.quiet {
            let id = self.generation.map(|g| g.to_string()).unwrap_or_default();
            out.answer(&format!("{id} {} {}", self.state, *self.token))
        } else {
            out.answer(&self.token)
        }
    }
}

fn plain_str<S: serde::Serializer>(s: &Zeroizing<String>, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(s)
}

/// The token spec `over` gives on top of a generation's (or a file's) `base`:
/// its profile and length may change, its taker-address binding never does
/// (it is how the gateway computes tokens, not a choice of the reader).
pub fn override_spec(over: &SpecRequest, base: TokenSpec) -> Result<TokenSpec, ProfileError> {
    SpecRequest {
        bind_taker_addr: base.taker_addr,
        ..*over
    }
    .resolve(base)
}

/// Reads a gateway's secret file (or `stdin` for `-`): its format from the
/// request or the target, its size by the library's one policy (16 to 1024
/// bytes), and for a target exactly the daemon's size. Returns the secret
/// and the token construction it is used with.
pub fn load_secret_file(
    req: &SecretFileRequest,
    stdin: impl Read,
) -> Result<(SecretBytes, TokenSpec), SourceError> {
    let target = req.target;
    let format = req
        .format
        .or(target.map(|t| t.spec().format))
        .ok_or(SourceError::NoFormat)?;
    let (raw, source) = if req.path == Path::new("-") {
        (
            ops::read_secret_stream(stdin, "stdin")?,
            "stdin".to_string(),
        )
    } else {
        let raw = ops::read_secret_file(&req.path, &req.load, ops::target_owners(target))?;
        (raw, req.path.display().to_string())
    };
    let secret = ops::decode_secret(format, &raw, &source)?;
    if let Some(t) = target {
        let spec = t.spec();
        if secret.len() != spec.secret_bytes {
            return Err(SourceError::NotTargetSecret {
                from: source,
                n: secret.len(),
                daemon: spec.daemon,
                wanted: spec.secret_bytes,
            });
        }
    }
    Ok((secret, target.map(Target::token_spec).unwrap_or_default()))
}

impl Secrets {
    /// Loads the secrets: a keyring (its state as of `clock()`, asked only
    /// for a keyring), or a secret file (`stdin` is read for `-`).
    pub fn load(
        source: &SecretSource,
        clock: impl FnOnce() -> Result<SystemTime, TimeError>,
        stdin: impl Read,
    ) -> Result<Secrets, SourceError> {
        match source {
            SecretSource::File(req) => {
                let (secret, spec) = load_secret_file(req, stdin)?;
                Ok(Secrets::File(secret, spec))
            }
            SecretSource::Keyring { path, load } => {
                let keyring = store::load(path, load)?;
                Ok(Secrets::Keyring(keyring, clock()?))
            }
        }
    }

    pub fn is_file(&self) -> bool {
        matches!(self, Secrets::File(..))
    }

    /// The generations `which` names, with `over` applied to each one's spec.
    pub fn choose(
        &self,
        which: Generations,
        over: &SpecRequest,
    ) -> Result<Choice<'_>, SourceError> {
        let (k, now) = match self {
            Secrets::File(secret, base) => {
                if which != Generations::Active {
                    return Err(SourceError::NeedsKeyring {
                        what: "--generation and --all need",
                    });
                }
                return Ok(Choice {
                    chosen: vec![Chosen {
                        generation: None,
                        state: State::Active,
                        secret,
                        spec: override_spec(over, *base)?,
                    }],
                    expired: Vec::new(),
                });
            }
            Secrets::Keyring(k, now) => (k, *now),
        };
        let gens = match which {
            Generations::InUse => k.in_use_at(now),
            Generations::Active => vec![k.active()],
            Generations::Id(id) => vec![k.generation(id).ok_or_else(|| {
                let ids: Vec<String> = k.generations().iter().map(|g| g.id.to_string()).collect();
                SourceError::NoGeneration {
                    id,
                    ids: ids.join(", "),
                }
            })?],
        };
        let mut choice = Choice {
            chosen: Vec::with_capacity(gens.len()),
            expired: Vec::new(),
        };
        for g in gens {
            let state = g.state_at(now);
            let secret = g.secret().ok_or(SourceError::Destroyed { id: g.id })?;
            if state == State::Expired {
                choice.expired.push(g.id);
            }
            choice.chosen.push(Chosen {
                generation: Some(g.id),
                state,
                secret,
                spec: override_spec(over, g.spec)?,
            });
        }
        Ok(choice)
    }

    /// The generations a verification tries (a secret file is generation 0,
    /// active), with `over` applied; `only` must name a generation of the keyring.
    pub fn candidates(
        &self,
        only: Option<u32>,
        over: &SpecRequest,
    ) -> Result<Vec<Candidate<'_>>, SourceError> {
        match self {
            Secrets::File(secret, base) => {
                if only.is_some() {
                    return Err(SourceError::NeedsKeyring {
                        what: "--generation needs",
                    });
                }
                Ok(vec![Candidate {
                    generation: 0,
                    state: State::Active,
                    secret: Some(secret),
                    spec: override_spec(over, *base)?,
                }])
            }
            Secrets::Keyring(k, now) => {
                if let Some(id) = only.filter(|id| k.generation(*id).is_none()) {
                    return Err(SourceError::NoGenerationToVerify { id });
                }
                let mut cands = k.candidates(*now);
                if over.profile.is_some() || over.length.is_some() {
                    for c in &mut cands {
                        c.spec = override_spec(over, c.spec)?;
                    }
                }
                Ok(cands)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;
    use std::time::Duration;

    use super::*;
    use crate::secret::Origin;
    use crate::spi::{Spi, SpiPair};

    fn t(days: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + days * 86_400)
    }

    fn secret(seed: u8, n: usize) -> SecretBytes {
        SecretBytes::new((0..n).map(|i| seed.wrapping_add(i as u8)).collect())
    }

    /// Generations 1 (expired at day 2), 2 (previous until day 3), 3 (active), as of day 2.
    fn keyring() -> Keyring {
        let mut k = Keyring::new(secret(1, 32), TokenSpec::default(), t(0), Origin::Generated);
        k.rotate(
            secret(2, 32),
            TokenSpec::default(),
            t(1),
            Duration::from_secs(86_400),
            Origin::Generated,
        )
        .unwrap();
        k.rotate(
            secret(3, 32),
            TokenSpec::default(),
            t(2),
            Duration::from_secs(86_400),
            Origin::Generated,
        )
        .unwrap();
        k
    }

    fn input() -> TokenInput {
        TokenInput::new(
            SpiPair {
                initiator: Spi([1; 8]),
                responder: Spi([2; 8]),
            },
            None,
        )
    }

    fn file_req(
        dir: &Path,
        name: &str,
        text: &[u8],
        format: Option<ByteFormat>,
    ) -> SecretFileRequest {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        SecretFileRequest {
            path,
            format,
            target: None,
            load: LoadOptions::default(),
        }
    }

    #[test]
    fn secret_files_follow_the_keyring_size_policy() {
        let dir = tempfile::tempdir().unwrap();
        let hex = Some(ByteFormat::Hex);
        // 1 to 15 bytes: refused like an import of the same secret.
        for n in [1usize, 15] {
            let req = file_req(dir.path(), "short", "ab".repeat(n).as_bytes(), hex);
            let e = load_secret_file(&req, std::io::empty()).unwrap_err();
            assert!(
                e.to_string()
                    .contains("QCD secrets must be 16 to 1024 bytes"),
                "{e}"
            );
        }
        for n in [16usize, 1024] {
            let req = file_req(dir.path(), "ok", "ab".repeat(n).as_bytes(), hex);
            let (s, spec) = load_secret_file(&req, std::io::empty()).unwrap();
            assert_eq!(s.len(), n);
            assert_eq!(spec, TokenSpec::default());
        }
        let req = file_req(dir.path(), "long", "ab".repeat(1025).as_bytes(), hex);
        assert!(load_secret_file(&req, std::io::empty()).is_err());
        let req = file_req(dir.path(), "nofmt", b"abab", None);
        assert!(matches!(
            load_secret_file(&req, std::io::empty()),
            Err(SourceError::NoFormat)
        ));
    }

    #[test]
    fn stdin_and_targets() {
        let req = SecretFileRequest {
            path: PathBuf::from("-"),
            format: Some(ByteFormat::Hex),
            target: None,
            load: LoadOptions::default(),
        };
        let (s, _) =
            load_secret_file(&req, "00112233445566778899aabbccddeeff\n".as_bytes()).unwrap();
        assert_eq!(s.expose()[15], 0xff);
        let rock = SecretFileRequest {
            format: None,
            target: Some(Target::Rockhopper),
            ..req
        };
        let e = load_secret_file(&rock, &[7u8; 32][..]).unwrap_err();
        assert!(
            matches!(
                e,
                SourceError::NotTargetSecret {
                    n: 32,
                    wanted: 64,
                    ..
                }
            ),
            "{e}"
        );
        let (s, spec) = load_secret_file(&rock, &[7u8; 64][..]).unwrap();
        assert_eq!(s.len(), 64);
        assert_eq!(spec, Target::Rockhopper.token_spec());
    }

    #[test]
    fn all_chooses_the_generations_in_use_active_first() {
        let s = Secrets::Keyring(keyring(), t(2));
        let c = s
            .choose(Generations::InUse, &SpecRequest::default())
            .unwrap();
        let ids: Vec<_> = c.chosen.iter().map(|c| (c.generation, c.state)).collect();
        assert_eq!(ids, [(Some(3), State::Active), (Some(2), State::Previous)]);
        assert!(c.expired.is_empty());
        let c = s
            .choose(Generations::Id(1), &SpecRequest::default())
            .unwrap();
        assert_eq!(c.expired, [1]);
        let e = s
            .choose(Generations::Id(9), &SpecRequest::default())
            .err()
            .unwrap();
        assert_eq!(
            e.to_string(),
            "the keyring has no generation 9 (it has 1, 2, 3)"
        );
        let f = Secrets::File(secret(1, 32), TokenSpec::default());
        assert!(matches!(
            f.choose(Generations::InUse, &SpecRequest::default()),
            Err(SourceError::NeedsKeyring { .. })
        ));
    }

    #[test]
    fn overrides_keep_the_taker_binding_and_take_the_profile_length() {
        let mut base = TokenSpec::with_length(Profile::HmacSha512, 48).unwrap();
        base.taker_addr = true;
        let over = SpecRequest {
            profile: Some(Profile::HmacSha1),
            ..SpecRequest::default()
        };
        let s = override_spec(&over, base).unwrap();
        assert_eq!(
            (s.profile, s.length, s.taker_addr),
            (Profile::HmacSha1, 16, true)
        );
        let same = SpecRequest {
            profile: Some(Profile::HmacSha512),
            ..SpecRequest::default()
        };
        assert_eq!(override_spec(&same, base).unwrap(), base);
        let len = SpecRequest {
            length: Some(16),
            ..SpecRequest::default()
        };
        assert_eq!(override_spec(&len, base).unwrap().length, 16);
        assert!(override_spec(
            &SpecRequest {
                length: Some(8),
                ..len
            },
            base
        )
        .is_err());
    }

    #[test]
    fn derived_tokens_match_the_token_module_and_verify() {
        let s = Secrets::Keyring(keyring(), t(2));
        let c = s
            .choose(Generations::InUse, &SpecRequest::default())
            .unwrap();
        let tokens: Vec<DerivedToken> = c
            .chosen
            .iter()
            .map(|ch| ch.token(&input()).unwrap())
            .collect();
        for (tok, ch) in tokens.iter().zip(&c.chosen) {
            let want = crate::token::derive(ch.secret.expose(), ch.spec, &input()).unwrap();
            assert_eq!(*tok.token, crate::encoding::to_hex(want.expose()));
        }
        let cands = s.candidates(None, &SpecRequest::default()).unwrap();
        let v = crate::token::Verifier::new(cands, None);
        let bytes = hex::decode(&*tokens[1].token).unwrap();
        assert_eq!(v.verify(&input(), &bytes).matched.unwrap().generation, 2);
        assert!(matches!(
            s.candidates(Some(7), &SpecRequest::default()),
            Err(SourceError::NoGenerationToVerify { id: 7 })
        ));
    }
}
