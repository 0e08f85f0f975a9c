//! The Notify payload body (RFC 7296 §3.10): Protocol ID, SPI Size, Notify
//! Message Type, SPI, Notification Data. A view over the body (after the
//! generic header) and the owned [`NotifyRepr`].
//!
//! [`NotifyData`] reads the notification data of the common types (NAT
//! detection hashes, COOKIE, SIGNATURE_HASH_ALGORITHMS, INVALID_KE_PAYLOAD's
//! group, REDIRECT and REDIRECTED_FROM, …) as their RFCs lay it out.
//!
//! Not here: RFC 6290's rules for QCD_TOKEN (those are warnings, in
//! `qcd::decode`).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::ke::DhGroup;
use super::registry::{NotifyType, ProtocolId};
use super::{read_u16, read_u32, Field, WireError};

mod field {
    use super::Field;
    pub const PROTOCOL_ID: usize = 0;
    pub const SPI_SIZE: usize = 1;
    pub const NOTIFY_TYPE: Field = 2..4;
    pub const SPI: usize = 4;
}

/// Length of the fixed part of a Notify body.
pub const NOTIFY_FIXED_LEN: usize = 4;

/// A view of a Notify payload body.
#[derive(Debug, Clone)]
pub struct Notify<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Notify<T> {
    pub fn new_unchecked(buffer: T) -> Notify<T> {
        Notify { buffer }
    }

    /// Checks that the fixed fields and the SPI fit; offsets in errors are
    /// relative to the body's start.
    pub fn new_checked(buffer: T) -> Result<Notify<T>, WireError> {
        let n = Notify::new_unchecked(buffer);
        n.check_len()?;
        Ok(n)
    }

    pub fn check_len(&self) -> Result<(), WireError> {
        let b = self.buffer.as_ref();
        if b.len() < NOTIFY_FIXED_LEN {
            return Err(WireError::Truncated {
                offset: 0,
                field: "notify header",
                needed: NOTIFY_FIXED_LEN,
                available: b.len(),
            });
        }
        let spi_size = b[field::SPI_SIZE] as usize;
        if NOTIFY_FIXED_LEN + spi_size > b.len() {
            return Err(WireError::Malformed {
                offset: field::SPI_SIZE,
                field: "SPI size",
                reason: format!(
                    "SPI size {spi_size} runs past the end of the Notify payload ({} bytes after the fixed fields)",
                    b.len() - NOTIFY_FIXED_LEN
                ),
            });
        }
        Ok(())
    }

    pub fn protocol_id(&self) -> ProtocolId {
        ProtocolId(self.buffer.as_ref()[field::PROTOCOL_ID])
    }
    pub fn spi_size(&self) -> u8 {
        self.buffer.as_ref()[field::SPI_SIZE]
    }
    pub fn notify_type(&self) -> NotifyType {
        NotifyType(read_u16(self.buffer.as_ref(), field::NOTIFY_TYPE))
    }
    pub fn spi(&self) -> &[u8] {
        &self.buffer.as_ref()[field::SPI..field::SPI + self.spi_size() as usize]
    }
    /// Offset of the notification data from the body's start.
    pub fn data_offset(&self) -> usize {
        field::SPI + self.spi_size() as usize
    }
    pub fn data(&self) -> &[u8] {
        &self.buffer.as_ref()[self.data_offset()..]
    }
}

/// A Notify payload body, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyRepr {
    pub protocol_id: ProtocolId,
    /// The SPI (its length is the SPI Size field; at most 255 bytes).
    pub spi: Vec<u8>,
    pub notify_type: NotifyType,
    pub data: Vec<u8>,
}

impl NotifyRepr {
    /// A notification without SPI.
    pub fn new(protocol_id: u8, notify_type: NotifyType, data: Vec<u8>) -> NotifyRepr {
        NotifyRepr {
            protocol_id: ProtocolId(protocol_id),
            spi: Vec::new(),
            notify_type,
            data,
        }
    }

    /// RFC 6290's QCD_TOKEN: Protocol ID 0 (as corrected by erratum 3449:
    /// RFC 7296 §3.10 sends 0 when the SPI is empty), no SPI, the token as data.
    pub fn qcd_token(token: &[u8]) -> NotifyRepr {
        NotifyRepr::new(0, NotifyType::QCD_TOKEN, token.to_vec())
    }

    pub fn parse<T: AsRef<[u8]>>(n: &Notify<T>) -> NotifyRepr {
        NotifyRepr {
            protocol_id: n.protocol_id(),
            spi: n.spi().to_vec(),
            notify_type: n.notify_type(),
            data: n.data().to_vec(),
        }
    }

