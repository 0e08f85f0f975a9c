//! The IKE header (RFC 7296 §3.1): a view over the first 28 bytes of a
//! message, and [`MessageRepr`], the owned form of a whole unencrypted
//! message (header plus payload chain) that parses and emits.
//!
//! Not here: the non-ESP marker of UDP port 4500 (the caller strips it) and
//! the content of encrypted payloads.

use super::payload::{self, PayloadIter, PayloadRepr};
use super::registry::{ExchangeType, PayloadType};
use super::{read_u32, Field, WireError};
use crate::spi::Spi;

mod field {
    use super::Field;
    pub const SPI_I: Field = 0..8;
    pub const SPI_R: Field = 8..16;
    pub const NEXT_PAYLOAD: usize = 16;
    pub const VERSION: usize = 17;
    pub const EXCHANGE_TYPE: usize = 18;
    pub const FLAGS: usize = 19;
    pub const MESSAGE_ID: Field = 20..24;
    pub const LENGTH: Field = 24..28;
}

/// Length of the IKE header.
pub const HEADER_LEN: usize = 28;
/// The only major version this module decodes.
pub const IKEV2_MAJOR: u8 = 2;

/// The flags octet of the IKE header.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct Flags(pub u8);

impl Flags {
    /// Set by the original initiator of the IKE SA.
    pub const INITIATOR: Flags = Flags(0x08);
    /// The sender can speak a higher major version.
    pub const VERSION: Flags = Flags(0x10);
    /// The message is a response.
    pub const RESPONSE: Flags = Flags(0x20);

    pub fn initiator(self) -> bool {
        self.0 & Self::INITIATOR.0 != 0
    }
    pub fn version(self) -> bool {
        self.0 & Self::VERSION.0 != 0
    }
    pub fn response(self) -> bool {
        self.0 & Self::RESPONSE.0 != 0
    }
}

impl std::ops::BitOr for Flags {
    type Output = Flags;
    fn bitor(self, rhs: Flags) -> Flags {
        Flags(self.0 | rhs.0)
    }
}

/// A read-only (or, over `&mut [u8]`, writable) view of an IKE header.
#[derive(Debug, Clone)]
pub struct Header<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Header<T> {
    /// Wraps a buffer without checking its length; accessors may panic on a
    /// short buffer. Use [`Header::new_checked`] for untrusted data.
    pub fn new_unchecked(buffer: T) -> Header<T> {
        Header { buffer }
    }

    /// Wraps a buffer of at least [`HEADER_LEN`] bytes.
    pub fn new_checked(buffer: T) -> Result<Header<T>, WireError> {
        let h = Header::new_unchecked(buffer);
        h.check_len()?;
        Ok(h)
    }

    pub fn check_len(&self) -> Result<(), WireError> {
        let len = self.buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(WireError::Truncated {
                offset: 0,
                field: "IKE header",
                needed: HEADER_LEN,
                available: len,
            });
        }
        Ok(())
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }

    pub fn spi_i(&self) -> Spi {
        let mut s = [0u8; 8];
        s.copy_from_slice(&self.buffer.as_ref()[field::SPI_I]);
        Spi(s)
    }
    pub fn spi_r(&self) -> Spi {
        let mut s = [0u8; 8];
        s.copy_from_slice(&self.buffer.as_ref()[field::SPI_R]);
        Spi(s)
    }
    pub fn next_payload(&self) -> PayloadType {
        PayloadType(self.buffer.as_ref()[field::NEXT_PAYLOAD])
    }
    pub fn major_version(&self) -> u8 {
        self.buffer.as_ref()[field::VERSION] >> 4
    }
    pub fn minor_version(&self) -> u8 {
        self.buffer.as_ref()[field::VERSION] & 0x0f
    }
    pub fn exchange_type(&self) -> ExchangeType {
        ExchangeType(self.buffer.as_ref()[field::EXCHANGE_TYPE])
    }
    pub fn flags(&self) -> Flags {
        Flags(self.buffer.as_ref()[field::FLAGS])
    }
    pub fn message_id(&self) -> u32 {
        read_u32(self.buffer.as_ref(), field::MESSAGE_ID)
    }
    pub fn length(&self) -> u32 {
        read_u32(self.buffer.as_ref(), field::LENGTH)
    }

    /// The bytes after the header, up to the end of the buffer.
    pub fn payload_bytes(&self) -> &[u8] {
        &self.buffer.as_ref()[HEADER_LEN..]
    }

    /// Checks what a message needs beyond the header's length: major version
    /// 2 and a length field equal to the buffer's length.
    pub fn check_message(&self) -> Result<(), WireError> {
        if self.major_version() != IKEV2_MAJOR {
            return Err(WireError::Malformed {
                offset: field::VERSION,
                field: "version",
                reason: format!(
                    "major version {} (version octet 0x{:02x}); only IKEv2 (major version 2) is decoded",
                    self.major_version(),
                    self.buffer.as_ref()[field::VERSION]
                ),
            });
        }
        let have = self.buffer.as_ref().len();
        if self.length() as usize != have {
            return Err(WireError::Malformed {
                offset: field::LENGTH.start,
                field: "length",
                reason: format!(
                    "the header says the message is {} bytes but {} bytes were given",
                    self.length(),
                    have
                ),
            });
        }
        Ok(())
    }

    /// The payload chain after the header, with offsets from the header's start.
    pub fn payloads(&self) -> PayloadIter<'_> {
        PayloadIter::new(self.payload_bytes(), self.next_payload(), HEADER_LEN)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Header<T> {
    pub fn set_spi_i(&mut self, spi: Spi) {
        self.buffer.as_mut()[field::SPI_I].copy_from_slice(&spi.0);
    }
    pub fn set_spi_r(&mut self, spi: Spi) {
        self.buffer.as_mut()[field::SPI_R].copy_from_slice(&spi.0);
    }
    pub fn set_next_payload(&mut self, t: PayloadType) {
        self.buffer.as_mut()[field::NEXT_PAYLOAD] = t.0;
    }
    pub fn set_version(&mut self, major: u8, minor: u8) {
        self.buffer.as_mut()[field::VERSION] = (major << 4) | (minor & 0x0f);
    }
    pub fn set_exchange_type(&mut self, e: ExchangeType) {
        self.buffer.as_mut()[field::EXCHANGE_TYPE] = e.0;
    }
    pub fn set_flags(&mut self, f: Flags) {
        self.buffer.as_mut()[field::FLAGS] = f.0;
    }
    pub fn set_message_id(&mut self, id: u32) {
        self.buffer.as_mut()[field::MESSAGE_ID].copy_from_slice(&id.to_be_bytes());
    }
    pub fn set_length(&mut self, len: u32) {
        self.buffer.as_mut()[field::LENGTH].copy_from_slice(&len.to_be_bytes());
    }
}

