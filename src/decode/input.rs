//! Bytes from what users paste or save: plain hex (whitespace, newlines,
//! colons, `0x` prefixes), `xxd` dumps and `hexdump -C` dumps (offset and
//! ASCII columns ignored, `*` repeat lines expanded).
//!
//! [`file_kind`] is the single place that decides what a file holds: text is
//! decoded here, captures are read by `qcd::capture` (the CLI sends them
//! there; [`bytes_from_contents`] refuses them).
//!
//! Not here: what the bytes mean (see the parent module).

use crate::encoding::{decode_hex_lenient, EncodingError};

/// What a file holds, judged from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// Text: hex, xxd or hexdump -C.
    Text,
    /// A legacy pcap capture (any byte order, µs or ns).
    Pcap,
    /// A pcapng capture.
    PcapNg,
    /// Neither text nor a known capture format.
    Binary,
}

/// The text formats [`parse_text`] understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextFormat {
    Hex,
    Xxd,
    HexdumpC,
}

/// Why input could not be turned into bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("{0}")]
    Hex(#[from] EncodingError),
    #[error("{format} dump, line {line}: {reason}")]
    Dump {
        format: &'static str,
        line: usize,
        reason: String,
    },
    #[error("no hex digits in the input")]
    Empty,
    #[error(
        "this is a {0} capture file, not text: read it with qcd::capture (`qcd decode FILE` does)"
    )]
    Capture(&'static str),
    #[error("the input is neither text (hex, xxd or hexdump -C) nor a known capture format")]
    Binary,
}

/// Decides what a file holds. The one place to extend for capture formats.
pub fn file_kind(bytes: &[u8]) -> FileKind {
    match bytes.get(..4) {
        Some([0xd4, 0xc3, 0xb2, 0xa1])
        | Some([0xa1, 0xb2, 0xc3, 0xd4])
        | Some([0x4d, 0x3c, 0xb2, 0xa1])
        | Some([0xa1, 0xb2, 0x3c, 0x4d]) => FileKind::Pcap,
        Some([0x0a, 0x0d, 0x0d, 0x0a]) => FileKind::PcapNg,
        _ if std::str::from_utf8(bytes).is_ok() => FileKind::Text,
        _ => FileKind::Binary,
    }
}

/// Turns the contents of a file (or stdin) into the bytes to decode.
pub fn bytes_from_contents(contents: &[u8]) -> Result<(TextFormat, Vec<u8>), InputError> {
    match file_kind(contents) {
        FileKind::Text => parse_text(&String::from_utf8_lossy(contents)),
        FileKind::Pcap => Err(InputError::Capture("pcap")),
        FileKind::PcapNg => Err(InputError::Capture("pcapng")),
        FileKind::Binary => Err(InputError::Binary),
    }
}

/// Parses hex text in any of the [`TextFormat`]s, detected from the first
/// non-blank line.
pub fn parse_text(text: &str) -> Result<(TextFormat, Vec<u8>), InputError> {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let (format, bytes) = if xxd_line(first).is_some() {
        (TextFormat::Xxd, parse_dump(text, TextFormat::Xxd)?)
    } else if hexdump_line(first).is_some() {
        (
            TextFormat::HexdumpC,
            parse_dump(text, TextFormat::HexdumpC)?,
        )
    } else {
        (TextFormat::Hex, decode_hex_lenient(text)?)
    };
    if bytes.is_empty() {
        return Err(InputError::Empty);
    }
    Ok((format, bytes))
}

fn hex_offset(s: &str) -> Option<usize> {
    if s.len() < 4 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    usize::from_str_radix(s, 16).ok()
}

/// `00000010: 2900 0008 ...  ASCII` → (offset, hex area).
fn xxd_line(line: &str) -> Option<(usize, &str)> {
    let (off, rest) = line.split_once(": ")?;
    let off = hex_offset(off.trim_start())?;
    let hex = rest.split("  ").next().unwrap_or("");
    Some((off, hex))
}

/// `00000010  29 00 00 08 ...  |ASCII|` → (offset, hex area).
fn hexdump_line(line: &str) -> Option<(usize, &str)> {
    let (off, rest) = line.split_once("  ")?;
    let off = hex_offset(off)?;
    let (hex, _ascii) = rest.split_once('|')?;
    let first = hex.split_whitespace().next()?;
    (first.len() == 2).then_some((off, hex))
}

/// The most bytes a dump may expand to (`*` lines repeat the line before;
/// an IKE message fits in a UDP datagram, far below this).
pub const MAX_DUMP_BYTES: usize = 1 << 20;

