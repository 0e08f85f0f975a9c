//! The one helper module of the test binary: fixture captures for the
//! capture tests, built in code (so the bytes and the expectations live side
//! by side), a harness collecting events, the captures of tests/data, and
//! below, the other helpers.
#![allow(dead_code)]

pub mod cli;
pub mod dissect_samples;
pub mod golden;
pub mod ike_responder;
pub mod ike_samples;
pub mod lock;
pub mod netns;
pub mod parallel;
pub mod tools;

pub use cli::{mode_of, Dir, Run};
pub use lock::{heavy, timed};

use qcd::capture::write::{
    esp_body, fragment, ip_raw, ip_udp, with_non_esp_marker, CaptureWriter, Encap, Interface,
};

use qcd::capture::{
    CaptureReader, Counters, EspStats, Event, IkeDatagram, LinkType, Precision, ReadOptions,
    Timestamp, Warning,
};
use std::net::{IpAddr, SocketAddr};

pub const T0: i64 = 1_700_000_000;

pub fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

pub fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// Frame `i` (0-based) is captured at T0 + i ms.
pub fn time_of(i: usize) -> Timestamp {
    Timestamp::new(T0, i as u64 * 1_000_000, Precision::Micro)
}

pub fn pcap_with(link: LinkType, big_endian: bool, nanos: bool, frames: &[Vec<u8>]) -> Vec<u8> {
    let mut w = CaptureWriter::pcap(Vec::new(), link, big_endian, nanos).unwrap();
    for (i, f) in frames.iter().enumerate() {
        w.write_packet(0, time_of(i), f).unwrap();
    }
    w.into_inner()
}

pub fn pcap(link: LinkType, frames: &[Vec<u8>]) -> Vec<u8> {
    pcap_with(link, false, false, frames)
}

pub fn pcapng(ifaces: &[Interface], frames: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let mut w = CaptureWriter::pcapng(Vec::new(), ifaces).unwrap();
    for (i, (iface, f)) in frames.iter().enumerate() {
        w.write_packet(*iface, time_of(i), f).unwrap();
    }
    w.into_inner()
}

/// An IKE packet seen by the reader, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ike {
    pub frame: u64,
    pub time: Option<Timestamp>,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub payload: Vec<u8>,
    pub truncated: bool,
    pub reassembled: bool,
}

#[derive(Debug, Default)]
pub struct Read {
    pub ike: Vec<Ike>,
    pub esp: Vec<(u64, SocketAddr, SocketAddr, u32, u32)>,
    pub warnings: Vec<Warning>,
    pub damaged: bool,
    pub counters: Counters,
    pub stats: EspStats,
}

/// What the reader yields with `opts`; `stats` tallies every ESP packet
/// (whether or not `opts` asks for ESP events) as `qcd decode --summary` does.
pub fn read_with(bytes: &[u8], opts: ReadOptions) -> Read {
    let events = opts.esp_events;
    let opts = ReadOptions {
        esp_events: true,
        ..opts
    };
    let mut r = CaptureReader::new(bytes, "fixture", opts).expect("capture opens");
    let mut out = Read::default();
    while let Some(ev) = r.next_event() {
        match ev {
            Event::Ike(IkeDatagram {
                frame,
                time,
                src,
                dst,
                payload,
                truncated,
                reassembled,
            }) => out.ike.push(Ike {
                frame,
                time,
                src,
                dst,
                payload: payload.into_owned(),
                truncated,
                reassembled,
            }),
            Event::Esp {
                frame,
                time,
                src,
                dst,
                spi,
                seq,
            } => {
                out.stats
                    .record(qcd::capture::EspKey { spi, src, dst }, frame, time, seq);
                if events {
                    out.esp.push((frame, src, dst, spi, seq));
                }
            }
            Event::Icmp { .. } => {}
            Event::Warning(w) => out.warnings.push(w),
        }
    }
    out.damaged = r.damaged();
    out.counters = r.counters();
    out
}

pub fn read(bytes: &[u8]) -> Read {
    read_with(
        bytes,
        ReadOptions {
            esp_events: true,
            ..ReadOptions::default()
        },
    )
}

