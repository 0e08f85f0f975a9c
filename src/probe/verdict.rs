//! What a probe's answers mean: which generation of the operator's secrets
//! made a token (or why none did), which implementation a reply looks like,
//! and whether the members of a cluster share their secret.

use std::time::SystemTime;

use serde::Serialize;

use crate::secret::tokens::Secrets;
use crate::secret::{Keyring, State};
use crate::secretmem::SecretBytes;
use crate::spi::SpiPair;
use crate::token::{Candidate, Code, Profile, TokenInput, TokenSpec, Verifier};
use crate::wire::liveness::LivenessReply;
use crate::wire::ProtocolId;

/// One secret the operator knows, as verification needs it.
#[derive(Clone)]
pub struct KnownGeneration {
    /// `None` for a secret file (it has no generations).
    pub id: Option<u32>,
    pub state: State,
    pub secret: SecretBytes,
    pub spec: TokenSpec,
}

/// The operator's secrets: a keyring's generations or one secret file.
#[derive(Clone, Default)]
pub struct KnownSecrets {
    pub generations: Vec<KnownGeneration>,
}

impl KnownSecrets {
    /// Every generation of `keyring` that still has its secret, with its state at `now`.
    pub fn from_keyring(keyring: &Keyring, now: SystemTime) -> KnownSecrets {
        KnownSecrets {
            generations: keyring
                .generations()
                .iter()
                .filter_map(|g| {
                    Some(KnownGeneration {
                        id: Some(g.id),
                        state: g.state_at(now),
                        secret: g.secret()?.clone(),
                        spec: g.spec,
                    })
                })
                .collect(),
        }
    }

    /// The secrets loaded for a command: a keyring's, or a secret file's.
    pub fn of(secrets: Secrets) -> KnownSecrets {
        match secrets {
            Secrets::Keyring(k, now) => KnownSecrets::from_keyring(&k, now),
            Secrets::File(secret, spec) => KnownSecrets::single(secret, spec),
        }
    }

    /// One secret (a gateway's own file) used with `spec`.
    pub fn single(secret: SecretBytes, spec: TokenSpec) -> KnownSecrets {
        KnownSecrets {
            generations: vec![KnownGeneration {
                id: None,
                state: State::Active,
                secret,
                spec,
            }],
        }
    }

    fn candidates(&self) -> Vec<Candidate<'_>> {
        self.generations
            .iter()
            .enumerate()
            .map(|(i, g)| Candidate {
                generation: g.id.unwrap_or(i as u32),
                state: g.state,
                secret: Some(&g.secret),
                spec: g.spec,
            })
            .collect()
    }

    fn is_file(&self) -> bool {
        self.generations.iter().all(|g| g.id.is_none())
    }

    /// Which generation made each of `tokens` for `spis`, and the verdict.
    pub fn check(&self, spis: SpiPair, tokens: &[Vec<u8>]) -> KeyringCheck {
        let verifier = Verifier::new(self.candidates(), None);
        let input = TokenInput::new(spis, None);
        let mut check = KeyringCheck::default();
        let mut explanations = Vec::new();
        for t in tokens {
            let v = verifier.verify(&input, t);
            match v.matched {
                Some(m) => {
                    let id = (!self.is_file()).then_some(m.generation);
                    check.token_generations.push(id);
                    if check.generation.is_none() && check.state.is_none() {
                        check.generation = id;
                        check.state = Some(m.state);
                        check.profile = Some(m.profile);
                    }
                    if m.state == State::Active {
                        check.matched = true;
                        check.generation = id;
                        check.state = Some(State::Active);
                        check.profile = Some(m.profile);
                    }
                }
                None => {
                    check.token_generations.push(None);
                    explanations.extend(v.explanations);
                }
            }
        }
        if check.matched {
            return check;
        }
        if let (Some(State::Previous), Some(g)) = (check.state, check.generation) {
            check.reasons.push(format!(
                "the gateway still runs generation {g}, the previous one: the last rotation has not reached it; export the active generation (qcd secret export) and restart the daemon so that it reads it"
            ));
            return check;
        }
        if let Some(e) = explanations
            .iter()
            .find(|e| e.code == Code::ExpiredGeneration)
        {
            check.reasons.push(format!(
                "the token comes from generation {}, which has expired: the daemon was not restarted after the export, or the export was not done; export the active generation and restart the daemon",
                e.generation
            ));
        }
        for e in explanations
            .iter()
            .filter(|e| e.code != Code::ExpiredGeneration)
        {
            check.reasons.push(e.message.clone());
        }
        if self.is_file() {
            check.reasons.push("the daemon does not run the secret in this file: it has another file, or regenerated its secret at start-up because it could not read this one".into());
        } else {
            check.reasons.extend([
                "the export was not done: the daemon's secret file does not hold this keyring's active generation (qcd secret export)".to_string(),
                "the daemon was not restarted after the export: it reads its secret once, at start-up".to_string(),
                "the daemon regenerated its secret at start-up: it could not read the exported file (path, owner, mode) and made a new one, as Rockhopper does".to_string(),
            ]);
        }
        check
    }
}

