//! What users hand `qcd token` besides SPIs: a token in hex (checked for
//! RFC 6290's length), a taker address, and a batch of lines from a file or
//! stdin, with what the batch's end answers. Errors never quote a token.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::net::IpAddr;
use std::path::Path;

use zeroize::Zeroizing;

use super::batch::{BatchStats, TakerShape};
use super::profile::MAX_TOKEN_LEN;
use crate::encoding::{self, EncodingError};
use crate::secretmem::SecretBytes;

/// Why a token given in hex is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenHexError {
    #[error(transparent)]
    Hex(#[from] EncodingError),
    #[error("the token is empty: give it in hex")]
    Empty,
    #[error("the token has {0} bytes; RFC 6290 tokens have at most {MAX_TOKEN_LEN}")]
    TooLong(usize),
}

/// A token in lenient hex (whitespace, colons and `0x` allowed), 1 to
/// [`MAX_TOKEN_LEN`] bytes, held zeroized.
pub fn parse_token_hex(text: &str) -> Result<SecretBytes, TokenHexError> {
    let bytes = Zeroizing::new(encoding::decode_hex_lenient(text)?);
    if bytes.is_empty() {
        return Err(TokenHexError::Empty);
    }
    if bytes.len() > MAX_TOKEN_LEN {
        return Err(TokenHexError::TooLong(bytes.len()));
    }
    Ok(SecretBytes::from_slice(&bytes))
}

/// A taker address that is none; the text is described, not quoted (see [`TakerShape`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}, expected an IPv4 or IPv6 address such as 192.0.2.7 or 2001:db8::7")]
pub struct TakerAddrError(TakerShape);

/// The token taker's IP address, surrounding blanks ignored.
pub fn parse_taker_addr(text: &str) -> Result<IpAddr, TakerAddrError> {
    let t = text.trim();
    t.parse()
        .map_err(|_| TakerAddrError(TakerShape::of(t.as_bytes())))
}

/// Why a batch could not be read, or answers with an error.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("cannot open the batch file {path}")]
    Open {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("the batch file {path} is a directory: give a file of lines (or - for stdin)")]
    Directory { path: String },
    #[error(
        "{malformed} of {lines} data lines were malformed (reported above with their line numbers)"
    )]
    Malformed { malformed: u64, lines: u64 },
}

/// The batch input `path` names: the file, or stdin for `-`, behind a
/// large buffer.
pub fn open_batch(path: &Path) -> Result<Box<dyn BufRead>, BatchError> {
    const CAP: usize = 1 << 18;
    if path == Path::new("-") {
        return Ok(Box::new(BufReader::with_capacity(CAP, io::stdin().lock())));
    }
    let shown = || path.display().to_string();
    let f = File::open(path).map_err(|source| BatchError::Open {
        path: shown(),
        source,
    })?;
    if f.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(BatchError::Directory { path: shown() });
    }
    Ok(Box::new(BufReader::with_capacity(CAP, f)))
}

impl BatchStats {
    /// After the batch: an error when some lines were malformed (each was
    /// reported with its line number as it came).
    pub fn check(&self) -> Result<(), BatchError> {
        if self.malformed > 0 {
            return Err(BatchError::Malformed {
                malformed: self.malformed,
                lines: self.lines,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_in_hex() {
        assert_eq!(parse_token_hex("0x00:ff").unwrap().expose(), &[0, 0xff]);
        assert_eq!(parse_token_hex(" ").unwrap_err(), TokenHexError::Empty);
        let long = "ab".repeat(MAX_TOKEN_LEN + 1);
        let e = parse_token_hex(&long).unwrap_err();
        assert_eq!(e, TokenHexError::TooLong(MAX_TOKEN_LEN + 1));
        assert_eq!(
            e.to_string(),
            format!(
                "the token has {} bytes; RFC 6290 tokens have at most {MAX_TOKEN_LEN}",
                MAX_TOKEN_LEN + 1
            )
        );
        assert!(matches!(
            parse_token_hex("abc"),
            Err(TokenHexError::Hex(EncodingError::HexOdd { .. }))
        ));
    }

    #[test]
    fn taker_addresses() {
        assert_eq!(
            parse_taker_addr(" 192.0.2.7 ").unwrap(),
            "192.0.2.7".parse::<IpAddr>().unwrap()
        );
        let e = parse_taker_addr("192.0.2.300").unwrap_err().to_string();
        assert_eq!(
            e,
            "\"192.0.2.300\", expected an IPv4 or IPv6 address such as 192.0.2.7 or 2001:db8::7"
        );
        let e = parse_taker_addr("deadbeefdeadbeef")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("deadbeef"), "{e}");
    }

    #[test]
    fn batch_files() {
        let dir = tempfile::tempdir().unwrap();
        let e = open_batch(dir.path()).err().unwrap();
        assert!(matches!(e, BatchError::Directory { .. }), "{e}");
        let e = open_batch(&dir.path().join("none")).err().unwrap();
        assert!(matches!(e, BatchError::Open { .. }), "{e}");
        let mut stats = BatchStats::default();
        assert!(stats.check().is_ok());
        stats.lines = 5;
        stats.malformed = 2;
        assert_eq!(
            stats.check().unwrap_err().to_string(),
            "2 of 5 data lines were malformed (reported above with their line numbers)"
        );
    }
}
