//! What the engine keeps of one IKE SA while the capture is read: its
//! message records (a bounded head, pinned and tail), the endpoints each side
//! used, running ESP counters and flows, ICMP errors, rekey links; and the
//! slot that holds it (a lone IKE_SA_INIT request until more is needed).

use super::*;

/// Which end of an IKE SA sent a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    Initiator = 0,
    Responder = 1,
}

impl Side {
    /// The side that sent a message placed by its SPIs (not an orphan).
    pub(super) fn of_sender(m: &IkeSummary) -> Side {
        if m.initiator || (m.exchange == ExchangeType::IKE_SA_INIT && !m.response) {
            Side::Initiator
        } else {
            Side::Responder
        }
    }

    pub(super) fn other(self) -> Side {
        match self {
            Side::Initiator => Side::Responder,
            Side::Responder => Side::Initiator,
        }
    }
    pub(super) fn name(self) -> &'static str {
        match self {
            Side::Initiator => "initiator",
            Side::Responder => "responder",
        }
    }
}

/// The last packet a side sent, and how much ESP the other side had sent by then.
#[derive(Debug, Clone, Copy)]
pub(super) struct LastSeen {
    pub(super) frame: u64,
    pub(super) time: SystemTime,
    pub(super) esp: bool,
    /// ESP packets the other side had sent up to this packet.
    pub(super) other_esp: u64,
}

/// One IKE message of an SA, with what was known just before it.
pub(super) struct Rec {
    pub(super) frame: u64,
    pub(super) time: SystemTime,
    /// Indices into the SA's endpoint table.
    pub(super) src: u8,
    pub(super) dst: u8,
    pub(super) side: Side,
    pub(super) orphan: bool,
    pub(super) m: IkeSummary,
    /// Last packet of each side before this message (kept for requests and
    /// INVALID_SPI: the messages an outage can be dated by).
    pub(super) before: Option<Box<Snapshot>>,
}

/// What was known just before a message the outage may be dated by.
#[derive(Debug, Clone, Copy)]
pub(super) struct Snapshot {
    /// Last packet of each side.
    pub(super) last: [Option<LastSeen>; 2],
    /// ESP packets of each side.
    pub(super) esp: [u64; 2],
}

impl Rec {
    pub(super) fn last_before(&self, side: Side) -> Option<LastSeen> {
        self.before.as_ref().and_then(|b| b.last[side as usize])
    }

    pub(super) fn esp_before(&self, side: Side) -> u64 {
        self.before.as_ref().map_or(0, |b| b.esp[side as usize])
    }

