//! Input and output types of the diagnosis.

use std::net::SocketAddr;
use std::time::SystemTime;

use serde::Serialize;

use crate::spi::SpiPair;

pub use crate::decode::digest::{
    DecryptFailure, DeleteSummary, IkeSummary, NotifySummary, PayloadSet, Rare,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PacketKind {
    /// Boxed: captures hold far more ESP sightings than IKE messages.
    Ike(Box<IkeSummary>),
    Esp {
        spi: u32,
    },
    /// An ICMP/ICMPv6 error quoting an IKE or ESP packet (`src` sent it).
    Icmp(crate::capture::icmp::IcmpError),
}

/// One packet of interest, in capture order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// 1-based frame number in the capture.
    pub frame: u64,
    pub time: SystemTime,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub kind: PacketKind,
}

/// The verdict on one IKE SA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// No outage seen.
    Healthy,
    /// A token was sent after the outage, the taker accepted it (shown by a
    /// byte comparison or by its behaviour) and started a new IKE SA.
    Recovered,
    /// A valid token was sent but the taker did not start a new IKE SA.
    NotRekeyed,
    /// INVALID_IKE_SPI came without QCD_TOKEN, or the maker never answered.
    NoToken,
    /// The token matches neither the keyring nor the token given in IKE_AUTH.
    TokenMismatch,
    /// The taker rejected the token (it kept sending liveness checks and
    /// recovered only by its own timeout), and the token could not be checked.
    TokenRejected,
    /// The maker gave no QCD_TOKEN when the IKE SA was set up (seen with keys).
    QcdNotInUse,
    /// INVALID_SPI or silence, but the taker never sent a liveness check.
    NoLivenessCheck,
    /// The capture never shows the IKE SA established.
    NotEstablished,
    /// The capture ends while the IKE SA is being set up (within the
    /// silence window of its last set-up message): not a failure.
    InProgress,
    /// The capture cannot settle it (wrong keys, capture ends too early).
    Inconclusive,
    /// No crash: requests for an IKE SA nobody set up (`qcd probe`, a
    /// scanner) and the maker's answers, which tell whether QCD is on there.
    Probe,
}

impl Verdict {
    pub const ALL: [Verdict; 12] = [
        Verdict::Healthy,
        Verdict::Recovered,
        Verdict::NotRekeyed,
        Verdict::NoToken,
        Verdict::TokenMismatch,
        Verdict::TokenRejected,
        Verdict::QcdNotInUse,
        Verdict::NoLivenessCheck,
        Verdict::NotEstablished,
        Verdict::InProgress,
        Verdict::Inconclusive,
        Verdict::Probe,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Verdict::Healthy => "healthy",
            Verdict::Recovered => "recovered",
            Verdict::NotRekeyed => "not-rekeyed",
            Verdict::NoToken => "no-token",
            Verdict::TokenMismatch => "token-mismatch",
            Verdict::TokenRejected => "token-rejected",
            Verdict::QcdNotInUse => "qcd-not-in-use",
            Verdict::NoLivenessCheck => "no-liveness-check",
            Verdict::NotEstablished => "not-established",
            Verdict::InProgress => "in-progress",
            Verdict::Inconclusive => "inconclusive",
            Verdict::Probe => "probe",
        }
    }

    /// Whether this verdict means detection worked, was not needed, an IKE
    /// SA is still being set up when the capture ends, or the traffic was a
    /// probe (exit 0).
    pub fn is_ok(self) -> bool {
        matches!(
            self,
            Verdict::Healthy | Verdict::Recovered | Verdict::InProgress | Verdict::Probe
        )
    }
}

impl SaReport {
    /// Whether this IKE SA needs no action: its verdict is ok
    /// ([`Verdict::is_ok`]), or it is an attempt within another IKE SA's
    /// recovery ([`SaReport::recovery_of`]). The exit status follows it.
    pub fn is_ok(&self) -> bool {
        self.verdict.is_ok() || self.recovery_of.is_some()
    }
}

