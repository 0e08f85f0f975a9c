//! Writing captures and building packets, for the generator ([`super::synth`])
//! and tests only — qcd never writes captures of real traffic.
//!
//! Files are serialised with pcap-parser's `serialize` feature
//! (`ToVec`), which writes little-endian; big-endian classic pcap is the
//! same bytes with each header field byte-swapped. Packets are built with
//! etherparse where it has a builder (IPv4/IPv6 + UDP) and by hand for the
//! link headers it cannot write (SLL, SLL2, NULL, LOOP) and for fragments.

use super::{LinkType, Timestamp};
use etherparse::{IpFragOffset, IpNumber, Ipv4Header, PacketBuilder};
use pcap_parser::pcapng::{
    EnhancedPacketBlock, InterfaceDescriptionBlock, SectionHeaderBlock, BOM_MAGIC, EPB_MAGIC,
    IDB_MAGIC, SHB_MAGIC,
};
use pcap_parser::{LegacyPcapBlock, Linktype, PcapHeader, ToVec};
use std::io::{self, Write};
use std::net::{IpAddr, SocketAddr};

/// Which file format to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Classic pcap; `nanos` selects the nanosecond magic.
    Pcap { big_endian: bool, nanos: bool },
    /// pcapng, one section, little-endian.
    PcapNg,
}

/// A pcapng interface: link type and `if_tsresol` (6 = µs, 9 = ns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interface {
    pub link: LinkType,
    pub tsresol: u8,
}

/// Writes packets to a pcap or pcapng stream.
pub struct CaptureWriter<W: Write> {
    out: W,
    format: Format,
    ifaces: Vec<Interface>,
}

fn gen_err<E: std::fmt::Debug>(e: E) -> io::Error {
    io::Error::other(format!("serialising capture: {e:?}"))
}

const SNAPLEN: u32 = 262_144;

impl<W: Write> CaptureWriter<W> {
    /// Starts a classic pcap file with one link type.
    pub fn pcap(mut out: W, link: LinkType, big_endian: bool, nanos: bool) -> io::Result<Self> {
        let header = PcapHeader {
            magic_number: if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 },
            version_major: 2,
            version_minor: 4,
            thiszone: 0,
            sigfigs: 0,
            snaplen: SNAPLEN,
            network: Linktype(link.0 as i32),
        };
        let mut bytes = header.to_vec_raw().map_err(gen_err)?;
        if big_endian {
            for r in [0..4, 4..6, 6..8, 8..12, 12..16, 16..20, 20..24] {
                bytes[r].reverse();
            }
        }
        out.write_all(&bytes)?;
        Ok(CaptureWriter {
            out,
            format: Format::Pcap { big_endian, nanos },
            ifaces: vec![Interface {
                link,
                tsresol: if nanos { 9 } else { 6 },
            }],
        })
    }

    /// Starts a pcapng file with these interfaces (ids 0, 1, …).
    pub fn pcapng(mut out: W, ifaces: &[Interface]) -> io::Result<Self> {
        let mut shb = SectionHeaderBlock {
            block_type: SHB_MAGIC,
            block_len1: 0,
            bom: BOM_MAGIC,
            major_version: 1,
            minor_version: 0,
            section_len: -1,
            options: Vec::new(),
            block_len2: 0,
        };
        out.write_all(&shb.to_vec().map_err(gen_err)?)?;
        for i in ifaces {
            let mut idb = InterfaceDescriptionBlock {
                block_type: IDB_MAGIC,
                block_len1: 0,
                linktype: Linktype(i.link.0 as i32),
                reserved: 0,
                snaplen: SNAPLEN,
                options: Vec::new(),
                block_len2: 0,
                if_tsresol: i.tsresol,
                if_tsoffset: 0,
            };
            out.write_all(&idb.to_vec().map_err(gen_err)?)?;
        }
        Ok(CaptureWriter {
            out,
            format: Format::PcapNg,
            ifaces: ifaces.to_vec(),
        })
    }

    /// Writes one packet (a whole frame of the interface's link type).
    pub fn write_packet(&mut self, iface: u32, time: Timestamp, data: &[u8]) -> io::Result<()> {
        let secs = u64::try_from(time.secs).unwrap_or(0);
        match self.format {
            Format::Pcap { big_endian, nanos } => {
                let frac = if nanos { time.nanos } else { time.nanos / 1000 };
                let block = LegacyPcapBlock {
                    ts_sec: secs as u32,
                    ts_usec: frac,
                    caplen: data.len() as u32,
                    origlen: data.len() as u32,
                    data,
                };
                let mut bytes = block.to_vec_raw().map_err(gen_err)?;
                if big_endian {
                    for r in [0..4, 4..8, 8..12, 12..16] {
                        bytes[r].reverse();
                    }
                }
                self.out.write_all(&bytes)
            }
            Format::PcapNg => {
                let i = self
                    .ifaces
                    .get(iface as usize)
                    .ok_or_else(|| io::Error::other(format!("no interface {iface}")))?;
                let res = pcap_parser::pcapng::build_ts_resolution(i.tsresol).unwrap_or(1_000_000);
                let units = u128::from(secs) * u128::from(res)
                    + u128::from(time.nanos) * u128::from(res) / 1_000_000_000;
                let units = units as u64;
                let mut epb = EnhancedPacketBlock {
                    block_type: EPB_MAGIC,
                    block_len1: 0,
                    if_id: iface,
                    ts_high: (units >> 32) as u32,
                    ts_low: units as u32,
                    caplen: data.len() as u32,
                    origlen: data.len() as u32,
                    data,
                    options: Vec::new(),
                    block_len2: 0,
                };
                self.out.write_all(&epb.to_vec().map_err(gen_err)?)
            }
        }
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

/// How an IP packet is framed on the link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encap {
    Ethernet,
    /// 802.1Q with this VLAN id.
    Vlan(u16),
    /// 802.1ad outer tag, 802.1Q inner tag.
    QinQ(u16, u16),
    /// No link header (`LINKTYPE_RAW` 101, or 228/229 by version).
    Raw,
    /// `LINKTYPE_IPV4` (228) / `LINKTYPE_IPV6` (229).
    RawByVersion,
    LinuxSll,
    LinuxSll2,
    /// BSD loopback, family in little-endian (x86 host order).
    Null,
    /// OpenBSD loopback, family big-endian.
    Loop,
}

