//! The Configuration payload (RFC 7296 §3.15): a CFG type and attributes
//! (a reserved bit, a 15-bit type, a length and a value), with the
//! [`CfgAttrType`] registry saying how each attribute's value is laid out
//! ([`ValueFormat`]).
//!
//! Not here: address assignment.

use std::fmt;

use super::{read_u16, WireError};

/// CFG type and reserved field.
pub const CP_FIXED_LEN: usize = 4;
/// Attribute type and length.
pub const CP_ATTRIBUTE_HEADER_LEN: usize = 4;

/// IANA "IKEv2 Configuration Payload CFG Types".
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CfgType(pub u8);

impl CfgType {
    pub const REQUEST: CfgType = CfgType(1);
    pub const REPLY: CfgType = CfgType(2);

    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "CFG_REQUEST",
            2 => "CFG_REPLY",
            3 => "CFG_SET",
            4 => "CFG_ACK",
            _ => return None,
        })
    }
}

impl fmt::Display for CfgType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.name(), self.0) {
            (Some(n), _) => f.write_str(n),
            (None, v @ 128..=255) => write!(f, "private-use CFG type {v}"),
            (None, v) => write!(f, "unassigned CFG type {v}"),
        }
    }
}

impl fmt::Debug for CfgType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CfgType({}, {self})", self.0)
    }
}

/// How a configuration attribute's value is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueFormat {
    /// Zero or more IPv4 addresses.
    Ipv4List,
    /// Zero or more IPv4 address and netmask pairs.
    Ipv4Subnets,
    /// Zero or more IPv6 addresses.
    Ipv6List,
    /// Zero or more IPv6 addresses each followed by a prefix length octet.
    Ipv6Prefixes,
    /// Text (UTF-8 or ASCII).
    Text,
    /// A list of 16-bit attribute types.
    AttributeTypes,
    /// A 32-bit number of seconds.
    Seconds,
    /// Anything else: bytes.
    Bytes,
}

/// IANA "IKEv2 Configuration Payload Attribute Types".
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CfgAttrType(pub u16);

impl CfgAttrType {
    pub const INTERNAL_IP4_ADDRESS: CfgAttrType = CfgAttrType(1);
    pub const INTERNAL_IP4_DNS: CfgAttrType = CfgAttrType(3);
    pub const INTERNAL_IP6_ADDRESS: CfgAttrType = CfgAttrType(8);
    pub const APPLICATION_VERSION: CfgAttrType = CfgAttrType(7);

    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "INTERNAL_IP4_ADDRESS",
            2 => "INTERNAL_IP4_NETMASK",
            3 => "INTERNAL_IP4_DNS",
            4 => "INTERNAL_IP4_NBNS",
            6 => "INTERNAL_IP4_DHCP",
            7 => "APPLICATION_VERSION",
            8 => "INTERNAL_IP6_ADDRESS",
            10 => "INTERNAL_IP6_DNS",
            12 => "INTERNAL_IP6_DHCP",
            13 => "INTERNAL_IP4_SUBNET",
            14 => "SUPPORTED_ATTRIBUTES",
            15 => "INTERNAL_IP6_SUBNET",
            16 => "MIP6_HOME_PREFIX",
            17 => "INTERNAL_IP6_LINK",
            18 => "INTERNAL_IP6_PREFIX",
            19 => "HOME_AGENT_ADDRESS",
            20 => "P_CSCF_IP4_ADDRESS",
            21 => "P_CSCF_IP6_ADDRESS",
            22 => "FTT_KAT",
            23 => "EXTERNAL_SOURCE_IP4_NAT_INFO",
            24 => "TIMEOUT_PERIOD_FOR_LIVENESS_CHECK",
            25 => "INTERNAL_DNS_DOMAIN",
            26 => "INTERNAL_DNSSEC_TA",
            27 => "ENCDNS_IP4",
            28 => "ENCDNS_IP6",
            29 => "ENCDNS_DIGEST_INFO",
            _ => return None,
        })
    }

    /// The layout of this attribute's value (RFC 7296 §3.15.1, RFC 5739,
    /// RFC 7651, RFC 8598).
    pub fn value_format(self) -> ValueFormat {
        match self.0 {
            1..=4 | 6 | 20 => ValueFormat::Ipv4List,
            13 => ValueFormat::Ipv4Subnets,
            10 | 12 | 21 => ValueFormat::Ipv6List,
            8 | 15 | 18 => ValueFormat::Ipv6Prefixes,
            7 | 25 => ValueFormat::Text,
            14 => ValueFormat::AttributeTypes,
            24 => ValueFormat::Seconds,
            _ => ValueFormat::Bytes,
        }
    }
}

impl fmt::Display for CfgAttrType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.name(), self.0) {
            (Some(n), _) => f.write_str(n),
            (None, v @ 16384..=32767) => write!(f, "private-use attribute {v}"),
            (None, v) => write!(f, "unassigned attribute {v}"),
        }
    }
}

impl fmt::Debug for CfgAttrType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CfgAttrType({}, {self})", self.0)
    }
}

/// One configuration attribute, borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CfgAttribute<'a> {
    /// Offset of the attribute in the whole input.
    pub offset: usize,
    pub attr_type: CfgAttrType,
    pub value: &'a [u8],
}

/// A view of a CP payload body.
#[derive(Debug, Clone)]
pub struct Configuration<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Configuration<T> {
    pub fn new_unchecked(buffer: T) -> Configuration<T> {
        Configuration { buffer }
    }

