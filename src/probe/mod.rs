//! `qcd probe`: ask live gateways, without credentials or a crash, whether
//! they answer as QCD token makers, with which token (length, profile,
//! implementation), whether the token comes from the operator's secrets
//! (and which generation), and whether cluster members share a secret.
//!
//! A maker answers a request for SPIs it does not know, from anyone, with
//! the token its current secret gives for those SPIs (`qcd.md`, "Drawing a
//! token from a live maker"). Per target, [`probe_target`] asks for the
//! token of the run's SPIs (3 sends at most, 500 ms then doubling), asks
//! again with the same SPIs (is it stable?) and with other SPIs (is it a
//! constant?), and sends one IKE_SA_INIT request, since silence alone cannot
//! tell a daemon that drops unknown SPIs from a firewall that drops
//! everything. At most [`exchange::Timing::max_packets`] (9) datagrams per
//! target, paced; an ICMP error ends the target at once.
//!
//! [`run`] probes every target in parallel (one thread each; one after
//! another when the source port is fixed) through a
//! [`transport::Connector`], so the plan and the verdict are tested without
//! the network; [`text`] renders the result for people. Not here: argument
//! parsing (the CLI), the maker side (`qcd::respond`).

pub mod exchange;
pub mod target;
pub mod text;
pub mod transport;
pub mod verdict;

use std::time::Duration;

use serde::Serialize;

pub use exchange::{ask_token, Answer, Conversation, Timing};
pub use target::Target;
pub use transport::{Connector, Received, Transport, UdpConnector, UdpTransport, Unreachable};
pub use verdict::{cluster, ClusterCheck, Expect, KeyringCheck, KnownGeneration, KnownSecrets};

use crate::spi::SpiPair;
use crate::wire::init_probe::{self, InitReply};
use crate::wire::liveness::{LivenessReply, NAT_T_PORT};
use crate::wire::{DhGroup, NotifyType, WireError};

/// Why a probe could not run.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("target {target:?}: {reason}")]
    Target { target: String, reason: String },
    #[error("network error: {0} (check the address, the route and that the source port is free)")]
    Io(#[source] std::io::Error),
    #[error("cannot open a socket to {target}: {source} (is the source port in use, or the address family unsupported here?)")]
    Connect {
        target: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot build the request: {0}")]
    Wire(WireError),
    #[error("the operating system's random generator failed: {0}")]
    Random(String),
    #[error("the same SPIs were given for the second question: --spi-i/--spi-r must differ from the other-SPIs pair")]
    SameSpis,
    #[error("--spi-i, --spi-r: a maker answers only for non-zero SPIs")]
    ZeroSpi,
    #[error("--expect compares the tokens of several targets: give two or more")]
    ExpectOneTarget,
}

/// What to probe and how.
#[derive(Clone)]
pub struct Request {
    pub targets: Vec<Target>,
    /// The SPIs asked about on every target (fresh random ones by default).
    pub spis: SpiPair,
    /// Other SPIs, asked once per target to see that the token is not a constant.
    pub other_spis: SpiPair,
    pub timing: Timing,
    /// The operator's secrets, to say which generation made a token.
    pub secrets: Option<KnownSecrets>,
    pub expect: Option<Expect>,
}

impl Request {
    /// A request with random SPIs and default timing.
    pub fn new(targets: Vec<Target>) -> Result<Request, ProbeError> {
        Ok(Request {
            targets,
            spis: exchange::random_spis()?,
            other_spis: exchange::random_spis()?,
            timing: Timing::default(),
            secrets: None,
            expect: None,
        })
    }

    /// Asks about `spis` instead of random ones; a maker answers only for
    /// non-zero SPIs.
    pub fn set_spis(&mut self, spis: SpiPair) -> Result<(), ProbeError> {
        if spis.initiator.is_zero() || spis.responder.is_zero() {
            return Err(ProbeError::ZeroSpi);
        }
        self.spis = spis;
        Ok(())
    }

    /// Checks the targets' tokens against what the cluster's mode requires;
    /// it takes two targets or more.
    pub fn set_expect(&mut self, expect: Expect) -> Result<(), ProbeError> {
        if self.targets.len() < 2 {
            return Err(ProbeError::ExpectOneTarget);
        }
        self.expect = Some(expect);
        Ok(())
    }
}

/// How a target answered the liveness request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// A QCD maker: INVALID_IKE_SPI (or not) with at least one QCD_TOKEN.
    QcdToken,
    /// INVALID_IKE_SPI without a token: answers unknown SPIs, QCD off.
    InvalidSpiNoToken,
    /// Some other answer with the probe's SPIs.
    OtherReply,
    /// No answer to the liveness request, but IKE_SA_INIT was answered:
    /// an IKE responder that drops unknown SPIs (strongSwan, libreswan).
    IkeNoQcd,
    /// Nothing at all: no daemon, or a firewall.
    Silent,
    /// ICMP port unreachable: the host is there, nothing listens.
    PortUnreachable,
    /// ICMP host or network unreachable.
    HostUnreachable,
}

