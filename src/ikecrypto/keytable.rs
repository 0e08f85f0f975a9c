//! Key tables: Wireshark's `ikev2_decryption_table` (also what strongSwan's
//! save-keys plugin writes), one IKE SA per line,
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
//! same SPIs with other keys) is skipped with a [`KeyWarning`] naming the
//! file, line, field and reason; the other lines are used. Keys go straight
//! into [`SecretBytes`]; warnings never echo a field that could be key
//! material (at most a short prefix of text that is not hex).
//!
//! [`KeyTable::load`] also reads the key logs of [`super::keylog`] (tcpdump
//! `-E` / libreswan lines, strongSwan charon logs), detected per file.

use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::path::Path;

use serde::Serialize;

use super::alg::{EncrAlg, IntegAlg, NameLookup};
use super::keylog::{self, KeyFormat};
use super::sk::SaKeys;
use super::CryptoError;
use crate::encoding::{decode_hex_lenient, EncodingError};
use crate::secretmem::SecretBytes;
use crate::spi::{Spi, SpiPair};

/// The field names, in order, as warnings print them.
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

/// Largest key table or key log read (the shared [`crate::fsio::KEY_TABLE`]
/// limit); anything larger is refused at once.
pub const MAX_FILE_BYTES: u64 = crate::fsio::KEY_TABLE.max;

/// Why a key table could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum KeyTableError {
    #[error("cannot read key table {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// Not a regular file, too large, unreadable (named by the safe-file reader).
    #[error("cannot read key table: {0}")]
    File(#[from] crate::fsio::FileError),
    #[error("key table {path} is {size} bytes, more than the {max} bytes qcd reads; split it or keep only the SAs you need")]
    TooLarge { path: String, size: u64, max: u64 },
    #[error("{file}: none of its {skipped} key line(s) is usable; the first: {first}")]
    NothingUsable {
        file: String,
        skipped: usize,
        first: Box<KeyWarning>,
    },
    #[error("refusing to write the key table to {path}: it is {what}, not a regular file; give a file path (or - for stdout)")]
    NotWritable { path: String, what: &'static str },
    #[error("cannot write key table {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: Box<crate::fsio::FileError>,
    },
}

/// Why one line (or one SA of a key log) was skipped. Serializes as a
/// snake_case string (`--json` key `kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipKind {
    /// Wrong number of comma-separated fields or an unterminated quote.
    Syntax,
    /// An SPI field that is not 16 hex digits.
    Spi,
    /// A key field that is not hex.
    Hex,
    /// An algorithm name qcd does not know.
    UnknownAlgorithm,
    /// An algorithm another tool knows that qcd cannot use for IKEv2.
    UnsupportedAlgorithm,
    /// A key whose length does not fit the algorithm.
    KeyLength,
    /// An AEAD cipher with an integrity algorithm other than NONE.
    AlgorithmMix,
    /// A second line for the same SPI pair with other keys (the first is kept).
    Conflict,
    /// A key log SA with keys missing (e.g. only the `I` line, or a charon
    /// log without the SPIs or the proposal).
    Incomplete,
    /// A key cut short by the tool that logged it (libreswan logs at most
    /// 32 bytes of each key).
    Truncated,
}

/// One line qcd could not use. `Display`: `FILE:LINE: FIELD: REASON`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyWarning {
    pub file: String,
    /// 1-based line number.
    pub line: usize,
    pub kind: SkipKind,
    /// The field at fault ("SPI-I", "SK_ei", "encryption algorithm", or "line").
    pub field: String,
    /// What is wrong and how to fix it; never key material.
    pub reason: String,
}

impl fmt::Display for KeyWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {} (line skipped)",
            self.file, self.line, self.field, self.reason
        )
    }
}

/// A reason for skipping, before the file and line are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    pub kind: SkipKind,
    pub field: &'static str,
    pub reason: String,
}

impl Skip {
    pub fn new(kind: SkipKind, field: &'static str, reason: impl Into<String>) -> Skip {
        Skip {
            kind,
            field,
            reason: reason.into(),
        }
    }

