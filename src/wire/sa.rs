//! The SA payload (RFC 7296 §3.3): proposals, their transforms and the
//! transforms' attributes, as borrowed views ([`proposals`], [`Proposal`],
//! [`Transform`], [`Attribute`]) and owned Reprs ([`SaRepr`],
//! [`ProposalRepr`], [`TransformRepr`], [`AttributeRepr`]) that parse and emit.
//! The transform registries ([`TransformType`] and the IDs of each type) name
//! what the numbers mean.
//!
//! An IKE SA rekey (CREATE_CHILD_SA) carries the new IKE SA's SPI in its
//! proposal, which is how a rekeyed SA is linked to the QCD token given in
//! that exchange.
//!
//! Not here: which proposal a peer should choose.

use std::fmt;

use super::ke::DhGroup;
use super::{read_u16, ProtocolId, WireError};

/// Proposal substructure header: last(1) reserved(1) length(2) number(1)
/// protocol(1) SPI size(1) transforms(1).
pub const PROPOSAL_FIXED_LEN: usize = 8;
/// Transform substructure header: last(1) reserved(1) length(2) type(1)
/// reserved(1) transform ID(2).
pub const TRANSFORM_FIXED_LEN: usize = 8;
/// "Last Substruc" of the last proposal or transform.
pub const LAST: u8 = 0;
/// "Last Substruc" of a proposal followed by another one.
pub const MORE_PROPOSALS: u8 = 2;
/// "Last Substruc" of a transform followed by another one.
pub const MORE_TRANSFORMS: u8 = 3;
/// Attribute format bit: set for a fixed 2-byte value (TV), clear for TLV.
pub const ATTRIBUTE_TV: u16 = 0x8000;

mod field {
    use crate::wire::Field;
    pub const LAST: usize = 0;
    pub const LENGTH: Field = 2..4;
    pub const NUMBER: usize = 4;
    pub const PROTOCOL: usize = 5;
    pub const SPI_SIZE: usize = 6;
    pub const TRANSFORMS: usize = 7;
    pub const TRANSFORM_TYPE: usize = 4;
    pub const TRANSFORM_ID: Field = 6..8;
}

/// IANA "Transform Type Values".
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TransformType(pub u8);

impl TransformType {
    pub const ENCR: TransformType = TransformType(1);
    pub const PRF: TransformType = TransformType(2);
    pub const INTEG: TransformType = TransformType(3);
    /// Key Exchange Method, formerly Diffie-Hellman group.
    pub const DH: TransformType = TransformType(4);
    /// Sequence numbers (Extended Sequence Numbers).
    pub const ESN: TransformType = TransformType(5);

    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "ENCR",
            2 => "PRF",
            3 => "INTEG",
            4 => "DH",
            5 => "ESN",
            6 => "ADDKE1",
            7 => "ADDKE2",
            8 => "ADDKE3",
            9 => "ADDKE4",
            10 => "ADDKE5",
            11 => "ADDKE6",
            12 => "ADDKE7",
            13 => "KWA",
            14 => "GCAUTH",
            _ => return None,
        })
    }

    /// The name of transform ID `id` of this type.
    pub fn id_name(self, id: u16) -> Option<&'static str> {
        match self.0 {
            1 => EncrId(id).name(),
            2 => PrfId(id).name(),
            3 => IntegId(id).name(),
            4 | 6..=12 => DhGroup(id).name(),
            5 => match id {
                0 => Some("NO_ESN"),
                1 => Some("ESN"),
                _ => None,
            },
            _ => None,
        }
    }
}

impl fmt::Display for TransformType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.name(), self.0) {
            (Some(n), _) => f.write_str(n),
            (None, v @ 241..=255) => write!(f, "private-use transform type {v}"),
            (None, v) => write!(f, "unassigned transform type {v}"),
        }
    }
}

impl fmt::Debug for TransformType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TransformType({}, {self})", self.0)
    }
}

/// IANA "Transform Type 1 - Encryption Algorithm Transform IDs".
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct EncrId(pub u16);

