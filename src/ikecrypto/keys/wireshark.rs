//! Wireshark's `ikev2_decryption_table` (also what strongSwan's save-keys
//! plugin writes), one IKE SA per line,
//!
//! ```text
//! SPI-I,SPI-R,SK_ei,SK_er,"encryption algorithm",SK_ai,SK_ar,"integrity algorithm"
//! ```
//!
//! with hex SPIs and keys and the algorithm names spelled exactly as Wireshark
//! spells them. Blank lines and `#` comments are skipped.
//!
//! Read line by line, like Wireshark: a line qcd cannot use (bad field,
//! unknown or unsupported algorithm, wrong key length, a second line for the
//! same SPIs with other keys) is skipped with a [`KeyWarning`]; the other
//! lines are used.

use super::table::*;
use crate::ikecrypto::alg::{EncrAlg, IntegAlg, NameLookup};
use crate::ikecrypto::sk::SaKeys;
use crate::spi::SpiPair;

impl KeyTable {
    /// Parses Wireshark key table text; `file` names it in warnings. Lines
    /// that cannot be used are skipped (see [`KeyTable::warnings`]); it is an
    /// error only when key lines exist and none of them is usable.
    pub fn parse(text: &str, file: &str) -> Result<KeyTable, KeyTableError> {
        let t = Self::parse_lenient(text, file);
        t.check_usable(file)?;
        Ok(t)
    }

    /// [`KeyTable::parse`] that never fails: everything unusable is a warning.
    pub fn parse_lenient(text: &str, file: &str) -> KeyTable {
        let mut table = KeyTable::new(KeyFormat::Wireshark);
        for (idx, raw) in text.lines().enumerate() {
            let line_no = idx + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            match parse_line(line) {
                Ok(keys) => table.insert(keys, line_no, file),
                Err(skip) => table.warn(skip.at(file, line_no)),
            }
        }
        table
    }

    /// The table in Wireshark's `ikev2_decryption_table` format (what
    /// `qcd keys convert` writes), in a buffer wiped on drop.
    pub fn to_wireshark(&self, comment: &str) -> zeroize::Zeroizing<String> {
        let mut out = zeroize::Zeroizing::new(String::new());
        for c in comment.lines() {
            out.push_str("# ");
            out.push_str(c);
            out.push('\n');
        }
        for k in self.entries() {
            let line = wireshark_line(k);
            out.push_str(&line);
            out.push('\n');
        }
        out
    }
}

/// One SA as a Wireshark key table line (no newline), in a buffer wiped on drop.
pub fn wireshark_line(k: &SaKeys) -> zeroize::Zeroizing<String> {
    zeroize::Zeroizing::new(format!(
        "{},{},{},{},\"{}\",{},{},\"{}\"",
        k.spis.initiator.to_hex(),
        k.spis.responder.to_hex(),
        zeroize::Zeroizing::new(hex::encode(k.sk_e(true).expose())).as_str(),
        zeroize::Zeroizing::new(hex::encode(k.sk_e(false).expose())).as_str(),
        k.encr.wireshark_name(),
        zeroize::Zeroizing::new(hex::encode(k.sk_a(true).expose())).as_str(),
        zeroize::Zeroizing::new(hex::encode(k.sk_a(false).expose())).as_str(),
        k.integ.wireshark_name(),
    ))
}

/// Splits on commas outside double quotes; strips quotes and whitespace.
fn split_fields(line: &str) -> Result<Vec<String>, Skip> {
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
        return Err(Skip::new(
            SkipKind::Syntax,
            "line",
            "unterminated double quote; algorithm names are written in double quotes",
        ));
    }
    fields.push(cur.trim().to_string());
    Ok(fields)
}