impl Verdict {
    /// The answer in a few words, for people.
    pub fn describe(self) -> &'static str {
        match self {
            Verdict::QcdToken => "QCD maker: answered with a token",
            Verdict::InvalidSpiNoToken => "answers unknown SPIs with INVALID_IKE_SPI, but no token: QCD is off",
            Verdict::OtherReply => "answered, but with neither INVALID_IKE_SPI nor a token",
            Verdict::IkeNoQcd => "IKE here, no QCD reply: it drops requests for unknown SPIs (as strongSwan and libreswan do)",
            Verdict::Silent => "no answer at all, not even to IKE_SA_INIT: no IKE daemon, or a firewall drops the packets",
            Verdict::PortUnreachable => "ICMP port unreachable: the host is up, but nothing listens on this port",
            Verdict::HostUnreachable => "ICMP host unreachable: no route to the host",
        }
    }
}

/// The IKE_SA_INIT answer, summed up.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IkeAnswer {
    /// "full" (a proposal chosen), "invalid-ke" (wants another group),
    /// "no-proposal-chosen", "cookie" or "other".
    pub kind: &'static str,
    pub notifies: Vec<String>,
    /// The group INVALID_KE_PAYLOAD asks for.
    pub wanted_group: Option<String>,
    pub vendor_ids: Vec<VendorId>,
    pub rtt_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VendorId {
    pub hex: String,
    pub name: Option<String>,
}

fn notify_name(t: NotifyType) -> String {
    t.name()
        .map(str::to_string)
        .unwrap_or_else(|| t.0.to_string())
}

fn group_name(g: DhGroup) -> String {
    g.name()
        .map(str::to_string)
        .unwrap_or_else(|| g.0.to_string())
}

