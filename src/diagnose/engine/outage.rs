//! After an outage, the recovery steps in order: did the taker check
//! liveness on the old IKE SA, did the maker answer with INVALID_IKE_SPI and
//! a QCD_TOKEN, was the token valid, did a new IKE SA follow. Each verdict
//! family has its file: [`restart`] (the maker reconnected by itself, and
//! what ICMP errors tell of a restart), [`silent`] (no liveness check, or no
//! token in reply), [`token`] (the token reply and its check) and
//! [`reaction`] (what the taker did with the token).

use super::*;

mod reaction;
mod restart;
mod silent;
mod token;

const ACT_NOT_IN_USE: &str = "enable QCD on the maker (only Rockhopper and the racoon2 fork implement it); without it the taker recovers only by its liveness-check timeout";

/// What the recovery steps share: who is who, what the maker gave when the
/// IKE SA was set up, and the taker's requests on the old SA after the outage.
struct Recovery<'g, 'e> {
    /// The token taker (A) and the token maker (B).
    a: IpAddr,
    b: IpAddr,
    /// Where B gave its token: "IKE_AUTH" or "the IKE SA rekey".
    src: &'static str,
    /// The tokens B gave there.
    b_given: Vec<&'g Vec<u8>>,
    /// Whether B's side of that exchange was decrypted (so "no token" is known).
    b_decrypted: bool,
    /// A's requests on the old IKE SA from the outage on.
    checks: Vec<&'e Rec>,
    /// A taker that was the old SA's responder does not reconnect after
    /// accepting a token: the tunnel returns when the initiator (the maker
    /// that restarted) connects again.
    taker_is_responder: bool,
}

impl<'e, 'a> Judge<'e, 'a> {
    /// Walks the recovery steps: liveness check, INVALID_IKE_SPI + QCD_TOKEN,
    /// token validity, new IKE SA.
    pub(super) fn after_outage(&mut self, o: &Outage) -> Judged {
        let (a, b) = (o.taker, o.maker);
        let sa = self.sa;
        let taker_side = o.maker_side.other();
        if let Some(r) = self.wrong_keys() {
            let text =
                r.m.decrypt_error()
                    .as_ref()
                    .map(|e| e.text.clone())
                    .unwrap_or_default();
            return Judged::new(
                Verdict::Inconclusive,
                format!(
                    "cannot be judged: the key table's keys for IKE SA {} {} do not open its SK payloads (frame {}: {text}), so neither the token given in IKE_AUTH nor the liveness checks can be read",
                    sa.spis.initiator, sa.spis.responder, r.frame
                ),
                "fix this SA's line in the key table (SK_ai/SK_ar for an integrity failure, SK_ei/SK_er for bad padding), or run without --keys to judge from behaviour only",
            );
        }
        let given = self.given();
        let src = given.source;
        let b_given: Vec<&Vec<u8>> = given
            .tokens
            .iter()
            .filter(|(ip, _)| *ip == b)
            .map(|(_, t)| t)
            .collect();
        let b_decrypted = given.decrypted_from.contains(&b);
        // The restarted side reconnected by itself before the taker checked
        // liveness: a recovery without QCD, whether or not QCD was in use.
        let taker_asked = self
            .recs
            .iter()
            .any(|r| r.is_request() && r.side == taker_side && r.time >= o.at);
        if !taker_asked {
            if let Some(j) = self.reconnected_by_maker(o) {
                return j;
            }
        }
        if b_given.is_empty() && b_decrypted {
            return Judged::new(
                Verdict::QcdNotInUse,
                format!("{b} gave no QCD_TOKEN in {src} (decrypted): QCD was not in use on {b}, so {a} held no token to check a reply against and could only wait for its own timeout"),
                ACT_NOT_IN_USE,
            );
        }
        let checks: Vec<&'e Rec> = self
            .recs
            .iter()
            .copied()
            .filter(|r| r.is_request() && r.side == taker_side && r.time >= o.at)
            .collect();
        let taker_is_responder = taker_side == Side::Responder;
        let rc = Recovery {
            a,
            b,
            src,
            b_given,
            b_decrypted,
            checks,
            taker_is_responder,
        };
        let Some(first_check) = rc.checks.first().copied() else {
            return self.no_liveness_check(o, &rc);
        };
        let replies: Vec<&'e Rec> = self
            .recs
            .iter()
            .copied()
            .filter(|r| r.m.response && r.side == o.maker_side && r.time >= first_check.time)
            .collect();
        let token_replies: Vec<&'e Rec> = replies
            .iter()
            .copied()
            .filter(|r| {
                !r.m.encrypted
                    && (r.m.notify(NotifyType::INVALID_IKE_SPI).is_some()
                        || r.plain_tokens().next().is_some())
            })
            .collect();
        let Some(first_reply) = token_replies.first().copied() else {
            return self.no_token_reply(o, &rc, first_check, &replies);
        };
        self.token_reply(o, &rc, first_reply, &token_replies)
    }

    /// The new IKE SA between the old one's hosts that the taker started
    /// after `after` (or the maker, when the taker was the old SA's
    /// responder).
    fn new_sa(&self, rc: &Recovery, after: SystemTime) -> Option<&'e Slot> {
        let (sa, engine) = (self.sa, self.engine);
        let (a, b, taker_is_responder) = (rc.a, rc.b, rc.taker_is_responder);
        // A new IKE SA counts when it was answered, or when its set-up is
        // still in progress at the capture's end: an IKE_SA_INIT that nobody
        // ever answered (a probe, a stray attempt) is no recovery.
        let end_time = self.end.map(|e| e.1);
        let window = self.opts().silence;
        let live = move |s: &Slot| -> bool {
            let answered = s
                .state()
                .is_some_and(|st| st.recs().iter().any(|q| q.m.response));
            let last = s
                .state()
                .and_then(|st| st.recs().last().map(|q| q.time))
                .unwrap_or_else(|| s.start());
            answered || end_time.is_none_or(|e| since(e, last) < window)
        };
        // Between the same hosts, by the taker (or the maker for a
        // responder taker), unless the identities show other peers.
        let by_hosts = engine.index.started_after(sa.hosts, after).find(|&s| {
            let slot = &engine.sas[s];
            slot.starts_with_init()
                && live(slot)
                && !engine.identities.differ(self.id, s)
                && slot
                    .initiator()
                    .map(|x| x.ip())
                    .is_some_and(|ip| ip == a || (taker_is_responder && ip == b))
        });
        // From any address, with the same peers' identities (IDi, IDr: seen
        // with keys), e.g. a taker that reconnects from another address.
        let by_identity = engine
            .identities
            .same_peers(self.id)
            .into_iter()
            .filter(|&s| s > self.id)
            .map(|s| (s, &engine.sas[s]))
            .filter(|(_, slot)| slot.start() > after && slot.starts_with_init() && live(slot))
            .min_by_key(|(_, slot)| slot.start())
            .map(|(s, _)| s);
        [by_hosts, by_identity]
            .into_iter()
            .flatten()
            .min_by_key(|&s| engine.sas[s].start())
            .map(|s| &engine.sas[s])
    }
}
