//! `qcd decode --summary`: one row per IKE SA of a capture (messages,
//! exchanges, notifies, QCD tokens) with the ESP flows between the same
//! hosts, grouped by the same [`SaIndex`] as the diagnosis.
//!
//! Cost: one index lookup per IKE message, one binary search per ESP flow;
//! memory per IKE SA, not per packet.

use std::net::SocketAddr;

use serde::Serialize;

use crate::capture::{self, EspFlow, EspKey, Timestamp};
use crate::ikesa::digest::IkeSummary;
use crate::ikesa::{HostPair, SaIndex};
use crate::spi::SpiPair;
use crate::wire::{ExchangeType, NotifyType};

use super::{DecodedMessage, DecodedPayload};

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
    notifies: Vec<u16>,
    qcd_tokens: Vec<Vec<u8>>,
    esp: Vec<(EspKey, EspFlow)>,
}

impl SaAcc {
    /// (exchange name, messages), sorted by name.
    fn exchange_counts(&self) -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64)> = (34u8..=37)
            .zip(self.exchanges)
            .filter(|&(_, c)| c > 0)
            .chain(self.other_exchanges.iter().copied())
            .map(|(x, c)| (ExchangeType(x).to_string(), u64::from(c)))
            .collect();
        v.sort();
        v
    }
}

/// The IKE SAs of a capture, as messages come (in capture order).
#[derive(Default)]
pub struct Summary {
    /// IKE SAs ordered by their first frame.
    index: SaIndex<u64>,
    sas: Vec<SaAcc>,
    orphan_esp: Vec<(EspKey, EspFlow)>,
}

fn fmt_time(t: Option<Timestamp>) -> Option<String> {
    t.map(|t| t.format_rfc3339())
}

fn esp_row((k, f): &(EspKey, EspFlow)) -> EspRow {
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
                notifies: Vec::new(),
                qcd_tokens: Vec::new(),
                esp: Vec::new(),
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

    /// Each ESP flow goes to the IKE SA between the same two hosts that was
    /// the latest to start before the flow's first packet (else the first
    /// one between them). With a filter (--qcd, --spi) flows whose hosts
    /// have no listed SA are left out.
    pub fn attach_esp(
        &mut self,
        flows: impl IntoIterator<Item = (EspKey, EspFlow)>,
        filtered: bool,
    ) {
        for (k, f) in flows {
            let hosts = HostPair::new(k.src.ip(), k.dst.ip());
            match self.index.current(hosts, f.first_frame) {
                Some(i) => self.sas[i].esp.push((k, f)),
                None if !filtered => self.orphan_esp.push((k, f)),
                None => {}
            }
        }
        // Each list in order of first appearance ((first frame, key) is unique).
        for sa in &mut self.sas {
            sa.esp.sort_unstable_by_key(|(k, f)| (f.first_frame, *k));
        }
        self.orphan_esp
            .sort_unstable_by_key(|(k, f)| (f.first_frame, *k));
    }

    /// Number of rows [`Summary::rows`] yields.
    pub fn len(&self) -> usize {
        self.sas.len() + usize::from(!self.orphan_esp.is_empty())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The rows as JSON objects, serialized straight from the accumulators
    /// (same keys and values as [`Summary::rows`], without building them).
    pub fn json_rows(&self) -> impl Iterator<Item = impl Serialize + '_> + '_ {
        self.sas
            .iter()
            .map(JsonRow::Sa)
            .chain((!self.orphan_esp.is_empty()).then_some(JsonRow::Orphans(&self.orphan_esp)))
    }

    /// The rows, in order of first appearance, then ESP without an IKE SA;
    /// built one at a time, so printing them keeps memory flat.
    pub fn rows(&self) -> impl Iterator<Item = SaRow> + '_ {
        let sas = self.sas.iter().map(|sa| SaRow {
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
                .map(|(n, c)| (n, serde_json::Value::from(c)))
                .collect(),
            notifies: sa
                .notifies
                .iter()
                .map(|t| NotifyType(*t).to_string())
                .collect(),
            qcd_tokens: sa.qcd_tokens.iter().map(hex::encode).collect(),
            esp: sa.esp.iter().map(esp_row).collect(),
        });
        let orphans = (!self.orphan_esp.is_empty()).then(|| SaRow {
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
            esp: self.orphan_esp.iter().map(esp_row).collect(),
        });
        sas.chain(orphans)
    }
}

/// A row of `--summary --json`, borrowed (see [`SaRow`] for the keys).
enum JsonRow<'a> {
    Sa(&'a SaAcc),
    Orphans(&'a [(EspKey, EspFlow)]),
}

/// `Display` as a JSON string value, formatted on the stack (short values:
/// addresses, SPIs, times), without an intermediate `String`.
struct Shown<T: std::fmt::Display>(T);

/// A 96-byte stack buffer for [`Shown`]; `None` once it overflowed.
struct StackBuf {
    buf: [u8; 96],
    len: Option<usize>,
}

impl std::fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let Some(len) = self.len else {
            return Ok(());
        };
        match self.buf.get_mut(len..len + s.len()) {
            Some(dst) => {
                dst.copy_from_slice(s.as_bytes());
                self.len = Some(len + s.len());
            }
            None => self.len = None,
        }
        Ok(())
    }
}