impl IkeAnswer {
    fn of(r: &InitReply, rtt: Duration) -> IkeAnswer {
        let has = |t| r.notifies.contains(&t);
        let kind = if r.is_full() {
            "full"
        } else if has(NotifyType::INVALID_KE_PAYLOAD) {
            "invalid-ke"
        } else if has(NotifyType::NO_PROPOSAL_CHOSEN) {
            "no-proposal-chosen"
        } else if has(NotifyType::COOKIE) {
            "cookie"
        } else {
            "other"
        };
        IkeAnswer {
            kind,
            notifies: r.notifies.iter().map(|t| notify_name(*t)).collect(),
            wanted_group: r.wanted_group.map(group_name),
            vendor_ids: r
                .vendor_ids
                .iter()
                .map(|v| VendorId {
                    hex: crate::encoding::to_hex(&v.bytes),
                    name: v.name.clone(),
                })
                .collect(),
            rtt_ms: ms(rtt),
        }
    }
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

/// Everything learnt about one target. Serialized as the `--json` target
/// object (`kind: "target"`); keys are stable, absent values are `null`.
#[derive(Debug, Clone, Serialize)]
pub struct TargetReport {
    pub kind: &'static str,
    /// As given.
    pub target: String,
    /// Where it resolved (address and port).
    pub address: String,
    /// Port 4500: requests carried the non-ESP marker.
    pub nat_t: bool,
    pub verdict: Verdict,
    /// Answered with at least one QCD_TOKEN.
    pub qcd: bool,
    /// The SPIs asked about.
    pub probe_spi_i: String,
    pub probe_spi_r: String,
    /// The first token, in hex.
    pub token: Option<String>,
    pub token_len: Option<usize>,
    /// How many QCD_TOKEN notifies the reply held.
    pub tokens: usize,
    /// Every token after the first (a maker in an overlap window), in hex.
    pub more_tokens: Vec<String>,
    /// The Protocol ID of each token (0; 1 is the pre-erratum value).
    pub token_protocol_ids: Vec<u8>,
    /// The reply held N(INVALID_IKE_SPI).
    pub invalid_ike_spi: Option<bool>,
    /// The reply's flags and exchange type, as echoed.
    pub reply_flags: Option<String>,
    pub reply_exchange: Option<String>,
    /// Other notifications in the reply.
    pub reply_notifies: Vec<String>,
    /// Same SPIs asked again: the same tokens.
    pub stable: Option<bool>,
    /// Other SPIs asked: a different token (false would mean a constant).
    pub varies_with_spis: Option<bool>,
    pub implementation: Option<String>,
    /// The generation that made the token (with --keyring).
    pub generation: Option<u32>,
    pub generation_state: Option<String>,
    /// A token matches the active generation (or the secret file); `None` without secrets.
    pub keyring_match: Option<bool>,
    pub keyring: Option<KeyringCheck>,
    /// Time from the send that was answered to the answer.
    pub rtt_ms: Option<f64>,
    /// The answer to IKE_SA_INIT, if any.
    pub ike: Option<IkeAnswer>,
    /// Datagrams sent to this target.
    pub packets_sent: u32,
    /// Datagrams that answered nothing the probe asked.
    pub stray_datagrams: u32,
    /// What to do next, for people.
    pub advice: Vec<String>,
    /// The liveness reply as read (not serialized; for library users).
    #[serde(skip)]
    pub reply: Option<LivenessReply>,
}

impl TargetReport {
    /// The target answered with a token, matched the secrets when given.
    pub fn ok(&self) -> bool {
        self.qcd && self.keyring_match != Some(false)
    }
}

/// The outcome of a run: one report per target (in the order given) and,
/// with several targets, the cluster check.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub spis: SpiPair,
    pub targets: Vec<TargetReport>,
    pub cluster: Option<ClusterCheck>,
}

impl Outcome {
    /// Exit 0: every target answered with a token, matched the secrets when
    /// given, and the cluster met `--expect`.
    pub fn success(&self) -> bool {
        self.targets.iter().all(TargetReport::ok)
            && self
                .cluster
                .as_ref()
                .is_none_or(|c| c.expectation_met != Some(false))
    }
}

fn tokens_of(r: &LivenessReply) -> Vec<Vec<u8>> {
    r.tokens.iter().map(|t| t.data.clone()).collect()
}

