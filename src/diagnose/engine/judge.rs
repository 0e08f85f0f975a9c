//! The judgement of one IKE SA: [`Reports`] judges the SAs one at a time;
//! [`Judge`] decides whether the SA was established, finds the earliest
//! evidence of an outage and what the maker gave when the SA was set up, and
//! leaves the recovery steps after an outage to [`super::outage`].

use super::*;

/// The reports of [`Engine::finish`], judged on demand.
pub struct Reports<'a> {
    pub(super) engine: Engine<'a>,
    pub(super) next: usize,
    pub(super) end: Option<(u64, SystemTime)>,
    /// IKE SAs still to judge (those released in follow mode are not).
    pub(super) left: usize,
}

impl ExactSizeIterator for Reports<'_> {}

impl Iterator for Reports<'_> {
    type Item = SaReport;

    fn next(&mut self) -> Option<SaReport> {
        while self
            .engine
            .sas
            .get(self.next)
            .is_some_and(|s| matches!(s, Slot::Done(_) | Slot::Gone(_)))
        {
            self.next += 1;
        }
        let i = self.next;
        if i >= self.engine.sas.len() {
            return None;
        }
        self.next += 1;
        self.left -= 1;
        // A lone request is judged in its whole state, then kept lone (the
        // SAs judged after it read its SPIs, start and initiator).
        let lone = match &self.engine.sas[i] {
            Slot::Lone(l) => {
                let whole = Slot::Full(Box::new(l.expand()));
                Some(std::mem::replace(&mut self.engine.sas[i], whole))
            }
            Slot::Full(_) | Slot::Done(_) | Slot::Gone(_) => None,
        };
        let report = Judge::new(&self.engine, i, self.end).run();
        match lone {
            Some(lone) => self.engine.sas[i] = lone,
            None => {
                let sa = self.engine.sas[i].full();
                sa.kept = Vec::new();
                sa.tail = None;
                sa.flows = Vec::new();
                sa.flow_slots = None;
            }
        }
        Some(report)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

/// Who lost state, who should notice, and when the outage showed.
#[derive(Clone)]
pub(super) struct Outage {
    pub(super) taker: IpAddr,
    pub(super) maker: IpAddr,
    pub(super) maker_side: Side,
    pub(super) at: SystemTime,
    pub(super) frame: u64,
    pub(super) evidence: String,
    /// The maker's last packet before the outage showed, and how much ESP
    /// the taker sent from then until the evidence.
    pub(super) maker_last: Option<LastSeen>,
    pub(super) taker_esp_at_evidence: u64,
}

/// The judgement of one IKE SA.
pub(super) struct Judge<'e, 'a> {
    pub(super) engine: &'e Engine<'a>,
    /// This SA's index in `engine.sas`.
    pub(super) id: SaId,
    pub(super) sa: &'e SaState,
    /// The SA's endpoints, formatted once.
    pub(super) ep_text: Vec<String>,
    /// The suite negotiated in IKE_SA_INIT (sizes SK payloads without keys).
    pub(super) suite: Option<Suite>,
    pub(super) recs: Vec<&'e Rec>,
    pub(super) end: Option<(u64, SystemTime)>,
    pub(super) events: Vec<TimelineEvent>,
    pub(super) notes: Vec<String>,
    pub(super) times: crate::timefmt::Rfc3339Writer,
}

pub(super) struct Given {
    /// (sender address, token).
    pub(super) tokens: Vec<(IpAddr, Vec<u8>)>,
    /// Whether the maker side's exchange was decrypted (so "no token" is known).
    pub(super) decrypted_from: Vec<IpAddr>,
    /// "IKE_AUTH" or "the IKE SA rekey".
    pub(super) source: &'static str,
}

/// What a verdict adds to the report.
pub(super) struct Judged {
    pub(super) verdict: Verdict,
    pub(super) reason: String,
    pub(super) action: String,
    pub(super) maker_answered: Option<bool>,
    pub(super) takers: Vec<TakerView>,
    pub(super) new_sa: Option<String>,
    pub(super) recovery_of: Option<String>,
}

impl Judged {
    pub(super) fn new(verdict: Verdict, reason: String, action: &str) -> Judged {
        Judged {
            verdict,
            reason,
            action: action.to_string(),
            maker_answered: None,
            takers: Vec::new(),
            new_sa: None,
            recovery_of: None,
        }
    }
}

/// How a reason or note begins a statement about the capture's end.
pub(crate) const CAPTURE_ENDS: &str = "the capture ends";

impl<'e, 'a> Judge<'e, 'a> {
    /// The endpoint a message names by index.
    pub(super) fn ep(&self, i: u8) -> SocketAddr {
        self.sa.endpoint(i)
    }

    pub(super) fn new(engine: &'e Engine<'a>, id: SaId, end: Option<(u64, SystemTime)>) -> Self {
        let Some(sa) = engine.sas[id].state() else {
            unreachable!("Reports builds an SA's whole state before judging it")
        };
        Judge {
            engine,
            id,
            ep_text: sa.endpoints.iter().map(|(e, _)| e.to_string()).collect(),
            suite: sa.suite,
            sa,
            recs: sa.recs(),
            end,
            events: Vec::new(),
            notes: Vec::new(),
            times: crate::timefmt::Rfc3339Writer::new(),
        }
    }

    pub(super) fn opts(&self) -> &Options<'a> {
        self.engine.opts
    }

    /// The first IKE_AUTH (or later) failure, or `None` when the SA was
    /// established (or was already established when the capture began).
    pub(super) fn establishment(&self) -> Result<(), (String, bool)> {
        let sa = self.sa;
        if sa.rekeyed_from.is_some() {
            return Ok(());
        }
        let first = self.recs.first();
        let setup = first.is_some_and(|r| {
            matches!(
                r.m.exchange,
                ExchangeType::IKE_SA_INIT | ExchangeType::IKE_AUTH
            )
        });
        if !setup {
            return Ok(());
        }
        let auth_response = self
            .recs
            .iter()
            .rev()
            .find(|r| r.m.exchange == ExchangeType::IKE_AUTH && r.m.response);
        if let Some(r) = auth_response {
            let errors: Vec<NotifyType> =
                r.m.inner_notifies
                    .iter()
                    .flatten()
                    .chain(r.m.notifies.iter())
                    .map(|n| n.notify_type)
                    .filter(|t| t.is_error())
                    .collect();
            // With an AUTH payload the IKE SA is up even when the Child SA
            // failed (NO_PROPOSAL_CHOSEN, TS_UNACCEPTABLE…: RFC 7296 §1.2).
            if r.m.inner_other.contains(PayloadType::AUTH) {
                return Ok(());
            }
            if let Some(&e) = errors.first() {
                return Err((
                    format!(
                        "the IKE_AUTH response (frame {}) carries {}: authentication failed, so no IKE SA was established",
                        r.frame, e
                    ),
                    false,
                ));
            }
            return Ok(());
        }
        // Any protected exchange after IKE_AUTH means it succeeded.
        if self.recs.iter().any(|r| {
            matches!(
                r.m.exchange,
                ExchangeType::CREATE_CHILD_SA | ExchangeType::INFORMATIONAL
            ) && r.m.encrypted
                && r.m.response
        }) {
            return Ok(());
        }
        let init_requests = self
            .recs
            .iter()
            .filter(|r| r.m.exchange == ExchangeType::IKE_SA_INIT && !r.m.response)
            .count();
        let init_response = self
            .recs
            .iter()
            .rev()
            .find(|r| r.m.exchange == ExchangeType::IKE_SA_INIT && r.m.response);
        let auth_request = self
            .recs
            .iter()
            .find(|r| r.m.exchange == ExchangeType::IKE_AUTH && !r.m.response);
        let (who_i, who_r) = (
            sa.initiator()
                .map(|a| a.ip().to_string())
                .unwrap_or_default(),
            sa.responder()
                .map(|a| a.ip().to_string())
                .unwrap_or_default(),
        );
        let end_note = |t: SystemTime| -> String {
            match self.end {
                Some((_, e)) if since(e, t) < self.opts().silence => format!(
                    " (the capture ends {} later, so an answer may still have come)",
                    secs(since(e, t))
                ),
                _ => String::new(),
            }
        };
        // Cut off by the capture's end: the set-up is in progress, not failed.
        let cut_off = self
            .recs
            .last()
            .is_some_and(|r| !end_note(r.time).is_empty());
        let failed = |why: String| Err((why, false));
        let waiting = |why: String| Err((why, cut_off));
        match (init_response, auth_request) {
            (None, None) => waiting(format!(
                "{who_r} never answered {who_i}'s IKE_SA_INIT request ({} sent){}",
                plural(init_requests as u64, "request", "requests"),
                self.recs.last().map(|r| end_note(r.time)).unwrap_or_default()
            )),
            (Some(r), None) => {
                let errors: Vec<NotifyType> = r
                    .m
                    .notifies
                    .iter()
                    .map(|n| n.notify_type)
                    .filter(|t| t.is_error())
                    .collect();
                match errors.first() {
                    Some(&e) => failed(format!(
                        "IKE_SA_INIT failed: {who_r} answered {} (frame {})",
                        e,
                        r.frame
                    )),
                    None => waiting(format!(
                        "the capture shows no IKE_AUTH after the IKE_SA_INIT response (frame {}){}",
                        r.frame,
                        end_note(r.time)
                    )),
                }
            }
            // Without the IKE_SA_INIT response the capture is one-sided,
            // not cut off.
            (_, Some(a)) => Err((format!(
                "the capture shows no IKE_AUTH response to {who_i}'s IKE_AUTH request (frame {}){}{}",
                a.frame,
                if init_response.is_none() {
                    format!("; it holds no message from {who_r} at all: was it taken on one side only, or filtered?")
                } else {
                    String::new()
                },
                end_note(a.time)
            ), cut_off && init_response.is_some())),
        }
    }

    /// The tokens the maker gave the taker when the IKE SA was set up.
    pub(super) fn given(&self) -> Given {
        let mut g = Given {
            tokens: Vec::new(),
            decrypted_from: Vec::new(),
            source: "IKE_AUTH",
        };
        if let Some(link) = &self.sa.rekeyed_from {
            g.source = "the IKE SA rekey";
            if link.certain {
                g.tokens.extend(link.tokens.iter().cloned());
                g.decrypted_from.push(link.to.ip());
            }
        }
        for r in &self.recs {
            let m = &r.m;
            let carries = match m.exchange {
                ExchangeType::IKE_AUTH => g.source == "IKE_AUTH",
                // A taker that rekeyed may send its new token in a separate INFORMATIONAL.
                ExchangeType::INFORMATIONAL => true,
                _ => false,
            };
            if !carries || !m.encrypted {
                continue;
            }
            if let Some(inner) = &m.inner_notifies {
                // "No token" is known only from an authenticated decryption:
                // unchecked keys could have given garbage.
                if m.exchange == ExchangeType::IKE_AUTH
                    && !m.unverified()
                    && !g.decrypted_from.contains(&self.ep(r.src).ip())
                {
                    g.decrypted_from.push(self.ep(r.src).ip());
                }
                for n in inner
                    .iter()
                    .filter(|n| n.notify_type == NotifyType::QCD_TOKEN)
                {
                    g.tokens.push((self.ep(r.src).ip(), n.data.clone()));
                }
            }
        }
        g
    }

    pub(super) fn wrong_keys(&self) -> Option<&'e Rec> {
        self.recs
            .iter()
            .copied()
            .find(|r| r.m.decrypt_error().is_some_and(|e| e.wrong_keys))
    }

    /// The earliest evidence of an outage, and a note when the capture ends
    /// before an open request could have been answered.
    pub(super) fn outage(&mut self, closed: Option<SystemTime>) -> Option<Outage> {
        let sa = self.sa;
        let silence = self.opts().silence;
        let end_time = self.end.map(|e| e.1);
        let mut best: Option<Outage> = None;
        let consider = |o: Outage, best: &mut Option<Outage>| {
            if best.as_ref().is_none_or(|b| o.at < b.at) {
                *best = Some(o);
            }
        };
        let in_force = |t: SystemTime| closed.is_none_or(|c| t < c);
        // (a) INVALID_SPI; (b) INVALID_IKE_SPI, dated at the request it answers.
        if let Some(r) = self
            .recs
            .iter()
            .find(|r| r.m.notify(NotifyType::INVALID_SPI).is_some() && in_force(r.time))
        {
            consider(
                Outage {
                    taker: self.ep(r.dst).ip(),
                    maker: self.ep(r.src).ip(),
                    maker_side: r.side,
                    at: r.time,
                    frame: r.frame,
                    evidence: format!("INVALID_SPI from {}", self.ep(r.src).ip()),
                    maker_last: r.last_before(r.side),
                    taker_esp_at_evidence: r.esp_before(r.side.other()),
                },
                &mut best,
            );
        }
        if let Some(r) = self.recs.iter().find(|r| {
            !r.m.encrypted && r.m.notify(NotifyType::INVALID_IKE_SPI).is_some() && in_force(r.time)
        }) {
            let copies = || {
                self.recs.iter().copied().filter(|q| {
                    q.frame < r.frame
                        && q.side != r.side
                        && q.is_request()
                        && q.m.message_id == r.m.message_id
                })
            };
            // The outage dates from the first copy; the reply answers the
            // latest (re)transmission before it.
            let first = copies().min_by_key(|q| (q.time, q.frame));
            let answered = copies().max_by_key(|q| (q.frame, q.time));
            let at = first.unwrap_or(r);
            consider(
                Outage {
                    taker: self.ep(r.dst).ip(),
                    maker: self.ep(r.src).ip(),
                    maker_side: r.side,
                    at: at.time,
                    frame: at.frame,
                    evidence: format!(
                        "INVALID_IKE_SPI from {} (frame {}){}",
                        self.ep(r.src).ip(),
                        r.frame,
                        match (first, answered) {
                            (Some(f), Some(q)) if f.frame != q.frame => format!(
                                ", answering the request of frame {} (a retransmission of frame {})",
                                q.frame, f.frame
                            ),
                            (_, Some(q)) => format!(", answering the request of frame {}", q.frame),
                            _ => String::new(),
                        }
                    ),
                    maker_last: at.last_before(r.side),
                    taker_esp_at_evidence: at.esp_before(r.side.other()),
                },
                &mut best,
            );
        }
        // (c) A request never answered, retransmitted or left open longer than the silence window.
        let mut open_at_end: Option<&Rec> = None;
        for (i, r) in self.recs.iter().enumerate() {
            if !r.is_request()
                || !in_force(r.time)
                || matches!(
                    r.m.exchange,
                    ExchangeType::IKE_SA_INIT | ExchangeType::IKE_AUTH
                )
            {
                continue;
            }
            let later = &self.recs[i + 1..];
            let answered = later
                .iter()
                .any(|q| q.m.response && q.side != r.side && q.m.message_id == r.m.message_id);
            if answered {
                continue;
            }
            // Only the first copy of a retransmitted request counts.
            if self.recs[..i].iter().any(|q| {
                q.is_request()
                    && q.side == r.side
                    && q.m.message_id == r.m.message_id
                    && q.m.exchange == r.m.exchange
            }) {
                continue;
            }
            let retransmitted = later
                .iter()
                .any(|q| q.is_request() && q.side == r.side && q.m.message_id == r.m.message_id);
            let waited = end_time.map(|e| since(e, r.time));
            if !retransmitted && waited.is_some_and(|w| w < silence) {
                open_at_end.get_or_insert(r);
                continue;
            }
            let maker_side = r.side.other();
            consider(
                Outage {
                    taker: self.ep(r.src).ip(),
                    maker: self.ep(r.dst).ip(),
                    maker_side,
                    at: r.time,
                    frame: r.frame,
                    evidence: format!(
                        "{} stopped answering IKE requests (message id {} from {} got no response)",
                        self.ep(r.dst).ip(),
                        r.m.message_id,
                        self.ep(r.src).ip()
                    ),
                    maker_last: r.last_before(maker_side),
                    taker_esp_at_evidence: r.esp_before(r.side),
                },
                &mut best,
            );
            break;
        }
        // (d) Silence: a side that sent ESP, then nothing, while the other kept sending.
        for quiet in [Side::Initiator, Side::Responder] {
            let talker = quiet.other();
            let (Some(lq), Some(lt)) = (sa.last[quiet as usize], sa.last[talker as usize]) else {
                continue;
            };
            if sa.esp_count[quiet as usize] == 0 || !in_force(lq.time) {
                continue;
            }
            let gap = since(lt.time, lq.time);
            if gap > silence {
                let (Some(q_ip), Some(t_ip)) = (sa.ip(quiet), sa.ip(talker)) else {
                    continue;
                };
                consider(
                    Outage {
                        taker: t_ip,
                        maker: q_ip,
                        maker_side: quiet,
                        at: lq.time,
                        frame: lq.frame,
                        evidence: format!(
                            "{q_ip} went silent (its last packet, frame {}) while {t_ip} kept sending for {}",
                            lq.frame,
                            secs(gap)
                        ),
                        maker_last: Some(lq),
                        taker_esp_at_evidence: lq.other_esp,
                    },
                    &mut best,
                );
            }
        }
        if let (Some(r), None) = (open_at_end, &best) {
            let e = end_time.expect("checked");
            self.notes.push(format!(
                "the capture ends {} after {}'s request of frame {} (message id {}), before an answer was due: not counted as an outage",
                secs(since(e, r.time)),
                self.ep(r.src).ip(),
                r.frame,
                r.m.message_id
            ));
        }
        best
    }

    /// When a decrypted Delete of this IKE SA was sent (the SA ended normally).
    pub(super) fn closed(&self) -> Option<(&'e Rec, SystemTime)> {
        self.recs
            .iter()
            .copied()
            .find(|r| {
                r.is_request()
                    && r.m
                        .inner_deletes()
                        .iter()
                        .any(|d| d.protocol_id == ProtocolId::IKE)
            })
            .map(|r| (r, r.time))
    }

    pub(super) fn judge(&mut self) -> (Option<Outage>, Judged) {
        let sa = self.sa;
        if let Err((why, cut_off)) = self.establishment() {
            if cut_off {
                return (
                    None,
                    Judged::new(
                        Verdict::InProgress,
                        format!("set-up in progress when the capture ends: {why}"),
                        "",
                    ),
                );
            }
            if let Some(j) = self.attempt_within_recovery(&why) {
                return (None, j);
            }
            return (
                None,
                Judged::new(
                    Verdict::NotEstablished,
                    format!("never established: {why}"),
                    "look at the IKE_SA_INIT/IKE_AUTH exchange on both gateways (their logs); QCD starts only once an IKE SA is up",
                ),
            );
        }
        if let Some(j) = self.probe() {
            return (None, j);
        }
        let closed = self.closed();
        let outage = self.outage(closed.map(|c| c.1));
        // The rekey that replaced this SA is told in words as `replaced_by`
        // tells it in JSON, even when a Delete follows.
        let rekeyed_text = sa.replaced.as_deref().map(|&(_, n, certain)| {
            let new = self.engine.sas[n].spis();
            if certain {
                format!("rekeyed into IKE SA {} {}", new.initiator, new.responder)
            } else {
                format!(
                    "probably rekeyed into IKE SA {} {}",
                    new.initiator, new.responder
                )
            }
        });
        if let Some((r, _)) = closed {
            if outage.is_none() {
                let deleted = format!(
                    "closed by a Delete of the IKE SA from {} (frame {}); no outage before it",
                    self.ep(r.src).ip(),
                    r.frame
                );
                let reason = match &rekeyed_text {
                    Some(t) => format!("{t}, then {deleted}"),
                    None => deleted,
                };
                return (None, Judged::new(Verdict::Healthy, reason, ""));
            }
        }
        // An SA replaced by a rekey: later evidence concerns its successor.
        if let Some(&(t_rep, n, certain)) = sa.replaced.as_deref() {
            if outage.as_ref().is_none_or(|o| o.at >= t_rep) {
                let new = self.engine.sas[n].spis();
                let reason = if certain {
                    format!(
                        "rekeyed into IKE SA {} {} before any outage",
                        new.initiator, new.responder
                    )
                } else {
                    format!(
                        "probably rekeyed into IKE SA {} {} before any outage: that SA appears right after this one's CREATE_CHILD_SA, which was not decrypted; pass --keys with this SA's keys to confirm the link and read the token given in the rekey",
                        new.initiator, new.responder
                    )
                };
                return (None, Judged::new(Verdict::Healthy, reason, ""));
            }
        }
        let Some(o) = outage else {
            let mut j = Judged::new(
                Verdict::Healthy,
                "no outage seen: no INVALID_SPI or INVALID_IKE_SPI, every IKE request was answered, and neither side fell silent".into(),
                "",
            );
            let given = self.given();
            if let (Some(r), true) = (sa.responder(), self.opts().keys_given) {
                if given.decrypted_from.contains(&r.ip())
                    && !given.tokens.iter().any(|(ip, _)| *ip == r.ip())
                {
                    self.notes.push(format!(
                        "{} gave no QCD_TOKEN in {}: QCD is not in use on that side, so a crash there would be detected only by liveness-check timeouts",
                        r.ip(),
                        given.source
                    ));
                }
            }
            j.action.clear();
            return (None, j);
        };
        if let Some(l) = o.maker_last {
            let kind = if l.esp { "ESP" } else { "IKE" };
            let gap = since(o.at, l.time);
            let mut what = format!("last packet from {} before the outage ({kind})", o.maker);
            let taker_esp = o.taker_esp_at_evidence.saturating_sub(l.other_esp);
            if taker_esp > 0 && gap > Duration::from_millis(500) {
                what.push_str(&format!(
                    "; {} kept sending ESP to it: {} in the {} until the outage showed",
                    o.taker,
                    plural(taker_esp, "packet", "packets"),
                    secs(gap)
                ));
            }
            self.event(l.frame, l.time, what);
        }
        self.notes.push(format!(
            "outage: {}; token maker (B) = {}, token taker (A) = {}",
            o.evidence, o.maker, o.taker
        ));
        if let Some(n) = self.restart_window(&o) {
            self.notes.push(n);
        }
        let judged = self.after_outage(&o);
        (Some(o), judged)
    }

    pub(super) fn wants(&self, t: Taker) -> bool {
        self.opts().taker.is_none_or(|x| x == t)
    }
}