    pub fn new_checked(buffer: T) -> Result<Configuration<T>, WireError> {
        let len = buffer.as_ref().len();
        if len < CP_FIXED_LEN {
            return Err(WireError::Truncated {
                offset: 0,
                field: "CFG type",
                needed: CP_FIXED_LEN,
                available: len,
            });
        }
        Ok(Configuration { buffer })
    }

    pub fn cfg_type(&self) -> CfgType {
        CfgType(self.buffer.as_ref()[0])
    }

    /// The attributes, offsets counting from `base` (the body's offset in
    /// the whole input); stops at the first malformed one.
    pub fn attributes(&self, base: usize) -> CfgAttributeIter<'_> {
        CfgAttributeIter {
            data: &self.buffer.as_ref()[CP_FIXED_LEN..],
            at: 0,
            base: base + CP_FIXED_LEN,
            done: false,
        }
    }
}

/// Iterates over the attributes of a CP payload.
#[derive(Debug, Clone)]
pub struct CfgAttributeIter<'a> {
    data: &'a [u8],
    at: usize,
    base: usize,
    done: bool,
}

impl<'a> Iterator for CfgAttributeIter<'a> {
    type Item = Result<CfgAttribute<'a>, WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.at >= self.data.len() {
            return None;
        }
        let rest = &self.data[self.at..];
        let offset = self.base + self.at;
        if rest.len() < CP_ATTRIBUTE_HEADER_LEN {
            self.done = true;
            return Some(Err(WireError::Truncated {
                offset,
                field: "configuration attribute",
                needed: CP_ATTRIBUTE_HEADER_LEN,
                available: rest.len(),
            }));
        }
        let attr_type = CfgAttrType(read_u16(rest, 0..2) & 0x7fff);
        let len = read_u16(rest, 2..4) as usize;
        if CP_ATTRIBUTE_HEADER_LEN + len > rest.len() {
            self.done = true;
            return Some(Err(WireError::Malformed {
                offset: offset + 2,
                field: "attribute length",
                reason: format!(
                    "{attr_type} length {len} runs past the {} bytes left in the CP payload",
                    rest.len() - CP_ATTRIBUTE_HEADER_LEN
                ),
            }));
        }
        self.at += CP_ATTRIBUTE_HEADER_LEN + len;
        Some(Ok(CfgAttribute {
            offset,
            attr_type,
            value: &rest[CP_ATTRIBUTE_HEADER_LEN..CP_ATTRIBUTE_HEADER_LEN + len],
        }))
    }
}

/// A configuration attribute, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CfgAttributeRepr {
    pub attr_type: CfgAttrType,
    pub value: Vec<u8>,
}

/// A CP payload body, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpRepr {
    pub cfg_type: CfgType,
    pub attributes: Vec<CfgAttributeRepr>,
}

impl CpRepr {
    pub fn parse<T: AsRef<[u8]>>(c: &Configuration<T>) -> Result<CpRepr, WireError> {
        Ok(CpRepr {
            cfg_type: c.cfg_type(),
            attributes: c
                .attributes(0)
                .map(|a| {
                    a.map(|a| CfgAttributeRepr {
                        attr_type: a.attr_type,
                        value: a.value.to_vec(),
                    })
                })
                .collect::<Result<_, _>>()?,
        })
    }

    pub fn buffer_len(&self) -> usize {
        CP_FIXED_LEN
            + self
                .attributes
                .iter()
                .map(|a| CP_ATTRIBUTE_HEADER_LEN + a.value.len())
                .sum::<usize>()
    }

    /// The body bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, WireError> {
        let mut v = Vec::with_capacity(self.buffer_len());
        v.extend_from_slice(&[self.cfg_type.0, 0, 0, 0]);
        for a in &self.attributes {
            let len = u16::try_from(a.value.len()).map_err(|_| WireError::TooLong {
                field: "attribute length",
                value: a.value.len(),
                max: u16::MAX as usize,
            })?;
            v.extend_from_slice(&(a.attr_type.0 & 0x7fff).to_be_bytes());
            v.extend_from_slice(&len.to_be_bytes());
            v.extend_from_slice(&a.value);
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_round_trip() {
        let cp = CpRepr {
            cfg_type: CfgType::REPLY,
            attributes: vec![
                CfgAttributeRepr {
                    attr_type: CfgAttrType::INTERNAL_IP4_ADDRESS,
                    value: vec![10, 0, 0, 2],
                },
                CfgAttributeRepr {
                    attr_type: CfgAttrType::INTERNAL_IP4_DNS,
                    value: vec![],
                },
            ],
        };
        let b = cp.to_bytes().unwrap();
        let c = Configuration::new_checked(&b[..]).unwrap();
        assert_eq!(c.cfg_type().to_string(), "CFG_REPLY");
        assert_eq!(CpRepr::parse(&c).unwrap(), cp);
        assert_eq!(c.attributes(100).next().unwrap().unwrap().offset, 104);
        let e = CpRepr::parse(&Configuration::new_checked(&b[..10]).unwrap()).unwrap_err();
        assert_eq!((e.offset(), e.field()), (6, "attribute length"));
        assert_eq!(CfgAttrType(3).value_format(), ValueFormat::Ipv4List);
        assert_eq!(
            CfgAttrType(20000).to_string(),
            "private-use attribute 20000"
        );
    }
}
