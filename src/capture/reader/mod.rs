//! The streaming reader: blocks from pcap-parser, frames through the link
//! layer, IP (with reassembly) and UDP, out as [`Event`]s.
//!
//! This file holds the reader, its options and events, and the state the
//! others share; `input` feeds pcap-parser, `blocks` reads pcap records and
//! pcapng blocks, `packet` turns a packet's bytes into what is handed out,
//! and `resync` recovers after damage. Warnings and counters are
//! `super::warnings`'s (IP reassembly warns too).

mod blocks;
mod input;
mod packet;
mod resync;

pub use input::read_head;

use super::defrag::Defragmenter;
use super::link::LinkType;
use super::warnings::{Counters, Warning, WarningKind};
use super::{DefragLimits, FileKind, Precision, Timestamp};
use blocks::describe;
use input::FillReader;
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{create_reader, PcapError};
use std::borrow::Cow;
use std::collections::VecDeque;
use std::fs::File;
use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Largest record or block qcd accepts: 8 MiB (the read buffer grows to at
/// most twice that, keeping peak memory well under 64 MiB).
const MAX_RECORD: usize = 8 << 20;

/// How to read a capture.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// UDP ports carrying IKE besides 500 and 4500 (`--port N`). Treated like
    /// 500, except that a leading 4-byte zero non-ESP marker is stripped.
    pub extra_ports: Vec<u16>,
    /// Yield an [`Event::Esp`] per ESP packet.
    pub esp_events: bool,
    /// Yield an [`Event::Icmp`] per ICMP/ICMPv6 error quoting IKE or ESP.
    pub icmp_events: bool,
    /// Bounds on IP reassembly.
    pub defrag: DefragLimits,
    /// Initial read buffer size in bytes (64 KiB at the least; 4 MiB by
    /// default). A record larger than the buffer grows it, up to twice the
    /// largest record qcd accepts (8 MiB).
    pub buffer_size: usize,
    /// Hand each read to the parser as soon as it returns bytes, instead of
    /// filling the buffer first: for pipes and followed files, where a full
    /// buffer may be minutes away ([`super::Source`] sets it when following).
    pub live: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            extra_ports: Vec::new(),
            esp_events: false,
            icmp_events: false,
            defrag: DefragLimits::default(),
            buffer_size: 4 << 20,
            live: false,
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
    /// An ESP packet (only with [`ReadOptions::esp_events`]). Ports are 0 for
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
    /// [`ReadOptions::icmp_events`]); `src` sent it.
    Icmp {
        frame: u64,
        time: Option<Timestamp>,
        src: IpAddr,
        dst: IpAddr,
        error: super::icmp::IcmpError,
    },
    Warning(Warning),
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
    /// An IKE message, an ESP sighting or an ICMP error (never a warning:
    /// those are queued).
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

/// Everything but the pcap-parser reader, so both can be borrowed at once.
struct State {
    opts: ReadOptions,
    format: Format,
    legacy_link: Option<Iface>,
    ifaces: Vec<Iface>,
    frame: u64,
    last_secs: Option<i64>,
    defrag: Defragmenter,
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
/// use qcd::capture::{CaptureReader, Event, ReadOptions};
/// let mut r = CaptureReader::open("gw.pcapng".as_ref(), ReadOptions::default())?;
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
    pub fn open(path: &Path, opts: ReadOptions) -> Result<CaptureReader<'static>, CaptureError> {
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
        opts: ReadOptions,
    ) -> Result<CaptureReader<'r>, CaptureError> {
        let mut head = [0u8; 4];
        let got = read_head(&mut input, &mut head).map_err(|e| CaptureError::BadHeader {
            name: name.to_string(),
            reason: e.to_string(),
        })?;
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
        let chained = FillReader::new(head, got, input, opts.live);
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
        opts: ReadOptions,
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

    /// Yield an [`Event::Esp`] per ESP packet from now on
    /// ([`ReadOptions::esp_events`]), for a consumer that needs them whatever
    /// options the reader was opened with.
    pub fn yield_esp_events(&mut self) {
        self.st.opts.esp_events = true;
    }

    /// Whether the file itself was damaged (a record cut short, a bad block,
    /// bytes skipped): the caller should exit 2 once done.
    pub fn damaged(&self) -> bool {
        self.st.damaged
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

        let crash = include_bytes!("../../../tests/data/fuzz/capture-tsoffset-overflow.bin");
        let mut r = CaptureReader::new(&crash[..], "crash", ReadOptions::default()).unwrap();
        while let Some(e) = r.next_event() {
            if let Event::Ike(IkeDatagram { time: Some(t), .. }) = e {
                let _ = t.format_rfc3339();
            }
        }
    }
}