impl EncrId {
    pub const AES_CBC: EncrId = EncrId(12);
    pub const AES_GCM_16: EncrId = EncrId(20);
    pub const AES_GCM_12: EncrId = EncrId(19);
    pub const AES_GCM_8: EncrId = EncrId(18);

    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "ENCR_DES_IV64",
            2 => "ENCR_DES",
            3 => "ENCR_3DES",
            4 => "ENCR_RC5",
            5 => "ENCR_IDEA",
            6 => "ENCR_CAST",
            7 => "ENCR_BLOWFISH",
            8 => "ENCR_3IDEA",
            9 => "ENCR_DES_IV32",
            11 => "ENCR_NULL",
            12 => "ENCR_AES_CBC",
            13 => "ENCR_AES_CTR",
            14 => "ENCR_AES_CCM_8",
            15 => "ENCR_AES_CCM_12",
            16 => "ENCR_AES_CCM_16",
            18 => "ENCR_AES_GCM_8",
            19 => "ENCR_AES_GCM_12",
            20 => "ENCR_AES_GCM_16",
            21 => "ENCR_NULL_AUTH_AES_GMAC",
            23 => "ENCR_CAMELLIA_CBC",
            24 => "ENCR_CAMELLIA_CTR",
            25 => "ENCR_CAMELLIA_CCM_8",
            26 => "ENCR_CAMELLIA_CCM_12",
            27 => "ENCR_CAMELLIA_CCM_16",
            28 => "ENCR_CHACHA20_POLY1305",
            29 => "ENCR_AES_CCM_8_IIV",
            30 => "ENCR_AES_GCM_16_IIV",
            31 => "ENCR_CHACHA20_POLY1305_IIV",
            32 => "ENCR_KUZNYECHIK_MGM_KTREE",
            33 => "ENCR_MAGMA_MGM_KTREE",
            34 => "ENCR_KUZNYECHIK_MGM_MAC_KTREE",
            35 => "ENCR_MAGMA_MGM_MAC_KTREE",
            _ => return None,
        })
    }
}

/// IANA "Transform Type 2 - Pseudorandom Function Transform IDs".
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct PrfId(pub u16);

impl PrfId {
    pub const HMAC_SHA1: PrfId = PrfId(2);
    pub const HMAC_SHA2_256: PrfId = PrfId(5);
    pub const HMAC_SHA2_384: PrfId = PrfId(6);
    pub const HMAC_SHA2_512: PrfId = PrfId(7);

    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "PRF_HMAC_MD5",
            2 => "PRF_HMAC_SHA1",
            3 => "PRF_HMAC_TIGER",
            4 => "PRF_AES128_XCBC",
            5 => "PRF_HMAC_SHA2_256",
            6 => "PRF_HMAC_SHA2_384",
            7 => "PRF_HMAC_SHA2_512",
            8 => "PRF_AES128_CMAC",
            9 => "PRF_HMAC_STREEBOG_512",
            _ => return None,
        })
    }
}

/// IANA "Transform Type 3 - Integrity Algorithm Transform IDs".
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct IntegId(pub u16);

impl IntegId {
    pub const NONE: IntegId = IntegId(0);
    pub const HMAC_SHA1_96: IntegId = IntegId(2);
    pub const HMAC_SHA2_256_128: IntegId = IntegId(12);
    pub const HMAC_SHA2_384_192: IntegId = IntegId(13);
    pub const HMAC_SHA2_512_256: IntegId = IntegId(14);

    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "NONE",
            1 => "AUTH_HMAC_MD5_96",
            2 => "AUTH_HMAC_SHA1_96",
            3 => "AUTH_DES_MAC",
            4 => "AUTH_KPDK_MD5",
            5 => "AUTH_AES_XCBC_96",
            6 => "AUTH_HMAC_MD5_128",
            7 => "AUTH_HMAC_SHA1_160",
            8 => "AUTH_AES_CMAC_96",
            9 => "AUTH_AES_128_GMAC",
            10 => "AUTH_AES_192_GMAC",
            11 => "AUTH_AES_256_GMAC",
            12 => "AUTH_HMAC_SHA2_256_128",
            13 => "AUTH_HMAC_SHA2_384_192",
            14 => "AUTH_HMAC_SHA2_512_256",
            _ => return None,
        })
    }
}