    pub(super) fn is_request(&self) -> bool {
        !self.m.response && !self.orphan
    }
    pub(super) fn tokens(&self) -> impl Iterator<Item = &NotifySummary> {
        self.m
            .notifies
            .iter()
            .chain(self.m.inner_notifies.iter().flatten())
            .filter(|n| n.notify_type == NotifyType::QCD_TOKEN)
    }
    pub(super) fn plain_tokens(&self) -> impl Iterator<Item = &NotifySummary> {
        self.m
            .notifies
            .iter()
            .filter(|n| n.notify_type == NotifyType::QCD_TOKEN)
    }
    pub(super) fn notable(&self) -> bool {
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
pub(super) type FlowKey = (IpAddr, IpAddr, u32);

/// Flows an IKE SA keeps before it indexes them in a map.
pub(super) const FEW_FLOWS: usize = 8;

/// ESP of one SPI and direction, as attributed to one IKE SA.
#[derive(Debug, Clone)]
pub(super) struct Flow {
    pub(super) src: IpAddr,
    pub(super) dst: IpAddr,
    pub(super) spi: u32,
    pub(super) packets: u64,
    pub(super) first: (u64, SystemTime),
    pub(super) last: (u64, SystemTime),
}

/// A decrypted IKE SA rekey: the CREATE_CHILD_SA response on the old SA.
#[derive(Debug, Clone)]
pub(super) struct RekeyLink {
    pub(super) old: SaId,
    pub(super) frame: u64,
    pub(super) time: SystemTime,
    /// Sender side of the response, in the *new* SA's terms, and its tokens.
    pub(super) tokens: Vec<(IpAddr, Vec<u8>)>,
    /// Who sent the request (the new SA's initiator) and the response.
    pub(super) from: SocketAddr,
    pub(super) to: SocketAddr,
    pub(super) certain: bool,
}

pub(super) struct SaState {
    pub(super) spis: SpiPair,
    pub(super) hosts: HostPair,
    /// The initiator's and responder's endpoints, as indices into
    /// `endpoints` (a byte each instead of two socket addresses).
    pub(super) ends: [u8; 2],
    pub(super) start: SystemTime,
    /// Frame of the SA's first message.
    pub(super) first_frame: u64,
    /// The suite the IKE_SA_INIT response chose.
    pub(super) suite: Option<Suite>,
    pub(super) starts_with_init: bool,
    /// Retained messages: the head and pinned ones, then the last few.
    pub(super) kept: Vec<Rec>,
    /// Boxed: only long-lived SAs reach it, and the many short ones then
    /// carry one pointer instead of a deque.
    #[allow(clippy::box_collection)]
    pub(super) tail: Option<Box<VecDeque<Rec>>>,
    pub(super) pinned: u32,
    pub(super) messages: u64,
    pub(super) omitted: u64,
    /// Addresses each side used (MOBIKE may move an SA), a few at most.
    /// Every address and port the SA's messages used, and the side that
    /// owns it (MOBIKE may move a side); records name them by index.
    pub(super) endpoints: Vec<(SocketAddr, Side)>,
    pub(super) last: [Option<LastSeen>; 2],
    pub(super) esp_count: [u64; 2],
    pub(super) flows: Vec<Flow>,
    /// Index of `flows` once it is long (a few flows are searched in place).
    /// Boxed so that the many SAs with few flows carry one pointer, not a map.
    #[allow(clippy::box_collection)]
    pub(super) flow_slots: Option<Box<Map<FlowKey, usize>>>,
    pub(super) rekeyed_from: Option<Box<RekeyLink>>,
    pub(super) replaced: Option<Box<(SystemTime, SaId, bool)>>,
    /// The last CREATE_CHILD_SA response that could not be decrypted
    /// (frame, time): a possible IKE SA rekey.
    pub(super) undecrypted_ccsa: Option<Box<(u64, SystemTime)>>,
    /// ICMP errors quoting this SA's IKE or ESP (boxed: most SAs have none).
    pub(super) icmp: Option<Box<IcmpSeen>>,
}

/// ICMP errors about one IKE SA: the first few, and how many in all.
#[derive(Default)]
pub(super) struct IcmpSeen {
    pub(super) kept: Vec<IcmpRec>,
    pub(super) count: u64,
}

pub(super) struct IcmpRec {
    pub(super) frame: u64,
    pub(super) time: SystemTime,
    /// The ICMP error's sender.
    pub(super) from: IpAddr,
    pub(super) error: IcmpError,
}

impl IcmpSeen {
    pub(super) const KEEP: usize = 16;
}

impl SaState {
    pub(super) fn new(
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

    pub(super) fn initiator(&self) -> Option<SocketAddr> {
        self.endpoints.get(usize::from(self.ends[0])).map(|e| e.0)
    }

    pub(super) fn responder(&self) -> Option<SocketAddr> {
        self.endpoints.get(usize::from(self.ends[1])).map(|e| e.0)
    }

    /// Which side an address belongs to (by the addresses each side used).
    pub(super) fn side_of(&self, src: IpAddr, dst: IpAddr) -> Side {
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

    pub(super) fn ip(&self, side: Side) -> Option<IpAddr> {
        match side {
            Side::Initiator => self.initiator().map(|a| a.ip()),
            Side::Responder => self.responder().map(|a| a.ip()),
        }
    }

    /// Whether `side` used address `ip` in this SA's messages.
    pub(super) fn uses(&self, side: Side, ip: IpAddr) -> bool {
        self.endpoints
            .iter()
            .any(|(e, s)| *s == side && e.ip() == ip)
    }

    /// The addresses `side` used.
    pub(super) fn addresses(&self, side: Side) -> Vec<IpAddr> {
        let mut v: Vec<IpAddr> = Vec::new();
        for (e, s) in &self.endpoints {
            if *s == side && !v.contains(&e.ip()) {
                v.push(e.ip());
            }
        }
        v
    }

    /// A packet from `side`: updates the running "last packet" state.
    pub(super) fn saw(&mut self, side: Side, frame: u64, time: SystemTime, esp: bool) {
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
    pub(super) fn endpoint_index(&mut self, ep: SocketAddr, side: Side) -> u8 {
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

    pub(super) fn endpoint(&self, i: u8) -> SocketAddr {
        self.endpoints[usize::from(i)].0
    }

    pub(super) fn flow(&self, key: (IpAddr, IpAddr, u32)) -> Option<usize> {
        match &self.flow_slots {
            Some(map) => map.get(&key).copied(),
            None => self.flows.iter().position(|f| (f.src, f.dst, f.spi) == key),
        }
    }

    pub(super) fn add_flow(&mut self, flow: Flow) {
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

    pub(super) fn push(&mut self, rec: Rec) {
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
    pub(super) fn record(
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
    pub(super) fn recs(&self) -> Vec<&Rec> {
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
pub(super) enum Slot {
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
    pub(super) fn full(&mut self) -> &mut SaState {
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
    pub(super) fn state(&self) -> Option<&SaState> {
        match self {
            Slot::Full(state) => Some(state),
            Slot::Lone(_) | Slot::Done(_) | Slot::Gone(_) => None,
        }
    }

    pub(super) fn spis(&self) -> SpiPair {
        match self {
            Slot::Lone(l) => l.spis,
            Slot::Full(s) => s.spis,
            Slot::Done(d) => d.spis,
            Slot::Gone(spis) => *spis,
        }
    }

    /// Frame of the SA's first message.
    pub(super) fn first_frame(&self) -> u64 {
        match self {
            Slot::Lone(l) => l.frame,
            Slot::Full(s) => s.first_frame,
            Slot::Done(d) => d.first_frame,
            Slot::Gone(_) => 0,
        }
    }

    pub(super) fn start(&self) -> SystemTime {
        match self {
            Slot::Lone(l) => l.time,
            Slot::Full(s) => s.start,
            Slot::Done(d) => d.start,
            Slot::Gone(_) => SystemTime::UNIX_EPOCH,
        }
    }

    pub(super) fn starts_with_init(&self) -> bool {
        match self {
            Slot::Lone(_) => true,
            Slot::Full(s) => s.starts_with_init,
            Slot::Done(d) => d.starts_with_init,
            Slot::Gone(_) => false,
        }
    }

    pub(super) fn initiator(&self) -> Option<SocketAddr> {
        match self {
            Slot::Lone(l) => Some(l.src),
            Slot::Full(s) => s.initiator(),
            Slot::Done(d) => d.initiator,
            Slot::Gone(_) => None,
        }
    }

    /// See [`SaState::undecrypted_ccsa`] and [`SaState::replaced`]: a lone
    /// request has neither.
    pub(super) fn undecrypted_ccsa(&self) -> Option<(u64, SystemTime)> {
        match self {
            Slot::Done(d) => d.undecrypted_ccsa,
            Slot::Gone(_) => None,
            _ => self
                .state()
                .and_then(|s| s.undecrypted_ccsa.as_deref().copied()),
        }
    }

    pub(super) fn is_replaced(&self) -> bool {
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
pub(super) struct Lone {
    pub(super) frame: u64,
    pub(super) time: SystemTime,
    pub(super) src: SocketAddr,
    pub(super) dst: SocketAddr,
    pub(super) spis: SpiPair,
    pub(super) message_id: u32,
    pub(super) first_payload: PayloadType,
    pub(super) initiator_flag: bool,
}

impl Lone {
    /// The lone request of a new IKE SA, if `m` is one (else the SA needs
    /// its whole state from the start).
    pub(super) fn of(
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

    pub(super) fn summary(&self) -> IkeSummary {
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
    pub(super) fn expand(&self) -> SaState {
        let m = self.summary();
        let hosts = HostPair::new(self.src.ip(), self.dst.ip());
        let mut state = SaState::new(self.spis, hosts, self.src, self.dst, &m, self.time);
        let side = Side::of_sender(&m);
        state.record(self.frame, self.time, (self.src, self.dst), side, false, m);
        state
    }
}
