//! Fuzzes the keyring file parser (`Keyring::from_json`): it never panics,
//! and whatever it accepts serializes to JSON that parses back and
//! serializes to the very same bytes (the file format is a fixed point).
#![no_main]

use libfuzzer_sys::fuzz_target;
use qcd::secret::Keyring;

fuzz_target!(|data: &[u8]| {
    let Ok(keyring) = Keyring::from_json(data) else {
        return;
    };
    let first = keyring.to_json();
    let again = Keyring::from_json(&first).expect("a serialized keyring parses back");
    let second = again.to_json();
    assert!(
        *first == *second,
        "to_json -> from_json -> to_json changed the bytes"
    );
});
