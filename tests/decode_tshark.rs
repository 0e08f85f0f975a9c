//! Differential test against Wireshark: a corpus of IKEv2 messages built with
//! qcd's `wire` Reprs (varied exchanges, flags, message IDs, notifies with and
//! without SPI, QCD_TOKEN with protocol ID 0 and 1, INVALID_IKE_SPI, SK and
//! SKF payloads, UDP 500 and UDP 4500 with the non-ESP marker) is written to a
//! pcap, dissected by tshark, and every header field and every notify's
//! protocol, SPI, type and data compared with qcd's decoder.
//!
//! Skipped with a note when tshark is not installed (CI installs it).

use std::process::Command;

use qcd::decode::{self, Decoded, DecodedMessage};
use qcd::spi::Spi;
use qcd::wire::{
    EncryptedRepr, ExchangeType, Flags, Fragment, MessageRepr, NotifyRepr, NotifyType, PayloadRepr,
    PayloadType, ProtocolId,
};
use serde_json::Value;

fn bytes(seed: u32, n: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 8) as u8
        })
        .collect()
}

fn spi(seed: u32) -> Spi {
    let mut s = [0u8; 8];
    s.copy_from_slice(&bytes(seed, 8));
    Spi(s)
}

fn n(proto: u8, t: NotifyType, spi: Vec<u8>, data: Vec<u8>) -> PayloadRepr {
    PayloadRepr::notify(NotifyRepr {
        protocol_id: ProtocolId(proto),
        spi,
        notify_type: t,
        data,
    })
}

fn corpus() -> Vec<(bool, MessageRepr)> {
    let mut v = Vec::new();
    let exchanges = [
        ExchangeType::IKE_SA_INIT,
        ExchangeType::IKE_AUTH,
        ExchangeType::CREATE_CHILD_SA,
        ExchangeType::INFORMATIONAL,
    ];
    let flag_sets = [
        Flags::INITIATOR,
        Flags::RESPONSE,
        Flags::INITIATOR | Flags::RESPONSE,
        Flags(0),
        Flags::VERSION | Flags::INITIATOR,
    ];
    for i in 0..24u32 {
        let exchange = exchanges[i as usize % exchanges.len()];
        let flags = flag_sets[i as usize % flag_sets.len()];
        let payloads = match i % 8 {
            // The RFC 6290 reply, protocol ID 1 and a 32..=64 byte token.
            0 => vec![
                n(1, NotifyType::INVALID_IKE_SPI, vec![], vec![]),
                n(1, NotifyType::QCD_TOKEN, vec![], bytes(i, 32 + i as usize)),
            ],
            // Rockhopper: protocol ID 0.
            1 => vec![
                n(1, NotifyType::INVALID_IKE_SPI, vec![], vec![]),
                n(0, NotifyType::QCD_TOKEN, vec![], bytes(i, 64)),
            ],
            2 => vec![n(1, NotifyType::INVALID_IKE_SPI, vec![], vec![])],
            // INVALID_SPI names an ESP SPI.
            3 => vec![n(3, NotifyType::INVALID_SPI, bytes(i, 4), vec![])],
            // Liveness check / IKE_AUTH: SK last.
            4 => vec![PayloadRepr::encrypted(EncryptedRepr {
                fragment: None,
                first_inner: PayloadType(if i % 2 == 0 { 0 } else { 35 }),
                body: bytes(i, 16 + 32 + 12),
            })],
            5 => vec![
                PayloadRepr::other(PayloadType::NONCE, bytes(i, 32)),
                n(
                    0,
                    NotifyType::NAT_DETECTION_SOURCE_IP,
                    vec![],
                    bytes(i + 1, 20),
                ),
                n(0, NotifyType(50000), vec![], bytes(i + 2, 7)),
                PayloadRepr::other(PayloadType::VENDOR_ID, bytes(i + 3, 16)),
            ],
            6 => vec![
                n(3, NotifyType::REKEY_SA, bytes(i, 4), vec![]),
                n(1, NotifyType::QCD_TOKEN, vec![], bytes(i, 16)),
                n(1, NotifyType(9000), vec![], bytes(i, 3)),
            ],
            _ => vec![
                n(0, NotifyType::INITIAL_CONTACT, vec![], vec![]),
                PayloadRepr::encrypted(EncryptedRepr {
                    fragment: Some(Fragment {
                        number: 1,
                        total: 2,
                    }),
                    first_inner: PayloadType::IDI,
                    body: bytes(i, 64),
                }),
            ],
        };
        let m = MessageRepr {
            spi_i: spi(i),
            spi_r: if i % 5 == 0 {
                Spi::default()
            } else {
                spi(i + 100)
            },
            exchange,
            flags,
            message_id: i * 7919,
            payloads,
        };
        v.push((i % 3 == 2, m)); // every third over UDP 4500 behind the marker
    }
    v
}

/// A pcap (LINKTYPE_RAW IPv4) with one UDP datagram per message.
fn pcap(frames: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend(0xa1b2_c3d4u32.to_le_bytes());
    out.extend(2u16.to_le_bytes());
    out.extend(4u16.to_le_bytes());
    out.extend([0u8; 8]);
    out.extend(65535u32.to_le_bytes());
    out.extend(101u32.to_le_bytes());
    for (i, (port, data)) in frames.iter().enumerate() {
        let udp_len = 8 + data.len();
        let mut ip = vec![0x45, 0];
        ip.extend(((20 + udp_len) as u16).to_be_bytes());
        ip.extend([0, 0, 0, 0, 64, 17, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2]);
        ip.extend(port.to_be_bytes());
        ip.extend(port.to_be_bytes());
        ip.extend((udp_len as u16).to_be_bytes());
        ip.extend([0, 0]);
        ip.extend(data);
        out.extend((i as u32).to_le_bytes());
        out.extend(0u32.to_le_bytes());
        out.extend((ip.len() as u32).to_le_bytes());
        out.extend((ip.len() as u32).to_le_bytes());
        out.extend(ip);
    }
    out
}

