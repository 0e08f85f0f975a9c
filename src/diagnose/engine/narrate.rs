//! The words of a report: each message and ICMP error as a timeline line,
//! the notes every SA gets (ESP flows, token format), and the assembly of
//! the [`SaReport`] around the verdict; with the small text helpers the
//! verdicts use too.

use super::*;

/// A gap as people write it: `0.8 s`, `14 s`, then `2m 30s`, `1h 5m`.
pub(super) fn secs(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 9_950 {
        format!("{:.1} s", d.as_secs_f64())
    } else if ms < 59_500 {
        format!("{:.0} s", d.as_secs_f64())
    } else {
        crate::timefmt::format_duration_coarse(Duration::from_secs(d.as_secs_f64().round() as u64))
    }
}

pub(super) fn since(later: SystemTime, earlier: SystemTime) -> Duration {
    later.duration_since(earlier).unwrap_or_default()
}

pub(super) fn exchange_name(x: ExchangeType) -> std::borrow::Cow<'static, str> {
    match x {
        ExchangeType::IKE_SA_INIT => "IKE_SA_INIT".into(),
        ExchangeType::IKE_AUTH => "IKE_AUTH".into(),
        ExchangeType::CREATE_CHILD_SA => "CREATE_CHILD_SA".into(),
        ExchangeType::INFORMATIONAL => "INFORMATIONAL".into(),
        other => format!("exchange {}", other.0).into(),
    }
}

pub(super) fn short_hex(b: &[u8]) -> String {
    if b.len() <= 8 {
        hex::encode(b)
    } else {
        format!("{}… ({} bytes)", hex::encode(&b[..8]), b.len())
    }
}

pub(super) fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub(super) fn time_text(t: SystemTime) -> String {
    crate::timefmt::format_rfc3339_precise(t)
}

/// The largest SK body an empty payload can have: a 16-octet IV, one
/// 16-octet block of padding and a 32-octet ICV (HMAC-SHA2-512-256).
pub(super) const EMPTY_SK_MAX: usize = 64;

/// What an INFORMATIONAL request is, in plain words.
pub(super) fn informational_kind(m: &IkeSummary, last_word: bool, suite: Option<Suite>) -> String {
    if let Some(inner) = &m.inner_notifies {
        if m.inner_empty() == Some(true) {
            return "empty: a liveness check".into();
        }
        if !m.inner_deletes().is_empty() {
            let parts: Vec<String> = m
                .inner_deletes()
                .iter()
                .map(|d| match d.protocol_id {
                    ProtocolId::IKE => "a Delete of the IKE SA".to_string(),
                    ProtocolId::AH => format!(
                        "a Delete of {}",
                        plural(u64::from(d.spis), "AH SA", "AH SAs")
                    ),
                    ProtocolId::ESP => format!(
                        "a Delete of {}",
                        plural(u64::from(d.spis), "ESP SA", "ESP SAs")
                    ),
                    p => format!("a Delete (protocol {})", p.0),
                })
                .collect();
            return format!("{}: not a liveness check", parts.join(" and "));
        }
        if m.inner_other.is_empty()
            && !inner.is_empty()
            && inner.iter().all(|n| {
                matches!(
                    n.notify_type,
                    NotifyType::NAT_DETECTION_SOURCE_IP | NotifyType::NAT_DETECTION_DESTINATION_IP
                )
            })
        {
            return "NAT detection only: a liveness check with MOBIKE's address check".into();
        }
        let mut names: Vec<String> = inner.iter().map(|n| n.notify_type.to_string()).collect();
        names.extend(m.inner_other.iter().map(|t| format!("{t}")));
        return format!("holds {}", names.join(", "));
    }
    let Some(n) = m.sk_body_len.map(|n| n as usize) else {
        return "unprotected".into();
    };
    // With the suite from IKE_SA_INIT the size of an empty SK body is known.
    if let Some((suite, empty)) = suite.and_then(|s| Some((s, s.empty_body_len()?))) {
        let (_, block, _) = suite.overhead().unwrap_or((0, 1, 0));
        let name = suite.describe();
        return if n > empty {
            format!(
                "not decrypted; its {n}-byte SK body holds about {} octets more than an empty one under {name}: not a bare liveness check (NAT detection, a Delete, configuration…)",
                n - empty
            )
        } else if block > 1 && last_word {
            format!("not decrypted; its {n}-byte SK body is the smallest under {name} (IV, one block, ICV), and nothing follows on this IKE SA: probably a Delete of the IKE SA, which fits that block too (--keys would tell)")
        } else if block > 1 {
            format!("not decrypted; its {n}-byte SK body is the smallest under {name} (IV, one block, ICV): probably an empty liveness check (a Delete of the IKE SA would fit that block too; --keys would tell)")
        } else {
            format!("not decrypted; its {n}-byte SK body is exactly IV, Pad Length and ICV under {name}: an empty liveness check")
        };
    }
    if n <= EMPTY_SK_MAX && last_word {
        format!(
            "not decrypted; its {n}-byte SK body is as small as an empty one, and nothing follows on this IKE SA: probably a Delete of the IKE SA (a liveness check has the same size; --keys would tell)"
        )
    } else if n <= EMPTY_SK_MAX {
        format!(
            "not decrypted; its {n}-byte SK body fits only IV, padding and ICV: probably an empty liveness check (a Delete of the IKE SA would be as small; --keys would tell)"
        )
    } else {
        format!(
            "not decrypted; its {n}-byte SK body carries content: probably not a bare liveness check (a Delete, NAT detection or configuration)"
        )
    }
}

