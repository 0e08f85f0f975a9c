//! Input and output types of the diagnosis.

use std::net::SocketAddr;
use std::time::SystemTime;

use serde::Serialize;

use crate::spi::{Spi, SpiPair};

/// IKEv2 numbers the diagnosis needs (IANA IKEv2 registries).
pub mod numbers {
    pub const IKE_SA_INIT: u8 = 34;
    pub const IKE_AUTH: u8 = 35;
    pub const CREATE_CHILD_SA: u8 = 36;
    pub const INFORMATIONAL: u8 = 37;
    pub const INVALID_IKE_SPI: u16 = 4;
    pub const INVALID_SPI: u16 = 11;
    pub const QCD_TOKEN: u16 = 16419;
    pub const PROTO_IKE: u8 = 1;
    /// Notify types below this are errors (RFC 7296 §3.10.1).
    pub const FIRST_STATUS_TYPE: u16 = 16384;
    pub const NAT_DETECTION_SOURCE_IP: u16 = 16388;
    pub const NAT_DETECTION_DESTINATION_IP: u16 = 16389;
    pub const PAYLOAD_NOTIFY: u8 = 41;
}

/// One notify payload, outside or (decrypted) inside SK. The diagnosis
/// keeps the SPI and data of the notify types it reads (QCD_TOKEN,
/// INVALID_SPI, INVALID_IKE_SPI); of the others only the type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifySummary {
    pub notify_type: u16,
    pub protocol_id: u8,
    pub spi: Vec<u8>,
    pub data: Vec<u8>,
}

/// A Delete payload found inside SK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeleteSummary {
    /// 1 IKE, 2 AH, 3 ESP.
    pub protocol_id: u8,
    /// Number of SPIs listed (0 for the IKE SA itself).
    pub spis: u16,
}

/// Why an SK payload could not be read with the key table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecryptFailure {
    /// The key table has keys for this SA but they do not fit (integrity
    /// check failed, bad padding, wrong lengths); `false` when the table
    /// simply has no line for the SA.
    pub wrong_keys: bool,
    /// The explanation, naming the likely wrong key (SK_a or SK_e).
    pub text: String,
}

/// What the diagnosis needs of one IKE message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IkeSummary {
    pub spis: SpiPair,
    pub exchange: u8,
    pub initiator: bool,
    pub response: bool,
    pub message_id: u32,
    /// Type of the first payload (Next Payload of the header).
    pub first_payload: u8,
    /// Notifies outside any SK payload (readable without keys).
    pub notifies: Vec<NotifySummary>,
    /// Vendor ID payloads outside SK (IKE_SA_INIT), raw.
    pub vendor_ids: Vec<Vec<u8>>,
    /// Whether the message has an SK (or SKF) payload.
    pub encrypted: bool,
    /// Length of the SK payload body (IV, ciphertext, ICV), when present.
    pub sk_body_len: Option<usize>,
    /// Notifies found inside SK after decryption; `None` when not decrypted.
    pub inner_notifies: Option<Vec<NotifySummary>>,
    /// Delete payloads found inside SK after decryption.
    pub inner_deletes: Vec<DeleteSummary>,
    /// Types of the other payloads found inside SK after decryption.
    pub inner_other: Vec<u8>,
    /// Why SK could not be decrypted, if it was tried.
    pub decrypt_error: Option<DecryptFailure>,
    /// In a decrypted CREATE_CHILD_SA that rekeys the IKE SA: the SPI its
    /// sender chose for the new IKE SA (from the SA payload's IKE proposal).
    pub new_ike_spi: Option<Spi>,
}

impl IkeSummary {
    pub fn notify(&self, t: u16) -> Option<&NotifySummary> {
        self.notifies.iter().find(|n| n.notify_type == t)
    }

    /// Whether the decrypted SK payload was empty (`Some(false)` when it held
    /// something, `None` when not decrypted).
    pub fn inner_empty(&self) -> Option<bool> {
        self.inner_notifies
            .as_ref()
            .map(|n| n.is_empty() && self.inner_deletes.is_empty() && self.inner_other.is_empty())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PacketKind {
    /// Boxed: captures hold far more ESP sightings than IKE messages.
    Ike(Box<IkeSummary>),
    Esp {
        spi: u32,
    },
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
    /// The capture cannot settle it (wrong keys, capture ends too early).
    Inconclusive,
}

impl Verdict {
    pub const ALL: [Verdict; 10] = [
        Verdict::Healthy,
        Verdict::Recovered,
        Verdict::NotRekeyed,
        Verdict::NoToken,
        Verdict::TokenMismatch,
        Verdict::TokenRejected,
        Verdict::QcdNotInUse,
        Verdict::NoLivenessCheck,
        Verdict::NotEstablished,
        Verdict::Inconclusive,
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
            Verdict::Inconclusive => "inconclusive",
        }
    }

    /// Whether this verdict means detection worked or was not needed (exit 0).
    pub fn is_ok(self) -> bool {
        matches!(self, Verdict::Healthy | Verdict::Recovered)
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
}

/// Checks a token against the maker's keyring.
pub trait TokenChecker {
    fn check(&self, spis: SpiPair, token: &[u8], taker: Option<std::net::IpAddr>) -> TokenCheck;
}

/// One line of an SA's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
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
    /// Further observations (warnings, token diagnoses, timing).
    pub notes: Vec<String>,
    /// Time-ordered; long timelines keep their first and last events and
    /// every event the verdict rests on.
    pub events: Vec<Event>,
    /// Messages of this IKE SA left out of `events` (long timelines only).
    pub events_omitted: u64,
}
