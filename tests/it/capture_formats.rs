//! Capture formats, link types and encapsulations: every fixture must give
//! exactly the IKE messages, ESP packets and keepalives put in it.

use crate::support;

use qcd::capture::write::{ip_udp, CaptureWriter, Encap, Interface};
use qcd::capture::{
    sniff, CaptureError, CaptureReader, FileKind, LinkType, Precision, ReadOptions, Timestamp,
};
use support::*;

fn check_conversation(name: &str, bytes: &[u8], v6: bool) {
    let r = read(bytes);
    let got: Vec<_> = r
        .ike
        .iter()
        .map(|e| (e.frame, e.src, e.dst, e.payload.clone()))
        .collect();
    assert_eq!(got, conversation_ike(v6), "{name}: IKE events");
    assert!(r.warnings.is_empty(), "{name}: {:?}", r.warnings);
    assert!(!r.damaged, "{name}");
    assert_eq!(r.counters.frames, 7, "{name}");
    assert_eq!(r.counters.keepalives, 1, "{name}");
    let (a, b) = if v6 { (A6, B6) } else { (A4, B4) };
    let port = |h: &str, p: u16| std::net::SocketAddr::new(ip(h), p);
    assert_eq!(
        r.esp,
        vec![
            (3, port(a, 0), port(b, 0), 0x0102_0304, 1),
            (6, port(b, 4500), port(a, 4500), 0x0a0b_0c0d, 7),
        ],
        "{name}: ESP events"
    );
    assert_eq!(r.stats.packets(), 2);
    assert_eq!(r.stats.len(), 2);
    for e in &r.ike {
        assert!(!e.truncated && !e.reassembled, "{name}");
        assert_eq!(
            e.time,
            Some(time_of(e.frame as usize - 1)).map(|t| Timestamp {
                precision: e.time.unwrap().precision,
                ..t
            })
        );
    }
}

#[test]
fn every_link_type_and_encapsulation() {
    for v6 in [false, true] {
        let conv = conversation(v6);
        for encap in [
            Encap::Ethernet,
            Encap::Vlan(100),
            Encap::QinQ(200, 100),
            Encap::Raw,
            Encap::RawByVersion,
            Encap::LinuxSll,
            Encap::LinuxSll2,
            Encap::Null,
            Encap::Loop,
        ] {
            let frames: Vec<_> = conv.iter().map(|p| encap.frame(p)).collect();
            let link = encap.link_type(v6);
            check_conversation(&format!("{encap:?} v6={v6}"), &pcap(link, &frames), v6);
        }
        // DLT_RAW as numbered 12 and 14 in some files.
        for link in [LinkType::RAW_12, LinkType::RAW_14] {
            check_conversation(&format!("{link:?}"), &pcap(link, &conv), v6);
        }
    }
}

#[test]
fn byte_orders_and_nanoseconds() {
    let conv = eth(&conversation(false));
    for (be, ns) in [(false, false), (true, false), (false, true), (true, true)] {
        let bytes = pcap_with(LinkType::ETHERNET, be, ns, &conv);
        assert_eq!(sniff(&bytes), FileKind::Pcap);
        check_conversation(&format!("be={be} ns={ns}"), &bytes, false);
        let want = if ns {
            Precision::Nano
        } else {
            Precision::Micro
        };
        assert!(read(&bytes)
            .ike
            .iter()
            .all(|e| e.time.unwrap().precision == want));
    }
    // A nanosecond time survives at full precision and prints with 9 digits.
    let t = Timestamp::new(T0, 123_456_789, Precision::Nano);
    let mut w = CaptureWriter::pcap(Vec::new(), LinkType::ETHERNET, true, true).unwrap();
    w.write_packet(0, t, &conv[0]).unwrap();
    let r = read(&w.into_inner());
    assert_eq!(r.ike[0].time, Some(t));
    assert_eq!(
        r.ike[0].time.unwrap().to_string(),
        "2023-11-14T22:13:20.123456789Z"
    );
}

