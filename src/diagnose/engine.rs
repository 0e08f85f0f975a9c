//! The diagnosis itself, in one pass over the capture: [`Engine`] takes IKE
//! messages and ESP sightings in capture order, groups them into IKE SAs
//! through the shared [`SaIndex`], keeps per IKE SA a bounded timeline and
//! running ESP counters, and at the end walks each SA's QCD story.
//!
//! Memory: per IKE SA at most [`HEAD`] + [`PINNED`] + [`TAIL`] message
//! records (the first messages, every message the verdict may rest on, and
//! the last ones; the rest is counted), and per ESP flow one tally. Time: one
//! hash lookup (and a binary search over the IKE SAs between the same two
//! hosts) per packet; every judgement at the end looks only at the SA's own
//! records or at the index.
//!
//! The parts, in `engine/`: `state` (what is kept of one IKE SA), `collect`
//! (the per-packet pass that builds it), `judge` (establishment, the outage
//! and its evidence), `outage` (the recovery steps after an outage, a file
//! per verdict family), `narrate` (timeline lines, notes and the report's
//! words) and `release` (follow mode).

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, SystemTime};

use super::model::*;
use super::takers::{self, Taker, TakerFacts};
use crate::capture::icmp::{IcmpError, IcmpKind};
use crate::decode::digest::Suite;
use crate::ikesa::{HostPair, Map, Placed, SaId, SaIndex};
use crate::spi::{Spi, SpiPair};
use crate::token::profile::{MAX_TOKEN_LEN, MIN_TOKEN_LEN};
use crate::wire::vendor::QcdMaker;
use crate::wire::{ExchangeType, NotifyType, PayloadType, ProtocolId};

mod attempts;
mod collect;
mod identity;
mod judge;
mod narrate;
mod outage;
mod probe;
mod release;
mod state;
#[cfg(test)]
mod tests;

pub use collect::Engine;
pub use judge::Reports;
use judge::*;
use narrate::*;
use state::*;

/// How long one side may stay silent while the other keeps sending before
/// the silence counts as an outage; also how long an IKE request may go
/// unanswered (without a retransmission) before it counts as unanswered.
pub const DEFAULT_SILENCE: Duration = Duration::from_secs(10);

/// Messages kept from the start of each IKE SA.
pub const HEAD: usize = 64;
/// Notable messages (INVALID_SPI, INVALID_IKE_SPI, QCD_TOKEN, IKE_AUTH,
/// CREATE_CHILD_SA, requests after a gap) kept after the head is full.
pub const PINNED: usize = 192;
/// Messages kept from the end of each IKE SA.
pub const TAIL: usize = 32;

/// Diagnosis settings.
pub struct Options<'a> {
    pub checker: Option<&'a dyn TokenChecker>,
    pub silence: Duration,
    /// Judge the taker's side by this implementation's rules; `None`
    /// explains the reply for every known taker.
    pub taker: Option<Taker>,
    /// Whether a key table was given (changes what "not decrypted" means).
    pub keys_given: bool,
    /// The files named on the command line, for the suggested commands.
    pub inputs: Inputs<'a>,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            checker: None,
            silence: DEFAULT_SILENCE,
            taker: None,
            keys_given: false,
            inputs: Inputs::default(),
        }
    }
}

/// Diagnoses every IKE SA seen in `packets` (time-ordered, as in the capture).
pub fn diagnose(packets: &[Packet], opts: &Options) -> Vec<SaReport> {
    diagnose_with(Engine::new(opts), packets)
}

/// [`diagnose`] with a given engine (tests set one up otherwise).
fn diagnose_with(mut engine: Engine, packets: &[Packet]) -> Vec<SaReport> {
    for p in packets {
        match &p.kind {
            PacketKind::Ike(m) => engine.ike(p.frame, p.time, p.src, p.dst, (**m).clone()),
            PacketKind::Esp { spi } => engine.esp(p.frame, p.time, p.src, p.dst, *spi),
            PacketKind::Icmp(e) => engine.icmp(p.frame, p.time, p.src.ip(), *e),
        }
    }
    engine.finish(None).collect()
}
