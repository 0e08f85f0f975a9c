//! The batch line formats of `qcd token derive --batch` and `qcd token verify
//! --batch`, read from any `BufRead` in constant memory:
//!
//! ```text
//! # derive: SPI-I SPI-R [TAKER-ADDR]
//! 0123456789abcdef fedcba9876543210
//! 0123456789abcdef fedcba9876543210 192.0.2.7
//! 8aae1cfed59b39bb_i* 19801cac664ec217_r      (as swanctl --list-sas prints them)
//! # verify: SPI-I SPI-R TOKEN [TAKER-ADDR]
//! 0123456789abcdef fedcba9876543210 4c0f…e1
//! ```
//!
//! Fields are separated by ASCII whitespace; `#` starts a comment that runs to
//! the end of the line; blank and comment-only lines are skipped. SPIs take
//! every form [`Spi::parse_text`] does; role labels (`_i`, `_r`) decide the
//! order over the columns, and lines whose order was corrected or looks
//! swapped are tallied ([`OrderTally`]). A malformed line is a [`LineError`]
//! naming its line number and column and describing the field without
//! quoting it (it may hold a token); processing goes on.
//!
//! Speed: lines are split with `memchr` inside the reader's buffer (no copy,
//! no `String`), the common line shapes (`16 hex digits, one blank, 16 hex
//! digits` and the same plus a plain hex token) are decoded with tables,
//! tokens are derived from the prepared compression states
//! ([`Deriver::derive_spis_into`]) and formatted with tables into one reused
//! output buffer. `benches/token_rate.sh` measures the rate against the
//! SHA-256 compression limit.
//!
//! Not here: the JSON forms of the output ([`super::records`]).

use std::io::{self, BufRead, Write};
use std::net::IpAddr;

use super::derive::{hex_into, Deriver, TokenError, TokenInput, MAX_DIGEST_LEN};
use super::profile::MAX_TOKEN_LEN;
use super::verify::Verifier;
use crate::spi::{FieldShape, OrderNote, Spi, SpiError, SpiPair, SpiText, HEX_VALUE};

/// What `derive_text` writes for a malformed line, so output lines stay aligned with data lines.
pub const ERROR_MARKER: &[u8] = b"error";

/// The longest batch line accepted, in bytes (end of line included).
pub const MAX_LINE_LEN: usize = 4096;

/// Why one batch line was refused. Never contains token bytes nor any
/// field's text beyond a short prefix free of hex digits (see [`FieldShape`]).
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
    #[error("line {line}: TAKER-ADDR: {shape}, expected an IPv4 or IPv6 address (examples: 192.0.2.7, 2001:db8::7)")]
    TakerAddr { line: u64, shape: TakerShape },
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

/// A refused TAKER-ADDR: a dotted text of digits (which no token can be) is
/// quoted; anything else is described.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TakerShape {
    Dotted(String),
    Other(FieldShape),
}

impl TakerShape {
    /// Describes a field that is not an address.
    pub fn of(field: &[u8]) -> TakerShape {
        let dotted = field.len() <= 15
            && field.contains(&b'.')
            && field.iter().all(|c| c.is_ascii_digit() || *c == b'.');
        if dotted {
            TakerShape::Dotted(String::from_utf8_lossy(field).into_owned())
        } else {
            TakerShape::Other(FieldShape::of(field))
        }
    }
}

