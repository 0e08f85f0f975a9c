//! IKE SPIs (8 bytes each, as carried in the IKE header) and the SPI pair that
//! names an IKE SA, with the textual forms operators paste from logs,
//! Wireshark and strongSwan: `0123456789abcdef`, `0x0123456789ABCDEF`,
//! `01:23:45:67:89:ab:cd:ef`, and `swanctl --list-sas`'s `0123456789abcdef_i`
//! / `fedcba9876543210_r*` (a role suffix, and `*` on the local end).
//!
//! Errors never quote the text they refuse: a field that should have been an
//! SPI may hold a token (a shifted column). They describe it instead
//! ([`FieldShape`]).

use std::fmt;

/// One IKE SPI: 8 bytes in wire order.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Spi(pub [u8; 8]);

/// The pair of SPIs that names an IKE SA, initiator first as in the IKE header.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Default)]
pub struct SpiPair {
    pub initiator: Spi,
    pub responder: Spi,
}

/// Which end of an IKE SA an SPI belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    Initiator,
    Responder,
}

impl Role {
    /// strongSwan's suffix for the role: `_i` or `_r`.
    pub fn suffix(self) -> &'static str {
        match self {
            Role::Initiator => "_i",
            Role::Responder => "_r",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Initiator => "initiator",
            Role::Responder => "responder",
        })
    }
}

/// An SPI as pasted, with the role its label gave (`swanctl --list-sas`
/// prints `8aae1cfed59b39bb_i* 1c2d3e4f5a6b7c8d_r`: `_i`/`_r` name the role,
/// `*` marks the local end).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SpiText {
    pub spi: Spi,
    pub role: Option<Role>,
    /// strongSwan's `*`: this end is the local one.
    pub local: bool,
}

/// What a refused field looked like, without its contents: its length, how
/// much of it is hex, the first character that is not, and at most a short
/// prefix of text that holds no hex digit (so no token or key byte is ever
/// quoted back).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldShape {
    /// Length in bytes.
    pub len: usize,
    /// Hex digits in the field (after a `0x` prefix, colons and a role suffix).
    pub hex_digits: usize,
    /// 1-based byte position and the first character that is not a hex digit
    /// (nor a separator the form allows).
    pub first_bad: Option<(usize, char)>,
    /// The field's leading characters up to its first hex digit, at most
    /// [`FieldShape::PREFIX_MAX`] of them, when printable.
    pub prefix: String,
    /// A recognisable kind of value, e.g. "an IPv4 address".
    pub looks_like: Option<&'static str>,
}

impl FieldShape {
    /// The longest prefix quoted.
    pub const PREFIX_MAX: usize = 12;

    /// Describes `field`, taking `0x` prefixes, colons and strongSwan's role
    /// suffix as allowed decoration.
    pub fn of(field: &[u8]) -> FieldShape {
        let body = strip_decoration(field);
        let mut hex_digits = 0;
        let mut first_bad = None;
        let offset = body.as_ptr() as usize - field.as_ptr() as usize;
        for (i, &c) in body.iter().enumerate() {
            if c.is_ascii_hexdigit() {
                hex_digits += 1;
            } else if c != b':' && first_bad.is_none() {
                first_bad = Some((offset + i + 1, char_at(field, offset + i)));
            }
        }
        let prefix: String = field
            .iter()
            .take_while(|c| !c.is_ascii_hexdigit())
            .take(Self::PREFIX_MAX)
            .map(|&c| c as char)
            .collect();
        let prefix = if prefix.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
            prefix
        } else {
            String::new()
        };
        // Only when it is not hex and colons, which a colon-separated SPI or
        // token also is.
        let looks_like = std::str::from_utf8(field)
            .ok()
            .filter(|_| first_bad.is_some())
            .and_then(|s| s.parse::<std::net::IpAddr>().ok())
            .map(|a| {
                if a.is_ipv4() {
                    "an IPv4 address"
                } else {
                    "an IPv6 address"
                }
            });
        FieldShape {
            len: field.len(),
            hex_digits,
            first_bad,
            prefix,
            looks_like,
        }
    }
}

/// The character starting at byte `at` of `field` (U+FFFD when not UTF-8).
fn char_at(field: &[u8], at: usize) -> char {
    let end = (at + 4).min(field.len());
    (at + 1..=end)
        .find_map(|e| std::str::from_utf8(&field[at..e]).ok())
        .and_then(|s| s.chars().next())
        .unwrap_or(char::REPLACEMENT_CHARACTER)
}

