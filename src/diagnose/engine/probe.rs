//! Probe traffic: requests for IKE SAs nobody set up.
//!
//! A maker answers a request for SPIs it does not know with INVALID_IKE_SPI
//! and its token whoever asks (see `../shared/reference/qcd.md`, "Drawing a
//! token from a live maker"), so `qcd probe`, a scanner or a hand-built
//! packet draws the same reply as a crashed peer's liveness check. What
//! tells them apart is everything around the request: a real taker held the
//! IKE SA (ESP between the two hosts, other messages on it) and, when it
//! accepts the token, starts a new IKE SA with the maker. A probe has none of
//! this, and judging it as a crash ("the taker never rekeyed: enable QCD as
//! token taker") sends the operator to a box that did nothing wrong.

use std::net::IpAddr;
use std::time::SystemTime;

use super::*;

/// At most this many ESP packets between the two hosts in the whole
/// capture: a probe sent to UDP 4500 without the non-ESP marker reads as one
/// ESP packet; a tunnel in use carries far more.
const MAX_PROBE_ESP: u64 = 2;

/// At most this many requests on one probed IKE SA (`qcd probe` sends at
/// most 4 tries per SPI pair; a hand-built series a few more). A real
/// taker's liveness checks go on for longer.
const MAX_PROBE_REQUESTS: usize = 10;

/// What the whole capture says about two hosts, gathered as packets pass:
/// an IKE SA's own record is not enough (ESP may sit with another IKE SA
/// between the same hosts, and judged SAs keep no state).
#[derive(Default)]
pub(super) struct Facts {
    /// ESP packets between two hosts, but for the current run of packets
    /// between the same hosts, counted in `run`.
    esp: Map<HostPair, u64>,
    run: Option<(HostPair, u64)>,
    /// Hosts that answered a request for an unknown IKE SA (an unprotected
    /// INVALID_IKE_SPI).
    answered_unknown: std::collections::HashSet<IpAddr, foldhash::fast::RandomState>,
    /// The last few IKE_SA_INIT responses between two hosts, in order.
    pub(super) init_answered: Map<HostPair, Vec<SystemTime>>,
    /// The last few token replies (an unprotected INVALID_IKE_SPI with a
    /// QCD_TOKEN) each maker sent: (time, taker, the SPIs it answered).
    pub(super) token_replies: Map<IpAddr, Vec<(SystemTime, IpAddr, SpiPair)>>,
}

/// Token replies kept per maker for [`Facts::token_replies`].
const KEPT_REPLIES: usize = 4;

impl Facts {
    /// ESP between `hosts` (one comparison per packet in a run of the same hosts).
    pub(super) fn esp(&mut self, hosts: HostPair) {
        match &mut self.run {
            Some((h, n)) if *h == hosts => *n += 1,
            run => {
                if let Some((h, n)) = run.replace((hosts, 1)) {
                    *self.esp.entry(h).or_default() += n;
                }
            }
        }
    }

    /// ESP packets between `hosts` so far.
    fn esp_between(&self, hosts: HostPair) -> u64 {
        let run = match self.run {
            Some((h, n)) if h == hosts => n,
            _ => 0,
        };
        self.esp.get(&hosts).copied().unwrap_or(0) + run
    }

    /// One IKE message from `from` between `hosts` at `time`.
    pub(super) fn ike(&mut self, hosts: HostPair, from: IpAddr, time: SystemTime, m: &IkeSummary) {
        if m.exchange == ExchangeType::IKE_SA_INIT && m.response {
            let kept = self.init_answered.entry(hosts).or_default();
            if kept.len() == KEPT_REPLIES {
                kept.remove(0);
            }
            kept.push(time);
        }
        if !m.encrypted && m.notify(NotifyType::INVALID_IKE_SPI).is_some() {
            self.answered_unknown.insert(from);
            if m.notify(NotifyType::QCD_TOKEN).is_some() {
                let (a, b) = hosts.hosts();
                let to = if a == from { b } else { a };
                let kept = self.token_replies.entry(from).or_default();
                if kept.len() == KEPT_REPLIES {
                    kept.remove(0);
                }
                kept.push((time, to, m.spis));
            }
        }
    }
}

