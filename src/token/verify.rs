//! Token verification against generations of the QCD secret, and the
//! diagnosis of a token that matches none: which plausible mistake (SPIs
//! swapped, an expired generation, another profile, a truncated token, the
//! taker address) would explain it.
//!
//! Pure functions over [`Candidate`]s (a generation's id, state, secret and
//! spec); the keyring only supplies them (`crate::secret::Keyring::candidates`). A later capture
//! diagnosis reuses [`diagnose`]. Comparisons of token bytes are constant-time.

use std::fmt::{self, Write as _};
use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use super::derive::{Block, Deriver, TokenInput, MAX_DIGEST_LEN};
use super::profile::{Profile, TokenSpec, MAX_TOKEN_LEN, MIN_TOKEN_LEN};
use crate::secretmem::SecretBytes;

/// How a generation of the secret stands as of a given time: whether a
/// rebooted maker still emits its tokens and a verifier accepts them. The
/// keyring (`crate::secret`) computes it from its dates; verification
/// decides by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Used for new tokens; exactly one per keyring.
    Active,
    /// Still emitted after a reboot and still accepted, until `expires`.
    Previous,
    /// Past `expires`; the secret is kept until pruned.
    Expired,
    /// Secret wiped by prune; metadata kept.
    Destroyed,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Active => "active",
            State::Previous => "previous",
            State::Expired => "expired",
            State::Destroyed => "destroyed",
        }
    }

    /// Whether a rebooted token maker still emits (and a verifier accepts) tokens of this state.
    pub fn in_use(self) -> bool {
        matches!(self, State::Active | State::Previous)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One generation as verification sees it.
#[derive(Clone, Copy, Debug)]
pub struct Candidate<'a> {
    pub generation: u32,
    pub state: State,
    /// `None` once destroyed.
    pub secret: Option<&'a SecretBytes>,
    pub spec: TokenSpec,
}

/// A deviation from what the keyring says, found to explain a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    /// The token matches with SPI-R ‖ SPI-I.
    SpisSwapped,
    /// The token matches a generation past its overlap window.
    ExpiredGeneration,
    /// The token matches a generation other than the one asked for.
    OtherGeneration,
    /// The token matches under another profile.
    OtherProfile,
    /// The token is a prefix of the generation's token (the maker truncates).
    Truncated,
    /// The token is longer than the generation's token length (the maker sends more bytes).
    LongerToken,
    /// The token matches only with the taker address added or left out.
    TakerAddr,
}

impl Code {
    pub fn name(self) -> &'static str {
        match self {
            Code::SpisSwapped => "spis-swapped",
            Code::ExpiredGeneration => "expired-generation",
            Code::OtherGeneration => "other-generation",
            Code::OtherProfile => "other-profile",
            Code::Truncated => "truncated",
            Code::LongerToken => "longer-token",
            Code::TakerAddr => "taker-addr",
        }
    }
}

/// One way the token can be explained.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Explanation {
    pub generation: u32,
    pub state: State,
    /// The most telling deviation (the first of `codes`).
    pub code: Code,
    /// Every deviation needed for the match, most telling first.
    pub codes: Vec<Code>,
    /// The construction that reproduces the token.
    pub profile: Profile,
    pub length: usize,
    pub spis_swapped: bool,
    pub taker_addr: bool,
    pub message: String,
}

/// Something verification could not check, or a warning about the token itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Note {
    pub generation: Option<u32>,
    pub code: NoteCode,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoteCode {
    /// A destroyed generation's secret is gone; it could not be tried.
    DestroyedGeneration,
    /// A generation's tokens include the taker address, and none was given.
    TakerAddrMissing,
    /// The token's length is outside RFC 6290's 16..=128 octets.
    TokenLength,
}

/// A generation that verified the token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Matched {
    pub generation: u32,
    pub state: State,
    pub profile: Profile,
    pub length: usize,
    pub taker_addr: bool,
}

/// The verdict on one token: the generation it matches, or the explanations found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verification {
    pub matched: Option<Matched>,
    /// Empty when matched.
    pub explanations: Vec<Explanation>,
    pub notes: Vec<Note>,
}

/// Constant-time equality (`subtle`): the time does not depend on where the
/// slices differ; slices of different (public) lengths are unequal.
#[inline]
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    bool::from(a.ct_eq(b))
}

