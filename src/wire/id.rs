//! The Identification payloads IDi and IDr (RFC 7296 §3.5): the ID type
//! and the identification data, with [`IdValue`] reading the data as its
//! type says (an address, a name, a DER distinguished name, a key ID).
//!
//! Not here: matching identities against configuration.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::{der, WireError};

mod field {
    pub const TYPE: usize = 0;
    pub const DATA: usize = 4;
}

/// ID type and reserved field.
pub const ID_FIXED_LEN: usize = 4;

/// IANA "IKEv2 Identification Payload ID Types".
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdType(pub u8);

impl IdType {
    pub const IPV4_ADDR: IdType = IdType(1);
    pub const FQDN: IdType = IdType(2);
    pub const RFC822_ADDR: IdType = IdType(3);
    pub const IPV6_ADDR: IdType = IdType(5);
    pub const DER_ASN1_DN: IdType = IdType(9);
    pub const DER_ASN1_GN: IdType = IdType(10);
    pub const KEY_ID: IdType = IdType(11);
    pub const NULL: IdType = IdType(13);

    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "ID_IPV4_ADDR",
            2 => "ID_FQDN",
            3 => "ID_RFC822_ADDR",
            5 => "ID_IPV6_ADDR",
            9 => "ID_DER_ASN1_DN",
            10 => "ID_DER_ASN1_GN",
            11 => "ID_KEY_ID",
            12 => "ID_FC_NAME",
            13 => "ID_NULL",
            _ => return None,
        })
    }
}

impl fmt::Display for IdType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.name(), self.0) {
            (Some(n), _) => f.write_str(n),
            (None, v @ 201..=255) => write!(f, "private-use ID type {v}"),
            (None, v) => write!(f, "unassigned ID type {v}"),
        }
    }
}

impl fmt::Debug for IdType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdType({}, {self})", self.0)
    }
}

/// A view of an IDi or IDr payload body.
#[derive(Debug, Clone)]
pub struct Identification<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Identification<T> {
    pub fn new_unchecked(buffer: T) -> Identification<T> {
        Identification { buffer }
    }

    /// Checks that the ID type and reserved field are present (offsets in
    /// errors are relative to the body).
    pub fn new_checked(buffer: T) -> Result<Identification<T>, WireError> {
        let len = buffer.as_ref().len();
        if len < ID_FIXED_LEN {
            return Err(WireError::Truncated {
                offset: 0,
                field: "ID type",
                needed: ID_FIXED_LEN,
                available: len,
            });
        }
        Ok(Identification { buffer })
    }

    pub fn id_type(&self) -> IdType {
        IdType(self.buffer.as_ref()[field::TYPE])
    }
    pub fn data(&self) -> &[u8] {
        &self.buffer.as_ref()[field::DATA..]
    }

    /// The identification data read as its type says; an address of the
    /// wrong length is an error (offset relative to the body).
    pub fn value(&self) -> Result<IdValue<'_>, WireError> {
        IdValue::parse(self.id_type(), self.data(), field::DATA)
    }
}

/// Identification data as its ID type says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdValue<'a> {
    Ipv4(Ipv4Addr),
    Ipv6(Ipv6Addr),
    /// ID_FQDN or ID_RFC822_ADDR: text (invalid UTF-8 replaced).
    Text(String),
    /// ID_DER_ASN1_DN as RFC 4514-style text.
    Dn(String),
    /// ID_NULL (RFC 7619): no data.
    Null,
    /// Bytes without a text form: ID_KEY_ID, ID_DER_ASN1_GN, ID_FC_NAME, a DN
    /// that does not parse, unknown types.
    Bytes(&'a [u8]),
}

impl<'a> IdValue<'a> {
    /// Reads `data` (at `offset`) as identification data of `id_type`.
    pub fn parse(id_type: IdType, data: &'a [u8], offset: usize) -> Result<IdValue<'a>, WireError> {
        let sized = |n: usize| {
            if data.len() == n {
                Ok(())
            } else {
                Err(WireError::Malformed {
                    offset,
                    field: "identification data",
                    reason: format!(
                        "{id_type} needs {n} bytes, the payload holds {}",
                        data.len()
                    ),
                })
            }
        };
        Ok(match id_type {
            IdType::IPV4_ADDR => {
                sized(4)?;
                IdValue::Ipv4(Ipv4Addr::new(data[0], data[1], data[2], data[3]))
            }
            IdType::IPV6_ADDR => {
                sized(16)?;
                let mut a = [0u8; 16];
                a.copy_from_slice(data);
                IdValue::Ipv6(Ipv6Addr::from(a))
            }
            IdType::FQDN | IdType::RFC822_ADDR => {
                IdValue::Text(String::from_utf8_lossy(data).into_owned())
            }
            IdType::DER_ASN1_DN => match der::name_to_string(data) {
                Some(s) => IdValue::Dn(s),
                None => IdValue::Bytes(data),
            },
            IdType::NULL if data.is_empty() => IdValue::Null,
            _ => IdValue::Bytes(data),
        })
    }
}

impl fmt::Display for IdValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdValue::Ipv4(a) => write!(f, "{a}"),
            IdValue::Ipv6(a) => write!(f, "{a}"),
            IdValue::Text(s) | IdValue::Dn(s) => f.write_str(s),
            IdValue::Null => Ok(()),
            IdValue::Bytes(b) => f.write_str(&crate::encoding::to_hex(b)),
        }
    }
}

/// An IDi/IDr payload body, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdRepr {
    pub id_type: IdType,
    pub data: Vec<u8>,
}

impl IdRepr {
    pub fn fqdn(name: &str) -> IdRepr {
        IdRepr {
            id_type: IdType::FQDN,
            data: name.as_bytes().to_vec(),
        }
    }

    pub fn parse<T: AsRef<[u8]>>(v: &Identification<T>) -> IdRepr {
        IdRepr {
            id_type: v.id_type(),
            data: v.data().to_vec(),
        }
    }

    pub fn buffer_len(&self) -> usize {
        ID_FIXED_LEN + self.data.len()
    }

    /// The body bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.buffer_len());
        v.extend_from_slice(&[self.id_type.0, 0, 0, 0]);
        v.extend_from_slice(&self.data);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_by_type() {
        let b = IdRepr {
            id_type: IdType::IPV4_ADDR,
            data: vec![192, 0, 2, 1],
        }
        .to_bytes();
        let v = Identification::new_checked(&b[..]).unwrap();
        assert_eq!(v.value().unwrap().to_string(), "192.0.2.1");
        let b = IdRepr::fqdn("gw.example").to_bytes();
        let v = Identification::new_checked(&b[..]).unwrap();
        assert_eq!(v.id_type().to_string(), "ID_FQDN");
        assert_eq!(v.value().unwrap(), IdValue::Text("gw.example".into()));
        assert_eq!(IdRepr::parse(&v), IdRepr::fqdn("gw.example"));
        // ikev2-id-short: an IPv4 identity without its address
        let short = [1u8, 0, 0, 0, 0xde];
        let v = Identification::new_checked(&short[..]).unwrap();
        let e = v.value().unwrap_err();
        assert_eq!((e.offset(), e.field()), (4, "identification data"));
        assert_eq!(
            Identification::new_checked(&short[..1])
                .unwrap_err()
                .field(),
            "ID type"
        );
        let key = [11u8, 0, 0, 0, 0xab, 0xcd];
        let v = Identification::new_checked(&key[..]).unwrap();
        assert_eq!(v.value().unwrap().to_string(), "abcd");
        assert_eq!(IdType(200).to_string(), "unassigned ID type 200");
    }
}
