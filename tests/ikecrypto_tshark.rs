//! Differential check of the emit side: messages encrypted by
//! `qcd::ikecrypto::encrypt` for every supported algorithm combination, in
//! both directions, are written to a pcap with their key table, and tshark
//! (an independent implementation) must decrypt each one, mark its integrity
//! `[correct]` and show the QCD_TOKEN notify inside (Wireshark calls it
//! QUICK_CRASH_DETECTION).
//!
//! Runs when tshark is installed (CI installs it); prints a note and passes
//! otherwise.

use std::process::Command;

use qcd::ikecrypto::{body_len, encrypt, EncrAlg, IntegAlg, SaKeys};
use qcd::secret::SecretBytes;
use qcd::spi::{Spi, SpiPair};
use sha2::{Digest, Sha256};

fn tshark_available() -> bool {
    Command::new("tshark").arg("--version").output().is_ok()
}

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

fn combinations() -> Vec<(EncrAlg, IntegAlg)> {
    let mut v = Vec::new();
    for e in EncrAlg::all() {
        for i in IntegAlg::all() {
            if e.is_aead() == (i == IntegAlg::None) {
                v.push((e, i));
            }
        }
    }
    v
}

/// Notify(QCD_TOKEN) with a 16-octet token, Protocol ID 1, SPI size 0.
fn qcd_token_notify(token: &[u8]) -> Vec<u8> {
    let mut p = vec![0, 0];
    p.extend_from_slice(&((8 + token.len()) as u16).to_be_bytes());
    p.extend_from_slice(&[1, 0]);
    p.extend_from_slice(&16419u16.to_be_bytes());
    p.extend_from_slice(token);
    p
}

/// IKE_AUTH message `HDR, SK {N(QCD_TOKEN)}` built with `encrypt`.
fn ike_auth(keys: &SaKeys, from_initiator: bool, plain: &[u8], iv: &[u8]) -> Vec<u8> {
    let body = body_len(keys.encr, keys.integ, plain.len());
    let total = 28 + 4 + body;
    let mut m = Vec::new();
    m.extend_from_slice(&keys.spis.initiator.0);
    m.extend_from_slice(&keys.spis.responder.0);
    m.extend_from_slice(&[46, 0x20, 35, if from_initiator { 0x08 } else { 0x20 }]);
    m.extend_from_slice(&1u32.to_be_bytes());
    m.extend_from_slice(&(total as u32).to_be_bytes());
    m.extend_from_slice(&[41, 0]);
    m.extend_from_slice(&((4 + body) as u16).to_be_bytes());
    let sk = encrypt(keys, from_initiator, &m, plain, iv).unwrap();
    m.extend_from_slice(&sk);
    assert_eq!(m.len(), total);
    m
}

fn pcap(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes()); // Ethernet
    for (i, payload) in frames.iter().enumerate() {
        let mut frame = Vec::new();
        etherparse::PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
            .ipv4([192, 0, 2, 1], [192, 0, 2, 2], 64)
            .udp(500, 500)
            .write(&mut frame, payload)
            .unwrap();
        out.extend_from_slice(&(1_700_000_000u32 + i as u32).to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(&frame);
    }
    out
}

#[test]
fn tshark_decrypts_what_we_encrypt() {
    if !tshark_available() {
        eprintln!("note: tshark not installed; skipping the tshark differential test");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut table = String::from("# made by tests/ikecrypto_tshark.rs\n");
    let mut frames = Vec::new();
    let mut plains = Vec::new();
    for (n, (encr, integ)) in combinations().into_iter().enumerate() {
        let spi_i: [u8; 8] = bytes(&format!("spi-i{n}"), 8).try_into().unwrap();
        let spi_r: [u8; 8] = bytes(&format!("spi-r{n}"), 8).try_into().unwrap();
        let k = |l: &str, len| bytes(&format!("{l}{n}"), len);
        let (ei, er) = (k("ei", encr.sk_e_len()), k("er", encr.sk_e_len()));
        let (ai, ar) = (k("ai", integ.sk_a_len()), k("ar", integ.sk_a_len()));
        table.push_str(&format!(
            "{},{},{},{},\"{}\",{},{},\"{}\"\n",
            hex::encode(spi_i),
            hex::encode(spi_r),
            hex::encode(&ei),
            hex::encode(&er),
            encr.wireshark_name(),
            hex::encode(&ai),
            hex::encode(&ar),
            integ.wireshark_name()
        ));
        let keys = SaKeys::new(
            SpiPair::new(Spi(spi_i), Spi(spi_r)),
            encr,
            integ,
            SecretBytes::new(ei),
            SecretBytes::new(er),
            SecretBytes::new(ai),
            SecretBytes::new(ar),
        )
        .unwrap();
        // token lengths vary so CBC padding lengths vary too
        let plain = qcd_token_notify(&bytes(&format!("token{n}"), 16 + n));
        for from_i in [true, false] {
            let iv = bytes(&format!("iv{n}{from_i}"), encr.iv_len());
            frames.push(ike_auth(&keys, from_i, &plain, &iv));
            plains.push(plain.clone());
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
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("Error loading table"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let n = frames.len();
    assert_eq!(n, 42);
    assert_eq!(text.matches("[correct]").count(), n, "{text}");
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
    for (dump, plain) in dumps.iter().zip(&plains) {
        assert_eq!(&dump[..plain.len()], plain.as_slice());
    }
}
