//! `qcd decode --summary`: one row per IKE SA of a capture (messages,
//! exchanges, notifies, QCD tokens) with the ESP flows between the same
//! hosts, grouped by the same [`SaIndex`] as the diagnosis.
//!
//! Cost: one index lookup per IKE message, one binary search per ESP flow;
//! memory per IKE SA, not per packet.

use std::net::SocketAddr;

use serde::Serialize;
use smallvec::SmallVec;

use crate::capture::{
    self, CaptureReader, EspFlow, EspKey, EspStats, Event, IkeDatagram, Timestamp,
};
use crate::encoding::push_hex;
use crate::ikecrypto::KeyTable;
use crate::ikesa::digest::{summarize, IkeSummary, Keep};
use crate::ikesa::{HostPair, SaIndex};
use crate::report::grid::Grid;
use crate::spi::{Spi, SpiPair};
use crate::timefmt::Rfc3339Writer;
use crate::wire::{ExchangeType, NotifyType, PayloadType, WireError};

use super::{label, DecodedMessage, DecodedPayload, Label};

/// The notify types that make a message QCD-related (`--qcd`).
pub const QCD_NOTIFIES: [NotifyType; 3] = [
    NotifyType::QCD_TOKEN,
    NotifyType::INVALID_IKE_SPI,
    NotifyType::INVALID_SPI,
];

/// The notifies of a message, outside and (decrypted) inside SK.
pub fn notifies(m: &DecodedMessage) -> impl Iterator<Item = &DecodedPayload> {
    m.payloads
        .iter()
        .flat_map(|p| {
            std::iter::once(p).chain(
                p.encrypted
                    .as_ref()
                    .and_then(|e| e.payloads.as_ref())
                    .into_iter()
                    .flatten(),
            )
        })
        .filter(|p| p.notify.is_some())
}

/// Whether a digest carries QCD_TOKEN, INVALID_IKE_SPI or INVALID_SPI
/// (outside SK, or inside when decrypted).
pub fn digest_is_qcd_related(m: &IkeSummary) -> bool {
    m.notifies
        .iter()
        .chain(m.inner_notifies.iter().flatten())
        .any(|n| QCD_NOTIFIES.iter().any(|t| t.0 == n.notify_type))
}

/// Whether a message carries QCD_TOKEN, INVALID_IKE_SPI or INVALID_SPI.
pub fn is_qcd_related(m: &DecodedMessage) -> bool {
    notifies(m).any(|p| {
        p.notify
            .as_ref()
            .is_some_and(|n| QCD_NOTIFIES.iter().any(|t| t.0 == n.notify_type))
    })
}

/// Which IKE messages a summary counts or a listing prints (`--qcd`,
/// `--spi`); see [`super::messages::CaptureMessages`] for the listing.
#[derive(Debug, Default, Clone, Copy)]
pub struct SummaryFilter {
    /// Only messages that carry QCD_TOKEN, INVALID_IKE_SPI or INVALID_SPI
    /// (an IKE fragment is counted when keys are given: what it carries is
    /// known only once its message is reassembled).
    pub qcd: bool,
    /// Only the IKE SA with this SPI (initiator's or responder's).
    pub spi: Option<Spi>,
}

/// What a message's digest tells a [`SummaryFilter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestVerdict {
    Keep,
    Drop,
    /// An IKE fragment with keys under `--qcd`: what it carries is known
    /// once its message is reassembled (a summary counts it; a listing
    /// decides on the reassembled message, [`SummaryFilter::keeps_message`]).
    Undecided,
}

impl SummaryFilter {
    pub fn is_active(&self) -> bool {
        self.qcd || self.spi.is_some()
    }

    /// Judges a message by its digest (read from the zero-copy view);
    /// `keys_given`: SK payloads can be opened.
    pub fn on_digest(&self, digest: &IkeSummary, keys_given: bool) -> DigestVerdict {
        let mut verdict = DigestVerdict::Keep;
        if self.qcd && !digest_is_qcd_related(digest) {
            if digest.first_payload != PayloadType::SKF.0 || !keys_given {
                return DigestVerdict::Drop;
            }
            verdict = DigestVerdict::Undecided;
        }
        if let Some(s) = self.spi {
            if digest.spis.initiator != s && digest.spis.responder != s {
                return DigestVerdict::Drop;
            }
        }
        verdict
    }

    /// Judges a fully decoded message (one whose digest was
    /// [`DigestVerdict::Undecided`] or could not be read).
    pub fn keeps_message(&self, m: &DecodedMessage) -> bool {
        (!self.qcd || is_qcd_related(m))
            && self.spi.is_none_or(|s| {
                let hex = s.to_hex();
                m.spi_i == hex || m.spi_r == hex
            })
    }
}

