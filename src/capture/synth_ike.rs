//! A synthetic IKE-heavy capture, as a VPN concentrator or a busy lab sees
//! it: many IKE SAs between one gateway and as many peers, each with its
//! IKE_SA_INIT, IKE_AUTH and a liveness check, a few ESP packets, and some
//! with the QCD reply (INVALID_IKE_SPI + QCD_TOKEN), IPv6, NAT-T on UDP 4500
//! and IKE_AUTH messages split into IP fragments. For benchmarks of the
//! per-SA cost of `qcd decode --summary` and `qcd diagnose`; the messages are
//! built with the wire Reprs (SK bodies are filler), never used as evidence
//! of real behaviour.

use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::synth::Counting;
use super::write::{
    esp_body, fragment, ip_raw, ip_udp, with_non_esp_marker, CaptureWriter, Encap, Format,
    Interface,
};
use super::{Precision, Timestamp, IKE_PORT, NAT_T_PORT};
use crate::spi::Spi;
use crate::wire::{
    EncryptedRepr, ExchangeType, Flags, MessageRepr, NotifyRepr, NotifyType, PayloadRepr,
    PayloadType,
};

/// What to generate.
#[derive(Debug, Clone)]
pub struct IkeHeavySpec {
    /// Number of IKE SAs (one peer each).
    pub sas: u64,
    /// ESP packets per SA and direction.
    pub esp_per_sa: u32,
    /// Every n-th SA gets the QCD reply, is on IPv6, uses NAT-T (UDP 4500
    /// after IKE_SA_INIT, ESP in UDP), sends its IKE_AUTH request in IP
    /// fragments (0 = never).
    pub qcd_every: u64,
    pub ipv6_every: u64,
    pub nat_every: u64,
    pub fragment_every: u64,
    /// SAs whose exchanges interleave in time.
    pub interleave: usize,
    /// Every SA is only its IKE_SA_INIT request, never answered: an
    /// IKE_SA_INIT flood (each from its own address, as spoofed floods are).
    pub half_open: bool,
    pub format: Format,
}

impl Default for IkeHeavySpec {
    fn default() -> Self {
        IkeHeavySpec {
            sas: 20_000,
            esp_per_sa: 1,
            qcd_every: 4,
            ipv6_every: 5,
            nat_every: 3,
            fragment_every: 7,
            interleave: 16,
            half_open: false,
            format: Format::Pcap {
                big_endian: false,
                nanos: false,
            },
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IkeHeavySummary {
    pub bytes: u64,
    pub frames: u64,
    pub ike: u64,
    pub esp: u64,
    pub qcd_replies: u64,
    pub fragments: u64,
}

fn every(i: u64, n: u64) -> bool {
    n != 0 && i.is_multiple_of(n)
}

fn filler(n: usize, seed: u64) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed as u8))
        .collect()
}

/// The gateway and the peer of SA `i`.
fn hosts(i: u64, v6: bool) -> (IpAddr, IpAddr) {
    if v6 {
        (
            IpAddr::V6(Ipv6Addr::new(
                0x2001,
                0xdb8,
                1,
                0,
                0,
                0,
                (i >> 16) as u16,
                i as u16,
            )),
            IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0xffff, 0, 0, 0, 0, 1)),
        )
    } else {
        (
            IpAddr::V4(Ipv4Addr::new(10, (i >> 16) as u8, (i >> 8) as u8, i as u8)),
            IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1)),
        )
    }
}

/// One packet to write: the IP packet(s) (more than one for fragments).
struct Step {
    ips: Vec<Vec<u8>>,
    ike: bool,
    qcd: bool,
}