impl Encap {
    /// The link type of a capture of such frames (`v6`: for RawByVersion).
    pub fn link_type(self, v6: bool) -> LinkType {
        match self {
            Encap::Ethernet | Encap::Vlan(_) | Encap::QinQ(..) => LinkType::ETHERNET,
            Encap::Raw => LinkType::RAW,
            Encap::RawByVersion if v6 => LinkType::IPV6,
            Encap::RawByVersion => LinkType::IPV4,
            Encap::LinuxSll => LinkType::LINUX_SLL,
            Encap::LinuxSll2 => LinkType::LINUX_SLL2,
            Encap::Null => LinkType::NULL,
            Encap::Loop => LinkType::LOOP,
        }
    }

    /// Wraps an IP packet (v4 or v6, told by its first nibble) in a frame.
    pub fn frame(self, ip: &[u8]) -> Vec<u8> {
        let v6 = ip.first().is_some_and(|b| b >> 4 == 6);
        let ethertype: [u8; 2] = if v6 { [0x86, 0xdd] } else { [0x08, 0x00] };
        let macs = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
        let mut f = Vec::with_capacity(ip.len() + 24);
        match self {
            Encap::Ethernet => {
                f.extend_from_slice(&macs);
                f.extend_from_slice(&ethertype);
            }
            Encap::Vlan(id) => {
                f.extend_from_slice(&macs);
                f.extend_from_slice(&[0x81, 0x00]);
                f.extend_from_slice(&(id & 0x0fff).to_be_bytes());
                f.extend_from_slice(&ethertype);
            }
            Encap::QinQ(outer, inner) => {
                f.extend_from_slice(&macs);
                f.extend_from_slice(&[0x88, 0xa8]);
                f.extend_from_slice(&(outer & 0x0fff).to_be_bytes());
                f.extend_from_slice(&[0x81, 0x00]);
                f.extend_from_slice(&(inner & 0x0fff).to_be_bytes());
                f.extend_from_slice(&ethertype);
            }
            Encap::Raw | Encap::RawByVersion => {}
            Encap::LinuxSll => {
                f.extend_from_slice(&[0, 0, 0, 1, 0, 6]);
                f.extend_from_slice(&[2, 0, 0, 0, 0, 1, 0, 0]);
                f.extend_from_slice(&ethertype);
            }
            Encap::LinuxSll2 => {
                f.extend_from_slice(&ethertype);
                f.extend_from_slice(&[0, 0, 0, 0, 0, 3, 0, 1, 0, 6]);
                f.extend_from_slice(&[2, 0, 0, 0, 0, 1, 0, 0]);
            }
            Encap::Null => f.extend_from_slice(&(if v6 { 30u32 } else { 2 }).to_le_bytes()),
            Encap::Loop => f.extend_from_slice(&(if v6 { 24u32 } else { 2 }).to_be_bytes()),
        }
        f.extend_from_slice(ip);
        f
    }
}