/// An IKE message of a capture that could not be read: its frame and
/// endpoints, and why (the wire error names the byte offset and field).
#[derive(Debug, Clone)]
pub struct Undecoded {
    pub frame: u64,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub error: WireError,
    /// The capture holds only part of the datagram (snapshot length).
    pub truncated: bool,
}

impl Undecoded {
    /// `datagram` could not be read as an IKE message: `error` says where.
    pub fn new(datagram: &IkeDatagram<'_>, error: WireError) -> Undecoded {
        Undecoded {
            frame: datagram.frame,
            src: datagram.src,
            dst: datagram.dst,
            error,
            truncated: datagram.truncated,
        }
    }
}

impl std::fmt::Display for Undecoded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "frame {} ({} -> {}): IKE message not decoded: {}{}",
            self.frame,
            self.src,
            self.dst,
            self.error,
            snaplen_note(self.truncated)
        )
    }
}

/// What a warning about a message adds when the capture holds only part
/// of its datagram.
pub(crate) fn snaplen_note(truncated: bool) -> &'static str {
    if truncated {
        " (the capture holds only part of this datagram: snapshot length)"
    } else {
        ""
    }
}

/// One thing said while a capture was summarized, in capture order.
#[derive(Debug)]
pub enum SummaryNote {
    /// From the capture reader (damaged records, reassembly limits...).
    Capture(capture::Warning),
    Undecoded(Undecoded),
}

impl std::fmt::Display for SummaryNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SummaryNote::Capture(w) => w.fmt(f),
            SummaryNote::Undecoded(u) => u.fmt(f),
        }
    }
}

impl Summary {
    /// Reads a whole capture into a summary: one digest per IKE message
    /// (decrypted with `keys`), kept or not by `filter`, then the reader's
    /// ESP flows. `note` hears each warning as it comes (a progress bar
    /// can make room for it). The reader should tally ESP
    /// ([`capture::Options::esp_stats`]).
    pub fn from_capture(
        reader: &mut CaptureReader<'_>,
        keys: Option<&KeyTable>,
        filter: SummaryFilter,
        mut note: impl FnMut(SummaryNote),
    ) -> Summary {
        let mut summary = Summary::new();
        while let Some(ev) = reader.next_event() {
            let d = match ev {
                Event::Warning(w) => {
                    note(SummaryNote::Capture(w));
                    continue;
                }
                Event::Esp { .. } | Event::Icmp { .. } => continue,
                Event::Ike(d) => d,
            };
            let digest = match summarize(&d.payload, keys, Keep::AllTypes) {
                Ok((digest, _)) => digest,
                Err(error) => {
                    note(SummaryNote::Undecoded(Undecoded::new(&d, error)));
                    continue;
                }
            };
            // A fragment that may carry a QCD notify is counted.
            if filter.on_digest(&digest, keys.is_some()) == DigestVerdict::Drop {
                continue;
            }
            summary.add(&digest, d.frame, d.time, d.src, d.dst);
        }
        summary.attach_esp(reader.take_esp_stats(), filter.is_active());
        summary
    }
}

/// ESP packets of one SPI and direction, as the summary shows them.
#[derive(Serialize, Clone, Debug)]
pub struct EspRow {
    /// 8 lowercase hex digits.
    pub spi: String,
    pub src: String,
    pub dst: String,
    pub packets: u64,
    pub first_frame: u64,
    pub last_frame: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_time: Option<String>,
}

/// One IKE SA of `--summary --json`.
#[derive(Serialize, Debug)]
pub struct SaRow {
    /// `"ike_sa"`, or `"esp_without_ike_sa"` for ESP flows whose hosts had no IKE message.
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spi_i: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spi_r: Option<String>,
    /// Endpoint of the original initiator (from its messages' Initiator flag).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initiator: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub responder: Option<String>,
    pub messages: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_frame: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_frame: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_time: Option<String>,
    /// Exchange name → messages, sorted by name.
    pub exchanges: serde_json::Map<String, serde_json::Value>,
    /// Notify type names, each once, in order of first appearance (inside SK too when decrypted).
    pub notifies: Vec<String>,
    /// QCD_TOKEN notification data (hex), each once.
    pub qcd_tokens: Vec<String>,
    pub esp: Vec<EspRow>,
}

