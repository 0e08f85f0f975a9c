//! IKE SPIs (8 bytes each, as carried in the IKE header) and the SPI pair that
//! names an IKE SA, with the textual forms operators paste from logs and
//! Wireshark: `0123456789abcdef`, `0x0123456789ABCDEF`, `01:23:45:67:89:ab:cd:ef`.

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

/// Why a string is not an SPI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpiError {
    #[error("{input:?} is not an SPI: expected 16 hex digits (optional 0x prefix, any case) or the colon-separated form 01:23:45:67:89:ab:cd:ef, got {found}")]
    Invalid { input: String, found: String },
}

impl Spi {
    /// Parses `0123456789abcdef`, `0x…`, upper case, or `01:23:…:ef`.
    ///
    /// ```
    /// use qcd::spi::Spi;
    /// let a = Spi::parse("0x0123456789ABCDEF").unwrap();
    /// let b = Spi::parse("01:23:45:67:89:ab:cd:ef").unwrap();
    /// assert_eq!(a, b);
    /// assert_eq!(a.to_string(), "0123456789abcdef");
    /// assert!(Spi::parse("0123").is_err());
    /// ```
    pub fn parse(input: &str) -> Result<Spi, SpiError> {
        let err = |found: String| SpiError::Invalid {
            input: input.to_string(),
            found,
        };
        let s = input.trim();
        let s = s
            .strip_prefix("0x")
            .or_else(|| s.strip_prefix("0X"))
            .unwrap_or(s);
        let digits: String = if s.contains(':') {
            let groups: Vec<&str> = s.split(':').collect();
            if groups.len() != 8 || groups.iter().any(|g| g.len() != 2) {
                return Err(err(format!(
                    "{} colon-separated groups (need 8 groups of 2 hex digits)",
                    groups.len()
                )));
            }
            groups.concat()
        } else {
            s.to_string()
        };
        if let Some((i, c)) = digits.char_indices().find(|(_, c)| !c.is_ascii_hexdigit()) {
            return Err(err(format!(
                "the non-hex character {c:?} at position {}",
                i + 1
            )));
        }
        if digits.len() != 16 {
            return Err(err(format!("{} hex digits", digits.len())));
        }
        let mut out = [0u8; 8];
        hex::decode_to_slice(&digits, &mut out).map_err(|e| err(e.to_string()))?;
        Ok(Spi(out))
    }

    /// Parses ASCII bytes (a field of a batch line): the plain 16-hex-digit
    /// form without allocating, every other form and every error through
    /// [`Spi::parse`].
    pub fn parse_ascii(input: &[u8]) -> Result<Spi, SpiError> {
        if let Ok(digits) = <&[u8; 16]>::try_from(input) {
            let mut out = [0u8; 8];
            let mut bad = 0u8;
            for (o, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
                let (hi, lo) = (hex_value(pair[0]), hex_value(pair[1]));
                bad |= hi | lo;
                *o = (hi << 4) | lo;
            }
            if bad < 16 {
                return Ok(Spi(out));
            }
        }
        Spi::parse(&String::from_utf8_lossy(input))
    }

    pub fn is_zero(&self) -> bool {
        self.0 == [0; 8]
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
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

fn hex_value(c: u8) -> u8 {
    HEX_VALUE[c as usize]
}

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

impl SpiPair {
    pub fn new(initiator: Spi, responder: Spi) -> Self {
        SpiPair {
            initiator,
            responder,
        }
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
            "  0123456789abcdef\n",
        ] {
            assert_eq!(Spi::parse(s).unwrap(), want, "{s}");
        }
        assert_eq!(want.to_string(), "0123456789abcdef");
    }

    #[test]
    fn parse_ascii_agrees_with_parse() {
        for s in [
            "0123456789abcdef",
            "0123456789ABCDEF",
            "0x0123456789abcdef",
            "01:23:45:67:89:ab:cd:ef",
            "0123456789abcdeg",
            "0123",
            "+123456789abcdef",
        ] {
            assert_eq!(Spi::parse_ascii(s.as_bytes()), Spi::parse(s), "{s}");
        }
    }

    #[test]
    fn rejects_with_a_reason() {
        let cases = [
            ("0123", "4 hex digits"),
            ("0123456789abcdef00", "18 hex digits"),
            ("0123456789abcdeg", "'g' at position 16"),
            ("01:23:45:67:89:ab:cd", "7 colon-separated groups"),
            ("1:23:45:67:89:ab:cd:ef", "8 colon-separated groups"),
            ("", "0 hex digits"),
        ];
        for (input, reason) in cases {
            let msg = Spi::parse(input).unwrap_err().to_string();
            assert!(msg.contains(reason), "{input}: {msg}");
        }
    }
}