fn as_list(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(a) => a.iter().collect(),
        Value::Null => vec![],
        other => vec![other],
    }
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("tshark gave no {k} in {v}"))
}

fn num(v: &Value, k: &str) -> u64 {
    let t = s(v, k);
    match t.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).unwrap(),
        None => t.parse().unwrap(),
    }
}

fn unhex(t: &str) -> String {
    t.replace(':', "")
}

/// Compares one message; returns (notifies, QCD tokens, encrypted payloads) compared.
fn compare(i: usize, ws: &Value, d: &DecodedMessage) -> (usize, usize, usize) {
    let mut seen = (0, 0, 0);
    let ctx = format!("message {i}: {ws}");
    assert_eq!(unhex(s(ws, "isakmp.ispi")), d.spi_i, "{ctx}");
    assert_eq!(unhex(s(ws, "isakmp.rspi")), d.spi_r, "{ctx}");
    assert_eq!(
        num(ws, "isakmp.exchangetype"),
        d.exchange_type as u64,
        "{ctx}"
    );
    assert_eq!(num(ws, "isakmp.flags"), d.flags as u64, "{ctx}");
    let ft = &ws["isakmp.flags_tree"];
    assert_eq!(s(ft, "isakmp.flag_i") == "1", d.initiator, "{ctx}");
    assert_eq!(s(ft, "isakmp.flag_r") == "1", d.response, "{ctx}");
    assert_eq!(num(ws, "isakmp.messageid"), d.message_id as u64, "{ctx}");
    assert_eq!(num(ws, "isakmp.length"), d.length as u64, "{ctx}");
    let types = as_list(&ws["isakmp.typepayload"]);
    let trees = as_list(&ws["isakmp.typepayload_tree"]);
    assert_eq!(types.len(), d.payloads.len(), "{ctx}");
    for ((t, tree), p) in types.iter().zip(&trees).zip(&d.payloads) {
        assert_eq!(
            t.as_str().unwrap().parse::<u8>().unwrap(),
            p.payload_type,
            "{ctx}"
        );
        assert_eq!(num(tree, "isakmp.payloadlength"), p.length as u64, "{ctx}");
        assert_eq!(
            num(tree, "isakmp.nextpayload"),
            p.next_payload as u64,
            "{ctx}"
        );
        assert_eq!(
            s(tree, "isakmp.criticalpayload") == "1",
            p.critical,
            "{ctx}"
        );
        if let Some(n) = &p.notify {
            seen.0 += 1;
            assert_eq!(
                num(tree, "isakmp.notify.protoid"),
                n.protocol_id as u64,
                "{ctx}"
            );
            assert_eq!(num(tree, "isakmp.spisize"), n.spi_size as u64, "{ctx}");
            assert_eq!(
                num(tree, "isakmp.notify.msgtype"),
                n.notify_type as u64,
                "{ctx}"
            );
            if n.spi_size > 0 {
                assert_eq!(unhex(s(tree, "isakmp.spi")), n.spi, "{ctx}");
            }
            assert_eq!(unhex(s(tree, "isakmp.notify.data")), n.data, "{ctx}");
            if n.notify_type == NotifyType::QCD_TOKEN.0 {
                seen.1 += 1;
                assert_eq!(
                    unhex(s(tree, "isakmp.notify.data.qcd.token_secret_data")),
                    n.data,
                    "{ctx}"
                );
            }
        }
        if let Some(e) = &p.encrypted {
            seen.2 += 1;
            if let (Some(num_), Some(total)) = (e.fragment_number, e.total_fragments) {
                assert_eq!(num(tree, "isakmp.frag.number"), num_ as u64, "{ctx}");
                assert_eq!(num(tree, "isakmp.frag.total"), total as u64, "{ctx}");
            }
        }
    }
    seen
}

#[test]
fn qcd_decoder_agrees_with_tshark() {
    if Command::new("tshark").arg("--version").output().is_err() {
        eprintln!("note: tshark not found; skipping the differential test against Wireshark");
        return;
    }
    let corpus = corpus();
    let frames: Vec<(u16, Vec<u8>)> = corpus
        .iter()
        .map(|(marked, m)| {
            let b = m.to_bytes().unwrap();
            if *marked {
                let mut v = vec![0u8; 4];
                v.extend(b);
                (4500, v)
            } else {
                (500, b)
            }
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("corpus.pcap");
    std::fs::write(&path, pcap(&frames)).unwrap();
    let out = Command::new("tshark")
        .args(["-n", "-T", "json", "--no-duplicate-keys", "-r"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let packets: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(packets.len(), corpus.len());
    let mut total = (0, 0, 0);
    for (i, (pkt, frame)) in packets.iter().zip(&frames).enumerate() {
        let ws = &pkt["_source"]["layers"]["isakmp"];
        assert!(ws.is_object(), "tshark saw no IKE in frame {i}");
        let d = match decode::decode_bytes(&frame.1, None).unwrap() {
            Decoded::Message(d) => d,
            other => panic!("frame {i} decoded as {other:?}"),
        };
        assert_eq!(d.non_esp_marker, frame.0 == 4500);
        let seen = compare(i, ws, &d);
        total = (total.0 + seen.0, total.1 + seen.1, total.2 + seen.2);
    }
    // Not vacuous: the comparisons above really ran.
    assert_eq!(total, (36, 9, 6));
}
