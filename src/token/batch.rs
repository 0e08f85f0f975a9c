//! The batch line formats of `qcd token derive --batch` and `qcd token verify
//! --batch`, read from any `BufRead` in constant memory:
//!
//! ```text
//! # derive: SPI-I SPI-R [TAKER-ADDR]
//! 0123456789abcdef fedcba9876543210
//! 0123456789abcdef fedcba9876543210 192.0.2.7
//! # verify: SPI-I SPI-R TOKEN [TAKER-ADDR]
//! 0123456789abcdef fedcba9876543210 4c0f…e1
//! ```
//!
//! Fields are separated by ASCII whitespace; `#` starts a comment that runs to
//! the end of the line; blank and comment-only lines are skipped. A malformed
//! line is a [`LineError`] naming its line number; processing goes on.
//! Lines are parsed from the byte buffer, without a `String` per line.
//!
//! Not here: what is printed for each line (the CLI decides, except for
//! [`derive_text`], the fast path that benchmarks measure).

use std::io::{self, BufRead, Write};
use std::net::IpAddr;

use super::derive::{hex_into, Deriver, TokenError, TokenInput, MAX_DIGEST_LEN};
use super::profile::MAX_TOKEN_LEN;
use crate::spi::{Spi, SpiError, SpiPair};

/// What `derive_text` writes for a malformed line, so output lines stay aligned with data lines.
pub const ERROR_MARKER: &[u8] = b"error";

/// The longest batch line accepted, in bytes (end of line included).
pub const MAX_LINE_LEN: usize = 4096;

/// Why one batch line was refused. Never contains token bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    #[error("line {line}: longer than {MAX_LINE_LEN} bytes")]
    TooLong { line: u64 },
    #[error("line {line}: expected {expected}, found {found} fields")]
    Fields {
        line: u64,
        expected: &'static str,
        found: usize,
    },
    #[error("line {line}: {column}: {source}")]
    Spi {
        line: u64,
        column: &'static str,
        source: SpiError,
    },
    #[error("line {line}: TAKER-ADDR {input:?} is not an IPv4 or IPv6 address (examples: 192.0.2.7, 2001:db8::7)")]
    TakerAddr { line: u64, input: String },
    #[error("line {line}: TOKEN is not hex: {reason}")]
    Token { line: u64, reason: String },
    #[error("line {line}: {source}")]
    Derive { line: u64, source: TokenError },
}

impl LineError {
    pub fn line(&self) -> u64 {
        match self {
            LineError::Fields { line, .. }
            | LineError::TooLong { line }
            | LineError::Spi { line, .. }
            | LineError::TakerAddr { line, .. }
            | LineError::Token { line, .. }
            | LineError::Derive { line, .. } => *line,
        }
    }
}

/// Reads lines from a `BufRead`, numbering them from 1. A line that lies
/// wholly in the reader's buffer is returned in place (no copy); one that
/// straddles the buffer's end is gathered into one reused buffer.
pub struct LineReader<R> {
    reader: R,
    buf: Vec<u8>,
    line: u64,
    /// Bytes of the reader's buffer to consume before the next line.
    pending: usize,
}

impl<R: BufRead> LineReader<R> {
    pub fn new(reader: R) -> Self {
        LineReader {
            reader,
            buf: Vec::with_capacity(256),
            line: 0,
            pending: 0,
        }
    }

    /// The next line (with its end of line, if any) and its number, or `None` at the end.
    pub fn next_line(&mut self) -> io::Result<Option<(u64, &[u8])>> {
        self.reader.consume(std::mem::take(&mut self.pending));
        let available = self.reader.fill_buf()?;
        if available.is_empty() {
            return Ok(None);
        }
        self.line += 1;
        if let Some(i) = available.iter().position(|&b| b == b'\n') {
            self.pending = i + 1;
            // Re-borrow to tie the slice to `self`: fill_buf returns the same buffer.
            let available = self.reader.fill_buf()?;
            return Ok(Some((self.line, &available[..i + 1])));
        }
        // The line straddles the buffer's end: gather it, keeping at most
        // MAX_LINE_LEN + 1 bytes so memory stays bounded; the parsers refuse
        // anything longer than MAX_LINE_LEN.
        self.buf.clear();
        loop {
            let available = self.reader.fill_buf()?;
            if available.is_empty() {
                break;
            }
            let (take, done) = match available.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (available.len(), false),
            };
            let room = (MAX_LINE_LEN + 1).saturating_sub(self.buf.len());
            self.buf.extend_from_slice(&available[..take.min(room)]);
            self.reader.consume(take);
            if done {
                break;
            }
        }
        Ok(Some((self.line, &self.buf)))
    }
}