/// What was seen of one IKE SA. About 200 bytes plus its rare extras
/// (exchanges other than the four usual ones, more than six notify types,
/// QCD tokens): the summary's memory is this per IKE SA plus the ESP flows.
struct SaAcc {
    spis: SpiPair,
    initiator: SocketAddr,
    responder: SocketAddr,
    messages: u64,
    first_frame: u64,
    last_frame: u64,
    first_time: Option<Timestamp>,
    last_time: Option<Timestamp>,
    /// Messages per exchange type (IKE_SA_INIT, IKE_AUTH,
    /// CREATE_CHILD_SA, INFORMATIONAL), and the rare others.
    exchanges: [u32; 4],
    other_exchanges: Vec<(u8, u32)>,
    /// Notify types, in order of first appearance.
    notifies: SmallVec<[u16; 6]>,
    qcd_tokens: Vec<Vec<u8>>,
}

impl SaAcc {
    /// (exchange name, messages), sorted by name.
    fn exchange_counts(&self) -> SmallVec<[(Label, u64); 4]> {
        let mut v: SmallVec<[(Label, u64); 4]> = (34u8..=37)
            .zip(self.exchanges)
            .filter(|&(_, c)| c > 0)
            .chain(self.other_exchanges.iter().copied())
            .map(|(x, c)| (exchange_name(x), u64::from(c)))
            .collect();
        v.sort_unstable();
        v
    }
}

/// An exchange type's name (from the registry, or its range and number).
fn exchange_name(x: u8) -> Label {
    label(ExchangeType(x).name(), ExchangeType(x))
}

/// A notify type's name (from the registry, or its range and number).
fn notify_name(t: u16) -> Label {
    label(NotifyType(t).name(), NotifyType(t))
}

/// Appends each item with `each`, `sep` between them.
fn push_joined<T>(
    out: &mut String,
    sep: &str,
    items: impl IntoIterator<Item = T>,
    mut each: impl FnMut(&mut String, T),
) {
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        each(out, item);
    }
}

/// Where a flow went in [`Summary::attach_esp`].
const LEFT_OUT: usize = usize::MAX;

/// The IKE SAs of a capture, as messages come (in capture order).
#[derive(Default)]
pub struct Summary {
    /// IKE SAs ordered by their first frame.
    index: SaIndex<u64>,
    sas: Vec<SaAcc>,
    /// The ESP flows, in order of first appearance.
    esp: EspStats,
    /// Positions in `esp`, grouped: the flows of each IKE SA in turn, then
    /// the flows without an IKE SA; each group in order of first appearance.
    esp_order: Vec<usize>,
    /// `esp_order[esp_start[i]..esp_start[i + 1]]` are the flows of IKE SA
    /// `i`; the group after the last IKE SA is ESP without an IKE SA.
    /// Empty until [`Summary::attach_esp`].
    esp_start: Vec<usize>,
}

fn fmt_time(t: Option<Timestamp>) -> Option<String> {
    t.map(|t| t.format_rfc3339())
}

fn esp_row((k, f): (&EspKey, &EspFlow)) -> EspRow {
    EspRow {
        spi: format!("{:08x}", k.spi),
        src: capture::format_endpoint(&k.src),
        dst: capture::format_endpoint(&k.dst),
        packets: f.packets,
        first_frame: f.first_frame,
        last_frame: f.last_frame,
        first_time: fmt_time(f.first_time),
        last_time: fmt_time(f.last_time),
    }
}

impl Summary {
    pub fn new() -> Summary {
        Summary::default()
    }

    /// Adds one IKE message seen in `frame` (its digest, with every notify
    /// type: [`crate::ikesa::digest::Keep::AllTypes`]).
    pub fn add(
        &mut self,
        m: &IkeSummary,
        frame: u64,
        time: Option<Timestamp>,
        src: SocketAddr,
        dst: SocketAddr,
    ) {
        let (initiator, responder) = if m.initiator { (src, dst) } else { (dst, src) };
        let placed = self
            .index
            .place(m.spis, HostPair::new(src.ip(), dst.ip()), frame);
        let i = placed.sa();
        if i == self.sas.len() {
            self.sas.push(SaAcc {
                spis: m.spis,
                initiator,
                responder,
                messages: 0,
                first_frame: frame,
                last_frame: frame,
                first_time: time,
                last_time: time,
                exchanges: [0; 4],
                other_exchanges: Vec::new(),
                notifies: SmallVec::new(),
                qcd_tokens: Vec::new(),
            });
        }
        let sa = &mut self.sas[i];
        if sa.spis.responder.is_zero() {
            sa.spis = m.spis;
        }
        sa.messages += 1;
        sa.last_frame = frame;
        if time.is_some() {
            sa.last_time = time;
        }
        match m.exchange {
            x @ 34..=37 => sa.exchanges[usize::from(x - 34)] += 1,
            x => match sa.other_exchanges.iter_mut().find(|(t, _)| *t == x) {
                Some((_, c)) => *c += 1,
                None => sa.other_exchanges.push((x, 1)),
            },
        }
        for n in m.notifies.iter().chain(m.inner_notifies.iter().flatten()) {
            if !sa.notifies.contains(&n.notify_type) {
                sa.notifies.push(n.notify_type);
            }
            if n.notify_type == NotifyType::QCD_TOKEN.0 && !sa.qcd_tokens.contains(&n.data) {
                sa.qcd_tokens.push(n.data.clone());
            }
        }
    }

