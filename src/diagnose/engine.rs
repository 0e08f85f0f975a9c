//! The diagnosis itself: group packets into IKE SAs, build each SA's
//! timeline, find the outage and walk the QCD recovery steps.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, SystemTime};

use super::model::numbers::*;
use super::model::*;
use crate::spi::{Spi, SpiPair};
use crate::token::profile::{MAX_TOKEN_LEN, MIN_TOKEN_LEN};

/// How long one side may stay silent while the other keeps sending before
/// the silence counts as an outage.
pub const DEFAULT_SILENCE: Duration = Duration::from_secs(10);

/// Diagnosis settings.
pub struct Options<'a> {
    pub checker: Option<&'a dyn TokenChecker>,
    pub silence: Duration,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            checker: None,
            silence: DEFAULT_SILENCE,
        }
    }
}

struct Sa {
    spis: SpiPair,
    initiator: Option<SocketAddr>,
    responder: Option<SocketAddr>,
    first: SystemTime,
    /// Indices into the packet list, in order.
    ike: Vec<usize>,
    esp: Vec<usize>,
    /// Whether the first message seen was an IKE_SA_INIT request.
    starts_with_init: bool,
    /// For an IKE SA created by rekeying another: the index of the
    /// CREATE_CHILD_SA response (in the old SA's messages) that created it.
    rekeyed_from: Option<usize>,
    /// For an IKE SA replaced by a rekey: when, and by which SA.
    replaced: Option<(SystemTime, usize)>,
}

impl Sa {
    /// An SA first seen in message `m` of packet `p`.
    fn new(p: &Packet, m: &IkeSummary) -> Sa {
        let (initiator, responder) = if m.initiator {
            (Some(p.src), Some(p.dst))
        } else {
            (Some(p.dst), Some(p.src))
        };
        Sa {
            spis: m.spis,
            initiator,
            responder,
            first: p.time,
            ike: Vec::new(),
            esp: Vec::new(),
            starts_with_init: m.exchange == IKE_SA_INIT && !m.response,
            rekeyed_from: None,
            replaced: None,
        }
    }

    fn hosts(&self) -> Option<(IpAddr, IpAddr)> {
        Some((self.initiator?.ip(), self.responder?.ip()))
    }

    fn between(&self, a: IpAddr, b: IpAddr) -> bool {
        self.hosts()
            .is_some_and(|(i, r)| (i == a && r == b) || (i == b && r == a))
    }
}

/// Diagnoses every IKE SA seen in `packets` (time-ordered, as in the capture).
pub fn diagnose(packets: &[Packet], opts: &Options) -> Vec<SaReport> {
    let sas = group(packets);
    sas.iter()
        .map(|sa| analyse(sa, &sas, packets, opts))
        .collect()
}

fn ike(p: &Packet) -> Option<&IkeSummary> {
    match &p.kind {
        PacketKind::Ike(m) => Some(m),
        PacketKind::Esp { .. } => None,
    }
}

fn group(packets: &[Packet]) -> Vec<Sa> {
    let mut sas: Vec<Sa> = Vec::new();
    let mut by_pair: HashMap<SpiPair, usize> = HashMap::new();
    let mut pending: HashMap<Spi, usize> = HashMap::new();
    let mut by_initiator: HashMap<Spi, usize> = HashMap::new();
    let mut orphans = Vec::new();
    for (i, p) in packets.iter().enumerate() {
        let Some(m) = ike(p) else { continue };
        let idx = if let Some(&s) = by_pair.get(&m.spis) {
            s
        } else if let Some(&s) = by_initiator
            .get(&m.spis.initiator)
            .filter(|_| m.spis.responder.is_zero())
        {
            // A retransmitted IKE_SA_INIT request after the response.
            s
        } else if let Some(&s) = pending.get(&m.spis.initiator) {
            if !m.spis.responder.is_zero() {
                pending.remove(&m.spis.initiator);
                sas[s].spis = m.spis;
                by_pair.insert(m.spis, s);
                by_initiator.insert(m.spis.initiator, s);
            }
            s
        } else if is_orphan(m) {
            orphans.push(i);
            continue;
        } else {
            sas.push(Sa::new(p, m));
            let s = sas.len() - 1;
            if m.spis.responder.is_zero() {
                pending.insert(m.spis.initiator, s);
            } else {
                by_pair.insert(m.spis, s);
                by_initiator.insert(m.spis.initiator, s);
            }
            s
        };
        sas[idx].ike.push(i);
    }
    link_rekeys(&mut sas, packets, &by_pair);
    // Orphans go to the SA between the same hosts current at their time,
    // which the rekey links above may have changed.
    for i in orphans {
        let p = &packets[i];
        match sa_for_hosts(&sas, p.src.ip(), p.dst.ip(), p.time) {
            Some(s) => {
                sas[s].ike.push(i);
                sas[s].ike.sort_unstable();
            }
            None => {
                let mut sa = Sa::new(p, ike(p).expect("ike"));
                sa.ike.push(i);
                sas.push(sa);
            }
        }
    }
    for (i, p) in packets.iter().enumerate() {
        if let PacketKind::Esp { .. } = p.kind {
            if let Some(s) = sa_for_hosts(&sas, p.src.ip(), p.dst.ip(), p.time) {
                sas[s].esp.push(i);
            }
        }
    }
    sas
}

