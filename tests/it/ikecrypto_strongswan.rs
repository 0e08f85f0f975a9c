//! Known answers from real strongSwan 5.9.8 captures (tests/data/strongswan,
//! made by make-captures.sh): every SK payload in every capture decrypts with
//! its key table, and the plaintext equals what tshark decrypted from the
//! same capture and table (the "Decrypted Data" hex dumps in *.tshark.txt).
//!
//! The small IKE payload walker below stands in for `qcd::wire` until that
//! module is merged.

use std::path::{Path, PathBuf};

use qcd::ikecrypto::{decrypt, CryptoError, EncrAlg, IntegAlg, KeyTable};
use qcd::spi::{Spi, SpiPair};

const CAPTURES: &[(&str, EncrAlg, IntegAlg)] = &[
    (
        "aes128-sha1",
        EncrAlg::AesCbc { key_len: 16 },
        IntegAlg::HmacSha1_96,
    ),
    (
        "aes192-sha384",
        EncrAlg::AesCbc { key_len: 24 },
        IntegAlg::HmacSha2_384_192,
    ),
    (
        "aes256-sha256",
        EncrAlg::AesCbc { key_len: 32 },
        IntegAlg::HmacSha2_256_128,
    ),
    (
        "aes256-sha512",
        EncrAlg::AesCbc { key_len: 32 },
        IntegAlg::HmacSha2_512_256,
    ),
    (
        "aes128gcm16",
        EncrAlg::AesGcm {
            key_len: 16,
            icv_len: 16,
        },
        IntegAlg::None,
    ),
    (
        "aes256gcm16",
        EncrAlg::AesGcm {
            key_len: 32,
            icv_len: 16,
        },
        IntegAlg::None,
    ),
    (
        "aes256gcm8",
        EncrAlg::AesGcm {
            key_len: 32,
            icv_len: 8,
        },
        IntegAlg::None,
    ),
    (
        "aes192gcm12",
        EncrAlg::AesGcm {
            key_len: 24,
            icv_len: 12,
        },
        IntegAlg::None,
    ),
    (
        "ipv6-aes256gcm16",
        EncrAlg::AesGcm {
            key_len: 32,
            icv_len: 16,
        },
        IntegAlg::None,
    ),
    (
        "natt-aes256-sha256",
        EncrAlg::AesCbc { key_len: 32 },
        IntegAlg::HmacSha2_256_128,
    ),
    (
        "reboot",
        EncrAlg::AesCbc { key_len: 32 },
        IntegAlg::HmacSha2_256_128,
    ),
];

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/strongswan")
}

/// IKE messages (from the IKE header on) in a capture, with the UDP source port.
fn ike_messages(pcap: &Path) -> Vec<(u16, Vec<u8>)> {
    let bytes = std::fs::read(pcap).unwrap();
    let (_, cap) = pcap_parser::pcap::parse_pcap(&bytes).unwrap();
    let mut out = Vec::new();
    for block in &cap.blocks {
        let pkt = etherparse::SlicedPacket::from_ethernet(block.data).unwrap();
        let Some(etherparse::TransportSlice::Udp(udp)) = pkt.transport else {
            continue;
        };
        let mut payload = udp.payload();
        if udp.source_port() == 4500 || udp.destination_port() == 4500 {
            if payload.len() < 4 || payload[..4] != [0, 0, 0, 0] {
                continue; // ESP-in-UDP or keepalive
            }
            payload = &payload[4..];
        }
        out.push((udp.source_port(), payload.to_vec()));
    }
    out
}

/// Offset of the SK payload body (after its generic header), if any.
fn sk_body_start(msg: &[u8]) -> Option<usize> {
    let mut next = msg[16];
    let mut off = 28;
    while next != 0 {
        if next == 46 {
            return Some(off + 4);
        }
        let len = u16::from_be_bytes([msg[off + 2], msg[off + 3]]) as usize;
        next = msg[off];
        off += len;
    }
    None
}

fn spis(msg: &[u8]) -> SpiPair {
    SpiPair::new(
        Spi(msg[0..8].try_into().unwrap()),
        Spi(msg[8..16].try_into().unwrap()),
    )
}

fn from_initiator(msg: &[u8]) -> bool {
    msg[19] & 0x08 != 0
}