/// IANA "IKEv2 Transform Attribute Types".
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct AttributeType(pub u16);

impl AttributeType {
    /// Key Length in bits (TV), for ciphers with variable key sizes.
    pub const KEY_LENGTH: AttributeType = AttributeType(14);

    pub fn name(self) -> Option<&'static str> {
        match self.0 {
            14 => Some("Key Length"),
            _ => None,
        }
    }
}

/// One transform attribute (RFC 7296 §3.3.5), borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attribute<'a> {
    /// Offset of the attribute in the whole input.
    pub offset: usize,
    pub attr_type: AttributeType,
    /// The value: 2 bytes for TV, the Length bytes for TLV.
    pub value: &'a [u8],
    /// Whether the attribute used the fixed TV format.
    pub tv: bool,
}

impl Attribute<'_> {
    /// The value as a number, for TV attributes.
    pub fn tv_value(&self) -> Option<u16> {
        (self.tv && self.value.len() == 2).then(|| read_u16(self.value, 0..2))
    }
}

/// One transform substructure (RFC 7296 §3.3.2), borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transform<'a> {
    /// Offset of the transform in the whole input.
    pub offset: usize,
    pub last: u8,
    pub transform_type: TransformType,
    pub id: u16,
    /// The attribute bytes, undecoded; see [`Transform::attributes`].
    pub attribute_bytes: &'a [u8],
}

impl<'a> Transform<'a> {
    /// The transform's attributes.
    pub fn attributes(&self) -> AttributeIter<'a> {
        AttributeIter {
            data: self.attribute_bytes,
            at: 0,
            base: self.offset + TRANSFORM_FIXED_LEN,
            done: false,
        }
    }

    /// The Key Length attribute, in bits, if present and well formed.
    pub fn key_length(&self) -> Option<u16> {
        self.attributes()
            .filter_map(Result::ok)
            .find(|a| a.attr_type == AttributeType::KEY_LENGTH)
            .and_then(|a| a.tv_value())
    }
}

/// One proposal substructure (RFC 7296 §3.3.1), borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Proposal<'a> {
    /// Offset of the proposal in the whole input.
    pub offset: usize,
    /// The "Last Substruc" field (see [`check_last`]).
    pub last: u8,
    pub number: u8,
    pub protocol_id: ProtocolId,
    pub spi: &'a [u8],
    /// The "Num Transforms" field.
    pub transform_count: u8,
    /// The transform substructures, undecoded; see [`Proposal::transforms_iter`].
    pub transforms: &'a [u8],
}

impl<'a> Proposal<'a> {
    /// The proposal's transforms.
    pub fn transforms_iter(&self) -> TransformIter<'a> {
        TransformIter {
            data: self.transforms,
            at: 0,
            base: self.offset + PROPOSAL_FIXED_LEN + self.spi.len(),
            walk: Walk::Start,
        }
    }
}

/// Where a walk over "Last Substruc"-chained substructures stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Walk {
    /// Nothing read yet.
    Start,
    /// The previous substructure announced another one.
    More,
    /// The previous substructure was marked last.
    Last,
    /// An error was reported, or the end was reached.
    Done,
}

/// Iterates over the proposals of an SA payload body; offsets count from
/// `base` (the body's offset in the whole input). Yields an error once and
/// stops at the first malformed proposal; bytes after the proposal marked
/// last, or a "more" flag with nothing after it, are errors too.
#[derive(Debug, Clone)]
pub struct ProposalIter<'a> {
    body: &'a [u8],
    at: usize,
    base: usize,
    walk: Walk,
}