/// An IKE SA rekey (RFC 7296 §1.3.2) is a CREATE_CHILD_SA on the old SA
/// whose request and response each carry an IKE proposal with the sender's
/// new SPI: the new IKE SA is (request SPI, response SPI). Links that SA to
/// the response, where the maker gives the token for the new SA.
fn link_rekeys(sas: &mut [Sa], packets: &[Packet], by_pair: &HashMap<SpiPair, usize>) {
    let mut links = Vec::new();
    for (old, sa) in sas.iter().enumerate() {
        for &i in &sa.ike {
            let m = ike(&packets[i]).expect("ike");
            let Some(new_i) = m
                .new_ike_spi
                .filter(|_| m.exchange == CREATE_CHILD_SA && !m.response)
            else {
                continue;
            };
            let response = sa.ike.iter().copied().find(|&j| {
                let n = ike(&packets[j]).expect("ike");
                n.exchange == CREATE_CHILD_SA
                    && n.response
                    && n.message_id == m.message_id
                    && n.new_ike_spi.is_some()
            });
            if let Some(j) = response {
                let new_r = ike(&packets[j]).expect("ike").new_ike_spi.expect("checked");
                if let Some(&n) = by_pair.get(&SpiPair::new(new_i, new_r)) {
                    links.push((old, n, j, packets[i].src, packets[i].dst));
                }
            }
        }
    }
    for (old, n, j, from, to) in links {
        let t = packets[j].time;
        let sa = &mut sas[n];
        sa.rekeyed_from = Some(j);
        sa.initiator = Some(from);
        sa.responder = Some(to);
        // The new SA is in force from the rekey on (for ESP and orphans).
        sa.first = sa.first.min(t);
        sas[old].replaced = Some((t, n));
    }
}

/// An unprotected INVALID_SPI notify from a gateway that lost its SAs may
/// carry IKE SPIs nobody knows: it belongs to the SA between the same hosts.
fn is_orphan(m: &IkeSummary) -> bool {
    !m.encrypted && m.notify(INVALID_SPI).is_some()
}

/// The latest SA between two hosts that started no later than `t` (else the earliest).
fn sa_for_hosts(sas: &[Sa], a: IpAddr, b: IpAddr, t: SystemTime) -> Option<usize> {
    let candidates: Vec<usize> = (0..sas.len()).filter(|&s| sas[s].between(a, b)).collect();
    candidates
        .iter()
        .copied()
        .filter(|&s| sas[s].first <= t)
        .max_by_key(|&s| sas[s].first)
        .or_else(|| candidates.first().copied())
}

/// What every SA's judgement may look at.
#[derive(Clone, Copy)]
struct Ctx<'a> {
    all: &'a [Sa],
    packets: &'a [Packet],
    opts: &'a Options<'a>,
}

/// Who lost state, who should notice, and when the outage showed.
#[derive(Clone, Copy)]
struct Outage {
    taker: IpAddr,
    maker: IpAddr,
    at: SystemTime,
}

/// The token(s) the maker gave the taker when the IKE SA was set up.
struct Given {
    /// (sender, token) pairs.
    tokens: Vec<(IpAddr, Vec<u8>)>,
    /// Whether that exchange was decrypted (so "no token" is known, not guessed).
    decrypted: bool,
    /// "IKE_AUTH" or "the IKE SA rekey", for messages.
    source: &'static str,
}

/// (source, destination, ESP SPI).
type EspFlow = (IpAddr, IpAddr, u32);
/// (index of the first packet, index of the last, count).
type FlowSpan = (usize, usize, u64);

fn secs(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 10_000 {
        format!("{:.1} s", d.as_secs_f64())
    } else {
        format!("{} s", d.as_secs())
    }
}

fn since(later: SystemTime, earlier: SystemTime) -> Duration {
    later.duration_since(earlier).unwrap_or_default()
}

fn exchange_name(x: u8) -> String {
    match x {
        IKE_SA_INIT => "IKE_SA_INIT".into(),
        IKE_AUTH => "IKE_AUTH".into(),
        CREATE_CHILD_SA => "CREATE_CHILD_SA".into(),
        INFORMATIONAL => "INFORMATIONAL".into(),
        other => format!("exchange {other}"),
    }
}

fn short_hex(b: &[u8]) -> String {
    if b.len() <= 8 {
        hex::encode(b)
    } else {
        format!("{}… ({} bytes)", hex::encode(&b[..8]), b.len())
    }
}

/// The QCD_TOKEN a message carries in the clear or inside SK.
fn tokens_of(m: &IkeSummary) -> Vec<&NotifySummary> {
    m.notifies
        .iter()
        .chain(m.inner_notifies.iter().flatten())
        .filter(|n| n.notify_type == QCD_TOKEN)
        .collect()
}

fn token_warnings(n: &NotifySummary) -> Vec<String> {
    let mut w = Vec::new();
    if n.protocol_id != PROTO_IKE {
        w.push(format!(
            "the QCD_TOKEN has protocol id {} where RFC 6290 says 1 (IKE); Rockhopper sends 0, and strict token takers may ignore such a token",
            n.protocol_id
        ));
    }
    if !n.spi.is_empty() {
        w.push(format!(
            "the QCD_TOKEN has an SPI of {} bytes where RFC 6290 says SPI size 0",
            n.spi.len()
        ));
    }
    if !(MIN_TOKEN_LEN..=MAX_TOKEN_LEN).contains(&n.data.len()) {
        w.push(format!(
            "the QCD_TOKEN carries {} bytes of token data, outside RFC 6290's 16 to 128",
            n.data.len()
        ));
    }
    w
}