#[test]
fn pcapng_two_interfaces_with_own_link_types_and_resolutions() {
    let bytes = two_interfaces();
    assert_eq!(sniff(&bytes), FileKind::PcapNg);
    let r = read(&bytes);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    assert_eq!(r.counters.frames, 14);
    let v4: Vec<_> = conversation_ike(false)
        .into_iter()
        .map(|(f, s, d, p)| (2 * f - 1, s, d, p))
        .collect();
    let v6: Vec<_> = conversation_ike(true)
        .into_iter()
        .map(|(f, s, d, p)| (2 * f, s, d, p))
        .collect();
    let mut want: Vec<_> = v4.into_iter().chain(v6).collect();
    want.sort_by_key(|w| w.0);
    let got: Vec<_> = r
        .ike
        .iter()
        .map(|e| (e.frame, e.src, e.dst, e.payload.clone()))
        .collect();
    assert_eq!(got, want);
    for e in &r.ike {
        let p = e.time.unwrap().precision;
        assert_eq!(
            p,
            if e.frame % 2 == 1 {
                Precision::Micro
            } else {
                Precision::Nano
            }
        );
    }

    // Sub-microsecond times on the ns interface, µs on the other.
    let p = ip_udp(
        sa("[2001:db8::1]:500"),
        sa("[2001:db8::2]:500"),
        &ike_samples::qcd_reply(),
    );
    let q = Encap::Ethernet.frame(&ip_udp(
        sa("192.0.2.1:500"),
        sa("198.51.100.2:500"),
        &ike_samples::qcd_reply(),
    ));
    let ifaces = [
        Interface {
            link: LinkType::ETHERNET,
            tsresol: 6,
        },
        Interface {
            link: LinkType::IPV6,
            tsresol: 9,
        },
    ];
    let mut w = CaptureWriter::pcapng(Vec::new(), &ifaces).unwrap();
    let t_ns = Timestamp::new(T0, 987_654_321, Precision::Nano);
    w.write_packet(1, t_ns, &p).unwrap();
    w.write_packet(0, t_ns, &q).unwrap();
    let r = read(&w.into_inner());
    assert_eq!(r.ike[0].time, Some(t_ns));
    assert_eq!(
        r.ike[1].time,
        Some(Timestamp::new(T0, 987_654_000, Precision::Micro))
    );
    assert_eq!(
        r.ike[1].time.unwrap().to_string(),
        "2023-11-14T22:13:20.987654Z"
    );
}

#[test]
fn ipv6_extension_headers() {
    let p = ipv6_with_extensions(
        sa("[2001:db8::1]:500"),
        sa("[2001:db8::2]:500"),
        &ike_samples::qcd_reply(),
    );
    let r = read(&pcap(LinkType::ETHERNET, &eth(&[p])));
    assert_eq!(r.ike.len(), 1, "{:?}", r.warnings);
    assert_eq!(r.ike[0].payload, ike_samples::qcd_reply());
    assert_eq!(r.ike[0].src.to_string(), "[2001:db8::1]:500");
}

#[test]
fn extra_ports_and_non_ike_traffic() {
    let msg = ike_samples::qcd_reply();
    let frames = eth(&[
        ip_udp(sa("192.0.2.1:7000"), sa("198.51.100.2:7000"), &msg),
        ip_udp(
            sa("192.0.2.1:7001"),
            sa("198.51.100.2:7001"),
            &qcd::capture::write::with_non_esp_marker(&msg),
        ),
        ip_udp(sa("192.0.2.1:53"), sa("198.51.100.2:53"), b"dns"),
    ]);
    let mut frames = frames;
    frames.push(
        vec![0xff; 6]
            .into_iter()
            .chain(vec![0; 6])
            .chain([0x08, 0x06])
            .chain(vec![0; 28])
            .collect(),
    ); // ARP
    let bytes = pcap(LinkType::ETHERNET, &frames);
    let r = read(&bytes);
    assert!(
        r.ike.is_empty() && r.warnings.is_empty(),
        "{:?}",
        r.warnings
    );
    let r = read_with(
        &bytes,
        ReadOptions {
            extra_ports: vec![7000, 7001],
            ..ReadOptions::default()
        },
    );
    assert_eq!(r.ike.len(), 2);
    assert!(
        r.ike.iter().all(|e| e.payload == msg),
        "marker stripped on extra ports"
    );
    assert_eq!(r.counters.frames, 4);
}

#[test]
fn snaplen_cut_ike_is_flagged_truncated() {
    let msg = ike_samples::ike_auth(400);
    let mut frame =
        Encap::Ethernet.frame(&ip_udp(sa("192.0.2.1:500"), sa("198.51.100.2:500"), &msg));
    frame.truncate(14 + 20 + 8 + 100);
    let r = read(&pcap(LinkType::ETHERNET, &[frame]));
    assert_eq!(r.ike.len(), 1);
    assert!(r.ike[0].truncated);
    assert_eq!(r.ike[0].payload, msg[..100]);
}

#[test]
fn malformed_nat_t_payload_and_unsupported_link_type_warn() {
    let frames = eth(&[ip_udp(
        sa("192.0.2.1:4500"),
        sa("198.51.100.2:4500"),
        &[1, 2, 3],
    )]);
    let r = read(&pcap(LinkType::ETHERNET, &frames));
    assert_eq!(r.warnings.len(), 1);
    assert_eq!(r.warnings[0].frame, Some(1));
    assert!(
        r.warnings[0].to_string().contains("port 4500"),
        "{}",
        r.warnings[0]
    );
    assert!(!r.damaged);

    let r = read(&pcap(LinkType(147), &frames));
    assert_eq!(
        r.warnings.len(),
        1,
        "warned once per interface: {:?}",
        r.warnings
    );
    assert!(r.warnings[0].to_string().contains("not supported"));
}