impl Judge<'_, '_> {
    /// The verdict on an IKE SA that holds only probe traffic, if it does:
    /// requests from one host (no IKE_SA_INIT, no IKE_AUTH, at most
    /// [`MAX_PROBE_REQUESTS`]) and the other host's answers, no ESP between
    /// the two hosts anywhere in the capture (at most [`MAX_PROBE_ESP`]
    /// packets, probes that read as ESP), no IKE SA set up between them
    /// afterwards, and the target answered this request or another request
    /// for an unknown IKE SA (so an unanswered check of a real crash, with a
    /// maker that answers nobody, keeps its own verdict).
    pub(super) fn probe(&self) -> Option<Judged> {
        let sa = self.sa;
        let facts = &self.engine.probe_facts;
        if sa.starts_with_init
            || sa.rekeyed_from.is_some()
            || sa.replaced.is_some()
            || sa.omitted > 0
            || facts.esp_between(sa.hosts) > MAX_PROBE_ESP
        {
            return None;
        }
        let requests: Vec<&Rec> = self
            .recs
            .iter()
            .copied()
            .filter(|r| r.is_request())
            .collect();
        let first = *requests.first()?;
        if requests.len() > MAX_PROBE_REQUESTS {
            return None;
        }
        let asker = self.ep(first.src).ip();
        let (a, b) = sa.hosts.hosts();
        let target = if a == asker { b } else { a };
        for r in &self.recs {
            if r.m.exchange == ExchangeType::IKE_SA_INIT || r.m.exchange == ExchangeType::IKE_AUTH {
                return None;
            }
            if r.is_request() != (self.ep(r.src).ip() == asker) {
                return None;
            }
        }
        if facts
            .init_answered
            .get(&sa.hosts)
            .and_then(|t| t.last())
            .is_some_and(|&t| t >= first.time)
        {
            return None;
        }
        let answer = self.recs.iter().find(|r| {
            !r.is_request() && !r.m.encrypted && r.m.notify(NotifyType::INVALID_IKE_SPI).is_some()
        });
        let asked = format!(
            "{asker} sent {} for an IKE SA this capture never shows set up (no IKE_SA_INIT, IKE_AUTH or ESP traffic between {asker} and {target}, and {asker} set up no IKE SA with {target} afterwards)",
            plural(requests.len() as u64, "request", "requests")
        );
        let (reason, answered) = match answer {
            Some(r) if r.plain_tokens().next().is_some() => (
                format!(
                    "a probe, not a crash: {asked}; {target} answered with INVALID_IKE_SPI and a QCD_TOKEN (frame {}): QCD is on at {target}, which answers any request for an IKE SA it does not hold (what qcd probe relies on)",
                    r.frame
                ),
                true,
            ),
            Some(r) => (
                format!(
                    "a probe, not a crash: {asked}; {target} answered with INVALID_IKE_SPI but no QCD_TOKEN (frame {}): QCD is not on as token maker at {target}",
                    r.frame
                ),
                true,
            ),
            None if facts.answered_unknown.contains(&target) => (
                format!(
                    "a probe, not a crash: {asked}; {target} did not answer it, though it answered other requests for IKE SAs it does not hold: a maker ignores some requests (Rockhopper: a bare header, SPI-R zero, IKE_AUTH, IKE_SA_INIT or unknown exchange types, fragments, UDP 4500 without the non-ESP marker) and limits its reply rate"
                ),
                false,
            ),
            None => return None,
        };
        let mut j = Judged::new(Verdict::Probe, reason, "");
        j.maker_answered = Some(answered);
        Some(j)
    }
}