impl<T: std::fmt::Display> Serialize for Shown<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use std::fmt::Write as _;
        let mut b = StackBuf {
            buf: [0; 96],
            len: Some(0),
        };
        let _ = write!(b, "{}", self.0);
        match b.len.and_then(|n| std::str::from_utf8(&b.buf[..n]).ok()) {
            Some(text) => s.serialize_str(text),
            None => s.collect_str(&self.0),
        }
    }
}

struct Hex<'a>(&'a [u8]);

impl std::fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

struct EspJson<'a>(&'a (EspKey, EspFlow));

impl Serialize for EspJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let (k, f) = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("spi", &Shown(format_args!("{:08x}", k.spi)))?;
        m.serialize_entry("src", &Shown(k.src))?;
        m.serialize_entry("dst", &Shown(k.dst))?;
        m.serialize_entry("packets", &f.packets)?;
        m.serialize_entry("first_frame", &f.first_frame)?;
        m.serialize_entry("last_frame", &f.last_frame)?;
        if let Some(t) = f.first_time {
            m.serialize_entry("first_time", &Shown(t))?;
        }
        if let Some(t) = f.last_time {
            m.serialize_entry("last_time", &Shown(t))?;
        }
        m.end()
    }
}

struct Seq<I>(std::cell::Cell<Option<I>>);

impl<I: Iterator<Item = T>, T: Serialize> Serialize for Seq<I> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.take().into_iter().flatten())
    }
}

/// Name → count pairs as a JSON object.
struct Obj<'a>(&'a [(String, u64)]);

impl Serialize for Obj<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

fn seq<I: Iterator<Item = T>, T: Serialize>(i: I) -> Seq<I> {
    Seq(std::cell::Cell::new(Some(i)))
}

impl Serialize for JsonRow<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        match self {
            JsonRow::Sa(sa) => {
                m.serialize_entry("kind", "ike_sa")?;
                m.serialize_entry("spi_i", &Shown(Hex(&sa.spis.initiator.0)))?;
                m.serialize_entry("spi_r", &Shown(Hex(&sa.spis.responder.0)))?;
                m.serialize_entry("initiator", &Shown(sa.initiator))?;
                m.serialize_entry("responder", &Shown(sa.responder))?;
                m.serialize_entry("messages", &sa.messages)?;
                m.serialize_entry("first_frame", &sa.first_frame)?;
                m.serialize_entry("last_frame", &sa.last_frame)?;
                if let Some(t) = sa.first_time {
                    m.serialize_entry("first_time", &Shown(t))?;
                }
                if let Some(t) = sa.last_time {
                    m.serialize_entry("last_time", &Shown(t))?;
                }
                // Sorted by name, as the owned row's map is.
                m.serialize_entry("exchanges", &Obj(&sa.exchange_counts()))?;
                m.serialize_entry(
                    "notifies",
                    &seq(sa.notifies.iter().map(|t| Shown(NotifyType(*t)))),
                )?;
                m.serialize_entry(
                    "qcd_tokens",
                    &seq(sa.qcd_tokens.iter().map(|t| Shown(Hex(t)))),
                )?;
                m.serialize_entry("esp", &seq(sa.esp.iter().map(EspJson)))?;
            }
            JsonRow::Orphans(flows) => {
                m.serialize_entry("kind", "esp_without_ike_sa")?;
                m.serialize_entry("messages", &0)?;
                m.serialize_entry("exchanges", &Obj(&[]))?;
                m.serialize_entry("notifies", &[0u8; 0])?;
                m.serialize_entry("qcd_tokens", &[0u8; 0])?;
                m.serialize_entry("esp", &seq(flows.iter().map(EspJson)))?;
            }
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::synth_ike::{ike_heavy, IkeHeavySpec};
    use crate::capture::{CaptureReader, Event, Options};
    use crate::ikesa::digest::{summarize, Keep};

    /// The borrowed JSON rows say exactly what the owned rows say.
    #[test]
    fn json_rows_equal_the_owned_rows() {
        let mut buf = Vec::new();
        ike_heavy(
            &mut buf,
            &IkeHeavySpec {
                sas: 40,
                ..IkeHeavySpec::default()
            },
        )
        .unwrap();
        let mut r = CaptureReader::new(std::io::Cursor::new(buf), "t", Options::default()).unwrap();
        let mut s = Summary::new();
        while let Some(e) = r.next_event() {
            if let Event::Ike {
                frame,
                time,
                src,
                dst,
                payload,
                ..
            } = e
            {
                let (d, _) = summarize(&payload, None, Keep::AllTypes).unwrap();
                s.add(&d, frame, time, src, dst);
            }
        }
        let mut flows = r.esp_stats().flows();
        // One flow between hosts without IKE: an orphan row.
        let (mut k, f) = flows[0];
        k.src = "203.0.113.9:0".parse().unwrap();
        flows.push((k, f));
        s.attach_esp(flows, false);
        let owned: Vec<serde_json::Value> = s
            .rows()
            .map(|r| serde_json::to_value(&r).unwrap())
            .collect();
        let borrowed: Vec<serde_json::Value> = s
            .json_rows()
            .map(|r| serde_json::to_value(&r).unwrap())
            .collect();
        assert_eq!(owned.len(), 41);
        assert_eq!(owned, borrowed);
        // Key order too (the NDJSON contract prints them in this order).
        let a = serde_json::to_string(&s.rows().next().unwrap()).unwrap();
        let b = serde_json::to_string(&s.json_rows().next().unwrap()).unwrap();
        assert_eq!(a, b);
        assert!(owned[40]["kind"] == "esp_without_ike_sa");
    }
}
