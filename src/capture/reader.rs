//! The streaming reader: blocks from pcap-parser, frames through the link
//! layer, IP (with reassembly) and UDP, out as [`Event`]s.

use super::defrag::{Defragmenter, FragKey, Fragment};
use super::link::{self, LinkIssue, LinkType};
use super::{DefragLimits, EspKey, EspStats, FileKind, Precision, Timestamp, IKE_PORT, NAT_T_PORT};
use etherparse::{Ipv6ExtensionSlice, LaxNetSlice};
use pcap_parser::pcapng::Block;
use pcap_parser::traits::{PcapNGPacketBlock, PcapReaderIterator};
use pcap_parser::{create_reader, PcapBlockOwned, PcapError};
use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt;
use std::fs::File;
use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Largest record or block qcd accepts: 8 MiB (the read buffer grows to at
/// most twice that, keeping peak memory well under 64 MiB).
const MAX_RECORD: usize = 8 << 20;
/// Largest record a resynchronisation scan accepts as the next one.
const RESYNC_KEEP: usize = 256 * 1024 + 64;
/// Classic pcap records larger than this and than the snaplen are damage.
const MAX_PLAUSIBLE_CAPLEN: u32 = 256 * 1024;

/// How to read a capture.
#[derive(Debug, Clone)]
pub struct Options {
    /// UDP ports carrying IKE besides 500 and 4500 (`--port N`). Treated like
    /// 500, except that a leading 4-byte zero non-ESP marker is stripped.
    pub extra_ports: Vec<u16>,
    /// Yield an [`Event::Esp`] per ESP packet.
    pub esp_events: bool,
    /// Yield an [`Event::Icmp`] per ICMP/ICMPv6 error quoting IKE or ESP.
    pub icmp_events: bool,
    /// Aggregate ESP per SPI and direction in [`CaptureReader::esp_stats`]
    /// (one entry per flow: turn it off when nobody reads it).
    pub esp_stats: bool,
    /// Bounds on IP reassembly.
    pub defrag: DefragLimits,
    /// Read buffer size in bytes (1 MiB at least is best).
    pub buffer_size: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            extra_ports: Vec::new(),
            esp_events: false,
            icmp_events: false,
            esp_stats: true,
            defrag: DefragLimits::default(),
            buffer_size: 4 << 20,
        }
    }
}

/// Why a capture could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("cannot open capture {path}: {source}")]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{name} is empty")]
    Empty { name: String },
    #[error(
        "{name} is not a pcap or pcapng capture (no pcap magic at byte 0); \
         if it is a capture in another format, convert it with `editcap -F pcapng IN OUT`"
    )]
    NotACapture { name: String },
    #[error("{name}: the capture header at byte 0 is cut short or unreadable ({reason})")]
    BadHeader { name: String, reason: String },
}

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
    /// A record or block that does not parse; skipped by its length.
    BadRecord { reason: String },
    /// Damaged bytes skipped to find the next record.
    SkippedBytes { len: u64 },
    /// An enhanced packet block names an interface never described.
    UnknownInterface { if_id: u32 },
    /// A link type qcd does not decode; its packets are skipped.
    UnsupportedLinkType { link: LinkType },
    /// The file could not be read further.
    ReadError { reason: String },
    /// A packet whose headers do not parse.
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

/// A UDP payload on an IKE port: the IKE message, non-ESP marker
/// stripped. `payload` borrows the read buffer unless the datagram was
/// reassembled from fragments (then `frame` is the last fragment's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IkeDatagram<'a> {
    pub frame: u64,
    /// `None` for pcapng simple packet blocks, which carry no time.
    pub time: Option<Timestamp>,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub payload: Cow<'a, [u8]>,
    /// The capture holds less than the UDP length says (snapshot length).
    pub truncated: bool,
    pub reassembled: bool,
}

/// One thing found in the capture, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event<'a> {
    Ike(IkeDatagram<'a>),
    /// An ESP packet (only with [`Options::esp_events`]). Ports are 0 for
    /// ESP in IP (protocol 50).
    Esp {
        frame: u64,
        time: Option<Timestamp>,
        src: SocketAddr,
        dst: SocketAddr,
        spi: u32,
        seq: u32,
    },
    /// An ICMP or ICMPv6 error quoting an IKE or ESP packet (only with
    /// [`Options::icmp_events`]); `src` sent it.
    Icmp {
        frame: u64,
        time: Option<Timestamp>,
        src: IpAddr,
        dst: IpAddr,
        error: super::icmp::IcmpError,
    },
    Warning(Warning),
}

/// Tallies of a read, for summaries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Packet records read.
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

#[derive(Debug, Clone, Copy)]
struct Iface {
    link: LinkType,
    resolution: u64,
    offset: i64,
    precision: Precision,
    warned: bool,
}

impl Iface {
    /// A pcapng timestamp in this interface's resolution and offset. A
    /// time beyond what `i64` seconds hold (a damaged or hostile
    /// `if_tsoffset`, a 64-bit count in seconds) saturates there instead of
    /// wrapping to another date.
    fn time(&self, ts: u64) -> Timestamp {
        let secs = i64::try_from(ts / self.resolution)
            .unwrap_or(i64::MAX)
            .saturating_add(self.offset);
        let frac = u128::from(ts % self.resolution) * 1_000_000_000 / u128::from(self.resolution);
        Timestamp::new(secs, frac as u64, self.precision)
    }
}

#[derive(Debug, Clone, Copy)]
enum Format {
    Unknown,
    Legacy {
        big_endian: bool,
        precision: Precision,
        max_caplen: u32,
    },
    Ng {
        big_endian: bool,
    },
}

/// What one step of the reader found, without borrowing the buffer.
enum Step {
    Continue,
    /// An IKE message or ESP sighting (never a warning: those are queued).
    Found(Ready),
    Refill,
    Eof,
    TooSmall,
    Bad(String),
    Truncated,
}