fn analyse(sa: &Sa, all: &[Sa], packets: &[Packet], opts: &Options) -> SaReport {
    let mut events: Vec<Event> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let init_ip = sa.initiator.map(|a| a.ip());
    let side = |addr: SocketAddr| -> &'static str {
        if Some(addr.ip()) == init_ip {
            "initiator"
        } else {
            "responder"
        }
    };
    let push = |events: &mut Vec<Event>, p: &Packet, what: String| {
        events.push(Event {
            frame: p.frame,
            time: crate::timefmt::format_rfc3339_precise(p.time),
            what,
            at: p.time,
        })
    };

    // Who is the token maker (B)? Whoever answers INVALID_SPI / INVALID_IKE_SPI.
    let mut maker_ip: Option<IpAddr> = None;
    let mut outage: Option<(SystemTime, u64, String)> = None;
    let mut given = Given {
        tokens: Vec::new(),
        decrypted: false,
        source: "IKE_AUTH",
    };
    if let Some(j) = sa.rekeyed_from {
        let p = &packets[j];
        let m = ike(p).expect("ike");
        given.source = "the IKE SA rekey";
        given.decrypted = m.inner_notifies.is_some();
        let mut what = format!(
            "this IKE SA replaces IKE SA {} {} (CREATE_CHILD_SA rekey response from {})",
            m.spis.initiator, m.spis.responder, p.src
        );
        for n in m
            .inner_notifies
            .iter()
            .flatten()
            .filter(|n| n.notify_type == QCD_TOKEN)
        {
            what.push_str(&format!("; gives QCD_TOKEN {}", short_hex(&n.data)));
            given.tokens.push((p.src.ip(), n.data.clone()));
        }
        push(&mut events, p, what);
    }
    for &i in &sa.ike {
        let p = &packets[i];
        let m = ike(p).expect("ike index");
        let dir = if m.response { "response" } else { "request" };
        let mut what = format!(
            "{} {} from the {} ({} → {}), message id {}",
            exchange_name(m.exchange),
            dir,
            side(p.src),
            p.src,
            p.dst,
            m.message_id
        );
        if m.exchange == IKE_AUTH || (m.exchange == CREATE_CHILD_SA && m.encrypted) {
            match (&m.inner_notifies, &m.decrypt_error) {
                (Some(inner), _) => {
                    if m.exchange == IKE_AUTH && sa.rekeyed_from.is_none() {
                        given.decrypted = true;
                    }
                    for n in inner.iter().filter(|n| n.notify_type == QCD_TOKEN) {
                        what.push_str(&format!("; gives QCD_TOKEN {}", short_hex(&n.data)));
                        if m.exchange == IKE_AUTH && sa.rekeyed_from.is_none() {
                            given.tokens.push((p.src.ip(), n.data.clone()));
                        }
                    }
                }
                (None, Some(e)) => what.push_str(&format!("; SK not decrypted: {e}")),
                (None, None) => {}
            }
        }
        if m.exchange == INFORMATIONAL && !m.response && m.encrypted && p.time > sa.first {
            if let Some(inner) = &m.inner_notifies {
                if inner.is_empty() {
                    what.push_str(" (empty: a liveness check)");
                }
            }
        }
        if let Some(n) = m.notify(INVALID_SPI) {
            what.push_str(&format!(
                "; unprotected INVALID_SPI for ESP SPI {}",
                if n.spi.is_empty() {
                    hex::encode(&n.data)
                } else {
                    hex::encode(&n.spi)
                }
            ));
            maker_ip.get_or_insert(p.src.ip());
            if outage.is_none() {
                outage = Some((p.time, p.frame, format!("INVALID_SPI from {}", p.src.ip())));
            }
        }
        if m.notify(INVALID_IKE_SPI).is_some() {
            let tokens = tokens_of(m);
            if tokens.is_empty() {
                what.push_str("; INVALID_IKE_SPI without QCD_TOKEN");
            } else {
                for t in &tokens {
                    what.push_str(&format!(
                        "; INVALID_IKE_SPI with QCD_TOKEN {}",
                        short_hex(&t.data)
                    ));
                }
            }
            maker_ip.get_or_insert(p.src.ip());
            if outage.is_none() {
                // The reply is evidence; the outage showed at the request it answers.
                let asked = sa
                    .ike
                    .iter()
                    .map(|&j| &packets[j])
                    .filter(|q| q.time <= p.time && q.src.ip() == p.dst.ip())
                    .filter(|q| ike(q).is_some_and(|n| !n.response && n.message_id == m.message_id))
                    .map(|q| q.time)
                    .min()
                    .unwrap_or(p.time);
                outage = Some((
                    asked,
                    p.frame,
                    format!("INVALID_IKE_SPI from {}", p.src.ip()),
                ));
            }
        }
        push(&mut events, p, what);
    }

    // ESP per direction.
    let mut esp_dirs: Vec<(EspFlow, FlowSpan)> = Vec::new();
    for &i in &sa.esp {
        let p = &packets[i];
        let PacketKind::Esp { spi } = p.kind else {
            continue;
        };
        let key = (p.src.ip(), p.dst.ip(), spi);
        match esp_dirs.iter_mut().find(|(k, _)| *k == key) {
            Some((_, (_, last, n))) => {
                *last = i;
                *n += 1;
            }
            None => esp_dirs.push((key, (i, i, 1))),
        }
    }

    // Silence: a side that sent ESP, then nothing, while the other kept sending.
    let last_from = |ip: IpAddr| -> Option<usize> {
        sa.ike
            .iter()
            .chain(sa.esp.iter())
            .copied()
            .filter(|&i| packets[i].src.ip() == ip)
            .max_by_key(|&i| (packets[i].time, i))
    };
    if outage.is_none() {
        if let Some((a, b)) = sa.hosts() {
            for (quiet, talker) in [(a, b), (b, a)] {
                let sent_esp = sa.esp.iter().any(|&i| packets[i].src.ip() == quiet);
                let (Some(lq), Some(lt)) = (last_from(quiet), last_from(talker)) else {
                    continue;
                };
                if sent_esp && since(packets[lt].time, packets[lq].time) > opts.silence {
                    maker_ip = Some(quiet);
                    outage = Some((
                        packets[lq].time,
                        packets[lq].frame,
                        format!(
                            "{quiet} went silent (its last packet) while {talker} kept sending for {}",
                            secs(since(packets[lt].time, packets[lq].time))
                        ),
                    ));
                    break;
                }
            }
        }
    }

    // Unanswered IKE requests: the peer stopped answering (e.g. a rebooted
    // strongSwan drops messages for unknown SPIs instead of sending INVALID_IKE_SPI).
    if outage.is_none() {
        let unanswered = sa.ike.iter().copied().find(|&i| {
            let (p, m) = (&packets[i], ike(&packets[i]).expect("ike"));
            !m.response
                && m.exchange != IKE_SA_INIT
                && !sa.ike.iter().any(|&j| {
                    let (q, n) = (&packets[j], ike(&packets[j]).expect("ike"));
                    n.response && n.message_id == m.message_id && q.src.ip() == p.dst.ip()
                })
        });
        if let Some(i) = unanswered {
            let p = &packets[i];
            maker_ip = Some(p.dst.ip());
            outage = Some((
                p.time,
                p.frame,
                format!(
                    "{} stopped answering IKE requests (message id {} from {} got no response)",
                    p.dst.ip(),
                    ike(p).expect("ike").message_id,
                    p.src.ip()
                ),
            ));
        }
    }

    // An SA replaced by a rekey is no longer in use: later evidence concerns its successor.
    if let (Some((t_rep, n)), Some((t_out, ..))) = (sa.replaced, &outage) {
        if *t_out >= t_rep {
            outage = None;
            notes.push(format!(
                "replaced by IKE SA {} {} in a rekey; what follows concerns that SA",
                all[n].spis.initiator, all[n].spis.responder
            ));
        }
    }
    let (verdict, reason) = match (outage, maker_ip) {
        (None, _) | (_, None) if sa.replaced.is_some() => {
            let (_, n) = sa.replaced.expect("checked");
            (
                Verdict::Healthy,
                format!(
                    "rekeyed into IKE SA {} {} before any outage",
                    all[n].spis.initiator, all[n].spis.responder
                ),
            )
        }
        (None, _) | (_, None) => (
            Verdict::Healthy,
            "no outage seen: no INVALID_SPI or INVALID_IKE_SPI, every IKE request was answered, and neither side fell silent"
                .to_string(),
        ),
        (Some((t_out, _frame, what)), Some(b)) => {
            let a = sa
                .hosts()
                .map(|(i, r)| if i == b { r } else { i })
                .unwrap_or(b);
            // ESP from A to B after the outage started.
            for ((src, dst, spi), (first, last, n)) in &esp_dirs {
                let after: Vec<usize> = sa
                    .esp
                    .iter()
                    .copied()
                    .filter(|&i| {
                        let p = &packets[i];
                        p.time >= t_out
                            && p.src.ip() == *src
                            && p.dst.ip() == *dst
                            && matches!(p.kind, PacketKind::Esp { spi: s } if s == *spi)
                    })
                    .collect();
                notes.push(format!(
                    "ESP {src} → {dst} SPI {spi:08x}: {n} packets, frames {}–{}",
                    packets[*first].frame, packets[*last].frame
                ));
                if *src == a && !after.is_empty() {
                    let lp = &packets[*after.last().expect("non-empty")];
                    push(
                        &mut events,
                        &packets[after[0]],
                        format!(
                            "ESP {src} → {dst} SPI {spi:08x} goes on after the outage: {} packet{} until frame {} (+{})",
                            after.len(),
                            if after.len() == 1 { "" } else { "s" },
                            lp.frame,
                            secs(since(lp.time, t_out))
                        ),
                    );
                }
            }
            let last_before = sa
                .ike
                .iter()
                .chain(sa.esp.iter())
                .copied()
                .filter(|&i| packets[i].src.ip() == b && packets[i].time < t_out)
                .max_by_key(|&i| (packets[i].time, i));
            if let Some(lb) = last_before {
                push(
                    &mut events,
                    &packets[lb],
                    format!("last packet from {b} before the outage"),
                );
            }
            notes.push(format!(
                "outage: {what}; token maker (B) = {b}, token taker (A) = {a}"
            ));
            judge(
                &Ctx { all, packets, opts },
                sa,
                Outage {
                    taker: a,
                    maker: b,
                    at: t_out,
                },
                &given,
                &mut events,
                &mut notes,
            )
        }
    };
    events.sort_by_key(|e| (e.at, e.frame));
    let mut seen = std::collections::HashSet::new();
    notes.retain(|n| seen.insert(n.clone()));
    SaReport {
        spi_i: sa.spis.initiator.to_string(),
        spi_r: sa.spis.responder.to_string(),
        initiator: sa.initiator.map(|a| a.to_string()),
        responder: sa.responder.map(|a| a.to_string()),
        verdict,
        reason,
        notes,
        events,
    }
}