    /// Takes the capture's ESP flows: each goes to the IKE SA between the
    /// same two hosts that was the latest to start before the flow's first
    /// packet (else the first one between them). With a filter (--qcd,
    /// --spi) flows whose hosts have no listed SA are left out.
    ///
    /// One index lookup per flow and a counting sort: linear in the flows.
    pub fn attach_esp(&mut self, esp: EspStats, filtered: bool) {
        let orphans = self.sas.len();
        let owners: Vec<usize> = esp
            .iter()
            .map(|(k, f)| {
                let hosts = HostPair::new(k.src.ip(), k.dst.ip());
                match self.index.current(hosts, f.first_frame) {
                    Some(i) => i,
                    None if !filtered => orphans,
                    None => LEFT_OUT,
                }
            })
            .collect();
        // Group sizes, then their starts; flows keep their order of first
        // appearance inside each group.
        let mut start = vec![0usize; orphans + 2];
        for &o in owners.iter().filter(|&&o| o != LEFT_OUT) {
            start[o + 1] += 1;
        }
        for g in 1..start.len() {
            start[g] += start[g - 1];
        }
        let mut next = start.clone();
        let mut order = vec![0usize; start[orphans + 1]];
        for (flow, &o) in owners.iter().enumerate() {
            if o != LEFT_OUT {
                order[next[o]] = flow;
                next[o] += 1;
            }
        }
        self.esp = esp;
        self.esp_order = order;
        self.esp_start = start;
    }

    /// The ESP flows of group `g` (IKE SA `g`, or the orphans after the last).
    fn esp_of(&self, g: usize) -> impl Iterator<Item = (&EspKey, &EspFlow)> + '_ {
        let range = match (self.esp_start.get(g), self.esp_start.get(g + 1)) {
            (Some(&a), Some(&b)) => a..b,
            _ => 0..0,
        };
        self.esp_order[range]
            .iter()
            .filter_map(|&i| self.esp.get_index(i))
    }

    fn has_orphans(&self) -> bool {
        self.esp_of(self.sas.len()).next().is_some()
    }

    /// Number of rows [`Summary::rows`] yields.
    pub fn len(&self) -> usize {
        self.sas.len() + usize::from(self.has_orphans())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes the rows as NDJSON (the keys and values of [`Summary::rows`],
    /// formatted straight from the accumulators into one reused buffer).
    /// Returns the number of rows.
    pub fn write_json(&self, out: &mut dyn std::io::Write) -> std::io::Result<usize> {
        let mut w = RowWriter::default();
        for g in 0..self.len() {
            w.buf.clear();
            match self.sas.get(g) {
                Some(sa) => w.json_sa(sa, self.esp_of(g)),
                None => w.json_orphans(self.esp_of(g)),
            }
            w.buf.push('\n');
            out.write_all(w.buf.as_bytes())?;
        }
        Ok(self.len())
    }

    /// Writes the table cells of rows `rows` into `grid`: seven columns
    /// ([`TABLE_WIDE`]) or two ([`TABLE_NARROW`], everything but the SPIs
    /// stacked in one cell; a time span on one line when `room` columns
    /// fit it). SPIs, tokens and addresses are never broken inside.
    ///
    /// With `fit`, stops (returning `false`) as soon as the table is wider
    /// than that: the caller then takes the other layout.
    pub fn table_rows(
        &self,
        rows: std::ops::Range<usize>,
        narrow: bool,
        room: usize,
        fit: Option<usize>,
        grid: &mut Grid,
    ) -> bool {
        let mut w = RowWriter::default();
        for g in rows {
            w.table_row(self.sas.get(g), self.esp_of(g), narrow, room, grid);
            if fit.is_some_and(|f| grid.natural_width() > f) {
                return false;
            }
        }
        true
    }

    /// The rows, in order of first appearance, then ESP without an IKE SA;
    /// built one at a time, so printing them keeps memory flat.
    pub fn rows(&self) -> impl Iterator<Item = SaRow> + '_ {
        (0..self.len()).map(|g| {
            let esp = self.esp_of(g).map(esp_row).collect();
            match self.sas.get(g) {
                Some(sa) => SaRow {
                    kind: "ike_sa",
                    spi_i: Some(sa.spis.initiator.to_hex()),
                    spi_r: Some(sa.spis.responder.to_hex()),
                    initiator: Some(capture::format_endpoint(&sa.initiator)),
                    responder: Some(capture::format_endpoint(&sa.responder)),
                    messages: sa.messages,
                    first_frame: Some(sa.first_frame),
                    last_frame: Some(sa.last_frame),
                    first_time: fmt_time(sa.first_time),
                    last_time: fmt_time(sa.last_time),
                    exchanges: sa
                        .exchange_counts()
                        .into_iter()
                        .map(|(n, c)| (n.into_owned(), serde_json::Value::from(c)))
                        .collect(),
                    notifies: sa.notifies.iter().map(|t| notify_name(*t).into()).collect(),
                    qcd_tokens: sa.qcd_tokens.iter().map(hex::encode).collect(),
                    esp,
                },
                None => SaRow {
                    kind: "esp_without_ike_sa",
                    spi_i: None,
                    spi_r: None,
                    initiator: None,
                    responder: None,
                    messages: 0,
                    first_frame: None,
                    last_frame: None,
                    first_time: None,
                    last_time: None,
                    exchanges: serde_json::Map::new(),
                    notifies: Vec::new(),
                    qcd_tokens: Vec::new(),
                    esp,
                },
            }
        })
    }
}