/// An event ready to be handed out, before borrowing the buffer.
enum Ready {
    Warning(Warning),
    Icmp {
        frame: u64,
        time: Option<Timestamp>,
        src: IpAddr,
        dst: IpAddr,
        error: super::icmp::IcmpError,
    },
    Ike {
        frame: u64,
        time: Option<Timestamp>,
        src: SocketAddr,
        dst: SocketAddr,
        payload: Payload,
        truncated: bool,
    },
    Esp {
        frame: u64,
        time: Option<Timestamp>,
        src: SocketAddr,
        dst: SocketAddr,
        spi: u32,
        seq: u32,
    },
}

enum Payload {
    /// Range in the reader's current data.
    InBuffer(Range<usize>),
    Owned(Vec<u8>),
}

/// What the transport layer held.
enum Hit {
    None,
    Ike {
        sport: u16,
        dport: u16,
        range: Range<usize>,
        truncated: bool,
    },
    Esp {
        sport: u16,
        dport: u16,
        spi: u32,
        seq: u32,
    },
}

/// Everything but the pcap-parser reader, so both can be borrowed at once.
struct State {
    opts: Options,
    format: Format,
    legacy_link: Option<Iface>,
    ifaces: Vec<Iface>,
    frame: u64,
    last_secs: Option<i64>,
    defrag: Defragmenter,
    esp: EspStats,
    warnings: VecDeque<Warning>,
    damaged: bool,
    counters: Counters,
    warned_truncated_fragment: bool,
}

/// Reads a capture as a stream of [`Event`]s, in constant memory.
///
/// Formats: classic pcap (both byte orders, micro- and nanosecond, via
/// `pcap-parser`'s `LegacyPcapReader`) and pcapng (several sections and
/// interfaces, each with its link type, `if_tsresol` and `if_tsoffset`).
/// Link types: see [`LinkType`]. IP: IPv4 (with options) and IPv6 (with
/// extension headers), fragments reassembled within [`DefragLimits`].
///
/// ```no_run
/// use qcd::capture::{CaptureReader, Event, Options};
/// let mut r = CaptureReader::open("gw.pcapng".as_ref(), Options::default())?;
/// while let Some(ev) = r.next_event() {
///     if let Event::Ike(m) = ev {
///         println!("{} {} -> {} {} bytes", m.frame, m.src, m.dst, m.payload.len());
///     }
/// }
/// let damaged = r.damaged();
/// # Ok::<(), qcd::capture::CaptureError>(())
/// ```
pub struct CaptureReader<'r> {
    reader: Box<dyn PcapReaderIterator + 'r>,
    st: State,
    kind: FileKind,
    to_consume: usize,
    to_skip: u64,
    resync_from: Option<u64>,
    done: bool,
    finished: bool,
    stalls: u32,
}

impl CaptureReader<'static> {
    /// Opens a capture file.
    pub fn open(path: &Path, opts: Options) -> Result<CaptureReader<'static>, CaptureError> {
        let f = File::open(path).map_err(|source| CaptureError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        CaptureReader::new(f, &path.display().to_string(), opts)
    }
}

