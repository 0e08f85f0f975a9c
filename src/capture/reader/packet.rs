//! A packet record's bytes to what the reader hands out: the link layer,
//! IP (fragments go to reassembly) and UDP or ESP, down to an IKE message,
//! an ESP sighting or an ICMP error quoting either. A fast path decides the
//! common cases from fixed offsets before etherparse slices the rest.

use super::{Iface, Payload, Ready, State, Step};
use crate::capture::defrag::{FragKey, Fragment};
use crate::capture::link::{self, LinkIssue, LinkType};
use crate::capture::warnings::WarningKind;
use crate::capture::{icmp, EspKey, Timestamp, IKE_PORT, NAT_T_PORT};
use etherparse::{Ipv6ExtensionSlice, LaxNetSlice};
use std::net::{IpAddr, SocketAddr};
use std::ops::Range;

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

/// (identification, offset in 8-byte units, more fragments) of an IPv6
/// Fragment header, decoded here per RFC 8200 §4.5: etherparse 0.16's
/// `Ipv6FragmentHeaderSlice::fragment_offset`/`more_fragments` read the
/// bits in the wrong places.
fn ipv6_fragment_fields(h: &[u8]) -> Option<(u32, u16, bool)> {
    let field = u16::from_be_bytes([*h.get(2)?, *h.get(3)?]);
    let id = u32::from_be_bytes(h.get(4..8)?.try_into().ok()?);
    Some((id, field >> 3, field & 1 == 1))
}

impl State {
    pub(super) fn packet(
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
    /// carrying ESP, ESP in UDP on port 4500, UDP on ports that are not
    /// IKE's, or (with [`Options::icmp_events`](super::Options::icmp_events))
    /// ICMP and ICMPv6. `None` when the packet needs the full path (IKE
    /// messages, fragments, extension headers, anything short or odd).
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
                Some(match icmp::quoted_error(proto == 58, l4, ike) {
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
            // Other protocols are skipped by the full path too, except the
            // IPv6 extension headers (AH included), which it walks.
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