/// The header of the table's wide layout.
pub const TABLE_WIDE: [&str; 7] = [
    "IKE SA (SPI-I / SPI-R)",
    "initiator → responder",
    "messages",
    "exchanges",
    "notifies",
    "QCD tokens",
    "ESP SPIs",
];

/// The header of the table's narrow layout.
pub const TABLE_NARROW: [&str; 2] = ["IKE SA (SPI-I, SPI-R)", "what was seen"];

/// Formats rows without the general formatting machinery: numbers, hex,
/// IPv4 endpoints and times written straight into one buffer.
#[derive(Default)]
struct RowWriter {
    buf: String,
    times: Rfc3339Writer,
    num: itoa::Buffer,
}

/// Appends `s` as a JSON string (quoted and escaped).
fn push_json_str(out: &mut String, s: &str) {
    if s.bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
    {
        out.push('"');
        out.push_str(s);
        out.push('"');
    } else {
        // Rare (names are ASCII): serde_json's escaping.
        out.push_str(&serde_json::Value::from(s).to_string());
    }
}

impl RowWriter {
    fn key(&mut self, first: bool, key: &str) {
        if !first {
            self.buf.push(',');
        }
        self.buf.push('"');
        self.buf.push_str(key);
        self.buf.push_str("\":");
    }

    fn json_num(&mut self, key: &str, n: u64) {
        self.key(false, key);
        let RowWriter { buf, num, .. } = self;
        buf.push_str(num.format(n));
    }

    fn json_time(&mut self, key: &str, t: Option<Timestamp>) {
        if let Some(t) = t {
            self.key(false, key);
            self.buf.push('"');
            t.push_rfc3339(&mut self.times, &mut self.buf);
            self.buf.push('"');
        }
    }

    fn json_endpoint(&mut self, key: &str, a: &SocketAddr) {
        self.key(false, key);
        self.buf.push('"');
        capture::push_endpoint(&mut self.buf, a);
        self.buf.push('"');
    }