    pub fn at(self, file: &str, line: usize) -> KeyWarning {
        KeyWarning {
            file: file.to_string(),
            line,
            kind: self.kind,
            field: self.field.to_string(),
            reason: self.reason,
        }
    }
}

/// The SAs of a key table, looked up by SPI pair, and the lines skipped.
#[derive(Debug, Default)]
pub struct KeyTable {
    entries: Vec<SaKeys>,
    lines: Vec<usize>,
    by_spis: HashMap<SpiPair, usize>,
    warnings: Vec<KeyWarning>,
    format: Option<KeyFormat>,
}

impl KeyTable {
    /// Reads a key table or key log (format detected, see
    /// [`keylog::detect`]). Refuses non-regular files and files over
    /// [`MAX_FILE_BYTES`]; a file with key lines none of which is usable is
    /// an error, otherwise skipped lines are in [`KeyTable::warnings`].
    pub fn load(path: &Path) -> Result<KeyTable, KeyTableError> {
        Self::load_as(path, None)
    }

    /// [`KeyTable::load`] in a given format (`None`: detect).
    pub fn load_as(path: &Path, format: Option<KeyFormat>) -> Result<KeyTable, KeyTableError> {
        let text = zeroize::Zeroizing::new(read_bounded(path)?);
        Self::from_text(&text, &path.display().to_string(), format)
    }

    /// Key table or key log text in `format` (`None`: detect); `file` names
    /// it in warnings. An error when key lines exist and none is usable.
    pub fn from_text(
        text: &str,
        file: &str,
        format: Option<KeyFormat>,
    ) -> Result<KeyTable, KeyTableError> {
        let format = format.unwrap_or_else(|| keylog::detect(text));
        let t = keylog::parse(text, file, format);
        t.check_usable(file)?;
        Ok(t)
    }

    /// Reads at most [`MAX_FILE_BYTES`] of key text from `input` (stdin).
    pub fn read_text(
        input: &mut dyn Read,
        name: &str,
    ) -> Result<zeroize::Zeroizing<String>, KeyTableError> {
        let mut bytes = zeroize::Zeroizing::new(Vec::new());
        input
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|source| KeyTableError::Io {
                path: name.to_string(),
                source,
            })?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(KeyTableError::TooLarge {
                path: name.to_string(),
                size: bytes.len() as u64,
                max: MAX_FILE_BYTES,
            });
        }
        Ok(zeroize::Zeroizing::new(
            String::from_utf8_lossy(&bytes).into_owned(),
        ))
    }

    /// Reads a key file (regular file, bounded) as text.
    pub fn read_file_text(path: &Path) -> Result<zeroize::Zeroizing<String>, KeyTableError> {
        read_bounded(path).map(zeroize::Zeroizing::new)
    }

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
        let mut table = KeyTable {
            format: Some(KeyFormat::Wireshark),
            ..KeyTable::default()
        };
        for (idx, raw) in text.lines().enumerate() {
            let line_no = idx + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            match parse_line(line) {
                Ok(keys) => table.insert(keys, line_no, file),
                Err(skip) => table.warnings.push(skip.at(file, line_no)),
            }
        }
        table
    }

    /// An empty table in `format`, to fill with [`KeyTable::insert`].
    pub fn new(format: KeyFormat) -> KeyTable {
        KeyTable {
            format: Some(format),
            ..KeyTable::default()
        }
    }

    /// Adds an SA read at `line` of `file`. The same keys again are merged
    /// silently; other keys for SPIs already present are skipped with a
    /// [`SkipKind::Conflict`] warning (the first line wins, as a lookup in
    /// Wireshark's table finds the first).
    pub fn insert(&mut self, keys: SaKeys, line: usize, file: &str) {
        match self.by_spis.get(&keys.spis) {
            Some(&i) if self.entries[i].same_keys(&keys) => {}
            Some(&i) => {
                let first = self.lines[i];
                self.warnings.push(
                    Skip::new(
                        SkipKind::Conflict,
                        "SPI-I/SPI-R",
                        format!(
                            "this SPI pair already appears on line {first} with different keys or algorithms; line {first} is used, keep one of the two"
                        ),
                    )
                    .at(file, line),
                );
            }
            None => {
                self.by_spis.insert(keys.spis, self.entries.len());
                self.entries.push(keys);
                self.lines.push(line);
            }
        }
    }

    /// Records a skipped line.
    pub fn warn(&mut self, w: KeyWarning) {
        self.warnings.push(w);
    }

    fn check_usable(&self, file: &str) -> Result<(), KeyTableError> {
        if self.entries.is_empty() && !self.warnings.is_empty() {
            return Err(KeyTableError::NothingUsable {
                file: file.to_string(),
                skipped: self.warnings.len(),
                first: Box::new(self.warnings[0].clone()),
            });
        }
        Ok(())
    }

    /// The keys of the IKE SA named by `spis` (initiator SPI first).
    pub fn get(&self, spis: &SpiPair) -> Option<&SaKeys> {
        self.by_spis.get(spis).map(|&i| &self.entries[i])
    }

    /// All SAs in file order.
    pub fn entries(&self) -> &[SaKeys] {
        &self.entries
    }

    /// The line each SA of [`KeyTable::entries`] was read from.
    pub fn lines(&self) -> &[usize] {
        &self.lines
    }

    /// The lines that were skipped, in file order.
    pub fn warnings(&self) -> &[KeyWarning] {
        &self.warnings
    }

    /// The format the table was read in.
    pub fn format(&self) -> Option<KeyFormat> {
        self.format
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
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
        for k in &self.entries {
            let line = wireshark_line(k);
            out.push_str(&line);
            out.push('\n');
        }
        out
    }
}