impl<'e, 'a> Judge<'e, 'a> {
    pub(super) fn event(&mut self, frame: u64, at: SystemTime, what: String) {
        self.events.push(TimelineEvent {
            frame,
            time: self.times.precise(at),
            what,
            at,
        });
    }

    /// Whether nothing but the answer follows `r` on this IKE SA (no later
    /// request, no ESP), as after a Delete of the IKE SA.
    pub(super) fn last_word(&self, r: &Rec) -> bool {
        let answer = self.recs.iter().find(|q| {
            q.frame > r.frame
                && q.m.response
                && q.side != r.side
                && q.m.message_id == r.m.message_id
        });
        let Some(answer) = answer else {
            return false;
        };
        let latest = self.sa.last.iter().flatten().map(|l| l.time).max();
        latest.is_some_and(|t| t <= answer.time)
            && !self.recs.iter().any(|q| q.frame > answer.frame)
    }

    pub(super) fn describe(&self, r: &Rec) -> String {
        let m = &r.m;
        if r.orphan {
            let n = m
                .notify(NotifyType::INVALID_SPI)
                .expect("orphans carry INVALID_SPI");
            let spi = if n.spi.is_empty() { &n.data } else { &n.spi };
            return format!(
                "unprotected INVALID_SPI from {} for ESP SPI {} ({} → {}; IKE SPIs {} {} belong to no IKE SA)",
                self.ep(r.src).ip(),
                hex::encode(spi),
                self.ep(r.src),
                self.ep(r.dst),
                m.spis.initiator,
                m.spis.responder
            );
        }
        use std::fmt::Write as _;
        let dir = if m.response { "response" } else { "request" };
        let mut what = String::with_capacity(128);
        let _ = write!(
            what,
            "{} {} from the {} ({} → {}), message id {}",
            exchange_name(m.exchange),
            dir,
            r.side.name(),
            self.ep_text[usize::from(r.src)],
            self.ep_text[usize::from(r.dst)],
            m.message_id
        );
        if m.exchange == ExchangeType::INFORMATIONAL && !m.response && m.encrypted {
            what.push_str(&format!(
                " ({})",
                informational_kind(m, self.last_word(r), self.suite)
            ));
        }
        if let Some(n) = m.notify(NotifyType::INVALID_SPI) {
            let spi = if n.spi.is_empty() { &n.data } else { &n.spi };
            what.push_str(&format!(
                "; unprotected INVALID_SPI for ESP SPI {}",
                hex::encode(spi)
            ));
        }
        if m.notify(NotifyType::INVALID_IKE_SPI).is_some() {
            let tokens: Vec<&NotifySummary> = r.plain_tokens().collect();
            if tokens.is_empty() {
                what.push_str("; INVALID_IKE_SPI without QCD_TOKEN");
            }
            for t in tokens {
                what.push_str(&format!(
                    "; INVALID_IKE_SPI with QCD_TOKEN {}",
                    short_hex(&t.data)
                ));
            }
        } else {
            for t in r.plain_tokens() {
                what.push_str(&format!(
                    "; unprotected QCD_TOKEN {} without INVALID_IKE_SPI",
                    short_hex(&t.data)
                ));
            }
        }
        if m.encrypted {
            match (&m.inner_notifies, m.decrypt_error()) {
                (Some(inner), _) => {
                    for n in inner
                        .iter()
                        .filter(|n| n.notify_type == NotifyType::QCD_TOKEN)
                    {
                        what.push_str(&format!("; gives QCD_TOKEN {}", short_hex(&n.data)));
                    }
                    // With AUTH the IKE SA is up; errors concern the Child SA.
                    let child = m.inner_other.contains(PayloadType::AUTH);
                    for n in inner.iter().filter(|n| n.notify_type.is_error()) {
                        let t = n.notify_type;
                        if child {
                            what.push_str(&format!(
                                "; the Child SA was not created: {t} (the IKE SA is up)"
                            ));
                        } else {
                            what.push_str(&format!("; error {t}"));
                        }
                    }
                }
                (None, Some(e)) if e.wrong_keys => {
                    what.push_str(&format!("; SK not decrypted: {}", e.text))
                }
                _ => {}
            }
        }
        if !m.encrypted {
            for n in m.notifies.iter().filter(|n| {
                n.notify_type.is_error()
                    && n.notify_type != NotifyType::INVALID_SPI
                    && n.notify_type != NotifyType::INVALID_IKE_SPI
            }) {
                what.push_str(&format!("; error {}", n.notify_type));
            }
        }
        if !m.vendor_ids().is_empty() {
            let names: Vec<String> = m.vendor_ids().iter().map(|v| vendor_text(v)).collect();
            what.push_str(&format!("; Vendor ID {}", names.join(", ")));
        }
        what
    }