/// The proposals of the SA payload `body` (at offset `base`).
pub fn proposals(body: &[u8], base: usize) -> ProposalIter<'_> {
    ProposalIter {
        body,
        at: 0,
        base,
        walk: Walk::Start,
    }
}

/// The shared end-of-walk rules of proposals and transforms: `None` to go
/// on reading at `at`, or what to yield.
fn walk_end<T>(
    walk: &mut Walk,
    at: usize,
    len: usize,
    base: usize,
    what: &'static str,
) -> Option<Option<Result<T, WireError>>> {
    match *walk {
        Walk::Done => Some(None),
        Walk::Start if len == 0 => {
            *walk = Walk::Done;
            Some(None)
        }
        Walk::More if at >= len => {
            *walk = Walk::Done;
            Some(Some(Err(WireError::Truncated {
                offset: base + at,
                field: what,
                needed: 4,
                available: 0,
            })))
        }
        Walk::Last if at < len => {
            *walk = Walk::Done;
            Some(Some(Err(WireError::Malformed {
                offset: base + at,
                field: "last substruc",
                reason: format!(
                    "{} bytes after the {what} marked last (Last Substruc 0)",
                    len - at
                ),
            })))
        }
        Walk::Last => {
            *walk = Walk::Done;
            Some(None)
        }
        Walk::Start | Walk::More => None,
    }
}

/// After a substructure with Last Substruc `last`: a value other than 0
/// and `more` is a problem [`check_last`] reports; the walk then goes on
/// by length, so everything that is there gets read.
fn next_walk(last: u8, more: u8, at: usize, len: usize) -> Walk {
    if last == LAST || (last != more && at >= len) {
        Walk::Last
    } else {
        Walk::More
    }
}

/// Checks a Last Substruc value: 0 for the last substructure, `more` (2 for
/// proposals, 3 for transforms) otherwise.
pub fn check_last(last: u8, more: u8, offset: usize, what: &str) -> Result<(), WireError> {
    if last == LAST || last == more {
        Ok(())
    } else {
        Err(WireError::Malformed {
            offset,
            field: "last substruc",
            reason: format!("{last} in a {what}, expected 0 (last) or {more} (more)"),
        })
    }
}

fn header_len(
    rest: &[u8],
    offset: usize,
    what: &'static str,
    fixed: usize,
) -> Result<usize, WireError> {
    if rest.len() < fixed {
        return Err(WireError::Truncated {
            offset,
            field: what,
            needed: fixed,
            available: rest.len(),
        });
    }
    Ok(read_u16(rest, field::LENGTH) as usize)
}

impl<'a> Iterator for ProposalIter<'a> {
    type Item = Result<Proposal<'a>, WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(end) = walk_end(
            &mut self.walk,
            self.at,
            self.body.len(),
            self.base,
            "proposal",
        ) {
            return end;
        }
        let rest = &self.body[self.at..];
        let offset = self.base + self.at;
        let r = (|| {
            let len = header_len(rest, offset, "proposal", PROPOSAL_FIXED_LEN)?;
            let spi_size = rest[field::SPI_SIZE] as usize;
            if len < PROPOSAL_FIXED_LEN + spi_size || len > rest.len() {
                return Err(WireError::Malformed {
                    offset: offset + field::LENGTH.start,
                    field: "proposal length",
                    reason: format!(
                        "{len} does not fit the {} bytes left with an SPI of {spi_size} bytes",
                        rest.len()
                    ),
                });
            }
            let last = rest[field::LAST];
            let p = Proposal {
                offset,
                last,
                number: rest[field::NUMBER],
                protocol_id: ProtocolId(rest[field::PROTOCOL]),
                spi: &rest[PROPOSAL_FIXED_LEN..PROPOSAL_FIXED_LEN + spi_size],
                transform_count: rest[field::TRANSFORMS],
                transforms: &rest[PROPOSAL_FIXED_LEN + spi_size..len],
            };
            Ok((p, len, last))
        })();
        match r {
            Err(e) => {
                self.walk = Walk::Done;
                Some(Err(e))
            }
            Ok((p, len, last)) => {
                self.at += len;
                self.walk = next_walk(last, MORE_PROPOSALS, self.at, self.body.len());
                Some(Ok(p))
            }
        }
    }
}