    fn json_sa<'a>(&mut self, sa: &SaAcc, esp: impl Iterator<Item = (&'a EspKey, &'a EspFlow)>) {
        self.buf.push_str("{\"kind\":\"ike_sa\",\"spi_i\":\"");
        push_hex(&mut self.buf, &sa.spis.initiator.0);
        self.buf.push_str("\",\"spi_r\":\"");
        push_hex(&mut self.buf, &sa.spis.responder.0);
        self.buf.push('"');
        self.json_endpoint("initiator", &sa.initiator);
        self.json_endpoint("responder", &sa.responder);
        self.json_num("messages", sa.messages);
        self.json_num("first_frame", sa.first_frame);
        self.json_num("last_frame", sa.last_frame);
        self.json_time("first_time", sa.first_time);
        self.json_time("last_time", sa.last_time);
        // Sorted by name, as the owned row's map is.
        let RowWriter { buf, num, .. } = self;
        buf.push_str(",\"exchanges\":{");
        push_joined(buf, ",", sa.exchange_counts(), |b, (name, count)| {
            push_json_str(b, &name);
            b.push(':');
            b.push_str(num.format(count));
        });
        buf.push_str("},\"notifies\":[");
        push_joined(buf, ",", &sa.notifies, |b, t| {
            push_json_str(b, &notify_name(*t))
        });
        buf.push_str("],\"qcd_tokens\":[");
        push_joined(buf, ",", &sa.qcd_tokens, |b, t| {
            b.push('"');
            push_hex(b, t);
            b.push('"');
        });
        buf.push(']');
        self.json_esp(esp);
        self.buf.push('}');
    }

    fn json_orphans<'a>(&mut self, esp: impl Iterator<Item = (&'a EspKey, &'a EspFlow)>) {
        self.buf.push_str(
            "{\"kind\":\"esp_without_ike_sa\",\"messages\":0,\"exchanges\":{},\"notifies\":[],\"qcd_tokens\":[]",
        );
        self.json_esp(esp);
        self.buf.push('}');
    }

    fn json_esp<'a>(&mut self, esp: impl Iterator<Item = (&'a EspKey, &'a EspFlow)>) {
        self.buf.push_str(",\"esp\":[");
        for (i, (k, f)) in esp.enumerate() {
            if i > 0 {
                self.buf.push(',');
            }
            // (Not push_joined: each flow's fields go through `self`.)
            self.buf.push_str("{\"spi\":\"");
            push_hex(&mut self.buf, &k.spi.to_be_bytes());
            self.buf.push('"');
            self.json_endpoint("src", &k.src);
            self.json_endpoint("dst", &k.dst);
            self.json_num("packets", f.packets);
            self.json_num("first_frame", f.first_frame);
            self.json_num("last_frame", f.last_frame);
            self.json_time("first_time", f.first_time);
            self.json_time("last_time", f.last_time);
            self.buf.push('}');
        }
        self.buf.push(']');
    }

    /// `first – last` (`?` for a missing time).
    fn span(
        &mut self,
        first: Option<Timestamp>,
        last: Option<Timestamp>,
        sep: &str,
        out: &mut String,
    ) {
        match first {
            Some(t) => t.push_rfc3339(&mut self.times, out),
            None => out.push('?'),
        }
        out.push_str(sep);
        match last {
            Some(t) => t.push_rfc3339(&mut self.times, out),
            None => out.push('?'),
        }
    }

    fn table_row<'a>(
        &mut self,
        sa: Option<&SaAcc>,
        esp: impl Iterator<Item = (&'a EspKey, &'a EspFlow)>,
        narrow: bool,
        room: usize,
        grid: &mut Grid,
    ) {
        let span_sep = if room >= 61 { " – " } else { "\n  – " };
        let list_sep = if narrow { ", " } else { "\n" };
        match sa {
            Some(sa) => {
                let c = grid.cell();
                push_hex(c, &sa.spis.initiator.0);
                c.push('\n');
                push_hex(c, &sa.spis.responder.0);
            }
            None => grid.cell().push_str("(no IKE message)"),
        }
        grid.end_cell();
        // The narrow layout stacks everything else in one cell: `line`
        // starts each of its lines.
        let mut first = true;
        let mut line = |grid: &mut Grid| {
            if !first {
                grid.cell().push('\n');
            }
            first = false;
        };
        if let Some(sa) = sa {
            if narrow {
                line(grid);
            }
            let c = grid.cell();
            capture::push_endpoint(c, &sa.initiator);
            c.push_str(if narrow { " → " } else { "\n→ " });
            capture::push_endpoint(c, &sa.responder);
            if narrow {
                line(grid);
            } else {
                grid.end_cell();
            }
            let c = grid.cell();
            c.push_str(self.num.format(sa.messages));
            if narrow {
                c.push_str(if sa.messages == 1 {
                    " message"
                } else {
                    " messages"
                });
            }
            c.push_str(" (frames ");
            c.push_str(self.num.format(sa.first_frame));
            c.push('–');
            c.push_str(self.num.format(sa.last_frame));
            c.push_str(if narrow { ")\n  " } else { ")\n" });
            let sep = if narrow { span_sep } else { "\n" };
            self.span(sa.first_time, sa.last_time, sep, grid.cell());
            if !narrow {
                grid.end_cell();
            }
            let exchanges = sa.exchange_counts();
            if narrow && !exchanges.is_empty() {
                line(grid);
            }
            let num = &mut self.num;
            push_joined(grid.cell(), list_sep, &exchanges, |c, (n, count)| {
                c.push_str(n);
                c.push_str(" ×");
                c.push_str(num.format(*count));
            });
            if !narrow {
                grid.end_cell();
            }
            if narrow && !sa.notifies.is_empty() {
                line(grid);
                grid.cell().push_str("notifies: ");
            }
            push_joined(grid.cell(), list_sep, &sa.notifies, |c, t| {
                c.push_str(&notify_name(*t))
            });
            if !narrow {
                grid.end_cell();
            }
            if narrow && !sa.qcd_tokens.is_empty() {
                line(grid);
                grid.cell().push_str("QCD tokens: ");
            }
            let num = &mut self.num;
            push_joined(grid.cell(), list_sep, &sa.qcd_tokens, |c, t| {
                if t.len() > 8 {
                    push_hex(c, &t[..8]);
                    c.push_str("… (");
                    c.push_str(num.format(t.len()));
                    c.push_str(" bytes)");
                } else {
                    push_hex(c, t);
                }
            });
            if !narrow {
                grid.end_cell();
            }
        } else if !narrow {
            // No peers, messages, exchanges, notifies or tokens.
            for _ in 0..5 {
                grid.end_cell();
            }
        }
        for (i, (k, f)) in esp.enumerate() {
            if narrow {
                line(grid);
            } else if i > 0 {
                grid.cell().push('\n');
            }
            let c = grid.cell();
            if narrow {
                c.push_str("ESP ");
            }
            push_hex(c, &k.spi.to_be_bytes());
            c.push(' ');
            push_esp_endpoint(c, &k.src);
            c.push_str(" → ");
            push_esp_endpoint(c, &k.dst);
            c.push_str(": ");
            c.push_str(self.num.format(f.packets));
            c.push_str(if f.packets == 1 {
                " packet\n  "
            } else {
                " packets\n  "
            });
            self.span(f.first_time, f.last_time, span_sep, grid.cell());
        }
        grid.end_cell();
    }
}