    pub fn buffer_len(&self) -> usize {
        NOTIFY_FIXED_LEN + self.spi.len() + self.data.len()
    }

    /// Writes the body into `buffer` (exactly `buffer_len` bytes).
    pub fn emit(&self, buffer: &mut [u8]) -> Result<(), WireError> {
        let spi_size = u8::try_from(self.spi.len()).map_err(|_| WireError::TooLong {
            field: "SPI size",
            value: self.spi.len(),
            max: u8::MAX as usize,
        })?;
        if buffer.len() != self.buffer_len() {
            return Err(WireError::TooLong {
                field: "buffer",
                value: self.buffer_len(),
                max: buffer.len(),
            });
        }
        buffer[field::PROTOCOL_ID] = self.protocol_id.0;
        buffer[field::SPI_SIZE] = spi_size;
        buffer[field::NOTIFY_TYPE].copy_from_slice(&self.notify_type.0.to_be_bytes());
        let d = field::SPI + self.spi.len();
        buffer[field::SPI..d].copy_from_slice(&self.spi);
        buffer[d..].copy_from_slice(&self.data);
        Ok(())
    }
}

/// IANA "IKEv2 Hash Algorithms" (RFC 7427 §7, RFC 8420), as
/// SIGNATURE_HASH_ALGORITHMS lists them.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HashAlgorithm(pub u16);

impl HashAlgorithm {
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "SHA1",
            2 => "SHA2_256",
            3 => "SHA2_384",
            4 => "SHA2_512",
            5 => "IDENTITY",
            _ => return None,
        })
    }
}

impl fmt::Display for HashAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.name(), self.0) {
            (Some(n), _) => f.write_str(n),
            (None, v @ 1024..=65535) => write!(f, "private-use hash algorithm {v}"),
            (None, v) => write!(f, "unassigned hash algorithm {v}"),
        }
    }
}

impl fmt::Debug for HashAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HashAlgorithm({}, {self})", self.0)
    }
}

/// IANA "IKEv2 Gateway Identity Types" (RFC 5685 §10).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GatewayIdType(pub u8);

impl GatewayIdType {
    pub const IPV4: GatewayIdType = GatewayIdType(1);
    pub const IPV6: GatewayIdType = GatewayIdType(2);
    pub const FQDN: GatewayIdType = GatewayIdType(3);

    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "IPv4 address",
            2 => "IPv6 address",
            3 => "FQDN",
            _ => return None,
        })
    }
}

impl fmt::Display for GatewayIdType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "gateway identity type {}", self.0),
        }
    }
}

impl fmt::Debug for GatewayIdType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GatewayIdType({}, {self})", self.0)
    }
}

/// A redirect gateway's identity (RFC 5685 §4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayId<'a> {
    Ip(IpAddr),
    Fqdn(String),
    Bytes(&'a [u8]),
}

impl fmt::Display for GatewayId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GatewayId::Ip(a) => write!(f, "{a}"),
            GatewayId::Fqdn(s) => f.write_str(s),
            GatewayId::Bytes(b) => f.write_str(&crate::encoding::to_hex(b)),
        }
    }
}