/// Iterates over the transforms of a proposal (see [`Proposal::transforms_iter`]).
#[derive(Debug, Clone)]
pub struct TransformIter<'a> {
    data: &'a [u8],
    at: usize,
    base: usize,
    walk: Walk,
}

impl<'a> Iterator for TransformIter<'a> {
    type Item = Result<Transform<'a>, WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(end) = walk_end(
            &mut self.walk,
            self.at,
            self.data.len(),
            self.base,
            "transform",
        ) {
            return end;
        }
        let rest = &self.data[self.at..];
        let offset = self.base + self.at;
        let r = (|| {
            let len = header_len(rest, offset, "transform", TRANSFORM_FIXED_LEN)?;
            if len < TRANSFORM_FIXED_LEN || len > rest.len() {
                return Err(WireError::Malformed {
                    offset: offset + field::LENGTH.start,
                    field: "transform length",
                    reason: format!(
                        "{len} is below the 8-byte transform header or past the {} bytes left in the proposal",
                        rest.len()
                    ),
                });
            }
            let last = rest[field::LAST];
            let t = Transform {
                offset,
                last,
                transform_type: TransformType(rest[field::TRANSFORM_TYPE]),
                id: read_u16(rest, field::TRANSFORM_ID),
                attribute_bytes: &rest[TRANSFORM_FIXED_LEN..len],
            };
            Ok((t, len))
        })();
        match r {
            Err(e) => {
                self.walk = Walk::Done;
                Some(Err(e))
            }
            Ok((t, len)) => {
                self.at += len;
                self.walk = next_walk(t.last, MORE_TRANSFORMS, self.at, self.data.len());
                Some(Ok(t))
            }
        }
    }
}

/// Iterates over the attributes of a transform (see [`Transform::attributes`]).
#[derive(Debug, Clone)]
pub struct AttributeIter<'a> {
    data: &'a [u8],
    at: usize,
    base: usize,
    done: bool,
}

impl<'a> Iterator for AttributeIter<'a> {
    type Item = Result<Attribute<'a>, WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.at >= self.data.len() {
            return None;
        }
        let rest = &self.data[self.at..];
        let offset = self.base + self.at;
        if rest.len() < 4 {
            self.done = true;
            return Some(Err(WireError::Truncated {
                offset,
                field: "transform attribute",
                needed: 4,
                available: rest.len(),
            }));
        }
        let head = read_u16(rest, 0..2);
        let attr_type = AttributeType(head & !ATTRIBUTE_TV);
        let tv = head & ATTRIBUTE_TV != 0;
        let (value, len) = if tv {
            (&rest[2..4], 4)
        } else {
            let vlen = read_u16(rest, 2..4) as usize;
            if 4 + vlen > rest.len() {
                self.done = true;
                return Some(Err(WireError::Malformed {
                    offset: offset + 2,
                    field: "attribute length",
                    reason: format!(
                        "{vlen} runs past the {} bytes left in the transform",
                        rest.len() - 4
                    ),
                }));
            }
            (&rest[4..4 + vlen], 4 + vlen)
        };
        self.at += len;
        Some(Ok(Attribute {
            offset,
            attr_type,
            value,
            tv,
        }))
    }
}

/// A transform attribute value, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttributeValue {
    /// Fixed 2-byte value (TV format).
    Tv(u16),
    /// Variable value (TLV format).
    Tlv(Vec<u8>),
}

/// A transform attribute, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeRepr {
    /// The 15-bit attribute type.
    pub attr_type: AttributeType,
    pub value: AttributeValue,
}

impl AttributeRepr {
    /// The Key Length attribute (bits).
    pub fn key_length(bits: u16) -> AttributeRepr {
        AttributeRepr {
            attr_type: AttributeType::KEY_LENGTH,
            value: AttributeValue::Tv(bits),
        }
    }

