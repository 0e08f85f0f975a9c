//! The key log readers against logs of tcpdump, libreswan and charon.

use super::charon::*;
use super::tcpdump::*;
use super::*;
use crate::ikecrypto::alg::{EncrAlg, IntegAlg};
use std::path::Path;

fn data(p: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(p),
    )
    .unwrap()
}

/// tcpdump's ikev2pI2-secrets.txt gives the same SA as the Wireshark
/// table someone converted from it.
#[test]
fn tcpdump_secrets_match_the_converted_table() {
    let text = data("peer/tcpdump/tests/ikev2pI2-secrets.txt");
    assert_eq!(detect(&text), KeyFormat::Tcpdump);
    let t = parse(&text, "secrets", KeyFormat::Tcpdump);
    assert!(t.warnings().is_empty(), "{:?}", t.warnings());
    let want = KeyTable::parse(
        &data("peer/tcpdump/tests/ikev2pI2.pcap.ikev2_decryption_table"),
        "table",
    )
    .unwrap();
    assert_eq!(t.len(), 1);
    assert!(t.entries()[0].same_keys(&want.entries()[0]));
    assert_eq!(t.lines(), &[2]);
}

#[test]
fn tcpdump_and_libreswan_names() {
    let cases: &[(&str, usize, EncrAlg)] = &[
        ("aes128", 16, EncrAlg::AesCbc { key_len: 16 }),
        ("aes-256-cbc", 32, EncrAlg::AesCbc { key_len: 32 }),
        ("aes192-cbc-hmac96", 24, EncrAlg::AesCbc { key_len: 24 }),
        ("aes", 24, EncrAlg::AesCbc { key_len: 24 }),
        ("3des", 24, EncrAlg::TripleDes),
        ("null", 0, EncrAlg::Null),
        ("aes_ctr256", 36, EncrAlg::AesCtr { key_len: 32 }),
        (
            "aes_gcm128",
            20,
            EncrAlg::AesGcm {
                key_len: 16,
                icv_len: 8,
            },
        ),
        (
            "aes_gcm_12192",
            28,
            EncrAlg::AesGcm {
                key_len: 24,
                icv_len: 12,
            },
        ),
        (
            "aes_gcm_16256",
            36,
            EncrAlg::AesGcm {
                key_len: 32,
                icv_len: 16,
            },
        ),
        (
            "aes_ccm_8128",
            19,
            EncrAlg::AesCcm {
                key_len: 16,
                icv_len: 8,
            },
        ),
        (
            "aes_gcm_16",
            20,
            EncrAlg::AesGcm {
                key_len: 16,
                icv_len: 16,
            },
        ),
        ("chacha20_poly1305", 36, EncrAlg::ChaCha20Poly1305),
    ];
    for (name, len, want) in cases {
        assert_eq!(tcpdump_encr(name, *len).unwrap(), *want, "{name}");
    }
    assert_eq!(
        tcpdump_encr("blowfish", 16).unwrap_err().kind,
        SkipKind::UnknownAlgorithm
    );
    assert_eq!(tcpdump_integ("sha256").unwrap(), IntegAlg::HmacSha2_256_128);
    assert_eq!(tcpdump_integ("MD5").unwrap(), IntegAlg::HmacMd5_96);
    assert_eq!(
        tcpdump_integ("aes_xcbc").unwrap_err().kind,
        SkipKind::UnsupportedAlgorithm
    );
}

fn hexkey(b: u8, n: usize) -> String {
    format!("0x{}", hex::encode(vec![b; n]))
}

