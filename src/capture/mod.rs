//! Packet captures (pcap and pcapng) turned into a stream of IKE, ESP and
//! ICMP sightings.
//!
//! What it is for: reading a capture file of any size in constant memory and
//! yielding, in file order, every UDP payload that travelled on an IKE port
//! ([`Event::Ike`], with the RFC 3948 non-ESP marker stripped), every ESP
//! packet ([`Event::Esp`], which a caller may aggregate per SPI and direction in [`EspStats`]),
//! every ICMP or ICMPv6 error quoting either ([`Event::Icmp`], see [`icmp`]),
//! and a [`Warning`] for everything in the file that could not be used
//! (damaged records, unparsable packets, IP datagrams never reassembled).
//! Link layers, IP fragments, NAT-T framing and keepalives are handled here.
//!
//! What it is not for: the reader knows no IKE message format, only IKE's
//! ports, the non-ESP marker and the ICMP errors that quote them; the payload
//! bytes are handed over untouched for `qcd::wire` to parse. It does not
//! follow TCP (RFC 8229 IKE over TCP is not decoded). It writes captures only
//! for tests and benchmarks (`write`, `synth`, `synth_ike`, `synth_bench`
//! and `synth_rekey`, whose IKE messages are built with `qcd::wire`'s
//! `Repr`s; built only with the `testkit` feature).
//!
//! File formats are read with `pcap-parser`'s streaming reader, from a
//! file or any other reader, and packets are sliced with `etherparse`; see
//! [`CaptureReader`] for the supported link types and the limits.

mod defrag;
mod esp;
pub mod icmp;
mod link;
mod reader;
mod source;
#[cfg(feature = "testkit")]
pub mod synth;
#[cfg(feature = "testkit")]
pub mod synth_bench;
#[cfg(feature = "testkit")]
pub mod synth_ike;
#[cfg(feature = "testkit")]
pub mod synth_rekey;
mod time;
mod warnings;
#[cfg(feature = "testkit")]
pub mod write;

pub use defrag::DefragLimits;
pub use esp::{EspFlow, EspKey, EspStats};
pub use link::LinkType;
pub use reader::{read_head, CaptureError, CaptureReader, Event, IkeDatagram, ReadOptions};
pub use source::Source;
pub use time::{Precision, Timestamp};
pub use warnings::{Counters, Warning, WarningKind};

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
}
