//! Wireshark's `ikev2_decryption_table` (also what strongSwan's save-keys
//! plugin writes): one IKE SA per line,
//!
//! ```text
//! SPI-I,SPI-R,SK_ei,SK_er,"encryption algorithm",SK_ai,SK_ar,"integrity algorithm"
//! ```
//!
//! with hex SPIs and keys and the algorithm names spelled exactly as Wireshark
//! spells them. Blank lines and `#` comments are skipped. Keys go straight into
//! [`SecretBytes`]; errors name the file, line and field, never a key.

use std::collections::HashMap;
use std::path::Path;

use super::alg::{EncrAlg, IntegAlg, NameLookup};
use super::sk::SaKeys;
use super::CryptoError;
use crate::encoding::decode_hex_lenient;
use crate::secret::SecretBytes;
use crate::spi::{Spi, SpiPair};

/// The field names, in order, as errors print them.
pub const FIELDS: [&str; 8] = [
    "SPI-I",
    "SPI-R",
    "SK_ei",
    "SK_er",
    "encryption algorithm",
    "SK_ai",
    "SK_ar",
    "integrity algorithm",
];

/// Why a key table could not be read.
#[derive(Debug, thiserror::Error)]
pub enum KeyTableError {
    #[error("cannot read key table {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}:{line}: {field}: {problem}")]
    Line {
        file: String,
        line: usize,
        field: String,
        problem: String,
    },
}

/// The SAs of a key table, looked up by SPI pair.
#[derive(Debug, Default)]
pub struct KeyTable {
    entries: Vec<SaKeys>,
    by_spis: HashMap<SpiPair, usize>,
}

impl KeyTable {
    /// Reads and parses a key table file.
    pub fn load(path: &Path) -> Result<KeyTable, KeyTableError> {
        let text = crate::fsio::read_string(path, &crate::fsio::KEY_TABLE).map_err(|e| {
            KeyTableError::Io {
                path: path.display().to_string(),
                source: e.into_io(),
            }
        })?;
        KeyTable::parse(&text, &path.display().to_string())
    }

