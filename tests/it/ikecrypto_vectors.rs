//! Known answers from an independent implementation, for every algorithm
//! pair of Wireshark's IKEv2 key table plus ChaCha20-Poly1305:
//! tests/data/ikecrypto/vectors.json was made by make_vectors.py beside it
//! with Python's `cryptography` package and hmac/hashlib. qcd must decrypt
//! each message to the vector's plaintext with the right integrity verdict,
//! reject it when its last octet changes (checked ICVs), and encrypt the
//! plaintext with the same IV to exactly the same bytes.

use qcd::ikecrypto::{encrypt, open, CryptoError, EncrAlg, IntegAlg, Integrity, KeyTable};
use serde::Deserialize;

#[derive(Deserialize)]
struct Vector {
    line: String,
    initiator: bool,
    iv: String,
    plaintext: String,
    message: String,
}

/// IKE header (28) + SK generic header (4).
const BODY_START: usize = 32;

#[test]
fn python_cryptography_vectors() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/ikecrypto/vectors.json"
    );
    let vectors: Vec<Vector> =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    // 8 non-AEAD ciphers x 15 integrity names + 19 AEAD ciphers, both directions
    assert_eq!(vectors.len(), 2 * (8 * 15 + 19));
    let mut seen_encr = std::collections::HashSet::new();
    let mut seen_integ = std::collections::HashSet::new();
    for (i, v) in vectors.iter().enumerate() {
        let t = KeyTable::parse(&v.line, "vectors.json").unwrap();
        assert!(t.warnings().is_empty(), "vector {i}: {:?}", t.warnings());
        let keys = &t.entries()[0];
        seen_encr.insert(keys.encr);
        seen_integ.insert(keys.integ);
        let what = format!("vector {i}: {} / {}", keys.encr, keys.integ);
        let message = hex::decode(&v.message).unwrap();
        let plaintext = hex::decode(&v.plaintext).unwrap();
        let opened = open(keys, v.initiator, &message, BODY_START, false).expect(&what);
        assert_eq!(
            hex::encode(opened.plaintext.expose()),
            v.plaintext,
            "{what}"
        );
        let want = if keys.encr.is_aead() || keys.integ.checks() {
            Integrity::Verified
        } else if keys.integ == IntegAlg::None {
            Integrity::NoIcv
        } else {
            Integrity::NotChecked
        };
        assert_eq!(opened.integrity, want, "{what}");
        // the other direction's keys never verify
        if want == Integrity::Verified {
            assert_eq!(
                open(keys, !v.initiator, &message, BODY_START, false).unwrap_err(),
                CryptoError::Integrity,
                "{what}"
            );
            let mut bad = message.clone();
            let last = bad.len() - 1;
            bad[last] ^= 1;
            assert_eq!(
                open(keys, v.initiator, &bad, BODY_START, false).unwrap_err(),
                CryptoError::Integrity,
                "{what}"
            );
            let shown = open(keys, v.initiator, &bad, BODY_START, true).expect(&what);
            assert_eq!(shown.integrity, Integrity::Failed);
            assert_eq!(shown.plaintext.expose(), plaintext.as_slice(), "{what}");
        }
        // encryption: the same IV gives the same bytes
        let body = encrypt(
            keys,
            v.initiator,
            &message[..BODY_START],
            &plaintext,
            &hex::decode(&v.iv).unwrap(),
        )
        .expect(&what);
        assert_eq!(
            hex::encode(&body),
            hex::encode(&message[BODY_START..]),
            "{what}"
        );
    }
    assert_eq!(seen_encr.len(), EncrAlg::all().count());
    assert_eq!(seen_integ.len(), IntegAlg::all().count());
}