/// Checks tokens against candidates, keying each usable generation once.
pub struct Verifier<'a> {
    candidates: Vec<Candidate<'a>>,
    /// Prepared derivers of the generations a token may match (in use, with
    /// a secret), the active generation first.
    prepared: Vec<(Candidate<'a>, Deriver)>,
    only: Option<u32>,
}

/// The note for a token outside RFC 6290's bounds. Such a token is never
/// compared with anything: a short token matched against a prefix of the
/// real one would tell its bytes one at a time.
fn length_note(len: usize) -> Note {
    let message = if len < MIN_TOKEN_LEN {
        format!("too short: QCD tokens are {MIN_TOKEN_LEN} to {MAX_TOKEN_LEN} octets (RFC 6290 section 4.1), this one has {len}; it was not compared with any generation")
    } else {
        format!("too long: QCD tokens are {MIN_TOKEN_LEN} to {MAX_TOKEN_LEN} octets (RFC 6290 section 4.1), this one has {len}")
    };
    Note {
        generation: None,
        code: NoteCode::TokenLength,
        message,
    }
}

impl<'a> Verifier<'a> {
    /// `only`: accept just this generation (the others are still tried by the diagnosis).
    pub fn new(candidates: Vec<Candidate<'a>>, only: Option<u32>) -> Verifier<'a> {
        let mut prepared: Vec<(Candidate<'a>, Deriver)> = candidates
            .iter()
            .filter(|c| c.state.in_use() && only.is_none_or(|id| id == c.generation))
            .filter_map(|c| {
                let secret = c.secret?;
                Deriver::new(secret.expose(), c.spec).ok().map(|d| (*c, d))
            })
            .collect();
        // Most tokens come from the active generation: try it first.
        prepared.sort_by_key(|(c, _)| c.state != State::Active);
        Verifier {
            candidates,
            prepared,
            only,
        }
    }

    /// The generations a token can match, in the order [`Verifier::check`]
    /// tries them (its return value indexes this sequence).
    pub fn prepared_generations(&self) -> impl Iterator<Item = u32> + '_ {
        self.prepared.iter().map(|(c, _)| c.generation)
    }

    /// The token lengths of [`Verifier::prepared_generations`], in the same order.
    pub fn prepared_lengths(&self) -> impl Iterator<Item = usize> + '_ {
        self.prepared.iter().map(|(c, _)| c.spec.length)
    }

    /// The index (in [`Verifier::prepared_generations`]) of the first
    /// generation whose token for `input` is `token`, without any diagnosis:
    /// one derivation and one constant-time comparison per generation tried.
    #[inline]
    pub fn check(&self, input: &TokenInput, token: &[u8]) -> Option<usize> {
        if !(MIN_TOKEN_LEN..=MAX_TOKEN_LEN).contains(&token.len()) {
            return None;
        }
        let mut buf = zeroize::Zeroizing::new([0u8; MAX_DIGEST_LEN]);
        for (i, (c, d)) in self.prepared.iter().enumerate() {
            // Lengths are public; the bytes are compared in constant time.
            if c.spec.length != token.len() {
                continue;
            }
            let Ok(block) = d.block_for(input) else {
                continue; // reported as a note by verify
            };
            d.digest_into(&block, &mut buf);
            if ct_eq(&buf[..token.len()], token) {
                return Some(i);
            }
        }
        None
    }

    /// [`Verifier::check`] for SPI-I ‖ SPI-R without a taker address: the
    /// batch fast path (no block to build).
    #[inline]
    pub fn check_spis(&self, spis: &[u8; 16], token: &[u8]) -> Option<usize> {
        let mut buf = zeroize::Zeroizing::new([0u8; MAX_DIGEST_LEN]);
        for (i, (c, d)) in self.prepared.iter().enumerate() {
            if c.spec.length != token.len() {
                continue;
            }
            let Ok(ours) = d.derive_spis_into(spis, &mut buf) else {
                continue; // the generation needs a taker address
            };
            if ct_eq(ours, token) {
                return Some(i);
            }
        }
        None
    }