pub const A4: &str = "192.0.2.1";
pub const B4: &str = "198.51.100.2";
pub const A6: &str = "2001:db8::1";
pub const B6: &str = "2001:db8::2";

fn ep(host: &str, port: u16) -> SocketAddr {
    SocketAddr::new(ip(host), port)
}

/// The basic conversation, as IP packets: IKE on 500 both ways, an ESP
/// packet (protocol 50), IKE on 4500 with the marker, a NAT keepalive,
/// ESP-in-UDP. IKE payloads: qcd_reply, then ike_auth(200) each time.
pub fn conversation(v6: bool) -> Vec<Vec<u8>> {
    let (a, b) = if v6 { (A6, B6) } else { (A4, B4) };
    let reply = ike_samples::qcd_reply();
    let auth = ike_samples::ike_auth(200);
    vec![
        ip_udp(ep(a, 500), ep(b, 500), &auth),
        ip_udp(ep(b, 500), ep(a, 500), &reply),
        ip_raw(ip(a), ip(b), 50, &esp_body(0x0102_0304, 1, 120)),
        ip_udp(ep(a, 4500), ep(b, 4500), &with_non_esp_marker(&auth)),
        ip_udp(ep(a, 4500), ep(b, 4500), &[0xff]),
        ip_udp(ep(b, 4500), ep(a, 4500), &esp_body(0x0a0b_0c0d, 7, 100)),
        ip_udp(ep(b, 4500), ep(a, 4500), &with_non_esp_marker(&reply)),
    ]
}

/// Expected IKE events of [`conversation`] on frames 1.. of a capture.
pub fn conversation_ike(v6: bool) -> Vec<(u64, SocketAddr, SocketAddr, Vec<u8>)> {
    let (a, b) = if v6 { (A6, B6) } else { (A4, B4) };
    let reply = ike_samples::qcd_reply();
    let auth = ike_samples::ike_auth(200);
    vec![
        (1, ep(a, 500), ep(b, 500), auth.clone()),
        (2, ep(b, 500), ep(a, 500), reply.clone()),
        (4, ep(a, 4500), ep(b, 4500), auth),
        (7, ep(b, 4500), ep(a, 4500), reply),
    ]
}

/// An IPv6 packet with hop-by-hop and destination options before UDP.
pub fn ipv6_with_extensions(src: SocketAddr, dst: SocketAddr, payload: &[u8]) -> Vec<u8> {
    let plain = ip_udp(src, dst, payload);
    let (head, udp) = plain.split_at(40);
    let mut p = head.to_vec();
    p[6] = 0; // hop-by-hop
    let plen = (udp.len() + 16) as u16;
    p[4..6].copy_from_slice(&plen.to_be_bytes());
    p.extend_from_slice(&[60, 0, 1, 4, 0, 0, 0, 0]); // HbH: next dest-opts, PadN
    p.extend_from_slice(&[17, 0, 1, 4, 0, 0, 0, 0]); // dest-opts: next UDP, PadN
    p.extend_from_slice(udp);
    p
}

/// A large IKE_AUTH on UDP 500 as one IP packet, IPv4 id `id`.
pub fn big_ike_packet(v6: bool, id: u16) -> (Vec<u8>, Vec<u8>) {
    let (a, b) = if v6 { (A6, B6) } else { (A4, B4) };
    let msg = ike_samples::ike_auth(3000);
    let mut p = ip_udp(ep(a, 500), ep(b, 500), &msg);
    if !v6 {
        p[4..6].copy_from_slice(&id.to_be_bytes());
    }
    (p, msg)
}

/// Fragments of a big IKE_AUTH (1200-byte pieces: 3 fragments).
pub fn big_ike_fragments(v6: bool, id: u16) -> (Vec<Vec<u8>>, Vec<u8>) {
    let (p, msg) = big_ike_packet(v6, id);
    (fragment(&p, 1200, u32::from(id)), msg)
}

pub fn eth(ips: &[Vec<u8>]) -> Vec<Vec<u8>> {
    ips.iter().map(|p| Encap::Ethernet.frame(p)).collect()
}