/// Writes a key table to `path` atomically with mode 0600 (temporary file
/// in the same directory, fsync, rename). Refuses a path that is a symlink,
/// FIFO, device or directory: the table holds keys and must land in a
/// private regular file.
pub fn write_table(path: &Path, contents: &str) -> Result<(), KeyTableError> {
    use std::os::unix::fs::FileTypeExt;
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        let t = meta.file_type();
        let what = if t.is_symlink() {
            Some("a symbolic link")
        } else if t.is_fifo() {
            Some("a FIFO")
        } else if t.is_char_device() || t.is_block_device() {
            Some("a device")
        } else if t.is_dir() {
            Some("a directory")
        } else if t.is_socket() {
            Some("a socket")
        } else {
            None
        };
        if let Some(what) = what {
            return Err(KeyTableError::NotWritable {
                path: path.display().to_string(),
                what,
            });
        }
    }
    crate::fsio::write_atomic(path, contents.as_bytes()).map_err(|source| KeyTableError::Write {
        path: path.display().to_string(),
        source: Box::new(source),
    })
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

/// Reads a key file through the shared safe-file reader: a regular file
/// (FIFOs and devices are refused without blocking), at most
/// [`crate::fsio::KEY_TABLE`] bytes.
fn read_bounded(path: &Path) -> Result<String, KeyTableError> {
    let (bytes, _) = crate::fsio::read(path, &crate::fsio::KEY_TABLE)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// A description of a field's content that is safe to print: never key
/// material. Hex-looking text is described by its length only; other text
/// shows at most a 24-character prefix of printable ASCII, cut before any
/// run of 8 or more hex digits.
pub fn describe_field(s: &str) -> String {
    let t = s.trim();
    let chars = t.chars().count();
    if t.is_empty() {
        return "an empty field".to_string();
    }
    let body = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    let hexish = body
        .chars()
        .all(|c| c.is_ascii_hexdigit() || c == ':' || c.is_ascii_whitespace());
    if hexish {
        let digits = body.chars().filter(|c| c.is_ascii_hexdigit()).count();
        return format!("{digits} hex digits (a key or an SPI? is a column shifted?)");
    }
    let mut preview = String::new();
    let mut run = 0usize;
    let mut run_start = 0usize;
    for c in t.chars().take(24) {
        if !(c.is_ascii_graphic() || c == ' ') {
            break;
        }
        if c.is_ascii_hexdigit() {
            if run == 0 {
                run_start = preview.len();
            }
            run += 1;
        } else {
            if run >= 8 {
                preview.truncate(run_start);
                break;
            }
            run = 0;
        }
        preview.push(c);
    }
    if run >= 8 {
        preview.truncate(run_start);
    }
    if preview.len() == chars && chars <= 24 {
        format!("{preview:?}")
    } else if preview.is_empty() {
        format!("{chars} characters that are not shown")
    } else {
        format!("{preview:?}… ({chars} characters)")
    }
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

/// An SPI field: 16 hex digits (optional 0x). The message never shows the field.
pub fn parse_spi(field: &'static str, s: &str) -> Result<Spi, Skip> {
    Spi::parse(s).map_err(|_| {
        Skip::new(
            SkipKind::Spi,
            field,
            format!(
                "expected 16 hex digits (8 bytes), found {}",
                describe_field(s)
            ),
        )
    })
}

/// A hex key field. The message never shows the field.
pub fn parse_key(field: &'static str, s: &str) -> Result<SecretBytes, Skip> {
    decode_hex_lenient(s).map(SecretBytes::new).map_err(|e| {
        let what = match e {
            EncodingError::HexDigit { position, found } if found.is_ascii_graphic() => {
                format!("the character {found:?} at position {position} is not a hex digit")
            }
            EncodingError::HexDigit { position, .. } => {
                format!("character {position} is not a hex digit")
            }
            EncodingError::HexOdd { digits } => {
                format!("an odd number of hex digits ({digits}); every byte needs two")
            }
            EncodingError::Base64 { .. } => "not hex".to_string(),
        };
        Skip::new(
            SkipKind::Hex,
            field,
            format!("{what}; keys are written in hex (an algorithm name in a key column? is a column shifted?)"),
        )
    })
}

/// Builds an SA from parsed fields, turning key-length and algorithm-mix
/// errors into warnings that name the field and the expected sizes.
pub fn build_sa(
    spis: SpiPair,
    encr: EncrAlg,
    integ: IntegAlg,
    keys: [SecretBytes; 4],
) -> Result<SaKeys, Skip> {
    let [sk_ei, sk_er, sk_ai, sk_ar] = keys;
    SaKeys::new(spis, encr, integ, sk_ei, sk_er, sk_ai, sk_ar).map_err(|e| match e {
        CryptoError::KeyLength {
            field,
            expected,
            found,
            alg,
        } => {
            let salt = [encr]
                .iter()
                .filter(|_| field.starts_with("SK_e"))
                .find_map(|e| e.salt_name())
                .map(|s| format!(", the key followed by {s}"))
                .unwrap_or_default();
            let unchecked = if matches!(integ, IntegAlg::Unchecked { .. } | IntegAlg::None)
                && field.starts_with("SK_a")
            {
                " (leave it empty)"
            } else {
                ""
            };
            Skip::new(
                SkipKind::KeyLength,
                field,
                format!(
                    "{found} bytes ({} hex digits) but {alg} needs {expected} bytes ({} hex digits){salt}{unchecked}; check the key and the algorithm name on this line",
                    found * 2,
                    expected * 2,
                ),
            )
        }
        CryptoError::AlgorithmMix { encr, integ } => Skip::new(
            SkipKind::AlgorithmMix,
            "integrity algorithm",
            format!(
                "\"{integ}\" cannot go with {encr}: an AEAD cipher (AES-GCM, AES-CCM, ChaCha20-Poly1305) needs \"NONE [RFC4306]\" and empty SK_ai/SK_ar"
            ),
        ),
        other => Skip::new(SkipKind::Syntax, "line", other.to_string()),
    })
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