    /// Verifies `token` for `input`; diagnoses when nothing matches.
    pub fn verify(&self, input: &TokenInput, token: &[u8]) -> Verification {
        let mut v = Verification::default();
        if let Some(i) = self.check(input, token) {
            let c = &self.prepared[i].0;
            v.matched = Some(Matched {
                generation: c.generation,
                state: c.state,
                profile: c.spec.profile,
                length: c.spec.length,
                taker_addr: input.taker.is_some(),
            });
            return v;
        }
        if !(MIN_TOKEN_LEN..=MAX_TOKEN_LEN).contains(&token.len()) {
            v.notes.push(length_note(token.len()));
            if token.len() < MIN_TOKEN_LEN {
                return v;
            }
        }
        for c in &self.candidates {
            if c.secret.is_none() {
                v.notes.push(Note {
                    generation: Some(c.generation),
                    code: NoteCode::DestroyedGeneration,
                    message: format!(
                        "generation {} is destroyed: its secret is gone, so it could not be tried",
                        c.generation
                    ),
                });
            } else if c.spec.taker_addr && input.taker.is_none() && c.state.in_use() {
                v.notes.push(Note {
                    generation: Some(c.generation),
                    code: NoteCode::TakerAddrMissing,
                    message: format!(
                        "generation {}'s tokens include the taker's IP address: give it with --taker-addr to check this generation",
                        c.generation
                    ),
                });
            }
        }
        v.explanations = diagnose(&self.candidates, input, token, self.only);
        v
    }
}

