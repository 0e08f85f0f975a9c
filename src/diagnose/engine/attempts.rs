//! Attempts within another IKE SA's recovery.
//!
//! A multi-homed host may send IKE from the wrong one of its addresses:
//! after accepting the maker's token, a Rockhopper taker with several tunnel
//! interfaces tried IKE_SA_INIT from another address (unanswered) before it
//! reconnected from the right one tens of seconds later (qcd.md, "Observed
//! in real runs"). QCD worked; the recovered IKE SA says the recovery was
//! slow and why. Each stray attempt is an IKE SA of its own that was never
//! established, and is judged so, but it is no failure to act on.

use super::*;

/// How long after a token reply an unanswered IKE_SA_INIT to the same maker
/// still counts as part of that recovery, and how long after the attempt
/// the reconnect that worked may come.
pub(super) const WITHIN: Duration = Duration::from_secs(120);

/// An unanswered IKE_SA_INIT from `from` to the maker `to`, sent `first`,
/// within [`WITHIN`] after the maker's token reply (at `at`) to another host
/// `taker` on the old IKE SA `old`.
pub(super) struct Attempt {
    first: SystemTime,
    from: IpAddr,
    to: IpAddr,
    at: SystemTime,
    taker: IpAddr,
    old: SpiPair,
}

impl Engine<'_> {
    /// The recovery `sa` may be an attempt within, if it is only unanswered
    /// IKE_SA_INIT requests sent soon after a token reply to another host.
    pub(super) fn attempt(&self, sa: &SaState, recs: &[&Rec]) -> Option<Attempt> {
        let first = *recs.first()?;
        if !sa.starts_with_init
            || recs
                .iter()
                .any(|r| r.m.response || r.m.exchange != ExchangeType::IKE_SA_INIT)
        {
            return None;
        }
        let from = sa.endpoint(first.src).ip();
        let to = sa.endpoint(first.dst).ip();
        let (at, taker, old) = self
            .probe_facts
            .token_replies
            .get(&to)?
            .iter()
            .rev()
            .find(|&&(t, taker, _)| {
                taker != from && t <= first.time && since(first.time, t) <= WITHIN
            })
            .copied()?;
        Some(Attempt {
            first: first.time,
            from,
            to,
            at,
            taker,
            old,
        })
    }

    /// Whether the taker set up a new IKE SA with the maker within
    /// [`WITHIN`] after the attempt: the reconnect that worked.
    fn reconnected(&self, a: &Attempt) -> bool {
        self.probe_facts
            .init_answered
            .get(&HostPair::new(a.taker, a.to))
            .is_some_and(|ts| {
                ts.iter()
                    .any(|&t| t > a.first && since(t, a.first) <= WITHIN)
            })
    }

    /// Follow mode: whether the verdict on `sa`, an attempt that no
    /// reconnect has yet followed, must wait (until [`WITHIN`] after it), so
    /// that it is the verdict file mode gives.
    pub(super) fn attempt_waits(&self, sa: SaId, clock: SystemTime) -> bool {
        let Some(state) = self.sas[sa].state() else {
            return false;
        };
        let recs = state.recs();
        self.attempt(state, &recs)
            .is_some_and(|a| !self.reconnected(&a) && since(clock, a.first) <= WITHIN)
    }
}

impl Judge<'_, '_> {
    /// The verdict on an IKE SA that is only unanswered IKE_SA_INIT
    /// requests from host I to a maker M, sent within [`WITHIN`] after M's
    /// token reply to another host T, when T then set up an IKE SA with M
    /// within [`WITHIN`]: `not-established` (true), with the recovery it
    /// belongs to (`recovery_of`), so that it is no failure of its own.
    pub(super) fn attempt_within_recovery(&self, why: &str) -> Option<Judged> {
        let a = self.engine.attempt(self.sa, &self.recs)?;
        if !self.engine.reconnected(&a) {
            return None;
        }
        let Attempt {
            first,
            from,
            to,
            at,
            taker,
            old,
        } = a;
        let old = format!("{} {}", old.initiator, old.responder);
        let mut j = Judged::new(
            Verdict::NotEstablished,
            format!(
                "never established: {why}; it came {} after {to}'s token reply to {taker} (IKE SA {old}), and {taker} then set up a new IKE SA with {to}: probably {taker}'s host trying from another of its addresses ({from}) before the reconnect that worked, which slowed that recovery but is no failure of its own (see IKE SA {old})",
                secs(since(first, at))
            ),
            "",
        );
        j.recovery_of = Some(old);
        Some(j)
    }
}