/// The keyring's opinion of a token (computed by the caller, who holds the keyring).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenCheck {
    /// The token matches an active or previous generation.
    pub matched: bool,
    /// The generation that matched.
    pub generation: Option<u32>,
    /// Explanations of a mismatch ("matches generation 3 with SPIs swapped…").
    pub explanations: Vec<String>,
    /// When the matched generation's secret came into being, where the
    /// keyring knows it (a generation qcd generated; not one imported or
    /// derived later, whose date is not the secret's).
    #[serde(skip)]
    pub created: Option<SystemTime>,
}

/// Checks a token against the maker's keyring.
pub trait TokenChecker {
    fn check(&self, spis: SpiPair, token: &[u8], taker: Option<std::net::IpAddr>) -> TokenCheck;
}

/// The files the user named, as suggested commands should name them (`None`
/// when not given: the command then holds a placeholder in capitals).
#[derive(Debug, Clone, Copy, Default)]
pub struct Inputs<'a> {
    pub capture: Option<&'a str>,
    pub keys: Option<&'a str>,
    pub keyring: Option<&'a str>,
}

/// One line of an SA's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimelineEvent {
    pub frame: u64,
    /// RFC 3339 UTC.
    pub time: String,
    /// What happened, in plain words.
    pub what: String,
    #[serde(skip)]
    pub at: SystemTime,
}

/// What the outage was and who is who.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutageReport {
    /// Frame of the first evidence.
    pub frame: u64,
    /// RFC 3339 UTC of the outage's start.
    pub time: String,
    /// The evidence, in plain words.
    pub evidence: String,
    /// The token maker (B): the side that lost its state. Address only.
    pub maker: String,
    /// The token taker (A).
    pub taker: String,
    #[serde(skip)]
    pub at: SystemTime,
}

/// How one real token taker would treat the maker's reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TakerView {
    /// `rockhopper`, `racoon2` or `rfc`.
    pub taker: &'static str,
    /// `true` accept, `false` reject, `null` cannot tell (token not known).
    pub accepts: Option<bool>,
    /// Why, naming the rule.
    pub why: String,
}

/// The diagnosis of one IKE SA.
#[derive(Debug, Clone, Serialize)]
pub struct SaReport {
    pub spi_i: String,
    pub spi_r: String,
    /// The initiator's and responder's addresses, "addr:port".
    pub initiator: Option<String>,
    pub responder: Option<String>,
    pub verdict: Verdict,
    /// The verdict in plain words, naming the failed step.
    pub reason: String,
    /// What to look at next (a daemon setting or a command); empty when
    /// nothing needs doing.
    pub action: String,
    /// The outage, when one was seen.
    pub outage: Option<OutageReport>,
    /// Whether the maker answered the taker's requests after the outage
    /// (`null` when there was no outage or no request).
    pub maker_answered: Option<bool>,
    /// For each real token taker, whether it would accept the maker's reply.
    pub takers: Vec<TakerView>,
    /// The IKE SA that replaced this one ("SPI-I SPI-R"), and whether the
    /// link is certain (decrypted rekey) or only probable (no keys).
    pub replaced_by: Option<String>,
    pub replaced_certain: Option<bool>,
    #[serde(skip)]
    pub replaced_at: Option<SystemTime>,
    /// The IKE SA the taker started after the outage ("SPI-I SPI-R").
    pub new_sa: Option<String>,
    /// For an attempt that belongs to another IKE SA's recovery (an
    /// unanswered IKE_SA_INIT from another address of the reconnecting
    /// host): that IKE SA ("SPI-I SPI-R"). Such an attempt is no failure of
    /// its own ([`SaReport::is_ok`]).
    pub recovery_of: Option<String>,
    /// Further observations (warnings, token diagnoses, timing).
    pub notes: Vec<String>,
    /// Time-ordered; long timelines keep their first and last events and
    /// every event the verdict rests on.
    pub events: Vec<TimelineEvent>,
    /// Messages of this IKE SA left out of `events` (long timelines only).
    pub events_omitted: u64,
    /// The capture's end as the judgement took it, when the reason or a note
    /// speaks of where the capture ends (checked by
    /// [`super::consistency::check`] against every report's frames).
    #[serde(skip)]
    pub capture_end: Option<SystemTime>,
}
