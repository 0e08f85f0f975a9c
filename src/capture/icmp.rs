//! ICMP and ICMPv6 errors that quote an IKE or ESP packet: what a host says
//! when its IKE daemon is down (port unreachable for UDP 500/4500) or its
//! kernel does not take ESP (protocol unreachable). The quoted header names
//! the flow; parsing is `etherparse`'s (the ICMP header, then the quoted IP
//! header, laxly, since an ICMP error quotes only the start of a packet).

use std::net::{IpAddr, SocketAddr};

use etherparse::{
    icmpv4, icmpv6, Icmpv4Slice, Icmpv4Type, Icmpv6Slice, Icmpv6Type, IpNumber, LaxIpSlice,
};

/// What the ICMP error says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IcmpKind {
    /// Destination (port) unreachable: nothing listens on the UDP port.
    PortUnreachable,
    /// Protocol unreachable (ICMPv4 type 3 code 2; ICMPv6 parameter problem,
    /// unrecognized next header): the host does not take ESP.
    ProtocolUnreachable,
    /// Host, network or administratively prohibited: the host itself (or
    /// the path) did not take the packet.
    HostUnreachable,
}

impl IcmpKind {
    pub fn text(self) -> &'static str {
        match self {
            IcmpKind::PortUnreachable => "port unreachable",
            IcmpKind::ProtocolUnreachable => "protocol unreachable",
            IcmpKind::HostUnreachable => "host unreachable",
        }
    }
}

/// An ICMP error quoting an IKE or ESP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IcmpError {
    pub kind: IcmpKind,
    /// The quoted packet's source and destination (ports 0 for ESP).
    pub quoted_src: SocketAddr,
    pub quoted_dst: SocketAddr,
    /// The quoted packet was ESP (IP protocol 50), not UDP.
    pub quoted_esp: bool,
}

/// The ICMP (`v6` false) or ICMPv6 message `l4`, if it is an error quoting
/// ESP or UDP to or from a port `ike_port` accepts.
pub fn quoted_error(v6: bool, l4: &[u8], ike_port: impl Fn(u16) -> bool) -> Option<IcmpError> {
    let (kind, quoted) = if v6 {
        let s = Icmpv6Slice::from_slice(l4).ok()?;
        let kind = match s.icmp_type() {
            Icmpv6Type::DestinationUnreachable(icmpv6::DestUnreachableCode::Port) => {
                IcmpKind::PortUnreachable
            }
            Icmpv6Type::DestinationUnreachable(_) => IcmpKind::HostUnreachable,
            Icmpv6Type::ParameterProblem(p)
                if p.code == icmpv6::ParameterProblemCode::UnrecognizedNextHeader =>
            {
                IcmpKind::ProtocolUnreachable
            }
            _ => return None,
        };
        (kind, s.payload())
    } else {
        let s = Icmpv4Slice::from_slice(l4).ok()?;
        let kind = match s.icmp_type() {
            Icmpv4Type::DestinationUnreachable(icmpv4::DestUnreachableHeader::Port) => {
                IcmpKind::PortUnreachable
            }
            Icmpv4Type::DestinationUnreachable(icmpv4::DestUnreachableHeader::Protocol) => {
                IcmpKind::ProtocolUnreachable
            }
            Icmpv4Type::DestinationUnreachable(_) => IcmpKind::HostUnreachable,
            _ => return None,
        };
        (kind, s.payload())
    };
    let (ip, _) = LaxIpSlice::from_slice(quoted).ok()?;
    let (src, dst) = (ip.source_addr(), ip.destination_addr());
    let payload = ip.payload();
    let at = |p: &[u8], i: usize| -> Option<u16> {
        Some(u16::from_be_bytes([*p.get(i)?, *p.get(i + 1)?]))
    };
    let (sport, dport, esp) = match payload.ip_number {
        IpNumber::ENCAPSULATING_SECURITY_PAYLOAD => (0, 0, true),
        IpNumber::UDP => {
            let (s, d) = (at(payload.payload, 0)?, at(payload.payload, 2)?);
            if !ike_port(s) && !ike_port(d) {
                return None;
            }
            (s, d, false)
        }
        _ => return None,
    };
    Some(IcmpError {
        kind,
        quoted_src: SocketAddr::new(src, sport),
        quoted_dst: SocketAddr::new(dst, dport),
        quoted_esp: esp,
    })
}

