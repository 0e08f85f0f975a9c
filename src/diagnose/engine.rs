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

/// Which end of an IKE SA sent a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Initiator = 0,
    Responder = 1,
}

impl Side {
    /// The side that sent a message placed by its SPIs (not an orphan).
    fn of_sender(m: &IkeSummary) -> Side {
        if m.initiator || (m.exchange == ExchangeType::IKE_SA_INIT && !m.response) {
            Side::Initiator
        } else {
            Side::Responder
        }
    }

    fn other(self) -> Side {
        match self {
            Side::Initiator => Side::Responder,
            Side::Responder => Side::Initiator,
        }
    }
    fn name(self) -> &'static str {
        match self {
            Side::Initiator => "initiator",
            Side::Responder => "responder",
        }
    }
}

/// The last packet a side sent, and how much ESP the other side had sent by then.
#[derive(Debug, Clone, Copy)]
struct LastSeen {
    frame: u64,
    time: SystemTime,
    esp: bool,
    /// ESP packets the other side had sent up to this packet.
    other_esp: u64,
}

/// One IKE message of an SA, with what was known just before it.
struct Rec {
    frame: u64,
    time: SystemTime,
    /// Indices into the SA's endpoint table.
    src: u8,
    dst: u8,
    side: Side,
    orphan: bool,
    m: IkeSummary,
    /// Last packet of each side before this message (kept for requests and
    /// INVALID_SPI: the messages an outage can be dated by).
    before: Option<Box<Snapshot>>,
}

/// What was known just before a message the outage may be dated by.
#[derive(Debug, Clone, Copy)]
struct Snapshot {
    /// Last packet of each side.
    last: [Option<LastSeen>; 2],
    /// ESP packets of each side.
    esp: [u64; 2],
}

impl Rec {
    fn last_before(&self, side: Side) -> Option<LastSeen> {
        self.before.as_ref().and_then(|b| b.last[side as usize])
    }

    fn esp_before(&self, side: Side) -> u64 {
        self.before.as_ref().map_or(0, |b| b.esp[side as usize])
    }

    fn is_request(&self) -> bool {
        !self.m.response && !self.orphan
    }
    fn tokens(&self) -> impl Iterator<Item = &NotifySummary> {
        self.m
            .notifies
            .iter()
            .chain(self.m.inner_notifies.iter().flatten())
            .filter(|n| n.notify_type == NotifyType::QCD_TOKEN)
    }
    fn plain_tokens(&self) -> impl Iterator<Item = &NotifySummary> {
        self.m
            .notifies
            .iter()
            .filter(|n| n.notify_type == NotifyType::QCD_TOKEN)
    }
    fn notable(&self) -> bool {
        let m = &self.m;
        m.exchange != ExchangeType::INFORMATIONAL
            || !m.notifies.is_empty()
            || m.inner_notifies.as_ref().is_some_and(|n| !n.is_empty())
            || !m.inner_deletes().is_empty()
            || m.decrypt_error().is_some()
            || self.orphan
    }
}

/// An ESP flow: source, destination, SPI.
type FlowKey = (IpAddr, IpAddr, u32);

/// Flows an IKE SA keeps before it indexes them in a map.
const FEW_FLOWS: usize = 8;

/// ESP of one SPI and direction, as attributed to one IKE SA.
#[derive(Debug, Clone)]
struct Flow {
    src: IpAddr,
    dst: IpAddr,
    spi: u32,
    packets: u64,
    first: (u64, SystemTime),
    last: (u64, SystemTime),
}

/// A decrypted IKE SA rekey: the CREATE_CHILD_SA response on the old SA.
#[derive(Debug, Clone)]
struct RekeyLink {
    old: SaId,
    frame: u64,
    time: SystemTime,
    /// Sender side of the response, in the *new* SA's terms, and its tokens.
    tokens: Vec<(IpAddr, Vec<u8>)>,
    /// Who sent the request (the new SA's initiator) and the response.
    from: SocketAddr,
    to: SocketAddr,
    certain: bool,
}

struct SaState {
    spis: SpiPair,
    hosts: HostPair,
    /// The initiator's and responder's endpoints, as indices into
    /// `endpoints` (a byte each instead of two socket addresses).
    ends: [u8; 2],
    start: SystemTime,
    /// Frame of the SA's first message.
    first_frame: u64,
    /// The suite the IKE_SA_INIT response chose.
    suite: Option<Suite>,
    starts_with_init: bool,
    /// Retained messages: the head and pinned ones, then the last few.
    kept: Vec<Rec>,
    /// Boxed: only long-lived SAs reach it, and the many short ones then
    /// carry one pointer instead of a deque.
    #[allow(clippy::box_collection)]
    tail: Option<Box<VecDeque<Rec>>>,
    pinned: u32,
    messages: u64,
    omitted: u64,
    /// Addresses each side used (MOBIKE may move an SA), a few at most.
    /// Every address and port the SA's messages used, and the side that
    /// owns it (MOBIKE may move a side); records name them by index.
    endpoints: Vec<(SocketAddr, Side)>,
    last: [Option<LastSeen>; 2],
    esp_count: [u64; 2],
    flows: Vec<Flow>,
    /// Index of `flows` once it is long (a few flows are searched in place).
    /// Boxed so that the many SAs with few flows carry one pointer, not a map.
    #[allow(clippy::box_collection)]
    flow_slots: Option<Box<Map<FlowKey, usize>>>,
    rekeyed_from: Option<Box<RekeyLink>>,
    replaced: Option<Box<(SystemTime, SaId, bool)>>,
    /// The last CREATE_CHILD_SA response that could not be decrypted
    /// (frame, time): a possible IKE SA rekey.
    undecrypted_ccsa: Option<Box<(u64, SystemTime)>>,
    /// ICMP errors quoting this SA's IKE or ESP (boxed: most SAs have none).
    icmp: Option<Box<IcmpSeen>>,
}

/// ICMP errors about one IKE SA: the first few, and how many in all.
#[derive(Default)]
struct IcmpSeen {
    kept: Vec<IcmpRec>,
    count: u64,
}

struct IcmpRec {
    frame: u64,
    time: SystemTime,
    /// The ICMP error's sender.
    from: IpAddr,
    error: IcmpError,
}

impl IcmpSeen {
    const KEEP: usize = 16;
}

impl SaState {
    fn new(
        spis: SpiPair,
        hosts: HostPair,
        src: SocketAddr,
        dst: SocketAddr,
        m: &IkeSummary,
        time: SystemTime,
    ) -> SaState {
        let (initiator, responder) = match Side::of_sender(m) {
            Side::Initiator => (src, dst),
            Side::Responder => (dst, src),
        };
        let endpoints = vec![(initiator, Side::Initiator), (responder, Side::Responder)];
        SaState {
            spis,
            hosts,
            ends: [0, 1],
            start: time,
            first_frame: 0,
            suite: None,
            starts_with_init: m.exchange == ExchangeType::IKE_SA_INIT && !m.response,
            kept: Vec::new(),
            tail: None,
            pinned: 0,
            messages: 0,
            omitted: 0,
            endpoints,
            last: [None, None],
            esp_count: [0, 0],
            flows: Vec::new(),
            flow_slots: None,
            rekeyed_from: None,
            replaced: None,
            undecrypted_ccsa: None,
            icmp: None,
        }
    }

    fn initiator(&self) -> Option<SocketAddr> {
        self.endpoints.get(usize::from(self.ends[0])).map(|e| e.0)
    }

    fn responder(&self) -> Option<SocketAddr> {
        self.endpoints.get(usize::from(self.ends[1])).map(|e| e.0)
    }

    /// Which side an address belongs to (by the addresses each side used).
    fn side_of(&self, src: IpAddr, dst: IpAddr) -> Side {
        let init = self.initiator().map(|a| a.ip());
        let resp = self.responder().map(|a| a.ip());
        if Some(src) == init || self.uses(Side::Initiator, src) {
            Side::Initiator
        } else if Some(src) == resp || self.uses(Side::Responder, src) {
            Side::Responder
        } else if Some(dst) == resp || self.uses(Side::Responder, dst) {
            Side::Initiator
        } else {
            Side::Responder
        }
    }

    fn ip(&self, side: Side) -> Option<IpAddr> {
        match side {
            Side::Initiator => self.initiator().map(|a| a.ip()),
            Side::Responder => self.responder().map(|a| a.ip()),
        }
    }

    /// Whether `side` used address `ip` in this SA's messages.
    fn uses(&self, side: Side, ip: IpAddr) -> bool {
        self.endpoints
            .iter()
            .any(|(e, s)| *s == side && e.ip() == ip)
    }

    /// The addresses `side` used.
    fn addresses(&self, side: Side) -> Vec<IpAddr> {
        let mut v: Vec<IpAddr> = Vec::new();
        for (e, s) in &self.endpoints {
            if *s == side && !v.contains(&e.ip()) {
                v.push(e.ip());
            }
        }
        v
    }

    /// A packet from `side`: updates the running "last packet" state.
    fn saw(&mut self, side: Side, frame: u64, time: SystemTime, esp: bool) {
        let other = side.other() as usize;
        self.last[side as usize] = Some(LastSeen {
            frame,
            time,
            esp,
            other_esp: self.esp_count[other],
        });
    }

    /// The index of `ep` in the endpoint table (the last slot is shared by
    /// every endpoint beyond 255, which only a hostile capture produces).
    fn endpoint_index(&mut self, ep: SocketAddr, side: Side) -> u8 {
        if let Some(i) = self.endpoints.iter().position(|e| *e == (ep, side)) {
            return i as u8;
        }
        if self.endpoints.len() < 255 {
            self.endpoints.push((ep, side));
            (self.endpoints.len() - 1) as u8
        } else {
            self.endpoints[254] = (ep, side);
            254
        }
    }

    fn endpoint(&self, i: u8) -> SocketAddr {
        self.endpoints[usize::from(i)].0
    }

    fn flow(&self, key: (IpAddr, IpAddr, u32)) -> Option<usize> {
        match &self.flow_slots {
            Some(map) => map.get(&key).copied(),
            None => self.flows.iter().position(|f| (f.src, f.dst, f.spi) == key),
        }
    }

    fn add_flow(&mut self, flow: Flow) {
        let key = (flow.src, flow.dst, flow.spi);
        if self.flows.len() == self.flows.capacity() {
            // Most IKE SAs carry one ESP flow each way: grow by two.
            self.flows.reserve_exact(2.max(self.flows.len() / 2));
        }
        self.flows.push(flow);
        let n = self.flows.len();
        match &mut self.flow_slots {
            Some(map) => {
                map.insert(key, n - 1);
            }
            None if n > FEW_FLOWS => {
                self.flow_slots = Some(Box::new(
                    self.flows
                        .iter()
                        .enumerate()
                        .map(|(i, f)| ((f.src, f.dst, f.spi), i))
                        .collect(),
                ));
            }
            None => {}
        }
    }

    fn push(&mut self, rec: Rec) {
        self.messages += 1;
        if self.kept.len() < HEAD {
            // Grow by half, not by doubling: most IKE SAs hold a handful of
            // messages, and a concentrator capture holds very many SAs.
            if self.kept.len() == self.kept.capacity() {
                // A lone message (an unanswered IKE_SA_INIT request: a
                // flood holds nothing else) takes one record; the usual IKE
                // SA, IKE_SA_INIT, IKE_AUTH and one more exchange (six
                // messages), fits the second allocation.
                let more = match self.kept.len() {
                    0 => 1,
                    1 => 5,
                    n => (n / 2).max(2),
                };
                self.kept.reserve_exact(more);
            }
            self.kept.push(rec);
        } else if rec.notable() && (self.pinned as usize) < PINNED {
            self.pinned += 1;
            self.kept.push(rec);
        } else {
            let tail = self.tail.get_or_insert_with(Default::default);
            tail.push_back(rec);
            if tail.len() > TAIL {
                tail.pop_front();
                self.omitted += 1;
            }
        }
    }

