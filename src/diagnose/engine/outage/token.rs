//! The maker answered with INVALID_IKE_SPI: whether its reply carries a
//! token, whether that token is the one given when the IKE SA was set up (or
//! one of the keyring's), and what the taker did with it: `recovered`,
//! `not-rekeyed`, `token-mismatch`, `token-rejected` (or `no-token` for a
//! reply without one, `inconclusive` when the capture ends too early).

use super::*;

const ACT_NO_TOKEN: &str = "enable QCD as token maker on the gateway and check that it can read its QCD secret (Rockhopper: /home/rhpprotected/config/qcd_secret; racoon2 fork: /var/lib/racoon2/qcd.secret)";
const ACT_MISMATCH: &str =
    "persist the maker's QCD secret across reboots and keep previous generations after a rotation";
const ACT_TAKER: &str = "enable QCD as token taker on the peer and check that it kept the token from IKE_AUTH; see the taker notes below for the rules a real taker applies";

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
        let (a, b, src) = (rc.a, rc.b, rc.src);
        let sa = self.sa;
        let b_given = &rc.b_given;
        let taker_is_responder = rc.taker_is_responder;
        let end = self.end.map(|e| e.1);
        let silence = self.opts().silence;
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
            for t in &all_tokens {
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
        // Behaviour after the first token reply.
        let later_checks: Vec<&'e Rec> = rc
            .checks
            .iter()
            .copied()
            .filter(|r| r.time > first_reply.time)
            .collect();
        let n_sa = self.new_sa(rc, first_reply.time);
        let gap = n_sa.map(|n| since(n.start(), first_reply.time));
        let taker_views = self.taker_views(first_reply, o, b_given, valid);
        let act_mismatch = self.mismatch_action(o, &all_tokens[0].data);
        let act_mismatch = act_mismatch.as_str();
        let judged = |verdict: Verdict, reason: String, action: &str| -> Judged {
            let mut j = Judged::new(verdict, reason, action);
            j.maker_answered = Some(true);
            j.takers = taker_views.clone();
            j.new_sa = n_sa.map(|n| format!("{} {}", n.spis().initiator, n.spis().responder));
            j
        };
        if let Some(n) = n_sa {
            self.event(
                n.first_frame(),
                n.start(),
                format!(
                    "{a} starts a new IKE SA (SPI-I {}) {} after the first INVALID_IKE_SPI",
                    n.spis().initiator,
                    secs(gap.unwrap_or_default())
                ),
            );
        }
        let kept_probing = !later_checks.is_empty();
        let probing_text = || -> String {
            let last = later_checks.last().expect("kept probing");
            let more_replies = token_replies
                .iter()
                .filter(|r| r.time > first_reply.time)
                .count();
            format!(
                "{a} sent {} more {} on the old IKE SA after {b}'s first token reply (frame {}), the last at frame {} (+{}), drawing {}",
                later_checks.len(),
                if later_checks.len() == 1 { "request" } else { "requests" },
                first_reply.frame,
                last.frame,
                secs(since(last.time, first_reply.time)),
                plural(more_replies as u64, "more token reply", "more token replies")
            )
        };
        let recovery_text = || -> String {
            match gap {
                Some(g) => format!("it started a new IKE SA only {} after the first token reply, by its own timeout", secs(g)),
                None => "it never started a new IKE SA in the capture".to_string(),
            }
        };
        let selected_rejects = taker_views
            .iter()
            .find(|v| self.opts().taker.is_some() && v.accepts == Some(false));
        if valid == Some(false) {
            let mut reason = match (by_auth, &by_keyring) {
                (Some(false), Some(k)) if !k.matched && k.explanations.is_empty() => format!(
                    "{b}'s token after the reboot matches neither the token it gave in {src} nor any generation of the keyring: its QCD secret changed at the reboot (not persisted, or regenerated at boot)"
                ),
                (Some(false), Some(k)) if k.matched => format!(
                    "{b}'s token after the reboot matches keyring generation {} but not the token it gave in {src}: {b} made that token with another secret (rotated without overlap, or a different member's secret)",
                    k.generation.unwrap_or(0)
                ),
                (Some(false), _) => format!("{b}'s token after the reboot differs from the token it gave in {src}, so {a} rejects it: the secret or the token construction changed across the reboot"),
                (None, Some(k)) if k.explanations.is_empty() => format!("{b}'s token matches no generation of the keyring (nor any other profile, length, SPI order or taker address tried): the secret was probably not persisted across the reboot"),
                (None, Some(k)) => format!("{b}'s token matches no active or previous generation: {}", k.explanations.join("; ")),
                _ => format!("{b}'s token does not match"),
            };
            if let (Some(false), Some(k)) = (by_auth, &by_keyring) {
                if !k.matched && !k.explanations.is_empty() {
                    reason.push_str(&format!(" ({})", k.explanations.join("; ")));
                }
            }
            if kept_probing {
                self.notes
                    .push(format!("{}; {}", probing_text(), recovery_text()));
            }
            return judged(Verdict::TokenMismatch, reason, act_mismatch);
        }
        if let (true, Some(k)) = (kept_probing, keyring_match) {
            let g = k.generation.unwrap_or(0);
            let (verdict, why) = match born_after_set_up {
                Some(_) => (
                    Verdict::TokenMismatch,
                    format!(
                        "{b}'s reply carries the token of keyring generation {g}, a secret generated after this IKE SA was set up, so it differs from the token {b} gave in {src}: {b}'s QCD secret changed in between (not persisted across the restart, regenerated, or rotated without overlap); {}; {}: {a} rejected it",
                        probing_text(),
                        recovery_text()
                    ),
                ),
                None => (
                    Verdict::TokenRejected,
                    format!(
                        "{}; {}: {a} rejected {b}'s token. The token matches keyring generation {g}, which shows the secret that made the reply, not the token {a} stored from {src}: most likely {b}'s QCD secret changed between {src} and the reply (not persisted across the restart, rotated without overlap, or another cluster member's secret); --keys (the token given in {src}) would settle it",
                        probing_text(),
                        recovery_text()
                    ),
                ),
            };
            return judged(verdict, why, act_mismatch);
        }
        if kept_probing {
            let why = match valid {
                Some(true) => format!(
                    "{b}'s token is valid, yet {}; {}: {a} rejected the reply{}",
                    probing_text(),
                    recovery_text(),
                    self.taker_rejections(&taker_views)
                ),
                _ => format!(
                    "{}; {}: {a} rejected {b}'s token (the token could not be checked: pass --keys to read the token given in {src}, or --keyring with {b}'s keyring)",
                    probing_text(),
                    recovery_text()
                ),
            };
            let action = if valid == Some(true) {
                ACT_TAKER
            } else {
                act_mismatch
            };
            return judged(Verdict::TokenRejected, why, action);
        }
        if let Some(v) = selected_rejects {
            return judged(
                Verdict::TokenRejected,
                format!(
                    "a {} taker would reject {b}'s reply (frame {}): {}",
                    v.taker, first_reply.frame, v.why
                ),
                ACT_TAKER,
            );
        }
        match n_sa {
            Some(n) => {
                let g = gap.unwrap_or_default();
                let how = match (by_auth, &by_keyring) {
                    (Some(true), _) => format!("its token is byte for byte the one given in {src}"),
                    (None, Some(k)) if k.matched => format!(
                        "its token matches keyring generation {}",
                        k.generation.unwrap_or(0)
                    ),
                    _ => {
                        self.notes.push("the token was not checked: pass --keys (to read the token given in IKE_AUTH) or --keyring (the maker's)".into());
                        format!("judged from behaviour: no further request on the old SA after the reply, and a new IKE SA {} later", secs(g))
                    }
                };
                // A slow reconnect: attempts from another address first?
                let stray = self.stray_attempts(o, first_reply.time, n.start());
                if let (Some(f), Some(l)) = (stray.first(), stray.last()) {
                    let from: Vec<String> = {
                        let mut v: Vec<String> = stray.iter().map(|s| s.1.to_string()).collect();
                        v.dedup();
                        v
                    };
                    self.notes.push(format!(
                        "recovery was slow ({} after the token reply) because of {} from {} to {b} that nobody answered (frames {}–{}); the reconnect from {} then worked at once: QCD itself worked (a multi-homed host sending IKE from the wrong source address?)",
                        secs(since(n.start(), first_reply.time)),
                        plural(stray.len() as u64, "IKE_SA_INIT attempt", "IKE_SA_INIT attempts"),
                        from.join(", "),
                        f.0,
                        l.0,
                        n.initiator().map(|x| x.ip().to_string()).unwrap_or_default()
                    ));
                }
                let reconnected = if n.initiator().map(|x| x.ip()) == Some(a) {
                    "started a new IKE SA".to_string()
                } else {
                    format!("dropped the old IKE SA; as its responder {a} does not reconnect, and {b} (the initiator) connected again")
                };
                judged(
                    Verdict::Recovered,
                    format!(
                        "recovered {} after the first INVALID_IKE_SPI: {a} accepted {b}'s QCD token ({how}) and {reconnected}",
                        secs(g)
                    ),
                    "",
                )
            }
            None => {
                if let Some(e) = end.filter(|&e| since(e, first_reply.time) < silence) {
                    return judged(
                        Verdict::Inconclusive,
                        format!(
                            "{b} answered with a QCD_TOKEN (frame {}), but the capture ends {} later, before {a}'s reaction was due",
                            first_reply.frame,
                            secs(since(e, first_reply.time))
                        ),
                        "capture for longer after the token reply",
                    );
                }
                if taker_is_responder && valid != Some(false) {
                    // A responder that accepts deletes the SA and waits for
                    // the initiator: not the taker's fault.
                    let mut j = judged(
                        Verdict::NotRekeyed,
                        format!(
                            "{a}, the old IKE SA's responder, sent no more requests on it after {b}'s token reply (frame {}): it accepted the token and dropped the SA; as responder it does not reconnect, and {b} (the initiator) did not connect again in the capture",
                            first_reply.frame
                        ),
                        "",
                    );
                    j.action = format!("make {b} reconnect by itself after a restart (an always-on connection); nothing needs changing on {a}, which accepted the token");
                    return j;
                }
                let reason = match valid {
                    Some(true) if keyring_match.is_some() => format!("{b} sent a QCD_TOKEN that matches its keyring, but {a} never started a new IKE SA and sent nothing more on the old one: either {a} does not act as token taker, or the token it stored from {src} came from another secret ({b}'s secret changed since); --keys (the token given in {src}) would tell which{}", self.taker_rejections(&taker_views)),
                    Some(true) => format!("{b} sent a valid QCD_TOKEN, but {a} never started a new IKE SA and sent nothing more on the old one: {a} does not act as token taker, or did not keep the token from {src}{}", self.taker_rejections(&taker_views)),
                    _ => format!("{b} sent a QCD_TOKEN, but {a} never started a new IKE SA; the token could not be checked (give --keyring or --keys), so {a} may have rejected it{}", self.taker_rejections(&taker_views)),
                };
                judged(Verdict::NotRekeyed, reason, ACT_TAKER)
            }
        }
    }

    fn taker_rejections(&self, views: &[TakerView]) -> String {
        let rejecting: Vec<String> = views
            .iter()
            .filter(|v| v.accepts == Some(false))
            .map(|v| format!("a {} taker would reject it ({})", v.taker, v.why))
            .collect();
        if rejecting.is_empty() {
            String::new()
        } else {
            format!("; {}", rejecting.join("; "))
        }
    }

    fn taker_views(
        &mut self,
        reply: &Rec,
        o: &Outage,
        given: &[&Vec<u8>],
        valid: Option<bool>,
    ) -> Vec<TakerView> {
        let sa = self.sa;
        let facts = TakerFacts {
            exchange: reply.m.exchange,
            response: reply.m.response,
            first_payload: reply.m.first_payload,
            has_invalid_ike_spi: reply.m.notify(NotifyType::INVALID_IKE_SPI).is_some(),
            tokens: reply.plain_tokens().map(|t| t.data.as_slice()).collect(),
            from_peer_address: sa.uses(o.maker_side, self.ep(reply.src).ip()),
            reply_from: self.ep(reply.src).ip(),
            peer_addresses: sa.addresses(o.maker_side),
            given: given.iter().map(|g| g.as_slice()).collect(),
            token_valid: valid,
            established: true,
        };
        let views: Vec<TakerView> = Taker::ALL
            .into_iter()
            .filter(|&t| self.wants(t))
            .map(|t| takers::judge(t, &facts))
            .collect();
        let accepting: Vec<&str> = views
            .iter()
            .filter(|v| v.accepts == Some(true))
            .map(|v| v.taker)
            .collect();
        let rejecting: Vec<&str> = views
            .iter()
            .filter(|v| v.accepts == Some(false))
            .map(|v| v.taker)
            .collect();
        for v in &views {
            let verdict = match v.accepts {
                Some(true) => "accepts",
                Some(false) => "rejects",
                None => "cannot tell whether it accepts",
            };
            self.notes.push(format!(
                "taker {}: {verdict} the reply of frame {}: {}",
                v.taker, reply.frame, v.why
            ));
        }
        if !accepting.is_empty() && !rejecting.is_empty() {
            self.notes.push(format!(
                "the reply of frame {} would be accepted by {} and rejected by {}",
                reply.frame,
                accepting.join(", "),
                rejecting.join(", ")
            ));
        }
        views
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

    /// New IKE SAs to the maker between `from` and `to` from another address
    /// than the taker's, never answered: a multi-homed taker's attempts from
    /// the wrong source address (frame, source).
    fn stray_attempts(&self, o: &Outage, from: SystemTime, to: SystemTime) -> Vec<(u64, IpAddr)> {
        let mut found = Vec::new();
        for slot in self.engine.sas.iter().skip(self.id + 1) {
            let start = slot.start();
            if start > to {
                break;
            }
            if start < from || !slot.starts_with_init() {
                continue;
            }
            let (Some(i), Some(r)) = (
                slot.initiator(),
                slot.state().map_or_else(
                    || match slot {
                        Slot::Lone(l) => Some(l.dst),
                        Slot::Full(_) | Slot::Done(_) | Slot::Gone(_) => None,
                    },
                    |s| s.responder(),
                ),
            ) else {
                continue;
            };
            let answered = slot
                .state()
                .is_some_and(|s| s.recs().iter().any(|q| q.m.response));
            if r.ip() == o.maker && i.ip() != o.taker && !answered {
                found.push((slot.first_frame(), i.ip()));
            }
        }
        found
    }
}