/// The packets of SA `i`, in order.
fn sa_steps(i: u64, spec: &IkeHeavySpec) -> Vec<Step> {
    let v6 = every(i, spec.ipv6_every);
    let nat = every(i, spec.nat_every);
    let (a, b) = hosts(i, v6);
    let spi_i = Spi((0x1000_0000_0000_0000u64 + i).to_be_bytes());
    let spi_r = Spi((0x2000_0000_0000_0000u64 + i).to_be_bytes());
    let msg = |spi_r: Spi, exchange, flags, message_id, payloads| MessageRepr {
        spi_i,
        spi_r,
        exchange,
        flags,
        message_id,
        payloads,
    };
    let sk = |first: PayloadType, n: usize, seed: u64| {
        PayloadRepr::encrypted(EncryptedRepr {
            fragment: None,
            first_inner: first,
            body: filler(n, seed),
        })
    };
    // Group 19 (ECP_256): the public value is x || y, 64 octets (RFC 5903).
    let mut ke = vec![0, 19, 0, 0];
    ke.extend(filler(64, i));
    // One IKE proposal: ENCR_AES_CBC-256, PRF_HMAC_SHA2_256,
    // AUTH_HMAC_SHA2_256_128, ECP_256. An empty SK body under it is a
    // 16-octet IV, one 16-octet block and a 16-octet ICV: 48 octets, the
    // size of the liveness checks below.
    let sa = hex::decode(
        "0000002c010100040300000c0100000c800e01000300000802000005030000080300000c0000000804000013",
    )
    .unwrap_or_default();
    let init_req = msg(
        Spi([0; 8]),
        ExchangeType::IKE_SA_INIT,
        Flags::INITIATOR,
        0,
        vec![
            PayloadRepr::other(PayloadType::SA, sa.clone()),
            PayloadRepr::other(PayloadType::KE, ke.clone()),
            PayloadRepr::other(PayloadType::NONCE, filler(32, i + 1)),
            PayloadRepr::notify(NotifyRepr::new(
                0,
                NotifyType::NAT_DETECTION_SOURCE_IP,
                filler(20, i + 2),
            )),
            PayloadRepr::notify(NotifyRepr::new(
                0,
                NotifyType::NAT_DETECTION_DESTINATION_IP,
                filler(20, i + 3),
            )),
        ],
    );
    let init_resp = msg(
        spi_r,
        ExchangeType::IKE_SA_INIT,
        Flags::RESPONSE,
        0,
        vec![
            PayloadRepr::other(PayloadType::SA, sa),
            PayloadRepr::other(PayloadType::KE, ke),
            PayloadRepr::other(PayloadType::NONCE, filler(32, i + 4)),
            PayloadRepr::notify(NotifyRepr::new(
                0,
                NotifyType::NAT_DETECTION_SOURCE_IP,
                filler(20, i + 5),
            )),
            PayloadRepr::notify(NotifyRepr::new(
                0,
                NotifyType::NAT_DETECTION_DESTINATION_IP,
                filler(20, i + 6),
            )),
        ],
    );
    let frag = every(i, spec.fragment_every);
    let auth_req = msg(
        spi_r,
        ExchangeType::IKE_AUTH,
        Flags::INITIATOR,
        1,
        vec![sk(PayloadType::IDI, if frag { 1_600 } else { 320 }, i + 7)],
    );
    let auth_resp = msg(
        spi_r,
        ExchangeType::IKE_AUTH,
        Flags::RESPONSE,
        1,
        vec![sk(PayloadType::IDR, 256, i + 8)],
    );
    let dpd_req = msg(
        spi_r,
        ExchangeType::INFORMATIONAL,
        Flags::INITIATOR,
        2,
        vec![sk(PayloadType::NONE, 48, i + 9)],
    );
    let dpd_resp = msg(
        spi_r,
        ExchangeType::INFORMATIONAL,
        Flags::RESPONSE,
        2,
        vec![sk(PayloadType::NONE, 48, i + 10)],
    );
    let ike = |m: &MessageRepr, from: IpAddr, to: IpAddr, after_init: bool| -> Vec<u8> {
        let bytes = m.to_bytes().unwrap_or_default();
        if nat && after_init {
            ip_udp(
                SocketAddr::new(from, NAT_T_PORT),
                SocketAddr::new(to, NAT_T_PORT),
                &with_non_esp_marker(&bytes),
            )
        } else {
            ip_udp(
                SocketAddr::new(from, IKE_PORT),
                SocketAddr::new(to, IKE_PORT),
                &bytes,
            )
        }
    };
    let one = |ip: Vec<u8>, ike: bool| Step {
        ips: vec![ip],
        ike,
        qcd: false,
    };
    if spec.half_open {
        return vec![one(ike(&init_req, a, b, false), true)];
    }
    let mut steps = vec![
        one(ike(&init_req, a, b, false), true),
        one(ike(&init_resp, b, a, false), true),
    ];
    let auth = ike(&auth_req, a, b, true);
    steps.push(Step {
        ips: if frag {
            fragment(&auth, 1_000, i as u32)
        } else {
            vec![auth]
        },
        ike: true,
        qcd: false,
    });
    steps.push(one(ike(&auth_resp, b, a, true), true));
    for seq in 1..=spec.esp_per_sa {
        for (from, to, spi) in [
            (a, b, 0xc000_0000u32 | i as u32),
            (b, a, 0xd000_0000u32 | i as u32),
        ] {
            let body = esp_body(spi, seq, 120);
            let ip = if nat {
                ip_udp(
                    SocketAddr::new(from, NAT_T_PORT),
                    SocketAddr::new(to, NAT_T_PORT),
                    &body,
                )
            } else {
                ip_raw(from, to, 50, &body)
            };
            steps.push(one(ip, false));
        }
    }
    steps.push(one(ike(&dpd_req, a, b, true), true));
    steps.push(one(ike(&dpd_resp, b, a, true), true));
    if every(i, spec.qcd_every) {
        let check = msg(
            spi_r,
            ExchangeType::INFORMATIONAL,
            Flags::INITIATOR,
            3,
            vec![sk(PayloadType::NONE, 48, i + 11)],
        );
        let reply = msg(
            spi_r,
            ExchangeType::INFORMATIONAL,
            Flags::RESPONSE,
            3,
            vec![
                PayloadRepr::notify(NotifyRepr::new(0, NotifyType::INVALID_IKE_SPI, vec![])),
                PayloadRepr::notify(NotifyRepr::qcd_token(&filler(32, i + 12))),
            ],
        );
        steps.push(one(ike(&check, a, b, true), true));
        let mut s = one(ike(&reply, b, a, true), true);
        s.qcd = true;
        steps.push(s);
    }
    steps
}