/// Up to `N` whitespace-separated fields before any `#`; returns how many there were in all.
fn fields<'a, const N: usize>(line: &'a [u8], out: &mut [&'a [u8]; N]) -> usize {
    let mut n = 0;
    let mut i = 0;
    let len = line.len();
    while i < len {
        let c = line[i];
        if c == b'#' {
            break;
        }
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        while i < len && !line[i].is_ascii_whitespace() && line[i] != b'#' {
            i += 1;
        }
        if n < N {
            out[n] = &line[start..i];
        }
        n += 1;
    }
    n
}

fn spi(line: u64, column: &'static str, field: &[u8]) -> Result<Spi, LineError> {
    Spi::parse_ascii(field).map_err(|source| LineError::Spi {
        line,
        column,
        source,
    })
}

fn taker(line: u64, field: &[u8]) -> Result<IpAddr, LineError> {
    std::str::from_utf8(field)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| LineError::TakerAddr {
            line,
            input: String::from_utf8_lossy(field).into_owned(),
        })
}

/// Parses `SPI-I SPI-R [TAKER-ADDR]`; `None` for a blank or comment line.
pub fn parse_derive_line(line: u64, bytes: &[u8]) -> Result<Option<TokenInput>, LineError> {
    if bytes.len() > MAX_LINE_LEN {
        return Err(LineError::TooLong { line });
    }
    let mut f: [&[u8]; 3] = [&[]; 3];
    match fields(bytes, &mut f) {
        0 => Ok(None),
        n @ (2 | 3) => {
            let spis = SpiPair::new(spi(line, "SPI-I", f[0])?, spi(line, "SPI-R", f[1])?);
            let taker = if n == 3 {
                Some(taker(line, f[2])?)
            } else {
                None
            };
            Ok(Some(TokenInput::new(spis, taker)))
        }
        found => Err(LineError::Fields {
            line,
            expected: "`SPI-I SPI-R [TAKER-ADDR]`",
            found,
        }),
    }
}

/// Parses `SPI-I SPI-R TOKEN [TAKER-ADDR]` with the token decoded into
/// `token`; returns the input and the token length, `None` for a blank or
/// comment line.
pub fn parse_verify_line(
    line: u64,
    bytes: &[u8],
    token: &mut [u8; MAX_TOKEN_LEN],
) -> Result<Option<(TokenInput, usize)>, LineError> {
    if bytes.len() > MAX_LINE_LEN {
        return Err(LineError::TooLong { line });
    }
    let mut f: [&[u8]; 4] = [&[]; 4];
    match fields(bytes, &mut f) {
        0 => Ok(None),
        n @ (3 | 4) => {
            let spis = SpiPair::new(spi(line, "SPI-I", f[0])?, spi(line, "SPI-R", f[1])?);
            let len =
                decode_token(f[2], token).map_err(|reason| LineError::Token { line, reason })?;
            let taker = if n == 4 {
                Some(taker(line, f[3])?)
            } else {
                None
            };
            Ok(Some((TokenInput::new(spis, taker), len)))
        }
        found => Err(LineError::Fields {
            line,
            expected: "`SPI-I SPI-R TOKEN [TAKER-ADDR]`",
            found,
        }),
    }
}

