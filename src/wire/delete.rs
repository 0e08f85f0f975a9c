//! The Delete payload (RFC 7296 §3.11): protocol ID, SPI size, number of
//! SPIs and the SPIs (none for an IKE SA, which the header's SPIs name).
//!
//! Not here: what deleting means for SA state.

use super::{read_u16, ProtocolId, WireError};

mod field {
    use crate::wire::Field;
    pub const PROTOCOL_ID: usize = 0;
    pub const SPI_SIZE: usize = 1;
    pub const SPI_COUNT: Field = 2..4;
    pub const SPIS: usize = 4;
}

/// Protocol ID, SPI size and number of SPIs.
pub const DELETE_FIXED_LEN: usize = 4;

/// A view of a Delete payload body.
#[derive(Debug, Clone)]
pub struct Delete<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Delete<T> {
    pub fn new_unchecked(buffer: T) -> Delete<T> {
        Delete { buffer }
    }

    /// Checks the fixed fields and that the SPIs fill the rest exactly
    /// (offsets in errors are relative to the body).
    pub fn new_checked(buffer: T) -> Result<Delete<T>, WireError> {
        let b = buffer.as_ref();
        if b.len() < DELETE_FIXED_LEN {
            return Err(WireError::Truncated {
                offset: 0,
                field: "delete header",
                needed: DELETE_FIXED_LEN,
                available: b.len(),
            });
        }
        let d = Delete { buffer };
        let want = d.spi_size() as usize * d.spi_count() as usize;
        let have = d.buffer.as_ref().len() - DELETE_FIXED_LEN;
        if want != have {
            return Err(WireError::Malformed {
                offset: field::SPI_COUNT.start,
                field: "number of SPIs",
                reason: format!(
                    "{} SPIs of {} bytes need {want} bytes, the payload holds {have}",
                    d.spi_count(),
                    d.spi_size()
                ),
            });
        }
        Ok(d)
    }

    pub fn protocol_id(&self) -> ProtocolId {
        ProtocolId(self.buffer.as_ref()[field::PROTOCOL_ID])
    }
    pub fn spi_size(&self) -> u8 {
        self.buffer.as_ref()[field::SPI_SIZE]
    }
    pub fn spi_count(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::SPI_COUNT)
    }
    /// The SPIs (none when the SPI size is 0); whole SPIs only.
    pub fn spis(&self) -> std::slice::ChunksExact<'_, u8> {
        let size = self.spi_size() as usize;
        let b: &[u8] = if size == 0 {
            &[]
        } else {
            &self.buffer.as_ref()[field::SPIS..]
        };
        b.chunks_exact(size.max(1))
    }
}

/// A Delete payload body, owned. All SPIs must have the same length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteRepr {
    pub protocol_id: ProtocolId,
    pub spi_size: u8,
    pub spis: Vec<Vec<u8>>,
}

impl DeleteRepr {
    pub fn parse<T: AsRef<[u8]>>(d: &Delete<T>) -> DeleteRepr {
        DeleteRepr {
            protocol_id: d.protocol_id(),
            spi_size: d.spi_size(),
            spis: d.spis().map(<[u8]>::to_vec).collect(),
        }
    }

    pub fn buffer_len(&self) -> usize {
        DELETE_FIXED_LEN + self.spis.iter().map(Vec::len).sum::<usize>()
    }

    /// The body bytes; every SPI must be `spi_size` bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, WireError> {
        if let Some(bad) = self.spis.iter().find(|s| s.len() != self.spi_size as usize) {
            return Err(WireError::TooLong {
                field: "SPI",
                value: bad.len(),
                max: self.spi_size as usize,
            });
        }
        let count = u16::try_from(self.spis.len()).map_err(|_| WireError::TooLong {
            field: "number of SPIs",
            value: self.spis.len(),
            max: u16::MAX as usize,
        })?;
        let mut v = Vec::with_capacity(self.buffer_len());
        v.extend_from_slice(&[self.protocol_id.0, self.spi_size]);
        v.extend_from_slice(&count.to_be_bytes());
        for s in &self.spis {
            v.extend_from_slice(s);
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_and_ike_deletes() {
        let d = DeleteRepr {
            protocol_id: ProtocolId::ESP,
            spi_size: 4,
            spis: vec![vec![0xc1, 0, 0, 1], vec![0xc1, 0, 0, 2]],
        };
        let b = d.to_bytes().unwrap();
        let v = Delete::new_checked(&b[..]).unwrap();
        assert_eq!(v.spi_count(), 2);
        assert_eq!(DeleteRepr::parse(&v), d);
        let ike = [1u8, 0, 0, 0];
        let v = Delete::new_checked(&ike[..]).unwrap();
        assert_eq!(v.spis().count(), 0);
        let e = Delete::new_checked(&b[..10]).unwrap_err();
        assert_eq!((e.offset(), e.field()), (2, "number of SPIs"));
        assert!(DeleteRepr {
            protocol_id: ProtocolId::ESP,
            spi_size: 4,
            spis: vec![vec![1]],
        }
        .to_bytes()
        .is_err());
    }
}
