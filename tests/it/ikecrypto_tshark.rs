//! Differential check of the emit side: `HDR, SK {N(QCD_TOKEN)}` messages
//! built by `qcd::ikecrypto::seal` for every algorithm pair of Wireshark's
//! IKEv2 key table, in both directions, are written to a pcap with their key
//! table (as `keytable::wireshark_line` writes it), and tshark (an
//! independent implementation) must decrypt each one, mark a checked ICV
//! `[correct]` and show the QCD_TOKEN notify inside (Wireshark calls it
//! QUICK_CRASH_DETECTION) with the plaintext we sealed.
//!
//! ChaCha20-Poly1305 is left out: tshark 4.0 has no IKEv2 ChaCha20 (its key
//! table refuses the name); tests/it/ikecrypto_vectors.rs checks it against
//! Python's `cryptography` instead.
//!
//! Needs tshark: the test skips with a message when tshark is missing, and
//! FAILS so under CI=true (CI installs it).

use crate::support::tools;

use std::process::Command;

use qcd::ikecrypto::keys::wireshark_line;
use qcd::ikecrypto::{seal, EncrAlg, IntegAlg, SaKeys, SealHeader};
use qcd::secretmem::SecretBytes;
use qcd::spi::{Spi, SpiPair};
use qcd::wire::{ExchangeType, Flags, NotifyRepr, NotifyType, PayloadRepr};
use sha2::{Digest, Sha256};

fn bytes(label: &str, len: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0u32;
    while out.len() < len {
        out.extend_from_slice(&Sha256::digest(format!("{label}/{i}").as_bytes()));
        i += 1;
    }
    out.truncate(len);
    out
}

/// Every pair a Wireshark key table line may hold, but ChaCha20-Poly1305.
fn combinations() -> Vec<(EncrAlg, IntegAlg)> {
    let mut v = Vec::new();
    for e in EncrAlg::all().filter(|e| *e != EncrAlg::ChaCha20Poly1305) {
        for i in IntegAlg::all() {
            if !e.is_aead() || i == IntegAlg::None {
                v.push((e, i));
            }
        }
    }
    v
}

fn pcap(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes()); // Ethernet
    for (i, ike) in frames.iter().enumerate() {
        let udp_len = 8 + ike.len();
        let ip_len = 20 + udp_len;
        let mut f = Vec::new();
        f.extend_from_slice(&[0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00]);
        f.extend_from_slice(&[0x45, 0]);
        f.extend_from_slice(&(ip_len as u16).to_be_bytes());
        f.extend_from_slice(&[0, 0, 0, 0, 64, 17, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2]);
        f.extend_from_slice(&500u16.to_be_bytes());
        f.extend_from_slice(&500u16.to_be_bytes());
        f.extend_from_slice(&(udp_len as u16).to_be_bytes());
        f.extend_from_slice(&[0, 0]);
        f.extend_from_slice(ike);
        out.extend_from_slice(&(i as u32 + 1).to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(&f);
    }
    out
}

#[test]
fn tshark_decrypts_what_seal_builds() {
    if !tools::available_or_skip(
        "tshark",
        "--version",
        "ikecrypto_tshark::tshark_decrypts_what_seal_builds",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut table = String::from("# made by tests/it/ikecrypto_tshark.rs\n");
    let mut frames = Vec::new();
    let mut plains = Vec::new();
    let mut checked = 0;
    for (n, (encr, integ)) in combinations().into_iter().enumerate() {
        let spi_i: [u8; 8] = bytes(&format!("spi-i{n}"), 8).try_into().unwrap();
        let spi_r: [u8; 8] = bytes(&format!("spi-r{n}"), 8).try_into().unwrap();
        let k = |l: &str, len| SecretBytes::new(bytes(&format!("{l}{n}"), len));
        let keys = SaKeys::new(
            SpiPair::new(Spi(spi_i), Spi(spi_r)),
            encr,
            integ,
            k("ei", encr.sk_e_len()),
            k("er", encr.sk_e_len()),
            k("ai", integ.sk_a_len()),
            k("ar", integ.sk_a_len()),
        )
        .unwrap();
        table.push_str(&wireshark_line(&keys));
        table.push('\n');
        // Protocol ID 0 (RFC 6290 erratum 3449); token lengths vary so
        // block-cipher padding lengths vary too
        let token = NotifyRepr::new(
            0,
            NotifyType::QCD_TOKEN,
            bytes(&format!("token{n}"), 16 + n % 40),
        );
        let inner = [PayloadRepr::notify(token)];
        let mut plain = vec![0u8; inner[0].buffer_len()];
        qcd::wire::payload::emit_chain(&inner, &mut plain).unwrap();
        for from_i in [true, false] {
            let iv = bytes(&format!("iv{n}{from_i}"), encr.iv_len());
            let header = SealHeader {
                spis: keys.spis,
                exchange: ExchangeType::IKE_AUTH,
                flags: if from_i {
                    Flags::INITIATOR
                } else {
                    Flags::RESPONSE
                },
                message_id: 1,
            };
            frames.push(seal(header, &inner, &keys, &iv).unwrap());
            plains.push(plain.clone());
            if encr.is_aead() || integ.checks() {
                checked += 1;
            }
        }
    }
    let pcap_path = dir.path().join("emit.pcap");
    std::fs::write(&pcap_path, pcap(&frames)).unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir_all(home.join(".config/wireshark")).unwrap();
    std::fs::write(
        home.join(".config/wireshark/ikev2_decryption_table"),
        &table,
    )
    .unwrap();
    let out = Command::new("tshark")
        .env("HOME", &home)
        .arg("-r")
        .arg(&pcap_path)
        .args(["-V", "-x"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("Error loading table"), "{err}");
    let n = frames.len();
    // 8 non-AEAD ciphers (NULL, 3DES, AES-CBC and AES-CTR x 3) x 15 integrity names + 18 AES AEAD ciphers, both directions
    assert_eq!(n, 2 * (8 * 15 + 18));
    assert_eq!(text.matches("[correct]").count(), checked, "{text}");
    assert_eq!(text.matches("[incorrect").count(), 0);
    assert_eq!(
        text.matches("Notify Message Type: QUICK_CRASH_DETECTION (16419)")
            .count(),
        n
    );
    // tshark's decrypted bytes start with our plaintext
    let mut dumps = Vec::new();
    let mut cur: Option<Vec<u8>> = None;
    for line in text.lines() {
        if line.starts_with("Decrypted Data (") {
            cur = Some(Vec::new());
        } else if let Some(buf) = cur.as_mut() {
            if line.len() > 6 && line.as_bytes()[4] == b' ' {
                for tok in line[6..].split(' ').take_while(|t| !t.is_empty()).take(16) {
                    buf.push(u8::from_str_radix(tok, 16).unwrap());
                }
            } else {
                dumps.push(cur.take().unwrap());
            }
        }
    }
    assert_eq!(dumps.len(), n);
    for (i, (dump, plain)) in dumps.iter().zip(&plains).enumerate() {
        assert_eq!(&dump[..plain.len()], plain.as_slice(), "frame {}", i + 1);
    }
}