fn parse_dump(text: &str, format: TextFormat) -> Result<Vec<u8>, InputError> {
    let name = match format {
        TextFormat::Xxd => "xxd",
        _ => "hexdump -C",
    };
    let err = |line: usize, reason: String| InputError::Dump {
        format: name,
        line,
        reason,
    };
    let mut out: Vec<u8> = Vec::new();
    let mut start: Option<usize> = None;
    let mut last_line: Vec<u8> = Vec::new();
    let mut repeat = false;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let t = line.trim_end();
        if t.trim().is_empty() {
            continue;
        }
        if t.trim() == "*" {
            repeat = true;
            continue;
        }
        let parsed = match format {
            TextFormat::Xxd => xxd_line(t),
            _ => hexdump_line(t).or_else(|| hex_offset(t.trim()).map(|o| (o, ""))),
        };
        let Some((off, hex)) = parsed else {
            return Err(err(n, format!("not a {name} line: {t:?}")));
        };
        let base = *start.get_or_insert(off);
        let Some(expect) = base.checked_add(out.len()) else {
            return Err(err(n, format!("offset 0x{base:x} is too large")));
        };
        if repeat {
            repeat = false;
            if last_line.is_empty()
                || off < expect
                || !(off - expect).is_multiple_of(last_line.len())
            {
                return Err(err(
                    n,
                    format!("offset 0x{off:x} does not continue the repeated line before it"),
                ));
            }
            if off - base > MAX_DUMP_BYTES {
                return Err(err(
                    n,
                    format!("offset 0x{off:x} would expand the dump beyond {MAX_DUMP_BYTES} bytes"),
                ));
            }
            while base + out.len() < off {
                out.extend_from_slice(&last_line);
            }
        } else if off != expect {
            return Err(err(
                n,
                format!(
                    "offset 0x{off:x} but 0x{expect:x} was expected after {} bytes",
                    out.len()
                ),
            ));
        }
        let bytes = decode_hex_lenient(hex).map_err(|e| err(n, e.to_string()))?;
        if !bytes.is_empty() {
            last_line = bytes.clone();
        }
        out.extend_from_slice(&bytes);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const XXD: &str = "00000000: 2900 0008 0100 0004 0000 0018 0100 4023  )...........@#\n\
                       00000010: 4142 4344 4546 4748 494a 4b4c 4d4e 4f50  ABCDEFGHIJKLMNOP\n";
    const HEXDUMP: &str = "00000000  29 00 00 08 01 00 00 04  00 00 00 18 01 00 40 23  |).............@#|\n\
                           00000010  41 42 43 44 45 46 47 48  49 4a 4b 4c 4d 4e 4f 50  |ABCDEFGHIJKLMNOP|\n\
                           00000020\n";

    fn want() -> Vec<u8> {
        let mut v = hex::decode("2900000801000004000000180100402341").unwrap();
        v.extend(b"BCDEFGHIJKLMNOP");
        v
    }

    #[test]
    fn dumps_and_plain_hex() {
        assert_eq!(parse_text(XXD).unwrap(), (TextFormat::Xxd, want()));
        assert_eq!(parse_text(HEXDUMP).unwrap(), (TextFormat::HexdumpC, want()));
        assert_eq!(parse_text("0x29 00:00:08").unwrap().1, vec![0x29, 0, 0, 8]);
        assert_eq!(parse_text("  \n").unwrap_err(), InputError::Empty);
    }

    #[test]
    fn hexdump_star_repeats() {
        let t = "00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n\
                 *\n\
                 00000030  01                                                |.|\n\
                 00000031\n";
        let b = parse_text(t).unwrap().1;
        assert_eq!(b.len(), 49);
        assert_eq!(b[48], 1);
    }

    #[test]
    fn hexdump_star_cannot_blow_up() {
        let t = "00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n\
                 *\n\
                 fffffff0\n";
        assert!(matches!(
            parse_text(t).unwrap_err(),
            InputError::Dump { line: 3, .. }
        ));
        let t = "ffffffffffffffff  00 01  |..|\nffffffffffffffff  00  |.|\n";
        assert!(parse_text(t).is_err());
    }

    /// cargo-fuzz found this: a `*` line followed by a far offset expanded
    /// to gigabytes (out of memory) before the expansion was capped.
    #[test]
    fn fuzz_regression_oom_star_expansion() {
        let input = b"00000000  c0|\x0a000001\x0a\x0a0000001\x0a\x0a\x0a\x0a\x0a\x0a\x0a\x0a\x0a*\x0a000c04567895a5a5a5";
        let e = bytes_from_contents(input).unwrap_err().to_string();
        assert!(e.contains("would expand the dump beyond"), "{e}");
    }

    #[test]
    fn dump_offset_gap_names_the_line() {
        let t = "00000000: 2900 0008  )...\n00000010: 0100 0004  ....\n";
        match parse_text(t).unwrap_err() {
            InputError::Dump { line, .. } => assert_eq!(line, 2),
            e => panic!("{e}"),
        }
    }

    #[test]
    fn file_kinds() {
        assert_eq!(file_kind(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0]), FileKind::Pcap);
        assert_eq!(file_kind(&[0x0a, 0x0d, 0x0d, 0x0a]), FileKind::PcapNg);
        assert_eq!(file_kind(b"2900"), FileKind::Text);
        assert_eq!(file_kind(&[0xff, 0xfe, 0x00]), FileKind::Binary);
    }
}