/// Notification data as the notify type lays it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotifyData<'a> {
    /// A type whose data is empty, and it is.
    Empty,
    /// NAT_DETECTION_SOURCE_IP / NAT_DETECTION_DESTINATION_IP: SHA-1 of the
    /// SPIs, address and port (RFC 7296 §2.23).
    NatHash(&'a [u8]),
    /// COOKIE: 1 to 64 opaque bytes (RFC 7296 §2.6).
    Cookie(&'a [u8]),
    /// SIGNATURE_HASH_ALGORITHMS (RFC 7427 §4).
    HashAlgorithms(Vec<HashAlgorithm>),
    /// INVALID_KE_PAYLOAD: the group the responder accepts (RFC 7296 §1.2).
    Group(DhGroup),
    /// REDIRECT (with the initiator's nonce when answering IKE_SA_INIT) and
    /// REDIRECTED_FROM (RFC 5685 §§4.2-4.3).
    Redirect {
        gateway_type: GatewayIdType,
        gateway: GatewayId<'a>,
        nonce: &'a [u8],
    },
    /// INVALID_SPI: the SPI of the packet that had it (RFC 7296 §3.10.1).
    Spi(&'a [u8]),
    /// IPCOMP_SUPPORTED: CPI and IPComp transform ID (RFC 7296 §3.10.1).
    Ipcomp { cpi: u16, transform: u8 },
    /// AUTH_LIFETIME (RFC 4478) in seconds.
    Seconds(u32),
    /// SET_WINDOW_SIZE (RFC 7296 §2.3).
    WindowSize(u32),
    /// ADDITIONAL_IP4_ADDRESS / ADDITIONAL_IP6_ADDRESS (RFC 4555 §3.6).
    Address(IpAddr),
    /// QCD_TOKEN (RFC 6290): the token.
    Token(&'a [u8]),
    /// Any other type: the bytes.
    Raw(&'a [u8]),
}

/// Notify types that carry no data (RFC 7296 §3.10.1, RFC 5685, RFC 7383).
fn expects_empty(t: NotifyType) -> bool {
    matches!(t.0, 16384 | 16393 | 16406 | 16430)
}

impl<'a> NotifyData<'a> {
    /// Reads `data` (at `offset` in the whole input) as notification data of
    /// type `t`. Data that does not fit the type's layout is an error that
    /// names the offset and what is wrong.
    pub fn parse(
        t: NotifyType,
        data: &'a [u8],
        offset: usize,
    ) -> Result<NotifyData<'a>, WireError> {
        let bad = |reason: String| WireError::Malformed {
            offset,
            field: "notification data",
            reason,
        };
        let exactly = |n: usize, what: &str| {
            if data.len() == n {
                Ok(())
            } else {
                Err(bad(format!(
                    "{t} carries {} bytes of data; {what} is {n} bytes",
                    data.len()
                )))
            }
        };
        Ok(match t {
            t if expects_empty(t) => {
                if !data.is_empty() {
                    return Err(bad(format!(
                        "{t} carries {} bytes of data; it has none",
                        data.len()
                    )));
                }
                NotifyData::Empty
            }
            NotifyType::NAT_DETECTION_SOURCE_IP | NotifyType::NAT_DETECTION_DESTINATION_IP => {
                exactly(20, "a SHA-1 hash")?;
                NotifyData::NatHash(data)
            }
            NotifyType::COOKIE => {
                if data.is_empty() || data.len() > 64 {
                    return Err(bad(format!(
                        "COOKIE carries {} bytes; a cookie is 1 to 64 bytes",
                        data.len()
                    )));
                }
                NotifyData::Cookie(data)
            }
            NotifyType::SIGNATURE_HASH_ALGORITHMS => {
                if !data.len().is_multiple_of(2) {
                    return Err(bad(format!(
                        "SIGNATURE_HASH_ALGORITHMS carries {} bytes, not a list of 2-byte hash algorithm numbers",
                        data.len()
                    )));
                }
                NotifyData::HashAlgorithms(
                    data.chunks_exact(2)
                        .map(|c| HashAlgorithm(u16::from_be_bytes([c[0], c[1]])))
                        .collect(),
                )
            }
            NotifyType::INVALID_KE_PAYLOAD => {
                exactly(2, "the accepted group number")?;
                NotifyData::Group(DhGroup(read_u16(data, 0..2)))
            }
            NotifyType::REDIRECT | NotifyType::REDIRECTED_FROM => {
                if data.len() < 2 {
                    return Err(bad(format!(
                        "{t} carries {} bytes; the gateway identity type and length need 2",
                        data.len()
                    )));
                }
                let gateway_type = GatewayIdType(data[0]);
                let glen = data[1] as usize;
                if 2 + glen > data.len() {
                    return Err(bad(format!(
                        "{t} gateway identity length {glen} runs past the {} bytes of data after it",
                        data.len() - 2
                    )));
                }
                let g = &data[2..2 + glen];
                let gateway = match gateway_type {
                    GatewayIdType::IPV4 if glen == 4 => {
                        GatewayId::Ip(IpAddr::V4(Ipv4Addr::new(g[0], g[1], g[2], g[3])))
                    }
                    GatewayIdType::IPV6 if glen == 16 => {
                        let mut a = [0u8; 16];
                        a.copy_from_slice(g);
                        GatewayId::Ip(IpAddr::V6(Ipv6Addr::from(a)))
                    }
                    GatewayIdType::IPV4 | GatewayIdType::IPV6 => {
                        return Err(bad(format!(
                            "{t} gateway identity is a {gateway_type} of {glen} bytes"
                        )))
                    }
                    GatewayIdType::FQDN => GatewayId::Fqdn(String::from_utf8_lossy(g).into_owned()),
                    _ => GatewayId::Bytes(g),
                };
                let nonce = &data[2 + glen..];
                if t == NotifyType::REDIRECTED_FROM && !nonce.is_empty() {
                    return Err(bad(format!(
                        "REDIRECTED_FROM has {} bytes after the gateway identity",
                        nonce.len()
                    )));
                }
                NotifyData::Redirect {
                    gateway_type,
                    gateway,
                    nonce,
                }
            }
            NotifyType::INVALID_SPI if !data.is_empty() => NotifyData::Spi(data),
            NotifyType::IPCOMP_SUPPORTED => {
                exactly(3, "a 2-byte CPI and a 1-byte transform ID")?;
                NotifyData::Ipcomp {
                    cpi: read_u16(data, 0..2),
                    transform: data[2],
                }
            }
            NotifyType::AUTH_LIFETIME => {
                exactly(4, "a 4-byte lifetime")?;
                NotifyData::Seconds(read_u32(data, 0..4))
            }
            NotifyType::SET_WINDOW_SIZE => {
                exactly(4, "a 4-byte window size")?;
                NotifyData::WindowSize(read_u32(data, 0..4))
            }
            NotifyType::ADDITIONAL_IP4_ADDRESS => {
                exactly(4, "an IPv4 address")?;
                NotifyData::Address(IpAddr::V4(Ipv4Addr::new(
                    data[0], data[1], data[2], data[3],
                )))
            }
            NotifyType::ADDITIONAL_IP6_ADDRESS => {
                exactly(16, "an IPv6 address")?;
                let mut a = [0u8; 16];
                a.copy_from_slice(data);
                NotifyData::Address(IpAddr::V6(Ipv6Addr::from(a)))
            }
            NotifyType::QCD_TOKEN => NotifyData::Token(data),
            _ => NotifyData::Raw(data),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_reads_fields_and_checks_spi_size() {
        let b = hex::decode("0304000bdeadbeef0102").unwrap();
        let n = Notify::new_checked(&b[..]).unwrap();
        assert_eq!(n.protocol_id(), ProtocolId::ESP);
        assert_eq!(n.notify_type(), NotifyType::INVALID_SPI);
        assert_eq!(n.spi(), &[0xde, 0xad, 0xbe, 0xef]);
        assert_eq!(n.data(), &[1, 2]);
        let e = Notify::new_checked(&b[..5]).unwrap_err();
        assert_eq!((e.offset(), e.field()), (1, "SPI size"));
        let e = Notify::new_checked(&b[..3]).unwrap_err();
        assert_eq!(e.field(), "notify header");
    }

    #[test]
    fn notification_data_by_type() {
        fn p(t: NotifyType, d: &[u8]) -> Result<NotifyData<'_>, WireError> {
            NotifyData::parse(t, d, 40)
        }
        assert_eq!(
            p(NotifyType::INVALID_KE_PAYLOAD, &[0, 19]).unwrap(),
            NotifyData::Group(DhGroup(19))
        );
        // INVALID_KE_PAYLOAD without its group, as tshark flags it
        let e = p(NotifyType::INVALID_KE_PAYLOAD, &[]).unwrap_err();
        assert_eq!((e.offset(), e.field()), (40, "notification data"));
        assert_eq!(
            p(
                NotifyType::SIGNATURE_HASH_ALGORITHMS,
                &[0, 2, 0, 3, 0, 4, 0, 5]
            )
            .unwrap(),
            NotifyData::HashAlgorithms(vec![
                HashAlgorithm(2),
                HashAlgorithm(3),
                HashAlgorithm(4),
                HashAlgorithm(5)
            ])
        );
        assert!(p(NotifyType::SIGNATURE_HASH_ALGORITHMS, &[0, 2, 0]).is_err());
        assert!(p(NotifyType::NAT_DETECTION_SOURCE_IP, &[0; 19]).is_err());
        assert!(p(NotifyType::COOKIE, &[]).is_err());
        let mut redirect = vec![3, 6];
        redirect.extend(b"gw.net");
        redirect.extend([7; 8]);
        match p(NotifyType::REDIRECT, &redirect).unwrap() {
            NotifyData::Redirect { gateway, nonce, .. } => {
                assert_eq!(gateway.to_string(), "gw.net");
                assert_eq!(nonce, &[7; 8]);
            }
            d => panic!("{d:?}"),
        }
        assert!(p(NotifyType::REDIRECTED_FROM, &redirect).is_err());
        assert!(p(NotifyType::REDIRECT, &[1, 5, 1, 2, 3, 4, 5]).is_err());
        assert!(p(NotifyType::IKEV2_FRAGMENTATION_SUPPORTED, &[1]).is_err());
        assert_eq!(
            p(NotifyType::IKEV2_FRAGMENTATION_SUPPORTED, &[]).unwrap(),
            NotifyData::Empty
        );
        assert_eq!(
            p(NotifyType::INVALID_SPI, &[0xc1, 0, 0, 1]).unwrap(),
            NotifyData::Spi(&[0xc1, 0, 0, 1])
        );
        assert_eq!(HashAlgorithm(2).to_string(), "SHA2_256");
    }
}
