//! Byte strings as users write them: lenient hex (any case, `0x` prefixes,
//! whitespace and colons), standard base64, and raw bytes. Used for secrets,
//! tokens and packet bytes typed on a command line or read from a file.

use base64::Engine as _;

/// The encodings in which secrets and tokens are exchanged with daemons.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ByteFormat {
    Raw,
    Hex,
    Base64,
}

/// Why text could not be decoded into bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodingError {
    #[error("invalid hex: the character {found:?} at position {position} is not a hex digit (allowed: 0-9 a-f A-F, whitespace, ':' and 0x prefixes)")]
    HexDigit { position: usize, found: char },
    #[error("invalid hex: an odd number of hex digits ({digits}); every byte needs two digits")]
    HexOdd { digits: usize },
    #[error("invalid base64: {reason}")]
    Base64 { reason: String },
}

/// Decodes hex, ignoring ASCII whitespace, ':' separators and `0x`/`0X`
/// prefixes (at the start of the text or of any whitespace/colon-separated group).
/// Positions in errors are 1-based character positions in `text`.
///
/// ```
/// use qcd::encoding::decode_hex_lenient;
/// assert_eq!(decode_hex_lenient("0xDE:ad be\nEF").unwrap(), [0xde, 0xad, 0xbe, 0xef]);
/// assert!(decode_hex_lenient("abc").is_err());
/// ```
pub fn decode_hex_lenient(text: &str) -> Result<Vec<u8>, EncodingError> {
    // Secrets and keys pass through here: wipe the intermediate buffers.
    let mut nibbles = zeroize::Zeroizing::new(Vec::<u8>::with_capacity(text.len()));
    let chars = zeroize::Zeroizing::new(text.chars().collect::<Vec<char>>());
    let mut i = 0;
    let mut at_group_start = true;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_whitespace() || c == ':' {
            at_group_start = true;
            i += 1;
            continue;
        }
        if at_group_start && c == '0' && matches!(chars.get(i + 1), Some('x') | Some('X')) {
            i += 2;
            at_group_start = false;
            continue;
        }
        at_group_start = false;
        match c.to_digit(16) {
            Some(d) => nibbles.push(d as u8),
            None => {
                return Err(EncodingError::HexDigit {
                    position: i + 1,
                    found: c,
                })
            }
        }
        i += 1;
    }
    if !nibbles.len().is_multiple_of(2) {
        return Err(EncodingError::HexOdd {
            digits: nibbles.len(),
        });
    }
    Ok(nibbles.chunks(2).map(|p| (p[0] << 4) | p[1]).collect())
}

/// Decodes standard base64 (padding optional), ignoring ASCII whitespace.
pub fn decode_base64_lenient(text: &str) -> Result<Vec<u8>, EncodingError> {
    let compact = zeroize::Zeroizing::new(
        text.chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect::<String>(),
    );
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    engine
        .decode(compact.as_bytes())
        .map_err(|e| EncodingError::Base64 {
            reason: e.to_string(),
        })
}

pub fn encode_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decodes `input` in `format`; raw input is taken as is.
pub fn decode(format: ByteFormat, input: &[u8]) -> Result<Vec<u8>, EncodingError> {
    match format {
        ByteFormat::Raw => Ok(input.to_vec()),
        ByteFormat::Hex => decode_hex_lenient(&String::from_utf8_lossy(input)),
        ByteFormat::Base64 => decode_base64_lenient(&String::from_utf8_lossy(input)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_accepts_separators_prefixes_and_case() {
        let want = vec![0xde, 0xad, 0xbe, 0xef];
        for s in [
            "deadbeef",
            "DEADBEEF",
            "0xdeadbeef",
            "de:ad:be:ef",
            "de ad\nbe\tef\n",
            "0xde 0xad 0xBE 0xef",
            "0xDE:0xAD:0xBE:0xEF",
        ] {
            assert_eq!(decode_hex_lenient(s).unwrap(), want, "{s}");
        }
        assert_eq!(decode_hex_lenient("").unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn hex_errors_say_where() {
        assert_eq!(
            decode_hex_lenient("dea").unwrap_err(),
            EncodingError::HexOdd { digits: 3 }
        );
        assert_eq!(
            decode_hex_lenient("de zz").unwrap_err(),
            EncodingError::HexDigit {
                position: 4,
                found: 'z'
            }
        );
        // 0x only counts at the start of a group
        assert!(decode_hex_lenient("de0xad").is_err());
    }

    #[test]
    fn base64_round_trip_and_whitespace() {
        let bytes: Vec<u8> = (0u8..=255).collect();
        let text = encode_base64(&bytes);
        let wrapped: String = text
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap().to_string() + "\n")
            .collect();
        assert_eq!(decode_base64_lenient(&wrapped).unwrap(), bytes);
        assert!(decode_base64_lenient("@@@").is_err());
    }
}
