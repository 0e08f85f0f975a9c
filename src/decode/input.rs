//! Bytes from what users paste or save: plain hex (whitespace, newlines,
//! colons, `0x` prefixes), `xxd` dumps and `hexdump -C` dumps (offset and
//! ASCII columns ignored, `*` repeat lines expanded).
//!
//! Text is decoded as it streams in ([`read_text`]): memory holds the
//! decoded bytes (at most [`MAX_MESSAGE_BYTES`]: one IKE message) and one
//! line of a dump, whatever the size of the input.
//!
//! [`input_kind`] decides what a file holds (captures by [`crate::capture::sniff`]), and
//! [`classify`] the one operation that applies it to what `qcd decode` is
//! given (`--hex`, stdin or a file): text is decoded here
//! ([`TextInput::read`]), captures go to `qcd::capture` ([`CaptureInput`];
//! [`bytes_from_contents`] refuses them).
//!
//! Not here: what the bytes mean (see the parent module).

use crate::capture::FileKind;
use std::io::{BufRead, Read};
use std::path::PathBuf;

use crate::encoding::{EncodingError, HexDecoder};

/// The most bytes hex input may decode to: an IKE message travels in one
/// UDP datagram (at most 65,535 bytes), after a 4-byte non-ESP marker on
/// port 4500.
pub const MAX_MESSAGE_BYTES: usize = 65_535 + 4;

/// The longest line of an xxd or hexdump -C dump (theirs are under 100 bytes).
pub const MAX_DUMP_LINE: usize = 4096;

/// What `qcd decode` was given, judged from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// A capture ([`crate::capture::sniff`] knows its magic number).
    Capture(FileKind),
    /// Text: hex, xxd or hexdump -C.
    Text,
    /// Neither text nor a known capture format.
    Binary,
}

/// The text formats [`read_text`] understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextFormat {
    Hex,
    Xxd,
    HexdumpC,
}

impl TextFormat {
    fn name(self) -> &'static str {
        match self {
            TextFormat::Hex => "hex",
            TextFormat::Xxd => "xxd",
            TextFormat::HexdumpC => "hexdump -C",
        }
    }
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
    #[error("the input decodes to more than {limit} bytes: an IKE message is at most 65,535 bytes (one UDP datagram, plus a 4-byte non-ESP marker on port 4500); give one message or payload at a time, or a capture file")]
    TooLong { limit: usize },
    #[error(
        "this is a {0} capture file, not text: read it with qcd::capture (`qcd decode FILE` does)"
    )]
    Capture(&'static str),
    #[error("the input is neither text (hex, xxd or hexdump -C) nor a known capture format")]
    Binary,
    #[error("cannot read the input: {0}")]
    Read(String),
}

/// What `qcd decode` reads: text given on the command line (`--hex`),
/// stdin (`-`) or a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Hex(String),
    Stdin,
    File(PathBuf),
}

impl Source {
    /// A FILE argument: `-` is stdin.
    pub fn from_arg(path: PathBuf) -> Source {
        if path.as_os_str() == "-" {
            Source::Stdin
        } else {
            Source::File(path)
        }
    }

    /// How messages name it: `--hex`, `stdin` or the path.
    pub fn name(&self) -> String {
        match self {
            Source::Hex(_) => "--hex".to_string(),
            Source::Stdin => "stdin".to_string(),
            Source::File(p) => p.display().to_string(),
        }
    }
}

/// What a [`Source`] holds, judged by [`classify`] from its first bytes.
pub enum Input {
    /// A pcap or pcapng capture: read it with `qcd::capture`.
    Capture(CaptureInput),
    /// Anything else: text to decode with [`TextInput::read`].
    Text(TextInput),
}

/// A capture to read.
pub struct CaptureInput {
    /// How messages name it (see [`Source::name`]).
    pub name: String,
    /// The file, when the source is one (it may be opened again by path).
    pub path: Option<PathBuf>,
    /// The bytes from the first one (the magic number read is put back).
    pub stream: Box<dyn Read>,
    /// The file's size, when known.
    pub size: Option<u64>,
}

