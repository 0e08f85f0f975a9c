//! Link layers: from a captured frame to its IP packet, sliced by etherparse.

use etherparse::{EtherType, LaxSlicedPacket};
use std::fmt;

/// A pcap/pcapng link type (LINKTYPE_* from tcpdump.org).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct LinkType(pub u32);

impl LinkType {
    /// BSD loopback: 4-byte address family in the capturing host's byte order.
    pub const NULL: LinkType = LinkType(0);
    pub const ETHERNET: LinkType = LinkType(1);
    /// `DLT_RAW` as some BSDs number it in files.
    pub const RAW_12: LinkType = LinkType(12);
    pub const RAW_14: LinkType = LinkType(14);
    pub const RAW: LinkType = LinkType(101);
    /// OpenBSD loopback: 4-byte address family, big-endian.
    pub const LOOP: LinkType = LinkType(108);
    pub const LINUX_SLL: LinkType = LinkType(113);
    pub const IPV4: LinkType = LinkType(228);
    pub const IPV6: LinkType = LinkType(229);
    pub const LINUX_SLL2: LinkType = LinkType(276);

    /// The name tcpdump uses, or `None` for link types qcd does not read.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            LinkType::NULL => "NULL",
            LinkType::ETHERNET => "ETHERNET",
            LinkType::RAW_12 | LinkType::RAW_14 | LinkType::RAW => "RAW",
            LinkType::LOOP => "LOOP",
            LinkType::LINUX_SLL => "LINUX_SLL",
            LinkType::IPV4 => "IPV4",
            LinkType::IPV6 => "IPV6",
            LinkType::LINUX_SLL2 => "LINUX_SLL2",
            _ => return None,
        })
    }

    /// Whether qcd decodes frames of this link type.
    pub fn is_supported(self) -> bool {
        self.name().is_some()
    }
}

impl fmt::Debug for LinkType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "LinkType({}, {n})", self.0),
            None => write!(f, "LinkType({})", self.0),
        }
    }
}

impl fmt::Display for LinkType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{n} ({})", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

/// Why a frame gave no IP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LinkIssue {
    /// Not IP (ARP, LLDP, …): skipped silently.
    NotIp,
    /// The link header is cut short.
    Truncated,
}

// BSD address families for IPv4 and the several numbers of IPv6.
const AF_INET: u32 = 2;
const AF_INET6: [u32; 3] = [24, 28, 30];
const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;

fn is_af(v: u32) -> bool {
    v == AF_INET || AF_INET6.contains(&v)
}

/// Where the IP header starts in a frame, for the fast path, and the IP
/// version the link header announces (`None`: raw IP, any version). Only
/// the common cases (Ethernet without or with one 802.1Q tag, raw IP, SLL,
/// SLL2, NULL/LOOP); `None` sends the frame down the full path.
#[inline]
pub(crate) fn ip_offset(link: LinkType, frame: &[u8]) -> Option<(usize, Option<u8>)> {
    let be16 = |at: usize| -> Option<u16> {
        Some(u16::from_be_bytes([*frame.get(at)?, *frame.get(at + 1)?]))
    };
    let version = |t: u16| match t {
        ETHERTYPE_IPV4 => Some(4),
        ETHERTYPE_IPV6 => Some(6),
        _ => None,
    };
    match link {
        LinkType::ETHERNET => match be16(12)? {
            0x8100 => Some((18, Some(version(be16(16)?)?))),
            t => Some((14, Some(version(t)?))),
        },
        LinkType::RAW | LinkType::RAW_12 | LinkType::RAW_14 | LinkType::IPV4 | LinkType::IPV6 => {
            Some((0, None))
        }
        LinkType::LINUX_SLL => Some((16, Some(version(be16(14)?)?))),
        LinkType::LINUX_SLL2 => Some((20, Some(version(be16(0)?)?))),
        LinkType::NULL | LinkType::LOOP => {
            let head: [u8; 4] = frame.get(..4)?.try_into().ok()?;
            let (be, le) = (u32::from_be_bytes(head), u32::from_le_bytes(head));
            if is_af(be) || is_af(le) {
                Some((4, None))
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Slices a frame down to its network layer. `Ok(packet)` has `net` set
/// unless the IP header itself did not parse (then `stop_err` says why).
pub(crate) fn slice_frame(link: LinkType, frame: &[u8]) -> Result<LaxSlicedPacket<'_>, LinkIssue> {
    let ip = |data| LaxSlicedPacket::from_ip(data).map_err(|_| LinkIssue::NotIp);
    match link {
        LinkType::ETHERNET => {
            let p = LaxSlicedPacket::from_ethernet(frame).map_err(|_| LinkIssue::Truncated)?;
            if p.net.is_none() && p.stop_err.is_none() {
                return Err(LinkIssue::NotIp);
            }
            Ok(p)
        }
        LinkType::RAW | LinkType::RAW_12 | LinkType::RAW_14 | LinkType::IPV4 | LinkType::IPV6 => {
            ip(frame)
        }
        LinkType::NULL | LinkType::LOOP => {
            let head: [u8; 4] = frame
                .get(..4)
                .and_then(|h| h.try_into().ok())
                .ok_or(LinkIssue::Truncated)?;
            let be = u32::from_be_bytes(head);
            let le = u32::from_le_bytes(head);
            // NULL is in the capturing host's order, LOOP big-endian; accept
            // either order for both, as Wireshark does.
            if is_af(be) || is_af(le) {
                ip(&frame[4..])
            } else {
                Err(LinkIssue::NotIp)
            }
        }
        LinkType::LINUX_SLL => {
            if frame.len() < 16 {
                return Err(LinkIssue::Truncated);
            }
            ether(u16::from_be_bytes([frame[14], frame[15]]), &frame[16..])
        }
        LinkType::LINUX_SLL2 => {
            if frame.len() < 20 {
                return Err(LinkIssue::Truncated);
            }
            ether(u16::from_be_bytes([frame[0], frame[1]]), &frame[20..])
        }
        _ => Err(LinkIssue::NotIp),
    }
}

fn ether(ether_type: u16, payload: &[u8]) -> Result<LaxSlicedPacket<'_>, LinkIssue> {
    match ether_type {
        ETHERTYPE_IPV4 | ETHERTYPE_IPV6 | 0x8100 | 0x88a8 | 0x9100 => {
            let p = LaxSlicedPacket::from_ether_type(EtherType(ether_type), payload);
            if p.net.is_none() && p.stop_err.is_none() {
                return Err(LinkIssue::NotIp);
            }
            Ok(p)
        }
        _ => Err(LinkIssue::NotIp),
    }
}
