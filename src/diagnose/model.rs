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
}

/// One notify payload, outside or (decrypted) inside SK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifySummary {
    pub notify_type: u16,
    pub protocol_id: u8,
    pub spi: Vec<u8>,
    pub data: Vec<u8>,
}

/// What the diagnosis needs of one IKE message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IkeSummary {
    pub spis: SpiPair,
    pub exchange: u8,
    pub initiator: bool,
    pub response: bool,
    pub message_id: u32,
    /// Notifies outside any SK payload (readable without keys).
    pub notifies: Vec<NotifySummary>,
    /// Whether the message has an SK (or SKF) payload.
    pub encrypted: bool,
    /// Notifies found inside SK after decryption; `None` when not decrypted.
    pub inner_notifies: Option<Vec<NotifySummary>>,
    /// Why SK could not be decrypted (wrong key, no key for this SA…), if it was tried.
    pub decrypt_error: Option<String>,
    /// In a decrypted CREATE_CHILD_SA that rekeys the IKE SA: the SPI its
    /// sender chose for the new IKE SA (from the SA payload's IKE proposal).
    pub new_ike_spi: Option<Spi>,
}

impl IkeSummary {
    pub fn notify(&self, t: u16) -> Option<&NotifySummary> {
        self.notifies.iter().find(|n| n.notify_type == t)
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// No outage seen.
    Healthy,
    /// A token was sent after the outage and a new IKE SA followed.
    Recovered,
    /// A valid token was sent but the taker did not start a new IKE SA.
    NotRekeyed,
    /// INVALID_IKE_SPI came without QCD_TOKEN (or the maker never answered).
    NoToken,
    /// The token matches neither the keyring nor the token given in IKE_AUTH.
    TokenMismatch,
    /// INVALID_SPI or silence, but the taker never sent a liveness check.
    NoLivenessCheck,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Healthy => "healthy",
            Verdict::Recovered => "recovered",
            Verdict::NotRekeyed => "not-rekeyed",
            Verdict::NoToken => "no-token",
            Verdict::TokenMismatch => "token-mismatch",
            Verdict::NoLivenessCheck => "no-liveness-check",
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
    /// Further observations (warnings, token diagnoses, timing).
    pub notes: Vec<String>,
    /// Time-ordered.
    pub events: Vec<Event>,
}
