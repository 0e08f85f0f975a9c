//! Fuzzes everything `qcd decode` does with untrusted input: text parsing
//! (hex, xxd, hexdump -C), detection and decoding in every `--as` mode, both
//! renderings, and the wire Reprs (parse → emit → parse must be stable).
#![no_main]

use libfuzzer_sys::fuzz_target;
use qcd::decode::{self, input, text, As};
use qcd::wire::MessageRepr;

fuzz_target!(|data: &[u8]| {
    // As text: a user's file or stdin.
    if let Ok((_, bytes)) = input::bytes_from_contents(data) {
        let _ = decode::decode_bytes(&bytes, None);
    }
    // As the bytes themselves, in every mode.
    for forced in [None, Some(As::Message), Some(As::Payload)] {
        if let Ok(d) = decode::decode_bytes(data, forced) {
            let _ = serde_json::to_string(&d).expect("serializable");
            let _ = text::tree(&d, text::TreeOptions { offsets: true });
        }
    }
    // Reprs: whatever parses must emit and parse back to the same thing.
    if let Ok(m) = MessageRepr::from_bytes(data) {
        let bytes = m.to_bytes().expect("a parsed message re-emits");
        assert_eq!(bytes.len(), data.len());
        assert_eq!(MessageRepr::from_bytes(&bytes).expect("re-parses"), m);
    }
});