    /// Parses key table text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<KeyTable, KeyTableError> {
        let mut table = KeyTable::default();
        let mut first_line: HashMap<SpiPair, usize> = HashMap::new();
        for (idx, raw) in text.lines().enumerate() {
            let line_no = idx + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |field: &str, problem: String| KeyTableError::Line {
                file: file.to_string(),
                line: line_no,
                field: field.to_string(),
                problem,
            };
            let keys = parse_line(line).map_err(|(field, problem)| err(field, problem))?;
            match table.by_spis.get(&keys.spis) {
                Some(&i) if table.entries[i].same_keys(&keys) => continue,
                Some(_) => {
                    let first = first_line.get(&keys.spis).copied().unwrap_or(0);
                    return Err(err(
                        "SPI-I/SPI-R",
                        format!(
                            "this SPI pair already appears on line {first} with different keys or algorithms; keep one of the two lines"
                        ),
                    ));
                }
                None => {
                    first_line.insert(keys.spis, line_no);
                    table.by_spis.insert(keys.spis, table.entries.len());
                    table.entries.push(keys);
                }
            }
        }
        Ok(table)
    }

    /// The keys of the IKE SA named by `spis` (initiator SPI first).
    pub fn get(&self, spis: &SpiPair) -> Option<&SaKeys> {
        self.by_spis.get(spis).map(|&i| &self.entries[i])
    }

    /// All SAs in file order.
    pub fn entries(&self) -> &[SaKeys] {
        &self.entries
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Splits on commas outside double quotes; strips quotes and whitespace.
fn split_fields(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut in_quotes = false;
    for c in line.chars() {
        match c {
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => fields.push(std::mem::take(&mut cur).trim().to_string()),
            _ => cur.push(c),
        }
    }
    if in_quotes {
        return Err("unterminated double quote".to_string());
    }
    fields.push(cur.trim().to_string());
    Ok(fields)
}

fn parse_line(line: &str) -> Result<SaKeys, (&'static str, String)> {
    let fields = split_fields(line).map_err(|p| ("line", p))?;
    if fields.len() != FIELDS.len() {
        return Err((
            "line",
            format!(
                "expected 8 comma-separated fields (SPI-I, SPI-R, SK_ei, SK_er, \"encryption algorithm\", SK_ai, SK_ar, \"integrity algorithm\"), found {}",
                fields.len()
            ),
        ));
    }
    let spi = |i: usize| Spi::parse(&fields[i]).map_err(|e| (FIELDS[i], format!("{e}")));
    let spis = SpiPair::new(spi(0)?, spi(1)?);
    let key = |i: usize| -> Result<SecretBytes, (&'static str, String)> {
        decode_hex_lenient(&fields[i])
            .map(SecretBytes::new)
            .map_err(|e| (FIELDS[i], format!("{e}")))
    };
    let (sk_ei, sk_er, sk_ai, sk_ar) = (key(2)?, key(3)?, key(5)?, key(6)?);
    let encr = match EncrAlg::from_wireshark_name(&fields[4]) {
        NameLookup::Supported(a) => a,
        NameLookup::Unsupported => {
            return Err((
                FIELDS[4],
                format!(
                    "{:?} is a Wireshark algorithm qcd cannot decrypt; supported: {}",
                    fields[4],
                    EncrAlg::supported_names().join(", ")
                ),
            ))
        }
        NameLookup::Unknown => {
            return Err((
                FIELDS[4],
                format!(
                    "unknown algorithm {:?}; write it exactly as Wireshark does, one of: {}",
                    fields[4],
                    EncrAlg::supported_names().join(", ")
                ),
            ))
        }
    };
    let integ = match IntegAlg::from_wireshark_name(&fields[7]) {
        NameLookup::Supported(a) => a,
        NameLookup::Unsupported => {
            return Err((
                FIELDS[7],
                format!(
                    "{:?} is a Wireshark algorithm qcd cannot check; supported: {}",
                    fields[7],
                    IntegAlg::supported_names().join(", ")
                ),
            ))
        }
        NameLookup::Unknown => {
            return Err((
                FIELDS[7],
                format!(
                    "unknown algorithm {:?}; write it exactly as Wireshark does, one of: {}",
                    fields[7],
                    IntegAlg::supported_names().join(", ")
                ),
            ))
        }
    };
    SaKeys::new(spis, encr, integ, sk_ei, sk_er, sk_ai, sk_ar).map_err(|e| match e {
        CryptoError::KeyLength {
            field,
            expected,
            found,
            alg,
        } => (
            field,
            format!(
                "{found} bytes ({} hex digits) but {alg} needs {expected} bytes ({} hex digits){}; check the key and the algorithm name on this line",
                found * 2,
                expected * 2,
                if alg.starts_with("AES-GCM") { ", the AES key followed by the 4-byte salt" } else { "" }
            ),
        ),
        CryptoError::AlgorithmMix { encr, integ } => (
            "integrity algorithm",
            format!(
                "{integ} cannot go with {encr}: AES-GCM needs \"NONE [RFC4306]\" (and empty SK_ai/SK_ar), AES-CBC needs an HMAC"
            ),
        ),
        other => ("line", other.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CBC_LINE: &str = "8aae1cfed59b39bb,19801cac664ec217,c38b79be21808f363652198785812106,4ee90c18d2bc6e4a2b5ccf6a0a0a6d4e,\"AES-CBC-128 [RFC3602]\",e44409a12fa6d85287d271eb3defc1731146fedb,489cd53e931d146c0ccbdb7ba0f574757a728b93,\"HMAC_SHA1_96 [RFC2404]\"";
    const GCM_LINE: &str = "0102030405060708,1112131415161718,000102030405060708090a0b0c0d0e0f10111213,202122232425262728292a2b2c2d2e2f30313233,\"AES-GCM-128 with 16 octet ICV [RFC5282]\",,,\"NONE [RFC4306]\"";

    fn line_err(text: &str) -> (usize, String, String) {
        match KeyTable::parse(text, "t.keys") {
            Err(KeyTableError::Line {
                line,
                field,
                problem,
                ..
            }) => (line, field, problem),
            other => panic!("expected a line error, got {other:?}"),
        }
    }

    #[test]
    fn parses_lines_comments_and_blanks() {
        let text = format!("# This file is automatically generated, DO NOT MODIFY.\n\n{CBC_LINE}\n  \n{GCM_LINE}\n");
        let t = KeyTable::parse(&text, "t.keys").unwrap();
        assert_eq!(t.len(), 2);
        let spis = SpiPair::new(
            Spi::parse("8aae1cfed59b39bb").unwrap(),
            Spi::parse("19801cac664ec217").unwrap(),
        );
        let k = t.get(&spis).unwrap();
        assert_eq!(k.encr, EncrAlg::AesCbc { key_len: 16 });
        assert_eq!(k.integ, IntegAlg::HmacSha1_96);
        assert_eq!(k.sk_e(true).expose()[0], 0xc3);
        assert_eq!(k.sk_a(false).expose()[0], 0x48);
        assert!(t.get(&spis.swapped()).is_none());
        let g = &t.entries()[1];
        assert_eq!(
            g.encr,
            EncrAlg::AesGcm {
                key_len: 16,
                icv_len: 16
            }
        );
        assert!(g.sk_a(true).is_empty());
    }

    #[test]
    fn debug_does_not_show_keys() {
        let t = KeyTable::parse(CBC_LINE, "t.keys").unwrap();
        let d = format!("{t:?}");
        assert!(!d.contains("c38b79be"), "{d}");
        assert!(!d.to_lowercase().contains("c3, 8b"), "{d}");
        assert!(d.contains("REDACTED"));
    }

    #[test]
    fn identical_duplicates_merge_conflicts_fail() {
        let t = KeyTable::parse(&format!("{CBC_LINE}\n{CBC_LINE}\n"), "t.keys").unwrap();
        assert_eq!(t.len(), 1);
        let other = CBC_LINE.replace("c38b79be", "d38b79be");
        let (line, field, problem) = line_err(&format!("{CBC_LINE}\n{other}\n"));
        assert_eq!(line, 2);
        assert_eq!(field, "SPI-I/SPI-R");
        assert!(problem.contains("line 1"), "{problem}");
    }

    #[test]
    fn wrong_key_length_names_field_and_lengths() {
        let short = CBC_LINE.replace(
            ",4ee90c18d2bc6e4a2b5ccf6a0a0a6d4e,",
            ",4ee90c18d2bc6e4a2b5ccf6a0a0a6d,",
        );
        let (line, field, problem) = line_err(&format!("\n{short}"));
        assert_eq!(line, 2);
        assert_eq!(field, "SK_er");
        assert!(problem.contains("15 bytes"), "{problem}");
        assert!(problem.contains("needs 16 bytes"), "{problem}");
        let gcm = GCM_LINE.replace(
            ",202122232425262728292a2b2c2d2e2f30313233,",
            ",202122232425262728292a2b2c2d2e2f,",
        );
        let (_, field, problem) = line_err(&gcm);
        assert_eq!(field, "SK_er");
        assert!(problem.contains("salt"), "{problem}");
    }

    #[test]
    fn malformed_lines() {
        let (_, field, problem) = line_err("0102030405060708,1112131415161718,00");
        assert_eq!(field, "line");
        assert!(problem.contains("found 3"), "{problem}");

        let (_, field, _) = line_err(&CBC_LINE.replace("8aae1cfed59b39bb", "8aae1cfed59b39"));
        assert_eq!(field, "SPI-I");

        let (_, field, problem) = line_err(&CBC_LINE.replace("c38b79be", "c38b79bz"));
        assert_eq!(field, "SK_ei");
        assert!(problem.contains("'z'"), "{problem}");
        assert!(
            !problem.contains("c38b79b"),
            "error must not echo the key: {problem}"
        );

        let (_, field, problem) = line_err(&CBC_LINE.replace("AES-CBC-128 [RFC3602]", "aes128"));
        assert_eq!(field, "encryption algorithm");
        assert!(problem.contains("AES-CBC-128 [RFC3602]"), "{problem}");

        let (_, field, problem) =
            line_err(&CBC_LINE.replace("AES-CBC-128 [RFC3602]", "3DES [RFC2451]"));
        assert_eq!(field, "encryption algorithm");
        assert!(problem.contains("cannot decrypt"), "{problem}");

        let (_, field, _) = line_err(&CBC_LINE.replace("HMAC_SHA1_96 [RFC2404]", "NONE [RFC4306]"));
        assert_eq!(field, "integrity algorithm");

        let (_, field, problem) = line_err(&CBC_LINE.replace("\"HMAC_SHA1_96", "HMAC_SHA1_96"));
        assert_eq!(field, "line");
        assert!(problem.contains("quote"), "{problem}");
    }

    proptest::proptest! {
        /// The parser returns an error, never panics, on any text, including
        /// valid lines with arbitrary edits.
        #[test]
        fn never_panics(text in "[ -~\n\t\"]{0,300}", cut in 0usize..400, junk in "[ -~]{0,12}") {
            let _ = KeyTable::parse(&text, "fuzz");
            let mut line = CBC_LINE.to_string();
            let at = (cut % (line.len() + 1)..).find(|i| line.is_char_boundary(*i)).unwrap_or(0);
            line.insert_str(at, &junk);
            let _ = KeyTable::parse(&line, "fuzz");
            let _ = KeyTable::parse(&GCM_LINE[..cut.min(GCM_LINE.len())], "fuzz");
        }
    }

    #[test]
    fn load_reads_files_and_names_missing_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ikev2_decryption_table");
        std::fs::write(&path, format!("{GCM_LINE}\n")).unwrap();
        assert_eq!(KeyTable::load(&path).unwrap().len(), 1);
        let missing = dir.path().join("nope.keys");
        let e = KeyTable::load(&missing).unwrap_err().to_string();
        assert!(e.starts_with("cannot read key table "), "{e}");
        assert!(e.contains("nope.keys"), "{e}");
    }

    #[test]
    fn error_message_format() {
        let e = KeyTable::parse("a,b", "/etc/x.keys")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("/etc/x.keys:1: line: expected 8"), "{e}");
    }
}