impl<'r> CaptureReader<'r> {
    /// Reads a capture from any reader; `name` is used in errors.
    pub fn new<R: Read + 'r>(
        mut input: R,
        name: &str,
        opts: Options,
    ) -> Result<CaptureReader<'r>, CaptureError> {
        let mut head = [0u8; 4];
        let mut got = 0;
        while got < 4 {
            match input.read(&mut head[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(CaptureError::BadHeader {
                        name: name.to_string(),
                        reason: e.to_string(),
                    })
                }
            }
        }
        if got == 0 {
            return Err(CaptureError::Empty {
                name: name.to_string(),
            });
        }
        let kind = super::sniff(&head[..got]);
        if kind == FileKind::Other {
            return Err(CaptureError::NotACapture {
                name: name.to_string(),
            });
        }
        let chained = FillReader {
            head,
            head_len: got,
            head_pos: 0,
            inner: input,
        };
        let capacity = opts.buffer_size.max(64 * 1024);
        let reader = create_reader(capacity, chained).map_err(|e| CaptureError::BadHeader {
            name: name.to_string(),
            reason: describe(&e),
        })?;
        Ok(CaptureReader::with_reader(reader, kind, opts))
    }

    fn with_reader(
        reader: Box<dyn PcapReaderIterator + 'r>,
        kind: FileKind,
        opts: Options,
    ) -> CaptureReader<'r> {
        let defrag = Defragmenter::new(opts.defrag);
        CaptureReader {
            reader,
            st: State {
                opts,
                format: Format::Unknown,
                legacy_link: None,
                ifaces: Vec::new(),
                frame: 0,
                last_secs: None,
                defrag,
                esp: EspStats::default(),
                warnings: VecDeque::new(),
                damaged: false,
                counters: Counters::default(),
                warned_truncated_fragment: false,
            },
            kind,
            to_consume: 0,
            to_skip: 0,
            resync_from: None,
            done: false,
            finished: false,
            stalls: 0,
        }
    }

    /// Pcap or pcapng.
    pub fn kind(&self) -> FileKind {
        self.kind
    }

    /// Whether the file itself was damaged (a record cut short, a bad block,
    /// bytes skipped): the caller should exit 2 once done.
    pub fn damaged(&self) -> bool {
        self.st.damaged
    }

    /// ESP packets per SPI and direction, so far.
    pub fn esp_stats(&self) -> &EspStats {
        &self.st.esp
    }

    /// Takes the ESP flow table out of the reader (leaving it empty), so a
    /// caller can consume it without a copy.
    pub fn take_esp_stats(&mut self) -> EspStats {
        std::mem::take(&mut self.st.esp)
    }

    pub fn counters(&self) -> Counters {
        self.st.counters
    }

    /// The next event, or `None` at the end of the capture. Never panics on
    /// any input; problems come out as [`Event::Warning`].
    pub fn next_event(&mut self) -> Option<Event<'_>> {
        Some(match self.advance()? {
            Ready::Warning(w) => Event::Warning(w),
            Ready::Ike {
                frame,
                time,
                src,
                dst,
                payload,
                truncated,
            } => {
                let (payload, reassembled) = match payload {
                    Payload::InBuffer(r) => (
                        Cow::Borrowed(self.reader.data().get(r).unwrap_or_default()),
                        false,
                    ),
                    Payload::Owned(v) => (Cow::Owned(v), true),
                };
                Event::Ike(IkeDatagram {
                    frame,
                    time,
                    src,
                    dst,
                    payload,
                    truncated,
                    reassembled,
                })
            }
            Ready::Icmp {
                frame,
                time,
                src,
                dst,
                error,
            } => Event::Icmp {
                frame,
                time,
                src,
                dst,
                error,
            },
            Ready::Esp {
                frame,
                time,
                src,
                dst,
                spi,
                seq,
            } => Event::Esp {
                frame,
                time,
                src,
                dst,
                spi,
                seq,
            },
        })
    }

    /// Runs the reader until something is ready to hand out.
    fn advance(&mut self) -> Option<Ready> {
        loop {
            if let Some(w) = self.st.warnings.pop_front() {
                self.st.counters.warnings += 1;
                if w.is_file_damage() {
                    self.st.damaged = true;
                }
                return Some(Ready::Warning(w));
            }
            if self.done {
                if !self.finished {
                    self.finished = true;
                    self.st.defrag.finish(&mut self.st.warnings);
                    continue;
                }
                return None;
            }
            if self.to_consume > 0 {
                self.reader.consume_noshift(self.to_consume);
                self.to_consume = 0;
            }
            if self.to_skip > 0 && !self.skip() {
                continue;
            }
            let offset = self.reader.consumed() as u64;
            let base = self.reader.data().as_ptr() as usize;
            if let Some(step) = self.skip_unread_block() {
                match step {
                    Step::Continue => {}
                    Step::Bad(reason) => self.bad_record(offset, reason),
                    _ => unreachable!("skip_unread_block gives Continue or Bad"),
                }
                continue;
            }
            let step = match self.reader.next() {
                Ok((len, block)) => {
                    self.to_consume = len;
                    self.st.block(block, offset, base)
                }
                Err(PcapError::Eof) => Step::Eof,
                Err(PcapError::Incomplete(_)) => Step::Refill,
                Err(PcapError::UnexpectedEof) => Step::Truncated,
                Err(PcapError::BufferTooSmall) => Step::TooSmall,
                Err(e) => Step::Bad(describe(&e)),
            };
            match step {
                Step::Continue => {}
                Step::Found(ready) => {
                    if let Ready::Ike { payload, .. } = &ready {
                        if let Payload::InBuffer(r) = payload {
                            if r.end > self.reader.data().len() {
                                continue;
                            }
                        }
                        self.st.counters.ike += 1;
                    }
                    return Some(ready);
                }
                Step::Refill => match self.st.implausible_header(self.reader.data()) {
                    Some(reason) => self.bad_record(offset, reason),
                    None => self.refill(),
                },
                Step::Eof => self.done = true,
                Step::Truncated => {
                    self.st.warn(
                        Some(self.st.frame + 1),
                        offset,
                        WarningKind::TruncatedRecord,
                    );
                    self.done = true;
                }
                Step::TooSmall => self.too_small(offset),
                Step::Bad(reason) => self.bad_record(offset, reason),
            }
        }
    }

    /// A pcapng block of a type qcd does not read (anything but section
    /// header, interface description, enhanced, simple and obsolete packet
    /// blocks) is skipped by its length, without parsing its body, as
    /// Wireshark does: an unknown type with an empty body, a known-to-others
    /// type (name resolution, statistics, custom, decryption secrets…) with a
    /// body its parser would refuse, or a block larger than the read buffer
    /// (skipped as a stream). The trailing copy of the length is checked when
    /// the block is in view. `None` when the block is one qcd reads, or when
    /// its header is not yet in the buffer.
    fn skip_unread_block(&mut self) -> Option<Step> {
        let Format::Ng { big_endian } = self.st.format else {
            return None;
        };
        let data = self.reader.data();
        let kind = read_u32(data, 0, big_endian)?;
        if matches!(kind, NG_SHB | NG_IDB | NG_PB | NG_SPB | NG_EPB) {
            return None;
        }
        let len = read_u32(data, 4, big_endian)?;
        if len < 12 || !len.is_multiple_of(4) {
            return Some(Step::Bad(format!(
                "block of type {kind:#x} has an invalid length {len} (at least 12, a multiple of 4)"
            )));
        }
        let len = len as usize;
        if len <= data.len() {
            let trailer = read_u32(data, len - 4, big_endian)?;
            if trailer as usize != len {
                return Some(Step::Bad(format!(
                    "block of type {kind:#x}: its trailing length {trailer} differs from its length {len}"
                )));
            }
            self.to_consume = len;
        } else {
            self.to_skip = len as u64;
        }
        self.st.counters.skipped_blocks += 1;
        Some(Step::Continue)
    }

    fn refill(&mut self) {
        let before = self.reader.data().len();
        if let Err(reason) = self.reader.refill().map_err(|e| describe(&e)) {
            let offset = self.reader.consumed() as u64;
            self.st
                .warn(None, offset, WarningKind::ReadError { reason });
            self.done = true;
            return;
        }
        if self.reader.data().len() == before && !self.reader.reader_exhausted() {
            self.stalls += 1;
            if self.stalls > 3 {
                let offset = self.reader.consumed() as u64;
                self.st.warn(
                    None,
                    offset,
                    WarningKind::ReadError {
                        reason: "no progress reading the file".into(),
                    },
                );
                self.done = true;
            }
        } else {
            self.stalls = 0;
        }
    }

    /// Skips `to_skip` bytes, refilling as needed; false while not done.
    fn skip(&mut self) -> bool {
        let avail = self.reader.data().len() as u64;
        let n = self.to_skip.min(avail);
        self.reader.consume_noshift(n as usize);
        self.to_skip -= n;
        if self.to_skip == 0 {
            return true;
        }
        if self.reader.reader_exhausted() {
            let offset = self.reader.consumed() as u64;
            self.st.warn(None, offset, WarningKind::TruncatedRecord);
            self.to_skip = 0;
            self.done = true;
        } else {
            self.refill();
        }
        false
    }

    /// The record does not fit the buffer: grow it, or treat it as damage.
    fn too_small(&mut self, offset: u64) {
        let wanted = self.st.record_len(self.reader.data());
        let cap = self.reader.data().len().max(1);
        match wanted {
            Some(len) if len <= MAX_RECORD && len > cap => {
                let mut size = cap;
                while size < len + 64 {
                    size *= 2;
                }
                if !self.reader.grow(size.min(MAX_RECORD * 2)) {
                    self.bad_record(offset, "record larger than the read buffer".into());
                }
            }
            _ => self.bad_record(offset, "record length out of range".into()),
        }
    }

    /// A record that does not parse: skip it by its length if that is
    /// believable, else scan for the next plausible record.
    fn bad_record(&mut self, offset: u64, reason: String) {
        self.to_consume = 0;
        let data = self.reader.data();
        if let Format::Ng { .. } = self.st.format {
            if let Some(len) = self.st.record_len(data).filter(|l| *l <= MAX_RECORD) {
                if is_packet_block(data, self.st.big_endian()) {
                    self.st.frame += 1;
                }
                let frame = self.st.frame;
                self.st
                    .warn(Some(frame), offset, WarningKind::BadRecord { reason });
                self.to_skip = len as u64;
                return;
            }
        }
        // Count the damaged record as one frame (a pcapng block only if its
        // type says packet), so later frame numbers stay those of the file.
        let counts = match self.st.format {
            Format::Ng { big_endian } => is_packet_block(data, big_endian),
            _ => true,
        };
        if counts {
            self.st.frame += 1;
        }
        let frame = self.st.frame.max(1);
        self.st
            .warn(Some(frame), offset, WarningKind::BadRecord { reason });
        self.resync(offset);
    }

    /// Scans forward for a plausible record header.
    fn resync(&mut self, offset: u64) {
        let from = *self.resync_from.get_or_insert(offset);
        loop {
            let data = self.reader.data();
            let len = data.len();
            if let Some(k) = self.st.scan(data) {
                self.reader.consume_noshift(k);
                let skipped = self.reader.consumed() as u64 - from;
                self.st
                    .warn(None, from, WarningKind::SkippedBytes { len: skipped });
                self.resync_from = None;
                return;
            }
            if self.reader.reader_exhausted() {
                self.reader.consume_noshift(len);
                let skipped = self.reader.consumed() as u64 - from;
                self.st
                    .warn(None, from, WarningKind::SkippedBytes { len: skipped });
                self.done = true;
                return;
            }
            // Keep a tail that may hold the start of the next record, so a
            // record cut by the end of the buffer is seen whole next time.
            self.reader
                .consume_noshift(len - (len / 2).min(RESYNC_KEEP));
            self.refill();
            if self.done {
                return;
            }
        }
    }
}

