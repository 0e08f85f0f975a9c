//! What a read could not use, and what it counted: the [`Warning`]s a
//! [`CaptureReader`](super::CaptureReader) hands out among its events (file
//! damage, packets that do not parse, IP datagrams never reassembled) and
//! its [`Counters`].

use super::{LinkType, Timestamp};
use std::fmt;
use std::net::IpAddr;

/// Something in the capture that could not be used. `frame` is the 1-based
/// packet record number (as Wireshark numbers frames) and `offset` the byte
/// offset of the record in the file, when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub frame: Option<u64>,
    pub offset: Option<u64>,
    pub kind: WarningKind,
}

impl Warning {
    /// Whether this is damage to the file itself (as opposed to a packet in
    /// a sound file that could not be used).
    pub fn is_file_damage(&self) -> bool {
        matches!(
            self.kind,
            WarningKind::TruncatedRecord
                | WarningKind::BadRecord { .. }
                | WarningKind::SkippedBytes { .. }
                | WarningKind::UnknownInterface { .. }
                | WarningKind::ReadError { .. }
        )
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.frame, self.offset) {
            (Some(fr), Some(o)) => write!(f, "frame {fr} (byte offset {o}): ")?,
            (Some(fr), None) => write!(f, "frame {fr}: ")?,
            (None, Some(o)) => write!(f, "byte offset {o}: ")?,
            (None, None) => {}
        }
        write!(f, "{}", self.kind)
    }
}

/// What went wrong; the `Display` says what and what it means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WarningKind {
    /// The file ends in the middle of a record.
    TruncatedRecord,
    /// A record or block that does not parse; skipped by its length when
    /// that is believable, else by a scan for the next plausible record
    /// (then a [`WarningKind::SkippedBytes`] says how far).
    BadRecord { reason: String },
    /// Damaged bytes skipped to find the next record.
    SkippedBytes { len: u64 },
    /// An enhanced packet block names an interface never described.
    UnknownInterface { if_id: u32 },
    /// A link type qcd does not decode; its packets are skipped.
    UnsupportedLinkType { link: LinkType },
    /// The file could not be read further.
    ReadError { reason: String },
    /// A packet whose headers do not parse (also an interface description
    /// with an invalid `if_tsresol`, whose packets are read in microseconds).
    MalformedPacket { reason: String },
    /// A fragment cut short by the capture's snapshot length.
    TruncatedFragment,
    /// Overlapping fragments: the datagram was discarded (RFC 5722 policy).
    FragmentOverlap {
        src: IpAddr,
        dst: IpAddr,
        id: u32,
        first_frame: u64,
        start: usize,
        end: usize,
    },
    /// A fragment etherparse rejected (inconsistent end, bad length).
    FragmentInvalid {
        src: IpAddr,
        dst: IpAddr,
        id: u32,
        reason: String,
    },
    /// A datagram never completed; `frame` is its first fragment.
    FragmentsIncomplete {
        src: IpAddr,
        dst: IpAddr,
        id: u32,
        last_frame: u64,
        received: usize,
        why: &'static str,
    },
}

impl fmt::Display for WarningKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WarningKind::TruncatedRecord => {
                write!(f, "the file ends in the middle of this record (capture cut short?)")
            }
            WarningKind::BadRecord { reason } => {
                write!(f, "damaged record skipped: {reason}")
            }
            WarningKind::SkippedBytes { len } => {
                write!(f, "skipped {len} damaged bytes to find the next record")
            }
            WarningKind::UnknownInterface { if_id } => {
                write!(f, "packet on interface {if_id}, which no interface block describes; skipped")
            }
            WarningKind::UnsupportedLinkType { link } => write!(
                f,
                "link type {link} is not supported (Ethernet, raw IP, Linux SLL/SLL2, NULL/LOOP are); \
                 its packets are skipped"
            ),
            WarningKind::ReadError { reason } => write!(f, "read error: {reason}"),
            WarningKind::MalformedPacket { reason } => write!(f, "packet skipped: {reason}"),
            WarningKind::TruncatedFragment => write!(
                f,
                "IP fragment cut short by the snapshot length; cannot reassemble (capture with -s 0)"
            ),
            WarningKind::FragmentOverlap { src, dst, id, first_frame, start, end } => write!(
                f,
                "IP fragment bytes {start}..{end} of datagram {src} -> {dst} id {id:#x} (first fragment in \
                 frame {first_frame}) overlap earlier fragments with different content; the datagram is \
                 discarded, as a receiver following RFC 5722 would"
            ),
            WarningKind::FragmentInvalid { src, dst, id, reason } => write!(
                f,
                "IP fragment of datagram {src} -> {dst} id {id:#x} is inconsistent ({reason}); \
                 the datagram is discarded"
            ),
            WarningKind::FragmentsIncomplete { src, dst, id, last_frame, received, why } => write!(
                f,
                "IP datagram {src} -> {dst} id {id:#x} never completed ({received} bytes received in \
                 fragments up to frame {last_frame}): {why}"
            ),
        }
    }
}

/// Tallies of a read, for summaries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Packet records read whole (a damaged record, or one on an interface
    /// no block describes, keeps its frame number but is not counted here).
    pub frames: u64,
    pub ike: u64,
    pub esp: u64,
    pub keepalives: u64,
    pub fragments: u64,
    pub reassembled: u64,
    pub warnings: u64,
    /// pcapng blocks of types qcd does not read, skipped by their length.
    pub skipped_blocks: u64,
    /// The latest packet time of any protocol so far (a capture's end is its
    /// last frame of any protocol, at the latest time when timestamps step
    /// backwards, as in joined captures).
    pub latest: Option<Timestamp>,
    /// The first frame whose time is earlier than a frame before it.
    pub stepped_back: Option<u64>,
}