    pub fn parse(a: &Attribute<'_>) -> AttributeRepr {
        AttributeRepr {
            attr_type: a.attr_type,
            value: if a.tv {
                AttributeValue::Tv(read_u16(a.value, 0..2))
            } else {
                AttributeValue::Tlv(a.value.to_vec())
            },
        }
    }

    pub fn buffer_len(&self) -> usize {
        match &self.value {
            AttributeValue::Tv(_) => 4,
            AttributeValue::Tlv(v) => 4 + v.len(),
        }
    }

    fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        let t = self.attr_type.0 & !ATTRIBUTE_TV;
        match &self.value {
            AttributeValue::Tv(v) => {
                out.extend_from_slice(&(t | ATTRIBUTE_TV).to_be_bytes());
                out.extend_from_slice(&v.to_be_bytes());
            }
            AttributeValue::Tlv(v) => {
                let len = u16::try_from(v.len()).map_err(|_| WireError::TooLong {
                    field: "attribute length",
                    value: v.len(),
                    max: u16::MAX as usize,
                })?;
                out.extend_from_slice(&t.to_be_bytes());
                out.extend_from_slice(&len.to_be_bytes());
                out.extend_from_slice(v);
            }
        }
        Ok(())
    }
}

/// A transform, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransformRepr {
    pub transform_type: TransformType,
    pub id: u16,
    pub attributes: Vec<AttributeRepr>,
}

impl TransformRepr {
    /// A transform without attributes.
    pub fn new(transform_type: TransformType, id: u16) -> TransformRepr {
        TransformRepr {
            transform_type,
            id,
            attributes: Vec::new(),
        }
    }

    /// A transform with a Key Length attribute (bits).
    pub fn with_key_length(transform_type: TransformType, id: u16, bits: u16) -> TransformRepr {
        TransformRepr {
            transform_type,
            id,
            attributes: vec![AttributeRepr::key_length(bits)],
        }
    }

    pub fn parse(t: &Transform<'_>) -> Result<TransformRepr, WireError> {
        check_last(t.last, MORE_TRANSFORMS, t.offset, "transform")?;
        Ok(TransformRepr {
            transform_type: t.transform_type,
            id: t.id,
            attributes: t
                .attributes()
                .map(|a| a.map(|a| AttributeRepr::parse(&a)))
                .collect::<Result<_, _>>()?,
        })
    }

    pub fn buffer_len(&self) -> usize {
        TRANSFORM_FIXED_LEN
            + self
                .attributes
                .iter()
                .map(AttributeRepr::buffer_len)
                .sum::<usize>()
    }

    fn emit(&self, last: bool, out: &mut Vec<u8>) -> Result<(), WireError> {
        let len = self.buffer_len();
        let len16 = u16::try_from(len).map_err(|_| WireError::TooLong {
            field: "transform length",
            value: len,
            max: u16::MAX as usize,
        })?;
        out.push(if last { LAST } else { MORE_TRANSFORMS });
        out.push(0);
        out.extend_from_slice(&len16.to_be_bytes());
        out.push(self.transform_type.0);
        out.push(0);
        out.extend_from_slice(&self.id.to_be_bytes());
        for a in &self.attributes {
            a.emit(out)?;
        }
        Ok(())
    }
}

/// A proposal, owned. The "Num Transforms" field is the number of `transforms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalRepr {
    pub number: u8,
    pub protocol_id: ProtocolId,
    pub spi: Vec<u8>,
    pub transforms: Vec<TransformRepr>,
}

impl ProposalRepr {
    /// An IKE proposal with the new SPI and one transform (ENCR_AES_CBC, 256-bit key).
    pub fn ike_rekey(spi: [u8; 8]) -> ProposalRepr {
        ProposalRepr {
            number: 1,
            protocol_id: ProtocolId::IKE,
            spi: spi.to_vec(),
            transforms: vec![TransformRepr::with_key_length(
                TransformType::ENCR,
                EncrId::AES_CBC.0,
                256,
            )],
        }
    }