/// Text to decode: hex, xxd or hexdump -C, decoded as it streams.
pub struct TextInput {
    name: String,
    /// From `--hex`: the user said it is hex, so no capture was expected.
    hex_arg: bool,
    reader: Box<dyn BufRead>,
}

/// Why a [`Source`] could not be read or decoded; says what it was
/// expected to be.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("cannot read {name}")]
    Open {
        name: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{name} is neither a pcap or pcapng capture (no capture magic number at byte 0) nor hex text: {error}")]
    NotHex { name: String, error: InputError },
    #[error("{name} is neither a pcap or pcapng capture (no capture magic number at byte 0) nor text (hex, xxd or hexdump -C); if it is a capture in another format, convert it with `editcap -F pcapng IN OUT`")]
    NotText { name: String },
    #[error("cannot read {name}")]
    Text {
        name: String,
        #[source]
        source: InputError,
    },
}

/// Opens `source` and decides what it holds: a capture when its first
/// bytes are a pcap or pcapng magic number ([`input_kind`]), else text.
/// `--hex` is always text.
pub fn classify(source: Source) -> Result<Input, SourceError> {
    let name = source.name();
    let (path, mut stream, size): (_, Box<dyn Read>, _) = match source {
        Source::Hex(hex) => {
            return Ok(Input::Text(TextInput {
                name,
                hex_arg: true,
                reader: Box::new(std::io::Cursor::new(hex.into_bytes())),
            }))
        }
        Source::Stdin => (None, Box::new(std::io::stdin().lock()), None),
        Source::File(path) => {
            let open = |source| SourceError::Open {
                name: name.clone(),
                source,
            };
            let file = std::fs::File::open(&path).map_err(open)?;
            let size = file.metadata().ok().map(|m| m.len());
            (Some(path), Box::new(file), size)
        }
    };
    let mut head = [0u8; 4];
    let n =
        crate::capture::read_head(&mut stream, &mut head).map_err(|source| SourceError::Open {
            name: name.clone(),
            source,
        })?;
    let stream: Box<dyn Read> = Box::new(std::io::Cursor::new(head[..n].to_vec()).chain(stream));
    Ok(match input_kind(&head[..n]) {
        InputKind::Capture(_) => Input::Capture(CaptureInput {
            name,
            path,
            stream,
            size,
        }),
        _ => Input::Text(TextInput {
            name,
            hex_arg: false,
            reader: Box::new(std::io::BufReader::with_capacity(1 << 16, stream)),
        }),
    })
}

impl TextInput {
    /// How messages name it (see [`Source::name`]).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The bytes the text decodes to (at most [`MAX_MESSAGE_BYTES`]: one
    /// IKE message); a file or stdin that is not hex text either is said
    /// to be neither a capture nor text.
    pub fn read(self) -> Result<Vec<u8>, SourceError> {
        let TextInput {
            name,
            hex_arg,
            reader,
        } = self;
        match read_text(reader, MAX_MESSAGE_BYTES) {
            Ok((_, bytes)) => Ok(bytes),
            Err(error @ (InputError::Hex(_) | InputError::Empty)) if !hex_arg => {
                Err(SourceError::NotHex { name, error })
            }
            Err(InputError::Binary) if !hex_arg => Err(SourceError::NotText { name }),
            Err(source) => Err(SourceError::Text { name, source }),
        }
    }
}

/// Decides what a file holds: a capture by its magic number (the capture
/// module's [`crate::capture::sniff`], the one place that knows them), else
/// text or binary.
pub fn input_kind(bytes: &[u8]) -> InputKind {
    match crate::capture::sniff(bytes) {
        FileKind::Other if looks_like_text(bytes) => InputKind::Text,
        FileKind::Other => InputKind::Binary,
        capture => InputKind::Capture(capture),
    }
}

/// UTF-8, allowing a character cut at the end (`bytes` may be a prefix).
fn looks_like_text(bytes: &[u8]) -> bool {
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    }
}

