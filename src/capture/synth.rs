//! Synthetic captures for benchmarks and tests: mostly ESP of a given size,
//! with IKE messages spread evenly through it (the shape of a gateway
//! capture taken to catch a rare IKE exchange). Exposed to users only as a
//! hidden command; never used on real traffic.

use super::write::{
    esp_body, ip_raw, ip_udp, with_non_esp_marker, CaptureWriter, Encap, Format, Interface,
};
use super::{Precision, Timestamp, IKE_PORT, NAT_T_PORT};
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// What to generate.
#[derive(Debug, Clone)]
pub struct SynthSpec {
    /// Stop once the file has reached this many bytes.
    pub size: u64,
    /// IP packet size of each ESP packet (header included), e.g. 1400.
    pub esp_size: usize,
    /// How many IKE messages to insert (cycling through those given).
    pub ike_count: u64,
    pub encap: Encap,
    pub format: Format,
    /// IPv6 addresses instead of IPv4.
    pub ipv6: bool,
}

impl Default for SynthSpec {
    fn default() -> Self {
        SynthSpec {
            size: 64 << 20,
            esp_size: 1400,
            ike_count: 300,
            encap: Encap::Ethernet,
            format: Format::Pcap {
                big_endian: false,
                nanos: false,
            },
            ipv6: false,
        }
    }
}

/// What was written, to check a reader against.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SynthSummary {
    pub bytes: u64,
    pub frames: u64,
    pub ike: u64,
    /// ESP packets in IP protocol 50.
    pub esp: u64,
    /// ESP packets in UDP 4500.
    pub esp_udp: u64,
}

/// A writer that counts the bytes written (the synthetic generators stop at
/// a size).
pub(crate) struct Counting<W> {
    pub(crate) inner: W,
    pub(crate) n: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.n += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Two gateways: `a` (initiator) and `b`.
fn endpoints(ipv6: bool) -> (IpAddr, IpAddr) {
    if ipv6 {
        (
            IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
            IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2)),
        )
    } else {
        (
            IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
            IpAddr::V4(Ipv4Addr::new(198, 51, 100, 2)),
        )
    }
}

/// Writes a synthetic capture: ESP packets alternating direction (one in
/// eight in UDP 4500, the rest protocol 50), 100 µs apart from
/// 2023-11-14T22:13:20Z, with `spec.ike_count` IKE messages (from `ike`,
/// in turn; alternately on UDP 500 and on 4500 with the non-ESP marker)
/// spread evenly. With `ike` empty no IKE message is written.
pub fn synth<W: Write>(out: W, spec: &SynthSpec, ike: &[Vec<u8>]) -> io::Result<SynthSummary> {
    let link = spec.encap.link_type(spec.ipv6);
    let counting = Counting { inner: out, n: 0 };
    let mut w = match spec.format {
        Format::Pcap { big_endian, nanos } => {
            CaptureWriter::pcap(counting, link, big_endian, nanos)?
        }
        Format::PcapNg => CaptureWriter::pcapng(counting, &[Interface { link, tsresol: 9 }])?,
    };
    let (a, b) = endpoints(spec.ipv6);
    let ip_header = if spec.ipv6 { 40 } else { 20 };
    let esp_len = spec.esp_size.saturating_sub(ip_header).max(8);
    // Frames of each kind, built once; only the sequence number changes.
    let mut templates: Vec<(Vec<u8>, usize)> = Vec::new();
    for (s, d, spi) in [(a, b, 0xc0ff_ee01u32), (b, a, 0xc0ff_ee02)] {
        let ip = ip_raw(s, d, 50, &esp_body(spi, 0, esp_len));
        templates.push((spec.encap.frame(&ip), ip_header + 4));
        let body = esp_body(spi ^ 0x1000_0000, 0, esp_len.saturating_sub(8).max(8));
        let ip = ip_udp(
            SocketAddr::new(s, NAT_T_PORT),
            SocketAddr::new(d, NAT_T_PORT),
            &body,
        );
        // The UDP checksum would go stale when seq changes: zero it (allowed in IPv4,
        // and tolerated by every reader for a benchmark in IPv6).
        let mut frame = spec.encap.frame(&ip);
        let udp_at = frame.len() - body.len() - 8;
        frame[udp_at + 6] = 0;
        frame[udp_at + 7] = 0;
        templates.push((frame, ip_header + 8 + 4));
    }
    let link_len = spec.encap.frame(&[]).len();
    // Record overhead: 16 bytes in pcap, 32 and padding in pcapng; erring
    // high keeps every IKE message inside the file.
    let overhead = match spec.format {
        Format::Pcap { .. } => 16,
        Format::PcapNg => 40,
    };
    let est_frame = templates[0].0.len() as u64 + overhead;
    let total_frames = (spec.size / est_frame).max(1);
    let ike_every = if spec.ike_count == 0 || ike.is_empty() {
        u64::MAX
    } else {
        (total_frames / spec.ike_count).max(1)
    };
    let mut sum = SynthSummary::default();
    let mut seq = [0u32; 4];
    let mut n: u64 = 0;
    let start = 1_700_000_000i64;
    loop {
        let written = w.out_len();
        if written >= spec.size {
            break;
        }
        let nanos = n * 100_000;
        let t = Timestamp::new(start, nanos, Precision::Nano);
        if ike_every != u64::MAX && n % ike_every == ike_every / 2 && sum.ike < spec.ike_count {
            let msg = &ike[(sum.ike as usize) % ike.len()];
            let (s, d) = if sum.ike % 2 == 0 { (a, b) } else { (b, a) };
            let ip = if sum.ike % 4 < 2 {
                ip_udp(
                    SocketAddr::new(s, IKE_PORT),
                    SocketAddr::new(d, IKE_PORT),
                    msg,
                )
            } else {
                ip_udp(
                    SocketAddr::new(s, NAT_T_PORT),
                    SocketAddr::new(d, NAT_T_PORT),
                    &with_non_esp_marker(msg),
                )
            };
            w.write_packet(0, t, &spec.encap.frame(&ip))?;
            sum.ike += 1;
        } else {
            // templates: [a->b ESP, a->b ESP-in-UDP, b->a ESP, b->a ESP-in-UDP]
            let dir = (n % 2) as usize;
            let udp = usize::from((n / 2) % 4 == 3);
            let k = dir * 2 + udp;
            seq[k] = seq[k].wrapping_add(1);
            let (frame, at) = &mut templates[k];
            let seq_at = link_len + *at;
            if let Some(slot) = frame.get_mut(seq_at..seq_at + 4) {
                slot.copy_from_slice(&seq[k].to_be_bytes());
            }
            w.write_packet(0, t, frame)?;
            if udp == 0 {
                sum.esp += 1;
            } else {
                sum.esp_udp += 1;
            }
        }
        n += 1;
    }
    sum.frames = n;
    sum.bytes = w.out_len();
    let mut counting = w.into_inner();
    counting.flush()?;
    Ok(sum)
}

impl<W: Write> CaptureWriter<Counting<W>> {
    fn out_len(&self) -> u64 {
        self.get_ref().n
    }
}