    /// One IKE message of this SA, sent by `side`.
    fn record(
        &mut self,
        frame: u64,
        time: SystemTime,
        (src, dst): (SocketAddr, SocketAddr),
        side: Side,
        orphan: bool,
        mut m: IkeSummary,
    ) {
        if self.messages == 0 {
            self.first_frame = frame;
        }
        if let Some(s) = m.negotiated() {
            self.suite = Some(s);
            // The suite lives in the SA; a digest holding nothing else rare
            // drops its box (one per IKE SA of a concentrator's capture).
            if let Some(r) = m.rare.as_deref_mut() {
                r.negotiated = None;
                if *r == crate::decode::digest::Rare::default() {
                    m.rare = None;
                }
            }
        }
        // Outages are dated by requests after the IKE SA is set up, and by
        // INVALID_SPI: only those keep what was known before them.
        let dated = (!m.response
            && !orphan
            && !matches!(
                m.exchange,
                ExchangeType::IKE_SA_INIT | ExchangeType::IKE_AUTH
            ))
            || m.notify(NotifyType::INVALID_SPI).is_some();
        let rec = Rec {
            frame,
            time,
            src: self.endpoint_index(src, side),
            dst: self.endpoint_index(dst, side.other()),
            side,
            orphan,
            before: dated.then(|| {
                Box::new(Snapshot {
                    last: self.last,
                    esp: self.esp_count,
                })
            }),
            m,
        };
        self.saw(side, frame, time, false);
        self.push(rec);
    }

    /// Retained messages in capture order.
    fn recs(&self) -> Vec<&Rec> {
        let mut v: Vec<&Rec> = self
            .kept
            .iter()
            .chain(self.tail.iter().flat_map(|t| t.iter()))
            .collect();
        // Frames increase in capture order and no two messages share one.
        v.sort_by_key(|r| r.frame);
        v
    }
}

/// An IKE SA as the engine holds it. Most IKE SAs of an IKE_SA_INIT flood
/// never get past their first request: those stay a [`Lone`] request (a
/// third of the memory) until a second message, ESP or a rekey needs the
/// whole state.
enum Slot {
    Lone(Box<Lone>),
    Full(Box<SaState>),
    /// Judged and printed while the stream goes on ([`Engine::settle`]):
    /// what the SAs judged after it read of it.
    Done(Box<release::Done>),
    /// Released long ago and forgotten by the index: its SPIs alone.
    Gone(SpiPair),
}

impl Slot {
    /// The whole state, built from the lone request on first use.
    fn full(&mut self) -> &mut SaState {
        if let Slot::Lone(lone) = self {
            *self = Slot::Full(Box::new(lone.expand()));
        }
        match self {
            Slot::Full(state) => state,
            Slot::Lone(_) => unreachable!("a lone request was just expanded"),
            Slot::Done(_) | Slot::Gone(_) => {
                unreachable!("no packet reaches a released IKE SA")
            }
        }
    }

    /// The whole state, when it is built ([`Reports`] builds it before
    /// judging an SA).
    fn state(&self) -> Option<&SaState> {
        match self {
            Slot::Full(state) => Some(state),
            Slot::Lone(_) | Slot::Done(_) | Slot::Gone(_) => None,
        }
    }

    fn spis(&self) -> SpiPair {
        match self {
            Slot::Lone(l) => l.spis,
            Slot::Full(s) => s.spis,
            Slot::Done(d) => d.spis,
            Slot::Gone(spis) => *spis,
        }
    }

    /// Frame of the SA's first message.
    fn first_frame(&self) -> u64 {
        match self {
            Slot::Lone(l) => l.frame,
            Slot::Full(s) => s.first_frame,
            Slot::Done(d) => d.first_frame,
            Slot::Gone(_) => 0,
        }
    }

    fn start(&self) -> SystemTime {
        match self {
            Slot::Lone(l) => l.time,
            Slot::Full(s) => s.start,
            Slot::Done(d) => d.start,
            Slot::Gone(_) => SystemTime::UNIX_EPOCH,
        }
    }

    fn starts_with_init(&self) -> bool {
        match self {
            Slot::Lone(_) => true,
            Slot::Full(s) => s.starts_with_init,
            Slot::Done(d) => d.starts_with_init,
            Slot::Gone(_) => false,
        }
    }

    fn initiator(&self) -> Option<SocketAddr> {
        match self {
            Slot::Lone(l) => Some(l.src),
            Slot::Full(s) => s.initiator(),
            Slot::Done(d) => d.initiator,
            Slot::Gone(_) => None,
        }
    }

    /// See [`SaState::undecrypted_ccsa`] and [`SaState::replaced`]: a lone
    /// request has neither.
    fn undecrypted_ccsa(&self) -> Option<(u64, SystemTime)> {
        match self {
            Slot::Done(d) => d.undecrypted_ccsa,
            Slot::Gone(_) => None,
            _ => self
                .state()
                .and_then(|s| s.undecrypted_ccsa.as_deref().copied()),
        }
    }

    fn is_replaced(&self) -> bool {
        match self {
            Slot::Done(d) => d.replaced,
            Slot::Gone(_) => true,
            _ => self.state().is_some_and(|s| s.replaced.is_some()),
        }
    }
}

/// An IKE SA of one plain IKE_SA_INIT request (no notify the diagnosis
/// keeps, nothing rare), from its initiator: all that [`SaState`] would
/// hold, rebuilt by [`Lone::expand`].
struct Lone {
    frame: u64,
    time: SystemTime,
    src: SocketAddr,
    dst: SocketAddr,
    spis: SpiPair,
    message_id: u32,
    first_payload: PayloadType,
    initiator_flag: bool,
}

impl Lone {
    /// The lone request of a new IKE SA, if `m` is one (else the SA needs
    /// its whole state from the start).
    fn of(
        frame: u64,
        time: SystemTime,
        (src, dst): (SocketAddr, SocketAddr),
        m: &IkeSummary,
    ) -> Option<Lone> {
        let lone = Lone {
            frame,
            time,
            src,
            dst,
            spis: m.spis,
            message_id: m.message_id,
            first_payload: m.first_payload,
            initiator_flag: m.initiator,
        };
        // Exactly what the digest said, or nothing.
        (lone.summary() == *m).then_some(lone)
    }

    fn summary(&self) -> IkeSummary {
        IkeSummary {
            spis: self.spis,
            message_id: self.message_id,
            exchange: ExchangeType::IKE_SA_INIT,
            initiator: self.initiator_flag,
            response: false,
            first_payload: self.first_payload,
            ..IkeSummary::default()
        }
    }

    /// The state [`Engine::create`] and [`Engine::record`] would have built.
    fn expand(&self) -> SaState {
        let m = self.summary();
        let hosts = HostPair::new(self.src.ip(), self.dst.ip());
        let mut state = SaState::new(self.spis, hosts, self.src, self.dst, &m, self.time);
        let side = Side::of_sender(&m);
        state.record(self.frame, self.time, (self.src, self.dst), side, false, m);
        state
    }
}

/// The streaming diagnosis.
pub struct Engine<'a> {
    opts: &'a Options<'a>,
    index: SaIndex,
    /// A box each (a lone request or a whole state): the list grows by
    /// doubling, and a doubled list of boxes costs far less than a doubled
    /// list of states (concentrator captures hold tens of thousands).
    sas: Vec<Slot>,
    /// ESP seen between two hosts before any IKE SA between them.
    pending_esp: Map<HostPair, Vec<(Flow, u64)>>,
    /// Decrypted rekeys waiting for the new IKE SA's first message.
    rekeys: Map<SpiPair, RekeyLink>,
    /// CREATE_CHILD_SA requests (SA, message id) → the new SPI they proposed.
    rekey_requests: Map<(SaId, u32), (Spi, SocketAddr, SocketAddr)>,
    last: Option<(u64, SystemTime)>,
    /// Follow mode: what releases verdicts while the stream is open
    /// ([`Engine::follow`]); `None` in file mode.
    settle: Option<Box<release::Settle>>,
    /// Tests turn lone requests off, to hold them to the whole state.
    #[cfg(test)]
    whole_states: bool,
}

impl<'a> Engine<'a> {
    pub fn new(opts: &'a Options<'a>) -> Engine<'a> {
        Engine {
            opts,
            index: SaIndex::new(),
            sas: Vec::new(),
            pending_esp: Map::default(),
            rekeys: Map::default(),
            rekey_requests: Map::default(),
            last: None,
            settle: None,
            #[cfg(test)]
            whole_states: false,
        }
    }

    /// Whether a new IKE SA's first message may be kept as a [`Lone`]
    /// request.
    fn lone_allowed(&self, spis: SpiPair, hosts: HostPair) -> bool {
        #[cfg(test)]
        if self.whole_states {
            return false;
        }
        // Nothing else attaches to it yet: no rekey that created it, no ESP
        // that waited for an IKE SA between its hosts.
        !self.rekeys.contains_key(&spis) && !self.pending_esp.contains_key(&hosts)
    }

    fn tick(&mut self, frame: u64, time: SystemTime) {
        self.last = Some((frame, time));
    }

    /// One IKE message.
    pub fn ike(
        &mut self,
        frame: u64,
        time: SystemTime,
        src: SocketAddr,
        dst: SocketAddr,
        m: IkeSummary,
    ) {
        self.tick(frame, time);
        let hosts = HostPair::new(src.ip(), dst.ip());
        let known = self.index.find(m.spis);
        let previous = self.index.current(hosts, time);
        let orphan = known.is_none() && !m.encrypted && m.notify(NotifyType::INVALID_SPI).is_some();
        let sa = if orphan {
            match self.index.current(hosts, time) {
                Some(s) => s,
                None => {
                    let s = self.index.new_sa(hosts, time);
                    self.create(s, previous, hosts, (src, dst), &m, time);
                    self.started(s, time);
                    s
                }
            }
        } else {
            match self.index.place(m.spis, hosts, time) {
                Placed::New { sa } => {
                    if self.lone_allowed(m.spis, hosts) {
                        if let Some(lone) = Lone::of(frame, time, (src, dst), &m) {
                            debug_assert_eq!(sa, self.sas.len());
                            self.sas.push(Slot::Lone(Box::new(lone)));
                            self.started(sa, time);
                            return;
                        }
                    }
                    self.create(sa, previous, hosts, (src, dst), &m, time);
                    self.started(sa, time);
                    sa
                }
                Placed::Known { sa, completed } => {
                    if self.is_released(sa) {
                        self.count_after_verdict();
                        return;
                    }
                    if completed {
                        self.sas[sa].full().spis = m.spis;
                    }
                    sa
                }
            }
        };
        if self.is_released(sa) {
            self.count_after_verdict();
            return;
        }
        let evidence = self.settle.is_some()
            && !m.encrypted
            && (m.notify(NotifyType::INVALID_SPI).is_some()
                || m.notify(NotifyType::INVALID_IKE_SPI).is_some()
                || m.notify(NotifyType::QCD_TOKEN).is_some());
        let init_answer =
            self.settle.is_some() && m.exchange == ExchangeType::IKE_SA_INIT && m.response;
        self.record(sa, frame, time, src, dst, orphan, m);
        if evidence {
            self.alarm(sa, hosts);
        }
        if init_answer {
            self.answered(sa, hosts, frame, time);
        }
    }

    fn create(
        &mut self,
        sa: SaId,
        previous: Option<SaId>,
        hosts: HostPair,
        (src, dst): (SocketAddr, SocketAddr),
        m: &IkeSummary,
        time: SystemTime,
    ) {
        debug_assert_eq!(sa, self.sas.len());
        let spis = m.spis;
        let mut state = SaState::new(spis, hosts, src, dst, m, time);
        if let Some(link) = self.rekeys.remove(&spis) {
            // A decrypted rekey created this SA: it is in force from the
            // rekey response on, initiated by whoever sent the request.
            state.ends = [
                state.endpoint_index(link.from, Side::Initiator),
                state.endpoint_index(link.to, Side::Responder),
            ];
            self.index.restart(sa, hosts, time, link.time);
            state.start = link.time;
            if !self.is_released(link.old) {
                self.sas[link.old].full().replaced = Some(Box::new((link.time, sa, true)));
            }
            state.rekeyed_from = Some(Box::new(link));
        } else if !state.starts_with_init && m.exchange != ExchangeType::IKE_AUTH {
            // An IKE SA that appears in the middle, right after an IKE SA
            // between the same hosts ran a CREATE_CHILD_SA we could not read:
            // probably that SA's rekey (only the keys can tell).
            if let Some(p) = previous {
                if let Some((f, t)) = self.sas[p].undecrypted_ccsa() {
                    if !self.sas[p].is_replaced() && !self.is_released(p) {
                        let old = self.sas[p].full();
                        old.replaced = Some(Box::new((t, sa, false)));
                        state.rekeyed_from = Some(Box::new(RekeyLink {
                            old: p,
                            frame: f,
                            time: t,
                            tokens: Vec::new(),
                            from: old.initiator().unwrap_or(src),
                            to: old.responder().unwrap_or(dst),
                            certain: false,
                        }));
                    }
                }
            }
        }
        // ESP seen between these hosts before any IKE SA goes to the first one.
        if let Some(flows) = self.pending_esp.remove(&hosts) {
            for (flow, _) in flows {
                let side = state.side_of(flow.src, flow.dst);
                state.esp_count[side as usize] += flow.packets;
                state.add_flow(flow);
            }
        }
        self.sas.push(Slot::Full(Box::new(state)));
    }

    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        sa: SaId,
        frame: u64,
        time: SystemTime,
        src: SocketAddr,
        dst: SocketAddr,
        orphan: bool,
        m: IkeSummary,
    ) {
        let state = self.sas[sa].full();
        let side = if orphan {
            state.side_of(src.ip(), dst.ip())
        } else {
            Side::of_sender(&m)
        };
        // Rekeys: remember requests proposing a new IKE SPI, link responses.
        if m.exchange == ExchangeType::CREATE_CHILD_SA && m.encrypted {
            match (m.response, m.new_ike_spi(), m.inner_notifies.is_some()) {
                (false, Some(spi), _) => {
                    self.rekey_requests
                        .insert((sa, m.message_id), (spi, src, dst));
                }
                (true, Some(spi_r), _) => {
                    if let Some((spi_i, from, to)) = self.rekey_requests.remove(&(sa, m.message_id))
                    {
                        let tokens = m
                            .inner_notifies
                            .iter()
                            .flatten()
                            .filter(|n| n.notify_type == NotifyType::QCD_TOKEN)
                            .map(|n| (src.ip(), n.data.clone()))
                            .collect();
                        self.rekeys.insert(
                            SpiPair::new(spi_i, spi_r),
                            RekeyLink {
                                old: sa,
                                frame,
                                time,
                                tokens,
                                from,
                                to,
                                certain: true,
                            },
                        );
                    }
                }
                (true, None, false) => state.undecrypted_ccsa = Some(Box::new((frame, time))),
                _ => {}
            }
        }
        state.record(frame, time, (src, dst), side, orphan, m);
    }

    /// One ESP packet.
    pub fn esp(
        &mut self,
        frame: u64,
        time: SystemTime,
        src: SocketAddr,
        dst: SocketAddr,
        spi: u32,
    ) {
        self.tick(frame, time);
        let hosts = HostPair::new(src.ip(), dst.ip());
        let key = (src.ip(), dst.ip(), spi);
        let Some(sa) = self.index.current(hosts, time) else {
            let list = self.pending_esp.entry(hosts).or_default();
            match list.iter_mut().find(|(f, _)| (f.src, f.dst, f.spi) == key) {
                Some((f, _)) => {
                    f.packets += 1;
                    f.last = (frame, time);
                }
                None => list.push((
                    Flow {
                        src: key.0,
                        dst: key.1,
                        spi,
                        packets: 1,
                        first: (frame, time),
                        last: (frame, time),
                    },
                    0,
                )),
            }
            return;
        };
        if self.is_released(sa) {
            self.count_after_verdict();
            return;
        }
        let state = self.sas[sa].full();
        let side = state.side_of(src.ip(), dst.ip());
        state.saw(side, frame, time, true);
        state.esp_count[side as usize] += 1;
        match state.flow(key) {
            Some(i) => {
                let f = &mut state.flows[i];
                f.packets += 1;
                f.last = (frame, time);
            }
            None => state.add_flow(Flow {
                src: key.0,
                dst: key.1,
                spi,
                packets: 1,
                first: (frame, time),
                last: (frame, time),
            }),
        }
    }

    /// One ICMP/ICMPv6 error quoting an IKE or ESP packet, sent by `from`:
    /// it belongs to the IKE SA in force between the quoted packet's hosts.
    pub fn icmp(&mut self, frame: u64, time: SystemTime, from: IpAddr, error: IcmpError) {
        self.tick(frame, time);
        let hosts = HostPair::new(error.quoted_src.ip(), error.quoted_dst.ip());
        let Some(sa) = self.index.current(hosts, time) else {
            return;
        };
        let seen = self.sas[sa]
            .full()
            .icmp
            .get_or_insert_with(Default::default);
        seen.count += 1;
        if seen.kept.len() < IcmpSeen::KEEP {
            seen.kept.push(IcmpRec {
                frame,
                time,
                from,
                error,
            });
        }
    }

    /// Judges every IKE SA, one at a time, in order of first appearance.
    /// `end` is the capture's last frame and time (the last packet given to
    /// the engine when `None`). Each SA's records are freed once it is
    /// judged, so printing as the reports come keeps memory flat.
    pub fn finish(self, end: Option<(u64, SystemTime)>) -> Reports<'a> {
        let end = end.or(self.last);
        let left = self.sas.len() - self.released();
        Reports {
            engine: self,
            next: 0,
            end,
            left,
        }
    }
}