/// Hex (optional `0x`, `:` separators allowed) into `out`; the reason never quotes the token.
pub fn decode_token(field: &[u8], out: &mut [u8; MAX_TOKEN_LEN]) -> Result<usize, String> {
    let digits = field
        .strip_prefix(b"0x")
        .or_else(|| field.strip_prefix(b"0X"))
        .unwrap_or(field);
    let mut n = 0usize; // nibbles
    for (i, &c) in digits.iter().enumerate() {
        if c == b':' {
            continue;
        }
        let v = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => {
                return Err(format!(
                    "the character at position {} is not a hex digit",
                    i + 1 + (field.len() - digits.len())
                ))
            }
        };
        if n / 2 >= MAX_TOKEN_LEN {
            return Err(format!(
                "longer than {MAX_TOKEN_LEN} bytes, the most RFC 6290 allows"
            ));
        }
        if n.is_multiple_of(2) {
            out[n / 2] = v << 4;
        } else {
            out[n / 2] |= v;
        }
        n += 1;
    }
    if n == 0 {
        return Err("it is empty".into());
    }
    if n % 2 == 1 {
        return Err(format!(
            "an odd number of hex digits ({n}); every byte needs two"
        ));
    }
    Ok(n / 2)
}

/// Counts of a batch run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchStats {
    /// Data lines processed (not blank or comment lines).
    pub lines: u64,
    pub malformed: u64,
}

