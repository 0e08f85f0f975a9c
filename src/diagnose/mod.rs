//! Diagnosis of a crash detection from what a capture shows.
//!
//! The QCD recovery story, per IKE SA between peer A (token taker) and
//! gateway B (token maker): B reboots; A keeps sending ESP; B answers
//! INVALID_SPI (or nothing); A sends an IKE liveness check on the old SA; B
//! answers INVALID_IKE_SPI with a QCD_TOKEN; A compares it with the token B
//! gave in IKE_AUTH and starts a new IKE SA at once.
//!
//! [`Engine`] takes IKE message summaries and ESP sightings in capture order
//! (see [`input`] for reading them from a capture), an optional
//! [`TokenChecker`], and says per IKE SA which step failed and why, with what
//! real token takers ([`takers`]) would make of the maker's reply. It knows
//! nothing of pcap, byte offsets or secrets.

pub mod consistency;
pub mod engine;
pub mod follow;
pub mod input;
pub mod model;
pub mod outcome;
#[cfg(feature = "testkit")]
pub mod scenario;
pub mod takers;
pub mod text;

pub use crate::decode::digest::{summarize, Keep};
pub use engine::{diagnose, Engine, Options, Reports, DEFAULT_SILENCE};
pub use follow::{follow, follow_reader, FollowError, FollowOptions, Followed};
pub use input::{
    diagnose_capture, diagnose_reader, diagnose_source, reader_options, CaptureDiagnosis,
    KeyringChecker, WarningLog,
};
pub use model::{
    DecryptFailure, DeleteSummary, IkeSummary, Inputs, NotifySummary, OutageReport, Packet,
    PacketKind, PayloadSet, Rare, SaReport, TakerView, TimelineEvent, TokenCheck, TokenChecker,
    Verdict,
};
pub use takers::Taker;