/// The reports of [`Engine::finish`], judged on demand.
pub struct Reports<'a> {
    engine: Engine<'a>,
    next: usize,
    end: Option<(u64, SystemTime)>,
    /// IKE SAs still to judge (those released in follow mode are not).
    left: usize,
}

impl ExactSizeIterator for Reports<'_> {}

impl Iterator for Reports<'_> {
    type Item = SaReport;

    fn next(&mut self) -> Option<SaReport> {
        while self
            .engine
            .sas
            .get(self.next)
            .is_some_and(|s| matches!(s, Slot::Done(_) | Slot::Gone(_)))
        {
            self.next += 1;
        }
        let i = self.next;
        if i >= self.engine.sas.len() {
            return None;
        }
        self.next += 1;
        self.left -= 1;
        // A lone request is judged in its whole state, then kept lone (the
        // SAs judged after it read its SPIs, start and initiator).
        let lone = match &self.engine.sas[i] {
            Slot::Lone(l) => {
                let whole = Slot::Full(Box::new(l.expand()));
                Some(std::mem::replace(&mut self.engine.sas[i], whole))
            }
            Slot::Full(_) | Slot::Done(_) | Slot::Gone(_) => None,
        };
        let report = Judge::new(&self.engine, i, self.end).run();
        match lone {
            Some(lone) => self.engine.sas[i] = lone,
            None => {
                let sa = self.engine.sas[i].full();
                sa.kept = Vec::new();
                sa.tail = None;
                sa.flows = Vec::new();
                sa.flow_slots = None;
            }
        }
        Some(report)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

/// Who lost state, who should notice, and when the outage showed.
#[derive(Clone)]
struct Outage {
    taker: IpAddr,
    maker: IpAddr,
    maker_side: Side,
    at: SystemTime,
    frame: u64,
    evidence: String,
    /// The maker's last packet before the outage showed, and how much ESP
    /// the taker sent from then until the evidence.
    maker_last: Option<LastSeen>,
    taker_esp_at_evidence: u64,
}

/// A gap as people write it: `0.8 s`, `14 s`, then `2m 30s`, `1h 5m`.
fn secs(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 9_950 {
        format!("{:.1} s", d.as_secs_f64())
    } else if ms < 59_500 {
        format!("{:.0} s", d.as_secs_f64())
    } else {
        crate::timefmt::format_duration_coarse(Duration::from_secs(d.as_secs_f64().round() as u64))
    }
}

fn since(later: SystemTime, earlier: SystemTime) -> Duration {
    later.duration_since(earlier).unwrap_or_default()
}

fn exchange_name(x: ExchangeType) -> std::borrow::Cow<'static, str> {
    match x {
        ExchangeType::IKE_SA_INIT => "IKE_SA_INIT".into(),
        ExchangeType::IKE_AUTH => "IKE_AUTH".into(),
        ExchangeType::CREATE_CHILD_SA => "CREATE_CHILD_SA".into(),
        ExchangeType::INFORMATIONAL => "INFORMATIONAL".into(),
        other => format!("exchange {}", other.0).into(),
    }
}