/// An unencrypted IKEv2 message, owned: what tests, scenarios and the capture
/// generator build, and what [`MessageRepr::parse`] reads back.
///
/// The version octet is always emitted as 2.0; parsing accepts any minor version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRepr {
    pub spi_i: Spi,
    pub spi_r: Spi,
    pub exchange: ExchangeType,
    pub flags: Flags,
    pub message_id: u32,
    pub payloads: Vec<PayloadRepr>,
}

impl MessageRepr {
    /// Parses a whole message: header checks, then every payload of the chain.
    pub fn parse<T: AsRef<[u8]>>(header: &Header<T>) -> Result<MessageRepr, WireError> {
        header.check_message()?;
        let payloads = header
            .payloads()
            .map(|p| p.and_then(|p| PayloadRepr::parse(&p)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(MessageRepr {
            spi_i: header.spi_i(),
            spi_r: header.spi_r(),
            exchange: header.exchange_type(),
            flags: header.flags(),
            message_id: header.message_id(),
            payloads,
        })
    }

    /// Parses a message from bytes (shorthand for a checked view and `parse`).
    pub fn from_bytes(bytes: &[u8]) -> Result<MessageRepr, WireError> {
        MessageRepr::parse(&Header::new_checked(bytes)?)
    }

    /// The number of bytes [`MessageRepr::emit`] writes.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN
            + self
                .payloads
                .iter()
                .map(PayloadRepr::buffer_len)
                .sum::<usize>()
    }

    /// Writes the message into `buffer`, which must be exactly
    /// [`MessageRepr::buffer_len`] bytes long.
    pub fn emit(&self, buffer: &mut [u8]) -> Result<(), WireError> {
        let len = self.buffer_len();
        if buffer.len() != len {
            return Err(WireError::TooLong {
                field: "buffer",
                value: len,
                max: buffer.len(),
            });
        }
        let len32 = u32::try_from(len).map_err(|_| WireError::TooLong {
            field: "length",
            value: len,
            max: u32::MAX as usize,
        })?;
        let (head, rest) = buffer.split_at_mut(HEADER_LEN);
        let mut h = Header::new_unchecked(head);
        h.set_spi_i(self.spi_i);
        h.set_spi_r(self.spi_r);
        h.set_next_payload(
            self.payloads
                .first()
                .map_or(PayloadType::NONE, PayloadRepr::payload_type),
        );
        h.set_version(IKEV2_MAJOR, 0);
        h.set_exchange_type(self.exchange);
        h.set_flags(self.flags);
        h.set_message_id(self.message_id);
        h.set_length(len32);
        payload::emit_chain(&self.payloads, rest)
    }

    /// The message as bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, WireError> {
        let mut v = vec![0u8; self.buffer_len()];
        self.emit(&mut v)?;
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{NotifyRepr, NotifyType};

    fn qcd_reply() -> MessageRepr {
        MessageRepr {
            spi_i: Spi([1, 2, 3, 4, 5, 6, 7, 8]),
            spi_r: Spi([9, 10, 11, 12, 13, 14, 15, 16]),
            exchange: ExchangeType::INFORMATIONAL,
            flags: Flags::RESPONSE,
            message_id: 7,
            payloads: vec![
                PayloadRepr::notify(NotifyRepr::new(1, NotifyType::INVALID_IKE_SPI, vec![])),
                PayloadRepr::notify(NotifyRepr::new(1, NotifyType::QCD_TOKEN, vec![0xab; 16])),
            ],
        }
    }

    #[test]
    fn emits_known_bytes() {
        let bytes = qcd_reply().to_bytes().unwrap();
        let want = "0102030405060708090a0b0c0d0e0f1029202520000000070000003c\
                    2900000801000004\
                    0000001801004023abababababababababababababababab";
        assert_eq!(crate::encoding::to_hex(&bytes), want);
        assert_eq!(MessageRepr::from_bytes(&bytes).unwrap(), qcd_reply());
    }

    #[test]
    fn short_header_and_bad_length_name_offset_and_field() {
        let e = Header::new_checked(&[0u8; 27][..]).unwrap_err();
        assert_eq!((e.offset(), e.field()), (0, "IKE header"));
        let mut bytes = qcd_reply().to_bytes().unwrap();
        bytes.push(0);
        let e = MessageRepr::from_bytes(&bytes).unwrap_err();
        assert_eq!((e.offset(), e.field()), (24, "length"));
        bytes.pop();
        bytes[17] = 0x10;
        let e = MessageRepr::from_bytes(&bytes).unwrap_err();
        assert_eq!((e.offset(), e.field()), (17, "version"));
    }
}
