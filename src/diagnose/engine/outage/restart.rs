//! The maker restarted: a new IKE SA it started by itself before the taker
//! checked liveness (`recovered` without QCD), and what its ICMP errors
//! tell of the restart (the host up while its IKE daemon was not).

use super::*;

impl<'e, 'a> Judge<'e, 'a> {
    /// A new IKE SA that the restarted maker started itself after the
    /// outage, before the taker checked liveness: with keys its IKE_AUTH
    /// request shows INITIAL_CONTACT (the peer then drops the old SA, RFC
    /// 7296 §2.4); without keys it is "probably replaced".
    pub(super) fn reconnected_by_maker(&self, o: &Outage) -> Option<Judged> {
        let (a, b) = (o.taker, o.maker);
        let after = o.maker_last.map_or(o.at, |l| l.time);
        let id = self
            .engine
            .index
            .started_after(self.sa.hosts, after)
            .find(|&s| {
                let s = &self.engine.sas[s];
                s.starts_with_init() && s.initiator().map(|x| x.ip()) == Some(b)
            })?;
        let slot = &self.engine.sas[id];
        let spis = slot.spis();
        let gap = secs(since(slot.start(), o.at));
        let contact = slot.state().and_then(|st| {
            st.recs()
                .into_iter()
                .find(|r| {
                    r.m.exchange == ExchangeType::IKE_AUTH
                        && !r.m.response
                        && r.m
                            .inner_notifies
                            .iter()
                            .flatten()
                            .any(|n| n.notify_type == NotifyType::INITIAL_CONTACT)
                })
                .map(|r| r.frame)
        });
        let reason = match contact {
            Some(f) => format!(
                "recovered without QCD: {b} restarted and reconnected by itself {gap} after the outage; the new IKE SA's IKE_AUTH request (frame {f}) carries INITIAL_CONTACT, so {a} drops the old IKE SA (RFC 7296 §2.4). Nobody's QCD failed: {b} reconnected before {a} had reason to check liveness"
            ),
            None => format!(
                "probably recovered without QCD: {b} started a new IKE SA {gap} after the outage while the old one stayed silent: probably replaced by the restarted {b}, whose IKE_AUTH would carry INITIAL_CONTACT ({}); nobody's QCD failed",
                if self.opts().keys_given {
                    "the new SA's IKE_AUTH was not decrypted"
                } else {
                    "--keys would show it"
                }
            ),
        };
        let mut j = Judged::new(Verdict::Recovered, reason, "");
        j.new_sa = Some(format!("{} {}", spis.initiator, spis.responder));
        Some(j)
    }

    /// The maker's ICMP errors (port or protocol unreachable) after the
    /// outage: its host was up while its IKE daemon was not.
    pub(super) fn daemon_down(&self, o: &Outage) -> Vec<&'e IcmpRec> {
        let Some(seen) = &self.sa.icmp else {
            return Vec::new();
        };
        seen.kept
            .iter()
            .filter(|i| {
                i.from == o.maker
                    && i.time >= o.maker_last.map_or(o.at, |l| l.time)
                    && matches!(
                        i.error.kind,
                        IcmpKind::PortUnreachable | IcmpKind::ProtocolUnreachable
                    )
            })
            .collect()
    }

    /// What the ICMP errors tell of the restart: the host up, the daemon
    /// down, from when to when, and when the maker spoke IKE again.
    pub(in crate::diagnose::engine) fn restart_window(&self, o: &Outage) -> Option<String> {
        let down = self.daemon_down(o);
        let (first, last) = (down.first()?, down.last()?);
        let back = self
            .recs
            .iter()
            .find(|r| r.side == o.maker_side && r.time > last.time)
            .map(|r| format!("; {} answered IKE again at frame {}", o.maker, r.frame))
            .unwrap_or_default();
        Some(format!(
            "{} sent {} (frames {}–{}, {} to {}): its host was up while its IKE daemon was not (a restart, not a host down){back}",
            o.maker,
            plural(down.len() as u64, "ICMP error", "ICMP errors"),
            first.frame,
            last.frame,
            time_text(first.time),
            time_text(last.time)
        ))
    }
}