    /// Parses a proposal and its transforms; the transform count must match.
    pub fn parse(p: &Proposal<'_>) -> Result<ProposalRepr, WireError> {
        check_last(p.last, MORE_PROPOSALS, p.offset, "proposal")?;
        let transforms = p
            .transforms_iter()
            .map(|t| t.and_then(|t| TransformRepr::parse(&t)))
            .collect::<Result<Vec<_>, _>>()?;
        if transforms.len() != p.transform_count as usize {
            return Err(WireError::Malformed {
                offset: p.offset + field::TRANSFORMS,
                field: "num transforms",
                reason: format!(
                    "the proposal says {} transforms but holds {}",
                    p.transform_count,
                    transforms.len()
                ),
            });
        }
        Ok(ProposalRepr {
            number: p.number,
            protocol_id: p.protocol_id,
            spi: p.spi.to_vec(),
            transforms,
        })
    }

    pub fn buffer_len(&self) -> usize {
        PROPOSAL_FIXED_LEN
            + self.spi.len()
            + self
                .transforms
                .iter()
                .map(TransformRepr::buffer_len)
                .sum::<usize>()
    }

    fn emit(&self, last: bool, out: &mut Vec<u8>) -> Result<(), WireError> {
        let len = self.buffer_len();
        let len16 = u16::try_from(len).map_err(|_| WireError::TooLong {
            field: "proposal length",
            value: len,
            max: u16::MAX as usize,
        })?;
        let spi_size = u8::try_from(self.spi.len()).map_err(|_| WireError::TooLong {
            field: "SPI size",
            value: self.spi.len(),
            max: 255,
        })?;
        let count = u8::try_from(self.transforms.len()).map_err(|_| WireError::TooLong {
            field: "num transforms",
            value: self.transforms.len(),
            max: 255,
        })?;
        out.push(if last { LAST } else { MORE_PROPOSALS });
        out.push(0);
        out.extend_from_slice(&len16.to_be_bytes());
        out.extend_from_slice(&[self.number, self.protocol_id.0, spi_size, count]);
        out.extend_from_slice(&self.spi);
        for (i, t) in self.transforms.iter().enumerate() {
            t.emit(i + 1 == self.transforms.len(), out)?;
        }
        Ok(())
    }
}

/// An SA payload body, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaRepr {
    pub proposals: Vec<ProposalRepr>,
}

impl SaRepr {
    /// Parses the SA payload `body` (at offset `base` in the whole input).
    pub fn parse(body: &[u8], base: usize) -> Result<SaRepr, WireError> {
        Ok(SaRepr {
            proposals: proposals(body, base)
                .map(|p| p.and_then(|p| ProposalRepr::parse(&p)))
                .collect::<Result<_, _>>()?,
        })
    }

    pub fn buffer_len(&self) -> usize {
        self.proposals.iter().map(ProposalRepr::buffer_len).sum()
    }

    /// The body bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, WireError> {
        emit_proposals(&self.proposals)
    }
}