/// Writes the capture (Ethernet, 100 µs between packets from
/// 2023-11-14T22:13:20Z), `spec.interleave` SAs at a time.
pub fn ike_heavy<W: Write>(out: W, spec: &IkeHeavySpec) -> io::Result<IkeHeavySummary> {
    let encap = Encap::Ethernet;
    let counting = Counting { inner: out, n: 0 };
    let mut w = match spec.format {
        Format::Pcap { big_endian, nanos } => {
            CaptureWriter::pcap(counting, encap.link_type(false), big_endian, nanos)?
        }
        Format::PcapNg => CaptureWriter::pcapng(
            counting,
            &[Interface {
                link: encap.link_type(false),
                tsresol: 9,
            }],
        )?,
    };
    let mut sum = IkeHeavySummary::default();
    let start = 1_700_000_000i64;
    let mut n: u64 = 0;
    let group = spec.interleave.max(1) as u64;
    let mut first = 0;
    while first < spec.sas {
        let last = (first + group).min(spec.sas);
        let mut pending: Vec<std::vec::IntoIter<Step>> = (first..last)
            .map(|i| sa_steps(i, spec).into_iter())
            .collect();
        loop {
            let mut any = false;
            for it in pending.iter_mut() {
                let Some(step) = it.next() else { continue };
                any = true;
                for ip in &step.ips {
                    let t = Timestamp::new(
                        start + (n / 10_000) as i64,
                        (n % 10_000) * 100_000,
                        Precision::Nano,
                    );
                    w.write_packet(0, t, &encap.frame(ip))?;
                    n += 1;
                }
                if step.ips.len() > 1 {
                    sum.fragments += step.ips.len() as u64;
                }
                if step.ike {
                    sum.ike += 1;
                } else {
                    sum.esp += 1;
                }
                if step.qcd {
                    sum.qcd_replies += 1;
                }
            }
            if !any {
                break;
            }
        }
        first = last;
    }
    sum.frames = n;
    sum.bytes = w.get_ref().n;
    let mut counting = w.into_inner();
    counting.flush()?;
    Ok(sum)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{CaptureReader, Event, ReadOptions};

    #[test]
    fn every_message_reads_back() {
        let spec = IkeHeavySpec {
            sas: 64,
            ..IkeHeavySpec::default()
        };
        let mut buf = Vec::new();
        let sum = ike_heavy(&mut buf, &spec).unwrap();
        assert_eq!(sum.qcd_replies, 16);
        assert!(sum.fragments > 0);
        let mut r = CaptureReader::new(
            std::io::Cursor::new(buf),
            "heavy",
            ReadOptions {
                esp_events: true,
                ..ReadOptions::default()
            },
        )
        .unwrap();
        let (mut ike, mut esp) = (0, 0);
        while let Some(e) = r.next_event() {
            match e {
                Event::Ike(d) => {
                    // Well formed to the last field (a KE of the size its
                    // group fixes, and so on), as tshark reads them too.
                    let m = crate::decode::test_message(&d.payload, None).unwrap();
                    assert!(m.malformed.is_none(), "{:?}", m.malformed);
                    assert!(m.warnings.is_empty(), "{:?}", m.warnings);
                    ike += 1;
                }
                Event::Esp { .. } => esp += 1,
                Event::Icmp { .. } => {}
                Event::Warning(w) => panic!("{w}"),
            }
        }
        assert_eq!((ike, esp), (sum.ike, sum.esp));
    }

    #[test]
    fn a_half_open_flood_is_one_unanswered_request_per_sa() {
        let spec = IkeHeavySpec {
            sas: 50,
            half_open: true,
            ..IkeHeavySpec::default()
        };
        let mut buf = Vec::new();
        let sum = ike_heavy(&mut buf, &spec).unwrap();
        assert_eq!(
            (sum.ike, sum.esp, sum.qcd_replies, sum.frames),
            (50, 0, 0, 50)
        );
        let mut r =
            CaptureReader::new(std::io::Cursor::new(buf), "flood", ReadOptions::default()).unwrap();
        let mut sources = std::collections::HashSet::new();
        while let Some(e) = r.next_event() {
            let Event::Ike(d) = e else {
                panic!("only IKE in a flood")
            };
            let m = crate::decode::test_message(&d.payload, None).unwrap();
            assert_eq!(
                (m.exchange.as_ref(), m.initiator, m.response),
                ("IKE_SA_INIT", true, false)
            );
            assert_eq!(m.spi_r, "0000000000000000");
            sources.insert(d.src.ip());
        }
        assert_eq!(sources.len(), 50, "each request from its own address");
    }
}
