//! The Key Exchange payload (RFC 7296 §3.4): the key exchange method
//! (Diffie-Hellman group) and the public value. A view over the body (after
//! the generic header), the owned [`KeRepr`], and the [`DhGroup`] registry,
//! which SA transforms and the INVALID_KE_PAYLOAD notification also use.
//!
//! Not here: any arithmetic on the public value.

use std::fmt;

use super::{read_u16, Field, WireError};

mod field {
    use super::Field;
    pub const GROUP: Field = 0..2;
    pub const DATA: usize = 4;
}

/// Group number and reserved field.
pub const KE_FIXED_LEN: usize = 4;

/// IANA "Transform Type 4 - Key Exchange Method Transform IDs" (formerly
/// Diffie-Hellman Group Transform IDs). Names as strongSwan and most logs
/// print them (`MODP_2048`, `ECP_256`, `CURVE_25519`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DhGroup(pub u16);

impl DhGroup {
    pub const MODP_2048: DhGroup = DhGroup(14);
    pub const ECP_256: DhGroup = DhGroup(19);
    pub const CURVE_25519: DhGroup = DhGroup(31);

    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "NONE",
            1 => "MODP_768",
            2 => "MODP_1024",
            5 => "MODP_1536",
            14 => "MODP_2048",
            15 => "MODP_3072",
            16 => "MODP_4096",
            17 => "MODP_6144",
            18 => "MODP_8192",
            19 => "ECP_256",
            20 => "ECP_384",
            21 => "ECP_521",
            22 => "MODP_1024_160",
            23 => "MODP_2048_224",
            24 => "MODP_2048_256",
            25 => "ECP_192",
            26 => "ECP_224",
            27 => "ECP_224_BP",
            28 => "ECP_256_BP",
            29 => "ECP_384_BP",
            30 => "ECP_512_BP",
            31 => "CURVE_25519",
            32 => "CURVE_448",
            33 => "GOST3410_2012_256",
            34 => "GOST3410_2012_512",
            35 => "ML_KEM_512",
            36 => "ML_KEM_768",
            37 => "ML_KEM_1024",
            _ => return None,
        })
    }

    /// The length of a Key Exchange payload's data for this group, where it
    /// is fixed (MODP: the prime's size; ECP: both coordinates, RFC 5903;
    /// Curve25519/448: RFC 8031). `None` for groups whose public values
    /// differ by direction (ML-KEM) or that qcd does not know.
    pub fn public_value_len(self) -> Option<usize> {
        Some(match self.0 {
            1 => 96,
            2 | 22 => 128,
            5 => 192,
            14 | 23 | 24 => 256,
            15 => 384,
            16 => 512,
            17 => 768,
            18 => 1024,
            19 | 28 => 64,
            20 | 29 => 96,
            21 => 132,
            25 => 48,
            26 | 27 => 56,
            30 => 128,
            31 => 32,
            32 => 56,
            _ => return None,
        })
    }
}

impl fmt::Display for DhGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.name(), self.0) {
            (Some(n), _) => f.write_str(n),
            (None, v @ 1024..=65535) => write!(f, "private-use group {v}"),
            (None, v) => write!(f, "unassigned group {v}"),
        }
    }
}

impl fmt::Debug for DhGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DhGroup({}, {self})", self.0)
    }
}

/// A view of a Key Exchange payload body.
#[derive(Debug, Clone)]
pub struct KeyExchange<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> KeyExchange<T> {
    pub fn new_unchecked(buffer: T) -> KeyExchange<T> {
        KeyExchange { buffer }
    }

    /// Checks that the group and reserved fields are present (offsets in
    /// errors are relative to the body).
    pub fn new_checked(buffer: T) -> Result<KeyExchange<T>, WireError> {
        let len = buffer.as_ref().len();
        if len < KE_FIXED_LEN {
            return Err(WireError::Truncated {
                offset: 0,
                field: "KE group",
                needed: KE_FIXED_LEN,
                available: len,
            });
        }
        Ok(KeyExchange { buffer })
    }

    pub fn group(&self) -> DhGroup {
        DhGroup(read_u16(self.buffer.as_ref(), field::GROUP))
    }
    /// The reserved bytes (should be zero).
    pub fn reserved(&self) -> u16 {
        read_u16(self.buffer.as_ref(), 2..4)
    }
    pub fn data(&self) -> &[u8] {
        &self.buffer.as_ref()[field::DATA..]
    }
}

/// A Key Exchange payload body, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeRepr {
    pub group: DhGroup,
    pub data: Vec<u8>,
}

impl KeRepr {
    pub fn parse<T: AsRef<[u8]>>(k: &KeyExchange<T>) -> KeRepr {
        KeRepr {
            group: k.group(),
            data: k.data().to_vec(),
        }
    }

    pub fn buffer_len(&self) -> usize {
        KE_FIXED_LEN + self.data.len()
    }

    /// The body bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.buffer_len());
        v.extend_from_slice(&self.group.0.to_be_bytes());
        v.extend_from_slice(&[0, 0]);
        v.extend_from_slice(&self.data);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_repr_and_names() {
        let ke = KeRepr {
            group: DhGroup::ECP_256,
            data: vec![9; 64],
        };
        let b = ke.to_bytes();
        let v = KeyExchange::new_checked(&b[..]).unwrap();
        assert_eq!(v.group(), DhGroup(19));
        assert_eq!(v.data().len(), 64);
        assert_eq!(KeRepr::parse(&v), ke);
        assert_eq!(DhGroup(19).to_string(), "ECP_256");
        assert_eq!(DhGroup(19).public_value_len(), Some(64));
        assert_eq!(DhGroup(38).to_string(), "unassigned group 38");
        assert_eq!(DhGroup(2000).to_string(), "private-use group 2000");
        assert_eq!(
            KeyExchange::new_checked(&b[..3]).unwrap_err().field(),
            "KE group"
        );
    }
}