impl fmt::Display for FieldShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.len == 0 {
            return f.write_str("an empty field");
        }
        if let Some(kind) = self.looks_like {
            return f.write_str(kind);
        }
        match self.first_bad {
            None => write!(f, "{} hex digits", self.hex_digits),
            Some((pos, c)) => {
                write!(f, "{} bytes", self.len)?;
                if !self.prefix.is_empty() {
                    write!(f, " starting {:?}", self.prefix)?;
                }
                if c.is_ascii_graphic() {
                    write!(f, " with the non-hex character {c:?} at position {pos}")
                } else {
                    write!(
                        f,
                        " with a non-hex character (U+{:04X}) at position {pos}",
                        c as u32
                    )
                }
            }
        }
    }
}

/// Why a text is not an SPI, or two SPIs are not a pair.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpiError {
    #[error("{shape}, expected an SPI: 16 hex digits as in 8aae1cfed59b39bb (optional 0x prefix, any case), Wireshark's 8a:ae:1c:fe:d5:9b:39:bb or swanctl's 8aae1cfed59b39bb_i")]
    Invalid { shape: FieldShape },
    #[error("both SPIs are marked {}: one SPI of an IKE SA is the initiator's (_i), the other the responder's (_r)", .0.suffix())]
    SameRole(Role),
}

/// `_i`, `_r`, optionally followed by `*` (any case), at the end of `field`.
fn role_suffix(field: &[u8]) -> Option<(usize, Role, bool)> {
    let (rest, local) = match field.strip_suffix(b"*") {
        Some(r) => (r, true),
        None => (field, false),
    };
    let n = rest.len();
    if n < 2 || rest[n - 2] != b'_' {
        return None;
    }
    let role = match rest[n - 1] {
        b'i' | b'I' => Role::Initiator,
        b'r' | b'R' => Role::Responder,
        _ => return None,
    };
    Some((n - 2, role, local))
}

/// `field` without surrounding whitespace, role suffix and `0x` prefix.
fn strip_decoration(field: &[u8]) -> &[u8] {
    let s = field.trim_ascii();
    let s = match role_suffix(s) {
        Some((end, _, _)) => &s[..end],
        None => s,
    };
    s.strip_prefix(b"0x")
        .or_else(|| s.strip_prefix(b"0X"))
        .unwrap_or(s)
}

impl Spi {
    /// Parses `0123456789abcdef`, `0x…`, upper case, `01:23:…:ef`, or
    /// swanctl's `…_i` / `…_r*` (the role is dropped: see [`Spi::parse_text`]).
    ///
    /// ```
    /// use qcd::spi::Spi;
    /// let a = Spi::parse("0x0123456789ABCDEF").unwrap();
    /// let b = Spi::parse("01:23:45:67:89:ab:cd:ef").unwrap();
    /// let c = Spi::parse("0123456789abcdef_r*").unwrap();
    /// assert_eq!(a, b);
    /// assert_eq!(a, c);
    /// assert_eq!(a.to_string(), "0123456789abcdef");
    /// assert!(Spi::parse("0123").is_err());
    /// ```
    pub fn parse(input: &str) -> Result<Spi, SpiError> {
        Spi::parse_text(input.as_bytes()).map(|t| t.spi)
    }

    /// Parses any form [`Spi::parse`] takes, keeping strongSwan's role label.
    pub fn parse_text(input: &[u8]) -> Result<SpiText, SpiError> {
        let invalid = || SpiError::Invalid {
            shape: FieldShape::of(input),
        };
        let s = input.trim_ascii();
        let (s, role, local) = match role_suffix(s) {
            Some((end, role, local)) => (&s[..end], Some(role), local),
            None => (s, None, false),
        };
        let s = s
            .strip_prefix(b"0x")
            .or_else(|| s.strip_prefix(b"0X"))
            .unwrap_or(s);
        let mut digits = [0u8; 16];
        if s.contains(&b':') {
            // Exactly 8 groups of 2 digits.
            if s.len() != 23 {
                return Err(invalid());
            }
            for (g, chunk) in s.chunks(3).enumerate() {
                if chunk.len() == 3 && chunk[2] != b':' {
                    return Err(invalid());
                }
                digits[2 * g..2 * g + 2].copy_from_slice(&chunk[..2]);
            }
        } else if s.len() == 16 {
            digits.copy_from_slice(s);
        } else {
            return Err(invalid());
        }
        match decode16(&digits) {
            Some(spi) => Ok(SpiText { spi, role, local }),
            None => Err(invalid()),
        }
    }