/// An IPv4 or IPv6 packet carrying UDP (checksum computed).
pub fn ip_udp(src: SocketAddr, dst: SocketAddr, payload: &[u8]) -> Vec<u8> {
    let builder = match (src.ip(), dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => PacketBuilder::ipv4(s.octets(), d.octets(), 64),
        (s, d) => PacketBuilder::ipv6(v6(s), v6(d), 64),
    };
    let builder = builder.udp(src.port(), dst.port());
    let mut v = Vec::with_capacity(builder.size(payload.len()));
    // Writing to a Vec only fails for payloads over 64 KiB.
    let _ = builder.write(&mut v, payload);
    v
}

/// An IPv4 or IPv6 packet carrying `body` as IP protocol `proto` (50 = ESP).
pub fn ip_raw(src: IpAddr, dst: IpAddr, proto: u8, body: &[u8]) -> Vec<u8> {
    let builder = match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => PacketBuilder::ipv4(s.octets(), d.octets(), 64),
        (s, d) => PacketBuilder::ipv6(v6(s), v6(d), 64),
    };
    let mut v = Vec::with_capacity(body.len() + 40);
    let _ = builder.write(&mut v, IpNumber(proto), body);
    v
}

fn v6(a: IpAddr) -> [u8; 16] {
    match a {
        IpAddr::V4(a) => a.to_ipv6_mapped().octets(),
        IpAddr::V6(a) => a.octets(),
    }
}

/// An ESP body: SPI, sequence number, then `len - 8` bytes of filler.
pub fn esp_body(spi: u32, seq: u32, len: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(len.max(8));
    v.extend_from_slice(&spi.to_be_bytes());
    v.extend_from_slice(&seq.to_be_bytes());
    v.resize(len.max(8), 0xa5);
    v
}

/// Splits an IP packet (IPv4, or IPv6 without extension headers) into
/// fragments carrying at most `chunk` payload bytes (rounded down to a
/// multiple of 8), in order. `id` is the IPv6 fragment identification
/// (IPv4 keeps its header's).
pub fn fragment(ip: &[u8], chunk: usize, id: u32) -> Vec<Vec<u8>> {
    let chunk = (chunk / 8).max(1) * 8;
    let mut out = Vec::new();
    if ip.first().is_some_and(|b| b >> 4 == 4) {
        let Ok((header, payload)) = Ipv4Header::from_slice(ip) else {
            return vec![ip.to_vec()];
        };
        let mut at = 0;
        while at < payload.len() {
            let end = (at + chunk).min(payload.len());
            let mut h = header.clone();
            h.more_fragments = end < payload.len();
            h.fragment_offset =
                IpFragOffset::try_new((at / 8) as u16).unwrap_or(IpFragOffset::ZERO);
            let _ = h.set_payload_len(end - at);
            h.header_checksum = h.calc_header_checksum();
            let mut f = h.to_bytes().to_vec();
            f.extend_from_slice(&payload[at..end]);
            out.push(f);
            at = end;
        }
    } else if ip.len() >= 40 {
        let (head, payload) = ip.split_at(40);
        let next = head[6];
        let mut at = 0;
        while at < payload.len() {
            let end = (at + chunk).min(payload.len());
            let mut f = head.to_vec();
            f[6] = 44; // Fragment header
            let plen = (8 + end - at) as u16;
            f[4..6].copy_from_slice(&plen.to_be_bytes());
            let more = u16::from(end < payload.len());
            f.extend_from_slice(&[next, 0]);
            f.extend_from_slice(&((((at / 8) as u16) << 3) | more).to_be_bytes());
            f.extend_from_slice(&id.to_be_bytes());
            f.extend_from_slice(&payload[at..end]);
            out.push(f);
            at = end;
        }
    }
    out
}

/// The UDP payload of an IKE message on port 4500 (non-ESP marker first).
pub fn with_non_esp_marker(ike: &[u8]) -> Vec<u8> {
    let mut v = vec![0, 0, 0, 0];
    v.extend_from_slice(ike);
    v
}

impl<W: Write> CaptureWriter<W> {
    pub fn get_ref(&self) -> &W {
        &self.out
    }
}