/// Reads up to 4 bytes (a capture's magic number) from `r`, retrying short
/// and interrupted reads; returns how many were read (fewer at end of input).
pub fn read_head(r: &mut impl Read, head: &mut [u8; 4]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < head.len() {
        match r.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Hands back the sniffed bytes, then fills each buffer as far as the input
/// allows: pcap-parser reads the file header with a single `read`, and full
/// reads keep the number of refills low.
struct FillReader<R> {
    head: [u8; 4],
    head_len: usize,
    head_pos: usize,
    inner: R,
}

impl<R: Read> Read for FillReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut n = 0;
        while self.head_pos < self.head_len && n < buf.len() {
            buf[n] = self.head[self.head_pos];
            self.head_pos += 1;
            n += 1;
        }
        while n < buf.len() {
            match self.inner.read(&mut buf[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) if n == 0 => return Err(e),
                Err(_) => break,
            }
        }
        Ok(n)
    }
}

pub(super) fn describe<I>(e: &PcapError<I>) -> String {
    match e {
        PcapError::Eof => "end of file".into(),
        PcapError::BufferTooSmall => "record larger than the read buffer".into(),
        PcapError::UnexpectedEof => "file ends inside a record".into(),
        PcapError::ReadError => "read error".into(),
        PcapError::Incomplete(_) => "file too short".into(),
        PcapError::HeaderNotRecognized => "header not recognised".into(),
        PcapError::NomError(_, k) | PcapError::OwnedNomError(_, k) => {
            format!("block does not parse ({k:?})")
        }
    }
}

/// (identification, offset in 8-byte units, more fragments) of an IPv6
/// Fragment header, decoded here per RFC 8200 §4.5: etherparse 0.16's
/// `Ipv6FragmentHeaderSlice::fragment_offset`/`more_fragments` read the
/// bits in the wrong places.
fn ipv6_fragment_fields(h: &[u8]) -> Option<(u32, u16, bool)> {
    let field = u16::from_be_bytes([*h.get(2)?, *h.get(3)?]);
    let id = read_u32(h, 4, true)?;
    Some((id, field >> 3, field & 1 == 1))
}

fn read_u32(data: &[u8], at: usize, big_endian: bool) -> Option<u32> {
    let b: [u8; 4] = data.get(at..at + 4)?.try_into().ok()?;
    Some(if big_endian {
        u32::from_be_bytes(b)
    } else {
        u32::from_le_bytes(b)
    })
}