fn parse_line(line: &str) -> Result<SaKeys, Skip> {
    let fields = split_fields(line)?;
    if fields.len() != FIELDS.len() {
        return Err(Skip::new(
            SkipKind::Syntax,
            "line",
            format!(
                "expected 8 comma-separated fields (SPI-I, SPI-R, SK_ei, SK_er, \"encryption algorithm\", SK_ai, SK_ar, \"integrity algorithm\"), found {}",
                fields.len()
            ),
        ));
    }
    let spis = SpiPair::new(
        parse_spi(FIELDS[0], &fields[0])?,
        parse_spi(FIELDS[1], &fields[1])?,
    );
    let encr = match EncrAlg::from_wireshark_name(&fields[4]) {
        NameLookup::Supported(a) => a,
        NameLookup::Unsupported => {
            return Err(Skip::new(
                SkipKind::UnsupportedAlgorithm,
                FIELDS[4],
                format!(
                    "{} is a name from Wireshark's ESP table, not its IKEv2 table; use one of: {}",
                    describe_field(&fields[4]),
                    EncrAlg::supported_names().join(", ")
                ),
            ))
        }
        NameLookup::Unknown => {
            return Err(Skip::new(
                SkipKind::UnknownAlgorithm,
                FIELDS[4],
                format!(
                    "unknown algorithm {}; write it exactly as Wireshark does, one of: {}",
                    describe_field(&fields[4]),
                    EncrAlg::supported_names().join(", ")
                ),
            ))
        }
    };
    let integ = match IntegAlg::from_wireshark_name(&fields[7]) {
        NameLookup::Supported(a) => a,
        NameLookup::Unsupported => {
            return Err(Skip::new(
                SkipKind::UnsupportedAlgorithm,
                FIELDS[7],
                format!(
                    "{} is not an IKEv2 integrity algorithm qcd can use; one of: {}",
                    describe_field(&fields[7]),
                    IntegAlg::supported_names().join(", ")
                ),
            ))
        }
        NameLookup::Unknown => {
            return Err(Skip::new(
                SkipKind::UnknownAlgorithm,
                FIELDS[7],
                format!(
                    "unknown algorithm {}; write it exactly as Wireshark does, one of: {}",
                    describe_field(&fields[7]),
                    IntegAlg::supported_names().join(", ")
                ),
            ))
        }
    };
    let keys = [
        parse_key(FIELDS[2], &fields[2])?,
        parse_key(FIELDS[3], &fields[3])?,
        parse_key(FIELDS[5], &fields[5])?,
        parse_key(FIELDS[6], &fields[6])?,
    ];
    build_sa(spis, encr, integ, keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spi::Spi;
    use std::path::Path;

    const CBC_LINE: &str = "8aae1cfed59b39bb,19801cac664ec217,c38b79be21808f363652198785812106,4ee90c18d2bc6e4a2b5ccf6a0a0a6d4e,\"AES-CBC-128 [RFC3602]\",e44409a12fa6d85287d271eb3defc1731146fedb,489cd53e931d146c0ccbdb7ba0f574757a728b93,\"HMAC_SHA1_96 [RFC2404]\"";
    const GCM_LINE: &str = "0102030405060708,1112131415161718,000102030405060708090a0b0c0d0e0f10111213,202122232425262728292a2b2c2d2e2f30313233,\"AES-GCM-128 with 16 octet ICV [RFC5282]\",,,\"NONE [RFC4306]\"";

    /// The one warning of a table made of `text` followed by a good line.
    fn warning(text: &str) -> KeyWarning {
        let t = KeyTable::parse(&format!("{text}\n{GCM_LINE}\n"), "t.keys").unwrap();
        assert_eq!(t.len(), 1, "the good line is still used");
        assert_eq!(t.warnings().len(), 1, "{:?}", t.warnings());
        t.warnings()[0].clone()
    }

    #[test]
    fn parses_lines_comments_and_blanks() {
        let text = format!("# This file is automatically generated, DO NOT MODIFY.\n\n{CBC_LINE}\n  \n{GCM_LINE}\n");
        let t = KeyTable::parse(&text, "t.keys").unwrap();
        assert_eq!(t.len(), 2);
        assert!(t.warnings().is_empty());
        assert_eq!(t.lines(), &[3, 5]);
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
    fn identical_duplicates_merge_conflicts_warn() {
        let t = KeyTable::parse(&format!("{CBC_LINE}\n{CBC_LINE}\n"), "t.keys").unwrap();
        assert_eq!(t.len(), 1);
        assert!(t.warnings().is_empty());
        let other = CBC_LINE.replace("c38b79be", "d38b79be");
        let t = KeyTable::parse(&format!("{CBC_LINE}\n{other}\n"), "t.keys").unwrap();
        assert_eq!(t.len(), 1);
        let w = &t.warnings()[0];
        assert_eq!((w.line, w.kind), (2, SkipKind::Conflict));
        assert_eq!(w.field, "SPI-I/SPI-R");
        assert!(w.reason.contains("line 1"), "{w}");
        // the first line's keys are kept
        assert_eq!(t.entries()[0].sk_e(true).expose()[0], 0xc3);
    }

    #[test]
    fn wrong_key_length_names_field_and_lengths() {
        let short = CBC_LINE.replace(
            ",4ee90c18d2bc6e4a2b5ccf6a0a0a6d4e,",
            ",4ee90c18d2bc6e4a2b5ccf6a0a0a6d,",
        );
        let w = warning(&format!("\n{short}"));
        assert_eq!((w.line, w.kind), (2, SkipKind::KeyLength));
        assert_eq!(w.field, "SK_er");
        assert!(w.reason.contains("15 bytes"), "{w}");
        assert!(w.reason.contains("needs 16 bytes"), "{w}");
        let gcm = GCM_LINE.replace(
            ",202122232425262728292a2b2c2d2e2f30313233,",
            ",202122232425262728292a2b2c2d2e2f,",
        );
        let t = KeyTable::parse_lenient(&gcm, "t.keys");
        let w = &t.warnings()[0];
        assert_eq!(w.field, "SK_er");
        assert!(w.reason.contains("4-byte salt"), "{w}");
    }

    #[test]
    fn malformed_lines_are_skipped_with_typed_warnings() {
        let w = warning("0102030405060708,1112131415161718,00");
        assert_eq!((w.kind, w.field.as_str()), (SkipKind::Syntax, "line"));
        assert!(w.reason.contains("found 3"), "{w}");

        let w = warning(&CBC_LINE.replace("8aae1cfed59b39bb", "8aae1cfed59b39"));
        assert_eq!((w.kind, w.field.as_str()), (SkipKind::Spi, "SPI-I"));
        assert!(!w.to_string().contains("8aae1cfed59b39"), "{w}");

        let w = warning(&CBC_LINE.replace("c38b79be", "c38b79bz"));
        assert_eq!((w.kind, w.field.as_str()), (SkipKind::Hex, "SK_ei"));
        assert!(w.reason.contains("'z'"), "{w}");
        assert!(!w.to_string().contains("c38b79b"), "{w}");

        let w = warning(&CBC_LINE.replace("AES-CBC-128 [RFC3602]", "aes128"));
        assert_eq!(w.kind, SkipKind::UnknownAlgorithm);
        assert_eq!(w.field, "encryption algorithm");
        assert!(w.reason.contains("\"aes128\""), "{w}");
        assert!(w.reason.contains("AES-CBC-128 [RFC3602]"), "{w}");

        let w = warning(&CBC_LINE.replace("AES-CBC-128 [RFC3602]", "AES-CBC [RFC3602]"));
        assert_eq!(w.kind, SkipKind::UnsupportedAlgorithm);

        let w = warning(&GCM_LINE.replace("NONE [RFC4306]", "HMAC_SHA1_96 [RFC2404]"));
        assert_eq!(w.kind, SkipKind::AlgorithmMix);
        assert_eq!(w.field, "integrity algorithm");

        let w = warning(&CBC_LINE.replace("\"HMAC_SHA1_96", "HMAC_SHA1_96"));
        assert_eq!((w.kind, w.field.as_str()), (SkipKind::Syntax, "line"));
        assert!(w.reason.contains("quote"), "{w}");
        assert_eq!(
            w.to_string(),
            format!("t.keys:1: line: {} (line skipped)", w.reason)
        );
    }

    /// Issue 12 item 3: a shifted column must not print a key; a 1 MB field
    /// is not echoed; non-hex text shows only a short prefix.
    #[test]
    fn warnings_never_echo_keys() {
        // SK_ei moved into the algorithm column
        let key = "c38b79be21808f363652198785812106";
        let shifted = format!(
            "8aae1cfed59b39bb,19801cac664ec217,,4ee90c18d2bc6e4a2b5ccf6a0a0a6d4e,{key},\"AES-CBC-128 [RFC3602]\",489cd53e931d146c0ccbdb7ba0f574757a728b93,\"HMAC_SHA1_96 [RFC2404]\""
        );
        let w = warning(&shifted);
        assert_eq!(w.field, "encryption algorithm");
        assert!(w.reason.contains("32 hex digits"), "{w}");
        assert!(!w.to_string().contains("c38b79"), "{w}");
        // a key where an SPI should be
        let w = warning(&CBC_LINE.replacen("8aae1cfed59b39bb", key, 1));
        assert_eq!(w.field, "SPI-I");
        assert!(!w.to_string().contains("c38b79"), "{w}");
        // a huge field
        let huge = "A".repeat(1 << 20);
        let w = warning(&CBC_LINE.replace("AES-CBC-128 [RFC3602]", &huge));
        assert!(w.to_string().len() < 2000, "{} bytes", w.to_string().len());
        // text with a key glued on: the prefix stops before the hex run
        let w = warning(&CBC_LINE.replace("AES-CBC-128 [RFC3602]", &format!("AES-CBC-128 {key}")));
        assert!(!w.to_string().contains("c38b79be"), "{w}");
        assert!(w.reason.contains("\"AES-CBC-128 \""), "{w}");
    }

    #[test]
    fn describe_field_cases() {
        assert_eq!(describe_field(""), "an empty field");
        assert!(describe_field("0xdeadbeef").starts_with("8 hex digits"));
        assert_eq!(describe_field("aes128"), "\"aes128\"");
        assert_eq!(
            describe_field("abcdefghijklmnopqrstuvwxyz"),
            "\"abcdefghijklmnopqrstuvwx\"… (26 characters)"
        );
        assert_eq!(
            describe_field("\u{1}\u{2}"),
            "2 characters that are not shown"
        );
    }

    /// Wireshark's own test table (test/config/ikev2_decryption_table.tmpl):
    /// all nine lines are usable, with the algorithms Wireshark's tests use.
    #[test]
    fn wireshark_test_table_loads_whole() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/peer/wireshark/test/config/ikev2_decryption_table.tmpl"
        );
        let t = KeyTable::load(Path::new(path)).unwrap();
        assert!(t.warnings().is_empty(), "{:?}", t.warnings());
        assert_eq!(t.len(), 9);
        let algs: Vec<(EncrAlg, IntegAlg)> =
            t.entries().iter().map(|k| (k.encr, k.integ)).collect();
        assert_eq!(
            algs,
            vec![
                (EncrAlg::Null, IntegAlg::None),
                (EncrAlg::TripleDes, IntegAlg::HmacSha1_160),
                (
                    EncrAlg::AesCcm {
                        key_len: 16,
                        icv_len: 12
                    },
                    IntegAlg::None
                ),
                (
                    EncrAlg::AesCtr { key_len: 16 },
                    IntegAlg::Unchecked { icv_len: 12 }
                ),
                (EncrAlg::AesCtr { key_len: 24 }, IntegAlg::HmacSha2_512_256),
                (EncrAlg::AesCbc { key_len: 32 }, IntegAlg::HmacSha2_256_128),
                (
                    EncrAlg::AesCcm {
                        key_len: 32,
                        icv_len: 16
                    },
                    IntegAlg::None
                ),
                (
                    EncrAlg::AesGcm {
                        key_len: 32,
                        icv_len: 8
                    },
                    IntegAlg::None
                ),
                (
                    EncrAlg::AesGcm {
                        key_len: 32,
                        icv_len: 16
                    },
                    IntegAlg::None
                ),
            ]
        );
    }

    #[test]
    fn nothing_usable_is_an_error_empty_is_not() {
        assert!(KeyTable::parse("# only a comment\n\n", "t.keys")
            .unwrap()
            .is_empty());
        let e = KeyTable::parse("a,b\nc,d\n", "/etc/x.keys")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("/etc/x.keys: none of its 2 key line(s) is usable; the first: /etc/x.keys:1: line: expected 8"), "{e}");
    }

    #[test]
    fn round_trips_through_wireshark_text() {
        let t = KeyTable::parse(&format!("{CBC_LINE}\n{GCM_LINE}\n"), "t.keys").unwrap();
        let text = t.to_wireshark("converted by a test");
        assert!(text.starts_with("# converted by a test\n"));
        let again = KeyTable::parse(&text, "again").unwrap();
        assert_eq!(again.len(), 2);
        for (a, b) in t.entries().iter().zip(again.entries()) {
            assert!(a.same_keys(b));
        }
        assert!(text.contains(CBC_LINE), "{}", text.as_str());
    }

    proptest::proptest! {
        /// The parser never panics, including on valid lines with arbitrary edits.
        #[test]
        fn never_panics(text in "[ -~\n\t\"]{0,300}", cut in 0usize..400, junk in "[ -~]{0,12}") {
            let _ = KeyTable::parse_lenient(&text, "fuzz");
            let mut line = CBC_LINE.to_string();
            let at = (cut % (line.len() + 1)..).find(|i| line.is_char_boundary(*i)).unwrap_or(0);
            line.insert_str(at, &junk);
            let _ = KeyTable::parse_lenient(&line, "fuzz");
            let _ = KeyTable::parse_lenient(&GCM_LINE[..cut.min(GCM_LINE.len())], "fuzz");
        }
    }

    #[test]
    fn load_reads_files_and_refuses_fifos_and_missing_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ikev2_decryption_table");
        std::fs::write(&path, format!("{GCM_LINE}\n")).unwrap();
        assert_eq!(KeyTable::load(&path).unwrap().len(), 1);
        let missing = dir.path().join("nope.keys");
        let e = KeyTable::load(&missing).unwrap_err().to_string();
        assert!(e.starts_with("cannot read key table"), "{e}");
        assert!(e.contains("nope.keys"), "{e}");
        let e = KeyTable::load(dir.path()).unwrap_err().to_string();
        assert!(e.contains("not a regular file"), "{e}");
        let fifo = dir.path().join("fifo");
        let st = std::process::Command::new("mkfifo").arg(&fifo).status();
        if st.map(|s| s.success()).unwrap_or(false) {
            let e = KeyTable::load(&fifo).unwrap_err().to_string();
            assert!(e.contains("not a regular file"), "{e}");
        }
    }
}
