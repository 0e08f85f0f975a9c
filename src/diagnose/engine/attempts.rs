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
/// still counts as part of that recovery.
const WITHIN: Duration = Duration::from_secs(120);

impl Judge<'_, '_> {
    /// The verdict on an IKE SA that is only unanswered IKE_SA_INIT
    /// requests from host I to a maker M, sent within [`WITHIN`] after M's
    /// token reply to another host T, when T then set up an IKE SA with M:
    /// `not-established` (true), with the recovery it belongs to
    /// (`recovery_of`), so that it is no failure of its own.
    pub(super) fn attempt_within_recovery(&self, why: &str) -> Option<Judged> {
        let sa = self.sa;
        let first = *self.recs.first()?;
        if !sa.starts_with_init
            || self
                .recs
                .iter()
                .any(|r| r.m.response || r.m.exchange != ExchangeType::IKE_SA_INIT)
        {
            return None;
        }
        let from = self.ep(first.src).ip();
        let to = self.ep(first.dst).ip();
        let facts = &self.engine.probe_facts;
        let (at, taker, old) = facts
            .token_replies
            .get(&to)?
            .iter()
            .rev()
            .find(|&&(t, taker, _)| {
                taker != from
                    && t <= first.time
                    && since(first.time, t) <= WITHIN
                    && facts
                        .init_answered
                        .get(&HostPair::new(taker, to))
                        .is_some_and(|&a| a > first.time)
            })
            .copied()?;
        let old = format!("{} {}", old.initiator, old.responder);
        let mut j = Judged::new(
            Verdict::NotEstablished,
            format!(
                "never established: {why}; it came {} after {to}'s token reply to {taker} (IKE SA {old}), and {taker} then set up a new IKE SA with {to}: probably {taker}'s host trying from another of its addresses ({from}) before the reconnect that worked, which slowed that recovery but is no failure of its own (see IKE SA {old})",
                secs(since(first.time, at))
            ),
            "",
        );
        j.recovery_of = Some(old);
        Some(j)
    }
}
