//! The Encrypted (SK, RFC 7296 §3.14) and Encrypted Fragment (SKF, RFC 7383)
//! payloads, seen from outside: where the IV‖ciphertext‖ICV body starts and
//! how long it is, the Next Payload field (the type of the first payload
//! inside), and for SKF the fragment number and total.
//!
//! A decryption module needs exactly these: the message bytes, the offset of
//! the body, and the inner first payload type (the associated data of AEAD
//! ciphers is the message from its start up to [`EncryptedPayload::body_offset`]).
//!
//! Not here: keys, ciphers, padding.

use super::payload::Payload;
use super::registry::PayloadType;
use super::{read_u16, Field, WireError};

mod field {
    use super::Field;
    pub const FRAGMENT_NUMBER: Field = 0..2;
    pub const TOTAL_FRAGMENTS: Field = 2..4;
}

/// Length of the fragment fields that open an SKF body.
pub const SKF_FIXED_LEN: usize = 4;

/// RFC 7383 fragment numbering of an SKF payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fragment {
    pub number: u16,
    pub total: u16,
}

/// A view of an SK or SKF payload.
#[derive(Debug, Clone, Copy)]
pub struct EncryptedPayload<'a> {
    payload: Payload<'a>,
}

impl<'a> EncryptedPayload<'a> {
    /// Checks that `payload` is SK or SKF and, for SKF, holds the fragment fields.
    pub fn new(payload: Payload<'a>) -> Result<EncryptedPayload<'a>, WireError> {
        let t = payload.payload_type();
        if !t.is_encrypted() {
            return Err(WireError::Malformed {
                offset: payload.offset(),
                field: "payload type",
                reason: format!("{t} is not an Encrypted (SK) or Encrypted Fragment (SKF) payload"),
            });
        }
        if t == PayloadType::SKF && payload.body().len() < SKF_FIXED_LEN {
            return Err(WireError::Truncated {
                offset: payload.body_offset(),
                field: "fragment number",
                needed: SKF_FIXED_LEN,
                available: payload.body().len(),
            });
        }
        Ok(EncryptedPayload { payload })
    }

    /// The generic payload view.
    pub fn payload(&self) -> Payload<'a> {
        self.payload
    }
    pub fn payload_type(&self) -> PayloadType {
        self.payload.payload_type()
    }
    /// The Next Payload field: the type of the first payload inside the ciphertext.
    pub fn first_inner_payload(&self) -> PayloadType {
        self.payload.next_payload()
    }
    /// Fragment number and total, for SKF.
    pub fn fragment(&self) -> Option<Fragment> {
        (self.payload_type() == PayloadType::SKF).then(|| {
            let b = self.payload.body();
            Fragment {
                number: read_u16(b, field::FRAGMENT_NUMBER),
                total: read_u16(b, field::TOTAL_FRAGMENTS),
            }
        })
    }
    fn fixed_len(&self) -> usize {
        if self.payload_type() == PayloadType::SKF {
            SKF_FIXED_LEN
        } else {
            0
        }
    }
    /// Offset in the whole input where IV‖ciphertext‖ICV starts.
    pub fn body_offset(&self) -> usize {
        self.payload.body_offset() + self.fixed_len()
    }
    /// IV‖ciphertext‖ICV.
    pub fn body(&self) -> &'a [u8] {
        &self.payload.body()[self.fixed_len()..]
    }
}

/// An SK or SKF payload, owned; the body stays opaque.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedRepr {
    /// `Some` for SKF.
    pub fragment: Option<Fragment>,
    /// The Next Payload field: first payload type inside the ciphertext.
    pub first_inner: PayloadType,
    /// IV‖ciphertext‖ICV.
    pub body: Vec<u8>,
}

impl EncryptedRepr {
    pub fn payload_type(&self) -> PayloadType {
        if self.fragment.is_some() {
            PayloadType::SKF
        } else {
            PayloadType::SK
        }
    }

    pub fn parse(e: &EncryptedPayload<'_>) -> EncryptedRepr {
        EncryptedRepr {
            fragment: e.fragment(),
            first_inner: e.first_inner_payload(),
            body: e.body().to_vec(),
        }
    }

    /// Body length, without the generic header.
    pub fn buffer_len(&self) -> usize {
        self.fragment.map_or(0, |_| SKF_FIXED_LEN) + self.body.len()
    }

    pub fn emit(&self, buffer: &mut [u8]) -> Result<(), WireError> {
        if buffer.len() != self.buffer_len() {
            return Err(WireError::TooLong {
                field: "buffer",
                value: self.buffer_len(),
                max: buffer.len(),
            });
        }
        let mut at = 0;
        if let Some(f) = self.fragment {
            buffer[field::FRAGMENT_NUMBER].copy_from_slice(&f.number.to_be_bytes());
            buffer[field::TOTAL_FRAGMENTS].copy_from_slice(&f.total.to_be_bytes());
            at = SKF_FIXED_LEN;
        }
        buffer[at..].copy_from_slice(&self.body);
        Ok(())
    }
}