#[test]
fn not_a_capture_and_empty() {
    assert!(matches!(
        CaptureReader::new(&b"00 11 22 33"[..], "x.txt", ReadOptions::default()),
        Err(CaptureError::NotACapture { .. })
    ));
    assert!(matches!(
        CaptureReader::new(&b""[..], "empty", ReadOptions::default()),
        Err(CaptureError::Empty { .. })
    ));
    let e = CaptureReader::new(
        &[0xd4, 0xc3, 0xb2, 0xa1, 2][..],
        "short.pcap",
        ReadOptions::default(),
    );
    assert!(matches!(e, Err(CaptureError::BadHeader { .. })));
}

#[test]
fn synthetic_captures_read_back_exactly() {
    use qcd::capture::synth::{synth, SynthSpec};
    use qcd::capture::write::Format;
    let ike = vec![ike_samples::qcd_reply(), ike_samples::ike_auth(600)];
    for format in [
        Format::Pcap {
            big_endian: true,
            nanos: true,
        },
        Format::PcapNg,
    ] {
        for encap in [
            Encap::Ethernet,
            Encap::Vlan(5),
            Encap::QinQ(6, 7),
            Encap::LinuxSll,
            Encap::Null,
            Encap::Raw,
        ] {
            for ipv6 in [false, true] {
                let spec = SynthSpec {
                    size: 1 << 20,
                    esp_size: 1400,
                    ike_count: 20,
                    encap,
                    format,
                    ipv6,
                };
                let mut bytes = Vec::new();
                let sum = synth(&mut bytes, &spec, &ike).unwrap();
                // A small buffer: many refills, records straddling them.
                let r = read_with(
                    &bytes,
                    ReadOptions {
                        buffer_size: 64 * 1024,
                        ..ReadOptions::default()
                    },
                );
                let what = format!("{format:?} {encap:?} v6={ipv6}");
                assert!(r.warnings.is_empty(), "{what}: {:?}", r.warnings);
                assert_eq!(r.counters.frames, sum.frames, "{what}");
                assert_eq!(r.counters.esp, sum.esp + sum.esp_udp, "{what}");
                assert_eq!(r.stats.len(), 4, "{what}");
                assert_eq!(r.ike.len() as u64, sum.ike, "{what}");
                assert_eq!(sum.ike, 20, "{what}");
                for (i, e) in r.ike.iter().enumerate() {
                    assert_eq!(e.payload, ike[i % 2], "{what}");
                }
            }
        }
    }
}

#[test]
fn records_larger_than_the_read_buffer() {
    let mut big = vec![0u8; 200_000];
    big[12] = 0x88;
    big[13] = 0xb5; // local experimental ethertype: not IP
    let ike = Encap::Ethernet.frame(&ip_udp(
        sa("192.0.2.1:500"),
        sa("198.51.100.2:500"),
        &ike_samples::qcd_reply(),
    ));
    let frames = vec![ike.clone(), big.clone(), ike.clone(), big, ike];
    let small = ReadOptions {
        buffer_size: 64 * 1024,
        ..ReadOptions::default()
    };
    let ng = pcapng(
        &[Interface {
            link: LinkType::ETHERNET,
            tsresol: 6,
        }],
        &frames.iter().map(|f| (0, f.clone())).collect::<Vec<_>>(),
    );
    for bytes in [pcap(LinkType::ETHERNET, &frames), ng] {
        let r = read_with(&bytes, small.clone());
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        assert_eq!(
            r.ike.iter().map(|e| e.frame).collect::<Vec<_>>(),
            vec![1, 3, 5]
        );
        assert!(!r.damaged);
    }
}

#[test]
fn pcapng_sections_concatenated() {
    // `cat a.pcapng b.pcapng` is a valid pcapng: each section has its own interfaces.
    let one = two_interfaces();
    let eth_only = pcapng(
        &[Interface {
            link: LinkType::IPV6,
            tsresol: 9,
        }],
        &conversation(true)
            .into_iter()
            .map(|p| (0, p))
            .collect::<Vec<_>>(),
    );
    let mut both = one.clone();
    both.extend_from_slice(&eth_only);
    let r = read(&both);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    assert_eq!(r.counters.frames, 21);
    let tail: Vec<_> = r
        .ike
        .iter()
        .filter(|e| e.frame > 14)
        .map(|e| (e.frame - 14, e.src, e.dst, e.payload.clone()))
        .collect();
    assert_eq!(tail, conversation_ike(true));
}