/// Probes one target through `transport`.
pub fn probe_target(
    target: &Target,
    transport: &mut dyn Transport,
    request: &Request,
) -> Result<TargetReport, ProbeError> {
    let nat_t = target.addr.port() == NAT_T_PORT;
    let timing = request.timing;
    let mut conv = Conversation::new(transport, nat_t, timing);
    let spis = request.spis;
    let mut report = TargetReport {
        kind: "target",
        target: target.name.clone(),
        address: target.addr.to_string(),
        nat_t,
        verdict: Verdict::Silent,
        qcd: false,
        probe_spi_i: spis.initiator.to_hex(),
        probe_spi_r: spis.responder.to_hex(),
        token: None,
        token_len: None,
        tokens: 0,
        more_tokens: Vec::new(),
        token_protocol_ids: Vec::new(),
        invalid_ike_spi: None,
        reply_flags: None,
        reply_exchange: None,
        reply_notifies: Vec::new(),
        stable: None,
        varies_with_spis: None,
        implementation: None,
        generation: None,
        generation_state: None,
        keyring_match: None,
        keyring: None,
        rtt_ms: None,
        ike: None,
        packets_sent: 0,
        stray_datagrams: 0,
        advice: Vec::new(),
        reply: None,
    };
    let first = ask_token(&mut conv, spis, 0, timing.first_tries)?;
    match first {
        Answer::Unreachable(u) => {
            report.verdict = match u {
                Unreachable::Port => Verdict::PortUnreachable,
                Unreachable::Host => Verdict::HostUnreachable,
            };
        }
        Answer::Answered { reply, rtt, .. } => {
            report.rtt_ms = Some(ms(rtt));
            report.invalid_ike_spi = Some(reply.invalid_ike_spi.is_some());
            report.reply_flags = Some(format!("0x{:02x}", reply.flags.0));
            report.reply_exchange = Some(
                reply
                    .exchange
                    .name()
                    .map(str::to_string)
                    .unwrap_or_else(|| reply.exchange.0.to_string()),
            );
            report.reply_notifies = reply
                .other_notifies
                .iter()
                .map(|t| notify_name(*t))
                .collect();
            report.tokens = reply.tokens.len();
            report.token_protocol_ids = reply.tokens.iter().map(|t| t.protocol_id.0).collect();
            if let Some(t) = reply.tokens.first() {
                report.qcd = true;
                report.verdict = Verdict::QcdToken;
                report.token = Some(crate::encoding::to_hex(&t.data));
                report.token_len = Some(t.data.len());
                report.more_tokens = reply.tokens[1..]
                    .iter()
                    .map(|t| crate::encoding::to_hex(&t.data))
                    .collect();
                let tokens = tokens_of(&reply);
                if let Answer::Answered { reply: again, .. } =
                    ask_token(&mut conv, spis, 1, timing.later_tries)?
                {
                    report.stable = Some(tokens_of(&again) == tokens);
                }
                if let Answer::Answered { reply: other, .. } =
                    ask_token(&mut conv, request.other_spis, 2, timing.later_tries)?
                {
                    let other = tokens_of(&other);
                    report.varies_with_spis = Some(other.first() != tokens.first());
                }
                let check = request.secrets.as_ref().map(|s| s.check(spis, &tokens));
                report.implementation =
                    verdict::implementation(&reply, check.as_ref().and_then(|c| c.profile));
                if let Some(c) = check {
                    report.keyring_match = Some(c.matched);
                    report.generation = c.generation;
                    report.generation_state = c.state.map(|s| s.name().to_string());
                    report.keyring = Some(c);
                }
            } else if reply.invalid_ike_spi.is_some() {
                report.verdict = Verdict::InvalidSpiNoToken;
            } else {
                report.verdict = Verdict::OtherReply;
            }
            report.reply = Some(reply);
        }
        Answer::Silent { .. } => {}
    }
    if !matches!(
        report.verdict,
        Verdict::PortUnreachable | Verdict::HostUnreachable
    ) {
        let spi_i = exchange::random_spis()?.initiator;
        let secret = x25519_dalek::StaticSecret::from(
            <[u8; 32]>::try_from(exchange::random_bytes(32)?.as_slice()).expect("32 bytes"),
        );
        let public = x25519_dalek::PublicKey::from(&secret);
        let message = init_probe::init_request(
            spi_i,
            public.as_bytes().to_vec(),
            exchange::random_bytes(32)?,
        )
        .and_then(|m| m.to_bytes())
        .map_err(ProbeError::Wire)?;
        let answer = conv.ask(&message, timing.later_tries, |m| {
            init_probe::read_init_reply(m)
                .ok()
                .filter(|r| r.spi_i == spi_i && r.flags.response())
        })?;
        match answer {
            Answer::Answered { reply, rtt, .. } => {
                report.ike = Some(IkeAnswer::of(&reply, rtt));
                if report.verdict == Verdict::Silent {
                    report.verdict = Verdict::IkeNoQcd;
                }
            }
            Answer::Unreachable(u) if report.verdict == Verdict::Silent => {
                report.verdict = match u {
                    Unreachable::Port => Verdict::PortUnreachable,
                    Unreachable::Host => Verdict::HostUnreachable,
                };
            }
            _ => {}
        }
    }
    report.packets_sent = conv.sent;
    report.stray_datagrams = conv.strays;
    report.advice = advice(&report);
    Ok(report)
}