/// pcapng block types qcd reads.
const NG_SHB: u32 = 0x0a0d_0d0a;
const NG_IDB: u32 = 1;
/// The obsolete Packet Block (pcapng draft), still written by old tools.
const NG_PB: u32 = 2;
const NG_SPB: u32 = 3;
const NG_EPB: u32 = 6;

fn is_packet_block(data: &[u8], big_endian: bool) -> bool {
    matches!(read_u32(data, 0, big_endian), Some(NG_PB | NG_SPB | NG_EPB))
}

impl State {
    fn warn(&mut self, frame: Option<u64>, offset: u64, kind: WarningKind) {
        self.warnings.push_back(Warning {
            frame,
            offset: Some(offset),
            kind,
        });
    }

    fn big_endian(&self) -> bool {
        match self.format {
            Format::Legacy { big_endian, .. } | Format::Ng { big_endian } => big_endian,
            Format::Unknown => false,
        }
    }

    /// Why the header at the start of `data`, not yet complete, cannot be
    /// believed (so the reader does not wait for bytes that will not come).
    fn implausible_header(&self, data: &[u8]) -> Option<String> {
        match self.format {
            Format::Legacy {
                big_endian,
                max_caplen,
                ..
            } => {
                let caplen = read_u32(data, 8, big_endian)?;
                (caplen > max_caplen)
                    .then(|| format!("captured length {caplen} is larger than any packet"))
            }
            Format::Ng { big_endian } => {
                let len = read_u32(data, 4, big_endian)?;
                (len < 12 || !len.is_multiple_of(4))
                    .then(|| format!("block length {len} is invalid"))
            }
            Format::Unknown => None,
        }
    }

    /// The whole length of the record at the start of `data`, from its header.
    fn record_len(&self, data: &[u8]) -> Option<usize> {
        match self.format {
            Format::Legacy { big_endian, .. } => {
                read_u32(data, 8, big_endian).map(|c| c as usize + 16)
            }
            Format::Ng { big_endian } => {
                let len = read_u32(data, 4, big_endian)? as usize;
                (len >= 12 && len.is_multiple_of(4)).then_some(len)
            }
            Format::Unknown => None,
        }
    }

    fn plausible_legacy(&self, data: &[u8], at: usize) -> Option<usize> {
        let Format::Legacy {
            big_endian,
            precision,
            max_caplen,
        } = self.format
        else {
            return None;
        };
        let secs = read_u32(data, at, big_endian)?;
        let frac = read_u32(data, at + 4, big_endian)?;
        let caplen = read_u32(data, at + 8, big_endian)?;
        let origlen = read_u32(data, at + 12, big_endian)?;
        let frac_max = if precision == Precision::Nano {
            1_000_000_000
        } else {
            1_000_000
        };
        let near = self
            .last_secs
            .is_none_or(|l| (i64::from(secs) - l).abs() <= 7 * 86_400);
        (frac < frac_max && caplen <= max_caplen && caplen <= origlen && caplen > 0 && near)
            .then_some(at + 16 + caplen as usize)
    }

    /// Offset (≥ 1) of the next plausible record in `data`.
    fn scan(&self, data: &[u8]) -> Option<usize> {
        for k in 1..data.len() {
            match self.format {
                Format::Legacy { .. } => {
                    let Some(next) = self.plausible_legacy(data, k) else {
                        continue;
                    };
                    // Confirm with the record after it when it is in view.
                    if next == data.len() || self.plausible_legacy(data, next).is_some() {
                        return Some(k);
                    }
                }
                Format::Ng { big_endian } => {
                    let Some(t) = read_u32(data, k, big_endian) else {
                        continue;
                    };
                    if !matches!(t, 1 | 3 | 4 | 5 | 6 | 0x0a0d0d0a) {
                        continue;
                    }
                    let Some(len) = read_u32(data, k + 4, big_endian).map(|l| l as usize) else {
                        continue;
                    };
                    if len < 12 || !len.is_multiple_of(4) || len > RESYNC_KEEP {
                        continue;
                    }
                    // The trailing copy of the length must be in view and agree.
                    if read_u32(data, k + len - 4, big_endian) == Some(len as u32) {
                        return Some(k);
                    }
                }
                Format::Unknown => return None,
            }
        }
        None
    }

