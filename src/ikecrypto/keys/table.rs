//! The key table model: the SAs read from a key table or key log, looked up
//! by SPI pair, with the lines that were skipped as [`KeyWarning`]s naming
//! the file, line, field and reason; the field readers shared by the
//! formats ([`parse_spi`], [`parse_key`], [`build_sa`]); bounded reading
//! and atomic private writing of key files. Keys go straight into
//! [`SecretBytes`]; warnings never echo a field that could be key material
//! (at most a short prefix of text that is not hex, see [`describe_field`]).

use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::path::Path;

use serde::Serialize;

use crate::encoding::{decode_hex_lenient, EncodingError};
use crate::ikecrypto::alg::{EncrAlg, IntegAlg};
use crate::ikecrypto::sk::SaKeys;
use crate::ikecrypto::CryptoError;
use crate::secretmem::SecretBytes;
use crate::spi::{Spi, SpiPair};

/// A key table or key log format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyFormat {
    /// Wireshark's `ikev2_decryption_table` (and strongSwan's save-keys plugin).
    Wireshark,
    /// tcpdump `-E` lines `ikev2 I|R …` (OpenSSL cipher names).
    Tcpdump,
    /// libreswan's `plutodebug=private` lines (same shape, libreswan's names).
    Libreswan,
    /// strongSwan charon's log at `ike = 4`.
    Charon,
}

impl KeyFormat {
    pub fn name(&self) -> &'static str {
        match self {
            KeyFormat::Wireshark => "wireshark",
            KeyFormat::Tcpdump => "tcpdump",
            KeyFormat::Libreswan => "libreswan",
            KeyFormat::Charon => "charon",
        }
    }
}

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

    pub(super) fn check_usable(&self, file: &str) -> Result<(), KeyTableError> {
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

/// Reads a key file through the shared safe-file reader: a regular file
/// (FIFOs and devices are refused without blocking), at most
/// [`crate::fsio::KEY_TABLE`] bytes.
pub(super) fn read_bounded(path: &Path) -> Result<String, KeyTableError> {
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