/// Walks the recovery steps after the outage at `t_out`: liveness check,
/// INVALID_IKE_SPI + QCD_TOKEN, token validity, new IKE SA.
fn judge(
    ctx: &Ctx,
    sa: &Sa,
    outage: Outage,
    given: &Given,
    events: &mut Vec<Event>,
    notes: &mut Vec<String>,
) -> (Verdict, String) {
    let Ctx { all, packets, opts } = *ctx;
    let Outage {
        taker: a,
        maker: b,
        at: t_out,
    } = outage;
    let msgs = || {
        sa.ike
            .iter()
            .map(|&i| (&packets[i], ike(&packets[i]).expect("ike")))
    };
    let checks: Vec<(&Packet, &IkeSummary)> = msgs()
        .filter(|(p, m)| !m.response && p.src.ip() == a && p.time >= t_out)
        .collect();
    let new_sa = |after: SystemTime| -> Option<&Sa> {
        all.iter().find(|s| {
            s.starts_with_init
                && s.first > after
                && s.initiator.map(|x| x.ip()) == Some(a)
                && s.responder.map(|x| x.ip()) == Some(b)
        })
    };
    if checks.is_empty() {
        if let Some(n) = new_sa(t_out) {
            return (
                Verdict::NoLivenessCheck,
                format!(
                    "{a} never sent a liveness check on the old IKE SA after the outage; it started a new IKE SA {} later without QCD",
                    secs(since(n.first, t_out))
                ),
            );
        }
        return (
            Verdict::NoLivenessCheck,
            format!(
                "{a} never sent a liveness check (an IKE request on the old SA) after the outage, so {b} had no chance to send a QCD token: {a} does not react to INVALID_SPI or to missing inbound traffic"
            ),
        );
    }
    let first_check = checks[0].0;
    let replies: Vec<(&Packet, &IkeSummary)> = msgs()
        .filter(|(p, m)| m.response && p.src.ip() == b && p.time >= first_check.time)
        .collect();
    let invalid: Vec<&(&Packet, &IkeSummary)> = replies
        .iter()
        .filter(|(_, m)| m.notify(INVALID_IKE_SPI).is_some())
        .collect();
    let Some((first_reply, _)) = invalid.first() else {
        if replies.iter().any(|(_, m)| m.encrypted) {
            notes.push(format!(
                "{b} answered the liveness check normally: it still holds the IKE SA"
            ));
            return (
                Verdict::Healthy,
                format!("{b} still holds the IKE SA (it answered the liveness check with a protected response); no crash to detect"),
            );
        }
        return (
            Verdict::NoToken,
            format!(
                "{b} never answered {a}'s {} liveness check{} (retransmissions included): it is down or unreachable, or drops IKE messages for unknown SPIs instead of answering INVALID_IKE_SPI with a QCD_TOKEN",
                checks.len(),
                if checks.len() == 1 { "" } else { "s" }
            ),
        );
    };
    let first_reply: &Packet = first_reply;
    let tokens: Vec<&NotifySummary> = invalid.iter().flat_map(|(_, m)| tokens_of(m)).collect();
    if tokens.is_empty() {
        return (
            Verdict::NoToken,
            format!("{b}'s INVALID_IKE_SPI reply carries no QCD_TOKEN: {b} does not act as token maker (QCD not enabled or not supported there)"),
        );
    }
    let mut proto_zero = false;
    for t in &tokens {
        for w in token_warnings(t) {
            proto_zero |= t.protocol_id != PROTO_IKE;
            notes.push(w);
        }
    }
    // What the taker holds: the token B gave in IKE_AUTH (or in the rekey).
    let src = given.source;
    let given_tokens: Vec<&Vec<u8>> = given
        .tokens
        .iter()
        .filter(|(ip, _)| *ip == b)
        .map(|(_, t)| t)
        .collect();
    let by_auth: Option<bool> = if !given_tokens.is_empty() {
        let same = tokens
            .iter()
            .any(|t| given_tokens.iter().any(|g| **g == t.data));
        events.push(Event {
            frame: first_reply.frame,
            time: crate::timefmt::format_rfc3339_precise(first_reply.time),
            what: if same {
                format!("the token after the reboot is byte for byte the token given in {src}")
            } else {
                format!(
                    "the token after the reboot differs from the token given in {src} ({})",
                    short_hex(given_tokens[0])
                )
            },
            at: first_reply.time,
        });
        Some(same)
    } else {
        if given.decrypted {
            return (
                Verdict::NoToken,
                format!("{b} gave no QCD_TOKEN in {src}, so {a} holds no token to compare the reply's token with"),
            );
        }
        None
    };
    let by_keyring: Option<TokenCheck> = opts.checker.map(|c| {
        let mut best: Option<TokenCheck> = None;
        for t in &tokens {
            let r = c.check(sa.spis, &t.data, Some(a));
            if r.matched {
                return r;
            }
            if best.as_ref().is_none_or(|b| b.explanations.is_empty()) {
                best = Some(r);
            }
        }
        best.expect("at least one token")
    });
    if let Some(k) = &by_keyring {
        match k.generation {
            Some(g) if k.matched => notes.push(format!("the token matches keyring generation {g}")),
            _ => {
                notes.push(
                    "the token matches no active or previous generation of the keyring".into(),
                );
                notes.extend(k.explanations.iter().cloned());
            }
        }
    }
    let valid = match (by_auth, &by_keyring) {
        (Some(v), _) => Some(v),
        (None, Some(k)) => Some(k.matched),
        (None, None) => None,
    };
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
            _ => unreachable!("valid == Some(false) needs a comparison"),
        };
        if let (Some(false), Some(k)) = (by_auth, &by_keyring) {
            if !k.matched && !k.explanations.is_empty() {
                reason.push_str(&format!(" ({})", k.explanations.join("; ")));
            }
        }
        return (Verdict::TokenMismatch, reason);
    }
    match new_sa(first_reply.time) {
        Some(n) => {
            let gap = since(n.first, first_reply.time);
            events.push(Event {
                frame: packets[n.ike[0]].frame,
                time: crate::timefmt::format_rfc3339_precise(n.first),
                what: format!(
                    "{a} starts a new IKE SA (SPI-I {}) {} after the first INVALID_IKE_SPI",
                    n.spis.initiator,
                    secs(gap)
                ),
                at: n.first,
            });
            if valid.is_none() {
                notes.push("the token was not checked: pass --keyring (the maker's) or --keys (to read the IKE_AUTH token)".into());
            }
            (
                Verdict::Recovered,
                format!(
                    "recovered {} after the first INVALID_IKE_SPI: {a} accepted {b}'s QCD token and started a new IKE SA",
                    secs(gap)
                ),
            )
        }
        None => {
            let mut reason = match valid {
                Some(true) => format!("{b} sent a valid QCD_TOKEN, but {a} never started a new IKE SA: {a} does not act as token taker, or did not keep the token from {src}"),
                _ => format!("{b} sent a QCD_TOKEN, but {a} never started a new IKE SA; the token could not be checked (give --keyring or --keys), so {a} may have rejected it"),
            };
            if proto_zero {
                reason.push_str(&format!(
                    "; the token has protocol id 0 instead of 1, which {a} probably ignored"
                ));
            }
            (Verdict::NotRekeyed, reason)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "192.0.2.1:500";
    const B: &str = "198.51.100.2:500";

    fn at(ms: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000) + Duration::from_millis(ms)
    }

    fn spis(i: u64, r: u64) -> SpiPair {
        SpiPair::new(Spi(i.to_be_bytes()), Spi(r.to_be_bytes()))
    }

    fn token_notify(data: &[u8], proto: u8) -> NotifySummary {
        NotifySummary {
            notify_type: QCD_TOKEN,
            protocol_id: proto,
            spi: vec![],
            data: data.to_vec(),
        }
    }

    struct Script {
        packets: Vec<Packet>,
    }

    impl Script {
        fn new() -> Self {
            Script { packets: vec![] }
        }

        #[allow(clippy::too_many_arguments)]
        fn ike(
            &mut self,
            ms: u64,
            from: &str,
            to: &str,
            s: SpiPair,
            exchange: u8,
            initiator: bool,
            response: bool,
            notifies: Vec<NotifySummary>,
            inner: Option<Vec<NotifySummary>>,
        ) -> &mut Self {
            let frame = self.packets.len() as u64 + 1;
            self.packets.push(Packet {
                frame,
                time: at(ms),
                src: from.parse().unwrap(),
                dst: to.parse().unwrap(),
                kind: PacketKind::Ike(Box::new(IkeSummary {
                    spis: s,
                    exchange,
                    initiator,
                    response,
                    message_id: 0,
                    encrypted: inner.is_some(),
                    notifies,
                    inner_notifies: inner,
                    decrypt_error: None,
                    new_ike_spi: None,
                })),
            });
            self
        }

        fn esp(&mut self, ms: u64, from: &str, to: &str, spi: u32) -> &mut Self {
            let frame = self.packets.len() as u64 + 1;
            self.packets.push(Packet {
                frame,
                time: at(ms),
                src: from.parse().unwrap(),
                dst: to.parse().unwrap(),
                kind: PacketKind::Esp { spi },
            });
            self
        }

        /// A establishes an SA with B; B gives `token` in IKE_AUTH (if Some).
        fn establish(&mut self, ms: u64, s: SpiPair, token: Option<&[u8]>) -> &mut Self {
            let half = spis(u64::from_be_bytes(s.initiator.0), 0);
            self.ike(ms, A, B, half, IKE_SA_INIT, true, false, vec![], None)
                .ike(ms + 10, B, A, s, IKE_SA_INIT, false, true, vec![], None)
                .ike(
                    ms + 20,
                    A,
                    B,
                    s,
                    IKE_AUTH,
                    true,
                    false,
                    vec![],
                    Some(vec![]),
                )
                .ike(
                    ms + 30,
                    B,
                    A,
                    s,
                    IKE_AUTH,
                    false,
                    true,
                    vec![],
                    Some(token.map(|t| vec![token_notify(t, 1)]).unwrap_or_default()),
                )
                .esp(ms + 100, A, B, 0xc1)
                .esp(ms + 110, B, A, 0xc2)
        }

        /// B reboots: A's ESP is answered by INVALID_SPI.
        fn reboot(&mut self, ms: u64) -> &mut Self {
            self.esp(ms, A, B, 0xc1).ike(
                ms + 5,
                B,
                A,
                spis(0x1111, 0x2222),
                INFORMATIONAL,
                false,
                false,
                vec![NotifySummary {
                    notify_type: INVALID_SPI,
                    protocol_id: 3,
                    spi: vec![0, 0, 0, 0xc1],
                    data: vec![],
                }],
                None,
            )
        }

        fn liveness(&mut self, ms: u64, s: SpiPair) -> &mut Self {
            self.ike(
                ms,
                A,
                B,
                s,
                INFORMATIONAL,
                true,
                false,
                vec![],
                Some(vec![]),
            )
        }

        fn invalid_ike_spi(
            &mut self,
            ms: u64,
            s: SpiPair,
            token: Option<NotifySummary>,
        ) -> &mut Self {
            let mut n = vec![NotifySummary {
                notify_type: INVALID_IKE_SPI,
                protocol_id: 1,
                spi: vec![],
                data: vec![],
            }];
            n.extend(token);
            self.ike(ms, B, A, s, INFORMATIONAL, false, true, n, None)
        }

        fn run(&self, checker: Option<&dyn TokenChecker>) -> Vec<SaReport> {
            diagnose(
                &self.packets,
                &Options {
                    checker,
                    silence: DEFAULT_SILENCE,
                },
            )
        }
    }

    const TOKEN: [u8; 32] = [0x42; 32];
    const OTHER: [u8; 32] = [0x24; 32];

    #[test]
    fn healthy_sa() {
        let s = spis(0xa1, 0xb1);
        let r = Script::new().establish(0, s, Some(&TOKEN)).run(None);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].verdict, Verdict::Healthy, "{}", r[0].reason);
        assert_eq!(r[0].spi_i, "00000000000000a1");
        assert_eq!(r[0].spi_r, "00000000000000b1");
        assert_eq!(r[0].events.len(), 4);
    }

    #[test]
    fn recovered_with_the_ike_auth_token() {
        let s = spis(0xa1, 0xb1);
        let r = Script::new()
            .establish(0, s, Some(&TOKEN))
            .reboot(60_000)
            .liveness(61_000, s)
            .invalid_ike_spi(61_010, s, Some(token_notify(&TOKEN, 1)))
            .establish(61_810, spis(0xa2, 0xb2), Some(&OTHER))
            .run(None);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].verdict, Verdict::Recovered, "{}", r[0].reason);
        assert!(
            r[0].reason
                .contains("recovered 0.8 s after the first INVALID_IKE_SPI"),
            "{}",
            r[0].reason
        );
        assert!(r[0].events.iter().any(|e| e.what.contains("byte for byte")));
        assert!(
            r[0].events.iter().any(|e| e.what.contains("INVALID_SPI")),
            "{:#?}",
            r[0].events
        );
        assert_eq!(r[1].verdict, Verdict::Healthy);
        assert!(r[0].verdict.is_ok() && r[1].verdict.is_ok());
    }

    #[test]
    fn no_token_in_the_reply() {
        let s = spis(0xa1, 0xb1);
        let r = Script::new()
            .establish(0, s, Some(&TOKEN))
            .reboot(60_000)
            .liveness(61_000, s)
            .invalid_ike_spi(61_010, s, None)
            .run(None);
        assert_eq!(r[0].verdict, Verdict::NoToken);
        assert!(
            r[0].reason.contains("carries no QCD_TOKEN"),
            "{}",
            r[0].reason
        );
        assert!(r[0].reason.contains("does not act as token maker"));
    }

    #[test]
    fn token_changed_at_reboot() {
        let s = spis(0xa1, 0xb1);
        let r = Script::new()
            .establish(0, s, Some(&TOKEN))
            .reboot(60_000)
            .liveness(61_000, s)
            .invalid_ike_spi(61_010, s, Some(token_notify(&OTHER, 1)))
            .run(None);
        assert_eq!(r[0].verdict, Verdict::TokenMismatch);
        assert!(
            r[0].reason
                .contains("differs from the token it gave in IKE_AUTH"),
            "{}",
            r[0].reason
        );
    }

    struct FixedChecker(TokenCheck);
    impl TokenChecker for FixedChecker {
        fn check(&self, _: SpiPair, _: &[u8], _: Option<IpAddr>) -> TokenCheck {
            self.0.clone()
        }
    }

    #[test]
    fn keyring_explanations_reach_the_reason() {
        let s = spis(0xa1, 0xb1);
        let checker = FixedChecker(TokenCheck {
            matched: false,
            generation: None,
            explanations: vec![
                "matches generation 3 with SPIs swapped: the maker puts SPI-R first".into(),
            ],
        });
        let mut script = Script::new();
        script
            .establish(0, s, None)
            .reboot(60_000)
            .liveness(61_000, s)
            .invalid_ike_spi(61_010, s, Some(token_notify(&OTHER, 1)));
        // Without decryption the IKE_AUTH token is unknown: drop the inner notifies.
        for p in &mut script.packets {
            if let PacketKind::Ike(m) = &mut p.kind {
                m.inner_notifies = None;
            }
        }
        let r = script.run(Some(&checker));
        assert_eq!(r[0].verdict, Verdict::TokenMismatch);
        assert!(r[0].reason.contains("SPIs swapped"), "{}", r[0].reason);
        let none = FixedChecker(TokenCheck {
            matched: false,
            generation: None,
            explanations: vec![],
        });
        let r = script.run(Some(&none));
        assert!(r[0].reason.contains("not persisted"), "{}", r[0].reason);
        let ok = FixedChecker(TokenCheck {
            matched: true,
            generation: Some(2),
            explanations: vec![],
        });
        let r = script.run(Some(&ok));
        assert_eq!(r[0].verdict, Verdict::NotRekeyed, "{}", r[0].reason);
        assert!(r[0].reason.contains("valid QCD_TOKEN"));
    }

    #[test]
    fn protocol_id_zero_is_named_when_the_taker_ignores_the_token() {
        let s = spis(0xa1, 0xb1);
        let r = Script::new()
            .establish(0, s, Some(&TOKEN))
            .reboot(60_000)
            .liveness(61_000, s)
            .invalid_ike_spi(61_010, s, Some(token_notify(&TOKEN, 0)))
            .run(None);
        assert_eq!(r[0].verdict, Verdict::NotRekeyed, "{}", r[0].reason);
        assert!(r[0].reason.contains("protocol id 0"), "{}", r[0].reason);
        assert!(r[0].notes.iter().any(|n| n.contains("Rockhopper")));
    }

    #[test]
    fn no_liveness_check_after_invalid_spi() {
        let s = spis(0xa1, 0xb1);
        let r = Script::new()
            .establish(0, s, Some(&TOKEN))
            .reboot(60_000)
            .esp(61_000, A, B, 0xc1)
            .esp(62_000, A, B, 0xc1)
            .run(None);
        assert_eq!(
            r.len(),
            1,
            "the INVALID_SPI message joins the SA between the same hosts"
        );
        assert_eq!(r[0].verdict, Verdict::NoLivenessCheck);
        assert!(r[0].reason.contains("never sent a liveness check"));
        assert!(
            r[0].events
                .iter()
                .any(|e| e.what.contains("goes on after the outage")),
            "{:#?}",
            r[0].events
        );
    }

    #[test]
    fn silence_counts_as_an_outage() {
        let s = spis(0xa1, 0xb1);
        let r = Script::new()
            .establish(0, s, Some(&TOKEN))
            .esp(5_000, A, B, 0xc1)
            .esp(30_000, A, B, 0xc1)
            .run(None);
        assert_eq!(r[0].verdict, Verdict::NoLivenessCheck, "{}", r[0].reason);
        assert!(
            r[0].notes.iter().any(|n| n.contains("went silent")),
            "{:?}",
            r[0].notes
        );
        // Within the silence window it is not an outage.
        let r = Script::new()
            .establish(0, s, Some(&TOKEN))
            .esp(5_000, A, B, 0xc1)
            .run(None);
        assert_eq!(r[0].verdict, Verdict::Healthy);
    }

    #[test]
    fn a_retransmitted_ike_sa_init_request_joins_its_sa() {
        let s = spis(0xa1, 0xb1);
        let r = Script::new()
            .establish(0, s, Some(&TOKEN))
            .ike(
                200,
                A,
                B,
                spis(0xa1, 0),
                IKE_SA_INIT,
                true,
                false,
                vec![],
                None,
            )
            .run(None);
        assert_eq!(r.len(), 1, "{r:#?}");
        assert_eq!(r[0].events.len(), 5);
    }

    #[test]
    fn invalid_ike_spi_as_first_evidence_counts_the_check_that_drew_it() {
        // No INVALID_SPI: the liveness check itself finds the reboot.
        let s = spis(0xa1, 0xb1);
        let r = Script::new()
            .establish(0, s, Some(&TOKEN))
            .liveness(5_000, s)
            .invalid_ike_spi(5_001, s, Some(token_notify(&TOKEN, 1)))
            .establish(5_800, spis(0xa2, 0xb2), Some(&OTHER))
            .run(None);
        assert_eq!(r[0].verdict, Verdict::Recovered, "{}", r[0].reason);
    }

    #[test]
    fn unanswered_liveness_checks() {
        let s = spis(0xa1, 0xb1);
        let r = Script::new()
            .establish(0, s, Some(&TOKEN))
            .reboot(60_000)
            .liveness(61_000, s)
            .liveness(63_000, s)
            .run(None);
        assert_eq!(r[0].verdict, Verdict::NoToken);
        assert!(r[0].reason.contains("never answered"), "{}", r[0].reason);
    }

    #[test]
    fn no_token_given_in_ike_auth() {
        let s = spis(0xa1, 0xb1);
        let r = Script::new()
            .establish(0, s, None)
            .reboot(60_000)
            .liveness(61_000, s)
            .invalid_ike_spi(61_010, s, Some(token_notify(&TOKEN, 1)))
            .run(None);
        assert_eq!(r[0].verdict, Verdict::NoToken);
        assert!(
            r[0].reason.contains("no QCD_TOKEN in IKE_AUTH"),
            "{}",
            r[0].reason
        );
    }
}