fn advice(r: &TargetReport) -> Vec<String> {
    let mut a = Vec::new();
    match r.verdict {
        Verdict::QcdToken => {
            if r.stable == Some(false) {
                a.push("the token changed between two asks with the same SPIs: the maker's secret is not stable (restarting, or regenerating it); takers will reject its tokens after a crash".into());
            }
            if r.varies_with_spis == Some(false) {
                a.push("the same token for other SPIs: the maker answers with a constant, which any observer can replay; it is not a QCD token".into());
            }
            if r.token_protocol_ids.contains(&1) {
                a.push("a token carries Protocol ID 1, the value before RFC 6290 erratum 3449; takers ignore the field, so this does not break detection".into());
            }
            if let Some(k) = &r.keyring {
                a.extend(k.reasons.iter().cloned());
            }
        }
        Verdict::InvalidSpiNoToken => a.push("enable QCD on the gateway (Rockhopper: <ikesa qcd_enabled=\"enable\"/>) and give it the secret from your keyring (qcd secret export)".into()),
        Verdict::IkeNoQcd => a.push("this daemon cannot be a QCD token maker: peers fall back to liveness timeouts after its crash; use a maker (Rockhopper VPN) there, or accept the slower recovery".into()),
        Verdict::Silent => a.push("check that an IKE daemon runs there and that UDP 500/4500 is allowed from this host; then probe again".into()),
        Verdict::PortUnreachable => a.push("start the IKE daemon (or probe the port it listens on: --port 4500)".into()),
        Verdict::HostUnreachable => a.push("check the address and the route to it".into()),
        Verdict::OtherReply => a.push("the answer was not the unprotected INVALID_IKE_SPI that QCD needs; decode it with a capture (qcd decode) to see what the gateway sent".into()),
    }
    a
}

