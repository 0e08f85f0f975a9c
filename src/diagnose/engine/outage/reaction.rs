//! What the taker did with the maker's token reply: kept probing the old IKE
//! SA (`token-mismatch`, `token-rejected`), started a new IKE SA
//! (`recovered`), or neither (`not-rekeyed`, or `inconclusive` when the
//! capture ends too early); with what real takers would make of the reply.

use super::token::TokenFacts;
use super::*;

const ACT_TAKER: &str = "enable QCD as token taker on the peer and check that it kept the token from IKE_AUTH; see the taker notes below for the rules a real taker applies";

/// The token reply and what followed it, for the verdicts on the taker.
pub(super) struct Reaction<'x, 'e> {
    /// The token taker (A) and maker (B), and where B gave its token.
    pub(super) a: IpAddr,
    pub(super) b: IpAddr,
    pub(super) src: &'static str,
    pub(super) taker_is_responder: bool,
    pub(super) first_reply: &'e Rec,
    pub(super) token_replies: &'x [&'e Rec],
    pub(super) facts: TokenFacts,
    /// A's requests on the old IKE SA after the first token reply.
    pub(super) later_checks: Vec<&'e Rec>,
    /// The new IKE SA that followed, and how long after the first reply.
    pub(super) n_sa: Option<&'e Slot>,
    pub(super) gap: Option<Duration>,
    pub(super) taker_views: Vec<TakerView>,
    /// The action for a token that does not match.
    pub(super) act_mismatch: String,
}

impl Reaction<'_, '_> {
    fn kept_probing(&self) -> bool {
        !self.later_checks.is_empty()
    }

    fn judged(&self, verdict: Verdict, reason: String, action: &str) -> Judged {
        let mut j = Judged::new(verdict, reason, action);
        j.maker_answered = Some(true);
        j.takers = self.taker_views.clone();
        j.new_sa = self
            .n_sa
            .map(|n| format!("{} {}", n.spis().initiator, n.spis().responder));
        j
    }

    fn probing_text(&self) -> String {
        let (a, b, first_reply) = (self.a, self.b, self.first_reply);
        let later_checks = &self.later_checks;
        let token_replies = self.token_replies;
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
    }

    fn recovery_text(&self) -> String {
        let gap = self.gap;
        match gap {
            Some(g) => format!(
                "it started a new IKE SA only {} after the first token reply, by its own timeout",
                secs(g)
            ),
            None => "it never started a new IKE SA in the capture".to_string(),
        }
    }
}

