//! Diagnosis of a crash detection from what a capture shows.
//!
//! The QCD recovery story, per IKE SA between peer A (token taker) and
//! gateway B (token maker): B reboots; A keeps sending ESP; B answers
//! INVALID_SPI (or nothing); A sends an IKE liveness check on the old SA; B
//! answers INVALID_IKE_SPI with a QCD_TOKEN; A compares it with the token B
//! gave in IKE_AUTH and starts a new IKE SA at once.
//!
//! This module takes a time-ordered list of [`Packet`] summaries (built by
//! the caller from a capture: IKE messages already decoded, ESP sightings) and
//! an optional [`TokenChecker`], and says per IKE SA which step failed and
//! why. It knows nothing of pcap, byte offsets or secrets.

pub mod engine;
pub mod input;
pub mod model;
pub mod scenario;

pub use engine::{diagnose, Options};
pub use input::{read_capture, CaptureInput, KeyringChecker};
pub use model::{
    Event, IkeSummary, NotifySummary, Packet, PacketKind, SaReport, TokenCheck, TokenChecker,
    Verdict,
};
