//! Fuzzes the Wireshark/strongSwan key table parser (`KeyTable::parse`) and
//! SK payload decryption (`ikecrypto::decrypt`) with a fixed table holding
//! one SA per supported algorithm combination:
//!
//! - any text: parse never panics; every parsed SA is found by its SPIs;
//! - any message and body offset: decrypt never panics, and garbage is an
//!   error (the ICV is checked first);
//! - encrypt → decrypt round-trips the fuzzed plaintext, and, where the
//!   ICV is checked (AEAD or HMAC), any one-byte change to the sealed
//!   message is refused; with `ignore_icv` it never panics either.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use qcd::ikecrypto::{decrypt, encrypt, open, EncrAlg, IntegAlg, KeyTable};

/// One line per supported (encryption, integrity) pair, with made-up keys.
fn table() -> &'static KeyTable {
    static TABLE: OnceLock<KeyTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let key = |len: usize, seed: usize| -> String {
            (0..len)
                .map(|i| format!("{:02x}", (i * 31 + seed * 7) as u8))
                .collect()
        };
        let mut text = String::from("# fuzz key table\n");
        let mut n = 0usize;
        for encr in EncrAlg::all() {
            for integ in IntegAlg::all() {
                if encr.is_aead() && integ != IntegAlg::None {
                    continue;
                }
                n += 1;
                text.push_str(&format!(
                    "{:016x},{:016x},{},{},\"{}\",{},{},\"{}\"\n",
                    n,
                    n << 8,
                    key(encr.sk_e_len(), 4 * n),
                    key(encr.sk_e_len(), 4 * n + 1),
                    encr.wireshark_name(),
                    key(integ.sk_a_len(), 4 * n + 2),
                    key(integ.sk_a_len(), 4 * n + 3),
                    integ.wireshark_name(),
                ));
            }
        }
        let table = KeyTable::parse(&text, "fuzz").expect("the fixed table parses");
        assert_eq!(table.len(), n);
        table
    })
}

fuzz_target!(|data: &[u8]| {
    // 1. The parser, on any text.
    let text = String::from_utf8_lossy(data);
    let lenient = KeyTable::parse_lenient(&text, "fuzz");
    for w in lenient.warnings() {
        // a warning names its line and never runs away with the input
        assert!(w.line >= 1 && w.to_string().len() < 4096);
    }
    if let Ok(t) = KeyTable::parse(&text, "fuzz") {
        assert_eq!(t.len(), t.entries().len());
        for e in t.entries() {
            let found = t
                .get(&e.spis)
                .expect("every parsed SA is found by its SPIs");
            assert!(found.same_keys(e));
        }
    }

    // 2. decrypt on any bytes: [selector, body_start (2 bytes BE), message...].
    let [sel, hi, lo, rest @ ..] = data else {
        return;
    };
    let entries = table().entries();
    let keys = &entries[usize::from(*sel & 0x7f) % entries.len()];
    let from_initiator = sel & 0x80 == 0;
    let body_start = usize::from(u16::from_be_bytes([*hi, *lo]));
    let _ = decrypt(keys, from_initiator, rest, body_start);
    let _ = decrypt(keys, from_initiator, rest, body_start % (rest.len() + 1));
    let _ = open(
        keys,
        from_initiator,
        rest,
        body_start % (rest.len() + 1),
        true,
    );

    // 3. Round trip: the first body_start bytes (at most) are the header, the rest plaintext.
    let split = body_start % (rest.len() + 1);
    let (prefix, plaintext) = rest.split_at(split);
    let iv = vec![*lo; keys.encr.iv_len()];
    let body = encrypt(keys, from_initiator, prefix, plaintext, &iv).expect("encrypts");
    let mut message = prefix.to_vec();
    message.extend_from_slice(&body);
    let plain = decrypt(keys, from_initiator, &message, prefix.len()).expect("round trip");
    assert_eq!(plain.expose(), plaintext);
    if !(keys.encr.is_aead() || keys.integ.checks()) {
        // no ICV to check: only "no panic" holds for changed bytes
        let _ = decrypt(keys, !from_initiator, &message, prefix.len());
        return;
    }
    // The other direction's keys must not open it.
    assert!(decrypt(keys, !from_initiator, &message, prefix.len()).is_err());
    // Any single changed byte is caught.
    let at = usize::from(*hi) * 256 + usize::from(*sel);
    let at = at % message.len();
    message[at] ^= 0x01 | *lo;
    assert!(
        decrypt(keys, from_initiator, &message, prefix.len()).is_err(),
        "a changed byte at {at} went unnoticed"
    );
});