/// The host an error speaks for: the quoted packet's destination.
pub fn about(e: &IcmpError) -> IpAddr {
    e.quoted_dst.ip()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ike(p: u16) -> bool {
        p == 500 || p == 4500
    }

    /// ICMPv4 port unreachable quoting UDP 10.0.0.1:500 → 10.0.0.2:500.
    fn port_unreachable_v4() -> Vec<u8> {
        let mut quoted = vec![
            0x45, 0, 0, 48, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ];
        quoted.extend_from_slice(&[0x01, 0xf4, 0x01, 0xf4, 0, 28, 0, 0]);
        let mut icmp = vec![3, 3, 0, 0, 0, 0, 0, 0];
        icmp.extend_from_slice(&quoted);
        icmp
    }

    #[test]
    fn a_port_unreachable_names_the_ike_flow() {
        let e = quoted_error(false, &port_unreachable_v4(), ike).unwrap();
        assert_eq!(e.kind, IcmpKind::PortUnreachable);
        assert_eq!(e.quoted_src, "10.0.0.1:500".parse().unwrap());
        assert_eq!(e.quoted_dst, "10.0.0.2:500".parse().unwrap());
        assert!(!e.quoted_esp);
        assert_eq!(about(&e), "10.0.0.2".parse::<IpAddr>().unwrap());
        // Another port: not about IKE.
        assert!(quoted_error(false, &port_unreachable_v4(), |p| p == 4500).is_none());
        // An echo request is not an error.
        assert!(quoted_error(false, &[8, 0, 0, 0, 0, 1, 0, 1], ike).is_none());
        // Anything short or odd is ignored, never a panic.
        for n in 0..port_unreachable_v4().len() {
            let _ = quoted_error(false, &port_unreachable_v4()[..n], ike);
            let _ = quoted_error(true, &port_unreachable_v4()[..n], ike);
        }
    }

    /// Through the reader: an ICMP error becomes an [`Event::Icmp`] with
    /// `icmp_events`; an ICMP echo a minute later is still capture time
    /// (issue 21 item 7), and a time stepping backwards is recorded.
    #[test]
    fn the_reader_yields_icmp_errors_and_counts_every_frame_in_the_end() {
        use crate::capture::write::{ip_raw, ip_udp, CaptureWriter};
        use crate::capture::{CaptureReader, Event, LinkType, Precision, ReadOptions, Timestamp};
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let mut file = Vec::new();
        let mut w = CaptureWriter::pcap(&mut file, LinkType::RAW, false, false).unwrap();
        let t = |s: i64| Timestamp::new(1_800_000_000 + s, 0, Precision::Micro);
        let ike = [0u8; 28];
        w.write_packet(
            0,
            t(0),
            &ip_udp(
                "10.0.0.1:500".parse().unwrap(),
                "10.0.0.2:500".parse().unwrap(),
                &ike,
            ),
        )
        .unwrap();
        w.write_packet(0, t(1), &ip_raw(b, a, 1, &port_unreachable_v4()))
            .unwrap();
        // An echo request a minute later, then a time before it (joined files).
        w.write_packet(0, t(61), &ip_raw(a, b, 1, &[8, 0, 0xf7, 0xfe, 0, 1, 0, 0]))
            .unwrap();
        w.write_packet(0, t(30), &ip_raw(a, b, 1, &[8, 0, 0xf7, 0xfd, 0, 1, 0, 1]))
            .unwrap();
        drop(w);
        let read = |icmp_events| {
            let mut r = CaptureReader::new(
                &file[..],
                "t.pcap",
                ReadOptions {
                    icmp_events,
                    ..ReadOptions::default()
                },
            )
            .unwrap();
            let mut errors = Vec::new();
            while let Some(e) = r.next_event() {
                if let Event::Icmp {
                    frame, src, error, ..
                } = e
                {
                    errors.push((frame, src, error));
                }
            }
            (errors, r.counters())
        };
        let (errors, c) = read(true);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!((errors[0].0, errors[0].1), (2, b));
        assert_eq!(errors[0].2.kind, IcmpKind::PortUnreachable);
        assert_eq!(c.frames, 4);
        assert_eq!(c.latest, Some(t(61)));
        assert_eq!(c.stepped_back, Some(4));
        assert!(read(false).0.is_empty());
    }

    #[test]
    fn a_protocol_unreachable_quotes_esp() {
        let mut icmp = vec![3, 2, 0, 0, 0, 0, 0, 0];
        icmp.extend_from_slice(&[
            0x45, 0, 0, 48, 0, 0, 0x40, 0, 64, 50, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 0xc1, 0, 0, 1,
            0, 0, 0, 9,
        ]);
        let e = quoted_error(false, &icmp, ike).unwrap();
        assert_eq!(e.kind, IcmpKind::ProtocolUnreachable);
        assert!(e.quoted_esp);
    }
}
