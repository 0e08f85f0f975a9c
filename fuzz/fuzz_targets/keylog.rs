//! Fuzzes the key-log readers (`qcd::ikecrypto::keys`): tcpdump -E and
//! libreswan `ikev2 I|R` lines and strongSwan charon logs, and format
//! detection, on any text:
//!
//! - no panic, whatever the format;
//! - every SA read is found by its SPIs;
//! - every warning names a line of the input and stays short (a key log
//!   line of any length is never echoed whole);
//! - the Wireshark table written from the SAs reads back to the same SAs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qcd::ikecrypto::keys::{detect, parse, KeyFormat};
use qcd::ikecrypto::KeyTable;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines = text.lines().count();
    let _ = detect(&text);
    for format in [
        KeyFormat::Tcpdump,
        KeyFormat::Libreswan,
        KeyFormat::Charon,
        KeyFormat::Wireshark,
    ] {
        let t = parse(&text, "fuzz", format);
        for w in t.warnings() {
            assert!(w.line >= 1 && w.line <= lines.max(1), "{w}");
            assert!(w.to_string().len() < 4096);
        }
        for e in t.entries() {
            assert!(t.get(&e.spis).expect("found by its SPIs").same_keys(e));
        }
        let again = KeyTable::parse_lenient(&t.to_wireshark("fuzz"), "again");
        assert!(again.warnings().is_empty(), "{:?}", again.warnings());
        assert_eq!(again.len(), t.len());
        for (a, b) in t.entries().iter().zip(again.entries()) {
            assert!(a.same_keys(b));
        }
    }
});