fn short_hex(b: &[u8]) -> String {
    if b.len() <= 8 {
        hex::encode(b)
    } else {
        format!("{}… ({} bytes)", hex::encode(&b[..8]), b.len())
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn time_text(t: SystemTime) -> String {
    crate::timefmt::format_rfc3339_precise(t)
}

/// The largest SK body an empty payload can have: a 16-octet IV, one
/// 16-octet block of padding and a 32-octet ICV (HMAC-SHA2-512-256).
const EMPTY_SK_MAX: usize = 64;

/// What an INFORMATIONAL request is, in plain words.
fn informational_kind(m: &IkeSummary, last_word: bool, suite: Option<Suite>) -> String {
    if let Some(inner) = &m.inner_notifies {
        if m.inner_empty() == Some(true) {
            return "empty: a liveness check".into();
        }
        if !m.inner_deletes().is_empty() {
            let parts: Vec<String> = m
                .inner_deletes()
                .iter()
                .map(|d| match d.protocol_id {
                    ProtocolId::IKE => "a Delete of the IKE SA".to_string(),
                    ProtocolId::AH => format!(
                        "a Delete of {}",
                        plural(u64::from(d.spis), "AH SA", "AH SAs")
                    ),
                    ProtocolId::ESP => format!(
                        "a Delete of {}",
                        plural(u64::from(d.spis), "ESP SA", "ESP SAs")
                    ),
                    p => format!("a Delete (protocol {})", p.0),
                })
                .collect();
            return format!("{}: not a liveness check", parts.join(" and "));
        }
        if m.inner_other.is_empty()
            && !inner.is_empty()
            && inner.iter().all(|n| {
                matches!(
                    n.notify_type,
                    NotifyType::NAT_DETECTION_SOURCE_IP | NotifyType::NAT_DETECTION_DESTINATION_IP
                )
            })
        {
            return "NAT detection only: a liveness check with MOBIKE's address check".into();
        }
        let mut names: Vec<String> = inner.iter().map(|n| n.notify_type.to_string()).collect();
        names.extend(m.inner_other.iter().map(|t| format!("{t}")));
        return format!("holds {}", names.join(", "));
    }
    let Some(n) = m.sk_body_len.map(|n| n as usize) else {
        return "unprotected".into();
    };
    // With the suite from IKE_SA_INIT the size of an empty SK body is known.
    if let Some((suite, empty)) = suite.and_then(|s| Some((s, s.empty_body_len()?))) {
        let (_, block, _) = suite.overhead().unwrap_or((0, 1, 0));
        let name = suite.describe();
        return if n > empty {
            format!(
                "not decrypted; its {n}-byte SK body holds about {} octets more than an empty one under {name}: not a bare liveness check (NAT detection, a Delete, configuration…)",
                n - empty
            )
        } else if block > 1 && last_word {
            format!("not decrypted; its {n}-byte SK body is the smallest under {name} (IV, one block, ICV), and nothing follows on this IKE SA: probably a Delete of the IKE SA, which fits that block too (--keys would tell)")
        } else if block > 1 {
            format!("not decrypted; its {n}-byte SK body is the smallest under {name} (IV, one block, ICV): probably an empty liveness check (a Delete of the IKE SA would fit that block too; --keys would tell)")
        } else {
            format!("not decrypted; its {n}-byte SK body is exactly IV, Pad Length and ICV under {name}: an empty liveness check")
        };
    }
    if n <= EMPTY_SK_MAX && last_word {
        format!(
            "not decrypted; its {n}-byte SK body is as small as an empty one, and nothing follows on this IKE SA: probably a Delete of the IKE SA (a liveness check has the same size; --keys would tell)"
        )
    } else if n <= EMPTY_SK_MAX {
        format!(
            "not decrypted; its {n}-byte SK body fits only IV, padding and ICV: probably an empty liveness check (a Delete of the IKE SA would be as small; --keys would tell)"
        )
    } else {
        format!(
            "not decrypted; its {n}-byte SK body carries content: probably not a bare liveness check (a Delete, NAT detection or configuration)"
        )
    }
}

/// The judgement of one IKE SA.
struct Judge<'e, 'a> {
    engine: &'e Engine<'a>,
    /// This SA's index in `engine.sas`.
    id: SaId,
    sa: &'e SaState,
    /// The SA's endpoints, formatted once.
    ep_text: Vec<String>,
    /// The suite negotiated in IKE_SA_INIT (sizes SK payloads without keys).
    suite: Option<Suite>,
    recs: Vec<&'e Rec>,
    end: Option<(u64, SystemTime)>,
    events: Vec<Event>,
    notes: Vec<String>,
    times: crate::timefmt::Rfc3339Writer,
}

struct Given {
    /// (sender address, token).
    tokens: Vec<(IpAddr, Vec<u8>)>,
    /// Whether the maker side's exchange was decrypted (so "no token" is known).
    decrypted_from: Vec<IpAddr>,
    /// "IKE_AUTH" or "the IKE SA rekey".
    source: &'static str,
}

/// What a verdict adds to the report.
struct Judged {
    verdict: Verdict,
    reason: String,
    action: String,
    maker_answered: Option<bool>,
    takers: Vec<TakerView>,
    new_sa: Option<String>,
}

impl Judged {
    fn new(verdict: Verdict, reason: String, action: &str) -> Judged {
        Judged {
            verdict,
            reason,
            action: action.to_string(),
            maker_answered: None,
            takers: Vec::new(),
            new_sa: None,
        }
    }
}

/// How a reason or note begins a statement about the capture's end.
pub(crate) const CAPTURE_ENDS: &str = "the capture ends";

const ACT_LIVENESS: &str = "make the taker probe the old IKE SA when ESP draws INVALID_SPI or inbound traffic stops (a liveness check: strongSwan dpd_delay, libreswan dpddelay), so the maker can answer with its token";
const ACT_SILENT: &str = "a token maker must answer requests for unknown IKE SPIs with INVALID_IKE_SPI and QCD_TOKEN: only Rockhopper and the racoon2 fork do; strongSwan, libreswan and OpenBSD iked stay silent, so with them rely on the taker's liveness-check timeout (dpd_delay/dpddelay)";
const ACT_SILENT_ROCKHOPPER: &str = "on the Rockhopper gateway, check that QCD is on (`<ikesa qcd_enabled=\"enable\"/>` in main.xml, no `qcd_enabled_time` limit that had run out) and that the daemon can read its secret file /home/rhpprotected/config/qcd_secret (mode 0700, owned by the daemon); its event log shows QCD errors; if the host itself was down, the taker's liveness-check timeout is what recovered";
const ACT_NO_TOKEN: &str = "enable QCD as token maker on the gateway and check that it can read its QCD secret (Rockhopper: /home/rhpprotected/config/qcd_secret; racoon2 fork: /var/lib/racoon2/qcd.secret)";
const ACT_MISMATCH: &str =
    "persist the maker's QCD secret across reboots and keep previous generations after a rotation";
const ACT_NOT_IN_USE: &str = "enable QCD on the maker (only Rockhopper and the racoon2 fork implement it); without it the taker recovers only by its liveness-check timeout";
const ACT_TAKER: &str = "enable QCD as token taker on the peer and check that it kept the token from IKE_AUTH; see the taker notes below for the rules a real taker applies";

impl<'e, 'a> Judge<'e, 'a> {
    /// The endpoint a message names by index.
    fn ep(&self, i: u8) -> SocketAddr {
        self.sa.endpoint(i)
    }

    fn new(engine: &'e Engine<'a>, id: SaId, end: Option<(u64, SystemTime)>) -> Self {
        let Some(sa) = engine.sas[id].state() else {
            unreachable!("Reports builds an SA's whole state before judging it")
        };
        Judge {
            engine,
            id,
            ep_text: sa.endpoints.iter().map(|(e, _)| e.to_string()).collect(),
            suite: sa.suite,
            sa,
            recs: sa.recs(),
            end,
            events: Vec::new(),
            notes: Vec::new(),
            times: crate::timefmt::Rfc3339Writer::new(),
        }
    }

    fn opts(&self) -> &Options<'a> {
        self.engine.opts
    }

    fn event(&mut self, frame: u64, at: SystemTime, what: String) {
        self.events.push(Event {
            frame,
            time: self.times.precise(at),
            what,
            at,
        });
    }

    /// Whether nothing but the answer follows `r` on this IKE SA (no later
    /// request, no ESP), as after a Delete of the IKE SA.
    fn last_word(&self, r: &Rec) -> bool {
        let answer = self.recs.iter().find(|q| {
            q.frame > r.frame
                && q.m.response
                && q.side != r.side
                && q.m.message_id == r.m.message_id
        });
        let Some(answer) = answer else {
            return false;
        };
        let latest = self.sa.last.iter().flatten().map(|l| l.time).max();
        latest.is_some_and(|t| t <= answer.time)
            && !self.recs.iter().any(|q| q.frame > answer.frame)
    }

    fn describe(&self, r: &Rec) -> String {
        let m = &r.m;
        if r.orphan {
            let n = m
                .notify(NotifyType::INVALID_SPI)
                .expect("orphans carry INVALID_SPI");
            let spi = if n.spi.is_empty() { &n.data } else { &n.spi };
            return format!(
                "unprotected INVALID_SPI from {} for ESP SPI {} ({} → {}; IKE SPIs {} {} belong to no IKE SA)",
                self.ep(r.src).ip(),
                hex::encode(spi),
                self.ep(r.src),
                self.ep(r.dst),
                m.spis.initiator,
                m.spis.responder
            );
        }
        use std::fmt::Write as _;
        let dir = if m.response { "response" } else { "request" };
        let mut what = String::with_capacity(128);
        let _ = write!(
            what,
            "{} {} from the {} ({} → {}), message id {}",
            exchange_name(m.exchange),
            dir,
            r.side.name(),
            self.ep_text[usize::from(r.src)],
            self.ep_text[usize::from(r.dst)],
            m.message_id
        );
        if m.exchange == ExchangeType::INFORMATIONAL && !m.response && m.encrypted {
            what.push_str(&format!(
                " ({})",
                informational_kind(m, self.last_word(r), self.suite)
            ));
        }
        if let Some(n) = m.notify(NotifyType::INVALID_SPI) {
            let spi = if n.spi.is_empty() { &n.data } else { &n.spi };
            what.push_str(&format!(
                "; unprotected INVALID_SPI for ESP SPI {}",
                hex::encode(spi)
            ));
        }
        if m.notify(NotifyType::INVALID_IKE_SPI).is_some() {
            let tokens: Vec<&NotifySummary> = r.plain_tokens().collect();
            if tokens.is_empty() {
                what.push_str("; INVALID_IKE_SPI without QCD_TOKEN");
            }
            for t in tokens {
                what.push_str(&format!(
                    "; INVALID_IKE_SPI with QCD_TOKEN {}",
                    short_hex(&t.data)
                ));
            }
        } else {
            for t in r.plain_tokens() {
                what.push_str(&format!(
                    "; unprotected QCD_TOKEN {} without INVALID_IKE_SPI",
                    short_hex(&t.data)
                ));
            }
        }
        if m.encrypted {
            match (&m.inner_notifies, m.decrypt_error()) {
                (Some(inner), _) => {
                    for n in inner
                        .iter()
                        .filter(|n| n.notify_type == NotifyType::QCD_TOKEN)
                    {
                        what.push_str(&format!("; gives QCD_TOKEN {}", short_hex(&n.data)));
                    }
                    // With AUTH the IKE SA is up; errors concern the Child SA.
                    let child = m.inner_other.contains(PayloadType::AUTH);
                    for n in inner.iter().filter(|n| n.notify_type.is_error()) {
                        let t = n.notify_type;
                        if child {
                            what.push_str(&format!(
                                "; the Child SA was not created: {t} (the IKE SA is up)"
                            ));
                        } else {
                            what.push_str(&format!("; error {t}"));
                        }
                    }
                }
                (None, Some(e)) if e.wrong_keys => {
                    what.push_str(&format!("; SK not decrypted: {}", e.text))
                }
                _ => {}
            }
        }
        if !m.encrypted {
            for n in m.notifies.iter().filter(|n| {
                n.notify_type.is_error()
                    && n.notify_type != NotifyType::INVALID_SPI
                    && n.notify_type != NotifyType::INVALID_IKE_SPI
            }) {
                what.push_str(&format!("; error {}", n.notify_type));
            }
        }
        if !m.vendor_ids().is_empty() {
            let names: Vec<String> = m.vendor_ids().iter().map(|v| vendor_text(v)).collect();
            what.push_str(&format!("; Vendor ID {}", names.join(", ")));
        }
        what
    }

    fn run(mut self) -> SaReport {
        let sa = self.sa;
        // A copy of the references: describing a message looks at the others.
        let recs = self.recs.clone();
        self.events.reserve(recs.len() + 4);
        for r in recs {
            let what = self.describe(r);
            self.event(r.frame, r.time, what);
        }
        if let Some(link) = &sa.rekeyed_from {
            let old = self.engine.sas[link.old].spis();
            let what = if link.certain {
                let mut w = format!(
                    "this IKE SA replaces IKE SA {} {} (CREATE_CHILD_SA rekey response from {})",
                    old.initiator, old.responder, link.to
                );
                for (_, t) in &link.tokens {
                    w.push_str(&format!("; gives QCD_TOKEN {}", short_hex(t)));
                }
                w
            } else {
                format!(
                    "this IKE SA probably replaces IKE SA {} {}: it appears without IKE_SA_INIT after that SA's CREATE_CHILD_SA, which was not decrypted (--keys with that SA's keys would tell)",
                    old.initiator, old.responder
                )
            };
            self.event(link.frame, link.time, what);
        }
        if let Some(seen) = &sa.icmp {
            for i in &seen.kept {
                let what = icmp_text(i);
                self.event(i.frame, i.time, what);
            }
            if seen.count > seen.kept.len() as u64 {
                self.notes.push(format!(
                    "{} more ICMP errors about this IKE SA not shown",
                    seen.count - seen.kept.len() as u64
                ));
            }
        }
        for f in &sa.flows {
            self.notes.push(format!(
                "ESP {} → {} SPI {:08x}: {}, frames {}–{}",
                f.src,
                f.dst,
                f.spi,
                plural(f.packets, "packet", "packets"),
                f.first.0,
                f.last.0
            ));
        }
        for t in self.recs.iter().flat_map(|r| r.tokens()) {
            if t.protocol_id == ProtocolId::IKE {
                self.notes.push("a QCD_TOKEN has Protocol ID 1, the value RFC 6290 gave before erratum 3449 corrected it to 0; takers ignore the field".into());
            }
            if !t.spi.is_empty() {
                self.notes.push(format!(
                    "a QCD_TOKEN has an SPI of {} bytes where RFC 6290 says SPI size 0",
                    t.spi.len()
                ));
            }
            if !(MIN_TOKEN_LEN..=MAX_TOKEN_LEN).contains(&t.data.len()) {
                self.notes.push(format!(
                    "a QCD_TOKEN carries {} bytes of token data, outside RFC 6290's 16 to 128 (Rockhopper's taker rejects it)",
                    t.data.len()
                ));
            }
        }
        let (outage, judged) = self.judge();
        let mut events = std::mem::take(&mut self.events);
        events.sort_by_key(|e| (e.at, e.frame));
        let mut notes: Vec<String> = Vec::with_capacity(self.notes.len());
        for n in std::mem::take(&mut self.notes) {
            if !notes.contains(&n) {
                notes.push(n);
            }
        }
        let replaced = sa.replaced.as_deref().map(|&(_, n, c)| {
            let s = self.engine.sas[n].spis();
            (format!("{} {}", s.initiator, s.responder), c)
        });
        let capture_end_said = self.end.map(|e| e.1).filter(|_| {
            judged.reason.contains(CAPTURE_ENDS) || notes.iter().any(|n| n.contains(CAPTURE_ENDS))
        });
        SaReport {
            spi_i: sa.spis.initiator.to_string(),
            spi_r: sa.spis.responder.to_string(),
            initiator: sa.initiator().map(|a| a.to_string()),
            responder: sa.responder().map(|a| a.to_string()),
            verdict: judged.verdict,
            reason: judged.reason,
            action: judged.action,
            outage: outage.map(|o| OutageReport {
                frame: o.frame,
                time: time_text(o.at),
                evidence: o.evidence,
                maker: o.maker.to_string(),
                taker: o.taker.to_string(),
                at: o.at,
            }),
            maker_answered: judged.maker_answered,
            takers: judged.takers,
            replaced_by: replaced.as_ref().map(|r| r.0.clone()),
            replaced_certain: replaced.map(|r| r.1),
            replaced_at: sa.replaced.as_deref().map(|r| r.0),
            new_sa: judged.new_sa,
            notes,
            capture_end: capture_end_said,
            events,
            events_omitted: sa.omitted,
        }
    }

    /// The first IKE_AUTH (or later) failure, or `None` when the SA was
    /// established (or was already established when the capture began).
    fn establishment(&self) -> Result<(), (String, bool)> {
        let sa = self.sa;
        if sa.rekeyed_from.is_some() {
            return Ok(());
        }
        let first = self.recs.first();
        let setup = first.is_some_and(|r| {
            matches!(
                r.m.exchange,
                ExchangeType::IKE_SA_INIT | ExchangeType::IKE_AUTH
            )
        });
        if !setup {
            return Ok(());
        }
        let auth_response = self
            .recs
            .iter()
            .rev()
            .find(|r| r.m.exchange == ExchangeType::IKE_AUTH && r.m.response);
        if let Some(r) = auth_response {
            let errors: Vec<NotifyType> =
                r.m.inner_notifies
                    .iter()
                    .flatten()
                    .chain(r.m.notifies.iter())
                    .map(|n| n.notify_type)
                    .filter(|t| t.is_error())
                    .collect();
            // With an AUTH payload the IKE SA is up even when the Child SA
            // failed (NO_PROPOSAL_CHOSEN, TS_UNACCEPTABLE…: RFC 7296 §1.2).
            if r.m.inner_other.contains(PayloadType::AUTH) {
                return Ok(());
            }
            if let Some(&e) = errors.first() {
                return Err((
                    format!(
                        "the IKE_AUTH response (frame {}) carries {}: authentication failed, so no IKE SA was established",
                        r.frame, e
                    ),
                    false,
                ));
            }
            return Ok(());
        }
        // Any protected exchange after IKE_AUTH means it succeeded.
        if self.recs.iter().any(|r| {
            matches!(
                r.m.exchange,
                ExchangeType::CREATE_CHILD_SA | ExchangeType::INFORMATIONAL
            ) && r.m.encrypted
                && r.m.response
        }) {
            return Ok(());
        }
        let init_requests = self
            .recs
            .iter()
            .filter(|r| r.m.exchange == ExchangeType::IKE_SA_INIT && !r.m.response)
            .count();
        let init_response = self
            .recs
            .iter()
            .rev()
            .find(|r| r.m.exchange == ExchangeType::IKE_SA_INIT && r.m.response);
        let auth_request = self
            .recs
            .iter()
            .find(|r| r.m.exchange == ExchangeType::IKE_AUTH && !r.m.response);
        let (who_i, who_r) = (
            sa.initiator()
                .map(|a| a.ip().to_string())
                .unwrap_or_default(),
            sa.responder()
                .map(|a| a.ip().to_string())
                .unwrap_or_default(),
        );
        let end_note = |t: SystemTime| -> String {
            match self.end {
                Some((_, e)) if since(e, t) < self.opts().silence => format!(
                    " (the capture ends {} later, so an answer may still have come)",
                    secs(since(e, t))
                ),
                _ => String::new(),
            }
        };
        // Cut off by the capture's end: the set-up is in progress, not failed.
        let cut_off = self
            .recs
            .last()
            .is_some_and(|r| !end_note(r.time).is_empty());
        let failed = |why: String| Err((why, false));
        let waiting = |why: String| Err((why, cut_off));
        match (init_response, auth_request) {
            (None, None) => waiting(format!(
                "{who_r} never answered {who_i}'s IKE_SA_INIT request ({} sent){}",
                plural(init_requests as u64, "request", "requests"),
                self.recs.last().map(|r| end_note(r.time)).unwrap_or_default()
            )),
            (Some(r), None) => {
                let errors: Vec<NotifyType> = r
                    .m
                    .notifies
                    .iter()
                    .map(|n| n.notify_type)
                    .filter(|t| t.is_error())
                    .collect();
                match errors.first() {
                    Some(&e) => failed(format!(
                        "IKE_SA_INIT failed: {who_r} answered {} (frame {})",
                        e,
                        r.frame
                    )),
                    None => waiting(format!(
                        "the capture shows no IKE_AUTH after the IKE_SA_INIT response (frame {}){}",
                        r.frame,
                        end_note(r.time)
                    )),
                }
            }
            // Without the IKE_SA_INIT response the capture is one-sided,
            // not cut off.
            (_, Some(a)) => Err((format!(
                "the capture shows no IKE_AUTH response to {who_i}'s IKE_AUTH request (frame {}){}{}",
                a.frame,
                if init_response.is_none() {
                    format!("; it holds no message from {who_r} at all: was it taken on one side only, or filtered?")
                } else {
                    String::new()
                },
                end_note(a.time)
            ), cut_off && init_response.is_some())),
        }
    }

    /// The tokens the maker gave the taker when the IKE SA was set up.
    fn given(&self) -> Given {
        let mut g = Given {
            tokens: Vec::new(),
            decrypted_from: Vec::new(),
            source: "IKE_AUTH",
        };
        if let Some(link) = &self.sa.rekeyed_from {
            g.source = "the IKE SA rekey";
            if link.certain {
                g.tokens.extend(link.tokens.iter().cloned());
                g.decrypted_from.push(link.to.ip());
            }
        }
        for r in &self.recs {
            let m = &r.m;
            let carries = match m.exchange {
                ExchangeType::IKE_AUTH => g.source == "IKE_AUTH",
                // A taker that rekeyed may send its new token in a separate INFORMATIONAL.
                ExchangeType::INFORMATIONAL => true,
                _ => false,
            };
            if !carries || !m.encrypted {
                continue;
            }
            if let Some(inner) = &m.inner_notifies {
                // "No token" is known only from an authenticated decryption:
                // unchecked keys could have given garbage.
                if m.exchange == ExchangeType::IKE_AUTH
                    && !m.unverified()
                    && !g.decrypted_from.contains(&self.ep(r.src).ip())
                {
                    g.decrypted_from.push(self.ep(r.src).ip());
                }
                for n in inner
                    .iter()
                    .filter(|n| n.notify_type == NotifyType::QCD_TOKEN)
                {
                    g.tokens.push((self.ep(r.src).ip(), n.data.clone()));
                }
            }
        }
        g
    }

    fn wrong_keys(&self) -> Option<&'e Rec> {
        self.recs
            .iter()
            .copied()
            .find(|r| r.m.decrypt_error().is_some_and(|e| e.wrong_keys))
    }

    /// The earliest evidence of an outage, and a note when the capture ends
    /// before an open request could have been answered.
    fn outage(&mut self, closed: Option<SystemTime>) -> Option<Outage> {
        let sa = self.sa;
        let silence = self.opts().silence;
        let end_time = self.end.map(|e| e.1);
        let mut best: Option<Outage> = None;
        let consider = |o: Outage, best: &mut Option<Outage>| {
            if best.as_ref().is_none_or(|b| o.at < b.at) {
                *best = Some(o);
            }
        };
        let in_force = |t: SystemTime| closed.is_none_or(|c| t < c);
        // (a) INVALID_SPI; (b) INVALID_IKE_SPI, dated at the request it answers.
        if let Some(r) = self
            .recs
            .iter()
            .find(|r| r.m.notify(NotifyType::INVALID_SPI).is_some() && in_force(r.time))
        {
            consider(
                Outage {
                    taker: self.ep(r.dst).ip(),
                    maker: self.ep(r.src).ip(),
                    maker_side: r.side,
                    at: r.time,
                    frame: r.frame,
                    evidence: format!("INVALID_SPI from {}", self.ep(r.src).ip()),
                    maker_last: r.last_before(r.side),
                    taker_esp_at_evidence: r.esp_before(r.side.other()),
                },
                &mut best,
            );
        }
        if let Some(r) = self.recs.iter().find(|r| {
            !r.m.encrypted && r.m.notify(NotifyType::INVALID_IKE_SPI).is_some() && in_force(r.time)
        }) {
            let copies = || {
                self.recs.iter().copied().filter(|q| {
                    q.frame < r.frame
                        && q.side != r.side
                        && q.is_request()
                        && q.m.message_id == r.m.message_id
                })
            };
            // The outage dates from the first copy; the reply answers the
            // latest (re)transmission before it.
            let first = copies().min_by_key(|q| (q.time, q.frame));
            let answered = copies().max_by_key(|q| (q.frame, q.time));
            let at = first.unwrap_or(r);
            consider(
                Outage {
                    taker: self.ep(r.dst).ip(),
                    maker: self.ep(r.src).ip(),
                    maker_side: r.side,
                    at: at.time,
                    frame: at.frame,
                    evidence: format!(
                        "INVALID_IKE_SPI from {} (frame {}){}",
                        self.ep(r.src).ip(),
                        r.frame,
                        match (first, answered) {
                            (Some(f), Some(q)) if f.frame != q.frame => format!(
                                ", answering the request of frame {} (a retransmission of frame {})",
                                q.frame, f.frame
                            ),
                            (_, Some(q)) => format!(", answering the request of frame {}", q.frame),
                            _ => String::new(),
                        }
                    ),
                    maker_last: at.last_before(r.side),
                    taker_esp_at_evidence: at.esp_before(r.side.other()),
                },
                &mut best,
            );
        }
        // (c) A request never answered, retransmitted or left open longer than the silence window.
        let mut open_at_end: Option<&Rec> = None;
        for (i, r) in self.recs.iter().enumerate() {
            if !r.is_request()
                || !in_force(r.time)
                || matches!(
                    r.m.exchange,
                    ExchangeType::IKE_SA_INIT | ExchangeType::IKE_AUTH
                )
            {
                continue;
            }
            let later = &self.recs[i + 1..];
            let answered = later
                .iter()
                .any(|q| q.m.response && q.side != r.side && q.m.message_id == r.m.message_id);
            if answered {
                continue;
            }
            // Only the first copy of a retransmitted request counts.
            if self.recs[..i].iter().any(|q| {
                q.is_request()
                    && q.side == r.side
                    && q.m.message_id == r.m.message_id
                    && q.m.exchange == r.m.exchange
            }) {
                continue;
            }
            let retransmitted = later
                .iter()
                .any(|q| q.is_request() && q.side == r.side && q.m.message_id == r.m.message_id);
            let waited = end_time.map(|e| since(e, r.time));
            if !retransmitted && waited.is_some_and(|w| w < silence) {
                open_at_end.get_or_insert(r);
                continue;
            }
            let maker_side = r.side.other();
            consider(
                Outage {
                    taker: self.ep(r.src).ip(),
                    maker: self.ep(r.dst).ip(),
                    maker_side,
                    at: r.time,
                    frame: r.frame,
                    evidence: format!(
                        "{} stopped answering IKE requests (message id {} from {} got no response)",
                        self.ep(r.dst).ip(),
                        r.m.message_id,
                        self.ep(r.src).ip()
                    ),
                    maker_last: r.last_before(maker_side),
                    taker_esp_at_evidence: r.esp_before(r.side),
                },
                &mut best,
            );
            break;
        }
        // (d) Silence: a side that sent ESP, then nothing, while the other kept sending.
        for quiet in [Side::Initiator, Side::Responder] {
            let talker = quiet.other();
            let (Some(lq), Some(lt)) = (sa.last[quiet as usize], sa.last[talker as usize]) else {
                continue;
            };
            if sa.esp_count[quiet as usize] == 0 || !in_force(lq.time) {
                continue;
            }
            let gap = since(lt.time, lq.time);
            if gap > silence {
                let (Some(q_ip), Some(t_ip)) = (sa.ip(quiet), sa.ip(talker)) else {
                    continue;
                };
                consider(
                    Outage {
                        taker: t_ip,
                        maker: q_ip,
                        maker_side: quiet,
                        at: lq.time,
                        frame: lq.frame,
                        evidence: format!(
                            "{q_ip} went silent (its last packet, frame {}) while {t_ip} kept sending for {}",
                            lq.frame,
                            secs(gap)
                        ),
                        maker_last: Some(lq),
                        taker_esp_at_evidence: lq.other_esp,
                    },
                    &mut best,
                );
            }
        }
        if let (Some(r), None) = (open_at_end, &best) {
            let e = end_time.expect("checked");
            self.notes.push(format!(
                "the capture ends {} after {}'s request of frame {} (message id {}), before an answer was due: not counted as an outage",
                secs(since(e, r.time)),
                self.ep(r.src).ip(),
                r.frame,
                r.m.message_id
            ));
        }
        best
    }

    /// When a decrypted Delete of this IKE SA was sent (the SA ended normally).
    fn closed(&self) -> Option<(&'e Rec, SystemTime)> {
        self.recs
            .iter()
            .copied()
            .find(|r| {
                r.is_request()
                    && r.m
                        .inner_deletes()
                        .iter()
                        .any(|d| d.protocol_id == ProtocolId::IKE)
            })
            .map(|r| (r, r.time))
    }

    fn judge(&mut self) -> (Option<Outage>, Judged) {
        let sa = self.sa;
        if let Err((why, cut_off)) = self.establishment() {
            if cut_off {
                return (
                    None,
                    Judged::new(
                        Verdict::InProgress,
                        format!("set-up in progress when the capture ends: {why}"),
                        "",
                    ),
                );
            }
            return (
                None,
                Judged::new(
                    Verdict::NotEstablished,
                    format!("never established: {why}"),
                    "look at the IKE_SA_INIT/IKE_AUTH exchange on both gateways (their logs); QCD starts only once an IKE SA is up",
                ),
            );
        }
        let closed = self.closed();
        let outage = self.outage(closed.map(|c| c.1));
        // The rekey that replaced this SA is told in words as `replaced_by`
        // tells it in JSON, even when a Delete follows.
        let rekeyed_text = sa.replaced.as_deref().map(|&(_, n, certain)| {
            let new = self.engine.sas[n].spis();
            if certain {
                format!("rekeyed into IKE SA {} {}", new.initiator, new.responder)
            } else {
                format!(
                    "probably rekeyed into IKE SA {} {}",
                    new.initiator, new.responder
                )
            }
        });
        if let Some((r, _)) = closed {
            if outage.is_none() {
                let deleted = format!(
                    "closed by a Delete of the IKE SA from {} (frame {}); no outage before it",
                    self.ep(r.src).ip(),
                    r.frame
                );
                let reason = match &rekeyed_text {
                    Some(t) => format!("{t}, then {deleted}"),
                    None => deleted,
                };
                return (None, Judged::new(Verdict::Healthy, reason, ""));
            }
        }
        // An SA replaced by a rekey: later evidence concerns its successor.
        if let Some(&(t_rep, n, certain)) = sa.replaced.as_deref() {
            if outage.as_ref().is_none_or(|o| o.at >= t_rep) {
                let new = self.engine.sas[n].spis();
                let reason = if certain {
                    format!(
                        "rekeyed into IKE SA {} {} before any outage",
                        new.initiator, new.responder
                    )
                } else {
                    format!(
                        "probably rekeyed into IKE SA {} {} before any outage: that SA appears right after this one's CREATE_CHILD_SA, which was not decrypted; pass --keys with this SA's keys to confirm the link and read the token given in the rekey",
                        new.initiator, new.responder
                    )
                };
                return (None, Judged::new(Verdict::Healthy, reason, ""));
            }
        }
        let Some(o) = outage else {
            let mut j = Judged::new(
                Verdict::Healthy,
                "no outage seen: no INVALID_SPI or INVALID_IKE_SPI, every IKE request was answered, and neither side fell silent".into(),
                "",
            );
            let given = self.given();
            if let (Some(r), true) = (sa.responder(), self.opts().keys_given) {
                if given.decrypted_from.contains(&r.ip())
                    && !given.tokens.iter().any(|(ip, _)| *ip == r.ip())
                {
                    self.notes.push(format!(
                        "{} gave no QCD_TOKEN in {}: QCD is not in use on that side, so a crash there would be detected only by liveness-check timeouts",
                        r.ip(),
                        given.source
                    ));
                }
            }
            j.action.clear();
            return (None, j);
        };
        if let Some(l) = o.maker_last {
            let kind = if l.esp { "ESP" } else { "IKE" };
            let gap = since(o.at, l.time);
            let mut what = format!("last packet from {} before the outage ({kind})", o.maker);
            let taker_esp = o.taker_esp_at_evidence.saturating_sub(l.other_esp);
            if taker_esp > 0 && gap > Duration::from_millis(500) {
                what.push_str(&format!(
                    "; {} kept sending ESP to it: {} in the {} until the outage showed",
                    o.taker,
                    plural(taker_esp, "packet", "packets"),
                    secs(gap)
                ));
            }
            self.event(l.frame, l.time, what);
        }
        self.notes.push(format!(
            "outage: {}; token maker (B) = {}, token taker (A) = {}",
            o.evidence, o.maker, o.taker
        ));
        if let Some(n) = self.restart_window(&o) {
            self.notes.push(n);
        }
        let judged = self.after_outage(&o);
        (Some(o), judged)
    }

    fn wants(&self, t: Taker) -> bool {
        self.opts().taker.is_none_or(|x| x == t)
    }

    /// Walks the recovery steps: liveness check, INVALID_IKE_SPI + QCD_TOKEN,
    /// token validity, new IKE SA.
    fn after_outage(&mut self, o: &Outage) -> Judged {
        let (a, b) = (o.taker, o.maker);
        let sa = self.sa;
        let taker_side = o.maker_side.other();
        if let Some(r) = self.wrong_keys() {
            let text =
                r.m.decrypt_error()
                    .as_ref()
                    .map(|e| e.text.clone())
                    .unwrap_or_default();
            return Judged::new(
                Verdict::Inconclusive,
                format!(
                    "cannot be judged: the key table's keys for IKE SA {} {} do not open its SK payloads (frame {}: {text}), so neither the token given in IKE_AUTH nor the liveness checks can be read",
                    sa.spis.initiator, sa.spis.responder, r.frame
                ),
                "fix this SA's line in the key table (SK_ai/SK_ar for an integrity failure, SK_ei/SK_er for bad padding), or run without --keys to judge from behaviour only",
            );
        }
        let given = self.given();
        let src = given.source;
        let b_given: Vec<&Vec<u8>> = given
            .tokens
            .iter()
            .filter(|(ip, _)| *ip == b)
            .map(|(_, t)| t)
            .collect();
        let b_decrypted = given.decrypted_from.contains(&b);
        // The restarted side reconnected by itself before the taker checked
        // liveness: a recovery without QCD, whether or not QCD was in use.
        let taker_asked = self
            .recs
            .iter()
            .any(|r| r.is_request() && r.side == taker_side && r.time >= o.at);
        if !taker_asked {
            if let Some(j) = self.reconnected_by_maker(o) {
                return j;
            }
        }
        if b_given.is_empty() && b_decrypted {
            return Judged::new(
                Verdict::QcdNotInUse,
                format!("{b} gave no QCD_TOKEN in {src} (decrypted): QCD was not in use on {b}, so {a} held no token to check a reply against and could only wait for its own timeout"),
                ACT_NOT_IN_USE,
            );
        }
        let checks: Vec<&'e Rec> = self
            .recs
            .iter()
            .copied()
            .filter(|r| r.is_request() && r.side == taker_side && r.time >= o.at)
            .collect();
        // A taker that was the old SA's responder does not reconnect after
        // accepting a token: the tunnel returns when the initiator (the
        // maker that restarted) connects again.
        let taker_is_responder = taker_side == Side::Responder;
        // A new IKE SA counts when it was answered, or when its set-up is
        // still in progress at the capture's end: an IKE_SA_INIT that nobody
        // ever answered (a probe, a stray attempt) is no recovery.
        let end_time = self.end.map(|e| e.1);
        let window = self.opts().silence;
        let live = move |s: &Slot| -> bool {
            let answered = s
                .state()
                .is_some_and(|st| st.recs().iter().any(|q| q.m.response));
            let last = s
                .state()
                .and_then(|st| st.recs().last().map(|q| q.time))
                .unwrap_or_else(|| s.start());
            answered || end_time.is_none_or(|e| since(e, last) < window)
        };
        let new_sa = |after: SystemTime| -> Option<&Slot> {
            self.engine
                .index
                .started_after(sa.hosts, after)
                .map(|s| &self.engine.sas[s])
                .find(|s| {
                    s.starts_with_init()
                        && live(s)
                        && s.initiator()
                            .map(|x| x.ip())
                            .is_some_and(|ip| ip == a || (taker_is_responder && ip == b))
                })
        };
        let end = self.end.map(|e| e.1);
        let silence = self.opts().silence;
        let Some(first_check) = checks.first().copied() else {
            if let Some(n) = new_sa(o.at) {
                let mut j = Judged::new(
                    Verdict::NoLivenessCheck,
                    format!(
                        "{a} never sent a liveness check on the old IKE SA after the outage; it started a new IKE SA {} later without QCD",
                        secs(since(n.start(), o.at))
                    ),
                    ACT_LIVENESS,
                );
                j.new_sa = Some(format!("{} {}", n.spis().initiator, n.spis().responder));
                return j;
            }
            if let Some(e) = end.filter(|&e| since(e, o.at) < silence) {
                return Judged::new(
                    Verdict::Inconclusive,
                    format!(
                        "the capture ends {} after the outage, before {a}'s liveness check was due: take a longer capture",
                        secs(since(e, o.at))
                    ),
                    "capture for longer after the outage (at least the --silence window, and the taker's liveness-check interval)",
                );
            }
            return Judged::new(
                Verdict::NoLivenessCheck,
                format!("{a} never sent a liveness check (an IKE request on the old SA) after the outage, so {b} had no chance to send a QCD token: {a} does not react to INVALID_SPI or to missing inbound traffic"),
                ACT_LIVENESS,
            );
        };
        let replies: Vec<&'e Rec> = self
            .recs
            .iter()
            .copied()
            .filter(|r| r.m.response && r.side == o.maker_side && r.time >= first_check.time)
            .collect();
        let token_replies: Vec<&'e Rec> = replies
            .iter()
            .copied()
            .filter(|r| {
                !r.m.encrypted
                    && (r.m.notify(NotifyType::INVALID_IKE_SPI).is_some()
                        || r.plain_tokens().next().is_some())
            })
            .collect();
        let Some(first_reply) = token_replies.first().copied() else {
            if replies.iter().any(|r| r.m.encrypted) {
                let mut j = Judged::new(
                    Verdict::Healthy,
                    format!("{b} still holds the IKE SA: it answered the liveness check with a protected response; no crash to detect"),
                    "",
                );
                j.maker_answered = Some(true);
                return j;
            }
            let retransmitted = checks.len() > 1;
            if let Some(e) = end.filter(|&e| !retransmitted && since(e, first_check.time) < silence)
            {
                let mut j = Judged::new(
                    Verdict::Inconclusive,
                    format!(
                        "the capture ends {} after {a}'s first request on the old SA (frame {}), before {b}'s answer was due",
                        secs(since(e, first_check.time)),
                        first_check.frame
                    ),
                    "capture for longer after the outage",
                );
                j.maker_answered = None;
                return j;
            }
            let maker_kind = self.maker_kind(o);
            let action = match maker_kind {
                Some(QcdMaker::Rockhopper) => ACT_SILENT_ROCKHOPPER,
                _ => ACT_SILENT,
            };
            let mut j = Judged::new(
                Verdict::NoToken,
                self.silent_reason(o, &checks, b_decrypted, maker_kind),
                action,
            );
            j.maker_answered = Some(false);
            return j;
        };
        let tokens: Vec<&NotifySummary> = first_reply.plain_tokens().collect();
        if tokens.is_empty() {
            let all_tokenless = token_replies
                .iter()
                .all(|r| r.plain_tokens().next().is_none());
            if all_tokenless {
                let mut j = Judged::new(
                    Verdict::NoToken,
                    format!("{b}'s INVALID_IKE_SPI reply (frame {}) carries no QCD_TOKEN: {b} does not act as token maker (QCD not enabled, or its QCD secret could not be read)", first_reply.frame),
                    ACT_NO_TOKEN,
                );
                j.maker_answered = Some(true);
                return j;
            }
        }
        let all_tokens: Vec<&NotifySummary> = token_replies
            .iter()
            .flat_map(|r| r.plain_tokens())
            .collect();
        // What the taker holds: the token B gave in IKE_AUTH (or in the rekey).
        let by_auth: Option<bool> = if !b_given.is_empty() {
            let same = all_tokens
                .iter()
                .any(|t| b_given.iter().any(|g| **g == t.data));
            let what = if same {
                format!("the token after the reboot is byte for byte the token given in {src}")
            } else {
                format!(
                    "the token after the reboot differs from the token given in {src} ({})",
                    short_hex(b_given[0])
                )
            };
            self.event(first_reply.frame, first_reply.time, what);
            Some(same)
        } else {
            None
        };
        let by_keyring: Option<TokenCheck> = self.opts().checker.map(|c| {
            let mut best: Option<TokenCheck> = None;
            for t in &all_tokens {
                let r = c.check(sa.spis, &t.data, Some(a));
                if r.matched {
                    return r;
                }
                if best.as_ref().is_none_or(|b| b.explanations.is_empty()) {
                    best = Some(r);
                }
            }
            best.unwrap_or(TokenCheck {
                matched: false,
                generation: None,
                explanations: Vec::new(),
                created: None,
            })
        });
        if let Some(k) = &by_keyring {
            match k.generation {
                Some(g) if k.matched => self
                    .notes
                    .push(format!("the token matches keyring generation {g}")),
                _ => {
                    self.notes.push(
                        "the token matches no active or previous generation of the keyring".into(),
                    );
                    self.notes.extend(k.explanations.iter().cloned());
                }
            }
        }
        let valid = match (by_auth, &by_keyring) {
            (Some(v), _) => Some(v),
            (None, Some(k)) => Some(k.matched),
            (None, None) => None,
        };
        // A keyring match without the IKE_AUTH token shows only which secret
        // made the reply. A generation qcd generated after this IKE SA was set
        // up cannot have made the token given then.
        let keyring_match = match (by_auth, &by_keyring) {
            (None, Some(k)) if k.matched => Some(k),
            _ => None,
        };
        let set_up = self
            .recs
            .iter()
            .rev()
            .find(|r| r.m.exchange == ExchangeType::IKE_AUTH)
            .map(|r| r.time)
            .unwrap_or(sa.start);
        let born_after_set_up = keyring_match
            .and_then(|k| k.created.map(|c| (k.generation.unwrap_or(0), c)))
            .filter(|&(_, c)| c > set_up);
        if let Some((g, c)) = born_after_set_up {
            self.notes.push(format!(
                "keyring generation {g} was generated at {}, after this IKE SA was set up ({}): it cannot have made the token {b} gave in {src}",
                time_text(c),
                time_text(set_up)
            ));
        }
        // Behaviour after the first token reply.
        let later_checks: Vec<&'e Rec> = checks
            .iter()
            .copied()
            .filter(|r| r.time > first_reply.time)
            .collect();
        let n_sa = new_sa(first_reply.time);
        let gap = n_sa.map(|n| since(n.start(), first_reply.time));
        let taker_views = self.taker_views(first_reply, o, &b_given, valid);
        let act_mismatch = self.mismatch_action(o, &all_tokens[0].data);
        let act_mismatch = act_mismatch.as_str();
        let judged = |verdict: Verdict, reason: String, action: &str| -> Judged {
            let mut j = Judged::new(verdict, reason, action);
            j.maker_answered = Some(true);
            j.takers = taker_views.clone();
            j.new_sa = n_sa.map(|n| format!("{} {}", n.spis().initiator, n.spis().responder));
            j
        };
        if let Some(n) = n_sa {
            self.event(
                n.first_frame(),
                n.start(),
                format!(
                    "{a} starts a new IKE SA (SPI-I {}) {} after the first INVALID_IKE_SPI",
                    n.spis().initiator,
                    secs(gap.unwrap_or_default())
                ),
            );
        }
        let kept_probing = !later_checks.is_empty();
        let probing_text = || -> String {
            let last = later_checks.last().expect("kept probing");
            let more_replies = token_replies
                .iter()
                .filter(|r| r.time > first_reply.time)
                .count();
            format!(
                "{a} sent {} more {} on the old IKE SA after {b}'s first token reply (frame {}), the last at frame {} (+{}), drawing {}",
                later_checks.len(),
                if later_checks.len() == 1 { "request" } else { "requests" },
                first_reply.frame,
                last.frame,
                secs(since(last.time, first_reply.time)),
                plural(more_replies as u64, "more token reply", "more token replies")
            )
        };
        let recovery_text = || -> String {
            match gap {
                Some(g) => format!("it started a new IKE SA only {} after the first token reply, by its own timeout", secs(g)),
                None => "it never started a new IKE SA in the capture".to_string(),
            }
        };
        let selected_rejects = taker_views
            .iter()
            .find(|v| self.opts().taker.is_some() && v.accepts == Some(false));
        if valid == Some(false) {
            let mut reason = match (by_auth, &by_keyring) {
                (Some(false), Some(k)) if !k.matched && k.explanations.is_empty() => format!(
                    "{b}'s token after the reboot matches neither the token it gave in {src} nor any generation of the keyring: its QCD secret changed at the reboot (not persisted, or regenerated at boot)"
                ),
                (Some(false), Some(k)) if k.matched => format!(
                    "{b}'s token after the reboot matches keyring generation {} but not the token it gave in {src}: {b} made that token with another secret (rotated without overlap, or a different member's secret)",
                    k.generation.unwrap_or(0)
                ),
                (Some(false), _) => format!("{b}'s token after the reboot differs from the token it gave in {src}, so {a} rejects it: the secret or the token construction changed across the reboot"),
                (None, Some(k)) if k.explanations.is_empty() => format!("{b}'s token matches no generation of the keyring (nor any other profile, length, SPI order or taker address tried): the secret was probably not persisted across the reboot"),
                (None, Some(k)) => format!("{b}'s token matches no active or previous generation: {}", k.explanations.join("; ")),
                _ => format!("{b}'s token does not match"),
            };
            if let (Some(false), Some(k)) = (by_auth, &by_keyring) {
                if !k.matched && !k.explanations.is_empty() {
                    reason.push_str(&format!(" ({})", k.explanations.join("; ")));
                }
            }
            if kept_probing {
                self.notes
                    .push(format!("{}; {}", probing_text(), recovery_text()));
            }
            return judged(Verdict::TokenMismatch, reason, act_mismatch);
        }
        if let (true, Some(k)) = (kept_probing, keyring_match) {
            let g = k.generation.unwrap_or(0);
            let (verdict, why) = match born_after_set_up {
                Some(_) => (
                    Verdict::TokenMismatch,
                    format!(
                        "{b}'s reply carries the token of keyring generation {g}, a secret generated after this IKE SA was set up, so it differs from the token {b} gave in {src}: {b}'s QCD secret changed in between (not persisted across the restart, regenerated, or rotated without overlap); {}; {}: {a} rejected it",
                        probing_text(),
                        recovery_text()
                    ),
                ),
                None => (
                    Verdict::TokenRejected,
                    format!(
                        "{}; {}: {a} rejected {b}'s token. The token matches keyring generation {g}, which shows the secret that made the reply, not the token {a} stored from {src}: most likely {b}'s QCD secret changed between {src} and the reply (not persisted across the restart, rotated without overlap, or another cluster member's secret); --keys (the token given in {src}) would settle it",
                        probing_text(),
                        recovery_text()
                    ),
                ),
            };
            return judged(verdict, why, act_mismatch);
        }
        if kept_probing {
            let why = match valid {
                Some(true) => format!(
                    "{b}'s token is valid, yet {}; {}: {a} rejected the reply{}",
                    probing_text(),
                    recovery_text(),
                    self.taker_rejections(&taker_views)
                ),
                _ => format!(
                    "{}; {}: {a} rejected {b}'s token (the token could not be checked: pass --keys to read the token given in {src}, or --keyring with {b}'s keyring)",
                    probing_text(),
                    recovery_text()
                ),
            };
            let action = if valid == Some(true) {
                ACT_TAKER
            } else {
                act_mismatch
            };
            return judged(Verdict::TokenRejected, why, action);
        }
        if let Some(v) = selected_rejects {
            return judged(
                Verdict::TokenRejected,
                format!(
                    "a {} taker would reject {b}'s reply (frame {}): {}",
                    v.taker, first_reply.frame, v.why
                ),
                ACT_TAKER,
            );
        }
        match n_sa {
            Some(n) => {
                let g = gap.unwrap_or_default();
                let how = match (by_auth, &by_keyring) {
                    (Some(true), _) => format!("its token is byte for byte the one given in {src}"),
                    (None, Some(k)) if k.matched => format!(
                        "its token matches keyring generation {}",
                        k.generation.unwrap_or(0)
                    ),
                    _ => {
                        self.notes.push("the token was not checked: pass --keys (to read the token given in IKE_AUTH) or --keyring (the maker's)".into());
                        format!("judged from behaviour: no further request on the old SA after the reply, and a new IKE SA {} later", secs(g))
                    }
                };
                // A slow reconnect: attempts from another address first?
                let stray = self.stray_attempts(o, first_reply.time, n.start());
                if let (Some(f), Some(l)) = (stray.first(), stray.last()) {
                    let from: Vec<String> = {
                        let mut v: Vec<String> = stray.iter().map(|s| s.1.to_string()).collect();
                        v.dedup();
                        v
                    };
                    self.notes.push(format!(
                        "recovery was slow ({} after the token reply) because of {} from {} to {b} that nobody answered (frames {}–{}); the reconnect from {} then worked at once: QCD itself worked (a multi-homed host sending IKE from the wrong source address?)",
                        secs(since(n.start(), first_reply.time)),
                        plural(stray.len() as u64, "IKE_SA_INIT attempt", "IKE_SA_INIT attempts"),
                        from.join(", "),
                        f.0,
                        l.0,
                        n.initiator().map(|x| x.ip().to_string()).unwrap_or_default()
                    ));
                }
                let reconnected = if n.initiator().map(|x| x.ip()) == Some(a) {
                    "started a new IKE SA".to_string()
                } else {
                    format!("dropped the old IKE SA; as its responder {a} does not reconnect, and {b} (the initiator) connected again")
                };
                judged(
                    Verdict::Recovered,
                    format!(
                        "recovered {} after the first INVALID_IKE_SPI: {a} accepted {b}'s QCD token ({how}) and {reconnected}",
                        secs(g)
                    ),
                    "",
                )
            }
            None => {
                if let Some(e) = end.filter(|&e| since(e, first_reply.time) < silence) {
                    return judged(
                        Verdict::Inconclusive,
                        format!(
                            "{b} answered with a QCD_TOKEN (frame {}), but the capture ends {} later, before {a}'s reaction was due",
                            first_reply.frame,
                            secs(since(e, first_reply.time))
                        ),
                        "capture for longer after the token reply",
                    );
                }
                if taker_is_responder && valid != Some(false) {
                    // A responder that accepts deletes the SA and waits for
                    // the initiator: not the taker's fault.
                    let mut j = judged(
                        Verdict::NotRekeyed,
                        format!(
                            "{a}, the old IKE SA's responder, sent no more requests on it after {b}'s token reply (frame {}): it accepted the token and dropped the SA; as responder it does not reconnect, and {b} (the initiator) did not connect again in the capture",
                            first_reply.frame
                        ),
                        "",
                    );
                    j.action = format!("make {b} reconnect by itself after a restart (an always-on connection); nothing needs changing on {a}, which accepted the token");
                    return j;
                }
                let reason = match valid {
                    Some(true) if keyring_match.is_some() => format!("{b} sent a QCD_TOKEN that matches its keyring, but {a} never started a new IKE SA and sent nothing more on the old one: either {a} does not act as token taker, or the token it stored from {src} came from another secret ({b}'s secret changed since); --keys (the token given in {src}) would tell which{}", self.taker_rejections(&taker_views)),
                    Some(true) => format!("{b} sent a valid QCD_TOKEN, but {a} never started a new IKE SA and sent nothing more on the old one: {a} does not act as token taker, or did not keep the token from {src}{}", self.taker_rejections(&taker_views)),
                    _ => format!("{b} sent a QCD_TOKEN, but {a} never started a new IKE SA; the token could not be checked (give --keyring or --keys), so {a} may have rejected it{}", self.taker_rejections(&taker_views)),
                };
                judged(Verdict::NotRekeyed, reason, ACT_TAKER)
            }
        }
    }

    fn taker_rejections(&self, views: &[TakerView]) -> String {
        let rejecting: Vec<String> = views
            .iter()
            .filter(|v| v.accepts == Some(false))
            .map(|v| format!("a {} taker would reject it ({})", v.taker, v.why))
            .collect();
        if rejecting.is_empty() {
            String::new()
        } else {
            format!("; {}", rejecting.join("; "))
        }
    }

    fn taker_views(
        &mut self,
        reply: &Rec,
        o: &Outage,
        given: &[&Vec<u8>],
        valid: Option<bool>,
    ) -> Vec<TakerView> {
        let sa = self.sa;
        let facts = TakerFacts {
            exchange: reply.m.exchange,
            response: reply.m.response,
            first_payload: reply.m.first_payload,
            has_invalid_ike_spi: reply.m.notify(NotifyType::INVALID_IKE_SPI).is_some(),
            tokens: reply.plain_tokens().map(|t| t.data.as_slice()).collect(),
            from_peer_address: sa.uses(o.maker_side, self.ep(reply.src).ip()),
            reply_from: self.ep(reply.src).ip(),
            peer_addresses: sa.addresses(o.maker_side),
            given: given.iter().map(|g| g.as_slice()).collect(),
            token_valid: valid,
            established: true,
        };
        let views: Vec<TakerView> = Taker::ALL
            .into_iter()
            .filter(|&t| self.wants(t))
            .map(|t| takers::judge(t, &facts))
            .collect();
        let accepting: Vec<&str> = views
            .iter()
            .filter(|v| v.accepts == Some(true))
            .map(|v| v.taker)
            .collect();
        let rejecting: Vec<&str> = views
            .iter()
            .filter(|v| v.accepts == Some(false))
            .map(|v| v.taker)
            .collect();
        for v in &views {
            let verdict = match v.accepts {
                Some(true) => "accepts",
                Some(false) => "rejects",
                None => "cannot tell whether it accepts",
            };
            self.notes.push(format!(
                "taker {}: {verdict} the reply of frame {}: {}",
                v.taker, reply.frame, v.why
            ));
        }
        if !accepting.is_empty() && !rejecting.is_empty() {
            self.notes.push(format!(
                "the reply of frame {} would be accepted by {} and rejected by {}",
                reply.frame,
                accepting.join(", "),
                rejecting.join(", ")
            ));
        }
        views
    }

    /// What to do about a token that does not match: persist the secret,
    /// and the commands that check it, with this SA's SPIs and token in full,
    /// the files the user gave, and the target flags the maker needs.
    fn mismatch_action(&self, o: &Outage, token: &[u8]) -> String {
        let spis = self.sa.spis;
        let inputs = self.opts().inputs;
        let target = match self.maker_kind(o) {
            Some(QcdMaker::Rockhopper) => Some(crate::secret::target::Target::Rockhopper),
            _ => None,
        };
        let secret = match (target, inputs.keyring) {
            (_, Some(k)) => format!("--keyring {}", shell_word(k)),
            (Some(t), None) => format!("--for {} --secret-file {}", t.name(), t.spec().path),
            (None, None) => "--keyring KEYRING".to_string(),
        };
        let mut action = format!(
            "{ACT_MISMATCH}; check the token against {}'s secret: `qcd token verify {secret} --spi-i {} --spi-r {} --token {}`",
            o.maker,
            spis.initiator,
            spis.responder,
            hex::encode(token)
        );
        if !self.opts().keys_given {
            action.push_str(&format!(
                "; read the token it gave in IKE_AUTH: `qcd diagnose {} --keys KEY_TABLE`",
                shell_word(inputs.capture.unwrap_or("CAPTURE"))
            ));
        }
        action
    }

    /// A new IKE SA that the restarted maker started itself after the
    /// outage, before the taker checked liveness: with keys its IKE_AUTH
    /// request shows INITIAL_CONTACT (the peer then drops the old SA, RFC
    /// 7296 §2.4); without keys it is "probably replaced".
    fn reconnected_by_maker(&self, o: &Outage) -> Option<Judged> {
        let (a, b) = (o.taker, o.maker);
        let after = o.maker_last.map_or(o.at, |l| l.time);
        let id = self
            .engine
            .index
            .started_after(self.sa.hosts, after)
            .find(|&s| {
                let s = &self.engine.sas[s];
                s.starts_with_init() && s.initiator().map(|x| x.ip()) == Some(b)
            })?;
        let slot = &self.engine.sas[id];
        let spis = slot.spis();
        let gap = secs(since(slot.start(), o.at));
        let contact = slot.state().and_then(|st| {
            st.recs()
                .into_iter()
                .find(|r| {
                    r.m.exchange == ExchangeType::IKE_AUTH
                        && !r.m.response
                        && r.m
                            .inner_notifies
                            .iter()
                            .flatten()
                            .any(|n| n.notify_type == NotifyType::INITIAL_CONTACT)
                })
                .map(|r| r.frame)
        });
        let reason = match contact {
            Some(f) => format!(
                "recovered without QCD: {b} restarted and reconnected by itself {gap} after the outage; the new IKE SA's IKE_AUTH request (frame {f}) carries INITIAL_CONTACT, so {a} drops the old IKE SA (RFC 7296 §2.4). Nobody's QCD failed: {b} reconnected before {a} had reason to check liveness"
            ),
            None => format!(
                "probably recovered without QCD: {b} started a new IKE SA {gap} after the outage while the old one stayed silent: probably replaced by the restarted {b}, whose IKE_AUTH would carry INITIAL_CONTACT ({}); nobody's QCD failed",
                if self.opts().keys_given {
                    "the new SA's IKE_AUTH was not decrypted"
                } else {
                    "--keys would show it"
                }
            ),
        };
        let mut j = Judged::new(Verdict::Recovered, reason, "");
        j.new_sa = Some(format!("{} {}", spis.initiator, spis.responder));
        Some(j)
    }

    /// New IKE SAs to the maker between `from` and `to` from another address
    /// than the taker's, never answered: a multi-homed taker's attempts from
    /// the wrong source address (frame, source).
    fn stray_attempts(&self, o: &Outage, from: SystemTime, to: SystemTime) -> Vec<(u64, IpAddr)> {
        let mut found = Vec::new();
        for slot in self.engine.sas.iter().skip(self.id + 1) {
            let start = slot.start();
            if start > to {
                break;
            }
            if start < from || !slot.starts_with_init() {
                continue;
            }
            let (Some(i), Some(r)) = (
                slot.initiator(),
                slot.state().map_or_else(
                    || match slot {
                        Slot::Lone(l) => Some(l.dst),
                        Slot::Full(_) | Slot::Done(_) | Slot::Gone(_) => None,
                    },
                    |s| s.responder(),
                ),
            ) else {
                continue;
            };
            let answered = slot
                .state()
                .is_some_and(|s| s.recs().iter().any(|q| q.m.response));
            if r.ip() == o.maker && i.ip() != o.taker && !answered {
                found.push((slot.first_frame(), i.ip()));
            }
        }
        found
    }

    /// The maker's ICMP errors (port or protocol unreachable) after the
    /// outage: its host was up while its IKE daemon was not.
    fn daemon_down(&self, o: &Outage) -> Vec<&'e IcmpRec> {
        let Some(seen) = &self.sa.icmp else {
            return Vec::new();
        };
        seen.kept
            .iter()
            .filter(|i| {
                i.from == o.maker
                    && i.time >= o.maker_last.map_or(o.at, |l| l.time)
                    && matches!(
                        i.error.kind,
                        IcmpKind::PortUnreachable | IcmpKind::ProtocolUnreachable
                    )
            })
            .collect()
    }

    /// What the ICMP errors tell of the restart: the host up, the daemon
    /// down, from when to when, and when the maker spoke IKE again.
    fn restart_window(&self, o: &Outage) -> Option<String> {
        let down = self.daemon_down(o);
        let (first, last) = (down.first()?, down.last()?);
        let back = self
            .recs
            .iter()
            .find(|r| r.side == o.maker_side && r.time > last.time)
            .map(|r| format!("; {} answered IKE again at frame {}", o.maker, r.frame))
            .unwrap_or_default();
        Some(format!(
            "{} sent {} (frames {}–{}, {} to {}): its host was up while its IKE daemon was not (a restart, not a host down){back}",
            o.maker,
            plural(down.len() as u64, "ICMP error", "ICMP errors"),
            first.frame,
            last.frame,
            time_text(first.time),
            time_text(last.time)
        ))
    }

    /// What the maker's Vendor IDs say of its QCD support.
    fn maker_kind(&self, o: &Outage) -> Option<QcdMaker> {
        self.recs
            .iter()
            .filter(|r| r.side == o.maker_side)
            .flat_map(|r| r.m.vendor_ids().iter())
            .find_map(|v| crate::wire::vendor::qcd_maker(v))
    }

    fn silent_reason(
        &self,
        o: &Outage,
        checks: &[&Rec],
        b_decrypted: bool,
        kind: Option<QcdMaker>,
    ) -> String {
        let (a, b) = (o.taker, o.maker);
        let sa = self.sa;
        let kinds: Vec<String> = checks
            .iter()
            .take(1)
            .map(|r| {
                if r.m.exchange == ExchangeType::INFORMATIONAL {
                    informational_kind(&r.m, self.last_word(r), self.suite)
                } else {
                    exchange_name(r.m.exchange).into_owned()
                }
            })
            .collect();
        let mut reason = format!(
            "{b} never answered {a}'s {} on the old IKE SA (the first at frame {}: {}; retransmissions included)",
            plural(checks.len() as u64, "request", "requests"),
            checks[0].frame,
            kinds.join("")
        );
        // Which explanation fits depends on what the maker is.
        reason.push_str(&match kind {
            Some(QcdMaker::Rockhopper) => format!(
                ": {b} is Rockhopper VPN (its Vendor ID), which answers requests for unknown IKE SPIs with INVALID_IKE_SPI and a QCD_TOKEN when QCD is on; so either {b} is down or unreachable, or QCD is off on it (`<ikesa qcd_enabled=\"enable\"/>` missing from main.xml, or `qcd_enabled_time` elapsed) or its QCD secret (/home/rhpprotected/config/qcd_secret) could not be read"
            ),
            Some(QcdMaker::DropsUnknownSpis(name)) => format!(
                ": {b} is {name} (its Vendor ID), which drops IKE messages for unknown SPIs instead of answering INVALID_IKE_SPI with a QCD_TOKEN, as strongSwan, libreswan and OpenBSD iked do; or {b} is down or unreachable"
            ),
            None => format!(
                ": {b} is down or unreachable, or (after a reboot) it drops IKE messages for unknown SPIs instead of answering INVALID_IKE_SPI with a QCD_TOKEN (no Vendor ID tells which implementation it runs)"
            ),
        });
        let mut evidence = Vec::new();
        let vids: Vec<String> = self
            .recs
            .iter()
            .filter(|r| r.side == o.maker_side)
            .flat_map(|r| r.m.vendor_ids().iter())
            .filter_map(|v| vendor_name(v))
            .collect();
        if !vids.is_empty() && kind.is_none() {
            evidence.push(format!("{b}'s Vendor ID says {}", vids.join(", ")));
        }
        let taker_esp_after =
            sa.esp_count[o.maker_side.other() as usize].saturating_sub(o.taker_esp_at_evidence);
        let invalid_spi = self
            .recs
            .iter()
            .any(|r| r.m.notify(NotifyType::INVALID_SPI).is_some());
        if taker_esp_after > 0 && !invalid_spi {
            evidence.push(format!(
                "{b} also sent no INVALID_SPI for {} of ESP from {a} after the outage",
                plural(taker_esp_after, "packet", "packets")
            ));
        }
        let down = self.daemon_down(o);
        if let (Some(f), Some(l)) = (down.first(), down.last()) {
            evidence.push(format!(
                "{b}'s host answered with ICMP {} (frames {}–{}): the host was up but its IKE daemon was not running, so it is the daemon that was silent, not the host that was down",
                f.error.kind.text(),
                f.frame,
                l.frame
            ));
        }
        if b_decrypted {
            evidence.push(format!(
                "{b} did give a QCD_TOKEN when the SA was set up, so it was meant to make tokens"
            ));
        }
        if !evidence.is_empty() {
            reason.push_str(&format!(" (evidence: {})", evidence.join("; ")));
        }
        reason
    }
}

