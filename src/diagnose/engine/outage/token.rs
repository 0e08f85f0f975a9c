//! The maker answered with INVALID_IKE_SPI: whether its reply carries a
//! token (`no-token` when none does), and whether that token is the one
//! given when the IKE SA was set up or one of the keyring's; then
//! [`super::reaction`] judges what the taker did with it.

use super::reaction::Reaction;
use super::*;

const ACT_NO_TOKEN: &str = "enable QCD as token maker on the gateway and check that it can read its QCD secret (Rockhopper: /home/rhpprotected/config/qcd_secret; racoon2 fork: /var/lib/racoon2/qcd.secret)";
const ACT_MISMATCH: &str =
    "persist the maker's QCD secret across reboots and keep previous generations after a rotation";

/// What the token check found.
pub(super) struct TokenFacts {
    /// Whether a token of the reply is byte for byte one the maker gave when
    /// the IKE SA was set up (`None`: that token is not known).
    pub(super) by_auth: Option<bool>,
    /// The keyring's opinion, when a keyring was given.
    pub(super) by_keyring: Option<TokenCheck>,
    /// Whether the token is valid, by either (`None`: not checked).
    pub(super) valid: Option<bool>,
    /// A matching keyring generation generated after the IKE SA was set up
    /// (generation, creation time).
    pub(super) born_after_set_up: Option<(u32, SystemTime)>,
}

impl TokenFacts {
    /// A keyring match without the IKE_AUTH token shows only which secret
    /// made the reply.
    pub(super) fn keyring_match(&self) -> Option<&TokenCheck> {
        match (self.by_auth, &self.by_keyring) {
            (None, Some(k)) if k.matched => Some(k),
            _ => None,
        }
    }
}