impl<'e, 'a> Judge<'e, 'a> {
    /// The taker did not take the token: it kept probing the old IKE SA
    /// (`token-mismatch`, `token-rejected`), or the taker judged by
    /// (`--taker`) would reject the reply. `None` when neither.
    pub(super) fn rejected(&mut self, x: &Reaction) -> Option<Judged> {
        let (a, b, src) = (x.a, x.b, x.src);
        let first_reply = x.first_reply;
        let (by_auth, by_keyring, valid) = (x.facts.by_auth, &x.facts.by_keyring, x.facts.valid);
        let keyring_match = x.facts.keyring_match();
        let born_after_set_up = x.facts.born_after_set_up;
        let kept_probing = x.kept_probing();
        let act_mismatch = x.act_mismatch.as_str();
        let selected_rejects = x
            .taker_views
            .iter()
            .find(|v| self.opts().taker.is_some() && v.accepts == Some(false));
        if valid == Some(false) {
            let mut reason = match (by_auth, by_keyring) {
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
            if let (Some(false), Some(k)) = (by_auth, by_keyring) {
                if !k.matched && !k.explanations.is_empty() {
                    reason.push_str(&format!(" ({})", k.explanations.join("; ")));
                }
            }
            if kept_probing {
                self.notes
                    .push(format!("{}; {}", x.probing_text(), x.recovery_text()));
            }
            return Some(x.judged(Verdict::TokenMismatch, reason, act_mismatch));
        }
        if let (true, Some(k)) = (kept_probing, keyring_match) {
            let g = k.generation.unwrap_or(0);
            let (verdict, why) = match born_after_set_up {
                Some(_) => (
                    Verdict::TokenMismatch,
                    format!(
                        "{b}'s reply carries the token of keyring generation {g}, a secret generated after this IKE SA was set up, so it differs from the token {b} gave in {src}: {b}'s QCD secret changed in between (not persisted across the restart, regenerated, or rotated without overlap); {}; {}: {a} rejected it",
                        x.probing_text(),
                        x.recovery_text()
                    ),
                ),
                None => (
                    Verdict::TokenRejected,
                    format!(
                        "{}; {}: {a} rejected {b}'s token. The token matches keyring generation {g}, which shows the secret that made the reply, not the token {a} stored from {src}: most likely {b}'s QCD secret changed between {src} and the reply (not persisted across the restart, rotated without overlap, or another cluster member's secret); --keys (the token given in {src}) would settle it",
                        x.probing_text(),
                        x.recovery_text()
                    ),
                ),
            };
            return Some(x.judged(verdict, why, act_mismatch));
        }
        if kept_probing {
            let why = match valid {
                Some(true) => format!(
                    "{b}'s token is valid, yet {}; {}: {a} rejected the reply{}",
                    x.probing_text(),
                    x.recovery_text(),
                    self.taker_rejections(&x.taker_views)
                ),
                _ => format!(
                    "{}; {}: {a} rejected {b}'s token (the token could not be checked: pass --keys to read the token given in {src}, or --keyring with {b}'s keyring)",
                    x.probing_text(),
                    x.recovery_text()
                ),
            };
            let action = if valid == Some(true) {
                ACT_TAKER
            } else {
                act_mismatch
            };
            return Some(x.judged(Verdict::TokenRejected, why, action));
        }
        if let Some(v) = selected_rejects {
            return Some(x.judged(
                Verdict::TokenRejected,
                format!(
                    "a {} taker would reject {b}'s reply (frame {}): {}",
                    v.taker, first_reply.frame, v.why
                ),
                ACT_TAKER,
            ));
        }
        None
    }

    /// The taker did not reject the token: `recovered` when a new IKE SA
    /// followed, else `not-rekeyed` (or `inconclusive` when the capture ends
    /// before the taker's reaction was due).
    pub(super) fn reaction(&mut self, o: &Outage, x: &Reaction) -> Judged {
        let (a, b, src) = (x.a, x.b, x.src);
        let first_reply = x.first_reply;
        let (by_auth, by_keyring, valid) = (x.facts.by_auth, &x.facts.by_keyring, x.facts.valid);
        let keyring_match = x.facts.keyring_match();
        let (n_sa, gap) = (x.n_sa, x.gap);
        let taker_is_responder = x.taker_is_responder;
        let end = self.end.map(|e| e.1);
        let silence = self.opts().silence;
        match n_sa {
            Some(n) => {
                let g = gap.unwrap_or_default();
                let how = match (by_auth, by_keyring) {
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
                x.judged(
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
                    return x.judged(
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
                    let mut j = x.judged(
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
                    Some(true) if keyring_match.is_some() => format!("{b} sent a QCD_TOKEN that matches its keyring, but {a} never started a new IKE SA and sent nothing more on the old one: either {a} does not act as token taker, or the token it stored from {src} came from another secret ({b}'s secret changed since); --keys (the token given in {src}) would tell which{}", self.taker_rejections(&x.taker_views)),
                    Some(true) => format!("{b} sent a valid QCD_TOKEN, but {a} never started a new IKE SA and sent nothing more on the old one: {a} does not act as token taker, or did not keep the token from {src}{}", self.taker_rejections(&x.taker_views)),
                    _ => format!("{b} sent a QCD_TOKEN, but {a} never started a new IKE SA; the token could not be checked (give --keyring or --keys), so {a} may have rejected it{}", self.taker_rejections(&x.taker_views)),
                };
                x.judged(Verdict::NotRekeyed, reason, ACT_TAKER)
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

    pub(super) fn taker_views(
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