/// A timeline line for an ICMP error.
fn icmp_text(i: &IcmpRec) -> String {
    let e = &i.error;
    let flow = if e.quoted_esp {
        format!("ESP {} → {}", e.quoted_src.ip(), e.quoted_dst.ip())
    } else {
        format!("UDP {} → {}", e.quoted_src, e.quoted_dst)
    };
    let meaning = match e.kind {
        IcmpKind::PortUnreachable => format!(
            "{}'s host is up but nothing listens on UDP {}: its IKE daemon is not running",
            i.from,
            e.quoted_dst.port()
        ),
        IcmpKind::ProtocolUnreachable => format!(
            "{}'s host is up but takes no ESP: its IPsec state is gone",
            i.from
        ),
        IcmpKind::HostUnreachable => {
            format!("{} says {} cannot be reached", i.from, e.quoted_dst.ip())
        }
    };
    format!(
        "ICMP {} from {} for {flow}: {meaning}",
        e.kind.text(),
        i.from
    )
}

/// A file name as a shell word: as it is when it holds only safe
/// characters, otherwise in single quotes.
fn shell_word(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+:,@=%".contains(c));
    if safe {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The implementation a well-known Vendor ID names (see [`crate::wire::vendor`]).
fn vendor_name(v: &[u8]) -> Option<String> {
    crate::wire::vendor::vendor_name(v)
}

fn vendor_text(v: &[u8]) -> String {
    match vendor_name(v) {
        Some(n) => n,
        None => short_hex(v),
    }
}

mod release;
#[cfg(test)]
mod tests;
