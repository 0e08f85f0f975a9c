//! Fuzzes what `qcd audit` reads from other machines: the manifest
//! (`qcd secret list --json`, both the plain serde model and the checked
//! `audit::inventory::parse_manifest`) and the inventory (TOML and JSON,
//! `Inventory::parse`). Never touches the filesystem: `Inventory::load`,
//! which reads member files named by the input, is not called.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use qcd::audit::inventory::{line_column, parse_manifest};
use qcd::audit::Inventory;
use qcd::secret::Manifest;

fuzz_target!(|data: &[u8]| {
    // The serde model: whatever parses re-serializes and parses to the same value.
    if let Ok(m) = serde_json::from_slice::<Manifest>(data) {
        let bytes = serde_json::to_vec(&m).expect("a manifest serializes");
        let back: Manifest = serde_json::from_slice(&bytes).expect("re-parses");
        assert_eq!(back, m);
        let _ = m.file.mode_bits();
    }
    // The checked parser the audit uses.
    if let Ok(m) = parse_manifest(data) {
        assert!(
            !m.generations.is_empty(),
            "a checked manifest has generations"
        );
    }
    // Inventories, as TOML and as JSON; errors must render.
    if let Ok(text) = std::str::from_utf8(data) {
        for json in [false, true] {
            match Inventory::parse(text, Path::new("fuzz/inventory.toml"), json) {
                Ok(inv) => {
                    for c in &inv.clusters {
                        assert!(!c.members.is_empty());
                        for m in &c.members {
                            // Relative member paths are anchored at the inventory's directory.
                            let _ = m.source.path();
                        }
                    }
                }
                Err(e) => {
                    let _ = e.to_string();
                }
            }
        }
        // Byte offsets from parsers may land anywhere, even inside a character.
        for offset in [0, text.len() / 2, text.len(), text.len() + 1, usize::MAX] {
            let (line, column) = line_column(text, offset);
            assert!(line >= 1 && column >= 1);
        }
    }
});
