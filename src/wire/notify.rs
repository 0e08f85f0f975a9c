//! The Notify payload body (RFC 7296 §3.10): Protocol ID, SPI Size, Notify
//! Message Type, SPI, Notification Data. A view over the body (after the
//! generic header) and the owned [`NotifyRepr`].
//!
//! Not here: RFC 6290's rules for QCD_TOKEN (those are warnings, in
//! `qcd::decode`), or the meaning of other notifications' data.

use super::registry::{NotifyType, ProtocolId};
use super::{read_u16, Field, WireError};

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
}