/// The "Decrypted Data (N bytes):" hex dumps of `tshark -V -x`, in frame order.
fn tshark_decrypted(txt: &Path) -> Vec<Vec<u8>> {
    let text = std::fs::read_to_string(txt).unwrap();
    let mut out = Vec::new();
    let mut cur: Option<Vec<u8>> = None;
    for line in text.lines() {
        if line.starts_with("Decrypted Data (") {
            cur = Some(Vec::new());
            continue;
        }
        if let Some(buf) = cur.as_mut() {
            // "0000  29 00 00 15 ...   ascii"
            let Some(hex_part) = line
                .get(6..)
                .filter(|_| line.len() > 6 && line.as_bytes()[4] == b' ')
            else {
                out.push(cur.take().unwrap());
                continue;
            };
            for tok in hex_part.split(' ').take_while(|t| !t.is_empty()).take(16) {
                buf.push(u8::from_str_radix(tok, 16).unwrap());
            }
        }
    }
    if let Some(buf) = cur {
        out.push(buf);
    }
    out
}

#[test]
fn every_sk_payload_decrypts_like_tshark() {
    let mut total = 0;
    for (name, encr, integ) in CAPTURES {
        let dir = data_dir();
        let table = KeyTable::load(&dir.join(format!("{name}.keys"))).unwrap();
        assert_eq!(table.len(), 1, "{name}");
        let sa = &table.entries()[0];
        assert_eq!((sa.encr, sa.integ), (*encr, *integ), "{name}");
        let expected = tshark_decrypted(&dir.join(format!("{name}.tshark.txt")));
        let mut decrypted = Vec::new();
        for (_, msg) in ike_messages(&dir.join(format!("{name}.pcap"))) {
            let Some(start) = sk_body_start(&msg) else {
                continue;
            };
            let keys = table.get(&spis(&msg)).expect("SA in key table");
            let plain = decrypt(keys, from_initiator(&msg), &msg, start)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            decrypted.push(plain);
        }
        assert!(
            decrypted.len() >= 4,
            "{name}: {} SK payloads",
            decrypted.len()
        );
        assert_eq!(decrypted.len(), expected.len(), "{name}");
        for (ours, theirs) in decrypted.iter().zip(&expected) {
            let ours = ours.expose();
            // tshark shows padding and the pad length octet too
            let pad_len = *theirs.last().unwrap() as usize;
            assert_eq!(ours.len() + pad_len + 1, theirs.len(), "{name}");
            assert_eq!(ours, &theirs[..ours.len()], "{name}");
            total += 1;
        }
    }
    assert_eq!(total, 45);
}

#[test]
fn ike_auth_request_holds_the_configured_identity() {
    // gw-i.qcd.test as an FQDN IDi (type 2) opens every initiator IKE_AUTH
    for (name, _, _) in CAPTURES {
        let dir = data_dir();
        let table = KeyTable::load(&dir.join(format!("{name}.keys"))).unwrap();
        let (_, msg) = ike_messages(&dir.join(format!("{name}.pcap")))
            .into_iter()
            .find(|(_, m)| m[18] == 35 && from_initiator(m))
            .unwrap();
        let plain = decrypt(
            table.get(&spis(&msg)).unwrap(),
            true,
            &msg,
            sk_body_start(&msg).unwrap(),
        )
        .unwrap();
        let p = plain.expose();
        assert_eq!(p[4], 2, "{name}: ID type FQDN");
        assert_eq!(&p[8..21], b"gw-i.qcd.test", "{name}");
    }
}

#[test]
fn real_messages_fail_integrity_with_wrong_direction_or_alteration() {
    for (name, _, _) in CAPTURES {
        let dir = data_dir();
        let table = KeyTable::load(&dir.join(format!("{name}.keys"))).unwrap();
        for (_, msg) in ike_messages(&dir.join(format!("{name}.pcap"))) {
            let Some(start) = sk_body_start(&msg) else {
                continue;
            };
            let keys = table.get(&spis(&msg)).unwrap();
            let dir_i = from_initiator(&msg);
            assert_eq!(
                decrypt(keys, !dir_i, &msg, start).unwrap_err(),
                CryptoError::Integrity,
                "{name}"
            );
            for at in [0, 17, start - 1, start, msg.len() - 1] {
                let mut bad = msg.clone();
                bad[at] ^= 0x80;
                assert_eq!(
                    decrypt(keys, dir_i, &bad, start).unwrap_err(),
                    CryptoError::Integrity,
                    "{name} byte {at}"
                );
            }
        }
    }
}

#[test]
fn reboot_capture_is_dpd_to_a_forgetful_responder() {
    // After the kill -9 and restart, the initiator's DPD (INFORMATIONAL,
    // message ID 2) is sent three times and never answered.
    let msgs = ike_messages(&data_dir().join("reboot.pcap"));
    let informational: Vec<_> = msgs.iter().filter(|(_, m)| m[18] == 37).collect();
    assert_eq!(informational.len(), 3);
    for (_, m) in &informational {
        assert!(from_initiator(m));
        assert_eq!(&m[20..24], &[0, 0, 0, 2]);
    }
}