/// The fast path of `qcd token derive --batch`: one lowercase hex token per
/// data line, [`ERROR_MARKER`] for a malformed line (reported through
/// `on_error`), nothing for blank and comment lines. No allocation per line.
pub fn derive_text<R: BufRead, W: Write>(
    deriver: &Deriver,
    reader: R,
    mut writer: W,
    mut on_error: impl FnMut(&LineError),
) -> io::Result<BatchStats> {
    let mut lines = LineReader::new(reader);
    let mut stats = BatchStats::default();
    let mut digest = zeroize::Zeroizing::new([0u8; MAX_DIGEST_LEN]);
    let mut hex = zeroize::Zeroizing::new([0u8; 2 * MAX_DIGEST_LEN + 1]);
    while let Some((no, line)) = lines.next_line()? {
        let result = parse_derive_line(no, line).and_then(|input| match input {
            None => Ok(None),
            Some(input) => deriver
                .derive_into(&input, &mut digest)
                .map(|t| Some(t.len()))
                .map_err(|source| LineError::Derive { line: no, source }),
        });
        match result {
            Ok(None) => continue,
            Ok(Some(len)) => {
                hex_into(&digest[..len], &mut hex[..2 * len]);
                hex[2 * len] = b'\n';
                writer.write_all(&hex[..2 * len + 1])?;
            }
            Err(e) => {
                stats.malformed += 1;
                on_error(&e);
                writer.write_all(ERROR_MARKER)?;
                writer.write_all(b"\n")?;
            }
        }
        stats.lines += 1;
    }
    writer.flush()?;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::TokenSpec;

    #[test]
    fn fields_comments_and_blank_lines() {
        assert_eq!(parse_derive_line(1, b"   \n").unwrap(), None);
        assert_eq!(parse_derive_line(1, b"# just a comment\n").unwrap(), None);
        let a = parse_derive_line(1, b"0123456789abcdef\tfedcba9876543210 # sa 7\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(a.spis.initiator.to_hex(), "0123456789abcdef");
        assert_eq!(a.taker, None);
        let b = parse_derive_line(1, b"0x0123456789ABCDEF fe:dc:ba:98:76:54:32:10 2001:db8::1")
            .unwrap()
            .unwrap();
        assert_eq!(b.spis, a.spis);
        assert_eq!(b.taker, Some("2001:db8::1".parse().unwrap()));
    }

    #[test]
    fn malformed_lines_name_line_and_column() {
        let e = parse_derive_line(7, b"0123456789abcdef").unwrap_err();
        assert_eq!(e.line(), 7);
        assert_eq!(
            e.to_string(),
            "line 7: expected `SPI-I SPI-R [TAKER-ADDR]`, found 1 fields"
        );
        let e = parse_derive_line(8, b"0123456789abcdef 0123").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("line 8: SPI-R: \"0123\" is not an SPI"),
            "{e}"
        );
        let e = parse_derive_line(9, b"0123456789abcdef 0123456789abcdef 300.1.1.1").unwrap_err();
        assert!(
            e.to_string().contains("line 9: TAKER-ADDR \"300.1.1.1\""),
            "{e}"
        );
        let mut t = [0u8; MAX_TOKEN_LEN];
        let e =
            parse_verify_line(3, b"0123456789abcdef 0123456789abcdef abcz", &mut t).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 3: TOKEN is not hex: the character at position 4 is not a hex digit"
        );
        let e = parse_verify_line(3, b"0123456789abcdef 0123456789abcdef abc", &mut t).unwrap_err();
        assert!(e.to_string().contains("odd number"), "{e}");
        let long = format!("0123456789abcdef 0123456789abcdef {}", "ab".repeat(129));
        let e = parse_verify_line(4, long.as_bytes(), &mut t).unwrap_err();
        assert!(e.to_string().contains("longer than 128 bytes"), "{e}");
        let (input, len) = parse_verify_line(
            5,
            b"0123456789abcdef 0123456789abcdef 0xAB:cd 192.0.2.1",
            &mut t,
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            (&t[..len], input.taker.is_some()),
            (&[0xab, 0xcd][..], true)
        );
    }

    #[test]
    fn overlong_lines_are_refused_in_bounded_memory() {
        let d = Deriver::new(&[3; 32], TokenSpec::default()).unwrap();
        let mut input = b"0123456789abcdef fedcba9876543210".to_vec();
        input.extend(std::iter::repeat_n(b' ', 100_000));
        input.extend_from_slice(b"\n0123456789abcdef fedcba9876543210\n");
        let reader = std::io::BufReader::with_capacity(64, &input[..]);
        let mut out = Vec::new();
        let mut errs = Vec::new();
        let stats = derive_text(&d, reader, &mut out, |e| errs.push(e.to_string())).unwrap();
        assert_eq!(
            stats,
            BatchStats {
                lines: 2,
                malformed: 1
            }
        );
        assert_eq!(errs, vec!["line 1: longer than 4096 bytes".to_string()]);
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("error\n") && text.lines().nth(1).unwrap().len() == 64);
    }

    #[test]
    fn derive_text_keeps_alignment() {
        let d = Deriver::new(&[3; 32], TokenSpec::default()).unwrap();
        let input = b"# header\n0123456789abcdef fedcba9876543210\nbad line here too many\n\n0123456789abcdef fedcba9876543210 192.0.2.1";
        let mut out = Vec::new();
        let mut errs = Vec::new();
        let stats = derive_text(&d, &input[..], &mut out, |e| errs.push(e.line())).unwrap();
        assert_eq!(
            stats,
            BatchStats {
                lines: 3,
                malformed: 1
            }
        );
        assert_eq!(errs, vec![3]);
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].len(), 64);
        assert_eq!(lines[1], "error");
        assert_ne!(lines[0], lines[2]);
    }

    proptest::proptest! {
        #[test]
        fn line_parsers_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = parse_derive_line(1, &bytes);
            let mut t = [0u8; MAX_TOKEN_LEN];
            let _ = parse_verify_line(1, &bytes, &mut t);
        }

        #[test]
        fn line_reader_sees_every_line(lines in proptest::collection::vec("[a-z0-9 #]{0,40}", 0..50), cap in 1usize..64) {
            let text = lines.join("\n");
            let mut r = LineReader::new(std::io::BufReader::with_capacity(cap, text.as_bytes()));
            let mut got = Vec::new();
            while let Some((_, l)) = r.next_line().unwrap() {
                got.push(String::from_utf8(l.strip_suffix(b"\n").unwrap_or(l).to_vec()).unwrap());
            }
            let mut want: Vec<String> = text.split('\n').map(str::to_string).collect();
            if text.is_empty() || text.ends_with('\n') {
                want.pop(); // no line after the last end of line
            }
            proptest::prop_assert_eq!(got, want);
        }
    }
}