impl std::fmt::Display for TakerShape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TakerShape::Dotted(s) => write!(f, "{s:?}"),
            TakerShape::Other(shape) => shape.fmt(f),
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
    #[inline]
    pub fn next_line(&mut self) -> io::Result<Option<(u64, &[u8])>> {
        self.reader.consume(std::mem::take(&mut self.pending));
        let available = self.reader.fill_buf()?;
        if available.is_empty() {
            return Ok(None);
        }
        self.line += 1;
        if let Some(i) = memchr::memchr(b'\n', available) {
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
            let (take, done) = match memchr::memchr(b'\n', available) {
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

impl<R: BufRead> LineReader<R> {
    /// Hands `f` the consecutive lines at the start of the reader's buffer
    /// that are exactly `len` bytes long, end of line included, in place and
    /// numbered, for as long as `f` takes them (`Ok(true)`). A line `f`
    /// declines (`Ok(false)`), one that is not whole in the buffer, or one of
    /// another length is left for [`LineReader::next_line`].
    ///
    /// This saves the search for the end of line: `f` must decline any
    /// line with an end of line before its last byte (a fixed-shape parser
    /// does).
    #[inline]
    pub fn fixed_lines<E: From<io::Error>>(
        &mut self,
        len: usize,
        mut f: impl FnMut(u64, &[u8]) -> Result<bool, E>,
    ) -> Result<(), E> {
        self.reader.consume(std::mem::take(&mut self.pending));
        let buf = self.reader.fill_buf()?;
        let mut pos = 0;
        while len > 0 && buf.len() - pos >= len && buf[pos + len - 1] == b'\n' {
            if !f(self.line + 1, &buf[pos..pos + len])? {
                break;
            }
            self.line += 1;
            pos += len;
        }
        self.reader.consume(pos);
        Ok(())
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

fn spi(line: u64, column: &'static str, field: &[u8]) -> Result<SpiText, LineError> {
    if let Ok(digits) = <&[u8; 16]>::try_from(field) {
        if let Some(spi) = crate::spi::decode16(digits) {
            return Ok(SpiText {
                spi,
                role: None,
                local: false,
            });
        }
    }
    Spi::parse_text(field).map_err(|source| LineError::Spi {
        line,
        column,
        source,
    })
}

fn spi_pair(line: u64, i: &[u8], r: &[u8]) -> Result<(SpiPair, Option<OrderNote>), LineError> {
    SpiPair::from_texts(spi(line, "SPI-I", i)?, spi(line, "SPI-R", r)?).map_err(|source| {
        LineError::Spi {
            line,
            column: "SPI-I and SPI-R",
            source,
        }
    })
}

fn taker(line: u64, field: &[u8]) -> Result<IpAddr, LineError> {
    if let Some(a) = std::str::from_utf8(field).ok().and_then(|s| s.parse().ok()) {
        return Ok(a);
    }
    Err(LineError::TakerAddr {
        line,
        shape: TakerShape::of(field),
    })
}

/// One parsed data line: what to compute the token from, and what was
/// noticed about the order of its SPIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineInput {
    pub input: TokenInput,
    pub order: Option<OrderNote>,
}

/// Parses `SPI-I SPI-R [TAKER-ADDR]`; `None` for a blank or comment line.
pub fn parse_derive_line(line: u64, bytes: &[u8]) -> Result<Option<LineInput>, LineError> {
    if bytes.len() > MAX_LINE_LEN {
        return Err(LineError::TooLong { line });
    }
    let mut f: [&[u8]; 3] = [&[]; 3];
    match fields(bytes, &mut f) {
        0 => Ok(None),
        n @ (2 | 3) => {
            let (spis, order) = spi_pair(line, f[0], f[1])?;
            let taker = if n == 3 {
                Some(taker(line, f[2])?)
            } else {
                None
            };
            Ok(Some(LineInput {
                input: TokenInput::new(spis, taker),
                order,
            }))
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
) -> Result<Option<(LineInput, usize)>, LineError> {
    if bytes.len() > MAX_LINE_LEN {
        return Err(LineError::TooLong { line });
    }
    let mut f: [&[u8]; 4] = [&[]; 4];
    match fields(bytes, &mut f) {
        0 => Ok(None),
        n @ (3 | 4) => {
            let (spis, order) = spi_pair(line, f[0], f[1])?;
            let len =
                decode_token(f[2], token).map_err(|reason| LineError::Token { line, reason })?;
            let taker = if n == 4 {
                Some(taker(line, f[3])?)
            } else {
                None
            };
            Ok(Some((
                LineInput {
                    input: TokenInput::new(spis, taker),
                    order,
                },
                len,
            )))
        }
        found => Err(LineError::Fields {
            line,
            expected: "`SPI-I SPI-R TOKEN [TAKER-ADDR]`",
            found,
        }),
    }
}

/// Plain hex (no prefix, no colons, an even number of digits) into `out`,
/// eight digits per step; `None` when `digits` is not that form.
#[inline]
fn decode_plain_hex(digits: &[u8], out: &mut [u8; MAX_TOKEN_LEN]) -> Option<usize> {
    let n = digits.len() / 2;
    if digits.is_empty() || digits.len() % 2 == 1 || n > MAX_TOKEN_LEN {
        return None;
    }
    let mut words = digits.chunks_exact(8);
    let mut outs = out[..n].chunks_exact_mut(4);
    for (w, o) in (&mut words).zip(&mut outs) {
        let x = u64::from_le_bytes(w.try_into().expect("8 bytes"));
        o.copy_from_slice(&crate::spi::decode8(x)?);
    }
    let mut bad = 0u8;
    for (o, pair) in outs
        .into_remainder()
        .iter_mut()
        .zip(words.remainder().chunks_exact(2))
    {
        let (hi, lo) = (HEX_VALUE[pair[0] as usize], HEX_VALUE[pair[1] as usize]);
        bad |= hi | lo;
        *o = (hi << 4) | (lo & 0x0f);
    }
    (bad < 16).then_some(n)
}

/// Hex (optional `0x`, `:` separators allowed) into `out`; the reason never quotes the token.
pub fn decode_token(field: &[u8], out: &mut [u8; MAX_TOKEN_LEN]) -> Result<usize, String> {
    if let Some(n) = decode_plain_hex(field, out) {
        return Ok(n);
    }
    let digits = field
        .strip_prefix(b"0x")
        .or_else(|| field.strip_prefix(b"0X"))
        .unwrap_or(field);
    let mut n = 0usize; // nibbles
    for (i, &c) in digits.iter().enumerate() {
        if c == b':' {
            continue;
        }
        let v = HEX_VALUE[c as usize];
        if v > 15 {
            return Err(format!(
                "the character at position {} is not a hex digit",
                i + 1 + (field.len() - digits.len())
            ));
        }
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

/// The line without its end of line (`\n` or `\r\n`).
#[inline]
fn chomp(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The common derive line `SPI-I SPI-R` (16 hex digits each, one blank or
/// tab between): SPI-I ‖ SPI-R. `None` for any other line, which the general
/// parser then reads.
#[inline(always)]
fn fast_spis(line: &[u8]) -> Option<[u8; 16]> {
    let l: &[u8; 33] = line.get(..33)?.try_into().ok()?;
    if l[16] != b' ' && l[16] != b'\t' {
        return None;
    }
    let i = crate::spi::decode16(l[..16].try_into().ok()?)?;
    let r = crate::spi::decode16(l[17..33].try_into().ok()?)?;
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&i.0);
    out[8..].copy_from_slice(&r.0);
    Some(out)
}

/// Lines whose SPI order was corrected by their labels, or looks swapped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OrderTally {
    /// Lines whose `_r`/`_i` labels put the responder's SPI first (taken as labelled).
    pub relabeled: u64,
    pub first_relabeled: Option<u64>,
    /// Lines with a zero SPI-I before a non-zero SPI-R (taken as given).
    pub zero_initiator: u64,
    pub first_zero_initiator: Option<u64>,
}

impl OrderTally {
    #[inline]
    pub fn note(&mut self, line: u64, note: Option<OrderNote>) {
        match note {
            None => {}
            Some(OrderNote::Relabeled { .. }) => {
                self.relabeled += 1;
                self.first_relabeled.get_or_insert(line);
            }
            Some(OrderNote::ZeroInitiator { .. }) => {
                self.zero_initiator += 1;
                self.first_zero_initiator.get_or_insert(line);
            }
        }
    }

    #[inline]
    fn note_raw(&mut self, line: u64, spis: &[u8; 16]) {
        if spis[..8] == [0; 8] && spis[8..] != [0; 8] {
            self.zero_initiator += 1;
            self.first_zero_initiator.get_or_insert(line);
        }
    }

    /// One sentence per kind of line seen, for the operator.
    pub fn messages(&self) -> Vec<String> {
        let mut m = Vec::new();
        if let Some(first) = self.first_relabeled {
            m.push(format!(
                "{} line(s) (the first is line {first}) gave the responder's SPI (_r) first: their SPIs were used as labelled, the initiator's (_i) as SPI-I",
                self.relabeled
            ));
        }
        if let Some(first) = self.first_zero_initiator {
            m.push(format!(
                "{} line(s) (the first is line {first}) have SPI-I 0000000000000000 before a non-zero SPI-R: an initiator never picks SPI 0, so their SPIs look swapped (used as given)",
                self.zero_initiator
            ));
        }
        m
    }
}

/// Counts of a batch run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchStats {
    /// Data lines processed (not blank or comment lines).
    pub lines: u64,
    pub malformed: u64,
    /// Verify: data lines whose token matched no generation in use.
    pub mismatched: u64,
    pub order: OrderTally,
}

/// Output gathered in one buffer and written in large pieces.
struct Out<W: Write> {
    w: W,
    /// `buf[..pos]` is pending; `buf[..used]` is wiped on drop (it held tokens).
    buf: Vec<u8>,
    pos: usize,
    /// The most of `buf` ever written.
    used: usize,
}

impl<W: Write> Drop for Out<W> {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.buf[..self.used]);
    }
}

impl<W: Write> Out<W> {
    /// Written out once this much is pending.
    const CAP: usize = 1 << 18;
    /// Room for the longest single piece after CAP.
    const SLACK: usize = MAX_LINE_LEN + 2 * MAX_TOKEN_LEN + 64;

    fn new(w: W) -> Self {
        Out {
            w,
            buf: vec![0u8; Self::CAP + Self::SLACK],
            pos: 0,
            used: 0,
        }
    }

    #[inline]
    fn flush_full(&mut self) -> io::Result<()> {
        self.used = self.used.max(self.pos);
        if self.pos >= Self::CAP {
            self.w.write_all(&self.buf[..self.pos])?;
            self.pos = 0;
        }
        Ok(())
    }

    /// Appends `bytes` (at most [`Out::SLACK`] long).
    #[inline]
    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.buf[self.pos..self.pos + bytes.len()].copy_from_slice(bytes);
        self.pos += bytes.len();
        self.flush_full()
    }

    /// Appends the hex of `bytes` (at most [`MAX_TOKEN_LEN`]) and an end of line.
    #[inline]
    fn put_hex_line(&mut self, bytes: &[u8]) -> io::Result<()> {
        let n = 2 * bytes.len();
        let dst = &mut self.buf[self.pos..self.pos + n + 1];
        hex_into(bytes, &mut dst[..n]);
        dst[n] = b'\n';
        self.pos += n + 1;
        self.flush_full()
    }

    fn finish(mut self) -> io::Result<()> {
        let pos = std::mem::take(&mut self.pos);
        self.w.write_all(&self.buf[..pos])?;
        self.w.flush()
    }
}

/// The fast path of `qcd token derive --batch`: one lowercase hex token per
/// data line, [`ERROR_MARKER`] for a malformed line (reported through
/// `on_error`), nothing for blank and comment lines. No allocation per line.
pub fn derive_text<R: BufRead, W: Write>(
    deriver: &Deriver,
    reader: R,
    writer: W,
    mut on_error: impl FnMut(&LineError),
) -> io::Result<BatchStats> {
    let mut lines = LineReader::new(reader);
    let mut out = Out::new(writer);
    let mut stats = BatchStats::default();
    let mut digest = zeroize::Zeroizing::new([0u8; MAX_DIGEST_LEN]);
    let fast = !deriver.spec().taker_addr;
    loop {
        if fast {
            // Runs of the common line, `SPI-I SPI-R\n`, in place.
            lines.fixed_lines(34, |no, line| -> io::Result<bool> {
                let Some(spis) = fast_spis(line) else {
                    return Ok(false);
                };
                stats.order.note_raw(no, &spis);
                let Ok(token) = deriver.derive_spis_into(&spis, &mut digest) else {
                    return Ok(false);
                };
                out.put_hex_line(token)?;
                stats.lines += 1;
                Ok(true)
            })?;
        }
        let Some((no, line)) = lines.next_line()? else {
            break;
        };
        let result = match fast_spis(line).filter(|_| chomp(line).len() == 33) {
            Some(spis) => {
                stats.order.note_raw(no, &spis);
                deriver
                    .derive_spis_into(&spis, &mut digest)
                    .map(|t| Some(t.len()))
                    .map_err(|source| LineError::Derive { line: no, source })
            }
            None => parse_derive_line(no, line).and_then(|input| match input {
                None => Ok(None),
                Some(l) => {
                    stats.order.note(no, l.order);
                    deriver
                        .derive_into(&l.input, &mut digest)
                        .map(|t| Some(t.len()))
                        .map_err(|source| LineError::Derive { line: no, source })
                }
            }),
        };
        match result {
            Ok(None) => continue,
            Ok(Some(len)) => out.put_hex_line(&digest[..len])?,
            Err(e) => {
                stats.malformed += 1;
                on_error(&e);
                out.put(ERROR_MARKER)?;
                out.put(b"\n")?;
            }
        }
        stats.lines += 1;
    }
    out.finish()?;
    Ok(stats)
}

/// Whether verdict lines name the generation (`match 3`) or not (`match`,
/// for a secret file, which has no generations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerdictNames {
    Generations,
    Anonymous,
}

/// The fast path of `qcd token verify --batch`: one verdict per data line,
/// `match N`, `no-match [CODE@N,...]` (the diagnosis of the mismatch) or
/// [`ERROR_MARKER`] (reported through `on_error`). A matching line costs the
/// derivation of the token of the generation it matches (the active one is
/// tried first) and one constant-time comparison.
pub fn verify_text<R: BufRead, W: Write>(
    verifier: &Verifier<'_>,
    reader: R,
    writer: W,
    names: VerdictNames,
    mut on_error: impl FnMut(&LineError),
) -> io::Result<BatchStats> {
    let mut lines = LineReader::new(reader);
    let mut out = Out::new(writer);
    let mut stats = BatchStats::default();
    let mut token = zeroize::Zeroizing::new([0u8; MAX_TOKEN_LEN]);
    let labels: Vec<Vec<u8>> = verifier
        .prepared_generations()
        .map(|id| match names {
            VerdictNames::Generations => format!("match {id}\n").into_bytes(),
            VerdictNames::Anonymous => b"match\n".to_vec(),
        })
        .collect();
    // The length of a line `SPI-I SPI-R TOKEN\n` holding a token of the
    // first generation tried (the active one).
    let fixed = verifier
        .prepared_lengths()
        .next()
        .map_or(0, |n| 34 + 2 * n + 1);
    loop {
        // Runs of matching lines of that shape, in place.
        lines.fixed_lines(fixed, |no, line| -> io::Result<bool> {
            let Some(spis) = fast_spis(line) else {
                return Ok(false);
            };
            let (&sep, digits) = line[33..line.len() - 1]
                .split_first()
                .expect("fixed length");
            if sep != b' ' && sep != b'\t' {
                return Ok(false);
            }
            let Some(len) = decode_plain_hex(digits, &mut token) else {
                return Ok(false);
            };
            let Some(i) = verifier.check_spis(&spis, &token[..len]) else {
                return Ok(false); // diagnosed below
            };
            stats.order.note_raw(no, &spis);
            out.put(&labels[i])?;
            stats.lines += 1;
            Ok(true)
        })?;
        let Some((no, line)) = lines.next_line()? else {
            break;
        };
        // Fast shape: SPI-I SPI-R TOKEN, single blanks, plain hex.
        let fast = fast_spis(line).and_then(|spis| {
            let rest = chomp(line).get(33..)?;
            let (&sep, digits) = rest.split_first()?;
            if sep != b' ' && sep != b'\t' {
                return None;
            }
            decode_plain_hex(digits, &mut token).map(|len| (spis, len))
        });
        let (input, len) = match fast {
            Some((spis, len)) => {
                stats.order.note_raw(no, &spis);
                let pair = SpiPair::new(
                    Spi(spis[..8].try_into().expect("8 bytes")),
                    Spi(spis[8..].try_into().expect("8 bytes")),
                );
                (TokenInput::new(pair, None), len)
            }
            None => match parse_verify_line(no, line, &mut token) {
                Ok(None) => continue,
                Ok(Some((l, len))) => {
                    stats.order.note(no, l.order);
                    (l.input, len)
                }
                Err(e) => {
                    stats.malformed += 1;
                    stats.lines += 1;
                    on_error(&e);
                    out.put(ERROR_MARKER)?;
                    out.put(b"\n")?;
                    continue;
                }
            },
        };
        stats.lines += 1;
        if let Some(i) = verifier.check(&input, &token[..len]) {
            out.put(&labels[i])?;
            continue;
        }
        stats.mismatched += 1;
        let v = verifier.verify(&input, &token[..len]);
        let mut text = String::from("no-match");
        for (i, e) in v.explanations.iter().enumerate() {
            text.push(if i == 0 { ' ' } else { ',' });
            text.push_str(e.code.name());
            if names == VerdictNames::Generations {
                text.push('@');
                text.push_str(&e.generation.to_string());
            }
        }
        text.push('\n');
        for piece in text.as_bytes().chunks(Out::<W>::SLACK) {
            out.put(piece)?;
        }
    }
    out.finish()?;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secretmem::SecretBytes;
    use crate::token::State;
    use crate::token::{Candidate, TokenSpec};

    #[test]
    fn fields_comments_and_blank_lines() {
        assert_eq!(parse_derive_line(1, b"   \n").unwrap(), None);
        assert_eq!(parse_derive_line(1, b"# just a comment\n").unwrap(), None);
        let a = parse_derive_line(1, b"0123456789abcdef\tfedcba9876543210 # sa 7\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(a.input.spis.initiator.to_hex(), "0123456789abcdef");
        assert_eq!(a.input.taker, None);
        assert_eq!(a.order, None);
        let b = parse_derive_line(1, b"0x0123456789ABCDEF fe:dc:ba:98:76:54:32:10 2001:db8::1")
            .unwrap()
            .unwrap();
        assert_eq!(b.input.spis, a.input.spis);
        assert_eq!(b.input.taker, Some("2001:db8::1".parse().unwrap()));
    }

    #[test]
    fn swanctl_labels_decide_the_order_and_are_tallied() {
        let l = parse_derive_line(4, b"fedcba9876543210_r* 0123456789abcdef_i\n")
            .unwrap()
            .unwrap();
        assert_eq!(l.input.spis.initiator.to_hex(), "0123456789abcdef");
        assert!(matches!(l.order, Some(OrderNote::Relabeled { .. })));
        let e = parse_derive_line(5, b"fedcba9876543210_r 0123456789abcdef_r").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("line 5: SPI-I and SPI-R: both SPIs are marked _r"),
            "{e}"
        );
        let d = Deriver::new(&[3; 32], TokenSpec::default()).unwrap();
        let input = b"0123456789abcdef_i fedcba9876543210_r\n\
                      fedcba9876543210_r 0123456789abcdef_i\n\
                      0000000000000000 0123456789abcdef\n\
                      0000000000000000 0123456789abcdef\n";
        let mut out = Vec::new();
        let stats = derive_text(&d, &input[..], &mut out, |_| {}).unwrap();
        let lines: Vec<&[u8]> = out.split(|&b| b == b'\n').collect();
        assert_eq!(lines[0], lines[1], "the labelled line is the same IKE SA");
        assert_eq!(
            stats.order,
            OrderTally {
                relabeled: 1,
                first_relabeled: Some(2),
                zero_initiator: 2,
                first_zero_initiator: Some(3),
            }
        );
        let m = stats.order.messages();
        assert!(
            m[0].starts_with("1 line(s) (the first is line 2) gave the responder's SPI (_r) first"),
            "{m:?}"
        );
        assert!(m[1].contains("look swapped"), "{m:?}");
    }

    /// Issue 12, item 3: a token or a long value in any column is described,
    /// never echoed.
    #[test]
    fn errors_never_echo_tokens_or_long_fields() {
        let token = "4c0f9a7e1b2d3c4e5f60718293a4b5c6d7e8f90112233445566778899aabbccd";
        let long = "z".repeat(4000);
        let cases: Vec<(String, &str)> = vec![
            (format!("{token} fedcba9876543210"), "line 1: SPI-I: 64 hex digits, expected an SPI"),
            (format!("0123456789abcdef {token}"), "line 1: SPI-R: 64 hex digits, expected an SPI"),
            (format!("0123456789abcdef fedcba9876543210 {token}"), "line 1: TAKER-ADDR: 64 hex digits, expected an IPv4 or IPv6 address"),
            (format!("0123456789abcdef fedcba9876543210 {token}g"), "line 1: TAKER-ADDR: 65 bytes with the non-hex character 'g' at position 65"),
            (format!("0123456789abcdef {long}"), "line 1: SPI-R: 4000 bytes starting \"zzzzzzzzzzzz\" with the non-hex character 'z' at position 1"),
            ("0123456789abcdef fedcba9876543210 300.1.1.1".to_string(), "line 1: TAKER-ADDR: \"300.1.1.1\", expected"),
            ("0123456789abcdef fedcba9876543210 192.0.2.1:500".to_string(), "line 1: TAKER-ADDR: 13 bytes with the non-hex character '.' at position 4"),
        ];
        for (line, want) in &cases {
            let e = parse_derive_line(1, line.as_bytes())
                .unwrap_err()
                .to_string();
            assert!(e.starts_with(want), "{line:.40}: {e}");
            assert!(!e.contains(token), "token echoed: {e}");
            assert!(e.len() < 300, "long error: {e}");
        }
        // verify lines: a token shifted into the SPI or address column.
        let mut t = [0u8; MAX_TOKEN_LEN];
        let e = parse_verify_line(
            2,
            format!("{token} 0123456789abcdef fedcba9876543210").as_bytes(),
            &mut t,
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("line 2: SPI-I: 64 hex digits"), "{e}");
        let e = parse_verify_line(
            2,
            format!("0123456789abcdef fedcba9876543210 {token} {token}").as_bytes(),
            &mut t,
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("line 2: TAKER-ADDR: 64 hex digits"), "{e}");
        assert!(!e.contains(token));
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
                .starts_with("line 8: SPI-R: 4 hex digits, expected an SPI"),
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
        let (l, len) = parse_verify_line(
            5,
            b"0123456789abcdef 0123456789abcdef 0xAB:cd 192.0.2.1",
            &mut t,
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            (&t[..len], l.input.taker.is_some()),
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
        assert_eq!((stats.lines, stats.malformed), (2, 1));
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
        assert_eq!((stats.lines, stats.malformed), (3, 1));
        assert_eq!(errs, vec![3]);
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].len(), 64);
        assert_eq!(lines[1], "error");
        assert_ne!(lines[0], lines[2]);
    }

    /// The fast line shapes give the same tokens as the general parser, and
    /// every other shape falls back to it.
    #[test]
    fn fast_and_general_paths_agree() {
        let d = Deriver::new(&[3; 32], TokenSpec::default()).unwrap();
        let forms: [&[u8]; 6] = [
            b"0123456789abcdef fedcba9876543210\n",
            b"0123456789abcdef\tfedcba9876543210\r\n",
            b"0123456789ABCDEF fedcba9876543210",
            b"  0123456789abcdef   fedcba9876543210  # c\n",
            b"0x0123456789abcdef fe:dc:ba:98:76:54:32:10\n",
            b"0123456789abcdef_i fedcba9876543210_r*\n",
        ];
        let mut outs = Vec::new();
        for f in forms {
            let mut out = Vec::new();
            let stats = derive_text(&d, f, &mut out, |e| panic!("{e}")).unwrap();
            assert_eq!(stats.lines, 1);
            outs.push(out);
        }
        assert!(outs.windows(2).all(|w| w[0] == w[1]), "{outs:?}");
        // A line that only starts like the fast shape.
        let mut out = Vec::new();
        derive_text(
            &d,
            &b"0123456789abcdef fedcba9876543210x\n"[..],
            &mut out,
            |_| {},
        )
        .unwrap();
        assert_eq!(out, b"error\n");
    }

    #[test]
    fn verify_text_verdicts() {
        let (s1, s2) = (SecretBytes::new(vec![1; 32]), SecretBytes::new(vec![2; 32]));
        let spec = TokenSpec::default();
        let cands = vec![
            Candidate {
                generation: 1,
                state: State::Previous,
                secret: Some(&s1),
                spec,
            },
            Candidate {
                generation: 2,
                state: State::Active,
                secret: Some(&s2),
                spec,
            },
        ];
        let v = Verifier::new(cands, None);
        assert_eq!(
            v.prepared_generations().collect::<Vec<_>>(),
            vec![2, 1],
            "active first"
        );
        let d1 = Deriver::new(&[1; 32], spec).unwrap();
        let d2 = Deriver::new(&[2; 32], spec).unwrap();
        let spis = "0123456789abcdef fedcba9876543210";
        let tok = |d: &Deriver, swapped: bool| {
            let mut input = Vec::new();
            let line = if swapped {
                "fedcba9876543210 0123456789abcdef"
            } else {
                spis
            };
            derive_text(d, line.as_bytes(), &mut input, |_| {}).unwrap();
            String::from_utf8(input).unwrap().trim().to_string()
        };
        let t1 = tok(&d1, false);
        let t2 = tok(&d2, false);
        let t2s = tok(&d2, true);
        let input = format!(
            "{spis} {t2}\n{spis} {t1}\n{spis} {t2s}\n{spis} {}\n{spis} 0x{t1}\n{spis} {}\nnot a line\n",
            &t2[..30],
            "00".repeat(32)
        );
        let mut out = Vec::new();
        let mut errs = Vec::new();
        let stats = verify_text(
            &v,
            input.as_bytes(),
            &mut out,
            VerdictNames::Generations,
            |e| errs.push(e.line()),
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "match 2\nmatch 1\nno-match spis-swapped@2\nno-match\nmatch 1\nno-match\nerror\n"
        );
        assert_eq!((stats.lines, stats.malformed, stats.mismatched), (7, 1, 3));
        assert_eq!(errs, vec![7]);
        let mut out = Vec::new();
        verify_text(
            &v,
            format!("{spis} {t2s}\n{spis} {t1}\n").as_bytes(),
            &mut out,
            VerdictNames::Anonymous,
            |_| {},
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "no-match spis-swapped\nmatch\n"
        );
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

        /// Whatever the read buffer's size (lines straddling its end, runs of
        /// fixed-length lines cut anywhere), derive and verify give the
        /// output and errors they give with the whole input in one buffer.
        #[test]
        fn batch_output_does_not_depend_on_the_buffer(
            picks in proptest::collection::vec(0usize..9, 0..40),
            cap in 1usize..120,
        ) {
            let d = Deriver::new(&[3; 32], TokenSpec::default()).unwrap();
            let s = SecretBytes::new(vec![3; 32]);
            let spec = TokenSpec::default();
            let v = Verifier::new(
                vec![Candidate { generation: 1, state: State::Active, secret: Some(&s), spec }],
                None,
            );
            let good = "0123456789abcdef fedcba9876543210";
            let mut tok = Vec::new();
            derive_text(&d, good.as_bytes(), &mut tok, |_| {}).unwrap();
            let tok = String::from_utf8(tok).unwrap().trim().to_string();
            let shapes = [
                format!("{good}\n"),
                format!("{good} {tok}\n"),
                format!("{good}\r\n"),
                "\n".to_string(),
                "# comment\n".to_string(),
                format!("fedcba9876543210_r 0123456789abcdef_i {tok}\n"),
                format!("{good} {}\n", &tok[..40]),
                "0123456789abcdef xyz\n".to_string(),
                format!("{good}{good}\n"),
            ];
            let text: String = picks.iter().map(|&i| shapes[i].as_str()).collect();
            let run = |cap: usize| {
                let mut d_out = Vec::new();
                let mut d_err = Vec::new();
                let ds = derive_text(&d, std::io::BufReader::with_capacity(cap, text.as_bytes()), &mut d_out, |e| d_err.push(e.to_string())).unwrap();
                let mut v_out = Vec::new();
                let mut v_err = Vec::new();
                let vs = verify_text(&v, std::io::BufReader::with_capacity(cap, text.as_bytes()), &mut v_out, VerdictNames::Generations, |e| v_err.push(e.to_string())).unwrap();
                (d_out, d_err, ds, v_out, v_err, vs)
            };
            let whole = run(1 << 16);
            proptest::prop_assert_eq!(run(cap), whole.clone());
            let data_lines = picks.iter().filter(|&&i| i != 3 && i != 4).count() as u64;
            proptest::prop_assert_eq!(whole.2.lines, data_lines);
            proptest::prop_assert_eq!(whole.5.lines, data_lines);
        }

        /// decode_token's fast path and its general path agree.
        #[test]
        fn token_decoding_paths_agree(bytes in proptest::collection::vec(proptest::num::u8::ANY, 1..130), upper in proptest::bool::ANY) {
            let mut text = hex::encode(&bytes);
            if upper {
                text = text.to_uppercase();
            }
            let mut a = [0u8; MAX_TOKEN_LEN];
            let mut b = [0u8; MAX_TOKEN_LEN];
            let fast = decode_token(text.as_bytes(), &mut a);
            let general = decode_token(format!("0x{text}").as_bytes(), &mut b);
            proptest::prop_assert_eq!(fast.clone(), general);
            if let Ok(n) = fast {
                proptest::prop_assert_eq!(&a[..n], &bytes[..]);
                proptest::prop_assert_eq!(&a[..n], &b[..n]);
            }
        }
    }
}
