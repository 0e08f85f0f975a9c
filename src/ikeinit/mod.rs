//! A minimal IKEv2 initiator with pre-shared key authentication, for
//! checking a gateway's crash detection end to end (`qcd probe --auth`):
//! set up one IKE SA, read the QCD_TOKEN the gateway gives in IKE_AUTH,
//! delete the SA, then ask with the same SPIs until the gateway, having
//! forgotten the SA, answers `N(INVALID_IKE_SPI)` + `N(QCD_TOKEN)`.
//!
//! Layers: [`dh`] (MODP-2048, Curve25519), [`suite`] (what is proposed and
//! accepted), [`keys`] (prf+, SKEYSEED, SK_*, PSK AUTH), [`identity`]
//! (`TYPE:VALUE` identities), [`initiator`] (the exchanges as a state
//! machine: datagrams in, datagrams and outcomes out, no sockets, no
//! clock), and [`run`] (retransmission with backoff over `qcd probe`'s
//! transport, the paced wait after the delete, and the verdict), and
//! [`check`] (every target of a probe, and the record its output adds).
//!
//! Built on `crate::wire` (every message is a `Repr`) and
//! `crate::ikecrypto` (SK payloads); the request after the delete is the
//! live maker check's (`crate::wire::liveness`). Not for: certificates or
//! EAP, NAT traversal (no NAT detection: it stays on the port it was given,
//! 500, or 4500 with the non-ESP marker),
//! rekeying, or carrying traffic: the Child SA it must propose has traffic
//! selectors that match nothing real (this host and the gateway, IP
//! protocol 253), and it is deleted with the IKE SA at once.

pub mod check;
pub mod dh;
pub mod identity;
pub mod initiator;
pub mod keys;
pub mod psk;
pub mod run;
pub mod suite;

pub use identity::parse_identity;
pub use initiator::{AuthOutcome, ChildOutcome, Config, Initiator, Progress, QcdReply};
pub use keys::IkeKeys;
pub use run::{e2e, E2eOptions, E2eReport, Verdict};
pub use suite::{Prf, Suite};

use crate::ikecrypto::{CryptoError, SealError};
use crate::wire::{DhGroup, ExchangeType, NotifyType, WireError};

/// Why an IKE SA could not be set up, checked or deleted.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("the gateway asked for Diffie-Hellman group {group}, which qcd cannot compute (it does MODP_2048 and CURVE_25519): allow one of them in the gateway's IKE proposal")]
    UnsupportedGroup { group: DhGroup },
    #[error("bad {group} public value: {reason}")]
    BadPublicValue { group: DhGroup, reason: String },
    #[error("cannot draw {what} from the operating system's random source: {cause}")]
    Random { what: &'static str, cause: String },
    #[error(
        "the gateway's IKE_SA_INIT answer is not an acceptable choice of qcd's proposal: {reason}"
    )]
    BadProposal { reason: String },
    #[error("the gateway accepted none of qcd's IKE proposals (N(NO_PROPOSAL_CHOSEN) in {exchange}): it must allow AES-GCM-16 or AES-CBC (128/256) with SHA-2 (or SHA-1) and MODP_2048 or CURVE_25519")]
    NoProposalChosen { exchange: ExchangeType },
    #[error("the gateway rejected the {exchange} request with N({notify}): see its log for why")]
    Refused {
        exchange: ExchangeType,
        notify: NotifyType,
    },
    #[error("the gateway refused qcd's authentication (N(AUTHENTICATION_FAILED) in IKE_AUTH): the PSK or the identity given with --id is not the one it has for this host (check its log, and --peer-id)")]
    AuthenticationFailed,
    #[error("the gateway's AUTH payload does not verify with this PSK: the PSK is wrong for the gateway's identity ({peer_id}), or something between qcd and the gateway tampers with the exchange")]
    PeerAuthInvalid { peer_id: String },
    #[error("the gateway authenticated as {got}, not as the --peer-id {expected}")]
    WrongPeerId { expected: String, got: String },
    #[error("the gateway authenticates with {method}, not a pre-shared key: qcd probe --auth supports PSK only")]
    UnsupportedAuthMethod { method: String },
    #[error("the gateway's {exchange} response has no {payload} payload (RFC 7296 requires one)")]
    MissingPayload {
        exchange: ExchangeType,
        payload: &'static str,
    },
    #[error("the gateway kept asking for {what} ({tries} times): giving up")]
    Loop { what: &'static str, tries: u32 },
    #[error("no answer to the {exchange} request from {peer} after {tries} transmissions over {waited_s:.0} s: is an IKE daemon listening there, and does a firewall let UDP through?")]
    NoResponse {
        exchange: ExchangeType,
        peer: String,
        tries: u32,
        waited_s: f64,
    },
    #[error("the gateway's {exchange} response is malformed: {source}")]
    Wire {
        exchange: ExchangeType,
        #[source]
        source: WireError,
    },
    #[error("the gateway's {exchange} response does not decrypt with the derived keys: {source}")]
    Crypto {
        exchange: ExchangeType,
        #[source]
        source: CryptoError,
    },
    #[error("cannot build the {exchange} request: {source}")]
    Build {
        exchange: ExchangeType,
        #[source]
        source: SealError,
    },
    #[error("{operation} {peer}: {cause}")]
    Io {
        operation: &'static str,
        peer: String,
        cause: String,
    },
    #[error("bad identity {input:?}: {reason} (write TYPE:VALUE with TYPE fqdn, email, ipv4, ipv6 or keyid, e.g. fqdn:vpn.example.com)")]
    BadIdentity { input: String, reason: String },
    #[error("cannot use the PSK from {origin}: {reason}")]
    Psk { origin: String, reason: String },
    #[error("{0}")]
    State(&'static str),
}
