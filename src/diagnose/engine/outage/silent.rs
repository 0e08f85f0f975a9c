//! The maker never had its say: the taker sent no liveness check on the old
//! IKE SA after the outage (`no-liveness-check`), or the maker answered none
//! with INVALID_IKE_SPI or a QCD_TOKEN (`no-token`); beside them the
//! `inconclusive` of a capture that ends too early and the `healthy` of a
//! maker that still holds the IKE SA.

use super::*;

const ACT_LIVENESS: &str = "make the taker probe the old IKE SA when ESP draws INVALID_SPI or inbound traffic stops (a liveness check: strongSwan dpd_delay, libreswan dpddelay), so the maker can answer with its token";
const ACT_SILENT: &str = "a token maker must answer requests for unknown IKE SPIs with INVALID_IKE_SPI and QCD_TOKEN: only Rockhopper and the racoon2 fork do; strongSwan, libreswan and OpenBSD iked stay silent, so with them rely on the taker's liveness-check timeout (dpd_delay/dpddelay)";
const ACT_SILENT_ROCKHOPPER: &str = "on the Rockhopper gateway, check that QCD is on (`<ikesa qcd_enabled=\"enable\"/>` in main.xml, no `qcd_enabled_time` limit that had run out) and that the daemon can read its secret file /home/rhpprotected/config/qcd_secret (mode 0700, owned by the daemon); its event log shows QCD errors; if the host itself was down, the taker's liveness-check timeout is what recovered";

impl<'e, 'a> Judge<'e, 'a> {
    /// The taker sent no request on the old IKE SA after the outage.
    pub(super) fn no_liveness_check(&self, o: &Outage, rc: &Recovery) -> Judged {
        let (a, b) = (rc.a, rc.b);
        let end = self.end.map(|e| e.1);
        let silence = self.opts().silence;
        if let Some(n) = self.new_sa(rc, o.at) {
            let mut j = Judged::new(
                Verdict::NoLivenessCheck,
                format!(
                    "{a} never sent a liveness check on the old IKE SA after the outage; it started a new IKE SA {} later without QCD",
                    secs(since(n.start(), o.at))
                ),
                ACT_LIVENESS,
            );
            j.new_sa = Some(format!("{} {}", n.spis().initiator, n.spis().responder));
            return j;
        }
        if let Some(e) = end.filter(|&e| since(e, o.at) < silence) {
            return Judged::new(
                Verdict::Inconclusive,
                format!(
                    "the capture ends {} after the outage, before {a}'s liveness check was due: take a longer capture",
                    secs(since(e, o.at))
                ),
                "capture for longer after the outage (at least the --silence window, and the taker's liveness-check interval)",
            );
        }
        Judged::new(
            Verdict::NoLivenessCheck,
            format!("{a} never sent a liveness check (an IKE request on the old SA) after the outage, so {b} had no chance to send a QCD token: {a} does not react to INVALID_SPI or to missing inbound traffic"),
            ACT_LIVENESS,
        )
    }

    /// The taker's requests on the old IKE SA (the first is `first_check`)
    /// drew no INVALID_IKE_SPI or QCD_TOKEN among the maker's `replies`.
    pub(super) fn no_token_reply(
        &self,
        o: &Outage,
        rc: &Recovery,
        first_check: &Rec,
        replies: &[&Rec],
    ) -> Judged {
        let (a, b) = (rc.a, rc.b);
        let end = self.end.map(|e| e.1);
        let silence = self.opts().silence;
        if replies.iter().any(|r| r.m.encrypted) {
            let mut j = Judged::new(
                Verdict::Healthy,
                format!("{b} still holds the IKE SA: it answered the liveness check with a protected response; no crash to detect"),
                "",
            );
            j.maker_answered = Some(true);
            return j;
        }
        let retransmitted = rc.checks.len() > 1;
        if let Some(e) = end.filter(|&e| !retransmitted && since(e, first_check.time) < silence) {
            let mut j = Judged::new(
                Verdict::Inconclusive,
                format!(
                    "the capture ends {} after {a}'s first request on the old SA (frame {}), before {b}'s answer was due",
                    secs(since(e, first_check.time)),
                    first_check.frame
                ),
                "capture for longer after the outage",
            );
            j.maker_answered = None;
            return j;
        }
        let maker_kind = self.maker_kind(o);
        let action = match maker_kind {
            Some(QcdMaker::Rockhopper) => ACT_SILENT_ROCKHOPPER,
            _ => ACT_SILENT,
        };
        let mut j = Judged::new(
            Verdict::NoToken,
            self.silent_reason(o, &rc.checks, rc.b_decrypted, maker_kind),
            action,
        );
        j.maker_answered = Some(false);
        j
    }

