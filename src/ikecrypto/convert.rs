//! `qcd keys convert` as one operation: read a key log of a given format
//! (a file, or stdin for `-`), keep the usable SAs, and render them as a
//! Wireshark `ikev2_decryption_table` whose comment says where they came
//! from. Writing is [`super::keys::write_table`] (0600, atomic); the
//! CLI chooses between it and stdout and prints the [`ConvertSummary`].

use std::io::Read;
use std::path::Path;

use serde::Serialize;
use zeroize::Zeroizing;

use super::keys::{KeyFormat, KeyTable, KeyTableError, KeyWarning};

/// A key log read and converted.
pub struct Conversion {
    pub format: KeyFormat,
    /// The input's name: its path, or `stdin`.
    pub input: String,
    pub table: KeyTable,
}

impl Conversion {
    /// Reads `input` (`-`: `stdin`) as `format`; lines that cannot be used
    /// are the table's warnings.
    pub fn read(
        format: KeyFormat,
        input: &Path,
        stdin: &mut impl Read,
    ) -> Result<Conversion, KeyTableError> {
        let (name, text) = if input.as_os_str() == "-" {
            let name = "stdin".to_string();
            let text = KeyTable::read_text(stdin, &name)?;
            (name, text)
        } else {
            let name = input.display().to_string();
            (name, KeyTable::read_file_text(input)?)
        };
        let table = KeyTable::from_text(&text, &name, Some(format))?;
        Ok(Conversion {
            format,
            input: name,
            table,
        })
    }

    /// The Wireshark table, with a comment naming the source and what was skipped.
    pub fn wireshark_text(&self) -> Zeroizing<String> {
        let t = &self.table;
        let comment = format!(
            "converted by qcd keys convert --from {} from {}: {} IKE SA(s){}",
            self.format.name(),
            self.input,
            t.len(),
            if t.warnings().is_empty() {
                String::new()
            } else {
                format!(", {} line(s) skipped", t.warnings().len())
            }
        );
        t.to_wireshark(&comment)
    }

    /// The record of `qcd keys convert --json`, the table written to `out`
    /// (an empty table writes nothing and reports no skipped line).
    pub fn summary(&self, out: &Path) -> ConvertSummary<'_> {
        let empty = self.table.is_empty();
        ConvertSummary {
            format: self.format.name(),
            input: self.input.clone(),
            out: out.display().to_string(),
            sas: self.table.len(),
            skipped: if empty {
                0
            } else {
                self.table.warnings().len()
            },
            skipped_lines: if empty { &[] } else { self.table.warnings() },
        }
    }

    /// `wrote N IKE SA(s) to OUT (mode 0600)[; M line(s) skipped, …]`.
    pub fn written_message(&self, out: &Path) -> String {
        let skipped = self.table.warnings().len();
        format!(
            "wrote {} IKE SA(s) to {} (mode 0600){}",
            self.table.len(),
            out.display(),
            if skipped == 0 {
                String::new()
            } else {
                format!("; {skipped} line(s) skipped, see the warnings above")
            }
        )
    }
}

/// `qcd keys convert --json`: stable keys, documented in the README.
#[derive(Serialize)]
pub struct ConvertSummary<'a> {
    /// tcpdump, libreswan, charon or wireshark.
    pub format: &'static str,
    pub input: String,
    /// The file written.
    pub out: String,
    /// IKE SAs written.
    pub sas: usize,
    /// Lines skipped (each also in `skipped_lines`).
    pub skipped: usize,
    pub skipped_lines: &'a [KeyWarning],
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = "ikev2 I 0x0123456789abcdef 0xfedcba9876543210 sha1:0x00112233445566778899aabbccddeeff00112233 aes128:0x00112233445566778899aabbccddeeff\nikev2 R 0x0123456789abcdef 0xfedcba9876543210 sha1:0x00112233445566778899aabbccddeeff00112244 aes128:0x00112233445566778899aabbccddee00\n";

    #[test]
    fn converts_stdin_and_names_what_it_skipped() {
        let text = format!("{LINE}ikev2 I 0x1111111111111111 0x2222222222222222 sha1:0x00112233445566778899aabbccddeeff00112233 aes128:0x00112233445566778899aabbccddeeff\n");
        let c = Conversion::read(KeyFormat::Tcpdump, Path::new("-"), &mut text.as_bytes()).unwrap();
        assert_eq!((c.input.as_str(), c.table.len()), ("stdin", 1));
        assert_eq!(c.table.warnings().len(), 1);
        let w = c.wireshark_text();
        assert!(w.starts_with(
            "# converted by qcd keys convert --from tcpdump from stdin: 1 IKE SA(s), 1 line(s) skipped"
        ), "{}", &*w);
        let s = serde_json::to_value(c.summary(Path::new("t"))).unwrap();
        assert_eq!(s["sas"], 1);
        assert_eq!(s["skipped"], 1);
        assert_eq!(
            c.written_message(Path::new("t")),
            "wrote 1 IKE SA(s) to t (mode 0600); 1 line(s) skipped, see the warnings above"
        );
    }

    #[test]
    fn an_input_without_key_lines_converts_to_nothing() {
        let c = Conversion::read(KeyFormat::Tcpdump, Path::new("-"), &mut &b"hello\n"[..]).unwrap();
        assert!(c.table.is_empty());
        let s = serde_json::to_value(c.summary(Path::new("t"))).unwrap();
        assert_eq!(
            (s["sas"].as_u64(), s["skipped"].as_u64()),
            (Some(0), Some(0))
        );
    }
}