/// A token checked against the operator's secrets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KeyringCheck {
    /// A token matches the active generation (the secret file, without a keyring).
    pub matched: bool,
    /// The generation that made the (first matching) token; `None` for a secret file.
    pub generation: Option<u32>,
    /// Its state (active, previous, expired…); `None` when no token matched.
    pub state: Option<State>,
    /// The profile that reproduced it.
    pub profile: Option<Profile>,
    /// For each token of the reply, the generation it matches.
    pub token_generations: Vec<Option<u32>>,
    /// Why nothing (or only an old generation) matched, most likely first.
    pub reasons: Vec<String>,
}

/// The implementation a QCD reply looks like.
pub fn implementation(reply: &LivenessReply, profile: Option<Profile>) -> Option<String> {
    let first = reply.tokens.first()?;
    let len = first.data.len();
    let proto = first.protocol_id;
    Some(match (len, proto) {
        (64, ProtocolId::NONE) if reply.tokens.len() == 1 => {
            "Rockhopper VPN (64-byte HMAC-SHA-512 tokens, Protocol ID 0)".to_string()
        }
        (16, ProtocolId::IKE) => {
            "the racoon2 fork (16-byte HMAC-SHA-1 tokens, Protocol ID 1)".to_string()
        }
        _ if reply.tokens.len() > 1 => format!(
            "a maker with an overlap window ({} tokens of {len} bytes; qcd respond answers so)",
            reply.tokens.len()
        ),
        _ => match profile.or_else(|| Profile::ALL.into_iter().find(|p| p.default_len() == len)) {
            Some(p) => format!("unknown maker; {len}-byte tokens, as the {p} profile gives"),
            None => format!("unknown maker; {len}-byte tokens"),
        },
    })
}

/// Whether the members of a cluster share their secret, from their tokens
/// for the same SPIs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClusterCheck {
    pub kind: &'static str,
    pub targets: usize,
    /// Targets that answered with a token.
    pub answered: usize,
    /// All answering members gave the same token; `None` with fewer than two.
    pub same_secret: Option<bool>,
    /// Targets grouped by equal token (names, as given).
    pub groups: Vec<Vec<String>>,
    pub expect: Option<Expect>,
    /// Whether the tokens are as `expect` requires; `None` without `expect`.
    pub expectation_met: Option<bool>,
    pub advice: Option<String>,
}

/// What a cluster's mode requires of its members' secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Expect {
    /// Hot standby: members share the secret, so tokens survive failover.
    Shared,
    /// Load sharing / anycast: members must not share it (RFC 6290 §5 attack).
    Distinct,
}