    /// What the maker's Vendor IDs say of its QCD support.
    pub(super) fn maker_kind(&self, o: &Outage) -> Option<QcdMaker> {
        self.recs
            .iter()
            .filter(|r| r.side == o.maker_side)
            .flat_map(|r| r.m.vendor_ids().iter())
            .find_map(|v| crate::wire::vendor::qcd_maker(v))
    }

    fn silent_reason(
        &self,
        o: &Outage,
        checks: &[&Rec],
        b_decrypted: bool,
        kind: Option<QcdMaker>,
    ) -> String {
        let (a, b) = (o.taker, o.maker);
        let sa = self.sa;
        let kinds: Vec<String> = checks
            .iter()
            .take(1)
            .map(|r| {
                if r.m.exchange == ExchangeType::INFORMATIONAL {
                    informational_kind(&r.m, self.last_word(r), self.suite)
                } else {
                    exchange_name(r.m.exchange).into_owned()
                }
            })
            .collect();
        let mut reason = format!(
            "{b} never answered {a}'s {} on the old IKE SA (the first at frame {}: {}; retransmissions included)",
            plural(checks.len() as u64, "request", "requests"),
            checks[0].frame,
            kinds.join("")
        );
        // Which explanation fits depends on what the maker is.
        reason.push_str(&match kind {
            Some(QcdMaker::Rockhopper) => format!(
                ": {b} is Rockhopper VPN (its Vendor ID), which answers requests for unknown IKE SPIs with INVALID_IKE_SPI and a QCD_TOKEN when QCD is on; so either {b} is down or unreachable, or QCD is off on it (`<ikesa qcd_enabled=\"enable\"/>` missing from main.xml, or `qcd_enabled_time` elapsed) or its QCD secret (/home/rhpprotected/config/qcd_secret) could not be read"
            ),
            Some(QcdMaker::DropsUnknownSpis(name)) => format!(
                ": {b} is {name} (its Vendor ID), which drops IKE messages for unknown SPIs instead of answering INVALID_IKE_SPI with a QCD_TOKEN, as strongSwan, libreswan and OpenBSD iked do; or {b} is down or unreachable"
            ),
            None => format!(
                ": {b} is down or unreachable, or (after a reboot) it drops IKE messages for unknown SPIs instead of answering INVALID_IKE_SPI with a QCD_TOKEN (no Vendor ID tells which implementation it runs)"
            ),
        });
        let mut evidence = Vec::new();
        let vids: Vec<String> = self
            .recs
            .iter()
            .filter(|r| r.side == o.maker_side)
            .flat_map(|r| r.m.vendor_ids().iter())
            .filter_map(|v| vendor_name(v))
            .collect();
        if !vids.is_empty() && kind.is_none() {
            evidence.push(format!("{b}'s Vendor ID says {}", vids.join(", ")));
        }
        let taker_esp_after =
            sa.esp_count[o.maker_side.other() as usize].saturating_sub(o.taker_esp_at_evidence);
        let invalid_spi = self
            .recs
            .iter()
            .any(|r| r.m.notify(NotifyType::INVALID_SPI).is_some());
        if taker_esp_after > 0 && !invalid_spi {
            evidence.push(format!(
                "{b} also sent no INVALID_SPI for {} of ESP from {a} after the outage",
                plural(taker_esp_after, "packet", "packets")
            ));
        }
        let down = self.daemon_down(o);
        if let (Some(f), Some(l)) = (down.first(), down.last()) {
            evidence.push(format!(
                "{b}'s host answered with ICMP {} (frames {}–{}): the host was up but its IKE daemon was not running, so it is the daemon that was silent, not the host that was down",
                f.error.kind.text(),
                f.frame,
                l.frame
            ));
        }
        if b_decrypted {
            evidence.push(format!(
                "{b} did give a QCD_TOKEN when the SA was set up, so it was meant to make tokens"
            ));
        }
        if !evidence.is_empty() {
            reason.push_str(&format!(" (evidence: {})", evidence.join("; ")));
        }
        reason
    }
}