/// An ESP endpoint for the table: the port only for ESP in UDP (ESP in IP
/// protocol 50 has port 0 in the JSON).
fn push_esp_endpoint(out: &mut String, a: &SocketAddr) {
    capture::push_endpoint(out, a);
    if a.port() == 0 {
        out.truncate(out.len() - 2);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::synth_ike::{ike_heavy, IkeHeavySpec};
    use crate::capture::{CaptureReader, Event, Options};
    use crate::ikesa::digest::NotifySummary;

    /// The borrowed JSON rows say exactly what the owned rows say.
    #[test]
    fn json_rows_equal_the_owned_rows() {
        let capture = heavy(40);
        let mut r = reader(&capture);
        let mut s = Summary::new();
        while let Some(e) = r.next_event() {
            if let Event::Ike(m) = e {
                let (d, _) = summarize(&m.payload, None, Keep::AllTypes).unwrap();
                s.add(&d, m.frame, m.time, m.src, m.dst);
            }
        }
        let mut esp = r.take_esp_stats();
        // One flow between hosts without IKE: an orphan row.
        let (k, f) = esp.flows()[0];
        let k = EspKey {
            src: "203.0.113.9:0".parse().unwrap(),
            ..k
        };
        esp.record(k, f.first_frame + 1_000_000, f.first_time, 1);
        s.attach_esp(esp, false);
        assert_same_rows(&s, 41);
        let owned: Vec<SaRow> = s.rows().collect();
        assert_eq!(owned[40].kind, "esp_without_ike_sa");
        assert_eq!(owned[40].esp.len(), 1);
    }

    fn heavy(sas: u64) -> Vec<u8> {
        let mut buf = Vec::new();
        ike_heavy(
            &mut buf,
            &IkeHeavySpec {
                sas,
                ..IkeHeavySpec::default()
            },
        )
        .unwrap();
        buf
    }

    fn reader(capture: &[u8]) -> CaptureReader<'static> {
        CaptureReader::new(
            std::io::Cursor::new(capture.to_vec()),
            "t",
            Options::default(),
        )
        .unwrap()
    }

    /// The library operation reads what the loop above reads, and its
    /// filters keep the IKE SAs they name with their ESP, and no orphans.
    #[test]
    fn from_capture_and_its_filters() {
        let capture = heavy(40);
        let mut notes = Vec::new();
        let all =
            Summary::from_capture(&mut reader(&capture), None, SummaryFilter::default(), |n| {
                notes.push(n.to_string())
            });
        assert!(notes.is_empty(), "{notes:?}");
        assert_eq!(all.len(), 40);
        let rows: Vec<SaRow> = all.rows().collect();
        assert!(rows.iter().all(|r| r.esp.len() == 2 && r.kind == "ike_sa"));
        // Every 4th IKE SA has the QCD reply.
        let qcd = SummaryFilter {
            qcd: true,
            spi: None,
        };
        let q = Summary::from_capture(&mut reader(&capture), None, qcd, |_| {});
        let with_tokens = rows.iter().filter(|r| !r.qcd_tokens.is_empty()).count();
        assert_eq!(q.len(), with_tokens);
        assert!(with_tokens >= 10, "{with_tokens}");
        for r in q.rows() {
            assert!(!r.qcd_tokens.is_empty());
            assert!(
                r.messages < 8,
                "only the QCD messages are counted: {}",
                r.messages
            );
        }
        let by = |hex: &Option<String>| {
            let spi = Spi::parse(hex.as_deref().unwrap()).unwrap();
            let f = SummaryFilter {
                qcd: false,
                spi: Some(spi),
            };
            let s = Summary::from_capture(&mut reader(&capture), None, f, |_| {});
            s.rows().collect::<Vec<SaRow>>()
        };
        let o = by(&rows[7].spi_i);
        assert_eq!(o.len(), 1);
        assert_eq!(o[0].spi_r, rows[7].spi_r);
        assert_eq!(o[0].messages, rows[7].messages);
        assert_eq!(o[0].esp.len(), 2);
        // By SPI-R: the IKE_SA_INIT request (SPI-R still zero) is not counted.
        let o = by(&rows[7].spi_r);
        assert_eq!(o[0].messages, rows[7].messages - 1);
    }

    /// The NDJSON written by hand says exactly what the owned rows say
    /// through serde, key order included.
    fn assert_same_rows(s: &Summary, rows: usize) {
        let mut out = Vec::new();
        let written = s.write_json(&mut out).unwrap();
        assert_eq!(written, rows, "{}", String::from_utf8_lossy(&out));
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let owned: Vec<String> = s
            .rows()
            .map(|r| serde_json::to_string(&r).unwrap())
            .collect();
        assert_eq!(lines.len(), rows);
        assert_eq!(lines, owned);
    }

    fn notify(t: u16, data: &[u8]) -> NotifySummary {
        NotifySummary {
            notify_type: t,
            protocol_id: 0,
            spi: Vec::new(),
            data: data.to_vec(),
        }
    }

    /// The rare shapes: unknown exchange types, more notify types than
    /// are kept inline, short and long tokens, tokens inside SK, missing
    /// and nanosecond times, a filter that leaves flows out.
    #[test]
    fn rare_rows_equal_the_owned_rows() {
        use crate::capture::Precision;
        use crate::spi::Spi;
        let a: SocketAddr = "192.0.2.1:500".parse().unwrap();
        let b: SocketAddr = "[2001:db8::2]:4500".parse().unwrap();
        let spis = SpiPair {
            initiator: Spi([1; 8]),
            responder: Spi([2; 8]),
        };
        let mut s = Summary::new();
        let t = |n| Some(Timestamp::new(1_700_000_000, n, Precision::Nano));
        for (i, x) in [34u8, 240, 0, 240, 44, 37].into_iter().enumerate() {
            let d = IkeSummary {
                spis,
                exchange: x,
                initiator: i % 2 == 0,
                notifies: (0..9u16)
                    .map(|k| notify(20000 + k * 7 + i as u16, &[]))
                    .chain([notify(NotifyType::QCD_TOKEN.0, &[7; 8])])
                    .collect(),
                inner_notifies: Some(thin_vec::thin_vec![
                    notify(NotifyType::QCD_TOKEN.0, &[9; 64]),
                    notify(60000, &[]),
                ]),
                ..IkeSummary::default()
            };
            let time = if i == 3 {
                None
            } else {
                t(i as u64 * 1_000_000_007)
            };
            s.add(&d, i as u64 + 1, time, a, b);
        }
        let mut esp = EspStats::default();
        let k = |spi, src, dst| EspKey { spi, src, dst };
        esp.record(k(0xdead_beef, a, b), 7, None, 1);
        esp.record(k(1, b, a), 8, t(5), 1);
        esp.record(k(2, "10.9.9.9:0".parse().unwrap(), a), 9, t(6), 1);
        s.attach_esp(esp.clone(), false);
        assert_same_rows(&s, 2);
        let row = s.rows().next().unwrap();
        assert!(row.notifies.len() > 6, "{:?}", row.notifies);
        assert_eq!(row.qcd_tokens.len(), 2);
        assert!(
            row.exchanges.contains_key("private-use exchange type 240"),
            "{:?}",
            row.exchanges
        );
        assert_eq!(row.esp.len(), 2);
        // With a filter, ESP whose hosts have no listed IKE SA is left out.
        s.attach_esp(esp, true);
        assert_same_rows(&s, 1);
    }
}