/// Compares the first token of each target (`None`: no token).
pub fn cluster(members: &[(String, Option<Vec<u8>>)], expect: Option<Expect>) -> ClusterCheck {
    let mut groups: Vec<(Vec<u8>, Vec<String>)> = Vec::new();
    for (name, token) in members {
        let Some(t) = token else { continue };
        match groups.iter_mut().find(|(g, _)| g == t) {
            Some((_, names)) => names.push(name.clone()),
            None => groups.push((t.clone(), vec![name.clone()])),
        }
    }
    let answered = groups.iter().map(|(_, n)| n.len()).sum::<usize>();
    let same_secret = (answered >= 2).then_some(groups.len() == 1);
    let all = answered == members.len();
    let expectation_met = expect.map(|e| match e {
        Expect::Shared => all && groups.len() == 1,
        Expect::Distinct => all && groups.len() == answered,
    });
    let advice = match (expect, expectation_met) {
        (_, Some(true)) => None,
        (Some(_), Some(false)) if !all => Some(
            "not every member answered with a token: the cluster cannot be judged until they do"
                .to_string(),
        ),
        (Some(Expect::Shared), Some(false)) => Some(
            "hot-standby members must share the active generation, or a peer's token fails after failover: deploy the same generation to every member (qcd secret export) and restart their daemons".to_string(),
        ),
        (Some(Expect::Distinct), Some(false)) => Some(
            "load-sharing/anycast members must not share a secret: a member that lacks an IKE SA would give a valid token for it (RFC 6290 section 5); give each member its own secret (qcd secret derive) and restart their daemons".to_string(),
        ),
        _ => None,
    };
    ClusterCheck {
        kind: "cluster",
        targets: members.len(),
        answered,
        same_secret,
        groups: groups.into_iter().map(|(_, n)| n).collect(),
        expect,
        expectation_met,
        advice,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spi::Spi;
    use crate::token::derive;

    fn spis() -> SpiPair {
        SpiPair::new(Spi([1; 8]), Spi([2; 8]))
    }

    fn token(secret: &SecretBytes, spec: TokenSpec) -> Vec<u8> {
        derive(secret.expose(), spec, &TokenInput::new(spis(), None))
            .unwrap()
            .expose()
            .to_vec()
    }

    #[test]
    fn keyring_generations() {
        let spec = TokenSpec::new(Profile::HmacSha256);
        let g1 = SecretBytes::from_slice(&[1; 32]);
        let g2 = SecretBytes::from_slice(&[2; 32]);
        let known = KnownSecrets {
            generations: vec![
                KnownGeneration {
                    id: Some(1),
                    state: State::Previous,
                    secret: g1.clone(),
                    spec,
                },
                KnownGeneration {
                    id: Some(2),
                    state: State::Active,
                    secret: g2.clone(),
                    spec,
                },
            ],
        };
        let c = known.check(spis(), &[token(&g2, spec)]);
        assert!(c.matched);
        assert_eq!((c.generation, c.state), (Some(2), Some(State::Active)));
        let c = known.check(spis(), &[token(&g1, spec)]);
        assert!(!c.matched);
        assert_eq!((c.generation, c.state), (Some(1), Some(State::Previous)));
        assert!(c.reasons[0].contains("previous"));
        // Both, active first or not: matched, active reported.
        let c = known.check(spis(), &[token(&g1, spec), token(&g2, spec)]);
        assert!(c.matched);
        assert_eq!(c.generation, Some(2));
        assert_eq!(c.token_generations, vec![Some(1), Some(2)]);
        let other = SecretBytes::from_slice(&[3; 32]);
        let c = known.check(spis(), &[token(&other, spec)]);
        assert!(!c.matched && c.generation.is_none());
        assert_eq!(c.reasons.len(), 3);
        assert!(c.reasons.iter().any(|r| r.contains("regenerated")));
    }

    #[test]
    fn clusters() {
        let m = |v: &[(&str, Option<u8>)]| {
            v.iter()
                .map(|(n, t)| (n.to_string(), t.map(|b| vec![b; 32])))
                .collect::<Vec<_>>()
        };
        let c = cluster(&m(&[("a", Some(1)), ("b", Some(1))]), Some(Expect::Shared));
        assert_eq!(c.same_secret, Some(true));
        assert_eq!(c.expectation_met, Some(true));
        let c = cluster(&m(&[("a", Some(1)), ("b", Some(2))]), Some(Expect::Shared));
        assert_eq!(c.same_secret, Some(false));
        assert_eq!(c.expectation_met, Some(false));
        assert!(c.advice.unwrap().contains("hot-standby"));
        let c = cluster(
            &m(&[("a", Some(1)), ("b", Some(2))]),
            Some(Expect::Distinct),
        );
        assert_eq!(c.expectation_met, Some(true));
        let c = cluster(&m(&[("a", Some(1)), ("b", None)]), Some(Expect::Distinct));
        assert_eq!(c.expectation_met, Some(false));
        assert_eq!(c.same_secret, None);
    }
}