    fn block(&mut self, block: PcapBlockOwned<'_>, offset: u64, base: usize) -> Step {
        match block {
            PcapBlockOwned::LegacyHeader(h) => {
                let precision = if h.is_nanosecond_precision() {
                    Precision::Nano
                } else {
                    Precision::Micro
                };
                self.format = Format::Legacy {
                    big_endian: h.is_bigendian(),
                    precision,
                    max_caplen: h.snaplen.clamp(MAX_PLAUSIBLE_CAPLEN, MAX_RECORD as u32),
                };
                self.legacy_link = Some(Iface {
                    link: LinkType(h.network.0 as u32),
                    resolution: 0,
                    offset: 0,
                    precision,
                    warned: false,
                });
                Step::Continue
            }
            PcapBlockOwned::Legacy(b) => {
                self.frame += 1;
                let Some(mut iface) = self.legacy_link else {
                    return Step::Continue;
                };
                if let Format::Legacy { max_caplen, .. } = self.format {
                    if b.caplen > max_caplen {
                        self.frame -= 1;
                        return Step::Bad(format!(
                            "captured length {} is larger than any packet",
                            b.caplen
                        ));
                    }
                }
                let secs = i64::from(b.ts_sec);
                self.last_secs = Some(secs);
                let nanos = match iface.precision {
                    Precision::Nano => u64::from(b.ts_usec),
                    Precision::Micro => u64::from(b.ts_usec) * 1000,
                };
                let time = Timestamp::new(secs, nanos, iface.precision);
                let step = self.packet(&mut iface, b.data, Some(time), offset, base);
                self.legacy_link = Some(iface);
                step
            }
            PcapBlockOwned::NG(Block::SectionHeader(shb)) => {
                self.format = Format::Ng {
                    big_endian: shb.big_endian(),
                };
                self.ifaces.clear();
                Step::Continue
            }
            PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                let resolution = match idb.ts_resolution() {
                    Some(r) if r > 0 => r,
                    _ => {
                        self.warn(
                            None,
                            offset,
                            WarningKind::MalformedPacket {
                                reason: format!(
                                    "interface {} has an invalid if_tsresol {:#x}; microseconds assumed",
                                    self.ifaces.len(),
                                    idb.if_tsresol
                                ),
                            },
                        );
                        1_000_000
                    }
                };
                self.ifaces.push(Iface {
                    link: LinkType(idb.linktype.0 as u32),
                    resolution,
                    offset: idb.if_tsoffset,
                    precision: if resolution > 1_000_000 {
                        Precision::Nano
                    } else {
                        Precision::Micro
                    },
                    warned: false,
                });
                Step::Continue
            }
            PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                self.frame += 1;
                let Some(mut iface) = self.ifaces.get(epb.if_id as usize).copied() else {
                    let frame = self.frame;
                    self.warn(
                        Some(frame),
                        offset,
                        WarningKind::UnknownInterface { if_id: epb.if_id },
                    );
                    return Step::Continue;
                };
                let time = iface.time((u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low));
                let step = self.packet(&mut iface, epb.packet_data(), Some(time), offset, base);
                if let Some(slot) = self.ifaces.get_mut(epb.if_id as usize) {
                    *slot = iface;
                }
                step
            }
            PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                self.frame += 1;
                let Some(mut iface) = self.ifaces.first().copied() else {
                    let frame = self.frame;
                    self.warn(
                        Some(frame),
                        offset,
                        WarningKind::UnknownInterface { if_id: 0 },
                    );
                    return Step::Continue;
                };
                let step = self.packet(&mut iface, spb.packet_data(), None, offset, base);
                if let Some(slot) = self.ifaces.first_mut() {
                    *slot = iface;
                }
                step
            }
            // pcap-parser reads an unknown block's type as little-endian.
            PcapBlockOwned::NG(Block::Unknown(ub))
                if (if self.big_endian() {
                    ub.block_type.swap_bytes()
                } else {
                    ub.block_type
                }) == NG_PB =>
            {
                self.obsolete_packet(ub.data, offset, base)
            }
            PcapBlockOwned::NG(_) => Step::Continue,
        }
    }

    /// The obsolete Packet Block: interface (2 bytes), drops (2), timestamp
    /// high and low (4 + 4), captured and original length (4 + 4), data.
    fn obsolete_packet(&mut self, body: &[u8], offset: u64, base: usize) -> Step {
        self.frame += 1;
        let be = self.big_endian();
        let Some(head) = body.get(..20) else {
            self.frame -= 1;
            return Step::Bad("packet block shorter than its header".into());
        };
        let if_id = u32::from(if be {
            u16::from_be_bytes([head[0], head[1]])
        } else {
            u16::from_le_bytes([head[0], head[1]])
        });
        let (Some(ts_high), Some(ts_low), Some(caplen)) = (
            read_u32(head, 4, be),
            read_u32(head, 8, be),
            read_u32(head, 12, be),
        ) else {
            unreachable!("20 bytes hold these fields");
        };
        let Some(packet) = body.get(20..20 + caplen as usize) else {
            self.frame -= 1;
            return Step::Bad(format!(
                "packet block: captured length {caplen} is larger than the block"
            ));
        };
        let Some(mut iface) = self.ifaces.get(if_id as usize).copied() else {
            let frame = self.frame;
            self.warn(Some(frame), offset, WarningKind::UnknownInterface { if_id });
            return Step::Continue;
        };
        let time = iface.time(u64::from(ts_high) << 32 | u64::from(ts_low));
        let step = self.packet(&mut iface, packet, Some(time), offset, base);
        if let Some(slot) = self.ifaces.get_mut(if_id as usize) {
            *slot = iface;
        }
        step
    }

    fn packet(
        &mut self,
        iface: &mut Iface,
        data: &[u8],
        time: Option<Timestamp>,
        offset: u64,
        base: usize,
    ) -> Step {
        let frame = self.frame;
        self.counters.frames += 1;
        if let Some(t) = time {
            match self.counters.latest {
                Some(l) if t < l => {
                    self.counters.stepped_back.get_or_insert(frame);
                }
                _ => self.counters.latest = Some(t),
            }
        }
        if !self.defrag.is_empty() {
            self.defrag.expire(time, &mut self.warnings);
        }
        if let Some(step) = self.fast_path(iface.link, data, frame, time) {
            return step;
        }
        let pkt = match link::slice_frame(iface.link, data) {
            Ok(p) => p,
            Err(LinkIssue::NotIp) => {
                if !iface.link.is_supported() && !iface.warned {
                    iface.warned = true;
                    self.warn(
                        Some(frame),
                        offset,
                        WarningKind::UnsupportedLinkType { link: iface.link },
                    );
                }
                return Step::Continue;
            }
            Err(LinkIssue::Truncated) => {
                self.warn(
                    Some(frame),
                    offset,
                    WarningKind::MalformedPacket {
                        reason: format!("{} header cut short", iface.link),
                    },
                );
                return Step::Continue;
            }
        };
        let Some(net) = pkt.net else {
            if let Some((err, layer)) = pkt.stop_err {
                self.warn(
                    Some(frame),
                    offset,
                    WarningKind::MalformedPacket {
                        reason: format!("{layer}: {err}"),
                    },
                );
            }
            return Step::Continue;
        };
        let (src, dst, payload, frag) = match &net {
            LaxNetSlice::Ipv4(v4) => {
                let h = v4.header();
                let (src, dst) = (
                    IpAddr::V4(h.source_addr()),
                    IpAddr::V4(h.destination_addr()),
                );
                let p = v4.payload();
                let frag = p.fragmented.then(|| {
                    (
                        u32::from(h.identification()),
                        h.fragments_offset().value(),
                        h.more_fragments(),
                    )
                });
                (src, dst, p, frag)
            }
            LaxNetSlice::Ipv6(v6) => {
                let h = v6.header();
                let (src, dst) = (
                    IpAddr::V6(h.source_addr()),
                    IpAddr::V6(h.destination_addr()),
                );
                let p = v6.payload();
                let frag = if p.fragmented {
                    v6.extensions().clone().into_iter().find_map(|e| match e {
                        Ipv6ExtensionSlice::Fragment(f) => ipv6_fragment_fields(f.slice()),
                        _ => None,
                    })
                } else {
                    None
                };
                (src, dst, p, frag)
            }
        };
        let proto = payload.ip_number.0;
        if proto != 17 && proto != 50 {
            return Step::Continue;
        }
        if let Some((id, frag_offset, more)) = frag {
            self.counters.fragments += 1;
            if payload.incomplete {
                if !self.warned_truncated_fragment {
                    self.warned_truncated_fragment = true;
                    self.warn(Some(frame), offset, WarningKind::TruncatedFragment);
                }
                return Step::Continue;
            }
            let fragment = Fragment {
                key: FragKey {
                    src,
                    dst,
                    id,
                    proto,
                },
                offset: frag_offset,
                more,
                payload: payload.payload,
            };
            let Some(dg) = self
                .defrag
                .add(fragment, frame, offset, time, &mut self.warnings)
            else {
                return Step::Continue;
            };
            self.counters.reassembled += 1;
            let hit = self.transport(dg.proto, &dg.payload, false, frame, offset);
            return match hit {
                Hit::None => Step::Continue,
                Hit::Ike {
                    sport,
                    dport,
                    range,
                    truncated,
                } => Step::Found(Ready::Ike {
                    frame,
                    time,
                    src: SocketAddr::new(src, sport),
                    dst: SocketAddr::new(dst, dport),
                    payload: Payload::Owned(dg.payload.get(range).unwrap_or_default().to_vec()),
                    truncated,
                }),
                Hit::Esp {
                    sport,
                    dport,
                    spi,
                    seq,
                } => self.esp(frame, time, src, dst, sport, dport, spi, seq),
            };
        }
        let bytes = payload.payload;
        match self.transport(proto, bytes, payload.incomplete, frame, offset) {
            Hit::None => Step::Continue,
            Hit::Ike {
                sport,
                dport,
                range,
                truncated,
            } => {
                let start = (bytes.as_ptr() as usize).wrapping_sub(base) + range.start;
                Step::Found(Ready::Ike {
                    frame,
                    time,
                    src: SocketAddr::new(src, sport),
                    dst: SocketAddr::new(dst, dport),
                    payload: Payload::InBuffer(start..start + range.len()),
                    truncated,
                })
            }
            Hit::Esp {
                sport,
                dport,
                spi,
                seq,
            } => self.esp(frame, time, src, dst, sport, dport, spi, seq),
        }
    }

    /// The common cases decided from fixed offsets, without etherparse:
    /// unfragmented IPv4 (any header length) or IPv6 (no extension header)
    /// carrying ESP, or UDP on ports that are not IKE's. `None` when the
    /// packet needs the full path (IKE ports, fragments, extension headers,
    /// anything short or odd).
    #[inline]
    fn fast_path(
        &mut self,
        link: LinkType,
        data: &[u8],
        frame: u64,
        time: Option<Timestamp>,
    ) -> Option<Step> {
        let (at, announced) = link::ip_offset(link, data)?;
        let ip = data.get(at..)?;
        let version = ip.first()? >> 4;
        if announced.is_some_and(|v| v != version) {
            return None;
        }
        let (proto, l4, src, dst) = match version {
            4 => {
                let ihl = usize::from(ip[0] & 0x0f) * 4;
                let total = usize::from(u16::from_be_bytes([*ip.get(2)?, *ip.get(3)?]));
                let frag = u16::from_be_bytes([*ip.get(6)?, *ip.get(7)?]) & 0x3fff;
                if ihl < 20 || total < ihl || total > ip.len() || frag != 0 {
                    return None;
                }
                let src: [u8; 4] = ip.get(12..16)?.try_into().ok()?;
                let dst: [u8; 4] = ip.get(16..20)?.try_into().ok()?;
                (ip[9], &ip[ihl..total], IpAddr::from(src), IpAddr::from(dst))
            }
            6 => {
                let plen = usize::from(u16::from_be_bytes([*ip.get(4)?, *ip.get(5)?]));
                if 40 + plen > ip.len() || plen == 0 {
                    return None;
                }
                let src: [u8; 16] = ip.get(8..24)?.try_into().ok()?;
                let dst: [u8; 16] = ip.get(24..40)?.try_into().ok()?;
                (
                    ip[6],
                    &ip[40..40 + plen],
                    IpAddr::from(src),
                    IpAddr::from(dst),
                )
            }
            _ => return None,
        };
        let be32 = |b: &[u8], at: usize| -> Option<u32> {
            Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
        };
        match proto {
            50 => {
                let (spi, seq) = (be32(l4, 0)?, be32(l4, 4)?);
                Some(self.esp(frame, time, src, dst, 0, 0, spi, seq))
            }
            17 => {
                let sport = u16::from_be_bytes([*l4.first()?, *l4.get(1)?]);
                let dport = u16::from_be_bytes([*l4.get(2)?, *l4.get(3)?]);
                let ike =
                    |p: u16| p == IKE_PORT || p == NAT_T_PORT || self.opts.extra_ports.contains(&p);
                if ike(sport) || ike(dport) {
                    // ESP-in-UDP is the bulk of NAT-T traffic: take it here too.
                    let natt = sport == NAT_T_PORT || dport == NAT_T_PORT;
                    let ulen = usize::from(u16::from_be_bytes([*l4.get(4)?, *l4.get(5)?]));
                    if natt && ulen >= 16 && ulen <= l4.len() {
                        let spi = be32(l4, 8)?;
                        if spi != 0 {
                            let seq = be32(l4, 12)?;
                            return Some(self.esp(frame, time, src, dst, sport, dport, spi, seq));
                        }
                    }
                    None
                } else {
                    Some(Step::Continue)
                }
            }
            // ICMP and ICMPv6 errors quoting IKE or ESP.
            1 | 58 if self.opts.icmp_events => {
                let ike =
                    |p: u16| p == IKE_PORT || p == NAT_T_PORT || self.opts.extra_ports.contains(&p);
                Some(match super::icmp::quoted_error(proto == 58, l4, ike) {
                    Some(error) => Step::Found(Ready::Icmp {
                        frame,
                        time,
                        src,
                        dst,
                        error,
                    }),
                    None => Step::Continue,
                })
            }
            // Other protocols are skipped by the full path too, except
            // IPv6 extension headers, which it walks.
            0 | 43 | 44 | 51 | 60 | 135 | 139 | 140 => None,
            _ => Some(Step::Continue),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn esp(
        &mut self,
        frame: u64,
        time: Option<Timestamp>,
        src: IpAddr,
        dst: IpAddr,
        sport: u16,
        dport: u16,
        spi: u32,
        seq: u32,
    ) -> Step {
        let (src, dst) = (SocketAddr::new(src, sport), SocketAddr::new(dst, dport));
        self.counters.esp += 1;
        if self.opts.esp_stats {
            self.esp.record(EspKey { spi, src, dst }, frame, time, seq);
        }
        if self.opts.esp_events {
            Step::Found(Ready::Esp {
                frame,
                time,
                src,
                dst,
                spi,
                seq,
            })
        } else {
            Step::Continue
        }
    }

    /// Classifies an IP payload; ranges are relative to `bytes`.
    fn transport(
        &mut self,
        proto: u8,
        bytes: &[u8],
        incomplete: bool,
        frame: u64,
        offset: u64,
    ) -> Hit {
        let word = |at: usize| -> Option<u32> {
            Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
        };
        if proto == 50 {
            return match (word(0), word(4)) {
                (Some(spi), Some(seq)) => Hit::Esp {
                    sport: 0,
                    dport: 0,
                    spi,
                    seq,
                },
                _ => {
                    if !incomplete {
                        self.warn(
                            Some(frame),
                            offset,
                            WarningKind::MalformedPacket {
                                reason: format!(
                                    "ESP packet of {} bytes, shorter than its header",
                                    bytes.len()
                                ),
                            },
                        );
                    }
                    Hit::None
                }
            };
        }
        if bytes.len() < 8 {
            if !incomplete {
                self.warn(
                    Some(frame),
                    offset,
                    WarningKind::MalformedPacket {
                        reason: "UDP header cut short".into(),
                    },
                );
            }
            return Hit::None;
        }
        let sport = u16::from_be_bytes([bytes[0], bytes[1]]);
        let dport = u16::from_be_bytes([bytes[2], bytes[3]]);
        let natt = sport == NAT_T_PORT || dport == NAT_T_PORT;
        let plain = sport == IKE_PORT || dport == IKE_PORT;
        let extra = !natt
            && !plain
            && (self.opts.extra_ports.contains(&sport) || self.opts.extra_ports.contains(&dport));
        if !natt && !plain && !extra {
            return Hit::None;
        }
        let ulen = usize::from(u16::from_be_bytes([bytes[4], bytes[5]]));
        let avail = bytes.len() - 8;
        let (plen, truncated) = if ulen >= 8 {
            ((ulen - 8).min(avail), ulen - 8 > avail)
        } else {
            (avail, false)
        };
        let p = &bytes[8..8 + plen];
        let marker = p.len() >= 4 && p[..4] == [0, 0, 0, 0];
        if natt {
            if p == [0xff] {
                self.counters.keepalives += 1;
                return Hit::None;
            }
            if marker {
                return Hit::Ike {
                    sport,
                    dport,
                    range: 12..8 + plen,
                    truncated,
                };
            }
            if let (Some(spi), Some(seq)) = (word(8), word(12)) {
                if p.len() >= 8 {
                    return Hit::Esp {
                        sport,
                        dport,
                        spi,
                        seq,
                    };
                }
            }
            if !truncated {
                self.warn(
                    Some(frame),
                    offset,
                    WarningKind::MalformedPacket {
                        reason: format!(
                            "UDP payload of {} bytes on port 4500 is neither a NAT keepalive, \
                             an IKE message (non-ESP marker) nor ESP",
                            p.len()
                        ),
                    },
                );
            }
            return Hit::None;
        }
        let start = if extra && marker { 12 } else { 8 };
        Hit::Ike {
            sport,
            dport,
            range: start..8 + plen,
            truncated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the `capture` fuzz target with overflow checks on: an
    /// interface's `if_tsoffset` plus a packet's seconds beyond `i64`.
    #[test]
    fn timestamps_beyond_i64_saturate() {
        let iface = |offset| Iface {
            link: LinkType::ETHERNET,
            resolution: 1,
            offset,
            precision: Precision::Micro,
            warned: false,
        };
        assert_eq!(iface(i64::MAX).time(u64::MAX).secs, i64::MAX);
        assert_eq!(iface(1).time(u64::MAX).secs, i64::MAX);
        assert_eq!(iface(i64::MIN).time(0).secs, i64::MIN);
        assert_eq!(iface(-10).time(25).secs, 15);

        let crash = include_bytes!("../../tests/data/fuzz/capture-tsoffset-overflow.bin");
        let mut r = CaptureReader::new(&crash[..], "crash", Options::default()).unwrap();
        while let Some(e) = r.next_event() {
            if let Event::Ike(IkeDatagram { time: Some(t), .. }) = e {
                let _ = t.format_rfc3339();
            }
        }
    }
}
