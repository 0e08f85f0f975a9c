//! The per-packet pass: [`Engine`] places each IKE message, ESP packet and
//! ICMP error in its IKE SA (through the shared [`SaIndex`]) and updates
//! that SA's state; rekeys link an old IKE SA to its successor.

use super::*;

/// The streaming diagnosis.
pub struct Engine<'a> {
    pub(super) opts: &'a Options<'a>,
    pub(super) index: SaIndex,
    /// A box each (a lone request or a whole state): the list grows by
    /// doubling, and a doubled list of boxes costs far less than a doubled
    /// list of states (concentrator captures hold tens of thousands).
    pub(super) sas: Vec<Slot>,
    /// ESP seen between two hosts before any IKE SA between them.
    pub(super) pending_esp: Map<HostPair, Vec<(Flow, u64)>>,
    /// Decrypted rekeys waiting for the new IKE SA's first message.
    pub(super) rekeys: Map<SpiPair, RekeyLink>,
    /// CREATE_CHILD_SA requests (SA, message id) → the new SPI they proposed.
    pub(super) rekey_requests: Map<(SaId, u32), (Spi, SocketAddr, SocketAddr)>,
    pub(super) last: Option<(u64, SystemTime)>,
    /// Follow mode: what releases verdicts while the stream is open
    /// ([`Engine::follow`]); `None` in file mode.
    pub(super) settle: Option<Box<release::Settle>>,
    /// What tells probe traffic from a crash.
    pub(super) probe_facts: probe::Facts,
    /// The peers' identities of decrypted IKE_AUTHs.
    pub(super) identities: identity::Identities,
    /// Tests turn lone requests off, to hold them to the whole state.
    #[cfg(test)]
    pub(super) whole_states: bool,
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
            probe_facts: probe::Facts::default(),
            identities: identity::Identities::default(),
            #[cfg(test)]
            whole_states: false,
        }
    }

    /// Whether a new IKE SA's first message may be kept as a [`Lone`]
    /// request.
    pub(super) fn lone_allowed(&self, spis: SpiPair, hosts: HostPair) -> bool {
        #[cfg(test)]
        if self.whole_states {
            return false;
        }
        // Nothing else attaches to it yet: no rekey that created it, no ESP
        // that waited for an IKE SA between its hosts.
        !self.rekeys.contains_key(&spis) && !self.pending_esp.contains_key(&hosts)
    }

    pub(super) fn tick(&mut self, frame: u64, time: SystemTime) {
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
        self.probe_facts.ike(hosts, src.ip(), time, &m);
        let known = self.index.find(m.spis);
        let previous = self.index.current(hosts, time);
        let orphan = known.is_none() && m.is_orphan_notice();
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

    pub(super) fn create(
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
    pub(super) fn record(
        &mut self,
        sa: SaId,
        frame: u64,
        time: SystemTime,
        src: SocketAddr,
        dst: SocketAddr,
        orphan: bool,
        m: IkeSummary,
    ) {
        if m.exchange == ExchangeType::IKE_AUTH {
            self.identities.note(sa, &m);
        }
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
        self.probe_facts.esp(hosts);
        let key = (src.ip(), dst.ip(), spi);
        let Some(sa) = self.index.esp_owner(hosts, time) else {
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