/// Lines as libreswan's LDBG_tcpdump_ike_sa_keys writes them, in syslog.
#[test]
fn libreswan_lines_in_syslog() {
    let text = format!(
        "Jan  1 00:00:00 gw pluto[42]: | ikev2 I 0x0011223344556677 0x8899aabbccddeeff sha256:{} aes_gcm_16128:{}\n\
         Jan  1 00:00:00 gw pluto[42]: | something else\n\
         Jan  1 00:00:00 gw pluto[42]: | ikev2 R 0x0011223344556677 0x8899aabbccddeeff sha256:{} aes_gcm_16128:{}\n",
        hexkey(1, 32), hexkey(2, 20), hexkey(3, 32), hexkey(4, 20)
    );
    assert_eq!(detect(&text), KeyFormat::Tcpdump);
    // libreswan logs the integrity name of the PRF with AEAD: sha256
    // with a key; an AEAD SA takes no SK_a, so the line is skipped
    // with an algorithm-mix warning naming the fix.
    let t = parse(&text, "pluto.log", KeyFormat::Libreswan);
    assert_eq!(t.warnings().len(), 1, "{:?}", t.warnings());
    assert_eq!(t.warnings()[0].kind, SkipKind::AlgorithmMix);
    assert_eq!(t.warnings()[0].line, 3);
    // with "none" and empty keys it loads
    let text = text
        .replace(&format!("sha256:{}", hexkey(1, 32)), "none:")
        .replace(&format!("sha256:{}", hexkey(3, 32)), "none:");
    let t = parse(&text, "pluto.log", KeyFormat::Libreswan);
    assert!(t.warnings().is_empty(), "{:?}", t.warnings());
    assert_eq!(
        t.entries()[0].encr,
        EncrAlg::AesGcm {
            key_len: 16,
            icv_len: 16
        }
    );
    assert_eq!(t.entries()[0].sk_e(false).expose(), &[4; 20]);
}

#[test]
fn libreswan_truncated_keys_are_named() {
    let text = format!(
        "ikev2 I 0x0011223344556677 0x8899aabbccddeeff sha512:{} aes256:{}\nikev2 R 0x0011223344556677 0x8899aabbccddeeff sha512:{} aes256:{}\n",
        hexkey(1, 32), hexkey(2, 32), hexkey(3, 32), hexkey(4, 32)
    );
    let t = parse(&text, "pluto.log", KeyFormat::Libreswan);
    let w = &t.warnings()[0];
    assert_eq!(
        (w.kind, w.field.as_str(), w.line),
        (SkipKind::Truncated, "SK_ai", 2)
    );
    assert!(w.reason.contains("at most 32 bytes"), "{w}");
}

#[test]
fn half_sas_and_bad_lines_are_warned_never_echoing_keys() {
    let key = hexkey(0xab, 16);
    let text = format!(
        "ikev2 I 0x0011223344556677 0x8899aabbccddeeff sha1:{} aes128:{key}\n\
         ikev2 R 0x0011223344556677 0x8899aabbccdd sha1:{} aes128:{key}\n\
         ikev2 R 0x0011223344556677 0x8899aabbccddeeff {key} sha1\n",
        hexkey(1, 20),
        hexkey(2, 20)
    );
    let t = parse(&text, "k", KeyFormat::Tcpdump);
    let kinds: Vec<(usize, SkipKind)> = t.warnings().iter().map(|w| (w.line, w.kind)).collect();
    assert_eq!(
        kinds,
        vec![
            (2, SkipKind::Spi),
            (3, SkipKind::Syntax),
            (1, SkipKind::Incomplete)
        ]
    );
    for w in t.warnings() {
        assert!(!w.to_string().contains("abababab"), "{w}");
    }
}

/// Real charon 5.9.8 logs (tests/data/strongswan/charon-log): each
/// peer's log yields the SA with the keys tshark decrypts with.
#[test]
fn charon_logs_of_both_peers() {
    for (name, encr, integ) in [
        (
            "aes256-sha256",
            EncrAlg::AesCbc { key_len: 32 },
            IntegAlg::HmacSha2_256_128,
        ),
        (
            "aes128gcm16",
            EncrAlg::AesGcm {
                key_len: 16,
                icv_len: 16,
            },
            IntegAlg::None,
        ),
    ] {
        let mut tables = Vec::new();
        for side in ["i", "r"] {
            let text = data(&format!("strongswan/charon-log/{name}-{side}.charon.log"));
            assert_eq!(detect(&text), KeyFormat::Charon);
            let t = parse(&text, side, KeyFormat::Charon);
            assert!(t.warnings().is_empty(), "{name}-{side}: {:?}", t.warnings());
            assert_eq!(t.len(), 1, "{name}-{side}");
            assert_eq!((t.entries()[0].encr, t.entries()[0].integ), (encr, integ));
            tables.push(t);
        }
        assert!(
            tables[0].entries()[0].same_keys(&tables[1].entries()[0]),
            "{name}"
        );
    }
}

