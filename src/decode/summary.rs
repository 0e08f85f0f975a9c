//! `qcd decode --summary`: one row per IKE SA of a capture (messages,
//! exchanges, notifies, QCD tokens) with the ESP flows between the same
//! hosts, grouped by the same [`SaIndex`] as the diagnosis.
//!
//! Cost: one index lookup per IKE message and per ESP packet; memory per IKE
//! SA and per ESP flow, not per packet.

use std::net::SocketAddr;

use serde::Serialize;
use smallvec::SmallVec;

use crate::capture::{
    self, CaptureReader, EspFlow, EspKey, EspStats, Event, IkeDatagram, Timestamp,
};
use crate::decode::digest::{summarize, IkeSummary, Keep};
use crate::ikecrypto::KeyTable;
use crate::ikesa::{HostPair, SaId, SaIndex};
use crate::spi::{Spi, SpiPair};
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
        .any(|n| QCD_NOTIFIES.contains(&n.notify_type))
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
            if digest.first_payload != PayloadType::SKF || !keys_given {
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
    /// ESP packets (it turns the reader's ESP events on). `note` hears each
    /// warning as it comes (a progress bar can make room for it).
    pub fn from_capture(
        reader: &mut CaptureReader<'_>,
        keys: Option<&KeyTable>,
        filter: SummaryFilter,
        mut note: impl FnMut(SummaryNote),
    ) -> Summary {
        let mut summary = Summary::new();
        reader.yield_esp_events();
        while let Some(ev) = reader.next_event() {
            let d = match ev {
                Event::Warning(w) => {
                    note(SummaryNote::Capture(w));
                    continue;
                }
                Event::Esp {
                    frame,
                    time,
                    src,
                    dst,
                    spi,
                    seq,
                } => {
                    summary.add_esp(EspKey { spi, src, dst }, frame, time, seq);
                    continue;
                }
                Event::Icmp { .. } => continue,
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
        summary.finish_esp(filter.is_active());
        summary
    }
}

/// The [`EspStats`] group of ESP that passed before any IKE SA between its
/// hosts.
const EARLY: u32 = u32::MAX;

/// Adds a flow's packets seen before its IKE SA began (`early`) to the same
/// flow's packets under that SA.
fn merge_early(f: &mut EspFlow, early: EspFlow) {
    f.packets += early.packets;
    f.first_frame = early.first_frame;
    f.first_time = early.first_time;
    f.first_seq = early.first_seq;
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
    other_exchanges: Vec<(ExchangeType, u32)>,
    /// Notify types, in order of first appearance.
    notifies: SmallVec<[NotifyType; 6]>,
    qcd_tokens: Vec<Vec<u8>>,
}

impl SaAcc {
    /// (exchange name, messages), sorted by name.
    fn exchange_counts(&self) -> SmallVec<[(Label, u64); 4]> {
        let mut v: SmallVec<[(Label, u64); 4]> = USUAL_EXCHANGES
            .into_iter()
            .zip(self.exchanges)
            .filter(|&(_, c)| c > 0)
            .chain(self.other_exchanges.iter().copied())
            .map(|(x, c)| (exchange_name(x), u64::from(c)))
            .collect();
        v.sort_unstable();
        v
    }
}

/// The exchange types counted in [`SaAcc::exchanges`], in its order.
const USUAL_EXCHANGES: [ExchangeType; 4] = [
    ExchangeType::IKE_SA_INIT,
    ExchangeType::IKE_AUTH,
    ExchangeType::CREATE_CHILD_SA,
    ExchangeType::INFORMATIONAL,
];

/// An exchange type's name (from the registry, or its range and number).
fn exchange_name(x: ExchangeType) -> Label {
    label(x.name(), x)
}

/// A notify type's name (from the registry, or its range and number).
fn notify_name(t: NotifyType) -> Label {
    label(t.name(), t)
}

/// The IKE SAs of a capture, as messages come (in capture order).
#[derive(Default)]
pub struct Summary {
    /// IKE SAs ordered by their first frame.
    index: SaIndex<u64>,
    sas: Vec<SaAcc>,
    /// ESP by the IKE SA in force when each packet passed (the group is
    /// that SA, [`SaIndex::esp_owner`], the rule the diagnosis follows too),
    /// or [`EARLY`] between hosts that had no IKE SA yet.
    esp: EspStats,
    /// The last packet's hosts, the number of IKE SAs then, and its owner:
    /// a run of ESP between the same hosts with no new IKE SA has the same
    /// owner.
    last_owner: Option<(HostPair, usize, Option<SaId>)>,
    /// Built by [`Summary::finish_esp`]: every flow with its group (its IKE
    /// SA, or the flows without one after the last SA), ordered by group,
    /// then by first appearance; `esp_start[g]..esp_start[g + 1]` are group
    /// `g`'s.
    esp_flows: Vec<(usize, EspKey, EspFlow)>,
    esp_start: Vec<usize>,
}

fn fmt_time(t: Option<Timestamp>) -> Option<String> {
    t.map(|t| t.format_rfc3339())
}

fn esp_row((k, f): (&EspKey, &EspFlow)) -> EspRow {
    EspRow {
        spi: format!("{:08x}", k.spi),
        src: k.src.to_string(),
        dst: k.dst.to_string(),
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
    /// type: [`crate::decode::digest::Keep::AllTypes`]).
    pub fn add(
        &mut self,
        m: &IkeSummary,
        frame: u64,
        time: Option<Timestamp>,
        src: SocketAddr,
        dst: SocketAddr,
    ) {
        let (initiator, responder) = if m.initiator { (src, dst) } else { (dst, src) };
        let hosts = HostPair::new(src.ip(), dst.ip());
        let placed = if m.is_orphan_notice() {
            self.index.place_notice(m.spis, hosts, frame)
        } else {
            self.index.place(m.spis, hosts, frame)
        };
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
        match USUAL_EXCHANGES.iter().position(|&u| u == m.exchange) {
            Some(i) => sa.exchanges[i] += 1,
            None => match sa
                .other_exchanges
                .iter_mut()
                .find(|(t, _)| *t == m.exchange)
            {
                Some((_, c)) => *c += 1,
                None => sa.other_exchanges.push((m.exchange, 1)),
            },
        }
        for n in m.notifies.iter().chain(m.inner_notifies.iter().flatten()) {
            if !sa.notifies.contains(&n.notify_type) {
                sa.notifies.push(n.notify_type);
            }
            if n.notify_type == NotifyType::QCD_TOKEN && !sa.qcd_tokens.contains(&n.data) {
                sa.qcd_tokens.push(n.data.clone());
            }
        }
    }

    /// One ESP packet: it belongs to the IKE SA in force between its hosts
    /// as it passes ([`SaIndex::esp_owner`]), so a Child SA's packets are
    /// split across an IKE SA rekey exactly as `qcd diagnose` splits them.
    /// One index lookup and one flow lookup per packet.
    pub fn add_esp(&mut self, key: EspKey, frame: u64, time: Option<Timestamp>, seq: u32) {
        let hosts = HostPair::new(key.src.ip(), key.dst.ip());
        let owner = match self.last_owner {
            Some((h, n, owner)) if h == hosts && n == self.index.len() => owner,
            _ => {
                let owner = self.index.esp_owner(hosts, frame);
                self.last_owner = Some((hosts, self.index.len(), owner));
                owner
            }
        };
        let group = owner.map_or(EARLY, |sa| u32::try_from(sa).unwrap_or(EARLY - 1));
        self.esp.record_in(group, key, frame, time, seq);
    }

    /// Groups the ESP seen by [`Summary::add_esp`] under the IKE SAs: ESP
    /// that passed before any IKE SA between its hosts goes to the first one
    /// between them ([`SaIndex::esp_owner`] at its first frame), or to the
    /// row of ESP without an IKE SA; with a filter (--qcd, --spi) flows whose
    /// hosts have no listed SA are left out. Call once, after the last packet.
    pub fn finish_esp(&mut self, filtered: bool) {
        let orphans = self.sas.len();
        let esp = std::mem::take(&mut self.esp);
        let mut flat: Vec<(usize, EspKey, EspFlow)> = Vec::with_capacity(esp.len());
        let mut early = Vec::new();
        for (group, k, f) in esp.iter() {
            if group != EARLY {
                flat.push(((group as usize).min(orphans), *k, *f));
                continue;
            }
            let hosts = HostPair::new(k.src.ip(), k.dst.ip());
            match self.index.esp_owner(hosts, f.first_frame) {
                Some(sa) => early.push((sa, *k, *f)),
                None if !filtered => flat.push((orphans, *k, *f)),
                None => {}
            }
        }
        // ESP before the first IKE SA between its hosts joins the same
        // flow's packets under that SA (rare: a capture started mid-flow).
        if !early.is_empty() {
            let mut at: crate::ikesa::Map<(usize, EspKey), usize> = crate::ikesa::Map::default();
            for (i, (g, k, _)) in flat.iter().enumerate() {
                at.insert((*g, *k), i);
            }
            for (g, k, f) in early {
                match at.get(&(g, k)) {
                    Some(&i) => merge_early(&mut flat[i].2, f),
                    None => flat.push((g, k, f)),
                }
            }
        }
        // A flow's first packet is its own frame: the order is total.
        flat.sort_unstable_by_key(|(g, _, f)| (*g, f.first_frame));
        let mut start = vec![0usize; orphans + 2];
        for (g, _, _) in &flat {
            start[g + 1] += 1;
        }
        for g in 1..start.len() {
            start[g] += start[g - 1];
        }
        self.esp_flows = flat;
        self.esp_start = start;
    }

    /// The ESP flows of group `g` (IKE SA `g`, or the orphans after the last).
    fn esp_of(&self, g: usize) -> impl Iterator<Item = (&EspKey, &EspFlow)> + '_ {
        let range = match (self.esp_start.get(g), self.esp_start.get(g + 1)) {
            (Some(&a), Some(&b)) => a..b,
            _ => 0..0,
        };
        self.esp_flows[range].iter().map(|(_, k, f)| (k, f))
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
                    initiator: Some(sa.initiator.to_string()),
                    responder: Some(sa.responder.to_string()),
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

impl SaRow {
    /// The row's table cells: seven ([`TABLE_WIDE`]) or two
    /// ([`TABLE_NARROW`], everything but the SPIs stacked in one cell; a
    /// time span on one line when `room` columns fit it). SPIs, tokens and
    /// addresses are never broken inside.
    pub fn table_cells(&self, narrow: bool, room: usize) -> Vec<String> {
        let span_sep = if room >= 61 { " – " } else { "\n  – " };
        let span = |first: &Option<String>, last: &Option<String>, sep: &str| {
            format!(
                "{}{sep}{}",
                first.as_deref().unwrap_or("?"),
                last.as_deref().unwrap_or("?")
            )
        };
        let spis = match (&self.spi_i, &self.spi_r) {
            (Some(i), Some(r)) => format!("{i}\n{r}"),
            _ => "(no IKE message)".to_string(),
        };
        let plural = |n: u64, one: &str, many: &str| if n == 1 { one } else { many }.to_string();
        let esp: Vec<String> = self
            .esp
            .iter()
            .map(|f| {
                format!(
                    "{}{} {} → {}: {} {}\n  {}",
                    if narrow { "ESP " } else { "" },
                    f.spi,
                    esp_endpoint(&f.src),
                    esp_endpoint(&f.dst),
                    f.packets,
                    plural(f.packets, "packet", "packets"),
                    span(&f.first_time, &f.last_time, span_sep),
                )
            })
            .collect();
        let exchanges: Vec<String> = self
            .exchanges
            .iter()
            .map(|(name, count)| format!("{name} ×{count}"))
            .collect();
        let tokens: Vec<String> = self
            .qcd_tokens
            .iter()
            .map(|t| match t.get(..16) {
                Some(head) if t.len() > 16 => format!("{head}… ({} bytes)", t.len() / 2),
                _ => t.clone(),
            })
            .collect();
        let (Some(initiator), Some(responder), Some(first_frame), Some(last_frame)) = (
            &self.initiator,
            &self.responder,
            self.first_frame,
            self.last_frame,
        ) else {
            // ESP without an IKE SA: no peers, messages, exchanges, notifies or tokens.
            return if narrow {
                vec![spis, esp.join("\n")]
            } else {
                let mut cells = vec![spis];
                cells.extend(std::iter::repeat_n(String::new(), 5));
                cells.push(esp.join("\n"));
                cells
            };
        };
        let messages = format!(
            "{}{} (frames {first_frame}–{last_frame}){}{}",
            self.messages,
            if narrow {
                plural(self.messages, " message", " messages")
            } else {
                String::new()
            },
            if narrow { "\n  " } else { "\n" },
            span(
                &self.first_time,
                &self.last_time,
                if narrow { span_sep } else { "\n" }
            ),
        );
        if !narrow {
            return vec![
                spis,
                format!("{initiator}\n→ {responder}"),
                messages,
                exchanges.join("\n"),
                self.notifies.join("\n"),
                tokens.join("\n"),
                esp.join("\n"),
            ];
        }
        let mut lines = vec![format!("{initiator} → {responder}"), messages];
        if !exchanges.is_empty() {
            lines.push(exchanges.join(", "));
        }
        if !self.notifies.is_empty() {
            lines.push(format!("notifies: {}", self.notifies.join(", ")));
        }
        if !tokens.is_empty() {
            lines.push(format!("QCD tokens: {}", tokens.join(", ")));
        }
        lines.extend(esp);
        vec![spis, lines.join("\n")]
    }
}

/// An ESP endpoint for the table: the port only for ESP in UDP (ESP in IP
/// protocol 50 has port 0 in the JSON).
fn esp_endpoint(a: &str) -> &str {
    a.strip_suffix(":0").unwrap_or(a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::synth_ike::{ike_heavy, IkeHeavySpec};
    use crate::capture::{CaptureReader, Event, ReadOptions};
    use crate::decode::digest::NotifySummary;
    use crate::wire::ProtocolId;

    /// One row per IKE SA, then one for ESP between hosts without IKE.
    #[test]
    fn rows_are_the_ike_sas_then_orphan_esp() {
        let capture = heavy(40);
        let mut r = reader(&capture);
        let mut s = Summary::new();
        let mut first = None;
        while let Some(e) = r.next_event() {
            match e {
                Event::Ike(m) => {
                    let (d, _) = summarize(&m.payload, None, Keep::AllTypes).unwrap();
                    s.add(&d, m.frame, m.time, m.src, m.dst);
                }
                Event::Esp {
                    frame,
                    time,
                    src,
                    dst,
                    spi,
                    seq,
                } => {
                    first.get_or_insert((EspKey { spi, src, dst }, frame, time));
                    s.add_esp(EspKey { spi, src, dst }, frame, time, seq);
                }
                _ => {}
            }
        }
        // One flow between hosts without IKE: an orphan row.
        let (k, frame, time) = first.unwrap();
        let k = EspKey {
            src: "203.0.113.9:0".parse().unwrap(),
            ..k
        };
        s.add_esp(k, frame + 1_000_000, time, 1);
        s.finish_esp(false);
        assert_rows(&s, 41);
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
            ReadOptions {
                esp_events: true,
                ..ReadOptions::default()
            },
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

    /// `rows` rows, each with seven wide and two narrow table cells.
    fn assert_rows(s: &Summary, rows: usize) {
        assert_eq!(s.len(), rows);
        let all: Vec<SaRow> = s.rows().collect();
        assert_eq!(all.len(), rows);
        for r in &all {
            assert_eq!(r.table_cells(false, 80).len(), TABLE_WIDE.len());
            assert_eq!(r.table_cells(true, 80).len(), TABLE_NARROW.len());
        }
    }

    fn notify(t: NotifyType, data: &[u8]) -> NotifySummary {
        NotifySummary {
            notify_type: t,
            protocol_id: ProtocolId::NONE,
            spi: Vec::new(),
            data: data.to_vec(),
        }
    }

    /// The rare shapes: unknown exchange types, more notify types than
    /// are kept inline, short and long tokens, tokens inside SK, missing
    /// and nanosecond times, a filter that leaves flows out.
    #[test]
    fn rare_rows_keep_their_extras() {
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
        let exchanges = [
            ExchangeType::IKE_SA_INIT,
            ExchangeType(240),
            ExchangeType(0),
            ExchangeType(240),
            ExchangeType::IKE_FOLLOWUP_KE,
            ExchangeType::INFORMATIONAL,
        ];
        for (i, x) in exchanges.into_iter().enumerate() {
            let d = IkeSummary {
                spis,
                exchange: x,
                initiator: i % 2 == 0,
                notifies: (0..9u16)
                    .map(|k| notify(NotifyType(20000 + k * 7 + i as u16), &[]))
                    .chain([notify(NotifyType::QCD_TOKEN, &[7; 8])])
                    .collect(),
                inner_notifies: Some(thin_vec::thin_vec![
                    notify(NotifyType::QCD_TOKEN, &[9; 64]),
                    notify(NotifyType(60000), &[]),
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
        let k = |spi, src, dst| EspKey { spi, src, dst };
        let esp = |s: &mut Summary| {
            s.add_esp(k(0xdead_beef, a, b), 7, None, 1);
            s.add_esp(k(1, b, a), 8, t(5), 1);
            s.add_esp(k(2, "10.9.9.9:0".parse().unwrap(), a), 9, t(6), 1);
        };
        esp(&mut s);
        s.finish_esp(false);
        assert_rows(&s, 2);
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
        esp(&mut s);
        s.finish_esp(true);
        assert_rows(&s, 1);
    }
}