/// Every capture that tshark must read the same way as qcd: (file name,
/// bytes). Damaged files and overlapping fragments are left out (tshark's
/// policies differ by design and are tested separately).
pub fn differential_fixtures() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for v6 in [false, true] {
        let conv = conversation(v6);
        let tag = if v6 { "v6" } else { "v4" };
        for (name, encap) in [
            ("eth", Encap::Ethernet),
            ("vlan", Encap::Vlan(100)),
            ("qinq", Encap::QinQ(200, 100)),
            ("raw", Encap::Raw),
            ("rawver", Encap::RawByVersion),
            ("sll", Encap::LinuxSll),
            ("sll2", Encap::LinuxSll2),
            ("null", Encap::Null),
            ("loop", Encap::Loop),
        ] {
            let frames: Vec<_> = conv.iter().map(|p| encap.frame(p)).collect();
            out.push((
                format!("{name}-{tag}.pcap"),
                pcap(encap.link_type(v6), &frames),
            ));
        }
        let (frags, _) = big_ike_fragments(v6, 0x1234);
        out.push((
            format!("frag-inorder-{tag}.pcap"),
            pcap(LinkType::ETHERNET, &eth(&frags)),
        ));
        let ooo = vec![frags[2].clone(), frags[0].clone(), frags[1].clone()];
        out.push((
            format!("frag-outoforder-{tag}.pcap"),
            pcap(LinkType::ETHERNET, &eth(&ooo)),
        ));
        let missing = vec![frags[0].clone(), frags[2].clone()];
        out.push((
            format!("frag-missing-{tag}.pcap"),
            pcap(LinkType::ETHERNET, &eth(&missing)),
        ));
    }
    let ext = ipv6_with_extensions(ep(A6, 500), ep(B6, 500), &ike_samples::qcd_reply());
    out.push((
        "v6-exthdrs.pcap".into(),
        pcap(LinkType::ETHERNET, &eth(&[ext])),
    ));
    let conv = eth(&conversation(false));
    out.push((
        "eth-v4-be.pcap".into(),
        pcap_with(LinkType::ETHERNET, true, false, &conv),
    ));
    out.push((
        "eth-v4-ns.pcap".into(),
        pcap_with(LinkType::ETHERNET, false, true, &conv),
    ));
    out.push((
        "eth-v4-be-ns.pcap".into(),
        pcap_with(LinkType::ETHERNET, true, true, &conv),
    ));
    out.push(("two-ifaces.pcapng".into(), two_interfaces()));
    out
}

/// pcapng with interface 0 Ethernet at µs and interface 1 raw IPv6
/// (LINKTYPE_IPV6) at ns, packets interleaved.
pub fn two_interfaces() -> Vec<u8> {
    let v4 = conversation(false);
    let v6 = conversation(true);
    let mut frames = Vec::new();
    for (p4, p6) in v4.iter().zip(v6.iter()) {
        frames.push((0, Encap::Ethernet.frame(p4)));
        frames.push((1, Encap::RawByVersion.frame(p6)));
    }
    pcapng(
        &[
            Interface {
                link: LinkType::ETHERNET,
                tsresol: 6,
            },
            Interface {
                link: LinkType::IPV6,
                tsresol: 9,
            },
        ],
        &frames,
    )
}

/// Every capture file (`.pcap`, `.pcapng`, `.cap`) under `tests/data`,
/// recursively, sorted (the fuzz findings of `tests/data/fuzz` are named
/// otherwise).
pub fn data_captures() -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("tests/data is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path
                .extension()
                .is_some_and(|e| e == "pcap" || e == "pcapng" || e == "cap")
            {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data"),
        &mut out,
    );
    out.sort();
    out
}

/// The key table beside a capture: `NAME.keys` (qcd's fixtures), Wireshark's
/// `FILE.ikev2_decryption_table` (tcpdump's test captures), or the
/// scenarios' shared `scenarios.keys` in its folder.
pub fn keys_beside(capture: &std::path::Path) -> Option<qcd::ikecrypto::KeyTable> {
    let mut wireshark = capture.as_os_str().to_owned();
    wireshark.push(".ikev2_decryption_table");
    [
        capture.with_extension("keys"),
        std::path::PathBuf::from(wireshark),
        capture.with_file_name("scenarios.keys"),
    ]
    .iter()
    .find(|p| p.is_file())
    .and_then(|p| qcd::ikecrypto::KeyTable::load(p).ok())
}