#[test]
fn charon_line_parts() {
    let l = split_charon("07:30:37 08[IKE] <qcd|1> Sk_ai secret => 32 bytes @ 0x55").unwrap();
    assert_eq!(
        (l.thread, l.sa, l.msg),
        ("08", Some("1"), "Sk_ai secret => 32 bytes @ 0x55")
    );
    let l = split_charon("Nov 30 07:30:37 gw charon[77]: 14[CFG] <1> selected proposal: IKE:X")
        .unwrap();
    assert_eq!((l.thread, l.sa), ("14", Some("1")));
    let l = split_charon("07:30:37 08[MGR] checkout IKEv2 SA by message with SPIs 8c6ebd591b1e68e9_i 4f4be9c625d1ffe9_r").unwrap();
    assert_eq!(l.sa, None);
    let (spis, id) = spis_line(l.msg).unwrap();
    assert_eq!(spis.initiator.to_hex(), "8c6ebd591b1e68e9");
    assert_eq!(id, None);
    let (_, id) =
        spis_line("checkin IKEv2 SA (unnamed)[12] with SPIs 8c6ebd591b1e68e9_i 4f4be9c625d1ffe9_r")
            .unwrap();
    assert_eq!(id, Some("12"));
    assert_eq!(
        hexdump_row("  16: 0A 63 00 01 01 F4                                .c...."),
        Some((16, vec![0x0a, 0x63, 0, 1, 1, 0xf4]))
    );
    assert_eq!(
        hexdump_row("   0: 81 8E DD 1B C6 9C E4 A7 17 B2 CC 1F 07 14 42 B7  AB CD")
            .unwrap()
            .1
            .len(),
        16
    );
    assert!(split_charon("no marker here").is_none());
    // cargo-fuzz (CI's fuzz step) found this: a multi-byte character
    // just before the thread number's digits was cut in the middle.
    assert!(split_charon("07:30:\u{fffd}0[DMN] x").is_some());
    assert!(split_charon("\u{e9}[DMN] x").is_none());
    assert_eq!(
        proposal_line("selected proposal: IKE:AES_CCM_12_256/PRF_HMAC_SHA2_256/MODP_2048"),
        Some(Ok((
            EncrAlg::AesCcm {
                key_len: 32,
                icv_len: 12
            },
            IntegAlg::None
        )))
    );
    assert!(matches!(
        proposal_line(
            "selected proposal: IKE:CAMELLIA_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_2048"
        ),
        Some(Err(_))
    ));
}

proptest::proptest! {
    #[test]
    fn parsers_never_panic(text in "[ -~\n]{0,400}") {
        for f in [KeyFormat::Tcpdump, KeyFormat::Charon, KeyFormat::Wireshark] {
            let _ = parse(&text, "fuzz", f);
        }
        let _ = detect(&text);
    }
}

/// Found by the keylog fuzz target in CI: a dump whose declared length
/// is absurd must not size an allocation.
#[test]
fn absurd_dump_lengths_are_ignored() {
    let line = "07:30:36 11[IKE] Sk_ei secret => 3333333333333333333 bytes @ 0x1\n";
    let t = parse(line, "log", KeyFormat::Charon);
    assert!(t.is_empty());
    let crash = include_bytes!("../../../tests/data/fuzz/keylog-huge-dump-length.txt");
    let text = String::from_utf8_lossy(crash);
    for f in [
        KeyFormat::Tcpdump,
        KeyFormat::Libreswan,
        KeyFormat::Charon,
        KeyFormat::Wireshark,
    ] {
        let _ = parse(&text, "crash", f);
    }
}