    /// Parses ASCII bytes (a field of a batch line): the plain 16-hex-digit
    /// form without branching per digit, every other form through
    /// [`Spi::parse_text`].
    pub fn parse_ascii(input: &[u8]) -> Result<Spi, SpiError> {
        if let Ok(digits) = <&[u8; 16]>::try_from(input) {
            if let Some(spi) = decode16(digits) {
                return Ok(spi);
            }
        }
        Spi::parse_text(input).map(|t| t.spi)
    }

    pub fn is_zero(&self) -> bool {
        self.0 == [0; 8]
    }

    pub fn to_hex(&self) -> String {
        crate::encoding::to_hex(self.0)
    }
}

/// 16 hex digits into an SPI; `None` if any is not a hex digit (either
/// case). Eight digits per step in a 64-bit word (SWAR), no table.
#[inline(always)]
pub fn decode16(digits: &[u8; 16]) -> Option<Spi> {
    let hi = decode8(u64::from_le_bytes(digits[..8].try_into().expect("8 bytes")))?;
    let lo = decode8(u64::from_le_bytes(digits[8..].try_into().expect("8 bytes")))?;
    let mut out = [0u8; 8];
    out[..4].copy_from_slice(&hi);
    out[4..].copy_from_slice(&lo);
    Some(Spi(out))
}

/// 8 ASCII hex digits (little-endian loaded: the first digit in the low
/// byte) into 4 bytes; `None` if any byte is not a hex digit.
#[inline(always)]
pub fn decode8(x: u64) -> Option<[u8; 4]> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    if x & HIGH != 0 {
        return None;
    }
    // Per byte (all below 0x80): 0x80 where the byte is >= n.
    let ge = |v: u64, n: u8| ((v | HIGH) - ONES * u64::from(n)) & HIGH;
    let digit = ge(x, b'0') & !ge(x, b'9' + 1);
    let lower = x | (ONES * 0x20);
    let letter = ge(lower, b'a') & !ge(lower, b'f' + 1);
    if digit | letter != HIGH {
        return None;
    }
    // Digits: the low nibble; letters: the low nibble + 9.
    let nib = (x & (ONES * 0x0f)) + (letter >> 7) * 9;
    // Pairs into bytes (high nibble first), then the 4 bytes together.
    let mut v = ((nib & 0x000f_000f_000f_000f) << 4) | ((nib >> 8) & 0x000f_000f_000f_000f);
    v = (v | (v >> 8)) & 0x0000_ffff_0000_ffff;
    v = (v | (v >> 16)) & 0x0000_0000_ffff_ffff;
    Some((v as u32).to_le_bytes())
}

/// The value of each ASCII hex digit; 0xff for every other byte.
pub static HEX_VALUE: [u8; 256] = {
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

impl fmt::Display for Spi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Spi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Spi({self})")
    }
}

impl std::str::FromStr for Spi {
    type Err = SpiError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Spi::parse(s)
    }
}

/// What [`SpiPair::from_texts`] noticed about the order the SPIs came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderNote {
    /// The labels said the responder's SPI came first; the pair was put
    /// initiator first, as the labels say.
    Relabeled { initiator: Spi, responder: Spi },
    /// SPI-I is zero and SPI-R is not: an initiator never picks SPI 0, so
    /// the two look swapped. Kept as given.
    ZeroInitiator { responder: Spi },
}

impl fmt::Display for OrderNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrderNote::Relabeled { initiator, responder } => write!(
                f,
                "the SPIs were given responder first: SPI-I (the initiator's, _i) is {initiator} and SPI-R (the responder's, _r) is {responder}; used in that order"
            ),
            OrderNote::ZeroInitiator { responder } => write!(
                f,
                "SPI-I is 0000000000000000 but SPI-R is not: an initiator never picks SPI 0 (RFC 7296 section 2.6), so the two look swapped; if so, SPI-I is {responder} and SPI-R 0000000000000000 (only an IKE_SA_INIT request has a zero SPI-R, and tokens are for established IKE SAs)"
            ),
        }
    }
}

impl SpiPair {
    pub fn new(initiator: Spi, responder: Spi) -> Self {
        SpiPair {
            initiator,
            responder,
        }
    }