    pub(super) fn run(mut self) -> SaReport {
        let sa = self.sa;
        // A copy of the references: describing a message looks at the others.
        let recs = self.recs.clone();
        self.events.reserve(recs.len() + 4);
        for r in recs {
            let what = self.describe(r);
            self.event(r.frame, r.time, what);
        }
        if let Some(link) = &sa.rekeyed_from {
            let old = self.engine.sas[link.old].spis();
            let what = if link.certain {
                let mut w = format!(
                    "this IKE SA replaces IKE SA {} {} (CREATE_CHILD_SA rekey response from {})",
                    old.initiator, old.responder, link.to
                );
                for (_, t) in &link.tokens {
                    w.push_str(&format!("; gives QCD_TOKEN {}", short_hex(t)));
                }
                w
            } else {
                format!(
                    "this IKE SA probably replaces IKE SA {} {}: it appears without IKE_SA_INIT after that SA's CREATE_CHILD_SA, which was not decrypted (--keys with that SA's keys would tell)",
                    old.initiator, old.responder
                )
            };
            self.event(link.frame, link.time, what);
        }
        if let Some(seen) = &sa.icmp {
            for i in &seen.kept {
                let what = icmp_text(i);
                self.event(i.frame, i.time, what);
            }
            if seen.count > seen.kept.len() as u64 {
                self.notes.push(format!(
                    "{} more ICMP errors about this IKE SA not shown",
                    seen.count - seen.kept.len() as u64
                ));
            }
        }
        for f in &sa.flows {
            self.notes.push(format!(
                "ESP {} → {} SPI {:08x}: {}, frames {}–{}",
                f.src,
                f.dst,
                f.spi,
                plural(f.packets, "packet", "packets"),
                f.first.0,
                f.last.0
            ));
        }
        for t in self.recs.iter().flat_map(|r| r.tokens()) {
            if t.protocol_id == ProtocolId::IKE {
                self.notes.push("a QCD_TOKEN has Protocol ID 1, the value RFC 6290 gave before erratum 3449 corrected it to 0; takers ignore the field".into());
            }
            if !t.spi.is_empty() {
                self.notes.push(format!(
                    "a QCD_TOKEN has an SPI of {} bytes where RFC 6290 says SPI size 0",
                    t.spi.len()
                ));
            }
            if !(MIN_TOKEN_LEN..=MAX_TOKEN_LEN).contains(&t.data.len()) {
                self.notes.push(format!(
                    "a QCD_TOKEN carries {} bytes of token data, outside RFC 6290's 16 to 128 (Rockhopper's taker rejects it)",
                    t.data.len()
                ));
            }
        }
        let (outage, judged) = self.judge();
        let mut events = std::mem::take(&mut self.events);
        events.sort_by_key(|e| (e.at, e.frame));
        let mut notes: Vec<String> = Vec::with_capacity(self.notes.len());
        for n in std::mem::take(&mut self.notes) {
            if !notes.contains(&n) {
                notes.push(n);
            }
        }
        let replaced = sa.replaced.as_deref().map(|&(_, n, c)| {
            let s = self.engine.sas[n].spis();
            (format!("{} {}", s.initiator, s.responder), c)
        });
        let capture_end_said = self.end.map(|e| e.1).filter(|_| {
            judged.reason.contains(CAPTURE_ENDS) || notes.iter().any(|n| n.contains(CAPTURE_ENDS))
        });
        SaReport {
            spi_i: sa.spis.initiator.to_string(),
            spi_r: sa.spis.responder.to_string(),
            initiator: sa.initiator().map(|a| a.to_string()),
            responder: sa.responder().map(|a| a.to_string()),
            verdict: judged.verdict,
            reason: judged.reason,
            action: judged.action,
            outage: outage.map(|o| OutageReport {
                frame: o.frame,
                time: time_text(o.at),
                evidence: o.evidence,
                maker: o.maker.to_string(),
                taker: o.taker.to_string(),
                at: o.at,
            }),
            maker_answered: judged.maker_answered,
            takers: judged.takers,
            replaced_by: replaced.as_ref().map(|r| r.0.clone()),
            replaced_certain: replaced.map(|r| r.1),
            replaced_at: sa.replaced.as_deref().map(|r| r.0),
            new_sa: judged.new_sa,
            recovery_of: judged.recovery_of,
            notes,
            capture_end: capture_end_said,
            events,
            events_omitted: sa.omitted,
        }
    }
}