impl<'e, 'a> Judge<'e, 'a> {
    /// The maker's replies that carry INVALID_IKE_SPI or a QCD_TOKEN, the
    /// first of them `first_reply`.
    pub(super) fn token_reply(
        &mut self,
        o: &Outage,
        rc: &Recovery<'_, 'e>,
        first_reply: &'e Rec,
        token_replies: &[&'e Rec],
    ) -> Judged {
        let b = rc.b;
        let tokens: Vec<&NotifySummary> = first_reply.plain_tokens().collect();
        if tokens.is_empty() {
            let all_tokenless = token_replies
                .iter()
                .all(|r| r.plain_tokens().next().is_none());
            if all_tokenless {
                let mut j = Judged::new(
                    Verdict::NoToken,
                    format!("{b}'s INVALID_IKE_SPI reply (frame {}) carries no QCD_TOKEN: {b} does not act as token maker (QCD not enabled, or its QCD secret could not be read)", first_reply.frame),
                    ACT_NO_TOKEN,
                );
                j.maker_answered = Some(true);
                return j;
            }
        }
        let all_tokens: Vec<&NotifySummary> = token_replies
            .iter()
            .flat_map(|r| r.plain_tokens())
            .collect();
        let facts = self.check_token(rc, first_reply, &all_tokens);
        // Behaviour after the first token reply.
        let later_checks: Vec<&'e Rec> = rc
            .checks
            .iter()
            .copied()
            .filter(|r| r.time > first_reply.time)
            .collect();
        let n_sa = self.new_sa(rc, first_reply.time);
        let gap = n_sa.map(|n| since(n.start(), first_reply.time));
        let taker_views = self.taker_views(first_reply, o, &rc.b_given, facts.valid);
        let act_mismatch = self.mismatch_action(o, &all_tokens[0].data);
        let x = Reaction {
            a: rc.a,
            b,
            src: rc.src,
            taker_is_responder: rc.taker_is_responder,
            first_reply,
            token_replies,
            facts,
            later_checks,
            n_sa,
            gap,
            taker_views,
            act_mismatch,
        };
        if let Some(n) = n_sa {
            self.event(
                n.first_frame(),
                n.start(),
                format!(
                    "{} starts a new IKE SA (SPI-I {}) {} after the first INVALID_IKE_SPI",
                    x.a,
                    n.spis().initiator,
                    secs(gap.unwrap_or_default())
                ),
            );
        }
        if let Some(j) = self.rejected(&x) {
            return j;
        }
        self.reaction(o, &x)
    }

    /// Checks the reply's tokens against the token the maker gave when the
    /// IKE SA was set up and against the keyring, with the timeline line
    /// and notes that say what was found.
    fn check_token(
        &mut self,
        rc: &Recovery<'_, 'e>,
        first_reply: &'e Rec,
        all_tokens: &[&NotifySummary],
    ) -> TokenFacts {
        let (a, b, src) = (rc.a, rc.b, rc.src);
        let sa = self.sa;
        let b_given = &rc.b_given;
        // What the taker holds: the token B gave in IKE_AUTH (or in the rekey).
        let by_auth: Option<bool> = if !b_given.is_empty() {
            let same = all_tokens
                .iter()
                .any(|t| b_given.iter().any(|g| **g == t.data));
            let what = if same {
                format!("the token after the reboot is byte for byte the token given in {src}")
            } else {
                format!(
                    "the token after the reboot differs from the token given in {src} ({})",
                    short_hex(b_given[0])
                )
            };
            self.event(first_reply.frame, first_reply.time, what);
            Some(same)
        } else {
            None
        };
        let by_keyring: Option<TokenCheck> = self.opts().checker.map(|c| {
            let mut best: Option<TokenCheck> = None;
            for t in all_tokens {
                let r = c.check(sa.spis, &t.data, Some(a));
                if r.matched {
                    return r;
                }
                if best.as_ref().is_none_or(|b| b.explanations.is_empty()) {
                    best = Some(r);
                }
            }
            best.unwrap_or(TokenCheck {
                matched: false,
                generation: None,
                explanations: Vec::new(),
                created: None,
            })
        });
        if let Some(k) = &by_keyring {
            match k.generation {
                Some(g) if k.matched => self
                    .notes
                    .push(format!("the token matches keyring generation {g}")),
                _ => {
                    self.notes.push(
                        "the token matches no active or previous generation of the keyring".into(),
                    );
                    self.notes.extend(k.explanations.iter().cloned());
                }
            }
        }
        let valid = match (by_auth, &by_keyring) {
            (Some(v), _) => Some(v),
            (None, Some(k)) => Some(k.matched),
            (None, None) => None,
        };
        // A keyring match without the IKE_AUTH token shows only which secret
        // made the reply. A generation qcd generated after this IKE SA was set
        // up cannot have made the token given then.
        let keyring_match = match (by_auth, &by_keyring) {
            (None, Some(k)) if k.matched => Some(k),
            _ => None,
        };
        let set_up = self
            .recs
            .iter()
            .rev()
            .find(|r| r.m.exchange == ExchangeType::IKE_AUTH)
            .map(|r| r.time)
            .unwrap_or(sa.start);
        let born_after_set_up = keyring_match
            .and_then(|k| k.created.map(|c| (k.generation.unwrap_or(0), c)))
            .filter(|&(_, c)| c > set_up);
        if let Some((g, c)) = born_after_set_up {
            self.notes.push(format!(
                "keyring generation {g} was generated at {}, after this IKE SA was set up ({}): it cannot have made the token {b} gave in {src}",
                time_text(c),
                time_text(set_up)
            ));
        }
        TokenFacts {
            by_auth,
            by_keyring,
            valid,
            born_after_set_up,
        }
    }

    /// What to do about a token that does not match: persist the secret,
    /// and the commands that check it, with this SA's SPIs and token in full,
    /// the files the user gave, and the target flags the maker needs.
    fn mismatch_action(&self, o: &Outage, token: &[u8]) -> String {
        let spis = self.sa.spis;
        let inputs = self.opts().inputs;
        let target = match self.maker_kind(o) {
            Some(QcdMaker::Rockhopper) => Some(crate::secret::target::Target::Rockhopper),
            _ => None,
        };
        let secret = match (target, inputs.keyring) {
            (_, Some(k)) => format!("--keyring {}", shell_word(k)),
            (Some(t), None) => format!("--for {} --secret-file {}", t.name(), t.spec().path),
            (None, None) => "--keyring KEYRING".to_string(),
        };
        let mut action = format!(
            "{ACT_MISMATCH}; check the token against {}'s secret: `qcd token verify {secret} --spi-i {} --spi-r {} --token {}`",
            o.maker,
            spis.initiator,
            spis.responder,
            hex::encode(token)
        );
        if !self.opts().keys_given {
            action.push_str(&format!(
                "; read the token it gave in IKE_AUTH: `qcd diagnose {} --keys KEY_TABLE`",
                shell_word(inputs.capture.unwrap_or("CAPTURE"))
            ));
        }
        action
    }
}
