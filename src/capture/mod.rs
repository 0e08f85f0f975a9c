//! Packet captures (pcap and pcapng) turned into a stream of IKE and ESP
//! sightings.
//!
//! What it is for: reading a capture file of any size in constant memory and
//! yielding, in file order, every UDP payload that travelled on an IKE port
//! ([`Event::Ike`], with the RFC 3948 non-ESP marker stripped), every ESP
//! packet ([`Event::Esp`], aggregated per SPI and direction in [`EspStats`]),
//! and a [`Warning`] for everything in the file that could not be used
//! (damaged records, unparsable packets, IP datagrams never reassembled).
//! Link layers, IP fragments, NAT-T framing and keepalives are handled here.
//!
//! What it is not for: it knows nothing of IKE beyond its ports and the
//! non-ESP marker; the payload bytes are handed over untouched for
//! `qcd::wire` to parse. It does not follow TCP (RFC 8229 IKE over TCP is not
//! decoded) and it does not write captures except for tests and benchmarks
//! ([`mod@write`], [`synth`]).
//!
//! File formats are read with `pcap-parser`'s streaming reader (or, for a
//! regular file opened with [`CaptureReader::open`], its slice parsers over
//! memory-mapped windows of the file: no copy) and packets are sliced with
//! `etherparse`; see [`CaptureReader`] for the supported link
//! types and the limits.

mod defrag;
mod esp;
mod link;
mod mapped;
mod reader;
pub mod synth;
pub mod synth_ike;
mod time;
pub mod write;

pub use defrag::DefragLimits;
pub use esp::{EspFlow, EspKey, EspStats};
pub use link::LinkType;
pub use reader::{
    read_head, CaptureError, CaptureReader, Counters, Event, Options, Warning, WarningKind,
};
pub use time::{Precision, Rfc3339Writer, Timestamp};

use std::net::SocketAddr;

/// UDP port of IKE (RFC 7296).
pub const IKE_PORT: u16 = 500;
/// UDP port of IKE and ESP behind NAT (RFC 3948), with the non-ESP marker.
pub const NAT_T_PORT: u16 = 4500;

/// What a file looks like from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// Classic libpcap format (either byte order, micro- or nanosecond).
    Pcap,
    /// pcapng (a Section Header Block first).
    PcapNg,
    /// Anything else (for `qcd decode`, hex text).
    Other,
}

/// Recognises a capture by its magic number. Four bytes are enough; fewer
/// give [`FileKind::Other`].
pub fn sniff(head: &[u8]) -> FileKind {
    match head.get(..4) {
        Some([0xd4, 0xc3, 0xb2, 0xa1])
        | Some([0xa1, 0xb2, 0xc3, 0xd4])
        | Some([0x4d, 0x3c, 0xb2, 0xa1])
        | Some([0xa1, 0xb2, 0x3c, 0x4d]) => FileKind::Pcap,
        Some([0x0a, 0x0d, 0x0d, 0x0a]) => FileKind::PcapNg,
        _ => FileKind::Other,
    }
}

/// Formats an endpoint as `192.0.2.1:500` or `[2001:db8::1]:4500`.
pub fn format_endpoint(addr: &SocketAddr) -> String {
    // std's Display brackets IPv6 (this names the convention); IPv4 is
    // written by hand (see push_endpoint).
    let mut s = String::with_capacity(24);
    push_endpoint(&mut s, addr);
    s
}

/// Appends what [`format_endpoint`] returns; IPv4 without the general
/// formatting machinery (a report of many rows writes thousands).
pub fn push_endpoint(out: &mut String, addr: &SocketAddr) {
    match addr {
        SocketAddr::V4(a) => {
            let mut b = itoa::Buffer::new();
            for (i, octet) in a.ip().octets().iter().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                out.push_str(b.format(*octet));
            }
            out.push(':');
            out.push_str(b.format(a.port()));
        }
        SocketAddr::V6(_) => {
            use std::fmt::Write as _;
            let _ = write!(out, "{addr}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_magics() {
        assert_eq!(sniff(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0]), FileKind::Pcap);
        assert_eq!(sniff(&[0xa1, 0xb2, 0xc3, 0xd4]), FileKind::Pcap);
        assert_eq!(sniff(&[0x4d, 0x3c, 0xb2, 0xa1]), FileKind::Pcap);
        assert_eq!(sniff(&[0xa1, 0xb2, 0x3c, 0x4d]), FileKind::Pcap);
        assert_eq!(sniff(&[0x0a, 0x0d, 0x0d, 0x0a, 0x1c]), FileKind::PcapNg);
        assert_eq!(sniff(b"a1b2c3d4"), FileKind::Other);
        assert_eq!(sniff(&[0xd4, 0xc3, 0xb2]), FileKind::Other);
        assert_eq!(sniff(&[]), FileKind::Other);
    }

    #[test]
    fn endpoints() {
        let v4: SocketAddr = "192.0.2.1:500".parse().unwrap();
        let v6: SocketAddr = "[2001:db8::1]:4500".parse().unwrap();
        assert_eq!(format_endpoint(&v4), "192.0.2.1:500");
        assert_eq!(format_endpoint(&v6), "[2001:db8::1]:4500");
        for a in [
            "0.0.0.0:0",
            "255.255.255.255:65535",
            "10.0.0.1:500",
            "[::]:0",
            "[fe80::1%2]:4500",
        ] {
            let a: SocketAddr = a.parse().unwrap();
            let mut out = String::from("x");
            push_endpoint(&mut out, &a);
            assert_eq!(out[1..], a.to_string());
            assert_eq!(format_endpoint(&a), a.to_string());
        }
    }
}