/// A timeline line for an ICMP error.
pub(super) fn icmp_text(i: &IcmpRec) -> String {
    let e = &i.error;
    let flow = if e.quoted_esp {
        format!("ESP {} → {}", e.quoted_src.ip(), e.quoted_dst.ip())
    } else {
        format!("UDP {} → {}", e.quoted_src, e.quoted_dst)
    };
    let meaning = match e.kind {
        IcmpKind::PortUnreachable => format!(
            "{}'s host is up but nothing listens on UDP {}: its IKE daemon is not running",
            i.from,
            e.quoted_dst.port()
        ),
        IcmpKind::ProtocolUnreachable => format!(
            "{}'s host is up but takes no ESP: its IPsec state is gone",
            i.from
        ),
        IcmpKind::HostUnreachable => {
            format!("{} says {} cannot be reached", i.from, e.quoted_dst.ip())
        }
    };
    format!(
        "ICMP {} from {} for {flow}: {meaning}",
        e.kind.text(),
        i.from
    )
}

/// A file name as a shell word: as it is when it holds only safe
/// characters, otherwise in single quotes.
pub(super) fn shell_word(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+:,@=%".contains(c));
    if safe {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The implementation a well-known Vendor ID names (see [`crate::wire::vendor`]).
pub(super) fn vendor_name(v: &[u8]) -> Option<String> {
    crate::wire::vendor::vendor_name(v)
}

pub(super) fn vendor_text(v: &[u8]) -> String {
    match vendor_name(v) {
        Some(n) => n,
        None => short_hex(v),
    }
}