    /// The pair from SPIs given in SPI-I, SPI-R order. Role labels win over
    /// the order (`X_r Y_i` is the pair Y, X, with a note); two SPIs with the
    /// same label are refused; a zero SPI-I before a non-zero SPI-R is kept
    /// but noted as looking swapped.
    ///
    /// ```
    /// use qcd::spi::{OrderNote, Spi, SpiPair};
    /// let i = Spi::parse_text(b"8aae1cfed59b39bb_r").unwrap();
    /// let r = Spi::parse_text(b"1c2d3e4f5a6b7c8d_i*").unwrap();
    /// let (pair, note) = SpiPair::from_texts(i, r).unwrap();
    /// assert_eq!(pair.initiator.to_string(), "1c2d3e4f5a6b7c8d");
    /// assert!(matches!(note, Some(OrderNote::Relabeled { .. })));
    /// ```
    pub fn from_texts(
        first: SpiText,
        second: SpiText,
    ) -> Result<(SpiPair, Option<OrderNote>), SpiError> {
        use Role::*;
        let swap = match (first.role, second.role) {
            (Some(a), Some(b)) if a == b => return Err(SpiError::SameRole(a)),
            (Some(Responder), _) | (_, Some(Initiator)) => true,
            _ => false,
        };
        if swap {
            let pair = SpiPair::new(second.spi, first.spi);
            return Ok((
                pair,
                Some(OrderNote::Relabeled {
                    initiator: pair.initiator,
                    responder: pair.responder,
                }),
            ));
        }
        let pair = SpiPair::new(first.spi, second.spi);
        let note = (pair.initiator.is_zero() && !pair.responder.is_zero()).then_some(
            OrderNote::ZeroInitiator {
                responder: pair.responder,
            },
        );
        Ok((pair, note))
    }

    /// The pair with initiator and responder exchanged.
    pub fn swapped(&self) -> SpiPair {
        SpiPair::new(self.responder, self.initiator)
    }

    /// SPI-I ‖ SPI-R, the 16-byte block every token profile starts from.
    pub fn to_bytes(&self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&self.initiator.0);
        out[8..].copy_from_slice(&self.responder.0);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_forms_operators_paste() {
        let want = Spi([0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]);
        for s in [
            "0123456789abcdef",
            "0123456789ABCDEF",
            "0x0123456789abcdef",
            "0X0123456789ABCDEF",
            "01:23:45:67:89:ab:cd:ef",
            "0x01:23:45:67:89:ab:cd:ef",
            "  0123456789abcdef\n",
            "0123456789abcdef_i",
            "0123456789abcdef_r",
            "0123456789abcdef_i*",
            "0123456789abcdef_R*",
            "0x0123456789abcdef_r",
        ] {
            assert_eq!(Spi::parse(s).unwrap(), want, "{s}");
        }
        assert_eq!(want.to_string(), "0123456789abcdef");
        let t = Spi::parse_text(b"0123456789abcdef_r*").unwrap();
        assert_eq!((t.role, t.local), (Some(Role::Responder), true));
        let t = Spi::parse_text(b"0123456789abcdef").unwrap();
        assert_eq!((t.role, t.local), (None, false));
    }

    /// The exact line `swanctl --list-sas` prints (strongSwan's
    /// src/swanctl/commands/list_sas.c: `"%s_i%s %s_r%s"` with `*` on the
    /// local end, SPIs as `%.16"PRIx64` in network order).
    #[test]
    fn swanctl_list_sas_fields() {
        let line = "gw-gw: #1, ESTABLISHED, IKEv2, 8aae1cfed59b39bb_i* 19801cac664ec217_r";
        let fields: Vec<&str> = line.split_whitespace().collect();
        let i = Spi::parse_text(fields[4].as_bytes()).unwrap();
        let r = Spi::parse_text(fields[5].as_bytes()).unwrap();
        assert_eq!((i.role, i.local), (Some(Role::Initiator), true));
        assert_eq!((r.role, r.local), (Some(Role::Responder), false));
        let (pair, note) = SpiPair::from_texts(i, r).unwrap();
        assert_eq!(note, None);
        assert_eq!(pair.initiator.to_string(), "8aae1cfed59b39bb");
        assert_eq!(pair.responder.to_string(), "19801cac664ec217");
    }

    #[test]
    fn labels_decide_the_order() {
        let t = |s: &str| Spi::parse_text(s.as_bytes()).unwrap();
        let (a, b) = ("8aae1cfed59b39bb", "19801cac664ec217");
        let want = SpiPair::new(Spi::parse(a).unwrap(), Spi::parse(b).unwrap());
        for (x, y) in [
            (format!("{b}_r"), format!("{a}_i")),
            (format!("{b}_r"), a.to_string()),
            (b.to_string(), format!("{a}_i*")),
        ] {
            let (pair, note) = SpiPair::from_texts(t(&x), t(&y)).unwrap();
            assert_eq!(pair, want, "{x} {y}");
            let note = note.unwrap().to_string();
            assert!(
                note.contains("responder first")
                    && note.contains(&format!("SPI-I (the initiator's, _i) is {a}")),
                "{note}"
            );
        }
        for (x, y) in [
            (format!("{a}_i"), format!("{b}_r")),
            (format!("{a}_i"), b.to_string()),
            (a.to_string(), format!("{b}_r")),
            (a.to_string(), b.to_string()),
        ] {
            assert_eq!(SpiPair::from_texts(t(&x), t(&y)).unwrap(), (want, None));
        }
        let e = SpiPair::from_texts(t(&format!("{a}_i")), t(&format!("{b}_i"))).unwrap_err();
        assert_eq!(e, SpiError::SameRole(Role::Initiator));
        assert!(e.to_string().contains("both SPIs are marked _i"), "{e}");
    }