/// Turns the contents of a file (or stdin) into the bytes to decode.
pub fn bytes_from_contents(contents: &[u8]) -> Result<(TextFormat, Vec<u8>), InputError> {
    match input_kind(contents) {
        InputKind::Capture(FileKind::PcapNg) => Err(InputError::Capture("pcapng")),
        InputKind::Capture(_) => Err(InputError::Capture("pcap")),
        InputKind::Binary => Err(InputError::Binary),
        InputKind::Text => read_text(contents, MAX_MESSAGE_BYTES),
    }
}

/// Parses hex text in any of the [`TextFormat`]s (see [`read_text`]).
pub fn parse_text(text: &str) -> Result<(TextFormat, Vec<u8>), InputError> {
    read_text(text.as_bytes(), MAX_MESSAGE_BYTES)
}

/// Decodes hex text in any of the [`TextFormat`]s as it streams from
/// `reader`, the format detected from the first non-blank line (within the
/// first 64 KiB); refuses input that is not UTF-8 text there, and
/// input that decodes to more than `limit` bytes (stopping as soon as it
/// does, so a huge input costs little).
pub fn read_text<R: BufRead>(
    mut reader: R,
    limit: usize,
) -> Result<(TextFormat, Vec<u8>), InputError> {
    let read_err = |e: std::io::Error| InputError::Read(e.to_string());
    // The start of the input, up to the end of its first non-blank line
    // (or PEEK bytes), then the rest.
    const PEEK: usize = 1 << 16;
    let mut head = Vec::new();
    loop {
        let chunk = reader.fill_buf().map_err(read_err)?;
        if chunk.is_empty() {
            break;
        }
        let seen = head.len();
        let take = chunk.len().min(PEEK - seen);
        head.extend_from_slice(&chunk[..take]);
        reader.consume(take);
        let complete = head[seen..].contains(&b'\n')
            && head
                .split(|&b| b == b'\n')
                .rev()
                .skip(1)
                .any(|l| !l.trim_ascii().is_empty());
        if complete || head.len() >= PEEK {
            break;
        }
    }
    if !looks_like_text(&head) {
        return Err(InputError::Binary);
    }
    let first = head
        .split(|&b| b == b'\n')
        .find(|l| !l.trim_ascii().is_empty())
        .and_then(|l| std::str::from_utf8(l).ok())
        .unwrap_or("");
    let format = if xxd_line(first).is_some() {
        TextFormat::Xxd
    } else if hexdump_line(first).is_some() {
        TextFormat::HexdumpC
    } else {
        TextFormat::Hex
    };
    let mut reader = std::io::Cursor::new(head).chain(reader);
    let mut out = Vec::new();
    if format == TextFormat::Hex {
        let mut d = HexDecoder::new();
        loop {
            let chunk = reader.fill_buf().map_err(read_err)?;
            if chunk.is_empty() {
                break;
            }
            // Never more than the limit plus one piece's worth.
            let take = chunk.len().min(2 * limit + 2);
            d.feed(&chunk[..take], &mut out)?;
            reader.consume(take);
            if out.len() > limit {
                return Err(InputError::TooLong { limit });
            }
        }
        d.finish(&mut out)?;
    } else {
        let mut dump = Dump::new(format, limit);
        let mut line = Vec::with_capacity(128);
        let mut n = 0;
        loop {
            line.clear();
            let got = (&mut reader)
                .take(MAX_DUMP_LINE as u64 + 1)
                .read_until(b'\n', &mut line)
                .map_err(read_err)?;
            if got == 0 {
                break;
            }
            n += 1;
            if line.len() > MAX_DUMP_LINE && line.last() != Some(&b'\n') {
                return Err(dump.err(
                    n,
                    format!("longer than {MAX_DUMP_LINE} bytes, which no dump line is"),
                ));
            }
            let text = std::str::from_utf8(&line)
                .map_err(|_| dump.err(n, "not UTF-8 text".to_string()))?;
            dump.line(n, text, &mut out)?;
        }
    }
    if out.is_empty() {
        return Err(InputError::Empty);
    }
    Ok((format, out))
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

/// The state of a dump read line by line: where it started, the line a `*`
/// repeats, and whether one is pending.
struct Dump {
    format: TextFormat,
    limit: usize,
    start: Option<usize>,
    last_line: Vec<u8>,
    repeat: bool,
}

impl Dump {
    fn new(format: TextFormat, limit: usize) -> Self {
        Dump {
            format,
            limit,
            start: None,
            last_line: Vec::new(),
            repeat: false,
        }
    }

    fn err(&self, line: usize, reason: String) -> InputError {
        InputError::Dump {
            format: self.format.name(),
            line,
            reason,
        }
    }

    /// One line (1-based number `n`) into `out`.
    fn line(&mut self, n: usize, line: &str, out: &mut Vec<u8>) -> Result<(), InputError> {
        let name = self.format.name();
        let t = line.trim_end();
        if t.trim().is_empty() {
            return Ok(());
        }
        if t.trim() == "*" {
            self.repeat = true;
            return Ok(());
        }
        let parsed = match self.format {
            TextFormat::Xxd => xxd_line(t),
            _ => hexdump_line(t).or_else(|| hex_offset(t.trim()).map(|o| (o, ""))),
        };
        let Some((off, hex)) = parsed else {
            // Quote at most the start: the line may be long.
            let shown: String = t.chars().take(40).collect();
            return Err(self.err(n, format!("not a {name} line: {shown:?}")));
        };
        let base = *self.start.get_or_insert(off);
        let Some(expect) = base.checked_add(out.len()) else {
            return Err(self.err(n, format!("offset 0x{base:x} is too large")));
        };
        if self.repeat {
            self.repeat = false;
            if self.last_line.is_empty()
                || off < expect
                || !(off - expect).is_multiple_of(self.last_line.len())
            {
                return Err(self.err(
                    n,
                    format!("offset 0x{off:x} does not continue the repeated line before it"),
                ));
            }
            if off - base > self.limit {
                return Err(self.err(
                    n,
                    format!(
                        "offset 0x{off:x} would expand the dump beyond {} bytes, more than an IKE message",
                        self.limit
                    ),
                ));
            }
            while base + out.len() < off {
                out.extend_from_slice(&self.last_line);
            }
        } else if off != expect {
            return Err(self.err(
                n,
                format!(
                    "offset 0x{off:x} but 0x{expect:x} was expected after {} bytes",
                    out.len()
                ),
            ));
        }
        let mut bytes = Vec::with_capacity(hex.len() / 2);
        let mut d = HexDecoder::new();
        d.feed(hex.as_bytes(), &mut bytes)
            .and_then(|()| d.finish(&mut bytes))
            .map_err(|e| self.err(n, e.to_string()))?;
        if !bytes.is_empty() {
            self.last_line.clone_from(&bytes);
        }
        out.extend_from_slice(&bytes);
        if out.len() > self.limit {
            return Err(InputError::TooLong { limit: self.limit });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file named by its first bytes: a capture by its magic number, any
    /// other file is text; what is neither says so, naming the file.
    #[test]
    fn classify_sends_captures_to_capture_and_the_rest_to_text() {
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str, bytes: &[u8]| {
            let p = dir.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            Source::from_arg(p)
        };
        let pcapng = file("a.pcapng", &[0x0a, 0x0d, 0x0d, 0x0a, 1, 2, 3]);
        let Ok(Input::Capture(mut c)) = classify(pcapng.clone()) else {
            panic!("not a capture")
        };
        assert_eq!(c.name, pcapng.name());
        assert_eq!(c.size, Some(7));
        let mut all = Vec::new();
        c.stream.read_to_end(&mut all).unwrap();
        assert_eq!(
            all,
            [0x0a, 0x0d, 0x0d, 0x0a, 1, 2, 3],
            "the magic is put back"
        );
        let text = |src: Source| match classify(src) {
            Ok(Input::Text(t)) => t.read(),
            Ok(Input::Capture(_)) => panic!("a capture"),
            Err(e) => Err(e),
        };
        assert_eq!(text(file("h.txt", b"00 0a\n")).unwrap(), [0, 10]);
        let e = text(file("x.txt", b"hello\n")).unwrap_err().to_string();
        assert!(
            e.contains("x.txt is neither a pcap or pcapng capture") && e.contains("nor hex text"),
            "{e}"
        );
        let e = text(file("b.bin", &[0xff, 0xfe, 0, 1]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("nor text (hex, xxd or hexdump -C)") && e.contains("editcap"),
            "{e}"
        );
        // --hex is hex: its errors are about the hex, not about captures.
        let e = text(Source::Hex("zz".into())).unwrap_err();
        assert!(matches!(e, SourceError::Text { .. }), "{e}");
        assert_eq!(e.to_string(), "cannot read --hex");
        let missing = Source::from_arg(dir.path().join("missing"));
        assert!(matches!(classify(missing), Err(SourceError::Open { .. })));
        assert_eq!(Source::from_arg("-".into()), Source::Stdin);
    }

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
        assert!(
            e.contains("would expand the dump beyond 65539 bytes"),
            "{e}"
        );
    }

    #[test]
    fn dump_offset_gap_names_the_line() {
        let t = "00000000: 2900 0008  )...\n00000010: 0100 0004  ....\n";
        match parse_text(t).unwrap_err() {
            InputError::Dump { line, .. } => assert_eq!(line, 2),
            e => panic!("{e}"),
        }
    }

    /// Issue 12, item 19: the input is decoded as it streams, within the
    /// bound of one IKE message, whatever the read buffer's size.
    #[test]
    fn streams_in_any_buffer_within_the_bound() {
        for (text, want) in [
            (XXD.to_string(), (TextFormat::Xxd, want())),
            (HEXDUMP.to_string(), (TextFormat::HexdumpC, want())),
            (
                "0x29 00:00:08\n".to_string(),
                (TextFormat::Hex, vec![0x29, 0, 0, 8]),
            ),
        ] {
            for cap in [1, 2, 7, 64, 1 << 16] {
                let r = std::io::BufReader::with_capacity(cap, text.as_bytes());
                assert_eq!(read_text(r, MAX_MESSAGE_BYTES).unwrap(), want, "cap {cap}");
            }
        }
        // Exactly the bound, and one byte more.
        let at = "ab".repeat(MAX_MESSAGE_BYTES);
        assert_eq!(parse_text(&at).unwrap().1.len(), MAX_MESSAGE_BYTES);
        let over = "ab".repeat(MAX_MESSAGE_BYTES + 1);
        assert_eq!(
            parse_text(&over).unwrap_err(),
            InputError::TooLong {
                limit: MAX_MESSAGE_BYTES
            }
        );
        // Megabytes of blank space around a message cost no memory.
        let mut spaced = " \n".repeat(1 << 20);
        spaced.push_str("2900 0008");
        spaced.push_str(&"\t".repeat(1 << 20));
        assert_eq!(parse_text(&spaced).unwrap().1, vec![0x29, 0, 0, 8]);
        // A dump that goes on past the bound stops there.
        let mut big = String::new();
        for i in 0..5000 {
            big.push_str(&format!(
                "{:08x}: 0000 0000 0000 0000 0000 0000 0000 0000  ................\n",
                16 * i
            ));
        }
        assert!(matches!(
            parse_text(&big).unwrap_err(),
            InputError::TooLong { .. }
        ));
        // Binary, and a dump line too long to be one.
        assert_eq!(
            read_text(&[0xff, 0xfe, 0, 1][..], 100).unwrap_err(),
            InputError::Binary
        );
        let long = format!("00000000: 2900{}\n", " ".repeat(5000));
        let e = parse_text(&long).unwrap_err().to_string();
        assert!(e.contains("line 1: longer than 4096 bytes"), "{e}");
    }

    #[test]
    fn input_kinds() {
        let pcap = [0xd4, 0xc3, 0xb2, 0xa1, 2, 0];
        assert_eq!(input_kind(&pcap), InputKind::Capture(FileKind::Pcap));
        let pcapng = [0x0a, 0x0d, 0x0d, 0x0a];
        assert_eq!(input_kind(&pcapng), InputKind::Capture(FileKind::PcapNg));
        assert_eq!(input_kind(b"2900"), InputKind::Text);
        assert_eq!(input_kind(&[0xff, 0xfe, 0x00]), InputKind::Binary);
    }
}
