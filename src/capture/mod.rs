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
mod source;
pub mod synth;
pub mod synth_ike;
pub mod synth_rekey;
mod time;
pub mod write;

pub use defrag::DefragLimits;
pub use esp::{EspFlow, EspKey, EspStats};
pub use link::LinkType;
pub use reader::{
    read_head, CaptureError, CaptureReader, Counters, Event, IkeDatagram, Options, Warning,
    WarningKind,
};
pub use source::Source;
pub use time::{Precision, Timestamp};

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
            push_ipv4(out, a.ip());
            out.push(':');
            out.push_str(itoa::Buffer::new().format(a.port()));
        }
        SocketAddr::V6(a) => {
            out.push('[');
            push_ipv6(out, a.ip());
            if a.scope_id() != 0 {
                out.push('%');
                out.push_str(itoa::Buffer::new().format(a.scope_id()));
            }
            out.push_str("]:");
            out.push_str(itoa::Buffer::new().format(a.port()));
        }
    }
}

/// Appends an IPv6 address as std's `Display` writes it (RFC 5952: lowercase
/// hex, the longest run of two or more zero groups, the first of equal
/// runs, as `::`; an IPv4-mapped address as `::ffff:a.b.c.d`), without the
/// formatting machinery. A property test holds it to std.
fn push_ipv6(out: &mut String, ip: &std::net::Ipv6Addr) {
    if let Some(v4) = ip.to_ipv4_mapped() {
        out.push_str("::ffff:");
        push_ipv4(out, &v4);
        return;
    }
    let groups = ip.segments();
    // The longest run of zero groups (the first of equal ones).
    let (mut best, mut best_len, mut run, mut run_len) = (0, 0, 0, 0);
    for (i, &g) in groups.iter().enumerate() {
        if g == 0 {
            if run_len == 0 {
                run = i;
            }
            run_len += 1;
            if run_len > best_len {
                (best, best_len) = (run, run_len);
            }
        } else {
            run_len = 0;
        }
    }
    let push_groups = |out: &mut String, groups: &[u16]| {
        for (i, &g) in groups.iter().enumerate() {
            if i > 0 {
                out.push(':');
            }
            push_hex_group(out, g);
        }
    };
    if best_len > 1 {
        push_groups(out, &groups[..best]);
        out.push_str("::");
        push_groups(out, &groups[best + best_len..]);
    } else {
        push_groups(out, &groups);
    }
}

/// Appends an IPv4 address in dotted decimal.
fn push_ipv4(out: &mut String, ip: &std::net::Ipv4Addr) {
    let mut b = itoa::Buffer::new();
    for (i, octet) in ip.octets().iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        out.push_str(b.format(*octet));
    }
}

/// A group in lowercase hex without leading zeros.
fn push_hex_group(out: &mut String, g: u16) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut started = false;
    for shift in [12, 8, 4, 0] {
        let d = (g >> shift) & 0xf;
        if d != 0 || started || shift == 0 {
            out.push(char::from(DIGITS[usize::from(d)]));
            started = true;
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

    proptest::proptest! {
        /// IPv6 endpoints are written exactly as std writes them: zero
        /// runs of every length and place, IPv4-mapped and -compatible
        /// addresses, scope ids.
        #[test]
        fn ipv6_endpoints_equal_std(
            groups in proptest::collection::vec(
                proptest::prop_oneof![3 => proptest::strategy::Just(0u16), 1 => 1u16..16, 1 => proptest::num::u16::ANY],
                8,
            ),
            mapped in proptest::bool::ANY,
            port in proptest::num::u16::ANY,
            scope in proptest::prop_oneof![proptest::strategy::Just(0u32), proptest::num::u32::ANY],
        ) {
            let mut g: [u16; 8] = groups.try_into().unwrap();
            if mapped {
                g[..5].fill(0);
                g[5] = 0xffff;
            }
            let ip = std::net::Ipv6Addr::from(g);
            let a = SocketAddr::V6(std::net::SocketAddrV6::new(ip, port, 0, scope));
            let mut out = String::new();
            push_endpoint(&mut out, &a);
            proptest::prop_assert_eq!(out, a.to_string());
        }
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