    #[test]
    fn a_zero_initiator_spi_first_looks_swapped() {
        let t = |s: &str| Spi::parse_text(s.as_bytes()).unwrap();
        let (pair, note) =
            SpiPair::from_texts(t("0000000000000000"), t("19801cac664ec217")).unwrap();
        assert!(pair.initiator.is_zero(), "kept as given");
        let note = note.unwrap().to_string();
        assert!(
            note.contains("look swapped") && note.contains("SPI-I is 19801cac664ec217"),
            "{note}"
        );
        // A zero SPI-R (IKE_SA_INIT request) is in the right place.
        let (_, note) = SpiPair::from_texts(t("19801cac664ec217"), t("0000000000000000")).unwrap();
        assert_eq!(note, None);
    }

    /// The word-at-a-time decoder agrees with a table for every byte value
    /// in every position.
    #[test]
    fn decode16_agrees_with_a_table() {
        let good = *b"0123456789abcdef";
        assert_eq!(decode16(&good).unwrap().to_string(), "0123456789abcdef");
        assert_eq!(
            decode16(b"FEDCBA9876543210").unwrap().to_string(),
            "fedcba9876543210"
        );
        for pos in 0..16 {
            for b in 0..=255u8 {
                let mut d = good;
                d[pos] = b;
                let want = d
                    .iter()
                    .all(|c| HEX_VALUE[*c as usize] < 16)
                    .then(|| Spi(hex::decode(d).unwrap().try_into().unwrap()));
                assert_eq!(decode16(&d), want, "byte {b:#x} at {pos}");
            }
        }
    }

    #[test]
    fn parse_ascii_agrees_with_parse() {
        for s in [
            "0123456789abcdef",
            "0123456789ABCDEF",
            "0x0123456789abcdef",
            "01:23:45:67:89:ab:cd:ef",
            "0123456789abcdef_i",
            "0123456789abcdeg",
            "0123",
            "+123456789abcdef",
        ] {
            assert_eq!(Spi::parse_ascii(s.as_bytes()), Spi::parse(s), "{s}");
        }
    }

    #[test]
    fn rejects_with_a_description_never_the_text() {
        let token = "4c0f9a7e1b2d3c4e5f60718293a4b5c6d7e8f90112233445566778899aabbccd";
        let cases = [
            ("0123", "4 hex digits"),
            ("0123456789abcdef00", "18 hex digits"),
            (token, "64 hex digits"),
            (
                "0123456789abcdeg",
                "the non-hex character 'g' at position 16",
            ),
            ("01:23:45:67:89:ab:cd", "14 hex digits"),
            ("1:23:45:67:89:ab:cd:ef", "15 hex digits"),
            ("", "an empty field"),
            ("192.0.2.7", "an IPv4 address"),
            (
                "gateway-7.example",
                "17 bytes starting \"g\" with the non-hex character 'g'",
            ),
            ("sunrise.example", "15 bytes starting \"sunris\""),
        ];
        for (input, reason) in cases {
            let msg = Spi::parse(input).unwrap_err().to_string();
            assert!(msg.contains(reason), "{input}: {msg}");
            if input.len() > 4 {
                assert!(!msg.contains(input), "{input} echoed: {msg}");
            }
        }
        // Prefixes stop at the first hex digit and at 12 characters.
        let shape = FieldShape::of(b"zzzzzzzzzzzzzzzzzzzz");
        assert_eq!(shape.prefix.len(), FieldShape::PREFIX_MAX);
        assert_eq!(FieldShape::of(b"xyz1234").prefix, "xyz");
        assert_eq!(FieldShape::of(b"feed").prefix, "");
        // A non-ASCII character is named by its code point.
        let msg = Spi::parse("0123456789abcdé").unwrap_err().to_string();
        assert!(msg.contains("U+00E9"), "{msg}");
    }
}
