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
    // Sized once (no reallocation leaves copies of a secret behind).
    let mut out = Vec::with_capacity(text.len() / 2 + 1);
    let mut d = HexDecoder::new();
    let result = d
        .feed(text.as_bytes(), &mut out)
        .and_then(|()| d.finish(&mut out));
    match result {
        Ok(()) => Ok(out),
        Err(e) => {
            zeroize::Zeroize::zeroize(&mut out);
            Err(e)
        }
    }
}

/// The lenient hex of [`decode_hex_lenient`], decoded as it streams in:
/// feed the text in pieces of any size (split anywhere, even inside a
/// character), then [`HexDecoder::finish`]. Memory: the output only.
#[derive(Debug, Clone)]
pub struct HexDecoder {
    /// The high nibble of a byte whose low nibble is still to come.
    half: Option<u8>,
    group_start: bool,
    /// A `0` at the start of a group, which an `x` would make a prefix.
    zero_pending: bool,
    /// Characters seen so far (UTF-8 continuation bytes are not counted).
    chars: usize,
    digits: usize,
}

impl Default for HexDecoder {
    fn default() -> Self {
        HexDecoder::new()
    }
}

impl HexDecoder {
    pub fn new() -> Self {
        HexDecoder {
            half: None,
            group_start: true,
            zero_pending: false,
            chars: 0,
            digits: 0,
        }
    }

    /// Hex digits decoded so far.
    pub fn digits(&self) -> usize {
        self.digits
    }

    #[inline]
    fn digit(&mut self, v: u8, out: &mut Vec<u8>) {
        match self.half.take() {
            Some(h) => out.push((h << 4) | v),
            None => self.half = Some(v),
        }
        self.digits += 1;
    }

    /// Decodes the next piece of text into `out`.
    pub fn feed(&mut self, text: &[u8], out: &mut Vec<u8>) -> Result<(), EncodingError> {
        for (i, &c) in text.iter().enumerate() {
            if c & 0xc0 == 0x80 {
                // A UTF-8 continuation byte: part of a character already refused.
                continue;
            }
            self.chars += 1;
            if self.zero_pending {
                self.zero_pending = false;
                self.group_start = false;
                if c == b'x' || c == b'X' {
                    continue;
                }
                self.digit(0, out);
            }
            if c.is_ascii_whitespace() || c == b':' {
                self.group_start = true;
                continue;
            }
            if self.group_start && c == b'0' {
                self.zero_pending = true;
                continue;
            }
            self.group_start = false;
            let v = HEX_VALUE[c as usize];
            if v > 15 {
                return Err(EncodingError::HexDigit {
                    position: self.chars,
                    found: char_at(&text[i..]),
                });
            }
            self.digit(v, out);
        }
        Ok(())
    }

    /// Ends the text: an odd number of digits is an error.
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<(), EncodingError> {
        if self.zero_pending {
            self.zero_pending = false;
            self.digit(0, out);
        }
        if self.half.is_some() {
            return Err(EncodingError::HexOdd {
                digits: self.digits,
            });
        }
        Ok(())
    }
}

/// The value of each ASCII hex digit; 0xff for every other byte.
static HEX_VALUE: [u8; 256] = {
    let mut t = [0xffu8; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        t[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
};

/// The character at the start of `bytes` (U+FFFD when it is not whole UTF-8 there).
fn char_at(bytes: &[u8]) -> char {
    let end = bytes.len().min(4);
    (1..=end)
        .find_map(|e| std::str::from_utf8(&bytes[..e]).ok())
        .and_then(|s| s.chars().next())
        .unwrap_or(char::REPLACEMENT_CHARACTER)
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

/// Lowercase hex, as `hex::encode` writes it, through the crate's table
/// (`encode_to_slice`) instead of its character iterator: decoding a
/// capture writes hex for every payload.
pub fn to_hex(bytes: impl AsRef<[u8]>) -> String {
    let bytes = bytes.as_ref();
    let mut out = String::with_capacity(bytes.len() * 2);
    push_hex(&mut out, bytes);
    out
}

/// Appends what [`to_hex`] returns, without a `String` of its own.
pub fn push_hex(out: &mut String, bytes: &[u8]) {
    let mut buf = [0u8; 128];
    for chunk in bytes.chunks(buf.len() / 2) {
        let digits = &mut buf[..chunk.len() * 2];
        // The lengths match by construction; hex digits are ASCII.
        if hex::encode_to_slice(chunk, digits).is_ok() {
            out.push_str(std::str::from_utf8(digits).unwrap_or_default());
        }
    }
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

    proptest::proptest! {
        #[test]
        fn to_hex_is_hex_encode(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            proptest::prop_assert_eq!(to_hex(&bytes), hex::encode(&bytes));
            let mut out = String::from("x");
            push_hex(&mut out, &bytes);
            proptest::prop_assert_eq!(&out[1..], hex::encode(&bytes));
        }
    }

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

    /// The streaming decoder gives what the whole-text one gives, however
    /// the text is cut (inside a `0x`, between two digits, inside a
    /// multi-byte character).
    #[test]
    fn streaming_agrees_with_whole_text() {
        for text in [
            "0xDE:ad be\nEF",
            "0x0",
            "0 0",
            "00",
            "0x",
            "de0xad",
            "de zz",
            "de é",
            "dea",
            "  \n",
            "0X0x12",
            "12 0x34 0",
        ] {
            let want = decode_hex_lenient(text);
            for cut in 0..=text.len() {
                for step in 1..=3 {
                    let bytes = text.as_bytes();
                    let mut d = HexDecoder::new();
                    let mut out = Vec::new();
                    let mut r = d.feed(&bytes[..cut], &mut out);
                    let mut at = cut;
                    while r.is_ok() && at < bytes.len() {
                        let end = (at + step).min(bytes.len());
                        r = d.feed(&bytes[at..end], &mut out);
                        at = end;
                    }
                    let got = r.and_then(|()| d.finish(&mut out)).map(|()| out);
                    match (&want, &got) {
                        (Ok(a), Ok(b)) => assert_eq!(a, b, "{text:?} cut {cut} step {step}"),
                        (
                            Err(EncodingError::HexDigit { position: a, .. }),
                            Err(EncodingError::HexDigit { position: b, .. }),
                        ) => {
                            assert_eq!(a, b, "{text:?} cut {cut} step {step}")
                        }
                        (a, b) => assert_eq!(a, b, "{text:?} cut {cut} step {step}"),
                    }
                }
            }
        }
        assert_eq!(
            decode_hex_lenient("0").unwrap_err(),
            EncodingError::HexOdd { digits: 1 }
        );
        assert_eq!(
            decode_hex_lenient("0x0").unwrap_err(),
            EncodingError::HexOdd { digits: 1 }
        );
        assert_eq!(
            decode_hex_lenient("de é").unwrap_err(),
            EncodingError::HexDigit {
                position: 4,
                found: 'é'
            }
        );
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