/// Verifies `token` against `candidates` (see [`Verifier`]).
pub fn verify(
    candidates: &[Candidate<'_>],
    input: &TokenInput,
    token: &[u8],
    only: Option<u32>,
) -> Verification {
    Verifier::new(candidates.to_vec(), only).verify(input, token)
}

/// Finds every construction close to the keyring's that reproduces `token`:
/// each candidate with a secret (including expired ones, excluding destroyed)
/// is tried with the SPIs in both orders, with and without the taker address
/// (when one is given), under every profile, comparing the token with the
/// prefix of the full digest of the same length.
///
/// Exact matches (an in-use generation, as its spec says; the one asked for
/// when `only` is set) are not explanations and are left out: [`Verifier`]
/// reports those. Results are ordered by generation, fewest deviations first.
///
/// Tokens shorter than RFC 6290's 16 octets are not diagnosed at all: an
/// explanation such as "truncated" for a short prefix would confirm guessed
/// bytes one at a time (an oracle). From 16 octets on, a guess must be right
/// in all of them at once; the comparisons are constant-time.
pub fn diagnose(
    candidates: &[Candidate<'_>],
    input: &TokenInput,
    token: &[u8],
    only: Option<u32>,
) -> Vec<Explanation> {
    let mut found = Vec::new();
    if token.len() < MIN_TOKEN_LEN || token.len() > MAX_DIGEST_LEN {
        return found;
    }
    let takers: Vec<Option<IpAddr>> = match input.taker {
        Some(a) => vec![Some(a), None],
        None => vec![None],
    };
    let mut buf = zeroize::Zeroizing::new([0u8; MAX_DIGEST_LEN]);
    for c in candidates {
        let Some(secret) = c.secret else { continue };
        for profile in Profile::ALL {
            // Length of the spec does not matter for the full digest.
            let Ok(d) = Deriver::new(secret.expose(), TokenSpec::new(profile)) else {
                continue;
            };
            for swapped in [false, true] {
                let spis = if swapped {
                    input.spis.swapped()
                } else {
                    input.spis
                };
                for taker in &takers {
                    let n = d.digest_into(&Block::new(&spis, taker.as_ref()), &mut buf);
                    if token.len() > n || !ct_eq(&buf[..token.len()], token) {
                        continue;
                    }
                    let codes = deviations(c, only, profile, swapped, taker, input, token.len());
                    let Some(&code) = codes.first() else {
                        continue; // an exact match, not an explanation
                    };
                    let message = describe(c, &codes, profile, token.len(), input, taker);
                    found.push(Explanation {
                        generation: c.generation,
                        state: c.state,
                        code,
                        codes,
                        profile,
                        length: token.len(),
                        spis_swapped: swapped,
                        taker_addr: taker.is_some(),
                        message,
                    });
                }
            }
        }
    }
    found.sort_by_key(|e| (e.codes.len(), e.generation));
    found
}

fn deviations(
    c: &Candidate<'_>,
    only: Option<u32>,
    profile: Profile,
    swapped: bool,
    taker: &Option<IpAddr>,
    input: &TokenInput,
    len: usize,
) -> Vec<Code> {
    let mut codes = Vec::new();
    if swapped {
        codes.push(Code::SpisSwapped);
    }
    if c.state == State::Expired {
        codes.push(Code::ExpiredGeneration);
    }
    if only.is_some_and(|id| id != c.generation) {
        codes.push(Code::OtherGeneration);
    }
    // As the keyring says: the address is in the block when given, and the
    // spec may require it.
    let expected_taker = input.taker.is_some() || c.spec.taker_addr;
    if taker.is_some() != expected_taker {
        codes.push(Code::TakerAddr);
    }
    if profile != c.spec.profile {
        codes.push(Code::OtherProfile);
    } else if len < c.spec.length {
        codes.push(Code::Truncated);
    } else if len > c.spec.length {
        codes.push(Code::LongerToken);
    }
    codes
}

fn describe(
    c: &Candidate<'_>,
    codes: &[Code],
    profile: Profile,
    len: usize,
    input: &TokenInput,
    taker: &Option<IpAddr>,
) -> String {
    let mut m = format!("matches generation {} ({})", c.generation, c.state);
    let mut first = true;
    for code in codes {
        m.push_str(if first { " " } else { "; and " });
        first = false;
        let _ = match code {
            Code::SpisSwapped => write!(
                m,
                "with SPIs swapped: the maker puts SPI-R first (check which peer initiated the IKE SA, or fix the maker's SPI order)"
            ),
            Code::ExpiredGeneration => write!(
                m,
                "past its overlap window: the maker still uses a retired secret, or the overlap (--overlap) was shorter than the IKE SA lifetime"
            ),
            Code::OtherGeneration => write!(m, "rather than the generation asked for"),
            Code::OtherProfile => write!(
                m,
                "under profile {profile} (first {len} bytes) instead of {}: the maker uses {profile}; set the generation's profile or use --profile {profile}",
                c.spec.profile
            ),
            Code::Truncated => write!(
                m,
                "as the first {len} of its {} token bytes: the maker truncates tokens to {len} bytes (--length {len})",
                c.spec.length
            ),
            Code::LongerToken => write!(
                m,
                "as {len} token bytes where the generation uses {}: the maker sends longer tokens (--length {len})",
                c.spec.length
            ),
            Code::TakerAddr => match (taker, input.taker) {
                (Some(a), _) => write!(
                    m,
                    "with the taker address {a} appended to the SPIs: the maker binds tokens to the taker's address"
                ),
                (None, Some(a)) => write!(
                    m,
                    "without the taker address {a}: the maker does not append the taker's address"
                ),
                (None, None) => write!(
                    m,
                    "without a taker address: the maker does not append the taker's address although the generation says it does"
                ),
            },
        };
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spi::{Spi, SpiPair};

    fn spis() -> SpiPair {
        SpiPair::new(
            Spi::parse("1111222233334444").unwrap(),
            Spi::parse("aaaabbbbccccdddd").unwrap(),
        )
    }

    fn sec(b: u8) -> SecretBytes {
        SecretBytes::new(vec![b; 32])
    }

    fn cand(id: u32, state: State, s: &SecretBytes, spec: TokenSpec) -> Candidate<'_> {
        Candidate {
            generation: id,
            state,
            secret: Some(s),
            spec,
        }
    }

    fn token(s: &SecretBytes, spec: TokenSpec, input: &TokenInput) -> Vec<u8> {
        super::super::derive::derive(s.expose(), spec, input)
            .unwrap()
            .expose()
            .to_vec()
    }

    #[test]
    fn matches_active_and_previous_only() {
        let (s1, s2, s3) = (sec(1), sec(2), sec(3));
        let spec = TokenSpec::default();
        let cands = vec![
            cand(1, State::Expired, &s1, spec),
            cand(2, State::Previous, &s2, spec),
            cand(3, State::Active, &s3, spec),
        ];
        let input = TokenInput::new(spis(), None);
        let v = verify(&cands, &input, &token(&s2, spec, &input), None);
        assert_eq!(v.matched.as_ref().unwrap().generation, 2);
        assert!(v.explanations.is_empty());
        // expired: no match, diagnosed
        let v = verify(&cands, &input, &token(&s1, spec, &input), None);
        assert!(v.matched.is_none());
        assert_eq!(v.explanations.len(), 1);
        assert_eq!(v.explanations[0].code, Code::ExpiredGeneration);
        assert_eq!(v.explanations[0].generation, 1);
        // an unrelated secret: nothing
        let v = verify(&cands, &input, &token(&sec(9), spec, &input), None);
        assert!(v.matched.is_none() && v.explanations.is_empty());
    }

    #[test]
    fn swapped_spis_are_explained() {
        let s = sec(5);
        let spec = TokenSpec::default();
        let cands = vec![cand(3, State::Active, &s, spec)];
        let input = TokenInput::new(spis(), None);
        let t = token(&s, spec, &TokenInput::new(spis().swapped(), None));
        let v = verify(&cands, &input, &t, None);
        assert!(v.matched.is_none());
        let e = &v.explanations[0];
        assert_eq!((e.generation, e.code), (3, Code::SpisSwapped));
        assert!(e.spis_swapped);
        assert!(
            e.message.starts_with(
                "matches generation 3 (active) with SPIs swapped: the maker puts SPI-R first"
            ),
            "{}",
            e.message
        );
    }

    #[test]
    fn truncation_longer_tokens_and_other_profiles() {
        let s = sec(6);
        let input = TokenInput::new(spis(), None);
        let spec = TokenSpec::default();
        let cands = vec![cand(1, State::Active, &s, spec)];
        let full = token(&s, spec, &input);
        let v = verify(&cands, &input, &full[..20], None);
        assert_eq!(v.explanations[0].codes, vec![Code::Truncated]);
        assert_eq!(v.explanations[0].length, 20);
        // generation says 16 bytes, the maker sends 32
        let short = TokenSpec::with_length(Profile::HmacSha256, 16).unwrap();
        let cands16 = vec![cand(1, State::Active, &s, short)];
        let v = verify(&cands16, &input, &full, None);
        assert_eq!(v.explanations[0].codes, vec![Code::LongerToken]);
        // Rockhopper-style HMAC-SHA-512, 64 bytes, against an hmac-sha256 generation
        let t512 = token(&s, TokenSpec::new(Profile::HmacSha512), &input);
        let v = verify(&cands, &input, &t512, None);
        let e = &v.explanations[0];
        assert_eq!(
            (e.code, e.profile, e.length),
            (Code::OtherProfile, Profile::HmacSha512, 64)
        );
        // a truncated SHA-1 token
        let t1 = token(&s, TokenSpec::new(Profile::HmacSha1), &input);
        let v = verify(&cands, &input, &t1, None);
        assert_eq!(v.explanations[0].profile, Profile::HmacSha1);
    }

    #[test]
    fn taker_address_both_ways_and_combined_deviations() {
        let s = sec(8);
        let addr: IpAddr = "2001:db8::7".parse().unwrap();
        let spec = TokenSpec::default();
        let cands = vec![cand(4, State::Active, &s, spec)];
        // maker appends the address, verifier was not told
        let t = token(&s, spec, &TokenInput::new(spis(), Some(addr)));
        let v = verify(&cands, &TokenInput::new(spis(), None), &t, None);
        assert!(v.matched.is_none());
        assert!(
            v.explanations.is_empty(),
            "cannot guess an address not given"
        );
        // given the address, it matches exactly
        let v = verify(&cands, &TokenInput::new(spis(), Some(addr)), &t, None);
        assert_eq!(v.matched.unwrap().generation, 4);
        // maker omits it, verifier gives it
        let t = token(&s, spec, &TokenInput::new(spis(), None));
        let v = verify(&cands, &TokenInput::new(spis(), Some(addr)), &t, None);
        assert_eq!(v.explanations[0].code, Code::TakerAddr);
        assert!(v.explanations[0]
            .message
            .contains("without the taker address 2001:db8::7"));
        // swapped and expired at once
        let cands = vec![cand(2, State::Expired, &s, spec)];
        let t = token(&s, spec, &TokenInput::new(spis().swapped(), None));
        let v = verify(&cands, &TokenInput::new(spis(), None), &t, None);
        assert_eq!(
            v.explanations[0].codes,
            vec![Code::SpisSwapped, Code::ExpiredGeneration]
        );
    }

    #[test]
    fn only_restricts_and_explains_other_generation() {
        let (s1, s2) = (sec(1), sec(2));
        let spec = TokenSpec::default();
        let cands = vec![
            cand(1, State::Previous, &s1, spec),
            cand(2, State::Active, &s2, spec),
        ];
        let input = TokenInput::new(spis(), None);
        let v = verify(&cands, &input, &token(&s1, spec, &input), Some(2));
        assert!(v.matched.is_none());
        assert_eq!(v.explanations[0].code, Code::OtherGeneration);
        assert_eq!(v.explanations[0].generation, 1);
    }

    #[test]
    fn notes_for_destroyed_and_missing_address() {
        let s = sec(1);
        let spec = TokenSpec {
            taker_addr: true,
            ..TokenSpec::default()
        };
        let cands = vec![
            Candidate {
                generation: 1,
                state: State::Destroyed,
                secret: None,
                spec,
            },
            cand(2, State::Active, &s, spec),
        ];
        let v = verify(&cands, &TokenInput::new(spis(), None), &[0u8; 16], None);
        let codes: Vec<NoteCode> = v.notes.iter().map(|n| n.code).collect();
        assert_eq!(
            codes,
            vec![NoteCode::DestroyedGeneration, NoteCode::TakerAddrMissing]
        );
        let v = verify(&cands, &TokenInput::new(spis(), None), &[0u8; 130], None);
        assert_eq!(v.notes[0].code, NoteCode::TokenLength);
        assert!(v.notes[0].message.starts_with("too long"), "{:?}", v.notes);
        // the maker does not use the address although the spec says so
        let t = token(&s, TokenSpec::default(), &TokenInput::new(spis(), None));
        let v = verify(&cands, &TokenInput::new(spis(), None), &t, None);
        assert_eq!(v.explanations[0].code, Code::TakerAddr);
    }

    #[test]
    fn ct_eq_is_equality() {
        let a: Vec<u8> = (0u8..70).collect();
        for len in 0..70 {
            assert!(ct_eq(&a[..len], &a[..len]));
            for i in 0..len {
                let mut b = a[..len].to_vec();
                b[i] ^= 0x80;
                assert!(!ct_eq(&a[..len], &b), "{len} {i}");
            }
        }
        assert!(!ct_eq(&a[..3], &a[..4]));
    }

    /// Issue 12, item 8: a token shorter than 16 octets is never compared,
    /// so the output for a right and a wrong short prefix is the same.
    #[test]
    fn short_tokens_are_no_oracle() {
        let s = sec(6);
        let spec = TokenSpec::default();
        let input = TokenInput::new(spis(), None);
        let cands = vec![
            cand(1, State::Expired, &s, spec),
            cand(2, State::Active, &s, spec),
        ];
        let full = token(&s, spec, &input);
        let swapped = token(&s, spec, &TokenInput::new(spis().swapped(), None));
        for len in 1..MIN_TOKEN_LEN {
            let right = verify(&cands, &input, &full[..len], None);
            let mut wrong_bytes = full[..len].to_vec();
            wrong_bytes[len - 1] ^= 1;
            let wrong = verify(&cands, &input, &wrong_bytes, None);
            let swapped = verify(&cands, &input, &swapped[..len], Some(2));
            assert_eq!(right, wrong, "length {len}");
            assert_eq!(right, swapped, "length {len}");
            assert!(right.matched.is_none() && right.explanations.is_empty());
            assert_eq!(right.notes.len(), 1);
            assert!(
                right.notes[0]
                    .message
                    .starts_with("too short: QCD tokens are 16 to 128 octets"),
                "{}",
                right.notes[0].message
            );
            assert!(diagnose(&cands, &input, &full[..len], None).is_empty());
        }
        // From 16 octets on, a truncated token is explained.
        let v = verify(&cands, &input, &full[..16], None);
        assert_eq!(v.explanations[0].code, Code::Truncated);
    }
}