/// Probes every target of `request` in parallel and compares their tokens.
pub fn run(request: &Request, connector: &dyn Connector) -> Result<Outcome, ProbeError> {
    if request.spis == request.other_spis {
        return Err(ProbeError::SameSpis);
    }
    let one = |t: &Target| -> Result<TargetReport, ProbeError> {
        let mut transport = connector
            .connect(t.addr)
            .map_err(|source| ProbeError::Connect {
                target: t.name.clone(),
                source,
            })?;
        probe_target(t, transport.as_mut(), request)
    };
    let results: Vec<Result<TargetReport, ProbeError>> = if connector.exclusive() {
        request.targets.iter().map(one).collect()
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = request
                .targets
                .iter()
                .map(|t| s.spawn(move || one(t)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a probe thread panicked"))
                .collect()
        })
    };
    let targets = results.into_iter().collect::<Result<Vec<_>, _>>()?;
    let cluster = (targets.len() > 1).then(|| {
        let members: Vec<(String, Option<Vec<u8>>)> = targets
            .iter()
            .map(|t| {
                (
                    t.target.clone(),
                    t.reply
                        .as_ref()
                        .and_then(|r| r.tokens.first().map(|x| x.data.clone())),
                )
            })
            .collect();
        cluster(&members, request.expect)
    });
    Ok(Outcome {
        spis: request.spis,
        targets,
        cluster,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::net::SocketAddr;
    use std::time::SystemTime;

    use super::*;
    use crate::respond::{Decision, Maker};
    use crate::secret::keyring::Origin;
    use crate::secret::Keyring;
    use crate::secretmem::SecretBytes;
    use crate::token::{Profile, TokenSpec};

    /// An in-process maker behind a scripted network.
    struct Scripted {
        maker: Maker,
        nat_t: bool,
        sent: Vec<Vec<u8>>,
        queue: VecDeque<Received>,
        /// Drop the n-th send (0-based).
        drop: Option<usize>,
        /// Before the answer to each send after the first, deliver again
        /// the first answer (a late duplicate) with its token changed.
        stale_first: bool,
        icmp: Option<Unreachable>,
    }

    impl Scripted {
        fn new(nat_t: bool) -> Scripted {
            let now = SystemTime::now();
            let keyring = Keyring::new(
                SecretBytes::from_slice(&[5; 64]),
                TokenSpec::new(Profile::HmacSha512),
                now,
                Origin::Imported,
            );
            Scripted {
                maker: Maker::new(&keyring, now).unwrap(),
                nat_t,
                sent: Vec::new(),
                queue: VecDeque::new(),
                drop: None,
                stale_first: false,
                icmp: None,
            }
        }
    }

    impl Transport for Scripted {
        fn send(&mut self, datagram: &[u8]) -> std::io::Result<Option<Unreachable>> {
            let n = self.sent.len();
            self.sent.push(datagram.to_vec());
            if let Some(u) = self.icmp {
                self.queue.push_back(Received::Unreachable(u));
                return Ok(None);
            }
            if self.drop == Some(n) {
                return Ok(None);
            }
            let from: SocketAddr = "192.0.2.1:500".parse().unwrap();
            if let Decision::Answer { datagram, .. } = self.maker.answer(datagram, from, self.nat_t)
            {
                if self.stale_first && n > 0 {
                    let first = self.sent[0].clone();
                    if let Decision::Answer {
                        datagram: mut old, ..
                    } = self.maker.answer(&first, from, self.nat_t)
                    {
                        let last = old.len() - 1;
                        old[last] ^= 0xff;
                        self.queue.push_back(Received::Datagram(old));
                    }
                }
                self.queue.push_back(Received::Datagram(datagram));
            }
            Ok(None)
        }

        fn recv(&mut self, _timeout: Duration) -> std::io::Result<Received> {
            Ok(self.queue.pop_front().unwrap_or(Received::TimedOut))
        }
    }

    fn request(port: u16) -> Request {
        let mut r = Request::new(vec![
            Target::resolve(&format!("192.0.2.1:{port}"), 500).unwrap()
        ])
        .unwrap();
        r.timing = Timing {
            initial_timeout: Duration::from_millis(5),
            pace: Duration::ZERO,
            ..Timing::default()
        };
        r
    }

    #[test]
    fn a_maker_is_a_maker_on_both_ports() {
        for (port, nat_t) in [(500, false), (4500, true)] {
            let req = request(port);
            let mut t = Scripted::new(nat_t);
            let r = probe_target(&req.targets[0], &mut t, &req).unwrap();
            assert_eq!(r.verdict, Verdict::QcdToken);
            assert_eq!((r.stable, r.varies_with_spis), (Some(true), Some(true)));
            assert_eq!(r.token_len, Some(64));
            assert_eq!(
                r.packets_sent, 5,
                "3 answered questions, 2 unanswered IKE_SA_INIT"
            );
            assert!(t.sent.iter().all(|d| d.starts_with(&[0; 4]) == nat_t));
            assert!(r.implementation.unwrap().contains("Rockhopper"));
        }
    }

    #[test]
    fn a_dropped_first_request_is_sent_again() {
        let req = request(500);
        let mut t = Scripted::new(false);
        t.drop = Some(0);
        let r = probe_target(&req.targets[0], &mut t, &req).unwrap();
        assert_eq!(r.verdict, Verdict::QcdToken);
        assert_eq!(
            t.sent[0], t.sent[1],
            "a retransmission is the same datagram"
        );
        assert_eq!(r.packets_sent, 6);
    }

    #[test]
    fn answers_are_matched_by_message_id_not_order() {
        // A late copy of the first answer, with another token, arrives
        // before each later answer: it must not be taken for them.
        let req = request(500);
        let mut t = Scripted::new(false);
        t.stale_first = true;
        let r = probe_target(&req.targets[0], &mut t, &req).unwrap();
        assert_eq!(r.stable, Some(true));
        assert_eq!(r.varies_with_spis, Some(true));
        assert_eq!(r.stray_datagrams, 2);
    }

    #[test]
    fn icmp_ends_the_target_after_one_packet() {
        let req = request(500);
        let mut t = Scripted::new(false);
        t.icmp = Some(Unreachable::Port);
        let r = probe_target(&req.targets[0], &mut t, &req).unwrap();
        assert_eq!(r.verdict, Verdict::PortUnreachable);
        assert_eq!(r.packets_sent, 1);
        assert!(!r.ok());
    }

    #[test]
    fn default_budget_is_gentle() {
        let t = Timing::default();
        assert!(t.max_packets() <= 10);
        assert_eq!(t.budget(t.first_tries), Duration::from_millis(3500));
        assert!(t.silent_budget() <= Duration::from_millis(5500));
    }

    #[test]
    fn the_keyring_verdict_is_the_outcome() {
        let mut req = request(500);
        let t = Scripted::new(false);
        let other = SecretBytes::from_slice(&[6; 64]);
        req.secrets = Some(KnownSecrets::single(
            other,
            TokenSpec::new(Profile::HmacSha512),
        ));
        let mut t = t;
        let r = probe_target(&req.targets[0], &mut t, &req).unwrap();
        assert_eq!(r.keyring_match, Some(false));
        assert!(!r.ok());
        req.secrets = Some(KnownSecrets::single(
            SecretBytes::from_slice(&[5; 64]),
            TokenSpec::new(Profile::HmacSha512),
        ));
        let mut t = Scripted::new(false);
        let r = probe_target(&req.targets[0], &mut t, &req).unwrap();
        assert_eq!(r.keyring_match, Some(true));
        assert!(r.ok());
    }
}