/// The body of an SA payload holding `proposals`, in order.
pub fn emit_proposals(proposals: &[ProposalRepr]) -> Result<Vec<u8>, WireError> {
    let mut out = Vec::with_capacity(proposals.iter().map(ProposalRepr::buffer_len).sum());
    for (i, p) in proposals.iter().enumerate() {
        p.emit(i + 1 == proposals.len(), &mut out)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> SaRepr {
        SaRepr {
            proposals: vec![
                ProposalRepr::ike_rekey([7; 8]),
                ProposalRepr {
                    number: 2,
                    protocol_id: ProtocolId::ESP,
                    spi: vec![0xc1, 0, 0, 1],
                    transforms: vec![
                        TransformRepr::with_key_length(TransformType::ENCR, 20, 128),
                        TransformRepr::new(TransformType::ESN, 0),
                        TransformRepr {
                            transform_type: TransformType(200),
                            id: 9,
                            attributes: vec![AttributeRepr {
                                attr_type: AttributeType(99),
                                value: AttributeValue::Tlv(vec![1, 2, 3]),
                            }],
                        },
                    ],
                },
            ],
        }
    }

    #[test]
    fn round_trip_and_views() {
        let sa = sample();
        let body = sa.to_bytes().unwrap();
        assert_eq!(body.len(), sa.buffer_len());
        assert_eq!(SaRepr::parse(&body, 32).unwrap(), sa);
        let got: Vec<Proposal> = proposals(&body, 32).collect::<Result<_, _>>().unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].offset, 32);
        assert_eq!(got[0].protocol_id, ProtocolId::IKE);
        assert_eq!(got[0].spi, &[7; 8]);
        assert_eq!(got[0].transform_count, 1);
        let t: Vec<Transform> = got[0].transforms_iter().collect::<Result<_, _>>().unwrap();
        assert_eq!(t[0].offset, 32 + 8 + 8);
        assert_eq!(t[0].key_length(), Some(256));
        assert_eq!(t[0].transform_type.id_name(t[0].id), Some("ENCR_AES_CBC"));
        assert_eq!(got[1].spi, &[0xc1, 0, 0, 1]);
        let t: Vec<Transform> = got[1].transforms_iter().collect::<Result<_, _>>().unwrap();
        assert_eq!(t.len(), 3);
        assert_eq!(t[1].transform_type.to_string(), "ESN");
        assert_eq!(
            t[2].transform_type.to_string(),
            "unassigned transform type 200"
        );
        assert_eq!(t[2].key_length(), None);
    }

    #[test]
    fn errors_name_offset_and_field() {
        let sa = sample();
        let body = sa.to_bytes().unwrap();
        // cut short: the error names the offset and field
        let e = proposals(&body[..10], 32).next().unwrap().unwrap_err();
        assert_eq!((e.offset(), e.field()), (34, "proposal length"));
        // "more" announced but nothing follows
        let one = emit_proposals(&sa.proposals[..1]).unwrap();
        let mut more = one.clone();
        more[0] = 2;
        let r: Vec<_> = proposals(&more, 0).collect();
        assert!(r[0].is_ok());
        assert_eq!(r[1].as_ref().unwrap_err().field(), "proposal");
        // bytes after the last proposal
        let mut trailing = one.clone();
        trailing.extend([0, 0]);
        let r: Vec<_> = proposals(&trailing, 0).collect();
        assert_eq!(r.len(), 2);
        assert_eq!(r[1].as_ref().unwrap_err().field(), "last substruc");
        // a bad Last Substruc value
        let mut bad = one.clone();
        bad[0] = 5;
        let p = proposals(&bad, 0).next().unwrap().unwrap();
        assert_eq!(
            ProposalRepr::parse(&p).unwrap_err().field(),
            "last substruc"
        );
        assert!(SaRepr::parse(&bad, 0).is_err());
        // transform count mismatch
        let mut count = one.clone();
        count[7] = 2;
        let p = proposals(&count, 0).next().unwrap().unwrap();
        assert_eq!(
            ProposalRepr::parse(&p).unwrap_err().field(),
            "num transforms"
        );
        // transform length past the proposal
        let mut tlen = one.clone();
        tlen[8 + 8 + 3] = 40;
        let p = proposals(&tlen, 0).next().unwrap().unwrap();
        assert_eq!(
            p.transforms_iter().next().unwrap().unwrap_err().field(),
            "transform length"
        );
        // TLV attribute running past the transform
        let mut alen = one;
        alen[8 + 8 + 8] = 0x00; // turn the Key Length TV into a TLV of length 0x0100
        let p = proposals(&alen, 0).next().unwrap().unwrap();
        let t = p.transforms_iter().next().unwrap().unwrap();
        assert_eq!(
            t.attributes().next().unwrap().unwrap_err().field(),
            "attribute length"
        );
        assert!(proposals(&[], 0).next().is_none());
    }
}
